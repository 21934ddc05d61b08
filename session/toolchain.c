/* SPDX-License-Identifier: MIT */
/*
 * Which of the target's tools a hybrid session replaces by the shim. The list
 * is generated from what is there, never kept by hand: for every name in the
 * shim's table, the target's /usr/bin/NAME (and /usr/bin/TRIPLET-NAME) is
 * resolved inside the target root; the toolchain layer must hold a program
 * at that same path (Debian's cross packages use the target's own file names,
 * e.g. /usr/bin/aarch64-linux-gnu-gcc-12). Beside the table's tools, the
 * native set: the programs that the packages of xh_native_packages (and the
 * profile's native_packages and native) ship in the target root, read from
 * its dpkg file lists, each with the reason when it is on the deny list.
 * The packages owning both files are looked up in each root's dpkg database, and a native program
 * runs only when it was built from the same source version as the target's, Debian revision
 * included: the same code generator, the same fixes. Otherwise the profile's skew rule decides what
 * runs.
 */
#include "session.h"
#include "shim.h"

#include "profiles.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

static bool streq_null(const char *a, const char *b)
{
        return a == b || (a && b && strcmp(a, b) == 0);
}

char *xh_resolve_in_root(const char *root, const char *path)
{
        _cleanup_free_ char *cur = xh_strdup(path);
        for (int depth = 0; depth < 40; depth++) {
                /* Find the first component that is a symlink. */
                xh_buf prefix = {0};
                const char *s = cur;
                bool changed = false;
                while (*s) {
                        while (*s == '/')
                                s++;
                        if (!*s)
                                break;
                        size_t n = strcspn(s, "/");
                        xh_buf_add(&prefix, "/");
                        xh_buf_addn(&prefix, s, n);
                        s += n;
                        _cleanup_free_ char *host = xh_asprintf("%s%s", root, prefix.s);
                        struct stat st;
                        if (lstat(host, &st) < 0) {
                                xh_buf_free(&prefix);
                                return NULL;
                        }
                        if (!S_ISLNK(st.st_mode))
                                continue;
                        char target[PATH_MAX];
                        ssize_t len = readlink(host, target, sizeof(target) - 1);
                        if (len <= 0) {
                                xh_buf_free(&prefix);
                                return NULL;
                        }
                        target[len] = '\0';
                        char *next;
                        if (target[0] == '/') {
                                next = xh_asprintf("%s%s", target, s);
                        } else {
                                char *slash = strrchr(prefix.s, '/');
                                *slash = '\0';
                                next = xh_asprintf("%s/%s%s", prefix.s, target, s);
                        }
                        free(cur);
                        cur = next;
                        changed = true;
                        break;
                }
                xh_buf_free(&prefix);
                if (!changed)
                        break;
        }
        /* Normalize "." and ".." components. */
        _cleanup_strv_ char **parts = xh_strv_split(cur, "/");
        char **out = xh_malloc(sizeof(char *));
        for (char **p = parts; *p; p++) {
                size_t n = xh_strv_len(out);
                if (strcmp(*p, ".") == 0)
                        continue;
                if (strcmp(*p, "..") == 0) {
                        if (n > 0) {
                                free(out[n - 1]);
                                out[n - 1] = NULL;
                        }
                        continue;
                }
                xh_strv_push(&out, *p);
        }
        _cleanup_free_ char *joined = xh_strv_join(out, "/");
        xh_strv_free(out);
        return xh_asprintf("/%s", joined);
}

/* dpkg records files of usr-merged directories under /bin, /lib ... */
static bool same_file_path(const char *listed, const char *path)
{
        if (strcmp(listed, path) == 0)
                return true;
        return strncmp(path, "/usr/", 5) == 0 && strcmp(listed, path + 4) == 0;
}

/*
 * Fill owners[i] (when still NULL) with the package whose file list in
 * ROOT/var/lib/dpkg/info holds paths[i] ("pkg" or "pkg:arch"): one pass over
 * all lists. A missing info directory is an error unless optional (an upper
 * that no package operation touched has none); entries that are not regular
 * files (an upper's whiteouts of removed packages) are skipped.
 */
