/* SPDX-License-Identifier: MIT */
/*
 * The saved form of a persistent upper, for a store whose file system cannot
 * hold an overlay upper (overlayfs itself: the root file system of a
 * container). The session's upper then lives in its tmpfs: restored from one
 * archive in the store before the overlay is mounted, saved back into it at
 * the session's end.
 *
 * The archive is a POSIX tar file in the pax format (tar -tvf lists it), its
 * entries in the order of a walk of the upper, each directory before what it
 * holds, named relative to the upper ("./", "./etc/", "./etc/hostname"). It
 * keeps everything overlayfs reads from an upper:
 *   - whiteouts (a file of a lower layer deleted) as character devices 0/0.
 *     They are only entries of the archive: on the store's own overlayfs a
 *     0/0 device would itself mean "deleted";
 *   - opaque directories, redirects and the other marks of overlayfs, which
 *     with userxattr are user.overlay.* xattrs, as SCHILY.xattr records,
 *     together with the other xattrs of files and directories (user.*,
 *     security.capability, POSIX ACLs);
 *   - owners, permission bits, mtimes to the nanosecond, hard links,
 *     symlinks, fifos and device nodes.
 * Sockets are left out: they mean nothing once their listeners are gone.
 *
 * Saving writes NAME.new beside NAME, syncs it, renames it over NAME and
 * syncs the directory: NAME holds the old state or the new one, never a mix,
 * whenever the saving process stops. Restoring resolves every name beneath
 * the target directory without following symlinks, so no entry can reach
 * outside it.
 */
#include "overlay.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <search.h>
#include <stdint.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#define BLOCK 512
/* The longest pax header this reader takes: names, links and xattrs (64 KiB each). */
#define MAX_PAX (16u << 20)

struct ustar {
        char name[100];
        char mode[8];
        char uid[8];
        char gid[8];
        char size[12];
        char mtime[12];
        char chksum[8];
        char typeflag;
        char linkname[100];
        char magic[6];
        char version[2];
        char uname[32];
        char gname[32];
        char devmajor[8];
        char devminor[8];
        char prefix[155];
        char pad[12];
};
_Static_assert(sizeof(struct ustar) == BLOCK, "a tar header is one block");

/* The xattrs an upper's files can carry and a session can set again. */
static bool kept_xattr(const char *name)
{
        return strncmp(name, "user.", 5) == 0 || strcmp(name, "security.capability") == 0 ||
               strcmp(name, "system.posix_acl_access") == 0 ||
               strcmp(name, "system.posix_acl_default") == 0;
}

static const char xattr_key[] = "SCHILY.xattr.";

/* ---- writing ------------------------------------------------------------ */

struct link_seen {
        dev_t dev;
        ino_t ino;
        char *path;
};

static int link_cmp(const void *a, const void *b)
{
        const struct link_seen *x = a, *y = b;
        if (x->dev != y->dev)
                return x->dev < y->dev ? -1 : 1;
        if (x->ino != y->ino)
                return x->ino < y->ino ? -1 : 1;
        return 0;
}

static void link_free(void *p)
{
        struct link_seen *l = p;
        free(l->path);
        free(l);
}

struct writer {
        int fd;
        const char *shown; /* the archive's path, for messages */
        char buf[1 << 16];
        size_t len;
        void *links; /* tsearch tree of struct link_seen: files with more than one name */
        struct xh_upper_stats *stats;
        xh_error *err;
};

