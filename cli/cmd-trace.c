/* SPDX-License-Identifier: MIT */
/* xhybrid trace summary FILE: what ran where in a traced session, and what it cost. */
#include "cli.h"
#include "trace.h"

#include <errno.h>
#include <string.h>
#include <sys/wait.h>

static void print_status(int status)
{
        if (WIFSIGNALED(status))
                printf("signal %d", WTERMSIG(status));
        else
                printf("exit %d", WEXITSTATUS(status));
}

static void print_summary(const char *file, const struct xh_trace *t,
                          const struct xh_trace_summary *s)
{
        printf("trace %s", file);
        if (t->profile && *t->profile)
                printf(" (profile %s)", t->profile);
        printf(": %zu execs:", s->execs);
        for (int i = 0; i < XH_TRACE_NSTRATEGIES; i++)
                printf("%s %zu %s", i ? "," : "", s->per_strategy[i],
                       xh_trace_strategy_name((enum xh_trace_strategy)i));
        printf("\n");
        if (s->wall_estimated)
                printf("wall time  %.2f s (no session record: from the first exec's start to the "
                       "last one's end)\n",
                       s->wall);
        else {
                printf("wall time  %.2f s (", s->wall);
                print_status(t->status);
                printf(")\n");
        }
        printf("emulated   %.2f s of the wall time, %.1f %% (summed over %zu execs: %.2f s)\n",
               s->emulated_wall, 100.0 * s->emulated_share,
               s->per_strategy[XH_TRACE_EMULATED] + s->per_strategy[XH_TRACE_FALLBACK],
               s->emulated_sum);
        printf("\n%7s %10s  %-9s %s\n", "count", "total s", "strategy", "tool");
        for (size_t i = 0; i < s->n; i++) {
                const struct xh_trace_row *r = &s->rows[i];
                printf("%7zu %10.3f  %-9s %s", r->count, r->total,
                       xh_trace_strategy_name(r->strategy), r->tool);
                if (r->why && *r->why)
                        printf(" (%s)", r->why);
                printf("\n");
        }
}

int xh_cmd_trace(const struct xh_args *a)
{
        const char *file = a->rest[0];
        xh_error err = {0};
        _cleanup_free_ char *text = NULL;
        int r = xh_read_file(file, &text, NULL);
        if (r < 0) {
                xh_fail(&err, -r, "cannot read the trace file %s: %s", file, strerror(-r));
                xh_hint(&err, -r, "give the file that 'xhybrid run --trace FILE' wrote");
                return xh_cli_fail(&err, XH_EXIT_ERROR);
        }
        struct xh_trace t;
        if (xh_trace_parse(text, file, &t, &err) < 0)
                return xh_cli_fail(&err, XH_EXIT_ERROR);
        struct xh_trace_summary s;
        xh_trace_summarize(&t, &s);
        print_summary(file, &t, &s);
        xh_trace_summary_clear(&s);
        xh_trace_clear(&t);
        return XH_EXIT_OK;
}
