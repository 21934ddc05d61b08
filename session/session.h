/* SPDX-License-Identifier: MIT */
/*
 * The session engine: the store (roots, toolchain layers, persistent uppers,
 * locks), the session's environment, the toolchain choice (which of the
 * target's tools run native, which emulated, and why), the namespaces and
 * the process tree. Nothing here prints: errors come back in an xh_error,
 * warnings and facts as values for the caller to show.
 */
#ifndef XH_SESSION_H
#define XH_SESSION_H

#include <stdbool.h>

#include "profiles.h"
#include "xh-paths.h"
#include "xh-util.h"

#include <stdint.h>

struct xh_bind; /* overlay.h */

/* Exit statuses of xhybrid itself (a command run inside passes its own through). */
enum {
        XH_EXIT_OK = 0,
        XH_EXIT_FAIL = 1,       /* a check failed (doctor), a comparison differed */
        XH_EXIT_USAGE = 2,      /* bad command line */
        XH_EXIT_ERROR = 125,    /* xhybrid could not set up or run the session */
        XH_EXIT_NOEXEC = 126,   /* the command was found but could not be executed */
        XH_EXIT_NOTFOUND = 127, /* the command was not found inside */
};

/* The setuid helpers that map a plain user's subordinate ids (package uidmap). */
#define XH_NEWUIDMAP "/usr/bin/newuidmap"
#define XH_NEWGIDMAP "/usr/bin/newgidmap"
#define XH_SUBUID    "/etc/subuid"
#define XH_SUBGID    "/etc/subgid"

/* The store: where roots, layers and persistent uppers live. */
char *xh_store_dir(const char *option);
char *xh_store_root_path(const char *store, const struct xh_profile *p);
char *xh_store_toolchain_path(const char *store, const struct xh_profile *p);
bool xh_store_toolchain_ready(const char *store, const struct xh_profile *p);
char *xh_store_session_path(const char *store, const struct xh_profile *p);
bool xh_store_root_ready(const char *store, const struct xh_profile *p);
/*
 * Take the lock file at path (flock, held while the returned fd or a copy of
 * it is open) and write our pid into it. -EBUSY when another process holds
 * it; then *holder (if not NULL) receives the pid it wrote, or NULL.
 */
int xh_store_lock(const char *path, int *fd, char **holder, xh_error *err);
/*
 * How the store keeps the persistent uppers of its profiles. Where its
 * sessions directory lies on overlayfs (the root of a container), which
 * cannot hold an overlay upper, each upper is an archive,
 * STORE/sessions/PROFILE/upper.tar: restored into the session's tmpfs at its
 * start and saved back at its end (*archived true). Elsewhere it is the
 * directory STORE/sessions/PROFILE/upper, used in place. Changes nothing.
 */
int xh_store_uppers_archived(const char *store, bool *archived, xh_error *err);
char *xh_store_upper_archive(const char *store, const struct xh_profile *p);
/*
 * What the toolchain's decisions read from the profile's persistent upper
 * (xh_toolchain_bindings), as a directory: the upper itself, or for an upper
 * kept as an archive a scratch directory with its dpkg database
 * (var/lib/dpkg/status, var/lib/dpkg/info/NAME.list) and an empty file for
 * each of its entries in /usr/bin (*scratch: the caller removes it with
 * xh_rm_rf). *dir is NULL when the profile has no upper yet.
 */
int xh_store_upper_view(const char *store, const struct xh_profile *p, char **dir, bool *scratch,
                        xh_error *err);
/*
 * The store seen from dir, a host directory bound at its own path in a
 * session (the working directory). When the store is dir or lies below it,
 * *cover receives the path in the session to hide under an empty read-only
 * tmpfs, so that no session writes into roots, layers or uppers that
 * sessions use (overlayfs lowers must not change under it). When dir lies
 * inside the store, -EINVAL with a message, except under STORE/work where
 * bench and verify build. Paths are compared by device and inode.
 */
int xh_store_exposure(const char *store, const char *dir, char **cover, xh_error *err);
/*
 * A compile cache at dir (which exists) is bound writable into sessions: it
 * must neither lie inside the store (except under STORE/cache, and
 * STORE/work where bench keeps its own) nor hold it.
 * -EINVAL with a message otherwise; compared as xh_store_exposure does.
 */
