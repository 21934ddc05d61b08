/* SPDX-License-Identifier: MIT */
/*
 * The process tree of a session:
 *
 *   xhybrid (host)          writes the id maps, forwards signals, waits, passes
 *     |                     the command's exit status or signal on
 *     +- init (pid 1)       new user + mount + PID namespace: applies the mount
 *          |                plan, writes the command's id maps, reaps,
 *          |                forwards signals, saves an archived upper,
 *          |                reports the status
 *          +- command       its own user + mount namespace (the mounts of the
 *          |                plan are locked there), in a hybrid session the
 *          |                identity filter, then the user's program, exec'd
 *          |                with a clean environment
 *          +- supervisor    hybrid sessions only (xhybrid-uname): answers the
 *                           command's uname(2) with the target's machine
 *                           (identity.c)
 *
 * When init exits the kernel kills what is left in the PID namespace, and the
 * mount namespace with every mount of the session disappears with it.
 *
 * The identity filter is loaded by the command itself, after its namespaces
 * are in place and before exec, so that everything the command starts runs
 * under it and nothing of the session's own does: init and the supervisor
 * never see it. The command hands the filter's listener to init over a
 * socket; init starts the supervisor with it and keeps a copy for as long as
 * it lives. That copy is what makes the supervisor's death loud: while any
 * copy is open the kernel holds a uname(2) with nobody to answer it (without
 * one it would fail the call with ENOSYS). init sees the supervisor die, kills
 * every process of the session, and reports the failure (exit status 125).
 *
 * A session whose persistent upper is kept as an archive (a store on
 * overlayfs) saves it at its end: when the command has ended, init kills and
 * reaps every process left in the session, so that nothing writes the upper
 * any more, saves it through the directories the plan opened before the
 * pivot, and only then reports the command's status. The lock on the upper
 * is an open file that init shares with the host side, so it holds until
 * init has saved and exited. A failed save is reported instead of the
 * status; the archive then still holds the state from before the session.
 * Those directories reach the store, so no process of the session may open
 * them through /proc/1/fd: the command's own user namespace sees to that, as
 * a process may only inspect one of an ancestor user namespace with
 * CAP_SYS_PTRACE there.
 *
 * Why the command has namespaces of its own: root in the session holds every
 * capability of the user namespace that owns the session's mounts, and could
 * remount the read-only binds of the store (the target root, the toolchain
 * layer) read-write or unmount them. A mount namespace made by a less
 * privileged user namespace receives the mounts it copies locked: they cannot
 * be unmounted or moved one by one, and their read-only, nosuid, nodev and
 * noexec flags cannot be cleared (bubblewrap relies on the same rule). The
 * command's user namespace maps every id of the session's to itself, so files
 * and ownership look the same, and its root keeps every capability over the
 * overlay's writable root: apt-get and dpkg work as before. binfmt_misc needs
 * nothing more: a user namespace without an instance of its own uses its
 * parent's, the session's private one.
 */
#include "session.h"
#include "emulator.h"
#include "overlay.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <grp.h>

extern char **environ;

