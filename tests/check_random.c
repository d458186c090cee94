/*
 * check_random.c - randomized differential test of the dependency engine.
 *
 * Random views of a few buffers, made only the way users make them from a
 * common base (slices with positive and negative steps, integer indexing,
 * reshapes of contiguous views, transposes and permutations, broadcasts and
 * retyping to another dtype over the same bytes), random modes, one to four
 * arguments per task and now and then explicit dependencies, go through the
 * graph; two runs draw most arguments from a few whole blocks of each
 * buffer instead, mostly read, as the benchmarks' W1 and W2 do, so that
 * many live reads share the very same bytes (the index's read groups).  A
 * brute-force oracle enumerates every byte of every footprint into
 * bitmaps and checks the graph's answer against DESIGN.md, semantics 1-7:
 *
 *  - soundness: when B is accepted, every unfinished task A that B must
 *    follow (intersecting bytes on one buffer and one side writes, or A named
 *    as a dependency) is an ancestor of B through the edges the graph
 *    reported with on_edge.  Ancestor sets only hold unfinished tasks: a
 *    finished task imposes no order, and a task that an older one reaches
 *    (through a retiring write, say) cannot finish before it, so a path
 *    always runs through live tasks;
 *  - exactness: every derived edge joins tasks whose bytes conflict, with
 *    kinds (RAW, WAR, WAW) that the bytes justify, and explicit edges only
 *    join tasks that asked for them; the geometry makes no conservative
 *    answer for these views;
 *  - scheduling: a task is popped ready only when all its ancestors are
 *    finished, a task is ready exactly when they are, nothing deadlocks and
 *    the indexes are empty once everything has finished;
 *  - refusals: a malformed submit (mode, view, unknown dependency, id out
 *    of sequence) changes nothing, which the checks above then confirm.
 *
 * The geometry is also tested directly on random pairs: ordo_fp_overlap must
 * equal the oracle, ordo_fp_contains may only say yes for a subset.
 *
 * The suite shows that it can fail: fake graphs that drop the edges of one
 * kind from the engine's answer, or that invent an edge, must be caught, and
 * so must a fake overlap test that only compares byte bounds.
 *
 * ORDO_RANDOM_TASKS=N scales the run to about N tasks (make
 * check-random-long); ORDO_RANDOM_SEED=S replays a seed (a failure prints
 * it), ORDO_RANDOM_SEED=random draws and prints one.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <check.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "graph.h"
#include "index.h"
#include "testutil.h"
#include "view.h"

#define S_DEFAULT_SEED UINT64_C(0x6f72646f2d726e64)
#define S_NSESS 3           /* sessions that submit, ids 1..S_NSESS */
#define S_NBUF 3
#define S_MAX_ARGS 4
#define S_MAX_DEPS 5
#define S_HOW 200           /* how a view was made, for reproducers */
#define S_POOL 16           /* views kept for reuse by later tasks */
#define S_MSG 6144

#define s_min(a, b) ((a) < (b) ? (a) : (b))
#define s_max(a, b) ((a) > (b) ? (a) : (b))

/* ================================================================ PRNG */

/* xoshiro256** seeded through splitmix64: deterministic per seed. */
typedef struct {
    uint64_t s[4];
} s_rng_t;

static uint64_t s_splitmix(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static void s_rng_seed(s_rng_t *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = s_splitmix(&seed);
}

static uint64_t s_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t s_next(s_rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t out = s_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = s_rotl(s[3], 45);
    return out;
}

/* Uniform in [0, n) (n > 0; the modulo bias is far below what matters). */
static uint64_t s_below(s_rng_t *r, uint64_t n)
{
    return n ? s_next(r) % n : 0;
}

static int64_t s_range(s_rng_t *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)s_below(r, (uint64_t)(hi - lo + 1));
}

static bool s_permille(s_rng_t *r, int p)
{
    return (int)s_below(r, 1000) < p;
}

/* Log-uniform in [1, cap]: small and large sizes both come up. */
static int64_t s_logu(s_rng_t *r, int64_t cap)
{
    if (cap <= 1)
        return 1;
    int bits = 0;
    while ((INT64_C(2) << bits) <= cap)
        bits++;
    int t = (int)s_below(r, (uint64_t)bits + 1);
    int64_t lo = INT64_C(1) << t, hi = s_min(cap, 2 * lo - 1);
    return s_range(r, lo, hi);
}

/* A seed per test and loop index, derived from the base seed. */
static uint64_t s_test_seed(const char *name, int i)
{
    const char *e = getenv("ORDO_RANDOM_SEED");
    uint64_t h = (e && *e) ? strtoull(e, NULL, 0) : S_DEFAULT_SEED;
    for (const char *p = name; *p; p++)
        h = (h ^ (uint8_t)*p) * UINT64_C(0x100000001b3);
    h ^= (uint64_t)i * UINT64_C(0x9e3779b97f4a7c15);
    return s_splitmix(&h);
}

static uint64_t s_base_seed(void)
{
    const char *e = getenv("ORDO_RANDOM_SEED");
    return (e && *e) ? strtoull(e, NULL, 0) : S_DEFAULT_SEED;
}

/* Default task count of the whole suite (tests with real graphs); a run
 * with ORDO_RANDOM_TASKS=N scales every test by N over it. */
#define S_DEFAULT_TASKS 260800.0

static double s_scale(void)
{
    const char *e = getenv("ORDO_RANDOM_TASKS");
    if (!e || !*e)
        return 1.0;
    double n = strtod(e, NULL);
    return n > 0 ? n / S_DEFAULT_TASKS : 1.0;
}

static uint64_t s_scaled(uint64_t n)
{
    double x = (double)n * s_scale();
    return x < 1 ? 1 : (uint64_t)x;
}

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ========================================================= byte oracle */

/* A set of bytes as a bitmap over the words [lo, hi) of a buffer. */
typedef struct {
    uint32_t lo, hi;
    uint32_t cap;
    uint64_t *w;
} s_bset_t;

static void s_bset_free(s_bset_t *s)
{
    free(s->w);
    memset(s, 0, sizeof *s);
}

/* Empties s and makes it hold the bytes [lo, hi) (nothing when lo >= hi). */
static void s_bset_span(s_bset_t *s, uint64_t lo, uint64_t hi)
{
    if (lo >= hi) {
        s->lo = s->hi = 0;
        return;
    }
    uint32_t wl = (uint32_t)(lo >> 6), wh = (uint32_t)((hi + 63) >> 6);
    if (wh - wl > s->cap) {
        free(s->w);
        s->cap = wh - wl;
        s->w = malloc(sizeof *s->w * s->cap);
        if (!s->w)
            tu_die("out of memory");
    }
    s->lo = wl;
    s->hi = wh;
    memset(s->w, 0, sizeof *s->w * (wh - wl));
}

/* Byte bounds [lo, hi) of a valid view (lo == hi == 0 when it is empty). */
static void s_view_bounds(const ordo_view_t *v, uint64_t *lo, uint64_t *hi)
{
    int64_t mn = v->offset, mx = v->offset;
    for (int k = 0; k < v->ndim; k++) {
        if (v->shape[k] == 0) {
            *lo = *hi = 0;
            return;
        }
        int64_t d = (v->shape[k] - 1) * v->strides[k];
        if (d < 0)
            mn += d;
        else
            mx += d;
    }
    int64_t e = (int64_t)ordo_dtype_size(v->dtype);
    *lo = (uint64_t)(mn * e);
    *hi = (uint64_t)((mx + 1) * e);
}

static uint64_t s_view_elems(const ordo_view_t *v)
{
    uint64_t n = 1;
    for (int k = 0; k < v->ndim; k++)
        n *= (uint64_t)v->shape[k];
    return n;
}

/* Adds every byte of v (which lies inside s's span) to s: the definition of
 * the footprint, DESIGN.md semantics 2, element by element. */
static void s_bset_add(s_bset_t *s, const ordo_view_t *v)
{
    const int nd = v->ndim;
    const uint64_t e = ordo_dtype_size(v->dtype);
    const uint64_t mask = (UINT64_C(1) << e) - 1; /* e <= 8: within one word */
    for (int k = 0; k < nd; k++)
        if (v->shape[k] == 0)
            return;
    int64_t idx[ORDO_MAX_NDIM] = {0};
    const int64_t n_in = nd ? v->shape[nd - 1] : 1, s_in = nd ? v->strides[nd - 1] : 0;
    int64_t base = v->offset;
    for (;;) {
        int64_t p = base;
        for (int64_t i = 0; i < n_in; i++, p += s_in) {
            uint64_t b = (uint64_t)p * e;
            s->w[(b >> 6) - s->lo] |= mask << (b & 63);
        }
        int k = nd - 2;
        for (; k >= 0; k--) {
            base += v->strides[k];
            if (++idx[k] < v->shape[k])
                break;
            base -= v->shape[k] * v->strides[k];
            idx[k] = 0;
        }
        if (k < 0)
            return;
    }
}

/* The bytes of one view, from scratch. */
static void s_bset_view(s_bset_t *s, const ordo_view_t *v)
{
    uint64_t lo, hi;
    s_view_bounds(v, &lo, &hi);
    s_bset_span(s, lo, hi);
    if (lo < hi)
        s_bset_add(s, v);
}

static bool s_bset_meet(const s_bset_t *a, const s_bset_t *b)
{
    uint32_t lo = s_max(a->lo, b->lo), hi = s_min(a->hi, b->hi);
    for (uint32_t i = lo; i < hi; i++)
        if (a->w[i - a->lo] & b->w[i - b->lo])
            return true;
    return false;
}

/* Number of common bytes, and the first one. */
static uint64_t s_bset_common(const s_bset_t *a, const s_bset_t *b, uint64_t *first)
{
    uint64_t n = 0;
    *first = 0;
    uint32_t lo = s_max(a->lo, b->lo), hi = s_min(a->hi, b->hi);
    for (uint32_t i = lo; i < hi; i++) {
        uint64_t x = a->w[i - a->lo] & b->w[i - b->lo];
        if (x && !n)
            *first = (uint64_t)i * 64 + (uint64_t)__builtin_ctzll(x);
        n += (uint64_t)__builtin_popcountll(x);
    }
    return n;
}

/* Is a a subset of b? */
static bool s_bset_subset(const s_bset_t *a, const s_bset_t *b)
{
    for (uint32_t i = a->lo; i < a->hi; i++) {
        uint64_t x = a->w[i - a->lo];
        uint64_t y = (i >= b->lo && i < b->hi) ? b->w[i - b->lo] : 0;
        if (x & ~y)
            return false;
    }
    return true;
}

static uint64_t s_bset_count(const s_bset_t *a)
{
    uint64_t n = 0;
    for (uint32_t i = a->lo; i < a->hi; i++)
        n += (uint64_t)__builtin_popcountll(a->w[i - a->lo]);
    return n;
}

