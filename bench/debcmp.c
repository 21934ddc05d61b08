/* SPDX-License-Identifier: MIT */
/*
 * Compare the Debian packages of two builds of one source (compare --deb,
 * verify --deb). Each side is a package file (.deb, .udeb, .ddeb) or a
 * directory of them; packages are paired by name and architecture. Each
 * package is unpacked with dpkg-deb into a view, PACKAGE_ARCH/control (the
 * control archive: control, md5sums, maintainer scripts ...) and
 * PACKAGE_ARCH/data (the files), and the two views are compared as build
 * trees (bench/compare.c): every entry's type, mode, link target and
 * contents, ELF files section by section. The owners and groups of the data
 * archive's entries, which an unpacked tree keeps only when root unpacks it,
 * are compared from the archive's listing.
 *
 * The default comparison ignores what compare ignores, and what follows
 * from that in a package: the build-ids in a -dbgsym package's file names
 * and in its Build-Ids field are mapped to the other side's through the ELF
 * files at the same paths of both builds, and an md5sums line differs only
 * where its file does. The strict comparison maps and ignores nothing.
 */
#include "bench.h"
#include "emulator.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

struct pkg {
        char *key;     /* PACKAGE_ARCH: the package's directory in the view */
        char *file;    /* the package file */
        char **owners; /* "PATH\tOWNER/GROUP" of the data archive's entries, sorted */
};

struct side {
        const char *arg; /* what the caller named */
        char *view;      /* where its packages are unpacked */
        struct pkg *pkgs;
        size_t n;
};

static bool is_package_file(const char *name)
{
        static const char *const ext[] = {".deb", ".udeb", ".ddeb"};
        size_t n = strlen(name);
        for (size_t i = 0; i < XH_ARRAY_SIZE(ext); i++) {
                size_t e = strlen(ext[i]);
                if (n > e && strcmp(name + n - e, ext[i]) == 0)
                        return true;
        }
        return false;
}

static int strv_cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The package files arg names: itself, or those in the directory, sorted. */
static int list_packages(const char *arg, char ***out, xh_error *err)
{
        struct stat st;
        if (stat(arg, &st) < 0)
                return xh_fail(err, errno, "%s: %s", arg, strerror(errno));
        if (S_ISREG(st.st_mode) && is_package_file(arg)) {
                xh_strv_push(out, arg);
                return 0;
        }
        if (!S_ISDIR(st.st_mode))
                return xh_fail(err, EINVAL,
                               "%s: neither a Debian package (.deb, .udeb, .ddeb) nor a "
                               "directory of them",
                               arg);
        DIR *d = opendir(arg);
        if (!d)
                return xh_fail(err, errno, "%s: %s", arg, strerror(errno));
        for (struct dirent *e; (e = readdir(d));)
                if (is_package_file(e->d_name))
                        xh_strv_pushf(out, "%s/%s", arg, e->d_name);
        closedir(d);
        size_t n = xh_strv_len(*out);
        if (n == 0)
                return xh_fail(err, ENOENT, "%s: no Debian package (.deb, .udeb, .ddeb) in it",
                               arg);
        qsort(*out, n, sizeof(char *), strv_cmp);
        return 0;
}

/* dpkg-deb OP FILE [DIR]: standard output into *out when out is set; its complaint into err. */
static int dpkg_deb(const char *op, const char *file, const char *dir, char **out, xh_error *err)
{
        char *argv[] = {"dpkg-deb", (char *)op, (char *)file, (char *)dir, NULL};
        _cleanup_free_ char *said = NULL;
        struct xh_spawn sp = {.argv = argv, .search_path = true, .capture_fd = out ? 1 : 2};
        xh_error e = {0};
        int r = xh_spawn(&sp, out ? out : &said, NULL, &e);
        if (r < 0) {
                char *nl = said ? strchr(said, '\n') : NULL;
                if (nl)
                        *nl = '\0';
                xh_fail(err, -r, "%s: dpkg-deb %s: %s", file, op, said && *said ? said : e.msg);
        }
        xh_error_clear(&e);
        return r;
}

/* The value of a control field (first line), or NULL. */
static char *control_field(const char *text, const char *name)
{
        size_t n = strlen(name);
        for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                if (strncasecmp(l, name, n) != 0 || l[n] != ':')
                        continue;
                const char *v = l + n + 1;
                while (*v == ' ' || *v == '\t')
                        v++;
                return xh_strndup(v, strcspn(v, "\n"));
        }
        return NULL;
}

