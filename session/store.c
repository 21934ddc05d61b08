/* SPDX-License-Identifier: MIT */
/*
 * The store:
 *   STORE/roots/ARCH-SUITE-HASH/      a finished target root (HASH of the recipe)
 *       rootfs/                       the root itself
 *       recipe                        the recipe it was built from
 *   STORE/roots/ARCH-SUITE-HASH.tmp/  a root being built (never used by sessions)
 *   STORE/layers/toolchain-ARCH-SUITE-HASH/  the amd64 toolchain layer, same scheme
 *   STORE/sessions/PROFILE/{upper,work}  the persistent upper of a profile
 *   STORE/sessions/PROFILE/upper.tar  the same, where the store is on overlayfs
 *   STORE/sessions/PROFILE.lock       held by the session using that upper
 *   STORE/mnt/                        empty; each session mounts its own tmpfs here,
 *                                     inside its private mount namespace
 * A root directory only gets its final name by rename(2) once complete, so an
 * interrupted create never leaves something a later call takes as finished.
 */
#include "session.h"
#include "emulator.h"

#include "overlay.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>

/* A relative store is taken from the current directory. */
static char *absolute(const char *path)
{
        if (path[0] == '/')
                return xh_strdup(path);
        char *cwd = getcwd(NULL, 0);
        char *abs = xh_asprintf("%s/%s", cwd ? cwd : "", path);
        free(cwd);
        return abs;
}

char *xh_store_dir(const char *option)
{
        if (option && *option)
                return absolute(option);
        const char *s = getenv("XHYBRID_STORE");
        if (s && *s)
                return absolute(s);
        s = getenv("XDG_DATA_HOME");
        if (s && *s == '/')
                return xh_asprintf("%s/xhybrid", s);
        s = getenv("HOME");
        return xh_asprintf("%s/.local/share/xhybrid", s && *s ? s : "/root");
}

char *xh_store_root_path(const char *store, const struct xh_profile *p)
{
        _cleanup_free_ char *recipe = xh_profile_target_recipe(p);
        return xh_asprintf("%s/roots/%s-%s-%012llx", store, p->arch, p->suite,
                           xh_hash64(recipe) & 0xffffffffffffULL);
}

char *xh_store_toolchain_path(const char *store, const struct xh_profile *p)
{
        _cleanup_free_ char *recipe = xh_profile_toolchain_recipe(p);
        return xh_asprintf("%s/layers/toolchain-%s-%s-%012llx", store, p->arch, p->suite,
                           xh_hash64(recipe) & 0xffffffffffffULL);
}

bool xh_store_toolchain_ready(const char *store, const struct xh_profile *p)
{
        _cleanup_free_ char *rootfs = xh_store_toolchain_rootfs(store, p);
        return xh_is_dir(rootfs);
}

char *xh_store_rootfs(const char *store, const struct xh_profile *p)
{
        _cleanup_free_ char *root = xh_store_root_path(store, p);
        return xh_asprintf("%s/rootfs", root);
}

char *xh_store_toolchain_rootfs(const char *store, const struct xh_profile *p)
{
        _cleanup_free_ char *tc = xh_store_toolchain_path(store, p);
        return xh_asprintf("%s/rootfs", tc);
}

char *xh_store_session_path(const char *store, const struct xh_profile *p)
{
        return xh_asprintf("%s/sessions/%s", store, p->name);
}

char *xh_store_upper_archive(const char *store, const struct xh_profile *p)
{
        return xh_asprintf("%s/sessions/%s/upper.tar", store, p->name);
}

int xh_store_uppers_archived(const char *store, bool *archived, xh_error *err)
{
        /* The sessions directory, or where it will be made. */
        _cleanup_free_ char *dir = xh_asprintf("%s/sessions", store);
        struct statfs sf;
        while (statfs(dir, &sf) < 0) {
                char *slash = strrchr(dir, '/');
                if (errno != ENOENT || !slash || slash == dir)
                        return xh_fail(err, errno, "%s: %s", dir, strerror(errno));
                *slash = '\0';
        }
        *archived = sf.f_type == OVERLAYFS_SUPER_MAGIC;
        return 0;
}

struct view {
        const char *dir;
        const char *archive;
};

