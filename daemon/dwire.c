/*
 * dwire.c - protobuf-c behind plain C (see dwire.h).
 *
 * The only file of ordod that includes ordo.pb-c.h.  A Submit is decoded
 * by hand into a compact form of its own (below), anything else by
 * protobuf-c, whose unpacked message the accessors then read; encoding
 * builds the protobuf structures on the stack and packs them into the
 * caller's reusable buffer, except for Completions, the message of every
 * task, which are written by hand (the same bytes, at about a quarter of
 * the cost).
 *
 * A client message is decoded into an arena owned by the message (a bump
 * allocator, also given to protobuf-c), so that a Submit of many tasks
 * costs a couple of allocations in all rather than several per task, and
 * is freed at once when its last task finishes.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ordo.pb-c.h"
#include "dwire.h"
#include "pbwire.h"

typedef struct s_chunk {
    struct s_chunk *next;
    size_t used, cap;
    max_align_t data[];
} s_chunk_t;

struct ordo_dwire_msg {
    Ordo__V1__ClientMsg *pb;        /* protobuf-c's decoding, or NULL when... */
    struct s_task *tasks;           /* ...the fast path's: a Submit of ntasks */
    size_t ntasks;
    uint32_t refs;
    ordo_dwire_kind_t kind;
    ordo_dwire_msg_t *next;
    ProtobufCAllocator arena;       /* allocator_data is this message */
    s_chunk_t *chunks;
    size_t first_cap;
    size_t budget;                  /* most bytes the arena may take */
    size_t allocated;
    bool usual_only;                /* ORDO_DWIRE_DECODE_FAST_USUAL */
};

/* Decoded structures take a few times the encoded size (about 7x for
 * ordinary tasks, 1x for host data), but a hostile message of empty
 * repeated entries takes 2 bytes on the wire per ~100-byte structure.  The
 * arena refuses to grow past this multiple, so such a message is refused as
 * undecodable instead of taking gigabytes. */
#define S_ARENA_FACTOR 16
#define S_ARENA_SLACK (1u << 20)

/* protobuf-c's alloc: bump allocation in the message's chunks, a new chunk
 * (twice the last) when the current one is full. */
static void *s_arena_alloc(void *data, size_t size)
{
    ordo_dwire_msg_t *m = data;
    size_t align = sizeof(max_align_t);
    size = (size + align - 1) & ~(align - 1);
    s_chunk_t *c = m->chunks;
    if (!c || c->cap - c->used < size) {
        size_t cap = c ? 2 * c->cap : m->first_cap;
        if (cap > m->budget - m->allocated)
            cap = m->budget - m->allocated;
        if (cap < size)
            return NULL; /* over budget: protobuf-c then fails the unpack */
        s_chunk_t *n = malloc(sizeof *n + cap);
        if (!n)
            return NULL;
        n->next = c;
        n->used = 0;
        n->cap = cap;
        m->allocated += cap;
        m->chunks = c = n;
    }
    void *p = (char *)c->data + c->used;
    c->used += size;
    return p;
}

/* protobuf-c's free: nothing; the arena goes as a whole. */
static void s_arena_free(void *data, void *p)
{
}

static void s_msg_free(ordo_dwire_msg_t *m)
{
    while (m->chunks) {
        s_chunk_t *c = m->chunks;
        m->chunks = c->next;
        free(c);
    }
    free(m);
}

static int s_err(char *err, size_t errlen, int code, const char *text)
{
    if (err && errlen)
        snprintf(err, errlen, "%s", text);
    return code;
}

/* Forgets everything allocated so far (the fast path gave up). */
static void s_arena_reset(ordo_dwire_msg_t *m)
{
    while (m->chunks) {
        s_chunk_t *c = m->chunks;
        m->chunks = c->next;
        free(c);
    }
    m->allocated = 0;
}

/* ------------------------------------------------------------------ */
/*
 * The Submit fast path.
 *
 * Nearly every client message is a Submit, and protobuf-c's generic unpack
 * (a scan that records every field, a descriptor lookup per field, a
 * recursive unpack per sub-message) was most of the decoding cost of the
 * scheduler thread.  The fast path decodes a ClientMsg that holds one
 * Submit into the compact form below, which ordo_dwire_get_task and
 * ordo_dwire_get_arg read: one copy of the Submit's bytes in the arena,
 * a record per task and per argument, params, data and kernel names in
 * place in the copy, and shape and strides left as the packed varints
 * they came as until ordo_dwire_get_arg reads them (no array per view).
 * It takes every encoding of a Submit (fields in any order, repeated
 * scalars packed or not or both, unknown fields of any valid wire type
 * skipped, the last occurrence of a scalar, string or bytes field
 * winning); the layout libordo writes (client/wire.c) goes through
 * straight-line readers (s_task_usual and below) without a dispatch per
 * field, and any other through the general readers.
 *
 * The fast path never refuses a message itself.  Whatever it does not
 * handle returns false and goes to protobuf-c whole, which then decodes or
 * refuses it exactly as before: every shape protobuf-c refuses (a wrong
 * wire type for a known field, truncation, an unterminated or over-long
 * varint, groups, field number 0), and rare valid shapes whose protobuf-c
 * result is its own (a singular sub-message given twice, which it merges
 * or replaces; any other or a second member of the ClientMsg oneof; keys
 * and length prefixes of 5 bytes, which it reads with 32-bit overflow),
 * and a message over the arena budget.  tests/check_dwire.c and
 * tests/fuzz/fuzz_dwire.c compare the two decoders field by field, through
 * the accessors (tests/dwire_diff.h).
 */

/* ------------------------------------------------------------------ */
/* The fast path's representation of a Submit.                          */