/* "PATH\tOWNER/GROUP" for each line of dpkg-deb --contents (tar's verbose listing). */
static char **parse_listing(const char *text)
{
        char **v = xh_malloc(sizeof(char *));
        v[0] = NULL;
        _cleanup_strv_ char **lines = xh_strv_split(text, "\n");
        for (char **l = lines; *l; l++) {
                char owner[256];
                int at = -1;
                if (sscanf(*l, "%*s %255s %*s %*s %*s %n", owner, &at) != 1 || at < 0)
                        continue;
                const char *path = *l + at;
                if (strncmp(path, "./", 2) == 0)
                        path += 2;
                size_t len = strlen(path);
                const char *arrow = strstr(path, " -> ");
                const char *hard = strstr(path, " link to ");
                if (arrow)
                        len = (size_t)(arrow - path);
                else if (hard)
                        len = (size_t)(hard - path);
                while (len > 0 && path[len - 1] == '/')
                        len--;
                xh_strv_pushf(&v, "%.*s\t%s", (int)len, path, owner);
        }
        qsort(v, xh_strv_len(v), sizeof(char *), strv_cmp);
        return v;
}

/* Unpack every package of a side into its view. */
static int unpack_side(struct side *s, const char *tmp, int k, xh_error *err)
{
        _cleanup_strv_ char **files = xh_malloc(sizeof(char *));
        files[0] = NULL;
        int r = list_packages(s->arg, &files, err);
        if (r < 0)
                return r;
        s->view = xh_asprintf("%s/%c", tmp, k ? 'b' : 'a');
        if (mkdir(s->view, 0755) < 0)
                return xh_fail(err, errno, "%s: %s", s->view, strerror(errno));
        size_t n = xh_strv_len(files);
        s->pkgs = xh_malloc(n * sizeof(*s->pkgs));
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *ctl = xh_asprintf("%s/control.%zu", tmp, i);
                _cleanup_free_ char *control_file = xh_asprintf("%s/control", ctl);
                _cleanup_free_ char *text = NULL;
                if ((r = dpkg_deb("--control", files[i], ctl, NULL, err)) < 0)
                        return r;
                if (xh_read_file(control_file, &text, NULL) < 0)
                        return xh_fail(err, EINVAL, "%s: no control file in its control archive",
                                       files[i]);
                _cleanup_free_ char *name = control_field(text, "Package");
                _cleanup_free_ char *arch = control_field(text, "Architecture");
                if (!name || !*name || !arch || !*arch)
                        return xh_fail(err, EINVAL, "%s: its control file lacks %s", files[i],
                                       !name || !*name ? "Package" : "Architecture");
                struct pkg *p = &s->pkgs[s->n];
                *p = (struct pkg){.key = xh_asprintf("%s_%s", name, arch),
                                  .file = xh_strdup(files[i])};
                s->n++;
                for (size_t j = 0; j + 1 < s->n; j++)
                        if (strcmp(s->pkgs[j].key, p->key) == 0)
                                return xh_fail(err, EEXIST, "%s and %s: both are %s %s",
                                               s->pkgs[j].file, p->file, name, arch);
                _cleanup_free_ char *dir = xh_asprintf("%s/%s", s->view, p->key);
                _cleanup_free_ char *cdir = xh_asprintf("%s/control", dir);
                _cleanup_free_ char *ddir = xh_asprintf("%s/data", dir);
                _cleanup_free_ char *listing = NULL;
                if (mkdir(dir, 0755) < 0 || rename(ctl, cdir) < 0)
                        return xh_fail(err, errno, "%s: %s", dir, strerror(errno));
                if ((r = dpkg_deb("--extract", p->file, ddir, NULL, err)) < 0 ||
                    (r = dpkg_deb("--contents", p->file, NULL, &listing, err)) < 0)
                        return r;
                p->owners = parse_listing(listing);
        }
        return 0;
}

static const struct pkg *find_pkg(const struct side *s, const char *key)
{
        for (size_t i = 0; i < s->n; i++)
                if (strcmp(s->pkgs[i].key, key) == 0)
                        return &s->pkgs[i];
        return NULL;
}

/* Pairs "ID_B ID_A": the build-ids of the ELF files at the same path of both sides. */
static void map_build_ids(const char *da, const char *db, const char *rel, char ***map)
{
        _cleanup_free_ char *pa = *rel ? xh_asprintf("%s/%s", da, rel) : xh_strdup(da);
        _cleanup_free_ char *pb = *rel ? xh_asprintf("%s/%s", db, rel) : xh_strdup(db);
        struct stat st;
        if (lstat(pa, &st) < 0)
                return;
        if (S_ISREG(st.st_mode)) {
                _cleanup_free_ char *ia = xh_elf_build_id(pa);
                _cleanup_free_ char *ib = ia ? xh_elf_build_id(pb) : NULL;
                if (ia && ib && strcmp(ia, ib) != 0 && strlen(ia) == strlen(ib))
                        xh_strv_pushf(map, "%s %s", ib, ia);
                return;
        }
        if (!S_ISDIR(st.st_mode))
                return;
        DIR *d = opendir(pa);
        if (!d)
                return;
        for (struct dirent *e; (e = readdir(d));) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                        continue;
                _cleanup_free_ char *child =
                        *rel ? xh_asprintf("%s/%s", rel, e->d_name) : xh_strdup(e->d_name);
                map_build_ids(da, db, child, map);
        }
        closedir(d);
}

