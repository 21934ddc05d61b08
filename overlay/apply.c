/* SPDX-License-Identifier: MIT */
/*
 * Carry out a mount plan. This is the only file in xhybrid that calls
 * mount(2). It runs inside the session's private mount namespace, so nothing
 * it does is visible on the host and nothing needs undoing on failure: the
 * namespace, with every mount in it, goes away with the last process. A
 * saved upper is restored here too, and the save at the session's end
 * (xh_plan_finish) uses the directories opened here.
 */
#include "overlay.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int pivot_root(const char *new_root, const char *put_old)
{
        return (int)syscall(SYS_pivot_root, new_root, put_old);
}

static int fail_mount(xh_error *err, const struct xh_op *op, int e)
{
        xh_fail(err, e, "%s %s%s%s: %s", xh_op_kind_name(op->kind), op->src ? op->src : "",
                op->src ? " -> " : "", op->dst, strerror(e));
        switch (op->kind) {
        case XH_OP_OVERLAY:
                if (e == EINVAL)
                        xh_hint(err, e,
                                "overlayfs refused the layers: the upper and work directories "
                                "must be on one filesystem that supports xattrs and must not "
                                "lie inside a lower layer (the kernel log says more)");
                else if (e == EPERM)
                        xh_hint(err, e, "overlayfs in a user namespace needs Linux 5.11 or later");
                break;
        case XH_OP_PROC:
                if (e == EPERM)
                        xh_hint(err, e,
                                "a new proc needs a PID namespace owned by the session's user "
                                "namespace, and a fully visible /proc on the host");
                break;
        case XH_OP_BINFMT:
                if (e == EPERM || e == ENODEV || e == EBUSY)
                        xh_hint(err, e,
                                "a private binfmt_misc instance needs Linux 6.7 or later "
                                "(run 'xhybrid doctor')");
                break;
        case XH_OP_BINFMT_REGISTER:
                if (e == ENOENT || e == EACCES)
                        xh_hint(err, e, "the emulator named in the rule cannot be opened");
                else if (e == EINVAL)
                        xh_hint(err, e, "the kernel rejected the binfmt rule");
                break;
        case XH_OP_RESTORE:
                xh_hint(err, e,
                        "check that the archive and the directory exist and can be read; "
                        "moving the archive away starts again from the root's own state");
                break;
        case XH_OP_SAVE:
                xh_hint(err, e,
                        "check that the directory of the archive exists and can be written");
                break;
        case XH_OP_BIND:
                if (e == EPERM)
                        xh_hint(err, e,
                                "bind mounts in a user namespace cannot clear flags such as "
                                "nosuid or nodev that the host mount has");
                break;
        default:
                break;
        }
        return -e;
}

/*
 * The fd (O_PATH) of path inside the session's root (root_fd), following
 * symlinks as the session will, inside that root. Missing components are
 * made as directories when make is set, the last one as an empty file when
 * file is set. A dangling symlink in the way is an error (ENOENT), not
 * something to make a target for.
 */
