/*
 * bench.h - pieces shared by the sources of ordo-engine-bench: the W1
 * workload, the clock, and the peer runtimes measured beside the engine.
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

/* Seconds on CLOCK_MONOTONIC (the benchmark reads the clock, the core never). */
double ordo_bench_now(void);

/* Runs the n tasks of w under OpenMP (parallel + single, one `task depend`
 * per W1 task, empty body) and returns the elapsed seconds, or a negative
 * value when the program was built without OpenMP.  Task creation stops
 * once budget seconds have passed; *done receives the number of tasks
 * created (and run), *threads the size of the team. */
double ordo_bench_omp_w1(const ordo_bench_w1_t *w, size_t n, double budget, int *threads,
                         size_t *done);

#ifdef ORDO_BENCH_STARPU
/* StarPU peer: start the runtime (0 or -1), run W1 with one registered
 * vector per block and a codelet (R, R, RW) with an empty CPU function
 * (elapsed seconds, or a negative value on error), and stop it.  Its workers
 * are alive only between init and shutdown, so they do not disturb the
 * other measures. */
int ordo_bench_starpu_init(int *workers);
double ordo_bench_starpu_w1(const ordo_bench_w1_t *w, size_t n);
void ordo_bench_starpu_shutdown(void);
#endif

#endif /* ORDO_BENCH_H_INCLUDED */
