/* SPDX-License-Identifier: MIT */
/*
 * Profiles: INI files (parsed with inih) that say which foreign root to build
 * and how to run it. Built-in profiles are compiled in from profiles/builtin/;
 * a file NAME.ini in the user directory ($XDG_CONFIG_HOME/xhybrid/profiles)
 * overrides the built-in of the same name.
 */
#ifndef XH_PROFILES_H
#define XH_PROFILES_H

#include <stdbool.h>
#include <stdio.h>

#include "xh-util.h"

enum xh_skew_policy {
        XH_SKEW_FALLBACK, /* built from another source version: run the emulated original, warn */
        XH_SKEW_NATIVE,   /* run native anyway */
        XH_SKEW_ERROR,    /* refuse to run the tool */
        XH_SKEW_REBUILD,  /* create builds the compiler from the target's source; else fallback */
};

struct xh_profile {
        char *name;   /* profile name (file name without .ini) */
        char *origin; /* "built-in" or the path of the file it came from */
        char *description;

        /* [target] */
        char *suite;   /* Debian suite, e.g. bookworm */
        char *arch;    /* Debian architecture, e.g. arm64 */
        char *triplet; /* GNU triplet, e.g. aarch64-linux-gnu */
        char *mirror;  /* archive URL */
        char *variant; /* mmdebstrap variant: minbase, buildd, apt, required, important, standard */
        char **packages; /* extra target packages (NULL-terminated, sorted, unique) */

        /* [emulator] */
        char *qemu;     /* emulator program name or absolute path, e.g. qemu-aarch64-static */
        char *qemu_cpu; /* QEMU_CPU value, or NULL for qemu's default */

        /* [toolchain] */
        char **toolchain_packages; /* packages of the amd64 toolchain layer */
        char **emulate;            /* tools always sent to their emulated originals */
        /*
         * The native set beyond the built-in packages: programs (native),
         * denied programs run native all the same (native_override), and
         * packages whose programs are considered (native_packages).
         */
        char **native;
        char **native_override;
        char **native_packages;
        enum xh_skew_policy skew;

        /* [session] */
        char **env; /* extra variables passed into sessions: NAME or NAME=VALUE */
        /*
         * cache = yes|no|PATH: hybrid sessions compile through the compile
         * cache (ccache): cache_dir is PATH, or NULL for the store's
         * directory of the profile.
         */
        bool cache;
        char *cache_dir;
};

/*
 * Parse a profile from text. origin names the text in error messages (a path
 * or "built-in"). On error returns a negative errno and sets err->msg to
 * "ORIGIN:LINE: what is wrong" (with a hint where useful).
 * Unknown sections and keys, bad values and a missing required key are errors.
 */
int xh_profile_parse(const char *name, const char *origin, const char *text,
                     struct xh_profile **out, xh_error *err);

/*
 * Load profile NAME: USER_DIR/NAME.ini if it exists (user_dir may be NULL),
 * else the built-in one. -ENOENT with a message listing known names if none.
 */
int xh_profile_load(const char *name, const char *user_dir, struct xh_profile **out, xh_error *err);

/* Names of all profiles (built-in and user, unique, sorted). */
int xh_profile_list(const char *user_dir, char ***names, xh_error *err);

/* The user profile directory: $XDG_CONFIG_HOME/xhybrid/profiles or ~/.config/... */
char *xh_profile_user_dir(void);

/* Print the resolved profile as a normalized INI document (stable, for golden tests). */
void xh_profile_dump(const struct xh_profile *p, FILE *out);

/*
 * The recipe of the target root: the keys that change what mmdebstrap builds
 * (suite, arch, mirror, variant, packages), as one canonical string. Two
 * profiles with the same recipe share one root in the store.
 */
char *xh_profile_target_recipe(const struct xh_profile *p);
/* The same for the toolchain layer (suite, mirror, triplet, toolchain packages). */
char *xh_profile_toolchain_recipe(const struct xh_profile *p);

const char *xh_skew_policy_name(enum xh_skew_policy s);

void xh_profile_free(struct xh_profile *p);
static inline void xh_profile_freep(struct xh_profile **p)
{
        xh_profile_free(*p);
}
#define _cleanup_profile_ __attribute__((cleanup(xh_profile_freep)))

#endif
