/*
 * wire.c - encodes ClientMsg and StatusRequest, decodes ServerMsg and
 * StatusReply (proto/ordo.proto) for libordo.
 *
 * The only file of the client that includes the generated ordo.pb-c.h.
 * Encoding packs into one malloc'd block the size of the message.  Submit,
 * the message of every task, is written by hand, task by task as they are
 * submitted (protobuf-c's bytes at about a twentieth of the cost); the
 * rest goes through protobuf-c.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ordo.pb-c.h"
#include "pbwire.h"
#include "wire.h"

/* Packs a ClientMsg into out. */
static int s_pack_client(ordo_wbuf_t *out, const Ordo__V1__ClientMsg *msg)
{
    size_t len = ordo__v1__client_msg__get_packed_size(msg);
    /* A zero-length message is legal protobuf (an empty oneof never is
     * sent, but keep malloc(0) out of the picture). */
    out->data = malloc(len ? len : 1);
    if (!out->data)
        return ORDO_ENOMEM;
    out->off = 0;
    out->len = ordo__v1__client_msg__pack(msg, out->data);
    return 0;
}

int ordo_wire_hello(ordo_wbuf_t *out, const char *client, uint64_t resume_session,
                    const uint8_t *token, size_t token_len)
{
    Ordo__V1__Hello hello = ORDO__V1__HELLO__INIT;
    hello.protocol = (char *)ORDO_WIRE_PROTOCOL;
    hello.major = ORDO_WIRE_MAJOR;
    hello.minor = ORDO_WIRE_MINOR;
    hello.client = (char *)(client ? client : "");
    hello.resume_session = resume_session;
    hello.resume_token.data = (uint8_t *)token;
    hello.resume_token.len = token ? token_len : 0;
    Ordo__V1__ClientMsg msg = ORDO__V1__CLIENT_MSG__INIT;
    msg.msg_case = ORDO__V1__CLIENT_MSG__MSG_HELLO;
    msg.hello = &hello;
    return s_pack_client(out, &msg);
}

/* Submit, the message of every task, is written by hand, each task
 * straight into the message when it is submitted: protobuf-c's packer
 * walks the field descriptors twice (size, then bytes) and cost about
 * 5,250 instructions per W1 task (callgrind); a batch of copied tasks
 * written in two passes (sizes, then bytes) about 1,600 with its
 * batching; this writer takes about 250.  The bytes are exactly
 * protobuf-c's (fields in number order, proto3 zero values and empty
 * repeated fields left out, repeated integers packed, negative int64
 * values as ten-byte varints, every length the shortest varint);
 * check_wire compares the two byte for byte.
 *
 * One pass: a nested message's length is written before it, but known
 * only after it, so its length is first taken to fit in one byte (under
 * 128: a W1 task is about 75 bytes) and the payload moved up when it does
 * not (s_end_len).  A task's params, deps and data, whose lengths are
 * known, are written after its length is fixed, so a large host_write's
 * data is never moved. */

/* Tags (field number << 3 | wire type; 0 varint, 2 length-delimited). */
enum {
    S_TAG_CLIENT_SUBMIT = 2 << 3 | 2,
    S_TAG_SUBMIT_TASKS = 1 << 3 | 2,
    S_TAG_TASK_ID = 1 << 3, S_TAG_TASK_KERNEL = 2 << 3 | 2, S_TAG_TASK_ARGS = 3 << 3 | 2,
    S_TAG_TASK_PARAMS = 4 << 3 | 2, S_TAG_TASK_DEPS = 5 << 3 | 2, S_TAG_TASK_DATA = 6 << 3 | 2,
    S_TAG_ARG_VIEW = 1 << 3 | 2, S_TAG_ARG_MODE = 2 << 3,
    S_TAG_VIEW_BUFFER = 1 << 3, S_TAG_VIEW_DTYPE = 2 << 3, S_TAG_VIEW_OFFSET = 3 << 3,
    S_TAG_VIEW_SHAPE = 4 << 3 | 2, S_TAG_VIEW_STRIDES = 5 << 3 | 2
};

/* A view's packed shape or strides: at most ORDO_MAX_NDIM ten-byte
 * varints, so their one-byte length is always right. */
_Static_assert(ORDO_MAX_NDIM * 10 < 0x80, "a packed shape's length fits in one byte");

