/*
 * bench.c - what ordo-engine-bench and ordo-bench share: the clock, the
 * W1 sequence, medians and option numbers.  One copy, so the two programs
 * replay exactly the same workload.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench.h"

double ordo_bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

uint64_t ordo_bench_rand(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

uint32_t ordo_bench_below(uint64_t *state, uint32_t n)
{
    return (uint32_t)(((ordo_bench_rand(state) >> 32) * n) >> 32);
}

ordo_bench_w1_t *ordo_bench_w1_sequence(size_t n, uint64_t seed)
{
    ordo_bench_w1_t *w = malloc(n * sizeof *w);
    if (w == NULL)
        return NULL;
    uint64_t rs = seed;
    for (size_t i = 0; i < n; i++) {
        uint32_t a = ordo_bench_below(&rs, ORDO_BENCH_W1_BLOCKS);
        uint32_t b = ordo_bench_below(&rs, ORDO_BENCH_W1_BLOCKS - 1);
        uint32_t c = ordo_bench_below(&rs, ORDO_BENCH_W1_BLOCKS - 2);
        b += b >= a; /* three distinct blocks */
        uint32_t lo = a < b ? a : b, hi = a < b ? b : a;
        c += c >= lo;
        c += c >= hi;
        w[i].a = (uint8_t)a;
        w[i].b = (uint8_t)b;
        w[i].c = (uint8_t)c;
    }
    return w;
}

static int s_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double ordo_bench_quantile(double *v, size_t n, double q)
{
    qsort(v, n, sizeof *v, s_cmp_double);
    size_t k = (size_t)(q * (double)(n - 1) + 0.5);
    return v[k < n ? k : n - 1];
}

double ordo_bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, s_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

unsigned long long ordo_bench_number(const char *prog, const char *opt, const char *s,
                                     unsigned long long min, unsigned long long max)
{
    char *end;
    errno = 0;
    unsigned long long v = s ? strtoull(s, &end, 10) : 0;
    if (s == NULL || errno || *end || end == s || v < min || v > max) {
        fprintf(stderr, "%s: %s wants a number in [%llu, %llu]\n", prog, opt, min, max);
        exit(2);
    }
    return v;
}
