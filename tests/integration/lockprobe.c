/* SPDX-License-Identifier: MIT */
/*
 * lockprobe: tries, from inside a session, to change each read-only mount it
 * is given: remount it read-write (mount(2) and mount_setattr(2)), unmount it,
 * bind it elsewhere and remount that read-write, write, chmod and rename
 * through it, and mount a tmpfs over it and write there. Built static for the
 * host by 88-locked-layers.sh, so it runs natively in any session.
 *
 *   lockprobe [-u UID] [-n] [-e DIR]... [-r PATH]... PATH...
 *
 * -u UID  first become the plain user UID (its own gid, no groups)
 * -n      afterwards, also try everything again as root of a user + mount
 *         namespace of its own (what any user can make)
 * -e DIR  DIR must look empty, also through a bind of a mount above it
 * -r PATH only the mount attempts on PATH (not its files)
 *
 * Every attempt that could change a mount or a file must fail; a tmpfs over a
 * path may be mounted, as it changes only this process's view (the test checks
 * from the host that nothing reached the store). A control directory in /tmp
 * shows that the same attempts do succeed where nothing is locked. Exit 0 when
 * every attempt was refused, 1 when one succeeded, 2 when the probe itself
 * could not run.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <grp.h>

#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#define ATTR_RDONLY 0x00000001 /* MOUNT_ATTR_RDONLY */

struct attr {
        unsigned long long set, clr, propagation, userns_fd;
};

static const char *phase = "";
static int blocked, succeeded;

static void refused(const char *path, const char *what, int e)
{
        printf("%s%s: %s: refused (%s)\n", phase, path, what, strerrorname_np(e));
        blocked++;
}

static void allowed(const char *path, const char *what)
{
        printf("%s%s: %s: SUCCEEDED\n", phase, path, what);
        succeeded++;
}

/* r is the result of a syscall that must fail. */
static void must_fail(int r, const char *path, const char *what)
{
        if (r < 0)
                refused(path, what, errno);
        else
                allowed(path, what);
}

static _Noreturn void broken(const char *what)
{
        printf("%sprobe broken: %s: %s\n", phase, what, strerror(errno));
        exit(2);
}

/*
 * The first entry of a directory, or NULL; with same_mount, the first that is
 * not a mount point (renaming one fails with EBUSY, locked or not).
 */
