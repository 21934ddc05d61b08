/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for overlay/plan.c: the mount plans of a session, of the host
 * binfmt namespace and of the doctor's probes, path checks, overlay option
 * escaping, and the printed plan (golden files in tests/golden/plan).
 * Nothing here mounts: xh_plan_apply is not called.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "overlay.h"

#define STAGING "/store/mnt"
#define ROOT    STAGING "/root"
#define ROOTFS  "/store/roots/arm64-bookworm-0123456789ab/rootfs"
#define UPPER   "/store/sessions/arm64-debian/upper"
#define WORK    "/store/sessions/arm64-debian/work"
#define CWD     "/home/user/src/project"

/* A rule with raw bytes in it, as xh_binfmt_rule makes them. */
#define RULE                                                                                       \
        ":xhybrid:M::\x7f"                                                                         \
        "ELF\x02\x01\x01:\xff\xff\xff:/usr/bin/qemu-aarch64-static:OF"

/* ---- helpers ----------------------------------------------------------- */

static char *kinds_of(const struct xh_plan *plan)
{
        xh_buf b = {0};
        for (size_t i = 0; i < plan->n; i++) {
                if (i)
                        xh_buf_add(&b, " ");
                xh_buf_add(&b, xh_op_kind_name(plan->ops[i].kind));
        }
        return xh_buf_steal(&b);
}

static void assert_kinds(const struct xh_plan *plan, const char *want, const char *what)
{
        _cleanup_free_ char *got = kinds_of(plan);
        ck_assert_msg(!strcmp(got, want), "%s: ops are\n  %s\nexpected\n  %s", what, got, want);
}

static bool str_eq(const char *a, const char *b)
{
        return a == b || (a && b && !strcmp(a, b));
}

/* Assert op i is exactly this (NULL strings must be NULL). */
static void assert_op(const struct xh_plan *plan, size_t i, enum xh_op_kind kind, unsigned flags,
                      const char *src, const char *dst, const char *data)
{
        ck_assert_msg(i < plan->n, "op %zu: the plan has only %zu ops", i, plan->n);
        const struct xh_op *op = &plan->ops[i];
        ck_assert_msg(op->kind == kind, "op %zu: kind %s, expected %s", i,
                      xh_op_kind_name(op->kind), xh_op_kind_name(kind));
        ck_assert_msg(op->flags == flags, "op %zu (%s): flags %#x, expected %#x", i,
                      xh_op_kind_name(kind), op->flags, flags);
        ck_assert_msg(str_eq(op->src, src), "op %zu (%s): src '%s', expected '%s'", i,
                      xh_op_kind_name(kind), op->src ? op->src : "(null)", src ? src : "(null)");
        ck_assert_msg(str_eq(op->dst, dst), "op %zu (%s): dst '%s', expected '%s'", i,
                      xh_op_kind_name(kind), op->dst ? op->dst : "(null)", dst ? dst : "(null)");
        ck_assert_msg(str_eq(op->data, data), "op %zu (%s): data '%s', expected '%s'", i,
                      xh_op_kind_name(kind), op->data ? op->data : "(null)",
                      data ? data : "(null)");
}

/* Index of the first op of this kind with this dst, or -1. */
static long find_op(const struct xh_plan *plan, enum xh_op_kind kind, const char *dst)
{
        for (size_t i = 0; i < plan->n; i++)
                if (plan->ops[i].kind == kind && str_eq(plan->ops[i].dst, dst))
                        return (long)i;
        return -1;
}

static void assert_empty(const struct xh_plan *plan, const char *what)
{
        ck_assert_msg(plan->n == 0 && plan->ops == NULL, "%s: plan not empty (%zu ops)", what,
                      plan->n);
}

static char *print_str(const struct xh_plan *plan)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        ck_assert_ptr_nonnull(f);
        xh_plan_print(plan, f);
        ck_assert_int_eq(fclose(f), 0);
        return buf;
}

static struct xh_session_spec persistent_spec(void)
{
        return (struct xh_session_spec){
                .staging = STAGING,
                .rootfs = ROOTFS,
                .upper = UPPER,
                .work = WORK,
                .cwd = CWD,
                .binfmt_rule = RULE,
                .resolv_conf = true,
        };
}

static struct xh_session_spec ephemeral_spec(void)
{
        return (struct xh_session_spec){
                .staging = STAGING,
                .rootfs = ROOTFS,
                .cwd = CWD,
        };
}

static void plan_ok(const struct xh_session_spec *spec, struct xh_plan *plan)
{
        xh_error err = {0};
        int r = xh_plan_session(spec, plan, &err);
        ck_assert_msg(r == 0, "xh_plan_session: %d: %s", r, err.msg ? err.msg : "(none)");
        ck_assert_ptr_null(err.msg);
        ck_assert_uint_gt(plan->n, 0);
}

/* ---- session plans ------------------------------------------------------ */

START_TEST(test_session_persistent)
{
        struct xh_session_spec spec = persistent_spec();
        struct xh_plan plan;
        plan_ok(&spec, &plan);
        assert_kinds(&plan,
                     "make-private tmpfs mkdir overlay proc binfmt_misc binfmt-register "
                     "bind bind tmpfs bind bind pivot-root chdir",
                     "persistent");
        size_t i = 0;
        assert_op(&plan, i++, XH_OP_MAKE_PRIVATE, 0, NULL, "/", NULL);
        assert_op(&plan, i++, XH_OP_TMPFS, 0, NULL, STAGING, "mode=0755");
        assert_op(&plan, i++, XH_OP_MKDIR, 0, NULL, ROOT, NULL);
        assert_op(&plan, i++, XH_OP_OVERLAY, 0, "overlay", ROOT,
                  "lowerdir=" ROOTFS ",upperdir=" UPPER ",workdir=" WORK ",userxattr");
        assert_op(&plan, i++, XH_OP_PROC, 0, "proc", ROOT "/proc", NULL);
        assert_op(&plan, i++, XH_OP_BINFMT, 0, "binfmt_misc", ROOT "/proc/sys/fs/binfmt_misc",
                  NULL);
        assert_op(&plan, i++, XH_OP_BINFMT_REGISTER, 0, NULL,
                  ROOT "/proc/sys/fs/binfmt_misc/register", RULE);
        assert_op(&plan, i++, XH_OP_BIND, XH_F_REC, "/dev", ROOT "/dev", NULL);
        assert_op(&plan, i++, XH_OP_BIND, XH_F_REC | XH_F_RDONLY, "/sys", ROOT "/sys", NULL);
        assert_op(&plan, i++, XH_OP_TMPFS, XH_F_NODEV, NULL, ROOT "/tmp", "mode=1777");
        assert_op(&plan, i++, XH_OP_BIND, XH_F_FILE | XH_F_OPTIONAL | XH_F_RDONLY,
                  "/etc/resolv.conf", ROOT "/etc/resolv.conf", NULL);
        assert_op(&plan, i++, XH_OP_BIND, XH_F_REC, CWD, ROOT CWD, NULL);
        assert_op(&plan, i++, XH_OP_PIVOT, 0, NULL, ROOT, NULL);
        assert_op(&plan, i++, XH_OP_CHDIR, 0, NULL, CWD, NULL);
        ck_assert_uint_eq(plan.n, i);
        /* A persistent upper is the caller's: the plan does not create it. */
        ck_assert_int_eq(find_op(&plan, XH_OP_MKDIR, UPPER), -1);
        ck_assert_int_eq(find_op(&plan, XH_OP_MKDIR, STAGING "/upper"), -1);
        xh_plan_free(&plan);
}
END_TEST

START_TEST(test_session_ephemeral)
{
        struct xh_session_spec spec = ephemeral_spec();
        /* Without an upper, work is ignored (even a bad one). */
        spec.work = "not/checked";
        struct xh_plan plan;
        plan_ok(&spec, &plan);
        assert_kinds(&plan,
                     "make-private tmpfs mkdir mkdir mkdir overlay proc bind bind tmpfs bind "
                     "pivot-root chdir",
                     "ephemeral");
        assert_op(&plan, 2, XH_OP_MKDIR, 0, NULL, ROOT, NULL);
        assert_op(&plan, 3, XH_OP_MKDIR, 0, NULL, STAGING "/upper", NULL);
        assert_op(&plan, 4, XH_OP_MKDIR, 0, NULL, STAGING "/work", NULL);
        /* The throwaway upper lives in the session tmpfs. */
        assert_op(&plan, 5, XH_OP_OVERLAY, 0, "overlay", ROOT,
                  "lowerdir=" ROOTFS ",upperdir=" STAGING "/upper,workdir=" STAGING
                  "/work,userxattr");
        /* No rule: no binfmt_misc; no resolv.conf unless asked. */
        ck_assert_int_eq(find_op(&plan, XH_OP_BINFMT, ROOT "/proc/sys/fs/binfmt_misc"), -1);
        ck_assert_int_eq(find_op(&plan, XH_OP_BIND, ROOT "/etc/resolv.conf"), -1);
        xh_plan_free(&plan);
}
END_TEST

