/* SPDX-License-Identifier: MIT */
/*
 * Replay: run a fuzz harness over files, without libFuzzer, so that its seeds
 * and the inputs of fixed crashes run in every build (gcc, ASan+UBSan) as
 * unit tests, and a crash input can be replayed under a debugger.
 *
 *   fuzz_NAME_replay FILE|DIR...
 *
 * A directory stands for the files in it (sorted, dot files skipped). Each
 * file's name is printed before it runs, so a crash names its input. It
 * fails when an argument cannot be read or no input was given at all.
 */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

#include "fuzz.h"

static int run_file(const char *path)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = xh_read_file(path, &data, &len);
        if (r < 0) {
                fprintf(stderr, "replay: cannot read %s: %s\n", path, strerror(-r));
                return r;
        }
        printf("%s\n", path);
        fflush(stdout);
        /* A buffer of exactly the input's size, as libFuzzer gives: a read past it is caught. */
        _cleanup_free_ uint8_t *copy = xh_malloc(len ? len : 1);
        memcpy(copy, data, len);
        LLVMFuzzerTestOneInput(copy, len);
        return 0;
}

static int skip_dot(const struct dirent *d)
{
        return d->d_name[0] != '.';
}

/* Run every input of path; *n counts them. */
static int run_path(const char *path, size_t *n)
{
        struct stat st;
        if (stat(path, &st) < 0) {
                fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
                return -errno;
        }
        if (!S_ISDIR(st.st_mode)) {
                (*n)++;
                return run_file(path);
        }
        struct dirent **names = NULL;
        int count = scandir(path, &names, skip_dot, alphasort);
        if (count < 0) {
                fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
                return -errno;
        }
        int r = 0;
        for (int i = 0; i < count; i++) {
                _cleanup_free_ char *file = xh_asprintf("%s/%s", path, names[i]->d_name);
                if (r == 0) {
                        (*n)++;
                        r = run_file(file);
                }
                free(names[i]);
        }
        free(names);
        return r;
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
                return 2;
        }
        size_t n = 0;
        for (int i = 1; i < argc; i++)
                if (run_path(argv[i], &n) < 0)
                        return 1;
        if (n == 0) {
                fprintf(stderr, "replay: no inputs\n");
                return 1;
        }
        printf("replay: %zu inputs, no failure\n", n);
        return 0;
}
