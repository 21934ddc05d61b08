/* SPDX-License-Identifier: MIT */
/* xhybrid profiles [list] and xhybrid profiles show PROFILE. */
#include "cli.h"

#include <string.h>

/* The tools a hybrid session of p replaces, with both versions and the decision. */
static void print_tools(const char *store, const struct xh_profile *p)
{
        _cleanup_free_ char *rootfs = xh_store_rootfs(store, p);
        _cleanup_free_ char *tcfs = xh_store_toolchain_rootfs(store, p);
        _cleanup_free_ char *sess = xh_store_session_path(store, p);
        _cleanup_free_ char *upper = xh_asprintf("%s/upper", sess);
        struct xh_binding *b = NULL;
        size_t n = 0;
        if (xh_toolchain_bindings(p, rootfs, upper, tcfs, NULL, &b, &n) < 0)
                return;
        printf("# tools of a hybrid session (skew = %s):\n", xh_skew_policy_name(p->skew));
        printf("#   %-36s %-32s %-40s %s\n", "path", "target package", "toolchain package", "runs");
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *tp =
                        xh_asprintf("%s %s", b[i].target_pkg ? b[i].target_pkg : "?",
                                    b[i].target_ver ? b[i].target_ver : "");
                _cleanup_free_ char *cp = xh_asprintf("%s %s", b[i].tc_pkg ? b[i].tc_pkg : "-",
                                                      b[i].tc_ver ? b[i].tc_ver : "");
                printf("#   %-36s %-32s %-40s %s\n", b[i].path, tp, cp,
                       xh_binding_decision_name(b[i].decision));
        }
        xh_bindings_free(b, n);
}

int xh_cmd_profiles(const struct xh_args *a)
{
        xh_error err = {0};
        _cleanup_free_ char *dir = xh_profile_user_dir();
        if (strcmp(a->subcommand, "show") == 0) {
                _cleanup_profile_ struct xh_profile *p = NULL;
                if (xh_profile_load(a->profile, dir, &p, &err) < 0)
                        return xh_cli_fail(&err, XH_EXIT_ERROR);
                xh_profile_dump(p, stdout);
                _cleanup_free_ char *store = xh_store_dir(a->store);
                _cleanup_free_ char *rootfs = xh_store_rootfs(store, p);
                printf("\n# root: %s (%s)\n", rootfs,
                       xh_store_root_ready(store, p) ? "created" : "not created");
                _cleanup_free_ char *tcfs = xh_store_toolchain_rootfs(store, p);
                printf("# toolchain layer: %s (%s)\n", tcfs,
                       xh_store_toolchain_ready(store, p) ? "created" : "not created");
                if (xh_store_root_ready(store, p) && xh_store_toolchain_ready(store, p))
                        print_tools(store, p);
                return XH_EXIT_OK;
        }
        _cleanup_strv_ char **names = NULL;
        if (xh_profile_list(dir, &names, &err) < 0)
                return xh_cli_fail(&err, XH_EXIT_ERROR);
        _cleanup_free_ char *store = xh_store_dir(a->store);
        for (char **n = names; *n; n++) {
                _cleanup_profile_ struct xh_profile *p = NULL;
                if (xh_profile_load(*n, dir, &p, &err) < 0) {
                        printf("%-20s (error: %s)\n", *n, err.msg);
                        xh_error_clear(&err);
                        continue;
                }
                printf("%-20s %-8s %-10s %-9s %s\n", p->name, p->arch, p->suite,
                       xh_store_root_ready(store, p) ? "created" : "-", p->origin);
        }
        return XH_EXIT_OK;
}
