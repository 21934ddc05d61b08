/* SPDX-License-Identifier: MIT */
/*
 * The architectures xhybrid knows: Debian name, qemu-user program, GNU
 * triplet, uname -m, ELF identity, and the binfmt_misc magic/mask that qemu
 * itself registers (copied from qemu's scripts/qemu-binfmt-conf.sh as shipped
 * in Debian's /usr/lib/binfmt.d/qemu-*.conf).
 */
#include <elf.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "emulator.h"

/* The first 16 bytes of every magic: ELF ident, class, data, EV_CURRENT. */
#define ELF_IDENT(class, data) 0x7f, 'E', 'L', 'F', class, data, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0

/*
 * Masks. qemu ignores the OS ABI byte (EI_OSABI) and the lowest bit of e_type
 * (so ET_EXEC and ET_DYN both match); some targets ignore more.
 */
#define MASK_DEFAULT                                                                               \
        {                                                                                          \
                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff,      \
                        0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff                                   \
        }
/* i386, x86_64: also ignore the low bit of EI_CLASS and EI_DATA. */
#define MASK_X86                                                                                   \
        {                                                                                          \
                0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xfe, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff,      \
                        0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff                                   \
        }
/* ppc64le: ignore two bits of EI_OSABI and the high byte of e_machine. */
#define MASK_PPC64LE                                                                               \
        {                                                                                          \
                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfc, 0xff, 0xff, 0xff, 0xff, 0xff,      \
                        0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0x00                                   \
        }
/* s390x: big endian, so the e_type bit to ignore is in byte 17. */
#define MASK_S390X                                                                                 \
        {                                                                                          \
                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfc, 0xff, 0xff, 0xff, 0xff, 0xff,      \
                        0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0xff                                   \
        }
/* mips64el: also ignore the low bit of EI_ABIVERSION. */
#define MASK_MIPS64EL                                                                              \
        {                                                                                          \
                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0xfe, 0xff, 0xff, 0xff, 0xff,      \
                        0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff                                   \
        }

