/* SPDX-License-Identifier: MIT */
#include "shim.h"

#include <errno.h>
#include <string.h>

#define VERSION_ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Sorted by name (strcmp); a unit test checks the order and duplicates. */
static const struct xh_shim_tool tools[] = {
        {"addr2line", XH_SHIM_BINUTIL, XH_LANG_NONE, .cross = "addr2line"},
        {"ar", XH_SHIM_BINUTIL, XH_LANG_NONE, .cross = "ar"},
        {"arch", XH_SHIM_IDENTITY, XH_LANG_NONE, .never_direct = true},
        {"as", XH_SHIM_BINUTIL, XH_LANG_NONE, .cross = "as"},
        {"bash", XH_SHIM_BASH, XH_LANG_NONE, .version_args = VERSION_ARGS("--version")},
        {"c++", XH_SHIM_GCC, XH_LANG_CXX, .cross = "g++"},
        {"c++filt", XH_SHIM_BINUTIL, XH_LANG_NONE},
        {"cc", XH_SHIM_GCC, XH_LANG_C, .cross = "gcc"},
        {"cpp", XH_SHIM_GCC, XH_LANG_C, .cross = "cpp"},
        {"elfedit", XH_SHIM_BINUTIL, XH_LANG_NONE},
        {"g++", XH_SHIM_GCC, XH_LANG_CXX, .cross = "g++"},
        {"gcc", XH_SHIM_GCC, XH_LANG_C, .cross = "gcc"},
        {"gprof", XH_SHIM_BINUTIL, XH_LANG_NONE},
        {"hostname", XH_SHIM_IDENTITY, XH_LANG_NONE, .never_direct = true},
        {"ld", XH_SHIM_BINUTIL, XH_LANG_NONE, .cross = "ld"},
        {"ld.bfd", XH_SHIM_BINUTIL, XH_LANG_NONE},
        {"ld.gold", XH_SHIM_BINUTIL, XH_LANG_NONE},
        {"make", XH_SHIM_NATIVE, XH_LANG_NONE, .version_args = VERSION_ARGS("--version", "-v"),
         .never_direct = true},
        {"nm", XH_SHIM_BINUTIL, XH_LANG_NONE, .cross = "nm"},
        {"objcopy", XH_SHIM_BINUTIL, XH_LANG_NONE, .cross = "objcopy"},
        {"objdump", XH_SHIM_BINUTIL, XH_LANG_NONE, .cross = "objdump"},
        {"pkg-config", XH_SHIM_PKGCONFIG, XH_LANG_NONE, .cross = "pkg-config"},
        {"pkgconf", XH_SHIM_PKGCONFIG, XH_LANG_NONE},
        {"ranlib", XH_SHIM_BINUTIL, XH_LANG_NONE, .cross = "ranlib"},
        {"readelf", XH_SHIM_BINUTIL, XH_LANG_NONE, .cross = "readelf"},
        {"size", XH_SHIM_BINUTIL, XH_LANG_NONE, .cross = "size"},
        {"sort", XH_SHIM_SORT, XH_LANG_NONE, .never_direct = true},
        {"strings", XH_SHIM_BINUTIL, XH_LANG_NONE, .cross = "strings"},
        {"strip", XH_SHIM_BINUTIL, XH_LANG_NONE, .cross = "strip"},
        {"uname", XH_SHIM_IDENTITY, XH_LANG_NONE, .never_direct = true},
};

/*
 * The packages whose programs run native: every program a package ships in
 * the target root (its dpkg file list) that the toolchain layer has at the
 * same path, built from the same source version, and that is not denied
 * below. Arch-neutral tools whose output depends on nothing but their input.
 */
static const char *const native_packages[] = {
        "bzip2",       "cmake", "coreutils", "dash", "debianutils", "diffutils",
        "findutils",   "gawk",  "grep",      "gzip", "m4",          "mawk",
        "ninja-build", "patch", "sed",       "tar",  "xz-utils",    NULL,
};

/*
 * Programs of those packages (and others a profile may name) that never run
 * native unless a profile names them in native_override, with the reason.
 * A name ending in '*' stands for every name it begins. Sorted by name.
 */
static const struct xh_native_deny deny[] = {
        {"dpkg*", "dpkg knows the architecture it was built for (dpkg --print-architecture)"},
        {"file", "loads libmagic and its compiled magic database"},
        {"getconf", "prints the C library's limits and type sizes, which are the architecture's"},
        {"installkernel", "installs a kernel of the target system"},
        {"ldconfig", "writes the target loader's cache, whose format is the architecture's"},
        {"ldd", "runs the target's dynamic loader"},
        {"numfmt", "computes in long double, whose format is the architecture's"},
        {"od", "-t fL reads long double and -t x2/d4... follow the byte order, both the "
               "architecture's"},
        {"perl*",
         "not proven faithful: its Config and compiled modules describe the build machine"},
        {"pinky", "reads utmp records, whose layout is the architecture's"},
        {"printf",
         "computes in long double, whose format is the architecture's (printf %.25f 0.1)"},
        {"python*",
         "not proven faithful: sysconfig and compiled modules describe the build machine"},
        {"seq", "computes in long double, whose format is the architecture's"},
        {"stdbuf", "preloads libstdbuf.so, a library of its own architecture, into the program "
                   "it runs"},
        {"stty", "stty -g prints the terminal flags as numbers, which are the architecture's"},
        {"users", "reads utmp records, whose layout is the architecture's"},
        {"who", "reads utmp records, whose layout is the architecture's"},
};