static int find_owners(const char *root, bool optional, char *const *paths, char **owners, size_t n,
                       xh_error *err)
{
        _cleanup_free_ char *dir = xh_asprintf("%s/var/lib/dpkg/info", root);
        DIR *d = opendir(dir);
        if (!d) {
                int e = errno;
                if (optional && e == ENOENT)
                        return 0;
                xh_fail(err, e, "cannot read the dpkg database %s: %s", dir, strerror(e));
                return xh_hint(err, e,
                               "the tree looks damaged; recreate it with xhybrid create --force");
        }
        int r = 0;
        struct dirent *e;
        while (r == 0 && (e = readdir(d))) {
                size_t len = strlen(e->d_name);
                if (len < 6 || strcmp(e->d_name + len - 5, ".list") != 0)
                        continue;
                _cleanup_free_ char *file = xh_asprintf("%s/%s", dir, e->d_name);
                struct stat st;
                if (lstat(file, &st) == 0 && !S_ISREG(st.st_mode))
                        continue;
                _cleanup_free_ char *text = NULL;
                if ((r = xh_read_file(file, &text, NULL)) < 0) {
                        xh_fail(err, -r, "cannot read the dpkg database %s: %s", file,
                                strerror(-r));
                        break;
                }
                for (char *l = text; l && *l;) {
                        char *nl = strchr(l, '\n');
                        if (nl)
                                *nl = '\0';
                        for (size_t i = 0; i < n; i++)
                                if (!owners[i] && same_file_path(l, paths[i]))
                                        owners[i] = xh_strndup(e->d_name, len - 5);
                        l = nl ? nl + 1 : NULL;
                }
        }
        closedir(d);
        return r;
}

/* An installed package as ROOT/var/lib/dpkg/status records it. */
struct dpkg_pkg {
        char *name, *arch, *version;
        char *source;      /* Source: "gcc-12-cross (15)", "sed", or NULL */
        char *built_using; /* Built-Using: "gcc-12 (= 12.2.0-14)", or NULL */
};

struct dpkg_db {
        struct dpkg_pkg *pkgs;
        size_t n;
};

static void dpkg_db_clear(struct dpkg_db *db)
{
        for (size_t i = 0; i < db->n; i++) {
                free(db->pkgs[i].name);
                free(db->pkgs[i].arch);
                free(db->pkgs[i].version);
                free(db->pkgs[i].source);
                free(db->pkgs[i].built_using);
        }
        free(db->pkgs);
        *db = (struct dpkg_db){0};
}

/* The value of field name in one stanza (continuation lines joined by a space), or NULL. */
static char *stanza_field(const char *stanza, const char *end, const char *name)
{
        size_t nlen = strlen(name);
        for (const char *l = stanza; l < end;) {
                const char *nl = memchr(l, '\n', (size_t)(end - l));
                if (!nl)
                        nl = end;
                if ((size_t)(nl - l) > nlen && strncmp(l, name, nlen) == 0 && l[nlen] == ':') {
                        xh_buf v = {0};
                        const char *s = l + nlen + 1;
                        while (s < nl && *s == ' ')
                                s++;
                        xh_buf_addn(&v, s, (size_t)(nl - s));
                        while (nl < end && (nl[1] == ' ' || nl[1] == '\t')) {
                                const char *c = nl + 1;
                                nl = memchr(c, '\n', (size_t)(end - c));
                                if (!nl)
                                        nl = end;
                                while (c < nl && (*c == ' ' || *c == '\t'))
                                        c++;
                                xh_buf_add(&v, " ");
                                xh_buf_addn(&v, c, (size_t)(nl - c));
                        }
                        return v.s ? xh_buf_steal(&v) : xh_strdup("");
                }
                l = nl + 1;
        }
        return NULL;
}

