/* SPDX-License-Identifier: MIT */
/*
 * The compile cache: Debian's ccache from the toolchain layer. In a hybrid
 * session with the cache on, the shim runs every native compile and link as
 * "ccache DRIVER ARGS..." with CCACHE_CONFIGPATH naming the configuration
 * written here (read-only in the session) and no other CCACHE_ variable, so
 * that nothing of the caller's or the target's changes how results are
 * keyed. The cache directory of the host is bound at XH_CCACHE_DIR.
 *
 * What the key holds (docs/hybrid.md#the-compile-cache): the preprocessed
 * source (preprocessor mode only: every header the compile reads, found the
 * way the target's compiler finds it, so a changed or a new header in the
 * root changes the key), the arguments (the target's include dirs among
 * them), the working directory when debug information is made, and the
 * compiler by content: its driver, cc1 and cc1plus, the assembler, and the
 * toolchain layer's dpkg status, which names every library they load.
 * Paths in the key are the session's (/.xhybrid/...), never the store's.
 *
 * stats and clear run the toolchain layer's ccache on the host, through the
 * layer's own program loader and libraries.
 */
#include "session.h"
#include "emulator.h"
#include "xh-paths.h"

#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>

char *xh_cache_path(const char *store, const struct xh_profile *p)
{
        if (p->cache_dir)
                return xh_strdup(p->cache_dir);
        return xh_asprintf("%s/cache/%s/ccache", store, p->name);
}

