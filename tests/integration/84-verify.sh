# xhybrid verify builds a small source emulated and hybrid at one path and
# finds them identical; when one byte of .text changes in the hybrid build
# it names the file and the section and exits non-zero; a header that make
# writes from $(MAKE_HOST) differs, and verify says so. A .comment and a
# build-id changed in the hybrid build are ignored, but not with --strict.
. "$(dirname "$0")/lib.sh"
need_root
scratch
mkdir "$SCRATCH/src"
cat >"$SCRATCH/src/main.c" <<'SRC'
#include <stdio.h>
int twice(int x);
int main(void) { printf("%d\n", twice(21)); return 0; }
SRC
cat >"$SCRATCH/src/twice.c" <<'SRC'
int twice(int x) { return 2 * x; }
SRC
cat >"$SCRATCH/src/Makefile" <<'MK'
all: prog
prog: main.o twice.o
	$(CC) -o prog main.o twice.o
buildinfo.h:
	printf '#define BUILD_HOST "%s"\n' '$(MAKE_HOST)' >$@
MK

capture "$XHYBRID" verify --json "$SCRATCH/ok.json" --check ./prog "$PROFILE" "$SCRATCH/src"
expect_rc 0 "verify of an unchanged build"
expect_out "^IDENTICAL$" "verify"
expect_out "3 ELF files and archives compared section by section" "verify"
grep -q '"identical": true' "$SCRATCH/ok.json" || fail "verify JSON does not say identical"

# Change the first byte of .text in twice.o, in the hybrid build only.
tamper='make && if [ "$XHYBRID_MODE" = hybrid ]; then
        off=$(readelf -S -W twice.o | sed -n "s/.* \.text *PROGBITS *[0-9a-f]* \([0-9a-f]*\) .*/\1/p")
        byte=$(od -An -tu1 -j $((0x$off)) -N 1 twice.o)
        printf "\\$(printf %o $(( (byte + 1) % 256 )))" | dd of=twice.o bs=1 seek=$((0x$off)) conv=notrunc 2>/dev/null
fi'
capture "$XHYBRID" verify --build "$tamper" --json "$SCRATCH/bad.json" "$PROFILE" "$SCRATCH/src"
expect_rc 1 "verify of a changed object"
expect_out "DIFF twice.o: .text differs" "verify names the file and section"
expect_out "^DIFFERENT$" "verify"
grep -q '"twice.o: .text differs"' "$SCRATCH/bad.json" || fail "verify JSON lacks the difference"

# A header that the Makefile writes from make's own host triplet.
capture "$XHYBRID" verify --build "make all buildinfo.h" "$PROFILE" "$SCRATCH/src"
trees=$(dirname "$(printf '%s\n' "$OUT" | sed -n 's/^verify .* (built at \(.*\))$/\1/p')")
grep -q x86_64-pc-linux-gnu "$trees/hybrid/buildinfo.h" ||
        fail "the hybrid make's MAKE_HOST is not x86_64 (docs/hybrid.md): $(cat "$trees/hybrid/buildinfo.h")"
grep -q -F "\"$GNU_TYPE\"" "$trees/emulated/buildinfo.h" ||
        fail "the emulated make's MAKE_HOST: $(cat "$trees/emulated/buildinfo.h")"
expect_rc 1 "verify of a header with \$(MAKE_HOST)"
expect_out "DIFF buildinfo.h: contents differ from byte 21 (line 1; $((22 + ${#GNU_TYPE})) vs 41 bytes)" \
        "verify names the header"
expect_out "^DIFFERENT$" "verify"

# Change a byte of .comment and of the build-id of prog, in the hybrid build only.
notes='make && if [ "$XHYBRID_MODE" = hybrid ]; then
        for s in .comment:1 .note.gnu.build-id:35; do
                off=$(readelf -S -W prog | sed -n "s/.* ${s%:*}  *[A-Z]*  *[0-9a-f]*  *\([0-9a-f]*\) .*/\1/p")
                at=$((0x$off + ${s#*:}))
                byte=$(od -An -tu1 -j $at -N 1 prog)
                printf "\\$(printf %o $(( (byte + 1) % 256 )))" | dd of=prog bs=1 seek=$at conv=notrunc 2>/dev/null
        done
fi'
capture "$XHYBRID" verify --build "$notes" "$PROFILE" "$SCRATCH/src"
expect_rc 0 "verify ignores .comment and the build-id"
expect_out "(ignoring .comment and .note.gnu.build-id)" "verify"
capture "$XHYBRID" verify --strict --build "$notes" --json "$SCRATCH/strict.json" "$PROFILE" "$SCRATCH/src"
expect_rc 1 "verify --strict of a changed .comment and build-id"
expect_out "DIFF prog: .comment differs" "verify --strict names .comment"
expect_out "DIFF prog: .note.gnu.build-id differs" "verify --strict names the build-id"
expect_out "(ignoring nothing)" "verify --strict"
grep -q '"strict": true' "$SCRATCH/strict.json" || fail "verify JSON does not say strict"
grep -q '"ignored_sections": \[\]' "$SCRATCH/strict.json" || fail "verify JSON lists ignored sections"
pass
