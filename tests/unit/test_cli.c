/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for cli/: command-line parsing (good and bad command lines,
 * table driven), the session environment (allow-list, profile env, --env),
 * and the store (directory precedence, root paths).
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "emulator.h"
#include "xh-test.h"

#define MAX_ARGS 16

/* ---- helpers ----------------------------------------------------------- */

/* Parse {"xhybrid", args...}; args ends at the first NULL. */
static int parse(const char *const *args, struct xh_args *a, xh_error *err)
{
        char *argv[MAX_ARGS + 2] = {"xhybrid"};
        int argc = 1;
        for (size_t i = 0; i < MAX_ARGS && args[i]; i++)
                argv[argc++] = (char *)args[i];
        argv[argc] = NULL;
        return xh_args_parse(argc, argv, a, err);
}

static char *args_str(const char *const *args)
{
        xh_buf b = {0};
        xh_buf_add(&b, "xhybrid");
        for (size_t i = 0; i < MAX_ARGS && args[i]; i++)
                xh_buf_addf(&b, " '%s'", args[i]);
        return xh_buf_steal(&b);
}

static void assert_strv(char *const *v, const char *joined, const char *what)
{
        _cleanup_free_ char *s = xh_strv_join(v, " ");
        ck_assert_msg(!strcmp(s, joined), "%s: got '%s', expected '%s'", what, s, joined);
}

static bool str_eq(const char *a, const char *b)
{
        return a == b || (a && b && !strcmp(a, b));
}

static struct xh_profile *profile_of(const char *name, const char *text)
{
        struct xh_profile *p = NULL;
        xh_error err = {0};
        int r = xh_profile_parse(name, "test", text, &p, &err);
        ck_assert_msg(r == 0, "profile: %s", err.msg ? err.msg : "(none)");
        xh_error_clear(&err);
        return p;
}

#define TARGET "[target]\nsuite = bookworm\narch = arm64\n"

/* ---- xh_args_parse: good command lines ---------------------------------- */

struct good_args {
        const char *argv[MAX_ARGS];
        enum xh_cmd cmd;
        int verbose;
        const char *store; /* NULL: unset */
        bool force, emulated, ephemeral, dry_run, strict;
        const char *env;     /* joined with ' ' */
        const char *profile; /* NULL: unset */
        const char *subcommand;
        const char *rest; /* joined with ' ' */
};

static const struct good_args good_args[] = {
        /* 0: run with and without "--"; the command keeps its own options */
        {{"run", "p", "--", "ls", "-l"}, XH_CMD_RUN, .profile = "p", .env = "", .rest = "ls -l"},
        {{"run", "p", "ls", "-l"}, XH_CMD_RUN, .profile = "p", .env = "", .rest = "ls -l"},
        {{"run", "p", "-x", "--emulated"},
         XH_CMD_RUN,
         .profile = "p",
         .env = "",
         .rest = "-x --emulated"},
        {{"run", "p", "x", "--store"}, XH_CMD_RUN, .profile = "p", .env = "", .rest = "x --store"},
        {{"run", "p", "--", "--", "x"}, XH_CMD_RUN, .profile = "p", .env = "", .rest = "-- x"},
        {{"run", "--", "p", "cmd"}, XH_CMD_RUN, .profile = "p", .env = "", .rest = "cmd"},
        /* 6: every run option */
        {{"run", "--emulated", "--ephemeral", "--dry-run", "--env", "A", "--env", "B=1",
          "--store=/st", "p", "--", "make", "-j4"},
         XH_CMD_RUN,
         .store = "/st",
         .emulated = true,
         .ephemeral = true,
         .dry_run = true,
         .env = "A B=1",
         .profile = "p",
         .rest = "make -j4"},
        {{"run", "--store", "/st2", "--env=C=a=b", "--env", "_x1=", "p", "true"},
         XH_CMD_RUN,
         .store = "/st2",
         .env = "C=a=b _x1=",
         .profile = "p",
         .rest = "true"},
        {{"run", "-v", "p", "x"}, XH_CMD_RUN, .verbose = 1, .env = "", .profile = "p", .rest = "x"},
        /* 9: enter */
        {{"enter", "p"}, XH_CMD_ENTER, .profile = "p", .env = "", .rest = ""},
        {{"enter", "--ephemeral", "--emulated", "--env", "TERM", "p"},
         XH_CMD_ENTER,
         .ephemeral = true,
         .emulated = true,
         .env = "TERM",
         .profile = "p",
         .rest = ""},
        {{"enter", "--dry-run", "--", "p"},
         XH_CMD_ENTER,
         .dry_run = true,
         .env = "",
         .profile = "p",
         .rest = ""},
        /* 12: create */
        {{"create", "p"}, XH_CMD_CREATE, .profile = "p", .env = "", .rest = ""},
        {{"create", "--force", "p"},
         XH_CMD_CREATE,
         .force = true,
         .profile = "p",
         .env = "",
         .rest = ""},
        {{"create", "--store", "/s", "--force", "p"},
         XH_CMD_CREATE,
         .store = "/s",
         .force = true,
         .profile = "p",
         .env = "",
         .rest = ""},
        /* 15: profiles */
        {{"profiles"}, XH_CMD_PROFILES, .subcommand = "list", .env = "", .rest = ""},
        {{"profiles", "list"}, XH_CMD_PROFILES, .subcommand = "list", .env = "", .rest = ""},
        {{"profiles", "show", "X"},
         XH_CMD_PROFILES,
         .subcommand = "show",
         .profile = "X",
         .env = "",
         .rest = ""},
        /* 18: doctor */
        {{"doctor"}, XH_CMD_DOCTOR, .env = "", .rest = ""},
        {{"doctor", "arm64-debian", "other"},
         XH_CMD_DOCTOR,
         .env = "",
         .rest = "arm64-debian other"},
        {{"doctor", "--", "-odd"}, XH_CMD_DOCTOR, .env = "", .rest = "-odd"},
        /* 21: elf */
        {{"elf", "/bin/sh", "a.out"}, XH_CMD_ELF, .env = "", .rest = "/bin/sh a.out"},
        {{"elf", "--", "-file"}, XH_CMD_ELF, .env = "", .rest = "-file"},
        {{"elf", "-"}, XH_CMD_ELF, .env = "", .rest = "-"},
        /* 24: global options before the command */
        {{"-v", "run", "p", "x"}, XH_CMD_RUN, .verbose = 1, .env = "", .profile = "p", .rest = "x"},
        {{"-v", "--verbose", "doctor"}, XH_CMD_DOCTOR, .verbose = 2, .env = "", .rest = ""},
        {{"-vv", "-v", "doctor"}, XH_CMD_DOCTOR, .verbose = 3, .env = "", .rest = ""},
        {{"--store", "/g", "run", "p", "x"},
         XH_CMD_RUN,
         .store = "/g",
         .env = "",
         .profile = "p",
         .rest = "x"},
        {{"--store=/g", "profiles", "show", "p"},
         XH_CMD_PROFILES,
         .store = "/g",
         .subcommand = "show",
         .profile = "p",
         .env = "",
         .rest = ""},
        /* 29: the command's --store wins over the global one */
        {{"--store", "/g", "run", "--store", "/c", "p", "x"},
         XH_CMD_RUN,
         .store = "/c",
         .env = "",
         .profile = "p",
         .rest = "x"},
        /* 30: help and version */
        {{"--help"}, XH_CMD_HELP},
        {{"-h", "run"}, XH_CMD_HELP},
        {{"help"}, XH_CMD_HELP, .env = "", .rest = ""},
        {{"--version"}, XH_CMD_VERSION},
        {{"version"}, XH_CMD_VERSION, .env = "", .rest = ""},
        /* 35: options after the operands, as GNU tools take them */
        {{"run", "p", "--ephemeral", "--env", "A", "--", "make", "-j2"},
         XH_CMD_RUN,
         .ephemeral = true,
         .env = "A",
         .profile = "p",
         .rest = "make -j2"},
        {{"run", "p", "--dry-run", "make", "--ephemeral"},
         XH_CMD_RUN,
         .dry_run = true,
         .env = "",
         .profile = "p",
         .rest = "make --ephemeral"},
        {{"create", "p", "--force"}, XH_CMD_CREATE, .force = true, .profile = "p", .rest = ""},
        {{"profiles", "show", "p", "--store", "/s"},
         XH_CMD_PROFILES,
         .store = "/s",
         .subcommand = "show",
         .profile = "p",
         .rest = ""},
        {{"doctor", "a", "-v", "b"}, XH_CMD_DOCTOR, .verbose = 1, .env = "", .rest = "a b"},
        {{"compare", "x", "y"}, XH_CMD_COMPARE, .env = "", .rest = "x y"},
        {{"run", "p", "--help"}, XH_CMD_HELP},
        /* 42: compare and verify, with and without --strict */
        {{"compare", "a", "b"}, XH_CMD_COMPARE, .env = "", .rest = "a b"},
        {{"compare", "--strict", "a", "b"},
         XH_CMD_COMPARE,
         .strict = true,
         .env = "",
         .rest = "a b"},
        {{"compare", "a", "b", "--strict"},
         XH_CMD_COMPARE,
         .strict = true,
         .env = "",
         .rest = "a b"},
        {{"verify", "--strict", "--reuse-emulated", "p", "deb:hello"},
         XH_CMD_VERIFY,
         .strict = true,
         .profile = "p",
         .env = "",
         .rest = ""},
        {{"compare", "--deb", "a.deb", "b/"}, XH_CMD_COMPARE, .env = "", .rest = "a.deb b/"},
        {{"verify", "--deb", "-o", "out", "p", "deb:hello"},
         XH_CMD_VERIFY,
         .profile = "p",
         .env = "",
         .rest = ""},
        {{"toolchain", "build", "p"},
         XH_CMD_TOOLCHAIN,
         .profile = "p",
         .subcommand = "build",
         .env = "",
         .rest = ""},
        {{"toolchain", "build", "--force", "p"},
         XH_CMD_TOOLCHAIN,
         .force = true,
         .profile = "p",
         .subcommand = "build",
         .env = "",
         .rest = ""},
};

START_TEST(test_args_good)
{
        const struct good_args *c = &good_args[_i];
        _cleanup_free_ char *line = args_str(c->argv);
        struct xh_args a;
        xh_error err = {0};
        int r = parse(c->argv, &a, &err);
        ck_assert_msg(r == 0, "%s: %d: %s", line, r, err.msg ? err.msg : "(none)");
        ck_assert_ptr_null(err.msg);
        ck_assert_msg(a.cmd == c->cmd, "%s: cmd %d, expected %d", line, a.cmd, c->cmd);
        ck_assert_msg(a.verbose == c->verbose, "%s: verbose %d", line, a.verbose);
        ck_assert_msg(str_eq(a.store, c->store), "%s: store '%s'", line, a.store);
        ck_assert_msg(a.force == c->force, "%s: force", line);
        ck_assert_msg(a.emulated == c->emulated, "%s: emulated", line);
        ck_assert_msg(a.ephemeral == c->ephemeral, "%s: ephemeral", line);
        ck_assert_msg(a.dry_run == c->dry_run, "%s: dry_run", line);
        ck_assert_msg(a.strict == c->strict, "%s: strict", line);
        ck_assert_msg(str_eq(a.profile, c->profile), "%s: profile '%s'", line, a.profile);
        ck_assert_msg(str_eq(a.subcommand, c->subcommand), "%s: subcommand '%s'", line,
                      a.subcommand);
        if (c->env) {
                ck_assert_msg(a.env != NULL, "%s: env is NULL", line);
                assert_strv(a.env, c->env, line);
        }
        if (c->rest) {
                ck_assert_msg(a.rest != NULL, "%s: rest is NULL", line);
                assert_strv(a.rest, c->rest, line);
        }
        xh_args_free(&a);
        ck_assert_ptr_null(a.rest);
        ck_assert_ptr_null(a.store);
}
END_TEST

