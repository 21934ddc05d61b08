# A store on overlayfs (the root file system of a container) cannot hold an
# overlay upper: there the persistent upper is the archive
# STORE/sessions/PROFILE/upper.tar, restored into each session's tmpfs and
# saved back at its end. The test makes a scratch store on overlayfs whose
# roots are hard links to the shared store's (copies on another file
# system): on the host it mounts an overlayfs for it in a mount namespace of
# its own (the host never sees the mount); inside a container, where /tmp is
# on overlayfs already, a directory there is the store (a second overlayfs
# below the session's would pass the kernel's stacking limit of two). It
# checks that whiteouts, opaque directories, packages installed and removed,
# owners, hard links and fifos survive exactly; that a throwaway session sees
# the state and leaves it alone; that xhybrid killed during a session or
# during the save, or a save that finds the disk full (a small tmpfs over
# the profile's directory), leaves the previous state whole; that the lock
# holds through the save; that the session's processes cannot reach init's
# open files; and that doctor says what it will do.
. "$(dirname "$0")/lib.sh"

if [ -z "${XH_OVL_SCRATCH:-}" ]; then
        [ "$(id -u)" -eq 0 ] || skip "needs root to mount the scratch store's overlayfs"
        command -v unshare >/dev/null || skip "needs unshare (apt-get install util-linux)"
        command -v dpkg-deb >/dev/null || skip "needs dpkg-deb (apt-get install dpkg)"
        command -v python3 >/dev/null || skip "needs python3 (apt-get install python3)"
        need_root
        scratch
        root=$("$XHYBRID" profiles show "$PROFILE" | sed -n 's/^# root: \(.*\)\/rootfs .*/\1/p')
        tc=$("$XHYBRID" profiles show "$PROFILE" | sed -n 's/^# toolchain layer: \(.*\)\/rootfs .*/\1/p')
        [ -d "$root" ] && [ -d "$tc" ] || fail "cannot find the root and toolchain layer of $PROFILE"
        mkdir -p "$SCRATCH/lower/roots" "$SCRATCH/lower/layers" "$SCRATCH/upper" "$SCRATCH/ovl" \
                "$SCRATCH/store" "$SCRATCH/work"
        # Hard links where the file system allows, copies elsewhere; never binds.
        cp_flag=-al
        [ "$(stat -c %d "$root")" = "$(stat -c %d "$SCRATCH")" ] || cp_flag=-a
        cp $cp_flag "$root" "$SCRATCH/lower/roots/" || fail "cannot copy $root"
        cp $cp_flag "$tc" "$SCRATCH/lower/layers/" || fail "cannot copy $tc"
        XH_OVL_SCRATCH=$SCRATCH unshare -m --propagation private sh "$0"
        rc=$?
        if grep -q "$SCRATCH" /proc/self/mountinfo; then
                fail "a mount of the scratch store is visible on the host"
        fi
        exit $rc
fi

# ---- in a mount namespace of its own ------------------------------------
SCRATCH=$XH_OVL_SCRATCH
if [ "$(stat -f -c %T "$SCRATCH")" = overlayfs ]; then
        export XHYBRID_STORE="$SCRATCH/lower"
else
        mount -t overlay overlay \
                -o "lowerdir=$SCRATCH/lower,upperdir=$SCRATCH/upper,workdir=$SCRATCH/ovl" \
                "$SCRATCH/store" || fail "cannot mount the scratch store's overlayfs"
        export XHYBRID_STORE="$SCRATCH/store"
fi
[ "$(stat -f -c %T "$XHYBRID_STORE")" = overlayfs ] || fail "the scratch store is not on overlayfs"
P=$PROFILE
A=$XHYBRID_STORE/sessions/$P/upper.tar
mounts=$(cat /proc/self/mountinfo)
cd "$SCRATCH/work"

sum() { sha256sum "$A" | cut -d' ' -f1; }

capture "$XHYBRID" doctor "$P"
expect_rc 0 "doctor with the store on overlayfs"
expect_out "^ok  *overlayfs in a user namespace  *works as sessions use it on the store's overlayfs" \
        "doctor probes the store's own file system"
expect_out "^ok  *persistent uppers  *store on overlayfs: persistent changes are saved to $XHYBRID_STORE/sessions/PROFILE/upper.tar at session end" \
        "doctor says where changes go"

