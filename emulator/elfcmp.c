/* SPDX-License-Identifier: MIT */
/*
 * Comparison of two ELF files or ar archives. Every byte of both files is
 * accounted for: the ELF header and the program and section header tables
 * field by field, the contents of each section (sections matched by position
 * and name), and the bytes between the sections and after the last of them.
 * A file whose tables or sections lie past its end, or that libelf rejects,
 * is a difference that names the file and what is wrong with it.
 *
 * The sections to ignore may differ in contents and size. A section that
 * changes size moves the ones after it in the file without changing what is
 * loaded, so where offsets differ they are not compared, and neither is the
 * zero padding that moves with the sections; any other byte outside the
 * sections still is. With nothing to ignore, differing offsets are a
 * difference too ("section offsets differ"), and two files without any
 * difference are the same byte for byte.
 *
 * ar archives are read here rather than with libelf, which quietly cuts a
 * truncated member to the end of the file: member by member, each member
 * header, ELF members as above, other members byte for byte. The archive
 * symbol table holds member offsets, which move when a member changes size;
 * with sections to ignore it is compared as symbol names and the members
 * they point to.
 */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "elf-private.h"
#include "emulator.h"

#define AR_MAGIC     "!<arch>\n"
#define AR_MAGIC_LEN 8
#define AR_HDR_LEN   60

/* A file, or an archive member, in memory. */
struct image {
        const char *name; /* for messages: PATH, or ARCHIVE(MEMBER) */
        char *data;
        size_t size;
};

struct cmp {
        char *const *ignore;
        bool layout; /* nothing ignored: file offsets and padding count */
        char ***diffs;
};

/* One difference, prefixed with the archive member it is in ("" or "MEMBER: "). */
#define DIFF(c, prefix, fmt, ...) xh_strv_pushf((c)->diffs, "%s" fmt, prefix, ##__VA_ARGS__)

static void elf_endp(Elf **elf)
{
        if (*elf)
                elf_end(*elf);
}
#define _cleanup_elf_ __attribute__((cleanup(elf_endp)))

static bool is_archive(const struct image *im)
{
        return im->size >= AR_MAGIC_LEN && memcmp(im->data, AR_MAGIC, AR_MAGIC_LEN) == 0;
}

static bool is_elf(const struct image *im)
{
        return im->size >= SELFMAG && memcmp(im->data, ELFMAG, SELFMAG) == 0;
}

static bool same_bytes(const struct image *a, size_t off_a, const struct image *b, size_t off_b,
                       size_t n)
{
        return n == 0 || memcmp(a->data + off_a, b->data + off_b, n) == 0;
}

/* libelf's view of an image, checked to lie inside it; NULL with the reason in err. */
static Elf *open_image(const struct image *im, xh_error *err)
{
        Elf *e = elf_memory(im->data, im->size);
        if (!e || elf_kind(e) != ELF_K_ELF) {
                if (e)
                        elf_end(e);
                xh_elf_not_elf((const unsigned char *)im->data,
                               im->size < EI_NIDENT ? im->size : EI_NIDENT, im->size, im->name,
                               err);
                return NULL;
        }
        if (xh_elf_check_extent(e, im->name, im->size, err) < 0) {
                elf_end(e);
                return NULL;
        }
        return e;
}

struct range {
        uint64_t start, end;
};

static int range_cmp(const void *x, const void *y)
{
        const struct range *a = x, *b = y;
        return a->start < b->start ? -1 : a->start > b->start;
}

/*
 * The bytes of an ELF image outside its headers and sections: those before
 * the end of the last of them into gaps (without zero bytes unless
 * keep_zeros), the offset where the bytes after them begin into *tail.
 */
