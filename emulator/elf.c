/* SPDX-License-Identifier: MIT */
/*
 * ELF inspection with libelf: what machine a file is for, whether it needs a
 * program interpreter, and whether a qemu-user binary is usable as a
 * binfmt_misc interpreter (static, for the host machine).
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "elf-private.h"
#include "emulator.h"

/* A PT_INTERP longer than this is not a path anyone uses. */
#define INTERP_MAX 4096

static const char qemu_check_hint[] =
        "a private binfmt_misc with the F flag needs a static emulator: "
        "apt-get install qemu-user-static";

static pthread_once_t libelf_once = PTHREAD_ONCE_INIT;
static bool libelf_ok;

static void libelf_init(void)
{
        libelf_ok = elf_version(EV_CURRENT) != EV_NONE;
}

int xh_libelf_init(xh_error *err)
{
        pthread_once(&libelf_once, libelf_init);
        if (!libelf_ok)
                return xh_fail(err, ELIBBAD, "libelf: %s", xh_libelf_msg());
        return 0;
}

const char *xh_libelf_msg(void)
{
        const char *msg = elf_errmsg(-1);
        return msg ? msg : "unknown libelf error";
}

static void elf_endp(Elf **elf)
{
        if (*elf)
                elf_end(*elf);
}
#define _cleanup_elf_ __attribute__((cleanup(elf_endp)))

/* Whether [off, off + size) lies inside a file of file_size bytes. */
static bool in_file(uint64_t off, uint64_t size, uint64_t file_size)
{
        uint64_t end;
        return !__builtin_add_overflow(off, size, &end) && end <= file_size;
}

/*
 * libelf says ELF_K_NONE both for non-ELF files and for ELF files it cannot
 * take: tell them apart, and say what is wrong with the latter.
 */
int xh_elf_not_elf(const unsigned char *ident, size_t n, uint64_t file_size, const char *path,
                   xh_error *err)
{
        if (n < SELFMAG || memcmp(ident, ELFMAG, SELFMAG) != 0)
                return xh_fail(err, ENOEXEC, "%s: not an ELF file", path);
        if (n < EI_NIDENT)
                return xh_fail(err, ENOEXEC, "%s: truncated ELF file: shorter than the ELF header",
                               path);
        if (ident[EI_CLASS] != ELFCLASS32 && ident[EI_CLASS] != ELFCLASS64)
                return xh_fail(err, ENOEXEC, "%s: corrupt ELF file: invalid class %d", path,
                               ident[EI_CLASS]);
        if (ident[EI_DATA] != ELFDATA2LSB && ident[EI_DATA] != ELFDATA2MSB)
                return xh_fail(err, ENOEXEC, "%s: corrupt ELF file: invalid data encoding %d", path,
                               ident[EI_DATA]);
        if (ident[EI_VERSION] != EV_CURRENT)
                return xh_fail(err, ENOEXEC, "%s: corrupt ELF file: invalid version %d", path,
                               ident[EI_VERSION]);
        size_t ehdr_size = ident[EI_CLASS] == ELFCLASS32 ? sizeof(Elf32_Ehdr) : sizeof(Elf64_Ehdr);
        if (file_size < ehdr_size)
                return xh_fail(err, ENOEXEC, "%s: truncated ELF file: shorter than the ELF header",
                               path);
        return xh_fail(err, ENOEXEC, "%s: corrupt ELF file: %s", path, xh_libelf_msg());
}

int xh_elf_check_extent(Elf *elf, const char *path, uint64_t file_size, xh_error *err)
{
        GElf_Ehdr eh;
        size_t phnum, shnum, shstrndx;
        if (!gelf_getehdr(elf, &eh) || elf_getphdrnum(elf, &phnum) < 0 ||
            elf_getshdrnum(elf, &shnum) < 0)
                return xh_fail(err, ENOEXEC, "%s: corrupt ELF file: %s", path, xh_libelf_msg());
        /* libelf quietly reports no program headers when they are cut off. */
        if ((eh.e_phnum > 0 && phnum == 0) ||
            (phnum > 0 && !in_file(eh.e_phoff, (uint64_t)phnum * eh.e_phentsize, file_size)))
                return xh_fail(err, ENOEXEC,
                               "%s: truncated ELF file: program headers past end of file", path);
        if (eh.e_shoff != 0 && !in_file(eh.e_shoff, (uint64_t)shnum * eh.e_shentsize, file_size))
                return xh_fail(err, ENOEXEC,
                               "%s: truncated ELF file: section headers past end of file", path);
        if (shnum > 0 && elf_getshdrstrndx(elf, &shstrndx) < 0)
                return xh_fail(err, ENOEXEC, "%s: corrupt ELF file: %s", path, xh_libelf_msg());

        for (size_t i = 0; i < phnum; i++) {
                GElf_Phdr ph;
                if (!gelf_getphdr(elf, (int)i, &ph))
                        return xh_fail(err, ENOEXEC, "%s: corrupt ELF file: %s", path,
                                       xh_libelf_msg());
                if (ph.p_type == PT_LOAD && !in_file(ph.p_offset, ph.p_filesz, file_size))
                        return xh_fail(err, ENOEXEC,
                                       "%s: truncated ELF file: segment %zu past end of file", path,
                                       i);
        }
        for (size_t i = 1; i < shnum; i++) {
                Elf_Scn *scn = elf_getscn(elf, i);
                GElf_Shdr sh;
                if (!scn || !gelf_getshdr(scn, &sh))
                        return xh_fail(err, ENOEXEC, "%s: corrupt ELF file: section %zu: %s", path,
                                       i, xh_libelf_msg());
                if (sh.sh_type != SHT_NOBITS && !in_file(sh.sh_offset, sh.sh_size, file_size))
                        return xh_fail(err, ENOEXEC,
                                       "%s: truncated ELF file: section %zu past end of file", path,
                                       i);
        }
        return 0;
}

