/* SPDX-License-Identifier: MIT */
/*
 * The target's identity for native programs. In a hybrid session the x86-64
 * programs of the toolchain layer run beside the target's emulated ones; a
 * native program that asks the kernel which machine it runs on would learn
 * x86_64 where an emulated one learns aarch64. So the command of a hybrid
 * session runs under a seccomp filter that turns uname(2), and nothing else,
 * into a user notification, and a supervisor process of the session answers
 * each one: it writes the answer into the caller's buffer and lets the call
 * return 0. The answer is what the kernel gives the caller (sysname,
 * nodename and domainname of its UTS namespace, release as its personality
 * has it, version), with the target's machine.
 *
 * Every other system call stays with the kernel: the filter allows it without
 * looking at its arguments, so the kernel caches that decision per call
 * number and never runs the filter for it again. Only uname(2) pays.
 *
 * Emulated programs go through the filter too: qemu-user emulates the guest's
 * uname(2) with the host's and then writes the guest's machine over the
 * answer, so it receives this answer and keeps its own machine.
 *
 * What the answer leaves alone: the personality's PER_LINUX32 (the kernel
 * would answer i686 here, an arm64 kernel armv8l; qemu answers its own
 * machine whatever the personality, and so does the supervisor).
 */
#include "session.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>

/*
 * Linux 6.6 and later: the caller hands its CPU to the supervisor, which
 * answers at once, instead of waking it up elsewhere (a shorter round trip).
 */
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS      SECCOMP_IOW(4, __u64)
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

/* The kernel's struct new_utsname, which uname(2) fills: six fields of 65 bytes. */
_Static_assert(sizeof(struct utsname) == 6 * 65, "struct utsname is not the kernel's");

int xh_identity_answer(const struct utsname *kernel, const char *machine, struct utsname *out)
{
        if (!machine || !*machine || strlen(machine) >= sizeof(out->machine))
                return -EINVAL;
        *out = *kernel;
        memset(out->machine, 0, sizeof(out->machine));
        memcpy(out->machine, machine, strlen(machine));
        return 0;
}

/* The ABIs of the host whose uname(2) the filter turns into a notification. */
static const uint32_t filter_arches[] = {
        SCMP_ARCH_NATIVE,
#if defined(__x86_64__)
        SCMP_ARCH_X86, /* 32-bit programs (int 0x80): the same struct */
        SCMP_ARCH_X32,
#endif
};

static int filter_error(xh_error *err, int e, const char *what)
{
        xh_fail(err, e,
                "cannot install the seccomp filter that gives native programs the target's "
                "machine in uname(2) (%s): %s",
                what, strerror(e));
        if (e == EBUSY)
                return xh_hint(err, e,
                               "another seccomp supervisor already watches this process (a "
                               "container engine, or a hybrid session around this one): the "
                               "kernel allows one; run with --emulated, which needs none");
        return xh_hint(err, e,
                       "hybrid sessions need seccomp user notification: Linux 5.5 or later with "
                       "seccomp filters that no container profile or security module forbids; "
                       "run with --emulated, which needs none, and see 'xhybrid doctor'");
}

int xh_identity_filter(int *listener, xh_error *err)
{
        *listener = -1;
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx)
                return filter_error(err, ENOMEM, "seccomp_init");
        int r = 0;
        const char *what = "seccomp_attr_set";
        /*
         * No no_new_privs: the command holds CAP_SYS_ADMIN in its own user
         * namespace, which is enough to load a filter, and with no_new_privs
         * setuid programs and file capabilities would stop working in the
         * session. The ABIs not named below are allowed, not killed. The
         * kernel's real errno comes back instead of ECANCELED. No speculative
         * store bypass mitigation forced on every native program.
         */
        if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0 ||
            (r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW)) < 0 ||
            (r = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1)) < 0 ||
            (r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1)) < 0)
                goto out;
        what = "seccomp_arch_add";
        for (size_t i = 1; i < XH_ARRAY_SIZE(filter_arches); i++)
                if ((r = seccomp_arch_add(ctx, filter_arches[i])) < 0 && r != -EEXIST)
                        goto out;
        what = "seccomp_rule_add uname";
        if ((r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(uname), 0)) < 0)
                goto out;
        what = "seccomp_load";
        errno = 0;
        if ((r = seccomp_load(ctx)) < 0) {
                /* libseccomp turns errors it does not know (EBUSY, EPERM) into EFAULT. */
                if (r == -EFAULT && errno > 0)
                        r = -errno;
                goto out;
        }
        what = "seccomp_notify_fd";
        if ((r = seccomp_notify_fd(ctx)) < 0)
                goto out;
        *listener = r;
        r = 0;
