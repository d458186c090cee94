/*
 * fuzz_view.c - the view geometry (daemon/core/view.c) against a brute-force
 * byte oracle.
 *
 * The input encodes a buffer size and two views of that buffer (gen_seeds.c
 * writes the format):
 *
 *     mode u8          bit 0: a big buffer (near 2^48) instead of <= 4096
 *     size u16         the buffer size (small: size % 4097)
 *     view A, view B:  flags u8 (bit 0: "wide", 64-bit offset, shape and
 *                      strides; else i16 offset, i8 shapes, i16 strides),
 *                      dtype u8 (% 14: 0 and 13 are unknown), ndim i8 (% 10,
 *                      so -9..9), offset, then min(ndim, 8) pairs
 *                      (shape, stride).  Missing bytes read as zero.
 *
 * Properties, for every input:
 *  - ordo_view_check accepts exactly the views that a 128-bit reference
 *    says lie inside the buffer (known dtype, 0 <= ndim <= 8, shapes >= 0,
 *    offset >= 0, every byte in [0, size), size <= 2^48);
 *  - for accepted views with at most FZ_MAX_ELEMS elements (broadcast and
 *    unit dimensions aside), the canonical footprint covers exactly the
 *    bytes the elements cover, its bounds are the first and last byte, and
 *    ordo_fp_bytes is at least their number (equal when no byte repeats);
 *  - ordo_fp_overlap equals the oracle unless the stats counted a
 *    conservative answer (then it must say "overlap"), in both orders;
 *  - ordo_fp_contains: "true" implies inclusion; "false" without a counted
 *    unknown implies non-inclusion.
 * Views too large for the oracle still go through every function, so the
 * sanitizers and libFuzzer's timeout watch the arithmetic and the solver.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "view.h"
#include "fuzz_common.h"

#define FZ_SMALL_BUFFER 4096
#define FZ_MAX_ELEMS 4096       /* elements enumerated by the oracle */

/* What the regression runner reports (how exact the answers were). */
static struct {
    uint64_t views, valid, oracle, overlap, conservative, contain, contain_unknown;
} s_count;

static int64_t s_read_view(fz_reader_t *r, ordo_view_t *v)
{
    memset(v, 0, sizeof *v);
    uint8_t flags = fz_u8(r);
    bool wide = flags & 1;
    v->dtype = fz_u8(r) % 14;
    v->ndim = fz_i8(r) % 10;
    v->offset = wide ? fz_i64(r) : fz_i16(r);
    int n = v->ndim < 0 ? 0 : v->ndim > ORDO_MAX_NDIM ? ORDO_MAX_NDIM : v->ndim;
    for (int k = 0; k < n; k++) {
        v->shape[k] = wide ? fz_i64(r) : fz_i8(r);
        v->strides[k] = wide ? fz_i64(r) : fz_i16(r);
    }
    return 0;
}

/* The reference: is v inside a buffer of size bytes?  128-bit arithmetic,
 * no early overflow exit, written from DESIGN.md rather than view.c. */
static bool s_ref_valid(const ordo_view_t *v, uint64_t size)
{
    size_t esize = ordo_dtype_size(v->dtype);
    if (esize == 0 || v->ndim < 0 || v->ndim > ORDO_MAX_NDIM)
        return false;
    if (size > ORDO_MAX_BUFFER_BYTES || v->offset < 0)
        return false;
    bool empty = false;
    for (int k = 0; k < v->ndim; k++) {
        if (v->shape[k] < 0)
            return false;
        if (v->shape[k] == 0)
            empty = true;
    }
    if (empty)
        return (__int128)v->offset * (__int128)esize <= (__int128)size;
    __int128 lo = v->offset, hi = v->offset;
    for (int k = 0; k < v->ndim; k++) {
        __int128 ext = (__int128)(v->shape[k] - 1) * (__int128)v->strides[k];
        /* The span hi - lo is at least |ext| elements: past 2^64 it cannot
         * fit (and the sum below stays far from 128-bit overflow). */
        if (ext > ((__int128)1 << 64) || ext < -((__int128)1 << 64))
            return false;
        if (ext < 0)
            lo += ext;
        else
            hi += ext;
    }
    return lo >= 0 && (hi + 1) * (__int128)esize <= (__int128)size;
}

typedef struct {
    uint64_t lo, hi;
} s_iv_t;

typedef struct {
    s_iv_t *iv;
    size_t n;
    uint64_t bytes;     /* sum of the merged intervals */
    uint64_t raw;       /* sum before merging (elements * esize) */
} s_set_t;