/* A packed repeated varint field of the n values at v, whose encoded
 * length len is known (a view's shape and strides: less than 0x80). */
static inline uint8_t *s_put_packed(uint8_t *p, uint8_t tag, const uint64_t *v, size_t n,
                                    size_t len)
{
    *p++ = tag;
    p = ordo_pb_put_varint(p, len);
    for (size_t k = 0; k < n; k++)
        p = ordo_pb_put_varint(p, v[k]);
    return p;
}

/* A view's shape or strides (1 to ORDO_MAX_NDIM values; int64 and uint64
 * may alias): the values are written first, then their length in the one
 * byte before them. */
static inline uint8_t *s_put_packed_view(uint8_t *p, uint8_t tag, const int64_t *v, size_t n)
{
    uint8_t *end = s_put_packed(p, tag, (const uint64_t *)v, n, 0);
    p[1] = (uint8_t)(end - (p + 2));
    return end;
}

/* Ends a length-delimited payload written from body to p, one byte past
 * the one-byte length it was given: writes its length there, and moves
 * the payload up when the length needs more bytes.  Returns the new
 * end. */
static inline uint8_t *s_end_len(uint8_t *body, uint8_t *p)
{
    size_t len = (size_t)(p - body);
    if (len < 0x80) {
        body[-1] = (uint8_t)len;
        return p;
    }
    size_t more = ordo_pb_varint_len(len) - 1;
    memmove(body + more, body, len);
    ordo_pb_put_varint(body - 1, len);
    return p + more;
}

/* The Mode of an ordo.h access mode; anything else is MODE_UNSPECIFIED,
 * which the daemon refuses. */
static uint64_t s_mode_value(int mode)
{
    return mode == ORDO_IN ? 1 : mode == ORDO_OUT ? 2 : mode == ORDO_INOUT ? 3 : 0;
}

/* The payload of the packed deps. */
static size_t s_deps_len(const uint64_t *deps, size_t n)
{
    size_t len = 0;
    for (size_t k = 0; k < n; k++)
        len += ordo_pb_varint_len(deps[k]);
    return len;
}

int ordo_wire_submit_reserve(ordo_wsubmit_t *s, size_t more)
{
    size_t len = s->data ? s->len : ORDO_WIRE_SUBMIT_HEAD;
    if (s->data && more <= s->cap - len)
        return 0;
    if (more > SIZE_MAX / 4 - len)
        return ORDO_ENOMEM;         /* no such block (and no overflow below) */
    size_t cap = s->data ? s->cap : s->hint > 4096 ? s->hint : 4096;
    while (cap < len + more)
        cap *= 2;
    uint8_t *data = realloc(s->data, cap);
    if (!data)
        return ORDO_ENOMEM;
    s->data = data;
    s->len = len;
    s->cap = cap;
    return 0;
}

void ordo_wire_submit_task(ordo_wsubmit_t *s, uint64_t id, const ordo_submit_t *t,
                           size_t kernel_len)
{
    uint8_t *p = s->data + s->len;
    *p = S_TAG_SUBMIT_TASKS;
    uint8_t *task = p + 2;          /* after a one-byte length, for now */
    p = ordo_pb_put_varint_field(task, S_TAG_TASK_ID, id);
    p = ordo_pb_put_len_field(p, S_TAG_TASK_KERNEL, t->kernel, kernel_len);
    for (int k = 0; k < t->nargs; k++) {
        const ordo_tensor_t *v = t->args[k].view;
        uint64_t mode = s_mode_value(t->args[k].mode);
        p[0] = S_TAG_TASK_ARGS;
        p[2] = S_TAG_ARG_VIEW;
        uint8_t *arg = p + 2, *view = p + 4;
        p = ordo_pb_put_varint_field(view, S_TAG_VIEW_BUFFER, v->buffer);
        p = ordo_pb_put_varint_field(p, S_TAG_VIEW_DTYPE, (uint32_t)v->dtype);
        p = ordo_pb_put_varint_field(p, S_TAG_VIEW_OFFSET, (uint64_t)v->offset);
        if (v->ndim > 0) {
            p = s_put_packed_view(p, S_TAG_VIEW_SHAPE, v->shape, (size_t)v->ndim);
            p = s_put_packed_view(p, S_TAG_VIEW_STRIDES, v->strides, (size_t)v->ndim);
        }
        p = s_end_len(view, p);
        p = ordo_pb_put_varint_field(p, S_TAG_ARG_MODE, mode);
        p = s_end_len(arg, p);
    }
    /* The rest, whose lengths are known: the task's length first. */
    size_t ndeps = (size_t)t->ndeps, deps = ndeps ? s_deps_len(t->deps, ndeps) : 0;
    size_t head = (size_t)(p - task);
    size_t len = head + ordo_pb_len_field_len(t->params_len) + ordo_pb_len_field_len(deps) +
                 ordo_pb_len_field_len(t->data_len);
    if (len >= 0x80) {
        size_t more = ordo_pb_varint_len(len) - 1;
        memmove(task + more, task, head);
        task += more;
        p += more;
    }
    ordo_pb_put_varint(s->data + s->len + 1, len);
    p = ordo_pb_put_len_field(p, S_TAG_TASK_PARAMS, t->params, t->params_len);
    if (ndeps)
        p = s_put_packed(p, S_TAG_TASK_DEPS, t->deps, ndeps, deps);
    p = ordo_pb_put_len_field(p, S_TAG_TASK_DATA, t->data, t->data_len);
    s->len = (size_t)(p - s->data);
}