/* The entries of a saved upper that xh_toolchain_bindings() reads, into the view. */
static int view_entry(void *ctx, const struct xh_upper_entry *e, xh_error *err)
{
        const struct view *v = ctx;
        const char *p = e->path;
        bool dpkg = strcmp(p, "var/lib/dpkg/status") == 0 ||
                    (strncmp(p, "var/lib/dpkg/info/", 18) == 0 && !strchr(p + 18, '/') &&
                     strlen(p) > 23 && strcmp(p + strlen(p) - 5, ".list") == 0);
        bool tool = strncmp(p, "usr/bin/", 8) == 0 && p[8] && !strchr(p + 8, '/');
        if (!(dpkg && S_ISREG(e->mode) && !e->hardlink) && !tool)
                return 0;
        _cleanup_free_ char *at = xh_asprintf("%s/%s", v->dir, p);
        _cleanup_free_ char *parent = xh_strndup(at, (size_t)(strrchr(at, '/') - at));
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = xh_mkdir_p(parent, 0700);
        if (r == 0 && dpkg && S_ISREG(e->mode) && !e->hardlink)
                r = xh_upper_entry_read(e, &data, &len);
        /* A tool's entry only has to be there: whatever it is, the upper replaced the tool. */
        if (r == 0)
                r = xh_write_file(at, data ? data : "", len, 0600);
        if (r < 0)
                return xh_fail(err, -r, "cannot read %s of %s into %s: %s", p, v->archive, v->dir,
                               strerror(-r));
        return 0;
}

int xh_store_upper_view(const char *store, const struct xh_profile *p, char **dir, bool *scratch,
                        xh_error *err)
{
        *dir = NULL;
        *scratch = false;
        bool archived;
        int r = xh_store_uppers_archived(store, &archived, err);
        if (r < 0)
                return r;
        if (!archived) {
                _cleanup_free_ char *sess = xh_store_session_path(store, p);
                _cleanup_free_ char *upper = xh_asprintf("%s/upper", sess);
                if (xh_is_dir(upper))
                        *dir = steal_pointer(&upper);
                return 0;
        }
        _cleanup_free_ char *archive = xh_store_upper_archive(store, p);
        _cleanup_close_ int fd = open(archive, O_RDONLY | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT)
                return 0;
        if (fd < 0)
                return xh_fail(err, errno, "%s: %s", archive, strerror(errno));
        const char *tmp = getenv("TMPDIR");
        _cleanup_free_ char *view =
                xh_asprintf("%s/xhybrid-upper-view.XXXXXX", tmp && *tmp == '/' ? tmp : "/tmp");
        if (!mkdtemp(view))
                return xh_fail(err, errno, "cannot make a directory like %s: %s", view,
                               strerror(errno));
        struct view v = {.dir = view, .archive = archive};
        if ((r = xh_upper_walk(fd, archive, view_entry, &v, err)) < 0) {
                xh_rm_rf(view);
                return r;
        }
        *dir = steal_pointer(&view);
        *scratch = true;
        return 0;
}

bool xh_store_root_ready(const char *store, const struct xh_profile *p)
{
        _cleanup_free_ char *rootfs = xh_store_rootfs(store, p);
        return xh_is_dir(rootfs);
}

/* Open path inside the tree at root_fd, resolving its symbolic links inside it. */
static int open_in_root(int root_fd, const char *path)
{
        while (*path == '/')
                path++;
        return xh_openat2(root_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
                          RESOLVE_IN_ROOT);
}

static const char *const tree_names[] = {
        [XH_TREE_ROOT] = "root", [XH_TREE_TOOLCHAIN] = "toolchain layer"};

/* The damage of a tree that exists: what it lacks, and how to make it again. */
static int __attribute__((format(printf, 4, 5)))
damaged(xh_error *err, int e, const struct xh_profile *p, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *msg = NULL;
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        xh_fail(err, e, "%s", msg ? msg : fmt);
        return xh_hint(err, e,
                       "it is damaged or was replaced: make it again with 'xhybrid create "
                       "--force %s' (this also drops the profile's persistent changes)",
                       p->name);
}