int xh_store_cache_exposure(const char *store, const char *dir, xh_error *err);
/* The two trees of a profile in the store. */
enum xh_tree {
        XH_TREE_ROOT,      /* the target root, of the profile's arch */
        XH_TREE_TOOLCHAIN, /* the toolchain layer, of the host's */
};
/*
 * Check a tree of the profile before it is used: TREE/rootfs is a directory
 * the caller can read (else "no root for profile ..." with the create hint, or
 * the permission problem); with contents, also what a finished create leaves,
 * so that a half-made, damaged or foreign tree is never used: TREE/recipe is
 * the profile's, var/lib/dpkg/status exists, /bin/sh (resolved inside the
 * tree) is an ELF program of the tree's machine and its program loader is
 * there. -errno with one message naming the path and what to do.
 */
int xh_store_check(const char *store, const struct xh_profile *p, enum xh_tree which, bool contents,
                   xh_error *err);
/*
 * Take the lock file of a tree (ROOT.lock, TOOLCHAIN.lock) shared, as every
 * session using the tree does until it ends, while create holds it
 * exclusively to build or replace the tree. -EBUSY when a create holds it;
 * 0 with *fd -1 when there is none (create makes it; a tree copied into a
 * store by hand has none) or the caller may not open it.
 */
int xh_store_lock_shared(const char *path, int *fd, xh_error *err);
/*
 * xh_store_lock_shared on the profile's tree which, for a user of it: -EBUSY
 * with a message naming the tree and its lock when a create holds it, and
 * the hint "wait for it to finish, then AGAIN".
 */
int xh_store_use_tree(const char *store, const struct xh_profile *p, enum xh_tree which,
                      const char *again, int *fd, xh_error *err);
/* ROOT/rootfs and TOOLCHAIN/rootfs: the trees themselves. */
char *xh_store_rootfs(const char *store, const struct xh_profile *p);
char *xh_store_toolchain_rootfs(const char *store, const struct xh_profile *p);

struct xh_create_opts {
        const struct xh_profile *profile;
        const char *store;
        bool force;                   /* rebuild what exists */
        const struct xh_notes *notes; /* progress: which tree, where, how long */
};
/*
 * Make the profile's target root and toolchain layer in the store when they
 * are missing (all of them with force); an interrupted create's leftovers
 * are removed first. A new root discards the profile's persistent upper.
 */
int xh_create(const struct xh_create_opts *o, xh_error *err);

/* Environment for a session: allow-list + profile [session] env + --env. */
char **xh_session_env(char *const *host_env, const struct xh_profile *p, char *const *extra,
                      const char *mode);

struct xh_session_opts {
        const struct xh_profile *profile;
        const char *store;
        bool emulated;
        bool ephemeral;
        bool dry_run; /* write the plan, environment and command to dry_run_out */
        FILE *dry_run_out;
        /*
         * The floor for benchmarks: run on the toolchain layer itself (an
         * amd64 root) with its cross tools first in PATH under their plain
         * names; no emulator, no target root.
         */
        bool native_cross;
        char *const *env; /* --env */
        /*
         * Host paths to bind (--bind), terminated by src == NULL, may be
         * NULL: src may be relative and must exist; dst NULL binds it at
         * its own (resolved) path.
         */
        const struct xh_bind *binds;
        char *const *argv; /* command to run */
        /*
         * Hybrid sessions: compile through the compile cache in this host
         * directory (xh_cache_path), made when missing; NULL: no cache.
         */
        const char *cache_dir;
        /*
         * Hybrid sessions: send native compiles to these distcc helpers
         * (a DISTCC_HOSTS value, from xh_distcc_hosts); NULL: compile here.
         */
        const char *distcc_hosts;
        /*
         * Hybrid sessions: the exec trace (run --trace FILE), a host path
         * made (truncated) when the session starts; NULL: no trace.
         */
        const char *trace;
        /*
         * Hybrid: a toolchain layer outside the store (image --install: the
         * image's own copy); NULL: the profile's in the store.
         */
        const char *toolchain_dir;
        /*
         * Hybrid: leave a rebuilt compiler's layer unused, so that the
         * profile's skew rule decides as if it had never been built (bench's
         * hybrid-stock mode).
         */
        bool stock_compiler;
        const struct xh_notes *notes; /* warnings at session start */
};

/*
 * Run a command in a session. 0: it ran, *status is its wait status. -errno
 * with err on failure; *status stays -1 when the session could not be set
 * up, and is the 126 or 127 exit status when the command could not be
 * executed (the error is then the exec's: -ENOENT, -EACCES, -ENOEXEC ...).
 */
int xh_session_run(const struct xh_session_opts *o, int *status, xh_error *err);

/*
 * The plan of a throwaway hybrid session of the profile's root alone (no
 * persistent upper, working directory "/", no binds, no caches) staged at
 * staging, as an image holds it (image.c); *env receives that session's
 * environment, made from an empty host environment. Warnings of the
 * toolchain's choice go to notes. root and toolchain: the two trees when
 * they are not the store's (image --install), else NULL.
 */
