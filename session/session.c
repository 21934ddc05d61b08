/* SPDX-License-Identifier: MIT */
/* A session: the profile's root with an upper, the binds, the emulator, a command. */
#include "session.h"
#include "emulator.h"
#include "overlay.h"
#include "shim.h"

#include <dirent.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

/* The directory of this program, which holds xhybrid-shim. */
static char *shim_dir(xh_error *err)
{
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n <= 0)
                return NULL;
        self[n] = '\0';
        *strrchr(self, '/') = '\0';
        _cleanup_free_ char *shim = xh_asprintf("%s/xhybrid-shim", self);
        if (access(shim, X_OK) < 0) {
                xh_fail(err, ENOENT, "%s: %s", shim, strerror(errno));
                xh_hint(err, ENOENT, "xhybrid-shim belongs next to xhybrid; rebuild or reinstall");
                return NULL;
        }
        return xh_strdup(self);
}

/* The target gcc's own directory, /usr/lib/gcc/TRIPLET/MAJOR, for a gcc version. */
static char *gcc_libdir(const char *rootfs, const struct xh_profile *p, const char *version)
{
        _cleanup_free_ char *up = xh_upstream_version(version);
        if (up) {
                _cleanup_free_ char *major = xh_strndup(up, strcspn(up, "."));
                _cleanup_free_ char *d = xh_asprintf("/usr/lib/gcc/%s/%s", p->triplet, major);
                _cleanup_free_ char *host = xh_asprintf("%s%s", rootfs, d);
                if (xh_is_dir(host))
                        return steal_pointer(&d);
        }
        return xh_asprintf("/usr/lib/gcc/%s/unknown", p->triplet);
}

static char *dir_of(const char *path)
{
        const char *slash = strrchr(path, '/');
        return slash && slash != path ? xh_strndup(path, (size_t)(slash - path)) : xh_strdup("/");
}

int xh_loader_link(const char *rootfs, const char *toolchain, char **at, char **to, xh_error *err)
{
        *at = *to = NULL;
        _cleanup_free_ char *sh = xh_resolve_in_root(toolchain, "/bin/sh");
        _cleanup_free_ char *sh_host = sh ? xh_asprintf("%s%s", toolchain, sh) : NULL;
        struct xh_elf_info info = {0};
        if (!sh_host || xh_elf_inspect(sh_host, &info, NULL) < 0 || !info.interpreter) {
                xh_elf_info_clear(&info);
                return xh_fail(err, ENOEXEC,
                               "cannot find the program interpreter of the toolchain layer %s "
                               "(from its /bin/sh)",
                               toolchain);
        }
        _cleanup_free_ char *interp = steal_pointer(&info.interpreter);
        xh_elf_info_clear(&info);
        _cleanup_free_ char *real = xh_resolve_in_root(toolchain, interp);
        if (!real || interp[0] != '/')
                return xh_fail(err, ENOEXEC,
                               "the toolchain layer %s lacks %s, its program "
                               "interpreter",
                               toolchain, interp);

        /* A target whose directory holds a file of that name keeps it. */
        _cleanup_free_ char *own = xh_resolve_in_root(rootfs, interp);
        if (own)
                return 0;
        _cleanup_free_ char *dir = dir_of(interp);
        _cleanup_free_ char *target_dir = xh_resolve_in_root(rootfs, dir);
        _cleanup_free_ char *real_dir = dir_of(real);
        if (!target_dir) {
                /* /lib64 -> usr/lib/x86_64-linux-gnu, relative where it can be. */
                *at = steal_pointer(&dir);
                *to = strchr(*at + 1, '/') ? steal_pointer(&real_dir) : xh_strdup(real_dir + 1);
                return 0;
        }
        *at = xh_asprintf("%s/%s", strcmp(target_dir, "/") == 0 ? "" : target_dir,
                          strrchr(interp, '/') + 1);
        *to = steal_pointer(&real);
        return 0;
}

struct hybrid {
        char *toolchain;
        char *shim_dir;
        char *conf;
        char *ccache_conf;
        char *distcc_id;
        char **targets;
        char **direct;
        char **hide;
        struct xh_tool_choice *choices;
        size_t nchoices;
        bool image;                       /* an image's plan: no rebuilt compiler */
        struct xh_compiler_layer rebuilt; /* the rebuilt compiler the session binds, or none */
        char **rebuilt_files;             /* its files: host path, path in the layer, ... */
};

static void hybrid_clear(struct hybrid *h)
{
        free(h->toolchain);
        free(h->shim_dir);
        free(h->conf);
        free(h->ccache_conf);
        free(h->distcc_id);
        xh_strv_free(h->targets);
        xh_strv_free(h->direct);
        xh_strv_free(h->hide);
        xh_tool_choices_free(h->choices, h->nchoices);
        xh_compiler_layer_clear(&h->rebuilt);
        xh_strv_free(h->rebuilt_files);
        *h = (struct hybrid){0};
}