/* Read the installed packages of ROOT/var/lib/dpkg/status (file: that path itself). */
static int dpkg_db_load(const char *file, struct dpkg_db *db, xh_error *err)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = xh_read_file(file, &text, &len);
        if (r < 0) {
                xh_fail(err, -r, "cannot read the dpkg database %s: %s", file, strerror(-r));
                return xh_hint(err, -r,
                               "the tree looks damaged; recreate it with xhybrid create --force");
        }
        const char *end = text + len;
        for (const char *s = text; s < end;) {
                const char *e = strstr(s, "\n\n");
                e = e ? e + 1 : end;
                _cleanup_free_ char *status = stanza_field(s, e, "Status");
                const char *last = status ? strrchr(status, ' ') : NULL;
                if (last && strcmp(last, " installed") == 0) {
                        db->pkgs = xh_realloc(db->pkgs, (db->n + 1) * sizeof(*db->pkgs));
                        db->pkgs[db->n++] = (struct dpkg_pkg){
                                .name = stanza_field(s, e, "Package"),
                                .arch = stanza_field(s, e, "Architecture"),
                                .version = stanza_field(s, e, "Version"),
                                .source = stanza_field(s, e, "Source"),
                                .built_using = stanza_field(s, e, "Built-Using"),
                        };
                }
                while (e < end && *e == '\n')
                        e++;
                s = e;
        }
        return 0;
}

/* The installed package an owner names: "pkg" or "pkg:arch". */
static const struct dpkg_pkg *dpkg_find(const struct dpkg_db *db, const char *owner)
{
        if (!owner)
                return NULL;
        size_t nlen = strcspn(owner, ":");
        const char *arch = owner[nlen] ? owner + nlen + 1 : NULL;
        for (size_t i = 0; i < db->n; i++) {
                const struct dpkg_pkg *pk = &db->pkgs[i];
                if (pk->name && pk->version && strlen(pk->name) == nlen &&
                    strncmp(pk->name, owner, nlen) == 0 &&
                    (!arch || (pk->arch && strcmp(pk->arch, arch) == 0)))
                        return pk;
        }
        return NULL;
}

/*
 * The source a package was built from, "NAME VERSION": its Source field, with
 * the version in parentheses when it differs from the package's (a binNMU's
 * "+b1", a cross compiler's own source), else the package's name and version.
 */
static char *source_of(const struct dpkg_pkg *pk)
{
        if (!pk)
                return NULL;
        if (!pk->source || !*pk->source)
                return xh_asprintf("%s %s", pk->name, pk->version);
        size_t nlen = strcspn(pk->source, " (");
        const char *open = strchr(pk->source, '(');
        if (!open)
                return xh_asprintf("%.*s %s", (int)nlen, pk->source, pk->version);
        const char *v = open + 1;
        return xh_asprintf("%.*s %.*s", (int)nlen, pk->source, (int)strcspn(v, ")"), v);
}

/*
 * What the toolchain's package was built from, in terms of the target's
 * source "NAME VERSION": its own source when that is NAME; else the version
 * of NAME its Built-Using field records (Debian's cross compilers are built
 * from their own source package, e.g. gcc-12-cross, using the target's
 * compiler source: "Built-Using: gcc-12 (= 12.2.0-14)"); else its own source.
 */
static char *built_from(const struct dpkg_pkg *pk, const char *target_src)
{
        char *own = source_of(pk);
        if (!own || !target_src)
                return own;
        size_t nlen = strcspn(target_src, " ");
        if (strncmp(own, target_src, nlen) == 0 && own[nlen] == ' ')
                return own;
        _cleanup_strv_ char **uses = xh_strv_split(pk->built_using ? pk->built_using : "", ",");
        for (char **u = uses; *u; u++) {
                const char *s = *u + strspn(*u, " ");
                size_t n = strcspn(s, " (");
                const char *eq = strstr(s, "(=");
                if (n != nlen || strncmp(s, target_src, nlen) != 0 || !eq)
                        continue;
                const char *v = eq + 2 + strspn(eq + 2, " ");
                free(own);
                return xh_asprintf("%.*s %.*s", (int)nlen, s, (int)strcspn(v, " )"), v);
        }
        return own;
}

/* Debian version without epoch and revision: 1:12.2.0-14cross1 -> 12.2.0 */
char *xh_upstream_version(const char *v)
{
        if (!v)
                return NULL;
        const char *colon = strchr(v, ':');
        if (colon)
                v = colon + 1;
        const char *dash = strrchr(v, '-');
        return dash ? xh_strndup(v, (size_t)(dash - v)) : xh_strdup(v);
}

