/*
 * builtin.c - the built-in kernels of ordod (documented in KERNELS.md).
 *
 * Every kernel works on arbitrary strided views (negative and zero strides
 * included) and visits elements in row-major order of the view's shape, one
 * element at a time: for each position it reads its inputs, then writes its
 * output.  That order is part of the contract, so that a client can
 * reproduce any result bit for bit, even when a task's own arguments
 * overlap.  Arithmetic runs in the element type without fused multiply-add
 * (ordod is built with -ffp-contract=off).
 *
 * Each kernel has a check, run at submission, that refuses malformed tasks
 * (arity, modes, types, shapes, parameter sizes); run only fails for what
 * depends on the data (an index out of range) or by design (fail).
 */
#include <math.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "kernels.h"
#include "ordo_limits.h"

/* ------------------------------------------------------------------ */
/* Checking helpers.                                                   */

static const char *const s_mode_names[] = { "?", "in", "out", "inout" };

/* Arity, and that the task carries no host data unless allowed. */
static int s_arity(const ordo_kernel_call_t *c, const char *kernel, uint32_t nargs,
                   bool data_ok)
{
    if (c->nargs != nargs)
        return ordo_kernel_fail(c, ORDO_EINVAL, "%s takes %u argument%s, got %u", kernel,
                                nargs, nargs == 1 ? "" : "s", c->nargs);
    if (!data_ok && c->ndata)
        return ordo_kernel_fail(c, ORDO_EINVAL, "%s takes no data (got %zu bytes)", kernel,
                                c->ndata);
    return 0;
}

/* The declared mode of argument j must include every access the kernel
 * makes (ORDO_IN bit: reads; ORDO_OUT bit: writes). */
static int s_mode(const ordo_kernel_call_t *c, const char *kernel, uint32_t j,
                  const char *what, int needed)
{
    int m = c->args[j].mode;
    if ((m & needed) != needed)
        return ordo_kernel_fail(c, ORDO_EINVAL, "%s: arg %u (%s) must be %s, not %s", kernel,
                                j, what, s_mode_names[needed & 3], s_mode_names[m & 3]);
    return 0;
}

/* Exactly n parameter bytes. */
static int s_params(const ordo_kernel_call_t *c, const char *kernel, size_t n)
{
    if (c->nparams != n)
        return ordo_kernel_fail(c, ORDO_EINVAL, "%s takes %zu parameter bytes, got %zu",
                                kernel, n, c->nparams);
    return 0;
}

static bool s_same_shape(const ordo_karg_t *a, const ordo_karg_t *b)
{
    if (a->ndim != b->ndim)
        return false;
    for (int32_t k = 0; k < a->ndim; k++)
        if (a->shape[k] != b->shape[k])
            return false;
    return true;
}

static void s_shape_text(const ordo_karg_t *a, char *out, size_t n)
{
    size_t used = (size_t)snprintf(out, n, "[");
    for (int32_t k = 0; k < a->ndim && used < n; k++)
        used += (size_t)snprintf(out + used, n - used, "%s%lld", k ? "," : "",
                                 (long long)a->shape[k]);
    if (used < n)
        snprintf(out + used, n - used, "]");
}

static int s_shapes(const ordo_kernel_call_t *c, const char *kernel, uint32_t i, uint32_t j)
{
    if (s_same_shape(&c->args[i], &c->args[j]))
        return 0;
    char a[128], b[128];
    s_shape_text(&c->args[i], a, sizeof a);
    s_shape_text(&c->args[j], b, sizeof b);
    return ordo_kernel_fail(c, ORDO_EINVAL, "%s: shapes differ: arg %u %s, arg %u %s", kernel,
                            i, a, j, b);
}

static int s_same_dtype(const ordo_kernel_call_t *c, const char *kernel, uint32_t i, uint32_t j)
{
    if (c->args[i].dtype == c->args[j].dtype)
        return 0;
    return ordo_kernel_fail(c, ORDO_EINVAL, "%s: dtypes differ: arg %u %s, arg %u %s", kernel,
                            i, ordo_dtype_name(c->args[i].dtype), j,
                            ordo_dtype_name(c->args[j].dtype));
}

