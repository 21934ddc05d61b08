/* SPDX-License-Identifier: MIT */
/*
 * xhybrid entrypoint: the first program of a container of an image made by
 * 'xhybrid image'. It reads the image's identity (XH_IMAGE_CONF), finds an
 * emulator for the target's programs, and runs the command with the
 * target's identity as the caller:
 *
 *   1. a foreign program runs already (the host has a binfmt_misc entry for
 *      the target with the F flag, which works in every container): used;
 *   2. otherwise, where the container allows a user namespace, a private
 *      binfmt_misc instance in it registers the image's own qemu, as
 *      sessions do (Linux 6.7+); the host is never written;
 *   3. otherwise it fails before the command runs, with one message saying
 *      how to get either.
 *
 * In a user namespace the uname(2) supervisor of sessions answers native
 * programs with the target's machine; without one (case 1 in a container
 * that forbids it) native programs see the host's, and a warning says so.
 */
#include "session.h"
#include "emulator.h"
#include "overlay.h"

#include <errno.h>
#include <string.h>

int xh_entry_ids(const char *user, const char *env_uid, const char *env_gid, long *uid, long *gid,
                 xh_error *err)
{
        *uid = *gid = -1;
        const char *what = user ? "--user" : "BUILDER_UID";
        _cleanup_free_ char *u = user ? xh_strndup(user, strcspn(user, ":"))
                                      : (env_uid && *env_uid ? xh_strdup(env_uid) : NULL);
        _cleanup_free_ char *g =
                user ? (strchr(user, ':') ? xh_strdup(strchr(user, ':') + 1) : NULL)
                     : (env_gid && *env_gid ? xh_strdup(env_gid) : NULL);
        const char *gwhat = user ? "--user" : "BUILDER_GID";
        const struct {
                const char *text, *what;
                long *out;
        } ids[] = {{u, what, uid}, {g, gwhat, gid}};
        if (user && (!*u || (g && !*g))) {
                xh_fail(err, EINVAL, "--user '%s': expected UID or UID:GID", user);
                return xh_hint(err, EINVAL, "give numeric ids, e.g. --user $(id -u):$(id -g)");
        }
        for (size_t i = 0; i < XH_ARRAY_SIZE(ids); i++) {
                if (!ids[i].text)
                        continue;
                char *end = NULL;
                errno = 0;
                long v = strtol(ids[i].text, &end, 10);
                if (errno || !*ids[i].text || *end || v < 0 || v > 0xfffffffeL) {
                        xh_fail(err, EINVAL, "%s '%s': not a numeric id", ids[i].what, ids[i].text);
                        return xh_hint(err, EINVAL,
                                       "give numeric ids, e.g. -e BUILDER_UID=$(id -u) -e "
                                       "BUILDER_GID=$(id -g) or --user $(id -u):$(id -g)");
                }
                *ids[i].out = v;
        }
        /* A uid alone: its group of the same number, as the caller's usually is. */
        if (*uid >= 0 && *gid < 0)
                *gid = *uid;
        return 0;
}

/* The command's environment: the container's, with the session's identity where it has none. */
static char **entry_env(char *const *envp, const struct xh_image_conf *c)
{
        char **env = xh_strv_copy(envp);
        _cleanup_free_ char *prof = xh_asprintf("XHYBRID_PROFILE=%s", c->profile);
        _cleanup_free_ char *chroot = xh_asprintf("debian_chroot=%s", c->profile);
        const char *defaults[] = {
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                prof,
                "XHYBRID_MODE=hybrid",
                chroot,
        };
        for (size_t i = 0; i < XH_ARRAY_SIZE(defaults); i++) {
                size_t n = strcspn(defaults[i], "=") + 1;
                bool set = false;
                for (char **e = env; *e && !set; e++)
                        set = strncmp(*e, defaults[i], n) == 0;
                if (!set)
                        xh_strv_push(&env, defaults[i]);
        }
        return env;
}

/* Does a program of the target run here as it is? 0, or the -errno of its exec or failure. */
static int foreign_runs(const char *probe, xh_error *err)
{
        char *const argv[] = {(char *)probe, "--version", NULL};
        struct xh_spawn s = {.argv = argv, .quiet = true};
        return xh_spawn(&s, NULL, NULL, err);
}

