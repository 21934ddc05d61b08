# In a hybrid session the plain C hello and the glib hello build with native
# x86-64 tools (the shim's trace and strace on the host show gcc, cc1, as, ld
# and collect2 as x86-64 programs) and the results are the target's programs.
. "$(dirname "$0")/lib.sh"
need_root
scratch
cd "$SCRATCH"
write_hello_sources
capture "$XHYBRID" run --ephemeral --env XHYBRID_TRACE="$SCRATCH/trace" "$PROFILE" -- sh -c \
        'echo $XHYBRID_MODE; gcc hello.c -o hello && ./hello && gcc g.c -o g $(pkg-config --cflags --libs glib-2.0) && ./g'
expect_rc 0 "hybrid build"
[ "$OUT" = "$(printf 'hybrid\nhello\nhello from glib 2')" ] || fail "hybrid build printed '$OUT'"
grep -q "$TRIPLET-gcc-[0-9]* -> native /.xhybrid/toolchain/usr/bin/$TRIPLET-gcc-[0-9]*:" trace ||
        fail "the trace shows no native gcc: $(cat trace)"
grep -q "/usr/bin/pkgconf -> native" trace || fail "the trace shows no native pkg-config"
capture "$XHYBRID" elf hello g
[ "$(printf '%s\n' "$OUT" | grep -c -F "$ELF_KIND")" -eq 2 ] || fail "not $ELF_KIND: $OUT"

command -v strace >/dev/null || skip "strace is missing (apt-get install strace): the native tools were not traced"
rm -f hello
# LeakSanitizer cannot work under ptrace (an ASan build of xhybrid).
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
        strace -f -qq -e trace=execve -e signal=none -o "$SCRATCH/strace" \
        "$XHYBRID" run --ephemeral "$PROFILE" -- gcc hello.c -o hello >/dev/null 2>&1 ||
        fail "gcc under strace failed"
tc=$("$XHYBRID" profiles show "$PROFILE" | sed -n 's/^# toolchain layer: \(.*\) (created)$/\1/p')
for tool in cc1 as collect2 ld; do
        path=$(grep -o "execve(\"/.xhybrid/toolchain/[^\"]*/$tool\"" "$SCRATCH/strace" | head -1 |
                sed 's/execve("\/.xhybrid\/toolchain//; s/"$//')
        [ -n "$path" ] || fail "strace shows no $tool started from the toolchain layer"
        "$XHYBRID" elf "$tc$path" | grep -q "ELF 64-bit LSB x86-64" ||
                fail "$tool ($tc$path) is not an x86-64 program"
done
"$XHYBRID" elf hello | grep -q -F "$ELF_KIND" || fail "strace build: not $ELF_KIND"
pass
