/* SPDX-License-Identifier: MIT */
/*
 * Sources for bench, verify and deb: a directory, a tarball, a Debian source
 * package's .dsc (its files beside it), or deb:NAME (a Debian
 * source package of the profile's suite, fetched once into
 * STORE/sources/SUITE/NAME with a private apt configuration, so the host's
 * apt setup is never changed). Each run unpacks a fresh copy at one path.
 */
#include "bench.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

extern char **environ;

/* Run argv (a PATH lookup) with its output appended to log (or dropped). */
static int run_quiet(char *const argv[], const char *log, xh_error *err)
{
        struct xh_spawn sp = {.argv = argv, .search_path = true, .log = log, .quiet = !log};
        return xh_spawn(&sp, NULL, NULL, err);
}

static char *find_dsc(const char *dir)
{
        DIR *d = opendir(dir);
        if (!d)
                return NULL;
        char *found = NULL;
        struct dirent *e;
        while (!found && (e = readdir(d))) {
                size_t n = strlen(e->d_name);
                if (n > 4 && strcmp(e->d_name + n - 4, ".dsc") == 0)
                        found = xh_asprintf("%s/%s", dir, e->d_name);
        }
        closedir(d);
        return found;
}

static int fetch_deb(struct xh_source *s, const struct xh_profile *p, const char *store,
                     const struct xh_notes *notes, xh_error *err)
{
        _cleanup_free_ char *apt = xh_asprintf("%s/sources/apt-%s", store, p->suite);
        _cleanup_free_ char *dir = xh_asprintf("%s/sources/%s/%s", store, p->suite, s->name);
        if ((s->dsc = find_dsc(dir)))
                return 0;
        _cleanup_free_ char *parts = xh_asprintf("%s/parts", apt);
        _cleanup_free_ char *lists = xh_asprintf("%s/lists/partial", apt);
        _cleanup_free_ char *archives = xh_asprintf("%s/archives/partial", apt);
        int r;
        /* Downloaded into DIR.tmp, renamed when complete: a failed fetch is never taken for one. */
        _cleanup_free_ char *tmp = xh_asprintf("%s.tmp", dir);
        if ((r = xh_mkdir_p(parts, 0755)) < 0 || (r = xh_mkdir_p(lists, 0755)) < 0 ||
            (r = xh_mkdir_p(archives, 0755)) < 0)
                return xh_fail(err, -r, "cannot create %s: %s", apt, strerror(-r));
        if ((r = xh_rm_rf(tmp)) < 0 || (r = xh_mkdir_p(tmp, 0755)) < 0)
                return xh_fail(err, -r, "cannot make a fresh %s: %s", tmp, strerror(-r));
        _cleanup_free_ char *list =
                xh_asprintf("Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\n"
                            "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n",
                            p->mirror, p->suite);
        _cleanup_free_ char *list_path = xh_asprintf("%s/debian.sources", parts);
        if ((r = xh_write_file(list_path, list, strlen(list), 0644)) < 0)
                return xh_fail(err, -r, "%s: %s", list_path, strerror(-r));

        _cleanup_free_ char *o_parts = xh_asprintf("Dir::Etc::SourceParts=%s", parts);
        _cleanup_free_ char *o_lists = xh_asprintf("Dir::State::Lists=%s/lists", apt);
        _cleanup_free_ char *o_cache = xh_asprintf("Dir::Cache=%s", apt);
        _cleanup_free_ char *log = xh_asprintf("%s/fetch.log", tmp);
        /* apt with its own sources, lists and cache: the host's apt state is not touched. */
        const char *const base_argv[] = {"apt-get", "-q",
                                         "-o",      "Dir::Etc::SourceList=/dev/null",
                                         "-o",      o_parts,
                                         "-o",      o_lists,
                                         "-o",      o_cache,
                                         "-o",      "Debug::NoLocking=1",
                                         "-o",      "APT::Sandbox::User=root"};
        _cleanup_strv_ char **update = xh_malloc(sizeof(char *));
        _cleanup_strv_ char **source = xh_malloc(sizeof(char *));
        for (size_t i = 0; i < XH_ARRAY_SIZE(base_argv); i++) {
                xh_strv_push(&update, base_argv[i]);
                xh_strv_push(&source, base_argv[i]);
        }
        xh_strv_push(&update, "update");
        xh_strv_push(&source, "source");
        xh_strv_push(&source, "--download-only");
        xh_strv_push(&source, s->name);
        xh_note(notes, XH_NOTE_PROGRESS, "fetching the Debian source package %s (%s)", s->name,
                p->suite);
        if ((r = run_quiet(update, log, err)) < 0)
                return r;
        /* apt-get source downloads into the working directory. */
        _cleanup_free_ char *cwd = getcwd(NULL, 0);
        if (chdir(tmp) < 0)
                return xh_fail(err, errno, "%s: %s", tmp, strerror(errno));
        r = run_quiet(source, log, err);
        if (cwd && chdir(cwd) < 0)
                return xh_fail(err, errno, "%s: %s", cwd, strerror(errno));
        if (r < 0)
                return xh_hint(err, r,
                               "is '%s' a source package of %s? (the end of the log says which "
                               "file could not be fetched)",
                               s->name, p->suite);
        _cleanup_free_ char *dsc = find_dsc(tmp);
        if (!dsc)
                return xh_fail(err, ENOENT, "no .dsc for %s in %s", s->name, tmp);
        if ((r = xh_rm_rf(dir)) < 0 || rename(tmp, dir) < 0) {
                int e = r < 0 ? -r : errno;
                return xh_fail(err, e, "cannot rename %s to %s: %s", tmp, dir, strerror(e));
        }
        if (!(s->dsc = find_dsc(dir)))
                return xh_fail(err, ENOENT, "no .dsc for %s in %s", s->name, dir);
        return 0;
}

