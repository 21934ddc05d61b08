/* SPDX-License-Identifier: MIT */
/*
 * Fuzz harness of the shim's decision (xh_shim_decide): what a build may
 * throw at a shimmed tool, its argv and $XHYBRID_EMULATE, and the path it
 * was started as, against the configurations sessions write. The input:
 *
 *   byte 0       bits 0-1: which configuration (configs[] below)
 *                bit 2: facts given on the first call
 *                bit 3: XHYBRID_EMULATE set (the first field is its value)
 *                bit 4: the compile cache on (ccache= added to the configuration)
 *   then         NUL-separated fields: [XHYBRID_EMULATE] exe argv[0] argv[1] ...
 *
 * A run either fails with a message (an unknown tool, a bad invocation) or
 * says what to execute, as shim.h promises; a run that needs the facts is
 * asked again with them, as shim/main.c does.
 */
#include "fuzz.h"
#include "shim.h"

static const char *const configs[] = {
        /* what an arm64 session writes, and with the profile's emulate list */
        "triplet=aarch64-linux-gnu\ngcc_libdir=/usr/lib/gcc/aarch64-linux-gnu/12\n"
        "hosttype=aarch64\nmachtype=aarch64-unknown-linux-gnu\nemulate=\n",
        "triplet=aarch64-linux-gnu\ngcc_libdir=/usr/lib/gcc/aarch64-linux-gnu/12\n"
        "hosttype=aarch64\nmachtype=aarch64-unknown-linux-gnu\nemulate=objdump,tail\n",
        /* only the required keys */
        "triplet=aarch64-linux-gnu\ngcc_libdir=/usr/lib/gcc/aarch64-linux-gnu/12\n",
        /* armhf */
        "triplet=arm-linux-gnueabihf\ngcc_libdir=/usr/lib/gcc/arm-linux-gnueabihf/12\n"
        "hosttype=arm\nmachtype=arm-unknown-linux-gnueabihf\nemulate=gcc,make\n",
};

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
        static const char *const cxx[] = {"/usr/include/c++/12", "/usr/include/c++/12/backward",
                                          "/usr/include", NULL};
        *f = (struct xh_shim_facts){
                .inc_c = strv_of(c),
                .inc_cxx = strv_of(cxx),
                .pc_path = xh_strdup("/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig"),
                .pc_libs = xh_strdup("/usr/lib/aarch64-linux-gnu"),
                .pc_incs = xh_strdup("/usr/include"),
        };
}

