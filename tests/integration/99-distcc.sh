# Distributed compiles on distcc: two helpers ('xhybrid serve') in network
# namespaces of the test's own (veth pairs, private addresses), a client
# session in a third. GNU hello built by make -j2 through both helpers, with
# no local compile slot, gives objects identical to the local hybrid build
# at the same path, every compile run remotely (the helpers' logs list
# them), and so do Lua's; with CFLAGS="-g -O2" no compile goes to a helper (its debug
# information would differ); a helper killed (SIGKILL) mid-build leaves the build green and the
# objects identical; a helper serving another compiler (a cc1 that differs
# by one byte) refuses, and so does a helper whose --allow leaves the client
# out: distcc compiles locally instead, the same object. Bad --listen,
# --allow, --distribute and XHYBRID_DISTRIBUTE values fail with one message.
. "$(dirname "$0")/lib.sh"
in_private_mounts
need_root
command -v ip >/dev/null || skip "ip(8) from iproute2 is missing"
private_scratch
NS="xhd$$"
cleanup() {
        for _p in $BG_PIDS; do kill -KILL "$_p" 2>/dev/null; done
        for _n in c a b; do ip netns del "$NS$_n" 2>/dev/null; done
}
trap 'cleanup; rm -rf "$SCRATCH"' EXIT

# Bad input first: each is one message naming what is wrong.
capture "$XHYBRID" serve --listen 10.0.0.300:3632 "$PROFILE"
expect_rc 2 "bad --listen"
expect_err "^xhybrid: --listen '10.0.0.300:3632': expected an IPv4 address" "bad --listen"
capture "$XHYBRID" serve --listen 10.0.0.1:99999 "$PROFILE"
expect_rc 2 "bad --listen port"
expect_err "the port is not a number from 1 to 65535" "bad --listen port"
capture "$XHYBRID" serve --allow 10.0.0.0/33 "$PROFILE"
expect_rc 2 "bad --allow"
expect_err "^xhybrid: --allow '10.0.0.0/33': the prefix length is not a number from 0 to 32" "bad --allow"
capture "$XHYBRID" run --distribute 'a b' "$PROFILE" -- true
expect_rc 2 "bad --distribute"
expect_err "^xhybrid: --distribute 'a b': 'a b' is not HOST\[:PORT\]\[/LIMIT\]" "bad --distribute"
capture env XHYBRID_DISTRIBUTE='h1,,h2' "$XHYBRID" run "$PROFILE" -- true
expect_rc 125 "bad XHYBRID_DISTRIBUTE"
expect_err "^xhybrid: XHYBRID_DISTRIBUTE 'h1,,h2': '' is an empty entry" "bad XHYBRID_DISTRIBUTE"

# The network: client c with a veth pair to each helper, a and b.
for n in c a b; do
        ip netns add "$NS$n" 2>/dev/null || skip "cannot make network namespaces (ip netns add)"
        ip -n "$NS$n" link set lo up
done
net() { # net HELPER SUBNET
        ip link add "xhc$1" netns "${NS}c" type veth peer name "xh$1" netns "$NS$1" ||
                skip "cannot make veth pairs"
        ip -n "${NS}c" addr add "10.231.$2.1/24" dev "xhc$1"
        ip -n "$NS$1" addr add "10.231.$2.2/24" dev "xh$1"
        ip -n "${NS}c" link set "xhc$1" up
        ip -n "$NS$1" link set "xh$1" up
}
net a 1
net b 2
# serve HELPER SUBNET LOG [OPTIONS]: a helper in its namespace; SERVED its pid.
serve() {
        _h=$1 _s=$2 _l=$3
        shift 3
        ip netns exec "$NS$_h" env ${SERVE_STORE:+XHYBRID_STORE=$SERVE_STORE} "$XHYBRID" serve --listen "10.231.$_s.2:3632" --log "$_l" "$@" \
                "$PROFILE" 2>>"$_l.xhybrid" &
        SERVED=$!
        BG_PIDS="$BG_PIDS $SERVED"
        _end=$(($(date +%s) + 20))
        until grep -q "listening on 10.231.$_s.2:3632" "$_l" 2>/dev/null; do
                kill -0 "$SERVED" 2>/dev/null || fail "serve $_h ended: $(cat "$_l.xhybrid" "$_l" 2>/dev/null)"
                [ "$(date +%s)" -lt $_end ] || fail "serve $_h does not listen: $(cat "$_l" 2>/dev/null)"
                sleep 0.2
        done
}
serve a 1 "$SCRATCH/a.log" --allow 10.231.1.1
A=$SERVED
serve b 2 "$SCRATCH/b.log" --allow 10.231.2.0/24
B=$SERVED
ok() { grep -c COMPILE_OK "$1" 2>/dev/null || true; }

# GNU hello 2.10 as released (see 85-faithful-hello), configured once.
STORE=$("$XHYBRID" profiles show "$PROFILE" | sed -n 's/^# root: \(.*\)\/roots\/.*$/\1/p')
XHYBRID_STORE=$STORE SUITE=bookworm sh "$XH_SOURCE_DIR/scripts/fetch-source" --upstream hello \
        "$SCRATCH/unused" >/dev/null || fail "cannot fetch Debian's hello source package"
