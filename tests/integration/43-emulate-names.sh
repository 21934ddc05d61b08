# Tool names in a profile's emulate key and in XHYBRID_EMULATE given at
# session start (--env, the profile's [session] env) must be tools of the
# shim's table or program names that may run native ("all" too, for
# XHYBRID_EMULATE): a denied or malformed name is an error that names it,
# never silently ignored. The same for the native keys.
. "$(dirname "$0")/lib.sh"
scratch
export XDG_CONFIG_HOME="$SCRATCH/config"
dir=$XDG_CONFIG_HOME/xhybrid/profiles
mkdir -p "$dir"

printf '[target]\nsuite = bookworm\narch = arm64\n[toolchain]\nemulate = gcc\n  perl make\n' >"$dir/em-bad.ini"
capture "$XHYBRID" profiles show em-bad
expect_rc 125 "unknown tool in emulate"
expect_err "$dir/em-bad.ini:6: 'perl' in emulate never runs native: not proven faithful" "denied tool in emulate"
expect_err "hint: remove it from emulate: it runs emulated anyway" "emulate hint"
printf '[target]\nsuite = bookworm\narch = arm64\n[toolchain]\nemulate = gcc ../sed\n' >"$dir/em-bad.ini"
capture "$XHYBRID" profiles show em-bad
expect_rc 125 "unknown tool in emulate"
expect_err "$dir/em-bad.ini:5: unknown tool '../sed' in emulate" "unknown tool in emulate"
expect_err "hint: emulate names tools that a hybrid session replaces: addr2line, ar, arch, as," "emulate hint"
# native adds programs; a denied one is an error with its reason, unless native_override names it.
printf '[target]\nsuite = bookworm\narch = arm64\n[toolchain]\nnative = m4\n  getconf\n' >"$dir/nat-bad.ini"
capture "$XHYBRID" profiles show nat-bad
expect_rc 125 "denied tool in native"
expect_err "$dir/nat-bad.ini:6: 'getconf' may not run native: prints the C library's limits" "denied tool in native"
expect_err "hint: .*name it in native_override instead" "native hint"
printf '[target]\nsuite = bookworm\narch = arm64\n[toolchain]\nnative_override = sed\n' >"$dir/nat-bad.ini"
capture "$XHYBRID" profiles show nat-bad
expect_rc 125 "a program that is not denied in native_override"
expect_err "$dir/nat-bad.ini:5: 'sed' in native_override is not a denied program" "native_override"
printf '[target]\nsuite = bookworm\narch = arm64\n[toolchain]\nnative = m4\nnative_override = getconf\n' >"$dir/nat-good.ini"
capture "$XHYBRID" profiles show nat-good
expect_rc 0 "native and native_override"
expect_out "^native = m4$" "native"
expect_out "^native_override = getconf$" "native_override"
printf '[target]\nsuite = bookworm\narch = arm64\n[toolchain]\nemulate = gcc make ld\n' >"$dir/em-good.ini"
capture "$XHYBRID" profiles show em-good
expect_rc 0 "known tools in emulate"
expect_out "^emulate = gcc ld make$" "known tools in emulate"

need_root
cd "$SCRATCH"
capture "$XHYBRID" run --dry-run --env XHYBRID_EMULATE=gcc,perl:python3 "$PROFILE" -- true
expect_rc 125 "unknown tools in --env XHYBRID_EMULATE"
expect_err "XHYBRID_EMULATE names tools the shim does not know: perl, python3" "--env XHYBRID_EMULATE"
expect_err "hint: fix --env XHYBRID_EMULATE or the profile's \[session\] env" "--env XHYBRID_EMULATE hint"
# The host's value passed by name is checked the same way.
XHYBRID_EMULATE=gcc-12 capture "$XHYBRID" run --dry-run --env XHYBRID_EMULATE "$PROFILE" -- true
expect_rc 125 "unknown tool in the host's XHYBRID_EMULATE"
expect_err "XHYBRID_EMULATE names a tool the shim does not know: gcc-12" "host XHYBRID_EMULATE"
twin_profile xhtest-emenv 's|^env =.*$|env = XHYBRID_EMULATE=sed,bo/gus|'
capture "$XHYBRID" run --dry-run xhtest-emenv -- true
expect_rc 125 "unknown tool in the profile's XHYBRID_EMULATE"
expect_err "XHYBRID_EMULATE names a tool the shim does not know: bo/gus" "profile XHYBRID_EMULATE"
# A well-formed name that no tool of the root answers to (a typo) is an error at session start.
capture "$XHYBRID" run --dry-run --env XHYBRID_EMULATE=sed,bogus "$PROFILE" -- true
expect_rc 125 "a name no tool answers to in XHYBRID_EMULATE"
expect_err "names a program that no native tool of this root answers to: bogus" "XHYBRID_EMULATE=sed,bogus"
expect_err "hint: 'xhybrid profiles show $PROFILE' lists the tools" "XHYBRID_EMULATE=sed,bogus"
twin_profile xhtest-emkey 's|^emulate =.*$|emulate = gcc sedd|'
capture "$XHYBRID" run --dry-run xhtest-emkey -- true
expect_rc 125 "a name no tool answers to in emulate"
expect_err "names a program that no native tool of this root answers to: sedd" "emulate = gcc sedd"
# Known names and "all" start sessions; the named tools are left emulated.
capture "$XHYBRID" run --ephemeral --env XHYBRID_EMULATE=all "$PROFILE" -- true
expect_rc 0 "XHYBRID_EMULATE=all"
capture "$XHYBRID" run --ephemeral --env "XHYBRID_EMULATE=sed make" "$PROFILE" -- sh -c 'cmp -s /usr/bin/sed /.xhybrid/orig/usr/bin/sed && echo sed-emulated'
expect_rc 0 "XHYBRID_EMULATE=sed make"
expect_out "^sed-emulated$" "XHYBRID_EMULATE=sed make"
pass
