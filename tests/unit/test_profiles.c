/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of profiles: good and bad inputs (table driven), golden dumps
 * (tests/golden/profiles), user overrides, listing and recipes.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "profiles.h"

#define ORIGIN "t.ini"

static char *dump_str(const struct xh_profile *p)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        ck_assert_ptr_nonnull(f);
        xh_profile_dump(p, f);
        ck_assert_int_eq(fclose(f), 0);
        return buf;
}

static char *golden_path(const char *file)
{
        const char *src = getenv("XH_SOURCE_DIR");
        ck_assert_msg(src && *src, "XH_SOURCE_DIR is not set");
        return xh_asprintf("%s/tests/golden/profiles/%s", src, file);
}

static char *read_text(const char *path)
{
        char *text = NULL;
        int r = xh_read_file(path, &text, NULL);
        ck_assert_msg(r == 0, "cannot read %s: %s", path, strerror(-r));
        return text;
}

static void write_text(const char *dir, const char *file, const char *text)
{
        _cleanup_free_ char *path = xh_asprintf("%s/%s", dir, file);
        ck_assert_int_eq(xh_write_file(path, text, strlen(text), 0644), 0);
}

static char *make_tmpdir(void)
{
        const char *tmp = getenv("TMPDIR");
        char *dir = xh_asprintf("%s/test_profiles.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        ck_assert_ptr_nonnull(mkdtemp(dir));
        return dir;
}

static struct xh_profile *parse_ok(const char *text)
{
        struct xh_profile *p = NULL;
        xh_error err = {0};
        int r = xh_profile_parse("t", ORIGIN, text, &p, &err);
        ck_assert_msg(r == 0, "parse failed (%d): %s [hint: %s]\n--- text:\n%s", r,
                      err.msg ? err.msg : "(none)", err.hint ? err.hint : "(none)", text);
        ck_assert_ptr_nonnull(p);
        xh_error_clear(&err);
        return p;
}

static void assert_strv(char *const *v, const char *joined, const char *what)
{
        _cleanup_free_ char *s = xh_strv_join(v, " ");
        ck_assert_msg(!strcmp(s, joined), "%s: got '%s', expected '%s'", what, s, joined);
}

#define TARGET "[target]\nsuite = bookworm\narch = arm64\n"

/* ---- good inputs ---- */

/* Expected values; NULL means "not checked". cpu "" means unset (NULL). */
struct good_case {
        const char *text;
        const char *suite, *arch, *triplet, *mirror, *variant, *packages;
        const char *qemu, *cpu, *toolchain, *emulate, *skew, *env, *description;
};

static const struct good_case good_cases[] = {
        /* 0: defaults */
        {.text = TARGET,
         .suite = "bookworm",
         .arch = "arm64",
         .triplet = "aarch64-linux-gnu",
         .mirror = "http://deb.debian.org/debian",
         .variant = "apt",
         .packages = "",
         .qemu = "qemu-aarch64-static",
         .cpu = "",
         .toolchain = "bash ccache crossbuild-essential-arm64 dash distcc make pkgconf",
         .emulate = "",
         .skew = "fallback",
         .env = "",
         .description = ""},
        /* 1: list separators, continuation lines, sorted unique */
        {.text = TARGET "packages = zlib1g-dev, b0,,a0\n  a0 c++-x\tlib.x+y\n",
         .packages = "a0 b0 c++-x lib.x+y zlib1g-dev"},
        /* 2: a repeated list key adds to the list */
        {.text = TARGET "packages = x1\n[toolchain]\nemulate = make\n[target]\npackages = a1\n",
         .packages = "a1 x1",
         .emulate = "make"},
        /* 3: inline comments and ':' separators */
        {.text = "[target]\nsuite: trixie ; the next stable\narch = arm64 ;x\n"
                 "[profile]\ndescription = a; b\n",
         .suite = "trixie",
         .description = "a; b"},
        /* 4: explicit triplet, variant, https mirror, qemu path, cpu */
        {.text = "[target]\nsuite = bookworm\narch = armhf\ntriplet = arm-linux-gnueabihf\n"
                 "variant = minbase\nmirror = https://mirror.example/debian\n"
                 "[emulator]\nqemu = /usr/local/bin/qemu-arm\ncpu = cortex-a15\n",
         .triplet = "arm-linux-gnueabihf",
         .variant = "minbase",
         .mirror = "https://mirror.example/debian",
         .qemu = "/usr/local/bin/qemu-arm",
         .cpu = "cortex-a15",
         .toolchain = "bash ccache crossbuild-essential-armhf dash distcc make pkgconf"},
        /* 5: file: mirror, empty cpu, empty toolchain packages, skew */
        {.text = TARGET "mirror = file:/srv/mirror\n[emulator]\ncpu =\n"
                        "[toolchain]\npackages =\nskew = error\n",
         .mirror = "file:/srv/mirror",
         .cpu = "",
         .toolchain = "",
         .skew = "error"},
        /* 6: env keeps order and commas; continuation */
        {.text = TARGET "[session]\nenv = B=1 A CFLAGS=-O2,-g\n    _X=a=b\n",
         .env = "B=1 A CFLAGS=-O2,-g _X=a=b"},
        /* 7: CRLF line endings and a UTF-8 BOM */
        {.text = "\xef\xbb\xbf[target]\r\nsuite = bookworm\r\narch = amd64\r\n"
                 "packages = a1\r\n  b1\r\n",
         .arch = "amd64",
         .qemu = "qemu-x86_64-static",
         .packages = "a1 b1"},
        /* 8: sections may repeat; keys indented right after a header are keys */
        {.text = "[target]\n  suite = sid\n[emulator]\nqemu = qemu-aarch64\n[target]\n  arch = "
                 "arm64\n",
         .suite = "sid",
         .qemu = "qemu-aarch64"},
        /* 9: skew native, emulate over lines, no trailing newline */
        {.text = TARGET "[toolchain]\nskew = native\nemulate = gcc, g++\n cc",
         .skew = "native",
         .emulate = "cc g++ gcc"},
        /* 10: blank and comment lines between continuation lines */
        {.text = TARGET "packages = b2\n\n# c\n; c\n  a2\n", .packages = "a2 b2"},
        /*
         * 11: every character inih strips from a line's ends separates items
         * (an env value ending in \v was lost by the dump's wrapping)
         */
        {.text = TARGET "packages = a3\vb3\f\n[session]\nenv = A=1\v B=2\r C=3\f\n  D=4\n",
         .packages = "a3 b3",
         .env = "A=1 B=2 C=3 D=4"},
};

static void check_field(int i, const char *what, const char *got, const char *want)
{
        if (!want)
                return;
        if (!*want && !strcmp(what, "cpu")) {
                ck_assert_msg(got == NULL, "case %d: cpu is '%s', expected unset", i, got);
                return;
        }
        ck_assert_msg(got && !strcmp(got, want), "case %d: %s is '%s', expected '%s'", i, what,
                      got ? got : "(null)", want);
}

static void check_list(int i, const char *what, char *const *got, const char *want)
{
        if (!want)
                return;
        ck_assert_msg(got != NULL, "case %d: %s is NULL", i, what);
        _cleanup_free_ char *msg = xh_asprintf("case %d: %s", i, what);
        assert_strv(got, want, msg);
}

START_TEST(test_good)
{
        const struct good_case *c = &good_cases[_i];
        _cleanup_profile_ struct xh_profile *p = parse_ok(c->text);
        ck_assert_str_eq(p->name, "t");
        ck_assert_str_eq(p->origin, ORIGIN);
        check_field(_i, "suite", p->suite, c->suite);
        check_field(_i, "arch", p->arch, c->arch);
        check_field(_i, "triplet", p->triplet, c->triplet);
        check_field(_i, "mirror", p->mirror, c->mirror);
        check_field(_i, "variant", p->variant, c->variant);
        check_list(_i, "packages", p->packages, c->packages);
        check_field(_i, "qemu", p->qemu, c->qemu);
        check_field(_i, "cpu", p->qemu_cpu, c->cpu);
        check_list(_i, "toolchain packages", p->toolchain_packages, c->toolchain);
        check_list(_i, "emulate", p->emulate, c->emulate);
        check_field(_i, "skew", xh_skew_policy_name(p->skew), c->skew);
        check_list(_i, "env", p->env, c->env);
        check_field(_i, "description", p->description, c->description);
}
END_TEST

/* A line of exactly the longest length inih takes (198 + newline) is fine. */
START_TEST(test_longest_line)
{
        _cleanup_free_ char *desc = xh_malloc(199);
        memset(desc, 'x', 198 - strlen("description = "));
        _cleanup_free_ char *text = xh_asprintf(TARGET "[profile]\ndescription = %s\n", desc);
        _cleanup_profile_ struct xh_profile *p = parse_ok(text);
        ck_assert_str_eq(p->description, desc);
}
END_TEST

/* ---- bad inputs ---- */

struct bad_case {
        const char *text;
        const char *prefix;   /* the exact start of the message */
        const char *words[3]; /* more text the message must contain */
        const char *hint;     /* text the hint must contain, or NULL */
};

#define LONG_LINE                                                                                  \
        "packages = "                                                                              \
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"

static const struct bad_case bad_cases[] = {
        /* 0 */
        {TARGET "foo = 1\n",
         ORIGIN ":4: ",
         {"unknown key 'foo' in section [target]"},
         "suite, arch, triplet, mirror, variant, packages"},
        {TARGET "[bogus]\n", ORIGIN ":4: ", {"unknown section [bogus]"}, "[target]"},
        {"[Target]\nsuite = x\n", ORIGIN ":1: ", {"unknown section [Target]"}, "[emulator]"},
        {"suite = bookworm\n" TARGET,
         ORIGIN ":1: ",
         {"key 'suite'", "outside any section"},
         "[target]"},
        {"[target]\nsuite = bookworm\narch = foo\n",
         ORIGIN ":3: ",
         {"unknown arch 'foo'"},
         "known arches: amd64, arm64"},
        /* 5 */
        {TARGET "triplet = x86_64-linux-gnu\n",
         ORIGIN ":4: ",
         {"triplet 'x86_64-linux-gnu'", "does not match arch 'arm64'"},
         "aarch64-linux-gnu"},
        {TARGET "mirror = ftp://example.org/debian\n",
         ORIGIN ":4: ",
         {"invalid mirror 'ftp://example.org/debian'"},
         "https://"},
        {TARGET "mirror = http://a b\n", ORIGIN ":4: ", {"invalid mirror"}, NULL},
        {TARGET "variant = tiny\n", ORIGIN ":4: ", {"unknown variant 'tiny'"}, "minbase, buildd"},
        {TARGET "packages = a1 b1\n  c1 Foo\n",
         ORIGIN ":5: ",
         {"invalid package name 'Foo'"},
         "[a-z0-9][a-z0-9+.-]+"},
        /* 10 */
        {TARGET "packages = a\n", ORIGIN ":4: ", {"invalid package name 'a'"}, NULL},
        {TARGET "packages = lib_x\n", ORIGIN ":4: ", {"invalid package name 'lib_x'"}, NULL},
        {TARGET "suite = trixie\n", ORIGIN ":4: ", {"duplicate key 'suite' in [target]"}, "line 2"},
        {"[target]\nsuite = bookworm\n  trixie\narch = arm64\n",
         ORIGIN ":3: ",
         {"'suite' in [target]", "single value"},
         "indent"},
        {TARGET "packages a b\n", ORIGIN ":4: ", {"syntax error"}, "key = value"},
        /* 15 */
        {"[target\nsuite = bookworm\n", ORIGIN ":1: ", {"syntax error"}, "[section]"},
        {"[target]\n" LONG_LINE "suite = x\n", ORIGIN ":2: ", {"line too long"}, NULL},
        {"[target]\narch = arm64\n", ORIGIN ": ", {"missing key 'suite' in [target]"}, "suite ="},
        {"[target]\nsuite = bookworm\n", ORIGIN ": ", {"missing key 'arch' in [target]"}, "arch ="},
        {"", ORIGIN ": ", {"missing key 'suite' in [target]"}, NULL},
        /* 20 */
        {TARGET "[emulator]\ncpu = a b\n", ORIGIN ":5: ", {"invalid cpu 'a b'"}, NULL},
        {TARGET "[toolchain]\nemulate = gcc g/cc\n",
         ORIGIN ":5: ",
         {"unknown tool 'g/cc' in emulate"},
         NULL},
        {TARGET "[toolchain]\nskew = sometimes\n",
         ORIGIN ":5: ",
         {"unknown skew policy 'sometimes'"},
         "fallback, native, error, rebuild"},
        {TARGET "[session]\nenv = A=1\n  1FOO=x\n",
         ORIGIN ":6: ",
         {"invalid env entry '1FOO=x'"},
         "NAME=VALUE"},
        {TARGET "[session]\nenv = =x\n", ORIGIN ":5: ", {"invalid env entry '=x'"}, NULL},
        /* 25 */
        {TARGET "[emulator]\nqemu = bin/qemu-aarch64\n",
         ORIGIN ":5: ",
         {"invalid qemu program 'bin/qemu-aarch64'"},
         "absolute path"},
        {"[target]\nsuite =\narch = arm64\n", ORIGIN ":2: ", {"empty value for 'suite'"}, NULL},
        {TARGET "[profile]\nname = x\n",
         ORIGIN ":5: ",
         {"unknown key 'name' in section [profile]"},
         "description"},
        /* The first error wins: a syntax error before a key error... */
        {"[target]\nbogus line\nfoo = 1\n", ORIGIN ":2: ", {"syntax error"}, NULL},
        /* ...and a key error before a syntax error. */
        {"[target]\nfoo = 1\nbogus line\n", ORIGIN ":2: ", {"unknown key 'foo'"}, NULL},
        /* 30 */
        {TARGET "[toolchain]\npackages = make Make\n",
         ORIGIN ":5: ",
         {"invalid package name 'Make'"},
         NULL},
        {TARGET "[emulator]\nqemu = x\n[target]\narch = arm64\n",
         ORIGIN ":7: ",
         {"duplicate key 'arch' in [target]"},
         "line 3"},
        {TARGET "[emulator]\ncpu = max\ncpu = max\n", ORIGIN ":6: ", {"duplicate key 'cpu'"}, NULL},
        {"[target]\nsuite = \xc3\xa9t\xc3\xa9\n", ORIGIN ":2: ", {"invalid suite"}, NULL},
        /* 34: an empty unknown section at the end of the file */
        {TARGET "[session]\n\n[extra]\n", ORIGIN ":6: ", {"unknown section [extra]"}, "[session]"},
        /*
         * 35: emulate names the shim's tools or programs that may run native
         * ("all" is XHYBRID_EMULATE's; a denied program never runs native)
         */
        {TARGET "[toolchain]\nemulate = gcc\n  perl make\n",
         ORIGIN ":6: ",
         {"'perl' in emulate never runs native: not proven faithful"},
         "runs emulated anyway"},
        {TARGET "[toolchain]\nemulate = all\n", ORIGIN ":5: ", {"unknown tool 'all'"}, "gcc"},
        {TARGET "[toolchain]\nemulate = gcc-12\n", ORIGIN ":5: ", {"unknown tool 'gcc-12'"}, NULL},
        /* 38: cache is yes, no or an absolute path without . or .. */
        {TARGET "[session]\ncache = on\n", ORIGIN ":5: ", {"invalid cache 'on'"}, "yes"},
        {TARGET "[session]\ncache = var/ccache\n", ORIGIN ":5: ", {"invalid cache"}, "absolute"},
        /* 40 */
        {TARGET "[session]\ncache = /srv/../etc\n", ORIGIN ":5: ", {"invalid cache"}, "'..'"},
        {TARGET "[session]\ncache = /\n", ORIGIN ":5: ", {"invalid cache '/'"}, NULL},
        {TARGET "[session]\ncache =\n", ORIGIN ":5: ", {"empty value for 'cache'"}, NULL},
        {TARGET "[session]\ncache = yes\ncache = no\n",
         ORIGIN ":6: ",
         {"duplicate key 'cache'"},
         NULL},
        /* 44: a denied program in native: the file, the line and the reason */
        {TARGET "[toolchain]\nnative = cmake\n  printf\n",
         ORIGIN ":6: ",
         {"'printf' may not run native: computes in long double"},
         "native_override"},
        {TARGET "[toolchain]\nnative = dpkg-architecture\n",
         ORIGIN ":5: ",
         {"'dpkg-architecture' may not run native: dpkg knows the architecture"},
         NULL},
        {TARGET "[toolchain]\nnative = ../sed\n",
         ORIGIN ":5: ",
         {"invalid program name '../sed' in native"},
         NULL},
        /* native_override lifts the deny list only */
        {TARGET "[toolchain]\nnative_override = sed\n",
         ORIGIN ":5: ",
         {"'sed' in native_override is not a denied program"},
         "native ="},
        {TARGET "[toolchain]\nnative_packages = M4\n",
         ORIGIN ":5: ",
         {"invalid package name 'M4'"},
         NULL},
};

START_TEST(test_bad)
{
        struct bad_case c = bad_cases[_i];
        struct xh_profile *p = (struct xh_profile *)1;
        xh_error err = {0};
        int r = xh_profile_parse("t", ORIGIN, c.text, &p, &err);
        ck_assert_msg(r == -EINVAL, "case %d: returned %d, expected -EINVAL", _i, r);
        ck_assert_ptr_null(p);
        ck_assert_msg(err.msg != NULL, "case %d: no message", _i);
        ck_assert_msg(!strncmp(err.msg, c.prefix, strlen(c.prefix)),
                      "case %d: message '%s' does not start with '%s'", _i, err.msg, c.prefix);
        for (size_t w = 0; w < XH_ARRAY_SIZE(c.words) && c.words[w]; w++)
                ck_assert_msg(strstr(err.msg, c.words[w]), "case %d: message '%s' lacks '%s'", _i,
                              err.msg, c.words[w]);
        if (c.hint)
                ck_assert_msg(err.hint && strstr(err.hint, c.hint),
                              "case %d: hint '%s' lacks '%s' (message '%s')", _i,
                              err.hint ? err.hint : "(none)", c.hint, err.msg);
        xh_error_clear(&err);
}
END_TEST

/* A NULL error is allowed; the return value still says what happened. */
START_TEST(test_bad_without_error)
{
        struct xh_profile *p = NULL;
        ck_assert_int_eq(xh_profile_parse("t", ORIGIN, "[target]\nfoo = 1\n", &p, NULL), -EINVAL);
        ck_assert_int_eq(xh_profile_parse("t", ORIGIN, "[x\n", &p, NULL), -EINVAL);
        ck_assert_int_eq(xh_profile_parse("t", ORIGIN, "[target]\n" LONG_LINE, &p, NULL), -EINVAL);
        ck_assert_ptr_null(p);
}
END_TEST

/* ---- golden dumps ---- */

static void assert_golden(const struct xh_profile *p, const char *expected_file)
{
        _cleanup_free_ char *path = golden_path(expected_file);
        _cleanup_free_ char *expected = read_text(path);
        _cleanup_free_ char *got = dump_str(p);
        ck_assert_msg(!strcmp(got, expected), "dump differs from %s\n--- got:\n%s--- expected:\n%s",
                      path, got, expected);

        /* The dump is itself a profile that resolves to the same thing. */
        struct xh_profile *again = NULL;
        xh_error err = {0};
        int r = xh_profile_parse(p->name, p->origin, got, &again, &err);
        ck_assert_msg(r == 0, "dump of %s does not parse: %s", expected_file,
                      err.msg ? err.msg : "");
        _cleanup_free_ char *got2 = dump_str(again);
        ck_assert_str_eq(got2, got);
        xh_profile_free(again);
}

START_TEST(test_golden_files)
{
        _cleanup_free_ char *dir = golden_path("");
        DIR *d = opendir(dir);
        ck_assert_msg(d != NULL, "cannot open %s", dir);
        _cleanup_strv_ char **inputs = xh_malloc(sizeof(char *));
        struct dirent *de;
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);
                if (len > 4 && !strcmp(de->d_name + len - 4, ".ini"))
                        xh_strv_push(&inputs, de->d_name);
        }
        closedir(d);
        ck_assert_uint_ge(xh_strv_len(inputs), 4);

        for (char **in = inputs; *in; in++) {
                _cleanup_free_ char *name = xh_strndup(*in, strlen(*in) - 4);
                _cleanup_free_ char *path = golden_path(*in);
                _cleanup_free_ char *text = read_text(path);
                _cleanup_free_ char *expected = xh_asprintf("%s.expected", name);
                struct xh_profile *p = NULL;
                xh_error err = {0};
                int r = xh_profile_parse(name, *in, text, &p, &err);
                ck_assert_msg(r == 0, "%s: %s", *in, err.msg ? err.msg : "");
                assert_golden(p, expected);
                xh_profile_free(p);
        }
}
END_TEST

