/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the shim's pure decision logic: the tool table, canonical
 * names, shim.conf parse/format, xh_shim_decide as a table of input -> expected
 * exec, the parsers of the target's "gcc -E -v" and
 * "pkgconf --dump-personality" output, and the facts cache file.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"

#define TRIPLET "aarch64-linux-gnu"
#define LIBDIR  "/usr/lib/gcc/aarch64-linux-gnu/12"

/* Shimmed files as seen inside the session, and where they lead. */
#define GCC     "/usr/bin/aarch64-linux-gnu-gcc-12"
#define GXX     "/usr/bin/aarch64-linux-gnu-g++-12"
#define CPP     "/usr/bin/aarch64-linux-gnu-cpp-12"
#define LD      "/usr/bin/aarch64-linux-gnu-ld"
#define LDBFD   "/usr/bin/aarch64-linux-gnu-ld.bfd"
#define AS      "/usr/bin/aarch64-linux-gnu-as"
#define AR      "/usr/bin/aarch64-linux-gnu-ar"
#define NM      "/usr/bin/aarch64-linux-gnu-nm"
#define STRIP   "/usr/bin/aarch64-linux-gnu-strip"
#define CXXFILT "/usr/bin/aarch64-linux-gnu-c++filt"
#define OBJDUMP "/usr/bin/aarch64-linux-gnu-objdump"
#define PKGCONF "/usr/bin/pkgconf"
#define XPKGCFG "/usr/bin/aarch64-linux-gnu-pkg-config"
#define BASH    "/usr/bin/bash"
#define DASH    "/usr/bin/dash"
#define MAKE    "/usr/bin/make"
#define SED     "/usr/bin/sed"
#define TAIL    "/usr/bin/tail"

#define TC(exe)   XH_TOOLCHAIN_DIR exe
#define ORIG(exe) XH_ORIG_DIR exe

#define LTO_PLUGIN "/usr/libexec/gcc/aarch64-linux-gnu/12/liblto_plugin.so"
#define TC_PLUGIN  XH_TOOLCHAIN_DIR LTO_PLUGIN

/*
 * The arguments the shim puts first in a native compile, right after argv[0]:
 * no cross compiler headers, and (unless freestanding) the target's implicit
 * stdc-predef.h that -nostdinc drops.
 */
#define NOSTDINC "-nostdinc"
#define PRE      NOSTDINC, "-include", "stdc-predef.h"
/* ... and those it appends after the user's: the target's include dirs, libgcc's dir. */
#define INC_C                                                                                      \
        "-isystem", "/usr/lib/gcc/aarch64-linux-gnu/12/include", "-isystem", "/usr/local/include", \
                "-isystem", "/usr/include/aarch64-linux-gnu", "-isystem", "/usr/include"
#define INC_CXX                                                                                    \
        "-isystem", "/usr/include/c++/12", "-isystem", "/usr/include/aarch64-linux-gnu/c++/12",    \
                "-isystem", "/usr/include/c++/12/backward", INC_C
#define LGCC "-L" LIBDIR

#define PC_PATH "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/lib/pkgconfig:/usr/share/pkgconfig"
#define PC_LIBS "/lib:/lib/aarch64-linux-gnu:/usr/lib:/usr/lib/aarch64-linux-gnu"
#define PC_INCS "/usr/include"

#define CONF_TEXT                                                                                  \
        "triplet=" TRIPLET "\n"                                                                    \
        "gcc_libdir=" LIBDIR "\n"                                                                  \
        "hosttype=aarch64\n"                                                                       \
        "machtype=aarch64-unknown-linux-gnu\n"                                                     \
        "emulate=objdump,tail\n"                                                                   \
        "native=dash,sed,tail\n"

/* ---- helpers ---- */

static char *strv_str(char *const *v)
{
        if (!v)
                return xh_strdup("(null)");
        xh_buf b = {0};
        for (size_t i = 0; v[i]; i++)
                xh_buf_addf(&b, "%s[%s]", i ? " " : "", v[i]);
        return xh_buf_steal(&b);
}

/* Compare a vector with a NULL-terminated array of expected strings. */
static void assert_strv_eq(char *const *got, const char *const *want, const char *what)
{
        ck_assert_msg(got != NULL, "%s: vector is NULL", what);
        size_t n = 0;
        while (want[n])
                n++;
        bool same = xh_strv_len(got) == n;
        for (size_t i = 0; same && i < n; i++)
                same = strcmp(got[i], want[i]) == 0;
        if (!same) {
                _cleanup_free_ char *g = strv_str(got);
                _cleanup_free_ char *w = strv_str((char *const *)want);
                ck_abort_msg("%s:\n  got      %s\n  expected %s", what, g, w);
        }
}

static void assert_strv_joined(char *const *got, const char *joined, const char *what)
{
        _cleanup_free_ char *s = xh_strv_join(got, " ");
        ck_assert_msg(got != NULL && strcmp(s, joined) == 0, "%s: got '%s', expected '%s'", what, s,
                      joined);
}

static void conf_init(struct xh_shim_config *c)
{
        xh_error err = {0};
        int r = xh_shim_config_parse(CONF_TEXT, c, &err);
        ck_assert_msg(r == 0, "config parse failed (%d): %s", r, err.msg ? err.msg : "(none)");
        xh_error_clear(&err);
}

static char **strv_of(const char *const *list)
{
        char **v = xh_malloc(sizeof(char *));
        *v = NULL;
        for (; *list; list++)
                xh_strv_push(&v, *list);
        return v;
}

static void facts_init(struct xh_shim_facts *f)
{
        static const char *const c[] = {"/usr/lib/gcc/aarch64-linux-gnu/12/include",
                                        "/usr/local/include", "/usr/include/aarch64-linux-gnu",
                                        "/usr/include", NULL};
        static const char *const cxx[] = {"/usr/include/c++/12",
                                          "/usr/include/aarch64-linux-gnu/c++/12",
                                          "/usr/include/c++/12/backward",
                                          "/usr/lib/gcc/aarch64-linux-gnu/12/include",
                                          "/usr/local/include",
                                          "/usr/include/aarch64-linux-gnu",
                                          "/usr/include",
                                          NULL};
        *f = (struct xh_shim_facts){0};
        f->inc_c = strv_of(c);
        f->inc_cxx = strv_of(cxx);
        f->pc_path = xh_strdup(PC_PATH);
        f->pc_libs = xh_strdup(PC_LIBS);
        f->pc_incs = xh_strdup(PC_INCS);
}

