# Shared helpers for the integration tests (sourced).
set -u
: "${XHYBRID:?XHYBRID must name the xhybrid binary}"
# arm64-trixie: its cross compiler is built from the same gcc source version as the
# target's, so hybrid sessions compile natively (89-compiler-skew.sh covers bookworm).
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

# The root is created once and cached in the store (outside the clone).
need_root() {
        need_sessions
        "$XHYBRID" create "$PROFILE" >&2 || fail "xhybrid create $PROFILE failed"
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
