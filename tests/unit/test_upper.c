/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for overlay/upper.c, the saved form of a persistent upper: a
 * tree with everything overlayfs keeps in an upper (whiteouts, opaque
 * directories as user.overlay.* xattrs, hard links, symlinks, fifos, owners,
 * set-id bits, nanosecond and pre-1970 mtimes, long names) saved and
 * restored must come back the same; GNU tar must read the archive and the
 * restore must read GNU tar's; a failed save must leave the old archive
 * whole; damaged or hostile archives must be refused without writing
 * anything outside the target directory. Runs unprivileged except for the
 * owners and set-id bits, which are checked as root only.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "overlay.h"

/* ---- helpers ------------------------------------------------------------ */

static char *scratch_dir(const char *what)
{
        char *d = xh_asprintf("/tmp/xh-test-upper-%s.XXXXXX", what);
        ck_assert_ptr_nonnull(mkdtemp(d));
        return d;
}

static void put(const char *root, const char *rel, const char *data, size_t len, mode_t mode)
{
        _cleanup_free_ char *p = xh_asprintf("%s/%s", root, rel);
        ck_assert_int_eq(xh_write_file(p, data, len, mode), 0);
        ck_assert_int_eq(chmod(p, mode), 0);
}

static void set_mtime(const char *root, const char *rel, time_t sec, long nsec)
{
        _cleanup_free_ char *p = xh_asprintf("%s/%s", root, rel);
        const struct timespec t[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_sec = sec, .tv_nsec = nsec}};
        ck_assert_int_eq(utimensat(AT_FDCWD, p, t, AT_SYMLINK_NOFOLLOW), 0);
}

static void xattr(const char *root, const char *rel, const char *name, const char *v, size_t n)
{
        _cleanup_free_ char *p = xh_asprintf("%s/%s", root, rel);
        ck_assert_msg(lsetxattr(p, name, v, n, 0) == 0, "setxattr %s on %s: %s", name, p,
                      strerror(errno));
}

#define LONG_DIR  "a-directory-with-a-name-long-enough-to-push-paths-past-ustar-limits"
#define LONG_FILE "and-a-file-whose-name-makes-the-path-longer-than-one-hundred-bytes.txt"
#define LONG_LINK                                                                                  \
        "../../a/target/of/a/symlink/that/is/longer/than/the/one/hundred/bytes/of/the/"            \
        "ustar/linkname/field/so/a/pax/record/carries/it"

/*
 * A tree as overlayfs leaves an upper, with one of everything. Returns the
 * number of sockets in it (left out of an archive).
 */