/* An argument: its scalars, and its shape and strides still as the
 * varints they came as (checked), in the message's copy of the Submit;
 * ordo_dwire_get_arg reads them.  view is false when the Arg had none. */
typedef struct {
    const uint8_t *shape, *strides;     /* nshape and nstrides varints */
    size_t nshape, nstrides;
    uint64_t buffer;
    int64_t offset;
    uint32_t dtype;
    int32_t mode;
    bool view;
} s_arg_t;

/* A task: what ordo_dwire_get_task hands out, and its arguments. */
typedef struct s_task {
    ordo_dwire_task_t t;
    s_arg_t *args;
    const uint8_t *kernel_end;          /* the byte that becomes the name's NUL */
} s_task_t;

/* The occurrences of one repeated varint field in a message: where the
 * first one's varints start, how many bytes and values all of them hold. */
typedef struct {
    const uint8_t *p;
    size_t bytes, n;
    unsigned times;
} s_rep_t;

/* The fast path's allocation: a bump in the current chunk, inline, and
 * s_arena_alloc when it is full. */
static inline void *s_alloc(ordo_dwire_msg_t *m, size_t size)
{
    size_t align = sizeof(max_align_t);
    size = (size + align - 1) & ~(align - 1);
    s_chunk_t *c = m->chunks;
    if (c && c->cap - c->used >= size) {
        void *p = (char *)c->data + c->used;
        c->used += size;
        return p;
    }
    return s_arena_alloc(m, size);
}

/* Gives back p, the last allocation (s_alloc's always comes from the
 * current chunk): for a straight-line reader that gave up, so that the
 * general reader's allocation of the same records is not counted twice. */
static inline void s_unalloc(ordo_dwire_msg_t *m, void *p)
{
    m->chunks->used = (size_t)((char *)p - (char *)m->chunks->data);
}

/* A key as one number, field << 3 | wire type, so that one switch takes a
 * field and its wire type together.  False for what the fast path leaves:
 * field 0 and keys of more than 4 bytes.  r must not be at its end. */
static inline bool s_key(ordo_pb_rd_t *r, uint32_t *key)
{
    if (*r->p < 0x80)
        *key = *r->p++;
    else if (!ordo_pb_varint4(r, key))
        return false;
    return *key >= 8;
}

/* Keys of the fields the fast path reads. */
#define S_KEY(field, wt) ((uint32_t)(field) << 3 | (wt))

/* One occurrence (wire type wt, 0 or 2) of a repeated varint field. */
static inline bool s_rep(ordo_pb_rd_t *r, unsigned wt, s_rep_t *rep)
{
    ordo_pb_rd_t v = { r->p, NULL };
    uint64_t x;
    if (wt == 0) {
        if (!ordo_pb_varint(r, &x))
            return false;
        v.end = r->p;
        rep->n++;
    } else if (!ordo_pb_sub(r, &v) || !ordo_pb_count(v, &rep->n)) {
        return false;
    }
    if (rep->times++ == 0)
        rep->p = v.p;
    rep->bytes += (size_t)(v.end - v.p);
    return true;
}

/* When field came more than once in the (checked) message r: its varints
 * copied into one run in the arena, which then reads as one occurrence. */
static bool s_rep_join(ordo_dwire_msg_t *m, ordo_pb_rd_t r, uint32_t field, s_rep_t *rep)
{
    if (rep->times <= 1)
        return true;
    uint8_t *p = s_alloc(m, rep->bytes);
    if (!p)
        return false;
    rep->p = p;
    uint32_t key = 0;
    uint64_t x;
    while (r.p < r.end) {
        s_key(&r, &key);
        ordo_pb_rd_t v = { r.p, NULL };
        if (key == S_KEY(field, 0)) {
            ordo_pb_varint(&r, &x);
            v.end = r.p;
        } else if (key == S_KEY(field, 2)) {
            ordo_pb_sub(&r, &v);
        } else {
            ordo_pb_skip(&r, key & 7);
            continue;
        }
        memcpy(p, v.p, (size_t)(v.end - v.p));
        p += v.end - v.p;
    }
    return true;
}

/* A varint value at *pp, before end: ordo_pb_varint on a bare pointer. */
static inline bool s_varint(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
    const uint8_t *p = *pp;
    if (p < end && *p < 0x80) {
        *v = *p;
        *pp = p + 1;
        return true;
    }
    if (end - p >= 2 && p[1] < 0x80) {     /* offsets and shapes: two bytes */
        *v = (p[0] & 0x7fu) | (uint64_t)p[1] << 7;
        *pp = p + 2;
        return true;
    }
    if (end - p >= 10) {                    /* task ids: no end to test */
        uint64_t x = 0;
        for (unsigned i = 0; i < 10; i++) {
            x |= (uint64_t)(p[i] & 0x7f) << (7 * i);
            if (p[i] < 0x80) {
                *v = x;
                *pp = p + i + 1;
                return true;
            }
        }
        return false;
    }
    ordo_pb_rd_t r = { p, end };
    if (!ordo_pb_varint(&r, v))
        return false;
    *pp = r.p;
    return true;
}

/* A packed run of varints at *pp with a one-byte length, checked and
 * counted: where its values start and how many there are. */
static inline bool s_packed(const uint8_t **pp, const uint8_t *end, const uint8_t **at,
                            size_t *n)
{
    const uint8_t *p = *pp;
    if (p >= end || *p >= 0x80 || *p > end - p - 1)
        return false;
    /* One dimension, a value under 2^14 (1 or 2 bytes): counted at once. */
    if ((*p == 1 && p[1] < 0x80) || (*p == 2 && p[1] >= 0x80 && p[2] < 0x80)) {
        *at = p + 1;
        *n = 1;
        *pp = p + 1 + *p;
        return true;
    }
    ordo_pb_rd_t v = { p + 1, p + 1 + *p };
    *n = 0;
    if (!ordo_pb_count(v, n))
        return false;
    *at = v.p;
    *pp = v.end;
    return true;
}

