/*
 * view.c - geometry of tensor views (see view.h for the contract).
 *
 * Two canonical footprints a and b share a byte when
 *
 *     a.lo + sum_i a.s_i j_i  =  b.lo + sum_k b.t_k k_k
 *
 * has a solution with every index in range.  Substituting k_k by
 * (count_k - 1 - k_k) turns it into a bounded linear Diophantine equation
 * with positive coefficients,
 *
 *     sum_i c_i x_i = T,   0 <= x_i <= u_i,   T = b.hi - 1 - a.lo,
 *
 * which the solver below decides by depth-first search over the variables
 * in decreasing coefficient order.  Four facts keep the search small for
 * the views that slicing, reshaping, transposing and broadcasting make:
 *  - terms with equal coefficients merge into one (u = u1 + u2), exactly;
 *  - a term whose coefficient is a small multiple m of another's folds into
 *    it when m <= u + 1 (no value in between can be missed);
 *  - interval pruning: x_i must leave a remainder that the smaller terms
 *    can still reach, so for nested strides at most one or two values of
 *    each variable survive;
 *  - when the smallest terms reach every value in [0, S] (coefficient 1,
 *    and each next coefficient at most one more than what the smaller ones
 *    reach), the search stops one level above them in O(1).
 * The search counts its nodes; past ORDO_OVERLAP_MAX_WORK it answers
 * "overlap" and the caller's conservative counter says so.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "view.h"

/* ------------------------------------------------------------------ */
/* Validation                                                          */

/* ordo_dtype_size, from the same map, for the fast paths: a call to
 * common.c costs as much as the rest of a 1-D check. */
static inline uint64_t s_esize(int32_t dtype)
{
    switch (dtype) {
#define S_X_SIZE(name, value, size, text) \
    case (value):                         \
        return (size);
        ORDO_DTYPE_MAP(S_X_SIZE)
#undef S_X_SIZE
    default:
        return 0;
    }
}

static void s_err(char *err, size_t errlen, const char *msg)
{
    if (err && errlen)
        snprintf(err, errlen, "%s", msg);
}

/* The general check: any view, and a reason for a refusal.  Its frame (a
 * message buffer and its stack guard) costs more than the test of the
 * common view, so it stays out of line, behind the test below. */
static __attribute__((noinline)) int s_view_check(const ordo_view_t *v, uint64_t buffer_bytes,
                                                  char *err, size_t errlen)
{
    char msg[160];
    size_t esize = ordo_dtype_size(v->dtype);
    if (esize == 0) {
        snprintf(msg, sizeof msg, "unknown dtype %d", (int)v->dtype);
        s_err(err, errlen, msg);
        return ORDO_EINVAL;
    }
    if (v->ndim < 0 || v->ndim > ORDO_MAX_NDIM) {
        snprintf(msg, sizeof msg, "ndim %d outside [0, %d]", (int)v->ndim, ORDO_MAX_NDIM);
        s_err(err, errlen, msg);
        return ORDO_EINVAL;
    }
    if (buffer_bytes > ORDO_MAX_BUFFER_BYTES) {
        s_err(err, errlen, "buffer larger than 2^48 bytes");
        return ORDO_ERANGE;
    }
    if (v->offset < 0) {
        snprintf(msg, sizeof msg, "negative offset %lld", (long long)v->offset);
        s_err(err, errlen, msg);
        return ORDO_ERANGE;
    }
    bool empty = false;
    for (int k = 0; k < v->ndim; k++) {
        if (v->shape[k] < 0) {
            snprintf(msg, sizeof msg, "negative shape[%d] = %lld", k, (long long)v->shape[k]);
            s_err(err, errlen, msg);
            return ORDO_EINVAL;
        }
        if (v->shape[k] == 0)
            empty = true;
    }
    /* Element offsets of the first and last byte, overflow-checked. */
    int64_t lo = v->offset, hi = v->offset;
    for (int k = 0; k < v->ndim && !empty; k++) {
        int64_t ext;
        if (__builtin_mul_overflow(v->shape[k] - 1, v->strides[k], &ext) ||
            (ext < 0 ? __builtin_add_overflow(lo, ext, &lo) : __builtin_add_overflow(hi, ext, &hi))) {
            snprintf(msg, sizeof msg, "shape/strides overflow in dimension %d", k);
            s_err(err, errlen, msg);
            return ORDO_ERANGE;
        }
    }
    if (empty)
        hi = lo - 1; /* touches no byte; only the offset must be sane */
    uint64_t end, start;
    if (lo < 0 || __builtin_mul_overflow((uint64_t)hi + 1, (uint64_t)esize, &end) ||
        end > buffer_bytes ||
        (empty && (__builtin_mul_overflow((uint64_t)lo, (uint64_t)esize, &start) ||
                   start > buffer_bytes))) {
        snprintf(msg, sizeof msg, "view leaves its buffer: elements [%lld, %lld] of %s, buffer %llu bytes",
                 (long long)lo, (long long)hi, ordo_dtype_name(v->dtype),
                 (unsigned long long)buffer_bytes);
        s_err(err, errlen, msg);
        return ORDO_ERANGE;
    }
    return 0;
}