int xh_store_check(const char *store, const struct xh_profile *p, enum xh_tree which, bool contents,
                   xh_error *err)
{
        const char *what = tree_names[which];
        _cleanup_free_ char *tree = which == XH_TREE_ROOT ? xh_store_root_path(store, p)
                                                          : xh_store_toolchain_path(store, p);
        _cleanup_free_ char *rootfs = xh_asprintf("%s/rootfs", tree);
        struct stat st;
        if (stat(rootfs, &st) < 0 && errno == ENOENT) {
                xh_fail(err, ENOENT, "no %s for profile '%s' in the store (%s)", what, p->name,
                        rootfs);
                if (which == XH_TREE_ROOT)
                        return xh_hint(err, ENOENT, "create it first: xhybrid create %s", p->name);
                return xh_hint(err, ENOENT,
                               "create it: xhybrid create %s (or run everything emulated with "
                               "--emulated)",
                               p->name);
        }
        _cleanup_close_ int root_fd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0 || faccessat(root_fd, ".", R_OK | X_OK, AT_EACCESS) < 0) {
                int e = errno;
                xh_fail(err, e, "cannot read the %s of profile '%s' (%s): %s", what, p->name,
                        rootfs, strerror(e));
                if (e == EACCES || e == EPERM)
                        return xh_hint(err, e,
                                       "the store belongs to another user or its mode is wrong: "
                                       "check the owner and mode of %s, or use a store of your "
                                       "own with --store DIR",
                                       rootfs);
                if (e == ENOTDIR)
                        return damaged(err, e, p, "the %s of profile '%s' (%s) is not a directory",
                                       what, p->name, rootfs);
                return -e;
        }
        if (!contents)
                return 0;

        /* The recipe is written once the tree is complete, just before its rename. */
        _cleanup_free_ char *recipe_path = xh_asprintf("%s/recipe", tree);
        _cleanup_free_ char *recipe = NULL;
        _cleanup_free_ char *want = which == XH_TREE_ROOT ? xh_profile_target_recipe(p)
                                                          : xh_profile_toolchain_recipe(p);
        int r = xh_read_file(recipe_path, &recipe, NULL);
        if (r == -EACCES || r == -EPERM) {
                xh_fail(err, -r, "cannot read %s: %s", recipe_path, strerror(-r));
                return xh_hint(err, -r,
                               "check the owner and mode of the store, or use a store "
                               "of your own with --store DIR");
        }
        if (r < 0)
                return damaged(err, -r, p, "the %s of profile '%s' is incomplete: %s: %s", what,
                               p->name, recipe_path, strerror(-r));
        if (strcmp(recipe, want) != 0)
                return damaged(err, EINVAL, p,
                               "the %s at %s was not made for profile '%s': its recipe (%s) "
                               "differs from the profile's",
                               what, tree, p->name, recipe_path);

        /* A Debian root of the right machine whose shell can start: its loader is there. */
        const struct xh_arch *arch =
                which == XH_TREE_ROOT ? xh_arch_by_debian(p->arch) : xh_arch_host();
        _cleanup_close_ int status = open_in_root(root_fd, "/var/lib/dpkg/status");
        if (status < 0)
                return damaged(err, -status, p,
                               "the %s of profile '%s' (%s) is not a complete Debian root: "
                               "/var/lib/dpkg/status: %s",
                               what, p->name, rootfs, strerror(-status));
        _cleanup_close_ int sh = open_in_root(root_fd, "/bin/sh");
        if (sh < 0)
                return damaged(err, -sh, p,
                               "the %s of profile '%s' (%s) is incomplete: /bin/sh: %s", what,
                               p->name, rootfs, strerror(-sh));
        _cleanup_free_ char *sh_path = xh_asprintf("/proc/self/fd/%d", sh);
        struct xh_elf_info elf = {0};
        if (xh_elf_inspect(sh_path, &elf, NULL) < 0)
                return damaged(err, ENOEXEC, p,
                               "the %s of profile '%s' (%s) is damaged: its /bin/sh is not an "
                               "ELF program",
                               what, p->name, rootfs);
        int machine = elf.machine;
        _cleanup_free_ char *loader = steal_pointer(&elf.interpreter);
        xh_elf_info_clear(&elf);
        if (arch && machine != arch->elf_machine)
                return damaged(err, ENOEXEC, p,
                               "the %s of profile '%s' (%s) is not an %s root: its /bin/sh is "
                               "a program for %s",
                               what, p->name, rootfs, arch->debian, xh_elf_machine_name(machine));
        _cleanup_close_ int ld = loader ? open_in_root(root_fd, loader) : 0;
        if (ld < 0)
                return damaged(err, -ld, p,
                               "the %s of profile '%s' (%s) is incomplete: %s, the program "
                               "loader of its /bin/sh: %s",
                               what, p->name, rootfs, loader, strerror(-ld));
        return 0;
}

