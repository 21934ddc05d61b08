/* SPDX-License-Identifier: MIT */
/*
 * xhybrid-shim: the static multicall binary that the shim layer of a hybrid
 * session puts at the paths of the target's build tools. Silent unless XHYBRID_TRACE is set (to 1
 * for stderr, or to a file to append to). In a session with an exec trace
 * (run --trace) it also runs each program as a child, waits for it and
 * appends its record to the trace, and, started as xhybrid-binfmt, it is
 * the session's binfmt_misc interpreter that runs the emulator that way.
 */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

__attribute__((format(printf, 2, 3))) static _Noreturn void die(int code, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "xhybrid-shim: ");
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        exit(code);
}

/*
 * The exec trace (run --trace). The program runs as a child so that its wall
 * time and status can be recorded; this process stands in for it: signals
 * a process sends it (kill, make stopping its jobs) are passed on, those of
 * a terminal reach the program through its process group, and it exits as
 * the program did.
 */
static volatile pid_t traced_child;

static void forward_signal(int sig, siginfo_t *si, void *uc)
{
        (void)uc;
        if (si->si_code != SI_KERNEL && traced_child > 0)
                kill(traced_child, sig);
}

static _Noreturn void exit_like(int status)
{
        if (WIFSIGNALED(status)) {
                int sig = WTERMSIG(status);
                /* The program's core (if any) is its own. */
                struct rlimit no_core = {0, 0};
                setrlimit(RLIMIT_CORE, &no_core);
                signal(sig, SIG_DFL);
                sigset_t set;
                sigemptyset(&set);
                sigaddset(&set, sig);
                sigprocmask(SIG_UNBLOCK, &set, NULL);
                raise(sig);
                _exit(128 + sig);
        }
        _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 125);
}

/* One record, one write of one line below PIPE_BUF to a file opened O_APPEND. */
static void trace_record(const char *file, const struct xh_trace_exec *e)
{
        _cleanup_free_ char *line = xh_trace_format_exec(e);
        int fd = open(file, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return; /* the build must not see the trace's problems */
        if (write(fd, line, strlen(line)) < 0) {
                /* likewise */
        }
        close(fd);
}

static double seconds(const struct timespec *t)
{
        return (double)t->tv_sec + (double)t->tv_nsec / 1e9;
}

static _Noreturn void run_traced(const char *file, const char *name, const char *path,
                                 char *const argv[], const char *shown,
                                 enum xh_trace_strategy strategy, const char *why)
{
        static const int forwarded[] = {SIGTERM, SIGINT,  SIGQUIT, SIGHUP,
                                        SIGUSR1, SIGUSR2, SIGCONT};
        sigset_t all, old;
        sigfillset(&all);
        sigprocmask(SIG_SETMASK, &all, &old);
        struct timespec t0, m0, m1;
        clock_gettime(CLOCK_REALTIME, &t0);
        clock_gettime(CLOCK_MONOTONIC, &m0);
        pid_t pid = fork();
        if (pid == 0 || pid < 0) {
                /* The child, or no child to be had: the program runs untraced. */
                sigprocmask(SIG_SETMASK, &old, NULL);
                execv(path, argv);
                int e = errno;
                fprintf(stderr, "%s: cannot execute %s: %s\n", name, path, strerror(e));
                _exit(e == ENOENT ? 127 : 126);
        }
        traced_child = pid;
        struct sigaction sa = {.sa_sigaction = forward_signal, .sa_flags = SA_SIGINFO | SA_RESTART};
        sigfillset(&sa.sa_mask);
        for (size_t i = 0; i < XH_ARRAY_SIZE(forwarded); i++)
                sigaction(forwarded[i], &sa, NULL);
        sigprocmask(SIG_SETMASK, &old, NULL);
        int status = 0;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        status = 125 << 8;
                        break;
                }
        clock_gettime(CLOCK_MONOTONIC, &m1);
        struct xh_trace_exec e = {
                .start = seconds(&t0),
                .pid = pid,
                .strategy = strategy,
                .wall = seconds(&m1) - seconds(&m0),
                .status = status,
                .path = (char *)shown,
                .why = (char *)why,
        };
        trace_record(file, &e);
        exit_like(status);
}

