/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for shim/trace.c, the exec trace of run --trace: records
 * written and read back, the summary (rows per tool and strategy, emulated
 * first, the emulated share of the wall time counting nested and parallel
 * runs once), and bad input, each an error naming the file and line.
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "trace.h"
#include "xh-test.h"

#define HEADER "xhybrid-trace 1\n"

START_TEST(test_round_trip)
{
        struct xh_trace_exec e = {
                .start = 1796096040.5,
                .pid = 42,
                .strategy = XH_TRACE_FALLBACK,
                .wall = 0.25,
                .status = 3 << 8,
                .path = "/usr/bin/odd\tname\\with\nall",
                .why = "emulated (compiler probe)",
        };
        _cleanup_free_ char *header = xh_trace_header();
        ck_assert_str_eq(header, HEADER);
        _cleanup_free_ char *line = xh_trace_format_exec(&e);
        ck_assert_str_eq(line, "exec\t1796096040.500000\t42\tfallback\t0.250000\texit:3\t"
                               "/usr/bin/odd\\tname\\\\with\\nall\temulated (compiler probe)\n");
        _cleanup_free_ char *sess = xh_trace_format_session(1796096040.0, 2.0, SIGKILL, "p");
        ck_assert_str_eq(sess, "session\t1796096040.000000\t2.000000\tsignal:9\tp\n");
        _cleanup_free_ char *text = xh_asprintf("%s%s%s", header, line, sess);
        struct xh_trace t;
        xh_error err = {0};
        ck_assert_int_eq(xh_trace_parse(text, "t", &t, &err), 0);
        ck_assert_uint_eq(t.n, 1);
        ck_assert_str_eq(t.execs[0].path, e.path);
        ck_assert_str_eq(t.execs[0].why, e.why);
        ck_assert_int_eq(t.execs[0].strategy, XH_TRACE_FALLBACK);
        ck_assert(WIFEXITED(t.execs[0].status) && WEXITSTATUS(t.execs[0].status) == 3);
        ck_assert(t.has_session);
        ck_assert(WIFSIGNALED(t.status) && WTERMSIG(t.status) == SIGKILL);
        ck_assert_str_eq(t.profile, "p");
        xh_trace_clear(&t);
}
END_TEST

/* A record stays one write below PIPE_BUF, whatever the path. */
START_TEST(test_long_path)
{
        char path[PATH_MAX];
        memset(path, '\t', sizeof(path) - 1);
        path[0] = '/';
        path[sizeof(path) - 1] = '\0';
        struct xh_trace_exec e = {.pid = 1, .path = path, .why = path};
        _cleanup_free_ char *line = xh_trace_format_exec(&e);
        ck_assert_uint_lt(strlen(line), PIPE_BUF);
        ck_assert_ptr_nonnull(strstr(line, "...\t"));
        _cleanup_free_ char *text = xh_asprintf(HEADER "%s", line);
        struct xh_trace t;
        xh_error err = {0};
        ck_assert_int_eq(xh_trace_parse(text, "t", &t, &err), 0);
        xh_trace_clear(&t);
}
END_TEST

