# Compiler probes whose answer depends only on the target's compiler, its
# installation, the arguments and a few variables are asked of the target's
# compiler (emulated) once in a profile's life and then answered from the
# profile's facts cache: the answers equal the emulated ones byte for byte,
# with the same exit status; the trace shows the second ask answered from the
# cache (no emulated gcc); a throwaway session keeps what it asks in its own
# run directory (used again within it) and writes nothing to the profile's
# cache; a package operation (the dpkg status changed), a broken entry and a
# replaced target gcc make the probe run emulated again.
. "$(dirname "$0")/lib.sh"
need_root
scratch
cd "$SCRATCH"
export XDG_CONFIG_HOME="$SCRATCH/config"
P=xhtest-probes-$PROFILE
twin_profile "$P"
fresh_upper "$P"
rm -rf "$STORE/cache/$P"
trap 'rm -rf "$SCRATCH" "$STORE/sessions/'"$P"'" "$STORE/sessions/'"$P"'.lock" "$STORE/cache/'"$P"'"' EXIT

cat >probes <<'CMDS'
gcc -v
gcc --version
g++ --version
cc -dumpmachine
gcc -dumpversion
gcc -dumpfullversion
gcc -dumpspecs
gcc -print-search-dirs
gcc -print-multiarch
gcc -print-multi-os-directory
gcc -print-multi-lib
gcc -print-sysroot
gcc -dumpmachine -dumpversion
LANG=C.UTF-8 LC_ALL=C.UTF-8 gcc -v
$(command -v gcc) -v
CMDS
n=$(wc -l <probes)

# ask TAG [ROUNDS] [RUN OPTIONS...]: every probe ROUNDS times (default 1) in one
# session, the last round's stdout, stderr and status in TAG.out.I, .err.I, .rc.I.
ask() {
        _tag=$1 _rounds=$2
        shift 2
        "$XHYBRID" run "$@" -- sh -c '
for r in $(seq '"$_rounds"'); do
        i=0
        while IFS= read -r c; do
                i=$((i + 1))
                sh -c "$c" >'"$_tag"'.out.$i 2>'"$_tag"'.err.$i
                echo $? >'"$_tag"'.rc.$i
        done <probes
done' || fail "$_tag: the session failed"
}

# same_as_emulated TAG: each answer equals the emulated session's.
same_as_emulated() {
        for i in $(seq "$n"); do
                for f in out err rc; do
                        cmp -s "em.$f.$i" "$1.$f.$i" ||
                                fail "$1: '$(sed -n "${i}p" probes)' $f differs: $(diff "em.$f.$i" "$1.$f.$i" | head -5)"
                done
        done
}

# count TRACE WHAT: records of the target's gcc (any name) with WHAT.
count() {
        grep -c "	/usr/bin/[^	]*\(gcc\|g++\|cc\)[^	/]*	.*$2" "$1"
}
kept() { ls "$STORE/cache/$P" 2>/dev/null | grep -c '^probe-'; }

ask em 1 --ephemeral --emulated "$P"
[ -s em.err.1 ] && [ -s em.out.2 ] || fail "the emulated gcc -v / --version printed nothing"

# A throwaway session: asked once emulated, then from its own run directory;
# nothing in the profile's cache.
ask eph 2 --ephemeral --trace eph.trace "$P"
same_as_emulated eph
[ "$(count eph.trace 'emulated (compiler probe)')" -eq "$n" ] ||
        fail "throwaway: $(count eph.trace 'emulated (compiler probe)') probes emulated, expected $n"
[ "$(count eph.trace 'answered from the facts cache')" -eq "$n" ] ||
        fail "throwaway: the second round was not answered from the session's own answers"
[ "$(kept)" -eq 0 ] || fail "a throwaway session wrote $(kept) answers to the profile's cache"

# The first persistent session asks each once and keeps the answers; the next
# ones (persistent or throwaway) ask nothing.
ask p1 1 --trace p1.trace "$P"
same_as_emulated p1
[ "$(count p1.trace 'emulated (compiler probe)')" -eq "$n" ] || fail "first persistent session: not each probe asked"
[ "$(kept)" -eq "$n" ] || fail "$(kept) answers kept, expected $n"
for tag in p2 eph2; do
        opt=
        [ $tag = eph2 ] && opt=--ephemeral
        ask $tag 1 $opt --trace $tag.trace "$P"
        same_as_emulated $tag
        [ "$(count $tag.trace 'answered from the facts cache')" -eq "$n" ] ||
                fail "$tag: $(count $tag.trace 'answered from the facts cache') of $n probes answered from the cache"
        grep "	\(emulated\|fallback\)	[0-9.]*	[^	]*	/usr/bin/[^	]*\(gcc\|g++\|cc\)" $tag.trace &&
                fail "$tag: the target's compiler ran emulated"
done
capture "$XHYBRID" run "$P" -- env XHYBRID_TRACE=1 gcc -dumpversion
expect_rc 0 "XHYBRID_TRACE=1 gcc -dumpversion"
expect_err "answered from the facts cache (compiler probe)" "XHYBRID_TRACE's reason"

# A package operation changes the dpkg status: asked again.
"$XHYBRID" run "$P" -- touch /var/lib/dpkg/status || fail "cannot touch the dpkg status"
ask p3 1 --trace p3.trace "$P"
same_as_emulated p3
[ "$(count p3.trace 'emulated (compiler probe)')" -eq "$n" ] ||
        fail "after a package operation: $(count p3.trace 'emulated (compiler probe)') of $n probes asked again"

# A broken entry is no answer: asked again, and replaced.
for f in "$STORE/cache/$P"/probe-*; do
        grep -q "^arg -dumpfullversion$" "$f" && printf 'xhybrid-probe 1 0 3 9 0\nbad' >"$f" && broken=$f
done
[ -n "${broken:-}" ] || fail "no kept answer of gcc -dumpfullversion"
ask p4 1 --trace p4.trace "$P"
same_as_emulated p4
[ "$(count p4.trace 'emulated (compiler probe)')" -eq 1 ] || fail "a broken entry was not asked again"
head -1 "$broken" | grep -q '^xhybrid-probe 1 0 ' || fail "the broken entry was not replaced"

# The target's gcc replaced in the upper: that program runs (emulated), never an old answer.
capture "$XHYBRID" run "$P" -- sh -c 'g=$(readlink -f /usr/bin/gcc) && cp /.xhybrid/orig$g $g.new && mv $g.new $g && echo $g'
expect_rc 0 "replacing the target's gcc"
ask p5 1 --trace p5.trace "$P"
same_as_emulated p5
# g++ is another program: its answer is still the kept one.
[ "$(count p5.trace 'answered from the facts cache')" -eq 1 ] ||
        fail "a replaced gcc was answered from the cache, or g++ was not: $(cat p5.trace)"
[ "$(grep -c "	emulated	[0-9.]*	[^	]*	/usr/bin/[^	]*cc[^	/]*	$" p5.trace)" -eq $((n - 1)) ] ||
        fail "the replaced gcc $OUT did not run emulated: $(cat p5.trace)"
pass "$n probes: asked once, then from the cache; throwaway sessions keep theirs; changes ask again"
