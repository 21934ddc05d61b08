/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for session/cache.c, the compile cache: where a profile's cache
 * lies, the compiler files that key it, the configuration a session writes,
 * and ccache's counters read and grouped.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "session.h"
#include "xh-paths.h"
#include "xh-test.h"

static struct xh_profile *profile(const char *text)
{
        struct xh_profile *p = NULL;
        xh_error err = {0};
        int r = xh_profile_parse("cc", "test", text, &p, &err);
        ck_assert_msg(r == 0, "profile: %s", err.msg ? err.msg : "?");
        return p;
}

#define TARGET "[target]\nsuite = trixie\narch = arm64\n"

START_TEST(test_path)
{
        _cleanup_profile_ struct xh_profile *p = profile(TARGET "[session]\ncache = yes\n");
        _cleanup_free_ char *d = xh_cache_path("/st", p);
        ck_assert_str_eq(d, "/st/cache/cc/ccache");
        _cleanup_profile_ struct xh_profile *q = profile(TARGET "[session]\ncache = /srv/cc\n");
        _cleanup_free_ char *e = xh_cache_path("/st", q);
        ck_assert_str_eq(e, "/srv/cc");
        /* Without the key too: --cache uses the store's directory. */
        _cleanup_profile_ struct xh_profile *r = profile(TARGET);
        _cleanup_free_ char *f = xh_cache_path("/st", r);
        ck_assert_str_eq(f, "/st/cache/cc/ccache");
}
END_TEST

static void touch(const char *dir, const char *rel)
{
        _cleanup_free_ char *path = xh_asprintf("%s/%s", dir, rel);
        _cleanup_free_ char *parent = xh_strdup(path);
        *strrchr(parent, '/') = '\0';
        ck_assert_int_eq(xh_mkdir_p(parent, 0755), 0);
        ck_assert_int_eq(xh_write_file(path, "x", 1, 0755), 0);
}

/* cc1 and cc1plus where Debian keeps them (both layouts), the assembler through its link, status.
 */
START_TEST(test_compiler_files)
{
        char dir[] = "/tmp/xh-test-cache.XXXXXX";
        ck_assert_ptr_nonnull(mkdtemp(dir));
        touch(dir, "usr/libexec/gcc-cross/aarch64-linux-gnu/14/cc1");
        touch(dir, "usr/libexec/gcc-cross/aarch64-linux-gnu/14/cc1plus");
        touch(dir, "usr/libexec/gcc-cross/aarch64-linux-gnu/14/lto1");
        touch(dir, "usr/lib/gcc-cross/aarch64-linux-gnu/12/cc1");
        touch(dir, "usr/bin/aarch64-linux-gnu-as.real");
        touch(dir, "var/lib/dpkg/status");
        _cleanup_free_ char *as = xh_asprintf("%s/usr/bin/aarch64-linux-gnu-as", dir);
        ck_assert_int_eq(symlink("/usr/bin/aarch64-linux-gnu-as.real", as), 0);
        _cleanup_strv_ char **files = xh_cache_compiler_files(dir, "aarch64-linux-gnu");
        _cleanup_free_ char *got = xh_strv_join(files, "\n");
        ck_assert_str_eq(got, XH_TOOLCHAIN_DIR
                         "/usr/bin/aarch64-linux-gnu-as.real\n" XH_TOOLCHAIN_DIR
                         "/usr/lib/gcc-cross/aarch64-linux-gnu/12/cc1\n" XH_TOOLCHAIN_DIR
                         "/usr/libexec/gcc-cross/aarch64-linux-gnu/14/cc1\n" XH_TOOLCHAIN_DIR
                         "/usr/libexec/gcc-cross/aarch64-linux-gnu/14/cc1plus\n" XH_TOOLCHAIN_DIR
                         "/var/lib/dpkg/status");
        /* Another triplet's compiler is not this one's; nothing there is no file. */
        _cleanup_strv_ char **other = xh_cache_compiler_files(dir, "riscv64-linux-gnu");
        ck_assert_uint_eq(xh_strv_len(other), 1);
        ck_assert_str_eq(other[0], XH_TOOLCHAIN_DIR "/var/lib/dpkg/status");
        xh_rm_rf(dir);
}
END_TEST

static bool has_line(const char *text, const char *line)
{
        _cleanup_strv_ char **lines = xh_strv_split(text, "\n");
        return xh_strv_contains(lines, line);
}

/* What keys a result: content, the preprocessed source, no path rewriting, no sloppiness. */
START_TEST(test_config)
{
        static const char *const files[] = {"/.xhybrid/toolchain/a", "/.xhybrid/toolchain/b", NULL};
        _cleanup_free_ char *c = xh_cache_config((char *const *)files, NULL);
        static const char *const want[] = {
                "cache_dir = " XH_CCACHE_DIR,
                "temporary_dir = " XH_CCACHE_TMP,
                "compiler_check = content",
                "compiler_type = gcc",
                "extra_files_to_hash = /.xhybrid/toolchain/a:/.xhybrid/toolchain/b",
                "direct_mode = false",
                "depend_mode = false",
                "run_second_cpp = true",
                "hash_dir = true",
                "base_dir =",
                "sloppiness =",
                "hard_link = false",
                "remote_storage =",
                "read_only = false",
                "recache = false",
        };
        for (size_t i = 0; i < XH_ARRAY_SIZE(want); i++)
                ck_assert_msg(has_line(c, want[i]), "config lacks '%s':\n%s", want[i], c);
        /* Every line is a comment or "key = value": ccache refuses anything else. */
        _cleanup_strv_ char **lines = xh_strv_split(c, "\n");
        for (char **l = lines; *l; l++)
                ck_assert_msg(**l == '#' || strstr(*l, " = ") || (*l)[strlen(*l) - 1] == '=',
                              "line '%s'", *l);
}
END_TEST

