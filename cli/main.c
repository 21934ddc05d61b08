/* SPDX-License-Identifier: MIT */
#include "cli.h"

#include <fcntl.h>

/*
 * Standard input, output and error open whatever the caller closed: a
 * closed fd 0 would otherwise be the next file opened (the binfmt_misc O flag
 * hands an emulated program's binary to qemu on a new fd).
 */
static void keep_std_fds(void)
{
        for (int fd = 0; fd < 3; fd++)
                if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", fd ? O_WRONLY : O_RDONLY) != fd)
                        _exit(XH_EXIT_ERROR);
}

int main(int argc, char **argv)
{
        keep_std_fds();
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
