/* SPDX-License-Identifier: MIT */
/*
 * Distributed compiles (session/distcc.c): the helper list, --listen and
 * --allow parsed into what distcc and distccd read, with one message for
 * each bad value; the compiler's identity by content.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "session.h"
#include "xh-test.h"

static const struct {
        const char *list;
        const char *hosts;
} good_hosts[] = {
        {"10.0.0.2", "--randomize 10.0.0.2:3632"},
        {"10.0.0.2,10.0.0.3:4000/2", "--randomize 10.0.0.2:3632 10.0.0.3:4000/2"},
        {"helper-1.example.org/8", "--randomize helper-1.example.org:3632/8"},
        {"a:1,b:65535/1000", "--randomize a:1 b:65535/1000"},
};

START_TEST(test_hosts_good)
{
        _cleanup_free_ char *out = NULL;
        xh_error err = {0};
        ck_assert_int_eq(xh_distcc_hosts("--distribute", good_hosts[_i].list, &out, &err), 0);
        ck_assert_str_eq(out, good_hosts[_i].hosts);
}
END_TEST

static const struct {
        const char *what, *list;
        const char *msg;
} bad_hosts[] = {
        {"--distribute", "", "--distribute: no helper given"},
        {"--distribute", "a b", "--distribute 'a b': 'a b' is not HOST[:PORT][/LIMIT]"},
        {"XHYBRID_DISTRIBUTE", "a,,b", "XHYBRID_DISTRIBUTE 'a,,b': '' is an empty entry"},
        {"--distribute", "a,", "--distribute 'a,': '' is an empty entry"},
        {"--distribute", "a:0",
         "--distribute 'a:0': 'a:0' has a port that is not a number from 1 "
         "to 65535"},
        {"--distribute", "a:x/2",
         "--distribute 'a:x/2': 'a:x/2' has a port that is not a number "
         "from 1 to 65535"},
        {"--distribute", "a/0",
         "--distribute 'a/0': 'a/0' has a limit that is not a number from 1 "
         "to 1000"},
        {"--distribute", "[::1]:3632",
         "--distribute '[::1]:3632': '[::1]:3632' is not "
         "HOST[:PORT][/LIMIT]"},
        {"--distribute", "@host", "--distribute '@host': '@host' is not HOST[:PORT][/LIMIT]"},
        {"--distribute", "a;rm", "--distribute 'a;rm': 'a;rm' is not HOST[:PORT][/LIMIT]"},
};

START_TEST(test_hosts_bad)
{
        char *out = (char *)"unset";
        xh_error err = {0};
        ck_assert_int_eq(xh_distcc_hosts(bad_hosts[_i].what, bad_hosts[_i].list, &out, &err),
                         -EINVAL);
        ck_assert_ptr_null(out);
        ck_assert_str_eq(err.msg, bad_hosts[_i].msg);
        ck_assert_ptr_nonnull(err.hint);
        xh_error_clear(&err);
}
END_TEST

START_TEST(test_listen)
{
        _cleanup_free_ char *addr = NULL;
        unsigned port = 0;
        xh_error err = {0};
        ck_assert_int_eq(xh_distcc_listen("10.0.0.2", &addr, &port, &err), 0);
        ck_assert_str_eq(addr, "10.0.0.2");
        ck_assert_uint_eq(port, 3632);
        free(addr);
        ck_assert_int_eq(xh_distcc_listen("0.0.0.0:4000", &addr, &port, &err), 0);
        ck_assert_str_eq(addr, "0.0.0.0");
        ck_assert_uint_eq(port, 4000);
        static const struct {
                const char *spec, *msg;
        } bad[] = {
                {"", "--listen '': expected an IPv4 address, ADDR[:PORT]"},
                {"host:3632", "--listen 'host:3632': expected an IPv4 address, ADDR[:PORT]"},
                {"10.0.0.300", "--listen '10.0.0.300': expected an IPv4 address, ADDR[:PORT]"},
                {"10.0.0.2:", "--listen '10.0.0.2:': the port is not a number from 1 to 65535"},
                {"10.0.0.2:0", "--listen '10.0.0.2:0': the port is not a number from 1 to 65535"},
                {"10.0.0.2:65536",
                 "--listen '10.0.0.2:65536': the port is not a number from 1 to 65535"},
        };
        for (size_t i = 0; i < XH_ARRAY_SIZE(bad); i++) {
                free(addr);
                addr = NULL;
                ck_assert_int_eq(xh_distcc_listen(bad[i].spec, &addr, &port, &err), -EINVAL);
                ck_assert_str_eq(err.msg, bad[i].msg);
                ck_assert_ptr_nonnull(err.hint);
                xh_error_clear(&err);
        }
}
END_TEST

START_TEST(test_allow)
{
        static const struct {
                const char *spec, *out, *msg;
        } cases[] = {
                {"10.0.0.1", "10.0.0.1/32", NULL},
                {"10.0.0.0/24", "10.0.0.0/24", NULL},
                {"0.0.0.0/0", "0.0.0.0/0", NULL},
                {"10.0.0.1/24", NULL,
                 "--allow '10.0.0.1/24': the address has bits set beyond "
                 "the /24 prefix"},
                {"10.0.0.0/33", NULL,
                 "--allow '10.0.0.0/33': the prefix length is not a number from 0 to 32"},
                {"10.0.0.0/", NULL,
                 "--allow '10.0.0.0/': the prefix length is not a number from 0 to 32"},
                {"net/8", NULL,
                 "--allow 'net/8': expected an IPv4 address or network, ADDR[/BITS]"},
                {"", NULL, "--allow '': expected an IPv4 address or network, ADDR[/BITS]"},
        };
        for (size_t i = 0; i < XH_ARRAY_SIZE(cases); i++) {
                _cleanup_free_ char *out = NULL;
                xh_error err = {0};
                int r = xh_distcc_allow(cases[i].spec, &out, &err);
                if (cases[i].out) {
                        ck_assert_int_eq(r, 0);
                        ck_assert_str_eq(out, cases[i].out);
                        continue;
                }
                ck_assert_int_eq(r, -EINVAL);
                ck_assert_str_eq(err.msg, cases[i].msg);
                ck_assert_ptr_nonnull(err.hint);
                xh_error_clear(&err);
        }
}
END_TEST

/* A fake layer: its drivers and cc1 decide the id; a changed byte changes it. */
START_TEST(test_compilers)
{
        char tmpl[] = "/tmp/xh-test-distcc.XXXXXX";
        ck_assert_ptr_nonnull(mkdtemp(tmpl));
        _cleanup_free_ char *bin = xh_asprintf("%s/usr/bin", tmpl);
        _cleanup_free_ char *lib =
                xh_asprintf("%s/usr/libexec/gcc-cross/aarch64-linux-gnu/14", tmpl);
        ck_assert_int_eq(xh_mkdir_p(bin, 0755), 0);
        ck_assert_int_eq(xh_mkdir_p(lib, 0755), 0);
        _cleanup_free_ char *gcc = xh_asprintf("%s/aarch64-linux-gnu-gcc-14", bin);
        _cleanup_free_ char *link = xh_asprintf("%s/aarch64-linux-gnu-gcc", bin);
        _cleanup_free_ char *cc1 = xh_asprintf("%s/cc1", lib);
        ck_assert_int_eq(xh_write_file(gcc, "driver", 6, 0755), 0);
        ck_assert_int_eq(symlink("aarch64-linux-gnu-gcc-14", link), 0);
        ck_assert_int_eq(xh_write_file(cc1, "cc1 one", 7, 0755), 0);

        _cleanup_free_ char *id = NULL, *id2 = NULL;
        _cleanup_strv_ char **drivers = NULL, **drivers2 = NULL;
        xh_error err = {0};
        ck_assert_int_eq(xh_distcc_compilers(tmpl, "aarch64-linux-gnu", &id, &drivers, &err), 0);
        ck_assert_int_eq(strlen(id), 16);
        ck_assert_str_eq(drivers[0], "/usr/bin/aarch64-linux-gnu-gcc-14");
        ck_assert_ptr_null(drivers[1]);
        _cleanup_free_ char *name = xh_distcc_name(id, drivers[0]);
        _cleanup_free_ char *want = xh_asprintf("xh-%s-aarch64-linux-gnu-gcc-14", id);
        ck_assert_str_eq(name, want);

        ck_assert_int_eq(xh_write_file(cc1, "cc1 two", 7, 0755), 0);
        ck_assert_int_eq(xh_distcc_compilers(tmpl, "aarch64-linux-gnu", &id2, &drivers2, &err), 0);
        ck_assert_str_ne(id, id2);

        /* No driver: one error with the fix. */
        _cleanup_free_ char *id3 = NULL;
        _cleanup_strv_ char **drivers3 = NULL;
        ck_assert_int_eq(xh_distcc_compilers(tmpl, "riscv64-linux-gnu", &id3, &drivers3, &err),
                         -ENOENT);
        ck_assert_msg(strstr(err.msg, "has no riscv64-linux-gnu-gcc"), "%s", err.msg);
        ck_assert_msg(strstr(err.hint, "xhybrid create --force"), "%s", err.hint);
        xh_error_clear(&err);
        xh_rm_rf(tmpl);
}
END_TEST

static Suite *distcc_suite(void)
{
        Suite *s = suite_create("distcc");
        TCase *tc = tcase_create("distcc");
        tcase_add_loop_test(tc, test_hosts_good, 0, XH_ARRAY_SIZE(good_hosts));
        tcase_add_loop_test(tc, test_hosts_bad, 0, XH_ARRAY_SIZE(bad_hosts));
        tcase_add_test(tc, test_listen);
        tcase_add_test(tc, test_allow);
        tcase_add_test(tc, test_compilers);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(distcc_suite());
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
