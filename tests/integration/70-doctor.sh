# doctor checks this host for real and says sessions can run.
. "$(dirname "$0")/lib.sh"
capture "$XHYBRID" doctor "$PROFILE"
if [ "$RC" -ne 0 ]; then
        printf '%s\n' "$OUT" >&2
        skip "this host cannot run sessions"
fi
for what in "kernel" "user + mount + PID namespaces" "overlayfs in a user namespace" \
        "proc in a new PID namespace" "private binfmt_misc" "emulator for $PROFILE" "store"; do
        printf '%s\n' "$OUT" | grep -q "^ok    *$what" || fail "doctor line for '$what' missing or not ok: $OUT"
done
expect_out "sessions can run on this host" "doctor"
pass