struct xh_plan;
int xh_session_image_plan(const struct xh_profile *p, const char *store, const char *root,
                          const char *toolchain, const char *staging, bool cache,
                          const struct xh_notes *notes, struct xh_plan *plan, char ***env,
                          xh_error *err);

/*
 * Images (image.c): a container image of a hybrid session of a profile, made
 * from the store, and what its entrypoint reads.
 */
#define XH_IMAGE_XHYBRID XH_SESSION_DIR "/bin/xhybrid" /* the entrypoint, a static program */
#define XH_IMAGE_CONF    XH_SESSION_DIR "/image.conf"  /* struct xh_image_conf */
#define XH_IMAGE_BINFMT  XH_SESSION_DIR "/binfmt"      /* a private binfmt_misc goes here */
/* image --install: the paths it put into the root, one per line */
#define XH_IMAGE_INSTALLED XH_SESSION_DIR "/installed"

/* What the entrypoint needs to know of the image (XH_IMAGE_CONF: "key = value" lines). */
struct xh_image_conf {
        char *profile;        /* the profile it was made from */
        char *arch;           /* its Debian architecture */
        char *emulator;       /* qemu-user in the image, as binfmt_misc starts it */
        char *emulator_flags; /* the binfmt_misc flags for it: POF */
        char *probe;          /* a foreign program that runs alone: the target's loader */
};
char *xh_image_conf_format(const struct xh_image_conf *c);
/* -EINVAL with "ORIGIN:LINE: ..." for a line that is not a known key, or a missing key. */
int xh_image_conf_parse(const char *text, const char *origin, struct xh_image_conf *c,
                        xh_error *err);
void xh_image_conf_clear(struct xh_image_conf *c);

/* One layer of an image: an uncompressed tar, its digest is also its diff_id. */
struct xh_image_layer {
        char *digest; /* sha256:HEX */
        uint64_t size;
        const char *what; /* its history line */
};
/* The image's configuration (JSON of the OCI image spec). */
struct xh_image_desc {
        const char *arch, *variant; /* platform: arm64, v8 (variant may be NULL) */
        const char *created;        /* RFC 3339 */
        const char *profile;        /* label org.xhybrid.profile */
        char *const *env, *const *entrypoint, *const *cmd;
        char *const *volumes; /* may be NULL */
        const struct xh_image_layer *layers;
        size_t nlayers;
};
char *xh_image_config_json(const struct xh_image_desc *d);
char *xh_image_manifest_json(const char *config_digest, uint64_t config_size,
                             const struct xh_image_layer *layers, size_t n);
/* index.json of the OCI layout; ref NAME:TAG names the image. */
char *xh_image_index_json(const char *manifest_digest, uint64_t manifest_size, const char *ref);
/* manifest.json of a docker-archive naming the same blobs. */
char *xh_image_docker_manifest_json(const char *config_digest, const char *ref,
                                    const struct xh_image_layer *layers, size_t n);
/* A --tag checked, ":latest" added when it has no tag; -EINVAL with a message. */
int xh_image_ref(const char *in, char **out, xh_error *err);

struct xh_image_opts {
        const struct xh_profile *profile;
        const char *store;
        const char *output;  /* the archive to write (replaced whole, or left alone) */
        const char *ref;     /* NAME:TAG */
        const char *xhybrid; /* a static xhybrid, the image's entrypoint */
        /*
         * Native compiles through the toolchain layer's ccache, whose cache
         * is the image's volume XH_CCACHE_DIR (one per container unless a
         * named volume is mounted there).
         */
        bool cache;
        /*
         * xh_image_install: the root to install into (a container's during
         * its image's build), whose toolchain layer is at XH_TOOLCHAIN_DIR.
         */
        const char *install_root;
        const struct xh_notes *notes;
};
struct xh_image_info {
        char *digest;         /* the image's id: the digest of its configuration */
        char *archive_digest; /* sha256 of the archive file */
        uint64_t bytes;       /* the archive's size */
        uint64_t layer_bytes[3];
        size_t nlayers;
        double seconds;
};
/*
 * Write an image archive of the profile's root, toolchain layer and shim
 * layer (an OCI layout that is also a docker-archive), with xhybrid as its
 * entrypoint; the same store gives the same bytes. Works in
 * STORE/work/image-PROFILE.XXXXXX, removed at the end.
 */
