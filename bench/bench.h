/* SPDX-License-Identifier: MIT */
/*
 * xhybrid bench: the measurements of one benchmark and their reports
 * (terminal table, JSON, Markdown, SVG), the sources they build and the
 * comparison of two build trees.
 */
#ifndef XH_BENCH_H
#define XH_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "profiles.h"
#include "xh-util.h"

enum { XH_PHASE_CONFIGURE, XH_PHASE_BUILD, XH_PHASES };

struct xh_bench_phase {
        double *times; /* seconds, one per run that completed */
        size_t n;
        int failures; /* runs whose command failed (their time is not kept) */
};

struct xh_bench_mode {
        const char *name; /* "emulated", "hybrid", "cache-cold", "cache-warm", "native-cross" */
        bool skipped;     /* the phase has no command (e.g. no configure) */
        struct xh_bench_phase phases[XH_PHASES];
        /* cache-cold and cache-warm: the compile cache's hits and misses over all runs. */
        bool cached;
        unsigned long long hits, misses;
};

struct xh_bench_machine {
        char *date;   /* ISO 8601, UTC */
        char *kernel; /* uname -sr */
        char *cpu;    /* model name from /proc/cpuinfo */
        int ncpu;
        long mem_mib;
        char *xhybrid;            /* xhybrid version */
        char *qemu;               /* qemu-user version line */
        char *target_gcc;         /* target gcc package, version and source */
        char *cross_gcc;          /* toolchain layer cross gcc package, version and source */
        char *gcc_decision;       /* what a hybrid session runs for gcc, and why */
        char *gcc_stock_decision; /* the same in hybrid-stock mode */
};

struct xh_bench_result {
        char *profile;
        char *source;
        char *configure_cmd; /* NULL: no configure phase */
        char *build_cmd;
        int runs;
        struct xh_bench_mode *modes;
        size_t nmodes;
        struct xh_bench_machine machine;
};

struct xh_stats {
        size_t n;
        double mean, stddev, median, min, max;
};

/* Statistics of n values (stddev: sample standard deviation, 0 when n < 2). */
void xh_stats_compute(const double *v, size_t n, struct xh_stats *s);

/* Total per run (configure + build) of a mode, for ratios: median of the sums. */
double xh_bench_total_median(const struct xh_bench_mode *m);
/* The mode with this name, or NULL. */
const struct xh_bench_mode *xh_bench_mode(const struct xh_bench_result *r, const char *name);

/* Terminal table: min/median/max per mode and phase, then the ratios. */
void xh_bench_print_table(const struct xh_bench_result *r, FILE *out);
/* Reports; each returns 0 or -errno. The formats are described in docs/bench.md. */
int xh_bench_write_json(const struct xh_bench_result *r, FILE *out);
int xh_bench_write_markdown(const struct xh_bench_result *r, FILE *out);
int xh_bench_write_svg(const struct xh_bench_result *r, FILE *out);

void xh_bench_result_clear(struct xh_bench_result *r);

/* Append s as a JSON string (escaped, invalid UTF-8 replaced), or null when s is NULL. */
struct xh_buf;
void xh_json_string(struct xh_buf *b, const char *s);

/* Sources (bench/source.c). */
enum xh_source_kind { XH_SOURCE_DIR, XH_SOURCE_TARBALL, XH_SOURCE_DEB, XH_SOURCE_DSC };

struct xh_source {
        enum xh_source_kind kind;
        char *name; /* package or directory name, used for work paths */
        char *path; /* DIR, TARBALL or DSC: absolute path */
        char *dsc;  /* DEB: the cached .dsc; DSC: the .dsc itself */
        bool skip_patches;
};

/*
 * Resolve SOURCE (DIR, TARBALL, a .dsc with its files beside it, or deb:NAME);
 * deb: sources are fetched once into the store.
 */
int xh_source_resolve(const char *spec, const struct xh_profile *p, const char *store,
                      bool skip_patches, const struct xh_notes *notes, struct xh_source *s,
                      xh_error *err);
/* Unpack a fresh copy at dest (removed first); tool output goes to log. */
int xh_source_unpack(const struct xh_source *s, const char *dest, const char *log, xh_error *err);
void xh_source_clear(struct xh_source *s);