static struct xh_tool_choice *add_choice(struct xh_tool_choice **list, size_t *n, const char *name,
                                         const char *path)
{
        for (size_t i = 0; i < *n; i++)
                if (strcmp((*list)[i].path, path) == 0)
                        return NULL;
        *list = xh_realloc(*list, (*n + 1) * sizeof(**list));
        (*list)[(*n)++] = (struct xh_tool_choice){.name = xh_strdup(name), .path = xh_strdup(path)};
        return &(*list)[*n - 1];
}

static bool is_program_dir(const char *path, size_t dirlen)
{
        static const char *const dirs[] = {"/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/"};
        for (size_t i = 0; i < XH_ARRAY_SIZE(dirs); i++)
                if (strlen(dirs[i]) == dirlen && strncmp(path, dirs[i], dirlen) == 0)
                        return true;
        return false;
}

/*
 * A program of the native set at path (as a package's file list or a
 * profile's native key names it) into the list: path resolved in the root
 * must be a file of a program directory that is executable there. A name
 * on the deny list (the listed one or the file's) keeps its reason.
 */
static void add_program(const struct xh_profile *p, const char *rootfs, const char *path,
                        const char *from, struct xh_tool_choice **list, size_t *n)
{
        const char *base = strrchr(path, '/');
        if (!base || !is_program_dir(path, (size_t)(base - path + 1)) || !base[1])
                return;
        _cleanup_free_ char *res = xh_resolve_in_root(rootfs, path);
        if (!res)
                return;
        const char *rbase = strrchr(res, '/');
        _cleanup_free_ char *host = xh_asprintf("%s%s", rootfs, res);
        struct stat st;
        if (!is_program_dir(res, (size_t)(rbase - res + 1)) || lstat(host, &st) < 0 ||
            !S_ISREG(st.st_mode) || !(st.st_mode & 0111))
                return;
        _cleanup_free_ char *canon = xh_shim_canonical(rbase + 1, p->triplet);
        /* The shim's table decides about its own tools. */
        if (xh_shim_lookup(canon))
                return;
        const char *reason = xh_native_denied(canon);
        if (!reason)
                reason = xh_native_denied(base + 1);
        struct xh_tool_choice *b = add_choice(list, n, canon, res);
        if (!b)
                return;
        b->from_package = xh_strdup(from);
        b->deny_reason = reason;
}

/* The programs of one package of the native set, from ROOT/var/lib/dpkg/info/PKG[:ARCH].list. */
static int add_package(const struct xh_profile *p, const char *rootfs, const char *pkg,
                       struct xh_tool_choice **list, size_t *n, xh_error *err)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_free_ char *file = xh_asprintf("%s/var/lib/dpkg/info/%s.list", rootfs, pkg);
        int r = xh_read_file(file, &text, NULL);
        if (r == -ENOENT) {
                free(file);
                file = xh_asprintf("%s/var/lib/dpkg/info/%s:%s.list", rootfs, pkg, p->arch);
                r = xh_read_file(file, &text, NULL);
        }
        if (r == -ENOENT) /* not installed in the target */
                return 0;
        if (r < 0) {
                xh_fail(err, -r, "cannot read the dpkg database %s: %s", file, strerror(-r));
                return xh_hint(err, -r,
                               "the tree looks damaged; recreate it with xhybrid create --force");
        }
        for (char *l = text; l && *l;) {
                char *nl = strchr(l, '\n');
                if (nl)
                        *nl = '\0';
                add_program(p, rootfs, l, pkg, list, n);
                l = nl ? nl + 1 : NULL;
        }
        return 0;
}

/* The status file of the target: the upper's when a package operation in a session wrote one. */
static char *target_status(const char *upper, const char *rootfs)
{
        if (upper) {
                char *f = xh_asprintf("%s/var/lib/dpkg/status", upper);
                struct stat st;
                if (lstat(f, &st) == 0 && S_ISREG(st.st_mode))
                        return f;
                free(f);
        }
        return xh_asprintf("%s/var/lib/dpkg/status", rootfs);
}