static pid_t raw_clone(unsigned long flags)
{
        return (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
}

static int write_text(const char *path, const char *text)
{
        return xh_write_file(path, text, strlen(text), 0644) < 0 ? -errno : 0;
}

/* The caller's first subordinate range in file (/etc/subuid or /etc/subgid), by name or uid. */
static int sub_range(const char *file, const char *user, uid_t uid, struct xh_subid *r,
                     xh_error *err)
{
        _cleanup_free_ char *text = NULL;
        int e = xh_read_file(file, &text, NULL);
        if (e < 0 && e != -ENOENT)
                return xh_fail(err, -e, "cannot read %s: %s", file, strerror(-e));
        if (text && xh_subid_find(text, user, uid, r) == 1)
                return 0;
        bool gid = strcmp(file, XH_SUBGID) == 0;
        unsigned long start = xh_subid_free_start(text ? text : "");
        xh_fail(err, ENOENT,
                "no range for user %s (uid %u) in %s: a root's owners other than root (_apt, "
                "shadow ...) need the caller's subordinate %cids",
                user, (unsigned)uid, file, gid ? 'g' : 'u');
        return xh_hint(err, ENOENT,
                       "add one as root: usermod --add-sub%cids %lu-%lu %s ('xhybrid doctor' "
                       "lists what is missing)",
                       gid ? 'g' : 'u', start, start + 65535, user);
}

int xh_ns_subids(struct xh_subid *u, struct xh_subid *g, xh_error *err)
{
        uid_t uid = getuid();
        struct passwd *pw = getpwuid(uid);
        if (!pw) {
                xh_fail(err, ENOENT,
                        "uid %u has no user name (no entry in /etc/passwd), which newuidmap needs "
                        "to find its subordinate ids",
                        (unsigned)uid);
                return xh_hint(err, ENOENT, "add the user as root (useradd), or run as root");
        }
        static const char *const helpers[] = {XH_NEWUIDMAP, XH_NEWGIDMAP};
        for (size_t i = 0; i < XH_ARRAY_SIZE(helpers); i++)
                if (access(helpers[i], X_OK) < 0) {
                        xh_fail(err, errno,
                                "%s: %s; it maps the caller's subordinate ids, which a root's "
                                "owners other than root need",
                                helpers[i], strerror(errno));
                        return xh_hint(err, errno, "install it as root: apt-get install uidmap");
                }
        _cleanup_free_ char *name = xh_strdup(pw->pw_name);
        int r = sub_range(XH_SUBUID, name, uid, u, err);
        if (r == 0)
                r = sub_range(XH_SUBGID, name, uid, g, err); /* newgidmap looks up the uid too */
        return r;
}

/* newuidmap or newgidmap (prog) for pid: 0 is id, 1 to count its range. */
static int new_map(const char *prog, pid_t pid, unsigned id, const struct xh_subid *r,
                   xh_error *err)
{
        _cleanup_free_ char *p = xh_asprintf("%d", (int)pid);
        _cleanup_free_ char *id0 = xh_asprintf("%u", id);
        _cleanup_free_ char *start = xh_asprintf("%lu", r->start);
        _cleanup_free_ char *count = xh_asprintf("%lu", r->count);
        char *const argv[] = {(char *)prog, p, "0", id0, "1", "1", start, count, NULL};
        struct xh_spawn sp = {.argv = argv, .capture_fd = 2};
        _cleanup_free_ char *out = NULL;
        int e = xh_spawn(&sp, &out, NULL, err);
        if (e < 0 && out && *out) {
                out[strcspn(out, "\n")] = '\0';
                xh_error_clear(err);
                xh_fail(err, -e, "%s failed: %s", prog, out);
        }
        if (e < 0)
                xh_hint(err, -e, "run 'xhybrid doctor', which checks what it needs");
        return e;
}

/*
 * Map ids for the namespace of pid. Real root: ids 0-65535 map to themselves,
 * so that a root built with many owners keeps them. A plain user: 0 inside is
 * the caller (files it creates in bound directories are the caller's), plus
 * its subordinate range through newuidmap when it has one. With need_range
 * (create), a plain user without one, or whose newuidmap fails, is an error.
 */
static int write_id_maps(pid_t pid, bool need_range, xh_error *err)
{
        _cleanup_free_ char *uid_map = xh_asprintf("/proc/%d/uid_map", (int)pid);
        _cleanup_free_ char *gid_map = xh_asprintf("/proc/%d/gid_map", (int)pid);
        _cleanup_free_ char *setgroups = xh_asprintf("/proc/%d/setgroups", (int)pid);
        int r;

        if (geteuid() == 0) {
                if ((r = write_text(uid_map, "0 0 65536\n")) < 0 ||
                    (r = write_text(gid_map, "0 0 65536\n")) < 0)
                        return xh_fail(err, -r, "cannot write the id map of the session: %s",
                                       strerror(-r));
                return 0;
        }

        uid_t uid = getuid();
        gid_t gid = getgid();
        struct xh_subid us, gs;
        xh_error why = {0};
        if (xh_ns_subids(&us, &gs, &why) == 0) {
                r = new_map(XH_NEWUIDMAP, pid, uid, &us, &why);
                if (r == 0 && (r = new_map(XH_NEWGIDMAP, pid, gid, &gs, &why)) < 0)
                        need_range = true; /* the uid map is written: no way back */
                if (r == 0)
                        return 0;
                if (!need_range)
                        XH_INFO("%s; mapping only the caller", why.msg);
        }
        if (need_range) {
                *err = why;
                return -(err->code ? err->code : EPERM);
        }
        xh_error_clear(&why);
        _cleanup_free_ char *um = xh_asprintf("0 %u 1\n", uid);
        _cleanup_free_ char *gm = xh_asprintf("0 %u 1\n", gid);
        if ((r = write_text(setgroups, "deny\n")) < 0 || (r = write_text(uid_map, um)) < 0 ||
            (r = write_text(gid_map, gm)) < 0)
                return xh_fail(err, -r, "cannot write the id map of the session: %s", strerror(-r));
        return 0;
}

/*
 * The id maps of an entrypoint's namespace: as root, every id of its own
 * user namespace (the container's) to itself, so that BUILDER_UID and the
 * root's owners mean the same inside; otherwise its own uid and gid only.
 */
static int write_entry_maps(pid_t pid, xh_error *err)
{
        static const char *const maps[] = {"uid_map", "gid_map"};
        _cleanup_free_ char *setgroups = xh_asprintf("/proc/%d/setgroups", (int)pid);
        int r;
        if (geteuid() != 0 && (r = write_text(setgroups, "deny\n")) < 0)
                return xh_fail(err, -r, "cannot write %s: %s", setgroups, strerror(-r));
        for (size_t i = 0; i < XH_ARRAY_SIZE(maps); i++) {
                _cleanup_free_ char *self = xh_asprintf("/proc/self/%s", maps[i]);
                _cleanup_free_ char *path = xh_asprintf("/proc/%d/%s", (int)pid, maps[i]);
                _cleanup_free_ char *outer = NULL;
                _cleanup_free_ char *map = NULL;
                if (geteuid() != 0) {
                        unsigned id = i == 0 ? (unsigned)getuid() : (unsigned)getgid();
                        map = xh_asprintf("%u %u 1\n", id, id);
                } else if ((r = xh_read_file(self, &outer, NULL)) < 0) {
                        return xh_fail(err, -r, "cannot read %s: %s", self, strerror(-r));
                } else if ((r = xh_ns_identity_map(outer, &map)) < 0) {
                        return xh_fail(err, -r, "%s: unexpected contents '%s'", self, outer);
                }
                if ((r = write_text(path, map)) < 0)
                        return xh_fail(err, -r, "cannot write the id map %s: %s", path,
                                       strerror(-r));
        }
        return 0;
}

/*
 * Error report from the namespace to the host side, in one write:
 * "ERRNO\0msg\0hint\0", ERRNO the failure's errno in decimal.
 */
static void report_error(int fd, int errnum, const xh_error *e)
{
        xh_buf b = {0};
        xh_buf_addf(&b, "%d", errnum);
        xh_buf_addn(&b, "", 1);
        xh_buf_add(&b, e->msg ? e->msg : "unknown error");
        xh_buf_addn(&b, "", 1);
        xh_buf_add(&b, e->hint ? e->hint : "");
        xh_buf_addn(&b, "", 1);
        if (write(fd, b.s, b.len) < 0) {
                /* nothing more can be done from here */
        }
        xh_buf_free(&b);
}

static volatile sig_atomic_t forward_pid;

/*
 * xhybrid and init pass on what a process sent them with kill(2): to init,
 * which passes it to the command. A signal the kernel sent itself (SI_KERNEL:
 * the terminal's Ctrl-C, Ctrl-\ and hangup) went to the terminal's whole
 * foreground process group, the command included; passing it on as well
 * would deliver it twice.
 */
static volatile sig_atomic_t grace_seconds; /* see ns_job.grace */
static volatile sig_atomic_t stop_signal;   /* the first request to stop, under a grace */
static volatile sig_atomic_t grace_over;    /* the session was ended when its grace ran out */

static bool is_stop_request(int sig)
{
        return sig == SIGTERM || sig == SIGINT || sig == SIGQUIT || sig == SIGHUP;
}

static void forward_signal(int sig, siginfo_t *info, void *context)
{
        (void)context;
        if (grace_seconds > 0 && !stop_signal && is_stop_request(sig)) {
                stop_signal = sig;
                alarm((unsigned)grace_seconds);
        }
        if (info && info->si_code == SI_KERNEL)
                return;
        if (forward_pid > 0)
                kill((pid_t)forward_pid, sig);
}

static const int forwarded_signals[] = {SIGTERM, SIGINT,  SIGQUIT, SIGHUP,
                                        SIGUSR1, SIGUSR2, SIGCONT};

/* The dispositions install_forwarding() replaced, in the order of the table. */
struct saved_signals {
        struct sigaction sa[XH_ARRAY_SIZE(forwarded_signals)];
};

/* The forwarded signals as a set, to hold them while nobody can pass them on yet. */
static sigset_t forwarded_set(void)
{
        sigset_t set;
        sigemptyset(&set);
        for (size_t i = 0; i < XH_ARRAY_SIZE(forwarded_signals); i++)
                sigaddset(&set, forwarded_signals[i]);
        return set;
}

static void install_forwarding(pid_t to, struct saved_signals *saved)
{
        forward_pid = to;
        struct sigaction fwd = {.sa_sigaction = forward_signal, .sa_flags = SA_SIGINFO};
        sigemptyset(&fwd.sa_mask);
        for (size_t i = 0; i < XH_ARRAY_SIZE(forwarded_signals); i++)
                sigaction(forwarded_signals[i], &fwd, saved ? &saved->sa[i] : NULL);
}

/* SIGALRM in xhybrid: the grace after a stop request is over. */
static void end_session(int sig)
{
        (void)sig;
        grace_over = 1;
        if (forward_pid > 0)
                kill((pid_t)forward_pid, SIGKILL); /* init: the whole PID namespace ends */
}

static void restore_signals(const struct saved_signals *saved)
{
        for (size_t i = 0; i < XH_ARRAY_SIZE(forwarded_signals); i++)
                sigaction(forwarded_signals[i], &saved->sa[i], NULL);
        forward_pid = 0;
}

static void reset_signals(void)
{
        for (size_t i = 0; i < XH_ARRAY_SIZE(forwarded_signals); i++)
                signal(forwarded_signals[i], SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        sigset_t all;
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
}

struct ns_job {
        const struct xh_plan *plan;
        char *const *argv;
        char *const *envp;
        bool lock;           /* the command gets its own user + mount namespace (see the top) */
        const char *machine; /* uname(2) machine for native programs; NULL: no supervisor */
        /* The entrypoint of an image (xh_ns_run_entry): */
        bool no_ns; /* no namespaces at all: init is a plain child, a subreaper */
        /*
         * No PID namespace either (the container's /proc cannot be
         * replaced, and the supervisor finds processes there by the pids
         * its notifications give): init is a subreaper.
         */
        bool no_pidns;
        bool entry_maps; /* root: every id of ours to itself; else our own id only */
        long uid, gid;   /* >= 0: the command's ids, taken after the identity filter */
        /*
         * > 0: a request to stop (SIGTERM, SIGINT, SIGQUIT, SIGHUP; from a
         * terminal too) ends the whole session when the command has not
         * ended this many seconds later. For create: mmdebstrap waits for a
         * running apt-get or dpkg before it ends, which can take minutes.
         */
        int grace;
        bool need_range; /* not root: map a subordinate range or fail (create) */
};

int xh_ns_identity_map(const char *map, char **out)
{
        _cleanup_strv_ char **lines = xh_strv_split(map ? map : "", "\n");
        if (!lines[0])
                return -EINVAL;
        xh_buf b = {0};
        for (char **l = lines; *l; l++) {
                unsigned long first, lower, count;
                char extra;
                if (sscanf(*l, "%lu %lu %lu %c", &first, &lower, &count, &extra) != 3 ||
                    count == 0) {
                        xh_buf_free(&b);
                        return -EINVAL;
                }
                xh_buf_addf(&b, "%lu %lu %lu\n", first, first, count);
        }
        *out = xh_buf_steal(&b);
        return 0;
}

/*
 * The number of process pid in the mounted /proc: the session's own /proc
 * numbers it as init does, but doctor's probes mount none and see the
 * host's. The fdinfo of a pidfd gives the pid as its /proc numbers it.
 */
static int proc_pid(pid_t pid, pid_t *out, xh_error *err)
{
        _cleanup_close_ int fd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (fd < 0)
                return xh_fail(err, errno, "pidfd_open of the command: %s", strerror(errno));
        _cleanup_free_ char *info = xh_asprintf("/proc/self/fdinfo/%d", fd);
        _cleanup_free_ char *text = NULL;
        int r = xh_read_file(info, &text, NULL);
        if (r < 0)
                return xh_fail(err, -r, "cannot read %s: %s", info, strerror(-r));
        const char *line = strstr(text, "\nPid:");
        if (!line || sscanf(line, "\nPid: %d", out) != 1 || *out <= 0)
                return xh_fail(err, EINVAL, "%s: no pid of the command in the mounted /proc", info);
        return 0;
}

/*
 * In init: give the command's user namespace (pid's) the identity map over
 * every uid and gid the session maps. The setgroups setting is not written:
 * a new user namespace inherits it, so it stays "allow" where the session's
 * does (root, or ranges from newuidmap: apt-get drops to _apt with
 * setgroups) and "deny" where the session maps only the caller.
 */
static int write_inner_maps(pid_t pid, xh_error *err)
{
        static const char *const maps[] = {"uid_map", "gid_map"};
        pid_t in_proc;
        int r = proc_pid(pid, &in_proc, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < XH_ARRAY_SIZE(maps); i++) {
                _cleanup_free_ char *self = xh_asprintf("/proc/self/%s", maps[i]);
                _cleanup_free_ char *path = xh_asprintf("/proc/%d/%s", (int)in_proc, maps[i]);
                _cleanup_free_ char *outer = NULL;
                _cleanup_free_ char *inner = NULL;
                if ((r = xh_read_file(self, &outer, NULL)) < 0)
                        return xh_fail(err, -r, "cannot read %s: %s", self, strerror(-r));
                if ((r = xh_ns_identity_map(outer, &inner)) < 0)
                        return xh_fail(err, -r, "%s: unexpected contents '%s'", self, outer);
                /* One write: the kernel takes a map only as a whole, and only once. */
                if ((r = write_text(path, inner)) < 0) {
                        xh_fail(err, -r,
                                "cannot write the id map %s of the command's namespace: %s", path,
                                strerror(-r));
                        return xh_hint(err, -r,
                                       "the command runs in a user namespace nested in the "
                                       "session's; check that nested user namespaces are allowed "
                                       "(run 'xhybrid doctor')");
                }
        }
        return 0;
}

/*
 * In the command process: a user and mount namespace of its own, which lock
 * every mount of the session (see the top). init writes the id maps: it
 * holds the capabilities over the session's ids that the map needs. Returns
 * only when the maps are in place.
 */
static void enter_locked_namespace(int ready_fd, int go_fd, int err_fd)
{
        if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
                int e = errno;
                xh_error x = {0};
                xh_fail(&x, e,
                        "cannot give the command its own user and mount namespace, which lock "
                        "the session's mounts: %s",
                        strerror(e));
                if (e == ENOSPC || e == EPERM || e == EUSERS)
                        xh_hint(&x, e,
                                "a session needs two nested user namespaces: raise "
                                "/proc/sys/user/max_user_namespaces (run 'xhybrid doctor')");
                report_error(err_fd, e, &x);
                xh_error_clear(&x);
                _exit(XH_EXIT_ERROR);
        }
        char c;
        if (write(ready_fd, "1", 1) != 1 || read(go_fd, &c, 1) != 1)
                _exit(XH_EXIT_ERROR); /* init failed and reports why */
        close(ready_fd);
        close(go_fd);
}

/*
 * In the command process, the last step before exec: load the identity filter
 * and hand its listener to init over sock; returns when init has started the
 * supervisor.
 */
static void install_identity(int sock, int err_fd)
{
        xh_error x = {0};
        int listener = -1;
        int r = xh_identity_filter(&listener, &x);
        if (r == 0 && (r = xh_send_fd(sock, listener)) < 0)
                xh_fail(&x, -r, "cannot hand the seccomp listener to the session's init: %s",
                        strerror(-r));
        if (r < 0) {
                report_error(err_fd, -r, &x);
                xh_error_clear(&x);
                _exit(XH_EXIT_ERROR);
        }
        close(listener);
        char c;
        if (read(sock, &c, 1) != 1)
                _exit(XH_EXIT_ERROR); /* init failed and reports why */
        close(sock);
}

/* The signals a terminal or a process group sends, meant for the command: they must not end it. */
static const int supervisor_ignores[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGTERM, SIGUSR1,
                                         SIGUSR2, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU};

#define SUPERVISOR_NAME "xhybrid-uname"

/* The supervisor process: the listener is its only descriptor. */
static _Noreturn void supervisor_main(int listener, const char *machine)
{
        /* None of init's handlers: the supervisor forwards nothing. */
        reset_signals();
        for (size_t i = 0; i < XH_ARRAY_SIZE(supervisor_ignores); i++)
                signal(supervisor_ignores[i], SIG_IGN);
        prctl(PR_SET_NAME, SUPERVISOR_NAME);
        if (listener > 0)
                close_range(0, (unsigned)listener - 1, 0);
        close_range((unsigned)listener + 1, ~0U, 0);
        int e = xh_identity_serve(listener, machine);
        /*
         * Nothing left to answer: the command has ended and init is about to
         * end the session. An exit now would read as a failure to init.
         */
        while (e == 0)
                pause();
        _exit(e < XH_EXIT_ERROR ? e : XH_EXIT_ERROR);
}

/*
 * In init: receive the listener of the command's filter and start the
 * supervisor. *listener keeps init's own copy (see the top). Returns the
 * supervisor's pid, or 0 when the command could not load the filter (it
 * reported why and exits 125).
 */
static pid_t start_supervisor(const struct ns_job *job, pid_t cmd, int sock, int err_fd,
                              int *listener, struct xh_plan_state *state)
{
        xh_error e = {0};
        int r = xh_recv_fd(sock, listener);
        if (r == -EPIPE) {
                close(sock);
                return 0;
        }
        if (r < 0) {
                xh_fail(&e, -r, "cannot receive the command's seccomp listener: %s", strerror(-r));
                report_error(err_fd, -r, &e);
                kill(cmd, SIGKILL);
                _exit(XH_EXIT_ERROR);
        }
        pid_t sup = fork();
        if (sup < 0) {
                int fe = errno;
                xh_fail(&e, fe, "cannot start the uname supervisor: fork: %s", strerror(fe));
                report_error(err_fd, fe, &e);
                kill(cmd, SIGKILL);
                _exit(XH_EXIT_ERROR);
        }
        if (sup == 0) {
                /* The directories init keeps for the save are init's alone. */
                xh_plan_state_close(state);
                supervisor_main(*listener, job->machine);
        }
        if (write(sock, "1", 1) != 1) {
                /* the command is gone; its status tells */
        }
        close(sock);
        return sup;
}

/*
 * In init, when the supervisor has ended: no native program may run on
 * without it, so every process of the session is killed before the report.
 */
static _Noreturn void supervisor_died(int st, const char *machine, pid_t cmd, bool own_pidns,
                                      int err_fd)
{
        /* kill(-1) is the session's own processes only in a PID namespace of its own. */
        if (own_pidns)
                kill(-1, SIGKILL);
        else
                kill(cmd, SIGKILL);
        xh_error e = {0};
        if (WIFSIGNALED(st))
                xh_fail(&e, ECHILD,
                        "the session's uname supervisor (%s) was killed by signal %d (%s); the "
                        "session was stopped, as native programs would no longer be told they "
                        "run on %s",
                        SUPERVISOR_NAME, WTERMSIG(st), strsignal(WTERMSIG(st)), machine);
        else
                xh_fail(&e, ECHILD,
                        "the session's uname supervisor (%s) failed: %s; the session was "
                        "stopped, as native programs would no longer be told they run on %s",
                        SUPERVISOR_NAME,
                        WIFEXITED(st) && WEXITSTATUS(st) < XH_EXIT_ERROR ? strerror(WEXITSTATUS(st))
                                                                         : "unknown error",
                        machine);
        if (WIFSIGNALED(st))
                xh_hint(&e, ECHILD,
                        "a process of the session killed %s; run the command again, or with "
                        "--emulated, which needs no supervisor",
                        SUPERVISOR_NAME);
        else
                xh_hint(&e, ECHILD,
                        "run the command again, or with --emulated, which needs no supervisor; "
                        "'xhybrid doctor' checks that this host can run it");
        report_error(err_fd, ECHILD, &e);
        _exit(XH_EXIT_ERROR);
}

/*
 * The file execvp(file) would run with PATH path: file itself when it names
 * a path, else the first executable of that name in path. NULL when there is
 * none.
 */
static char *exec_candidate(const char *file, const char *path)
{
        struct stat st;
        if (strchr(file, '/'))
                return stat(file, &st) == 0 && !S_ISDIR(st.st_mode) ? xh_strdup(file) : NULL;
        return xh_path_lookup(file, path ? path : "");
}

/* The interpreter a "#!" line names, or NULL. */
static char *script_interpreter(const char *file)
{
        _cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC);
        char head[256];
        ssize_t n = fd < 0 ? -1 : read(fd, head, sizeof(head) - 1);
        if (n < 2 || head[0] != '#' || head[1] != '!')
                return NULL;
        head[n] = '\0';
        const char *s = head + 2 + strspn(head + 2, " \t");
        size_t len = strcspn(s, " \t\n");
        return len ? xh_strndup(s, len) : NULL;
}

