# A working directory above the store ($HOME with the default store under
# ~/.local/share) used to bind the store writable into the session, so a
# build could write into a root or an upper that is a live overlay layer. The
# store is now covered by an empty read-only tmpfs in the session; a working
# directory inside the store is refused, except under STORE/work (bench and
# verify build there). The store is a scratch one under a scratch $HOME with a
# hard-linked copy of the root; nothing in the test writes to an existing
# file of it.
. "$(dirname "$0")/lib.sh"
need_root
scratch
root=$("$XHYBRID" profiles show "$PROFILE" | sed -n 's/^# root: \(.*\)\/rootfs (created)$/\1/p')
[ -n "$root" ] || fail "no root for $PROFILE"
home=$SCRATCH/home
store=$home/.local/share/xhybrid
mkdir -p "$store/roots"
cp -al "$root" "$store/roots/" || fail "cannot link the root into the scratch store"
export HOME="$home"
unset XHYBRID_STORE XDG_DATA_HOME
cd "$home"
"$XHYBRID" profiles show "$PROFILE" | grep -q "^# root: $store/roots/" ||
        fail "the default store is not $store"

probe='ls -A .local/share/xhybrid | wc -l
mkdir .local/share/xhybrid/xh-new 2>/dev/null && echo WROTE-STORE
mkdir .local/share/xhybrid/roots/'$(basename "$root")'/rootfs/xh-new 2>/dev/null && echo WROTE-ROOT
mkdir -p .local/share/xhybrid/sessions/'$PROFILE'/upper/xh-new 2>/dev/null && echo WROTE-UPPER
echo made-in-home > in-home'

# A throwaway session and then a persistent one (its upper is in the store).
for mode in --ephemeral ""; do
        capture "$XHYBRID" run $mode --emulated "$PROFILE" -- sh -c "echo kept > /etc/xh-kept; $probe"
        expect_rc 0 "session ${mode:-persistent} from \$HOME"
        [ "$OUT" = 0 ] || fail "session ${mode:-persistent} from \$HOME: the store is visible or writable inside: $OUT"
        [ "$(cat in-home)" = made-in-home ] || fail "the working directory is not writable"
        rm in-home
        find "$store" -name xh-new | grep -q . && fail "a session wrote into the store: $(find "$store" -name xh-new)"
done
[ -f "$store/sessions/$PROFILE/upper/etc/xh-kept" ] || fail "the persistent session's change is not in its upper"

# A working directory inside the store is refused...
for dir in "$store" "$store/roots" "$store/sessions/$PROFILE/upper/etc"; do
        cd "$dir"
        capture "$XHYBRID" run --ephemeral --emulated "$PROFILE" -- true
        expect_rc 125 "working directory $dir"
        expect_err "the working directory $dir is inside the store $store" "working directory $dir"
        expect_err "hint: run xhybrid from a project directory outside the store" "working directory $dir"
done
# ... except under STORE/work, where bench and verify build.
mkdir -p "$store/work/bench-x/build"
cd "$store/work/bench-x/build"
capture "$XHYBRID" run --ephemeral --emulated "$PROFILE" -- sh -c 'echo built > out'
expect_rc 0 "working directory under STORE/work"
[ "$(cat out)" = built ] || fail "nothing built under STORE/work"
pass
