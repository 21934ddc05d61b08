/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for bench/deb.c without a session: the first line of a
 * debian/changelog, the apt-get build-dep options that follow
 * dpkg-buildpackage's, and the session's script, also run with a stand-in
 * apt-get and dpkg-buildpackage to check its phases, its quoting and that
 * the exit status is dpkg-buildpackage's.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "bench.h"

/* ---- xh_deb_changelog_head ---------------------------------------------- */

static const struct {
        const char *text;
        const char *name, *version; /* NULL: -EINVAL */
} heads[] = {
        {"hello (2.10-3) unstable; urgency=medium\n\n  * x\n", "hello", "2.10-3"},
        {"\n\nzlib (1:1.2.13.dfsg-1) unstable; urgency=low\n", "zlib", "1:1.2.13.dfsg-1"},
        {"lua5.4 (5.4.4-3+deb12u1) bookworm; urgency=medium", "lua5.4", "5.4.4-3+deb12u1"},
        {"g++-12 (12.2.0-14) unstable; urgency=medium\n", "g++-12", "12.2.0-14"},
        {"Hello (2.10-3) unstable;\n", NULL, NULL},
        {"-hello (2.10-3) unstable;\n", NULL, NULL},
        {"h (1) unstable;\n", NULL, NULL},
        {"hello 2.10-3 unstable;\n", NULL, NULL},
        {"hello (2.10-3 unstable;\n", NULL, NULL},
        {"hello () unstable;\n", NULL, NULL},
        {"hello (2.10 3) unstable;\n", NULL, NULL},
        {"", NULL, NULL},
};

START_TEST(test_changelog_head)
{
        char *name = (char *)"x", *version = (char *)"y";
        int r = xh_deb_changelog_head(heads[_i].text, &name, &version);
        if (!heads[_i].name) {
                ck_assert_msg(r == -EINVAL, "'%s': returned %d", heads[_i].text, r);
                ck_assert_ptr_null(name);
                ck_assert_ptr_null(version);
                return;
        }
        ck_assert_msg(r == 0, "'%s': returned %d", heads[_i].text, r);
        ck_assert_str_eq(name, heads[_i].name);
        ck_assert_str_eq(version, heads[_i].version);
        free(name);
        free(version);
}
END_TEST

/* ---- xh_deb_build_dep_options ------------------------------------------- */

static const struct {
        const char *dpkg[4];
        const char *apt; /* joined with ' ' */
} dep_opts[] = {
        {{NULL}, ""},
        {{"-j2", "-us"}, ""},
        {{"-Pnocheck"}, "-P nocheck"},
        {{"--build-profiles=nocheck,nodoc"}, "-P nocheck,nodoc"},
        {{"-Pa", "-Pb"}, "-P b"},
        {{"-P"}, ""},
        {{"-B"}, "--arch-only"},
        {{"-A"}, "--indep-only"},
        {{"-B", "-b"}, ""},
        {{"--build=any"}, "--arch-only"},
        {{"--build=all,source"}, "--indep-only"},
        {{"--build=any,all"}, ""},
        {{"--build=binary"}, ""},
        {{"--build=source"}, ""},
        {{"-B", "-Pnocheck", "-j4"}, "-P nocheck --arch-only"},
};

START_TEST(test_build_dep_options)
{
        _cleanup_strv_ char **v = xh_deb_build_dep_options((char *const *)dep_opts[_i].dpkg);
        _cleanup_free_ char *got = xh_strv_join(v, " ");
        ck_assert_msg(!strcmp(got, dep_opts[_i].apt), "case %d: got '%s', expected '%s'", _i, got,
                      dep_opts[_i].apt);
}
END_TEST

/* ---- the script ---------------------------------------------------------- */

START_TEST(test_script_text)
{
        char *const opts[] = {"-P", "it's", NULL};
        _cleanup_free_ char *s = xh_deb_script("src", opts);
        ck_assert_ptr_nonnull(strstr(s, "apt-get -q -o APT::Sandbox::User=root update 3>&-\n"));
        ck_assert_ptr_nonnull(strstr(s, "--no-install-recommends build-dep '-P' 'it'\\''s' "
                                        "'./src' 3>&-\n"));
        ck_assert_ptr_nonnull(strstr(s, "exec dpkg-buildpackage -b -uc -us \"$@\"\n"));
        /* The phases are announced in order, and fd 3 is closed before the build. */
        const char *deps = strstr(s, "echo dependencies >&3");
        const char *build = strstr(s, "echo build >&3");
        const char *closed = strstr(s, "exec 3>&-");
        ck_assert(deps && build && closed && deps < build && build < closed);
}
END_TEST

/*
 * Run the script with apt-get and dpkg-buildpackage replaced by shell
 * functions' stand-ins in PATH: what reaches them, what fd 3 says, and the
 * exit status.
 */
struct script_run {
        char *phases; /* what the script wrote on fd 3 */
        char *calls;  /* the stand-ins' argv, one call a line */
        int status;
};

