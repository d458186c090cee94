/*
 * check_tensor.c - libordo's view helpers (client/tensor.c): numpy's rules
 * for slicing, indexing, reshaping, permuting and broadcasting, checked
 * element by element against the offsets the rules define.
 */
#include <check.h>
#include <stdlib.h>

#include "hostref.h"
#include "ordo.h"

static ordo_tensor_t s_base(int ndim, const int64_t *shape)
{
    ordo_tensor_t t;
    ck_assert_int_eq(ordo_tensor_init(&t, 7, ORDO_F32, 0, ndim, shape, NULL), 0);
    return t;
}

START_TEST(test_init)
{
    ordo_tensor_t t;
    int64_t shape[3] = {2, 3, 4};
    ck_assert_int_eq(ordo_tensor_init(&t, 7, ORDO_F32, 5, 3, shape, NULL), 0);
    ck_assert_int_eq(t.strides[0], 12);
    ck_assert_int_eq(t.strides[1], 4);
    ck_assert_int_eq(t.strides[2], 1);
    ck_assert_uint_eq(t.buffer, 7);
    ck_assert_int_eq(t.offset, 5);
    ck_assert_uint_eq(ordo_tensor_elements(&t), 24);
    ck_assert(ordo_tensor_is_contiguous(&t));
    ck_assert_int_eq(ordo_tensor_init(&t, 7, 99, 0, 3, shape, NULL), ORDO_EINVAL);
    ck_assert_int_eq(ordo_tensor_init(&t, 7, ORDO_F32, 0, ORDO_MAX_NDIM + 1, shape, NULL),
                     ORDO_EINVAL);
    int64_t neg[1] = {-1};
    ck_assert_int_eq(ordo_tensor_init(&t, 7, ORDO_F32, 0, 1, neg, NULL), ORDO_EINVAL);
    ck_assert_int_eq(ordo_tensor_init(&t, 7, ORDO_F64, 0, 0, NULL, NULL), 0);
    ck_assert_uint_eq(ordo_tensor_elements(&t), 1);
}
END_TEST

START_TEST(test_slice_and_index)
{
    int64_t shape[2] = {6, 5};
    ordo_tensor_t m = s_base(2, shape), s, r;
    /* m[1:6:2, :] */
    ck_assert_int_eq(ordo_tensor_slice(&s, &m, 0, 1, 6, 2), 0);
    ck_assert_int_eq(s.shape[0], 3);
    ck_assert_int_eq(s.strides[0], 10);
    ck_assert_int_eq(s.offset, 5);
    /* m[:, 4:0:-2] (as slice(4, 0, -2).indices(5)) */
    ck_assert_int_eq(ordo_tensor_slice(&r, &m, 1, 4, 0, -2), 0);
    ck_assert_int_eq(r.shape[1], 2);
    ck_assert_int_eq(r.strides[1], -2);
    ck_assert_int_eq(r.offset, 4);
    /* m[:, ::-1] is slice(4, -1, -1).indices(5) */
    ck_assert_int_eq(ordo_tensor_slice(&r, &m, 1, 4, -1, -1), 0);
    ck_assert_int_eq(r.shape[1], 5);
    int64_t offs[30];
    href_offsets(&r, offs);
    ck_assert_int_eq(offs[0], 4);
    ck_assert_int_eq(offs[4], 0);
    ck_assert_int_eq(offs[5], 9);
    /* empty slices are fine, out of range ones are not */
    ck_assert_int_eq(ordo_tensor_slice(&r, &m, 0, 3, 3, 1), 0);
    ck_assert_uint_eq(ordo_tensor_elements(&r), 0);
    ck_assert_int_eq(ordo_tensor_slice(&r, &m, 0, 0, 7, 1), ORDO_EINVAL);
    ck_assert_int_eq(ordo_tensor_slice(&r, &m, 0, -1, 3, 1), ORDO_EINVAL);
    ck_assert_int_eq(ordo_tensor_slice(&r, &m, 0, 0, 3, 0), ORDO_EINVAL);
    ck_assert_int_eq(ordo_tensor_slice(&r, &m, 2, 0, 3, 1), ORDO_EINVAL);
    ck_assert_int_eq(ordo_tensor_slice(&r, &m, 0, INT64_MAX - 1, INT64_MIN, -INT64_MAX),
                     ORDO_EINVAL);
    /* m[2] and m[:, 3] */
    ck_assert_int_eq(ordo_tensor_index(&r, &m, 0, 2), 0);
    ck_assert_int_eq(r.ndim, 1);
    ck_assert_int_eq(r.offset, 10);
    ck_assert_int_eq(ordo_tensor_index(&r, &m, 1, 3), 0);
    ck_assert_int_eq(r.shape[0], 6);
    ck_assert_int_eq(r.strides[0], 5);
    ck_assert_int_eq(r.offset, 3);
    ck_assert_int_eq(ordo_tensor_index(&r, &m, 1, 5), ORDO_EINVAL);
    /* out may alias in */
    r = m;
    ck_assert_int_eq(ordo_tensor_slice(&r, &r, 0, 2, 4, 1), 0);
    ck_assert_int_eq(r.offset, 10);
}
END_TEST

