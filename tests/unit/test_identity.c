/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for session/identity.c: the uname(2) answer built from the
 * kernel's, and the filter with its supervisor for real, without namespaces:
 * a child loads the filter (with no_new_privs, which any process may set)
 * and hands the listener to its parent, which serves it as a session's
 * supervisor does.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "session.h"
#include "xh-test.h"

static struct utsname sample(void)
{
        struct utsname u;
        memset(&u, 'x', sizeof(u));
        strcpy(u.sysname, "Linux");
        strcpy(u.nodename, "builder");
        strcpy(u.release, "6.1.0-18-amd64");
        strcpy(u.version, "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)");
        strcpy(u.machine, "x86_64");
        strcpy(u.domainname, "(none)");
        return u;
}

START_TEST(test_answer_machine)
{
        struct utsname k = sample(), out;
        ck_assert_int_eq(xh_identity_answer(&k, "aarch64", &out), 0);
        ck_assert_str_eq(out.sysname, "Linux");
        ck_assert_str_eq(out.nodename, "builder");
        ck_assert_str_eq(out.release, "6.1.0-18-amd64");
        ck_assert_str_eq(out.version, k.version);
        ck_assert_str_eq(out.domainname, "(none)");
        ck_assert_str_eq(out.machine, "aarch64");
        /* Nothing of the host's machine (nor the bytes after its NUL) is left behind. */
        for (size_t i = strlen("aarch64"); i < sizeof(out.machine); i++)
                ck_assert_int_eq(out.machine[i], 0);
        /* Every other byte is the kernel's, padding included. */
        ck_assert_int_eq(memcmp(&out, &k, offsetof(struct utsname, machine)), 0);
        ck_assert_int_eq(memcmp(out.domainname, k.domainname, sizeof(k.domainname)), 0);

        /* In place, as the supervisor may use it. */
        ck_assert_int_eq(xh_identity_answer(&k, "armv7l", &k), 0);
        ck_assert_str_eq(k.machine, "armv7l");
        ck_assert_str_eq(k.nodename, "builder");
}
END_TEST

START_TEST(test_answer_bad_machine)
{
        struct utsname k = sample(), out = sample();
        char longest[65], too_long[66];
        memset(longest, 'm', 64);
        longest[64] = '\0';
        memset(too_long, 'm', 65);
        too_long[65] = '\0';
        ck_assert_int_eq(xh_identity_answer(&k, NULL, &out), -EINVAL);
        ck_assert_int_eq(xh_identity_answer(&k, "", &out), -EINVAL);
        ck_assert_int_eq(xh_identity_answer(&k, too_long, &out), -EINVAL);
        ck_assert_str_eq(out.machine, "x86_64"); /* untouched on failure */
        ck_assert_int_eq(xh_identity_answer(&k, longest, &out), 0);
        ck_assert_str_eq(out.machine, longest);
}
END_TEST

/* What the filtered child reports to the test: its uname(2) result. */
struct report {
        int ret, err;
        struct utsname u;
};

enum child_mode {
        SERVED,       /* the parent serves the listener */
        UNSERVED,     /* nobody holds the listener */
        SERVED_NEWNS, /* served; the child asks from a UTS namespace of its own */
};

/*
 * Fork a supervisor-to-be, which forks the filtered child and serves its
 * listener with machine. The child is the supervisor's own child, as the
 * session's command is init's: no ptrace restriction stands between them.
 * The supervisor must return 0 when the child has exited.
 */
