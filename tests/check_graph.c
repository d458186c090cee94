/*
 * check_graph.c - the task graph: the named hazard sequences of the bug
 * class ordo exists to end, explicit dependencies, failure and
 * cancellation, retirement, the window and the counters.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "testutil.h"

/* ------------------------------------------------------------- fixture */

static ordo_graph_t *g;
static ordo_index_t buf, buf2;
static uint64_t seq;
static char err[256];

static void setup(void)
{
    ordo_graph_config_t cfg = {.window = 1 << 16};
    g = ordo_graph_new(&cfg);
    ck_assert_ptr_nonnull(g);
    ordo_index_init(&buf, 1, 1 << 20);
    ordo_index_init(&buf2, 2, 1 << 20);
    seq = 0;
}

static void teardown(void)
{
    ordo_graph_destroy(&g);
    ck_assert_ptr_null(g);
}

static ordo_arg_t A(ordo_index_t *ix, ordo_view_t v, int mode)
{
    return (ordo_arg_t){.index = ix, .view = v, .mode = mode};
}

/* Submits the next task of session 1; returns its id, aborting on error. */
static uint64_t s_sub(uint32_t nargs, const ordo_arg_t *args, uint32_t ndeps, const uint64_t *deps)
{
    uint64_t id = ORDO_TASK_ID(1, ++seq);
    ordo_task_desc_t d = {.id = id, .args = args, .nargs = nargs, .deps = deps, .ndeps = ndeps};
    int rc = ordo_graph_submit(g, &d, err, sizeof err);
    ck_assert_msg(rc == 0, "submit %llu: %s (%s)", (unsigned long long)seq, ordo_strerror(rc), err);
    return id;
}

static uint64_t s_one(ordo_index_t *ix, ordo_view_t v, int mode)
{
    ordo_arg_t a = A(ix, v, mode);
    return s_sub(1, &a, 0, NULL);
}

/* Pops the ready task expected next. */
static void s_pop(uint64_t want)
{
    uint64_t id;
    ck_assert_int_eq(ordo_graph_pop_ready(g, &id, NULL), 0);
    ck_assert_uint_eq(id, want);
}

static void s_run(uint64_t id)
{
    s_pop(id);
    ck_assert_int_eq(ordo_graph_complete(g, id), 0);
}

static bool s_ready_has(uint64_t want)
{
    return ordo_graph_state(g, want) == ORDO_TASK_READY;
}

/* -------------------------------------------------------- the KV cache */

enum { NB = 8, BS = 16, D = 64 };

/* G gathers rows of the cache through reshape A = [NB*BS, D]; W writes two
 * new rows in place through a slice of reshape B = [NB, BS, D].  Two view
 * objects, one set of bytes: W must wait for G (WAR). */
START_TEST(test_kv_cache_war_across_reshapes)
{
    ordo_view_t cache = tu_base(ORDO_F32, 1, I64(NB * BS * D));
    ordo_view_t a = tu_reshape(cache, 2, I64(NB * BS), I64(D));
    ordo_view_t b = tu_reshape(cache, 3, I64(NB), I64(BS), I64(D));
    ordo_view_t rows = tu_slice(tu_index(b, 0, 5), 0, 3, 5, 1); /* B[5, 3:5, :] */
    ordo_view_t out = tu_base(ORDO_F32, 2, I64(NB * BS), I64(D));
    ordo_arg_t gargs[] = {A(&buf2, out, ORDO_OUT), A(&buf, a, ORDO_IN)};
    uint64_t gid = s_sub(2, gargs, 0, NULL);
    uint64_t wid = s_one(&buf, rows, ORDO_INOUT);
    ck_assert_uint_eq(ordo_graph_edge(g, gid, wid), ORDO_EDGE_WAR);
    ck_assert(s_ready_has(gid));
    ck_assert_int_eq(ordo_graph_state(g, wid), ORDO_TASK_WAITING);
    s_run(gid);
    ck_assert(s_ready_has(wid));
    s_run(wid);
}
END_TEST

/* Control: the same with identical view objects gets the same edge. */
START_TEST(test_kv_cache_war_identical_views)
{
    ordo_view_t a = tu_reshape(tu_base(ORDO_F32, 1, I64(NB * BS * D)), 2, I64(NB * BS), I64(D));
    uint64_t gid = s_one(&buf, a, ORDO_IN);
    uint64_t wid = s_one(&buf, a, ORDO_INOUT);
    ck_assert_uint_eq(ordo_graph_edge(g, gid, wid), ORDO_EDGE_WAR);
}
END_TEST

/* The gather reads only some blocks: a write of a block nobody reads must
 * not wait, the write of a gathered block must. */
START_TEST(test_kv_cache_write_elsewhere_runs_at_once)
{
    ordo_view_t cache = tu_base(ORDO_F32, 3, I64(NB), I64(BS), I64(D));
    ordo_view_t gathered = tu_slice(cache, 0, 0, 4, 1); /* blocks 0..3 */
    uint64_t gid = s_one(&buf, tu_reshape(gathered, 2, I64(4 * BS), I64(D)), ORDO_IN);
    ordo_view_t rows6 = tu_slice(tu_index(cache, 0, 6), 0, 0, 2, 1);
    ordo_view_t rows2 = tu_slice(tu_index(cache, 0, 2), 0, 14, 16, 1);
    uint64_t w6 = s_one(&buf, rows6, ORDO_OUT);
    uint64_t w2 = s_one(&buf, rows2, ORDO_OUT);
    ck_assert_uint_eq(ordo_graph_edge(g, gid, w6), 0);
    ck_assert(s_ready_has(w6));
    ck_assert_uint_eq(ordo_graph_edge(g, gid, w2), ORDO_EDGE_WAR);
}
END_TEST

/* ------------------------------------------------------------ RAW, WAR */

