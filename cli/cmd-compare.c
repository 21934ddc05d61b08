/* SPDX-License-Identifier: MIT */
/*
 * xhybrid compare A B: two build trees, entry by entry and ELF section by
 * section; with --deb, the Debian packages of two builds.
 */
#include "bench.h"
#include "cli.h"

#include <errno.h>

int xh_cmd_compare(const struct xh_args *a)
{
        struct xh_compare c;
        xh_error err = {0};
        int r = a->deb ? xh_compare_debs(a->rest[0], a->rest[1], a->strict, &c, &err)
                       : xh_compare_trees(a->rest[0], a->rest[1], a->strict, &c, &err);
        if (r < 0 && a->deb && (r == -EINVAL || r == -ENOENT || r == -ENOTDIR)) {
                /* A side that is not a package or a directory of them is a usage error. */
                xh_say("compare: %s", err.msg);
                xh_say("hint: compare --deb takes two Debian packages or two directories of "
                       "them: xhybrid compare --deb [--strict] A B");
                xh_error_clear(&err);
                return XH_EXIT_USAGE;
        }
        if (r < 0 && a->deb)
                return xh_cli_fail(&err, XH_EXIT_ERROR);
        if (r < 0) {
                /* The trees are the arguments: what is wrong with them is a usage error. */
                xh_say("compare: %s", err.msg);
                xh_say("hint: compare takes two directories: xhybrid compare [--strict] DIR_A "
                       "DIR_B");
                xh_error_clear(&err);
                return XH_EXIT_USAGE;
        }
        for (char **d = c.differences; *d; d++)
                printf("DIFF %s\n", *d);
        size_t n = xh_strv_len(c.differences);
        _cleanup_free_ char *summary = xh_compare_summary(&c);
        printf("%s: %s; %zu difference%s\n", n ? "DIFFERENT" : "IDENTICAL", summary, n,
               n == 1 ? "" : "s");
        xh_compare_clear(&c);
        return n ? XH_EXIT_FAIL : XH_EXIT_OK;
}
