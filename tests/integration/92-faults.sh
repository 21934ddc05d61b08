# kill -9 at random points: of xhybrid, of the session's init and of the
# command, during session start, during a build in the persistent upper, and
# during create. After each kill: xhybrid has ended by itself (no hang), no
# process of the session is left, no mount is left, the persistent upper can
# be entered again and still holds what it held; after a killed create the
# profile has either a whole root or none ("no root" and nothing else), a
# root replaced by create --force never keeps the old upper, and the next
# create repairs the store.
#
# Iterations: 5 kills for each (phase, victim) pair, 45 in all; with
# XHYBRID_TEST_LONG=1, 50 each (450). The seed of the random delays is
# printed; XHYBRID_TEST_SEED=N replays a run.
#
# Everything runs in a mount namespace of the test's own and in a scratch
# store: the root and toolchain layer of $PROFILE as hard links, and a small
# profile whose create is done by a stand-in mmdebstrap (fake_mmdebstrap in
# lib.sh: a real create takes minutes; 90-interrupted-create kills a real one).
. "$(dirname "$0")/lib.sh"
in_private_mounts
need_root
private_scratch
N=5
[ "${XHYBRID_TEST_LONG:-0}" = 1 ] && N=50
rand_init
MARK=xh-fault-$$-$SEED
scratch_store xhtest-fault 0.1
P=$PROFILE
C=xhtest-fault

mkdir "$SCRATCH/proj"
cd "$SCRATCH/proj"
for f in a b c; do
        printf '#include <stdio.h>\nint %s(void) { return puts("%s") > 0; }\n' "$f" "$f" >"$f.c"
done
printf 'int a(void);\nint b(void);\nint c(void);\nint main(void) { return !(a() && b() && c()); }\n' >main.c
printf 'prog: main.o a.o b.o c.o\n\tcc -o $@ $^\n%%.o: %%.c\n\tcc -O2 -c $<\ninstall: prog\n\tinstall -m 755 prog /usr/local/bin/xh-fault-prog\n\techo installed >/etc/xh-fault-installed\n' >Makefile
BUILD='make -s -B install'
# Killed runs go on with a long sleep: a process of the session left behind
# is still there when the test looks.

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# command_of INIT: the child of a session's init that is not its uname
# supervisor (xhybrid-uname, beside the command in hybrid sessions).
command_of() {
        for _c in $(cat "/proc/$1/task/$1/children" 2>/dev/null); do
                [ "$(cat "/proc/$_c/comm" 2>/dev/null)" = xhybrid-uname ] || {
                        echo "$_c"
                        return 0
                }
        done
}
# alive PID: running, not a zombie waiting to be reaped.
alive() {
        _s=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$1/status" 2>/dev/null)
        [ -n "$_s" ] && [ "$_s" != Z ]
}
snapshot=$(cat /proc/self/mountinfo)

# kill_run VICTIM DELAY_MS XHYBRID-ARGS...: start xhybrid, after DELAY_MS
# kill -9 the victim (waiting for it to exist if it does not yet), wait for
# xhybrid to end. Sets RC, and KILLED to 1 when the victim was killed, 0 when
# xhybrid ended first.
kill_run() {
        _victim=$1 _delay=$2
        shift 2
        XH_TEST_MARK=$MARK "$XHYBRID" "$@" >"$SCRATCH/log" 2>&1 &
        _pid=$!
        BG_PIDS=$_pid
        sleep "$((_delay / 1000)).$(printf '%03d' $((_delay % 1000)))"
        KILLED=0
        _t=0
        while alive $_pid && [ $_t -lt 1000 ]; do
                case $_victim in
                xhybrid) _v=$_pid ;;
                init) _v=$(child_of $_pid) ;;
                command) _v=$(child_of $_pid) && [ -n "$_v" ] && _v=$(command_of "$_v") ;;
                esac
                if [ -n "$_v" ] && alive "$_v" && kill -KILL "$_v" 2>/dev/null; then
                        KILLED=1
                        break
                fi
                sleep 0.01
                _t=$((_t + 1))
        done
        _t=0
        while alive $_pid; do
                if [ $_t -ge 300 ]; then
                        kill -KILL $_pid
                        fail "$WHAT: xhybrid was still running 30 s after its $_victim was killed: $(cat "$SCRATCH/log")"
                fi
                sleep 0.1
                _t=$((_t + 1))
        done
        wait $_pid
        RC=$?
}

# After every kill: nothing left running or mounted, and what the test expects of xhybrid's exit.
after_kill() {
        no_strays "$MARK" "$WHAT"
        # No mount added, and the test's own (under $SCRATCH) all there. Other
        # software on the machine may unmount its own meanwhile: not counted.
        _now=$(cat /proc/self/mountinfo)
        _added=$(printf '%s\n' "$_now" | grep -vxF -- "$snapshot")
        [ -z "$_added" ] || fail "$WHAT: mounts left: $_added"
        printf '%s\n' "$snapshot" | grep -F -- "$SCRATCH" | while read -r _m; do
                printf '%s\n' "$_now" | grep -qxF -- "$_m" || fail "$WHAT: the test's mount is gone: $_m"
        done || exit 1
        [ "$KILLED" = 1 ] || return 0
        case $1:$RC in
        # 0: it ended between the last look and the kill (then nothing was killed)
        *:0 | xhybrid:137 | command:137) ;;
        init:125 | command:125)
                # One message and its hint, at the end (after create's progress lines).
                _msgs=$(grep '^xhybrid: ' "$SCRATCH/log")
                printf '%s\n' "$_msgs" | tail -n 1 | grep -q '^xhybrid: hint: ' &&
                        printf '%s\n' "$_msgs" | tail -n 2 | head -n 1 | grep -v -q '^xhybrid: hint: ' &&
                        [ "$(printf '%s\n' "$_msgs" | grep -c '^xhybrid: hint: ')" = 1 ] ||
                        fail "$WHAT: not one message and its hint: $(cat "$SCRATCH/log")"
                ;;
        *) fail "$WHAT: exit status $RC after its $1 was killed: $(cat "$SCRATCH/log")" ;;
        esac
}

