/* SPDX-License-Identifier: MIT */
#include "cli.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

static const struct {
        const char *name;
        enum xh_cmd cmd;
} commands[] = {
        /* sorted */
        {"bench", XH_CMD_BENCH},   {"compare", XH_CMD_COMPARE},   {"create", XH_CMD_CREATE},
        {"doctor", XH_CMD_DOCTOR}, {"elf", XH_CMD_ELF},           {"enter", XH_CMD_ENTER},
        {"help", XH_CMD_HELP},     {"profiles", XH_CMD_PROFILES}, {"run", XH_CMD_RUN},
        {"verify", XH_CMD_VERIFY}, {"version", XH_CMD_VERSION},
};

const char *xh_usage(void)
{
        return "usage: xhybrid [-v] [--store DIR] COMMAND ...\n"
               "\n"
               "  create [--force] PROFILE        build the profile's root in the store\n"
               "  run [OPTIONS] PROFILE -- CMD... run a command inside the profile's root\n"
               "  enter [OPTIONS] PROFILE         interactive shell inside the root\n"
               "  profiles [list]                 list profiles\n"
               "  profiles show PROFILE           print the resolved profile\n"
               "  doctor [PROFILE...]             check what this host can do\n"
               "  elf FILE...                     describe ELF files (machine, class, linkage)\n"
               "  compare DIR_A DIR_B             compare two build trees (files, config.h,\n"
               "                                  config.status, ELF sections)\n"
               "  bench [OPTIONS] PROFILE SOURCE  time configure and build: emulated, hybrid,\n"
               "                                  native-cross\n"
               "  verify [OPTIONS] PROFILE SOURCE build emulated and hybrid, compare the results\n"
               "  version\n"
               "\n"
               "run/enter options:\n"
               "  --emulated         run every program under the emulator (the baseline)\n"
               "  --ephemeral        throw the session's changes away at exit\n"
               "  --env NAME[=VALUE] pass a variable into the session (repeatable)\n"
               "  --dry-run          print the mount plan and the command; mount nothing\n"
               "\n"
               "bench/verify options (SOURCE: DIR, TARBALL or deb:NAME):\n"
               "  --configure CMD    configure command (default ./configure when present;\n"
               "                     --configure '' for none)\n"
               "  --build CMD        build command (default make -j$(nproc))\n"
               "  --runs N           bench: runs per mode (default 3)\n"
               "  --modes LIST       bench: emulated,hybrid,native-cross (default all)\n"
               "  --json FILE        write the results as JSON\n"
               "  --markdown FILE    bench: write a Markdown table\n"
               "  --svg FILE         bench: write a bar chart\n"
               "  --check CMD        verify: also run the package's tests in both modes\n"
               "  --skip-patches     deb:NAME as upstream released it (no Debian patches)\n"
               "  --reuse-emulated   verify: reuse the cached emulated build when its inputs\n"
               "                     are unchanged\n"
               "\n"
               "Store: --store DIR, else $XHYBRID_STORE, else $XDG_DATA_HOME/xhybrid.\n"
               "Exit status: the command's own; 1 check failed; 2 usage; 125 xhybrid error;\n"
               "126 command not executable; 127 command not found.\n";
}

/* The options of the commands, and which commands take them. */
#define CMD(c)   (1u << (c))
#define SESSIONS (CMD(XH_CMD_RUN) | CMD(XH_CMD_ENTER))
#define BUILDS   (CMD(XH_CMD_BENCH) | CMD(XH_CMD_VERIFY))
#define ALL      (~0u)

enum option_kind {
        OPT_FLAG,   /* sets a bool */
        OPT_COUNT,  /* increments an int */
        OPT_STRING, /* takes a value: --name VALUE or --name=VALUE */
        OPT_ENV,    /* --env NAME[=VALUE], repeatable */
        OPT_RUNS,   /* --runs N */
};

struct option {
        const char *name;
        unsigned commands;
        enum option_kind kind;
        size_t offset; /* of the field in struct xh_args (FLAG, COUNT, STRING) */
};

