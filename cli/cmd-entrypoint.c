/* SPDX-License-Identifier: MIT */
/* xhybrid entrypoint [--user UID[:GID]] -- CMD...: the entrypoint of an image. */
#include "cli.h"

int xh_cmd_entrypoint(const struct xh_args *a)
{
        return XH_EXIT_ERROR;
}
