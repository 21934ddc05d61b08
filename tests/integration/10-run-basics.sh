# uname inside is the target's even with the host's own entry for it off;
# exit codes and signals pass through; --dry-run mounts nothing.
. "$(dirname "$0")/lib.sh"
need_root
host_entry=/proc/sys/fs/binfmt_misc/qemu-$QEMU
restore=
if [ -f "$host_entry" ] && head -1 "$host_entry" | grep -q enabled; then
        echo 0 >"$host_entry" || fail "cannot disable $host_entry"
        restore=1
        trap 'echo 1 > "$host_entry"' EXIT
fi
capture "$XHYBRID" run --ephemeral "$PROFILE" -- uname -m
expect_rc 0 "uname -m"
[ "$OUT" = "$MACHINE" ] || fail "uname -m printed '$OUT', expected $MACHINE"
[ -z "$restore" ] || head -1 "$host_entry" | grep -q disabled || fail "host entry was re-enabled"

capture "$XHYBRID" run --ephemeral "$PROFILE" -- sh -c 'exit 7'
expect_rc 7 "sh -c 'exit 7'"

# A command killed by a signal: xhybrid dies of the same signal.
capture sh -c '"$0" run --ephemeral "$1" -- sh -c "kill -TERM \$\$"; echo "status=$?"' "$XHYBRID" "$PROFILE"
expect_out "status=143" "command killed by SIGTERM"

# A SIGTERM sent to xhybrid reaches the command, which can react to it.
marker=$(mktemp -d /tmp/xhybrid-test.XXXXXX)
cd "$marker"
"$XHYBRID" run --ephemeral "$PROFILE" -- sh -c 'trap "echo got-term > term.txt; exit 3" TERM; echo ready > ready.txt; while :; do sleep 0.1; done' &
pid=$!
i=0
while [ ! -f ready.txt ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
kill -TERM $pid
wait $pid
rc=$?
[ "$rc" -eq 3 ] || fail "SIGTERM to xhybrid: exit status $rc, expected 3"
grep -q got-term term.txt || fail "the command did not see the SIGTERM"
cd / && rm -rf "$marker"

capture "$XHYBRID" run "$PROFILE" -- no-such-command-xh
expect_rc 127 "missing command"
expect_err "no-such-command-xh: command not found" "missing command"

capture "$XHYBRID" run --dry-run "$PROFILE" -- true
expect_rc 0 "--dry-run"
expect_out "^overlay" "--dry-run"
expect_out "^binfmt-register" "--dry-run"
expect_out "^pivot-root" "--dry-run"
pass
