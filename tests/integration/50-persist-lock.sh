# The persistent upper keeps changes between sessions, --ephemeral throws them
# away, and two sessions cannot write the same upper at once.
. "$(dirname "$0")/lib.sh"
need_root
scratch
# A profile with the same recipe shares the root but has its own upper.
export XDG_CONFIG_HOME="$SCRATCH/config"
twin_profile xhtest-persist
fresh_upper xhtest-persist
P=xhtest-persist

capture "$XHYBRID" run "$P" -- sh -c 'echo kept > /etc/xh-persist && test -f /etc/xh-persist'
expect_rc 0 "write in a persistent session"
capture "$XHYBRID" run "$P" -- cat /etc/xh-persist
expect_rc 0 "read back"
[ "$OUT" = kept ] || fail "persistent change lost: '$OUT'"
capture "$XHYBRID" run --ephemeral "$P" -- sh -c 'rm /etc/xh-persist && echo gone > /etc/xh-eph'
expect_rc 0 "ephemeral change"
capture "$XHYBRID" run "$P" -- sh -c 'cat /etc/xh-persist; test ! -e /etc/xh-eph'
expect_rc 0 "ephemeral change thrown away"
[ "$OUT" = kept ] || fail "an ephemeral session changed the upper"
[ -f "$STORE/sessions/$P/upper/etc/xh-persist" ] || fail "the change is not in the upper"

cd "$SCRATCH"
"$XHYBRID" run "$P" -- sh -c 'touch held; sleep 30' &
holder=$!
i=0
while [ ! -f held ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
capture "$XHYBRID" run "$P" -- true
expect_rc 125 "second writer"
expect_err "profile '$P' is in use by another session" "second writer"
expect_err "--ephemeral" "second writer hint"
capture "$XHYBRID" run --ephemeral "$P" -- cat /etc/xh-persist
expect_rc 0 "ephemeral beside a persistent session"
kill -TERM $holder
wait $holder
capture "$XHYBRID" run "$P" -- true
expect_rc 0 "lock released after the session"
pass
