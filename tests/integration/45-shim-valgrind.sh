# The shim is valgrind-clean (no memory error, no leak) on a compile, on a
# compiler probe (asked, then answered from the cache) and on a pkg-config
# run, with and without the facts cache.
# It runs outside a session, against a fake /.xhybrid in a private mount
# namespace: a chroot made of the host's /usr, /etc, /dev and /proc, and a
# scratch /.xhybrid whose target programs are scripts that answer as the
# target's gcc and pkgconf would. valgrind cannot follow malloc in a static
# glibc program, so this runs xhybrid-shim-dynamic, the same sources linked
# dynamically. A run that ends in exec gives valgrind no exit to report at,
# so every run writes valgrind's log (-q: errors only) to a file that must
# stay empty, and the runs whose program is missing end in the shim's own
# exit, where the leak check and --error-exitcode apply.
. "$(dirname "$0")/lib.sh"
command -v valgrind >/dev/null || skip "valgrind is missing (scripts/deps installs it)"
shim=${XH_BINARY_DIR:?}/bin/xhybrid-shim-dynamic
[ -x "$shim" ] || fail "$shim is missing (it is built with xhybrid)"
command -v unshare >/dev/null || fail "unshare (util-linux) is missing"
scratch
chmod 755 "$SCRATCH"

GCC=usr/bin/aarch64-linux-gnu-gcc-12
PKGCONF=usr/bin/pkgconf
xh=$SCRATCH/xh # the fake /.xhybrid
mkdir -p "$xh/orig/tools/usr/bin" "$xh/toolchain/tools/usr/bin" "$xh/run" "$xh/cache" \
        "$SCRATCH/root" "$SCRATCH/tools/usr/bin" "$SCRATCH/logs"
cat >"$xh/shim.conf" <<'EOF'
triplet=aarch64-linux-gnu
gcc_libdir=/usr/lib/gcc/aarch64-linux-gnu/12
hosttype=aarch64
machtype=aarch64-unknown-linux-gnu
emulate=
EOF
# The shimmed tools, at /tools/usr/bin inside (the shim takes its path from /proc/self/exe).
cp "$shim" "$SCRATCH/tools/$GCC"
cp "$shim" "$SCRATCH/tools/$PKGCONF"

# The target's programs: what the shim asks them, and a probe's answer.
cat >"$xh/orig/tools/$GCC" <<'EOF'
#!/bin/sh
case "$*" in
"-E -v -x c /dev/null" | "-E -v -x c++ /dev/null")
        echo "$*" >>/.xhybrid/run/asked
        {
                echo '#include <...> search starts here:'
                if [ "$4" = c++ ]; then echo ' /usr/include/c++/12'; fi
                echo ' /usr/lib/gcc/aarch64-linux-gnu/12/include'
                echo ' /usr/include'
                echo 'End of search list.'
        } >&2
        ;;
*)
        echo "$*" >>/.xhybrid/run/asked-probes
        echo "target gcc: $*"
        ;;
esac
EOF
cat >"$xh/orig/tools/$PKGCONF" <<'EOF'
#!/bin/sh
case "$*" in
--dump-personality) printf 'Triplet: default\nSystemIncludePaths: /usr/include\nSystemLibraryPaths: /usr/lib\n' ;;
"--variable pc_path pkg-config") echo /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig ;;
*) echo "target pkgconf: $*" ;;
esac
EOF
# The native programs: they say how they were called.
for tool in $GCC $PKGCONF; do
        printf '#!/bin/sh\necho "native $(basename "$0"): $*"\nenv | grep ^PKG_CONFIG_ | sort\n' \
                >"$xh/toolchain/tools/$tool"
done
chmod 755 "$xh/orig/tools/$GCC" "$xh/orig/tools/$PKGCONF" "$xh/toolchain/tools/$GCC" \
        "$xh/toolchain/tools/$PKGCONF"