/* Every built-in profile has its golden dump, builtin-NAME.expected. */
START_TEST(test_golden_builtin)
{
        _cleanup_strv_ char **names = NULL;
        ck_assert_int_eq(xh_profile_list(NULL, &names, NULL), 0);
        for (char **n = names; *n; n++) {
                _cleanup_profile_ struct xh_profile *p = NULL;
                xh_error err = {0};
                ck_assert_int_eq(xh_profile_load(*n, NULL, &p, &err), 0);
                ck_assert_str_eq(p->origin, "built-in");
                _cleanup_free_ char *expected = xh_asprintf("builtin-%s.expected", *n);
                assert_golden(p, expected);
        }
}
END_TEST

/* Every built-in profile loads. */
START_TEST(test_builtins_load)
{
        _cleanup_strv_ char **names = NULL;
        ck_assert_int_eq(xh_profile_list(NULL, &names, NULL), 0);
        ck_assert_uint_ge(xh_strv_len(names), 1);
        ck_assert(xh_strv_contains(names, "arm64-debian"));
        ck_assert(xh_strv_contains(names, "arm64-trixie"));
        for (char **n = names; *n; n++) {
                struct xh_profile *p = NULL;
                xh_error err = {0};
                int r = xh_profile_load(*n, NULL, &p, &err);
                ck_assert_msg(r == 0, "built-in %s: %s", *n, err.msg ? err.msg : "");
                ck_assert_str_eq(p->name, *n);
                xh_profile_free(p);
        }
}
END_TEST