void ordo_wire_submit_end(ordo_wsubmit_t *s, ordo_wbuf_t *out)
{
    size_t body = s->len - ORDO_WIRE_SUBMIT_HEAD;
    size_t off = ORDO_WIRE_SUBMIT_HEAD - 1 - ordo_pb_varint_len(body);
    s->data[off] = S_TAG_CLIENT_SUBMIT;
    ordo_pb_put_varint(s->data + off + 1, body);
    out->data = s->data;
    out->off = off;
    out->len = s->len - off;
    size_t hint = 4096;
    while (hint < s->len && hint < (size_t)256 << 10)
        hint *= 2;
    s->hint = hint;
    s->data = NULL;
    s->len = s->cap = 0;
}

void ordo_wire_submit_free(ordo_wsubmit_t *s)
{
    free(s->data);
    s->data = NULL;
    s->len = s->cap = 0;
}

/* Each field costs at most a 1-byte tag, a 10-byte varint length or value,
 * and its payload; the nesting adds two length prefixes per task and arg. */
size_t ordo_wire_task_bound(const ordo_submit_t *t, size_t kernel_len)
{
    size_t n = 5 * 11 + (size_t)t->ndeps * 11;
    if (__builtin_add_overflow(n, kernel_len, &n) ||
        __builtin_add_overflow(n, t->params_len, &n) ||
        __builtin_add_overflow(n, t->data_len, &n))
        return SIZE_MAX;
    for (int k = 0; k < t->nargs; k++) {
        int32_t nd = t->args[k].view->ndim;
        if (__builtin_add_overflow(n, 8 * 11 + (size_t)(nd > 0 ? nd : 0) * 2 * 11, &n))
            return SIZE_MAX;
    }
    return n;
}

int ordo_wire_buffer_create(ordo_wbuf_t *out, uint64_t req, uint64_t size,
                            const char *name)
{
    Ordo__V1__BufferCreate bc = ORDO__V1__BUFFER_CREATE__INIT;
    bc.req = req;
    bc.size = size;
    bc.name = (char *)(name ? name : "");
    Ordo__V1__ClientMsg msg = ORDO__V1__CLIENT_MSG__INIT;
    msg.msg_case = ORDO__V1__CLIENT_MSG__MSG_BUFFER_CREATE;
    msg.buffer_create = &bc;
    return s_pack_client(out, &msg);
}

int ordo_wire_buffer_open(ordo_wbuf_t *out, uint64_t req, const char *name)
{
    Ordo__V1__BufferOpen bo = ORDO__V1__BUFFER_OPEN__INIT;
    bo.req = req;
    bo.name = (char *)name;
    Ordo__V1__ClientMsg msg = ORDO__V1__CLIENT_MSG__INIT;
    msg.msg_case = ORDO__V1__CLIENT_MSG__MSG_BUFFER_OPEN;
    msg.buffer_open = &bo;
    return s_pack_client(out, &msg);
}

