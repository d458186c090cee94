/*
 * tensor.c - view descriptors: build, slice, index, reshape, permute,
 * broadcast.  Pure arithmetic on ordo_tensor_t values, no round trip.
 *
 * The helpers follow numpy's rules so that bindings can map their
 * operations one to one.  They check what they can know locally (dtype,
 * ndim, extents, slice ranges, contiguity for reshape) and leave the
 * buffer bounds to the daemon, which alone knows the buffer's size and
 * refuses a view that leaves it.  Each helper computes into a local copy
 * and writes *out only on success, so out may alias in.
 */
#include <stdbool.h>
#include <string.h>

#include "ordo.h"
#include "client.h"

/* Offsets and strides come from the application and may be absurd; the
 * daemon refuses views whose arithmetic overflows, so here they wrap
 * (defined behaviour) instead of overflowing (undefined behaviour). */
static int64_t s_wrap_add(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a + (uint64_t)b);
}

static int64_t s_wrap_mul(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a * (uint64_t)b);
}

int ordo_tensor_init(ordo_tensor_t *out, uint64_t buffer, int dtype,
                     int64_t offset, int ndim, const int64_t *shape,
                     const int64_t *strides)
{
    if (!out || ordo_dtype_size(dtype) == 0)
        return ordo_cl_fail(ORDO_EINVAL, "unknown dtype %d", dtype);
    if (ndim < 0 || ndim > ORDO_MAX_NDIM || (ndim > 0 && !shape))
        return ordo_cl_fail(ORDO_EINVAL, "ndim %d outside 0..%d", ndim,
                            ORDO_MAX_NDIM);
    ordo_tensor_t t;
    memset(&t, 0, sizeof t);
    t.buffer = buffer;
    t.dtype = dtype;
    t.ndim = ndim;
    t.offset = offset;
    int64_t s = 1;
    for (int k = ndim - 1; k >= 0; k--) {
        if (shape[k] < 0)
            return ordo_cl_fail(ORDO_EINVAL, "negative extent %lld in dimension %d",
                                (long long)shape[k], k);
        t.shape[k] = shape[k];
        t.strides[k] = strides ? strides[k] : s;
        /* Row-major strides of a huge shape may overflow: the daemon
         * refuses such a view with a clear error, so saturate rather than
         * wrap into a plausible-looking value. */
        if (!strides && shape[k] > 0 && s > INT64_MAX / shape[k])
            s = INT64_MAX;
        else if (!strides)
            s *= shape[k] > 0 ? shape[k] : 1;
    }
    *out = t;
    return 0;
}

int ordo_tensor_slice(ordo_tensor_t *out, const ordo_tensor_t *in, int dim,
                      int64_t start, int64_t stop, int64_t step)
{
    if (!out || !in || dim < 0 || dim >= in->ndim)
        return ordo_cl_fail(ORDO_EINVAL, "slice of dimension %d of a %d-d view",
                            dim, in ? in->ndim : 0);
    if (step == 0 || step == INT64_MIN)
        return ordo_cl_fail(ORDO_EINVAL, "slice step must be non-zero");
    int64_t n = 0;
    /* Counts in unsigned arithmetic: stop - start may not fit int64_t. */
    if (step > 0 && stop > start)
        n = (int64_t)(((uint64_t)stop - (uint64_t)start - 1) / (uint64_t)step + 1);
    else if (step < 0 && start > stop)
        n = (int64_t)(((uint64_t)start - (uint64_t)stop - 1) / (uint64_t)(-step) + 1);
    ordo_tensor_t t = *in;
    if (n > 0) {
        int64_t ext = in->shape[dim];
        /* The last element start + (n-1)*step must stay inside [0, ext);
         * compare counts, never the product, which could overflow. */
        bool inside = start >= 0 && start < ext &&
                      n - 1 <= (step > 0 ? (ext - 1 - start) / step : start / -step);
        if (!inside)
            return ordo_cl_fail(ORDO_EINVAL,
                                "slice %lld:%lld:%lld outside dimension %d of extent %lld",
                                (long long)start, (long long)stop, (long long)step,
                                dim, (long long)ext);
        t.offset = s_wrap_add(t.offset, s_wrap_mul(start, in->strides[dim]));
    }
    t.shape[dim] = n;
    t.strides[dim] = s_wrap_mul(in->strides[dim], step);
    *out = t;
    return 0;
}

int ordo_tensor_index(ordo_tensor_t *out, const ordo_tensor_t *in, int dim,
                      int64_t index)
{
    if (!out || !in || dim < 0 || dim >= in->ndim)
        return ordo_cl_fail(ORDO_EINVAL, "index of dimension %d of a %d-d view",
                            dim, in ? in->ndim : 0);
    if (index < 0 || index >= in->shape[dim])
        return ordo_cl_fail(ORDO_EINVAL, "index %lld outside dimension %d of extent %lld",
                            (long long)index, dim, (long long)in->shape[dim]);
    ordo_tensor_t t = *in;
    t.offset = s_wrap_add(t.offset, s_wrap_mul(index, in->strides[dim]));
    for (int k = dim; k + 1 < in->ndim; k++) {
        t.shape[k] = in->shape[k + 1];
        t.strides[k] = in->strides[k + 1];
    }
    t.ndim--;
    t.shape[t.ndim] = 0;
    t.strides[t.ndim] = 0;
    *out = t;
    return 0;
}

