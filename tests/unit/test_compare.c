/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the comparison of two build trees (bench/compare.c) on
 * trees made in a temporary directory: each way two builds can differ is a
 * difference (generated text files, symbolic link targets, modes, types,
 * truncated ELF files, unreadable entries), the documented exceptions are
 * ignored by default and reported by the strict comparison, and `xhybrid
 * compare` exits 0, 1 or 2 for identical trees, differences and arguments
 * that are not two directories.
 */
#include <check.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "bench.h"

/* ---- helpers ----------------------------------------------------------- */

static char *tmpdir, *root_a, *root_b;

static void tmpdir_setup(void)
{
        char tmpl[] = "/tmp/xh-test-compare-XXXXXX";
        ck_assert_ptr_nonnull(mkdtemp(tmpl));
        tmpdir = xh_strdup(tmpl);
        root_a = xh_asprintf("%s/a", tmpdir);
        root_b = xh_asprintf("%s/b", tmpdir);
        ck_assert_int_eq(mkdir(root_a, 0755), 0);
        ck_assert_int_eq(mkdir(root_b, 0755), 0);
}

static void tmpdir_teardown(void)
{
        if (tmpdir) {
                /* Entries a test made unreadable. */
                _cleanup_free_ char *cmd = xh_asprintf("chmod -R u+rwx '%s'", tmpdir);
                ck_assert_int_eq(system(cmd), 0);
                xh_rm_rf(tmpdir);
        }
        free(tmpdir);
        free(root_a);
        free(root_b);
        tmpdir = root_a = root_b = NULL;
}

/* Write root/rel (parents made) with mode; returns nothing, asserts. */
static void put(const char *root, const char *rel, const void *data, size_t len, unsigned mode)
{
        _cleanup_free_ char *path = xh_asprintf("%s/%s", root, rel);
        _cleanup_free_ char *dir = xh_strdup(path);
        *strrchr(dir, '/') = '\0';
        ck_assert_int_eq(xh_mkdir_p(dir, 0755), 0);
        ck_assert_int_eq(xh_write_file(path, data, len, mode), 0);
        ck_assert_int_eq(chmod(path, mode), 0);
}

static void put_text(const char *root, const char *rel, const char *text)
{
        put(root, rel, text, strlen(text), 0644);
}

/* The same file in both trees. */
static void put_both(const char *rel, const char *text)
{
        put_text(root_a, rel, text);
        put_text(root_b, rel, text);
}

static void symlink_at(const char *root, const char *rel, const char *target)
{
        _cleanup_free_ char *path = xh_asprintf("%s/%s", root, rel);
        ck_assert_int_eq(symlink(target, path), 0);
}

static void chmod_at(const char *root, const char *rel, unsigned mode)
{
        _cleanup_free_ char *path = xh_asprintf("%s/%s", root, rel);
        ck_assert_int_eq(chmod(path, mode), 0);
}

/* This test program: an ELF file with a .comment section. */
static char *self(size_t *size)
{
        char *data = NULL;
        ck_assert_int_eq(xh_read_file("/proc/self/exe", &data, size), 0);
        return data;
}

/* The contents of this program's .comment section, in data. */
static char *comment_of(char *data, size_t size)
{
        const Elf64_Ehdr *eh = (const Elf64_Ehdr *)data;
        ck_assert_msg(size > sizeof(*eh) && data[EI_CLASS] == ELFCLASS64, "not an ELF64 file");
        const Elf64_Shdr *sh = (const Elf64_Shdr *)(data + eh->e_shoff);
        const char *names = data + sh[eh->e_shstrndx].sh_offset;
        for (size_t i = 1; i < eh->e_shnum; i++)
                if (strcmp(names + sh[i].sh_name, ".comment") == 0)
                        return data + sh[i].sh_offset;
        ck_abort_msg("this test program has no .comment");
        return NULL;
}

/* s with @A, @B (the trees) and @T (the temporary directory) replaced. */
static char *expand(const char *s)
{
        xh_buf out = {0};
        xh_buf_add(&out, "");
        for (; *s; s++) {
                const char *v = NULL;
                if (s[0] == '@')
                        v = s[1] == 'A'   ? root_a
                            : s[1] == 'B' ? root_b
                            : s[1] == 'T' ? tmpdir
                                          : NULL;
                if (v) {
                        xh_buf_add(&out, v);
                        s++;
                } else {
                        xh_buf_addn(&out, s, 1);
                }
        }
        return xh_buf_steal(&out);
}