int ordo_wire_buffer_release(ordo_wbuf_t *out, uint64_t req, uint64_t buffer)
{
    Ordo__V1__BufferRelease br = ORDO__V1__BUFFER_RELEASE__INIT;
    br.req = req;
    br.buffer = buffer;
    Ordo__V1__ClientMsg msg = ORDO__V1__CLIENT_MSG__INIT;
    msg.msg_case = ORDO__V1__CLIENT_MSG__MSG_BUFFER_RELEASE;
    msg.buffer_release = &br;
    return s_pack_client(out, &msg);
}

int ordo_wire_watch(ordo_wbuf_t *out, const uint64_t *ids, size_t n)
{
    Ordo__V1__Watch w = ORDO__V1__WATCH__INIT;
    w.n_ids = n;
    w.ids = (uint64_t *)ids;
    Ordo__V1__ClientMsg msg = ORDO__V1__CLIENT_MSG__INIT;
    msg.msg_case = ORDO__V1__CLIENT_MSG__MSG_WATCH;
    msg.watch = &w;
    return s_pack_client(out, &msg);
}

int ordo_wire_heartbeat(ordo_wbuf_t *out, uint64_t req)
{
    Ordo__V1__Heartbeat hb = ORDO__V1__HEARTBEAT__INIT;
    hb.req = req;
    Ordo__V1__ClientMsg msg = ORDO__V1__CLIENT_MSG__INIT;
    msg.msg_case = ORDO__V1__CLIENT_MSG__MSG_HEARTBEAT;
    msg.heartbeat = &hb;
    return s_pack_client(out, &msg);
}

int ordo_wire_bye(ordo_wbuf_t *out)
{
    Ordo__V1__Bye bye = ORDO__V1__BYE__INIT;
    Ordo__V1__ClientMsg msg = ORDO__V1__CLIENT_MSG__INIT;
    msg.msg_case = ORDO__V1__CLIENT_MSG__MSG_BYE;
    msg.bye = &bye;
    return s_pack_client(out, &msg);
}

int ordo_wire_status_request(ordo_wbuf_t *out, const char *command,
                             const char *const *args, int nargs, int json)
{
    Ordo__V1__StatusRequest rq = ORDO__V1__STATUS_REQUEST__INIT;
    rq.command = (char *)command;
    rq.json = json != 0;
    rq.n_args = args && nargs > 0 ? (size_t)nargs : 0;
    rq.args = (char **)args;
    size_t len = ordo__v1__status_request__get_packed_size(&rq);
    out->data = malloc(len ? len : 1);
    if (!out->data)
        return ORDO_ENOMEM;
    out->off = 0;
    out->len = ordo__v1__status_request__pack(&rq, out->data);
    return 0;
}

/* Maps the wire's TaskStatus to ordo_task_state_t. */
static int32_t s_state(Ordo__V1__TaskStatus st)
{
    switch (st) {
    case ORDO__V1__TASK_STATUS__STATUS_DONE:
        return ORDO_TASK_DONE;
    case ORDO__V1__TASK_STATUS__STATUS_FAILED:
        return ORDO_TASK_FAILED;
    case ORDO__V1__TASK_STATUS__STATUS_CANCELLED:
        return ORDO_TASK_CANCELLED;
    default:
        return ORDO_TASK_UNKNOWN;
    }
}

/* Completions, the message of every task, are read by hand: protobuf-c's
 * unpacker cost about 1,850 instructions per completion (callgrind), a
 * fifth of the client's work; this reader takes about 250.  It takes the
 * shape ordod writes (a ServerMsg of one completions field; in each item,
 * known fields of the right wire type in field order, each at most once,
 * with one-byte keys, daemon/dwire.c ordo_dwire_encode_completions);
 * anything else goes to protobuf-c, which decides.  The items, their error
 * strings and their data are copied into one block.  check_wire and
 * fuzz_cwire compare the result with protobuf-c's on valid and damaged
 * messages. */

/* A varint, as ordo_pb_varint reads it.  One of at most eight bytes is
 * read as a word (ids and times take six to eight bytes) when eight bytes
 * can be loaded before limit, the end of the whole message (the last
 * field of an item lies a few bytes before the item's end); the rest, and
 * a varint that runs past r's end, by ordo_pb_varint. */