int xh_image_build(const struct xh_image_opts *o, struct xh_image_info *info, xh_error *err);
/*
 * What xh_image_build puts into the image's third layer (the shim layer,
 * xhybrid and the emulator), installed instead into the file system at
 * o->install_root, whose toolchain layer is already at XH_TOOLCHAIN_DIR: the
 * target's programs the layer covers move to XH_ORIG_DIR, the toolchain's
 * copy of the cross packages' own libc is emptied, and the emulator is the
 * toolchain's. Installed again (XH_IMAGE_INSTALLED lists what the last
 * install put there), it first gives the target's programs back, so the
 * choice is made anew from the packages installed since; refused in an
 * image made by xh_image_build. For an image built by a container engine
 * from a Dockerfile; only info->seconds is set.
 */
int xh_image_install(const struct xh_image_opts *o, struct xh_image_info *info, xh_error *err);
void xh_image_info_clear(struct xh_image_info *info);

/*
 * The entrypoint (entry.c). The command's ids from --user UID[:GID] (user,
 * may be NULL), else from BUILDER_UID and BUILDER_GID (may be NULL or
 * empty); -1 where none is given, a gid the same as the uid when only
 * that is. -EINVAL with a message for anything but numbers.
 */
int xh_entry_ids(const char *user, const char *env_uid, const char *env_gid, long *uid, long *gid,
                 xh_error *err);
struct xh_entry_opts {
        const char *conf;  /* XH_IMAGE_CONF */
        char *const *argv; /* the command */
        char *const *envp; /* the container's environment */
        long uid, gid;     /* the command's ids, or -1 */
        const struct xh_notes *notes;
};
/*
 * Run the command with the image's emulator and identity: the host's
 * binfmt_misc entry when a target program runs, else a private one in a user
 * namespace, else -ENOEXEC with one message on how to get either. *status as
 * xh_session_run.
 */
int xh_entry_run(const struct xh_entry_opts *o, int *status, xh_error *err);

/*
 * The binfmt_misc rule that registers the profile's emulator (found and
 * checked to be a static host program) with the F and O flags; with
 * keep_argv0 and Debian's ARCH-binfmt-P name for it, also P. interpreter
 * (NULL: the emulator) registers another program with the same flags: the
 * shim's binfmt mode, which runs the emulator, in a tracing session. emu
 * (may be NULL) receives the emulator's path and whether P is set.
 */
struct xh_binfmt_emulator {
        char *path;      /* the caller frees it */
        bool keep_argv0; /* the entry has the P flag */
};
int xh_binfmt_rule_for(const struct xh_profile *p, bool keep_argv0, const char *interpreter,
                       char **rule, struct xh_binfmt_emulator *emu, xh_error *err);

/*
 * Run argv on the host in a new user + mount + PID namespace with a private
 * binfmt_misc that registers the profile's emulator (used to run mmdebstrap
 * for a foreign root). *status receives a wait status. A request to stop
 * (SIGTERM, SIGINT, SIGQUIT, SIGHUP) is passed on, and when argv has not
 * ended XH_STOP_GRACE seconds later its whole namespace is killed: -EINTR.
 */
#define XH_STOP_GRACE 10
int xh_ns_exec_binfmt(const struct xh_profile *p, char *const *argv, char *const *envp, int *status,
                      xh_error *err);

/*
 * Run argv in new namespaces after applying plan there (see namespace.c). The
 * command runs in a user + mount namespace of its own nested in the session's,
 * where every mount of the plan is locked: its read-only binds stay read-only
 * and cannot be unmounted, even by root in the session. With a machine (not
 * NULL), the command runs under the identity filter and a supervisor answers
 * its uname(2) with that machine; the supervisor's death ends the session
 * with an error.
 */
struct xh_plan;
int xh_ns_run_plan(const struct xh_plan *plan, char *const *argv, char *const *envp,
                   const char *machine, int *status, xh_error *err);

/*
 * The entrypoint of an image: run argv in new user + mount + PID namespaces
 * after applying plan there (a private binfmt_misc), or with plan NULL in no
 * namespaces at all. As root, the namespace maps every id of the container
 * to itself, else only the caller's own. With a machine, the identity filter
 * and its supervisor as in a session (needs the namespace: the supervisor
 * reads the command's memory). uid, gid >= 0: the command's ids, taken
 * after the filter is loaded. Signals and statuses as xh_ns_run_plan.
 */
int xh_ns_run_entry(const struct xh_plan *plan, char *const *argv, char *const *envp,
                    const char *machine, long uid, long gid, int *status, xh_error *err);

