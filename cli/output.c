/* SPDX-License-Identifier: MIT */
/*
 * The one place where xhybrid talks to its user: every message of the
 * command goes out here, each line "xhybrid: ..." on standard error.
 */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void __attribute__((format(printf, 2, 0))) vsay(const char *tag, const char *fmt, va_list ap)
{
        _cleanup_free_ char *msg = NULL;
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        fprintf(stderr, "xhybrid: %s%s\n", tag, msg ? msg : fmt);
}

void xh_say(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsay("", fmt, ap);
        va_end(ap);
}

void xh_warn(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsay("warning: ", fmt, ap);
        va_end(ap);
}

void xh_print_error(const xh_error *err)
{
        xh_say("%s", err->msg ? err->msg : "unknown error");
        if (err->hint)
                xh_say("hint: %s", err->hint);
}

/* What to do about a failure whose message brought no hint, by its errno. */
static const char *generic_hint(int code)
{
        switch (code) {
        case EACCES:
        case EPERM:
                return "check the owner and mode of the path above, or choose another store "
                       "with --store DIR";
        case ENOSPC:
        case EDQUOT:
                return "free some space on that file system, or choose another store with "
                       "--store DIR";
        case EROFS:
                return "that file system is read-only: choose another store with --store DIR";
        case ENOENT:
        case ENOTDIR:
                return "check that the path above exists";
        default:
                return "run 'xhybrid doctor' to see what this host can and cannot do";
        }
}

int xh_cli_fail(xh_error *err, int code)
{
        if (code == XH_EXIT_ERROR && !err->hint)
                xh_hint(err, err->code, "%s", generic_hint(err->code));
        xh_print_error(err);
        xh_error_clear(err);
        return code;
}

static void print_note(void *ctx, enum xh_note_kind kind, const char *msg)
{
        if (kind == XH_NOTE_WARNING)
                xh_warn("%s", msg);
        else
                xh_say("%s", msg);
}

const struct xh_notes xh_cli_notes = {.fn = print_note};

int xh_cli_load_profile(const char *name, struct xh_profile **p, xh_error *err)
{
        _cleanup_free_ char *dir = xh_profile_user_dir();
        return xh_profile_load(name, dir, p, err);
}

const char *xh_cli_tree_state(const char *store, const struct xh_profile *p, enum xh_tree which,
                              char **why)
{
        *why = NULL;
        if (!(which == XH_TREE_ROOT ? xh_store_root_ready(store, p)
                                    : xh_store_toolchain_ready(store, p)))
                return "not created";
        xh_error err = {0};
        if (xh_store_check(store, p, which, true, &err) == 0)
                return "created";
        *why = steal_pointer(&err.msg);
        xh_error_clear(&err);
        return "damaged";
}

int xh_cli_check_output(const char *option, const char *path)
{
        if (!path)
                return 0;
        struct stat st;
        _cleanup_free_ char *dir = xh_strdup(path);
        char *slash = strrchr(dir, '/');
        if (slash)
                *(slash == dir ? slash + 1 : slash) = '\0';
        const char *d = slash ? dir : ".";
        int e = 0;
        if (!*path)
                e = ENOENT;
        else if (stat(path, &st) == 0)
                e = S_ISDIR(st.st_mode) ? EISDIR : access(path, W_OK) < 0 ? errno : 0;
        else if (errno != ENOENT)
                e = errno;
        else if (stat(d, &st) < 0)
                e = errno;
        else if (!S_ISDIR(st.st_mode))
                e = ENOTDIR;
        else if (access(d, W_OK) < 0)
                e = errno;
        if (!e)
                return 0;
        xh_say("%s %s: %s", option, path, strerror(e));
        xh_say("hint: choose a file in a directory that exists and is writable");
        return -e;
}

int xh_cli_pass_status(int status)
{
        if (WIFSIGNALED(status)) {
                int sig = WTERMSIG(status);
                /* pid 1 (a container's) cannot die of a signal it sends itself: 128 + N. */
                if (getpid() != 1) {
                        /* The command's core (if any) is its own: xhybrid leaves none. */
                        struct rlimit no_core = {0, 0};
                        setrlimit(RLIMIT_CORE, &no_core);
                        signal(sig, SIG_DFL);
                        fflush(NULL);
                        raise(sig);
                }
                return 128 + sig;
        }
        return WIFEXITED(status) ? WEXITSTATUS(status) : XH_EXIT_ERROR;
}
