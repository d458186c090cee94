/*
 * check_view.c - view geometry: validation, canonical footprints, the exact
 * overlap test and the containment test, against a byte-set oracle.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "view.h"

/* ---------------------------------------------------------------- oracle */

/* Marks every byte of v in bits (one byte per buffer byte). */
static void s_mark(const ordo_view_t *v, uint8_t *bits)
{
    int64_t idx[ORDO_MAX_NDIM] = {0};
    size_t es = ordo_dtype_size(v->dtype);
    for (int k = 0; k < v->ndim; k++)
        if (v->shape[k] == 0)
            return;
    for (;;) {
        int64_t e = v->offset;
        for (int k = 0; k < v->ndim; k++)
            e += idx[k] * v->strides[k];
        for (size_t b = 0; b < es; b++)
            bits[e * (int64_t)es + (int64_t)b] = 1;
        int k = v->ndim - 1;
        while (k >= 0 && ++idx[k] == v->shape[k])
            idx[k--] = 0;
        if (k < 0)
            return;
    }
}

static bool s_oracle_overlap(const ordo_view_t *a, const ordo_view_t *b, size_t bytes)
{
    uint8_t *x = calloc(bytes, 1), *y = calloc(bytes, 1);
    s_mark(a, x);
    s_mark(b, y);
    bool r = false;
    for (size_t i = 0; i < bytes && !r; i++)
        r = x[i] && y[i];
    free(x);
    free(y);
    return r;
}

static bool s_oracle_contains(const ordo_view_t *outer, const ordo_view_t *inner, size_t bytes)
{
    uint8_t *x = calloc(bytes, 1), *y = calloc(bytes, 1);
    s_mark(outer, x);
    s_mark(inner, y);
    bool r = true;
    for (size_t i = 0; i < bytes && r; i++)
        r = !y[i] || x[i];
    free(x);
    free(y);
    return r;
}

static bool s_overlap(const ordo_view_t *a, const ordo_view_t *b, ordo_geom_stats_t *st)
{
    ordo_fp_t fa, fb;
    ordo_fp_make(&fa, a);
    ordo_fp_make(&fb, b);
    bool ab = ordo_fp_overlap(&fa, &fb, st), ba = ordo_fp_overlap(&fb, &fa, st);
    TU_CHECK(ab == ba, "overlap is not symmetric");
    return ab;
}

static bool s_contains(const ordo_view_t *outer, const ordo_view_t *inner, ordo_geom_stats_t *st)
{
    ordo_fp_t fo, fi;
    ordo_fp_make(&fo, outer);
    ordo_fp_make(&fi, inner);
    return ordo_fp_contains(&fo, &fi, st);
}

/* ------------------------------------------------------- required cases */

#define N16 I64(16)

START_TEST(test_column_blocks_interleave_but_disjoint)
{
    ordo_geom_stats_t st = {0};
    ordo_view_t x = tu_base(ORDO_F32, 2, N16, N16);
    ordo_view_t a = tu_slice(x, 1, 0, 4, 1), b = tu_slice(x, 1, 8, 12, 1);
    ordo_fp_t fa, fb;
    ordo_fp_make(&fa, &a);
    ordo_fp_make(&fb, &b);
    ck_assert(fa.lo < fb.hi && fb.lo < fa.hi); /* byte ranges interleave */
    ck_assert(!s_overlap(&a, &b, &st));
    ck_assert_uint_eq(st.conservative, 0);
}
END_TEST

START_TEST(test_even_odd_rows_disjoint)
{
    ordo_geom_stats_t st = {0};
    ordo_view_t x = tu_base(ORDO_F32, 2, N16, N16);
    ordo_view_t a = tu_slice(x, 0, 0, 16, 2), b = tu_slice(x, 0, 1, 16, 2);
    ck_assert(!s_overlap(&a, &b, &st));
    ck_assert(s_overlap(&a, &a, &st));
    /* And even/odd elements of a flat view. */
    ordo_view_t f = tu_reshape(x, 1, I64(256));
    ordo_view_t e = tu_slice(f, 0, 0, 256, 2), o = tu_slice(f, 0, 1, 256, 2);
    ck_assert(!s_overlap(&e, &o, &st));
    ck_assert_uint_eq(st.conservative, 0);
}
END_TEST