/* A View as libordo writes it (client/wire.c): fields in number order,
 * none twice, the zero ones left out, shape and strides packed and under
 * 128 bytes, into a (whose view fields are zero).  False for any other
 * bytes, which the general readers (s_task_general, s_fast_view) then
 * read from the start of the task; this is only their common case in
 * straight code, without a dispatch per field. */
static inline bool s_view_usual(ordo_pb_rd_t r, s_arg_t *a)
{
    const uint8_t *p = r.p, *end = r.end;
    uint64_t x;
    if (p < end && *p == S_KEY(1, 0)) {
        p++;
        if (!s_varint(&p, end, &a->buffer))
            return false;
    }
    if (p < end && *p == S_KEY(2, 0)) {
        p++;
        if (!s_varint(&p, end, &x))
            return false;
        a->dtype = (uint32_t)x;
    }
    if (p < end && *p == S_KEY(3, 0)) {
        p++;
        if (!s_varint(&p, end, &x))
            return false;
        a->offset = (int64_t)x;
    }
    if (p < end && *p == S_KEY(4, 2)) {
        p++;
        if (!s_packed(&p, end, &a->shape, &a->nshape))
            return false;
    }
    if (p < end && *p == S_KEY(5, 2)) {
        p++;
        if (!s_packed(&p, end, &a->strides, &a->nstrides))
            return false;
    }
    return p == end;
}

/* A View in any encoding, into a (whose view fields are zero): the
 * general reader. */
static bool s_fast_view(ordo_dwire_msg_t *m, ordo_pb_rd_t r, s_arg_t *a)
{
    const ordo_pb_rd_t start = r;
    s_rep_t shape = { NULL, 0, 0, 0 }, strides = shape;
    uint32_t key = 0;
    uint64_t x;
    while (r.p < r.end) {
        if (!s_key(&r, &key))
            return false;
        switch (key) {
        case S_KEY(1, 0):
            if (!ordo_pb_varint(&r, &a->buffer))
                return false;
            break;
        case S_KEY(2, 0):
            if (!ordo_pb_varint(&r, &x))
                return false;
            a->dtype = (uint32_t)x;
            break;
        case S_KEY(3, 0):
            if (!ordo_pb_varint(&r, &x))
                return false;
            a->offset = (int64_t)x;
            break;
        case S_KEY(4, 0): case S_KEY(4, 2):
            if (!s_rep(&r, key & 7, &shape))
                return false;
            break;
        case S_KEY(5, 0): case S_KEY(5, 2):
            if (!s_rep(&r, key & 7, &strides))
                return false;
            break;
        default:
            if ((key >> 3) <= 5 || !ordo_pb_skip(&r, key & 7))
                return false;
        }
    }
    if (!s_rep_join(m, start, 4, &shape) || !s_rep_join(m, start, 5, &strides))
        return false;
    a->shape = shape.p;
    a->nshape = shape.n;
    a->strides = strides.p;
    a->nstrides = strides.n;
    return true;
}

static bool s_fast_arg(ordo_dwire_msg_t *m, ordo_pb_rd_t r, s_arg_t *a)
{
    memset(a, 0, sizeof *a);
    ordo_pb_rd_t view;
    uint32_t key = 0;
    uint64_t x;
    while (r.p < r.end) {
        if (!s_key(&r, &key))
            return false;
        if (key == S_KEY(1, 2)) {
            /* A second view is merged into the first by protobuf-c. */
            if (a->view || !ordo_pb_sub(&r, &view) || !s_fast_view(m, view, a))
                return false;
            a->view = true;
        } else if (key == S_KEY(2, 0)) {
            if (!ordo_pb_varint(&r, &x))
                return false;
            a->mode = (int32_t)(uint32_t)x;
        } else if ((key >> 3) <= 2 || !ordo_pb_skip(&r, key & 7)) {
            return false;
        }
    }
    return true;
}

/* A length-delimited value at *pp, before end: ordo_pb_sub on a bare
 * pointer. */
static inline bool s_sub(const uint8_t **pp, const uint8_t *end, ordo_pb_rd_t *sub)
{
    ordo_pb_rd_t r = { *pp, end };
    if (!ordo_pb_sub(&r, sub))
        return false;
    *pp = r.p;
    return true;
}

/* An Arg as libordo writes it: its view (as s_view_usual reads it), then
 * its mode.  False for other bytes (the caller starts over with the
 * general reader). */
static inline bool s_arg_usual(const uint8_t *p, const uint8_t *end, s_arg_t *a)
{
    memset(a, 0, sizeof *a);
    if (p < end && *p == S_KEY(1, 2)) {
        p++;
        if (p >= end || *p >= 0x80 || *p > end - p - 1)
            return false;
        ordo_pb_rd_t v = { p + 1, p + 1 + *p };
        if (!s_view_usual(v, a))
            return false;
        a->view = true;
        p = v.end;
    }
    if (p < end && *p == S_KEY(2, 0)) {
        uint64_t x;
        p++;
        if (!s_varint(&p, end, &x))
            return false;
        a->mode = (int32_t)(uint32_t)x;
    }
    return p == end;
}

/* The args a task reader keeps from its first pass (the usual reader
 * takes no more). */
#define S_ARGS_SEEN 8

/* Sets what ordo_dwire_get_task hands out; params and data are NULL when
 * empty, as protobuf-c leaves them. */