START_TEST(test_raw_through_reshape)
{
    ordo_view_t x = tu_base(ORDO_F32, 2, I64(32), I64(32));
    uint64_t p = s_one(&buf, tu_reshape(x, 3, I64(4), I64(8), I64(32)), ORDO_OUT);
    uint64_t c1 = s_one(&buf, tu_slice(x, 0, 0, 8, 1), ORDO_IN);
    uint64_t c2 = s_one(&buf, tu_slice(tu_T(x), 0, 30, 32, 1), ORDO_IN);
    ck_assert_uint_eq(ordo_graph_edge(g, p, c1), ORDO_EDGE_RAW);
    ck_assert_uint_eq(ordo_graph_edge(g, p, c2), ORDO_EDGE_RAW);
    ck_assert_uint_eq(ordo_graph_edge(g, c1, c2), 0);
    s_run(p);
    ck_assert(s_ready_has(c1) && s_ready_has(c2));
}
END_TEST

static void s_loop_carried(int w1mode)
{
    ordo_view_t x = tu_base(ORDO_F64, 1, I64(1000));
    uint64_t w0 = s_one(&buf, x, ORDO_INOUT);
    uint64_t r[3];
    for (int i = 0; i < 3; i++)
        r[i] = s_one(&buf, tu_slice(x, 0, i * 100, 1000, 3), ORDO_IN);
    uint64_t w1 = s_one(&buf, x, w1mode);
    for (int i = 0; i < 3; i++) {
        ck_assert_uint_eq(ordo_graph_edge(g, w0, r[i]), ORDO_EDGE_RAW);
        ck_assert_uint_eq(ordo_graph_edge(g, r[i], w1), ORDO_EDGE_WAR);
        for (int j = 0; j < 3; j++)
            ck_assert_uint_eq(ordo_graph_edge(g, r[i], r[j]), 0);
    }
    ck_assert_uint_eq(ordo_graph_edge(g, w0, w1), ORDO_EDGE_WAW);
    s_run(w0);
    for (int i = 0; i < 3; i++)
        ck_assert(s_ready_has(r[i]));
    s_run(r[0]);
    s_run(r[1]);
    ck_assert_int_eq(ordo_graph_state(g, w1), ORDO_TASK_WAITING);
    s_run(r[2]);
    ck_assert(s_ready_has(w1));
}

START_TEST(test_loop_carried_inout)
{
    s_loop_carried(ORDO_INOUT);
}
END_TEST

START_TEST(test_loop_carried_out)
{
    s_loop_carried(ORDO_OUT);
}
END_TEST

/* 100 writers of disjoint column blocks (interleaved byte ranges), then 64
 * readers of the whole tensor: all 6400 edges, none among the writers. */
START_TEST(test_fan_in_column_blocks)
{
    ordo_view_t x = tu_base(ORDO_F32, 2, I64(64), I64(400));
    uint64_t w[100], r[64];
    for (int i = 0; i < 100; i++)
        w[i] = s_one(&buf, tu_slice(x, 1, 4 * i, 4 * i + 4, 1), ORDO_OUT);
    for (int i = 0; i < 100; i++)
        ck_assert(s_ready_has(w[i]));
    for (int j = 0; j < 64; j++)
        r[j] = s_one(&buf, x, ORDO_IN);
    for (int j = 0; j < 64; j++)
        for (int i = 0; i < 100; i++)
            TU_CHECK(ordo_graph_edge(g, w[i], r[j]) == ORDO_EDGE_RAW, "w%d -> r%d missing", i, j);
    ordo_graph_stats_t st;
    ordo_graph_stats(g, &st);
    ck_assert_uint_eq(st.edges, 6400);
    ck_assert_uint_eq(st.edges_raw, 6400);
    ck_assert_uint_eq(st.geom.conservative, 0);
    for (int i = 0; i < 99; i++)
        s_run(w[i]);
    ck_assert_int_eq(ordo_graph_state(g, r[0]), ORDO_TASK_WAITING);
    s_run(w[99]);
    for (int j = 0; j < 64; j++)
        ck_assert(s_ready_has(r[j]));
}
END_TEST

/* Readers of the same bytes never order each other, however many. */
START_TEST(test_readers_never_wait_for_readers)
{
    ordo_view_t x = tu_base(ORDO_U8, 1, I64(4096));
    for (int i = 0; i < 1000; i++)
        ck_assert(s_ready_has(s_one(&buf, tu_slice(x, 0, i, 4096, 7), ORDO_IN)));
    ordo_graph_stats_t st;
    ordo_graph_stats(g, &st);
    ck_assert_uint_eq(st.edges, 0);
}
END_TEST

/* A gather that reads the whole cache after a partial write-back, which
 * itself followed an older gather, supersedes the older gather's read: the
 * next write-back waits for the new gather only, and is still ordered after
 * the old one (old gather -> write-back -> new gather -> next write-back). */
START_TEST(test_reader_superseded_through_writer)
{
    ordo_view_t cache = tu_base(ORDO_F32, 2, I64(16), I64(8));
    uint64_t g1 = s_one(&buf, cache, ORDO_IN);
    uint64_t w1 = s_one(&buf, tu_slice(cache, 0, 0, 2, 1), ORDO_OUT);
    uint64_t g2 = s_one(&buf, tu_reshape(cache, 1, I64(128)), ORDO_IN);
    ordo_graph_stats_t st;
    ordo_graph_stats(g, &st);
    ck_assert_uint_eq(st.retired, 1);
    uint64_t w2 = s_one(&buf, tu_slice(cache, 0, 2, 4, 1), ORDO_OUT);
    ck_assert_uint_eq(ordo_graph_edge(g, g1, w1), ORDO_EDGE_WAR);
    ck_assert_uint_eq(ordo_graph_edge(g, w1, g2), ORDO_EDGE_RAW);
    ck_assert_uint_eq(ordo_graph_edge(g, g2, w2), ORDO_EDGE_WAR);
    ck_assert_uint_eq(ordo_graph_edge(g, g1, w2), 0);
    s_run(g1);
    s_run(w1);
    ck_assert_int_eq(ordo_graph_state(g, w2), ORDO_TASK_WAITING);
    s_run(g2);
    s_run(w2);
}
END_TEST