const char *const *xh_native_packages(void)
{
        return native_packages;
}

const struct xh_native_deny *xh_native_deny_table(size_t *n)
{
        *n = XH_ARRAY_SIZE(deny);
        return deny;
}

const char *xh_native_denied(const char *name)
{
        for (size_t i = 0; i < XH_ARRAY_SIZE(deny); i++) {
                size_t len = strlen(deny[i].name);
                if (deny[i].name[len - 1] == '*' ? strncmp(name, deny[i].name, len - 1) == 0
                                                 : strcmp(name, deny[i].name) == 0)
                        return deny[i].reason;
        }
        return NULL;
}

bool xh_native_name_valid(const char *name)
{
        if (!name || !*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                return false;
        for (const char *s = name; *s; s++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.+-[",
                            *s))
                        return false;
        return true;
}

const struct xh_shim_tool *xh_shim_table(size_t *n)
{
        *n = XH_ARRAY_SIZE(tools);
        return tools;
}

static int cmp_tool(const void *key, const void *elem)
{
        return strcmp(key, ((const struct xh_shim_tool *)elem)->name);
}

const struct xh_shim_tool *xh_shim_lookup(const char *name)
{
        return bsearch(name, tools, XH_ARRAY_SIZE(tools), sizeof(tools[0]), cmp_tool);
}

char *xh_shim_tool_names(void)
{
        xh_buf b = {0};
        for (size_t i = 0; i < XH_ARRAY_SIZE(tools); i++)
                xh_buf_addf(&b, "%s%s", i ? ", " : "", tools[i].name);
        return xh_buf_steal(&b);
}

/* "gcc-12" for "gcc": a tool of the table under a versioned name. */
static bool table_tool_alias(const char *name)
{
        _cleanup_free_ char *canon = xh_shim_canonical(name, NULL);
        return strcmp(canon, name) != 0 && xh_shim_lookup(canon);
}

bool xh_native_may_name(const char *name)
{
        return xh_native_name_valid(name) && !xh_native_denied(name) && !table_tool_alias(name) &&
               strcmp(name, "all") != 0;
}

char **xh_shim_unknown_tools(const char *list)
{
        _cleanup_strv_ char **names = xh_strv_split(list ? list : "", ", :");
        char **unknown = xh_malloc(sizeof(char *));
        for (char **n = names; *n; n++)
                if (strcmp(*n, "all") != 0 && !xh_shim_lookup(*n) && !xh_native_may_name(*n) &&
                    !xh_strv_contains(unknown, *n))
                        xh_strv_push(&unknown, *n);
        return unknown;
}

char *xh_shim_canonical(const char *base, const char *triplet)
{
        size_t tl = triplet ? strlen(triplet) : 0;
        if (tl && strncmp(base, triplet, tl) == 0 && base[tl] == '-' && base[tl + 1])
                base += tl + 1;
        size_t n = strlen(base);
        /* Drop a version suffix: -12, -4.3 */
        size_t i = n;
        while (i > 0 && ((base[i - 1] >= '0' && base[i - 1] <= '9') || base[i - 1] == '.'))
                i--;
        if (i > 1 && i < n && base[i - 1] == '-' && base[i] != '.')
                n = i - 1;
        return xh_strndup(base, n);
}

static const struct {
        const char *key;
        size_t offset;
} conf_keys[] = {
        {"triplet", offsetof(struct xh_shim_config, triplet)},
        {"gcc_libdir", offsetof(struct xh_shim_config, gcc_libdir)},
        {"hosttype", offsetof(struct xh_shim_config, hosttype)},
        {"machtype", offsetof(struct xh_shim_config, machtype)},
        {"ccache", offsetof(struct xh_shim_config, ccache)},
        {"distcc", offsetof(struct xh_shim_config, distcc)},
        {"distcc_id", offsetof(struct xh_shim_config, distcc_id)},
        {"distcc_hosts", offsetof(struct xh_shim_config, distcc_hosts)},
        {"trace", offsetof(struct xh_shim_config, trace)},
        {"emulator", offsetof(struct xh_shim_config, emulator)},
        {"keep_argv0", offsetof(struct xh_shim_config, keep_argv0)},
};

int xh_shim_config_parse(const char *text, struct xh_shim_config *c, xh_error *err)
{
        *c = (struct xh_shim_config){0};
        c->emulate = xh_malloc(sizeof(char *));
        c->native = xh_malloc(sizeof(char *));
        int lineno = 0;
        for (const char *s = text; s && *s;) {
                size_t n = strcspn(s, "\n");
                _cleanup_free_ char *line = xh_strndup(s, n);
                s += n + (s[n] == '\n');
                lineno++;
                if (!*line || *line == '#')
                        continue;
                char *eq = strchr(line, '=');
                if (!eq) {
                        xh_shim_config_clear(c);
                        return xh_fail(err, EINVAL, "%s:%d: expected key=value", XH_SHIM_CONF,
                                       lineno);
                }
                *eq = '\0';
                const char *value = eq + 1;
                if (strcmp(line, "emulate") == 0) {
                        xh_strv_free(c->emulate);
                        c->emulate = xh_strv_split(value, ", ");
                        continue;
                }
                if (strcmp(line, "native") == 0) {
                        xh_strv_free(c->native);
                        c->native = xh_strv_split(value, ", ");
                        continue;
                }
                bool known = false;
                for (size_t i = 0; i < XH_ARRAY_SIZE(conf_keys); i++) {
                        if (strcmp(line, conf_keys[i].key) != 0)
                                continue;
                        char **field = (char **)((char *)c + conf_keys[i].offset);
                        free(*field);
                        *field = xh_strdup(value);
                        known = true;
                }
                if (!known) {
                        int r = xh_fail(err, EINVAL, "%s:%d: unknown key '%s'", XH_SHIM_CONF,
                                        lineno, line);
                        xh_shim_config_clear(c);
                        return r;
                }
        }
        if (!c->triplet || !c->gcc_libdir) {
                xh_shim_config_clear(c);
                return xh_fail(err, EINVAL, "%s: triplet and gcc_libdir are required",
                               XH_SHIM_CONF);
        }
        return 0;
}

char *xh_shim_config_format(const struct xh_shim_config *c)
{
        xh_buf b = {0};
        for (size_t i = 0; i < XH_ARRAY_SIZE(conf_keys); i++) {
                char *const *field = (char *const *)((const char *)c + conf_keys[i].offset);
                if (*field)
                        xh_buf_addf(&b, "%s=%s\n", conf_keys[i].key, *field);
        }
        _cleanup_free_ char *em = xh_strv_join(c->emulate, ",");
        xh_buf_addf(&b, "emulate=%s\n", em);
        if (c->native && c->native[0]) {
                _cleanup_free_ char *nat = xh_strv_join(c->native, ",");
                xh_buf_addf(&b, "native=%s\n", nat);
        }
        return xh_buf_steal(&b);
}

void xh_shim_config_clear(struct xh_shim_config *c)
{
        for (size_t i = 0; i < XH_ARRAY_SIZE(conf_keys); i++) {
                char **field = (char **)((char *)c + conf_keys[i].offset);
                free(*field);
        }
        xh_strv_free(c->emulate);
        xh_strv_free(c->native);
        *c = (struct xh_shim_config){0};
}

void xh_shim_exec_clear(struct xh_shim_exec *e)
{
        free(e->path);
        free(e->link_at);
        free(e->link_to);
        xh_strv_free(e->argv);
        xh_strv_free(e->setenv);
        xh_strv_free(e->putenv);
        *e = (struct xh_shim_exec){0};
}

static bool starts_with(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool emulate_requested(const char *list, const char *name, const char *argv0)
{
        _cleanup_strv_ char **v = xh_strv_split(list, ", :");
        return xh_strv_contains(v, name) || xh_strv_contains(v, "all") ||
               (argv0 && xh_strv_contains(v, argv0));
}

/*
 * Arguments that ask the compiler about itself: the answers must be the
 * target compiler's, so these run the original.
 */
static bool is_probe(const char *a)
{
        static const char *const exact[] = {
                "-v",
                "-###",
                "--version",
                "-dumpmachine",
                "-dumpversion",
                "-dumpfullversion",
                "-dumpspecs",
                "--help",
                "--target-help",
                "-print-search-dirs",
                "-print-libgcc-file-name",
                "-print-multiarch",
                "-print-multi-directory",
                "-print-multi-lib",
                "-print-multi-os-directory",
                "-print-sysroot",
                "-print-sysroot-headers-suffix",
        };
        for (size_t i = 0; i < XH_ARRAY_SIZE(exact); i++)
                if (strcmp(a, exact[i]) == 0)
                        return true;
        return starts_with(a, "-print-") || starts_with(a, "--print-") || starts_with(a, "--help=");
}

/*
 * Questions to pkg-config about itself (its version, its compiled-in search
 * path as the variables of the virtual package "pkg-config").
 */
static bool is_pkgconfig_probe(const char *a)
{
        static const char *const probes[] = {"--version", "--about", "--dump-personality",
                                             "pkg-config", "pkgconf"};
        for (size_t i = 0; i < XH_ARRAY_SIZE(probes); i++)
                if (strcmp(a, probes[i]) == 0)
                        return true;
        return false;
}

static bool has_suffix(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);
        return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool is_cxx_source(const char *a)
{
        static const char *const ext[] = {".cc", ".cp", ".cxx", ".cpp", ".CPP", ".c++", ".C",
                                          ".ii", ".hh", ".hpp", ".hxx", ".H",   ".tcc", ".h++"};
        if (a[0] == '-')
                return false;
        for (size_t i = 0; i < XH_ARRAY_SIZE(ext); i++)
                if (has_suffix(a, ext[i]))
                        return true;
        return false;
}

/* The language whose include dirs a compiler run needs. */
static enum xh_shim_lang compile_lang(const struct xh_shim_tool *t, char *const *argv)
{
        enum xh_shim_lang lang = t->lang;
        for (size_t i = 1; argv[i]; i++) {
                /* -x c / -xc names the language of what follows */
                const char *x = strcmp(argv[i], "-x") == 0       ? argv[i + 1]
                                : strncmp(argv[i], "-x", 2) == 0 ? argv[i] + 2
                                                                 : NULL;
                if (x && (strcmp(x, "c") == 0 || strcmp(x, "c-header") == 0) && lang == XH_LANG_CXX)
                        lang = XH_LANG_C;
        }
        if (lang == XH_LANG_CXX)
                return XH_LANG_CXX;
        for (size_t i = 1; argv[i]; i++) {
                const char *a = argv[i];
                if (strcmp(a, "-x") == 0 && argv[i + 1] && starts_with(argv[i + 1], "c++"))
                        return XH_LANG_CXX;
                if (starts_with(a, "-xc++"))
                        return XH_LANG_CXX;
                if (is_cxx_source(a))
                        return XH_LANG_CXX;
        }
        return XH_LANG_C;
}

static void push_env(struct xh_shim_exec *out, const char *name, const char *value)
{
        if (!value)
                return;
        _cleanup_free_ char *e = xh_asprintf("%s=%s", name, value);
        xh_strv_push(&out->setenv, e);
}

/*
 * With the compile cache on, a compile runs under ccache: "ccache DRIVER
 * ARGS...", configured by the session's file alone (no CCACHE_ variable of
 * the caller's counts). ccache caches only runs that stop at an object or
 * assembler file (-c, -S); the others (links, -E, -M) it would only pass
 * on, after its own start and a write of its counters: they run the driver
 * directly.
 */
static bool is_compile(char *const *argv)
{
        for (size_t i = 1; argv[i]; i++)
                if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "-S") == 0)
                        return true;
        return false;
}

