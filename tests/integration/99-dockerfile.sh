# A user's own image: the Dockerfile of docs/containers.md ("Building your own
# image"), taken from the page as it is written there, built with podman
# build (runc) from two base images imported here: the profile's root as the
# user's target base and the profile's toolchain layer (an amd64 Debian made
# by mmdebstrap) as the toolchain stage's base; no registry. Lines added
# after it compile a C file in a RUN step, which must run gcc natively through
# the SHELL line's entrypoint with no binfmt entry on the host. In a
# container of the image uname -m gives the target's machine, a foreign
# program runs through the private binfmt_misc, the file compiled in the
# build is the same as a hybrid session's compile of it (xhybrid compare),
# installing again after dpkg removed a package makes the choice anew. The host's binfmt
# entries are listed before and after. The images are removed at exit.
. "$(dirname "$0")/lib.sh"
need_root
command -v podman >/dev/null || skip "podman is not installed (apt-get install podman runc)"
target_facts
root=$("$XHYBRID" profiles show "$PROFILE" | sed -n 's/^# root: \(.*\)\/rootfs (created)$/\1/p')
toolchain=$("$XHYBRID" profiles show "$PROFILE" |
        sed -n 's/^# toolchain layer: \(.*\)\/rootfs (created)$/\1/p')
[ -n "$root" ] && [ -n "$toolchain" ] || fail "$PROFILE is not created"
packages=$("$XHYBRID" profiles show "$PROFILE" | sed -n '/^\[toolchain\]/,/^\[/s/^packages = //p')
[ -n "$packages" ] || fail "no toolchain packages for $PROFILE"
bindir=$(dirname "$XHYBRID")
[ -x "$bindir/xhybrid-static" ] || skip "no $bindir/xhybrid-static (a sanitized build has none)"
scratch
podman_setup
BASE=localhost/xhybrid-test-$$/base:1
TC=localhost/xhybrid-test-$$/toolchain:1
TAG=localhost/xhybrid-test-$$/built:1
trap 'podman rmi -f "$TAG" "$BASE" "$TC" >/dev/null 2>&1; podman image prune -f >/dev/null 2>&1
        podman_restore; rm -rf "$SCRATCH"' EXIT
podman info >/dev/null 2>&1 || skip "podman cannot run here: $(podman info 2>&1 | tail -1)"
binfmt_before

# The Dockerfile, as docs/containers.md has it, for this profile.
ctx=$SCRATCH/ctx
mkdir "$ctx"
awk '/^```dockerfile$/ { on = 1; next } on && /^```$/ { exit } on' \
        "$XH_SOURCE_DIR/docs/containers.md" >"$ctx/Dockerfile"
grep -q '^RUN \["/.xhybrid/bin/xhybrid", "image", "--install", "/", "arm64-trixie"\]$' "$ctx/Dockerfile" ||
        fail "docs/containers.md has no Dockerfile with the --install line: $(cat "$ctx/Dockerfile")"
sed -i "s|\"--install\", \"/\", \"arm64-trixie\"\\]|\"--install\", \"/\", \"$PROFILE\"]|" "$ctx/Dockerfile"
cp "$bindir/xhybrid-static" "$bindir/xhybrid-shim" "$ctx/" || fail "cannot copy xhybrid-static and xhybrid-shim"
cat >"$ctx/hi.c" <<'SRC'
#include <stdio.h>
int main(void)
{
        printf("hi from %zu-bit code\n", sizeof(void *) * 8);
        return 0;
}
SRC
cat >>"$ctx/Dockerfile" <<EOF
COPY hi.c /src/hi.c
RUN dpkg --purge --force-depends make && ! test -e /usr/bin/make
RUN ["/.xhybrid/bin/xhybrid", "image", "--install", "/", "$PROFILE"]
EOF
cat >>"$ctx/Dockerfile" <<'EOF'
RUN cd /src && XHYBRID_TRACE=/src/trace gcc -O2 -g -c hi.c && gcc -o hi hi.o && ./hi > out && \
    grep -c ' -> native .*gcc' trace > native && rm trace
EOF

case $ARCH in
armel | armhf) oci_arch=arm ;;
ppc64el) oci_arch=ppc64le ;;
i386) oci_arch=386 ;;
mips64el) oci_arch=mips64le ;;
*) oci_arch=$ARCH ;;
esac
t0=$(date +%s.%N)
tar -C "$root/rootfs" -c . | podman import --arch "$oci_arch" - "$BASE" >/dev/null ||
        fail "podman import of the root"