START_TEST(test_dump_wraps_long_lists)
{
        xh_buf b = {0};
        xh_buf_add(&b, TARGET "packages =");
        for (int i = 0; i < 60; i++)
                xh_buf_addf(&b, "\n  package-number-%02d", i);
        xh_buf_add(&b, "\n");
        _cleanup_profile_ struct xh_profile *p = parse_ok(b.s);
        xh_buf_free(&b);
        ck_assert_uint_eq(xh_strv_len(p->packages), 60);
        _cleanup_free_ char *dump = dump_str(p);
        for (char *line = dump; *line;) {
                size_t n = strcspn(line, "\n");
                ck_assert_msg(n <= 100, "dump line too long: %.*s", (int)n, line);
                line += n + (line[n] == '\n');
        }
        _cleanup_profile_ struct xh_profile *again = parse_ok(dump);
        _cleanup_free_ char *want = xh_strv_join(p->packages, " ");
        assert_strv(again->packages, want, "packages read back from the dump");
}
END_TEST

/*
 * A description may start with ';' when no space precedes it ("description
 * =;x"); written as "description = ;x", inih read it back as a comment.
 */
START_TEST(test_dump_semicolon_value)
{
        _cleanup_profile_ struct xh_profile *p = parse_ok(TARGET "[profile]\ndescription =; a b\n");
        ck_assert_str_eq(p->description, "; a b");
        _cleanup_free_ char *dump = dump_str(p);
        ck_assert_msg(strstr(dump, "\ndescription=; a b\n") != NULL, "dump:\n%s", dump);
        _cleanup_profile_ struct xh_profile *again = parse_ok(dump);
        ck_assert_str_eq(again->description, "; a b");
}
END_TEST

