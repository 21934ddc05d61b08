# A symlink kept in a profile's persistent upper cannot lead a session's
# mounts out of its root. Bind targets and the working directory's mount
# point are found inside the root, as the session sees them: a --bind at
# /srv/esc2/data, where /srv/esc2 links to a directory that the host has too,
# lands in the session's directory and makes nothing in the host's; so does
# a working directory below such a link. A link that leads nowhere inside the
# session (to a directory only the host has, or dangling) or to / is refused
# with the path in the message.
. "$(dirname "$0")/lib.sh"
need_root
scratch
export XDG_CONFIG_HOME="$SCRATCH/config"
P=xhtest-links
twin_profile $P
fresh_upper $P
esc1="$SCRATCH/escape"
esc2="/var/tmp/xhtest-escape.$$"
cwd_link="/var/tmp/xhtest-cwd.$$"
cwd_esc="/var/tmp/xhtest-cwd-escape.$$"
trap 'rm -rf "$SCRATCH" "$esc2" "$cwd_link" "$cwd_esc" "$STORE/sessions/'$P'" "$STORE/sessions/'$P'.lock"' EXIT
mkdir -p "$SCRATCH/shared" "$esc1" "$esc2" "$cwd_esc"
echo from-host >"$SCRATCH/shared/in.txt"
cd "$SCRATCH"

capture "$XHYBRID" run $P -- sh -c '
mkdir -p /srv /var/tmp &&
ln -s "$0" /srv/esc && ln -s "$1" /srv/esc2 && ln -s / /srv/top &&
ln -s /nonexistent/dir /srv/dangling && ln -s "$3" "$2" && mkdir -p "$1" "$3"' \
        "$esc1" "$esc2" "$cwd_link" "$cwd_esc"
expect_rc 0 "planting links in the persistent upper"

# A link to a directory of both the host and the session.
capture "$XHYBRID" run --ephemeral --bind "$SCRATCH/shared:/srv/esc2/data" $P -- sh -c '
cat /srv/esc2/data/in.txt && cat "$0/data/in.txt" && echo inside >/srv/esc2/data/out.txt' "$esc2"
expect_rc 0 "a bind below a link to $esc2"
expect_out "^from-host$" "the bind below the link to $esc2"
[ ! -e "$esc2/data" ] || fail "a session made $esc2/data on the host"
[ "$(cat "$SCRATCH/shared/out.txt" 2>/dev/null)" = inside ] ||
        fail "the file written through the link is not in $SCRATCH/shared"
capture "$XHYBRID" run --bind "$SCRATCH/shared:/srv/esc2/data:ro" $P -- cat "$esc2/data/in.txt"
expect_rc 0 "a read-only bind below the link, in a session that keeps its upper"
expect_out "^from-host$" "the read-only bind below the link to $esc2"
[ ! -e "$esc2/data" ] || fail "a session made $esc2/data on the host"

# A link to a directory below the host's /tmp, which the session does not
# have (its /tmp is its own tmpfs; the working directory, bound at its own
# path, is not $SCRATCH here).
cd /
capture "$XHYBRID" run --ephemeral --bind "$SCRATCH/shared:/srv/esc/data" $P -- true
cd "$SCRATCH"
expect_rc 125 "a bind below a link to $esc1"
expect_err "hint: a symlink or a file of the session's root lies in the way of /srv/esc/data" \
        "a bind below a link to $esc1"
[ ! -e "$esc1/data" ] || fail "a session made $esc1/data on the host"

# The working directory below a link.
mkdir -p "$cwd_link/work"
(cd "$cwd_link/work" && "$XHYBRID" run --ephemeral $P -- sh -c 'pwd -P; echo here >made.txt') \
        >"$SCRATCH/cwd.out" 2>&1 || fail "a session in $cwd_link/work: $(cat "$SCRATCH/cwd.out")"
grep -qx "$cwd_esc/work" "$SCRATCH/cwd.out" ||
        fail "the session's working directory is not where its link leads: $(cat "$SCRATCH/cwd.out")"
[ "$(cat "$cwd_link/work/made.txt" 2>/dev/null)" = here ] ||
        fail "the file written in the working directory is not in $cwd_link/work on the host"
[ ! -e "$cwd_esc/work" ] || fail "a session made $cwd_esc/work on the host"

# A link to / would put the bind over the whole session; a dangling link has nothing to bind at.
capture "$XHYBRID" run --ephemeral --bind "$SCRATCH/shared:/srv/top" $P -- true
expect_rc 125 "a bind at a link to /"
expect_err "/srv/top" "a bind at a link to /"
expect_err "hint: a symlink or a file of the session's root lies in the way of /srv/top" \
        "a bind at a link to /"
capture "$XHYBRID" run --ephemeral --bind "$SCRATCH/shared:/srv/dangling/data" $P -- true
expect_rc 125 "a bind below a dangling link"
expect_err "hint: a symlink or a file of the session's root lies in the way of /srv/dangling/data" \
        "a bind below a dangling link"
[ ! -e /nonexistent ] || fail "a session made /nonexistent on the host"
pass
