/* SPDX-License-Identifier: MIT */
/*
 * Rebuilt cross compilers: when a suite's cross compiler was built from
 * another version of the compiler source than the target's compiler (Debian
 * 12: gcc-12-aarch64-linux-gnu from gcc-12 12.2.0-14, the target's gcc-12
 * 12.2.0-14+deb12u1), 'xhybrid toolchain build' builds the cross compiler
 * again from exactly the target's source, the way Debian builds its cross
 * compilers (the source's debian/rules patch with the cross variables, the
 * configure options of the toolchain layer's cross compiler, the target's
 * package version), inside a throwaway session of the toolchain layer.
 *
 * The result is a layer of the store, STORE/layers/gcc-cross-ARCH-SRC_VER-HASH:
 *   rootfs/                  the installed compiler (make install-gcc)
 *   record/var/lib/dpkg/     a dpkg record of it: status (one package whose
 *                            Source names the target's compiler source and
 *                            version) and info/PACKAGE.list, the programs a
 *                            hybrid session binds over the toolchain layer's
 *                            files of the same path
 *   build.log
 * It is built under another name and renamed when complete, so a half-built
 * one is never found; one whose record does not load, or lists a file it
 * lacks, is refused with its path.
 */
#include "session.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Changes of how the compiler is built change every layer's name. */
#define RECIPE_VERSION "1"

/* "gcc-12 12.2.0-14+deb12u1" -> name "gcc-12", version "12.2.0-14+deb12u1"; false if malformed. */
static bool split_source(const char *src, char **name, char **version)
{
        static const char ok[] = "abcdefghijklmnopqrstuvwxyz0123456789+-.~:";
        const char *sp = src ? strchr(src, ' ') : NULL;
        if (!sp || sp == src || !sp[1] || strspn(src, ok) != (size_t)(sp - src) ||
            strspn(sp + 1, ok) != strlen(sp + 1))
                return false;
        *name = xh_strndup(src, (size_t)(sp - src));
        *version = xh_strdup(sp + 1);
        return true;
}

char *xh_compiler_layer_name(const char *arch, const char *triplet, const char *target_src,
                             const char *cross_src)
{
        _cleanup_free_ char *name = NULL;
        _cleanup_free_ char *version = NULL;
        if (!arch || !*arch || !triplet || !*triplet || !cross_src || !*cross_src ||
            strchr(arch, '/') || !split_source(target_src, &name, &version) ||
            strncmp(name, "gcc-", 4) != 0)
                return NULL;
        _cleanup_free_ char *key = xh_asprintf("gcc-cross " RECIPE_VERSION "\n%s\n%s\n%s %s\n%s\n",
                                               arch, triplet, name, version, cross_src);
        /* ':' (an epoch) is no character for a directory name that overlayfs options may hold */
        for (char *c = version; *c; c++)
                if (*c == ':')
                        *c = '_';
        return xh_asprintf("gcc-cross-%s-%s_%s-%012llx", arch, name, version,
                           xh_hash64(key) & 0xffffffffffffULL);
}

void xh_compiler_layer_clear(struct xh_compiler_layer *l)
{
        free(l->dir);
        free(l->pkg);
        free(l->version);
        free(l->source);
        xh_strv_free(l->files);
        *l = (struct xh_compiler_layer){0};
}

/* The value of "Name:" in a one-stanza text, or NULL. */
static char *field(const char *text, const char *name)
{
        size_t n = strlen(name);
        for (const char *l = text; l && *l;) {
                if (strncmp(l, name, n) == 0 && l[n] == ':') {
                        const char *v = l + n + 1 + strspn(l + n + 1, " ");
                        return xh_strndup(v, strcspn(v, "\n"));
                }
                l = strchr(l, '\n');
                l = l ? l + 1 : NULL;
        }
        return NULL;
}

static int bad_layer(xh_error *err, int e, const char *dir, const char *what)
{
        xh_fail(err, e, "the rebuilt compiler layer %s is incomplete or damaged: %s", dir, what);
        return xh_hint(err, e,
                       "remove it (rm -rf %s) and build it again with xhybrid toolchain build "
                       "PROFILE",
                       dir);
}

