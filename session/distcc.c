/* SPDX-License-Identifier: MIT */
/*
 * Distributed compiles on Debian's distcc, from the toolchain layer.
 *
 * A helper runs 'xhybrid serve PROFILE': distccd in a namespace where only
 * the profile's toolchain layer is visible (read-only), as an unprivileged
 * user, allowed to run nothing but the layer's cross compilers, and those
 * only under names that carry their identity: xh-ID-DRIVER, where ID hashes
 * the contents of the drivers, cc1, cc1plus, the assembler and the layer's
 * dpkg status (the libraries they load). distccd's command list
 * (DISTCC_CMDLIST, matching the last word of the name a client sends) holds
 * exactly these names.
 *
 * A client session ('run --distribute HOSTS') computes the same ID over its
 * own layer and sends its compiles under that name: a helper serving another
 * compiler has no such name, refuses, and distcc compiles locally instead.
 * Preprocessing stays local, against the target root.
 */
#include "session.h"
#include "emulator.h"
#include "overlay.h"
#include "xh-paths.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static bool all_digits(const char *s, size_t n)
{
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (s[i] < '0' || s[i] > '9')
                        return false;
        return true;
}

/* A decimal number of at most 5 digits in lo..hi; -1 otherwise. */
static long number_in(const char *s, size_t n, long lo, long hi)
{
        if (!all_digits(s, n) || n > 5)
                return -1;
        long v = 0;
        for (size_t i = 0; i < n; i++)
                v = v * 10 + (s[i] - '0');
        return v >= lo && v <= hi ? v : -1;
}

static bool host_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '-' || c == '_';
}

int xh_distcc_hosts(const char *what, const char *list, char **out, xh_error *err)
{
        *out = NULL;
        if (!list || !*list) {
                xh_fail(err, EINVAL, "%s: no helper given", what);
                return xh_hint(err, EINVAL,
                               "name the machines that run 'xhybrid serve': "
                               "HOST[:PORT][/LIMIT][,HOST...]");
        }
        xh_buf b = {0};
        xh_buf_add(&b, "--randomize");
        const char *s = list;
        for (;;) {
                size_t n = strcspn(s, ",");
                size_t host = 0;
                while (host < n && host_char(s[host]))
                        host++;
                size_t port_at = 0, port_len = 0, limit_at = 0, limit_len = 0;
                size_t i = host;
                if (i < n && s[i] == ':') {
                        port_at = ++i;
                        while (i < n && s[i] != '/')
                                i++;
                        port_len = i - port_at;
                }
                if (i < n && s[i] == '/') {
                        limit_at = ++i;
                        limit_len = n - i;
                        i = n;
                }
                const char *bad = NULL;
                if (n == 0)
                        bad = "is an empty entry";
                else if (host == 0 || i != n)
                        bad = "is not HOST[:PORT][/LIMIT]";
                else if (port_at && number_in(s + port_at, port_len, 1, 65535) < 0)
                        bad = "has a port that is not a number from 1 to 65535";
                else if (limit_at && number_in(s + limit_at, limit_len, 1, 1000) < 0)
                        bad = "has a limit that is not a number from 1 to 1000";
                if (bad) {
                        xh_buf_free(&b);
                        xh_fail(err, EINVAL, "%s '%s': '%.*s' %s", what, list, (int)n, s, bad);
                        return xh_hint(err, EINVAL,
                                       "give helpers as HOST[:PORT][/LIMIT] separated by commas, "
                                       "e.g. 10.0.0.2,10.0.0.3:3632/4 (port 3632 by default; "
                                       "LIMIT: compiles sent to it at once)");
                }
                xh_buf_addf(&b, " %.*s:%.*s", (int)host, s, port_at ? (int)port_len : 4,
                            port_at ? s + port_at : "3632");
                if (limit_at)
                        xh_buf_addf(&b, "/%.*s", (int)limit_len, s + limit_at);
                if (!s[n])
                        break;
                s += n + 1;
        }
        *out = xh_buf_steal(&b);
        return 0;
}