static void s_task_set(s_task_t *t, uint64_t id, ordo_pb_rd_t kernel, ordo_pb_rd_t params,
                       ordo_pb_rd_t data, size_t nargs, size_t ndeps)
{
    ordo_dwire_task_t *out = &t->t;
    out->id = id;
    out->kernel = kernel.p ? (const char *)kernel.p : "";
    t->kernel_end = kernel.end;
    out->nargs = nargs;
    out->params = params.p < params.end ? params.p : NULL;
    out->nparams = (size_t)(params.end - params.p);
    out->data = data.p < data.end ? data.p : NULL;
    out->ndata = (size_t)(data.end - data.p);
    out->deps = NULL;
    out->ndeps = ndeps;
    t->args = NULL;
}

/* t's args (nargs records, left for the caller to fill) and deps (the
 * ndeps checked varints at q) in one allocation; NULL over the budget. */
static s_arg_t *s_task_args(ordo_dwire_msg_t *m, s_task_t *t, size_t nargs, const uint8_t *q,
                            size_t ndeps)
{
    s_arg_t *args = s_alloc(m, nargs * sizeof *args + ndeps * sizeof *t->t.deps);
    if (!args)
        return NULL;
    t->args = nargs ? args : NULL;
    if (ndeps) {
        uint64_t *d = (uint64_t *)(args + nargs);
        for (size_t k = 0; k < ndeps; k++)
            d[k] = ordo_pb_next(&q);
        t->t.deps = d;
    }
    return args;
}

/* A Task as libordo writes it (client/wire.c): id, kernel, args, params,
 * deps (packed, once), data, in this order, none but args twice, the
 * empty ones left out, at most 8 args, each as s_arg_usual reads it.  False
 * for other bytes: s_fast_task then reads the task with the general
 * reader, from the start.  This is that reader's common case without the
 * dispatch per field and without the second pass over the args. */
static bool s_task_usual(ordo_dwire_msg_t *m, ordo_pb_rd_t r, s_task_t *t)
{
    const uint8_t *p = r.p, *end = r.end;
    ordo_pb_rd_t kernel = { NULL, NULL }, params = kernel, data = kernel, deps = kernel;
    uint64_t id = 0;
    if (p < end && *p == S_KEY(1, 0)) {
        p++;
        if (!s_varint(&p, end, &id))
            return false;
    }
    if (p < end && *p == S_KEY(2, 2)) {
        p++;
        if (!s_sub(&p, end, &kernel))
            return false;
    }
    ordo_pb_rd_t argv[S_ARGS_SEEN];
    size_t nargs = 0, ndeps = 0;
    while (p < end && *p == S_KEY(3, 2)) {
        p++;
        if (nargs == S_ARGS_SEEN || !s_sub(&p, end, &argv[nargs]))
            return false;
        nargs++;
    }
    if (p < end && *p == S_KEY(4, 2)) {
        p++;
        if (!s_sub(&p, end, &params))
            return false;
    }
    if (p < end && *p == S_KEY(5, 2)) {
        p++;
        if (!s_sub(&p, end, &deps) || !ordo_pb_count(deps, &ndeps))
            return false;
    }
    if (p < end && *p == S_KEY(6, 2)) {
        p++;
        if (!s_sub(&p, end, &data))
            return false;
    }
    if (p != end)
        return false;
    s_task_set(t, id, kernel, params, data, nargs, ndeps);
    if (nargs == 0 && ndeps == 0)
        return true;
    s_arg_t *args = s_task_args(m, t, nargs, deps.p, ndeps);
    if (!args)
        return false;
    for (size_t j = 0; j < nargs; j++)
        if (!s_arg_usual(argv[j].p, argv[j].end, &args[j])) {
            s_unalloc(m, args);
            return false;
        }
    return true;
}

/* A Task in any encoding: the general reader. */
static bool s_task_general(ordo_dwire_msg_t *m, ordo_pb_rd_t r, s_task_t *t)
{
    const ordo_pb_rd_t start = r;
    ordo_pb_rd_t kernel = { NULL, NULL }, params = kernel, data = kernel, sub = kernel;
    /* The first args, to read them without a second pass over the task. */
    ordo_pb_rd_t argv[S_ARGS_SEEN];
    size_t nargs = 0;
    s_rep_t deps = { NULL, 0, 0, 0 };
    uint64_t id = 0;
    uint32_t key = 0;
    while (r.p < r.end) {
        if (!s_key(&r, &key))
            return false;
        switch (key) {
        case S_KEY(1, 0):
            if (!ordo_pb_varint(&r, &id))
                return false;
            break;
        case S_KEY(2, 2):
            if (!ordo_pb_sub(&r, &kernel))
                return false;
            break;
        case S_KEY(3, 2):
            if (!ordo_pb_sub(&r, &sub))
                return false;
            if (nargs < S_ARGS_SEEN)
                argv[nargs] = sub;
            nargs++;
            break;
        case S_KEY(4, 2):
            if (!ordo_pb_sub(&r, &params))
                return false;
            break;
        case S_KEY(5, 0): case S_KEY(5, 2):
            if (!s_rep(&r, key & 7, &deps))
                return false;
            break;
        case S_KEY(6, 2):
            if (!ordo_pb_sub(&r, &data))
                return false;
            break;
        default:
            if ((key >> 3) <= 6 || !ordo_pb_skip(&r, key & 7))
                return false;
        }
    }
    s_task_set(t, id, kernel, params, data, nargs, deps.n);
    if (nargs == 0 && deps.n == 0)
        return true;
    s_arg_t *args;
    if (!s_rep_join(m, start, 5, &deps) || !(args = s_task_args(m, t, nargs, deps.p, deps.n)))
        return false;
    if (nargs <= S_ARGS_SEEN) {
        for (size_t j = 0; j < nargs; j++)
            if (!s_fast_arg(m, argv[j], &args[j]))
                return false;
        return true;
    }
    size_t j = 0;
    for (r = start; r.p < r.end;) {
        s_key(&r, &key);  /* all checked above */
        if (key == S_KEY(3, 2)) {
            ordo_pb_sub(&r, &sub);
            if (!s_fast_arg(m, sub, &args[j++]))
                return false;
        } else {
            ordo_pb_skip(&r, key & 7);
        }
    }
    return true;
}