/*
 * Why execvp(file) failed with errno e, in err, the way a shell says it;
 * path is the PATH it searched. Returns the exit status: 127 when no file
 * of that name exists ("FILE: command not found", or "No such file or
 * directory" for a path), 126 when one exists but cannot be executed,
 * including ENOENT for a missing #! interpreter or ELF program interpreter
 * ("FILE: bad interpreter NAME: No such file or directory").
 */
int xh_exec_failure(const char *file, const char *path, int e, xh_error *err);

/*
 * Subordinate ids of a caller who is not root (session/ids.c). text is the
 * contents of /etc/subuid or /etc/subgid ("OWNER:START:COUNT" lines).
 * xh_subid_find: 1 and *out the first range of user (a name; may be NULL),
 * else of uid in decimal, as newuidmap and newgidmap look them up (both by
 * the user's uid); 0 when there is none. Malformed lines are skipped.
 * xh_subid_free_start: a start above every range in text, at least 100000.
 */
struct xh_subid {
        unsigned long start, count;
};
int xh_subid_find(const char *text, const char *user, unsigned long uid, struct xh_subid *out);
unsigned long xh_subid_free_start(const char *text);

/*
 * A caller who is not root: its ranges in /etc/subuid (*u) and /etc/subgid
 * (*g), which sessions map after the caller. An error naming what is missing
 * (a user name, newuidmap or newgidmap, a range) with the command that adds
 * it, when they cannot be mapped.
 */
int xh_ns_subids(struct xh_subid *u, struct xh_subid *g, xh_error *err);

/*
 * The kernel settings below proc_sys (/proc/sys) that stop this caller (root
 * or not) from making the user namespaces of a session: *out is an array of
 * what blocks and the fix of each, ended by {0}; returns their number. A
 * setting the kernel does not have blocks nothing. Free with xh_blocks_free.
 */
struct xh_block {
        char *what, *fix;
};
int xh_userns_blocks(const char *proc_sys, bool root, struct xh_block **out);
void xh_blocks_free(struct xh_block *b);

/*
 * The id map of a nested user namespace that maps every id of its parent to
 * itself, from the parent's own /proc/self/uid_map (or gid_map) as read from
 * inside it: each line "FIRST LOWER COUNT" becomes "FIRST FIRST COUNT".
 * -EINVAL for an empty or malformed map.
 */
int xh_ns_identity_map(const char *map, char **out);

/*
 * The target's identity for native programs (session/identity.c): in a hybrid
 * session a seccomp filter turns every uname(2) of the command and its
 * descendants into a notification, and a supervisor process answers it with
 * what the kernel gives the caller and the target's machine.
 */
struct utsname;
/* kernel with machine replaced; -EINVAL when machine is empty or does not fit. */
int xh_identity_answer(const struct utsname *kernel, const char *machine, struct utsname *out);
/*
 * In the command, just before exec: load the filter (the caller needs
 * CAP_SYS_ADMIN in its user namespace or no_new_privs). *listener receives
 * the notification fd, which the supervisor serves.
 */
int xh_identity_filter(int *listener, xh_error *err);
/*
 * The supervisor: answer the notifications of listener with machine. Returns
 * 0 when no process is left under the filter, or the errno of a failure.
 * Never prints.
 */
int xh_identity_serve(int listener, const char *machine);

/*
 * The target tools a hybrid session replaces, and why (session/toolchain.c).
 * A native program runs only when it was built from the same source version
 * as the target's program, Debian revision included.
 */
enum xh_tool_decision {
        XH_TOOL_NATIVE,        /* same source version: the shim runs the native program */
        XH_TOOL_NATIVE_SKEW,   /* sources differ, profile skew = native */
        XH_TOOL_SKEW_FALLBACK, /* sources differ: the original runs emulated (warned) */
        XH_TOOL_SKEW_ERROR,    /* sources differ, profile skew = error: no session */
        XH_TOOL_NO_NATIVE,     /* no program at that path in the toolchain layer */
        XH_TOOL_EMULATE,       /* the profile's emulate list names it */
        XH_TOOL_SHADOWED,      /* the profile's upper holds its own file there: emulated */
        XH_TOOL_DENIED,        /* on the deny list (deny_reason): emulated */
        XH_TOOL_OVERRIDDEN,    /* on the deny list, run native: profile says native_override */
};

