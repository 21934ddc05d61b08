/* SPDX-License-Identifier: MIT */
/*
 * Compare two build trees made from the same source at the same path in two
 * modes. Every entry of either tree is compared with the entry at the same
 * path in the other: its type, its permission bits, a symbolic link's target
 * (links are never followed), a device's number and a regular file's
 * contents, byte for byte. ELF files and ar archives whose bytes differ are
 * compared section by section (emulator/elfcmp.c), which names what differs.
 * Owners and times are not compared. Whatever cannot be read is a
 * difference, with the reason.
 *
 * The default comparison ignores what differs between any two builds or
 * between the cross and the target compiler, and nothing else (see
 * docs/bench.md): the ELF sections .comment (the compiler's version text,
 * which names its Debian revision) and .note.gnu.build-id (a hash over the
 * file, .comment included), and the contents of config.log, where configure
 * logs the messages of its failing test programs, which name the compiler's
 * temporary files (/tmp/ccXXXXXX.o): two runs of configure never give the
 * same config.log (and in a hybrid build the linker names itself by its path
 * in the toolchain layer there). What configure concluded is in config.status
 * and config.h, which are compared. The strict comparison ignores nothing.
 */
#include "bench.h"
#include "emulator.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static const char *const ignored_sections[] = {".comment", ".note.gnu.build-id", NULL};
static const char *const nothing[] = {NULL};

/* Files whose contents the default comparison skips, by name. */
static const char *const unchecked_files[] = {"config.log", NULL};

char *const *xh_compare_ignored_sections(bool strict)
{
        return (char *const *)(strict ? nothing : ignored_sections);
}

struct walk {
        const char *root[2];
        struct xh_compare *c;
        unsigned char *buf[2]; /* for reading files */
};

#define BUF_SIZE 65536

#define DIFF(w, rel, fmt, ...) xh_strv_pushf(&(w)->c->differences, "%s: " fmt, rel, ##__VA_ARGS__)

static const char *type_name(mode_t mode)
{
        switch (mode & S_IFMT) {
        case S_IFREG:
                return "regular file";
        case S_IFDIR:
                return "directory";
        case S_IFLNK:
                return "symbolic link";
        case S_IFIFO:
                return "FIFO";
        case S_IFSOCK:
                return "socket";
        case S_IFCHR:
                return "character device";
        case S_IFBLK:
                return "block device";
        }
        return "unknown type";
}

static int strv_cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in a directory, sorted; -errno when it cannot be read. */
static int list_dir(const char *path, char ***out)
{
        DIR *d = opendir(path);
        if (!d)
                return -errno;
        char **v = xh_malloc(sizeof(char *));
        struct dirent *e;
        errno = 0;
        while ((e = readdir(d)))
                if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                        xh_strv_push(&v, e->d_name);
        int r = -errno;
        closedir(d);
        if (r < 0) {
                xh_strv_free(v);
                return r;
        }
        qsort(v, xh_strv_len(v), sizeof(char *), strv_cmp);
        *out = v;
        return 0;
}

static char *link_target(const char *path)
{
        for (size_t size = 256;; size *= 2) {
                char *buf = xh_malloc(size);
                ssize_t n = readlink(path, buf, size);
                if (n < 0) {
                        free(buf);
                        return NULL;
                }
                if ((size_t)n < size)
                        return buf;
                free(buf);
        }
}

/* Read up to n bytes; fewer only at the end of the file. */
static ssize_t read_full(int fd, unsigned char *buf, size_t n)
{
        size_t got = 0;
        while (got < n) {
                ssize_t r = read(fd, buf + got, n - got);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return -1;
                if (r == 0)
                        break;
                got += (size_t)r;
        }
        return (ssize_t)got;
}

static bool elf_or_archive(const unsigned char *m, size_t n)
{
        return (n >= 4 && memcmp(m, "\177ELF", 4) == 0) ||
               (n >= 8 && memcmp(m, "!<arch>\n", 8) == 0);
}

struct contents {
        bool same;
        bool elf[2];   /* starts like an ELF file or an ar archive */
        uint64_t at;   /* the offset of the first byte that differs */
        uint64_t line; /* its line, from 1 */
        uint64_t size[2];
};

/* Compare two open files byte for byte; -errno (and which file) when one cannot be read. */
static int same_contents(struct walk *w, const int fd[2], struct contents *r, int *failed)
{
        unsigned char *const *buf = w->buf;
        *r = (struct contents){.same = true, .line = 1};
        for (bool first = true;; first = false) {
                ssize_t n[2];
                for (int k = 0; k < 2; k++) {
                        if ((n[k] = read_full(fd[k], buf[k], BUF_SIZE)) < 0) {
                                *failed = k;
                                return -errno;
                        }
                        r->size[k] += (uint64_t)n[k];
                        if (first)
                                r->elf[k] = elf_or_archive(buf[k], (size_t)n[k]);
                }
                size_t common = (size_t)(n[0] < n[1] ? n[0] : n[1]);
                if (r->same) {
                        size_t i = 0;
                        while (i < common && buf[0][i] == buf[1][i])
                                r->line += buf[0][i++] == '\n';
                        r->at += i;
                        r->same = i == common && n[0] == n[1];
                }
                if (n[0] == 0 && n[1] == 0)
                        return 0;
        }
}

