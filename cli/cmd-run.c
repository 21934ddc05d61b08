/* SPDX-License-Identifier: MIT */
/* xhybrid run PROFILE -- COMMAND and xhybrid enter PROFILE. */
#include "cli.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>

int xh_cmd_run(const struct xh_args *a)
{
        xh_error err = {0};
        _cleanup_profile_ struct xh_profile *p = NULL;
        if (xh_cli_load_profile(a->profile, &p, &err) < 0)
                return xh_cli_fail(&err, XH_EXIT_ERROR);
        _cleanup_free_ char *store = xh_store_dir(a->store);

        _cleanup_strv_ char **shell = NULL;
        char *const *argv = a->rest;
        if (a->cmd == XH_CMD_ENTER) {
                _cleanup_free_ char *rootfs = xh_store_rootfs(store, p);
                _cleanup_free_ char *bash = xh_asprintf("%s/bin/bash", rootfs);
                shell = xh_malloc(sizeof(char *));
                xh_strv_push(&shell, access(bash, X_OK) == 0 ? "/bin/bash" : "/bin/sh");
                if (isatty(STDIN_FILENO))
                        xh_strv_push(&shell, "-i");
                argv = shell;
        }
        /* --cache, or the profile's cache = yes|PATH unless --no-cache; hybrid sessions only. */
        bool cache = !a->emulated && (a->cache || (p->cache && !a->no_cache));
        _cleanup_free_ char *cache_dir = cache ? xh_cache_path(store, p) : NULL;
        /* --distribute, else XHYBRID_DISTRIBUTE; hybrid sessions only, '' for none. */
        const char *what = a->distribute ? "--distribute" : "XHYBRID_DISTRIBUTE";
        const char *list = a->distribute ? a->distribute : getenv("XHYBRID_DISTRIBUTE");
        _cleanup_free_ char *hosts = NULL;
        if (!a->emulated && list && *list && xh_distcc_hosts(what, list, &hosts, &err) < 0)
                return xh_cli_fail(&err, a->distribute ? XH_EXIT_USAGE : XH_EXIT_ERROR);
        struct xh_session_opts o = {
                .profile = p,
                .store = store,
                .emulated = a->emulated,
                .ephemeral = a->ephemeral,
                .dry_run = a->dry_run,
                .dry_run_out = stdout,
                .env = a->env,
                .binds = a->binds,
                .argv = argv,
                .cache_dir = cache_dir,
                .distcc_hosts = hosts,
                .trace = a->trace,
                .notes = &xh_cli_notes,
        };
        int status = -1;
        if (xh_session_run(&o, &status, &err) < 0) {
                /* A command that could not be executed still has its status (126, 127). */
                if (status == -1)
                        return xh_cli_fail(&err, XH_EXIT_ERROR);
                xh_print_error(&err);
                xh_error_clear(&err);
                return xh_cli_pass_status(status);
        }
        return xh_cli_pass_status(status);
}