/*
 * The binfmt_misc interpreter of a tracing session: the kernel starts it
 * for every program of the target's machine with argv { this, FILE,
 * [ARGV0 with the P flag,] ARGS... }, and it runs the emulator as the
 * session's binfmt entry would have: the emulator gets argv[0] (-0) when the
 * entry keeps it. A program the shim chose to emulate (its original under
 * /.xhybrid/orig) is recorded as a fallback, with the reason the shim left in
 * the environment.
 */
static _Noreturn void binfmt_main(int argc, char **argv)
{
        _cleanup_free_ char *text = NULL;
        struct xh_shim_config conf;
        xh_error err = {0};
        if (xh_read_file(XH_SHIM_CONF, &text, NULL) < 0)
                die(126,
                    "cannot run %s: %s is missing (a traced session runs "
                    "the emulator from its own directory; a chroot of its own has none: run "
                    "without --trace)",
                    argc > 1 ? argv[1] : "a program", XH_SHIM_CONF);
        if (xh_shim_config_parse(text, &conf, &err) < 0)
                die(126, "%s", err.msg);
        bool keep_argv0 = conf.keep_argv0 && strcmp(conf.keep_argv0, "yes") == 0;
        if (!conf.trace || !conf.emulator || argc < (keep_argv0 ? 3 : 2))
                die(126, XH_BINFMT_NAME ": only binfmt_misc starts this, in a traced session");
        /*
         * With the O flag the kernel opened the program on a new descriptor
         * for its interpreter; the emulator started from here opens it by its
         * path, and the program must not inherit the descriptor.
         */
        errno = 0;
        unsigned long execfd = getauxval(AT_EXECFD);
        if (errno == 0)
                close((int)execfd);
        const char *file = argv[1];
        char **qargv = xh_malloc(sizeof(char *));
        xh_strv_push(&qargv, conf.emulator);
        if (keep_argv0) {
                xh_strv_push(&qargv, "-0");
                xh_strv_push(&qargv, argv[2]);
        }
        xh_strv_push(&qargv, file);
        for (int i = keep_argv0 ? 3 : 2; i < argc; i++)
                xh_strv_push(&qargv, argv[i]);
        const char *env_why = getenv(XH_TRACE_WHY_ENV);
        _cleanup_free_ char *why = xh_strdup(env_why ? env_why : "");
        unsetenv(XH_TRACE_WHY_ENV);
        size_t ol = strlen(XH_ORIG_DIR);
        bool fallback = strncmp(file, XH_ORIG_DIR "/", ol + 1) == 0;
        if (fallback && !*why) {
                free(why);
                why = xh_strdup("emulated (the target's original)");
        }
        run_traced(conf.trace, XH_BINFMT_NAME, conf.emulator, qargv, fallback ? file + ol : file,
                   fallback ? XH_TRACE_FALLBACK : XH_TRACE_EMULATED, why);
}

static void trace(const char *exe, const struct xh_shim_exec *x)
{
        const char *t = getenv("XHYBRID_TRACE");
        if (!t || !*t || strcmp(t, "0") == 0)
                return;
        xh_buf b = {0};
        xh_buf_addf(&b, "xhybrid-shim[%d]: %s -> %s %s:", (int)getpid(), exe, x->why, x->path);
        for (char **a = x->argv; *a; a++)
                xh_buf_addf(&b, " %s", *a);
        xh_buf_add(&b, "\n");
        int fd = strcmp(t, "1") == 0 ? dup(STDERR_FILENO)
                                     : open(t, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0) {
                if (write(fd, b.s, b.len) < 0) {
                        /* tracing is best effort */
                }
                close(fd);
        }
        xh_buf_free(&b);
}

/*
 * Run a target program (emulated) and return what it writes on fd (1 or 2),
 * or NULL with the reason in err when it cannot run or fails: its output is
 * then no answer about the target.
 */