static bool s_fast_task(ordo_dwire_msg_t *m, ordo_pb_rd_t r, s_task_t *t)
{
    return s_task_usual(m, r, t) || (!m->usual_only && s_task_general(m, r, t));
}

static bool s_fast_submit(ordo_dwire_msg_t *m, ordo_pb_rd_t r)
{
    const ordo_pb_rd_t start = r;
    size_t ntasks = 0;
    uint32_t key = 0;
    ordo_pb_rd_t sub = { NULL, NULL };
    while (r.p < r.end) {
        if (!s_key(&r, &key))
            return false;
        if (key == S_KEY(1, 2)) {
            if (!ordo_pb_sub(&r, &sub))
                return false;
            ntasks++;
        } else if ((key >> 3) == 1 || !ordo_pb_skip(&r, key & 7)) {
            return false;
        }
    }
    s_task_t *tasks = s_alloc(m, ntasks * sizeof *tasks);
    if (!tasks)
        return false;
    size_t n = 0;
    for (r = start; r.p < r.end;) {
        s_key(&r, &key);  /* all checked above */
        if (key == S_KEY(1, 2)) {
            ordo_pb_sub(&r, &sub);
            if (!s_fast_task(m, sub, &tasks[n++]))
                return false;
        } else {
            ordo_pb_skip(&r, key & 7);
        }
    }
    /* The kernel names end where they are.  The byte after a name starts
     * the next key (or is the byte after the Submit's copy), never a value
     * that is read later, and every key has been read by now. */
    for (size_t i = 0; i < n; i++)
        if (tasks[i].kernel_end)
            *(uint8_t *)tasks[i].kernel_end = 0;     /* the copy is the message's own */
    m->tasks = tasks;
    m->ntasks = n;
    return true;
}

/* A ClientMsg whose one known field is a single Submit, decoded into m
 * (m->tasks); false for anything else (the caller resets the arena and
 * asks protobuf-c). */
static bool s_fast_decode(ordo_dwire_msg_t *m, const uint8_t *data, size_t size)
{
    ordo_pb_rd_t r = { data, data + size }, submit = { NULL, NULL };
    uint32_t key = 0;
    while (r.p < r.end) {
        if (!s_key(&r, &key))
            return false;
        if (key == S_KEY(2, 2)) {
            if (submit.p || !ordo_pb_sub(&r, &submit))
                return false;
        } else if ((key >> 3) <= 8 || !ordo_pb_skip(&r, key & 7)) {
            return false;
        }
    }
    if (!submit.p)
        return false;
    /* The socket's message is gone after decoding, and params and data
     * are handed out in place: the Submit is copied once, with a byte to
     * spare for the last kernel name's NUL. */
    size_t n = (size_t)(submit.end - submit.p);
    uint8_t *copy = s_alloc(m, n + 1);
    if (!copy)
        return false;
    memcpy(copy, submit.p, n);
    copy[n] = 0;
    return s_fast_submit(m, (ordo_pb_rd_t){ copy, copy + n });
}

int ordo_dwire_decode(const void *data, size_t size, ordo_dwire_msg_t **out,
                     char *err, size_t errlen)
{
    return ordo_dwire_decode_how(data, size, out, err, errlen, ORDO_DWIRE_DECODE_AUTO);
}

