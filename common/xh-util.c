/* SPDX-License-Identifier: MIT */
#include "xh-util.h"

#include <time.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

int xh_log_level;

void xh_strv_free(char **v)
{
        if (!v)
                return;
        for (char **p = v; *p; p++)
                free(*p);
        free(v);
}

__attribute__((format(printf, 1, 0))) static char *vfmt(const char *fmt, va_list ap)
{
        char *s = NULL;
        if (vasprintf(&s, fmt, ap) < 0) {
                fputs("xhybrid: out of memory\n", stderr);
                abort();
        }
        return s;
}

int xh_fail(xh_error *err, int errnum, const char *fmt, ...)
{
        if (err) {
                va_list ap;
                va_start(ap, fmt);
                free(err->msg);
                err->msg = vfmt(fmt, ap);
                va_end(ap);
                err->code = errnum > 0 ? errnum : -errnum;
        }
        return errnum > 0 ? -errnum : errnum;
}

int xh_hint(xh_error *err, int errnum, const char *fmt, ...)
{
        if (err) {
                va_list ap;
                va_start(ap, fmt);
                free(err->hint);
                err->hint = vfmt(fmt, ap);
                va_end(ap);
        }
        return errnum > 0 ? -errnum : errnum;
}

void xh_error_clear(xh_error *err)
{
        free(err->msg);
        free(err->hint);
        err->msg = err->hint = NULL;
        err->code = 0;
}

void *xh_malloc(size_t n)
{
        void *p = calloc(1, n ? n : 1);
        if (!p) {
                fputs("xhybrid: out of memory\n", stderr);
                abort();
        }
        return p;
}

void *xh_realloc(void *p, size_t n)
{
        p = realloc(p, n ? n : 1);
        if (!p) {
                fputs("xhybrid: out of memory\n", stderr);
                abort();
        }
        return p;
}

char *xh_strdup(const char *s)
{
        return s ? xh_strndup(s, strlen(s)) : NULL;
}

char *xh_strndup(const char *s, size_t n)
{
        char *d = xh_malloc(n + 1);
        memcpy(d, s, n);
        d[n] = '\0';
        return d;
}

char *xh_asprintf(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        char *s = vfmt(fmt, ap);
        va_end(ap);
        return s;
}

void xh_buf_addn(xh_buf *b, const char *s, size_t n)
{
        if (b->len + n + 1 > b->cap) {
                size_t cap = b->cap ? b->cap : 64;
                while (cap < b->len + n + 1)
                        cap *= 2;
                b->s = xh_realloc(b->s, cap);
                b->cap = cap;
        }
        memcpy(b->s + b->len, s, n);
        b->len += n;
        b->s[b->len] = '\0';
}

void xh_buf_add(xh_buf *b, const char *s)
{
        xh_buf_addn(b, s, strlen(s));
}

void xh_buf_addf(xh_buf *b, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *s = vfmt(fmt, ap);
        va_end(ap);
        xh_buf_add(b, s);
}

void xh_buf_add_escaped(xh_buf *b, const char *s)
{
        for (; *s; s++) {
                if (*s == ',' || *s == ':' || *s == '\\')
                        xh_buf_addn(b, "\\", 1);
                xh_buf_addn(b, s, 1);
        }
}

char *xh_buf_steal(xh_buf *b)
{
        char *s = b->s ? b->s : xh_strdup("");
        b->s = NULL;
        b->len = b->cap = 0;
        return s;
}

void xh_buf_free(xh_buf *b)
{
        free(b->s);
        b->s = NULL;
        b->len = b->cap = 0;
}

size_t xh_strv_len(char *const *v)
{
        size_t n = 0;
        while (v && v[n])
                n++;
        return n;
}

void xh_strv_push(char ***v, const char *s)
{
        size_t n = xh_strv_len(*v);
        *v = xh_realloc(*v, (n + 2) * sizeof(char *));
        (*v)[n] = xh_strdup(s);
        (*v)[n + 1] = NULL;
}

void xh_strv_pushf(char ***v, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *s = vfmt(fmt, ap);
        va_end(ap);
        xh_strv_push(v, s);
}

bool xh_strv_contains(char *const *v, const char *s)
{
        for (; v && *v; v++)
                if (strcmp(*v, s) == 0)
                        return true;
        return false;
}

char **xh_strv_copy(char *const *v)
{
        char **c = xh_malloc(sizeof(char *));
        for (; v && *v; v++)
                xh_strv_push(&c, *v);
        return c;
}

char **xh_strv_split(const char *s, const char *seps)
{
        char **v = xh_malloc(sizeof(char *));
        while (s && *s) {
                size_t skip = strspn(s, seps);
                s += skip;
                size_t n = strcspn(s, seps);
                if (n == 0)
                        break;
                _cleanup_free_ char *f = xh_strndup(s, n);
                xh_strv_push(&v, f);
                s += n;
        }
        return v;
}

char *xh_strv_join(char *const *v, const char *sep)
{
        xh_buf b = {0};
        for (size_t i = 0; v && v[i]; i++) {
                if (i)
                        xh_buf_add(&b, sep);
                xh_buf_add(&b, v[i]);
        }
        return xh_buf_steal(&b);
}