/* bench and verify take their options on either side of PROFILE and SOURCE. */
START_TEST(test_args_bench_anywhere)
{
        char *argv[] = {"xhybrid",   "bench",   "--json", "r.json", "arm64-debian", "--runs", "1",
                        "deb:hello", "--modes", "hybrid", NULL};
        struct xh_args a;
        ck_assert_int_eq(xh_args_parse(10, argv, &a, NULL), 0);
        ck_assert_int_eq(a.cmd, XH_CMD_BENCH);
        ck_assert_str_eq(a.profile, "arm64-debian");
        ck_assert_str_eq(a.source, "deb:hello");
        ck_assert_int_eq(a.runs, 1);
        ck_assert_str_eq(a.json, "r.json");
        ck_assert_str_eq(a.modes, "hybrid");
        ck_assert_ptr_nonnull(a.run);
        xh_args_free(&a);
}
END_TEST

/* The parser copies what it keeps: argv may change afterwards. */
START_TEST(test_args_copies)
{
        char prof[] = "prof", cmd[] = "cmd", store[] = "/s", env[] = "A=1";
        char *argv[] = {"xhybrid", "run", "--store", store, "--env", env, prof, cmd, NULL};
        struct xh_args a;
        ck_assert_int_eq(xh_args_parse(8, argv, &a, NULL), 0);
        prof[0] = cmd[0] = store[1] = env[0] = 'X';
        ck_assert_str_eq(a.profile, "prof");
        ck_assert_str_eq(a.rest[0], "cmd");
        ck_assert_str_eq(a.store, "/s");
        ck_assert_str_eq(a.env[0], "A=1");
        xh_args_free(&a);
        xh_args_free(&a); /* twice is harmless */
        ck_assert_ptr_nonnull(strstr(xh_usage(), "usage: xhybrid"));
}
END_TEST

/* --bind HOST_PATH[:SESSION_PATH][:ro], repeatable, on run and enter, either side of PROFILE. */
START_TEST(test_args_bind)
{
        static const struct {
                const char *spec;
                const char *src, *dst; /* dst NULL: at the host path */
                bool rdonly;
        } cases[] = {
                {"/srv/data", "/srv/data", NULL, false},
                {"out", "out", NULL, false},
                {"/srv/data:ro", "/srv/data", NULL, true},
                {"/srv/data:rw", "/srv/data", NULL, false},
                {"/srv/data:/mnt/d", "/srv/data", "/mnt/d", false},
                {"/srv/data:/mnt/d:ro", "/srv/data", "/mnt/d", true},
                {"../x:/ro", "../x", "/ro", false},
                {"ro", "ro", NULL, false},
                {"ro:ro", "ro", NULL, true},
        };
        for (size_t i = 0; i < XH_ARRAY_SIZE(cases); i++) {
                const char *argv[] = {"run", "--bind", cases[i].spec, "p", "true", NULL};
                struct xh_args a;
                xh_error err = {0};
                int r = parse(argv, &a, &err);
                ck_assert_msg(r == 0, "--bind %s: %s", cases[i].spec, err.msg);
                ck_assert_ptr_nonnull(a.binds);
                ck_assert_str_eq(a.binds[0].src, cases[i].src);
                ck_assert_msg(str_eq(a.binds[0].dst, cases[i].dst), "--bind %s: dst '%s'",
                              cases[i].spec, a.binds[0].dst ? a.binds[0].dst : "(null)");
                ck_assert_msg(a.binds[0].rdonly == cases[i].rdonly, "--bind %s: rdonly",
                              cases[i].spec);
                ck_assert_ptr_null(a.binds[1].src);
                assert_strv(a.rest, "true", cases[i].spec);
                xh_args_free(&a);
        }

        /* Repeated, in order, before and after PROFILE, with --bind=VALUE. */
        const char *argv[] = {"enter",       "--bind", "/a",   "p", "--bind=/b:/c:ro",
                              "--ephemeral", "--bind", "d:rw", NULL};
        struct xh_args a;
        ck_assert_int_eq(parse(argv, &a, NULL), 0);
        ck_assert_int_eq(a.cmd, XH_CMD_ENTER);
        ck_assert(a.ephemeral);
        ck_assert_str_eq(a.binds[0].src, "/a");
        ck_assert_ptr_null(a.binds[0].dst);
        ck_assert_str_eq(a.binds[1].src, "/b");
        ck_assert_str_eq(a.binds[1].dst, "/c");
        ck_assert(a.binds[1].rdonly);
        ck_assert_str_eq(a.binds[2].src, "d");
        ck_assert(!a.binds[2].rdonly);
        ck_assert_ptr_null(a.binds[3].src);
        xh_args_free(&a);
        ck_assert_ptr_null(a.binds);

        /* After run's PROFILE, --bind past the command belongs to the command. */
        const char *cmd[] = {"run", "p", "ls", "--bind", "/x", NULL};
        ck_assert_int_eq(parse(cmd, &a, NULL), 0);
        ck_assert_ptr_null(a.binds);
        assert_strv(a.rest, "ls --bind /x", "run p ls --bind /x");
        xh_args_free(&a);
}
END_TEST

/*
 * deb PROFILE SOURCE takes -o/--output, --emulated and --env on either side;
 * after "--" and both operands, the rest is dpkg-buildpackage's.
 */
START_TEST(test_args_image_entrypoint)
{
        struct xh_args a;
        xh_error err = {0};
        const char *image[] = {"image", "p", "-o", "out.tar", "--tag=x/y:1", NULL};
        ck_assert_int_eq(parse(image, &a, &err), 0);
        ck_assert_int_eq(a.cmd, XH_CMD_IMAGE);
        ck_assert_str_eq(a.profile, "p");
        ck_assert_str_eq(a.output, "out.tar");
        ck_assert_str_eq(a.tag, "x/y:1");
        ck_assert_ptr_null(a.install);
        xh_args_free(&a);
        const char *install[] = {"image", "--install", "/", "p", NULL};
        ck_assert_int_eq(parse(install, &a, &err), 0);
        ck_assert_str_eq(a.install, "/");
        ck_assert_ptr_null(a.output);
        ck_assert_str_eq(a.profile, "p");
        xh_args_free(&a);
        const char *entry[] = {"entrypoint", "--user", "1000:1001", "--", "sh", "-c", "id", NULL};
        ck_assert_int_eq(parse(entry, &a, &err), 0);
        ck_assert_int_eq(a.cmd, XH_CMD_ENTRYPOINT);
        ck_assert_str_eq(a.user, "1000:1001");
        assert_strv(a.rest, "sh -c id", "entrypoint's command");
        xh_args_free(&a);
        /* The command starts at the first argument that is not an option of entrypoint. */
        const char *bare[] = {"entrypoint", "make", "--user", "x", NULL};
        ck_assert_int_eq(parse(bare, &a, &err), 0);
        ck_assert_ptr_null(a.user);
        assert_strv(a.rest, "make --user x", "entrypoint's command");
        xh_args_free(&a);
}
END_TEST

START_TEST(test_args_deb)
{
        static const struct {
                const char *argv[MAX_ARGS];
                const char *outdir; /* NULL: unset */
                bool emulated;
                const char *env, *rest; /* joined with ' ' */
        } cases[] = {
                {{"deb", "p", "deb:hello"}, NULL, false, "", ""},
                {{"deb", "-o", "out", "p", "deb:hello"}, "out", false, "", ""},
                {{"deb", "p", "deb:hello", "--output=o/", "--emulated"}, "o/", true, "", ""},
                {{"deb", "p", "--env", "DEB_BUILD_OPTIONS=nocheck", "x.dsc", "-o=d"},
                 "d",
                 false,
                 "DEB_BUILD_OPTIONS=nocheck",
                 ""},
                {{"deb", "p", "src", "--", "-j2", "-Pnocheck", "--", "-o"},
                 NULL,
                 false,
                 "",
                 "-j2 -Pnocheck -- -o"},
                {{"deb", "-o", "out", "--", "p", "src", "-B"}, "out", false, "", "-B"},
                {{"deb", "p", "--", "src", "-uc"}, NULL, false, "", "-uc"},
        };
        for (size_t i = 0; i < XH_ARRAY_SIZE(cases); i++) {
                _cleanup_free_ char *line = args_str(cases[i].argv);
                struct xh_args a;
                xh_error err = {0};
                int r = parse(cases[i].argv, &a, &err);
                ck_assert_msg(r == 0, "%s: %s", line, err.msg);
                ck_assert_int_eq(a.cmd, XH_CMD_DEB);
                ck_assert_str_eq(a.profile, "p");
                ck_assert_msg(a.source && strchr("dxs", a.source[0]), "%s: source '%s'", line,
                              a.source);
                ck_assert_msg(str_eq(a.outdir, cases[i].outdir), "%s: outdir '%s'", line,
                              a.outdir ? a.outdir : "(null)");
                ck_assert_msg(a.emulated == cases[i].emulated, "%s: emulated", line);
                assert_strv(a.env, cases[i].env, line);
                assert_strv(a.rest, cases[i].rest, line);
                ck_assert_ptr_nonnull(a.run);
                xh_args_free(&a);
                ck_assert_ptr_null(a.outdir);
        }

        /* An option that is not deb's: the hint says where dpkg-buildpackage's go. */
        const char *bad[] = {"deb", "p", "s", "-j2", NULL};
        struct xh_args a;
        xh_error err = {0};
        ck_assert_int_eq(parse(bad, &a, &err), -EINVAL);
        ck_assert_str_eq(err.msg, "deb: unknown option '-j2'");
        ck_assert_str_eq(err.hint,
                         "dpkg-buildpackage's options go after '--': xhybrid deb PROFILE SOURCE "
                         "-- -j2");
        xh_error_clear(&err);
        xh_args_free(&a);
}
END_TEST

/* ---- xh_args_parse: bad command lines ----------------------------------- */

struct bad_args {
        const char *argv[MAX_ARGS];
        const char *msg; /* the exact message */
};

