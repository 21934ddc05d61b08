# The compile cache (ccache of the toolchain layer, run by the shim around
# native compiles; links run the driver directly): a rebuild after 'make clean' is all hits, with objects
# identical to an uncached build; a changed target header, a new package's
# header earlier in the search and a header put in /usr/local/include are
# misses for the compiles that read them (and only them), a touched one is
# still a hit; the target's gcc run emulated shares no entry with the native
# one; cache stats and clear; bad input fails with one clear message.
. "$(dirname "$0")/lib.sh"
need_root
scratch
export XDG_CONFIG_HOME="$SCRATCH/config"
twin_profile xhtest-cache 's/^cache =.*/cache = yes/'
fresh_upper xhtest-cache
CACHE=$STORE/cache/xhtest-cache/ccache
rm -rf "$STORE/cache/xhtest-cache"
trap 'rm -rf "$SCRATCH" "$STORE/sessions/xhtest-cache" "$STORE/sessions/xhtest-cache.lock" \
        "$STORE/cache/xhtest-cache" "$STORE/cache/xhtest-cache-bad" "$STORE/cache/xhtest-cache-skew"' EXIT

mkdir "$SCRATCH/src" && cd "$SCRATCH/src" || fail "no scratch source directory"
cat >local.h <<'SRC'
#define LOCAL 7
SRC
cat >a.c <<'SRC'
#include "local.h"
int a(void) { return LOCAL; }
SRC
cat >b.c <<'SRC'
#include <xhtest-cache.h>
int b(void) { return XH_VALUE; }
SRC
cat >c.c <<'SRC'
#include <glib.h>
int c(void) { return GLIB_MAJOR_VERSION; }
SRC
cat >main.c <<'SRC'
#include <stdio.h>
int a(void), b(void), c(void);
int main(void) { printf("%d %d %d\n", a(), b(), c()); return 0; }
SRC
printf 'CFLAGS = -O2 -g $(shell pkg-config --cflags glib-2.0)\nOBJS = a.o b.o c.o main.o\n%s\n%s\n%s\n%s\n' \
        'prog: $(OBJS)' '	$(CC) $(OBJS) -o prog' 'clean:' '	rm -f $(OBJS) prog' >Makefile

# stat NAME: a line of 'xhybrid cache stats xhtest-cache'.
stat() {
        "$XHYBRID" cache stats xhtest-cache | awk -v k="$1" '$1 == k { print $2 }'
}
# build [RUN OPTIONS]: make clean, make and run the program in the persistent upper.
build() {
        capture "$XHYBRID" run "$@" xhtest-cache -- sh -c 'make clean >/dev/null && make -s && ./prog'
}
# expect_delta WHAT HITS MISSES: the counters grew by that much since the last call.
H0=0 M0=0
expect_delta() {
        _h=$(stat hits) _m=$(stat misses)
        [ "$((_h - H0))" = "$2" ] && [ "$((_m - M0))" = "$3" ] ||
                fail "$1: $((_h - H0)) hits and $((_m - M0)) misses, expected $2 and $3"
        H0=$_h M0=$_m
}
# same_objects WHAT: the objects equal those of the uncached build in ref/.
same_objects() {
        for o in a.o b.o c.o main.o prog; do
                cmp -s "$o" "ref/$o" || fail "$1: $o differs from the uncached build"
        done
}
# reference: the uncached build of the current state, kept in ref/.
reference() {
        build --no-cache
        expect_rc 0 "uncached build"
        REF=$OUT
        rm -rf ref && mkdir ref && cp a.o b.o c.o main.o prog ref/
}
in_upper() {
        "$XHYBRID" run xhtest-cache -- sh -c "$1" || fail "cannot change the upper: $1"
}

# The stats of a cache no session has made; a header of the target's.
capture "$XHYBRID" cache stats xhtest-cache
expect_rc 0 "stats before any session"
expect_out "^cache  *$CACHE (not made yet)$" "stats before any session"
in_upper 'echo "#define XH_VALUE 1" >/usr/include/xhtest-cache.h'

reference
[ "$REF" = "7 1 2" ] || fail "the uncached program printed '$REF'"
expect_delta "--no-cache" 0 0
capture "$XHYBRID" run --dry-run xhtest-cache -- true
expect_out "^bind  *$CACHE -> .*/.xhybrid/ccache \[nodev,nosuid\]$" "dry run: the cache's bind"

# Cold, then warm: every compile a miss, then every one a hit; the same objects.
build --env XHYBRID_TRACE="$SCRATCH/src/trace"
expect_rc 0 "cold build"
[ "$OUT" = "$REF" ] || fail "cold build printed '$OUT'"
expect_delta "cold build" 0 4
same_objects "cold build"
grep -q "$TRIPLET-gcc-[0-9]* -> native (compile cache) /.xhybrid/toolchain/usr/bin/ccache: ccache /.xhybrid/run/names/cc " \
        "$SCRATCH/src/trace" || fail "the trace shows no compile through ccache: $(cat "$SCRATCH/src/trace")"
