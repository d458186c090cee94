/*
 * check_e2e_random.c - random programs against a chaotic daemon.
 *
 * Each program is a few f32 buffers with random initial contents and a few
 * dozen copy, axpy, scale and fill tasks on random strided views of them:
 * transposed, stepped, reversed (negative strides), broadcast inputs
 * (zero strides), scalars (no dimension), all overlapping each other in
 * every way.  No task has
 * an explicit dependency: every ordering must come from the bytes.  The
 * daemon runs them under --chaos (shuffled ready queue, random delays)
 * with three workers; the test runs the same program sequentially on the
 * host (contrib/examples/hostref.h, the same float expressions) and the
 * buffers read back must be bit-identical.  A missing edge shows up as a
 * mismatch, reported with the program's seed so that it can be replayed.
 *
 * A task's own arguments may overlap too: daemon/KERNELS.md defines such a
 * task as the sequential loop over its positions, which hostref.h runs.
 *
 * The last test shows that the check can fail: the same programs with one
 * pair of conflicting tasks submitted in swapped order (exactly what one
 * missing edge does to a run) are caught as mismatches.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "e2e.h"
#include "hostref.h"
#include "ordo.h"

#define NBUF 3
#define MAXOPS 48
#define INFLIGHT 8              /* programs submitted before waiting */
#define PROGRAMS_PER_TEST 50    /* 4 tests: 200 programs per make check */

static e2e_daemon_t D;

static void s_teardown(void)
{
    e2e_stop(&D);
}

typedef struct {
    char kind;                  /* f(ill) c(opy) a(xpy) s(cale) */
    int dbuf, sbuf;             /* buffer indexes */
    ordo_tensor_t dst, src;     /* .buffer is the index until submitted */
    double v;
} s_op_t;

typedef struct {
    uint64_t seed;
    int64_t size[NBUF];         /* elements */
    float *init[NBUF];
    int nops;
    s_op_t ops[MAXOPS];
    /* Filled when run. */
    uint64_t buf[NBUF];
    float *out[NBUF];
    uint64_t ids[NBUF * 2 + MAXOPS];
    int nids;
} s_prog_t;

static void s_mark(const ordo_tensor_t *t, uint8_t *map, int64_t *scratch)
{
    href_offsets(t, scratch);
    for (uint64_t k = 0; k < ordo_tensor_elements(t); k++)
        map[scratch[k]] = 1;
}

static bool s_overlap(const ordo_tensor_t *a, const ordo_tensor_t *b, int64_t nelem,
                      int64_t *scratch)
{
    uint8_t *ma = calloc((size_t)nelem, 1), *mb = calloc((size_t)nelem, 1);
    s_mark(a, ma, scratch);
    s_mark(b, mb, scratch);
    bool any = false;
    for (int64_t i = 0; i < nelem && !any; i++)
        any = ma[i] && mb[i];
    free(ma);
    free(mb);
    return any;
}

static void s_generate(s_prog_t *p, uint64_t seed)
{
    memset(p, 0, sizeof *p);
    p->seed = seed;
    uint64_t rng = seed * UINT64_C(0x9E3779B97F4A7C15) + 1;
    int64_t scratch[256];
    for (int b = 0; b < NBUF; b++) {
        p->size[b] = 48 + e2e_below(&rng, 160);
        p->init[b] = malloc((size_t)p->size[b] * sizeof(float));
        for (int64_t i = 0; i < p->size[b]; i++)
            p->init[b][i] = (float)(e2e_below(&rng, 64) - 32) * 0.125f;
    }
    static const double alphas[] = {0.5, -0.75, 1.5, -1.0, 0.25, 2.0, 0.1};
    int want = 16 + e2e_below(&rng, MAXOPS - 16);
    for (int tries = 0; p->nops < want && tries < 20 * MAXOPS; tries++) {
        s_op_t *op = &p->ops[p->nops];
        int r = e2e_below(&rng, 20);
        op->kind = r < 3 ? 'f' : r < 9 ? 'c' : r < 16 ? 'a' : 's';
        int ndim = e2e_below(&rng, 10) == 0 ? 0 : 1 + e2e_below(&rng, 3);  /* 0: a scalar */
        int64_t shape[3];
        for (int k = 0; k < ndim; k++)
            shape[k] = 1 + e2e_below(&rng, ndim == 1 ? 40 : ndim == 2 ? 8 : 5);
        op->dbuf = e2e_below(&rng, NBUF);
        if (!e2e_random_view(&rng, p->size[op->dbuf], ndim, shape, false, &op->dst))
            continue;
        if (op->kind == 'f' || op->kind == 's') {
            op->v = op->kind == 'f' ? (double)(e2e_below(&rng, 33) - 16) * 0.25
                                    : alphas[e2e_below(&rng, 7)];
            p->nops++;
            continue;
        }
        op->sbuf = e2e_below(&rng, NBUF);
        if (!e2e_random_view(&rng, p->size[op->sbuf], ndim, shape, true, &op->src))
            continue;
        /* Most tasks keep their source apart from their destination; a
         * few overlap them on purpose (defined by the element order). */
        if (op->sbuf == op->dbuf && e2e_below(&rng, 8) != 0 &&
            s_overlap(&op->dst, &op->src, p->size[op->dbuf], scratch))
            continue;
        op->v = alphas[e2e_below(&rng, 7)];
        p->nops++;
    }
}