int ordo_tensor_is_contiguous(const ordo_tensor_t *t)
{
    int64_t s = 1;
    for (int k = t->ndim - 1; k >= 0; k--) {
        if (t->shape[k] == 0)
            return 1;                   /* no element: trivially contiguous */
        if (t->shape[k] != 1 && t->strides[k] != s)
            return 0;
        s *= t->shape[k];
    }
    return 1;
}

uint64_t ordo_tensor_elements(const ordo_tensor_t *t)
{
    uint64_t n = 1;
    for (int k = 0; k < t->ndim; k++) {
        uint64_t e = t->shape[k] > 0 ? (uint64_t)t->shape[k] : 0;
        if (e == 0)
            return 0;
        if (n > UINT64_MAX / e)
            return 0;
        n *= e;
    }
    return n;
}

int ordo_tensor_reshape(ordo_tensor_t *out, const ordo_tensor_t *in, int ndim,
                        const int64_t *shape)
{
    if (!out || !in)
        return ordo_cl_fail(ORDO_EINVAL, "reshape of a NULL view");
    if (!ordo_tensor_is_contiguous(in))
        return ordo_cl_fail(ORDO_EINVAL,
                            "reshape needs a row-major contiguous view: copy it first");
    ordo_tensor_t t;
    int rc = ordo_tensor_init(&t, in->buffer, in->dtype, in->offset, ndim, shape, NULL);
    if (rc < 0)
        return rc;
    if (ordo_tensor_elements(&t) != ordo_tensor_elements(in))
        return ordo_cl_fail(ORDO_EINVAL, "reshape from %llu to %llu elements",
                            (unsigned long long)ordo_tensor_elements(in),
                            (unsigned long long)ordo_tensor_elements(&t));
    *out = t;
    return 0;
}

int ordo_tensor_permute(ordo_tensor_t *out, const ordo_tensor_t *in, const int *perm)
{
    if (!out || !in || (in->ndim > 0 && !perm))
        return ordo_cl_fail(ORDO_EINVAL, "permute of a NULL view");
    unsigned seen = 0;
    ordo_tensor_t t = *in;
    for (int k = 0; k < in->ndim; k++) {
        int p = perm[k];
        if (p < 0 || p >= in->ndim || (seen & (1u << p)))
            return ordo_cl_fail(ORDO_EINVAL, "not a permutation of 0..%d", in->ndim - 1);
        seen |= 1u << p;
        t.shape[k] = in->shape[p];
        t.strides[k] = in->strides[p];
    }
    *out = t;
    return 0;
}

int ordo_tensor_transpose(ordo_tensor_t *out, const ordo_tensor_t *in)
{
    if (!out || !in)
        return ordo_cl_fail(ORDO_EINVAL, "transpose of a NULL view");
    int perm[ORDO_MAX_NDIM];
    for (int k = 0; k < in->ndim; k++)
        perm[k] = in->ndim - 1 - k;
    return ordo_tensor_permute(out, in, perm);
}

int ordo_tensor_unsqueeze(ordo_tensor_t *out, const ordo_tensor_t *in, int dim)
{
    if (!out || !in || in->ndim >= ORDO_MAX_NDIM || dim < 0 || dim > in->ndim)
        return ordo_cl_fail(ORDO_EINVAL, "unsqueeze at %d of a %d-d view (at most %d)",
                            dim, in ? in->ndim : 0, ORDO_MAX_NDIM);
    ordo_tensor_t t = *in;
    for (int k = in->ndim; k > dim; k--) {
        t.shape[k] = in->shape[k - 1];
        t.strides[k] = in->strides[k - 1];
    }
    t.shape[dim] = 1;
    t.strides[dim] = 0;
    t.ndim++;
    *out = t;
    return 0;
}

int ordo_tensor_broadcast(ordo_tensor_t *out, const ordo_tensor_t *in, int ndim,
                          const int64_t *shape)
{
    if (!out || !in || ndim < in->ndim || ndim > ORDO_MAX_NDIM || (ndim > 0 && !shape))
        return ordo_cl_fail(ORDO_EINVAL, "broadcast of a %d-d view to %d dimensions",
                            in ? in->ndim : 0, ndim);
    ordo_tensor_t t = *in;
    int lead = ndim - in->ndim;
    for (int k = ndim - 1; k >= 0; k--) {
        if (shape[k] < 0)
            return ordo_cl_fail(ORDO_EINVAL, "negative extent in broadcast shape");
        if (k < lead) {
            t.shape[k] = shape[k];
            t.strides[k] = 0;
            continue;
        }
        int64_t e = in->shape[k - lead], st = in->strides[k - lead];
        if (e == shape[k]) {
            t.shape[k] = e;
            t.strides[k] = st;
        } else if (e == 1) {
            t.shape[k] = shape[k];
            t.strides[k] = 0;
        } else {
            return ordo_cl_fail(ORDO_EINVAL,
                                "cannot broadcast extent %lld to %lld in dimension %d",
                                (long long)e, (long long)shape[k], k);
        }
    }
    t.ndim = ndim;
    *out = t;
    return 0;
}