/* Argument j holds f32 or f64 (the arithmetic kernels' types). */
static int s_float(const ordo_kernel_call_t *c, const char *kernel, uint32_t j)
{
    int32_t t = c->args[j].dtype;
    if (t == ORDO_F32 || t == ORDO_F64)
        return 0;
    return ordo_kernel_fail(c, ORDO_EINVAL, "%s: arg %u has dtype %s; f32 or f64 needed",
                            kernel, j, ordo_dtype_name(t));
}

/* The 8 parameter bytes as a little-endian f64 (the size was checked). */
static double s_f64_param(const ordo_kernel_call_t *c)
{
    const unsigned char *p = c->params;
    uint64_t bits = 0;
    for (int i = 7; i >= 0; i--)
        bits = (bits << 8) | p[i];
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

/* The 8 parameter bytes as a little-endian u64. */
static uint64_t s_u64_param(const ordo_kernel_call_t *c)
{
    const unsigned char *p = c->params;
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

#define S_TRY(expr)              \
    do {                         \
        int s_rc_ = (expr);      \
        if (s_rc_ != 0)          \
            return s_rc_;        \
    } while (0)

/* ------------------------------------------------------------------ */
/* copy: dst (out) = src (in); same shape and dtype, any dtype.        */

static int s_copy_check(const ordo_kernel_call_t *c)
{
    S_TRY(s_arity(c, "copy", 2, false));
    S_TRY(s_mode(c, "copy", 0, "dst", ORDO_OUT));
    S_TRY(s_mode(c, "copy", 1, "src", ORDO_IN));
    S_TRY(s_same_dtype(c, "copy", 0, 1));
    S_TRY(s_shapes(c, "copy", 0, 1));
    return s_params(c, "copy", 0);
}

static int s_copy(const ordo_kernel_call_t *c)
{
    size_t esize = ordo_dtype_size(c->args[0].dtype);
    ordo_kiter_t d, s;
    ordo_kiter_init(&d, &c->args[0]);
    ordo_kiter_init(&s, &c->args[1]);
    char *pd, *ps;
    while ((pd = ordo_kiter_next(&d)) && (ps = ordo_kiter_next(&s))) {
        char tmp[8];
        memcpy(tmp, ps, esize);
        memcpy(pd, tmp, esize);
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* fill: dst (out) = value (f64 param), converted to the dtype.        */

static bool s_int_range(int32_t dtype, double *lo, double *hi)
{
    switch (dtype) {
    case ORDO_I8: *lo = -128.0; *hi = 127.0; return true;
    case ORDO_I16: *lo = -32768.0; *hi = 32767.0; return true;
    case ORDO_I32: *lo = -2147483648.0; *hi = 2147483647.0; return true;
    case ORDO_I64: *lo = -9223372036854775808.0; *hi = 9223372036854775807.0; return true;
    case ORDO_U8: *lo = 0; *hi = 255.0; return true;
    case ORDO_U16: *lo = 0; *hi = 65535.0; return true;
    case ORDO_U32: *lo = 0; *hi = 4294967295.0; return true;
    case ORDO_U64: *lo = 0; *hi = 18446744073709551615.0; return true;
    default: return false;
    }
}

/* f32 to IEEE binary16, rounding to nearest even; overflow gives
 * infinity, NaN stays a (quiet) NaN. */
static uint16_t s_f32_to_f16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    uint32_t exp = (x >> 23) & 0xff, man = x & 0x7fffff;
    if (exp == 0xff)
        return (uint16_t)(sign | 0x7c00 | (man ? 0x200 : 0));
    int32_t e = (int32_t)exp - 127 + 15;
    if (e >= 31)
        return (uint16_t)(sign | 0x7c00);
    if (e <= 0) {
        if (e < -10)
            return sign;                        /* rounds to zero */
        man |= 0x800000;                        /* subnormal half */
        uint32_t shift = (uint32_t)(14 - e);
        uint32_t half = man >> shift, rest = man & ((1u << shift) - 1);
        uint32_t mid = 1u << (shift - 1);
        if (rest > mid || (rest == mid && (half & 1)))
            half++;
        return (uint16_t)(sign | half);
    }
    uint32_t half = ((uint32_t)e << 10) | (man >> 13), rest = man & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1)))
        half++;                                 /* may carry into inf: right */
    return (uint16_t)(sign | half);
}

