/*
 * pbtest.h - what the wire tests (check_dwire.c, check_wire.c) share: a
 * reproducible source of values of every varint length, and protobuf-c's
 * packing of the reference messages that the hand-written code must match.
 */
#ifndef ORDO_PBTEST_H_INCLUDED
#define ORDO_PBTEST_H_INCLUDED

#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "ordo.pb-c.h"

/* xorshift64: the tests' random source. */
static inline uint64_t pbt_rand(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* A value of every varint length: zero (a field left out), small, every
 * bit width up to the extremes, any. */
static inline uint64_t pbt_value(uint64_t *x)
{
    switch (pbt_rand(x) % 4) {
    case 0:
        return 0;
    case 1:
        return pbt_rand(x) % 200;
    case 2:
        return UINT64_MAX >> (pbt_rand(x) % 64);
    default:
        return pbt_rand(x);
    }
}

/* A ServerMsg or ClientMsg packed by protobuf-c into a malloc'd buffer
 * with room for extra more bytes; returns the packed length. */
static inline size_t pbt_pack_server(const Ordo__V1__ServerMsg *msg, size_t extra, uint8_t **out)
{
    size_t len = ordo__v1__server_msg__get_packed_size(msg);
    *out = malloc(len + extra + 1);
    ck_assert_ptr_nonnull(*out);
    ck_assert_uint_eq(ordo__v1__server_msg__pack(msg, *out), len);
    return len;
}

static inline size_t pbt_pack_client(const Ordo__V1__ClientMsg *msg, size_t extra, uint8_t **out)
{
    size_t len = ordo__v1__client_msg__get_packed_size(msg);
    *out = malloc(len + extra + 1);
    ck_assert_ptr_nonnull(*out);
    ck_assert_uint_eq(ordo__v1__client_msg__pack(msg, *out), len);
    return len;
}

/* A ServerMsg of the n Completions at items. */
static inline size_t pbt_pack_completions(Ordo__V1__Completion *items, size_t n, size_t extra,
                                          uint8_t **out)
{
    Ordo__V1__Completion **ptrs = calloc(n + 1, sizeof *ptrs);
    ck_assert_ptr_nonnull(ptrs);
    for (size_t i = 0; i < n; i++)
        ptrs[i] = &items[i];
    Ordo__V1__Completions comps = ORDO__V1__COMPLETIONS__INIT;
    comps.n_items = n;
    comps.items = ptrs;
    Ordo__V1__ServerMsg msg = ORDO__V1__SERVER_MSG__INIT;
    msg.msg_case = ORDO__V1__SERVER_MSG__MSG_COMPLETIONS;
    msg.completions = &comps;
    size_t len = pbt_pack_server(&msg, extra, out);
    free(ptrs);
    return len;
}

#endif /* ORDO_PBTEST_H_INCLUDED */