tar -C "$toolchain/rootfs" -c . | podman import - "$TC" >/dev/null ||
        fail "podman import of the toolchain layer"
echo "base images imported in $(since "$t0") s"
t0=$(date +%s.%N)
capture podman build --runtime runc --format docker --build-arg BASE="$BASE" --build-arg TOOLCHAIN_BASE="$TC" \
        --build-arg TOOLCHAIN_PACKAGES="$packages" -t "$TAG" "$ctx"
printf '%s\n' "$OUT" | grep -v "^Get:\|^Selecting\|^Preparing\|^Unpacking\|^Setting up\|^Copying blob" | tail -25
expect_rc 0 "podman build of the Dockerfile (stderr: $ERR)"
echo "podman build: $(since "$t0") s"
expect_out "installed the shim layer of $PROFILE" "podman build"
[ "$(binfmt_entries)" = "$BINFMT_BEFORE" ] || fail "podman build changed the host's binfmt_misc entries"

prun "$TAG" sh -c 'uname -m; dpkg --print-architecture; cat /src/out /src/native'
expect_rc 0 "a container of the built image"
echo "uname -m, dpkg --print-architecture, the RUN step's program and native compiles: $(echo $OUT)"
set -- $OUT
[ "$1" = "$MACHINE" ] || fail "uname -m says '$1', expected $MACHINE"
[ "$2" = "$ARCH" ] || fail "dpkg --print-architecture says '$2', expected $ARCH"
[ "$3 $4 $5 $6" = "hi from 64-bit code" ] || [ "$3 $4 $5 $6" = "hi from 32-bit code" ] ||
        fail "the RUN step's program printed '$3 $4 $5 $6'"
[ "$7" -gt 0 ] 2>/dev/null || fail "the RUN step ran no native compiler: $OUT"

# The RUN step's object and program against a hybrid session's compile of the same file.
mkdir "$SCRATCH/img" "$SCRATCH/ses"
cid=$(podman create "$TAG" true) || fail "podman create"
podman cp "$cid:/src/hi.o" "$SCRATCH/img/" && podman cp "$cid:/src/hi" "$SCRATCH/img/" ||
        fail "podman cp of the RUN step's files"
podman rm -f "$cid" >/dev/null
cp "$ctx/hi.c" "$SCRATCH/ses/"
cp "$ctx/hi.c" "$SCRATCH/img/"
capture "$XHYBRID" run --ephemeral --bind "$SCRATCH/ses:/src" "$PROFILE" -- \
        sh -c 'cd /src && gcc -O2 -g -c hi.c && gcc -o hi hi.o'
expect_rc 0 "the same compile in a hybrid session"
capture "$XHYBRID" compare "$SCRATCH/ses" "$SCRATCH/img"
printf '%s\n' "$OUT"
expect_rc 0 "the image's compile against the session's"
expect_out "^IDENTICAL" "the image's compile against the session's"

# Installed again after dpkg removed make: make is gone from the layer and its
# original with it; the others are shimmed again, their originals the base's.
prun "$TAG" sh -c 'test ! -e /usr/bin/make && test ! -e /.xhybrid/orig/usr/bin/make &&
        ! grep -qx /usr/bin/make /.xhybrid/installed && grep -qx /usr/bin/sed /.xhybrid/installed &&
        sha256sum /.xhybrid/orig/usr/bin/sed /usr/bin/sed /.xhybrid/toolchain/usr/bin/sed'
expect_rc 0 "the layer installed again without make"
set -- $OUT
[ "$1" = "$(sha256sum <"$root/rootfs/usr/bin/sed" | cut -d" " -f1)" ] ||
        fail "the original of /usr/bin/sed is not the base's after installing twice: $OUT"
[ "$3" = "$5" ] || fail "/usr/bin/sed is not the toolchain's native copy: $OUT"
echo "installed twice: make gone with its original, sed native, its original the base's"
# A root holding an image's layer without its list of paths is refused.
prun "$TAG" sh -c "rm /.xhybrid/installed && /.xhybrid/bin/xhybrid image --install / $PROFILE"
expect_rc 125 "--install over an image's layer"
expect_err "holds an image's shim layer already" "--install over an image's layer"
expect_err "hint: install into the base image" "--install over an image's layer"
echo "host binfmt_misc entries after: $(binfmt_entries)"
pass
