/*
 * testutil.h - numpy-style construction of views for the core tests.
 *
 * These helpers build ordo_view_t values the way a user's tensor library
 * would: a contiguous base, then slicing with steps, reshaping (of
 * contiguous views), transposing and broadcasting.  They abort the test on
 * misuse, so a test never silently builds another view than it meant.
 */
#ifndef ORDO_TESTUTIL_H_INCLUDED
#define ORDO_TESTUTIL_H_INCLUDED

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view.h"

static inline void tu_die(const char *what)
{
    fprintf(stderr, "testutil: %s\n", what);
    abort();
}

/* A contiguous (row-major) view of shape dims at element offset 0.
 * The dims are int64_t varargs: pass I64(n), never a plain int. */
static inline ordo_view_t tu_base(int dtype, int ndim, ...)
{
    ordo_view_t v;
    memset(&v, 0, sizeof v);
    v.dtype = dtype;
    v.ndim = ndim;
    va_list ap;
    va_start(ap, ndim);
    for (int k = 0; k < ndim; k++)
        v.shape[k] = va_arg(ap, int64_t);
    va_end(ap);
    int64_t s = 1;
    for (int k = ndim - 1; k >= 0; k--) {
        v.strides[k] = s;
        s *= v.shape[k];
    }
    return v;
}

/* v[..., start:stop:step, ...] along dim k (numpy semantics for step > 0
 * and step < 0 with explicit, in-range start and stop). */
static inline ordo_view_t tu_slice(ordo_view_t v, int k, int64_t start, int64_t stop,
                                   int64_t step)
{
    if (k < 0 || k >= v.ndim || step == 0)
        tu_die("bad slice");
    int64_t n = 0;
    if (step > 0 && stop > start)
        n = (stop - start + step - 1) / step;
    else if (step < 0 && start > stop)
        n = (start - stop + (-step) - 1) / (-step);
    if (n > 0 && (start < 0 || start >= v.shape[k] || start + (n - 1) * step < 0 ||
                  start + (n - 1) * step >= v.shape[k]))
        tu_die("slice out of range");
    if (n > 0)
        v.offset += start * v.strides[k];
    v.shape[k] = n;
    v.strides[k] *= step;
    return v;
}

/* v[i] along dim k: removes the dimension. */
static inline ordo_view_t tu_index(ordo_view_t v, int k, int64_t i)
{
    if (k < 0 || k >= v.ndim || i < 0 || i >= v.shape[k])
        tu_die("bad index");
    v.offset += i * v.strides[k];
    for (int j = k; j + 1 < v.ndim; j++) {
        v.shape[j] = v.shape[j + 1];
        v.strides[j] = v.strides[j + 1];
    }
    v.ndim--;
    return v;
}

/* Transpose: reverses the dimensions (numpy .T). */
static inline ordo_view_t tu_T(ordo_view_t v)
{
    ordo_view_t t = v;
    for (int k = 0; k < v.ndim; k++) {
        t.shape[k] = v.shape[v.ndim - 1 - k];
        t.strides[k] = v.strides[v.ndim - 1 - k];
    }
    return t;
}

/* Swaps dimensions a and b. */
static inline ordo_view_t tu_swap(ordo_view_t v, int a, int b)
{
    int64_t s = v.shape[a], st = v.strides[a];
    v.shape[a] = v.shape[b];
    v.strides[a] = v.strides[b];
    v.shape[b] = s;
    v.strides[b] = st;
    return v;
}

/* Reshape of a row-major contiguous view (dies otherwise). */
static inline ordo_view_t tu_reshape(ordo_view_t v, int ndim, ...)
{
    int64_t n = 1, s = 1;
    for (int k = v.ndim - 1; k >= 0; k--) {
        if (v.shape[k] != 1 && v.strides[k] != s)
            tu_die("reshape of a non-contiguous view");
        s *= v.shape[k];
        n *= v.shape[k];
    }
    ordo_view_t r;
    memset(&r, 0, sizeof r);
    r.dtype = v.dtype;
    r.offset = v.offset;
    r.ndim = ndim;
    int64_t m = 1;
    va_list ap;
    va_start(ap, ndim);
    for (int k = 0; k < ndim; k++) {
        r.shape[k] = va_arg(ap, int64_t);
        m *= r.shape[k];
    }
    va_end(ap);
    if (m != n)
        tu_die("reshape changes the element count");
    s = 1;
    for (int k = ndim - 1; k >= 0; k--) {
        r.strides[k] = s;
        s *= r.shape[k];
    }
    return r;
}

/* Inserts a broadcast dimension of size n (stride 0) at position k. */
static inline ordo_view_t tu_broadcast(ordo_view_t v, int k, int64_t n)
{
    if (v.ndim >= ORDO_MAX_NDIM || k < 0 || k > v.ndim)
        tu_die("bad broadcast");
    for (int j = v.ndim; j > k; j--) {
        v.shape[j] = v.shape[j - 1];
        v.strides[j] = v.strides[j - 1];
    }
    v.shape[k] = n;
    v.strides[k] = 0;
    v.ndim++;
    return v;
}

/* Reinterprets a contiguous-innermost view as another dtype of the same
 * bytes, like numpy's .view(dtype): the last dimension is rescaled. */
static inline ordo_view_t tu_retype(ordo_view_t v, int dtype)
{
    size_t from = ordo_dtype_size(v.dtype), to = ordo_dtype_size(dtype);
    if (v.ndim == 0 || v.strides[v.ndim - 1] != 1)
        tu_die("retype needs a contiguous last dimension");
    int64_t bytes_last = v.shape[v.ndim - 1] * (int64_t)from;
    if (bytes_last % (int64_t)to || (v.offset * (int64_t)from) % (int64_t)to)
        tu_die("retype does not divide");
    for (int k = 0; k < v.ndim - 1; k++) {
        if ((v.strides[k] * (int64_t)from) % (int64_t)to)
            tu_die("retype stride does not divide");
        v.strides[k] = v.strides[k] * (int64_t)from / (int64_t)to;
    }
    v.offset = v.offset * (int64_t)from / (int64_t)to;
    v.shape[v.ndim - 1] = bytes_last / (int64_t)to;
    v.dtype = dtype;
    return v;
}

#define I64(x) ((int64_t)(x))

/* An assertion for hot loops: Check records every passing ck_assert with a
 * write to its log pipe, which costs more than the code under test.  This
 * one only calls into Check when the condition fails. */
#define TU_CHECK(cond, ...)              \
    do {                                 \
        if (!(cond))                     \
            ck_abort_msg(__VA_ARGS__);   \
    } while (0)

#endif /* ORDO_TESTUTIL_H_INCLUDED */
