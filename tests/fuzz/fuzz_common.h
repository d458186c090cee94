/*
 * fuzz_common.h - what the fuzz harnesses share: a byte reader over the
 * input, a failure macro that aborts (so libFuzzer and the sanitizers keep
 * the input), and, without libFuzzer, a main() that replays a corpus.
 *
 * Each harness defines LLVMFuzzerTestOneInput.  Built with
 * clang -fsanitize=fuzzer (make fuzz) it is a libFuzzer target; built by
 * the normal compiler (make check) LIBFUZZER is not defined and the main()
 * below runs every file of the directories and files named on the command
 * line, or of FUZZ_CORPUS_DIR when there are none, so that every corpus
 * file is a regression test.
 */
#ifndef ORDO_FUZZ_COMMON_H_INCLUDED
#define ORDO_FUZZ_COMMON_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Each harness prints what its inputs reached (counters) at exit. */
static void fz_report(void);

/* A property failed: say which and where, then abort. */
#define FUZZ_ASSERT(cond)                                                        \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__,  \
                    #cond);                                                      \
            abort();                                                             \
        }                                                                        \
    } while (0)

/* Reads fixed-width little-endian values; past the end it reads zeros. */
typedef struct {
    const uint8_t *p;
    size_t n, at;
} fz_reader_t;

static inline uint64_t fz_bytes(fz_reader_t *r, unsigned width)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < width; i++) {
        uint64_t b = r->at < r->n ? r->p[r->at] : 0;
        r->at++;
        v |= b << (8 * i);
    }
    return v;
}

static inline uint8_t fz_u8(fz_reader_t *r) { return (uint8_t)fz_bytes(r, 1); }
static inline uint16_t fz_u16(fz_reader_t *r) { return (uint16_t)fz_bytes(r, 2); }
static inline int8_t fz_i8(fz_reader_t *r) { return (int8_t)fz_bytes(r, 1); }
static inline int16_t fz_i16(fz_reader_t *r) { return (int16_t)fz_bytes(r, 2); }
static inline int64_t fz_i64(fz_reader_t *r) { return (int64_t)fz_bytes(r, 8); }

#ifndef LIBFUZZER
#include <dirent.h>
#include <sys/stat.h>

static int fz_run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    for (size_t got; buf && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
        n += got;
        if (n == cap) {
            uint8_t *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                buf = NULL;
            }
            buf = nb;
        }
    }
    fclose(f);
    if (!buf) {
        fprintf(stderr, "%s: out of memory\n", path);
        return -1;
    }
    /* An exact-size copy, so that the sanitizers see a read past the end. */
    uint8_t *exact = malloc(n ? n : 1);
    if (exact)
        memcpy(exact, buf, n);
    free(buf);
    if (!exact)
        return -1;
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    return 0;
}

static int fz_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every regular file of dir (in name order); returns the count or -1. */
static long fz_run_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        perror(dir);
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **nn = realloc(names, cap * sizeof *names);
            if (!nn)
                abort();
            names = nn;
        }
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        names[n] = malloc(len);
        if (!names[n])
            abort();
        snprintf(names[n], len, "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, fz_cmp);
    long count = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
            if (fz_run_file(names[i]) != 0)
                count = -1;
            else if (count >= 0)
                count++;
        }
        free(names[i]);
    }
    free(names);
    return count;
}

int main(int argc, char **argv)
{
    const char *fallback[] = { argv[0], FUZZ_CORPUS_DIR };
    if (argc < 2) {
        const char *env = getenv("ORDO_FUZZ_CORPUS");
        if (env && *env)
            fallback[1] = env;
        argc = 2;
        argv = (char **)fallback;
    }
    long total = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            return 1;
        }
        long n = S_ISDIR(st.st_mode) ? fz_run_dir(argv[i]) : (fz_run_file(argv[i]) ? -1 : 1);
        if (n < 0)
            return 1;
        total += n;
    }
    if (total == 0) {
        fprintf(stderr, "no input replayed (empty corpus?)\n");
        return 1;
    }
    printf("%s: %ld inputs replayed\n", argv[0], total);
    fz_report();
    return 0;
}
#else
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    atexit(fz_report);
    return 0;
}
#endif /* !LIBFUZZER */

#endif /* ORDO_FUZZ_COMMON_H_INCLUDED */
