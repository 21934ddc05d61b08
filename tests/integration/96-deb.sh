# xhybrid deb builds GNU hello's Debian packages (deb:hello) in a hybrid
# throwaway session: the arm64 .deb, the .buildinfo, the .changes and the
# build log land in the output directory, the packages' files belong to
# root/root, the phases are reported with their times, and neither the root
# nor the profile's persistent upper changes. A build that fails passes
# dpkg-buildpackage's exit status on; a directory without debian/ is refused.
. "$(dirname "$0")/lib.sh"
need_root
scratch
export XDG_CONFIG_HOME="$SCRATCH/config"
twin_profile xhtest-deb
fresh_upper xhtest-deb
# The twin's build trees and facts go with it.
trap 'rm -rf "$SCRATCH" "$STORE/sessions/xhtest-deb" "$STORE/sessions/xhtest-deb.lock" \
        "$STORE/cache/xhtest-deb" "$STORE/work/deb-xhtest-deb-"*' EXIT
root=$("$XHYBRID" profiles show xhtest-deb | sed -n 's/^# root: \(.*\) (created)$/\1/p')
[ -n "$root" ] || fail "no root for xhtest-deb"
status_before=$(stat -c '%Y %s' "$root/var/lib/dpkg/status")
cd "$SCRATCH"

capture "$XHYBRID" deb xhtest-deb deb:hello -o out
expect_rc 0 "xhybrid deb xhtest-deb deb:hello"
ver=$(printf '%s\n' "$OUT" | sed -n 's/^hello \([^ :]*\) for xhtest-deb (hybrid): dpkg-buildpackage exit status 0$/\1/p')
[ -n "$ver" ] || fail "the summary lacks 'hello VERSION for xhtest-deb (hybrid): ... exit status 0': $OUT"
for phase in dependencies build results; do
        expect_out "^  $phase  *[0-9]*\.[0-9] s$" "the time of $phase"
done
expect_err "\[hybrid\] dependencies: done in [0-9.]* s" "progress"
expect_err "\[hybrid\] build: dpkg-buildpackage -b -uc -us$" "progress"
expect_err "\[hybrid\] build: exit status 0 after [0-9.]* s" "progress"
expect_err "\[hybrid\] results: [3-9] files in out" "progress"

deb=out/hello_${ver}_arm64.deb
[ -f "$deb" ] || fail "no $deb (out: $(ls out))"
[ "$(dpkg-deb -f "$deb" Package Architecture | tr '\n' ' ')" = "Package: hello Architecture: arm64 " ] ||
        fail "$deb is not hello for arm64: $(dpkg-deb -f "$deb" Package Architecture)"
dpkg-deb -c "$deb" >listing || fail "dpkg-deb -c $deb"
[ "$(awk '{print $2}' listing | sort -u)" = root/root ] ||
        fail "not every file of $deb belongs to root/root: $(awk '{print $2}' listing | sort -u)"
grep -q '^-rwxr-xr-x root/root .* \./usr/bin/hello$' listing || fail "$deb has no /usr/bin/hello: $(cat listing)"
mkdir x && dpkg-deb -x "$deb" x || fail "dpkg-deb -x $deb"
capture "$XHYBRID" elf x/usr/bin/hello
expect_out "ELF 64-bit LSB aarch64" "the packaged program"
for f in "out/hello_${ver}_arm64.buildinfo" "out/hello_${ver}_arm64.changes"; do
        [ -f "$f" ] || fail "no $f"
done
grep -q " hello_${ver}_arm64.deb\$" "out/hello_${ver}_arm64.changes" || fail "the .changes does not list the .deb"

log=out/hello_${ver}_arm64.build
[ -f "$log" ] || fail "no build log $log"
grep -q '^Setting up help2man' "$log" || fail "the log does not show the build dependencies installed"
grep -q "dpkg-deb: building package 'hello' in '../hello_${ver}_arm64.deb'" "$log" ||
        fail "the log does not show dpkg-buildpackage's build"
grep -q '^== xhybrid deb: dpkg-buildpackage exit status 0$' "$log" || fail "the log lacks the exit status"

[ "$(stat -c '%Y %s' "$root/var/lib/dpkg/status")" = "$status_before" ] || fail "the root's dpkg status changed"
[ -z "$(ls -A "$STORE/sessions/xhtest-deb/upper" 2>/dev/null)" ] || fail "the persistent upper changed"

# A source tree whose build fails: dpkg-buildpackage's status (2), the log says why.
write_tiny_package "$SCRATCH/tiny"
touch "$SCRATCH/tiny/debian/fail"
capture "$XHYBRID" deb xhtest-deb "$SCRATCH/tiny" -o out2
expect_rc 2 "a build that fails"
expect_out "^xh-tiny 1.0 for xhtest-deb (hybrid): dpkg-buildpackage exit status 2$" "a build that fails"
grep -q 'Error 7' out2/xh-tiny_1.0_arm64.build || fail "the log of the failed build lacks make's error"
[ -z "$(ls out2 | grep -v '\.build$')" ] || fail "a failed build left results: $(ls out2)"

# Not a Debian source: refused before any session, with the path and what to give instead.
mkdir "$SCRATCH/plain"
capture "$XHYBRID" deb xhtest-deb "$SCRATCH/plain" -o out3
expect_rc 125 "a directory without debian/"
expect_err "$SCRATCH/plain is not a Debian source package" "a directory without debian/"
expect_err "hint: give an unpacked Debian source tree" "a directory without debian/"
pass