#define ARCHIVE "/store/sessions/arm64-debian/upper.tar"

/*
 * A store on overlayfs: the persistent upper is restored from its archive
 * into the session tmpfs before the overlay is mounted, used as the upper,
 * and the save at the end is opened right after the overlay, before the
 * pivot takes the store's paths away.
 */
START_TEST(test_session_upper_archive)
{
        struct xh_session_spec spec = persistent_spec();
        spec.upper = NULL;
        spec.work = NULL;
        spec.upper_archive = ARCHIVE;
        struct xh_plan plan;
        plan_ok(&spec, &plan);
        assert_kinds(&plan,
                     "make-private tmpfs mkdir mkdir mkdir restore overlay save-at-exit proc "
                     "binfmt_misc binfmt-register bind bind tmpfs bind bind pivot-root chdir",
                     "upper archive");
        assert_op(&plan, 3, XH_OP_MKDIR, 0, NULL, STAGING "/upper", NULL);
        assert_op(&plan, 4, XH_OP_MKDIR, 0, NULL, STAGING "/work", NULL);
        /* A profile without an archive yet starts from an empty upper. */
        assert_op(&plan, 5, XH_OP_RESTORE, XH_F_OPTIONAL, ARCHIVE, STAGING "/upper", NULL);
        assert_op(&plan, 6, XH_OP_OVERLAY, 0, "overlay", ROOT,
                  "lowerdir=" ROOTFS ",upperdir=" STAGING "/upper,workdir=" STAGING
                  "/work,userxattr");
        assert_op(&plan, 7, XH_OP_SAVE, 0, STAGING "/upper", ARCHIVE, NULL);
        ck_assert_int_lt(7, find_op(&plan, XH_OP_PIVOT, ROOT));
        xh_plan_free(&plan);
}
END_TEST

/* A throwaway session over an archived upper: restored as the top layer, never saved. */
START_TEST(test_session_layer_archive)
{
        static const char *const layers[] = {"/store/layers/extra", NULL};
        struct xh_session_spec spec = ephemeral_spec();
        spec.layers = layers;
        spec.layer_archive = ARCHIVE;
        struct xh_plan plan;
        plan_ok(&spec, &plan);
        assert_kinds(&plan,
                     "make-private tmpfs mkdir mkdir mkdir mkdir restore overlay proc bind bind "
                     "tmpfs bind pivot-root chdir",
                     "layer archive");
        assert_op(&plan, 5, XH_OP_MKDIR, 0, NULL, STAGING "/saved", NULL);
        assert_op(&plan, 6, XH_OP_RESTORE, XH_F_OPTIONAL, ARCHIVE, STAGING "/saved", NULL);
        assert_op(&plan, 7, XH_OP_OVERLAY, 0, "overlay", ROOT,
                  "lowerdir=" STAGING "/saved:/store/layers/extra:" ROOTFS ",upperdir=" STAGING
                  "/upper,workdir=" STAGING "/work,userxattr");
        ck_assert_int_eq(find_op(&plan, XH_OP_SAVE, ARCHIVE), -1);
        xh_plan_free(&plan);

        /* Above it only the generated layer of a hybrid session. */
        spec.links = (const char *const[]){"/usr/local/bin/cc", "/usr/bin/gcc", NULL};
        plan_ok(&spec, &plan);
        long i = find_op(&plan, XH_OP_OVERLAY, ROOT);
        ck_assert_msg(strncmp(plan.ops[i].data,
                              "lowerdir=" STAGING "/layer:" STAGING "/saved:/store/layers/extra:",
                              strlen("lowerdir=" STAGING "/layer:" STAGING
                                     "/saved:/store/layers/extra:")) == 0,
                      "layers out of order: %s", plan.ops[i].data);
        xh_plan_free(&plan);
}
END_TEST

/* One persistent upper per session: a directory, an archive, or an archive as a layer. */
START_TEST(test_session_one_upper)
{
        struct xh_session_spec spec = persistent_spec();
        spec.upper_archive = ARCHIVE;
        struct xh_plan plan = {.n = 2};
        xh_error err = {0};
        ck_assert_int_eq(xh_plan_session(&spec, &plan, &err), -EINVAL);
        assert_empty(&plan, "upper and archive");
        ck_assert_msg(err.msg && strstr(err.msg, "one persistent upper"), "message: %s",
                      err.msg ? err.msg : "(none)");
        xh_error_clear(&err);
        spec = ephemeral_spec();
        spec.upper_archive = ARCHIVE;
        spec.layer_archive = ARCHIVE;
        ck_assert_int_eq(xh_plan_session(&spec, &plan, &err), -EINVAL);
        xh_error_clear(&err);
        spec.layer_archive = NULL;
        spec.upper_archive = "store/upper.tar";
        ck_assert_int_eq(xh_plan_session(&spec, &plan, &err), -EINVAL);
        ck_assert_msg(err.msg && strstr(err.msg, "upper archive 'store/upper.tar'"), "message: %s",
                      err.msg ? err.msg : "(none)");
        xh_error_clear(&err);
}
END_TEST

START_TEST(test_session_layers_top_first)
{
        static const char *const layers[] = {"/store/layers/one", "/store/layers/two",
                                             "/store/layers/three", NULL};
        struct xh_session_spec spec = persistent_spec();
        spec.layers = layers;
        struct xh_plan plan;
        plan_ok(&spec, &plan);
        long i = find_op(&plan, XH_OP_OVERLAY, ROOT);
        ck_assert_int_ge(i, 0);
        ck_assert_str_eq(plan.ops[i].data, "lowerdir=/store/layers/three:/store/layers/two:"
                                           "/store/layers/one:" ROOTFS ",upperdir=" UPPER
                                           ",workdir=" WORK ",userxattr");
        xh_plan_free(&plan);

        /* An empty layer list is the same as none. */
        static const char *const none[] = {NULL};
        spec.layers = none;
        plan_ok(&spec, &plan);
        i = find_op(&plan, XH_OP_OVERLAY, ROOT);
        ck_assert_str_eq(plan.ops[i].data,
                         "lowerdir=" ROOTFS ",upperdir=" UPPER ",workdir=" WORK ",userxattr");
        xh_plan_free(&plan);
}
END_TEST

START_TEST(test_session_escaping)
{
        static const char *const layers[] = {"/l/a,b:c", "/l/back\\slash", NULL};
        struct xh_session_spec spec = {
                .staging = "/st,a:ge",
                .rootfs = "/roots/x:y,z/rootfs",
                .layers = layers,
                .cwd = "/src/p,q:r",
        };
        struct xh_plan plan;
        plan_ok(&spec, &plan);
        long i = find_op(&plan, XH_OP_OVERLAY, "/st,a:ge/root");
        ck_assert_int_ge(i, 0);
        ck_assert_str_eq(plan.ops[i].data, "lowerdir=/l/back\\\\slash:/l/a\\,b\\:c:"
                                           "/roots/x\\:y\\,z/rootfs"
                                           ",upperdir=/st\\,a\\:ge/upper"
                                           ",workdir=/st\\,a\\:ge/work,userxattr");
        /* Only overlay options are escaped: mount points and binds are plain paths. */
        ck_assert_int_ge(find_op(&plan, XH_OP_MKDIR, "/st,a:ge/upper"), 0);
        long c = find_op(&plan, XH_OP_BIND, "/st,a:ge/root/src/p,q:r");
        ck_assert_int_ge(c, 0);
        ck_assert_str_eq(plan.ops[c].src, "/src/p,q:r");
        assert_op(&plan, plan.n - 1, XH_OP_CHDIR, 0, NULL, "/src/p,q:r", NULL);
        xh_plan_free(&plan);

        /* A persistent upper and work dir are escaped too. */
        spec.upper = "/up,per";
        spec.work = "/wo:rk";
        spec.layers = NULL;
        plan_ok(&spec, &plan);
        i = find_op(&plan, XH_OP_OVERLAY, "/st,a:ge/root");
        ck_assert_str_eq(
                plan.ops[i].data,
                "lowerdir=/roots/x\\:y\\,z/rootfs,upperdir=/up\\,per,workdir=/wo\\:rk,userxattr");
        xh_plan_free(&plan);
}
END_TEST

