/* SPDX-License-Identifier: MIT */
/*
 * xhybrid image: a container image of a hybrid session, made from what
 * create put in the store, without a registry or an engine. The session's
 * own plan (xh_session_image_plan) says what the image holds; each of its
 * ops becomes part of a layer:
 *
 *   the overlay's lowest layer (the target root)  layer 1, as it is
 *   the bind of the toolchain layer               layer 2, at /.xhybrid/toolchain,
 *                                                 without what the plan hides
 *   the generated layer's files (shim, shim.conf, layer 3, made on disk by the plan's
 *   native copies, /lib64)                        own file ops, plus:
 *   the bind of the root at /.xhybrid/orig          the root's files that layer covers
 *   the bind of the toolchain's host libraries      a link into /.xhybrid/toolchain
 *   the writable tmpfs at /.xhybrid/run             its mode
 *   (the image's own)                               xhybrid, qemu, image.conf
 *
 * /proc, /dev, /sys, /tmp and the working directory are the engine's. Layers
 * are uncompressed tar files made by GNU tar with sorted names and numeric
 * owners; the root and the toolchain keep their owners, modes and times, the
 * generated layer is root's with no time after the root's recipe, so the
 * same store gives the same archive byte for byte. The archive is an OCI
 * image layout and a docker-archive at once (index.json and manifest.json
 * name the same blobs).
 */
#include "session.h"
#include "emulator.h"
#include "overlay.h"
#include "xh-paths.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* JSON: a string with its quotes. */
static void json_str(xh_buf *b, const char *s)
{
        xh_buf_add(b, "\"");
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;
                if (c == '"' || c == '\\')
                        xh_buf_addf(b, "\\%c", c);
                else if (c < 0x20)
                        xh_buf_addf(b, "\\u%04x", c);
                else
                        xh_buf_addn(b, s, 1);
        }
        xh_buf_add(b, "\"");
}

static void json_strv(xh_buf *b, char *const *v)
{
        xh_buf_add(b, "[");
        for (size_t i = 0; v && v[i]; i++) {
                if (i)
                        xh_buf_add(b, ",");
                json_str(b, v[i]);
        }
        xh_buf_add(b, "]");
}

static void json_descriptor(xh_buf *b, const char *media_type, const char *digest, uint64_t size)
{
        xh_buf_add(b, "{\"mediaType\":");
        json_str(b, media_type);
        xh_buf_add(b, ",\"digest\":");
        json_str(b, digest);
        xh_buf_addf(b, ",\"size\":%" PRIu64 "}", size);
}

#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_CONFIG   "application/vnd.oci.image.config.v1+json"
#define MT_LAYER    "application/vnd.oci.image.layer.v1.tar"

char *xh_image_config_json(const struct xh_image_desc *d)
{
        xh_buf b = {0};
        xh_buf_add(&b, "{\"architecture\":");
        json_str(&b, d->arch);
        if (d->variant) {
                xh_buf_add(&b, ",\"variant\":");
                json_str(&b, d->variant);
        }
        xh_buf_add(&b, ",\"os\":\"linux\",\"created\":");
        json_str(&b, d->created);
        xh_buf_add(&b, ",\"config\":{\"Env\":");
        json_strv(&b, d->env);
        xh_buf_add(&b, ",\"Entrypoint\":");
        json_strv(&b, d->entrypoint);
        xh_buf_add(&b, ",\"Cmd\":");
        json_strv(&b, d->cmd);
        if (d->volumes && d->volumes[0]) {
                xh_buf_add(&b, ",\"Volumes\":{");
                for (char *const *v = d->volumes; *v; v++) {
                        if (v != d->volumes)
                                xh_buf_add(&b, ",");
                        json_str(&b, *v);
                        xh_buf_add(&b, ":{}");
                }
                xh_buf_add(&b, "}");
        }
        xh_buf_add(&b, ",\"WorkingDir\":\"/\",\"Labels\":{\"org.xhybrid.profile\":");
        json_str(&b, d->profile);
        xh_buf_add(&b, "}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[");
        for (size_t i = 0; i < d->nlayers; i++) {
                if (i)
                        xh_buf_add(&b, ",");
                json_str(&b, d->layers[i].digest);
        }
        xh_buf_add(&b, "]},\"history\":[");
        for (size_t i = 0; i < d->nlayers; i++) {
                if (i)
                        xh_buf_add(&b, ",");
                xh_buf_add(&b, "{\"created\":");
                json_str(&b, d->created);
                xh_buf_add(&b, ",\"created_by\":");
                json_str(&b, d->layers[i].what);
                xh_buf_add(&b, "}");
        }
        xh_buf_add(&b, "]}");
        return xh_buf_steal(&b);
}

char *xh_image_manifest_json(const char *config_digest, uint64_t config_size,
                             const struct xh_image_layer *layers, size_t n)
{
        xh_buf b = {0};
        xh_buf_add(&b, "{\"schemaVersion\":2,\"mediaType\":\"" MT_MANIFEST "\",\"config\":");
        json_descriptor(&b, MT_CONFIG, config_digest, config_size);
        xh_buf_add(&b, ",\"layers\":[");
        for (size_t i = 0; i < n; i++) {
                if (i)
                        xh_buf_add(&b, ",");
                json_descriptor(&b, MT_LAYER, layers[i].digest, layers[i].size);
        }
        xh_buf_add(&b, "]}");
        return xh_buf_steal(&b);
}

/* "NAME:TAG" -> TAG */
static const char *tag_of(const char *ref)
{
        const char *slash = strrchr(ref, '/');
        const char *colon = strrchr(slash ? slash : ref, ':');
        return colon ? colon + 1 : "latest";
}