/* Replace, in place, each build-id of the map (and its path form XX/REST) by the other side's. */
static void apply_map_text(char *text, char *const *map)
{
        for (char *const *m = map; *m; m++) {
                const char *from = *m, *to = strchr(*m, ' ') + 1;
                size_t n = (size_t)(to - 1 - from);
                char path_from[256], path_to[256];
                if (n + 2 > sizeof(path_from))
                        continue;
                snprintf(path_from, sizeof(path_from), "%.2s/%.*s", from, (int)n - 2, from + 2);
                snprintf(path_to, sizeof(path_to), "%.2s/%s", to, to + 2);
                for (char *p = text; (p = strstr(p, path_from)); p += n + 1)
                        memcpy(p, path_to, n + 1);
                _cleanup_free_ char *id = xh_strndup(from, n);
                for (char *p = text; (p = strstr(p, id)); p += n)
                        memcpy(p, to, n);
        }
}

static void apply_map_file(const char *path, char *const *map)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        if (xh_read_file(path, &text, &len) < 0)
                return;
        apply_map_text(text, map);
        xh_write_file(path, text, len, 0644);
}

/* Move B's .build-id/XX/REST* entries to A's names. */
static void apply_map_paths(const char *data, char *const *map)
{
        _cleanup_free_ char *ids = xh_asprintf("%s/usr/lib/debug/.build-id", data);
        for (char *const *m = map; *m; m++) {
                const char *from = *m, *to = strchr(*m, ' ') + 1;
                size_t n = (size_t)(to - 1 - from);
                _cleanup_free_ char *dir = xh_asprintf("%s/%.2s", ids, from);
                _cleanup_free_ char *todir = xh_asprintf("%s/%.2s", ids, to);
                DIR *d = opendir(dir);
                if (!d)
                        continue;
                _cleanup_strv_ char **names = xh_malloc(sizeof(char *));
                names[0] = NULL;
                for (struct dirent *e; (e = readdir(d));)
                        if (strncmp(e->d_name, from + 2, n - 2) == 0)
                                xh_strv_push(&names, e->d_name);
                closedir(d);
                mkdir(todir, 0755);
                for (char **nm = names; *nm; nm++) {
                        _cleanup_free_ char *a = xh_asprintf("%s/%s", dir, *nm);
                        _cleanup_free_ char *b = xh_asprintf("%s/%s%s", todir, to + 2, *nm + n - 2);
                        rename(a, b);
                }
                rmdir(dir);
        }
}

/* In B's md5sums, the sum of each ELF file that differs from A's in ignored sections only. */
static void md5sums_of_same_elf(const char *pa, const char *pb, const char *data_a,
                                const char *data_b, char *const *ignore)
{
        _cleanup_free_ char *ta = NULL;
        _cleanup_free_ char *tb = NULL;
        size_t len;
        if (xh_read_file(pa, &ta, NULL) < 0 || xh_read_file(pb, &tb, &len) < 0)
                return;
        _cleanup_strv_ char **la = xh_strv_split(ta, "\n");
        for (char *l = tb; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                const char *sp = strstr(l, "  ");
                size_t line = strcspn(l, "\n");
                if (!sp || (size_t)(sp - l) != 32 || line <= 34)
                        continue;
                _cleanup_free_ char *path = xh_strndup(sp + 2, line - 34);
                for (char **a = la; *a; a++) {
                        if (strlen(*a) <= 34 || strcmp(*a + 34, path) != 0 ||
                            strncmp(*a, l, 32) == 0)
                                continue;
                        _cleanup_free_ char *fa = xh_asprintf("%s/%s", data_a, path);
                        _cleanup_free_ char *fb = xh_asprintf("%s/%s", data_b, path);
                        _cleanup_strv_ char **diffs = NULL;
                        xh_error e = {0};
                        /* Files that are not ELF files or ar archives are an error here. */
                        if (xh_elf_compare(fa, fb, ignore, &diffs, &e) == 0 && !diffs[0])
                                memcpy(l, *a, 32);
                        xh_error_clear(&e);
                        break;
                }
        }
        xh_write_file(pb, tb, len, 0644);
}