START_TEST(test_transpose_block_vs_columns_disjoint)
{
    ordo_geom_stats_t st = {0};
    ordo_view_t x = tu_base(ORDO_F32, 2, N16, N16);
    ordo_view_t a = tu_slice(tu_T(x), 0, 0, 4, 1); /* x.T[0:4,:] = columns 0..3 */
    ordo_view_t b = tu_slice(x, 1, 4, 8, 1);       /* x[:,4:8] */
    ck_assert(!s_overlap(&a, &b, &st));
    ordo_view_t c = tu_slice(x, 1, 3, 8, 1);       /* x[:,3:8] meets column 3 */
    ck_assert(s_overlap(&a, &c, &st));
    ck_assert_uint_eq(st.conservative, 0);
}
END_TEST

START_TEST(test_reshape_rows_overlap_and_contain)
{
    ordo_geom_stats_t st = {0};
    ordo_view_t x = tu_base(ORDO_F32, 2, N16, N16);
    ordo_view_t a = tu_slice(tu_reshape(x, 1, I64(256)), 0, 64, 128, 1);
    ordo_view_t b = tu_slice(x, 0, 4, 8, 1);
    ck_assert(s_overlap(&a, &b, &st));
    ck_assert(s_contains(&a, &b, &st));
    ck_assert(s_contains(&b, &a, &st));
    ordo_view_t c = tu_slice(x, 0, 4, 9, 1);
    ck_assert(s_contains(&c, &a, &st));
    ck_assert(!s_contains(&a, &c, &st));
    ck_assert_uint_eq(st.conservative, 0);
    ck_assert_uint_eq(st.contain_unknown, 0);
}
END_TEST

START_TEST(test_f32_and_u8_views_of_same_bytes)
{
    ordo_geom_stats_t st = {0};
    ordo_view_t x = tu_base(ORDO_F32, 2, N16, N16);
    ordo_view_t a = tu_slice(x, 1, 2, 3, 1);              /* one f32 column */
    ordo_view_t u = tu_retype(x, ORDO_U8);                /* [16, 64] u8 */
    ordo_view_t b = tu_slice(u, 1, 11, 12, 1);            /* byte 3 of column 2 */
    ordo_view_t c = tu_slice(u, 1, 12, 13, 1);            /* byte 0 of column 3 */
    ck_assert(s_overlap(&a, &b, &st));
    ck_assert(!s_overlap(&a, &c, &st));
    ck_assert(s_contains(&a, &b, &st));
    ck_assert_uint_eq(st.conservative, 0);
}
END_TEST

START_TEST(test_broadcast_and_negative_strides)
{
    ordo_geom_stats_t st = {0};
    ordo_view_t x = tu_base(ORDO_F64, 1, I64(32));
    ordo_view_t r = tu_slice(x, 0, 31, -1, -1);           /* x[::-1] */
    ck_assert(s_contains(&r, &x, &st) && s_contains(&x, &r, &st));
    ordo_view_t b = tu_broadcast(tu_slice(x, 0, 3, 4, 1), 0, I64(1000)); /* x[3] x1000 */
    ordo_view_t odd = tu_slice(x, 0, 31, 0, -2);          /* 31, 29, ..., 1 */
    ck_assert(s_overlap(&b, &odd, &st));
    ordo_view_t even = tu_slice(x, 0, 30, -1, -2);
    ck_assert(!s_overlap(&b, &even, &st));
    ck_assert_uint_eq(st.conservative, 0);
}
END_TEST

