/*
 * pbwire.h - the protobuf wire format by hand, for the hot messages.
 *
 * Submit and Completions carry every task, and protobuf-c's generic pack
 * and unpack (descriptor walks, a scan pass and a recursive unpack per
 * sub-message) cost more than the scheduling itself.  daemon/dwire.c
 * reads Submit and writes Completions, client/wire.c writes Submit and
 * reads Completions, with these helpers; protobuf-c does everything else,
 * and the tests compare the two.
 *
 * The reader follows protobuf-c's reading exactly where it accepts: a
 * varint of at most 10 bytes (bits past the 64th dropped).  It is stricter
 * where protobuf-c has quirks, and answers false there so that the caller
 * hands the whole message to protobuf-c: keys and length prefixes of more
 * than 4 bytes (protobuf-c reads 5 with 32-bit overflow), field number 0,
 * and the wire types protobuf-c refuses (groups, 6, 7).
 */
#ifndef ORDO_PBWIRE_H_INCLUDED
#define ORDO_PBWIRE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    const uint8_t *p, *end;
} ordo_pb_rd_t;

/* A varint value. */
static inline bool ordo_pb_varint(ordo_pb_rd_t *r, uint64_t *v)
{
    const uint8_t *p = r->p;
    if (p < r->end && *p < 0x80) {
        *v = *p;
        r->p = p + 1;
        return true;
    }
    uint64_t x = 0;
    for (unsigned shift = 0; shift < 64 && p < r->end; shift += 7) {
        uint8_t b = *p++;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            r->p = p;
            return true;
        }
    }
    return false;
}

/* A varint of at most four bytes: keys and length prefixes (protobuf-c
 * reads five with a 32-bit overflow; longer ones go to it). */
static inline bool ordo_pb_varint4(ordo_pb_rd_t *r, uint32_t *v)
{
    const uint8_t *p = r->p;
    uint32_t x = 0;
    for (unsigned i = 0; i < 4 && p < r->end; i++) {
        uint8_t b = *p++;
        x |= (uint32_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *v = x;
            r->p = p;
            return true;
        }
    }
    return false;
}

/* The payload of a length-delimited field, into sub. */
static inline bool ordo_pb_sub(ordo_pb_rd_t *r, ordo_pb_rd_t *sub)
{
    ordo_pb_rd_t at = *r;
    uint32_t n;
    if (at.p < at.end && *at.p < 0x80)      /* under 128 bytes: one byte */
        n = *at.p++;
    else if (!ordo_pb_varint4(&at, &n))
        return false;
    if (n > (size_t)(at.end - at.p))
        return false;
    sub->p = at.p;
    sub->end = at.p + n;
    r->p = at.p + n;
    return true;
}

/* Skips the value of a field of wire type wt (an unknown field). */
static inline bool ordo_pb_skip(ordo_pb_rd_t *r, unsigned wt)
{
    uint64_t v;
    ordo_pb_rd_t sub = { NULL, NULL };
    switch (wt) {
    case 0:
        return ordo_pb_varint(r, &v);
    case 1:
        if (r->end - r->p < 8)
            return false;
        r->p += 8;
        return true;
    case 2:
        return ordo_pb_sub(r, &sub);
    case 5:
        if (r->end - r->p < 4)
            return false;
        r->p += 4;
        return true;
    default:
        return false;
    }
}

/* Checks the payload of a packed repeated varint field and counts its
 * values into *n: the bytes that end a varint, none of them more than 10
 * bytes, the last one ending. */
static inline bool ordo_pb_count(ordo_pb_rd_t v, size_t *n)
{
    size_t k = 0;
    unsigned run = 0;
    for (const uint8_t *p = v.p; p < v.end; p++) {
        if (!(*p & 0x80)) {
            k++;
            run = 0;
        } else if (++run == 10) {
            return false;
        }
    }
    *n += k;
    return run == 0;
}

/* The next value of a run of varints already checked (by ordo_pb_count or
 * ordo_pb_varint): no end to test.  The same value as ordo_pb_varint. */
static inline uint64_t ordo_pb_next(const uint8_t **pp)
{
    const uint8_t *p = *pp;
    uint64_t x = *p++;
    if (x >= 0x80) {
        x &= 0x7f;
        for (unsigned shift = 7;; shift += 7) {    /* at most 10 bytes: shift <= 63 */
            uint64_t b = *p++;
            x |= (b & 0x7f) << shift;
            if (b < 0x80)
                break;
        }
    }
    *pp = p;
    return x;
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */

/* The bytes of a varint: 7 bits a byte. */
static inline size_t ordo_pb_varint_len(uint64_t v)
{
    return ((size_t)(64 - __builtin_clzll(v | 1)) + 6) / 7;
}

static inline uint8_t *ordo_pb_put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* Fields of one-byte tag as proto3 writes them: a varint left out when
 * zero, a length-delimited payload left out when empty.  Their sizes and
 * their bytes. */
static inline size_t ordo_pb_varint_field_len(uint64_t v)
{
    return v ? 1 + ordo_pb_varint_len(v) : 0;
}

static inline size_t ordo_pb_len_field_len(size_t len)
{
    return len ? 1 + ordo_pb_varint_len(len) + len : 0;
}

static inline uint8_t *ordo_pb_put_varint_field(uint8_t *p, uint8_t tag, uint64_t v)
{
    if (v) {
        *p++ = tag;
        p = ordo_pb_put_varint(p, v);
    }
    return p;
}

static inline uint8_t *ordo_pb_put_len_field(uint8_t *p, uint8_t tag, const void *data,
                                             size_t len)
{
    if (len) {
        *p++ = tag;
        p = ordo_pb_put_varint(p, len);
        memcpy(p, data, len);
        p += len;
    }
    return p;
}

#endif /* ORDO_PBWIRE_H_INCLUDED */