static char *first_entry(const char *dir, bool same_mount)
{
        struct stat top, st;
        DIR *d = opendir(dir);
        if (!d || stat(dir, &top) < 0) {
                if (d)
                        closedir(d);
                return NULL;
        }
        struct dirent *e;
        char *found = NULL;
        while (!found && (e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                        continue;
                asprintf(&found, "%s/%s", dir, e->d_name);
                if (same_mount && (lstat(found, &st) < 0 || st.st_dev != top.st_dev)) {
                        free(found);
                        found = NULL;
                }
        }
        closedir(d);
        return found;
}

/* Write through at (path itself, or a bind of it). */
static void try_write(const char *path, const char *at, bool dir, const char *what)
{
        char *f = NULL;
        if (dir) {
                asprintf(&f, "%s/.xhlock-%d", at, (int)getpid());
                int fd = open(f, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
                must_fail(fd, path, what);
                if (fd >= 0) {
                        close(fd);
                        unlink(f);
                }
        } else {
                /* Opening for writing is the violation; nothing is written. */
                int fd = open(at, O_WRONLY | O_CLOEXEC);
                must_fail(fd, path, what);
                if (fd >= 0)
                        close(fd);
        }
        free(f);
}

static void try_chmod_rename(const char *path, bool dir)
{
        struct stat st;
        if (lstat(path, &st) == 0)
                must_fail(chmod(path, st.st_mode & 07777), path, "chmod (same mode)");
        char *entry = dir ? first_entry(path, true) : strdup(path);
        if (!entry)
                return;
        char *to = NULL;
        asprintf(&to, "%s.xhlock", entry);
        if (lstat(entry, &st) == 0 && !S_ISLNK(st.st_mode))
                must_fail(chmod(entry, st.st_mode & 07777), entry, "chmod (same mode)");
        int r = rename(entry, to);
        must_fail(r, entry, "rename");
        if (r == 0 && rename(to, entry) < 0)
                printf("%scannot rename %s back to %s: %s\n", phase, to, entry, strerror(errno));
        free(to);
        free(entry);
}

static bool is_empty(const char *dir)
{
        char *e = first_entry(dir, false);
        free(e);
        return e == NULL;
}

/* A mount point for binds in /tmp, a directory or a file like path. */
static char *scratch_target(bool dir)
{
        char *t = NULL;
        asprintf(&t, "/tmp/.xhlock-bind-%d", (int)getpid());
        if (dir ? mkdir(t, 0755) : close(open(t, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)))
                broken(t);
        return t;
}

/*
 * Bind path elsewhere: recursively, then remount the copy read-write and
 * write through it; non-recursively, where the kernel refuses a copy that
 * would uncover the locked mounts below path (the hidden dirs).
 */
static void try_binds(const char *path, bool dir, char **hidden, int nhidden)
{
        char *t = scratch_target(dir);
        int r = mount(path, t, NULL, MS_BIND | MS_REC, NULL);
        if (r < 0) {
                refused(path, "bind elsewhere", errno);
        } else {
                must_fail(mount(NULL, t, NULL, MS_REMOUNT | MS_BIND, NULL), path,
                          "remount read-write of a bind of it");
                try_write(path, t, dir, "write through a bind of it");
                umount2(t, MNT_DETACH);
        }
        r = mount(path, t, NULL, MS_BIND, NULL);
        if (r < 0) {
                refused(path, "non-recursive bind elsewhere", errno);
        } else {
                size_t n = strlen(path);
                for (int i = 0; i < nhidden; i++) {
                        if (strncmp(hidden[i], path, n) || hidden[i][n] != '/')
                                continue;
                        char *under = NULL;
                        asprintf(&under, "%s%s", t, hidden[i] + n);
                        if (!is_empty(under))
                                allowed(hidden[i], "uncovered by a non-recursive bind");
                        free(under);
                }
                umount2(t, MNT_DETACH);
        }
        dir ? rmdir(t) : unlink(t);
        free(t);
}

static void try_mount_over(const char *path)
{
        if (mount("tmpfs", path, "tmpfs", 0, "size=64k") < 0) {
                refused(path, "mount a tmpfs over it", errno);
                return;
        }
        /* Allowed: the tmpfs hides the path in this namespace only. */
        char *f = NULL;
        asprintf(&f, "%s/.xhlock-over", path);
        int fd = open(f, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        printf("%s%s: mount a tmpfs over it: allowed, %s written there %s\n", phase, path, f,
               fd >= 0 ? "(the host checks the store)" : "failed");
        if (fd >= 0)
                close(fd);
        free(f);
        if (umount2(path, MNT_DETACH) < 0)
                broken("umount of our own tmpfs");
}

static void attack(const char *path, bool files, char **hidden, int nhidden)
{
        struct stat st;
        if (stat(path, &st) < 0) {
                printf("%s%s: missing\n", phase, path);
                exit(2);
        }
        bool dir = S_ISDIR(st.st_mode);
        struct attr a = {.clr = ATTR_RDONLY};
        must_fail(mount(NULL, path, NULL, MS_REMOUNT | MS_BIND, NULL), path,
                  "remount read-write (MS_REMOUNT|MS_BIND)");
        must_fail((int)syscall(SYS_mount_setattr, AT_FDCWD, path, 0, &a, sizeof(a)), path,
                  "mount_setattr clearing MOUNT_ATTR_RDONLY");
        if (files) {
                /* A remount of the filesystem itself; ours only if the kernel let it through. */
                must_fail(mount(NULL, path, NULL, MS_REMOUNT, NULL), path,
                          "remount the filesystem read-write (MS_REMOUNT)");
                try_write(path, path, dir, dir ? "create a file" : "open for writing");
                try_chmod_rename(path, dir);
                try_binds(path, dir, hidden, nhidden);
                if (dir)
                        try_mount_over(path);
        }
        /* Last: if one of these worked, the path is no longer the mount under test. */
        must_fail(umount2(path, 0), path, "umount");
        must_fail(umount2(path, MNT_DETACH), path, "umount2(MNT_DETACH)");
}

/* Where nothing is locked the same calls work: the refusals above are the locks'. */
static void control(bool capable)
{
        char dir[] = "/tmp/.xhlock-control-XXXXXX";
        if (!mkdtemp(dir))
                broken("mkdtemp in /tmp");
        char *f = NULL, *g = NULL;
        asprintf(&f, "%s/file", dir);
        asprintf(&g, "%s/file2", dir);
        int fd = open(f, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0)
                broken("control: create a file");
        close(fd);
        if (chmod(f, 0600) < 0)
                broken("control: chmod");
        if (rename(f, g) < 0)
                broken("control: rename");
        if (capable) {
                if (mount("tmpfs", dir, "tmpfs", 0, "size=64k") < 0)
                        broken("control: mount a tmpfs");
                if (umount2(dir, 0) < 0)
                        broken("control: umount our own tmpfs");
        }
        unlink(g);
        rmdir(dir);
        free(f);
        free(g);
        printf("%scontrol %s: create, chmod, rename%s work\n", phase, dir,
               capable ? ", mount and umount" : "");
}

static void run_round(char **paths, int npaths, char **only_mounts, int nonly, char **hidden,
                      int nhidden, bool capable)
{
        control(capable);
        for (int i = 0; i < npaths; i++)
                attack(paths[i], true, hidden, nhidden);
        for (int i = 0; i < nonly; i++)
                attack(only_mounts[i], false, hidden, nhidden);
        for (int i = 0; i < nhidden; i++)
                if (!is_empty(hidden[i]))
                        allowed(hidden[i], "a hidden directory shows files");
}

static void write_proc(const char *file, const char *text)
{
        int fd = open(file, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
                broken(file);
        close(fd);
}

int main(int argc, char **argv)
{
        char *hidden[32], *only[32];
        int nhidden = 0, nonly = 0, opt;
        long uid = -1;
        bool nest = false;
        setvbuf(stdout, NULL, _IOLBF, 0);
        while ((opt = getopt(argc, argv, "u:ne:r:")) != -1) {
                if (opt == 'u')
                        uid = strtol(optarg, NULL, 10);
                else if (opt == 'n')
                        nest = true;
                else if (opt == 'e' && nhidden < 32)
                        hidden[nhidden++] = optarg;
                else if (opt == 'r' && nonly < 32)
                        only[nonly++] = optarg;
                else
                        return 2;
        }
        if (uid >= 0) {
                if (setgroups(0, NULL) < 0 || setgid((gid_t)uid) < 0 || setuid((uid_t)uid) < 0)
                        broken("becoming the plain user");
                /* Changing ids made /proc/self root's; the nested maps are written there. */
                prctl(PR_SET_DUMPABLE, 1);
        }
        char *p = NULL;
        asprintf(&p, "[uid %d] ", (int)getuid());
        phase = p;
        run_round(argv + optind, argc - optind, only, nonly, hidden, nhidden, getuid() == 0);
        if (nest) {
                char *m = NULL;
                uid_t u = geteuid();
                gid_t g = getegid();
                if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
                        broken("unshare a nested user + mount namespace");
                write_proc("/proc/self/setgroups", "deny");
                asprintf(&m, "0 %d 1", (int)u);
                write_proc("/proc/self/uid_map", m);
                free(m);
                asprintf(&m, "0 %d 1", (int)g);
                write_proc("/proc/self/gid_map", m);
                free(m);
                asprintf(&p, "[root of a nested namespace of uid %d] ", (int)u);
                phase = p;
                run_round(argv + optind, argc - optind, only, nonly, hidden, nhidden, true);
        }
        printf("lockprobe: %d attempts refused, %d succeeded\n", blocked, succeeded);
        return succeeded ? 1 : 0;
}
