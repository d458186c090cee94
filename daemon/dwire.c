/*
 * dwire.c - protobuf-c behind plain C (see dwire.h).
 *
 * The only file of ordod that includes ordo.pb-c.h.  Decoding keeps the
 * unpacked protobuf message and hands out pointers into it; encoding builds
 * the protobuf structures on the stack and packs them into the caller's
 * reusable buffer, except for Completions, the message of every task, which
 * are written by hand (the same bytes, at about a quarter of the cost).
 *
 * A client message is unpacked into an arena owned by the message (a bump
 * allocator given to protobuf-c), so that a Submit of many tasks costs a
 * couple of allocations in all rather than several per task, and is freed
 * at once when its last task finishes.
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
    Ordo__V1__ClientMsg *pb;
    uint32_t refs;
    ordo_dwire_kind_t kind;
    ordo_dwire_msg_t *next;
    ProtobufCAllocator arena;       /* allocator_data is this message */
    s_chunk_t *chunks;
    size_t first_cap;
    size_t budget;                  /* most bytes the arena may take */
    size_t allocated;
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
 * scheduler thread.  The s_fast_* functions decode a ClientMsg that holds
 * one Submit straight into the same generated structures, in the same
 * arena, that protobuf-c would build: every encoding of it (fields in any
 * order, repeated scalars packed or not or both, unknown fields of any
 * valid wire type skipped, the last occurrence of a scalar, string or bytes
 * field winning).  Unknown fields are dropped rather than kept, as nothing
 * reads them.
 *
 * They never refuse a message themselves.  Whatever they do not handle
 * returns false and goes to protobuf-c whole, which then decodes or refuses
 * it exactly as before: every shape protobuf-c refuses (a wrong wire type
 * for a known field, truncation, an unterminated or over-long varint,
 * groups, field number 0), and rare valid shapes whose protobuf-c result
 * is its own (a singular sub-message given twice, which it merges or
 * replaces; any other or a second member of the ClientMsg oneof; keys and
 * length prefixes of 5 bytes, which it reads with 32-bit overflow), and a
 * message over the arena budget.  tests/check_dwire.c and
 * tests/fuzz/fuzz_dwire.c compare the two decoders field by field.
 */

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

/* A copy of a string or bytes field in the arena (protobuf-c copies too:
 * the socket's message is gone after decoding). */
static void *s_fast_copy(ordo_dwire_msg_t *m, ordo_pb_rd_t v, bool nul)
{
    size_t n = (size_t)(v.end - v.p);
    uint8_t *p = s_alloc(m, n + nul);
    if (p) {
        memcpy(p, v.p, n);
        if (nul)
            p[n] = 0;
    }
    return p;
}

static const Ordo__V1__View s_view_init = ORDO__V1__VIEW__INIT;
static const Ordo__V1__Arg s_arg_init = ORDO__V1__ARG__INIT;
static const Ordo__V1__Task s_task_init = ORDO__V1__TASK__INIT;
static const Ordo__V1__Submit s_submit_init = ORDO__V1__SUBMIT__INIT;
static const Ordo__V1__ClientMsg s_client_msg_init = ORDO__V1__CLIENT_MSG__INIT;

/* A View and its shape and strides, in one allocation. */
static bool s_fast_view(ordo_dwire_msg_t *m, ordo_pb_rd_t r, Ordo__V1__View **out)
{
    Ordo__V1__View view = s_view_init, *v = &view;
    const ordo_pb_rd_t start = r;
    size_t nshape = 0, nstrides = 0;
    /* Where shape and strides were, to read them again without a second
     * pass over the view when each came once (as libordo sends them). */
    ordo_pb_rd_t at[2] = { { NULL, NULL }, { NULL, NULL } };
    unsigned at_wt[2] = { 0, 0 }, times[2] = { 0, 0 };
    uint32_t f = 0;
    unsigned wt = 0;
    uint64_t x;
    while (r.p < r.end) {
        if (!ordo_pb_key(&r, &f, &wt))
            return false;
        switch (f) {
        case 1: case 2: case 3:
            if (wt != 0 || !ordo_pb_varint(&r, &x))
                return false;
            if (f == 1)
                v->buffer = x;
            else if (f == 2)
                v->dtype = (uint32_t)x;
            else
                v->offset = (int64_t)x;
            break;
        case 4: case 5:
            at[f - 4] = r;
            at_wt[f - 4] = wt;
            times[f - 4]++;
            if (!ordo_pb_repeated(&r, wt, NULL, f == 4 ? &nshape : &nstrides))
                return false;
            break;
        default:
            if (!ordo_pb_skip(&r, wt))
                return false;
        }
    }
    Ordo__V1__View *block = s_alloc(m, sizeof *block + (nshape + nstrides) * sizeof(int64_t));
    if (!block)
        return false;
    *block = view;
    *out = v = block;
    if (nshape == 0 && nstrides == 0)
        return true;
    int64_t *arrays = (int64_t *)(block + 1);
    v->shape = nshape ? arrays : NULL;
    v->strides = nstrides ? arrays + nshape : NULL;
    if (times[0] <= 1 && times[1] <= 1) {
        if (times[0])
            ordo_pb_repeated(&at[0], at_wt[0], (uint64_t *)v->shape, &v->n_shape);
        if (times[1])
            ordo_pb_repeated(&at[1], at_wt[1], (uint64_t *)v->strides, &v->n_strides);
        return true;
    }
    for (r = start; r.p < r.end;) {
        ordo_pb_key(&r, &f, &wt);  /* all checked above */
        if (f == 4)
            ordo_pb_repeated(&r, wt, (uint64_t *)v->shape, &v->n_shape);
        else if (f == 5)
            ordo_pb_repeated(&r, wt, (uint64_t *)v->strides, &v->n_strides);
        else
            ordo_pb_skip(&r, wt);
    }
    return true;
}