/*
 * A compile sent through distcc: out->argv is "DRIVER_LINK ARGS..." for the
 * toolchain's driver, out->link_to. The link is renamed to the served name
 * of that driver, xh-ID-DRIVER, which only a helper serving the same
 * compiler has on its list (others refuse; distcc then compiles here), and
 * distcc runs it: preprocessing here, the compile there. distcc is set up
 * by the session alone, but for its log (DISTCC_LOG, when --env gives one).
 */
static void wrap_distcc(const struct xh_shim_config *c, struct xh_shim_exec *out)
{
        const char *base =
                strrchr(out->link_to, '/') ? strrchr(out->link_to, '/') + 1 : out->link_to;
        free(out->link_at);
        out->link_at =
                xh_asprintf("%s/names/" XH_DISTCC_PREFIX "%s-%s", XH_RUN_DIR, c->distcc_id, base);
        char **wrapped = xh_malloc(sizeof(char *));
        xh_strv_push(&wrapped, "distcc");
        xh_strv_push(&wrapped, out->link_at);
        for (char **a = out->argv + 1; *a; a++)
                xh_strv_push(&wrapped, *a);
        xh_strv_free(out->argv);
        out->argv = wrapped;
        free(out->path);
        out->path = xh_strdup(c->distcc);
        _cleanup_free_ char *hosts = xh_asprintf("DISTCC_HOSTS=%s", c->distcc_hosts);
        xh_strv_push(&out->putenv, hosts);
        xh_strv_push(&out->putenv, "DISTCC_DIR=" XH_DISTCC_DIR);
        xh_strv_push(&out->putenv, "DISTCC_FALLBACK=1");
        xh_strv_push(&out->putenv, "DISTCC_NO_REWRITE_CROSS=1");
        push_env(out, "DISTCC_LOG", XH_DISTCC_LOG);
}