static int cmp_name(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The compiler drivers of the target that run emulated in this session, ", "-joined; NULL: none. */
static char *emulated_compilers(const struct hybrid *h)
{
        _cleanup_strv_ char **emulated = xh_malloc(sizeof(char *));
        for (size_t i = 0; i < h->nchoices; i++) {
                const struct xh_tool_choice *b = &h->choices[i];
                const struct xh_shim_tool *t = xh_shim_lookup(b->canonical);
                if (t && t->strategy == XH_SHIM_GCC && b->decision != XH_TOOL_NATIVE &&
                    b->decision != XH_TOOL_NATIVE_SKEW && !xh_strv_contains(emulated, b->canonical))
                        xh_strv_push(&emulated, b->canonical);
        }
        if (!emulated[0])
                return NULL;
        qsort(emulated, xh_strv_len(emulated), sizeof(char *), cmp_name);
        return xh_strv_join(emulated, ", ");
}

/*
 * The compile cache: the layer's ccache and its configuration. Only native
 * compiles go through it; a session whose compiler runs emulated says that
 * nothing of it is cached.
 */
static int cache_setup(const struct xh_session_opts *o, struct hybrid *h, xh_error *err)
{
        const struct xh_profile *p = o->profile;
        _cleanup_free_ char *prog = xh_asprintf("%s%s", h->toolchain, XH_CCACHE_PROG);
        struct stat st;
        if (stat(prog, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111)) {
                xh_fail(err, ENOENT,
                        "the compile cache needs ccache in the toolchain layer of profile '%s', "
                        "which has none (%s)",
                        p->name, prog);
                return xh_hint(err, ENOENT,
                               "add ccache to the profile's [toolchain] packages and run "
                               "'xhybrid create %s', or run without the cache",
                               p->name);
        }
        _cleanup_strv_ char **files = xh_cache_compiler_files(h->toolchain, p->triplet);
        h->ccache_conf = xh_cache_config(files, o->distcc_hosts ? XH_SHIM_PATH : NULL);
        _cleanup_free_ char *names = emulated_compilers(h);
        if (names)
                xh_note(o->notes, XH_NOTE_WARNING,
                        "the compile cache serves native compiles only: the target's %s run "
                        "emulated in this session, and their compiles are not cached",
                        names);
        return 0;
}

/*
 * Distributed compiles: the layer's distcc, and the identity of its
 * compiler, which names the compiler a helper must serve.
 */
static int distcc_setup(const struct xh_session_opts *o, struct hybrid *h, xh_error *err)
{
        const struct xh_profile *p = o->profile;
        if (h->rebuilt.dir) {
                xh_fail(err, ENOTSUP,
                        "--distribute: the helpers serve the toolchain layer's compiler, not the "
                        "rebuilt one of %s that this session runs",
                        h->rebuilt.dir);
                return xh_hint(err, ENOTSUP, "run without --distribute");
        }
        int r = xh_distcc_check_layer(h->toolchain, p->name, XH_DISTCC_PROG, err);
        if (r < 0)
                return r;
        _cleanup_strv_ char **drivers = NULL;
        if ((r = xh_distcc_compilers(h->toolchain, p->triplet, &h->distcc_id, &drivers, err)) < 0)
                return r;
        _cleanup_free_ char *names = emulated_compilers(h);
        if (names)
                xh_note(o->notes, XH_NOTE_WARNING,
                        "--distribute serves native compiles only: the target's %s run emulated "
                        "in this session, and their compiles stay here",
                        names);
        return 0;
}

/*
 * With a rebuilt compiler, the target's own start files and libraries of the
 * compiler (crtbeginS.o, libgcc.a ... of /usr/lib/gcc/TRIPLET/N, what the
 * target's gcc links with) are bound over the toolchain layer's of the same
 * name in the directory of the rebuilt cc1, which its driver searches first:
 * the layer's are its cross packages' (libgcc-N-dev-ARCH-cross), built from
 * the source the compiler was rebuilt to avoid, and they carry their
 * .comment into every program linked.
 */
static void rebuilt_startfiles(const char *rootfs, const struct xh_profile *p,
                               const char *gcc_version, struct hybrid *h)
{
        _cleanup_free_ char *libdir = gcc_libdir(rootfs, p, gcc_version);
        _cleanup_free_ char *cross_dir = NULL;
        for (char **f = h->rebuilt.files; f && *f && !cross_dir; f++)
                if (strncmp(*f, "/usr/lib/gcc-cross/", 19) == 0 &&
                    !strcmp(strrchr(*f, '/'), "/cc1"))
                        cross_dir = dir_of(*f);
        _cleanup_free_ char *from = xh_asprintf("%s%s", rootfs, libdir);
        DIR *d = cross_dir ? opendir(from) : NULL;
        if (!d)
                return;
        struct dirent *e;
        while ((e = readdir(d))) {
                size_t n = strlen(e->d_name);
                if (n < 3 ||
                    (strcmp(e->d_name + n - 2, ".o") != 0 && strcmp(e->d_name + n - 2, ".a") != 0))
                        continue;
                _cleanup_free_ char *src = xh_asprintf("%s/%s", from, e->d_name);
                _cleanup_free_ char *at = xh_asprintf("%s/%s", cross_dir, e->d_name);
                _cleanup_free_ char *theirs = xh_asprintf("%s%s", h->toolchain, at);
                struct stat a, t;
                if (lstat(src, &a) == 0 && S_ISREG(a.st_mode) && lstat(theirs, &t) == 0 &&
                    S_ISREG(t.st_mode)) {
                        xh_strv_push(&h->rebuilt_files, src);
                        xh_strv_push(&h->rebuilt_files, at);
                }
        }
        closedir(d);
}

/*
 * upper: what the toolchain's decisions read of the persistent upper (a
 * directory, see xh_store_upper_view), shown: where the upper lies, for the
 * warning.
 */
/*
 * Every name in the profile's emulate key and in XHYBRID_EMULATE must be a
 * name of the shim's table (cc, gcc, ld ...) or a program of the native
 * packages that this root has: a name nothing answers to would silently
 * change nothing.
 */
static int check_emulate_names(const struct xh_profile *p, char *const *emulate,
                               const struct xh_tool_choice *c, size_t n, xh_error *err)
{
        _cleanup_strv_ char **unknown = xh_malloc(sizeof(char *));
        char *const *lists[] = {p->emulate, emulate};
        for (size_t l = 0; l < XH_ARRAY_SIZE(lists); l++)
                for (char *const *e = lists[l]; e && *e; e++) {
                        bool found = (strcmp(*e, "all") == 0 && l == 1) || xh_shim_lookup(*e);
                        for (size_t i = 0; i < n && !found; i++)
                                found = strcmp(c[i].canonical, *e) == 0;
                        if (!found && !xh_strv_contains(unknown, *e))
                                xh_strv_push(&unknown, *e);
                }
        if (!unknown[0])
                return 0;
        _cleanup_free_ char *list = xh_strv_join(unknown, ", ");
        xh_fail(err, EINVAL,
                "profile '%s': emulate or XHYBRID_EMULATE names %s that no native tool of this "
                "root answers to: %s",
                p->name, unknown[1] ? "programs" : "a program", list);
        return xh_hint(err, EINVAL,
                       "'xhybrid profiles show %s' lists the tools a hybrid session replaces; "
                       "fix the name in the profile's emulate key, --env XHYBRID_EMULATE or the "
                       "profile's [session] env",
                       p->name);
}

static int hybrid_setup(const struct xh_session_opts *o, const char *rootfs, const char *upper,
                        const char *shown, char *const *env, const struct xh_binfmt_emulator *emu,
                        struct hybrid *h, xh_error *err)
{
        const struct xh_profile *p = o->profile;
        int r;
        if (o->toolchain_dir) {
                h->toolchain = xh_strdup(o->toolchain_dir);
        } else {
                h->toolchain = xh_store_toolchain_rootfs(o->store, p);
                if ((r = xh_store_check(o->store, p, XH_TREE_TOOLCHAIN, true, err)) < 0)
                        return r;
        }
        if (!(h->shim_dir = shim_dir(err)))
                return -ENOENT;
        /* Tools named in the session's XHYBRID_EMULATE are left alone from the start. */
        _cleanup_strv_ char **emulate = NULL;
        for (char *const *e = env; e && *e; e++)
                if (strncmp(*e, "XHYBRID_EMULATE=", 16) == 0)
                        emulate = xh_strv_split(*e + 16, ", :");
        r = xh_toolchain_choose(p, rootfs, upper, h->toolchain, emulate, &h->choices, &h->nchoices,
                                err);
        if (r < 0 || (r = check_emulate_names(p, emulate, h->choices, h->nchoices, err)) < 0)
                return r;
        /* A compiler rebuilt from the target's source, bound over the toolchain layer's. */
        if (!h->image && !o->stock_compiler &&
            (r = xh_compiler_apply(p, o->store, h->choices, h->nchoices, &h->rebuilt, err)) < 0)
                return r;
        h->rebuilt_files = xh_malloc(sizeof(char *));
        for (char **f = h->rebuilt.files; f && *f; f++) {
                xh_strv_pushf(&h->rebuilt_files, "%s/rootfs%s", h->rebuilt.dir, *f);
                xh_strv_push(&h->rebuilt_files, *f);
        }

        h->targets = xh_malloc(sizeof(char *));
        h->direct = xh_malloc(sizeof(char *));
        const char *gcc_version = NULL;
        for (size_t i = 0; i < h->nchoices; i++) {
                const struct xh_tool_choice *b = &h->choices[i];
                if (strcmp(b->canonical, "gcc") == 0)
                        gcc_version = b->target_ver;
                switch (b->decision) {
                case XH_TOOL_NATIVE:
                case XH_TOOL_NATIVE_SKEW:
                case XH_TOOL_OVERRIDDEN:
                        /* Traced, every native tool runs through the shim, which records it. */
                        xh_strv_push(b->direct && !o->trace ? &h->direct : &h->targets, b->path);
                        break;
                case XH_TOOL_SKEW_ERROR:
                        xh_fail(err, EINVAL,
                                "%s: the target's is built from %s, the toolchain layer's (%s %s) "
                                "from %s, and profile '%s' says skew = error",
                                b->path, b->target_src ? b->target_src : "an unknown source",
                                b->tc_pkg ? b->tc_pkg : "?", b->tc_ver ? b->tc_ver : "?",
                                b->tc_src ? b->tc_src : "an unknown source", p->name);
                        return xh_hint(err, EINVAL,
                                       "run with --emulated, or set skew = fallback (the target's "
                                       "program runs emulated) in the profile");
                case XH_TOOL_SKEW_FALLBACK:
                case XH_TOOL_SHADOWED:
                case XH_TOOL_NO_NATIVE:
                case XH_TOOL_EMULATE:
                case XH_TOOL_DENIED:
                        break;
                }
        }

        _cleanup_strv_ char **warnings =
                xh_toolchain_warnings(p, o->store, h->choices, h->nchoices, shown);
        for (char **w = warnings; *w; w++)
                xh_note(o->notes, XH_NOTE_WARNING, "%s", *w);
        if (o->cache_dir && (r = cache_setup(o, h, err)) < 0)
                return r;
        if (o->distcc_hosts && (r = distcc_setup(o, h, err)) < 0)
                return r;

        if (h->rebuilt.dir)
                rebuilt_startfiles(rootfs, p, gcc_version, h);

        /* Traced, the package-derived plain tools run behind the shim, which must know them. */
        _cleanup_strv_ char **native = xh_malloc(sizeof(char *));
        for (size_t i = 0; o->trace && i < h->nchoices; i++) {
                const struct xh_tool_choice *b = &h->choices[i];
                if (b->from_package && !xh_shim_lookup(b->canonical) &&
                    (b->decision == XH_TOOL_NATIVE || b->decision == XH_TOOL_NATIVE_SKEW ||
                     b->decision == XH_TOOL_OVERRIDDEN) &&
                    !xh_strv_contains(native, b->canonical))
                        xh_strv_push(&native, b->canonical);
        }
        const struct xh_arch *arch = xh_arch_by_debian(p->arch);
        struct xh_shim_config conf = {
                .triplet = p->triplet,
                .gcc_libdir = gcc_libdir(rootfs, p, gcc_version),
                .hosttype = (char *)arch->hosttype,
                .machtype = (char *)arch->machtype,
                .emulate = p->emulate,
                .native = native,
                .ccache = h->ccache_conf ? XH_TOOLCHAIN_DIR XH_CCACHE_PROG : NULL,
                .distcc = h->distcc_id ? XH_TOOLCHAIN_DIR XH_DISTCC_PROG : NULL,
                .distcc_id = h->distcc_id,
                .distcc_hosts = (char *)o->distcc_hosts,
                .trace = o->trace ? XH_TRACE_FILE : NULL,
                .emulator = o->trace ? XH_EMULATOR_PATH : NULL,
                .keep_argv0 = o->trace && emu->keep_argv0 ? "yes" : NULL,
        };
        h->conf = xh_shim_config_format(&conf);
        free(conf.gcc_libdir);

        /* The cross packages' own libc: the compiler must only see the target's. */
        h->hide = xh_malloc(sizeof(char *));
        xh_strv_pushf(&h->hide, "%s/include", arch->cross_libc);
        xh_strv_pushf(&h->hide, "%s/lib", arch->cross_libc);
        return 0;
}

/*
 * XHYBRID_EMULATE from --env or the profile's [session] env decides at
 * session start which tools stay the target's: a name the shim does not
 * know would silently change nothing.
 */
static int check_emulate_env(char *const *env, xh_error *err)
{
        for (char *const *e = env; *e; e++) {
                if (strncmp(*e, "XHYBRID_EMULATE=", 16) != 0)
                        continue;
                _cleanup_strv_ char **unknown = xh_shim_unknown_tools(*e + 16);
                if (!unknown[0])
                        return 0;
                _cleanup_free_ char *list = xh_strv_join(unknown, ", ");
                _cleanup_free_ char *known = xh_shim_tool_names();
                xh_fail(err, EINVAL, "XHYBRID_EMULATE names %s the shim does not know: %s",
                        unknown[1] ? "tools" : "a tool", list);
                return xh_hint(err, EINVAL,
                               "fix --env XHYBRID_EMULATE or the profile's [session] env; it "
                               "takes all or tools that a hybrid session replaces: %s",
                               known);
        }
        return 0;
}

/*
 * Hold the lock of a tree shared for the whole session (init inherits the
 * descriptor, so it lasts as long as the session even if xhybrid is killed):
 * create takes it exclusively to build or replace the tree.
 */
static int use_tree(const struct xh_session_opts *o, enum xh_tree which, int *fd, xh_error *err)
{
        return xh_store_use_tree(o->store, o->profile, which, "start the session again", fd, err);
}

/* /usr/local/bin/NAME -> /usr/bin/TRIPLET-CROSS for the cross tools of a native-cross session. */
static char **cross_links(const struct xh_profile *p)
{
        size_t n;
        const struct xh_shim_tool *tools = xh_shim_table(&n);
        char **v = xh_malloc(sizeof(char *));
        for (size_t i = 0; i < n; i++) {
                if (!tools[i].cross)
                        continue;
                xh_strv_pushf(&v, "/usr/local/bin/%s", tools[i].name);
                xh_strv_pushf(&v, "/usr/bin/%s-%s", p->triplet, tools[i].cross);
        }
        return v;
}

/*
 * The other form of the persistent upper, left from a time when the store
 * lay on another kind of file system, is not used: say so rather than
 * ignore it silently.
 */
static void note_unused_upper(const struct xh_session_opts *o, bool archived, const char *upper,
                              const char *archive)
{
        if (!archived) {
                if (xh_path_exists(archive))
                        xh_note(o->notes, XH_NOTE_WARNING,
                                "%s is not used: the store is not on overlayfs, so the "
                                "persistent upper is the directory %s (move the archive away "
                                "to silence this)",
                                archive, upper);
                return;
        }
        DIR *d = opendir(upper);
        if (!d)
                return;
        struct dirent *e;
        bool empty = true;
        while (empty && (e = readdir(d)))
                empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
        closedir(d);
        if (!empty)
                xh_note(o->notes, XH_NOTE_WARNING,
                        "%s is not used: the store is on overlayfs, which cannot hold an overlay "
                        "upper, so the persistent upper is kept in %s (move the directory away "
                        "to silence this)",
                        upper, archive);
}

/* The cache directory exists (unless in a dry run) and is no way into the store. */
static int cache_dir_ready(const struct xh_session_opts *o, xh_error *err)
{
        int r = o->dry_run ? 0 : xh_mkdir_p(o->cache_dir, 0755);
        if (r < 0) {
                xh_fail(err, -r, "cannot make the compile cache of profile '%s' (%s): %s",
                        o->profile->name, o->cache_dir, strerror(-r));
                return xh_hint(err, -r,
                               "choose a directory you can write with 'cache = PATH' in the "
                               "profile, or run without the cache");
        }
        if (!xh_is_dir(o->cache_dir)) {
                if (o->dry_run)
                        return 0;
                return xh_fail(err, ENOTDIR,
                               "the compile cache of profile '%s' (%s) is not a directory",
                               o->profile->name, o->cache_dir);
        }
        return xh_store_cache_exposure(o->store, o->cache_dir, err);
}

/*
 * The binds with their host paths resolved (and a missing session path set
 * to the resolved host path). A host path must exist: the mount would
 * otherwise need a source that is not there. As for the working directory,
 * a host path inside the store is refused (but for STORE/work), and the store
 * below a host path is added to cover, at its place under the session path.
 */
static int resolve_binds(const char *store, const struct xh_bind *in, struct xh_bind **out,
                         char ***keep, char ***cover, xh_error *err)
{
        size_t n = 0;
        while (in && in[n].src)
                n++;
        *out = xh_malloc((n + 1) * sizeof(**out));
        *keep = xh_malloc(sizeof(char *));
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *real = realpath(in[i].src, NULL);
                if (!real) {
                        int e = errno;
                        xh_fail(err, e, "cannot bind %s into the session: %s", in[i].src,
                                strerror(e));
                        if (e == ENOENT)
                                xh_hint(err, e,
                                        "the host path must exist: create it (mkdir -p %s) or "
                                        "correct it",
                                        in[i].src);
                        return -e;
                }
                _cleanup_free_ char *exposed = NULL;
                xh_error inside = {0};
                if (xh_store_exposure(store, real, &exposed, &inside) < 0) {
                        xh_error_clear(&inside);
                        xh_fail(err, EINVAL,
                                "cannot bind %s into the session: it is inside the store %s, "
                                "whose roots, layers and uppers sessions use",
                                in[i].src, store);
                        return xh_hint(err, EINVAL,
                                       "bind a directory outside the store, or choose another "
                                       "store with --store DIR");
                }
                xh_strv_push(keep, real);
                const char *src = (*keep)[xh_strv_len(*keep) - 1];
                const char *dst = in[i].dst ? in[i].dst : src;
                if (exposed) {
                        /* exposed is SRC/REST ("/REST" for "/"): the store at DST/REST */
                        const char *rest = exposed + (strcmp(src, "/") ? strlen(src) : 0);
                        xh_strv_pushf(cover, "%s%s", strcmp(dst, "/") ? dst : "", rest);
                }
                (*out)[i] = (struct xh_bind){.src = src, .dst = dst, .rdonly = in[i].rdonly};
        }
        return 0;
}