/* ---- the trees --------------------------------------------------------- */

enum tree {
        T_SAME,          /* every kind of entry, the same in both */
        T_GENERATED,     /* buildinfo.h with make's $(MAKE_HOST) */
        T_PC_FILE,       /* a .pc file with other contents, same size */
        T_SYMLINK,       /* libfoo.so -> libfoo.so.1 vs libfoo.so.2 */
        T_MODE,          /* 0755 vs 0644 */
        T_TYPE,          /* a file against a directory, a link and a FIFO */
        T_ONLY_IN,       /* entries in one tree only */
        T_ELF_TRUNCATED, /* 3000 against 2000 bytes of the same program */
        T_ELF_COMMENT,   /* a program whose .comment differs */
        T_ELF_TEXT_FILE, /* a program against a text file */
        T_CONFIG_LOG,    /* config.log naming other temporary files */
        T_CONFIG_STATUS, /* config.status with one more substitution */
        T_BINARY,        /* a non-ELF binary file */
};

static void build(enum tree t)
{
        size_t n;
        _cleanup_free_ char *elf = NULL;
        switch (t) {
        case T_SAME:
                put_both("config.h", "#define HAVE_STDIO_H 1\n");
                put_both("config.status", "S[\"CC\"]=\"gcc\"\n");
                put_both("config.log", "configure:100: gcc conftest.c\n");
                put_both("src/main.c", "int main(void) { return 0; }\n");
                put_both("lib/libfoo.so.1", "");
                symlink_at(root_a, "lib/libfoo.so", "libfoo.so.1");
                symlink_at(root_b, "lib/libfoo.so", "libfoo.so.1");
                symlink_at(root_a, "loop", "loop");
                symlink_at(root_b, "loop", "loop");
                elf = self(&n);
                put(root_a, "src/prog", elf, n, 0755);
                put(root_b, "src/prog", elf, n, 0755);
                for (int k = 0; k < 2; k++) {
                        _cleanup_free_ char *fifo = xh_asprintf("%s/fifo", k ? root_b : root_a);
                        ck_assert_int_eq(mkfifo(fifo, 0644), 0);
                        _cleanup_free_ char *empty = xh_asprintf("%s/empty", k ? root_b : root_a);
                        ck_assert_int_eq(mkdir(empty, 0755), 0);
                }
                break;
        case T_GENERATED:
                put_text(root_a, "src/buildinfo.h",
                         "/* generated by make */\n#define BUILD_HOST "
                         "\"aarch64-unknown-linux-gnu\"\n");
                put_text(root_b, "src/buildinfo.h",
                         "/* generated by make */\n#define BUILD_HOST \"x86_64-pc-linux-gnu\"\n");
                break;
        case T_PC_FILE:
                put_text(root_a, "foo.pc", "prefix=/usr\nLibs: -lfoo\n");
                put_text(root_b, "foo.pc", "prefix=/usr\nLibs: -lbar\n");
                break;
        case T_SYMLINK:
                put_both("libfoo.so.1", "1");
                put_both("libfoo.so.2", "2");
                symlink_at(root_a, "libfoo.so", "libfoo.so.1");
                symlink_at(root_b, "libfoo.so", "libfoo.so.2");
                break;
        case T_MODE:
                put(root_a, "script", "#!/bin/sh\n", 10, 0755);
                put(root_b, "script", "#!/bin/sh\n", 10, 0644);
                put(root_a, "dir/x", "", 0, 0644);
                put(root_b, "dir/x", "", 0, 0644);
                chmod_at(root_b, "dir", 0700);
                break;
        case T_TYPE: {
                put_text(root_a, "a", "x");
                put_text(root_b, "a/x", "x");
                put_text(root_a, "b", "x");
                symlink_at(root_b, "b", "a");
                put_text(root_a, "c", "x");
                _cleanup_free_ char *fifo = xh_asprintf("%s/c", root_b);
                ck_assert_int_eq(mkfifo(fifo, 0644), 0);
                break;
        }
        case T_ONLY_IN:
                put_both("common", "x");
                put_text(root_a, "gone.o", "x");
                put_text(root_b, "new/deep/file", "x");
                break;
        case T_ELF_TRUNCATED:
                elf = self(&n);
                ck_assert_uint_gt(n, 3000);
                put(root_a, "prog", elf, 3000, 0755);
                put(root_b, "prog", elf, 2000, 0755);
                break;
        case T_ELF_COMMENT: {
                elf = self(&n);
                put(root_a, "prog", elf, n, 0755);
                comment_of(elf, n)[0] ^= 0x20;
                put(root_b, "prog", elf, n, 0755);
                break;
        }
        case T_ELF_TEXT_FILE:
                elf = self(&n);
                put(root_a, "prog", elf, n, 0755);
                put(root_b, "prog", "#!/bin/sh\n", 10, 0755);
                break;
        case T_CONFIG_LOG:
                put_text(root_a, "config.log",
                         "configure:100: gcc conftest.c\n"
                         "/usr/bin/ld: /tmp/ccAbCdEf.o: undefined reference to `foo'\n");
                put_text(root_b, "config.log",
                         "configure:100: gcc conftest.c\n"
                         "/usr/bin/ld: /tmp/ccXyZ123.o: undefined reference to `foo'\n");
                break;
        case T_CONFIG_STATUS: {
                const char *text = "#! /bin/bash\n# Generated by configure.\nS[\"CC\"]=\"gcc\"\n"
                                   "S[\"host\"]=\"aarch64-unknown-linux-gnu\"\n";
                _cleanup_free_ char *more = xh_asprintf("%sS[\"EXTRA\"]=\"1\"\n", text);
                put_text(root_a, "config.status", text);
                put_text(root_b, "config.status", more);
                break;
        }
        case T_BINARY:
                put(root_a, "data.bin", "\0\1\2\3", 4, 0644);
                put(root_b, "data.bin", "\0\1\2\4", 4, 0644);
                break;
        }
}