/* The controls: without a task between them, or when the new read does not
 * contain the old one, the old read stays and later writers wait for it. */
START_TEST(test_reader_not_superseded)
{
    ordo_view_t cache = tu_base(ORDO_F32, 2, I64(16), I64(8));
    uint64_t g1 = s_one(&buf, cache, ORDO_IN);
    uint64_t g2 = s_one(&buf, cache, ORDO_IN);           /* concurrent reader */
    uint64_t w1 = s_one(&buf, tu_slice(cache, 0, 0, 2, 1), ORDO_OUT);
    ck_assert_uint_eq(ordo_graph_edge(g, g1, w1), ORDO_EDGE_WAR);
    ck_assert_uint_eq(ordo_graph_edge(g, g2, w1), ORDO_EDGE_WAR);
    uint64_t g3 = s_one(&buf, tu_slice(cache, 0, 4, 16, 1), ORDO_IN); /* after w1? no */
    uint64_t g4 = s_one(&buf, tu_slice(cache, 0, 1, 16, 1), ORDO_IN); /* after w1, partial */
    ck_assert_uint_eq(ordo_graph_edge(g, w1, g3), 0);
    ck_assert_uint_eq(ordo_graph_edge(g, w1, g4), ORDO_EDGE_RAW);
    ordo_graph_stats_t st;
    ordo_graph_stats(g, &st);
    ck_assert_uint_eq(st.retired, 0);
    uint64_t w2 = s_one(&buf, tu_slice(cache, 0, 0, 1, 1), ORDO_OUT);
    ck_assert_uint_eq(ordo_graph_edge(g, g1, w2), ORDO_EDGE_WAR);
    ck_assert_uint_eq(ordo_graph_edge(g, g2, w2), ORDO_EDGE_WAR);
    ck_assert_uint_eq(ordo_graph_edge(g, g4, w2), 0);
}
END_TEST

/* A decode loop with many steps in flight: gathers of the whole cache and
 * two-row write-backs.  WAR edges stay linear in the steps (they were
 * quadratic when every write-back waited for every pending gather); RAW
 * edges are bounded by the write-backs of distinct rows still pending. */
START_TEST(test_decode_loop_edges_linear)
{
    enum { STEPS = 2000, ROWS = 64 };
    ordo_view_t cache = tu_base(ORDO_F32, 2, I64(ROWS), I64(16));
    for (int i = 0; i < STEPS; i++) {
        s_one(&buf, tu_reshape(cache, 1, I64(ROWS * 16)), ORDO_IN);
        int r = (2 * i) % ROWS;
        s_one(&buf, tu_slice(cache, 0, r, r + 2, 1), ORDO_OUT);
    }
    ordo_graph_stats_t st;
    ordo_graph_stats(g, &st);
    ck_assert_uint_le(st.edges_war, 2 * STEPS);
    ck_assert_uint_le(st.edges_raw, (ROWS / 2) * STEPS);
    ck_assert_uint_le(st.index_accesses, ROWS / 2 + 2);
}
END_TEST

/* ------------------------------------------------- explicit dependencies */

START_TEST(test_explicit_unioned_with_derived)
{
    ordo_view_t x = tu_base(ORDO_F32, 1, I64(256));
    uint64_t p = s_one(&buf, x, ORDO_OUT);
    uint64_t q = s_one(&buf2, x, ORDO_OUT); /* another buffer: no derived edge */
    ordo_arg_t a = A(&buf, x, ORDO_IN);
    uint64_t deps[] = {q, p, q};
    uint64_t c = s_sub(1, &a, 3, deps);
    ck_assert_uint_eq(ordo_graph_edge(g, p, c), ORDO_EDGE_RAW | ORDO_EDGE_EXPLICIT);
    ck_assert_uint_eq(ordo_graph_edge(g, q, c), ORDO_EDGE_EXPLICIT);
    ordo_graph_stats_t st;
    ordo_graph_stats(g, &st);
    ck_assert_uint_eq(st.edges, 2); /* the repeated q is one edge */
    s_run(p);
    ck_assert_int_eq(ordo_graph_state(g, c), ORDO_TASK_WAITING);
    s_run(q);
    ck_assert(s_ready_has(c));
}
END_TEST