int xh_distcc_listen(const char *spec, char **addr, unsigned *port, xh_error *err)
{
        *addr = NULL;
        *port = XH_DISTCC_PORT;
        const char *colon = strrchr(spec, ':');
        size_t alen = colon ? (size_t)(colon - spec) : strlen(spec);
        _cleanup_free_ char *a = xh_strndup(spec, alen);
        struct in_addr in;
        long p = colon ? number_in(colon + 1, strlen(colon + 1), 1, 65535) : XH_DISTCC_PORT;
        if (inet_pton(AF_INET, a, &in) != 1 || p < 0) {
                xh_fail(err, EINVAL, "--listen '%s': %s", spec,
                        p < 0 ? "the port is not a number from 1 to 65535"
                              : "expected an IPv4 address, ADDR[:PORT]");
                return xh_hint(err, EINVAL,
                               "give the address of this machine's interface that the clients "
                               "reach, e.g. --listen 10.0.0.2:3632 (0.0.0.0: every interface)");
        }
        *addr = steal_pointer(&a);
        *port = (unsigned)p;
        return 0;
}

int xh_distcc_allow(const char *spec, char **out, xh_error *err)
{
        *out = NULL;
        const char *slash = strchr(spec, '/');
        size_t alen = slash ? (size_t)(slash - spec) : strlen(spec);
        _cleanup_free_ char *a = xh_strndup(spec, alen);
        struct in_addr in;
        long bits = slash ? number_in(slash + 1, strlen(slash + 1), 0, 32) : 32;
        if (inet_pton(AF_INET, a, &in) != 1 || bits < 0) {
                xh_fail(err, EINVAL, "--allow '%s': %s", spec,
                        bits < 0 ? "the prefix length is not a number from 0 to 32"
                                 : "expected an IPv4 address or network, ADDR[/BITS]");
                return xh_hint(err, EINVAL,
                               "name the clients that may compile here, e.g. --allow "
                               "10.0.0.0/24 (repeat --allow for more)");
        }
        uint32_t mask = bits == 0 ? 0 : ~(uint32_t)0 << (32 - bits);
        uint32_t host = ntohl(in.s_addr);
        if (host & ~mask) {
                in.s_addr = htonl(host & mask);
                char net[INET_ADDRSTRLEN];
                inet_ntop(AF_INET, &in, net, sizeof(net));
                xh_fail(err, EINVAL,
                        "--allow '%s': the address has bits set beyond the /%ld prefix", spec,
                        bits);
                return xh_hint(err, EINVAL, "the network is %s/%ld", net, bits);
        }
        *out = xh_asprintf("%s/%ld", a, bits);
        return 0;
}

/* Feed a file's contents into the hash; -errno when it cannot be read. */
static int hash_file(const char *path, unsigned long long *h)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        static unsigned char buf[1 << 16];
        ssize_t n;
        while ((n = read(fd, buf, sizeof(buf))) > 0) {
                /* FNV-1a over 8-byte words: a compiler's contents, told apart; not a MAC. */
                size_t i = 0;
                for (; i + 8 <= (size_t)n; i += 8) {
                        unsigned long long w;
                        memcpy(&w, buf + i, 8);
                        *h = (*h ^ w) * 1099511628211ULL;
                        *h ^= *h >> 31;
                }
                for (; i < (size_t)n; i++)
                        *h = (*h ^ buf[i]) * 1099511628211ULL;
        }
        return n < 0 ? -errno : 0;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