static void outside(Elf *e, const struct image *im, bool keep_zeros, xh_buf *gaps, size_t *tail)
{
        GElf_Ehdr eh;
        size_t shnum = 0, phnum = 0, n = 0;
        gelf_getehdr(e, &eh);
        elf_getshdrnum(e, &shnum);
        elf_getphdrnum(e, &phnum);
        _cleanup_free_ struct range *r = xh_malloc((shnum + 3) * sizeof(*r));
        /* The header as libelf reads it: bytes past it are compared as padding. */
        r[n++] = (struct range){0, gelf_fsize(e, ELF_T_EHDR, 1, EV_CURRENT)};
        if (phnum > 0)
                r[n++] = (struct range){eh.e_phoff, eh.e_phoff + (uint64_t)phnum * eh.e_phentsize};
        if (eh.e_shoff != 0)
                r[n++] = (struct range){eh.e_shoff, eh.e_shoff + (uint64_t)shnum * eh.e_shentsize};
        for (size_t i = 1; i < shnum; i++) {
                GElf_Shdr sh;
                Elf_Scn *scn = elf_getscn(e, i);
                if (scn && gelf_getshdr(scn, &sh) && sh.sh_type != SHT_NOBITS && sh.sh_size > 0)
                        r[n++] = (struct range){sh.sh_offset, sh.sh_offset + sh.sh_size};
        }
        qsort(r, n, sizeof(*r), range_cmp);
        uint64_t pos = 0;
        for (size_t i = 0; i < n; i++) {
                uint64_t end = r[i].start < im->size ? r[i].start : im->size;
                if (keep_zeros && end > pos)
                        xh_buf_addn(gaps, im->data + pos, end - pos);
                for (uint64_t p = pos; !keep_zeros && p < end; p++)
                        if (im->data[p] != 0)
                                xh_buf_addn(gaps, im->data + p, 1);
                if (r[i].end > pos)
                        pos = r[i].end;
        }
        *tail = pos < im->size ? pos : im->size;
}

static const char *section_name(Elf *e, size_t shstrndx, size_t i, const GElf_Shdr *sh)
{
        static __thread char index_name[sizeof("section 18446744073709551615")];
        const char *n = i > 0 ? elf_strptr(e, shstrndx, sh->sh_name) : NULL;
        if (n && *n)
                return n;
        snprintf(index_name, sizeof(index_name), "section %zu", i);
        return index_name;
}

static bool same_section_header(const GElf_Shdr *x, const GElf_Shdr *y, bool layout)
{
        return x->sh_type == y->sh_type && x->sh_flags == y->sh_flags && x->sh_addr == y->sh_addr &&
               x->sh_link == y->sh_link && x->sh_info == y->sh_info &&
               x->sh_addralign == y->sh_addralign && x->sh_entsize == y->sh_entsize &&
               (!layout || x->sh_name == y->sh_name);
}

