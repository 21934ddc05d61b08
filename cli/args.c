/* SPDX-License-Identifier: MIT */
#include "cli.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

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
               "  compare [--strict] DIR_A DIR_B  compare two build trees (every file; ELF\n"
               "                                  files section by section)\n"
               "  compare --deb [--strict] A B    compare the Debian packages of two builds\n"
               "                                  (package files or directories of them)\n"
               "  bench [OPTIONS] PROFILE SOURCE  time configure and build: emulated, hybrid,\n"
               "                                  native-cross\n"
               "  verify [OPTIONS] PROFILE SOURCE build emulated and hybrid, compare the results\n"
               "  cache stats PROFILE             the compile cache's hits, misses and size\n"
               "  cache clear PROFILE             empty the compile cache\n"
               "  toolchain build [--force] PROFILE\n"
               "                                  build the cross compiler from the target's\n"
               "                                  compiler source (a layer of the store)\n"
               "  deb [OPTIONS] PROFILE SOURCE [-- DPKG_BUILDPACKAGE_OPTIONS...]\n"
               "                                  build a Debian source's packages in a\n"
               "                                  throwaway session\n"
               "  serve [OPTIONS] PROFILE         compile for distcc clients (run --distribute)\n"
               "                                  with the profile's cross compiler only\n"
               "  image [OPTIONS] PROFILE -o FILE an image archive of the profile's hybrid root\n"
               "                                  (podman load / docker load)\n"
               "  image --install DIR PROFILE     install the shim layer into the target root\n"
               "                                  at DIR (a Dockerfile's RUN step)\n"
               "  entrypoint [--user UID[:GID]] [--] CMD...\n"
               "                                  inside such an image: run CMD with the\n"
               "                                  target's identity and emulator\n"
               "  trace summary FILE              what ran where in a traced session, and its\n"
               "                                  cost (run --trace)\n"
               "  version\n"
               "\n"
               "run/enter options:\n"
               "  --emulated         run every program under the emulator (the baseline)\n"
               "  --ephemeral        throw the session's changes away at exit\n"
               "  --env NAME[=VALUE] pass a variable into the session (repeatable)\n"
               "  --bind HOST_PATH[:SESSION_PATH][:ro]\n"
               "                     share a host file or directory with the session, at the\n"
               "                     same path or at SESSION_PATH, read-only with :ro\n"
               "                     (repeatable)\n"
               "  --dry-run          print the mount plan and the command; mount nothing\n"
               "  --cache            compile through the profile's compile cache (ccache)\n"
               "  --no-cache         do not, whatever the profile says\n"
               "  --distribute HOST[:PORT][/LIMIT][,HOST...]\n"
               "                     send native compiles to helpers running 'xhybrid serve'\n"
               "                     (default: $XHYBRID_DISTRIBUTE; '' for none)\n"
               "\n"
               "serve options:\n"
               "  --listen ADDR[:PORT]  the address to serve on (default 127.0.0.1:3632)\n"
               "  --allow ADDR[/BITS]   clients that may compile here (repeatable; default\n"
               "                        127.0.0.1)\n"
               "  --log FILE            distccd's log (default: standard error)\n"
               "  --dry-run             print the namespace's plan and distccd's command\n"
               "  --trace FILE       record every program the session runs in FILE\n"
               "                     (hybrid sessions; see 'xhybrid trace summary')\n"
               "\n"
               "bench/verify options (SOURCE: DIR, TARBALL, .dsc or deb:NAME):\n"
               "  --configure CMD    configure command (default ./configure when present;\n"
               "                     --configure '' for none)\n"
               "  --build CMD        build command (default make -j$(nproc))\n"
               "  --runs N           bench: runs per mode (default 3)\n"
               "  --modes LIST       bench: emulated,hybrid,native-cross (default), and\n"
               "                     cache-cold,cache-warm (the compile cache)\n"
               "  --json FILE        write the results as JSON\n"
               "  --markdown FILE    bench: write a Markdown table\n"
               "  --svg FILE         bench: write a bar chart\n"
               "  --check CMD        verify: also run the package's tests in both modes\n"
               "  --skip-patches     deb:NAME as upstream released it (no Debian patches)\n"
               "  --reuse-emulated   verify: reuse the cached emulated build when its inputs\n"
               "                     are unchanged\n"
               "  --strict           verify, compare: ignore nothing (not .comment,\n"
               "                     .note.gnu.build-id, config.log)\n"
               "  --deb              verify: build the Debian packages of SOURCE (as deb)\n"
               "                     emulated and hybrid into DIR/emulated and DIR/hybrid\n"
               "                     (-o DIR, default .) and compare them; compare: A and B\n"
               "                     are Debian packages\n"
               "\n"
               "deb options (SOURCE: an unpacked source tree, a .dsc or deb:NAME):\n"
               "  -o, --output DIR   where the packages, .buildinfo, .changes and the build\n"
               "                     log go (default: the current directory)\n"
               "  --emulated, --env  as for run\n"
               "\n"
               "image options:\n"
               "  -o, --output FILE  the archive to write (required)\n"
               "  --tag NAME[:TAG]   the image's name (default xhybrid/PROFILE:latest)\n"
               "  --install DIR      no archive: install the shim layer, xhybrid and the\n"
               "                     emulator into the target root at DIR, whose toolchain\n"
               "                     layer is at DIR/.xhybrid/toolchain\n"
               "\n"
               "entrypoint options:\n"
               "  --user UID[:GID]   run CMD as these ids (else BUILDER_UID and BUILDER_GID)\n"
               "\n"
               "Store: --store DIR, else $XHYBRID_STORE, else $XDG_DATA_HOME/xhybrid.\n"
               "Exit status: the command's own (deb: dpkg-buildpackage's); 1 check failed; 2 "
               "usage;\n"
               "125 xhybrid error; 126 command not executable; 127 command not found.\n";
}