static const struct bad_args bad_args[] = {
        /* 0 */
        {{NULL}, "no command given"},
        {{"-v"}, "no command given"},
        {{"--store", "/s"}, "no command given"},
        {{"bogus"}, "unknown command 'bogus'"},
        {{"-v", "runn", "p"}, "unknown command 'runn'"},
        /* 5: unknown options */
        {{"--bogus", "run", "p", "x"}, "unknown option '--bogus'"},
        {{"-", "doctor"}, "unknown option '-'"},
        {{"run", "--bogus", "p", "x"}, "run: unknown option '--bogus'"},
        {{"run", "--envX", "p", "x"}, "run: unknown option '--envX'"},
        {{"run", "--storex=/s", "p", "x"}, "run: unknown option '--storex=/s'"},
        {{"create", "--emulated", "p"}, "create: unknown option '--emulated'"},
        {{"run", "--force", "p", "x"}, "run: unknown option '--force'"},
        {{"doctor", "--env", "A"}, "doctor: unknown option '--env'"},
        {{"elf", "-x"}, "elf: unknown option '-x'"},
        /* 14: missing profile or command */
        {{"run"}, "run: no profile given"},
        {{"run", "--ephemeral", "--"}, "run: no profile given"},
        {{"enter"}, "enter: no profile given"},
        {{"create", "--force"}, "create: no profile given"},
        {{"run", "p"}, "run: no command given after 'p'"},
        {{"run", "--dry-run", "p", "--"}, "run: no command given after 'p'"},
        /* 20: option values */
        {{"run", "--env"}, "option --env needs a value"},
        {{"--store"}, "option --store needs a value"},
        {{"run", "--store"}, "option --store needs a value"},
        {{"run", "--env", "1BAD", "p", "x"}, "--env '1BAD': '1BAD' is not a variable name"},
        {{"run", "--env", "=x", "p", "x"}, "--env '=x': expected NAME or NAME=VALUE"},
        {{"run", "--env=", "p", "x"}, "--env '': expected NAME or NAME=VALUE"},
        {{"run", "--env", "A-B=1", "p", "x"}, "--env 'A-B=1': 'A-B' is not a variable name"},
        {{"enter", "--env", "a b", "p"}, "--env 'a b': 'a b' is not a variable name"},
        /* 28: extra operands */
        {{"enter", "p", "extra"}, "enter: unexpected argument 'extra'"},
        {{"create", "p", "q"}, "create: unexpected argument 'q'"},
        {{"profiles", "bogus"}, "profiles: unknown subcommand 'bogus'"},
        {{"profiles", "show"}, "profiles show: no profile given"},
        {{"profiles", "show", "a", "b"}, "profiles: unexpected argument 'b'"},
        {{"profiles", "list", "x"}, "profiles: unexpected argument 'x'"},
        {{"elf"}, "elf: no file given"},
        {{"elf", "--"}, "elf: no file given"},
        /* 36: options after the operands are checked like the ones before */
        {{"bench", "p", "s", "--bogus"}, "bench: unknown option '--bogus'"},
        {{"bench", "p", "s", "--runs", "0"}, "--runs '0': expected 1 to 100"},
        {{"verify", "p", "--runs", "2", "s"}, "verify: unknown option '--runs'"},
        {{"create", "p", "--emulated"}, "create: unknown option '--emulated'"},
        {{"bench", "p", "s", "t"}, "bench: expected PROFILE SOURCE"},
        {{"compare", "a"}, "compare: expected two directories"},
        {{"compare", "a", "b", "c"}, "compare: expected two directories"},
        /* 43: --strict is for compare and verify only */
        {{"bench", "--strict", "p", "s"}, "bench: unknown option '--strict'"},
        {{"run", "--strict", "p", "x"}, "run: unknown option '--strict'"},
        /* 45: the compile cache */
        {{"run", "--cache", "--no-cache", "p", "x"},
         "run: --cache and --no-cache contradict each other"},
        {{"enter", "--cache", "--emulated", "p"},
         "enter: --cache serves the native compiles of a hybrid session; with --emulated the "
         "target's compiler runs, uncached"},
        {{"create", "--cache", "p"}, "create: unknown option '--cache'"},
        {{"cache"}, "cache: no subcommand given (stats or clear)"},
        {{"cache", "show", "p"}, "cache: unknown subcommand 'show' (stats or clear)"},
        /* 50 */
        {{"cache", "stats"}, "cache stats: no profile given"},
        {{"cache", "clear", "p", "q"}, "cache: unexpected argument 'q'"},
        {{"cache", "stats", "--cache", "p"}, "cache: unknown option '--cache'"},
        /* 53: --bind */
        {{"run", "--bind"}, "option --bind needs a value"},
        {{"run", "--bind", "", "p", "x"}, "--bind '': no host path"},
        {{"run", "--bind", ":/x", "p", "x"}, "--bind ':/x': no host path"},
        {{"run", "--bind", "/a:b", "p", "x"},
         "--bind '/a:b': the session path 'b' is not absolute"},
        {{"run", "--bind", "/a:", "p", "x"}, "--bind '/a:': the session path '' is not absolute"},
        {{"enter", "--bind", "/a:b/c:ro", "p"},
         "--bind '/a:b/c:ro': the session path 'b/c' is not absolute"},
        {{"run", "--bind", "/a:/b:rx", "p", "x"},
         "--bind '/a:/b:rx': expected HOST_PATH[:SESSION_PATH][:ro]"},
        {{"run", "--bind", "/a:/b:ro:x", "p", "x"},
         "--bind '/a:/b:ro:x': expected HOST_PATH[:SESSION_PATH][:ro]"},
        {{"create", "--bind", "/a", "p"}, "create: unknown option '--bind'"},
        {{"bench", "p", "s", "--bind", "/a"}, "bench: unknown option '--bind'"},
        /* 63: deb */
        {{"deb", "p"}, "deb: expected PROFILE SOURCE"},
        {{"deb", "p", "s", "extra"}, "deb: expected PROFILE SOURCE"},
        {{"deb", "p", "s", "t", "--", "-j2"}, "deb: expected PROFILE SOURCE"},
        {{"deb", "-o"}, "option -o needs a value"},
        {{"deb", "p", "s", "--ephemeral"}, "deb: unknown option '--ephemeral'"},
        {{"deb", "--bind", "/x", "p", "s"}, "deb: unknown option '--bind'"},
        {{"run", "-o", "out", "p", "x"}, "run: unknown option '-o'"},
        {{"verify", "p", "s", "--output", "o"}, "verify: -o DIR goes with --deb"},
        /* 71: verify --deb and compare --deb */
        {{"verify", "--deb", "p", "s", "--check", "make check"},
         "verify --deb: --check is for builds of a source tree; a Debian package build runs "
         "dpkg-buildpackage"},
        {{"verify", "--deb", "--configure", "", "p", "s"},
         "verify --deb: --configure is for builds of a source tree; a Debian package build "
         "runs dpkg-buildpackage"},
        {{"bench", "--deb", "p", "s"}, "bench: unknown option '--deb'"},
        {{"deb", "--deb", "p", "s"}, "deb: unknown option '--deb'"},
        {{"compare", "--deb", "a"}, "compare: expected two directories"},
        {{"verify", "--env", "A=1", "p", "s"}, "verify: --env goes with --deb"},
        /* 77: serve and --distribute */
        {{"serve"}, "serve: no profile given"},
        {{"serve", "p", "q"}, "serve: unexpected argument 'q'"},
        {{"serve", "--listen", "1.2.3", "p"},
         "--listen '1.2.3': expected an IPv4 address, ADDR[:PORT]"},
        {{"serve", "--listen", "1.2.3.4:0", "p"},
         "--listen '1.2.3.4:0': the port is not a number from 1 to 65535"},
        {{"serve", "--allow", "10.0.0.0/40", "p"},
         "--allow '10.0.0.0/40': the prefix length is not a number from 0 to 32"},
        {{"serve", "--allow", "10.0.0.1/8", "p"},
         "--allow '10.0.0.1/8': the address has bits set beyond the /8 prefix"},
        {{"serve", "--allow"}, "option --allow needs a value"},
        {{"serve", "--distribute", "h", "p"}, "serve: unknown option '--distribute'"},
        {{"run", "--listen", "1.2.3.4", "p", "x"}, "run: unknown option '--listen'"},
        {{"run", "--distribute", "a b", "p", "x"},
         "--distribute 'a b': 'a b' is not HOST[:PORT][/LIMIT]"},
        {{"enter", "--distribute", "h:70000", "p"},
         "--distribute 'h:70000': 'h:70000' has a port that is not a number from 1 to 65535"},
        {{"run", "--distribute", "h", "--emulated", "p", "x"},
         "run: --distribute sends the native compiles of a hybrid session; with --emulated the "
         "target's compiler runs here"},
        {{"deb", "--distribute", "h", "p", "s"}, "deb: unknown option '--distribute'"},
        /* 90: image and entrypoint */
        {{"image", "p"},
         "image: no archive given (-o FILE), nor a root to install into (--install DIR)"},
        {{"image", "-o", "", "p"},
         "image: no archive given (-o FILE), nor a root to install into (--install DIR)"},
        {{"image", "--install", "/", "-o", "f", "p"},
         "image: --install DIR and -o FILE exclude each other"},
        {{"image", "--install", "/", "--tag", "a/b", "p"},
         "image --install: --tag belongs to the archive (-o FILE)"},
        {{"image", "--install", "/", "--cache", "p"},
         "image --install: --cache belongs to the archive (-o FILE)"},
        {{"image", "--install", "", "p"}, "image --install: empty directory"},
        {{"image", "-o", "f.tar"}, "image: no profile given"},
        {{"image", "-o", "f.tar", "p", "q"}, "image: unexpected argument 'q'"},
        {{"image", "--tag"}, "option --tag needs a value"},
        {{"image", "--user", "1", "-o", "f", "p"}, "image: unknown option '--user'"},
        {{"entrypoint"}, "entrypoint: no command given"},
        {{"entrypoint", "--user", "1"}, "entrypoint: no command given"},
        {{"entrypoint", "--"}, "entrypoint: no command given"},
        {{"entrypoint", "--user"}, "option --user needs a value"},
        {{"run", "--tag", "t", "p", "x"}, "run: unknown option '--tag'"},
        {{"toolchain"}, "toolchain: no subcommand given (build)"},
        {{"toolchain", "make", "p"}, "toolchain: unknown subcommand 'make' (build)"},
        {{"toolchain", "build"}, "toolchain build: no profile given"},
        {{"toolchain", "build", "p", "q"}, "toolchain: unexpected argument 'q'"},
        {{"toolchain", "build", "--cache", "p"}, "toolchain: unknown option '--cache'"},
};

START_TEST(test_args_bad)
{
        const struct bad_args *c = &bad_args[_i];
        _cleanup_free_ char *line = args_str(c->argv);
        struct xh_args a;
        xh_error err = {0};
        int r = parse(c->argv, &a, &err);
        ck_assert_msg(r == -EINVAL, "%s: returned %d, expected -EINVAL", line, r);
        ck_assert_msg(err.msg && !strcmp(err.msg, c->msg), "%s: message '%s', expected '%s'", line,
                      err.msg ? err.msg : "(none)", c->msg);
        xh_error_clear(&err);
        /* Whatever was parsed so far can be freed. */
        xh_args_free(&a);

        /* Without an error value, the same return. */
        r = parse(c->argv, &a, NULL);
        ck_assert_int_eq(r, -EINVAL);
        xh_args_free(&a);
}
END_TEST

/* ---- xh_session_env ----------------------------------------------------- */

#define TARGET_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static char *const host_env[] = {
        "TERM=xterm-256color",
        "HOME=/home/u",
        "USER=u",
        "LOGNAME=u",
        "LANG=C.UTF-8",
        "LANGUAGE=en",
        "LC_ALL=C.UTF-8",
        "LC_CTYPE=de_DE.UTF-8",
        "http_proxy=http://proxy:3128",
        "HTTPS_PROXY=http://proxy:3128",
        "no_proxy=localhost,.lan",
        "ALL_PROXY=socks5://proxy",
        "TZ=Europe/Berlin",
        "COLORTERM=truecolor",
        "PATH=/home/u/bin:/usr/local/bin:/usr/bin:/bin",
        "LIBRARY_PATH=/usr/lib/x86_64-linux-gnu",
        "CPATH=/usr/include/x86_64-linux-gnu",
        "LD_PRELOAD=/usr/lib/libfaketime.so",
        "LD_LIBRARY_PATH=/opt/lib",
        "PKG_CONFIG_PATH=/usr/lib/x86_64-linux-gnu/pkgconfig",
        "GCC_EXEC_PREFIX=/opt/gcc/",
        "SSH_AUTH_SOCK=/run/user/1000/ssh",
        "TERMINAL=kitty",
        "HOMEBREW=x",
        "XTERM=1",
        "CC=gcc-12",
        "CFLAGS=-O2 -g",
        "FROMHOST=host-value",
        "XHYBRID_MODE=host",
        "EMPTY=",
        NULL,
};

static const char *env_get(char *const *env, const char *name)
{
        size_t n = strlen(name);
        for (; env && *env; env++)
                if (!strncmp(*env, name, n) && (*env)[n] == '=')
                        return *env + n + 1;
        return NULL;
}

static void assert_no_duplicates(char *const *env)
{
        for (size_t i = 0; env[i]; i++) {
                ck_assert_msg(strchr(env[i], '='), "entry '%s' has no '='", env[i]);
                size_t n = strcspn(env[i], "=");
                for (size_t j = i + 1; env[j]; j++)
                        ck_assert_msg(strncmp(env[i], env[j], n + 1) != 0,
                                      "duplicate: '%s' and '%s'", env[i], env[j]);
        }
}

static void assert_env(char *const *env, const char *name, const char *value)
{
        const char *got = env_get(env, name);
        if (!value)
                ck_assert_msg(got == NULL, "%s is set to '%s', expected unset", name, got);
        else
                ck_assert_msg(got && !strcmp(got, value), "%s is '%s', expected '%s'", name,
                              got ? got : "(unset)", value);
}