int ordo_dwire_decode_how(const void *data, size_t size, ordo_dwire_msg_t **out,
                          char *err, size_t errlen, ordo_dwire_decode_how_t how)
{
    *out = NULL;
    ordo_dwire_msg_t *m = calloc(1, sizeof *m);
    if (!m)
        return s_err(err, errlen, ORDO_ENOMEM, "out of memory");
    m->arena.alloc = s_arena_alloc;
    m->arena.free = s_arena_free;
    m->arena.allocator_data = m;
    /* Decoded Submits take a few times the encoded size: about 5x in the
     * fast path's form for tasks of three one-dimensional views (the copy,
     * and 88 + 3 * 64 bytes for about 75 on the wire), 7x in protobuf-c's;
     * a large message is mostly host data, which takes 1x.  The first
     * chunk is that, up to 1 MiB over the message's size; the arena grows
     * by more chunks when it needs to. */
    size_t extra = size < ((size_t)1 << 20) / 5 ? 5 * size : (size_t)1 << 20;
    m->first_cap = size < SIZE_MAX - extra - 4096 ? size + extra + 4096 : size;
    m->budget = size < (SIZE_MAX - S_ARENA_SLACK) / S_ARENA_FACTOR
                    ? S_ARENA_FACTOR * size + S_ARENA_SLACK
                    : SIZE_MAX;
    if (m->first_cap > m->budget)
        m->first_cap = m->budget;
    m->refs = 1;
    m->usual_only = how == ORDO_DWIRE_DECODE_FAST_USUAL;
    if (how != ORDO_DWIRE_DECODE_PROTOBUF_C && s_fast_decode(m, data, size)) {
        m->kind = ORDO_DWIRE_SUBMIT;
        *out = m;
        return 0;
    }
    s_arena_reset(m);
    if (how == ORDO_DWIRE_DECODE_FAST || how == ORDO_DWIRE_DECODE_FAST_USUAL) {
        s_msg_free(m);
        return s_err(err, errlen, ORDO_EAGAIN, "not for the fast path");
    }
    Ordo__V1__ClientMsg *pb = ordo__v1__client_msg__unpack(&m->arena, size, data);
    if (!pb) {
        s_msg_free(m);
        return s_err(err, errlen, ORDO_EPROTO,
                     "undecodable message (not an ordo.v1.ClientMsg, truncated, or "
                     "decoding to more than 16 times its size)");
    }
    ordo_dwire_kind_t kind;
    switch (pb->msg_case) {
    case ORDO__V1__CLIENT_MSG__MSG_HELLO: kind = ORDO_DWIRE_HELLO; break;
    case ORDO__V1__CLIENT_MSG__MSG_SUBMIT: kind = ORDO_DWIRE_SUBMIT; break;
    case ORDO__V1__CLIENT_MSG__MSG_BUFFER_CREATE: kind = ORDO_DWIRE_BUFFER_CREATE; break;
    case ORDO__V1__CLIENT_MSG__MSG_BUFFER_OPEN: kind = ORDO_DWIRE_BUFFER_OPEN; break;
    case ORDO__V1__CLIENT_MSG__MSG_BUFFER_RELEASE: kind = ORDO_DWIRE_BUFFER_RELEASE; break;
    case ORDO__V1__CLIENT_MSG__MSG_WATCH: kind = ORDO_DWIRE_WATCH; break;
    case ORDO__V1__CLIENT_MSG__MSG_HEARTBEAT: kind = ORDO_DWIRE_HEARTBEAT; break;
    case ORDO__V1__CLIENT_MSG__MSG_BYE: kind = ORDO_DWIRE_BYE; break;
    default:
        s_msg_free(m);
        return s_err(err, errlen, ORDO_EPROTO, "ClientMsg without a known message");
    }
    /* Submit: a task slot may be absent only in a hostile message; refuse
     * the message whole rather than test for NULL everywhere. */
    if (kind == ORDO_DWIRE_SUBMIT) {
        for (size_t i = 0; i < pb->submit->n_tasks; i++) {
            if (!pb->submit->tasks[i]) {
                s_msg_free(m);
                return s_err(err, errlen, ORDO_EPROTO, "Submit with an empty task");
            }
        }
    }
    m->pb = pb;
    m->kind = kind;
    *out = m;
    return 0;
}

ordo_dwire_msg_t *ordo_dwire_msg_ref(ordo_dwire_msg_t *self)
{
    self->refs++;
    return self;
}

void ordo_dwire_msg_unref(ordo_dwire_msg_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ordo_dwire_msg_t *self = *self_p;
    *self_p = NULL;
    if (--self->refs > 0)
        return;
    s_msg_free(self);       /* the unpacked message lives in the arena */
}

ordo_dwire_kind_t ordo_dwire_kind(const ordo_dwire_msg_t *self)
{
    return self->kind;
}

ordo_dwire_msg_t **ordo_dwire_msg_next(ordo_dwire_msg_t *self)
{
    return &self->next;
}

void ordo_dwire_get_hello(const ordo_dwire_msg_t *self, ordo_dwire_hello_t *out)
{
    const Ordo__V1__Hello *h = self->pb->hello;
    out->protocol = h->protocol ? h->protocol : "";
    out->major = h->major;
    out->minor = h->minor;
    out->client = h->client ? h->client : "";
    out->resume_session = h->resume_session;
    out->resume_token = h->resume_token.data;
    out->resume_token_len = h->resume_token.len;
}

void ordo_dwire_get_request(const ordo_dwire_msg_t *self, ordo_dwire_request_t *out)
{
    memset(out, 0, sizeof *out);
    out->name = "";
    const Ordo__V1__ClientMsg *pb = self->pb;
    switch (self->kind) {
    case ORDO_DWIRE_BUFFER_CREATE:
        out->req = pb->buffer_create->req;
        out->size = pb->buffer_create->size;
        out->name = pb->buffer_create->name ? pb->buffer_create->name : "";
        break;
    case ORDO_DWIRE_BUFFER_OPEN:
        out->req = pb->buffer_open->req;
        out->name = pb->buffer_open->name ? pb->buffer_open->name : "";
        break;
    case ORDO_DWIRE_BUFFER_RELEASE:
        out->req = pb->buffer_release->req;
        out->buffer = pb->buffer_release->buffer;
        break;
    case ORDO_DWIRE_HEARTBEAT:
        out->req = pb->heartbeat->req;
        break;
    default:
        break;
    }
}

size_t ordo_dwire_task_count(const ordo_dwire_msg_t *self)
{
    if (self->kind != ORDO_DWIRE_SUBMIT)
        return 0;
    return self->pb ? self->pb->submit->n_tasks : self->ntasks;
}

void ordo_dwire_get_task(const ordo_dwire_msg_t *self, size_t i, ordo_dwire_task_t *out)
{
    if (!self->pb) {
        *out = self->tasks[i].t;
        return;
    }
    const Ordo__V1__Task *t = self->pb->submit->tasks[i];
    out->id = t->id;
    out->kernel = t->kernel ? t->kernel : "";
    out->nargs = t->n_args;
    out->deps = t->deps;
    out->ndeps = t->n_deps;
    out->params = t->params.data;
    out->nparams = t->params.len;
    out->data = t->data.data;
    out->ndata = t->data.len;
}