START_TEST(test_explicit_on_finished_failed_unknown)
{
    ordo_view_t x = tu_base(ORDO_F32, 1, I64(16));
    uint64_t done = s_one(&buf, x, ORDO_OUT);
    s_run(done);
    uint64_t bad = s_one(&buf2, x, ORDO_OUT);
    s_pop(bad);
    ck_assert_int_eq(ordo_graph_fail(g, bad), 0);
    ck_assert_int_eq(ordo_graph_state(g, done), ORDO_TASK_DONE);
    ck_assert_int_eq(ordo_graph_state(g, bad), ORDO_TASK_FAILED);

    /* On a finished task: already satisfied. */
    ordo_arg_t a = A(&buf, x, ORDO_IN);
    uint64_t c1 = s_sub(1, &a, 1, &done);
    ck_assert(s_ready_has(c1));

    /* On a failed task: cancelled, with the failed task as cause. */
    uint64_t c2 = s_sub(1, &a, 1, &bad);
    ck_assert_int_eq(ordo_graph_state(g, c2), ORDO_TASK_CANCELLED);
    ordo_cancel_t cc;
    ck_assert_int_eq(ordo_graph_pop_cancel(g, &cc), 0);
    ck_assert_uint_eq(cc.id, c2);
    ck_assert_uint_eq(cc.cause, bad);
    ck_assert_int_eq(ordo_graph_pop_cancel(g, &cc), ORDO_EAGAIN);

    /* On a cancelled task: cancelled too, same root cause. */
    uint64_t c3 = s_sub(1, &a, 1, &c2);
    ck_assert_int_eq(ordo_graph_state(g, c3), ORDO_TASK_CANCELLED);
    ck_assert_int_eq(ordo_graph_pop_cancel(g, &cc), 0);
    ck_assert_uint_eq(cc.cause, bad);

    /* On an id never accepted (the future, another session, zero): an
     * error for that submit, and nothing changes. */
    ordo_graph_stats_t before, after;
    ordo_graph_stats(g, &before);
    uint64_t unknown[] = {ORDO_TASK_ID(1, seq + 1), ORDO_TASK_ID(1, seq + 100),
                          ORDO_TASK_ID(9, 1), 0};
    for (int i = 0; i < 4; i++) {
        ordo_task_desc_t d = {.id = ORDO_TASK_ID(1, seq + 1), .args = &a, .nargs = 1,
                              .deps = &unknown[i], .ndeps = 1};
        ck_assert_int_eq(ordo_graph_submit(g, &d, err, sizeof err), ORDO_ENOENT);
        ck_assert_ptr_nonnull(strstr(err, "never accepted"));
    }
    ordo_graph_stats(g, &after);
    ck_assert_mem_eq(&before, &after, sizeof before);
    ck_assert_uint_eq(s_sub(1, &a, 0, NULL), ORDO_TASK_ID(1, seq)); /* the id is still free */
}
END_TEST

START_TEST(test_forgotten_outcomes)
{
    /* With max_tombs = 4 the graph keeps the outcome of the last 4 failed or
     * cancelled ids.  Forgetting one forgets every id of its session up to
     * it: a dependency on those is refused (never taken as satisfied, for
     * it may have failed), one on a kept failure still cancels, and one on
     * a later success is still satisfied. */
    ordo_graph_destroy(&g);
    ordo_graph_config_t cfg = {.window = 1 << 16, .max_tombs = 4};
    g = ordo_graph_new(&cfg);
    ck_assert_ptr_nonnull(g);
    ordo_view_t x = tu_base(ORDO_F32, 1, I64(16));
    uint64_t early = s_one(&buf2, x, ORDO_OUT);
    s_run(early);
    uint64_t bad[6];
    for (int i = 0; i < 6; i++) { /* bad[0] and bad[1] will be forgotten */
        bad[i] = s_one(&buf, x, ORDO_OUT);
        s_pop(bad[i]);
        ck_assert_int_eq(ordo_graph_fail(g, bad[i]), 0);
    }
    uint64_t late = s_one(&buf2, x, ORDO_OUT);
    s_run(late);
    ordo_graph_stats_t st;
    ordo_graph_stats(g, &st);
    ck_assert_uint_eq(st.tombs, 4);
    ck_assert_uint_eq(st.tombs_forgotten, 2);

    ck_assert_int_eq(ordo_graph_state(g, bad[2]), ORDO_TASK_FAILED);
    ck_assert_int_eq(ordo_graph_state(g, late), ORDO_TASK_DONE);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(ordo_graph_state(g, bad[i]), ORDO_TASK_UNKNOWN);
        ck_assert(ordo_graph_forgotten(g, bad[i]));
    }
    ck_assert_int_eq(ordo_graph_state(g, early), ORDO_TASK_UNKNOWN); /* below bad[1] */
    ck_assert(ordo_graph_forgotten(g, early));
    ck_assert(!ordo_graph_forgotten(g, bad[2]) && !ordo_graph_forgotten(g, late));
    ck_assert(!ordo_graph_forgotten(g, ORDO_TASK_ID(1, seq + 1))); /* never accepted */

    ordo_arg_t a = A(&buf2, x, ORDO_IN);
    uint64_t old[] = {bad[0], early};
    for (int i = 0; i < 2; i++) {
        ordo_task_desc_t d = {.id = ORDO_TASK_ID(1, seq + 1), .args = &a, .nargs = 1,
                              .deps = &old[i], .ndeps = 1};
        ck_assert_int_eq(ordo_graph_submit(g, &d, err, sizeof err), ORDO_ENOENT);
        ck_assert_msg(strstr(err, "no longer known"), "%s", err);
    }
    uint64_t c = s_sub(1, &a, 1, &bad[2]);
    ck_assert_int_eq(ordo_graph_state(g, c), ORDO_TASK_CANCELLED);
    ordo_cancel_t cc;
    ck_assert_int_eq(ordo_graph_pop_cancel(g, &cc), 0);
    ck_assert_uint_eq(cc.cause, bad[2]);
    uint64_t ok = s_sub(1, &a, 1, &late);
    ck_assert(s_ready_has(ok));
    ordo_graph_stats(g, &st); /* c's cancellation pushed out bad[2] */
    ck_assert_uint_eq(st.tombs, 4);
    ck_assert_uint_eq(st.tombs_forgotten, 3);
    ck_assert(ordo_graph_forgotten(g, bad[2]));
}
END_TEST

/* ----------------------------------------------------------- failure */