static const struct option options[] = {
        {"--force", CMD(XH_CMD_CREATE), OPT_FLAG, offsetof(struct xh_args, force)},
        {"--emulated", SESSIONS, OPT_FLAG, offsetof(struct xh_args, emulated)},
        {"--ephemeral", SESSIONS, OPT_FLAG, offsetof(struct xh_args, ephemeral)},
        {"--dry-run", SESSIONS, OPT_FLAG, offsetof(struct xh_args, dry_run)},
        {"--env", SESSIONS, OPT_ENV, 0},
        {"--configure", BUILDS, OPT_STRING, offsetof(struct xh_args, configure_cmd)},
        {"--build", BUILDS, OPT_STRING, offsetof(struct xh_args, build_cmd)},
        {"--json", BUILDS, OPT_STRING, offsetof(struct xh_args, json)},
        {"--skip-patches", BUILDS, OPT_FLAG, offsetof(struct xh_args, skip_patches)},
        {"--modes", CMD(XH_CMD_BENCH), OPT_STRING, offsetof(struct xh_args, modes)},
        {"--markdown", CMD(XH_CMD_BENCH), OPT_STRING, offsetof(struct xh_args, markdown)},
        {"--svg", CMD(XH_CMD_BENCH), OPT_STRING, offsetof(struct xh_args, svg)},
        {"--runs", CMD(XH_CMD_BENCH), OPT_RUNS, 0},
        {"--check", CMD(XH_CMD_VERIFY), OPT_STRING, offsetof(struct xh_args, check_cmd)},
        {"--reuse-emulated", CMD(XH_CMD_VERIFY), OPT_FLAG,
         offsetof(struct xh_args, reuse_emulated)},
        {"--store", ALL, OPT_STRING, offsetof(struct xh_args, store)},
        {"-v", ALL, OPT_COUNT, offsetof(struct xh_args, verbose)},
};

static int take_value(int argc, char *const *argv, int *i, const char *opt, char **out,
                      xh_error *err)
{
        const char *a = argv[*i];
        size_t n = strlen(opt);
        if (strncmp(a, opt, n) == 0 && a[n] == '=') {
                free(*out);
                *out = xh_strdup(a + n + 1);
                return 1;
        }
        if (strcmp(a, opt) != 0)
                return 0;
        if (*i + 1 >= argc)
                return xh_fail(err, EINVAL, "option %s needs a value", opt);
        free(*out);
        *out = xh_strdup(argv[++*i]);
        return 1;
}

static int parse_env_value(const char *v, xh_error *err)
{
        size_t n = strcspn(v, "=");
        if (n == 0)
                return xh_fail(err, EINVAL, "--env '%s': expected NAME or NAME=VALUE", v);
        for (size_t i = 0; i < n; i++) {
                char c = v[i];
                bool ok = c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                          (i > 0 && c >= '0' && c <= '9');
                if (!ok)
                        return xh_fail(err, EINVAL, "--env '%s': '%.*s' is not a variable name", v,
                                       (int)n, v);
        }
        return 0;
}