static bool is_file(const char *path)
{
        struct stat st;
        return lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

char **xh_cache_compiler_files(const char *tc, const char *triplet)
{
        char **v = xh_malloc(sizeof(char *));
        /* Where Debian's cross compilers keep cc1: libexec since gcc 13, lib before. */
        static const char *const bases[] = {"/usr/libexec/gcc-cross", "/usr/lib/gcc-cross"};
        static const char *const progs[] = {"cc1", "cc1plus"};
        for (size_t b = 0; b < XH_ARRAY_SIZE(bases); b++) {
                _cleanup_free_ char *dir = xh_asprintf("%s%s/%s", tc, bases[b], triplet);
                DIR *d = opendir(dir);
                if (!d)
                        continue;
                struct dirent *e;
                while ((e = readdir(d))) {
                        if (e->d_name[0] == '.')
                                continue;
                        for (size_t i = 0; i < XH_ARRAY_SIZE(progs); i++) {
                                _cleanup_free_ char *in = xh_asprintf("%s/%s/%s/%s", bases[b],
                                                                      triplet, e->d_name, progs[i]);
                                _cleanup_free_ char *host = xh_asprintf("%s%s", tc, in);
                                if (is_file(host))
                                        xh_strv_pushf(&v, "%s%s", XH_TOOLCHAIN_DIR, in);
                        }
                }
                closedir(d);
        }
        _cleanup_free_ char *as = xh_asprintf("/usr/bin/%s-as", triplet);
        _cleanup_free_ char *as_real = xh_resolve_in_root(tc, as);
        _cleanup_free_ char *as_host = as_real ? xh_asprintf("%s%s", tc, as_real) : NULL;
        if (as_host && is_file(as_host))
                xh_strv_pushf(&v, "%s%s", XH_TOOLCHAIN_DIR, as_real);
        _cleanup_free_ char *status = xh_asprintf("%s/var/lib/dpkg/status", tc);
        if (is_file(status))
                xh_strv_push(&v, XH_TOOLCHAIN_DIR "/var/lib/dpkg/status");
        qsort(v, xh_strv_len(v), sizeof(char *), cmp_str);
        return v;
}

char *xh_cache_config(char *const *files, const char *prefix)
{
        _cleanup_free_ char *extra = xh_strv_join(files, ":");
        _cleanup_free_ char *pre =
                prefix ? xh_asprintf("# A miss compiles through distcc (--distribute).\n"
                                     "prefix_command = %s\n",
                                     prefix)
                       : xh_strdup("");
        return xh_asprintf(
                "# The compile cache of this session, written by xhybrid: every result is keyed\n"
                "# on what makes it (docs/hybrid.md). CCACHE_ variables are not used.\n"
                "cache_dir = " XH_CCACHE_DIR "\n"
                "temporary_dir = " XH_CCACHE_TMP "\n"
                "# The compiler by its contents, never its times: its driver, and these files.\n"
                "compiler_check = content\n"
                "compiler_type = gcc\n"
                "extra_files_to_hash = %s\n"
                "# The preprocessed source, not a list of the headers an earlier compile read:\n"
                "# a header added where the search finds it first changes the key.\n"
                "direct_mode = false\n"
                "depend_mode = false\n"
                "run_second_cpp = true\n"
                "# No path rewritten, nothing taken for granted.\n"
                "hash_dir = true\n"
                "base_dir =\n"
                "sloppiness =\n"
                "hard_link = false\n"
                "file_clone = false\n"
                "remote_storage =\n"
                "read_only = false\n"
                "recache = false\n"
                "%s",
                extra, pre);
}

enum stat_group {
        G_HITS,
        G_MISSES,
        G_LINKS,
        G_PREPROCESS,
        G_FAILED,
        G_OTHER,
        G_FILES,
        G_SIZE,
        G_MAX
};

/* The counters of ccache 4 that count calls, and what the sizes are; others are ignored. */
static const struct {
        const char *name;
        enum stat_group group;
} counters[] = {
        {"direct_cache_hit", G_HITS},
        {"preprocessed_cache_hit", G_HITS},
        {"cache_miss", G_MISSES},
        {"called_for_link", G_LINKS},
        {"called_for_preprocessing", G_PREPROCESS},
        {"compile_failed", G_FAILED},
        {"preprocessor_error", G_FAILED},
        {"autoconf_test", G_OTHER},
        {"bad_compiler_arguments", G_OTHER},
        {"bad_input_file", G_OTHER},
        {"bad_output_file", G_OTHER},
        {"compiler_check_failed", G_OTHER},
        {"compiler_produced_empty_output", G_OTHER},
        {"compiler_produced_no_output", G_OTHER},
        {"compiler_produced_stdout", G_OTHER},
        {"could_not_find_compiler", G_OTHER},
        {"could_not_use_modules", G_OTHER},
        {"could_not_use_precompiled_header", G_OTHER},
        {"disabled", G_OTHER},
        {"error_hashing_extra_file", G_OTHER},
        {"internal_error", G_OTHER},
        {"missing_cache_file", G_OTHER},
        {"modified_input_file", G_OTHER},
        {"multiple_source_files", G_OTHER},
        {"no_input_file", G_OTHER},
        {"output_to_stdout", G_OTHER},
        {"unsupported_code_directive", G_OTHER},
        {"unsupported_compiler_option", G_OTHER},
        {"unsupported_environment_variable", G_OTHER},
        {"unsupported_source_language", G_OTHER},
        {"files_in_cache", G_FILES},
        {"cache_size_kibibyte", G_SIZE},
        {"max_cache_size_kibibyte", G_MAX},
};

static unsigned long long *group_field(struct xh_cache_stats *s, enum stat_group g)
{
        switch (g) {
        case G_HITS:
                return &s->hits;
        case G_MISSES:
                return &s->misses;
        case G_LINKS:
                return &s->links;
        case G_PREPROCESS:
                return &s->preprocess;
        case G_FAILED:
                return &s->failed;
        case G_OTHER:
                return &s->other;
        case G_FILES:
                return &s->files;
        case G_SIZE:
                return &s->size_kib;
        case G_MAX:
                return &s->max_kib;
        }
        return NULL;
}

int xh_cache_stats_parse(const char *text, struct xh_cache_stats *s)
{
        bool found = false;
        for (const char *l = text; l && *l;) {
                size_t n = strcspn(l, "\n");
                size_t k = strcspn(l, "\t");
                if (k < n) {
                        _cleanup_free_ char *value = xh_strndup(l + k + 1, n - k - 1);
                        char *end = NULL;
                        errno = 0;
                        unsigned long long v = strtoull(value, &end, 10);
                        bool number = *value >= '0' && *value <= '9' && !*end && errno == 0;
                        for (size_t i = 0; number && i < XH_ARRAY_SIZE(counters); i++) {
                                if (strlen(counters[i].name) != k ||
                                    strncmp(counters[i].name, l, k) != 0)
                                        continue;
                                *group_field(s, counters[i].group) += v;
                                found |= counters[i].group == G_MISSES;
                        }
                }
                l += n + (l[n] == '\n');
        }
        return found ? 0 : -EINVAL;
}

void xh_cache_stats_clear(struct xh_cache_stats *s)
{
        free(s->dir);
        *s = (struct xh_cache_stats){0};
}

/*
 * Run the toolchain layer's ccache with args on the cache at dir: through
 * the layer's program loader with its libraries, its configuration empty
 * (no file of the host's or the layer's), no other CCACHE_ variable.
 */
static int run_ccache(const char *store, const struct xh_profile *p, const char *dir,
                      const char *const *args, char **out, xh_error *err)
{
        int r = xh_store_check(store, p, XH_TREE_TOOLCHAIN, true, err);
        if (r < 0)
                return r;
        _cleanup_close_ int lock_fd = -1;
        if ((r = xh_store_use_tree(store, p, XH_TREE_TOOLCHAIN, "try again", &lock_fd, err)) < 0)
                return r;
        _cleanup_free_ char *tc = xh_store_toolchain_rootfs(store, p);
        _cleanup_free_ char *prog = xh_asprintf("%s%s", tc, XH_CCACHE_PROG);
        if (!is_file(prog)) {
                xh_fail(err, ENOENT, "the toolchain layer of profile '%s' has no ccache (%s)",
                        p->name, prog);
                return xh_hint(err, ENOENT,
                               "add ccache to the profile's [toolchain] packages and run "
                               "'xhybrid create %s'",
                               p->name);
        }
        struct xh_elf_info elf = {0};
        if ((r = xh_elf_inspect(prog, &elf, err)) < 0)
                return r;
        _cleanup_free_ char *interp = steal_pointer(&elf.interpreter);
        xh_elf_info_clear(&elf);
        _cleanup_free_ char *loader_in = interp ? xh_resolve_in_root(tc, interp) : NULL;
        if (!loader_in)
                return xh_fail(err, ENOENT, "%s: its program loader %s is not in %s", prog,
                               interp ? interp : "(none)", tc);
        _cleanup_free_ char *loader = xh_asprintf("%s%s", tc, loader_in);
        const char *host = xh_arch_host()->triplet;
        _cleanup_free_ char *libs = xh_asprintf("%s/usr/lib/%s:%s/lib/%s:%s/usr/lib:%s/lib", tc,
                                                host, tc, host, tc, tc);
        _cleanup_free_ char *env_dir = xh_asprintf("CCACHE_DIR=%s", dir);
        char *const envp[] = {env_dir, "CCACHE_CONFIGPATH=/dev/null", "PATH=/usr/bin:/bin",
                              "LC_ALL=C", NULL};
        _cleanup_strv_ char **argv = xh_malloc(sizeof(char *));
        xh_strv_push(&argv, loader);
        xh_strv_push(&argv, "--inhibit-cache");
        xh_strv_push(&argv, "--library-path");
        xh_strv_push(&argv, libs);
        xh_strv_push(&argv, prog);
        for (const char *const *a = args; *a; a++)
                xh_strv_push(&argv, *a);
        /* Stats come on stdout; what clear says there ("Statistics zeroed") is dropped. */
        struct xh_spawn sp = {.argv = argv, .envp = envp, .capture_fd = out ? 1 : 2, .quiet = true};
        _cleanup_free_ char *said = NULL;
        xh_error e = {0};
        if ((r = xh_spawn(&sp, out ? out : &said, NULL, &e)) < 0) {
                _cleanup_free_ char *args_text = xh_strv_join((char *const *)args, " ");
                if (said)
                        said[strcspn(said, "\n")] = '\0';
                xh_fail(err, -r, "ccache %s on %s failed (%s): %s", args_text, dir, prog,
                        said && *said ? said : e.msg);
                xh_error_clear(&e);
        }
        return r;
}

static int read_stats(const char *store, const struct xh_profile *p, const char *dir,
                      struct xh_cache_stats *s, xh_error *err)
{
        *s = (struct xh_cache_stats){.dir = dir ? xh_strdup(dir) : xh_cache_path(store, p)};
        struct stat st;
        if (stat(s->dir, &st) < 0) {
                if (errno == ENOENT)
                        return 0;
                return xh_fail(err, errno, "%s: %s", s->dir, strerror(errno));
        }
        if (!S_ISDIR(st.st_mode))
                return xh_fail(err, ENOTDIR, "the cache of profile '%s' (%s) is not a directory",
                               p->name, s->dir);
        s->exists = true;
        static const char *const args[] = {"--print-stats", NULL};
        _cleanup_free_ char *out = NULL;
        int r = run_ccache(store, p, s->dir, args, &out, err);
        if (r < 0)
                return r;
        if (xh_cache_stats_parse(out ? out : "", s) < 0)
                return xh_fail(err, EINVAL, "ccache --print-stats gave no counters for %s", s->dir);
        return 0;
}

int xh_cache_stats(const char *store, const struct xh_profile *p, const char *dir,
                   struct xh_cache_stats *s, xh_error *err)
{
        int r = read_stats(store, p, dir, s, err);
        if (r < 0)
                xh_cache_stats_clear(s);
        return r;
}

int xh_cache_clear(const char *store, const struct xh_profile *p, struct xh_cache_stats *before,
                   xh_error *err)
{
        struct xh_cache_stats s;
        int r = read_stats(store, p, NULL, &s, err);
        if (r == 0 && s.exists) {
                static const char *const args[] = {"--clear", "--zero-stats", NULL};
                r = run_ccache(store, p, s.dir, args, NULL, err);
        }
        if (r < 0 || !before)
                xh_cache_stats_clear(&s);
        else
                *before = s;
        return r;
}
