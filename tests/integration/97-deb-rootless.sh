# A plain user builds a Debian source package from its .dsc with xhybrid deb
# (emulated, in a store of its own whose root it owns, as a root made by that
# user is): the packages, .buildinfo, .changes and log in the output
# directory are the caller's files, the files inside the .deb are
# root/root.
. "$(dirname "$0")/lib.sh"
need_root
[ "$(id -u)" -eq 0 ] || skip "needs root to prepare a store for another user"
command -v setpriv >/dev/null || skip "setpriv is missing (apt-get install util-linux)"
command -v dpkg-source >/dev/null || skip "dpkg-source is missing (apt-get install dpkg-dev)"
scratch
xhybrid_for_user
uid=47012
root=$("$XHYBRID" profiles show "$PROFILE" | sed -n 's/^# root: \(.*\)\/rootfs (created)$/\1/p')
[ -n "$root" ] || fail "no root for $PROFILE"
mkdir -p "$SCRATCH/store/roots" "$SCRATCH/work"
cp -a "$root" "$SCRATCH/store/roots/" || fail "cannot copy the root"
chown -R $uid:$uid "$SCRATCH/store" "$SCRATCH/work" || fail "cannot give the store to $uid"

write_tiny_package "$SCRATCH/work/xh-tiny"
(cd "$SCRATCH/work" && dpkg-source -b xh-tiny >/dev/null) || fail "dpkg-source -b"
chown -R $uid:$uid "$SCRATCH/work"
cd "$SCRATCH/work"
as_user() {
        setpriv --reuid=$uid --regid=$uid --clear-groups \
                env HOME="$SCRATCH/work" XHYBRID_STORE="$SCRATCH/store" "$USER_XHYBRID" "$@"
}
capture as_user deb --emulated "$PROFILE" xh-tiny_1.0.dsc -o out
expect_rc 0 "a plain user's xhybrid deb of a .dsc"
expect_out "^xh-tiny 1.0 for $PROFILE (emulated): dpkg-buildpackage exit status 0$" "the summary"
for f in xh-tiny_1.0_$ARCH.deb xh-tiny_1.0_$ARCH.buildinfo xh-tiny_1.0_$ARCH.changes \
        xh-tiny_1.0_$ARCH.build; do
        [ -f "out/$f" ] || fail "no out/$f (out: $(ls out))"
        [ "$(stat -c %u:%g "out/$f")" = "$uid:$uid" ] ||
                fail "out/$f belongs to $(stat -c %u:%g "out/$f"), not the caller"
done
[ "$(stat -c %u:%g out)" = "$uid:$uid" ] || fail "out/ belongs to $(stat -c %u:%g out), not the caller"
[ "$(dpkg-deb -f out/xh-tiny_1.0_$ARCH.deb Architecture)" = "$ARCH" ] || fail "the .deb is not $ARCH"
dpkg-deb -c out/xh-tiny_1.0_$ARCH.deb >listing || fail "dpkg-deb -c"
[ "$(awk '{print $2}' listing | sort -u)" = root/root ] ||
        fail "not every file of the .deb belongs to root/root: $(cat listing)"
grep -q '^-rwxr-xr-x root/root .* \./usr/bin/xh-tiny$' listing || fail "no /usr/bin/xh-tiny: $(cat listing)"
pass