START_TEST(test_failure_cancels_transitively)
{
    ordo_view_t x = tu_base(ORDO_F32, 2, I64(8), I64(8));
    uint64_t f = s_one(&buf, tu_index(x, 0, 0), ORDO_OUT);          /* row 0 */
    uint64_t u = s_one(&buf, tu_index(x, 0, 1), ORDO_OUT);          /* row 1: unrelated */
    ordo_arg_t a1[] = {A(&buf, tu_index(x, 0, 0), ORDO_IN), A(&buf, tu_index(x, 0, 2), ORDO_OUT)};
    uint64_t d1 = s_sub(2, a1, 0, NULL);                            /* row 0 -> row 2 */
    uint64_t d2 = s_one(&buf, tu_index(x, 0, 2), ORDO_IN);          /* reads row 2 */
    ordo_arg_t a3 = A(&buf2, tu_base(ORDO_F32, 1, I64(4)), ORDO_OUT);
    uint64_t d3 = s_sub(1, &a3, 1, &d2);                            /* explicit on d2 */
    uint64_t v = s_one(&buf, tu_index(x, 0, 1), ORDO_IN);           /* after u only */

    s_pop(f);
    ck_assert_int_eq(ordo_graph_fail(g, f), 0);
    uint64_t got[3];
    ordo_cancel_t cc;
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(ordo_graph_pop_cancel(g, &cc), 0);
        ck_assert_uint_eq(cc.cause, f);
        got[i] = cc.id;
    }
    ck_assert_int_eq(ordo_graph_pop_cancel(g, &cc), ORDO_EAGAIN);
    for (int i = 0; i < 3; i++)
        ck_assert(got[i] == d1 || got[i] == d2 || got[i] == d3);
    ck_assert(got[0] != got[1] && got[1] != got[2] && got[0] != got[2]);
    ck_assert_int_eq(ordo_graph_state(g, f), ORDO_TASK_FAILED);
    ck_assert_int_eq(ordo_graph_state(g, d3), ORDO_TASK_CANCELLED);

    /* The unrelated chain runs normally. */
    s_run(u);
    s_run(v);
    ordo_graph_stats_t st;
    ordo_graph_stats(g, &st);
    ck_assert_uint_eq(st.live, 0);
    ck_assert_uint_eq(st.index_accesses, 0);
    ck_assert_uint_eq(st.accepted, st.done + st.failed + st.cancelled);
    ck_assert_uint_eq(st.cancelled, 3);
}
END_TEST

/* A cancelled task that retired an access of a task still running stays in
 * the graph as a barrier until that task finishes: a later writer of those
 * bytes must not overtake the running task. */
START_TEST(test_cancelled_barrier_keeps_order)
{
    ordo_view_t x = tu_base(ORDO_F32, 1, I64(64));
    uint64_t r = s_one(&buf, tu_slice(x, 0, 0, 32, 1), ORDO_IN);   /* long reader */
    uint64_t f = s_one(&buf2, x, ORDO_OUT);
    ordo_arg_t ca[] = {A(&buf, x, ORDO_OUT), A(&buf2, x, ORDO_IN)};
    uint64_t c = s_sub(2, ca, 0, NULL);     /* retires r's access; waits for r, f */
    ordo_graph_stats_t st;
    ordo_graph_stats(g, &st);
    ck_assert_uint_eq(st.retired, 1);
    s_pop(r);
    s_pop(f);
    ck_assert_int_eq(ordo_graph_fail(g, f), 0); /* c is cancelled, r still runs */
    ck_assert_int_eq(ordo_graph_state(g, c), ORDO_TASK_CANCELLED);
    uint64_t w = s_one(&buf, tu_slice(x, 0, 16, 17, 1), ORDO_OUT); /* meets r's bytes */
    ck_assert_uint_ne(ordo_graph_edge(g, c, w), 0);
    ck_assert_int_ne(ordo_graph_state(g, w), ORDO_TASK_READY);
    ck_assert_int_eq(ordo_graph_complete(g, r), 0);
    ordo_graph_stats(g, &st);
    ck_assert_uint_eq(st.live, 0);
}
END_TEST

/* ------------------------------------------------------- retirement */

START_TEST(test_million_inplace_updates_constant_index)
{
    ordo_view_t x = tu_reshape(tu_base(ORDO_F32, 1, I64(4096)), 2, I64(64), I64(64));
    ordo_view_t v = tu_slice(x, 1, 8, 40, 1);
    ordo_arg_t a = A(&buf, v, ORDO_INOUT);
    uint64_t max_index = 0;
    ordo_graph_stats_t st;
    for (int i = 0; i < 1000000; i++) {
        uint64_t id = ORDO_TASK_ID(1, ++seq);
        ordo_task_desc_t d = {.id = id, .args = &a, .nargs = 1};
        TU_CHECK(ordo_graph_submit(g, &d, err, sizeof err) == 0, "submit %d: %s", i, err);
        if (i % 64 == 63) { /* let the chain advance now and then */
            uint64_t rid;
            while (ordo_graph_pop_ready(g, &rid, NULL) == 0)
                TU_CHECK(ordo_graph_complete(g, rid) == 0, "complete");
        }
        ordo_graph_stats(g, &st);
        if (st.index_accesses > max_index)
            max_index = st.index_accesses;
    }
    ck_assert_uint_eq(max_index, 1);
    ck_assert_uint_eq(st.edges_waw + st.edges_war + st.edges_raw, st.edges);
    ck_assert(ordo_itree_check(&buf.tree));
}
END_TEST

/* A partial write retires nothing: the old access still guards bytes the
 * new one does not cover. */
