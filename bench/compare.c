/* SPDX-License-Identifier: MIT */
/*
 * Compare two build trees made from the same source at the same path in two
 * modes: the set of files, configure's results (config.h and the
 * substitutions in config.status), and every ELF file section by section,
 * ignoring only .comment (the compiler's version text) and
 * .note.gnu.build-id (a hash over the rest).
 */
#include "bench.h"
#include "emulator.h"

#include <errno.h>
#include <ftw.h>
#include <string.h>
#include <sys/stat.h>

static const char *const ignored_sections[] = {".comment", ".note.gnu.build-id", NULL};

/* Collect the regular files under root, as paths relative to it, sorted. */
static size_t walk_skip;
static char ***walk_out;

static int walk_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)ftw;
        if (flag == FTW_F && S_ISREG(st->st_mode))
                xh_strv_push(walk_out, path + walk_skip);
        return 0;
}

static int strv_cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_files(const char *root, char ***out)
{
        *out = xh_malloc(sizeof(char *));
        walk_out = out;
        walk_skip = strlen(root) + 1;
        if (nftw(root, walk_one, 32, FTW_PHYS) < 0)
                return -errno;
        qsort(*out, xh_strv_len(*out), sizeof(char *), strv_cmp);
        return 0;
}

static bool is_elf(const char *path)
{
        FILE *f = fopen(path, "rbe");
        if (!f)
                return false;
        unsigned char m[8] = {0};
        size_t n = fread(m, 1, 8, f);
        fclose(f);
        /* ELF files and ar archives (of objects), both compared by sections. */
        return (n >= 4 && m[0] == 0x7f && m[1] == 'E' && m[2] == 'L' && m[3] == 'F') ||
               (n == 8 && memcmp(m, "!<arch>\n", 8) == 0);
}

static bool same_contents(const char *a, const char *b)
{
        _cleanup_free_ char *ta = NULL, *tb = NULL;
        size_t la = 0, lb = 0;
        if (xh_read_file(a, &ta, &la) < 0 || xh_read_file(b, &tb, &lb) < 0)
                return false;
        return la == lb && memcmp(ta, tb, la) == 0;
}

/* The substitutions of config.status: the S["NAME"]="VALUE" lines. */
static char **substitutions(const char *path)
{
        char **v = xh_malloc(sizeof(char *));
        _cleanup_free_ char *text = NULL;
        if (xh_read_file(path, &text, NULL) < 0)
                return v;
        for (char *l = text; l && *l;) {
                char *nl = strchr(l, '\n');
                if (nl)
                        *nl = '\0';
                if (strncmp(l, "S[\"", 3) == 0)
                        xh_strv_push(&v, l);
                l = nl ? nl + 1 : NULL;
        }
        return v;
}

int xh_compare_trees(const char *a, const char *b, struct xh_compare *c, xh_error *err)
{
        *c = (struct xh_compare){0};
        c->differences = xh_malloc(sizeof(char *));
        _cleanup_strv_ char **fa = NULL;
        _cleanup_strv_ char **fb = NULL;
        int r;
        if ((r = list_files(a, &fa)) < 0)
                return xh_fail(err, -r, "%s: %s", a, strerror(-r));
        if ((r = list_files(b, &fb)) < 0)
                return xh_fail(err, -r, "%s: %s", b, strerror(-r));

        for (char **f = fa; *f; f++)
                if (!xh_strv_contains(fb, *f))
                        xh_strv_pushf(&c->differences, "%s: only in %s", *f, a);
        for (char **f = fb; *f; f++)
                if (!xh_strv_contains(fa, *f))
                        xh_strv_pushf(&c->differences, "%s: only in %s", *f, b);

        for (char **f = fa; *f; f++) {
                if (!xh_strv_contains(fb, *f))
                        continue;
                _cleanup_free_ char *pa = xh_asprintf("%s/%s", a, *f);
                _cleanup_free_ char *pb = xh_asprintf("%s/%s", b, *f);
                const char *base = strrchr(*f, '/') ? strrchr(*f, '/') + 1 : *f;
                c->files++;
                if (strcmp(base, "config.h") == 0) {
                        c->config_headers++;
                        if (!same_contents(pa, pb))
                                xh_strv_pushf(&c->differences, "%s: contents differ", *f);
                        continue;
                }
                if (strcmp(base, "config.status") == 0) {
                        c->config_status++;
                        _cleanup_strv_ char **sa = substitutions(pa);
                        _cleanup_strv_ char **sb = substitutions(pb);
                        for (char **s = sa; *s; s++)
                                if (!xh_strv_contains(sb, *s))
                                        xh_strv_pushf(&c->differences,
                                                      "%s: substitution %.*s differs", *f,
                                                      (int)strcspn(*s, "="), *s);
                        continue;
                }
                bool ea = is_elf(pa), eb = is_elf(pb);
                if (ea != eb) {
                        xh_strv_pushf(&c->differences, "%s: ELF in one tree only", *f);
                        continue;
                }
                if (!ea)
                        continue;
                c->elf_files++;
                _cleanup_strv_ char **diffs = NULL;
                xh_error e = {0};
                if (xh_elf_compare(pa, pb, (char *const *)ignored_sections, &diffs, &e) < 0) {
                        xh_strv_pushf(&c->differences, "%s: %s", *f, e.msg);
                        xh_error_clear(&e);
                        continue;
                }
                for (char **d = diffs; *d; d++)
                        xh_strv_pushf(&c->differences, "%s: %s", *f, *d);
        }
        return 0;
}

void xh_compare_clear(struct xh_compare *c)
{
        xh_strv_free(c->differences);
        *c = (struct xh_compare){0};
}
