# doctor, run by a plain user, names each piece that a session with all of a
# root's ids needs and that is missing, with the exact fix: its range in
# /etc/subuid and /etc/subgid, a kernel that lets it make user namespaces,
# and a kernel with a binfmt_misc per namespace (6.7). The host is not
# changed: the user, its ranges and the kernel setting are copies bound over
# the host's files in a mount namespace of the test's own, and the old
# kernel is what uname says under setarch --uname-2.6. create, without a
# range, stops before it builds anything, with the same fix.
. "$(dirname "$0")/lib.sh"
in_private_mounts
need_sessions
private_scratch
xhybrid_for_user
plain_user 47013 xh-plain
cd "$USER_HOME"
fix_indent=$(printf '%41s' '')
has_line() {
        printf '%s\n' "$OUT" | grep -qxF -- "$1" || fail "$2: doctor lacks the line '$1': $OUT"
}

# No range: a warning (sessions still run, with the caller alone mapped) and
# the usermod that adds one above every range of the file.
echo "xh-someone:100000:65536" >>"$SCRATCH/etc/subuid"
start=$(awk -F: 'BEGIN { m = 100000 } NF == 3 && $2 + $3 > m { m = $2 + $3 } END { print m }' /etc/subuid)
capture as_plain_user doctor "$PROFILE"
expect_rc 0 "doctor of a user without a range"
for f in subuid subgid; do
        has_line "warn  subordinate ids (/etc/$f)      no range for user xh-plain (uid 47013) in /etc/$f; sessions map only the caller (as 0): create, and apt-get or dpkg in a session, need the other ids of a root" \
                "no range in /etc/$f"
done
has_line "${fix_indent}fix: usermod --add-subuids $start-$((start + 65535)) xh-plain (as root)" "the fix for /etc/subuid"
printf '%s\n' "$OUT" | grep -qx "sessions can run on this host" || fail "doctor without a range: $OUT"

# create refuses to start without a range (mmdebstrap would fail at the first
# file of another owner), with the same fix, and builds nothing.
export XDG_CONFIG_HOME="$SCRATCH/config"
small_profile xh-small
capture as_plain_user create xh-small
expect_rc 125 "create without a range"
expect_err "^xhybrid: no range for user xh-plain (uid 47013) in /etc/subuid: " "create without a range"
expect_err "^xhybrid: hint: add one as root: usermod --add-subuids $start-$((start + 65535)) xh-plain " \
        "create without a range"
[ -z "$(ls "$USER_STORE/roots" 2>/dev/null | grep -v '\.lock$')" ] || fail "create without a range left $(ls "$USER_STORE/roots")"
# A range newuidmap refuses (it holds the caller's own uid, which the kernel
# takes as an overlap): create fails with newuidmap's own message.
plain_range 40000:65536
capture as_plain_user create xh-small
expect_rc 125 "create with a range newuidmap refuses"
expect_err "^xhybrid: /usr/bin/newuidmap failed: newuidmap: " "create with a range newuidmap refuses"
[ -z "$(ls "$USER_STORE/roots" 2>/dev/null | grep -v '\.lock$')" ] || fail "a failed create left $(ls "$USER_STORE/roots")"

capture as_plain_user doctor "$PROFILE"
expect_rc 0 "doctor with a range that holds the caller's uid"
has_line "warn  subordinate ids (/etc/subuid)      40000-105535 for xh-plain holds the caller's own id 47013, which the kernel refuses to map twice; sessions map only the caller (as 0): create, and apt-get or dpkg in a session, need the other ids of a root" \
        "a range that holds the caller's uid"
fixed=$(awk -F: 'BEGIN { m = 100000 } NF == 3 && $2 + $3 > m { m = $2 + $3 } END { print m }' /etc/subuid)
has_line "${fix_indent}fix: usermod --del-subuids 40000-105535 --add-subuids $fixed-$((fixed + 65535)) xh-plain (as root)" \
        "the fix of a range that holds the caller's uid"

# A range: both lines are ok and name it.
plain_range 400000:65536
capture as_plain_user doctor "$PROFILE"
expect_rc 0 "doctor of a user with a range"
for f in subuid subgid; do
        has_line "ok    subordinate ids (/etc/$f)      400000-465535 for xh-plain (65536 ids)" "a range in /etc/$f"
done
for p in newuidmap newgidmap; do
        has_line "ok    $p (id range, not root)     /usr/bin/$p" "$p"
done
! printf '%s\n' "$OUT" | grep -q '^warn\|^FAIL' || fail "doctor with a range warns: $OUT"

# A range too small for nobody (65534).
plain_range 400000:1000
capture as_plain_user doctor "$PROFILE"
expect_rc 0 "doctor of a user with a small range"
has_line "warn  subordinate ids (/etc/subuid)      400000-400999 for xh-plain (1000 ids), fewer than a root's 65536: ids above it (nobody is 65534) cannot be owned in a session" "a small range"
plain_range 400000:65536

# User namespaces disabled: the setting and its fix, and doctor fails.
printf '0\n' >"$SCRATCH/max_user_namespaces"
mount --bind "$SCRATCH/max_user_namespaces" /proc/sys/user/max_user_namespaces ||
        fail "cannot bind a copy over /proc/sys/user/max_user_namespaces"
capture as_plain_user doctor "$PROFILE"
umount /proc/sys/user/max_user_namespaces
expect_rc 1 "doctor with user namespaces disabled"
has_line "FAIL  user namespaces                    user namespaces are limited (a session nests two): /proc/sys/user/max_user_namespaces is 0" \
        "max_user_namespaces 0"
has_line "${fix_indent}fix: sysctl -w user.max_user_namespaces=15000 (and put user.max_user_namespaces = 15000 in /etc/sysctl.d/userns.conf to keep it)" \
        "the fix of max_user_namespaces"
printf '%s\n' "$OUT" | grep -qx "sessions cannot run on this host" || fail "doctor with user namespaces disabled: $OUT"

# A kernel older than 6.7.
command -v setarch >/dev/null || skip "setarch is missing (apt-get install util-linux)"
capture setarch --uname-2.6 setpriv --reuid=47013 --regid=47013 --clear-groups \
        env HOME="$USER_HOME" XHYBRID_STORE="$USER_STORE" "$USER_XHYBRID" doctor "$PROFILE"
expect_rc 1 "doctor on a kernel older than 6.7"
printf '%s\n' "$OUT" | grep -q "^FAIL  kernel (6.7+ for private binfmt_misc) Linux 2\.6\." || fail "doctor under --uname-2.6: $OUT"
has_line "${fix_indent}fix: use Linux 6.7 or later: older kernels share one binfmt_misc with the host" "the fix of an old kernel"
pass