static bool s_fast_arg(ordo_dwire_msg_t *m, ordo_pb_rd_t r, Ordo__V1__Arg *a)
{
    *a = s_arg_init;
    ordo_pb_rd_t view = { NULL, NULL };
    bool has_view = false;
    uint32_t f = 0;
    unsigned wt = 0;
    uint64_t x;
    while (r.p < r.end) {
        if (!ordo_pb_key(&r, &f, &wt))
            return false;
        if (f == 1) {
            /* A second view is merged into the first by protobuf-c. */
            if (wt != 2 || has_view || !ordo_pb_sub(&r, &view))
                return false;
            has_view = true;
        } else if (f == 2) {
            if (wt != 0 || !ordo_pb_varint(&r, &x))
                return false;
            a->mode = (Ordo__V1__Mode)(int32_t)(uint32_t)x;
        } else if (!ordo_pb_skip(&r, wt)) {
            return false;
        }
    }
    return !has_view || s_fast_view(m, view, &a->view);
}

static bool s_fast_task(ordo_dwire_msg_t *m, ordo_pb_rd_t r, Ordo__V1__Task *t)
{
    *t = s_task_init;
    const ordo_pb_rd_t start = r;
    ordo_pb_rd_t kernel = { NULL, NULL }, params = kernel, data = kernel, sub = kernel;
    size_t nargs = 0, ndeps = 0;
    /* The first args and the deps, to read them without a second pass
     * over the task when there are few args and the deps came once. */
    enum { S_ARGS_SEEN = 8 };
    ordo_pb_rd_t argv[S_ARGS_SEEN], deps_at = { NULL, NULL };
    unsigned deps_wt = 0, deps_times = 0;
    uint32_t f = 0;
    unsigned wt = 0;
    uint64_t x;
    while (r.p < r.end) {
        if (!ordo_pb_key(&r, &f, &wt))
            return false;
        switch (f) {
        case 1:
            if (wt != 0 || !ordo_pb_varint(&r, &x))
                return false;
            t->id = x;
            break;
        case 2: case 3: case 4: case 6:
            if (wt != 2 || !ordo_pb_sub(&r, &sub))
                return false;
            if (f == 2)
                kernel = sub;
            else if (f == 3 && nargs < S_ARGS_SEEN)
                argv[nargs++] = sub;
            else if (f == 3)
                nargs++;
            else if (f == 4)
                params = sub;
            else
                data = sub;
            break;
        case 5:
            deps_at = r;
            deps_wt = wt;
            deps_times++;
            if (!ordo_pb_repeated(&r, wt, NULL, &ndeps))
                return false;
            break;
        default:
            if (!ordo_pb_skip(&r, wt))
                return false;
        }
    }
    if (kernel.p && !(t->kernel = s_fast_copy(m, kernel, true)))
        return false;
    if (params.p < params.end) {
        if (!(t->params.data = s_fast_copy(m, params, false)))
            return false;
        t->params.len = (size_t)(params.end - params.p);
    }
    if (data.p < data.end) {
        if (!(t->data.data = s_fast_copy(m, data, false)))
            return false;
        t->data.len = (size_t)(data.end - data.p);
    }
    if (nargs == 0 && ndeps == 0)
        return true;
    /* The deps, the args' pointers and the Args in one allocation. */
    uint64_t *block = s_alloc(m, ndeps * sizeof *t->deps +
                                     nargs * (sizeof *t->args + sizeof(Ordo__V1__Arg)));
    if (!block)
        return false;
    t->deps = ndeps ? block : NULL;
    t->args = nargs ? (Ordo__V1__Arg **)(block + ndeps) : NULL;
    Ordo__V1__Arg *args = (Ordo__V1__Arg *)((Ordo__V1__Arg **)(block + ndeps) + nargs);
    if (nargs <= S_ARGS_SEEN && deps_times <= 1) {
        for (size_t j = 0; j < nargs; j++) {
            if (!s_fast_arg(m, argv[j], &args[j]))
                return false;
            t->args[j] = &args[j];
        }
        t->n_args = nargs;
        if (deps_times)
            ordo_pb_repeated(&deps_at, deps_wt, t->deps, &t->n_deps);
        return true;
    }
    for (r = start; r.p < r.end;) {
        ordo_pb_key(&r, &f, &wt);  /* all checked above */
        if (f == 3) {
            ordo_pb_sub(&r, &sub);
            Ordo__V1__Arg *a = &args[t->n_args];
            if (!s_fast_arg(m, sub, a))
                return false;
            t->args[t->n_args++] = a;
        } else if (f == 5) {
            ordo_pb_repeated(&r, wt, t->deps, &t->n_deps);
        } else {
            ordo_pb_skip(&r, wt);
        }
    }
    return true;
}

