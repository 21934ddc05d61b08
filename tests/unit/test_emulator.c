/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for emulator/: the architecture table, binfmt_misc rules (checked
 * against the rules Debian's qemu-user-static installs), finding and checking
 * the qemu-user program, and ELF inspection of real files made at run time.
 */
#include <check.h>
#include <elf.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "emulator.h"
#include "xh-test.h"

#define QEMU_AARCH64_STATIC "/usr/bin/qemu-aarch64-static"
#define AARCH64_GCC         "/usr/bin/aarch64-linux-gnu-gcc"
#define BINFMT_D            "/usr/lib/binfmt.d"
#define INSTALL_HINT        "install it: apt-get install qemu-user-static"
#define NO_QEMU             QEMU_AARCH64_STATIC " is missing (apt-get install qemu-user-static)"
#define NO_CC               "no /usr/bin/cc, gcc or clang (apt-get install build-essential)"
#define CHECK_HINT                                                                                 \
        "a private binfmt_misc with the F flag needs a static emulator: "                          \
        "apt-get install qemu-user-static"

/* The rule Debian's qemu-user-static ships in /usr/lib/binfmt.d/qemu-aarch64.conf. */
static const char debian_aarch64_rule[] =
        ":qemu-aarch64:M::"
        "\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00"
        "\\xb7\\x00:"
        "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff"
        "\\xff\\xff:"
        "/usr/libexec/qemu-binfmt/aarch64-binfmt-P:OPF";

/* ---- helpers ----------------------------------------------------------- */

static char *tmpdir;

static void tmpdir_setup(void)
{
        char tmpl[] = "/tmp/xh-test-emulator-XXXXXX";
        ck_assert_ptr_nonnull(mkdtemp(tmpl));
        tmpdir = xh_strdup(tmpl);
}

static void tmpdir_teardown(void)
{
        if (tmpdir)
                xh_rm_rf(tmpdir);
        free(tmpdir);
        tmpdir = NULL;
}

static char *tmp_path(const char *name)
{
        return xh_asprintf("%s/%s", tmpdir, name);
}

static char *tmp_write(const char *name, const void *data, size_t len, unsigned mode)
{
        char *path = tmp_path(name);
        ck_assert_int_eq(xh_write_file(path, data, len, mode), 0);
        return path;
}

/* Run argv with stdout and stderr discarded; the exit status or -1. */
static int run_quiet(char *const argv[])
{
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                FILE *null = freopen("/dev/null", "w", stdout);
                (void)null;
                null = freopen("/dev/null", "w", stderr);
                (void)null;
                execv(argv[0], argv);
                _exit(127);
        }
        int status;
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Compile a tiny C file with compiler and extra flags; the output path or NULL. */
static char *compile(const char *compiler, const char *out_name, const char *flag1,
                     const char *flag2)
{
        static const char src[] = "int answer(void);\n"
                                  "int answer(void) { return 42; }\n"
                                  "int main(void) { return answer() - 42; }\n";
        _cleanup_free_ char *c = tmp_write("tiny.c", src, strlen(src), 0644);
        char *out = tmp_path(out_name);
        char *argv[8];
        size_t n = 0;
        argv[n++] = (char *)compiler;
        if (flag1)
                argv[n++] = (char *)flag1;
        if (flag2)
                argv[n++] = (char *)flag2;
        argv[n++] = (char *)"-o";
        argv[n++] = out;
        argv[n++] = c;
        argv[n] = NULL;
        if (run_quiet(argv) != 0) {
                free(out);
                return NULL;
        }
        return out;
}

static const char *find_cc(void)
{
        static const char *const ccs[] = {"/usr/bin/cc", "/usr/bin/gcc", "/usr/bin/clang"};
        for (size_t i = 0; i < XH_ARRAY_SIZE(ccs); i++)
                if (access(ccs[i], X_OK) == 0)
                        return ccs[i];
        return NULL;
}

/* Copy the first len bytes of src (0: half of it) into a temp file. */
static char *tmp_truncated_copy(const char *src, size_t len, const char *name)
{
        _cleanup_free_ char *data = NULL;
        size_t size;
        ck_assert_int_eq(xh_read_file(src, &data, &size), 0);
        if (len == 0)
                len = size / 2;
        ck_assert_uint_ge(size, len);
        return tmp_write(name, data, len, 0755);
}

/*
 * Split a binfmt_misc rule ":name:type:offset:magic:mask:interp:flags" in
 * place; fields[0..6] point into rule. Returns the number of fields.
 */
static size_t split_rule(char *rule, char *fields[7])
{
        size_t n = 0;
        ck_assert_int_eq(rule[0], ':');
        char *s = rule + 1;
        char *f;
        while (n < 7 && (f = strsep(&s, ":")))
                fields[n++] = f;
        return n;
}

/* Decode a \xHH-escaped field into bytes; returns the byte count. */
static size_t unescape(const char *s, unsigned char *out, size_t max)
{
        size_t n = 0;
        while (*s) {
                ck_assert_uint_lt(n, max);
                if (s[0] == '\\' && s[1] == 'x') {
                        unsigned v;
                        ck_assert_int_eq(sscanf(s + 2, "%2x", &v), 1);
                        out[n++] = (unsigned char)v;
                        s += 4;
                } else {
                        out[n++] = (unsigned char)*s++;
                }
        }
        return n;
}

/* The qemu-NAME.conf rule from /usr/lib/binfmt.d without its newline, or NULL. */
static char *read_conf_rule(const char *qemu)
{
        _cleanup_free_ char *path = xh_asprintf(BINFMT_D "/qemu-%s.conf", qemu);
        char *data = NULL;
        if (xh_read_file(path, &data, NULL) < 0)
                return NULL;
        data[strcspn(data, "\n")] = '\0';
        return data;
}

static void assert_error(int r, int expect_r, const xh_error *err, const char *expect_msg)
{
        ck_assert_int_eq(r, expect_r);
        ck_assert_ptr_nonnull(err->msg);
        if (expect_msg)
                ck_assert_str_eq(err->msg, expect_msg);
}

/* fs/binfmt_misc.c: a file matches when (byte ^ magic) & mask is 0 throughout. */
static bool binfmt_matches(const struct xh_arch *a, const unsigned char hdr[20])
{
        for (size_t i = 0; i < 20; i++)
                if ((hdr[i] ^ a->magic[i]) & a->mask[i])
                        return false;
        return true;
}

static void put16(unsigned char *p, unsigned v, bool le)
{
        p[le ? 0 : 1] = v & 0xff;
        p[le ? 1 : 0] = (v >> 8) & 0xff;
}

/* ---- arch table ------------------------------------------------------- */

START_TEST(test_arch_sorted_unique)
{
        size_t n = 0;
        const struct xh_arch *table = xh_arch_table(&n);
        ck_assert_uint_ge(n, 9);
        for (size_t i = 0; i < n; i++) {
                if (i > 0)
                        ck_assert_msg(strcmp(table[i - 1].debian, table[i].debian) < 0,
                                      "arch table not sorted/unique at %s, %s", table[i - 1].debian,
                                      table[i].debian);
                ck_assert_ptr_eq(xh_arch_by_debian(table[i].debian), &table[i]);
        }
}
END_TEST

/* Every entry's magic agrees with its own ELF identity and with its mask. */
START_TEST(test_arch_entry_consistent)
{
        size_t n;
        const struct xh_arch *a = &xh_arch_table(&n)[_i];

        ck_assert_ptr_nonnull(a->debian);
        ck_assert_ptr_nonnull(a->qemu);
        ck_assert_ptr_nonnull(a->triplet);
        ck_assert_ptr_nonnull(a->uname);
        /*
         * The columns a profile and a session use, by Debian's naming rules:
         * bash's HOSTTYPE and MACHTYPE, the cross packages and their libc.
         */
        ck_assert_msg(a->hosttype && a->machtype && a->cross_packages && a->cross_libc,
                      "%s: a column is missing", a->debian);
        const char *os = strchr(a->triplet, '-');
        ck_assert_ptr_nonnull(os);
        /* CPU-VENDOR-OS as config.sub makes it from Debian's triplet. */
        const char *vendor = strcmp(a->debian, "amd64") == 0 || strcmp(a->debian, "i386") == 0
                                     ? "pc"
                             : strcmp(a->debian, "s390x") == 0 ? "ibm"
                                                               : "unknown";
        _cleanup_free_ char *machtype = xh_asprintf("%s-%s%s", a->hosttype, vendor, os);
        ck_assert_str_eq(a->machtype, machtype);
        _cleanup_free_ char *cross = xh_asprintf("crossbuild-essential-%s", a->debian);
        ck_assert_str_eq(a->cross_packages, cross);
        _cleanup_free_ char *libc = xh_asprintf("/usr/%s", a->triplet);
        ck_assert_str_eq(a->cross_libc, libc);
        ck_assert_int_eq(memcmp(a->magic, ELFMAG, SELFMAG), 0);
        ck_assert_int_eq(a->magic[EI_CLASS], a->elf_class);
        ck_assert_int_eq(a->magic[EI_DATA], a->elf_data);
        ck_assert_int_eq(a->magic[EI_VERSION], EV_CURRENT);
        bool le = a->elf_data == ELFDATA2LSB;
        unsigned type = le ? a->magic[16] | a->magic[17] << 8 : a->magic[17] | a->magic[16] << 8;
        unsigned machine = le ? a->magic[18] | a->magic[19] << 8 : a->magic[19] | a->magic[18] << 8;
        ck_assert_uint_eq(type, ET_EXEC);
        ck_assert_uint_eq(machine, (unsigned)a->elf_machine);

        /* Real headers for this arch match the way the kernel compares them. */
        static const struct {
                int type, osabi;
        } headers[] = {{ET_EXEC, ELFOSABI_SYSV}, {ET_DYN, ELFOSABI_SYSV}, {ET_EXEC, ELFOSABI_GNU}};
        for (size_t h = 0; h < XH_ARRAY_SIZE(headers); h++) {
                unsigned char hdr[20] = {0x7f, 'E', 'L', 'F'};
                hdr[EI_CLASS] = (unsigned char)a->elf_class;
                hdr[EI_DATA] = (unsigned char)a->elf_data;
                hdr[EI_VERSION] = EV_CURRENT;
                hdr[EI_OSABI] = (unsigned char)headers[h].osabi;
                put16(hdr + 16, (unsigned)headers[h].type, le);
                put16(hdr + 18, (unsigned)a->elf_machine, le);
                ck_assert_msg(binfmt_matches(a, hdr), "%s: header %zu does not match", a->debian,
                              h);
        }
        /* ... and relocatable objects or other machines do not. */
        unsigned char rel[20];
        memcpy(rel, a->magic, sizeof(rel));
        put16(rel + 16, ET_REL, le);
        ck_assert(!binfmt_matches(a, rel));
        unsigned char other[20];
        memcpy(other, a->magic, sizeof(other));
        put16(other + 18, a->elf_machine == EM_AARCH64 ? EM_X86_64 : EM_AARCH64, le);
        ck_assert(!binfmt_matches(a, other));
}
END_TEST

/*
 * uname -m as qemu-user 7.2 says it and bash's MACHTYPE as Debian's bash
 * says it on each architecture (seen in roots of bookworm and trixie:
 * scripts/test-matrix compares both with a hybrid session's).
 */
static const struct {
        const char *debian, *qemu, *triplet, *uname, *machtype;
        int machine, elf_class, data;
} arch_expect[] = {
        {"amd64", "x86_64", "x86_64-linux-gnu", "x86_64", "x86_64-pc-linux-gnu", EM_X86_64,
         ELFCLASS64, ELFDATA2LSB},
        {"arm64", "aarch64", "aarch64-linux-gnu", "aarch64", "aarch64-unknown-linux-gnu",
         EM_AARCH64, ELFCLASS64, ELFDATA2LSB},
        {"armel", "arm", "arm-linux-gnueabi", "armv7l", "arm-unknown-linux-gnueabi", EM_ARM,
         ELFCLASS32, ELFDATA2LSB},
        {"armhf", "arm", "arm-linux-gnueabihf", "armv7l", "arm-unknown-linux-gnueabihf", EM_ARM,
         ELFCLASS32, ELFDATA2LSB},
        {"i386", "i386", "i686-linux-gnu", "i686", "i686-pc-linux-gnu", EM_386, ELFCLASS32,
         ELFDATA2LSB},
        {"mips64el", "mips64el", "mips64el-linux-gnuabi64", "mips64",
         "mips64el-unknown-linux-gnuabi64", EM_MIPS, ELFCLASS64, ELFDATA2LSB},
        {"ppc64el", "ppc64le", "powerpc64le-linux-gnu", "ppc64le", "powerpc64le-unknown-linux-gnu",
         EM_PPC64, ELFCLASS64, ELFDATA2LSB},
        {"riscv64", "riscv64", "riscv64-linux-gnu", "riscv64", "riscv64-unknown-linux-gnu",
         EM_RISCV, ELFCLASS64, ELFDATA2LSB},
        {"s390x", "s390x", "s390x-linux-gnu", "s390x", "s390x-ibm-linux-gnu", EM_S390, ELFCLASS64,
         ELFDATA2MSB},
};

START_TEST(test_arch_lookup)
{
        const struct xh_arch *a = xh_arch_by_debian(arch_expect[_i].debian);
        ck_assert_ptr_nonnull(a);
        ck_assert_str_eq(a->debian, arch_expect[_i].debian);
        ck_assert_str_eq(a->qemu, arch_expect[_i].qemu);
        ck_assert_str_eq(a->triplet, arch_expect[_i].triplet);
        ck_assert_str_eq(a->uname, arch_expect[_i].uname);
        ck_assert_str_eq(a->machtype, arch_expect[_i].machtype);
        ck_assert_int_eq(a->elf_machine, arch_expect[_i].machine);
        ck_assert_int_eq(a->elf_class, arch_expect[_i].elf_class);
        ck_assert_int_eq(a->elf_data, arch_expect[_i].data);
}
END_TEST

START_TEST(test_arch_unknown)
{
        static const char *const names[] = {"", "foo", "ARM64", "arm", "aarch64", "amd64 ", "zz"};
        for (size_t i = 0; i < XH_ARRAY_SIZE(names); i++)
                ck_assert_msg(xh_arch_by_debian(names[i]) == NULL, "'%s' found", names[i]);
        ck_assert_ptr_null(xh_arch_by_debian(NULL));
}
END_TEST

START_TEST(test_arch_host)
{
        const struct xh_arch *host = xh_arch_host();
#if defined(__x86_64__)
        ck_assert_ptr_nonnull(host);
        ck_assert_str_eq(host->debian, "amd64");
        ck_assert_int_eq(host->elf_machine, EM_X86_64);
#elif defined(__aarch64__)
        ck_assert_ptr_nonnull(host);
        ck_assert_str_eq(host->debian, "arm64");
#endif
        if (host)
                ck_assert_ptr_eq(host, xh_arch_by_debian(host->debian));
}
END_TEST

/* The host's row says what the host's own bash says (Debian's bash names the vendor). */
START_TEST(test_arch_host_bash)
{
        const struct xh_arch *host = xh_arch_host();
        XH_REQUIRE(host && access("/bin/bash", X_OK) == 0, "no /bin/bash (apt-get install bash)");
        FILE *f = popen("/bin/bash -c 'echo \"$HOSTTYPE $MACHTYPE\"'", "r");
        ck_assert_ptr_nonnull(f);
        char line[256] = "";
        ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
        ck_assert_int_eq(pclose(f), 0);
        line[strcspn(line, "\n")] = '\0';
        _cleanup_free_ char *want = xh_asprintf("%s %s", host->hosttype, host->machtype);
        ck_assert_str_eq(line, want);
}
END_TEST

START_TEST(test_arch_armel_armhf_share_magic)
{
        const struct xh_arch *el = xh_arch_by_debian("armel");
        const struct xh_arch *hf = xh_arch_by_debian("armhf");
        ck_assert_int_eq(memcmp(el->magic, hf->magic, sizeof(el->magic)), 0);
        ck_assert_int_eq(memcmp(el->mask, hf->mask, sizeof(el->mask)), 0);
        ck_assert_str_ne(el->triplet, hf->triplet);
}
END_TEST

/* Magic and mask are exactly qemu's, wherever Debian ships that rule. */
START_TEST(test_arch_matches_binfmt_d)
{
        size_t n;
        const struct xh_arch *a = &xh_arch_table(&n)[_i];
        _cleanup_free_ char *rule = read_conf_rule(a->qemu);
        const struct xh_arch *host = xh_arch_host();
        if (!rule && (a == host || (!strcmp(host->debian, "amd64") && !strcmp(a->debian, "i386"))))
                return; /* not shipped for the host (nor i386 on amd64): nothing to compare */
        _cleanup_free_ char *why = xh_asprintf(
                "no " BINFMT_D "/qemu-%s.conf (apt-get install qemu-user-static)", a->qemu);
        XH_REQUIRE(rule, why);

        char *f[7];
        ck_assert_uint_eq(split_rule(rule, f), 7);
        ck_assert_str_eq(f[1], "M");
        ck_assert_str_eq(f[2], "");
        unsigned char magic[64], mask[64];
        ck_assert_uint_eq(unescape(f[3], magic, sizeof(magic)), 20);
        ck_assert_uint_eq(unescape(f[4], mask, sizeof(mask)), 20);
        ck_assert_msg(memcmp(magic, a->magic, 20) == 0, "%s: magic differs from qemu-%s.conf",
                      a->debian, a->qemu);
        ck_assert_msg(memcmp(mask, a->mask, 20) == 0, "%s: mask differs from qemu-%s.conf",
                      a->debian, a->qemu);
}
END_TEST

/* ---- binfmt rule ------------------------------------------------------ */

START_TEST(test_rule_aarch64_literal)
{
        _cleanup_free_ char *rule =
                xh_binfmt_rule(xh_arch_by_debian("arm64"), "qemu-aarch64",
                               "/usr/libexec/qemu-binfmt/aarch64-binfmt-P", "OPF");
        ck_assert_ptr_nonnull(rule);
        ck_assert_str_eq(rule, debian_aarch64_rule);
}
END_TEST

START_TEST(test_rule_aarch64_binfmt_d)
{
        _cleanup_free_ char *conf = read_conf_rule("aarch64");
        XH_REQUIRE(conf, "no " BINFMT_D "/qemu-aarch64.conf (apt-get install qemu-user-static)");
        _cleanup_free_ char *copy = xh_strdup(conf);
        char *f[7];
        ck_assert_uint_eq(split_rule(copy, f), 7);
        _cleanup_free_ char *rule = xh_binfmt_rule(xh_arch_by_debian("arm64"), f[0], f[5], f[6]);
        ck_assert_ptr_nonnull(rule);
        ck_assert_str_eq(rule, conf);
}
END_TEST

/* Every arch: the exact layout the kernel's register file parses. */
START_TEST(test_rule_format)
{
        size_t n;
        const struct xh_arch *a = &xh_arch_table(&n)[_i];
        _cleanup_free_ char *name = xh_asprintf("xhybrid-%s", a->debian);
        _cleanup_free_ char *interp = xh_asprintf("/usr/bin/qemu-%s-static", a->qemu);
        _cleanup_free_ char *rule = xh_binfmt_rule(a, name, interp, "F");
        ck_assert_ptr_nonnull(rule);
        ck_assert_uint_eq(strlen(rule),
                          1 + strlen(name) + 4 + 80 + 1 + 80 + 1 + strlen(interp) + 2);

        _cleanup_free_ char *prefix = xh_asprintf(":%s:M::", name);
        ck_assert_int_eq(strncmp(rule, prefix, strlen(prefix)), 0);
        const char *hex = rule + strlen(prefix);
        for (size_t i = 0; i < 40; i++) {
                const char *e = hex + i * 4 + (i >= 20); /* skip the ':' between magic and mask */
                ck_assert_msg(e[0] == '\\' && e[1] == 'x' && strchr("0123456789abcdef", e[2]) &&
                                      strchr("0123456789abcdef", e[3]),
                              "%s: bad escape %zu in %s", a->debian, i, rule);
        }

        _cleanup_free_ char *copy = xh_strdup(rule);
        char *f[7];
        ck_assert_uint_eq(split_rule(copy, f), 7);
        unsigned char magic[64], mask[64];
        ck_assert_uint_eq(unescape(f[3], magic, sizeof(magic)), 20);
        ck_assert_uint_eq(unescape(f[4], mask, sizeof(mask)), 20);
        ck_assert_int_eq(memcmp(magic, a->magic, 20), 0);
        ck_assert_int_eq(memcmp(mask, a->mask, 20), 0);
        ck_assert_str_eq(f[5], interp);
        ck_assert_str_eq(f[6], "F");
}
END_TEST

START_TEST(test_rule_flags)
{
        const struct xh_arch *a = xh_arch_by_debian("riscv64");
        _cleanup_free_ char *none = xh_binfmt_rule(a, "r", "/q", NULL);
        _cleanup_free_ char *empty = xh_binfmt_rule(a, "r", "/q", "");
        _cleanup_free_ char *fpc = xh_binfmt_rule(a, "r", "/q", "FPC");
        ck_assert_ptr_nonnull(none);
        ck_assert_str_eq(none, empty);
        ck_assert_str_eq(none + strlen(none) - 4, ":/q:");
        ck_assert_str_eq(fpc + strlen(fpc) - 7, ":/q:FPC");
}
END_TEST

START_TEST(test_rule_invalid)
{
        const struct xh_arch *a = xh_arch_by_debian("arm64");
        static const struct {
                const char *name, *interp, *flags;
        } bad[] = {
                {"", "/q", "F"},   {"a:b", "/q", "F"}, {"a/b", "/q", "F"}, {".", "/q", "F"},
                {"..", "/q", "F"}, {"x", "", "F"},     {"x", "/a:b", "F"}, {"x", "/q", "F:"},
                {NULL, "/q", "F"}, {"x", NULL, "F"},
        };
        for (size_t i = 0; i < XH_ARRAY_SIZE(bad); i++) {
                char *rule = xh_binfmt_rule(a, bad[i].name, bad[i].interp, bad[i].flags);
                ck_assert_msg(rule == NULL, "case %zu accepted: %s", i, rule);
        }
        ck_assert_ptr_null(xh_binfmt_rule(NULL, "x", "/q", "F"));
}
END_TEST

/* ---- xh_qemu_find ----------------------------------------------------- */

START_TEST(test_find_absolute)
{
        xh_error err = {0};
        char *path = NULL;
        ck_assert_int_eq(xh_qemu_find("/bin/sh", &path, &err), 0);
        ck_assert_str_eq(path, "/bin/sh");
        ck_assert_ptr_null(err.msg);
        free(path);
}
END_TEST

START_TEST(test_find_absolute_bad)
{
        _cleanup_free_ char *plain = tmp_write("plain", "x", 1, 0644);
        static const struct {
                const char *path; /* NULL: the non-executable temp file */
                int r;
                const char *msg;
        } cases[] = {
                {"/nonexistent/qemu-aarch64-static", -ENOENT,
                 "/nonexistent/qemu-aarch64-static: No such file or directory"},
                {"/", -EACCES, "/: not a regular file"},
                {NULL, -EACCES, NULL},
        };
        for (size_t i = 0; i < XH_ARRAY_SIZE(cases); i++) {
                xh_error err = {0};
                char *path = (char *)"unset";
                int r = xh_qemu_find(cases[i].path ? cases[i].path : plain, &path, &err);
                assert_error(r, cases[i].r, &err, cases[i].msg);
                ck_assert_ptr_null(path);
                if (!cases[i].path)
                        ck_assert_int_eq(strncmp(err.msg, plain, strlen(plain)), 0);
                xh_error_clear(&err);
        }
}
END_TEST

START_TEST(test_find_missing_name)
{
        xh_error err = {0};
        char *path = NULL;
        int r = xh_qemu_find("qemu-xhybrid-missing-static", &path, &err);
        assert_error(r, -ENOENT, &err,
                     "emulator 'qemu-xhybrid-missing-static' not found in /usr/bin, "
                     "/usr/local/bin, /usr/libexec/qemu-binfmt");
        ck_assert_str_eq(err.hint, INSTALL_HINT);
        ck_assert_ptr_null(path);
        xh_error_clear(&err);
}
END_TEST

START_TEST(test_find_relative)
{
        static const char *const names[] = {"bin/qemu-aarch64-static", "./qemu-aarch64-static",
                                            "../qemu-aarch64-static", "qemu/"};
        for (size_t i = 0; i < XH_ARRAY_SIZE(names); i++) {
                xh_error err = {0};
                char *path = NULL;
                assert_error(xh_qemu_find(names[i], &path, &err), -EINVAL, &err, NULL);
                ck_assert_ptr_nonnull(strstr(err.msg, names[i]));
                ck_assert_ptr_null(path);
                xh_error_clear(&err);
        }
        xh_error err = {0};
        char *path = NULL;
        assert_error(xh_qemu_find("", &path, &err), -EINVAL, &err, NULL);
        xh_error_clear(&err);
}
END_TEST

/* A bare name is never looked up in $PATH. */
START_TEST(test_find_ignores_path)
{
        _cleanup_free_ char *fake = tmp_write("xhybrid-fake-emulator", "#!/bin/sh\n", 10, 0755);
        ck_assert_ptr_nonnull(fake);
        _cleanup_free_ char *old = getenv("PATH") ? xh_strdup(getenv("PATH")) : NULL;
        setenv("PATH", tmpdir, 1);

        xh_error err = {0};
        char *path = NULL;
        int r = xh_qemu_find("xhybrid-fake-emulator", &path, &err);
        if (old)
                setenv("PATH", old, 1);
        else
                unsetenv("PATH");
        assert_error(r, -ENOENT, &err, NULL);
        ck_assert_ptr_null(path);
        xh_error_clear(&err);
}
END_TEST

START_TEST(test_find_bare_name)
{
        XH_REQUIRE(access(QEMU_AARCH64_STATIC, X_OK) == 0, NO_QEMU);
        xh_error err = {0};
        char *path = NULL;
        ck_assert_int_eq(xh_qemu_find("qemu-aarch64-static", &path, &err), 0);
        ck_assert_str_eq(path, QEMU_AARCH64_STATIC);
        free(path);
}
END_TEST

/* ---- ELF inspection --------------------------------------------------- */

START_TEST(test_elf_self)
{
        const struct xh_arch *host = xh_arch_host();
        struct xh_elf_info info;
        xh_error err = {0};
        ck_assert_int_eq(xh_elf_inspect("/proc/self/exe", &info, &err), 0);
        ck_assert_ptr_null(err.msg);
        if (host) {
                ck_assert_int_eq(info.machine, host->elf_machine);
                ck_assert_int_eq(info.elf_class, host->elf_class);
                ck_assert_int_eq(info.data, host->elf_data);
        }
        ck_assert(info.type == ET_DYN || info.type == ET_EXEC);
        ck_assert(info.dynamic);
        ck_assert(info.has_dynamic);
        ck_assert_ptr_nonnull(info.interpreter);
        ck_assert_int_eq(info.interpreter[0], '/');

        _cleanup_free_ char *desc = xh_elf_describe(&info);
        _cleanup_free_ char *dyn = xh_asprintf(", dynamic (%s), ", info.interpreter);
        ck_assert_ptr_nonnull(strstr(desc, dyn));
#if defined(__x86_64__)
        ck_assert_str_eq(info.interpreter, "/lib64/ld-linux-x86-64.so.2");
        ck_assert_int_eq(strncmp(desc, "ELF 64-bit LSB x86-64, dynamic", 30), 0);
#endif
        xh_elf_info_clear(&info);
        ck_assert_ptr_null(info.interpreter);
        xh_elf_info_clear(&info); /* idempotent */
}
END_TEST

START_TEST(test_elf_qemu_static)
{
        XH_REQUIRE(access(QEMU_AARCH64_STATIC, R_OK) == 0, NO_QEMU);
        struct xh_elf_info info;
        ck_assert_int_eq(xh_elf_inspect(QEMU_AARCH64_STATIC, &info, NULL), 0);
        ck_assert_int_eq(info.machine, xh_arch_host()->elf_machine);
        ck_assert(!info.dynamic);
        ck_assert_ptr_null(info.interpreter);
        ck_assert(info.type == ET_DYN || info.type == ET_EXEC);
        _cleanup_free_ char *desc = xh_elf_describe(&info);
        ck_assert_ptr_null(strstr(desc, "dynamic"));
        xh_elf_info_clear(&info);
}
END_TEST

START_TEST(test_elf_relocatable)
{
        const char *cc = find_cc();
        XH_REQUIRE(cc, NO_CC);
        _cleanup_free_ char *obj = compile(cc, "tiny.o", "-c", NULL);
        ck_assert_ptr_nonnull(obj);

        struct xh_elf_info info;
        xh_error err = {0};
        ck_assert_int_eq(xh_elf_inspect(obj, &info, &err), 0);
        ck_assert_int_eq(info.type, ET_REL);
        ck_assert(!info.dynamic);
        ck_assert(!info.has_dynamic);
        ck_assert_ptr_null(info.interpreter);
#if defined(__x86_64__)
        ck_assert_int_eq(info.machine, EM_X86_64);
        _cleanup_free_ char *desc = xh_elf_describe(&info);
        ck_assert_str_eq(desc, "ELF 64-bit LSB x86-64, relocatable");
#endif
        xh_elf_info_clear(&info);
}
END_TEST

enum fixture {
        FX_TEXT,
        FX_EMPTY,
        FX_TRUNC30,
        FX_TRUNC100,
        FX_TRUNC_HALF,
        FX_AR,
        FX_BAD_CLASS,
        FX_MISSING,
        FX_DIR,
};

static const struct {
        enum fixture fx;
        int r;
        const char *msg_suffix; /* after "PATH: "; NULL: any message naming PATH */
} elf_error_cases[] = {
        /* clang-format off */
    {FX_TEXT, -ENOEXEC, "not an ELF file"},
    {FX_EMPTY, -ENOEXEC, "not an ELF file"},
    {FX_TRUNC30, -ENOEXEC, "truncated ELF file: shorter than the ELF header"},
    {FX_TRUNC100, -ENOEXEC, "truncated ELF file: program headers past end of file"},
    {FX_TRUNC_HALF, -ENOEXEC, NULL},
    {FX_AR, -ENOEXEC, "not an ELF file (an ar archive)"},
    {FX_BAD_CLASS, -ENOEXEC, "corrupt ELF file: invalid class 7"},
    {FX_MISSING, -ENOENT, "No such file or directory"},
    {FX_DIR, -EISDIR, "Is a directory"},
        /* clang-format on */
};

static char *make_fixture(enum fixture fx)
{
        switch (fx) {
        case FX_TEXT:
                return tmp_write("text", "#!/bin/sh\necho hello\n", 21, 0755);
        case FX_EMPTY:
                return tmp_write("empty", "", 0, 0755);
        case FX_TRUNC30:
                return tmp_truncated_copy("/proc/self/exe", 30, "trunc30");
        case FX_TRUNC100:
                return tmp_truncated_copy("/proc/self/exe", 100, "trunc100");
        case FX_TRUNC_HALF:
                /* Not stat(): under valgrind only open() of /proc/self/exe is redirected. */
                return tmp_truncated_copy("/proc/self/exe", 0, "trunchalf");
        case FX_AR:
                return tmp_write("lib.a", "!<arch>\n", 8, 0644);
        case FX_BAD_CLASS: {
                _cleanup_free_ char *data = NULL;
                size_t size;
                ck_assert_int_eq(xh_read_file("/proc/self/exe", &data, &size), 0);
                data[EI_CLASS] = 7;
                return tmp_write("badclass", data, size, 0755);
        }
        case FX_MISSING:
                return tmp_path("missing");
        case FX_DIR:
                return xh_strdup(tmpdir);
        }
        ck_abort_msg("unknown fixture %d", fx);
        return NULL;
}

START_TEST(test_elf_errors)
{
        _cleanup_free_ char *path = make_fixture(elf_error_cases[_i].fx);
        struct xh_elf_info info;
        memset(&info, 0x5a, sizeof(info));
        xh_error err = {0};
        int r = xh_elf_inspect(path, &info, &err);
        ck_assert_msg(r == elf_error_cases[_i].r, "%s: got %d (%s), want %d", path, r,
                      err.msg ? err.msg : "-", elf_error_cases[_i].r);
        ck_assert_ptr_nonnull(err.msg);
        ck_assert_int_eq(strncmp(err.msg, path, strlen(path)), 0);
        ck_assert_int_eq(strncmp(err.msg + strlen(path), ": ", 2), 0);
        if (elf_error_cases[_i].msg_suffix)
                ck_assert_str_eq(err.msg + strlen(path) + 2, elf_error_cases[_i].msg_suffix);
        ck_assert_ptr_null(info.interpreter);
        ck_assert(!info.dynamic);
        xh_elf_info_clear(&info);
        xh_error_clear(&err);

        /* A NULL error is allowed. */
        ck_assert_int_eq(xh_elf_inspect(path, &info, NULL), elf_error_cases[_i].r);
}
END_TEST

START_TEST(test_elf_aarch64)
{
        XH_REQUIRE(access(AARCH64_GCC, X_OK) == 0,
                   AARCH64_GCC " is missing (apt-get install crossbuild-essential-arm64)");
        _cleanup_free_ char *dyn = compile(AARCH64_GCC, "tiny-dyn", NULL, NULL);
        XH_REQUIRE(dyn, AARCH64_GCC " cannot link a program: no arm64 libc "
                                    "(apt-get install crossbuild-essential-arm64)");

        struct xh_elf_info info;
        xh_error err = {0};
        ck_assert_int_eq(xh_elf_inspect(dyn, &info, &err), 0);
        ck_assert_int_eq(info.machine, EM_AARCH64);
        ck_assert_int_eq(info.elf_class, ELFCLASS64);
        ck_assert_int_eq(info.data, ELFDATA2LSB);
        ck_assert(info.dynamic);
        ck_assert(info.has_dynamic);
        ck_assert_str_eq(info.interpreter, "/lib/ld-linux-aarch64.so.1");
        _cleanup_free_ char *desc = xh_elf_describe(&info);
        const char *kind = info.type == ET_DYN ? "PIE executable" : "executable";
        _cleanup_free_ char *want = xh_asprintf(
                "ELF 64-bit LSB aarch64, dynamic (/lib/ld-linux-aarch64.so.1), %s", kind);
        ck_assert_str_eq(desc, want);
        xh_elf_info_clear(&info);

        /* Not usable as the host's emulator. */
        ck_assert_int_eq(xh_qemu_check(dyn, &err), -ENOEXEC);
        ck_assert_str_eq(err.hint, CHECK_HINT);
        xh_error_clear(&err);

        _cleanup_free_ char *static_exe = compile(AARCH64_GCC, "tiny-static", "-static", NULL);
        XH_REQUIRE(static_exe, AARCH64_GCC " cannot link a static program: no arm64 libc.a "
                                           "(apt-get install crossbuild-essential-arm64)");
        ck_assert_int_eq(xh_elf_inspect(static_exe, &info, &err), 0);
        ck_assert_int_eq(info.machine, EM_AARCH64);
        ck_assert(!info.dynamic);
        ck_assert_ptr_null(info.interpreter);
        _cleanup_free_ char *sdesc = xh_elf_describe(&info);
        ck_assert_str_eq(sdesc, "ELF 64-bit LSB aarch64, static, executable");
        xh_elf_info_clear(&info);

#if defined(__x86_64__)
        ck_assert_int_eq(xh_qemu_check(static_exe, &err), -ENOEXEC);
        _cleanup_free_ char *msg = xh_asprintf(
                "%s: not a static x86-64 program (ELF 64-bit LSB aarch64, static, executable)",
                static_exe);
        ck_assert_str_eq(err.msg, msg);
        xh_error_clear(&err);
#endif
}
END_TEST

/* ---- names and descriptions ------------------------------------------- */

START_TEST(test_machine_names)
{
        static const struct {
                int machine;
                const char *name;
        } names[] = {
                {EM_X86_64, "x86-64"}, {EM_AARCH64, "aarch64"}, {EM_ARM, "arm"},
                {EM_386, "i386"},      {EM_PPC64, "ppc64"},     {EM_RISCV, "riscv"},
                {EM_S390, "s390"},     {EM_MIPS, "mips"},       {9999, "EM_9999"},
                {0, "EM_0"},
        };
        for (size_t i = 0; i < XH_ARRAY_SIZE(names); i++)
                ck_assert_str_eq(xh_elf_machine_name(names[i].machine), names[i].name);
}
END_TEST

START_TEST(test_describe)
{
        static const struct {
                struct xh_elf_info info;
                const char *want;
        } cases[] = {
                {{EM_AARCH64, ELFCLASS64, ELFDATA2LSB, ET_DYN, true, true,
                  (char *)"/lib/ld-linux-aarch64.so.1"},
                 "ELF 64-bit LSB aarch64, dynamic (/lib/ld-linux-aarch64.so.1), PIE executable"},
                {{EM_X86_64, ELFCLASS64, ELFDATA2LSB, ET_EXEC, false, false, NULL},
                 "ELF 64-bit LSB x86-64, static, executable"},
                {{EM_X86_64, ELFCLASS64, ELFDATA2LSB, ET_REL, false, false, NULL},
                 "ELF 64-bit LSB x86-64, relocatable"},
                {{EM_X86_64, ELFCLASS64, ELFDATA2LSB, ET_DYN, false, true, NULL},
                 "ELF 64-bit LSB x86-64, shared object or static-pie"},
                {{EM_ARM, ELFCLASS32, ELFDATA2LSB, ET_EXEC, true, true,
                  (char *)"/lib/ld-linux-armhf.so.3"},
                 "ELF 32-bit LSB arm, dynamic (/lib/ld-linux-armhf.so.3), executable"},
                {{EM_S390, ELFCLASS64, ELFDATA2MSB, ET_CORE, false, false, NULL},
                 "ELF 64-bit MSB s390, core file"},
                {{4242, 9, 7, 0x77, false, false, NULL}, "ELF class-9 data-7 EM_4242, type 119"},
        };
        for (size_t i = 0; i < XH_ARRAY_SIZE(cases); i++) {
                _cleanup_free_ char *desc = xh_elf_describe(&cases[i].info);
                ck_assert_str_eq(desc, cases[i].want);
        }
}
END_TEST

/* ---- xh_qemu_check ---------------------------------------------------- */

START_TEST(test_check_static_qemu)
{
        XH_REQUIRE(access(QEMU_AARCH64_STATIC, R_OK) == 0, NO_QEMU);
        xh_error err = {0};
        ck_assert_int_eq(xh_qemu_check(QEMU_AARCH64_STATIC, &err), 0);
        ck_assert_ptr_null(err.msg);
        ck_assert_ptr_null(err.hint);
}
END_TEST

START_TEST(test_check_dynamic)
{
        const char *host = xh_elf_machine_name(xh_arch_host()->elf_machine);
        struct xh_elf_info info;
        ck_assert_int_eq(xh_elf_inspect("/bin/true", &info, NULL), 0);
        ck_assert(info.dynamic);
        _cleanup_free_ char *want = xh_asprintf(
                "/bin/true: not a static %s program (dynamic, needs %s)", host, info.interpreter);
        xh_elf_info_clear(&info);

        xh_error err = {0};
        assert_error(xh_qemu_check("/bin/true", &err), -ENOEXEC, &err, want);
        ck_assert_str_eq(err.hint, CHECK_HINT);
#if defined(__x86_64__)
        ck_assert_str_eq(err.msg, "/bin/true: not a static x86-64 program (dynamic, needs "
                                  "/lib64/ld-linux-x86-64.so.2)");
#endif
        xh_error_clear(&err);
}
END_TEST

START_TEST(test_check_errors)
{
        _cleanup_free_ char *text = make_fixture(FX_TEXT);
        _cleanup_free_ char *missing = make_fixture(FX_MISSING);
        xh_error err = {0};
        _cleanup_free_ char *text_msg = xh_asprintf("%s: not an ELF file", text);
        assert_error(xh_qemu_check(text, &err), -ENOEXEC, &err, text_msg);
        xh_error_clear(&err);
        _cleanup_free_ char *missing_msg = xh_asprintf("%s: No such file or directory", missing);
        assert_error(xh_qemu_check(missing, &err), -ENOENT, &err, missing_msg);
        xh_error_clear(&err);

        const char *cc = find_cc();
        XH_REQUIRE(cc, NO_CC);
        _cleanup_free_ char *obj = compile(cc, "tiny.o", "-c", NULL);
        ck_assert_ptr_nonnull(obj);
        assert_error(xh_qemu_check(obj, &err), -ENOEXEC, &err, NULL);
        ck_assert_ptr_nonnull(strstr(err.msg, "relocatable"));
        ck_assert_str_eq(err.hint, CHECK_HINT);
        xh_error_clear(&err);
}
END_TEST

/* ---- ELF comparison ---------------------------------------------------- */

/* A file in memory. */
struct blob {
        char *data;
        size_t size;
};

static void blob_free(struct blob *b)
{
        free(b->data);
}
#define _cleanup_blob_ __attribute__((cleanup(blob_free)))

/* This test program: an ELF file with .comment and a build-id. */
static struct blob self_blob(void)
{
        struct blob b;
        ck_assert_int_eq(xh_read_file("/proc/self/exe", &b.data, &b.size), 0);
        ck_assert_uint_ge(b.size, sizeof(Elf64_Ehdr));
        ck_assert_msg(b.data[EI_CLASS] == ELFCLASS64, "the ELF comparison tests read ELF64 only");
        return b;
}

static Elf64_Shdr *section_headers(const struct blob *b)
{
        return (Elf64_Shdr *)(b->data + ((const Elf64_Ehdr *)b->data)->e_shoff);
}

/* The index of the section called name. */
static size_t section_index(const struct blob *b, const char *name)
{
        const Elf64_Ehdr *eh = (const Elf64_Ehdr *)b->data;
        const Elf64_Shdr *sh = section_headers(b);
        const char *names = b->data + sh[eh->e_shstrndx].sh_offset;
        for (size_t i = 1; i < eh->e_shnum; i++)
                if (strcmp(names + sh[i].sh_name, name) == 0)
                        return i;
        ck_abort_msg("this test program has no section %s", name);
        return 0;
}

static Elf64_Shdr *section(const struct blob *b, const char *name)
{
        return &section_headers(b)[section_index(b, name)];
}

/* The offset of a zero byte of padding between two sections. */
static size_t padding_byte(const struct blob *b)
{
        const Elf64_Ehdr *eh = (const Elf64_Ehdr *)b->data;
        const Elf64_Shdr *sh = section_headers(b);
        uint64_t covered = eh->e_phoff + (uint64_t)eh->e_phnum * eh->e_phentsize;
        for (;;) {
                /* The section that starts first at or after what is covered. */
                const Elf64_Shdr *next = NULL;
                for (size_t i = 1; i < eh->e_shnum; i++)
                        if (sh[i].sh_type != SHT_NOBITS && sh[i].sh_size > 0 &&
                            sh[i].sh_offset >= covered &&
                            (!next || sh[i].sh_offset < next->sh_offset))
                                next = &sh[i];
                ck_assert_msg(next != NULL, "no padding between the sections of this program");
                if (next->sh_offset > covered && b->data[covered] == 0)
                        return covered;
                covered = next->sh_offset + next->sh_size;
        }
}

enum mutation {
        MUT_NONE,
        MUT_COMMENT,          /* a byte of .comment */
        MUT_BUILD_ID,         /* a byte of the build-id */
        MUT_COMMENT_SHORTER,  /* .comment a byte shorter: its last NUL becomes padding */
        MUT_TEXT,             /* a byte of .text */
        MUT_TEXT_FLAGS,       /* .text's flags in its section header */
        MUT_PADDING,          /* a zero byte between two sections made non-zero */
        MUT_TRAILING,         /* five bytes appended */
        MUT_SECTION_PAST_END, /* .text's contents past the end of the file */
        MUT_BAD_CLASS,        /* EI_CLASS 7, which libelf rejects */
        MUT_TRUNCATED,        /* the first 3000 bytes against the first 2000 */
};

/*
 * The differences that each change to a copy of this program makes, joined
 * with "|", in the default comparison (.comment and the build-id ignored) and
 * the strict one. @A and @B stand for the two paths, @T for .text's index.
 */
static const struct {
        enum mutation m;
        const char *normal, *strict;
} elfcmp_cases[] = {
        {MUT_NONE, "", ""},
        {MUT_COMMENT, "", ".comment differs"},
        {MUT_BUILD_ID, "", ".note.gnu.build-id differs"},
        {MUT_COMMENT_SHORTER, "", ".comment differs|bytes between the sections differ"},
        {MUT_TEXT, ".text differs", ".text differs"},
        {MUT_TEXT_FLAGS, ".text (section header) differs", ".text (section header) differs"},
        {MUT_PADDING, "bytes between the sections differ", "bytes between the sections differ"},
        {MUT_TRAILING, "bytes after the end of the ELF contents differ (0 vs 5 bytes)",
         "bytes after the end of the ELF contents differ (0 vs 5 bytes)"},
        {MUT_SECTION_PAST_END, "@B: truncated ELF file: section @T past end of file",
         "@B: truncated ELF file: section @T past end of file"},
        {MUT_BAD_CLASS, "@B: corrupt ELF file: invalid class 7",
         "@B: corrupt ELF file: invalid class 7"},
        {MUT_TRUNCATED,
         "@A: truncated ELF file: section headers past end of file|"
         "@B: truncated ELF file: section headers past end of file",
         "@A: truncated ELF file: section headers past end of file|"
         "@B: truncated ELF file: section headers past end of file"},
};

/* s with each of the placeholders @A @B @T @S replaced. */
static char *expand(const char *s, const char *a, const char *b, size_t text, size_t size)
{
        xh_buf out = {0};
        for (; *s; s++) {
                if (s[0] == '@' && s[1] == 'A')
                        xh_buf_add(&out, a);
                else if (s[0] == '@' && s[1] == 'B')
                        xh_buf_add(&out, b);
                else if (s[0] == '@' && s[1] == 'T')
                        xh_buf_addf(&out, "%zu", text);
                else if (s[0] == '@' && s[1] == 'S')
                        xh_buf_addf(&out, "%zu", size);
                else {
                        xh_buf_addn(&out, s, 1);
                        continue;
                }
                s++;
        }
        return out.s ? xh_buf_steal(&out) : xh_strdup("");
}

/* Compare a and b, both ways of comparing, against the expected differences. */
static void assert_elf_diffs(const char *a, const char *b, const char *normal, const char *strict,
                             size_t text, size_t size)
{
        static const char *const ignore[] = {".comment", ".note.gnu.build-id", NULL};
        for (int k = 0; k < 2; k++) {
                _cleanup_strv_ char **diffs = NULL;
                xh_error err = {0};
                int r = xh_elf_compare(a, b, k ? NULL : (char *const *)ignore, &diffs, &err);
                ck_assert_msg(r == 0, "%s vs %s: %d (%s)", a, b, r, err.msg);
                _cleanup_free_ char *got = xh_strv_join(diffs, "|");
                _cleanup_free_ char *want = expand(k ? strict : normal, a, b, text, size);
                ck_assert_msg(strcmp(got, want) == 0, "%s comparison: got '%s', want '%s'",
                              k ? "strict" : "default", got, want);
        }
}

START_TEST(test_elf_compare)
{
        _cleanup_blob_ struct blob a = self_blob(), b = self_blob();
        size_t text = section_index(&a, ".text");
        Elf64_Shdr *sh;
        switch (elfcmp_cases[_i].m) {
        case MUT_NONE:
                break;
        case MUT_COMMENT:
                sh = section(&b, ".comment");
                ck_assert_uint_gt(sh->sh_size, 1);
                b.data[sh->sh_offset] ^= 0x20;
                break;
        case MUT_BUILD_ID:
                sh = section(&b, ".note.gnu.build-id");
                b.data[sh->sh_offset + sh->sh_size - 1] ^= 1;
                break;
        case MUT_COMMENT_SHORTER:
                sh = section(&b, ".comment");
                ck_assert_int_eq(b.data[sh->sh_offset + sh->sh_size - 1], '\0');
                sh->sh_size--;
                break;
        case MUT_TEXT:
                sh = section(&b, ".text");
                b.data[sh->sh_offset + sh->sh_size / 2] ^= 1;
                break;
        case MUT_TEXT_FLAGS:
                section(&b, ".text")->sh_flags |= SHF_WRITE;
                break;
        case MUT_PADDING:
                b.data[padding_byte(&b)] = 0x55;
                break;
        case MUT_TRAILING:
                b.data = xh_realloc(b.data, b.size + 5);
                memcpy(b.data + b.size, "junk\n", 5);
                b.size += 5;
                break;
        case MUT_SECTION_PAST_END:
                section(&b, ".text")->sh_offset = b.size;
                break;
        case MUT_BAD_CLASS:
                b.data[EI_CLASS] = 7;
                break;
        case MUT_TRUNCATED:
                ck_assert_uint_gt(a.size, 3000);
                a.size = 3000;
                b.size = 2000;
                break;
        }
        _cleanup_free_ char *pa = tmp_write("a", a.data, a.size, 0755);
        _cleanup_free_ char *pb = tmp_write("b", b.data, b.size, 0755);
        assert_elf_diffs(pa, pb, elfcmp_cases[_i].normal, elfcmp_cases[_i].strict, text, a.size);
}
END_TEST

/*
 * A small relocatable ELF file of either class and byte order, as a target
 * compiler would leave it: .text, .comment, the section names, the section
 * headers last. Every multi-byte field in the file's own byte order.
 */
struct elf_spec {
        int elf_class, data, machine;
        const char *text, *comment;
        unsigned text_flags;
};

static void put_n(xh_buf *b, size_t off, uint64_t v, size_t n, bool le)
{
        for (size_t i = 0; i < n; i++)
                b->s[off + (le ? i : n - 1 - i)] = (char)((v >> (8 * i)) & 0xff);
}

static void make_elf(const char *path, const struct elf_spec *e)
{
        static const char names[] = "\0.text\0.comment\0.shstrtab";
        bool le = e->data == ELFDATA2LSB, is64 = e->elf_class == ELFCLASS64;
        size_t ehsize = is64 ? 64 : 52, shentsize = is64 ? 64 : 40, w = is64 ? 8 : 4;
        size_t ntext = strlen(e->text), ncomment = strlen(e->comment) + 1;
        size_t text_off = ehsize, comment_off = text_off + ntext;
        size_t names_off = comment_off + ncomment;
        size_t shoff = (names_off + sizeof(names) + 7) & ~(size_t)7;
        size_t size = shoff + 4 * shentsize;
        xh_buf b = {0};
        for (size_t i = 0; i < size; i++)
                xh_buf_addn(&b, "", 1);
        memcpy(b.s, ELFMAG, SELFMAG);
        b.s[EI_CLASS] = (char)e->elf_class;
        b.s[EI_DATA] = (char)e->data;
        b.s[EI_VERSION] = EV_CURRENT;
        put_n(&b, 16, ET_REL, 2, le);
        put_n(&b, 18, (uint64_t)e->machine, 2, le);
        put_n(&b, 20, EV_CURRENT, 4, le);
        size_t o = 24 + 2 * w; /* e_entry, e_phoff */
        put_n(&b, o, shoff, w, le);
        put_n(&b, o + w + 4, ehsize, 2, le);        /* e_ehsize, after e_flags */
        put_n(&b, o + w + 4 + 6, shentsize, 2, le); /* e_shentsize */
        put_n(&b, o + w + 4 + 8, 4, 2, le);         /* e_shnum */
        put_n(&b, o + w + 4 + 10, 3, 2, le);        /* e_shstrndx */
        memcpy(b.s + text_off, e->text, ntext);
        memcpy(b.s + comment_off, e->comment, ncomment);
        memcpy(b.s + names_off, names, sizeof(names));
        const struct {
                unsigned name, type;
                uint64_t flags, offset, size, align, entsize;
        } sh[] = {
                {0, SHT_NULL, 0, 0, 0, 0, 0},
                {1, SHT_PROGBITS, e->text_flags, text_off, ntext, 1, 0},
                {7, SHT_PROGBITS, SHF_MERGE | SHF_STRINGS, comment_off, ncomment, 1, 1},
                {16, SHT_STRTAB, 0, names_off, sizeof(names), 1, 0},
        };
        for (size_t i = 0; i < XH_ARRAY_SIZE(sh); i++) {
                size_t h = shoff + i * shentsize;
                put_n(&b, h, sh[i].name, 4, le);
                put_n(&b, h + 4, sh[i].type, 4, le);
                put_n(&b, h + 8, sh[i].flags, w, le);
                /* sh_addr at h + 8 + w stays 0 */
                put_n(&b, h + 8 + 2 * w, sh[i].offset, w, le);
                put_n(&b, h + 8 + 3 * w, sh[i].size, w, le);
                /* sh_link, sh_info */
                put_n(&b, h + 16 + 4 * w, sh[i].align, w, le);
                put_n(&b, h + 16 + 5 * w, sh[i].entsize, w, le);
        }
        ck_assert_int_eq(xh_write_file(path, b.s, size, 0644), 0);
        xh_buf_free(&b);
}

/*
 * Both byte orders and classes are read in the file's own order: the
 * targets' objects (s390x big-endian, armhf 32-bit) are inspected and
 * compared field by field and section by section like the host's. The same
 * bytes in the other order would name other sections and other lengths.
 */
static const struct {
        const char *arch;
        int elf_class, data, machine;
        const char *describe;
} elf_orders[] = {
        {"s390x", ELFCLASS64, ELFDATA2MSB, EM_S390, "ELF 64-bit MSB s390, relocatable"},
        {"armhf", ELFCLASS32, ELFDATA2LSB, EM_ARM, "ELF 32-bit LSB arm, relocatable"},
        {"riscv64", ELFCLASS64, ELFDATA2LSB, EM_RISCV, "ELF 64-bit LSB riscv, relocatable"},
        {"(32-bit big-endian)", ELFCLASS32, ELFDATA2MSB, EM_PPC,
         "ELF 32-bit MSB EM_20, relocatable"},
};

START_TEST(test_elf_byte_order)
{
        const struct xh_arch *arch = xh_arch_by_debian(elf_orders[_i].arch);
        if (arch) {
                ck_assert_int_eq(arch->elf_class, elf_orders[_i].elf_class);
                ck_assert_int_eq(arch->elf_data, elf_orders[_i].data);
                ck_assert_int_eq(arch->elf_machine, elf_orders[_i].machine);
        }
        struct elf_spec spec = {elf_orders[_i].elf_class,
                                elf_orders[_i].data,
                                elf_orders[_i].machine,
                                "\x01\x02\x03\x04\x05\x06\x07\x08",
                                "GCC: (Debian 12.2.0-14+deb12u1) 12.2.0",
                                SHF_ALLOC | SHF_EXECINSTR};
        _cleanup_free_ char *a = tmp_path("a.o");
        _cleanup_free_ char *b = tmp_path("b.o");
        make_elf(a, &spec);

        struct xh_elf_info info;
        xh_error err = {0};
        ck_assert_int_eq(xh_elf_inspect(a, &info, &err), 0);
        ck_assert_int_eq(info.machine, elf_orders[_i].machine);
        ck_assert_int_eq(info.elf_class, elf_orders[_i].elf_class);
        ck_assert_int_eq(info.data, elf_orders[_i].data);
        ck_assert_int_eq(info.type, ET_REL);
        _cleanup_free_ char *what = xh_elf_describe(&info);
        ck_assert_str_eq(what, elf_orders[_i].describe);
        xh_elf_info_clear(&info);

        /* The cross compiler's .comment, one byte shorter: ignored, moved offsets too. */
        spec.comment = "GCC: (Debian 12.2.0-14) 12.2.0";
        make_elf(b, &spec);
        assert_elf_diffs(a, b, "", ".comment differs|section offsets differ", 0, 0);
        /* Code and section headers are compared, by name, in either order. */
        spec.comment = "GCC: (Debian 12.2.0-14+deb12u1) 12.2.0";
        spec.text = "\x01\x02\x03\x04\x05\x06\x07\x09";
        make_elf(b, &spec);
        assert_elf_diffs(a, b, ".text differs", ".text differs", 0, 0);
        spec.text = "\x01\x02\x03\x04\x05\x06\x07\x08";
        spec.text_flags = SHF_ALLOC;
        make_elf(b, &spec);
        assert_elf_diffs(a, b, ".text (section header) differs", ".text (section header) differs",
                         0, 0);
        spec.text_flags = SHF_ALLOC | SHF_EXECINSTR;
        make_elf(b, &spec);
        assert_elf_diffs(a, b, "", "", 0, 0);
        /* The same file for another machine: its ELF header differs. */
        spec.machine = EM_X86_64;
        make_elf(b, &spec);
        assert_elf_diffs(a, b, "ELF header differs", "ELF header differs", 0, 0);
}
END_TEST

/* An unreadable file is an error naming it; a missing one too. */
START_TEST(test_elf_compare_unreadable)
{
        _cleanup_free_ char *missing = tmp_path("missing");
        char **diffs = (char **)1;
        xh_error err = {0};
        assert_error(xh_elf_compare("/proc/self/exe", missing, NULL, &diffs, &err), -ENOENT, &err,
                     NULL);
        _cleanup_free_ char *want = xh_asprintf("%s: No such file or directory", missing);
        ck_assert_str_eq(err.msg, want);
        ck_assert_ptr_null(diffs);
        xh_error_clear(&err);
}
END_TEST

/* An ar archive: "/" with one symbol, then the given members. */
struct ar_spec {
        const char *name;
        const char *data;
        size_t size;
};

static char *ar_write(const char *file, const struct ar_spec *m, size_t n, size_t symbol_member,
                      size_t *size)
{
        xh_buf b = {0};
        xh_buf_add(&b, "!<arch>\n");
        /* The symbol table: a count, an offset (big-endian), a name. */
        size_t offset = 8 + 60 + 12;
        for (size_t i = 0; i < symbol_member; i++)
                offset += 60 + m[i].size + (m[i].size & 1);
        unsigned char table[12] = {0,           0,      0,   1,   offset >> 24, offset >> 16,
                                   offset >> 8, offset, 'm', 'a', 'i',          'n'};
        table[11] = '\0';
        xh_buf_addf(&b, "%-16s%-12s%-6s%-6s%-8s%-10zu`\n", "/", "0", "0", "0", "0", sizeof(table));
        xh_buf_addn(&b, (const char *)table, sizeof(table));
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *name = xh_asprintf("%s/", m[i].name);
                xh_buf_addf(&b, "%-16s%-12s%-6s%-6s%-8s%-10zu`\n", name, "0", "0", "0", "644",
                            m[i].size);
                xh_buf_addn(&b, m[i].data, m[i].size);
                if (m[i].size & 1)
                        xh_buf_add(&b, "\n");
        }
        *size = b.len;
        char *path = tmp_write(file, b.s, b.len, 0644);
        xh_buf_free(&b);
        return path;
}