/*
 * Comparison of two build trees (bench/compare.c): every entry's type,
 * permission bits, symbolic link target and contents; ELF files and ar
 * archives section by section. The default comparison ignores the sections
 * .comment and .note.gnu.build-id and the contents of config.log; the strict
 * one ignores nothing. Differences are "PATH: what", PATH relative to the
 * roots, values of either side in the order "A vs B".
 */
struct xh_compare {
        bool strict;
        size_t files, dirs, symlinks, others; /* entries of the same type in both trees */
        size_t elf_files;                     /* ELF files and ar archives among the files */
        size_t config_headers, config_status; /* config.h and config.status among them */
        char **not_compared;                  /* files whose contents were skipped (config.log) */
        char **differences;                   /* "PATH: what" */
        size_t packages;                      /* Debian packages compared (xh_compare_debs) */
};
/* 0, or -errno when a or b is not a directory that can be read (err names it). */
int xh_compare_trees(const char *a, const char *b, bool strict, struct xh_compare *c,
                     xh_error *err);
/*
 * The Debian packages of two builds (bench/debcmp.c): a and b are package
 * files or directories of them, paired by name and architecture, unpacked and
 * compared as trees PACKAGE_ARCH/control and PACKAGE_ARCH/data, and by the
 * owners of their files. The default comparison maps the build-ids of
 * -dbgsym packages and md5sums lines of ELF files that differ in ignored
 * sections only. 0, or -errno when a side cannot be read (err names it).
 */
int xh_compare_debs(const char *a, const char *b, bool strict, struct xh_compare *c, xh_error *err);
/* The sections the comparison ignores (none when strict), NULL-terminated. */
char *const *xh_compare_ignored_sections(bool strict);
/* What was compared, one line: "N files, ... compared section by section (ignoring ...), ...". */
char *xh_compare_summary(const struct xh_compare *c);
void xh_compare_clear(struct xh_compare *c);

/* Timed runs (bench/run.c). */
struct xh_bench_job {
        const struct xh_profile *p;
        const char *store;
        const char *mode;      /* emulated, hybrid, cache-cold, cache-warm, native-cross */
        const char *cache_dir; /* cache-cold, cache-warm: the bench's compile cache */
        const char *cmd;       /* run as sh -c CMD */
        const char *cwd;
        const char *log;   /* the phase's output is appended here */
        const char *label; /* names the phase in the log and for tick */
        /* called about five times a second while the phase runs (may be NULL) */
        void (*tick)(void *ctx, const char *label, double secs);
        void *ctx;
};
/*
 * Run one phase in a throwaway session of its mode, in a child process; *secs
 * is its wall time. Returns the command's exit status (0: success; 125: the
 * session could not be set up; 128+N: killed by signal N).
 */
int xh_bench_run_phase(const struct xh_bench_job *j, double *secs);
void xh_bench_push_time(struct xh_bench_phase *ph, double t);

/* The commands of a mode for a source unpacked at dir. */
struct xh_bench_commands {
        char *configure; /* NULL: no configure phase */
        char *build;
};
/*
 * configure_cmd: NULL for the default (./configure when present, with
 * --host=TRIPLET for an autoconf script in native-cross mode), "" for none.
 * build_cmd: NULL for make -jNPROC.
 */
void xh_bench_commands_for(const char *configure_cmd, const char *build_cmd,
                           const struct xh_profile *p, const char *dir, const char *mode,
                           struct xh_bench_commands *c);
void xh_bench_commands_clear(struct xh_bench_commands *c);

/*
 * What the reports say about the machine, the emulator and both compilers;
 * fails when a dpkg database of the profile's trees cannot be read.
 */
int xh_bench_machine_facts(const struct xh_profile *p, const char *store,
                           struct xh_bench_machine *m, xh_error *err);

/* What bench and verify share: the profile, the store, the source and the work paths. */
struct xh_bench_setup_opts {
        const char *profile;
        const char *store; /* --store, may be NULL */
        const char *source;
        const char *kind; /* bench or verify: names the work directory */
        bool need_toolchain;
        bool skip_patches;
        const struct xh_notes *notes;
};
struct xh_bench_setup {
        struct xh_profile *p;
        char *store;
        struct xh_source src;
        char *base; /* STORE/work/KIND-NAME */
        char *work; /* BASE/src: where every build happens */
        char *logs; /* BASE/logs */
};
/* Load the profile, check its layers, fetch the source. */
int xh_bench_setup_open(const struct xh_bench_setup_opts *o, struct xh_bench_setup *s,
                        xh_error *err);
