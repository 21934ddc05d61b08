/* SPDX-License-Identifier: MIT */
/*
 * xhybrid create PROFILE: the root and toolchain layer in the store, and with
 * skew = rebuild the compiler built from the target's source.
 */
#include "cli.h"

int xh_cmd_create(const struct xh_args *a)
{
        xh_error err = {0};
        _cleanup_profile_ struct xh_profile *p = NULL;
        if (xh_cli_load_profile(a->profile, &p, &err) < 0)
                return xh_cli_fail(&err, XH_EXIT_ERROR);
        _cleanup_free_ char *store = xh_store_dir(a->store);
        struct xh_create_opts o = {
                .profile = p, .store = store, .force = a->force, .notes = &xh_cli_notes};
        if (xh_create(&o, &err) < 0)
                return xh_cli_fail(&err, XH_EXIT_ERROR);
        /* skew = rebuild: the compiler from the target's source, once per source version. */
        if (p->skew == XH_SKEW_REBUILD)
                return xh_cli_toolchain_build(p, store, false);
        return XH_EXIT_OK;
}