int xh_exec_failure(const char *file, const char *path, int e, xh_error *err)
{
        if (e != ENOENT) {
                xh_fail(err, e, "%s: cannot execute: %s", file, strerror(e));
                if (e == ENOEXEC)
                        xh_hint(err, e,
                                "a foreign program without a working binfmt_misc "
                                "registration");
                return XH_EXIT_NOEXEC;
        }
        _cleanup_free_ char *found = exec_candidate(file, path);
        if (!found) {
                if (strchr(file, '/'))
                        xh_fail(err, e, "%s: No such file or directory", file);
                else
                        xh_fail(err, e, "%s: command not found", file);
                return XH_EXIT_NOTFOUND;
        }
        /*
         * The file is there, so what the kernel did not find is what it
         * needs to start it: the interpreter of its #! line, or the program
         * interpreter (dynamic loader) of an ELF file. Shells report these
         * with 126, as a file that cannot be executed.
         */
        _cleanup_free_ char *interp = script_interpreter(found);
        bool script = interp != NULL;
        struct xh_elf_info elf = {0};
        if (!script && xh_elf_inspect(found, &elf, NULL) == 0 && elf.interpreter)
                interp = xh_strdup(elf.interpreter);
        xh_elf_info_clear(&elf);
        if (!interp) {
                xh_fail(err, e, "%s: cannot execute: a file it needs is missing: %s", found,
                        strerror(e));
                return XH_EXIT_NOEXEC;
        }
        xh_fail(err, e, "%s: bad interpreter %s: %s", found, interp, strerror(e));
        if (xh_path_exists(interp))
                xh_hint(err, e,
                        "%s exists in the session but cannot be started itself: check "
                        "its own interpreter or loader",
                        interp);
        else
                xh_hint(err, e,
                        "%s is not in the session's root: install the package that "
                        "provides it, or fix the %s",
                        interp, script ? "#! line" : "program");
        return XH_EXIT_NOEXEC;
}