static void compare_file(struct walk *w, const char *rel, const char *pa, const char *pb)
{
        struct xh_compare *c = w->c;
        const char *base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
        c->files++;
        c->config_headers += strcmp(base, "config.h") == 0;
        c->config_status += strcmp(base, "config.status") == 0;
        if (!c->strict && xh_strv_contains((char *const *)unchecked_files, base)) {
                xh_strv_push(&c->not_compared, rel);
                return;
        }

        const char *path[2] = {pa, pb};
        int fd[2], failed = -1;
        for (int k = 0; k < 2; k++)
                if ((fd[k] = open(path[k], O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY)) < 0) {
                        DIFF(w, rel, "unreadable in %s (%s)", w->root[k], strerror(errno));
                        failed = k;
                }
        struct contents r = {0};
        if (failed < 0) {
                int e = -same_contents(w, fd, &r, &failed);
                if (failed >= 0)
                        DIFF(w, rel, "unreadable in %s (%s)", w->root[failed], strerror(e));
        }
        for (int k = 0; k < 2; k++)
                if (fd[k] >= 0)
                        close(fd[k]);
        if (failed >= 0)
                return;
        c->elf_files += r.elf[0] && r.elf[1];
        if (r.same)
                return;
        if (r.elf[0] != r.elf[1]) {
                DIFF(w, rel, "contents differ (an ELF file or archive in %s only)",
                     w->root[r.elf[0] ? 0 : 1]);
                return;
        }
        if (!r.elf[0]) {
                if (r.size[0] == r.size[1])
                        DIFF(w, rel, "contents differ from byte %ju (line %ju)",
                             (uintmax_t)r.at + 1, (uintmax_t)r.line);
                else
                        DIFF(w, rel, "contents differ from byte %ju (line %ju; %ju vs %ju bytes)",
                             (uintmax_t)r.at + 1, (uintmax_t)r.line, (uintmax_t)r.size[0],
                             (uintmax_t)r.size[1]);
                return;
        }

        _cleanup_strv_ char **diffs = NULL;
        xh_error err = {0};
        if (xh_elf_compare(pa, pb, xh_compare_ignored_sections(c->strict), &diffs, &err) < 0) {
                DIFF(w, rel, "unreadable (%s)", err.msg);
                xh_error_clear(&err);
                return;
        }
        for (char **d = diffs; *d; d++)
                DIFF(w, rel, "%s", *d);
        /* Section by section, nothing ignored, finds every byte; this only guards that. */
        if (c->strict && !diffs[0])
                DIFF(w, rel, "contents differ from byte %ju", (uintmax_t)r.at + 1);
}

static void compare_dir(struct walk *w, const char *rel, char *const *la, char *const *lb);

static void compare_entry(struct walk *w, const char *rel)
{
        _cleanup_free_ char *pa = xh_asprintf("%s/%s", w->root[0], rel);
        _cleanup_free_ char *pb = xh_asprintf("%s/%s", w->root[1], rel);
        struct stat sa, sb;
        int ea = lstat(pa, &sa) < 0 ? errno : 0;
        int eb = lstat(pb, &sb) < 0 ? errno : 0;
        if (ea)
                DIFF(w, rel, "unreadable in %s (%s)", w->root[0], strerror(ea));
        if (eb)
                DIFF(w, rel, "unreadable in %s (%s)", w->root[1], strerror(eb));
        if (ea || eb)
                return;
        if ((sa.st_mode & S_IFMT) != (sb.st_mode & S_IFMT)) {
                DIFF(w, rel, "type differs (%s vs %s)", type_name(sa.st_mode),
                     type_name(sb.st_mode));
                return;
        }
        if (!S_ISLNK(sa.st_mode) && (sa.st_mode & 07777) != (sb.st_mode & 07777))
                DIFF(w, rel, "mode differs (%04o vs %04o)", sa.st_mode & 07777, sb.st_mode & 07777);

        switch (sa.st_mode & S_IFMT) {
        case S_IFREG:
                compare_file(w, rel, pa, pb);
                break;
        case S_IFDIR: {
                _cleanup_strv_ char **la = NULL;
                _cleanup_strv_ char **lb = NULL;
                int r = list_dir(pa, &la);
                if (r < 0)
                        DIFF(w, rel, "unreadable in %s (%s)", w->root[0], strerror(-r));
                int r2 = list_dir(pb, &lb);
                if (r2 < 0)
                        DIFF(w, rel, "unreadable in %s (%s)", w->root[1], strerror(-r2));
                w->c->dirs++;
                if (r == 0 && r2 == 0)
                        compare_dir(w, rel, la, lb);
                break;
        }
        case S_IFLNK: {
                _cleanup_free_ char *ta = link_target(pa);
                if (!ta)
                        DIFF(w, rel, "unreadable in %s (%s)", w->root[0], strerror(errno));
                _cleanup_free_ char *tb = link_target(pb);
                if (!tb)
                        DIFF(w, rel, "unreadable in %s (%s)", w->root[1], strerror(errno));
                w->c->symlinks++;
                if (ta && tb && strcmp(ta, tb) != 0)
                        DIFF(w, rel, "symbolic link target differs (%s vs %s)", ta, tb);
                break;
        }
        case S_IFCHR:
        case S_IFBLK:
                w->c->others++;
                if (sa.st_rdev != sb.st_rdev)
                        DIFF(w, rel, "device number differs (%u:%u vs %u:%u)", major(sa.st_rdev),
                             minor(sa.st_rdev), major(sb.st_rdev), minor(sb.st_rdev));
                break;
        default:
                w->c->others++;
                break;
        }
}

