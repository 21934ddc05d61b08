/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for session/image.c and session/entry.c: the image's JSON
 * (configuration, manifest, index, docker-archive manifest) as exact text,
 * image names, the image's image.conf, and the entrypoint's ids.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "emulator.h"
#include "session.h"
#include "xh-test.h"

static const struct xh_image_layer layers[] = {
        {.digest = "sha256:aa", .size = 10, .what = "the target root"},
        {.digest = "sha256:bb", .size = 20, .what = "a \"quoted\"\tname"},
};

START_TEST(test_config_json)
{
        char *env[] = {"PATH=/usr/bin", "A=\\x", NULL};
        char *entrypoint[] = {XH_IMAGE_XHYBRID, "entrypoint", "--", NULL};
        char *cmd[] = {"/bin/bash", NULL};
        struct xh_image_desc d = {
                .arch = "arm64",
                .variant = "v8",
                .created = "2026-11-30T20:41:46Z",
                .profile = "arm64-trixie",
                .env = env,
                .entrypoint = entrypoint,
                .cmd = cmd,
                .layers = layers,
                .nlayers = 2,
        };
        _cleanup_free_ char *j = xh_image_config_json(&d);
        ck_assert_str_eq(
                j, "{\"architecture\":\"arm64\",\"variant\":\"v8\",\"os\":\"linux\","
                   "\"created\":\"2026-11-30T20:41:46Z\",\"config\":{\"Env\":[\"PATH=/usr/bin\","
                   "\"A=\\\\x\"],\"Entrypoint\":[\"/.xhybrid/bin/xhybrid\",\"entrypoint\",\"--\"],"
                   "\"Cmd\":[\"/bin/bash\"],\"WorkingDir\":\"/\",\"Labels\":{"
                   "\"org.xhybrid.profile\":\"arm64-trixie\"}},\"rootfs\":{\"type\":\"layers\","
                   "\"diff_ids\":[\"sha256:aa\",\"sha256:bb\"]},\"history\":[{\"created\":"
                   "\"2026-11-30T20:41:46Z\",\"created_by\":\"the target root\"},{\"created\":"
                   "\"2026-11-30T20:41:46Z\",\"created_by\":\"a \\\"quoted\\\"\\u0009name\"}]}");
        /* Volumes, when the image has the compile cache. */
        char *volumes[] = {"/.xhybrid/ccache", NULL};
        d.volumes = volumes;
        _cleanup_free_ char *v = xh_image_config_json(&d);
        ck_assert_ptr_nonnull(
                strstr(v, "\"Cmd\":[\"/bin/bash\"],\"Volumes\":{\"/.xhybrid/ccache\":{}},"
                          "\"WorkingDir\":\"/\""));
        d.volumes = NULL;
        /* No variant: no key. */
        d.variant = NULL;
        d.arch = "ppc64le";
        _cleanup_free_ char *k = xh_image_config_json(&d);
        ck_assert_ptr_null(strstr(k, "variant"));
        ck_assert_ptr_nonnull(strstr(k, "{\"architecture\":\"ppc64le\",\"os\":\"linux\""));
}
END_TEST

START_TEST(test_manifest_json)
{
        _cleanup_free_ char *m = xh_image_manifest_json("sha256:cc", 897, layers, 2);
        ck_assert_str_eq(m,
                         "{\"schemaVersion\":2,\"mediaType\":"
                         "\"application/vnd.oci.image.manifest.v1+json\",\"config\":{"
                         "\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
                         "\"digest\":\"sha256:cc\",\"size\":897},\"layers\":[{\"mediaType\":"
                         "\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:aa\","
                         "\"size\":10},{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
                         "\"digest\":\"sha256:bb\",\"size\":20}]}");
        _cleanup_free_ char *i = xh_image_index_json("sha256:dd", 711, "x/arm64-trixie:v1");
        ck_assert_str_eq(i, "{\"schemaVersion\":2,\"mediaType\":"
                            "\"application/vnd.oci.image.index.v1+json\",\"manifests\":[{"
                            "\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                            "\"digest\":\"sha256:dd\",\"size\":711,\"annotations\":{"
                            "\"io.containerd.image.name\":\"x/arm64-trixie:v1\","
                            "\"org.opencontainers.image.ref.name\":\"v1\"}}]}");
        _cleanup_free_ char *dm =
                xh_image_docker_manifest_json("sha256:cc", "x/y:latest", layers, 2);
        ck_assert_str_eq(dm, "[{\"Config\":\"blobs/sha256/cc\",\"RepoTags\":[\"x/y:latest\"],"
                             "\"Layers\":[\"blobs/sha256/aa\",\"blobs/sha256/bb\"]}]");
}
END_TEST

