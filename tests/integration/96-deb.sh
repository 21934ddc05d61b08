# xhybrid deb builds FIGlet's Debian packages (deb:figlet) in a hybrid
# throwaway session: the target's .deb, the .buildinfo, the .changes and the
# build log land in the output directory, the packages' files belong to
# root/root, the phases are reported with their times, and neither the root
# nor the profile's persistent upper changes. A build that fails passes
# dpkg-buildpackage's exit status on; a directory without debian/ is refused.
# figlet (2.2.5-3 in trixie and bookworm alike) rather than GNU hello: it is C
# built for the architecture with debhelper as its one build dependency, and
# the mirror this was written against lacks a file of trixie's hello
# (hello_2.10-5.debian.tar.xz answers 404), which a test cannot work around.
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

capture "$XHYBRID" deb xhtest-deb deb:figlet -o out
expect_rc 0 "xhybrid deb xhtest-deb deb:figlet"
ver=$(printf '%s\n' "$OUT" | sed -n 's/^figlet \([^ :]*\) for xhtest-deb (hybrid): dpkg-buildpackage exit status 0$/\1/p')
[ -n "$ver" ] || fail "the summary lacks 'figlet VERSION for xhtest-deb (hybrid): ... exit status 0': $OUT"
for phase in dependencies build results; do
        expect_out "^  $phase  *[0-9]*\.[0-9] s$" "the time of $phase"
done
expect_err "\[hybrid\] dependencies: done in [0-9.]* s" "progress"
expect_err "\[hybrid\] build: dpkg-buildpackage -b -uc -us$" "progress"
expect_err "\[hybrid\] build: exit status 0 after [0-9.]* s" "progress"
expect_err "\[hybrid\] results: [3-9] files in out" "progress"

deb=out/figlet_${ver}_$ARCH.deb
[ -f "$deb" ] || fail "no $deb (out: $(ls out))"
[ "$(dpkg-deb -f "$deb" Package Version Architecture | tr '\n' ' ')" = \
        "Package: figlet Version: $ver Architecture: $ARCH " ] ||
        fail "$deb is not figlet $ver for $ARCH: $(dpkg-deb -f "$deb" Package Version Architecture)"
dpkg-deb -c "$deb" >listing || fail "dpkg-deb -c $deb"
[ "$(awk '{print $2}' listing | sort -u)" = root/root ] ||
        fail "not every file of $deb belongs to root/root: $(awk '{print $2}' listing | sort -u)"
# Debian's rules rename the program figlet-figlet (figlet is an alternative).
grep -q '^-rwxr-xr-x root/root .* \./usr/bin/figlet-figlet$' listing ||
        fail "$deb has no /usr/bin/figlet-figlet: $(cat listing)"
mkdir x && dpkg-deb -x "$deb" x || fail "dpkg-deb -x $deb"
capture "$XHYBRID" elf x/usr/bin/figlet-figlet
expect_out "$ELF_KIND" "the packaged program"
for f in "out/figlet_${ver}_$ARCH.buildinfo" "out/figlet_${ver}_$ARCH.changes"; do
        [ -f "$f" ] || fail "no $f"
done
grep -q " figlet_${ver}_$ARCH.deb\$" "out/figlet_${ver}_$ARCH.changes" || fail "the .changes does not list the .deb"

log=out/figlet_${ver}_$ARCH.build
[ -f "$log" ] || fail "no build log $log"
grep -q '^Setting up debhelper ' "$log" || fail "the log does not show the build dependencies installed"
grep -q "dpkg-deb: building package 'figlet' in '../figlet_${ver}_$ARCH.deb'" "$log" ||
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
grep -q 'Error 7' out2/xh-tiny_1.0_$ARCH.build || fail "the log of the failed build lacks make's error"
[ -z "$(ls out2 | grep -v '\.build$')" ] || fail "a failed build left results: $(ls out2)"

# Not a Debian source: refused before any session, with the path and what to give instead.
mkdir "$SCRATCH/plain"
capture "$XHYBRID" deb xhtest-deb "$SCRATCH/plain" -o out3
expect_rc 125 "a directory without debian/"
expect_err "$SCRATCH/plain is not a Debian source package" "a directory without debian/"
expect_err "hint: give an unpacked Debian source tree" "a directory without debian/"
pass