int xh_compiler_layer_load(const char *dir, struct xh_compiler_layer *l, xh_error *err)
{
        *l = (struct xh_compiler_layer){0};
        _cleanup_free_ char *status = xh_asprintf("%s/record/var/lib/dpkg/status", dir);
        _cleanup_free_ char *text = NULL;
        int r = xh_read_file(status, &text, NULL);
        if (r < 0) {
                _cleanup_free_ char *what = xh_asprintf("cannot read %s: %s", status, strerror(-r));
                return bad_layer(err, -r, dir, what);
        }
        _cleanup_free_ char *st = field(text, "Status");
        _cleanup_free_ char *src = field(text, "Source");
        _cleanup_free_ char *pkg = field(text, "Package");
        _cleanup_free_ char *ver = field(text, "Version");
        if (!st || strcmp(st, "install ok installed") != 0 || !src || !pkg || !ver || !*pkg ||
            strchr(pkg, '/') || !*ver) {
                _cleanup_free_ char *what = xh_asprintf(
                        "%s lacks one of Package, Version, Source or \"Status: install ok "
                        "installed\"",
                        status);
                return bad_layer(err, EINVAL, dir, what);
        }
        /* Source: NAME (VERSION) */
        const char *open = strchr(src, '(');
        const char *close = open ? strchr(open, ')') : NULL;
        size_t nlen = strcspn(src, " (");
        if (!open || !close || close == open + 1 || nlen == 0) {
                _cleanup_free_ char *what =
                        xh_asprintf("%s: Source is not \"NAME (VERSION)\": %s", status, src);
                return bad_layer(err, EINVAL, dir, what);
        }
        _cleanup_free_ char *list = xh_asprintf("%s/record/var/lib/dpkg/info/%s.list", dir, pkg);
        _cleanup_free_ char *files = NULL;
        if ((r = xh_read_file(list, &files, NULL)) < 0) {
                _cleanup_free_ char *what = xh_asprintf("cannot read %s: %s", list, strerror(-r));
                return bad_layer(err, -r, dir, what);
        }
        _cleanup_strv_ char **paths = xh_strv_split(files, "\n");
        if (!paths[0]) {
                _cleanup_free_ char *what = xh_asprintf("%s lists no file", list);
                return bad_layer(err, EINVAL, dir, what);
        }
        for (char **f = paths; *f; f++) {
                struct stat sb;
                _cleanup_free_ char *host = xh_asprintf("%s/rootfs%s", dir, *f);
                if ((*f)[0] != '/' || strstr(*f, "/../") || strstr(*f, "/./") ||
                    lstat(host, &sb) < 0 || !S_ISREG(sb.st_mode)) {
                        _cleanup_free_ char *what = xh_asprintf(
                                "%s names %s, which is no file of its rootfs", list, *f);
                        return bad_layer(err, ENOENT, dir, what);
                }
        }
        l->dir = xh_strdup(dir);
        l->pkg = steal_pointer(&pkg);
        l->version = steal_pointer(&ver);
        l->source = xh_asprintf("%.*s %.*s", (int)nlen, src, (int)(close - open - 1), open + 1);
        l->files = steal_pointer(&paths);
        return 0;
}

char *xh_compiler_layer_path(const char *store, const char *name)
{
        return xh_asprintf("%s/layers/%s", store, name);
}

static bool skewed(enum xh_tool_decision d)
{
        return d == XH_TOOL_NATIVE_SKEW || d == XH_TOOL_SKEW_FALLBACK || d == XH_TOOL_SKEW_ERROR;
}

