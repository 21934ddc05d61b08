/* SPDX-License-Identifier: MIT */
/* The subcommands: each prints its own errors and returns an exit status. */
#include "bench.h"
#include "cli.h"
#include "emulator.h"
#include "overlay.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

void xh_print_error(const xh_error *err)
{
        fprintf(stderr, "xhybrid: %s\n", err->msg ? err->msg : "unknown error");
        if (err->hint)
                fprintf(stderr, "xhybrid: hint: %s\n", err->hint);
}

static int fail(xh_error *err, int code)
{
        xh_print_error(err);
        xh_error_clear(err);
        return code;
}

static int load_profile(const char *name, struct xh_profile **p, xh_error *err)
{
        _cleanup_free_ char *dir = xh_profile_user_dir();
        return xh_profile_load(name, dir, p, err);
}

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Environment for mmdebstrap: no host toolchain variables, proxies kept. */
static char **create_env(void)
{
        char **env = xh_malloc(sizeof(char *));
        xh_strv_push(&env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
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
        int status = 0;
        int r = xh_ns_exec_binfmt(p, argv, env, &status, err);
        if (r < 0)
                return r;
        if (err && err->msg) {
                /* mmdebstrap could not be started */
                return xh_hint(err, EIO, "install it: apt-get install mmdebstrap");
        }
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
static int ensure_tree(const struct xh_profile *p, const struct tree *t, bool force, xh_error *err)
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
                fprintf(stderr,
                        "xhybrid: removing the unfinished %s of an interrupted create: %s\n",
                        t->what, tmp);
                if ((r = xh_rm_rf(tmp)) < 0)
                        return xh_fail(err, -r, "cannot remove %s: %s", tmp, strerror(-r));
        }
        if (xh_path_exists(old) && (r = xh_rm_rf(old)) < 0)
                return xh_fail(err, -r, "cannot remove %s: %s", old, strerror(-r));
        if ((r = xh_mkdir_p(tmp, 0755)) < 0)
                return xh_fail(err, -r, "cannot create %s: %s", tmp, strerror(-r));

        _cleanup_free_ char *pkgs = xh_strv_join(t->packages, " ");
        fprintf(stderr, "xhybrid: creating the %s %s %s for '%s' with mmdebstrap (%s%s%s)\n",
                t->arch, p->suite, t->what, p->name, t->variant, *pkgs ? " + " : "", pkgs);
        fprintf(stderr, "xhybrid: into %s\n", t->path);
        double t0 = now();
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
        fprintf(stderr, "xhybrid: %s for '%s' ready in %.0f s: %s\n", t->what, p->name, now() - t0,
                rootfs);
        return 1;
}

int xh_cmd_create(const struct xh_args *a)
{
        xh_error err = {0};
        _cleanup_profile_ struct xh_profile *p = NULL;
        if (load_profile(a->profile, &p, &err) < 0)
                return fail(&err, XH_EXIT_ERROR);
        _cleanup_free_ char *store = xh_store_dir(a->store);
        const struct xh_arch *host = xh_arch_host();

        struct tree root = {
                .what = "root",
                .arch = p->arch,
                .variant = p->variant,
                .packages = p->packages,
                .path = xh_store_root_path(store, p),
                .recipe = xh_profile_target_recipe(p),
        };
        struct tree tc = {
                .what = "toolchain layer",
                .arch = host ? host->debian : "amd64",
                .variant = "apt",
                .packages = p->toolchain_packages,
                .path = xh_store_toolchain_path(store, p),
                .recipe = xh_profile_toolchain_recipe(p),
        };
        int rc = XH_EXIT_OK;
        int r = ensure_tree(p, &root, a->force, &err);
        if (r < 0) {
                rc = fail(&err, XH_EXIT_ERROR);
        } else if (r == 0) {
                printf("xhybrid: root for '%s' exists: %s/rootfs\n", p->name, root.path);
        } else {
                /* An upper made over an older root does not belong on the new one. */
                _cleanup_free_ char *sess = xh_store_session_path(store, p);
                if (xh_path_exists(sess)) {
                        fprintf(stderr, "xhybrid: discarding the persistent changes of '%s' (%s)\n",
                                p->name, sess);
                        xh_rm_rf(sess);
                }
        }
        if (rc == XH_EXIT_OK && p->toolchain_packages && p->toolchain_packages[0]) {
                r = ensure_tree(p, &tc, a->force, &err);
                if (r < 0)
                        rc = fail(&err, XH_EXIT_ERROR);
                else if (r == 0)
                        printf("xhybrid: toolchain layer for '%s' exists: %s/rootfs\n", p->name,
                               tc.path);
        }
        free(root.path);
        free(root.recipe);
        free(tc.path);
        free(tc.recipe);
        return rc;
}