/*
 * A compile that makes debug information stays here: distcc preprocesses
 * here and compiles the preprocessed text there, which loses the source's
 * column positions, so the line table (.debug_line) would differ from a
 * local compile's. Any -g option but -g0 counts (-gz and -gno-... too: the
 * rule only has to be safe).
 */
static bool wants_debug_info(char *const *argv)
{
        for (size_t i = 1; argv[i]; i++)
                if (starts_with(argv[i], "-g") && strcmp(argv[i], "-g0") != 0)
                        return true;
        return false;
}

static int through_distcc(const struct xh_shim_config *c, char *const *argv,
                          struct xh_shim_exec *out)
{
        if (!c->distcc || !c->distcc_id || !c->distcc_hosts || c->ccache || !is_compile(argv))
                return 0;
        if (wants_debug_info(argv)) {
                out->why = strcmp(out->why, "native") == 0
                                   ? "native (debug information: not distributed)"
                                   : "native (user sysroot; debug information: not distributed)";
                return 0;
        }
        wrap_distcc(c, out);
        out->why = strcmp(out->why, "native") == 0 ? "native (distcc)"
                                                   : "native (user sysroot, distcc)";
        return 0;
}

int xh_shim_distcc_prefix(const struct xh_shim_config *c, const char *driver, char *const *argv,
                          struct xh_shim_exec *out, xh_error *err)
{
        *out = (struct xh_shim_exec){0};
        if (!c->distcc || !c->distcc_id || !c->distcc_hosts)
                return xh_fail(err, EINVAL,
                               "%s runs as itself only for distributed compiles of the cache",
                               XH_SHIM_PATH);
        if (!argv || !argv[0] || !argv[1] || !driver || driver[0] != '/')
                return xh_fail(err, EINVAL, "%s: expected a compiler and its arguments",
                               XH_SHIM_PATH);
        out->argv = xh_malloc(sizeof(char *));
        out->setenv = xh_malloc(sizeof(char *));
        out->putenv = xh_malloc(sizeof(char *));
        for (size_t i = 1; argv[i]; i++)
                xh_strv_push(&out->argv, argv[i]);
        out->link_to = xh_strdup(driver);
        out->path = xh_strdup(driver);
        if (wants_debug_info(argv + 1)) {
                out->why = "native (compile cache miss; debug information: not distributed)";
                return 0;
        }
        wrap_distcc(c, out);
        out->why = "native (compile cache miss, distcc)";
        return 0;
}