static int w_flush(struct writer *w)
{
        for (size_t done = 0; done < w->len;) {
                ssize_t n = write(w->fd, w->buf + done, w->len - done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return xh_fail(w->err, errno, "cannot write %s: %s", w->shown,
                                       strerror(errno));
                done += (size_t)n;
        }
        w->stats->archive_bytes += w->len;
        w->len = 0;
        return 0;
}

static int w_put(struct writer *w, const void *p, size_t n)
{
        const char *s = p;
        while (n > 0) {
                if (w->len == sizeof(w->buf)) {
                        int r = w_flush(w);
                        if (r < 0)
                                return r;
                }
                size_t k = sizeof(w->buf) - w->len < n ? sizeof(w->buf) - w->len : n;
                memcpy(w->buf + w->len, s, k);
                w->len += k;
                s += k;
                n -= k;
        }
        return 0;
}

/* Zeros up to the end of the block that holds the last of size bytes. */
static int w_pad(struct writer *w, uint64_t size)
{
        static const char zeros[BLOCK];
        size_t rest = (size_t)(size % BLOCK);
        return rest ? w_put(w, zeros, BLOCK - rest) : 0;
}

/* An octal number in a header field (NUL-terminated); false when it does not fit. */
static bool put_octal(char *field, size_t width, uint64_t v)
{
        if (width - 1 < 22 && v >> (3 * (width - 1)))
                return false;
        field[width - 1] = '\0';
        for (size_t i = width - 1; i > 0; i--, v >>= 3)
                field[i - 1] = (char)('0' + (v & 7));
        return true;
}

static size_t digits(size_t n)
{
        size_t d = 1;
        while (n >= 10) {
                n /= 10;
                d++;
        }
        return d;
}

/* A pax record "LEN KEY=VALUE\n", LEN counting the whole record and itself. */
static void pax_add(xh_buf *b, const char *key, const char *value, size_t vlen)
{
        size_t n = strlen(key) + vlen + 3;
        size_t d = digits(n);
        while (digits(n + d) != d)
                d = digits(n + d);
        xh_buf_addf(b, "%zu %s=", n + d, key);
        xh_buf_addn(b, value, vlen);
        xh_buf_addn(b, "\n", 1);
}

static void set_checksum(struct ustar *h)
{
        memset(h->chksum, ' ', sizeof(h->chksum));
        unsigned sum = 0;
        for (size_t i = 0; i < BLOCK; i++)
                sum += ((const unsigned char *)h)[i];
        snprintf(h->chksum, sizeof(h->chksum), "%06o", sum);
        h->chksum[7] = ' ';
}

static void init_header(struct ustar *h, char type)
{
        memset(h, 0, sizeof(*h));
        h->typeflag = type;
        memcpy(h->magic, "ustar", 6);
        memcpy(h->version, "00", 2);
}

/* The mtime as a pax decimal: seconds and nanoseconds, also before 1970. */
static char *pax_time(const struct timespec *t)
{
        if (t->tv_sec < 0 && t->tv_nsec > 0)
                return xh_asprintf("-%lld.%09ld", -(long long)t->tv_sec - 1,
                                   1000000000L - (long)t->tv_nsec);
        return xh_asprintf("%lld.%09ld", (long long)t->tv_sec, (long)t->tv_nsec);
}

/*
 * One entry: a pax header first when the ustar fields cannot hold it all
 * (long names, nanoseconds, xattrs, big numbers), then the ustar header.
 */
static int put_header(struct writer *w, const char *path, const struct stat *st, char type,
                      const char *link, uint64_t size, const xh_buf *xattrs)
{
        struct ustar h;
        init_header(&h, type);
        xh_buf pax = {0};
        size_t plen = strlen(path);
        memcpy(h.name, path, plen < sizeof(h.name) ? plen : sizeof(h.name));
        if (plen > sizeof(h.name))
                pax_add(&pax, "path", path, plen);
        if (link) {
                size_t llen = strlen(link);
                memcpy(h.linkname, link, llen < sizeof(h.linkname) ? llen : sizeof(h.linkname));
                if (llen > sizeof(h.linkname))
                        pax_add(&pax, "linkpath", link, llen);
        }
        put_octal(h.mode, sizeof(h.mode), st->st_mode & 07777);
        if (!put_octal(h.uid, sizeof(h.uid), st->st_uid)) {
                _cleanup_free_ char *v = xh_asprintf("%u", (unsigned)st->st_uid);
                pax_add(&pax, "uid", v, strlen(v));
        }
        if (!put_octal(h.gid, sizeof(h.gid), st->st_gid)) {
                _cleanup_free_ char *v = xh_asprintf("%u", (unsigned)st->st_gid);
                pax_add(&pax, "gid", v, strlen(v));
        }
        if (!put_octal(h.size, sizeof(h.size), size)) {
                _cleanup_free_ char *v = xh_asprintf("%llu", (unsigned long long)size);
                pax_add(&pax, "size", v, strlen(v));
                put_octal(h.size, sizeof(h.size), 0);
        }
        bool fits = st->st_mtim.tv_sec >= 0 &&
                    put_octal(h.mtime, sizeof(h.mtime), (uint64_t)st->st_mtim.tv_sec);
        if (!fits || st->st_mtim.tv_nsec != 0) {
                _cleanup_free_ char *v = pax_time(&st->st_mtim);
                pax_add(&pax, "mtime", v, strlen(v));
                if (!fits)
                        put_octal(h.mtime, sizeof(h.mtime), 0);
        }
        if (type == '3' || type == '4') {
                put_octal(h.devmajor, sizeof(h.devmajor), major(st->st_rdev));
                put_octal(h.devminor, sizeof(h.devminor), minor(st->st_rdev));
        }
        if (xattrs && xattrs->len)
                xh_buf_addn(&pax, xattrs->s, xattrs->len);

        int r = 0;
        if (pax.len) {
                struct ustar x;
                init_header(&x, 'x');
                memcpy(x.name, "./@PaxHeader", 12);
                put_octal(x.mode, sizeof(x.mode), 0644);
                put_octal(x.uid, sizeof(x.uid), 0);
                put_octal(x.gid, sizeof(x.gid), 0);
                put_octal(x.size, sizeof(x.size), pax.len);
                put_octal(x.mtime, sizeof(x.mtime), 0);
                set_checksum(&x);
                if ((r = w_put(w, &x, BLOCK)) < 0 || (r = w_put(w, pax.s, pax.len)) < 0 ||
                    (r = w_pad(w, pax.len)) < 0) {
                        xh_buf_free(&pax);
                        return r;
                }
        }
        xh_buf_free(&pax);
        set_checksum(&h);
        if ((r = w_put(w, &h, BLOCK)) < 0)
                return r;
        w->stats->entries++;
        return 0;
}

/* The kept xattrs of an open file or directory, as pax records. */
static int read_xattrs(struct writer *w, int fd, const char *path, xh_buf *out)
{
        ssize_t n = flistxattr(fd, NULL, 0);
        if (n < 0 && (errno == ENOTSUP || errno == EOPNOTSUPP))
                return 0;
        _cleanup_free_ char *names = n > 0 ? xh_malloc((size_t)n) : NULL;
        if (n > 0)
                n = flistxattr(fd, names, (size_t)n);
        if (n < 0)
                return xh_fail(w->err, errno, "cannot list the xattrs of %s in the upper: %s", path,
                               strerror(errno));
        for (char *name = names; name && name < names + n; name += strlen(name) + 1) {
                if (!kept_xattr(name))
                        continue;
                ssize_t len = fgetxattr(fd, name, NULL, 0);
                _cleanup_free_ char *value = len >= 0 ? xh_malloc((size_t)len + 1) : NULL;
                if (len > 0)
                        len = fgetxattr(fd, name, value, (size_t)len);
                if (len < 0)
                        return xh_fail(w->err, errno,
                                       "cannot read the xattr %s of %s in the upper: %s", name,
                                       path, strerror(errno));
                _cleanup_free_ char *key = xh_asprintf("%s%s", xattr_key, name);
                pax_add(out, key, value, (size_t)len);
        }
        return 0;
}

/* A regular file's contents, straight from the file into the archive. */
static int put_data(struct writer *w, int fd, const char *path, uint64_t size)
{
        int r = w_flush(w);
        if (r < 0)
                return r;
        for (uint64_t left = size; left > 0;) {
                ssize_t n = sendfile(w->fd, fd, NULL, left > (1u << 30) ? (1u << 30) : left);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return xh_fail(w->err, errno, "cannot copy %s of the upper into %s: %s",
                                       path, w->shown, strerror(errno));
                if (n == 0)
                        return xh_fail(w->err, EIO, "%s in the upper shrank while it was saved",
                                       path);
                left -= (uint64_t)n;
                w->stats->archive_bytes += (uint64_t)n;
        }
        w->stats->data_bytes += size;
        return w_pad(w, size);
}

static int save_tree(struct writer *w, int dirfd, xh_buf *path);

/* One name of the directory at dirfd, whose archive path is path->s + name. */
static int save_entry(struct writer *w, int dirfd, const char *name, xh_buf *path)
{
        size_t mark = path->len;
        xh_buf_add(path, name);
        struct stat st;
        int r = 0;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                r = xh_fail(w->err, errno, "cannot stat %s in the upper: %s", path->s,
                            strerror(errno));
                goto out;
        }
        switch (st.st_mode & S_IFMT) {
        case S_IFDIR: {
                _cleanup_close_ int fd =
                        openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0) {
                        r = xh_fail(w->err, errno, "cannot open %s in the upper: %s", path->s,
                                    strerror(errno));
                        goto out;
                }
                xh_buf_add(path, "/");
                r = save_tree(w, fd, path);
                break;
        }
        case S_IFREG: {
                if (st.st_nlink > 1) {
                        struct link_seen key = {.dev = st.st_dev, .ino = st.st_ino};
                        struct link_seen **found = tfind(&key, &w->links, link_cmp);
                        if (found) {
                                r = put_header(w, path->s, &st, '1', (*found)->path, 0, NULL);
                                break;
                        }
                        struct link_seen *l = xh_malloc(sizeof(*l));
                        *l = (struct link_seen){st.st_dev, st.st_ino, xh_strdup(path->s)};
                        tsearch(l, &w->links, link_cmp);
                }
                _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0 || fstat(fd, &st) < 0) {
                        r = xh_fail(w->err, errno, "cannot open %s in the upper: %s", path->s,
                                    strerror(errno));
                        break;
                }
                xh_buf xattrs = {0};
                if ((r = read_xattrs(w, fd, path->s, &xattrs)) == 0 &&
                    (r = put_header(w, path->s, &st, '0', NULL, (uint64_t)st.st_size, &xattrs)) ==
                            0)
                        r = put_data(w, fd, path->s, (uint64_t)st.st_size);
                xh_buf_free(&xattrs);
                break;
        }
        case S_IFLNK: {
                _cleanup_free_ char *target = xh_malloc((size_t)st.st_size + 2);
                ssize_t n = readlinkat(dirfd, name, target, (size_t)st.st_size + 1);
                if (n < 0 || n > st.st_size) {
                        r = xh_fail(w->err, n < 0 ? errno : EIO, "cannot read the link %s: %s",
                                    path->s, n < 0 ? strerror(errno) : "it changed");
                        break;
                }
                target[n] = '\0';
                r = put_header(w, path->s, &st, '2', target, 0, NULL);
                break;
        }
        case S_IFCHR:
                r = put_header(w, path->s, &st, '3', NULL, 0, NULL);
                break;
        case S_IFBLK:
                r = put_header(w, path->s, &st, '4', NULL, 0, NULL);
                break;
        case S_IFIFO:
                r = put_header(w, path->s, &st, '6', NULL, 0, NULL);
                break;
        default: /* a socket */
                w->stats->skipped++;
                break;
        }