/* In the command process: exec, or report why not. */
static _Noreturn void exec_command(const struct ns_job *job, int err_fd)
{
        reset_signals();
        environ = (char **)job->envp;
        execvp(job->argv[0], job->argv);
        int e = errno;
        xh_error x = {0};
        int code = xh_exec_failure(job->argv[0], getenv("PATH"), e, &x);
        report_error(err_fd, e, &x);
        xh_error_clear(&x);
        _exit(code);
}

/* "exited with status 3", "was killed by signal 15 (Terminated)" */
static char *describe_status(int st)
{
        if (WIFSIGNALED(st))
                return xh_asprintf("was killed by signal %d (%s)", WTERMSIG(st),
                                   strsignal(WTERMSIG(st)));
        return xh_asprintf("exited with status %d", WEXITSTATUS(st));
}

/*
 * In init, after the command ended with status st: when the plan saves the
 * upper, every other process of the session is killed and reaped first (pid
 * 1 of a PID namespace signals them all with kill(-1)), then the upper is
 * saved. The session's mounts stay until init exits.
 */
static int finish_session(struct xh_plan_state *state, int st, xh_error *e)
{
        if (state->from_fd < 0) {
                xh_plan_state_close(state);
                return 0;
        }
        kill(-1, SIGKILL);
        for (;;) {
                if (waitpid(-1, NULL, __WALL) > 0 || errno == EINTR)
                        continue;
                break;
        }
        int r = xh_plan_finish(state, NULL, e);
        if (r < 0) {
                _cleanup_free_ char *was = describe_status(st);
                _cleanup_free_ char *why = xh_strdup(e->msg);
                xh_fail(e, -r, "the session's changes were not saved (its command %s): %s", was,
                        why);
        }
        return r;
}