int xh_toolchain_choose(const struct xh_profile *p, const char *rootfs, const char *upper,
                        const char *toolchain, char *const *emulate, struct xh_tool_choice **out,
                        size_t *count, xh_error *err)
{
        size_t ntools;
        const struct xh_shim_tool *tools = xh_shim_table(&ntools);
        struct xh_tool_choice *list = NULL;
        size_t n = 0;
        *out = NULL;
        *count = 0;

        /* A path changed in the persistent upper is looked up there first. */
        if (upper && !xh_is_dir(upper))
                upper = NULL;
        for (size_t i = 0; i < ntools; i++) {
                _cleanup_free_ char *plain = xh_asprintf("/usr/bin/%s", tools[i].name);
                _cleanup_free_ char *prefixed =
                        xh_asprintf("/usr/bin/%s-%s", p->triplet, tools[i].name);
                const char *cands[] = {plain, prefixed};
                for (size_t c = 0; c < XH_ARRAY_SIZE(cands); c++) {
                        _cleanup_free_ char *res = xh_resolve_in_root(rootfs, cands[c]);
                        if (!res)
                                continue;
                        const char *base = strrchr(res, '/') + 1;
                        _cleanup_free_ char *canon = xh_shim_canonical(base, p->triplet);
                        if (!xh_shim_lookup(canon) || strncmp(res, "/usr/bin/", 9) != 0)
                                continue;
                        add_choice(&list, &n, tools[i].name, res);
                }
        }

        /* The native set: the programs of its packages, the profile's own additions. */
        int r = 0;
        for (const char *const *pk = xh_native_packages(); r == 0 && *pk; pk++)
                r = add_package(p, rootfs, *pk, &list, &n, err);
        for (char *const *pk = p->native_packages; r == 0 && pk && *pk; pk++)
                if (!xh_strv_contains((char *const *)xh_native_packages(), *pk))
                        r = add_package(p, rootfs, *pk, &list, &n, err);
        if (r < 0) {
                xh_tool_choices_free(list, n);
                return r;
        }
        char *const *extra[] = {p->native, p->native_override};
        for (size_t e = 0; e < XH_ARRAY_SIZE(extra); e++) {
                for (char *const *t = extra[e]; t && *t; t++) {
                        _cleanup_free_ char *bin = xh_asprintf("/usr/bin/%s", *t);
                        _cleanup_free_ char *sbin = xh_asprintf("/usr/sbin/%s", *t);
                        add_program(p, rootfs, bin, "native =", &list, &n);
                        add_program(p, rootfs, sbin, "native =", &list, &n);
                }
        }

        char **paths = xh_malloc((n + 1) * sizeof(char *));
        char **towners = xh_malloc((n + 1) * sizeof(char *));
        char **cowners = xh_malloc((n + 1) * sizeof(char *));
        for (size_t i = 0; i < n; i++)
                paths[i] = list[i].path;
        struct dpkg_db tdb = {0}, cdb = {0};
        _cleanup_free_ char *tstatus = target_status(upper, rootfs);
        _cleanup_free_ char *cstatus = xh_asprintf("%s/var/lib/dpkg/status", toolchain);
        if ((upper && (r = find_owners(upper, true, paths, towners, n, err)) < 0) ||
            (r = find_owners(rootfs, false, paths, towners, n, err)) < 0 ||
            (r = find_owners(toolchain, false, paths, cowners, n, err)) < 0 ||
            (r = dpkg_db_load(tstatus, &tdb, err)) < 0 ||
            (r = dpkg_db_load(cstatus, &cdb, err)) < 0)
                goto out;

        for (size_t i = 0; i < n; i++) {
                struct xh_tool_choice *b = &list[i];
                const char *base = strrchr(b->path, '/') + 1;
                b->canonical = xh_shim_canonical(base, p->triplet);
                const struct dpkg_pkg *tp = dpkg_find(&tdb, towners[i]);
                if (tp) {
                        b->target_pkg = xh_strdup(tp->name);
                        b->target_ver = xh_strdup(tp->version);
                        b->target_src = source_of(tp);
                }

                bool overridden = false;
                if (b->deny_reason) {
                        overridden = xh_strv_contains(p->native_override, b->canonical);
                        if (!overridden) {
                                b->decision = XH_TOOL_DENIED;
                                continue;
                        }
                }
                _cleanup_free_ char *native = xh_asprintf("%s%s", toolchain, b->path);
                struct stat st;
                if (lstat(native, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111)) {
                        b->decision = XH_TOOL_NO_NATIVE;
                        continue;
                }
                const struct dpkg_pkg *cp = dpkg_find(&cdb, cowners[i]);
                if (cp) {
                        b->tc_pkg = xh_strdup(cp->name);
                        b->tc_ver = xh_strdup(cp->version);
                        b->tc_src = built_from(cp, b->target_src);
                        _cleanup_free_ char *own = source_of(cp);
                        size_t nlen = strcspn(own, " ");
                        b->tc_cross = !b->target_src || strncmp(own, b->target_src, nlen) != 0 ||
                                      b->target_src[nlen] != ' ';
                }
                /*
                 * A package operation in a session replaced (or removed) the
                 * file: the upper's version is what the target has now, and
                 * it lies above the shim layer.
                 */
                _cleanup_free_ char *changed = upper ? xh_asprintf("%s%s", upper, b->path) : NULL;
                if (changed && lstat(changed, &st) == 0) {
                        b->decision = XH_TOOL_SHADOWED;
                        continue;
                }
                if (xh_strv_contains(p->emulate, b->canonical) ||
                    xh_strv_contains(emulate, b->canonical) || xh_strv_contains(emulate, "all")) {
                        b->decision = XH_TOOL_EMULATE;
                        continue;
                }
                if (b->target_src && b->tc_src && strcmp(b->target_src, b->tc_src) == 0)
                        b->decision = overridden ? XH_TOOL_OVERRIDDEN : XH_TOOL_NATIVE;
                else if (p->skew == XH_SKEW_NATIVE)
                        b->decision = XH_TOOL_NATIVE_SKEW;
                else if (p->skew == XH_SKEW_ERROR)
                        b->decision = XH_TOOL_SKEW_ERROR;
                else
                        b->decision = XH_TOOL_SKEW_FALLBACK;
                /* Plain tools need no decision per run: the native program itself. */
                const struct xh_shim_tool *t = xh_shim_lookup(b->canonical);
                b->direct = t ? t->strategy == XH_SHIM_NATIVE && !t->never_direct
                              : b->from_package != NULL;
        }
out:
        dpkg_db_clear(&tdb);
        dpkg_db_clear(&cdb);
        for (size_t i = 0; i < n; i++) {
                free(towners[i]);
                free(cowners[i]);
        }
        free(paths);
        free(towners);
        free(cowners);
        if (r < 0) {
                xh_tool_choices_free(list, n);
                return r;
        }
        *out = list;
        *count = n;
        return 0;
}

