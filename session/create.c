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
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
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
        enum xh_tree which;
        const char *what; /* "root" or "toolchain layer" */
        const char *arch; /* Debian arch */
        const char *variant;
        char *const *packages;
        char *path;   /* STORE/roots/KEY or STORE/layers/KEY */
        char *recipe; /* written to PATH/recipe */
        int lock_fd;  /* PATH.lock, held exclusively while it is built */
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
        if (r == -EINTR)
                return xh_hint(err, EINTR,
                               "nothing of it is kept: run 'xhybrid create %s' to start over",
                               p->name);
        if (r < 0)
                return r;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                /* A root takes a few hundred MiB: a full store is the likely cause. */
                long long free_mib = xh_low_space_mib(tmp, 512);
                xh_fail(err, free_mib >= 0 ? ENOSPC : EIO,
                        "mmdebstrap failed (%s %d); its output is above%s",
                        WIFEXITED(status) ? "exit status" : "signal",
                        WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
                        free_mib >= 0 ? "; the store's file system is (nearly) full" : "");
                _cleanup_free_ char *dir = xh_strdup(t->path);
                *strrchr(dir, '/') = '\0';
                if (free_mib < 0)
                        xh_hint(err, EIO, "run 'xhybrid create %s' again %s", p->name,
                                WIFEXITED(status) ? "once what mmdebstrap says above is fixed"
                                                  : "(it starts over)");
                else
                        xh_hint(err, ENOSPC,
                                "%s has %lld MiB free and a %s needs a few hundred: free some "
                                "space there or choose another store with --store DIR, then run "
                                "create again",
                                dir, free_mib, t->what);
                return free_mib >= 0 ? -ENOSPC : -EIO;
        }
        _cleanup_free_ char *recipe_path = xh_asprintf("%s/recipe", tmp);
        if ((r = xh_write_file(recipe_path, t->recipe, strlen(t->recipe), 0644)) < 0)
                return xh_fail(err, -r, "%s: %s", recipe_path, strerror(-r));
        return 0;
}

/*
 * Decide whether a tree must be built: 0 when it exists and is whole (a
 * damaged one is an error that says to use --force), 1 when it must be built,
 * with t->lock_fd its lock held exclusively. Sessions hold the lock shared
 * while they use the tree, so it is never replaced under one.
 */
static int claim_tree(const char *store, const struct xh_profile *p, struct tree *t, bool force,
                      xh_error *err)
{
        _cleanup_free_ char *lock = xh_asprintf("%s.lock", t->path);
        _cleanup_free_ char *rootfs = xh_asprintf("%s/rootfs", t->path);
        _cleanup_free_ char *parent = xh_strdup(t->path);
        *strrchr(parent, '/') = '\0';
        int r;

        /* A tree gets its final name only once complete: no lock is needed to use it. */
        if (!force && xh_is_dir(rootfs))
                return (r = xh_store_check(store, p, t->which, true, err)) < 0 ? r : 0;
        if ((r = xh_mkdir_p(parent, 0755)) < 0) {
                xh_fail(err, -r, "cannot create the store %s: %s", parent, strerror(-r));
                return xh_hint(err, -r, "choose another with --store DIR or XHYBRID_STORE");
        }
        if ((r = xh_store_lock(lock, &t->lock_fd, NULL, err)) == -EBUSY) {
                /* Sessions hold it shared: then a shared lock is still granted. */
                _cleanup_close_ int probe = open(lock, O_RDONLY | O_CLOEXEC);
                if (probe >= 0 && flock(probe, LOCK_SH | LOCK_NB) == 0) {
                        xh_fail(err, EBUSY,
                                "the %s of profile '%s' (%s) is in use by a running session "
                                "(lock %s)",
                                t->what, p->name, t->path, lock);
                        return xh_hint(err, EBUSY,
                                       "end the sessions that use it, then run create again");
                }
                xh_fail(err, EBUSY, "another 'xhybrid create' is building this %s (lock %s)",
                        t->what, lock);
                return xh_hint(err, EBUSY, "wait for it to finish");
        }
        if (r < 0)
                return r;
        /* Another create may have finished it while this one waited for nothing. */
        if (!force && xh_is_dir(rootfs)) {
                close(t->lock_fd);
                t->lock_fd = -1;
                return (r = xh_store_check(store, p, t->which, true, err)) < 0 ? r : 0;
        }
        return 1;
}

