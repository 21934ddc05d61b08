/* SPDX-License-Identifier: MIT */
/*
 * xhybrid doctor: one line per check, with the fix for each failure. The
 * namespace features are probed for real, each in a throwaway namespace;
 * overlayfs on the store's own file system, laid out as sessions will use it.
 */
#include "cli.h"
#include "emulator.h"
#include "overlay.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <sys/xattr.h>
#include <sys/wait.h>

struct report {
        int failed; /* checks that stop sessions from running */
        int warnings;
};

static void line(struct report *rep, int level, const char *what, const char *detail,
                 const char *fix)
{
        static const char *const tags[] = {"ok  ", "warn", "FAIL", "--  "};
        printf("%s  %-34s %s\n", tags[level], what, detail ? detail : "");
        if (fix && level != 0)
                printf("      %-34s fix: %s\n", "", fix);
        if (level == 2)
                rep->failed++;
        else if (level == 1)
                rep->warnings++;
}

static void check_kernel(struct report *rep)
{
        struct utsname u;
        uname(&u);
        int major = 0, minor = 0;
        sscanf(u.release, "%d.%d", &major, &minor);
        bool ok = major > 6 || (major == 6 && minor >= 7);
        _cleanup_free_ char *d = xh_asprintf("Linux %s on %s", u.release, u.machine);
        line(rep, ok ? 0 : 2, "kernel (6.7+ for private binfmt_misc)", d,
             "use Linux 6.7 or later: older kernels share one binfmt_misc with the host");
}

/* Where the probes lay out their overlay: the store, as sessions use it. */
struct store_info {
        char *dir;      /* the store */
        char *sessions; /* STORE/sessions, where persistent uppers lie */
        char *staging;  /* STORE/mnt, where sessions mount their tmpfs */
        char *fstype;   /* the file system of STORE/sessions, as mountinfo names it */
        bool archived;  /* on overlayfs: uppers kept as archives (xh_store_uppers_archived) */
        bool usable;    /* the directories above exist and can be written */
};

/* The type of the file system that holds path, as /proc/self/mountinfo names it. */
static char *fs_type(const char *path)
{
        struct statx stx;
        if (statx(AT_FDCWD, path, 0, STATX_MNT_ID, &stx) < 0 || !(stx.stx_mask & STATX_MNT_ID))
                return NULL;
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        char line[4096];
        while (f && fgets(line, sizeof(line), f)) {
                unsigned long long id;
                const char *sep = strstr(line, " - ");
                if (sscanf(line, "%llu", &id) != 1 || id != stx.stx_mnt_id || !sep)
                        continue;
                return xh_strndup(sep + 3, strcspn(sep + 3, " \n"));
        }
        return NULL;
}

