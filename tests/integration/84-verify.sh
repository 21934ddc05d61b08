# xhybrid verify builds a small source emulated and hybrid at one path and
# finds them identical; when one byte of .text changes in the hybrid build
# it names the file and the section and exits non-zero.
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
printf 'all: prog\nprog: main.o twice.o\n\t$(CC) -o prog main.o twice.o\n' >"$SCRATCH/src/Makefile"

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
pass
