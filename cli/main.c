/* SPDX-License-Identifier: MIT */
#include "cli.h"

int main(int argc, char **argv)
{
        struct xh_args a;
        xh_error err = {0};
        const char *lvl = getenv("XHYBRID_LOG");
        if (lvl && *lvl)
                xh_log_level = atoi(lvl);
        if (xh_args_parse(argc, argv, &a, &err) < 0) {
                xh_print_error(&err);
                fprintf(stderr, "%s", xh_usage());
                xh_error_clear(&err);
                xh_args_free(&a);
                return XH_EXIT_USAGE;
        }
        if (a.verbose > xh_log_level)
                xh_log_level = a.verbose;
        int rc = a.run(&a);
        xh_args_free(&a);
        return rc;
}