/* Compare two ELF images; differences are named with prefix (an archive member). */
static void compare_objects(struct cmp *c, const char *prefix, const struct image *a,
                            const struct image *b)
{
        xh_error err_a = {0}, err_b = {0};
        _cleanup_elf_ Elf *ea = open_image(a, &err_a);
        _cleanup_elf_ Elf *eb = open_image(b, &err_b);
        if (!ea || !eb) {
                if (!ea)
                        xh_strv_push(c->diffs, err_a.msg);
                if (!eb)
                        xh_strv_push(c->diffs, err_b.msg);
                xh_error_clear(&err_a);
                xh_error_clear(&err_b);
                return;
        }

        GElf_Ehdr ha, hb;
        size_t pa = 0, pb = 0, sa = 0, sb = 0, stra = 0, strb = 0;
        gelf_getehdr(ea, &ha);
        gelf_getehdr(eb, &hb);
        elf_getphdrnum(ea, &pa);
        elf_getphdrnum(eb, &pb);
        elf_getshdrnum(ea, &sa);
        elf_getshdrnum(eb, &sb);
        if (sa > 0)
                elf_getshdrstrndx(ea, &stra);
        if (sb > 0)
                elf_getshdrstrndx(eb, &strb);
        bool offsets_differ = c->layout && ha.e_shoff != hb.e_shoff;

        if (memcmp(ha.e_ident, hb.e_ident, EI_NIDENT) != 0 || ha.e_type != hb.e_type ||
            ha.e_machine != hb.e_machine || ha.e_version != hb.e_version ||
            ha.e_entry != hb.e_entry || ha.e_flags != hb.e_flags || ha.e_ehsize != hb.e_ehsize ||
            ha.e_phoff != hb.e_phoff || ha.e_phentsize != hb.e_phentsize || pa != pb ||
            ha.e_shentsize != hb.e_shentsize || stra != strb)
                DIFF(c, prefix, "ELF header differs");

        for (size_t i = 0; i < pa && i < pb; i++) {
                GElf_Phdr x, y;
                if (!gelf_getphdr(ea, (int)i, &x) || !gelf_getphdr(eb, (int)i, &y) ||
                    memcmp(&x, &y, sizeof(x)) != 0)
                        DIFF(c, prefix, "program header %zu differs", i);
        }

        if (sa != sb)
                DIFF(c, prefix, "section count differs (%zu vs %zu)", sa, sb);
        for (size_t i = 0; i < sa && i < sb; i++) {
                Elf_Scn *scn_a = elf_getscn(ea, i), *scn_b = elf_getscn(eb, i);
                GElf_Shdr x, y;
                if (!scn_a || !scn_b || !gelf_getshdr(scn_a, &x) || !gelf_getshdr(scn_b, &y)) {
                        DIFF(c, prefix, "section %zu differs (unreadable header)", i);
                        continue;
                }
                _cleanup_free_ char *name = xh_strdup(section_name(ea, stra, i, &x));
                const char *name_b = section_name(eb, strb, i, &y);
                if (strcmp(name, name_b) != 0) {
                        DIFF(c, prefix, "section %zu differs (%s vs %s)", i, name, name_b);
                        continue;
                }
                if (c->layout && x.sh_offset != y.sh_offset)
                        offsets_differ = true;
                if (!same_section_header(&x, &y, c->layout))
                        DIFF(c, prefix, "%s (section header) differs", name);
                if (i > 0 && xh_strv_contains(c->ignore, name))
                        continue;
                bool stored = i > 0 && x.sh_type != SHT_NOBITS && y.sh_type != SHT_NOBITS;
                if (x.sh_size != y.sh_size ||
                    (stored && !same_bytes(a, x.sh_offset, b, y.sh_offset, x.sh_size)))
                        DIFF(c, prefix, "%s differs", name);
        }
        if (offsets_differ)
                DIFF(c, prefix, "section offsets differ");

        /* Padding is compared exactly only where it has not moved. */
        xh_buf gap_a = {0}, gap_b = {0};
        size_t tail_a, tail_b;
        outside(ea, a, c->layout && !offsets_differ, &gap_a, &tail_a);
        outside(eb, b, c->layout && !offsets_differ, &gap_b, &tail_b);
        if (gap_a.len != gap_b.len || (gap_a.len && memcmp(gap_a.s, gap_b.s, gap_a.len) != 0))
                DIFF(c, prefix, "bytes between the sections differ");
        size_t after_a = a->size - tail_a, after_b = b->size - tail_b;
        if (after_a != after_b || !same_bytes(a, tail_a, b, tail_b, after_a))
                DIFF(c, prefix, "bytes after the end of the ELF contents differ (%zu vs %zu bytes)",
                     after_a, after_b);
        xh_buf_free(&gap_a);
        xh_buf_free(&gap_b);
}

struct member {
        char *name;      /* "a.o"; "/" or "/SYM64/" for the symbol table, "//" for long names */
        size_t header;   /* offset of the member header in the archive */
        struct image im; /* the member's contents */
};

static void members_free(struct member *m, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(m[i].name);
                free((char *)m[i].im.name);
        }
        free(m);
}

static bool is_symbol_table(const char *name)
{
        return strcmp(name, "/") == 0 || strcmp(name, "/SYM64/") == 0;
}

/* A space-padded decimal field of an ar member header. */
static bool ar_number(const char *field, size_t len, uint64_t *out)
{
        uint64_t v = 0;
        size_t i = 0;
        for (; i < len && field[i] >= '0' && field[i] <= '9'; i++)
                if (__builtin_mul_overflow(v, 10, &v) ||
                    __builtin_add_overflow(v, field[i] - '0', &v))
                        return false;
        if (i == 0)
                return false;
        for (; i < len; i++)
                if (field[i] != ' ')
                        return false;
        *out = v;
        return true;
}

