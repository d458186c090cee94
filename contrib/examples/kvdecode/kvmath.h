/*
 * kvmath.h - the arithmetic of the KV-cache decode example, in one place.
 *
 * The plugin kernels (kernels.c, run by ordod on its workers) and the
 * client's sequential reference (kvdecode.c) both call these functions, so
 * the two cannot diverge: the same float expressions in the same order,
 * hence bit-identical results whatever order the daemon runs the tasks in,
 * as long as it keeps every dependency.  Compile both sides with
 * -ffp-contract=off (a fused multiply-add rounds once and would differ in
 * the last bit); expf and sqrtf come from the same libm.
 *
 * Matrices are strided views of f32 memory (element strides, as ordo's
 * views have them), so the kernels need no copy and the reference can use
 * plain arrays.  A kv row is [k (hd) | v (hd)]: one cache row per token.
 *
 * Header-only, no dependency on libordo or the daemon: a plugin may not
 * call either.
 */
#ifndef KVMATH_H_INCLUDED
#define KVMATH_H_INCLUDED

#include <math.h>
#include <stdint.h>

/* Most keys one query attends to (window + 1), and the largest head. */
#define KV_MAX_KEYS 1024

/* A strided f32 matrix: element (i, j) is p[i * rs + j * cs]. */
typedef struct {
    float *p;
    int64_t rows, cols;
    int64_t rs, cs;
} kv_mat_t;

static inline float *kv_at(const kv_mat_t *m, int64_t i, int64_t j)
{
    return m->p + i * m->rs + j * m->cs;
}

/* Rows r0..r0+n-1 of m, as a matrix. */
static inline kv_mat_t kv_rows(const kv_mat_t *m, int64_t r0, int64_t n)
{
    kv_mat_t s = *m;
    s.p = m->p + r0 * m->rs;
    s.rows = n;
    return s;
}

/* Columns c0..c0+n-1 of m, as a matrix. */
static inline kv_mat_t kv_cols(const kv_mat_t *m, int64_t c0, int64_t n)
{
    kv_mat_t s = *m;
    s.p = m->p + c0 * m->cs;
    s.cols = n;
    return s;
}

/* out[M, N] = x[M, E] @ w[E, N]: each element summed from e = 0 upwards,
 * starting at 0.0f, rounding after every multiply and every add.  out must
 * not overlap x or w. */
static inline void kv_matmul(const kv_mat_t *x, const kv_mat_t *w, const kv_mat_t *out)
{
    for (int64_t m = 0; m < out->rows; m++)
        for (int64_t n = 0; n < out->cols; n++) {
            float acc = 0.0f;
            for (int64_t e = 0; e < x->cols; e++)
                acc = acc + *kv_at(x, m, e) * *kv_at(w, e, n);
            *kv_at(out, m, n) = acc;
        }
}

/* The projection: q = x @ w[:, 0:hd], kv = x @ w[:, hd:3hd], with
 * w[E, 3hd], q[M, hd], kv[M, 2hd]. */
static inline void kv_project(const kv_mat_t *x, const kv_mat_t *w, const kv_mat_t *q,
                              const kv_mat_t *kv)
{
    kv_mat_t wq = kv_cols(w, 0, q->cols), wkv = kv_cols(w, q->cols, kv->cols);
    kv_matmul(x, &wq, q);
    kv_matmul(x, &wkv, kv);
}

/* Checks that every index is a row of a cache of nrows rows; returns the
 * position of the first bad one, or -1. */
static inline int64_t kv_gather_check(const int32_t *idx, int64_t istride, int64_t n,
                                      int64_t nrows)
{
    for (int64_t g = 0; g < n; g++) {
        int32_t r = idx[g * istride];
        if (r < 0 || r >= nrows)
            return g;
    }
    return -1;
}

/* out[g, :] = cache[idx[g], :] for g = 0..out->rows-1 (checked indices). */
static inline void kv_gather(const kv_mat_t *cache, const int32_t *idx, int64_t istride,
                             const kv_mat_t *out)
{
    for (int64_t g = 0; g < out->rows; g++) {
        int64_t r = idx[g * istride];
        for (int64_t j = 0; j < out->cols; j++)
            *kv_at(out, g, j) = *kv_at(cache, r, j);
    }
}

/* Scaled dot-product attention of the query token s of one sequence (q a
 * 1 x hd row, out a 1 x hd row) over its sliding window: the cached rows
 * win[s..L-1] (the L positions before the step, minus the s oldest, which
 * have left this token's window) followed by the overlay cur[0..s] (the
 * step's own tokens up to and including s, which the cache does not hold
 * yet).  That is L + 1 keys: scores k.q / sqrt(hd), softmax with the
 * maximum subtracted, then the weighted sum of the values, each sum in key
 * order.  The caller ensures L + 1 <= KV_MAX_KEYS and kv rows of 2 * hd. */
static inline void kv_attend(const kv_mat_t *q, const kv_mat_t *win, const kv_mat_t *cur,
                             int64_t s, const kv_mat_t *out)
{
    int64_t hd = q->cols, L = win->rows, nkeys = L + 1;
    float score[KV_MAX_KEYS];
    const float scale = 1.0f / sqrtf((float)hd);
    float mx = -INFINITY;
    for (int64_t j = 0; j < nkeys; j++) {
        const kv_mat_t *src = j < L - s ? win : cur;
        int64_t row = j < L - s ? s + j : j - (L - s);
        float dot = 0.0f;
        for (int64_t i = 0; i < hd; i++)
            dot = dot + *kv_at(q, 0, i) * *kv_at(src, row, i);
        score[j] = dot * scale;
        mx = score[j] > mx ? score[j] : mx;
    }
    float sum = 0.0f;
    for (int64_t j = 0; j < nkeys; j++) {
        score[j] = expf(score[j] - mx);
        sum = sum + score[j];
    }
    for (int64_t i = 0; i < hd; i++) {
        float acc = 0.0f;
        for (int64_t j = 0; j < nkeys; j++) {
            const kv_mat_t *src = j < L - s ? win : cur;
            int64_t row = j < L - s ? s + j : j - (L - s);
            acc = acc + score[j] * *kv_at(src, row, hd + i);
        }
        *kv_at(out, 0, i) = acc / sum;
    }
}

#endif /* KVMATH_H_INCLUDED */