/* f32 to bfloat16 (the high half), rounding to nearest even. */
static uint16_t s_f32_to_bf16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    if ((x & 0x7f800000) == 0x7f800000 && (x & 0x7fffff))
        return (uint16_t)((x >> 16) | 0x40);    /* quiet NaN */
    x += 0x7fff + ((x >> 16) & 1);
    return (uint16_t)(x >> 16);
}

static int s_fill_check(const ordo_kernel_call_t *c)
{
    S_TRY(s_arity(c, "fill", 1, false));
    S_TRY(s_mode(c, "fill", 0, "dst", ORDO_OUT));
    S_TRY(s_params(c, "fill", 8));
    int32_t t = c->args[0].dtype;
    if (t == ORDO_F32 || t == ORDO_F64 || t == ORDO_F16 || t == ORDO_BF16)
        return 0;
    double v = s_f64_param(c), lo, hi;
    if (!s_int_range(t, &lo, &hi))
        return ordo_kernel_fail(c, ORDO_EINVAL, "fill: dtype %s is not supported",
                                ordo_dtype_name(t));
    /* hi of 64-bit types rounds up to 2^63 / 2^64, which is out of range. */
    bool top64 = (t == ORDO_I64 || t == ORDO_U64);
    if (!(v >= lo && (top64 ? v < hi : v <= hi)) || v != floor(v))
        return ordo_kernel_fail(c, ORDO_EINVAL, "fill: value %g is not a %s", v,
                                ordo_dtype_name(t));
    return 0;
}

static int s_fill(const ordo_kernel_call_t *c)
{
    int32_t t = c->args[0].dtype;
    size_t esize = ordo_dtype_size(t);
    double v = s_f64_param(c);
    unsigned char bytes[8];
    switch (t) {
    case ORDO_F32: { float f = (float)v; memcpy(bytes, &f, 4); break; }
    case ORDO_F64: memcpy(bytes, &v, 8); break;
    case ORDO_F16: { uint16_t h = s_f32_to_f16((float)v); memcpy(bytes, &h, 2); break; }
    case ORDO_BF16: { uint16_t h = s_f32_to_bf16((float)v); memcpy(bytes, &h, 2); break; }
    case ORDO_I8: { int8_t x = (int8_t)v; memcpy(bytes, &x, 1); break; }
    case ORDO_I16: { int16_t x = (int16_t)v; memcpy(bytes, &x, 2); break; }
    case ORDO_I32: { int32_t x = (int32_t)v; memcpy(bytes, &x, 4); break; }
    case ORDO_I64: { int64_t x = (int64_t)v; memcpy(bytes, &x, 8); break; }
    case ORDO_U8: { uint8_t x = (uint8_t)v; memcpy(bytes, &x, 1); break; }
    case ORDO_U16: { uint16_t x = (uint16_t)v; memcpy(bytes, &x, 2); break; }
    case ORDO_U32: { uint32_t x = (uint32_t)v; memcpy(bytes, &x, 4); break; }
    case ORDO_U64: { uint64_t x = (uint64_t)v; memcpy(bytes, &x, 8); break; }
    default:
        return ordo_kernel_fail(c, ORDO_EINVAL, "fill: dtype %s is not supported",
                                ordo_dtype_name(t));
    }
    ordo_kiter_t d;
    ordo_kiter_init(&d, &c->args[0]);
    for (char *p; (p = ordo_kiter_next(&d));)
        memcpy(p, bytes, esize);
    return 0;
}

/* ------------------------------------------------------------------ */
/* axpy: y (inout) = alpha * x (in) + y;  scale: x (inout) = alpha * x  */

