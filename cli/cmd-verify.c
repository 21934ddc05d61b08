/* SPDX-License-Identifier: MIT */
/*
 * xhybrid verify PROFILE SOURCE: the same build emulated and hybrid, compared;
 * with --deb, the Debian packages of SOURCE built both ways and compared.
 */
#include "bench.h"
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Notes end the progress line first. */
static void print_note(void *ctx, enum xh_note_kind kind, const char *msg)
{
        if (isatty(STDERR_FILENO))
                fprintf(stderr, "\r\033[K");
        xh_cli_notes.fn(xh_cli_notes.ctx, kind, msg);
}

static int verify_deb(const struct xh_args *a)
{
        const struct xh_notes notes = {.fn = print_note};
        static const char *const modes[2] = {"emulated", "hybrid"};
        const char *dir = a->outdir ? a->outdir : ".";
        struct xh_deb_result res[2] = {0};
        char *out[2] = {xh_asprintf("%s/emulated", dir), xh_asprintf("%s/hybrid", dir)};
        xh_error err = {0};
        int rc = XH_EXIT_OK;
        for (int i = 0; i < 2 && rc == XH_EXIT_OK; i++) {
                /* Last time's packages would be compared with this time's. */
                if (xh_rm_rf(out[i]) < 0) {
                        xh_say("verify: cannot empty %s: %s", out[i], strerror(errno));
                        rc = XH_EXIT_ERROR;
                        break;
                }
                struct xh_deb_opts o = {
                        .profile = a->profile,
                        .store = a->store,
                        .source = a->source,
                        .outdir = out[i],
                        .emulated = i == 0,
                        .env = a->env,
                        .notes = &notes,
                        .tick = xh_cli_show_progress,
                };
                xh_say("verify: building %s for %s, %s, into %s", a->source, a->profile, modes[i],
                       out[i]);
                int r = xh_deb_build(&o, &res[i], &err);
                if (isatty(STDERR_FILENO))
                        fprintf(stderr, "\r\033[K");
                if (r < 0) {
                        rc = xh_cli_fail(&err, XH_EXIT_ERROR);
                } else if (res[i].status != 0) {
                        xh_say("verify: the %s build failed (dpkg-buildpackage exit status %d); "
                               "see %s",
                               modes[i], res[i].status, res[i].log);
                        rc = XH_EXIT_FAIL;
                }
        }
        struct xh_compare cmp = {0};
        if (rc == XH_EXIT_OK && xh_compare_debs(out[0], out[1], a->strict, &cmp, &err) < 0)
                rc = xh_cli_fail(&err, XH_EXIT_ERROR);
        if (rc == XH_EXIT_OK) {
                size_t ndiff = xh_strv_len(cmp.differences);
                printf("verify --deb %s %s on %s\n", res[1].name, res[1].version, a->profile);
                for (char **d = cmp.differences; *d; d++)
                        printf("  DIFF %s\n", *d);
                _cleanup_free_ char *summary = xh_compare_summary(&cmp);
                printf("  %s: %zu difference%s\n", summary, ndiff, ndiff == 1 ? "" : "s");
                for (int i = 0; i < 2; i++)
                        printf("  %-8s dependencies %.1f s, build %.1f s (%s)\n", modes[i],
                               res[i].seconds[XH_DEB_DEPENDENCIES], res[i].seconds[XH_DEB_BUILD],
                               out[i]);
                printf("%s\n", ndiff ? "DIFFERENT" : "IDENTICAL");
                if (ndiff)
                        rc = XH_EXIT_FAIL;
        }
        xh_compare_clear(&cmp);
        for (int i = 0; i < 2; i++) {
                xh_deb_result_clear(&res[i]);
                free(out[i]);
        }
        return rc;
}

