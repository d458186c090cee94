/*
 * check_index.c - the interval trees of the access index against a plain
 * list: every query reports exactly the intersecting nodes (of the writes
 * alone, when it asks for them), in order, and the B+ tree's order, fill
 * and augmentation invariants hold after every change.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "index.h"
#include "testutil.h"

typedef struct {
    uint8_t *seen;
    const ordo_inode_t *base;
    uint64_t last_lo, last_seq;
    size_t count;
    bool ordered;
} s_acc_t;

static void s_collect(ordo_inode_t *n, void *arg)
{
    s_acc_t *a = arg;
    if (a->count && (n->lo < a->last_lo || (n->lo == a->last_lo && n->seq <= a->last_seq)))
        a->ordered = false;
    a->last_lo = n->lo;
    a->last_seq = n->seq;
    a->seen[n - a->base]++;
    a->count++;
}

static uint64_t s_rng = 7;
static uint64_t s_next(void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return s_rng;
}

START_TEST(test_random_against_list)
{
    enum { N = 4000, ROUNDS = 60000 };
    ordo_inode_t *nodes = calloc(N, sizeof *nodes);
    bool *in = calloc(N, sizeof *in), *write = calloc(N, sizeof *write);
    uint8_t *seen = calloc(N, 1);
    ordo_itree_t t = ORDO_ITREE_EMPTY;
    ordo_ipool_t pool;
    ordo_ipool_init(&pool);
    uint64_t seq = 0;
    for (int r = 0; r < ROUNDS; r++) {
        size_t i = s_next() % N;
        if (in[i]) {
            ordo_itree_remove(&t, &pool, &nodes[i]);
            in[i] = false;
        } else {
            nodes[i].lo = s_next() % 10000;
            nodes[i].hi = nodes[i].lo + 1 + s_next() % (s_next() % 8 ? 50 : 3000);
            nodes[i].seq = ++seq;
            write[i] = s_next() % 3 == 0;
            TU_CHECK(ordo_itree_insert(&t, &pool, &nodes[i], write[i]), "round %d: insert failed",
                     r);
            in[i] = true;
        }
        if (r % 97 == 0)
            TU_CHECK(ordo_itree_check(&t), "round %d: tree invariants broken", r);
        uint64_t lo = s_next() % 10500, hi = lo + 1 + s_next() % 400;
        bool writes_only = r & 1;
        s_acc_t acc = {.seen = seen, .base = nodes, .ordered = true};
        ordo_itree_query(&t, lo, hi, writes_only, s_collect, &acc);
        TU_CHECK(acc.ordered, "round %d: query out of order", r);
        for (size_t j = 0; j < N; j++) {
            bool want = in[j] && (write[j] || !writes_only) && nodes[j].lo < hi && nodes[j].hi > lo;
            TU_CHECK(seen[j] == want, "round %d node %zu: reported %u, want %d", r, j,
                          seen[j], want);
            seen[j] = 0;
        }
    }
    ck_assert(ordo_itree_check(&t));
    ordo_ipool_fini(&pool);
    free(nodes);
    free(in);
    free(write);
    free(seen);
}
END_TEST

/* An insert of a key that is there returns the entry that has it and
 * changes nothing, wherever the entry sits: first in its leaf, under an
 * inner entry whose smallest key it is, included (the graph finds its
 * read groups so). */
START_TEST(test_insert_finds_equal_key)
{
    enum { N = 3000 };
    ordo_inode_t *nodes = calloc(N, sizeof *nodes), probe;
    ordo_itree_t t = ORDO_ITREE_EMPTY;
    ordo_ipool_t pool;
    ordo_ipool_init(&pool);
    for (size_t i = 0; i < N; i++) { /* some starts tie: the key's seq decides */
        nodes[i] = (ordo_inode_t){.lo = (i * 7919) % 1000, .seq = 1 + (i * 104729) % N};
        nodes[i].hi = nodes[i].lo + 1 + nodes[i].seq % 5;
        ck_assert_ptr_eq(ordo_itree_insert(&t, &pool, &nodes[i], i % 2), &nodes[i]);
    }
    ck_assert(ordo_itree_check(&t));
    ck_assert_int_ge(t.height, 3);
    for (size_t i = 0; i < N; i++) {
        probe = nodes[i];
        TU_CHECK(ordo_itree_insert(&t, &pool, &probe, i % 2) == &nodes[i], "key %zu not found", i);
        TU_CHECK(t.count == N, "key %zu inserted again", i);
    }
    ck_assert(ordo_itree_check(&t));
    probe = (ordo_inode_t){.lo = 5, .hi = 6, .seq = N + 1}; /* a new key still goes in */
    ck_assert_ptr_eq(ordo_itree_insert(&t, &pool, &probe, false), &probe);
    ck_assert_uint_eq(t.count, N + 1);
    ck_assert(ordo_itree_check(&t));
    ordo_ipool_fini(&pool);
    free(nodes);
}
END_TEST