/* Views of one dimension that pass, the common case, pass here with the
 * very tests of s_view_check (the same bounds of the same elements); any
 * other view, and any view that fails, goes to s_view_check, which says
 * why.  tests/check_view.c compares the two on random views. */
int ordo_view_check(const ordo_view_t *v, uint64_t buffer_bytes, char *err, size_t errlen)
{
    if (v->ndim == 1 && v->shape[0] > 0 && v->offset >= 0 &&
        buffer_bytes <= ORDO_MAX_BUFFER_BYTES) {
        uint64_t esize = s_esize(v->dtype), end;
        int64_t lo = v->offset, hi = v->offset, ext;
        if (esize != 0 && !__builtin_mul_overflow(v->shape[0] - 1, v->strides[0], &ext) &&
            !(ext < 0 ? __builtin_add_overflow(lo, ext, &lo)
                      : __builtin_add_overflow(hi, ext, &hi)) &&
            lo >= 0 && !__builtin_mul_overflow((uint64_t)hi + 1, esize, &end) &&
            end <= buffer_bytes)
            return 0;
    }
    return s_view_check(v, buffer_bytes, err, errlen);
}

bool ordo_view_elements(const ordo_view_t *v, uint64_t *out)
{
    uint64_t n = 1;
    for (int k = 0; k < v->ndim; k++) {
        uint64_t s = (uint64_t)v->shape[k];
        if (s == 0) {
            *out = 0;
            return true;
        }
        if (n > ORDO_MAX_BUFFER_BYTES / s)
            return false;
        n *= s;
    }
    *out = n;
    return true;
}

/* ------------------------------------------------------------------ */
/* Canonical form                                                      */

/* Appends dimension d to the sorted, merged list fp->dim[0..ndim).  The
 * last dimension (stride t, count L) absorbs d when d's stride is a multiple
 * m*t with m <= L: the union of L-point progressions shifted by m*t is the
 * progression of L + (count-1)*m points, exactly. */
static void s_push_dim(ordo_fp_t *fp, ordo_fpdim_t d)
{
    if (fp->ndim > 0) {
        ordo_fpdim_t *last = &fp->dim[fp->ndim - 1];
        if (d.stride == last->stride * last->count) { /* tiles: the common case */
            last->count *= d.count;
            return;
        }
        if (d.stride % last->stride == 0 && d.stride / last->stride <= last->count) {
            last->count += (d.count - 1) * (d.stride / last->stride);
            return;
        }
    }
    fp->dim[fp->ndim++] = d;
}

/* The canonical form of a view of one dimension that passed the check, as
 * the general path below makes it: the element run (stride 1, esize) and
 * the dimension (stride |s| * esize, count c) tile when |s| == 1, and
 * cannot merge otherwise (|s| * esize > esize, the run's count). */
static void s_fp_make_1d(ordo_fp_t *fp, const ordo_view_t *v, uint64_t esize)
{
    int64_t s = v->strides[0], c = v->shape[0], base = v->offset;
    if (c == 0) {
        fp->ndim = 0;
        fp->lo = fp->hi = 0;
        return;
    }
    if (c == 1 || s == 0) { /* one element, or a broadcast of one (any stride) */
        fp->lo = (uint64_t)base * esize;
        fp->ndim = 1;
        fp->dim[0] = (ordo_fpdim_t){.stride = 1, .count = esize};
        fp->hi = fp->lo + esize;
        return;
    }
    if (s < 0) {
        base += (c - 1) * s;
        s = -s;
    }
    fp->lo = (uint64_t)base * esize;
    if (s == 1) {
        fp->ndim = 1;
        fp->dim[0] = (ordo_fpdim_t){.stride = 1, .count = (uint64_t)c * esize};
        fp->hi = fp->lo + (uint64_t)c * esize;
        return;
    }
    fp->ndim = 2;
    fp->dim[0] = (ordo_fpdim_t){.stride = 1, .count = esize};
    fp->dim[1] = (ordo_fpdim_t){.stride = (uint64_t)s * esize, .count = (uint64_t)c};
    fp->hi = fp->lo + esize + (uint64_t)(c - 1) * fp->dim[1].stride;
}

