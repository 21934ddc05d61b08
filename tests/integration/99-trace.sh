# run --trace FILE records every exec of a hybrid session, and trace summary
# accounts for it. A small session first: a target program's exit status,
# its argv[0] (binfmt P flag: bash's exec -a) and a signal (to the target's
# sleep: the session's own is a native copy) pass through the tracing binfmt
# interpreter unchanged, native tools (through the shim and
# the plain copies) and emulated programs are recorded with their strategy
# and status; a session without --trace has neither the interpreter nor the
# trace file. Then GNU hello 2.10 is configured and built traced: the
# summary shows configure's conftest programs emulated, gcc native, the
# compiler probes as fallbacks, and the emulated share of the wall time. Bad
# input: a damaged line is an error naming the file and line; --trace with
# --emulated, or into the store, is refused.
. "$(dirname "$0")/lib.sh"
need_root
scratch
cd "$SCRATCH"
cat >a.c <<'SRC'
#include <stdio.h>
int main(int argc, char **argv) { printf("argv0=%s argc=%d\n", argv[0], argc); return 3; }
SRC
capture "$XHYBRID" run --ephemeral --trace small.trace "$PROFILE" -- bash -c \
        'gcc a.c -o a; ./a x; echo "rc=$?"; (exec -a funny ./a); /.xhybrid/orig/usr/bin/sleep 5 & p=$!; sleep 1; kill $p; wait $p; echo "killed=$?"; sed -n 1p a.c >/dev/null; exit 4'
expect_rc 4 "a traced session exits with its command's status"
[ "$OUT" = "$(printf 'argv0=./a argc=2\nrc=3\nargv0=funny argc=1\nkilled=143')" ] ||
        fail "a traced session's programs printed '$OUT' (stderr: $ERR)"
[ "$(head -1 small.trace)" = "xhybrid-trace 1" ] || fail "no version line: $(head -1 small.trace)"
tab=$(printf '\t')
has() {
        grep -q "^exec${tab}[0-9.]*${tab}[0-9]*${tab}$1${tab}[0-9.]*${tab}$2${tab}$3${tab}" small.trace ||
                fail "the trace has no '$1 $2 $3' record: $(cat small.trace)"
}
has native exit:0 "/usr/bin/$TRIPLET-gcc-[0-9]*"
has emulated exit:3 ./a
has emulated exit:3 "$SCRATCH/a"
has fallback signal:15 /usr/bin/sleep
has copy exit:0 /usr/bin/sleep
has copy exit:0 /usr/bin/sed
has native exit:4 /usr/bin/bash
grep -q "^session${tab}[0-9.]*${tab}[0-9.]*${tab}exit:4${tab}$PROFILE\$" small.trace ||
        fail "no session record: $(cat small.trace)"
capture "$XHYBRID" run --ephemeral "$PROFILE" -- sh -c \
        'ls /.xhybrid/bin; test -e /.xhybrid/trace && echo trace; cmp -s /usr/bin/sed /.xhybrid/bin/xhybrid-shim && echo sed-is-shim; :'
expect_rc 0 "an untraced session"
[ "$OUT" = xhybrid-shim ] || fail "an untraced session has more of the trace than it needs: $OUT"

# GNU hello, configured and built traced.
STORE=$("$XHYBRID" profiles show "$PROFILE" | sed -n 's/^# root: \(.*\)\/roots\/.*$/\1/p')
[ -n "$STORE" ] || fail "cannot find the store"
# In a twin of the profile whose facts cache starts empty, so that its
# compiler probes are asked (emulated) in this session, not answered from
# what earlier sessions kept.
export XDG_CONFIG_HOME="$SCRATCH/config"
P=xhtest-trace
twin_profile $P
rm -rf "$STORE/cache/$P"
trap 'rm -rf "$SCRATCH" "$STORE/cache/'$P'" "$STORE/sessions/'$P'" "$STORE/sessions/'$P'.lock"' EXIT
XHYBRID_STORE=$STORE SUITE=bookworm sh "$XH_SOURCE_DIR/scripts/fetch-source" --upstream hello \
        "$SCRATCH/hello" >/dev/null || fail "cannot fetch Debian's hello source package"
cd "$SCRATCH/hello"
capture "$XHYBRID" run --ephemeral --trace "$SCRATCH/hello.trace" "$P" -- sh -c \
        "./configure --build=$TRIPLET && make -j2"
expect_rc 0 "a traced build of GNU hello"
"$XHYBRID" elf hello | grep -q "$ELF_KIND" || fail "hello is not the target's program ($ELF_KIND)"
capture "$XHYBRID" trace summary "$SCRATCH/hello.trace"
expect_rc 0 "trace summary"
printf '%s\n' "$OUT"
expect_out "(profile $P): [0-9]* execs: [0-9]* native, [0-9]* copy, [0-9]* emulated, [0-9]* fallback" \
        "the summary's head"
expect_out "^wall time  [0-9.]* s (exit 0)$" "the session's wall time"
expect_out "^emulated   [0-9.]* s of the wall time, [0-9.]* % (summed over [0-9]* execs" \
        "the emulated share"
conftests=$(printf '%s\n' "$OUT" | sed -n 's/^ *\([0-9]*\) *[0-9.]*  emulated  conftest$/\1/p')
[ "${conftests:-0}" -ge 10 ] || fail "the summary shows ${conftests:-no} emulated conftest runs"
expect_out "^ *[0-9]* *[0-9.]*  native    $TRIPLET-gcc-[0-9]*$" "native gcc"
expect_out "^ *[0-9]* *[0-9.]*  fallback  $TRIPLET-gcc-[0-9]* (emulated (compiler probe))$" \
        "compiler probes"
expect_out "^ *[0-9]* *[0-9.]*  copy      sed$" "sed, a plain copy"
# Emulated rows first: nothing emulated after the first native one.
printf '%s\n' "$OUT" | sed -n '/^  count/,$p' | sed 1d |
        awk '$3 == "native" || $3 == "copy" { n = 1 } n && ($3 == "emulated" || $3 == "fallback") { exit 1 }' ||
        fail "emulated rows come after native ones"

# Bad input.
cd "$SCRATCH"
sed '5s/\t/ /g' hello.trace >bad.trace
capture "$XHYBRID" trace summary bad.trace
expect_rc 125 "a damaged trace"
expect_err "xhybrid: bad.trace:5: " "the damaged line"
expect_err "hint: " "the damaged line"
capture "$XHYBRID" trace summary missing.trace
expect_rc 125 "a missing trace"
expect_err "cannot read the trace file missing.trace: No such file or directory" "a missing trace"
capture "$XHYBRID" trace summary
expect_rc 2 "trace summary without a file"
capture "$XHYBRID" run --ephemeral --emulated --trace t "$PROFILE" -- true
expect_rc 2 "--trace with --emulated"
expect_err "with --emulated every program is emulated" "--trace with --emulated"
capture "$XHYBRID" run --ephemeral --trace "$STORE/sessions/x.trace" "$PROFILE" -- true
expect_rc 125 "a trace file inside the store"
expect_err "is inside the store" "a trace file inside the store"
[ ! -e "$STORE/sessions/x.trace" ] || { rm -f "$STORE/sessions/x.trace"; fail "a trace file was made in the store"; }
capture "$XHYBRID" run --ephemeral --trace "$SCRATCH/no/such/dir/t" "$PROFILE" -- true
expect_rc 125 "a trace file in a missing directory"
expect_err "cannot write the trace file $SCRATCH/no/such/dir/t: No such file or directory" "missing dir"
pass
