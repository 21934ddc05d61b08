/* SPDX-License-Identifier: MIT */
/*
 * Section-by-section comparison of two ELF files with libelf. Sections are
 * matched by position and name; headers are compared field by field except
 * file offsets (a differing ignored section, such as .comment, moves the
 * ones after it in the file without changing what is loaded).
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include <unistd.h>

#include "emulator.h"

struct elf_file {
        int fd;
        Elf *elf;
};

static void close_file(struct elf_file *f)
{
        if (f->elf)
                elf_end(f->elf);
        if (f->fd >= 0)
                close(f->fd);
}

static int open_file(const char *path, struct elf_file *f, xh_error *err)
{
        *f = (struct elf_file){.fd = -1};
        if (elf_version(EV_CURRENT) == EV_NONE)
                return xh_fail(err, EIO, "libelf: %s", elf_errmsg(-1));
        f->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (f->fd < 0)
                return xh_fail(err, errno, "%s: %s", path, strerror(errno));
        f->elf = elf_begin(f->fd, ELF_C_READ, NULL);
        if (!f->elf || (elf_kind(f->elf) != ELF_K_ELF && elf_kind(f->elf) != ELF_K_AR)) {
                close_file(f);
                return xh_fail(err, ENOEXEC, "%s: not an ELF file or archive", path);
        }
        return 0;
}

static const char *section_name(Elf *e, size_t shstrndx, const GElf_Shdr *sh)
{
        const char *n = elf_strptr(e, shstrndx, sh->sh_name);
        return n ? n : "?";
}

static bool same_data(Elf_Scn *a, Elf_Scn *b, const GElf_Shdr *sa)
{
        if (sa->sh_type == SHT_NOBITS)
                return true;
        Elf_Data *da = elf_rawdata(a, NULL), *db = elf_rawdata(b, NULL);
        if (!da || !db)
                return da == db;
        return da->d_size == db->d_size &&
               (da->d_size == 0 || memcmp(da->d_buf, db->d_buf, da->d_size) == 0);
}

/* Compare two ELF objects; differences are named with prefix (an archive member). */
static void compare_elf(Elf *ea_elf, Elf *eb_elf, const char *prefix, char *const *ignore,
                        char ***diffs)
{
        GElf_Ehdr ea, eb;
        size_t stra = 0, strb = 0;
        if (!gelf_getehdr(ea_elf, &ea) || !gelf_getehdr(eb_elf, &eb) ||
            elf_getshdrstrndx(ea_elf, &stra) < 0 || elf_getshdrstrndx(eb_elf, &strb) < 0) {
                xh_strv_pushf(diffs, "%sELF header (unreadable)", prefix);
                return;
        }
        if (memcmp(ea.e_ident, eb.e_ident, EI_NIDENT) != 0 || ea.e_type != eb.e_type ||
            ea.e_machine != eb.e_machine || ea.e_entry != eb.e_entry || ea.e_flags != eb.e_flags ||
            ea.e_phnum != eb.e_phnum || ea.e_phoff != eb.e_phoff)
                xh_strv_pushf(diffs, "%sELF header", prefix);

        for (size_t i = 0; i < ea.e_phnum && i < eb.e_phnum; i++) {
                GElf_Phdr pa, pb;
                if (!gelf_getphdr(ea_elf, (int)i, &pa) || !gelf_getphdr(eb_elf, (int)i, &pb))
                        continue;
                /* A note segment holds the build-id note; its placement is what counts. */
                if (memcmp(&pa, &pb, sizeof(pa)) != 0)
                        xh_strv_pushf(diffs, "%sprogram header %zu", prefix, i);
        }

        size_t na = 0, nb = 0;
        elf_getshdrnum(ea_elf, &na);
        elf_getshdrnum(eb_elf, &nb);
        if (na != nb)
                xh_strv_pushf(diffs, "%ssection count (%zu vs %zu)", prefix, na, nb);
        for (size_t i = 1; i < na && i < nb; i++) {
                Elf_Scn *sa = elf_getscn(ea_elf, i), *sb = elf_getscn(eb_elf, i);
                GElf_Shdr ha, hb;
                if (!sa || !sb || !gelf_getshdr(sa, &ha) || !gelf_getshdr(sb, &hb)) {
                        xh_strv_pushf(diffs, "%ssection %zu (unreadable)", prefix, i);
                        continue;
                }
                const char *name = section_name(ea_elf, stra, &ha);
                const char *name_b = section_name(eb_elf, strb, &hb);
                if (strcmp(name, name_b) != 0) {
                        xh_strv_pushf(diffs, "%ssection %zu (%s vs %s)", prefix, i, name, name_b);
                        continue;
                }
                if (xh_strv_contains(ignore, name))
                        continue;
                if (ha.sh_type != hb.sh_type || ha.sh_flags != hb.sh_flags ||
                    ha.sh_addr != hb.sh_addr || ha.sh_size != hb.sh_size ||
                    ha.sh_link != hb.sh_link || ha.sh_info != hb.sh_info ||
                    ha.sh_addralign != hb.sh_addralign || ha.sh_entsize != hb.sh_entsize)
                        xh_strv_pushf(diffs, "%s%s (section header)", prefix, name);
                else if (!same_data(sa, sb, &ha))
                        xh_strv_pushf(diffs, "%s%s", prefix, name);
        }
}