enum ar_change {
        AR_NONE,
        AR_MEMBER_COMMENT,   /* a byte of the ELF member's .comment */
        AR_MEMBER_TEXT,      /* a byte of the ELF member's .text */
        AR_TRUNCATED,        /* cut inside the last member */
        AR_TRAILING,         /* two bytes after the last member */
        AR_EXTRA_MEMBER,     /* one more member */
        AR_LONGER_TEXT,      /* the text member longer: the ELF member moves */
        AR_SYMBOL_ELSEWHERE, /* the symbol names the text member */
        AR_NOT_ARCHIVE,      /* the ELF file itself */
};

static const struct {
        enum ar_change c;
        const char *normal, *strict;
} ar_cases[] = {
        {AR_NONE, "", ""},
        {AR_MEMBER_COMMENT, "", "prog: .comment differs"},
        {AR_MEMBER_TEXT, "prog: .text differs", "prog: .text differs"},
        {AR_TRUNCATED, "@B: truncated archive: member prog past end of file",
         "@B: truncated archive: member prog past end of file"},
        {AR_TRAILING, "@B: truncated archive or trailing bytes: 2 bytes at offset @S, not a member",
         "@B: truncated archive or trailing bytes: 2 bytes at offset @S, not a member"},
        {AR_EXTRA_MEMBER, "archive members differ (3 vs 4)", "archive members differ (3 vs 4)"},
        {AR_LONGER_TEXT, "note.txt: contents differ",
         "archive symbol table differs|note.txt: member header differs|note.txt: contents differ"},
        {AR_SYMBOL_ELSEWHERE, "archive symbol table differs", "archive symbol table differs"},
        {AR_NOT_ARCHIVE, "file kind differs (ar archive vs ELF file)",
         "file kind differs (ar archive vs ELF file)"},
};

