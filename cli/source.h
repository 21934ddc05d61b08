/* SPDX-License-Identifier: MIT */
/* Sources for bench and verify (cli/source.c). */
#ifndef XH_SOURCE_H
#define XH_SOURCE_H

#include <stdbool.h>

#include "profiles.h"
#include "xh-util.h"

enum xh_source_kind { XH_SOURCE_DIR, XH_SOURCE_TARBALL, XH_SOURCE_DEB };

struct xh_source {
        enum xh_source_kind kind;
        char *name; /* package or directory name, used for work paths */
        char *path; /* DIR or TARBALL: absolute path */
        char *dsc;  /* DEB: the cached .dsc */
        bool skip_patches;
};

/* Resolve SOURCE (DIR, TARBALL or deb:NAME); deb: sources are fetched once into the store. */
int xh_source_resolve(const char *spec, const struct xh_profile *p, const char *store,
                      bool skip_patches, struct xh_source *s, xh_error *err);
/* Unpack a fresh copy at dest (removed first); tool output goes to log. */
int xh_source_unpack(const struct xh_source *s, const char *dest, const char *log, xh_error *err);
void xh_source_clear(struct xh_source *s);

/* Run argv (a PATH lookup) with stdin from /dev/null; its standard output, or NULL. */
char *xh_run_capture(char *const argv[]);

/* Run argv with stdin from /dev/null and output appended to log (or dropped). */
int xh_run_quiet(char *const argv[], const char *log, xh_error *err);

#endif