static bool s_fast_submit(ordo_dwire_msg_t *m, ordo_pb_rd_t r, Ordo__V1__Submit *s)
{
    *s = s_submit_init;
    const ordo_pb_rd_t start = r;
    size_t ntasks = 0;
    uint32_t f = 0;
    unsigned wt = 0;
    ordo_pb_rd_t sub = { NULL, NULL };
    while (r.p < r.end) {
        if (!ordo_pb_key(&r, &f, &wt))
            return false;
        if (f == 1) {
            if (wt != 2 || !ordo_pb_sub(&r, &sub))
                return false;
            ntasks++;
        } else if (!ordo_pb_skip(&r, wt)) {
            return false;
        }
    }
    if (ntasks == 0)
        return true;
    Ordo__V1__Task *tasks = s_alloc(m, ntasks * (sizeof *tasks + sizeof *s->tasks));
    if (!tasks)
        return false;
    s->tasks = (Ordo__V1__Task **)(tasks + ntasks);
    for (r = start; r.p < r.end;) {
        ordo_pb_key(&r, &f, &wt);  /* all checked above */
        if (f == 1) {
            ordo_pb_sub(&r, &sub);
            Ordo__V1__Task *t = &tasks[s->n_tasks];
            if (!s_fast_task(m, sub, t))
                return false;
            s->tasks[s->n_tasks++] = t;
        } else {
            ordo_pb_skip(&r, wt);
        }
    }
    return true;
}

/* A ClientMsg whose one known field is a single Submit, decoded in m's
 * arena; NULL for anything else (the caller resets the arena and asks
 * protobuf-c). */
