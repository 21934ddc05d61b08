/* SPDX-License-Identifier: MIT */
/*
 * Which of the target's tools a hybrid session replaces by the shim. The list
 * is generated from what is there, never kept by hand: for every name in the
 * shim's table, the target's /usr/bin/NAME (and /usr/bin/TRIPLET-NAME) is
 * resolved inside the target root; the toolchain layer must hold a program
 * at that same path (Debian's cross packages use the target's own file names,
 * e.g. /usr/bin/aarch64-linux-gnu-gcc-12). The packages owning both files
 * are looked up in each root's dpkg database and their upstream versions
 * compared: the profile's skew rule decides what runs when they differ.
 */
#include "session.h"
#include "shim.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

/* Resolve path inside root as if root were "/" (absolute links stay inside). */
static char *resolve_in_root(const char *root, const char *path)
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
 * ROOT/var/lib/dpkg/info holds paths[i]: one pass over all lists.
 */
static void find_owners(const char *root, char *const *paths, char **owners, size_t n)
{
        _cleanup_free_ char *dir = xh_asprintf("%s/var/lib/dpkg/info", root);
        DIR *d = opendir(dir);
        if (!d)
                return;
        struct dirent *e;
        while ((e = readdir(d))) {
                size_t len = strlen(e->d_name);
                if (len < 6 || strcmp(e->d_name + len - 5, ".list") != 0)
                        continue;
                _cleanup_free_ char *file = xh_asprintf("%s/%s", dir, e->d_name);
                _cleanup_free_ char *text = NULL;
                if (xh_read_file(file, &text, NULL) < 0)
                        continue;
                for (char *l = text; l && *l;) {
                        char *nl = strchr(l, '\n');
                        if (nl)
                                *nl = '\0';
                        for (size_t i = 0; i < n; i++) {
                                if (owners[i] || !same_file_path(l, paths[i]))
                                        continue;
                                /* "pkg.list" or "pkg:arch.list" */
                                owners[i] = xh_strndup(e->d_name, len - 5);
                                owners[i][strcspn(owners[i], ":")] = '\0';
                        }
                        l = nl ? nl + 1 : NULL;
                }
        }
        closedir(d);
}