out:
        path->len = mark;
        path->s[mark] = '\0';
        return r;
}

static int name_cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The directory at dirfd (its own entry first), then what it holds, by name. */
static int save_tree(struct writer *w, int dirfd, xh_buf *path)
{
        struct stat st;
        if (fstat(dirfd, &st) < 0)
                return xh_fail(w->err, errno, "cannot stat %s in the upper: %s", path->s,
                               strerror(errno));
        xh_buf xattrs = {0};
        int r = read_xattrs(w, dirfd, path->s, &xattrs);
        if (r == 0)
                r = put_header(w, path->s, &st, '5', NULL, 0, &xattrs);
        xh_buf_free(&xattrs);
        if (r < 0)
                return r;

        int dup_fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
        DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
        if (!d) {
                int e = errno;
                if (dup_fd >= 0)
                        close(dup_fd);
                return xh_fail(w->err, e, "cannot read %s in the upper: %s", path->s, strerror(e));
        }
        _cleanup_strv_ char **names = xh_malloc(sizeof(char *));
        struct dirent *e;
        errno = 0;
        while ((e = readdir(d))) {
                if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                        xh_strv_push(&names, e->d_name);
                errno = 0;
        }
        int rerr = errno;
        closedir(d);
        if (rerr)
                return xh_fail(w->err, rerr, "cannot read %s in the upper: %s", path->s,
                               strerror(rerr));
        qsort(names, xh_strv_len(names), sizeof(char *), name_cmp);
        for (char **n = names; *n && r == 0; n++)
                r = save_entry(w, dirfd, *n, path);
        return r;
}

