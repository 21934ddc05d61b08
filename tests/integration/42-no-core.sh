# A command that dies of a signal makes xhybrid die of the same signal, and
# xhybrid leaves no core of its own in the caller's directory (the command
# itself dumps none: only xhybrid could leave one).
. "$(dirname "$0")/lib.sh"
need_root
case $(cat /proc/sys/kernel/core_pattern) in
'|'* | /*) skip "core dumps go to $(cat /proc/sys/kernel/core_pattern), not to the current directory" ;;
esac
scratch
cd "$SCRATCH"
(
        ulimit -c unlimited
        exec "$XHYBRID" run --ephemeral "$PROFILE" -- sh -c 'ulimit -c 0; kill -SEGV $$'
) 2>/dev/null
rc=$?
[ "$rc" -eq 139 ] || fail "exit status $rc, expected 139 (SIGSEGV)"
[ -z "$(ls -A "$SCRATCH")" ] || fail "files left in the caller's directory: $(ls -A "$SCRATCH")"
pass