START_TEST(test_elf_compare_archive)
{
        _cleanup_blob_ struct blob elf = self_blob(), changed = self_blob();
        struct ar_spec ma[] = {{"note.txt", "hello\n", 6}, {"prog", elf.data, elf.size}};
        struct ar_spec mb[3] = {ma[0], ma[1], {"extra.txt", "x", 1}};
        size_t nb = 2, symbol_b = 1, size_a, size_b;
        _cleanup_free_ char *pa = ar_write("a.a", ma, 2, 1, &size_a);
        _cleanup_free_ char *pb = NULL;
        Elf64_Shdr *sh;
        switch (ar_cases[_i].c) {
        case AR_NONE:
        case AR_TRUNCATED:
        case AR_TRAILING:
                break;
        case AR_MEMBER_COMMENT:
                sh = section(&changed, ".comment");
                changed.data[sh->sh_offset] ^= 0x20;
                mb[1].data = changed.data;
                break;
        case AR_MEMBER_TEXT:
                sh = section(&changed, ".text");
                changed.data[sh->sh_offset] ^= 1;
                mb[1].data = changed.data;
                break;
        case AR_EXTRA_MEMBER:
                nb = 3;
                break;
        case AR_LONGER_TEXT:
                mb[0] = (struct ar_spec){"note.txt", "hello again\n", 12};
                break;
        case AR_SYMBOL_ELSEWHERE:
                symbol_b = 0;
                break;
        case AR_NOT_ARCHIVE:
                pb = tmp_write("b.a", elf.data, elf.size, 0644);
                break;
        }
        if (!pb)
                pb = ar_write("b.a", mb, nb, symbol_b, &size_b);
        if (ar_cases[_i].c == AR_TRUNCATED)
                ck_assert_int_eq(truncate(pb, (off_t)(size_b - 100)), 0);
        if (ar_cases[_i].c == AR_TRAILING) {
                FILE *f = fopen(pb, "ae");
                ck_assert_ptr_nonnull(f);
                fputs("x\n", f);
                fclose(f);
        }
        assert_elf_diffs(pa, pb, ar_cases[_i].normal, ar_cases[_i].strict, 0, size_a);
}
END_TEST

