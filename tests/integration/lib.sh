# Shared helpers for the integration tests (sourced).
set -u
: "${XHYBRID:?XHYBRID must name the xhybrid binary}"
# arm64-trixie: its cross compiler is built from the same gcc source version as the
# target's, so hybrid sessions compile natively (89-compiler-skew.sh covers bookworm);
# riscv64-debian (trixie) likewise.
PROFILE=${XHYBRID_TEST_PROFILE:-arm64-trixie}
TEST_NAME=$(basename "$0" .sh)

fail() {
        echo "FAIL: $TEST_NAME: $*" >&2
        exit 1
}

skip() {
        echo "SKIP: $TEST_NAME: $*" >&2
        exit 77
}

pass() {
        echo "PASS: $TEST_NAME${1:+: $1}"
        exit 0
}

# Run and capture: sets OUT, ERR, RC.
capture() {
        _o=$(mktemp) _e=$(mktemp)
        "$@" >"$_o" 2>"$_e"
        RC=$?
        OUT=$(cat "$_o")
        ERR=$(cat "$_e")
        rm -f "$_o" "$_e"
}

expect_rc() {
        [ "$RC" -eq "$1" ] || fail "$2: exit status $RC, expected $1 (stdout: $OUT) (stderr: $ERR)"
}

expect_out() {
        printf '%s\n' "$OUT" | grep -q -- "$1" || fail "$2: output lacks '$1': $OUT"
}

expect_err() {
        printf '%s\n' "$ERR" | grep -q -- "$1" || fail "$2: error lacks '$1': $ERR"
}

# Tests that need namespaces skip when the host cannot make them.
need_sessions() {
        [ "$(id -u)" -eq 0 ] || [ -r /etc/subuid ] || skip "needs root or a subordinate id range"
        "$XHYBRID" doctor "$PROFILE" >/dev/null 2>&1 || skip "xhybrid doctor says sessions cannot run here"
}

# What the target of $PROFILE is, for the checks that name it (the tests
# run on any profile: XHYBRID_TEST_PROFILE): ARCH (arm64), SUITE, TRIPLET
# (aarch64-linux-gnu), QEMU (aarch64: the host's binfmt_misc entry is
# qemu-QEMU), MACHINE (what uname -m says on such a machine, and qemu-user
# with it: aarch64) and GNU_TYPE (the host type of the target's make and
# bash, config.sub's canonical name: aarch64-unknown-linux-gnu).
target_facts() {
        _show=$("$XHYBRID" profiles show "$PROFILE" 2>&1) || fail "profiles show $PROFILE: $_show"
        ARCH=$(printf '%s\n' "$_show" | sed -n 's/^arch = //p')
        SUITE=$(printf '%s\n' "$_show" | sed -n 's/^suite = //p')
        TRIPLET=$(printf '%s\n' "$_show" | sed -n 's/^triplet = //p')
        QEMU=$(printf '%s\n' "$_show" | sed -n 's/^qemu = qemu-\(.*\)-static$/\1/p')
        case $ARCH in
        arm64) MACHINE=aarch64 ;;
        armel | armhf) MACHINE=armv7l ;;
        amd64) MACHINE=x86_64 ;;
        i386) MACHINE=i686 ;;
        mips64el) MACHINE=mips64 ;;
        ppc64el) MACHINE=ppc64le ;;
        *) MACHINE=$ARCH ;;
        esac
        case ${TRIPLET%%-*} in
        s390x) _vendor=ibm ;;
        x86_64 | i686) _vendor=pc ;;
        *) _vendor=unknown ;;
        esac
        GNU_TYPE=${TRIPLET%%-*}-$_vendor-${TRIPLET#*-}
}
target_facts

