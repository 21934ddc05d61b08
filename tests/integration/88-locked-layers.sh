# Nothing inside a session can change the store's layers: not root in the
# session, not a plain user, not root of a namespace made inside, not a
# rootless session. lockprobe.c, built static for the host (so it runs native
# in any session), tries on each read-only mount a remount read-write, an
# unmount, a bind elsewhere remounted read-write, a write, chmod, rename and a
# tmpfs over it; every try that could change something must be refused. Then
# the host checks that nothing in the store changed.
. "$(dirname "$0")/lib.sh"
need_root
here=$(cd "$(dirname "$0")" && pwd)
scratch
export XDG_CONFIG_HOME="$SCRATCH/config"
P=xhtest-lock
twin_profile $P
fresh_upper $P
# The twin's facts cache starts empty too, and goes at exit with its upper.
rm -rf "$STORE/cache/$P"
trap 'rm -rf "$SCRATCH" "$STORE/sessions/$P" "$STORE/sessions/$P.lock" "$STORE/cache/$P"' EXIT
cd "$SCRATCH"
gcc -static -O1 -o lockprobe "$here/lockprobe.c" || fail "cannot build lockprobe.c with gcc -static"
write_hello_sources

root=$("$XHYBRID" profiles show $P | sed -n 's/^# root: \(.*\) (created)$/\1/p')
tc=$("$XHYBRID" profiles show $P | sed -n 's/^# toolchain layer: \(.*\) (created)$/\1/p')
triplet=$("$XHYBRID" profiles show $P | sed -n 's/^triplet = //p')
[ -n "$root" ] && [ -n "$tc" ] && [ -n "$triplet" ] || fail "no root or toolchain layer for $P"
cache=$STORE/cache/$P
upper=$STORE/sessions/$P/upper
for d in include lib; do
        [ -n "$(ls -A "$tc/usr/$triplet/$d")" ] || fail "$tc/usr/$triplet/$d is empty: nothing is hidden"
done

# The read-only mounts of a hybrid session: the shim layer's /.xhybrid, the
# target root, the toolchain layer, its hidden cross libc and its libraries,
# the host's resolv.conf; /sys is tried as a mount only. The hidden dirs must
# also look empty.
hidden="/.xhybrid/toolchain/usr/$triplet/include /.xhybrid/toolchain/usr/$triplet/lib"
targets="/.xhybrid /.xhybrid/orig /.xhybrid/toolchain $hidden /usr/lib/x86_64-linux-gnu"
[ -e /etc/resolv.conf ] && targets="$targets /etc/resolv.conf"
probe_args="-n -r /sys"
for h in $hidden; do probe_args="$probe_args -e $h"; done

# probe WHAT PHASES... -- XHYBRID-ARGS: run lockprobe, expect every try
# refused, in each phase named (the label of its lines).
probe() {
        what=$1
        shift
        phases=
        while [ "$1" != -- ]; do phases="$phases|$1" && shift; done
        shift
        capture "$@"
        printf '%s\n' "$OUT" >"probe-$(echo "$what" | tr ' ' -).log"
        expect_rc 0 "$what: a change got through (see the SUCCEEDED lines)"
        expect_out "lockprobe: [0-9]* attempts refused, 0 succeeded" "$what"
        printf '%s\n' "$phases" | tr '|' '\n' | sed '/^$/d' | while read -r phase; do
                printf '%s\n' "$OUT" | grep -q "^\[$phase\] control .* work$" ||
                        fail "$what: no control in the phase '$phase': $OUT"
                for t in $targets; do
                        printf '%s\n' "$OUT" | grep -q "^\[$phase\] $t: remount read-write (MS_REMOUNT|MS_BIND): refused" ||
                                fail "$what: $t was not tried in the phase '$phase'"
                done
        done || exit 1
}

# The host's view of what a session must not change. No ctime: the rootless
# part below hard links the same files, and so may a concurrent run.
layers() {
        find "$root" "$tc" -printf '%M %U:%G %s %T@ %p\n' | sort
        [ ! -e /etc/resolv.conf ] || { stat -L -c '%a %U:%G %s' /etc/resolv.conf && md5sum </etc/resolv.conf; }
}
kept() {
        find "$cache" "$upper" -printf '%M %U:%G %s %T@ %p\n' | sort
}