START_TEST(test_env_allow_list)
{
        _cleanup_profile_ struct xh_profile *p = profile_of("prof", TARGET);
        _cleanup_strv_ char **env = xh_session_env(host_env, p, NULL, "emulated");
        assert_no_duplicates(env);

        static const char *const passed[] = {
                "TERM",     "HOME",      "USER",     "LOGNAME",    "LANG",
                "LANGUAGE", "LC_ALL",    "LC_CTYPE", "http_proxy", "HTTPS_PROXY",
                "no_proxy", "ALL_PROXY", "TZ",       "COLORTERM",
        };
        for (size_t i = 0; i < XH_ARRAY_SIZE(passed); i++)
                assert_env(env, passed[i], env_get(host_env, passed[i]));

        static const char *const blocked[] = {
                "LIBRARY_PATH",
                "CPATH",
                "LD_PRELOAD",
                "LD_LIBRARY_PATH",
                "PKG_CONFIG_PATH",
                "GCC_EXEC_PREFIX",
                "SSH_AUTH_SOCK",
                "TERMINAL",
                "HOMEBREW",
                "XTERM",
                "CC",
                "CFLAGS",
                "FROMHOST",
                "EMPTY",
        };
        for (size_t i = 0; i < XH_ARRAY_SIZE(blocked); i++)
                assert_env(env, blocked[i], NULL);

        /* PATH is the target's default, never the host's. */
        assert_env(env, "PATH", &TARGET_PATH[5]);
        assert_env(env, "XHYBRID_PROFILE", "prof");
        assert_env(env, "XHYBRID_MODE", "emulated");
        assert_env(env, "debian_chroot", "prof");

        /* Exactly these: the allow-listed ones plus PATH and the three xhybrid ones. */
        ck_assert_uint_eq(xh_strv_len(env), XH_ARRAY_SIZE(passed) + 4);
}
END_TEST

START_TEST(test_env_profile_and_extra)
{
        _cleanup_profile_ struct xh_profile *p =
                profile_of("arm", TARGET "[session]\nenv = FROMHOST PROF=1 TERM=dumb NOTONHOST "
                                         "LANG=C OVER=profile\n");
        char *const extra[] = {"CC",         "NEW=v",
                               "OVER=extra", "MISSING",
                               "LD_PRELOAD", "PATH=/opt/bin:/usr/bin",
                               "CFLAGS=-O0", "XHYBRID_MODE=mine",
                               "EMPTY",      NULL};
        _cleanup_strv_ char **env = xh_session_env(host_env, p, extra, "native");
        assert_no_duplicates(env);

        /* Profile: NAME takes the host's value, NAME=VALUE sets (and overrides the host). */
        assert_env(env, "FROMHOST", "host-value");
        assert_env(env, "PROF", "1");
        assert_env(env, "TERM", "dumb");
        assert_env(env, "LANG", "C");
        assert_env(env, "NOTONHOST", NULL);
        /* --env: the same, applied after the profile. */
        assert_env(env, "CC", "gcc-12");
        assert_env(env, "NEW", "v");
        assert_env(env, "OVER", "extra");
        assert_env(env, "MISSING", NULL);
        assert_env(env, "CFLAGS", "-O0");
        assert_env(env, "EMPTY", "");
        /* Asking for a variable by name is explicit: it passes even if not allow-listed. */
        assert_env(env, "LD_PRELOAD", "/usr/lib/libfaketime.so");
        assert_env(env, "PATH", "/opt/bin:/usr/bin");
        /* Not asked for: still blocked. */
        assert_env(env, "LD_LIBRARY_PATH", NULL);
        assert_env(env, "LIBRARY_PATH", NULL);
        /* xhybrid's own variables are always its own. */
        assert_env(env, "XHYBRID_PROFILE", "arm");
        assert_env(env, "XHYBRID_MODE", "native");
        assert_env(env, "HOME", "/home/u");
}
END_TEST

START_TEST(test_env_edge_cases)
{
        _cleanup_profile_ struct xh_profile *p = profile_of("p", TARGET);
        /* No host environment at all. */
        _cleanup_strv_ char **none = xh_session_env(NULL, p, NULL, "emulated");
        assert_strv(none, TARGET_PATH " XHYBRID_PROFILE=p XHYBRID_MODE=emulated debian_chroot=p",
                    "empty host");

        /* A repeated host variable, a prefix of an allowed name, --env given twice. */
        char *const host[] = {"TERM=a", "TER=x", "TERM=b", "LC_=odd", "HOME=/h", NULL};
        char *const extra[] = {"A=1", "A=2", "HOME", "TE", NULL};
        _cleanup_strv_ char **env = xh_session_env(host, p, extra, "emulated");
        assert_no_duplicates(env);
        assert_env(env, "TERM", "b");
        assert_env(env, "TER", NULL);
        assert_env(env, "TE", NULL);
        assert_env(env, "A", "2");
        assert_env(env, "HOME", "/h");
}
END_TEST

/* ---- the store ---------------------------------------------------------- */

struct store_case {
        const char *option, *store_env, *xdg, *home; /* NULL: unset */
        const char *want;
};

static const struct store_case store_cases[] = {
        /* 0: option first */
        {"/opt/store", "/xs", "/xdg", "/h", "/opt/store"},
        {"", "/xs", "/xdg", "/h", "/xs"},
        /* 2: then XHYBRID_STORE */
        {NULL, "/xs", "/xdg", "/h", "/xs"},
        {NULL, "", "/xdg", "/h", "/xdg/xhybrid"},
        /* 4: then XDG_DATA_HOME, only when absolute */
        {NULL, NULL, "/xdg", "/h", "/xdg/xhybrid"},
        {NULL, NULL, "relative/xdg", "/h", "/h/.local/share/xhybrid"},
        {NULL, NULL, "", "/h", "/h/.local/share/xhybrid"},
        /* 7: then HOME, else /root */
        {NULL, NULL, NULL, "/h", "/h/.local/share/xhybrid"},
        {NULL, NULL, NULL, "", "/root/.local/share/xhybrid"},
        {NULL, NULL, NULL, NULL, "/root/.local/share/xhybrid"},
};

static void set_or_unset(const char *var, const char *value)
{
        if (value)
                ck_assert_int_eq(setenv(var, value, 1), 0);
        else
                ck_assert_int_eq(unsetenv(var), 0);
}

static const char *const store_vars[] = {"XHYBRID_STORE", "XDG_DATA_HOME", "HOME"};

START_TEST(test_store_dir)
{
        const struct store_case *c = &store_cases[_i];
        char *saved[XH_ARRAY_SIZE(store_vars)];
        for (size_t i = 0; i < XH_ARRAY_SIZE(store_vars); i++)
                saved[i] = xh_strdup(getenv(store_vars[i]));

        set_or_unset("XHYBRID_STORE", c->store_env);
        set_or_unset("XDG_DATA_HOME", c->xdg);
        set_or_unset("HOME", c->home);
        _cleanup_free_ char *got = xh_store_dir(c->option);
        ck_assert_msg(!strcmp(got, c->want), "case %d: '%s', expected '%s'", _i, got, c->want);

        /* Restore (matters when CK_FORK=no). */
        for (size_t i = 0; i < XH_ARRAY_SIZE(store_vars); i++) {
                set_or_unset(store_vars[i], saved[i]);
                free(saved[i]);
        }
}
END_TEST

/*
 * Regression test (cli/store.c, xh_store_dir): a relative --store or XHYBRID_STORE is
 * returned as is (XDG_DATA_HOME is checked to be absolute, these are not).
 * `create` then works relative to the cwd, but run/enter fail with
 * "staging directory 'xs/mnt' is not an absolute, normalized path" (exit 125)
 * because the session plan needs absolute paths; "--store ./xs" fails the same
 * way. Fix: make the result absolute (join with getcwd() and normalize, or
 * realpath() when it exists), or reject a relative store with a clear message.
 */
START_TEST(test_store_dir_relative)
{
        char cwd[PATH_MAX];
        ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
        _cleanup_free_ char *want = xh_asprintf("%s/xs", cwd);
        _cleanup_free_ char *got = xh_store_dir("xs");
        ck_assert_str_eq(got, want);
}
END_TEST

START_TEST(test_store_root_path)
{
        _cleanup_profile_ struct xh_profile *a = profile_of("a", TARGET "packages = gcc make\n");
        /* Same target recipe: other name, description, emulator, toolchain, session. */
        _cleanup_profile_ struct xh_profile *b = profile_of(
                "b", "[profile]\ndescription = other\n" TARGET "packages = make, gcc\n"
                     "[emulator]\ncpu = max\n[toolchain]\nskew = native\n[session]\nenv = X=1\n");
        _cleanup_profile_ struct xh_profile *c =
                profile_of("c", TARGET "packages = gcc make g++\n");
        _cleanup_profile_ struct xh_profile *d = profile_of("d", TARGET);
        _cleanup_profile_ struct xh_profile *e =
                profile_of("e", "[target]\nsuite = trixie\narch = arm64\npackages = gcc make\n");

        _cleanup_free_ char *pa = xh_store_root_path("/st", a);
        _cleanup_free_ char *pa2 = xh_store_root_path("/st", a);
        _cleanup_free_ char *pb = xh_store_root_path("/st", b);
        _cleanup_free_ char *pc = xh_store_root_path("/st", c);
        _cleanup_free_ char *pd = xh_store_root_path("/st", d);
        _cleanup_free_ char *pe = xh_store_root_path("/st", e);
        ck_assert_str_eq(pa, pa2);
        ck_assert_str_eq(pa, pb);
        ck_assert_str_ne(pa, pc);
        ck_assert_str_ne(pa, pd);
        ck_assert_str_ne(pc, pd);

        /* STORE/roots/ARCH-SUITE-HASH, HASH 12 lowercase hex digits. */
        const char *const paths[] = {pa, pc, pd};
        const char prefix[] = "/st/roots/arm64-bookworm-";
        for (size_t i = 0; i < XH_ARRAY_SIZE(paths); i++) {
                ck_assert_msg(!strncmp(paths[i], prefix, strlen(prefix)), "path %s", paths[i]);
                const char *h = paths[i] + strlen(prefix);
                ck_assert_msg(strlen(h) == 12 && strspn(h, "0123456789abcdef") == 12,
                              "hash part '%s'", h);
        }
        ck_assert_msg(!strncmp(pe, "/st/roots/arm64-trixie-", 23), "path %s", pe);

        _cleanup_free_ char *other = xh_store_root_path("/other", a);
        ck_assert_str_eq(other + strlen("/other"), pa + strlen("/st"));
        _cleanup_free_ char *sess = xh_store_session_path("/st", a);
        ck_assert_str_eq(sess, "/st/sessions/a");
}
END_TEST

