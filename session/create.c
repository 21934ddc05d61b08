/* SPDX-License-Identifier: MIT */
/*
 * xhybrid create: the profile's target root and toolchain layer, each made by
 * mmdebstrap into PATH.tmp under a lock and renamed to PATH once complete, so
 * that an interrupted create never leaves a tree a later call takes as
 * finished. The foreign root is made in a namespace with a private
 * binfmt_misc that registers the profile's emulator.
 */
#include "emulator.h"
#include "session.h"

#include <errno.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

/* Environment for mmdebstrap: the caller's PATH, no host toolchain variables, proxies kept. */
static char **create_env(void)
{
        char **env = xh_malloc(sizeof(char *));
        xh_strv_pushf(&env, "PATH=%s", xh_host_path());
        xh_strv_push(&env, "LC_ALL=C.UTF-8");
        for (char **e = environ; *e; e++)
                if (strncmp(*e, "HOME=", 5) == 0 || strncmp(*e, "TERM=", 5) == 0 ||
                    strstr(*e, "_proxy=") || strstr(*e, "_PROXY=") ||
                    strncmp(*e, "TMPDIR=", 7) == 0)
                        xh_strv_push(&env, *e);
        return env;
}

/* What to build with mmdebstrap, and where. */
struct tree {
        const char *what; /* "root" or "toolchain layer" */
        const char *arch; /* Debian arch */
        const char *variant;
        char *const *packages;
        char *path;   /* STORE/roots/KEY or STORE/layers/KEY */
        char *recipe; /* written to PATH/recipe */
};

static int run_mmdebstrap(const struct xh_profile *p, const struct tree *t, const char *tmp,
                          xh_error *err)
{
        _cleanup_free_ char *rootfs = xh_asprintf("%s/rootfs", tmp);
        _cleanup_strv_ char **argv = xh_malloc(sizeof(char *));
        xh_strv_push(&argv, "mmdebstrap");
        xh_strv_push(&argv, "--mode=root");
        _cleanup_free_ char *variant = xh_asprintf("--variant=%s", t->variant);
        _cleanup_free_ char *arch = xh_asprintf("--arch=%s", t->arch);
        xh_strv_push(&argv, variant);
        xh_strv_push(&argv, arch);
        if (t->packages && t->packages[0]) {
                _cleanup_free_ char *list = xh_strv_join(t->packages, ",");
                _cleanup_free_ char *inc = xh_asprintf("--include=%s", list);
                xh_strv_push(&argv, inc);
        }
        xh_strv_push(&argv, p->suite);
        xh_strv_push(&argv, rootfs);
        xh_strv_push(&argv, p->mirror);

        _cleanup_strv_ char **env = create_env();
        int status = -1;
        int r = xh_ns_exec_binfmt(p, argv, env, &status, err);
        if (r == -ENOENT && status != -1)
                return xh_hint(err, ENOENT, "install it: apt-get install mmdebstrap");
        if (r < 0)
                return r;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                xh_fail(err, EIO, "mmdebstrap failed (%s %d); its output is above",
                        WIFEXITED(status) ? "exit status" : "signal",
                        WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
                return -EIO;
        }
        _cleanup_free_ char *recipe_path = xh_asprintf("%s/recipe", tmp);
        if ((r = xh_write_file(recipe_path, t->recipe, strlen(t->recipe), 0644)) < 0)
                return xh_fail(err, -r, "%s: %s", recipe_path, strerror(-r));
        return 0;
}

/*
 * Build one tree into PATH.tmp and rename it to PATH when complete, under a
 * lock. Returns 1 when it was built, 0 when it existed, or -errno.
 */
