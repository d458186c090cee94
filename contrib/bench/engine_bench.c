/*
 * engine_bench.c - ordo-engine-bench: the dependency engine in-process,
 * beside libgomp's OpenMP `task depend` (and StarPU when built with it).
 *
 * W1: one buffer of 64 blocks of 1 KiB; each task reads two random blocks
 * (f32 views of 256 elements, ORDO_IN) and writes a third (ORDO_INOUT, as
 * OpenMP's depend(inout)), the three distinct; empty kernel.  The engine runs
 * on one thread and every task takes the whole path: ordo_graph_submit (view
 * validation, canonical footprints, index queries, edges), then
 * ordo_graph_pop_ready and ordo_graph_complete, the kernel being empty and
 * run inline.  Tasks are submitted until the window is full; then a batch of
 * ready tasks is popped and completed, and submission goes on, so the graph
 * stays near a full window, as in a busy daemon.  The default window, 128,
 * is the bound libgomp puts on itself with two threads: GOMP_task runs a
 * task at once, undeferred, when more than 64 * nthreads are pending.
 *
 * SCALE: N tasks each holding one access to a 64-byte slot of one buffer
 * (even slots; half in, half inout; all disjoint, so all ready) are popped
 * and left running: N live accesses stay in the buffer's index for the whole
 * measure.  Then a stream of tasks, each reading one random odd slot and
 * writing another, is submitted, popped and completed one at a time.  The
 * stream's slots interleave with the live ones, so every query descends
 * through the live accesses' tree to the query's neighbourhood; the bytes
 * are disjoint, so the stream never waits, and the measure is the price of
 * analysis, pop and completion with N live accesses beside it.  SCALE_LOCAL
 * is the same with the stream confined to 64 neighbouring odd slots in the
 * middle of the buffer: the tree's paths stay in cache, so the difference
 * between the two is the price of cache misses, not of the algorithm.
 *
 * Every figure is the median of --reps runs; SCALE's reps run each point
 * in turn.  The core never reads a clock; this program does
 * (CLOCK_MONOTONIC).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "graph.h"
#include "index.h"
#include "ordo.h"
#include "view.h"

#define S_SCALE_POINTS 3
static const uint32_t s_scale_live[S_SCALE_POINTS] = {100, 10000, 100000};
#define S_SLOT_ELEMS 16 /* f32 per slot of the SCALE buffer: 64 bytes */
#define S_MAX_REPS 101
#define S_LOCAL_SLOTS 64 /* odd slots the SCALE_LOCAL stream touches */

typedef struct {
    size_t tasks;           /* W1 tasks per run (engine and OpenMP) */
    size_t starpu_tasks;    /* W1 tasks per StarPU run */
    size_t scale_tasks;     /* timed stream tasks per SCALE run */
    double omp_budget;      /* seconds an OpenMP run may create tasks */
    uint32_t scale_point;   /* run only this SCALE point (profiling); 0: all */
    int reps;
    uint32_t window;
    uint32_t batch;         /* ready tasks completed when the window is full */
    uint64_t seed;
    bool json;
    bool do_w1_peers;
    bool do_w1;
    bool do_scale;
    bool do_scale_random;   /* SCALE */
    bool do_scale_local;    /* SCALE_LOCAL */
} s_opts_t;

/* What one invocation measured (medians). */
typedef struct {
    double engine_tps, omp_tps, starpu_tps;
    int omp_threads, starpu_workers;
    bool have_omp, have_starpu;
    bool omp_cut;                       /* a run hit --omp-budget */
    double load1;                       /* load average at the start */
    ordo_graph_stats_t w1_stats;        /* of the last engine run */
    uint64_t live_tasks, live_edges, live_raw, live_war, live_waw;
    double scale_ns[S_SCALE_POINTS], local_ns[S_SCALE_POINTS];
    uint64_t scale_index[S_SCALE_POINTS];
} s_result_t;

static const char *s_prog = "ordo-engine-bench";

static void s_die(const char *what, int rc)
{
    fprintf(stderr, "%s: %s: %s\n", s_prog, what, ordo_strerror(rc));
    exit(1);
}

