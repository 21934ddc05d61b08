# The README's main command on a fresh machine: a bare Debian 12 amd64
# (mmdebstrap --variant=apt with git and ca-certificates, nothing else) in a
# --privileged podman container, a fresh clone of this checkout's committed
# HEAD in it, and scripts/demo run there: scripts/deps, the build, doctor,
# create arm64-trixie (its store on the container's own overlayfs) and a
# glib program compiled by the native compiler and run under qemu. Any
# install step missing from the project's own files fails here. The bare
# image is kept in podman's storage as localhost/xhybrid-test/debian12-bare
# (a cache outside the clone, made again when absent); nothing of the host's
# store or build is shared with the container. Labelled fresh: it does not
# depend on the profile under test, so scripts/test runs it once.
. "$(dirname "$0")/lib.sh"
need_root
command -v podman >/dev/null || skip "podman is not installed (apt-get install podman runc)"
command -v mmdebstrap >/dev/null || skip "mmdebstrap is not installed (apt-get install mmdebstrap)"
git -C "$XH_SOURCE_DIR" rev-parse --verify -q HEAD >/dev/null || skip "$XH_SOURCE_DIR is not a git clone"
scratch
podman_setup
trap 'podman_restore; rm -rf "$SCRATCH"' EXIT
podman info >/dev/null 2>&1 || skip "podman cannot run here: $(podman info 2>&1 | tail -1)"

IMAGE=localhost/xhybrid-test/debian12-bare:1
if ! podman image exists "$IMAGE"; then
        t0=$(date +%s.%N)
        mmdebstrap --quiet --arch=amd64 --variant=apt --include=ca-certificates,git bookworm \
                "$SCRATCH/bare.tar" || fail "mmdebstrap of a bare Debian 12 failed"
        podman import "$SCRATCH/bare.tar" "$IMAGE" >/dev/null || fail "podman import of the bare Debian 12"
        rm -f "$SCRATCH/bare.tar"
        echo "bare Debian 12 image made in $(since "$t0") s (kept as $IMAGE)"
fi
head=$(git -C "$XH_SOURCE_DIR" rev-parse --short HEAD)
echo "fresh machine: $IMAGE, a clone of $head, scripts/demo"
t0=$(date +%s.%N)
timeout 2400 podman --runtime runc run --rm --privileged -v "$XH_SOURCE_DIR:/mnt/src:ro" "$IMAGE" \
        bash -c 'git clone -q /mnt/src /root/project && cd /root/project && scripts/demo' \
        >"$SCRATCH/demo.log" 2>&1
rc=$?
took=$(since "$t0")
sed 's/^/  | /' "$SCRATCH/demo.log" | grep -v "^  | Get:\|^  | Selecting\|^  | Preparing\|^  | Unpacking\|^  | Setting up" | tail -40
[ "$rc" -eq 0 ] || fail "scripts/demo on a fresh Debian 12 exited $rc after $took s (log above)"
grep -q "^hello from glib .*, running on aarch64$" "$SCRATCH/demo.log" ||
        fail "scripts/demo did not run the glib program on aarch64"
grep -q "^gcc: aarch64-linux-gnu .*session mode: hybrid$" "$SCRATCH/demo.log" ||
        fail "scripts/demo's session was not a hybrid one with the target's gcc"
grep -Eq "^ +[0-9]+ +[^ ]*gcc[^ ]* \(native\)$" "$SCRATCH/demo.log" ||
        fail "scripts/demo's compile did not run the native compiler"
echo "scripts/demo on a fresh Debian 12: passed in $took s"
pass