/* Any view; out of line, so that its frame is not paid for by the 1-D views. */
static __attribute__((noinline)) void s_fp_make(ordo_fp_t *fp, const ordo_view_t *v,
                                                uint64_t esize)
{
    ordo_fpdim_t dims[ORDO_MAX_NDIM + 1];
    uint32_t n = 0;
    int64_t base = v->offset;

    /* Only lo, hi, ndim and dim[0..ndim) are ever read: no memset of the
     * whole struct on the hot path. */
    fp->ndim = 0;
    fp->lo = fp->hi = 0;
    for (int k = 0; k < v->ndim; k++)
        if (v->shape[k] == 0)
            return; /* empty: lo == hi == 0, ndim == 0 */

    dims[n++] = (ordo_fpdim_t){.stride = 1, .count = esize};
    for (int k = 0; k < v->ndim; k++) {
        int64_t s = v->strides[k], c = v->shape[k];
        if (c == 1 || s == 0)
            continue; /* a unit or broadcast dimension adds no byte */
        if (s < 0) {
            base += (c - 1) * s;
            s = -s;
        }
        /* Insertion by stride, then count (at most 9 entries). */
        ordo_fpdim_t d = {.stride = (uint64_t)s * esize, .count = (uint64_t)c};
        uint32_t j = n++;
        while (j > 0 && (dims[j - 1].stride > d.stride ||
                         (dims[j - 1].stride == d.stride && dims[j - 1].count > d.count))) {
            dims[j] = dims[j - 1];
            j--;
        }
        dims[j] = d;
    }
    for (uint32_t i = 0; i < n; i++)
        s_push_dim(fp, dims[i]);

    fp->lo = (uint64_t)base * esize;
    fp->hi = fp->lo + 1;
    for (uint32_t i = 0; i < fp->ndim; i++)
        fp->hi += (fp->dim[i].count - 1) * fp->dim[i].stride;
}

void ordo_fp_make(ordo_fp_t *fp, const ordo_view_t *v)
{
    uint64_t esize = s_esize(v->dtype);
    if (v->ndim == 1)
        s_fp_make_1d(fp, v, esize);
    else
        s_fp_make(fp, v, esize);
}

uint64_t ordo_fp_bytes(const ordo_fp_t *fp)
{
    if (ordo_fp_empty(fp))
        return 0;
    uint64_t n = 1;
    for (uint32_t i = 0; i < fp->ndim; i++)
        n *= fp->dim[i].count;
    return n < fp->hi - fp->lo ? n : fp->hi - fp->lo;
}

static bool s_fp_equal(const ordo_fp_t *a, const ordo_fp_t *b)
{
    if (a->lo != b->lo || a->ndim != b->ndim)
        return false;
    for (uint32_t i = 0; i < a->ndim; i++)
        if (a->dim[i].stride != b->dim[i].stride || a->dim[i].count != b->dim[i].count)
            return false;
    return true;
}

/* ------------------------------------------------------------------ */
/* Bounded linear Diophantine solver                                   */

#define S_MAX_TERMS (2 * (ORDO_MAX_NDIM + 1) + 1)

typedef struct {
    uint64_t c, u;          /* coefficient > 0, bound >= 1 */
} s_term_t;

typedef struct {
    s_term_t t[S_MAX_TERMS];
    int n;
    uint64_t S[S_MAX_TERMS + 1];  /* S[i] = sum_{j>=i} c_j u_j */
    uint64_t g[S_MAX_TERMS + 1];  /* g[i] = gcd(c_j, j >= i); g[n] = 0 */
    int p;                  /* terms p..n-1 reach every value of [0, S[p]] */
    uint64_t work, limit;
} s_problem_t;