/*
 * In the command process of an entrypoint: the caller's ids (BUILDER_UID,
 * --user), so that what it writes in a bound directory is the caller's.
 */
static void switch_ids(const struct ns_job *job, int err_fd)
{
        gid_t gid = job->gid >= 0 ? (gid_t)job->gid : getgid();
        uid_t uid = job->uid >= 0 ? (uid_t)job->uid : getuid();
        xh_error x = {0};
        /* setgroups is denied where only our own id is mapped: no groups to drop then. */
        if ((setgroups(0, NULL) < 0 && errno != EPERM) || setgid(gid) < 0 || setuid(uid) < 0) {
                int e = errno;
                xh_fail(&x, e, "cannot run the command as uid %u, gid %u: %s", (unsigned)uid,
                        (unsigned)gid, strerror(e));
                xh_hint(&x, e,
                        "the entrypoint must start as root to take other ids (podman run without "
                        "--user), and the ids must be mapped in the container");
                report_error(err_fd, e, &x);
                xh_error_clear(&x);
                _exit(XH_EXIT_ERROR);
        }
}

/* pid 1 of the session. */
static _Noreturn void init_main(const struct ns_job *job, int sync_fd, int err_fd, int status_fd)
{
        char c;
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (read(sync_fd, &c, 1) != 1)
                _exit(XH_EXIT_ERROR); /* the host side went away */
        /*
         * The parent-death signal only covers a parent that dies after the
         * prctl. xhybrid holds the other end of sync_fd until it is done
         * with the session: a hang-up here means it died before.
         */
        struct pollfd lifeline = {.fd = sync_fd, .events = POLLIN};
        if (poll(&lifeline, 1, 0) != 0)
                _exit(XH_EXIT_ERROR);
        close(sync_fd);
        /* Without a PID namespace of its own, init still reaps what the command leaves. */
        if (job->no_ns || job->no_pidns)
                prctl(PR_SET_CHILD_SUBREAPER, 1);

        xh_error e = {0};
        struct xh_plan_state state;
        int r = xh_plan_apply(job->plan, &state, &e);
        if (r < 0) {
                report_error(err_fd, -r, &e);
                _exit(XH_EXIT_ERROR);
        }

        /*
         * ready: the command has unshared; go: its id maps are written;
         * ident: the listener of its identity filter, and init's answer.
         */
        int ready[2] = {-1, -1}, go[2] = {-1, -1}, ident[2] = {-1, -1};
        if ((job->lock && (pipe2(ready, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0)) ||
            (job->machine && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ident) < 0)) {
                int pe = errno;
                xh_fail(&e, pe, "cannot make the pipes between init and the command: %s",
                        strerror(pe));
                report_error(err_fd, pe, &e);
                _exit(XH_EXIT_ERROR);
        }
        pid_t cmd = fork();
        if (cmd < 0) {
                int fe = errno;
                xh_fail(&e, fe, "fork: %s", strerror(fe));
                report_error(err_fd, fe, &e);
                _exit(XH_EXIT_ERROR);
        }
        if (cmd == 0) {
                close(status_fd);
                /* The directories init keeps for the save are not the command's. */
                xh_plan_state_close(&state);
                if (job->lock) {
                        close(ready[0]);
                        close(go[1]);
                        enter_locked_namespace(ready[1], go[0], err_fd);
                }
                if (job->machine) {
                        close(ident[0]);
                        install_identity(ident[1], err_fd);
                }
                if (job->uid >= 0 || job->gid >= 0)
                        switch_ids(job, err_fd);
                exec_command(job, err_fd);
        }
        if (job->lock) {
                close(ready[1]);
                close(go[0]);
                /* EOF instead of the byte: the command could not unshare and said why. */
                if (read(ready[0], &c, 1) == 1) {
                        if ((r = write_inner_maps(cmd, &e)) < 0) {
                                report_error(err_fd, -r, &e);
                                kill(cmd, SIGKILL);
                                _exit(XH_EXIT_ERROR);
                        }
                        if (write(go[1], "1", 1) != 1)
                                _exit(XH_EXIT_ERROR);
                }
                close(ready[0]);
                close(go[1]);
        }
        pid_t sup = 0;
        int listener = -1; /* init's copy, open until init exits */
        if (job->machine) {
                close(ident[1]);
                sup = start_supervisor(job, cmd, ident[0], err_fd, &listener, &state);
        }
        /* err_fd stays open: a failure of the supervisor is reported on it. */
        install_forwarding(cmd, NULL);
        /* What came while the session was set up (see ns_run) goes to the command now. */
        sigset_t held = forwarded_set();
        sigprocmask(SIG_UNBLOCK, &held, NULL);
        for (;;) {
                int st;
                pid_t w = waitpid(-1, &st, 0);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0)
                        _exit(XH_EXIT_ERROR);
                if (sup > 0 && w == sup)
                        supervisor_died(st, job->machine, cmd, !job->no_pidns && !job->no_ns,
                                        err_fd);
                if (w == cmd) {
                        if ((r = finish_session(&state, st, &e)) < 0) {
                                report_error(err_fd, -r, &e);
                                _exit(XH_EXIT_ERROR);
                        }
                        if (write(status_fd, &st, sizeof(st)) != (ssize_t)sizeof(st))
                                _exit(XH_EXIT_ERROR);
                        _exit(0);
                }
        }
}