int xh_compiler_apply(const struct xh_profile *p, const char *store, struct xh_tool_choice *b,
                      size_t n, struct xh_compiler_layer *used, xh_error *err)
{
        *used = (struct xh_compiler_layer){0};
        for (size_t i = 0; i < n; i++) {
                struct xh_tool_choice *c = &b[i];
                if (!skewed(c->decision) || !c->tc_cross || !c->target_src || !c->tc_src)
                        continue;
                _cleanup_free_ char *name =
                        xh_compiler_layer_name(p->arch, p->triplet, c->target_src, c->tc_src);
                if (!name)
                        continue;
                _cleanup_free_ char *dir = xh_compiler_layer_path(store, name);
                if (used->dir && strcmp(used->dir, dir) != 0)
                        continue; /* one rebuilt compiler per session */
                if (!used->dir) {
                        if (!xh_is_dir(dir))
                                continue;
                        int r = xh_compiler_layer_load(dir, used, err);
                        if (r < 0)
                                return r;
                }
                if (!xh_strv_contains(used->files, c->path) ||
                    strcmp(used->source, c->target_src) != 0)
                        continue;
                free(c->tc_pkg);
                free(c->tc_ver);
                free(c->tc_src);
                c->tc_pkg = xh_strdup(used->pkg);
                c->tc_ver = xh_strdup(used->version);
                c->tc_src = xh_strdup(used->source);
                c->decision = XH_TOOL_NATIVE;
                c->rebuilt = true;
                c->direct = false;
        }
        bool any = false;
        for (size_t i = 0; i < n; i++)
                any = any || b[i].rebuilt;
        if (!any)
                xh_compiler_layer_clear(used);
        return 0;
}

/* What the build runs in the toolchain layer's throwaway session; $1: the work directory. */
static char *build_script(const struct xh_profile *p, const char *src_name, const char *src_ver)
{
        const char *major = src_name + 4;
        xh_buf b = {0};
        xh_buf_addf(
                &b,
                "set -eu\n"
                /* the host compiler builds it: not the session's cross links (/usr/local/bin) */
                "export PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"
                "export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8\n"
                "phase() { echo \"$1\" >&3; echo \"== xhybrid toolchain build: $1\"; }\n"
                "phase source\n"
                "apt-get -q -o APT::Sandbox::User=root update 3>&-\n"
                "apt-get -q -y -o APT::Sandbox::User=root --no-install-recommends install "
                "'%s-source=%s' libgmp-dev libmpfr-dev libmpc-dev libisl-dev libzstd-dev "
                "zlib1g-dev flex bison gawk m4 patch quilt texinfo autoconf2.69 automake libtool "
                "lsb-release dpkg-dev xz-utils g++ 3>&-\n"
                "phase patch\n"
                "rm -rf src obj dest && mkdir src && cp -a /usr/src/%s/debian src/\n"
                "for t in /usr/src/%s/*.tar.*; do ln -s \"$t\" src/; done\n"
                "(cd src && GCC_TARGET=%s with_deps_on_target_arch_pkgs=yes "
                "DEB_BUILD_OPTIONS='nocheck nolang=ada,d,go,fortran,objc,obj-c++,m2' "
                "debian/rules patch) 3>&-\n"
                "phase configure\n"
                "opts=$(/usr/bin/%s-gcc-%s -v 2>&1 | sed -n 's/^Configured with: [^ ]*configure "
                "//p')\n"
                "[ -n \"$opts\" ] || { echo '/usr/bin/%s-gcc-%s -v names no configure options'; "
                "exit 1; }\n"
                "opts=$(printf '%%s\\n' \"$opts\" | sed -e \"s/--with-pkgversion='[^']*'/"
                "--with-pkgversion='Debian %s'/\" -e 's/--enable-languages=[^ ]*/"
                "--enable-languages=c,c++/')\n"
                "echo \"configure $opts\"\n"
                "mkdir obj && cd obj\n"
                "eval \"../src/src/configure $opts\" CC=x86_64-linux-gnu-gcc "
                "CXX=x86_64-linux-gnu-g++ 3>&-\n"
                "phase build\n"
                "nice -n 10 make -j2 all-gcc 3>&-\n"
                "phase install\n"
                "make install-gcc DESTDIR=\"$1/dest\" 3>&-\n"
                "phase done\n",
                src_name, src_ver, src_name, src_name, p->arch, p->triplet, major, p->triplet,
                major, src_ver);
        return xh_buf_steal(&b);
}

static int is_elf(const char *path)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        char m[4];
        return fd >= 0 && read(fd, m, 4) == 4 && memcmp(m, "\177ELF", 4) == 0;
}

/*
 * The ELF files of the installed tree at dest (dir: a path inside it, "")
 * that the toolchain layer also has as regular files at the same path: what
 * sessions bind over it.
 */
