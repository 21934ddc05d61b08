# A command that exists but whose interpreter does not (a #! line naming a
# missing program, an x86-64 program without its loader in an emulated
# session) is reported as a bad interpreter with exit status 126, as shells
# do; only a command that does not exist is "not found" (127).
. "$(dirname "$0")/lib.sh"
need_root
scratch
cd "$SCRATCH"
mkdir bin
printf '#!/usr/bin/xh-no-interp -e\necho ran\n' >bin/xh-script
chmod 755 bin/xh-script
cp bin/xh-script direct

capture "$XHYBRID" run --ephemeral "$PROFILE" -- ./direct
expect_rc 126 "script with a missing interpreter"
expect_err "xhybrid: ./direct: bad interpreter /usr/bin/xh-no-interp: No such file or directory" "script with a missing interpreter"
expect_err "hint: /usr/bin/xh-no-interp is not in the session's root" "script with a missing interpreter"
printf '%s\n' "$ERR" | grep -q "not found" && fail "a script with a missing interpreter is called not found: $ERR"

# Found through PATH, the file is named where it was found.
capture "$XHYBRID" run --ephemeral --env "PATH=$SCRATCH/bin:/usr/bin:/bin" "$PROFILE" -- xh-script
expect_rc 126 "script found in PATH"
expect_err "xhybrid: $SCRATCH/bin/xh-script: bad interpreter /usr/bin/xh-no-interp: No such file or directory" "script found in PATH"

# An x86-64 program in an emulated session: its loader is not in the target's root.
cp /bin/true host-true
capture "$XHYBRID" run --ephemeral --emulated "$PROFILE" -- ./host-true
expect_rc 126 "program without its loader"
expect_err "xhybrid: ./host-true: bad interpreter /lib64/ld-linux-x86-64.so.2: No such file or directory" "program without its loader"

# What does not exist is still "not found", with 127.
capture "$XHYBRID" run --ephemeral "$PROFILE" -- xh-no-such-command
expect_rc 127 "missing command"
expect_err "xhybrid: xh-no-such-command: command not found" "missing command"
capture "$XHYBRID" run --ephemeral "$PROFILE" -- ./xh-no-such-file
expect_rc 127 "missing file"
expect_err "xhybrid: ./xh-no-such-file: No such file or directory" "missing file"
pass
