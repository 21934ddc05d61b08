/* SPDX-License-Identifier: MIT */
/*
 * What a unit test needs from the machine (qemu-user, the cross gcc,
 * /dev/full, xmllint ...). Check has no "skipped" state: a test whose
 * prerequisite is missing says so on stderr and passes, except with
 * XHYBRID_TEST_MUST_RUN=1 (set by .ci/run), where it fails, so that nothing
 * stops being tested unnoticed. scripts/deps installs every prerequisite.
 */
#ifndef XH_TEST_H
#define XH_TEST_H

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline bool xh_test_must_run(void)
{
        const char *v = getenv("XHYBRID_TEST_MUST_RUN");
        return v && strcmp(v, "1") == 0;
}

/*
 * Return from the calling function when cond is false; why names what is
 * missing and how to get it. Under XHYBRID_TEST_MUST_RUN=1 the test fails.
 */
#define XH_REQUIRE(cond, why)                                                                      \
        do {                                                                                       \
                if (!(cond)) {                                                                     \
                        if (xh_test_must_run())                                                    \
                                ck_abort_msg("%s (a skip is a failure with "                       \
                                             "XHYBRID_TEST_MUST_RUN=1)",                           \
                                             why);                                                 \
                        fprintf(stderr, "%s: skipped: %s\n", __func__, why);                       \
                        return;                                                                    \
                }                                                                                  \
        } while (0)

#endif
