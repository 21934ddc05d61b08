# On arm64-debian (bookworm) the cross compiler is built from another gcc-12
# source version than the target's (12.2.0-14 against 12.2.0-14+deb12u1, a
# security fix). The default session runs the target's gcc, emulated, with
# exactly one warning that names both versions; binutils still run native. A
# twin profile with skew = native runs the cross compiler, with one warning.
# Needs the bookworm root whatever XHYBRID_TEST_PROFILE says. On a store that
# holds a compiler rebuilt from the target's source (xhybrid toolchain build),
# that compiler runs native instead, with no warning, and the test checks so.
. "$(dirname "$0")/lib.sh"
PROFILE=${XHYBRID_SKEW_PROFILE:-arm64-debian}
need_root
scratch
export XDG_CONFIG_HOME="$SCRATCH/config"
cd "$SCRATCH"
write_hello_sources

# Both versions, as the two dpkg databases record them.
root=$("$XHYBRID" profiles show "$PROFILE" | sed -n 's/^# root: \(.*\) (created)$/\1/p')
tc=$("$XHYBRID" profiles show "$PROFILE" | sed -n 's/^# toolchain layer: \(.*\) (created)$/\1/p')
[ -d "$root" ] && [ -d "$tc" ] || fail "cannot find the root and the toolchain layer of $PROFILE"
field() { # ROOT PACKAGE FIELD: from the dpkg status of ROOT
        awk -v p="Package: $2" -v f="$3: " '$0 == p { s = 1; next } /^$/ { s = 0 }
                s && index($0, f) == 1 { print substr($0, length(f) + 1); exit }' "$1/var/lib/dpkg/status"
}
owner() { # ROOT PATH: the package whose file list holds PATH
        basename "$(grep -lx "$2" "$1"/var/lib/dpkg/info/*.list | head -1)" .list | sed 's/:.*//'
}
gcc=$(readlink -f "$root/usr/bin/gcc")
gcc=${gcc##*/}   # aarch64-linux-gnu-gcc-12
major=${gcc##*-} # 12
tpkg=$(owner "$root" "/usr/bin/$gcc")
cpkg=$(owner "$tc" "/usr/bin/$gcc")
target_ver=$(field "$root" "$tpkg" Source | sed -n 's/.*(\(.*\))/\1/p')
[ -n "$target_ver" ] || target_ver=$(field "$root" "$tpkg" Version)
cross_ver=$(field "$tc" "$cpkg" Built-Using | sed -n "s/.*gcc-$major (= \([^)]*\)).*/\1/p")
[ -n "$target_ver" ] && [ -n "$cross_ver" ] ||
        fail "no source version of $tpkg ('$target_ver') or Built-Using of $cpkg ('$cross_ver') in the dpkg status"
[ "$target_ver" != "$cross_ver" ] ||
        fail "gcc-$major $target_ver and its cross compiler now share a source version: this test needs a profile whose compilers differ (XHYBRID_SKEW_PROFILE)"

machine='od -An -tx1 -j18 -N2' # e_machine of a program: 3e 00 x86-64, b7 00 aarch64

if "$XHYBRID" profiles show "$PROFILE" | grep -q '^# rebuilt compiler: '; then
        capture "$XHYBRID" profiles show "$PROFILE"
        expect_out "/usr/bin/$gcc .* native (rebuilt from the target's source)$" "profiles show (rebuilt)"
        capture "$XHYBRID" run --ephemeral --env XHYBRID_TRACE="$SCRATCH/trace" "$PROFILE" -- sh -c \
                "$machine /usr/bin/$gcc && gcc hello.c -o hello && ./hello"
        expect_rc 0 "session with the rebuilt compiler"
        [ "$OUT" = " 3e 00
hello" ] || fail "rebuilt: the gcc in place is not native or hello failed: '$OUT'"
        printf '%s\n' "$ERR" | grep -q warning && fail "rebuilt: a warning: $ERR"
        grep -q "$gcc -> native" trace || fail "rebuilt: gcc did not run native: $(cat trace)"
        "$XHYBRID" elf hello | grep -q aarch64 || fail "rebuilt: hello is not aarch64"
        pass "gcc-$major $target_ver: the compiler rebuilt from it runs native (cross: $cross_ver)"
fi

capture "$XHYBRID" profiles show "$PROFILE"
expect_out "/usr/bin/$gcc .*(from gcc-$major $cross_ver) *emulated (built from another source)$" \
        "profiles show"
expect_out "/usr/bin/aarch64-linux-gnu-as .* native$" "profiles show: binutils"
capture "$XHYBRID" doctor "$PROFILE"
expect_out "^warn  compiler of $PROFILE  *emulated (built from another source): target .*(from gcc-$major $cross_ver)$" \
        "doctor"

capture "$XHYBRID" run --ephemeral --env XHYBRID_TRACE="$SCRATCH/trace" "$PROFILE" -- sh -c \
        "$machine /usr/bin/$gcc && gcc hello.c -o hello && ./hello"
expect_rc 0 "default session"
[ "$OUT" = " b7 00
hello" ] || fail "default session: the gcc in place is not the target's or hello failed: '$OUT'"
[ "$(printf '%s\n' "$ERR" | grep -c 'warning')" = 1 ] || fail "not exactly one warning: $ERR"
expect_err "^xhybrid: warning: running the target's cpp, g++, gcc emulated: built from gcc-$major $target_ver, .* from gcc-$major $cross_ver; .*skew = native" \
        "the warning"
grep -q "$gcc ->" trace && fail "gcc went through the shim: $(cat trace)"
grep -q "aarch64-linux-gnu-as -> native" trace || fail "binutils did not run native: $(cat trace)"
"$XHYBRID" elf hello | grep -q aarch64 || fail "hello is not aarch64"

twin_profile xhtest-skew-native 's/^skew =.*/skew = native/'
capture "$XHYBRID" profiles show xhtest-skew-native
expect_out "/usr/bin/$gcc .*native (built from another source; profile says skew = native)$" \
        "profiles show with skew = native"
rm -f trace hello
capture "$XHYBRID" run --ephemeral --env XHYBRID_TRACE="$SCRATCH/trace" xhtest-skew-native -- sh -c \
        "gcc hello.c -o hello && ./hello"
expect_rc 0 "skew = native"
[ "$OUT" = hello ] || fail "skew = native: hello printed '$OUT'"
[ "$(printf '%s\n' "$ERR" | grep -c 'warning')" = 1 ] || fail "skew = native: not exactly one warning: $ERR"
expect_err "running the toolchain layer's cpp, g++, gcc natively, although built from gcc-$major $cross_ver .* and the target's from gcc-$major $target_ver: profile 'xhtest-skew-native' says skew = native" \
        "skew = native warning"
grep -q "$gcc -> native /.xhybrid/toolchain/usr/bin/$gcc" trace || fail "gcc did not run native: $(cat trace)"
pass "gcc-$major $target_ver emulated, cross $cross_ver native only with skew = native"