START_TEST(test_session_binds)
{
        static const struct xh_bind binds[] = {
                {"/srv/ccache", "/root/.ccache", true},
                {"/opt/data", "/opt/data", false},
                {"/home/user/.gitconfig", "/root/.gitconfig", true},
                {"/srv/out", CWD "/out", false},
                {NULL, NULL, false},
        };
        struct xh_session_spec spec = persistent_spec();
        spec.binds = binds;
        struct xh_plan plan;
        plan_ok(&spec, &plan);
        assert_kinds(&plan,
                     "make-private tmpfs mkdir overlay proc binfmt_misc binfmt-register "
                     "bind bind tmpfs bind bind bind bind bind bind pivot-root chdir",
                     "binds");
        long tmp = find_op(&plan, XH_OP_TMPFS, ROOT "/tmp");
        long resolv = find_op(&plan, XH_OP_BIND, ROOT "/etc/resolv.conf");
        ck_assert_int_ge(tmp, 0);
        ck_assert_int_eq(resolv, tmp + 1);
        /* The working directory, then the binds in order, so one below it stays visible. */
        size_t i = (size_t)resolv + 1;
        assert_op(&plan, i++, XH_OP_BIND, XH_F_REC, CWD, ROOT CWD, NULL);
        assert_op(&plan, i++, XH_OP_BIND, XH_F_REC | XH_F_RDONLY, "/srv/ccache",
                  ROOT "/root/.ccache", NULL);
        assert_op(&plan, i++, XH_OP_BIND, XH_F_REC, "/opt/data", ROOT "/opt/data", NULL);
        assert_op(&plan, i++, XH_OP_BIND, XH_F_REC | XH_F_RDONLY, "/home/user/.gitconfig",
                  ROOT "/root/.gitconfig", NULL);
        assert_op(&plan, i++, XH_OP_BIND, XH_F_REC, "/srv/out", ROOT CWD "/out", NULL);
        /* Then the pivot and the chdir. */
        assert_op(&plan, i++, XH_OP_PIVOT, 0, NULL, ROOT, NULL);
        assert_op(&plan, i++, XH_OP_CHDIR, 0, NULL, CWD, NULL);
        ck_assert_uint_eq(plan.n, i);
        xh_plan_free(&plan);

        /* An empty bind list (just the terminator) adds nothing. */
        static const struct xh_bind none[] = {{NULL, NULL, false}};
        spec.binds = none;
        plan_ok(&spec, &plan);
        assert_kinds(&plan,
                     "make-private tmpfs mkdir overlay proc binfmt_misc binfmt-register "
                     "bind bind tmpfs bind bind pivot-root chdir",
                     "no binds");
        xh_plan_free(&plan);
}
END_TEST

/* The store under the working directory: covered read-only after every bind. */
START_TEST(test_session_cover)
{
        static const struct xh_bind binds[] = {{"/opt/data", "/opt/data", false},
                                               {NULL, NULL, false}};
        static const char *const cover[] = {CWD "/.local/share/xhybrid", "/opt/data/st", NULL};
        struct xh_session_spec spec = persistent_spec();
        spec.binds = binds;
        spec.cover = cover;
        struct xh_plan plan;
        plan_ok(&spec, &plan);
        long cwd = find_op(&plan, XH_OP_BIND, ROOT CWD);
        long data = find_op(&plan, XH_OP_BIND, ROOT "/opt/data");
        ck_assert_int_ge(cwd, 0);
        ck_assert_int_eq(data, cwd + 1);
        assert_op(&plan, (size_t)data + 1, XH_OP_TMPFS, XH_F_RDONLY | XH_F_NODEV, NULL,
                  ROOT CWD "/.local/share/xhybrid", "mode=0755");
        assert_op(&plan, (size_t)data + 2, XH_OP_TMPFS, XH_F_RDONLY | XH_F_NODEV, NULL,
                  ROOT "/opt/data/st", "mode=0755");
        assert_op(&plan, (size_t)data + 3, XH_OP_PIVOT, 0, NULL, ROOT, NULL);
        _cleanup_free_ char *text = print_str(&plan);
        ck_assert_msg(strstr(text, "tmpfs           " ROOT CWD
                                   "/.local/share/xhybrid mode=0755 [ro,nodev,nosuid]\n"),
                      "printed plan:\n%s", text);
        xh_plan_free(&plan);

        static const char *const bad[] = {"relative/store", NULL};
        spec.cover = bad;
        xh_error err = {0};
        ck_assert_int_eq(xh_plan_session(&spec, &plan, &err), -EINVAL);
        ck_assert_ptr_nonnull(strstr(err.msg, "covered path 'relative/store'"));
        assert_empty(&plan, "bad cover");
        xh_error_clear(&err);
}
END_TEST

/*
 * A bind may not cover the target root, the session's /dev and own
 * directory, a system directory of the target (the same list that refuses a
 * working directory), or the working directory; the message names both
 * paths and the hint offers a path that works.
 */
static const struct {
        const char *dst;
        const char *why; /* in the message */
} refused_binds[] = {
        {"/", "the target root itself: it would hide the whole target"},
        {"//", "the target root itself"},
        {"/dev", "in the session's /dev: it would hide the devices bound there"},
        {"/dev/shm", "in the session's /dev"},
        {"/.xhybrid", "in the session's own directory /.xhybrid"},
        {"/.xhybrid/toolchain/usr", "in the session's own directory /.xhybrid"},
        {"/proc", "in a system directory of the target root: it would hide the target's own files"},
        {"/sys/fs", "in a system directory of the target root"},
        {"/etc", "in a system directory of the target root"},
        {"/etc/gitconfig", "in a system directory of the target root"},
        {"/usr", "in a system directory of the target root"},
        {"/usr//bin/", "in a system directory of the target root"},
        {"/usr/lib/aarch64-linux-gnu", "in a system directory of the target root"},
        {"/usr/local", "in a system directory of the target root"},
        {"/var", "in a system directory of the target root"},
        {"/var/lib/dpkg", "in a system directory of the target root"},
        {"/lib64", "in a system directory of the target root"},
        {CWD, "it would cover the working directory " CWD},
        {"/home/user", "it would cover the working directory " CWD},
        {"/home//user/", "it would cover the working directory " CWD},
        {"/home", "it would cover the working directory " CWD},
};

START_TEST(test_session_bind_refused)
{
        const char *dst = refused_binds[_i].dst;
        struct xh_bind binds[] = {
                {"/srv/ok", "/srv/ok", false},
                {"/srv/data", dst, true},
                {NULL, NULL, false},
        };
        struct xh_session_spec spec = persistent_spec();
        spec.binds = binds;
        struct xh_plan plan = {.n = 99};
        xh_error err = {0};
        ck_assert_int_eq(xh_plan_session(&spec, &plan, &err), -EINVAL);
        assert_empty(&plan, dst);
        _cleanup_free_ char *head = xh_asprintf("cannot bind /srv/data at %s", dst);
        ck_assert_msg(err.msg && strstr(err.msg, head) && strstr(err.msg, refused_binds[_i].why),
                      "%s: message '%s' lacks '%s' or '%s'", dst, err.msg ? err.msg : "(none)",
                      head, refused_binds[_i].why);
        ck_assert_msg(err.hint != NULL, "%s: no hint", dst);
        ck_assert_int_eq(err.code, EINVAL);
        xh_error_clear(&err);
}
END_TEST

/* Paths next to the refused ones are fine: names that only share a prefix, /tmp, homes. */
static const char *const allowed_binds[] = {
        "/tmp",       "/tmp/cache", "/srv",  "/opt/x",         "/etcx",
        "/usr/src",   "/devices",   "/root", "/home/user/srv", CWD "/sub",
        "/.xhybridx", "/var/tmp",   "/mnt",  "/proc2",         "/usr/local/src",
};

START_TEST(test_session_bind_allowed)
{
        const struct xh_bind binds[] = {{"/srv/data", allowed_binds[_i], false},
                                        {NULL, NULL, false}};
        struct xh_session_spec spec = persistent_spec();
        spec.binds = binds;
        struct xh_plan plan;
        plan_ok(&spec, &plan);
        _cleanup_free_ char *dst = xh_asprintf(ROOT "%s", allowed_binds[_i]);
        long b = find_op(&plan, XH_OP_BIND, dst);
        ck_assert_msg(b >= 0, "no bind at %s", dst);
        ck_assert_str_eq(plan.ops[b].src, "/srv/data");
        ck_assert_int_eq(b, (long)plan.n - 3);
        xh_plan_free(&plan);
}
END_TEST

/* A working directory under /tmp is bound after the /tmp tmpfs, so it stays visible. */
static const char *const cwd_cases[] = {"/tmp", "/tmp/build", "/tmp/a/b/c", "/dev/shm/x",
                                        "/srv/src"};

