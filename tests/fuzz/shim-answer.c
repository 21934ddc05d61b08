/* SPDX-License-Identifier: MIT */
/*
 * Fuzz harness of the probe answer parser (xh_shim_answer_parse): the shim
 * reads probe-HASH files from the profile's cache, which a session with the
 * persistent upper can write, so any bytes must either give the answer kept
 * for the key asked or none, never a crash or a leak. An accepted answer
 * formats back to the same bytes.
 */
#include "fuzz.h"
#include "shim.h"

#define KEY "xhybrid-probe-key 1\nexe /usr/bin/gcc\narg gcc\narg -v\n"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct xh_shim_answer a;
        if (!xh_shim_answer_parse((const char *)data, size, KEY, &a)) {
                FUZZ_CHECK(!a.out && !a.err && !a.out_len && !a.err_len && !a.status,
                           "a refused answer is not empty");
                return 0;
        }
        FUZZ_CHECK(a.status >= 0 && a.status <= 255, "status %d", a.status);
        FUZZ_CHECK(a.out_len + a.err_len <= XH_SHIM_ANSWER_MAX, "too big");
        size_t len;
        _cleanup_free_ char *back = xh_shim_answer_format(KEY, &a, &len);
        FUZZ_CHECK(len == size && memcmp(back, data, size) == 0, "formatted differently");
        xh_shim_answer_clear(&a);
        return 0;
}