START_TEST(test_empty_views_touch_nothing)
{
    ordo_geom_stats_t st = {0};
    ordo_view_t x = tu_base(ORDO_F32, 2, N16, N16);
    ordo_view_t e = tu_slice(x, 0, 4, 4, 1);
    ck_assert_int_eq(ordo_view_check(&e, 1024, NULL, 0), 0);
    ck_assert(!s_overlap(&e, &x, &st));
    ck_assert(s_contains(&x, &e, &st));
}
END_TEST

START_TEST(test_element_count_is_bounded)
{
    /* A view of 8 bytes broadcast to 2^20 x 2^20 x 2^20 elements passes the
     * checks (its bytes are in the buffer), but its 2^60 elements exceed
     * ORDO_MAX_BUFFER_BYTES: counting refuses it instead of wrapping. */
    ordo_view_t x = tu_base(ORDO_F64, 1, I64(1));
    ordo_view_t b = tu_broadcast(x, 0, I64(1) << 20);
    uint64_t n = 0;
    ck_assert(ordo_view_elements(&b, &n));
    ck_assert_uint_eq(n, UINT64_C(1) << 20);
    ordo_view_t big = b;
    big.ndim = 3;
    big.shape[1] = big.shape[2] = I64(1) << 20;
    big.strides[1] = big.strides[2] = 0;
    ck_assert_int_eq(ordo_view_check(&big, 8, NULL, 0), 0);
    ck_assert(!ordo_view_elements(&big, &n));
    big.shape[2] = 0; /* any zero extent: no element at all */
    ck_assert(ordo_view_elements(&big, &n));
    ck_assert_uint_eq(n, 0);
    big.shape[2] = I64(1) << 8; /* 2^48 exactly: still counted */
    ck_assert(ordo_view_elements(&big, &n));
    ck_assert_uint_eq(n, ORDO_MAX_BUFFER_BYTES);
}
END_TEST

/* ------------------------------------------------------------ validation */

START_TEST(test_validation)
{
    char err[200];
    ordo_view_t x = tu_base(ORDO_F32, 2, N16, N16);
    ck_assert_int_eq(ordo_view_check(&x, 1024, err, sizeof err), 0);
    ck_assert_int_eq(ordo_view_check(&x, 1023, err, sizeof err), ORDO_ERANGE);
    ck_assert_ptr_nonnull(strstr(err, "leaves its buffer"));

    ordo_view_t v = x;
    v.dtype = 99;
    ck_assert_int_eq(ordo_view_check(&v, 1024, err, sizeof err), ORDO_EINVAL);
    v = x;
    v.ndim = ORDO_MAX_NDIM + 1;
    ck_assert_int_eq(ordo_view_check(&v, 1024, err, sizeof err), ORDO_EINVAL);
    v = x;
    v.shape[0] = -1;
    ck_assert_int_eq(ordo_view_check(&v, 1024, err, sizeof err), ORDO_EINVAL);
    v = x;
    v.offset = -1;
    ck_assert_int_eq(ordo_view_check(&v, 1024, err, sizeof err), ORDO_ERANGE);
    v = x;
    v.strides[0] = INT64_MAX / 2;
    ck_assert_int_eq(ordo_view_check(&v, 1024, err, sizeof err), ORDO_ERANGE);
    v = x;
    v.shape[0] = INT64_MAX;
    v.strides[0] = 1;
    ck_assert_int_eq(ordo_view_check(&v, 1024, err, sizeof err), ORDO_ERANGE);
    v = x;
    v.offset = INT64_MAX - 10;
    ck_assert_int_eq(ordo_view_check(&v, 1024, err, sizeof err), ORDO_ERANGE);
    v = tu_slice(x, 0, 15, -1, -1); /* negative stride, in bounds */
    ck_assert_int_eq(ordo_view_check(&v, 1024, err, sizeof err), 0);
    v.offset = 14;                  /* now the first row would be row -1 */
    ck_assert_int_eq(ordo_view_check(&v, 1024, err, sizeof err), ORDO_ERANGE);
    v = x;
    v.ndim = 0;                     /* a scalar: one element */
    ck_assert_int_eq(ordo_view_check(&v, 4, err, sizeof err), 0);
    ck_assert_int_eq(ordo_view_check(&v, 3, err, sizeof err), ORDO_ERANGE);
    ck_assert_int_eq(ordo_view_check(&x, ORDO_MAX_BUFFER_BYTES + 1, err, sizeof err),
                     ORDO_ERANGE);
}
END_TEST

