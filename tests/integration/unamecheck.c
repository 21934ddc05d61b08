/* SPDX-License-Identifier: MIT */
/*
 * unamecheck: prints what uname(2) answers, one line
 * "SYSNAME|NODENAME|RELEASE|VERSION|MACHINE|DOMAINNAME", or the call's error
 * and exit status 1. Built static for the host by 79-identity.sh, so it runs
 * native in any session and asks the kernel itself, as cmake or python do.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

int main(void)
{
        struct utsname u;
        if (uname(&u) < 0) {
                fprintf(stderr, "unamecheck: uname: %s\n", strerror(errno));
                return 1;
        }
        printf("%s|%s|%s|%s|%s|%s\n", u.sysname, u.nodename, u.release, u.version, u.machine,
               u.domainname);
        return 0;
}