/* The options of the commands, and which commands take them. */
#define CMD(c)   (1u << (c))
#define SESSIONS (CMD(XH_CMD_RUN) | CMD(XH_CMD_ENTER))
#define DEB      CMD(XH_CMD_DEB)
#define BUILDS   (CMD(XH_CMD_BENCH) | CMD(XH_CMD_VERIFY))
#define SERVE    CMD(XH_CMD_SERVE)
#define ALL      (~0u)

enum option_kind {
        OPT_FLAG,   /* sets a bool */
        OPT_COUNT,  /* increments an int */
        OPT_STRING, /* takes a value: --name VALUE or --name=VALUE */
        OPT_ENV,    /* --env NAME[=VALUE], repeatable */
        OPT_RUNS,   /* --runs N */
        OPT_BIND,   /* --bind HOST_PATH[:SESSION_PATH][:ro], repeatable */
        OPT_ALLOW,  /* --allow ADDR[/BITS], repeatable */
};

struct option {
        const char *name;
        unsigned commands;
        enum option_kind kind;
        size_t offset; /* of the field in struct xh_args (FLAG, COUNT, STRING) */
};

static const struct option options[] = {
        {"--force", CMD(XH_CMD_CREATE) | CMD(XH_CMD_TOOLCHAIN), OPT_FLAG,
         offsetof(struct xh_args, force)},
        {"--emulated", SESSIONS | DEB, OPT_FLAG, offsetof(struct xh_args, emulated)},
        {"--ephemeral", SESSIONS, OPT_FLAG, offsetof(struct xh_args, ephemeral)},
        {"--dry-run", SESSIONS | SERVE, OPT_FLAG, offsetof(struct xh_args, dry_run)},
        {"--env", SESSIONS | DEB | CMD(XH_CMD_VERIFY), OPT_ENV, 0},
        {"--cache", SESSIONS | CMD(XH_CMD_IMAGE), OPT_FLAG, offsetof(struct xh_args, cache)},
        {"--no-cache", SESSIONS, OPT_FLAG, offsetof(struct xh_args, no_cache)},
        {"--bind", SESSIONS, OPT_BIND, 0},
        {"--distribute", SESSIONS, OPT_STRING, offsetof(struct xh_args, distribute)},
        {"--listen", SERVE, OPT_STRING, offsetof(struct xh_args, listen)},
        {"--allow", SERVE, OPT_ALLOW, 0},
        {"--log", SERVE, OPT_STRING, offsetof(struct xh_args, log)},
        {"--trace", SESSIONS, OPT_STRING, offsetof(struct xh_args, trace)},
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
        {"--strict", CMD(XH_CMD_VERIFY) | CMD(XH_CMD_COMPARE), OPT_FLAG,
         offsetof(struct xh_args, strict)},
        {"--deb", CMD(XH_CMD_VERIFY) | CMD(XH_CMD_COMPARE), OPT_FLAG,
         offsetof(struct xh_args, deb)},
        {"-o", DEB | CMD(XH_CMD_VERIFY), OPT_STRING, offsetof(struct xh_args, outdir)},
        {"--output", DEB | CMD(XH_CMD_VERIFY), OPT_STRING, offsetof(struct xh_args, outdir)},
        {"-o", CMD(XH_CMD_IMAGE), OPT_STRING, offsetof(struct xh_args, output)},
        {"--output", CMD(XH_CMD_IMAGE), OPT_STRING, offsetof(struct xh_args, output)},
        {"--tag", CMD(XH_CMD_IMAGE), OPT_STRING, offsetof(struct xh_args, tag)},
        {"--install", CMD(XH_CMD_IMAGE), OPT_STRING, offsetof(struct xh_args, install)},
        {"--user", CMD(XH_CMD_ENTRYPOINT), OPT_STRING, offsetof(struct xh_args, user)},
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

/*
 * --bind HOST_PATH[:SESSION_PATH][:ro|:rw]: the syntax only; whether the host
 * path exists and where the session path may go is the session's to check.
 */
static int parse_bind_value(const char *v, struct xh_args *a, xh_error *err)
{
        /* The fields and their lengths: HOST_PATH, then up to two more. */
        const char *f[3] = {v};
        size_t len[3], n = 1;
        for (const char *c = strchr(v, ':'); c; c = strchr(c + 1, ':')) {
                if (n == XH_ARRAY_SIZE(f)) {
                        xh_fail(err, EINVAL, "--bind '%s': expected HOST_PATH[:SESSION_PATH][:ro]",
                                v);
                        return xh_hint(err, EINVAL, "a path with ':' in it cannot be bound");
                }
                f[n++] = c + 1;
        }
        for (size_t i = 0; i < n; i++)
                len[i] = i + 1 < n ? (size_t)(f[i + 1] - f[i] - 1) : strlen(f[i]);
        bool rdonly = false;
        const char *last = f[n - 1];
        if (n > 1 && len[n - 1] == 2 &&
            (strncmp(last, "ro", 2) == 0 || strncmp(last, "rw", 2) == 0)) {
                rdonly = last[1] == 'o';
                n--;
        }
        if (n > 2) {
                xh_fail(err, EINVAL, "--bind '%s': expected HOST_PATH[:SESSION_PATH][:ro]", v);
                return xh_hint(err, EINVAL, "the last field may only be ro or rw");
        }
        if (len[0] == 0) {
                xh_fail(err, EINVAL, "--bind '%s': no host path", v);
                return xh_hint(err, EINVAL, "give the host file or directory first");
        }
        if (n == 2 && (len[1] == 0 || f[1][0] != '/')) {
                xh_fail(err, EINVAL, "--bind '%s': the session path '%.*s' is not absolute", v,
                        (int)len[1], f[1]);
                return xh_hint(err, EINVAL,
                               "give the path inside the session from its root, e.g. --bind "
                               "%.*s:/srv/data",
                               (int)len[0], f[0]);
        }
        size_t k = 0;
        while (a->binds && a->binds[k].src)
                k++;
        a->binds = xh_realloc(a->binds, (k + 2) * sizeof(*a->binds));
        a->binds[k] = (struct xh_bind){
                .src = xh_strndup(f[0], len[0]),
                .dst = n == 2 ? xh_strndup(f[1], len[1]) : NULL,
                .rdonly = rdonly,
        };
        a->binds[k + 1] = (struct xh_bind){0};
        return 0;
}

/* What follows a command's options. */
enum operands {
        OPERANDS_NONE,                   /* help, version */
        OPERANDS_PROFILE,                /* create, enter: PROFILE */
        OPERANDS_PROFILE_COMMAND,        /* run: PROFILE COMMAND... */
        OPERANDS_COMMAND,                /* entrypoint: COMMAND... */
        OPERANDS_PROFILE_SOURCE,         /* bench, verify: PROFILE SOURCE */
        OPERANDS_PROFILE_SOURCE_OPTIONS, /* deb: PROFILE SOURCE [-- OPTIONS...] */
        OPERANDS_PROFILES,               /* profiles: [list | show PROFILE] */
        OPERANDS_CACHE,                  /* cache: stats PROFILE | clear PROFILE */
        OPERANDS_TRACE,                  /* trace: summary FILE */
        OPERANDS_TOOLCHAIN,              /* toolchain: build PROFILE */
        OPERANDS_FILES,                  /* elf: FILE... (at least one) */
        OPERANDS_TWO,                    /* compare: A B */
        OPERANDS_ANY,                    /* doctor: [PROFILE...] */
};

static int cmd_help(const struct xh_args *a)
{
        fputs(xh_usage(), stdout);
        return XH_EXIT_OK;
}

static int cmd_version(const struct xh_args *a)
{
        printf("xhybrid %s\n", XH_VERSION);
        return XH_EXIT_OK;
}

/* The commands, sorted by name. */
static const struct command {
        const char *name;
        enum xh_cmd cmd;
        enum operands operands;
        int (*run)(const struct xh_args *a);
} commands[] = {
        {"bench", XH_CMD_BENCH, OPERANDS_PROFILE_SOURCE, xh_cmd_bench},
        {"cache", XH_CMD_CACHE, OPERANDS_CACHE, xh_cmd_cache},
        {"compare", XH_CMD_COMPARE, OPERANDS_TWO, xh_cmd_compare},
        {"create", XH_CMD_CREATE, OPERANDS_PROFILE, xh_cmd_create},
        {"deb", XH_CMD_DEB, OPERANDS_PROFILE_SOURCE_OPTIONS, xh_cmd_deb},
        {"doctor", XH_CMD_DOCTOR, OPERANDS_ANY, xh_cmd_doctor},
        {"elf", XH_CMD_ELF, OPERANDS_FILES, xh_cmd_elf},
        {"enter", XH_CMD_ENTER, OPERANDS_PROFILE, xh_cmd_run},
        {"entrypoint", XH_CMD_ENTRYPOINT, OPERANDS_COMMAND, xh_cmd_entrypoint},
        {"help", XH_CMD_HELP, OPERANDS_NONE, cmd_help},
        {"image", XH_CMD_IMAGE, OPERANDS_PROFILE, xh_cmd_image},
        {"profiles", XH_CMD_PROFILES, OPERANDS_PROFILES, xh_cmd_profiles},
        {"run", XH_CMD_RUN, OPERANDS_PROFILE_COMMAND, xh_cmd_run},
        {"serve", XH_CMD_SERVE, OPERANDS_PROFILE, xh_cmd_serve},
        {"toolchain", XH_CMD_TOOLCHAIN, OPERANDS_TOOLCHAIN, xh_cmd_toolchain},
        {"trace", XH_CMD_TRACE, OPERANDS_TRACE, xh_cmd_trace},
        {"verify", XH_CMD_VERIFY, OPERANDS_PROFILE_SOURCE, xh_cmd_verify},
        {"version", XH_CMD_VERSION, OPERANDS_NONE, cmd_version},
};

static const struct command *find_command(enum xh_cmd cmd)
{
        for (size_t k = 0; k < XH_ARRAY_SIZE(commands); k++)
                if (commands[k].cmd == cmd)
                        return &commands[k];
        return NULL;
}

/*
 * One option at argv[*i] for cmd: 1 when taken (with its value, which may
 * advance *i), 0 when cmd has no such option, or -EINVAL.
 */
static int take_option(int argc, char *const *argv, int *i, enum xh_cmd cmd, struct xh_args *a,
                       xh_error *err)
{
        const char *s = argv[*i];
        if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
                a->cmd = XH_CMD_HELP;
                return 1;
        }
        if (cmd == XH_CMD_NONE && strcmp(s, "--version") == 0) {
                a->cmd = XH_CMD_VERSION;
                return 1;
        }
        if (strcmp(s, "-vv") == 0 || strcmp(s, "--verbose") == 0) {
                a->verbose += strcmp(s, "-vv") == 0 ? 2 : 1;
                return 1;
        }
        const struct option *o = NULL;
        _cleanup_free_ char *v = NULL;
        int r;
        for (size_t k = 0; !o && k < XH_ARRAY_SIZE(options); k++) {
                if (!(options[k].commands & CMD(cmd)))
                        continue;
                if (options[k].kind == OPT_FLAG || options[k].kind == OPT_COUNT) {
                        if (strcmp(s, options[k].name) == 0)
                                o = &options[k];
                        continue;
                }
                char **dest = options[k].kind == OPT_STRING
                                      ? (char **)((char *)a + options[k].offset)
                                      : &v;
                if ((r = take_value(argc, argv, i, options[k].name, dest, err)) < 0)
                        return r;
                if (r > 0)
                        o = &options[k];
        }
        if (!o)
                return 0;
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
        case OPT_BIND:
                if ((r = parse_bind_value(v, a, err)) < 0)
                        return r;
                break;
        case OPT_ALLOW: {
                _cleanup_free_ char *net = NULL;
                if ((r = xh_distcc_allow(v, &net, err)) < 0)
                        return r;
                xh_strv_push(&a->allow, net);
                break;
        }
        case OPT_RUNS: {
                char *end = NULL;
                long n = strtol(v, &end, 10);
                if (!*v || *end || n < 1 || n > 100)
                        return xh_fail(err, EINVAL, "--runs '%s': expected 1 to 100", v);
                a->runs = (int)n;
                break;
        }
        }
        return 1;
}