static bool has_prefix(const char *s, const char *prefix)
{
        return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ---- the tool table ---- */

START_TEST(test_table_sorted_unique)
{
        size_t n = 0;
        const struct xh_shim_tool *t = xh_shim_table(&n);
        ck_assert_ptr_nonnull(t);
        ck_assert_uint_gt(n, 0);
        for (size_t i = 0; i < n; i++) {
                ck_assert_msg(t[i].name && *t[i].name, "entry %zu has no name", i);
                if (i > 0)
                        ck_assert_msg(strcmp(t[i - 1].name, t[i].name) < 0,
                                      "table not sorted or duplicated at %zu: '%s' then '%s'", i,
                                      t[i - 1].name, t[i].name);
                /* Compiler drivers have a language, nothing else has. */
                if (t[i].strategy == XH_SHIM_GCC)
                        ck_assert_msg(t[i].lang != XH_LANG_NONE, "%s: no language", t[i].name);
                else
                        ck_assert_msg(t[i].lang == XH_LANG_NONE, "%s: language set", t[i].name);
        }
}
END_TEST

START_TEST(test_table_lookup_all)
{
        size_t n = 0;
        const struct xh_shim_tool *t = xh_shim_table(&n);
        for (size_t i = 0; i < n; i++) {
                ck_assert_msg(xh_shim_lookup(t[i].name) == &t[i], "lookup of '%s' failed",
                              t[i].name);
                /* Table names are canonical: prefixed and versioned forms map back. */
                _cleanup_free_ char *same = xh_shim_canonical(t[i].name, TRIPLET);
                ck_assert_str_eq(same, t[i].name);
                _cleanup_free_ char *full = xh_asprintf(TRIPLET "-%s-12", t[i].name);
                _cleanup_free_ char *canon = xh_shim_canonical(full, TRIPLET);
                ck_assert_msg(strcmp(canon, t[i].name) == 0, "'%s' -> '%s'", full, canon);
        }
}
END_TEST

START_TEST(test_table_lookup_unknown)
{
        static const char *const unknown[] = {
                "",        "a",      "zzz",    "GCC",   "gcc-12", "gcc ", "aarch64-linux-gnu-gcc",
                "python3", "ld.lld", "gcc-ar", "clang", "perl",
        };
        for (size_t i = 0; i < XH_ARRAY_SIZE(unknown); i++)
                ck_assert_msg(xh_shim_lookup(unknown[i]) == NULL, "'%s' found", unknown[i]);
}
END_TEST

/* XHYBRID_EMULATE values: the unknown names, once each, in their order. */
static const struct {
        const char *list, *unknown;
} unknown_cases[] = {
        {"gcc,make", ""},
        {"all", ""},
        {"", ""},
        {"gcc perl:make,,python3 perl", "perl python3"},
        {"gcc-12 g++-14 ld-2", "gcc-12 g++-14 ld-2"},
        /* Program names of the native set, which the root decides, are accepted. */
        {"sed xz which.debianutils [ Gcc", ""},
        {"sed printf dpkg-query a/b .. stdbuf", "printf dpkg-query a/b .. stdbuf"},
};

START_TEST(test_unknown_tools)
{
        _cleanup_strv_ char **u = xh_shim_unknown_tools(unknown_cases[_i].list);
        _cleanup_free_ char *got = xh_strv_join(u, " ");
        ck_assert_msg(strcmp(got, unknown_cases[_i].unknown) == 0,
                      "'%s': unknown '%s', expected '%s'", unknown_cases[_i].list, got,
                      unknown_cases[_i].unknown);
}
END_TEST

START_TEST(test_tool_names)
{
        _cleanup_free_ char *names = xh_shim_tool_names();
        ck_assert_msg(strncmp(names, "addr2line, ar, arch, as, ", 25) == 0, "names: %s", names);
        ck_assert_ptr_nonnull(strstr(names, ", uname"));
        /* Plain tools come from the packages of the native set, not the table. */
        ck_assert_ptr_null(strstr(names, "sed"));
}
END_TEST

START_TEST(test_table_entries)
{
        static const struct {
                const char *name;
                enum xh_shim_strategy strategy;
                enum xh_shim_lang lang;
        } want[] = {
                {"gcc", XH_SHIM_GCC, XH_LANG_C},
                {"cc", XH_SHIM_GCC, XH_LANG_C},
                {"cpp", XH_SHIM_GCC, XH_LANG_C},
                {"g++", XH_SHIM_GCC, XH_LANG_CXX},
                {"c++", XH_SHIM_GCC, XH_LANG_CXX},
                {"ld", XH_SHIM_BINUTIL, XH_LANG_NONE},
                {"ld.bfd", XH_SHIM_BINUTIL, XH_LANG_NONE},
                {"as", XH_SHIM_BINUTIL, XH_LANG_NONE},
                {"ar", XH_SHIM_BINUTIL, XH_LANG_NONE},
                {"c++filt", XH_SHIM_BINUTIL, XH_LANG_NONE},
                {"pkg-config", XH_SHIM_PKGCONFIG, XH_LANG_NONE},
                {"pkgconf", XH_SHIM_PKGCONFIG, XH_LANG_NONE},
                {"bash", XH_SHIM_BASH, XH_LANG_NONE},
                {"make", XH_SHIM_NATIVE, XH_LANG_NONE},
                {"uname", XH_SHIM_IDENTITY, XH_LANG_NONE},
                {"arch", XH_SHIM_IDENTITY, XH_LANG_NONE},
                {"hostname", XH_SHIM_IDENTITY, XH_LANG_NONE},
        };
        for (size_t i = 0; i < XH_ARRAY_SIZE(want); i++) {
                const struct xh_shim_tool *t = xh_shim_lookup(want[i].name);
                ck_assert_msg(t != NULL, "'%s' not in the table", want[i].name);
                ck_assert_str_eq(t->name, want[i].name);
                ck_assert_msg(t->strategy == want[i].strategy, "%s: strategy %d", want[i].name,
                              (int)t->strategy);
                ck_assert_msg(t->lang == want[i].lang, "%s: lang %d", want[i].name, (int)t->lang);
        }
}
END_TEST

/* ---- canonical names ---- */

static const struct {
        const char *base, *triplet, *want;
} canonical_cases[] = {
        {"aarch64-linux-gnu-gcc-12", TRIPLET, "gcc"},
        {"gcc-12", TRIPLET, "gcc"},
        {"g++-12", TRIPLET, "g++"},
        {"aarch64-linux-gnu-g++-12", TRIPLET, "g++"},
        {"aarch64-linux-gnu-ld.bfd", TRIPLET, "ld.bfd"},
        {"ld.bfd", TRIPLET, "ld.bfd"},
        {"pkg-config", TRIPLET, "pkg-config"},
        {"aarch64-linux-gnu-pkg-config", TRIPLET, "pkg-config"},
        {"c++filt", TRIPLET, "c++filt"},
        {"aarch64-linux-gnu-c++filt", TRIPLET, "c++filt"},
        {"x86_64-linux-gnu-gcc", TRIPLET, "x86_64-linux-gnu-gcc"},
        {"x86_64-linux-gnu-gcc-12", TRIPLET, "x86_64-linux-gnu-gcc"},
        {"gcc-ar-12", TRIPLET, "gcc-ar"},
        {"aarch64-linux-gnu-gcc-ar-12", TRIPLET, "gcc-ar"},
        {"python3.11", TRIPLET, "python3.11"},
        {"python3", TRIPLET, "python3"},
        {"a-1.2", TRIPLET, "a"},
        {"gcc-12.2.0", TRIPLET, "gcc"},
        {"cpp-4.3", TRIPLET, "cpp"},
        {"2to3-2.7", TRIPLET, "2to3"},
        {"gcc", TRIPLET, "gcc"},
        {"make", TRIPLET, "make"},
        /* Not a version: nothing after the '-', a dot first, nothing before. */
        {"gcc-", TRIPLET, "gcc-"},
        {"foo-.5", TRIPLET, "foo-.5"},
        {"-12", TRIPLET, "-12"},
        {"", TRIPLET, ""},
        /* The triplet alone, or with only a '-', is kept. */
        {"aarch64-linux-gnu", TRIPLET, "aarch64-linux-gnu"},
        {"aarch64-linux-gnu-", TRIPLET, "aarch64-linux-gnu-"},
        /* The triplet must be followed by '-'. */
        {"aarch64-linux-gnux-gcc", TRIPLET, "aarch64-linux-gnux-gcc"},
        /* Without a triplet only the version goes. */
        {"aarch64-linux-gnu-gcc-12", NULL, "aarch64-linux-gnu-gcc"},
        {"arm-linux-gnueabihf-gcc-12", "arm-linux-gnueabihf", "gcc"},
};

START_TEST(test_canonical)
{
        const char *base = canonical_cases[_i].base;
        const char *triplet = canonical_cases[_i].triplet;
        _cleanup_free_ char *got = xh_shim_canonical(base, triplet);
        ck_assert_msg(got && strcmp(got, canonical_cases[_i].want) == 0,
                      "canonical('%s', %s) = '%s', expected '%s'", base, triplet ? triplet : "NULL",
                      got ? got : "(null)", canonical_cases[_i].want);
}
END_TEST

/* ---- shim.conf ---- */

START_TEST(test_config_parse_good)
{
        struct xh_shim_config c;
        xh_error err = {0};
        int r = xh_shim_config_parse("# written by xhybrid\n"
                                     "triplet=aarch64-linux-gnu\n"
                                     "\n"
                                     "gcc_libdir=/usr/lib/gcc/aarch64-linux-gnu/12\n"
                                     "hosttype=aarch64\n"
                                     "machtype=aarch64-unknown-linux-gnu\n"
                                     "emulate=objdump, tail,,perl\n",
                                     &c, &err);
        ck_assert_msg(r == 0, "parse failed: %s", err.msg ? err.msg : "(none)");
        ck_assert_str_eq(c.triplet, "aarch64-linux-gnu");
        ck_assert_str_eq(c.gcc_libdir, "/usr/lib/gcc/aarch64-linux-gnu/12");
        ck_assert_str_eq(c.hosttype, "aarch64");
        ck_assert_str_eq(c.machtype, "aarch64-unknown-linux-gnu");
        assert_strv_joined(c.emulate, "objdump tail perl", "emulate");
        ck_assert_ptr_null(err.msg);
        xh_shim_config_clear(&c);
        ck_assert_ptr_null(c.triplet);
        ck_assert_ptr_null(c.emulate);
        xh_shim_config_clear(&c); /* twice is harmless */
}
END_TEST

START_TEST(test_config_parse_minimal)
{
        struct xh_shim_config c;
        /* Required keys only, no final newline; '=' inside a value; a repeated key wins. */
        int r = xh_shim_config_parse("triplet=x\ngcc_libdir=/a=b\ntriplet=arm-linux-gnueabihf", &c,
                                     NULL);
        ck_assert_int_eq(r, 0);
        ck_assert_str_eq(c.triplet, "arm-linux-gnueabihf");
        ck_assert_str_eq(c.gcc_libdir, "/a=b");
        ck_assert_ptr_null(c.hosttype);
        ck_assert_ptr_null(c.machtype);
        ck_assert_ptr_nonnull(c.emulate);
        ck_assert_ptr_null(c.emulate[0]);
        xh_shim_config_clear(&c);

        /* A later emulate line replaces an earlier one; an empty one empties it. */
        r = xh_shim_config_parse("triplet=t\ngcc_libdir=/l\nemulate=a,b\nemulate=c\n", &c, NULL);
        ck_assert_int_eq(r, 0);
        assert_strv_joined(c.emulate, "c", "emulate");
        xh_shim_config_clear(&c);
        r = xh_shim_config_parse("triplet=t\ngcc_libdir=/l\nemulate=a\nemulate=\n", &c, NULL);
        ck_assert_int_eq(r, 0);
        ck_assert_ptr_nonnull(c.emulate);
        ck_assert_ptr_null(c.emulate[0]);
        xh_shim_config_clear(&c);
}
END_TEST

static const struct {
        const char *text;
        const char *msg; /* expected in the message */
} bad_configs[] = {
        {"triplet=t\ngcc_libdir=/l\nfoo=bar\n", XH_SHIM_CONF ":3: unknown key 'foo'"},
        {"foo=bar\ntriplet=t\ngcc_libdir=/l\n", XH_SHIM_CONF ":1: unknown key 'foo'"},
        {"triplet=t\n# comment\n\nTriplet=u\n", XH_SHIM_CONF ":4: unknown key 'Triplet'"},
        {" triplet=t\ngcc_libdir=/l\n", XH_SHIM_CONF ":1: unknown key ' triplet'"},
        {"triplet=t\nnoequals\ngcc_libdir=/l\n", XH_SHIM_CONF ":2: expected key=value"},
        {"# c\n\n\nbad line\n", XH_SHIM_CONF ":4: expected key=value"},
        {"gcc_libdir=/l\nhosttype=aarch64\n", XH_SHIM_CONF ": triplet and gcc_libdir are required"},
        {"triplet=t\nemulate=make\n", XH_SHIM_CONF ": triplet and gcc_libdir are required"},
        {"", XH_SHIM_CONF ": triplet and gcc_libdir are required"},
        {"# only a comment\n", XH_SHIM_CONF ": triplet and gcc_libdir are required"},
};

START_TEST(test_config_parse_bad)
{
        struct xh_shim_config c;
        xh_error err = {0};
        int r = xh_shim_config_parse(bad_configs[_i].text, &c, &err);
        ck_assert_int_eq(r, -EINVAL);
        ck_assert_msg(err.msg && strstr(err.msg, bad_configs[_i].msg),
                      "message '%s' does not contain '%s'", err.msg ? err.msg : "(none)",
                      bad_configs[_i].msg);
        /* Nothing is left allocated on failure. */
        ck_assert_ptr_null(c.triplet);
        ck_assert_ptr_null(c.gcc_libdir);
        ck_assert_ptr_null(c.hosttype);
        ck_assert_ptr_null(c.machtype);
        ck_assert_ptr_null(c.emulate);
        xh_error_clear(&err);

        /* Without an error value the failure is still reported. */
        ck_assert_int_eq(xh_shim_config_parse(bad_configs[_i].text, &c, NULL), -EINVAL);
}
END_TEST

START_TEST(test_config_round_trip)
{
        char *emulate[] = {"objdump", "tail", NULL};
        char *native[] = {"dash", "sed", "tail", NULL};
        struct xh_shim_config c = {
                .triplet = "aarch64-linux-gnu",
                .gcc_libdir = LIBDIR,
                .hosttype = "aarch64",
                .machtype = "aarch64-unknown-linux-gnu",
                .emulate = emulate,
                .native = native,
        };
        _cleanup_free_ char *text = xh_shim_config_format(&c);
        ck_assert_str_eq(text, CONF_TEXT);

        struct xh_shim_config p;
        xh_error err = {0};
        ck_assert_int_eq(xh_shim_config_parse(text, &p, &err), 0);
        ck_assert_str_eq(p.triplet, c.triplet);
        ck_assert_str_eq(p.gcc_libdir, c.gcc_libdir);
        ck_assert_str_eq(p.hosttype, c.hosttype);
        ck_assert_str_eq(p.machtype, c.machtype);
        assert_strv_eq(p.emulate, (const char *const[]){"objdump", "tail", NULL}, "emulate");
        assert_strv_eq(p.native, (const char *const[]){"dash", "sed", "tail", NULL}, "native");
        _cleanup_free_ char *again = xh_shim_config_format(&p);
        ck_assert_str_eq(again, text);
        xh_shim_config_clear(&p);

        /* Optional keys unset, no emulate list. */
        struct xh_shim_config m = {.triplet = "t", .gcc_libdir = "/l"};
        _cleanup_free_ char *mt = xh_shim_config_format(&m);
        ck_assert_str_eq(mt, "triplet=t\ngcc_libdir=/l\nemulate=\n");
        ck_assert_int_eq(xh_shim_config_parse(mt, &p, &err), 0);
        ck_assert_ptr_null(p.hosttype);
        ck_assert_ptr_null(p.machtype);
        ck_assert_ptr_null(p.emulate[0]);
        _cleanup_free_ char *mt2 = xh_shim_config_format(&p);
        ck_assert_str_eq(mt2, mt);
        xh_shim_config_clear(&p);
        ck_assert_ptr_null(err.msg);
}
END_TEST

/* ---- xh_shim_decide: input -> expected exec ---- */

struct decide_case {
        /* input */
        const char *exe;
        const char *argv[16];
        const char *emulate_env; /* $XHYBRID_EMULATE */
        bool no_facts;           /* pass facts = NULL */
        /* expected */
        int ret;
        const char *path;
        bool same_argv;      /* the argv is the input's */
        const char *out[32]; /* otherwise this argv */
        const char *env[4];  /* setenv */
        bool emulated;
        bool needs_facts;
        const char *why; /* prefix of out->why, or of the error message */
};

/* The configuration (CONF_TEXT) emulates objdump and tail. */
static const struct decide_case decide_cases[] = {
        /* ---- compiler driver, native ---- */
        {.exe = GCC,
         .argv = {"aarch64-linux-gnu-gcc-12", "-c", "x.c", "-o", "x.o", NULL},
         .path = TC(GCC),
         .out = {TC(GCC), PRE, "-c", "x.c", "-o", "x.o", INC_C, LGCC},
         .why = "native"},
        /* user arguments stay in order and whole (a space inside one) */
        {.exe = GCC,
         .argv = {"gcc", "-O2", "-Iinc", "-DMSG=\"a b\"", "-Wall", "-c", "a.c", "-o", "a.o", NULL},
         .path = TC(GCC),
         .out = {TC(GCC), PRE, "-O2", "-Iinc", "-DMSG=\"a b\"", "-Wall", "-c", "a.c", "-o", "a.o",
                 INC_C, LGCC}},
        /* argv[0] as cc, with a directory: replaced by the native path */
        {.exe = GCC,
         .argv = {"/usr/bin/cc", "-c", "x.c", NULL},
         .path = TC(GCC),
         .out = {TC(GCC), PRE, "-c", "x.c", INC_C, LGCC}},
        /* the unversioned, unprefixed file */
        {.exe = "/usr/bin/gcc-12",
         .argv = {"gcc", "-c", "x.c", NULL},
         .path = TC("/usr/bin/gcc-12"),
         .out = {TC("/usr/bin/gcc-12"), PRE, "-c", "x.c", INC_C, LGCC}},
        /* a link */
        {.exe = GCC,
         .argv = {"gcc", "x.o", "-o", "prog", "-lm", NULL},
         .path = TC(GCC),
         .out = {TC(GCC), PRE, "x.o", "-o", "prog", "-lm", INC_C, LGCC}},
        /* cpp is a C driver */
        {.exe = CPP,
         .argv = {"cpp", "-P", "x.h", NULL},
         .path = TC(CPP),
         .out = {TC(CPP), PRE, "-P", "x.h", INC_C, LGCC}},
        /* g++: the C++ list */
        {.exe = GXX,
         .argv = {"g++", "-c", "x.cc", NULL},
         .path = TC(GXX),
         .out = {TC(GXX), PRE, "-c", "x.cc", INC_CXX, LGCC}},
        {.exe = GXX,
         .argv = {"c++", "-std=c++17", "-c", "x.c", NULL},
         .path = TC(GXX),
         .out = {TC(GXX), PRE, "-std=c++17", "-c", "x.c", INC_CXX, LGCC}},
        /* gcc compiling C++ sources, by name or by -x */
        {.exe = GCC,
         .argv = {"gcc", "-c", "x.cpp", NULL},
         .path = TC(GCC),
         .out = {TC(GCC), PRE, "-c", "x.cpp", INC_CXX, LGCC}},
        {.exe = GCC,
         .argv = {"gcc", "-c", "src/x.cxx", NULL},
         .path = TC(GCC),
         .out = {TC(GCC), PRE, "-c", "src/x.cxx", INC_CXX, LGCC}},
        {.exe = GCC,
         .argv = {"gcc", "-c", "x.C", NULL},
         .path = TC(GCC),
         .out = {TC(GCC), PRE, "-c", "x.C", INC_CXX, LGCC}},
        {.exe = GCC,
         .argv = {"gcc", "-x", "c++", "-c", "x", NULL},
         .path = TC(GCC),
         .out = {TC(GCC), PRE, "-x", "c++", "-c", "x", INC_CXX, LGCC}},
        {.exe = GCC,
         .argv = {"gcc", "-xc++", "-E", "-", NULL},
         .path = TC(GCC),
         .out = {TC(GCC), PRE, "-xc++", "-E", "-", INC_CXX, LGCC}},
        {.exe = GCC,
         .argv = {"gcc", "-x", "c++-header", "x.h", NULL},
         .path = TC(GCC),
         .out = {TC(GCC), PRE, "-x", "c++-header", "x.h", INC_CXX, LGCC}},
        /* C stays C */
        {.exe = GCC,
         .argv = {"gcc", "-x", "c", "-c", "x.h", NULL},
         .path = TC(GCC),
         .out = {TC(GCC), PRE, "-x", "c", "-c", "x.h", INC_C, LGCC}},
        /* -x as the last argument does not read past the end */
        {.exe = GCC,
         .argv = {"gcc", "-c", "x.c", "-x", NULL},
         .path = TC(GCC),
         .out = {TC(GCC), PRE, "-c", "x.c", "-x", INC_C, LGCC}},
        /* g++ told the input is C: the C list */
        {.exe = GXX,
         .argv = {"g++", "-x", "c", "-c", "x.c", NULL},
         .path = TC(GXX),
         .out = {TC(GXX), PRE, "-x", "c", "-c", "x.c", INC_C, LGCC}},
        {.exe = GXX,
         .argv = {"c++", "-xc", "-c", "x.c", NULL},
         .path = TC(GXX),
         .out = {TC(GXX), PRE, "-xc", "-c", "x.c", INC_C, LGCC}},
        {.exe = GXX,
         .argv = {"g++", "-x", "c-header", "x.h", NULL},
         .path = TC(GXX),
         .out = {TC(GXX), PRE, "-x", "c-header", "x.h", INC_C, LGCC}},
        /* the shim's -include comes before the user's */
        {.exe = GCC,
         .argv = {"gcc", "-include", "config.h", "-c", "x.c", NULL},
         .path = TC(GCC),
         .out = {TC(GCC), PRE, "-include", "config.h", "-c", "x.c", INC_C, LGCC}},
        /* freestanding: -nostdinc and the include dirs, no stdc-predef.h */
        {.exe = GCC,
         .argv = {"gcc", "-ffreestanding", "-c", "x.c", NULL},
         .path = TC(GCC),
         .out = {TC(GCC), NOSTDINC, "-ffreestanding", "-c", "x.c", INC_C, LGCC},
         .why = "native"},
        {.exe = GCC,
         .argv = {"gcc", "-c", "x.c", "-fno-hosted", NULL},
         .path = TC(GCC),
         .out = {TC(GCC), NOSTDINC, "-c", "x.c", "-fno-hosted", INC_C, LGCC}},
        {.exe = GXX,
         .argv = {"g++", "-ffreestanding", "-c", "x.cc", NULL},
         .path = TC(GXX),
         .out = {TC(GXX), NOSTDINC, "-ffreestanding", "-c", "x.cc", INC_CXX, LGCC}},
        /* the last of -ffreestanding/-fno-hosted and -fhosted/-fno-freestanding wins */
        {.exe = GCC,
         .argv = {"gcc", "-ffreestanding", "-fhosted", "-c", "x.c", NULL},
         .path = TC(GCC),
         .out = {TC(GCC), PRE, "-ffreestanding", "-fhosted", "-c", "x.c", INC_C, LGCC}},
        {.exe = GCC,
         .argv = {"gcc", "-fno-hosted", "-fno-freestanding", "-c", "x.c", NULL},
         .path = TC(GCC),
         .out = {TC(GCC), PRE, "-fno-hosted", "-fno-freestanding", "-c", "x.c", INC_C, LGCC}},
        {.exe = GCC,
         .argv = {"gcc", "-fhosted", "-ffreestanding", "-c", "x.c", NULL},
         .path = TC(GCC),
         .out = {TC(GCC), NOSTDINC, "-fhosted", "-ffreestanding", "-c", "x.c", INC_C, LGCC}},
        /* freestanding still needs the facts (the include dirs) */
        {.exe = GCC,
         .argv = {"gcc", "-ffreestanding", "-c", "x.c", NULL},
         .no_facts = true,
         .needs_facts = true},
        /* the user's -nostdinc: no include dirs, still the library dir */
        {.exe = GCC,
         .argv = {"gcc", "-nostdinc", "-Iown", "-c", "x.c", NULL},
         .path = TC(GCC),
         .out = {TC(GCC), "-nostdinc", "-Iown", "-c", "x.c", LGCC}},
        {.exe = GXX,
         .argv = {"g++", "-nostdinc", "-c", "x.cc", NULL},
         .path = TC(GXX),
         .out = {TC(GXX), "-nostdinc", "-c", "x.cc", LGCC}},
        /* ... and it needs no facts */
        {.exe = GCC,
         .argv = {"gcc", "-nostdinc", "-c", "x.c", NULL},
         .no_facts = true,
         .path = TC(GCC),
         .out = {TC(GCC), "-nostdinc", "-c", "x.c", LGCC}},
        {.exe = GCC,
         .argv = {"gcc", "-ffreestanding", "-nostdinc", "-c", "x.c", NULL},
         .no_facts = true,
         .path = TC(GCC),
         .out = {TC(GCC), "-ffreestanding", "-nostdinc", "-c", "x.c", LGCC}},
        /* -nostdinc++: the C list only */
        {.exe = GXX,
         .argv = {"g++", "-nostdinc++", "-c", "x.cc", NULL},
         .path = TC(GXX),
         .out = {TC(GXX), PRE, "-nostdinc++", "-c", "x.cc", INC_C, LGCC}},
        /* the user's sysroot: nothing added at all, no facts needed */
        {.exe = GCC,
         .argv = {"gcc", "--sysroot=/x", "-c", "x.c", NULL},
         .path = TC(GCC),
         .out = {TC(GCC), "--sysroot=/x", "-c", "x.c"},
         .why = "native (user sysroot)"},
        {.exe = GCC,
         .argv = {"gcc", "--sysroot", "/x", "-c", "x.c", NULL},
         .no_facts = true,
         .path = TC(GCC),
         .out = {TC(GCC), "--sysroot", "/x", "-c", "x.c"}},
        {.exe = GXX,
         .argv = {"g++", "-isysroot", "/x", "-c", "x.cc", NULL},
         .no_facts = true,
         .path = TC(GXX),
         .out = {TC(GXX), "-isysroot", "/x", "-c", "x.cc"}},
        {.exe = GCC,
         .argv = {"gcc", "--sysroot=/x", "-nostdinc", "-c", "x.c", NULL},
         .path = TC(GCC),
         .out = {TC(GCC), "--sysroot=/x", "-nostdinc", "-c", "x.c"}},
        {.exe = GCC,
         .argv = {"gcc", "-ffreestanding", "--sysroot=/x", "-c", "x.c", NULL},
         .no_facts = true,
         .path = TC(GCC),
         .out = {TC(GCC), "-ffreestanding", "--sysroot=/x", "-c", "x.c"},
         .why = "native (user sysroot)"},
        /* no facts yet: ask for them */
        {.exe = GCC, .argv = {"gcc", "-c", "x.c", NULL}, .no_facts = true, .needs_facts = true},
        {.exe = GXX, .argv = {"g++", "-c", "x.cc", NULL}, .no_facts = true, .needs_facts = true},
        {.exe = GCC, .argv = {"gcc", NULL}, .no_facts = true, .needs_facts = true},

/* ---- compiler probes: the target's answers ---- */
#define PROBE(exe_, a0, ...)                                                                       \
        {                                                                                          \
                .exe = exe_, .argv = {a0, __VA_ARGS__, NULL}, .no_facts = true,                    \
                .path = ORIG(exe_), .same_argv = true, .emulated = true,                           \
                .why = "emulated (compiler probe)"                                                 \
        }
        PROBE(GCC, "aarch64-linux-gnu-gcc-12", "-v"),
        PROBE(GCC, "gcc", "--version"),
        PROBE(GCC, "gcc", "-dumpmachine"),
        PROBE(GCC, "gcc", "-dumpversion"),
        PROBE(GCC, "gcc", "-dumpfullversion"),
        PROBE(GCC, "gcc", "-dumpspecs"),
        PROBE(GCC, "gcc", "-print-search-dirs"),
        PROBE(GCC, "gcc", "-print-prog-name=ld"),
        PROBE(GCC, "cc", "-print-file-name=libc.so"),
        PROBE(GCC, "gcc", "-print-libgcc-file-name"),
        PROBE(GCC, "gcc", "-print-multiarch"),
        PROBE(GCC, "gcc", "-print-multi-os-directory"),
        PROBE(GCC, "gcc", "-print-sysroot"),
        PROBE(GCC, "gcc", "--print-file-name=crt1.o"),
        PROBE(GCC, "gcc", "-###", "-c", "x.c"),
        PROBE(GCC, "gcc", "--help"),
        PROBE(GCC, "gcc", "--help=target"),
        PROBE(GCC, "gcc", "--target-help"),
        PROBE(GCC, "gcc", "-E", "-v", "-x", "c", "/dev/null"),
        PROBE(GCC, "gcc", "-v", "-c", "x.c", "-o", "x.o"),
        PROBE(GCC, "gcc", "-c", "x.c", "-v"),
        PROBE(GCC, "gcc", "--sysroot=/x", "-dumpmachine"),
        PROBE(GXX, "g++", "-v"),
        PROBE(GXX, "c++", "-print-file-name=libstdc++.so"),
        PROBE(CPP, "cpp", "--version"),
#undef PROBE

/* ---- XHYBRID_EMULATE and the configured emulate list ---- */
#define EMULATED(exe_, env_, a0, ...)                                                              \
        {                                                                                          \
                .exe = exe_, .argv = {a0, __VA_ARGS__, NULL}, .emulate_env = env_,                 \
                .no_facts = true, .path = ORIG(exe_), .same_argv = true, .emulated = true,         \
                .why = "emulated"                                                                  \
        }
        EMULATED(GCC, "gcc", "gcc", "-c", "x.c"),
        EMULATED(GCC, "make,gcc", "aarch64-linux-gnu-gcc", "-c", "x.c"),
        EMULATED(GCC, "make gcc", "gcc", "-c", "x.c"),
        EMULATED(GCC, "make:gcc", "gcc", "-c", "x.c"),
        EMULATED(GCC, " , gcc ,", "gcc", "-c", "x.c"),
        EMULATED(GCC, "all", "gcc", "-c", "x.c"),
        EMULATED(MAKE, "all", "make", "-j4"),
        EMULATED(MAKE, "make,gcc", "make", "-j4"),
        EMULATED(SED, "sed", "sed", "-e", "s/a/b/"),
        EMULATED(PKGCONF, "pkgconf", "pkg-config", "--cflags", "zlib"),
        EMULATED(BASH, "bash", "bash", "-c", "true"),
        EMULATED(LD, "ld", "ld", "-o", "a.out", "x.o"),
        /* by the name it was started as */
        EMULATED(GCC, "cc", "cc", "-c", "x.c"),
        EMULATED(GCC, "cc", "/usr/bin/cc", "-c", "x.c"),
        EMULATED(GXX, "c++", "c++", "-c", "x.cc"),
        EMULATED(DASH, "sh", "sh", "-c", "true"),
        EMULATED(DASH, "sh", "/bin/sh", "-c", "true"),
        /* the configured list (objdump, tail) */
        EMULATED(OBJDUMP, NULL, "aarch64-linux-gnu-objdump", "-d", "x.o"),
        EMULATED(TAIL, NULL, "tail", "-n", "1", "f"),
        EMULATED(TAIL, "", "tail", "-n", "1", "f"),
        EMULATED(TAIL, "make", "tail", "-n", "1", "f"),
#undef EMULATED
/* sort: a general numeric comparison (long double) runs the target's */
#define SORT_G(...)                                                                                \
        {                                                                                          \
                .exe = "/usr/bin/sort", .argv = {"sort", __VA_ARGS__, NULL}, .no_facts = true,     \
                .path = ORIG("/usr/bin/sort"), .same_argv = true, .emulated = true,                \
                .why = "emulated (general numeric sort: long double)"                              \
        }
        SORT_G("-g", "f"),
        SORT_G("-rg"),
        SORT_G("-k2,2g", "f"),
        SORT_G("-t", ":", "-k", "3g"),
        SORT_G("-rk", "1g"),
        SORT_G("--general-numeric-sort"),
        SORT_G("--sort=general-numeric"),
        SORT_G("--so", "g"),
        SORT_G("--key", "2g"),
        SORT_G("--debug", "f"),
#undef SORT_G
#define SORT_NATIVE(...)                                                                           \
        {                                                                                          \
                .exe = "/usr/bin/sort", .argv = {"sort", __VA_ARGS__, NULL}, .no_facts = true,     \
                .path = TC("/usr/bin/sort"), .same_argv = true, .why = "native"                    \
        }
        SORT_NATIVE("-n", "f"),
        SORT_NATIVE("-u", "-k2,2n", "g"),
        SORT_NATIVE("-o", "g.out", "f"),
        SORT_NATIVE("--", "-g"),
        SORT_NATIVE("-t", "g", "-k1,1"),
#undef SORT_NATIVE
        /* other names, or names that are only part of the list, do not emulate */
        {.exe = GCC,
         .argv = {"gcc", "-c", "x.c", NULL},
         .emulate_env = "g++,make,gc,gcc-12,aarch64-linux-gnu-gcc-12",
         .path = TC(GCC),
         .out = {TC(GCC), PRE, "-c", "x.c", INC_C, LGCC}},
        {.exe = GCC,
         .argv = {"gcc", "-c", "x.c", NULL},
         .emulate_env = "",
         .path = TC(GCC),
         .out = {TC(GCC), PRE, "-c", "x.c", INC_C, LGCC}},
        {.exe = MAKE,
         .argv = {"make", "-j4", NULL},
         .emulate_env = "cmake,gmake,al",
         .path = TC(MAKE),
         .same_argv = true},

/* ---- binutils: emulated when loading a target plugin ---- */
#define PLUGIN(exe_, a0, ...)                                                                      \
        {                                                                                          \
                .exe = exe_, .argv = {a0, __VA_ARGS__, NULL}, .no_facts = true,                    \
                .path = ORIG(exe_), .same_argv = true, .emulated = true,                           \
                .why = "emulated (target plugin)"                                                  \
        }
        PLUGIN(LD, "ld", "-plugin", LTO_PLUGIN, "-plugin-opt=-pass-through=-lc", "-o", "a.out",
               "x.o"),
        PLUGIN(LDBFD, "aarch64-linux-gnu-ld.bfd", "-o", "a.out", "-plugin", LTO_PLUGIN, "x.o"),
        PLUGIN(LD, "ld", "--plugin=" LTO_PLUGIN, "x.o"),
        PLUGIN(LD, "ld", "-plugin=" LTO_PLUGIN, "x.o"),
        PLUGIN(AR, "aarch64-linux-gnu-ar", "--plugin", LTO_PLUGIN, "rcs", "libx.a", "a.o"),
        PLUGIN(AR, "ar", "--plugin=" LTO_PLUGIN, "rcs", "libx.a", "a.o"),
        PLUGIN(NM, "nm", "--plugin", LTO_PLUGIN, "x.o"),
        PLUGIN(AS, "as", "-plugin", LTO_PLUGIN, "x.s"),
        /* a relative plugin is not the toolchain's */
        PLUGIN(LD, "ld", "-plugin", "liblto_plugin.so", "x.o"),
        /* the first plugin from outside the toolchain layer decides */
        PLUGIN(LD, "ld", "-plugin", TC_PLUGIN, "-plugin", LTO_PLUGIN, "x.o"),
#undef PLUGIN
        /* a plugin of the toolchain layer: native */
        {.exe = LD,
         .argv = {"ld", "-plugin", TC_PLUGIN, "-o", "a.out", "x.o", NULL},
         .path = TC(LD),
         .same_argv = true,
         .why = "native"},
        {.exe = AR,
         .argv = {"ar", "--plugin=" TC_PLUGIN, "rcs", "libx.a", "a.o", NULL},
         .path = TC(AR),
         .same_argv = true},
        {.exe = LD,
         .argv = {"ld", "-plugin=" TC_PLUGIN, "x.o", NULL},
         .path = TC(LD),
         .same_argv = true},
        /* plugin options, a prefix of the layer's name, a dangling -plugin */
        {.exe = LD,
         .argv = {"ld", "-plugin-opt=" LTO_PLUGIN, "x.o", NULL},
         .path = TC(LD),
         .same_argv = true},
        {.exe = LD,
         .argv = {"ld", "-plugin", XH_TOOLCHAIN_DIR "x/liblto_plugin.so", "x.o", NULL},
         .path = ORIG(LD),
         .same_argv = true,
         .emulated = true},
        {.exe = LD, .argv = {"ld", "x.o", "-plugin", NULL}, .path = TC(LD), .same_argv = true},
        /* binutils without a plugin: native, argv as is, no facts */
        {.exe = AS,
         .argv = {"as", "-o", "x.o", "x.s", NULL},
         .no_facts = true,
         .path = TC(AS),
         .same_argv = true,
         .why = "native"},
        {.exe = AR,
         .argv = {"ar", "rcs", "libx.a", "a.o", NULL},
         .path = TC(AR),
         .same_argv = true},
        {.exe = LDBFD,
         .argv = {"ld.bfd", "-o", "a.out", "x.o", NULL},
         .path = TC(LDBFD),
         .same_argv = true},
        {.exe = LD,
         .argv = {"aarch64-linux-gnu-ld", "-o", "a.out", "x.o", NULL},
         .path = TC(LD),
         .same_argv = true},
        {.exe = STRIP, .argv = {"strip", "prog", NULL}, .path = TC(STRIP), .same_argv = true},
        {.exe = CXXFILT,
         .argv = {"c++filt", "_Z1fv", NULL},
         .path = TC(CXXFILT),
         .same_argv = true},
        /* probes are for compilers only */
        {.exe = AS, .argv = {"as", "--version", NULL}, .path = TC(AS), .same_argv = true},
        {.exe = LD, .argv = {"ld", "-v", NULL}, .path = TC(LD), .same_argv = true},

        /* ---- pkg-config: the target's search path and system dirs ---- */
        {.exe = PKGCONF,
         .argv = {"pkg-config", "--cflags", "--libs", "glib-2.0", NULL},
         .path = TC(PKGCONF),
         .same_argv = true,
         .env = {"PKG_CONFIG_LIBDIR=" PC_PATH, "PKG_CONFIG_SYSTEM_LIBRARY_PATH=" PC_LIBS,
                 "PKG_CONFIG_SYSTEM_INCLUDE_PATH=" PC_INCS},
         .why = "native"},
        {.exe = XPKGCFG,
         .argv = {"aarch64-linux-gnu-pkg-config", "--modversion", "zlib", NULL},
         .path = TC(XPKGCFG),
         .same_argv = true,
         .env = {"PKG_CONFIG_LIBDIR=" PC_PATH, "PKG_CONFIG_SYSTEM_LIBRARY_PATH=" PC_LIBS,
                 "PKG_CONFIG_SYSTEM_INCLUDE_PATH=" PC_INCS}},
        {.exe = PKGCONF,
         .argv = {"pkg-config", "--cflags", "zlib", NULL},
         .no_facts = true,
         .needs_facts = true},
        /* not quite a probe: native */
        {.exe = PKGCONF,
         .argv = {"pkg-config", "--variable=prefix", "zlib", NULL},
         .path = TC(PKGCONF),
         .same_argv = true,
         .env = {"PKG_CONFIG_LIBDIR=" PC_PATH, "PKG_CONFIG_SYSTEM_LIBRARY_PATH=" PC_LIBS,
                 "PKG_CONFIG_SYSTEM_INCLUDE_PATH=" PC_INCS},
         .why = "native"},
        {.exe = PKGCONF,
         .argv = {"pkgconf", "--exists", "pkg-config-helper", "--print-errors", NULL},
         .path = TC(PKGCONF),
         .same_argv = true,
         .env = {"PKG_CONFIG_LIBDIR=" PC_PATH, "PKG_CONFIG_SYSTEM_LIBRARY_PATH=" PC_LIBS,
                 "PKG_CONFIG_SYSTEM_INCLUDE_PATH=" PC_INCS}},

/* ---- pkg-config probes: the target's answers, no facts needed ---- */
#define PCPROBE(exe_, a0, ...)                                                                     \
        {                                                                                          \
                .exe = exe_, .argv = {a0, __VA_ARGS__, NULL}, .no_facts = true,                    \
                .path = ORIG(exe_), .same_argv = true, .emulated = true,                           \
                .why = "emulated (pkg-config probe)"                                               \
        }
        PCPROBE(PKGCONF, "pkg-config", "--variable", "pc_path", "pkg-config"),
        PCPROBE(PKGCONF, "pkg-config", "--variable=pc_path", "pkg-config"),
        PCPROBE(PKGCONF, "pkgconf", "--variable=pc_system_libdirs", "pkgconf"),
        PCPROBE(PKGCONF, "pkg-config", "--version"),
        PCPROBE(PKGCONF, "pkgconf", "--about"),
        PCPROBE(PKGCONF, "pkgconf", "--dump-personality"),
        PCPROBE(XPKGCFG, "aarch64-linux-gnu-pkg-config", "--version"),
        PCPROBE(XPKGCFG, "aarch64-linux-gnu-pkg-config", "--cflags", "zlib", "--version"),
#undef PCPROBE

        /* ---- bash: the target's HOSTTYPE and MACHTYPE ---- */
        {.exe = BASH,
         .argv = {"bash", "-c", "echo $HOSTTYPE", NULL},
         .no_facts = true,
         .path = TC(BASH),
         .same_argv = true,
         .env = {"HOSTTYPE=aarch64", "MACHTYPE=aarch64-unknown-linux-gnu"},
         .why = "native"},
        {.exe = "/bin/bash",
         .argv = {"/bin/bash", NULL},
         .path = TC("/bin/bash"),
         .same_argv = true,
         .env = {"HOSTTYPE=aarch64", "MACHTYPE=aarch64-unknown-linux-gnu"}},

        /* ---- plain native tools ---- */
        {.exe = DASH,
         .argv = {"sh", "-c", "echo -v --version", NULL},
         .no_facts = true,
         .path = TC(DASH),
         .same_argv = true,
         .why = "native"},
        {.exe = MAKE,
         .argv = {"make", "-j4", "CC=gcc", "all", NULL},
         .no_facts = true,
         .path = TC(MAKE),
         .same_argv = true},
        {.exe = SED,
         .argv = {"sed", "-i", "s/-v/-q/", "f", NULL},
         .path = TC(SED),
         .same_argv = true},
        {.exe = "/bin/sed", .argv = {"sed", NULL}, .path = TC("/bin/sed"), .same_argv = true},

        /* ---- errors ---- */
        {.exe = "/usr/bin/python3.11",
         .argv = {"python3", "-c", "1", NULL},
         .ret = -ENOENT,
         .why = "'python3.11' (/usr/bin/python3.11) is not a tool the shim knows"},
        {.exe = "/usr/bin/x86_64-linux-gnu-gcc-12",
         .argv = {"x86_64-linux-gnu-gcc-12", "-c", "x.c", NULL},
         .ret = -ENOENT,
         .why = "'x86_64-linux-gnu-gcc-12'"},
        {.exe = "/usr/bin/", .argv = {"x", NULL}, .ret = -ENOENT},
        /* A plain tool runs behind the shim only when the configuration's native names it. */
        {.exe = "/usr/bin/cat",
         .argv = {"cat", "f", NULL},
         .ret = -ENOENT,
         .why = "'cat' (/usr/bin/cat) is not a tool the shim knows"},
        {.exe = "usr/bin/make", .argv = {"make", NULL}, .ret = -EINVAL, .why = "bad invocation"},
        {.exe = "make", .argv = {"make", NULL}, .ret = -EINVAL, .why = "bad invocation"},
        {.exe = "", .argv = {"make", NULL}, .ret = -EINVAL},
        {.exe = MAKE, .argv = {NULL}, .ret = -EINVAL, .why = "bad invocation"},
};

START_TEST(test_decide)
{
        const struct decide_case *k = &decide_cases[_i];
        struct xh_shim_config conf;
        struct xh_shim_facts facts;
        conf_init(&conf);
        facts_init(&facts);
        _cleanup_free_ char *in = strv_str((char *const *)k->argv);
        _cleanup_free_ char *what = xh_asprintf("row %d: %s %s (XHYBRID_EMULATE=%s%s)", _i, k->exe,
                                                in, k->emulate_env ? k->emulate_env : "unset",
                                                k->no_facts ? ", no facts" : "");

        struct xh_shim_exec x;
        xh_error err = {0};
        int r = xh_shim_decide(&conf, k->exe, (char *const *)k->argv, k->emulate_env,
                               k->no_facts ? NULL : &facts, &x, &err);
        ck_assert_msg(r == k->ret, "%s: returned %d (%s), expected %d", what, r,
                      err.msg ? err.msg : "no message", k->ret);

        if (r < 0) {
                ck_assert_msg(err.msg != NULL, "%s: no message", what);
                if (k->why)
                        ck_assert_msg(strstr(err.msg, k->why), "%s: message '%s' lacks '%s'", what,
                                      err.msg, k->why);
                ck_assert_ptr_null(x.path);
                ck_assert_ptr_null(x.argv);
                ck_assert_ptr_null(x.setenv);
                ck_assert(!x.emulated && !x.needs_facts);
        } else {
                ck_assert_msg(err.msg == NULL, "%s: message '%s' on success", what, err.msg);
                ck_assert_msg(x.needs_facts == k->needs_facts, "%s: needs_facts %d", what,
                              x.needs_facts);
                ck_assert_msg(x.emulated == k->emulated, "%s: emulated %d", what, x.emulated);
                /* The caller walks argv and setenv without checking for NULL. */
                ck_assert_ptr_nonnull(x.argv);
                ck_assert_ptr_nonnull(x.setenv);
                static const char *const none[] = {NULL};
                if (k->needs_facts) {
                        /* Nothing to run yet: no path, empty vectors. */
                        ck_assert_msg(x.path == NULL, "%s: path '%s' while facts are needed", what,
                                      x.path);
                        assert_strv_eq(x.argv, none, what);
                        assert_strv_eq(x.setenv, none, what);
                } else {
                        ck_assert_msg(x.path && strcmp(x.path, k->path) == 0,
                                      "%s: path '%s', expected '%s'", what,
                                      x.path ? x.path : "(null)", k->path);
                        const char *const *want = k->same_argv ? k->argv : k->out;
                        if (x.link_at) {
                                /*
                                 * A native driver runs as a link named like argv[0]
                                 * (the table lists the program the link leads to).
                                 */
                                const char *a0 = strrchr(k->argv[0], '/')
                                                         ? strrchr(k->argv[0], '/') + 1
                                                         : k->argv[0];
                                _cleanup_free_ char *link =
                                        xh_asprintf("%s/names/%s", XH_RUN_DIR, a0);
                                ck_assert_msg(strcmp(x.link_at, link) == 0,
                                              "%s: link '%s', expected '%s'", what, x.link_at,
                                              link);
                                ck_assert_msg(strcmp(x.link_to, want[0]) == 0,
                                              "%s: link to '%s', expected '%s'", what, x.link_to,
                                              want[0]);
                                ck_assert_msg(strcmp(x.argv[0], link) == 0,
                                              "%s: argv[0] '%s', expected '%s'", what, x.argv[0],
                                              link);
                                assert_strv_eq(x.argv + 1, want + 1, what);
                        } else {
                                assert_strv_eq(x.argv, want, what);
                        }
                        assert_strv_eq(x.setenv, k->env, what);
                        ck_assert_msg(x.why != NULL, "%s: no reason", what);
                        ck_assert_msg(has_prefix(x.why, x.emulated ? "emulated" : "native"),
                                      "%s: reason '%s'", what, x.why);
                        if (k->why)
                                ck_assert_msg(has_prefix(x.why, k->why),
                                              "%s: reason '%s', expected '%s'", what, x.why,
                                              k->why);
                }
        }
        xh_shim_exec_clear(&x);
        ck_assert_ptr_null(x.path);
        ck_assert_ptr_null(x.argv);
        xh_error_clear(&err);
        xh_shim_facts_clear(&facts);
        xh_shim_config_clear(&conf);
}
END_TEST

/*
 * With the compile cache on (ccache= in shim.conf), every native compile (-c,
 * -S) runs "ccache LINK ARGS..." with the session's configuration and no
 * CCACHE_ variable of the caller's; links, -E, -M, probes, emulated runs and
 * other tools are as without it.
 */
#define CCACHE TC("/usr/bin/ccache")
#define LINKN  XH_RUN_DIR "/names/"
static const struct {
        const char *exe;
        const char *argv[8];
        const char *emulate_env;
        const char *path;
        const char *out[24]; /* NULL first: the input argv */
        const char *why;
} cache_cases[] = {
        {GCC,
         {"gcc", "-c", "x.c", "-o", "x.o", NULL},
         NULL,
         CCACHE,
         {"ccache", LINKN "gcc", PRE, "-c", "x.c", "-o", "x.o", INC_C, LGCC},
         "native (compile cache)"},
        {GXX,
         {"/usr/bin/c++", "-S", "x.cc", NULL},
         NULL,
         CCACHE,
         {"ccache", LINKN "c++", PRE, "-S", "x.cc", INC_CXX, LGCC},
         "native (compile cache)"},
        /* Links, -E and -M, which ccache does not cache, run the driver directly. */
        {GXX,
         {"/usr/bin/c++", "x.o", "-o", "prog", NULL},
         NULL,
         TC(GXX),
         {LINKN "c++", PRE, "x.o", "-o", "prog", INC_CXX, LGCC},
         "native"},
        {GCC,
         {"gcc", "-E", "x.c", NULL},
         NULL,
         TC(GCC),
         {LINKN "gcc", PRE, "-E", "x.c", INC_C, LGCC},
         "native"},
        {GCC,
         {"gcc", "-M", "x.c", NULL},
         NULL,
         TC(GCC),
         {LINKN "gcc", PRE, "-M", "x.c", INC_C, LGCC},
         "native"},
        {GCC,
         {"gcc", "--sysroot=/opt/s", "-c", "x.c", NULL},
         NULL,
         CCACHE,
         {"ccache", LINKN "gcc", "--sysroot=/opt/s", "-c", "x.c"},
         "native (user sysroot, compile cache)"},
        {GCC, {"gcc", "-v", NULL}, NULL, ORIG(GCC), {NULL}, "emulated (compiler probe)"},
        {GCC, {"gcc", "-c", "x.c", NULL}, "gcc", ORIG(GCC), {NULL}, "emulated (XHYBRID_EMULATE)"},
        {AS, {"as", "x.s", "-o", "x.o", NULL}, NULL, TC(AS), {NULL}, "native"},
};

START_TEST(test_decide_cache)
{
        struct xh_shim_config conf;
        struct xh_shim_facts facts;
        xh_error err = {0};
        ck_assert_int_eq(xh_shim_config_parse(CONF_TEXT "ccache=" CCACHE "\n", &conf, &err), 0);
        ck_assert_str_eq(conf.ccache, CCACHE);
        facts_init(&facts);
        for (size_t i = 0; i < XH_ARRAY_SIZE(cache_cases); i++) {
                struct xh_shim_exec x;
                const char *const *in = cache_cases[i].argv;
                ck_assert_int_eq(xh_shim_decide(&conf, cache_cases[i].exe, (char *const *)in,
                                                cache_cases[i].emulate_env, &facts, &x, &err),
                                 0);
                _cleanup_free_ char *what = xh_asprintf("cache row %zu", i);
                ck_assert_msg(strcmp(x.path, cache_cases[i].path) == 0, "%s: path %s", what,
                              x.path);
                ck_assert_msg(strcmp(x.why, cache_cases[i].why) == 0, "%s: why '%s'", what, x.why);
                bool cached = strcmp(x.path, CCACHE) == 0;
                assert_strv_eq(x.argv, cache_cases[i].out[0] ? cache_cases[i].out : in, what);
                static const char *const env[] = {"CCACHE_CONFIGPATH=" XH_CCACHE_CONF, NULL};
                static const char *const none[] = {NULL};
                assert_strv_eq(x.setenv, cached ? env : none, what);
                ck_assert_msg(cached ? x.unset_prefix && !strcmp(x.unset_prefix, "CCACHE_")
                                     : x.unset_prefix == NULL,
                              "%s: unset_prefix %s", what, x.unset_prefix);
                if (cached || (x.link_at && !x.emulated)) {
                        /* ccache, or the run itself, runs the driver through its link. */
                        ck_assert_str_eq(x.link_at, cache_cases[i].out[cached ? 1 : 0]);
                        _cleanup_free_ char *to = xh_asprintf(TC("%s"), cache_cases[i].exe);
                        ck_assert_str_eq(x.link_to, to);
                }
                xh_shim_exec_clear(&x);
        }
        /* The key reads back from the configuration the session writes. */
        _cleanup_free_ char *text = xh_shim_config_format(&conf);
        ck_assert_msg(strstr(text, "ccache=" CCACHE "\n") != NULL, "format: %s", text);
        xh_shim_facts_clear(&facts);
        xh_shim_config_clear(&conf);
}
END_TEST

/*
 * With --distribute (distcc=, distcc_id=, distcc_hosts= in shim.conf), every
 * native compile runs "distcc LINK ARGS..." where LINK is named after the
 * served compiler, xh-ID-DRIVER, and distcc's settings are the session's;
 * links and -E run the driver as before. With the cache too, the compile
 * goes to ccache as before (its key unchanged), and ccache's prefix, the
 * shim itself, sends a miss through distcc.
 */
#define DISTCC      TC("/usr/bin/distcc")
#define DISTCC_ID   "0123456789abcdef"
#define DISTCC_CONF "distcc=" DISTCC "\ndistcc_id=" DISTCC_ID "\ndistcc_hosts=--randomize h:3632\n"
#define SERVED      LINKN "xh-" DISTCC_ID "-"
static const char *const distcc_env[] = {"DISTCC_HOSTS=--randomize h:3632",
                                         "DISTCC_DIR=" XH_DISTCC_DIR, "DISTCC_FALLBACK=1",
                                         "DISTCC_NO_REWRITE_CROSS=1", NULL};

START_TEST(test_decide_distcc)
{
        struct xh_shim_config conf;
        struct xh_shim_facts facts;
        xh_error err = {0};
        ck_assert_int_eq(xh_shim_config_parse(CONF_TEXT DISTCC_CONF, &conf, &err), 0);
        facts_init(&facts);
        const char *base = strrchr(GCC, '/') + 1;
        _cleanup_free_ char *served = xh_asprintf(SERVED "%s", base);

        static const char *const compile[] = {"gcc", "-c", "x.c", "-o", "x.o", NULL};
        struct xh_shim_exec x;
        ck_assert_int_eq(xh_shim_decide(&conf, GCC, (char *const *)compile, NULL, &facts, &x, &err),
                         0);
        ck_assert_str_eq(x.path, DISTCC);
        ck_assert_str_eq(x.why, "native (distcc)");
        const char *const want[] = {"distcc", served, PRE,   "-c", "x.c",
                                    "-o",     "x.o",  INC_C, LGCC, NULL};
        assert_strv_eq(x.argv, want, "distcc compile");
        ck_assert_str_eq(x.link_at, served);
        ck_assert_str_eq(x.link_to, TC(GCC));
        assert_strv_eq(x.putenv, distcc_env, "distcc compile");
        static const char *const log[] = {"DISTCC_LOG=" XH_DISTCC_LOG, NULL};
        assert_strv_eq(x.setenv, log, "distcc compile");
        xh_shim_exec_clear(&x);

        /* A compile with debug information stays here: its line table would differ. */
        static const char *const debug[][6] = {{"gcc", "-g", "-O2", "-c", "x.c", NULL},
                                               {"gcc", "-c", "x.c", "-gdwarf-5", NULL},
                                               {"gcc", "-ggdb3", "-c", "x.c", NULL}};
        for (size_t i = 0; i < XH_ARRAY_SIZE(debug); i++) {
                ck_assert_int_eq(
                        xh_shim_decide(&conf, GCC, (char *const *)debug[i], NULL, &facts, &x, &err),
                        0);
                ck_assert_str_eq(x.path, TC(GCC));
                ck_assert_str_eq(x.why, "native (debug information: not distributed)");
                ck_assert_ptr_null(x.putenv[0]);
                xh_shim_exec_clear(&x);
        }
        static const char *const g0[] = {"gcc", "-g0", "-c", "x.c", NULL};
        ck_assert_int_eq(xh_shim_decide(&conf, GCC, (char *const *)g0, NULL, &facts, &x, &err), 0);
        ck_assert_str_eq(x.path, DISTCC);
        xh_shim_exec_clear(&x);

        /* A link stays here, through the link named as called. */
        static const char *const link[] = {"gcc", "x.o", "-o", "prog", NULL};
        ck_assert_int_eq(xh_shim_decide(&conf, GCC, (char *const *)link, NULL, &facts, &x, &err),
                         0);
        ck_assert_str_eq(x.path, TC(GCC));
        ck_assert_str_eq(x.argv[0], LINKN "gcc");
        ck_assert_ptr_null(x.putenv[0]);
        xh_shim_exec_clear(&x);

        /* With the cache: ccache as before; its prefix sends the miss to distcc. */
        xh_shim_config_clear(&conf);
        ck_assert_int_eq(
                xh_shim_config_parse(CONF_TEXT DISTCC_CONF "ccache=" CCACHE "\n", &conf, &err), 0);
        ck_assert_int_eq(xh_shim_decide(&conf, GCC, (char *const *)compile, NULL, &facts, &x, &err),
                         0);
        ck_assert_str_eq(x.path, CCACHE);
        ck_assert_str_eq(x.argv[1], LINKN "gcc");
        ck_assert_ptr_null(x.putenv[0]);
        xh_shim_exec_clear(&x);
        static const char *const prefix[] = {XH_SHIM_PATH, LINKN "gcc", "-c", "x.c", NULL};
        ck_assert_int_eq(xh_shim_distcc_prefix(&conf, TC(GCC), (char *const *)prefix, &x, &err), 0);
        ck_assert_str_eq(x.path, DISTCC);
        const char *const pwant[] = {"distcc", served, "-c", "x.c", NULL};
        assert_strv_eq(x.argv, pwant, "prefix");
        ck_assert_str_eq(x.link_to, TC(GCC));
        assert_strv_eq(x.putenv, distcc_env, "prefix");
        xh_shim_exec_clear(&x);
        /* ... but a miss that makes debug information compiles here. */
        static const char *const gprefix[] = {XH_SHIM_PATH, LINKN "gcc", "-g", "-c", "x.c", NULL};
        ck_assert_int_eq(xh_shim_distcc_prefix(&conf, TC(GCC), (char *const *)gprefix, &x, &err),
                         0);
        ck_assert_str_eq(x.path, TC(GCC));
        const char *const gwant[] = {LINKN "gcc", "-g", "-c", "x.c", NULL};
        assert_strv_eq(x.argv, gwant, "prefix with -g");
        ck_assert_ptr_null(x.putenv[0]);
        xh_shim_exec_clear(&x);

        /* The shim as itself without distcc: one error. */
        xh_shim_config_clear(&conf);
        ck_assert_int_eq(xh_shim_config_parse(CONF_TEXT, &conf, &err), 0);
        ck_assert_int_eq(xh_shim_distcc_prefix(&conf, TC(GCC), (char *const *)prefix, &x, &err),
                         -EINVAL);
        ck_assert_msg(strstr(err.msg, "only for distributed compiles"), "%s", err.msg);
        xh_error_clear(&err);
        xh_shim_facts_clear(&facts);
        xh_shim_config_clear(&conf);
}
END_TEST

/*
 * Regression test (shim/shim.c, xh_shim_decide): shim.h says that when facts are
 * needed the function "sets out->needs_facts and returns 0 with no path". The
 * toolchain path used to be set before the strategy switch and left behind by
 * gcc_native's and the pkg-config case's needs_facts returns (with an empty
 * argv), so a caller trusting the contract would execv an empty argv.
 */
START_TEST(test_needs_facts_no_path)
{
        static const char *const gcc[] = {"gcc", "-c", "x.c", NULL};
        static const char *const pc[] = {"pkg-config", "--cflags", "zlib", NULL};
        struct xh_shim_config conf;
        conf_init(&conf);
        struct xh_shim_exec x;
        ck_assert_int_eq(xh_shim_decide(&conf, GCC, (char *const *)gcc, NULL, NULL, &x, NULL), 0);
        ck_assert(x.needs_facts);
        ck_assert_ptr_null(x.path);
        xh_shim_exec_clear(&x);
        ck_assert_int_eq(xh_shim_decide(&conf, PKGCONF, (char *const *)pc, NULL, NULL, &x, NULL),
                         0);
        ck_assert(x.needs_facts);
        ck_assert_ptr_null(x.path);
        xh_shim_exec_clear(&x);
        xh_shim_config_clear(&conf);
}
END_TEST

/* A first run without facts, then the run with them, as shim/main.c does. */
START_TEST(test_decide_two_steps)
{
        static const char *const argv[] = {"g++", "-c", "x.cc", NULL};
        struct xh_shim_config conf;
        struct xh_shim_facts facts;
        conf_init(&conf);
        facts_init(&facts);
        struct xh_shim_exec x;
        xh_error err = {0};
        ck_assert_int_eq(xh_shim_decide(&conf, GXX, (char *const *)argv, NULL, NULL, &x, &err), 0);
        ck_assert(x.needs_facts);
        xh_shim_exec_clear(&x);
        ck_assert_int_eq(xh_shim_decide(&conf, GXX, (char *const *)argv, NULL, &facts, &x, &err),
                         0);
        ck_assert(!x.needs_facts);
        ck_assert_str_eq(x.path, TC(GXX));
        assert_strv_eq(x.argv,
                       (const char *const[]){XH_RUN_DIR "/names/g++", PRE, "-c", "x.cc", INC_CXX,
                                             LGCC, NULL},
                       "argv");
        /* The input is untouched. */
        assert_strv_eq((char *const *)argv, (const char *const[]){"g++", "-c", "x.cc", NULL},
                       "input");
        xh_shim_exec_clear(&x);
        xh_shim_exec_clear(&x); /* twice is harmless */
        ck_assert_ptr_null(err.msg);
        xh_shim_facts_clear(&facts);
        xh_shim_config_clear(&conf);
}
END_TEST

/* Unset config or fact values are not exported. */
START_TEST(test_decide_partial_values)
{
        static const char *const bash[] = {"bash", NULL};
        static const char *const pc[] = {"pkg-config", "--libs", "zlib", NULL};
        struct xh_shim_config conf;
        ck_assert_int_eq(xh_shim_config_parse("triplet=" TRIPLET "\ngcc_libdir=" LIBDIR
                                              "\nmachtype=aarch64-unknown-linux-gnu\n",
                                              &conf, NULL),
                         0);
        struct xh_shim_exec x;
        ck_assert_int_eq(xh_shim_decide(&conf, BASH, (char *const *)bash, NULL, NULL, &x, NULL), 0);
        assert_strv_joined(x.setenv, "MACHTYPE=aarch64-unknown-linux-gnu", "bash setenv");
        xh_shim_exec_clear(&x);

        struct xh_shim_facts facts = {.pc_path = xh_strdup(PC_PATH)};
        ck_assert_int_eq(xh_shim_decide(&conf, PKGCONF, (char *const *)pc, NULL, &facts, &x, NULL),
                         0);
        ck_assert(!x.needs_facts);
        assert_strv_joined(x.setenv, "PKG_CONFIG_LIBDIR=" PC_PATH, "pkg-config setenv");
        xh_shim_exec_clear(&x);
        xh_shim_facts_clear(&facts);
        ck_assert_ptr_null(facts.pc_path);

        /* A configuration built by hand, without an emulate list. */
        struct xh_shim_config bare = {.triplet = TRIPLET, .gcc_libdir = LIBDIR};
        ck_assert_int_eq(xh_shim_decide(&bare, BASH, (char *const *)bash, NULL, NULL, &x, NULL), 0);
        ck_assert(!x.emulated);
        ck_assert_ptr_null(x.setenv[0]);
        xh_shim_exec_clear(&x);
        xh_shim_config_clear(&conf);
}
END_TEST

/* ---- parsers of the target's answers ---- */

#define GCC_V_HEAD                                                                                 \
        "Using built-in specs.\n"                                                                  \
        "COLLECT_GCC=gcc\n"                                                                        \
        "Target: aarch64-linux-gnu\n"                                                              \
        "Configured with: ../src/configure -v --with-pkgversion='Debian 12.2.0-14' "               \
        "--enable-languages=c,ada,c++,go,d,fortran,objc,obj-c++,m2 --prefix=/usr "                 \
        "--build=aarch64-linux-gnu --host=aarch64-linux-gnu --target=aarch64-linux-gnu\n"          \
        "Thread model: posix\n"                                                                    \
        "Supported LTO compression algorithms: zlib zstd\n"                                        \
        "gcc version 12.2.0 (Debian 12.2.0-14) \n"                                                 \
        "COLLECT_GCC_OPTIONS='-E' '-v' '-mlittle-endian' '-mabi=lp64'\n"

#define GCC_V_C                                                                                    \
        GCC_V_HEAD                                                                                 \
        " /usr/lib/gcc/aarch64-linux-gnu/12/cc1 -E -quiet -v -imultiarch aarch64-linux-gnu "       \
        "/dev/null -mlittle-endian -mabi=lp64 -dumpbase null\n"                                    \
        "ignoring nonexistent directory \"/usr/local/include/aarch64-linux-gnu\"\n"                \
        "ignoring nonexistent directory \"/usr/lib/gcc/aarch64-linux-gnu/12/include-fixed\"\n"     \
        "ignoring nonexistent directory "                                                          \
        "\"/usr/lib/gcc/aarch64-linux-gnu/12/../../../../aarch64-linux-gnu/include\"\n"            \
        "#include \"...\" search starts here:\n"                                                   \
        "#include <...> search starts here:\n"                                                     \
        " /usr/lib/gcc/aarch64-linux-gnu/12/include\n"                                             \
        " /usr/local/include\n"                                                                    \
        " /usr/include/aarch64-linux-gnu\n"                                                        \
        " /usr/include\n"                                                                          \
        "End of search list.\n"                                                                    \
        "COMPILER_PATH=/usr/lib/gcc/aarch64-linux-gnu/12/:/usr/lib/gcc/aarch64-linux-gnu/\n"       \
        "LIBRARY_PATH=/usr/lib/gcc/aarch64-linux-gnu/12/:/lib/aarch64-linux-gnu/:/lib/\n"          \
        "COLLECT_GCC_OPTIONS='-E' '-v' '-mlittle-endian' '-mabi=lp64'\n"

#define GCC_V_CXX                                                                                  \
        GCC_V_HEAD                                                                                 \
        " /usr/lib/gcc/aarch64-linux-gnu/12/cc1plus -E -quiet -v -imultiarch aarch64-linux-gnu "   \
        "-D_GNU_SOURCE /dev/null -mlittle-endian -mabi=lp64 -dumpbase null\n"                      \
        "ignoring duplicate directory \"/usr/include/aarch64-linux-gnu/c++/12\"\n"                 \
        "ignoring nonexistent directory \"/usr/local/include/aarch64-linux-gnu\"\n"                \
        "#include \"...\" search starts here:\n"                                                   \
        " /home/u/quoted\n"                                                                        \
        "#include <...> search starts here:\n"                                                     \
        " /usr/include/c++/12\n"                                                                   \
        " /usr/include/aarch64-linux-gnu/c++/12\n"                                                 \
        " /usr/include/c++/12/backward\n"                                                          \
        " /usr/lib/gcc/aarch64-linux-gnu/12/include\n"                                             \
        " /usr/local/include\n"                                                                    \
        " /usr/include/aarch64-linux-gnu\n"                                                        \
        " /usr/include\n"                                                                          \
        "End of search list.\n"                                                                    \
        "# 0 \"/dev/null\"\n"

static const struct {
        const char *text;
        const char *want; /* ' '-joined */
} incdir_cases[] = {
        {GCC_V_C, "/usr/lib/gcc/aarch64-linux-gnu/12/include /usr/local/include "
                  "/usr/include/aarch64-linux-gnu /usr/include"},
        {GCC_V_CXX, "/usr/include/c++/12 /usr/include/aarch64-linux-gnu/c++/12 "
                    "/usr/include/c++/12/backward /usr/lib/gcc/aarch64-linux-gnu/12/include "
                    "/usr/local/include /usr/include/aarch64-linux-gnu /usr/include"},
        /* no "End of search list." (cut short): up to the end */
        {"#include <...> search starts here:\n /a\n /b", "/a /b"},
        {"#include <...> search starts here:\n /a\n /b\n", "/a /b"},
        /* an empty list */
        {"#include <...> search starts here:\nEnd of search list.\n", ""},
        {"#include <...> search starts here:", ""},
        /* without the marker: an empty list */
        {GCC_V_HEAD "gcc: error: unrecognized command-line option '-E'\n", ""},
        {"#include \"...\" search starts here:\n /q\nEnd of search list.\n", ""},
        {"", ""},
};

START_TEST(test_parse_incdirs)
{
        _cleanup_strv_ char **dirs = xh_shim_parse_incdirs(incdir_cases[_i].text);
        ck_assert_ptr_nonnull(dirs);
        assert_strv_joined(dirs, incdir_cases[_i].want, "include dirs");
}
END_TEST

/* The facts shim/main.c builds from captured output drive the decision. */
START_TEST(test_parsed_facts_decide)
{
        static const char *const argv[] = {"gcc", "-c", "x.c", NULL};
        struct xh_shim_config conf;
        conf_init(&conf);
        struct xh_shim_facts facts = {
                .inc_c = xh_shim_parse_incdirs(GCC_V_C),
                .inc_cxx = xh_shim_parse_incdirs(GCC_V_CXX),
        };
        struct xh_shim_exec x;
        ck_assert_int_eq(xh_shim_decide(&conf, GCC, (char *const *)argv, NULL, &facts, &x, NULL),
                         0);
        assert_strv_eq(
                x.argv,
                (const char *const[]){XH_RUN_DIR "/names/gcc", PRE, "-c", "x.c", INC_C, LGCC, NULL},
                "argv");
        xh_shim_exec_clear(&x);
        xh_shim_facts_clear(&facts);
        ck_assert_ptr_null(facts.inc_c);
        xh_shim_facts_clear(&facts); /* twice is harmless */
        xh_shim_config_clear(&conf);
}
END_TEST

#define PERSONALITY                                                                                \
        "Triplet: default\n"                                                                       \
        "DefaultSearchPaths: /usr/lib/aarch64-linux-gnu/pkgconfig /usr/lib/pkgconfig "             \
        "/usr/share/pkgconfig \n"                                                                  \
        "SystemIncludePaths: /usr/include \n"                                                      \
        "SystemLibraryPaths: /lib /lib/aarch64-linux-gnu /usr/lib /usr/lib/aarch64-linux-gnu \n"

static const struct {
        const char *dump, *key;
        const char *want; /* NULL: absent */
} personality_cases[] = {
        {PERSONALITY, "DefaultSearchPaths", PC_PATH},
        {PERSONALITY, "SystemIncludePaths", PC_INCS},
        {PERSONALITY, "SystemLibraryPaths", PC_LIBS},
        {PERSONALITY, "Triplet", "default"},
        /* absent keys, prefixes and suffixes of keys */
        {PERSONALITY, "WantDefaultStatic", NULL},
        {PERSONALITY, "Default", NULL},
        {PERSONALITY, "SearchPaths", NULL},
        {PERSONALITY, "Triplet:", NULL},
        {"", "Triplet", NULL},
        /* the last line without a newline, tabs, an empty value */
        {"Triplet: default\nSystemIncludePaths:\t/usr/include\t/opt/inc", "SystemIncludePaths",
         "/usr/include:/opt/inc"},
        {"SystemLibraryPaths: \nTriplet: default\n", "SystemLibraryPaths", ""},
        /* the first of two */
        {"Triplet: a\nTriplet: b\n", "Triplet", "a"},
};

START_TEST(test_parse_personality)
{
        const char *want = personality_cases[_i].want;
        _cleanup_free_ char *got =
                xh_shim_parse_personality(personality_cases[_i].dump, personality_cases[_i].key);
        if (!want)
                ck_assert_msg(got == NULL, "%s: got '%s', expected none", personality_cases[_i].key,
                              got);
        else
                ck_assert_msg(got && strcmp(got, want) == 0, "%s: got '%s', expected '%s'",
                              personality_cases[_i].key, got ? got : "(null)", want);
}
END_TEST

START_TEST(test_personality_decide)
{
        static const char *const argv[] = {"pkg-config", "--cflags", "zlib", NULL};
        struct xh_shim_config conf;
        conf_init(&conf);
        struct xh_shim_facts facts = {
                .pc_path = xh_shim_parse_personality(PERSONALITY, "DefaultSearchPaths"),
                .pc_libs = xh_shim_parse_personality(PERSONALITY, "SystemLibraryPaths"),
                .pc_incs = xh_shim_parse_personality(PERSONALITY, "SystemIncludePaths"),
        };
        struct xh_shim_exec x;
        ck_assert_int_eq(
                xh_shim_decide(&conf, PKGCONF, (char *const *)argv, NULL, &facts, &x, NULL), 0);
        assert_strv_eq(x.setenv,
                       (const char *const[]){"PKG_CONFIG_LIBDIR=" PC_PATH,
                                             "PKG_CONFIG_SYSTEM_LIBRARY_PATH=" PC_LIBS,
                                             "PKG_CONFIG_SYSTEM_INCLUDE_PATH=" PC_INCS, NULL},
                       "setenv");
        xh_shim_exec_clear(&x);
        xh_shim_facts_clear(&facts);
        xh_shim_config_clear(&conf);
}
END_TEST

/* ---- the facts cache file ---- */

#define FACTS_GCC                                                                                  \
        "c:/usr/lib/gcc/aarch64-linux-gnu/12/include\n"                                            \
        "c:/usr/local/include\n"                                                                   \
        "c:/usr/include/aarch64-linux-gnu\n"                                                       \
        "c:/usr/include\n"                                                                         \
        "c++:/usr/include/c++/12\n"                                                                \
        "c++:/usr/include/aarch64-linux-gnu/c++/12\n"                                              \
        "c++:/usr/include/c++/12/backward\n"                                                       \
        "c++:/usr/lib/gcc/aarch64-linux-gnu/12/include\n"                                          \
        "c++:/usr/local/include\n"                                                                 \
        "c++:/usr/include/aarch64-linux-gnu\n"                                                     \
        "c++:/usr/include\n"
#define FACTS_PC "pc_path:" PC_PATH "\npc_libs:" PC_LIBS "\npc_incs:" PC_INCS "\n"

static const struct {
        const char *text;
        bool ok;
        /* the values read, include dirs joined by ' ', NULL: unset */
        const char *inc_c, *inc_cxx, *pc_path, *pc_libs, *pc_incs;
} facts_cases[] = {
        /* what the shim writes for a compiler and for pkg-config */
        {FACTS_GCC, true,
         "/usr/lib/gcc/aarch64-linux-gnu/12/include /usr/local/include "
         "/usr/include/aarch64-linux-gnu /usr/include",
         "/usr/include/c++/12 /usr/include/aarch64-linux-gnu/c++/12 /usr/include/c++/12/backward "
         "/usr/lib/gcc/aarch64-linux-gnu/12/include /usr/local/include "
         "/usr/include/aarch64-linux-gnu /usr/include",
         NULL, NULL, NULL},
        {FACTS_PC, true, "", "", PC_PATH, PC_LIBS, PC_INCS},
        /* nothing to use: empty, only C++ dirs, only system dirs, other lines */
        {"", false},
        {"\n\n", false},
        {"c++:/usr/include/c++/12\n", false},
        {"pc_libs:/lib\npc_incs:/usr/include\n", false},
        {"C:/usr/include\nc /usr/include\n pc_path:/x\n# c:/usr/include\n", false},
        /* other lines and empty lines are skipped; the last line needs no newline */
        {"version:2\n\nc:/a\nc:/b", true, "/a /b", "", NULL, NULL, NULL},
        /* an empty value is kept as it is */
        {"pc_path:\n", true, "", "", "", NULL, NULL},
        {"c:\n", true, "", "", NULL, NULL, NULL},
        /* the text after the first ':' is the value, colons and spaces included */
        {"pc_path: /a:/b \n", true, "", "", " /a:/b ", NULL, NULL},
        /* a value given again replaces the one before (each used to leak) */
        {"pc_path:/a\npc_path:/b\npc_libs:/c\npc_libs:/d\npc_incs:/e\npc_incs:\n", true, "", "",
         "/b", "/d", ""},
};

START_TEST(test_facts_parse)
{
        const char *what = facts_cases[_i].text;
        struct xh_shim_facts f;
        bool ok = xh_shim_facts_parse(facts_cases[_i].text, &f);
        ck_assert_msg(ok == facts_cases[_i].ok, "'%s': %s", what, ok ? "read" : "refused");
        if (!ok) {
                ck_assert_msg(!f.inc_c && !f.inc_cxx && !f.pc_path && !f.pc_libs && !f.pc_incs,
                              "'%s': refused facts are not empty", what);
                return;
        }
        assert_strv_joined(f.inc_c, facts_cases[_i].inc_c, what);
        assert_strv_joined(f.inc_cxx, facts_cases[_i].inc_cxx, what);
        const char *want[] = {facts_cases[_i].pc_path, facts_cases[_i].pc_libs,
                              facts_cases[_i].pc_incs};
        const char *got[] = {f.pc_path, f.pc_libs, f.pc_incs};
        for (size_t k = 0; k < XH_ARRAY_SIZE(want); k++) {
                if (!want[k])
                        ck_assert_msg(!got[k], "'%s': value %zu '%s', expected none", what, k,
                                      got[k]);
                else
                        ck_assert_msg(got[k] && strcmp(got[k], want[k]) == 0,
                                      "'%s': value %zu '%s', expected '%s'", what, k,
                                      got[k] ? got[k] : "(null)", want[k]);
        }
        xh_shim_facts_clear(&f);
}
END_TEST

/* The format is the one shim/main.c keeps in the cache, and reads back unchanged. */
START_TEST(test_facts_round_trip)
{
        struct xh_shim_facts f, back;
        facts_init(&f);
        _cleanup_free_ char *text = xh_shim_facts_format(&f);
        ck_assert_str_eq(text, FACTS_GCC FACTS_PC);
        ck_assert(xh_shim_facts_parse(text, &back));
        _cleanup_free_ char *again = xh_shim_facts_format(&back);
        ck_assert_str_eq(again, text);
        xh_shim_facts_clear(&back);
        xh_shim_facts_clear(&f);

        /* No facts: an empty file, which is no facts to use. */
        struct xh_shim_facts none = {0};
        _cleanup_free_ char *empty = xh_shim_facts_format(&none);
        ck_assert_str_eq(empty, "");
        ck_assert(!xh_shim_facts_parse(empty, &back));
}
END_TEST

/* Facts read back from the cache drive the decision as fresh ones do. */
START_TEST(test_facts_cached_decide)
{
        static const char *const argv[] = {"g++", "-c", "x.cc", NULL};
        struct xh_shim_config conf;
        conf_init(&conf);
        struct xh_shim_facts f;
        ck_assert(xh_shim_facts_parse(FACTS_GCC, &f));
        struct xh_shim_exec x;
        ck_assert_int_eq(xh_shim_decide(&conf, GXX, (char *const *)argv, NULL, &f, &x, NULL), 0);
        assert_strv_eq(x.argv,
                       (const char *const[]){XH_RUN_DIR "/names/g++", PRE, "-c", "x.cc", INC_CXX,
                                             LGCC, NULL},
                       "argv");
        xh_shim_exec_clear(&x);
        xh_shim_facts_clear(&f);
        xh_shim_config_clear(&conf);
}
END_TEST

/* ---- compiler probes answered from the facts cache ---- */

static const struct {
        const char *argv[5];
        bool cacheable;
} probe_cases[] = {
        {{"gcc", "-v", NULL}, true},
        {{"gcc", "--version", NULL}, true},
        {{"cc", "-dumpmachine", NULL}, true},
        {{"gcc", "-dumpversion", NULL}, true},
        {{"gcc", "-dumpfullversion", NULL}, true},
        {{"gcc", "-dumpspecs", NULL}, true},
        {{"gcc", "-print-search-dirs", NULL}, true},
        {{"gcc", "-print-multiarch", NULL}, true},
        {{"gcc", "-print-multi-os-directory", NULL}, true},
        {{"gcc", "-print-multi-lib", NULL}, true},
        {{"gcc", "-print-multi-directory", NULL}, true},
        {{"gcc", "-print-sysroot", NULL}, true},
        {{"gcc", "-print-sysroot-headers-suffix", NULL}, true},
        {{"/usr/bin/gcc", "-v", NULL}, true},
        {{"aarch64-linux-gnu-gcc-14", "-dumpmachine", "-dumpversion", NULL}, true},
        /* a relative path with a directory: the prefix follows the working directory */
        {{"./gcc", "-v", NULL}, false},
        {{"bin/gcc", "--version", NULL}, false},
        {{"", "-v", NULL}, false},
        /* no question at all, or a compile beside the probe */
        {{"gcc", NULL}, false},
        {{"gcc", "-v", "-c", "x.c", NULL}, false},
        {{"gcc", "-v", "x.c", NULL}, false},
        {{"gcc", "-E", "-v", "-x", "c"}, false},
        /* they look files up in the root, or follow the terminal */
        {{"gcc", "-print-prog-name=ld", NULL}, false},
        {{"gcc", "-print-file-name=libgcc.a", NULL}, false},
        {{"gcc", "-print-libgcc-file-name", NULL}, false},
        {{"gcc", "--help", NULL}, false},
        {{"gcc", "--help=warnings", NULL}, false},
        {{"gcc", "-###", NULL}, false},
        {{"gcc", "--target-help", NULL}, false},
        /* an argument the list does not know */
        {{"gcc", "-v", "-O2", NULL}, false},
        {{"gcc", "-V", NULL}, false},
        {{"gcc", "-qversion", NULL}, false},
};

START_TEST(test_probe_cacheable)
{
        const char *const *argv = probe_cases[_i].argv;
        ck_assert_msg(xh_shim_probe_cacheable((char *const *)argv) == probe_cases[_i].cacheable,
                      "%s %s: cacheable should be %d", argv[0], argv[1] ? argv[1] : "",
                      probe_cases[_i].cacheable);
}
END_TEST

/* The decision marks the cacheable probes, and only on the compiler probe path. */
START_TEST(test_decide_keep_answer)
{
        struct xh_shim_config c;
        ck_assert_int_eq(xh_shim_config_parse(CONF_TEXT, &c, NULL), 0);
        static const struct {
                const char *exe;
                const char *argv[4];
                const char *emulate;
                bool keep;
        } cases[] = {
                {GCC, {"gcc", "-v", NULL}, NULL, true},
                {GCC, {"gcc", "--version", NULL}, NULL, true},
                {GXX, {"g++", "-dumpmachine", NULL}, NULL, true},
                {GCC, {"gcc", "-print-prog-name=ld", NULL}, NULL, false},
                {GCC, {"gcc", "-c", "x.c", NULL}, NULL, false},
                /* asked to emulate it: the target's program, every time */
                {GCC, {"gcc", "-v", NULL}, "gcc", false},
                /* other tools' version probes are not the compiler's */
                {"/usr/bin/make", {"make", "--version", NULL}, NULL, false},
                {"/usr/bin/pkgconf", {"pkg-config", "--version", NULL}, NULL, false},
        };
        struct xh_shim_facts facts;
        facts_init(&facts);
        for (size_t i = 0; i < XH_ARRAY_SIZE(cases); i++) {
                struct xh_shim_exec x;
                xh_error err = {0};
                ck_assert_int_eq(xh_shim_decide(&c, cases[i].exe, (char *const *)cases[i].argv,
                                                cases[i].emulate, &facts, &x, &err),
                                 0);
                ck_assert_msg(x.keep_answer == cases[i].keep, "%s %s: keep_answer %d",
                              cases[i].argv[0], cases[i].argv[1], x.keep_answer);
                if (x.keep_answer)
                        ck_assert(x.emulated);
                xh_shim_exec_clear(&x);
        }
        xh_shim_facts_clear(&facts);
        xh_shim_config_clear(&c);
}
END_TEST

/* uname, arch, hostname: native, but the target's where uname(2) gives the host's machine. */
START_TEST(test_decide_identity)
{
        struct xh_shim_config c;
        ck_assert_int_eq(xh_shim_config_parse(CONF_TEXT, &c, NULL), 0);
        static const char *const exes[] = {"/usr/bin/uname", "/usr/bin/arch", "/usr/bin/hostname"};
        for (size_t i = 0; i < XH_ARRAY_SIZE(exes); i++) {
                for (int host = 0; host < 2; host++) {
                        c.host_machine = host;
                        char *const argv[] = {(char *)strrchr(exes[i], '/') + 1, "-a", NULL};
                        struct xh_shim_exec x;
                        xh_error err = {0};
                        ck_assert_int_eq(xh_shim_decide(&c, exes[i], argv, NULL, NULL, &x, &err),
                                         0);
                        _cleanup_free_ char *want =
                                xh_asprintf("%s%s", host ? XH_ORIG_DIR : XH_TOOLCHAIN_DIR, exes[i]);
                        ck_assert_str_eq(x.path, want);
                        ck_assert(x.emulated == host);
                        ck_assert(!x.needs_facts && !x.keep_answer);
                        ck_assert_str_eq(x.argv[0], argv[0]);
                        ck_assert_str_eq(x.argv[1], "-a");
                        ck_assert_ptr_null(x.argv[2]);
                        ck_assert(x.setenv[0] == NULL && x.putenv[0] == NULL);
                        xh_shim_exec_clear(&x);
                }
        }
        /* Other tools do not care. */
        c.host_machine = true;
        char *const argv[] = {"sed", "p", NULL};
        struct xh_shim_exec x;
        ck_assert_int_eq(xh_shim_decide(&c, "/usr/bin/sed", argv, NULL, NULL, &x, NULL), 0);
        ck_assert(!x.emulated);
        xh_shim_exec_clear(&x);
        xh_shim_config_clear(&c);
}
END_TEST

START_TEST(test_probe_key)
{
        char *const ids[] = {"program=/.xhybrid/orig/usr/bin/gcc:1:2:3.000000004", "dpkg=none",
                             NULL};
        char *const argv[] = {"gcc", "-v", NULL};
        char *const env[] = {"HOME=/root",
                             "PATH=/usr/bin:/bin",
                             "LANG=C.UTF-8",
                             "LC_ALL=de_DE",
                             "GCC_EXEC_PREFIX=/x",
                             "QEMU_STRACE=1",
                             "XHYBRID_TRACE=1",
                             "LC_ALL=fr_FR",
                             "TERM=xterm",
                             "COLLECT_GCC=y",
                             "LIBRARY_PATH=/l",
                             "COMPILER_PATH=/c",
                             "LANGUAGE=de",
                             "PATHX=1",
                             NULL};
        _cleanup_free_ char *k = xh_shim_probe_key(GCC, ids, argv, env);
        ck_assert_str_eq(k, "xhybrid-probe-key 1\n"
                            "exe " GCC "\n"
                            "id program=/.xhybrid/orig/usr/bin/gcc:1:2:3.000000004\n"
                            "id dpkg=none\n"
                            "arg gcc\n"
                            "arg -v\n"
                            "env COLLECT_GCC=y\n"
                            "env COMPILER_PATH=/c\n"
                            "env GCC_EXEC_PREFIX=/x\n"
                            "env LANG=C.UTF-8\n"
                            "env LANGUAGE=de\n"
                            "env LC_ALL=de_DE\n"
                            "env LIBRARY_PATH=/l\n"
                            "env PATH=/usr/bin:/bin\n"
                            "env QEMU_STRACE=1\n");

        /* Variables that do not change the answer, or their order, do not change the key. */
        char *const env2[] = {"QEMU_STRACE=1",
                              "LANGUAGE=de",
                              "LIBRARY_PATH=/l",
                              "COMPILER_PATH=/c",
                              "COLLECT_GCC=y",
                              "LC_ALL=de_DE",
                              "LANG=C.UTF-8",
                              "GCC_EXEC_PREFIX=/x",
                              "PATH=/usr/bin:/bin",
                              "OTHER=1",
                              NULL};
        _cleanup_free_ char *k2 = xh_shim_probe_key(GCC, ids, argv, env2);
        ck_assert_str_eq(k, k2);

        /* Each of these changes it. */
        char *const lang[] = {"LANG=de_DE.UTF-8", NULL};
        char *const none[] = {NULL};
        _cleanup_free_ char *k_lang = xh_shim_probe_key(GCC, ids, argv, lang);
        _cleanup_free_ char *k_none = xh_shim_probe_key(GCC, ids, argv, none);
        ck_assert_str_ne(k_lang, k_none);
        char *const argv0[] = {"/usr/bin/gcc", "-v", NULL};
        _cleanup_free_ char *k_a0 = xh_shim_probe_key(GCC, ids, argv0, none);
        ck_assert_str_ne(k_a0, k_none);
        char *const ids2[] = {"program=/.xhybrid/orig/usr/bin/gcc:1:2:3.000000005", "dpkg=none",
                              NULL};
        _cleanup_free_ char *k_ids = xh_shim_probe_key(GCC, ids2, argv, none);
        ck_assert_str_ne(k_ids, k_none);
        _cleanup_free_ char *k_exe = xh_shim_probe_key(GXX, ids, argv, none);
        ck_assert_str_ne(k_exe, k_none);

        /* Arguments cannot run into each other: a newline is escaped. */
        char *const one[] = {"gcc", "-v\narg -v", NULL};
        char *const two[] = {"gcc", "-v", "-v", NULL};
        _cleanup_free_ char *k_one = xh_shim_probe_key(GCC, ids, one, none);
        _cleanup_free_ char *k_two = xh_shim_probe_key(GCC, ids, two, none);
        ck_assert_str_ne(k_one, k_two);
        ck_assert_ptr_nonnull(strstr(k_one, "arg -v\\narg -v\n"));
        char *const bs[] = {"gcc", "a\\nb", NULL};
        _cleanup_free_ char *k_bs = xh_shim_probe_key(GCC, ids, bs, none);
        ck_assert_ptr_nonnull(strstr(k_bs, "arg a\\\\nb\n"));
}
END_TEST

#define KEY "xhybrid-probe-key 1\nexe /usr/bin/gcc\narg gcc\narg -v\n"

START_TEST(test_answer_round_trip)
{
        struct xh_shim_answer a = {.out = "",
                                   .out_len = 0,
                                   .err = "Using built-in specs.\n\0x\n",
                                   .err_len = 25,
                                   .status = 0};
        size_t len;
        _cleanup_free_ char *entry = xh_shim_answer_format(KEY, &a, &len);
        ck_assert_uint_eq(len, strlen("xhybrid-probe 1 0 52 0 25\n") + strlen(KEY) + 25);
        ck_assert(strncmp(entry, "xhybrid-probe 1 0 52 0 25\n", 26) == 0);
        struct xh_shim_answer b;
        ck_assert(xh_shim_answer_parse(entry, len, KEY, &b));
        ck_assert_int_eq(b.status, 0);
        ck_assert_uint_eq(b.out_len, 0);
        ck_assert_uint_eq(b.err_len, 25);
        ck_assert(memcmp(b.err, a.err, 25) == 0);
        xh_shim_answer_clear(&b);

        /* Kept for another key: not this probe's answer. */
        ck_assert(!xh_shim_answer_parse(entry, len, KEY "arg -v\n", &b));
        ck_assert(!b.out && !b.err);
        ck_assert(!xh_shim_answer_parse(entry, len,
                                        "xhybrid-probe-key 1\nexe /usr/bin/gcc\narg "
                                        "gcc\narg -V\n",
                                        &b));

        struct xh_shim_answer c = {.out = "gcc 14\n", .out_len = 7, .status = 1};
        _cleanup_free_ char *e2 = xh_shim_answer_format(KEY, &c, &len);
        ck_assert(xh_shim_answer_parse(e2, len, KEY, &b));
        ck_assert_int_eq(b.status, 1);
        ck_assert_str_eq(b.out, "gcc 14\n");
        ck_assert_uint_eq(b.err_len, 0);
        xh_shim_answer_clear(&b);
}
END_TEST

/* Bad entries: each is no answer (the probe is asked again and the entry replaced). */
static const char *const bad_answers[] = {
        "",
        "xhybrid-probe 1",
        "xhybrid-probe 2 0 52 0 0\n" KEY,
        "xhybrid-probe 1 0 52 0 0" KEY,
        "xhybrid-probe 1 0 52 0 0\n" KEY "x",                   /* trailing bytes */
        "xhybrid-probe 1 0 52 3 0\n" KEY "ab",                  /* truncated */
        "xhybrid-probe 1 0 51 0 0\n" KEY,                       /* key length */
        "xhybrid-probe 1 256 52 0 0\n" KEY,                     /* status out of range */
        "xhybrid-probe 1 -1 52 0 0\n" KEY,                      /* sign */
        "xhybrid-probe 1 00 52 0 0\n" KEY,                      /* leading zero */
        "xhybrid-probe 1  0 52 0 0\n" KEY,                      /* two spaces */
        "xhybrid-probe 1 0 52 0 0 \n" KEY,                      /* a space before the newline */
        "xhybrid-probe 1 0 52 0\n" KEY,                         /* a number missing */
        "xhybrid-probe 1 0 52 0 99999999999999999999999\n" KEY, /* overflow */
        "xhybrid-probe 1 0 52 0 2000000\n" KEY,                 /* over the limit */
        "xhybrid-probe 1 x 52 0 0\n" KEY,
        "xhybrid-probe 1 0 52 0 0\n"
        "xhybrid-probe-key 1\nexe /usr/bin/gcc\narg gcc\narg -V\n",
        "XHYBRID-PROBE 1 0 52 0 0\n" KEY,
};

START_TEST(test_answer_bad)
{
        struct xh_shim_answer a = {.out = (char *)"junk", .status = 7};
        const char *text = bad_answers[_i];
        ck_assert_msg(!xh_shim_answer_parse(text, strlen(text), KEY, &a), "accepted '%s'", text);
        ck_assert(!a.out && !a.err && a.status == 0 && a.out_len == 0 && a.err_len == 0);
        ck_assert(!xh_shim_answer_parse(NULL, 0, KEY, &a));
}
END_TEST

static Suite *shim_suite(void)
{
        Suite *s = suite_create("shim");

        TCase *tc = tcase_create("table");
        tcase_add_test(tc, test_table_sorted_unique);
        tcase_add_test(tc, test_table_lookup_all);
        tcase_add_test(tc, test_table_lookup_unknown);
        tcase_add_test(tc, test_table_entries);
        tcase_add_loop_test(tc, test_unknown_tools, 0, (int)XH_ARRAY_SIZE(unknown_cases));
        tcase_add_test(tc, test_tool_names);
        suite_add_tcase(s, tc);

        tc = tcase_create("canonical");
        tcase_add_loop_test(tc, test_canonical, 0, (int)XH_ARRAY_SIZE(canonical_cases));
        suite_add_tcase(s, tc);

        tc = tcase_create("config");
        tcase_add_test(tc, test_config_parse_good);
        tcase_add_test(tc, test_config_parse_minimal);
        tcase_add_loop_test(tc, test_config_parse_bad, 0, (int)XH_ARRAY_SIZE(bad_configs));
        tcase_add_test(tc, test_config_round_trip);
        suite_add_tcase(s, tc);

        tc = tcase_create("decide");
        tcase_add_loop_test(tc, test_decide, 0, (int)XH_ARRAY_SIZE(decide_cases));
        tcase_add_test(tc, test_decide_cache);
        tcase_add_test(tc, test_decide_distcc);
        tcase_add_test(tc, test_decide_two_steps);
        tcase_add_test(tc, test_decide_partial_values);
        tcase_add_test(tc, test_needs_facts_no_path);
        suite_add_tcase(s, tc);

        tc = tcase_create("parsers");
        tcase_add_loop_test(tc, test_parse_incdirs, 0, (int)XH_ARRAY_SIZE(incdir_cases));
        tcase_add_test(tc, test_parsed_facts_decide);
        tcase_add_loop_test(tc, test_parse_personality, 0, (int)XH_ARRAY_SIZE(personality_cases));
        tcase_add_test(tc, test_personality_decide);
        suite_add_tcase(s, tc);

        tc = tcase_create("facts");
        tcase_add_loop_test(tc, test_facts_parse, 0, (int)XH_ARRAY_SIZE(facts_cases));
        tcase_add_test(tc, test_facts_round_trip);
        tcase_add_test(tc, test_facts_cached_decide);
        suite_add_tcase(s, tc);

        tc = tcase_create("probes");
        tcase_add_loop_test(tc, test_probe_cacheable, 0, (int)XH_ARRAY_SIZE(probe_cases));
        tcase_add_test(tc, test_decide_keep_answer);
        tcase_add_test(tc, test_decide_identity);
        tcase_add_test(tc, test_probe_key);
        tcase_add_test(tc, test_answer_round_trip);
        tcase_add_loop_test(tc, test_answer_bad, 0, (int)XH_ARRAY_SIZE(bad_answers));
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(shim_suite());
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