START_TEST(test_summary)
{
        /*
         * A 10 s session: a configure (native dash) running two conftests,
         * one nested in another emulated program, a compiler probe beside
         * the second, and native compiles.
         */
        const char *text = HEADER
                "exec\t100.0\t2\tcopy\t9.0\texit:0\t/usr/bin/dash\tnative\n"
                "exec\t101.0\t3\temulated\t2.0\texit:0\t./conftest\t\n"
                "exec\t101.5\t4\temulated\t1.0\texit:1\t/tmp/x/conftest\t\n"
                "exec\t102.5\t5\tfallback\t1.0\texit:0\t/usr/bin/aarch64-linux-gnu-gcc-14\t"
                "emulated (compiler probe)\n"
                "exec\t104.0\t6\tnative\t0.5\texit:0\t/usr/bin/aarch64-linux-gnu-gcc-14\tnative\n"
                "exec\t105.0\t7\tnative\t0.7\texit:0\t/usr/bin/aarch64-linux-gnu-gcc-14\tnative\n"
                "exec\t106.0\t8\temulated\t0.5\tsignal:15\t/usr/bin/uname\t\n"
                "session\t99.5\t10.0\texit:0\tarm64-trixie\n";
        struct xh_trace t;
        xh_error err = {0};
        ck_assert_int_eq(xh_trace_parse(text, "t", &t, &err), 0);
        struct xh_trace_summary s;
        xh_trace_summarize(&t, &s);
        ck_assert_uint_eq(s.execs, 7);
        ck_assert_uint_eq(s.per_strategy[XH_TRACE_EMULATED], 3);
        ck_assert_uint_eq(s.per_strategy[XH_TRACE_FALLBACK], 1);
        ck_assert_uint_eq(s.per_strategy[XH_TRACE_NATIVE], 2);
        ck_assert_uint_eq(s.per_strategy[XH_TRACE_COPY], 1);
        ck_assert(!s.wall_estimated);
        ck_assert_double_eq_tol(s.wall, 10.0, 1e-9);
        ck_assert_double_eq_tol(s.emulated_sum, 4.5, 1e-9);
        /* 101.0-103.5 (conftest, nested conftest, probe) and 106.0-106.5 */
        ck_assert_double_eq_tol(s.emulated_wall, 3.0, 1e-9);
        ck_assert_double_eq_tol(s.emulated_share, 0.3, 1e-9);
        ck_assert_uint_eq(s.n, 5);
        /* Emulated first, biggest first, then the others. */
        ck_assert_str_eq(s.rows[0].tool, "conftest");
        ck_assert_int_eq(s.rows[0].strategy, XH_TRACE_EMULATED);
        ck_assert_uint_eq(s.rows[0].count, 2);
        ck_assert_double_eq_tol(s.rows[0].total, 3.0, 1e-9);
        ck_assert_str_eq(s.rows[1].tool, "aarch64-linux-gnu-gcc-14");
        ck_assert_int_eq(s.rows[1].strategy, XH_TRACE_FALLBACK);
        ck_assert_str_eq(s.rows[1].why, "emulated (compiler probe)");
        ck_assert_str_eq(s.rows[2].tool, "uname");
        ck_assert_str_eq(s.rows[3].tool, "dash");
        ck_assert_str_eq(s.rows[4].tool, "aarch64-linux-gnu-gcc-14");
        ck_assert_int_eq(s.rows[4].strategy, XH_TRACE_NATIVE);
        ck_assert_uint_eq(s.rows[4].count, 2);
        xh_trace_summary_clear(&s);
        xh_trace_clear(&t);

        /* No session record (the session was killed): first start to last end. */
        const char *cut = HEADER "exec\t100.0\t3\temulated\t1.0\texit:0\t./a\t\n"
                                 "exec\t103.0\t4\tnative\t1.0\texit:0\t/usr/bin/as\tnative\n";
        ck_assert_int_eq(xh_trace_parse(cut, "t", &t, &err), 0);
        xh_trace_summarize(&t, &s);
        ck_assert(s.wall_estimated);
        ck_assert_double_eq_tol(s.wall, 4.0, 1e-9);
        ck_assert_double_eq_tol(s.emulated_share, 0.25, 1e-9);
        xh_trace_summary_clear(&s);
        xh_trace_clear(&t);

        /* A trace of a session that ran nothing. */
        ck_assert_int_eq(xh_trace_parse(HEADER, "t", &t, &err), 0);
        xh_trace_summarize(&t, &s);
        ck_assert_uint_eq(s.n, 0);
        ck_assert_double_eq_tol(s.emulated_share, 0, 1e-9);
        xh_trace_summary_clear(&s);
        xh_trace_clear(&t);
}
END_TEST