/* ---- suite ------------------------------------------------------------ */

static Suite *emulator_suite(void)
{
        Suite *s = suite_create("emulator");
        size_t n_arch;
        xh_arch_table(&n_arch);

        TCase *tc = tcase_create("arch");
        tcase_add_test(tc, test_arch_sorted_unique);
        tcase_add_loop_test(tc, test_arch_entry_consistent, 0, (int)n_arch);
        tcase_add_loop_test(tc, test_arch_lookup, 0, (int)XH_ARRAY_SIZE(arch_expect));
        tcase_add_test(tc, test_arch_unknown);
        tcase_add_test(tc, test_arch_host);
        tcase_add_test(tc, test_arch_host_bash);
        tcase_add_test(tc, test_arch_armel_armhf_share_magic);
        tcase_add_loop_test(tc, test_arch_matches_binfmt_d, 0, (int)n_arch);
        suite_add_tcase(s, tc);

        tc = tcase_create("binfmt");
        tcase_add_test(tc, test_rule_aarch64_literal);
        tcase_add_test(tc, test_rule_aarch64_binfmt_d);
        tcase_add_loop_test(tc, test_rule_format, 0, (int)n_arch);
        tcase_add_test(tc, test_rule_flags);
        tcase_add_test(tc, test_rule_invalid);
        suite_add_tcase(s, tc);

        tc = tcase_create("find");
        tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
        tcase_add_test(tc, test_find_absolute);
        tcase_add_test(tc, test_find_absolute_bad);
        tcase_add_test(tc, test_find_missing_name);
        tcase_add_test(tc, test_find_relative);
        tcase_add_test(tc, test_find_ignores_path);
        tcase_add_test(tc, test_find_bare_name);
        suite_add_tcase(s, tc);

        tc = tcase_create("elf");
        tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_elf_self);
        tcase_add_test(tc, test_elf_qemu_static);
        tcase_add_test(tc, test_elf_relocatable);
        tcase_add_loop_test(tc, test_elf_errors, 0, (int)XH_ARRAY_SIZE(elf_error_cases));
        tcase_add_test(tc, test_elf_aarch64);
        tcase_add_test(tc, test_machine_names);
        tcase_add_test(tc, test_describe);
        suite_add_tcase(s, tc);

        tc = tcase_create("compare");
        tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_loop_test(tc, test_elf_compare, 0, (int)XH_ARRAY_SIZE(elfcmp_cases));
        tcase_add_test(tc, test_elf_compare_unreadable);
        tcase_add_loop_test(tc, test_elf_byte_order, 0, (int)XH_ARRAY_SIZE(elf_orders));
        tcase_add_loop_test(tc, test_elf_compare_archive, 0, (int)XH_ARRAY_SIZE(ar_cases));
        suite_add_tcase(s, tc);

        tc = tcase_create("check");
        tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_check_static_qemu);
        tcase_add_test(tc, test_check_dynamic);
        tcase_add_test(tc, test_check_errors);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(emulator_suite());
        srunner_run_all(sr, CK_ENV);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