struct xh_tool_choice {
        char *name;      /* the table name that found it (gcc, cc, as ...) */
        char *path;      /* the resolved target path: /usr/bin/aarch64-linux-gnu-gcc-12 */
        char *canonical; /* the shim's name for it: gcc */
        /* Owning packages and versions; NULL when no package owns the file. */
        char *target_pkg, *target_ver;
        char *tc_pkg, *tc_ver;
        /* The target package's source, "NAME VERSION": gcc-12 12.2.0-14+deb12u1. */
        char *target_src;
        /*
         * What the toolchain's package was built from, as "NAME VERSION": its
         * own source when that is the target's source package, else the
         * version of the target's source that its Built-Using field records
         * (gcc-12 12.2.0-14 for gcc-12-aarch64-linux-gnu 12.2.0-14cross1),
         * else its own source. Native only when equal to target_src.
         */
        char *tc_src;
        bool tc_cross; /* the toolchain package comes from another source package */
        enum xh_tool_decision decision;
        bool direct; /* native with no decision per run: the program itself in its place */
        /*
         * The package of the native set that brought it (coreutils ...), or
         * NULL for a tool of the shim's table.
         */
        char *from_package;
        /* Why it never runs native (XH_TOOL_DENIED), from the deny list. */
        const char *deny_reason;
        bool rebuilt; /* native from a rebuilt compiler layer (xh_compiler_apply) */
};

/*
 * emulate: extra tools to leave emulated (XHYBRID_EMULATE of the session), may
 * be NULL. upper: the profile's persistent upper, may be NULL. A dpkg
 * database that cannot be read is an error naming its path.
 */
int xh_toolchain_choose(const struct xh_profile *p, const char *rootfs, const char *upper,
                        const char *toolchain, char *const *emulate, struct xh_tool_choice **out,
                        size_t *count, xh_error *err);
const char *xh_tool_decision_name(enum xh_tool_decision d);
/* The decision as reports show it: xh_tool_decision_name, or that the compiler is rebuilt. */
const char *xh_tool_choice_decision(const struct xh_tool_choice *b);
void xh_tool_choices_free(struct xh_tool_choice *list, size_t n);
/*
 * What a session start says about these choices, one line each: one per
 * pair of differing sources (the tools, both versions, what runs and how to
 * get a matching native program: other profiles of the architecture, less
 * those in store known not to match), one naming the tools whose file a
 * package operation in the persistent upper replaced. Empty when there is
 * nothing to say. Lines have no "xhybrid: warning: " prefix.
 */
char **xh_toolchain_warnings(const struct xh_profile *p, const char *store,
                             const struct xh_tool_choice *b, size_t n, const char *upper);
char *xh_upstream_version(const char *debian_version);
/*
 * path resolved inside root as if root were "/" (absolute links stay inside,
 * "." and ".." normalized): "/usr/bin/cc" -> "/usr/bin/aarch64-linux-gnu-gcc-12".
 * NULL when a component is missing.
 */
char *xh_resolve_in_root(const char *root, const char *path);
/*
 * Where a hybrid session's generated layer links the host's program
 * interpreter, so that the toolchain layer's programs start inside the
 * target root (its /usr/lib/HOST_LIBDIR is bound at the same path). The
 * interpreter is the one the toolchain layer's /bin/sh names
 * (/lib64/ld-linux-x86-64.so.2). *at is a path inside the session, *to the
 * link's target: "/lib64" -> "usr/lib/x86_64-linux-gnu" where the target
 * has no such directory; "/usr/lib64/ld-linux-x86-64.so.2" ->
 * "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" where the target has it
 * (ppc64el: /lib64 -> usr/lib64, its own loader /lib64/ld64.so.2); both
 * NULL where the target has a file of that name. -ENOEXEC when the
 * toolchain layer's interpreter cannot be found.
 */
int xh_loader_link(const char *rootfs, const char *toolchain, char **at, char **to, xh_error *err);

/*
 * A package as reports show it: "NAME VERSION", plus "(from SOURCE VERSION)"
 * when it was built from a source named or versioned otherwise; "?" for none.
 */
char *xh_package_text(const char *pkg, const char *ver, const char *src);

/*
 * Rebuilt cross compilers (session/compiler.c): a cross compiler built from
 * exactly the target's compiler source, kept in the store as a layer,
 * STORE/layers/gcc-cross-ARCH-SOURCE_VERSION-HASH, whose rootfs holds the
 * installed compiler and whose record/var/lib/dpkg holds a dpkg record of it
 * (status: one package with Source "NAME (VERSION)"; info/PACKAGE.list: the
 * programs a session binds over the toolchain layer's files of the same path).
 */
/*
 * The layer's name for the target's compiler source target_src ("gcc-12
 * 12.2.0-14+deb12u1") and the source the toolchain layer's cross compiler
 * (all its drivers: gcc, g++, cpp) was built from, cross_src ("gcc-12
 * 12.2.0-14"), whose configure options it takes; NULL when target_src is no
 * "gcc-N VERSION" or an argument is missing.
 */
