/* SPDX-License-Identifier: MIT */
/*
 * Small helpers shared by every xhybrid subsystem: cleanup attributes, the
 * error value that subsystem functions fill instead of printing, a growable
 * string buffer and NULL-terminated string vectors.
 */
#ifndef XH_UTIL_H
#define XH_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void xh_freep(void *p)
{
        free(*(void **)p);
}

static inline void xh_closep(int *fd)
{
        if (*fd >= 0)
                close(*fd);
}

static inline void xh_fclosep(FILE **f)
{
        if (*f)
                fclose(*f);
}

void xh_strv_free(char **v);
static inline void xh_strv_freep(char ***v)
{
        xh_strv_free(*v);
}

#define _cleanup_free_   __attribute__((cleanup(xh_freep)))
#define _cleanup_close_  __attribute__((cleanup(xh_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(xh_fclosep)))
#define _cleanup_strv_   __attribute__((cleanup(xh_strv_freep)))

/* Take ownership of a pointer out of a cleanup variable. */
#define steal_pointer(pp)                                                                          \
        ({                                                                                         \
                __typeof__(*(pp)) _ptr = *(pp);                                                    \
                *(pp) = NULL;                                                                      \
                _ptr;                                                                              \
        })

#define steal_fd(fdp)                                                                              \
        ({                                                                                         \
                int _fd = *(fdp);                                                                  \
                *(fdp) = -1;                                                                       \
                _fd;                                                                               \
        })

#define XH_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * An error value. Functions that can fail return 0 or a negative errno and,
 * when given a non-NULL xh_error, describe the failure in it: msg names the
 * file, line or path and what went wrong; hint, when set, says what to do.
 * Nothing below the CLI prints or exits.
 */
typedef struct xh_error {
        char *msg;
        char *hint;
        int code; /* the errno of the failure */
} xh_error;

/* Set err->msg from a format (replacing any previous message); returns -errnum. */
int xh_fail(xh_error *err, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Set err->hint; returns -errnum so it can close a return statement. */
int xh_hint(xh_error *err, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void xh_error_clear(xh_error *err);

/*
 * What a long operation has to tell its user (progress, warnings): library
 * code hands each message to the caller's function, which prints it. A NULL
 * xh_notes or fn drops them.
 */
enum xh_note_kind { XH_NOTE_PROGRESS, XH_NOTE_WARNING };
struct xh_notes {
        void (*fn)(void *ctx, enum xh_note_kind kind, const char *msg);
        void *ctx;
};
void xh_note(const struct xh_notes *n, enum xh_note_kind kind, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Allocation that never returns NULL (aborts with a message on OOM). */
void *xh_malloc(size_t n);
void *xh_realloc(void *p, size_t n);
char *xh_strdup(const char *s);
char *xh_strndup(const char *s, size_t n);
char *xh_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Growable string buffer. */
typedef struct xh_buf {
        char *s;
        size_t len;
        size_t cap;
} xh_buf;

void xh_buf_add(xh_buf *b, const char *s);
void xh_buf_addn(xh_buf *b, const char *s, size_t n);
void xh_buf_addf(xh_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append s with ',', ':' and '\' escaped by a backslash, for overlay options. */
void xh_buf_add_escaped(xh_buf *b, const char *s);
char *xh_buf_steal(xh_buf *b);
void xh_buf_free(xh_buf *b);

/* NULL-terminated string vectors. */
size_t xh_strv_len(char *const *v);
void xh_strv_push(char ***v, const char *s);
/* Push a formatted string. */
void xh_strv_pushf(char ***v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool xh_strv_contains(char *const *v, const char *s);
char **xh_strv_copy(char *const *v);
/* Split on any of the characters in seps, dropping empty fields. */
char **xh_strv_split(const char *s, const char *seps);
char *xh_strv_join(char *const *v, const char *sep);

/* Filesystem helpers. */
int xh_mkdir_p(const char *path, unsigned mode);
/* Remove a tree without crossing mount points. */
int xh_rm_rf(const char *path);
bool xh_path_exists(const char *path);
bool xh_is_dir(const char *path);
/*
 * The MiB free for unprivileged writers on the file system of path, when it
 * is below limit_mib (a file system too full for what is being made there);
 * -1 otherwise or when path cannot be examined.
 */
long long xh_low_space_mib(const char *path, long long limit_mib);
int xh_read_file(const char *path, char **out, size_t *len);
/*
 * openat2(2) with the resolve flags of linux/openat2.h: a descriptor, or
 * -errno. A scoped lookup (RESOLVE_IN_ROOT, RESOLVE_BENEATH) fails with
 * EAGAIN when a rename or a mount anywhere on the system raced with it; it is
 * tried again then, as openat2(2) asks.
 */
int xh_openat2(int dirfd, const char *path, int flags, unsigned long long resolve);
/* Append what fd gives until its end to b; 0 or -errno. */
int xh_read_fd(int fd, xh_buf *b);
int xh_write_file(const char *path, const char *data, size_t len, unsigned mode);

/*
 * Pass an open file descriptor over a Unix socket (SCM_RIGHTS), with one byte
 * of data. xh_recv_fd gives a close-on-exec copy; -EPIPE when the other side
 * closed without sending, -EBADMSG when the message held no descriptor.
 */
int xh_send_fd(int sock, int fd);
int xh_recv_fd(int sock, int *fd);

/* Running a program (common/xh-spawn.c). */
struct xh_spawn {
        const char *path;  /* the program; NULL: argv[0] */
        char *const *argv; /* argv[0]: an absolute path, or a name when search_path */
        char *const *envp; /* NULL: the caller's environment */
        const char *cwd;   /* NULL: the caller's */
        bool search_path;  /* look argv[0] up in PATH (of envp) */
        const char *log;   /* append standard output and error to this file */
        int capture_fd;    /* 1 or 2: return what the program writes there; 0: none */
        bool quiet;        /* output neither logged nor captured goes to /dev/null */
};
/*
 * Run a program with standard input from /dev/null and wait for it. Returns
 * 0 when it exited with status 0; otherwise -errno with err naming the
 * program and why: it could not be started (the exec's errno), its exit
 * status, or its signal. *out (when out is not NULL) receives what it wrote
 * on capture_fd, also when it failed; *status its wait status.
 */
int xh_spawn(const struct xh_spawn *s, char **out, int *status, xh_error *err);

/* Seconds on the monotonic clock, for durations. */
double xh_now(void);

/*
 * Host programs. xhybrid runs the programs of 'create' (mmdebstrap, which
 * runs arch-test and mount) with the caller's PATH, or XH_DEFAULT_PATH when
 * it has none, and doctor looks them up in that same PATH.
 */
#define XH_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
const char *xh_host_path(void);
/*
 * The file execvp(3) would run for name (no '/') with this PATH: the first
 * DIR/name that is an executable regular file, an empty DIR being the current
 * directory. NULL when there is none.
 */
char *xh_path_lookup(const char *name, const char *path);

/* Simple 64-bit FNV-1a, used for cache keys (not for security). */
unsigned long long xh_hash64(const char *s);

/* Logging: one knob, XHYBRID_LOG=0..3 or -v/-vv, one prefix format. */
extern int xh_log_level;
void xh_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define XH_DEBUG(...) xh_log(2, __VA_ARGS__)
#define XH_INFO(...)  xh_log(1, __VA_ARGS__)

#endif