static void collect(const char *dest, const char *toolchain, const char *dir, char ***out)
{
        _cleanup_free_ char *path = xh_asprintf("%s%s", dest, dir);
        DIR *d = opendir(path);
        if (!d)
                return;
        struct dirent *e;
        while ((e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                        continue;
                _cleanup_free_ char *in = xh_asprintf("%s/%s", dir, e->d_name);
                _cleanup_free_ char *host = xh_asprintf("%s%s", dest, in);
                _cleanup_free_ char *theirs = xh_asprintf("%s%s", toolchain, in);
                struct stat a, t;
                if (lstat(host, &a) < 0)
                        continue;
                if (S_ISDIR(a.st_mode))
                        collect(dest, toolchain, in, out);
                else if (S_ISREG(a.st_mode) && lstat(theirs, &t) == 0 && S_ISREG(t.st_mode) &&
                         is_elf(host))
                        xh_strv_push(out, in);
        }
        closedir(d);
}

static int cmp_str(const void *a, const void *c)
{
        return strcmp(*(char *const *)a, *(char *const *)c);
}

/* The session's child: log on 1 and 2, phases on 3. */
static _Noreturn void run_child(const struct xh_compiler_build_opts *o, const char *work,
                                char *const *argv, int log_fd, int pipe_w, pid_t parent)
{
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
                _exit(XH_EXIT_ERROR);
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null < 0 || chdir(work) < 0 || dup2(null, STDIN_FILENO) < 0 ||
            dup2(log_fd, STDOUT_FILENO) < 0 || dup2(log_fd, STDERR_FILENO) < 0 ||
            dup2(pipe_w, 3) < 0)
                _exit(XH_EXIT_ERROR);
        struct xh_session_opts so = {
                .profile = o->profile,
                .store = o->store,
                .native_cross = true,
                .ephemeral = true,
                .argv = argv,
        };
        int status = -1;
        xh_error e = {0};
        if (xh_session_run(&so, &status, &e) < 0) {
                dprintf(STDOUT_FILENO, "xhybrid: %s\n", e.msg ? e.msg : "the session failed");
                dprintf(3, "error %d\n", e.code ? e.code : EIO);
                _exit(XH_EXIT_ERROR);
        }
        _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

/* Run the build session; *phase receives the last phase it began. */
static int run_build(const struct xh_compiler_build_opts *o, const char *work, const char *log,
                     char *const *argv, char **phase, xh_error *err)
{
        _cleanup_close_ int log_fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (log_fd < 0)
                return xh_fail(err, errno, "cannot write the build log %s: %s", log,
                               strerror(errno));
        int pp[2];
        if (pipe2(pp, O_CLOEXEC) < 0)
                return xh_fail(err, errno, "pipe: %s", strerror(errno));
        fflush(NULL);
        pid_t parent = getpid();
        pid_t pid = fork();
        if (pid < 0) {
                int e = errno;
                close(pp[0]);
                close(pp[1]);
                return xh_fail(err, e, "fork: %s", strerror(e));
        }
        if (pid == 0) {
                close(pp[0]);
                run_child(o, work, argv, log_fd, pp[1], parent);
        }
        close(pp[1]);
        FILE *f = fdopen(pp[0], "r");
        char line[256];
        double start = xh_now();
        int setup_error = 0;
        while (f && fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = '\0';
                if (strncmp(line, "error ", 6) == 0) {
                        setup_error = atoi(line + 6);
                        continue;
                }
                if (*phase)
                        xh_note(o->notes, XH_NOTE_PROGRESS, "%s: done in %.0f s", *phase,
                                xh_now() - start);
                free(*phase);
                *phase = xh_strdup(line);
                start = xh_now();
                if (strcmp(line, "done") != 0)
                        xh_note(o->notes, XH_NOTE_PROGRESS, "%s (log: %s)", line, log);
        }
        if (f)
                fclose(f);
        else
                close(pp[0]);
        int st = 0;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        if (setup_error || code != 0 || !*phase || strcmp(*phase, "done") != 0) {
                int e = setup_error ? setup_error : EIO;
                xh_fail(err, e, "building the cross compiler failed in phase %s (exit status %d)",
                        *phase ? *phase : "setup", code);
                return xh_hint(err, e, "the build log %s says why", log);
        }
        return 0;
}

static int write_record(const char *tmp, const struct xh_profile *p, const char *pkg,
                        const char *src_name, const char *src_ver, char *const *files,
                        xh_error *err)
{
        _cleanup_free_ char *info = xh_asprintf("%s/record/var/lib/dpkg/info", tmp);
        int r = xh_mkdir_p(info, 0755);
        if (r < 0)
                return xh_fail(err, -r, "cannot make %s: %s", info, strerror(-r));
        _cleanup_free_ char *list = xh_strv_join(files, "\n");
        _cleanup_free_ char *list_text = xh_asprintf("%s\n", list);
        _cleanup_free_ char *list_path = xh_asprintf("%s/%s.list", info, pkg);
        _cleanup_free_ char *status = xh_asprintf(
                "Package: %s\nStatus: install ok installed\nArchitecture: amd64\n"
                "Source: %s (%s)\nVersion: %s\nBuilt-Using: %s (= %s)\n"
                "Description: GNU C and C++ compilers for %s, rebuilt by xhybrid from %s %s\n\n",
                pkg, src_name, src_ver, src_ver, src_name, src_ver, p->triplet, src_name, src_ver);
        _cleanup_free_ char *status_path = xh_asprintf("%s/record/var/lib/dpkg/status", tmp);
        if ((r = xh_write_file(list_path, list_text, strlen(list_text), 0644)) < 0 ||
            (r = xh_write_file(status_path, status, strlen(status), 0644)) < 0)
                return xh_fail(err, -r, "cannot write the record of %s: %s", tmp, strerror(-r));
        return 0;
}

int xh_compiler_build(const struct xh_compiler_build_opts *o, struct xh_compiler_build_result *res,
                      xh_error *err)
{
        const struct xh_profile *p = o->profile;
        *res = (struct xh_compiler_build_result){0};
        int r;
        if ((r = xh_store_check(o->store, p, XH_TREE_ROOT, true, err)) < 0 ||
            (r = xh_store_check(o->store, p, XH_TREE_TOOLCHAIN, true, err)) < 0)
                return r;
        _cleanup_free_ char *rootfs = xh_store_rootfs(o->store, p);
        _cleanup_free_ char *tcfs = xh_store_toolchain_rootfs(o->store, p);
        struct xh_tool_choice *b = NULL;
        size_t n = 0;
        if ((r = xh_toolchain_choose(p, rootfs, NULL, tcfs, NULL, &b, &n, err)) < 0)
                return r;
        const struct xh_tool_choice *gcc = NULL;
        for (size_t i = 0; i < n && !gcc; i++)
                if (strcmp(b[i].canonical, "gcc") == 0)
                        gcc = &b[i];
        _cleanup_free_ char *target_src =
                gcc && gcc->target_src ? xh_strdup(gcc->target_src) : NULL;
        _cleanup_free_ char *tc_pkg = gcc && gcc->tc_pkg ? xh_strdup(gcc->tc_pkg) : NULL;
        _cleanup_free_ char *tc_ver = gcc && gcc->tc_ver ? xh_strdup(gcc->tc_ver) : NULL;
        _cleanup_free_ char *tc_src = gcc && gcc->tc_src ? xh_strdup(gcc->tc_src) : NULL;
        bool same = gcc && gcc->decision == XH_TOOL_NATIVE;
        bool cross = gcc && gcc->tc_cross;
        xh_tool_choices_free(b, n);
        if (!target_src || !tc_pkg) {
                xh_fail(err, ENOENT,
                        "profile '%s': no gcc of a package in both the target root %s and the "
                        "toolchain layer %s",
                        p->name, rootfs, tcfs);
                return xh_hint(err, ENOENT,
                               "the target root needs gcc (build-essential) and the toolchain "
                               "layer crossbuild-essential-%s; run xhybrid create --force %s",
                               p->arch, p->name);
        }
        _cleanup_free_ char *src_name = NULL;
        _cleanup_free_ char *src_ver = NULL;
        _cleanup_free_ char *name = xh_compiler_layer_name(p->arch, p->triplet, target_src, tc_src);
        if (!cross || !name || !split_source(target_src, &src_name, &src_ver)) {
                xh_fail(err, EINVAL,
                        "profile '%s': the toolchain layer's gcc (%s %s) is no Debian cross "
                        "compiler of the target's compiler source %s",
                        p->name, tc_pkg, tc_ver ? tc_ver : "?", target_src);
                return xh_hint(err, EINVAL,
                               "only a compiler source gcc-N with a cross package gcc-N-TRIPLET "
                               "can be rebuilt");
        }
        res->source = xh_strdup(target_src);
        res->layer = xh_compiler_layer_path(o->store, name);
        if (same) {
                res->needed = false;
                return 0;
        }
        res->needed = true;
        if (xh_is_dir(res->layer) && !o->force) {
                struct xh_compiler_layer l;
                if ((r = xh_compiler_layer_load(res->layer, &l, err)) < 0)
                        return r;
                xh_compiler_layer_clear(&l);
                res->reused = true;
                return 0;
        }

        /* One build of a layer at a time. */
        _cleanup_free_ char *lock = xh_asprintf("%s/work/%s.lock", o->store, name);
        _cleanup_close_ int lock_fd = -1;
        _cleanup_free_ char *holder = NULL;
        if ((r = xh_store_lock(lock, &lock_fd, &holder, err)) < 0) {
                if (r != -EBUSY)
                        return r;
                xh_error_clear(err);
                xh_fail(err, EBUSY, "the compiler %s is being built by process %s (lock %s)", name,
                        holder ? holder : "?", lock);
                return xh_hint(err, EBUSY, "wait for it to finish, then run the command again");
        }
        if (xh_is_dir(res->layer) && !o->force) {
                res->reused = true; /* built meanwhile */
                return 0;
        }
        _cleanup_free_ char *work = xh_asprintf("%s/work/%s", o->store, name);
        _cleanup_free_ char *log = xh_asprintf("%s/work/%s.log", o->store, name);
        _cleanup_free_ char *tmp = xh_asprintf("%s/layers/.%s.tmp", o->store, name);
        xh_rm_rf(work);
        xh_rm_rf(tmp);
        if ((r = xh_mkdir_p(work, 0755)) < 0)
                return xh_fail(err, -r, "cannot make %s: %s", work, strerror(-r));
        res->log = xh_strdup(log);
        _cleanup_free_ char *script = build_script(p, src_name, src_ver);
        char *argv[] = {"/bin/sh", "-c", script, "xhybrid-toolchain-build", work, NULL};
        double start = xh_now();
        _cleanup_free_ char *phase = NULL;
        if ((r = run_build(o, work, log, argv, &phase, err)) < 0)
                return r;
        res->seconds = xh_now() - start;

        _cleanup_free_ char *dest = xh_asprintf("%s/dest", work);
        _cleanup_strv_ char **files = xh_malloc(sizeof(char *));
        collect(dest, tcfs, "", &files);
        qsort(files, xh_strv_len(files), sizeof(char *), cmp_str);
        _cleanup_free_ char *tmp_rootfs = xh_asprintf("%s/rootfs", tmp);
        _cleanup_free_ char *pkg = xh_asprintf("xhybrid-%s", tc_pkg);
        if (!files[0]) {
                xh_fail(err, ENOENT, "the built compiler in %s replaces no program of %s", dest,
                        tcfs);
                return xh_hint(err, ENOENT, "the build log %s says what was installed", log);
        }
        if ((r = xh_mkdir_p(tmp, 0755)) < 0 || rename(dest, tmp_rootfs) < 0) {
                int e = r < 0 ? -r : errno;
                return xh_fail(err, e, "cannot move %s to %s: %s", dest, tmp_rootfs, strerror(e));
        }
        if ((r = write_record(tmp, p, pkg, src_name, src_ver, files, err)) < 0)
                return r;
        _cleanup_free_ char *kept_log = xh_asprintf("%s/build.log", tmp);
        if (rename(log, kept_log) == 0) {
                free(res->log);
                res->log = xh_asprintf("%s/build.log", res->layer);
        }
        if (o->force)
                xh_rm_rf(res->layer);
        if (rename(tmp, res->layer) < 0)
                return xh_fail(err, errno, "cannot rename %s to %s: %s", tmp, res->layer,
                               strerror(errno));
        xh_rm_rf(work);
        res->files = xh_strv_len(files);
        return 0;
}

void xh_compiler_build_result_clear(struct xh_compiler_build_result *r)
{
        free(r->source);
        free(r->layer);
        free(r->log);
        *r = (struct xh_compiler_build_result){0};
}