/* A one-dimensional contiguous f32 view of elems elements at offset. */
static void s_arg(ordo_arg_t *a, ordo_index_t *idx, int mode, int64_t offset,
                  int64_t elems)
{
    memset(a, 0, sizeof *a);
    a->index = idx;
    a->mode = mode;
    a->view.dtype = ORDO_F32;
    a->view.ndim = 1;
    a->view.offset = offset;
    a->view.shape[0] = elems;
    a->view.strides[0] = 1;
}

static ordo_graph_t *s_graph(uint32_t window)
{
    ordo_graph_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.window = window;
    ordo_graph_t *g = ordo_graph_new(&cfg);
    if (g == NULL)
        s_die("ordo_graph_new", ORDO_ENOMEM);
    return g;
}

/* Pops and completes (empty kernel, inline) up to max ready tasks; returns
 * how many. */
static size_t s_run_ready(ordo_graph_t *g, size_t max)
{
    size_t k = 0;
    uint64_t id;
    void *user;
    while (k < max && ordo_graph_pop_ready(g, &id, &user) == 0) {
        int rc = ordo_graph_complete(g, id);
        if (rc != 0)
            s_die("ordo_graph_complete", rc);
        k++;
    }
    return k;
}

/* Submits W1 task i (session 1, sequence i + 1); when the window is full,
 * runs a batch of ready tasks first. */
static void s_w1_submit(ordo_graph_t *g, ordo_task_desc_t *d, ordo_arg_t *args,
                        const ordo_bench_w1_t *t, size_t i, uint32_t batch)
{
    char err[160];
    args[0].view.offset = (int64_t)t->a * ORDO_BENCH_W1_ELEMS;
    args[1].view.offset = (int64_t)t->b * ORDO_BENCH_W1_ELEMS;
    args[2].view.offset = (int64_t)t->c * ORDO_BENCH_W1_ELEMS;
    d->id = ORDO_TASK_ID(1, i + 1);
    int rc;
    while ((rc = ordo_graph_submit(g, d, NULL, 0)) == ORDO_EAGAIN)
        if (s_run_ready(g, batch) == 0)
            s_die("window full and nothing ready", rc);
    if (rc != 0) {
        ordo_graph_submit(g, d, err, sizeof err);
        fprintf(stderr, "ordo-engine-bench: submit of W1 task %zu: %s (%s)\n", i,
                ordo_strerror(rc), err);
        exit(1);
    }
}

static void s_w1_setup(ordo_index_t *idx, ordo_arg_t *args, ordo_task_desc_t *d)
{
    ordo_index_init(idx, 1, (uint64_t)ORDO_BENCH_W1_BLOCKS * ORDO_BENCH_W1_BLOCK_BYTES);
    s_arg(&args[0], idx, ORDO_IN, 0, ORDO_BENCH_W1_ELEMS);
    s_arg(&args[1], idx, ORDO_IN, 0, ORDO_BENCH_W1_ELEMS);
    s_arg(&args[2], idx, ORDO_INOUT, 0, ORDO_BENCH_W1_ELEMS);
    memset(d, 0, sizeof *d);
    d->args = args;
    d->nargs = 3;
}

/* One timed engine run of W1; returns the elapsed seconds. */
static double s_engine_w1(const s_opts_t *o, const ordo_bench_w1_t *w,
                          ordo_graph_stats_t *st)
{
    ordo_graph_t *g = s_graph(o->window);
    ordo_index_t idx;
    ordo_arg_t args[3];
    ordo_task_desc_t d;
    s_w1_setup(&idx, args, &d);

    double t0 = ordo_bench_now();
    for (size_t i = 0; i < o->tasks; i++)
        s_w1_submit(g, &d, args, &w[i], i, o->batch);
    s_run_ready(g, SIZE_MAX);
    double t1 = ordo_bench_now();

    ordo_graph_stats(g, st);
    if (st->done != o->tasks || st->live != 0 || st->index_accesses != 0) {
        fprintf(stderr, "ordo-engine-bench: W1 ended with done=%llu live=%llu "
                "index_accesses=%llu (expected %zu, 0, 0)\n",
                (unsigned long long)st->done, (unsigned long long)st->live,
                (unsigned long long)st->index_accesses, o->tasks);
        exit(1);
    }
    ordo_graph_destroy(&g);
    return t1 - t0;
}

