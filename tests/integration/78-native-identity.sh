# The native set comes from packages: every program of the native packages
# that the toolchain layer has from the same source version runs native in a
# hybrid session, and a native program prints what the target's emulated one
# prints. In one hybrid session, for every program profiles show lists as
# native from a package and that is an ELF file, "--version" of the native
# copy (/usr/bin/NAME) and of the target's original (/.xhybrid/orig/...,
# emulated) give the same output, error output and exit status; so do the
# questions whose answer could depend on the machine: the number of CPUs,
# xargs's limits, integer and bignum arithmetic, 64-bit times, sizes of
# files and file systems, sort -g's floating point, checksums and archives.
# A denied program (printf) stays the target's file; a profile's
# native_override runs it native, and profiles show says so.
. "$(dirname "$0")/lib.sh"
need_root
need_sessions
scratch
cd "$SCRATCH"
export XDG_CONFIG_HOME="$SCRATCH/config"

capture "$XHYBRID" profiles show "$PROFILE"
expect_rc 0 "profiles show"
show=$OUT
# "#   TOOL  PATH  FROM  ..." of the programs brought by a package, decided native.
printf '%s\n' "$show" | awk '$1 == "#" && $4 != "shim" && $4 != "from" && $NF == "native" { print $3 }' >native.list
[ -s native.list ] || fail "profiles show lists no native program from a package: $show"
for t in cat find xargs sed grep diff tar gzip; do
        grep -qx "/usr/bin/$t" native.list || fail "/usr/bin/$t is not native from its package"
done
printf '%s\n' "$show" | grep -q '^#   printf .* emulated (denied): computes in long double' ||
        fail "printf is not denied with its reason"

cat >ask.sh <<'EOF'
# ask.sh PREFIX: the answers of the programs at PREFIX/usr/bin (PREFIX empty: the session's own)
p=$1
q() { # NAME COMMAND...: one question, its output, error output and exit status
        name=$1
        shift
        out=$("$@" 2>err.tmp </dev/null)
        echo "== $name: status $?"
        printf '%s\n' "$out"
        sed 's/^[^:]*: /PROG: /' err.tmp
}
# Under the same argv[0] (a link of the same name): sed's version text names it.
rm -rf a0 && mkdir a0
while read -r path; do
        head -c4 "$p$path" | grep -q ELF || continue
        ln -sf "$p$path" "a0/${path##*/}"
        q "$path --version" "a0/${path##*/}" --version
done <native.list
q nproc "$p/usr/bin/nproc"
q "nproc --all" "$p/usr/bin/nproc" --all
q "xargs --show-limits" "$p/usr/bin/xargs" --show-limits
q "expr overflow" "$p/usr/bin/expr" 9223372036854775807 + 1
q "expr" "$p/usr/bin/expr" 4294967296 '*' 4294967295
q factor "$p/usr/bin/factor" 18446744073709551617 340282366920938463463374607431768211455
q "date 64-bit" "$p/usr/bin/date" -u -d @4102444800
q "date past" "$p/usr/bin/date" -u -d @-2208988800
q "stat" "$p/usr/bin/stat" -c '%s %b %B %o' sizes.bin
q "stat -f" "$p/usr/bin/stat" -f -c '%t %S %l' .
q "du" "$p/usr/bin/du" -s --apparent-size --block-size=1 sizes.bin
q "ls" "$p/usr/bin/ls" -ls --time-style=+%s sizes.bin
q "sort -g" "$p/usr/bin/sort" -g floats.txt
q "sort -n" "$p/usr/bin/sort" -n floats.txt
q cksum "$p/usr/bin/cksum" sizes.bin
q b2sum "$p/usr/bin/b2sum" sizes.bin
q "gzip -n" sh -c "$p/usr/bin/gzip -9n <sizes.bin | $p/usr/bin/sha256sum"
q "tar" sh -c "$p/usr/bin/tar --owner=0 --group=0 --mtime=@0 -cf - sizes.bin | $p/usr/bin/sha256sum"
q "mawk" "$p/usr/bin/mawk" 'BEGIN { printf "%.17g %d %s\n", 0.1, 2^53 + 1, 1e300 * 1e10 }'
q "id" "$p/usr/bin/id"
q "hostid" "$p/usr/bin/hostid"
EOF
head -c 100000 /dev/urandom >sizes.bin
printf '%s\n' 0.1 1e-400 1e400 0x1p-1074 -0 nan 0.10000000000000000001 0.1000000000000000000 \
        1.0000000000000000000001 1 inf 2.5e-310 2e-1 0.200000000000000000001 >floats.txt

capture "$XHYBRID" run --ephemeral "$PROFILE" -- sh -c '
for f in /usr/bin/cat /usr/bin/find /usr/bin/printf; do
        cmp -s "$f" "/.xhybrid/orig$f" && echo "target: $f" || echo "native: $f"
done
export LC_ALL=C
sh ask.sh "" >native.out && sh ask.sh /.xhybrid/orig >emulated.out'
expect_rc 0 "the questions in a hybrid session"
expect_out "^native: /usr/bin/cat$" "cat is the native copy"
expect_out "^native: /usr/bin/find$" "find is the native copy"
expect_out "^target: /usr/bin/printf$" "the denied printf is the target's"
[ "$(grep -c '^== ' native.out)" -gt 100 ] || fail "too few questions asked: $(grep -c '^== ' native.out)"
grep -q '^== nproc: status 0' native.out || fail "nproc was not asked: $(cat native.out)"
diff -u emulated.out native.out >diff.out || fail "native answers differ from the emulated ones: $(head -60 diff.out)"

# native_override lifts the deny list deliberately.
twin_profile xhtest-override 's/^native_override =.*$/native_override = printf/'
capture "$XHYBRID" profiles show xhtest-override
expect_rc 0 "profiles show with native_override"
expect_out '^#   printf .* native (denied; profile says native_override): computes in long double' \
        "printf overridden"
capture "$XHYBRID" run --ephemeral xhtest-override -- sh -c '
cmp -s /usr/bin/printf /.xhybrid/orig/usr/bin/printf && echo target || echo native'
expect_rc 0 "a session with native_override"
expect_out "^native$" "printf is the native copy with native_override"
pass "$(grep -c '^== ' native.out) questions, the same answers native and emulated"