const char *xh_tool_decision_name(enum xh_tool_decision d)
{
        switch (d) {
        case XH_TOOL_NATIVE:
                return "native";
        case XH_TOOL_NATIVE_SKEW:
                return "native (built from another source; profile says skew = native)";
        case XH_TOOL_SKEW_FALLBACK:
                return "emulated (built from another source)";
        case XH_TOOL_SKEW_ERROR:
                return "refused (built from another source; profile says skew = error)";
        case XH_TOOL_NO_NATIVE:
                return "emulated (no native program in the toolchain layer)";
        case XH_TOOL_EMULATE:
                return "emulated (profile: emulate)";
        case XH_TOOL_SHADOWED:
                return "emulated (replaced in the session upper)";
        case XH_TOOL_DENIED:
                return "emulated (denied)";
        case XH_TOOL_OVERRIDDEN:
                return "native (denied; profile says native_override)";
        }
        return "?";
}

const char *xh_tool_choice_decision(const struct xh_tool_choice *b)
{
        if (b->rebuilt)
                return "native (rebuilt from the target's source)";
        return xh_tool_decision_name(b->decision);
}

/*
 * Whether a created profile's hybrid session runs every one of tools native
 * (built from its target's sources); true for one not created yet, which
 * cannot be checked.
 */
