/* SPDX-License-Identifier: MIT */
/*
 * xhybrid bench reports: statistics, the terminal table, JSON (schema
 * docs/bench-json-schema.json), Markdown and an SVG bar chart. Everything is
 * built in a buffer first and written in one go, so a report is either
 * written whole or the error is returned.
 *
 * The configure phase is "absent" when it has neither runs nor failures and
 * there is no configure command (r->configure_cmd NULL, or the mode marked
 * skipped, which the runner sets when the mode had no configure command): it
 * prints as "-" and is null in JSON. Build and total are always reported;
 * without runs they print as "-" and have empty times and null statistics. Ratios use the medians
 * of the per-run totals (configure + build) and exist only when both modes have a non-zero total;
 * nothing here divides by zero or prints NaN.
 */
#include "bench.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "xh-util.h"

static const char *const phase_names[XH_PHASES] = {"configure", "build"};

/* ---- statistics ---- */

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

void xh_stats_compute(const double *v, size_t n, struct xh_stats *s)
{
        memset(s, 0, sizeof(*s));
        if (!v || n == 0)
                return;
        s->n = n;
        double sum = 0;
        s->min = s->max = v[0];
        for (size_t i = 0; i < n; i++) {
                sum += v[i];
                if (v[i] < s->min)
                        s->min = v[i];
                if (v[i] > s->max)
                        s->max = v[i];
        }
        s->mean = sum / (double)n;
        if (n >= 2) {
                double sq = 0;
                for (size_t i = 0; i < n; i++)
                        sq += (v[i] - s->mean) * (v[i] - s->mean);
                s->stddev = sqrt(sq / (double)(n - 1));
        }
        _cleanup_free_ double *sorted = xh_malloc(n * sizeof(double));
        memcpy(sorted, v, n * sizeof(double));
        qsort(sorted, n, sizeof(double), cmp_double);
        s->median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/* Per-run totals of a mode (configure + build); NULL and *n = 0 without runs. */
static double *total_times(const struct xh_bench_mode *m, size_t *n)
{
        const struct xh_bench_phase *c = &m->phases[XH_PHASE_CONFIGURE];
        const struct xh_bench_phase *b = &m->phases[XH_PHASE_BUILD];
        size_t count = b->times ? b->n : 0;
        bool with_configure = c->times && c->n > 0;
        if (with_configure && c->n < count)
                count = c->n;
        *n = count;
        if (count == 0)
                return NULL;
        double *t = xh_malloc(count * sizeof(double));
        for (size_t i = 0; i < count; i++)
                t[i] = b->times[i] + (with_configure ? c->times[i] : 0);
        return t;
}

double xh_bench_total_median(const struct xh_bench_mode *m)
{
        if (!m)
                return 0;
        size_t n = 0;
        _cleanup_free_ double *t = total_times(m, &n);
        struct xh_stats s;
        xh_stats_compute(t, n, &s);
        return s.median;
}

const struct xh_bench_mode *xh_bench_mode(const struct xh_bench_result *r, const char *name)
{
        if (!r || !name || !r->modes)
                return NULL;
        for (size_t i = 0; i < r->nmodes; i++)
                if (r->modes[i].name && strcmp(r->modes[i].name, name) == 0)
                        return &r->modes[i];
        return NULL;
}

static bool phase_absent(const struct xh_bench_result *r, const struct xh_bench_mode *m, int ph)
{
        const struct xh_bench_phase *p = &m->phases[ph];
        if (ph != XH_PHASE_CONFIGURE || p->n > 0 || p->failures > 0)
                return false;
        return m->skipped || !r->configure_cmd;
}

static double phase_median(const struct xh_bench_phase *p)
{
        struct xh_stats s;
        xh_stats_compute(p->times, p->times ? p->n : 0, &s);
        return s.median;
}

/* a / b when both are positive and finite, else NAN. */
static double safe_ratio(double a, double b)
{
        if (!(isfinite(a) && isfinite(b) && a > 0 && b > 0))
                return NAN;
        double q = a / b;
        return isfinite(q) ? q : NAN;
}

/* Ratio of the total medians of two modes (NAN when either lacks data). */
static double mode_ratio(const struct xh_bench_result *r, const char *a, const char *b)
{
        const struct xh_bench_mode *ma = xh_bench_mode(r, a), *mb = xh_bench_mode(r, b);
        if (!ma || !mb)
                return NAN;
        return safe_ratio(xh_bench_total_median(ma), xh_bench_total_median(mb));
}

static double phase_ratio(const struct xh_bench_result *r, const char *a, const char *b, int ph)
{
        const struct xh_bench_mode *ma = xh_bench_mode(r, a), *mb = xh_bench_mode(r, b);
        if (!ma || !mb)
                return NAN;
        return safe_ratio(phase_median(&ma->phases[ph]), phase_median(&mb->phases[ph]));
}

static const struct {
        const char *a, *b, *label, *key;
} ratio_defs[] = {
        {"emulated", "hybrid", "emulated / hybrid", "emulated_over_hybrid"},
        {"hybrid", "native-cross", "hybrid / native-cross", "hybrid_over_native_cross"},
        /* What a compiler rebuilt from the target's source gains over the stock layer. */
        {"hybrid-stock", "hybrid", "hybrid-stock / hybrid", "hybrid_stock_over_hybrid"},
        {"hybrid-stock", "native-cross", "hybrid-stock / native-cross",
         "hybrid_stock_over_native_cross"},
        /* The most any hybrid can reach on this machine: the floor's own speed-up. */
        {"emulated", "native-cross", "emulated / native-cross", "emulated_over_native_cross"},
        /* The compile cache: what filling it costs, what a warm one gives. */
        {"cache-cold", "hybrid", "cache-cold / hybrid", "cache_cold_over_hybrid"},
        {"hybrid", "cache-warm", "hybrid / cache-warm", "hybrid_over_cache_warm"},
        {"cache-warm", "native-cross", "cache-warm / native-cross", "cache_warm_over_native_cross"},
};

/* "N hits, M misses (P % hits)" of a mode that used the compile cache. */
static void add_cache_line(xh_buf *b, const struct xh_bench_mode *m)
{
        unsigned long long n = m->hits + m->misses;
        xh_buf_addf(b, "%llu hits, %llu misses", m->hits, m->misses);
        if (n)
                xh_buf_addf(b, " (%.1f %% hits)", 100.0 * (double)m->hits / (double)n);
}

/* Three significant digits for ratios: 123x, 12.3x, 1.23x. */
static void add_ratio(xh_buf *b, double q)
{
        if (q >= 99.95)
                xh_buf_addf(b, "%.0fx", q);
        else if (q >= 9.995)
                xh_buf_addf(b, "%.1fx", q);
        else
                xh_buf_addf(b, "%.2fx", q);
}

/*
 * One ratio line without newline: "emulated / hybrid = 12.3x (configure
 * 15.2x, build 11.0x)"; false (and nothing added) when the total ratio does
 * not exist. label_width pads the label for the terminal table.
 */
static bool add_ratio_line(xh_buf *b, const struct xh_bench_result *r, size_t i, int label_width,
                           const char *pre, const char *post)
{
        double q = mode_ratio(r, ratio_defs[i].a, ratio_defs[i].b);
        if (isnan(q))
                return false;
        xh_buf_addf(b, "%s%-*s = ", pre, label_width, ratio_defs[i].label);
        add_ratio(b, q);
        xh_buf_add(b, post);
        bool open = false;
        for (int ph = 0; ph < XH_PHASES; ph++) {
                double p = phase_ratio(r, ratio_defs[i].a, ratio_defs[i].b, ph);
                if (isnan(p))
                        continue;
                xh_buf_addf(b, "%s%s ", open ? ", " : " (", phase_names[ph]);
                add_ratio(b, p);
                open = true;
        }
        if (open)
                xh_buf_add(b, ")");
        return true;
}

/* ---- output helpers ---- */

/* Length of the valid UTF-8 sequence at s, or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s)
{
        if (s[0] < 0x80)
                return 1;
        size_t n;
        unsigned cp;
        if (s[0] >= 0xc2 && s[0] <= 0xdf) {
                n = 2;
                cp = s[0] & 0x1f;
        } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
                n = 3;
                cp = s[0] & 0x0f;
        } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
                n = 4;
                cp = s[0] & 0x07;
        } else {
                return 0;
        }
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = cp << 6 | (s[i] & 0x3f);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return n;
}

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

static int emit(xh_buf *b, FILE *out)
{
        int r = 0;
        errno = 0;
        if (!out)
                r = -EINVAL;
        else if ((b->len && fwrite(b->s, 1, b->len, out) != b->len) || fflush(out) != 0 ||
                 ferror(out))
                r = -(errno ? errno : EIO);
        xh_buf_free(b);
        return r;
}

/* A JSON string (or null): quotes, backslash and control characters escaped. */
void xh_json_string(xh_buf *b, const char *s)
{
        if (!s) {
                xh_buf_add(b, "null");
                return;
        }
        xh_buf_add(b, "\"");
        const unsigned char *p = (const unsigned char *)s;
        while (*p) {
                switch (*p) {
                case '"':
                        xh_buf_add(b, "\\\"");
                        break;
                case '\\':
                        xh_buf_add(b, "\\\\");
                        break;
                case '\b':
                        xh_buf_add(b, "\\b");
                        break;
                case '\f':
                        xh_buf_add(b, "\\f");
                        break;
                case '\n':
                        xh_buf_add(b, "\\n");
                        break;
                case '\r':
                        xh_buf_add(b, "\\r");
                        break;
                case '\t':
                        xh_buf_add(b, "\\t");
                        break;
                default:
                        if (*p < 0x20 || *p == 0x7f) {
                                xh_buf_addf(b, "\\u%04x", *p);
                        } else {
                                size_t n = utf8_len(p);
                                if (n == 0) {
                                        xh_buf_add(b, "\\ufffd");
                                        p++;
                                        continue;
                                }
                                xh_buf_addn(b, (const char *)p, n);
                                p += n;
                                continue;
                        }
                }
                p++;
        }
        xh_buf_add(b, "\"");
}

/* A JSON number, or null when it is not finite. */
static void json_num(xh_buf *b, double v)
{
        if (isfinite(v))
                xh_buf_addf(b, "%.6g", v);
        else
                xh_buf_add(b, "null");
}

/*
 * XML text or attribute value: & < > " ' escaped, characters XML cannot hold
 * and invalid UTF-8 replaced by U+FFFD; at most max characters (0: no limit),
 * then an ellipsis.
 */
static void xml_text(xh_buf *b, const char *s, size_t max)
{
        if (!s)
                return;
        const unsigned char *p = (const unsigned char *)s;
        for (size_t chars = 0; *p; chars++) {
                if (max && chars == max) {
                        xh_buf_add(b, "\xe2\x80\xa6");
                        return;
                }
                size_t n = utf8_len(p);
                if (n == 0) {
                        xh_buf_add(b, REPLACEMENT);
                        p++;
                        continue;
                }
                switch (*p) {
                case '&':
                        xh_buf_add(b, "&amp;");
                        break;
                case '<':
                        xh_buf_add(b, "&lt;");
                        break;
                case '>':
                        xh_buf_add(b, "&gt;");
                        break;
                case '"':
                        xh_buf_add(b, "&quot;");
                        break;
                case '\'':
                        xh_buf_add(b, "&#39;");
                        break;
                default:
                        if (*p < 0x20)
                                xh_buf_add(b, *p == '\t' || *p == '\n' || *p == '\r' ? " "
                                                                                     : REPLACEMENT);
                        else
                                xh_buf_addn(b, (const char *)p, n);
                }
                p += n;
        }
}

/*
 * Markdown characters of s: control characters as spaces, invalid UTF-8 as
 * U+FFFD, and the characters in escape (may be NULL) backslash-escaped.
 */
static void md_chars(xh_buf *b, const char *s, const char *escape)
{
        const unsigned char *p = (const unsigned char *)s;
        while (*p) {
                size_t n = utf8_len(p);
                if (n == 0) {
                        xh_buf_add(b, REPLACEMENT);
                        p++;
                        continue;
                }
                if (*p < 0x20 || *p == 0x7f)
                        xh_buf_add(b, " ");
                else if (escape && strchr(escape, *p))
                        xh_buf_addf(b, "\\%c", *p);
                else
                        xh_buf_addn(b, (const char *)p, n);
                p += n;
        }
}

/* Markdown inline text: punctuation that could start markup backslash-escaped. */
static void md_text(xh_buf *b, const char *s)
{
        if (!s) {
                xh_buf_add(b, "unknown");
                return;
        }
        md_chars(b, s, "\\`*_[]<>|#&!~");
}

/* Markdown code span that survives backticks and newlines in s. */
static void md_code(xh_buf *b, const char *s)
{
        size_t run = 0, longest = 0;
        for (const char *p = s; *p; p++) {
                run = *p == '`' ? run + 1 : 0;
                if (run > longest)
                        longest = run;
        }
        for (size_t i = 0; i <= longest; i++)
                xh_buf_add(b, "`");
        bool pad = *s == '`' || (*s && s[strlen(s) - 1] == '`') || *s == ' ';
        if (pad)
                xh_buf_add(b, " ");
        md_chars(b, s, NULL);
        if (pad)
                xh_buf_add(b, " ");
        for (size_t i = 0; i <= longest; i++)
                xh_buf_add(b, "`");
}

static const char *or_unknown(const char *s)
{
        return s && *s ? s : "unknown";
}

/*
 * The rows of a mode: configure (when it exists), build, total. For each:
 * its name, stats and failures; absent rows are reported with absent = true.
 */
struct row {
        const char *name;
        bool absent;
        struct xh_stats s;
        int failures;
};

static void mode_rows(const struct xh_bench_result *r, const struct xh_bench_mode *m,
                      struct row rows[XH_PHASES + 1])
{
        for (int ph = 0; ph < XH_PHASES; ph++) {
                const struct xh_bench_phase *p = &m->phases[ph];
                rows[ph].name = phase_names[ph];
                rows[ph].absent = phase_absent(r, m, ph);
                rows[ph].failures = p->failures;
                xh_stats_compute(p->times, p->times ? p->n : 0, &rows[ph].s);
        }
        size_t n = 0;
        _cleanup_free_ double *t = total_times(m, &n);
        struct row *tot = &rows[XH_PHASES];
        tot->name = "total";
        tot->absent = false;
        tot->failures = m->phases[XH_PHASE_CONFIGURE].failures + m->phases[XH_PHASE_BUILD].failures;
        xh_stats_compute(t, n, &tot->s);
}

/* ---- terminal table ---- */

void xh_bench_print_table(const struct xh_bench_result *r, FILE *out)
{
        if (!r || !out)
                return;
        xh_buf b = {0};
        xh_buf_addf(&b, "xhybrid bench: profile %s, source %s, %d run%s per mode\n",
                    or_unknown(r->profile), or_unknown(r->source), r->runs,
                    r->runs == 1 ? "" : "s");
        xh_buf_addf(&b, "configure: %s\nbuild:     %s\n\n",
                    r->configure_cmd ? r->configure_cmd : "(none)", or_unknown(r->build_cmd));

        int mw = 12;
        for (size_t i = 0; i < r->nmodes; i++)
                if (r->modes[i].name && (int)strlen(r->modes[i].name) > mw)
                        mw = (int)strlen(r->modes[i].name);
        xh_buf_addf(&b, "%-*s  %-9s  %4s  %9s  %9s  %9s\n", mw, "mode", "phase", "runs", "min s",
                    "median s", "max s");
        if (r->nmodes == 0)
                xh_buf_add(&b, "(no modes)\n");
        for (size_t i = 0; i < r->nmodes; i++) {
                const struct xh_bench_mode *m = &r->modes[i];
                const char *name = m->name ? m->name : "?";
                struct row rows[XH_PHASES + 1];
                mode_rows(r, m, rows);
                for (int k = 0; k <= XH_PHASES; k++) {
                        xh_buf_addf(&b, "%-*s  %-9s  ", mw, k == 0 ? name : "", rows[k].name);
                        if (rows[k].absent || rows[k].s.n == 0)
                                xh_buf_addf(&b, "%4s  %9s  %9s  %9s", "-", "-", "-", "-");
                        else
                                xh_buf_addf(&b, "%4zu  %9.2f  %9.2f  %9.2f", rows[k].s.n,
                                            rows[k].s.min, rows[k].s.median, rows[k].s.max);
                        if (rows[k].failures > 0)
                                xh_buf_addf(&b, "  (%d failed)", rows[k].failures);
                        xh_buf_add(&b, "\n");
                }
        }

        bool cached = false;
        for (size_t i = 0; i < r->nmodes; i++) {
                const struct xh_bench_mode *m = &r->modes[i];
                if (!m->cached)
                        continue;
                xh_buf_addf(&b, "%scompile cache, %s: ", cached ? "" : "\n", m->name);
                add_cache_line(&b, m);
                xh_buf_add(&b, "\n");
                cached = true;
        }

        bool any = false;
        for (size_t i = 0; i < XH_ARRAY_SIZE(ratio_defs); i++) {
                xh_buf line = {0};
                if (add_ratio_line(&line, r, i, 23, "", "")) {
                        xh_buf_addf(&b, "%s%s\n", any ? "" : "\n", line.s);
                        any = true;
                }
                xh_buf_free(&line);
        }
        fputs(b.s, out);
        xh_buf_free(&b);
}

/* ---- JSON ---- */

static void json_phase(xh_buf *b, const struct row *row, const double *times, size_t n)
{
        if (row->absent) {
                xh_buf_add(b, "null");
                return;
        }
        xh_buf_add(b, "{\n          \"times\": [");
        for (size_t i = 0; i < n; i++) {
                if (i)
                        xh_buf_add(b, ", ");
                json_num(b, times[i]);
        }
        xh_buf_add(b, "],\n");
        const struct xh_stats *s = &row->s;
        const struct {
                const char *key;
                double v;
        } f[] = {{"mean", s->mean},
                 {"stddev", s->stddev},
                 {"median", s->median},
                 {"min", s->min},
                 {"max", s->max}};
        for (size_t i = 0; i < XH_ARRAY_SIZE(f); i++) {
                xh_buf_addf(b, "          \"%s\": ", f[i].key);
                json_num(b, s->n ? f[i].v : NAN);
                xh_buf_add(b, ",\n");
        }
        xh_buf_addf(b, "          \"failures\": %d\n        }", row->failures);
}

int xh_bench_write_json(const struct xh_bench_result *r, FILE *out)
{
        if (!r)
                return -EINVAL;
        xh_buf b = {0};
        xh_buf_add(&b, "{\n  \"schema\": \"xhybrid-bench/1\",\n  \"profile\": ");
        xh_json_string(&b, r->profile ? r->profile : "");
        xh_buf_add(&b, ",\n  \"source\": ");
        xh_json_string(&b, r->source ? r->source : "");
        xh_buf_add(&b, ",\n  \"configure_command\": ");
        xh_json_string(&b, r->configure_cmd);
        xh_buf_add(&b, ",\n  \"build_command\": ");
        xh_json_string(&b, r->build_cmd ? r->build_cmd : "");
        xh_buf_addf(&b, ",\n  \"runs\": %d,\n  \"machine\": {\n", r->runs);

        const struct xh_bench_machine *mc = &r->machine;
        const struct {
                const char *key, *v;
        } ms[] = {{"date", mc->date}, {"kernel", mc->kernel}, {"cpu", mc->cpu}};
        for (size_t i = 0; i < XH_ARRAY_SIZE(ms); i++) {
                xh_buf_addf(&b, "    \"%s\": ", ms[i].key);
                xh_json_string(&b, ms[i].v);
                xh_buf_add(&b, ",\n");
        }
        xh_buf_addf(&b, "    \"ncpu\": %d,\n    \"mem_mib\": %ld,\n", mc->ncpu, mc->mem_mib);
        const struct {
                const char *key, *v;
        } vs[] = {
                {"xhybrid", mc->xhybrid},           {"qemu", mc->qemu},
                {"target_gcc", mc->target_gcc},     {"cross_gcc", mc->cross_gcc},
                {"gcc_decision", mc->gcc_decision}, {"gcc_stock_decision", mc->gcc_stock_decision}};
        for (size_t i = 0; i < XH_ARRAY_SIZE(vs); i++) {
                xh_buf_addf(&b, "    \"%s\": ", vs[i].key);
                xh_json_string(&b, vs[i].v);
                xh_buf_add(&b, i + 1 < XH_ARRAY_SIZE(vs) ? ",\n" : "\n");
        }
        xh_buf_add(&b, "  },\n  \"modes\": [");

        for (size_t i = 0; i < r->nmodes; i++) {
                const struct xh_bench_mode *m = &r->modes[i];
                struct row rows[XH_PHASES + 1];
                mode_rows(r, m, rows);
                xh_buf_add(&b, i ? ",\n    {\n      \"mode\": " : "\n    {\n      \"mode\": ");
                xh_json_string(&b, m->name ? m->name : "");
                xh_buf_addf(&b, ",\n      \"skipped\": %s,\n      \"phases\": {\n",
                            m->skipped ? "true" : "false");
                for (int ph = 0; ph < XH_PHASES; ph++) {
                        const struct xh_bench_phase *p = &m->phases[ph];
                        xh_buf_addf(&b, "        \"%s\": ", phase_names[ph]);
                        json_phase(&b, &rows[ph], p->times, p->times ? p->n : 0);
                        xh_buf_add(&b, ",\n");
                }
                size_t n = 0;
                _cleanup_free_ double *t = total_times(m, &n);
                xh_buf_add(&b, "        \"total\": ");
                json_phase(&b, &rows[XH_PHASES], t, n);
                xh_buf_add(&b, "\n      }");
                if (m->cached)
                        xh_buf_addf(&b, ",\n      \"cache\": {\"hits\": %llu, \"misses\": %llu}",
                                    m->hits, m->misses);
                xh_buf_add(&b, "\n    }");
        }
        xh_buf_add(&b, r->nmodes ? "\n  ],\n  \"ratios\": {\n" : "],\n  \"ratios\": {\n");
        for (size_t i = 0; i < XH_ARRAY_SIZE(ratio_defs); i++) {
                xh_buf_addf(&b, "    \"%s\": ", ratio_defs[i].key);
                json_num(&b, mode_ratio(r, ratio_defs[i].a, ratio_defs[i].b));
                xh_buf_add(&b, i + 1 < XH_ARRAY_SIZE(ratio_defs) ? ",\n" : "\n");
        }
        xh_buf_add(&b, "  }\n}\n");
        return emit(&b, out);
}

/* ---- Markdown ---- */

int xh_bench_write_markdown(const struct xh_bench_result *r, FILE *out)
{
        if (!r)
                return -EINVAL;
        xh_buf b = {0};
        xh_buf_add(&b, "### xhybrid bench: ");
        md_text(&b, or_unknown(r->source));
        xh_buf_add(&b, " on ");
        md_text(&b, or_unknown(r->profile));
        xh_buf_addf(&b, "\n\n%d run%s per mode. Configure: ", r->runs, r->runs == 1 ? "" : "s");
        if (r->configure_cmd)
                md_code(&b, r->configure_cmd);
        else
                xh_buf_add(&b, "none");
        xh_buf_add(&b, "; build: ");
        md_code(&b, or_unknown(r->build_cmd));
        xh_buf_add(&b, ". Times in seconds.\n\n");

        xh_buf_add(&b, "| mode | phase | runs | min | median | max | mean ± stddev |\n"
                       "| :--- | :--- | ---: | ---: | ---: | ---: | ---: |\n");
        for (size_t i = 0; i < r->nmodes; i++) {
                const struct xh_bench_mode *m = &r->modes[i];
                struct row rows[XH_PHASES + 1];
                mode_rows(r, m, rows);
                for (int k = 0; k <= XH_PHASES; k++) {
                        const struct xh_stats *s = &rows[k].s;
                        xh_buf_add(&b, "| ");
                        md_text(&b, m->name);
                        xh_buf_addf(&b, " | %s | ", rows[k].name);
                        if (rows[k].absent || s->n == 0)
                                xh_buf_add(&b, "-");
                        else
                                xh_buf_addf(&b, "%zu", s->n);
                        if (rows[k].failures > 0)
                                xh_buf_addf(&b, " (%d failed)", rows[k].failures);
                        if (rows[k].absent || s->n == 0)
                                xh_buf_add(&b, " | - | - | - | - |\n");
                        else
                                xh_buf_addf(&b, " | %.2f | %.2f | %.2f | %.2f ± %.2f |\n", s->min,
                                            s->median, s->max, s->mean, s->stddev);
                }
        }

        bool cached = false;
        for (size_t i = 0; i < r->nmodes; i++) {
                const struct xh_bench_mode *m = &r->modes[i];
                if (!m->cached)
                        continue;
                xh_buf_add(&b, cached ? "- " : "\nCompile cache:\n\n- ");
                md_text(&b, m->name);
                xh_buf_add(&b, ": ");
                add_cache_line(&b, m);
                xh_buf_add(&b, "\n");
                cached = true;
        }

        bool any = false;
        for (size_t i = 0; i < XH_ARRAY_SIZE(ratio_defs); i++) {
                xh_buf line = {0};
                if (add_ratio_line(&line, r, i, 0, "- **", "**")) {
                        xh_buf_addf(&b, "%s%s\n", any ? "" : "\nRatios of the median totals:\n\n",
                                    line.s);
                        any = true;
                }
                xh_buf_free(&line);
        }

        const struct xh_bench_machine *mc = &r->machine;
        xh_buf_add(&b, "\nMachine:\n\n- date: ");
        md_text(&b, or_unknown(mc->date));
        xh_buf_add(&b, "\n- kernel: ");
        md_text(&b, or_unknown(mc->kernel));
        xh_buf_add(&b, "\n- cpu: ");
        md_text(&b, or_unknown(mc->cpu));
        if (mc->ncpu > 0)
                xh_buf_addf(&b, " (%d CPUs)", mc->ncpu);
        if (mc->mem_mib > 0)
                xh_buf_addf(&b, "\n- memory: %ld MiB", mc->mem_mib);
        const struct {
                const char *label, *v;
        } vs[] = {{"xhybrid", mc->xhybrid},
                  {"qemu", mc->qemu},
                  {"target gcc", mc->target_gcc},
                  {"cross gcc", mc->cross_gcc},
                  {"gcc in the hybrid", mc->gcc_decision},
                  {"gcc in hybrid-stock", mc->gcc_stock_decision}};
        for (size_t i = 0; i < XH_ARRAY_SIZE(vs); i++) {
                xh_buf_addf(&b, "\n- %s: ", vs[i].label);
                md_text(&b, or_unknown(vs[i].v));
        }
        xh_buf_add(&b, "\n");
        return emit(&b, out);
}

/* ---- SVG ---- */

#define SVG_W         800
#define SVG_BAR_X     130 /* left end of the bars; mode labels end before it */
#define SVG_BAR_W     540 /* length of the scale */
#define SVG_TOP       86  /* first bar row */
#define SVG_ROW       36
#define SVG_BAR_H     22
#define SVG_CONFIGURE "#4e79a7"
#define SVG_BUILD     "#f28e2b"

/* A "nice" tick step (1, 2, 2.5 or 5 times a power of ten) for about 5 ticks. */
static double nice_step(double max)
{
        double raw = max / 5;
        double mag = pow(10, floor(log10(raw)));
        double norm = raw / mag;
        double f = norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10;
        return f * mag;
}

int xh_bench_write_svg(const struct xh_bench_result *r, FILE *out)
{
        if (!r)
                return -EINVAL;
        size_t nm = r->nmodes;
        double max = 0;
        for (size_t i = 0; i < nm; i++) {
                double t = xh_bench_total_median(&r->modes[i]);
                if (isfinite(t) && t > max)
                        max = t;
        }
        double step = max > 0 ? nice_step(max) : 1;
        double axis_max = max > 0 ? ceil(max / step - 1e-9) * step : 5;
        if (!(axis_max > 0) || !isfinite(axis_max))
                axis_max = 1;
        int nticks = (int)lround(axis_max / step);
        if (nticks < 1 || nticks > 20)
                nticks = 1, step = axis_max;

        int nrows = nm ? (int)nm : 1;
        int axis_y = SVG_TOP + nrows * SVG_ROW + 4;
        int nratios = 0;
        xh_buf lines[XH_ARRAY_SIZE(ratio_defs)] = {{0}};
        for (size_t i = 0; i < XH_ARRAY_SIZE(ratio_defs); i++)
                if (add_ratio_line(&lines[nratios], r, i, 0, "", ""))
                        nratios++;
        int height = axis_y + 44 + (nratios ? nratios : 1) * 18;

        xh_buf b = {0};
        xh_buf_addf(&b,
                    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                    "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\" "
                    "role=\"img\">\n",
                    SVG_W, height, SVG_W, height);
        xh_buf_add(&b, "<title>xhybrid bench: ");
        xml_text(&b, or_unknown(r->source), 0);
        xh_buf_add(&b, " (");
        xml_text(&b, or_unknown(r->profile), 0);
        xh_buf_add(&b, ")</title>\n");
        xh_buf_addf(&b, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", SVG_W, height);

        /* Title, subtitle, legend. */
        xh_buf_add(&b, "<text x=\"16\" y=\"28\" font-size=\"16\" font-weight=\"bold\" "
                       "fill=\"#222222\">xhybrid bench: ");
        xml_text(&b, or_unknown(r->source), 40);
        xh_buf_add(&b, " on ");
        xml_text(&b, or_unknown(r->profile), 24);
        xh_buf_add(&b, "</text>\n");
        xh_buf_addf(&b,
                    "<text x=\"16\" y=\"48\" fill=\"#555555\">Median total time per mode "
                    "(configure + build), %d run%s each; shorter is faster</text>\n",
                    r->runs, r->runs == 1 ? "" : "s");
        xh_buf_addf(&b,
                    "<rect x=\"%d\" y=\"59\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                    "<text x=\"%d\" y=\"70\" fill=\"#222222\">configure</text>\n"
                    "<rect x=\"%d\" y=\"59\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                    "<text x=\"%d\" y=\"70\" fill=\"#222222\">build</text>\n",
                    SVG_BAR_X, SVG_CONFIGURE, SVG_BAR_X + 17, SVG_BAR_X + 100, SVG_BUILD,
                    SVG_BAR_X + 117);

        /* Grid and tick labels. */
        for (int k = 0; k <= nticks; k++) {
                double v = step * k;
                double x = SVG_BAR_X + v / axis_max * SVG_BAR_W;
                xh_buf_addf(&b,
                            "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\"/>"
                            "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" "
                            "fill=\"#555555\">%g s</text>\n",
                            x, SVG_TOP - 4, x, axis_y, k ? "#e0e0e0" : "#888888", x, axis_y + 16,
                            v);
        }
        xh_buf_addf(&b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888888\"/>\n",
                    SVG_BAR_X, axis_y, SVG_BAR_X + SVG_BAR_W, axis_y);

        /* One bar per mode. */
        if (nm == 0)
                xh_buf_addf(&b, "<text x=\"%d\" y=\"%d\" fill=\"#888888\">no modes</text>\n",
                            SVG_BAR_X + 6, SVG_TOP + 22);
        for (size_t i = 0; i < nm; i++) {
                const struct xh_bench_mode *m = &r->modes[i];
                int y = SVG_TOP + (int)i * SVG_ROW;
                int ty = y + (SVG_ROW - SVG_BAR_H) / 2 + SVG_BAR_H - 7;
                xh_buf_addf(&b,
                            "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-size=\"13\" "
                            "fill=\"#222222\">",
                            SVG_BAR_X - 8, ty);
                xml_text(&b, m->name ? m->name : "?", 16);
                xh_buf_add(&b, "</text>\n");

                double total = xh_bench_total_median(m);
                if (!(isfinite(total) && total > 0)) {
                        bool failed = m->phases[XH_PHASE_BUILD].failures > 0 ||
                                      m->phases[XH_PHASE_CONFIGURE].failures > 0;
                        const char *why = failed ? "no completed runs (failed)" : "no runs";
                        xh_buf_addf(&b,
                                    "<text x=\"%d\" y=\"%d\" font-style=\"italic\" "
                                    "fill=\"#888888\">%s</text>\n",
                                    SVG_BAR_X + 6, ty, why);
                        continue;
                }
                double cmed = phase_absent(r, m, XH_PHASE_CONFIGURE)
                                      ? 0
                                      : phase_median(&m->phases[XH_PHASE_CONFIGURE]);
                double bmed = phase_median(&m->phases[XH_PHASE_BUILD]);
                double w = total / axis_max * SVG_BAR_W;
                if (w < 1)
                        w = 1;
                double cw = 0;
                if (isfinite(cmed) && isfinite(bmed) && cmed > 0 && cmed + bmed > 0)
                        cw = w * cmed / (cmed + bmed);
                int by = y + (SVG_ROW - SVG_BAR_H) / 2;
                xh_buf add = {0};
                xh_buf_add(&add, "<title>");
                xml_text(&add, m->name ? m->name : "?", 0);
                xh_buf_addf(&add,
                            ": median total %.2f s (configure median %.2f s, build median "
                            "%.2f s)</title>",
                            total, cmed, bmed);
                if (cw > 0)
                        xh_buf_addf(&b,
                                    "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
                                    "fill=\"%s\">%s</rect>\n",
                                    SVG_BAR_X, by, cw, SVG_BAR_H, SVG_CONFIGURE, add.s);
                xh_buf_addf(&b,
                            "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
                            "fill=\"%s\">%s</rect>\n",
                            SVG_BAR_X + cw, by, w - cw, SVG_BAR_H, SVG_BUILD, add.s);
                xh_buf_free(&add);
                xh_buf_addf(&b,
                            "<text x=\"%.1f\" y=\"%d\" font-weight=\"bold\" "
                            "fill=\"#222222\">%.2f s</text>\n",
                            SVG_BAR_X + w + 6, ty, total);
        }

        /* Ratios. */
        int y = axis_y + 48;
        if (nratios == 0)
                xh_buf_addf(&b,
                            "<text x=\"16\" y=\"%d\" fill=\"#555555\">No ratio: it needs two "
                            "modes with completed runs.</text>\n",
                            y);
        for (int i = 0; i < nratios; i++, y += 18) {
                xh_buf_addf(&b, "<text x=\"16\" y=\"%d\" font-size=\"13\" fill=\"#222222\">", y);
                xml_text(&b, lines[i].s, 0);
                xh_buf_add(&b, "</text>\n");
        }
        for (size_t i = 0; i < XH_ARRAY_SIZE(lines); i++)
                xh_buf_free(&lines[i]);
        xh_buf_add(&b, "</svg>\n");
        return emit(&b, out);
}

/* ---- ownership ---- */

void xh_bench_result_clear(struct xh_bench_result *r)
{
        if (!r)
                return;
        free(r->profile);
        free(r->source);
        free(r->configure_cmd);
        free(r->build_cmd);
        for (size_t i = 0; r->modes && i < r->nmodes; i++)
                for (int ph = 0; ph < XH_PHASES; ph++)
                        free(r->modes[i].phases[ph].times);
        free(r->modes);
        struct xh_bench_machine *mc = &r->machine;
        free(mc->date);
        free(mc->kernel);
        free(mc->cpu);
        free(mc->xhybrid);
        free(mc->qemu);
        free(mc->target_gcc);
        free(mc->cross_gcc);
        free(mc->gcc_decision);
        free(mc->gcc_stock_decision);
        memset(r, 0, sizeof(*r));
}

/* ---- verify ---- */

int xh_verify_write_json(const struct xh_verify_result *v, FILE *out)
{
        const struct xh_compare *cmp = v->cmp;
        const struct xh_verify_mode *vm = v->modes;
        xh_buf b = {0};
        xh_buf_add(&b, "{\n  \"schema\": \"xhybrid-verify/1\",\n  \"profile\": ");
        xh_json_string(&b, v->profile);
        xh_buf_add(&b, ",\n  \"source\": ");
        xh_json_string(&b, v->source);
        xh_buf_add(&b, ",\n  \"configure_command\": ");
        xh_json_string(&b, v->configure_cmd);
        xh_buf_add(&b, ",\n  \"build_command\": ");
        xh_json_string(&b, v->build_cmd);
        xh_buf_add(&b, ",\n  \"check_command\": ");
        xh_json_string(&b, v->check_cmd);
        xh_buf_add(&b, ",\n  \"target_gcc\": ");
        xh_json_string(&b, v->target_gcc);
        xh_buf_add(&b, ",\n  \"cross_gcc\": ");
        xh_json_string(&b, v->cross_gcc);
        xh_buf_add(&b, ",\n  \"gcc_decision\": ");
        xh_json_string(&b, v->gcc_decision);
        xh_buf_addf(&b, ",\n  \"identical\": %s,\n", v->identical ? "true" : "false");
        xh_buf_addf(&b, "  \"strict\": %s,\n", cmp->strict ? "true" : "false");
        xh_buf_addf(&b,
                    "  \"files\": %zu,\n  \"directories\": %zu,\n  \"symlinks\": %zu,\n"
                    "  \"elf_files\": %zu,\n  \"config_h\": %zu,\n  \"config_status\": %zu,\n",
                    cmp->files, cmp->dirs, cmp->symlinks, cmp->elf_files, cmp->config_headers,
                    cmp->config_status);
        xh_buf_add(&b, "  \"ignored_sections\": [");
        char *const *ignored = xh_compare_ignored_sections(cmp->strict);
        for (char *const *s = ignored; *s; s++) {
                xh_buf_add(&b, s == ignored ? "" : ", ");
                xh_json_string(&b, *s);
        }
        xh_buf_add(&b, "],\n  \"not_compared\": [");
        for (char **s = cmp->not_compared; s && *s; s++) {
                xh_buf_add(&b, s == cmp->not_compared ? "" : ", ");
                xh_json_string(&b, *s);
        }
        xh_buf_add(&b, "],\n  \"differences\": [");
        for (char **d = cmp->differences; d && *d; d++) {
                xh_buf_add(&b, d == cmp->differences ? "\n    " : ",\n    ");
                xh_json_string(&b, *d);
        }
        xh_buf_addf(&b, "%s],\n  \"modes\": {",
                    cmp->differences && cmp->differences[0] ? "\n  " : "");
        for (int i = 0; i < 2; i++) {
                xh_buf_addf(&b,
                            "%s\n    \"%s\": {\"seconds\": %.3f, \"reused\": %s, "
                            "\"check_status\": ",
                            i ? "," : "", vm[i].name, vm[i].seconds,
                            vm[i].reused ? "true" : "false");
                if (vm[i].check_status < 0)
                        xh_buf_add(&b, "null}");
                else
                        xh_buf_addf(&b, "%d}", vm[i].check_status);
        }
        xh_buf_add(&b, "\n  }\n}\n");
        return emit(&b, out);
}
