/* SPDX-License-Identifier: MIT */
/*
 * Overlay: the session plan. A session spec (which root, which upper, which
 * directories to bind, which emulator) becomes a list of typed mount
 * operations. The list can be printed (--dry-run) and unit-tested without
 * privileges; xh_plan_apply() carries it out inside the session's private
 * mount namespace and is the only code in xhybrid that calls mount(2).
 * upper.c keeps a persistent upper as an archive where the store's file
 * system cannot hold one (overlayfs): restored into the session's tmpfs by
 * the plan, saved back at the session's end.
 */
#ifndef XH_OVERLAY_H
#define XH_OVERLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "xh-util.h"

enum xh_op_kind {
        XH_OP_MAKE_PRIVATE,    /* make every mount private (MS_REC|MS_PRIVATE on /) */
        XH_OP_TMPFS,           /* tmpfs at dst, data = options */
        XH_OP_MKDIR,           /* mkdir -p dst */
        XH_OP_OVERLAY,         /* overlayfs at dst, data = lowerdir=...,upperdir=...,workdir=... */
        XH_OP_BIND,            /* bind src at dst (recursive when XH_F_REC) */
        XH_OP_PROC,            /* new proc instance at dst */
        XH_OP_BINFMT,          /* private binfmt_misc instance at dst */
        XH_OP_BINFMT_REGISTER, /* write rule data to dst (a binfmt register file) */
        XH_OP_SYMLINK,         /* symlink at dst pointing to data */
        XH_OP_WRITE,           /* write data to the new file dst */
        XH_OP_COPY,            /* copy the file src to dst (mode and times kept) */
        XH_OP_LINK,            /* hard link dst to the file src */
        XH_OP_PIVOT,           /* pivot_root into dst, detach the old root */
        XH_OP_CHDIR,           /* chdir to dst (after the pivot: a path inside) */
        XH_OP_RESTORE,         /* restore the saved upper src (an archive) into the dir dst */
        XH_OP_SAVE,            /* at the session's end, save the dir src to the archive dst */
};

enum {
        XH_F_REC = 1 << 0,      /* recursive bind */
        XH_F_RDONLY = 1 << 1,   /* read-only (all the way down with XH_F_REC) */
        XH_F_OPTIONAL = 1 << 2, /* skip when the source is missing */
        XH_F_FILE = 1 << 3,     /* bind target is a file (create an empty file) */
        XH_F_NODEV = 1 << 4,    /* nodev,nosuid */
};

struct xh_op {
        enum xh_op_kind kind;
        unsigned flags;
        char *src;
        char *dst;
        char *data;
        /*
         * Nonzero when dst lies inside the session's root: the length of the
         * root's path, a prefix of dst. Such a dst is resolved inside that root
         * as the session will see it (a symlink from the upper cannot lead out
         * of it), and what it needs is made there.
         */
        size_t root_len;
};

struct xh_plan {
        struct xh_op *ops;
        size_t n;
};

/*
 * A host path (src) bound at dst in the session, read-only when rdonly. The
 * binds come after every other mount, the working directory's included; one
 * that would cover the target root, /dev, /.xhybrid, a system directory of
 * the target or the working directory is refused.
 */
struct xh_bind {
        const char *src;
        const char *dst;
        bool rdonly;
};

struct xh_session_spec {
        const char *staging;       /* host directory on which the session tmpfs is mounted */
        const char *rootfs;        /* read-only target root (lowest layer) */
        const char *const *layers; /* extra read-only layers above the root, lowest first
                                      (NULL-terminated, may be NULL) */
        const char *upper;         /* persistent upper dir, or NULL for a throwaway upper */
        const char *work;          /* overlay work dir matching upper (same filesystem) */
        /*
         * The persistent upper kept as an archive, where the store's file
         * system cannot hold an upper (both NULL otherwise, at most one set):
         * upper_archive is restored into the session's tmpfs, used as the
         * upper and saved back at the session's end; layer_archive (a
         * throwaway session) is restored there as the top read-only layer
         * and never saved. A missing archive is an empty upper.
         */
        const char *upper_archive;
        const char *layer_archive;
        const char *cwd;         /* host working directory: bound at the same path, then chdir */
        const char *binfmt_rule; /* rule to register in the private binfmt_misc, or NULL */
        const struct xh_bind *binds; /* extra binds, terminated by src == NULL (may be NULL) */
        bool resolv_conf;            /* bind the host's /etc/resolv.conf */
        /*
         * Paths inside the session, under the working directory or a bind,
         * covered by an empty read-only tmpfs after every bind (NULL-terminated,
         * may be NULL): the store, when one of them holds it.
         */
        const char *const *cover;