/* The differences, joined with "|", in the default and the strict comparison. */
static const struct {
        enum tree t;
        const char *normal, *strict;
} tree_cases[] = {
        {T_SAME, "", ""},
        {T_GENERATED, "src/buildinfo.h: contents differ from byte 45 (line 2; 71 vs 65 bytes)",
         "src/buildinfo.h: contents differ from byte 45 (line 2; 71 vs 65 bytes)"},
        {T_PC_FILE, "foo.pc: contents differ from byte 21 (line 2)",
         "foo.pc: contents differ from byte 21 (line 2)"},
        {T_SYMLINK, "libfoo.so: symbolic link target differs (libfoo.so.1 vs libfoo.so.2)",
         "libfoo.so: symbolic link target differs (libfoo.so.1 vs libfoo.so.2)"},
        {T_MODE, "dir: mode differs (0755 vs 0700)|script: mode differs (0755 vs 0644)",
         "dir: mode differs (0755 vs 0700)|script: mode differs (0755 vs 0644)"},
        {T_TYPE,
         "a: type differs (regular file vs directory)|b: type differs (regular file vs symbolic "
         "link)|c: type differs (regular file vs FIFO)",
         "a: type differs (regular file vs directory)|b: type differs (regular file vs symbolic "
         "link)|c: type differs (regular file vs FIFO)"},
        {T_ONLY_IN, "gone.o: only in @A|new: only in @B", "gone.o: only in @A|new: only in @B"},
        {T_ELF_TRUNCATED,
         "prog: @A/prog: truncated ELF file: section headers past end of file|"
         "prog: @B/prog: truncated ELF file: section headers past end of file",
         "prog: @A/prog: truncated ELF file: section headers past end of file|"
         "prog: @B/prog: truncated ELF file: section headers past end of file"},
        {T_ELF_COMMENT, "", "prog: .comment differs"},
        {T_ELF_TEXT_FILE, "prog: contents differ (an ELF file or archive in @A only)",
         "prog: contents differ (an ELF file or archive in @A only)"},
        {T_CONFIG_LOG, "", "config.log: contents differ from byte 51 (line 2)"},
        {T_CONFIG_STATUS, "config.status: contents differ from byte 92 (line 5; 91 vs 106 bytes)",
         "config.status: contents differ from byte 92 (line 5; 91 vs 106 bytes)"},
        {T_BINARY, "data.bin: contents differ from byte 4 (line 1)",
         "data.bin: contents differ from byte 4 (line 1)"},
};