static int through_cache(const struct xh_shim_config *c, char *const *argv,
                         struct xh_shim_exec *out)
{
        if (!c->ccache || !is_compile(argv))
                return 0;
        char **wrapped = xh_malloc(sizeof(char *));
        xh_strv_push(&wrapped, "ccache");
        for (char **a = out->argv; *a; a++)
                xh_strv_push(&wrapped, *a);
        xh_strv_free(out->argv);
        out->argv = wrapped;
        free(out->path);
        out->path = xh_strdup(c->ccache);
        out->unset_prefix = "CCACHE_";
        push_env(out, "CCACHE_CONFIGPATH", XH_CCACHE_CONF);
        out->why = strcmp(out->why, "native") == 0 ? "native (compile cache)"
                                                   : "native (user sysroot, compile cache)";
        return 0;
}

static int gcc_native(const struct xh_shim_config *c, const struct xh_shim_tool *t,
                      char *const *argv, const struct xh_shim_facts *inc, struct xh_shim_exec *out)
{
        bool nostdinc = false, sysroot = false, nostdincxx = false, hosted = true;
        for (size_t i = 1; argv[i]; i++) {
                const char *a = argv[i];
                if (strcmp(a, "-ffreestanding") == 0 || strcmp(a, "-fno-hosted") == 0)
                        hosted = false;
                else if (strcmp(a, "-fhosted") == 0 || strcmp(a, "-fno-freestanding") == 0)
                        hosted = true;
                if (strcmp(a, "-nostdinc") == 0)
                        nostdinc = true;
                else if (strcmp(a, "-nostdinc++") == 0)
                        nostdincxx = true;
                else if (starts_with(a, "--sysroot") || strcmp(a, "-isysroot") == 0)
                        sysroot = true;
        }
        if (!nostdinc && !sysroot && !inc) {
                out->needs_facts = true;
                free(out->path);
                out->path = NULL;
                return 0;
        }
        /*
         * gcc finds its own parts from argv[0] (following symlinks) and names
         * itself after it: a link named as the user called the driver.
         */
        const char *a0 = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
        if (!*a0 || strcmp(a0, ".") == 0 || strcmp(a0, "..") == 0)
                a0 = strrchr(out->path, '/') + 1;
        out->link_at = xh_asprintf("%s/names/%s", XH_RUN_DIR, a0);
        out->link_to = xh_strdup(out->path);
        xh_strv_push(&out->argv, out->link_at);
        if (!sysroot && !nostdinc) {
                /*
                 * -nostdinc also drops the implicit "#include <stdc-predef.h>"
                 * of a hosted compile; name it first, as the target compiler
                 * includes it before any -include of the command line.
                 */
                xh_strv_push(&out->argv, "-nostdinc");
                if (hosted) {
                        xh_strv_push(&out->argv, "-include");
                        xh_strv_push(&out->argv, "stdc-predef.h");
                }
        }
        for (size_t i = 1; argv[i]; i++)
                xh_strv_push(&out->argv, argv[i]);
        if (sysroot) {
                out->why = "native (user sysroot)";
                return through_cache(c, argv, out) < 0 ? -1 : through_distcc(c, argv, out);
        }
        if (!nostdinc) {
                /*
                 * The target compiler's include dirs, in its order, instead of
                 * the cross compiler's own (which would find the cross libc).
                 */
                char **dirs = compile_lang(t, argv) == XH_LANG_CXX && !nostdincxx ? inc->inc_cxx
                                                                                  : inc->inc_c;
                for (char **d = dirs; d && *d; d++) {
                        xh_strv_push(&out->argv, "-isystem");
                        xh_strv_push(&out->argv, *d);
                }
        }
        /* libgcc, libgcc_s and libstdc++ of the target compiler come first. */
        _cleanup_free_ char *l = xh_asprintf("-L%s", c->gcc_libdir);
        xh_strv_push(&out->argv, l);
        out->why = "native";
        return through_cache(c, argv, out) < 0 ? -1 : through_distcc(c, argv, out);
}

/* A binutils run that loads a plugin from outside the toolchain layer. */
static bool loads_target_plugin(char *const *argv)
{
        for (size_t i = 1; argv[i]; i++) {
                const char *a = argv[i], *p = NULL;
                if ((strcmp(a, "-plugin") == 0 || strcmp(a, "--plugin") == 0) && argv[i + 1])
                        p = argv[i + 1];
                else if (starts_with(a, "-plugin="))
                        p = a + 8;
                else if (starts_with(a, "--plugin="))
                        p = a + 9;
                if (p && !starts_with(p, XH_TOOLCHAIN_DIR "/"))
                        return true;
        }
        return false;
}

