# A plain user with a subordinate range (newuidmap, newgidmap) works without
# root and without changing the host. create makes a root in a store of its
# own (a small one: mmdebstrap in root mode in the user's namespace, where 0
# is the caller and 1-65536 its range), whose owners come out right: on
# disk root's files are the caller's and the shadow group, 42, is the
# range's start + 41; inside they are root and shadow. apt-get installs a
# package in a persistent session (apt drops to _apt, uid 42). On a copy of
# root's root and toolchain layer owned as the user's create makes them, GNU
# hello 2.10 builds in a hybrid session and equals root's hybrid build at the
# same path (xhybrid compare), and enter gives a shell on a terminal. The
# user and its range are copies bound over /etc/passwd, /etc/group,
# /etc/subuid and /etc/subgid in a mount namespace of the test's own.
. "$(dirname "$0")/lib.sh"
in_private_mounts
need_root
private_scratch
xhybrid_for_user
uid=47015 base=500000
plain_user $uid xh-builder $base:65536
STORE=$("$XHYBRID" profiles show "$PROFILE" | sed -n 's/^# root: \(.*\)\/roots\/.*$/\1/p')
[ -n "$STORE" ] || fail "cannot find the store"
XHYBRID_STORE=$STORE SUITE=bookworm sh "$XH_SOURCE_DIR/scripts/fetch-source" --upstream hello \
        "$SCRATCH/hello" >/dev/null || fail "cannot fetch Debian's hello source package"
tarball=$STORE/sources/bookworm/hello/hello_2.10.orig.tar.gz
[ -f "$tarball" ] || fail "no $tarball"
export XDG_CONFIG_HOME="$SCRATCH/config"
small_profile xh-small
cd "$USER_HOME"
step() {
        echo "$TEST_NAME: $1: $(($(date +%s) - t0)) s"
        t0=$(date +%s)
}
t0=$(date +%s)

