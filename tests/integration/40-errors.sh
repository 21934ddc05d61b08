# Bad profiles, a missing root and a missing emulator: one clear message each
# and a non-zero exit.
. "$(dirname "$0")/lib.sh"
scratch
export XDG_CONFIG_HOME="$SCRATCH/config"
dir=$XDG_CONFIG_HOME/xhybrid/profiles
mkdir -p "$dir"

printf '[target]\nsuite = bookworm\narch arm64\n' >"$dir/bad-syntax.ini"
capture "$XHYBRID" run bad-syntax -- true
expect_rc 125 "syntax error"
expect_err "$dir/bad-syntax.ini:3: syntax error" "syntax error"
[ "$(printf '%s\n' "$ERR" | grep -c 'xhybrid: ')" -le 2 ] || fail "more than one message: $ERR"

printf '[target]\nsuite = bookworm\narch = arm64\ncolour = blue\n' >"$dir/bad-key.ini"
capture "$XHYBRID" profiles show bad-key
expect_rc 125 "unknown key"
expect_err "$dir/bad-key.ini:4: unknown key 'colour'" "unknown key"

printf '[target]\nsuite = bookworm\narch = vax\n' >"$dir/bad-arch.ini"
capture "$XHYBRID" create bad-arch
expect_rc 125 "unknown arch"
expect_err "$dir/bad-arch.ini:3: unknown arch 'vax'" "unknown arch"

capture "$XHYBRID" run no-such-profile -- true
expect_rc 125 "unknown profile"
expect_err "unknown profile 'no-such-profile'" "unknown profile"

# A profile whose root was never created (its recipe differs from any built one).
printf '[target]\nsuite = bookworm\narch = arm64\npackages = xh-never-built\n' >"$dir/no-root.ini"
export XHYBRID_STORE="$SCRATCH/store"
capture "$XHYBRID" run no-root -- true
expect_rc 125 "missing root"
expect_err "no root for profile 'no-root'" "missing root"
expect_err "xhybrid create no-root" "missing root hint"

# A missing emulator.
printf '[target]\nsuite = bookworm\narch = arm64\n[emulator]\nqemu = qemu-xh-missing-static\n' >"$dir/no-qemu.ini"
root=$("$XHYBRID" profiles show no-qemu | sed -n 's/^# root: \(.*\) (not created)$/\1/p')
[ -n "$root" ] || fail "profiles show does not name the root path"
mkdir -p "$root"
capture "$XHYBRID" run no-qemu -- true
expect_rc 125 "missing qemu"
expect_err "emulator 'qemu-xh-missing-static' not found" "missing qemu"
capture "$XHYBRID" doctor no-qemu
expect_rc 1 "doctor with a missing qemu"
expect_out "FAIL  emulator for no-qemu" "doctor with a missing qemu"

capture "$XHYBRID" run
expect_rc 2 "no arguments"
capture "$XHYBRID" frobnicate
expect_rc 2 "unknown command"
expect_err "unknown command 'frobnicate'" "unknown command"
pass