char *xh_image_index_json(const char *manifest_digest, uint64_t manifest_size, const char *ref)
{
        xh_buf b = {0};
        xh_buf_add(&b, "{\"schemaVersion\":2,\"mediaType\":"
                       "\"application/vnd.oci.image.index.v1+json\",\"manifests\":[");
        xh_buf_add(&b, "{\"mediaType\":\"" MT_MANIFEST "\",\"digest\":");
        json_str(&b, manifest_digest);
        xh_buf_addf(&b, ",\"size\":%" PRIu64 ",\"annotations\":{", manifest_size);
        xh_buf_add(&b, "\"io.containerd.image.name\":");
        json_str(&b, ref);
        xh_buf_add(&b, ",\"org.opencontainers.image.ref.name\":");
        json_str(&b, tag_of(ref));
        xh_buf_add(&b, "}}]}");
        return xh_buf_steal(&b);
}

/* "sha256:HEX" -> "blobs/sha256/HEX" */
static char *blob_path(const char *digest)
{
        const char *colon = strchr(digest, ':');
        return colon ? xh_asprintf("blobs/sha256/%s", colon + 1) : xh_strdup(digest);
}

char *xh_image_docker_manifest_json(const char *config_digest, const char *ref,
                                    const struct xh_image_layer *layers, size_t n)
{
        xh_buf b = {0};
        _cleanup_free_ char *config = blob_path(config_digest);
        xh_buf_add(&b, "[{\"Config\":");
        json_str(&b, config);
        xh_buf_add(&b, ",\"RepoTags\":[");
        json_str(&b, ref);
        xh_buf_add(&b, "],\"Layers\":[");
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *p = blob_path(layers[i].digest);
                if (i)
                        xh_buf_add(&b, ",");
                json_str(&b, p);
        }
        xh_buf_add(&b, "]}]");
        return xh_buf_steal(&b);
}

/*
 * A reference as engines take it: NAME[:TAG], NAME lowercase components of
 * [a-z0-9._-] separated by '/', TAG up to 128 of [A-Za-z0-9_.-] not starting
 * with '.' or '-'. Without a tag, ":latest" is added.
 */
int xh_image_ref(const char *in, char **out, xh_error *err)
{
        *out = NULL;
        const char *slash = strrchr(in, '/');
        const char *colon = strrchr(slash ? slash : in, ':');
        size_t name_len = colon ? (size_t)(colon - in) : strlen(in);
        bool ok = name_len > 0 && in[0] != '/' && in[name_len - 1] != '/';
        for (size_t i = 0; ok && i < name_len; i++) {
                char c = in[i];
                ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                     c == '-' || (c == '/' && in[i + 1] != '/');
        }
        const char *tag = colon ? colon + 1 : "latest";
        size_t tag_len = strlen(tag);
        ok = ok && tag_len > 0 && tag_len <= 128 && tag[0] != '.' && tag[0] != '-';
        for (size_t i = 0; ok && i < tag_len; i++) {
                char c = tag[i];
                ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '.' || c == '_' || c == '-';
        }
        if (!ok) {
                xh_fail(err, EINVAL, "--tag '%s' is not an image name", in);
                return xh_hint(err, EINVAL,
                               "give NAME[:TAG]: NAME of lowercase letters, digits, '.', '_', "
                               "'-' and '/', TAG of letters, digits, '.', '_' and '-', e.g. "
                               "xhybrid/arm64-trixie:latest");
        }
        *out = colon ? xh_strdup(in) : xh_asprintf("%s:latest", in);
        return 0;
}

char *xh_image_conf_format(const struct xh_image_conf *c)
{
        xh_buf b = {0};
        xh_buf_add(&b, "# The image's identity, read by 'xhybrid entrypoint'.\n");
        xh_buf_addf(&b, "profile = %s\n", c->profile);
        xh_buf_addf(&b, "arch = %s\n", c->arch);
        xh_buf_addf(&b, "emulator = %s\n", c->emulator);
        xh_buf_addf(&b, "emulator-flags = %s\n", c->emulator_flags);
        xh_buf_addf(&b, "probe = %s\n", c->probe);
        return xh_buf_steal(&b);
}

void xh_image_conf_clear(struct xh_image_conf *c)
{
        free(c->profile);
        free(c->arch);
        free(c->emulator);
        free(c->emulator_flags);
        free(c->probe);
        *c = (struct xh_image_conf){0};
}

int xh_image_conf_parse(const char *text, const char *origin, struct xh_image_conf *c,
                        xh_error *err)
{
        *c = (struct xh_image_conf){0};
        _cleanup_strv_ char **lines = xh_strv_split(text, "\n");
        static const struct {
                const char *key;
                size_t offset;
        } keys[] = {
                {"arch", offsetof(struct xh_image_conf, arch)},
                {"emulator", offsetof(struct xh_image_conf, emulator)},
                {"emulator-flags", offsetof(struct xh_image_conf, emulator_flags)},
                {"probe", offsetof(struct xh_image_conf, probe)},
                {"profile", offsetof(struct xh_image_conf, profile)},
        };
        size_t no = 0;
        for (char **l = lines; *l; l++) {
                no++;
                const char *s = *l + strspn(*l, " \t");
                if (!*s || *s == '#')
                        continue;
                size_t klen = strcspn(s, " \t=");
                const char *eq = strchr(s, '=');
                size_t k = 0;
                while (k < XH_ARRAY_SIZE(keys) &&
                       (strlen(keys[k].key) != klen || strncmp(keys[k].key, s, klen) != 0))
                        k++;
                if (!eq || k == XH_ARRAY_SIZE(keys)) {
                        xh_image_conf_clear(c);
                        xh_fail(err, EINVAL,
                                "%s:%zu: expected KEY = VALUE with KEY one of "
                                "arch, emulator, emulator-flags, probe, profile",
                                origin, no);
                        return xh_hint(err, EINVAL,
                                       "the file belongs to the image; make the image again with "
                                       "'xhybrid image'");
                }
                const char *v = eq + 1 + strspn(eq + 1, " \t");
                size_t vlen = strlen(v);
                while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
                        vlen--;
                char **field = (char **)((char *)c + keys[k].offset);
                free(*field);
                *field = xh_strndup(v, vlen);
        }
        const char *missing = !c->arch || !*c->arch           ? "arch"
                              : !c->emulator || !*c->emulator ? "emulator"
                              : !c->probe || !*c->probe       ? "probe"
                              : !c->profile || !*c->profile   ? "profile"
                              : !c->emulator_flags            ? "emulator-flags"
                                                              : NULL;
        if (missing) {
                xh_image_conf_clear(c);
                xh_fail(err, EINVAL, "%s: no %s", origin, missing);
                return xh_hint(err, EINVAL,
                               "the file belongs to the image; make the image again with "
                               "'xhybrid image'");
        }
        if (!xh_arch_by_debian(c->arch)) {
                xh_fail(err, EINVAL, "%s: unknown arch '%s'", origin, c->arch);
                xh_image_conf_clear(c);
                return -EINVAL;
        }
        return 0;
}