# create, for real, as the plain user.
capture as_plain_user create xh-small
expect_rc 0 "create as a plain user"
step "create of a minbase root as a plain user"
root=$(as_plain_user profiles show xh-small | sed -n 's/^# root: \(.*\)\/rootfs (created)$/\1/p')
case $root in "$USER_STORE"/*) ;; *) fail "the plain user's root is '$root', not in its store" ;; esac
owners() { stat -c %u:%g "$root/rootfs$1"; }
[ "$(owners /usr/bin/dash)" = $uid:$uid ] || fail "the root's dash belongs to $(owners /usr/bin/dash) on disk"
[ "$(owners /usr/sbin/unix_chkpwd)" = $uid:$((base + 41)) ] ||
        fail "the root's unix_chkpwd (root:shadow) belongs to $(owners /usr/sbin/unix_chkpwd) on disk"
[ "$(stat -c %a "$root/rootfs/usr/sbin/unix_chkpwd")" = 2755 ] || fail "unix_chkpwd lost its setgid bit"
capture as_plain_user run --emulated --ephemeral xh-small -- stat -c %U:%G /usr/bin/dash /usr/sbin/unix_chkpwd /var/mail
expect_rc 0 "owners inside"
[ "$OUT" = "$(printf 'root:root\nroot:shadow\nroot:mail')" ] || fail "owners inside: $OUT"

# apt-get in a persistent session: apt drops to _apt (42) with setgroups.
capture as_plain_user run --emulated xh-small -- sh -c 'apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends hello >/dev/null &&
        hello && stat -c %U:%G /var/lib/apt/lists/partial'
expect_rc 0 "apt-get install in a plain user's persistent session"
[ "$OUT" = "$(printf 'Hello, world!\n_apt:root')" ] || fail "apt-get install printed '$OUT'"
[ "$(stat -c %u:%g "$USER_STORE/sessions/xh-small/upper/usr/bin/hello")" = $uid:$uid ] ||
        fail "the persistent upper's hello is not the caller's on disk"
step "apt-get update and install in a persistent session"

# shifted_copy SRC DIR: SRC copied into DIR with the owners a create by the
# plain user gives: 0 is the user, n > 0 is base + n - 1 (chown clears the
# setuid and setgid bits, which are put back).
shifted_copy() {
        mkdir -p "$2" && cp -a "$1" "$2/" || fail "cannot copy $1"
        _d=$2/$(basename "$1")
        find "$_d" -xdev \( ! -uid 0 -o ! -gid 0 \) -printf '%U %G %p\n' >"$SCRATCH/owners"
        find "$_d" -xdev -type f -perm /6000 -printf '%m %p\n' >"$SCRATCH/modes"
        chown -R -h $uid:$uid "$_d" || fail "cannot give $_d to $uid"
        while read -r _u _g _p; do
                chown -h $((_u ? base + _u - 1 : uid)):$((_g ? base + _g - 1 : uid)) "$_p" || fail "chown $_p"
        done <"$SCRATCH/owners"
        while read -r _m _p; do chmod "$_m" "$_p" || fail "chmod $_p"; done <"$SCRATCH/modes"
}
shifted_copy "$(root_of "$PROFILE")" "$USER_STORE/roots"
shifted_copy "$(toolchain_of "$PROFILE")" "$USER_STORE/layers"
step "copies of root's root and toolchain layer"

# GNU hello, hybrid, as the plain user and as root at the same path.
build() {
        rm -rf "$SCRATCH/b" && mkdir "$SCRATCH/b" && chown $uid:$uid "$SCRATCH/b" &&
                (cd "$SCRATCH/b" && setpriv --reuid=$uid --regid=$uid --clear-groups tar xzf -) <"$tarball" ||
                fail "cannot unpack $tarball"
        cd "$SCRATCH/b/hello-2.10" || fail "no hello-2.10"
        capture "$@" run --ephemeral "$PROFILE" -- sh -c "echo \$XHYBRID_MODE >&2;
                ./configure --build=$TRIPLET >/dev/null && make >/dev/null 2>&1 && make check >/dev/null && ./hello"
        cd "$USER_HOME"
}
build as_plain_user
expect_rc 0 "a plain user's hybrid build of GNU hello"
[ "$OUT" = "Hello, world!" ] || fail "the plain user's hello printed '$OUT'"
printf '%s\n' "$ERR" | grep -qx hybrid || fail "the plain user's build was not hybrid: $ERR"
[ "$(stat -c %u:%g "$SCRATCH/b/hello-2.10/hello")" = $uid:$uid ] ||
        fail "the plain user's hello belongs to $(stat -c %u:%g "$SCRATCH/b/hello-2.10/hello")"
"$XHYBRID" elf "$SCRATCH/b/hello-2.10/hello" | grep -qF "$ELF_KIND" || fail "the plain user's hello is not $ELF_KIND"
step "a plain user's hybrid build of GNU hello"
mv "$SCRATCH/b/hello-2.10" "$SCRATCH/user-hello"
build "$XHYBRID"
expect_rc 0 "root's hybrid build of GNU hello"
capture "$XHYBRID" compare "$SCRATCH/user-hello" "$SCRATCH/b/hello-2.10"
expect_rc 0 "the plain user's build against root's"
expect_out "^IDENTICAL" "the plain user's build against root's"
step "root's build and the comparison"

# enter, on a terminal (what script(1) reads on its stdin is typed there).
command -v script >/dev/null || skip "script(1) is missing (apt-get install bsdutils)"
capture sh -c 'printf "tty; id -u; echo entered-\$((6*7)); exit 4\n" |
        setpriv --reuid=$1 --regid=$1 --clear-groups env HOME="$2" XHYBRID_STORE="$3" \
        script -qec "$4 enter --ephemeral $5" /dev/null' sh $uid "$USER_HOME" "$USER_STORE" "$USER_XHYBRID" "$PROFILE"
expect_rc 4 "enter as a plain user"
# (bash's prompt and its terminal modes are on the lines too; what was typed
# is echoed, but holds neither a /dev/pts path nor entered-42)
expect_out "/dev/pts/[0-9]" "enter as a plain user: a terminal"
expect_out "^0.$" "enter as a plain user: root inside"
expect_out "entered-42" "enter as a plain user"
pass