/* Build a claimed tree into PATH.tmp and rename it to PATH when complete. */
static int build_tree(const struct xh_profile *p, const struct tree *t,
                      const struct xh_notes *notes, xh_error *err)
{
        _cleanup_free_ char *tmp = xh_asprintf("%s.tmp", t->path);
        _cleanup_free_ char *old = xh_asprintf("%s.old", t->path);
        _cleanup_free_ char *rootfs = xh_asprintf("%s/rootfs", t->path);
        int r;

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

/*
 * A new root discards the profile's persistent upper: made over the old
 * root, it does not belong on the new one. It goes before the root is built,
 * so that an interrupted create never leaves it on a new root, and by a
 * rename first, so that it is never half removed. Its lock is kept (in
 * *lock_fd) until the create ends: no persistent session starts meanwhile.
 */
static int drop_upper(const struct xh_create_opts *o, int *lock_fd, xh_error *err)
{
        const struct xh_profile *p = o->profile;
        _cleanup_free_ char *sess = xh_store_session_path(o->store, p);
        _cleanup_free_ char *gone = xh_asprintf("%s.dropped", sess);
        _cleanup_free_ char *lock = xh_asprintf("%s.lock", sess);
        int r;
        if (!xh_path_exists(sess) && !xh_path_exists(gone))
                return 0;
        _cleanup_free_ char *holder = NULL;
        if ((r = xh_store_lock(lock, lock_fd, &holder, err)) == -EBUSY) {
                xh_fail(err, EBUSY, "profile '%s' is in use by a session%s%s%s (lock %s)", p->name,
                        holder ? " (pid " : "", holder ? holder : "", holder ? ")" : "", lock);
                return xh_hint(err, EBUSY,
                               "end it first: a new root drops the profile's persistent changes");
        }
        if (r < 0)
                return r;
        if (xh_path_exists(sess)) {
                xh_note(o->notes, XH_NOTE_PROGRESS,
                        "discarding the persistent changes of '%s' (%s)", p->name, sess);
                if (xh_path_exists(gone) && (r = xh_rm_rf(gone)) < 0)
                        return xh_fail(err, -r, "cannot remove %s: %s", gone, strerror(-r));
                if (rename(sess, gone) < 0)
                        return xh_fail(err, errno, "rename %s: %s", sess, strerror(errno));
        }
        if ((r = xh_rm_rf(gone)) < 0)
                return xh_fail(err, -r, "cannot remove %s: %s", gone, strerror(-r));
        return 0;
}

/*
 * Not root: a tree's owners other than root (_apt, shadow ...) are the
 * caller's subordinate ids, which must be there before anything is built or
 * dropped.
 */
static int check_ids(xh_error *err)
{
        struct xh_subid u, g;
        return geteuid() == 0 ? 0 : xh_ns_subids(&u, &g, err);
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
                .which = XH_TREE_ROOT,
                .what = "root",
                .arch = p->arch,
                .variant = p->variant,
                .packages = p->packages,
                .path = xh_store_root_path(o->store, p),
                .recipe = xh_profile_target_recipe(p),
                .lock_fd = -1,
        };
        struct tree tc = {
                .which = XH_TREE_TOOLCHAIN,
                .what = "toolchain layer",
                .arch = host->debian,
                .variant = "apt",
                .packages = p->toolchain_packages,
                .path = xh_store_toolchain_path(o->store, p),
                .recipe = xh_profile_toolchain_recipe(p),
                .lock_fd = -1,
        };
        _cleanup_close_ int upper_lock = -1;
        int r = claim_tree(o->store, p, &root, o->force, err);
        if (r == 0)
                xh_note(o->notes, XH_NOTE_PROGRESS, "root for '%s' exists: %s/rootfs", p->name,
                        root.path);
        else if (r > 0 && (r = check_ids(err)) == 0 && (r = drop_upper(o, &upper_lock, err)) == 0)
                r = build_tree(p, &root, o->notes, err);
        if (root.lock_fd >= 0)
                close(root.lock_fd);
        if (r >= 0 && p->toolchain_packages && p->toolchain_packages[0]) {
                r = claim_tree(o->store, p, &tc, o->force, err);
                if (r == 0)
                        xh_note(o->notes, XH_NOTE_PROGRESS,
                                "toolchain layer for '%s' exists: %s/rootfs", p->name, tc.path);
                else if (r > 0 && (r = check_ids(err)) == 0)
                        r = build_tree(p, &tc, o->notes, err);
                if (tc.lock_fd >= 0)
                        close(tc.lock_fd);
        }
        free(root.path);
        free(root.recipe);
        free(tc.path);
        free(tc.recipe);
        return r < 0 ? r : 0;
}