int xh_upper_save(int upper_fd, int dir_fd, const char *name, const char *shown,
                  struct xh_upper_stats *stats, xh_error *err)
{
        struct xh_upper_stats local = {0};
        if (!stats)
                stats = &local;
        *stats = (struct xh_upper_stats){0};
        _cleanup_free_ char *tmp = xh_asprintf("%s.new", name);
        _cleanup_free_ char *tmp_shown = xh_asprintf("%s.new", shown);
        _cleanup_close_ int fd =
                openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
                xh_fail(err, errno, "cannot create %s: %s", tmp_shown, strerror(errno));
                return xh_hint(err, errno,
                               "the session's changes are lost; %s still holds the state from "
                               "before it",
                               shown);
        }
        struct writer *w = xh_malloc(sizeof(*w));
        w->fd = fd;
        w->shown = tmp_shown;
        w->stats = stats;
        w->err = err;
        xh_buf path = {0};
        xh_buf_add(&path, "./");
        int r = save_tree(w, upper_fd, &path);
        xh_buf_free(&path);
        tdestroy(w->links, link_free);
        static const char end[2 * BLOCK];
        if (r == 0 && (r = w_put(w, end, sizeof(end))) == 0)
                r = w_flush(w);
        free(w);
        if (r == 0 && fsync(fd) < 0)
                r = xh_fail(err, errno, "cannot write %s to disk: %s", tmp_shown, strerror(errno));
        if (r == 0 && renameat(dir_fd, tmp, dir_fd, name) < 0)
                r = xh_fail(err, errno, "cannot rename %s to %s: %s", tmp_shown, shown,
                            strerror(errno));
        if (r < 0) {
                unlinkat(dir_fd, tmp, 0);
                bool space = r == -ENOSPC || r == -EDQUOT || r == -EFBIG;
                return xh_hint(err, r,
                               "the session's changes are lost; %s still holds the state from "
                               "before it%s",
                               shown,
                               space ? " (free space on its file system: a save writes the new "
                                       "archive before it replaces the old one)"
                                     : "");
        }
        /* The rename is durable once the directory is. */
        if (fsync(dir_fd) < 0)
                return xh_fail(err, errno, "cannot write the directory of %s to disk: %s", shown,
                               strerror(errno));
        return 0;
}

/* ---- reading ------------------------------------------------------------ */

struct xattr_rec {
        char *name;
        char *value;
        size_t len;
};

/* One entry as read: the ustar header with what a pax header before it set. */
struct arc_entry {
        struct xh_upper_entry pub;
        char *path;
        char *link;
        uid_t uid;
        gid_t gid;
        struct timespec mtime;
        struct xattr_rec *xattrs;
        size_t nxattrs;
};

/* What extended headers said about the entry that follows them. */
struct pax {
        char *path, *link; /* pax path/linkpath, or GNU L/K names */
        uint64_t size, uid, gid;
        struct timespec mtime;
        bool has_size, has_uid, has_gid, has_mtime;
};

static void entry_clear(struct arc_entry *e)
{
        free(e->path);
        free(e->link);
        for (size_t i = 0; i < e->nxattrs; i++) {
                free(e->xattrs[i].name);
                free(e->xattrs[i].value);
        }
        free(e->xattrs);
        *e = (struct arc_entry){0};
}

struct reader {
        int fd;
        const char *shown;
        off_t off;
        off_t size;
        xh_error *err;
};

static int corrupt(struct reader *rd, off_t at, const char *what)
{
        xh_fail(rd->err, EINVAL, "%s is not a saved upper that xhybrid can read: %s at byte %lld",
                rd->shown, what, (long long)at);
        return xh_hint(rd->err, EINVAL,
                       "move it away to start again from the root's own state (the changes it "
                       "holds are then no longer used): mv %s %s.broken",
                       rd->shown, rd->shown);
}

static int read_exact(struct reader *rd, void *buf, size_t n, off_t at)
{
        size_t done = 0;
        while (done < n) {
                ssize_t got = pread(rd->fd, (char *)buf + done, n - done, at + (off_t)done);
                if (got < 0 && errno == EINTR)
                        continue;
                if (got < 0)
                        return xh_fail(rd->err, errno, "cannot read %s: %s", rd->shown,
                                       strerror(errno));
                if (got == 0)
                        return corrupt(rd, at, "the archive ends in the middle of an entry");
                done += (size_t)got;
        }
        return 0;
}

/* A number of a header field: octal digits, ended by NUL or space. */
static bool get_octal(const char *field, size_t width, uint64_t *out)
{
        size_t i = 0;
        while (i < width && field[i] == ' ')
                i++;
        uint64_t v = 0;
        for (; i < width && field[i] >= '0' && field[i] <= '7'; i++) {
                if (v >> 60)
                        return false;
                v = v * 8 + (uint64_t)(field[i] - '0');
        }
        if (i < width && field[i] != '\0' && field[i] != ' ')
                return false;
        *out = v;
        return true;
}