char *xh_compiler_layer_name(const char *arch, const char *triplet, const char *target_src,
                             const char *cross_src);
char *xh_compiler_layer_path(const char *store, const char *name);
struct xh_compiler_layer {
        char *dir;     /* STORE/layers/NAME */
        char *pkg;     /* its package, xhybrid-gcc-12-aarch64-linux-gnu */
        char *version; /* 12.2.0-14+deb12u1 */
        char *source;  /* what it was built from: "gcc-12 12.2.0-14+deb12u1" */
        char **files;  /* paths inside the toolchain layer it replaces, sorted */
};
/*
 * Read and check a layer: its record loads, and every file it lists is a
 * regular file of its rootfs. -errno with a message naming the layer and
 * what is wrong, and the hint to build it again.
 */
int xh_compiler_layer_load(const char *dir, struct xh_compiler_layer *l, xh_error *err);
void xh_compiler_layer_clear(struct xh_compiler_layer *l);
/*
 * Choices whose toolchain program was built from another source than the
 * target's become native (rebuilt) when the store holds the layer built
 * from the target's source for that cross package and it lists the path;
 * *used receives that layer (all NULL when none applies). A layer that is
 * there but incomplete or damaged is an error.
 */
int xh_compiler_apply(const struct xh_profile *p, const char *store, struct xh_tool_choice *b,
                      size_t n, struct xh_compiler_layer *used, xh_error *err);

struct xh_compiler_build_opts {
        const struct xh_profile *profile;
        const char *store;
        bool force;                   /* build again although the layer exists */
        const struct xh_notes *notes; /* progress: each phase, with the log's path */
};
struct xh_compiler_build_result {
        bool needed;    /* false: the toolchain layer's compiler is already the target's */
        bool reused;    /* the layer was there already */
        char *source;   /* the target's compiler source, "gcc-12 12.2.0-14+deb12u1" */
        char *layer;    /* STORE/layers/NAME */
        char *log;      /* the build log */
        size_t files;   /* programs it replaces */
        double seconds; /* the build's time */
};
/*
 * Build the profile's rebuilt cross compiler in a throwaway session of its
 * toolchain layer (phases source, patch, configure, build, install; the log
 * at STORE/work/NAME.log, kept as LAYER/build.log), in a temporary directory
 * renamed to the layer when complete.
 */
int xh_compiler_build(const struct xh_compiler_build_opts *o, struct xh_compiler_build_result *res,
                      xh_error *err);
void xh_compiler_build_result_clear(struct xh_compiler_build_result *r);

/* The compilers of a profile as reports show them. */
struct xh_gcc_facts {
        char *target;               /* the target's gcc: "gcc-12 12.2.0-14+deb12u1" */
        char *cross;                /* the toolchain layer's, with the source it was built from */
        const char *decision;       /* what a hybrid session runs: xh_tool_decision_name() */
        const char *stock_decision; /* the same without a rebuilt compiler (hybrid-stock) */
        bool native;                /* built from the same source version */
        char *layer;                /* the rebuilt compiler's layer it runs, or NULL */
};
/*
 * Fill f for p's gcc (a rebuilt compiler's layer counted, xh_compiler_apply);
 * all NULL while the root or the toolchain layer is
 * missing. Fails when a dpkg database cannot be read.
 */
int xh_toolchain_gcc_facts(const struct xh_profile *p, const char *store, struct xh_gcc_facts *f,
                           xh_error *err);
void xh_gcc_facts_clear(struct xh_gcc_facts *f);

/*
 * The compile cache (session/cache.c): Debian's ccache from the toolchain
 * layer, run by the shim around each native compile and link of a hybrid
 * session, with a configuration of xhybrid's own that keys every result on
 * what makes it (see docs/hybrid.md#the-compile-cache).
 */
/* The profile's cache directory on the host: its cache = PATH, else STORE/cache/PROFILE/ccache. */
char *xh_cache_path(const char *store, const struct xh_profile *p);
/*
 * The files, as paths inside a session, whose contents identify the
 * toolchain layer's compiler besides its driver (which ccache hashes
 * itself): cc1 and cc1plus, the assembler, and the layer's dpkg status,
 * which names the version of every library they load. Sorted; those
 * missing from the layer are left out.
 */
char **xh_cache_compiler_files(const char *toolchain_rootfs, const char *triplet);
/*
 * The session's ccache.conf (XH_CCACHE_CONF) for those files; prefix (may
 * be NULL) is its prefix_command, which runs the compile of a miss.
 */