/* ---- making the archive ---- */

struct build {
        const struct xh_image_opts *o;
        const struct xh_arch *arch;
        char *work;    /* STORE/work/image-PROFILE.XXXXXX, removed at the end */
        char *staging; /* the plan's staging directory, in work */
        char *layer;   /* STAGING/layer: the generated layer */
        char *out;     /* work/out: the archive's tree */
        char *mtime;   /* "@SECONDS": no generated file is newer */
        long long epoch;
        struct xh_image_layer layers[3];
        size_t nlayers;
        /* image --install: the layer goes into o->install_root, no archive */
        bool install;
        char *toolchain; /* install: the root's toolchain layer */
        char **hidden;   /* install: its directories the session hides, emptied */
};

static int run(char *const *argv, char **out, xh_error *err)
{
        struct xh_spawn s = {.argv = argv, .search_path = true, .capture_fd = out ? 1 : 0};
        return xh_spawn(&s, out, NULL, err);
}

/* The sha256 of a file, as "sha256:HEX". */
static int sha256_of(const char *path, char **digest, xh_error *err)
{
        char *const argv[] = {"sha256sum", (char *)path, NULL};
        _cleanup_free_ char *out = NULL;
        int r = run(argv, &out, err);
        if (r < 0)
                return r;
        size_t n = strspn(out, "0123456789abcdef");
        if (n != 64)
                return xh_fail(err, EIO, "sha256sum %s: unexpected output '%s'", path, out);
        *digest = xh_asprintf("sha256:%.64s", out);
        return 0;
}

static int file_size(const char *path, uint64_t *size, xh_error *err)
{
        struct stat st;
        if (stat(path, &st) < 0)
                return xh_fail(err, errno, "%s: %s", path, strerror(errno));
        *size = (uint64_t)st.st_size;
        return 0;
}

/* Move a file of the archive's tree to blobs/sha256/HEX; *digest is its digest. */
static int to_blob(struct build *b, const char *path, char **digest, uint64_t *size, xh_error *err)
{
        int r;
        if ((r = sha256_of(path, digest, err)) < 0 || (r = file_size(path, size, err)) < 0)
                return r;
        _cleanup_free_ char *rel = blob_path(*digest);
        _cleanup_free_ char *to = xh_asprintf("%s/%s", b->out, rel);
        if (rename(path, to) < 0)
                return xh_fail(err, errno, "rename %s to %s: %s", path, to, strerror(errno));
        return 0;
}

static int write_blob(struct build *b, const char *text, char **digest, uint64_t *size,
                      xh_error *err)
{
        _cleanup_free_ char *tmp = xh_asprintf("%s/blob.json", b->out);
        int r = xh_write_file(tmp, text, strlen(text), 0644);
        if (r < 0)
                return xh_fail(err, -r, "%s: %s", tmp, strerror(-r));
        return to_blob(b, tmp, digest, size, err);
}

/* GNU tar's options for a reproducible layer: sorted, numeric owners, no atime/ctime. */
#define TAR_COMMON                                                                                 \
        "tar", "--create", "--sort=name", "--format=posix", "--numeric-owner",                     \
                "--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime", "--xattrs", \
                "--xattrs-include=*"

/*
 * A layer: tar of dir; under (not NULL) puts its entries below that path of
 * the image; exclude: patterns of what to leave out; with clamp, owners root
 * and no time after the build's epoch.
 */
static int tar_layer(struct build *b, const char *dir, const char *under, char *const *exclude,
                     bool clamp, const char *what, xh_error *err)
{
        _cleanup_free_ char *file = xh_asprintf("%s/layer.tar", b->out);
        _cleanup_strv_ char **argv = xh_malloc(sizeof(char *));
        static const char *const common[] = {TAR_COMMON};
        for (size_t i = 0; i < XH_ARRAY_SIZE(common); i++)
                xh_strv_push(&argv, common[i]);
        xh_strv_pushf(&argv, "--file=%s", file);
        xh_strv_pushf(&argv, "--directory=%s", dir);
        if (under) /* names and hard links moved below it; symbolic links' targets kept */
                xh_strv_pushf(&argv, "--transform=s,^\\.,.%s,S", under);
        if (clamp) {
                xh_strv_pushf(&argv, "--mtime=%s", b->mtime);
                xh_strv_push(&argv, "--clamp-mtime");
                xh_strv_push(&argv, "--owner=0");
                xh_strv_push(&argv, "--group=0");
        }
        for (char *const *e = exclude; e && *e; e++)
                xh_strv_pushf(&argv, "--exclude=%s", *e);
        xh_strv_push(&argv, ".");
        double t0 = xh_now();
        int r = run(argv, NULL, err);
        if (r < 0)
                return r;
        struct xh_image_layer *l = &b->layers[b->nlayers];
        if ((r = to_blob(b, file, &l->digest, &l->size, err)) < 0)
                return r;
        l->what = what;
        b->nlayers++;
        xh_note(b->o->notes, XH_NOTE_PROGRESS, "layer %zu: %s, %.1f MiB in %.1f s", b->nlayers,
                what, (double)l->size / (1 << 20), xh_now() - t0);
        return 0;
}

/* path lies below dir (or is it): the part after dir ("" or "/..."), else NULL. */
static const char *below(const char *path, const char *dir)
{
        size_t n = strlen(dir);
        if (strncmp(path, dir, n) != 0 || (path[n] != '\0' && path[n] != '/'))
                return NULL;
        return path + n;
}