static bool checksum_ok(const struct ustar *h)
{
        uint64_t want;
        if (!get_octal(h->chksum, sizeof(h->chksum), &want))
                return false;
        unsigned usum = 0;
        int ssum = 0;
        for (size_t i = 0; i < BLOCK; i++) {
                bool in_field = i >= offsetof(struct ustar, chksum) &&
                                i < offsetof(struct ustar, chksum) + sizeof(h->chksum);
                unsigned char c = in_field ? ' ' : ((const unsigned char *)h)[i];
                usum += c;
                ssum += (signed char)c;
        }
        return want == usum || (ssum >= 0 && want == (uint64_t)ssum);
}

static bool parse_u64(const char *s, size_t n, uint64_t *out)
{
        if (n == 0 || n > 20)
                return false;
        uint64_t v = 0;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - 9) / 10)
                        return false;
                v = v * 10 + (uint64_t)(s[i] - '0');
        }
        *out = v;
        return true;
}

/* "SECONDS[.FRACTION]", possibly negative. */
static bool parse_time(const char *s, size_t n, struct timespec *t)
{
        bool neg = n > 0 && s[0] == '-';
        if (neg) {
                s++;
                n--;
        }
        size_t ip = 0;
        while (ip < n && s[ip] != '.')
                ip++;
        uint64_t sec;
        if (!parse_u64(s, ip, &sec) || sec > INT64_MAX / 2)
                return false;
        long nsec = 0;
        long scale = 100000000L;
        for (size_t i = ip + 1; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                nsec += (s[i] - '0') * scale;
                scale /= 10;
        }
        t->tv_sec = neg ? -(time_t)sec : (time_t)sec;
        t->tv_nsec = nsec;
        if (neg && nsec > 0) {
                t->tv_sec -= 1;
                t->tv_nsec = 1000000000L - nsec;
        }
        return true;
}

/* The records of a pax header: into px, and the xattrs into e. */
static int parse_pax(struct reader *rd, off_t at, const char *p, size_t n, struct pax *px,
                     struct arc_entry *e)
{
        const char *end = p + n;
        while (p < end && *p) {
                const char *sp = memchr(p, ' ', (size_t)(end - p));
                uint64_t len;
                if (!sp || !parse_u64(p, (size_t)(sp - p), &len) || len > (uint64_t)(end - p) ||
                    len < (uint64_t)(sp - p) + 3 || p[len - 1] != '\n')
                        return corrupt(rd, at, "a malformed pax record");
                const char *key = sp + 1;
                const char *rec_end = p + len - 1;
                const char *eq = memchr(key, '=', (size_t)(rec_end - key));
                if (!eq)
                        return corrupt(rd, at, "a pax record without '='");
                size_t klen = (size_t)(eq - key);
                const char *v = eq + 1;
                size_t vlen = (size_t)(rec_end - v);
#define KEY(s) (klen == sizeof(s) - 1 && memcmp(key, s, klen) == 0)
                bool ok = true;
                if (KEY("path")) {
                        free(px->path);
                        px->path = xh_strndup(v, vlen);
                } else if (KEY("linkpath")) {
                        free(px->link);
                        px->link = xh_strndup(v, vlen);
                } else if (KEY("size")) {
                        ok = px->has_size = parse_u64(v, vlen, &px->size);
                } else if (KEY("uid")) {
                        ok = px->has_uid = parse_u64(v, vlen, &px->uid) && px->uid <= UINT32_MAX;
                } else if (KEY("gid")) {
                        ok = px->has_gid = parse_u64(v, vlen, &px->gid) && px->gid <= UINT32_MAX;
                } else if (KEY("mtime")) {
                        ok = px->has_mtime = parse_time(v, vlen, &px->mtime);
                } else if (klen > sizeof(xattr_key) - 1 &&
                           memcmp(key, xattr_key, sizeof(xattr_key) - 1) == 0) {
                        e->xattrs = xh_realloc(e->xattrs, (e->nxattrs + 1) * sizeof(*e->xattrs));
                        e->xattrs[e->nxattrs++] = (struct xattr_rec){
                                .name = xh_strndup(key + sizeof(xattr_key) - 1,
                                                   klen - (sizeof(xattr_key) - 1)),
                                .value = xh_strndup(v, vlen),
                                .len = vlen,
                        };
                }
#undef KEY
                if (!ok)
                        return corrupt(rd, at, "a pax record with a bad number");
                p += len;
        }
        return 0;
}

/*
 * A path of the archive as a name relative to the upper: "./a/b/" -> "a/b",
 * "./" -> "". Only plain relative names: no "..", no ".", no empty components.
 */
static bool relative_name(const char *in, char **out)
{
        if (in[0] == '/')
                return false;
        if (in[0] == '.' && (in[1] == '/' || in[1] == '\0'))
                in++;
        while (*in == '/')
                in++;
        size_t n = strlen(in);
        while (n > 0 && in[n - 1] == '/')
                n--;
        _cleanup_free_ char *rel = xh_strndup(in, n);
        for (const char *s = rel; *s;) {
                size_t k = strcspn(s, "/");
                if (k == 0 || (k == 1 && s[0] == '.') || (k == 2 && s[0] == '.' && s[1] == '.'))
                        return false;
                s += k;
                if (*s == '/' && !*++s)
                        return false;
        }
        *out = steal_pointer(&rel);
        return true;
}

static off_t blocks(uint64_t size)
{
        return (off_t)((size + BLOCK - 1) / BLOCK * BLOCK);
}