static uint64_t s_gcd(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Inverse of a modulo m (gcd(a, m) == 1, m >= 1). */
static uint64_t s_inverse(uint64_t a, uint64_t m)
{
    __int128 t = 0, nt = 1, r = (__int128)m, nr = (__int128)(a % m);
    while (nr != 0) {
        __int128 q = r / nr, tmp;
        tmp = t - q * nt;
        t = nt;
        nt = tmp;
        tmp = r - q * nr;
        r = nr;
        nr = tmp;
    }
    if (t < 0)
        t += m;
    return (uint64_t)t;
}

static void s_add_term(s_problem_t *pb, uint64_t c, uint64_t u)
{
    if (u == 0)
        return;
    for (int i = 0; i < pb->n; i++)
        if (pb->t[i].c == c) {
            pb->t[i].u += u; /* c*x1 + c*x2 == c*(x1 + x2), exactly */
            return;
        }
    pb->t[pb->n++] = (s_term_t){c, u};
}

/* Folds a term into a smaller one whose coefficient divides it, when no
 * gap can open: with c_i = m c_j and m <= u_j + 1, the values of
 * m x_i + x_j are exactly [0, m u_i + u_j].  Views sliced from one base
 * have strides that are multiples of each other, so this collapses most of
 * their equations to two or three terms. */
static void s_fold(s_problem_t *pb)
{
    for (bool again = true; again;) {
        again = false;
        for (int i = 0; i < pb->n && !again; i++)
            for (int j = 0; j < pb->n && !again; j++) {
                s_term_t *ti = &pb->t[i], *tj = &pb->t[j];
                if (ti->c <= tj->c || ti->c % tj->c != 0 || ti->c / tj->c > tj->u + 1)
                    continue;
                tj->u += (ti->c / tj->c) * ti->u;
                pb->t[i] = pb->t[--pb->n];
                again = true;
            }
    }
}

/* Sorts the terms by decreasing coefficient and computes the suffix sums,
 * gcds and the reach-everything boundary p. */
static void s_prepare(s_problem_t *pb)
{
    s_fold(pb);
    for (int i = 1; i < pb->n; i++) {
        s_term_t x = pb->t[i];
        int j = i;
        while (j > 0 && pb->t[j - 1].c < x.c) {
            pb->t[j] = pb->t[j - 1];
            j--;
        }
        pb->t[j] = x;
    }
    pb->S[pb->n] = 0;
    pb->g[pb->n] = 0;
    for (int i = pb->n - 1; i >= 0; i--) {
        pb->S[i] = pb->S[i + 1] + pb->t[i].c * pb->t[i].u;
        pb->g[i] = s_gcd(pb->t[i].c, pb->g[i + 1]);
    }
    /* From the smallest term up: terms i..n-1 reach all of [0, S[i]] when
     * the smallest coefficient is 1 and each next one is at most
     * S[i+1] + 1 (no gap can open). */
    pb->p = pb->n;
    if (pb->n > 0 && pb->t[pb->n - 1].c == 1) {
        pb->p = pb->n - 1;
        while (pb->p > 0 && pb->t[pb->p - 1].c <= pb->S[pb->p] + 1)
            pb->p--;
    }
}

/* Decides sum_{j>=i} c_j x_j == r.  Returns 1 (solution), 0 (none) or -1
 * (work limit reached). */
static int s_search(s_problem_t *pb, int i, uint64_t r)
{
    if (i >= pb->p)
        return r <= pb->S[i]; /* everything in [0, S[i]] is reachable */
    if (r > pb->S[i])
        return 0;
    const s_term_t *t = &pb->t[i];
    uint64_t rest = pb->S[i + 1];
    uint64_t lo = r > rest ? (r - rest + t->c - 1) / t->c : 0;
    uint64_t hi = r / t->c;
    if (hi > t->u)
        hi = t->u;
    if (lo > hi)
        return 0;
    if (i + 1 == pb->p)
        return 1; /* any x in [lo, hi] leaves a reachable remainder */

    /* c x == r (mod g) where g is the gcd of the smaller coefficients. */
    uint64_t g = pb->g[i + 1], step = 1;
    if (g > 1) {
        uint64_t d = s_gcd(t->c, g);
        if (r % d != 0)
            return 0;
        step = g / d;
        uint64_t want = (r / d) % step;
        uint64_t x0 = step == 1 ? 0
                                : (uint64_t)(((unsigned __int128)want *
                                              s_inverse((t->c / d) % step, step)) % step);
        /* Largest x <= hi with x == x0 (mod step). */
        uint64_t hr = hi % step;
        uint64_t back = hr >= x0 ? hr - x0 : hr + step - x0;
        if (back > hi - lo)
            return 0;
        hi -= back;
    }
    for (uint64_t x = hi;; x -= step) {
        if (++pb->work > pb->limit)
            return -1;
        int rc = s_search(pb, i + 1, r - t->c * x);
        if (rc != 0)
            return rc;
        if (x < lo + step)
            break;
    }
    return 0;
}

static int s_solve(s_problem_t *pb, uint64_t target)
{
    s_prepare(pb);
    return s_search(pb, 0, target);
}

/* ------------------------------------------------------------------ */
/* Overlap and containment                                             */

bool ordo_fp_overlap(const ordo_fp_t *a, const ordo_fp_t *b, ordo_geom_stats_t *st)
{
    st->overlap_tests++;
    if (ordo_fp_empty(a) || ordo_fp_empty(b) || a->hi <= b->lo || b->hi <= a->lo)
        return false;
    if (s_fp_equal(a, b))
        return true;

    s_problem_t pb = {.n = 0, .work = 0, .limit = ORDO_OVERLAP_MAX_WORK};
    for (uint32_t i = 0; i < a->ndim; i++)
        s_add_term(&pb, a->dim[i].stride, a->dim[i].count - 1);
    for (uint32_t i = 0; i < b->ndim; i++)
        s_add_term(&pb, b->dim[i].stride, b->dim[i].count - 1);
    st->overlap_solved++;
    int rc = s_solve(&pb, b->hi - 1 - a->lo);
    if (rc < 0) {
        st->conservative++;
        return true;
    }
    return rc == 1;
}

/* Is the byte range [q, q + len) inside one run of outer?  Runs start at
 * outer->lo + sum_{k>=1} s_k j_k and are dim[0].count bytes long, so the
 * question is whether some run start lies in [q + len - runlen, q]: the
 * solver with a slack term of coefficient 1. */
static int s_range_in_run(const ordo_fp_t *outer, uint64_t q, uint64_t len, uint64_t *work,
                          uint64_t limit)
{
    uint64_t runlen = outer->dim[0].count;
    if (len > runlen || q < outer->lo)
        return 0;
    s_problem_t pb = {.n = 0, .work = *work, .limit = limit};
    for (uint32_t i = 1; i < outer->ndim; i++)
        s_add_term(&pb, outer->dim[i].stride, outer->dim[i].count - 1);
    s_add_term(&pb, 1, runlen - len);
    int rc = s_solve(&pb, q - outer->lo);
    *work = pb.work;
    return rc;
}

/* True when the runs of fp are separated by gaps: each dimension's stride
 * exceeds everything the smaller ones span plus the run, so run starts are
 * unique and no two runs touch or overlap. */
static bool s_runs_separated(const ordo_fp_t *fp)
{
    uint64_t span = fp->dim[0].count;
    for (uint32_t k = 1; k < fp->ndim; k++) {
        if (fp->dim[k].stride <= span)
            return false;
        span += (fp->dim[k].count - 1) * fp->dim[k].stride;
    }
    return true;
}

bool ordo_fp_contains(const ordo_fp_t *outer, const ordo_fp_t *inner, ordo_geom_stats_t *st)
{
    st->contain_tests++;
    if (ordo_fp_empty(inner))
        return true;
    if (ordo_fp_empty(outer) || inner->lo < outer->lo || inner->hi > outer->hi)
        return false;
    if (outer->ndim == 1 || s_fp_equal(outer, inner))
        return true;

    /* Every run of inner must lie inside a run of outer.  Enumerate the run
     * starts of inner (an odometer over its dimensions 1..ndim-1) within
     * the work limit. */
    uint64_t work = 0, len = inner->dim[0].count;
    uint64_t idx[ORDO_MAX_NDIM + 1] = {0};
    uint64_t q = inner->lo;
    for (;;) {
        int rc = s_range_in_run(outer, q, len, &work, ORDO_CONTAIN_MAX_WORK);
        if (rc == 0) {
            /* No single run of outer holds this run of inner.  That proves
             * "not contained" only when the runs of outer never touch. */
            if (!s_runs_separated(outer))
                st->contain_unknown++;
            return false;
        }
        if (rc < 0 || ++work > ORDO_CONTAIN_MAX_WORK) {
            st->contain_unknown++;
            return false;
        }
        uint32_t k = 1;
        while (k < inner->ndim && ++idx[k] == inner->dim[k].count) {
            q -= (inner->dim[k].count - 1) * inner->dim[k].stride;
            idx[k] = 0;
            k++;
        }
        if (k >= inner->ndim)
            return true;
        q += inner->dim[k].stride;
    }
}