static void compare_owners(const struct pkg *a, const struct pkg *b, struct xh_compare *c)
{
        char **la = a->owners, **lb = b->owners;
        while (*la && *lb) {
                size_t na = strcspn(*la, "\t"), nb = strcspn(*lb, "\t");
                int d = strncmp(*la, *lb, na < nb ? na : nb);
                if (d == 0)
                        d = na < nb ? -1 : na > nb ? 1 : 0;
                if (d == 0 && strcmp(*la + na, *lb + nb) != 0)
                        xh_strv_pushf(&c->differences, "%s/data/%.*s: owner differs (%s vs %s)",
                                      a->key, (int)na, *la, *la + na + 1, *lb + nb + 1);
                la += d <= 0;
                lb += d >= 0;
        }
}

/* Each occurrence of from in s replaced by to. */
static char *replace_all(const char *s, const char *from, const char *to)
{
        xh_buf b = {0};
        size_t n = strlen(from);
        for (const char *p; (p = strstr(s, from)); s = p + n) {
                xh_buf_addf(&b, "%.*s%s", (int)(p - s), s, to);
        }
        xh_buf_add(&b, s);
        return xh_buf_steal(&b);
}

static void side_clear(struct side *s)
{
        for (size_t i = 0; i < s->n; i++) {
                free(s->pkgs[i].key);
                free(s->pkgs[i].file);
                xh_strv_free(s->pkgs[i].owners);
        }
        free(s->pkgs);
        free(s->view);
}

int xh_compare_debs(const char *a, const char *b, bool strict, struct xh_compare *c, xh_error *err)
{
        *c = (struct xh_compare){.strict = strict};
        const char *tmpdir = getenv("TMPDIR");
        _cleanup_free_ char *tmp =
                xh_asprintf("%s/xhybrid-debcmp.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
        if (!mkdtemp(tmp))
                return xh_fail(err, errno, "%s: %s", tmp, strerror(errno));
        struct side s[2] = {{.arg = a}, {.arg = b}};
        int r = 0;
        for (int k = 0; k < 2 && r == 0; k++) {
                _cleanup_free_ char *t = xh_asprintf("%s/%d", tmp, k);
                if (mkdir(t, 0755) < 0)
                        r = xh_fail(err, errno, "%s: %s", t, strerror(errno));
                else
                        r = unpack_side(&s[k], t, k, err);
        }
        _cleanup_strv_ char **map = xh_malloc(sizeof(char *));
        map[0] = NULL;
        for (size_t i = 0; r == 0 && !strict && i < s[0].n; i++) {
                const struct pkg *pb = find_pkg(&s[1], s[0].pkgs[i].key);
                if (!pb)
                        continue;
                _cleanup_free_ char *da = xh_asprintf("%s/%s/data", s[0].view, pb->key);
                _cleanup_free_ char *db = xh_asprintf("%s/%s/data", s[1].view, pb->key);
                map_build_ids(da, db, "", &map);
        }
        for (size_t i = 0; r == 0 && !strict && i < s[1].n; i++) {
                const char *key = s[1].pkgs[i].key;
                _cleanup_free_ char *dir = xh_asprintf("%s/%s", s[1].view, key);
                _cleanup_free_ char *ctl = xh_asprintf("%s/control/control", dir);
                _cleanup_free_ char *sums = xh_asprintf("%s/control/md5sums", dir);
                _cleanup_free_ char *data = xh_asprintf("%s/data", dir);
                apply_map_file(ctl, map);
                apply_map_file(sums, map);
                apply_map_paths(data, map);
                for (char **o = s[1].pkgs[i].owners; *o; o++)
                        apply_map_text(*o, map);
                qsort(s[1].pkgs[i].owners, xh_strv_len(s[1].pkgs[i].owners), sizeof(char *),
                      strv_cmp);
                if (!find_pkg(&s[0], key))
                        continue;
                _cleanup_free_ char *sums_a = xh_asprintf("%s/%s/control/md5sums", s[0].view, key);
                _cleanup_free_ char *data_a = xh_asprintf("%s/%s/data", s[0].view, key);
                md5sums_of_same_elf(sums_a, sums, data_a, data, xh_compare_ignored_sections(false));
        }
        if (r == 0)
                r = xh_compare_trees(s[0].view, s[1].view, strict, c, err);
        if (r == 0) {
                for (size_t i = 0; i < s[0].n; i++) {
                        const struct pkg *pb = find_pkg(&s[1], s[0].pkgs[i].key);
                        if (pb)
                                compare_owners(&s[0].pkgs[i], pb, c);
                }
                c->packages = s[0].n;
                for (size_t i = 0; i < s[1].n; i++)
                        c->packages += !find_pkg(&s[0], s[1].pkgs[i].key);
                /* Name the sides as the caller did, not by their views. */
                for (char **d = c->differences; *d; d++)
                        for (int k = 0; k < 2; k++) {
                                char *n = replace_all(*d, s[k].view, s[k].arg);
                                free(*d);
                                *d = n;
                        }
        }
        side_clear(&s[0]);
        side_clear(&s[1]);
        xh_rm_rf(tmp);
        return r;
}