/* The program on the host, in order: the reference. */
static void s_reference(const s_prog_t *p, float *ref[NBUF])
{
    int64_t scratch[256];
    for (int b = 0; b < NBUF; b++)
        memcpy(ref[b], p->init[b], (size_t)p->size[b] * sizeof(float));
    for (int i = 0; i < p->nops; i++) {
        const s_op_t *op = &p->ops[i];
        float *d = ref[op->dbuf], *s = ref[op->sbuf];
        switch (op->kind) {
        case 'f':
            href_fill(d, &op->dst, op->v);
            break;
        case 's':
            href_scale(d, &op->dst, op->v);
            break;
        case 'c':
            href_copy(d, &op->dst, s, &op->src, scratch);
            break;
        default:
            href_axpy(d, &op->dst, op->v, s, &op->src, scratch);
            break;
        }
    }
}

/* Submits the program, its tasks in the order order[] (NULL: in order). */
static void s_submit(ordo_client_t *c, s_prog_t *p, const int *order)
{
    for (int b = 0; b < NBUF; b++) {
        ck_assert_msg(ordo_buffer_create(c, (uint64_t)p->size[b] * sizeof(float), NULL,
                                         &p->buf[b]) == 0, "%s", ordo_last_error());
        ordo_tensor_t all;
        ordo_tensor_init(&all, p->buf[b], ORDO_F32, 0, 1, &p->size[b], NULL);
        ck_assert_int_eq(ordo_write(c, &all, p->init[b], (size_t)p->size[b] * sizeof(float),
                                    &p->ids[p->nids++]), 0);
    }
    for (int i = 0; i < p->nops; i++) {
        s_op_t op = p->ops[order ? order[i] : i];
        op.dst.buffer = p->buf[op.dbuf];
        op.src.buffer = p->buf[op.sbuf];
        uint64_t *id = &p->ids[p->nids++];
        int rc;
        switch (op.kind) {
        case 'f':
            rc = ordo_fill(c, &op.dst, op.v, id);
            break;
        case 's':
            rc = ordo_scale(c, &op.dst, op.v, id);
            break;
        case 'c':
            rc = ordo_copy(c, &op.dst, &op.src, id);
            break;
        default:
            rc = ordo_axpy(c, &op.dst, op.v, &op.src, id);
            break;
        }
        ck_assert_msg(rc == 0, "submit: %s", ordo_last_error());
    }
    for (int b = 0; b < NBUF; b++) {
        p->out[b] = malloc((size_t)p->size[b] * sizeof(float));
        ordo_tensor_t all;
        ordo_tensor_init(&all, p->buf[b], ORDO_F32, 0, 1, &p->size[b], NULL);
        ck_assert_int_eq(ordo_read(c, &all, p->out[b], (size_t)p->size[b] * sizeof(float),
                                   &p->ids[p->nids++]), 0);
    }
}

