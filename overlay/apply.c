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
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int pivot_root(const char *new_root, const char *put_old)
{
        return (int)syscall(SYS_pivot_root, new_root, put_old);
}

/* Flags of the mount at path that a remount in a user namespace must keep. */
static unsigned long locked_flags(const char *path)
{
        struct statvfs sv;
        unsigned long f = 0;
        if (statvfs(path, &sv) < 0)
                return 0;
        if (sv.f_flag & ST_NOSUID)
                f |= MS_NOSUID;
        if (sv.f_flag & ST_NODEV)
                f |= MS_NODEV;
        if (sv.f_flag & ST_NOEXEC)
                f |= MS_NOEXEC;
        if (sv.f_flag & ST_NOATIME)
                f |= MS_NOATIME;
        if (sv.f_flag & ST_NODIRATIME)
                f |= MS_NODIRATIME;
        if (sv.f_flag & ST_RELATIME)
                f |= MS_RELATIME;
        return f;
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

/* Make sure a bind target exists: a directory, or an empty file for a file bind. */
static int make_target(const char *src, const char *dst)
{
        struct stat st;
        if (stat(src, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return xh_mkdir_p(dst, 0755);
        if (xh_path_exists(dst))
                return 0;
        _cleanup_free_ char *parent = xh_strdup(dst);
        char *slash = strrchr(parent, '/');
        if (slash && slash != parent) {
                *slash = '\0';
                int r = xh_mkdir_p(parent, 0755);
                if (r < 0)
                        return r;
        }
        int fd = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return -errno;
        close(fd);
        return 0;
}

static int apply_bind(const struct xh_op *op, xh_error *err)
{
        unsigned long flags = MS_BIND | ((op->flags & XH_F_REC) ? MS_REC : 0);
        if ((op->flags & XH_F_OPTIONAL) && !xh_path_exists(op->src))
                return 0;
        int r = make_target(op->src, op->dst);
        if (r < 0)
                return fail_mount(err, op, -r);
        if (mount(op->src, op->dst, NULL, flags, NULL) < 0)
                return fail_mount(err, op, errno);
        unsigned long set = ((op->flags & XH_F_RDONLY) ? MS_RDONLY : 0) |
                            ((op->flags & XH_F_NODEV) ? MS_NODEV | MS_NOSUID : 0);
        if (set) {
                unsigned long keep = locked_flags(op->dst);
                if (mount(NULL, op->dst, NULL, MS_REMOUNT | MS_BIND | set | keep, NULL) < 0)
                        return fail_mount(err, op, errno);
        }
        return 0;
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
        _cleanup_close_ int fd = open(op->dst, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return fail_mount(err, op, errno);
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
        case XH_OP_TMPFS:
                if ((op->flags & XH_F_OPTIONAL) && !xh_is_dir(op->dst))
                        return 0;
                if ((r = xh_mkdir_p(op->dst, 0755)) < 0)
                        return fail_mount(err, op, -r);
                if (mount("tmpfs", op->dst, "tmpfs",
                          ((op->flags & XH_F_NODEV) ? MS_NODEV | MS_NOSUID : 0) |
                                  ((op->flags & XH_F_RDONLY) ? MS_RDONLY : 0),
                          op->data) < 0)
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
        case XH_OP_BIND:
                return apply_bind(op, err);
        case XH_OP_PROC:
                if ((r = xh_mkdir_p(op->dst, 0555)) < 0)
                        return fail_mount(err, op, -r);
                if (mount("proc", op->dst, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                        return fail_mount(err, op, errno);
                return 0;
        case XH_OP_BINFMT:
                if (mount("binfmt_misc", op->dst, "binfmt_misc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                          NULL) < 0)
                        return fail_mount(err, op, errno);
                return 0;
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