static int s_axpy_check(const ordo_kernel_call_t *c)
{
    S_TRY(s_arity(c, "axpy", 2, false));
    S_TRY(s_mode(c, "axpy", 0, "y", ORDO_INOUT));
    S_TRY(s_mode(c, "axpy", 1, "x", ORDO_IN));
    S_TRY(s_float(c, "axpy", 0));
    S_TRY(s_same_dtype(c, "axpy", 0, 1));
    S_TRY(s_shapes(c, "axpy", 0, 1));
    return s_params(c, "axpy", 8);
}

static int s_axpy(const ordo_kernel_call_t *c)
{
    double alpha = s_f64_param(c);
    ordo_kiter_t y, x;
    ordo_kiter_init(&y, &c->args[0]);
    ordo_kiter_init(&x, &c->args[1]);
    char *py, *px;
    if (c->args[0].dtype == ORDO_F32) {
        float a = (float)alpha;
        while ((py = ordo_kiter_next(&y)) && (px = ordo_kiter_next(&x))) {
            float xv, yv;
            memcpy(&xv, px, 4);
            memcpy(&yv, py, 4);
            yv = a * xv + yv;
            memcpy(py, &yv, 4);
        }
    } else {
        while ((py = ordo_kiter_next(&y)) && (px = ordo_kiter_next(&x))) {
            double xv, yv;
            memcpy(&xv, px, 8);
            memcpy(&yv, py, 8);
            yv = alpha * xv + yv;
            memcpy(py, &yv, 8);
        }
    }
    return 0;
}

static int s_scale_check(const ordo_kernel_call_t *c)
{
    S_TRY(s_arity(c, "scale", 1, false));
    S_TRY(s_mode(c, "scale", 0, "x", ORDO_INOUT));
    S_TRY(s_float(c, "scale", 0));
    return s_params(c, "scale", 8);
}