/*
 * Whether a sort may compare as general numbers (-g, --general-numeric-sort,
 * --sort=general-numeric, a key such as -k2g), which it does in long double:
 * 80 bits on x86-64, 128 on arm64, so "2e-1" and "0.200000000000000000001"
 * are equal natively and not on the target. Conservative: any option before
 * "--" with a 'g' in it, and the key or sort word after -k, --key, --sort.
 */
static bool sorts_general_numeric(char *const *argv)
{
        for (size_t i = 1; argv[i]; i++) {
                const char *a = argv[i];
                if (strcmp(a, "--") == 0)
                        break;
                if (a[0] != '-' || !a[1])
                        continue;
                if (strchr(a, 'g'))
                        return true;
                bool takes_spec = a[1] == '-' ? !strchr(a, '=') && (starts_with("--key", a) ||
                                                                    starts_with("--sort", a))
                                              : a[strlen(a) - 1] == 'k';
                if (takes_spec && argv[i + 1] && strchr(argv[i + 1], 'g'))
                        return true;
        }
        return false;
}

int xh_shim_decide(const struct xh_shim_config *c, const char *exe, char *const *argv,
                   const char *emulate_env, const struct xh_shim_facts *facts,
                   struct xh_shim_exec *out, xh_error *err)
{
        *out = (struct xh_shim_exec){0};
        if (!exe || exe[0] != '/' || !argv || !argv[0])
                return xh_fail(err, EINVAL, "bad invocation");
        const char *base = strrchr(exe, '/') + 1;
        _cleanup_free_ char *name = xh_shim_canonical(base, c->triplet);
        /* A program of the package-derived set: run as it is. */
        static const struct xh_shim_tool plain = {"", XH_SHIM_NATIVE, XH_LANG_NONE};
        const struct xh_shim_tool *t = xh_shim_lookup(name);
        if (!t && c->native && xh_strv_contains(c->native, name))
                t = &plain;
        if (!t)
                return xh_fail(err, ENOENT, "'%s' (%s) is not a tool the shim knows", base, exe);

        const char *a0 = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
        _cleanup_free_ char *a0name = xh_shim_canonical(a0, c->triplet);
        out->argv = xh_malloc(sizeof(char *));
        out->setenv = xh_malloc(sizeof(char *));
        out->putenv = xh_malloc(sizeof(char *));

        bool emulate =
                emulate_requested(emulate_env, name, a0name) || xh_strv_contains(c->emulate, name);
        const char *why = emulate ? "emulated (XHYBRID_EMULATE)" : NULL;
        if (!emulate && t->strategy == XH_SHIM_GCC) {
                for (size_t i = 1; argv[i] && !emulate; i++)
                        if (is_probe(argv[i])) {
                                emulate = true;
                                why = "emulated (compiler probe)";
                        }
        }
        if (!emulate && t->version_args) {
                /* Their version text names the machine they were built for. */
                for (size_t i = 1; argv[i] && !emulate; i++)
                        if (xh_strv_contains((char *const *)t->version_args, argv[i])) {
                                emulate = true;
                                why = "emulated (version probe)";
                        }
        }
        if (!emulate && t->strategy == XH_SHIM_PKGCONFIG) {
                for (size_t i = 1; argv[i] && !emulate; i++)
                        if (is_pkgconfig_probe(argv[i])) {
                                emulate = true;
                                why = "emulated (pkg-config probe)";
                        }
        }
        if (!emulate && t->strategy == XH_SHIM_IDENTITY && c->host_machine) {
                emulate = true;
                why = "emulated (uname(2) gives the host's machine: no supervisor)";
        }
        if (!emulate && t->strategy == XH_SHIM_SORT && sorts_general_numeric(argv)) {
                emulate = true;
                why = "emulated (general numeric sort: long double)";
        }
        if (!emulate && t->strategy == XH_SHIM_BINUTIL && loads_target_plugin(argv)) {
                emulate = true;
                why = "emulated (target plugin)";
        }
        if (emulate) {
                out->path = xh_asprintf("%s%s", XH_ORIG_DIR, exe);
                out->emulated = true;
                out->why = why;
                out->keep_answer = t->strategy == XH_SHIM_GCC &&
                                   strcmp(why, "emulated (compiler probe)") == 0 &&
                                   xh_shim_probe_cacheable(argv);
                for (size_t i = 0; argv[i]; i++)
                        xh_strv_push(&out->argv, argv[i]);
                return 0;
        }

        out->path = xh_asprintf("%s%s", XH_TOOLCHAIN_DIR, exe);
        switch (t->strategy) {
        case XH_SHIM_GCC:
                return gcc_native(c, t, argv, facts, out);
        case XH_SHIM_BASH:
                push_env(out, "HOSTTYPE", c->hosttype);
                push_env(out, "MACHTYPE", c->machtype);
                break;
        case XH_SHIM_PKGCONFIG:
                if (!facts) {
                        out->needs_facts = true;
                        free(out->path);
                        out->path = NULL;
                        return 0;
                }
                /* The target pkg-config's search path and system dirs. */
                push_env(out, "PKG_CONFIG_LIBDIR", facts->pc_path);
                push_env(out, "PKG_CONFIG_SYSTEM_LIBRARY_PATH", facts->pc_libs);
                push_env(out, "PKG_CONFIG_SYSTEM_INCLUDE_PATH", facts->pc_incs);
                break;
        case XH_SHIM_NATIVE:
        case XH_SHIM_BINUTIL:
        case XH_SHIM_IDENTITY:
        case XH_SHIM_SORT:
                break;
        }
        for (size_t i = 0; argv[i]; i++)
                xh_strv_push(&out->argv, argv[i]);
        out->why = "native";
        return 0;
}

