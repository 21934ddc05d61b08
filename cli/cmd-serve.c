/* SPDX-License-Identifier: MIT */
/* xhybrid serve PROFILE: distccd for the profile's cross compilers, in the foreground. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* What distccd's own exit statuses mean (distcc's exitcode.h). */
static const char *distccd_status(int code)
{
        switch (code) {
        case 101:
                return "bad arguments";
        case 102:
                return "it could not listen on that address and port";
        case 112:
                return "it could not drop its privileges to the user nobody";
        default:
                return NULL;
        }
}

int xh_cmd_serve(const struct xh_args *a)
{
        xh_error err = {0};
        _cleanup_profile_ struct xh_profile *p = NULL;
        if (xh_cli_load_profile(a->profile, &p, &err) < 0)
                return xh_cli_fail(&err, XH_EXIT_ERROR);
        _cleanup_free_ char *store = xh_store_dir(a->store);
        _cleanup_free_ char *addr = NULL;
        unsigned port = XH_DISTCC_PORT;
        if (xh_distcc_listen(a->listen ? a->listen : "127.0.0.1", &addr, &port, &err) < 0)
                return xh_cli_fail(&err, XH_EXIT_USAGE);
        char *const local[] = {"127.0.0.1/32", NULL};
        _cleanup_close_ int log_fd = -1;
        if (a->log && !a->dry_run) {
                log_fd = open(a->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
                if (log_fd < 0) {
                        int e = errno;
                        xh_fail(&err, e, "cannot open the log %s: %s", a->log, strerror(e));
                        return xh_cli_fail(&err, XH_EXIT_ERROR);
                }
        }
        struct xh_serve_opts o = {
                .profile = p,
                .store = store,
                .listen = addr,
                .port = port,
                .allow = a->allow && a->allow[0] ? a->allow : local,
                .log_fd = log_fd,
                .verbose = a->verbose >= 2,
                .dry_run = a->dry_run,
                .dry_run_out = stdout,
                .notes = &xh_cli_notes,
        };
        int status = -1;
        if (xh_serve(&o, &status, &err) < 0)
                return xh_cli_fail(&err, XH_EXIT_ERROR);
        if (a->dry_run)
                return XH_EXIT_OK;
        /* Stopped as asked (SIGINT, SIGTERM passed on): a clean end. */
        if (WIFSIGNALED(status) && (WTERMSIG(status) == SIGINT || WTERMSIG(status) == SIGTERM ||
                                    WTERMSIG(status) == SIGHUP)) {
                xh_say("serve: distccd stopped (%s)", strsignal(WTERMSIG(status)));
                return XH_EXIT_OK;
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
                xh_say("serve: distccd ended");
                return XH_EXIT_OK;
        }
        const char *why = WIFEXITED(status) ? distccd_status(WEXITSTATUS(status)) : NULL;
        if (WIFSIGNALED(status))
                xh_say("serve: distccd was killed by signal %d (%s)", WTERMSIG(status),
                       strsignal(WTERMSIG(status)));
        else
                xh_say("serve: distccd exited with status %d%s%s", WEXITSTATUS(status),
                       why ? ": " : "", why ? why : "");
        xh_say("hint: its log (%s) says why", a->log ? a->log : "above");
        return XH_EXIT_ERROR;
}