static void s_describe(const s_prog_t *p)
{
    fprintf(stderr, "program seed %llu: buffers", (unsigned long long)p->seed);
    for (int b = 0; b < NBUF; b++)
        fprintf(stderr, " %lld", (long long)p->size[b]);
    fprintf(stderr, " elements\n");
    for (int i = 0; i < p->nops; i++) {
        const s_op_t *op = &p->ops[i];
        const ordo_tensor_t *vs[2] = {&op->dst, &op->src};
        fprintf(stderr, "  %2d %c v=%g", i, op->kind, op->v);
        for (int j = 0; j < (op->kind == 'c' || op->kind == 'a' ? 2 : 1); j++) {
            const ordo_tensor_t *t = vs[j];
            fprintf(stderr, "  b%d off %lld shape", j ? op->sbuf : op->dbuf,
                    (long long)t->offset);
            for (int k = 0; k < t->ndim; k++)
                fprintf(stderr, "%s%lld", k ? "x" : " ", (long long)t->shape[k]);
            fprintf(stderr, " strides");
            for (int k = 0; k < t->ndim; k++)
                fprintf(stderr, " %lld", (long long)t->strides[k]);
        }
        fprintf(stderr, "\n");
    }
}

/* Checks one finished program; frees it.  Returns the mismatching values
 * (described on stderr unless quiet). */
static int s_check(ordo_client_t *c, s_prog_t *p, bool quiet)
{
    float *ref[NBUF];
    for (int b = 0; b < NBUF; b++)
        ref[b] = malloc((size_t)p->size[b] * sizeof(float));
    s_reference(p, ref);
    int bad = 0;
    for (int b = 0; b < NBUF; b++) {
        for (int64_t i = 0; i < p->size[b]; i++) {
            if (memcmp(&ref[b][i], &p->out[b][i], sizeof(float)) != 0) {
                if (bad < 5 && !quiet)
                    fprintf(stderr, "mismatch: program %llu buffer %d element %lld: "
                            "ordod %a, sequential %a\n", (unsigned long long)p->seed, b,
                            (long long)i, (double)p->out[b][i], (double)ref[b][i]);
                bad++;
            }
        }
        free(ref[b]);
        ck_assert_int_eq(ordo_buffer_release(c, p->buf[b]), 0);
        free(p->out[b]);
        free(p->init[b]);
    }
    if (bad && !quiet)
        s_describe(p);
    return bad;
}

/* Two tasks of a program conflict when they touch a common element and
 * at least one writes it (each kind writes its destination). */
static bool s_conflict(const s_prog_t *p, const s_op_t *a, const s_op_t *b)
{
    int64_t scratch[256];
    bool a_reads = a->kind == 'c' || a->kind == 'a', b_reads = b->kind == 'c' || b->kind == 'a';
    /* Two in-place updates (axpy, scale) of the same bytes commute on the
     * test's values, which are small dyadic fractions computed exactly: a
     * swap of such a pair changes no bit, so it is not a useful probe. */
    bool updates = (a->kind == 'a' || a->kind == 's') && (b->kind == 'a' || b->kind == 's');
    if (!updates && a->dbuf == b->dbuf &&
        s_overlap(&a->dst, &b->dst, p->size[a->dbuf], scratch))
        return true;
    if (b_reads && b->sbuf == a->dbuf && s_overlap(&a->dst, &b->src, p->size[a->dbuf], scratch))
        return true;
    return a_reads && a->sbuf == b->dbuf &&
           s_overlap(&a->src, &b->dst, p->size[b->dbuf], scratch);
}

/* Runs n programs from seed base, INFLIGHT at a time; with swap, each
 * program's first adjacent conflicting pair of tasks is submitted in
 * swapped order.  Returns the number of programs whose buffers differ
 * from the sequential reference; *tasks counts the tasks submitted. */