static bool runs_native(const struct xh_profile *o, const char *store, char *const *tools)
{
        if (!store || !xh_store_root_ready(store, o) || !xh_store_toolchain_ready(store, o))
                return true;
        _cleanup_free_ char *rootfs = xh_store_rootfs(store, o);
        _cleanup_free_ char *tcfs = xh_store_toolchain_rootfs(store, o);
        struct xh_tool_choice *b = NULL;
        size_t n = 0;
        struct xh_compiler_layer l;
        if (xh_toolchain_choose(o, rootfs, NULL, tcfs, NULL, &b, &n, NULL) < 0)
                return false;
        if (xh_compiler_apply(o, store, b, n, &l, NULL) < 0) {
                xh_tool_choices_free(b, n);
                return false;
        }
        xh_compiler_layer_clear(&l);
        bool native = true;
        for (char *const *t = tools; *t && native; t++) {
                bool found = false;
                for (size_t i = 0; i < n; i++) {
                        if (strcmp(b[i].canonical, *t) != 0)
                                continue;
                        found = true;
                        if (b[i].decision != XH_TOOL_NATIVE)
                                native = false;
                }
                if (!found)
                        native = false;
        }
        xh_tool_choices_free(b, n);
        return native;
}

/*
 * Profiles of the same architecture on another suite that could run tools
 * native, "arm64-trixie, ..." (those created and known not to are left out),
 * or NULL.
 */
static char *other_suites(const struct xh_profile *p, const char *store, char *const *tools)
{
        _cleanup_free_ char *dir = xh_profile_user_dir();
        _cleanup_strv_ char **names = NULL;
        if (xh_profile_list(dir, &names, NULL) < 0)
                return NULL;
        _cleanup_strv_ char **found = xh_malloc(sizeof(char *));
        for (char **n = names; *n; n++) {
                _cleanup_profile_ struct xh_profile *o = NULL;
                if (xh_profile_load(*n, dir, &o, NULL) == 0 && strcmp(o->arch, p->arch) == 0 &&
                    strcmp(o->suite, p->suite) != 0 && runs_native(o, store, tools))
                        xh_strv_push(&found, *n);
        }
        return found[0] ? xh_strv_join(found, ", ") : NULL;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The warning for the tools built from one pair of differing sources. */
static char *skew_warning(const struct xh_profile *p, const char *store,
                          const struct xh_tool_choice *first, char **tools)
{
        qsort(tools, xh_strv_len(tools), sizeof(char *), cmp_str);
        _cleanup_free_ char *names = xh_strv_join(tools, ", ");
        const char *tsrc = first->target_src ? first->target_src : "an unknown source";
        const char *csrc = first->tc_src ? first->tc_src : "an unknown source";
        _cleanup_free_ char *tpkg = xh_asprintf("%s %s", first->tc_pkg ? first->tc_pkg : "?",
                                                first->tc_ver ? first->tc_ver : "?");
        if (first->decision == XH_TOOL_NATIVE_SKEW)
                return xh_asprintf("running the toolchain layer's %s natively, although built "
                                   "from %s (%s) and the target's from %s: profile '%s' says "
                                   "skew = native",
                                   names, csrc, tpkg, tsrc, p->name);
        _cleanup_free_ char *others = first->tc_cross ? other_suites(p, store, tools) : NULL;
        _cleanup_free_ char *layer =
                first->tc_cross ? xh_compiler_layer_name(p->arch, p->triplet, first->target_src,
                                                         first->tc_src)
                                : NULL;
        _cleanup_free_ char *rebuild =
                layer ? xh_asprintf("build them from the target's source (xhybrid toolchain "
                                    "build %s) or ",
                                    p->name)
                      : NULL;
        _cleanup_free_ char *how =
                first->tc_cross ? xh_asprintf("for native ones %suse a profile whose suite's cross "
                                              "packages are built from its target's sources%s%s%s",
                                              rebuild ? rebuild : "", others ? " (" : "",
                                              others ? others : "", others ? ")" : "")
                                : xh_asprintf("for native ones recreate the root and the toolchain "
                                              "layer from one state of the archive (xhybrid create "
                                              "--force %s)",
                                              p->name);
        return xh_asprintf("running the target's %s emulated: built from %s, the toolchain "
                           "layer's (%s) from %s; %s, or accept the difference knowingly with "
                           "skew = native in the profile",
                           names, tsrc, tpkg, csrc, how);
}

char **xh_toolchain_warnings(const struct xh_profile *p, const char *store,
                             const struct xh_tool_choice *b, size_t n, const char *upper)
{
        char **out = xh_malloc(sizeof(char *));
        bool *done = xh_malloc((n + 1) * sizeof(bool));
        for (size_t i = 0; i < n; i++) {
                if (done[i] || (b[i].decision != XH_TOOL_SKEW_FALLBACK &&
                                b[i].decision != XH_TOOL_NATIVE_SKEW))
                        continue;
                /*
                 * Every tool built from the same pair of sources, in one line
                 * that names the packages of the compiler driver if among them.
                 */
                _cleanup_strv_ char **tools = xh_malloc(sizeof(char *));
                const struct xh_tool_choice *shown = &b[i];
                for (size_t j = i; j < n; j++) {
                        if (done[j] || b[j].decision != b[i].decision ||
                            !streq_null(b[j].target_src, b[i].target_src) ||
                            !streq_null(b[j].tc_src, b[i].tc_src))
                                continue;
                        done[j] = true;
                        if (!xh_strv_contains(tools, b[j].canonical))
                                xh_strv_push(&tools, b[j].canonical);
                        if (strcmp(b[j].canonical, "gcc") == 0)
                                shown = &b[j];
                }
                char *w = skew_warning(p, store, shown, tools);
                xh_strv_push(&out, w);
                free(w);
        }
        free(done);
        _cleanup_strv_ char **shadowed = xh_malloc(sizeof(char *));
        for (size_t i = 0; i < n; i++)
                if (b[i].decision == XH_TOOL_SHADOWED)
                        xh_strv_push(&shadowed, b[i].path);
        if (shadowed[0]) {
                _cleanup_free_ char *list = xh_strv_join(shadowed, ", ");
                xh_strv_pushf(&out,
                              "running emulated, as a package operation in the session upper %s "
                              "replaced them: %s",
                              upper ? upper : "", list);
        }
        return out;
}

void xh_tool_choices_free(struct xh_tool_choice *list, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(list[i].name);
                free(list[i].path);
                free(list[i].canonical);
                free(list[i].target_pkg);
                free(list[i].target_ver);
                free(list[i].tc_pkg);
                free(list[i].tc_ver);
                free(list[i].target_src);
                free(list[i].tc_src);
                free(list[i].from_package);
        }
        free(list);
}