int xh_source_resolve(const char *spec, const struct xh_profile *p, const char *store,
                      bool skip_patches, const struct xh_notes *notes, struct xh_source *s,
                      xh_error *err)
{
        *s = (struct xh_source){.skip_patches = skip_patches};
        if (strncmp(spec, "deb:", 4) == 0) {
                /* Debian Policy 5.6.1: [a-z0-9][a-z0-9+.-]+ */
                const char *name = spec + 4;
                static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
                if (strlen(name) < 2 || !strchr(alnum, name[0]) ||
                    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789+-.") != strlen(name)) {
                        xh_fail(err, EINVAL,
                                "'%s': expected deb:NAME with a Debian source package name", spec);
                        return xh_hint(err, EINVAL,
                                       "source package names are two or more of a-z, 0-9, "
                                       "'+', '-', '.', starting with a letter or digit");
                }
                s->kind = XH_SOURCE_DEB;
                s->name = xh_strdup(name);
                return fetch_deb(s, p, store, notes, err);
        }
        char *abs = realpath(spec, NULL);
        if (!abs)
                return xh_fail(err, errno, "source %s: %s", spec, strerror(errno));
        s->path = abs;
        const char *base = strrchr(abs, '/') + 1;
        struct stat st;
        if (stat(abs, &st) < 0)
                return xh_fail(err, errno, "%s: %s", abs, strerror(errno));
        if (S_ISDIR(st.st_mode)) {
                s->kind = XH_SOURCE_DIR;
                s->name = xh_strdup(base);
                return 0;
        }
        size_t len = strlen(base);
        if (S_ISREG(st.st_mode) && len > 4 && strcmp(base + len - 4, ".dsc") == 0) {
                s->kind = XH_SOURCE_DSC;
                s->name = xh_strndup(base, len - 4);
                s->dsc = xh_strdup(abs);
                return 0;
        }
        static const char *const exts[] = {".tar.gz",  ".tgz",     ".tar.xz",
                                           ".tar.bz2", ".tar.zst", ".tar"};
        for (size_t i = 0; i < XH_ARRAY_SIZE(exts); i++) {
                size_t n = strlen(base), m = strlen(exts[i]);
                if (n > m && strcmp(base + n - m, exts[i]) == 0) {
                        s->kind = XH_SOURCE_TARBALL;
                        s->name = xh_strndup(base, n - m);
                        return 0;
                }
        }
        xh_fail(err, EINVAL, "source %s: not a directory, a tarball, a .dsc or deb:NAME", spec);
        return xh_hint(err, EINVAL,
                       "tarballs end in .tar, .tar.gz, .tgz, .tar.xz, .tar.bz2 or .tar.zst");
}

