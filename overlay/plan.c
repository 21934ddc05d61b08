/* SPDX-License-Identifier: MIT */
#include "overlay.h"
#include "xh-paths.h"

#include <errno.h>
#include <string.h>

static const char *const op_names[] = {
        [XH_OP_MAKE_PRIVATE] = "make-private",
        [XH_OP_TMPFS] = "tmpfs",
        [XH_OP_MKDIR] = "mkdir",
        [XH_OP_OVERLAY] = "overlay",
        [XH_OP_BIND] = "bind",
        [XH_OP_PROC] = "proc",
        [XH_OP_BINFMT] = "binfmt_misc",
        [XH_OP_BINFMT_REGISTER] = "binfmt-register",
        [XH_OP_SYMLINK] = "symlink",
        [XH_OP_WRITE] = "write",
        [XH_OP_COPY] = "copy",
        [XH_OP_LINK] = "link",
        [XH_OP_PIVOT] = "pivot-root",
        [XH_OP_CHDIR] = "chdir",
        [XH_OP_RESTORE] = "restore",
        [XH_OP_SAVE] = "save-at-exit",
};

const char *xh_op_kind_name(enum xh_op_kind kind)
{
        if ((size_t)kind < XH_ARRAY_SIZE(op_names) && op_names[kind])
                return op_names[kind];
        return "?";
}

static void add_op(struct xh_plan *plan, enum xh_op_kind kind, unsigned flags, const char *src,
                   const char *dst, const char *data)
{
        plan->ops = xh_realloc(plan->ops, (plan->n + 1) * sizeof(*plan->ops));
        plan->ops[plan->n++] = (struct xh_op){
                .kind = kind,
                .flags = flags,
                .src = xh_strdup(src),
                .dst = xh_strdup(dst),
                .data = xh_strdup(data),
        };
}

/* Join a root and an absolute path inside it. */
static char *in_root(const char *root, const char *path)
{
        while (*path == '/')
                path++;
        return *path ? xh_asprintf("%s/%s", root, path) : xh_strdup(root);
}

static bool is_abs_clean(const char *p)
{
        if (!p || p[0] != '/')
                return false;
        /* No "." or ".." components: the same path must mean the same thing inside. */
        for (const char *s = p; *s;) {
                while (*s == '/')
                        s++;
                size_t n = strcspn(s, "/");
                if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
                        return false;
                s += n;
        }
        return true;
}