int xh_args_parse(int argc, char *const *argv, struct xh_args *a, xh_error *err)
{
        int i = 1, r;
        *a = (struct xh_args){0};

        /* Global options. */
        for (; i < argc && argv[i][0] == '-'; i++) {
                const char *s = argv[i];
                if (strcmp(s, "-v") == 0 || strcmp(s, "--verbose") == 0)
                        a->verbose++;
                else if (strcmp(s, "-vv") == 0)
                        a->verbose += 2;
                else if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0)
                        a->cmd = XH_CMD_HELP;
                else if (strcmp(s, "--version") == 0)
                        a->cmd = XH_CMD_VERSION;
                else if ((r = take_value(argc, argv, &i, "--store", &a->store, err)) != 0) {
                        if (r < 0)
                                return r;
                } else
                        return xh_fail(err, EINVAL, "unknown option '%s'", s);
        }
        if (a->cmd != XH_CMD_NONE)
                return 0;
        if (i >= argc)
                return xh_fail(err, EINVAL, "no command given");

        const char *name = argv[i++];
        for (size_t k = 0; k < XH_ARRAY_SIZE(commands); k++)
                if (strcmp(commands[k].name, name) == 0)
                        a->cmd = commands[k].cmd;
        if (a->cmd == XH_CMD_NONE)
                return xh_fail(err, EINVAL, "unknown command '%s'", name);

        a->rest = xh_malloc(sizeof(char *));
        a->env = xh_malloc(sizeof(char *));
        a->runs = 3;

        /* Command options come before the operands; "--" ends them. */
        for (; i < argc && argv[i][0] == '-' && argv[i][1] && strcmp(argv[i], "--") != 0; i++) {
                const struct option *o = NULL;
                _cleanup_free_ char *v = NULL;
                for (size_t k = 0; !o && k < XH_ARRAY_SIZE(options); k++) {
                        if (!(options[k].commands & CMD(a->cmd)))
                                continue;
                        if (options[k].kind == OPT_FLAG || options[k].kind == OPT_COUNT) {
                                if (strcmp(argv[i], options[k].name) == 0)
                                        o = &options[k];
                                continue;
                        }
                        char **dest = options[k].kind == OPT_STRING
                                              ? (char **)((char *)a + options[k].offset)
                                              : &v;
                        if ((r = take_value(argc, argv, &i, options[k].name, dest, err)) < 0)
                                return r;
                        if (r > 0)
                                o = &options[k];
                }
                if (!o)
                        return xh_fail(err, EINVAL, "%s: unknown option '%s'", name, argv[i]);
                switch (o->kind) {
                case OPT_FLAG:
                        *(bool *)((char *)a + o->offset) = true;
                        break;
                case OPT_COUNT:
                        (*(int *)((char *)a + o->offset))++;
                        break;
                case OPT_STRING:
                        break;
                case OPT_ENV:
                        if ((r = parse_env_value(v, err)) < 0)
                                return r;
                        xh_strv_push(&a->env, v);
                        break;
                case OPT_RUNS: {
                        char *end = NULL;
                        long n = strtol(v, &end, 10);
                        if (!*v || *end || n < 1 || n > 100)
                                return xh_fail(err, EINVAL, "--runs '%s': expected 1 to 100", v);
                        a->runs = (int)n;
                        break;
                }
                }
        }

        switch (a->cmd) {
        case XH_CMD_CREATE:
        case XH_CMD_ENTER:
        case XH_CMD_RUN:
                if (i < argc && strcmp(argv[i], "--") == 0)
                        i++;
                if (i >= argc)
                        return xh_fail(err, EINVAL, "%s: no profile given", name);
                a->profile = xh_strdup(argv[i++]);
                if (a->cmd == XH_CMD_RUN) {
                        if (i < argc && strcmp(argv[i], "--") == 0)
                                i++;
                        if (i >= argc)
                                return xh_fail(err, EINVAL, "run: no command given after '%s'",
                                               a->profile);
                } else if (i < argc) {
                        return xh_fail(err, EINVAL, "%s: unexpected argument '%s'", name, argv[i]);
                }
                break;
        case XH_CMD_BENCH:
        case XH_CMD_VERIFY:
                if (i < argc && strcmp(argv[i], "--") == 0)
                        i++;
                if (argc - i != 2)
                        return xh_fail(err, EINVAL, "%s: expected PROFILE SOURCE", name);
                a->profile = xh_strdup(argv[i++]);
                a->source = xh_strdup(argv[i++]);
                break;
        case XH_CMD_PROFILES:
                if (i < argc && strcmp(argv[i], "--") == 0)
                        i++;
                a->subcommand = xh_strdup(i < argc ? argv[i++] : "list");
                if (strcmp(a->subcommand, "show") == 0) {
                        if (i >= argc)
                                return xh_fail(err, EINVAL, "profiles show: no profile given");
                        a->profile = xh_strdup(argv[i++]);
                } else if (strcmp(a->subcommand, "list") != 0) {
                        return xh_fail(err, EINVAL, "profiles: unknown subcommand '%s'",
                                       a->subcommand);
                }
                if (i < argc)
                        return xh_fail(err, EINVAL, "profiles: unexpected argument '%s'", argv[i]);
                break;
        case XH_CMD_ELF:
                if (i < argc && strcmp(argv[i], "--") == 0)
                        i++;
                if (i >= argc)
                        return xh_fail(err, EINVAL, "elf: no file given");
                break;
        default:
                if (i < argc && strcmp(argv[i], "--") == 0)
                        i++;
                break;
        }
        for (; i < argc; i++)
                xh_strv_push(&a->rest, argv[i]);
        return 0;
}

void xh_args_free(struct xh_args *a)
{
        free(a->store);
        free(a->profile);
        free(a->subcommand);
        xh_strv_free(a->env);
        xh_strv_free(a->rest);
        free(a->source);
        free(a->configure_cmd);
        free(a->build_cmd);
        free(a->check_cmd);
        free(a->modes);
        free(a->json);
        free(a->markdown);
        free(a->svg);
        *a = (struct xh_args){0};
}