/* Check the operands of a command and move them into a. */
static int take_operands(const struct command *c, char **ops, struct xh_args *a, xh_error *err)
{
        size_t n = xh_strv_len(ops), used = 0;
        const char *name = c->name;
        int r;
        switch (c->operands) {
        case OPERANDS_NONE:
        case OPERANDS_ANY:
                break;
        case OPERANDS_PROFILE:
        case OPERANDS_PROFILE_COMMAND:
                if (n < 1)
                        return xh_fail(err, EINVAL, "%s: no profile given", name);
                a->profile = xh_strdup(ops[used++]);
                if (c->cmd == XH_CMD_IMAGE && a->install && a->output)
                        return xh_fail(err, EINVAL,
                                       "image: --install DIR and -o FILE exclude each other");
                if (c->cmd == XH_CMD_IMAGE && a->install && (a->tag || a->cache))
                        return xh_fail(err, EINVAL,
                                       "image --install: --%s belongs to the archive (-o FILE)",
                                       a->tag ? "tag" : "cache");
                if (c->cmd == XH_CMD_IMAGE && !a->install && (!a->output || !*a->output))
                        return xh_fail(err, EINVAL,
                                       "image: no archive given (-o FILE), nor a root to "
                                       "install into (--install DIR)");
                if (c->cmd == XH_CMD_IMAGE && a->install && !*a->install)
                        return xh_fail(err, EINVAL, "image --install: empty directory");
                if (c->operands == OPERANDS_PROFILE_COMMAND && xh_strv_len(a->rest) == 0)
                        return xh_fail(err, EINVAL, "%s: no command given after '%s'", name,
                                       a->profile);
                break;
        case OPERANDS_COMMAND:
                if (xh_strv_len(a->rest) == 0)
                        return xh_fail(err, EINVAL, "%s: no command given", name);
                break;
        case OPERANDS_PROFILE_SOURCE:
        case OPERANDS_PROFILE_SOURCE_OPTIONS:
                if (n != 2)
                        return xh_fail(err, EINVAL, "%s: expected PROFILE SOURCE", name);
                a->profile = xh_strdup(ops[used++]);
                a->source = xh_strdup(ops[used++]);
                break;
        case OPERANDS_PROFILES:
                a->subcommand = xh_strdup(n > 0 ? ops[used++] : "list");
                if (strcmp(a->subcommand, "show") == 0) {
                        if (used >= n)
                                return xh_fail(err, EINVAL, "profiles show: no profile given");
                        a->profile = xh_strdup(ops[used++]);
                } else if (strcmp(a->subcommand, "list") != 0) {
                        return xh_fail(err, EINVAL, "profiles: unknown subcommand '%s'",
                                       a->subcommand);
                }
                break;
        case OPERANDS_CACHE:
                if (n < 1)
                        return xh_fail(err, EINVAL, "cache: no subcommand given (stats or clear)");
                a->subcommand = xh_strdup(ops[used++]);
                if (strcmp(a->subcommand, "stats") != 0 && strcmp(a->subcommand, "clear") != 0)
                        return xh_fail(err, EINVAL,
                                       "cache: unknown subcommand '%s' (stats or clear)",
                                       a->subcommand);
                if (used >= n)
                        return xh_fail(err, EINVAL, "cache %s: no profile given", a->subcommand);
                a->profile = xh_strdup(ops[used++]);
                break;
        case OPERANDS_TOOLCHAIN:
                if (n < 1)
                        return xh_fail(err, EINVAL, "toolchain: no subcommand given (build)");
                a->subcommand = xh_strdup(ops[used++]);
                if (strcmp(a->subcommand, "build") != 0)
                        return xh_fail(err, EINVAL, "toolchain: unknown subcommand '%s' (build)",
                                       a->subcommand);
                if (used >= n)
                        return xh_fail(err, EINVAL, "toolchain build: no profile given");
                a->profile = xh_strdup(ops[used++]);
                break;
        case OPERANDS_TRACE:
                if (n < 1)
                        return xh_fail(err, EINVAL, "trace: no subcommand given (summary)");
                a->subcommand = xh_strdup(ops[used++]);
                if (strcmp(a->subcommand, "summary") != 0)
                        return xh_fail(err, EINVAL, "trace: unknown subcommand '%s' (summary)",
                                       a->subcommand);
                if (used >= n)
                        return xh_fail(err, EINVAL, "trace summary: no file given");
                xh_strv_push(&a->rest, ops[used++]);
                break;
        case OPERANDS_FILES:
                if (n < 1)
                        return xh_fail(err, EINVAL, "%s: no file given", name);
                break;
        case OPERANDS_TWO:
                if (n != 2)
                        return xh_fail(err, EINVAL, "%s: expected two directories", name);
                break;
        }
        if (c->operands == OPERANDS_ANY || c->operands == OPERANDS_FILES ||
            c->operands == OPERANDS_TWO) {
                for (; used < n; used++)
                        xh_strv_push(&a->rest, ops[used]);
        }
        if (used < n)
                return xh_fail(err, EINVAL, "%s: unexpected argument '%s'", name, ops[used]);
        if (a->listen) {
                _cleanup_free_ char *addr = NULL;
                unsigned port;
                if ((r = xh_distcc_listen(a->listen, &addr, &port, err)) < 0)
                        return r;
        }
        if (a->distribute && *a->distribute) {
                _cleanup_free_ char *hosts = NULL;
                if ((r = xh_distcc_hosts("--distribute", a->distribute, &hosts, err)) < 0)
                        return r;
        }
        if (a->distribute && *a->distribute && a->emulated)
                return xh_fail(err, EINVAL,
                               "%s: --distribute sends the native compiles of a hybrid session; "
                               "with --emulated the target's compiler runs here",
                               name);
        if (a->cache && a->no_cache)
                return xh_fail(err, EINVAL, "%s: --cache and --no-cache contradict each other",
                               name);
        if (a->trace && !*a->trace)
                return xh_fail(err, EINVAL, "%s: --trace needs a file name", name);
        if (a->trace && a->emulated)
                return xh_fail(err, EINVAL,
                               "%s: --trace records the native and emulated programs of a hybrid "
                               "session; with --emulated every program is emulated",
                               name);
        if (a->cache && a->emulated)
                return xh_fail(err, EINVAL,
                               "%s: --cache serves the native compiles of a hybrid session; "
                               "with --emulated the target's compiler runs, uncached",
                               name);
        if (a->cmd == XH_CMD_VERIFY && a->outdir && !a->deb)
                return xh_fail(err, EINVAL, "%s: -o DIR goes with --deb", name);
        if (a->cmd == XH_CMD_VERIFY && a->env[0] && !a->deb)
                return xh_fail(err, EINVAL, "%s: --env goes with --deb", name);
        if (a->cmd == XH_CMD_VERIFY && a->deb) {
                const char *other = a->configure_cmd    ? "--configure"
                                    : a->build_cmd      ? "--build"
                                    : a->check_cmd      ? "--check"
                                    : a->json           ? "--json"
                                    : a->skip_patches   ? "--skip-patches"
                                    : a->reuse_emulated ? "--reuse-emulated"
                                                        : NULL;
                if (other)
                        return xh_fail(err, EINVAL,
                                       "%s --deb: %s is for builds of a source tree; a Debian "
                                       "package build runs dpkg-buildpackage",
                                       name, other);
        }
        return 0;
}

