# xhybrid image and entrypoint on a real engine (podman with runc): the image
# archive is the same twice from the same store and podman loads it as
# linux/arm64; in a container uname -m says aarch64, the exit status comes
# back, foreign programs run through a private binfmt_misc in the
# container's user namespace when the host has no entry (the host's entries
# are listed before and after every run, and run-one checks them and the
# mounts), and with neither a host entry nor a user namespace the entrypoint
# fails at once with one message. GNU hello 2.10 is built in a container
# with native tools as BUILDER_UID, its files are that user's, and the build
# is identical to a hybrid session's at the same path (xhybrid compare). The
# images loaded here are removed at exit, and containers.conf is restored.
. "$(dirname "$0")/lib.sh"
need_root
target_facts
STORE=$("$XHYBRID" profiles show "$PROFILE" | sed -n 's/^# root: \(.*\)\/roots\/.*$/\1/p')
[ -n "$STORE" ] || fail "cannot find the store"
command -v podman >/dev/null || skip "podman is not installed (apt-get install podman runc)"
[ "$(id -u)" -eq 0 ] || skip "needs root for podman's own storage"
scratch

podman_setup
TAG=localhost/xhybrid-test-$$:t
CTAG=localhost/xhybrid-test-$$:cache
VOLUME=xhybrid-test-ccache-$$
cleanup() {
        podman rm -f "xhybrid-test-$$" >/dev/null 2>&1
        podman rmi -f "$TAG" "$CTAG" >/dev/null 2>&1
        podman volume rm -f "$VOLUME" >/dev/null 2>&1
        podman_restore
        rm -rf "$SCRATCH"
}
trap cleanup EXIT
podman info >/dev/null 2>&1 || skip "podman cannot run here: $(podman info 2>&1 | tail -1)"

binfmt_before

# The image, twice: the same bytes.
capture "$XHYBRID" image "$PROFILE" -o "$SCRATCH/a.tar" --tag "$TAG"
printf '%s\n%s\n' "$OUT" "$ERR"
expect_rc 0 "xhybrid image"
expect_out "^  id  *sha256:" "xhybrid image"
expect_out "made in" "xhybrid image"
capture "$XHYBRID" image "$PROFILE" -o "$SCRATCH/b.tar" --tag "$TAG"
expect_rc 0 "xhybrid image, again"
a=$(sha256sum <"$SCRATCH/a.tar")
b=$(sha256sum <"$SCRATCH/b.tar")
[ "$a" = "$b" ] || fail "two images of the same store differ: $a $b"
rm -f "$SCRATCH/b.tar"
ls "$STORE/work" 2>/dev/null | grep -q "^image-" && fail "image left its work directory in the store"

t0=$(date +%s.%N)
capture podman load -i "$SCRATCH/a.tar"
expect_rc 0 "podman load"
echo "podman load: $(since "$t0") s"
id=$(podman image inspect --format '{{.Id}}' "$TAG")
# docker load reads the docker-archive side of the file: podman's docker-archive
# transport reads it the same way (manifest.json, the config, the layers).
podman rmi -f "$TAG" >/dev/null
capture podman pull -q "docker-archive:$SCRATCH/a.tar"
expect_rc 0 "podman pull docker-archive:"
capture podman image inspect --format '{{.Id}}' "$TAG"
expect_rc 0 "the image from the docker-archive, by its tag"
[ "$OUT" = "$id" ] || fail "the docker-archive gives image $OUT, podman load gave $id"
echo "docker-archive: the same image, $id"
rm -f "$SCRATCH/a.tar"
capture podman image inspect --format '{{.Os}}/{{.Architecture}}' "$TAG"
expect_rc 0 "podman image inspect"
echo "platform: $OUT"
[ "$ARCH" != arm64 ] || [ "$OUT" = linux/arm64 ] || fail "the image's platform is $OUT, expected linux/arm64"

prun "$TAG" uname -m
expect_rc 0 "uname -m in the container"
[ "$ARCH" != arm64 ] || [ "$OUT" = aarch64 ] || fail "uname -m says '$OUT', expected aarch64"
echo "uname -m: $OUT"

prun "$TAG" sh -c 'exit 7'
expect_rc 7 "the command's exit status"

# Signals: podman kill reaches the command, and a command killed by one is 128+N.
name=xhybrid-test-$$
podman run -d --name "$name" "$TAG" sh -c 'trap "exit 42" TERM; sleep 100 & wait' >/dev/null 2>&1 ||
        fail "podman run -d"