char *xh_cache_config(char *const *compiler_files, const char *prefix);

/* A cache's counters, as ccache --print-stats gives them, grouped. */
struct xh_cache_stats {
        char *dir;                     /* the cache directory on the host */
        bool exists;                   /* no session has used it yet when false */
        unsigned long long hits;       /* compiles answered from the cache */
        unsigned long long misses;     /* compiles run and stored */
        unsigned long long links;      /* links: not cached, run as they are */
        unsigned long long preprocess; /* preprocessor only (-E): not cached */
        unsigned long long failed;     /* compiles or preprocessing that failed: not cached */
        unsigned long long other;      /* other calls ccache does not cache (configure tests ...) */
        unsigned long long files;      /* files in the cache */
        unsigned long long size_kib;   /* their size */
        unsigned long long max_kib;    /* the cache's limit (0: none) */
};
/*
 * Read "NAME<TAB>VALUE" lines of ccache --print-stats into s (the counters
 * only; unknown names are ignored). -EINVAL when the text holds no
 * counter ccache always prints (cache_miss).
 */
int xh_cache_stats_parse(const char *text, struct xh_cache_stats *s);
/*
 * The counters of the cache at dir (NULL: the profile's, xh_cache_path),
 * read by the profile's toolchain layer's ccache (which must exist; its lock
 * is held shared meanwhile). A cache directory that does not exist yet has
 * all zero and exists false.
 */
int xh_cache_stats(const char *store, const struct xh_profile *p, const char *dir,
                   struct xh_cache_stats *s, xh_error *err);
/*
 * Empty the profile's cache (ccache --clear --zero-stats, which leaves
 * other files of the directory alone); before (may be NULL) receives its
 * counters from before.
 */
int xh_cache_clear(const char *store, const struct xh_profile *p, struct xh_cache_stats *before,
                   xh_error *err);
void xh_cache_stats_clear(struct xh_cache_stats *s);

/*
 * Distributed compiles on distcc (session/distcc.c): 'xhybrid serve' runs the
 * toolchain layer's distccd for the layer's cross compilers only, each under
 * a name that carries its identity (xh-ID-DRIVER); 'run --distribute' sends
 * a session's compiles there under the same names.
 */
#define XH_DISTCC_PORT 3632
/*
 * A list of helpers, HOST[:PORT][/LIMIT] separated by commas, as the
 * DISTCC_HOSTS value distcc reads ("--randomize HOST:PORT[/LIMIT] ...").
 * what names the list's origin in messages (--distribute, XHYBRID_DISTRIBUTE).
 */
int xh_distcc_hosts(const char *what, const char *list, char **out, xh_error *err);
/* --listen ADDR[:PORT]: an IPv4 address, the port 3632 when none is given. */
int xh_distcc_listen(const char *spec, char **addr, unsigned *port, xh_error *err);
/* --allow ADDR[/BITS]: an IPv4 network, no bits set past its prefix; *out "ADDR/BITS". */
int xh_distcc_allow(const char *spec, char **out, xh_error *err);
/*
 * The cross compilers of a toolchain layer: *drivers the resolved paths of
 * TRIPLET-gcc and TRIPLET-g++ inside it (sorted), *id 16 hex digits hashing
 * the contents of the drivers and of xh_cache_compiler_files. Two layers
 * with the same id compile alike.
 */
int xh_distcc_compilers(const char *toolchain_rootfs, const char *triplet, char **id,
                        char ***drivers, xh_error *err);
/* The served name of a driver: xh-ID-BASENAME. */
char *xh_distcc_name(const char *id, const char *driver);
/* prog (XH_DISTCC_PROG, XH_DISTCCD_PROG) is a program of the layer; else an error with a hint. */
int xh_distcc_check_layer(const char *toolchain_rootfs, const char *profile, const char *prog,
                          xh_error *err);

struct xh_serve_opts {
        const struct xh_profile *profile;
        const char *store;
        const char *listen; /* an IPv4 address */
        unsigned port;
        char *const *allow; /* ADDR/BITS, at least one */
        int jobs;           /* compiles at once; 0: distccd's default */
        int log_fd;         /* distccd's log; -1: standard error */
        bool verbose;       /* distccd's debug messages */
        bool dry_run;       /* write the plan and the command to dry_run_out */
        FILE *dry_run_out;
        const struct xh_notes *notes;
};
/*
 * Run distccd for the profile's cross compilers until it ends (SIGINT or
 * SIGTERM, passed on): 0 with *status its wait status, or -errno with err.
 */
int xh_serve(const struct xh_serve_opts *o, int *status, xh_error *err);

#endif