/* Sorted by Debian name (strcmp); test_emulator checks it. */
static const struct xh_arch arch_table[] = {
        {
                .debian = "amd64",
                .oci_arch = "amd64",
                .qemu = "x86_64",
                .triplet = "x86_64-linux-gnu",
                .hosttype = "x86_64",
                .machtype = "x86_64-pc-linux-gnu",
                .cross_packages = "crossbuild-essential-amd64",
                .cross_libc = "/usr/x86_64-linux-gnu",
                .uname = "x86_64",
                .elf_machine = EM_X86_64,
                .elf_class = ELFCLASS64,
                .elf_data = ELFDATA2LSB,
                .magic = {ELF_IDENT(ELFCLASS64, ELFDATA2LSB), 0x02, 0x00, 0x3e, 0x00},
                .mask = MASK_X86,
        },
        {
                .debian = "arm64",
                .oci_arch = "arm64",
                .oci_variant = "v8",
                .qemu = "aarch64",
                .triplet = "aarch64-linux-gnu",
                .hosttype = "aarch64",
                .machtype = "aarch64-unknown-linux-gnu",
                .cross_packages = "crossbuild-essential-arm64",
                .cross_libc = "/usr/aarch64-linux-gnu",
                .uname = "aarch64",
                .elf_machine = EM_AARCH64,
                .elf_class = ELFCLASS64,
                .elf_data = ELFDATA2LSB,
                .magic = {ELF_IDENT(ELFCLASS64, ELFDATA2LSB), 0x02, 0x00, 0xb7, 0x00},
                .mask = MASK_DEFAULT,
        },
        {
                /* Same binfmt magic as armhf: the ELF header does not tell them apart. */
                .debian = "armel",
                .oci_arch = "arm",
                .oci_variant = "v5",
                .qemu = "arm",
                .triplet = "arm-linux-gnueabi",
                .hosttype = "arm",
                .machtype = "arm-unknown-linux-gnueabi",
                .cross_packages = "crossbuild-essential-armel",
                .cross_libc = "/usr/arm-linux-gnueabi",
                .uname = "armv7l",
                .elf_machine = EM_ARM,
                .elf_class = ELFCLASS32,
                .elf_data = ELFDATA2LSB,
                .magic = {ELF_IDENT(ELFCLASS32, ELFDATA2LSB), 0x02, 0x00, 0x28, 0x00},
                .mask = MASK_DEFAULT,
        },
        {
                .debian = "armhf",
                .oci_arch = "arm",
                .oci_variant = "v7",
                .qemu = "arm",
                .triplet = "arm-linux-gnueabihf",
                .hosttype = "arm",
                .machtype = "arm-unknown-linux-gnueabihf",
                .cross_packages = "crossbuild-essential-armhf",
                .cross_libc = "/usr/arm-linux-gnueabihf",
                .uname = "armv7l",
                .elf_machine = EM_ARM,
                .elf_class = ELFCLASS32,
                .elf_data = ELFDATA2LSB,
                .magic = {ELF_IDENT(ELFCLASS32, ELFDATA2LSB), 0x02, 0x00, 0x28, 0x00},
                .mask = MASK_DEFAULT,
        },
        {
                .debian = "i386",
                .oci_arch = "386",
                .qemu = "i386",
                .triplet = "i686-linux-gnu",
                .hosttype = "i686",
                .machtype = "i686-pc-linux-gnu",
                .cross_packages = "crossbuild-essential-i386",
                .cross_libc = "/usr/i686-linux-gnu",
                .uname = "i686",
                .elf_machine = EM_386,
                .elf_class = ELFCLASS32,
                .elf_data = ELFDATA2LSB,
                .magic = {ELF_IDENT(ELFCLASS32, ELFDATA2LSB), 0x02, 0x00, 0x03, 0x00},
                .mask = MASK_X86,
        },
        {
                .debian = "mips64el",
                .oci_arch = "mips64le",
                .qemu = "mips64el",
                .triplet = "mips64el-linux-gnuabi64",
                .hosttype = "mips64el",
                .machtype = "mips64el-unknown-linux-gnuabi64",
                .cross_packages = "crossbuild-essential-mips64el",
                .cross_libc = "/usr/mips64el-linux-gnuabi64",
                .uname = "mips64",
                .elf_machine = EM_MIPS,
                .elf_class = ELFCLASS64,
                .elf_data = ELFDATA2LSB,
                .magic = {ELF_IDENT(ELFCLASS64, ELFDATA2LSB), 0x02, 0x00, 0x08, 0x00},
                .mask = MASK_MIPS64EL,
        },
        {
                .debian = "ppc64el",
                .oci_arch = "ppc64le",
                .qemu = "ppc64le",
                .triplet = "powerpc64le-linux-gnu",
                .hosttype = "powerpc64le",
                .machtype = "powerpc64le-unknown-linux-gnu",
                .cross_packages = "crossbuild-essential-ppc64el",
                .cross_libc = "/usr/powerpc64le-linux-gnu",
                .uname = "ppc64le",
                .elf_machine = EM_PPC64,
                .elf_class = ELFCLASS64,
                .elf_data = ELFDATA2LSB,
                .magic = {ELF_IDENT(ELFCLASS64, ELFDATA2LSB), 0x02, 0x00, 0x15, 0x00},
                .mask = MASK_PPC64LE,
        },
        {
                .debian = "riscv64",
                .oci_arch = "riscv64",
                .qemu = "riscv64",
                .triplet = "riscv64-linux-gnu",
                .hosttype = "riscv64",
                .machtype = "riscv64-unknown-linux-gnu",
                .cross_packages = "crossbuild-essential-riscv64",
                .cross_libc = "/usr/riscv64-linux-gnu",
                .uname = "riscv64",
                .elf_machine = EM_RISCV,
                .elf_class = ELFCLASS64,
                .elf_data = ELFDATA2LSB,
                .magic = {ELF_IDENT(ELFCLASS64, ELFDATA2LSB), 0x02, 0x00, 0xf3, 0x00},
                .mask = MASK_DEFAULT,
        },
        {
                .debian = "s390x",
                .oci_arch = "s390x",
                .qemu = "s390x",
                .triplet = "s390x-linux-gnu",
                .hosttype = "s390x",
                .machtype = "s390x-ibm-linux-gnu",
                .cross_packages = "crossbuild-essential-s390x",
                .cross_libc = "/usr/s390x-linux-gnu",
                .uname = "s390x",
                .elf_machine = EM_S390,
                .elf_class = ELFCLASS64,
                .elf_data = ELFDATA2MSB,
                .magic = {ELF_IDENT(ELFCLASS64, ELFDATA2MSB), 0x00, 0x02, 0x00, 0x16},
                .mask = MASK_S390X,
        },
};