# The persistent upper can be entered again and still holds what it held.
reenter() {
        capture "$XHYBRID" run "$P" -- cat /etc/xh-fault-base
        expect_rc 0 "$WHAT: entering the persistent upper again"
        [ "$OUT" = base ] || fail "$WHAT: the persistent upper lost /etc/xh-fault-base: '$OUT'"
}

capture "$XHYBRID" run "$P" -- sh -c 'echo base >/etc/xh-fault-base'
expect_rc 0 "the first persistent session"
t0=$(now_ms)
capture "$XHYBRID" run "$P" -- true
t_start=$(($(now_ms) - t0))
# The second build is timed: the first fills the facts cache.
for _ in 1 2; do
        t0=$(now_ms)
        capture "$XHYBRID" run "$P" -- sh -c "$BUILD"
        t_build=$(($(now_ms) - t0))
        expect_rc 0 "the build"
done
echo "$TEST_NAME: session start $t_start ms, start + build $t_build ms"

stats=
count() { stats="$stats $1"; }
for phase in start build; do
        for victim in xhybrid init command; do
                i=0
                while [ $i -lt "$N" ]; do
                        if [ $phase = start ]; then
                                # every other kill in the first quarter, around clone(2)
                                rand $((t_start / (1 + 3 * (i % 2)) + 1))
                                delay=$R
                                cmd="sleep 60"
                        else
                                rand $((t_build - t_start + 1))
                                delay=$((t_start + R))
                                cmd="$BUILD && sleep 60"
                        fi
                        WHAT="$phase: kill -9 of the $victim after $delay ms (seed $SEED, $phase $victim $i)"
                        kill_run $victim $delay run "$P" -- sh -c "$cmd" "$MARK"
                        count "$phase/$victim/$KILLED/$RC"
                        after_kill $victim
                        reenter
                        i=$((i + 1))
                done
        done
done
# After all that, the build works from scratch and its program runs.
capture "$XHYBRID" run "$P" -- sh -c "$BUILD && xh-fault-prog"
expect_rc 0 "the build after the kills"
expect_out "^c$" "the build after the kills"
capture "$XHYBRID" run --ephemeral "$P" -- cat /etc/xh-fault-installed
expect_rc 0 "a throwaway session after the kills"

# create: from nothing (even i) and --force over a root with an upper (odd i).
t0=$(now_ms)
capture "$XHYBRID" create "$C"
t_create=$(($(now_ms) - t0))
expect_rc 0 "create with the stand-in mmdebstrap"
key=$(basename "$(root_of "$C")")
[ -n "$key" ] || fail "create made no root: $ERR"
echo "$TEST_NAME: create $t_create ms"
for victim in xhybrid init command; do
        i=0
        while [ $i -lt "$N" ]; do
                force=
                if [ $((i % 2)) = 1 ]; then
                        force=--force
                        capture "$XHYBRID" run --emulated "$C" -- sh -c 'echo old >/etc/xh-gen'
                        expect_rc 0 "an upper over the root"
                else
                        rm -rf "$XHYBRID_STORE/roots/$key"
                fi
                before=$(stat -c %i "$XHYBRID_STORE/roots/$key" 2>/dev/null)
                rand $((t_create + 1))
                WHAT="create $force: kill -9 of the $victim after $R ms (seed $SEED, create $victim $i)"
                kill_run $victim $R create $force "$C"
                count "create/$victim/$KILLED/$RC"
                after_kill $victim
                # A whole root or none, never a half-made one.
                capture "$XHYBRID" run --emulated --ephemeral "$C" -- true
                case $RC in
                0) ;;
                125) expect_err "no root for profile '$C'" "$WHAT: a session after the kill" ;;
                *) fail "$WHAT: a session after the kill: exit $RC: $ERR" ;;
                esac
                after=$(stat -c %i "$XHYBRID_STORE/roots/$key" 2>/dev/null)
                if [ -n "$force" ] && [ "$after" != "$before" ] &&
                        [ -e "$XHYBRID_STORE/sessions/$C/upper/etc/xh-gen" ]; then
                        fail "$WHAT: the upper made over the old root is still there over the new one"
                fi
                # The next create repairs what the killed one left.
                capture "$XHYBRID" create "$C"
                expect_rc 0 "$WHAT: the next create"
                capture "$XHYBRID" run --emulated --ephemeral "$C" -- cat /etc/passwd
                expect_rc 0 "$WHAT: a session after the repair"
                i=$((i + 1))
        done
done
ls "$XHYBRID_STORE/roots" | grep -q '\.tmp$' && fail "an unfinished root is left after the repairs"

# One line per (phase, victim): kills done (the rest ended before their
# delay) and the exit statuses seen.
echo "$stats" | tr ' ' '\n' | grep . | awk -F/ '{ k = $1 "/" $2; n[k]++; if ($3 == 1) killed[k]++; rc[k "/" $4]++ }
        END { for (k in n) { s = ""; for (r in rc) if (index(r, k "/") == 1) s = s " " substr(r, length(k) + 2) " x" rc[r];
                printf "%s: %d runs, %d killed, exit statuses%s\n", k, n[k], killed[k], s } }' |
        sort | sed "s/^/$TEST_NAME: /"
pass "seed $SEED, $N per phase and victim"
