/* SPDX-License-Identifier: MIT */
/* xhybrid deb PROFILE SOURCE: a Debian source's packages built in a throwaway session. */
#include "bench.h"
#include "cli.h"

/* Notes end the progress line first. */
static void print_note(void *ctx, enum xh_note_kind kind, const char *msg)
{
        if (isatty(STDERR_FILENO))
                fprintf(stderr, "\r\033[K");
        xh_cli_notes.fn(xh_cli_notes.ctx, kind, msg);
}

int xh_cmd_deb(const struct xh_args *a)
{
        const struct xh_notes notes = {.fn = print_note};
        struct xh_deb_opts o = {
                .profile = a->profile,
                .store = a->store,
                .source = a->source,
                .outdir = a->outdir,
                .emulated = a->emulated,
                .env = a->env,
                .options = a->rest,
                .notes = &notes,
                .tick = xh_cli_show_progress,
        };
        struct xh_deb_result res;
        xh_error err = {0};
        int r = xh_deb_build(&o, &res, &err);
        if (isatty(STDERR_FILENO))
                fprintf(stderr, "\r\033[K");
        if (r < 0) {
                xh_deb_result_clear(&res);
                return xh_cli_fail(&err, XH_EXIT_ERROR);
        }
        printf("%s %s for %s (%s): dpkg-buildpackage exit status %d\n", res.name, res.version,
               a->profile, a->emulated ? "emulated" : "hybrid", res.status);
        for (int ph = 0; ph < XH_DEB_PHASES; ph++)
                printf("  %-13s %8.1f s\n", xh_deb_phase_name(ph), res.seconds[ph]);
        for (char **f = res.files; *f; f++)
                printf("  %s\n", *f);
        printf("  %s (build log)\n", res.log);
        int status = res.status;
        xh_deb_result_clear(&res);
        return status;
}