static int ensure_tree(const struct xh_profile *p, const struct tree *t, bool force,
                       const struct xh_notes *notes, xh_error *err)
{
        _cleanup_free_ char *lock = xh_asprintf("%s.lock", t->path);
        _cleanup_free_ char *tmp = xh_asprintf("%s.tmp", t->path);
        _cleanup_free_ char *old = xh_asprintf("%s.old", t->path);
        _cleanup_free_ char *rootfs = xh_asprintf("%s/rootfs", t->path);
        _cleanup_free_ char *parent = xh_strdup(t->path);
        *strrchr(parent, '/') = '\0';
        int r;

        if ((r = xh_mkdir_p(parent, 0755)) < 0) {
                xh_fail(err, -r, "cannot create the store %s: %s", parent, strerror(-r));
                return xh_hint(err, -r, "choose another with --store DIR or XHYBRID_STORE");
        }
        _cleanup_close_ int lock_fd = -1;
        if ((r = xh_store_lock(lock, &lock_fd, NULL, err)) == -EBUSY) {
                xh_fail(err, EBUSY, "another 'xhybrid create' is building this root (lock %s)",
                        lock);
                xh_hint(err, EBUSY, "wait for it to finish");
        }
        if (r < 0)
                return r;
        if (xh_is_dir(rootfs) && !force)
                return 0;
        if (xh_path_exists(tmp)) {
                xh_note(notes, XH_NOTE_PROGRESS,
                        "removing the unfinished %s of an interrupted create: %s", t->what, tmp);
                if ((r = xh_rm_rf(tmp)) < 0)
                        return xh_fail(err, -r, "cannot remove %s: %s", tmp, strerror(-r));
        }
        if (xh_path_exists(old) && (r = xh_rm_rf(old)) < 0)
                return xh_fail(err, -r, "cannot remove %s: %s", old, strerror(-r));
        if ((r = xh_mkdir_p(tmp, 0755)) < 0)
                return xh_fail(err, -r, "cannot create %s: %s", tmp, strerror(-r));

        _cleanup_free_ char *pkgs = xh_strv_join(t->packages, " ");
        xh_note(notes, XH_NOTE_PROGRESS, "creating the %s %s %s for '%s' with mmdebstrap (%s%s%s)",
                t->arch, p->suite, t->what, p->name, t->variant, *pkgs ? " + " : "", pkgs);
        xh_note(notes, XH_NOTE_PROGRESS, "into %s", t->path);
        double t0 = xh_now();
        if ((r = run_mmdebstrap(p, t, tmp, err)) < 0) {
                xh_rm_rf(tmp);
                return r;
        }
        bool replaced = xh_path_exists(t->path);
        if (replaced && rename(t->path, old) < 0)
                return xh_fail(err, errno, "rename %s: %s", t->path, strerror(errno));
        if (rename(tmp, t->path) < 0)
                return xh_fail(err, errno, "rename %s: %s", tmp, strerror(errno));
        if (replaced)
                xh_rm_rf(old);
        xh_note(notes, XH_NOTE_PROGRESS, "%s for '%s' ready in %.0f s: %s", t->what, p->name,
                xh_now() - t0, rootfs);
        return 1;
}

int xh_create(const struct xh_create_opts *o, xh_error *err)
{
        const struct xh_profile *p = o->profile;
        const struct xh_arch *host = xh_arch_host();
        if (!host)
                return xh_fail(err, ENOTSUP,
                               "this machine's architecture is not in xhybrid's arch table: "
                               "no toolchain layer can be made for it");
        struct tree root = {
                .what = "root",
                .arch = p->arch,
                .variant = p->variant,
                .packages = p->packages,
                .path = xh_store_root_path(o->store, p),
                .recipe = xh_profile_target_recipe(p),
        };
        struct tree tc = {
                .what = "toolchain layer",
                .arch = host->debian,
                .variant = "apt",
                .packages = p->toolchain_packages,
                .path = xh_store_toolchain_path(o->store, p),
                .recipe = xh_profile_toolchain_recipe(p),
        };
        int r = ensure_tree(p, &root, o->force, o->notes, err);
        if (r == 0) {
                xh_note(o->notes, XH_NOTE_PROGRESS, "root for '%s' exists: %s/rootfs", p->name,
                        root.path);
        } else if (r > 0) {
                /* An upper made over an older root does not belong on the new one. */
                _cleanup_free_ char *sess = xh_store_session_path(o->store, p);
                if (xh_path_exists(sess)) {
                        xh_note(o->notes, XH_NOTE_PROGRESS,
                                "discarding the persistent changes of '%s' (%s)", p->name, sess);
                        xh_rm_rf(sess);
                }
        }
        if (r >= 0 && p->toolchain_packages && p->toolchain_packages[0]) {
                r = ensure_tree(p, &tc, o->force, o->notes, err);
                if (r == 0)
                        xh_note(o->notes, XH_NOTE_PROGRESS,
                                "toolchain layer for '%s' exists: %s/rootfs", p->name, tc.path);
        }
        free(root.path);
        free(root.recipe);
        free(tc.path);
        free(tc.recipe);
        return r < 0 ? r : 0;
}