        /*
         * Hybrid sessions only (toolchain != NULL). The generated layer, the
         * top lower layer of the overlay, is the shim layer: it holds a copy
         * of shim_dir/xhybrid-shim at /.xhybrid/bin/xhybrid-shim, hard linked
         * at each path of shim_targets, and a copy of the toolchain's own
         * program of the same path at each of direct_targets (tools that
         * need no decision per run: one exec instead of two). The upper stays
         * above it, so a package operation that replaces one of these files
         * simply shadows it; /.xhybrid itself is bound read-only from the
         * layer, so its files cannot be. The toolchain layer is bound read-only at
         * /.xhybrid/toolchain with the hide dirs (relative to it) covered by
         * empty read-only tmpfs; the target root itself (rootfs, below every
         * layer) is bound read-only at /.xhybrid/orig, where the shims find
         * the programs they stand in for; a writable tmpfs is at
         * /.xhybrid/run; shim_conf becomes /.xhybrid/shim.conf. The
         * toolchain's /usr/lib/HOST_LIBDIR is bound at the same path (a mount
         * point from the generated layer, which also holds the link to the
         * host's program interpreter, loader_at below).
         */
        const char *toolchain;
        /*
         * Files of a rebuilt compiler bound read-only over the toolchain
         * layer's (may be NULL): pairs of host file, path inside the layer.
         */
        const char *const *rebuilt;
        const char *const *hide;
        const char *shim_dir;
        /*
         * The shim's facts cache, bound nodev,nosuid at /.xhybrid/cache (may
         * be NULL): writable only with a persistent upper, whose changes
         * later sessions see anyway; read-only in a throwaway session (see
         * shim/main.c).
         */
        const char *cache_dir;
        /*
         * The compile cache (both NULL when off): the host directory
         * ccache_dir bound read-write, nodev,nosuid at XH_CCACHE_DIR in any
         * hybrid session (its entries are keyed on everything that makes
         * them, so a throwaway session's are as good as any), and
         * ccache_conf, its configuration, written to XH_CCACHE_CONF.
         */
        const char *ccache_dir;
        const char *ccache_conf;
        const char *shim_conf;
        const char *const *shim_targets;
        const char *const *direct_targets;
        /*
         * Tracing sessions (hybrid only; both NULL otherwise): the host's
         * trace file, bound read-write (nodev, nosuid) at XH_TRACE_FILE, and
         * the emulator, copied to XH_EMULATOR_PATH; the shim is also linked
         * at XH_BINFMT_PATH, the interpreter that binfmt_rule then registers
         * (its path in the layer: xh_plan_layer_path).
         */
        const char *trace_file;
        const char *emulator;

        /*
         * Symlinks added in the generated layer (any session): pairs of
         * path inside, link target, NULL-terminated.
         */
        const char *const *links;
        /*
         * The host's program interpreter (/lib64/ld-linux-x86-64.so.2): a
         * symbolic link of the generated layer at loader_at (a path inside)
         * to loader_to, none when loader_at is NULL. Where the target has
         * no /lib64 (arm64, armhf, riscv64, s390x) it is /lib64 itself ->
         * usr/lib/x86_64-linux-gnu; where the target's loader lives there
         * too (ppc64el: /lib64 -> usr/lib64), the one file in the target's
         * directory: /usr/lib64/ld-linux-x86-64.so.2 ->
         * /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2.
         */
        const char *loader_at;
        const char *loader_to;
        const char *host_libdir; /* multiarch dir of the host: x86_64-linux-gnu */
};

/*
 * The namespace of 'xhybrid serve': a tmpfs at staging, the toolchain layer
 * bound read-only as the new root with the hide dirs covered, a tmpfs at
 * /run holding XH_SERVE_DIR (read-only) with the links (pairs of name in
 * XH_SERVE_DIR, target) and the command list cmdlist, a new /proc, a /dev
 * of null, zero, random and urandom, a tmpfs at /tmp.
 */
struct xh_serve_spec {
        const char *staging;
        const char *toolchain;
        const char *const *hide;
        const char *const *links;
        const char *cmdlist;
};
int xh_plan_serve(const struct xh_serve_spec *spec, struct xh_plan *plan, xh_error *err);
/*
 * Where a file of the generated layer (path as the session sees it) lies
 * while the plan is applied, before the pivot: under staging.
 */
char *xh_plan_layer_path(const char *staging, const char *path);

/* Build the plan for a session. */
int xh_plan_session(const struct xh_session_spec *spec, struct xh_plan *plan, xh_error *err);

/*
 * Build the plan for a namespace that only needs a private binfmt_misc on the
 * host's tree (used to run mmdebstrap for a foreign root): make mounts
 * private, a new /proc, binfmt_misc on it, the registration.
 */
int xh_plan_host_binfmt(const char *binfmt_rule, struct xh_plan *plan, xh_error *err);