bool xh_shim_probe_cacheable(char *const *argv)
{
        /*
         * Questions about the driver and its installation alone. Not here:
         * -### and -v with other arguments (they name files and temporary
         * files), --help and --help= (their width follows the terminal), the
         * -print-*-name= and -print-libgcc-file-name probes (their answer is
         * whether a file exists in any of the driver's directories, which a
         * key of a few stats cannot follow).
         */
        static const char *const pure[] = {
                "-v",
                "--version",
                "-dumpmachine",
                "-dumpversion",
                "-dumpfullversion",
                "-dumpspecs",
                "-print-search-dirs",
                "-print-multiarch",
                "-print-multi-directory",
                "-print-multi-lib",
                "-print-multi-os-directory",
                "-print-sysroot",
                "-print-sysroot-headers-suffix",
        };
        if (!argv || !argv[0] || !argv[0][0] || !argv[1])
                return false;
        /* A relative path with a directory: the driver's prefix would follow the working directory.
         */
        if (argv[0][0] != '/' && strchr(argv[0], '/'))
                return false;
        for (size_t i = 1; argv[i]; i++) {
                bool known = false;
                for (size_t j = 0; j < XH_ARRAY_SIZE(pure) && !known; j++)
                        known = strcmp(argv[i], pure[j]) == 0;
                if (!known)
                        return false;
        }
        return true;
}

