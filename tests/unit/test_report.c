/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the bench reports (bench/report.c): statistics, total medians,
 * the terminal table and its ratios, JSON (parsed back by a small validator
 * and checked against docs/bench-json-schema.json with python3-jsonschema),
 * Markdown and SVG (checked with xmllint).
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "xh-test.h"
#include "xh-util.h"

#define PYTHON3 "/usr/bin/python3"
#define XMLLINT "/usr/bin/xmllint"

/* ---- fixtures ---- */

static double *dup_times(const double *v, size_t n)
{
        if (n == 0)
                return NULL;
        double *t = xh_malloc(n * sizeof(double));
        memcpy(t, v, n * sizeof(double));
        return t;
}

static void set_phase(struct xh_bench_mode *m, int ph, const double *v, size_t n, int failures)
{
        m->phases[ph].times = dup_times(v, n);
        m->phases[ph].n = n;
        m->phases[ph].failures = failures;
}

/*
 * Three modes, three runs. Totals: emulated 110 122 101 (median 110), hybrid
 * 9 10.2 10.8 (10.2), native-cross 7.8 9 8.4 (8.4): emulated / hybrid =
 * 10.78, hybrid / native-cross = 1.214. Configure medians 11, 1, 0.9; build
 * medians 100, 9, 7.5.
 */
static void make_result(struct xh_bench_result *r)
{
        memset(r, 0, sizeof(*r));
        r->profile = xh_strdup("debian-bookworm-arm64");
        r->source = xh_strdup("zlib-1.3.1");
        r->configure_cmd = xh_strdup("./configure");
        r->build_cmd = xh_strdup("make -j8");
        r->runs = 3;
        r->nmodes = 3;
        r->modes = xh_malloc(3 * sizeof(*r->modes));
        r->modes[0].name = "emulated";
        set_phase(&r->modes[0], XH_PHASE_CONFIGURE, (double[]){10, 12, 11}, 3, 0);
        set_phase(&r->modes[0], XH_PHASE_BUILD, (double[]){100, 110, 90}, 3, 0);
        r->modes[1].name = "hybrid";
        set_phase(&r->modes[1], XH_PHASE_CONFIGURE, (double[]){1, 1.2, 0.8}, 3, 0);
        set_phase(&r->modes[1], XH_PHASE_BUILD, (double[]){8, 9, 10}, 3, 0);
        r->modes[2].name = "native-cross";
        set_phase(&r->modes[2], XH_PHASE_CONFIGURE, (double[]){0.8, 1, 0.9}, 3, 0);
        set_phase(&r->modes[2], XH_PHASE_BUILD, (double[]){7, 8, 7.5}, 3, 1);
        r->machine.date = xh_strdup("2024-05-01T12:00:00Z");
        r->machine.kernel = xh_strdup("Linux 6.1.0-21-amd64");
        r->machine.cpu = xh_strdup("AMD Ryzen 9 7950X 16-Core Processor");
        r->machine.ncpu = 32;
        r->machine.mem_mib = 64000;
        r->machine.xhybrid = xh_strdup("0.1.0");
        r->machine.qemu = xh_strdup("qemu-aarch64 version 7.2.9 (Debian 1:7.2+dfsg-7+deb12u6)");
        r->machine.target_gcc = xh_strdup("gcc-12 12.2.0-14+deb12u1");
        r->machine.cross_gcc =
                xh_strdup("gcc-12-aarch64-linux-gnu 12.2.0-14cross1 (from gcc-12 12.2.0-14)");
        r->machine.gcc_decision = xh_strdup("emulated (built from another source)");
        r->machine.gcc_stock_decision = xh_strdup("emulated (built from another source)");
}

typedef int (*writer_fn)(const struct xh_bench_result *, FILE *);

static char *render(writer_fn fn, const struct xh_bench_result *r)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(fn(r, f), 0);
        ck_assert_int_eq(fclose(f), 0);
        ck_assert_uint_eq(strlen(buf), len);
        return buf;
}

static char *table_of(const struct xh_bench_result *r)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        ck_assert_ptr_nonnull(f);
        xh_bench_print_table(r, f);
        ck_assert_int_eq(fclose(f), 0);
        return buf;
}

#define assert_has(text, needle)                                                                   \
        ck_assert_msg(strstr((text), (needle)) != NULL, "missing '%s' in:\n%s", (needle), (text))
#define assert_lacks(text, needle)                                                                 \
        ck_assert_msg(strstr((text), (needle)) == NULL, "unexpected '%s' in:\n%s", (needle), (text))