/* path is dir or lies below it. */
static bool is_under(const char *path, const char *dir)
{
        size_t n = strlen(dir);
        if (n == 1 && dir[0] == '/')
                return true;
        return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/*
 * The root's own system directories and the session's directory: a host
 * directory bound over one of them (the working directory, or a --bind)
 * would hide the target's files there, or the session's own. "/" itself
 * stays the target's root and is not in the list.
 */
static bool is_system_dir(const char *path)
{
        static const char *const system_dirs[] = {
                "/bin",       "/boot",        "/etc",     "/lib",         "/lib32",
                "/lib64",     "/libx32",      "/proc",    "/sbin",        "/sys",
                "/usr/bin",   "/usr/include", "/usr/lib", "/usr/libexec", "/usr/sbin",
                "/usr/share", "/var/cache",   "/var/lib", "/var/log",     XH_SESSION_DIR,
        };
        static const char *const exact[] = {"/usr", "/var", "/usr/local"};
        for (size_t i = 0; i < XH_ARRAY_SIZE(exact); i++)
                if (strcmp(path, exact[i]) == 0)
                        return true;
        for (size_t i = 0; i < XH_ARRAY_SIZE(system_dirs); i++)
                if (is_under(path, system_dirs[i]))
                        return true;
        return false;
}

/* A copy of an absolute path without repeated or trailing slashes. */
static char *squeeze_slashes(const char *path)
{
        xh_buf b = {0};
        for (const char *s = path; *s; s++)
                if (*s != '/' || (s[1] != '/' && (s[1] != '\0' || b.len == 0)))
                        xh_buf_addn(&b, s, 1);
        return xh_buf_steal(&b);
}

/* The working directory is bound over the same path of the target. */
static int check_cwd(const char *cwd, xh_error *err)
{
        _cleanup_free_ char *path = squeeze_slashes(cwd);
        if (!is_system_dir(path))
                return 0;
        xh_fail(err, EINVAL,
                "the working directory %s is a system directory of the target root; binding it "
                "would hide the target's own files",
                cwd);
        return xh_hint(err, EINVAL, "run xhybrid from a project directory (or from /)");
}

static int check_path(const char *what, const char *p, xh_error *err)
{
        if (!is_abs_clean(p))
                return xh_fail(err, EINVAL, "%s '%s' is not an absolute, normalized path", what,
                               p ? p : "(none)");
        return 0;
}

/*
 * A bind puts a host path at dst in the session, on top of everything else.
 * It may not cover the target root itself, /dev (the host's devices, bound
 * whole), a system directory, or the working directory (bound at its own
 * path just before the binds).
 */
static int check_bind(const struct xh_bind *b, const char *cwd, xh_error *err)
{
        int r;
        if ((r = check_path("bind source", b->src, err)) < 0 ||
            (r = check_path("bind destination", b->dst, err)) < 0)
                return r;
        _cleanup_free_ char *dst = squeeze_slashes(b->dst);
        _cleanup_free_ char *dir = squeeze_slashes(cwd);
        const char *base = strrchr(dst, '/') + 1;
        const char *where = NULL, *hides = NULL;
        if (strcmp(dst, "/") == 0) {
                where = "the target root itself";
                hides = "the whole target";
        } else if (is_under(dst, "/dev")) {
                where = "in the session's /dev";
                hides = "the devices bound there";
        } else if (is_under(dst, XH_SESSION_DIR)) {
                where = "in the session's own directory " XH_SESSION_DIR;
                hides = "the toolchain and the shims";
        } else if (is_system_dir(dst)) {
                where = "in a system directory of the target root";
                hides = "the target's own files";
        }
        if (where) {
                xh_fail(err, EINVAL, "cannot bind %s at %s, %s: it would hide %s", b->src, b->dst,
                        where, hides);
                return xh_hint(err, EINVAL,
                               "give the bind a session path outside the system directories, "
                               "e.g. --bind %s:/srv/%s",
                               b->src, *base ? base : "data");
        }
        if (is_under(dir, dst)) {
                xh_fail(err, EINVAL,
                        "cannot bind %s at %s: it would cover the working directory %s", b->src,
                        b->dst, cwd);
                return xh_hint(err, EINVAL,
                               "bind it below the working directory or elsewhere, or run xhybrid "
                               "from another directory");
        }
        return 0;
}

/* The parent directory of a path in the layer, made before a file goes there. */
static void add_parent(struct xh_plan *plan, const char *at)
{
        _cleanup_free_ char *dir = xh_strdup(at);
        *strrchr(dir, '/') = '\0';
        for (size_t i = 0; i < plan->n; i++)
                if (plan->ops[i].kind == XH_OP_MKDIR && strcmp(plan->ops[i].dst, dir) == 0)
                        return;
        add_op(plan, XH_OP_MKDIR, 0, NULL, dir, NULL);
}

/*
 * The shim layer: one copy of the shim, hard linked over every path it
 * stands in for, and copies of the plain tools that run native directly.
 * All of it lies below the upper, so the target's package manager can
 * still replace or remove any of these files.
 */
static int plan_shim_layer(const struct xh_session_spec *spec, const char *layer,
                           struct xh_plan *plan, xh_error *err)
{
        int r;
        _cleanup_free_ char *from = xh_asprintf("%s/xhybrid-shim", spec->shim_dir);
        _cleanup_free_ char *shim = xh_asprintf("%s" XH_SHIM_PATH, layer);
        add_op(plan, XH_OP_COPY, 0, from, shim, NULL);
        for (const char *const *t = spec->shim_targets; t && *t; t++) {
                if ((r = check_path("shim target", *t, err)) < 0)
                        return r;
                _cleanup_free_ char *at = in_root(layer, *t);
                add_parent(plan, at);
                add_op(plan, XH_OP_LINK, 0, shim, at, NULL);
        }
        for (const char *const *t = spec->direct_targets; t && *t; t++) {
                if ((r = check_path("native target", *t, err)) < 0)
                        return r;
                _cleanup_free_ char *native = in_root(spec->toolchain, *t);
                _cleanup_free_ char *at = in_root(layer, *t);
                add_parent(plan, at);
                add_op(plan, XH_OP_COPY, 0, native, at, NULL);
        }
        return 0;
}

char *xh_plan_layer_path(const char *staging, const char *path)
{
        _cleanup_free_ char *layer = xh_asprintf("%s/layer", staging);
        return in_root(layer, path);
}

/*
 * A tracing session: the shim also as the binfmt interpreter, the emulator
 * it runs, and the mount point of the trace file, all in the layer.
 */
static int plan_trace_layer(const struct xh_session_spec *spec, const char *layer,
                            struct xh_plan *plan, xh_error *err)
{
        int r;
        if ((r = check_path("trace file", spec->trace_file, err)) < 0 ||
            (r = check_path("emulator", spec->emulator, err)) < 0)
                return r;
        _cleanup_free_ char *shim = xh_asprintf("%s" XH_SHIM_PATH, layer);
        _cleanup_free_ char *binfmt = xh_asprintf("%s" XH_BINFMT_PATH, layer);
        _cleanup_free_ char *emulator = xh_asprintf("%s" XH_EMULATOR_PATH, layer);
        _cleanup_free_ char *trace = xh_asprintf("%s" XH_TRACE_FILE, layer);
        add_op(plan, XH_OP_LINK, 0, shim, binfmt, NULL);
        add_op(plan, XH_OP_COPY, 0, spec->emulator, emulator, NULL);
        add_op(plan, XH_OP_WRITE, 0, NULL, trace, "");
        return 0;
}

int xh_plan_session(const struct xh_session_spec *spec, struct xh_plan *plan, xh_error *err)
{
        int r;
        *plan = (struct xh_plan){0};

        if ((r = check_path("staging directory", spec->staging, err)) < 0 ||
            (r = check_path("root", spec->rootfs, err)) < 0 ||
            (r = check_path("working directory", spec->cwd, err)) < 0 ||
            (r = check_cwd(spec->cwd, err)) < 0)
                return r;
        if (spec->upper && ((r = check_path("upper", spec->upper, err)) < 0 ||
                            (r = check_path("work dir", spec->work, err)) < 0))
                return r;
        if ((spec->upper_archive &&
             (r = check_path("upper archive", spec->upper_archive, err)) < 0) ||
            (spec->layer_archive &&
             (r = check_path("layer archive", spec->layer_archive, err)) < 0))
                return r;
        if (!!spec->upper + !!spec->upper_archive + !!spec->layer_archive > 1)
                return xh_fail(err, EINVAL,
                               "a session has one persistent upper: a directory (%s), an "
                               "archive (%s) or an archive as a layer (%s)",
                               spec->upper ? spec->upper : "none",
                               spec->upper_archive ? spec->upper_archive : "none",
                               spec->layer_archive ? spec->layer_archive : "none");
        for (const char *const *l = spec->layers; l && *l; l++)
                if ((r = check_path("layer", *l, err)) < 0)
                        return r;
        for (const struct xh_bind *b = spec->binds; b && b->src; b++)
                if ((r = check_bind(b, spec->cwd, err)) < 0)
                        return r;

        _cleanup_free_ char *root = xh_asprintf("%s/root", spec->staging);
        _cleanup_free_ char *upper =
                spec->upper ? xh_strdup(spec->upper) : xh_asprintf("%s/upper", spec->staging);
        _cleanup_free_ char *work =
                spec->upper ? xh_strdup(spec->work) : xh_asprintf("%s/work", spec->staging);

        add_op(plan, XH_OP_MAKE_PRIVATE, 0, NULL, "/", NULL);
        add_op(plan, XH_OP_TMPFS, 0, NULL, spec->staging, "mode=0755");
        add_op(plan, XH_OP_MKDIR, 0, NULL, root, NULL);
        if (!spec->upper) {
                add_op(plan, XH_OP_MKDIR, 0, NULL, upper, NULL);
                add_op(plan, XH_OP_MKDIR, 0, NULL, work, NULL);
        }
        /* A store on overlayfs: the persistent upper comes from its archive. */
        _cleanup_free_ char *saved = xh_asprintf("%s/saved", spec->staging);
        if (spec->upper_archive)
                add_op(plan, XH_OP_RESTORE, XH_F_OPTIONAL, spec->upper_archive, upper, NULL);
        if (spec->layer_archive) {
                add_op(plan, XH_OP_MKDIR, 0, NULL, saved, NULL);
                add_op(plan, XH_OP_RESTORE, XH_F_OPTIONAL, spec->layer_archive, saved, NULL);
        }

        bool hybrid = spec->toolchain != NULL;
        _cleanup_free_ char *layer = xh_asprintf("%s/layer", spec->staging);
        if (hybrid) {
                static const char *const dirs[] = {XH_TOOLCHAIN_DIR, XH_ORIG_DIR, XH_BIN_DIR,
                                                   XH_RUN_DIR, XH_CACHE_DIR};
                if ((r = check_path("toolchain layer", spec->toolchain, err)) < 0 ||
                    (r = check_path("shim directory", spec->shim_dir, err)) < 0 ||
                    (spec->ccache_dir &&
                     (r = check_path("compile cache", spec->ccache_dir, err)) < 0)) {
                        xh_plan_free(plan);
                        return r;
                }
                for (size_t i = 0; i < XH_ARRAY_SIZE(dirs); i++) {
                        _cleanup_free_ char *d = xh_asprintf("%s%s", layer, dirs[i]);
                        add_op(plan, XH_OP_MKDIR, 0, NULL, d, NULL);
                }
                /*
                 * The mount point of the host's libraries (bound below) and the
                 * link to its program interpreter, /lib64/ld-linux-x86-64.so.2.
                 */
                _cleanup_free_ char *libs = xh_asprintf("%s/usr/lib/%s", layer, spec->host_libdir);
                add_op(plan, XH_OP_MKDIR, 0, NULL, libs, NULL);
                if (spec->loader_at) {
                        if ((r = check_path("loader link", spec->loader_at, err)) < 0) {
                                xh_plan_free(plan);
                                return r;
                        }
                        _cleanup_free_ char *at = in_root(layer, spec->loader_at);
                        if (strchr(spec->loader_at + 1, '/'))
                                add_parent(plan, at);
                        add_op(plan, XH_OP_SYMLINK, 0, NULL, at, spec->loader_to);
                }
                _cleanup_free_ char *conf = xh_asprintf("%s" XH_SHIM_CONF, layer);
                add_op(plan, XH_OP_WRITE, 0, NULL, conf, spec->shim_conf ? spec->shim_conf : "");
                if (spec->ccache_dir) {
                        _cleanup_free_ char *d = xh_asprintf("%s" XH_CCACHE_DIR, layer);
                        _cleanup_free_ char *c = xh_asprintf("%s" XH_CCACHE_CONF, layer);
                        add_op(plan, XH_OP_MKDIR, 0, NULL, d, NULL);
                        add_op(plan, XH_OP_WRITE, 0, NULL, c,
                               spec->ccache_conf ? spec->ccache_conf : "");
                }
                if ((r = plan_shim_layer(spec, layer, plan, err)) < 0 ||
                    (spec->trace_file && (r = plan_trace_layer(spec, layer, plan, err)) < 0)) {
                        xh_plan_free(plan);
                        return r;
                }
        }

        bool has_links = spec->links && spec->links[0];
        for (const char *const *l = spec->links; has_links && l[0] && l[1]; l += 2) {
                if ((r = check_path("link", l[0], err)) < 0) {
                        xh_plan_free(plan);
                        return r;
                }
                _cleanup_free_ char *at = in_root(layer, l[0]);
                add_parent(plan, at);
                add_op(plan, XH_OP_SYMLINK, 0, NULL, at, l[1]);
        }

        /* overlayfs lists lower layers top first. */
        xh_buf o = {0};
        xh_buf_add(&o, "lowerdir=");
        if (hybrid || has_links) {
                xh_buf_add_escaped(&o, layer);
                xh_buf_add(&o, ":");
        }
        if (spec->layer_archive) {
                xh_buf_add_escaped(&o, saved);
                xh_buf_add(&o, ":");
        }
        size_t nl = xh_strv_len((char *const *)spec->layers);
        for (size_t i = nl; i > 0; i--) {
                xh_buf_add_escaped(&o, spec->layers[i - 1]);
                xh_buf_add(&o, ":");
        }
        xh_buf_add_escaped(&o, spec->rootfs);
        xh_buf_add(&o, ",upperdir=");
        xh_buf_add_escaped(&o, upper);
        xh_buf_add(&o, ",workdir=");
        xh_buf_add_escaped(&o, work);
        /* In a user namespace overlayfs can only keep its metadata in user.* xattrs. */
        xh_buf_add(&o, ",userxattr");
        size_t overlay_at = plan->n;
        add_op(plan, XH_OP_OVERLAY, 0, "overlay", root, o.s);
        xh_buf_free(&o);
        /* Opened now, carried out by xh_plan_finish(): the store has no path after the pivot. */
        if (spec->upper_archive)
                add_op(plan, XH_OP_SAVE, 0, upper, spec->upper_archive, NULL);

        _cleanup_free_ char *proc = in_root(root, "/proc");
        _cleanup_free_ char *binfmt = in_root(root, "/proc/sys/fs/binfmt_misc");
        _cleanup_free_ char *reg = in_root(root, "/proc/sys/fs/binfmt_misc/register");
        _cleanup_free_ char *dev = in_root(root, "/dev");
        _cleanup_free_ char *sys = in_root(root, "/sys");
        _cleanup_free_ char *tmp = in_root(root, "/tmp");
        _cleanup_free_ char *resolv = in_root(root, "/etc/resolv.conf");
        _cleanup_free_ char *cwd = in_root(root, spec->cwd);

        if (hybrid) {
                _cleanup_free_ char *own = xh_asprintf("%s" XH_SESSION_DIR, layer);
                _cleanup_free_ char *own_at = in_root(root, XH_SESSION_DIR);
                _cleanup_free_ char *orig = in_root(root, XH_ORIG_DIR);
                _cleanup_free_ char *tc = in_root(root, XH_TOOLCHAIN_DIR);
                _cleanup_free_ char *run = in_root(root, XH_RUN_DIR);
                /*
                 * /.xhybrid is xhybrid's, not the target's: its own directory
                 * of the generated layer is bound over the merged one, so
                 * that shim.conf and the shim cannot be shadowed from the
                 * upper (a persistent upper would pass that to later
                 * sessions). The target's tools elsewhere stay replaceable.
                 */
                add_op(plan, XH_OP_BIND, XH_F_RDONLY, own, own_at, NULL);
                add_op(plan, XH_OP_BIND, XH_F_RDONLY, spec->rootfs, orig, NULL);
                add_op(plan, XH_OP_BIND, XH_F_RDONLY, spec->toolchain, tc, NULL);
                for (const char *const *f = spec->rebuilt; f && f[0] && f[1]; f += 2) {
                        _cleanup_free_ char *at = in_root(tc, f[1]);
                        add_op(plan, XH_OP_BIND, XH_F_RDONLY | XH_F_FILE, f[0], at, NULL);
                }
                _cleanup_free_ char *host_libs = xh_asprintf("/usr/lib/%s", spec->host_libdir);
                _cleanup_free_ char *libs_from = in_root(spec->toolchain, host_libs);
                _cleanup_free_ char *libs_at = in_root(root, host_libs);
                add_op(plan, XH_OP_BIND, XH_F_RDONLY, libs_from, libs_at, NULL);
                for (const char *const *h = spec->hide; h && *h; h++) {
                        _cleanup_free_ char *d = in_root(tc, *h);
                        add_op(plan, XH_OP_TMPFS, XH_F_RDONLY | XH_F_NODEV | XH_F_OPTIONAL, NULL, d,
                               "mode=0755");
                }
                add_op(plan, XH_OP_TMPFS, XH_F_NODEV, NULL, run, "mode=1777");
                if (spec->trace_file) {
                        _cleanup_free_ char *trace = in_root(root, XH_TRACE_FILE);
                        add_op(plan, XH_OP_BIND, XH_F_FILE | XH_F_NODEV, spec->trace_file, trace,
                               NULL);
                }
                if (spec->cache_dir) {
                        _cleanup_free_ char *cache = in_root(root, XH_CACHE_DIR);
                        bool persistent = spec->upper || spec->upper_archive;
                        add_op(plan, XH_OP_BIND, XH_F_NODEV | (persistent ? 0 : XH_F_RDONLY),
                               spec->cache_dir, cache, NULL);
                }
                if (spec->ccache_dir) {
                        _cleanup_free_ char *ccache = in_root(root, XH_CCACHE_DIR);
                        add_op(plan, XH_OP_BIND, XH_F_NODEV, spec->ccache_dir, ccache, NULL);
                }
        }
        add_op(plan, XH_OP_PROC, 0, "proc", proc, NULL);
        if (spec->binfmt_rule) {
                add_op(plan, XH_OP_BINFMT, 0, "binfmt_misc", binfmt, NULL);
                add_op(plan, XH_OP_BINFMT_REGISTER, 0, NULL, reg, spec->binfmt_rule);
        }
        add_op(plan, XH_OP_BIND, XH_F_REC, "/dev", dev, NULL);
        add_op(plan, XH_OP_BIND, XH_F_REC | XH_F_RDONLY, "/sys", sys, NULL);
        add_op(plan, XH_OP_TMPFS, XH_F_NODEV, NULL, tmp, "mode=1777");
        if (spec->resolv_conf)
                add_op(plan, XH_OP_BIND, XH_F_FILE | XH_F_OPTIONAL | XH_F_RDONLY,
                       "/etc/resolv.conf", resolv, NULL);
        if (strcmp(spec->cwd, "/") != 0)
                add_op(plan, XH_OP_BIND, XH_F_REC, spec->cwd, cwd, NULL);
        /* After the working directory, so that a bind below it is not hidden by it. */
        for (const struct xh_bind *b = spec->binds; b && b->src; b++) {
                _cleanup_free_ char *d = in_root(root, b->dst);
                add_op(plan, XH_OP_BIND, XH_F_REC | (b->rdonly ? XH_F_RDONLY : 0), b->src, d, NULL);
        }
        for (const char *const *c = spec->cover; c && *c; c++) {
                if ((r = check_path("covered path", *c, err)) < 0) {
                        xh_plan_free(plan);
                        return r;
                }
                _cleanup_free_ char *d = in_root(root, *c);
                add_op(plan, XH_OP_TMPFS, XH_F_RDONLY | XH_F_NODEV, NULL, d, "mode=0755");
        }
        /*
         * Every target below the merged root is looked up inside it, as the
         * session will: a symlink the upper holds cannot lead out of it.
         */
        size_t root_len = strlen(root);
        for (size_t i = overlay_at; i < plan->n; i++)
                if (strncmp(plan->ops[i].dst, root, root_len) == 0 &&
                    plan->ops[i].dst[root_len] == '/')
                        plan->ops[i].root_len = root_len;
        add_op(plan, XH_OP_PIVOT, 0, NULL, root, NULL);
        add_op(plan, XH_OP_CHDIR, 0, NULL, spec->cwd, NULL);
        return 0;
}

int xh_plan_serve(const struct xh_serve_spec *spec, struct xh_plan *plan, xh_error *err)
{
        int r;
        *plan = (struct xh_plan){0};
        if ((r = check_path("staging directory", spec->staging, err)) < 0 ||
            (r = check_path("toolchain layer", spec->toolchain, err)) < 0)
                return r;
        for (const char *const *l = spec->links; l && l[0] && l[1]; l += 2)
                if (strchr(l[0], '/') || !*l[0] ||
                    (r = check_path("served compiler", l[1], err)) < 0)
                        return r < 0 ? r : xh_fail(err, EINVAL, "bad served name '%s'", l[0]);
        _cleanup_free_ char *served = xh_asprintf("%s/served", spec->staging);
        _cleanup_free_ char *root = xh_asprintf("%s/root", spec->staging);
        add_op(plan, XH_OP_MAKE_PRIVATE, 0, NULL, "/", NULL);
        add_op(plan, XH_OP_TMPFS, 0, NULL, spec->staging, "mode=0755");
        add_op(plan, XH_OP_MKDIR, 0, NULL, served, NULL);
        for (const char *const *l = spec->links; l && l[0] && l[1]; l += 2) {
                _cleanup_free_ char *at = xh_asprintf("%s/%s", served, l[0]);
                add_op(plan, XH_OP_SYMLINK, 0, NULL, at, l[1]);
        }
        _cleanup_free_ char *list = xh_asprintf("%s/cmdlist", served);
        add_op(plan, XH_OP_WRITE, 0, NULL, list, spec->cmdlist ? spec->cmdlist : "");
        add_op(plan, XH_OP_MKDIR, 0, NULL, root, NULL);
        add_op(plan, XH_OP_BIND, XH_F_RDONLY, spec->toolchain, root, NULL);
        for (const char *const *h = spec->hide; h && *h; h++) {
                _cleanup_free_ char *d = in_root(root, *h);
                add_op(plan, XH_OP_TMPFS, XH_F_RDONLY | XH_F_NODEV | XH_F_OPTIONAL, NULL, d,
                       "mode=0755");
        }
        _cleanup_free_ char *run = in_root(root, "/run");
        _cleanup_free_ char *at = in_root(root, XH_SERVE_DIR);
        add_op(plan, XH_OP_TMPFS, XH_F_NODEV, NULL, run, "mode=0755");
        add_op(plan, XH_OP_BIND, XH_F_RDONLY, served, at, NULL);
        _cleanup_free_ char *proc = in_root(root, "/proc");
        add_op(plan, XH_OP_PROC, 0, "proc", proc, NULL);
        _cleanup_free_ char *dev = in_root(root, "/dev");
        add_op(plan, XH_OP_TMPFS, XH_F_NODEV, NULL, dev, "mode=0755");
        static const char *const devices[] = {"/dev/null", "/dev/zero", "/dev/random",
                                              "/dev/urandom"};
        for (size_t i = 0; i < XH_ARRAY_SIZE(devices); i++) {
                _cleanup_free_ char *d = in_root(root, devices[i]);
                add_op(plan, XH_OP_BIND, XH_F_FILE, devices[i], d, NULL);
        }
        _cleanup_free_ char *tmp = in_root(root, "/tmp");
        add_op(plan, XH_OP_TMPFS, XH_F_NODEV, NULL, tmp, "mode=1777");
        add_op(plan, XH_OP_PIVOT, 0, NULL, root, NULL);
        add_op(plan, XH_OP_CHDIR, 0, NULL, "/", NULL);
        return 0;
}

int xh_plan_host_binfmt(const char *binfmt_rule, struct xh_plan *plan, xh_error *err)
{
        *plan = (struct xh_plan){0};
        if (!binfmt_rule || !*binfmt_rule)
                return xh_fail(err, EINVAL, "no binfmt rule to register");
        add_op(plan, XH_OP_MAKE_PRIVATE, 0, NULL, "/", NULL);
        add_op(plan, XH_OP_PROC, 0, "proc", "/proc", NULL);
        add_op(plan, XH_OP_BINFMT, 0, "binfmt_misc", "/proc/sys/fs/binfmt_misc", NULL);
        add_op(plan, XH_OP_BINFMT_REGISTER, 0, NULL, "/proc/sys/fs/binfmt_misc/register",
               binfmt_rule);
        return 0;
}

int xh_plan_probe(const char *staging, const char *scratch, bool upper_in_tmpfs, int level,
                  const char *binfmt_rule, struct xh_plan *plan, xh_error *err)
{
        int r;
        *plan = (struct xh_plan){0};
        if ((r = check_path("staging directory", staging, err)) < 0 ||
            (level >= 1 && (r = check_path("scratch directory", scratch, err)) < 0))
                return r;
        add_op(plan, XH_OP_MAKE_PRIVATE, 0, NULL, "/", NULL);
        if (level >= 1) {
                const char *in = upper_in_tmpfs ? staging : scratch;
                _cleanup_free_ char *lower = xh_asprintf("%s/lower", scratch);
                _cleanup_free_ char *upper = xh_asprintf("%s/upper", in);
                _cleanup_free_ char *work = xh_asprintf("%s/work", in);
                _cleanup_free_ char *merged = xh_asprintf("%s/merged", staging);
                add_op(plan, XH_OP_TMPFS, 0, NULL, staging, "mode=0755");
                add_op(plan, XH_OP_MKDIR, 0, NULL, lower, NULL);
                add_op(plan, XH_OP_MKDIR, 0, NULL, upper, NULL);
                add_op(plan, XH_OP_MKDIR, 0, NULL, work, NULL);
                add_op(plan, XH_OP_MKDIR, 0, NULL, merged, NULL);
                xh_buf o = {0};
                xh_buf_add(&o, "lowerdir=");
                xh_buf_add_escaped(&o, lower);
                xh_buf_add(&o, ",upperdir=");
                xh_buf_add_escaped(&o, upper);
                xh_buf_add(&o, ",workdir=");
                xh_buf_add_escaped(&o, work);
                xh_buf_add(&o, ",userxattr");
                _cleanup_free_ char *data = xh_buf_steal(&o);
                add_op(plan, XH_OP_OVERLAY, 0, "overlay", merged, data);
        }
        if (level >= 2)
                add_op(plan, XH_OP_PROC, 0, "proc", "/proc", NULL);
        if (level >= 3) {
                add_op(plan, XH_OP_BINFMT, 0, "binfmt_misc", "/proc/sys/fs/binfmt_misc", NULL);
                if (binfmt_rule)
                        add_op(plan, XH_OP_BINFMT_REGISTER, 0, NULL,
                               "/proc/sys/fs/binfmt_misc/register", binfmt_rule);
        }
        return 0;
}

static void print_flags(unsigned flags, FILE *out)
{
        static const struct {
                unsigned flag;
                const char *name;
        } names[] = {
                {XH_F_REC, "rec"},   {XH_F_RDONLY, "ro"},          {XH_F_OPTIONAL, "optional"},
                {XH_F_FILE, "file"}, {XH_F_NODEV, "nodev,nosuid"},
        };
        bool first = true;
        for (size_t i = 0; i < XH_ARRAY_SIZE(names); i++) {
                if (!(flags & names[i].flag))
                        continue;
                fprintf(out, "%s%s", first ? " [" : ",", names[i].name);
                first = false;
        }
        if (!first)
                fputc(']', out);
}

/* binfmt rules hold raw bytes; print them escaped so the plan stays one line. */
static void print_data(const char *s, FILE *out)
{
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;
                if (c < 0x20 || c >= 0x7f)
                        fprintf(out, "\\x%02x", c);
                else
                        fputc(c, out);
        }
}

void xh_plan_print(const struct xh_plan *plan, FILE *out)
{
        for (size_t i = 0; i < plan->n; i++) {
                const struct xh_op *op = &plan->ops[i];
                fprintf(out, "%-15s", xh_op_kind_name(op->kind));
                if (op->src &&
                    (op->kind == XH_OP_BIND || op->kind == XH_OP_COPY || op->kind == XH_OP_LINK ||
                     op->kind == XH_OP_RESTORE || op->kind == XH_OP_SAVE))
                        fprintf(out, " %s ->", op->src);
                fprintf(out, " %s", op->dst);
                if (op->data) {
                        fputs(" ", out);
                        print_data(op->data, out);
                }
                print_flags(op->flags, out);
                fputc('\n', out);
        }
}

void xh_plan_free(struct xh_plan *plan)
{
        for (size_t i = 0; i < plan->n; i++) {
                free(plan->ops[i].src);
                free(plan->ops[i].dst);
                free(plan->ops[i].data);
        }
        free(plan->ops);
        *plan = (struct xh_plan){0};
}