START_TEST(test_session_cwd_order)
{
        struct xh_session_spec spec = persistent_spec();
        spec.cwd = cwd_cases[_i];
        struct xh_plan plan;
        plan_ok(&spec, &plan);
        _cleanup_free_ char *dst = xh_asprintf(ROOT "%s", spec.cwd);
        long cwd = find_op(&plan, XH_OP_BIND, dst);
        long tmp = find_op(&plan, XH_OP_TMPFS, ROOT "/tmp");
        long dev = find_op(&plan, XH_OP_BIND, ROOT "/dev");
        ck_assert_msg(cwd >= 0, "no bind of the working directory at %s", dst);
        ck_assert_str_eq(plan.ops[cwd].src, spec.cwd);
        ck_assert_uint_eq(plan.ops[cwd].flags, XH_F_REC);
        ck_assert_int_gt(cwd, tmp);
        ck_assert_int_gt(cwd, dev);
        /* Every mount is done before the pivot; pivot-root and chdir come last. */
        ck_assert_int_eq(cwd, (long)plan.n - 3);
        assert_op(&plan, plan.n - 2, XH_OP_PIVOT, 0, NULL, ROOT, NULL);
        assert_op(&plan, plan.n - 1, XH_OP_CHDIR, 0, NULL, spec.cwd, NULL);
        xh_plan_free(&plan);
}
END_TEST

/*
 * Regression test (overlay/plan.c, xh_plan_session): with the working directory "/" (e.g.
 * `cd / && xhybrid run ...`), in_root() maps it to STAGING/root itself, so the
 * plan recursively binds the host's "/" over the whole target root just
 * before pivot_root: the session runs the host's tree instead of the arm64
 * root. (A cwd of /usr, /etc, /lib... likewise hides that part of the target.)
 * Fix: do not bind the working directory when it is "/" (just chdir "/"), and
 * consider refusing or skipping a cwd that is a system directory of the target.
 */
START_TEST(test_session_cwd_root)
{
        struct xh_session_spec spec = persistent_spec();
        spec.cwd = "/";
        struct xh_plan plan;
        plan_ok(&spec, &plan);
        ck_assert_msg(find_op(&plan, XH_OP_BIND, ROOT) == -1,
                      "the host's / is bound over the target root");
        assert_op(&plan, plan.n - 1, XH_OP_CHDIR, 0, NULL, "/", NULL);
        xh_plan_free(&plan);
}
END_TEST

/* ---- rejected paths ----------------------------------------------------- */

enum field { F_STAGING, F_ROOTFS, F_CWD, F_UPPER, F_WORK, F_LAYER, F_BIND_SRC, F_BIND_DST };

static const struct {
        enum field field;
        const char *path;
        const char *what; /* how the message names the field */
} bad_paths[] = {
        {F_STAGING, "store/mnt", "staging directory"},
        {F_STAGING, "/store/./mnt", "staging directory"},
        {F_STAGING, "", "staging directory"},
        {F_ROOTFS, "roots/x/rootfs", "root"},
        {F_ROOTFS, "/store/roots/../rootfs", "root"},
        {F_ROOTFS, "/store/roots/x/..", "root"},
        {F_CWD, "src/project", "working directory"},
        {F_CWD, "/home/user/.", "working directory"},
        {F_CWD, "/..", "working directory"},
        {F_CWD, ".", "working directory"},
        {F_UPPER, "upper", "upper"},
        {F_UPPER, "/store/sessions/./upper", "upper"},
        {F_WORK, "work", "work dir"},
        {F_WORK, "/store/../work", "work dir"},
        {F_LAYER, "layers/one", "layer"},
        {F_LAYER, "/store/layers/../../etc", "layer"},
        {F_BIND_SRC, "relative/src", "bind source"},
        {F_BIND_SRC, "/srv/./ccache", "bind source"},
        {F_BIND_DST, "root/.ccache", "bind destination"},
        {F_BIND_DST, "/root/../etc", "bind destination"},
        {F_BIND_DST, "/root//.", "bind destination"},
};

START_TEST(test_session_bad_path)
{
        const char *bad = bad_paths[_i].path;
        const char *layers[] = {"/store/layers/good", NULL, NULL};
        struct xh_bind binds[] = {
                {"/srv/good", "/srv/good", false},
                {"/srv/ccache", "/root/.ccache", false},
                {NULL, NULL, false},
        };
        struct xh_session_spec spec = persistent_spec();
        spec.layers = layers;
        spec.binds = binds;
        switch (bad_paths[_i].field) {
        case F_STAGING:
                spec.staging = bad;
                break;
        case F_ROOTFS:
                spec.rootfs = bad;
                break;
        case F_CWD:
                spec.cwd = bad;
                break;
        case F_UPPER:
                spec.upper = bad;
                break;
        case F_WORK:
                spec.work = bad;
                break;
        case F_LAYER:
                layers[1] = bad;
                break;
        case F_BIND_SRC:
                binds[1].src = bad;
                break;
        case F_BIND_DST:
                binds[1].dst = bad;
                break;
        }
        struct xh_plan plan = {.n = 99};
        xh_error err = {0};
        ck_assert_int_eq(xh_plan_session(&spec, &plan, &err), -EINVAL);
        assert_empty(&plan, bad);
        ck_assert_ptr_nonnull(err.msg);
        _cleanup_free_ char *quoted = xh_asprintf("%s '%s'", bad_paths[_i].what, bad);
        ck_assert_msg(strstr(err.msg, quoted), "case %d: message '%s' lacks \"%s\"", _i, err.msg,
                      quoted);
        xh_error_clear(&err);

        /* Without an error value, the same return. */
        ck_assert_int_eq(xh_plan_session(&spec, &plan, NULL), -EINVAL);
        assert_empty(&plan, bad);
}
END_TEST

START_TEST(test_session_missing_paths)
{
        static const struct {
                enum field field;
                const char *what;
        } cases[] = {
                {F_STAGING, "staging directory '(none)'"},
                {F_ROOTFS, "root '(none)'"},
                {F_CWD, "working directory '(none)'"},
                {F_WORK, "work dir '(none)'"}, /* an upper needs a work dir */
        };
        for (size_t i = 0; i < XH_ARRAY_SIZE(cases); i++) {
                struct xh_session_spec spec = persistent_spec();
                if (cases[i].field == F_STAGING)
                        spec.staging = NULL;
                else if (cases[i].field == F_ROOTFS)
                        spec.rootfs = NULL;
                else if (cases[i].field == F_CWD)
                        spec.cwd = NULL;
                else
                        spec.work = NULL;
                struct xh_plan plan;
                xh_error err = {0};
                ck_assert_int_eq(xh_plan_session(&spec, &plan, &err), -EINVAL);
                assert_empty(&plan, cases[i].what);
                ck_assert_msg(err.msg && strstr(err.msg, cases[i].what), "message '%s' lacks '%s'",
                              err.msg ? err.msg : "(none)", cases[i].what);
                xh_error_clear(&err);
        }
}
END_TEST

/* Names that only look like "." or "..", and redundant slashes, are fine. */
static const char *const good_paths[] = {"/",       "/a/..b",  "/a/.b", "/...",
                                         "/a/b./c", "//a//b/", "/a/b/", "/.hidden/x"};

START_TEST(test_session_good_path)
{
        struct xh_session_spec spec = persistent_spec();
        spec.rootfs = good_paths[_i];
        const struct xh_bind binds[] = {{good_paths[_i], "/mnt/x", false}, {NULL, NULL, false}};
        spec.binds = binds;
        struct xh_plan plan;
        plan_ok(&spec, &plan);
        xh_plan_free(&plan);
}
END_TEST

/* ---- host binfmt and probe plans ---------------------------------------- */

START_TEST(test_host_binfmt)
{
        struct xh_plan plan;
        xh_error err = {0};
        ck_assert_int_eq(xh_plan_host_binfmt(RULE, &plan, &err), 0);
        ck_assert_ptr_null(err.msg);
        assert_kinds(&plan, "make-private proc binfmt_misc binfmt-register", "host binfmt");
        assert_op(&plan, 0, XH_OP_MAKE_PRIVATE, 0, NULL, "/", NULL);
        assert_op(&plan, 1, XH_OP_PROC, 0, "proc", "/proc", NULL);
        assert_op(&plan, 2, XH_OP_BINFMT, 0, "binfmt_misc", "/proc/sys/fs/binfmt_misc", NULL);
        assert_op(&plan, 3, XH_OP_BINFMT_REGISTER, 0, NULL, "/proc/sys/fs/binfmt_misc/register",
                  RULE);
        ck_assert_uint_eq(plan.n, 4);
        xh_plan_free(&plan);

        static const char *const no_rule[] = {NULL, ""};
        for (size_t i = 0; i < XH_ARRAY_SIZE(no_rule); i++) {
                plan.n = 7;
                ck_assert_int_eq(xh_plan_host_binfmt(no_rule[i], &plan, &err), -EINVAL);
                assert_empty(&plan, "no rule");
                ck_assert_str_eq(err.msg, "no binfmt rule to register");
                xh_error_clear(&err);
        }
}
END_TEST