/* A member's name: GNU "NAME/", "/OFFSET" into the long names, or the special "/", "//". */
static char *member_name(const char *field, const struct image *longnames)
{
        size_t n = 16;
        while (n > 0 && field[n - 1] == ' ')
                n--;
        if (n > 1 && field[0] == '/' && field[1] >= '0' && field[1] <= '9' && longnames) {
                uint64_t off;
                if (!ar_number(field + 1, 15, &off) || off >= longnames->size)
                        return NULL;
                const char *s = longnames->data + off;
                const char *nl = memchr(s, '\n', longnames->size - off);
                size_t len = nl ? (size_t)(nl - s) : 0;
                if (len == 0)
                        return NULL;
                if (s[len - 1] == '/')
                        len--;
                return xh_strndup(s, len);
        }
        if (n > 1 && field[n - 1] == '/' && !(n == 2 && field[0] == '/') &&
            strncmp(field, "/SYM64/", n) != 0)
                n--;
        return xh_strndup(field, n);
}

/* Split an archive into its members; -ENOEXEC with the reason when cut off or corrupt. */
static int read_archive(const struct image *ar, struct member **out, size_t *count, xh_error *err)
{
        struct member *m = NULL;
        size_t n = 0, pos = AR_MAGIC_LEN;
        const struct image *longnames = NULL;
        int r = 0;
        while (pos < ar->size) {
                const char *h = ar->data + pos;
                uint64_t size;
                if (ar->size - pos < AR_HDR_LEN) {
                        r = xh_fail(err, ENOEXEC,
                                    "%s: truncated archive or trailing bytes: %zu bytes at offset "
                                    "%zu, not a member",
                                    ar->name, ar->size - pos, pos);
                        break;
                }
                if (memcmp(h + 58, "`\n", 2) != 0 || !ar_number(h + 48, 10, &size)) {
                        r = xh_fail(err, ENOEXEC,
                                    "%s: corrupt archive: bad member header at offset %zu",
                                    ar->name, pos);
                        break;
                }
                char *name = member_name(h, longnames);
                if (!name) {
                        r = xh_fail(err, ENOEXEC,
                                    "%s: corrupt archive: bad long name at offset %zu", ar->name,
                                    pos);
                        break;
                }
                size_t data = pos + AR_HDR_LEN;
                if (size > ar->size - data) {
                        r = xh_fail(err, ENOEXEC,
                                    "%s: truncated archive: member %s past end of file", ar->name,
                                    name);
                        free(name);
                        break;
                }
                m = xh_realloc(m, (n + 1) * sizeof(*m));
                m[n] = (struct member){
                        name,
                        pos,
                        {xh_asprintf("%s(%s)", ar->name, name), ar->data + data, (size_t)size}};
                if (strcmp(name, "//") == 0)
                        longnames = &m[n].im;
                n++;
                /* Members start at even offsets; the last may lack its padding byte. */
                pos = data + size + (size & 1);
        }
        if (r < 0) {
                members_free(m, n);
                return r;
        }
        *out = m;
        *count = n;
        return 0;
}

/* Symbol names with the index of the member each points to; NULL when the table is corrupt. */
static char **symbols(const struct member *table, const struct member *m, size_t n)
{
        size_t w = strcmp(table->name, "/") == 0 ? 4 : 8;
        const unsigned char *d = (const unsigned char *)table->im.data;
        size_t size = table->im.size;
        uint64_t count = 0;
        if (size < w)
                return NULL;
        for (size_t k = 0; k < w; k++)
                count = count << 8 | d[k];
        if (count > (size - w) / w)
                return NULL;
        const char *names = (const char *)d + w + count * w;
        const char *end = (const char *)d + size;
        char **v = xh_malloc(sizeof(char *));
        for (uint64_t i = 0; i < count; i++) {
                uint64_t off = 0;
                for (size_t k = 0; k < w; k++)
                        off = off << 8 | d[w + i * w + k];
                size_t len = strnlen(names, (size_t)(end - names));
                size_t member = SIZE_MAX;
                for (size_t j = 0; j < n && member == SIZE_MAX; j++)
                        if (m[j].header == off)
                                member = j;
                if (names + len >= end || member == SIZE_MAX) {
                        xh_strv_free(v);
                        return NULL;
                }
                xh_strv_pushf(&v, "%s %zu", names, member);
                names += len + 1;
        }
        return v;
}

