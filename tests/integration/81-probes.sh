# Compiler and tool probes answer in a hybrid session as the target's own
# tools do in an emulated one; differences that remain are listed in
# docs/hybrid.md.
. "$(dirname "$0")/lib.sh"
need_root
scratch
cd "$SCRATCH"
printf '#include <stdio.h>\n#include <glib.h>\nint main(void) { return 0; }\n' >probe.c
i=0
while IFS= read -r cmd; do
        [ -n "$cmd" ] || continue
        i=$((i + 1))
        "$XHYBRID" run --ephemeral "$PROFILE" -- sh -c "$cmd" >"hy.$i" 2>&1
        "$XHYBRID" run --ephemeral --emulated "$PROFILE" -- sh -c "$cmd" >"em.$i" 2>&1
        if ! cmp -s "hy.$i" "em.$i"; then
                diff -u "em.$i" "hy.$i" | head -30 >&2
                fail "'$cmd' answers differently in hybrid and emulated sessions"
        fi
done <<'CMDS'
gcc -v
gcc --version
g++ --version
cc -dumpmachine
gcc -dumpversion
gcc -dumpfullversion
gcc -print-multiarch
gcc -print-search-dirs
gcc -print-prog-name=ld
gcc -print-prog-name=as
gcc -print-file-name=libc.so
gcc -print-file-name=crtbeginS.o
gcc -print-libgcc-file-name
gcc -print-multi-os-directory
gcc -E -v -x c /dev/null
gcc -dM -E -x c /dev/null | sort
g++ -dM -E -x c++ /dev/null | sort
cpp -dM /dev/null | sort
gcc -M $(pkg-config --cflags glib-2.0) probe.c
gcc -E -P probe.c $(pkg-config --cflags glib-2.0) | md5sum
pkg-config --cflags --libs glib-2.0
pkg-config --libs --static glib-2.0
pkg-config --variable pc_path pkg-config
pkg-config --modversion glib-2.0
uname -m
bash -c 'echo $HOSTTYPE $MACHTYPE $OSTYPE'
ld --version | head -1
as --version | head -1
make --version
bash --version
getconf LONG_BIT
CMDS
pass "$i probes identical"
