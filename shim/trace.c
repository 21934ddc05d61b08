/* SPDX-License-Identifier: MIT */
#include "trace.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static const char *const strategy_names[XH_TRACE_NSTRATEGIES] = {
        [XH_TRACE_NATIVE] = "native",
        [XH_TRACE_COPY] = "copy",
        [XH_TRACE_EMULATED] = "emulated",
        [XH_TRACE_FALLBACK] = "fallback",
};

const char *xh_trace_strategy_name(enum xh_trace_strategy s)
{
        return s < XH_TRACE_NSTRATEGIES ? strategy_names[s] : "?";
}

bool xh_trace_strategy_emulated(enum xh_trace_strategy s)
{
        return s == XH_TRACE_EMULATED || s == XH_TRACE_FALLBACK;
}

char *xh_trace_header(void)
{
        return xh_asprintf("%s %d\n", XH_TRACE_MAGIC, XH_TRACE_VERSION);
}

/* s escaped (\\, \t, \n), cut to max bytes of input with "..." when longer. */
static void add_field(xh_buf *b, const char *s, size_t max)
{
        size_t n = strlen(s);
        bool cut = n > max;
        for (size_t i = 0; i < (cut ? max : n); i++) {
                char c = s[i];
                if (c == '\\')
                        xh_buf_add(b, "\\\\");
                else if (c == '\t')
                        xh_buf_add(b, "\\t");
                else if (c == '\n')
                        xh_buf_add(b, "\\n");
                else
                        xh_buf_addn(b, &c, 1);
        }
        if (cut)
                xh_buf_add(b, "...");
}

static void add_status(xh_buf *b, int status)
{
        if (WIFSIGNALED(status))
                xh_buf_addf(b, "signal:%d", WTERMSIG(status));
        else
                xh_buf_addf(b, "exit:%d", WEXITSTATUS(status));
}

char *xh_trace_format_exec(const struct xh_trace_exec *e)
{
        xh_buf b = {0};
        xh_buf_addf(&b, "exec\t%.6f\t%ld\t%s\t%.6f\t", e->start, e->pid,
                    xh_trace_strategy_name(e->strategy), e->wall);
        add_status(&b, e->status);
        xh_buf_add(&b, "\t");
        /* Escaped, each byte takes two at most: 2 * (1500 + 200) + 100 < XH_TRACE_LINE_MAX. */
        add_field(&b, e->path ? e->path : "", 1500);
        xh_buf_add(&b, "\t");
        add_field(&b, e->why ? e->why : "", 200);
        xh_buf_add(&b, "\n");
        return xh_buf_steal(&b);
}

char *xh_trace_format_session(double start, double wall, int status, const char *profile)
{
        xh_buf b = {0};
        xh_buf_addf(&b, "session\t%.6f\t%.6f\t", start, wall);
        add_status(&b, status);
        xh_buf_add(&b, "\t");
        add_field(&b, profile ? profile : "", 200);
        xh_buf_add(&b, "\n");
        return xh_buf_steal(&b);
}

/* The fields of a line split on tabs (the line itself is changed). */
static size_t split_tabs(char *line, char **f, size_t max)
{
        size_t n = 0;
        for (char *s = line;; s++) {
                if (n < max)
                        f[n] = s;
                n++;
                s = strchrnul(s, '\t');
                if (!*s)
                        return n;
                *s = '\0';
        }
}

static char *unescape(const char *s, bool *ok)
{
        xh_buf b = {0};
        xh_buf_add(&b, "");
        for (; *s; s++) {
                char c = *s;
                if (c == '\\') {
                        c = s[1] == '\\' ? '\\' : s[1] == 't' ? '\t' : s[1] == 'n' ? '\n' : 0;
                        if (!c) {
                                *ok = false;
                                break;
                        }
                        s++;
                }
                xh_buf_addn(&b, &c, 1);
        }
        return xh_buf_steal(&b);
}

static bool parse_seconds(const char *s, double *out)
{
        char *end = NULL;
        errno = 0;
        double v = strtod(s, &end);
        if (!*s || *end || errno || !isfinite(v) || v < 0 || s[0] == '-' || s[0] == '+' ||
            s[0] == ' ')
                return false;
        *out = v;
        return true;
}

static bool parse_status(const char *s, int *status)
{
        bool sig = strncmp(s, "signal:", 7) == 0;
        if (!sig && strncmp(s, "exit:", 5) != 0)
                return false;
        const char *v = s + (sig ? 7 : 5);
        char *end = NULL;
        long n = strtol(v, &end, 10);
        if (!*v || *end || *v == '-' || *v == '+' || n > (sig ? 127 : 255) || (sig && n < 1))
                return false;
        *status = sig ? (int)n : (int)n << 8;
        return true;
}