typedef struct {
    uint64_t edges, raw, war, waw;
} s_edge_count_t;

static void s_count_edge(void *arg, uint64_t from, uint64_t to, unsigned kinds)
{
    s_edge_count_t *c = arg;
    (void)from;
    (void)to;
    c->edges++;
    c->raw += (kinds & ORDO_EDGE_RAW) != 0;
    c->war += (kinds & ORDO_EDGE_WAR) != 0;
    c->waw += (kinds & ORDO_EDGE_WAW) != 0;
}

/* Untimed: fills one window with W1 tasks and counts the live edges by kind
 * (ordo_graph_walk), to show what the analysis derives. */
static void s_w1_live_edges(const s_opts_t *o, const ordo_bench_w1_t *w, s_result_t *r)
{
    ordo_graph_t *g = s_graph(o->window);
    ordo_index_t idx;
    ordo_arg_t args[3];
    ordo_task_desc_t d;
    s_w1_setup(&idx, args, &d);
    size_t n = o->tasks < o->window ? o->tasks : o->window;
    for (size_t i = 0; i < n; i++)
        s_w1_submit(g, &d, args, &w[i], i, o->batch);
    s_edge_count_t c = {0, 0, 0, 0};
    ordo_graph_visitor_t v = {NULL, s_count_edge};
    ordo_graph_walk(g, &v, &c);
    ordo_graph_stats_t st;
    ordo_graph_stats(g, &st);
    r->live_tasks = st.live;
    r->live_edges = c.edges;
    r->live_raw = c.raw;
    r->live_war = c.war;
    r->live_waw = c.waw;
    s_run_ready(g, SIZE_MAX);
    ordo_graph_destroy(&g);
}

/* One timed SCALE run with nlive live accesses; returns ns per stream task.
 * slots[] holds 2 * (warm + tasks) odd slot numbers below 2 * nlive + 2. */
static double s_scale_run(const s_opts_t *o, uint32_t nlive, const uint32_t *slots,
                          size_t warm, uint64_t *index_live)
{
    uint64_t nslots = 2 * (uint64_t)nlive + 2;
    ordo_graph_t *g = s_graph(nlive + 64);
    ordo_index_t idx;
    ordo_index_init(&idx, 2, nslots * S_SLOT_ELEMS * 4);
    ordo_arg_t args[2];
    ordo_task_desc_t d;
    memset(&d, 0, sizeof d);
    d.args = args;
    uint64_t seq = 0;
    int rc;

    /* The live set: one access per task on even slots, in and inout. */
    d.nargs = 1;
    for (uint32_t j = 0; j < nlive; j++) {
        s_arg(&args[0], &idx, (j & 1) ? ORDO_INOUT : ORDO_IN,
              (int64_t)(2 * (uint64_t)j) * S_SLOT_ELEMS, S_SLOT_ELEMS);
        d.id = ORDO_TASK_ID(1, ++seq);
        if ((rc = ordo_graph_submit(g, &d, NULL, 0)) != 0)
            s_die("SCALE: submit of a live task", rc);
    }
    for (uint32_t j = 0; j < nlive; j++) {
        uint64_t id;
        void *user;
        if ((rc = ordo_graph_pop_ready(g, &id, &user)) != 0)
            s_die("SCALE: a live task is not ready", rc);
    }

    /* The stream: read one odd slot, write another; submit, pop, complete. */
    s_arg(&args[0], &idx, ORDO_IN, 0, S_SLOT_ELEMS);
    s_arg(&args[1], &idx, ORDO_INOUT, 0, S_SLOT_ELEMS);
    d.nargs = 2;
    double t0 = 0;
    for (size_t i = 0; i < warm + o->scale_tasks; i++) {
        if (i == warm)
            t0 = ordo_bench_now();
        uint64_t id;
        void *user;
        args[0].view.offset = (int64_t)slots[2 * i] * S_SLOT_ELEMS;
        args[1].view.offset = (int64_t)slots[2 * i + 1] * S_SLOT_ELEMS;
        d.id = ORDO_TASK_ID(1, ++seq);
        if ((rc = ordo_graph_submit(g, &d, NULL, 0)) != 0)
            s_die("SCALE: submit of a stream task", rc);
        if ((rc = ordo_graph_pop_ready(g, &id, &user)) != 0)
            s_die("SCALE: a stream task is not ready", rc);
        if ((rc = ordo_graph_complete(g, id)) != 0)
            s_die("SCALE: complete", rc);
    }
    double t1 = ordo_bench_now();

    ordo_graph_stats_t st;
    ordo_graph_stats(g, &st);
    if (st.edges != 0 || st.index_accesses != nlive) {
        fprintf(stderr, "ordo-engine-bench: SCALE live=%u: edges=%llu index_accesses=%llu "
                "(expected 0 and %u)\n", nlive, (unsigned long long)st.edges,
                (unsigned long long)st.index_accesses, nlive);
        exit(1);
    }
    *index_live = st.index_accesses;
    ordo_graph_destroy(&g);
    return (t1 - t0) * 1e9 / (double)o->scale_tasks;
}

