/* SPDX-License-Identifier: MIT */
/*
 * xhybrid deb: Debian binary packages built from their source in a throwaway
 * session of the profile, as Debian's build daemons build them: the build
 * dependencies installed by apt-get build-dep from the source's
 * debian/control (build profiles and architecture qualifiers honoured), then
 * dpkg-buildpackage -b.
 *
 * The source is unpacked at STORE/work/deb-PROFILE-NAME/src, and its parent
 * is the session's working directory, bound at its own path: the packages
 * that dpkg-buildpackage writes next to the source tree are on the host when
 * the session ends, and are copied from there to the output directory. The
 * build log is written there as the build goes. The profile's root and
 * persistent upper are read-only layers of the session; nothing is
 * installed in them.
 *
 * The session runs in a child process. The script inside reports each phase
 * on fd 3, one line each, so the caller sees the phases as they start, their
 * times are exact, and a failed dependency install is told apart from
 * dpkg-buildpackage's own exit status.
 */
#include "bench.h"
#include "session.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static const char *const phase_names[XH_DEB_PHASES] = {
        [XH_DEB_DEPENDENCIES] = "dependencies",
        [XH_DEB_BUILD] = "build",
        [XH_DEB_RESULTS] = "results",
};

const char *xh_deb_phase_name(enum xh_deb_phase ph)
{
        return (size_t)ph < XH_DEB_PHASES ? phase_names[ph] : "?";
}

int xh_deb_changelog_head(const char *text, char **name, char **version)
{
        *name = *version = NULL;
        const char *s = text + strspn(text, "\n");
        /* NAME (VERSION) DISTRIBUTIONS; urgency=...; NAME as in Debian Policy 5.6.1 */
        size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789+-.");
        if (n < 2 || !strchr("abcdefghijklmnopqrstuvwxyz0123456789", s[0]) || s[n] != ' ' ||
            s[n + 1] != '(')
                return -EINVAL;
        const char *v = s + n + 2;
        size_t m = strcspn(v, ") \t\n");
        if (m == 0 || v[m] != ')')
                return -EINVAL;
        *name = xh_strndup(s, n);
        *version = xh_strndup(v, m);
        return 0;
}

char **xh_deb_build_dep_options(char *const *dpkg_options)
{
        const char *profiles = NULL;
        bool any = true, all = true;
        for (char *const *o = dpkg_options; o && *o; o++) {
                const char *a = *o;
                if (strncmp(a, "-P", 2) == 0 && a[2])
                        profiles = a + 2;
                else if (strncmp(a, "--build-profiles=", 17) == 0)
                        profiles = a + 17;
                else if (strcmp(a, "-B") == 0)
                        any = true, all = false;
                else if (strcmp(a, "-A") == 0)
                        any = false, all = true;
                else if (strcmp(a, "-b") == 0)
                        any = all = true;
                else if (strncmp(a, "--build=", 8) == 0) {
                        /* a list of clean, source, any, all, binary, full */
                        _cleanup_strv_ char **types = xh_strv_split(a + 8, ",");
                        any = all = false;
                        for (char **t = types; *t; t++) {
                                bool both = !strcmp(*t, "binary") || !strcmp(*t, "full");
                                any = any || both || !strcmp(*t, "any");
                                all = all || both || !strcmp(*t, "all");
                        }
                        if (!any && !all)
                                any = all = true;
                }
        }
        char **v = xh_malloc(sizeof(char *));
        if (profiles && *profiles) {
                xh_strv_push(&v, "-P");
                xh_strv_push(&v, profiles);
        }
        if (any && !all)
                xh_strv_push(&v, "--arch-only");
        else if (all && !any)
                xh_strv_push(&v, "--indep-only");
        return v;
}

/* s in single quotes for sh. */
static void add_quoted(xh_buf *b, const char *s)
{
        xh_buf_add(b, "'");
        for (; *s; s++) {
                if (*s == '\'')
                        xh_buf_add(b, "'\\''");
                else
                        xh_buf_addn(b, s, 1);
        }
        xh_buf_add(b, "'");
}

