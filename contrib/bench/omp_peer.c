/*
 * omp_peer.c - the OpenMP peer of W1: libgomp's `task depend`.
 *
 * One thread of the team creates the tasks in W1 order; the whole team
 * (OMP_NUM_THREADS, by default one thread per core) runs them.  The
 * dependences are on the addresses of the elements of a 64-byte array, one
 * per block, which is all OpenMP looks at: it does no byte analysis.
 *
 * When another process takes a core, libgomp's spinning threads and the
 * unthrottled creation of tasks with dependences make a run slow down by
 * orders of magnitude (OMP_WAIT_POLICY=passive avoids most of it).  So the
 * creating thread stops after budget seconds; the rate is then computed on
 * the tasks it did create, and the caller says so.
 */
#include <stddef.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "bench.h"

double ordo_bench_omp_w1(const ordo_bench_w1_t *w, size_t n, double budget, int *threads,
                         size_t *done)
{
#ifdef _OPENMP
    char blk[ORDO_BENCH_W1_BLOCKS];
    int team = 0;
    size_t created = 0;
    (void)blk; /* only its elements' addresses matter */
    double t0 = ordo_bench_now();
#pragma omp parallel shared(blk, team, created)
    {
#pragma omp single
        {
            size_t i;
            team = omp_get_num_threads();
            for (i = 0; i < n; i++) {
                int a = w[i].a, b = w[i].b, c = w[i].c;
                if ((i & 4095) == 4095 && ordo_bench_now() - t0 > budget)
                    break;
#pragma omp task depend(in : blk[a], blk[b]) depend(inout : blk[c])
                {
                    /* the empty kernel */
                }
            }
            created = i;
        }
    } /* the barrier at the end of the region waits for every task */
    double t1 = ordo_bench_now();
    *threads = team;
    *done = created;
    return t1 - t0;
#else
    (void)w;
    (void)n;
    (void)budget;
    *threads = 0;
    *done = 0;
    return -1.0;
#endif
}

/* W2: the same sequence, every block read: no task depends on another. */
double ordo_bench_omp_w2(const ordo_bench_w1_t *w, size_t n, double budget, int *threads,
                         size_t *done)
{
#ifdef _OPENMP
    char blk[ORDO_BENCH_W1_BLOCKS];
    int team = 0;
    size_t created = 0;
    (void)blk;
    double t0 = ordo_bench_now();
#pragma omp parallel shared(blk, team, created)
    {
#pragma omp single
        {
            size_t i;
            team = omp_get_num_threads();
            for (i = 0; i < n; i++) {
                int a = w[i].a, b = w[i].b, c = w[i].c;
                if ((i & 4095) == 4095 && ordo_bench_now() - t0 > budget)
                    break;
#pragma omp task depend(in : blk[a], blk[b], blk[c])
                {
                }
            }
            created = i;
        }
    }
    double t1 = ordo_bench_now();
    *threads = team;
    *done = created;
    return t1 - t0;
#else
    (void)w;
    (void)n;
    (void)budget;
    *threads = 0;
    *done = 0;
    return -1.0;
#endif
}

/* W3: gather (reads the cache, writes win[r]) then write-back (writes the
 * cache, reads kv[r]), step after step: a chain through the cache. */
double ordo_bench_omp_w3(size_t steps, double budget, int *threads, size_t *done)
{
#ifdef _OPENMP
    char cache = 0, win[ORDO_BENCH_W3_DEPTH], kv[ORDO_BENCH_W3_DEPTH];
    int team = 0;
    size_t created = 0;
    (void)cache;
    (void)win;
    (void)kv;
    double t0 = ordo_bench_now();
#pragma omp parallel shared(cache, win, kv, team, created)
    {
#pragma omp single
        {
            size_t t;
            team = omp_get_num_threads();
            for (t = 0; t < steps; t++) {
                int r = (int)(t % ORDO_BENCH_W3_DEPTH);
                if ((t & 2047) == 2047 && ordo_bench_now() - t0 > budget)
                    break;
#pragma omp task depend(in : cache) depend(out : win[r])
                {
                }
#pragma omp task depend(inout : cache) depend(in : kv[r])
                {
                }
            }
            created = 2 * t;
        }
    }
    double t1 = ordo_bench_now();
    *threads = team;
    *done = created;
    return t1 - t0;
#else
    (void)steps;
    (void)budget;
    *threads = 0;
    *done = 0;
    return -1.0;
#endif
}