sleep 2
podman kill --signal TERM "$name" >/dev/null
st=$(podman wait "$name")
podman rm -f "$name" >/dev/null 2>&1
[ "$st" = 42 ] || fail "SIGTERM to the container: status $st, expected the command's 42"
podman run -d --name "$name" "$TAG" sleep 100 >/dev/null 2>&1 || fail "podman run -d"
sleep 2
podman kill --signal TERM "$name" >/dev/null
st=$(podman wait "$name")
podman rm -f "$name" >/dev/null 2>&1
[ "$st" = 143 ] || fail "SIGTERM to a command that dies of it: status $st, expected 143"
echo "signals: the command's trap 42, killed by SIGTERM 143"

# A foreign program: the host's entry, or the private instance in the container.
host_entry=$(grep -ls "^interpreter.*$QEMU" /proc/sys/fs/binfmt_misc/* 2>/dev/null)
prun "$TAG" sh -c 'dpkg --print-architecture; grep -c " /.xhybrid/binfmt " /proc/self/mountinfo'
expect_rc 0 "a foreign program in the container"
echo "dpkg --print-architecture, private binfmt_misc mounts: $(echo $OUT)"
if [ -n "$host_entry" ]; then
        echo "the host has an entry ($host_entry): the private binfmt_misc and its absence are not tested"
else
        [ "$(printf '%s\n' "$OUT" | tail -1)" = 1 ] ||
                fail "no host entry, yet no private binfmt_misc in the container: $OUT"
        # Neither a host entry nor a user namespace: one message, at once.
        cat >"$SCRATCH/nouserns.json" <<'JSON'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [
  {"names": ["unshare"], "action": "SCMP_ACT_ERRNO"},
  {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
  {"names": ["clone"], "action": "SCMP_ACT_ERRNO",
   "args": [{"index": 0, "value": 268435456, "valueTwo": 268435456, "op": "SCMP_CMP_MASKED_EQ"}]}
 ]}
JSON
        prun --security-opt seccomp="$SCRATCH/nouserns.json" "$TAG" sh -c 'echo ran'
        expect_rc 125 "no emulator and no user namespace"
        expect_err "no emulator for" "no emulator and no user namespace"
        expect_err "hint: either register an entry on the host" "no emulator and no user namespace"
        printf '%s\n' "$OUT" | grep -q ran && fail "the command ran without an emulator"
        echo "without a user namespace: $ERR"
fi

# The other way: a host with a binfmt_misc entry for the target (Debian's
# rule from /usr/lib/binfmt.d, flag F), which the entrypoint must use as it
# is, with no private instance. Without changing the host: a user namespace
# of this test has a binfmt_misc instance of its own with that entry, which
# the programs started in it see as their host's, and runs the entrypoint
# chrooted into a container's file system (podman mount), as an engine would
# start it.
rule=/usr/lib/binfmt.d/qemu-$QEMU.conf
[ -r "$rule" ] || skip "no $rule (apt-get install qemu-user-static)"
cid=$(podman create "$TAG" true 2>/dev/null) || fail "podman create"
mnt=$(podman mount "$cid") || fail "podman mount"
capture unshare --user --map-root-user --mount --pid --fork --propagation private sh -c '
        set -e
        mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
        cat "$1" >/proc/sys/fs/binfmt_misc/register
        mount --rbind /dev "$2/dev"
        mount -t proc proc "$2/proc"
        mount -t binfmt_misc binfmt_misc "$2/proc/sys/fs/binfmt_misc"
        ls "$2/proc/sys/fs/binfmt_misc" | grep -v "^register$\|^status$" | sed "s/^/entry in the namespace: /" >&2
        exec chroot "$2" /.xhybrid/bin/xhybrid entrypoint -- sh -c \
                "dpkg --print-architecture; uname -m; grep -c \" /.xhybrid/binfmt \" /proc/self/mountinfo || :"
' sh "$rule" "$mnt"
podman umount "$cid" >/dev/null
podman rm -f "$cid" >/dev/null
echo "with an entry of its host: $(echo $OUT) ($ERR)"
expect_rc 0 "the entrypoint where its host has an entry"
[ "$(echo $OUT)" = "$ARCH $MACHINE 0" ] ||
        fail "where its host has an entry, the entrypoint printed '$OUT', expected '$ARCH', '$MACHINE' and no private binfmt_misc (0)"
[ "$(binfmt_entries)" = "$BINFMT_BEFORE" ] || fail "the namespace's entry reached the host"

# GNU hello 2.10, as BUILDER_UID, with native tools, the same as a hybrid session's build.
XHYBRID_STORE=$STORE SUITE=bookworm sh "$XH_SOURCE_DIR/scripts/fetch-source" --upstream hello \
        "$SCRATCH/fetched" >/dev/null 2>&1 || fail "cannot fetch Debian's hello source package"
tarball=$STORE/sources/bookworm/hello/hello_2.10.orig.tar.gz
mkdir "$SCRATCH/c" "$SCRATCH/s"
tar -C "$SCRATCH/c" -xzf "$tarball" && tar -C "$SCRATCH/s" -xzf "$tarball" || fail "cannot unpack $tarball"
chown -R 1234:1234 "$SCRATCH/c"
chmod 755 "$SCRATCH"
cd "$SCRATCH/c/hello-2.10" || fail "no hello-2.10"
t0=$(date +%s.%N)
prun -e BUILDER_UID=1234 -e BUILDER_GID=1234 -e XHYBRID_TRACE=/tmp/trace -v "$PWD:/src" -w /src \
        "$TAG" sh -c "./configure --build=$TRIPLET >/dev/null && make >/dev/null && ./hello && grep -c ' -> native .*gcc' /tmp/trace"
expect_rc 0 "GNU hello in the container"
echo "GNU hello in the container: $(since "$t0") s"
expect_out "^Hello, world!$" "GNU hello in the container"
[ "$(printf '%s\n' "$OUT" | tail -1)" -gt 0 ] 2>/dev/null ||
        fail "the container's build ran no native compiler: $OUT"
others=$(find . ! -uid 1234 -o ! -gid 1234 | head -3)
[ -z "$others" ] || fail "files of the build not owned by BUILDER_UID:BUILDER_GID 1234:1234: $others"
cd "$SCRATCH" || fail "no $SCRATCH"
capture "$XHYBRID" run --ephemeral --bind "$SCRATCH/s/hello-2.10:/src" "$PROFILE" -- \
        sh -c "cd /src && ./configure --build=$TRIPLET >/dev/null && make >/dev/null"
expect_rc 0 "GNU hello in a hybrid session"
capture "$XHYBRID" compare "$SCRATCH/s/hello-2.10" "$SCRATCH/c/hello-2.10"
printf '%s\n' "$OUT"
expect_rc 0 "the container's build against the session's"
expect_out "^IDENTICAL" "the container's build against the session's"

# The compile cache (image --cache): a named volume at /.xhybrid/ccache keeps
# it between containers; a rebuild is all hits, and the same build.
capture "$XHYBRID" image --cache "$PROFILE" -o "$SCRATCH/cache.tar" --tag "$CTAG"
expect_rc 0 "image --cache"
capture podman load -i "$SCRATCH/cache.tar"
expect_rc 0 "podman load of the image with the cache"
capture podman image inspect --format '{{json .Config.Volumes}}' "$CTAG"
expect_out '"/.xhybrid/ccache":{}' "the image's cache volume"
stats='CCACHE_CONFIGPATH=/.xhybrid/ccache.conf /.xhybrid/toolchain/usr/bin/ccache --print-stats'
cd "$SCRATCH/c/hello-2.10" || fail "no hello-2.10"
for run in cold warm; do
        prun -e BUILDER_UID=1234 -e BUILDER_GID=1234 -v "$VOLUME:/.xhybrid/ccache" -v "$PWD:/src" \
                -w /src "$CTAG" sh -c "$stats -z >/dev/null && make clean >/dev/null && make >/dev/null && $stats"
        expect_rc 0 "GNU hello with the compile cache ($run)"
        hits=$(printf '%s\n' "$OUT" | sed -n 's/^preprocessed_cache_hit\t//p')
        misses=$(printf '%s\n' "$OUT" | sed -n 's/^cache_miss\t//p')
        echo "compile cache in the container, $run: $hits hits, $misses misses"
done
[ "${misses:-1}" -eq 0 ] && [ "${hits:-0}" -gt 20 ] ||
        fail "the warm rebuild in the container is not all hits: $hits hits, $misses misses"
cd "$SCRATCH" || fail "no $SCRATCH"
capture "$XHYBRID" compare "$SCRATCH/s/hello-2.10" "$SCRATCH/c/hello-2.10"
expect_rc 0 "the cached build against the session's"

echo "host binfmt_misc entries after: ${BINFMT_BEFORE:-(none; binfmt_misc not mounted)}"
pass
