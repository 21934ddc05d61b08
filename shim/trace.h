/* SPDX-License-Identifier: MIT */
/*
 * The exec trace of a session (run --trace FILE): one line per program that
 * ran, written by the shim (native tools, and the plain copies, which a
 * tracing session replaces by the shim) and by its binfmt mode, the
 * interpreter a tracing session registers for the target's programs
 * (emulated). A record is one write(2) of one line shorter than PIPE_BUF to
 * a file opened O_APPEND, so the lines of parallel processes never mix.
 * xhybrid itself writes the version line first and a session line at the
 * end. Pure formatting and parsing here; the shim and the session do the
 * I/O, the front end prints the summary.
 *
 * Format (fields separated by one tab; PATH, WHY and PROFILE with '\' as
 * "\\", tab as "\t" and newline as "\n"):
 *   xhybrid-trace 1
 *   exec START PID STRATEGY WALL STATUS PATH WHY
 *   session START WALL STATUS PROFILE
 * START: seconds since the epoch with microseconds; WALL: seconds with
 * microseconds; STATUS: exit:N or signal:N; STRATEGY: native, copy,
 * emulated or fallback.
 */
#ifndef XH_TRACE_H
#define XH_TRACE_H

#include <stdbool.h>
#include <stddef.h>

#include "xh-util.h"

#define XH_TRACE_MAGIC   "xhybrid-trace"
#define XH_TRACE_VERSION 1

enum xh_trace_strategy {
        XH_TRACE_NATIVE,   /* the shim ran the toolchain layer's program */
        XH_TRACE_COPY,     /* a plain copy of the toolchain's program (traced through the shim) */
        XH_TRACE_EMULATED, /* a target program under the emulator */
        XH_TRACE_FALLBACK, /* the shim ran the target's original, emulated, and why */
};
#define XH_TRACE_NSTRATEGIES 4

const char *xh_trace_strategy_name(enum xh_trace_strategy s);
/* Emulated and fallback: the time the emulator costs. */
bool xh_trace_strategy_emulated(enum xh_trace_strategy s);

struct xh_trace_exec {
        double start; /* seconds since the epoch */
        long pid;
        enum xh_trace_strategy strategy;
        double wall; /* seconds */
        int status;  /* a wait status */
        char *path;  /* as the program was started (a fallback: the shimmed path) */
        char *why;   /* the shim's reason; "" for none */
};

/* The version line, newline included. The caller frees it. */
char *xh_trace_header(void);
/*
 * One exec record, newline included, at most 4000 bytes, below PIPE_BUF (a
 * longer path or reason is cut, ending in "..."). The caller frees it.
 */
char *xh_trace_format_exec(const struct xh_trace_exec *e);
/* The session record: the command's start, wall time and wait status. */
char *xh_trace_format_session(double start, double wall, int status, const char *profile);

struct xh_trace {
        struct xh_trace_exec *execs;
        size_t n;
        bool has_session; /* a session record was read (the session ended) */
        double start, wall;
        int status;
        char *profile;
};

/*
 * Parse a trace file's text; file names it in errors ("FILE:LINE: what is
 * wrong"), with a hint. -EINVAL for a file that is not a trace, a version
 * this code does not read, or a malformed line.
 */
int xh_trace_parse(const char *text, const char *file, struct xh_trace *t, xh_error *err);
void xh_trace_clear(struct xh_trace *t);

/* One row of the summary: a tool (the program's file name) run one way. */
struct xh_trace_row {
        char *tool;
        enum xh_trace_strategy strategy;
        char *why; /* fallback rows: the shim's reason; else NULL */
        size_t count;
        double total; /* summed wall time, seconds (nested runs count in each) */
};

struct xh_trace_summary {
        /* Emulated and fallback rows first, biggest total first; then the others. */
        struct xh_trace_row *rows;
        size_t n;
        size_t execs;
        size_t per_strategy[XH_TRACE_NSTRATEGIES];
        double wall;           /* the session's wall time */
        bool wall_estimated;   /* no session record: first start to last end */
        double emulated_sum;   /* summed wall time of emulated and fallback execs */
        double emulated_wall;  /* wall time during which at least one of them ran */
        double emulated_share; /* emulated_wall / wall (0 when wall is 0) */
};

void xh_trace_summarize(const struct xh_trace *t, struct xh_trace_summary *s);
void xh_trace_summary_clear(struct xh_trace_summary *s);

#endif