#define PROBE_OVERLAY "make-private tmpfs mkdir mkdir mkdir mkdir overlay"
#define PSTAGING      "/store/mnt"
#define PSCRATCH      "/store/sessions/.doctor-x"

static const struct {
        int level;
        bool rule;
        bool in_tmpfs; /* a store on overlayfs: the upper in the tmpfs */
        const char *kinds;
} probe_cases[] = {
        {0, false, false, "make-private"},
        {0, true, true, "make-private"},
        {1, true, false, PROBE_OVERLAY},
        {1, true, true, PROBE_OVERLAY},
        {2, true, false, PROBE_OVERLAY " proc"},
        {3, false, true, PROBE_OVERLAY " proc binfmt_misc"},
        {3, true, false, PROBE_OVERLAY " proc binfmt_misc binfmt-register"},
};

START_TEST(test_probe)
{
        struct xh_plan plan;
        xh_error err = {0};
        int level = probe_cases[_i].level;
        bool in_tmpfs = probe_cases[_i].in_tmpfs;
        const char *rule = probe_cases[_i].rule ? RULE : NULL;
        ck_assert_int_eq(xh_plan_probe(PSTAGING, PSCRATCH, in_tmpfs, level, rule, &plan, &err), 0);
        _cleanup_free_ char *what = xh_asprintf("probe level %d%s%s", level, rule ? " + rule" : "",
                                                in_tmpfs ? ", upper in tmpfs" : "");
        assert_kinds(&plan, probe_cases[_i].kinds, what);
        assert_op(&plan, 0, XH_OP_MAKE_PRIVATE, 0, NULL, "/", NULL);
        if (level >= 1) {
                /* The lower layer always lies on the store; the upper beside it or in the tmpfs. */
                const char *up = in_tmpfs ? PSTAGING "/upper" : PSCRATCH "/upper";
                const char *wo = in_tmpfs ? PSTAGING "/work" : PSCRATCH "/work";
                _cleanup_free_ char *data = xh_asprintf(
                        "lowerdir=" PSCRATCH "/lower,upperdir=%s,workdir=%s,userxattr", up, wo);
                assert_op(&plan, 1, XH_OP_TMPFS, 0, NULL, PSTAGING, "mode=0755");
                assert_op(&plan, 2, XH_OP_MKDIR, 0, NULL, PSCRATCH "/lower", NULL);
                assert_op(&plan, 3, XH_OP_MKDIR, 0, NULL, up, NULL);
                assert_op(&plan, 4, XH_OP_MKDIR, 0, NULL, wo, NULL);
                assert_op(&plan, 5, XH_OP_MKDIR, 0, NULL, PSTAGING "/merged", NULL);
                assert_op(&plan, 6, XH_OP_OVERLAY, 0, "overlay", PSTAGING "/merged", data);
        }
        if (level >= 2)
                assert_op(&plan, 7, XH_OP_PROC, 0, "proc", "/proc", NULL);
        if (level >= 3)
                assert_op(&plan, 8, XH_OP_BINFMT, 0, "binfmt_misc", "/proc/sys/fs/binfmt_misc",
                          NULL);
        if (level >= 3 && rule)
                assert_op(&plan, 9, XH_OP_BINFMT_REGISTER, 0, NULL,
                          "/proc/sys/fs/binfmt_misc/register", RULE);
        xh_plan_free(&plan);
}
END_TEST

START_TEST(test_probe_bad_paths)
{
        static const char *const bad[] = {"tmp", "/tmp/../x", "/tmp/."};
        for (size_t i = 0; i < XH_ARRAY_SIZE(bad); i++) {
                for (int which = 0; which < 2; which++) {
                        struct xh_plan plan = {.n = 3};
                        xh_error err = {0};
                        const char *staging = which == 0 ? bad[i] : PSTAGING;
                        const char *scratch = which == 1 ? bad[i] : PSCRATCH;
                        ck_assert_int_eq(
                                xh_plan_probe(staging, scratch, false, 1, NULL, &plan, &err),
                                -EINVAL);
                        assert_empty(&plan, bad[i]);
                        _cleanup_free_ char *want = xh_asprintf(
                                "%s directory '%s'", which == 0 ? "staging" : "scratch", bad[i]);
                        ck_assert_msg(err.msg && strstr(err.msg, want), "message '%s' lacks '%s'",
                                      err.msg ? err.msg : "(none)", want);
                        xh_error_clear(&err);
                }
        }
        struct xh_plan plan;
        ck_assert_int_eq(xh_plan_probe(NULL, PSCRATCH, false, 0, NULL, &plan, NULL), -EINVAL);
        assert_empty(&plan, "NULL staging");
        /* Level 0 mounts no overlay and needs no scratch directory. */
        ck_assert_int_eq(xh_plan_probe(PSTAGING, NULL, false, 0, NULL, &plan, NULL), 0);
        xh_plan_free(&plan);
        ck_assert_int_eq(xh_plan_probe(PSTAGING, NULL, false, 1, NULL, &plan, NULL), -EINVAL);
        assert_empty(&plan, "NULL scratch");
}
END_TEST

/* Store paths with ',' or ':' are escaped in the probe's overlay options too. */
START_TEST(test_probe_escaping)
{
        struct xh_plan plan;
        ck_assert_int_eq(xh_plan_probe("/tmp/a,b:c", "/s:t,x", false, 1, NULL, &plan, NULL), 0);
        assert_op(&plan, 6, XH_OP_OVERLAY, 0, "overlay", "/tmp/a,b:c/merged",
                  "lowerdir=/s\\:t\\,x/lower,upperdir=/s\\:t\\,x/upper,"
                  "workdir=/s\\:t\\,x/work,userxattr");
        xh_plan_free(&plan);
        ck_assert_int_eq(xh_plan_probe("/tmp/a,b:c", "/s:t,x", true, 1, NULL, &plan, NULL), 0);
        assert_op(&plan, 6, XH_OP_OVERLAY, 0, "overlay", "/tmp/a,b:c/merged",
                  "lowerdir=/s\\:t\\,x/lower,upperdir=/tmp/a\\,b\\:c/upper,"
                  "workdir=/tmp/a\\,b\\:c/work,userxattr");
        xh_plan_free(&plan);
}
END_TEST

/* ---- printing, freeing, names ------------------------------------------- */

static const char *golden_plan_path(const char *file)
{
        static char path[4096];
        const char *src = getenv("XH_SOURCE_DIR");
        ck_assert_msg(src && *src, "XH_SOURCE_DIR is not set");
        snprintf(path, sizeof(path), "%s/tests/golden/plan/%s", src, file);
        return path;
}

/*
 * Compare the printed plan with a golden file. XH_UPDATE_GOLDEN=1 rewrites the
 * file instead (check the diff by eye before committing it).
 */
static void assert_golden(const struct xh_plan *plan, const char *file)
{
        const char *path = golden_plan_path(file);
        _cleanup_free_ char *got = print_str(plan);
        const char *update = getenv("XH_UPDATE_GOLDEN");
        if (update && !strcmp(update, "1")) {
                ck_assert_int_eq(xh_write_file(path, got, strlen(got), 0644), 0);
                return;
        }
        _cleanup_free_ char *expected = NULL;
        int r = xh_read_file(path, &expected, NULL);
        ck_assert_msg(r == 0, "cannot read %s: %s", path, strerror(-r));
        ck_assert_msg(!strcmp(got, expected), "plan differs from %s\n--- got:\n%s--- expected:\n%s",
                      path, got, expected);
}

START_TEST(test_golden_persistent)
{
        static const char *const layers[] = {"/store/layers/toolchain-0123456789ab", NULL};
        static const struct xh_bind binds[] = {
                {"/home/user/.ccache", "/root/.ccache", false},
                {"/home/user/.gitconfig", "/root/.gitconfig", true},
                {NULL, NULL, false},
        };
        struct xh_session_spec spec = persistent_spec();
        spec.layers = layers;
        spec.binds = binds;
        struct xh_plan plan;
        plan_ok(&spec, &plan);
        assert_golden(&plan, "session-persistent.expected");
        xh_plan_free(&plan);
}
END_TEST