static inline bool s_varint(ordo_pb_rd_t *r, const uint8_t *limit, uint64_t *v)
{
    const uint8_t *p = r->p;
    if (p < r->end && *p < 0x80) {             /* one byte: status, small values */
        *v = *p;
        r->p = p + 1;
        return true;
    }
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (limit - p >= 8) {
        uint64_t w;
        memcpy(&w, p, sizeof w);
        uint64_t stop = ~w & UINT64_C(0x8080808080808080);  /* bytes that end it */
        size_t n = (size_t)(__builtin_ctzll(stop | UINT64_C(1) << 63) >> 3) + 1;
        if (stop && n <= (size_t)(r->end - p)) {
            /* The bytes up to the first that ends it, their 7-bit groups
             * joined in pairs, fours, then all eight. */
            w &= (stop ^ (stop - 1)) & UINT64_C(0x7f7f7f7f7f7f7f7f);
            w = (w & UINT64_C(0x007f007f007f007f)) | (w & UINT64_C(0x7f007f007f007f00)) >> 1;
            w = (w & UINT64_C(0x00003fff00003fff)) | (w & UINT64_C(0x3fff00003fff0000)) >> 2;
            w = (w & UINT64_C(0x000000000fffffff)) | (w & UINT64_C(0x0fffffff00000000)) >> 4;
            *v = w;
            r->p = p + n;
            return true;
        }
    }
#else
    (void)limit;
#endif
    return ordo_pb_varint(r, v);
}

/* An error or data field: its bytes copied to *bytes (NUL-terminated, as
 * protobuf-c leaves them); returns them, or NULL when the field is
 * malformed. */
static const char *s_get_bytes(ordo_pb_rd_t *r, char **bytes, size_t *len)
{
    ordo_pb_rd_t sub;
    if (!ordo_pb_sub(r, &sub))
        return NULL;
    size_t x = (size_t)(sub.end - sub.p);
    char *out = *bytes;
    memcpy(out, sub.p, x);
    out[x] = '\0';
    *bytes += x + 1;
    *len = x;
    return out;
}

/* One Completion, read from r (in a message that ends at limit), into c;
 * its error and data are copied to *bytes.  false: not the usual shape
 * (protobuf-c decides; c is garbage). */
static bool s_get_completion(ordo_pb_rd_t r, const uint8_t *limit, ordo_wcompletion_t *c,
                             char **bytes)
{
    *c = (ordo_wcompletion_t){
        .error = "", .state = s_state(ORDO__V1__TASK_STATUS__STATUS_UNSPECIFIED)
    };
    uint64_t x;
    size_t len;
    /* Each field is optional (proto3 leaves zero values out); in field
     * order, each is at most once. */
#define S_HAS(key) (r.p < r.end && *r.p == (key) && (r.p++, true))
    if (S_HAS(1 << 3) && !s_varint(&r, limit, &c->id))
        return false;
    if (S_HAS(2 << 3)) {
        if (!s_varint(&r, limit, &x))
            return false;
        c->state = s_state((Ordo__V1__TaskStatus)(int32_t)(uint32_t)x);
    }
    if (S_HAS(3 << 3)) {
        if (!s_varint(&r, limit, &x))
            return false;
        c->code = (int32_t)(uint32_t)x;
    }
    if (S_HAS(4 << 3 | 2) && !(c->error = s_get_bytes(&r, bytes, &len)))
        return false;
    if (S_HAS(5 << 3) && !s_varint(&r, limit, &c->cause))
        return false;
    if (S_HAS(6 << 3) && !s_varint(&r, limit, &c->accepted_ns))
        return false;
    if (S_HAS(7 << 3) && !s_varint(&r, limit, &c->started_ns))
        return false;
    if (S_HAS(8 << 3) && !s_varint(&r, limit, &c->finished_ns))
        return false;
    if (S_HAS(9 << 3 | 2)) {
        const char *data = s_get_bytes(&r, bytes, &len);
        if (!data)
            return false;
        if (len > 0) {
            c->data = data;
            c->data_len = len;
        }
    }
#undef S_HAS
    if (r.p != r.end)
        return false;   /* another field, order or wire type */
    return true;
}