int xh_store_lock(const char *path, int *fd_out, char **holder, xh_error *err)
{
        if (holder)
                *holder = NULL;
        _cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
                return xh_fail(err, errno, "%s: %s", path, strerror(errno));
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                if (errno != EWOULDBLOCK)
                        return xh_fail(err, errno, "%s: %s", path, strerror(errno));
                char buf[32] = {0};
                if (holder && pread(fd, buf, sizeof(buf) - 1, 0) > 0) {
                        buf[strcspn(buf, "\n")] = '\0';
                        if (*buf)
                                *holder = xh_strdup(buf);
                }
                return -EBUSY;
        }
        _cleanup_free_ char *pid = xh_asprintf("%d\n", (int)getpid());
        if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, strlen(pid), 0) < 0) {
                /* the pid is only informative */
        }
        *fd_out = steal_fd(&fd);
        return 0;
}

/*
 * Whether path is the directory top or lies below it, compared by device and
 * inode along the parents of path's real path, so that another path to the
 * same directory (a symbolic link, a bind mount) counts too. *rel receives
 * the rest of the real path below top ("" for top itself).
 */
static bool path_below(const char *top, const char *path, char **rel)
{
        struct stat t, st;
        _cleanup_free_ char *real = realpath(path, NULL);
        if (!real || stat(top, &t) < 0)
                return false;
        for (size_t n = strlen(real);;) {
                _cleanup_free_ char *prefix = xh_strndup(real, n ? n : 1);
                if (stat(prefix, &st) == 0 && st.st_dev == t.st_dev && st.st_ino == t.st_ino) {
                        const char *r = real + n;
                        *rel = xh_strdup(*r == '/' ? r + 1 : r);
                        return true;
                }
                if (n <= 1)
                        return false;
                while (n > 0 && real[n - 1] != '/')
                        n--;
                if (n > 1)
                        n--; /* drop the slash, except the root's */
        }
}

int xh_store_exposure(const char *store, const char *dir, char **cover, xh_error *err)
{
        *cover = NULL;
        _cleanup_free_ char *rel = NULL;
        if (path_below(store, dir, &rel)) {
                /* bench and verify build in STORE/work, which no session uses as a layer. */
                if (strncmp(rel, "work", 4) == 0 && (rel[4] == '\0' || rel[4] == '/'))
                        return 0;
                xh_fail(err, EINVAL,
                        "the working directory %s is inside the store %s, whose roots, layers "
                        "and uppers sessions use: a session must not be able to write there",
                        dir, store);
                return xh_hint(err, EINVAL,
                               "run xhybrid from a project directory outside the store, or "
                               "choose another store with --store DIR");
        }
        free(rel);
        rel = NULL;
        if (path_below(dir, store, &rel))
                *cover = xh_asprintf("%s/%s", strcmp(dir, "/") ? dir : "", rel);
        return 0;
}

int xh_store_cache_exposure(const char *store, const char *dir, xh_error *err)
{
        _cleanup_free_ char *rel = NULL;
        if (path_below(store, dir, &rel) && strncmp(rel, "cache/", 6) != 0 &&
            strncmp(rel, "work/", 5) != 0) {
                xh_fail(err, EINVAL,
                        "the compile cache %s is inside the store %s, whose roots, layers and "
                        "uppers sessions use: a session must not be able to write there",
                        dir, store);
                return xh_hint(err, EINVAL,
                               "give the profile's cache another directory, or 'cache = yes' for "
                               "the store's own");
        }
        free(rel);
        rel = NULL;
        if (path_below(dir, store, &rel)) {
                xh_fail(err, EINVAL,
                        "the compile cache %s holds the store %s, whose roots, layers and "
                        "uppers sessions use: a session must not be able to write there",
                        dir, store);
                return xh_hint(err, EINVAL,
                               "give the profile's cache a directory of its own, or 'cache = yes' "
                               "for the store's");
        }
        return 0;
}

int xh_store_lock_shared(const char *path, int *fd_out, xh_error *err)
{
        *fd_out = -1;
        /* Read-only, and never made here: a session writes nothing beside the trees. */
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT || errno == EACCES || errno == EPERM)
                        return 0;
                return xh_fail(err, errno, "%s: %s", path, strerror(errno));
        }
        if (flock(fd, LOCK_SH | LOCK_NB) < 0) {
                if (errno == EWOULDBLOCK)
                        return -EBUSY;
                return xh_fail(err, errno, "%s: %s", path, strerror(errno));
        }
        *fd_out = steal_fd(&fd);
        return 0;
}