# The root is created once and cached in the store (outside the clone).
# Sets ELF_KIND ("ELF 64-bit LSB aarch64": how xhybrid elf names the
# machine of the root's own programs), LOADER (their program interpreter,
# /lib/ld-linux-aarch64.so.1) and MULTIARCH (the directory of the target's
# libc below /usr/lib: aarch64-linux-gnu).
need_root() {
        need_sessions
        "$XHYBRID" create "$PROFILE" >&2 || fail "xhybrid create $PROFILE failed"
        _root=$(root_of "$PROFILE")
        _elf=$("$XHYBRID" elf "$_root/rootfs/usr/bin/dash") || fail "xhybrid elf of the root's dash: $_elf"
        ELF_KIND=$(printf '%s\n' "$_elf" | sed -n 's/^[^:]*: \(ELF [^,]*\),.*/\1/p')
        LOADER=$(printf '%s\n' "$_elf" | sed -n 's/.*, dynamic (\([^)]*\)).*/\1/p')
        _ld=$(readlink "$_root/rootfs/usr$LOADER") || fail "the root's $LOADER is not a link"
        MULTIARCH=$(basename "$(dirname "$_ld")")
        [ -n "$ELF_KIND" ] && [ -n "$MULTIARCH" ] || fail "cannot tell the root's programs: $_elf"
}

# twin_profile NAME [SED]: a user profile NAME with the recipe of $PROFILE
# (so the same root) but its own persistent upper, edited by the sed
# expression SED. Needs XDG_CONFIG_HOME set by the test.
twin_profile() {
        mkdir -p "$XDG_CONFIG_HOME/xhybrid/profiles"
        "$XHYBRID" profiles show "$PROFILE" | sed -n '/^\[/,/^# root/p' | grep -v '^#' |
                sed "${2:-}" >"$XDG_CONFIG_HOME/xhybrid/profiles/$1.ini"
}

# fresh_upper NAME: start profile NAME (a twin) with no persistent upper, and
# remove its upper again at exit with the scratch directory. Sets STORE.
fresh_upper() {
        STORE=$("$XHYBRID" profiles show "$1" | sed -n 's/^# root: \(.*\)\/roots\/.*$/\1/p')
        [ -n "$STORE" ] || fail "cannot find the store"
        rm -rf "$STORE/sessions/$1" "$STORE/sessions/$1.lock"
        trap 'rm -rf "$SCRATCH" "$STORE/sessions/'"$1"'" "$STORE/sessions/'"$1"'.lock"' EXIT
}

# hello.c (stdio) and g.c (glib) in the current directory.
write_hello_sources() {
        cat >hello.c <<'SRC'
#include <stdio.h>
int main(void) { printf("hello\n"); return 0; }
SRC
        cat >g.c <<'SRC'
#include <glib.h>
int main(void) { g_print("hello from glib %d\n", GLIB_MAJOR_VERSION); return 0; }
SRC
}

# A scratch directory removed at exit.
scratch() {
        SCRATCH=$(mktemp -d /tmp/xhybrid-test.XXXXXX)
        trap 'rm -rf "$SCRATCH"' EXIT
}

# xhybrid_for_user: sets USER_XHYBRID to a copy of xhybrid, with xhybrid-shim
# beside it as xhybrid expects, in $SCRATCH/bin, which another user can reach
# wherever the clone is (root's home is mode 700). Makes $SCRATCH mode 755.
xhybrid_for_user() {
        mkdir -p "$SCRATCH/bin"
        cp "$XHYBRID" "$(dirname "$XHYBRID")/xhybrid-shim" "$SCRATCH/bin/" ||
                fail "cannot copy xhybrid and xhybrid-shim to $SCRATCH/bin"
        chmod 755 "$SCRATCH" "$SCRATCH/bin" "$SCRATCH/bin/xhybrid" "$SCRATCH/bin/xhybrid-shim"
        USER_XHYBRID=$SCRATCH/bin/xhybrid
}