START_TEST(test_partial_write_retires_nothing)
{
    ordo_view_t x = tu_base(ORDO_F32, 2, I64(16), I64(16));
    uint64_t r = s_one(&buf, x, ORDO_IN);
    uint64_t w = s_one(&buf, tu_slice(x, 0, 0, 8, 1), ORDO_OUT);
    uint64_t w2 = s_one(&buf, tu_slice(x, 0, 8, 16, 1), ORDO_OUT);
    ck_assert_uint_eq(ordo_graph_edge(g, r, w), ORDO_EDGE_WAR);
    ck_assert_uint_eq(ordo_graph_edge(g, r, w2), ORDO_EDGE_WAR);
    ordo_graph_stats_t st;
    ordo_graph_stats(g, &st);
    ck_assert_uint_eq(st.retired, 0);
    /* Covering both halves with one write retires all three. */
    uint64_t w3 = s_one(&buf, tu_T(x), ORDO_OUT);
    ordo_graph_stats(g, &st);
    ck_assert_uint_eq(st.retired, 3);
    ck_assert_uint_eq(st.index_accesses, 1);
    /* A later reader meets only w3, yet is ordered after all of them. */
    uint64_t c = s_one(&buf, tu_index(x, 1, 3), ORDO_IN);
    ck_assert_uint_eq(ordo_graph_edge(g, w3, c), ORDO_EDGE_RAW);
    ck_assert_uint_eq(ordo_graph_edge(g, w, c), 0);
}
END_TEST

/* ------------------------------------------------- window and sequence */

START_TEST(test_window_and_sequence)
{
    ordo_graph_destroy(&g);
    ordo_graph_config_t cfg = {.window = 4};
    g = ordo_graph_new(&cfg);
    ordo_view_t x = tu_base(ORDO_F32, 1, I64(16));
    uint64_t ids[4];
    for (int i = 0; i < 4; i++)
        ids[i] = s_one(&buf, x, ORDO_INOUT);
    ordo_arg_t a = A(&buf, x, ORDO_IN);
    ordo_task_desc_t d = {.id = ORDO_TASK_ID(1, seq + 1), .args = &a, .nargs = 1};
    ck_assert_int_eq(ordo_graph_submit(g, &d, err, sizeof err), ORDO_EAGAIN);
    d.id = ORDO_TASK_ID(1, seq + 2);
    ck_assert_int_eq(ordo_graph_submit(g, &d, err, sizeof err), ORDO_ESEQ);
    d.id = ORDO_TASK_ID(0, 1);
    ck_assert_int_eq(ordo_graph_submit(g, &d, err, sizeof err), ORDO_ESEQ);
    s_run(ids[0]);
    ck_assert_uint_eq(s_sub(1, &a, 0, NULL), ORDO_TASK_ID(1, 5));
    /* Another session has a sequence of its own. */
    d.id = ORDO_TASK_ID(2, 1);
    ck_assert_int_eq(ordo_graph_submit(g, &d, err, sizeof err), ORDO_EAGAIN);
    ck_assert_int_eq(ordo_graph_reject(g, ORDO_TASK_ID(2, 1)), 0);
    ck_assert_int_eq(ordo_graph_state(g, ORDO_TASK_ID(2, 1)), ORDO_TASK_FAILED);
    ck_assert_int_eq(ordo_graph_state(g, ORDO_TASK_ID(2, 2)), ORDO_TASK_UNKNOWN);
}
END_TEST

/* The id map probes the same place of the next blocks of eight entries,
 * then the next place: keep every eighth id live (one place of every
 * block, about 2,500 ids against 512 blocks) and remove them in a
 * scrambled order; every lookup must still find exactly the live ones. */
START_TEST(test_id_map_one_lane)
{
    enum { N = 20000, KEEP = N / 8 };
    static uint64_t live[KEEP];
    uint64_t seq_rng = 88172645463325252u;
    uint32_t nlive = 0;
    for (uint32_t i = 0; i < N; i++) {
        uint64_t id = s_sub(0, NULL, 0, NULL), got;
        ck_assert_int_eq(ordo_graph_pop_ready(g, &got, NULL), 0);
        ck_assert_uint_eq(got, id);
        if (ORDO_TASK_SEQ(id) % 8 == 0)
            live[nlive++] = id;
        else
            ck_assert_int_eq(ordo_graph_complete(g, id), 0);
    }
    ck_assert_uint_eq(nlive, KEEP);
    for (uint32_t k = KEEP; k > 0; k--) {
        seq_rng ^= seq_rng << 13; /* xorshift: a scrambled order */
        seq_rng ^= seq_rng >> 7;
        seq_rng ^= seq_rng << 17;
        uint32_t j = (uint32_t)(seq_rng % k);
        uint64_t id = live[j];
        live[j] = live[k - 1];
        ck_assert_int_eq(ordo_graph_complete(g, id), 0);
        ck_assert_int_eq(ordo_graph_state(g, id), ORDO_TASK_DONE);
        if (k % 64 == 0 || k < 64)
            for (uint32_t i = 0; i + 1 < k; i++)
                TU_CHECK(ordo_graph_state(g, live[i]) == ORDO_TASK_RUNNING,
                         "id %llu lost after %u removals", (unsigned long long)live[i],
                         KEEP - k + 1);
    }
    ordo_graph_stats_t st;
    ordo_graph_stats(g, &st);
    ck_assert_uint_eq(st.live, 0);
}
END_TEST

START_TEST(test_bad_arguments_change_nothing)
{
    ordo_view_t x = tu_base(ORDO_F32, 1, I64(16));
    ordo_view_t big = tu_base(ORDO_F32, 1, I64(1 << 19));
    big.offset = 1;
    ordo_arg_t bad[] = {A(&buf, x, 0), A(&buf, x, 7), A(NULL, x, ORDO_IN), A(&buf, big, ORDO_IN)};
    int want[] = {ORDO_EINVAL, ORDO_EINVAL, ORDO_EINVAL, ORDO_ERANGE};
    ordo_graph_stats_t before, after;
    ordo_graph_stats(g, &before);
    for (int i = 0; i < 4; i++) {
        ordo_arg_t args[] = {A(&buf, x, ORDO_IN), bad[i]};
        ordo_task_desc_t d = {.id = ORDO_TASK_ID(1, 1), .args = args, .nargs = 2};
        ck_assert_int_eq(ordo_graph_submit(g, &d, err, sizeof err), want[i]);
        ck_assert_ptr_nonnull(strstr(err, "arg 1"));
    }
    ordo_graph_stats(g, &after);
    ck_assert_mem_eq(&before, &after, sizeof before);
    ck_assert_uint_eq(ordo_index_live(&buf), 0);
}
END_TEST