# The link runs the driver itself: ccache would only pass it on.
grep -q "$TRIPLET-gcc-[0-9]* -> native /.xhybrid/toolchain/usr/bin/$TRIPLET-gcc-[0-9]*: /.xhybrid/run/names/cc .* -o prog " \
        "$SCRATCH/src/trace" || fail "the link did not run the driver directly: $(cat "$SCRATCH/src/trace")"
build
expect_rc 0 "warm build"
expect_delta "warm build after make clean" 4 0
same_objects "warm build"
# A throwaway session reads and writes the same cache.
build --ephemeral
expect_delta "warm build in a throwaway session" 4 0
same_objects "throwaway session"

# A header touched but unchanged is still a hit; a changed one a miss for b.c only.
in_upper 'touch /usr/include/xhtest-cache.h'
build
expect_delta "touched header" 4 0
in_upper 'echo "#define XH_VALUE 2" >/usr/include/xhtest-cache.h'
reference
[ "$REF" = "7 2 2" ] || fail "the uncached build with the changed header printed '$REF'"
build
[ "$OUT" = "$REF" ] || fail "changed header: printed '$OUT', expected '$REF'"
expect_delta "changed header" 3 1
same_objects "changed header"

# A new package whose header comes earlier in the search (the multiarch
# directory), then one in /usr/local/include, earlier still: each a miss.
mkdir -p "$SCRATCH/deb/DEBIAN" "$SCRATCH/deb/usr/include/$MULTIARCH"
printf 'Package: xhtest-cache-header\nVersion: 1\nArchitecture: %s\nMaintainer: x <x@example.org>\nDescription: test\n' \
        "$ARCH" >"$SCRATCH/deb/DEBIAN/control"
echo "#define XH_VALUE 4" >"$SCRATCH/deb/usr/include/$MULTIARCH/xhtest-cache.h"
dpkg-deb --root-owner-group -b "$SCRATCH/deb" "$SCRATCH/src/x.deb" >/dev/null || fail "dpkg-deb failed"
in_upper 'dpkg -i x.deb >/dev/null && rm x.deb'
reference
[ "$REF" = "7 4 2" ] || fail "the uncached build with the new package printed '$REF'"
build
[ "$OUT" = "$REF" ] || fail "new package: printed '$OUT', expected '$REF'"
expect_delta "a new package's header earlier in the search" 3 1
same_objects "new package"
in_upper 'echo "#define XH_VALUE 3" >/usr/local/include/xhtest-cache.h'
build
[ "$OUT" = "7 3 2" ] || fail "/usr/local/include: printed '$OUT'"
expect_delta "a header in /usr/local/include" 3 1

# The target's gcc, emulated, never meets the native one's entries: given as
# ccache's compiler by hand on a source just cached, it is a miss; and with
# XHYBRID_EMULATE=gcc the compiles do not go through the cache at all.
"$XHYBRID" run xhtest-cache -- sh -c "CCACHE_CONFIGPATH=/.xhybrid/ccache.conf /.xhybrid/toolchain/usr/bin/ccache \
        /.xhybrid/orig$(readlink -f "$(root_of "$PROFILE")/rootfs/usr/bin/gcc" | sed 's|.*/rootfs||') \
        -O2 -g -c a.c -o a-emulated.o" || fail "ccache with the emulated gcc failed"
expect_delta "the emulated gcc by hand" 0 1
build --env XHYBRID_EMULATE=gcc,cc
expect_rc 0 "emulated build"
expect_delta "XHYBRID_EMULATE=gcc" 0 0
# A driver told to look for its parts elsewhere compiles without the cache.
build --env COMPILER_PATH=/nonexistent
expect_rc 0 "COMPILER_PATH build"
expect_delta "COMPILER_PATH" 0 0

# Another store with the same trees (hard links) and this cache as its path:
# the keys name no path of a store, so its rebuild is all hits.
mkdir -p "$SCRATCH/store/roots" "$SCRATCH/store/layers"
link_copy "$(root_of "$PROFILE")" "$SCRATCH/store/roots"
link_copy "$(toolchain_of "$PROFILE")" "$SCRATCH/store/layers"
sed -i "s|^cache = yes|cache = $CACHE|" "$XDG_CONFIG_HOME/xhybrid/profiles/xhtest-cache.ini"
capture "$XHYBRID" --store "$SCRATCH/store" run --ephemeral xhtest-cache -- sh -c \
        'echo "#define XH_VALUE 1" >/usr/include/xhtest-cache.h && make clean >/dev/null && make -s && ./prog'
expect_rc 0 "build from another store"
[ "$OUT" = "7 1 2" ] || fail "another store, with the header of the first builds: printed '$OUT'"
expect_delta "another store" 4 0

