# enter gives a shell; with a terminal the command sees a tty.
. "$(dirname "$0")/lib.sh"
need_root
capture sh -c 'printf "uname -m\necho \$XHYBRID_PROFILE\nexit 3\n" | "$0" enter --ephemeral "$1"' "$XHYBRID" "$PROFILE"
expect_rc 3 "enter with commands on stdin"
expect_out "^$MACHINE$" "enter"
expect_out "^$PROFILE$" "enter"
command -v script >/dev/null || skip "script(1) is missing (apt-get install bsdutils)"
capture script -qec "$XHYBRID run --ephemeral $PROFILE -- sh -c 'test -t 0 && tty'" /dev/null
expect_rc 0 "tty inside"
expect_out "/dev/pts/" "tty inside"
capture script -qec "printf 'echo interactive-\$((6*7))\nexit\n' | $XHYBRID enter --ephemeral $PROFILE" /dev/null
expect_out "interactive-42" "enter under a terminal"
pass
