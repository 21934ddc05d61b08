# compare --deb pairs the packages of two builds by name and architecture and
# compares their control files, their files (type, mode, link target,
# contents; ELF section by section) and their owners. Two builds whose
# program differs only in .comment and build-id are IDENTICAL: the -dbgsym
# package's .build-id file name, its Build-Ids field and the md5sums lines
# follow the build-id. Every other change is a difference, and --strict
# ignores nothing. A side that is neither a package nor a directory of them
# is a usage error; a file that is not a Debian package an error naming it.
. "$(dirname "$0")/lib.sh"
command -v dpkg-deb >/dev/null || skip "needs dpkg-deb"
command -v gcc >/dev/null || skip "needs gcc"
scratch
cd "$SCRATCH"
write_hello_sources

id_a=1111111111111111111111111111111111111111
id_b=2222222222222222222222222222222222222222
# package SIDE ID COMMENT [sed for the control file]: SIDE/hello_1.0_amd64.deb and
# SIDE/hello-dbgsym_1.0_amd64.deb, the program linked with build-id ID and .comment COMMENT.
package() {
        side=$1 id=$2
        rm -rf "tree-$side" && mkdir -p "tree-$side/hello/DEBIAN" "tree-$side/hello/usr/bin" \
                "tree-$side/dbg/DEBIAN" "tree-$side/dbg/usr/lib/debug/.build-id/${id%"${id#??}"}" "$side"
        gcc -g -O2 -Wl,--build-id=0x$id -o prog hello.c || fail "cannot build hello.c"
        printf '%s\0' "$3" >comment
        objcopy --update-section .comment=comment prog || fail "objcopy --update-section .comment"
        objcopy --only-keep-debug prog \
                "tree-$side/dbg/usr/lib/debug/.build-id/${id%"${id#??}"}/${id#??}.debug"
        objcopy --strip-debug prog "tree-$side/hello/usr/bin/hello"
        chmod 755 "tree-$side/hello/usr/bin/hello"
        ln -s hello "tree-$side/hello/usr/bin/hi"
        echo "text of the package" >"tree-$side/hello/usr/bin/README"
        cat >"tree-$side/hello/DEBIAN/control" <<EOF
Package: hello
Version: 1.0
Architecture: amd64
Maintainer: Test <test@example.org>
Depends: libc6
Description: test package
EOF
        sed -i "${4:-}" "tree-$side/hello/DEBIAN/control"
        cat >"tree-$side/dbg/DEBIAN/control" <<EOF
Package: hello-dbgsym
Version: 1.0
Architecture: amd64
Maintainer: Test <test@example.org>
Build-Ids: $id
Description: debug symbols for hello
EOF
        for p in hello dbg; do
                (cd "tree-$side/$p" && find usr -type f | sort | xargs md5sum >DEBIAN/md5sums)
        done
        dpkg-deb --root-owner-group -b "tree-$side/hello" "$side/hello_1.0_amd64.deb" >/dev/null &&
                dpkg-deb --root-owner-group -b "tree-$side/dbg" "$side/hello-dbgsym_1.0_amd64.deb" \
                        >/dev/null || fail "dpkg-deb -b for $side"
}

package a $id_a "GCC: (Debian 14.2.0-19) 14.2.0"
package b $id_b "GCC: (Debian 14.2.0-19cross1) 14.2.0"
cmp -s a/hello_1.0_amd64.deb b/hello_1.0_amd64.deb && fail "the two builds are the same bytes"

capture "$XHYBRID" compare --deb a b
expect_rc 0 "two builds that differ in .comment and build-id"
expect_out "^IDENTICAL: 2 Debian packages: " "two builds that differ in .comment and build-id"
capture "$XHYBRID" compare --deb a/hello_1.0_amd64.deb b/hello_1.0_amd64.deb
expect_rc 0 "two package files"

capture "$XHYBRID" compare --deb --strict a b
expect_rc 1 "--strict"
expect_out "^DIFF hello_amd64/data/usr/bin/hello: .comment differs" "--strict: .comment"
expect_out "^DIFF hello_amd64/data/usr/bin/hello: .note.gnu.build-id differs" "--strict: build-id"
expect_out "^DIFF hello-dbgsym_amd64/data/usr/lib/debug/.build-id/11: only in a" \
        "--strict: the .build-id directory"
expect_out "^DIFF hello-dbgsym_amd64/control/control: contents differ" "--strict: Build-Ids"
expect_out "^DIFF hello_amd64/control/md5sums: contents differ" "--strict: md5sums"
expect_out "^DIFFERENT: " "--strict"

# Each change below is one difference.
package c $id_a "GCC: (Debian 14.2.0-19) 14.2.0" 's/^Depends: libc6$/Depends: libc6 (>= 2.38)/'
capture "$XHYBRID" compare --deb a c
expect_rc 1 "a changed Depends field"
expect_out "^DIFF hello_amd64/control/control: contents differ from byte .* (line 5" "Depends"

package d $id_a "GCC: (Debian 14.2.0-19) 14.2.0"
chmod 644 tree-d/hello/usr/bin/hello
dpkg-deb --root-owner-group -b tree-d/hello d/hello_1.0_amd64.deb >/dev/null
capture "$XHYBRID" compare --deb a d
expect_rc 1 "a mode"
expect_out "^DIFF hello_amd64/data/usr/bin/hello: mode differs (0755 vs 0644)" "a mode"

package e $id_a "GCC: (Debian 14.2.0-19) 14.2.0"
chown 1234:1234 tree-e/hello/usr/bin/README
dpkg-deb -b tree-e/hello e/hello_1.0_amd64.deb >/dev/null
capture "$XHYBRID" compare --deb a e
expect_rc 1 "an owner"
expect_out "^DIFF hello_amd64/data/usr/bin/README: owner differs (root/root vs " "an owner"

package f $id_a "GCC: (Debian 14.2.0-19) 14.2.0"
ln -sf README tree-f/hello/usr/bin/hi
echo "other text" >tree-f/hello/usr/bin/README
(cd tree-f/hello && find usr -type f | sort | xargs md5sum >DEBIAN/md5sums)
dpkg-deb --root-owner-group -b tree-f/hello f/hello_1.0_amd64.deb >/dev/null
capture "$XHYBRID" compare --deb a f
expect_rc 1 "a link target and a text file"
expect_out "^DIFF hello_amd64/data/usr/bin/hi: symbolic link target differs (hello vs README)" \
        "a link target"
expect_out "^DIFF hello_amd64/data/usr/bin/README: contents differ from byte 1" "a text file"
expect_out "^DIFF hello_amd64/control/md5sums: contents differ" "md5sums of a text file"

mkdir g && cp a/hello_1.0_amd64.deb g/
capture "$XHYBRID" compare --deb a g
expect_rc 1 "a package missing on one side"
expect_out "^DIFF hello-dbgsym_amd64: only in a$" "a package missing on one side"
expect_out "^DIFFERENT: 2 Debian packages" "a package missing on one side"

# Bad input.
mkdir empty
echo not a package >garbage.deb
capture "$XHYBRID" compare --deb a missing
expect_rc 2 "a side that does not exist"
expect_err "compare: missing: No such file or directory" "a side that does not exist"
capture "$XHYBRID" compare --deb a hello.c
expect_rc 2 "a side that is a text file"
expect_err "compare: hello.c: neither a Debian package" "a side that is a text file"
capture "$XHYBRID" compare --deb a empty
expect_rc 2 "an empty directory"
expect_err "compare: empty: no Debian package" "an empty directory"
expect_err "hint: compare --deb takes two Debian packages" "an empty directory"
capture "$XHYBRID" compare --deb a/hello_1.0_amd64.deb garbage.deb
expect_rc 125 "a file that is not a Debian package"
expect_err "garbage.deb: dpkg-deb --control: " "a file that is not a Debian package"
[ -z "$(ls /tmp | grep '^xhybrid-debcmp\.')" ] || fail "compare --deb left its views in /tmp"
pass