/* Merge the sorted listings of a directory in both trees ("" for the roots). */
static void compare_dir(struct walk *w, const char *rel, char *const *la, char *const *lb)
{
        while (*la || *lb) {
                int d = !*la ? 1 : !*lb ? -1 : strcmp(*la, *lb);
                const char *name = d <= 0 ? *la : *lb;
                _cleanup_free_ char *child =
                        *rel ? xh_asprintf("%s/%s", rel, name) : xh_strdup(name);
                if (d < 0)
                        DIFF(w, child, "only in %s", w->root[0]);
                else if (d > 0)
                        DIFF(w, child, "only in %s", w->root[1]);
                else
                        compare_entry(w, child);
                la += d <= 0;
                lb += d >= 0;
        }
}

/* List a tree's root: 0, or -errno when it is not a directory that can be read. */
static int list_root(const char *root, char ***out, xh_error *err)
{
        struct stat st;
        if (stat(root, &st) < 0)
                return xh_fail(err, errno, "%s: %s", root, strerror(errno));
        if (!S_ISDIR(st.st_mode))
                return xh_fail(err, ENOTDIR, "%s: not a directory", root);
        int r = list_dir(root, out);
        if (r < 0)
                return xh_fail(err, -r, "%s: %s", root, strerror(-r));
        return 0;
}

int xh_compare_trees(const char *a, const char *b, bool strict, struct xh_compare *c, xh_error *err)
{
        *c = (struct xh_compare){.strict = strict};
        _cleanup_strv_ char **la = NULL;
        _cleanup_strv_ char **lb = NULL;
        int r = list_root(a, &la, err);
        if (r < 0 || (r = list_root(b, &lb, err)) < 0)
                return r;
        c->differences = xh_malloc(sizeof(char *));
        c->not_compared = xh_malloc(sizeof(char *));
        _cleanup_free_ unsigned char *buf_a = xh_malloc(BUF_SIZE);
        _cleanup_free_ unsigned char *buf_b = xh_malloc(BUF_SIZE);
        struct walk w = {{a, b}, c, {buf_a, buf_b}};
        compare_dir(&w, "", la, lb);
        return 0;
}

char *xh_compare_summary(const struct xh_compare *c)
{
        xh_buf b = {0};
        if (c->packages)
                xh_buf_addf(&b, "%zu Debian package%s: ", c->packages, c->packages == 1 ? "" : "s");
        xh_buf_addf(&b, "%zu file%s, %zu director%s, %zu symbolic link%s", c->files,
                    c->files == 1 ? "" : "s", c->dirs, c->dirs == 1 ? "y" : "ies", c->symlinks,
                    c->symlinks == 1 ? "" : "s");
        if (c->others)
                xh_buf_addf(&b, ", %zu other file%s", c->others, c->others == 1 ? "" : "s");
        xh_buf_addf(&b, "; %zu ELF files and archives compared section by section (ignoring ",
                    c->elf_files);
        char *const *ignored = xh_compare_ignored_sections(c->strict);
        if (!ignored[0])
                xh_buf_add(&b, "nothing");
        for (char *const *s = ignored; *s; s++)
                xh_buf_addf(&b, "%s%s", s == ignored ? "" : s[1] ? ", " : " and ", *s);
        xh_buf_addf(&b, "), %zu config.h, %zu config.status", c->config_headers, c->config_status);
        size_t n = xh_strv_len(c->not_compared);
        if (n)
                xh_buf_addf(&b, "; contents of %zu config.log not compared", n);
        return xh_buf_steal(&b);
}

void xh_compare_clear(struct xh_compare *c)
{
        xh_strv_free(c->differences);
        xh_strv_free(c->not_compared);
        *c = (struct xh_compare){0};
}