out:
        seccomp_release(ctx);
        return r < 0 ? filter_error(err, -r, what) : 0;
}

struct supervisor {
        int listener;
        const char *machine;
        struct stat uts; /* the supervisor's own UTS namespace */
        struct {
                uint32_t arch; /* AUDIT_ARCH_* as seccomp_data has it */
                int nr;
        } calls[XH_ARRAY_SIZE(filter_arches)];
        size_t ncalls;
};

static bool is_uname(const struct supervisor *s, const struct seccomp_data *d)
{
        for (size_t i = 0; i < s->ncalls; i++)
                if (s->calls[i].arch == d->arch && s->calls[i].nr == d->nr)
                        return true;
        return false;
}

/* The personality of process directory pd (hexadecimal in /proc/PID/personality). */
static int read_personality(int pd, unsigned long *persona)
{
        _cleanup_close_ int fd = openat(pd, "personality", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        char text[32];
        ssize_t n = read(fd, text, sizeof(text) - 1);
        if (n <= 0)
                return n < 0 ? -errno : -EIO;
        text[n] = '\0';
        char *end;
        *persona = strtoul(text, &end, 16);
        return end == text ? -EIO : 0;
}

/*
 * uname(2) as the caller of process directory pd would get it from the kernel,
 * when it lives in another UTS namespace or has the UNAME26 personality: a
 * helper process joins that namespace, takes that personality and asks.
 */
static int uname_as(int pd, bool other_ns, unsigned long persona, struct utsname *u)
{
        struct {
                int err;
                struct utsname u;
        } msg;
        _cleanup_close_ int ns = -1;
        if (other_ns && (ns = openat(pd, "ns/uts", O_RDONLY | O_CLOEXEC)) < 0)
                return -errno;
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        pid_t pid = fork();
        if (pid < 0) {
                int e = errno;
                close(p[0]);
                close(p[1]);
                return -e;
        }
        if (pid == 0) {
                msg.err = 0;
                if ((ns >= 0 && setns(ns, CLONE_NEWUTS) < 0) || personality(persona) == -1 ||
                    uname(&msg.u) < 0)
                        msg.err = errno;
                _exit(write(p[1], &msg, sizeof(msg)) == (ssize_t)sizeof(msg) ? 0 : 1);
        }
        close(p[1]);
        ssize_t n;
        do
                n = read(p[0], &msg, sizeof(msg));
        while (n < 0 && errno == EINTR);
        int e = n < 0 ? errno : 0;
        close(p[0]);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
        if (n != (ssize_t)sizeof(msg))
                return -(e ? e : EIO);
        if (msg.err)
                return -msg.err;
        *u = msg.u;
        return 0;
}

/* What the kernel would answer the caller of process directory pd. */
static int caller_uname(const struct supervisor *s, int pd, struct utsname *u)
{
        struct stat ns;
        unsigned long persona = 0;
        int r;
        if (fstatat(pd, "ns/uts", &ns, 0) < 0)
                return -errno;
        if ((r = read_personality(pd, &persona)) < 0)
                return r;
        bool other_ns = ns.st_dev != s->uts.st_dev || ns.st_ino != s->uts.st_ino;
        if (other_ns || (persona & UNAME26))
                return uname_as(pd, other_ns, persona, u);
        return uname(u) < 0 ? -errno : 0;
}

/*
 * Answer one uname(2): 0 when the answer is in the caller's buffer, or the
 * -errno that the call returns to the caller. *gone: the caller no longer
 * waits (it was killed meanwhile), there is nothing to answer.
 */
static int answer(const struct supervisor *s, const struct seccomp_notif *req, bool *gone)
{
        _cleanup_free_ char *dir = xh_asprintf("/proc/%u", req->pid);
        _cleanup_close_ int pd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int mem = pd < 0 ? -1 : openat(pd, "mem", O_WRONLY | O_CLOEXEC);
        int r = mem < 0 ? -errno : 0;
        struct utsname kernel, out;
        if (r == 0)
                r = caller_uname(s, pd, &kernel);
        /*
         * The pid may have been reused by another process since the
         * notification came; the files opened above are the caller's only if
         * the notification is still valid now (seccomp_unotify(2)).
         */
        *gone = seccomp_notify_id_valid(s->listener, req->id) < 0;
        if (*gone || r < 0)
                return r;
        if ((r = xh_identity_answer(&kernel, s->machine, &out)) < 0)
                return r;
        /* An address the caller cannot write makes its uname(2) fail as the kernel's would. */
        if (pwrite(mem, &out, sizeof(out), (off_t)req->data.args[0]) != (ssize_t)sizeof(out))
                return -EFAULT;
        return 0;
}

int xh_identity_serve(int listener, const char *machine)
{
        struct supervisor s = {.listener = listener, .machine = machine};
        struct utsname probe = {{0}};
        if (xh_identity_answer(&probe, machine, &probe) < 0)
                return EINVAL;
        if (stat("/proc/self/ns/uts", &s.uts) < 0)
                return errno;
        for (size_t i = 0; i < XH_ARRAY_SIZE(filter_arches); i++) {
                uint32_t arch = filter_arches[i] == SCMP_ARCH_NATIVE ? seccomp_arch_native()
                                                                     : filter_arches[i];
                int nr = seccomp_syscall_resolve_name_arch(arch, "uname");
                if (nr >= 0)
                        s.calls[s.ncalls++] = (typeof(s.calls[0])){arch, nr};
        }

        /* Older kernels refuse it (EINVAL): only the round trip is slower there. */
        ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
        struct seccomp_notif_sizes sizes;
        if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
                return errno;
        struct seccomp_notif *req = NULL;
        struct seccomp_notif_resp *resp = NULL;
        int r = seccomp_notify_alloc(&req, &resp);
        if (r < 0)
                return -r;
        for (;;) {
                /*
                 * POLLHUP alone: no process is left under the filter, and
                 * none can come back, as only such a process can start one.
                 */
                struct pollfd p = {.fd = listener, .events = POLLIN};
                if (poll(&p, 1, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        r = errno;
                        break;
                }
                if (!(p.revents & POLLIN)) {
                        r = p.revents & POLLHUP ? 0 : EBADF;
                        break;
                }
                /* The kernel refuses a request buffer that is not zeroed. */
                memset(req, 0, sizes.seccomp_notif);
                if (seccomp_notify_receive(listener, req) < 0) {
                        /* The caller was killed before it could be received, or a signal. */
                        if (errno == ENOENT || errno == EINTR)
                                continue;
                        r = errno;
                        break;
                }
                memset(resp, 0, sizes.seccomp_notif_resp);
                resp->id = req->id;
                bool gone = false;
                if (is_uname(&s, &req->data))
                        resp->error = answer(&s, req, &gone);
                else /* not asked for by the filter: the kernel runs it as usual */
                        resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
                /* ENOENT: the caller was killed while it waited; nothing more to do. */
                if (!gone && seccomp_notify_respond(listener, resp) < 0 && errno != ENOENT) {
                        r = errno;
                        break;
                }
        }
        seccomp_notify_free(req, resp);
        return r;
}