/* ------------------------------------------- random pairs against oracle */

static uint64_t s_rng;
static uint64_t s_next(void)
{
    uint64_t z = (s_rng += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}
static int64_t s_rand(int64_t n) { return (int64_t)(s_next() % (uint64_t)n); }

/* An arbitrary strided view (not only the structured class) that fits in
 * bytes: random dtype, ndim, shape, strides of both signs, offset. */
static ordo_view_t s_random_view(size_t bytes)
{
    static const int dts[] = {ORDO_U8, ORDO_I16, ORDO_F32, ORDO_F64, ORDO_BF16};
    for (;;) {
        ordo_view_t v;
        memset(&v, 0, sizeof v);
        v.dtype = dts[s_rand(5)];
        v.ndim = (int32_t)s_rand(4) + 1;
        for (int k = 0; k < v.ndim; k++) {
            v.shape[k] = s_rand(5) + 1;
            v.strides[k] = s_rand(25) - 12;
        }
        int64_t nel = (int64_t)(bytes / ordo_dtype_size(v.dtype));
        v.offset = s_rand(nel);
        if (ordo_view_check(&v, bytes, NULL, 0) == 0)
            return v;
    }
}

START_TEST(test_random_pairs_match_oracle)
{
    const size_t bytes = 512;
    ordo_geom_stats_t st = {0};
    s_rng = 42;
    uint64_t contain_true = 0, contain_missed = 0;
    for (int i = 0; i < 200000; i++) {
        ordo_view_t a = s_random_view(bytes), b = s_random_view(bytes);
        bool want = s_oracle_overlap(&a, &b, bytes);
        TU_CHECK(s_overlap(&a, &b, &st) == want, "pair %d: overlap wrong", i);
        bool sub = s_oracle_contains(&a, &b, bytes);
        bool got = s_contains(&a, &b, &st);
        TU_CHECK(!got || sub, "pair %d: contains claimed without being true", i);
        contain_true += sub;
        contain_missed += sub && !got;
    }
    ck_assert_uint_eq(st.conservative, 0);
    /* Containment may say "no" without proof only when it counts it. */
    ck_assert_uint_le(contain_missed, st.contain_unknown);
    ck_assert_uint_gt(contain_true, 100);
}
END_TEST

/* A number for a field of a view: small of both signs, or anywhere in
 * 64 bits, or an edge of int64_t. */
static int64_t s_wild(void)
{
    switch (s_rand(6)) {
    case 0:
        return s_rand(9) - 2;
    case 1:
        return s_rand(2001) - 1000;
    case 2:
        return (int64_t)(s_next() >> s_rand(64));
    case 3:
        return -(int64_t)(s_next() >> (1 + s_rand(63)));
    case 4:
        return s_rand(2) ? INT64_MAX : INT64_MIN;
    default:
        return s_rand(300);
    }
}

/* ordo_view_check and ordo_fp_make take a shorter path for views of one
 * dimension.  The same view with a unit or a broadcast dimension added
 * (same bytes) takes the general path: both must give the same answer and
 * the same canonical form, on random views, valid or not. */
START_TEST(test_one_dim_fast_path_matches_general)
{
    s_rng = 7;
    uint64_t valid = 0, strided = 0;
    for (int i = 0; i < 400000; i++) {
        ordo_view_t v;
        memset(&v, 0, sizeof v);
        v.dtype = (int32_t)s_rand(ORDO_U64 + 2); /* 0 and ORDO_U64 + 1 are unknown */
        v.ndim = 1;
        v.offset = s_wild();
        v.shape[0] = s_wild();
        v.strides[0] = s_wild();
        uint64_t bytes;
        switch (s_rand(4)) {
        case 0:
            bytes = (uint64_t)s_rand(5000);
            break;
        case 1:
            bytes = ORDO_MAX_BUFFER_BYTES + (uint64_t)s_rand(2);
            break;
        default:
            bytes = s_next() >> (15 + s_rand(49));
            break;
        }
        ordo_view_t g = v; /* the extra dimension first or last */
        int k = (int)s_rand(2);
        g.ndim = 2;
        g.shape[k] = s_rand(2) ? 1 : s_rand(50) + 1;
        g.strides[k] = g.shape[k] == 1 ? s_wild() : 0;
        g.shape[1 - k] = v.shape[0];
        g.strides[1 - k] = v.strides[0];
        int rc = ordo_view_check(&v, bytes, NULL, 0);
        TU_CHECK(rc == ordo_view_check(&g, bytes, NULL, 0), "view %d: check %d differs", i, rc);
        if (rc != 0)
            continue;
        valid++;
        ordo_fp_t a, b;
        ordo_fp_make(&a, &v);
        ordo_fp_make(&b, &g);
        TU_CHECK(a.lo == b.lo && a.hi == b.hi && a.ndim == b.ndim, "view %d: bounds differ", i);
        for (uint32_t d = 0; d < a.ndim; d++)
            TU_CHECK(a.dim[d].stride == b.dim[d].stride && a.dim[d].count == b.dim[d].count,
                     "view %d: dimension %u differs", i, d);
        strided += a.ndim == 2;
    }
    ck_assert_uint_gt(valid, 20000); /* 23,585 with this seed, 15,123 strided */
    ck_assert_uint_gt(strided, 10000);
}
END_TEST

/* A pair whose equation has several large, coprime coefficients: the search
 * may run out of work; then the answer must be "overlap" and counted. */
START_TEST(test_conservative_answers_are_counted)
{
    ordo_geom_stats_t st = {0};
    ordo_view_t a = {.dtype = ORDO_U8, .ndim = 4, .offset = 0,
                     .shape = {400, 400, 400, 400}, .strides = {1000003, 999983, 999979, 999961}};
    ordo_view_t b = {.dtype = ORDO_U8, .ndim = 4, .offset = 7,
                     .shape = {400, 400, 400, 400}, .strides = {1000033, 1000037, 1000039, 999953}};
    ck_assert_int_eq(ordo_view_check(&a, UINT64_C(1) << 32, NULL, 0), 0);
    ck_assert_int_eq(ordo_view_check(&b, UINT64_C(1) << 32, NULL, 0), 0);
    bool r = s_overlap(&a, &b, &st);
    ck_assert_uint_gt(st.overlap_solved, 0);
    if (st.conservative)
        ck_assert(r);
    ck_assert_uint_gt(st.conservative, 0);
}
END_TEST

static Suite *s_suite(void)
{
    Suite *s = suite_create("view");
    TCase *tc = tcase_create("exact");
    tcase_add_test(tc, test_column_blocks_interleave_but_disjoint);
    tcase_add_test(tc, test_even_odd_rows_disjoint);
    tcase_add_test(tc, test_transpose_block_vs_columns_disjoint);
    tcase_add_test(tc, test_reshape_rows_overlap_and_contain);
    tcase_add_test(tc, test_f32_and_u8_views_of_same_bytes);
    tcase_add_test(tc, test_broadcast_and_negative_strides);
    tcase_add_test(tc, test_empty_views_touch_nothing);
    tcase_add_test(tc, test_element_count_is_bounded);
    suite_add_tcase(s, tc);
    tc = tcase_create("validation");
    tcase_add_test(tc, test_validation);
    tcase_add_test(tc, test_one_dim_fast_path_matches_general);
    suite_add_tcase(s, tc);
    tc = tcase_create("oracle");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_random_pairs_match_oracle);
    tcase_add_test(tc, test_conservative_answers_are_counted);
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