/* SCALE (local == false) or SCALE_LOCAL (local == true) at every point.
 * Each rep runs every point in turn, so that a change of the machine's
 * load (a neighbour's use of the shared cache) hits all points alike, not
 * the reps of one. */
static void s_scale(const s_opts_t *o, s_result_t *r, bool local)
{
    size_t warm = o->scale_tasks / 10 + 1000;
    size_t n = warm + o->scale_tasks;
    uint32_t *slots[S_SCALE_POINTS] = {NULL};
    double t[S_SCALE_POINTS][S_MAX_REPS];
    for (int p = 0; p < S_SCALE_POINTS; p++) {
        uint32_t nlive = s_scale_live[p];
        if (o->scale_point && o->scale_point != nlive)
            continue;
        if ((slots[p] = malloc(2 * n * sizeof *slots[p])) == NULL)
            s_die("SCALE", ORDO_ENOMEM);
        uint32_t nodd = nlive + 1; /* odd slots 1, 3, ..., 2 * nlive + 1 */
        uint32_t base = 0;
        if (local) {
            base = nodd / 2 - S_LOCAL_SLOTS / 2;
            nodd = S_LOCAL_SLOTS;
        }
        uint64_t rs = o->seed ^ UINT64_C(0x5ca1e);
        for (size_t i = 0; i < n; i++) {
            uint32_t x = ordo_bench_below(&rs, nodd), y = ordo_bench_below(&rs, nodd - 1);
            y += y >= x; /* distinct */
            slots[p][2 * i] = 2 * (base + x) + 1;
            slots[p][2 * i + 1] = 2 * (base + y) + 1;
        }
    }
    for (int k = 0; k < o->reps; k++)
        for (int p = 0; p < S_SCALE_POINTS; p++)
            if (slots[p])
                t[p][k] = s_scale_run(o, s_scale_live[p], slots[p], warm, &r->scale_index[p]);
    for (int p = 0; p < S_SCALE_POINTS; p++) {
        if (slots[p])
            (local ? r->local_ns : r->scale_ns)[p] = ordo_bench_median(t[p], o->reps);
        free(slots[p]);
    }
}