int xh_entry_run(const struct xh_entry_opts *o, int *status, xh_error *err)
{
        *status = -1;
        _cleanup_free_ char *text = NULL;
        int r = xh_read_file(o->conf, &text, NULL);
        if (r < 0) {
                xh_fail(err, -r, "%s: %s", o->conf, strerror(-r));
                return xh_hint(err, -r,
                               "xhybrid entrypoint runs inside an image made by 'xhybrid image'");
        }
        struct xh_image_conf c;
        if ((r = xh_image_conf_parse(text, o->conf, &c, err)) < 0)
                return r;
        const struct xh_arch *arch = xh_arch_by_debian(c.arch);
        _cleanup_strv_ char **env = entry_env(o->envp, &c);

        xh_error host = {0};
        bool host_runs = foreign_runs(c.probe, &host) == 0;
        struct xh_plan plan = {0};
        r = 0;
        if (host_runs) {
                /* Namespaces with nothing to mount: the supervisor needs them. */
                XH_INFO("%s programs run through the host's binfmt_misc entry", c.arch);
        } else {
                _cleanup_free_ char *rule =
                        xh_binfmt_rule(arch, "xhybrid", c.emulator, c.emulator_flags);
                _cleanup_free_ char *reg = xh_asprintf("%s/register", XH_IMAGE_BINFMT);
                if (!rule) {
                        xh_error_clear(&host);
                        xh_image_conf_clear(&c);
                        return xh_fail(err, EINVAL, "%s: no binfmt_misc rule for emulator %s",
                                       o->conf, c.emulator);
                }
                /* A plan of its own: the private instance at the image's mount point. */
                struct xh_plan p = {0};
                r = xh_plan_host_binfmt(rule, &p, err);
                for (size_t i = 0; r == 0 && i < p.n; i++) {
                        if (p.ops[i].kind == XH_OP_PROC)
                                continue; /* the container's /proc stays: a new one is refused */
                        plan.ops = xh_realloc(plan.ops, (plan.n + 1) * sizeof(*plan.ops));
                        plan.ops[plan.n] = p.ops[i];
                        if (p.ops[i].kind == XH_OP_BINFMT) {
                                free(plan.ops[plan.n].dst);
                                plan.ops[plan.n].dst = xh_strdup(XH_IMAGE_BINFMT);
                        } else if (p.ops[i].kind == XH_OP_BINFMT_REGISTER) {
                                free(plan.ops[plan.n].dst);
                                plan.ops[plan.n].dst = xh_strdup(reg);
                        }
                        p.ops[i] = (struct xh_op){0};
                        plan.n++;
                }
                xh_plan_free(&p);
        }
        if (r == 0)
                r = xh_ns_run_entry(&plan, o->argv, env, arch->uname, o->uid, o->gid, status, err);
        xh_plan_free(&plan);
        if (r < 0 && *status == -1 && !host_runs) {
                _cleanup_free_ char *why = xh_strdup(err->msg ? err->msg : "unknown error");
                xh_error_clear(err);
                xh_fail(err, ENOEXEC,
                        "no emulator for %s programs here: the host has no binfmt_misc entry for "
                        "them (%s: %s), and none could be registered in a user namespace of the "
                        "container (%s)",
                        c.arch, c.probe, host.msg ? host.msg : "it does not run", why);
                xh_hint(err, ENOEXEC,
                        "either register an entry on the host with the F flag (Debian: "
                        "apt-get install qemu-user-static binfmt-support), or let the container "
                        "make user namespaces (Linux 6.7 or later; podman allows them, docker "
                        "with --security-opt seccomp=unconfined --security-opt "
                        "apparmor=unconfined)");
                r = -ENOEXEC;
        } else if (r < 0 && *status == -1 && host_runs) {
                /* No user namespace here: run without one, and without the uname answer. */
                xh_note(o->notes, XH_NOTE_WARNING,
                        "native programs see the host's machine: this container allows no user "
                        "namespace for the uname supervisor (%s)",
                        err->msg ? err->msg : "?");
                xh_error_clear(err);
                r = xh_ns_run_entry(NULL, o->argv, env, NULL, o->uid, o->gid, status, err);
        }
        xh_error_clear(&host);
        xh_image_conf_clear(&c);
        return r;
}