static int open_in_root(int root_fd, const char *path, bool make, bool file, int *fdp)
{
        _cleanup_free_ char *p = xh_strdup(path);
        _cleanup_close_ int dir = xh_openat2(root_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC,
                                             RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
        if (dir < 0)
                return dir;
        char *s = p;
        while (*s == '/')
                s++;
        while (*s) {
                char *end = strchrnul(s, '/');
                bool last = true;
                for (const char *t = end; *t; t++)
                        if (*t != '/')
                                last = false;
                char saved = *end;
                *end = '\0';
                int fd = xh_openat2(root_fd, p, O_PATH | O_CLOEXEC | (last ? 0 : O_DIRECTORY),
                                    RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
                if (fd == -ENOENT && make) {
                        /* s names one entry of dir: made there, a symlink is never followed. */
                        int r = last && file ? openat(dir, s,
                                                      O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
                                                              O_CLOEXEC,
                                                      0644)
                                             : mkdirat(dir, s, 0755);
                        if (r < 0)
                                return errno == EEXIST ? -ENOENT : -errno;
                        if (last && file)
                                close(r);
                        fd = xh_openat2(dir, s, O_PATH | O_CLOEXEC | O_NOFOLLOW,
                                        RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH);
                }
                if (fd < 0)
                        return fd;
                *end = saved;
                close(dir);
                dir = fd;
                s = end;
                while (*s == '/')
                        s++;
        }
        *fdp = dir;
        dir = -1;
        return 0;
}

/* The fd of op's dst inside the root: made as the op needs it (0), or absent (1) when optional. */
static int op_target(const struct xh_op *op, bool make, bool file, int *fdp)
{
        _cleanup_free_ char *root = xh_strndup(op->dst, op->root_len);
        _cleanup_close_ int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return -errno;
        int r = open_in_root(root_fd, op->dst + op->root_len, make, file, fdp);
        if (r == -ENOENT && !make)
                return 1;
        if (r < 0)
                return r;
        struct stat st, rst;
        if (fstat(*fdp, &st) < 0 || fstat(root_fd, &rst) < 0) {
                r = -errno;
                close(*fdp);
                return r;
        }
        /* A symlink to "/" would put the mount over the whole session. */
        if (st.st_dev == rst.st_dev && st.st_ino == rst.st_ino) {
                close(*fdp);
                return -ELOOP;
        }
        return 0;
}

/* A new file system of type (options: comma-separated key[=value]) mounted at the fd target. */
static int mount_new_at(const char *type, const char *options, unsigned attrs, int target)
{
        _cleanup_close_ int fs = fsopen(type, FSOPEN_CLOEXEC);
        if (fs < 0)
                return -errno;
        _cleanup_free_ char *opts = xh_strdup(options ? options : "");
        char *save = NULL;
        for (char *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
                char *eq = strchr(o, '=');
                if (eq)
                        *eq = '\0';
                if (fsconfig(fs, eq ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG, o,
                             eq ? eq + 1 : NULL, 0) < 0)
                        return -errno;
        }
        if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return -errno;
        _cleanup_close_ int mnt = fsmount(fs, FSMOUNT_CLOEXEC, attrs);
        if (mnt < 0)
                return -errno;
        if (move_mount(mnt, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return -errno;
        return 0;
}

static unsigned op_attrs(const struct xh_op *op)
{
        return ((op->flags & XH_F_RDONLY) ? MOUNT_ATTR_RDONLY : 0) |
               ((op->flags & XH_F_NODEV) ? MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID : 0);
}

/*
 * Bind src at the fd target: a detached copy of the tree at src gets its
 * flags (read-only all the way down for a recursive bind) before it is
 * attached, so that nothing looks up dst by name again.
 */
static int bind_at(const struct xh_op *op, int target)
{
        bool rec = op->flags & XH_F_REC;
        _cleanup_close_ int tree = open_tree(
                AT_FDCWD, op->src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (rec ? AT_RECURSIVE : 0));
        if (tree < 0)
                return -errno;
        struct mount_attr attr = {.attr_set = op_attrs(op)};
        if (attr.attr_set && mount_setattr(tree, "", AT_EMPTY_PATH | (rec ? AT_RECURSIVE : 0),
                                           &attr, sizeof(attr)) < 0)
                return -errno;
        if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return -errno;
        return 0;
}

/* The fd of the host path dst, made as the op needs it (0), or absent (1) when optional. */
static int host_target(const struct xh_op *op, bool make, bool file, int *fdp)
{
        int r;
        if (!make && !xh_is_dir(op->dst))
                return 1;
        _cleanup_free_ char *parent = xh_strdup(op->dst);
        char *slash = strrchr(parent, '/');
        if (slash && slash != parent)
                *slash = '\0';
        if (make && (r = xh_mkdir_p(file ? parent : op->dst, 0755)) < 0)
                return r;
        if (make && file && !xh_path_exists(op->dst)) {
                int fd = open(op->dst, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
                if (fd < 0)
                        return -errno;
                close(fd);
        }
        if ((*fdp = open(op->dst, O_PATH | O_CLOEXEC)) < 0)
                return -errno;
        return 0;
}

/*
 * A mount: its target found (inside the session's root when the op lies
 * there) and made, then the new mount attached to the target's fd.
 */
static int apply_mount(const struct xh_op *op, xh_error *err)
{
        bool file = false;
        if (op->kind == XH_OP_BIND) {
                struct stat st;
                if (stat(op->src, &st) < 0) {
                        if (errno == ENOENT && (op->flags & XH_F_OPTIONAL))
                                return 0;
                        return fail_mount(err, op, errno);
                }
                file = !S_ISDIR(st.st_mode);
        }
        bool make = !(op->kind == XH_OP_TMPFS && (op->flags & XH_F_OPTIONAL));
        _cleanup_close_ int target = -1;
        int r = op->root_len ? op_target(op, make, file, &target)
                             : host_target(op, make, file, &target);
        if (r == 1)
                return 0;
        if (r == 0) {
                unsigned special = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
                switch (op->kind) {
                case XH_OP_BIND:
                        r = bind_at(op, target);
                        break;
                case XH_OP_TMPFS:
                        r = mount_new_at("tmpfs", op->data, op_attrs(op), target);
                        break;
                case XH_OP_PROC:
                        r = mount_new_at("proc", NULL, special, target);
                        break;
                case XH_OP_BINFMT:
                        r = mount_new_at("binfmt_misc", NULL, special, target);
                        break;
                default:
                        r = -EINVAL;
                }
        }
        if (r >= 0)
                return 0;
        fail_mount(err, op, -r);
        if (op->root_len && (r == -ELOOP || r == -ENOTDIR || r == -ENOENT))
                xh_hint(err, -r,
                        "a symlink or a file of the session's root lies in the way of %s: "
                        "remove it in a session, or start the profile's upper again",
                        op->dst + op->root_len);
        return r;
}

/* Copy a regular file, keeping its permission bits and times. */
static int copy_file(const char *src, const char *dst)
{
        _cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);
        if (in < 0)
                return -errno;
        struct stat st;
        if (fstat(in, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        _cleanup_close_ int out =
                open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, st.st_mode & 07777);
        if (out < 0)
                return -errno;
        for (off_t left = st.st_size; left > 0;) {
                ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP))
                        n = sendfile(out, in, NULL, (size_t)left);
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -EIO; /* the file shrank while being copied */
                left -= n;
        }
        const struct timespec times[2] = {st.st_atim, st.st_mtim};
        if (fchmod(out, st.st_mode & 07777) < 0 || futimens(out, times) < 0)
                return -errno;
        return 0;
}

static int write_rule(const struct xh_op *op, xh_error *err)
{
        _cleanup_close_ int fd = -1;
        if (op->root_len) {
                _cleanup_free_ char *root = xh_strndup(op->dst, op->root_len);
                _cleanup_close_ int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
                fd = root_fd < 0 ? -errno
                                 : xh_openat2(root_fd, op->dst + op->root_len, O_WRONLY | O_CLOEXEC,
                                              RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
                if (fd < 0)
                        return fail_mount(err, op, -fd);
        } else if ((fd = open(op->dst, O_WRONLY | O_CLOEXEC)) < 0) {
                return fail_mount(err, op, errno);
        }
        size_t len = strlen(op->data);
        /* One write: the kernel parses a rule only as a whole. */
        ssize_t n = write(fd, op->data, len);
        if (n < 0)
                return fail_mount(err, op, errno);
        if ((size_t)n != len)
                return fail_mount(err, op, EIO);
        return 0;
}

/* The saved upper src restored into the empty directory dst (a missing optional one: nothing). */
static int apply_restore(const struct xh_op *op, xh_error *err)
{
        _cleanup_close_ int in = open(op->src, O_RDONLY | O_CLOEXEC);
        if (in < 0 && errno == ENOENT && (op->flags & XH_F_OPTIONAL))
                return 0;
        if (in < 0)
                return fail_mount(err, op, errno);
        _cleanup_close_ int dir = open(op->dst, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dir < 0)
                return fail_mount(err, op, errno);
        struct xh_upper_stats st;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int r = xh_upper_restore(in, op->src, dir, &st, err);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (r == 0)
                XH_INFO("restored %s: %llu entries, %.1f MiB of files in %.3f s", op->src,
                        (unsigned long long)st.entries, (double)st.data_bytes / (1 << 20),
                        (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
        return r;
}

/* The directories the save at the session's end needs, opened while they have paths. */
static int apply_save(const struct xh_op *op, struct xh_plan_state *state, xh_error *err)
{
        if (state->from_fd >= 0)
                return fail_mount(err, op, EEXIST);
        _cleanup_free_ char *dir = xh_strdup(op->dst);
        char *slash = strrchr(dir, '/');
        if (!slash || !slash[1])
                return fail_mount(err, op, EINVAL);
        *slash = '\0';
        int from = open(op->src, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (from < 0)
                return fail_mount(err, op, errno);
        int to = open(*dir ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (to < 0) {
                int e = errno;
                close(from);
                return fail_mount(err, op, e);
        }
        state->from_fd = from;
        state->to_fd = to;
        state->to = xh_strdup(op->dst);
        state->to_name = xh_strdup(slash + 1);
        return 0;
}

static int apply_one(const struct xh_op *op, struct xh_plan_state *state, xh_error *err)
{
        int r;
        switch (op->kind) {
        case XH_OP_MAKE_PRIVATE:
                if (mount(NULL, op->dst, NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                        return fail_mount(err, op, errno);
                return 0;
        case XH_OP_MKDIR:
                if ((r = xh_mkdir_p(op->dst, 0755)) < 0)
                        return fail_mount(err, op, -r);
                return 0;
        case XH_OP_OVERLAY:
                if (mount("overlay", op->dst, "overlay", 0, op->data) < 0)
                        return fail_mount(err, op, errno);
                return 0;
        case XH_OP_TMPFS:
        case XH_OP_BIND:
        case XH_OP_PROC:
        case XH_OP_BINFMT:
                return apply_mount(op, err);
        case XH_OP_BINFMT_REGISTER:
                return write_rule(op, err);
        case XH_OP_SYMLINK:
                if (symlink(op->data, op->dst) < 0)
                        return fail_mount(err, op, errno);
                return 0;
        case XH_OP_WRITE:
                if ((r = xh_write_file(op->dst, op->data, strlen(op->data), 0644)) < 0)
                        return fail_mount(err, op, -r);
                return 0;
        case XH_OP_COPY:
                if ((r = copy_file(op->src, op->dst)) < 0)
                        return fail_mount(err, op, -r);
                return 0;
        case XH_OP_LINK:
                if (link(op->src, op->dst) < 0)
                        return fail_mount(err, op, errno);
                return 0;
        case XH_OP_PIVOT:
                /* pivot_root(".", ".") stacks the old root on the new one; detach it. */
                if (chdir(op->dst) < 0 || pivot_root(".", ".") < 0 ||
                    umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
                        return fail_mount(err, op, errno);
                return 0;
        case XH_OP_CHDIR:
                if (chdir(op->dst) < 0)
                        return fail_mount(err, op, errno);
                return 0;
        case XH_OP_RESTORE:
                return apply_restore(op, err);
        case XH_OP_SAVE:
                return apply_save(op, state, err);
        }
        return fail_mount(err, op, EINVAL);
}

int xh_plan_apply(const struct xh_plan *plan, struct xh_plan_state *state, xh_error *err)
{
        *state = (struct xh_plan_state){.from_fd = -1, .to_fd = -1};
        for (size_t i = 0; i < plan->n; i++) {
                XH_DEBUG("mount plan: %s %s", xh_op_kind_name(plan->ops[i].kind), plan->ops[i].dst);
                int r = apply_one(&plan->ops[i], state, err);
                if (r < 0) {
                        xh_plan_state_close(state);
                        return r;
                }
        }
        return 0;
}

int xh_plan_apply_files(const struct xh_plan *plan, const char *dir, xh_error *err)
{
        size_t n = strlen(dir);
        struct xh_plan_state none = {.from_fd = -1, .to_fd = -1};
        for (size_t i = 0; i < plan->n; i++) {
                const struct xh_op *op = &plan->ops[i];
                bool file_op = op->kind == XH_OP_MKDIR || op->kind == XH_OP_COPY ||
                               op->kind == XH_OP_LINK || op->kind == XH_OP_WRITE ||
                               op->kind == XH_OP_SYMLINK;
                if (!file_op || strncmp(op->dst, dir, n) != 0 ||
                    (op->dst[n] != '/' && op->dst[n] != '\0'))
                        continue;
                int r = apply_one(op, &none, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

void xh_plan_state_close(struct xh_plan_state *state)
{
        if (state->from_fd >= 0)
                close(state->from_fd);
        if (state->to_fd >= 0)
                close(state->to_fd);
        free(state->to);
        free(state->to_name);
        *state = (struct xh_plan_state){.from_fd = -1, .to_fd = -1};
}

int xh_plan_finish(struct xh_plan_state *state, struct xh_upper_stats *stats, xh_error *err)
{
        struct xh_upper_stats local;
        if (!stats)
                stats = &local;
        int r = 0;
        if (state->from_fd >= 0) {
                struct timespec t0, t1;
                clock_gettime(CLOCK_MONOTONIC, &t0);
                r = xh_upper_save(state->from_fd, state->to_fd, state->to_name, state->to, stats,
                                  err);
                clock_gettime(CLOCK_MONOTONIC, &t1);
                if (r == 0)
                        XH_INFO("saved %s: %llu entries, %.1f MiB of files in %.3f s", state->to,
                                (unsigned long long)stats->entries,
                                (double)stats->data_bytes / (1 << 20),
                                (double)(t1.tv_sec - t0.tv_sec) +
                                        (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
        }
        xh_plan_state_close(state);
        return r;
}
