/*
 * dwire.c - protobuf-c behind plain C (see dwire.h).
 *
 * The only file of ordod that includes ordo.pb-c.h.  Decoding keeps the
 * unpacked protobuf message and hands out pointers into it; encoding builds
 * the protobuf structures on the stack and packs them into the caller's
 * reusable buffer, except for Completions, the message of every task, which
 * are written by hand (the same bytes, at a tenth of the cost).
 *
 * A client message is unpacked into an arena owned by the message (a bump
 * allocator given to protobuf-c), so that a Submit of many tasks costs a
 * couple of allocations in all rather than several per task, and is freed
 * at once when its last task finishes.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ordo.pb-c.h"
#include "dwire.h"

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

int ordo_dwire_decode(const void *data, size_t size, ordo_dwire_msg_t **out,
                     char *err, size_t errlen)
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
 * descriptors twice (size, then bytes), cost about 1,700 instructions per
 * completion, a tenth of the daemon's work per task.  The bytes are exactly
 * protobuf-c's (fields in number order, proto3 zero values left out, int32
 * values sign-extended to ten bytes when negative); check_dwire compares
 * the two byte for byte. */

static size_t s_varint_len(uint64_t v)
{
    return ((size_t)(64 - __builtin_clzll(v | 1)) + 6) / 7; /* 7 bits a byte */
}

static uint8_t *s_put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* Tags (field number << 3 | wire type) of the fields written here. */
enum {
    S_TAG_SERVER_COMPLETIONS = 3 << 3 | 2,
    S_TAG_ITEMS = 1 << 3 | 2,
    S_TAG_ID = 1 << 3, S_TAG_STATUS = 2 << 3, S_TAG_CODE = 3 << 3,
    S_TAG_ERROR = 4 << 3 | 2, S_TAG_CAUSE = 5 << 3, S_TAG_ACCEPTED = 6 << 3,
    S_TAG_STARTED = 7 << 3, S_TAG_FINISHED = 8 << 3, S_TAG_DATA = 9 << 3 | 2
};

/* A varint field (one-byte tag) when not zero: its size, and its bytes. */
#define S_VARINT_SIZE(v) ((v) ? 1 + s_varint_len(v) : 0)
#define S_PUT_VARINT(p, tag, v)                                                                \
    do {                                                                                       \
        if (v) {                                                                               \
            *(p)++ = (tag);                                                                    \
            (p) = s_put_varint((p), (v));                                                      \
        }                                                                                      \
    } while (0)

static size_t s_completion_size(const ordo_dwire_completion_t *c, size_t elen, size_t dlen)
{
    return S_VARINT_SIZE(c->id) + S_VARINT_SIZE((uint64_t)(int64_t)c->status) +
           S_VARINT_SIZE((uint64_t)(int64_t)c->code) +
           (elen ? 1 + s_varint_len(elen) + elen : 0) + S_VARINT_SIZE(c->cause) +
           S_VARINT_SIZE(c->accepted_ns) + S_VARINT_SIZE(c->started_ns) +
           S_VARINT_SIZE(c->finished_ns) + (dlen ? 1 + s_varint_len(dlen) + dlen : 0);
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
        body += 1 + s_varint_len(len) + len;
    }
    if (s_reserve(b, 1 + s_varint_len(body) + body) != 0)
        return ORDO_ENOMEM;
    uint8_t *p = b->data;
    *p++ = S_TAG_SERVER_COMPLETIONS;
    p = s_put_varint(p, body);
    for (size_t i = 0; i < n; i++) {
        const ordo_dwire_completion_t *c = &items[i];
        size_t elen = s_error_len(c), dlen = s_data_len(c);
        *p++ = S_TAG_ITEMS;
        p = s_put_varint(p, s_completion_size(c, elen, dlen));
        S_PUT_VARINT(p, S_TAG_ID, c->id);
        S_PUT_VARINT(p, S_TAG_STATUS, (uint64_t)(int64_t)c->status);
        S_PUT_VARINT(p, S_TAG_CODE, (uint64_t)(int64_t)c->code);
        if (elen) {
            *p++ = S_TAG_ERROR;
            p = s_put_varint(p, elen);
            memcpy(p, c->error, elen);
            p += elen;
        }
        S_PUT_VARINT(p, S_TAG_CAUSE, c->cause);
        S_PUT_VARINT(p, S_TAG_ACCEPTED, c->accepted_ns);
        S_PUT_VARINT(p, S_TAG_STARTED, c->started_ns);
        S_PUT_VARINT(p, S_TAG_FINISHED, c->finished_ns);
        if (dlen) {
            *p++ = S_TAG_DATA;
            p = s_put_varint(p, dlen);
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