START_TEST(test_ref)
{
        static const struct {
                const char *in, *out; /* out NULL: refused */
        } cases[] = {
                {"xhybrid/arm64-trixie", "xhybrid/arm64-trixie:latest"},
                {"a/b:v1.0_x-y", "a/b:v1.0_x-y"},
                {"localhost/x-1:t", "localhost/x-1:t"},
                {"plain", "plain:latest"},
                {"", NULL},
                {"Upper/case", NULL},
                {"a//b", NULL},
                {"/a", NULL},
                {"a/", NULL},
                {"a:", NULL},
                {"a:-x", NULL},
                {"a:.x", NULL},
                {"a b", NULL},
                {"a:t/x", NULL},
        };
        for (size_t i = 0; i < XH_ARRAY_SIZE(cases); i++) {
                char *out = NULL;
                xh_error err = {0};
                int r = xh_image_ref(cases[i].in, &out, &err);
                if (cases[i].out) {
                        ck_assert_msg(r == 0, "'%s': %s", cases[i].in, err.msg);
                        ck_assert_str_eq(out, cases[i].out);
                } else {
                        ck_assert_msg(r == -EINVAL, "'%s' taken as %s", cases[i].in, out);
                        ck_assert_ptr_nonnull(strstr(err.msg, "is not an image name"));
                        ck_assert_ptr_nonnull(err.hint);
                }
                free(out);
                xh_error_clear(&err);
        }
}
END_TEST

START_TEST(test_conf_round_trip)
{
        struct xh_image_conf c = {
                .profile = "arm64-trixie",
                .arch = "arm64",
                .emulator = "/.xhybrid/bin/aarch64-binfmt-P",
                .emulator_flags = "POF",
                .probe = "/lib/ld-linux-aarch64.so.1",
        };
        _cleanup_free_ char *text = xh_image_conf_format(&c);
        struct xh_image_conf d;
        xh_error err = {0};
        ck_assert_int_eq(xh_image_conf_parse(text, "image.conf", &d, &err), 0);
        ck_assert_str_eq(d.profile, c.profile);
        ck_assert_str_eq(d.arch, c.arch);
        ck_assert_str_eq(d.emulator, c.emulator);
        ck_assert_str_eq(d.emulator_flags, c.emulator_flags);
        ck_assert_str_eq(d.probe, c.probe);
        xh_image_conf_clear(&d);
        /* Blanks around keys and values, comments, an empty flags value. */
        ck_assert_int_eq(xh_image_conf_parse("# x\n  arch=armhf  \nprofile = p\nemulator = /q\n"
                                             "emulator-flags =\nprobe = /l\n",
                                             "c", &d, &err),
                         0);
        ck_assert_str_eq(d.arch, "armhf");
        ck_assert_str_eq(d.emulator_flags, "");
        xh_image_conf_clear(&d);
}
END_TEST

START_TEST(test_conf_bad)
{
        static const struct {
                const char *text, *msg;
        } cases[] = {
                {"arch = arm64\nbogus = 1\n", "c:2: expected KEY = VALUE with KEY one of arch, "
                                              "emulator, emulator-flags, probe, profile"},
                {"arch arm64\n", "c:1: expected KEY = VALUE with KEY one of arch, emulator, "
                                 "emulator-flags, probe, profile"},
                {"profile = p\nemulator = /q\nemulator-flags = F\nprobe = /l\n", "c: no arch"},
                {"arch = arm64\nprofile = p\nemulator-flags = F\nprobe = /l\n", "c: no emulator"},
                {"arch = arm64\nprofile = p\nemulator = /q\nprobe = /l\n", "c: no emulator-flags"},
                {"arch = arm64\nprofile = p\nemulator = /q\nemulator-flags = F\n", "c: no probe"},
                {"arch = arm64\nemulator = /q\nemulator-flags = F\nprobe = /l\n", "c: no profile"},
                {"arch = vax\nprofile = p\nemulator = /q\nemulator-flags = F\nprobe = /l\n",
                 "c: unknown arch 'vax'"},
        };
        for (size_t i = 0; i < XH_ARRAY_SIZE(cases); i++) {
                struct xh_image_conf c;
                xh_error err = {0};
                ck_assert_int_eq(xh_image_conf_parse(cases[i].text, "c", &c, &err), -EINVAL);
                ck_assert_str_eq(err.msg, cases[i].msg);
                ck_assert_ptr_null(c.arch);
                xh_error_clear(&err);
        }
}
END_TEST

