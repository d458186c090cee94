/*
 * wire.c - encodes ClientMsg and StatusRequest, decodes ServerMsg and
 * StatusReply (proto/ordo.proto) for libordo.
 *
 * The only file of the client that includes the generated ordo.pb-c.h.
 * Encoding packs into one malloc'd block the size of the message.  Submit,
 * the message of every task, is written by hand from the caller's batch
 * (protobuf-c's bytes at about a quarter of the cost); the rest goes
 * through protobuf-c.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ordo.pb-c.h"
#include "pbwire.h"
#include "wire.h"

/* The sizes of a Submit's nested messages, computed before the bytes are
 * written (every message is preceded by its length). */
struct ordo_wscratch {
    size_t *task_len;           /* per task: the Task message */
    size_t task_cap;
    size_t *view_len;           /* per argument: the View message, */
    size_t *shape_len;          /* and its packed shape and strides */
    size_t *strides_len;
    size_t arg_cap;
};

ordo_wscratch_t *ordo_wscratch_new(void)
{
    return calloc(1, sizeof(ordo_wscratch_t));
}

void ordo_wscratch_destroy(ordo_wscratch_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ordo_wscratch_t *self = *self_p;
    free(self->task_len);
    free(self->view_len);
    free(self->shape_len);
    free(self->strides_len);
    free(self);
    *self_p = NULL;
}

/* Capacity for want elements: doubling from 64. */
static size_t s_cap_for(size_t cap, size_t want)
{
    size_t n = cap ? cap : 64;
    while (n < want)
        n *= 2;
    return n;
}

/* Grows *arr (elements of size_t) to n; false, unchanged, when out of
 * memory. */
static bool s_grow(size_t **arr, size_t n)
{
    size_t *a = realloc(*arr, n * sizeof *a);
    if (!a)
        return false;
    *arr = a;
    return true;
}

/* Makes room for ntasks tasks and nargs arguments.  A failed realloc
 * leaves the capacity unchanged, so the scratch stays consistent. */
static int s_reserve(ordo_wscratch_t *s, size_t ntasks, size_t nargs)
{
    if (ntasks > s->task_cap) {
        size_t n = s_cap_for(s->task_cap, ntasks);
        if (!s_grow(&s->task_len, n))
            return ORDO_ENOMEM;
        s->task_cap = n;
    }
    if (nargs > s->arg_cap) {
        size_t n = s_cap_for(s->arg_cap, nargs);
        if (!s_grow(&s->view_len, n) || !s_grow(&s->shape_len, n) ||
            !s_grow(&s->strides_len, n))
            return ORDO_ENOMEM;
        s->arg_cap = n;
    }
    return 0;
}