/* After the session: no grace alarm left behind, SIGALRM as it was. */
static void end_grace(const struct ns_job *job, const struct sigaction *old_alarm)
{
        if (job->grace <= 0)
                return;
        grace_seconds = 0;
        alarm(0);
        sigaction(SIGALRM, old_alarm, NULL);
}

/*
 * Run a job in new namespaces: 0 when the command ran, with *status its wait
 * status. A setup failure inside returns its -errno and message (*status
 * -1); a command that could not be executed returns the exec's -errno with
 * its message and *status its 126/127 exit.
 */
static int ns_run(const struct ns_job *job, int *status, xh_error *err)
{
        *status = -1;
        int sync_p[2], err_p[2], status_p[2];
        if (pipe2(sync_p, O_CLOEXEC) < 0 || pipe2(err_p, O_CLOEXEC) < 0 ||
            pipe2(status_p, O_CLOEXEC) < 0)
                return xh_fail(err, errno, "pipe: %s", strerror(errno));

        /*
         * The forwarded signals are held from before the clone: init starts
         * with them blocked and takes them once it can pass them to the
         * command, and xhybrid takes its own once its handlers are in place.
         * A signal sent at any time reaches the command; none ends xhybrid
         * and leaves the session to init.
         */
        sigset_t hold = forwarded_set(), old_mask;
        sigprocmask(SIG_BLOCK, &hold, &old_mask);
        fflush(NULL);
        unsigned long flags = job->no_ns      ? 0
                              : job->no_pidns ? CLONE_NEWUSER | CLONE_NEWNS
                                              : CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID;
        pid_t pid = raw_clone(flags);
        if (pid < 0) {
                sigprocmask(SIG_SETMASK, &old_mask, NULL);
                int e = errno;
                xh_fail(err, e, "cannot create the session's namespaces: %s", strerror(e));
                if (e == EPERM || e == ENOSPC || e == EINVAL)
                        xh_hint(err, e,
                                "user namespaces are disabled or exhausted here "
                                "(see /proc/sys/user/max_user_namespaces; run 'xhybrid doctor')");
                return -e;
        }
        if (pid == 0) {
                close(sync_p[1]);
                close(err_p[0]);
                close(status_p[0]);
                init_main(job, sync_p[0], err_p[1], status_p[1]);
        }
        /* Forward termination signals to init, which passes them to the command. */
        struct saved_signals saved;
        struct sigaction old_alarm;
        install_forwarding(pid, &saved);
        stop_signal = 0;
        grace_over = 0;
        if (job->grace > 0) {
                struct sigaction alarm_sa = {.sa_handler = end_session};
                sigemptyset(&alarm_sa.sa_mask);
                sigaction(SIGALRM, &alarm_sa, &old_alarm);
                grace_seconds = job->grace;
        }
        sigprocmask(SIG_SETMASK, &old_mask, NULL);
        close(sync_p[0]);
        close(err_p[1]);
        close(status_p[1]);
        /* Open for as long as the session runs: init's lifeline (see init_main). */
        _cleanup_close_ int lifeline = sync_p[1];

        int r = job->no_ns        ? 0
                : job->entry_maps ? write_entry_maps(pid, err)
                                  : write_id_maps(pid, job->need_range, err);
        if (r == 0 && write(lifeline, "1", 1) != 1)
                r = xh_fail(err, errno, "cannot start the session: %s", strerror(errno));
        if (r < 0) {
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                end_grace(job, &old_alarm);
                restore_signals(&saved);
                close(err_p[0]);
                close(status_p[0]);
                return r;
        }

        xh_buf msg = {0};
        xh_read_fd(err_p[0], &msg);
        close(err_p[0]);
        int cmd_status = 0;
        ssize_t got;
        do
                got = read(status_p[0], &cmd_status, sizeof(cmd_status));
        while (got < 0 && errno == EINTR);
        close(status_p[0]);

        int init_status = 0;
        while (waitpid(pid, &init_status, 0) < 0 && errno == EINTR)
                ;
        end_grace(job, &old_alarm);
        restore_signals(&saved);
        if (grace_over) {
                int sig = stop_signal;
                xh_buf_free(&msg);
                xh_fail(err, EINTR,
                        "stopped: the command had not ended %d s after SIG%s (%s), so its "
                        "whole session was killed",
                        job->grace, sigabbrev_np(sig) ? sigabbrev_np(sig) : "?", strsignal(sig));
                *status = -1;
                return -EINTR;
        }

        int failure = 0;
        if (msg.len > 0) {
                /* ERRNO\0msg\0hint\0 */
                const char *end = msg.s + msg.len;
                const char *text = msg.s + strlen(msg.s) + 1;
                const char *hint = text < end ? text + strlen(text) + 1 : end;
                failure = atoi(msg.s) > 0 ? atoi(msg.s) : EIO;
                xh_fail(err, failure, "%s", text < end ? text : "unknown error");
                if (hint < end && *hint)
                        xh_hint(err, failure, "%s", hint);
        }
        xh_buf_free(&msg);

        if (got == (ssize_t)sizeof(cmd_status)) {
                *status = cmd_status;
                return -failure;
        }
        if (failure)
                return -failure;
        /* init itself failed (setup error) or was killed. */
        if (err && !err->msg && WIFSIGNALED(init_status)) {
                xh_fail(err, EIO,
                        "the session's init process was killed (%s) and the command with it",
                        strsignal(WTERMSIG(init_status)));
                xh_hint(err, EIO,
                        "something outside xhybrid killed it (kill -9, the out-of-memory "
                        "killer): start it again");
        } else if (err && !err->msg) {
                xh_fail(err, EIO, "the session ended abnormally (no status)");
        }
        return -EIO;
}

