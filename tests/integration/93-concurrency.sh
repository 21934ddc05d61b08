# Sessions and creates of one profile at the same time. Sessions share the
# read-only layers: two throwaway sessions, a persistent and a throwaway one,
# and four compiling at once all work and build the same program; a second
# session on one persistent upper is refused with the 'in use' message. Two
# creates: the second is refused while the first builds. create racing
# sessions: a session never starts on a root being made or replaced, and
# create --force never replaces a root (nor drops an upper) under a running
# session. Afterwards the root is whole and the upper holds what it held.
# A scratch store (the shared root and toolchain layer hard linked) and a
# small profile created by a stand-in mmdebstrap (see lib.sh).
. "$(dirname "$0")/lib.sh"
in_private_mounts
need_root
private_scratch
scratch_store xhtest-race 0.2
P=$PROFILE
C=xhtest-race
cd "$SCRATCH"
write_hello_sources

# wait_for FILE...: until each exists (30 s at most).
wait_for() {
        for _f; do
                _i=0
                while [ ! -e "$_f" ] && [ $_i -lt 300 ]; do
                        sleep 0.1
                        _i=$((_i + 1))
                done
                [ -e "$_f" ] || fail "$_f did not appear in 30 s"
        done
}
# wait_tmp: until a create has begun its root (STORE/roots/KEY.tmp/rootfs).
wait_tmp() {
        _i=0
        while ! ls -d "$XHYBRID_STORE"/roots/*.tmp/rootfs >/dev/null 2>&1 && [ $_i -lt 300 ]; do
                sleep 0.1
                _i=$((_i + 1))
        done
        ls -d "$XHYBRID_STORE"/roots/*.tmp/rootfs >/dev/null 2>&1 || fail "no create began in 30 s"
}
# A session that marks itself ready, waits for 'go', then builds and reports.
HOLD='echo "$0" >/etc/xh-who; touch "ready-$0"; while [ ! -e go ]; do sleep 0.05; done
cc -O2 -o "prog-$0" hello.c && ./"prog-$0" && cat /etc/xh-who'

# Two throwaway sessions: each sees its own changes only.
rm -f go ready-*
"$XHYBRID" run --ephemeral "$P" -- sh -c "$HOLD" A >out-A 2>&1 &
a=$!
"$XHYBRID" run --ephemeral "$P" -- sh -c "$HOLD" B >out-B 2>&1 &
b=$!
BG_PIDS="$a $b"
wait_for ready-A ready-B
touch go
wait $a || fail "throwaway session A: $(cat out-A)"
wait $b || fail "throwaway session B: $(cat out-B)"
[ "$(cat out-A)" = "$(printf 'hello\nA')" ] || fail "throwaway session A printed: $(cat out-A)"
[ "$(cat out-B)" = "$(printf 'hello\nB')" ] || fail "throwaway session B printed: $(cat out-B)"

# A persistent session and a throwaway one beside it; then a second writer.
capture "$XHYBRID" run "$P" -- sh -c 'echo before >/etc/xh-persist'
expect_rc 0 "persistent session"
rm -f go ready-*
"$XHYBRID" run "$P" -- sh -c "$HOLD" P >out-P 2>&1 &
p=$!
BG_PIDS=$p
wait_for ready-P
capture "$XHYBRID" run --ephemeral "$P" -- sh -c 'cat /etc/xh-persist; echo e >/etc/xh-from-e'
expect_rc 0 "throwaway session beside a persistent one"
[ "$OUT" = before ] || fail "the throwaway session did not see the persistent upper: '$OUT'"
capture "$XHYBRID" run "$P" -- true
expect_rc 125 "second persistent session"
expect_err "profile '$P' is in use by another session (pid $p)" "second persistent session"
expect_err "hint: wait for it to end, or add --ephemeral" "second persistent session"
[ "$(printf '%s\n' "$ERR" | grep -c '^xhybrid: ')" = 2 ] || fail "second persistent session: not one message: $ERR"
touch go
wait $p || fail "persistent session: $(cat out-P)"
[ "$(cat out-P)" = "$(printf 'hello\nP')" ] || fail "persistent session printed: $(cat out-P)"
capture "$XHYBRID" run "$P" -- sh -c 'cat /etc/xh-who /etc/xh-persist; test ! -e /etc/xh-from-e'
expect_rc 0 "the upper after both"
[ "$OUT" = "$(printf 'P\nbefore')" ] || fail "the upper after both holds: $OUT"

# Four sessions compiling at once (three throwaway, one persistent) build the same program.
rm -f go ready-*
pids=
for s in E1 E2 E3 P1; do
        mode=--ephemeral
        [ $s = P1 ] && mode=
        "$XHYBRID" run $mode "$P" -- sh -c "$HOLD" $s >out-$s 2>&1 &
        pids="$pids $!"
done
BG_PIDS=$pids
wait_for ready-E1 ready-E2 ready-E3 ready-P1
touch go
for pid in $pids; do
        wait $pid || fail "one of four sessions at once failed: $(cat out-E1 out-E2 out-E3 out-P1)"
done
for s in E1 E2 E3; do
        cmp -s prog-$s prog-P1 || fail "sessions at once built different programs (prog-$s, prog-P1)"
done

# Two creates of one profile: the second is refused while the first builds.
"$XHYBRID" create "$C" >create1.log 2>&1 &
c1=$!
BG_PIDS=$c1
wait_tmp
capture "$XHYBRID" create "$C"
expect_rc 125 "a second create"
expect_err "another 'xhybrid create' is building this root" "a second create"
expect_err "hint: wait for it to finish" "a second create"
# A session does not start on the root being made.
capture "$XHYBRID" run --emulated --ephemeral "$C" -- true
expect_rc 125 "a session during the first create"
expect_err "no root for profile '$C'" "a session during the first create"
wait $c1 || fail "the first create failed: $(cat create1.log)"
capture "$XHYBRID" create "$C"
expect_rc 0 "a create once the root exists"
expect_err "root for '$C' exists" "a create once the root exists"

# create --force is refused while sessions use the root, and they run on.
capture "$XHYBRID" run --emulated "$C" -- sh -c 'echo mine >/etc/xh-upper'
expect_rc 0 "persistent session of $C"
for mode in --ephemeral ""; do
        rm -f go ready-*
        "$XHYBRID" run --emulated $mode "$C" -- sh -c 'touch ready-S; while [ ! -e go ]; do sleep 0.05; done; cat /etc/passwd /etc/xh-upper >/dev/null && echo ran' S >out-S 2>&1 &
        s=$!
        BG_PIDS=$s
        wait_for ready-S
        capture "$XHYBRID" create --force "$C"
        expect_rc 125 "create --force beside a ${mode:-persistent} session"
        expect_err "the root of profile '$C' (.*) is in use by a running session" "create --force beside a ${mode:-persistent} session"
        expect_err "hint: end the sessions that use it" "create --force beside a ${mode:-persistent} session"
        touch go
        wait $s || fail "the ${mode:-persistent} session beside create --force failed: $(cat out-S)"
        [ "$(cat out-S)" = ran ] || fail "the ${mode:-persistent} session beside create --force: $(cat out-S)"
done

# Sessions started while create --force replaces the root are refused.
"$XHYBRID" create --force "$C" >create2.log 2>&1 &
c2=$!
BG_PIDS=$c2
wait_tmp
for mode in --ephemeral ""; do
        capture "$XHYBRID" run --emulated $mode "$C" -- true
        expect_rc 125 "a ${mode:-persistent} session during create --force"
        expect_err "the root of profile '$C' is being made or replaced by 'xhybrid create'" "a ${mode:-persistent} session during create --force"
done
wait $c2 || fail "create --force failed: $(cat create2.log)"
grep -q "discarding the persistent changes of '$C'" create2.log || fail "create --force kept the upper: $(cat create2.log)"
capture "$XHYBRID" run --emulated "$C" -- sh -c 'test ! -e /etc/xh-upper && cat /etc/passwd >/dev/null'
expect_rc 0 "a session on the new root"
ls "$XHYBRID_STORE/roots" | grep -q '\.\(tmp\|old\)$' && fail "leftovers in the store: $(ls "$XHYBRID_STORE/roots")"
pass
