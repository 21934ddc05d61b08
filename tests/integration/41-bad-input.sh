# Bad input found by trying to break xhybrid: each gets one clear message
# before any work is done, and nothing of the caller's is touched.
. "$(dirname "$0")/lib.sh"
scratch
export XDG_CONFIG_HOME="$SCRATCH/config"
dir=$XDG_CONFIG_HOME/xhybrid/profiles
mkdir -p "$dir"

# A NUL byte in a profile is an error with its line, not the end of the file.
printf '[target]\nsuite = bookworm\n\000arch = arm64\n[toolchain]\nskew = bogus\n' >"$dir/nul.ini"
capture "$XHYBRID" profiles show nul
expect_rc 125 "NUL byte"
expect_err "$dir/nul.ini:3: a NUL byte" "NUL byte"

# deb:NAME takes Debian source package names only (never a path or an option).
for bad in 'deb:..' 'deb:-o' 'deb:a' 'deb:Hello' 'deb:x/y' 'deb:'; do
        capture "$XHYBRID" verify arm64-debian "$bad"
        expect_rc 125 "$bad"
        expect_err "'$bad': expected deb:NAME with a Debian source package name" "$bad"
done

# Report paths are checked before the run, not after it.
for opt in --json --markdown --svg; do
        capture "$XHYBRID" bench --runs 1 arm64-debian deb:hello "$opt" "$SCRATCH/no-such-dir/r"
        expect_rc 2 "bench $opt in a missing directory"
        expect_err "$opt $SCRATCH/no-such-dir/r: No such file or directory" "bench $opt"
done
capture "$XHYBRID" verify --json "$SCRATCH" arm64-debian deb:hello
expect_rc 2 "verify --json naming a directory"
expect_err "--json $SCRATCH: Is a directory" "verify --json naming a directory"

# Every failure of xhybrid itself (exit status 125) says what to do.
capture "$XHYBRID" --store /proc/xhybrid-store create arm64-debian
expect_rc 125 "a store that cannot be made"
expect_err "cannot create the store /proc/xhybrid-store/roots" "a store that cannot be made"
expect_err "xhybrid: hint: " "a store that cannot be made"

# With standard input closed, an emulated program reads an empty input, not
# its own binary (the binfmt_misc O flag would take the lowest free fd).
need_root
cd "$SCRATCH"
out=$("$XHYBRID" run --ephemeral --emulated "$PROFILE" -- sh -c 'head -c 4 | od -An -c' <&-) ||
        fail "a session with standard input closed failed: $out"
[ -z "$(printf '%s' "$out" | tr -d ' \n')" ] || fail "the command read '$out' from a closed standard input"
out=$("$XHYBRID" run --ephemeral "$PROFILE" -- sh -c 'echo to-stdout; echo to-stderr >&2' 2>&1 >&-) ||
        fail "a session with standard output closed failed"
pass