int ordo_dwire_get_arg(const ordo_dwire_msg_t *self, size_t i, size_t j, uint64_t *buffer,
                      int *mode, ordo_view_t *view, char *err, size_t errlen)
{
    /* Both decoders' arguments are checked as one: protobuf-c's is first
     * put in the fast path's form, but for its shape and strides. */
    s_arg_t pa;
    const s_arg_t *a = &pa;
    const Ordo__V1__View *v = NULL;
    if (!self->pb) {
        a = &self->tasks[i].args[j];
    } else {
        const Ordo__V1__Arg *pba = self->pb->submit->tasks[i]->args[j];
        memset(&pa, 0, sizeof pa);
        if (pba && pba->view) {
            v = pba->view;
            pa.view = true;
            pa.buffer = v->buffer;
            pa.dtype = v->dtype;
            pa.offset = v->offset;
            pa.nshape = v->n_shape;
            pa.nstrides = v->n_strides;
        }
        pa.mode = pba ? (int32_t)pba->mode : 0;
    }
    if (!a->view)
        return s_err(err, errlen, ORDO_EINVAL, "no view");
    if (a->mode < ORDO__V1__MODE__MODE_IN || a->mode > ORDO__V1__MODE__MODE_INOUT) {
        if (err && errlen)
            snprintf(err, errlen, "mode %d is not in (1), out (2) or inout (3)", (int)a->mode);
        return ORDO_EINVAL;
    }
    if (a->nshape != a->nstrides) {
        if (err && errlen)
            snprintf(err, errlen, "%zu shape entries but %zu strides", a->nshape, a->nstrides);
        return ORDO_EINVAL;
    }
    if (a->nshape > ORDO_MAX_NDIM) {
        if (err && errlen)
            snprintf(err, errlen, "ndim %zu > %d", a->nshape, ORDO_MAX_NDIM);
        return ORDO_EINVAL;
    }
    if (a->dtype > INT32_MAX || ordo_dtype_size((int)a->dtype) == 0) {
        if (err && errlen)
            snprintf(err, errlen, "unknown dtype %u", a->dtype);
        return ORDO_EINVAL;
    }
    /* The dimensions past ndim are zero: the server copies whole views. */
    view->dtype = (int32_t)a->dtype;
    view->ndim = (int32_t)a->nshape;
    view->offset = a->offset;
    memset(view->shape, 0, sizeof view->shape);
    memset(view->strides, 0, sizeof view->strides);
    if (v) {
        for (size_t k = 0; k < v->n_shape; k++) {
            view->shape[k] = v->shape[k];
            view->strides[k] = v->strides[k];
        }
    } else {
        const uint8_t *sp = a->shape, *tp = a->strides;
        for (size_t k = 0; k < a->nshape; k++) {
            view->shape[k] = (int64_t)ordo_pb_next(&sp);
            view->strides[k] = (int64_t)ordo_pb_next(&tp);
        }
    }
    *buffer = a->buffer;
    *mode = (int)a->mode;
    return 0;
}

const uint64_t *ordo_dwire_get_watch(const ordo_dwire_msg_t *self, size_t *n)
{
    *n = self->pb->watch->n_ids;
    return self->pb->watch->ids;
}

/* ------------------------------------------------------------------ */