static void s_w1(const s_opts_t *o, s_result_t *r)
{
    ordo_bench_w1_t *w = ordo_bench_w1_sequence(o->tasks, o->seed);
    if (w == NULL)
        s_die("W1 sequence", ORDO_ENOMEM);
    double t[S_MAX_REPS];

    /* Engine and OpenMP runs alternate, so that a change of the machine's
     * load during the measure weighs on both alike. */
    double te[S_MAX_REPS];
    int threads = 0;
    size_t done;
    s_w1_live_edges(o, w, r);
    if (o->do_w1_peers) {
        size_t warm = o->tasks < 10000 ? o->tasks : 10000;
        /* The first region starts the team. */
        r->have_omp = ordo_bench_omp_w1(w, warm, o->omp_budget, &threads, &done) >= 0;
        if (!r->have_omp)
            fprintf(stderr, "ordo-engine-bench: built without OpenMP; no OpenMP figure\n");
    }
    for (int k = 0; k < o->reps; k++) {
        te[k] = (double)o->tasks / s_engine_w1(o, w, &r->w1_stats);
        if (!r->have_omp)
            continue;
        double s = ordo_bench_omp_w1(w, o->tasks, o->omp_budget, &threads, &done);
        if (done < o->tasks) {
            r->omp_cut = true;
            fprintf(stderr, "ordo-engine-bench: OpenMP run %d stopped after %.0f s "
                    "with %zu of %zu tasks (libgomp melts down when a core is "
                    "busy; see README; OMP_WAIT_POLICY=passive helps)\n", k + 1, s, done, o->tasks);
        }
        t[k] = (double)done / s;
    }
    r->engine_tps = ordo_bench_median(te, o->reps);
    if (r->have_omp) {
        r->omp_tps = ordo_bench_median(t, o->reps);
        r->omp_threads = threads;
    }

    if (o->do_w1_peers) {
#ifdef ORDO_BENCH_STARPU
        size_t n = o->starpu_tasks < o->tasks ? o->starpu_tasks : o->tasks;
        if (ordo_bench_starpu_init(&r->starpu_workers) == 0) {
            r->have_starpu = true;
            ordo_bench_starpu_w1(w, n < 10000 ? n : 10000); /* warm up */
            for (int k = 0; k < o->reps && r->have_starpu; k++) {
                double s = ordo_bench_starpu_w1(w, n);
                r->have_starpu = s > 0;
                t[k] = (double)n / s;
            }
            if (r->have_starpu)
                r->starpu_tps = ordo_bench_median(t, o->reps);
            ordo_bench_starpu_shutdown();
        }
        if (!r->have_starpu)
            fprintf(stderr, "ordo-engine-bench: StarPU failed; no StarPU figure\n");
#endif
    }
    free(w);
}

/* One line per measured point, then the ratio when both ends were measured. */
static void s_print_scale(const char *name, const double *ns)
{
    for (int p = 0; p < S_SCALE_POINTS; p++)
        if (ns[p] > 0)
            printf("%s live=%u ns_per_task=%.1f\n", name, s_scale_live[p], ns[p]);
    if (ns[0] > 0 && ns[S_SCALE_POINTS - 1] > 0)
        printf("%s ratio_100000_vs_100=%.2f\n", name, ns[S_SCALE_POINTS - 1] / ns[0]);
}

static void s_print_text(const s_opts_t *o, const s_result_t *r)
{
    if (o->do_w1) {
        printf("W1 engine_tasks_per_s=%.0f", r->engine_tps);
        if (r->have_omp)
            printf(" openmp_tasks_per_s=%.0f ratio=%.2f", r->omp_tps,
                   r->engine_tps / r->omp_tps);
        if (r->have_starpu)
            printf(" starpu_tasks_per_s=%.0f ratio_starpu=%.2f", r->starpu_tps,
                   r->engine_tps / r->starpu_tps);
        printf("\n");
        const ordo_graph_stats_t *s = &r->w1_stats;
        printf("W1_EDGES total=%llu raw=%llu war=%llu waw=%llu retired=%llu "
               "overlap_tests=%llu conservative=%llu\n",
               (unsigned long long)s->edges, (unsigned long long)s->edges_raw,
               (unsigned long long)s->edges_war, (unsigned long long)s->edges_waw,
               (unsigned long long)s->retired, (unsigned long long)s->geom.overlap_tests,
               (unsigned long long)s->geom.conservative);
        printf("W1_LIVE tasks=%llu edges=%llu raw=%llu war=%llu waw=%llu\n",
               (unsigned long long)r->live_tasks, (unsigned long long)r->live_edges,
               (unsigned long long)r->live_raw, (unsigned long long)r->live_war,
               (unsigned long long)r->live_waw);
    }
    if (o->do_scale) {
        s_print_scale("SCALE", r->scale_ns);
        s_print_scale("SCALE_LOCAL", r->local_ns);
    }
}

