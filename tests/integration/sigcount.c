/* SPDX-License-Identifier: MIT */
/*
 * sigcount: counts the SIGINT and SIGQUIT it receives, one handler run per
 * delivery. Built static for the host by 47-signals.sh, so it runs natively
 * in any session.
 *
 *   sigcount READY_FILE
 *
 * It creates READY_FILE once its handlers are in place, waits up to 20 s for
 * a first signal, then one more second for any copy of it, and prints
 * "INT n QUIT m". Exit 3 when the first signal was SIGINT, 4 for SIGQUIT, 0
 * when none came.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t n_int, n_quit, first;

static void on_signal(int sig)
{
        if (sig == SIGINT)
                n_int++;
        else
                n_quit++;
        if (!first)
                first = sig;
}

/* Sleep for ms milliseconds, or until the first signal when until_signal. */
static void wait_ms(long ms, int until_signal)
{
        struct timespec left = {ms / 1000, (ms % 1000) * 1000000L};
        while (nanosleep(&left, &left) < 0)
                if (until_signal && first)
                        return;
}

int main(int argc, char **argv)
{
        if (argc != 2) {
                fprintf(stderr, "usage: sigcount READY_FILE\n");
                return 2;
        }
        struct sigaction sa = {.sa_handler = on_signal};
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGQUIT, &sa, NULL);
        int fd = open(argv[1], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
                perror(argv[1]);
                return 2;
        }
        close(fd);
        wait_ms(20000, 1);
        if (first)
                wait_ms(1000, 0);
        printf("INT %d QUIT %d\n", (int)n_int, (int)n_quit);
        return first == SIGINT ? 3 : first == SIGQUIT ? 4 : 0;
}
