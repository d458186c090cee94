/*
 * starpu_peer.c - the StarPU 1.3 peer of W1 (built when starpu-1.3 is found).
 *
 * Each block is a registered vector of 256 f32; each task is a codelet with
 * the access modes (R, R, RW) and an empty CPU function, submitted with
 * starpu_task_create/starpu_task_submit (cheaper than starpu_task_insert's
 * variadic parsing).  StarPU infers the order from the handles' modes, the
 * same implicit dependences as OpenMP.
 */
#include <stdint.h>
#include <stdlib.h>

/* StarPU 1.3's headers declare a few functions without prototypes; pkg-config
 * hands them over with -I, so silence that one warning for them only. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#include <starpu.h>
#pragma GCC diagnostic pop

#include "bench.h"

static float *s_data;
static starpu_data_handle_t s_handle[ORDO_BENCH_W1_BLOCKS];

static void s_empty_kernel(void *buffers[], void *arg)
{
    (void)buffers;
    (void)arg;
}

static struct starpu_codelet s_codelet = {
    .cpu_funcs = {s_empty_kernel},
    .nbuffers = 3,
    .modes = {STARPU_R, STARPU_R, STARPU_RW},
    .name = "w1_empty",
};

int ordo_bench_starpu_init(int *workers)
{
    setenv("STARPU_SILENT", "1", 0);
    if (starpu_init(NULL) != 0)
        return -1;
    s_data = calloc(ORDO_BENCH_W1_BLOCKS * ORDO_BENCH_W1_ELEMS, sizeof(float));
    if (s_data == NULL) {
        starpu_shutdown();
        return -1;
    }
    for (int i = 0; i < ORDO_BENCH_W1_BLOCKS; i++)
        starpu_vector_data_register(&s_handle[i], STARPU_MAIN_RAM,
                                    (uintptr_t)(s_data + (size_t)i * ORDO_BENCH_W1_ELEMS),
                                    ORDO_BENCH_W1_ELEMS, sizeof(float));
    *workers = (int)starpu_cpu_worker_get_count();
    return 0;
}

double ordo_bench_starpu_w1(const ordo_bench_w1_t *w, size_t n)
{
    double t0 = ordo_bench_now();
    for (size_t i = 0; i < n; i++) {
        struct starpu_task *t = starpu_task_create();
        t->cl = &s_codelet;
        t->handles[0] = s_handle[w[i].a];
        t->handles[1] = s_handle[w[i].b];
        t->handles[2] = s_handle[w[i].c];
        if (starpu_task_submit(t) != 0)
            return -1.0;
    }
    starpu_task_wait_for_all();
    return ordo_bench_now() - t0;
}

void ordo_bench_starpu_shutdown(void)
{
    for (int i = 0; i < ORDO_BENCH_W1_BLOCKS; i++)
        starpu_data_unregister(s_handle[i]);
    free(s_data);
    s_data = NULL;
    starpu_shutdown();
}

static struct starpu_codelet s_codelet_w2 = {
    .cpu_funcs = {s_empty_kernel},
    .nbuffers = 3,
    .modes = {STARPU_R, STARPU_R, STARPU_R},
    .name = "w2_empty",
};

double ordo_bench_starpu_w2(const ordo_bench_w1_t *w, size_t n)
{
    double t0 = ordo_bench_now();
    for (size_t i = 0; i < n; i++) {
        struct starpu_task *t = starpu_task_create();
        t->cl = &s_codelet_w2;
        t->handles[0] = s_handle[w[i].a];
        t->handles[1] = s_handle[w[i].b];
        t->handles[2] = s_handle[w[i].c];
        if (starpu_task_submit(t) != 0)
            return -1.0;
    }
    starpu_task_wait_for_all();
    return ordo_bench_now() - t0;
}

static struct starpu_codelet s_codelet_gather = {
    .cpu_funcs = {s_empty_kernel},
    .nbuffers = 2,
    .modes = {STARPU_R, STARPU_W},
    .name = "w3_gather",
};

static struct starpu_codelet s_codelet_writeback = {
    .cpu_funcs = {s_empty_kernel},
    .nbuffers = 2,
    .modes = {STARPU_RW, STARPU_R},
    .name = "w3_writeback",
};

double ordo_bench_starpu_w3(size_t steps)
{
    enum { CACHE = ORDO_BENCH_W3_NSEQ * ORDO_BENCH_W3_RING * ORDO_BENCH_W3_D,
           WIN = ORDO_BENCH_W3_NSEQ * (ORDO_BENCH_W3_RING - 1) * ORDO_BENCH_W3_D,
           KV = ORDO_BENCH_W3_NSEQ * 2 * ORDO_BENCH_W3_D };
    float *mem = calloc(CACHE + ORDO_BENCH_W3_DEPTH * (WIN + KV), sizeof(float));
    starpu_data_handle_t cache, win[ORDO_BENCH_W3_DEPTH], kv[ORDO_BENCH_W3_DEPTH];
    if (mem == NULL)
        return -1.0;
    starpu_vector_data_register(&cache, STARPU_MAIN_RAM, (uintptr_t)mem, CACHE, sizeof(float));
    for (int r = 0; r < ORDO_BENCH_W3_DEPTH; r++) {
        float *w = mem + CACHE + (size_t)r * (WIN + KV);
        starpu_vector_data_register(&win[r], STARPU_MAIN_RAM, (uintptr_t)w, WIN, sizeof(float));
        starpu_vector_data_register(&kv[r], STARPU_MAIN_RAM, (uintptr_t)(w + WIN), KV,
                                    sizeof(float));
    }
    double s = -1.0, t0 = ordo_bench_now();
    for (size_t t = 0; t < steps; t++) {
        int r = (int)(t % ORDO_BENCH_W3_DEPTH);
        struct starpu_task *g = starpu_task_create(), *b;
        g->cl = &s_codelet_gather;
        g->handles[0] = cache;
        g->handles[1] = win[r];
        if (starpu_task_submit(g) != 0)
            goto out;
        b = starpu_task_create();
        b->cl = &s_codelet_writeback;
        b->handles[0] = cache;
        b->handles[1] = kv[r];
        if (starpu_task_submit(b) != 0)
            goto out;
    }
    starpu_task_wait_for_all();
    s = ordo_bench_now() - t0;
out:
    starpu_task_wait_for_all();
    starpu_data_unregister(cache);
    for (int r = 0; r < ORDO_BENCH_W3_DEPTH; r++) {
        starpu_data_unregister(win[r]);
        starpu_data_unregister(kv[r]);
    }
    free(mem);
    return s;
}