START_TEST(test_trees)
{
        build(tree_cases[_i].t);
        for (int strict = 0; strict < 2; strict++) {
                struct xh_compare c;
                xh_error err = {0};
                ck_assert_int_eq(xh_compare_trees(root_a, root_b, strict, &c, &err), 0);
                ck_assert_ptr_null(err.msg);
                _cleanup_free_ char *got = xh_strv_join(c.differences, "|");
                _cleanup_free_ char *want =
                        expand(strict ? tree_cases[_i].strict : tree_cases[_i].normal);
                ck_assert_msg(strcmp(got, want) == 0, "%s comparison: got '%s', want '%s'",
                              strict ? "strict" : "default", got, want);
                ck_assert(c.strict == (bool)strict);
                xh_compare_clear(&c);
        }
}
END_TEST

/* What the comparison counted and what it left out, and the line that says so. */
START_TEST(test_counts_and_summary)
{
        build(T_SAME);
        struct xh_compare c;
        ck_assert_int_eq(xh_compare_trees(root_a, root_b, false, &c, NULL), 0);
        ck_assert_uint_eq(c.files, 6);
        ck_assert_uint_eq(c.dirs, 3);
        ck_assert_uint_eq(c.symlinks, 2);
        ck_assert_uint_eq(c.others, 1);
        ck_assert_uint_eq(c.elf_files, 1);
        ck_assert_uint_eq(c.config_headers, 1);
        ck_assert_uint_eq(c.config_status, 1);
        _cleanup_free_ char *skipped = xh_strv_join(c.not_compared, "|");
        ck_assert_str_eq(skipped, "config.log");
        _cleanup_free_ char *summary = xh_compare_summary(&c);
        ck_assert_str_eq(summary,
                         "6 files, 3 directories, 2 symbolic links, 1 other file; 1 ELF files and "
                         "archives compared section by section (ignoring .comment and "
                         ".note.gnu.build-id), 1 config.h, 1 config.status; contents of 1 "
                         "config.log not compared");
        xh_compare_clear(&c);

        ck_assert_int_eq(xh_compare_trees(root_a, root_b, true, &c, NULL), 0);
        ck_assert_uint_eq(xh_strv_len(c.not_compared), 0);
        _cleanup_free_ char *strict = xh_compare_summary(&c);
        ck_assert_str_eq(strict, "6 files, 3 directories, 2 symbolic links, 1 other file; 1 ELF "
                                 "files and archives compared section by section (ignoring "
                                 "nothing), 1 config.h, 1 config.status");
        xh_compare_clear(&c);

        ck_assert_ptr_null(xh_compare_ignored_sections(true)[0]);
        _cleanup_free_ char *ignored = xh_strv_join(xh_compare_ignored_sections(false), " ");
        ck_assert_str_eq(ignored, ".comment .note.gnu.build-id");
}
END_TEST

/*
 * Unreadable entries, compared by a process that cannot read them: as root,
 * a child that becomes nobody. The differences come back through a pipe.
 */
START_TEST(test_unreadable)
{
        put_both("secret", "x");
        put_both("private/file", "x");
        put_both("readable", "x");
        chmod_at(root_a, "secret", 0);
        chmod_at(root_b, "secret", 0);
        chmod_at(root_b, "private", 0);
        ck_assert_int_eq(chmod(tmpdir, 0755), 0);

        int fds[2];
        ck_assert_int_eq(pipe(fds), 0);
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                close(fds[0]);
                if (geteuid() == 0 &&
                    (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0))
                        _exit(3);
                struct xh_compare c;
                if (xh_compare_trees(root_a, root_b, false, &c, NULL) < 0)
                        _exit(4);
                _cleanup_free_ char *joined = xh_strv_join(c.differences, "|");
                _exit(write(fds[1], joined, strlen(joined)) == (ssize_t)strlen(joined) ? 0 : 5);
        }
        close(fds[1]);
        char got[4096];
        ssize_t n = read(fds[0], got, sizeof(got) - 1);
        close(fds[0]);
        int status;
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
        ck_assert_int_ge(n, 0);
        got[n] = '\0';
        _cleanup_free_ char *want = expand("private: mode differs (0755 vs 0000)|"
                                           "private: unreadable in @B (Permission denied)|"
                                           "secret: unreadable in @A (Permission denied)|"
                                           "secret: unreadable in @B (Permission denied)");
        ck_assert_str_eq(got, want);
}
END_TEST

