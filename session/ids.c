/* SPDX-License-Identifier: MIT */
/*
 * What a caller who is not root needs for sessions with many ids: its
 * subordinate ranges in /etc/subuid and /etc/subgid (which newuidmap and
 * newgidmap read, and map into the session after the caller itself), and user
 * namespaces that the kernel lets it make. Parsing only: namespace.c writes
 * the maps, doctor reports what is missing.
 */
#include "session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One line "OWNER:START:COUNT"; false for a malformed one (skipped, as newuidmap does). */
static bool parse_line(const char *line, size_t len, char **owner, struct xh_subid *r)
{
        _cleanup_free_ char *s = xh_strndup(line, len);
        char *c1 = strchr(s, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c1 || !c2 || c1 == s || strchr(c2 + 1, ':'))
                return false;
        *c1 = *c2 = '\0';
        char *end;
        errno = 0;
        unsigned long long start = strtoull(c1 + 1, &end, 10);
        if (errno || end == c1 + 1 || *end || c1[1] == '-' || start > UINT32_MAX)
                return false;
        unsigned long long count = strtoull(c2 + 1, &end, 10);
        if (errno || end == c2 + 1 || *end || c2[1] == '-' || count == 0 ||
            count > UINT32_MAX - start)
                return false;
        r->start = (unsigned long)start;
        r->count = (unsigned long)count;
        *owner = xh_strdup(s);
        return true;
}

/*
 * Walk the lines of text; for each well-formed one call fn. Stops when fn
 * returns true.
 */
static void each_range(const char *text,
                       bool (*fn)(const char *owner, const struct xh_subid *r, void *data),
                       void *data)
{
        for (const char *p = text; p && *p;) {
                size_t len = strcspn(p, "\n");
                _cleanup_free_ char *owner = NULL;
                struct xh_subid r;
                if (parse_line(p, len, &owner, &r) && fn(owner, &r, data))
                        return;
                p += len;
                if (*p == '\n')
                        p++;
        }
}

struct find {
        const char *owner;
        struct xh_subid *out;
        bool found;
};

static bool find_owner(const char *owner, const struct xh_subid *r, void *data)
{
        struct find *f = data;
        if (strcmp(owner, f->owner) != 0)
                return false;
        *f->out = *r;
        f->found = true;
        return true;
}

int xh_subid_find(const char *text, const char *user, unsigned long uid, struct xh_subid *out)
{
        /* As newuidmap: the first range of the user's name, else of its uid in decimal. */
        _cleanup_free_ char *ids = xh_asprintf("%lu", uid);
        struct find f = {.owner = user, .out = out};
        if (user)
                each_range(text, find_owner, &f);
        if (!f.found) {
                f.owner = ids;
                each_range(text, find_owner, &f);
        }
        return f.found ? 1 : 0;
}

static bool past_end(const char *owner, const struct xh_subid *r, void *data)
{
        (void)owner;
        unsigned long *start = data;
        if (r->start + r->count > *start)
                *start = r->start + r->count;
        return false;
}

unsigned long xh_subid_free_start(const char *text)
{
        /* Where useradd starts (SUB_UID_MIN), or past every range listed. */
        unsigned long start = 100000;
        each_range(text, past_end, &start);
        return start;
}

/* The settings that stop user namespaces, in /proc/sys, and the fix of each. */
static const struct {
        const char *file;  /* below /proc/sys */
        long min;          /* blocked when the value is below */
        long max;          /* or above */
        bool unprivileged; /* applies to callers who are not root only */
        const char *what, *fix;
} userns_settings[] = {
        {"user/max_user_namespaces", 2, -1, false,
         "user namespaces are limited (a session nests two)",
         "sysctl -w user.max_user_namespaces=15000 (and put user.max_user_namespaces = 15000 "
         "in /etc/sysctl.d/userns.conf to keep it)"},
        {"kernel/unprivileged_userns_clone", 1, -1, true,
         "user namespaces are disabled for users who are not root",
         "sysctl -w kernel.unprivileged_userns_clone=1 (and put kernel.unprivileged_userns_clone "
         "= 1 in /etc/sysctl.d/userns.conf to keep it)"},
        {"kernel/apparmor_restrict_unprivileged_userns", -1, 0, true,
         "AppArmor restricts the user namespaces of users who are not root",
         "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or give xhybrid an AppArmor "
         "profile with the 'userns,' rule"},
};

int xh_userns_blocks(const char *proc_sys, bool root, struct xh_block **out)
{
        struct xh_block *b = xh_malloc(sizeof(*b) * (XH_ARRAY_SIZE(userns_settings) + 1));
        int n = 0;
        for (size_t i = 0; i < XH_ARRAY_SIZE(userns_settings); i++) {
                if (root && userns_settings[i].unprivileged)
                        continue;
                _cleanup_free_ char *path = xh_asprintf("%s/%s", proc_sys, userns_settings[i].file);
                _cleanup_free_ char *text = NULL;
                if (xh_read_file(path, &text, NULL) < 0)
                        continue; /* not in this kernel: nothing to block */
                char *end;
                errno = 0;
                long v = strtol(text, &end, 10);
                if (errno || end == text || (*end && *end != '\n'))
                        continue;
                if ((userns_settings[i].min >= 0 && v < userns_settings[i].min) ||
                    (userns_settings[i].max >= 0 && v > userns_settings[i].max)) {
                        b[n].what = xh_asprintf("%s: %s is %ld", userns_settings[i].what, path, v);
                        b[n].fix = xh_strdup(userns_settings[i].fix);
                        n++;
                }
        }
        b[n] = (struct xh_block){0};
        *out = b;
        return n;
}

void xh_blocks_free(struct xh_block *b)
{
        for (struct xh_block *p = b; p && p->what; p++) {
                free(p->what);
                free(p->fix);
        }
        free(b);
}
