# Native programs of a hybrid session get the target's machine from uname(2),
# and every other field as the kernel gives it to them. unamecheck.c, built
# static for the host, prints what uname(2) answers: x86_64 on the host, the
# emulated `uname -m` inside a hybrid session (aarch64 for arm64), with the
# caller's own nodename in a UTS namespace of its own and the kernel's
# 2.6-style release under the UNAME26 personality. The toolchain layer's
# native uname and arch print what the target's emulated ones print, for every
# option; python3 (emulated) and the toolchain's native perl agree. The
# target's uname, arch and hostname, native in the session, print what the
# emulated ones print for every option that prints. Killing the
# supervisor ends the session with status 125 before any native program can
# see the host's machine; where seccomp filters are forbidden (noseccomp.c) a
# hybrid session fails with a clear message, an emulated one runs, and doctor
# says so.
. "$(dirname "$0")/lib.sh"
need_root
here=$(cd "$(dirname "$0")" && pwd)
[ "$(uname -m)" = x86_64 ] || skip "needs an x86-64 host"
scratch
cd "$SCRATCH"
gcc -static -O1 -o unamecheck "$here/unamecheck.c" || fail "cannot build unamecheck.c with gcc -static"
gcc -O1 -o noseccomp "$here/noseccomp.c" -lseccomp || fail "cannot build noseccomp.c (libseccomp-dev)"
tc=/.xhybrid/toolchain/usr/bin

host=$(./unamecheck) || fail "unamecheck on the host: $host"
case "$host" in
"$(uname -s)|$(uname -n)|$(uname -r)|$(uname -v)|x86_64|"*) ;;
*) fail "unamecheck on the host printed '$host'" ;;
esac
host26=$(setarch x86_64 --uname-2.6 uname -r) || fail "setarch --uname-2.6 on the host"

# The emulated answers: the target's own programs, no supervisor.
capture "$XHYBRID" run --emulated --ephemeral "$PROFILE" -- sh -c '
for o in -s -n -r -v -m -p -i -o -a; do echo "uname $o: $(uname $o)"; done
echo "arch: $(arch)"
echo "target uname -a: $(uname -a)"
echo "linux32: $(linux32 uname -m)"
command -v python3 >/dev/null && echo "python3: $(python3 -c "import platform; print(platform.machine())")"
cat /proc/[0-9]*/comm'
expect_rc 0 "the emulated answers"
emulated=$OUT
machine=$(printf '%s\n' "$emulated" | sed -n 's/^uname -m: //p')
[ -n "$machine" ] && [ "$machine" != x86_64 ] || fail "emulated uname -m printed '$machine'"
printf '%s\n' "$emulated" | grep -qx xhybrid-uname && fail "an emulated session started the uname supervisor"

# The same questions in a hybrid session, asked of the native programs; the
# target's uname (emulated: qemu asks the host's, so the supervisor answers it
# too) must not change.
capture "$XHYBRID" run --ephemeral "$PROFILE" -- sh -c '
for o in -s -n -r -v -m -p -i -o -a; do echo "uname $o: $('$tc'/uname $o)"; done
echo "arch: $('$tc'/arch)"
echo "target uname -a: $(uname -a)"
echo "linux32: $(linux32 ./unamecheck | cut -d"|" -f5)"
command -v python3 >/dev/null && echo "python3: $(python3 -c "import platform; print(platform.machine())")"
echo "perl: $('$tc'/perl -MPOSIX -e "print((POSIX::uname())[4])")"
echo "unamecheck: $(./unamecheck)"
echo "own uts: $(unshare -u sh -c "hostname xh-inner && ./unamecheck")"
echo "uname26: $(setarch --uname-2.6 ./unamecheck)"
cat /proc/[0-9]*/comm'
expect_rc 0 "the native answers"
native=$OUT
for q in "uname -s" "uname -n" "uname -r" "uname -v" "uname -m" "uname -p" "uname -i" "uname -o" \
        "uname -a" arch "target uname -a" linux32 python3; do
        e=$(printf '%s\n' "$emulated" | grep "^$q: ")
        n=$(printf '%s\n' "$native" | grep "^$q: ")
        [ "$q" = python3 ] && [ -z "$e" ] && echo "no python3 in the root: not compared" && continue
        [ -n "$e" ] && [ "$n" = "$e" ] || fail "native '$n' differs from emulated '$e'"
done
expect_out "^perl: $machine\$" "the toolchain layer's native perl"
got=$(printf '%s\n' "$native" | sed -n 's/^unamecheck: //p')
[ "$got" = "$(printf '%s\n' "$host" | sed "s/|x86_64|/|$machine|/")" ] ||
        fail "a native uname(2) in a hybrid session: '$got' (host: '$host')"
