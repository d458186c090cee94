/*
 * view.h - geometry of tensor views: validation, byte bounds, and exact
 * overlap and containment tests.
 *
 * A view is (dtype, offset, shape[ndim], strides[ndim]) over one buffer,
 * offset and strides counted in elements.  Its footprint is the set of bytes
 *
 *     (offset + sum_k i_k * strides[k]) * esize + b,   0 <= i_k < shape[k],
 *                                                      0 <= b < esize.
 *
 * Every test works on a footprint in canonical form (ordo_fp_t): byte units,
 * strides made positive, broadcast and unit dimensions dropped, dimensions
 * sorted by stride and merged where they tile each other.  Two views with the
 * same footprint have the same canonical form whatever their shape, strides
 * or element type, which is what makes the tests ignore names and keep bytes.
 *
 * Invariants: the answer "disjoint" is never wrong.  The overlap test is exact
 * within a bounded amount of work; past it, it answers "overlap" and counts
 * the conservative answer.  The containment test answers "contains" only
 * when it is sure.
 */
#ifndef ORDO_VIEW_H_INCLUDED
#define ORDO_VIEW_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

#include "ordo.h"

/* Buffers are at most 2^48 bytes, so that every sum and product of the
 * canonical arithmetic stays far away from 64-bit overflow. */
#define ORDO_MAX_BUFFER_BYTES (UINT64_C(1) << 48)

/* A view as the daemon receives it. */
typedef struct {
    int32_t dtype;
    int32_t ndim;
    int64_t offset;
    int64_t shape[ORDO_MAX_NDIM];
    int64_t strides[ORDO_MAX_NDIM];
} ordo_view_t;

/* One dimension of a canonical footprint: count positions stride bytes apart. */
typedef struct {
    uint64_t stride;
    uint64_t count;
} ordo_fpdim_t;

/* A footprint in canonical form.  The bytes are base + sum_k j_k*dim[k].stride
 * for 0 <= j_k < dim[k].count; dim[0] is the contiguous run (stride 1).
 * Empty footprints have ndim == 0 and lo == hi. */
typedef struct {
    uint64_t lo, hi;            /* byte bounds [lo, hi) */
    uint32_t ndim;              /* dimensions in use, <= ORDO_MAX_NDIM + 1 */
    ordo_fpdim_t dim[ORDO_MAX_NDIM + 1];
} ordo_fp_t;

/* Counters of the geometry tests; the caller owns them (no globals). */
typedef struct {
    uint64_t overlap_tests;     /* calls of ordo_fp_overlap */
    uint64_t overlap_solved;    /* answered by the exact solver (not a fast path) */
    uint64_t conservative;      /* answered "overlap" without proof */
    uint64_t contain_tests;
    uint64_t contain_unknown;   /* answered "no" without proof */
} ordo_geom_stats_t;

/* Work limit of one overlap test (solver nodes) and one containment test. */
#define ORDO_OVERLAP_MAX_WORK 50000
#define ORDO_CONTAIN_MAX_WORK 4096

/* Checks a view against a buffer of buffer_bytes bytes: known dtype,
 * 0 <= ndim <= ORDO_MAX_NDIM, shapes >= 0, no overflow, every byte of the
 * footprint inside the buffer.  Returns 0, ORDO_EINVAL (malformed) or
 * ORDO_ERANGE (outside the buffer or overflow).  A view with a zero extent
 * is valid and touches no byte.  If err is not NULL, a reason is written. */
int ordo_view_check(const ordo_view_t *v, uint64_t buffer_bytes,
                    char *err, size_t errlen);

/* Number of elements of a view that passed ordo_view_check (the product of
 * its shape) in out, or false when it exceeds ORDO_MAX_BUFFER_BYTES: a
 * broadcast view can name far more elements than it has bytes, up to 2^64
 * and past it, so whoever iterates over them must bound the work. */
bool ordo_view_elements(const ordo_view_t *v, uint64_t *out);

/* Computes the canonical footprint of a view that passed ordo_view_check. */
void ordo_fp_make(ordo_fp_t *fp, const ordo_view_t *v);

/* Number of bytes in a footprint (counting each byte once when the view
 * does not overlap itself; an upper bound otherwise). */
uint64_t ordo_fp_bytes(const ordo_fp_t *fp);

static inline bool ordo_fp_empty(const ordo_fp_t *fp) { return fp->lo == fp->hi; }

/* Do the footprints share a byte?  False is always right; true is exact
 * unless the solver ran out of work, which is counted in st->conservative. */
bool ordo_fp_overlap(const ordo_fp_t *a, const ordo_fp_t *b, ordo_geom_stats_t *st);

/* Is every byte of inner also a byte of outer?  True is always right; false
 * may be wrong past the work limit (counted in st->contain_unknown). */
bool ordo_fp_contains(const ordo_fp_t *outer, const ordo_fp_t *inner,
                      ordo_geom_stats_t *st);

#endif /* ORDO_VIEW_H_INCLUDED */
