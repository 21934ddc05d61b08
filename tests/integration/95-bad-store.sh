# Bad stores: a root that is empty, truncated, foreign (another arch), has
# no recipe or another profile's, is a file; a toolchain layer that is
# missing or foreign; a store the caller may not read or write. Each gives
# one clear message (exit 125: the message names the path, the hint says
# what to do), never a crash, never a session on the wrong tree; create
# refuses a damaged root without --force and repairs it with it; profiles,
# profiles show and doctor call it damaged. Each
# scratch store holds, at the root's path of $PROFILE, a small copy of its
# root (mini_root in lib.sh) with the root's recipe; the repair uses the
# stand-in mmdebstrap (see lib.sh) on a small profile.
. "$(dirname "$0")/lib.sh"
in_private_mounts
need_root
private_scratch
command -v setpriv >/dev/null || skip "setpriv (util-linux) is missing"
root=$(root_of "$PROFILE")
tc=$(toolchain_of "$PROFILE")
[ -n "$root" ] && [ -n "$tc" ] || fail "no root or toolchain layer for $PROFILE"
key=$(basename "$root")
tkey=$(basename "$tc")
mini_root "$SCRATCH/mini"
# A small amd64 tree: the toolchain layer's shell, its loader and dpkg status.
mkdir "$SCRATCH/amd64"
(cd "$tc/rootfs" && cp -a --parents bin lib lib64 usr/bin/dash usr/bin/sh var/lib/dpkg/status \
        usr/lib64/ld-linux-x86-64.so.2 usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$SCRATCH/amd64/") ||
        fail "cannot copy a small amd64 tree"
chmod 755 "$SCRATCH"
cd "$SCRATCH"

# store NAME: a scratch store with a small root at the root's path (no
# toolchain layer: the root is checked first); sets S.
store() {
        S=$SCRATCH/$1
        mkdir -p "$S/roots/$key"
        cp -a "$SCRATCH/mini" "$S/roots/$key/rootfs"
        cp "$root/recipe" "$S/roots/$key/recipe"
}
# bad WHAT MESSAGE [hybrid]: a session on $S fails with MESSAGE and a hint,
# and nothing else of xhybrid's; hybrid and emulated alike, or hybrid only.
bad() {
        _what=$1 _msg=$2 _modes="hybrid --emulated"
        [ $# -gt 2 ] && _modes=$3
        for _mode in $_modes; do
                [ "$_mode" = hybrid ] && _mode=""
                capture "$XHYBRID" --store "$S" run --ephemeral $_mode "$PROFILE" -- sh -c 'echo SESSION-RAN'
                expect_rc 125 "$_what ${_mode:-hybrid}"
                expect_err "$_msg" "$_what ${_mode:-hybrid}"
                _m=$(printf '%s\n' "$ERR" | grep '^xhybrid: ')
                [ "$(printf '%s\n' "$_m" | wc -l)" = 2 ] && printf '%s\n' "$_m" | tail -n 1 | grep -q '^xhybrid: hint: ' ||
                        fail "$_what ${_mode:-hybrid}: not one message and its hint: $ERR"
                printf '%s\n' "$OUT" | grep -q SESSION-RAN && fail "$_what ${_mode:-hybrid}: a session ran"
        done
}
DAMAGED="hint: it is damaged or was replaced: make it again with 'xhybrid create --force $PROFILE'"

store empty
rm -rf "$S/roots/$key/rootfs" && mkdir "$S/roots/$key/rootfs"
bad "empty root" "the root of profile '$PROFILE' ($S/roots/$key/rootfs) is not a complete Debian root: /var/lib/dpkg/status: No such file or directory"
expect_err "$DAMAGED" "empty root"
capture "$XHYBRID" --store "$S" create "$PROFILE"
expect_rc 125 "create over an empty root"
expect_err "is not a complete Debian root" "create over an empty root"
expect_err "$DAMAGED" "create over an empty root"
# profiles, profiles show and doctor call it damaged, not created.
capture "$XHYBRID" --store "$S" profiles show "$PROFILE"
expect_rc 0 "profiles show over an empty root"
expect_out "^# root: $S/roots/$key/rootfs (damaged: the root of profile '$PROFILE' ($S/roots/$key/rootfs) is not a complete Debian root: /var/lib/dpkg/status: No such file or directory)$" \
        "profiles show over an empty root"
expect_out "^# toolchain layer: .* (not created)$" "profiles show over an empty root"
capture "$XHYBRID" --store "$S" profiles
expect_out "^$PROFILE  *[a-z0-9]*  *[a-z]*  *damaged  " "profiles over an empty root"
capture "$XHYBRID" --store "$S" doctor "$PROFILE"
expect_out "^warn  root for $PROFILE  *the root of profile '$PROFILE' (.*) is not a complete Debian root" \
        "doctor over an empty root"
expect_out "fix: xhybrid create --force $PROFILE" "doctor over an empty root"

store noloader
rm -rf "$S/roots/$key/rootfs/usr/lib" "$S/roots/$key/rootfs/usr/lib64"
bad "root without /usr/lib" "the root of profile '$PROFILE' ($S/roots/$key/rootfs) is incomplete: $LOADER, the program loader of its /bin/sh: No such file or directory"

store noshell
rm -f "$S/roots/$key/rootfs/usr/bin/dash"
bad "root without a shell" "the root of profile '$PROFILE' ($S/roots/$key/rootfs) is incomplete: /bin/sh: No such file or directory"

store foreign
rm -rf "$S/roots/$key/rootfs" && cp -a "$SCRATCH/amd64" "$S/roots/$key/rootfs"
bad "amd64 tree as the root" "the root of profile '$PROFILE' ($S/roots/$key/rootfs) is not an $ARCH root: its /bin/sh is a program for x86-64"

store norecipe
rm "$S/roots/$key/recipe"
bad "root without a recipe" "the root of profile '$PROFILE' is incomplete: $S/roots/$key/recipe: No such file or directory"

store otherrecipe
sed 's/^variant=.*/variant=minbase/' "$root/recipe" >"$S/roots/$key/recipe.new"
mv "$S/roots/$key/recipe.new" "$S/roots/$key/recipe"
bad "another profile's root" "the root at $S/roots/$key was not made for profile '$PROFILE': its recipe ($S/roots/$key/recipe) differs"

store rootfile
rm -rf "$S/roots/$key/rootfs" && : >"$S/roots/$key/rootfs"
bad "a file as the root" "the root of profile '$PROFILE' ($S/roots/$key/rootfs) is not a directory"

store notoolchain
bad "no toolchain layer" "no toolchain layer for profile '$PROFILE' in the store ($S/layers/$tkey/rootfs)" hybrid
expect_err "hint: create it: xhybrid create $PROFILE (or run everything emulated with --emulated)" "no toolchain layer"
capture "$XHYBRID" --store "$S" run --ephemeral --emulated "$PROFILE" -- uname -m
expect_rc 0 "an emulated session without a toolchain layer"
expect_out "^$MACHINE$" "an emulated session without a toolchain layer"

store foreigntoolchain
mkdir -p "$S/layers/$tkey"
cp -a "$SCRATCH/mini" "$S/layers/$tkey/rootfs"
cp "$tc/recipe" "$S/layers/$tkey/recipe"
bad "$ARCH tree as the toolchain layer" "the toolchain layer of profile '$PROFILE' ($S/layers/$tkey/rootfs) is not an amd64 root: its /bin/sh is a program for ${ELF_KIND##* }" hybrid

# A store of another user (root's, mode 0700), and one the caller may read
# but not write: a plain user gets the permission problem and its path.
uid=47013
store private
mkdir -p "$SCRATCH/home" && chown $uid:$uid "$SCRATCH/home"
as_user() {
        (cd "$SCRATCH/home" && setpriv --reuid=$uid --regid=$uid --clear-groups \
                env HOME="$SCRATCH/home" XHYBRID_STORE="$S" "$XHYBRID" "$@")
}
chmod 700 "$S"
capture as_user run --ephemeral --emulated "$PROFILE" -- true
expect_rc 125 "a store of another user"
expect_err "xhybrid: cannot read the root of profile '$PROFILE' ($S/roots/$key/rootfs): Permission denied" "a store of another user"
expect_err "hint: the store belongs to another user or its mode is wrong" "a store of another user"
chmod 755 "$S"
mkdir -p "$S/mnt"
capture as_user run --ephemeral --emulated "$PROFILE" -- uname -m
expect_rc 0 "a throwaway session on a store that is not writable"
capture as_user run --emulated "$PROFILE" -- true
expect_rc 125 "a persistent session on a store that is not writable"
expect_err "cannot make the persistent upper of profile '$PROFILE' in $S/sessions/$PROFILE: Permission denied" "a persistent session on a store that is not writable"
expect_err "hint: this store is not writable for you: add --ephemeral" "a persistent session on a store that is not writable"

# create refuses a damaged root and repairs it with --force.
export XHYBRID_STORE="$SCRATCH/small" XDG_CONFIG_HOME="$SCRATCH/config"
small_profile xhtest-bad
fake_mmdebstrap "$SCRATCH/mini" 0
capture "$XHYBRID" create xhtest-bad
expect_rc 0 "create of a small root"
small=$(root_of xhtest-bad)
rm "$small/rootfs/usr/bin/dash"
capture "$XHYBRID" create xhtest-bad
expect_rc 125 "create over a damaged root"
expect_err "is incomplete: /bin/sh: No such file or directory" "create over a damaged root"
expect_err "hint: it is damaged or was replaced: make it again with 'xhybrid create --force xhtest-bad'" "create over a damaged root"
capture "$XHYBRID" create --force xhtest-bad
expect_rc 0 "create --force over a damaged root"
capture "$XHYBRID" run --emulated --ephemeral xhtest-bad -- uname -m
expect_rc 0 "a session on the repaired root"
expect_out "^$MACHINE$" "a session on the repaired root"
pass
