/*
 * check_map.c - the hash maps against a plain array, through inserts,
 * replacements and removals (backward-shift deletion is the subtle part).
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "map.h"

START_TEST(test_u64_random)
{
    enum { N = 4096 };
    static uintptr_t ref[N];
    memset(ref, 0, sizeof ref);
    ordo_map_t *m = ordo_map_new();
    uint64_t x = 12345;
    size_t count = 0;
    for (int step = 0; step < 200000; step++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        uint64_t k = (x >> 33) % N;
        uint64_t key = k * 0x10000 + 1;      /* clustered keys */
        if ((x >> 20) & 1) {
            uintptr_t v = (uintptr_t)step + 1;
            ck_assert_int_eq(ordo_map_put(m, key, (void *)v), 0);
            count += ref[k] == 0;
            ref[k] = v;
        } else {
            void *got = ordo_map_remove(m, key);
            ck_assert_ptr_eq(got, (void *)ref[k]);
            count -= ref[k] != 0;
            ref[k] = 0;
        }
        if (step % 997 == 0)
            for (size_t i = 0; i < N; i++)
                ck_assert_ptr_eq(ordo_map_get(m, i * 0x10000 + 1), (void *)ref[i]);
        ck_assert_uint_eq(ordo_map_size(m), count);
    }
    ordo_map_destroy(&m);
    ck_assert_ptr_null(m);
}
END_TEST

START_TEST(test_strings)
{
    ordo_smap_t *m = ordo_smap_new();
    char key[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "name-%d", i);
        ck_assert_int_eq(ordo_smap_put(m, key, strlen(key), (void *)(uintptr_t)(i + 1)), 0);
    }
    ck_assert_int_eq(ordo_smap_put(m, "\0bin\0", 5, (void *)7), 0);
    ck_assert_ptr_eq(ordo_smap_get(m, "\0bin\0", 5), (void *)7);
    ck_assert_ptr_null(ordo_smap_get(m, "\0bin", 4));
    for (int i = 0; i < 1000; i += 2) {
        snprintf(key, sizeof key, "name-%d", i);
        ck_assert_ptr_eq(ordo_smap_remove(m, key, strlen(key)), (void *)(uintptr_t)(i + 1));
    }
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "name-%d", i);
        void *want = (i % 2) ? (void *)(uintptr_t)(i + 1) : NULL;
        ck_assert_ptr_eq(ordo_smap_get(m, key, strlen(key)), want);
    }
    ck_assert_uint_eq(ordo_smap_size(m), 501);
    ordo_smap_destroy(&m);
}
END_TEST

static Suite *s_suite(void)
{
    Suite *s = suite_create("map");
    TCase *tc = tcase_create("map");
    tcase_add_test(tc, test_u64_random);
    tcase_add_test(tc, test_strings);
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