static int make_upper(const char *t)
{
        bool root = geteuid() == 0;
        _cleanup_free_ char *a = xh_asprintf("%s/a", t);
        _cleanup_free_ char *o = xh_asprintf("%s/a/opaque", t);
        _cleanup_free_ char *l = xh_asprintf("%s/" LONG_DIR, t);
        ck_assert_int_eq(mkdir(a, 0750), 0);
        ck_assert_int_eq(mkdir(o, 0755), 0);
        ck_assert_int_eq(mkdir(l, 0700), 0);
        put(t, "a/file", "hello\n", 6, 0640);
        put(t, "a/empty", "", 0, 0600);
        char big[70001];
        for (size_t i = 0; i < sizeof(big); i++)
                big[i] = (char)(i * 7 + i / 511);
        put(t, "a/big", big, sizeof(big), 0644);
        put(t, "a/block", big, 512, 0644);
        put(t, "a/opaque/only", "only\n", 5, 0644);
        put(t, LONG_DIR "/" LONG_FILE, "long\n", 5, 0644);
        /* Opaque: the one mark overlayfs puts on a directory it made over a lower one. */
        xattr(t, "a/opaque", "user.overlay.opaque", "y", 1);
        xattr(t, "a/file", "user.test", "bin\0\1=\n", 7);
        xattr(t, ".", "user.overlay.origin-like", "\0\0\xff", 3);

        _cleanup_free_ char *gone = xh_asprintf("%s/a/gone", t);
        ck_assert_msg(mknod(gone, S_IFCHR | 0, makedev(0, 0)) == 0, "whiteout: %s",
                      strerror(errno));
        _cleanup_free_ char *fifo = xh_asprintf("%s/a/fifo", t);
        ck_assert_int_eq(mkfifo(fifo, 0620), 0);
        ck_assert_int_eq(chmod(fifo, 0620), 0);
        _cleanup_free_ char *file = xh_asprintf("%s/a/file", t);
        _cleanup_free_ char *hard = xh_asprintf("%s/a/hard", t);
        _cleanup_free_ char *hard2 = xh_asprintf("%s/" LONG_DIR "/hard-too", t);
        ck_assert_int_eq(link(file, hard), 0);
        ck_assert_int_eq(link(file, hard2), 0);
        _cleanup_free_ char *sym = xh_asprintf("%s/a/link", t);
        _cleanup_free_ char *lsym = xh_asprintf("%s/a/long-link", t);
        ck_assert_int_eq(symlink("file", sym), 0);
        ck_assert_int_eq(symlink(LONG_LINK, lsym), 0);

        _cleanup_free_ char *sock = xh_asprintf("%s/a/socket", t);
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        ck_assert_uint_lt(strlen(sock), sizeof(addr.sun_path));
        strcpy(addr.sun_path, sock);
        ck_assert_int_eq(bind(s, (struct sockaddr *)&addr, sizeof(addr)), 0);
        close(s);

        if (root) {
                put(t, "a/setuid", "#!/bin/sh\n", 10, 04755);
                _cleanup_free_ char *su = xh_asprintf("%s/a/setuid", t);
                ck_assert_int_eq(chown(file, 42, 43), 0);
                ck_assert_int_eq(lchown(sym, 7, 8), 0);
                /* chown clears set-id bits: set them again, as dpkg does. */
                ck_assert_int_eq(chown(su, 1, 1), 0);
                ck_assert_int_eq(chmod(su, 04755), 0);
        }
        set_mtime(t, "a/file", 1700000000, 123456789);
        set_mtime(t, "a/empty", -2, 500000000);
        set_mtime(t, "a/link", 1600000000, 1);
        set_mtime(t, "a/gone", 1650000000, 999999999);
        set_mtime(t, "a/opaque", 1500000000, 42);
        set_mtime(t, "a", 1400000000, 7);
        set_mtime(t, ".", 1300000000, 5);
        ck_assert_int_eq(chmod(t, 0711), 0);
        return 1;
}

static char *xattrs_of(const char *p)
{
        char names[4096];
        ssize_t n = llistxattr(p, names, sizeof(names));
        if (n < 0 && (errno == ENOTSUP || errno == EOPNOTSUPP))
                return xh_strdup("");
        ck_assert_msg(n >= 0, "llistxattr %s: %s", p, strerror(errno));
        xh_buf b = {0};
        _cleanup_strv_ char **v = xh_malloc(sizeof(char *));
        for (char *s = names; s < names + n; s += strlen(s) + 1)
                if (strncmp(s, "user.", 5) == 0)
                        xh_strv_push(&v, s);
        for (char **s = v; *s; s++) {
                char val[1024];
                ssize_t k = lgetxattr(p, *s, val, sizeof(val));
                ck_assert_int_ge(k, 0);
                xh_buf_addf(&b, "%s=", *s);
                for (ssize_t i = 0; i < k; i++)
                        xh_buf_addf(&b, "%02x", (unsigned char)val[i]);
                xh_buf_add(&b, ";");
        }
        return xh_buf_steal(&b);
}