/* The single top-level directory of a tarball, if it has exactly one. */
static bool single_top_dir(const char *tarball)
{
        char *const argv[] = {"tar", "-tf", (char *)tarball, NULL};
        struct xh_spawn sp = {.argv = argv, .search_path = true, .capture_fd = 1};
        _cleanup_free_ char *out = NULL;
        if (xh_spawn(&sp, &out, NULL, NULL) < 0)
                return false;
        _cleanup_strv_ char **lines = xh_strv_split(out ? out : "", "\n");
        _cleanup_free_ char *top = NULL;
        for (char **l = lines; *l; l++) {
                const char *e = *l;
                while (e[0] == '.' && e[1] == '/')
                        e += 2;
                size_t k = strcspn(e, "/");
                if (k == 0)
                        continue;
                if (!top)
                        top = xh_strndup(e, k);
                else if (strlen(top) != k || strncmp(top, e, k) != 0)
                        return false;
                if (!e[k]) /* a plain file at the top */
                        return false;
        }
        return top != NULL;
}

int xh_source_unpack(const struct xh_source *s, const char *dest, const char *log, xh_error *err)
{
        int r = xh_rm_rf(dest);
        if (r < 0)
                return xh_fail(err, -r, "cannot remove %s: %s", dest, strerror(-r));
        _cleanup_free_ char *parent = xh_strdup(dest);
        *strrchr(parent, '/') = '\0';
        if ((r = xh_mkdir_p(parent, 0755)) < 0)
                return xh_fail(err, -r, "cannot create %s: %s", parent, strerror(-r));
        switch (s->kind) {
        case XH_SOURCE_DEB:
        case XH_SOURCE_DSC: {
                char *const argv[] = {"dpkg-source", "--no-check", "--no-copy",  "--skip-patches",
                                      "-x",          s->dsc,       (char *)dest, NULL};
                char *const argv_patched[] = {"dpkg-source", "--no-check", "--no-copy", "-x",
                                              s->dsc,        (char *)dest, NULL};
                return run_quiet(s->skip_patches ? argv : argv_patched, log, err);
        }
        case XH_SOURCE_DIR: {
                if ((r = xh_mkdir_p(dest, 0755)) < 0)
                        return xh_fail(err, -r, "cannot create %s: %s", dest, strerror(-r));
                _cleanup_free_ char *from = xh_asprintf("%s/.", s->path);
                char *const argv[] = {"cp", "-a", from, (char *)dest, NULL};
                return run_quiet(argv, log, err);
        }
        case XH_SOURCE_TARBALL: {
                if ((r = xh_mkdir_p(dest, 0755)) < 0)
                        return xh_fail(err, -r, "cannot create %s: %s", dest, strerror(-r));
                char *const strip[] = {
                        "tar", "-xf", s->path, "-C", (char *)dest, "--strip-components=1", NULL};
                char *const plain[] = {"tar", "-xf", s->path, "-C", (char *)dest, NULL};
                return run_quiet(single_top_dir(s->path) ? strip : plain, log, err);
        }
        }
        return xh_fail(err, EINVAL, "unknown source kind");
}

void xh_source_clear(struct xh_source *s)
{
        free(s->name);
        free(s->path);
        free(s->dsc);
        *s = (struct xh_source){0};
}
