/* SPDX-License-Identifier: MIT */
/* Running a program and waiting for it: the one fork/exec helper of xhybrid. */
#include "xh-util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

static const char *name(const struct xh_spawn *s)
{
        return s->path ? s->path : s->argv[0];
}

/* In the child: set up the fds and exec; on failure write errno to err_fd. */
static _Noreturn void child(const struct xh_spawn *s, int out_fd, int err_fd)
{
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        int log = s->log ? open(s->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : -1;
        int e = 0;
        if (null < 0 || (s->log && log < 0))
                e = errno;
        else if (s->cwd && chdir(s->cwd) < 0)
                e = errno;
        if (!e) {
                /* A program starts with no signal held, whatever its caller held. */
                sigset_t none;
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                dup2(null, STDIN_FILENO);
                if (log >= 0) {
                        dup2(log, STDOUT_FILENO);
                        dup2(log, STDERR_FILENO);
                } else if (s->quiet) {
                        dup2(null, STDOUT_FILENO);
                        dup2(null, STDERR_FILENO);
                }
                if (out_fd >= 0)
                        dup2(out_fd, s->capture_fd);
                char *const *envp = s->envp ? s->envp : environ;
                if (s->search_path) {
                        environ = (char **)envp;
                        execvp(name(s), s->argv);
                } else {
                        execve(name(s), s->argv, envp);
                }
                e = errno;
        }
        if (write(err_fd, &e, sizeof(e)) < 0) {
                /* the parent sees an exit status of 127 */
        }
        _exit(127);
}

int xh_spawn(const struct xh_spawn *s, char **out, int *status, xh_error *err)
{
        int out_p[2] = {-1, -1}, err_p[2];
        if (out)
                *out = NULL;
        if (status)
                *status = 0;
        if (pipe2(err_p, O_CLOEXEC) < 0 || (s->capture_fd > 0 && pipe2(out_p, O_CLOEXEC) < 0))
                return xh_fail(err, errno, "%s: pipe: %s", name(s), strerror(errno));
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) {
                int e = errno;
                close(err_p[0]);
                close(err_p[1]);
                if (out_p[0] >= 0) {
                        close(out_p[0]);
                        close(out_p[1]);
                }
                return xh_fail(err, e, "%s: fork: %s", name(s), strerror(e));
        }
        if (pid == 0)
                child(s, out_p[1], err_p[1]);
        close(err_p[1]);
        xh_buf b = {0};
        if (out_p[0] >= 0) {
                close(out_p[1]);
                xh_read_fd(out_p[0], &b);
                close(out_p[0]);
        }
        int exec_errno = 0;
        ssize_t got;
        do
                got = read(err_p[0], &exec_errno, sizeof(exec_errno));
        while (got < 0 && errno == EINTR);
        close(err_p[0]);
        int st = 0;
        while (waitpid(pid, &st, 0) < 0) {
                if (errno != EINTR) {
                        xh_buf_free(&b);
                        return xh_fail(err, errno, "%s: waitpid: %s", name(s), strerror(errno));
                }
        }
        if (status)
                *status = st;
        if (out)
                *out = xh_buf_steal(&b);
        else
                xh_buf_free(&b);
        if (got == (ssize_t)sizeof(exec_errno) && exec_errno) {
                xh_fail(err, exec_errno, "cannot run %s: %s", name(s), strerror(exec_errno));
                return -exec_errno;
        }
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
                return 0;
        if (WIFEXITED(st))
                xh_fail(err, EIO, "%s failed (exit status %d)%s%s", name(s), WEXITSTATUS(st),
                        s->log ? "; see " : "", s->log ? s->log : "");
        else
                xh_fail(err, EIO, "%s failed (%s)%s%s", name(s), strsignal(WTERMSIG(st)),
                        s->log ? "; see " : "", s->log ? s->log : "");
        return -EIO;
}