/*
 * Values as long as a line allows, written with no spaces ("key=value") or
 * as a continuation indented by one space, make lines that the dump's own
 * spacing would make too long for inih; the dump keeps every line short
 * enough and reads back as the same profile.
 */
START_TEST(test_dump_longest_values)
{
        char desc[187], env[195], pkg[198];
        memset(desc, 'd', sizeof(desc) - 1);
        desc[sizeof(desc) - 1] = '\0';
        memcpy(env, "E=", 2);
        memset(env + 2, 'e', sizeof(env) - 3);
        env[sizeof(env) - 1] = '\0';
        memset(pkg, 'p', sizeof(pkg) - 1);
        pkg[sizeof(pkg) - 1] = '\0';
        _cleanup_free_ char *text =
                xh_asprintf(TARGET "packages = a1\n %s\n[profile]\ndescription=%s\n"
                                   "[session]\nenv=%s\n",
                            pkg, desc, env);
        _cleanup_profile_ struct xh_profile *p = parse_ok(text);
        _cleanup_free_ char *dump = dump_str(p);
        for (char *line = dump; *line;) {
                size_t n = strcspn(line, "\n");
                ck_assert_msg(n <= 198, "dump line of %zu characters: %.40s...", n, line);
                line += n + (line[n] == '\n');
        }
        _cleanup_profile_ struct xh_profile *again = parse_ok(dump);
        ck_assert_str_eq(again->description, desc);
        _cleanup_free_ char *pkgs = xh_asprintf("a1 %s", pkg);
        assert_strv(again->packages, pkgs, "packages");
        assert_strv(again->env, env, "env");
        _cleanup_free_ char *dump2 = dump_str(again);
        ck_assert_str_eq(dump2, dump);
}
END_TEST

