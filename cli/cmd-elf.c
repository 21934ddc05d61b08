/* SPDX-License-Identifier: MIT */
/* xhybrid elf FILE...: what each file is, as the kernel and the emulator see it. */
#include "cli.h"
#include "emulator.h"

int xh_cmd_elf(const struct xh_args *a)
{
        int rc = XH_EXIT_OK;
        for (char **path = a->rest; *path; path++) {
                xh_error err = {0};
                struct xh_elf_info info = {0};
                if (xh_elf_inspect(*path, &info, &err) < 0) {
                        xh_print_error(&err);
                        xh_error_clear(&err);
                        rc = XH_EXIT_FAIL;
                        continue;
                }
                _cleanup_free_ char *d = xh_elf_describe(&info);
                printf("%s: %s\n", *path, d);
                xh_elf_info_clear(&info);
        }
        return rc;
}