/* What the engine mounts in every container: the session's own mounts there stay out. */
static bool engines(const char *at)
{
        static const char *const paths[] = {"/proc", "/dev", "/sys", "/tmp", "/etc/resolv.conf"};
        for (size_t i = 0; i < XH_ARRAY_SIZE(paths); i++)
                if (below(at, paths[i]))
                        return true;
        return false;
}

/*
 * The generated layer's directories that the root has too (/usr, /usr/bin)
 * take the root's mode and times (and are root's, as in the root): the layer must not change them
 * in the image. Its own directory, /.xhybrid, is left alone.
 */
static int keep_root_dirs(const char *layer, const char *rootfs, const char *rel, xh_error *err)
{
        _cleanup_free_ char *dir = xh_asprintf("%s%s", layer, rel);
        DIR *d = opendir(dir);
        if (!d)
                return xh_fail(err, errno, "%s: %s", dir, strerror(errno));
        struct dirent *e;
        int r = 0;
        while (r == 0 && (e = readdir(d))) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                        continue;
                _cleanup_free_ char *sub = xh_asprintf("%s/%s", rel, e->d_name);
                _cleanup_free_ char *mine = xh_asprintf("%s%s", layer, sub);
                _cleanup_free_ char *theirs = xh_asprintf("%s%s", rootfs, sub);
                struct stat st, rt;
                if (strcmp(sub, XH_SESSION_DIR) == 0 || lstat(mine, &st) < 0 ||
                    !S_ISDIR(st.st_mode) || lstat(theirs, &rt) < 0 || !S_ISDIR(rt.st_mode))
                        continue;
                r = keep_root_dirs(layer, rootfs, sub, err);
        }
        closedir(d);
        if (r < 0)
                return r;
        _cleanup_free_ char *theirs = xh_asprintf("%s%s", rootfs, rel);
        struct stat rt;
        if (lstat(theirs, &rt) < 0)
                return xh_fail(err, errno, "%s: %s", theirs, strerror(errno));
        const struct timespec times[2] = {rt.st_atim, rt.st_mtim};
        /* Owners: the layer's tar makes every entry root's, as Debian's directories are. */
        if (chmod(dir, rt.st_mode & 07777) < 0 ||
            utimensat(AT_FDCWD, dir, times, AT_SYMLINK_NOFOLLOW) < 0)
                return xh_fail(err, errno, "%s: %s", dir, strerror(errno));
        return 0;
}

/* mode=NNNN of a tmpfs op's data. */
static unsigned tmpfs_mode(const char *data)
{
        const char *m = data ? strstr(data, "mode=") : NULL;
        return m ? (unsigned)strtoul(m + 5, NULL, 8) : 0755;
}

static int copy_in(const char *from, const char *to, mode_t mode, xh_error *err)
{
        _cleanup_free_ char *dir = xh_strdup(to);
        *strrchr(dir, '/') = '\0';
        int r = xh_mkdir_p(dir, 0755);
        struct xh_plan plan = {0};
        struct xh_op op = {.kind = XH_OP_COPY, .src = (char *)from, .dst = (char *)to};
        plan.ops = &op;
        plan.n = 1;
        if (r < 0)
                return xh_fail(err, -r, "%s: %s", dir, strerror(-r));
        if ((r = xh_plan_apply_files(&plan, to, err)) < 0)
                return r;
        if (mode && chmod(to, mode) < 0)
                return xh_fail(err, errno, "%s: %s", to, strerror(errno));
        return 0;
}

/*
 * The session's plan turned into the image's layers (see the top). The
 * overlay's layers: the generated one (first in lowerdir) and the root.
 */
static int layers_from_plan(struct build *b, const struct xh_plan *plan, const char *rootfs,
                            xh_error *err)
{
        int r;
        if ((r = xh_plan_apply_files(plan, b->layer, err)) < 0)
                return r;
        _cleanup_free_ char *merged = xh_asprintf("%s/root", b->staging);
        _cleanup_free_ char *own = xh_asprintf("%s" XH_SESSION_DIR, b->layer);
        const char *toolchain = NULL, *toolchain_at = NULL;
        _cleanup_strv_ char **hide = xh_malloc(sizeof(char *));

        for (size_t i = 0; i < plan->n; i++) {
                const struct xh_op *op = &plan->ops[i];
                const char *at = below(op->dst, merged);
                if (op->kind == XH_OP_OVERLAY && strstr(op->data, rootfs) == NULL)
                        return xh_fail(err, EINVAL, "the session's overlay holds no root %s",
                                       rootfs);
                if (!at || engines(at) || (op->kind != XH_OP_BIND && op->kind != XH_OP_TMPFS))
                        continue; /* the root's mount point, the pivot, the engine's mounts */
                if (op->kind == XH_OP_TMPFS && (op->flags & XH_F_RDONLY) && toolchain_at &&
                    below(at, toolchain_at)) {
                        /* hidden in the session: left out of the layer, the directory kept */
                        xh_strv_pushf(&hide, ".%s/*", below(at, toolchain_at));
                        if (b->install)
                                xh_strv_pushf(&b->hidden, "%s%s", toolchain,
                                              below(at, toolchain_at));
                } else if (op->kind == XH_OP_TMPFS) {
                        _cleanup_free_ char *d = xh_asprintf("%s%s", b->layer, at);
                        if ((r = xh_mkdir_p(d, 0755)) < 0 || chmod(d, tmpfs_mode(op->data)) < 0)
                                return xh_fail(err, r < 0 ? -r : errno, "%s: %s", d,
                                               strerror(r < 0 ? -r : errno));
                } else if (op->kind == XH_OP_BIND && strcmp(op->src, own) == 0) {
                        continue; /* the generated layer's own /.xhybrid: in it already */
                } else if (op->kind == XH_OP_BIND && b->o->cache &&
                           strcmp(at, XH_CCACHE_DIR) == 0) {
                        /* the compile cache: a volume, writable for any builder's ids */
                        _cleanup_free_ char *d = xh_asprintf("%s%s", b->layer, at);
                        if ((r = xh_mkdir_p(d, 0755)) < 0 || chmod(d, 01777) < 0)
                                return xh_fail(err, r < 0 ? -r : errno, "%s: %s", d,
                                               strerror(r < 0 ? -r : errno));
                } else if (op->kind == XH_OP_BIND && strcmp(op->src, rootfs) == 0) {
                        /* the originals of what the generated layer covers */
                        for (size_t j = 0; j < plan->n; j++) {
                                const struct xh_op *f = &plan->ops[j];
                                const char *p = below(f->dst, b->layer);
                                if ((f->kind != XH_OP_LINK && f->kind != XH_OP_COPY) || !p ||
                                    below(p, XH_SESSION_DIR))
                                        continue;
                                _cleanup_free_ char *from = xh_asprintf("%s%s", rootfs, p);
                                _cleanup_free_ char *to = xh_asprintf("%s%s%s", b->layer, at, p);
                                if ((r = copy_in(from, to, 0, err)) < 0)
                                        return r;
                        }
                } else if (op->kind == XH_OP_BIND && toolchain && below(op->src, toolchain)) {
                        /* the toolchain's host libraries: reached through the toolchain layer */
                        _cleanup_free_ char *d = xh_asprintf("%s%s", b->layer, at);
                        _cleanup_free_ char *to =
                                xh_asprintf("%s%s", toolchain_at, below(op->src, toolchain));
                        if ((rmdir(d) < 0 && errno != ENOENT) || symlink(to, d) < 0)
                                return xh_fail(err, errno, "%s: %s", d, strerror(errno));
                } else if (op->kind == XH_OP_BIND && !toolchain && below(at, XH_SESSION_DIR)) {
                        toolchain = op->src;
                        toolchain_at = at;
                } else {
                        return xh_fail(err, EINVAL, "an image has no place for the session's %s %s",
                                       xh_op_kind_name(op->kind), op->dst);
                }
        }
        if (!toolchain)
                return xh_fail(err, EINVAL, "the session's plan binds no toolchain layer");
        if ((r = keep_root_dirs(b->layer, rootfs, "", err)) < 0)
                return r;
        if (b->install)
                return 0;
        if ((r = tar_layer(b, rootfs, NULL, NULL, false, "the target root", err)) < 0 ||
            (r = tar_layer(b, toolchain, toolchain_at, hide, false, "the toolchain layer", err)) <
                    0)
                return r;
        return 0;
}