/* Every bad input: -EINVAL, the message names FILE:LINE and what is wrong, with a hint. */
START_TEST(test_bad_input)
{
        static const struct {
                const char *text;
                const char *msg;
        } bad[] = {
                {"", "trace.txt: empty file"},
                {"make: *** no\n", "trace.txt:1: not an xhybrid trace"},
                {"xhybrid-trace 2\n", "trace.txt:1: trace format 'xhybrid-trace 2' is not one"},
                {HEADER "exec\t1.0\t2\tnative\t0.1\texit:0\t/bin/x\n",
                 "trace.txt:2: an exec record has 8 tab-separated fields, found 7"},
                {HEADER "exec\t1.0\t2\tnative\t0.1\texit:0\t/bin/x\tnative\textra\n",
                 "trace.txt:2: an exec record has 8 tab-separated fields, found 9"},
                {HEADER "exec\tsoon\t2\tnative\t0.1\texit:0\t/bin/x\t\n",
                 "trace.txt:2: the start time is not a number"},
                {HEADER "exec\t1.0\t-2\tnative\t0.1\texit:0\t/bin/x\t\n",
                 "trace.txt:2: the pid is not a positive number"},
                {HEADER "exec\t1.0\t2\tmagic\t0.1\texit:0\t/bin/x\t\n",
                 "trace.txt:2: unknown strategy"},
                {HEADER "exec\t1.0\t2\tnative\t-0.1\texit:0\t/bin/x\t\n",
                 "trace.txt:2: the wall time is not a number"},
                {HEADER "exec\t1.0\t2\tnative\tnan\texit:0\t/bin/x\t\n",
                 "trace.txt:2: the wall time is not a number"},
                {HEADER "exec\t1.0\t2\tnative\t0.1\texit:256\t/bin/x\t\n",
                 "trace.txt:2: the status is neither"},
                {HEADER "exec\t1.0\t2\tnative\t0.1\tsignal:0\t/bin/x\t\n",
                 "trace.txt:2: the status is neither"},
                {HEADER "exec\t1.0\t2\tnative\t0.1\tdone\t/bin/x\t\n",
                 "trace.txt:2: the status is neither"},
                {HEADER "exec\t1.0\t2\tnative\t0.1\texit:0\t\t\n",
                 "trace.txt:2: the path is empty"},
                {HEADER "exec\t1.0\t2\tnative\t0.1\texit:0\t/bin\\x\t\n",
                 "trace.txt:2: a backslash"},
                {HEADER "exec\t1.0\t2\tnative\t0.1\texit:0\t/bin/x\t\n"
                        "exec\t1.0\t2\tnative\t0.1\texit:0\t/bin/x",
                 "trace.txt:3: the last line has no newline"},
                {HEADER "\n", "trace.txt:2: unknown record"},
                {HEADER "# comment\n", "trace.txt:2: unknown record"},
                {HEADER "session\t1.0\t2.0\texit:0\n",
                 "trace.txt:2: a session record has 5 tab-separated fields, found 4"},
                {HEADER "session\t1.0\t2.0\texit:0\tp\nsession\t1.0\t2.0\texit:0\tp\n",
                 "trace.txt:3: a second session record"},
                {HEADER "session\t1.0\tlong\texit:0\tp\n", "trace.txt:2: the start or wall time"},
        };
        for (size_t i = 0; i < XH_ARRAY_SIZE(bad); i++) {
                struct xh_trace t;
                xh_error err = {0};
                ck_assert_msg(xh_trace_parse(bad[i].text, "trace.txt", &t, &err) == -EINVAL,
                              "case %zu accepted", i);
                ck_assert_msg(err.msg && strstr(err.msg, bad[i].msg), "case %zu: '%s' lacks '%s'",
                              i, err.msg ? err.msg : "(none)", bad[i].msg);
                ck_assert_msg(err.hint != NULL, "case %zu: no hint", i);
                ck_assert_ptr_null(t.execs);
                xh_error_clear(&err);
        }
}
END_TEST

static Suite *trace_suite(void)
{
        Suite *s = suite_create("trace");
        TCase *tc = tcase_create("trace");
        tcase_add_test(tc, test_round_trip);
        tcase_add_test(tc, test_long_path);
        tcase_add_test(tc, test_summary);
        tcase_add_test(tc, test_bad_input);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(trace_suite());
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
