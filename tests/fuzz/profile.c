/* SPDX-License-Identifier: MIT */
/*
 * Fuzz harness of the profile parser (xh_profile_parse): any text either
 * parses or fails with "ORIGIN:LINE: ..." (or "ORIGIN: ..."), never crashes or
 * leaks; a parsed profile is complete and consistent, and its dump (what
 * "xhybrid profiles show" prints, which users and the tests save as a
 * profile of their own) parses back to the same profile.
 */
#include <errno.h>

#include "emulator.h"
#include "fuzz.h"
#include "profiles.h"

#define ORIGIN "fuzz.ini"

static char *dump(const struct xh_profile *p)
{
        char *s = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&s, &len);
        FUZZ_CHECK(f != NULL, "open_memstream");
        xh_profile_dump(p, f);
        fclose(f);
        return s;
}

static void check_sorted_unique(char *const *v, const char *what)
{
        FUZZ_CHECK(v != NULL, "%s is NULL", what);
        for (size_t i = 0; v[i]; i++) {
                FUZZ_CHECK(*v[i], "%s: an empty item", what);
                FUZZ_CHECK(i == 0 || strcmp(v[i - 1], v[i]) < 0, "%s: '%s' then '%s'", what,
                           v[i - 1], v[i]);
        }
}

static void check_profile(const struct xh_profile *p)
{
        FUZZ_CHECK(fuzz_str_eq(p->name, "fuzz") && fuzz_str_eq(p->origin, ORIGIN), "name, origin");
        FUZZ_CHECK(p->description && p->suite && *p->suite && p->mirror && p->variant && p->qemu,
                   "a scalar is unset");
        FUZZ_CHECK(!p->qemu_cpu || *p->qemu_cpu, "an empty cpu is unset");
        const struct xh_arch *a = xh_arch_by_debian(p->arch);
        FUZZ_CHECK(a != NULL, "unknown arch '%s'", p->arch);
        FUZZ_CHECK(fuzz_str_eq(p->triplet, a->triplet), "triplet '%s' of %s", p->triplet, p->arch);
        check_sorted_unique(p->packages, "packages");
        check_sorted_unique(p->toolchain_packages, "toolchain packages");
        check_sorted_unique(p->emulate, "emulate");
        FUZZ_CHECK(p->env != NULL, "env is NULL");
        FUZZ_CHECK(strcmp(xh_skew_policy_name(p->skew), "unknown") != 0, "skew %d", (int)p->skew);
        _cleanup_free_ char *target = xh_profile_target_recipe(p);
        _cleanup_free_ char *toolchain = xh_profile_toolchain_recipe(p);
        FUZZ_CHECK(target && toolchain, "no recipe");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *text = fuzz_text(data, size);
        _cleanup_profile_ struct xh_profile *p = NULL;
        xh_error err = {0};
        int r = xh_profile_parse("fuzz", ORIGIN, text, &p, &err);
        if (r < 0) {
                FUZZ_CHECK(p == NULL, "a profile with an error");
                FUZZ_CHECK(err.msg && strncmp(err.msg, ORIGIN ":", strlen(ORIGIN ":")) == 0,
                           "message '%s'", err.msg ? err.msg : "(none)");
                FUZZ_CHECK(err.code == -r, "code %d for %d", err.code, r);
                xh_error_clear(&err);
                return 0;
        }
        FUZZ_CHECK(r == 0 && p != NULL && err.msg == NULL, "r %d", r);
        check_profile(p);

        _cleanup_free_ char *once = dump(p);
        _cleanup_profile_ struct xh_profile *back = NULL;
        r = xh_profile_parse("fuzz", ORIGIN, once, &back, &err);
        FUZZ_CHECK(r == 0, "the dump does not parse: %s\n--- input:\n%s\n--- dump:\n%s", err.msg,
                   text, once);
        _cleanup_free_ char *twice = dump(back);
        FUZZ_CHECK(strcmp(once, twice) == 0,
                   "the dump parses to another profile\n--- dump:\n%s\n--- "
                   "its dump:\n%s",
                   once, twice);
        return 0;
}