static char *capture(const char *path, char *const argv[], int fd, xh_error *err)
{
        char *const envp[] = {"PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C", NULL};
        struct xh_spawn s = {
                .path = path, .argv = argv, .envp = envp, .capture_fd = fd, .quiet = true};
        char *out = NULL;
        if (xh_spawn(&s, &out, NULL, err) < 0) {
                free(out);
                return NULL;
        }
        return out;
}

static void ask_target(const char *exe, enum xh_shim_strategy strategy, struct xh_shim_facts *f)
{
        _cleanup_free_ char *orig = xh_asprintf("%s%s", XH_ORIG_DIR, exe);
        xh_error err = {0};
        if (strategy == XH_SHIM_PKGCONFIG) {
                char *const argv[] = {"pkg-config", "--dump-personality", NULL};
                char *const pc_argv[] = {"pkg-config", "--variable", "pc_path", "pkg-config", NULL};
                _cleanup_free_ char *dump = capture(orig, argv, STDOUT_FILENO, &err);
                _cleanup_free_ char *pc_path =
                        dump ? capture(orig, pc_argv, STDOUT_FILENO, &err) : NULL;
                if (!dump || !pc_path || !*pc_path)
                        die(125, "cannot get the search path of the target's pkg-config %s: %s",
                            orig, err.msg ? err.msg : "empty answer");
                /* The compiled-in path; pkgconf skips the dirs that do not exist. */
                pc_path[strcspn(pc_path, "\n")] = '\0';
                f->pc_path = steal_pointer(&pc_path);
                f->pc_libs = xh_shim_parse_personality(dump, "SystemLibraryPaths");
                f->pc_incs = xh_shim_parse_personality(dump, "SystemIncludePaths");
                return;
        }
        char *const c_argv[] = {"gcc", "-E", "-v", "-x", "c", "/dev/null", NULL};
        char *const cxx_argv[] = {"gcc", "-E", "-v", "-x", "c++", "/dev/null", NULL};
        _cleanup_free_ char *c = capture(orig, c_argv, STDERR_FILENO, &err);
        if (!c)
                die(125, "cannot get the include dirs of the target compiler %s: %s", orig,
                    err.msg);
        f->inc_c = xh_shim_parse_incdirs(c);
        if (!f->inc_c[0])
                die(125,
                    "cannot get the include dirs of the target compiler %s (run it with -E -v)",
                    orig);
        /* No C++ compiler in the target: C++ compiles fail as they would there. */
        _cleanup_free_ char *cxx = capture(orig, cxx_argv, STDERR_FILENO, NULL);
        f->inc_cxx = xh_shim_parse_incdirs(cxx ? cxx : "");
        if (!f->inc_cxx[0]) {
                xh_strv_free(f->inc_cxx);
                f->inc_cxx = xh_strv_copy(f->inc_c);
        }
}

/* Read facts kept by an earlier run; false when there are none. */
static bool read_facts(const char *path, struct xh_shim_facts *f)
{
        _cleanup_free_ char *text = NULL;
        *f = (struct xh_shim_facts){0};
        if (xh_read_file(path, &text, NULL) < 0)
                return false;
        return xh_shim_facts_parse(text, f);
}

/*
 * Facts about the target program behind exe, asked once and kept in a file
 * (a temporary file, then renamed). The profile's cache in the store
 * (XH_CACHE_DIR) outlives the session, and is writable only in a session
 * with the persistent upper: the facts describe the merged root, which that
 * session can change for every later one anyway. A throwaway session reads
 * the profile's cache but keeps what it asks in its own run directory, so it
 * leaves nothing behind that later sessions would trust.
 */
