/* SPDX-License-Identifier: MIT */
/* xhybrid cache stats PROFILE and xhybrid cache clear PROFILE: the compile cache. */
#include "cli.h"

#include <string.h>

/* A size given in KiB, as people read it. */
static void print_size(const char *label, unsigned long long kib)
{
        static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
        double v = (double)kib;
        size_t u = 0;
        while (v >= 1024 && u + 1 < XH_ARRAY_SIZE(units)) {
                v /= 1024;
                u++;
        }
        printf("%-11s %.1f %s\n", label, v, units[u]);
}

static void print_stats(const char *profile, const struct xh_cache_stats *s)
{
        printf("%-11s %s\n", "profile", profile);
        printf("%-11s %s%s\n", "cache", s->dir, s->exists ? "" : " (not made yet)");
        unsigned long long compiles = s->hits + s->misses;
        printf("%-11s %llu\n", "hits", s->hits);
        printf("%-11s %llu\n", "misses", s->misses);
        if (compiles)
                printf("%-11s %.1f %%\n", "hit rate", 100.0 * (double)s->hits / (double)compiles);
        else
                printf("%-11s -\n", "hit rate");
        printf("%-11s %llu\n", "failed", s->failed);
        /* The shim runs links and -E without ccache: these count what reached it all the same. */
        printf("%-11s %llu\n", "uncacheable", s->links + s->preprocess + s->other);
        printf("%-11s %llu\n", "files", s->files);
        print_size("size", s->size_kib);
        if (s->max_kib)
                print_size("limit", s->max_kib);
}

int xh_cmd_cache(const struct xh_args *a)
{
        xh_error err = {0};
        _cleanup_profile_ struct xh_profile *p = NULL;
        if (xh_cli_load_profile(a->profile, &p, &err) < 0)
                return xh_cli_fail(&err, XH_EXIT_ERROR);
        _cleanup_free_ char *store = xh_store_dir(a->store);
        struct xh_cache_stats s = {0};
        if (strcmp(a->subcommand, "stats") == 0) {
                if (xh_cache_stats(store, p, NULL, &s, &err) < 0)
                        return xh_cli_fail(&err, XH_EXIT_ERROR);
                print_stats(p->name, &s);
                xh_cache_stats_clear(&s);
                return XH_EXIT_OK;
        }
        if (xh_cache_clear(store, p, &s, &err) < 0)
                return xh_cli_fail(&err, XH_EXIT_ERROR);
        if (s.exists)
                xh_say("cleared the compile cache of profile '%s' (%s): %llu file%s, %.1f MiB",
                       p->name, s.dir, s.files, s.files == 1 ? "" : "s", (double)s.size_kib / 1024);
        else
                xh_say("the compile cache of profile '%s' (%s) is not made yet: nothing to clear",
                       p->name, s.dir);
        xh_cache_stats_clear(&s);
        return XH_EXIT_OK;
}
