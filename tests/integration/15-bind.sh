# --bind shares host directories with a session: a file written in a bound
# directory is on the host afterwards, at the session path given or at the
# host path itself; a :ro bind refuses writes. A missing host path, a
# relative session path, a session path over a system directory or the
# working directory and a host path inside the store are refused before
# anything is mounted, with the path in the message; the store below a bound
# directory is covered. --dry-run shows the binds.
. "$(dirname "$0")/lib.sh"
need_root
scratch
mkdir -p "$SCRATCH/work" "$SCRATCH/shared" "$SCRATCH/same" "$SCRATCH/ro"
echo from-host >"$SCRATCH/ro/in.txt"
cd "$SCRATCH/work"

capture "$XHYBRID" run --ephemeral --bind "$SCRATCH/shared:/srv/shared" --bind "$SCRATCH/same" \
        --bind "$SCRATCH/ro:/srv/ro:ro" "$PROFILE" -- sh -c '
echo made-inside >/srv/shared/out.txt || exit 3
echo same-path >"$0/here.txt" || exit 4
cat /srv/ro/in.txt || exit 5
if echo x >/srv/ro/new.txt; then exit 6; fi
[ -e '"$SCRATCH"'/shared ] && exit 7
exit 0' "$SCRATCH/same"
expect_rc 0 "a session with three binds"
expect_out "^from-host$" "the :ro bind is readable"
expect_err "Read-only file system" "writing into the :ro bind"
[ "$(cat "$SCRATCH/shared/out.txt" 2>/dev/null)" = made-inside ] ||
        fail "the file written at /srv/shared is not in $SCRATCH/shared on the host"
[ "$(cat "$SCRATCH/same/here.txt" 2>/dev/null)" = same-path ] ||
        fail "the file written in the bind at its own path is not on the host"
[ ! -e "$SCRATCH/ro/new.txt" ] || fail "a file appeared in the :ro bind"

# Emulated sessions take binds too, and a relative host path is the working directory's.
mkdir "$SCRATCH/work/rel"
capture "$XHYBRID" run --ephemeral --emulated --bind rel:/srv/rel "$PROFILE" -- sh -c 'uname -m >/srv/rel/m'
expect_rc 0 "an emulated session with a relative host path"
[ "$(cat "$SCRATCH/work/rel/m" 2>/dev/null)" = "$MACHINE" ] || fail "rel/m is not on the host"

capture "$XHYBRID" run --dry-run --bind "$SCRATCH/ro:/srv/ro:ro" "$PROFILE" -- true
expect_rc 0 "--dry-run with a bind"
expect_out "^bind  *$SCRATCH/ro -> .*/root/srv/ro \[rec,ro\]$" "--dry-run shows the bind"

capture "$XHYBRID" run --ephemeral --bind "$SCRATCH/missing" "$PROFILE" -- true
expect_rc 125 "a host path that does not exist"
expect_err "cannot bind $SCRATCH/missing into the session: No such file or directory" "missing host path"
expect_err "hint: .*mkdir -p $SCRATCH/missing" "missing host path"

capture "$XHYBRID" run --ephemeral --bind "$SCRATCH/shared:srv/x" "$PROFILE" -- true
expect_rc 2 "a relative session path"
expect_err "the session path 'srv/x' is not absolute" "relative session path"

for dst in /usr/lib/extra /etc /.xhybrid/x /proc/x /dev/x /sys /; do
        capture "$XHYBRID" run --ephemeral --bind "$SCRATCH/shared:$dst" "$PROFILE" -- true
        expect_rc 125 "a bind at $dst"
        expect_err "cannot bind $SCRATCH/shared at $dst, " "a bind at $dst"
        expect_err "hint: " "a bind at $dst"
done
capture "$XHYBRID" run --ephemeral --bind "$SCRATCH/shared:$SCRATCH" "$PROFILE" -- true
expect_rc 125 "a bind over the working directory"
expect_err "it would cover the working directory $SCRATCH/work" "a bind over the working directory"
[ -z "$(ls "$SCRATCH/shared" | grep -v out.txt)" ] || fail "a refused bind left files in $SCRATCH/shared"

# The store under a bound directory is covered, read-only and empty; a path inside it is refused.
STORE=$("$XHYBRID" profiles show "$PROFILE" | sed -n 's/^# root: \(.*\)\/roots\/.*$/\1/p')
[ -d "$STORE/roots" ] || fail "cannot find the store ($STORE)"
probe="$STORE/xh-bind-probe.$$"
trap 'rm -rf "$SCRATCH" "$probe"' EXIT
parent=$(dirname "$STORE")
capture "$XHYBRID" run --ephemeral --bind "$parent:/srv/up" "$PROFILE" -- sh -c '
ls -A "/srv/up/$0"; mkdir "/srv/up/$0/$1" && echo MADE' "$(basename "$STORE")" "$(basename "$probe")"
expect_rc 1 "writing into the store through a bind of its parent"
[ -z "$OUT" ] || fail "the store is visible or writable through a bind of $parent: $OUT"
expect_err "Read-only file system" "writing into the store through a bind"
[ ! -e "$probe" ] || fail "a session made $probe through a bind of $parent"
capture "$XHYBRID" run --ephemeral --bind "$STORE/roots:/srv/roots" "$PROFILE" -- true
expect_rc 125 "a bind inside the store"
expect_err "cannot bind $STORE/roots into the session: it is inside the store" "a bind inside the store"
pass