static void load_facts(const char *exe, enum xh_shim_strategy strategy, struct xh_shim_facts *f)
{
        /* The key changes with the program and the directories whose contents the answers list. */
        xh_buf key = {0};
        static const char *const watched[] = {"/usr/include",       "/usr/include/c++",
                                              "/usr/local/include", "/usr/lib/gcc",
                                              "/usr/lib/pkgconfig", "/usr/share/pkgconfig"};
        _cleanup_free_ char *orig = xh_asprintf("%s%s", XH_ORIG_DIR, exe);
        struct stat st;
        xh_buf_add(&key, exe);
        if (stat(orig, &st) == 0)
                xh_buf_addf(&key, ":%llu:%lld:%lld", (unsigned long long)st.st_ino,
                            (long long)st.st_size, (long long)st.st_mtime);
        for (size_t i = 0; i < sizeof(watched) / sizeof(watched[0]); i++)
                if (stat(watched[i], &st) == 0)
                        xh_buf_addf(&key, ":%lld.%ld", (long long)st.st_mtim.tv_sec,
                                    st.st_mtim.tv_nsec);
        unsigned long long hash = xh_hash64(key.s);
        xh_buf_free(&key);
        _cleanup_free_ char *kept = xh_asprintf("%s/facts-%016llx", XH_CACHE_DIR, hash);
        _cleanup_free_ char *own = xh_asprintf("%s/facts-%016llx", XH_RUN_DIR, hash);
        if (read_facts(kept, f) || read_facts(own, f))
                return;
        ask_target(exe, strategy, f);
        _cleanup_free_ char *text = xh_shim_facts_format(f);
        const char *cache = access(XH_CACHE_DIR, W_OK) == 0 ? kept : own;
        _cleanup_free_ char *tmp = xh_asprintf("%s.%d", cache, (int)getpid());
        if (xh_write_file(tmp, text, strlen(text), 0644) == 0 && rename(tmp, cache) < 0)
                unlink(tmp);
}

/*
 * What the key of a probe's answer holds besides the arguments and the
 * environment: the target's program (its inode, size and modification time:
 * a file replaced or touched is another), the dpkg status of the merged root
 * (its inode, size and time: any package operation, a compiler upgrade
 * among them, rewrites it), and the modification times of the gcc
 * directories in which a specs file or a part of the driver would appear.
 */