/* Every entry of tree a is in b, the same; returns how many a has (sockets not counted). */
static int compare_tree(const char *a, const char *b, const char *rel)
{
        _cleanup_free_ char *pa = xh_asprintf("%s%s%s", a, *rel ? "/" : "", rel);
        _cleanup_free_ char *pb = xh_asprintf("%s%s%s", b, *rel ? "/" : "", rel);
        struct stat sa, sb;
        ck_assert_int_eq(lstat(pa, &sa), 0);
        if (S_ISSOCK(sa.st_mode)) {
                ck_assert_msg(lstat(pb, &sb) < 0, "socket %s was restored", pb);
                return 0;
        }
        ck_assert_msg(lstat(pb, &sb) == 0, "%s missing: %s", pb, strerror(errno));
        ck_assert_msg(sa.st_mode == sb.st_mode, "%s: mode %o, expected %o", pb, sb.st_mode,
                      sa.st_mode);
        ck_assert_msg(sa.st_uid == sb.st_uid && sa.st_gid == sb.st_gid,
                      "%s: owner %u:%u, not %u:%u", pb, sb.st_uid, sb.st_gid, sa.st_uid, sa.st_gid);
        ck_assert_msg(sa.st_mtim.tv_sec == sb.st_mtim.tv_sec &&
                              sa.st_mtim.tv_nsec == sb.st_mtim.tv_nsec,
                      "%s: mtime %lld.%09ld, expected %lld.%09ld", pb, (long long)sb.st_mtim.tv_sec,
                      sb.st_mtim.tv_nsec, (long long)sa.st_mtim.tv_sec, sa.st_mtim.tv_nsec);
        ck_assert_msg(sa.st_nlink == sb.st_nlink || S_ISDIR(sa.st_mode), "%s: %lu links, not %lu",
                      pb, (unsigned long)sb.st_nlink, (unsigned long)sa.st_nlink);
        _cleanup_free_ char *xa = xattrs_of(pa);
        _cleanup_free_ char *xb = xattrs_of(pb);
        ck_assert_msg(!strcmp(xa, xb), "%s: xattrs '%s', expected '%s'", pb, xb, xa);
        int n = 1;
        if (S_ISREG(sa.st_mode)) {
                _cleanup_free_ char *da = NULL, *db = NULL;
                size_t la, lb;
                ck_assert_int_eq(xh_read_file(pa, &da, &la), 0);
                ck_assert_int_eq(xh_read_file(pb, &db, &lb), 0);
                ck_assert_msg(la == lb && memcmp(da, db, la) == 0, "%s: contents differ", pb);
        } else if (S_ISLNK(sa.st_mode)) {
                char ta[4096], tb[4096];
                ssize_t ka = readlink(pa, ta, sizeof(ta)), kb = readlink(pb, tb, sizeof(tb));
                ck_assert_msg(ka == kb && memcmp(ta, tb, (size_t)ka) == 0, "%s: link differs", pb);
        } else if (S_ISCHR(sa.st_mode) || S_ISBLK(sa.st_mode)) {
                ck_assert_msg(sa.st_rdev == sb.st_rdev, "%s: device differs", pb);
        } else if (S_ISDIR(sa.st_mode)) {
                DIR *d = opendir(pa);
                ck_assert_ptr_nonnull(d);
                struct dirent *e;
                while ((e = readdir(d))) {
                        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                                continue;
                        _cleanup_free_ char *sub =
                                xh_asprintf("%s%s%s", rel, *rel ? "/" : "", e->d_name);
                        n += compare_tree(a, b, sub);
                }
                closedir(d);
        }
        return n;
}

static int count_tree(const char *p)
{
        struct stat st;
        ck_assert_int_eq(lstat(p, &st), 0);
        if (S_ISSOCK(st.st_mode))
                return 0;
        int n = 1;
        if (!S_ISDIR(st.st_mode))
                return n;
        DIR *d = opendir(p);
        struct dirent *e;
        while ((e = readdir(d)))
                if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                        _cleanup_free_ char *sub = xh_asprintf("%s/%s", p, e->d_name);
                        n += count_tree(sub);
                }
        closedir(d);
        return n;
}

static int save(const char *upper, const char *dir, struct xh_upper_stats *st, xh_error *err)
{
        _cleanup_close_ int u = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ck_assert_int_ge(u, 0);
        ck_assert_int_ge(d, 0);
        _cleanup_free_ char *shown = xh_asprintf("%s/upper.tar", dir);
        return xh_upper_save(u, d, "upper.tar", shown, st, err);
}