mkdir "$SCRATCH/w" && cd "$SCRATCH/w" && tar xf "$STORE/sources/bookworm/hello/hello_2.10.orig.tar.gz" ||
        fail "cannot unpack hello"
cd hello-2.10 || fail "no hello-2.10"
mkdir "$SCRATCH/logs"
client() { # client [RUN OPTIONS] -- COMMAND: distcc's log in $SCRATCH/logs/client.log
        capture ip netns exec "${NS}c" "$XHYBRID" run --ephemeral --bind "$SCRATCH/logs" \
                --env DISTCC_LOG="$SCRATCH/logs/client.log" "$@"
}
# Without -g: distcc compiles the preprocessed text, whose columns differ
# where a macro expands, and DWARF records columns (docs/scale.md).
client "$PROFILE" -- sh -c "./configure --build=$TRIPLET CFLAGS=-O2 >/dev/null && make -j2 >/dev/null"
expect_rc 0 "local hybrid build"
objects=$(find . -name '*.o' | sort)
nobj=$(printf '%s\n' "$objects" | wc -l)
[ "$nobj" -gt 20 ] || fail "the local build made only $nobj objects"
mkdir "$SCRATCH/ref" && cp -a . "$SCRATCH/ref/" || fail "cannot keep the local build"
same_as_local() {
        for o in $objects hello; do
                cmp -s "$o" "$SCRATCH/ref/$o" || fail "$1: $o differs from the local hybrid build"
        done
        capture "$XHYBRID" compare "$SCRATCH/ref" .
        expect_rc 0 "$1: xhybrid compare"
}

# Two helpers, no local slot: every compile remote, objects identical.
rm -f "$SCRATCH/logs/client.log"
client --distribute 10.231.1.2/1,10.231.2.2:3632/1 "$PROFILE" -- sh -c 'make clean >/dev/null && make -j2 >/dev/null'
expect_rc 0 "distributed build"
same_as_local "distributed build"
na=$(ok "$SCRATCH/a.log") nb=$(ok "$SCRATCH/b.log")
[ "$na" -gt 0 ] && [ "$nb" -gt 0 ] || fail "both helpers should compile: a ran $na, b ran $nb"
[ "$((na + nb))" -eq "$nobj" ] || fail "$nobj objects, but the helpers ran $na + $nb compiles"
grep -q "/run/xhybrid/xh-[0-9a-f]\{16\}-$TRIPLET-gcc-[0-9]* .*hello.c" "$SCRATCH/a.log" "$SCRATCH/b.log" ||
        fail "the helpers' logs do not show hello.c compiled by the served compiler"
[ -s "$SCRATCH/logs/client.log" ] || fail "distcc left no log in $SCRATCH/logs/client.log"
! grep -q "running locally" "$SCRATCH/logs/client.log" || fail "a compile ran locally: $(grep locally "$SCRATCH/logs/client.log")"
echo "distributed: $nobj objects, helper a $na compiles, helper b $nb, identical"

# With -g every compile stays here: a helper's debug information would differ.
client --distribute 10.231.1.2/1,10.231.2.2:3632/1 "$PROFILE" -- sh -c \
        'make clean >/dev/null && make -j2 CFLAGS="-g -O2" >/dev/null'
expect_rc 0 "distributed build with -g"
[ "$(ok "$SCRATCH/a.log")" -eq "$na" ] && [ "$(ok "$SCRATCH/b.log")" -eq "$nb" ] ||
        fail "a compile with -g went to a helper: a ran $(ok "$SCRATCH/a.log"), b $(ok "$SCRATCH/b.log")"

# Lua 5.4 (trixie's, as released), with its makefile's flags (no -g): every
# compile on the two helpers, every object and both programs identical.
XHYBRID_STORE=$STORE SUITE=trixie sh "$XH_SOURCE_DIR/scripts/fetch-source" --upstream lua5.4 \
        "$SCRATCH/unused-lua" >/dev/null || fail "cannot fetch Debian's lua5.4 source package"
lua_tar=$(ls "$STORE"/sources/trixie/lua5.4/lua5.4_*.orig.tar.gz | head -1)
mkdir "$SCRATCH/lua" && tar -C "$SCRATCH/lua" -xzf "$lua_tar" || fail "cannot unpack $lua_tar"
cd "$SCRATCH"/lua/lua-* || fail "no lua-* in $lua_tar"
client "$PROFILE" -- sh -c 'make -j2 linux >/dev/null'
expect_rc 0 "local hybrid build of Lua"
mkdir "$SCRATCH/lua-ref" && cp -a . "$SCRATCH/lua-ref/" || fail "cannot keep the local Lua build"
nlua=$(find src -name '*.o' | wc -l)
la0=$(ok "$SCRATCH/a.log") lb0=$(ok "$SCRATCH/b.log")
client --distribute 10.231.1.2/1,10.231.2.2:3632/1 "$PROFILE" -- sh -c \
        'make clean >/dev/null && make -j2 linux >/dev/null'
