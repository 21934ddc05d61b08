/* SPDX-License-Identifier: MIT */
/*
 * Fuzz harness of the shim's configuration parser (xh_shim_config_parse, the
 * session's /.xhybrid/shim.conf): any text either parses or fails with a
 * message naming the file, leaving the configuration empty; a parsed one has
 * the required keys, and what xh_shim_config_format writes of it parses back
 * to the same configuration.
 */
#include "fuzz.h"
#include "shim.h"

static void check_empty(const struct xh_shim_config *c)
{
        FUZZ_CHECK(!c->triplet && !c->gcc_libdir && !c->hosttype && !c->machtype && !c->emulate,
                   "a refused configuration is not empty");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *text = fuzz_text(data, size);
        struct xh_shim_config c;
        xh_error err = {0};
        int r = xh_shim_config_parse(text, &c, &err);
        if (r < 0) {
                check_empty(&c);
                FUZZ_CHECK(err.msg && strncmp(err.msg, XH_SHIM_CONF, strlen(XH_SHIM_CONF)) == 0,
                           "message '%s'", err.msg ? err.msg : "(none)");
                xh_error_clear(&err);
                return 0;
        }
        FUZZ_CHECK(r == 0 && err.msg == NULL, "r %d", r);
        FUZZ_CHECK(c.triplet && c.gcc_libdir && c.emulate, "a required value is unset");
        for (char **e = c.emulate; *e; e++)
                FUZZ_CHECK(**e && !strpbrk(*e, ", "), "emulate item '%s'", *e);

        _cleanup_free_ char *once = xh_shim_config_format(&c);
        struct xh_shim_config back;
        r = xh_shim_config_parse(once, &back, &err);
        FUZZ_CHECK(r == 0,
                   "the formatted configuration does not parse: %s\n--- input:\n%s\n--- "
                   "formatted:\n%s",
                   err.msg, text, once);
        _cleanup_free_ char *twice = xh_shim_config_format(&back);
        FUZZ_CHECK(strcmp(once, twice) == 0, "formatted twice:\n%s\n--- then:\n%s", once, twice);
        xh_shim_config_clear(&back);
        xh_shim_config_clear(&c);
        check_empty(&c);
        return 0;
}