static char **probe_ids(const char *exe, const struct xh_shim_config *c)
{
        _cleanup_free_ char *orig = xh_asprintf("%s%s", XH_ORIG_DIR, exe);
        _cleanup_free_ char *libexec = NULL;
        if (c->gcc_libdir && strncmp(c->gcc_libdir, "/usr/lib/", 9) == 0)
                libexec = xh_asprintf("/usr/libexec/%s", c->gcc_libdir + 9);
        const struct {
                const char *name, *path;
        } files[] = {
                {"program", orig},
                {"dpkg", "/var/lib/dpkg/status"},
                {"gcc_libdir", c->gcc_libdir},
                {"gcc_libexecdir", libexec},
        };
        char **ids = xh_malloc(sizeof(char *));
        for (size_t i = 0; i < XH_ARRAY_SIZE(files); i++) {
                struct stat st;
                if (!files[i].path || stat(files[i].path, &st) < 0) {
                        xh_strv_pushf(&ids, "%s=none", files[i].name);
                        continue;
                }
                /*
                 * A merged directory's inode number is given out as the
                 * session looks it up (layers on several file systems): its
                 * time alone, which a new entry changes.
                 */
                if (S_ISDIR(st.st_mode))
                        xh_strv_pushf(&ids, "%s=%s:%lld.%09ld", files[i].name, files[i].path,
                                      (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
                else
                        xh_strv_pushf(&ids, "%s=%s:%llu:%lld:%lld.%09ld", files[i].name,
                                      files[i].path, (unsigned long long)st.st_ino,
                                      (long long)st.st_size, (long long)st.st_mtim.tv_sec,
                                      st.st_mtim.tv_nsec);
        }
        return ids;
}

static void write_all(int fd, const char *s, size_t n)
{
        while (n > 0) {
                ssize_t w = write(fd, s, n);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return; /* as the program would have lost it */
                s += w;
                n -= (size_t)w;
        }
}

/* An answer kept by an earlier ask (own: the session's; kept: the profile's). */
static bool read_answer(const char *path, const char *key, struct xh_shim_answer *a)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        if (xh_read_file(path, &data, &len) < 0)
                return false;
        return xh_shim_answer_parse(data, len, key, a);
}

/*
 * A compiler probe asked before in the profile's life (or this session's):
 * give its kept answer and return its exit status. Else -1, with the key and
 * the file to keep the answer in (the profile's cache where the session may
 * write it, else the session's run directory).
 */
static int kept_answer(const char *exe, const struct xh_shim_config *conf, struct xh_shim_exec *x,
                       char **key, char **file)
{
        extern char **environ;
        struct timespec m0, m1, t0;
        clock_gettime(CLOCK_REALTIME, &t0);
        clock_gettime(CLOCK_MONOTONIC, &m0);
        _cleanup_strv_ char **ids = probe_ids(exe, conf);
        *key = xh_shim_probe_key(exe, ids, x->argv, environ);
        unsigned long long hash = xh_hash64(*key);
        _cleanup_free_ char *kept = xh_asprintf("%s/probe-%016llx", XH_CACHE_DIR, hash);
        _cleanup_free_ char *own = xh_asprintf("%s/probe-%016llx", XH_RUN_DIR, hash);
        struct xh_shim_answer a;
        if (!read_answer(kept, *key, &a) && !read_answer(own, *key, &a)) {
                *file = xh_strdup(access(XH_CACHE_DIR, W_OK) == 0 ? kept : own);
                return -1;
        }
        x->why = "answered from the facts cache (compiler probe)";
        trace(exe, x);
        write_all(STDOUT_FILENO, a.out, a.out_len);
        write_all(STDERR_FILENO, a.err, a.err_len);
        if (conf->trace) {
                clock_gettime(CLOCK_MONOTONIC, &m1);
                struct xh_trace_exec e = {
                        .start = seconds(&t0),
                        .pid = getpid(),
                        .strategy = XH_TRACE_NATIVE,
                        .wall = seconds(&m1) - seconds(&m0),
                        .status = a.status << 8,
                        .path = (char *)exe,
                        .why = (char *)x->why,
                };
                trace_record(conf->trace, &e);
        }
        int status = a.status;
        xh_shim_answer_clear(&a);
        return status;
}

/*
 * Ask the target's compiler (x, emulated) and pass its output on as it
 * comes, keeping it; when it exits normally, with an answer of bounded size
 * on at most one of its two outputs (so that giving it again cannot reorder
 * them), keep the answer in file. Exits as the program did.
 */
static _Noreturn void ask_and_keep(struct xh_shim_exec *x, char *key, char *file)
{
        int outp[2], errp[2];
        if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0)
                die(126, "cannot make a pipe: %s", strerror(errno));
        sigset_t all, old;
        sigfillset(&all);
        sigprocmask(SIG_SETMASK, &all, &old);
        pid_t pid = fork();
        if (pid < 0)
                die(126, "cannot fork: %s", strerror(errno));
        if (pid == 0) {
                sigprocmask(SIG_SETMASK, &old, NULL);
                if (dup2(outp[1], STDOUT_FILENO) < 0 || dup2(errp[1], STDERR_FILENO) < 0)
                        _exit(126);
                execv(x->path, x->argv);
                int e = errno;
                fprintf(stderr, "xhybrid-shim: cannot execute %s: %s\n", x->path, strerror(e));
                xh_shim_exec_clear(x);
                free(key);
                free(file);
                _exit(e == ENOENT ? 127 : 126);
        }
        traced_child = pid;
        static const int forwarded[] = {SIGTERM, SIGINT,  SIGQUIT, SIGHUP,
                                        SIGUSR1, SIGUSR2, SIGCONT};
        struct sigaction sa = {.sa_sigaction = forward_signal, .sa_flags = SA_SIGINFO | SA_RESTART};
        sigfillset(&sa.sa_mask);
        for (size_t i = 0; i < XH_ARRAY_SIZE(forwarded); i++)
                sigaction(forwarded[i], &sa, NULL);
        sigprocmask(SIG_SETMASK, &old, NULL);
        close(outp[1]);
        close(errp[1]);
        xh_buf got[2] = {{0}, {0}};
        struct pollfd fds[2] = {{.fd = outp[0], .events = POLLIN},
                                {.fd = errp[0], .events = POLLIN}};
        int open_fds = 2;
        bool too_big = false;
        while (open_fds > 0) {
                if (poll(fds, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                for (int i = 0; i < 2; i++) {
                        if (fds[i].fd < 0 || !fds[i].revents)
                                continue;
                        char buf[16384];
                        ssize_t n = read(fds[i].fd, buf, sizeof(buf));
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n <= 0) {
                                close(fds[i].fd);
                                fds[i].fd = -1;
                                open_fds--;
                                continue;
                        }
                        write_all(i == 0 ? STDOUT_FILENO : STDERR_FILENO, buf, (size_t)n);
                        if (got[0].len + got[1].len + (size_t)n > XH_SHIM_ANSWER_MAX)
                                too_big = true;
                        else
                                xh_buf_addn(&got[i], buf, (size_t)n);
                }
        }
        int status = 0;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        status = 125 << 8;
                        break;
                }
        if (open_fds == 0 && !too_big && WIFEXITED(status) && !(got[0].len && got[1].len)) {
                struct xh_shim_answer a = {
                        .out = got[0].s,
                        .out_len = got[0].len,
                        .err = got[1].s,
                        .err_len = got[1].len,
                        .status = WEXITSTATUS(status),
                };
                size_t len;
                _cleanup_free_ char *entry = xh_shim_answer_format(key, &a, &len);
                _cleanup_free_ char *tmp = xh_asprintf("%s.%d", file, (int)getpid());
                if (xh_write_file(tmp, entry, len, 0644) == 0 && rename(tmp, file) < 0)
                        unlink(tmp);
        }
        /* Nothing left behind for a leak checker (45-shim-valgrind runs the shim under one). */
        xh_buf_free(&got[0]);
        xh_buf_free(&got[1]);
        xh_shim_exec_clear(x);
        free(key);
        free(file);
        exit_like(status);
}