/*
 * The trace file as a clean absolute path (it is bound into the session),
 * outside the store (the session may write it); with fd (not a dry run)
 * made or truncated, opened for appending, with the version line written.
 */
static int trace_open(const struct xh_session_opts *o, char **path, int *fd, xh_error *err)
{
        *path = NULL;
        _cleanup_free_ char *copy = xh_strdup(o->trace);
        char *slash = strrchr(copy, '/');
        const char *base = slash ? slash + 1 : copy;
        if (slash)
                *slash = '\0';
        _cleanup_free_ char *dir = realpath(slash ? (*copy ? copy : "/") : ".", NULL);
        if (!dir || !*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
                int e = dir ? EISDIR : errno;
                xh_fail(err, e, "cannot write the trace file %s: %s", o->trace, strerror(e));
                return xh_hint(err, e, "give --trace a file in a directory that exists");
        }
        /* Checked before the file is made: it is truncated, and the session writes it. */
        _cleanup_free_ char *cover = NULL;
        xh_error inside = {0};
        if (xh_store_exposure(o->store, dir, &cover, &inside) < 0) {
                xh_error_clear(&inside);
                xh_fail(err, EINVAL,
                        "the trace file %s is inside the store %s, whose roots, layers and "
                        "uppers sessions use",
                        o->trace, o->store);
                return xh_hint(err, EINVAL, "write the trace elsewhere");
        }
        *path = xh_asprintf("%s/%s", strcmp(dir, "/") ? dir : "", base);
        if (!fd)
                return 0;
        *fd = open(*path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOCTTY, 0644);
        struct stat st;
        if (*fd < 0 || fstat(*fd, &st) < 0) {
                int e = errno;
                xh_fail(err, e, "cannot write the trace file %s: %s", o->trace, strerror(e));
                return xh_hint(err, e, "give --trace a file in a directory you can write");
        }
        if (!S_ISREG(st.st_mode))
                return xh_fail(err, EINVAL, "the trace file %s is not a regular file", o->trace);
        _cleanup_free_ char *header = xh_trace_header();
        if (write(*fd, header, strlen(header)) != (ssize_t)strlen(header)) {
                int e = errno ? errno : EIO;
                return xh_fail(err, e, "cannot write the trace file %s: %s", o->trace, strerror(e));
        }
        return 0;
}

