/* SPDX-License-Identifier: MIT */
/* What the bench and verify commands share: setup, phases on the terminal, report files. */
#include "bench.h"
#include "cli.h"

#include <errno.h>
#include <string.h>

/* The live progress line of a phase on a terminal. */
void xh_cli_show_progress(void *ctx, const char *label, double secs)
{
        if (!isatty(STDERR_FILENO))
                return;
        fprintf(stderr, "\r\033[K%s  %.1f s", label, secs);
        fflush(stderr);
}

int xh_cli_run_phase(const struct xh_bench_job *j, double *secs)
{
        int rc = xh_bench_run_phase(j, secs);
        if (isatty(STDERR_FILENO))
                fprintf(stderr, "\r\033[K");
        fprintf(stderr, "%s  %.2f s%s\n", j->label, *secs, rc == 0 ? "" : "  FAILED");
        return rc;
}

int xh_cli_open_setup(const struct xh_args *a, const char *kind, bool need_toolchain,
                      struct xh_bench_setup *s)
{
        struct xh_bench_setup_opts o = {
                .profile = a->profile,
                .store = a->store,
                .source = a->source,
                .kind = kind,
                .need_toolchain = need_toolchain,
                .skip_patches = a->skip_patches,
                .notes = &xh_cli_notes,
        };
        xh_error err = {0};
        if (xh_bench_setup_open(&o, s, &err) < 0)
                return xh_cli_fail(&err, -1);
        return 0;
}

FILE *xh_cli_open_report(const char *path)
{
        FILE *f = fopen(path, "we");
        if (!f)
                xh_say("%s: %s", path, strerror(errno));
        return f;
}

int xh_cli_close_report(const char *path, FILE *f, int rc)
{
        if (fclose(f) != 0 && rc == 0)
                rc = -errno;
        if (rc < 0)
                xh_say("%s: %s", path, strerror(-rc));
        else
                xh_say("wrote %s", path);
        return rc;
}
