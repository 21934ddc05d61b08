# A header and a library installed only in the target (apt-get inside a
# session: libjansson-dev) and a header in the target's /usr/local/include are found by the
# hybrid gcc and pkg-config, as by the emulated ones.
. "$(dirname "$0")/lib.sh"
need_root
scratch
export XDG_CONFIG_HOME="$SCRATCH/config"
# Same recipe as the default profile, so the same root, but its own upper;
# the upper is kept between runs so that apt-get runs once per root. Its name
# names the profile: an upper belongs to the root it was made over.
P=xhtest-apt-$PROFILE
twin_profile "$P"
cd "$SCRATCH"
if ! "$XHYBRID" run "$P" -- test -f /usr/include/jansson.h; then
        capture "$XHYBRID" run "$P" -- sh -c 'apt-get update -qq &&
                DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libjansson-dev'
        expect_rc 0 "apt-get install libjansson-dev inside the session"
fi
"$XHYBRID" run "$P" -- sh -c 'echo "#define XH_LOCAL 42" > /usr/local/include/xhlocal.h' ||
        fail "cannot write /usr/local/include in the session"
cat >z.c <<'SRC'
#include <stdio.h>
#include <jansson.h>
#include <xhlocal.h>
int main(void)
{
        json_t *o = json_pack("{s:i}", "answer", XH_LOCAL);
        char *s = json_dumps(o, JSON_COMPACT);
        printf("jansson %s %s\n", jansson_version_str(), s);
        return 0;
}
SRC
capture "$XHYBRID" run --env XHYBRID_TRACE="$SCRATCH/trace" "$P" -- sh -c 'gcc z.c -o z $(pkg-config --cflags --libs jansson) && ./z'
expect_rc 0 "hybrid build against the target-only jansson"
expect_out '^jansson 2.14 {"answer":42}$' "hybrid build"
grep -q "gcc-[0-9]* -> native" trace || fail "gcc did not run native"
"$XHYBRID" elf z | grep -q -F "$ELF_KIND" || fail "z is not $ELF_KIND"
for cmd in 'gcc -M z.c' 'pkg-config --cflags --libs jansson' 'gcc -H -fsyntax-only z.c 2>&1'; do
        "$XHYBRID" run "$P" -- sh -c "$cmd" >hy.out 2>&1
        "$XHYBRID" run --emulated "$P" -- sh -c "$cmd" >em.out 2>&1
        cmp -s hy.out em.out || fail "'$cmd' differs: $(diff em.out hy.out | head -20)"
done
pass
