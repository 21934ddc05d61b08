# SIGINT and SIGQUIT sent to xhybrid alone (kill PID, not its process group)
# reach the command, as SIGTERM does; a terminal's Ctrl-C, which the kernel
# sends to the whole foreground process group, reaches the command once, not
# once more through xhybrid and init. sigcount.c, built static for the host,
# counts each delivery.
. "$(dirname "$0")/lib.sh"
need_root
scratch
here=$(cd "$(dirname "$0")" && pwd)
cd "$SCRATCH"
gcc -static -O1 -o sigcount "$here/sigcount.c" || fail "cannot build sigcount.c with gcc -static"

wait_ready() {
        i=0
        while [ ! -f ready ] && [ $i -lt 300 ]; do
                sleep 0.1
                i=$((i + 1))
        done
        [ -f ready ] || fail "$1: the command did not start in 30 s"
}

# kill -SIG the xhybrid process alone while the command waits.
for case in INT:3 QUIT:4; do
        sig=${case%:*} want=${case#*:}
        rm -f ready out
        "$XHYBRID" run --ephemeral "$PROFILE" -- ./sigcount ready >out 2>&1 &
        pid=$!
        wait_ready "SIG$sig"
        t0=$(date +%s)
        kill -"$sig" $pid
        wait $pid
        rc=$?
        t=$(($(date +%s) - t0))
        [ "$rc" -eq "$want" ] || fail "SIG$sig sent to xhybrid: exit status $rc after $t s, expected $want (the command's, when it got the signal): $(cat out)"
        case $sig in
        INT) grep -q "^INT 1 QUIT 0$" out || fail "SIGINT sent to xhybrid: the command counted $(cat out)" ;;
        QUIT) grep -q "^INT 0 QUIT 1$" out || fail "SIGQUIT sent to xhybrid: the command counted $(cat out)" ;;
        esac
        [ "$t" -le 5 ] || fail "SIG$sig sent to xhybrid took $t s to reach the command"
done

# Ctrl-C typed on a terminal: script(1) gives the session a pseudo-terminal
# and writes the ^C character to it. script runs the command through $SHELL
# -c; exec keeps a shell that does not exec its last command itself (dash)
# out of the foreground group, where the ^C would end it with status 130.
command -v script >/dev/null || skip "script(1) from util-linux is missing"
rm -f ready
{
        i=0
        while [ ! -f ready ] && [ $i -lt 300 ]; do
                sleep 0.1
                i=$((i + 1))
        done
        printf '\003'
        sleep 4
} | script -qec "exec $XHYBRID run --ephemeral $PROFILE -- ./sigcount ready" /dev/null >out 2>&1
rc=$?
[ -f ready ] || fail "Ctrl-C: the command did not start: $(cat out)"
[ "$rc" -eq 3 ] || fail "Ctrl-C on the terminal: exit status $rc, expected 3: $(cat out)"
grep -q "INT 1 QUIT 0" out || fail "Ctrl-C on the terminal reached the command more than once: $(cat out)"
pass