int main(int argc, char **argv)
{
        const char *self = strrchr(argv[0] ? argv[0] : "", '/');
        if (strcmp(self ? self + 1 : argv[0] ? argv[0] : "", XH_BINFMT_NAME) == 0)
                binfmt_main(argc, argv);
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n <= 0)
                die(127, "cannot read /proc/self/exe: %s", strerror(errno));
        exe[n] = '\0';

        _cleanup_free_ char *text = NULL;
        if (xh_read_file(XH_SHIM_CONF, &text, NULL) < 0)
                die(127, "%s is missing: this program only runs inside an xhybrid session",
                    XH_SHIM_CONF);
        struct xh_shim_config conf;
        xh_error err = {0};
        if (xh_shim_config_parse(text, &conf, &err) < 0)
                die(127, "%s", err.msg);
#ifdef __x86_64__
        {
                /*
                 * The supervisor answers uname(2) with the target's machine;
                 * without it, the host's. Asked by the tools that print it
                 * only: the call is trapped, and costs the others for nothing.
                 */
                _cleanup_free_ char *tool = xh_shim_canonical(strrchr(exe, '/') + 1, conf.triplet);
                const struct xh_shim_tool *t = xh_shim_lookup(tool);
                struct utsname uts;
                if (t && t->strategy == XH_SHIM_IDENTITY)
                        conf.host_machine = uname(&uts) == 0 && strcmp(uts.machine, "x86_64") == 0;
        }
