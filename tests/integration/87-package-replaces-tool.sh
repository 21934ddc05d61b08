# A package operation inside a hybrid session may replace a program that a
# native tool stands in for (dpkg unpacks the new file and renames it over the
# old one). The shims and native tools are files of a layer below the upper,
# so the operation succeeds; from then on the target's new program is what
# runs (emulated), with a warning at every session start.
. "$(dirname "$0")/lib.sh"
need_root
scratch
export XDG_CONFIG_HOME="$SCRATCH/config"
P=xhtest-replace-$PROFILE
twin_profile "$P"
fresh_upper "$P"
cd "$SCRATCH"
write_hello_sources

# e_machine of a program inside the session: 3e 00 x86-64, b7 00 aarch64,
# the target's as its original programs under /.xhybrid/orig have it.
machine='od -An -tx1 -j18 -N2'

"$XHYBRID" profiles show "$P" | grep -q '/usr/bin/sed .* native$' ||
        fail "sed is not native before the reinstall"
capture "$XHYBRID" run "$P" -- sh -c "$machine /usr/bin/sed"
[ "$OUT" = " 3e 00" ] || fail "/usr/bin/sed in the session is not the native one: '$OUT'"

capture "$XHYBRID" run "$P" -- sh -c 'apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive apt-get install --reinstall -y -qq sed'
expect_rc 0 "apt-get install --reinstall sed inside a hybrid session"
target_machine=$("$XHYBRID" run "$P" -- sh -c "$machine /.xhybrid/orig/usr/bin/sed")
[ -n "$target_machine" ] && [ "$target_machine" != " 3e 00" ] ||
        fail "the target's own sed is not a program of the target: '$target_machine'"
capture "$XHYBRID" run "$P" -- sh -c "$machine /usr/bin/sed; echo abc | sed s/b/X/"
expect_rc 0 "sed after the reinstall"
[ "$OUT" = "$target_machine
aXc" ] || fail "after the reinstall /usr/bin/sed is not the target's working program: '$OUT'"
expect_err "running emulated, as a package operation in the session upper .* replaced them: /usr/bin/sed$" \
        "session start after the reinstall"
[ "$(printf '%s\n' "$ERR" | grep -c warning)" = 1 ] || fail "more than one warning line: $ERR"

"$XHYBRID" profiles show "$P" | grep -q '/usr/bin/sed .* emulated (replaced in the session upper)$' ||
        fail "profiles show does not report the replaced sed"
# The other tools stay native, and the hybrid compiler still builds.
capture "$XHYBRID" run --env XHYBRID_TRACE="$SCRATCH/trace" "$P" -- sh -c "$machine /usr/bin/cat && gcc hello.c -o hello && ./hello"
expect_rc 0 "hybrid build beside the replaced sed"
[ "$OUT" = " 3e 00
hello" ] || fail "cat is no longer native or hello failed: '$OUT'"
grep -q 'gcc-[0-9]* -> native' trace || fail "gcc did not run native"
# A throwaway session starts from the same state.
capture "$XHYBRID" run --ephemeral "$P" -- sh -c "$machine /usr/bin/sed"
[ "$OUT" = "$target_machine" ] || fail "an --ephemeral session does not see the replaced sed: '$OUT'"
pass