int xh_session_run(const struct xh_session_opts *o, int *status, xh_error *err)
{
        *status = -1;
        const struct xh_profile *p = o->profile;
        int r;

        _cleanup_free_ char *rootfs = o->native_cross ? xh_store_toolchain_rootfs(o->store, p)
                                                      : xh_store_rootfs(o->store, p);
        enum xh_tree tree = o->native_cross ? XH_TREE_TOOLCHAIN : XH_TREE_ROOT;
        if ((r = xh_store_check(o->store, p, tree, false, err)) < 0)
                return r;

        bool traced = o->trace && !o->emulated && !o->native_cross;
        if (o->trace && !traced)
                return xh_fail(err, EINVAL,
                               "an exec trace records the native and emulated programs of a "
                               "hybrid session: not with --emulated");
        _cleanup_free_ char *staging = xh_asprintf("%s/mnt", o->store);
        /*
         * Every mode runs the target's programs under the emulator: a
         * native-cross build's own helper programs too, as cross builders with
         * binfmt do (its libraries: QEMU_LD_PREFIX, xh_session_env). Traced,
         * the shim's binfmt mode is the interpreter; it runs a copy of the
         * emulator.
         */
        _cleanup_free_ char *rule = NULL;
        _cleanup_free_ char *binfmt = traced ? xh_plan_layer_path(staging, XH_BINFMT_PATH) : NULL;
        struct xh_binfmt_emulator emu = {0};
        if ((r = xh_binfmt_rule_for(p, true, binfmt, &rule, &emu, err)) < 0)
                return r;
        _cleanup_free_ char *emulator = emu.path;
        _cleanup_free_ char *trace = NULL;
        _cleanup_close_ int trace_fd = -1;
        if (traced && (r = trace_open(o, &trace, o->dry_run ? NULL : &trace_fd, err)) < 0)
                return r;
        /* Never a session on a half-made, damaged or foreign root, nor one being replaced. */
        _cleanup_close_ int root_lock = -1;
        _cleanup_close_ int tc_lock = -1;
        if ((r = use_tree(o, tree, &root_lock, err)) < 0 ||
            (r = xh_store_check(o->store, p, tree, true, err)) < 0)
                return r;
        bool hybrid = !o->emulated && !o->native_cross;
        if (hybrid && ((r = xh_store_check(o->store, p, XH_TREE_TOOLCHAIN, false, err)) < 0 ||
                       (r = use_tree(o, XH_TREE_TOOLCHAIN, &tc_lock, err)) < 0))
                return r;
        _cleanup_strv_ char **links = o->native_cross ? cross_links(p) : NULL;

        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof(cwd)))
                return xh_fail(err, errno, "cannot get the working directory: %s", strerror(errno));
        _cleanup_free_ char *store_cover = NULL;
        if (strcmp(cwd, "/") != 0 && (r = xh_store_exposure(o->store, cwd, &store_cover, err)) < 0)
                return r;
        _cleanup_strv_ char **cover = xh_malloc(sizeof(char *));
        if (store_cover)
                xh_strv_push(&cover, store_cover);

        _cleanup_free_ char *sess = xh_store_session_path(o->store, p);
        _cleanup_free_ char *upper = xh_asprintf("%s/upper", sess);
        _cleanup_free_ char *work = xh_asprintf("%s/work", sess);
        _cleanup_free_ char *lock = xh_asprintf("%s.lock", sess);
        _cleanup_free_ char *archive = xh_store_upper_archive(o->store, p);
        bool archived;
        if ((r = xh_store_uppers_archived(o->store, &archived, err)) < 0)
                return r;
        note_unused_upper(o, archived, upper, archive);

        /*
         * A throwaway session starts from the profile's current state: its
         * persistent upper, when there is one, becomes a read-only layer.
         */
        const char *layers[2] = {NULL, NULL};
        bool as_layer = o->ephemeral && !o->native_cross;
        if (as_layer && !archived && xh_is_dir(upper))
                layers[0] = upper;

        _cleanup_free_ struct xh_bind *binds = NULL;
        _cleanup_strv_ char **bind_paths = NULL;
        if ((r = resolve_binds(o->store, o->binds, &binds, &bind_paths, &cover, err)) < 0)
                return r;

        struct xh_session_spec spec = {
                .staging = staging,
                .rootfs = rootfs,
                .layers = layers,
                .upper = o->ephemeral || archived ? NULL : upper,
                .work = o->ephemeral || archived ? NULL : work,
                .upper_archive = !o->ephemeral && archived ? archive : NULL,
                .layer_archive = as_layer && archived && xh_path_exists(archive) ? archive : NULL,
                .cwd = cwd,
                .binfmt_rule = rule,
                .binds = binds,
                .resolv_conf = true,
                .links = (const char *const *)links,
                .cover = (const char *const *)cover,
        };
        struct hybrid h = {0};
        _cleanup_free_ char *loader_at = NULL, *loader_to = NULL;
        _cleanup_free_ char *cache = xh_asprintf("%s/cache/%s", o->store, p->name);
        if (!o->dry_run && xh_mkdir_p(cache, 0755) < 0) {
                free(cache);
                cache = NULL;
        }
        const char *mode = o->native_cross ? "native-cross" : o->emulated ? "emulated" : "hybrid";
        _cleanup_strv_ char **env = xh_session_env(environ, p, o->env, mode);
        if ((r = check_emulate_env(env, err)) < 0)
                return r;
        if (hybrid && o->cache_dir && (r = cache_dir_ready(o, err)) < 0)
                return r;
        if (hybrid) {
                _cleanup_free_ char *view = NULL;
                bool scratch = false;
                if ((r = xh_store_upper_view(o->store, p, &view, &scratch, err)) == 0)
                        r = hybrid_setup(o, rootfs, view, archived ? archive : upper, env, &emu, &h,
                                         err);
                if (scratch)
                        xh_rm_rf(view);
                if (r < 0) {
                        hybrid_clear(&h);
                        return r;
                }
                if ((r = xh_loader_link(rootfs, h.toolchain, &loader_at, &loader_to, err)) < 0) {
                        hybrid_clear(&h);
                        return r;
                }
                spec.toolchain = h.toolchain;
                spec.rebuilt = (const char *const *)h.rebuilt_files;
                spec.hide = (const char *const *)h.hide;
                spec.shim_dir = h.shim_dir;
                spec.cache_dir = cache;
                spec.ccache_dir = h.ccache_conf ? o->cache_dir : NULL;
                spec.ccache_conf = h.ccache_conf;
                spec.shim_conf = h.conf;
                spec.shim_targets = (const char *const *)h.targets;
                spec.direct_targets = (const char *const *)h.direct;
                spec.loader_at = loader_at;
                spec.loader_to = loader_to;
                spec.host_libdir = xh_arch_host()->triplet;
                spec.trace_file = trace;
                spec.emulator = trace ? emulator : NULL;
        }
        struct xh_plan plan;
        r = xh_plan_session(&spec, &plan, err);
        hybrid_clear(&h);
        if (r < 0)
                return r;

        if (o->dry_run) {
                fprintf(o->dry_run_out, "# profile %s (%s), mode %s, %s upper\n", p->name,
                        p->origin, mode, o->ephemeral ? "throwaway" : "persistent");
                xh_plan_print(&plan, o->dry_run_out);
                for (char **e = env; *e; e++)
                        fprintf(o->dry_run_out, "env             %s\n", *e);
                fprintf(o->dry_run_out, "exec           ");
                for (char *const *a = o->argv; *a; a++)
                        fprintf(o->dry_run_out, " %s", *a);
                fprintf(o->dry_run_out, "\n");
                xh_plan_free(&plan);
                *status = 0;
                return 0;
        }

        _cleanup_close_ int lock_fd = -1;
        if (!o->ephemeral) {
                if ((r = xh_mkdir_p(archived ? sess : upper, 0755)) < 0 ||
                    (!archived && (r = xh_mkdir_p(work, 0755)) < 0)) {
                        xh_plan_free(&plan);
                        xh_fail(err, -r,
                                "cannot make the persistent upper of profile '%s' in %s: %s",
                                p->name, sess, strerror(-r));
                        if (r == -EACCES || r == -EPERM || r == -EROFS)
                                xh_hint(err, -r,
                                        "this store is not writable for you: add --ephemeral to "
                                        "run with throwaway changes, or use a store of your own "
                                        "with --store DIR");
                        return r;
                }
                _cleanup_free_ char *holder = NULL;
                if ((r = xh_store_lock(lock, &lock_fd, &holder, err)) == -EBUSY) {
                        xh_fail(err, EBUSY,
                                "profile '%s' is in use by another session%s%s%s (lock %s)",
                                p->name, holder ? " (pid " : "", holder ? holder : "",
                                holder ? ")" : "", lock);
                        xh_hint(err, EBUSY,
                                "wait for it to end, or add --ephemeral to run beside it with "
                                "throwaway changes");
                }
                if (r < 0) {
                        xh_plan_free(&plan);
                        return r;
                }
                /* What a save cut short left (xhybrid killed): the archive itself is whole. */
                _cleanup_free_ char *partial = xh_asprintf("%s.new", archive);
                if (archived && unlink(partial) == 0)
                        XH_INFO("removed %s, left by a session whose save was cut short", partial);
        }
        if ((r = xh_mkdir_p(staging, 0755)) < 0) {
                xh_plan_free(&plan);
                return xh_fail(err, -r, "%s: %s", staging, strerror(-r));
        }

        XH_INFO("session %s: root %s, %s upper%s%s, cwd %s", p->name, rootfs,
                o->ephemeral ? "throwaway" : "persistent", archived ? " kept in " : "",
                archived ? archive : "", cwd);
        /* Native programs run only in a hybrid session: only it needs the supervisor. */
        const struct xh_arch *arch = xh_arch_by_debian(p->arch);
        const char *machine = !o->emulated && !o->native_cross && arch ? arch->uname : NULL;
        struct timespec started;
        clock_gettime(CLOCK_REALTIME, &started);
        double t0 = xh_now();
        r = xh_ns_run_plan(&plan, o->argv, env, machine, status, err);
        xh_plan_free(&plan);
        if (trace_fd >= 0 && *status != -1) {
                _cleanup_free_ char *line = xh_trace_format_session(
                        (double)started.tv_sec + (double)started.tv_nsec / 1e9, xh_now() - t0,
                        *status, p->name);
                if (write(trace_fd, line, strlen(line)) < 0)
                        xh_note(o->notes, XH_NOTE_WARNING,
                                "cannot write the session's end to the trace file %s: %s", trace,
                                strerror(errno));
        }
        /*
         * A build that failed on a full store: say so, its own message may be
         * far above. (An upper kept as an archive lived in memory; its save
         * reports a full store itself.)
         */
        bool failed = *status != -1 && !(WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
        long long free_mib =
                failed && !o->ephemeral && !archived ? xh_low_space_mib(upper, 16) : -1;
        if (free_mib >= 0)
                xh_note(o->notes, XH_NOTE_WARNING,
                        "the store's file system is full (%lld MiB free in %s): changes of this "
                        "session may be missing from its upper; free some space there",
                        free_mib, upper);
        return r;
}