#if defined(__x86_64__) && !defined(__ILP32__)
#define XH_HOST_DEBIAN "amd64"
#elif defined(__aarch64__) && !defined(__ILP32__)
#define XH_HOST_DEBIAN "arm64"
#elif defined(__i386__)
#define XH_HOST_DEBIAN "i386"
#elif defined(__arm__) && defined(__ARM_PCS_VFP)
#define XH_HOST_DEBIAN "armhf"
#elif defined(__arm__)
#define XH_HOST_DEBIAN "armel"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define XH_HOST_DEBIAN "ppc64el"
#elif defined(__riscv) && __riscv_xlen == 64
#define XH_HOST_DEBIAN "riscv64"
#elif defined(__s390x__)
#define XH_HOST_DEBIAN "s390x"
#elif defined(__mips64) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define XH_HOST_DEBIAN "mips64el"
#endif

static int arch_cmp(const void *key, const void *elem)
{
        const struct xh_arch *arch = elem;
        return strcmp(key, arch->debian);
}

const struct xh_arch *xh_arch_by_debian(const char *debian)
{
        if (!debian)
                return NULL;
        return bsearch(debian, arch_table, XH_ARRAY_SIZE(arch_table), sizeof(arch_table[0]),
                       arch_cmp);
}

const struct xh_arch *xh_arch_host(void)
{
#ifdef XH_HOST_DEBIAN
        return xh_arch_by_debian(XH_HOST_DEBIAN);
#else
        return NULL; /* a host this table does not describe */
#endif
}

const struct xh_arch *xh_arch_table(size_t *n)
{
        if (n)
                *n = XH_ARRAY_SIZE(arch_table);
        return arch_table;
}

static void add_hex(xh_buf *b, const unsigned char *bytes, size_t n)
{
        for (size_t i = 0; i < n; i++)
                xh_buf_addf(b, "\\x%02x", bytes[i]);
}

char *xh_binfmt_rule(const struct xh_arch *arch, const char *name, const char *interpreter,
                     const char *flags)
{
        if (!flags)
                flags = "";
        /* The kernel splits the rule on ':' and takes name as a file name. */
        if (!arch || !name || !interpreter || !*name || !*interpreter || strchr(name, ':') ||
            strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
            strchr(interpreter, ':') || strchr(flags, ':'))
                return NULL;

        xh_buf b = {0};
        xh_buf_addf(&b, ":%s:M::", name);
        add_hex(&b, arch->magic, sizeof(arch->magic));
        xh_buf_add(&b, ":");
        add_hex(&b, arch->mask, sizeof(arch->mask));
        xh_buf_addf(&b, ":%s:%s", interpreter, flags);
        return xh_buf_steal(&b);
}

int xh_qemu_find(const char *program, char **path, xh_error *err)
{
        static const char *const dirs[] = {"/usr/bin", "/usr/local/bin",
                                           "/usr/libexec/qemu-binfmt"};
        struct stat st;

        *path = NULL;
        if (!program || !*program)
                return xh_fail(err, EINVAL, "empty emulator name");

        if (program[0] == '/') {
                if (stat(program, &st) < 0) {
                        int r = xh_fail(err, errno, "%s: %s", program, strerror(errno));
                        return r == -ENOENT
                                       ? xh_hint(err, ENOENT,
                                                 "install it: apt-get install qemu-user-static")
                                       : r;
                }
                if (!S_ISREG(st.st_mode))
                        return xh_fail(err, EACCES, "%s: not a regular file", program);
                if (access(program, X_OK) < 0)
                        return xh_fail(err, errno, "%s: not executable: %s", program,
                                       strerror(errno));
                *path = xh_strdup(program);
                return 0;
        }

        if (strchr(program, '/'))
                return xh_fail(err, EINVAL,
                               "emulator '%s' is a relative path: give an absolute path or a "
                               "bare program name",
                               program);

        for (size_t i = 0; i < XH_ARRAY_SIZE(dirs); i++) {
                _cleanup_free_ char *candidate = xh_asprintf("%s/%s", dirs[i], program);
                if (stat(candidate, &st) == 0 && S_ISREG(st.st_mode) &&
                    access(candidate, X_OK) == 0) {
                        *path = steal_pointer(&candidate);
                        return 0;
                }
        }

        xh_fail(err, ENOENT, "emulator '%s' not found in %s, %s, %s", program, dirs[0], dirs[1],
                dirs[2]);
        return xh_hint(err, ENOENT, "install it: apt-get install qemu-user-static");
}
