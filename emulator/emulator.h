/* SPDX-License-Identifier: MIT */
/*
 * Emulator: what xhybrid knows about foreign architectures — the per-arch
 * binfmt_misc magic and mask, the qemu-user program for each, finding that
 * program on the host, and ELF inspection (libelf) of any file.
 */
#ifndef XH_EMULATOR_H
#define XH_EMULATOR_H

#include <stdbool.h>
#include <stddef.h>

#include "xh-util.h"

struct xh_arch {
        const char *debian;         /* Debian architecture name: arm64 */
        const char *qemu;           /* qemu suffix: aarch64 (program qemu-aarch64-static) */
        const char *triplet;        /* GNU triplet: aarch64-linux-gnu */
        const char *hosttype;       /* bash's HOSTTYPE on the target: aarch64 */
        const char *machtype;       /* bash's MACHTYPE: aarch64-unknown-linux-gnu (config.sub's
                                       vendor: pc for x86, ibm for s390x) */
        const char *cross_packages; /* Debian's cross toolchain for it, on the host */
        const char *cross_libc;     /* where the cross packages put their own libc
                                       (include/ and lib/ below it), hidden in a session */
        const char *uname;          /* uname -m inside: aarch64 */
        const char *oci_arch;       /* an image's platform (GOARCH): arm64, arm, ppc64le */
        const char *oci_variant;    /* and its variant: v8 for arm64, v7 for armhf; or NULL */
        int elf_machine;            /* EM_AARCH64 */
        int elf_class;              /* ELFCLASS64 */
        int elf_data;               /* ELFDATA2LSB */
        unsigned char magic[20];
        unsigned char mask[20];
};

/* Look up an architecture by Debian name; NULL if unknown. */
const struct xh_arch *xh_arch_by_debian(const char *debian);
/* The host's architecture entry (amd64 on x86-64). */
const struct xh_arch *xh_arch_host(void);
/* All known architectures, sorted by Debian name; *n receives the count. */
const struct xh_arch *xh_arch_table(size_t *n);

/*
 * The binfmt_misc registration rule for arch, as written to the register file
 * in a single write: ":NAME:M::MAGIC:MASK:INTERPRETER:FLAGS" with magic and
 * mask as \xHH escapes. flags is e.g. "F" (open the interpreter now, so it
 * works after chroot) or "FPC". NULL when a field is empty or holds a ':'.
 */
char *xh_binfmt_rule(const struct xh_arch *arch, const char *name, const char *interpreter,
                     const char *flags);

/*
 * Find the qemu-user program: an absolute path is checked as is; a bare name
 * is searched in /usr/bin, /usr/local/bin, /usr/libexec/qemu-binfmt (not in
 * $PATH). On success *path is the absolute path.
 */
int xh_qemu_find(const char *program, char **path, xh_error *err);

struct xh_elf_info {
        int machine;       /* e_machine (EM_*) */
        int elf_class;     /* ELFCLASS32 / ELFCLASS64 */
        int data;          /* ELFDATA2LSB / ELFDATA2MSB */
        int type;          /* ET_EXEC, ET_DYN, ET_REL, ... */
        bool dynamic;      /* has a PT_INTERP (needs a program interpreter) */
        bool has_dynamic;  /* has a PT_DYNAMIC segment */
        char *interpreter; /* PT_INTERP contents or NULL */
};

/*
 * Inspect an ELF file with libelf. -ENOEXEC with a message when path is not
 * ELF. The caller frees info->interpreter (xh_elf_info_clear).
 */
int xh_elf_inspect(const char *path, struct xh_elf_info *info, xh_error *err);
/* The GNU build-id (.note.gnu.build-id) of an ELF file in hex; NULL when it has none. */
char *xh_elf_build_id(const char *path);
void xh_elf_info_clear(struct xh_elf_info *info);
/* "aarch64" / "x86-64" / "EM_123" */
const char *xh_elf_machine_name(int machine);
/* One line: "ELF 64-bit LSB aarch64, dynamic (/lib/ld-linux-aarch64.so.1), PIE executable" */
char *xh_elf_describe(const struct xh_elf_info *info);

/*
 * Check that path is a usable emulator: a static (no PT_INTERP) ELF for the
 * host machine. Returns 0, or a negative errno with the reason in err.
 */
int xh_qemu_check(const char *path, xh_error *err);

/*
 * Compare two ELF files or ar archives (elfcmp.c), every byte of them
 * accounted for. Sections are matched by position and name. The sections
 * named in ignore (e.g. .comment, .note.gnu.build-id) may differ in contents
 * and size, and then file offsets and the zero padding between sections are
 * not compared; with ignore NULL or empty, two files without a difference are
 * the same byte for byte. ar archives are compared member by member.
 *
 * *diffs receives one phrase per difference: "SECTION differs", "SECTION
 * (section header) differs", "ELF header differs", "program header N
 * differs", "section count differs (N vs M)", "section offsets differ",
 * "bytes between the sections differ", "bytes after the end of the ELF
 * contents differ (N vs M bytes)", "archive members differ (N vs M)",
 * "archive symbol table differs"; inside an archive prefixed with
 * "MEMBER: ". A file that is truncated, corrupt or not ELF is the phrase
 * "PATH: what is wrong" (PATH, or ARCHIVE(MEMBER)). Returns 0 (an empty list
 * when the files are the same) or -errno when a file cannot be read.
 */
int xh_elf_compare(const char *a, const char *b, char *const *ignore, char ***diffs, xh_error *err);

#endif