/*
 * xhybrid [GLOBAL OPTIONS] COMMAND [OPTIONS and OPERANDS in any order] [-- ...]
 * Options are taken before and after the operands, as GNU tools do; "--"
 * ends them. For run, the first argument after PROFILE that is not one of
 * its options starts the command, which is kept as it is.
 */
int xh_args_parse(int argc, char *const *argv, struct xh_args *a, xh_error *err)
{
        int i = 1, r;
        *a = (struct xh_args){0};

        for (; i < argc && argv[i][0] == '-'; i++) {
                if ((r = take_option(argc, argv, &i, XH_CMD_NONE, a, err)) < 0)
                        return r;
                if (r == 0)
                        return xh_fail(err, EINVAL, "unknown option '%s'", argv[i]);
        }
        if (a->cmd != XH_CMD_NONE) {
                a->run = find_command(a->cmd)->run;
                return 0;
        }
        if (i >= argc)
                return xh_fail(err, EINVAL, "no command given");

        const char *name = argv[i++];
        const struct command *c = NULL;
        for (size_t k = 0; !c && k < XH_ARRAY_SIZE(commands); k++)
                if (strcmp(commands[k].name, name) == 0)
                        c = &commands[k];
        if (!c)
                return xh_fail(err, EINVAL, "unknown command '%s'", name);
        a->cmd = c->cmd;
        a->run = c->run;
        a->rest = xh_malloc(sizeof(char *));
        a->env = xh_malloc(sizeof(char *));
        a->allow = xh_malloc(sizeof(char *));
        a->runs = 3;

        _cleanup_strv_ char **ops = xh_malloc(sizeof(char *));
        bool options_end = false;
        for (; i < argc; i++) {
                const char *s = argv[i];
                bool command_next = (c->operands == OPERANDS_PROFILE_COMMAND && ops[0]) ||
                                    c->operands == OPERANDS_COMMAND;
                /* deb: after "--" and both operands, dpkg-buildpackage's options */
                if (options_end && c->operands == OPERANDS_PROFILE_SOURCE_OPTIONS &&
                    xh_strv_len(ops) == 2) {
                        xh_strv_push(&a->rest, s);
                        continue;
                }
                if (!options_end && strcmp(s, "--") == 0) {
                        options_end = true;
                        if (command_next) {
                                i++;
                                break;
                        }
                        continue;
                }
                if (!options_end && s[0] == '-' && s[1]) {
                        if ((r = take_option(argc, argv, &i, c->cmd, a, err)) < 0)
                                return r;
                        if (r > 0) {
                                if (a->cmd == XH_CMD_HELP) {
                                        a->run = find_command(a->cmd)->run;
                                        return 0;
                                }
                                continue;
                        }
                        if (!command_next && c->operands == OPERANDS_PROFILE_SOURCE_OPTIONS) {
                                xh_fail(err, EINVAL, "%s: unknown option '%s'", name, s);
                                return xh_hint(err, EINVAL,
                                               "dpkg-buildpackage's options go after '--': "
                                               "xhybrid deb PROFILE SOURCE -- %s",
                                               s);
                        }
                        if (!command_next)
                                return xh_fail(err, EINVAL, "%s: unknown option '%s'", name, s);
                }
                if (command_next)
                        break;
                xh_strv_push(&ops, s);
        }
        if (c->operands == OPERANDS_PROFILE_COMMAND || c->operands == OPERANDS_COMMAND)
                for (; i < argc; i++)
                        xh_strv_push(&a->rest, argv[i]);
        return take_operands(c, ops, a, err);
}

void xh_args_free(struct xh_args *a)
{
        free(a->store);
        free(a->profile);
        free(a->subcommand);
        xh_strv_free(a->env);
        free(a->distribute);
        free(a->listen);
        xh_strv_free(a->allow);
        free(a->log);
        for (struct xh_bind *b = a->binds; b && b->src; b++) {
                free((char *)b->src);
                free((char *)b->dst);
        }
        free(a->binds);
        xh_strv_free(a->rest);
        free(a->source);
        free(a->configure_cmd);
        free(a->build_cmd);
        free(a->check_cmd);
        free(a->modes);
        free(a->json);
        free(a->markdown);
        free(a->svg);
        free(a->outdir);
        free(a->output);
        free(a->tag);
        free(a->install);
        free(a->user);
        free(a->trace);
        *a = (struct xh_args){0};
}