/* Roots that are not two directories are errors naming the path. */
START_TEST(test_bad_roots)
{
        put_text(tmpdir, "text.file", "x\n");
        symlink_at(tmpdir, "loop", "loop");
        symlink_at(tmpdir, "dirlink", "a");
        static const struct {
                const char *a, *b;
                int r;
                const char *msg;
        } cases[] = {
                {"@T/text.file", "@B", -ENOTDIR, "@T/text.file: not a directory"},
                {"@A", "@T/text.file", -ENOTDIR, "@T/text.file: not a directory"},
                {"@T/missing", "@B", -ENOENT, "@T/missing: No such file or directory"},
                {"@T/loop", "@B", -ELOOP, "@T/loop: Too many levels of symbolic links"},
        };
        for (size_t i = 0; i < XH_ARRAY_SIZE(cases); i++) {
                _cleanup_free_ char *a = expand(cases[i].a);
                _cleanup_free_ char *b = expand(cases[i].b);
                _cleanup_free_ char *msg = expand(cases[i].msg);
                struct xh_compare c;
                xh_error err = {0};
                ck_assert_int_eq(xh_compare_trees(a, b, false, &c, &err), cases[i].r);
                ck_assert_str_eq(err.msg, msg);
                xh_error_clear(&err);
        }
        /* A root given as a link to a directory is that directory. */
        _cleanup_free_ char *link = expand("@T/dirlink");
        struct xh_compare c;
        ck_assert_int_eq(xh_compare_trees(link, root_b, false, &c, NULL), 0);
        ck_assert_uint_eq(xh_strv_len(c.differences), 0);
        xh_compare_clear(&c);
}
END_TEST

/* ---- xhybrid compare: output and exit status --------------------------- */

/* Run the built xhybrid with args (placeholders expanded); its status, stdout and stderr. */
static int run_xhybrid(const char *const *args, char **out, char **err)
{
        const char *bin = getenv("XH_BINARY_DIR");
        ck_assert_msg(bin != NULL, "XH_BINARY_DIR is not set (run the tests with ctest)");
        _cleanup_free_ char *exe = xh_asprintf("%s/bin/xhybrid", bin);
        _cleanup_free_ char *out_path = xh_asprintf("%s/stdout", tmpdir);
        _cleanup_free_ char *err_path = xh_asprintf("%s/stderr", tmpdir);
        char *argv[8] = {exe};
        size_t n = 1;
        for (; args[n - 1] && n < XH_ARRAY_SIZE(argv) - 1; n++)
                argv[n] = expand(args[n - 1]);
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                int o = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
                int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
                if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
                        _exit(126);
                execv(exe, argv);
                _exit(127);
        }
        int status;
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        for (size_t i = 1; i < n; i++)
                free(argv[i]);
        ck_assert_int_eq(xh_read_file(out_path, out, NULL), 0);
        ck_assert_int_eq(xh_read_file(err_path, err, NULL), 0);
        unlink(out_path);
        unlink(err_path);
        ck_assert_msg(WIFEXITED(status), "xhybrid died: status %d", status);
        return WEXITSTATUS(status);
}