START_TEST(test_store_root_ready)
{
        const char *tmp = getenv("TMPDIR");
        _cleanup_free_ char *store = xh_asprintf("%s/test_cli.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        ck_assert_ptr_nonnull(mkdtemp(store));
        _cleanup_profile_ struct xh_profile *p = profile_of("p", TARGET);
        ck_assert(!xh_store_root_ready(store, p));

        _cleanup_free_ char *root = xh_store_root_path(store, p);
        _cleanup_free_ char *tmproot = xh_asprintf("%s.tmp/rootfs", root);
        ck_assert_int_eq(xh_mkdir_p(tmproot, 0755), 0);
        ck_assert(!xh_store_root_ready(store, p)); /* a root being built is not ready */

        _cleanup_free_ char *rootfs = xh_asprintf("%s/rootfs", root);
        ck_assert_int_eq(xh_mkdir_p(rootfs, 0755), 0);
        ck_assert(xh_store_root_ready(store, p));
        ck_assert_int_eq(xh_rm_rf(store), 0);
}
END_TEST

/* The store seen from a working directory: covered, refused or unrelated. */
START_TEST(test_store_exposure)
{
        const char *tmp = getenv("TMPDIR");
        _cleanup_free_ char *top = xh_asprintf("%s/test_cli.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        ck_assert_ptr_nonnull(mkdtemp(top));
        _cleanup_free_ char *real = realpath(top, NULL);
        _cleanup_free_ char *home = xh_asprintf("%s/home", real);
        _cleanup_free_ char *store = xh_asprintf("%s/.local/share/xhybrid", home);
        _cleanup_free_ char *roots = xh_asprintf("%s/roots/a/rootfs", store);
        _cleanup_free_ char *work = xh_asprintf("%s/work/bench-hello/build", store);
        _cleanup_free_ char *other = xh_asprintf("%s/src", real);
        _cleanup_free_ char *alias = xh_asprintf("%s/alias", real);
        ck_assert_int_eq(xh_mkdir_p(roots, 0755), 0);
        ck_assert_int_eq(xh_mkdir_p(work, 0755), 0);
        ck_assert_int_eq(xh_mkdir_p(other, 0755), 0);
        ck_assert_int_eq(symlink(home, alias), 0);
        _cleanup_free_ char *via_alias = xh_asprintf("%s/.local/share/xhybrid", alias);

        struct {
                const char *store, *dir, *cover; /* cover "!" = refused */
        } cases[] = {
                {store, home, ".local/share/xhybrid"}, /* $HOME with the default store */
                {store, real, "home/.local/share/xhybrid"},
                {store, "/", "/"}, /* the caller never asks for "/" (it is not bound) */
                {store, other, NULL},
                {store, store, "!"},
                {store, roots, "!"},
                {store, work, NULL}, /* bench and verify build in STORE/work */
                {via_alias, home, ".local/share/xhybrid"},
                {store, alias, ".local/share/xhybrid"}, /* the cover is under dir's own path */
        };
        /* A compile cache may be neither inside the store (but its cache/) nor hold it. */
        _cleanup_free_ char *cc_ok = xh_asprintf("%s/cache/p/ccache", store);
        ck_assert_int_eq(xh_mkdir_p(cc_ok, 0755), 0);
        struct {
                const char *dir, *msg;
        } ccs[] = {
                {cc_ok, NULL},
                {other, NULL},
                {roots, "is inside the store"},
                {store, "is inside the store"},
                {home, "holds the store"},
                {alias, "holds the store"},
        };
        for (size_t i = 0; i < XH_ARRAY_SIZE(ccs); i++) {
                xh_error err = {0};
                int r = xh_store_cache_exposure(store, ccs[i].dir, &err);
                ck_assert_msg(r == (ccs[i].msg ? -EINVAL : 0), "cache %zu: %d", i, r);
                if (ccs[i].msg) {
                        ck_assert_msg(strstr(err.msg, ccs[i].msg), "cache %zu: %s", i, err.msg);
                        ck_assert_ptr_nonnull(err.hint);
                }
                xh_error_clear(&err);
        }
        for (size_t i = 0; i < XH_ARRAY_SIZE(cases); i++) {
                xh_error err = {0};
                _cleanup_free_ char *cover = NULL;
                int r = xh_store_exposure(cases[i].store, cases[i].dir, &cover, &err);
                const char *want = cases[i].cover;
                if (want && !strcmp(want, "!")) {
                        ck_assert_msg(r == -EINVAL, "case %zu: %d, expected refusal", i, r);
                        ck_assert_ptr_nonnull(strstr(err.msg, "is inside the store"));
                        ck_assert_ptr_nonnull(err.hint);
                        ck_assert_ptr_null(cover);
                        xh_error_clear(&err);
                        continue;
                }
                ck_assert_msg(r == 0, "case %zu: %d (%s)", i, r, err.msg ? err.msg : "");
                if (!want) {
                        ck_assert_msg(!cover, "case %zu: cover %s", i, cover);
                        continue;
                }
                /* "/" stands for the store's own path (dir is the root directory). */
                _cleanup_free_ char *full = !strcmp(want, "/")
                                                    ? xh_strdup(store)
                                                    : xh_asprintf("%s/%s", cases[i].dir, want);
                ck_assert_msg(cover && !strcmp(cover, full), "case %zu: cover %s, expected %s", i,
                              cover ? cover : "(none)", full);
        }
        ck_assert_int_eq(xh_rm_rf(top), 0);
}
END_TEST

/* ---- toolchain: which tools run native ----------------------------------- */

static void put(const char *root, const char *path, const char *text, unsigned mode)
{
        _cleanup_free_ char *file = xh_asprintf("%s%s", root, path);
        _cleanup_free_ char *dir = xh_strdup(file);
        *strrchr(dir, '/') = '\0';
        ck_assert_int_eq(xh_mkdir_p(dir, 0755), 0);
        ck_assert_int_eq(xh_write_file(file, text, strlen(text), mode), 0);
}

/*
 * A root with programs owned by packages: "pkg|version|path" or
 * "pkg|version|path|more status fields" (e.g. "Source: gcc-12-cross (15)").
 * pkg may be "name:arch"; its file list is then name:arch.list.
 */
static void fake_root(const char *root, const char *const *entries)
{
        xh_buf status = {0};
        for (const char *const *e = entries; *e; e++) {
                _cleanup_strv_ char **f = xh_strv_split(*e, "|");
                put(root, f[2],
                    "\x7f"
                    "ELF",
                    0755);
                _cleanup_free_ char *list = xh_asprintf("/var/lib/dpkg/info/%s.list", f[0]);
                _cleanup_free_ char *text = xh_asprintf("/usr\n/usr/bin\n%s\n", f[2]);
                put(root, list, text, 0644);
                _cleanup_free_ char *name = xh_strndup(f[0], strcspn(f[0], ":"));
                const char *arch = strchr(f[0], ':') ? strchr(f[0], ':') + 1 : "arm64";
                xh_buf_addf(&status,
                            "Package: %s\nStatus: install ok installed\nArchitecture: %s\n"
                            "Version: %s\n%s%s\n",
                            name, arch, f[1], f[3] ? f[3] : "", f[3] ? "\n" : "");
        }
        put(root, "/var/lib/dpkg/status", status.s, 0644);
        xh_buf_free(&status);
}

/* A symbolic link at path (inside root) to target. */
static void link_in(const char *root, const char *path, const char *target)
{
        _cleanup_free_ char *file = xh_asprintf("%s%s", root, path);
        ck_assert_int_eq(symlink(target, file), 0);
}

/* /usr/bin/gcc, g++ and cpp as links to the triplet-prefixed gcc-12 drivers. */
static void link_compilers(const char *root)
{
        link_in(root, "/usr/bin/gcc", "aarch64-linux-gnu-gcc-12");
        link_in(root, "/usr/bin/g++", "aarch64-linux-gnu-g++-12");
        link_in(root, "/usr/bin/cpp", "aarch64-linux-gnu-cpp-12");
}

static const struct xh_tool_choice *choice(const struct xh_tool_choice *b, size_t n,
                                           const char *path)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(b[i].path, path) == 0)
                        return &b[i];
        ck_abort_msg("no choice for %s", path);
        return NULL;
}

#define GCC     "/usr/bin/aarch64-linux-gnu-gcc-12"
#define GXX     "/usr/bin/aarch64-linux-gnu-g++-12"
#define CPP     "/usr/bin/aarch64-linux-gnu-cpp-12"
#define AS      "/usr/bin/aarch64-linux-gnu-as"
#define NEW_GCC "gcc-12|12.2.0-14+deb12u1|" GCC

/*
 * A target with bookworm's packages and versions: gcc-12 12.2.0-14+deb12u1
 * (the CVE-2023-4039 fix), cpp-12 and g++-12 from the same source.
 */
static const char *const target_pkgs[] = {"sed|4.9-1|/usr/bin/sed",
                                          "coreutils|9.1-1|/usr/bin/cat",
                                          "grep|3.8-5|/usr/bin/grep",
                                          "diffutils|1:3.8-4|/usr/bin/diff",
                                          "make|4.3-4.1|/usr/bin/make",
                                          "dash|0.5.12-2|/usr/bin/dash",
                                          NEW_GCC,
                                          "cpp-12|12.2.0-14+deb12u1|" CPP "|Source: gcc-12",
                                          "g++-12|12.2.0-14+deb12u1|" GXX "|Source: gcc-12",
                                          "binutils-aarch64-linux-gnu|2.40-2|" AS
                                          "|Source: binutils",
                                          NULL};

/*
 * Its toolchain layer: a binNMU of sed (same source), grep with another
 * Debian revision of the same upstream version, no diff, and Debian's cross
 * compiler built from gcc-12 12.2.0-14 (without the fix), as its Built-Using
 * fields say, one of them folded over two lines; binutils from the same source.
 */
static const char *const tc_pkgs[] = {
        "sed|4.9-1+b1|/usr/bin/sed|Source: sed (4.9-1)",
        "coreutils|9.1-1|/usr/bin/cat",
        "grep|3.8-5+deb12u1|/usr/bin/grep",
        "make|4.3-4.1|/usr/bin/make",
        "dash:amd64|0.5.12-2+b1|/usr/bin/dash|Source: dash (0.5.12-2)",
        "gcc-12-aarch64-linux-gnu|12.2.0-14cross1|" GCC
        "|Source: gcc-12-cross (15)\nBuilt-Using: gcc-12 (= 12.2.0-14)",
        "cpp-12-aarch64-linux-gnu|12.2.0-14cross1|" CPP
        "|Source: gcc-12-cross (15)\nBuilt-Using: gcc-12 (= 12.2.0-14)",
        "g++-12-aarch64-linux-gnu|12.2.0-14cross1|" GXX
        "|Source: gcc-12-cross (15)\nBuilt-Using: binutils (= 2.40-2),\n gcc-12 (= 12.2.0-14)",
        "binutils-aarch64-linux-gnu|2.40-2|" AS "|Source: binutils",
        NULL};

/* A cross compiler built from the target's gcc-12 12.2.0-14+deb12u1. */
static const char *const tc_matching[] = {
        "gcc-12-aarch64-linux-gnu|12.2.0-14+deb12u1cross1|" GCC
        "|Source: gcc-12-cross (16)\nBuilt-Using: gcc-12 (= 12.2.0-14+deb12u1)",
        "cpp-12-aarch64-linux-gnu|12.2.0-14+deb12u1cross1|" CPP
        "|Source: gcc-12-cross (16)\nBuilt-Using: gcc-12 (= 12.2.0-14+deb12u1)",
        "g++-12-aarch64-linux-gnu|12.2.0-14+deb12u1cross1|" GXX
        "|Source: gcc-12-cross (16)\nBuilt-Using: gcc-12 (= 12.2.0-14+deb12u1)",
        NULL};

struct tc_dirs {
        char dir[32];
        char *target, *tc, *upper;
};