/* ---- loading, overriding, listing ---- */

static const char user_profile[] = "[profile]\ndescription = mine\n" TARGET;

START_TEST(test_user_override)
{
        _cleanup_free_ char *dir = make_tmpdir();
        write_text(dir, "arm64-debian.ini", user_profile);
        _cleanup_free_ char *path = xh_asprintf("%s/arm64-debian.ini", dir);

        _cleanup_profile_ struct xh_profile *p = NULL;
        xh_error err = {0};
        ck_assert_int_eq(xh_profile_load("arm64-debian", dir, &p, &err), 0);
        ck_assert_str_eq(p->origin, path);
        ck_assert_str_eq(p->name, "arm64-debian");
        ck_assert_str_eq(p->description, "mine");
        ck_assert_uint_eq(xh_strv_len(p->packages), 0);

        /* Without the file, the built-in one. */
        ck_assert_int_eq(unlink(path), 0);
        _cleanup_profile_ struct xh_profile *b = NULL;
        ck_assert_int_eq(xh_profile_load("arm64-debian", dir, &b, &err), 0);
        ck_assert_str_eq(b->origin, "built-in");
        ck_assert(xh_strv_contains(b->packages, "build-essential"));
        xh_rm_rf(dir);
}
END_TEST

START_TEST(test_user_profile_errors)
{
        _cleanup_free_ char *dir = make_tmpdir();
        write_text(dir, "broken.ini", TARGET "oops = 1\n");
        _cleanup_free_ char *dirini = xh_asprintf("%s/isdir.ini", dir);
        ck_assert_int_eq(mkdir(dirini, 0755), 0);

        struct xh_profile *p = NULL;
        xh_error err = {0};
        /* Messages name the file and line. */
        ck_assert_int_eq(xh_profile_load("broken", dir, &p, &err), -EINVAL);
        _cleanup_free_ char *prefix = xh_asprintf("%s/broken.ini:4: ", dir);
        ck_assert_msg(!strncmp(err.msg, prefix, strlen(prefix)), "message: %s", err.msg);
        ck_assert_ptr_nonnull(strstr(err.msg, "unknown key 'oops'"));
        xh_error_clear(&err);

        /* An unreadable file is an error naming the path, not a fallback. */
        ck_assert_int_eq(xh_profile_load("isdir", dir, &p, &err), -EISDIR);
        ck_assert_ptr_nonnull(strstr(err.msg, dirini));
        ck_assert_ptr_nonnull(strstr(err.msg, strerror(EISDIR)));
        ck_assert_ptr_null(p);
        xh_error_clear(&err);
        xh_rm_rf(dir);
}
END_TEST

