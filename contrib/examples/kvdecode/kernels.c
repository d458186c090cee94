/*
 * kernels.c - the plugin of the KV-cache decode example: four kernels that
 * ordod loads from its kernel directory (--kernel-dir).
 *
 *   kv_project      x in [M, E], w in [E, 3hd], q out [M, hd], kv out [M, 2hd]
 *                   q = x @ w[:, :hd], kv = x @ w[:, hd:]
 *   gather_kv       cache in [R, D], idx in [G] (i32), win out [G, D]
 *                   win[g] = cache[idx[g]]; an index outside [0, R) fails
 *                   the task (ORDO_ERANGE) before any byte is written
 *   sparse_attn     q in [N, S, hd], win in [N, L, 2hd], cur in [N, S, 2hd],
 *                   out out [N, S, hd]: token s of sequence n attends over
 *                   win[n, s:] and the overlay cur[n, :s+1] (kv_attend)
 *   cache_writeback dst out, src in (same shape, f32): dst = src
 *
 * Every kernel takes arbitrary strided f32 views and no parameters; the
 * arithmetic is kvmath.h's, which the client's reference shares.  The
 * checks run at submission, so a malformed task is refused at once.
 */
#include <string.h>

#include "kvmath.h"
#include "ordo_kernel.h"

/* Arity, then for each argument: dtype, ndim and the mode bits it needs. */
static int s_check_args(const ordo_kernel_call_t *c, const char *kernel, uint32_t nargs,
                        const int32_t *dtypes, const int32_t *ndims, const int *modes)
{
    if (c->nargs != nargs)
        return ordo_kernel_fail(c, ORDO_EINVAL, "%s takes %u arguments, not %u", kernel,
                                nargs, c->nargs);
    if (c->nparams != 0)
        return ordo_kernel_fail(c, ORDO_EINVAL, "%s takes no parameters", kernel);
    for (uint32_t i = 0; i < nargs; i++) {
        const ordo_karg_t *a = &c->args[i];
        if (a->dtype != dtypes[i])
            return ordo_kernel_fail(c, ORDO_EINVAL, "%s: argument %u must be %s", kernel, i,
                                    dtypes[i] == ORDO_F32 ? "f32" : "i32");
        if (a->ndim != ndims[i])
            return ordo_kernel_fail(c, ORDO_EINVAL, "%s: argument %u must have %d dimensions",
                                    kernel, i, ndims[i]);
        if ((a->mode & modes[i]) != modes[i])
            return ordo_kernel_fail(c, ORDO_EINVAL, "%s: argument %u must be %s", kernel, i,
                                    modes[i] == ORDO_IN ? "read (in)" : "written (out)");
    }
    return 0;
}

/* The matrix of a two-dimensional f32 argument. */
static kv_mat_t s_mat(const ordo_karg_t *a)
{
    kv_mat_t m = {NULL, a->shape[0], a->shape[1], a->strides[0], a->strides[1]};
    if (a->base)
        m.p = (float *)(void *)a->base + a->offset;
    return m;
}

/* The matrix a[n] of a three-dimensional f32 argument. */
static kv_mat_t s_mat3(const ordo_karg_t *a, int64_t n)
{
    kv_mat_t m = {NULL, a->shape[1], a->shape[2], a->strides[1], a->strides[2]};
    if (a->base)
        m.p = (float *)(void *)a->base + a->offset + n * a->strides[0];
    return m;
}

/* ---------------------------------------------------------------------- */

static int s_project_check(const ordo_kernel_call_t *c)
{
    static const int32_t dt[] = {ORDO_F32, ORDO_F32, ORDO_F32, ORDO_F32};
    static const int32_t nd[] = {2, 2, 2, 2};
    static const int md[] = {ORDO_IN, ORDO_IN, ORDO_OUT, ORDO_OUT};
    int rc = s_check_args(c, "kv_project", 4, dt, nd, md);
    if (rc < 0)
        return rc;
    const int64_t *x = c->args[0].shape, *w = c->args[1].shape, *q = c->args[2].shape,
                  *kv = c->args[3].shape;
    if (w[0] != x[1] || q[0] != x[0] || kv[0] != x[0] || kv[1] != 2 * q[1] ||
        w[1] != q[1] + kv[1])
        return ordo_kernel_fail(c, ORDO_EINVAL,
                                "kv_project: shapes must be x [M,E], w [E,3hd], q [M,hd], "
                                "kv [M,2hd]");
    return 0;
}

static int s_project_run(const ordo_kernel_call_t *c)
{
    kv_mat_t x = s_mat(&c->args[0]), w = s_mat(&c->args[1]), q = s_mat(&c->args[2]),
             kv = s_mat(&c->args[3]);
    kv_project(&x, &w, &q, &kv);
    return 0;
}

/* ---------------------------------------------------------------------- */

static int s_gather_check(const ordo_kernel_call_t *c)
{
    static const int32_t dt[] = {ORDO_F32, ORDO_I32, ORDO_F32};
    static const int32_t nd[] = {2, 1, 2};
    static const int md[] = {ORDO_IN, ORDO_IN, ORDO_OUT};
    int rc = s_check_args(c, "gather_kv", 3, dt, nd, md);
    if (rc < 0)
        return rc;
    const int64_t *cache = c->args[0].shape, *idx = c->args[1].shape,
                  *win = c->args[2].shape;
    if (win[0] != idx[0] || win[1] != cache[1])
        return ordo_kernel_fail(c, ORDO_EINVAL,
                                "gather_kv: shapes must be cache [R,D], idx [G], win [G,D]");
    return 0;
}