static bool parse_strategy(const char *s, enum xh_trace_strategy *out)
{
        for (int i = 0; i < XH_TRACE_NSTRATEGIES; i++)
                if (strcmp(s, strategy_names[i]) == 0) {
                        *out = (enum xh_trace_strategy)i;
                        return true;
                }
        return false;
}

static int bad_line(xh_error *err, const char *file, int lineno, const char *what)
{
        xh_fail(err, EINVAL, "%s:%d: %s", file, lineno, what);
        return xh_hint(err, EINVAL,
                       "this is not a trace as 'xhybrid run --trace' writes it (format %s %d, "
                       "docs/commands.md), or it was edited: fix or remove line %d",
                       XH_TRACE_MAGIC, XH_TRACE_VERSION, lineno);
}

static int parse_exec(char **f, const char *file, int lineno, struct xh_trace *t, xh_error *err)
{
        struct xh_trace_exec e = {0};
        char *end = NULL;
        errno = 0;
        long pid = strtol(f[2], &end, 10);
        if (!parse_seconds(f[1], &e.start))
                return bad_line(err, file, lineno, "the start time is not a number of seconds");
        if (!*f[2] || *end || errno || pid < 1)
                return bad_line(err, file, lineno, "the pid is not a positive number");
        if (!parse_strategy(f[3], &e.strategy))
                return bad_line(err, file, lineno,
                                "unknown strategy (expected native, copy, emulated or fallback)");
        if (!parse_seconds(f[4], &e.wall))
                return bad_line(err, file, lineno, "the wall time is not a number of seconds");
        if (!parse_status(f[5], &e.status))
                return bad_line(err, file, lineno,
                                "the status is neither exit:N (0-255) nor signal:N (1-127)");
        bool ok = true;
        e.pid = pid;
        e.path = unescape(f[6], &ok);
        e.why = unescape(f[7], &ok);
        if (!ok || !*e.path) {
                free(e.path);
                free(e.why);
                return bad_line(err, file, lineno,
                                ok ? "the path is empty"
                                   : "a backslash that is not \\\\, \\t or \\n");
        }
        t->execs = xh_realloc(t->execs, (t->n + 1) * sizeof(*t->execs));
        t->execs[t->n++] = e;
        return 0;
}

static int parse_session(char **f, const char *file, int lineno, struct xh_trace *t, xh_error *err)
{
        if (t->has_session)
                return bad_line(err, file, lineno, "a second session record");
        if (!parse_seconds(f[1], &t->start) || !parse_seconds(f[2], &t->wall))
                return bad_line(err, file, lineno,
                                "the start or wall time is not a number of seconds");
        if (!parse_status(f[3], &t->status))
                return bad_line(err, file, lineno,
                                "the status is neither exit:N (0-255) nor signal:N (1-127)");
        bool ok = true;
        t->profile = unescape(f[4], &ok);
        if (!ok)
                return bad_line(err, file, lineno, "a backslash that is not \\\\, \\t or \\n");
        t->has_session = true;
        return 0;
}

int xh_trace_parse(const char *text, const char *file, struct xh_trace *t, xh_error *err)
{
        *t = (struct xh_trace){0};
        int lineno = 0, r = 0;
        _cleanup_free_ char *header = xh_trace_header();
        header[strlen(header) - 1] = '\0';
        for (const char *s = text; s && *s && r == 0;) {
                size_t n = strcspn(s, "\n");
                lineno++;
                if (s[n] != '\n') {
                        r = bad_line(err, file, lineno, "the last line has no newline (cut short)");
                        break;
                }
                _cleanup_free_ char *line = xh_strndup(s, n);
                s += n + 1;
                if (lineno == 1) {
                        if (strncmp(line, XH_TRACE_MAGIC " ", strlen(XH_TRACE_MAGIC) + 1) != 0) {
                                xh_fail(err, EINVAL, "%s:1: not an xhybrid trace (expected '%s')",
                                        file, header);
                                r = xh_hint(err, EINVAL,
                                            "give the file that 'xhybrid run --trace FILE' wrote");
                        } else if (strcmp(line, header) != 0) {
                                xh_fail(err, EINVAL,
                                        "%s:1: trace format '%s' is not one this xhybrid reads "
                                        "('%s')",
                                        file, line, header);
                                r = xh_hint(err, EINVAL,
                                            "summarize it with the xhybrid that wrote it");
                        }
                        continue;
                }
                char *f[9];
                size_t nf = split_tabs(line, f, XH_ARRAY_SIZE(f));
                if (strcmp(f[0], "exec") == 0 && nf == 8)
                        r = parse_exec(f, file, lineno, t, err);
                else if (strcmp(f[0], "session") == 0 && nf == 5)
                        r = parse_session(f, file, lineno, t, err);
                else if (strcmp(f[0], "exec") == 0 || strcmp(f[0], "session") == 0) {
                        _cleanup_free_ char *what =
                                xh_asprintf("%s %s record has %d tab-separated fields, found %zu",
                                            strcmp(f[0], "exec") == 0 ? "an" : "a", f[0],
                                            strcmp(f[0], "exec") == 0 ? 8 : 5, nf);
                        r = bad_line(err, file, lineno, what);
                } else
                        r = bad_line(err, file, lineno,
                                     "unknown record (expected a line starting 'exec' or "
                                     "'session' and a tab)");
        }
        if (r == 0 && lineno == 0) {
                xh_fail(err, EINVAL, "%s: empty file, not an xhybrid trace", file);
                r = xh_hint(err, EINVAL, "give the file that 'xhybrid run --trace FILE' wrote");
        }
        if (r < 0)
                xh_trace_clear(t);
        return r;
}