START_TEST(test_unknown_profile)
{
        _cleanup_free_ char *dir = make_tmpdir();
        write_text(dir, "mine.ini", user_profile);
        struct xh_profile *p = NULL;
        xh_error err = {0};
        ck_assert_int_eq(xh_profile_load("nope", dir, &p, &err), -ENOENT);
        ck_assert_ptr_null(p);
        ck_assert_str_eq(err.msg, "unknown profile 'nope'");
        ck_assert_ptr_nonnull(err.hint);
        ck_assert_msg(!strncmp(err.hint, "known profiles: ", 16), "hint: %s", err.hint);
        ck_assert_ptr_nonnull(strstr(err.hint, "arm64-debian"));
        ck_assert_ptr_nonnull(strstr(err.hint, "mine"));
        xh_error_clear(&err);

        ck_assert_int_eq(xh_profile_load("nope", NULL, &p, &err), -ENOENT);
        ck_assert_str_eq(err.hint, "known profiles: arm64-debian, arm64-trixie, armhf-debian, "
                                   "ppc64el-debian, riscv64-debian, s390x-debian");
        xh_error_clear(&err);
        xh_rm_rf(dir);
}
END_TEST

static const char *const bad_names[] = {"", "../x", "a/b", ".hidden", "-x", "a b", "é"};