void xh_bench_setup_close(struct xh_bench_setup *s);

/* verify: what a cached emulated build depends on (its key). */
char *xh_verify_key(const struct xh_profile *p, const char *store, const struct xh_source *s,
                    const struct xh_bench_commands *c, const char *check);

struct xh_verify_mode {
        const char *name;
        double seconds;
        int check_status; /* -1: no check */
        bool reused;
};
struct xh_verify_result {
        const char *profile, *source;
        const char *configure_cmd, *build_cmd, *check_cmd;
        const char *target_gcc, *cross_gcc, *gcc_decision; /* struct xh_gcc_facts */
        bool identical;
        const struct xh_compare *cmp;
        struct xh_verify_mode modes[2]; /* emulated, hybrid */
};
/* The verify report as JSON (schema xhybrid-verify/1, docs/bench.md). */
int xh_verify_write_json(const struct xh_verify_result *v, FILE *out);

/* xhybrid deb: Debian packages built in a throwaway session (bench/deb.c). */
enum xh_deb_phase { XH_DEB_DEPENDENCIES, XH_DEB_BUILD, XH_DEB_RESULTS, XH_DEB_PHASES };
const char *xh_deb_phase_name(enum xh_deb_phase ph);

struct xh_deb_opts {
        const char *profile;
        const char *store;    /* --store, may be NULL */
        const char *source;   /* an unpacked source tree, a .dsc, deb:NAME (or a tarball) */
        const char *outdir;   /* the results and the log go here (made when missing); NULL: . */
        bool emulated;        /* everything under the emulator (the baseline) */
        char *const *env;     /* --env for the session, may be NULL */
        char *const *options; /* passed to dpkg-buildpackage after -b -uc -us, may be NULL */
        /* each phase as it starts and ends, with its time; the session's warnings */
        const struct xh_notes *notes;
        /* called about five times a second with the running phase (may be NULL) */
        void (*tick)(void *ctx, const char *label, double secs);
        void *ctx;
};

struct xh_deb_result {
        char *name, *version; /* the source package, from debian/changelog */
        double seconds[XH_DEB_PHASES];
        int status;   /* dpkg-buildpackage's exit status (128+N: signal N); -1: it did not run */
        char *log;    /* OUTDIR/NAME_VERSION_ARCH.build, the whole build's output */
        char **files; /* the .deb, .buildinfo and .changes files copied to OUTDIR */
};

/*
 * Build the binary packages of a Debian source in a throwaway session of the
 * profile (hybrid, or emulated): apt-get update and apt-get build-dep (with
 * the build profiles and -A/-B of the options), then dpkg-buildpackage -b
 * -uc -us OPTIONS. Returns 0 when dpkg-buildpackage ran: res->status is its
 * exit status, and when that is 0 its results are in OUTDIR. Returns -errno
 * with err when the build could not be set up or its dependencies not
 * installed (res->log, when set, holds the output so far).
 */
int xh_deb_build(const struct xh_deb_opts *o, struct xh_deb_result *res, xh_error *err);
void xh_deb_result_clear(struct xh_deb_result *res);

/* The first line of a debian/changelog, "NAME (VERSION) ...": 0 or -EINVAL. */
int xh_deb_changelog_head(const char *text, char **name, char **version);
/*
 * The apt-get build-dep options that match dpkg-buildpackage's: -P LIST for
 * -PLIST or --build-profiles=LIST, --arch-only for -B (--build=any),
 * --indep-only for -A (--build=all).
 */
char **xh_deb_build_dep_options(char *const *dpkg_options);
/*
 * The script of the session (sh -c SCRIPT NAME OPTIONS...): the dependencies,
 * then dpkg-buildpackage in ./SOURCE_DIR with OPTIONS; each phase announced
 * on fd 3 as one line.
 */
char *xh_deb_script(const char *source_dir, char *const *build_dep_options);

#endif
