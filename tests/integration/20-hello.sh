# A plain C hello and a glib hello (pkg-config; glib only in the target)
# compile with the target's gcc and run inside; the results are programs of
# the target's machine, with its loader.
. "$(dirname "$0")/lib.sh"
need_root
scratch
cd "$SCRATCH"
write_hello_sources
[ ! -e /usr/include/glib-2.0 ] || echo "note: the host has glib headers too; the target's are used" >&2
capture "$XHYBRID" run --emulated --ephemeral "$PROFILE" -- sh -c 'gcc hello.c -o hello && ./hello'
expect_rc 0 "plain hello"
[ "$OUT" = hello ] || fail "plain hello printed '$OUT'"
capture "$XHYBRID" run --emulated --ephemeral "$PROFILE" -- sh -c 'gcc g.c -o g $(pkg-config --cflags --libs glib-2.0) && ./g'
expect_rc 0 "glib hello"
[ "$OUT" = "hello from glib 2" ] || fail "glib hello printed '$OUT'"
capture "$XHYBRID" elf hello g
expect_rc 0 "elf"
[ "$(printf '%s\n' "$OUT" | grep -c -F "$ELF_KIND, dynamic ($LOADER)")" -eq 2 ] ||
        fail "produced files are not $ARCH programs ($ELF_KIND, $LOADER): $OUT"
pass