/* Completions read by hand: 1 done, 0 not the usual shape, or ORDO_ENOMEM. */
static int s_fast_completions(ordo_wmsg_t *m, const uint8_t *data, size_t len)
{
    ordo_pb_rd_t r = { data, data + len }, body;
    if (len == 0 || *r.p++ != (3 << 3 | 2) || !ordo_pb_sub(&r, &body) || r.p != r.end)
        return 0;
    /* A skim over the items: their number; their bytes bound what their
     * errors and data take. */
    size_t n = 0;
    for (ordo_pb_rd_t q = body, item = { NULL, NULL }; q.p < q.end; n++)
        if (*q.p++ != (1 << 3 | 2) || !ordo_pb_sub(&q, &item))
            return 0;
    size_t nbody = (size_t)(body.end - body.p);
    ordo_wcompletion_t *items = malloc(n * sizeof *items + nbody + n + 1);
    if (!items)
        return ORDO_ENOMEM;
    char *bytes = (char *)(items + n);
    for (size_t i = 0; i < n; i++) {
        ordo_pb_rd_t item = { NULL, NULL };
        body.p++;
        if (!ordo_pb_sub(&body, &item) || !s_get_completion(item, data + len, &items[i], &bytes)) {
            free(items);
            return 0;
        }
    }
    m->kind = ORDO_WMSG_COMPLETIONS;
    m->ncompletions = n;
    m->items = items;
    return 1;
}

int ordo_wire_decode(ordo_wmsg_t *m, const void *data, size_t len)
{
    memset(m, 0, sizeof *m);
    int fast = s_fast_completions(m, data, len);
    if (fast != 0)
        return fast < 0 ? fast : 0;
    Ordo__V1__ServerMsg *sm = ordo__v1__server_msg__unpack(NULL, len, data);
    if (!sm)
        return ORDO_EPROTO;
    m->priv = sm;
    switch (sm->msg_case) {
    case ORDO__V1__SERVER_MSG__MSG_WELCOME:
        m->kind = ORDO_WMSG_WELCOME;
        m->major = sm->welcome->major;
        m->minor = sm->welcome->minor;
        m->session = sm->welcome->session;
        m->credits = sm->welcome->credits;
        m->next_seq = sm->welcome->next_seq;
        m->max_message = sm->welcome->max_message;
        m->daemon = sm->welcome->daemon;
        m->token = sm->welcome->token.data;
        m->token_len = sm->welcome->token.len;
        return 0;
    case ORDO__V1__SERVER_MSG__MSG_REPLY:
        m->kind = ORDO_WMSG_REPLY;
        m->req = sm->reply->req;
        m->code = sm->reply->code;
        m->error = sm->reply->error;
        m->buffer = sm->reply->buffer;
        m->size = sm->reply->size;
        return 0;
    case ORDO__V1__SERVER_MSG__MSG_COMPLETIONS:
        m->kind = ORDO_WMSG_COMPLETIONS;
        m->ncompletions = sm->completions->n_items;
        m->items = malloc((m->ncompletions ? m->ncompletions : 1) * sizeof *m->items);
        if (!m->items) {
            ordo_wire_msg_free(m);
            return ORDO_ENOMEM;
        }
        for (size_t i = 0; i < m->ncompletions; i++) {
            const Ordo__V1__Completion *pc = sm->completions->items[i];
            m->items[i] = (ordo_wcompletion_t){
                .id = pc->id, .state = s_state(pc->status), .code = pc->code,
                .error = pc->error, .cause = pc->cause, .accepted_ns = pc->accepted_ns,
                .started_ns = pc->started_ns, .finished_ns = pc->finished_ns,
                .data = pc->data.data, .data_len = pc->data.len
            };
        }
        return 0;
    case ORDO__V1__SERVER_MSG__MSG_ERROR:
        m->kind = ORDO_WMSG_ERROR;
        m->code = sm->error->code;
        m->error = sm->error->message;
        return 0;
    default:
        /* An envelope of a newer minor that this client does not know:
         * kind stays 0 and the caller skips it. */
        return 0;
    }
}

void ordo_wire_msg_free(ordo_wmsg_t *m)
{
    free(m->items);
    m->items = NULL;
    if (m->priv)
        ordo__v1__server_msg__free_unpacked(m->priv, NULL);
    m->priv = NULL;
}

int ordo_wire_status_reply(const void *data, size_t len, int *code, char **text)
{
    Ordo__V1__StatusReply *r = ordo__v1__status_reply__unpack(NULL, len, data);
    if (!r)
        return ORDO_EPROTO;
    *code = r->code;
    *text = strdup(r->text ? r->text : "");
    ordo__v1__status_reply__free_unpacked(r, NULL);
    return *text ? 0 : ORDO_ENOMEM;
}
