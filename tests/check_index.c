/*
 * check_index.c - the interval trees of the access index against a plain
 * list: every query reports exactly the intersecting nodes, in order, and
 * the AVL and augmentation invariants hold after every change.
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
    bool *in = calloc(N, sizeof *in);
    uint8_t *seen = calloc(N, 1);
    ordo_itree_t t = {NULL, 0};
    uint64_t seq = 0;
    for (int r = 0; r < ROUNDS; r++) {
        size_t i = s_next() % N;
        if (in[i]) {
            ordo_itree_remove(&t, &nodes[i]);
            in[i] = false;
        } else {
            nodes[i].lo = s_next() % 10000;
            nodes[i].hi = nodes[i].lo + 1 + s_next() % (s_next() % 8 ? 50 : 3000);
            nodes[i].seq = ++seq;
            ordo_itree_insert(&t, &nodes[i]);
            in[i] = true;
        }
        if (r % 97 == 0)
            TU_CHECK(ordo_itree_check(&t), "round %d: tree invariants broken", r);
        uint64_t lo = s_next() % 10500, hi = lo + 1 + s_next() % 400;
        s_acc_t acc = {.seen = seen, .base = nodes, .ordered = true};
        ordo_itree_query(&t, lo, hi, s_collect, &acc);
        TU_CHECK(acc.ordered, "round %d: query out of order", r);
        for (size_t j = 0; j < N; j++) {
            bool want = in[j] && nodes[j].lo < hi && nodes[j].hi > lo;
            TU_CHECK(seen[j] == want, "round %d node %zu: reported %u, want %d", r, j,
                          seen[j], want);
            seen[j] = 0;
        }
    }
    ck_assert(ordo_itree_check(&t));
    free(nodes);
    free(in);
    free(seen);
}
END_TEST

START_TEST(test_equal_bounds_many)
{
    /* Many accesses of the same bytes (readers of one block). */
    enum { N = 1000 };
    ordo_inode_t *nodes = calloc(N, sizeof *nodes);
    ordo_itree_t t = {NULL, 0};
    for (size_t i = 0; i < N; i++) {
        nodes[i] = (ordo_inode_t){.lo = 64, .hi = 128, .seq = i + 1};
        ordo_itree_insert(&t, &nodes[i]);
    }
    ck_assert(ordo_itree_check(&t));
    ck_assert_int_le(t.root->height, 15);
    uint8_t *seen = calloc(N, 1);
    s_acc_t acc = {.seen = seen, .base = nodes, .ordered = true};
    ordo_itree_query(&t, 127, 128, s_collect, &acc);
    ck_assert_uint_eq(acc.count, N);
    acc.count = 0;
    ordo_itree_query(&t, 128, 200, s_collect, &acc);
    ordo_itree_query(&t, 0, 64, s_collect, &acc);
    ck_assert_uint_eq(acc.count, 0);
    for (size_t i = 0; i < N; i += 2)
        ordo_itree_remove(&t, &nodes[i]);
    ck_assert(ordo_itree_check(&t));
    ck_assert_uint_eq(t.count, N / 2);
    free(nodes);
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
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