/* What the image adds to the generated layer: xhybrid itself, the emulator, image.conf. */
static int add_own_files(struct build *b, const char *rootfs, xh_error *err)
{
        const struct xh_profile *p = b->o->profile;
        int r;
        _cleanup_free_ char *self = xh_asprintf("%s" XH_IMAGE_XHYBRID, b->layer);
        if ((r = copy_in(b->o->xhybrid, self, 0755, err)) < 0)
                return r;
        _cleanup_free_ char *qemu = NULL;
        /* Installed into a root: the emulator of its toolchain layer (a stage of the build). */
        _cleanup_free_ char *tc_qemu = b->install && p->qemu[0] != '/'
                                               ? xh_asprintf("%s/usr/bin/%s", b->toolchain, p->qemu)
                                               : NULL;
        if (tc_qemu && access(tc_qemu, F_OK) < 0) {
                xh_fail(err, ENOENT, "%s: %s", tc_qemu, strerror(errno));
                return xh_hint(err, ENOENT,
                               "install qemu-user-static in the toolchain layer (the amd64 "
                               "stage copied to %s)",
                               XH_TOOLCHAIN_DIR);
        }
        if ((r = xh_qemu_find(tc_qemu ? tc_qemu : p->qemu, &qemu, err)) < 0 ||
            (r = xh_qemu_check(qemu, err)) < 0)
                return r;
        _cleanup_free_ char *qemu_at = xh_asprintf(XH_BIN_DIR "/qemu-%s-static", b->arch->qemu);
        _cleanup_free_ char *qemu_in = xh_asprintf("%s%s", b->layer, qemu_at);
        if ((r = copy_in(qemu, qemu_in, 0755, err)) < 0)
                return r;
        /* Debian's qemu keeps argv[0] (flag P) when started under this name. */
        _cleanup_free_ char *wrapper = xh_asprintf(XH_BIN_DIR "/%s-binfmt-P", b->arch->qemu);
        _cleanup_free_ char *wrapper_in = xh_asprintf("%s%s", b->layer, wrapper);
        if (symlink(strrchr(qemu_at, '/') + 1, wrapper_in) < 0)
                return xh_fail(err, errno, "%s: %s", wrapper_in, strerror(errno));
        _cleanup_free_ char *binfmt = xh_asprintf("%s" XH_IMAGE_BINFMT, b->layer);
        if ((r = xh_mkdir_p(binfmt, 0755)) < 0)
                return xh_fail(err, -r, "%s: %s", binfmt, strerror(-r));

        /* The probe: the target's program loader, which runs alone (no loader of its own). */
        _cleanup_free_ char *sh_in = xh_resolve_in_root(rootfs, "/bin/sh");
        _cleanup_free_ char *sh = sh_in ? xh_asprintf("%s%s", rootfs, sh_in) : NULL;
        struct xh_elf_info info = {0};
        if (!sh || (r = xh_elf_inspect(sh, &info, err)) < 0 || !info.interpreter) {
                xh_elf_info_clear(&info);
                return xh_fail(err, ENOENT, "%s: no /bin/sh with a program loader", rootfs);
        }
        struct xh_image_conf c = {
                .profile = p->name,
                .arch = p->arch,
                .emulator = wrapper,
                .emulator_flags = "POF",
                .probe = info.interpreter,
        };
        _cleanup_free_ char *text = xh_image_conf_format(&c);
        xh_elf_info_clear(&info);
        _cleanup_free_ char *conf = xh_asprintf("%s" XH_IMAGE_CONF, b->layer);
        if ((r = xh_write_file(conf, text, strlen(text), 0644)) < 0)
                return xh_fail(err, -r, "%s: %s", conf, strerror(-r));
        return 0;
}

