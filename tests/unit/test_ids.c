/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for session/ids.c: the caller's range in /etc/subuid and
 * /etc/subgid as newuidmap finds it (by name, else by uid; malformed lines
 * skipped), a free range for the fix doctor prints, and the kernel settings
 * that stop user namespaces, read from a stand-in /proc/sys.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "session.h"

/* ---- subordinate ranges -------------------------------------------------- */

static const struct {
        const char *text;
        const char *user; /* NULL: the caller has no name */
        unsigned long uid;
        int found;
        unsigned long start, count;
} find_cases[] = {
        {"alice:100000:65536\n", "alice", 1000, 1, 100000, 65536},
        {"alice:100000:65536", "alice", 1000, 1, 100000, 65536}, /* no final newline */
        {"bob:100000:65536\nalice:165536:65536\n", "alice", 1000, 1, 165536, 65536},
        /* by uid in decimal, also for a caller with no name */
        {"1000:200000:1000\n", "alice", 1000, 1, 200000, 1000},
        {"1000:200000:1000\n", NULL, 1000, 1, 200000, 1000},
        /* the name wins over an earlier line of the uid, as in newuidmap */
        {"1000:200000:1000\nalice:300000:65536\n", "alice", 1000, 1, 300000, 65536},
        /* the first range of a user with two */
        {"alice:100000:10\nalice:500000:65536\n", "alice", 1000, 1, 100000, 10},
        /* none: another user, another uid, a prefix of the name */
        {"bob:100000:65536\n", "alice", 1000, 0, 0, 0},
        {"1001:100000:65536\n", "alice", 1000, 0, 0, 0},
        {"alic:100000:65536\nalice2:100000:65536\n", "alice", 1000, 0, 0, 0},
        {"", "alice", 1000, 0, 0, 0},
        /* malformed lines are skipped, the next good one is found */
        {"alice:100000\nalice:x:65536\nalice:100000:0\nalice:-5:10\nalice:1:2:3\n"
         ":1:2\nalice:100000:65536junk\nalice:700000:65536\n",
         "alice", 1000, 1, 700000, 65536},
        {"alice:4294967295:2\n", "alice", 1000, 0, 0, 0}, /* past the 32-bit ids */
        {"# alice:100000:65536\n", "alice", 1000, 0, 0, 0},
};

START_TEST(test_subid_find)
{
        struct xh_subid r = {0};
        int found = xh_subid_find(find_cases[_i].text, find_cases[_i].user, find_cases[_i].uid, &r);
        ck_assert_msg(found == find_cases[_i].found, "case %d ('%s'): found %d", _i,
                      find_cases[_i].text, found);
        if (found) {
                ck_assert_uint_eq(r.start, find_cases[_i].start);
                ck_assert_uint_eq(r.count, find_cases[_i].count);
        }
}
END_TEST

START_TEST(test_subid_free_start)
{
        ck_assert_uint_eq(xh_subid_free_start(""), 100000);
        ck_assert_uint_eq(xh_subid_free_start("a:100000:65536\n"), 165536);
        ck_assert_uint_eq(xh_subid_free_start("a:300000:65536\nb:100000:65536\n"), 365536);
        ck_assert_uint_eq(xh_subid_free_start("a:10:5\n"), 100000);
        ck_assert_uint_eq(xh_subid_free_start("a:bad:5\nb:100000:1\n"), 100001);
}
END_TEST

/* ---- kernel settings that stop user namespaces --------------------------- */

static char *sys_dir(void)
{
        char *d = xh_strdup("/tmp/xh-test-sys.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(d));
        _cleanup_free_ char *user = xh_asprintf("%s/user", d);
        _cleanup_free_ char *kernel = xh_asprintf("%s/kernel", d);
        ck_assert_int_eq(mkdir(user, 0755), 0);
        ck_assert_int_eq(mkdir(kernel, 0755), 0);
        return d;
}

static void set(const char *dir, const char *file, const char *value)
{
        _cleanup_free_ char *path = xh_asprintf("%s/%s", dir, file);
        ck_assert_int_eq(xh_write_file(path, value, strlen(value), 0644), 0);
}

START_TEST(test_userns_open)
{
        _cleanup_free_ char *d = sys_dir();
        struct xh_block *b = NULL;
        /* none of the settings: nothing blocks */
        ck_assert_int_eq(xh_userns_blocks(d, false, &b), 0);
        ck_assert_ptr_null(b[0].what);
        xh_blocks_free(b);
        set(d, "user/max_user_namespaces", "63704\n");
        set(d, "kernel/unprivileged_userns_clone", "1\n");
        set(d, "kernel/apparmor_restrict_unprivileged_userns", "0\n");
        ck_assert_int_eq(xh_userns_blocks(d, false, &b), 0);
        xh_blocks_free(b);
        xh_rm_rf(d);
}
END_TEST

START_TEST(test_userns_blocked)
{
        _cleanup_free_ char *d = sys_dir();
        struct xh_block *b = NULL;
        set(d, "user/max_user_namespaces", "0\n");
        set(d, "kernel/unprivileged_userns_clone", "0\n");
        set(d, "kernel/apparmor_restrict_unprivileged_userns", "1\n");
        ck_assert_int_eq(xh_userns_blocks(d, false, &b), 3);
        _cleanup_free_ char *max = xh_asprintf("%s/user/max_user_namespaces is 0", d);
        ck_assert_ptr_nonnull(strstr(b[0].what, max));
        ck_assert_ptr_nonnull(strstr(b[0].fix, "sysctl -w user.max_user_namespaces="));
        ck_assert_ptr_nonnull(strstr(b[1].what, "unprivileged_userns_clone is 0"));
        ck_assert_ptr_nonnull(strstr(b[1].fix, "sysctl -w kernel.unprivileged_userns_clone=1"));
        ck_assert_ptr_nonnull(strstr(b[2].what, "AppArmor"));
        ck_assert_ptr_nonnull(
                strstr(b[2].fix, "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0"));
        ck_assert_ptr_null(b[3].what);
        xh_blocks_free(b);
        /* root: only the limit on every user applies */
        ck_assert_int_eq(xh_userns_blocks(d, true, &b), 1);
        ck_assert_ptr_nonnull(strstr(b[0].what, "max_user_namespaces is 0"));
        xh_blocks_free(b);
        /* a limit of one: a session nests two */
        set(d, "user/max_user_namespaces", "1\n");
        ck_assert_int_eq(xh_userns_blocks(d, true, &b), 1);
        xh_blocks_free(b);
        set(d, "user/max_user_namespaces", "2\n");
        ck_assert_int_eq(xh_userns_blocks(d, true, &b), 0);
        xh_blocks_free(b);
        /* an unreadable value blocks nothing (the probes still run) */
        set(d, "user/max_user_namespaces", "junk\n");
        ck_assert_int_eq(xh_userns_blocks(d, true, &b), 0);
        xh_blocks_free(b);
        xh_rm_rf(d);
}
END_TEST

static Suite *ids_suite(void)
{
        Suite *s = suite_create("ids");
        TCase *tc = tcase_create("subid");
        tcase_add_loop_test(tc, test_subid_find, 0, (int)XH_ARRAY_SIZE(find_cases));
        tcase_add_test(tc, test_subid_free_start);
        suite_add_tcase(s, tc);

        tc = tcase_create("userns");
        tcase_add_test(tc, test_userns_open);
        tcase_add_test(tc, test_userns_blocked);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(ids_suite());
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
