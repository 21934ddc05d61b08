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
        const char *name; /* "emulated", "hybrid", "native-cross" */
        bool skipped;     /* the phase has no command (e.g. no configure) */
        struct xh_bench_phase phases[XH_PHASES];
};

struct xh_bench_machine {
        char *date;   /* ISO 8601, UTC */
        char *kernel; /* uname -sr */
        char *cpu;    /* model name from /proc/cpuinfo */
        int ncpu;
        long mem_mib;
        char *xhybrid;    /* xhybrid version */
        char *qemu;       /* qemu-user version line */
        char *target_gcc; /* target gcc package version */
        char *cross_gcc;  /* toolchain layer cross gcc package version */
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
enum xh_source_kind { XH_SOURCE_DIR, XH_SOURCE_TARBALL, XH_SOURCE_DEB };

struct xh_source {
        enum xh_source_kind kind;
        char *name; /* package or directory name, used for work paths */
        char *path; /* DIR or TARBALL: absolute path */
        char *dsc;  /* DEB: the cached .dsc */
        bool skip_patches;
};

/* Resolve SOURCE (DIR, TARBALL or deb:NAME); deb: sources are fetched once into the store. */
int xh_source_resolve(const char *spec, const struct xh_profile *p, const char *store,
                      bool skip_patches, struct xh_source *s, xh_error *err);
/* Unpack a fresh copy at dest (removed first); tool output goes to log. */
int xh_source_unpack(const struct xh_source *s, const char *dest, const char *log, xh_error *err);
void xh_source_clear(struct xh_source *s);


/* Comparison of two build trees (bench/compare.c). */
struct xh_compare {
        size_t files, elf_files, config_headers, config_status;
        char **differences; /* "PATH: what" */
};
int xh_compare_trees(const char *a, const char *b, struct xh_compare *c, xh_error *err);
void xh_compare_clear(struct xh_compare *c);
#endif