static int s_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Sorts n starts of runs of len bytes and merges them into s. */
static void s_set_from_starts(s_set_t *s, uint64_t *starts, size_t n, uint64_t len)
{
    qsort(starts, n, sizeof *starts, s_cmp_u64);
    s->iv = malloc((n ? n : 1) * sizeof *s->iv);
    FUZZ_ASSERT(s->iv);
    s->n = 0;
    s->bytes = 0;
    s->raw = (uint64_t)n * len;
    for (size_t i = 0; i < n; i++) {
        if (s->n && starts[i] <= s->iv[s->n - 1].hi) {
            if (starts[i] + len > s->iv[s->n - 1].hi)
                s->iv[s->n - 1].hi = starts[i] + len;
        } else {
            s->iv[s->n++] = (s_iv_t){starts[i], starts[i] + len};
        }
    }
    for (size_t i = 0; i < s->n; i++)
        s->bytes += s->iv[i].hi - s->iv[i].lo;
}

/* The bytes of a checked, non-empty view, by enumerating its elements
 * (broadcast and unit dimensions add none).  False when there are more
 * than FZ_MAX_ELEMS. */
static bool s_view_set(const ordo_view_t *v, s_set_t *s)
{
    int64_t shape[ORDO_MAX_NDIM], stride[ORDO_MAX_NDIM];
    int n = 0;
    uint64_t count = 1;
    for (int k = 0; k < v->ndim; k++) {
        if (v->shape[k] == 1 || v->strides[k] == 0)
            continue;
        if ((uint64_t)v->shape[k] > FZ_MAX_ELEMS / count)
            return false;
        count *= (uint64_t)v->shape[k];
        shape[n] = v->shape[k];
        stride[n] = v->strides[k];
        n++;
    }
    uint64_t esize = ordo_dtype_size(v->dtype);
    uint64_t *starts = malloc(count * sizeof *starts);
    FUZZ_ASSERT(starts);
    int64_t idx[ORDO_MAX_NDIM] = {0};
    for (uint64_t i = 0; i < count; i++) {
        __int128 e = v->offset;
        for (int k = 0; k < n; k++)
            e += (__int128)idx[k] * stride[k];
        FUZZ_ASSERT(e >= 0);
        starts[i] = (uint64_t)e * esize;
        for (int k = n - 1; k >= 0; k--) {
            if (++idx[k] < shape[k])
                break;
            idx[k] = 0;
        }
    }
    s_set_from_starts(s, starts, count, esize);
    free(starts);
    return true;
}

/* The bytes a canonical footprint names: runs of dim[0].count bytes at
 * lo + sum_{k>=1} j_k * dim[k].stride.  False when too many runs. */
static bool s_fp_set(const ordo_fp_t *fp, s_set_t *s)
{
    FUZZ_ASSERT(fp->ndim >= 1 && fp->ndim <= ORDO_MAX_NDIM + 1);
    FUZZ_ASSERT(fp->dim[0].stride == 1);
    uint64_t count = 1;
    for (uint32_t k = 1; k < fp->ndim; k++) {
        FUZZ_ASSERT(fp->dim[k].count >= 1);
        if (fp->dim[k].count > FZ_MAX_ELEMS / count)
            return false;
        count *= fp->dim[k].count;
    }
    uint64_t *starts = malloc(count * sizeof *starts);
    FUZZ_ASSERT(starts);
    uint64_t idx[ORDO_MAX_NDIM + 1] = {0};
    for (uint64_t i = 0; i < count; i++) {
        uint64_t q = fp->lo;
        for (uint32_t k = 1; k < fp->ndim; k++)
            q += idx[k] * fp->dim[k].stride;
        starts[i] = q;
        for (uint32_t k = fp->ndim - 1; k >= 1; k--) {
            if (++idx[k] < fp->dim[k].count)
                break;
            idx[k] = 0;
        }
    }
    s_set_from_starts(s, starts, count, fp->dim[0].count);
    free(starts);
    return true;
}

static bool s_set_equal(const s_set_t *a, const s_set_t *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (a->iv[i].lo != b->iv[i].lo || a->iv[i].hi != b->iv[i].hi)
            return false;
    return true;
}

static bool s_set_intersect(const s_set_t *a, const s_set_t *b)
{
    for (size_t i = 0, j = 0; i < a->n && j < b->n;) {
        if (a->iv[i].hi <= b->iv[j].lo)
            i++;
        else if (b->iv[j].hi <= a->iv[i].lo)
            j++;
        else
            return true;
    }
    return false;
}

/* Every byte of inner in outer?  (Merged intervals: each of inner's must
 * sit inside one of outer's.) */
static bool s_set_subset(const s_set_t *outer, const s_set_t *inner)
{
    size_t i = 0;
    for (size_t j = 0; j < inner->n; j++) {
        while (i < outer->n && outer->iv[i].hi <= inner->iv[j].lo)
            i++;
        if (i == outer->n || outer->iv[i].lo > inner->iv[j].lo ||
            outer->iv[i].hi < inner->iv[j].hi)
            return false;
    }
    return true;
}