/* ,"name":{"points":[...],"ratio_100000_vs_100":r}, measured points only. */
static void s_json_scale(const char *name, const double *ns, const uint64_t *index)
{
    const char *sep = "";
    printf(",\"%s\":{\"points\":[", name);
    for (int p = 0; p < S_SCALE_POINTS; p++)
        if (ns[p] > 0) {
            printf("%s{\"live\":%u,\"ns_per_task\":%.1f,\"index_accesses\":%llu}", sep,
                   s_scale_live[p], ns[p], (unsigned long long)index[p]);
            sep = ",";
        }
    printf("]");
    if (ns[0] > 0 && ns[S_SCALE_POINTS - 1] > 0)
        printf(",\"ratio_100000_vs_100\":%.4f", ns[S_SCALE_POINTS - 1] / ns[0]);
    printf("}");
}

static void s_print_json(const s_opts_t *o, const s_result_t *r)
{
    printf("{\"tasks\":%zu,\"reps\":%d,\"window\":%u,\"batch\":%u,\"seed\":%llu,"
           "\"load1\":%.2f",
           o->tasks, o->reps, o->window, o->batch, (unsigned long long)o->seed, r->load1);
    if (o->do_w1) {
        const ordo_graph_stats_t *s = &r->w1_stats;
        printf(",\"W1\":{\"engine_tasks_per_s\":%.0f", r->engine_tps);
        if (r->have_omp)
            printf(",\"openmp_tasks_per_s\":%.0f,\"ratio\":%.4f,\"openmp_threads\":%d,"
                   "\"openmp_cut\":%s",
                   r->omp_tps, r->engine_tps / r->omp_tps, r->omp_threads,
                   r->omp_cut ? "true" : "false");
        if (r->have_starpu)
            printf(",\"starpu_tasks_per_s\":%.0f,\"ratio_starpu\":%.4f,"
                   "\"starpu_tasks\":%zu,\"starpu_workers\":%d",
                   r->starpu_tps, r->engine_tps / r->starpu_tps,
                   o->starpu_tasks < o->tasks ? o->starpu_tasks : o->tasks,
                   r->starpu_workers);
        printf(",\"edges\":{\"total\":%llu,\"raw\":%llu,\"war\":%llu,\"waw\":%llu}"
               ",\"retired\":%llu,\"overlap_tests\":%llu,\"conservative\":%llu",
               (unsigned long long)s->edges, (unsigned long long)s->edges_raw,
               (unsigned long long)s->edges_war, (unsigned long long)s->edges_waw,
               (unsigned long long)s->retired, (unsigned long long)s->geom.overlap_tests,
               (unsigned long long)s->geom.conservative);
        printf(",\"live\":{\"tasks\":%llu,\"edges\":%llu,\"raw\":%llu,\"war\":%llu,"
               "\"waw\":%llu}}",
               (unsigned long long)r->live_tasks, (unsigned long long)r->live_edges,
               (unsigned long long)r->live_raw, (unsigned long long)r->live_war,
               (unsigned long long)r->live_waw);
    }
    if (o->do_scale) {
        printf(",\"scale_tasks\":%zu", o->scale_tasks);
        s_json_scale("SCALE", r->scale_ns, r->scale_index);
        s_json_scale("SCALE_LOCAL", r->local_ns, r->scale_index);
    }
    printf("}\n");
}

static void s_usage(FILE *f)
{
    fprintf(f,
            "usage: ordo-engine-bench [options]\n"
            "  --tasks N         W1 tasks per run, engine and OpenMP (default 2000000)\n"
            "  --starpu-tasks N  W1 tasks per StarPU run (default 300000; StarPU builds)\n"
            "  --scale-tasks N   timed stream tasks per SCALE run (default 200000)\n"
            "  --reps N          runs per measure; medians are printed (default 5)\n"
            "  --window N        engine window for W1 (default 128: libgomp's own\n"
            "                    bound, 64 pending tasks per thread, on 2 threads)\n"
            "  --batch N         ready tasks run when the window is full (default 256)\n"
            "  --seed N          seed of the random sequences (default 1)\n"
            "  --omp-budget S    seconds an OpenMP run may create tasks (default 10)\n"
            "  --scale-point N   run only the SCALE point live=N (100, 10000 or 100000)\n"
            "  --only WHAT       w1, engine (W1 engine only, no peers), scale,\n"
            "                    scale-random (SCALE only) or scale-local (SCALE_LOCAL\n"
            "                    only)\n"
            "  --json            print one JSON object instead of lines\n");
}

