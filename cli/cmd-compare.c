/* SPDX-License-Identifier: MIT */
/* xhybrid compare A B: two build trees, file by file and ELF section by section. */
#include "bench.h"
#include "cli.h"

int xh_cmd_compare(const struct xh_args *a)
{
        struct xh_compare c;
        xh_error err = {0};
        if (xh_compare_trees(a->rest[0], a->rest[1], &c, &err) < 0) {
                return xh_cli_fail(&err, XH_EXIT_ERROR);
        }
        for (char **d = c.differences; *d; d++)
                printf("DIFF %s\n", *d);
        size_t n = xh_strv_len(c.differences);
        printf("%s: %zu files, %zu ELF files and archives compared section by section (ignoring "
               ".comment and "
               ".note.gnu.build-id), %zu config.h, %zu config.status; %zu differences\n",
               n ? "DIFFERENT" : "IDENTICAL", c.files, c.elf_files, c.config_headers,
               c.config_status, n);
        xh_compare_clear(&c);
        return n ? XH_EXIT_FAIL : XH_EXIT_OK;
}