static int s_run_programs(const e2e_daemon_t *d, uint64_t base, int n, bool swap,
                          bool quiet, uint64_t *tasks)
{
    ordo_client_t *c = e2e_connect(d);
    static s_prog_t progs[INFLIGHT];
    int bad_programs = 0;
    for (int first = 0; first < n; first += INFLIGHT) {
        int k = n - first < INFLIGHT ? n - first : INFLIGHT;
        int inflight = 0;
        for (int i = 0; i < k; i++) {
            s_prog_t *p = &progs[i];
            s_generate(p, base + (uint64_t)first + (uint64_t)i);
            int order[MAXOPS];
            for (int j = 0; j < p->nops; j++)
                order[j] = j;
            /* The last conflicting pair: an earlier one is more often
             * overwritten by later tasks, which hides the swap. */
            for (int j = p->nops - 2; swap && j >= 0; j--) {
                if (s_conflict(p, &p->ops[j], &p->ops[j + 1])) {
                    order[j] = j + 1;
                    order[j + 1] = j;
                    break;
                }
            }
            s_submit(c, p, order);
            inflight += p->nids;
        }
        ck_assert_msg(ordo_wait_idle(c, 60000) == 0, "%s", ordo_last_error());
        /* Exactly one event per task, all done. */
        int events = 0;
        ordo_event_t ev[64];
        int m;
        while ((m = ordo_poll(c, ev, 64, 0)) > 0) {
            for (int j = 0; j < m; j++)
                ck_assert_msg(ev[j].state == ORDO_TASK_DONE, "task %#llx: state %d: %s",
                              (unsigned long long)ev[j].id, ev[j].state, ev[j].error);
            events += m;
        }
        ck_assert_int_eq(m, 0);
        ck_assert_int_eq(events, inflight);
        *tasks += (uint64_t)inflight;
        for (int i = 0; i < k; i++)
            bad_programs += s_check(c, &progs[i], quiet) != 0;
    }
    ordo_client_destroy(&c);
    return bad_programs;
}

/* The daemon's counters agree with what the test did. */
static void s_check_counters(const e2e_daemon_t *d, uint64_t tasks)
{
    char *json = e2e_status(d, true);
    double accepted = -1, done = -1, conservative = -1;
    ck_assert(e2e_json_number(json, "tasks.tasks_accepted", &accepted));
    ck_assert(e2e_json_number(json, "tasks.tasks_done", &done));
    ck_assert(e2e_json_number(json, "analysis.conservative_answers", &conservative));
    ck_assert_msg(accepted == (double)tasks && done == (double)tasks,
                  "daemon counted %g accepted, %g done; the test submitted %llu", accepted,
                  done, (unsigned long long)tasks);
    free(json);
}

START_TEST(test_random_programs_under_chaos)
{
    char chaos[32];
    snprintf(chaos, sizeof chaos, "--chaos=%d", 1000 + _i);
    const char *args[] = {"--workers=3", chaos, "--log-level=warn", NULL};
    e2e_start(&D, args);
    /* $ORDO_E2E_PROGRAMS runs more per test (a soak); $ORDO_E2E_SEED moves
     * the seeds, so that a soak can cover new programs. */
    const char *np = getenv("ORDO_E2E_PROGRAMS"), *sd = getenv("ORDO_E2E_SEED");
    int n = np && atoi(np) > 0 ? atoi(np) : PROGRAMS_PER_TEST;
    uint64_t base = (sd ? strtoull(sd, NULL, 0) : 0) + 1 + (uint64_t)_i * (uint64_t)n;
    uint64_t tasks = 0;
    int bad = s_run_programs(&D, base, n, false, false, &tasks);
    ck_assert_msg(bad == 0, "%d of %d programs (seeds %llu..) differ from the sequential run",
                  bad, n, (unsigned long long)base);
    s_check_counters(&D, tasks);
}
END_TEST

/* The check can fail: one swapped pair of conflicting tasks, the effect
 * of one missing edge, is caught in (almost) every program.  A swap can
 * be invisible when the two tasks commute on the values at hand (say two
 * fills of the same value), hence the margin. */
START_TEST(test_check_catches_one_misordered_pair)
{
    const char *args[] = {"--workers=3", "--chaos=7", "--log-level=warn", NULL};
    e2e_start(&D, args);
    uint64_t tasks = 0;
    int caught = s_run_programs(&D, 5001, 40, true, true, &tasks);
    fprintf(stderr, "check_e2e_random: %d of 40 programs with one swapped pair caught\n", caught);
    ck_assert_msg(caught >= 36, "only %d of 40 programs with a swapped pair were caught",
                  caught);
}
END_TEST

#ifdef ORDO_UNSAFE_DROP_WAR
/* The guard switched off (a build with --enable-unsafe-drop-war): the
 * daemon drops its write-after-read edges, and the same kind of programs,
 * under chaos, come out wrong. */
