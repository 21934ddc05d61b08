# The host's toolchain variables never reach a session; --env passes one.
. "$(dirname "$0")/lib.sh"
need_root
export LIBRARY_PATH=/xh-leak/lib CPATH=/xh-leak/include LD_PRELOAD=/xh-leak/p.so \
        PKG_CONFIG_PATH=/xh-leak/pc GCC_EXEC_PREFIX=/xh-leak/gcc XH_TEST_VAR=passed
capture "$XHYBRID" run --ephemeral "$PROFILE" -- gcc -print-search-dirs
expect_rc 0 "gcc -print-search-dirs"
printf '%s\n' "$OUT" | grep -q xh-leak && fail "host variables reached gcc: $OUT"
expect_out "libraries: =" "gcc -print-search-dirs"
capture "$XHYBRID" run --ephemeral "$PROFILE" -- env
printf '%s\n' "$OUT" | grep -q xh-leak && fail "host variables reached the session: $OUT"
printf '%s\n' "$OUT" | grep -q '^PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin$' ||
        fail "PATH inside is not the target's default: $OUT"
capture "$XHYBRID" run --ephemeral --env XH_TEST_VAR --env XH_OTHER=x "$PROFILE" -- env
expect_out "^XH_TEST_VAR=passed$" "--env NAME"
expect_out "^XH_OTHER=x$" "--env NAME=VALUE"
pass