expect_rc 0 "distributed build of Lua"
la=$(($(ok "$SCRATCH/a.log") - la0)) lb=$(($(ok "$SCRATCH/b.log") - lb0))
[ "$la" -gt 0 ] && [ "$lb" -gt 0 ] && [ "$((la + lb))" -eq "$nlua" ] ||
        fail "Lua: $nlua objects, but helper a ran $la compiles and b $lb"
for f in $(cd "$SCRATCH/lua-ref" && find src -name '*.o') src/lua src/luac; do
        cmp -s "$f" "$SCRATCH/lua-ref/$f" || fail "Lua: $f differs from the local hybrid build"
done
capture "$XHYBRID" compare "$SCRATCH/lua-ref" .
expect_rc 0 "Lua: xhybrid compare"
echo "Lua: $nlua objects, helper a $la compiles, helper b $lb, identical"
cd "$SCRATCH/w/hello-2.10" || fail "no hello-2.10"

# A helper killed mid-build: the build stays green and identical.
na0=$(ok "$SCRATCH/a.log") nb0=$(ok "$SCRATCH/b.log")
(
        client --distribute 10.231.1.2/1,10.231.2.2/1 "$PROFILE" -- sh -c 'make clean >/dev/null && make -j2 >/dev/null'
        exit "$RC"
) &
build=$!
_end=$(($(date +%s) + 60))
until [ "$(ok "$SCRATCH/a.log")" -ge "$((na0 + 2))" ]; do
        [ "$(date +%s)" -lt $_end ] || fail "helper a ran no compile of the second build"
        sleep 0.05
done
kill -KILL "$A"
wait "$A"
wait "$build" || fail "the build failed after helper a was killed"
na1=$(ok "$SCRATCH/a.log")
[ "$na1" -lt "$((na0 + nobj))" ] || fail "helper a ran every compile before it was killed"
nb1=$(ok "$SCRATCH/b.log")
same_as_local "build with a killed helper"
echo "killed helper: a ran $((na1 - na0)) compiles before SIGKILL, b $((nb1 - nb0)), the rest here; identical"

# A helper serving another compiler: its cc1 differs by one byte (in a
# store of hard links, with cc1 replaced, not written to).
TC=$(toolchain_of "$PROFILE")
[ -n "$TC" ] || fail "no toolchain layer for $PROFILE"
link_copy "$TC" "$SCRATCH/other/layers"
cc1=$(find "$SCRATCH/other/layers/$(basename "$TC")/rootfs/usr/libexec/gcc-cross" -name cc1 | head -1)
[ -n "$cc1" ] || fail "no cc1 in the layer"
cp "$cc1" "$cc1.new" && printf '\0' >>"$cc1.new" && mv "$cc1.new" "$cc1" || fail "cannot change cc1"
SERVE_STORE=$SCRATCH/other
serve a 1 "$SCRATCH/other.log" --allow 10.231.1.1
SERVE_STORE=
rm -f "$SCRATCH/logs/client.log" src/hello.o
client --distribute 10.231.1.2 "$PROFILE" -- make src/hello.o
expect_rc 0 "build with another compiler's helper"
grep -q "lookup of .*/xh-[0-9a-f]*-$TRIPLET-gcc-[0-9]* in DISTCC_CMDLIST failed" "$SCRATCH/other.log" ||
        fail "the helper with another compiler did not refuse: $(cat "$SCRATCH/other.log")"
grep -q "running locally instead" "$SCRATCH/logs/client.log" || fail "the client did not compile locally"
[ "$(ok "$SCRATCH/other.log")" -eq 0 ] || fail "the helper with another compiler compiled"
cmp -s src/hello.o "$SCRATCH/ref/src/hello.o" || fail "refused compile: src/hello.o differs"

# A client outside --allow is refused.
kill -TERM "$B"
wait "$B"
serve b 2 "$SCRATCH/b2.log" --allow 10.231.9.0/24
rm -f "$SCRATCH/logs/client.log" src/hello.o
client --distribute 10.231.2.2 "$PROFILE" -- make src/hello.o
expect_rc 0 "build with a helper that does not allow the client"
grep -q "connection from client '10.231.2.1:[0-9]*' denied by access list" "$SCRATCH/b2.log" ||
        fail "the helper did not deny the client: $(cat "$SCRATCH/b2.log")"
grep -q "running locally instead" "$SCRATCH/logs/client.log" || fail "the client did not compile locally"
cmp -s src/hello.o "$SCRATCH/ref/src/hello.o" || fail "denied compile: src/hello.o differs"

# serve stops cleanly on SIGTERM, exit 0, and leaves no mount.
kill -TERM "$SERVED"
wait "$SERVED"
rc=$?
[ "$rc" -eq 0 ] || fail "serve exited $rc after SIGTERM: $(cat "$SCRATCH/b2.log.xhybrid")"
grep -q "serve: distccd stopped (Terminated)" "$SCRATCH/b2.log.xhybrid" || fail "no stop message"
[ -z "$(our_mounts "$STORE/mnt")" ] || fail "mounts left: $(our_mounts "$STORE/mnt")"
pass "$nobj objects: helper a $na, b $nb"