static bool starts_with(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

#define CCACHE XH_TOOLCHAIN_DIR "/usr/bin/ccache"

/* What shim.h promises of a decision to execute something. */
static void check_exec(const struct xh_shim_exec *x, const char *exe, char *const *argv)
{
        FUZZ_CHECK(!x->needs_facts && x->path && x->argv && x->argv[0] && x->setenv && x->why,
                   "an incomplete decision for %s", exe);
        if (strcmp(x->path, CCACHE) == 0) {
                /*
                 * Through the compile cache: "ccache LINK ARGS...", configured by the
                 * session's file alone; the rest as for the driver itself.
                 */
                FUZZ_CHECK(!x->emulated && x->link_at && strcmp(x->argv[0], "ccache") == 0 &&
                                   x->argv[1] && strcmp(x->argv[1], x->link_at) == 0,
                           "a cached run of %s: %s %s", exe, x->argv[0], x->why);
                FUZZ_CHECK(x->unset_prefix && strcmp(x->unset_prefix, "CCACHE_") == 0 &&
                                   x->setenv[0] &&
                                   strcmp(x->setenv[0], "CCACHE_CONFIGPATH=" XH_CCACHE_CONF) == 0 &&
                                   !x->setenv[1],
                           "the cache's environment");
                FUZZ_CHECK(strstr(x->why, "compile cache") != NULL, "why '%s'", x->why);
                struct xh_shim_exec d = *x;
                d.path = x->link_to;
                d.argv = x->argv + 1;
                d.setenv = (char *[]){NULL};
                d.unset_prefix = NULL;
                check_exec(&d, exe, argv);
                return;
        }
        FUZZ_CHECK(!x->unset_prefix, "variables removed without the cache");
        const char *dir = x->emulated ? XH_ORIG_DIR : XH_TOOLCHAIN_DIR;
        FUZZ_CHECK(starts_with(x->path, dir) && strcmp(x->path + strlen(dir), exe) == 0,
                   "path '%s' for %s", x->path, exe);
        FUZZ_CHECK(starts_with(x->why, x->emulated ? "emulated" : "native"), "why '%s'", x->why);
        if (x->emulated) {
                /* The target's program gets the arguments exactly as given. */
                size_t n = xh_strv_len(argv);
                FUZZ_CHECK(xh_strv_len(x->argv) == n, "emulated argv of another length");
                for (size_t i = 0; i < n; i++)
                        FUZZ_CHECK(strcmp(x->argv[i], argv[i]) == 0, "emulated argv[%zu]", i);
                FUZZ_CHECK(!x->link_at && !x->setenv[0], "an emulated run with fixups");
        }
        for (char **e = x->setenv; *e; e++) {
                const char *eq = strchr(*e, '=');
                FUZZ_CHECK(eq && eq > *e, "setenv '%s'", *e);
        }
        FUZZ_CHECK(!x->link_at == !x->link_to, "half a link");
        if (x->link_at) {
                /* The driver's name: one file in the run directory, leading to the program. */
                const char *dir_names = XH_RUN_DIR "/names/";
                FUZZ_CHECK(starts_with(x->link_at, dir_names), "link at '%s'", x->link_at);
                const char *name = x->link_at + strlen(dir_names);
                FUZZ_CHECK(*name && !strchr(name, '/') && strcmp(name, ".") != 0 &&
                                   strcmp(name, "..") != 0,
                           "link name '%s'", name);
                FUZZ_CHECK(strcmp(x->link_to, x->path) == 0, "link to '%s'", x->link_to);
                FUZZ_CHECK(strcmp(x->argv[0], x->link_at) == 0, "argv[0] '%s'", x->argv[0]);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        uint8_t flags = data[0];
        /* The fields: split the rest at NUL bytes (the last one needs none). */
        _cleanup_strv_ char **fields = xh_malloc(sizeof(char *));
        *fields = NULL;
        for (size_t i = 1; i < size;) {
                const uint8_t *end = memchr(data + i, '\0', size - i);
                size_t n = end ? (size_t)(end - (data + i)) : size - i;
                _cleanup_free_ char *f = xh_strndup((const char *)data + i, n);
                xh_strv_push(&fields, f);
                i += n + 1;
        }
        char **next = fields;
        const char *emulate = NULL;
        if (flags & 8) {
                if (!*next)
                        return 0;
                emulate = *next++;
        }
        const char *exe = *next ? *next++ : NULL;
        char *const *argv = next;

        struct xh_shim_config c;
        xh_error err = {0};
        _cleanup_free_ char *conf =
                xh_asprintf("%s%s", configs[flags & 3], (flags & 16) ? "ccache=" CCACHE "\n" : "");
        int r = xh_shim_config_parse(conf, &c, &err);
        FUZZ_CHECK(r == 0, "configuration %d: %s", flags & 3, err.msg);
        struct xh_shim_facts facts;
        facts_init(&facts);

        struct xh_shim_exec x;
        r = xh_shim_decide(&c, exe, argv, emulate, (flags & 4) ? &facts : NULL, &x, &err);
        if (r < 0) {
                FUZZ_CHECK(err.msg && err.code == -r, "an error without a message");
                FUZZ_CHECK(!x.path && !x.argv && !x.setenv && !x.link_at, "an error with a result");
                xh_error_clear(&err);
        } else if (x.needs_facts) {
                FUZZ_CHECK(!(flags & 4), "facts needed when given");
                FUZZ_CHECK(!x.path, "a path while facts are needed");
                xh_shim_exec_clear(&x);
                r = xh_shim_decide(&c, exe, argv, emulate, &facts, &x, &err);
                FUZZ_CHECK(r == 0, "the second call failed: %s", err.msg);
                check_exec(&x, exe, argv);
        } else {
                check_exec(&x, exe, argv);
        }
        xh_shim_exec_clear(&x);
        xh_shim_facts_clear(&facts);
        xh_shim_config_clear(&c);
        return 0;
}
