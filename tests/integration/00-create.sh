# xhybrid create makes the root once; a second call returns at once.
. "$(dirname "$0")/lib.sh"
need_root
start=$(date +%s)
capture "$XHYBRID" create "$PROFILE"
expect_rc 0 "second create"
expect_err "exists" "second create (progress goes to standard error)"
[ $(( $(date +%s) - start )) -le 5 ] || fail "second create took more than 5 s"
capture "$XHYBRID" profiles show "$PROFILE"
expect_out "(created)" "profiles show"
pass