int xh_store_use_tree(const char *store, const struct xh_profile *p, enum xh_tree which,
                      const char *again, int *fd, xh_error *err)
{
        _cleanup_free_ char *tree = which == XH_TREE_ROOT ? xh_store_root_path(store, p)
                                                          : xh_store_toolchain_path(store, p);
        _cleanup_free_ char *lock = xh_asprintf("%s.lock", tree);
        int r = xh_store_lock_shared(lock, fd, err);
        if (r == -EBUSY) {
                xh_fail(err, EBUSY,
                        "the %s of profile '%s' is being made or replaced by 'xhybrid create' "
                        "(lock %s)",
                        which == XH_TREE_ROOT ? "root" : "toolchain layer", p->name, lock);
                return xh_hint(err, EBUSY, "wait for it to finish, then %s", again);
        }
        return r;
}

static bool env_allowed(const char *entry)
{
        static const char *const names[] = {
                "TERM",        "HOME",        "USER",      "LOGNAME",   "LANG",      "LANGUAGE",
                "http_proxy",  "https_proxy", "ftp_proxy", "no_proxy",  "all_proxy", "HTTP_PROXY",
                "HTTPS_PROXY", "FTP_PROXY",   "NO_PROXY",  "ALL_PROXY", "COLORTERM", "TZ",
        };
        size_t n = strcspn(entry, "=");
        if (strncmp(entry, "LC_", 3) == 0)
                return true;
        for (size_t i = 0; i < XH_ARRAY_SIZE(names); i++)
                if (strlen(names[i]) == n && strncmp(names[i], entry, n) == 0)
                        return true;
        return false;
}

/* Set NAME=VALUE in env, replacing an earlier entry of the same name. */
static void env_set(char ***env, const char *entry)
{
        size_t n = strcspn(entry, "=");
        for (char **e = *env; e && *e; e++) {
                if (strncmp(*e, entry, n) == 0 && (*e)[n] == '=') {
                        free(*e);
                        *e = xh_strdup(entry);
                        return;
                }
        }
        xh_strv_push(env, entry);
}

/* NAME alone takes the host's value (if any); NAME=VALUE sets it. */
static void env_pass(char ***env, char *const *host_env, const char *spec)
{
        if (strchr(spec, '=')) {
                env_set(env, spec);
                return;
        }
        size_t n = strlen(spec);
        for (char *const *h = host_env; h && *h; h++)
                if (strncmp(*h, spec, n) == 0 && (*h)[n] == '=')
                        env_set(env, *h);
}

char **xh_session_env(char *const *host_env, const struct xh_profile *p, char *const *extra,
                      const char *mode)
{
        char **env = xh_malloc(sizeof(char *));
        env_set(&env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        for (char *const *h = host_env; h && *h; h++)
                if (env_allowed(*h))
                        env_set(&env, *h);
        for (char **e = p->env; e && *e; e++)
                env_pass(&env, host_env, *e);
        for (char *const *e = extra; e && *e; e++)
                env_pass(&env, host_env, *e);
        _cleanup_free_ char *prof = xh_asprintf("XHYBRID_PROFILE=%s", p->name);
        _cleanup_free_ char *m = xh_asprintf("XHYBRID_MODE=%s", mode);
        _cleanup_free_ char *chroot = xh_asprintf("debian_chroot=%s", p->name);
        const struct xh_arch *arch = xh_arch_by_debian(p->arch);
        if (strcmp(mode, "native-cross") == 0 && arch && arch->cross_libc) {
                /*
                 * No target root: the target's programs a cross build makes
                 * and runs find their loader and libraries where the cross
                 * packages put them (/usr/aarch64-linux-gnu/lib).
                 */
                _cleanup_free_ char *prefix = xh_asprintf("QEMU_LD_PREFIX=%s", arch->cross_libc);
                env_set(&env, prefix);
        }
        if (p->qemu_cpu) {
                /* qemu-user reads the CPU model of every emulated program from here. */
                _cleanup_free_ char *cpu = xh_asprintf("QEMU_CPU=%s", p->qemu_cpu);
                env_set(&env, cpu);
        }
        env_set(&env, prof);
        env_set(&env, m);
        env_set(&env, chroot);
        return env;
}
