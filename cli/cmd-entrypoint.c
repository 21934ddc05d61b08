/* SPDX-License-Identifier: MIT */
/* xhybrid entrypoint [--user UID[:GID]] [--] CMD...: the entrypoint of an image. */
#include "cli.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int xh_cmd_entrypoint(const struct xh_args *a)
{
        xh_error err = {0};
        long uid, gid;
        if (xh_entry_ids(a->user, getenv("BUILDER_UID"), getenv("BUILDER_GID"), &uid, &gid, &err) <
            0)
                return xh_cli_fail(&err, XH_EXIT_USAGE);
        struct xh_entry_opts o = {
                .conf = XH_IMAGE_CONF,
                .argv = a->rest,
                .envp = environ,
                .uid = uid,
                .gid = gid,
                .notes = &xh_cli_notes,
        };
        int status = -1;
        if (xh_entry_run(&o, &status, &err) < 0) {
                if (status == -1)
                        return xh_cli_fail(&err, XH_EXIT_ERROR);
                xh_print_error(&err);
                xh_error_clear(&err);
        }
        return xh_cli_pass_status(status);
}
