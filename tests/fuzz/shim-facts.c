/* SPDX-License-Identifier: MIT */
/*
 * Fuzz harness of the facts cache parser (xh_shim_facts_parse): the shim
 * reads facts-HASH files from the profile's cache, which a session with the
 * persistent upper can write, so any text must either give usable facts or
 * none, never a crash or a leak. Usable facts read back unchanged after
 * xh_shim_facts_format, and drive a compile and a pkg-config run.
 */
#include "fuzz.h"
#include "shim.h"

#define CONF                                                                                       \
        "triplet=aarch64-linux-gnu\ngcc_libdir=/usr/lib/gcc/aarch64-linux-gnu/12\n"                \
        "hosttype=aarch64\nmachtype=aarch64-unknown-linux-gnu\nemulate=\n"

/* Run exe with argv on the facts; the include dirs it adds must be dirs of the facts. */
static void decide(const struct xh_shim_config *c, const struct xh_shim_facts *f, const char *exe,
                   const char *const *argv, char *const *dirs)
{
        struct xh_shim_exec x;
        xh_error err = {0};
        int r = xh_shim_decide(c, exe, (char *const *)argv, NULL, f, &x, &err);
        FUZZ_CHECK(r == 0 && !x.needs_facts && x.path && x.argv, "%s: %s", exe, err.msg);
        size_t n = 0, want = xh_strv_len(dirs);
        for (char **a = x.argv; *a; a++)
                if (strcmp(*a, "-isystem") == 0) {
                        FUZZ_CHECK(n < want && a[1] && strcmp(a[1], dirs[n]) == 0, "%s: dir %zu",
                                   exe, n);
                        n++;
                        a++; /* the dir, whatever it says */
                }
        FUZZ_CHECK(n == want, "%s: %zu include dirs of %zu", exe, n, want);
        if (!dirs && f->pc_path) {
                _cleanup_free_ char *libdir = xh_asprintf("PKG_CONFIG_LIBDIR=%s", f->pc_path);
                FUZZ_CHECK(xh_strv_contains(x.setenv, libdir), "%s: no %s", exe, libdir);
        }
        xh_shim_exec_clear(&x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *text = fuzz_text(data, size);
        struct xh_shim_facts f;
        if (!xh_shim_facts_parse(text, &f)) {
                FUZZ_CHECK(!f.inc_c && !f.inc_cxx && !f.pc_path && !f.pc_libs && !f.pc_incs,
                           "refused facts are not empty");
                return 0;
        }
        FUZZ_CHECK(f.inc_c && f.inc_cxx && (f.inc_c[0] || f.pc_path), "facts without a use");

        _cleanup_free_ char *once = xh_shim_facts_format(&f);
        struct xh_shim_facts back;
        FUZZ_CHECK(xh_shim_facts_parse(once, &back), "the formatted facts are refused:\n%s", once);
        _cleanup_free_ char *twice = xh_shim_facts_format(&back);
        FUZZ_CHECK(strcmp(once, twice) == 0, "formatted twice:\n%s\n--- then:\n%s", once, twice);
        xh_shim_facts_clear(&back);

        struct xh_shim_config c;
        FUZZ_CHECK(xh_shim_config_parse(CONF, &c, NULL) == 0, "configuration");
        decide(&c, &f, "/usr/bin/aarch64-linux-gnu-gcc-12",
               (const char *const[]){"gcc", "-c", "x.c", NULL}, f.inc_c);
        decide(&c, &f, "/usr/bin/aarch64-linux-gnu-g++-12",
               (const char *const[]){"g++", "-c", "x.cc", NULL}, f.inc_cxx);
        decide(&c, &f, "/usr/bin/pkgconf",
               (const char *const[]){"pkg-config", "--cflags", "zlib", NULL}, NULL);
        xh_shim_config_clear(&c);
        xh_shim_facts_clear(&f);
        return 0;
}