char *xh_deb_script(const char *source_dir, char *const *build_dep_options)
{
        xh_buf b = {0};
        xh_buf_add(&b, "set -e\n"
                       "export DEBIAN_FRONTEND=noninteractive\n"
                       "echo dependencies >&3\n"
                       "echo '== xhybrid deb: dependencies: apt-get update, apt-get build-dep'\n"
                       "apt-get -q -o APT::Sandbox::User=root update 3>&-\n"
                       "apt-get -q -y -o APT::Sandbox::User=root --no-install-recommends "
                       "build-dep");
        for (char *const *o = build_dep_options; o && *o; o++) {
                xh_buf_add(&b, " ");
                add_quoted(&b, *o);
        }
        _cleanup_free_ char *dir = xh_asprintf("./%s", source_dir);
        xh_buf_add(&b, " ");
        add_quoted(&b, dir);
        xh_buf_add(&b, " 3>&-\n"
                       "echo build >&3\n"
                       "exec 3>&-\n"
                       "echo \"== xhybrid deb: build: dpkg-buildpackage -b -uc -us${*:+ $*}\"\n"
                       "cd ");
        add_quoted(&b, dir);
        xh_buf_add(&b, "\n"
                       "exec dpkg-buildpackage -b -uc -us \"$@\"\n");
        return xh_buf_steal(&b);
}

/*
 * One record to the parent on fd: KIND, then fields, tab-separated, one
 * line (tabs and newlines in a field become spaces).
 */
static void send_record(int fd, const char *kind, const char *a, const char *b, const char *c)
{
        xh_buf r = {0};
        xh_buf_add(&r, kind);
        const char *fields[] = {a, b, c};
        for (size_t i = 0; i < XH_ARRAY_SIZE(fields) && fields[i]; i++) {
                xh_buf_add(&r, "\t");
                for (const char *s = fields[i]; *s; s++)
                        xh_buf_addn(&r, *s == '\t' || *s == '\n' ? " " : s, 1);
        }
        xh_buf_add(&r, "\n");
        if (write(fd, r.s, r.len) < 0) {
                /* the parent is gone; the session ends without it */
        }
        xh_buf_free(&r);
}

/* In the child: the session's own notes go to the log and to the parent. */
static void child_note(void *ctx, enum xh_note_kind kind, const char *msg)
{
        int fd = *(int *)ctx;
        bool warning = kind == XH_NOTE_WARNING;
        dprintf(STDOUT_FILENO, "xhybrid: %s%s\n", warning ? "warning: " : "", msg);
        send_record(fd, warning ? "warning" : "progress", msg, NULL, NULL);
}

struct deb_run {
        const struct xh_deb_opts *o;
        const struct xh_profile *p;
        const char *store;
        const char *dir; /* the session's working directory */
        char *const *argv;
        int log_fd;
        const char *mode;
};