/* ====================================================== view generator */

/* A user's tensor over a buffer: the buffer's bytes seen as a contiguous
 * array of dtype starting at element offset, with the given shape. */
typedef struct {
    int dtype;
    int ndim;
    int64_t shape[4];
    int64_t offset;
} s_base_t;

typedef struct {
    uint64_t bytes;         /* buffer size */
    uint64_t max_base;      /* elements of a base */
    uint64_t max_elems;     /* elements of a view (broadcast, retype) */
} s_vlimits_t;

static void s_how(char *how, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_how(char *how, const char *fmt, ...)
{
    size_t n = strlen(how);
    if (n + 1 >= S_HOW)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(how + n, S_HOW - n, fmt, ap);
    va_end(ap);
}

static void s_view_str(const ordo_view_t *v, char *out, size_t len)
{
    int n = snprintf(out, len, "%s off=%" PRId64 " shape=[", ordo_dtype_name(v->dtype), v->offset);
    for (int k = 0; k < v->ndim && n > 0 && (size_t)n < len; k++)
        n += snprintf(out + n, len - (size_t)n, "%s%" PRId64, k ? "," : "", v->shape[k]);
    if (n > 0 && (size_t)n < len)
        n += snprintf(out + n, len - (size_t)n, "] strides=[");
    for (int k = 0; k < v->ndim && n > 0 && (size_t)n < len; k++)
        n += snprintf(out + n, len - (size_t)n, "%s%" PRId64, k ? "," : "", v->strides[k]);
    if (n > 0 && (size_t)n < len)
        snprintf(out + n, len - (size_t)n, "]");
}

static void s_new_base(s_rng_t *r, const s_vlimits_t *lim, s_base_t *b)
{
    b->dtype = (int)s_range(r, ORDO_F16, ORDO_U64);
    int64_t e = (int64_t)ordo_dtype_size(b->dtype);
    int64_t cap = s_min((int64_t)lim->max_base, (int64_t)lim->bytes / e);
    if (cap < 1) {
        b->dtype = ORDO_U8;
        e = 1;
        cap = s_min((int64_t)lim->max_base, (int64_t)lim->bytes);
    }
    b->ndim = (int)s_range(r, 1, 4);
    int64_t n = 1;
    for (int k = 0; k < b->ndim; k++) {
        b->shape[k] = s_logu(r, cap / n);
        n *= b->shape[k];
    }
    for (int k = b->ndim - 1; k > 0; k--) { /* the big dims need not lead */
        int j = (int)s_below(r, (uint64_t)k + 1);
        int64_t t = b->shape[k];
        b->shape[k] = b->shape[j];
        b->shape[j] = t;
    }
    int64_t room = (int64_t)lim->bytes / e - n;
    b->offset = s_permille(r, 600) ? 0 : s_range(r, 0, room);
}

static ordo_view_t s_base_view(const s_base_t *b, char *how)
{
    const int64_t *s = b->shape;
    ordo_view_t v;
    switch (b->ndim) {
    case 1:
        v = tu_base(b->dtype, 1, I64(s[0]));
        break;
    case 2:
        v = tu_base(b->dtype, 2, I64(s[0]), I64(s[1]));
        break;
    case 3:
        v = tu_base(b->dtype, 3, I64(s[0]), I64(s[1]), I64(s[2]));
        break;
    default:
        v = tu_base(b->dtype, 4, I64(s[0]), I64(s[1]), I64(s[2]), I64(s[3]));
        break;
    }
    /* buf.u8[offset*e:...].view(dtype).reshape(shape): the offset is a slice
     * of the buffer's bytes. */
    v.offset = b->offset;
    int64_t e = (int64_t)ordo_dtype_size(b->dtype);
    how[0] = 0;
    s_how(how, "u8[%" PRId64 ":%" PRId64 "].view(%s).reshape(", b->offset * e,
          (b->offset + (int64_t)s_view_elems(&v)) * e, ordo_dtype_name(b->dtype));
    for (int k = 0; k < b->ndim; k++)
        s_how(how, "%s%" PRId64, k ? "," : "", s[k]);
    s_how(how, ")");
    return v;
}

/* Row-major contiguous, the condition of tu_reshape. */
static bool s_contig(const ordo_view_t *v)
{
    int64_t s = 1;
    for (int k = v->ndim - 1; k >= 0; k--) {
        if (v->shape[k] != 1 && v->strides[k] != s)
            return false;
        s *= v->shape[k];
    }
    return true;
}

/* Splits n into nd factors at random (each a divisor of what is left). */
static void s_factor(s_rng_t *r, int64_t n, int nd, int64_t *out)
{
    for (int k = 0; k < nd - 1; k++) {
        int64_t div[512];
        int nd_ = 0;
        for (int64_t d = 1; d * d <= n && nd_ < 510; d++)
            if (n % d == 0) {
                div[nd_++] = d;
                if (d != n / d)
                    div[nd_++] = n / d;
            }
        int64_t d = div[s_below(r, (uint64_t)nd_)];
        out[k] = d;
        n /= d;
    }
    out[nd - 1] = n;
    for (int k = nd - 1; k > 0; k--) {
        int j = (int)s_below(r, (uint64_t)k + 1);
        int64_t t = out[k];
        out[k] = out[j];
        out[j] = t;
    }
}

static ordo_view_t s_reshape(ordo_view_t v, int nd, const int64_t *s)
{
    switch (nd) {
    case 1:
        return tu_reshape(v, 1, I64(s[0]));
    case 2:
        return tu_reshape(v, 2, I64(s[0]), I64(s[1]));
    case 3:
        return tu_reshape(v, 3, I64(s[0]), I64(s[1]), I64(s[2]));
    case 4:
        return tu_reshape(v, 4, I64(s[0]), I64(s[1]), I64(s[2]), I64(s[3]));
    default:
        return tu_reshape(v, 5, I64(s[0]), I64(s[1]), I64(s[2]), I64(s[3]), I64(s[4]));
    }
}

/* Can v be retyped to dtype (numpy .view(dtype))?  The conditions of
 * tu_retype, plus the element limit. */
static bool s_can_retype(const ordo_view_t *v, int dtype, const s_vlimits_t *lim)
{
    int64_t from = (int64_t)ordo_dtype_size(v->dtype), to = (int64_t)ordo_dtype_size(dtype);
    if (v->ndim == 0 || v->strides[v->ndim - 1] != 1)
        return false;
    if ((v->shape[v->ndim - 1] * from) % to || (v->offset * from) % to)
        return false;
    for (int k = 0; k < v->ndim - 1; k++)
        if ((v->strides[k] * from) % to)
            return false;
    return s_view_elems(v) * (uint64_t)from / (uint64_t)to <= lim->max_elems;
}

/* One random user operation on v; how grows with its description. */
static ordo_view_t s_random_op(s_rng_t *r, ordo_view_t v, const s_vlimits_t *lim, char *how)
{
    int op = (int)s_below(r, 100);
    if (op < 36 && v.ndim > 0) { /* slice with a step */
        int k = (int)s_below(r, (uint64_t)v.ndim);
        int64_t n = v.shape[k];
        if (n == 0)
            return v;
        int64_t step;
        int c = (int)s_below(r, 100);
        if (c < 40)
            step = 1;
        else if (c < 58)
            step = s_range(r, 2, 4);
        else if (c < 70)
            step = -1;
        else if (c < 82)
            step = -s_range(r, 2, 4);
        else if (c < 91)
            step = s_range(r, 1, s_max(1, n));
        else
            step = -s_range(r, 1, s_max(1, n));
        int64_t start, stop;
        if (step > 0) {
            start = s_permille(r, 300) ? 0 : s_range(r, 0, n - 1);
            stop = s_permille(r, 300) ? n : s_range(r, start + 1, n);
            if (s_permille(r, 25))
                stop = start; /* empty */
        } else {
            start = s_permille(r, 300) ? n - 1 : s_range(r, 0, n - 1);
            stop = s_permille(r, 300) ? -1 : s_range(r, -1, start - 1);
            if (s_permille(r, 25))
                stop = start;
        }
        s_how(how, ".slice(%d,%" PRId64 ",%" PRId64 ",%" PRId64 ")", k, start, stop, step);
        return tu_slice(v, k, start, stop, step);
    }
    if (op < 46 && v.ndim > 0) { /* integer index */
        int k = (int)s_below(r, (uint64_t)v.ndim);
        if (v.shape[k] == 0 || (v.ndim == 1 && !s_permille(r, 200)))
            return v;
        int64_t i = s_range(r, 0, v.shape[k] - 1);
        s_how(how, ".index(%d,%" PRId64 ")", k, i);
        return tu_index(v, k, i);
    }
    if (op < 62) { /* reshape of a contiguous view, to another rank too */
        uint64_t n = s_view_elems(&v);
        if (n == 0 || !s_contig(&v))
            return v;
        int nd = (int)s_range(r, 1, 5);
        int64_t s[5];
        s_factor(r, (int64_t)n, nd, s);
        s_how(how, ".reshape(");
        for (int k = 0; k < nd; k++)
            s_how(how, "%s%" PRId64, k ? "," : "", s[k]);
        s_how(how, ")");
        return s_reshape(v, nd, s);
    }
    if (op < 78 && v.ndim > 1) { /* transpose or permutation */
        if (s_permille(r, 350)) {
            s_how(how, ".T");
            return tu_T(v);
        }
        s_how(how, ".permute(");
        int perm[ORDO_MAX_NDIM];
        for (int k = 0; k < v.ndim; k++)
            perm[k] = k;
        for (int k = v.ndim - 1; k > 0; k--) {
            int j = (int)s_below(r, (uint64_t)k + 1);
            v = tu_swap(v, k, j);
            int t = perm[k];
            perm[k] = perm[j];
            perm[j] = t;
        }
        for (int k = 0; k < v.ndim; k++)
            s_how(how, "%s%d", k ? "," : "", perm[k]);
        s_how(how, ")");
        return v;
    }
    if (op < 87) { /* broadcast (expand_dims when n == 1) */
        int64_t n = s_range(r, 1, 4);
        if (v.ndim >= ORDO_MAX_NDIM || s_view_elems(&v) * (uint64_t)n > lim->max_elems)
            return v;
        int k = (int)s_below(r, (uint64_t)v.ndim + 1);
        s_how(how, ".bcast(%d,%" PRId64 ")", k, n);
        return tu_broadcast(v, k, n);
    }
    /* retype: the same bytes as another dtype */
    int cand[12], nc = 0;
    for (int d = ORDO_F16; d <= ORDO_U64; d++)
        if (d != v.dtype && s_can_retype(&v, d, lim))
            cand[nc++] = d;
    if (nc == 0)
        return v;
    int d = cand[s_below(r, (uint64_t)nc)];
    s_how(how, ".view(%s)", ordo_dtype_name(d));
    return tu_retype(v, d);
}

/* A random view of a buffer whose user tensor is base (or, now and then, a
 * tensor of its own over the same buffer). */
static ordo_view_t s_random_view(s_rng_t *r, const s_base_t *base, const s_vlimits_t *lim,
                                 char *how)
{
    s_base_t own;
    if (s_permille(r, 120)) {
        s_new_base(r, lim, &own);
        base = &own;
    }
    ordo_view_t v = s_base_view(base, how);
    int nops = (int)s_below(r, 4) + (int)s_below(r, 3);
    for (int i = 0; i < nops; i++)
        v = s_random_op(r, v, lim, how);
    return v;
}

static int s_random_mode(s_rng_t *r)
{
    int c = (int)s_below(r, 100);
    return c < 50 ? ORDO_IN : c < 72 ? ORDO_OUT : ORDO_INOUT;
}

static const char *s_mode_name(int m)
{
    return m == ORDO_IN ? "in" : m == ORDO_OUT ? "out" : m == ORDO_INOUT ? "inout" : "?";
}

/* ============================================================ the checker */

enum {
    S_OK = 0,
    S_MISSING,      /* an ordering the bytes require is not implied by the edges */
    S_SPURIOUS,     /* a derived edge between tasks whose bytes do not conflict */
    S_KIND,         /* an edge kind that the bytes (or the deps) do not justify */
    S_EARLY,        /* a task was popped ready before an ancestor finished */
    S_STATE,        /* states, ready count, stats or liveness disagree */
    S_API,          /* an unexpected return code or callback */
    S_CONSERVATIVE, /* the geometry answered without proof */
    S_GEOM,         /* the direct geometry test disagrees with the oracle */
    S_LEAK,         /* accesses left in an index after everything finished */
};

static const char *const s_fail_names[] = {
    "ok", "MISSING ORDER", "SPURIOUS EDGE", "WRONG EDGE KIND", "READY TOO EARLY",
    "STATE", "API", "CONSERVATIVE", "GEOMETRY", "LEAK",
};

enum { T_FREE, T_LIVE, T_RUNNING, T_DONE };

typedef struct {
    int buf;
    int mode;
    ordo_view_t view;
    char how[S_HOW];
} s_arg_t;

typedef struct {
    uint64_t id, g;         /* task id; acceptance number in this run */
    int state;
    uint32_t nargs, ndeps;
    s_arg_t args[S_MAX_ARGS];
    uint64_t deps[S_MAX_DEPS];
    s_bset_t rd[S_NBUF], wr[S_NBUF]; /* bytes read / written, per buffer */
    uint32_t live_pos, run_pos;
} s_task_t;

/* One run of the differential test. */
typedef struct {
    const char *name;
    uint64_t tasks;             /* tasks to accept */
    bool complete;              /* random completions between submissions */
    uint32_t seq_min, seq_max;  /* live runs: tasks per sequence, kept live */
    uint32_t win_min, win_max;  /* graph window */
    int nbuf;
    uint64_t buf_min, buf_max;  /* bytes per buffer */
    uint64_t max_base, max_elems;
    uint32_t max_args;
    int dep_permille;           /* tasks with explicit dependencies */
    int err_permille;           /* malformed submits before a real one */
    /* Block workloads (W1, W2 of the benchmarks): this share of arguments
     * is one of `blocks` whole contiguous blocks of its buffer, read with
     * block_read_permille, so that many live reads share the very same
     * bytes (the index's read groups). */
    int block_permille;
    uint32_t blocks;
    int block_read_permille;
    /* fakes, to show that the checker catches what it must */
    unsigned drop_kinds;        /* edges of these kinds vanish from the answer */
    int spurious_permille;      /* an invented RAW edge between disjoint tasks */
    bool unsafe_drop_war;       /* the engine's own test switch */
} s_cfg_t;

typedef struct {
    ordo_index_t idx;
    uint64_t bytes;
    s_base_t base;
} s_buf_t;

typedef struct {
    s_cfg_t cfg;
    uint64_t seed;
    s_rng_t rng;
    bool fake;                  /* the checked answer is not the engine's own */
    ordo_graph_t *graph;
    uint32_t window;
    s_buf_t buf[S_NBUF];
    s_vlimits_t lim[S_NBUF];

    uint32_t ring, aw;          /* task slots; words per ancestor set */
    s_task_t *tasks;            /* slot g % ring */
    uint64_t *anc;              /* unfinished ancestors of each slot */
    uint64_t *sess_ring[S_NSESS + 1];
    uint64_t next_seq[S_NSESS + 1];
    uint64_t g_next, g_graph0;
    uint32_t *live, nlive;      /* unfinished tasks */
    uint32_t *running, nrunning;

    /* edges reported during the submit of cur */
    bool in_submit;
    uint64_t cur_id, cur_g;
    uint32_t *eslot, nedge;
    uint64_t *emark;
    unsigned *ekinds;
    uint32_t edges_this_submit_calls;

    bool verbose;               /* ORDO_RANDOM_VERBOSE: trace every step */
    s_arg_t pool[S_POOL];       /* views the program keeps using */
    uint32_t npool;

    /* counts (this graph / whole run) */
    uint64_t g_accepted, g_done;
    uint64_t accepted, edges, pops, completions, eagain, refused, excused;
    uint64_t conservative, graphs, max_live, retired, deps_live;
    int ncons_reports;

    int fail;
    char msg[S_MSG];
} s_ctx_t;

static void s_fail(s_ctx_t *c, int kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void s_fail(s_ctx_t *c, int kind, const char *fmt, ...)
{
    if (c->fail)
        return;
    c->fail = kind;
    int n = snprintf(c->msg, S_MSG, "random[%s] %s after %" PRIu64 " tasks (seed 0x%" PRIx64
                     ", replay: ORDO_RANDOM_SEED=%" PRIu64 "): ",
                     c->cfg.name, s_fail_names[kind], c->accepted, c->seed, s_base_seed());
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && n < S_MSG)
        vsnprintf(c->msg + n, S_MSG - (size_t)n, fmt, ap);
    va_end(ap);
}

static void s_append(s_ctx_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_append(s_ctx_t *c, const char *fmt, ...)
{
    size_t n = strlen(c->msg);
    if (n + 1 >= S_MSG)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->msg + n, S_MSG - n, fmt, ap);
    va_end(ap);
}

static const char *s_id_str(uint64_t id, char *buf)
{
    sprintf(buf, "%u:%" PRIu64, ORDO_TASK_SESSION(id), ORDO_TASK_SEQ(id));
    return buf;
}

static bool s_unfinished(const s_task_t *t)
{
    return t->state == T_LIVE || t->state == T_RUNNING;
}

/* The record of an id of the current graph, or NULL when the id was never
 * accepted or finished so long ago that its slot was reused. */
static s_task_t *s_find(s_ctx_t *c, uint64_t id)
{
    uint32_t s = ORDO_TASK_SESSION(id);
    uint64_t q = ORDO_TASK_SEQ(id);
    if (s < 1 || s > S_NSESS || q == 0 || q >= c->next_seq[s])
        return NULL;
    uint64_t g = c->sess_ring[s][q % c->ring];
    if (g == UINT64_MAX)
        return NULL;
    s_task_t *t = &c->tasks[g % c->ring];
    return (t->g == g && t->id == id && t->state != T_FREE) ? t : NULL;
}

static uint32_t s_slot(const s_ctx_t *c, const s_task_t *t)
{
    return (uint32_t)(t - c->tasks);
}

static uint64_t *s_anc(s_ctx_t *c, uint32_t slot)
{
    return &c->anc[(size_t)slot * c->aw];
}

static bool s_anc_empty(s_ctx_t *c, uint32_t slot, uint32_t *first)
{
    const uint64_t *a = s_anc(c, slot);
    for (uint32_t i = 0; i < c->aw; i++)
        if (a[i]) {
            if (first)
                *first = i * 64 + (uint32_t)__builtin_ctzll(a[i]);
            return false;
        }
    return true;
}

/* Hazard kinds between an older task a and a newer task b, from their
 * bytes; with any, stops at the first. */
static unsigned s_hazards(const s_ctx_t *c, const s_task_t *a, const s_task_t *b, bool any)
{
    unsigned k = 0;
    for (int i = 0; i < c->cfg.nbuf; i++) {
        if (s_bset_meet(&a->wr[i], &b->rd[i]))
            k |= ORDO_EDGE_RAW;
        if (any && k)
            return k;
        if (s_bset_meet(&a->rd[i], &b->wr[i]))
            k |= ORDO_EDGE_WAR;
        if (any && k)
            return k;
        if (s_bset_meet(&a->wr[i], &b->wr[i]))
            k |= ORDO_EDGE_WAW;
        if (any && k)
            return k;
    }
    return k;
}

static bool s_has_dep(const s_task_t *b, uint64_t id)
{
    for (uint32_t i = 0; i < b->ndeps; i++)
        if (b->deps[i] == id)
            return true;
    return false;
}

static void s_append_arg(s_ctx_t *c, const char *who, const s_task_t *t, uint32_t i)
{
    char vs[256], ids[32];
    s_view_str(&t->args[i].view, vs, sizeof vs);
    s_append(c, "\n    %s task %s arg %u: buffer %d mode %s view %s\n      made as %s", who,
             s_id_str(t->id, ids), i, t->args[i].buf, s_mode_name(t->args[i].mode), vs,
             t->args[i].how);
}

/* Appends to the message the pairs of arguments of a and b that conflict,
 * with the geometry's own answer for each: a reproducer for the lead. */
static void s_explain(s_ctx_t *c, const s_task_t *a, const s_task_t *b)
{
    s_bset_t x = {0}, y = {0};
    int shown = 0;
    for (uint32_t i = 0; i < a->nargs && shown < 2; i++)
        for (uint32_t j = 0; j < b->nargs && shown < 2; j++) {
            const s_arg_t *p = &a->args[i], *q = &b->args[j];
            if (p->buf != q->buf || !(ORDO_MODE_WRITES(p->mode) || ORDO_MODE_WRITES(q->mode)))
                continue;
            s_bset_view(&x, &p->view);
            s_bset_view(&y, &q->view);
            uint64_t first, n = s_bset_common(&x, &y, &first);
            if (!n)
                continue;
            ordo_fp_t fp, fq;
            ordo_geom_stats_t st;
            memset(&st, 0, sizeof st);
            ordo_fp_make(&fp, &p->view);
            ordo_fp_make(&fq, &q->view);
            bool ov = ordo_fp_overlap(&fp, &fq, &st);
            s_append_arg(c, "older", a, i);
            s_append_arg(c, "newer", b, j);
            s_append(c, "\n    %" PRIu64 " common bytes, the first at byte %" PRIu64
                     " of buffer %d; ordo_fp_overlap says %s",
                     n, first, p->buf, ov ? "overlap" : "DISJOINT (geometry bug)");
            shown++;
        }
    s_bset_free(&x);
    s_bset_free(&y);
}

/* Reports (once per run, a few) the argument pairs of b and the live tasks
 * that the geometry answers conservatively. */
static void s_report_conservative(s_ctx_t *c, const s_task_t *b)
{
    if (c->ncons_reports >= 3)
        return;
    for (uint32_t l = 0; l < c->nlive; l++) {
        const s_task_t *a = &c->tasks[c->live[l]];
        for (uint32_t i = 0; i < a->nargs; i++)
            for (uint32_t j = 0; j < b->nargs; j++) {
                if (a->args[i].buf != b->args[j].buf)
                    continue;
                ordo_fp_t fa, fb;
                ordo_geom_stats_t st;
                memset(&st, 0, sizeof st);
                ordo_fp_make(&fa, &a->args[i].view);
                ordo_fp_make(&fb, &b->args[j].view);
                ordo_fp_overlap(&fa, &fb, &st);
                ordo_fp_overlap(&fb, &fa, &st);
                if (!st.conservative)
                    continue;
                char va[256], vb[256];
                s_view_str(&a->args[i].view, va, sizeof va);
                s_view_str(&b->args[j].view, vb, sizeof vb);
                fprintf(stderr, "random[%s] conservative overlap answer:\n  %s (made as %s)\n"
                        "  %s (made as %s)\n", c->cfg.name, va, a->args[i].how, vb,
                        b->args[j].how);
                if (++c->ncons_reports >= 3)
                    return;
            }
    }
}

/* ------------------------------------------------------------ the graph */

static void s_on_edge(void *arg, uint64_t from, uint64_t to, unsigned kinds)
{
    s_ctx_t *c = arg;
    char f[32], t[32], u[32];
    c->edges_this_submit_calls++;
    if (!c->in_submit || to != c->cur_id) {
        s_fail(c, S_API, "on_edge %s -> %s outside the submit of %s", s_id_str(from, f),
               s_id_str(to, t), s_id_str(c->cur_id, u));
        return;
    }
    if (kinds == 0 || (kinds & ~15u)) {
        s_fail(c, S_API, "on_edge %s -> %s with kinds 0x%x", s_id_str(from, f), s_id_str(to, t),
               kinds);
        return;
    }
    kinds &= ~c->cfg.drop_kinds; /* the fake graph */
    if (!kinds)
        return;
    s_task_t *p = s_find(c, from);
    if (!p || !s_unfinished(p)) {
        s_fail(c, S_API, "edge %s -> %s from a %s task", s_id_str(from, f), s_id_str(to, t),
               p ? "finished" : "never accepted (or long finished)");
        return;
    }
    uint32_t slot = s_slot(c, p);
    if (c->emark[slot] != c->cur_g + 1) {
        c->emark[slot] = c->cur_g + 1;
        c->ekinds[slot] = 0;
        c->eslot[c->nedge++] = slot;
    }
    c->ekinds[slot] |= kinds;
}

static void s_graph_free(s_ctx_t *c)
{
    if (!c->graph)
        return;
    ordo_graph_stats_t st;
    ordo_graph_stats(c->graph, &st);
    c->conservative += st.geom.conservative;
    c->retired += st.retired;
    ordo_graph_destroy(&c->graph);
}

/* A new graph (all earlier tasks have finished): new window, new buffers. */
static void s_graph_new(s_ctx_t *c, uint32_t window)
{
    s_graph_free(c);
    ordo_graph_config_t gc;
    memset(&gc, 0, sizeof gc);
    gc.window = window;
    gc.on_edge = s_on_edge;
    gc.on_edge_arg = c;
#ifdef ORDO_UNSAFE_DROP_WAR
    gc.unsafe_drop_war = c->cfg.unsafe_drop_war;
#endif
    c->graph = ordo_graph_new(&gc);
    if (!c->graph)
        tu_die("ordo_graph_new");
    if (c->verbose)
        fprintf(stderr, "random[%s] new graph, window %u\n", c->cfg.name, window);
    c->window = window;
    c->graphs++;
    c->npool = 0; /* the buffers change size */
    c->g_accepted = c->g_done = 0;
    c->g_graph0 = c->g_next;
    for (int s = 1; s <= S_NSESS; s++) {
        c->next_seq[s] = 1;
        for (uint32_t i = 0; i < c->ring; i++)
            c->sess_ring[s][i] = UINT64_MAX;
    }
    for (int b = 0; b < c->cfg.nbuf; b++) {
        s_buf_t *bf = &c->buf[b];
        bf->bytes = (uint64_t)s_range(&c->rng, (int64_t)c->cfg.buf_min, (int64_t)c->cfg.buf_max);
        ordo_index_init(&bf->idx, (uint64_t)b + 1, bf->bytes);
        c->lim[b].bytes = bf->bytes;
        c->lim[b].max_base = c->cfg.max_base;
        c->lim[b].max_elems = c->cfg.max_elems;
        s_new_base(&c->rng, &c->lim[b], &bf->base);
    }
}

/* Checks every live task's state against the model: running when popped,
 * ready exactly when no ancestor is unfinished, waiting otherwise; and the
 * graph's counters. */
static void s_check_states(s_ctx_t *c)
{
    if (c->fake || c->fail)
        return;
    uint32_t ready = 0, nargs = 0;
    char ids[32], ids2[32];
    for (uint32_t l = 0; l < c->nlive; l++) {
        uint32_t slot = c->live[l], first = 0;
        s_task_t *t = &c->tasks[slot];
        ordo_task_state_t want = t->state == T_RUNNING ? ORDO_TASK_RUNNING
                                 : s_anc_empty(c, slot, &first) ? ORDO_TASK_READY
                                                                : ORDO_TASK_WAITING;
        ready += want == ORDO_TASK_READY;
        nargs += t->nargs;
        ordo_task_state_t got = ordo_graph_state(c->graph, t->id);
        if (got != want) {
            s_fail(c, S_STATE, "task %s is in state %d, the model says %d", s_id_str(t->id, ids),
                   (int)got, (int)want);
            if (want == ORDO_TASK_WAITING)
                s_append(c, " (unfinished ancestor %s)", s_id_str(c->tasks[first].id, ids2));
            return;
        }
    }
    ordo_graph_stats_t st;
    ordo_graph_stats(c->graph, &st);
    if (ordo_graph_ready_count(c->graph) != ready || st.ready != ready || st.live != c->nlive ||
        st.running != c->nrunning || st.waiting != c->nlive - ready - c->nrunning ||
        st.accepted != c->g_accepted || st.done != c->g_done || st.index_accesses > nargs) {
        s_fail(c, S_STATE, "counters: ready_count %u stats ready %" PRIu64 " live %" PRIu64
               " running %" PRIu64 " waiting %" PRIu64 " accepted %" PRIu64 " done %" PRIu64
               " index_accesses %" PRIu64 "; model: ready %u live %u running %u accepted %"
               PRIu64 " done %" PRIu64 " args of live tasks %u",
               ordo_graph_ready_count(c->graph), st.ready, st.live, st.running, st.waiting,
               st.accepted, st.done, st.index_accesses, ready, c->nlive, c->nrunning,
               c->g_accepted, c->g_done, nargs);
    }
}

static void s_live_remove(s_ctx_t *c, s_task_t *t)
{
    uint32_t last = c->live[--c->nlive];
    c->live[t->live_pos] = last;
    c->tasks[last].live_pos = t->live_pos;
}

/* Completes a running task: it leaves every ancestor set. */
static void s_complete(s_ctx_t *c, uint32_t ri)
{
    uint32_t slot = c->running[ri];
    s_task_t *t = &c->tasks[slot];
    char ids[32];
    if (c->verbose)
        fprintf(stderr, "random[%s] complete %s\n", c->cfg.name, s_id_str(t->id, ids));
    int rc = ordo_graph_complete(c->graph, t->id);
    if (rc) {
        s_fail(c, S_API, "ordo_graph_complete(%s): %s", s_id_str(t->id, ids), ordo_strerror(rc));
        return;
    }
    c->running[ri] = c->running[--c->nrunning];
    s_live_remove(c, t);
    t->state = T_DONE;
    c->completions++;
    c->g_done++;
    uint64_t m = ~(UINT64_C(1) << (slot & 63));
    for (uint32_t i = 0, w = slot >> 6; i < c->ring; i++)
        c->anc[(size_t)i * c->aw + w] &= m;
    for (int b = 0; b < c->cfg.nbuf; b++) { /* the large run must not hoard */
        if (t->rd[b].cap > 4096)
            s_bset_free(&t->rd[b]);
        if (t->wr[b].cap > 4096)
            s_bset_free(&t->wr[b]);
    }
    if (!c->fake && ordo_graph_state(c->graph, t->id) != ORDO_TASK_DONE)
        s_fail(c, S_STATE, "task %s completed but not in state done", s_id_str(t->id, ids));
}

/* Pops a ready task (a random one, or the oldest): all its ancestors must
 * have finished. */
static void s_pop(s_ctx_t *c)
{
    uint32_t n = ordo_graph_ready_count(c->graph);
    uint64_t id = 0;
    void *user = NULL;
    int rc = s_permille(&c->rng, 300) ? ordo_graph_pop_ready(c->graph, &id, &user)
                                      : ordo_graph_pop_ready_at(c->graph,
                                                                (uint32_t)s_below(&c->rng, n),
                                                                &id, &user);
    char ids[32], ids2[32];
    if (rc) {
        s_fail(c, S_API, "pop_ready with %u ready: %s", n, ordo_strerror(rc));
        return;
    }
    s_task_t *t = s_find(c, id);
    if (!t || t->state != T_LIVE) {
        s_fail(c, S_API, "popped task %s that is %s", s_id_str(id, ids),
               t ? "running or finished" : "unknown");
        return;
    }
    if (user != (void *)t) {
        s_fail(c, S_API, "popped task %s with a wrong user pointer", s_id_str(id, ids));
        return;
    }
    uint32_t slot = s_slot(c, t), first;
    if (!s_anc_empty(c, slot, &first)) {
        s_task_t *a = &c->tasks[first];
        s_fail(c, S_EARLY, "task %s was popped ready while its ancestor %s is unfinished",
               s_id_str(id, ids), s_id_str(a->id, ids2));
        s_explain(c, a, t);
        return;
    }
    if (c->verbose)
        fprintf(stderr, "random[%s] pop %s\n", c->cfg.name, s_id_str(id, ids));
    t->state = T_RUNNING;
    t->run_pos = c->nrunning;
    c->running[c->nrunning++] = slot;
    c->pops++;
}

/* One step of execution: completes a running task or pops a ready one.
 * Returns false when nothing can move (then every task must be finished). */
static bool s_step(s_ctx_t *c, int complete_permille)
{
    if (c->fail)
        return false;
    uint32_t nready = ordo_graph_ready_count(c->graph);
    if (c->nrunning && (nready == 0 || s_permille(&c->rng, complete_permille))) {
        s_complete(c, (uint32_t)s_below(&c->rng, c->nrunning));
        return !c->fail;
    }
    if (nready) {
        s_pop(c);
        return !c->fail;
    }
    if (c->nlive) {
        char ids[32];
        uint32_t stuck = c->live[0];
        for (uint32_t l = 0; l < c->nlive; l++)
            if (s_anc_empty(c, c->live[l], NULL))
                stuck = c->live[l];
        s_fail(c, S_STATE, "deadlock: %u unfinished tasks, none ready or running (task %s %s)",
               c->nlive, s_id_str(c->tasks[stuck].id, ids),
               s_anc_empty(c, stuck, NULL) ? "has no unfinished ancestor" : "waits");
    }
    return false;
}

/* Runs everything to completion, then checks that the indexes are empty. */
static void s_drain(s_ctx_t *c)
{
    while (c->nlive && s_step(c, 400))
        ;
    if (c->fail || !c->graph)
        return;
    ordo_graph_stats_t st;
    ordo_graph_stats(c->graph, &st);
    if (st.live || st.index_accesses) {
        s_fail(c, S_LEAK, "after every task finished: live %" PRIu64 ", index accesses %" PRIu64,
               st.live, st.index_accesses);
        return;
    }
    for (int b = 0; b < c->cfg.nbuf; b++) {
        if (ordo_index_live(&c->buf[b].idx) || !ordo_itree_check(&c->buf[b].idx.tree)) {
            s_fail(c, S_LEAK, "buffer %d: %zu accesses left in its index (or a broken tree)", b,
                   ordo_index_live(&c->buf[b].idx));
            return;
        }
    }
}

/* Builds the oracle's bytes of a task. */
static void s_task_bits(s_ctx_t *c, s_task_t *t)
{
    uint64_t rlo[S_NBUF], rhi[S_NBUF], wlo[S_NBUF], whi[S_NBUF];
    for (int b = 0; b < S_NBUF; b++) {
        rlo[b] = wlo[b] = UINT64_MAX;
        rhi[b] = whi[b] = 0;
    }
    for (uint32_t i = 0; i < t->nargs; i++) {
        uint64_t lo, hi;
        int b = t->args[i].buf;
        s_view_bounds(&t->args[i].view, &lo, &hi);
        if (lo == hi)
            continue;
        if (t->args[i].mode & ORDO_IN) {
            rlo[b] = s_min(rlo[b], lo);
            rhi[b] = s_max(rhi[b], hi);
        }
        if (t->args[i].mode & ORDO_OUT) {
            wlo[b] = s_min(wlo[b], lo);
            whi[b] = s_max(whi[b], hi);
        }
    }
    for (int b = 0; b < c->cfg.nbuf; b++) {
        s_bset_span(&t->rd[b], rlo[b], rhi[b]);
        s_bset_span(&t->wr[b], wlo[b], whi[b]);
    }
    for (uint32_t i = 0; i < t->nargs; i++) {
        const s_arg_t *a = &t->args[i];
        if (s_view_elems(&a->view) == 0)
            continue;
        if (a->mode & ORDO_IN)
            s_bset_add(&t->rd[a->buf], &a->view);
        if (a->mode & ORDO_OUT)
            s_bset_add(&t->wr[a->buf], &a->view);
    }
}

/* Draws the arguments and dependencies of the task in slot t. */
static void s_task_random(s_ctx_t *c, s_task_t *t)
{
    s_rng_t *r = &c->rng;
    t->nargs = (uint32_t)s_range(r, 1, c->cfg.max_args);
    int favourite = (int)s_below(r, (uint64_t)c->cfg.nbuf);
    for (uint32_t i = 0; i < t->nargs; i++) {
        s_arg_t *a = &t->args[i];
        a->mode = s_random_mode(r);
        if (i > 0 && s_permille(r, 60)) {
            /* the same view twice in one task (a self-copy, in + out) */
            const s_arg_t *o = &t->args[s_below(r, i)];
            a->buf = o->buf;
            a->view = o->view;
            memcpy(a->how, o->how, S_HOW);
        } else if (c->cfg.blocks && s_permille(r, c->cfg.block_permille)) {
            /* a whole block of a buffer split in cfg.blocks */
            a->buf = s_permille(r, 500) ? favourite : (int)s_below(r, (uint64_t)c->cfg.nbuf);
            uint64_t size = c->buf[a->buf].bytes / c->cfg.blocks;
            uint64_t k = s_below(r, c->cfg.blocks);
            if (size == 0)
                size = 1, k = 0;
            a->view = tu_base(ORDO_U8, 1, I64((int64_t)size));
            a->view.offset = (int64_t)(k * size);
            a->how[0] = 0;
            s_how(a->how, "u8[%" PRIu64 ":%" PRIu64 "] (block %" PRIu64 ")", k * size,
                  (k + 1) * size, k);
            a->mode = s_permille(r, c->cfg.block_read_permille) ? ORDO_IN
                      : s_permille(r, 500) ? ORDO_INOUT : ORDO_OUT;
        } else if (c->npool && s_permille(r, 200)) {
            /* a view object the program keeps using (in-place chains) */
            const s_arg_t *o = &c->pool[s_below(r, c->npool)];
            a->buf = o->buf;
            a->view = o->view;
            memcpy(a->how, o->how, S_HOW);
        } else {
            a->buf = s_permille(r, 500) ? favourite : (int)s_below(r, (uint64_t)c->cfg.nbuf);
            s_buf_t *bf = &c->buf[a->buf];
            if (s_permille(r, 30)) /* the user moves on to another tensor */
                s_new_base(r, &c->lim[a->buf], &bf->base);
            a->view = s_random_view(r, &bf->base, &c->lim[a->buf], a->how);
            if (c->npool < S_POOL)
                c->pool[c->npool++] = *a;
            else if (s_permille(r, 100))
                c->pool[s_below(r, S_POOL)] = *a;
        }
        s_buf_t *bf = &c->buf[a->buf];
        char err[160];
        int rc = ordo_view_check(&a->view, bf->bytes, err, sizeof err);
        if (rc) {
            char vs[256];
            s_view_str(&a->view, vs, sizeof vs);
            s_fail(c, S_API, "ordo_view_check rejects a valid view (%s): %s: %s (made as %s, buffer %"
                   PRIu64 " bytes)", ordo_strerror(rc), err, vs, a->how, bf->bytes);
            return;
        }
    }
    t->ndeps = 0;
    if (s_permille(r, c->cfg.dep_permille)) {
        uint32_t nd = (uint32_t)s_range(r, 1, 3);
        for (uint32_t i = 0; i < nd; i++) {
            int how = (int)s_below(r, 100);
            uint64_t id = 0;
            if (t->ndeps && how < 15) {
                id = t->deps[s_below(r, t->ndeps)]; /* a repeat */
            } else if (how < 60 && c->nlive) {
                id = c->tasks[c->live[s_below(r, c->nlive)]].id;
            } else if (how < 90 && c->g_next > c->g_graph0) {
                uint64_t span = s_min(c->g_next - c->g_graph0, (uint64_t)c->ring);
                uint64_t g = c->g_next - 1 - s_below(r, span);
                const s_task_t *o = &c->tasks[g % c->ring];
                if (o->g == g && o->state != T_FREE)
                    id = o->id;
            } else {
                uint32_t s = (uint32_t)s_range(r, 1, S_NSESS);
                if (c->next_seq[s] > 1)
                    id = ORDO_TASK_ID(s, 1); /* finished long ago, most likely */
            }
            if (id)
                t->deps[t->ndeps++] = id;
        }
    }
}

static void s_desc(const s_task_t *t, const s_ctx_t *c, ordo_arg_t *args, ordo_task_desc_t *d)
{
    for (uint32_t i = 0; i < t->nargs; i++) {
        args[i].index = (ordo_index_t *)&c->buf[t->args[i].buf].idx;
        args[i].view = t->args[i].view;
        args[i].mode = t->args[i].mode;
    }
    memset(d, 0, sizeof *d);
    d->id = t->id;
    d->args = args;
    d->nargs = t->nargs;
    d->deps = t->deps;
    d->ndeps = t->ndeps;
    d->user = (void *)t;
}

/* Submits a malformed variant of the task, which must be refused and must
 * change nothing (later checks would see a stray access or edge). */
static void s_refuse(s_ctx_t *c, const s_task_t *t, const ordo_task_desc_t *good)
{
    s_rng_t *r = &c->rng;
    ordo_arg_t args[S_MAX_ARGS];
    uint64_t deps[S_MAX_DEPS + 1];
    ordo_task_desc_t d = *good;
    memcpy(args, good->args, sizeof args[0] * good->nargs);
    d.args = args;
    int want, what = (int)s_below(r, 6);
    uint32_t i = (uint32_t)s_below(r, good->nargs);
    uint32_t s = ORDO_TASK_SESSION(t->id);
    const char *why;
    if (what == 1) { /* a view out of its buffer: shift it by the buffer */
        uint64_t bytes = c->buf[t->args[i].buf].bytes;
        if (s_view_elems(&args[i].view) == 0)
            what = 0;
        else
            args[i].view.offset += (int64_t)(bytes / ordo_dtype_size(args[i].view.dtype)) +
                                   s_range(r, 0, 3);
    }
    switch (what) {
    case 0: {
        static const int bad[] = {0, 4, 5, -1, 7, 8};
        args[i].mode = bad[s_below(r, 6)];
        want = ORDO_EINVAL;
        why = "bad mode";
        break;
    }
    case 1:
        want = ORDO_ERANGE;
        why = "view outside its buffer";
        break;
    case 2:
        if (s_permille(r, 500)) {
            args[i].view.ndim = ORDO_MAX_NDIM + 1 + (int)s_below(r, 3);
            why = "ndim too large";
        } else if (s_permille(r, 500) && args[i].view.ndim > 0) {
            args[i].view.shape[s_below(r, (uint64_t)args[i].view.ndim)] = -1 - s_range(r, 0, 3);
            why = "negative shape";
        } else {
            args[i].view.dtype = s_permille(r, 500) ? 0 : 13 + (int)s_below(r, 100);
            why = "unknown dtype";
        }
        want = ORDO_EINVAL;
        break;
    case 3:
    case 4: {
        /* a session of the run (a future id; t's own is the next one) or
         * one that never submitted */
        uint32_t os = (uint32_t)s_range(r, 1, S_NSESS + 2);
        uint64_t q = os > S_NSESS ? 1 + s_below(r, 5)
                                  : c->next_seq[os] + (os == s) + s_below(r, 4);
        uint32_t at = (uint32_t)s_below(r, good->ndeps + 1);
        for (uint32_t j = 0, k = 0; j < good->ndeps + 1; j++)
            deps[j] = j == at ? ORDO_TASK_ID(os, q) : good->deps[k++];
        d.deps = deps;
        d.ndeps = good->ndeps + 1;
        want = ORDO_ENOENT;
        why = "dependency never accepted";
        break;
    }
    default:
        d.id = (c->next_seq[s] > 1 && s_permille(r, 400))
                   ? ORDO_TASK_ID(s, c->next_seq[s] - 1 - s_below(r, c->next_seq[s] - 1))
                   : ORDO_TASK_ID(s, c->next_seq[s] + 1 + s_below(r, 3));
        want = ORDO_ESEQ;
        why = "id out of sequence";
        break;
    }
    ordo_graph_stats_t before, after;
    ordo_graph_stats(c->graph, &before);
    c->in_submit = true;
    c->cur_id = d.id;
    c->cur_g = c->g_next;
    c->nedge = 0;
    c->edges_this_submit_calls = 0;
    char err[256] = "";
    int rc = ordo_graph_submit(c->graph, &d, err, sizeof err);
    c->in_submit = false;
    ordo_graph_stats(c->graph, &after);
    c->refused++;
    if (rc != want || c->edges_this_submit_calls || after.accepted != before.accepted ||
        after.index_accesses != before.index_accesses || after.live != before.live ||
        after.edges != before.edges) {
        char ids[32];
        s_fail(c, S_API, "a submit of %s with %s returned %d (%s, \"%s\") instead of %d, with %u"
               " edges reported, accepted %" PRIu64 " -> %" PRIu64, s_id_str(d.id, ids), why, rc,
               ordo_strerror(rc), err, want, c->edges_this_submit_calls, before.accepted,
               after.accepted);
    }
}

/* ORDO_RANDOM_VERBOSE=1: every task on stderr before its submit, so that a
 * crash of the engine can be replayed by hand. */
static void s_trace_task(const s_ctx_t *c, const s_task_t *t)
{
    char ids[32], vs[256];
    fprintf(stderr, "random[%s] submit %s (#%" PRIu64 ", window %u, %u live)", c->cfg.name,
            s_id_str(t->id, ids), t->g, c->window, c->nlive);
    for (uint32_t i = 0; i < t->ndeps; i++)
        fprintf(stderr, "%s%s", i ? "," : " deps ", s_id_str(t->deps[i], ids));
    fprintf(stderr, "\n");
    for (uint32_t i = 0; i < t->nargs; i++) {
        s_view_str(&t->args[i].view, vs, sizeof vs);
        fprintf(stderr, "    arg %u: buffer %d (%" PRIu64 " bytes) %s %s = %s\n", i,
                t->args[i].buf, c->buf[t->args[i].buf].bytes, s_mode_name(t->args[i].mode), vs,
                t->args[i].how);
    }
}

/* Draws, submits and checks one task. */
static void s_submit(s_ctx_t *c)
{
    s_rng_t *r = &c->rng;
    uint64_t g = c->g_next;
    uint32_t slot = (uint32_t)(g % c->ring);
    s_task_t *t = &c->tasks[slot];
    while (s_unfinished(t))
        if (!s_step(c, 600))
            return;
    uint32_t s = (uint32_t)s_range(r, 1, S_NSESS);
    t->state = T_FREE;
    t->g = g;
    t->id = ORDO_TASK_ID(s, c->next_seq[s]);
    s_task_random(c, t);
    if (c->fail)
        return;
    s_task_bits(c, t);
    memset(s_anc(c, slot), 0, sizeof(uint64_t) * c->aw);
    if (c->verbose)
        s_trace_task(c, t);

    ordo_arg_t args[S_MAX_ARGS];
    ordo_task_desc_t d;
    s_desc(t, c, args, &d);
    if (s_permille(r, c->cfg.err_permille) && c->nlive < c->window) {
        s_refuse(c, t, &d);
        if (c->fail)
            return;
    }

    ordo_graph_stats_t before, after;
    char err[256], ids[32], ids2[32];
    int rc;
    for (;;) {
        ordo_graph_stats(c->graph, &before);
        c->in_submit = true;
        c->cur_id = t->id;
        c->cur_g = g;
        c->nedge = 0;
        c->edges_this_submit_calls = 0;
        err[0] = 0;
        rc = ordo_graph_submit(c->graph, &d, err, sizeof err);
        c->in_submit = false;
        if (c->fail)
            return;
        if (rc != ORDO_EAGAIN)
            break;
        if (c->edges_this_submit_calls || c->nlive < c->window || !c->cfg.complete) {
            s_fail(c, S_API, "EAGAIN (\"%s\") with %u of %u window slots live, %u edges reported",
                   err, c->nlive, c->window, c->edges_this_submit_calls);
            return;
        }
        c->eagain++;
        if (!s_step(c, 700))
            return;
    }
    if (rc) {
        s_fail(c, S_API, "submit of %s: %s (%s)", s_id_str(t->id, ids), ordo_strerror(rc), err);
        return;
    }
    ordo_graph_stats(c->graph, &after);
    uint64_t cons = after.geom.conservative - before.geom.conservative;

    /* Accepted: the model follows. */
    c->sess_ring[s][c->next_seq[s] % c->ring] = g;
    c->next_seq[s]++;
    c->g_next++;
    c->accepted++;
    c->g_accepted++;
    t->state = T_LIVE;

    /* The fake that invents an edge between tasks with no conflict. */
    if (c->cfg.spurious_permille && c->nlive && s_permille(r, c->cfg.spurious_permille)) {
        uint32_t a = c->live[s_below(r, c->nlive)];
        if (c->emark[a] != g + 1 && !s_hazards(c, &c->tasks[a], t, true) &&
            !s_has_dep(t, c->tasks[a].id)) {
            c->emark[a] = g + 1;
            c->ekinds[a] = ORDO_EDGE_RAW;
            c->eslot[c->nedge++] = a;
        }
    }

    /* Exactness of every edge, and the ancestors of t. */
    uint64_t *anc = s_anc(c, slot);
    for (uint32_t e = 0; e < c->nedge; e++) {
        uint32_t ps = c->eslot[e];
        s_task_t *p = &c->tasks[ps];
        unsigned k = c->ekinds[ps], derived = k & 7u;
        c->edges++;
        if (derived) {
            unsigned hz = s_hazards(c, p, t, false);
            if (!hz) {
                if (cons) {
                    c->excused++;
                } else {
                    s_fail(c, S_SPURIOUS, "edge %s -> %s (kinds 0x%x) but their bytes do not conflict",
                           s_id_str(p->id, ids), s_id_str(t->id, ids2), k);
                    for (uint32_t i = 0; i < p->nargs; i++)
                        s_append_arg(c, "older", p, i);
                    for (uint32_t i = 0; i < t->nargs; i++)
                        s_append_arg(c, "newer", t, i);
                    return;
                }
            } else if (derived & ~hz) {
                s_fail(c, S_KIND, "edge %s -> %s has kinds 0x%x, the bytes justify only 0x%x",
                       s_id_str(p->id, ids), s_id_str(t->id, ids2), k, hz);
                s_explain(c, p, t);
                return;
            }
        }
        if ((k & ORDO_EDGE_EXPLICIT) && !s_has_dep(t, p->id)) {
            s_fail(c, S_KIND, "explicit edge %s -> %s that was not asked for",
                   s_id_str(p->id, ids), s_id_str(t->id, ids2));
            return;
        }
        if (!c->fake && (e < 4 || s_permille(r, 20))) {
            unsigned gk = ordo_graph_edge(c->graph, p->id, t->id);
            if (gk != k) {
                s_fail(c, S_API, "ordo_graph_edge(%s, %s) = 0x%x, on_edge said 0x%x",
                       s_id_str(p->id, ids), s_id_str(t->id, ids2), gk, k);
                return;
            }
        }
        const uint64_t *pa = s_anc(c, ps);
        for (uint32_t w = 0; w < c->aw; w++)
            anc[w] |= pa[w];
        anc[ps >> 6] |= UINT64_C(1) << (ps & 63);
    }
    if (cons) {
        s_report_conservative(c, t);
    }

    /* Soundness: every unfinished task that t must follow is an ancestor. */
    for (uint32_t l = 0; l < c->nlive; l++) {
        uint32_t as = c->live[l];
        if ((anc[as >> 6] >> (as & 63)) & 1)
            continue;
        s_task_t *a = &c->tasks[as];
        if (s_has_dep(t, a->id)) {
            s_fail(c, S_MISSING, "task %s names unfinished task %s as a dependency, but no path "
                   "of edges orders it after it", s_id_str(t->id, ids), s_id_str(a->id, ids2));
            return;
        }
        unsigned hz = s_hazards(c, a, t, false);
        if (hz) {
            s_fail(c, S_MISSING, "task %s is not ordered after unfinished task %s, with which it "
                   "has hazards 0x%x (1 RAW, 2 WAR, 4 WAW)", s_id_str(t->id, ids),
                   s_id_str(a->id, ids2), hz);
            s_explain(c, a, t);
            return;
        }
    }
    for (uint32_t i = 0; i < t->ndeps; i++) {
        s_task_t *dt = s_find(c, t->deps[i]);
        c->deps_live += dt && s_unfinished(dt);
    }

    t->live_pos = c->nlive;
    c->live[c->nlive++] = slot;
    c->max_live = s_max(c->max_live, (uint64_t)c->nlive);
    if (!c->fake) {
        ordo_task_state_t st = ordo_graph_state(c->graph, t->id);
        ordo_task_state_t want = s_anc_empty(c, slot, NULL) ? ORDO_TASK_READY : ORDO_TASK_WAITING;
        if (st != want)
            s_fail(c, S_STATE, "task %s accepted in state %d, the model says %d",
                   s_id_str(t->id, ids), (int)st, (int)want);
    }
}

static void s_ctx_init(s_ctx_t *c, const s_cfg_t *cfg, uint64_t seed)
{
    memset(c, 0, sizeof *c);
    c->cfg = *cfg;
    c->seed = seed;
    s_rng_seed(&c->rng, seed);
    c->fake = cfg->drop_kinds || cfg->spurious_permille;
    c->verbose = getenv("ORDO_RANDOM_VERBOSE") && *getenv("ORDO_RANDOM_VERBOSE") &&
                 strcmp(getenv("ORDO_RANDOM_VERBOSE"), "0") != 0;
    uint32_t ring = s_max(s_max(cfg->seq_max + 8, 2 * cfg->win_max + 8), 64u);
    c->ring = (ring + 63) & ~63u;
    c->aw = c->ring / 64;
    c->tasks = calloc(c->ring, sizeof *c->tasks);
    c->anc = calloc((size_t)c->ring * c->aw, sizeof *c->anc);
    c->live = calloc(c->ring, sizeof *c->live);
    c->running = calloc(c->ring, sizeof *c->running);
    c->eslot = calloc(c->ring, sizeof *c->eslot);
    c->emark = calloc(c->ring, sizeof *c->emark);
    c->ekinds = calloc(c->ring, sizeof *c->ekinds);
    for (int s = 1; s <= S_NSESS; s++)
        c->sess_ring[s] = calloc(c->ring, sizeof *c->sess_ring[s]);
    if (!c->tasks || !c->anc || !c->live || !c->running || !c->eslot || !c->emark || !c->ekinds)
        tu_die("out of memory");
}

static void s_ctx_free(s_ctx_t *c)
{
    s_graph_free(c);
    for (uint32_t i = 0; i < c->ring; i++)
        for (int b = 0; b < S_NBUF; b++) {
            s_bset_free(&c->tasks[i].rd[b]);
            s_bset_free(&c->tasks[i].wr[b]);
        }
    free(c->tasks);
    free(c->anc);
    free(c->live);
    free(c->running);
    free(c->eslot);
    free(c->emark);
    free(c->ekinds);
    for (int s = 1; s <= S_NSESS; s++)
        free(c->sess_ring[s]);
}

static uint32_t s_window(s_ctx_t *c)
{
    return (uint32_t)s_range(&c->rng, c->cfg.win_min, c->cfg.win_max);
}

/* One run: live sequences (every task kept unfinished until the sequence
 * ends, then all run in a random order), or random completions between
 * submissions with phases that keep the live set small or full. */
static void s_run(s_ctx_t *c)
{
    s_rng_t *r = &c->rng;
    if (!c->cfg.complete) {
        while (c->accepted < c->cfg.tasks && !c->fail) {
            s_drain(c);
            if (c->fail)
                break;
            if (!c->graph || s_permille(r, 250))
                s_graph_new(c, s_window(c));
            uint32_t len = (uint32_t)s_range(r, c->cfg.seq_min, c->cfg.seq_max);
            for (uint32_t i = 0; i < len && !c->fail; i++) {
                s_submit(c);
                if ((i & 31) == 31)
                    s_check_states(c);
            }
            s_check_states(c);
        }
    } else {
        uint64_t phase_end = 0, graph_end = 0;
        int mean = 1, cp = 500;
        while (c->accepted < c->cfg.tasks && !c->fail) {
            if (c->accepted >= graph_end) {
                s_drain(c);
                if (c->fail)
                    break;
                s_graph_new(c, s_window(c));
                graph_end = c->accepted + (uint64_t)s_range(r, 500, 6000);
            }
            if (c->accepted >= phase_end) {
                /* mean actions per submit, in tenths: < 10 fills the window */
                static const int means[] = {3, 6, 9, 10, 12, 15, 20, 40};
                mean = means[s_below(r, 8)];
                cp = (int)s_range(r, 100, 900);
                phase_end = c->accepted + (uint64_t)s_range(r, 50, 800);
            }
            s_submit(c);
            int acts = (int)((s_below(r, (uint64_t)(2 * mean + 1)) + s_below(r, 10)) / 10);
            for (int i = 0; i < acts && !c->fail; i++)
                if (!s_step(c, cp))
                    break;
            if (c->nlive <= 32 || s_permille(r, 60))
                s_check_states(c);
        }
    }
    s_drain(c);
    s_graph_free(c);
    if (!c->fail && c->conservative)
        s_fail(c, S_CONSERVATIVE, "%" PRIu64 " conservative overlap answers for views of the "
               "exact class (the first pairs are printed on stderr)", c->conservative);
}

/* ============================================== direct geometry checks */

typedef bool (*s_overlap_fn)(const ordo_fp_t *a, const ordo_fp_t *b, ordo_geom_stats_t *st);

typedef struct {
    const char *name;
    uint64_t pairs;
    uint64_t buf_min, buf_max, max_base, max_elems;
    s_overlap_fn overlap;
} s_fpcfg_t;

typedef struct {
    uint64_t pairs, overlaps, subsets, contains_yes, contains_miss, contains_unknown;
    uint64_t self_miss, empty_miss, conservative;
    int fail;
    char msg[S_MSG];
} s_fpres_t;

static void s_fp_fail(s_fpres_t *res, const s_fpcfg_t *cfg, uint64_t seed, const char *what,
                      const ordo_view_t *a, const char *ha, const ordo_view_t *b, const char *hb)
{
    if (res->fail)
        return;
    char va[256], vb[256];
    s_view_str(a, va, sizeof va);
    s_view_str(b, vb, sizeof vb);
    res->fail = S_GEOM;
    snprintf(res->msg, S_MSG, "random[%s] %s after %" PRIu64 " pairs (seed 0x%" PRIx64
             ", replay: ORDO_RANDOM_SEED=%" PRIu64 ")\n    a: %s\n      made as %s\n    b: %s\n"
             "      made as %s", cfg->name, what, res->pairs, seed, s_base_seed(), va, ha, vb, hb);
}

/* Checks one canonical footprint against the oracle's bytes: exact bounds,
 * and the byte count exact unless the view repeats elements (broadcast),
 * where view.h only promises an upper bound. */
static bool s_fp_shape_ok(const ordo_fp_t *f, const ordo_view_t *v, const s_bset_t *bits)
{
    uint64_t lo, hi, n = s_bset_count(bits), fb = ordo_fp_bytes(f);
    bool repeats = false;
    for (int k = 0; k < v->ndim; k++)
        repeats |= v->strides[k] == 0 && v->shape[k] > 1;
    s_view_bounds(v, &lo, &hi);
    if (n == 0)
        return ordo_fp_empty(f) && fb == 0;
    return !ordo_fp_empty(f) && f->lo == lo && f->hi == hi && (repeats ? fb >= n : fb == n);
}

static void s_fp_run(const s_fpcfg_t *cfg, uint64_t seed, s_fpres_t *res)
{
    s_rng_t rng, *r = &rng;
    s_rng_seed(r, seed);
    memset(res, 0, sizeof *res);
    s_vlimits_t lim = {0, cfg->max_base, cfg->max_elems};
    s_base_t base;
    s_bset_t x = {0}, y = {0};
    char ha[S_HOW], hb[S_HOW], err[160];
    for (uint64_t i = 0; i < cfg->pairs && !res->fail; i++) {
        if (i % 64 == 0) {
            lim.bytes = (uint64_t)s_range(r, (int64_t)cfg->buf_min, (int64_t)cfg->buf_max);
            s_new_base(r, &lim, &base);
        } else if (s_permille(r, 100)) {
            s_new_base(r, &lim, &base);
        }
        ordo_view_t a = s_random_view(r, &base, &lim, ha);
        ordo_view_t b = s_permille(r, 150) ? a : s_random_view(r, &base, &lim, hb);
        if (memcmp(&a, &b, sizeof a) == 0)
            strcpy(hb, ha);
        res->pairs++;
        if (ordo_view_check(&a, lim.bytes, err, sizeof err) ||
            ordo_view_check(&b, lim.bytes, err, sizeof err)) {
            s_fp_fail(res, cfg, seed, "ordo_view_check rejects a valid view", &a, ha, &b, hb);
            break;
        }
        ordo_fp_t fa, fb;
        ordo_fp_make(&fa, &a);
        ordo_fp_make(&fb, &b);
        s_bset_view(&x, &a);
        s_bset_view(&y, &b);
        if (!s_fp_shape_ok(&fa, &a, &x) || !s_fp_shape_ok(&fb, &b, &y)) {
            s_fp_fail(res, cfg, seed, "canonical footprint: bounds or byte count differ from "
                      "the oracle", &a, ha, &b, hb);
            break;
        }
        bool ov = s_bset_meet(&x, &y);
        ordo_geom_stats_t st;
        memset(&st, 0, sizeof st);
        bool ab = cfg->overlap(&fa, &fb, &st), ba = cfg->overlap(&fb, &fa, &st);
        res->overlaps += ov;
        res->conservative += st.conservative;
        if (ab != ov || ba != ov) {
            s_fp_fail(res, cfg, seed, ov ? "overlap missed (answered disjoint)"
                      : st.conservative ? "conservative overlap answer (bytes disjoint)"
                                        : "overlap answered for disjoint bytes", &a, ha, &b, hb);
            break;
        }
        if (st.conservative) {
            s_fp_fail(res, cfg, seed, "conservative overlap answer", &a, ha, &b, hb);
            break;
        }
        /* containment both ways: yes must be a subset; count the misses */
        for (int dir = 0; dir < 2; dir++) {
            const ordo_fp_t *fo = dir ? &fb : &fa, *fi = dir ? &fa : &fb;
            const s_bset_t *bo = dir ? &y : &x, *bi = dir ? &x : &y;
            memset(&st, 0, sizeof st);
            bool yes = ordo_fp_contains(fo, fi, &st);
            bool sub = s_bset_subset(bi, bo);
            res->subsets += sub;
            res->contains_yes += yes;
            if (yes && !sub) {
                s_fp_fail(res, cfg, seed, dir ? "contains(b, a) but a is not a subset of b"
                                              : "contains(a, b) but b is not a subset of a",
                          &a, ha, &b, hb);
                break;
            }
            if (sub && !yes) {
                if (ordo_fp_empty(fi))
                    res->empty_miss++;
                else
                    res->contains_miss++;
                res->contains_unknown += st.contain_unknown;
            }
        }
        memset(&st, 0, sizeof st);
        if (!ordo_fp_empty(&fa) && !ordo_fp_contains(&fa, &fa, &st))
            res->self_miss++;
    }
    s_bset_free(&x);
    s_bset_free(&y);
}

/* The fake of the can-fail test: overlap of byte bounds only. */
static bool s_bounds_overlap(const ordo_fp_t *a, const ordo_fp_t *b, ordo_geom_stats_t *st)
{
    (void)st;
    return !ordo_fp_empty(a) && !ordo_fp_empty(b) && a->lo < b->hi && b->lo < a->hi;
}

/* ================================================================ tests */

static const s_fpcfg_t s_fp_cfgs[] = {
    {"fp-small", 150000, 16, 4096, 1024, 4096, ordo_fp_overlap},
    {"fp-large", 3000, 1 << 22, 1 << 22, 1 << 20, 1 << 20, ordo_fp_overlap},
};

START_TEST(test_fp_pairs)
{
    s_fpcfg_t cfg = s_fp_cfgs[_i];
    cfg.pairs = s_scaled(cfg.pairs);
    uint64_t seed = s_test_seed(cfg.name, 0);
    s_fpres_t res;
    double t0 = s_now();
    s_fp_run(&cfg, seed, &res);
    uint64_t tests = 2 * res.pairs;
    printf("random[%s]: %" PRIu64 " pairs, %" PRIu64 " overlapping, conservative %" PRIu64
           "; contains: %" PRIu64 " subsets by the oracle, %" PRIu64 " answered yes, %" PRIu64
           " missed (%" PRIu64 " counted unknown), %" PRIu64 " missed on an empty inner view, "
           "%" PRIu64 " missed self-containment; %.2f s\n",
           cfg.name, res.pairs, res.overlaps, res.conservative, res.subsets, res.contains_yes,
           res.contains_miss, res.contains_unknown, res.empty_miss, res.self_miss, s_now() - t0);
    fflush(stdout);
    ck_assert_msg(!res.fail, "%s", res.msg);
    ck_assert_uint_eq(res.conservative, 0);
    /* Containment is allowed to say no without proof, but it should rarely
     * miss: at most 1% of the oracle's non-empty subsets (of 2 per pair). */
    ck_assert_msg(res.contains_miss * 100 <= res.subsets + tests / 1000,
                  "contains missed %" PRIu64 " of %" PRIu64 " subsets", res.contains_miss,
                  res.subsets);
}
END_TEST

static const s_cfg_t s_graph_cfgs[] = {
    /* every task of a sequence kept live, then all run in random order */
    {.name = "live", .tasks = 100000, .seq_min = 2, .seq_max = 160, .win_min = 160,
     .win_max = 300, .nbuf = 3, .buf_min = 64, .buf_max = 4096, .max_base = 1024,
     .max_elems = 4096, .max_args = 4, .dep_permille = 60, .err_permille = 15},
    /* tiny buffers: nearly everything overlaps, long retirement chains */
    {.name = "live-dense", .tasks = 40000, .seq_min = 16, .seq_max = 240, .win_min = 240,
     .win_max = 256, .nbuf = 2, .buf_min = 8, .buf_max = 256, .max_base = 256,
     .max_elems = 1024, .max_args = 4, .dep_permille = 40, .err_permille = 10},
    /* random completions, small windows (EAGAIN) */
    {.name = "complete", .tasks = 60000, .complete = true, .win_min = 1, .win_max = 24,
     .nbuf = 3, .buf_min = 32, .buf_max = 2048, .max_base = 512, .max_elems = 2048,
     .max_args = 4, .dep_permille = 80, .err_permille = 15},
    /* random completions, wide windows */
    {.name = "complete-wide", .tasks = 60000, .complete = true, .win_min = 32, .win_max = 400,
     .nbuf = 3, .buf_min = 64, .buf_max = 4096, .max_base = 1024, .max_elems = 4096,
     .max_args = 4, .dep_permille = 60, .err_permille = 10},
    /* blocks read by many live tasks at once (W2), now and then written
     * (W1): read groups that form, grow, lose their leader and retire */
    {.name = "blocks-complete", .tasks = 40000, .complete = true, .win_min = 8,
     .win_max = 300, .nbuf = 2, .buf_min = 256, .buf_max = 4096, .max_base = 1024,
     .max_elems = 4096, .max_args = 4, .dep_permille = 30, .err_permille = 10,
     .block_permille = 800, .blocks = 16, .block_read_permille = 850},
    {.name = "blocks-live", .tasks = 30000, .seq_min = 16, .seq_max = 200, .win_min = 200,
     .win_max = 260, .nbuf = 2, .buf_min = 256, .buf_max = 4096, .max_base = 1024,
     .max_elems = 4096, .max_args = 4, .dep_permille = 30, .err_permille = 10,
     .block_permille = 800, .blocks = 8, .block_read_permille = 700},
    /* views up to 2^20 elements */
    {.name = "large", .tasks = 800, .seq_min = 2, .seq_max = 10, .win_min = 10, .win_max = 16,
     .nbuf = 2, .buf_min = 1 << 22, .buf_max = 1 << 22, .max_base = 1 << 20,
     .max_elems = 1 << 20, .max_args = 2, .dep_permille = 50, .err_permille = 10},
};

static void s_print_run(const s_ctx_t *c, double secs)
{
    printf("random[%s]: %" PRIu64 " tasks in %" PRIu64 " graphs, %" PRIu64 " edges, %" PRIu64
           " pops, %" PRIu64 " completions, %" PRIu64 " EAGAIN, %" PRIu64 " refused submits, %"
           PRIu64 " retired accesses, %" PRIu64 " deps on unfinished tasks, max live %" PRIu64
           ", conservative %" PRIu64 "; %.2f s\n",
           c->cfg.name, c->accepted, c->graphs, c->edges, c->pops, c->completions, c->eagain,
           c->refused, c->retired, c->deps_live, c->max_live, c->conservative, secs);
    fflush(stdout);
}

START_TEST(test_graph)
{
    s_cfg_t cfg = s_graph_cfgs[_i];
    cfg.tasks = s_scaled(cfg.tasks);
    s_ctx_t *c = malloc(sizeof *c);
    ck_assert_ptr_nonnull(c);
    s_ctx_init(c, &cfg, s_test_seed(cfg.name, 0));
    printf("random[%s]: %" PRIu64 " tasks, seed 0x%" PRIx64 " (ORDO_RANDOM_SEED=%" PRIu64
           "; ORDO_RANDOM_VERBOSE=1 traces every step)\n", cfg.name, cfg.tasks, c->seed,
           s_base_seed());
    fflush(stdout);
    double t0 = s_now();
    s_run(c);
    s_print_run(c, s_now() - t0);
    if (c->fail)
        fprintf(stderr, "%s\n", c->msg);
    ck_assert_msg(!c->fail, "%s", c->msg);
    ck_assert_uint_ge(c->accepted, cfg.tasks);
    ck_assert_uint_eq(c->excused, 0);
    s_ctx_free(c);
    free(c);
}
END_TEST

/* The checker must catch a graph that misses orderings or invents edges:
 * fakes drop the edges of one kind from the engine's answer (what a
 * runtime keyed on view identity does), or invent an edge between tasks
 * whose bytes are disjoint. */
typedef struct {
    const char *name;
    int base;               /* index in s_graph_cfgs */
    unsigned drop_kinds;
    int spurious_permille;
    bool unsafe_drop_war;
    int want;
} s_fake_t;

static const s_fake_t s_fakes[] = {
    {"fake-drop-war", 0, ORDO_EDGE_WAR, 0, false, S_MISSING},
    {"fake-drop-war-complete", 2, ORDO_EDGE_WAR, 0, false, S_MISSING},
    {"fake-drop-raw", 0, ORDO_EDGE_RAW, 0, false, S_MISSING},
    {"fake-drop-waw", 0, ORDO_EDGE_WAW, 0, false, S_MISSING},
    {"fake-drop-explicit", 2, ORDO_EDGE_EXPLICIT, 0, false, S_MISSING},
    {"fake-spurious", 0, 0, 20, false, S_SPURIOUS},
#ifdef ORDO_UNSAFE_DROP_WAR
    {"unsafe-drop-war", 0, 0, 0, true, S_MISSING},
    {"unsafe-drop-war-complete", 2, 0, 0, true, S_MISSING},
#endif
};

START_TEST(test_can_fail)
{
    const s_fake_t *f = &s_fakes[_i];
    s_cfg_t cfg = s_graph_cfgs[f->base];
    cfg.name = f->name;
    cfg.tasks = 20000;
    cfg.drop_kinds = f->drop_kinds;
    cfg.spurious_permille = f->spurious_permille;
    cfg.unsafe_drop_war = f->unsafe_drop_war;
    if (f->drop_kinds == ORDO_EDGE_EXPLICIT)
        cfg.dep_permille = 300;
    s_ctx_t *c = malloc(sizeof *c);
    ck_assert_ptr_nonnull(c);
    s_ctx_init(c, &cfg, s_test_seed(cfg.name, 0));
    s_run(c);
    printf("random[%s]: the checker caught it after %" PRIu64 " tasks: %.300s\n", f->name,
           c->accepted, c->fail ? c->msg : "(not caught)");
    fflush(stdout);
    ck_assert_msg(c->fail == f->want, "%s: expected %s, got %s: %s", f->name,
                  s_fail_names[f->want], s_fail_names[c->fail], c->fail ? c->msg : "");
    s_ctx_free(c);
    free(c);
}
END_TEST

START_TEST(test_can_fail_geometry)
{
    s_fpcfg_t cfg = s_fp_cfgs[0];
    cfg.name = "fake-bounds-overlap";
    cfg.overlap = s_bounds_overlap;
    s_fpres_t res;
    s_fp_run(&cfg, s_test_seed(cfg.name, 0), &res);
    printf("random[%s]: the checker caught it after %" PRIu64 " pairs\n", cfg.name, res.pairs);
    ck_assert_int_eq(res.fail, S_GEOM);
    ck_assert_msg(strstr(res.msg, "overlap answered for disjoint bytes") != NULL, "%s", res.msg);
}
END_TEST

/* Timeouts: CK_DEFAULT_TIMEOUT (make check sets 60) unless this test needs
 * more; scaled with ORDO_RANDOM_TASKS; 0 means none. */
static double s_timeout(double need, bool scaled)
{
    const char *e = getenv("CK_DEFAULT_TIMEOUT");
    double dflt = 60;
    if (e && *e) {
        dflt = strtod(e, NULL);
        if (dflt <= 0)
            return 0;
    }
    return s_max(dflt, scaled ? need * s_scale() : need);
}

static Suite *s_suite(void)
{
    Suite *s = suite_create("random");
    TCase *tc = tcase_create("geometry");
    tcase_set_timeout(tc, s_timeout(120, true));
    tcase_add_loop_test(tc, test_fp_pairs, 0, (int)(sizeof s_fp_cfgs / sizeof s_fp_cfgs[0]));
    suite_add_tcase(s, tc);

    tc = tcase_create("graph");
    tcase_set_timeout(tc, s_timeout(120, true));
    tcase_add_loop_test(tc, test_graph, 0, (int)(sizeof s_graph_cfgs / sizeof s_graph_cfgs[0]));
    suite_add_tcase(s, tc);

    tc = tcase_create("can_fail");
    tcase_set_timeout(tc, s_timeout(120, false));
    tcase_add_loop_test(tc, test_can_fail, 0, (int)(sizeof s_fakes / sizeof s_fakes[0]));
    tcase_add_test(tc, test_can_fail_geometry);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    const char *e = getenv("ORDO_RANDOM_SEED");
    if (e && strcmp(e, "random") == 0) {
        /* the only use of the clock: a fresh seed, printed for replay */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)getpid();
        char buf[32];
        snprintf(buf, sizeof buf, "%" PRIu64, s_splitmix(&x) >> 1);
        setenv("ORDO_RANDOM_SEED", buf, 1);
    }
    printf("check_random: ORDO_RANDOM_SEED=%" PRIu64 " ORDO_RANDOM_TASKS=%.0f\n", s_base_seed(),
           S_DEFAULT_TASKS * s_scale());
    fflush(stdout);
    SRunner *sr = srunner_create(s_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