/* ccache 4.11's --print-stats, abridged, after a build, a rebuild and links. */
#define PRINT_STATS                                                                                \
        "autoconf_test\t2\n"                                                                       \
        "bad_compiler_arguments\t0\n"                                                              \
        "cache_miss\t7\n"                                                                          \
        "cache_size_kibibyte\t1536\n"                                                              \
        "called_for_link\t4\n"                                                                     \
        "called_for_preprocessing\t3\n"                                                            \
        "compile_failed\t1\n"                                                                      \
        "direct_cache_hit\t0\n"                                                                    \
        "direct_cache_miss\t0\n"                                                                   \
        "files_in_cache\t14\n"                                                                     \
        "local_storage_hit\t9\n"                                                                   \
        "max_cache_size_kibibyte\t5242880\n"                                                       \
        "no_input_file\t5\n"                                                                       \
        "preprocessed_cache_hit\t9\n"                                                              \
        "preprocessor_error\t2\n"                                                                  \
        "stats_updated_timestamp\t1764546000\n"                                                    \
        "unsupported_compiler_option\t1\n"

START_TEST(test_stats_parse)
{
        struct xh_cache_stats s = {0};
        ck_assert_int_eq(xh_cache_stats_parse(PRINT_STATS, &s), 0);
        ck_assert_uint_eq(s.hits, 9);
        ck_assert_uint_eq(s.misses, 7);
        ck_assert_uint_eq(s.links, 4);
        ck_assert_uint_eq(s.preprocess, 3);
        ck_assert_uint_eq(s.failed, 3);
        ck_assert_uint_eq(s.other, 8);
        ck_assert_uint_eq(s.files, 14);
        ck_assert_uint_eq(s.size_kib, 1536);
        ck_assert_uint_eq(s.max_kib, 5242880);
}
END_TEST

/* Unknown counters, other lines and bad numbers are ignored; no cache_miss is no answer. */
START_TEST(test_stats_parse_bad)
{
        struct xh_cache_stats s = {0};
        ck_assert_int_eq(xh_cache_stats_parse("", &s), -EINVAL);
        ck_assert_int_eq(xh_cache_stats_parse("Summary:\n  Hits: 3\n", &s), -EINVAL);
        ck_assert_int_eq(xh_cache_stats_parse("cache_miss\tx\n", &s), -EINVAL);
        ck_assert_int_eq(xh_cache_stats_parse("cache_miss\t-1\n", &s), -EINVAL);
        ck_assert_int_eq(xh_cache_stats_parse("cache_miss 3\n", &s), -EINVAL);
        s = (struct xh_cache_stats){0};
        ck_assert_int_eq(xh_cache_stats_parse("new_counter\t5\ncache_miss\t2\ncache_miss_x\t9\n"
                                              "direct_cache_hit\t99999999999999999999\n"
                                              "preprocessed_cache_hit\t4",
                                              &s),
                         0);
        ck_assert_uint_eq(s.misses, 2);
        ck_assert_uint_eq(s.hits, 4);
        ck_assert_uint_eq(s.other, 0);
}
END_TEST

/* A cache no session has made: all zero, no ccache needed, and clearing it does nothing. */
START_TEST(test_stats_missing)
{
        char store[] = "/tmp/xh-test-store.XXXXXX";
        ck_assert_ptr_nonnull(mkdtemp(store));
        _cleanup_profile_ struct xh_profile *p = profile(TARGET);
        struct xh_cache_stats s;
        xh_error err = {0};
        ck_assert_int_eq(xh_cache_stats(store, p, NULL, &s, &err), 0);
        ck_assert(!s.exists);
        ck_assert_uint_eq(s.hits + s.misses + s.files, 0);
        _cleanup_free_ char *want = xh_asprintf("%s/cache/cc/ccache", store);
        ck_assert_str_eq(s.dir, want);
        xh_cache_stats_clear(&s);
        ck_assert_int_eq(xh_cache_clear(store, p, &s, &err), 0);
        ck_assert(!s.exists);
        xh_cache_stats_clear(&s);
        /* A file where the cache should be is an error naming it. */
        _cleanup_free_ char *parent = xh_asprintf("%s/cache/cc", store);
        ck_assert_int_eq(xh_mkdir_p(parent, 0755), 0);
        ck_assert_int_eq(xh_write_file(want, "", 0, 0644), 0);
        ck_assert_int_eq(xh_cache_stats(store, p, NULL, &s, &err), -ENOTDIR);
        ck_assert_msg(strstr(err.msg, want) != NULL, "message: %s", err.msg);
        xh_error_clear(&err);
        /* A cache but no toolchain layer: the error says to create it. */
        unlink(want);
        ck_assert_int_eq(xh_mkdir_p(want, 0755), 0);
        ck_assert_int_eq(xh_cache_stats(store, p, NULL, &s, &err), -ENOENT);
        ck_assert_msg(strstr(err.msg, "no toolchain layer") != NULL, "message: %s", err.msg);
        ck_assert_msg(err.hint && strstr(err.hint, "xhybrid create cc"), "hint: %s", err.hint);
        xh_error_clear(&err);
        xh_rm_rf(store);
}
END_TEST

static Suite *cache_suite(void)
{
        Suite *s = suite_create("cache");
        TCase *tc = tcase_create("cache");
        tcase_add_test(tc, test_path);
        tcase_add_test(tc, test_compiler_files);
        tcase_add_test(tc, test_config);
        tcase_add_test(tc, test_stats_parse);
        tcase_add_test(tc, test_stats_parse_bad);
        tcase_add_test(tc, test_stats_missing);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(cache_suite());
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
