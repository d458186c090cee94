/*
 * wire.c - encodes ClientMsg and StatusRequest, decodes ServerMsg and
 * StatusReply (proto/ordo.proto) for libordo.
 *
 * The only file of the client that includes the generated ordo.pb-c.h.
 * Encoding packs into one malloc'd block the size of the message; the
 * Submit encoder builds the generated structures in reusable scratch
 * arrays that point into the caller's batch, so nothing is copied twice.
 */
#include <stdlib.h>
#include <string.h>

#include "ordo.pb-c.h"
#include "wire.h"

struct ordo_wscratch {
    Ordo__V1__Task *tasks;
    Ordo__V1__Task **task_ptrs;
    size_t task_cap;
    Ordo__V1__Arg *args;
    Ordo__V1__Arg **arg_ptrs;
    Ordo__V1__View *views;
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
    free(self->tasks);
    free(self->task_ptrs);
    free(self->args);
    free(self->arg_ptrs);
    free(self->views);
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

/* Makes room for ntasks tasks and nargs arguments.  A failed realloc
 * leaves the capacity unchanged, so the scratch stays consistent. */
static int s_reserve(ordo_wscratch_t *s, size_t ntasks, size_t nargs)
{
    if (ntasks > s->task_cap) {
        size_t n = s_cap_for(s->task_cap, ntasks);
        void *a = realloc(s->tasks, n * sizeof *s->tasks);
        if (!a)
            return ORDO_ENOMEM;
        s->tasks = a;
        void *b = realloc(s->task_ptrs, n * sizeof *s->task_ptrs);
        if (!b)
            return ORDO_ENOMEM;
        s->task_ptrs = b;
        s->task_cap = n;
    }
    if (nargs > s->arg_cap) {
        size_t n = s_cap_for(s->arg_cap, nargs);
        void *a = realloc(s->args, n * sizeof *s->args);
        if (!a)
            return ORDO_ENOMEM;
        s->args = a;
        void *b = realloc(s->arg_ptrs, n * sizeof *s->arg_ptrs);
        if (!b)
            return ORDO_ENOMEM;
        s->arg_ptrs = b;
        void *c = realloc(s->views, n * sizeof *s->views);
        if (!c)
            return ORDO_ENOMEM;
        s->views = c;
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

static Ordo__V1__Mode s_mode(int32_t mode)
{
    switch (mode) {
    case ORDO_IN:
        return ORDO__V1__MODE__MODE_IN;
    case ORDO_OUT:
        return ORDO__V1__MODE__MODE_OUT;
    case ORDO_INOUT:
        return ORDO__V1__MODE__MODE_INOUT;
    default:
        return ORDO__V1__MODE__MODE_UNSPECIFIED;
    }
}

/*
 * Encodes Submit{tasks}.  The generated structures live in scratch and
 * point into the tasks' own arrays (shapes, strides, params, data), which
 * must stay unchanged until this returns.
 */
int ordo_wire_submit(ordo_wbuf_t *out, ordo_wscratch_t *scratch,
                     const ordo_wtask_t *tasks, size_t ntasks)
{
    size_t nargs = 0;
    for (size_t i = 0; i < ntasks; i++)
        nargs += tasks[i].nargs;
    int rc = s_reserve(scratch, ntasks, nargs);
    if (rc < 0)
        return rc;

    size_t a = 0;
    for (size_t i = 0; i < ntasks; i++) {
        const ordo_wtask_t *t = &tasks[i];
        Ordo__V1__Task *pt = &scratch->tasks[i];
        ordo__v1__task__init(pt);
        pt->id = t->id;
        pt->kernel = (char *)t->kernel;
        pt->n_args = t->nargs;
        pt->args = t->nargs ? &scratch->arg_ptrs[a] : NULL;
        for (uint32_t k = 0; k < t->nargs; k++, a++) {
            const ordo_tensor_t *v = &t->views[k];
            Ordo__V1__View *pv = &scratch->views[a];
            ordo__v1__view__init(pv);
            pv->buffer = v->buffer;
            pv->dtype = (uint32_t)v->dtype;
            pv->offset = v->offset;
            pv->n_shape = pv->n_strides = (size_t)v->ndim;
            pv->shape = (int64_t *)v->shape;
            pv->strides = (int64_t *)v->strides;
            Ordo__V1__Arg *pa = &scratch->args[a];
            ordo__v1__arg__init(pa);
            pa->view = pv;
            pa->mode = s_mode(t->modes[k]);
            scratch->arg_ptrs[a] = pa;
        }
        pt->params.len = t->params_len;
        pt->params.data = (uint8_t *)t->params;
        pt->n_deps = t->ndeps;
        pt->deps = (uint64_t *)t->deps;
        pt->data.len = t->data_len;
        pt->data.data = (uint8_t *)t->data;
        scratch->task_ptrs[i] = pt;
    }
    Ordo__V1__Submit submit = ORDO__V1__SUBMIT__INIT;
    submit.n_tasks = ntasks;
    submit.tasks = scratch->task_ptrs;
    Ordo__V1__ClientMsg msg = ORDO__V1__CLIENT_MSG__INIT;
    msg.msg_case = ORDO__V1__CLIENT_MSG__MSG_SUBMIT;
    msg.submit = &submit;
    return s_pack_client(out, &msg);
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

int ordo_wire_decode(ordo_wmsg_t *m, const void *data, size_t len)
{
    memset(m, 0, sizeof *m);
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