int xh_distcc_compilers(const char *tc, const char *triplet, char **id, char ***drivers,
                        xh_error *err)
{
        *id = NULL;
        *drivers = xh_malloc(sizeof(char *));
        static const char *const names[] = {"gcc", "g++"};
        for (size_t i = 0; i < XH_ARRAY_SIZE(names); i++) {
                _cleanup_free_ char *p = xh_asprintf("/usr/bin/%s-%s", triplet, names[i]);
                _cleanup_free_ char *real = xh_resolve_in_root(tc, p);
                if (real && !xh_strv_contains(*drivers, real))
                        xh_strv_push(drivers, real);
        }
        if (!(*drivers)[0]) {
                xh_fail(err, ENOENT, "the toolchain layer %s has no %s-gcc", tc, triplet);
                return xh_hint(err, ENOENT, "recreate it with 'xhybrid create --force PROFILE'");
        }
        qsort(*drivers, xh_strv_len(*drivers), sizeof(char *), cmp_str);
        /* The drivers, then what ccache's key holds of the compiler (session paths). */
        _cleanup_strv_ char **files = xh_strv_copy(*drivers);
        _cleanup_strv_ char **parts = xh_cache_compiler_files(tc, triplet);
        size_t tl = strlen(XH_TOOLCHAIN_DIR);
        for (char **f = parts; *f; f++)
                xh_strv_push(&files, *f + tl);
        unsigned long long h = 0xcbf29ce484222325ULL;
        for (char **f = files; *f; f++) {
                h = (h ^ xh_hash64(*f)) * 1099511628211ULL;
                _cleanup_free_ char *host = xh_asprintf("%s%s", tc, *f);
                int r = hash_file(host, &h);
                if (r < 0) {
                        xh_fail(err, -r, "cannot read %s: %s", host, strerror(-r));
                        return xh_hint(err, -r,
                                       "the toolchain layer is damaged: recreate it with "
                                       "'xhybrid create --force PROFILE'");
                }
        }
        *id = xh_asprintf("%016llx", h);
        return 0;
}

char *xh_distcc_name(const char *id, const char *driver)
{
        const char *base = strrchr(driver, '/') ? strrchr(driver, '/') + 1 : driver;
        return xh_asprintf(XH_DISTCC_PREFIX "%s-%s", id, base);
}

int xh_distcc_check_layer(const char *tc, const char *profile, const char *prog, xh_error *err)
{
        _cleanup_free_ char *path = xh_asprintf("%s%s", tc, prog);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111))
                return 0;
        const char *name = strrchr(prog, '/') + 1;
        xh_fail(err, ENOENT, "the toolchain layer of profile '%s' has no %s (%s)", profile, name,
                path);
        return xh_hint(err, ENOENT,
                       "add distcc to the profile's [toolchain] packages (the default has it) "
                       "and run 'xhybrid create %s'",
                       profile);
}

/*
 * The namespace of serve: the toolchain layer as its root, read-only, the
 * cross libc hidden, a link xh-ID-DRIVER for each driver and their list in
 * XH_SERVE_DIR.
 */
static int serve_plan(const struct xh_serve_opts *o, const char *tc, const char *id,
                      char *const *drivers, struct xh_plan *plan, xh_error *err)
{
        const struct xh_arch *arch = xh_arch_by_debian(o->profile->arch);
        _cleanup_free_ char *staging = xh_asprintf("%s/mnt", o->store);
        _cleanup_strv_ char **links = xh_malloc(sizeof(char *));
        xh_buf list = {0};
        for (char *const *d = drivers; *d; d++) {
                _cleanup_free_ char *name = xh_distcc_name(id, *d);
                xh_strv_push(&links, name);
                xh_strv_push(&links, *d);
                xh_buf_addf(&list, "%s/%s\n", XH_SERVE_DIR, name);
        }
        _cleanup_strv_ char **hide = xh_malloc(sizeof(char *));
        if (arch) {
                xh_strv_pushf(&hide, "%s/include", arch->cross_libc);
                xh_strv_pushf(&hide, "%s/lib", arch->cross_libc);
        }
        struct xh_serve_spec spec = {
                .staging = staging,
                .toolchain = tc,
                .hide = (const char *const *)hide,
                .links = (const char *const *)links,
                .cmdlist = list.s ? list.s : "",
        };
        int r = xh_plan_serve(&spec, plan, err);
        xh_buf_free(&list);
        return r;
}