static int s_gather_run(const ordo_kernel_call_t *c)
{
    kv_mat_t cache = s_mat(&c->args[0]), win = s_mat(&c->args[2]);
    const ordo_karg_t *ia = &c->args[1];
    const int32_t *idx = (const int32_t *)(const void *)ia->base + ia->offset;
    int64_t bad = kv_gather_check(idx, ia->strides[0], ia->shape[0], cache.rows);
    if (bad >= 0)
        return ordo_kernel_fail(c, ORDO_ERANGE, "gather_kv: idx[%lld] = %d is not a row of "
                                "the cache [0, %lld)", (long long)bad,
                                (int)idx[bad * ia->strides[0]], (long long)cache.rows);
    kv_gather(&cache, idx, ia->strides[0], &win);
    return 0;
}

/* ---------------------------------------------------------------------- */

static int s_attn_check(const ordo_kernel_call_t *c)
{
    static const int32_t dt[] = {ORDO_F32, ORDO_F32, ORDO_F32, ORDO_F32};
    static const int32_t nd[] = {3, 3, 3, 3};
    static const int md[] = {ORDO_IN, ORDO_IN, ORDO_IN, ORDO_OUT};
    int rc = s_check_args(c, "sparse_attn", 4, dt, nd, md);
    if (rc < 0)
        return rc;
    const int64_t *q = c->args[0].shape, *win = c->args[1].shape, *cur = c->args[2].shape,
                  *out = c->args[3].shape;
    int64_t n = q[0], s = q[1], hd = q[2];
    if (win[0] != n || cur[0] != n || out[0] != n || cur[1] != s || out[1] != s ||
        out[2] != hd || win[2] != 2 * hd || cur[2] != 2 * hd)
        return ordo_kernel_fail(c, ORDO_EINVAL,
                                "sparse_attn: shapes must be q [N,S,hd], win [N,L,2hd], "
                                "cur [N,S,2hd], out [N,S,hd]");
    if (s > win[1] || win[1] + 1 > KV_MAX_KEYS || hd < 1)
        return ordo_kernel_fail(c, ORDO_EINVAL,
                                "sparse_attn: need 1 <= hd, S <= L and L < %d", KV_MAX_KEYS);
    return 0;
}

static int s_attn_run(const ordo_kernel_call_t *c)
{
    const ordo_karg_t *a = c->args;
    for (int64_t n = 0; n < a[0].shape[0]; n++) {
        kv_mat_t q = s_mat3(&a[0], n), win = s_mat3(&a[1], n), cur = s_mat3(&a[2], n),
                 out = s_mat3(&a[3], n);
        for (int64_t s = 0; s < q.rows; s++) {
            kv_mat_t qs = kv_rows(&q, s, 1), os = kv_rows(&out, s, 1);
            kv_attend(&qs, &win, &cur, s, &os);
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------- */

static int s_writeback_check(const ordo_kernel_call_t *c)
{
    if (c->nargs != 2 || c->nparams != 0)
        return ordo_kernel_fail(c, ORDO_EINVAL, "cache_writeback takes dst, src and no "
                                "parameters");
    const ordo_karg_t *d = &c->args[0], *s = &c->args[1];
    if (d->dtype != ORDO_F32 || s->dtype != ORDO_F32 || !ORDO_MODE_WRITES(d->mode) ||
        !(s->mode & ORDO_IN))
        return ordo_kernel_fail(c, ORDO_EINVAL, "cache_writeback: dst f32 out, src f32 in");
    if (d->ndim != s->ndim || memcmp(d->shape, s->shape, (size_t)d->ndim * sizeof d->shape[0]))
        return ordo_kernel_fail(c, ORDO_EINVAL, "cache_writeback: dst and src differ in shape");
    return 0;
}

static int s_writeback_run(const ordo_kernel_call_t *c)
{
    ordo_kiter_t d, s;
    ordo_kiter_init(&d, &c->args[0]);
    ordo_kiter_init(&s, &c->args[1]);
    for (char *pd, *ps; (pd = ordo_kiter_next(&d)) && (ps = ordo_kiter_next(&s));)
        memcpy(pd, ps, sizeof(float));
    return 0;
}

/* ---------------------------------------------------------------------- */

int ordo_plugin_init(ordo_kernel_registry_t *reg);

int ordo_plugin_init(ordo_kernel_registry_t *reg)
{
    if (reg->abi_version != ORDO_KERNEL_ABI_VERSION)
        return ORDO_EVERSION;
    static const ordo_kernel_def_t defs[] = {
        {"kv_project", s_project_run, s_project_check, 0},
        {"gather_kv", s_gather_run, s_gather_check, 0},
        {"sparse_attn", s_attn_run, s_attn_check, 0},
        {"cache_writeback", s_writeback_run, s_writeback_check, 0},
    };
    for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++) {
        int rc = ordo_kernel_register_def(reg, &defs[i]);
        if (rc < 0)
            return rc;
    }
    return 0;
}