void xh_trace_clear(struct xh_trace *t)
{
        for (size_t i = 0; i < t->n; i++) {
                free(t->execs[i].path);
                free(t->execs[i].why);
        }
        free(t->execs);
        free(t->profile);
        *t = (struct xh_trace){0};
}

static int cmp_rows(const void *a, const void *b)
{
        const struct xh_trace_row *x = a, *y = b;
        bool ex = xh_trace_strategy_emulated(x->strategy),
             ey = xh_trace_strategy_emulated(y->strategy);
        if (ex != ey)
                return ex ? -1 : 1;
        if (x->total != y->total)
                return x->total > y->total ? -1 : 1;
        if (x->count != y->count)
                return x->count > y->count ? -1 : 1;
        int c = strcmp(x->tool, y->tool);
        return c ? c : (int)x->strategy - (int)y->strategy;
}

struct interval {
        double from, to;
};

static int cmp_interval(const void *a, const void *b)
{
        const struct interval *x = a, *y = b;
        return x->from < y->from ? -1 : x->from > y->from;
}

void xh_trace_summarize(const struct xh_trace *t, struct xh_trace_summary *s)
{
        *s = (struct xh_trace_summary){0};
        struct interval *iv = xh_malloc((t->n + 1) * sizeof(*iv));
        size_t niv = 0;
        double first = 0, last = 0;
        for (size_t i = 0; i < t->n; i++) {
                const struct xh_trace_exec *e = &t->execs[i];
                const char *slash = strrchr(e->path, '/');
                const char *tool = slash && slash[1] ? slash + 1 : e->path;
                const char *why = e->strategy == XH_TRACE_FALLBACK ? e->why : NULL;
                struct xh_trace_row *row = NULL;
                for (size_t k = 0; k < s->n && !row; k++)
                        if (s->rows[k].strategy == e->strategy &&
                            strcmp(s->rows[k].tool, tool) == 0 &&
                            (!why || strcmp(s->rows[k].why, why) == 0))
                                row = &s->rows[k];
                if (!row) {
                        s->rows = xh_realloc(s->rows, (s->n + 1) * sizeof(*s->rows));
                        row = &s->rows[s->n++];
                        *row = (struct xh_trace_row){.tool = xh_strdup(tool),
                                                     .strategy = e->strategy,
                                                     .why = why ? xh_strdup(why) : NULL};
                }
                row->count++;
                row->total += e->wall;
                s->execs++;
                s->per_strategy[e->strategy]++;
                if (i == 0 || e->start < first)
                        first = e->start;
                if (i == 0 || e->start + e->wall > last)
                        last = e->start + e->wall;
                if (xh_trace_strategy_emulated(e->strategy)) {
                        s->emulated_sum += e->wall;
                        iv[niv++] = (struct interval){e->start, e->start + e->wall};
                }
        }
        /* The union of the emulated intervals: nested and parallel runs count once. */
        qsort(iv, niv, sizeof(*iv), cmp_interval);
        double to = 0;
        for (size_t i = 0; i < niv; i++) {
                if (i == 0 || iv[i].from > to) {
                        s->emulated_wall += iv[i].to - iv[i].from;
                        to = iv[i].to;
                } else if (iv[i].to > to) {
                        s->emulated_wall += iv[i].to - to;
                        to = iv[i].to;
                }
        }
        free(iv);
        if (t->has_session) {
                s->wall = t->wall;
        } else {
                s->wall = last - first;
                s->wall_estimated = true;
        }
        s->emulated_share = s->wall > 0 ? s->emulated_wall / s->wall : 0;
        if (s->n)
                qsort(s->rows, s->n, sizeof(*s->rows), cmp_rows);
}

void xh_trace_summary_clear(struct xh_trace_summary *s)
{
        for (size_t i = 0; i < s->n; i++) {
                free(s->rows[i].tool);
                free(s->rows[i].why);
        }
        free(s->rows);
        *s = (struct xh_trace_summary){0};
}