expect_out "^own uts: Linux|xh-inner|$(uname -r)|.*|$machine|" "a native uname(2) in its own UTS namespace"
expect_out "^uname26: Linux|.*|$host26|.*|$machine|" "a native uname(2) with the UNAME26 personality"
printf '%s\n' "$native" | grep -qx xhybrid-uname || fail "no uname supervisor in the hybrid session"

# The target's uname, arch and hostname (and hostname's other names) run
# native in a hybrid session, through the shim: every option that prints
# prints what the emulated programs print, errors and exit statuses
# included; hostname's names come from a UTS namespace of the command's own
# and the session's /etc/hosts. None of them runs emulated.
cat >names.sh <<'EOF'
for o in "" -s -n -r -v -m -p -i -o -a --kernel-name --nodename --kernel-release \
        --kernel-version --machine --processor --hardware-platform --operating-system --all \
        -snrvmpioa -x --help --version; do
        out=$(uname $o 2>&1)
        echo "uname $o [$?]: $out"
done
for o in "" --help --version -x extra; do
        out=$(arch $o 2>&1)
        echo "arch $o [$?]: $out"
done
printf '127.0.1.1 xh-host.example.org xh-host xh-alias\n' >>/etc/hosts
unshare -u sh -c '
hostname xh-host || exit 1
for round in 1 2; do
        for o in "" -a -A -d -f -i -I -s -y --alias --all-fqdns --domain --fqdn --long \
                --ip-address --all-ip-addresses --short --yp --nis -V --version -h --help -Z; do
                out=$(hostname $o 2>&1)
                echo "hostname $o [$?]: $out"
        done
        for n in dnsdomainname domainname nisdomainname ypdomainname; do
                out=$($n 2>&1)
                echo "$n [$?]: $out"
        done
        domainname xh-nis || exit 1
done'
EOF
capture "$XHYBRID" run --emulated --ephemeral "$PROFILE" -- sh names.sh
expect_rc 0 "uname, arch and hostname emulated"
printf '%s\n' "$OUT" >names.em
grep -q "^hostname -f \[0\]: xh-host.example.org$" names.em || fail "emulated hostname -f: $(cat names.em)"
grep -q "^hostname -y \[0\]: xh-nis$" names.em || fail "emulated hostname -y: $(cat names.em)"
capture "$XHYBRID" run --ephemeral --trace names.trace "$PROFILE" -- sh names.sh
expect_rc 0 "uname, arch and hostname in a hybrid session"
printf '%s\n' "$OUT" >names.hy
diff -u names.em names.hy >&2 || fail "uname, arch or hostname print otherwise than the emulated ones"
grep -E "	(emulated|fallback)	.*/(uname|arch|hostname|[a-z]*domainname)	" names.trace >&2 &&
        fail "uname, arch or hostname ran emulated in a hybrid session"
[ "$(grep -cE "	native	.*/usr/bin/(uname|arch|hostname)	" names.trace)" -ge 80 ] ||
        fail "uname, arch and hostname did not run native: $(cat names.trace)"

# The supervisor killed: the session ends with 125 and says why; the native
# uname(2) that follows never answers, neither x86_64 nor an error.
capture "$XHYBRID" run --ephemeral "$PROFILE" -- sh -c '
for p in /proc/[0-9]*; do [ "$(cat $p/comm)" = xhybrid-uname ] && kill -KILL ${p#/proc/}; done
./unamecheck; echo after $?'
expect_rc 125 "the supervisor killed"
expect_err "uname supervisor (xhybrid-uname) was killed by signal 9" "the supervisor killed"
expect_err "hint: " "the supervisor killed"
[ -z "$OUT" ] || fail "the session went on after its supervisor was killed: $OUT"

# Where seccomp filters are forbidden, or another supervisor holds the one
# listener a process may have.
capture ./noseccomp errno "$XHYBRID" run --ephemeral "$PROFILE" -- ./unamecheck
expect_rc 125 "seccomp forbidden"
expect_err "cannot install the seccomp filter" "seccomp forbidden"
expect_err "hint: .*--emulated" "seccomp forbidden"
[ -z "$OUT" ] || fail "the command ran without its filter: $OUT"
capture ./noseccomp listener "$XHYBRID" run --ephemeral "$PROFILE" -- ./unamecheck
expect_rc 125 "another listener"
expect_err "another seccomp supervisor already watches" "another listener"
capture ./noseccomp errno "$XHYBRID" run --emulated --ephemeral "$PROFILE" -- uname -m
expect_rc 0 "seccomp forbidden, emulated"
[ "$OUT" = "$machine" ] || fail "emulated uname -m printed '$OUT' where seccomp is forbidden"
capture ./noseccomp errno "$XHYBRID" doctor "$PROFILE"
expect_rc 1 "doctor where seccomp is forbidden"
expect_out "^FAIL  seccomp user notification" "doctor where seccomp is forbidden"
capture "$XHYBRID" doctor "$PROFILE"
expect_out "^ok    seccomp user notification" "doctor"
pass