/* The child: standard fds to the log, the phase pipe at fd 3, the session. */
static _Noreturn void run_child(const struct deb_run *d, int pipe_w, pid_t parent)
{
        /* The session ends with the caller (SIGTERM reaches the command). */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
                _exit(XH_EXIT_ERROR);
        int w = fcntl(pipe_w, F_DUPFD_CLOEXEC, 10);
        int log = fcntl(d->log_fd, F_DUPFD_CLOEXEC, 10);
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (w < 0 || log < 0 || null < 0 || chdir(d->dir) < 0) {
                _cleanup_free_ char *e = xh_asprintf("%d", errno);
                _cleanup_free_ char *msg = xh_asprintf("%s: %s", d->dir, strerror(errno));
                send_record(w < 0 ? pipe_w : w, "error", e, msg, "");
                _exit(XH_EXIT_ERROR);
        }
        /* dup2 onto another number clears close-on-exec: these reach the script. */
        if (dup2(null, STDIN_FILENO) < 0 || dup2(log, STDOUT_FILENO) < 0 ||
            dup2(log, STDERR_FILENO) < 0 || dup2(w, 3) < 0)
                _exit(XH_EXIT_ERROR);
        struct xh_notes notes = {.fn = child_note, .ctx = &w};
        struct xh_session_opts so = {
                .profile = d->p,
                .store = d->store,
                .emulated = d->o->emulated,
                .ephemeral = true,
                .env = d->o->env,
                .argv = d->argv,
                .notes = &notes,
        };
        int status = -1;
        xh_error e = {0};
        if (xh_session_run(&so, &status, &e) < 0) {
                _cleanup_free_ char *code = xh_asprintf("%d", e.code ? e.code : EIO);
                dprintf(STDOUT_FILENO, "xhybrid: %s\n", e.msg ? e.msg : "the session failed");
                send_record(w, "error", code, e.msg ? e.msg : "the session failed",
                            e.hint ? e.hint : "");
                _exit(XH_EXIT_ERROR);
        }
        _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

struct watch {
        const struct deb_run *d;
        struct xh_deb_result *res;
        enum xh_deb_phase phase;
        double phase_start;
        int error; /* the session's setup failure (errno), 0 if none */
        xh_error *err;
};

static void handle_record(struct watch *w, char *line)
{
        const struct xh_deb_opts *o = w->d->o;
        _cleanup_strv_ char **f = xh_strv_split(line, "\t");
        if (!f[0])
                return;
        if (strcmp(f[0], "build") == 0 && w->phase == XH_DEB_DEPENDENCIES) {
                double t = xh_now();
                w->res->seconds[XH_DEB_DEPENDENCIES] = t - w->phase_start;
                xh_note(o->notes, XH_NOTE_PROGRESS, "[%s] dependencies: done in %.1f s", w->d->mode,
                        t - w->phase_start);
                _cleanup_free_ char *opts = xh_strv_join(o->options, " ");
                xh_note(o->notes, XH_NOTE_PROGRESS, "[%s] build: dpkg-buildpackage -b -uc -us%s%s",
                        w->d->mode, *opts ? " " : "", opts);
                w->phase = XH_DEB_BUILD;
                w->phase_start = t;
        } else if (strcmp(f[0], "warning") == 0 && f[1]) {
                xh_note(o->notes, XH_NOTE_WARNING, "%s", f[1]);
        } else if (strcmp(f[0], "progress") == 0 && f[1]) {
                xh_note(o->notes, XH_NOTE_PROGRESS, "%s", f[1]);
        } else if (strcmp(f[0], "error") == 0 && f[1] && f[2]) {
                w->error = atoi(f[1]) > 0 ? atoi(f[1]) : EIO;
                xh_fail(w->err, w->error, "%s", f[2]);
                if (f[3])
                        xh_hint(w->err, w->error, "%s", f[3]);
        }
}

/*
 * Run the session and follow its phases. Returns 0 when the script ran to
 * its end (*code: the script's exit status, dpkg-buildpackage's once the
 * build phase began), or -errno when the session could not be set up.
 */
static int run_session(const struct deb_run *d, struct xh_deb_result *res, int *code,
                       enum xh_deb_phase *last, xh_error *err)
{
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return xh_fail(err, errno, "pipe: %s", strerror(errno));
        fflush(NULL);
        pid_t parent = getpid();
        struct watch w = {.d = d, .res = res, .phase = XH_DEB_DEPENDENCIES, .err = err};
        w.phase_start = xh_now();
        pid_t pid = fork();
        if (pid < 0) {
                int e = errno;
                close(p[0]);
                close(p[1]);
                return xh_fail(err, e, "fork: %s", strerror(e));
        }
        if (pid == 0) {
                close(p[0]);
                run_child(d, p[1], parent);
        }
        close(p[1]);
        /* readable the moment the child exits, whatever the tick rate */
        _cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        xh_buf pending = {0};
        bool open_pipe = true, exited = false;
        int st = 0;
        while (!exited || open_pipe) {
                /* the pipe while it is open, the child until it has exited */
                struct pollfd fds[2] = {{.fd = open_pipe ? p[0] : -1, .events = POLLIN},
                                        {.fd = exited ? -1 : pidfd, .events = POLLIN}};
                if (poll(fds, 2, exited ? -1 : 200) < 0 && errno != EINTR)
                        break;
                if (open_pipe && (fds[0].revents & (POLLIN | POLLHUP))) {
                        char buf[4096];
                        ssize_t got = read(p[0], buf, sizeof(buf));
                        if (got <= 0 && !(got < 0 && errno == EINTR))
                                open_pipe = false;
                        if (got > 0)
                                xh_buf_addn(&pending, buf, (size_t)got);
                        char *nl;
                        while (pending.s && (nl = strchr(pending.s, '\n'))) {
                                *nl = '\0';
                                handle_record(&w, pending.s);
                                size_t used = (size_t)(nl + 1 - pending.s);
                                memmove(pending.s, nl + 1, pending.len - used + 1);
                                pending.len -= used;
                        }
                }
                if (!exited) {
                        pid_t r = waitpid(pid, &st, WNOHANG);
                        if (r == pid || (r < 0 && errno != EINTR)) {
                                exited = true;
                                res->seconds[w.phase] = xh_now() - w.phase_start;
                        } else if (d->o->tick) {
                                _cleanup_free_ char *label =
                                        xh_asprintf("[%s] %s", d->mode, phase_names[w.phase]);
                                d->o->tick(d->o->ctx, label, xh_now() - w.phase_start);
                        }
                }
        }
        xh_buf_free(&pending);
        close(p[0]);
        if (!exited)
                while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                        ;
        *last = w.phase;
        *code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        return w.error ? -w.error : 0;
}

static bool is_result(const char *name)
{
        static const char *const exts[] = {".deb", ".udeb", ".ddeb", ".buildinfo", ".changes"};
        size_t n = strlen(name);
        for (size_t i = 0; i < XH_ARRAY_SIZE(exts); i++) {
                size_t m = strlen(exts[i]);
                if (n > m && strcmp(name + n - m, exts[i]) == 0)
                        return true;
        }
        return false;
}

/* Copy a file to a new file of the caller (the destination is replaced). */
static int copy_out(const char *from, const char *to, xh_error *err)
{
        _cleanup_close_ int in = open(from, O_RDONLY | O_CLOEXEC);
        if (in < 0)
                return xh_fail(err, errno, "%s: %s", from, strerror(errno));
        unlink(to);
        _cleanup_close_ int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (out < 0)
                return xh_fail(err, errno, "%s: %s", to, strerror(errno));
        char buf[65536];
        for (;;) {
                ssize_t n = read(in, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return xh_fail(err, errno, "%s: %s", from, strerror(errno));
                if (n == 0)
                        break;
                for (ssize_t off = 0; off < n;) {
                        ssize_t k = write(out, buf + off, (size_t)(n - off));
                        if (k < 0 && errno == EINTR)
                                continue;
                        if (k < 0)
                                return xh_fail(err, errno, "%s: %s", to, strerror(errno));
                        off += k;
                }
        }
        return 0;
}

static int compare_names(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Copy what dpkg-buildpackage wrote next to the source tree (dir) to outdir, by name. */
static int copy_results(const char *dir, const char *outdir, char ***files, xh_error *err)
{
        DIR *dh = opendir(dir);
        if (!dh)
                return xh_fail(err, errno, "%s: %s", dir, strerror(errno));
        _cleanup_strv_ char **names = xh_malloc(sizeof(char *));
        struct dirent *e;
        while ((e = readdir(dh))) {
                struct stat st;
                bool regular = e->d_type == DT_REG ||
                               (e->d_type == DT_UNKNOWN &&
                                fstatat(dirfd(dh), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                                S_ISREG(st.st_mode));
                if (regular && is_result(e->d_name))
                        xh_strv_push(&names, e->d_name);
        }
        closedir(dh);
        qsort(names, xh_strv_len(names), sizeof(char *), compare_names);
        for (char **n = names; *n; n++) {
                _cleanup_free_ char *from = xh_asprintf("%s/%s", dir, *n);
                _cleanup_free_ char *to = xh_asprintf("%s/%s", outdir, *n);
                int r = copy_out(from, to, err);
                if (r < 0)
                        return r;
                xh_strv_push(files, to);
        }
        return 0;
}

/* The output directory, made when missing; it must be writable before the long build. */
static int check_outdir(const char *outdir, xh_error *err)
{
        int r = xh_mkdir_p(outdir, 0755);
        if (r < 0 || access(outdir, W_OK | X_OK) < 0) {
                int e = r < 0 ? -r : errno;
                xh_fail(err, e, "cannot write the results to %s: %s", outdir, strerror(e));
                return xh_hint(err, e, "choose a directory you can write with -o DIR");
        }
        return 0;
}

/* Everything after the setup: lock, unpack, the session, the results. */
static int build(const struct xh_deb_opts *o, const struct xh_bench_setup *su, const char *outdir,
                 struct xh_deb_result *res, xh_error *err)
{
        const char *mode = o->emulated ? "emulated" : "hybrid";
        _cleanup_close_ int lock_fd = -1;
        _cleanup_free_ char *lock = xh_asprintf("%s.lock", su->base);
        _cleanup_free_ char *holder = NULL;
        int r = xh_store_lock(lock, &lock_fd, &holder, err);
        if (r == -EBUSY) {
                xh_fail(err, EBUSY, "%s is being built by another xhybrid deb%s%s%s (lock %s)",
                        su->src.name, holder ? " (pid " : "", holder ? holder : "",
                        holder ? ")" : "", lock);
                return xh_hint(err, EBUSY, "wait for it to end");
        }
        if (r < 0)
                return r;
        if ((r = xh_rm_rf(su->base)) < 0 || (r = xh_mkdir_p(su->base, 0755)) < 0)
                return xh_fail(err, -r, "cannot make a fresh %s: %s", su->base, strerror(-r));
        _cleanup_free_ char *unpack_log = xh_asprintf("%s.unpack.log", su->base);
        unlink(unpack_log);
        xh_note(o->notes, XH_NOTE_PROGRESS, "[%s] unpacking %s in %s", mode, o->source, su->work);
        if ((r = xh_source_unpack(&su->src, su->work, unpack_log, err)) < 0)
                return r;

        _cleanup_free_ char *control = xh_asprintf("%s/debian/control", su->work);
        _cleanup_free_ char *changelog = xh_asprintf("%s/debian/changelog", su->work);
        _cleanup_free_ char *text = NULL;
        if (!xh_path_exists(control) || xh_read_file(changelog, &text, NULL) < 0 ||
            xh_deb_changelog_head(text, &res->name, &res->version) < 0) {
                xh_fail(err, EINVAL,
                        "%s is not a Debian source package: it needs debian/control and a "
                        "debian/changelog that starts with 'NAME (VERSION)' (unpacked at %s)",
                        o->source, su->work);
                return xh_hint(err, EINVAL,
                               "give an unpacked Debian source tree (with its debian/ "
                               "directory), a .dsc, or deb:NAME");
        }
        /* Debian's file names drop the epoch: hello_2.10-3_arm64.build */
        const char *colon = strchr(res->version, ':');
        res->log = xh_asprintf("%s/%s_%s_%s.build", outdir, res->name,
                               colon ? colon + 1 : res->version, su->p->arch);
        _cleanup_close_ int log_fd = open(res->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (log_fd < 0)
                return xh_fail(err, errno, "%s: %s", res->log, strerror(errno));
        _cleanup_free_ char *opts = xh_strv_join(o->options, " ");
        dprintf(log_fd,
                "== xhybrid deb %s %s (%s): %s %s, built in %s\n"
                "== dpkg-buildpackage -b -uc -us%s%s\n",
                su->p->name, o->source, mode, res->name, res->version, su->work, *opts ? " " : "",
                opts);

        _cleanup_strv_ char **dep_opts = xh_deb_build_dep_options(o->options);
        _cleanup_free_ char *script = xh_deb_script(strrchr(su->work, '/') + 1, dep_opts);
        _cleanup_strv_ char **argv = xh_malloc(sizeof(char *));
        xh_strv_push(&argv, "sh");
        xh_strv_push(&argv, "-c");
        xh_strv_push(&argv, script);
        xh_strv_push(&argv, "xhybrid-deb");
        for (char *const *a = o->options; a && *a; a++)
                xh_strv_push(&argv, *a);

        xh_note(o->notes, XH_NOTE_PROGRESS,
                "[%s] dependencies: apt-get update, apt-get build-dep (log: %s)", mode, res->log);
        struct deb_run d = {o, su->p, su->store, su->base, argv, log_fd, mode};
        int code = 0;
        enum xh_deb_phase last;
        if ((r = run_session(&d, res, &code, &last, err)) < 0)
                return r;
        if (last == XH_DEB_DEPENDENCIES) {
                dprintf(log_fd, "== xhybrid deb: the build dependencies were not installed\n");
                xh_fail(err, EIO,
                        "installing the build dependencies of %s failed (exit status %d); see %s",
                        res->name, code, res->log);
                return xh_hint(err, EIO,
                               "the end of the log says why (a dependency the suite cannot "
                               "satisfy, the network); the profile's root was not changed");
        }
        res->status = code;
        dprintf(log_fd, "== xhybrid deb: dpkg-buildpackage exit status %d\n", code);
        xh_note(o->notes, XH_NOTE_PROGRESS, "[%s] build: exit status %d after %.1f s", mode, code,
                res->seconds[XH_DEB_BUILD]);
        if (code != 0)
                return 0;

        double t = xh_now();
        if ((r = copy_results(su->base, outdir, &res->files, err)) < 0)
                return r;
        res->seconds[XH_DEB_RESULTS] = xh_now() - t;
        xh_note(o->notes, XH_NOTE_PROGRESS, "[%s] results: %zu files in %s, %.1f s", mode,
                xh_strv_len(res->files), outdir, res->seconds[XH_DEB_RESULTS]);
        if (!res->files[0])
                xh_note(o->notes, XH_NOTE_WARNING, "dpkg-buildpackage wrote no packages in %s",
                        su->base);
        return 0;
}

int xh_deb_build(const struct xh_deb_opts *o, struct xh_deb_result *res, xh_error *err)
{
        *res = (struct xh_deb_result){.status = -1, .files = xh_malloc(sizeof(char *))};
        _cleanup_free_ char *outdir = xh_strdup(o->outdir && *o->outdir ? o->outdir : ".");
        for (size_t n = strlen(outdir); n > 1 && outdir[n - 1] == '/'; n--)
                outdir[n - 1] = '\0';
        int r;
        if ((r = check_outdir(outdir, err)) < 0)
                return r;
        struct xh_bench_setup_opts so = {
                .profile = o->profile,
                .store = o->store,
                .source = o->source,
                .kind = "deb",
                .need_toolchain = !o->emulated,
                .notes = o->notes,
        };
        struct xh_bench_setup su;
        if ((r = xh_bench_setup_open(&so, &su, err)) < 0)
                return r;
        r = build(o, &su, outdir, res, err);
        xh_bench_setup_close(&su);
        return r;
}

void xh_deb_result_clear(struct xh_deb_result *res)
{
        free(res->name);
        free(res->version);
        free(res->log);
        xh_strv_free(res->files);
        *res = (struct xh_deb_result){0};
}