static void assert_no_nan(const char *text)
{
        _cleanup_free_ char *lower = xh_strdup(text);
        for (char *p = lower; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                        *p = (char)(*p - 'A' + 'a');
        assert_lacks(lower, "nan");
        assert_lacks(lower, "inf");
}

static char *tmp_file(const char *text, const char *suffix)
{
        const char *tmp = getenv("TMPDIR");
        char *path = xh_asprintf("%s/test_report.XXXXXX%s", tmp && *tmp ? tmp : "/tmp", suffix);
        int fd = mkstemps(path, (int)strlen(suffix));
        ck_assert_int_ge(fd, 0);
        size_t len = strlen(text);
        ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
        ck_assert_int_eq(close(fd), 0);
        return path;
}

static char *source_dir(void)
{
        const char *src = getenv("XH_SOURCE_DIR");
        if (src && *src)
                return xh_strdup(src);
        /* Built by hand: this file is SRC/tests/unit/test_report.c. */
        const char *f = __FILE__;
        const char *end = strstr(f, "/tests/unit/test_report.c");
        return end ? xh_strndup(f, (size_t)(end - f)) : xh_strdup(".");
}

/* ---- statistics ---- */

#define EPS 1e-9

START_TEST(test_stats_odd)
{
        double v[] = {3, 1, 2};
        struct xh_stats s;
        xh_stats_compute(v, 3, &s);
        ck_assert_uint_eq(s.n, 3);
        ck_assert_double_eq_tol(s.mean, 2, EPS);
        ck_assert_double_eq_tol(s.stddev, 1, EPS);
        ck_assert_double_eq_tol(s.median, 2, EPS);
        ck_assert_double_eq_tol(s.min, 1, EPS);
        ck_assert_double_eq_tol(s.max, 3, EPS);
        /* The caller's array keeps its order. */
        ck_assert(v[0] == 3 && v[1] == 1 && v[2] == 2);

        double w[] = {10, 2, 38, 23, 38, 23, 21};
        xh_stats_compute(w, 7, &s);
        ck_assert_double_eq_tol(s.mean, 155.0 / 7, EPS);
        ck_assert_double_eq_tol(s.median, 23, EPS);
        ck_assert_double_eq_tol(s.stddev, 13.284434142114991, 1e-12);
        ck_assert_double_eq_tol(s.min, 2, EPS);
        ck_assert_double_eq_tol(s.max, 38, EPS);
}
END_TEST

START_TEST(test_stats_even)
{
        double v[] = {4, 1, 3, 2};
        struct xh_stats s;
        xh_stats_compute(v, 4, &s);
        ck_assert_uint_eq(s.n, 4);
        ck_assert_double_eq_tol(s.mean, 2.5, EPS);
        ck_assert_double_eq_tol(s.median, 2.5, EPS);
        ck_assert_double_eq_tol(s.stddev, sqrt(5.0 / 3.0), EPS);
        ck_assert_double_eq_tol(s.min, 1, EPS);
        ck_assert_double_eq_tol(s.max, 4, EPS);
        ck_assert(v[0] == 4 && v[1] == 1 && v[2] == 3 && v[3] == 2);

        double w[] = {5, 1};
        xh_stats_compute(w, 2, &s);
        ck_assert_double_eq_tol(s.median, 3, EPS);
        ck_assert_double_eq_tol(s.stddev, sqrt(8), EPS);
}
END_TEST

START_TEST(test_stats_one_and_zero)
{
        double v[] = {7.25};
        struct xh_stats s;
        xh_stats_compute(v, 1, &s);
        ck_assert_uint_eq(s.n, 1);
        ck_assert_double_eq(s.mean, 7.25);
        ck_assert_double_eq(s.stddev, 0);
        ck_assert_double_eq(s.median, 7.25);
        ck_assert_double_eq(s.min, 7.25);
        ck_assert_double_eq(s.max, 7.25);

        memset(&s, 0xa5, sizeof(s));
        xh_stats_compute(v, 0, &s);
        ck_assert_uint_eq(s.n, 0);
        ck_assert(s.mean == 0 && s.stddev == 0 && s.median == 0 && s.min == 0 && s.max == 0);

        memset(&s, 0xa5, sizeof(s));
        xh_stats_compute(NULL, 0, &s);
        ck_assert_uint_eq(s.n, 0);
        ck_assert(s.mean == 0 && s.stddev == 0 && s.median == 0 && s.min == 0 && s.max == 0);
}
END_TEST

/* ---- totals and modes ---- */

START_TEST(test_total_median)
{
        struct xh_bench_result r;
        make_result(&r);
        ck_assert_double_eq_tol(xh_bench_total_median(&r.modes[0]), 110, EPS);
        ck_assert_double_eq_tol(xh_bench_total_median(&r.modes[1]), 10.2, EPS);
        ck_assert_double_eq_tol(xh_bench_total_median(&r.modes[2]), 8.4, EPS);
        xh_bench_result_clear(&r);

        /* No configure runs: the build alone; even count. */
        struct xh_bench_mode m = {.name = "hybrid"};
        set_phase(&m, XH_PHASE_BUILD, (double[]){4, 1, 3, 2}, 4, 0);
        ck_assert_double_eq_tol(xh_bench_total_median(&m), 2.5, EPS);

        /* Configure has fewer runs: only the runs present in both (14, 21). */
        set_phase(&m, XH_PHASE_CONFIGURE, (double[]){10, 20}, 2, 2);
        ck_assert_double_eq_tol(xh_bench_total_median(&m), 17.5, EPS);
        free(m.phases[XH_PHASE_CONFIGURE].times);
        free(m.phases[XH_PHASE_BUILD].times);

        /* More configure runs than build runs: the build count. */
        struct xh_bench_mode k = {.name = "emulated"};
        set_phase(&k, XH_PHASE_CONFIGURE, (double[]){1, 2, 3}, 3, 0);
        set_phase(&k, XH_PHASE_BUILD, (double[]){10}, 1, 2);
        ck_assert_double_eq_tol(xh_bench_total_median(&k), 11, EPS);
        free(k.phases[XH_PHASE_CONFIGURE].times);
        free(k.phases[XH_PHASE_BUILD].times);

        /* No runs at all, configure only, NULL. */
        struct xh_bench_mode z = {.name = "native-cross"};
        ck_assert_double_eq(xh_bench_total_median(&z), 0);
        set_phase(&z, XH_PHASE_CONFIGURE, (double[]){5}, 1, 0);
        ck_assert_double_eq(xh_bench_total_median(&z), 0);
        free(z.phases[XH_PHASE_CONFIGURE].times);
        ck_assert_double_eq(xh_bench_total_median(NULL), 0);
}
END_TEST

START_TEST(test_mode_lookup)
{
        struct xh_bench_result r;
        make_result(&r);
        ck_assert_ptr_eq(xh_bench_mode(&r, "emulated"), &r.modes[0]);
        ck_assert_ptr_eq(xh_bench_mode(&r, "native-cross"), &r.modes[2]);
        ck_assert_ptr_null(xh_bench_mode(&r, "native"));
        ck_assert_ptr_null(xh_bench_mode(&r, NULL));
        ck_assert_ptr_null(xh_bench_mode(NULL, "hybrid"));
        xh_bench_result_clear(&r);
        ck_assert_ptr_null(xh_bench_mode(&r, "hybrid"));
}
END_TEST

START_TEST(test_clear)
{
        struct xh_bench_result r;
        make_result(&r);
        xh_bench_result_clear(&r);
        static const struct xh_bench_result zero;
        ck_assert_int_eq(memcmp(&r, &zero, sizeof(r)), 0);
        xh_bench_result_clear(&r); /* twice is harmless */
        xh_bench_result_clear(NULL);
}
END_TEST

/* ---- terminal table ---- */

START_TEST(test_table)
{
        struct xh_bench_result r;
        make_result(&r);
        _cleanup_free_ char *t = table_of(&r);
        assert_has(t, "profile debian-bookworm-arm64");
        assert_has(t, "source zlib-1.3.1");
        assert_has(t, "3 runs");
        assert_has(t, "median");
        /* emulated configure 10 / 11 / 12, build 90 / 100 / 110, total 101 / 110 / 122 */
        assert_has(t, "emulated      configure     3      10.00      11.00      12.00\n");
        assert_has(t, "              build         3      90.00     100.00     110.00\n");
        assert_has(t, "              total         3     101.00     110.00     122.00\n");
        assert_has(t, "(1 failed)");
        assert_has(t, "emulated / hybrid       = 10.8x (configure 11.0x, build 11.1x)\n");
        assert_has(t, "hybrid / native-cross   = 1.21x (configure 1.11x, build 1.20x)\n");
        assert_has(t, "emulated / native-cross = 13.1x (configure 12.2x, build 13.3x)\n");
        assert_no_nan(t);
        xh_bench_result_clear(&r);
}
END_TEST

START_TEST(test_table_missing)
{
        struct xh_bench_result r;
        make_result(&r);
        /* No configure command, native-cross skipped, emulated without runs. */
        free(r.configure_cmd);
        r.configure_cmd = NULL;
        for (size_t i = 0; i < r.nmodes; i++) {
                free(r.modes[i].phases[XH_PHASE_CONFIGURE].times);
                r.modes[i].phases[XH_PHASE_CONFIGURE].times = NULL;
                r.modes[i].phases[XH_PHASE_CONFIGURE].n = 0;
        }
        for (int ph = 0; ph < XH_PHASES; ph++) {
                free(r.modes[2].phases[ph].times);
                r.modes[2].phases[ph] = (struct xh_bench_phase){0};
        }
        r.modes[2].skipped = true;
        free(r.modes[0].phases[XH_PHASE_BUILD].times);
        r.modes[0].phases[XH_PHASE_BUILD] = (struct xh_bench_phase){.failures = 3};

        _cleanup_free_ char *t = table_of(&r);
        assert_has(t, "configure: (none)");
        assert_has(t, "hybrid        configure     -          -          -          -\n");
        assert_has(t, "              build         3       8.00       9.00      10.00\n");
        assert_has(t, "emulated      configure     -");
        assert_has(t,
                   "              build         -          -          -          -  (3 failed)\n");
        assert_has(t, "native-cross  configure     -          -          -          -\n");
        assert_has(t, "              build         -          -          -          -\n");
        assert_lacks(t, " / ");
        assert_no_nan(t);

        _cleanup_free_ char *md = render(xh_bench_write_markdown, &r);
        assert_has(md, "| native-cross | build | - | - | - | - | - |");
        assert_has(md, "| hybrid | configure | - | - | - | - | - |");
        assert_lacks(md, " / ");
        assert_no_nan(md);

        _cleanup_free_ char *svg = render(xh_bench_write_svg, &r);
        assert_has(svg, ">no runs<");
        assert_has(svg, ">no completed runs (failed)<");
        assert_has(svg, "No ratio");
        assert_no_nan(svg);
        xh_bench_result_clear(&r);

        /* Nothing at all. */
        struct xh_bench_result e = {0};
        _cleanup_free_ char *te = table_of(&e);
        assert_has(te, "(no modes)");
        assert_no_nan(te);
}
END_TEST

START_TEST(test_table_one_ratio)
{
        struct xh_bench_result r;
        make_result(&r);
        r.nmodes = 2; /* no native-cross */
        free(r.modes[2].phases[0].times);
        free(r.modes[2].phases[1].times);
        _cleanup_free_ char *t = table_of(&r);
        assert_has(t, "emulated / hybrid       = 10.8x");
        assert_lacks(t, "hybrid / native-cross");
        xh_bench_result_clear(&r);
}
END_TEST

/* ---- JSON ---- */

/* A small strict JSON parser: true when the whole text is one valid value. */
struct jp {
        const char *p;
        int depth, max_depth;
};

static void jp_ws(struct jp *j)
{
        while (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r')
                j->p++;
}

static bool jp_value(struct jp *j);

static bool jp_string(struct jp *j)
{
        if (*j->p++ != '"')
                return false;
        for (;;) {
                unsigned char c = (unsigned char)*j->p++;
                if (c == '"')
                        return true;
                if (c < 0x20)
                        return false;
                if (c == '\\') {
                        char e = *j->p++;
                        if (e == 'u') {
                                for (int i = 0; i < 4; i++, j->p++)
                                        if (!strchr("0123456789abcdefABCDEF", *j->p) || !*j->p)
                                                return false;
                        } else if (!e || !strchr("\"\\/bfnrt", e)) {
                                return false;
                        }
                }
        }
}

static bool jp_number(struct jp *j)
{
        const char *s = j->p;
        if (*j->p == '-')
                j->p++;
        if (*j->p == '0')
                j->p++;
        else if (*j->p >= '1' && *j->p <= '9')
                while (*j->p >= '0' && *j->p <= '9')
                        j->p++;
        else
                return false;
        if (*j->p == '.') {
                j->p++;
                if (!(*j->p >= '0' && *j->p <= '9'))
                        return false;
                while (*j->p >= '0' && *j->p <= '9')
                        j->p++;
        }
        if (*j->p == 'e' || *j->p == 'E') {
                j->p++;
                if (*j->p == '+' || *j->p == '-')
                        j->p++;
                if (!(*j->p >= '0' && *j->p <= '9'))
                        return false;
                while (*j->p >= '0' && *j->p <= '9')
                        j->p++;
        }
        return j->p > s;
}

static bool jp_container(struct jp *j, char close)
{
        j->p++;
        if (++j->depth > j->max_depth)
                j->max_depth = j->depth;
        jp_ws(j);
        if (*j->p == close) {
                j->p++;
                j->depth--;
                return true;
        }
        for (;;) {
                jp_ws(j);
                if (close == '}') {
                        if (!jp_string(j))
                                return false;
                        jp_ws(j);
                        if (*j->p++ != ':')
                                return false;
                }
                if (!jp_value(j))
                        return false;
                jp_ws(j);
                if (*j->p == ',') {
                        j->p++;
                        continue;
                }
                if (*j->p++ != close)
                        return false;
                j->depth--;
                return true;
        }
}

static bool jp_value(struct jp *j)
{
        jp_ws(j);
        switch (*j->p) {
        case '{':
                return jp_container(j, '}');
        case '[':
                return jp_container(j, ']');
        case '"':
                return jp_string(j);
        case 't':
                return strncmp(j->p, "true", 4) == 0 && (j->p += 4);
        case 'f':
                return strncmp(j->p, "false", 5) == 0 && (j->p += 5);
        case 'n':
                return strncmp(j->p, "null", 4) == 0 && (j->p += 4);
        default:
                return jp_number(j);
        }
}

static void assert_json_valid(const char *text)
{
        struct jp j = {.p = text};
        ck_assert_msg(jp_value(&j), "invalid JSON near offset %td:\n%s", j.p - text, text);
        jp_ws(&j);
        ck_assert_msg(*j.p == '\0', "trailing data at offset %td:\n%s", j.p - text, text);
        ck_assert_int_eq(j.depth, 0);
        ck_assert_int_ge(j.max_depth, 1);
        assert_no_nan(text);
}

/* Validate against the schema with Debian's python3-jsonschema. */
static void assert_json_schema(const char *text)
{
        XH_REQUIRE(system(PYTHON3 " -c 'import jsonschema' >/dev/null 2>&1") == 0,
                   PYTHON3 " cannot import jsonschema (apt-get install python3-jsonschema)");
        _cleanup_free_ char *src = source_dir();
        _cleanup_free_ char *schema = xh_asprintf("%s/docs/bench-json-schema.json", src);
        ck_assert_msg(access(schema, R_OK) == 0, "cannot read %s", schema);
        _cleanup_free_ char *file = tmp_file(text, ".json");
        _cleanup_free_ char *cmd = xh_asprintf(
                PYTHON3
                " -c 'import json, sys, jsonschema\n"
                "s = json.load(open(sys.argv[1]))\n"
                "jsonschema.Draft202012Validator.check_schema(s)\n"
                "jsonschema.Draft202012Validator(s).validate(json.load(open(sys.argv[2])))' "
                "'%s' '%s' >&2",
                schema, file);
        int rc = system(cmd);
        unlink(file);
        ck_assert_msg(rc == 0, "JSON does not match %s:\n%s", schema, text);
}

START_TEST(test_json)
{
        struct xh_bench_result r;
        make_result(&r);
        _cleanup_free_ char *j = render(xh_bench_write_json, &r);
        assert_json_valid(j);
        assert_json_schema(j);
        static const char *const keys[] = {
                "\"schema\": \"xhybrid-bench/1\"",
                "\"profile\": \"debian-bookworm-arm64\"",
                "\"source\": \"zlib-1.3.1\"",
                "\"configure_command\": \"./configure\"",
                "\"build_command\": \"make -j8\"",
                "\"runs\": 3",
                "\"machine\": {",
                "\"date\": \"2024-05-01T12:00:00Z\"",
                "\"kernel\": ",
                "\"cpu\": ",
                "\"ncpu\": 32",
                "\"mem_mib\": 64000",
                "\"xhybrid\": \"0.1.0\"",
                "\"qemu\": ",
                "\"target_gcc\": \"gcc-12 12.2.0-14+deb12u1\"",
                ("\"cross_gcc\": \"gcc-12-aarch64-linux-gnu 12.2.0-14cross1 (from gcc-12 "
                 "12.2.0-14)\""),
                "\"gcc_decision\": \"emulated (built from another source)\"",
                "\"modes\": [",
                "\"mode\": \"emulated\"",
                "\"mode\": \"hybrid\"",
                "\"mode\": \"native-cross\"",
                "\"skipped\": false",
                "\"phases\": {",
                "\"configure\": {",
                "\"build\": {",
                "\"total\": {",
                "\"times\": [100, 110, 90]",
                "\"times\": [110, 122, 101]",
                "\"mean\": 100,",
                "\"stddev\": 10,",
                "\"median\": 110,",
                "\"min\": 101,",
                "\"max\": 122,",
                "\"failures\": 1",
                "\"ratios\": {",
                "\"emulated_over_hybrid\": 10.7843",
                "\"hybrid_over_native_cross\": 1.21429",
                "\"emulated_over_native_cross\": 13.0952",
        };
        for (size_t i = 0; i < XH_ARRAY_SIZE(keys); i++)
                assert_has(j, keys[i]);
        xh_bench_result_clear(&r);
}
END_TEST

/*
 * The compile cache's modes: their hits and misses in the table, the JSON
 * (valid by the schema) and Markdown, and the ratios hybrid / cache-warm,
 * cache-cold / hybrid and cache-warm / native-cross.
 */
START_TEST(test_cache_modes)
{
        struct xh_bench_result r;
        make_result(&r);
        r.modes = xh_realloc(r.modes, 5 * sizeof(*r.modes));
        r.modes[4] = r.modes[2]; /* native-cross last */
        r.modes[2] = (struct xh_bench_mode){.name = "cache-cold", .cached = true, .misses = 36};
        set_phase(&r.modes[2], XH_PHASE_CONFIGURE, (double[]){1.2, 1.2, 1.2}, 3, 0);
        set_phase(&r.modes[2], XH_PHASE_BUILD, (double[]){9.8, 9.8, 9.8}, 3, 0);
        r.modes[3] = (struct xh_bench_mode){
                .name = "cache-warm", .cached = true, .hits = 36, .misses = 0};
        set_phase(&r.modes[3], XH_PHASE_CONFIGURE, (double[]){0.6, 0.6, 0.6}, 3, 0);
        set_phase(&r.modes[3], XH_PHASE_BUILD, (double[]){2.8, 2.8, 2.8}, 3, 0);
        r.nmodes = 5;

        _cleanup_free_ char *t = table_of(&r);
        assert_has(t, "compile cache, cache-cold: 0 hits, 36 misses (0.0 % hits)\n");
        assert_has(t, "compile cache, cache-warm: 36 hits, 0 misses (100.0 % hits)\n");
        assert_has(t, "hybrid / cache-warm     = 3.00x (configure 1.67x, build 3.21x)");
        assert_has(t, "cache-cold / hybrid     = 1.08x");
        assert_has(t, "cache-warm / native-cross = 0.40x (configure 0.67x, build 0.37x)");
        _cleanup_free_ char *j = render(xh_bench_write_json, &r);
        assert_json_valid(j);
        assert_json_schema(j);
        assert_has(j, "\"mode\": \"cache-warm\"");
        assert_has(j, "\"cache\": {\"hits\": 36, \"misses\": 0}");
        assert_has(j, "\"hybrid_over_cache_warm\": 3");
        assert_has(j, "\"cache_cold_over_hybrid\": 1.07843");
        /* Modes without the cache have no "cache" object. */
        _cleanup_free_ char *plain = render(xh_bench_write_json, &(struct xh_bench_result){
                                                                         .nmodes = 1,
                                                                         .modes = r.modes,
                                                                 });
        assert_lacks(plain, "\"cache\"");
        _cleanup_free_ char *md = render(xh_bench_write_markdown, &r);
        assert_has(md, "Compile cache:\n\n- cache-cold: 0 hits, 36 misses (0.0 % hits)\n- "
                       "cache-warm: 36 hits, 0 misses (100.0 % hits)\n");
        xh_bench_result_clear(&r);
}
END_TEST

/*
 * hybrid-stock (the toolchain layer as Debian ships it) against a hybrid with
 * a rebuilt compiler: both ratios, and what each mode runs for gcc.
 */
START_TEST(test_stock_mode)
{
        struct xh_bench_result r;
        make_result(&r);
        free(r.machine.gcc_decision);
        r.machine.gcc_decision = xh_strdup("native (rebuilt from the target's source)");
        r.modes = xh_realloc(r.modes, 4 * sizeof(*r.modes));
        r.modes[3] = r.modes[2]; /* native-cross last */
        r.modes[2] = (struct xh_bench_mode){.name = "hybrid-stock"};
        set_phase(&r.modes[2], XH_PHASE_CONFIGURE, (double[]){30.0, 30.0, 30.0}, 3, 0);
        set_phase(&r.modes[2], XH_PHASE_BUILD, (double[]){20.0, 20.0, 20.0}, 3, 0);
        r.nmodes = 4;

        _cleanup_free_ char *t = table_of(&r);
        assert_has(t, "hybrid-stock / hybrid   = ");
        assert_has(t, "hybrid-stock / native-cross = ");
        _cleanup_free_ char *j = render(xh_bench_write_json, &r);
        assert_json_valid(j);
        assert_json_schema(j);
        assert_has(j, "\"mode\": \"hybrid-stock\"");
        assert_has(j, "\"hybrid_stock_over_hybrid\": ");
        assert_has(j, "\"hybrid_stock_over_native_cross\": ");
        assert_has(j, "\"gcc_decision\": \"native (rebuilt from the target's source)\"");
        assert_has(j, "\"gcc_stock_decision\": \"emulated (built from another source)\"");
        _cleanup_free_ char *md = render(xh_bench_write_markdown, &r);
        assert_has(md, "- gcc in the hybrid: native (rebuilt from the target's source)\n");
        assert_has(md, "- gcc in hybrid-stock: emulated (built from another source)\n");
        xh_bench_result_clear(&r);
}
END_TEST

START_TEST(test_json_edge)
{
        /* Nothing set at all. */
        struct xh_bench_result e = {0};
        _cleanup_free_ char *je = render(xh_bench_write_json, &e);
        assert_json_valid(je);
        assert_json_schema(je);
        assert_has(je, "\"configure_command\": null");
        assert_has(je, "\"modes\": []");
        assert_has(je, "\"emulated_over_hybrid\": null");
        assert_has(je, "\"cpu\": null");

        /* Hostile strings, no configure, a skipped mode, a NaN time. */
        struct xh_bench_result r;
        make_result(&r);
        free(r.source);
        r.source = xh_strdup("a\"b\\c\nd\t\x01\x1f/<&>\xff\xc3\xa9");
        free(r.configure_cmd);
        r.configure_cmd = NULL;
        free(r.modes[0].phases[XH_PHASE_CONFIGURE].times);
        r.modes[0].phases[XH_PHASE_CONFIGURE] = (struct xh_bench_phase){0};
        for (int ph = 0; ph < XH_PHASES; ph++) {
                free(r.modes[2].phases[ph].times);
                r.modes[2].phases[ph] = (struct xh_bench_phase){0};
        }
        r.modes[2].skipped = true;
        r.modes[1].phases[XH_PHASE_BUILD].times[1] = NAN;
        _cleanup_free_ char *j = render(xh_bench_write_json, &r);
        assert_json_valid(j);
        assert_json_schema(j);
        assert_has(j, "\"source\": \"a\\\"b\\\\c\\nd\\t\\u0001\\u001f/<&>\\ufffd\xc3\xa9\"");
        assert_has(j, "\"configure_command\": null");
        assert_has(j, "\"configure\": null");
        assert_has(j, "\"skipped\": true");
        assert_has(j, "\"times\": [8, null, 10]");
        assert_has(j, "\"times\": []");
        assert_has(j, "\"hybrid_over_native_cross\": null");
        assert_has(j, "\"emulated_over_native_cross\": null");
        xh_bench_result_clear(&r);
}
END_TEST

/* The runner marks a mode skipped when it has no configure command. */
START_TEST(test_skipped_configure)
{
        struct xh_bench_result r;
        make_result(&r);
        free(r.modes[1].phases[XH_PHASE_CONFIGURE].times);
        r.modes[1].phases[XH_PHASE_CONFIGURE] = (struct xh_bench_phase){0};
        r.modes[1].skipped = true;
        ck_assert_double_eq_tol(xh_bench_total_median(&r.modes[1]), 9, EPS);
        _cleanup_free_ char *t = table_of(&r);
        assert_has(t, "hybrid        configure     -          -          -          -\n");
        assert_has(t, "              total         3       8.00       9.00      10.00\n");
        /* 110 / 9 and 9 / 8.4; no configure ratios without hybrid's configure. */
        assert_has(t, "emulated / hybrid       = 12.2x (build 11.1x)\n");
        assert_has(t, "hybrid / native-cross   = 1.07x (build 1.20x)\n");
        _cleanup_free_ char *j = render(xh_bench_write_json, &r);
        assert_json_valid(j);
        assert_json_schema(j);
        assert_has(j, "\"mode\": \"hybrid\",\n      \"skipped\": true,\n      \"phases\": {\n"
                      "        \"configure\": null,");
        xh_bench_result_clear(&r);
}
END_TEST

START_TEST(test_write_error)
{
        XH_REQUIRE(access("/dev/full", W_OK) == 0,
                   "/dev/full is not writable here (mknod -m 666 /dev/full c 1 7)");
        struct xh_bench_result r;
        make_result(&r);
        static const writer_fn fns[] = {xh_bench_write_json, xh_bench_write_markdown,
                                        xh_bench_write_svg};
        for (size_t i = 0; i < XH_ARRAY_SIZE(fns); i++) {
                FILE *f = fopen("/dev/full", "w");
                ck_assert_ptr_nonnull(f);
                ck_assert_int_eq(fns[i](&r, f), -ENOSPC);
                fclose(f);
        }
        ck_assert_int_eq(xh_bench_write_json(NULL, stdout), -EINVAL);
        xh_bench_result_clear(&r);
}
END_TEST

/* ---- Markdown ---- */

START_TEST(test_markdown)
{
        struct xh_bench_result r;
        make_result(&r);
        free(r.source);
        r.source = xh_strdup("pkg|x_*");
        _cleanup_free_ char *md = render(xh_bench_write_markdown, &r);
        assert_has(md, "### xhybrid bench: pkg\\|x\\_\\* on debian-bookworm-arm64\n");
        assert_has(md, "Configure: `./configure`; build: `make -j8`");
        assert_has(md, "| mode | phase | runs | min | median | max | mean ± stddev |\n");
        assert_has(md, "| :--- | :--- | ---: | ---: | ---: | ---: | ---: |\n");
        assert_has(md, "| emulated | build | 3 | 90.00 | 100.00 | 110.00 | 100.00 ± 10.00 |\n");
        assert_has(md, "| native-cross | build | 3 (1 failed) | 7.00 | 7.50 | 8.00 |");
        assert_has(md, "- **emulated / hybrid = 10.8x** (configure 11.0x, build 11.1x)\n");
        assert_has(md, "- **hybrid / native-cross = 1.21x** (configure 1.11x, build 1.20x)\n");
        assert_has(md, "- **emulated / native-cross = 13.1x** (configure 12.2x, build 13.3x)\n");
        assert_has(md, "- date: 2024-05-01T12:00:00Z\n");
        assert_has(md, "- cpu: AMD Ryzen 9 7950X 16-Core Processor (32 CPUs)\n");
        assert_has(md, "- memory: 64000 MiB\n");
        assert_has(md, "- qemu: qemu-aarch64 version 7.2.9");
        assert_has(md, "- cross gcc: gcc-12-aarch64-linux-gnu 12.2.0-14cross1 (from gcc-12 "
                       "12.2.0-14)\n");
        assert_has(md, "- gcc in the hybrid: emulated (built from another source)\n");
        assert_no_nan(md);

        /* A command with backticks gets a longer fence. */
        free(r.build_cmd);
        r.build_cmd = xh_strdup("make `nproc`");
        _cleanup_free_ char *md2 = render(xh_bench_write_markdown, &r);
        assert_has(md2, "build: `` make `nproc` ``");
        xh_bench_result_clear(&r);
}
END_TEST

/* ---- SVG ---- */

/* Every <tag> is closed in order (comments, declarations and PIs ignored). */
static void assert_tags_balanced(const char *svg)
{
        char *stack[64];
        int depth = 0;
        for (const char *p = strchr(svg, '<'); p; p = strchr(p, '<')) {
                const char *end = strchr(p, '>');
                ck_assert_ptr_nonnull(end);
                if (p[1] == '!' || p[1] == '?') {
                        p = end + 1;
                        continue;
                }
                bool closing = p[1] == '/';
                const char *name = p + 1 + closing;
                size_t len = strcspn(name, " \t\n/>");
                if (closing) {
                        ck_assert_int_gt(depth, 0);
                        ck_assert_msg(strlen(stack[depth - 1]) == len &&
                                              !strncmp(stack[depth - 1], name, len),
                                      "</%.*s> closes <%s>", (int)len, name, stack[depth - 1]);
                        free(stack[--depth]);
                } else if (end[-1] != '/') {
                        ck_assert_int_lt(depth, 64);
                        stack[depth++] = xh_strndup(name, len);
                }
                p = end + 1;
        }
        ck_assert_int_eq(depth, 0);
}

static void assert_svg_wellformed(const char *svg)
{
        ck_assert_msg(strncmp(svg, "<svg", 4) == 0, "does not start with <svg:\n%s", svg);
        assert_tags_balanced(svg);
        XH_REQUIRE(access(XMLLINT, X_OK) == 0,
                   XMLLINT " is missing (apt-get install libxml2-utils)");
        _cleanup_free_ char *file = tmp_file(svg, ".svg");
        _cleanup_free_ char *cmd = xh_asprintf(XMLLINT " --noout '%s'", file);
        int rc = system(cmd);
        unlink(file);
        ck_assert_msg(rc == 0, "xmllint rejects:\n%s", svg);
}

START_TEST(test_svg)
{
        struct xh_bench_result r;
        make_result(&r);
        free(r.source);
        r.source = xh_strdup("evil<&>\"'pkg\x01\xff");
        _cleanup_free_ char *svg = render(xh_bench_write_svg, &r);
        assert_svg_wellformed(svg);
        assert_has(svg, "xmlns=\"http://www.w3.org/2000/svg\"");
        assert_has(svg, "width=\"800\"");
        assert_has(svg, "evil&lt;&amp;&gt;&quot;&#39;pkg");
        assert_lacks(svg, "<&>");
        assert_has(svg, "debian-bookworm-arm64");
        /* Labels, values, legend, ticks and ratios. */
        assert_has(svg, ">emulated</text>");
        assert_has(svg, ">hybrid</text>");
        assert_has(svg, ">native-cross</text>");
        assert_has(svg, ">110.00 s</text>");
        assert_has(svg, ">10.20 s</text>");
        assert_has(svg, ">8.40 s</text>");
        assert_has(svg, ">configure</text>");
        assert_has(svg, ">build</text>");
        assert_has(svg, ">0 s</text>");
        assert_has(svg, ">100 s</text>");
        assert_has(svg, "emulated / hybrid = 10.8x");
        assert_has(svg, "hybrid / native-cross = 1.21x");
        assert_has(svg, "fill=\"#4e79a7\"");
        assert_has(svg, "fill=\"#f28e2b\"");
        assert_no_nan(svg);
        xh_bench_result_clear(&r);

        /* Empty result: still a valid picture. */
        struct xh_bench_result e = {0};
        _cleanup_free_ char *se = render(xh_bench_write_svg, &e);
        assert_svg_wellformed(se);
        assert_has(se, "no modes");
        assert_no_nan(se);
}
END_TEST

START_TEST(test_svg_long_and_tiny)
{
        struct xh_bench_result r;
        make_result(&r);
        free(r.source);
        /* 80 characters: the title is cut with an ellipsis, not mid-character. */
        r.source = xh_strdup("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                             "\xc3\xa9\xc3\xa9"
                             "0123456789012345678901234567890123456789"
                             "012345678901234567890123456789");
        /* Tiny times: the scale still works. */
        for (size_t i = 0; i < r.nmodes; i++)
                for (int ph = 0; ph < XH_PHASES; ph++)
                        for (size_t k = 0; k < r.modes[i].phases[ph].n; k++)
                                r.modes[i].phases[ph].times[k] *= 1e-4;
        _cleanup_free_ char *svg = render(xh_bench_write_svg, &r);
        assert_svg_wellformed(svg);
        assert_has(svg, "\xe2\x80\xa6");
        assert_has(svg, "emulated / hybrid = 10.8x");
        assert_no_nan(svg);
        xh_bench_result_clear(&r);
}
END_TEST

static char *render_verify(const struct xh_verify_result *v)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(xh_verify_write_json(v, f), 0);
        ck_assert_int_eq(fclose(f), 0);
        return buf;
}

/* The verify report names both compilers and what the hybrid ran; null when unknown. */
START_TEST(test_verify_json_compilers)
{
        char *diffs[] = {NULL};
        struct xh_compare cmp = {.files = 3, .elf_files = 1, .differences = diffs};
        struct xh_verify_result v = {
                .profile = "arm64-debian",
                .source = "deb:hello",
                .build_cmd = "make",
                .target_gcc = "gcc-12 12.2.0-14+deb12u1",
                .cross_gcc = "gcc-12-aarch64-linux-gnu 12.2.0-14cross1 (from gcc-12 12.2.0-14)",
                .gcc_decision = "emulated (built from another source)",
                .identical = true,
                .cmp = &cmp,
                .modes = {{"emulated", 1, -1, false}, {"hybrid", 1, -1, false}},
        };
        _cleanup_free_ char *j = render_verify(&v);
        assert_has(j, "\"target_gcc\": \"gcc-12 12.2.0-14+deb12u1\",\n");
        assert_has(j, "\"cross_gcc\": \"gcc-12-aarch64-linux-gnu 12.2.0-14cross1 (from gcc-12 "
                      "12.2.0-14)\",\n");
        assert_has(j, "\"gcc_decision\": \"emulated (built from another source)\",\n");
        v.target_gcc = v.cross_gcc = v.gcc_decision = NULL;
        _cleanup_free_ char *n = render_verify(&v);
        assert_has(n, "\"gcc_decision\": null,\n");
}
END_TEST

static Suite *report_suite(void)
{
        Suite *s = suite_create("report");

        TCase *tc = tcase_create("stats");
        tcase_add_test(tc, test_stats_odd);
        tcase_add_test(tc, test_stats_even);
        tcase_add_test(tc, test_stats_one_and_zero);
        tcase_add_test(tc, test_total_median);
        tcase_add_test(tc, test_mode_lookup);
        tcase_add_test(tc, test_clear);
        suite_add_tcase(s, tc);

        tc = tcase_create("table");
        tcase_add_test(tc, test_table);
        tcase_add_test(tc, test_table_missing);
        tcase_add_test(tc, test_table_one_ratio);
        suite_add_tcase(s, tc);

        tc = tcase_create("json");
        tcase_add_test(tc, test_json);
        tcase_add_test(tc, test_cache_modes);
        tcase_add_test(tc, test_stock_mode);
        tcase_add_test(tc, test_json_edge);
        tcase_add_test(tc, test_skipped_configure);
        tcase_add_test(tc, test_write_error);
        tcase_add_test(tc, test_verify_json_compilers);
        tcase_set_timeout(tc, 60);
        suite_add_tcase(s, tc);

        tc = tcase_create("markdown");
        tcase_add_test(tc, test_markdown);
        suite_add_tcase(s, tc);

        tc = tcase_create("svg");
        tcase_add_test(tc, test_svg);
        tcase_add_test(tc, test_svg_long_and_tiny);
        tcase_set_timeout(tc, 60);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(report_suite());
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