/* The newest recipe of the two trees: the image's time. */
static long long trees_epoch(const struct xh_image_opts *o)
{
        _cleanup_free_ char *root = xh_store_root_path(o->store, o->profile);
        _cleanup_free_ char *tc = xh_store_toolchain_path(o->store, o->profile);
        long long t = 0;
        const char *trees[] = {root, tc};
        for (size_t i = 0; i < XH_ARRAY_SIZE(trees); i++) {
                _cleanup_free_ char *recipe = xh_asprintf("%s/recipe", trees[i]);
                struct stat st;
                if (stat(recipe, &st) == 0 && st.st_mtime > t)
                        t = st.st_mtime;
        }
        return t;
}

static int write_archive(struct build *b, char *const *env, char **id, xh_error *err)
{
        const struct xh_image_opts *o = b->o;
        char created[32];
        time_t t = (time_t)b->epoch;
        struct tm tm;
        strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
        char *entrypoint[] = {XH_IMAGE_XHYBRID, "entrypoint", "--", NULL};
        char *cmd[] = {"/bin/bash", NULL};
        char *volumes[] = {o->cache ? XH_CCACHE_DIR : NULL, NULL};
        struct xh_image_desc d = {
                .arch = b->arch->oci_arch,
                .variant = b->arch->oci_variant,
                .created = created,
                .profile = o->profile->name,
                .env = env,
                .entrypoint = entrypoint,
                .cmd = cmd,
                .volumes = volumes,
                .layers = b->layers,
                .nlayers = b->nlayers,
        };
        _cleanup_free_ char *config = xh_image_config_json(&d);
        _cleanup_free_ char *config_digest = NULL, *manifest_digest = NULL;
        uint64_t config_size, manifest_size;
        int r;
        if ((r = write_blob(b, config, &config_digest, &config_size, err)) < 0)
                return r;
        _cleanup_free_ char *manifest =
                xh_image_manifest_json(config_digest, config_size, b->layers, b->nlayers);
        if ((r = write_blob(b, manifest, &manifest_digest, &manifest_size, err)) < 0)
                return r;
        *id = xh_strdup(config_digest);
        _cleanup_free_ char *index = xh_image_index_json(manifest_digest, manifest_size, o->ref);
        _cleanup_free_ char *docker =
                xh_image_docker_manifest_json(config_digest, o->ref, b->layers, b->nlayers);
        static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
        const struct {
                const char *name, *text;
        } files[] = {{"index.json", index}, {"manifest.json", docker}, {"oci-layout", layout}};
        for (size_t i = 0; i < XH_ARRAY_SIZE(files); i++) {
                _cleanup_free_ char *path = xh_asprintf("%s/%s", b->out, files[i].name);
                if ((r = xh_write_file(path, files[i].text, strlen(files[i].text), 0644)) < 0)
                        return xh_fail(err, -r, "%s: %s", path, strerror(-r));
        }
        _cleanup_free_ char *tmp = xh_asprintf("%s.tmp", o->output);
        _cleanup_free_ char *file = xh_asprintf("--file=%s", tmp);
        _cleanup_free_ char *dir = xh_asprintf("--directory=%s", b->out);
        _cleanup_free_ char *mtime = xh_asprintf("--mtime=%s", b->mtime);
        char *const argv[] = {"tar",
                              "--create",
                              "--sort=name",
                              "--format=posix",
                              "--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime",
                              "--owner=0",
                              "--group=0",
                              "--numeric-owner",
                              "--mode=u=rwX,go=rX",
                              mtime,
                              file,
                              dir,
                              "blobs",
                              "index.json",
                              "manifest.json",
                              "oci-layout",
                              NULL};
        if ((r = run(argv, NULL, err)) < 0) {
                unlink(tmp);
                return r;
        }
        if (rename(tmp, o->output) < 0) {
                r = -errno;
                unlink(tmp);
                return xh_fail(err, -r, "rename %s to %s: %s", tmp, o->output, strerror(-r));
        }
        return 0;
}

int xh_image_build(const struct xh_image_opts *o, struct xh_image_info *info, xh_error *err)
{
        *info = (struct xh_image_info){0};
        double t0 = xh_now();
        const struct xh_profile *p = o->profile;
        struct build b = {.o = o, .arch = xh_arch_by_debian(p->arch)};
        if (!b.arch || !b.arch->oci_arch)
                return xh_fail(err, EINVAL, "profile '%s': no image platform for arch '%s'",
                               p->name, p->arch);
        int r;
        if ((r = xh_store_check(o->store, p, XH_TREE_ROOT, true, err)) < 0 ||
            (r = xh_store_check(o->store, p, XH_TREE_TOOLCHAIN, true, err)) < 0)
                return r;
        /* The trees must not change while they are read: create holds these exclusively. */
        _cleanup_close_ int root_fd = -1;
        _cleanup_close_ int tc_fd = -1;
        if ((r = xh_store_use_tree(o->store, p, XH_TREE_ROOT, "make the image again", &root_fd,
                                   err)) < 0 ||
            (r = xh_store_use_tree(o->store, p, XH_TREE_TOOLCHAIN, "make the image again", &tc_fd,
                                   err)) < 0)
                return r;

        _cleanup_free_ char *workdir = xh_asprintf("%s/work", o->store);
        if ((r = xh_mkdir_p(workdir, 0755)) < 0)
                return xh_fail(err, -r, "%s: %s", workdir, strerror(-r));
        _cleanup_free_ char *tmpl = xh_asprintf("%s/image-%s.XXXXXX", workdir, p->name);
        if (!mkdtemp(tmpl))
                return xh_fail(err, errno, "%s: %s", tmpl, strerror(errno));
        b.work = tmpl;
        b.staging = xh_asprintf("%s/stage", b.work);
        b.layer = xh_asprintf("%s/layer", b.staging);
        b.out = xh_asprintf("%s/out", b.work);
        b.epoch = trees_epoch(o);
        b.mtime = xh_asprintf("@%lld", b.epoch);
        _cleanup_free_ char *blobs = xh_asprintf("%s/blobs/sha256", b.out);
        _cleanup_free_ char *rootfs = xh_store_rootfs(o->store, p);
        struct xh_plan plan = {0};
        _cleanup_strv_ char **env = NULL;
        if ((r = xh_mkdir_p(blobs, 0755)) < 0 || (r = xh_mkdir_p(b.staging, 0755)) < 0) {
                xh_fail(err, -r, "%s: %s", b.work, strerror(-r));
        } else if ((r = xh_session_image_plan(p, o->store, NULL, NULL, b.staging, o->cache,
                                              o->notes, &plan, &env, err)) == 0 &&
                   (r = layers_from_plan(&b, &plan, rootfs, err)) == 0 &&
                   (r = add_own_files(&b, rootfs, err)) == 0 &&
                   (r = tar_layer(&b, b.layer, NULL, NULL, true,
                                  "the shim layer, xhybrid and the emulator", err)) == 0) {
                r = write_archive(&b, env, &info->digest, err);
        }
        xh_plan_free(&plan);
        if (r == 0) {
                uint64_t size = 0;
                file_size(o->output, &size, NULL);
                info->bytes = size;
                info->nlayers = b.nlayers;
                for (size_t i = 0; i < b.nlayers; i++)
                        info->layer_bytes[i] = b.layers[i].size;
                sha256_of(o->output, &info->archive_digest, NULL);
                info->seconds = xh_now() - t0;
        }
        int rm = xh_rm_rf(b.work);
        if (r == 0 && rm < 0)
                XH_INFO("could not remove %s: %s", b.work, strerror(-rm));
        for (size_t i = 0; i < b.nlayers; i++)
                free(b.layers[i].digest);
        free(b.staging);
        free(b.layer);
        free(b.out);
        free(b.mtime);
        return r;
}

