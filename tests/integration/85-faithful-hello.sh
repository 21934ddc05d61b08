# GNU hello 2.10 from Debian's sources: configure, make and make check pass in
# the hybrid, and the result equals the emulated build at the same path
# (config.h, config.status substitutions, every ELF file section by section
# but .comment and the build-id). The emulated build is cached in the store.
. "$(dirname "$0")/lib.sh"
need_root
capture "$XHYBRID" verify --reuse-emulated --check 'make check' "$PROFILE" deb:hello
printf '%s\n' "$OUT"
expect_rc 0 "verify deb:hello"
expect_out "^IDENTICAL$" "verify deb:hello"
expect_out "1 config.h" "verify deb:hello"
expect_out "check 'make check': emulated status 0, hybrid status 0" "make check in both modes"
pass