/* Exit the way the command did: same code, or the same signal. */
static int pass_status(int status)
{
        if (WIFSIGNALED(status)) {
                int sig = WTERMSIG(status);
                signal(sig, SIG_DFL);
                fflush(NULL);
                raise(sig);
                return 128 + sig;
        }
        return WIFEXITED(status) ? WEXITSTATUS(status) : XH_EXIT_ERROR;
}

int xh_cmd_run(const struct xh_args *a)
{
        xh_error err = {0};
        _cleanup_profile_ struct xh_profile *p = NULL;
        if (load_profile(a->profile, &p, &err) < 0)
                return fail(&err, XH_EXIT_ERROR);
        _cleanup_free_ char *store = xh_store_dir(a->store);

        _cleanup_strv_ char **shell = NULL;
        char *const *argv = a->rest;
        if (a->cmd == XH_CMD_ENTER) {
                _cleanup_free_ char *rootfs = xh_store_rootfs(store, p);
                _cleanup_free_ char *bash = xh_asprintf("%s/bin/bash", rootfs);
                shell = xh_malloc(sizeof(char *));
                xh_strv_push(&shell, access(bash, X_OK) == 0 ? "/bin/bash" : "/bin/sh");
                if (isatty(STDIN_FILENO))
                        xh_strv_push(&shell, "-i");
                argv = shell;
        }
        struct xh_session_opts o = {
                .profile = p,
                .store = store,
                .emulated = a->emulated,
                .ephemeral = a->ephemeral,
                .dry_run = a->dry_run,
                .env = a->env,
                .argv = argv,
        };
        int status = 0;
        int r = xh_session_run(&o, &status, &err);
        if (r < 0)
                return fail(&err, XH_EXIT_ERROR);
        if (err.msg)
                xh_print_error(&err); /* the command could not be executed */
        xh_error_clear(&err);
        return pass_status(status);
}

/* The tools a hybrid session of p replaces, with both versions and the decision. */
static void print_tools(const char *store, const struct xh_profile *p)
{
        _cleanup_free_ char *rootfs = xh_store_rootfs(store, p);
        _cleanup_free_ char *tcfs = xh_store_toolchain_rootfs(store, p);
        _cleanup_free_ char *sess = xh_store_session_path(store, p);
        _cleanup_free_ char *upper = xh_asprintf("%s/upper", sess);
        struct xh_binding *b = NULL;
        size_t n = 0;
        if (xh_toolchain_bindings(p, rootfs, upper, tcfs, NULL, &b, &n) < 0)
                return;
        printf("# tools of a hybrid session (skew = %s):\n", xh_skew_policy_name(p->skew));
        printf("#   %-36s %-32s %-40s %s\n", "path", "target package", "toolchain package", "runs");
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *tp =
                        xh_asprintf("%s %s", b[i].target_pkg ? b[i].target_pkg : "?",
                                    b[i].target_ver ? b[i].target_ver : "");
                _cleanup_free_ char *cp = xh_asprintf("%s %s", b[i].tc_pkg ? b[i].tc_pkg : "-",
                                                      b[i].tc_ver ? b[i].tc_ver : "");
                printf("#   %-36s %-32s %-40s %s\n", b[i].path, tp, cp,
                       xh_binding_decision_name(b[i].decision));
        }
        xh_bindings_free(b, n);
}