static const struct {
        enum tree t;
        const char *args[5];
        int status;
        const char *out; /* a line of stdout, or NULL */
        const char *err; /* the start of stderr, or NULL for none */
} cli_cases[] = {
        {T_SAME, {"compare", "@A", "@B"}, 0, "IDENTICAL: 6 files, 3 directories", NULL},
        {T_SAME, {"compare", "--strict", "@A", "@B"}, 0, "(ignoring nothing)", NULL},
        {T_GENERATED,
         {"compare", "@A", "@B"},
         1,
         "DIFF src/buildinfo.h: contents differ from byte 45 (line 2; 71 vs 65 bytes)\n",
         NULL},
        {T_SYMLINK, {"compare", "@A", "@B"}, 1, "DIFFERENT: ", NULL},
        {T_MODE, {"compare", "@A", "@B"}, 1, "DIFF script: mode differs (0755 vs 0644)\n", NULL},
        {T_ELF_TRUNCATED, {"compare", "@A", "@B"}, 1, "; 2 differences\n", NULL},
        {T_ELF_COMMENT, {"compare", "@A", "@B"}, 0, "IDENTICAL: ", NULL},
        {T_ELF_COMMENT,
         {"compare", "--strict", "@A", "@B"},
         1,
         "DIFF prog: .comment differs\n",
         NULL},
        {T_CONFIG_LOG, {"compare", "@A", "@B"}, 0, "contents of 1 config.log not compared", NULL},
        {T_CONFIG_LOG, {"compare", "--strict", "@A", "@B"}, 1, "DIFF config.log: ", NULL},
        {T_SAME,
         {"compare", "@A/config.h", "@B"},
         2,
         NULL,
         "xhybrid: compare: @A/config.h: not a directory\n"
         "xhybrid: hint: compare takes two directories: xhybrid compare [--strict] DIR_A DIR_B\n"},
        {T_SAME,
         {"compare", "@A", "@T/missing"},
         2,
         NULL,
         "xhybrid: compare: @T/missing: No such file or directory\n"
         "xhybrid: hint: compare takes two directories: xhybrid compare [--strict] DIR_A DIR_B\n"},
        {T_SAME,
         {"compare", "@A/loop", "@B"},
         2,
         NULL,
         "xhybrid: compare: @A/loop: Too many levels of symbolic links\n"
         "xhybrid: hint: compare takes two directories: xhybrid compare [--strict] DIR_A DIR_B\n"},
        {T_SAME,
         {"compare", "@A"},
         2,
         NULL,
         "xhybrid: compare: expected two directories\nusage: xhybrid"},
        {T_SAME,
         {"compare", "@A", "@B", "@B"},
         2,
         NULL,
         "xhybrid: compare: expected two directories\nusage: xhybrid"},
        {T_SAME,
         {"bench", "--strict", "p", "s"},
         2,
         NULL,
         "xhybrid: bench: unknown option '--strict'\nusage: xhybrid"},
};

START_TEST(test_cli)
{
        build(cli_cases[_i].t);
        _cleanup_free_ char *out = NULL;
        _cleanup_free_ char *err = NULL;
        int status = run_xhybrid(cli_cases[_i].args, &out, &err);
        ck_assert_msg(status == cli_cases[_i].status,
                      "exit status %d, want %d; stdout: %s; stderr: %s", status,
                      cli_cases[_i].status, out, err);
        if (cli_cases[_i].out) {
                _cleanup_free_ char *want = expand(cli_cases[_i].out);
                ck_assert_msg(strstr(out, want), "stdout lacks '%s': %s", want, out);
        }
        if (cli_cases[_i].err) {
                _cleanup_free_ char *want = expand(cli_cases[_i].err);
                ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "stderr: '%s', want '%s'", err,
                              want);
                ck_assert_str_eq(out, "");
        } else {
                ck_assert_str_eq(err, "");
        }
}
END_TEST

/* ---- suite ------------------------------------------------------------ */

static Suite *compare_suite(void)
{
        Suite *s = suite_create("compare");
        TCase *tc = tcase_create("trees");
        tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_loop_test(tc, test_trees, 0, (int)XH_ARRAY_SIZE(tree_cases));
        tcase_add_test(tc, test_counts_and_summary);
        tcase_add_test(tc, test_unreadable);
        tcase_add_test(tc, test_bad_roots);
        suite_add_tcase(s, tc);

        tc = tcase_create("cli");
        tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_loop_test(tc, test_cli, 0, (int)XH_ARRAY_SIZE(cli_cases));
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(compare_suite());
        srunner_run_all(sr, CK_ENV);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