START_TEST(test_golden_ephemeral)
{
        /* As session.c does: the persistent upper becomes a read-only layer. */
        static const char *const layers[] = {UPPER, NULL};
        struct xh_session_spec spec = ephemeral_spec();
        spec.layers = layers;
        spec.cwd = "/tmp/build,1:x";
        spec.binfmt_rule = RULE;
        spec.resolv_conf = true;
        struct xh_plan plan;
        plan_ok(&spec, &plan);
        assert_golden(&plan, "session-ephemeral.expected");
        xh_plan_free(&plan);
}
END_TEST

/* ---- hybrid: the shim layer ------------------------------------------------ */

#define TOOLCHAIN "/store/layers/toolchain-arm64-bookworm-0123456789ab/rootfs"
#define LAYER     STAGING "/layer"

static const char *const shim_targets[] = {"/usr/bin/aarch64-linux-gnu-gcc-12", "/usr/bin/bash",
                                           NULL};
static const char *const direct_targets[] = {"/usr/bin/sed", "/usr/bin/rm", NULL};
static const char *const hide[] = {"/usr/aarch64-linux-gnu/include", NULL};

static struct xh_session_spec hybrid_spec(void)
{
        struct xh_session_spec spec = persistent_spec();
        spec.binfmt_rule = RULE;
        spec.toolchain = TOOLCHAIN;
        spec.hide = hide;
        spec.shim_dir = "/opt/xhybrid/bin";
        spec.cache_dir = "/store/cache/arm64-debian";
        spec.shim_conf = "triplet=aarch64-linux-gnu\n";
        spec.shim_targets = shim_targets;
        spec.direct_targets = direct_targets;
        spec.loader_at = "/lib64";
        spec.loader_to = "usr/lib/x86_64-linux-gnu";
        spec.host_libdir = "x86_64-linux-gnu";
        return spec;
}

/*
 * The shims and the native plain tools are files of the generated layer,
 * placed before the overlay is mounted, so the upper stays above them: no
 * mount covers a file of the target, and a package operation can replace it.
 */
START_TEST(test_hybrid_shim_layer)
{
        struct xh_session_spec spec = hybrid_spec();
        struct xh_plan plan;
        plan_ok(&spec, &plan);
        long overlay = find_op(&plan, XH_OP_OVERLAY, ROOT);
        ck_assert_int_ge(overlay, 0);
        ck_assert_msg(
                strstr(plan.ops[overlay].data, "lowerdir=" LAYER ":" ROOTFS ",upperdir=") != NULL,
                "the generated layer is not right above the root: %s", plan.ops[overlay].data);

        long shim = find_op(&plan, XH_OP_COPY, LAYER "/.xhybrid/bin/xhybrid-shim");
        ck_assert_int_ge(shim, 0);
        ck_assert_str_eq(plan.ops[shim].src, "/opt/xhybrid/bin/xhybrid-shim");
        ck_assert_int_lt(shim, overlay);
        for (const char *const *t = shim_targets; *t; t++) {
                _cleanup_free_ char *at = xh_asprintf(LAYER "%s", *t);
                long i = find_op(&plan, XH_OP_LINK, at);
                ck_assert_msg(i > shim && i < overlay,
                              "no link of the shim at %s before the overlay", at);
                ck_assert_str_eq(plan.ops[i].src, LAYER "/.xhybrid/bin/xhybrid-shim");
        }
        for (const char *const *t = direct_targets; *t; t++) {
                _cleanup_free_ char *at = xh_asprintf(LAYER "%s", *t);
                _cleanup_free_ char *from = xh_asprintf(TOOLCHAIN "%s", *t);
                long i = find_op(&plan, XH_OP_COPY, at);
                ck_assert_msg(i >= 0 && i < overlay, "no copy of the native tool at %s", at);
                ck_assert_str_eq(plan.ops[i].src, from);
        }
        /* One mkdir of /usr/bin serves all four files. */
        size_t mkdirs = 0;
        for (size_t i = 0; i < plan.n; i++)
                mkdirs += plan.ops[i].kind == XH_OP_MKDIR &&
                          str_eq(plan.ops[i].dst, LAYER "/usr/bin");
        ck_assert_uint_eq(mkdirs, 1);

        /* No mount lands on a program of the target; the originals are the root's own. */
        long pivot = find_op(&plan, XH_OP_PIVOT, ROOT);
        ck_assert_int_eq(pivot, (long)plan.n - 2);
        for (size_t i = 0; i < plan.n; i++) {
                const struct xh_op *op = &plan.ops[i];
                ck_assert_msg(!(op->kind == XH_OP_BIND &&
                                strncmp(op->dst, ROOT "/usr/bin", strlen(ROOT "/usr/bin")) == 0),
                              "bind over %s", op->dst);
        }
        long orig = find_op(&plan, XH_OP_BIND, ROOT "/.xhybrid/orig");
        ck_assert_int_gt(orig, overlay);
        ck_assert_str_eq(plan.ops[orig].src, ROOTFS);
        ck_assert_uint_eq(plan.ops[orig].flags & XH_F_RDONLY, XH_F_RDONLY);
        xh_plan_free(&plan);
}
END_TEST

/*
 * A rebuilt compiler: each of its files bound read-only over the toolchain
 * layer's file of the same path, right after the layer itself; none without.
 */
START_TEST(test_hybrid_rebuilt_compiler)
{
        static const char *const rebuilt[] = {
                "/store/layers/gcc-cross/rootfs/usr/bin/aarch64-linux-gnu-gcc-12",
                "/usr/bin/aarch64-linux-gnu-gcc-12",
                "/store/layers/gcc-cross/rootfs/usr/lib/gcc-cross/aarch64-linux-gnu/12/cc1",
                "/usr/lib/gcc-cross/aarch64-linux-gnu/12/cc1", NULL};
        struct xh_session_spec spec = hybrid_spec();
        spec.rebuilt = rebuilt;
        struct xh_plan plan;
        plan_ok(&spec, &plan);
        long tc = find_op(&plan, XH_OP_BIND, ROOT "/.xhybrid/toolchain");
        ck_assert_int_ge(tc, 0);
        for (size_t i = 0; rebuilt[i]; i += 2) {
                _cleanup_free_ char *at = xh_asprintf(ROOT "/.xhybrid/toolchain%s", rebuilt[i + 1]);
                long k = find_op(&plan, XH_OP_BIND, at);
                ck_assert_msg(k == tc + 1 + (long)i / 2, "no bind at %s right after the layer", at);
                ck_assert_str_eq(plan.ops[k].src, rebuilt[i]);
                ck_assert_uint_eq(plan.ops[k].flags, XH_F_RDONLY | XH_F_FILE);
        }
        xh_plan_free(&plan);

        spec = hybrid_spec();
        plan_ok(&spec, &plan);
        for (size_t i = 0; i < plan.n; i++)
                ck_assert_msg(!(plan.ops[i].flags & XH_F_FILE) ||
                                      !strstr(plan.ops[i].dst, "/.xhybrid/toolchain/"),
                              "a file bound over the toolchain layer: %s", plan.ops[i].dst);
        xh_plan_free(&plan);
}
END_TEST

/*
 * What a session must not change is mounted read-only, so that, once locked
 * in the command's own namespaces (session/namespace.c), it stays so: the
 * target root, the toolchain layer and its libraries, and /.xhybrid itself,
 * bound from the generated layer before the mounts inside it. The facts
 * cache is writable only with a persistent upper.
 */