/* Canonical form and oracle of one valid view; returns whether the oracle
 * set s was built. */
static bool s_check_one(const ordo_view_t *v, uint64_t size, ordo_fp_t *fp, s_set_t *s)
{
    ordo_fp_make(fp, v);
    /* (Not from the element count: a broadcast view of a big buffer can
     * name 2^64 elements, past what ordo_view_elements counts.) */
    bool empty = false;
    for (int k = 0; k < v->ndim; k++)
        empty |= v->shape[k] == 0;
    FUZZ_ASSERT(ordo_fp_empty(fp) == empty);
    if (empty)
        return false;
    FUZZ_ASSERT(fp->lo < fp->hi && fp->hi <= size);
    if (!s_view_set(v, s))
        return false;
    s_count.oracle++;
    FUZZ_ASSERT(s->n > 0);
    FUZZ_ASSERT(fp->lo == s->iv[0].lo);
    FUZZ_ASSERT(fp->hi == s->iv[s->n - 1].hi);
    uint64_t nb = ordo_fp_bytes(fp);
    FUZZ_ASSERT(nb >= s->bytes);
    if (s->raw == s->bytes)     /* no byte repeats: exact */
        FUZZ_ASSERT(nb == s->bytes);
    s_set_t c;
    if (s_fp_set(fp, &c)) {
        FUZZ_ASSERT(s_set_equal(s, &c));
        free(c.iv);
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_reader_t r = {data, size, 0};
    uint8_t mode = fz_u8(&r);
    uint16_t sz = fz_u16(&r);
    uint64_t bufsize;
    if (mode & 1)       /* around 2^48, both sides of the limit */
        bufsize = ORDO_MAX_BUFFER_BYTES + (sz & 1) - (sz >> 1);
    else
        bufsize = sz % (FZ_SMALL_BUFFER + 1);
    ordo_view_t v[2];
    s_read_view(&r, &v[0]);
    s_read_view(&r, &v[1]);

    bool valid[2];
    for (int i = 0; i < 2; i++) {
        char err[256];
        err[0] = 0;
        int rc = ordo_view_check(&v[i], bufsize, err, sizeof err);
        valid[i] = rc == 0;
        FUZZ_ASSERT(rc == 0 || rc == ORDO_EINVAL || rc == ORDO_ERANGE);
        FUZZ_ASSERT(rc == 0 || err[0] != 0);
        FUZZ_ASSERT(valid[i] == s_ref_valid(&v[i], bufsize));
        s_count.views++;
        s_count.valid += valid[i];
    }
    if (!valid[0] || !valid[1])
        return 0;

    ordo_fp_t fp[2];
    s_set_t set[2];
    bool have[2];
    for (int i = 0; i < 2; i++)
        have[i] = s_check_one(&v[i], bufsize, &fp[i], &set[i]);

    ordo_geom_stats_t st = {0};
    for (int dir = 0; dir < 2; dir++) {
        const ordo_fp_t *a = &fp[dir], *b = &fp[1 - dir];
        uint64_t before = st.conservative;
        bool ov = ordo_fp_overlap(a, b, &st);
        bool conservative = st.conservative != before;
        s_count.overlap++;
        s_count.conservative += conservative;
        if (have[0] && have[1]) {
            bool truth = s_set_intersect(&set[dir], &set[1 - dir]);
            FUZZ_ASSERT(conservative ? ov : ov == truth);
        }
        before = st.contain_unknown;
        bool in = ordo_fp_contains(a, b, &st);
        bool unknown = st.contain_unknown != before;
        s_count.contain++;
        s_count.contain_unknown += unknown;
        if (ordo_fp_empty(b))
            FUZZ_ASSERT(in);
        else if (have[0] && have[1]) {
            bool truth = s_set_subset(&set[dir], &set[1 - dir]);
            if (in)
                FUZZ_ASSERT(truth);
            else if (!unknown)
                FUZZ_ASSERT(!truth);
        }
        /* A footprint meets and holds itself. */
        FUZZ_ASSERT(ordo_fp_overlap(a, a, &st) == !ordo_fp_empty(a));
        FUZZ_ASSERT(ordo_fp_contains(a, a, &st));
    }
    for (int i = 0; i < 2; i++)
        if (have[i])
            free(set[i].iv);
    return 0;
}

static void fz_report(void)
{
    printf("views %llu (valid %llu), oracle %llu; overlap tests %llu, conservative %llu; "
           "containment tests %llu, unknown %llu\n",
           (unsigned long long)s_count.views, (unsigned long long)s_count.valid,
           (unsigned long long)s_count.oracle, (unsigned long long)s_count.overlap,
           (unsigned long long)s_count.conservative, (unsigned long long)s_count.contain,
           (unsigned long long)s_count.contain_unknown);
}