static Ordo__V1__ClientMsg *s_fast_decode(ordo_dwire_msg_t *m, const uint8_t *data, size_t size)
{
    ordo_pb_rd_t r = { data, data + size }, submit = { NULL, NULL };
    uint32_t f = 0;
    unsigned wt = 0;
    while (r.p < r.end) {
        if (!ordo_pb_key(&r, &f, &wt))
            return NULL;
        if (f == 2) {
            if (wt != 2 || submit.p || !ordo_pb_sub(&r, &submit))
                return NULL;
        } else if (f <= 8 || !ordo_pb_skip(&r, wt)) {
            return NULL;
        }
    }
    if (!submit.p)
        return NULL;
    Ordo__V1__ClientMsg *pb = s_arena_alloc(m, sizeof *pb);
    Ordo__V1__Submit *s = s_arena_alloc(m, sizeof *s);
    if (!pb || !s || !s_fast_submit(m, submit, s))
        return NULL;
    *pb = s_client_msg_init;
    pb->msg_case = ORDO__V1__CLIENT_MSG__MSG_SUBMIT;
    pb->submit = s;
    return pb;
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
    /* Unpacked structures take a few times the encoded size. */
    m->first_cap = size < (SIZE_MAX - 4096) / 4 ? 4 * size + 4096 : size;
    m->budget = size < (SIZE_MAX - S_ARENA_SLACK) / S_ARENA_FACTOR
                    ? S_ARENA_FACTOR * size + S_ARENA_SLACK
                    : SIZE_MAX;
    if (m->first_cap > m->budget)
        m->first_cap = m->budget;
    Ordo__V1__ClientMsg *pb = NULL;
    if (how != ORDO_DWIRE_DECODE_PROTOBUF_C)
        pb = s_fast_decode(m, data, size);
    if (!pb) {
        s_arena_reset(m);
        if (how == ORDO_DWIRE_DECODE_FAST) {
            s_msg_free(m);
            return s_err(err, errlen, ORDO_EAGAIN, "not for the fast path");
        }
        pb = ordo__v1__client_msg__unpack(&m->arena, size, data);
    }
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
    m->refs = 1;
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

const void *ordo_dwire_msg_pb(const ordo_dwire_msg_t *self)
{
    return self->pb;
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
    return self->kind == ORDO_DWIRE_SUBMIT ? self->pb->submit->n_tasks : 0;
}

void ordo_dwire_get_task(const ordo_dwire_msg_t *self, size_t i, ordo_dwire_task_t *out)
{
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
    const Ordo__V1__Arg *a = self->pb->submit->tasks[i]->args[j];
    if (!a || !a->view)
        return s_err(err, errlen, ORDO_EINVAL, "no view");
    const Ordo__V1__View *v = a->view;
    if (a->mode < ORDO__V1__MODE__MODE_IN || a->mode > ORDO__V1__MODE__MODE_INOUT) {
        if (err && errlen)
            snprintf(err, errlen, "mode %d is not in (1), out (2) or inout (3)", (int)a->mode);
        return ORDO_EINVAL;
    }
    if (v->n_shape != v->n_strides) {
        if (err && errlen)
            snprintf(err, errlen, "%zu shape entries but %zu strides", v->n_shape,
                     v->n_strides);
        return ORDO_EINVAL;
    }
    if (v->n_shape > ORDO_MAX_NDIM) {
        if (err && errlen)
            snprintf(err, errlen, "ndim %zu > %d", v->n_shape, ORDO_MAX_NDIM);
        return ORDO_EINVAL;
    }
    if (v->dtype > INT32_MAX || ordo_dtype_size((int)v->dtype) == 0) {
        if (err && errlen)
            snprintf(err, errlen, "unknown dtype %u", v->dtype);
        return ORDO_EINVAL;
    }
    memset(view, 0, sizeof *view);
    view->dtype = (int32_t)v->dtype;
    view->ndim = (int32_t)v->n_shape;
    view->offset = v->offset;
    for (size_t k = 0; k < v->n_shape; k++) {
        view->shape[k] = v->shape[k];
        view->strides[k] = v->strides[k];
    }
    *buffer = v->buffer;
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
 * writer takes about 440.  The bytes are exactly
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

/* A varint field (one-byte tag) when not zero: its size, and its bytes. */
#define S_VARINT_SIZE(v) ((v) ? 1 + ordo_pb_varint_len(v) : 0)
#define S_PUT_VARINT(p, tag, v)                                                            \
    do {                                                                                   \
        if (v) {                                                                           \
            *(p)++ = (tag);                                                                \
            (p) = ordo_pb_put_varint((p), (v));                                            \
        }                                                                                  \
    } while (0)

static size_t s_completion_size(const ordo_dwire_completion_t *c, size_t elen, size_t dlen)
{
    return S_VARINT_SIZE(c->id) + S_VARINT_SIZE((uint64_t)(int64_t)c->status) +
           S_VARINT_SIZE((uint64_t)(int64_t)c->code) +
           (elen ? 1 + ordo_pb_varint_len(elen) + elen : 0) + S_VARINT_SIZE(c->cause) +
           S_VARINT_SIZE(c->accepted_ns) + S_VARINT_SIZE(c->started_ns) +
           S_VARINT_SIZE(c->finished_ns) + (dlen ? 1 + ordo_pb_varint_len(dlen) + dlen : 0);
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
        p = ordo_pb_put_varint(p, s_completion_size(c, elen, dlen));
        S_PUT_VARINT(p, S_TAG_ID, c->id);
        S_PUT_VARINT(p, S_TAG_STATUS, (uint64_t)(int64_t)c->status);
        S_PUT_VARINT(p, S_TAG_CODE, (uint64_t)(int64_t)c->code);
        if (elen) {
            *p++ = S_TAG_ERROR;
            p = ordo_pb_put_varint(p, elen);
            memcpy(p, c->error, elen);
            p += elen;
        }
        S_PUT_VARINT(p, S_TAG_CAUSE, c->cause);
        S_PUT_VARINT(p, S_TAG_ACCEPTED, c->accepted_ns);
        S_PUT_VARINT(p, S_TAG_STARTED, c->started_ns);
        S_PUT_VARINT(p, S_TAG_FINISHED, c->finished_ns);
        if (dlen) {
            *p++ = S_TAG_DATA;
            p = ordo_pb_put_varint(p, dlen);
            memcpy(p, c->data, dlen);
            p += dlen;
        }
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