int xh_cmd_profiles(const struct xh_args *a)
{
        xh_error err = {0};
        _cleanup_free_ char *dir = xh_profile_user_dir();
        if (strcmp(a->subcommand, "show") == 0) {
                _cleanup_profile_ struct xh_profile *p = NULL;
                if (xh_profile_load(a->profile, dir, &p, &err) < 0)
                        return fail(&err, XH_EXIT_ERROR);
                xh_profile_dump(p, stdout);
                _cleanup_free_ char *store = xh_store_dir(a->store);
                _cleanup_free_ char *rootfs = xh_store_rootfs(store, p);
                printf("\n# root: %s (%s)\n", rootfs,
                       xh_store_root_ready(store, p) ? "created" : "not created");
                _cleanup_free_ char *tcfs = xh_store_toolchain_rootfs(store, p);
                printf("# toolchain layer: %s (%s)\n", tcfs,
                       xh_store_toolchain_ready(store, p) ? "created" : "not created");
                if (xh_store_root_ready(store, p) && xh_store_toolchain_ready(store, p))
                        print_tools(store, p);
                return XH_EXIT_OK;
        }
        _cleanup_strv_ char **names = NULL;
        if (xh_profile_list(dir, &names, &err) < 0)
                return fail(&err, XH_EXIT_ERROR);
        _cleanup_free_ char *store = xh_store_dir(a->store);
        for (char **n = names; *n; n++) {
                _cleanup_profile_ struct xh_profile *p = NULL;
                if (xh_profile_load(*n, dir, &p, &err) < 0) {
                        printf("%-20s (error: %s)\n", *n, err.msg);
                        xh_error_clear(&err);
                        continue;
                }
                printf("%-20s %-8s %-10s %-9s %s\n", p->name, p->arch, p->suite,
                       xh_store_root_ready(store, p) ? "created" : "-", p->origin);
        }
        return XH_EXIT_OK;
}

int xh_cmd_elf(const struct xh_args *a)
{
        int rc = XH_EXIT_OK;
        for (char **path = a->rest; *path; path++) {
                xh_error err = {0};
                struct xh_elf_info info = {0};
                if (xh_elf_inspect(*path, &info, &err) < 0) {
                        xh_print_error(&err);
                        xh_error_clear(&err);
                        rc = XH_EXIT_FAIL;
                        continue;
                }
                _cleanup_free_ char *d = xh_elf_describe(&info);
                printf("%s: %s\n", *path, d);
                xh_elf_info_clear(&info);
        }
        return rc;
}

int xh_cmd_compare(const struct xh_args *a)
{
        if (0) {
                fprintf(stderr, "xhybrid: compare: expected two directories\n");
                return XH_EXIT_USAGE;
        }
        struct xh_compare c;
        xh_error err = {0};
        if (xh_compare_trees(a->rest[0], a->rest[1], &c, &err) < 0) {
                xh_print_error(&err);
                xh_error_clear(&err);
                return XH_EXIT_ERROR;
        }
        for (char **d = c.differences; *d; d++)
                printf("DIFF %s\n", *d);
        size_t n = xh_strv_len(c.differences);
        printf("%s: %zu files, %zu ELF files and archives compared section by section (ignoring "
               ".comment and "
               ".note.gnu.build-id), %zu config.h, %zu config.status; %zu differences\n",
               n ? "DIFFERENT" : "IDENTICAL", c.files, c.elf_files, c.config_headers,
               c.config_status, n);
        xh_compare_clear(&c);
        return n ? XH_EXIT_FAIL : XH_EXIT_OK;
}
