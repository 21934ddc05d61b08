# doctor names each program 'xhybrid create' runs that is missing, with the
# package to install, looking where create looks: the caller's PATH. Nothing is
# removed from the machine: doctor runs with a PATH of links to every program
# of this PATH except arch-test. Then doctor checks this host for real and
# says sessions can run, and create runs the mmdebstrap it finds in PATH.
. "$(dirname "$0")/lib.sh"
scratch
mkdir "$SCRATCH/bin"
ifs=$IFS
IFS=:
for dir in $PATH; do
        for f in "${dir:-.}"/*; do
                name=${f##*/}
                [ "$name" != arch-test ] && [ -f "$f" ] && [ -x "$f" ] && [ ! -e "$SCRATCH/bin/$name" ] &&
                        ln -s "$f" "$SCRATCH/bin/$name"
        done
done
IFS=$ifs
[ -e "$SCRATCH/bin/mmdebstrap" ] || fail "mmdebstrap is not in PATH ($PATH): scripts/deps installs it"

capture "$XHYBRID" doctor "$PROFILE"
rc_full=$RC
full=$OUT
capture env PATH="$SCRATCH/bin" "$XHYBRID" doctor "$PROFILE"
expect_rc "$rc_full" "doctor without arch-test (a missing program of create is a warning)"
fix_indent=$(printf '%41s' '')
for want in "ok    mmdebstrap (to create roots)       $SCRATCH/bin/mmdebstrap" \
        "warn  arch-test (for a foreign root)     not found in PATH=$SCRATCH/bin" \
        "${fix_indent}fix: apt-get install arch-test"; do
        printf '%s\n' "$OUT" | grep -qxF -- "$want" || fail "doctor without arch-test lacks the line '$want': $OUT"
done
[ "$(printf '%s\n' "$OUT" | grep -c '^warn  arch-test')" -eq 1 ] || fail "not one arch-test line: $OUT"
printf '%s\n' "$full" | grep -q '^ok    arch-test (for a foreign root)     /' ||
        fail "doctor with this PATH finds no arch-test: $full"

if [ "$rc_full" -ne 0 ]; then
        printf '%s\n' "$full" >&2
        skip "this host cannot run sessions"
fi
for what in "kernel" "user + mount + PID namespaces" "overlayfs in a user namespace" \
        "proc in a new PID namespace" "private binfmt_misc" "emulator for $PROFILE" \
        "mmdebstrap" "arch-test" "mount" "store"; do
        printf '%s\n' "$full" | grep -q "^ok    *$what" || fail "doctor line for '$what' missing or not ok: $full"
done
printf '%s\n' "$full" | grep -q "^ok    *mmdebstrap (to create roots) *$(command -v mmdebstrap)$" ||
        fail "doctor does not name the mmdebstrap of PATH ($(command -v mmdebstrap)): $full"
printf '%s\n' "$full" | grep -qx "sessions can run on this host" || fail "doctor: $full"

# create runs the mmdebstrap that PATH names, as doctor found it. The profile's
# mirror refuses connections, so a create that ran another mmdebstrap would
# fail at once too, with another message.
export XDG_CONFIG_HOME="$SCRATCH/config"
twin_profile xhtest-doctor 's|^mirror = .*|mirror = http://127.0.0.1:9/debian|'
mkdir "$SCRATCH/fake"
printf '#!/bin/sh\necho "fake mmdebstrap $*" >&2\nexit 3\n' >"$SCRATCH/fake/mmdebstrap"
chmod 755 "$SCRATCH/fake/mmdebstrap"
capture env PATH="$SCRATCH/fake:$PATH" XHYBRID_STORE="$SCRATCH/store" "$XHYBRID" create xhtest-doctor
expect_rc 125 "create with a failing mmdebstrap"
expect_err "^fake mmdebstrap --mode=root .* http://127.0.0.1:9/debian$" "create runs the mmdebstrap of PATH"
expect_err "^xhybrid: mmdebstrap failed (exit status 3)" "create reports mmdebstrap's status"
capture env PATH="$SCRATCH/fake:$PATH" "$XHYBRID" doctor xhtest-doctor
expect_out "^ok    mmdebstrap (to create roots)       $SCRATCH/fake/mmdebstrap$" "doctor finds the same one"
pass
