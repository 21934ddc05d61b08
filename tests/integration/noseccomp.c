/* SPDX-License-Identifier: MIT */
/*
 * noseccomp: runs a command where a hybrid session cannot load its seccomp
 * filter, as inside some containers. Built for the host by 79-identity.sh.
 *
 *   noseccomp errno COMMAND...     seccomp(2) and prctl(PR_SET_SECCOMP) fail
 *                                  with EPERM (a profile that forbids filters)
 *   noseccomp listener COMMAND...  a filter with a notification listener is
 *                                  already in place, its descriptor inherited
 *                                  (an engine that supervises calls itself:
 *                                  the kernel allows one listener per process)
 *
 * Exit status 2 when it cannot set this up, else the command's (exec).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
        if (argc < 3 || (strcmp(argv[1], "errno") != 0 && strcmp(argv[1], "listener") != 0)) {
                fprintf(stderr, "usage: noseccomp errno|listener COMMAND...\n");
                return 2;
        }
        bool listener = strcmp(argv[1], "listener") == 0;
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        int r = ctx ? 0 : -ENOMEM;
        if (r == 0 && listener)
                /* acct(2): a call nothing in a session makes, so nothing waits on this listener. */
                r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(acct), 0);
        if (r == 0 && !listener)
                r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(seccomp), 0);
        if (r == 0 && !listener)
                r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(prctl), 1,
                                     SCMP_A0(SCMP_CMP_EQ, PR_SET_SECCOMP));
        if (r == 0)
                r = seccomp_load(ctx);
        if (r == 0 && listener) {
                int fd = seccomp_notify_fd(ctx);
                r = fd < 0 ? fd : fcntl(fd, F_SETFD, 0) < 0 ? -errno : 0;
        }
        if (r < 0) {
                fprintf(stderr, "noseccomp: cannot set up the %s filter: %s\n", argv[1],
                        strerror(-r));
                return 2;
        }
        execvp(argv[2], argv + 2);
        fprintf(stderr, "noseccomp: %s: %s\n", argv[2], strerror(errno));
        return 2;
}