int xh_binfmt_rule_for(const struct xh_profile *p, bool keep_argv0, const char *interpreter,
                       char **rule, struct xh_binfmt_emulator *emu, xh_error *err)
{
        *rule = NULL;
        const struct xh_arch *arch = xh_arch_by_debian(p->arch);
        if (!arch)
                return xh_fail(err, EINVAL, "profile '%s': unknown arch '%s'", p->name, p->arch);
        _cleanup_free_ char *qemu = NULL;
        int r = xh_qemu_find(p->qemu, &qemu, err);
        if (r < 0 || (r = xh_qemu_check(qemu, err)) < 0)
                return r;
        /*
         * Debian's qemu-user-static keeps argv[0] (binfmt flag P) when it is
         * started under the name ARCH-binfmt-P; use that name when it leads to
         * the same program.
         */
        _cleanup_free_ char *wrapper =
                xh_asprintf("/usr/libexec/qemu-binfmt/%s-binfmt-P", arch->qemu);
        char real_w[PATH_MAX], real_q[PATH_MAX];
        bool keeps = keep_argv0 && realpath(wrapper, real_w) && realpath(qemu, real_q) &&
                     strcmp(real_w, real_q) == 0;
        const char *interp = interpreter ? interpreter : keeps ? wrapper : qemu;
        *rule = xh_binfmt_rule(arch, "xhybrid", interp, keeps ? "POF" : "OF");
        if (!*rule) {
                xh_fail(err, EINVAL,
                        "cannot register %s as the binfmt_misc interpreter: the path "
                        "has a ':' in it",
                        interp);
                return xh_hint(err, EINVAL, "use a store whose path has no ':' in it");
        }
        if (emu) {
                emu->path = xh_strdup(qemu);
                emu->keep_argv0 = keeps;
        }
        return 0;
}