/* Environment variables that change a probe's answer (see xh_shim_probe_key). */
static bool probe_env(const char *e)
{
        static const char *const names[] = {"PATH", "LANG", "LANGUAGE", "COMPILER_PATH",
                                            "LIBRARY_PATH"};
        static const char *const prefixes[] = {"LC_", "GCC_", "COLLECT_", "QEMU_"};
        size_t n = strcspn(e, "=");
        if (!e[n])
                return false;
        for (size_t i = 0; i < XH_ARRAY_SIZE(names); i++)
                if (strlen(names[i]) == n && strncmp(e, names[i], n) == 0)
                        return true;
        for (size_t i = 0; i < XH_ARRAY_SIZE(prefixes); i++)
                if (starts_with(e, prefixes[i]))
                        return true;
        return false;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One "KIND VALUE" line of a key; '\\' and a newline in VALUE escaped. */
static void key_line(xh_buf *b, const char *kind, const char *value)
{
        xh_buf_add(b, kind);
        xh_buf_add(b, " ");
        for (const char *c = value; *c; c++) {
                if (*c == '\\')
                        xh_buf_add(b, "\\\\");
                else if (*c == '\n')
                        xh_buf_add(b, "\\n");
                else
                        xh_buf_addn(b, c, 1);
        }
        xh_buf_add(b, "\n");
}

char *xh_shim_probe_key(const char *exe, char *const *ids, char *const *argv, char *const *envp)
{
        xh_buf b = {0};
        xh_buf_add(&b, "xhybrid-probe-key 1\n");
        key_line(&b, "exe", exe ? exe : "");
        for (char *const *i = ids; i && *i; i++)
                key_line(&b, "id", *i);
        for (char *const *a = argv; a && *a; a++)
                key_line(&b, "arg", *a);
        /* The first of each name, as getenv finds it, in the order of names. */
        _cleanup_strv_ char **env = xh_malloc(sizeof(char *));
        for (char *const *e = envp; e && *e; e++) {
                if (!probe_env(*e))
                        continue;
                size_t n = strcspn(*e, "=") + 1;
                bool seen = false;
                for (char **k = env; *k && !seen; k++)
                        seen = strncmp(*k, *e, n) == 0;
                if (!seen)
                        xh_strv_push(&env, *e);
        }
        qsort(env, xh_strv_len(env), sizeof(char *), cmp_str);
        for (char **e = env; *e; e++)
                key_line(&b, "env", *e);
        return xh_buf_steal(&b);
}

#define ANSWER_MAGIC "xhybrid-probe 1 "

char *xh_shim_answer_format(const char *key, const struct xh_shim_answer *a, size_t *len)
{
        xh_buf b = {0};
        size_t kl = strlen(key);
        xh_buf_addf(&b, ANSWER_MAGIC "%d %zu %zu %zu\n", a->status, kl, a->out_len, a->err_len);
        xh_buf_addn(&b, key, kl);
        if (a->out_len)
                xh_buf_addn(&b, a->out, a->out_len);
        if (a->err_len)
                xh_buf_addn(&b, a->err, a->err_len);
        *len = b.len;
        return xh_buf_steal(&b);
}

/* A decimal number of at most max, then sep; advances *s. */
static bool take_number(const char **s, const char *end, char sep, size_t max, size_t *v)
{
        const char *p = *s;
        size_t n = 0;
        if (p >= end || *p < '0' || *p > '9' || (*p == '0' && p + 1 < end && p[1] != sep))
                return false;
        for (; p < end && *p >= '0' && *p <= '9'; p++) {
                n = n * 10 + (size_t)(*p - '0');
                if (n > max)
                        return false;
        }
        if (p >= end || *p != sep)
                return false;
        *v = n;
        *s = p + 1;
        return true;
}

/* n bytes, NULs included, and a NUL after them. */
static char *dup_bytes(const char *s, size_t n)
{
        char *d = xh_malloc(n + 1);
        memcpy(d, s, n);
        d[n] = '\0';
        return d;
}

bool xh_shim_answer_parse(const char *data, size_t len, const char *key, struct xh_shim_answer *a)
{
        *a = (struct xh_shim_answer){0};
        const char *s = data, *end = data + len;
        size_t ml = strlen(ANSWER_MAGIC), status, kl, ol, el;
        if (!data || len < ml || memcmp(s, ANSWER_MAGIC, ml) != 0)
                return false;
        s += ml;
        if (!take_number(&s, end, ' ', 255, &status) ||
            !take_number(&s, end, ' ', XH_SHIM_ANSWER_MAX, &kl) ||
            !take_number(&s, end, ' ', XH_SHIM_ANSWER_MAX, &ol) ||
            !take_number(&s, end, '\n', XH_SHIM_ANSWER_MAX, &el))
                return false;
        if ((size_t)(end - s) != kl + ol + el || kl != strlen(key) || memcmp(s, key, kl) != 0 ||
            ol + el > XH_SHIM_ANSWER_MAX)
                return false;
        s += kl;
        a->status = (int)status;
        a->out = dup_bytes(s, ol);
        a->out_len = ol;
        a->err = dup_bytes(s + ol, el);
        a->err_len = el;
        return true;
}

void xh_shim_answer_clear(struct xh_shim_answer *a)
{
        free(a->out);
        free(a->err);
        *a = (struct xh_shim_answer){0};
}

char **xh_shim_parse_incdirs(const char *text)
{
        char **dirs = xh_malloc(sizeof(char *));
        const char *s = strstr(text, "#include <...> search starts here:");
        if (!s)
                return dirs;
        s = strchr(s, '\n');
        while (s && *s == '\n') {
                s++;
                size_t n = strcspn(s, "\n");
                if (n == 0 || s[0] != ' ')
                        break;
                _cleanup_free_ char *d = xh_strndup(s + 1, n - 1);
                xh_strv_push(&dirs, d);
                s += n;
        }
        return dirs;
}

char *xh_shim_parse_personality(const char *dump, const char *key)
{
        size_t kl = strlen(key);
        for (const char *s = dump; s && *s;) {
                size_t n = strcspn(s, "\n");
                if (strncmp(s, key, kl) == 0 && s[kl] == ':') {
                        _cleanup_free_ char *v = xh_strndup(s + kl + 1, n - kl - 1);
                        _cleanup_strv_ char **parts = xh_strv_split(v, " \t");
                        return xh_strv_join(parts, ":");
                }
                s += n + (s[n] == '\n');
        }
        return NULL;
}

char *xh_shim_facts_format(const struct xh_shim_facts *f)
{
        xh_buf b = {0};
        for (char **d = f->inc_c; d && *d; d++)
                xh_buf_addf(&b, "c:%s\n", *d);
        for (char **d = f->inc_cxx; d && *d; d++)
                xh_buf_addf(&b, "c++:%s\n", *d);
        if (f->pc_path)
                xh_buf_addf(&b, "pc_path:%s\n", f->pc_path);
        if (f->pc_libs)
                xh_buf_addf(&b, "pc_libs:%s\n", f->pc_libs);
        if (f->pc_incs)
                xh_buf_addf(&b, "pc_incs:%s\n", f->pc_incs);
        return xh_buf_steal(&b);
}

/* A value given again replaces the one before (a cache file is not trusted to have each once). */
static void replace_value(char **field, const char *value)
{
        free(*field);
        *field = xh_strdup(value);
}

bool xh_shim_facts_parse(const char *text, struct xh_shim_facts *f)
{
        *f = (struct xh_shim_facts){0};
        f->inc_c = xh_malloc(sizeof(char *));
        f->inc_cxx = xh_malloc(sizeof(char *));
        _cleanup_strv_ char **lines = xh_strv_split(text, "\n");
        for (char **l = lines; *l; l++) {
                if (strncmp(*l, "c:", 2) == 0)
                        xh_strv_push(&f->inc_c, *l + 2);
                else if (strncmp(*l, "c++:", 4) == 0)
                        xh_strv_push(&f->inc_cxx, *l + 4);
                else if (strncmp(*l, "pc_path:", 8) == 0)
                        replace_value(&f->pc_path, *l + 8);
                else if (strncmp(*l, "pc_libs:", 8) == 0)
                        replace_value(&f->pc_libs, *l + 8);
                else if (strncmp(*l, "pc_incs:", 8) == 0)
                        replace_value(&f->pc_incs, *l + 8);
        }
        if (f->inc_c[0] || f->pc_path)
                return true;
        xh_shim_facts_clear(f);
        return false;
}

void xh_shim_facts_clear(struct xh_shim_facts *f)
{
        xh_strv_free(f->inc_c);
        xh_strv_free(f->inc_cxx);
        free(f->pc_path);
        free(f->pc_libs);
        free(f->pc_incs);
        *f = (struct xh_shim_facts){0};
}