static int restore(const char *archive, const char *into, xh_error *err)
{
        _cleanup_close_ int a = open(archive, O_RDONLY | O_CLOEXEC);
        _cleanup_close_ int d = open(into, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ck_assert_int_ge(a, 0);
        ck_assert_int_ge(d, 0);
        return xh_upper_restore(a, archive, d, NULL, err);
}

/* ---- round trips -------------------------------------------------------- */

START_TEST(test_round_trip)
{
        _cleanup_free_ char *t = scratch_dir("tree");
        _cleanup_free_ char *d = scratch_dir("store");
        _cleanup_free_ char *r = scratch_dir("back");
        int sockets = make_upper(t);
        xh_error err = {0};
        struct xh_upper_stats st;
        int rc = save(t, d, &st, &err);
        ck_assert_msg(rc == 0, "save: %s", err.msg ? err.msg : "?");
        int entries = count_tree(t);
        ck_assert_uint_eq(st.entries, (uint64_t)entries);
        ck_assert_uint_eq(st.skipped, (uint64_t)sockets);
        ck_assert_uint_eq(st.data_bytes, 6 + 70001 + 512 + 5 + 5 + (geteuid() == 0 ? 10 : 0));
        _cleanup_free_ char *archive = xh_asprintf("%s/upper.tar", d);
        _cleanup_free_ char *partial = xh_asprintf("%s/upper.tar.new", d);
        struct stat as;
        ck_assert_int_eq(stat(archive, &as), 0);
        ck_assert_uint_eq((uint64_t)as.st_size, st.archive_bytes);
        ck_assert_uint_eq(as.st_mode & 07777, 0600);
        ck_assert_msg(!xh_path_exists(partial), "%s left behind", partial);

        rc = restore(archive, r, &err);
        ck_assert_msg(rc == 0, "restore: %s", err.msg ? err.msg : "?");
        ck_assert_int_eq(compare_tree(t, r, ""), entries);
        ck_assert_int_eq(count_tree(r), entries);
        /* Hard links stay one file. */
        struct stat h1, h2, h3;
        _cleanup_free_ char *f = xh_asprintf("%s/a/file", r);
        _cleanup_free_ char *h = xh_asprintf("%s/a/hard", r);
        _cleanup_free_ char *hl = xh_asprintf("%s/" LONG_DIR "/hard-too", r);
        ck_assert_int_eq(stat(f, &h1), 0);
        ck_assert_int_eq(stat(h, &h2), 0);
        ck_assert_int_eq(stat(hl, &h3), 0);
        ck_assert(h1.st_ino == h2.st_ino && h1.st_ino == h3.st_ino);

        /* Saving the restored tree gives the same archive, byte for byte. */
        _cleanup_free_ char *d2 = scratch_dir("store2");
        ck_assert_int_eq(save(r, d2, NULL, &err), 0);
        _cleanup_free_ char *a1 = NULL, *a2 = NULL;
        size_t l1, l2;
        _cleanup_free_ char *archive2 = xh_asprintf("%s/upper.tar", d2);
        ck_assert_int_eq(xh_read_file(archive, &a1, &l1), 0);
        ck_assert_int_eq(xh_read_file(archive2, &a2, &l2), 0);
        ck_assert_msg(l1 == l2 && memcmp(a1, a2, l1) == 0, "a second save differs");
        xh_rm_rf(t);
        xh_rm_rf(d);
        xh_rm_rf(r);
        xh_rm_rf(d2);
}
END_TEST

static int run_tar(const char *const argv[], char **out)
{
        static const char *const tars[] = {"/usr/bin/tar", "/bin/tar"};
        for (size_t i = 0; i < XH_ARRAY_SIZE(tars); i++) {
                if (access(tars[i], X_OK) != 0)
                        continue;
                struct xh_spawn sp = {
                        .path = tars[i], .argv = (char *const *)argv, .capture_fd = 1};
                xh_error err = {0};
                int r = xh_spawn(&sp, out, NULL, &err);
                ck_assert_msg(r == 0, "%s: %s", tars[i], err.msg ? err.msg : "?");
                return 0;
        }
        ck_abort_msg("GNU tar is not installed (it is part of every Debian system)");
        return -1;
}

/* The archive is plain pax: GNU tar lists it, whiteouts and hard links as such. */
START_TEST(test_gnu_tar_reads_it)
{
        _cleanup_free_ char *t = scratch_dir("tree");
        _cleanup_free_ char *d = scratch_dir("store");
        make_upper(t);
        xh_error err = {0};
        ck_assert_int_eq(save(t, d, NULL, &err), 0);
        _cleanup_free_ char *archive = xh_asprintf("%s/upper.tar", d);
        _cleanup_free_ char *out = NULL;
        const char *const argv[] = {"tar", "--numeric-owner", "-tvf", archive, NULL};
        run_tar(argv, &out);
        static const char *const want[] = {
                " ./\n",
                " ./a/\n",
                "c--------- ",
                " ./a/hard link to ./a/file\n",
                " ./a/link -> file\n",
                " ./" LONG_DIR "/" LONG_FILE "\n",
                " ./a/long-link -> " LONG_LINK "\n",
                "prw--w---- ",
        };
        for (size_t i = 0; i < XH_ARRAY_SIZE(want); i++)
                ck_assert_msg(strstr(out, want[i]), "tar -tv lacks '%s':\n%s", want[i], out);
        ck_assert_msg(!strstr(out, "socket"), "a socket in the archive:\n%s", out);
        xh_rm_rf(t);
        xh_rm_rf(d);
}
END_TEST

/* An upper archived by GNU tar (pax, with xattrs) restores the same. */
START_TEST(test_reads_gnu_tar)
{
        _cleanup_free_ char *t = scratch_dir("tree");
        _cleanup_free_ char *d = scratch_dir("store");
        _cleanup_free_ char *r = scratch_dir("back");
        make_upper(t);
        /* GNU tar skips sockets with a warning on stderr; take them out first. */
        _cleanup_free_ char *sock = xh_asprintf("%s/a/socket", t);
        unlink(sock);
        set_mtime(t, "a", 1400000000, 7);
        _cleanup_free_ char *archive = xh_asprintf("%s/gnu.tar", d);
        const char *const argv[] = {"tar",
                                    "--format=posix",
                                    "--xattrs",
                                    "--xattrs-include=user.*",
                                    "--numeric-owner",
                                    "-C",
                                    t,
                                    "-cf",
                                    archive,
                                    ".",
                                    NULL};
        run_tar(argv, NULL);
        xh_error err = {0};
        int rc = restore(archive, r, &err);
        ck_assert_msg(rc == 0, "restore of GNU tar's archive: %s", err.msg ? err.msg : "?");
        ck_assert_int_eq(compare_tree(t, r, ""), count_tree(t));
        xh_rm_rf(t);
        xh_rm_rf(d);
        xh_rm_rf(r);
}
END_TEST

struct walked {
        xh_buf paths;
        char *file;
        bool whiteout;
};

static int walk_one(void *ctx, const struct xh_upper_entry *e, xh_error *err)
{
        struct walked *w = ctx;
        xh_buf_addf(&w->paths, "[%s]", e->path);
        if (!strcmp(e->path, "a/file"))
                ck_assert_int_eq(xh_upper_entry_read(e, &w->file, NULL), 0);
        if (!strcmp(e->path, "a/gone"))
                w->whiteout = S_ISCHR(e->mode) && e->rdev == makedev(0, 0);
        if (!strcmp(e->path, "a/hard")) {
                ck_assert(e->hardlink);
                ck_assert_str_eq(e->link, "a/file");
                char *data = NULL;
                ck_assert_int_eq(xh_upper_entry_read(e, &data, NULL), -EINVAL);
        }
        return !strcmp(e->path, "a/opaque") ? -ECANCELED : 0;
}

/* The walk hands out entries in order, a directory before what it holds; fn can stop it. */
START_TEST(test_walk)
{
        _cleanup_free_ char *t = scratch_dir("tree");
        _cleanup_free_ char *d = scratch_dir("store");
        make_upper(t);
        xh_error err = {0};
        ck_assert_int_eq(save(t, d, NULL, &err), 0);
        _cleanup_free_ char *archive = xh_asprintf("%s/upper.tar", d);
        _cleanup_close_ int fd = open(archive, O_RDONLY | O_CLOEXEC);
        struct walked w = {0};
        ck_assert_int_eq(xh_upper_walk(fd, archive, walk_one, &w, &err), -ECANCELED);
        const char *want = "[][a][a/big][a/block][a/empty][a/fifo][a/file][a/gone][a/hard]"
                           "[a/link][a/long-link][a/opaque]";
        ck_assert_str_eq(w.paths.s, want);
        ck_assert_str_eq(w.file, "hello\n");
        ck_assert(w.whiteout);
        xh_buf_free(&w.paths);
        free(w.file);
        xh_rm_rf(t);
        xh_rm_rf(d);
}
END_TEST

/* ---- failures ----------------------------------------------------------- */

/* A save that fails half-way keeps the old archive and leaves no partial one. */
START_TEST(test_failed_save_keeps_old)
{
        _cleanup_free_ char *t = scratch_dir("deep");
        _cleanup_free_ char *d = scratch_dir("store");
        xh_buf p = {0};
        xh_buf_add(&p, t);
        for (int i = 0; i < 40; i++) {
                xh_buf_add(&p, "/d");
                ck_assert_int_eq(mkdir(p.s, 0755), 0);
        }
        xh_buf_free(&p);
        _cleanup_free_ char *archive = xh_asprintf("%s/upper.tar", d);
        _cleanup_free_ char *partial = xh_asprintf("%s/upper.tar.new", d);
        put(d, "upper.tar", "the old state", 13, 0600);

        /* Room for the archive and a few levels of the walk, not for 40. */
        _cleanup_close_ int u = open(t, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int dd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int top = dd > u ? dd : u;
        struct rlimit lim = {(rlim_t)top + 6, (rlim_t)top + 6};
        ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &lim), 0);
        xh_error err = {0};
        int rc = xh_upper_save(u, dd, "upper.tar", archive, NULL, &err);
        ck_assert_int_eq(rc, -EMFILE);
        ck_assert_msg(err.msg && strstr(err.msg, "/d/d/d"), "message names no path: %s",
                      err.msg ? err.msg : "(none)");
        ck_assert_msg(err.hint && strstr(err.hint, "still holds the state from before"), "hint: %s",
                      err.hint ? err.hint : "(none)");
        _cleanup_free_ char *kept = NULL;
        ck_assert_int_eq(xh_read_file(archive, &kept, NULL), 0);
        ck_assert_str_eq(kept, "the old state");
        ck_assert_msg(!xh_path_exists(partial), "%s left behind", partial);
        xh_error_clear(&err);
        xh_rm_rf(t);
        xh_rm_rf(d);
}
END_TEST