int xh_cmd_verify(const struct xh_args *a)
{
        if (a->deb)
                return verify_deb(a);
        if (xh_cli_check_output("--json", a->json) < 0)
                return XH_EXIT_USAGE;
        struct xh_bench_setup su;
        if (xh_cli_open_setup(a, "verify", true, &su) < 0)
                return XH_EXIT_ERROR;
        const struct xh_profile *p = su.p;
        const char *store = su.store, *work = su.work, *logs = su.logs, *base = su.base;
        struct xh_source *srcp = &su.src;
        xh_error err = {0};

        struct xh_gcc_facts gcc;
        if (xh_toolchain_gcc_facts(p, store, &gcc, &err) < 0) {
                xh_bench_setup_close(&su);
                return xh_cli_fail(&err, XH_EXIT_ERROR);
        }
        struct xh_verify_mode vm[2] = {{"emulated", 0, -1, false}, {"hybrid", 0, -1, false}};
        struct xh_bench_commands c = {0};
        int rc = XH_EXIT_OK;
        for (int i = 0; i < 2 && rc == XH_EXIT_OK; i++) {
                _cleanup_free_ char *keep = xh_asprintf("%s/%s", base, vm[i].name);
                _cleanup_free_ char *keyfile = xh_asprintf("%s.key", keep);
                _cleanup_free_ char *statusfile = xh_asprintf("%s.check", keep);
                _cleanup_free_ char *log = xh_asprintf("%s/%s.log", logs, vm[i].name);
                unlink(log);
                if (xh_source_unpack(srcp, work, log, &err) < 0) {
                        rc = xh_cli_fail(&err, XH_EXIT_ERROR);
                        break;
                }
                xh_bench_commands_clear(&c);
                xh_bench_commands_for(a->configure_cmd, a->build_cmd, p, work, vm[i].name, &c);
                _cleanup_free_ char *key = xh_verify_key(p, store, srcp, &c, a->check_cmd);
                if (i == 0 && a->reuse_emulated) {
                        _cleanup_free_ char *old = NULL;
                        _cleanup_free_ char *status = NULL;
                        if (xh_read_file(keyfile, &old, NULL) == 0 && strcmp(old, key) == 0 &&
                            xh_is_dir(keep) && xh_read_file(statusfile, &status, NULL) == 0) {
                                xh_say("reusing the emulated build in %s", keep);
                                vm[i].reused = true;
                                vm[i].check_status = atoi(status);
                                continue;
                        }
                }
                const char *cmds[3] = {c.configure, c.build, a->check_cmd};
                static const char *const names[3] = {"configure", "build", "check"};
                double t0 = xh_now();
                for (int ph = 0; ph < 3; ph++) {
                        if (!cmds[ph])
                                continue;
                        _cleanup_free_ char *label =
                                xh_asprintf("[%s] %-9s", vm[i].name, names[ph]);
                        struct xh_bench_job j = {.p = p,
                                                 .store = store,
                                                 .mode = vm[i].name,
                                                 .cmd = cmds[ph],
                                                 .cwd = work,
                                                 .log = log,
                                                 .label = label,
                                                 .tick = xh_cli_show_progress};
                        double secs = 0;
                        int st = xh_cli_run_phase(&j, &secs);
                        if (ph == 2) {
                                vm[i].check_status = st;
                        } else if (st != 0) {
                                xh_say("verify: %s %s failed (status %d); see %s", vm[i].name,
                                       names[ph], st, log);
                                rc = XH_EXIT_FAIL;
                                break;
                        }
                }
                vm[i].seconds = xh_now() - t0;
                if (rc != XH_EXIT_OK)
                        break;
                xh_rm_rf(keep);
                unlink(keyfile);
                if (rename(work, keep) < 0) {
                        xh_say("rename %s: %s", work, strerror(errno));
                        rc = XH_EXIT_ERROR;
                        break;
                }
                _cleanup_free_ char *status = xh_asprintf("%d\n", vm[i].check_status);
                xh_write_file(statusfile, status, strlen(status), 0644);
                if (i == 0)
                        xh_write_file(keyfile, key, strlen(key), 0644);
        }
        if (rc != XH_EXIT_OK) {
                xh_gcc_facts_clear(&gcc);
                xh_bench_commands_clear(&c);
                xh_bench_setup_close(&su);
                return rc;
        }

        _cleanup_free_ char *em = xh_asprintf("%s/emulated", base);
        _cleanup_free_ char *hy = xh_asprintf("%s/hybrid", base);
        struct xh_compare cmp;
        if (xh_compare_trees(em, hy, a->strict, &cmp, &err) < 0) {
                xh_gcc_facts_clear(&gcc);
                xh_bench_commands_clear(&c);
                xh_bench_setup_close(&su);
                return xh_cli_fail(&err, XH_EXIT_ERROR);
        }
        bool same_check = vm[0].check_status == vm[1].check_status;
        size_t ndiff = xh_strv_len(cmp.differences);
        bool identical = ndiff == 0 && same_check;
        printf("verify %s on %s (built at %s)\n", a->source, p->name, work);
        for (char **d = cmp.differences; *d; d++)
                printf("  DIFF %s\n", *d);
        _cleanup_free_ char *summary = xh_compare_summary(&cmp);
        printf("  %s: %zu difference%s\n", summary, ndiff, ndiff == 1 ? "" : "s");
        if (a->check_cmd)
                printf("  check '%s': emulated status %d, hybrid status %d%s\n", a->check_cmd,
                       vm[0].check_status, vm[1].check_status, same_check ? "" : "  DIFFERENT");
        printf("  emulated %.1f s%s, hybrid %.1f s\n", vm[0].seconds,
               vm[0].reused ? " (reused)" : "", vm[1].seconds);
        printf("  gcc: target %s, toolchain layer %s; the hybrid ran %s\n",
               gcc.target ? gcc.target : "?", gcc.cross ? gcc.cross : "?",
               gcc.decision ? gcc.decision : "?");
        printf("%s\n", identical ? "IDENTICAL" : "DIFFERENT");
        struct xh_verify_result vr = {
                .profile = p->name,
                .source = a->source,
                .configure_cmd = c.configure,
                .build_cmd = c.build,
                .check_cmd = a->check_cmd,
                .target_gcc = gcc.target,
                .cross_gcc = gcc.cross,
                .gcc_decision = gcc.decision,
                .identical = identical,
                .cmp = &cmp,
                .modes = {vm[0], vm[1]},
        };
        FILE *f;
        if (a->json && (!(f = xh_cli_open_report(a->json)) ||
                        xh_cli_close_report(a->json, f, xh_verify_write_json(&vr, f)) < 0))
                rc = XH_EXIT_ERROR;
        xh_compare_clear(&cmp);
        xh_gcc_facts_clear(&gcc);
        xh_bench_commands_clear(&c);
        xh_bench_setup_close(&su);
        if (rc == XH_EXIT_OK && !identical)
                rc = XH_EXIT_FAIL;
        return rc;
}