START_TEST(test_reshape_permute_broadcast)
{
    int64_t shape[2] = {4, 6}, s3[3] = {2, 3, 4};
    ordo_tensor_t m = s_base(2, shape), r, t, b;
    ck_assert_int_eq(ordo_tensor_reshape(&r, &m, 3, s3), 0);
    ck_assert_int_eq(r.strides[0], 12);
    ck_assert_int_eq(r.strides[2], 1);
    int64_t bad[1] = {23};
    ck_assert_int_eq(ordo_tensor_reshape(&r, &m, 1, bad), ORDO_EINVAL);
    /* a transpose is not contiguous: no reshape */
    ck_assert_int_eq(ordo_tensor_transpose(&t, &m), 0);
    ck_assert_int_eq(t.shape[0], 6);
    ck_assert_int_eq(t.strides[0], 1);
    ck_assert_int_eq(t.strides[1], 6);
    ck_assert(!ordo_tensor_is_contiguous(&t));
    int64_t flat[1] = {24};
    ck_assert_int_eq(ordo_tensor_reshape(&r, &t, 1, flat), ORDO_EINVAL);
    /* a contiguous row slice is */
    ck_assert_int_eq(ordo_tensor_slice(&r, &m, 0, 1, 3, 1), 0);
    int64_t s12[1] = {12};
    ck_assert_int_eq(ordo_tensor_reshape(&r, &r, 1, s12), 0);
    ck_assert_int_eq(r.offset, 6);
    /* permute */
    ordo_tensor_t p3 = s_base(3, s3);
    int perm[3] = {2, 0, 1};
    ck_assert_int_eq(ordo_tensor_permute(&r, &p3, perm), 0);
    ck_assert_int_eq(r.shape[0], 4);
    ck_assert_int_eq(r.strides[0], 1);
    ck_assert_int_eq(r.strides[1], 12);
    int dup[3] = {0, 0, 1};
    ck_assert_int_eq(ordo_tensor_permute(&r, &p3, dup), ORDO_EINVAL);
    /* broadcast a row [6] to [4, 6], and a column [4, 1] to [4, 6] */
    ck_assert_int_eq(ordo_tensor_index(&r, &m, 0, 1), 0);
    ck_assert_int_eq(ordo_tensor_broadcast(&b, &r, 2, shape), 0);
    ck_assert_int_eq(b.strides[0], 0);
    ck_assert_int_eq(b.strides[1], 1);
    ck_assert_int_eq(ordo_tensor_index(&r, &m, 1, 2), 0);
    ck_assert_int_eq(ordo_tensor_unsqueeze(&r, &r, 1), 0);
    ck_assert_int_eq(r.shape[1], 1);
    ck_assert_int_eq(ordo_tensor_broadcast(&b, &r, 2, shape), 0);
    ck_assert_int_eq(b.strides[0], 6);
    ck_assert_int_eq(b.strides[1], 0);
    int64_t offs[24];
    href_offsets(&b, offs);
    ck_assert_int_eq(offs[0], 2);
    ck_assert_int_eq(offs[5], 2);
    ck_assert_int_eq(offs[6], 8);
    int64_t wrong[2] = {4, 5};
    ck_assert_int_eq(ordo_tensor_broadcast(&b, &m, 2, wrong), ORDO_EINVAL);
}
END_TEST

static Suite *s_suite(void)
{
    Suite *s = suite_create("tensor");
    TCase *tc = tcase_create("views");
    tcase_add_test(tc, test_init);
    tcase_add_test(tc, test_slice_and_index);
    tcase_add_test(tc, test_reshape_permute_broadcast);
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