/* The ustar header h (at offset at) with what px set, into e. */
static int take_header(struct reader *rd, off_t at, const struct ustar *h, struct pax *px,
                       struct arc_entry *e)
{
        mode_t type;
        bool regular = false;
        switch (h->typeflag) {
        case '0':
        case '\0':
        case '7':
                regular = true;
                type = S_IFREG;
                break;
        case '1':
                type = S_IFREG;
                break;
        case '2':
                type = S_IFLNK;
                break;
        case '3':
                type = S_IFCHR;
                break;
        case '4':
                type = S_IFBLK;
                break;
        case '5':
                type = S_IFDIR;
                break;
        case '6':
                type = S_IFIFO;
                break;
        default:
                return corrupt(rd, at, "an entry of an unknown type");
        }
        bool dev = type == S_IFCHR || type == S_IFBLK;
        uint64_t mode, uid, gid, mtime, size, dmaj = 0, dmin = 0;
        if (!get_octal(h->mode, sizeof(h->mode), &mode) ||
            !get_octal(h->uid, sizeof(h->uid), &uid) || !get_octal(h->gid, sizeof(h->gid), &gid) ||
            !get_octal(h->mtime, sizeof(h->mtime), &mtime) ||
            !get_octal(h->size, sizeof(h->size), &size) ||
            (dev && (!get_octal(h->devmajor, sizeof(h->devmajor), &dmaj) ||
                     !get_octal(h->devminor, sizeof(h->devminor), &dmin))))
                return corrupt(rd, at, "a header with a bad number");

        _cleanup_free_ char *raw = NULL;
        if (px->path)
                raw = xh_strdup(px->path);
        else if (h->prefix[0] && memcmp(h->magic, "ustar", 5) == 0)
                raw = xh_asprintf("%.*s/%.*s", (int)strnlen(h->prefix, sizeof(h->prefix)),
                                  h->prefix, (int)strnlen(h->name, sizeof(h->name)), h->name);
        else
                raw = xh_strndup(h->name, strnlen(h->name, sizeof(h->name)));
        if (!relative_name(raw, &e->path))
                return corrupt(rd, at, "an entry whose name leaves the upper");
        if (h->typeflag == '1' || h->typeflag == '2') {
                const char *l = px->link;
                _cleanup_free_ char *field =
                        l ? NULL
                          : xh_strndup(h->linkname, strnlen(h->linkname, sizeof(h->linkname)));
                if (h->typeflag == '2')
                        e->link = xh_strdup(l ? l : field);
                else if (!relative_name(l ? l : field, &e->link) || !*e->link)
                        return corrupt(rd, at, "a hard link out of the upper");
        }
        e->uid = (uid_t)(px->has_uid ? px->uid : uid);
        e->gid = (gid_t)(px->has_gid ? px->gid : gid);
        e->mtime = px->has_mtime ? px->mtime : (struct timespec){.tv_sec = (time_t)mtime};
        /* Only regular files have contents in the archive. */
        size = regular ? (px->has_size ? px->size : size) : 0;
        if (size > (uint64_t)(rd->size - rd->off))
                return corrupt(rd, at, "an entry longer than the archive");
        e->pub = (struct xh_upper_entry){
                .path = e->path,
                .mode = type | (mode_t)(mode & 07777),
                .hardlink = h->typeflag == '1',
                .link = e->link,
                .rdev = makedev((unsigned)dmaj, (unsigned)dmin),
                .size = size,
                .archive_fd = rd->fd,
                .offset = (uint64_t)rd->off,
        };
        rd->off += blocks(size);
        return 1;
}

/* The next entry into e: 1, or 0 at the end of the archive, or -errno. */
static int next_entry(struct reader *rd, struct arc_entry *e)
{
        entry_clear(e);
        struct pax px = {0};
        int r;
        for (;;) {
                off_t at = rd->off;
                struct ustar h;
                if (at + BLOCK > rd->size) {
                        r = corrupt(rd, at, "the archive ends without its end marker");
                        break;
                }
                if ((r = read_exact(rd, &h, BLOCK, at)) < 0)
                        break;
                static const char zero[BLOCK];
                if (memcmp(&h, zero, BLOCK) == 0) {
                        r = 0;
                        break;
                }
                if (!checksum_ok(&h)) {
                        r = corrupt(rd, at, "a header with a bad checksum");
                        break;
                }
                rd->off += BLOCK;
                char t = h.typeflag;
                if (t != 'x' && t != 'g' && t != 'L' && t != 'K') {
                        r = take_header(rd, at, &h, &px, e);
                        break;
                }
                /* An extended header: pax records (x, g) or a GNU long name (L, K). */
                uint64_t size;
                if (!get_octal(h.size, sizeof(h.size), &size) || size > MAX_PAX) {
                        r = corrupt(rd, at, "an extended header of a bad size");
                        break;
                }
                _cleanup_free_ char *buf = xh_malloc((size_t)size + 1);
                if ((r = read_exact(rd, buf, (size_t)size, rd->off)) < 0)
                        break;
                rd->off += blocks(size);
                if (t == 'x' && (r = parse_pax(rd, at, buf, (size_t)size, &px, e)) < 0)
                        break;
                char **name = t == 'L' ? &px.path : t == 'K' ? &px.link : NULL;
                if (name) {
                        free(*name);
                        *name = xh_strndup(buf, strnlen(buf, (size_t)size));
                }
        }
        free(px.path);
        free(px.link);
        return r;
}