START_TEST(test_invalid_name)
{
        struct xh_profile *p = NULL;
        xh_error err = {0};
        ck_assert_int_eq(xh_profile_load(bad_names[_i], "/nonexistent", &p, &err), -EINVAL);
        ck_assert_ptr_null(p);
        ck_assert_msg(strstr(err.msg, "invalid profile name"), "message: %s", err.msg);
        xh_error_clear(&err);
}
END_TEST

START_TEST(test_list)
{
        _cleanup_free_ char *dir = make_tmpdir();
        write_text(dir, "zeta.ini", user_profile);
        write_text(dir, "arm64-debian.ini", user_profile);
        write_text(dir, "alpha_1.ini", user_profile);
        write_text(dir, "notes.txt", "x");
        write_text(dir, ".hidden.ini", user_profile);
        write_text(dir, "bad name.ini", user_profile);
        write_text(dir, ".ini", user_profile);
        _cleanup_free_ char *sub = xh_asprintf("%s/sub.ini", dir);
        ck_assert_int_eq(mkdir(sub, 0755), 0);

        _cleanup_strv_ char **names = NULL;
        xh_error err = {0};
        ck_assert_int_eq(xh_profile_list(dir, &names, &err), 0);
        assert_strv(names,
                    "alpha_1 arm64-debian arm64-trixie armhf-debian ppc64el-debian "
                    "riscv64-debian s390x-debian zeta",
                    "list");

        /* A missing user directory is not an error. */
        _cleanup_free_ char *missing = xh_asprintf("%s/none", dir);
        _cleanup_strv_ char **builtin = NULL;
        ck_assert_int_eq(xh_profile_list(missing, &builtin, &err), 0);
        assert_strv(builtin,
                    "arm64-debian arm64-trixie armhf-debian ppc64el-debian riscv64-debian "
                    "s390x-debian",
                    "list");
        xh_rm_rf(dir);
}
END_TEST

static void set_or_unset(const char *var, const char *value)
{
        if (value)
                setenv(var, value, 1);
        else
                unsetenv(var);
}

START_TEST(test_user_dir)
{
        _cleanup_free_ char *old_xdg = xh_strdup(getenv("XDG_CONFIG_HOME"));
        _cleanup_free_ char *old_home = xh_strdup(getenv("HOME"));

        setenv("XDG_CONFIG_HOME", "/cfg", 1);
        setenv("HOME", "/home/u", 1);
        _cleanup_free_ char *a = xh_profile_user_dir();
        ck_assert_str_eq(a, "/cfg/xhybrid/profiles");

        unsetenv("XDG_CONFIG_HOME");
        _cleanup_free_ char *b = xh_profile_user_dir();
        ck_assert_str_eq(b, "/home/u/.config/xhybrid/profiles");

        setenv("XDG_CONFIG_HOME", "", 1);
        _cleanup_free_ char *c = xh_profile_user_dir();
        ck_assert_str_eq(c, "/home/u/.config/xhybrid/profiles");

        set_or_unset("XDG_CONFIG_HOME", old_xdg);
        set_or_unset("HOME", old_home);
}
END_TEST

/* ---- recipes ---- */

static char *target_recipe_of(const char *text)
{
        _cleanup_profile_ struct xh_profile *p = parse_ok(text);
        return xh_profile_target_recipe(p);
}

START_TEST(test_target_recipe)
{
        _cleanup_free_ char *base = target_recipe_of(TARGET "packages = b1 a1\n");
        ck_assert_str_eq(base, "suite=bookworm\narch=arm64\nmirror=http://deb.debian.org/debian\n"
                               "variant=apt\npackages=a1 b1\n");

        /* Same root: description, emulator, toolchain and session do not matter. */
        _cleanup_free_ char *same = target_recipe_of(
                "[profile]\ndescription = other\n" TARGET "packages = a1,b1\n  a1\n"
                "[emulator]\ncpu = max\n[toolchain]\nskew = native\n[session]\nenv = A=1\n");
        ck_assert_str_eq(same, base);

        static const char *const different[] = {
                TARGET "packages = a1 b1 c1\n",
                TARGET "packages = a1\n",
                TARGET "packages = a1 b1\nvariant = buildd\n",
                TARGET "packages = a1 b1\nmirror = http://other/debian\n",
                "[target]\nsuite = trixie\narch = arm64\npackages = a1 b1\n",
                "[target]\nsuite = bookworm\narch = armhf\npackages = a1 b1\n",
        };
        for (size_t i = 0; i < XH_ARRAY_SIZE(different); i++) {
                _cleanup_free_ char *r = target_recipe_of(different[i]);
                ck_assert_msg(strcmp(r, base), "case %zu has the same recipe", i);
        }
}
END_TEST

