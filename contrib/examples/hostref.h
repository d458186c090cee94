/*
 * hostref.h - a sequential reference for ordod's built-in element-wise
 * kernels, over host memory.
 *
 * Each function applies one kernel to f32 views of host arrays exactly as
 * ordod's built-ins define it: elements visited in row-major order of the
 * view's shape, and the same float expressions (y = (float)alpha * x + y,
 * x = (float)alpha * x, dst = (float)value), so that a program run by the
 * daemon, in whatever order its dependencies allow, must give bit-identical
 * results.  Compile with -ffp-contract=off: a fused multiply-add rounds
 * once and would differ in the last bit.
 *
 * Used by the examples and by the end-to-end tests; header-only.
 */
#ifndef ORDO_HOSTREF_H_INCLUDED
#define ORDO_HOSTREF_H_INCLUDED

#include <stdint.h>
#include <string.h>

#include "ordo.h"

/* Calls fn(k, off, arg) for the k-th element of the view in row-major
 * order, off being its element offset (offset + sum_i idx_i * stride_i). */
static inline void href_each(const ordo_tensor_t *t,
                             void (*fn)(uint64_t k, int64_t off, void *arg), void *arg)
{
    int64_t idx[ORDO_MAX_NDIM] = {0};
    uint64_t n = ordo_tensor_elements(t);
    if (t->ndim == 0)
        n = 1;
    int64_t off = t->offset;
    for (uint64_t k = 0; k < n; k++) {
        fn(k, off, arg);
        /* Odometer increment of the index, keeping off in step. */
        for (int d = t->ndim - 1; d >= 0; d--) {
            if (++idx[d] < t->shape[d]) {
                off += t->strides[d];
                break;
            }
            off -= (idx[d] - 1) * t->strides[d];
            idx[d] = 0;
        }
    }
}

/* Offsets of a view's elements, in row-major order, into offs[]
 * (ordo_tensor_elements(t) of them). */
struct href_offs_ctx {
    int64_t *offs;
};

static inline void href_offs_fn(uint64_t k, int64_t off, void *arg)
{
    ((struct href_offs_ctx *)arg)->offs[k] = off;
}

static inline void href_offsets(const ordo_tensor_t *t, int64_t *offs)
{
    struct href_offs_ctx c = {offs};
    href_each(t, href_offs_fn, &c);
}

struct href_ctx {
    float *dst;
    const float *src;
    const int64_t *src_offs;
    float a;
};

static inline void href_fill_fn(uint64_t k, int64_t off, void *arg)
{
    struct href_ctx *c = arg;
    (void)k;
    c->dst[off] = c->a;
}

static inline void href_copy_fn(uint64_t k, int64_t off, void *arg)
{
    struct href_ctx *c = arg;
    c->dst[off] = c->src[c->src_offs[k]];
}

static inline void href_axpy_fn(uint64_t k, int64_t off, void *arg)
{
    struct href_ctx *c = arg;
    c->dst[off] = c->a * c->src[c->src_offs[k]] + c->dst[off];
}

static inline void href_scale_fn(uint64_t k, int64_t off, void *arg)
{
    struct href_ctx *c = arg;
    (void)k;
    c->dst[off] = c->a * c->dst[off];
}

/* fill: dst = (float)value. */
static inline void href_fill(float *dbuf, const ordo_tensor_t *dst, double value)
{
    struct href_ctx c = {dbuf, NULL, NULL, (float)value};
    href_each(dst, href_fill_fn, &c);
}

/* copy: dst = src, element k of one to element k of the other (row-major
 * order of each view's own shape; the shapes are equal).  Like ordod's
 * kernels (daemon/KERNELS.md), each position reads its inputs and then
 * writes its output, so a task whose own arguments overlap gives the same
 * bytes here as there.  scratch holds ordo_tensor_elements(src) offsets. */
static inline void href_copy(float *dbuf, const ordo_tensor_t *dst, const float *sbuf,
                             const ordo_tensor_t *src, int64_t *scratch)
{
    href_offsets(src, scratch);
    struct href_ctx c = {dbuf, sbuf, scratch, 0};
    href_each(dst, href_copy_fn, &c);
}

/* axpy: y = (float)alpha * x + y. */
static inline void href_axpy(float *ybuf, const ordo_tensor_t *y, double alpha,
                             const float *xbuf, const ordo_tensor_t *x, int64_t *scratch)
{
    href_offsets(x, scratch);
    struct href_ctx c = {ybuf, xbuf, scratch, (float)alpha};
    href_each(y, href_axpy_fn, &c);
}

/* scale: x = (float)alpha * x. */
static inline void href_scale(float *xbuf, const ordo_tensor_t *x, double alpha)
{
    struct href_ctx c = {xbuf, NULL, NULL, (float)alpha};
    href_each(x, href_scale_fn, &c);
}

#endif /* ORDO_HOSTREF_H_INCLUDED */