START_TEST(test_hybrid_read_only)
{
        static const struct {
                const char *src, *dst;
        } ro[] = {
                {LAYER "/.xhybrid", ROOT "/.xhybrid"},
                {ROOTFS, ROOT "/.xhybrid/orig"},
                {TOOLCHAIN, ROOT "/.xhybrid/toolchain"},
                {TOOLCHAIN "/usr/lib/x86_64-linux-gnu", ROOT "/usr/lib/x86_64-linux-gnu"},
        };
        /* A persistent upper as a directory, none, as an archive, an archive as a layer. */
        for (int kind = 0; kind < 4; kind++) {
                bool throwaway = kind == 1 || kind == 3;
                struct xh_session_spec spec = hybrid_spec();
                if (kind > 0)
                        spec.upper = spec.work = NULL;
                if (kind == 2)
                        spec.upper_archive = ARCHIVE;
                if (kind == 3)
                        spec.layer_archive = ARCHIVE;
                struct xh_plan plan;
                plan_ok(&spec, &plan);
                long overlay = find_op(&plan, XH_OP_OVERLAY, ROOT);
                long own = find_op(&plan, XH_OP_BIND, ROOT "/.xhybrid");
                ck_assert_int_gt(own, overlay);
                for (size_t i = 0; i < XH_ARRAY_SIZE(ro); i++) {
                        long k = find_op(&plan, XH_OP_BIND, ro[i].dst);
                        ck_assert_msg(k >= own, "no bind at %s after /.xhybrid", ro[i].dst);
                        ck_assert_str_eq(plan.ops[k].src, ro[i].src);
                        ck_assert_msg(plan.ops[k].flags & XH_F_RDONLY, "%s is not read-only",
                                      ro[i].dst);
                }
                long cover = find_op(&plan, XH_OP_TMPFS,
                                     ROOT "/.xhybrid/toolchain/usr/aarch64-linux-gnu/include");
                ck_assert_int_gt(cover, find_op(&plan, XH_OP_BIND, ROOT "/.xhybrid/toolchain"));
                ck_assert_uint_eq(plan.ops[cover].flags & XH_F_RDONLY, XH_F_RDONLY);
                long run = find_op(&plan, XH_OP_TMPFS, ROOT "/.xhybrid/run");
                ck_assert_int_gt(run, own);
                long cache = find_op(&plan, XH_OP_BIND, ROOT "/.xhybrid/cache");
                ck_assert_int_gt(cache, own);
                ck_assert_str_eq(plan.ops[cache].src, "/store/cache/arm64-debian");
                ck_assert_msg(plan.ops[cache].flags == (XH_F_NODEV | (throwaway ? XH_F_RDONLY : 0)),
                              "upper kind %d: cache flags %#x", kind, plan.ops[cache].flags);
                xh_plan_free(&plan);
        }
}
END_TEST

/*
 * The compile cache: its configuration a file of the generated layer (so
 * read-only with /.xhybrid), the cache bound writable, nodev and nosuid, in
 * persistent and throwaway sessions alike, after /.xhybrid; without a cache
 * neither is there, and a relative cache path is refused.
 */
START_TEST(test_hybrid_compile_cache)
{
        for (int throwaway = 0; throwaway < 2; throwaway++) {
                struct xh_session_spec spec = hybrid_spec();
                if (throwaway)
                        spec.upper = spec.work = NULL;
                spec.ccache_dir = "/home/u/ccache";
                spec.ccache_conf = "cache_dir = /.xhybrid/ccache\n";
                struct xh_plan plan;
                plan_ok(&spec, &plan);
                long overlay = find_op(&plan, XH_OP_OVERLAY, ROOT);
                long conf = find_op(&plan, XH_OP_WRITE, LAYER "/.xhybrid/ccache.conf");
                ck_assert_int_ge(conf, 0);
                ck_assert_int_lt(conf, overlay);
                ck_assert_str_eq(plan.ops[conf].data, "cache_dir = /.xhybrid/ccache\n");
                ck_assert_int_ge(find_op(&plan, XH_OP_MKDIR, LAYER "/.xhybrid/ccache"), 0);
                long own = find_op(&plan, XH_OP_BIND, ROOT "/.xhybrid");
                long cache = find_op(&plan, XH_OP_BIND, ROOT "/.xhybrid/ccache");
                ck_assert_int_gt(cache, own);
                ck_assert_str_eq(plan.ops[cache].src, "/home/u/ccache");
                ck_assert_uint_eq(plan.ops[cache].flags, XH_F_NODEV);
                xh_plan_free(&plan);
        }
        struct xh_session_spec spec = hybrid_spec();
        struct xh_plan plan;
        plan_ok(&spec, &plan);
        ck_assert_int_lt(find_op(&plan, XH_OP_BIND, ROOT "/.xhybrid/ccache"), 0);
        ck_assert_int_lt(find_op(&plan, XH_OP_WRITE, LAYER "/.xhybrid/ccache.conf"), 0);
        xh_plan_free(&plan);

        spec.ccache_dir = "home/u/ccache";
        xh_error err = {0};
        ck_assert_int_lt(xh_plan_session(&spec, &plan, &err), 0);
        ck_assert_msg(strstr(err.msg, "compile cache 'home/u/ccache'") != NULL, "error: %s",
                      err.msg);
        xh_error_clear(&err);
}
END_TEST

/*
 * The host's program interpreter: /lib64 itself where the target has none;
 * where the target's own loader lives in /lib64 (ppc64el), one link in the
 * target's directory, made with its parent before the overlay; none at all
 * for a target whose /lib64 already holds a file of that name.
 */