# inside NAME TOOL ARGS...: run the shim as /tools/TOOL under valgrind in the
# fake root; its output in $SCRATCH/NAME.out, valgrind's log in
# $SCRATCH/logs/NAME.PID, the exit status in RC.
inside() {
        name=$1 tool=$2
        shift 2
        userns=
        [ "$(id -u)" -eq 0 ] || userns=--map-root-user
        # shellcheck disable=SC2016
        unshare --mount $userns --propagation private -- sh -euc '
                root=$1 scratch=$2 name=$3 tool=$4
                shift 4
                mount -t tmpfs tmpfs "$root"
                for d in usr etc dev proc; do
                        mkdir "$root/$d"
                        mount --rbind "/$d" "$root/$d"
                done
                for d in bin lib lib64 sbin; do
                        if [ -L "/$d" ]; then ln -s "$(readlink "/$d")" "$root/$d"; fi
                done
                mkdir "$root/.xhybrid" "$root/tools" "$root/logs"
                mkdir -m 1777 "$root/tmp" # valgrind keeps files there
                mount --bind "$scratch/xh" "$root/.xhybrid"
                mount --bind "$scratch/tools" "$root/tools"
                mount --bind "$scratch/logs" "$root/logs"
                exec chroot "$root" valgrind -q --vgdb=no --error-exitcode=1 --leak-check=full \
                        --log-file="/logs/$name.%p" "/tools/$tool" "$@"
        ' inside "$SCRATCH/root" "$SCRATCH" "$name" "$tool" "$@" >"$SCRATCH/$name.out" 2>&1
        RC=$?
        OUT=$(cat "$SCRATCH/$name.out") ERR=
        for log in "$SCRATCH/logs/$name".*; do
                [ -e "$log" ] || fail "$name: valgrind wrote no log (did it run?): $OUT"
                [ ! -s "$log" ] || fail "$name: valgrind reports: $(cat "$log")"
        done
}

# A probe runs the target's compiler.
inside probe $GCC --version
expect_rc 0 "probe"
[ "$OUT" = "target gcc: --version" ] || fail "probe printed '$OUT'"
ls "$xh/cache"/probe-* >/dev/null 2>&1 || fail "the probe's answer was not kept"

# Asked again: answered from the facts cache, the target not asked.
inside kept-probe $GCC --version
expect_rc 0 "kept probe"
[ "$OUT" = "target gcc: --version" ] || fail "kept probe printed '$OUT'"
[ "$(wc -l <"$xh/run/asked-probes")" -eq 1 ] || fail "the target was asked again: $(cat "$xh/run/asked-probes")"

# A compile asks the target for its include dirs, keeps them in the cache and
# runs the native driver with them.
want="native aarch64-linux-gnu-gcc-12: -nostdinc -include stdc-predef.h -c x.c -o x.o -isystem /usr/lib/gcc/aarch64-linux-gnu/12/include -isystem /usr/include -L/usr/lib/gcc/aarch64-linux-gnu/12"
inside compile $GCC -c x.c -o x.o
expect_rc 0 "compile"
[ "$OUT" = "$want" ] || fail "compile printed '$OUT', expected '$want'"
[ -n "$(ls "$xh/cache")" ] || fail "no facts in the cache after the compile"
[ -L "$xh/run/names/aarch64-linux-gnu-gcc-12" ] || fail "no driver link in the run directory"
[ "$(wc -l <"$xh/run/asked")" -eq 2 ] || fail "the target was asked: $(cat "$xh/run/asked")"

# The same compile reads the facts back from the cache (the target is not asked again).
inside cached $GCC -c x.c -o x.o
expect_rc 0 "compile with cached facts"
[ "$OUT" = "$want" ] || fail "compile with cached facts printed '$OUT'"
[ "$(wc -l <"$xh/run/asked")" -eq 2 ] || fail "the target was asked again: $(cat "$xh/run/asked")"

# pkg-config with the target's search path, traced to a file.
export XHYBRID_TRACE=/.xhybrid/run/trace
inside pkgconf $PKGCONF --cflags zlib
unset XHYBRID_TRACE
expect_rc 0 "pkg-config"
expect_out "native pkgconf: --cflags zlib" "pkg-config"
expect_out "PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig" "pkg-config"
expect_out "PKG_CONFIG_SYSTEM_LIBRARY_PATH=/usr/lib" "pkg-config"
grep -q "/tools/usr/bin/pkgconf -> native" "$xh/run/trace" || fail "no trace of pkg-config"

# Runs that end in the shim's own exit, where valgrind checks for leaks: the
# native compiler missing (after the decision, with cached facts), the
# target's compiler missing for a probe and for the facts of a compile.
rm "$xh/toolchain/tools/$GCC"
inside exit-compile $GCC -c x.c -o x.o
expect_rc 127 "compile without the native compiler"
expect_out "xhybrid-shim: cannot execute /.xhybrid/toolchain/tools/$GCC" "compile without the native compiler"
rm "$xh/orig/tools/$GCC"
inside exit-probe $GCC -dumpmachine
expect_rc 127 "probe without the target's compiler"
expect_out "xhybrid-shim: cannot execute /.xhybrid/orig/tools/$GCC" "probe without the target's compiler"
inside exit-facts $GCC -c x.c
expect_rc 125 "compile without the target's compiler to ask"
expect_out "cannot get the include dirs" "compile without the target's compiler to ask"
pass