# in_private_mounts: run the rest of the test in a mount namespace of its
# own (unshare -m, private propagation), so that what it mounts (a small
# tmpfs store, a stand-in mmdebstrap) never reaches the host. Call it first:
# the test starts again from the top inside.
in_private_mounts() {
        [ -n "${XH_PRIVATE_MOUNTS:-}" ] && return 0
        [ "$(id -u)" -eq 0 ] || skip "needs root for a mount namespace of its own"
        command -v unshare >/dev/null || skip "unshare(1) from util-linux is missing"
        XH_PRIVATE_MOUNTS=1 exec unshare -m --propagation private sh "$0" "$@"
}

# private_scratch: scratch for a test in its own mount namespace; at exit
# the processes the test put in BG_PIDS are ended (a test that fails while
# they wait must not leave them) and what it mounted under the scratch
# directory is unmounted, so that it can be removed.
BG_PIDS=
private_scratch() {
        scratch
        trap 'for _p in $BG_PIDS; do kill -TERM "$_p" 2>/dev/null; done
                grep -F " $SCRATCH/" /proc/self/mountinfo | cut -d" " -f5 | sort -r |
                while read -r _m; do umount -l "$_m"; done; rm -rf "$SCRATCH"' EXIT
}

# plain_user UID NAME [START:COUNT]: in a test in its own mount namespace
# (in_private_mounts, private_scratch), make UID a user named NAME, as
# newuidmap and newgidmap need one, with the subordinate range START:COUNT in
# /etc/subuid and /etc/subgid (none when it is empty): copies of /etc/passwd,
# /etc/group, /etc/subuid and /etc/subgid with its lines are bound over the
# host's, which stay as they are. newuidmap (setuid root) reads them in the
# caller's mount namespace. Sets USER_HOME, a directory of its own, and
# USER_STORE, its store; run xhybrid as it with as_plain_user (after
# xhybrid_for_user).
plain_user() {
        [ -n "${XH_PRIVATE_MOUNTS:-}" ] || fail "plain_user binds over /etc: call in_private_mounts first"
        command -v setpriv >/dev/null || skip "setpriv is missing (apt-get install util-linux)"
        [ -x /usr/bin/newuidmap ] && [ -x /usr/bin/newgidmap ] ||
                skip "newuidmap or newgidmap is missing (apt-get install uidmap)"
        PLAIN_UID=$1 PLAIN_NAME=$2
        USER_HOME=$SCRATCH/home-$2 USER_STORE=$SCRATCH/store-$2
        mkdir -p "$USER_HOME" "$USER_STORE" "$SCRATCH/etc"
        chown "$1:$1" "$USER_HOME" "$USER_STORE"
        { grep -v "^$2:" /etc/passwd; echo "$2:x:$1:$1:xhybrid test:$USER_HOME:/bin/sh"; } >"$SCRATCH/etc/passwd"
        { grep -v "^$2:" /etc/group; echo "$2:x:$1:"; } >"$SCRATCH/etc/group"
        plain_range "${3:-}"
        for f in passwd group; do
                mount --bind "$SCRATCH/etc/$f" "/etc/$f" || fail "cannot bind a copy over /etc/$f"
        done
}

# plain_range [START:COUNT]: the subordinate range of the plain_user (none
# when empty), in /etc/subuid and /etc/subgid (the other users' lines kept).
plain_range() {
        for f in subuid subgid; do
                [ -f "/etc/$f" ] || skip "no /etc/$f to bind a copy over (apt-get install uidmap)"
                umount "/etc/$f" 2>/dev/null
                { grep -v "^$PLAIN_NAME:" "/etc/$f"; [ -z "$1" ] || echo "$PLAIN_NAME:$1"; } >"$SCRATCH/etc/$f.new"
                mv "$SCRATCH/etc/$f.new" "$SCRATCH/etc/$f"
                mount --bind "$SCRATCH/etc/$f" "/etc/$f" || fail "cannot bind a copy over /etc/$f"
        done
}