static int s_scale(const ordo_kernel_call_t *c)
{
    double alpha = s_f64_param(c);
    ordo_kiter_t x;
    ordo_kiter_init(&x, &c->args[0]);
    char *p;
    if (c->args[0].dtype == ORDO_F32) {
        float a = (float)alpha;
        while ((p = ordo_kiter_next(&x))) {
            float v;
            memcpy(&v, p, 4);
            v = a * v;
            memcpy(p, &v, 4);
        }
    } else {
        while ((p = ordo_kiter_next(&x))) {
            double v;
            memcpy(&v, p, 8);
            v = alpha * v;
            memcpy(p, &v, 8);
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* gather_rows: dst[i,:] = src[idx[i],:];  scatter_rows: dst[idx[i],:] = src[i,:] */

/* Shared check: rows is the [M,D] side indexed by i, table the [N,D] side
 * indexed by idx[i]. */
static int s_rows_check(const ordo_kernel_call_t *c, const char *kernel, uint32_t rows,
                        uint32_t table)
{
    S_TRY(s_arity(c, kernel, 3, false));
    S_TRY(s_params(c, kernel, 0));
    const ordo_karg_t *r = &c->args[rows], *t = &c->args[table], *idx = &c->args[2];
    if (r->ndim != 2 || t->ndim != 2)
        return ordo_kernel_fail(c, ORDO_EINVAL, "%s: dst and src must be 2-d (got %d-d, %d-d)",
                                kernel, c->args[0].ndim, c->args[1].ndim);
    if (idx->ndim != 1)
        return ordo_kernel_fail(c, ORDO_EINVAL, "%s: idx must be 1-d (got %d-d)", kernel,
                                idx->ndim);
    if (idx->dtype != ORDO_I32 && idx->dtype != ORDO_I64)
        return ordo_kernel_fail(c, ORDO_EINVAL, "%s: idx must be i32 or i64, not %s", kernel,
                                ordo_dtype_name(idx->dtype));
    S_TRY(s_same_dtype(c, kernel, 0, 1));
    if (r->shape[1] != t->shape[1])
        return ordo_kernel_fail(c, ORDO_EINVAL, "%s: row lengths differ (%lld vs %lld)",
                                kernel, (long long)c->args[0].shape[1],
                                (long long)c->args[1].shape[1]);
    if (r->shape[0] != idx->shape[0])
        return ordo_kernel_fail(c, ORDO_EINVAL, "%s: %lld rows but %lld indices", kernel,
                                (long long)r->shape[0], (long long)idx->shape[0]);
    return 0;
}

static int s_gather_check(const ordo_kernel_call_t *c)
{
    S_TRY(s_rows_check(c, "gather_rows", 0, 1));
    S_TRY(s_mode(c, "gather_rows", 0, "dst", ORDO_OUT));
    S_TRY(s_mode(c, "gather_rows", 1, "src", ORDO_IN));
    return s_mode(c, "gather_rows", 2, "idx", ORDO_IN);
}

static int s_scatter_check(const ordo_kernel_call_t *c)
{
    S_TRY(s_rows_check(c, "scatter_rows", 1, 0));
    S_TRY(s_mode(c, "scatter_rows", 0, "dst", ORDO_OUT));
    S_TRY(s_mode(c, "scatter_rows", 1, "src", ORDO_IN));
    return s_mode(c, "scatter_rows", 2, "idx", ORDO_IN);
}

/* idx[i] of a 1-d i32 or i64 view, widened. */
static int64_t s_index_at(const ordo_karg_t *idx, int64_t i)
{
    size_t esize = ordo_dtype_size(idx->dtype);
    const char *p = idx->base + (idx->offset + i * idx->strides[0]) * (int64_t)esize;
    if (idx->dtype == ORDO_I32) {
        int32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    int64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* Address of a[i, j] in a 2-d view; i and j are in range. */
static char *s_elem(const ordo_karg_t *a, int64_t i, int64_t j)
{
    int64_t esize = (int64_t)ordo_dtype_size(a->dtype);
    return a->base + (a->offset + i * a->strides[0] + j * a->strides[1]) * esize;
}

/* Moves rows: dst row (scatter ? idx[i] : i) = src row (scatter ? i : idx[i]).
 * Every index is checked before any byte is written. */
static int s_move_rows(const ordo_kernel_call_t *c, const char *kernel, bool scatter)
{
    const ordo_karg_t *dst = &c->args[0], *src = &c->args[1], *idx = &c->args[2];
    int64_t m = idx->shape[0];
    int64_t n = scatter ? dst->shape[0] : src->shape[0];
    int64_t d = dst->shape[1];
    for (int64_t i = 0; i < m; i++) {
        int64_t r = s_index_at(idx, i);
        if (r < 0 || r >= n)
            return ordo_kernel_fail(c, ORDO_ERANGE, "%s: idx[%lld] = %lld outside [0, %lld)",
                                    kernel, (long long)i, (long long)r, (long long)n);
    }
    size_t esize = ordo_dtype_size(dst->dtype);
    for (int64_t i = 0; i < m; i++) {
        int64_t r = s_index_at(idx, i);
        int64_t di = scatter ? r : i, si = scatter ? i : r;
        for (int64_t j = 0; j < d; j++) {
            char tmp[8];
            memcpy(tmp, s_elem(src, si, j), esize);
            memcpy(s_elem(dst, di, j), tmp, esize);
        }
    }
    return 0;
}

static int s_gather(const ordo_kernel_call_t *c)
{
    return s_move_rows(c, "gather_rows", false);
}

static int s_scatter(const ordo_kernel_call_t *c)
{
    return s_move_rows(c, "scatter_rows", true);
}

/* ------------------------------------------------------------------ */
/* noop, sleep, fail: for tests and for ordering-only tasks.           */

static int s_noop(const ordo_kernel_call_t *c)
{
    return 0;
}

#define S_SLEEP_MAX_US (UINT64_C(3600) * 1000000)

static int s_sleep_check(const ordo_kernel_call_t *c)
{
    S_TRY(s_params(c, "sleep", 8));
    if (s_u64_param(c) > S_SLEEP_MAX_US)
        return ordo_kernel_fail(c, ORDO_EINVAL, "sleep: %llu us is more than an hour",
                                (unsigned long long)s_u64_param(c));
    return 0;
}

static int s_sleep(const ordo_kernel_call_t *c)
{
    uint64_t us = s_u64_param(c);
    struct timespec ts = { (time_t)(us / 1000000), (long)(us % 1000000) * 1000 };
    while (nanosleep(&ts, &ts) != 0)
        ;
    return 0;
}

static int s_fail_check(const ordo_kernel_call_t *c)
{
    if (c->nparams >= ORDO_ERRLEN)
        return ordo_kernel_fail(c, ORDO_EINVAL, "fail: error text longer than %d bytes",
                                ORDO_ERRLEN - 1);
    return 0;
}

static int s_fail(const ordo_kernel_call_t *c)
{
    if (c->nparams == 0)
        return ordo_kernel_fail(c, ORDO_EFAILED, "fail kernel");
    return ordo_kernel_fail(c, ORDO_EFAILED, "%.*s", (int)c->nparams,
                            (const char *)c->params);
}

/* ------------------------------------------------------------------ */
/* host_write: dst (out) = Task.data;  host_read: Completion.data = src */

static int s_host_write_check(const ordo_kernel_call_t *c)
{
    S_TRY(s_arity(c, "host_write", 1, true));
    S_TRY(s_mode(c, "host_write", 0, "dst", ORDO_OUT));
    S_TRY(s_params(c, "host_write", 0));
    uint64_t need = ordo_karg_elements(&c->args[0]) * ordo_dtype_size(c->args[0].dtype);
    if (c->ndata != need)
        return ordo_kernel_fail(c, ORDO_EINVAL, "host_write: %zu data bytes for a view of "
                                "%llu bytes", c->ndata, (unsigned long long)need);
    return 0;
}

static int s_host_write(const ordo_kernel_call_t *c)
{
    size_t esize = ordo_dtype_size(c->args[0].dtype);
    const char *src = c->data;
    ordo_kiter_t d;
    ordo_kiter_init(&d, &c->args[0]);
    for (char *p; (p = ordo_kiter_next(&d)); src += esize)
        memcpy(p, src, esize);
    return 0;
}

static int s_host_read_check(const ordo_kernel_call_t *c)
{
    S_TRY(s_arity(c, "host_read", 1, false));
    S_TRY(s_mode(c, "host_read", 0, "src", ORDO_IN));
    return s_params(c, "host_read", 0);
}

static int s_host_read(const ordo_kernel_call_t *c)
{
    size_t esize = ordo_dtype_size(c->args[0].dtype);
    char *dst = c->out;
    ordo_kiter_t s;
    ordo_kiter_init(&s, &c->args[0]);
    for (char *p; (p = ordo_kiter_next(&s)); dst += esize)
        memcpy(dst, p, esize);
    return 0;
}

/* ------------------------------------------------------------------ */

static const ordo_kernel_def_t s_builtins[] = {
    { "copy", s_copy, s_copy_check, 0 },
    { "fill", s_fill, s_fill_check, 0 },
    { "axpy", s_axpy, s_axpy_check, 0 },
    { "scale", s_scale, s_scale_check, 0 },
    { "gather_rows", s_gather, s_gather_check, 0 },
    { "scatter_rows", s_scatter, s_scatter_check, 0 },
    { "noop", s_noop, NULL, ORDO_KERNEL_INLINE | ORDO_KERNEL_ARGLESS },
    { "sleep", s_sleep, s_sleep_check, ORDO_KERNEL_ARGLESS },
    { "fail", s_fail, s_fail_check, ORDO_KERNEL_ARGLESS },
    { "host_write", s_host_write, s_host_write_check, 0 },
    { "host_read", s_host_read, s_host_read_check, ORDO_KERNEL_HOST_OUT },
};

int ordo_kernels_add_builtins(ordo_kernels_t *self)
{
    for (size_t i = 0; i < sizeof s_builtins / sizeof s_builtins[0]; i++) {
        int rc = ordo_kernels_add(self, &s_builtins[i], NULL);
        if (rc != 0)
            return rc;
    }
    return 0;
}
