/* SPDX-License-Identifier: MIT */
/*
 * The xhybrid command: argument parsing and one entry point per command.
 * Commands return an exit status; only cli/ prints.
 */
#ifndef XH_CLI_H
#define XH_CLI_H

#include <stdbool.h>

#include "overlay.h"
#include "profiles.h"
#include "session.h"
#include "xh-util.h"

enum xh_cmd {
        XH_CMD_NONE,
        XH_CMD_HELP,
        XH_CMD_VERSION,
        XH_CMD_CREATE,
        XH_CMD_RUN,
        XH_CMD_ENTER,
        XH_CMD_PROFILES,
        XH_CMD_DOCTOR,
        XH_CMD_ELF,
        XH_CMD_COMPARE,
        XH_CMD_BENCH,
        XH_CMD_VERIFY,
        XH_CMD_CACHE,
        XH_CMD_DEB,
        XH_CMD_SERVE,
        XH_CMD_IMAGE,
        XH_CMD_ENTRYPOINT,
        XH_CMD_TRACE,
        XH_CMD_TOOLCHAIN,
};

struct xh_args {
        enum xh_cmd cmd;
        int verbose;
        char *store;           /* --store DIR */
        bool force;            /* create --force */
        bool emulated;         /* run/enter --emulated */
        bool ephemeral;        /* run/enter --ephemeral */
        bool dry_run;          /* run/enter --dry-run */
        bool cache;            /* run/enter --cache */
        bool no_cache;         /* run/enter --no-cache */
        char *trace;           /* run/enter --trace FILE */
        char **env;            /* --env NAME[=VALUE], repeated */
        char *distribute;      /* run/enter --distribute HOST[,HOST...] */
        char *listen;          /* serve --listen ADDR[:PORT] */
        char **allow;          /* serve --allow CIDR, repeated */
        char *log;             /* serve --log FILE */
        struct xh_bind *binds; /* --bind, repeated; NULL or terminated by src == NULL */
        char *profile;         /* PROFILE */
        char *subcommand;      /* profiles: list, show; cache: stats, clear; trace: summary */
        /* run: the command; deb: dpkg-buildpackage's options; elf, doctor, trace: paths */
        char **rest;

        /* bench, verify and deb */
        char *source;        /* SOURCE: a directory, a tarball, a .dsc or deb:NAME */
        char *configure_cmd; /* --configure CMD ("" for none) */
        char *build_cmd;     /* --build CMD */
        char *check_cmd;     /* verify --check CMD */
        char *modes;         /* bench --modes LIST */
        int runs;            /* bench --runs N */
        char *json;          /* --json FILE */
        char *markdown;      /* bench --markdown FILE */
        char *svg;           /* bench --svg FILE */
        bool skip_patches;   /* deb:NAME without Debian's patches */
        bool reuse_emulated; /* verify: reuse a cached emulated build */
        bool strict;         /* compare/verify --strict: ignore nothing */
        bool deb;            /* compare/verify --deb: Debian packages */
        char *outdir;        /* deb -o DIR, verify --deb -o DIR */
        char *output;        /* image -o FILE */
        char *tag;           /* image --tag NAME[:TAG] */
        char *install;       /* image --install DIR */
        char *user;          /* entrypoint --user UID[:GID] */

        int (*run)(const struct xh_args *a); /* the command's entry point */
};

/*
 * Parse argv against the one table of commands and options (cli/args.c). On
 * error returns -EINVAL and a message for "xhybrid: MSG".
 */
int xh_args_parse(int argc, char *const *argv, struct xh_args *args, xh_error *err);
void xh_args_free(struct xh_args *args);
const char *xh_usage(void);

/* Commands (print their own errors; return an exit status). */
int xh_cmd_create(const struct xh_args *a);
int xh_cmd_run(const struct xh_args *a);
int xh_cmd_profiles(const struct xh_args *a);
int xh_cmd_doctor(const struct xh_args *a);
int xh_cmd_elf(const struct xh_args *a);
int xh_cmd_cache(const struct xh_args *a);
int xh_cmd_toolchain(const struct xh_args *a);
/* The profile's rebuilt compiler (toolchain build, create with skew = rebuild); an exit status. */
int xh_cli_toolchain_build(const struct xh_profile *p, const char *store, bool force);
int xh_cmd_trace(const struct xh_args *a);

int xh_cmd_compare(const struct xh_args *a);
int xh_cmd_bench(const struct xh_args *a);
int xh_cmd_verify(const struct xh_args *a);
int xh_cmd_deb(const struct xh_args *a);
int xh_cmd_serve(const struct xh_args *a);
int xh_cmd_image(const struct xh_args *a);
int xh_cmd_entrypoint(const struct xh_args *a);

/* The front end's output (cli/output.c): "xhybrid: MSG" lines on standard error. */
void xh_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void xh_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "xhybrid: MSG" and "xhybrid: hint: HINT" from an error value. */
void xh_print_error(const xh_error *err);
/* Print err, clear it, return code. */
int xh_cli_fail(xh_error *err, int code);
/*
 * Exit the way a command did: its exit code, or the same signal raised at
 * ourselves with core dumps off (128 + N as pid 1, which cannot die of it).
 */
int xh_cli_pass_status(int status);
/* Notes of the engine (progress, warnings), printed as they come. */
extern const struct xh_notes xh_cli_notes;
/*
 * Check before a long run that a report file can be written at path (NULL:
 * nothing to check); prints the error and returns -errno when not.
 */
int xh_cli_check_output(const char *option, const char *path);
/* bench and verify (cli/builds.c). */
struct xh_bench_job;
struct xh_bench_setup;
/* The live progress line of a phase, on a terminal only (an xh_bench_job tick). */
void xh_cli_show_progress(void *ctx, const char *label, double secs);
/* Run one phase and print its time (and FAILED when its command failed). */
int xh_cli_run_phase(const struct xh_bench_job *j, double *secs);
/* Load, check and fetch what a bench or verify of a->source needs; prints its errors. */
int xh_cli_open_setup(const struct xh_args *a, const char *kind, bool need_toolchain,
                      struct xh_bench_setup *s);
/* A report file: opened (NULL after printing why), closed with the writer's result. */
FILE *xh_cli_open_report(const char *path);
int xh_cli_close_report(const char *path, FILE *f, int rc);

/*
 * What the store holds of a profile's root or toolchain layer: "created" (a
 * whole tree), "not created", or "damaged" with *why (the check's message,
 * to free) set.
 */
const char *xh_cli_tree_state(const char *store, const struct xh_profile *p, enum xh_tree which,
                              char **why);

/* Load a profile: the user's directory first, then the built-in ones. */
int xh_cli_load_profile(const char *name, struct xh_profile **p, xh_error *err);

#endif
