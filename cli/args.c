/* SPDX-License-Identifier: MIT */
#include "cli.h"

#include <errno.h>
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
        bool session = a->cmd == XH_CMD_RUN || a->cmd == XH_CMD_ENTER;
        bool bench = a->cmd == XH_CMD_BENCH || a->cmd == XH_CMD_VERIFY;
        a->runs = 3;

        /* Command options come before the operands; "--" ends them. */
        for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
                const char *s = argv[i];
                _cleanup_free_ char *v = NULL;
                if (strcmp(s, "--") == 0) {
                        break;
                } else if (a->cmd == XH_CMD_CREATE && strcmp(s, "--force") == 0) {
                        a->force = true;
                } else if (session && strcmp(s, "--emulated") == 0) {
                        a->emulated = true;
                } else if (session && strcmp(s, "--ephemeral") == 0) {
                        a->ephemeral = true;
                } else if (session && strcmp(s, "--dry-run") == 0) {
                        a->dry_run = true;
                } else if (session && (r = take_value(argc, argv, &i, "--env", &v, err)) != 0) {
                        if (r < 0)
                                return r;
                        if ((r = parse_env_value(v, err)) < 0)
                                return r;
                        xh_strv_push(&a->env, v);
                } else if (bench && (r = take_value(argc, argv, &i, "--configure",
                                                    &a->configure_cmd, err)) != 0) {
                        if (r < 0)
                                return r;
                } else if (bench &&
                           (r = take_value(argc, argv, &i, "--build", &a->build_cmd, err)) != 0) {
                        if (r < 0)
                                return r;
                } else if (bench &&
                           (r = take_value(argc, argv, &i, "--json", &a->json, err)) != 0) {
                        if (r < 0)
                                return r;
                } else if (bench && strcmp(s, "--skip-patches") == 0) {
                        a->skip_patches = true;
                } else if (a->cmd == XH_CMD_BENCH &&
                           (r = take_value(argc, argv, &i, "--modes", &a->modes, err)) != 0) {
                        if (r < 0)
                                return r;
                } else if (a->cmd == XH_CMD_BENCH &&
                           (r = take_value(argc, argv, &i, "--markdown", &a->markdown, err)) != 0) {
                        if (r < 0)
                                return r;
                } else if (a->cmd == XH_CMD_BENCH &&
                           (r = take_value(argc, argv, &i, "--svg", &a->svg, err)) != 0) {
                        if (r < 0)
                                return r;
                } else if (a->cmd == XH_CMD_BENCH &&
                           (r = take_value(argc, argv, &i, "--runs", &v, err)) != 0) {
                        if (r < 0)
                                return r;
                        char *end = NULL;
                        long n = strtol(v, &end, 10);
                        if (!*v || *end || n < 1 || n > 100)
                                return xh_fail(err, EINVAL, "--runs '%s': expected 1 to 100", v);
                        a->runs = (int)n;
                } else if (a->cmd == XH_CMD_VERIFY &&
                           (r = take_value(argc, argv, &i, "--check", &a->check_cmd, err)) != 0) {
                        if (r < 0)
                                return r;
                } else if (a->cmd == XH_CMD_VERIFY && strcmp(s, "--reuse-emulated") == 0) {
                        a->reuse_emulated = true;
                } else if ((r = take_value(argc, argv, &i, "--store", &a->store, err)) != 0) {
                        if (r < 0)
                                return r;
                } else if (strcmp(s, "-v") == 0) {
                        a->verbose++;
                } else {
                        return xh_fail(err, EINVAL, "%s: unknown option '%s'", name, s);
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