START_TEST(test_toolchain_recipe)
{
        _cleanup_profile_ struct xh_profile *p = parse_ok(TARGET "packages = a1\n");
        _cleanup_free_ char *r = xh_profile_toolchain_recipe(p);
#if defined(__x86_64__) && !defined(__ILP32__)
        ck_assert_str_eq(r, "suite=bookworm\nmirror=http://deb.debian.org/debian\narch=amd64\n"
                            "target=aarch64-linux-gnu\npackages=bash ccache "
                            "crossbuild-essential-arm64 dash distcc make pkgconf\n");
#endif
        /* Target packages do not change the toolchain layer; its packages do. */
        _cleanup_profile_ struct xh_profile *q =
                parse_ok(TARGET "packages = z1\n[toolchain]\npackages = pkgconf make dash "
                                "bash ccache distcc crossbuild-essential-arm64\n");
        _cleanup_free_ char *rq = xh_profile_toolchain_recipe(q);
        ck_assert_str_eq(rq, r);
        _cleanup_profile_ struct xh_profile *o =
                parse_ok(TARGET "[toolchain]\npackages = crossbuild-essential-arm64 make\n");
        _cleanup_free_ char *ro = xh_profile_toolchain_recipe(o);
        ck_assert_str_ne(ro, r);
}
END_TEST

/* cache = yes|no|PATH, and the dump says which. */
START_TEST(test_cache_key)
{
        static const struct {
                const char *value;
                bool cache;
                const char *dir, *dumped;
        } cases[] = {
                {NULL, false, NULL, "cache = no"},
                {"no", false, NULL, "cache = no"},
                {"yes", true, NULL, "cache = yes"},
                {"/srv/cc/x.y", true, "/srv/cc/x.y", "cache = /srv/cc/x.y"},
        };
        for (size_t i = 0; i < XH_ARRAY_SIZE(cases); i++) {
                _cleanup_free_ char *text =
                        cases[i].value
                                ? xh_asprintf(TARGET "[session]\ncache = %s\n", cases[i].value)
                                : xh_strdup(TARGET);
                _cleanup_profile_ struct xh_profile *p = parse_ok(text);
                ck_assert_int_eq(p->cache, cases[i].cache);
                if (cases[i].dir)
                        ck_assert_str_eq(p->cache_dir, cases[i].dir);
                else
                        ck_assert_ptr_null(p->cache_dir);
                char *dump = NULL;
                size_t len = 0;
                FILE *f = open_memstream(&dump, &len);
                xh_profile_dump(p, f);
                fclose(f);
                ck_assert_msg(strstr(dump, cases[i].dumped), "dump lacks '%s': %s", cases[i].dumped,
                              dump);
                free(dump);
        }
}
END_TEST

START_TEST(test_misc)
{
        ck_assert_str_eq(xh_skew_policy_name(XH_SKEW_FALLBACK), "fallback");
        ck_assert_str_eq(xh_skew_policy_name(XH_SKEW_NATIVE), "native");
        ck_assert_str_eq(xh_skew_policy_name(XH_SKEW_ERROR), "error");
        xh_profile_free(NULL);
}
END_TEST

static Suite *profiles_suite(void)
{
        Suite *s = suite_create("profiles");

        TCase *tc = tcase_create("parse-good");
        tcase_add_loop_test(tc, test_good, 0, (int)XH_ARRAY_SIZE(good_cases));
        tcase_add_test(tc, test_longest_line);
        suite_add_tcase(s, tc);

        tc = tcase_create("parse-bad");
        tcase_add_loop_test(tc, test_bad, 0, (int)XH_ARRAY_SIZE(bad_cases));
        tcase_add_test(tc, test_bad_without_error);
        suite_add_tcase(s, tc);

        tc = tcase_create("golden");
        tcase_add_test(tc, test_golden_files);
        tcase_add_test(tc, test_golden_builtin);
        tcase_add_test(tc, test_builtins_load);
        tcase_add_test(tc, test_dump_wraps_long_lists);
        tcase_add_test(tc, test_dump_semicolon_value);
        tcase_add_test(tc, test_dump_longest_values);
        suite_add_tcase(s, tc);

        tc = tcase_create("load");
        tcase_add_test(tc, test_user_override);
        tcase_add_test(tc, test_user_profile_errors);
        tcase_add_test(tc, test_unknown_profile);
        tcase_add_loop_test(tc, test_invalid_name, 0, (int)XH_ARRAY_SIZE(bad_names));
        tcase_add_test(tc, test_list);
        tcase_add_test(tc, test_user_dir);
        suite_add_tcase(s, tc);

        tc = tcase_create("recipe");
        tcase_add_test(tc, test_target_recipe);
        tcase_add_test(tc, test_toolchain_recipe);
        tcase_add_test(tc, test_cache_key);
        tcase_add_test(tc, test_misc);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(profiles_suite());
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