/* A ustar header with a correct checksum, for archives made by hand. */
static void header(xh_buf *b, const char *name, char type, const char *link, size_t size)
{
        char h[512] = {0};
        memcpy(h, name, strlen(name));
        snprintf(h + 100, 8, "%07o", type == '5' ? 0755 : 0644);
        snprintf(h + 108, 8, "%07o", (unsigned)geteuid());
        snprintf(h + 116, 8, "%07o", (unsigned)getegid());
        snprintf(h + 124, 12, "%011zo", size);
        snprintf(h + 136, 12, "%011o", 0);
        h[156] = type;
        if (link)
                memcpy(h + 157, link, strlen(link));
        memcpy(h + 257, "ustar", 6);
        memcpy(h + 263, "00", 2);
        memset(h + 148, ' ', 8);
        unsigned sum = 0;
        for (int i = 0; i < 512; i++)
                sum += (unsigned char)h[i];
        snprintf(h + 148, 8, "%06o", sum);
        xh_buf_addn(b, h, 512);
}

static void data(xh_buf *b, const char *s)
{
        char block[512] = {0};
        memcpy(block, s, strlen(s));
        xh_buf_addn(b, block, 512);
}

static void end(xh_buf *b)
{
        static const char zeros[1024];
        xh_buf_addn(b, zeros, sizeof(zeros));
}