/* distccd's command line: foreground, logging to stderr, as nobody. */
static char **distccd_argv(const struct xh_serve_opts *o)
{
        char **v = xh_malloc(sizeof(char *));
        xh_strv_push(&v, XH_DISTCCD_PROG);
        xh_strv_push(&v, "--daemon");
        xh_strv_push(&v, "--no-detach");
        xh_strv_push(&v, "--log-stderr");
        xh_strv_push(&v, "--log-level");
        xh_strv_push(&v, o->verbose ? "debug" : "info");
        xh_strv_push(&v, "--user");
        xh_strv_push(&v, "nobody");
        xh_strv_push(&v, "--listen");
        xh_strv_push(&v, o->listen);
        xh_strv_pushf(&v, "--port=%u", o->port);
        if (o->jobs > 0)
                xh_strv_pushf(&v, "--jobs=%d", o->jobs);
        for (char *const *a = o->allow; a && *a; a++) {
                xh_strv_push(&v, "--allow");
                xh_strv_push(&v, *a);
        }
        return v;
}

int xh_serve(const struct xh_serve_opts *o, int *status, xh_error *err)
{
        *status = -1;
        const struct xh_profile *p = o->profile;
        int r;
        if ((r = xh_store_check(o->store, p, XH_TREE_TOOLCHAIN, false, err)) < 0)
                return r;
        _cleanup_close_ int lock_fd = -1;
        if ((r = xh_store_use_tree(o->store, p, XH_TREE_TOOLCHAIN, "start serve again", &lock_fd,
                                   err)) < 0 ||
            (r = xh_store_check(o->store, p, XH_TREE_TOOLCHAIN, true, err)) < 0)
                return r;
        _cleanup_free_ char *tc = xh_store_toolchain_rootfs(o->store, p);
        if ((r = xh_distcc_check_layer(tc, p->name, XH_DISTCCD_PROG, err)) < 0)
                return r;
        _cleanup_free_ char *id = NULL;
        _cleanup_strv_ char **drivers = NULL;
        if ((r = xh_distcc_compilers(tc, p->triplet, &id, &drivers, err)) < 0)
                return r;
        struct xh_plan plan;
        if ((r = serve_plan(o, tc, id, drivers, &plan, err)) < 0)
                return r;
        _cleanup_strv_ char **argv = distccd_argv(o);
        if (o->dry_run) {
                fprintf(o->dry_run_out, "# profile %s (%s), serve\n", p->name, p->origin);
                xh_plan_print(&plan, o->dry_run_out);
                fprintf(o->dry_run_out, "exec           ");
                for (char **a = argv; *a; a++)
                        fprintf(o->dry_run_out, " %s", *a);
                fprintf(o->dry_run_out, "\n");
                xh_plan_free(&plan);
                *status = 0;
                return 0;
        }
        _cleanup_free_ char *staging = xh_asprintf("%s/mnt", o->store);
        if ((r = xh_mkdir_p(staging, 0755)) < 0) {
                xh_plan_free(&plan);
                return xh_fail(err, -r, "%s: %s", staging, strerror(-r));
        }
        for (char **d = drivers; *d; d++) {
                _cleanup_free_ char *name = xh_distcc_name(id, *d);
                xh_note(o->notes, XH_NOTE_PROGRESS, "serving %s of profile '%s' as %s", *d, p->name,
                        name);
        }
        _cleanup_free_ char *allowed = xh_strv_join(o->allow, ", ");
        xh_note(o->notes, XH_NOTE_PROGRESS, "starting distccd on %s:%u for %s; stop it with Ctrl-C",
                o->listen, o->port, allowed);
        _cleanup_free_ char *cmdlist = xh_asprintf("DISTCC_CMDLIST=%s", XH_SERVE_CMDLIST);
        char *envp[] = {"PATH=/usr/bin:/bin",
                        "LANG=C.UTF-8",
                        "HOME=/tmp",
                        "TMPDIR=/tmp",
                        cmdlist,
                        "DISTCC_CMDLIST_NUMWORDS=1",
                        NULL};
        /* distccd's log goes where its standard error goes: the log file, when there is one. */
        int saved = -1;
        if (o->log_fd >= 0) {
                fflush(stderr);
                saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
                dup2(o->log_fd, STDERR_FILENO);
        }
        r = xh_ns_run_plan(&plan, argv, envp, NULL, status, err);
        if (saved >= 0) {
                dup2(saved, STDERR_FILENO);
                close(saved);
        }
        xh_plan_free(&plan);
        return r;
}