/* ---- installing into a root (image --install) ---- */

/*
 * Move the generated layer's tree from into the root at to: a directory the
 * root has too is kept (its mode, owner and times) and entered; anything
 * else replaces the root's entry by rename(2), hard links kept.
 */
static int merge_into(const char *from, const char *to, const char *rel, xh_buf *list,
                      xh_error *err)
{
        DIR *d = opendir(from);
        if (!d)
                return xh_fail(err, errno, "%s: %s", from, strerror(errno));
        struct dirent *e;
        int r = 0;
        while (r == 0 && (e = readdir(d))) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                        continue;
                _cleanup_free_ char *src = xh_asprintf("%s/%s", from, e->d_name);
                _cleanup_free_ char *dst = xh_asprintf("%s/%s", to, e->d_name);
                _cleanup_free_ char *sub = xh_asprintf("%s/%s", rel, e->d_name);
                struct stat st, dt;
                if (lstat(src, &st) < 0) {
                        r = xh_fail(err, errno, "%s: %s", src, strerror(errno));
                        break;
                }
                bool have = lstat(dst, &dt) == 0;
                if (have && S_ISDIR(dt.st_mode) && S_ISDIR(st.st_mode)) {
                        r = merge_into(src, dst, sub, list, err);
                        continue;
                }
                if (have && S_ISDIR(dt.st_mode) && rmdir(dst) < 0) {
                        r = xh_fail(err, errno, "%s: %s, where the shim layer puts a %s", dst,
                                    strerror(errno), S_ISLNK(st.st_mode) ? "link" : "file");
                        break;
                }
                if (rename(src, dst) < 0)
                        r = xh_fail(err, errno, "rename %s to %s: %s", src, dst, strerror(errno));
                else if (!S_ISDIR(st.st_mode))
                        xh_buf_addf(list, "%s\n", sub);
        }
        closedir(d);
        return r;
}

/* Two regular files with the same bytes. */
static bool same_bytes(const char *a, const char *b)
{
        struct stat sa, sb;
        if (lstat(a, &sa) < 0 || lstat(b, &sb) < 0 || !S_ISREG(sa.st_mode) ||
            !S_ISREG(sb.st_mode) || sa.st_size != sb.st_size)
                return false;
        _cleanup_close_ int fa = open(a, O_RDONLY | O_CLOEXEC);
        _cleanup_close_ int fb = open(b, O_RDONLY | O_CLOEXEC);
        if (fa < 0 || fb < 0)
                return false;
        static char ba[65536], bb[65536];
        for (;;) {
                ssize_t na = read(fa, ba, sizeof(ba));
                if (na <= 0)
                        return na == 0;
                if (read(fb, bb, (size_t)na) != na || memcmp(ba, bb, (size_t)na) != 0)
                        return false;
        }
}

/*
 * Undo an earlier install (list: XH_IMAGE_INSTALLED, what it put into the
 * root), so that a new one chooses from the packages installed since: each
 * entry that is still the shim, the toolchain's copy or a link of the layer
 * gives way to the target's original, or to nothing; one that a package
 * replaced since stays, and its old original goes. The layer's own files
 * below XH_SESSION_DIR stay: the new install replaces them (this program and
 * the shim beside it among them).
 */
static int uninstall(const char *rootfs, const char *list, xh_error *err)
{
        _cleanup_free_ char *text = NULL;
        int r = xh_read_file(list, &text, NULL);
        if (r < 0)
                return xh_fail(err, -r, "%s: %s", list, strerror(-r));
        _cleanup_free_ char *shim = xh_asprintf("%s" XH_SHIM_PATH, rootfs);
        _cleanup_strv_ char **paths = xh_strv_split(text, "\n");
        for (char **p = paths; *p; p++) {
                if (**p != '/' || strstr(*p, "/../") || below(*p, XH_SESSION_DIR))
                        continue;
                _cleanup_free_ char *path = xh_asprintf("%s%s", rootfs, *p);
                _cleanup_free_ char *orig = xh_asprintf("%s" XH_ORIG_DIR "%s", rootfs, *p);
                _cleanup_free_ char *native = xh_asprintf("%s" XH_TOOLCHAIN_DIR "%s", rootfs, *p);
                struct stat st;
                if (lstat(path, &st) < 0)
                        continue; /* removed since */
                bool ours = S_ISLNK(st.st_mode)
                                    ? access(orig, F_OK) < 0
                                    : same_bytes(path, shim) || same_bytes(path, native);
                if (!ours)
                        continue;
                if (rename(orig, path) < 0 && (errno != ENOENT || unlink(path) < 0))
                        return xh_fail(err, errno, "%s: %s", path, strerror(errno));
        }
        _cleanup_free_ char *orig_dir = xh_asprintf("%s" XH_ORIG_DIR, rootfs);
        if ((r = xh_rm_rf(orig_dir)) < 0)
                return xh_fail(err, -r, "%s: %s", orig_dir, strerror(-r));
        return 0;
}