# A persistent session writes its upper and the facts cache (writable there).
capture "$XHYBRID" run $P -- sh -c 'echo kept > /etc/xhlock-kept && gcc hello.c -o hello && ./hello'
expect_rc 0 "persistent session"
[ "$OUT" = hello ] || fail "hello in a persistent session printed '$OUT'"
ls "$cache"/facts-* >/dev/null 2>&1 || fail "a persistent session left no facts in $cache"
layers >layers.before
kept >kept.before

# Throwaway sessions: the cache is read-only too; the root of the session
# keeps its capabilities over the overlay (ownership, any id).
targets="$targets /.xhybrid/cache"
probe "root in a throwaway session" "uid 0" "root of a nested namespace of uid 0" -- \
        "$XHYBRID" run --ephemeral $P -- ./lockprobe $probe_args $targets
probe "a plain user in a throwaway session" "uid 1000" "root of a nested namespace of uid 1000" -- \
        "$XHYBRID" run --ephemeral $P -- ./lockprobe -u 1000 $probe_args $targets
capture "$XHYBRID" run --ephemeral $P -- sh -c 'echo x > /etc/xhlock-throwaway && chown 1000:4242 /etc/xhlock-throwaway &&
        stat -c %u:%g /etc/xhlock-throwaway && gcc hello.c -o hello2 && ./hello2'
expect_rc 0 "writing the overlay and building in a throwaway session"
[ "$OUT" = "1000:4242
hello" ] || fail "a throwaway session printed '$OUT'"
kept >kept.after
diff kept.before kept.after >kept.diff || fail "a throwaway session changed the persistent upper or the cache: $(head -20 kept.diff)"

# A persistent session: everything but the cache is locked the same way.
targets=${targets% /.xhybrid/cache}
probe "root in a persistent session" "uid 0" "root of a nested namespace of uid 0" -- \
        "$XHYBRID" run $P -- ./lockprobe $probe_args $targets

layers >layers.after
diff layers.before layers.after >layers.diff || fail "the store changed: $(head -20 layers.diff)"
found=$(find "$root" "$tc" "$cache" "$upper" -name '.xhlock*' | head -5)
[ -z "$found" ] || fail "files of the probe reached the store: $found"

# Rootless: a user's own store (here its root and toolchain layer are hard
# links to the shared store's files, or copies where /tmp is another
# filesystem, in directories the user owns, as 'xhybrid create' would leave
# them), one id mapped, so no plain user inside. Its cache is read-only in
# a throwaway session, as above.
command -v setpriv >/dev/null || fail "setpriv (util-linux) is missing"
uid=47011
rl=$SCRATCH/rootless
xhybrid_for_user
mkdir -p "$rl/store/roots" "$rl/store/layers" "$rl/work"
for d in "$(dirname "$root")" "$(dirname "$tc")"; do
        to=$rl/store/$(basename "$(dirname "$d")")
        cp -al "$d" "$to/" 2>/dev/null || { rm -rf "${to:?}/$(basename "$d")" && cp -a "$d" "$to/"; } ||
                fail "cannot copy $d"
done
cp lockprobe hello.c "$rl/work/"
chown $uid:$uid "$rl/work/"*
mkdir -p "$rl/store/cache/$P"
cp "$cache"/facts-* "$rl/store/cache/$P/"
chown $uid:$uid "$rl/store/cache/$P/"*
find "$rl" -type d -exec chown $uid:$uid {} +
rootless_layers() {
        find "$rl/store/roots" "$rl/store/layers" "$rl/store/cache" -printf '%M %U:%G %s %T@ %p\n' | sort
}
rootless_layers >rootless.before
cd "$rl/work"
targets="$targets /.xhybrid/cache"
probe "a rootless session" "uid 0" "root of a nested namespace of uid 0" -- \
        setpriv --reuid=$uid --regid=$uid --clear-groups \
        env HOME="$rl/work" XHYBRID_STORE="$rl/store" XDG_CONFIG_HOME="$XDG_CONFIG_HOME" \
        "$USER_XHYBRID" run --ephemeral $P -- sh -c "id -u && gcc hello.c -o hello && ./hello && ./lockprobe $probe_args $targets"
printf '%s\n' "$OUT" | sed -n 1,2p | tr '\n' ' ' | grep -q '^0 hello $' || fail "the rootless session did not build: $OUT"
cd "$SCRATCH"
rootless_layers >rootless.after
diff rootless.before rootless.after >rootless.diff || fail "the rootless store changed: $(head -20 rootless.diff)"
pass