int xh_mkdir_p(const char *path, unsigned mode)
{
        if (!path || !*path)
                return -ENOENT;
        _cleanup_free_ char *p = xh_strdup(path);
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)ftw;
        if (flag == FTW_DP)
                return rmdir(path) < 0 ? -1 : 0;
        return unlink(path) < 0 ? -1 : 0;
}

int xh_rm_rf(const char *path)
{
        if (!xh_path_exists(path))
                return 0;
        if (nftw(path, rm_one, 64, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0)
                return -errno;
        return 0;
}

bool xh_path_exists(const char *path)
{
        struct stat st;
        return lstat(path, &st) == 0;
}

long long xh_low_space_mib(const char *path, long long limit_mib)
{
        struct statvfs sv;
        if (statvfs(path, &sv) < 0)
                return -1;
        long long mib = (long long)((unsigned long long)sv.f_bavail * sv.f_frsize >> 20);
        return mib < limit_mib ? mib : -1;
}

bool xh_is_dir(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *xh_host_path(void)
{
        const char *path = getenv("PATH");
        return path && *path ? path : XH_DEFAULT_PATH;
}

char *xh_path_lookup(const char *name, const char *path)
{
        for (const char *dir = path;; dir++) {
                size_t n = strcspn(dir, ":");
                _cleanup_free_ char *file =
                        n ? xh_asprintf("%.*s/%s", (int)n, dir, name) : xh_strdup(name);
                struct stat st;
                if (stat(file, &st) == 0 && S_ISREG(st.st_mode) && access(file, X_OK) == 0)
                        return steal_pointer(&file);
                dir += n;
                if (!*dir)
                        return NULL;
        }
}

int xh_read_file(const char *path, char **out, size_t *len)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        xh_buf b = {0};
        int r = xh_read_fd(fd, &b);
        if (r < 0) {
                xh_buf_free(&b);
                return r;
        }
        if (len)
                *len = b.len;
        *out = xh_buf_steal(&b);
        return 0;
}

int xh_openat2(int dirfd, const char *path, int flags, unsigned long long resolve)
{
        struct open_how how = {.flags = (unsigned long long)flags, .resolve = resolve};
        /* Each try that fails with EAGAIN saw a rename or mount during the lookup. */
        for (int tries = 0;; tries++) {
                int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
                if (fd >= 0)
                        return fd;
                if (errno != EAGAIN || tries == 10000)
                        return -errno;
        }
}

int xh_read_fd(int fd, xh_buf *b)
{
        char tmp[4096];
        for (;;) {
                ssize_t n = read(fd, tmp, sizeof(tmp));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return 0;
                xh_buf_addn(b, tmp, (size_t)n);
        }
}

int xh_write_file(const char *path, const char *data, size_t len, unsigned mode)
{
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        if (fd < 0)
                return -errno;
        while (len > 0) {
                ssize_t n = write(fd, data, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                data += n;
                len -= (size_t)n;
        }
        return 0;
}

int xh_send_fd(int sock, int fd)
{
        char byte = 'F';
        struct iovec iov = {.iov_base = &byte, .iov_len = 1};
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int))];
        } c = {0};
        struct msghdr m = {.msg_iov = &iov,
                           .msg_iovlen = 1,
                           .msg_control = c.buf,
                           .msg_controllen = sizeof(c.buf)};
        struct cmsghdr *h = CMSG_FIRSTHDR(&m);
        h->cmsg_level = SOL_SOCKET;
        h->cmsg_type = SCM_RIGHTS;
        h->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(h), &fd, sizeof(int));
        ssize_t n;
        do
                n = sendmsg(sock, &m, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        return n == 1 ? 0 : n < 0 ? -errno : -EIO;
}

int xh_recv_fd(int sock, int *fd)
{
        *fd = -1;
        char byte;
        struct iovec iov = {.iov_base = &byte, .iov_len = 1};
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int))];
        } c = {0};
        struct msghdr m = {.msg_iov = &iov,
                           .msg_iovlen = 1,
                           .msg_control = c.buf,
                           .msg_controllen = sizeof(c.buf)};
        ssize_t n;
        do
                n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        if (n == 0)
                return -EPIPE;
        struct cmsghdr *h = CMSG_FIRSTHDR(&m);
        if (!h || h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS ||
            h->cmsg_len != CMSG_LEN(sizeof(int)) || (m.msg_flags & MSG_CTRUNC))
                return -EBADMSG;
        memcpy(fd, CMSG_DATA(h), sizeof(int));
        return 0;
}

unsigned long long xh_hash64(const char *s)
{
        unsigned long long h = 0xcbf29ce484222325ULL;
        for (; *s; s++) {
                h ^= (unsigned char)*s;
                h *= 1099511628211ULL;
        }
        return h;
}

void xh_note(const struct xh_notes *n, enum xh_note_kind kind, const char *fmt, ...)
{
        if (!n || !n->fn)
                return;
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *s = vfmt(fmt, ap);
        va_end(ap);
        n->fn(n->ctx, kind, s);
}

double xh_now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void xh_log(int level, const char *fmt, ...)
{
        if (level > xh_log_level)
                return;
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *s = vfmt(fmt, ap);
        va_end(ap);
        fprintf(stderr, "xhybrid[%d]: %s\n", (int)getpid(), s);
}
