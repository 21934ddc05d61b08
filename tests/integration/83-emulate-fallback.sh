# The target's own tools keep working inside a hybrid session:
# XHYBRID_EMULATE sends named tools to their emulated originals (the emulated
# gcc then links through the emulated ld, since it loads its target's LTO
# plugin), the profile's emulate key does the same, and the target's cc1
# runs by its own path.
. "$(dirname "$0")/lib.sh"
need_root
scratch
cd "$SCRATCH"
printf '#include <stdio.h>\nint main(void) { puts("fallback ok"); return 0; }\n' >f.c
printf 'all: f\nf: f.c\n\tgcc -O2 -o f f.c\n' >Makefile
capture "$XHYBRID" run --ephemeral --env XHYBRID_TRACE="$SCRATCH/trace" \
        "$PROFILE" -- sh -c 'export XHYBRID_EMULATE=gcc,make; make && ./f'
expect_rc 0 "emulated gcc and make in a hybrid session"
expect_out "^fallback ok$" "emulated gcc and make"
grep -q "/usr/bin/make -> emulated (XHYBRID_EMULATE)" trace || fail "make was not emulated: $(cat trace)"
grep -q "gcc-[0-9]* -> emulated (XHYBRID_EMULATE)" trace || fail "gcc was not emulated"
grep -q "ld.bfd -> emulated (target plugin)" trace || fail "the emulated gcc's link did not use the emulated ld"
"$XHYBRID" elf f | grep -q -F "$ELF_KIND" || fail "f is not $ELF_KIND"

capture "$XHYBRID" run --ephemeral "$PROFILE" -- sh -c \
        'cc1=$(gcc -print-prog-name=cc1) && echo "$cc1" &&
         gcc -E f.c -o f.i && $cc1 -quiet -fpreprocessed f.i -o f.s && grep -c -w puts f.s'
expect_rc 0 "the target's cc1 by its own path"
expect_out "^1$" "the target's cc1 made a call of puts"
cc1=$(printf '%s\n' "$OUT" | head -1)
"$XHYBRID" elf "$(root_of "$PROFILE")/rootfs$cc1" | grep -q -F "$ELF_KIND" ||
        fail "$cc1 is not the target's cc1"

# Named when the session starts, a tool is not replaced at all.
rm -f trace f
capture "$XHYBRID" run --ephemeral --env XHYBRID_EMULATE=make --env XHYBRID_TRACE="$SCRATCH/trace" \
        "$PROFILE" -- sh -c 'grep -c " /usr/bin/make " /proc/self/mountinfo; make >/dev/null && ./f'
expect_rc 0 "--env XHYBRID_EMULATE=make"
[ "$OUT" = "$(printf '0\nfallback ok')" ] || fail "--env XHYBRID_EMULATE=make: make is still bound over: $OUT"
grep -q "/usr/bin/make ->" trace && fail "make went through the shim with XHYBRID_EMULATE=make"

export XDG_CONFIG_HOME="$SCRATCH/config"
twin_profile xhtest-em 's/^emulate =.*/emulate = make/'
capture "$XHYBRID" profiles show xhtest-em
expect_out "/usr/bin/make .*emulated (profile: emulate)" "profiles show with emulate = make"
rm -f trace f
capture "$XHYBRID" run --ephemeral --env XHYBRID_TRACE="$SCRATCH/trace" xhtest-em -- sh -c 'make && ./f'
expect_rc 0 "profile emulate = make"
grep -q "/usr/bin/make ->" trace && fail "make went through the shim although the profile emulates it"
grep -q "gcc-[0-9]* -> native" trace || fail "gcc should still run native"
pass
