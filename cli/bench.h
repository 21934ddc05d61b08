/* SPDX-License-Identifier: MIT */
/*
 * xhybrid bench: the measurements of one benchmark and their reports
 * (terminal table, JSON, Markdown, SVG). The runner is cli/bench.c; the
 * reports are cli/report.c and depend on nothing but this header.
 */
#ifndef XH_BENCH_H
#define XH_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

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

#endif