/* Empty a directory the session hides (the cross packages' own libc). */
static int empty_dir(const char *dir, xh_error *err)
{
        if (!xh_is_dir(dir))
                return 0;
        DIR *d = opendir(dir);
        if (!d)
                return xh_fail(err, errno, "%s: %s", dir, strerror(errno));
        struct dirent *e;
        int r = 0;
        while (r == 0 && (e = readdir(d))) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                        continue;
                _cleanup_free_ char *path = xh_asprintf("%s/%s", dir, e->d_name);
                if ((r = xh_rm_rf(path)) < 0)
                        xh_fail(err, -r, "%s: %s", path, strerror(-r));
        }
        closedir(d);
        return r;
}

int xh_image_install(const struct xh_image_opts *o, struct xh_image_info *info, xh_error *err)
{
        *info = (struct xh_image_info){0};
        double t0 = xh_now();
        const struct xh_profile *p = o->profile;
        struct build b = {.o = o, .arch = xh_arch_by_debian(p->arch), .install = true};
        if (!b.arch)
                return xh_fail(err, EINVAL, "profile '%s': unknown arch '%s'", p->name, p->arch);
        char resolved[PATH_MAX];
        if (!realpath(o->install_root, resolved))
                return xh_fail(err, errno, "%s: %s", o->install_root, strerror(errno));
        /* "/" joins as "" ("/usr/bin"), any other root as itself ("/r/usr/bin") */
        const char *rootfs = strcmp(resolved, "/") == 0 ? "" : resolved;
        const char *shown = *rootfs ? rootfs : "/";
        _cleanup_free_ char *status = xh_asprintf("%s/var/lib/dpkg/status", rootfs);
        if (access(status, R_OK) < 0) {
                xh_fail(err, errno, "%s: %s", status, strerror(errno));
                return xh_hint(err, errno, "%s must be a Debian root of the target (%s)", shown,
                               p->arch);
        }
        _cleanup_free_ char *toolchain = xh_asprintf("%s" XH_TOOLCHAIN_DIR, rootfs);
        b.toolchain = toolchain;
        _cleanup_free_ char *tc_status = xh_asprintf("%s/var/lib/dpkg/status", b.toolchain);
        if (access(tc_status, R_OK) < 0) {
                int e = errno;
                xh_fail(err, e, "%s: %s", tc_status, strerror(e));
                _cleanup_free_ char *pkgs = xh_strv_join(p->toolchain_packages, " ");
                return xh_hint(err, e,
                               "copy the toolchain layer, an amd64 Debian %s with %s and "
                               "qemu-user-static, to %s first (COPY --from=STAGE / %s/)",
                               p->suite, pkgs, XH_TOOLCHAIN_DIR, XH_TOOLCHAIN_DIR);
        }
        _cleanup_free_ char *conf = xh_asprintf("%s" XH_IMAGE_CONF, rootfs);
        _cleanup_free_ char *list = xh_asprintf("%s" XH_IMAGE_INSTALLED, rootfs);
        int r = 0;
        if (access(conf, F_OK) == 0 && access(list, F_OK) < 0) {
                xh_fail(err, EEXIST, "%s: %s holds an image's shim layer already, without %s", conf,
                        shown, list);
                return xh_hint(err, EEXIST,
                               "install into the base image it came from, or make the image "
                               "again with 'xhybrid image'");
        }
        if (access(list, F_OK) == 0 && (r = uninstall(rootfs, list, err)) < 0)
                return r;

        _cleanup_free_ char *tmpl = xh_asprintf("%s" XH_SESSION_DIR "/install.XXXXXX", rootfs);
        if (!mkdtemp(tmpl))
                return xh_fail(err, errno, "%s: %s", tmpl, strerror(errno));
        b.work = tmpl;
        b.staging = xh_asprintf("%s/stage", b.work);
        b.layer = xh_asprintf("%s/layer", b.staging);
        b.hidden = xh_malloc(sizeof(char *));
        struct xh_plan plan = {0};
        _cleanup_strv_ char **env = NULL;
        if ((r = xh_mkdir_p(b.staging, 0755)) < 0) {
                xh_fail(err, -r, "%s: %s", b.staging, strerror(-r));
        } else if ((r = xh_session_image_plan(p, o->store, shown, b.toolchain, b.staging, false,
                                              o->notes, &plan, &env, err)) == 0 &&
                   (r = layers_from_plan(&b, &plan, shown, err)) == 0 &&
                   (r = add_own_files(&b, shown, err)) == 0) {
                for (char **h = b.hidden; r == 0 && *h; h++)
                        r = empty_dir(*h, err);
                xh_buf installed = {0};
                xh_buf_add(&installed, "");
                if (r == 0)
                        r = merge_into(b.layer, shown, "", &installed, err);
                _cleanup_free_ char *text = xh_buf_steal(&installed);
                int w;
                if (r == 0 && (w = xh_write_file(list, text, strlen(text), 0644)) < 0)
                        r = xh_fail(err, -w, "%s: %s", list, strerror(-w));
        }
        xh_plan_free(&plan);
        if (r == 0)
                info->seconds = xh_now() - t0;
        int rm = xh_rm_rf(b.work);
        if (r == 0 && rm < 0)
                XH_INFO("could not remove %s: %s", b.work, strerror(-rm));
        free(b.staging);
        free(b.layer);
        xh_strv_free(b.hidden);
        return r;
}

void xh_image_info_clear(struct xh_image_info *info)
{
        free(info->digest);
        free(info->archive_digest);
        *info = (struct xh_image_info){0};
}