int xh_session_image_plan(const struct xh_profile *p, const char *store, const char *root,
                          const char *toolchain, const char *staging, bool cache,
                          const struct xh_notes *notes, struct xh_plan *plan, char ***env,
                          xh_error *err)
{
        *env = NULL;
        _cleanup_free_ char *rootfs = root ? xh_strdup(root) : xh_store_rootfs(store, p);
        int r;
        if (!root && (r = xh_store_check(store, p, XH_TREE_ROOT, true, err)) < 0)
                return r;
        /*
         * A throwaway hybrid session of the profile's root alone: no upper, no
         * binds; with the compile cache, its bind (of the staging directory,
         * which stands for the cache: the image makes an empty directory of it).
         */
        char *const no_argv[] = {NULL};
        struct xh_session_opts o = {.profile = p,
                                    .store = store,
                                    .ephemeral = true,
                                    .argv = no_argv,
                                    .cache_dir = cache ? staging : NULL,
                                    .toolchain_dir = toolchain,
                                    .notes = notes};
        _cleanup_strv_ char **session_env = xh_session_env(NULL, p, NULL, "hybrid");
        if ((r = check_emulate_env(session_env, err)) < 0)
                return r;
        struct hybrid h = {.image = true};
        if ((r = hybrid_setup(&o, rootfs, NULL, NULL, session_env, NULL, &h, err)) < 0) {
                hybrid_clear(&h);
                return r;
        }
        _cleanup_free_ char *loader_at = NULL, *loader_to = NULL;
        if ((r = xh_loader_link(rootfs, h.toolchain, &loader_at, &loader_to, err)) < 0) {
                hybrid_clear(&h);
                return r;
        }
        struct xh_session_spec spec = {
                .staging = staging,
                .rootfs = rootfs,
                .cwd = "/",
                .toolchain = h.toolchain,
                .hide = (const char *const *)h.hide,
                .shim_dir = h.shim_dir,
                .shim_conf = h.conf,
                .shim_targets = (const char *const *)h.targets,
                .direct_targets = (const char *const *)h.direct,
                .loader_at = loader_at,
                .loader_to = loader_to,
                .host_libdir = xh_arch_host()->triplet,
                .ccache_dir = h.ccache_conf ? staging : NULL,
                .ccache_conf = h.ccache_conf,
        };
        r = xh_plan_session(&spec, plan, err);
        hybrid_clear(&h);
        if (r == 0)
                *env = steal_pointer(&session_env);
        return r;
}