# as_plain_user CMD...: xhybrid (the copy xhybrid_for_user made) run as the
# plain_user, in the current directory, with its home and store.
as_plain_user() {
        setpriv --reuid="$PLAIN_UID" --regid="$PLAIN_UID" --clear-groups \
                env HOME="$USER_HOME" XHYBRID_STORE="$USER_STORE" "$USER_XHYBRID" "$@"
}

# link_copy SRC DIR: SRC copied into DIR as hard links (a scratch store made
# from the shared one in a second; nothing may write to an existing file of
# it), or as a plain copy where DIR is on another file system.
link_copy() {
        mkdir -p "$2"
        cp -al "$1" "$2/" 2>/dev/null || { rm -rf "$2/$(basename "$1")" && cp -a "$1" "$2/"; }
}

# root_of PROFILE / toolchain_of PROFILE: the directory (without /rootfs) of
# the profile's root / toolchain layer in the current store, if it exists.
root_of() {
        "$XHYBRID" profiles show "$1" | sed -n 's/^# root: \(.*\)\/rootfs (created)$/\1/p'
}
toolchain_of() {
        "$XHYBRID" profiles show "$1" | sed -n 's/^# toolchain layer: \(.*\)\/rootfs (created)$/\1/p'
}

# mini_root DIR: a small root of the target (dash, a few coreutils, libc
# and its dpkg status) copied from the root of $PROFILE (after need_root):
# enough for an emulated session, and what fake_mmdebstrap lays down.
mini_root() {
        _src=$(root_of "$PROFILE")
        [ -n "$_src" ] || fail "no root for $PROFILE"
        mkdir -p "$1"
        _lddir=$(dirname "$LOADER")
        [ "$_lddir" = /lib ] && _lddir=
        (cd "$_src/rootfs" && cp -a --parents bin lib sbin ${_lddir#/} usr/bin/dash usr/bin/sh \
                usr/bin/true usr/bin/cat usr/bin/sleep usr/bin/touch usr/bin/rm usr/bin/uname \
                "usr$LOADER" "usr/lib/$MULTIARCH/$(basename "$LOADER")" "usr/lib/$MULTIARCH/libc.so.6" \
                etc/passwd etc/group etc/resolv.conf var/lib/dpkg/status "$1/") ||
                fail "cannot copy a small root from $_src/rootfs"
        mkdir -p "$1/tmp" "$1/proc" "$1/dev" "$1/sys" "$1/root"
}

# fake_mmdebstrap SRC STEP: put a stand-in over mmdebstrap (in a private
# mount namespace only, see in_private_mounts) that copies SRC into the
# target directory one top-level entry at a time, sleeping STEP seconds after
# each: a create that takes a second or two and can be killed anywhere, with
# everything of xhybrid's own (locks, PATH.tmp, the namespace, the rename,
# the recipe) as in a real one. It fails like mmdebstrap when a copy fails.
fake_mmdebstrap() {
        _real=$(command -v mmdebstrap) || skip "mmdebstrap is not installed (the stand-in is mounted over it)"
        cat >"$SCRATCH/fake-mmdebstrap" <<FAKE
#!/bin/sh
# Stand-in for mmdebstrap: ... SUITE TARGET MIRROR, as xhybrid calls it.
eval "target=\\\${\$((\$# - 1))}"
mkdir -p "\$target" || exit 1
for entry in "$1"/*; do
        cp -a "\$entry" "\$target/" || exit 1
        sleep $2
done
FAKE
        chmod 755 "$SCRATCH/fake-mmdebstrap"
        mount --bind "$SCRATCH/fake-mmdebstrap" "$_real" || fail "cannot mount the stand-in over $_real"
}

# small_profile NAME: a user profile NAME in $XDG_CONFIG_HOME whose create
# is small (minbase, no toolchain layer): what fake_mmdebstrap lays down, a
# root of the target's arch and suite.
small_profile() {
        mkdir -p "$XDG_CONFIG_HOME/xhybrid/profiles"
        printf '[target]\nsuite = %s\narch = %s\nvariant = minbase\n[toolchain]\npackages =\n' \
                "$SUITE" "$ARCH" >"$XDG_CONFIG_HOME/xhybrid/profiles/$1.ini"
}

# scratch_store NAME STEP: a scratch store in $SCRATCH/store (XHYBRID_STORE)
# with the root and toolchain layer of $PROFILE hard linked (link_copy), a
# user profile NAME (small_profile) in $SCRATCH/config (XDG_CONFIG_HOME), and
# fake_mmdebstrap laying down a mini_root, sleeping STEP seconds per entry.
# Needs private_scratch.
scratch_store() {
        _root=$(root_of "$PROFILE")
        _tc=$(toolchain_of "$PROFILE")
        [ -n "$_root" ] && [ -n "$_tc" ] || fail "no root or toolchain layer for $PROFILE"
        export XHYBRID_STORE="$SCRATCH/store" XDG_CONFIG_HOME="$SCRATCH/config"
        link_copy "$_root" "$XHYBRID_STORE/roots"
        link_copy "$_tc" "$XHYBRID_STORE/layers"
        mini_root "$SCRATCH/mini"
        fake_mmdebstrap "$SCRATCH/mini" "$2"
        small_profile "$1"
}

# A seeded pseudo-random sequence (the seed printed by the test, settable
# with XHYBRID_TEST_SEED so that a failure can be replayed): rand N sets R to
# a number in [0, N).
rand_init() {
        SEED=${XHYBRID_TEST_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
        _rs=$SEED
        echo "$TEST_NAME: seed $SEED (replay: XHYBRID_TEST_SEED=$SEED)"
}
rand() {
        _rs=$(((_rs * 1103515245 + 12345) % 2147483648))
        R=$(((_rs / 65536) % $1))
}

# strays MARK: the pids of live processes whose environment or arguments
# hold MARK (xhybrid and init inherit its environment; commands get it as
# an argument).
strays() {
        for _p in /proc/[0-9]*; do
                [ "${_p#/proc/}" = $$ ] && continue
                if grep -qs -- "$1" "$_p/environ" "$_p/cmdline" 2>/dev/null; then
                        echo "${_p#/proc/}"
                fi
        done
}

# no_strays MARK WHAT: wait up to 3 s (the kernel's teardown of a PID
# namespace) for every process marked MARK to be gone; fail (and kill them)
# otherwise.
no_strays() {
        _end=$(($(date +%s) + 3))
        while [ -n "$(strays "$1")" ]; do
                if [ "$(date +%s)" -ge $_end ]; then
                        _left=$(strays "$1")
                        for _p in $_left; do
                                echo "  $_p: $(tr '\0' ' ' <"/proc/$_p/cmdline" 2>/dev/null)" >&2
                        done
                        kill -KILL $_left 2>/dev/null
                        fail "$2: processes left 3 s after the end: $_left"
                fi
                sleep 0.1
        done
}

# child_of PID: the first child of PID, or nothing.
child_of() {
        _c=$(cat "/proc/$1/task/$1/children" 2>/dev/null) || return 0
        echo "${_c%% *}"
}

# our_mounts PATTERN: the lines of this mount namespace's mount table that
# name PATTERN (a scratch store): none may be left after a session.
our_mounts() {
        grep -F -- "$1" /proc/self/mountinfo || true
}

# write_tiny_package DIR: an unpacked Debian source package xh-tiny 1.0 at
# DIR (one C program, no build dependencies beyond build-essential, no root
# needed); its build fails with make's Error 7 when DIR/debian/fail exists.
write_tiny_package() {
        mkdir -p "$1/debian/source"
        cat >"$1/debian/control" <<'CONTROL'
Source: xh-tiny
Section: misc
Priority: optional
Maintainer: xhybrid tests <tests@xhybrid.invalid>
Standards-Version: 4.6.2
Rules-Requires-Root: no

Package: xh-tiny
Architecture: any
Description: a program built by xhybrid's tests
 One C program, built with the target's compiler.
CONTROL
        cat >"$1/debian/changelog" <<'CHANGELOG'
xh-tiny (1.0) unstable; urgency=medium

  * A package for xhybrid's tests.

 -- xhybrid tests <tests@xhybrid.invalid>  Thu, 01 Jan 2026 00:00:00 +0000
CHANGELOG
        echo '3.0 (native)' >"$1/debian/source/format"
        printf '#include <stdio.h>\nint main(void) { puts("tiny"); return 0; }\n' >"$1/tiny.c"
        printf '%s\n' '#!/usr/bin/make -f' \
                'build build-arch build-indep:' \
                '	test ! -e debian/fail || exit 7' \
                '	cc -O2 -o tiny tiny.c' \
                'clean:' \
                '	rm -rf tiny debian/tmp debian/files' \
                'binary binary-arch binary-indep: build' \
                '	install -d debian/tmp/DEBIAN debian/tmp/usr/bin' \
                '	install -m 755 tiny debian/tmp/usr/bin/xh-tiny' \
                '	dpkg-gencontrol -pxh-tiny -Pdebian/tmp' \
                '	dpkg-deb --root-owner-group --build debian/tmp ..' >"$1/debian/rules"
        chmod 755 "$1/debian/rules"
}

# podman_setup: this kind of machine's podman needs two settings in
# containers.conf (no default ulimits, the cgroupfs manager); they are written
# only when absent, and podman_restore (called by the test's EXIT trap) puts
# the file back as it was. Needs $SCRATCH.
podman_setup() {
        PODMAN_CONF=/etc/containers/containers.conf
        PODMAN_CONF_SAVED=
        PODMAN_CONF_MADE=
        if ! grep -qs '^ *default_ulimits' "$PODMAN_CONF" || ! grep -qs '^ *cgroup_manager' "$PODMAN_CONF"; then
                mkdir -p /etc/containers
                if [ -e "$PODMAN_CONF" ]; then
                        PODMAN_CONF_SAVED=$SCRATCH/containers.conf
                        cp -p "$PODMAN_CONF" "$PODMAN_CONF_SAVED"
                else
                        PODMAN_CONF_MADE=1
                fi
                {
                        grep -qs '^ *default_ulimits' "$PODMAN_CONF" || printf '[containers]\ndefault_ulimits = []\n'
                        grep -qs '^ *cgroup_manager' "$PODMAN_CONF" || printf '[engine]\ncgroup_manager = "cgroupfs"\n'
                } >>"$PODMAN_CONF"
        fi
}

podman_restore() {
        [ -n "${PODMAN_CONF_SAVED:-}" ] && cp -p "$PODMAN_CONF_SAVED" "$PODMAN_CONF"
        [ -n "${PODMAN_CONF_MADE:-}" ] && rm -f "$PODMAN_CONF"
        return 0
}

# since T0: the seconds since T0 (date +%s.%N), one decimal.
since() {
        awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'
}

# The host's binfmt_misc entries, on one line; binfmt_before records them in
# BINFMT_BEFORE and says what they are.
binfmt_entries() {
        ls /proc/sys/fs/binfmt_misc 2>/dev/null | tr '\n' ' '
}
binfmt_before() {
        BINFMT_BEFORE=$(binfmt_entries)
        echo "host binfmt_misc entries before: ${BINFMT_BEFORE:-(none; binfmt_misc not mounted)}"
}

# prun ARGS...: capture podman run --rm ARGS; the host's binfmt_misc entries
# must be BINFMT_BEFORE still. podman's warning that an image's platform is
# not the host's is left out of ERR.
prun() {
        capture podman run --rm "$@"
        _now=$(binfmt_entries)
        [ "$_now" = "$BINFMT_BEFORE" ] || fail "podman run $*: the host's binfmt_misc entries changed: '$BINFMT_BEFORE' -> '$_now'"
        ERR=$(printf '%s\n' "$ERR" | grep -v "^WARNING: image platform")
}