/* The installed version of pkg from ROOT/var/lib/dpkg/status. */
static char *version_of(const char *root, const char *pkg)
{
        _cleanup_free_ char *file = xh_asprintf("%s/var/lib/dpkg/status", root);
        _cleanup_free_ char *text = NULL;
        if (!pkg || xh_read_file(file, &text, NULL) < 0)
                return NULL;
        _cleanup_free_ char *head = xh_asprintf("Package: %s\n", pkg);
        for (char *s = text; (s = strstr(s, head));) {
                if (s != text && s[-1] != '\n') {
                        s++;
                        continue;
                }
                char *end = strstr(s, "\n\n");
                char *v = strstr(s, "\nVersion: ");
                if (v && (!end || v < end)) {
                        v += 10;
                        return xh_strndup(v, strcspn(v, "\n"));
                }
                s++;
        }
        return NULL;
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

static void add_binding(struct xh_binding **list, size_t *n, const char *name, const char *path)
{
        for (size_t i = 0; i < *n; i++)
                if (strcmp((*list)[i].path, path) == 0)
                        return;
        *list = xh_realloc(*list, (*n + 1) * sizeof(**list));
        (*list)[(*n)++] = (struct xh_binding){.name = xh_strdup(name), .path = xh_strdup(path)};
}

int xh_toolchain_bindings(const struct xh_profile *p, const char *rootfs, const char *upper,
                          const char *toolchain, char *const *emulate, struct xh_binding **out,
                          size_t *count)
{
        size_t ntools;
        const struct xh_shim_tool *tools = xh_shim_table(&ntools);
        struct xh_binding *list = NULL;
        size_t n = 0;

        /* A path changed in the persistent upper is looked up there first. */
        const char *roots[] = {upper && xh_is_dir(upper) ? upper : NULL, rootfs};
        for (size_t i = 0; i < ntools; i++) {
                _cleanup_free_ char *plain = xh_asprintf("/usr/bin/%s", tools[i].name);
                _cleanup_free_ char *prefixed =
                        xh_asprintf("/usr/bin/%s-%s", p->triplet, tools[i].name);
                const char *cands[] = {plain, prefixed};
                for (size_t c = 0; c < XH_ARRAY_SIZE(cands); c++) {
                        _cleanup_free_ char *res = resolve_in_root(rootfs, cands[c]);
                        if (!res)
                                continue;
                        const char *base = strrchr(res, '/') + 1;
                        _cleanup_free_ char *canon = xh_shim_canonical(base, p->triplet);
                        if (!xh_shim_lookup(canon) || strncmp(res, "/usr/bin/", 9) != 0)
                                continue;
                        add_binding(&list, &n, tools[i].name, res);
                }
        }

        char **paths = xh_malloc((n + 1) * sizeof(char *));
        char **towners = xh_malloc((n + 1) * sizeof(char *));
        char **cowners = xh_malloc((n + 1) * sizeof(char *));
        for (size_t i = 0; i < n; i++)
                paths[i] = list[i].path;
        for (size_t r = 0; r < XH_ARRAY_SIZE(roots); r++)
                if (roots[r])
                        find_owners(roots[r], paths, towners, n);
        find_owners(toolchain, paths, cowners, n);

        for (size_t i = 0; i < n; i++) {
                struct xh_binding *b = &list[i];
                const char *base = strrchr(b->path, '/') + 1;
                b->canonical = xh_shim_canonical(base, p->triplet);
                b->target_pkg = towners[i];
                for (size_t r = 0; r < XH_ARRAY_SIZE(roots) && !b->target_ver; r++)
                        if (roots[r])
                                b->target_ver = version_of(roots[r], b->target_pkg);

                _cleanup_free_ char *native = xh_asprintf("%s%s", toolchain, b->path);
                struct stat st;
                b->tc_pkg = cowners[i];
                if (lstat(native, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111)) {
                        b->decision = XH_BIND_NO_NATIVE;
                        continue;
                }
                b->tc_ver = version_of(toolchain, b->tc_pkg);
                /*
                 * A package operation in a session replaced (or removed) the
                 * file: the upper's version is what the target has now, and
                 * it lies above the shim layer.
                 */
                _cleanup_free_ char *changed =
                        roots[0] ? xh_asprintf("%s%s", roots[0], b->path) : NULL;
                if (changed && lstat(changed, &st) == 0) {
                        b->decision = XH_BIND_SHADOWED;
                        continue;
                }
                if (xh_strv_contains(p->emulate, b->canonical) ||
                    xh_strv_contains(emulate, b->canonical) || xh_strv_contains(emulate, "all")) {
                        b->decision = XH_BIND_EMULATE;
                        continue;
                }
                _cleanup_free_ char *tu = xh_upstream_version(b->target_ver);
                _cleanup_free_ char *cu = xh_upstream_version(b->tc_ver);
                if (tu && cu && strcmp(tu, cu) == 0)
                        b->decision = XH_BIND_NATIVE;
                else if (p->skew == XH_SKEW_NATIVE)
                        b->decision = XH_BIND_NATIVE_SKEW;
                else if (p->skew == XH_SKEW_ERROR)
                        b->decision = XH_BIND_SKEW_ERROR;
                else
                        b->decision = XH_BIND_SKEW_FALLBACK;
                /* Plain tools need no decision per run: the native program itself. */
                const struct xh_shim_tool *t = xh_shim_lookup(b->canonical);
                b->direct = t && t->strategy == XH_SHIM_NATIVE && !t->never_direct;
        }
        free(paths);
        free(towners);
        free(cowners);
        *out = list;
        *count = n;
        return 0;
}

const char *xh_binding_decision_name(enum xh_bind_decision d)
{
        switch (d) {
        case XH_BIND_NATIVE:
                return "native";
        case XH_BIND_NATIVE_SKEW:
                return "native (versions differ; profile says skew = native)";
        case XH_BIND_SKEW_FALLBACK:
                return "emulated (versions differ)";
        case XH_BIND_SKEW_ERROR:
                return "refused (versions differ; profile says skew = error)";
        case XH_BIND_NO_NATIVE:
                return "emulated (no native program in the toolchain layer)";
        case XH_BIND_EMULATE:
                return "emulated (profile: emulate)";
        case XH_BIND_SHADOWED:
                return "emulated (replaced in the session upper)";
        }
        return "?";
}

void xh_bindings_free(struct xh_binding *list, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(list[i].name);
                free(list[i].path);
                free(list[i].canonical);
                free(list[i].target_pkg);
                free(list[i].target_ver);
                free(list[i].tc_pkg);
                free(list[i].tc_ver);
        }
        free(list);
}
