/* SPDX-License-Identifier: MIT */
/* xhybrid toolchain build PROFILE: the cross compiler built from the target's compiler source. */
#include "cli.h"

#include <string.h>

int xh_cli_toolchain_build(const struct xh_profile *p, const char *store, bool force)
{
        xh_error err = {0};
        struct xh_compiler_build_result res = {0};
        struct xh_compiler_build_opts o = {
                .profile = p, .store = store, .force = force, .notes = &xh_cli_notes};
        if (xh_compiler_build(&o, &res, &err) < 0) {
                xh_compiler_build_result_clear(&res);
                return xh_cli_fail(&err, XH_EXIT_ERROR);
        }
        if (!res.needed)
                xh_say("profile '%s': the toolchain layer's compiler is built from the target's "
                       "source (%s) already; nothing to build",
                       p->name, res.source);
        else if (res.reused)
                xh_say("profile '%s': the compiler built from %s is there already: %s", p->name,
                       res.source, res.layer);
        else
                xh_say("profile '%s': built the compiler from %s in %.0f s: %s (%zu programs; log "
                       "%s)",
                       p->name, res.source, res.seconds, res.layer, res.files, res.log);
        xh_compiler_build_result_clear(&res);
        return XH_EXIT_OK;
}

int xh_cmd_toolchain(const struct xh_args *a)
{
        xh_error err = {0};
        _cleanup_profile_ struct xh_profile *p = NULL;
        if (xh_cli_load_profile(a->profile, &p, &err) < 0)
                return xh_cli_fail(&err, XH_EXIT_ERROR);
        _cleanup_free_ char *store = xh_store_dir(a->store);
        return xh_cli_toolchain_build(p, store, a->force);
}
