# GNU hello 2.10: configure, make and make check pass in the hybrid, with the
# native compiler, and the result equals the emulated build at the same path
# (config.h, config.status substitutions, every ELF file section by section
# but .comment and the build-id). The emulated build is cached in the store.
#
# The source is GNU hello 2.10 as released, the upstream tarball of Debian's
# hello source package: the same file in bookworm and trixie, fetched from
# bookworm, whose Debian files every mirror here has (the mirror of this
# project's machines lacks trixie's hello_2.10-5.debian.tar.xz). configure
# gets --build=TRIPLET, as Debian's dh_auto_configure gives it: the release's
# config.guess (2014) cannot guess riscv64.
. "$(dirname "$0")/lib.sh"
need_root
scratch
STORE=$("$XHYBRID" profiles show "$PROFILE" | sed -n 's/^# root: \(.*\)\/roots\/.*$/\1/p')
[ -n "$STORE" ] || fail "cannot find the store"
XHYBRID_STORE=$STORE SUITE=bookworm sh "$XH_SOURCE_DIR/scripts/fetch-source" --upstream hello \
        "$SCRATCH/hello" || fail "cannot fetch Debian's hello source package"
tarball=$STORE/sources/bookworm/hello/hello_2.10.orig.tar.gz
[ -f "$tarball" ] || fail "no $tarball"
capture "$XHYBRID" verify --reuse-emulated --configure "./configure --build=$TRIPLET" \
        --check 'make check' "$PROFILE" "$tarball"
printf '%s\n' "$OUT"
expect_rc 0 "verify GNU hello 2.10"
expect_out "^IDENTICAL$" "verify GNU hello 2.10"
expect_out "1 config.h" "verify GNU hello 2.10"
expect_out "check 'make check': emulated status 0, hybrid status 0" "make check in both modes"
expect_out "^  gcc: .*; the hybrid ran native$" "the compiler of the hybrid build"
pass