START_TEST(test_hybrid_loader_link)
{
        struct xh_session_spec spec = hybrid_spec();
        struct xh_plan plan;
        plan_ok(&spec, &plan);
        long overlay = find_op(&plan, XH_OP_OVERLAY, ROOT);
        long lib64 = find_op(&plan, XH_OP_SYMLINK, LAYER "/lib64");
        ck_assert_int_ge(lib64, 0);
        ck_assert_int_lt(lib64, overlay);
        ck_assert_str_eq(plan.ops[lib64].data, "usr/lib/x86_64-linux-gnu");
        ck_assert_int_eq(find_op(&plan, XH_OP_MKDIR, LAYER), -1);
        xh_plan_free(&plan);

        spec.loader_at = "/usr/lib64/ld-linux-x86-64.so.2";
        spec.loader_to = "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2";
        plan_ok(&spec, &plan);
        overlay = find_op(&plan, XH_OP_OVERLAY, ROOT);
        ck_assert_int_eq(find_op(&plan, XH_OP_SYMLINK, LAYER "/lib64"), -1);
        long dir = find_op(&plan, XH_OP_MKDIR, LAYER "/usr/lib64");
        long link = find_op(&plan, XH_OP_SYMLINK, LAYER "/usr/lib64/ld-linux-x86-64.so.2");
        ck_assert_int_ge(dir, 0);
        ck_assert_int_gt(link, dir);
        ck_assert_int_lt(link, overlay);
        ck_assert_str_eq(plan.ops[link].data, "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
        xh_plan_free(&plan);

        spec.loader_at = spec.loader_to = NULL;
        plan_ok(&spec, &plan);
        for (size_t i = 0; i < plan.n; i++)
                ck_assert_msg(plan.ops[i].kind != XH_OP_SYMLINK, "a link at %s", plan.ops[i].dst);
        xh_plan_free(&plan);

        xh_error err = {0};
        spec.loader_at = "usr/lib64/ld-linux-x86-64.so.2";
        spec.loader_to = "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2";
        ck_assert_int_lt(xh_plan_session(&spec, &plan, &err), 0);
        ck_assert_msg(strstr(err.msg, "loader link 'usr/lib64/") != NULL, "error: %s", err.msg);
        assert_empty(&plan, "a refused plan");
        xh_error_clear(&err);
}
END_TEST

START_TEST(test_hybrid_bad_target)
{
        static const char *const bad[] = {"usr/bin/gcc", NULL};
        struct xh_session_spec spec = hybrid_spec();
        spec.direct_targets = bad;
        struct xh_plan plan;
        xh_error err = {0};
        ck_assert_int_lt(xh_plan_session(&spec, &plan, &err), 0);
        ck_assert_msg(strstr(err.msg, "native target 'usr/bin/gcc'") != NULL, "error: %s", err.msg);
        assert_empty(&plan, "a refused plan");
        xh_error_clear(&err);
}
END_TEST

START_TEST(test_golden_hybrid)
{
        struct xh_session_spec spec = hybrid_spec();
        struct xh_plan plan;
        plan_ok(&spec, &plan);
        assert_golden(&plan, "session-hybrid.expected");
        xh_plan_free(&plan);
}
END_TEST

START_TEST(test_print_format)
{
        struct xh_plan plan;
        ck_assert_int_eq(xh_plan_host_binfmt(":r:M::\x01\x7f\x80\xff\n:x:F", &plan, NULL), 0);
        _cleanup_free_ char *s = print_str(&plan);
        /* Names padded to 15 columns; raw bytes printed as \xNN so each op is one line. */
        ck_assert_str_eq(s, "make-private    /\n"
                            "proc            /proc\n"
                            "binfmt_misc     /proc/sys/fs/binfmt_misc\n"
                            "binfmt-register /proc/sys/fs/binfmt_misc/register "
                            ":r:M::\\x01\\x7f\\x80\\xff\\x0a:x:F\n");
        xh_plan_free(&plan);

        /* Binds show their source; every flag has a name. */
        struct xh_op ops[] = {
                {XH_OP_BIND, XH_F_REC | XH_F_RDONLY | XH_F_OPTIONAL | XH_F_FILE | XH_F_NODEV, "/a",
                 "/b", NULL},
                {XH_OP_TMPFS, XH_F_NODEV, NULL, "/t", "mode=1777"},
                {XH_OP_PROC, 0, "proc", "/p", NULL},
        };
        struct xh_plan fake = {ops, XH_ARRAY_SIZE(ops)};
        _cleanup_free_ char *f = print_str(&fake);
        ck_assert_str_eq(f, "bind            /a -> /b [rec,ro,optional,file,nodev,nosuid]\n"
                            "tmpfs           /t mode=1777 [nodev,nosuid]\n"
                            "proc            /p\n");

        /* An empty plan prints nothing. */
        struct xh_plan empty = {0};
        _cleanup_free_ char *e = print_str(&empty);
        ck_assert_str_eq(e, "");
}
END_TEST

START_TEST(test_plan_free)
{
        struct xh_session_spec spec = persistent_spec();
        struct xh_plan plan;
        plan_ok(&spec, &plan);
        xh_plan_free(&plan);
        ck_assert_ptr_null(plan.ops);
        ck_assert_uint_eq(plan.n, 0);
        /* Freeing again, or freeing an empty plan, is harmless. */
        xh_plan_free(&plan);
        struct xh_plan empty = {0};
        xh_plan_free(&empty);
        assert_empty(&empty, "empty");

        /* A failed plan needs no free: a bad bind after the first ops leaves it empty. */
        static const struct xh_bind bad[] = {{"/ok", "rel", false}, {NULL, NULL, false}};
        spec.binds = bad;
        xh_error err = {0};
        ck_assert_int_eq(xh_plan_session(&spec, &plan, &err), -EINVAL);
        assert_empty(&plan, "failed plan");
        xh_error_clear(&err);
}
END_TEST

START_TEST(test_op_kind_names)
{
        static const struct {
                enum xh_op_kind kind;
                const char *name;
        } names[] = {
                {XH_OP_MAKE_PRIVATE, "make-private"},
                {XH_OP_TMPFS, "tmpfs"},
                {XH_OP_MKDIR, "mkdir"},
                {XH_OP_OVERLAY, "overlay"},
                {XH_OP_BIND, "bind"},
                {XH_OP_PROC, "proc"},
                {XH_OP_BINFMT, "binfmt_misc"},
                {XH_OP_BINFMT_REGISTER, "binfmt-register"},
                {XH_OP_COPY, "copy"},
                {XH_OP_LINK, "link"},
                {XH_OP_PIVOT, "pivot-root"},
                {XH_OP_CHDIR, "chdir"},
                {XH_OP_RESTORE, "restore"},
                {XH_OP_SAVE, "save-at-exit"},
        };
        for (size_t i = 0; i < XH_ARRAY_SIZE(names); i++)
                ck_assert_str_eq(xh_op_kind_name(names[i].kind), names[i].name);
        ck_assert_str_eq(xh_op_kind_name((enum xh_op_kind)(XH_OP_SAVE + 1)), "?");
        ck_assert_str_eq(xh_op_kind_name((enum xh_op_kind)1000), "?");
}
END_TEST

/* A hybrid session on a store on overlayfs, printed as --dry-run shows it. */
START_TEST(test_golden_archived)
{
        struct xh_session_spec spec = hybrid_spec();
        spec.upper = NULL;
        spec.work = NULL;
        spec.upper_archive = ARCHIVE;
        struct xh_plan plan;
        plan_ok(&spec, &plan);
        assert_golden(&plan, "session-archived.expected");
        xh_plan_free(&plan);
}
END_TEST

/* serve: the toolchain layer as the root, the served names in /run/xhybrid, nothing else. */
START_TEST(test_serve)
{
        const char *served_hide[] = {"/usr/aarch64-linux-gnu/include", NULL};
        const char *links[] = {"xh-0123-aarch64-linux-gnu-gcc-14",
                               "/usr/bin/aarch64-linux-gnu-gcc-14", NULL};
        struct xh_serve_spec spec = {
                .staging = "/s/mnt",
                .toolchain = "/s/layers/tc/rootfs",
                .hide = served_hide,
                .links = links,
                .cmdlist = "/run/xhybrid/xh-0123-aarch64-linux-gnu-gcc-14\n",
        };
        struct xh_plan plan;
        xh_error err = {0};
        ck_assert_int_eq(xh_plan_serve(&spec, &plan, &err), 0);
        _cleanup_free_ char *text = print_str(&plan);
        static const char *const want[] = {
                "make-private    /\n",
                "tmpfs           /s/mnt mode=0755\n",
                "symlink         /s/mnt/served/xh-0123-aarch64-linux-gnu-gcc-14 "
                "/usr/bin/aarch64-linux-gnu-gcc-14\n",
                "write           /s/mnt/served/cmdlist "
                "/run/xhybrid/xh-0123-aarch64-linux-gnu-gcc-14\\x0a\n",
                "bind            /s/layers/tc/rootfs -> /s/mnt/root [ro]\n",
                "tmpfs           /s/mnt/root/usr/aarch64-linux-gnu/include mode=0755 "
                "[ro,optional,nodev,nosuid]\n",
                "bind            /s/mnt/served -> /s/mnt/root/run/xhybrid [ro]\n",
                "bind            /dev/null -> /s/mnt/root/dev/null [file]\n",
                "tmpfs           /s/mnt/root/tmp mode=1777 [nodev,nosuid]\n",
                "pivot-root      /s/mnt/root\n",
        };
        for (size_t i = 0; i < XH_ARRAY_SIZE(want); i++)
                ck_assert_msg(strstr(text, want[i]), "plan lacks %s:\n%s", want[i], text);
        ck_assert_msg(!strstr(text, "/dev -> ") && !strstr(text, "/sys"), "host dirs: %s", text);
        xh_plan_free(&plan);
        /* A served name is a file name; a relative target is refused. */
        links[0] = "../x";
        ck_assert_int_eq(xh_plan_serve(&spec, &plan, &err), -EINVAL);
        xh_error_clear(&err);
        links[0] = "xh-0123-gcc";
        links[1] = "usr/bin/gcc";
        ck_assert_int_eq(xh_plan_serve(&spec, &plan, &err), -EINVAL);
        xh_error_clear(&err);
}
END_TEST

static Suite *plan_suite(void)
{
        Suite *s = suite_create("plan");

        TCase *tc = tcase_create("session");
        tcase_add_test(tc, test_session_persistent);
        tcase_add_test(tc, test_serve);
        tcase_add_test(tc, test_session_ephemeral);
        tcase_add_test(tc, test_session_upper_archive);
        tcase_add_test(tc, test_session_layer_archive);
        tcase_add_test(tc, test_session_one_upper);
        tcase_add_test(tc, test_session_layers_top_first);
        tcase_add_test(tc, test_session_escaping);
        tcase_add_test(tc, test_session_binds);
        tcase_add_test(tc, test_session_cover);
        tcase_add_loop_test(tc, test_session_bind_refused, 0, (int)XH_ARRAY_SIZE(refused_binds));
        tcase_add_loop_test(tc, test_session_bind_allowed, 0, (int)XH_ARRAY_SIZE(allowed_binds));
        tcase_add_loop_test(tc, test_session_cwd_order, 0, (int)XH_ARRAY_SIZE(cwd_cases));
        tcase_add_test(tc, test_session_cwd_root);
        suite_add_tcase(s, tc);

        tc = tcase_create("paths");
        tcase_add_loop_test(tc, test_session_bad_path, 0, (int)XH_ARRAY_SIZE(bad_paths));
        tcase_add_test(tc, test_session_missing_paths);
        tcase_add_loop_test(tc, test_session_good_path, 0, (int)XH_ARRAY_SIZE(good_paths));
        suite_add_tcase(s, tc);

        tc = tcase_create("other-plans");
        tcase_add_test(tc, test_host_binfmt);
        tcase_add_loop_test(tc, test_probe, 0, (int)XH_ARRAY_SIZE(probe_cases));
        tcase_add_test(tc, test_probe_bad_paths);
        tcase_add_test(tc, test_probe_escaping);
        suite_add_tcase(s, tc);

        tc = tcase_create("hybrid");
        tcase_add_test(tc, test_hybrid_shim_layer);
        tcase_add_test(tc, test_hybrid_read_only);
        tcase_add_test(tc, test_hybrid_rebuilt_compiler);
        tcase_add_test(tc, test_hybrid_compile_cache);
        tcase_add_test(tc, test_hybrid_loader_link);
        tcase_add_test(tc, test_hybrid_bad_target);
        suite_add_tcase(s, tc);

        tc = tcase_create("print");
        tcase_add_test(tc, test_golden_persistent);
        tcase_add_test(tc, test_golden_hybrid);
        tcase_add_test(tc, test_golden_ephemeral);
        tcase_add_test(tc, test_golden_archived);
        tcase_add_test(tc, test_print_format);
        tcase_add_test(tc, test_plan_free);
        tcase_add_test(tc, test_op_kind_names);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(plan_suite());
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
