/* SPDX-License-Identifier: MIT */
/* xhybrid image PROFILE -o FILE: an image archive of the profile's hybrid root. */
#include "cli.h"
#include "emulator.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

/*
 * The static xhybrid beside this program: the image's entrypoint. Installing
 * (--install), this program itself when it is the static one (as it is in a
 * Dockerfile's RUN step).
 */
static char *static_self(bool install, xh_error *err)
{
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n <= 0) {
                xh_fail(err, errno, "cannot read /proc/self/exe: %s", strerror(errno));
                return NULL;
        }
        self[n] = '\0';
        if (install) {
                struct xh_elf_info info = {0};
                bool is_static = xh_elf_inspect(self, &info, NULL) == 0 && !info.interpreter;
                xh_elf_info_clear(&info);
                if (is_static)
                        return xh_strdup(self);
        }
        *strrchr(self, '/') = '\0';
        char *path = xh_asprintf("%s/xhybrid-static", self);
        if (access(path, X_OK) == 0)
                return path;
        xh_fail(err, ENOENT, "%s: %s: an image needs the static xhybrid as its entrypoint", path,
                strerror(errno));
        xh_hint(err, ENOENT,
                "it is built beside xhybrid (scripts/build), except in a sanitized build "
                "(-DXH_SANITIZE=ON): make the image with a plain build");
        free(path);
        return NULL;
}

/* image --install DIR PROFILE: the shim layer into a root, as a Dockerfile's RUN step does it. */
static int install(const struct xh_args *a, const struct xh_profile *p, const char *store)
{
        xh_error err = {0};
        _cleanup_free_ char *self = static_self(true, &err);
        if (!self)
                return xh_cli_fail(&err, XH_EXIT_ERROR);
        struct xh_image_opts o = {
                .profile = p,
                .store = store,
                .xhybrid = self,
                .install_root = a->install,
                .notes = &xh_cli_notes,
        };
        struct xh_image_info info;
        if (xh_image_install(&o, &info, &err) < 0)
                return xh_cli_fail(&err, XH_EXIT_ERROR);
        printf("installed the shim layer of %s (%s) into %s in %.1f s\n", p->name, p->arch,
               a->install, info.seconds);
        printf("  entrypoint: [\"%s\", \"entrypoint\", \"--\"]\n", XH_IMAGE_XHYBRID);
        xh_image_info_clear(&info);
        return XH_EXIT_OK;
}

int xh_cmd_image(const struct xh_args *a)
{
        xh_error err = {0};
        _cleanup_profile_ struct xh_profile *p = NULL;
        if (xh_cli_load_profile(a->profile, &p, &err) < 0)
                return xh_cli_fail(&err, XH_EXIT_ERROR);
        _cleanup_free_ char *store = xh_store_dir(a->store);
        if (a->install)
                return install(a, p, store);
        _cleanup_free_ char *ref = NULL;
        _cleanup_free_ char *name = a->tag ? NULL : xh_asprintf("xhybrid/%s", p->name);
        if (xh_image_ref(a->tag ? a->tag : name, &ref, &err) < 0)
                return xh_cli_fail(&err, XH_EXIT_USAGE);
        _cleanup_free_ char *self = static_self(false, &err);
        if (!self)
                return xh_cli_fail(&err, XH_EXIT_ERROR);
        if (xh_cli_check_output("-o", a->output) < 0)
                return XH_EXIT_ERROR;
        struct xh_image_opts o = {
                .profile = p,
                .store = store,
                .output = a->output,
                .ref = ref,
                .xhybrid = self,
                .cache = a->cache,
                .notes = &xh_cli_notes,
        };
        struct xh_image_info info;
        if (xh_image_build(&o, &info, &err) < 0)
                return xh_cli_fail(&err, XH_EXIT_ERROR);
        printf("image %s (%s, %s)\n", ref, p->arch, p->name);
        printf("  archive  %s: %.1f MiB, %s\n", a->output, (double)info.bytes / (1 << 20),
               info.archive_digest ? info.archive_digest : "?");
        printf("  id       %s\n", info.digest);
        for (size_t i = 0; i < info.nlayers; i++)
                printf("  layer %zu  %.1f MiB\n", i + 1, (double)info.layer_bytes[i] / (1 << 20));
        printf("  made in  %.1f s\n", info.seconds);
        printf("  load it: podman load -i %s\n", a->output);
        xh_image_info_clear(&info);
        return XH_EXIT_OK;
}
