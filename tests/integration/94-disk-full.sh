# A store on a small file system: create and a build fail with one clear
# message and leave nothing broken. The stores are tmpfs mounted in the
# test's own mount namespace (never on the host): a 16 MiB one for a real
# create (mmdebstrap fills it in apt-get update); a 48 MiB one holding a
# persistent upper over the root and toolchain layer of $PROFILE, which are
# bound read-only into it, for builds that fill it; one without free inodes
# for a session start.
. "$(dirname "$0")/lib.sh"
in_private_mounts
need_root
private_scratch
root=$(root_of "$PROFILE")
tc=$(toolchain_of "$PROFILE")
[ -n "$root" ] && [ -n "$tc" ] || fail "no root or toolchain layer for $PROFILE"
export XDG_CONFIG_HOME="$SCRATCH/config"
small_profile xhtest-full
C=xhtest-full
cd "$SCRATCH"
write_hello_sources
mini_root "$SCRATCH/mini"

# one_message WHAT: the last two lines of xhybrid's in ERR are one message and its hint.
one_message() {
        _m=$(printf '%s\n' "$ERR" | grep '^xhybrid: ' | grep -v '^xhybrid: \(creating\|into\|removing\) ')
        [ "$(printf '%s\n' "$_m" | wc -l)" = 2 ] && printf '%s\n' "$_m" | tail -n 1 | grep -q '^xhybrid: hint: ' ||
                fail "$1: not one message and its hint: $ERR"
}

# create with a real mmdebstrap on 16 MiB.
mkdir small
mount -t tmpfs -o size=16m tmpfs small || fail "cannot mount a tmpfs"
export XHYBRID_STORE="$SCRATCH/small/store"
capture "$XHYBRID" create "$C"
expect_rc 125 "create on a full store"
expect_err "xhybrid: mmdebstrap failed (exit status [0-9]*); its output is above; the store's file system is (nearly) full" "create on a full store"
expect_err "hint: $XHYBRID_STORE/roots has [0-9]* MiB free and a root needs a few hundred" "create on a full store"
one_message "create on a full store"
ls "$XHYBRID_STORE/roots" | grep -q '\.tmp$' && fail "create on a full store left its unfinished root"
capture "$XHYBRID" run --emulated --ephemeral "$C" -- true
expect_rc 125 "a session after create failed"
expect_err "no root for profile '$C'" "a session after create failed"
# Nothing is broken: a create that fits (the stand-in copies a small root) works there.
fake_mmdebstrap "$SCRATCH/mini" 0
capture "$XHYBRID" create "$C"
expect_rc 0 "a create that fits, after one that did not"
capture "$XHYBRID" run --emulated --ephemeral "$C" -- cat /etc/passwd
expect_rc 0 "a session on the root made after a full store"
# The stand-in on a store too small for it fails the same way, without a network.
mkdir tiny
mount -t tmpfs -o size=1m tmpfs tiny || fail "cannot mount a tmpfs"
XHYBRID_STORE="$SCRATCH/tiny/store" capture "$XHYBRID" create "$C"
expect_rc 125 "create on a 1 MiB store"
expect_err "the store's file system is (nearly) full" "create on a 1 MiB store"
one_message "create on a 1 MiB store"

# Builds in a persistent upper on 48 MiB.
mkdir big
mount -t tmpfs -o size=48m,nr_inodes=2048 tmpfs big || fail "cannot mount a tmpfs"
export XHYBRID_STORE="$SCRATCH/big/store"
for tree in "$root" "$tc"; do
        kind=$(basename "$(dirname "$tree")")
        mkdir -p "$XHYBRID_STORE/$kind/$(basename "$tree")"
        mount --bind -o ro "$tree" "$XHYBRID_STORE/$kind/$(basename "$tree")" || fail "cannot bind $tree"
done
P=$PROFILE
capture "$XHYBRID" run "$P" -- sh -c 'echo kept >/etc/xh-kept && cc -O2 -o /usr/local/bin/xh-hello hello.c'
expect_rc 0 "a build before the store is full"
capture "$XHYBRID" run "$P" -- dd if=/dev/zero of=/var/xh-fill bs=1M count=64 status=none
[ "$RC" -ne 0 ] || fail "filling the store succeeded"
expect_err "No space left on device" "filling the store"
expect_err "xhybrid: warning: the store's file system is full (0 MiB free in $XHYBRID_STORE/sessions/$P/upper)" "filling the store"
capture "$XHYBRID" run "$P" -- sh -c 'cc -O2 -o /usr/local/bin/xh-hello2 hello.c'
[ "$RC" -ne 0 ] || fail "a build on a full store succeeded"
expect_err "No space left on device" "a build on a full store"
[ "$(printf '%s\n' "$ERR" | grep -c '^xhybrid: ')" = 1 ] || fail "a build on a full store: not one message of xhybrid: $ERR"
expect_err "xhybrid: warning: the store's file system is full" "a build on a full store"
# Nothing is broken: the upper is entered again, emptied, and builds.
capture "$XHYBRID" run --ephemeral "$P" -- sh -c 'cat /etc/xh-kept && xh-hello'
expect_rc 0 "a throwaway session on a full store"
capture "$XHYBRID" run "$P" -- sh -c 'cat /etc/xh-kept && rm /var/xh-fill'
expect_rc 0 "entering the full upper again"
expect_out "^kept$" "entering the full upper again"
capture "$XHYBRID" run "$P" -- sh -c 'cc -O2 -o /usr/local/bin/xh-hello2 hello.c && xh-hello2 && xh-hello'
expect_rc 0 "a build once there is space again"
[ "$OUT" = "$(printf 'hello\nhello')" ] || fail "a build once there is space again printed: $OUT"

# A session start that needs a new directory where no inode is left.
twin_profile xhtest-full-twin
avail=$(df --output=iavail "$SCRATCH/big" | tail -n 1)
i=0
while [ $i -lt "$avail" ] && : 2>/dev/null >"$SCRATCH/big/i$i"; do i=$((i + 1)); done
capture "$XHYBRID" run xhtest-full-twin -- true
expect_rc 125 "a persistent session start without inodes"
expect_err "cannot make the persistent upper of profile 'xhtest-full-twin' in $XHYBRID_STORE/sessions/xhtest-full-twin: No space left on device" "a session start without inodes"
expect_err "hint: free some space" "a session start without inodes"
one_message "a session start without inodes"
pass