/* Packs a ClientMsg into out. */
static int s_pack_client(ordo_wbuf_t *out, const Ordo__V1__ClientMsg *msg)
{
    size_t len = ordo__v1__client_msg__get_packed_size(msg);
    /* A zero-length message is legal protobuf (an empty oneof never is
     * sent, but keep malloc(0) out of the picture). */
    out->data = malloc(len ? len : 1);
    if (!out->data)
        return ORDO_ENOMEM;
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

/* Submit, the message of every task, is written by hand: protobuf-c's
 * packer walks the field descriptors twice (size, then bytes) and cost
 * about 5,250 instructions per W1 task (callgrind), half of the client's
 * work; this writer takes about 1,200.  The bytes
 * are exactly protobuf-c's (fields in number order, proto3 zero values and
 * empty repeated fields left out, repeated integers packed, negative int64
 * values as ten-byte varints); check_wire compares the two byte for
 * byte. */

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

/* A field of one-byte tag: a varint when not zero, a length-delimited
 * payload when not empty.  Sizes, then bytes. */
static size_t s_varint_field(uint64_t v)
{
    return v ? 1 + ordo_pb_varint_len(v) : 0;
}

static size_t s_len_field(size_t len)
{
    return len ? 1 + ordo_pb_varint_len(len) + len : 0;
}

static uint8_t *s_put_varint_field(uint8_t *p, uint8_t tag, uint64_t v)
{
    if (v) {
        *p++ = tag;
        p = ordo_pb_put_varint(p, v);
    }
    return p;
}

static uint8_t *s_put_len_field(uint8_t *p, uint8_t tag, const void *data, size_t len)
{
    if (len) {
        *p++ = tag;
        p = ordo_pb_put_varint(p, len);
        memcpy(p, data, len);
        p += len;
    }
    return p;
}

/* The payload of a packed repeated int64 (or uint64) field. */
static size_t s_packed_len(const void *values, size_t n)
{
    const uint64_t *v = values;
    size_t len = 0;
    for (size_t k = 0; k < n; k++)
        len += ordo_pb_varint_len(v[k]);
    return len;
}

static uint8_t *s_put_packed(uint8_t *p, uint8_t tag, const void *values, size_t n, size_t len)
{
    if (n) {
        const uint64_t *v = values;
        *p++ = tag;
        p = ordo_pb_put_varint(p, len);
        for (size_t k = 0; k < n; k++)
            p = ordo_pb_put_varint(p, v[k]);
    }
    return p;
}

/* The Mode of an ordo.h access mode; anything else is MODE_UNSPECIFIED,
 * which the daemon refuses. */
static uint64_t s_mode_value(int32_t mode)
{
    return mode == ORDO_IN ? 1 : mode == ORDO_OUT ? 2 : mode == ORDO_INOUT ? 3 : 0;
}

int ordo_wire_submit(ordo_wbuf_t *out, ordo_wscratch_t *scratch,
                     const ordo_wtask_t *tasks, size_t ntasks)
{
    size_t nargs = 0;
    for (size_t i = 0; i < ntasks; i++)
        nargs += tasks[i].nargs;
    int rc = s_reserve(scratch, ntasks, nargs);
    if (rc < 0)
        return rc;

    /* Sizes, innermost first. */
    size_t submit = 0, a = 0;
    for (size_t i = 0; i < ntasks; i++) {
        const ordo_wtask_t *t = &tasks[i];
        size_t task = s_varint_field(t->id) + s_len_field(strlen(t->kernel));
        for (uint32_t k = 0; k < t->nargs; k++, a++) {
            const ordo_tensor_t *v = &t->views[k];
            size_t nd = v->ndim > 0 ? (size_t)v->ndim : 0;
            size_t sh = s_packed_len(v->shape, nd), st = s_packed_len(v->strides, nd);
            size_t view = s_varint_field(v->buffer) + s_varint_field((uint32_t)v->dtype) +
                          s_varint_field((uint64_t)v->offset) + s_len_field(nd ? sh : 0) +
                          s_len_field(nd ? st : 0);
            scratch->view_len[a] = view;
            scratch->shape_len[a] = sh;
            scratch->strides_len[a] = st;
            size_t arg = 1 + ordo_pb_varint_len(view) + view +
                         s_varint_field(s_mode_value(t->modes[k]));
            task += 1 + ordo_pb_varint_len(arg) + arg;
        }
        task += s_len_field(t->params_len) + s_len_field(s_packed_len(t->deps, t->ndeps)) +
                s_len_field(t->data_len);
        scratch->task_len[i] = task;
        submit += 1 + ordo_pb_varint_len(task) + task;
    }
    size_t len = 1 + ordo_pb_varint_len(submit) + submit;
    out->data = malloc(len);
    if (!out->data)
        return ORDO_ENOMEM;

    uint8_t *p = out->data;
    *p++ = S_TAG_CLIENT_SUBMIT;
    p = ordo_pb_put_varint(p, submit);
    a = 0;
    for (size_t i = 0; i < ntasks; i++) {
        const ordo_wtask_t *t = &tasks[i];
        *p++ = S_TAG_SUBMIT_TASKS;
        p = ordo_pb_put_varint(p, scratch->task_len[i]);
        p = s_put_varint_field(p, S_TAG_TASK_ID, t->id);
        p = s_put_len_field(p, S_TAG_TASK_KERNEL, t->kernel, strlen(t->kernel));
        for (uint32_t k = 0; k < t->nargs; k++, a++) {
            const ordo_tensor_t *v = &t->views[k];
            size_t nd = v->ndim > 0 ? (size_t)v->ndim : 0, view = scratch->view_len[a];
            uint64_t mode = s_mode_value(t->modes[k]);
            *p++ = S_TAG_TASK_ARGS;
            p = ordo_pb_put_varint(p, 1 + ordo_pb_varint_len(view) + view + s_varint_field(mode));
            *p++ = S_TAG_ARG_VIEW;
            p = ordo_pb_put_varint(p, view);
            p = s_put_varint_field(p, S_TAG_VIEW_BUFFER, v->buffer);
            p = s_put_varint_field(p, S_TAG_VIEW_DTYPE, (uint32_t)v->dtype);
            p = s_put_varint_field(p, S_TAG_VIEW_OFFSET, (uint64_t)v->offset);
            p = s_put_packed(p, S_TAG_VIEW_SHAPE, v->shape, nd, scratch->shape_len[a]);
            p = s_put_packed(p, S_TAG_VIEW_STRIDES, v->strides, nd, scratch->strides_len[a]);
            p = s_put_varint_field(p, S_TAG_ARG_MODE, mode);
        }
        p = s_put_len_field(p, S_TAG_TASK_PARAMS, t->params, t->params_len);
        p = s_put_packed(p, S_TAG_TASK_DEPS, t->deps, t->ndeps, s_packed_len(t->deps, t->ndeps));
        p = s_put_len_field(p, S_TAG_TASK_DATA, t->data, t->data_len);
    }
    out->len = (size_t)(p - out->data);
    return 0;
}

/* Each field costs at most a 1-byte tag, a 10-byte varint length or value,
 * and its payload; the nesting adds two length prefixes per task and arg. */
size_t ordo_wire_task_bound(const ordo_wtask_t *t)
{
    size_t n = 5 * 11 + strlen(t->kernel) + t->params_len + t->data_len +
               (size_t)t->ndeps * 11;
    for (uint32_t k = 0; k < t->nargs; k++)
        n += ordo_wire_arg_bound(&t->views[k]);
    return n;
}

size_t ordo_wire_arg_bound(const ordo_tensor_t *v)
{
    return 8 * 11 + (size_t)(v->ndim > 0 ? v->ndim : 0) * 2 * 11;
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
 * fifth of the client's work; this reader takes about 900.  It takes the
 * shape ordod writes (a ServerMsg of one completions field; in each item,
 * known fields of the right wire type, each at most once, one-byte keys,
 * the readers of pbwire.h); anything else goes to protobuf-c, which
 * decides.  The items, their error strings and their data are copied into
 * one block.  check_wire and fuzz_cwire compare the result with
 * protobuf-c's on valid and damaged messages. */

/* One Completion, read from r, into c; its error and data are copied to
 * *bytes (NUL-terminated, as protobuf-c leaves them).  false: not the
 * usual shape (protobuf-c decides). */
static bool s_get_completion(ordo_pb_rd_t r, ordo_wcompletion_t *c, char **bytes)
{
    ordo_wcompletion_t v = {
        .error = "", .state = s_state(ORDO__V1__TASK_STATUS__STATUS_UNSPECIFIED)
    };
    unsigned seen = 0;
    while (r.p < r.end) {
        unsigned key = *r.p++; /* a one-byte key: any other is above 9 << 3 | 2 */
        if (key > (9 << 3 | 2) || (seen & 1u << (key >> 3)))
            return false;
        unsigned field = key >> 3, type = key & 7;
        seen |= 1u << field;
        if (field == 4 || field == 9) {
            ordo_pb_rd_t sub;
            if (type != 2 || !ordo_pb_sub(&r, &sub))
                return false;
            size_t x = (size_t)(sub.end - sub.p);
            memcpy(*bytes, sub.p, x);
            (*bytes)[x] = '\0';
            if (field == 4) {
                v.error = *bytes;
            } else if (x > 0) {
                v.data = *bytes;
                v.data_len = x;
            }
            *bytes += x + 1;
            continue;
        }
        uint64_t x;
        if (type != 0 || field == 0 || !ordo_pb_varint(&r, &x))
            return false;
        switch (field) {
        case 1: v.id = x; break;
        case 2: v.state = s_state((Ordo__V1__TaskStatus)(int32_t)(uint32_t)x); break;
        case 3: v.code = (int32_t)(uint32_t)x; break;
        case 5: v.cause = x; break;
        case 6: v.accepted_ns = x; break;
        case 7: v.started_ns = x; break;
        case 8: v.finished_ns = x; break;
        }
    }
    *c = v;
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
        if (!ordo_pb_sub(&body, &item) || !s_get_completion(item, &items[i], &bytes)) {
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

void ordo_wire_completion(const ordo_wmsg_t *m, size_t i, ordo_wcompletion_t *c)
{
    if (m->items) {
        *c = m->items[i];
        return;
    }
    const Ordo__V1__ServerMsg *sm = m->priv;
    const Ordo__V1__Completion *pc = sm->completions->items[i];
    c->id = pc->id;
    c->state = s_state(pc->status);
    c->code = pc->code;
    c->error = pc->error;
    c->cause = pc->cause;
    c->accepted_ns = pc->accepted_ns;
    c->started_ns = pc->started_ns;
    c->finished_ns = pc->finished_ns;
    c->data = pc->data.data;
    c->data_len = pc->data.len;
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