int main(int argc, char **argv)
{
    s_opts_t o = {2000000, 300000, 200000, 10.0, 0, 5, 128, 256, 1,
                  false, true, true, true, true, true};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--tasks") == 0)
            o.tasks = ordo_bench_number(s_prog, a, v, 1, UINT64_C(1) << 40), i++;
        else if (strcmp(a, "--starpu-tasks") == 0)
            o.starpu_tasks = ordo_bench_number(s_prog, a, v, 1, UINT64_C(1) << 40), i++;
        else if (strcmp(a, "--scale-tasks") == 0)
            o.scale_tasks = ordo_bench_number(s_prog, a, v, 1, UINT64_C(1) << 32), i++;
        else if (strcmp(a, "--reps") == 0)
            o.reps = (int)ordo_bench_number(s_prog, a, v, 1, S_MAX_REPS), i++;
        else if (strcmp(a, "--window") == 0)
            o.window = (uint32_t)ordo_bench_number(s_prog, a, v, 1, UINT32_C(1) << 30), i++;
        else if (strcmp(a, "--batch") == 0)
            o.batch = (uint32_t)ordo_bench_number(s_prog, a, v, 1, UINT32_MAX), i++;
        else if (strcmp(a, "--seed") == 0)
            o.seed = ordo_bench_number(s_prog, a, v, 0, UINT64_MAX), i++;
        else if (strcmp(a, "--omp-budget") == 0)
            o.omp_budget = (double)ordo_bench_number(s_prog, a, v, 1, 86400), i++;
        else if (strcmp(a, "--scale-point") == 0)
            o.scale_point = (uint32_t)ordo_bench_number(s_prog, a, v, 100, 100000), i++;
        else if (strcmp(a, "--json") == 0)
            o.json = true;
        else if (strcmp(a, "--only") == 0 && v && strcmp(v, "w1") == 0)
            o.do_scale = false, i++;
        else if (strcmp(a, "--only") == 0 && v && strcmp(v, "engine") == 0)
            o.do_scale = false, o.do_w1_peers = false, i++;
        else if (strcmp(a, "--only") == 0 && v && strcmp(v, "scale") == 0)
            o.do_w1 = false, i++;
        else if (strcmp(a, "--only") == 0 && v && strcmp(v, "scale-local") == 0)
            o.do_w1 = false, o.do_scale_random = false, i++;
        else if (strcmp(a, "--only") == 0 && v && strcmp(v, "scale-random") == 0)
            o.do_w1 = false, o.do_scale_local = false, i++;
        else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            s_usage(stdout);
            return 0;
        } else {
            s_usage(stderr);
            return 2;
        }
    }

    s_result_t r;
    memset(&r, 0, sizeof r);
    FILE *la = fopen("/proc/loadavg", "r");
    if (la) {
        if (fscanf(la, "%lf", &r.load1) != 1)
            r.load1 = 0;
        fclose(la);
    }
    const char *policy = getenv("OMP_WAIT_POLICY");
    if (!o.json)
        printf("# ordo-engine-bench tasks=%zu reps=%d window=%u batch=%u seed=%llu "
               "load1=%.2f omp_wait_policy=%s\n", o.tasks, o.reps, o.window, o.batch,
               (unsigned long long)o.seed, r.load1, policy ? policy : "default");
    fflush(stdout);
    if (o.do_w1)
        s_w1(&o, &r);
    if (o.do_scale) {
        if (o.do_scale_random)
            s_scale(&o, &r, false);
        if (o.do_scale_local)
            s_scale(&o, &r, true);
    }
    if (o.json)
        s_print_json(&o, &r);
    else
        s_print_text(&o, &r);
    return 0;
}