static int open_reader(struct reader *rd, int fd, const char *shown, xh_error *err)
{
        struct stat st;
        *rd = (struct reader){.fd = fd, .shown = shown, .err = err};
        if (fstat(fd, &st) < 0)
                return xh_fail(err, errno, "cannot read %s: %s", shown, strerror(errno));
        if (!S_ISREG(st.st_mode))
                return xh_fail(err, EINVAL, "%s is not a regular file", shown);
        rd->size = st.st_size;
        return 0;
}

int xh_upper_walk(int archive_fd, const char *shown, xh_upper_walk_fn fn, void *ctx, xh_error *err)
{
        struct reader rd;
        int r = open_reader(&rd, archive_fd, shown, err);
        if (r < 0)
                return r;
        struct arc_entry e = {0};
        while ((r = next_entry(&rd, &e)) > 0)
                if ((r = fn(ctx, &e.pub, err)) < 0)
                        break;
        entry_clear(&e);
        return r < 0 ? r : 0;
}

int xh_upper_entry_read(const struct xh_upper_entry *e, char **data, size_t *len)
{
        if (!S_ISREG(e->mode) || e->hardlink || e->size > SIZE_MAX - 1)
                return -EINVAL;
        char *buf = xh_malloc((size_t)e->size + 1);
        for (size_t done = 0; done < e->size;) {
                ssize_t n = pread(e->archive_fd, buf + done, (size_t)e->size - done,
                                  (off_t)(e->offset + done));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        int er = n < 0 ? errno : EIO;
                        free(buf);
                        return -er;
                }
                done += (size_t)n;
        }
        buf[e->size] = '\0';
        *data = buf;
        if (len)
                *len = (size_t)e->size;
        return 0;
}

/* ---- restoring ---------------------------------------------------------- */

static int openat2_beneath(int root, const char *rel)
{
        return xh_openat2(root, *rel ? rel : ".", O_PATH | O_DIRECTORY | O_CLOEXEC,
                          RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
                                  RESOLVE_NO_XDEV);
}

struct dir_time {
        char *path;
        struct timespec mtime;
};

struct restorer {
        struct reader rd;
        int upper_fd;
        char *parent; /* the directory of the last entry, and an O_PATH fd of it */
        int parent_fd;
        struct dir_time *dirs; /* mtimes set last: every entry made changes its directory's */
        size_t ndirs;
        struct xh_upper_stats *stats;
};

static int restore_fail(struct restorer *rs, const char *path, const char *what, int e)
{
        xh_fail(rs->rd.err, e, "cannot restore ./%s of %s into the session: %s: %s", path,
                rs->rd.shown, what, strerror(e));
        if (e == ENOSPC)
                return xh_hint(rs->rd.err, e,
                               "the session's tmpfs holds the whole upper in memory: free "
                               "memory, or move %s away to start again from the root",
                               rs->rd.shown);
        if (e == EINVAL || e == EPERM)
                return xh_hint(rs->rd.err, e,
                               "the session maps fewer ids than the one that saved %s: run as "
                               "the same user, or move it away to start again from the root",
                               rs->rd.shown);
        return xh_hint(rs->rd.err, e,
                       "run 'xhybrid doctor'; moving %s away starts again from the root",
                       rs->rd.shown);
}

/* Split path into its directory (an O_PATH fd beneath the upper) and its last name. */
static int open_parent(int upper_fd, const char *path, const char **leaf, char **dir)
{
        const char *slash = strrchr(path, '/');
        *dir = slash ? xh_strndup(path, (size_t)(slash - path)) : xh_strdup("");
        *leaf = slash ? slash + 1 : path;
        return openat2_beneath(upper_fd, *dir);
}

/* The parent of path, kept open for the next entries of the same directory. */
static int parent_of(struct restorer *rs, const char *path, const char **leaf)
{
        const char *slash = strrchr(path, '/');
        size_t n = slash ? (size_t)(slash - path) : 0;
        if (rs->parent && strlen(rs->parent) == n && strncmp(rs->parent, path, n) == 0) {
                *leaf = slash ? slash + 1 : path;
                return rs->parent_fd;
        }
        char *dir = NULL;
        int fd = open_parent(rs->upper_fd, path, leaf, &dir);
        if (fd < 0) {
                free(dir);
                return fd;
        }
        if (rs->parent_fd >= 0)
                close(rs->parent_fd);
        free(rs->parent);
        rs->parent = dir;
        rs->parent_fd = fd;
        return fd;
}

/* Owner, then mode (a chown clears set-id bits), then xattrs (capabilities last). */
static int set_meta(struct restorer *rs, const struct arc_entry *e, int fd)
{
        if (fchown(fd, e->uid, e->gid) < 0)
                return restore_fail(rs, e->path, "chown", errno);
        if (fchmod(fd, e->pub.mode & 07777) < 0)
                return restore_fail(rs, e->path, "chmod", errno);
        for (size_t i = 0; i < e->nxattrs; i++) {
                const struct xattr_rec *x = &e->xattrs[i];
                if (!kept_xattr(x->name))
                        continue;
                if (fsetxattr(fd, x->name, x->value, x->len, 0) < 0) {
                        _cleanup_free_ char *what = xh_asprintf("xattr %s", x->name);
                        return restore_fail(rs, e->path, what, errno);
                }
        }
        return 0;
}

static int restore_data(struct restorer *rs, const struct arc_entry *e, int fd)
{
        off_t at = (off_t)e->pub.offset;
        for (uint64_t left = e->pub.size; left > 0;) {
                ssize_t n = sendfile(fd, rs->rd.fd, &at, left > (1u << 30) ? (1u << 30) : left);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return restore_fail(rs, e->path, "write", n < 0 ? errno : EIO);
                left -= (uint64_t)n;
        }
        rs->stats->data_bytes += e->pub.size;
        return 0;
}

