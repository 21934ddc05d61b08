/* SPDX-License-Identifier: MIT */
/* xhybrid profiles [list] and xhybrid profiles show PROFILE. */
#include "cli.h"

#include <string.h>

static int widest(int w, const char *s)
{
        int len = (int)strlen(s);
        return len > w ? len : w;
}

/* The tools a hybrid session of p replaces: both packages, their sources, the decision. */
static int print_tools(const char *store, const struct xh_profile *p, xh_error *err)
{
        _cleanup_free_ char *rootfs = xh_store_rootfs(store, p);
        _cleanup_free_ char *tcfs = xh_store_toolchain_rootfs(store, p);
        _cleanup_free_ char *upper = NULL;
        bool scratch = false;
        struct xh_tool_choice *b = NULL;
        size_t n = 0;
        int r = xh_store_upper_view(store, p, &upper, &scratch, err);
        if (r < 0)
                return r;
        r = xh_toolchain_choose(p, rootfs, upper, tcfs, NULL, &b, &n, err);
        if (scratch)
                xh_rm_rf(upper);
        if (r < 0)
                return r;
        struct xh_compiler_layer l;
        if ((r = xh_compiler_apply(p, store, b, n, &l, err)) < 0) {
                xh_tool_choices_free(b, n);
                return r;
        }
        if (l.dir)
                printf("# rebuilt compiler: %s (from %s)\n", l.dir, l.source);
        xh_compiler_layer_clear(&l);
        printf("# tools of a hybrid session (skew = %s; native only when built from the target's "
               "source version):\n",
               xh_skew_policy_name(p->skew));
        char **tp = xh_malloc((n + 1) * sizeof(char *));
        char **cp = xh_malloc((n + 1) * sizeof(char *));
        int wtool = 4, wpath = 4, wt = 14, wc = 17, wrule = 4;
        for (size_t i = 0; i < n; i++) {
                tp[i] = xh_package_text(b[i].target_pkg, b[i].target_ver, b[i].target_src);
                cp[i] = b[i].decision == XH_TOOL_NO_NATIVE || b[i].decision == XH_TOOL_DENIED
                                ? xh_strdup("-")
                                : xh_package_text(b[i].tc_pkg, b[i].tc_ver, b[i].tc_src);
                wtool = widest(wtool, b[i].canonical);
                wpath = widest(wpath, b[i].path);
                wt = widest(wt, tp[i]);
                wc = widest(wc, cp[i]);
                wrule = widest(wrule, b[i].from_package ? b[i].from_package : "shim");
        }
        printf("#   %-*s  %-*s  %-*s  %-*s  %-*s  %s\n", wtool, "tool", wpath, "path", wrule,
               "from", wt, "target package", wc, "toolchain package", "runs");
        for (size_t i = 0; i < n; i++) {
                printf("#   %-*s  %-*s  %-*s  %-*s  %-*s  %s", wtool, b[i].canonical, wpath,
                       b[i].path, wrule, b[i].from_package ? b[i].from_package : "shim", wt, tp[i],
                       wc, cp[i], xh_tool_choice_decision(&b[i]));
                if (b[i].deny_reason)
                        printf(": %s", b[i].deny_reason);
                putchar('\n');
        }
        xh_strv_free(tp);
        xh_strv_free(cp);
        xh_tool_choices_free(b, n);
        return 0;
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
                _cleanup_free_ char *tcfs = xh_store_toolchain_rootfs(store, p);
                _cleanup_free_ char *root_why = NULL;
                _cleanup_free_ char *tc_why = NULL;
                const char *root = xh_cli_tree_state(store, p, XH_TREE_ROOT, &root_why);
                const char *tc = xh_cli_tree_state(store, p, XH_TREE_TOOLCHAIN, &tc_why);
                printf("\n# root: %s (%s%s%s)\n", rootfs, root, root_why ? ": " : "",
                       root_why ? root_why : "");
                printf("# toolchain layer: %s (%s%s%s)\n", tcfs, tc, tc_why ? ": " : "",
                       tc_why ? tc_why : "");
                if (!root_why && !tc_why && strcmp(root, "created") == 0 &&
                    strcmp(tc, "created") == 0 && print_tools(store, p, &err) < 0)
                        return xh_cli_fail(&err, XH_EXIT_ERROR);
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
                _cleanup_free_ char *why = NULL;
                const char *state = xh_cli_tree_state(store, p, XH_TREE_ROOT, &why);
                printf("%-20s %-8s %-10s %-9s %s\n", p->name, p->arch, p->suite,
                       strcmp(state, "not created") == 0 ? "-" : state, p->origin);
        }
        return XH_EXIT_OK;
}