static void run_script(const char *dir, char *const *dpkg_opts, int apt_status, int dpkg_status,
                       struct script_run *out)
{
        static char *const apt_opts[] = {"-P", "nocheck", NULL};
        _cleanup_free_ char *bin = xh_asprintf("%s/bin", dir);
        _cleanup_free_ char *calls = xh_asprintf("%s/calls", dir);
        _cleanup_free_ char *src = xh_asprintf("%s/src", dir);
        ck_assert_int_eq(xh_mkdir_p(bin, 0755), 0);
        ck_assert_int_eq(xh_mkdir_p(src, 0755), 0);
        unlink(calls);
        const char *tools[] = {"apt-get", "dpkg-buildpackage"};
        int codes[] = {apt_status, dpkg_status};
        for (int i = 0; i < 2; i++) {
                _cleanup_free_ char *path = xh_asprintf("%s/%s", bin, tools[i]);
                _cleanup_free_ char *text = xh_asprintf(
                        "#!/bin/sh\n"
                        "{ printf '%%s' \"$(basename \"$PWD\") %s\"; for a; do printf ' [%%s]' "
                        "\"$a\"; done; echo; } >>%s\n"
                        "echo 'fd 3:' 2>/dev/null >&3 && echo leaked >>%s\n"
                        "exit %d\n",
                        tools[i], calls, calls, codes[i]);
                ck_assert_int_eq(xh_write_file(path, text, strlen(text), 0755), 0);
        }
        _cleanup_free_ char *script = xh_deb_script("src", apt_opts);
        int p[2];
        ck_assert_int_eq(pipe(p), 0);
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                close(p[0]);
                if (dup2(p[1], 3) < 0 || chdir(dir) < 0)
                        _exit(99);
                _cleanup_free_ char *path = xh_asprintf("PATH=%s:/usr/bin:/bin", bin);
                char *env[] = {path, NULL};
                char *argv[8] = {"sh", "-c", script, "xhybrid-deb"};
                int n = 4;
                for (char *const *o = dpkg_opts; o && *o && n < 7; o++)
                        argv[n++] = *o;
                argv[n] = NULL;
                int null = open("/dev/null", O_WRONLY);
                dup2(null, 1);
                execve("/bin/sh", argv, env);
                _exit(98);
        }
        close(p[1]);
        xh_buf b = {0};
        char buf[256];
        ssize_t n;
        while ((n = read(p[0], buf, sizeof(buf))) > 0)
                xh_buf_addn(&b, buf, (size_t)n);
        close(p[0]);
        int st;
        ck_assert_int_eq(waitpid(pid, &st, 0), pid);
        ck_assert(WIFEXITED(st));
        out->status = WEXITSTATUS(st);
        out->phases = xh_buf_steal(&b);
        out->calls = NULL;
        if (xh_read_file(calls, &out->calls, NULL) < 0)
                out->calls = xh_strdup("");
}

START_TEST(test_script_runs)
{
        char tmpl[] = "/tmp/xhybrid-test-deb.XXXXXX";
        ck_assert_ptr_nonnull(mkdtemp(tmpl));
        char *const opts[] = {"-j2", "--changes-option=-DDistribution=a b", NULL};
        struct script_run r;

        /* Everything works: both phases, apt-get twice, then dpkg-buildpackage in src. */
        run_script(tmpl, opts, 0, 0, &r);
        ck_assert_int_eq(r.status, 0);
        ck_assert_str_eq(r.phases, "dependencies\nbuild\n");
        const char *base = strrchr(tmpl, '/') + 1;
        _cleanup_free_ char *want = xh_asprintf(
                "%s apt-get [-q] [-o] [APT::Sandbox::User=root] [update]\n"
                "%s apt-get [-q] [-y] [-o] [APT::Sandbox::User=root] [--no-install-recommends] "
                "[build-dep] [-P] [nocheck] [./src]\n"
                "src dpkg-buildpackage [-b] [-uc] [-us] [-j2] "
                "[--changes-option=-DDistribution=a b]\n",
                base, base);
        ck_assert_msg(!strcmp(r.calls, want), "calls:\n%s\nexpected:\n%s", r.calls, want);
        free(r.phases);
        free(r.calls);

        /* The exit status is dpkg-buildpackage's. */
        run_script(tmpl, NULL, 0, 29, &r);
        ck_assert_int_eq(r.status, 29);
        ck_assert_str_eq(r.phases, "dependencies\nbuild\n");
        free(r.phases);
        free(r.calls);

        /* apt-get fails: no build phase, no dpkg-buildpackage. */
        run_script(tmpl, NULL, 100, 0, &r);
        ck_assert_int_eq(r.status, 100);
        ck_assert_str_eq(r.phases, "dependencies\n");
        ck_assert_ptr_null(strstr(r.calls, "dpkg-buildpackage"));
        free(r.phases);
        free(r.calls);
        ck_assert_int_eq(xh_rm_rf(tmpl), 0);
}
END_TEST

static Suite *deb_suite(void)
{
        Suite *s = suite_create("deb");
        TCase *tc = tcase_create("changelog");
        tcase_add_loop_test(tc, test_changelog_head, 0, (int)XH_ARRAY_SIZE(heads));
        suite_add_tcase(s, tc);
        tc = tcase_create("build-dep");
        tcase_add_loop_test(tc, test_build_dep_options, 0, (int)XH_ARRAY_SIZE(dep_opts));
        suite_add_tcase(s, tc);
        tc = tcase_create("script");
        tcase_add_test(tc, test_script_text);
        tcase_add_test(tc, test_script_runs);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(deb_suite());
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