int xh_ns_exec_binfmt(const struct xh_profile *p, char *const *argv, char *const *envp, int *status,
                      xh_error *err)
{
        _cleanup_free_ char *rule = NULL;
        int r = xh_binfmt_rule_for(p, false, NULL, &rule, NULL, err);
        if (r < 0)
                return r;
        struct xh_plan plan;
        if ((r = xh_plan_host_binfmt(rule, &plan, err)) < 0)
                return r;
        /* mmdebstrap works on the host's own tree: there is nothing to lock. */
        struct ns_job job = {.plan = &plan,
                             .argv = argv,
                             .envp = envp,
                             .lock = false,
                             .grace = XH_STOP_GRACE,
                             .need_range = true,
                             .uid = -1,
                             .gid = -1};
        r = ns_run(&job, status, err);
        xh_plan_free(&plan);
        return r;
}

int xh_ns_run_plan(const struct xh_plan *plan, char *const *argv, char *const *envp,
                   const char *machine, int *status, xh_error *err)
{
        struct ns_job job = {.plan = plan,
                             .argv = argv,
                             .envp = envp,
                             .lock = true,
                             .machine = machine,
                             .uid = -1,
                             .gid = -1};
        return ns_run(&job, status, err);
}

int xh_ns_run_entry(const struct xh_plan *plan, char *const *argv, char *const *envp,
                    const char *machine, long uid, long gid, int *status, xh_error *err)
{
        struct xh_plan none = {0};
        struct ns_job job = {
                .plan = plan ? plan : &none,
                .argv = argv,
                .envp = envp,
                .machine = machine,
                .no_ns = plan == NULL,
                .no_pidns = true,
                .entry_maps = true,
                .uid = uid,
                .gid = gid,
        };
        return ns_run(&job, status, err);
}