/* ---------------------------------------------------------- read groups */

static void s_count_entry(ordo_inode_t *n, void *arg)
{
    (void)n;
    (*(size_t *)arg)++;
}

/* Entries of ix's tree that are reads: all of them but the writes. */
static size_t s_read_entries(const ordo_index_t *ix)
{
    size_t writes = 0;
    ordo_itree_query(&ix->tree, 0, UINT64_MAX, true, s_count_entry, &writes);
    return ix->tree.count - writes;
}

/* Reads of the very same run of bytes share one entry of the index;
 * every one of them still orders a later write, whatever order they
 * finish in, and a covering write retires them all. */
START_TEST(test_read_group_members_all_order_writes)
{
    enum { R = 5 };
    ordo_view_t x = tu_base(ORDO_F32, 1, I64(256));
    uint64_t r[R];
    for (int i = 0; i < R; i++)
        r[i] = s_one(&buf, x, ORDO_IN);
    ck_assert_uint_eq(s_read_entries(&buf), 1);
    ck_assert_uint_eq(ordo_index_live(&buf), R);
    /* The leader (the first) leaves first, then a follower in the middle:
     * the rest still order the write. */
    s_run(r[0]);
    s_pop(r[1]);
    s_pop(r[2]);
    s_pop(r[3]);
    ck_assert_int_eq(ordo_graph_complete(g, r[2]), 0);
    ck_assert_uint_eq(s_read_entries(&buf), 1);
    ck_assert_uint_eq(ordo_index_live(&buf), R - 2);
    ck_assert(ordo_itree_check(&buf.tree));
    ordo_graph_stats_t before, after;
    ordo_graph_stats(g, &before);
    uint64_t w = s_one(&buf, x, ORDO_OUT);
    for (int i = 0; i < R; i++)
        ck_assert_uint_eq(ordo_graph_edge(g, r[i], w), i == 0 || i == 2 ? 0 : ORDO_EDGE_WAR);
    ordo_graph_stats(g, &after);
    ck_assert_uint_eq(after.retired - before.retired, R - 2);
    ck_assert_uint_eq(s_read_entries(&buf), 0);
    ck_assert_uint_eq(ordo_index_live(&buf), 1);
    ck_assert_uint_eq(after.index_accesses, 1);
    ck_assert_int_eq(ordo_graph_complete(g, r[1]), 0);
    ck_assert_int_eq(ordo_graph_complete(g, r[3]), 0);
    ck_assert_int_eq(ordo_graph_state(g, w), ORDO_TASK_WAITING);
    s_run(r[4]);
    s_run(w);
    ck_assert_uint_eq(ordo_index_live(&buf), 0);
}
END_TEST

/* The record of a leader that left is reused for the next access: a read
 * of the same bytes in it must still join the index (the table of
 * leaders seen last still names that record). */
START_TEST(test_read_group_record_reused)
{
    ordo_view_t x = tu_base(ORDO_F32, 1, I64(64));
    for (int i = 0; i < 3; i++) {
        uint64_t r = s_one(&buf, x, ORDO_IN);
        ck_assert_uint_eq(ordo_index_live(&buf), 1);
        uint64_t r2 = s_one(&buf, x, ORDO_IN);
        s_run(r);
        s_run(r2);
        ck_assert_uint_eq(ordo_index_live(&buf), 0);
    }
    uint64_t r = s_one(&buf, x, ORDO_IN);
    ck_assert_uint_eq(ordo_index_live(&buf), 1);
    uint64_t w = s_one(&buf, x, ORDO_OUT);
    ck_assert_uint_eq(ordo_graph_edge(g, r, w), ORDO_EDGE_WAR);
}
END_TEST

/* A strided read with the same bounds as a run read is not of its group:
 * a write of the gaps between the strided read's elements waits for the
 * run readers only. */
START_TEST(test_read_group_only_runs)
{
    ordo_view_t x = tu_base(ORDO_F32, 1, I64(64));
    ordo_view_t even = tu_slice(x, 0, 0, 63, 2); /* bounds [0, 252): 32 of 63 */
    ordo_view_t run = tu_slice(x, 0, 0, 63, 1);  /* the same bounds, every byte */
    uint64_t re = s_one(&buf, even, ORDO_IN);
    uint64_t rr = s_one(&buf, run, ORDO_IN);
    uint64_t rr2 = s_one(&buf, run, ORDO_IN);
    ck_assert_uint_eq(s_read_entries(&buf), 2);
    ck_assert_uint_eq(ordo_index_live(&buf), 3);
    uint64_t w = s_one(&buf, tu_slice(x, 0, 1, 2, 1), ORDO_OUT); /* element 1: a gap */
    ck_assert_uint_eq(ordo_graph_edge(g, re, w), 0);
    ck_assert_uint_eq(ordo_graph_edge(g, rr, w), ORDO_EDGE_WAR);
    ck_assert_uint_eq(ordo_graph_edge(g, rr2, w), ORDO_EDGE_WAR);
}
END_TEST

/* A write that retires a read with its very bounds takes the read's entry
 * (no rebalance) only when the read is a write too: a write in a read's
 * entry would be unseen by the reads after it (they look for writes). */