START_TEST(test_unsafe_drop_war_is_caught)
{
    const char *args[] = {"--workers=3", "--chaos=11", "--unsafe-drop-war=1",
                          "--log-level=error", NULL};
    e2e_start(&D, args);
    uint64_t tasks = 0;
    int bad = s_run_programs(&D, 9001, 100, false, true, &tasks);
    fprintf(stderr, "check_e2e_random: without WAR edges, %d of 100 programs differ\n", bad);
    ck_assert_msg(bad > 0, "no program went wrong without WAR edges: the test cannot fail");
}
END_TEST
#endif

/*
 * The bug class of DESIGN.md, end to end: each decode step gathers rows of
 * a KV cache through a [S*W, D] view (gather_rows), then writes two new
 * rows per sequence into the same cache, in place, through a slice of its
 * [S, W, D] reshape.  Nothing but the bytes says that the write must wait
 * for the gather (a write-after-read through another view).  Every step is
 * submitted without waiting, under chaos; every gathered block must equal
 * the one computed sequentially.  (Run against a daemon without WAR edges,
 * ORDO_E2E_WRAPPER adding --unsafe-drop-war=1 in an unsafe build: 59 of
 * the 60 steps come out wrong.)
 */
#define KV_S 4
#define KV_W 8
#define KV_D 16
#define KV_M 12
#define KV_STEPS 60

START_TEST(test_kv_cache_write_after_gather)
{
    const char *args[] = {"--workers=3", "--chaos=4242", "--log-level=warn", NULL};
    e2e_start(&D, args);
    ordo_client_t *c = e2e_connect(&D);
    uint64_t bcache, bidx, bnew, bout;
    ck_assert_int_eq(ordo_buffer_create(c, KV_S * KV_W * KV_D * 4, NULL, &bcache), 0);
    ck_assert_int_eq(ordo_buffer_create(c, KV_STEPS * KV_M * 4, NULL, &bidx), 0);
    ck_assert_int_eq(ordo_buffer_create(c, KV_STEPS * KV_S * 2 * KV_D * 4, NULL, &bnew), 0);
    ck_assert_int_eq(ordo_buffer_create(c, KV_STEPS * KV_M * KV_D * 4, NULL, &bout), 0);

    static float cache[KV_S * KV_W * KV_D], news[KV_STEPS][KV_S * 2 * KV_D];
    static float want[KV_STEPS][KV_M * KV_D], got[KV_STEPS][KV_M * KV_D];
    static int32_t idx[KV_STEPS][KV_M];
    uint64_t rng = 99;
    for (int i = 0; i < KV_S * KV_W * KV_D; i++)
        cache[i] = (float)i;
    ordo_tensor_t flat, rows, seqs;
    ordo_tensor_init(&flat, bcache, ORDO_F32, 0, 1, (int64_t[]){KV_S * KV_W * KV_D}, NULL);
    ordo_tensor_reshape(&rows, &flat, 2, (int64_t[]){KV_S * KV_W, KV_D});
    ordo_tensor_reshape(&seqs, &flat, 3, (int64_t[]){KV_S, KV_W, KV_D});
    uint64_t id, reads[KV_STEPS];
    ck_assert_int_eq(ordo_write(c, &flat, cache, sizeof cache, &id), 0);

    for (int t = 0; t < KV_STEPS; t++) {
        for (int i = 0; i < KV_M; i++)
            idx[t][i] = (int32_t)e2e_below(&rng, KV_S * KV_W);
        for (int i = 0; i < KV_S * 2 * KV_D; i++)
            news[t][i] = (float)(10000 * (t + 1) + i);
        ordo_tensor_t vidx, vnew, vout, slot;
        ordo_tensor_init(&vidx, bidx, ORDO_I32, t * KV_M, 1, (int64_t[]){KV_M}, NULL);
        ordo_tensor_init(&vnew, bnew, ORDO_F32, (int64_t)t * KV_S * 2 * KV_D, 3,
                         (int64_t[]){KV_S, 2, KV_D}, NULL);
        ordo_tensor_init(&vout, bout, ORDO_F32, (int64_t)t * KV_M * KV_D, 2,
                         (int64_t[]){KV_M, KV_D}, NULL);
        int w0 = (2 * t) % KV_W;
        ck_assert_int_eq(ordo_tensor_slice(&slot, &seqs, 1, w0, w0 + 2, 1), 0);
        ck_assert_int_eq(ordo_write(c, &vidx, idx[t], sizeof idx[t], &id), 0);
        ck_assert_int_eq(ordo_write(c, &vnew, news[t], sizeof news[t], &id), 0);
        /* gather: out = cache[idx] through the [S*W, D] view */
        ordo_access_t ga[3] = {{&vout, ORDO_OUT}, {&rows, ORDO_IN}, {&vidx, ORDO_IN}};
        ordo_submit_t g = {.kernel = "gather_rows", .args = ga, .nargs = 3};
        ck_assert_msg(ordo_submit(c, &g, &id) == 0, "%s", ordo_last_error());
        /* write-back: cache[:, w0:w0+2, :] = new, in place */
        ck_assert_int_eq(ordo_copy(c, &slot, &vnew, &id), 0);
        ck_assert_int_eq(ordo_read(c, &vout, got[t], sizeof got[t], &reads[t]), 0);
        /* the sequential reference */
        for (int i = 0; i < KV_M; i++)
            memcpy(&want[t][i * KV_D], &cache[idx[t][i] * KV_D], KV_D * sizeof(float));
        for (int sq = 0; sq < KV_S; sq++)
            memcpy(&cache[(sq * KV_W + w0) * KV_D], &news[t][sq * 2 * KV_D],
                   2 * KV_D * sizeof(float));
    }
    int bad = 0;
    for (int t = 0; t < KV_STEPS; t++) {
        ck_assert_msg(ordo_wait(c, reads[t], 30000, NULL) == 0, "%s", ordo_last_error());
        if (memcmp(want[t], got[t], sizeof want[t]) != 0) {
            if (bad++ < 3)
                fprintf(stderr, "kv step %d: gathered rows differ from the sequential run\n", t);
        }
    }
    ck_assert_msg(bad == 0, "%d of %d decode steps gathered a cache already overwritten",
                  bad, KV_STEPS);
    char *json = e2e_status(&D, true);
    double war = 0;
    ck_assert(e2e_json_number(json, "edges.edges_war", &war));
    ck_assert_msg(war >= KV_STEPS, "only %g WAR edges for %d write-backs", war, KV_STEPS);
    free(json);
    ordo_client_destroy(&c);
}
END_TEST

