# Adding a target needs only a profile file: armel (bookworm, 32-bit Arm, soft
# float), which no built-in profile uses, defined in a user profile alone,
# resolves from the arch table (triplet, qemu, cross packages), is created (a
# minbase root without extra packages, a toolchain layer with make only:
# cached in the store like the other roots) and runs programs: emulated ones
# see an armel Debian, and in a hybrid session the toolchain's native tools
# run in their place and get the target's machine from uname(2).
. "$(dirname "$0")/lib.sh"
need_sessions
scratch
export XDG_CONFIG_HOME="$SCRATCH/config"
mkdir -p "$XDG_CONFIG_HOME/xhybrid/profiles"
cat >"$XDG_CONFIG_HOME/xhybrid/profiles/x.ini" <<'INI'
# armel, known only from this file
[target]
suite = bookworm
arch = armel
variant = minbase

[toolchain]
packages = make
INI

capture "$XHYBRID" profiles
expect_rc 0 "profiles"
printf '%s\n' "$OUT" | grep -q "^x  *armel  *bookworm .* $XDG_CONFIG_HOME/xhybrid/profiles/x.ini\$" ||
        fail "profiles does not list x from its file: $OUT"
capture "$XHYBRID" profiles show x
expect_rc 0 "profiles show x"
for line in "arch = armel" "triplet = arm-linux-gnueabi" "qemu = qemu-arm-static" "variant = minbase" \
        "packages = make"; do
        printf '%s\n' "$OUT" | grep -qx "$line" || fail "profiles show x lacks '$line': $OUT"
done

start=$(date +%s)
"$XHYBRID" create x >&2 || fail "xhybrid create x failed"
echo "99-user-target: create x took $(($(date +%s) - start)) s" >&2

# Emulated: an armel Debian 12 under qemu-arm.
capture "$XHYBRID" run --emulated --ephemeral x -- sh -c \
        'dpkg --print-architecture; uname -m; getconf LONG_BIT; cut -d. -f1 /etc/debian_version'
expect_rc 0 "emulated session"
[ "$OUT" = "armel
armv7l
32
12" ] || fail "emulated session printed: $OUT"
capture "$XHYBRID" elf "$(root_of x)/rootfs/usr/bin/dash"
expect_out "ELF 32-bit LSB arm, dynamic (/lib/ld-linux.so.3)" "the root's dash"

# Hybrid: sed and dash are the toolchain's x86-64 programs (ELF machine 62 at
# offset 18), the target's stay at /.xhybrid/orig; the native uname of the
# toolchain layer says what the emulated one says.
capture "$XHYBRID" run --ephemeral x -- sh -c \
        'echo armel | sed s/el/-ok/; od -An -tu2 -j18 -N2 /usr/bin/sed; od -An -tu2 -j18 -N2 /.xhybrid/orig/usr/bin/sed
         /.xhybrid/toolchain/usr/bin/uname -m; uname -m'
expect_rc 0 "hybrid session"
set -- $OUT
[ "$*" = "arm-ok 62 40 armv7l armv7l" ] || fail "hybrid session printed: $OUT"
capture "$XHYBRID" profiles show x
printf '%s\n' "$OUT" | grep -q '^#   sed  */usr/bin/sed .* native$' || fail "profiles show x: sed is not native: $OUT"
pass