START_TEST(test_entry_ids)
{
        static const struct {
                const char *user, *env_uid, *env_gid;
                long uid, gid;
                const char *msg; /* NULL: taken */
        } cases[] = {
                {NULL, NULL, NULL, -1, -1, NULL},
                {NULL, "", "", -1, -1, NULL},
                {"1000:1001", NULL, NULL, 1000, 1001, NULL},
                {"1000", NULL, NULL, 1000, 1000, NULL},
                {"0:0", "5", "6", 0, 0, NULL}, /* --user wins */
                {NULL, "1234", "1234", 1234, 1234, NULL},
                {NULL, "1234", NULL, 1234, 1234, NULL},
                {NULL, NULL, "50", -1, 50, NULL},
                {"", NULL, NULL, 0, 0, "--user '': expected UID or UID:GID"},
                {"1:", NULL, NULL, 0, 0, "--user '1:': expected UID or UID:GID"},
                {":1", NULL, NULL, 0, 0, "--user ':1': expected UID or UID:GID"},
                {"me", NULL, NULL, 0, 0, "--user 'me': not a numeric id"},
                {"1:2:3", NULL, NULL, 0, 0, "--user '2:3': not a numeric id"},
                {NULL, "-1", NULL, 0, 0, "BUILDER_UID '-1': not a numeric id"},
                {NULL, "1", "x1", 0, 0, "BUILDER_GID 'x1': not a numeric id"},
                {NULL, "99999999999", NULL, 0, 0, "BUILDER_UID '99999999999': not a numeric id"},
        };
        for (size_t i = 0; i < XH_ARRAY_SIZE(cases); i++) {
                long uid = 7, gid = 7;
                xh_error err = {0};
                int r = xh_entry_ids(cases[i].user, cases[i].env_uid, cases[i].env_gid, &uid, &gid,
                                     &err);
                if (!cases[i].msg) {
                        ck_assert_msg(r == 0, "case %zu: %s", i, err.msg);
                        ck_assert_int_eq(uid, cases[i].uid);
                        ck_assert_int_eq(gid, cases[i].gid);
                } else {
                        ck_assert_msg(r == -EINVAL, "case %zu taken", i);
                        ck_assert_str_eq(err.msg, cases[i].msg);
                        ck_assert_ptr_nonnull(err.hint);
                }
                xh_error_clear(&err);
        }
}
END_TEST

START_TEST(test_arch_platforms)
{
        size_t n;
        const struct xh_arch *t = xh_arch_table(&n);
        for (size_t i = 0; i < n; i++)
                ck_assert_msg(t[i].oci_arch && *t[i].oci_arch, "%s has no image platform",
                              t[i].debian);
        ck_assert_str_eq(xh_arch_by_debian("arm64")->oci_arch, "arm64");
        ck_assert_str_eq(xh_arch_by_debian("arm64")->oci_variant, "v8");
        ck_assert_str_eq(xh_arch_by_debian("armhf")->oci_variant, "v7");
        ck_assert_str_eq(xh_arch_by_debian("ppc64el")->oci_arch, "ppc64le");
        ck_assert_ptr_null(xh_arch_by_debian("riscv64")->oci_variant);
}
END_TEST

static Suite *image_suite(void)
{
        Suite *s = suite_create("image");
        TCase *tc = tcase_create("json");
        tcase_add_test(tc, test_config_json);
        tcase_add_test(tc, test_manifest_json);
        tcase_add_test(tc, test_ref);
        tcase_add_test(tc, test_arch_platforms);
        suite_add_tcase(s, tc);
        tc = tcase_create("entrypoint");
        tcase_add_test(tc, test_conf_round_trip);
        tcase_add_test(tc, test_conf_bad);
        tcase_add_test(tc, test_entry_ids);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(image_suite());
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