static int read_interp(int fd, const char *path, const GElf_Phdr *ph, uint64_t file_size,
                       char **out, xh_error *err)
{
        if (ph->p_filesz == 0 || ph->p_filesz > INTERP_MAX)
                return xh_fail(err, ENOEXEC, "%s: bad PT_INTERP size %ju", path,
                               (uintmax_t)ph->p_filesz);
        if (!in_file(ph->p_offset, ph->p_filesz, file_size))
                return xh_fail(err, ENOEXEC, "%s: truncated ELF file: PT_INTERP past end of file",
                               path);

        _cleanup_free_ char *buf = xh_malloc(ph->p_filesz + 1);
        ssize_t n = pread(fd, buf, ph->p_filesz, (off_t)ph->p_offset);
        if (n < 0)
                return xh_fail(err, errno, "%s: %s", path, strerror(errno));
        if ((uint64_t)n != ph->p_filesz)
                return xh_fail(err, ENOEXEC, "%s: truncated ELF file: short read of PT_INTERP",
                               path);
        buf[n] = '\0';
        if (buf[0] == '\0')
                return xh_fail(err, ENOEXEC, "%s: empty PT_INTERP", path);
        *out = steal_pointer(&buf);
        return 0;
}

static int inspect(int fd, const char *path, uint64_t file_size, struct xh_elf_info *info,
                   xh_error *err)
{
        _cleanup_elf_ Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
        if (!elf)
                return xh_fail(err, ENOEXEC, "%s: %s", path, xh_libelf_msg());

        switch (elf_kind(elf)) {
        case ELF_K_ELF:
                break;
        case ELF_K_AR:
                return xh_fail(err, ENOEXEC, "%s: not an ELF file (an ar archive)", path);
        default: {
                unsigned char ident[EI_NIDENT] = {0};
                ssize_t n = pread(fd, ident, sizeof(ident), 0);
                return xh_elf_not_elf(ident, n > 0 ? (size_t)n : 0, file_size, path, err);
        }
        }

        int r = xh_elf_check_extent(elf, path, file_size, err);
        if (r < 0)
                return r;
        GElf_Ehdr eh;
        size_t phnum;
        if (!gelf_getehdr(elf, &eh) || elf_getphdrnum(elf, &phnum) < 0)
                return xh_fail(err, ENOEXEC, "%s: %s", path, xh_libelf_msg());
        info->machine = eh.e_machine;
        info->elf_class = eh.e_ident[EI_CLASS];
        info->data = eh.e_ident[EI_DATA];
        info->type = eh.e_type;

        for (size_t i = 0; i < phnum; i++) {
                GElf_Phdr ph;
                if (!gelf_getphdr(elf, (int)i, &ph))
                        return xh_fail(err, ENOEXEC, "%s: %s", path, xh_libelf_msg());
                if (ph.p_type == PT_DYNAMIC)
                        info->has_dynamic = true;
                if (ph.p_type == PT_INTERP && !info->interpreter) {
                        r = read_interp(fd, path, &ph, file_size, &info->interpreter, err);
                        if (r < 0)
                                return r;
                        info->dynamic = true;
                }
        }
        return 0;
}

int xh_elf_inspect(const char *path, struct xh_elf_info *info, xh_error *err)
{
        *info = (struct xh_elf_info){0};

        int r = xh_libelf_init(err);
        if (r < 0)
                return r;

        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return xh_fail(err, errno, "%s: %s", path, strerror(errno));

        struct stat st;
        if (fstat(fd, &st) < 0)
                return xh_fail(err, errno, "%s: %s", path, strerror(errno));
        if (S_ISDIR(st.st_mode))
                return xh_fail(err, EISDIR, "%s: %s", path, strerror(EISDIR));
        if (!S_ISREG(st.st_mode))
                return xh_fail(err, ENOEXEC, "%s: not a regular file", path);

        r = inspect(fd, path, (uint64_t)st.st_size, info, err);
        if (r < 0)
                xh_elf_info_clear(info);
        return r;
}