/* Run the probe plan of one level in a throwaway namespace, its overlay in scratch. */
static int probe(const struct store_info *st, const char *scratch, int level, const char *rule,
                 xh_error *err)
{
        struct xh_plan plan;
        int r = xh_plan_probe(st->staging, scratch, st->archived, level, rule, &plan, err);
        if (r < 0)
                return r;
        char *const argv[] = {"/bin/true", NULL};
        char *const envp[] = {"PATH=/usr/bin:/bin", NULL};
        int status = 0;
        r = xh_ns_run_plan(&plan, argv, envp, NULL, &status, err);
        xh_plan_free(&plan);
        if (r == 0 && err->msg)
                r = -EIO;
        if (r == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
                r = xh_fail(err, EIO, "the probe command failed");
        return r;
}

/* Remove the probes' scratch directory; overlayfs leaves work/work with mode 0. */
static void remove_scratch(const char *scratch)
{
        _cleanup_free_ char *ww = xh_asprintf("%s/work/work", scratch);
        chmod(ww, 0700);
        xh_rm_rf(scratch);
}

/*
 * The probes' scratch directory in STORE/sessions (NULL when it cannot be
 * made: *why says so).
 */
static char *make_scratch(const struct store_info *st, char **why)
{
        if (!st->usable) {
                *why = xh_strdup("not checked: the store cannot be used (above)");
                return NULL;
        }
        char *scratch = xh_asprintf("%s/.doctor-XXXXXX", st->sessions);
        if (!mkdtemp(scratch)) {
                *why = xh_asprintf("not checked: cannot make %s: %s", scratch, strerror(errno));
                free(scratch);
                return NULL;
        }
        return scratch;
}

static bool check_namespaces(struct report *rep, const char *rule, const struct store_info *st,
                             const char *scratch, const char *no_scratch)
{
        static const struct {
                const char *what;
                const char *fix;
        } levels[] = {
                {"user + mount + PID namespaces",
                 "enable user namespaces: sysctl user.max_user_namespaces=15000 "
                 "(and kernel.unprivileged_userns_clone=1 where it exists)"},
                {"overlayfs in a user namespace",
                 "use Linux 5.11 or later with overlayfs built in, and a store on a local file "
                 "system that holds an overlay upper (ext4, xfs, btrfs, tmpfs; choose it with "
                 "--store DIR or XHYBRID_STORE)"},
                {"proc in a new PID namespace",
                 "the host's /proc must be fully visible (no paths masked by mounts)"},
                {"private binfmt_misc + F registration",
                 "use Linux 6.7 or later; the emulator must be a static program"},
        };
        _cleanup_free_ char *where =
                !st->archived
                        ? xh_asprintf("works on the store's file system (%s): upper and work in "
                                      "%s",
                                      st->fstype ? st->fstype : "?", st->sessions)
                        : xh_strdup("works as sessions use it on the store's overlayfs: lower "
                                    "layers there, the upper in a tmpfs");
        bool ok = true;
        for (int lv = 0; lv < (int)XH_ARRAY_SIZE(levels); lv++) {
                xh_error err = {0};
                if (!ok) {
                        line(rep, 3, levels[lv].what, "not checked (an earlier check failed)",
                             NULL);
                        continue;
                }
                if (lv >= 1 && !scratch) {
                        line(rep, 2, levels[lv].what, no_scratch,
                             "choose a writable store with --store DIR or XHYBRID_STORE");
                        ok = false;
                        continue;
                }
                int r = probe(st, scratch, lv, lv == 3 ? rule : NULL, &err);
                if (r < 0) {
                        _cleanup_free_ char *d =
                                xh_asprintf("%s%s%s", err.msg ? err.msg : "failed",
                                            err.hint ? " — " : "", err.hint ? err.hint : "");
                        line(rep, 2, levels[lv].what, d, levels[lv].fix);
                        ok = false;
                } else {
                        line(rep, 0, levels[lv].what, lv == 1 ? where : "works", NULL);
                }
                xh_error_clear(&err);
        }
        return ok;
}

/*
 * A hybrid session answers the uname(2) of native programs through a seccomp
 * filter and its supervisor: the probe session has both, with a machine no
 * kernel has, and its command checks the answer.
 */
static void check_identity(struct report *rep, bool namespaces_ok, const struct store_info *st,
                           const char *scratch)
{
        static const char *const what = "seccomp user notification (uname)";
        static const char *const fix = "use Linux 5.5 or later with seccomp filters, outside a "
                                       "container that forbids them or supervises its own; "
                                       "--emulated sessions run without";
        if (!namespaces_ok) {
                line(rep, 3, what, "not checked (an earlier check failed)", NULL);
                return;
        }
        xh_error err = {0};
        struct xh_plan plan;
        int r = xh_plan_probe(st->staging, scratch, st->archived, 2, NULL, &plan, &err);
        if (r == 0) {
                char *const argv[] = {"/bin/sh", "-c", "test \"$(uname -m)\" = xhybrid-probe",
                                      NULL};
                char *const envp[] = {"PATH=/usr/bin:/bin", NULL};
                int status = 0;
                r = xh_ns_run_plan(&plan, argv, envp, "xhybrid-probe", &status, &err);
                xh_plan_free(&plan);
                if (r == 0 && err.msg)
                        r = -EIO;
                if (r == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
                        r = xh_fail(&err, EIO,
                                    "a native uname(2) did not get the supervisor's answer");
        }
        if (r < 0) {
                _cleanup_free_ char *d = xh_asprintf(
                        "hybrid sessions cannot run: %s%s%s", err.msg ? err.msg : "failed",
                        err.hint ? " — " : "", err.hint ? err.hint : "");
                line(rep, 2, what, d, fix);
        } else {
                line(rep, 0, what, "works (native programs get the target's machine)", NULL);
        }
        xh_error_clear(&err);
}

static char *check_emulator(struct report *rep, const struct xh_profile *p)
{
        xh_error err = {0};
        _cleanup_free_ char *what = xh_asprintf("emulator for %s", p->name);
        _cleanup_free_ char *path = NULL;
        const struct xh_arch *arch = xh_arch_by_debian(p->arch);
        if (xh_qemu_find(p->qemu, &path, &err) < 0 || xh_qemu_check(path, &err) < 0) {
                line(rep, 2, what, err.msg, err.hint);
                xh_error_clear(&err);
                return NULL;
        }
        _cleanup_free_ char *d = xh_asprintf("%s (static %s program)", path,
                                             xh_elf_machine_name(xh_arch_host()->elf_machine));
        line(rep, 0, what, d, NULL);
        return arch ? xh_binfmt_rule(arch, "xhybrid-doctor", path, "F") : NULL;
}

/*
 * The programs 'xhybrid create' runs, with the Debian package of each:
 * mmdebstrap, and what mmdebstrap runs for a foreign root in root mode from
 * its recommends (which an install without recommends leaves out). Looked up
 * in the PATH that create gives mmdebstrap. Sessions run without them.
 */
static const struct {
        const char *program, *package, *what;
} create_programs[] = {
        {"mmdebstrap", "mmdebstrap", "mmdebstrap (to create roots)"},
        {"arch-test", "arch-test", "arch-test (for a foreign root)"},
        {"mount", "mount", "mount (to create roots)"},
};

/* Not root: session/namespace.c maps the caller's subordinate ids with these. */
static const char *const id_map_programs[] = {XH_NEWUIDMAP, XH_NEWGIDMAP};

/* What the caller loses without its subordinate ids (one id mapped: itself as 0). */
#define XH_ONE_ID_LOSS                                                                             \
        "sessions map only the caller (as 0): create, and apt-get or dpkg in a session, need the " \
        "other ids of a root"

/*
 * Not root: the caller's range in /etc/subuid or /etc/subgid (file, with the
 * usermod option that adds one), which newuidmap maps after the caller.
 */
static void check_subids(struct report *rep, const char *file, const char *option, const char *user)
{
        uid_t uid = getuid();
        _cleanup_free_ char *what = xh_asprintf("subordinate ids (%s)", file);
        _cleanup_free_ char *text = NULL;
        int r = xh_read_file(file, &text, NULL);
        if (r < 0 && r != -ENOENT) {
                _cleanup_free_ char *d =
                        xh_asprintf("cannot read %s: %s; " XH_ONE_ID_LOSS, file, strerror(-r));
                _cleanup_free_ char *fix = xh_asprintf("chmod 644 %s (as root)", file);
                line(rep, 1, what, d, fix);
                return;
        }
        unsigned long start = xh_subid_free_start(text ? text : "");
        _cleanup_free_ char *name = user ? xh_strdup(user) : xh_asprintf("%u", (unsigned)uid);
        _cleanup_free_ char *add =
                xh_asprintf("usermod %s %lu-%lu %s (as root)", option, start, start + 65535, name);
        struct xh_subid id;
        if (!text || xh_subid_find(text, user, uid, &id) != 1) {
                _cleanup_free_ char *d =
                        xh_asprintf("no range for user %s (uid %u) in %s; " XH_ONE_ID_LOSS, name,
                                    (unsigned)uid, file);
                line(rep, 1, what, d, add);
                return;
        }
        /* The kernel refuses a map whose range overlaps the caller's own id (mapped as 0). */
        unsigned own = strcmp(file, XH_SUBGID) == 0 ? (unsigned)getgid() : (unsigned)uid;
        if (own >= id.start && own - id.start < id.count) {
                _cleanup_free_ char *d = xh_asprintf(
                        "%lu-%lu for %s holds the caller's own id %u, which the kernel refuses "
                        "to map twice; " XH_ONE_ID_LOSS,
                        id.start, id.start + id.count - 1, name, own);
                bool gid = strcmp(file, XH_SUBGID) == 0;
                _cleanup_free_ char *fix = xh_asprintf(
                        "usermod --del-sub%cids %lu-%lu --add-sub%cids %lu-%lu %s (as root)",
                        gid ? 'g' : 'u', id.start, id.start + id.count - 1, gid ? 'g' : 'u', start,
                        start + 65535, name);
                line(rep, 1, what, d, fix);
                return;
        }
        _cleanup_free_ char *d = xh_asprintf("%lu-%lu for %s (%lu ids)%s", id.start,
                                             id.start + id.count - 1, name, id.count,
                                             id.count < 65535 ? ", fewer than a root's 65536: "
                                                                "ids above it (nobody is 65534) "
                                                                "cannot be owned in a session"
                                                              : "");
        line(rep, id.count < 65535 ? 1 : 0, what, d, add);
}

/* newuidmap and newgidmap write maps for a plain user only as setuid root (or with file caps). */
static void check_id_map_program(struct report *rep, const char *p)
{
        _cleanup_free_ char *what = xh_asprintf("%s (id range, not root)", strrchr(p, '/') + 1);
        struct stat st;
        if (stat(p, &st) < 0 || access(p, X_OK) < 0) {
                _cleanup_free_ char *d = xh_asprintf("%s: %s; " XH_ONE_ID_LOSS, p, strerror(errno));
                line(rep, 1, what, d, "apt-get install uidmap (as root)");
                return;
        }
        bool caps = getxattr(p, "security.capability", NULL, 0) > 0;
        if (!(st.st_uid == 0 && (st.st_mode & S_ISUID)) && !caps) {
                _cleanup_free_ char *d = xh_asprintf(
                        "%s is neither setuid root nor has file capabilities; " XH_ONE_ID_LOSS, p);
                _cleanup_free_ char *fix = xh_asprintf("chown root %s && chmod u+s %s (as root), "
                                                       "or apt-get install --reinstall uidmap",
                                                       p, p);
                line(rep, 1, what, d, fix);
                return;
        }
        line(rep, 0, what, p, NULL);
}

static void check_create_programs(struct report *rep)
{
        const char *path = xh_host_path();
        for (size_t i = 0; i < XH_ARRAY_SIZE(create_programs); i++) {
                _cleanup_free_ char *found = xh_path_lookup(create_programs[i].program, path);
                _cleanup_free_ char *d = found ? NULL : xh_asprintf("not found in PATH=%s", path);
                _cleanup_free_ char *fix =
                        xh_asprintf("apt-get install %s", create_programs[i].package);
                line(rep, found ? 0 : 1, create_programs[i].what, found ? found : d, fix);
        }
        if (geteuid() == 0)
                return;
        for (size_t i = 0; i < XH_ARRAY_SIZE(id_map_programs); i++)
                check_id_map_program(rep, id_map_programs[i]);
        struct passwd *pw = getpwuid(getuid());
        if (!pw) {
                _cleanup_free_ char *d =
                        xh_asprintf("uid %u has no name (no entry in /etc/passwd), which newuidmap "
                                    "needs; " XH_ONE_ID_LOSS,
                                    (unsigned)getuid());
                line(rep, 1, "user name (for newuidmap)", d,
                     "add the user to /etc/passwd (useradd, as root)");
        }
        check_subids(rep, XH_SUBUID, "--add-subuids", pw ? pw->pw_name : NULL);
        check_subids(rep, XH_SUBGID, "--add-subgids", pw ? pw->pw_name : NULL);
}

/* Kernel settings that stop user namespaces: one line each, with its fix. */
static void check_userns_settings(struct report *rep)
{
        struct xh_block *b = NULL;
        int n = xh_userns_blocks("/proc/sys", geteuid() == 0, &b);
        for (int i = 0; i < n; i++)
                line(rep, 2, "user namespaces", b[i].what, b[i].fix);
        xh_blocks_free(b);
}

static void check_store(struct report *rep, const char *store, struct store_info *st)
{
        *st = (struct store_info){
                .dir = xh_strdup(store),
                .sessions = xh_asprintf("%s/sessions", store),
                .staging = xh_asprintf("%s/mnt", store),
        };
        int r = xh_mkdir_p(st->sessions, 0755);
        if (r == 0)
                r = xh_mkdir_p(st->staging, 0755);
        struct statvfs sv;
        if (r < 0 || access(st->sessions, W_OK) < 0 || statvfs(store, &sv) < 0) {
                _cleanup_free_ char *d = xh_asprintf("%s: %s", store, strerror(r < 0 ? -r : errno));
                line(rep, 2, "store", d,
                     "choose a writable store with --store DIR or XHYBRID_STORE");
                return;
        }
        xh_error err = {0};
        if (xh_store_uppers_archived(store, &st->archived, &err) < 0) {
                line(rep, 2, "store", err.msg, "choose another store with --store DIR");
                xh_error_clear(&err);
                return;
        }
        st->usable = true;
        st->fstype = fs_type(st->sessions);
        double gib = (double)sv.f_bavail * (double)sv.f_frsize / (1024.0 * 1024 * 1024);
        _cleanup_free_ char *d = xh_asprintf("%s (writable, %.1f GiB free, %s)", store, gib,
                                             st->fstype ? st->fstype : "file system unknown");
        line(rep, gib < 2.0 ? 1 : 0, "store", d, "a root with build tools takes about 1 GiB");
}

/* What a hybrid session of p runs for gcc, once its root and toolchain layer exist. */
static void check_compiler(struct report *rep, const char *store, const struct xh_profile *p)
{
        _cleanup_free_ char *what = xh_asprintf("compiler of %s", p->name);
        xh_error err = {0};
        struct xh_gcc_facts f;
        if (xh_toolchain_gcc_facts(p, store, &f, &err) < 0) {
                line(rep, 2, what, err.msg, err.hint);
                xh_error_clear(&err);
                return;
        }
        if (f.decision) {
                _cleanup_free_ char *d =
                        xh_asprintf("%s: target %s, %s %s", f.decision, f.target,
                                    f.layer ? "rebuilt" : "toolchain layer", f.cross);
                _cleanup_free_ char *hint = xh_asprintf(
                        "for a native compiler build it from the target's source (xhybrid "
                        "toolchain build %s), use a profile whose suite's cross compiler is built "
                        "from its target's compiler source, or accept the difference with skew = "
                        "native in the profile (docs/hybrid.md, Versions)",
                        p->name);
                line(rep, f.native ? 0 : 1, what, d, hint);
        }
        xh_gcc_facts_clear(&f);
}

/* Where persistent changes go: the upper directory in place, or its archive. */
static void check_uppers(struct report *rep, const struct store_info *st)
{
        if (!st->usable)
                return;
        _cleanup_free_ char *d =
                st->archived
                        ? xh_asprintf("store on overlayfs: persistent changes are saved to "
                                      "%s/PROFILE/upper.tar at session end (restored into the "
                                      "session's tmpfs at its start; an overlay upper cannot lie "
                                      "on overlayfs)",
                                      st->sessions)
                        : xh_asprintf("%s/PROFILE/upper, used in place (%s)", st->sessions,
                                      st->fstype ? st->fstype : "?");
        line(rep, 0, "persistent uppers", d, NULL);
}

static void store_info_clear(struct store_info *st)
{
        free(st->dir);
        free(st->sessions);
        free(st->staging);
        free(st->fstype);
}

int xh_cmd_doctor(const struct xh_args *a)
{
        struct report rep = {0};
        xh_error err = {0};
        _cleanup_free_ char *dir = xh_profile_user_dir();
        _cleanup_free_ char *store = xh_store_dir(a->store);
        _cleanup_strv_ char **names = NULL;
        if (a->rest && a->rest[0]) {
                names = xh_strv_copy(a->rest);
        } else if (xh_profile_list(dir, &names, &err) < 0) {
                xh_print_error(&err);
                xh_error_clear(&err);
                return XH_EXIT_ERROR;
        }

        check_kernel(&rep);
        check_userns_settings(&rep);
        _cleanup_free_ char *rule = NULL;
        struct xh_profile **profiles = xh_malloc((xh_strv_len(names) + 1) * sizeof(*profiles));
        size_t np = 0;
        for (char **n = names; *n; n++) {
                struct xh_profile *p = NULL;
                if (xh_profile_load(*n, dir, &p, &err) < 0) {
                        _cleanup_free_ char *what = xh_asprintf("profile %s", *n);
                        line(&rep, 2, what, err.msg, err.hint);
                        xh_error_clear(&err);
                        continue;
                }
                profiles[np++] = p;
        }
        for (size_t i = 0; i < np; i++) {
                char *r = check_emulator(&rep, profiles[i]);
                if (!rule)
                        rule = r;
                else
                        free(r);
        }
        struct store_info st;
        check_store(&rep, store, &st);
        _cleanup_free_ char *no_scratch = NULL;
        _cleanup_free_ char *scratch = make_scratch(&st, &no_scratch);
        bool namespaces_ok = check_namespaces(&rep, rule, &st, scratch, no_scratch);
        check_identity(&rep, namespaces_ok, &st, scratch);
        if (scratch)
                remove_scratch(scratch);
        check_uppers(&rep, &st);
        store_info_clear(&st);
        check_create_programs(&rep);
        for (size_t i = 0; i < np; i++) {
                _cleanup_free_ char *what = xh_asprintf("root for %s", profiles[i]->name);
                _cleanup_free_ char *d = xh_store_rootfs(store, profiles[i]);
                _cleanup_free_ char *fix = xh_asprintf("xhybrid create %s", profiles[i]->name);
                _cleanup_free_ char *why = NULL;
                const char *state = xh_cli_tree_state(store, profiles[i], XH_TREE_ROOT, &why);
                if (why) {
                        _cleanup_free_ char *force =
                                xh_asprintf("xhybrid create --force %s (this also drops the "
                                            "profile's persistent changes)",
                                            profiles[i]->name);
                        line(&rep, 1, what, why, force);
                } else if (strcmp(state, "created") == 0)
                        line(&rep, 0, what, d, NULL);
                else
                        line(&rep, 3, what, "not created yet", fix);
                check_compiler(&rep, store, profiles[i]);
                xh_profile_free(profiles[i]);
        }
        free(profiles);
        printf("%s\n",
               rep.failed ? "sessions cannot run on this host" : "sessions can run on this host");
        return rep.failed ? XH_EXIT_FAIL : XH_EXIT_OK;
}
