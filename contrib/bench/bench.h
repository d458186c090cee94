/*
 * bench.h - pieces shared by the sources of ordo-engine-bench and
 * ordo-bench: the workloads, the clock, and the peer runtimes measured
 * beside ordo.
 *
 * W1 is one buffer of ORDO_BENCH_W1_BLOCKS blocks of 1 KiB; task i reads
 * blocks a and b and writes (inout) block c, three distinct blocks drawn at
 * random.  The sequence is generated once, before any timing, and every
 * runtime replays the same one.
 */
#ifndef ORDO_BENCH_H_INCLUDED
#define ORDO_BENCH_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#define ORDO_BENCH_W1_BLOCKS 64
#define ORDO_BENCH_W1_BLOCK_BYTES 1024
#define ORDO_BENCH_W1_ELEMS (ORDO_BENCH_W1_BLOCK_BYTES / 4) /* f32 per block */

/* One W1 task: reads blocks a and b, writes block c. */
typedef struct {
    uint8_t a, b, c;
} ordo_bench_w1_t;

/* W3, the decode pattern of the KV-cache example: a cache of NSEQ rings of
 * RING rows of D f32; step t gathers rows of the whole cache (read as
 * [NSEQ*RING, D]) into scratch slab t % DEPTH, then writes two rows per
 * sequence back into the cache in place (through a [NSEQ, RING, D] slice)
 * from another scratch slab.  Two tasks per step. */
#define ORDO_BENCH_W3_NSEQ 4
#define ORDO_BENCH_W3_RING 16
#define ORDO_BENCH_W3_D 64
#define ORDO_BENCH_W3_DEPTH 8 /* scratch slabs, and ordo's steps in flight */

/* Seconds on CLOCK_MONOTONIC (the benchmark reads the clock, the core never). */
double ordo_bench_now(void);

/* splitmix64: a small, good generator; a sequence depends only on its
 * seed.  ordo_bench_below draws uniformly from [0, n). */
uint64_t ordo_bench_rand(uint64_t *state);
uint32_t ordo_bench_below(uint64_t *state, uint32_t n);

/* The W1 sequence for a seed: n tasks of three distinct random blocks.
 * Returns NULL when out of memory; free() it. */
ordo_bench_w1_t *ordo_bench_w1_sequence(size_t n, uint64_t seed);

/* Median of v[n] and the q-quantile (0..1) of v[n]; both sort v. */
double ordo_bench_median(double *v, int n);
double ordo_bench_quantile(double *v, size_t n, double q);

/* The number in s for option opt, within [min, max]; exits 2 with a message
 * naming prog otherwise. */
unsigned long long ordo_bench_number(const char *prog, const char *opt, const char *s,
                                     unsigned long long min, unsigned long long max);

/* Runs the n tasks of w under OpenMP (parallel + single, one `task depend`
 * per W1 task, empty body) and returns the elapsed seconds, or a negative
 * value when the program was built without OpenMP.  Task creation stops
 * once budget seconds have passed; *done receives the number of tasks
 * created (and run), *threads the size of the team. */
double ordo_bench_omp_w1(const ordo_bench_w1_t *w, size_t n, double budget, int *threads,
                         size_t *done);

/* W2 under OpenMP: the W1 sequence with all three blocks read
 * (depend(in: ...) only), so no task waits for another. */
double ordo_bench_omp_w2(const ordo_bench_w1_t *w, size_t n, double budget, int *threads,
                         size_t *done);

/* W3 under OpenMP, steps steps (2 tasks each): the gather as
 * depend(in: cache) depend(out: win[r]), the write-back as
 * depend(inout: cache) depend(in: kv[r]) -- the whole cache, since OpenMP
 * cannot name the two rows of a reshaped view.  *done: tasks created. */
double ordo_bench_omp_w3(size_t steps, double budget, int *threads, size_t *done);

#ifdef ORDO_BENCH_STARPU
/* StarPU peer: start the runtime (0 or -1), run W1 with one registered
 * vector per block and a codelet (R, R, RW) with an empty CPU function
 * (elapsed seconds, or a negative value on error), and stop it.  Its workers
 * are alive only between init and shutdown, so they do not disturb the
 * other measures. */
int ordo_bench_starpu_init(int *workers);
double ordo_bench_starpu_w1(const ordo_bench_w1_t *w, size_t n);
void ordo_bench_starpu_shutdown(void);
/* W2: the W1 sequence with a codelet (R, R, R). */
double ordo_bench_starpu_w2(const ordo_bench_w1_t *w, size_t n);
/* W3: one handle for the cache, DEPTH for each scratch ring; codelets
 * gather (R cache, W win[r]) and write-back (RW cache, R kv[r]). */
double ordo_bench_starpu_w3(size_t steps);
#endif

#endif /* ORDO_BENCH_H_INCLUDED */