# A package to install, made here (arch all).
mkdir -p pkg/DEBIAN pkg/usr/share/xhtest
printf 'Package: xhtest-pkg\nVersion: 1.0\nArchitecture: all\nMaintainer: x <x@example.org>\nDescription: test\n' \
        >pkg/DEBIAN/control
echo payload >pkg/usr/share/xhtest/data
dpkg-deb --build pkg xhtest.deb >/dev/null || fail "cannot build the test package"

# 1. A persistent session changes the root every way overlayfs records.
capture "$XHYBRID" run "$P" -- sh -c '
        set -e
        echo kept > /etc/xh-file
        rm /etc/issue
        rm -rf /usr/share/doc/sed && mkdir /usr/share/doc/sed && echo only > /usr/share/doc/sed/only
        dpkg -i xhtest.deb >/dev/null
        for f in $(dpkg -L libglib2.0-dev); do
                if [ -f "$f" ] && [ ! -L "$f" ]; then echo "$f" > removed-file; break; fi
        done
        dpkg -r libglib2.0-dev >/dev/null
        ln /etc/xh-file /etc/xh-hard
        chown 42:42 /etc/xh-file
        mkfifo /etc/xh-fifo
        cp /.xhybrid/orig/usr/bin/sed /usr/bin/sed.new && mv /usr/bin/sed.new /usr/bin/sed
        # init holds directories of the store: none may be reachable through /proc/1.
        n=0
        for f in /proc/1/fd/*; do
                n=$((n + 1))
                if readlink "$f" >/dev/null 2>&1 || ls "$f/" >/dev/null 2>&1; then
                        echo "reached $f"
                fi
        done
        [ $n -gt 2 ] || echo "only $n fds of init listed"'
expect_rc 0 "persistent session on a store on overlayfs"
[ -z "$OUT" ] || fail "the session reached what init holds open: $OUT"
[ -f "$A" ] || fail "no archive $A after a persistent session"
[ ! -e "$A.new" ] || fail "$A.new left after a save"
[ ! -e "$XHYBRID_STORE/sessions/$P/upper" ] || fail "an upper directory was made on overlayfs"
[ "$(stat -c %a "$A")" = 600 ] || fail "the archive is not private: $(stat -c %a "$A")"
tar -tvf "$A" | grep -q '^c---------.* 0,0 .* \./etc/issue$' || fail "no whiteout for /etc/issue in the archive"
# A file of the removed package, or a directory above it, is a whiteout.
file=$(cat removed-file)
[ -n "$file" ] || fail "libglib2.0-dev lists no regular file"
whiteouts=$(tar -tvf "$A" | sed -n 's/^c---------.* 0,0 .* \.\(\/.*\)$/\1/p')
found=
p=$file
while [ -n "$p" ]; do
        printf '%s\n' "$whiteouts" | grep -qx "$p" && found=$p
        p=${p%/*}
done
[ -n "$found" ] || fail "no whiteout for $file of the removed package, nor above it: $whiteouts"
before=$(sum)

# 2. The next session sees exactly that state, and saving it again changes no byte.
check='
        set -e
        test "$(cat /etc/xh-file)" = kept
        test ! -e /etc/issue
        test "$(ls -A /usr/share/doc/sed)" = only
        test "$(cat /usr/share/xhtest/data)" = payload
        test "$(dpkg-query -W -f "\${db:Status-Status}" xhtest-pkg)" = installed
        test "$(dpkg-query -W -f "\${db:Status-Status}" libglib2.0-dev)" != installed
        test ! -e "$(cat removed-file)"
        test "$(stat -c %u:%g:%h /etc/xh-file)" = 42:42:2
        test /etc/xh-hard -ef /etc/xh-file
        test -p /etc/xh-fifo
        echo state ok'
capture "$XHYBRID" run "$P" -- sh -c "$check"
expect_rc 0 "second session"
[ "$OUT" = "state ok" ] || fail "the second session sees another state: $OUT $ERR"
expect_err "running emulated, as a package operation in the session upper $A replaced them: /usr/bin/sed" \
        "the replaced tool is read from the archive"
[ "$(sum)" = "$before" ] || fail "a session that changed nothing saved a different archive"
"$XHYBRID" profiles show "$P" | grep -q '/usr/bin/sed .* emulated (replaced in the session upper)$' ||
        fail "profiles show does not read the replaced sed from the archive"

# 3. A throwaway session sees the state and changes none of it.
capture "$XHYBRID" run --ephemeral "$P" -- sh -c "$check"'
        rm /etc/xh-file; echo eph > /etc/xh-eph; dpkg -r xhtest-pkg >/dev/null'
expect_rc 0 "throwaway session"
[ "$(sum)" = "$before" ] || fail "a throwaway session changed the archive"
capture "$XHYBRID" run "$P" -- sh -c "$check"'; test ! -e /etc/xh-eph'
expect_rc 0 "the throwaway session's changes are gone"

# 4. xhybrid killed while the command runs: nothing saved, the next session works.
"$XHYBRID" run "$P" -- sh -c 'echo lost > /etc/xh-lost; touch started; sleep 60' &
pid=$!
i=0
while [ ! -e started ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
[ -e started ] || fail "the session did not start"
kill -KILL $pid
wait $pid
[ "$(sum)" = "$before" ] || fail "xhybrid killed during a session changed the archive"
capture "$XHYBRID" run "$P" -- sh -c "$check"'; test ! -e /etc/xh-lost'
expect_rc 0 "a session after a killed one"

# 5. Killed during the save: the old archive stays whole, and the lock holds until then.
# init (xhybrid's child) is stopped as soon as the save has begun writing.
"$XHYBRID" run "$P" -- sh -c 'head -c 300M /dev/zero > /root/big' &
pid=$!
python3 - "$A.new" $pid <<'PY' || fail "could not stop the session during its save"
import os, signal, sys, time
path, xhybrid = sys.argv[1], int(sys.argv[2])
end = time.time() + 120
while time.time() < end:
    try:
        if os.stat(path).st_size > 0:
            break
    except FileNotFoundError:
        pass
    time.sleep(0.001)
else:
    sys.exit("the save of a 300 MiB upper did not start")
for d in os.listdir("/proc"):
    try:
        with open(f"/proc/{d}/stat") as f:
            if d.isdigit() and int(f.read().rsplit(")", 1)[1].split()[1]) == xhybrid:
                os.kill(int(d), signal.SIGSTOP)
                sys.exit(0)
    except (OSError, ValueError):
        pass
sys.exit("no init under xhybrid")
PY
capture "$XHYBRID" run "$P" -- true
expect_rc 125 "a second session during the save"
expect_err "profile '$P' is in use by another session" "the lock holds during the save"
kill -KILL $pid
wait $pid
[ -s "$A.new" ] || fail "no partial save $A.new after xhybrid was killed during its save"
[ "$(sum)" = "$before" ] || fail "xhybrid killed during the save changed the archive"
capture "$XHYBRID" run "$P" -- sh -c "$check"'; test ! -e /root/big'
expect_rc 0 "a session after a save cut short"
[ ! -e "$A.new" ] || fail "the partial save $A.new is still there"

# 6. A full disk: the save fails with an error naming the archive; the old state stays.
# The profile's directory becomes a tmpfs with room for the archive and 4 MiB more.
cp "$A" "$SCRATCH/saved.tar"
mount -t tmpfs -o size=$(($(stat -c %s "$A") + 4 * 1024 * 1024)) tmpfs "$XHYBRID_STORE/sessions/$P" ||
        fail "cannot mount a tmpfs over the profile's directory"
cp "$SCRATCH/saved.tar" "$A"
capture "$XHYBRID" run "$P" -- sh -c 'head -c 16M /dev/zero > /root/big; echo unsaved > /etc/xh-unsaved'
expect_rc 125 "a save that finds the disk full"
expect_err "the session's changes were not saved (its command exited with status 0): cannot .*$A.new.*: No space left on device" \
        "full disk"
expect_err "hint: .*$A still holds the state from before it (free space on its file system" \
        "full disk hint"
[ ! -e "$A.new" ] || fail "a failed save left $A.new"
[ "$(sum)" = "$before" ] || fail "a failed save changed the archive"
umount "$XHYBRID_STORE/sessions/$P" || fail "cannot unmount the tmpfs over the profile's directory"
capture "$XHYBRID" run "$P" -- sh -c "$check"'; test ! -e /etc/xh-unsaved'
expect_rc 0 "a session after a failed save"

[ "$(cat /proc/self/mountinfo)" = "$mounts" ] || fail "sessions left mounts behind"
pass