START_TEST(test_equal_bounds_many)
{
    /* Many accesses of the same bytes (readers of one block). */
    enum { N = 1000 };
    ordo_inode_t *nodes = calloc(N, sizeof *nodes);
    ordo_itree_t t = ORDO_ITREE_EMPTY;
    ordo_ipool_t pool;
    ordo_ipool_init(&pool);
    for (size_t i = 0; i < N; i++) {
        nodes[i] = (ordo_inode_t){.lo = 64, .hi = 128, .seq = i + 1};
        ck_assert(ordo_itree_insert(&t, &pool, &nodes[i], i == N / 2));
    }
    ck_assert(ordo_itree_check(&t));
    ck_assert_int_le(t.height, 6);
    uint8_t *seen = calloc(N, 1);
    s_acc_t acc = {.seen = seen, .base = nodes, .ordered = true};
    ordo_itree_query(&t, 127, 128, false, s_collect, &acc);
    ck_assert_uint_eq(acc.count, N);
    for (size_t i = 0; i < N; i++)
        seen[i] = 0;
    acc.count = 0;
    ordo_itree_query(&t, 64, 65, true, s_collect, &acc); /* the one write among them */
    ck_assert_uint_eq(acc.count, 1);
    ck_assert_uint_eq(seen[N / 2], 1);
    acc.count = 0;
    ordo_itree_query(&t, 128, 200, false, s_collect, &acc);
    ordo_itree_query(&t, 0, 64, false, s_collect, &acc);
    ck_assert_uint_eq(acc.count, 0);
    for (size_t i = 0; i < N; i += 2)
        ordo_itree_remove(&t, &pool, &nodes[i]);
    ck_assert(ordo_itree_check(&t));
    ck_assert_uint_eq(t.count, N / 2);
    ordo_ipool_fini(&pool);
    free(nodes);
    free(seen);
}
END_TEST

/* A write among the nodes of test_grow_and_drain: a third of them. */
static bool s_is_write(const ordo_inode_t *x)
{
    return x->seq % 3 == 0;
}

/* Every node of a query's answer, checked against the plain list: the
 * query for all accesses and the one for the writes alone. */
static void s_query_matches(const ordo_itree_t *t, ordo_inode_t **nodes, const bool *in, size_t n,
                            const ordo_inode_t *base, uint8_t *seen, uint64_t lo, uint64_t hi,
                            int round)
{
    for (int writes_only = 0; writes_only < 2; writes_only++) {
        s_acc_t acc = {.seen = seen, .base = base, .ordered = true};
        ordo_itree_query(t, lo, hi, writes_only, s_collect, &acc);
        TU_CHECK(acc.ordered, "round %d: query out of order", round);
        for (size_t j = 0; j < n; j++) {
            const ordo_inode_t *x = nodes[j];
            bool want = in[j] && (!writes_only || s_is_write(x)) && x->lo < hi && x->hi > lo;
            TU_CHECK(seen[x - base] == want, "round %d node %zu (writes only: %d): reported %u, "
                     "want %d", round, j, writes_only, seen[x - base], want);
            seen[x - base] = 0;
        }
    }
}