START_TEST(test_twin_is_of_its_kind)
{
    ordo_view_t x = tu_base(ORDO_F32, 1, I64(64));
    ordo_view_t even = tu_slice(x, 0, 0, 63, 2); /* bounds [0, 252), not a group */
    ordo_view_t run = tu_slice(x, 0, 0, 63, 1);  /* the same bounds, every byte */
    uint64_t r = s_one(&buf, even, ORDO_IN);
    uint64_t w = s_one(&buf, run, ORDO_OUT);
    ck_assert_uint_eq(ordo_graph_edge(g, r, w), ORDO_EDGE_WAR);
    ck_assert_uint_eq(ordo_index_live(&buf), 1); /* r retired, w in */
    ck_assert_uint_eq(s_read_entries(&buf), 0);
    uint64_t r2 = s_one(&buf, even, ORDO_IN);
    ck_assert_uint_eq(ordo_graph_edge(g, w, r2), ORDO_EDGE_RAW);
    ck_assert(ordo_itree_check(&buf.tree));
}
END_TEST

/* A task that reads and writes the bytes of a group: the write retires
 * the group, the task's own read stays (a later write still gets a WAR
 * edge from it, beside the WAW one). */
START_TEST(test_read_group_retired_by_own_task)
{
    ordo_view_t x = tu_base(ORDO_F32, 1, I64(64));
    uint64_t r1 = s_one(&buf, x, ORDO_IN);
    uint64_t r2 = s_one(&buf, x, ORDO_IN);
    ordo_arg_t args[] = {A(&buf, x, ORDO_IN), A(&buf, x, ORDO_OUT)};
    uint64_t t = s_sub(2, args, 0, NULL);
    ck_assert_uint_eq(ordo_graph_edge(g, r1, t), ORDO_EDGE_WAR);
    ck_assert_uint_eq(ordo_graph_edge(g, r2, t), ORDO_EDGE_WAR);
    ck_assert_uint_eq(ordo_index_live(&buf), 2);
    ck_assert_uint_eq(s_read_entries(&buf), 1);
    uint64_t w = s_one(&buf, x, ORDO_OUT);
    ck_assert_uint_eq(ordo_graph_edge(g, t, w), ORDO_EDGE_WAR | ORDO_EDGE_WAW);
    ck_assert(ordo_itree_check(&buf.tree));
}
END_TEST

/* ------------------------------------------------------------ walking */

static void s_count_task(void *arg, uint64_t id, ordo_task_state_t st, void *user)
{
    ((int *)arg)[0]++;
}
static void s_count_edge(void *arg, uint64_t from, uint64_t to, unsigned kinds)
{
    ((int *)arg)[1]++;
}

START_TEST(test_walk_and_counters)
{
    ordo_view_t x = tu_base(ORDO_F32, 1, I64(64));
    uint64_t w = s_one(&buf, x, ORDO_OUT);
    s_one(&buf, tu_slice(x, 0, 0, 32, 1), ORDO_IN);
    s_one(&buf, tu_slice(x, 0, 32, 64, 1), ORDO_IN);
    s_one(&buf, x, ORDO_INOUT);
    int counts[2] = {0, 0};
    ordo_graph_visitor_t v = {.task = s_count_task, .edge = s_count_edge};
    ordo_graph_walk(g, &v, counts);
    ck_assert_int_eq(counts[0], 4);
    ck_assert_int_eq(counts[1], 5); /* w->r1, w->r2, w->w4, r1->w4, r2->w4 */
    ordo_graph_stats_t st;
    ordo_graph_stats(g, &st);
    ck_assert_uint_eq(st.edges_raw, 2);
    ck_assert_uint_eq(st.edges_war, 2);
    ck_assert_uint_eq(st.edges_waw, 1);
    ck_assert_uint_eq(st.ready, 1);
    ck_assert_uint_eq(st.waiting, 3);
    s_pop(w);
    ordo_graph_stats(g, &st);
    ck_assert_uint_eq(st.running, 1);
    ck_assert_uint_eq(st.ready, 0);
}
END_TEST

static Suite *s_suite(void)
{
    Suite *s = suite_create("graph");
    TCase *tc = tcase_create("hazards");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_kv_cache_war_across_reshapes);
    tcase_add_test(tc, test_kv_cache_war_identical_views);
    tcase_add_test(tc, test_kv_cache_write_elsewhere_runs_at_once);
    tcase_add_test(tc, test_raw_through_reshape);
    tcase_add_test(tc, test_loop_carried_inout);
    tcase_add_test(tc, test_loop_carried_out);
    tcase_add_test(tc, test_fan_in_column_blocks);
    tcase_add_test(tc, test_readers_never_wait_for_readers);
    tcase_add_test(tc, test_reader_superseded_through_writer);
    tcase_add_test(tc, test_reader_not_superseded);
    tcase_add_test(tc, test_decode_loop_edges_linear);
    tcase_add_test(tc, test_read_group_members_all_order_writes);
    tcase_add_test(tc, test_read_group_record_reused);
    tcase_add_test(tc, test_read_group_only_runs);
    tcase_add_test(tc, test_read_group_retired_by_own_task);
    tcase_add_test(tc, test_twin_is_of_its_kind);
    suite_add_tcase(s, tc);

    tc = tcase_create("explicit_and_failure");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_explicit_unioned_with_derived);
    tcase_add_test(tc, test_explicit_on_finished_failed_unknown);
    tcase_add_test(tc, test_forgotten_outcomes);
    tcase_add_test(tc, test_failure_cancels_transitively);
    tcase_add_test(tc, test_cancelled_barrier_keeps_order);
    suite_add_tcase(s, tc);

    tc = tcase_create("retirement_window");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_million_inplace_updates_constant_index);
    tcase_add_test(tc, test_partial_write_retires_nothing);
    tcase_add_test(tc, test_window_and_sequence);
    tcase_add_test(tc, test_id_map_one_lane);
    tcase_add_test(tc, test_bad_arguments_change_nothing);
    tcase_add_test(tc, test_walk_and_counters);
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