static void tc_dirs_make(struct tc_dirs *d, const char *const *target, const char *const *tc)
{
        strcpy(d->dir, "/tmp/xh-test-tc-XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(d->dir));
        d->target = xh_asprintf("%s/target", d->dir);
        d->tc = xh_asprintf("%s/toolchain", d->dir);
        d->upper = xh_asprintf("%s/upper", d->dir);
        fake_root(d->target, target);
        fake_root(d->tc, tc);
        link_compilers(d->target);
        ck_assert_int_eq(xh_mkdir_p(d->upper, 0755), 0);
        /* Only the built-in profiles are candidates for the warnings' advice. */
        _cleanup_free_ char *config = xh_asprintf("%s/config", d->dir);
        setenv("XDG_CONFIG_HOME", config, 1);
}

static void tc_dirs_clear(struct tc_dirs *d)
{
        ck_assert_int_eq(xh_rm_rf(d->dir), 0);
        free(d->target);
        free(d->tc);
        free(d->upper);
}

START_TEST(test_toolchain_decisions)
{
        struct tc_dirs d;
        tc_dirs_make(&d, target_pkgs, tc_pkgs);
        char *emulate[] = {"make", NULL};
        struct xh_profile p = {.name = "t",
                               .arch = "arm64",
                               .suite = "bookworm",
                               .triplet = "aarch64-linux-gnu",
                               .skew = XH_SKEW_FALLBACK};
        xh_error err = {0};

        struct xh_tool_choice *b = NULL;
        size_t n = 0;
        ck_assert_int_eq(xh_toolchain_choose(&p, d.target, d.upper, d.tc, emulate, &b, &n, &err),
                         0);
        /* Same source: a binNMU (+b1) records its source version. */
        ck_assert_int_eq(choice(b, n, "/usr/bin/sed")->decision, XH_TOOL_NATIVE);
        ck_assert(choice(b, n, "/usr/bin/sed")->direct);
        ck_assert_str_eq(choice(b, n, "/usr/bin/sed")->target_ver, "4.9-1");
        ck_assert_str_eq(choice(b, n, "/usr/bin/sed")->tc_ver, "4.9-1+b1");
        ck_assert_str_eq(choice(b, n, "/usr/bin/sed")->tc_src, "sed 4.9-1");
        ck_assert_int_eq(choice(b, n, "/usr/bin/cat")->decision, XH_TOOL_NATIVE);
        ck_assert_int_eq(choice(b, n, "/usr/bin/dash")->decision, XH_TOOL_NATIVE);
        ck_assert_str_eq(choice(b, n, "/usr/bin/dash")->tc_pkg, "dash");
        /* Same upstream version, another Debian revision: another source. */
        ck_assert_int_eq(choice(b, n, "/usr/bin/grep")->decision, XH_TOOL_SKEW_FALLBACK);
        ck_assert_int_eq(choice(b, n, "/usr/bin/diff")->decision, XH_TOOL_NO_NATIVE);
        ck_assert_int_eq(choice(b, n, "/usr/bin/make")->decision, XH_TOOL_EMULATE);
        /* The cross compiler was built from gcc-12 12.2.0-14, the target's is -14+deb12u1. */
        for (const char *const *path = (const char *const[]){GCC, GXX, CPP, NULL}; *path; path++) {
                const struct xh_tool_choice *g = choice(b, n, *path);
                ck_assert_msg(g->decision == XH_TOOL_SKEW_FALLBACK, "%s: %s", *path,
                              xh_tool_decision_name(g->decision));
                ck_assert_str_eq(g->target_src, "gcc-12 12.2.0-14+deb12u1");
                ck_assert_str_eq(g->tc_src, "gcc-12 12.2.0-14");
                ck_assert(g->tc_cross);
        }
        ck_assert_str_eq(choice(b, n, GCC)->target_pkg, "gcc-12");
        ck_assert_str_eq(choice(b, n, GCC)->tc_pkg, "gcc-12-aarch64-linux-gnu");
        ck_assert_str_eq(choice(b, n, GCC)->tc_ver, "12.2.0-14cross1");
        ck_assert_int_eq(choice(b, n, AS)->decision, XH_TOOL_NATIVE);
        ck_assert(!choice(b, n, AS)->tc_cross);
        ck_assert_str_eq(xh_tool_decision_name(XH_TOOL_SKEW_FALLBACK),
                         "emulated (built from another source)");

        /*
         * One warning for the compiler, naming its tools, both source versions
         * and what to do; one for grep, whose fix is a fresh pair of trees.
         */
        _cleanup_strv_ char **w = xh_toolchain_warnings(&p, d.dir, b, n, d.upper);
        ck_assert_uint_eq(xh_strv_len(w), 2);
        ck_assert_str_eq(w[0], "running the target's cpp, g++, gcc emulated: built from gcc-12 "
                               "12.2.0-14+deb12u1, the toolchain layer's "
                               "(gcc-12-aarch64-linux-gnu 12.2.0-14cross1) from gcc-12 12.2.0-14; "
                               "for native ones build them from the target's source (xhybrid "
                               "toolchain build t) or use a profile whose suite's cross packages "
                               "are built from its target's sources (arm64-trixie), or accept the "
                               "difference knowingly with skew = native in the profile");
        ck_assert_str_eq(w[1], "running the target's grep emulated: built from grep 3.8-5, the "
                               "toolchain layer's (grep 3.8-5+deb12u1) from grep 3.8-5+deb12u1; "
                               "for native ones recreate the root and the toolchain layer from "
                               "one state of the archive (xhybrid create --force t), or accept "
                               "the difference knowingly with skew = native in the profile");

        /*
         * The advice names the profiles of another suite that are not known
         * to differ: arm64-trixie stays out once created with such a compiler
         * (here, in the test's store d.dir, the same skewed pair).
         */
        _cleanup_profile_ struct xh_profile *trixie = NULL;
        ck_assert_int_eq(xh_profile_load("arm64-trixie", NULL, &trixie, &err), 0);
        _cleanup_free_ char *troot = xh_store_rootfs(d.dir, trixie);
        _cleanup_free_ char *ttc = xh_store_toolchain_rootfs(d.dir, trixie);
        fake_root(troot, target_pkgs);
        fake_root(ttc, tc_pkgs);
        link_compilers(troot);
        _cleanup_strv_ char **w4 = xh_toolchain_warnings(&p, d.dir, b, n, d.upper);
        ck_assert_uint_eq(xh_strv_len(w4), 2);
        ck_assert_ptr_null(strstr(w4[0], "arm64-trixie"));
        ck_assert_ptr_nonnull(strstr(w4[0], "built from its target's sources, or accept"));
        /* Created with a matching cross compiler, it is named again. */
        ck_assert_int_eq(xh_rm_rf(ttc), 0);
        fake_root(ttc, tc_matching);
        _cleanup_strv_ char **w5 = xh_toolchain_warnings(&p, d.dir, b, n, d.upper);
        ck_assert_ptr_nonnull(strstr(w5[0], "built from its target's sources (arm64-trixie)"));
        xh_tool_choices_free(b, n);

        /* A package operation in a session put its own cat in the upper. */
        put(d.upper, "/usr/bin/cat",
            "\x7f"
            "ELF",
            0755);
        ck_assert_int_eq(xh_toolchain_choose(&p, d.target, d.upper, d.tc, NULL, &b, &n, &err), 0);
        ck_assert_int_eq(choice(b, n, "/usr/bin/cat")->decision, XH_TOOL_SHADOWED);
        ck_assert_int_eq(choice(b, n, "/usr/bin/sed")->decision, XH_TOOL_NATIVE);
        ck_assert_int_eq(choice(b, n, "/usr/bin/make")->decision, XH_TOOL_NATIVE);
        ck_assert_str_eq(xh_tool_decision_name(XH_TOOL_SHADOWED),
                         "emulated (replaced in the session upper)");
        _cleanup_strv_ char **w2 = xh_toolchain_warnings(&p, d.dir, b, n, "/up");
        ck_assert_uint_eq(xh_strv_len(w2), 3);
        ck_assert_str_eq(w2[2], "running emulated, as a package operation in the session upper "
                                "/up replaced them: /usr/bin/cat");
        xh_tool_choices_free(b, n);

        /* skew = native: native, with one warning per pair of sources. */
        p.skew = XH_SKEW_NATIVE;
        ck_assert_int_eq(xh_toolchain_choose(&p, d.target, NULL, d.tc, NULL, &b, &n, &err), 0);
        ck_assert_int_eq(choice(b, n, "/usr/bin/grep")->decision, XH_TOOL_NATIVE_SKEW);
        ck_assert_int_eq(choice(b, n, GCC)->decision, XH_TOOL_NATIVE_SKEW);
        ck_assert_int_eq(choice(b, n, "/usr/bin/cat")->decision, XH_TOOL_NATIVE);
        _cleanup_strv_ char **w3 = xh_toolchain_warnings(&p, d.dir, b, n, NULL);
        ck_assert_uint_eq(xh_strv_len(w3), 2);
        ck_assert_str_eq(w3[0], "running the toolchain layer's cpp, g++, gcc natively, although "
                                "built from gcc-12 12.2.0-14 (gcc-12-aarch64-linux-gnu "
                                "12.2.0-14cross1) and the target's from gcc-12 "
                                "12.2.0-14+deb12u1: profile 't' says skew = native");
        xh_tool_choices_free(b, n);

        p.skew = XH_SKEW_ERROR;
        ck_assert_int_eq(xh_toolchain_choose(&p, d.target, NULL, d.tc, NULL, &b, &n, &err), 0);
        ck_assert_int_eq(choice(b, n, GCC)->decision, XH_TOOL_SKEW_ERROR);
        ck_assert_int_eq(choice(b, n, "/usr/bin/sed")->decision, XH_TOOL_NATIVE);
        xh_tool_choices_free(b, n);
        tc_dirs_clear(&d);
}
END_TEST

/* Cross packages built from the target's own compiler source version run native. */
START_TEST(test_toolchain_matching_cross)
{
        static const char *const target[] = {
                "gcc-14-aarch64-linux-gnu|14.2.0-19|" GCC "|Source: gcc-14", NULL};
        static const char *const tc[] = {
                "gcc-14-aarch64-linux-gnu:amd64|14.2.0-19cross1|" GCC
                "|Source: gcc-14-cross (1)\nBuilt-Using: gcc-14 (= 14.2.0-19), binutils (= 2.44-3)",
                NULL};
        /* A cross package that does not say which target source it was built from. */
        static const char *const silent[] = {
                "gcc-14-aarch64-linux-gnu|14.2.0-19cross1|" GCC "|Source: gcc-14-cross (1)", NULL};
        struct tc_dirs d;
        tc_dirs_make(&d, target, tc);
        struct xh_profile p = {
                .name = "t", .arch = "arm64", .suite = "trixie", .triplet = "aarch64-linux-gnu"};
        xh_error err = {0};
        struct xh_tool_choice *b = NULL;
        size_t n = 0;
        ck_assert_int_eq(xh_toolchain_choose(&p, d.target, d.upper, d.tc, NULL, &b, &n, &err), 0);
        ck_assert_int_eq(choice(b, n, GCC)->decision, XH_TOOL_NATIVE);
        ck_assert_str_eq(choice(b, n, GCC)->tc_src, "gcc-14 14.2.0-19");
        _cleanup_strv_ char **w = xh_toolchain_warnings(&p, d.dir, b, n, d.upper);
        ck_assert_uint_eq(xh_strv_len(w), 0);
        xh_tool_choices_free(b, n);
        tc_dirs_clear(&d);

        tc_dirs_make(&d, target, silent);
        ck_assert_int_eq(xh_toolchain_choose(&p, d.target, NULL, d.tc, NULL, &b, &n, &err), 0);
        ck_assert_int_eq(choice(b, n, GCC)->decision, XH_TOOL_SKEW_FALLBACK);
        ck_assert_str_eq(choice(b, n, GCC)->tc_src, "gcc-14-cross 1");
        xh_tool_choices_free(b, n);
        tc_dirs_clear(&d);
}
END_TEST

/* ---- rebuilt compilers: the layer's name, its record, what it replaces ---- */

#define TARGET_SRC "gcc-12 12.2.0-14+deb12u1"
#define CROSS_PKG  "gcc-12-aarch64-linux-gnu"
#define CROSS_SRC  "gcc-12 12.2.0-14"
#define CC1        "/usr/lib/gcc-cross/aarch64-linux-gnu/12/cc1"

START_TEST(test_compiler_layer_name)
{
        _cleanup_free_ char *a =
                xh_compiler_layer_name("arm64", "aarch64-linux-gnu", TARGET_SRC, CROSS_SRC);
        _cleanup_free_ char *again =
                xh_compiler_layer_name("arm64", "aarch64-linux-gnu", TARGET_SRC, CROSS_SRC);
        _cleanup_free_ char *other = xh_compiler_layer_name("arm64", "aarch64-linux-gnu",
                                                            TARGET_SRC, "gcc-12 12.2.0-13");
        _cleanup_free_ char *epoch =
                xh_compiler_layer_name("arm64", "aarch64-linux-gnu", "gcc-9 1:9.3-1", "gcc-9 1");
        ck_assert_ptr_nonnull(a);
        const char *prefix = "gcc-cross-arm64-gcc-12_12.2.0-14+deb12u1-";
        ck_assert_msg(strncmp(a, prefix, strlen(prefix)) == 0, "%s", a);
        ck_assert_uint_eq(strlen(a), strlen(prefix) + 12);
        ck_assert_uint_eq(strspn(a + strlen(prefix), "0123456789abcdef"), 12);
        ck_assert_str_eq(a, again);
        ck_assert_str_ne(a, other);
        ck_assert_ptr_nonnull(epoch);
        ck_assert_ptr_null(strchr(epoch, ':'));
        /* Only a compiler source gcc-N with a version, and every part given. */
        ck_assert_ptr_null(xh_compiler_layer_name("arm64", "aarch64-linux-gnu", "binutils 2.40-2",
                                                  "binutils 2.40-2"));
        ck_assert_ptr_null(
                xh_compiler_layer_name("arm64", "aarch64-linux-gnu", "gcc-12", CROSS_SRC));
        ck_assert_ptr_null(
                xh_compiler_layer_name("arm64", "aarch64-linux-gnu", "gcc-12 1/2", CROSS_SRC));
        ck_assert_ptr_null(xh_compiler_layer_name("arm64", "aarch64-linux-gnu", NULL, CROSS_SRC));
        ck_assert_ptr_null(xh_compiler_layer_name("arm64", "aarch64-linux-gnu", TARGET_SRC, NULL));
        ck_assert_ptr_null(xh_compiler_layer_name("", "aarch64-linux-gnu", TARGET_SRC, CROSS_SRC));
}
END_TEST

/*
 * A fake rebuilt layer in the store dir: rootfs with the given files, a
 * record with status (NULL: none) and a list of listed.
 */
static char *fake_layer(const char *store, const char *name, const char *status,
                        const char *const *files, const char *listed)
{
        char *dir = xh_asprintf("%s/layers/%s", store, name);
        _cleanup_free_ char *rootfs = xh_asprintf("%s/rootfs", dir);
        _cleanup_free_ char *record = xh_asprintf("%s/record", dir);
        ck_assert_int_eq(xh_mkdir_p(rootfs, 0755), 0);
        for (const char *const *f = files; f && *f; f++)
                put(rootfs, *f,
                    "\x7f"
                    "ELF",
                    0755);
        if (status)
                put(record, "/var/lib/dpkg/status", status, 0644);
        put(record, "/var/lib/dpkg/info/xhybrid-" CROSS_PKG ".list", listed, 0644);
        return dir;
}

#define REBUILT_STATUS                                                                             \
        "Package: xhybrid-" CROSS_PKG "\nStatus: install ok installed\nArchitecture: amd64\n"      \
        "Source: gcc-12 (12.2.0-14+deb12u1)\nVersion: 12.2.0-14+deb12u1\n\n"

START_TEST(test_compiler_layer_apply)
{
        struct tc_dirs d;
        tc_dirs_make(&d, target_pkgs, tc_pkgs);
        struct xh_profile p = {.name = "t",
                               .arch = "arm64",
                               .suite = "bookworm",
                               .triplet = "aarch64-linux-gnu",
                               .skew = XH_SKEW_REBUILD};
        xh_error err = {0};
        struct xh_tool_choice *b = NULL;
        size_t n = 0;
        struct xh_compiler_layer l;
        _cleanup_free_ char *name =
                xh_compiler_layer_name(p.arch, p.triplet, TARGET_SRC, CROSS_SRC);

        /* No layer: skew = rebuild runs the target's compiler emulated, as fallback does. */
        ck_assert_int_eq(xh_toolchain_choose(&p, d.target, NULL, d.tc, NULL, &b, &n, &err), 0);
        ck_assert_int_eq(xh_compiler_apply(&p, d.dir, b, n, &l, &err), 0);
        ck_assert_ptr_null(l.dir);
        ck_assert_int_eq(choice(b, n, GCC)->decision, XH_TOOL_SKEW_FALLBACK);
        ck_assert_str_eq(xh_tool_choice_decision(choice(b, n, GCC)),
                         "emulated (built from another source)");
        xh_tool_choices_free(b, n);

        /* A half-built one (built under another name until complete) is never found. */
        _cleanup_free_ char *half_name = xh_asprintf(".%s.tmp", name);
        _cleanup_free_ char *half =
                fake_layer(d.dir, half_name, REBUILT_STATUS, (const char *const[]){GCC, CC1, NULL},
                           GCC "\n" CC1 "\n");
        ck_assert_int_eq(xh_toolchain_choose(&p, d.target, NULL, d.tc, NULL, &b, &n, &err), 0);
        ck_assert_int_eq(xh_compiler_apply(&p, d.dir, b, n, &l, &err), 0);
        ck_assert_ptr_null(l.dir);
        ck_assert_int_eq(choice(b, n, GCC)->decision, XH_TOOL_SKEW_FALLBACK);
        xh_tool_choices_free(b, n);

        /* The layer: gcc and cc1 rebuilt, g++ not (it stays emulated). */
        _cleanup_free_ char *dir =
                fake_layer(d.dir, name, REBUILT_STATUS, (const char *const[]){GCC, CC1, NULL},
                           GCC "\n" CC1 "\n");
        ck_assert_int_eq(xh_toolchain_choose(&p, d.target, NULL, d.tc, NULL, &b, &n, &err), 0);
        ck_assert_int_eq(xh_compiler_apply(&p, d.dir, b, n, &l, &err), 0);
        ck_assert_str_eq(l.dir, dir);
        ck_assert_str_eq(l.source, TARGET_SRC);
        ck_assert_str_eq(l.pkg, "xhybrid-" CROSS_PKG);
        ck_assert_uint_eq(xh_strv_len(l.files), 2);
        ck_assert_str_eq(l.files[0], GCC);
        ck_assert_str_eq(l.files[1], CC1);
        const struct xh_tool_choice *g = choice(b, n, GCC);
        ck_assert_int_eq(g->decision, XH_TOOL_NATIVE);
        ck_assert(g->rebuilt);
        ck_assert(!g->direct);
        ck_assert_str_eq(g->tc_src, TARGET_SRC);
        ck_assert_str_eq(g->tc_pkg, "xhybrid-" CROSS_PKG);
        ck_assert_str_eq(xh_tool_choice_decision(g), "native (rebuilt from the target's source)");
        ck_assert_int_eq(choice(b, n, GXX)->decision, XH_TOOL_SKEW_FALLBACK);
        ck_assert(!choice(b, n, GXX)->rebuilt);
        /* Tools from the same source stay as they were. */
        ck_assert(!choice(b, n, "/usr/bin/sed")->rebuilt);
        xh_compiler_layer_clear(&l);
        xh_tool_choices_free(b, n);

        /*
         * One layer for every driver of the cross compiler, although each
         * comes from a package of its own (gcc-12-, g++-12-, cpp-12-TRIPLET).
         */
        ck_assert_int_eq(xh_rm_rf(dir), 0);
        free(fake_layer(d.dir, name, REBUILT_STATUS,
                        (const char *const[]){GCC, GXX, CPP, CC1, NULL},
                        GCC "\n" GXX "\n" CPP "\n" CC1 "\n"));
        ck_assert_int_eq(xh_toolchain_choose(&p, d.target, NULL, d.tc, NULL, &b, &n, &err), 0);
        ck_assert_int_eq(xh_compiler_apply(&p, d.dir, b, n, &l, &err), 0);
        for (const char *const *path = (const char *const[]){GCC, GXX, CPP, NULL}; *path; path++) {
                ck_assert_msg(choice(b, n, *path)->rebuilt, "%s is not rebuilt", *path);
                ck_assert_int_eq(choice(b, n, *path)->decision, XH_TOOL_NATIVE);
        }
        _cleanup_strv_ char **none = xh_toolchain_warnings(&p, d.dir, b, n, NULL);
        ck_assert_msg(!none[0] || !strstr(none[0], "g++"), "%s", none[0]);
        xh_compiler_layer_clear(&l);
        xh_tool_choices_free(b, n);
        ck_assert_int_eq(xh_rm_rf(dir), 0);
        free(fake_layer(d.dir, name, REBUILT_STATUS, (const char *const[]){GCC, CC1, NULL},
                        GCC "\n" CC1 "\n"));

        /* The profile's emulate list still wins. */
        char *emulate[] = {"gcc", NULL};
        ck_assert_int_eq(xh_toolchain_choose(&p, d.target, NULL, d.tc, emulate, &b, &n, &err), 0);
        ck_assert_int_eq(xh_compiler_apply(&p, d.dir, b, n, &l, &err), 0);
        ck_assert_int_eq(choice(b, n, GCC)->decision, XH_TOOL_EMULATE);
        xh_compiler_layer_clear(&l);
        xh_tool_choices_free(b, n);

        /* A layer built from another source version is not the target's. */
        ck_assert_int_eq(xh_rm_rf(dir), 0);
        free(fake_layer(d.dir, name,
                        "Package: x\nStatus: install ok installed\nSource: gcc-12 (12.2.0-14)\n"
                        "Version: 1\n",
                        (const char *const[]){GCC, NULL}, GCC "\n"));
        ck_assert_int_eq(xh_rm_rf(dir), 0);
        free(fake_layer(d.dir, name,
                        "Package: xhybrid-" CROSS_PKG "\nStatus: install ok installed\n"
                        "Source: gcc-12 (12.2.0-14)\nVersion: 1\n",
                        (const char *const[]){GCC, NULL}, GCC "\n"));
        ck_assert_int_eq(xh_toolchain_choose(&p, d.target, NULL, d.tc, NULL, &b, &n, &err), 0);
        ck_assert_int_eq(xh_compiler_apply(&p, d.dir, b, n, &l, &err), 0);
        ck_assert_ptr_null(l.dir);
        ck_assert_int_eq(choice(b, n, GCC)->decision, XH_TOOL_SKEW_FALLBACK);
        xh_tool_choices_free(b, n);

        /* Damaged layers are refused with their path and what to do. */
        const struct {
                const char *status, *listed;
                const char *const *files;
                const char *says;
        } bad[] = {
                {NULL, GCC "\n", (const char *const[]){GCC, NULL}, "cannot read"},
                {"Package: xhybrid-" CROSS_PKG "\nVersion: 1\nSource: gcc-12 (1)\n", GCC "\n",
                 (const char *const[]){GCC, NULL}, "Status: install ok installed"},
                {"Package: xhybrid-" CROSS_PKG "\nStatus: install ok installed\nVersion: 1\n"
                 "Source: gcc-12\n",
                 GCC "\n", (const char *const[]){GCC, NULL}, "Source is not"},
                {REBUILT_STATUS, GCC "\n" CC1 "\n", (const char *const[]){GCC, NULL},
                 "names " CC1 ", which is no file"},
                {REBUILT_STATUS, "", (const char *const[]){GCC, NULL}, "lists no file"},
                {REBUILT_STATUS, "usr/bin/x\n", (const char *const[]){GCC, NULL},
                 "which is no file"},
        };
        for (size_t i = 0; i < XH_ARRAY_SIZE(bad); i++) {
                ck_assert_int_eq(xh_rm_rf(dir), 0);
                free(fake_layer(d.dir, name, bad[i].status, bad[i].files, bad[i].listed));
                ck_assert_int_eq(xh_toolchain_choose(&p, d.target, NULL, d.tc, NULL, &b, &n, &err),
                                 0);
                xh_error_clear(&err);
                ck_assert_int_lt(xh_compiler_apply(&p, d.dir, b, n, &l, &err), 0);
                ck_assert_msg(err.msg && strstr(err.msg, dir) && strstr(err.msg, bad[i].says),
                              "case %zu: %s", i, err.msg ? err.msg : "(none)");
                ck_assert_msg(err.hint && strstr(err.hint, "xhybrid toolchain build"),
                              "case %zu: %s", i, err.hint ? err.hint : "(none)");
                xh_error_clear(&err);
                xh_tool_choices_free(b, n);
        }
        tc_dirs_clear(&d);
}
END_TEST

#define HOST_LOADER "/lib64/ld-linux-x86-64.so.2"

static void link_at(const char *root, const char *path, const char *to)
{
        _cleanup_free_ char *at = xh_asprintf("%s%s", root, path);
        _cleanup_free_ char *dir = xh_strdup(at);
        *strrchr(dir, '/') = '\0';
        ck_assert_int_eq(xh_mkdir_p(dir, 0755), 0);
        ck_assert_int_eq(symlink(to, at), 0);
}

/*
 * Where a hybrid session links the host's program interpreter: the one the
 * toolchain layer's /bin/sh names, laid out as Debian's amd64 root has it
 * (/lib64 -> usr/lib64, whose file links into /lib/x86_64-linux-gnu).
 */
START_TEST(test_loader_link)
{
        struct xh_elf_info info;
        bool x86 = xh_elf_inspect("/bin/dash", &info, NULL) == 0 && info.interpreter &&
                   strcmp(info.interpreter, HOST_LOADER) == 0;
        xh_elf_info_clear(&info);
        XH_REQUIRE(x86, "needs an x86-64 Debian host whose /bin/dash loads with " HOST_LOADER);

        char dir[] = "/tmp/xh-test-loader-XXXXXX";
        ck_assert_ptr_nonnull(mkdtemp(dir));
        _cleanup_free_ char *tc = xh_asprintf("%s/toolchain", dir);
        _cleanup_free_ char *target = xh_asprintf("%s/target", dir);
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        ck_assert_int_eq(xh_read_file("/bin/dash", &text, &len), 0);
        _cleanup_free_ char *dash = xh_asprintf("%s/usr/bin/dash", tc);
        put(tc, "/usr/bin/dash", "", 0755);
        ck_assert_int_eq(xh_write_file(dash, text, len, 0755), 0);
        link_at(tc, "/bin", "usr/bin");
        link_at(tc, "/usr/bin/sh", "dash");
        link_at(tc, "/lib", "usr/lib");
        link_at(tc, "/lib64", "usr/lib64");
        link_at(tc, "/usr/lib64/ld-linux-x86-64.so.2",
                "../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
        put(tc, "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "", 0755);
        char *at = NULL, *to = NULL;
        xh_error err = {0};

        /* arm64, armhf, riscv64, s390x: no /lib64 at all. */
        put(target, "/usr/lib/aarch64-linux-gnu/libc.so.6", "", 0644);
        link_at(target, "/lib", "usr/lib");
        ck_assert_int_eq(xh_loader_link(target, tc, &at, &to, &err), 0);
        ck_assert_str_eq(at, "/lib64");
        ck_assert_str_eq(to, "usr/lib/x86_64-linux-gnu");
        free(at);
        free(to);

        /* ppc64el: its own loader in /lib64 -> usr/lib64; one link in there. */
        link_at(target, "/lib64", "usr/lib64");
        put(target, "/usr/lib64/ld64.so.2", "", 0755);
        ck_assert_int_eq(xh_loader_link(target, tc, &at, &to, &err), 0);
        ck_assert_str_eq(at, "/usr/lib64/ld-linux-x86-64.so.2");
        ck_assert_str_eq(to, "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
        free(at);
        free(to);

        /* A target that has a file of that name keeps it. */
        put(target, "/usr/lib64/ld-linux-x86-64.so.2", "", 0755);
        ck_assert_int_eq(xh_loader_link(target, tc, &at, &to, &err), 0);
        ck_assert_ptr_null(at);
        ck_assert_ptr_null(to);

        /* A toolchain layer without its loader is an error that names it. */
        _cleanup_free_ char *real =
                xh_asprintf("%s/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", tc);
        ck_assert_int_eq(unlink(real), 0);
        ck_assert_int_eq(xh_loader_link(target, tc, &at, &to, &err), -ENOEXEC);
        ck_assert_ptr_nonnull(strstr(err.msg, HOST_LOADER));
        xh_error_clear(&err);
        ck_assert_int_eq(unlink(dash), 0);
        ck_assert_int_eq(xh_loader_link(target, tc, &at, &to, &err), -ENOEXEC);
        ck_assert_ptr_nonnull(strstr(err.msg, "program interpreter"));
        xh_error_clear(&err);
        ck_assert_int_eq(xh_rm_rf(dir), 0);
}
END_TEST

/* A dpkg database that cannot be read is an error naming it, never "versions differ". */
START_TEST(test_toolchain_unreadable_db)
{
        struct tc_dirs d;
        tc_dirs_make(&d, target_pkgs, tc_pkgs);
        struct xh_profile p = {
                .name = "t", .arch = "arm64", .suite = "bookworm", .triplet = "aarch64-linux-gnu"};
        xh_error err = {0};
        struct xh_tool_choice *b = NULL;
        size_t n = 0;

        /* An entry of the upper that is not a file (a removed package's whiteout) is skipped. */
        _cleanup_free_ char *info = xh_asprintf("%s/var/lib/dpkg/info", d.upper);
        ck_assert_int_eq(xh_mkdir_p(info, 0755), 0);
        _cleanup_free_ char *fifo = xh_asprintf("%s/gone.list", info);
        ck_assert_int_eq(mkfifo(fifo, 0644), 0);
        ck_assert_int_eq(xh_toolchain_choose(&p, d.target, d.upper, d.tc, NULL, &b, &n, &err), 0);
        xh_tool_choices_free(b, n);

        _cleanup_free_ char *status = xh_asprintf("%s/var/lib/dpkg/status", d.tc);
        ck_assert_int_eq(unlink(status), 0);
        ck_assert_int_eq(xh_toolchain_choose(&p, d.target, NULL, d.tc, NULL, &b, &n, &err),
                         -ENOENT);
        ck_assert_ptr_null(b);
        _cleanup_free_ char *want =
                xh_asprintf("cannot read the dpkg database %s: %s", status, strerror(ENOENT));
        ck_assert_str_eq(err.msg, want);
        ck_assert_ptr_nonnull(strstr(err.hint, "xhybrid create --force"));
        xh_error_clear(&err);

        _cleanup_free_ char *tinfo = xh_asprintf("%s/var/lib/dpkg/info", d.target);
        ck_assert_int_eq(xh_rm_rf(tinfo), 0);
        ck_assert_int_eq(xh_toolchain_choose(&p, d.target, NULL, d.tc, NULL, &b, &n, &err),
                         -ENOENT);
        ck_assert_ptr_nonnull(strstr(err.msg, tinfo));
        xh_error_clear(&err);
        tc_dirs_clear(&d);
}
END_TEST

/* ---- the command's own user namespace: the identity map ------------------ */

static const struct {
        const char *outer; /* /proc/self/uid_map as read in the session */
        const char *inner; /* NULL: refused */
} identity_cases[] = {
        /* root: 0-65535 mapped to themselves */
        {"         0          0      65536\n", "0 0 65536\n"},
        /* a plain user alone: 0 inside is the caller */
        {"         0       1000          1\n", "0 0 1\n"},
        /* a plain user with a subordinate range from newuidmap */
        {"         0       1000          1\n         1     100000      65536\n",
         "0 0 1\n1 1 65536\n"},
        {"0 5 3", "0 0 3\n"},
        {"", NULL},
        {"\n", NULL},
        {"0 0\n", NULL},
        {"0 0 0\n", NULL},
        {"0 0 1 junk\n", NULL},
        {"x 0 1\n", NULL},
        {"0 0 1\nnot a line\n", NULL},
};

START_TEST(test_identity_map)
{
        _cleanup_free_ char *inner = NULL;
        int r = xh_ns_identity_map(identity_cases[_i].outer, &inner);
        if (!identity_cases[_i].inner) {
                ck_assert_int_eq(r, -EINVAL);
                ck_assert_ptr_null(inner);
                return;
        }
        ck_assert_int_eq(r, 0);
        ck_assert_str_eq(inner, identity_cases[_i].inner);
}
END_TEST

/* ---- namespace: why a command could not be executed ---------------------- */

START_TEST(test_exec_failure)
{
        const char *tmp = getenv("TMPDIR");
        _cleanup_free_ char *dir = xh_asprintf("%s/test_cli.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        ck_assert_ptr_nonnull(mkdtemp(dir));
        put(dir, "/bin/s", "#!  /xh/none -x\necho\n", 0755);
        put(dir, "/bin/plain", "echo no interpreter line\n", 0755);
        put(dir, "/off/s", "#!/bin/sh\n", 0644); /* not executable: execvp skips it */
        _cleanup_free_ char *path = xh_asprintf("/xh/nothing:%s/off:%s/bin", dir, dir);
        _cleanup_free_ char *s = xh_asprintf("%s/bin/s", dir);
        _cleanup_free_ char *plain = xh_asprintf("%s/bin/plain", dir);
        const struct {
                const char *file;
                int e, code;
                const char *msg, *hint;
        } cases[] = {
                {"xh-no-such-command", ENOENT, 127, "xh-no-such-command: command not found", NULL},
                {"./xh-missing", ENOENT, 127, "./xh-missing: No such file or directory", NULL},
                {"s", ENOENT, 126, "/bin/s: bad interpreter /xh/none: No such file or directory",
                 "/xh/none is not in the session's root"},
                {s, ENOENT, 126, "/bin/s: bad interpreter /xh/none: No such file or directory",
                 "fix the #! line"},
                {"/bin/true", ENOENT, 126, "/bin/true: bad interpreter /lib64/ld-linux-x86-64.so.2",
                 "exists in the session but cannot be started itself"},
                {plain, ENOENT, 126, "/bin/plain: cannot execute: a file it needs is missing",
                 NULL},
                {"s", EACCES, 126, "s: cannot execute: Permission denied", NULL},
                {"s", ENOEXEC, 126, "s: cannot execute: Exec format error", "binfmt_misc"},
        };
        for (size_t i = 0; i < XH_ARRAY_SIZE(cases); i++) {
                xh_error err = {0};
                int code = xh_exec_failure(cases[i].file, path, cases[i].e, &err);
                ck_assert_msg(code == cases[i].code, "%s: exit %d, expected %d", cases[i].file,
                              code, cases[i].code);
                ck_assert_msg(err.msg && strstr(err.msg, cases[i].msg),
                              "%s: message '%s' lacks '%s'", cases[i].file,
                              err.msg ? err.msg : "(none)", cases[i].msg);
                ck_assert_int_eq(err.code, cases[i].e);
                if (cases[i].hint)
                        ck_assert_msg(err.hint && strstr(err.hint, cases[i].hint),
                                      "%s: hint '%s' lacks '%s'", cases[i].file,
                                      err.hint ? err.hint : "(none)", cases[i].hint);
                xh_error_clear(&err);
        }
        ck_assert_int_eq(xh_rm_rf(dir), 0);
}
END_TEST

/* serve's options, --allow repeated; --distribute kept as given (checked by the parser). */
START_TEST(test_args_serve)
{
        const char *argv[] = {"serve",       "--listen", "10.0.0.2:4000", "--allow",
                              "10.0.0.0/24", "--allow",  "10.1.0.5",      "--log",
                              "d.log",       "p",        "--dry-run",     NULL};
        struct xh_args a;
        xh_error err = {0};
        ck_assert_int_eq(parse(argv, &a, &err), 0);
        ck_assert_int_eq(a.cmd, XH_CMD_SERVE);
        ck_assert_str_eq(a.profile, "p");
        ck_assert_str_eq(a.listen, "10.0.0.2:4000");
        ck_assert_str_eq(a.allow[0], "10.0.0.0/24");
        ck_assert_str_eq(a.allow[1], "10.1.0.5/32");
        ck_assert_ptr_null(a.allow[2]);
        ck_assert_str_eq(a.log, "d.log");
        ck_assert(a.dry_run);
        xh_args_free(&a);
        const char *run[] = {"run", "--distribute", "h1,h2:4000/2", "p", "make", NULL};
        ck_assert_int_eq(parse(run, &a, &err), 0);
        ck_assert_str_eq(a.distribute, "h1,h2:4000/2");
        xh_args_free(&a);
}
END_TEST

static Suite *cli_suite(void)
{
        Suite *s = suite_create("cli");

        TCase *tc = tcase_create("args");
        tcase_add_loop_test(tc, test_args_good, 0, (int)XH_ARRAY_SIZE(good_args));
        tcase_add_test(tc, test_args_copies);
        tcase_add_test(tc, test_args_bench_anywhere);
        tcase_add_test(tc, test_args_bind);
        tcase_add_test(tc, test_args_deb);
        tcase_add_test(tc, test_args_serve);
        tcase_add_loop_test(tc, test_args_bad, 0, (int)XH_ARRAY_SIZE(bad_args));
        tcase_add_test(tc, test_args_image_entrypoint);
        suite_add_tcase(s, tc);

        tc = tcase_create("env");
        tcase_add_test(tc, test_env_allow_list);
        tcase_add_test(tc, test_env_profile_and_extra);
        tcase_add_test(tc, test_env_edge_cases);
        suite_add_tcase(s, tc);

        tc = tcase_create("store");
        tcase_add_loop_test(tc, test_store_dir, 0, (int)XH_ARRAY_SIZE(store_cases));
        tcase_add_test(tc, test_store_dir_relative);
        tcase_add_test(tc, test_store_root_path);
        tcase_add_test(tc, test_store_root_ready);
        tcase_add_test(tc, test_store_exposure);
        suite_add_tcase(s, tc);

        tc = tcase_create("toolchain");
        tcase_add_test(tc, test_toolchain_decisions);
        tcase_add_test(tc, test_toolchain_matching_cross);
        tcase_add_test(tc, test_toolchain_unreadable_db);
        tcase_add_test(tc, test_compiler_layer_name);
        tcase_add_test(tc, test_compiler_layer_apply);
        tcase_add_test(tc, test_loader_link);
        suite_add_tcase(s, tc);

        tc = tcase_create("namespace");
        tcase_add_loop_test(tc, test_identity_map, 0, (int)XH_ARRAY_SIZE(identity_cases));
        tcase_add_test(tc, test_exec_failure);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(cli_suite());
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