START_TEST(test_grow_and_drain)
{
    /* Deep trees: grow to N accesses (splits up to four levels), then
     * remove them all in random order (merges and shares at every level)
     * down to an empty tree that holds no node. */
    enum { N = 30000 };
    ordo_inode_t *store = calloc(N, sizeof *store);
    ordo_inode_t **nodes = calloc(N, sizeof *nodes);
    bool *in = calloc(N, sizeof *in);
    uint8_t *seen = calloc(N, 1);
    ordo_itree_t t = ORDO_ITREE_EMPTY;
    ordo_ipool_t pool;
    ordo_ipool_init(&pool);
    for (size_t i = 0; i < N; i++)
        nodes[i] = &store[i];
    for (size_t i = 0; i < N; i++) {
        /* Clustered bounds: many equal lo, so the seq tiebreak matters. */
        store[i].lo = (s_next() % 512) * 64;
        store[i].hi = store[i].lo + 1 + s_next() % (i % 16 ? 64 : 4096);
        store[i].seq = i + 1;
        TU_CHECK(ordo_itree_insert(&t, &pool, &store[i], s_is_write(&store[i])),
                 "insert %zu failed", i);
        in[i] = true;
        if (i % 1499 == 0) {
            TU_CHECK(ordo_itree_check(&t), "insert %zu: invariants broken", i);
            uint64_t lo = s_next() % 33000;
            s_query_matches(&t, nodes, in, N, store, seen, lo, lo + 1 + s_next() % 200, (int)i);
        }
    }
    ck_assert(ordo_itree_check(&t));
    ck_assert_uint_eq(t.count, N);
    ck_assert_uint_ge(t.height, 4);
    for (size_t i = N - 1; i > 0; i--) { /* a random order of removal */
        size_t j = s_next() % (i + 1);
        ordo_inode_t *x = nodes[i];
        nodes[i] = nodes[j];
        nodes[j] = x;
    }
    for (size_t i = 0; i < N; i++) {
        ordo_itree_remove(&t, &pool, nodes[i]);
        in[nodes[i] - store] = false;
        if (i % 1499 == 0) {
            TU_CHECK(ordo_itree_check(&t), "remove %zu: invariants broken", i);
            uint64_t lo = s_next() % 33000;
            bool *in_by_node = calloc(N, sizeof *in_by_node);
            ordo_inode_t **by_node = calloc(N, sizeof *by_node);
            for (size_t k = 0; k < N; k++) {
                by_node[k] = &store[k];
                in_by_node[k] = in[k];
            }
            s_query_matches(&t, by_node, in_by_node, N, store, seen, 0, UINT64_MAX, (int)i);
            s_query_matches(&t, by_node, in_by_node, N, store, seen, lo, lo + 1 + s_next() % 200,
                            (int)i);
            free(in_by_node);
            free(by_node);
        }
    }
    ck_assert(ordo_itree_check(&t));
    ck_assert_ptr_null(t.root);
    ck_assert_uint_eq(t.count, 0);
    ck_assert_uint_eq(pool.nfree, pool.nodes); /* every node went back */
    ordo_ipool_fini(&pool);
    free(store);
    free(nodes);
    free(in);
    free(seen);
}
END_TEST