static struct report run_filtered(enum child_mode mode, const char *machine)
{
        int res[2];
        ck_assert_int_eq(pipe2(res, O_CLOEXEC), 0);
        pid_t sup = fork();
        ck_assert_int_ge(sup, 0);
        if (sup == 0) {
                int sv[2];
                if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                        _exit(90);
                pid_t child = fork();
                if (child < 0)
                        _exit(91);
                if (child == 0) {
                        struct report rep = {0};
                        int listener = -1;
                        xh_error err = {0};
                        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
                            xh_identity_filter(&listener, &err) < 0)
                                _exit(92);
                        if (mode != UNSERVED && xh_send_fd(sv[1], listener) < 0)
                                _exit(93);
                        close(listener);
                        char c;
                        if (mode != UNSERVED && read(sv[1], &c, 1) != 1)
                                _exit(94);
                        if (mode == SERVED_NEWNS &&
                            (unshare(CLONE_NEWUTS) < 0 || sethostname("xh-inner", 8) < 0))
                                _exit(95);
                        rep.ret = uname(&rep.u);
                        rep.err = rep.ret < 0 ? errno : 0;
                        _exit(write(res[1], &rep, sizeof(rep)) == (ssize_t)sizeof(rep) ? 0 : 96);
                }
                if (mode == UNSERVED) {
                        int st;
                        waitpid(child, &st, 0);
                        _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 97);
                }
                int listener = -1;
                if (xh_recv_fd(sv[0], &listener) < 0 || write(sv[0], "1", 1) != 1)
                        _exit(98);
                _exit(xh_identity_serve(listener, machine));
        }
        close(res[1]);
        struct report rep = {.ret = 99};
        ssize_t n = read(res[0], &rep, sizeof(rep));
        close(res[0]);
        /* Once the child has exited the supervisor returns 0: nobody is left to answer. */
        int st;
        waitpid(sup, &st, 0);
        ck_assert_msg(n == (ssize_t)sizeof(rep),
                      "the filtered child reported nothing (supervisor: %s %d)",
                      WIFEXITED(st) ? "exit" : "signal",
                      WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
        ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "supervisor: %s %d",
                      WIFEXITED(st) ? "exit" : "signal",
                      WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
        return rep;
}

START_TEST(test_served_uname)
{
        struct utsname host;
        ck_assert_int_eq(uname(&host), 0);
        struct report rep = run_filtered(SERVED, "aarch64");
        ck_assert_int_eq(rep.ret, 0);
        ck_assert_str_eq(rep.u.machine, "aarch64");
        ck_assert_str_eq(rep.u.sysname, host.sysname);
        ck_assert_str_eq(rep.u.nodename, host.nodename);
        ck_assert_str_eq(rep.u.release, host.release);
        ck_assert_str_eq(rep.u.version, host.version);
        ck_assert_str_eq(rep.u.domainname, host.domainname);
}
END_TEST

/*
 * Without a listener the kernel fails a notified call with ENOSYS: this is
 * why init keeps its own copy until it has killed every process of the
 * session.
 */
START_TEST(test_unserved_uname_fails)
{
        struct report rep = run_filtered(UNSERVED, "aarch64");
        ck_assert_int_eq(rep.ret, -1);
        ck_assert_int_eq(rep.err, ENOSYS);
}
END_TEST

/* A caller in a UTS namespace of its own gets that namespace's nodename. */
START_TEST(test_served_other_uts_namespace)
{
        XH_REQUIRE(geteuid() == 0, "a UTS namespace of the child's own needs CAP_SYS_ADMIN: run "
                                   "the unit tests as root");
        struct report rep = run_filtered(SERVED_NEWNS, "riscv64");
        ck_assert_int_eq(rep.ret, 0);
        ck_assert_str_eq(rep.u.nodename, "xh-inner");
        ck_assert_str_eq(rep.u.machine, "riscv64");
}
END_TEST

static Suite *identity_suite(void)
{
        Suite *s = suite_create("identity");
        TCase *tc = tcase_create("answer");
        tcase_add_test(tc, test_answer_machine);
        tcase_add_test(tc, test_answer_bad_machine);
        suite_add_tcase(s, tc);

        tc = tcase_create("supervisor");
        tcase_add_test(tc, test_served_uname);
        tcase_add_test(tc, test_unserved_uname_fails);
        tcase_add_test(tc, test_served_other_uts_namespace);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(identity_suite());
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