static bool same_strv(char *const *x, char *const *y)
{
        for (; *x && *y; x++, y++)
                if (strcmp(*x, *y) != 0)
                        return false;
        return !*x && !*y;
}

static void compare_archives(struct cmp *c, const struct image *a, const struct image *b)
{
        struct member *ma = NULL, *mb = NULL;
        size_t na = 0, nb = 0;
        xh_error err_a = {0}, err_b = {0};
        int ra = read_archive(a, &ma, &na, &err_a);
        int rb = read_archive(b, &mb, &nb, &err_b);
        if (ra < 0 || rb < 0) {
                if (ra < 0)
                        xh_strv_push(c->diffs, err_a.msg);
                if (rb < 0)
                        xh_strv_push(c->diffs, err_b.msg);
                xh_error_clear(&err_a);
                xh_error_clear(&err_b);
                members_free(ma, na);
                members_free(mb, nb);
                return;
        }
        if (na != nb)
                DIFF(c, "", "archive members differ (%zu vs %zu)", na, nb);
        for (size_t i = 0; i < na && i < nb; i++) {
                const struct member *x = &ma[i], *y = &mb[i];
                if (strcmp(x->name, y->name) != 0) {
                        DIFF(c, "", "archive member %zu differs (%s vs %s)", i + 1, x->name,
                             y->name);
                        continue;
                }
                _cleanup_free_ char *prefix = xh_asprintf("%s: ", x->name);
                /* Date, owner, group and mode; with the size when the layout counts. */
                size_t fields = c->layout ? 58 - 16 : 48 - 16;
                if (!same_bytes(a, x->header + 16, b, y->header + 16, fields))
                        DIFF(c, prefix, "member header differs");
                if (is_symbol_table(x->name) && !c->layout) {
                        _cleanup_strv_ char **sym_a = symbols(x, ma, na);
                        _cleanup_strv_ char **sym_b = symbols(y, mb, nb);
                        if (!sym_a || !sym_b || !same_strv(sym_a, sym_b))
                                DIFF(c, "", "archive symbol table differs%s",
                                     sym_a && sym_b ? "" : " (unreadable)");
                } else if (is_elf(&x->im) && is_elf(&y->im)) {
                        compare_objects(c, prefix, &x->im, &y->im);
                } else if (x->im.size != y->im.size ||
                           !same_bytes(&x->im, 0, &y->im, 0, x->im.size)) {
                        if (is_symbol_table(x->name))
                                DIFF(c, "", "archive symbol table differs");
                        else
                                DIFF(c, prefix, "contents differ");
                }
        }
        members_free(ma, na);
        members_free(mb, nb);
}

int xh_elf_compare(const char *path_a, const char *path_b, char *const *ignore, char ***diffs,
                   xh_error *err)
{
        *diffs = NULL;
        int r = xh_libelf_init(err);
        if (r < 0)
                return r;
        _cleanup_free_ char *data_a = NULL, *data_b = NULL;
        size_t size_a = 0, size_b = 0;
        if ((r = xh_read_file(path_a, &data_a, &size_a)) < 0)
                return xh_fail(err, -r, "%s: %s", path_a, strerror(-r));
        if ((r = xh_read_file(path_b, &data_b, &size_b)) < 0)
                return xh_fail(err, -r, "%s: %s", path_b, strerror(-r));

        *diffs = xh_malloc(sizeof(char *));
        struct cmp c = {ignore, !ignore || !ignore[0], diffs};
        struct image a = {path_a, data_a, size_a}, b = {path_b, data_b, size_b};
        if (is_archive(&a) != is_archive(&b))
                DIFF(&c, "", "file kind differs (%s vs %s)",
                     is_archive(&a) ? "ar archive" : "ELF file",
                     is_archive(&b) ? "ar archive" : "ELF file");
        else if (is_archive(&a))
                compare_archives(&c, &a, &b);
        else
                compare_objects(&c, "", &a, &b);
        return 0;
}