#endif

        /*
         * These choose compiler parts other than those the cache's key holds
         * (cc1, as): such a compile runs without the cache.
         */
        if (getenv("GCC_EXEC_PREFIX") || getenv("COMPILER_PATH")) {
                /* ... nor through distcc: a helper would not see them. */
                free(conf.ccache);
                free(conf.distcc);
                conf.ccache = conf.distcc = NULL;
        }
        struct xh_shim_exec x;
        const char *emulate = getenv("XHYBRID_EMULATE");
        if (strcmp(exe, XH_SHIM_PATH) == 0) {
                /* ccache's prefix_command on a miss: "SHIM COMPILER ARGS..." */
                char driver[PATH_MAX];
                ssize_t dn = argv[1] ? readlink(argv[1], driver, sizeof(driver) - 1) : -1;
                if (dn <= 0)
                        die(127, "%s: %s is not a compiler link of the session", XH_SHIM_PATH,
                            argv[1] ? argv[1] : "(none)");
                driver[dn] = '\0';
                if (xh_shim_distcc_prefix(&conf, driver, argv, &x, &err) < 0)
                        die(127, "%s", err.msg);
        } else if (xh_shim_decide(&conf, exe, argv, emulate, NULL, &x, &err) < 0) {
                die(127, "%s", err.msg);
        }
        if (x.needs_facts) {
                struct xh_shim_facts facts;
                _cleanup_free_ char *name = xh_shim_canonical(strrchr(exe, '/') + 1, conf.triplet);
                load_facts(exe, xh_shim_lookup(name)->strategy, &facts);
                xh_shim_exec_clear(&x);
                if (xh_shim_decide(&conf, exe, argv, emulate, &facts, &x, &err) < 0)
                        die(127, "%s", err.msg);
                xh_shim_facts_clear(&facts);
        }
        if (x.unset_prefix) {
                /* Collect the names first: unsetenv() changes environ. */
                extern char **environ;
                size_t plen = strlen(x.unset_prefix);
                _cleanup_strv_ char **names = xh_malloc(sizeof(char *));
                for (char **e = environ; e && *e; e++)
                        if (strncmp(*e, x.unset_prefix, plen) == 0) {
                                _cleanup_free_ char *name = xh_strndup(*e, strcspn(*e, "="));
                                xh_strv_push(&names, name);
                        }
                for (char **v = names; *v; v++)
                        unsetenv(*v);
        }
        for (char **e = x.putenv; e && *e; e++) {
                char *eq = strchr(*e, '=');
                *eq = '\0';
                setenv(*e, eq + 1, 1);
                *eq = '=';
        }
        /* distcc keeps its locks and state there, and makes no parent of it itself. */
        if (x.putenv && x.putenv[0] && xh_mkdir_p(XH_DISTCC_DIR, 01777) < 0)
                die(125, "cannot create %s: %s", XH_DISTCC_DIR, strerror(errno));
        for (char **e = x.setenv; *e; e++) {
                char *eq = strchr(*e, '=');
                *eq = '\0';
                setenv(*e, eq + 1, 0);
                *eq = '=';
        }
        if (x.link_at) {
                _cleanup_free_ char *dir = xh_strdup(x.link_at);
                *strrchr(dir, '/') = '\0';
                xh_mkdir_p(dir, 0755);
                if (symlink(x.link_to, x.link_at) < 0 && errno != EEXIST)
                        die(125, "cannot create %s: %s", x.link_at, strerror(errno));
        }
        _cleanup_free_ char *probe_key = NULL, *probe_file = NULL;
        if (x.keep_answer) {
                int status = kept_answer(exe, &conf, &x, &probe_key, &probe_file);
                if (status >= 0) {
                        /* Nothing left behind for a leak checker. */
                        xh_shim_exec_clear(&x);
                        xh_shim_config_clear(&conf);
                        free(steal_pointer(&text));
                        _exit(status);
                }
        }
        trace(exe, &x);
        if (conf.trace && x.emulated) {
                /* The binfmt mode records it, with the reason. */
                setenv(XH_TRACE_WHY_ENV, x.why, 1);
        } else if (conf.trace) {
                unsetenv(XH_TRACE_WHY_ENV);
                _cleanup_free_ char *name = xh_shim_canonical(strrchr(exe, '/') + 1, conf.triplet);
                const struct xh_shim_tool *t = xh_shim_lookup(name);
                bool copy = t ? t->strategy == XH_SHIM_NATIVE && !t->never_direct
                              : xh_strv_contains(conf.native, name);
                run_traced(conf.trace, "xhybrid-shim", x.path, x.argv, exe,
                           copy ? XH_TRACE_COPY : XH_TRACE_NATIVE, x.why);
        }
        if (x.keep_answer)
                ask_and_keep(&x, steal_pointer(&probe_key), steal_pointer(&probe_file));
        execv(x.path, x.argv);
        int e = errno;
        die(e == ENOENT ? 127 : 126, "cannot execute %s: %s", x.path, strerror(e));
}