/*
 * Compare two ar archives member by member (in order, by name). The archive
 * symbol table holds member offsets, which move when an ignored section
 * changes size; the symbols themselves are compared in each member.
 */
static void compare_archives(struct elf_file *a, struct elf_file *b, char *const *ignore,
                             char ***diffs)
{
        Elf_Cmd ca = ELF_C_READ, cb = ELF_C_READ;
        for (;;) {
                Elf *ma = elf_begin(a->fd, ca, a->elf);
                Elf *mb = elf_begin(b->fd, cb, b->elf);
                if (!ma || !mb) {
                        if (ma || mb)
                                xh_strv_pushf(diffs, "archive members (one archive has more)");
                        if (ma)
                                elf_end(ma);
                        if (mb)
                                elf_end(mb);
                        return;
                }
                Elf_Arhdr *ha = elf_getarhdr(ma), *hb = elf_getarhdr(mb);
                const char *na = ha && ha->ar_name ? ha->ar_name : "?";
                const char *nb = hb && hb->ar_name ? hb->ar_name : "?";
                if (strcmp(na, nb) != 0) {
                        xh_strv_pushf(diffs, "archive member %s vs %s", na, nb);
                } else if (elf_kind(ma) == ELF_K_ELF && elf_kind(mb) == ELF_K_ELF) {
                        _cleanup_free_ char *prefix = xh_asprintf("%s: ", na);
                        compare_elf(ma, mb, prefix, ignore, diffs);
                } else if (elf_kind(ma) != elf_kind(mb)) {
                        xh_strv_pushf(diffs, "%s (kind)", na);
                }
                ca = elf_next(ma);
                cb = elf_next(mb);
                elf_end(ma);
                elf_end(mb);
        }
}

int xh_elf_compare(const char *path_a, const char *path_b, char *const *ignore, char ***diffs,
                   xh_error *err)
{
        struct elf_file a, b;
        int r = open_file(path_a, &a, err);
        if (r < 0)
                return r;
        if ((r = open_file(path_b, &b, err)) < 0) {
                close_file(&a);
                return r;
        }
        *diffs = xh_malloc(sizeof(char *));
        if (elf_kind(a.elf) != elf_kind(b.elf))
                xh_strv_pushf(diffs, "file kind (ELF vs archive)");
        else if (elf_kind(a.elf) == ELF_K_AR)
                compare_archives(&a, &b, ignore, diffs);
        else
                compare_elf(a.elf, b.elf, "", ignore, diffs);
        close_file(&a);
        close_file(&b);
        return 0;
}