/*
 * Plans for probing what the host allows (doctor), each a superset of the
 * previous: level 0 makes mounts private; 1 adds an overlayfs laid out as a
 * session's: its mount point in a tmpfs at staging, its lower layer
 * scratch/lower on the store's file system, its upper and work directories
 * scratch/upper and scratch/work beside it or, with upper_in_tmpfs (a store
 * on overlayfs), in the tmpfs; 2 adds a new /proc; 3 adds a private
 * binfmt_misc on it and, when binfmt_rule is given, registers it.
 */
int xh_plan_probe(const char *staging, const char *scratch, bool upper_in_tmpfs, int level,
                  const char *binfmt_rule, struct xh_plan *plan, xh_error *err);

/* Print the plan, one op a line, in a stable format. */
void xh_plan_print(const struct xh_plan *plan, FILE *out);

/*
 * What an applied plan keeps for the session's end: the directories of its
 * save op, opened before the pivot, after which the store has no path.
 */
struct xh_plan_state {
        int from_fd;   /* the upper to save, or -1 when the plan saves nothing */
        int to_fd;     /* the directory of the archive */
        char *to;      /* the archive's path, for messages */
        char *to_name; /* its name in to_fd */
};

/*
 * Carry out the plan. Must run in a new mount namespace (and a new PID
 * namespace for XH_OP_PROC) whose user namespace holds CAP_SYS_ADMIN.
 * On failure returns -errno with the op and path in err and a hint where the
 * kernel's errno misleads, and closes what it had opened; on success state
 * holds what xh_plan_finish() needs (its fds are close-on-exec).
 */
int xh_plan_apply(const struct xh_plan *plan, struct xh_plan_state *state, xh_error *err);

/*
 * Carry out only the plan's file ops (mkdir, copy, link, write, symlink)
 * whose destination is dir or lies below it, in plan order: the generated
 * layer of a session made on disk, for an image. Mounts nothing.
 */
int xh_plan_apply_files(const struct xh_plan *plan, const char *dir, xh_error *err);

/*
 * At the session's end, once no process of the session can write the upper
 * any more: the plan's save op (nothing when it has none), then
 * xh_plan_state_close(). stats (may be NULL) receives the figures of the
 * save.
 */
struct xh_upper_stats;
int xh_plan_finish(struct xh_plan_state *state, struct xh_upper_stats *stats, xh_error *err);
/* Close what apply kept, saving nothing (a child of init, a failed session). */
void xh_plan_state_close(struct xh_plan_state *state);

void xh_plan_free(struct xh_plan *plan);

const char *xh_op_kind_name(enum xh_op_kind kind);

/*
 * The saved form of a persistent upper (upper.c): a pax tar archive that
 * keeps whiteouts (character devices 0/0), user.overlay.* and the other
 * xattrs, owners, modes, nanosecond mtimes, hard links and symlinks.
 */
struct xh_upper_stats {
        uint64_t entries;       /* entries of the archive */
        uint64_t data_bytes;    /* contents of regular files */
        uint64_t archive_bytes; /* size of the archive */
        uint64_t skipped;       /* sockets, which are left out */
};

/*
 * Save the tree at upper_fd to the archive name in dir_fd (shown: its path,
 * for messages): written to NAME.new, synced, renamed over NAME, the
 * directory synced. On failure NAME is untouched and NAME.new removed.
 */
int xh_upper_save(int upper_fd, int dir_fd, const char *name, const char *shown,
                  struct xh_upper_stats *stats, xh_error *err);

/*
 * Recreate the archive's tree in the empty directory upper_fd, owners
 * included (the caller maps them). -EINVAL with err for an archive that is
 * damaged or names something outside the directory.
 */
int xh_upper_restore(int archive_fd, const char *shown, int upper_fd, struct xh_upper_stats *stats,
                     xh_error *err);

/* One entry of an archive, as xh_upper_walk() hands it out. */
struct xh_upper_entry {
        const char *path; /* relative to the upper: "etc/hostname"; "" is the upper itself */
        mode_t mode;      /* type and permission bits, as in st_mode */
        bool hardlink;    /* another name of the regular file named by link */
        const char *link; /* a symlink's target, or the first name of a hard link */
        dev_t rdev;       /* of a device: a whiteout is a character device 0/0 */
        uint64_t size;    /* of a regular file's contents */
        int archive_fd;   /* where the contents lie (xh_upper_entry_read) */
        uint64_t offset;
};
typedef int (*xh_upper_walk_fn)(void *ctx, const struct xh_upper_entry *e, xh_error *err);

/* Call fn for each entry of the archive in order; a negative return stops the walk. */
int xh_upper_walk(int archive_fd, const char *shown, xh_upper_walk_fn fn, void *ctx, xh_error *err);
/* The contents of a regular file entry, NUL-terminated. -errno on failure. */
int xh_upper_entry_read(const struct xh_upper_entry *e, char **data, size_t *len);

#endif
