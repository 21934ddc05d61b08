/* SPDX-License-Identifier: MIT */
/*
 * Inside emulator/ only: the libelf setup and the checks that ELF inspection
 * (elf.c) and ELF comparison (elfcmp.c) share. libelf reads an ELF file
 * whose tables or sections lie past its end without complaint; these checks
 * say what is wrong with it instead.
 */
#ifndef XH_ELF_PRIVATE_H
#define XH_ELF_PRIVATE_H

#include <libelf.h>
#include <stddef.h>
#include <stdint.h>

#include "xh-util.h"

/* Initialise libelf once: 0, or -ELIBBAD with libelf's reason. */
int xh_libelf_init(xh_error *err);
/* libelf's message for its last error. */
const char *xh_libelf_msg(void);

/*
 * Why a file that libelf does not take as an ELF file is not one: ident
 * holds its first n bytes (up to EI_NIDENT). Always -ENOEXEC, with "PATH:
 * not an ELF file", "PATH: truncated ELF file: ..." or "PATH: corrupt ELF
 * file: ..." in err.
 */
int xh_elf_not_elf(const unsigned char *ident, size_t n, uint64_t file_size, const char *path,
                   xh_error *err);

/*
 * Check that everything elf's headers point to lies inside its file of
 * file_size bytes: the program and section header tables, the contents of
 * every section and loadable segment. 0, or -ENOEXEC with "PATH: truncated
 * ELF file: ..." or "PATH: corrupt ELF file: ..." in err.
 */
int xh_elf_check_extent(Elf *elf, const char *path, uint64_t file_size, xh_error *err);

#endif