static void keep_dir_time(struct restorer *rs, const struct arc_entry *e)
{
        rs->dirs = xh_realloc(rs->dirs, (rs->ndirs + 1) * sizeof(*rs->dirs));
        rs->dirs[rs->ndirs++] = (struct dir_time){xh_strdup(e->path), e->mtime};
}

static int restore_entry(struct restorer *rs, const struct arc_entry *e)
{
        const struct timespec times[2] = {{.tv_nsec = UTIME_OMIT}, e->mtime};
        mode_t type = e->pub.mode & S_IFMT;
        rs->stats->entries++;
        if (!*e->path) {
                /* The upper itself: the merged root takes its owner, mode and xattrs. */
                if (type != S_IFDIR)
                        return restore_fail(rs, "", "not a directory", EINVAL);
                int r = set_meta(rs, e, rs->upper_fd);
                if (r == 0)
                        keep_dir_time(rs, e);
                return r;
        }
        const char *leaf;
        int pfd = parent_of(rs, e->path, &leaf);
        if (pfd < 0)
                return restore_fail(rs, e->path, "its directory", -pfd);

        if (e->pub.hardlink) {
                const char *tleaf;
                _cleanup_free_ char *tdir = NULL;
                _cleanup_close_ int tfd = open_parent(rs->upper_fd, e->link, &tleaf, &tdir);
                if (tfd < 0)
                        return restore_fail(rs, e->path, "hard link", -tfd);
                if (linkat(tfd, tleaf, pfd, leaf, 0) < 0)
                        return restore_fail(rs, e->path, "hard link", errno);
                return 0;
        }
        switch (type) {
        case S_IFDIR: {
                if (mkdirat(pfd, leaf, 0700) < 0)
                        return restore_fail(rs, e->path, "mkdir", errno);
                _cleanup_close_ int fd =
                        openat(pfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return restore_fail(rs, e->path, "open", errno);
                int r = set_meta(rs, e, fd);
                if (r == 0)
                        keep_dir_time(rs, e);
                return r;
        }
        case S_IFREG: {
                _cleanup_close_ int fd = openat(
                        pfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (fd < 0)
                        return restore_fail(rs, e->path, "create", errno);
                int r = restore_data(rs, e, fd);
                if (r == 0)
                        r = set_meta(rs, e, fd);
                if (r == 0 && futimens(fd, times) < 0)
                        r = restore_fail(rs, e->path, "set its mtime", errno);
                return r;
        }
        case S_IFLNK:
                if (symlinkat(e->link, pfd, leaf) < 0)
                        return restore_fail(rs, e->path, "symlink", errno);
                break;
        default:
                /* Whiteouts (0/0) need no privilege; other devices would need CAP_MKNOD. */
                if (mknodat(pfd, leaf, type | 0600, e->pub.rdev) < 0)
                        return restore_fail(rs, e->path, "mknod", errno);
                if (fchmodat(pfd, leaf, e->pub.mode & 07777, 0) < 0)
                        return restore_fail(rs, e->path, "chmod", errno);
                break;
        }
        if (fchownat(pfd, leaf, e->uid, e->gid, AT_SYMLINK_NOFOLLOW) < 0)
                return restore_fail(rs, e->path, "chown", errno);
        if (utimensat(pfd, leaf, times, AT_SYMLINK_NOFOLLOW) < 0)
                return restore_fail(rs, e->path, "set its mtime", errno);
        return 0;
}

/* A directory's mtime, which the entries made in it have changed, set again. */
static int restore_dir_time(struct restorer *rs, const struct dir_time *d)
{
        const struct timespec times[2] = {{.tv_nsec = UTIME_OMIT}, d->mtime};
        if (!*d->path)
                return futimens(rs->upper_fd, times) < 0
                               ? restore_fail(rs, "", "set its mtime", errno)
                               : 0;
        const char *leaf;
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int pfd = open_parent(rs->upper_fd, d->path, &leaf, &dir);
        if (pfd < 0)
                return restore_fail(rs, d->path, "its directory", -pfd);
        if (utimensat(pfd, leaf, times, AT_SYMLINK_NOFOLLOW) < 0)
                return restore_fail(rs, d->path, "set its mtime", errno);
        return 0;
}

int xh_upper_restore(int archive_fd, const char *shown, int upper_fd, struct xh_upper_stats *stats,
                     xh_error *err)
{
        struct xh_upper_stats local = {0};
        if (!stats)
                stats = &local;
        *stats = (struct xh_upper_stats){0};
        struct restorer rs = {.upper_fd = upper_fd, .parent_fd = -1, .stats = stats};
        int r = open_reader(&rs.rd, archive_fd, shown, err);
        if (r < 0)
                return r;
        stats->archive_bytes = (uint64_t)rs.rd.size;
        struct arc_entry e = {0};
        while ((r = next_entry(&rs.rd, &e)) > 0)
                if ((r = restore_entry(&rs, &e)) < 0)
                        break;
        entry_clear(&e);
        /* Deepest first, though setting one mtime changes no other. */
        for (size_t i = rs.ndirs; i > 0; i--) {
                if (r >= 0)
                        r = restore_dir_time(&rs, &rs.dirs[i - 1]);
                free(rs.dirs[i - 1].path);
        }
        free(rs.dirs);
        if (rs.parent_fd >= 0)
                close(rs.parent_fd);
        free(rs.parent);
        return r < 0 ? r : 0;
}