/* The reference and the generator agree with themselves: a program run
 * twice on the host gives the same bits (no uninitialised or racy input),
 * and the generated views stay inside their buffers. */
START_TEST(test_generator_sane)
{
    for (uint64_t seed = 1; seed <= 200; seed++) {
        s_prog_t p;
        s_generate(&p, seed);
        ck_assert_int_ge(p.nops, 16);
        for (int i = 0; i < p.nops; i++) {
            const s_op_t *op = &p.ops[i];
            int64_t scratch[256];
            href_offsets(&op->dst, scratch);
            for (uint64_t k = 0; k < ordo_tensor_elements(&op->dst); k++)
                ck_assert(scratch[k] >= 0 && scratch[k] < p.size[op->dbuf]);
        }
        float *a[NBUF], *b[NBUF];
        for (int j = 0; j < NBUF; j++) {
            a[j] = malloc((size_t)p.size[j] * sizeof(float));
            b[j] = malloc((size_t)p.size[j] * sizeof(float));
        }
        s_reference(&p, a);
        s_reference(&p, b);
        for (int j = 0; j < NBUF; j++) {
            ck_assert(memcmp(a[j], b[j], (size_t)p.size[j] * sizeof(float)) == 0);
            free(a[j]);
            free(b[j]);
            free(p.init[j]);
        }
    }
}
END_TEST

static Suite *s_suite(void)
{
    Suite *s = suite_create("e2e_random");
    TCase *gen = tcase_create("generator");
    tcase_add_test(gen, test_generator_sane);
    suite_add_tcase(s, gen);
    TCase *tc = tcase_create("chaos");
    tcase_add_unchecked_fixture(tc, e2e_tmp_setup, e2e_tmp_teardown);
    tcase_add_checked_fixture(tc, NULL, s_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_random_programs_under_chaos, 0, 4);
    tcase_add_test(tc, test_check_catches_one_misordered_pair);
    tcase_add_test(tc, test_kv_cache_write_after_gather);
#ifdef ORDO_UNSAFE_DROP_WAR
    tcase_add_test(tc, test_unsafe_drop_war_is_caught);
#endif
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(s_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