void xh_elf_info_clear(struct xh_elf_info *info)
{
        if (!info)
                return;
        free(info->interpreter);
        *info = (struct xh_elf_info){0};
}

static const struct {
        int machine;
        const char *name;
} machine_names[] = {
        {EM_386, "i386"}, {EM_MIPS, "mips"},     {EM_PPC64, "ppc64"},     {EM_S390, "s390"},
        {EM_ARM, "arm"},  {EM_X86_64, "x86-64"}, {EM_AARCH64, "aarch64"}, {EM_RISCV, "riscv"},
};

const char *xh_elf_machine_name(int machine)
{
        static __thread char unknown[sizeof("EM_-2147483648")];

        for (size_t i = 0; i < XH_ARRAY_SIZE(machine_names); i++)
                if (machine_names[i].machine == machine)
                        return machine_names[i].name;
        snprintf(unknown, sizeof(unknown), "EM_%d", machine);
        return unknown;
}

char *xh_elf_describe(const struct xh_elf_info *info)
{
        xh_buf b = {0};

        if (info->elf_class == ELFCLASS32 || info->elf_class == ELFCLASS64)
                xh_buf_addf(&b, "ELF %d-bit", info->elf_class == ELFCLASS32 ? 32 : 64);
        else
                xh_buf_addf(&b, "ELF class-%d", info->elf_class);
        if (info->data == ELFDATA2LSB || info->data == ELFDATA2MSB)
                xh_buf_add(&b, info->data == ELFDATA2LSB ? " LSB " : " MSB ");
        else
                xh_buf_addf(&b, " data-%d ", info->data);
        xh_buf_add(&b, xh_elf_machine_name(info->machine));

        if (info->type == ET_EXEC || (info->type == ET_DYN && info->dynamic)) {
                if (!info->dynamic)
                        xh_buf_add(&b, ", static");
                else if (info->interpreter)
                        xh_buf_addf(&b, ", dynamic (%s)", info->interpreter);
                else
                        xh_buf_add(&b, ", dynamic");
        }

        switch (info->type) {
        case ET_REL:
                xh_buf_add(&b, ", relocatable");
                break;
        case ET_EXEC:
                xh_buf_add(&b, ", executable");
                break;
        case ET_DYN:
                xh_buf_add(&b,
                           info->dynamic ? ", PIE executable" : ", shared object or static-pie");
                break;
        case ET_CORE:
                xh_buf_add(&b, ", core file");
                break;
        default:
                xh_buf_addf(&b, ", type %d", info->type);
                break;
        }
        return xh_buf_steal(&b);
}

int xh_qemu_check(const char *path, xh_error *err)
{
        const struct xh_arch *host = xh_arch_host();
        if (!host)
                return xh_fail(err, ENOTSUP, "%s: cannot check: unknown host architecture", path);
        const char *host_name = xh_elf_machine_name(host->elf_machine);

        struct xh_elf_info info;
        int r = xh_elf_inspect(path, &info, err);
        if (r < 0)
                return r;

        if (info.machine != host->elf_machine || info.elf_class != host->elf_class ||
            (info.type != ET_EXEC && info.type != ET_DYN)) {
                _cleanup_free_ char *what = xh_elf_describe(&info);
                xh_fail(err, ENOEXEC, "%s: not a static %s program (%s)", path, host_name, what);
        } else if (info.dynamic) {
                xh_fail(err, ENOEXEC, "%s: not a static %s program (dynamic, needs %s)", path,
                        host_name, info.interpreter);
        } else {
                xh_elf_info_clear(&info);
                return 0;
        }
        xh_elf_info_clear(&info);
        return xh_hint(err, ENOEXEC, "%s", qemu_check_hint);
}

char *xh_elf_build_id(const char *path)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0 || xh_libelf_init(NULL) < 0)
                return NULL;
        Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
        if (!elf)
                return NULL;
        char *id = NULL;
        for (Elf_Scn *scn = NULL;
             !id && elf_kind(elf) == ELF_K_ELF && (scn = elf_nextscn(elf, scn));) {
                GElf_Shdr sh;
                Elf_Data *data;
                if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE ||
                    !(data = elf_getdata(scn, NULL)))
                        continue;
                GElf_Nhdr nh;
                size_t off = 0, name_at, desc_at;
                while (!id && (off = gelf_getnote(data, off, &nh, &name_at, &desc_at)) > 0) {
                        if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
                            memcmp((char *)data->d_buf + name_at, "GNU", 4) != 0 ||
                            nh.n_descsz == 0)
                                continue;
                        xh_buf b = {0};
                        for (size_t i = 0; i < nh.n_descsz; i++)
                                xh_buf_addf(&b, "%02x",
                                            ((unsigned char *)data->d_buf)[desc_at + i]);
                        id = xh_buf_steal(&b);
                }
        }
        elf_end(elf);
        return id;
}
