/* SPDX-License-Identifier: MIT */
/* xhybrid bench PROFILE SOURCE: configure and build timed in each mode. */
#include "bench.h"
#include "cli.h"

#include <errno.h>
#include <string.h>

static const char *const phase_names[XH_PHASES] = {"configure", "build"};

static bool is_cached(const char *mode)
{
        return strcmp(mode, "cache-cold") == 0 || strcmp(mode, "cache-warm") == 0;
}

/* The hits and misses of the bench's cache (all zero when it has no counters yet). */
static void cache_counts(const struct xh_bench_setup *su, const char *dir, unsigned long long *hits,
                         unsigned long long *misses)
{
        struct xh_cache_stats s;
        xh_error err = {0};
        *hits = *misses = 0;
        if (xh_cache_stats(su->store, su->p, dir, &s, &err) < 0) {
                xh_print_error(&err);
                xh_error_clear(&err);
                return;
        }
        *hits = s.hits;
        *misses = s.misses;
        xh_cache_stats_clear(&s);
}

int xh_cmd_bench(const struct xh_args *a)
{
        _cleanup_strv_ char **modes =
                xh_strv_split(a->modes ? a->modes : "emulated,hybrid,native-cross", ", ");
        static const char *const known[] = {"emulated",   "hybrid",     "hybrid-stock",
                                            "cache-cold", "cache-warm", "native-cross"};
        bool need_tc = false, cold = false;
        for (char **m = modes; *m; m++) {
                bool ok = false;
                for (size_t k = 0; k < XH_ARRAY_SIZE(known); k++)
                        ok |= strcmp(*m, known[k]) == 0;
                if (!ok) {
                        xh_say("bench: unknown mode '%s' (known: emulated, hybrid, hybrid-stock, "
                               "cache-cold, cache-warm, native-cross)",
                               *m);
                        return XH_EXIT_USAGE;
                }
                if (xh_strv_contains(modes + (m - modes) + 1, *m)) {
                        xh_say("bench: mode '%s' given twice", *m);
                        return XH_EXIT_USAGE;
                }
                if (strcmp(*m, "cache-warm") == 0 && !cold) {
                        xh_say("bench: cache-warm rebuilds from what cache-cold stores in the "
                               "same run: give cache-cold before it in --modes");
                        return XH_EXIT_USAGE;
                }
                cold |= strcmp(*m, "cache-cold") == 0;
                need_tc |= strcmp(*m, "emulated") != 0;
        }
        if (!modes[0]) {
                xh_say("bench: no mode given");
                return XH_EXIT_USAGE;
        }
        if (xh_cli_check_output("--json", a->json) < 0 ||
            xh_cli_check_output("--markdown", a->markdown) < 0 ||
            xh_cli_check_output("--svg", a->svg) < 0)
                return XH_EXIT_USAGE;
        struct xh_bench_setup su;
        if (xh_cli_open_setup(a, "bench", need_tc, &su) < 0)
                return XH_EXIT_ERROR;
        const struct xh_profile *p = su.p;
        const char *store = su.store, *work = su.work, *logs = su.logs;
        struct xh_source *srcp = &su.src;
        xh_error err = {0};
        xh_rm_rf(logs);
        xh_mkdir_p(logs, 0755);
        /* The bench's own compile cache, never the profile's: emptied for each cold run. */
        _cleanup_free_ char *cache = xh_asprintf("%s/ccache", su.base);

        struct xh_bench_result res = {
                .profile = xh_strdup(p->name),
                .source = xh_strdup(a->source),
                .runs = a->runs,
                .nmodes = xh_strv_len(modes),
        };
        res.modes = xh_malloc(res.nmodes * sizeof(*res.modes));
        for (size_t m = 0; m < res.nmodes; m++)
                for (size_t k = 0; k < XH_ARRAY_SIZE(known); k++)
                        if (strcmp(modes[m], known[k]) == 0)
                                res.modes[m].name = known[k];
        if (xh_bench_machine_facts(p, store, &res.machine, &err) < 0) {
                xh_bench_result_clear(&res);
                xh_bench_setup_close(&su);
                return xh_cli_fail(&err, XH_EXIT_ERROR);
        }
        xh_say("bench %s on %s: %d run%s of %s in %s", a->source, p->name, a->runs,
               a->runs == 1 ? "" : "s", modes[0] ? "each mode" : "", work);

        int failed = 0;
        /* Modes alternate within each run, so that drift affects all alike. */
        for (int run = 1; run <= a->runs; run++) {
                for (size_t m = 0; m < res.nmodes; m++) {
                        struct xh_bench_mode *bm = &res.modes[m];
                        _cleanup_free_ char *log = xh_asprintf("%s/%s-%d.log", logs, bm->name, run);
                        if (xh_source_unpack(srcp, work, log, &err) < 0) {
                                xh_print_error(&err);
                                xh_error_clear(&err);
                                failed++;
                                continue;
                        }
                        struct xh_bench_commands c;
                        xh_bench_commands_for(a->configure_cmd, a->build_cmd, p, work, bm->name,
                                              &c);
                        if (run == 1 && m == 0) {
                                free(res.configure_cmd);
                                free(res.build_cmd);
                                res.configure_cmd = xh_strdup(c.configure);
                                res.build_cmd = xh_strdup(c.build);
                        }
                        bm->skipped = c.configure == NULL;
                        bm->cached = is_cached(bm->name);
                        if (strcmp(bm->name, "cache-cold") == 0)
                                xh_rm_rf(cache);
                        unsigned long long h0 = 0, m0 = 0, h1, m1;
                        if (bm->cached)
                                cache_counts(&su, cache, &h0, &m0);
                        const char *cmds[XH_PHASES] = {c.configure, c.build};
                        for (int ph = 0; ph < XH_PHASES; ph++) {
                                if (!cmds[ph])
                                        continue;
                                _cleanup_free_ char *label =
                                        xh_asprintf("[run %d/%d] %-12s %-9s", run, a->runs,
                                                    bm->name, phase_names[ph]);
                                struct xh_bench_job j = {.p = p,
                                                         .store = store,
                                                         .mode = bm->name,
                                                         .cache_dir = bm->cached ? cache : NULL,
                                                         .cmd = cmds[ph],
                                                         .cwd = work,
                                                         .log = log,
                                                         .label = label,
                                                         .tick = xh_cli_show_progress};
                                double secs = 0;
                                int rc = xh_cli_run_phase(&j, &secs);
                                if (rc != 0) {
                                        bm->phases[ph].failures++;
                                        failed++;
                                        /* Totals pair the phases of one run: drop its configure. */
                                        if (ph == XH_PHASE_BUILD && cmds[XH_PHASE_CONFIGURE])
                                                bm->phases[XH_PHASE_CONFIGURE].n--;
                                        xh_say("%s failed (status %d); see %s", phase_names[ph], rc,
                                               log);
                                        break;
                                }
                                xh_bench_push_time(&bm->phases[ph], secs);
                        }
                        if (bm->cached) {
                                cache_counts(&su, cache, &h1, &m1);
                                bm->hits += h1 - h0;
                                bm->misses += m1 - m0;
                        }
                        xh_bench_commands_clear(&c);
                }
        }
        putchar('\n');
        xh_bench_print_table(&res, stdout);
        fflush(stdout);
        int rc = failed ? XH_EXIT_FAIL : XH_EXIT_OK;
        FILE *f;
        if (a->json && (!(f = xh_cli_open_report(a->json)) ||
                        xh_cli_close_report(a->json, f, xh_bench_write_json(&res, f)) < 0))
                rc = XH_EXIT_ERROR;
        if (a->markdown &&
            (!(f = xh_cli_open_report(a->markdown)) ||
             xh_cli_close_report(a->markdown, f, xh_bench_write_markdown(&res, f)) < 0))
                rc = XH_EXIT_ERROR;
        if (a->svg && (!(f = xh_cli_open_report(a->svg)) ||
                       xh_cli_close_report(a->svg, f, xh_bench_write_svg(&res, f)) < 0))
                rc = XH_EXIT_ERROR;
        if (failed)
                xh_say("%d step%s failed; logs in %s", failed, failed == 1 ? "" : "s", logs);
        xh_bench_result_clear(&res);
        xh_bench_setup_close(&su);
        return rc;
}