static const struct {
        const char *what;
        const char *msg; /* in the error */
} hostile_cases[] = {
        {"a name with ..", "whose name leaves the upper"},
        {"an absolute name", "whose name leaves the upper"},
        {"a write through a symlink", "its directory"},
        {"a hard link out of the upper", "hard link out of the upper"},
        {"a truncated archive", "an entry longer than the archive"},
        {"no end marker", "ends without its end marker"},
        {"a bad checksum", "bad checksum"},
        {"an unknown type", "unknown type"},
        {"a malformed pax record", "malformed pax record"},
        {"a duplicate name", "create"},
};

/* Damaged or hostile archives are refused, and nothing lands outside the target. */
START_TEST(test_restore_refuses)
{
        _cleanup_free_ char *outside = scratch_dir("outside");
        _cleanup_free_ char *into = xh_asprintf("%s/into", outside);
        ck_assert_int_eq(mkdir(into, 0755), 0);
        _cleanup_free_ char *evil = xh_asprintf("%s/evil", outside);
        xh_buf b = {0};
        header(&b, "./", '5', NULL, 0);
        switch (_i) {
        case 0:
                header(&b, "./a/../../evil", '0', NULL, 5);
                data(&b, "evil\n");
                end(&b);
                break;
        case 1:
                header(&b, "/evil", '0', NULL, 5);
                data(&b, "evil\n");
                end(&b);
                break;
        case 2:
                header(&b, "./a", '2', outside, 0);
                header(&b, "./a/evil", '0', NULL, 5);
                data(&b, "evil\n");
                end(&b);
                break;
        case 3:
                header(&b, "./x", '1', "../evil", 0);
                end(&b);
                break;
        case 4:
                header(&b, "./f", '0', NULL, 5000);
                data(&b, "only one block of five thousand bytes");
                break;
        case 5:
                header(&b, "./f", '0', NULL, 5);
                data(&b, "five\n");
                break;
        case 6:
                header(&b, "./f", '0', NULL, 5);
                b.s[b.len - 512 + 10] ^= 1;
                data(&b, "five\n");
                end(&b);
                break;
        case 7:
                header(&b, "./f", 'Z', NULL, 0);
                end(&b);
                break;
        case 8:
                header(&b, "./@PaxHeader", 'x', NULL, 12);
                data(&b, "99 path=x\n\n");
                header(&b, "./f", '0', NULL, 0);
                end(&b);
                break;
        case 9:
                header(&b, "./f", '0', NULL, 0);
                header(&b, "./f", '0', NULL, 0);
                end(&b);
                break;
        }
        _cleanup_free_ char *archive = xh_asprintf("%s/upper.tar", outside);
        ck_assert_int_eq(xh_write_file(archive, b.s, b.len, 0600), 0);
        xh_buf_free(&b);
        xh_error err = {0};
        int rc = restore(archive, into, &err);
        ck_assert_msg(rc < 0, "%s: restored", hostile_cases[_i].what);
        ck_assert_msg(err.msg && strstr(err.msg, hostile_cases[_i].msg) && strstr(err.msg, archive),
                      "%s: message '%s' lacks '%s' or the archive's path", hostile_cases[_i].what,
                      err.msg ? err.msg : "(none)", hostile_cases[_i].msg);
        ck_assert_msg(err.hint != NULL, "%s: no hint", hostile_cases[_i].what);
        ck_assert_msg(!xh_path_exists(evil), "%s: wrote %s", hostile_cases[_i].what, evil);
        xh_error_clear(&err);
        xh_rm_rf(outside);
}
END_TEST

static Suite *upper_suite(void)
{
        Suite *s = suite_create("upper");
        TCase *tc = tcase_create("archive");
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_round_trip);
        tcase_add_test(tc, test_gnu_tar_reads_it);
        tcase_add_test(tc, test_reads_gnu_tar);
        tcase_add_test(tc, test_walk);
        tcase_add_test(tc, test_failed_save_keeps_old);
        tcase_add_loop_test(tc, test_restore_refuses, 0, (int)XH_ARRAY_SIZE(hostile_cases));
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(upper_suite());
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
