/* SPDX-License-Identifier: MIT */
/*
 * xhybrid-shim: the static multicall binary bound over the target's build
 * tools in a hybrid session. Silent unless XHYBRID_TRACE is set (to 1 for
 * stderr, or to a file to append to).
 */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((format(printf, 2, 3))) static _Noreturn void die(int code, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "xhybrid-shim: ");
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        exit(code);
}

static void trace(const char *exe, const struct xh_shim_exec *x)
{
        const char *t = getenv("XHYBRID_TRACE");
        if (!t || !*t || strcmp(t, "0") == 0)
                return;
        xh_buf b = {0};
        xh_buf_addf(&b, "xhybrid-shim[%d]: %s -> %s %s:", (int)getpid(), exe, x->why, x->path);
        for (char **a = x->argv; *a; a++)
                xh_buf_addf(&b, " %s", *a);
        xh_buf_add(&b, "\n");
        int fd = strcmp(t, "1") == 0 ? dup(STDERR_FILENO)
                                     : open(t, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0) {
                if (write(fd, b.s, b.len) < 0) {
                        /* tracing is best effort */
                }
                close(fd);
        }
        xh_buf_free(&b);
}

/* Run the original compiler with -E -v for one language and parse its search list. */
static char **ask_target_incdirs(const char *orig, const char *lang)
{
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return NULL;
        pid_t pid = fork();
        if (pid < 0)
                return NULL;
        if (pid == 0) {
                int null = open("/dev/null", O_RDWR);
                dup2(null, STDIN_FILENO);
                dup2(null, STDOUT_FILENO);
                dup2(p[1], STDERR_FILENO);
                char *const argv[] = {"gcc", "-E", "-v", "-x", (char *)lang, "/dev/null", NULL};
                char *const envp[] = {"PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C", NULL};
                execve(orig, argv, envp);
                _exit(127);
        }
        close(p[1]);
        xh_buf out = {0};
        char tmp[4096];
        ssize_t n;
        while ((n = read(p[0], tmp, sizeof(tmp))) != 0) {
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        break;
                xh_buf_addn(&out, tmp, (size_t)n);
        }
        close(p[0]);
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        char **dirs = xh_shim_parse_incdirs(out.s ? out.s : "");
        xh_buf_free(&out);
        return dirs;
}

/*
 * The target compiler's include dirs, asked once per session and cached in
 * the session's run directory (written to a temporary file, then renamed).
 */
static void load_incdirs(const char *exe, struct xh_shim_incdirs *inc)
{
        _cleanup_free_ char *cache = xh_asprintf("%s/incdirs-%016llx", XH_RUN_DIR, xh_hash64(exe));
        _cleanup_free_ char *text = NULL;
        inc->c = xh_malloc(sizeof(char *));
        inc->cxx = xh_malloc(sizeof(char *));
        if (xh_read_file(cache, &text, NULL) == 0) {
                _cleanup_strv_ char **lines = xh_strv_split(text, "\n");
                for (char **l = lines; *l; l++) {
                        if (strncmp(*l, "c:", 2) == 0)
                                xh_strv_push(&inc->c, *l + 2);
                        else if (strncmp(*l, "c++:", 4) == 0)
                                xh_strv_push(&inc->cxx, *l + 4);
                }
                if (inc->c[0])
                        return;
        }
        _cleanup_free_ char *orig = xh_asprintf("%s%s", XH_ORIG_DIR, exe);
        xh_strv_free(inc->c);
        xh_strv_free(inc->cxx);
        inc->c = ask_target_incdirs(orig, "c");
        inc->cxx = ask_target_incdirs(orig, "c++");
        if (!inc->c || !inc->c[0])
                die(125,
                    "cannot get the include dirs of the target compiler %s (run it with -E -v)",
                    orig);
        if (!inc->cxx || !inc->cxx[0]) {
                xh_strv_free(inc->cxx);
                inc->cxx = xh_strv_copy(inc->c);
        }
        xh_buf b = {0};
        for (char **d = inc->c; *d; d++)
                xh_buf_addf(&b, "c:%s\n", *d);
        for (char **d = inc->cxx; *d; d++)
                xh_buf_addf(&b, "c++:%s\n", *d);
        _cleanup_free_ char *tmp = xh_asprintf("%s.%d", cache, (int)getpid());
        if (xh_write_file(tmp, b.s, b.len, 0644) == 0 && rename(tmp, cache) < 0)
                unlink(tmp);
        xh_buf_free(&b);
}

int main(int argc, char **argv)
{
        (void)argc;
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n <= 0)
                die(127, "cannot read /proc/self/exe: %s", strerror(errno));
        exe[n] = '\0';

        _cleanup_free_ char *text = NULL;
        if (xh_read_file(XH_SHIM_CONF, &text, NULL) < 0)
                die(127, "%s is missing: this program only runs inside an xhybrid session",
                    XH_SHIM_CONF);
        struct xh_shim_config conf;
        xh_error err = {0};
        if (xh_shim_config_parse(text, &conf, &err) < 0)
                die(127, "%s", err.msg);

        struct xh_shim_exec x;
        const char *emulate = getenv("XHYBRID_EMULATE");
        if (xh_shim_decide(&conf, exe, argv, emulate, NULL, &x, &err) < 0)
                die(127, "%s", err.msg);
        if (x.needs_incdirs) {
                struct xh_shim_incdirs inc = {0};
                load_incdirs(exe, &inc);
                xh_shim_exec_clear(&x);
                if (xh_shim_decide(&conf, exe, argv, emulate, &inc, &x, &err) < 0)
                        die(127, "%s", err.msg);
                xh_strv_free(inc.c);
                xh_strv_free(inc.cxx);
        }
        for (char **e = x.setenv; *e; e++) {
                char *eq = strchr(*e, '=');
                *eq = '\0';
                setenv(*e, eq + 1, 0);
                *eq = '=';
        }
        trace(exe, &x);
        execv(x.path, x.argv);
        int e = errno;
        die(e == ENOENT ? 127 : 126, "cannot execute %s: %s", x.path, strerror(e));
}
