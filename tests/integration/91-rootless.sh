# A caller that is not root runs sessions in its own user namespace (one id
# mapped: 0 inside is the caller) and the files it creates in the bound
# working directory are its own. Uses a copy of the root in a scratch store.
. "$(dirname "$0")/lib.sh"
need_root
[ "$(id -u)" -eq 0 ] || skip "needs root to prepare a store for another user"
command -v setpriv >/dev/null || skip "setpriv is missing (apt-get install util-linux)"
scratch
xhybrid_for_user
uid=47011
root=$("$XHYBRID" profiles show "$PROFILE" | sed -n 's/^# root: \(.*\)\/rootfs (created)$/\1/p')
[ -n "$root" ] || fail "no root for $PROFILE"
mkdir -p "$SCRATCH/store/roots" "$SCRATCH/work"
cp -a "$root" "$SCRATCH/store/roots/" || fail "cannot copy the root"
chown $uid:$uid "$SCRATCH/store" "$SCRATCH/work"
cd "$SCRATCH/work"
as_user() {
        setpriv --reuid=$uid --regid=$uid --clear-groups \
                env HOME="$SCRATCH/work" XHYBRID_STORE="$SCRATCH/store" "$USER_XHYBRID" "$@"
}
capture as_user run --emulated --ephemeral "$PROFILE" -- sh -c 'id -u; uname -m; echo mine > made.txt; mkdir sub; exit 5'
expect_rc 5 "rootless session"
[ "$OUT" = "$(printf '0\n%s' "$MACHINE")" ] || fail "rootless session printed '$OUT'"
[ "$(stat -c %u:%g made.txt)" = "$uid:$uid" ] || fail "made.txt is owned by $(stat -c %u:%g made.txt), not the caller"
[ "$(stat -c %u:%g sub)" = "$uid:$uid" ] || fail "sub/ is owned by $(stat -c %u:%g sub), not the caller"
# Its persistent upper is its own too (the root's files stay root's: with one
# id mapped they are read-only inside, so the change goes to a new directory).
capture as_user run --emulated "$PROFILE" -- sh -c 'mkdir -p /tmp/x && echo kept > made2.txt && id -u'
expect_rc 0 "rootless persistent session"
[ "$(stat -c %u "$SCRATCH/store/sessions/$PROFILE/upper")" = $uid ] ||
        fail "the persistent upper is not the caller's"
pass
