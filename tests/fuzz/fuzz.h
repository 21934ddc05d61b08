/* SPDX-License-Identifier: MIT */
/*
 * What the fuzz harnesses share. Each harness (one per parser) defines
 * LLVMFuzzerTestOneInput; it is linked either with libFuzzer (fuzz_NAME,
 * -DXH_FUZZ=ON with clang) or with replay.c (fuzz_NAME_replay, any compiler),
 * which runs it over the files it is given. A harness checks what the parser
 * promises and aborts when a promise is broken, so both ways report it.
 */
#ifndef XH_FUZZ_H
#define XH_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xh-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise: say which and where, then abort (libFuzzer keeps the input). */
#define FUZZ_CHECK(cond, ...)                                                                      \
        do {                                                                                       \
                if (!(cond)) {                                                                     \
                        fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);   \
                        fprintf(stderr, __VA_ARGS__);                                              \
                        fputc('\n', stderr);                                                       \
                        abort();                                                                   \
                }                                                                                  \
        } while (0)

/* The input as a C string, as the parsers get their text (cut at a NUL byte). */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
        return size ? xh_strndup((const char *)data, size) : xh_strdup("");
}

static inline bool fuzz_str_eq(const char *a, const char *b)
{
        return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

#endif