# stats and clear.
capture "$XHYBRID" cache stats xhtest-cache
expect_rc 0 "stats"
for k in profile cache hits misses "hit rate" failed uncacheable files size limit; do
        printf '%s\n' "$OUT" | grep -q "^$k  *[^ ]" || fail "stats lack '$k': $OUT"
done
[ "$(stat files)" -gt 0 ] || fail "no files in the cache: $OUT"
capture "$XHYBRID" cache clear xhtest-cache
expect_rc 0 "clear"
expect_err "^xhybrid: cleared the compile cache of profile 'xhtest-cache' ($CACHE): [1-9][0-9]* files*, " "clear"
[ -z "$OUT" ] || fail "clear wrote to standard output: $OUT"
[ "$(stat files)" = 0 ] && [ "$(stat hits)" = 0 ] || fail "clear left files or counters: $("$XHYBRID" cache stats xhtest-cache)"
H0=0 M0=0
build
expect_delta "after clear" 0 4

# Bad input: one message each.
capture "$XHYBRID" cache stats
expect_rc 2 "no profile"
expect_err "^xhybrid: cache stats: no profile given$" "no profile"
capture "$XHYBRID" cache purge xhtest-cache
expect_rc 2 "unknown subcommand"
expect_err "unknown subcommand 'purge' (stats or clear)" "unknown subcommand"
capture "$XHYBRID" cache stats xhtest-nosuch
expect_rc 125 "unknown profile"
expect_err "^xhybrid: unknown profile 'xhtest-nosuch'" "unknown profile"
capture "$XHYBRID" run --cache --emulated xhtest-cache -- true
expect_rc 2 "--cache --emulated"
expect_err "with --emulated the target's compiler runs, uncached" "--cache --emulated"
P=$XDG_CONFIG_HOME/xhybrid/profiles
sed "s|^cache = .*|cache = ccache|" "$P/xhtest-cache.ini" >"$P/xhtest-cache-bad.ini"
capture "$XHYBRID" run --ephemeral xhtest-cache-bad -- true
expect_rc 125 "relative cache"
expect_err "xhtest-cache-bad.ini:[0-9]*: invalid cache 'ccache'" "relative cache"
sed "s|^cache = .*|cache = $STORE/roots|" "$P/xhtest-cache.ini" >"$P/xhtest-cache-bad.ini"
capture "$XHYBRID" run --ephemeral xhtest-cache-bad -- true
expect_rc 125 "cache in the store"
expect_err "the compile cache $STORE/roots is inside the store" "cache in the store"
: >"$SCRATCH/afile"
sed "s|^cache = .*|cache = $SCRATCH/afile|" "$P/xhtest-cache.ini" >"$P/xhtest-cache-bad.ini"
capture "$XHYBRID" run --ephemeral xhtest-cache-bad -- true
expect_rc 125 "cache on a file"
expect_err "compile cache of profile 'xhtest-cache-bad' ($SCRATCH/afile)" "cache on a file"
# A toolchain layer without ccache (the scratch store's, ccache unlinked there).
rm -f "$SCRATCH/store/layers/$(basename "$(toolchain_of "$PROFILE")")/rootfs/usr/bin/ccache"
capture "$XHYBRID" --store "$SCRATCH/store" run --ephemeral --cache xhtest-cache -- true
expect_rc 125 "layer without ccache"
expect_err "needs ccache in the toolchain layer of profile 'xhtest-cache', which has none" "layer without ccache"
expect_err "^xhybrid: hint: add ccache to the profile's \[toolchain\] packages" "layer without ccache"
capture "$XHYBRID" --store "$SCRATCH/store" cache stats xhtest-cache
expect_rc 125 "stats without ccache"
expect_err "has no ccache" "stats without ccache"

# Where the target's gcc runs emulated (bookworm, skew = fallback), the
# session says its compiles are not cached, and they are not.
PROFILE=${XHYBRID_SKEW_PROFILE:-arm64-debian}
"$XHYBRID" create "$PROFILE" >&2 || fail "xhybrid create $PROFILE failed"
twin_profile xhtest-cache-skew "s|^cache =.*|cache = $SCRATCH/skew-cache|"
capture "$XHYBRID" run --ephemeral xhtest-cache-skew -- sh -c \
        'echo "#define XH_VALUE 1" >/usr/include/xhtest-cache.h && make clean >/dev/null && make -s && ./prog'
expect_rc 0 "bookworm build"
[ "$OUT" = "7 1 2" ] || fail "bookworm build printed '$OUT'"
expect_err "the compile cache serves native compiles only: the target's cpp, g++, gcc run emulated in this session, and their compiles are not cached" \
        "bookworm warning"
capture "$XHYBRID" cache stats xhtest-cache-skew
expect_out "^hits  *0$" "bookworm stats"
expect_out "^misses  *0$" "bookworm stats"
pass "rebuild all hits with identical objects; changed, new and shadowing headers miss; emulated gcc apart"