void ordo_dwire_buf_free(ordo_dwire_buf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static int s_reserve(ordo_dwire_buf_t *b, size_t n)
{
    if (n <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < n)
        cap *= 2;
    uint8_t *p = realloc(b->data, cap);
    if (!p)
        return ORDO_ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

/* Packs a ServerMsg into b, growing it as needed. */
static int s_pack_server(ordo_dwire_buf_t *b, const Ordo__V1__ServerMsg *msg)
{
    size_t n = ordo__v1__server_msg__get_packed_size(msg);
    if (s_reserve(b, n ? n : 1) != 0)
        return ORDO_ENOMEM;
    b->len = ordo__v1__server_msg__pack(msg, b->data);
    return 0;
}

int ordo_dwire_encode_welcome(ordo_dwire_buf_t *b, const ordo_dwire_welcome_t *w)
{
    Ordo__V1__Welcome welcome = ORDO__V1__WELCOME__INIT;
    welcome.major = 1;
    welcome.minor = 0;
    welcome.session = w->session;
    welcome.token.data = (uint8_t *)w->token;
    welcome.token.len = w->token_len;
    welcome.credits = w->credits;
    welcome.next_seq = w->next_seq;
    welcome.max_message = w->max_message;
    welcome.daemon = (char *)(w->daemon ? w->daemon : "");
    Ordo__V1__ServerMsg msg = ORDO__V1__SERVER_MSG__INIT;
    msg.msg_case = ORDO__V1__SERVER_MSG__MSG_WELCOME;
    msg.welcome = &welcome;
    return s_pack_server(b, &msg);
}

int ordo_dwire_encode_reply(ordo_dwire_buf_t *b, uint64_t req, int code, const char *error,
                           uint64_t buffer, uint64_t size)
{
    Ordo__V1__Reply reply = ORDO__V1__REPLY__INIT;
    reply.req = req;
    reply.code = code;
    reply.error = (char *)(error ? error : "");
    reply.buffer = buffer;
    reply.size = size;
    Ordo__V1__ServerMsg msg = ORDO__V1__SERVER_MSG__INIT;
    msg.msg_case = ORDO__V1__SERVER_MSG__MSG_REPLY;
    msg.reply = &reply;
    return s_pack_server(b, &msg);
}

int ordo_dwire_encode_error(ordo_dwire_buf_t *b, int code, const char *message)
{
    Ordo__V1__Error error = ORDO__V1__ERROR__INIT;
    error.code = code;
    error.message = (char *)(message ? message : "");
    Ordo__V1__ServerMsg msg = ORDO__V1__SERVER_MSG__INIT;
    msg.msg_case = ORDO__V1__SERVER_MSG__MSG_ERROR;
    msg.error = &error;
    return s_pack_server(b, &msg);
}

/* Completions are written by hand: they are the one message the scheduler
 * thread sends per task, and protobuf-c's packer, which walks the field
 * descriptors twice (size, then bytes), cost about 1,600 instructions per
 * completion (callgrind), a tenth of the daemon's work per task; this
 * writer takes about 360.  The bytes are exactly
 * protobuf-c's (fields in number order, proto3 zero values left out, int32
 * values sign-extended to ten bytes when negative); check_dwire compares
 * the two byte for byte. */

/* Tags (field number << 3 | wire type) of the fields written here. */
enum {
    S_TAG_SERVER_COMPLETIONS = 3 << 3 | 2,
    S_TAG_ITEMS = 1 << 3 | 2,
    S_TAG_ID = 1 << 3, S_TAG_STATUS = 2 << 3, S_TAG_CODE = 3 << 3,
    S_TAG_ERROR = 4 << 3 | 2, S_TAG_CAUSE = 5 << 3, S_TAG_ACCEPTED = 6 << 3,
    S_TAG_STARTED = 7 << 3, S_TAG_FINISHED = 8 << 3, S_TAG_DATA = 9 << 3 | 2
};

static size_t s_completion_size(const ordo_dwire_completion_t *c, size_t elen, size_t dlen)
{
    return ordo_pb_varint_field_len(c->id) +
           ordo_pb_varint_field_len((uint64_t)(int64_t)c->status) +
           ordo_pb_varint_field_len((uint64_t)(int64_t)c->code) + ordo_pb_len_field_len(elen) +
           ordo_pb_varint_field_len(c->cause) + ordo_pb_varint_field_len(c->accepted_ns) +
           ordo_pb_varint_field_len(c->started_ns) + ordo_pb_varint_field_len(c->finished_ns) +
           ordo_pb_len_field_len(dlen);
}

static size_t s_error_len(const ordo_dwire_completion_t *c)
{
    return c->error ? strlen(c->error) : 0;
}

static size_t s_data_len(const ordo_dwire_completion_t *c)
{
    return c->data ? c->ndata : 0;
}

int ordo_dwire_encode_completions(ordo_dwire_buf_t *b, const ordo_dwire_completion_t *items,
                                 size_t n)
{
    size_t body = 0;        /* the Completions message */
    for (size_t i = 0; i < n; i++) {
        size_t len = s_completion_size(&items[i], s_error_len(&items[i]), s_data_len(&items[i]));
        body += 1 + ordo_pb_varint_len(len) + len;
    }
    if (s_reserve(b, 1 + ordo_pb_varint_len(body) + body) != 0)
        return ORDO_ENOMEM;
    uint8_t *p = b->data;
    *p++ = S_TAG_SERVER_COMPLETIONS;
    p = ordo_pb_put_varint(p, body);
    for (size_t i = 0; i < n; i++) {
        const ordo_dwire_completion_t *c = &items[i];
        size_t elen = s_error_len(c), dlen = s_data_len(c);
        *p++ = S_TAG_ITEMS;
        /* Without error text or data an item has seven varint fields,
         * 77 bytes at most: its length is one byte, filled in after the
         * item instead of sizing the item a second time. */
        uint8_t *lenp = NULL;
        if (elen == 0 && dlen == 0)
            lenp = p++;
        else
            p = ordo_pb_put_varint(p, s_completion_size(c, elen, dlen));
        uint8_t *item = p;
        p = ordo_pb_put_varint_field(p, S_TAG_ID, c->id);
        p = ordo_pb_put_varint_field(p, S_TAG_STATUS, (uint64_t)(int64_t)c->status);
        p = ordo_pb_put_varint_field(p, S_TAG_CODE, (uint64_t)(int64_t)c->code);
        p = ordo_pb_put_len_field(p, S_TAG_ERROR, c->error, elen);
        p = ordo_pb_put_varint_field(p, S_TAG_CAUSE, c->cause);
        p = ordo_pb_put_varint_field(p, S_TAG_ACCEPTED, c->accepted_ns);
        p = ordo_pb_put_varint_field(p, S_TAG_STARTED, c->started_ns);
        p = ordo_pb_put_varint_field(p, S_TAG_FINISHED, c->finished_ns);
        p = ordo_pb_put_len_field(p, S_TAG_DATA, c->data, dlen);
        if (lenp)
            *lenp = (uint8_t)(p - item);
    }
    b->len = (size_t)(p - b->data);
    return 0;
}

size_t ordo_dwire_completion_bound(const ordo_dwire_completion_t *c)
{
    /* 9 varints of <= 11 bytes with tags, two length-delimited fields,
     * and the item's own tag and length. */
    return 128 + (c->error ? strlen(c->error) : 0) + (c->data ? c->ndata : 0);
}

/* ------------------------------------------------------------------ */

int ordo_dwire_decode_status(const void *data, size_t size, ordo_dwire_status_req_t *out)
{
    memset(out, 0, sizeof *out);
    Ordo__V1__StatusRequest *pb = ordo__v1__status_request__unpack(NULL, size, data);
    if (!pb)
        return ORDO_EPROTO;
    out->command = pb->command ? pb->command : "";
    out->json = pb->json;
    out->nargs = pb->n_args;
    out->args = (const char *const *)pb->args;
    out->impl = pb;
    return 0;
}

void ordo_dwire_status_req_free(ordo_dwire_status_req_t *req)
{
    if (req->impl)
        ordo__v1__status_request__free_unpacked(req->impl, NULL);
    memset(req, 0, sizeof *req);
}

int ordo_dwire_encode_status_reply(ordo_dwire_buf_t *b, int code, const char *text)
{
    Ordo__V1__StatusReply reply = ORDO__V1__STATUS_REPLY__INIT;
    reply.code = code;
    reply.text = (char *)(text ? text : "");
    size_t n = ordo__v1__status_reply__get_packed_size(&reply);
    if (s_reserve(b, n ? n : 1) != 0)
        return ORDO_ENOMEM;
    b->len = ordo__v1__status_reply__pack(&reply, b->data);
    return 0;
}
