/* SPDX-License-Identifier: MIT */
#include "cli.h"

#include <string.h>

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

        int rc;
        switch (a.cmd) {
        case XH_CMD_HELP:
                fputs(xh_usage(), stdout);
                rc = XH_EXIT_OK;
                break;
        case XH_CMD_VERSION:
                printf("xhybrid %s\n", XH_VERSION);
                rc = XH_EXIT_OK;
                break;
        case XH_CMD_CREATE:
                rc = xh_cmd_create(&a);
                break;
        case XH_CMD_RUN:
        case XH_CMD_ENTER:
                rc = xh_cmd_run(&a);
                break;
        case XH_CMD_PROFILES:
                rc = xh_cmd_profiles(&a);
                break;
        case XH_CMD_DOCTOR:
                rc = xh_cmd_doctor(&a);
                break;
        case XH_CMD_ELF:
                rc = xh_cmd_elf(&a);
                break;
        case XH_CMD_COMPARE:
                rc = xh_cmd_compare(&a);
                break;
        case XH_CMD_BENCH:
                rc = xh_cmd_bench(&a);
                break;
        case XH_CMD_VERIFY:
                rc = xh_cmd_verify(&a);
                break;
        default:
                fputs(xh_usage(), stderr);
                rc = XH_EXIT_USAGE;
                break;
        }
        xh_args_free(&a);
        return rc;
}