START_TEST(test_replace)
{
    /* A twin takes a node's place: same key, same position, no rebalance;
     * queries then report the twin and never the old node. */
    enum { N = 2000, BLOCKS = 100 };
    ordo_inode_t *store = calloc(2 * N, sizeof *store); /* a: [0, N), twins: [N, 2N) */
    uint8_t *seen = calloc(2 * N, 1);
    ordo_itree_t t = ORDO_ITREE_EMPTY;
    ordo_ipool_t pool;
    ordo_ipool_init(&pool);
    for (size_t i = 0; i < N; i++) {
        uint64_t lo = (i % BLOCKS) * 8;
        store[i] = (ordo_inode_t){.lo = lo, .hi = lo + 8, .seq = i + 1};
        ck_assert(ordo_itree_insert(&t, &pool, &store[i], i % 2));
    }
    size_t nodes_before = pool.nodes - pool.nfree;
    for (size_t i = 0; i < N; i += 3) {
        store[N + i] = (ordo_inode_t){.lo = store[i].lo, .hi = store[i].hi};
        ordo_itree_replace(&t, &store[i], &store[N + i]);
        ck_assert_uint_eq(store[N + i].seq, store[i].seq);
    }
    ck_assert(ordo_itree_check(&t));
    ck_assert_uint_eq(t.count, N);
    ck_assert_uint_eq(pool.nodes - pool.nfree, nodes_before);
    for (size_t blk = 0; blk < BLOCKS; blk++) {
        s_acc_t acc = {.seen = seen, .base = store, .ordered = true};
        ordo_itree_query(&t, blk * 8, blk * 8 + 8, false, s_collect, &acc);
        ck_assert(acc.ordered);
        ck_assert_uint_eq(acc.count, N / BLOCKS);
        for (size_t i = blk; i < N; i += BLOCKS) {
            bool twin = i % 3 == 0;
            ck_assert_uint_eq(seen[i], !twin);
            ck_assert_uint_eq(seen[N + i], twin);
            seen[i] = seen[N + i] = 0;
        }
        /* A twin is of its node's kind: the writes alone, twins or not. */
        acc.count = 0;
        ordo_itree_query(&t, blk * 8, blk * 8 + 8, true, s_collect, &acc);
        ck_assert_uint_eq(acc.count, (blk % 2) * (N / BLOCKS)); /* BLOCKS even: i % 2 == blk % 2 */
        for (size_t i = blk; i < N; i += BLOCKS) {
            bool twin = i % 3 == 0, w = i % 2;
            ck_assert_uint_eq(seen[i], w && !twin);
            ck_assert_uint_eq(seen[N + i], w && twin);
            seen[i] = seen[N + i] = 0;
        }
    }
    for (size_t i = 0; i < N; i++)
        ordo_itree_remove(&t, &pool, &store[i % 3 == 0 ? N + i : i]);
    ck_assert(ordo_itree_check(&t));
    ck_assert_ptr_null(t.root);
    ordo_ipool_fini(&pool);
    free(store);
    free(seen);
}
END_TEST

START_TEST(test_stream_fill)
{
    /* Accesses in increasing order of bytes (a stream over a buffer, a
     * window of tasks each on its own slots) fill their nodes: a node split
     * in its right half keeps up to all but S_MIN - 1 (2) of its 15
     * entries, so the leaves hold 13 or more each, where halving left 8.
     * Ascending one by one (order 0), and by pairs inserted in reverse (a
     * task with two arguments, order 1).  Every node then goes back, in the
     * order tasks finish, the trees staying valid. */
    enum { N = 20000 };
    ordo_inode_t *store = calloc(N, sizeof *store);
    uint8_t *seen = calloc(N, 1);
    for (int order = 0; order < 2; order++) {
        ordo_itree_t t = ORDO_ITREE_EMPTY;
        ordo_ipool_t pool;
        ordo_ipool_init(&pool);
        for (size_t k = 0; k < N; k++) {
            size_t i = order == 0 ? k : k ^ 1;
            store[i] = (ordo_inode_t){.lo = 128 * i, .hi = 128 * i + 64, .seq = k + 1};
            ck_assert(ordo_itree_insert(&t, &pool, &store[i], k % 2));
        }
        ck_assert(ordo_itree_check(&t));
        size_t used = pool.nodes - pool.nfree;
        /* Leaves: N / 13; the levels above: about a thirteenth of that. */
        ck_assert_msg(used <= N / 13 + N / 13 / 12 + 8,
                      "order %d: %zu nodes for %d entries", order, used, (int)N);
        s_acc_t acc = {.seen = seen, .base = store, .ordered = true};
        ordo_itree_query(&t, 128 * 500 + 32, 128 * 502 + 1, false, s_collect, &acc);
        ck_assert(acc.ordered);
        ck_assert_uint_eq(acc.count, 3);
        ck_assert(seen[500] && seen[501] && seen[502]);
        seen[500] = seen[501] = seen[502] = 0;
        for (size_t i = 0; i < N; i++) {
            ordo_itree_remove(&t, &pool, &store[i]);
            if (i % 997 == 0)
                TU_CHECK(ordo_itree_check(&t), "remove %zu: invariants broken", i);
        }
        ck_assert_ptr_null(t.root);
        ck_assert_uint_eq(pool.nfree, pool.nodes);
        ordo_ipool_fini(&pool);
    }
    free(store);
    free(seen);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("index");
    TCase *tc = tcase_create("itree");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_random_against_list);
    tcase_add_test(tc, test_equal_bounds_many);
    tcase_add_test(tc, test_insert_finds_equal_key);
    tcase_add_test(tc, test_grow_and_drain);
    tcase_add_test(tc, test_replace);
    tcase_add_test(tc, test_stream_fill);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