char *xh_package_text(const char *pkg, const char *ver, const char *src)
{
        if (!pkg)
                return xh_strdup("?");
        _cleanup_free_ char *self = xh_asprintf("%s %s", pkg, ver ? ver : "?");
        if (!src || strcmp(src, self) == 0)
                return steal_pointer(&self);
        return xh_asprintf("%s (from %s)", self, src);
}

int xh_toolchain_gcc_facts(const struct xh_profile *p, const char *store, struct xh_gcc_facts *f,
                           xh_error *err)
{
        *f = (struct xh_gcc_facts){0};
        if (!xh_store_root_ready(store, p) || !xh_store_toolchain_ready(store, p))
                return 0;
        _cleanup_free_ char *rootfs = xh_store_rootfs(store, p);
        _cleanup_free_ char *tcfs = xh_store_toolchain_rootfs(store, p);
        struct xh_tool_choice *b = NULL;
        size_t n = 0;
        int r = xh_toolchain_choose(p, rootfs, NULL, tcfs, NULL, &b, &n, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                if (strcmp(b[i].canonical, "gcc") == 0)
                        f->stock_decision = xh_tool_choice_decision(&b[i]);
        struct xh_compiler_layer l;
        if ((r = xh_compiler_apply(p, store, b, n, &l, err)) < 0) {
                xh_tool_choices_free(b, n);
                return r;
        }
        f->layer = l.dir ? xh_strdup(l.dir) : NULL;
        xh_compiler_layer_clear(&l);
        for (size_t i = 0; i < n; i++) {
                if (strcmp(b[i].canonical, "gcc") != 0)
                        continue;
                f->target = xh_package_text(b[i].target_pkg, b[i].target_ver, b[i].target_src);
                f->cross = xh_package_text(b[i].tc_pkg, b[i].tc_ver, b[i].tc_src);
                f->decision = xh_tool_choice_decision(&b[i]);
                f->native = b[i].decision == XH_TOOL_NATIVE;
                break;
        }
        xh_tool_choices_free(b, n);
        return 0;
}

void xh_gcc_facts_clear(struct xh_gcc_facts *f)
{
        free(f->target);
        free(f->cross);
        free(f->layer);
        *f = (struct xh_gcc_facts){0};
}
