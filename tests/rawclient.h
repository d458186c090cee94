/*
 * rawclient.h - a tiny raw-protocol client for the daemon's tests: starts a
 * real ordod on a temporary ipc endpoint and speaks ZeroMQ + protobuf-c to
 * it directly, without libordo, so the daemon is tested on its own and bad
 * input can be sent on purpose.
 *
 * The daemon binary comes from $ORDOD (set by tests/daemon.am).  Every call
 * waits at most RC_TIMEOUT_MS for an answer, so a lost message fails the
 * test instead of hanging it.
 */
#ifndef ORDO_RAWCLIENT_H_INCLUDED
#define ORDO_RAWCLIENT_H_INCLUDED

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "ordo.h"
#include "ordo.pb-c.h"

#define RC_TIMEOUT_MS 10000

#ifndef I64
#define I64(x) ((int64_t)(x))
#endif

typedef struct {
    char dir[128];
    char endpoint[256], status_endpoint[256];
    pid_t pid;
    void *ctx;
} rc_daemon_t;

typedef struct {
    uint64_t id;
    int status, code;
    char error[512];
    uint64_t cause, accepted_ns, started_ns, finished_ns;
    uint8_t *data;
    size_t ndata;
} rc_comp_t;

typedef struct {
    void *sock;
    uint64_t session;
    uint32_t credits;
    uint64_t seq;                   /* next sequence */
    rc_comp_t *comps;               /* received, not yet taken */
    size_t ncomps, capcomps;
    Ordo__V1__ServerMsg *pending;   /* a non-completion message read early */
} rc_conn_t;

static inline void rc_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void rc_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "rawclient: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}

static inline void rc_sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* Starts ordod with the given extra arguments (NULL-terminated) and waits
 * until both sockets exist.  Dies when it cannot. */
static inline void rc_daemon_start_argv(rc_daemon_t *d, const char *const *extra)
{
    memset(d, 0, sizeof *d);
    const char *bin = getenv("ORDOD");
    if (!bin)
        rc_die("ORDOD is not set (run through make check)");
    snprintf(d->dir, sizeof d->dir, "/tmp/ordo-test-XXXXXX");
    if (!mkdtemp(d->dir))
        rc_die("mkdtemp: %s", strerror(errno));
    snprintf(d->endpoint, sizeof d->endpoint, "ipc://%s/ordod.sock", d->dir);
    snprintf(d->status_endpoint, sizeof d->status_endpoint, "ipc://%s/status.sock", d->dir);
    const char *argv[64];
    int n = 0;
    argv[n++] = bin;
    argv[n++] = "--endpoint";
    argv[n++] = d->endpoint;
    argv[n++] = "--status-endpoint";
    argv[n++] = d->status_endpoint;
    argv[n++] = "--log-level";
    argv[n++] = getenv("RC_LOG_LEVEL") ? getenv("RC_LOG_LEVEL") : "warn";
    for (int i = 0; extra && extra[i] && n < 62; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    d->pid = fork();
    if (d->pid < 0)
        rc_die("fork: %s", strerror(errno));
    if (d->pid == 0) {
        const char *wrap = getenv("RC_WRAPPER");   /* e.g. "valgrind" */
        if (wrap && *wrap) {
            const char *wargv[70];
            int m = 0;
            wargv[m++] = wrap;
            for (int i = 0; argv[i]; i++)
                wargv[m++] = argv[i];
            wargv[m] = NULL;
            execvp(wrap, (char *const *)wargv);
        }
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    char p1[256], p2[256];
    snprintf(p1, sizeof p1, "%s/ordod.sock", d->dir);
    snprintf(p2, sizeof p2, "%s/status.sock", d->dir);
    for (int i = 0; i < 1000; i++) {
        struct stat st;
        if (stat(p1, &st) == 0 && stat(p2, &st) == 0)
            break;
        int status;
        if (waitpid(d->pid, &status, WNOHANG) == d->pid)
            rc_die("ordod exited at start (status %d)", status);
        rc_sleep_ms(10);
    }
    d->ctx = zmq_ctx_new();
}

static inline void rc_daemon_start(rc_daemon_t *d, ...)
{
    const char *extra[32];
    int n = 0;
    va_list ap;
    va_start(ap, d);
    const char *a;
    while ((a = va_arg(ap, const char *)) && n < 31)
        extra[n++] = a;
    va_end(ap);
    extra[n] = NULL;
    rc_daemon_start_argv(d, extra);
}

/* Sends sig, waits (at most timeout_ms) and returns the exit status, or -1
 * when it did not exit (it is then killed). */
static inline int rc_daemon_stop_sig(rc_daemon_t *d, int sig, long timeout_ms)
{
    if (d->ctx) {
        zmq_ctx_term(d->ctx);
        d->ctx = NULL;
    }
    int status = -1;
    if (d->pid > 0) {
        kill(d->pid, sig);
        long waited = 0;
        while (waitpid(d->pid, &status, WNOHANG) == 0) {
            if (waited >= timeout_ms) {
                kill(d->pid, SIGKILL);
                waitpid(d->pid, &status, 0);
                status = -1;
                break;
            }
            rc_sleep_ms(10);
            waited += 10;
        }
        d->pid = 0;
    }
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "rawclient: cannot remove %s\n", d->dir);
    if (status == -1)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static inline int rc_daemon_stop(rc_daemon_t *d)
{
    return rc_daemon_stop_sig(d, SIGTERM, 20000);
}

static inline int rc_daemon_alive(const rc_daemon_t *d)
{
    int status;
    return d->pid > 0 && waitpid(d->pid, &status, WNOHANG) == 0;
}

/* ------------------------------------------------------------------ */

static inline rc_conn_t *rc_connect(rc_daemon_t *d)
{
    rc_conn_t *c = calloc(1, sizeof *c);
    c->sock = zmq_socket(d->ctx, ZMQ_DEALER);
    int t = RC_TIMEOUT_MS, linger = 0;
    zmq_setsockopt(c->sock, ZMQ_RCVTIMEO, &t, sizeof t);
    zmq_setsockopt(c->sock, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(c->sock, d->endpoint) != 0)
        rc_die("connect %s: %s", d->endpoint, zmq_strerror(zmq_errno()));
    c->seq = 1;
    return c;
}

static inline void rc_comp_free(rc_comp_t *x)
{
    free(x->data);
    x->data = NULL;
}

static inline void rc_close(rc_conn_t **cp)
{
    rc_conn_t *c = *cp;
    if (!c)
        return;
    zmq_close(c->sock);
    for (size_t i = 0; i < c->ncomps; i++)
        rc_comp_free(&c->comps[i]);
    free(c->comps);
    if (c->pending)
        ordo__v1__server_msg__free_unpacked(c->pending, NULL);
    free(c);
    *cp = NULL;
}

static inline void rc_send_raw(rc_conn_t *c, const void *data, size_t len)
{
    if (zmq_send(c->sock, data, len, 0) < 0)
        rc_die("send: %s", zmq_strerror(zmq_errno()));
}

static inline void rc_send(rc_conn_t *c, const Ordo__V1__ClientMsg *m)
{
    size_t n = ordo__v1__client_msg__get_packed_size(m);
    uint8_t *buf = malloc(n ? n : 1);
    ordo__v1__client_msg__pack(m, buf);
    rc_send_raw(c, buf, n);
    free(buf);
}

/* Receives one ServerMsg (NULL on timeout). */
static inline Ordo__V1__ServerMsg *rc_recv_msg(rc_conn_t *c)
{
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    if (zmq_msg_recv(&msg, c->sock, 0) < 0) {
        zmq_msg_close(&msg);
        return NULL;
    }
    Ordo__V1__ServerMsg *m =
        ordo__v1__server_msg__unpack(NULL, zmq_msg_size(&msg), zmq_msg_data(&msg));
    zmq_msg_close(&msg);
    if (!m)
        rc_die("undecodable ServerMsg");
    return m;
}

static inline void rc_store(rc_conn_t *c, const Ordo__V1__Completions *cs)
{
    for (size_t i = 0; i < cs->n_items; i++) {
        const Ordo__V1__Completion *p = cs->items[i];
        if (c->ncomps == c->capcomps) {
            c->capcomps = c->capcomps ? 2 * c->capcomps : 64;
            c->comps = realloc(c->comps, c->capcomps * sizeof *c->comps);
        }
        rc_comp_t *x = &c->comps[c->ncomps++];
        memset(x, 0, sizeof *x);
        x->id = p->id;
        x->status = p->status;
        x->code = p->code;
        snprintf(x->error, sizeof x->error, "%s", p->error ? p->error : "");
        x->cause = p->cause;
        x->accepted_ns = p->accepted_ns;
        x->started_ns = p->started_ns;
        x->finished_ns = p->finished_ns;
        if (p->data.len) {
            x->data = malloc(p->data.len);
            memcpy(x->data, p->data.data, p->data.len);
            x->ndata = p->data.len;
        }
    }
}

/* Next message that is not a Completions (those are stored), or NULL. */
static inline Ordo__V1__ServerMsg *rc_recv(rc_conn_t *c)
{
    if (c->pending) {
        Ordo__V1__ServerMsg *m = c->pending;
        c->pending = NULL;
        return m;
    }
    for (;;) {
        Ordo__V1__ServerMsg *m = rc_recv_msg(c);
        if (!m)
            return NULL;
        if (m->msg_case != ORDO__V1__SERVER_MSG__MSG_COMPLETIONS)
            return m;
        rc_store(c, m->completions);
        ordo__v1__server_msg__free_unpacked(m, NULL);
    }
}

/* Takes the completion of id, waiting for it; returns 0 or -1 on timeout. */
static inline int rc_take(rc_conn_t *c, uint64_t id, rc_comp_t *out)
{
    for (;;) {
        for (size_t i = 0; i < c->ncomps; i++) {
            if (c->comps[i].id == id) {
                *out = c->comps[i];
                c->comps[i] = c->comps[--c->ncomps];
                return 0;
            }
        }
        Ordo__V1__ServerMsg *m = rc_recv_msg(c);
        if (!m)
            return -1;
        if (m->msg_case == ORDO__V1__SERVER_MSG__MSG_COMPLETIONS) {
            rc_store(c, m->completions);
            ordo__v1__server_msg__free_unpacked(m, NULL);
        } else {
            if (c->pending)
                ordo__v1__server_msg__free_unpacked(c->pending, NULL);
            c->pending = m;
        }
    }
}

/* Counts completions of id among those received within wait_ms. */
static inline size_t rc_count(rc_conn_t *c, uint64_t id, long wait_ms)
{
    int t = (int)wait_ms;
    zmq_setsockopt(c->sock, ZMQ_RCVTIMEO, &t, sizeof t);
    for (;;) {
        Ordo__V1__ServerMsg *m = rc_recv_msg(c);
        if (!m)
            break;
        if (m->msg_case == ORDO__V1__SERVER_MSG__MSG_COMPLETIONS)
            rc_store(c, m->completions);
        ordo__v1__server_msg__free_unpacked(m, NULL);
    }
    t = RC_TIMEOUT_MS;
    zmq_setsockopt(c->sock, ZMQ_RCVTIMEO, &t, sizeof t);
    size_t n = 0;
    for (size_t i = 0; i < c->ncomps; i++)
        n += c->comps[i].id == id;
    return n;
}

/* ------------------------------------------------------------------ */
/* Messages.                                                           */

static inline void rc_send_hello(rc_conn_t *c, uint32_t major, uint64_t resume,
                                 const uint8_t *token, size_t token_len)
{
    Ordo__V1__Hello h = ORDO__V1__HELLO__INIT;
    h.protocol = (char *)"ordo";
    h.major = major;
    h.minor = 0;
    h.client = (char *)"rawclient";
    h.resume_session = resume;
    h.resume_token.data = (uint8_t *)token;
    h.resume_token.len = token_len;
    Ordo__V1__ClientMsg m = ORDO__V1__CLIENT_MSG__INIT;
    m.msg_case = ORDO__V1__CLIENT_MSG__MSG_HELLO;
    m.hello = &h;
    rc_send(c, &m);
}

/* Hello/Welcome; dies unless welcomed. */
static inline void rc_hello(rc_conn_t *c)
{
    rc_send_hello(c, 1, 0, NULL, 0);
    Ordo__V1__ServerMsg *m = rc_recv(c);
    if (!m || m->msg_case != ORDO__V1__SERVER_MSG__MSG_WELCOME)
        rc_die("no Welcome");
    c->session = m->welcome->session;
    c->credits = m->welcome->credits;
    c->seq = m->welcome->next_seq;
    ordo__v1__server_msg__free_unpacked(m, NULL);
}

/* BufferCreate (name may be NULL); returns the Reply's code, and the id. */
static inline int rc_buffer_create(rc_conn_t *c, uint64_t size, const char *name,
                                   uint64_t *id, char *err, size_t errlen)
{
    Ordo__V1__BufferCreate b = ORDO__V1__BUFFER_CREATE__INIT;
    b.req = 77;
    b.size = size;
    b.name = (char *)(name ? name : "");
    Ordo__V1__ClientMsg m = ORDO__V1__CLIENT_MSG__INIT;
    m.msg_case = ORDO__V1__CLIENT_MSG__MSG_BUFFER_CREATE;
    m.buffer_create = &b;
    rc_send(c, &m);
    Ordo__V1__ServerMsg *r = rc_recv(c);
    if (!r || r->msg_case != ORDO__V1__SERVER_MSG__MSG_REPLY || r->reply->req != 77)
        rc_die("no Reply to BufferCreate");
    int code = r->reply->code;
    if (id)
        *id = r->reply->buffer;
    if (err)
        snprintf(err, errlen, "%s", r->reply->error);
    ordo__v1__server_msg__free_unpacked(r, NULL);
    return code;
}

static inline int rc_buffer_open(rc_conn_t *c, const char *name, uint64_t *id, uint64_t *size)
{
    Ordo__V1__BufferOpen b = ORDO__V1__BUFFER_OPEN__INIT;
    b.req = 78;
    b.name = (char *)name;
    Ordo__V1__ClientMsg m = ORDO__V1__CLIENT_MSG__INIT;
    m.msg_case = ORDO__V1__CLIENT_MSG__MSG_BUFFER_OPEN;
    m.buffer_open = &b;
    rc_send(c, &m);
    Ordo__V1__ServerMsg *r = rc_recv(c);
    if (!r || r->msg_case != ORDO__V1__SERVER_MSG__MSG_REPLY || r->reply->req != 78)
        rc_die("no Reply to BufferOpen");
    int code = r->reply->code;
    if (id)
        *id = r->reply->buffer;
    if (size)
        *size = r->reply->size;
    ordo__v1__server_msg__free_unpacked(r, NULL);
    return code;
}

static inline int rc_buffer_release(rc_conn_t *c, uint64_t id)
{
    Ordo__V1__BufferRelease b = ORDO__V1__BUFFER_RELEASE__INIT;
    b.req = 79;
    b.buffer = id;
    Ordo__V1__ClientMsg m = ORDO__V1__CLIENT_MSG__INIT;
    m.msg_case = ORDO__V1__CLIENT_MSG__MSG_BUFFER_RELEASE;
    m.buffer_release = &b;
    rc_send(c, &m);
    Ordo__V1__ServerMsg *r = rc_recv(c);
    if (!r || r->msg_case != ORDO__V1__SERVER_MSG__MSG_REPLY || r->reply->req != 79)
        rc_die("no Reply to BufferRelease");
    int code = r->reply->code;
    ordo__v1__server_msg__free_unpacked(r, NULL);
    return code;
}

/* A task under construction: up to 8 args. */
typedef struct {
    Ordo__V1__Task task;
    Ordo__V1__Arg args[8];
    Ordo__V1__Arg *argp[8];
    Ordo__V1__View views[8];
    int64_t shape[8][ORDO_MAX_NDIM + 2], strides[8][ORDO_MAX_NDIM + 2];
    uint64_t deps[8];
} rc_task_t;

static inline void rc_task_init(rc_task_t *t, uint64_t id, const char *kernel)
{
    memset(t, 0, sizeof *t);
    Ordo__V1__Task init = ORDO__V1__TASK__INIT;
    t->task = init;
    t->task.id = id;
    t->task.kernel = (char *)kernel;
    t->task.args = t->argp;
    t->task.deps = t->deps;
}

/* Adds an argument: ndim dims given as shape..., then strides... (int64). */
static inline void rc_task_arg(rc_task_t *t, uint64_t buffer, int dtype, int64_t offset,
                               int mode, int ndim, ...)
{
    size_t j = t->task.n_args++;
    Ordo__V1__View vinit = ORDO__V1__VIEW__INIT;
    Ordo__V1__Arg ainit = ORDO__V1__ARG__INIT;
    t->views[j] = vinit;
    t->args[j] = ainit;
    Ordo__V1__View *v = &t->views[j];
    v->buffer = buffer;
    v->dtype = (uint32_t)dtype;
    v->offset = offset;
    va_list ap;
    va_start(ap, ndim);
    for (int k = 0; k < ndim; k++)
        t->shape[j][k] = va_arg(ap, int64_t);
    for (int k = 0; k < ndim; k++)
        t->strides[j][k] = va_arg(ap, int64_t);
    va_end(ap);
    v->n_shape = v->n_strides = (size_t)ndim;
    v->shape = t->shape[j];
    v->strides = t->strides[j];
    t->args[j].view = v;
    t->args[j].mode = (Ordo__V1__Mode)mode;
    t->argp[j] = &t->args[j];
}

/* A contiguous 1-d argument of n elements. */
static inline void rc_task_arg1(rc_task_t *t, uint64_t buffer, int dtype, int64_t offset,
                                int64_t n, int mode)
{
    rc_task_arg(t, buffer, dtype, offset, mode, 1, n, (int64_t)1);
}

static inline void rc_task_params(rc_task_t *t, const void *p, size_t n)
{
    t->task.params.data = (uint8_t *)p;
    t->task.params.len = n;
}

static inline void rc_task_data(rc_task_t *t, const void *p, size_t n)
{
    t->task.data.data = (uint8_t *)p;
    t->task.data.len = n;
}

static inline void rc_task_dep(rc_task_t *t, uint64_t dep)
{
    t->deps[t->task.n_deps++] = dep;
}

/* Sends tasks in one Submit. */
static inline void rc_submit(rc_conn_t *c, rc_task_t **tasks, size_t n)
{
    Ordo__V1__Task **tp = malloc((n ? n : 1) * sizeof *tp);
    for (size_t i = 0; i < n; i++)
        tp[i] = &tasks[i]->task;
    Ordo__V1__Submit s = ORDO__V1__SUBMIT__INIT;
    s.n_tasks = n;
    s.tasks = tp;
    Ordo__V1__ClientMsg m = ORDO__V1__CLIENT_MSG__INIT;
    m.msg_case = ORDO__V1__CLIENT_MSG__MSG_SUBMIT;
    m.submit = &s;
    rc_send(c, &m);
    free(tp);
}

static inline void rc_submit1(rc_conn_t *c, rc_task_t *t)
{
    rc_submit(c, &t, 1);
}

/* Next id of this connection's session (and advances the sequence). */
static inline uint64_t rc_next_id(rc_conn_t *c)
{
    return ORDO_TASK_ID(c->session, c->seq++);
}

static inline void rc_watch(rc_conn_t *c, const uint64_t *ids, size_t n)
{
    Ordo__V1__Watch w = ORDO__V1__WATCH__INIT;
    w.n_ids = n;
    w.ids = (uint64_t *)ids;
    Ordo__V1__ClientMsg m = ORDO__V1__CLIENT_MSG__INIT;
    m.msg_case = ORDO__V1__CLIENT_MSG__MSG_WATCH;
    m.watch = &w;
    rc_send(c, &m);
}

/* f64 or u64 parameter, little-endian. */
static inline void rc_le64(uint8_t out[8], uint64_t v)
{
    for (int i = 0; i < 8; i++)
        out[i] = (uint8_t)(v >> (8 * i));
}

static inline void rc_f64(uint8_t out[8], double d)
{
    uint64_t v;
    memcpy(&v, &d, 8);
    rc_le64(out, v);
}

/* A status command; returns the code and a malloc'd text. */
static inline int rc_status(rc_daemon_t *d, const char *command, int json, char **text)
{
    void *s = zmq_socket(d->ctx, ZMQ_REQ);
    int t = RC_TIMEOUT_MS, linger = 0;
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &t, sizeof t);
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_connect(s, d->status_endpoint);
    Ordo__V1__StatusRequest r = ORDO__V1__STATUS_REQUEST__INIT;
    r.command = (char *)command;
    r.json = json;
    size_t n = ordo__v1__status_request__get_packed_size(&r);
    uint8_t *buf = malloc(n ? n : 1);
    ordo__v1__status_request__pack(&r, buf);
    zmq_send(s, buf, n, 0);
    free(buf);
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    if (zmq_msg_recv(&msg, s, 0) < 0)
        rc_die("no StatusReply");
    Ordo__V1__StatusReply *rep =
        ordo__v1__status_reply__unpack(NULL, zmq_msg_size(&msg), zmq_msg_data(&msg));
    if (!rep)
        rc_die("undecodable StatusReply");
    int code = rep->code;
    *text = strdup(rep->text);
    ordo__v1__status_reply__free_unpacked(rep, NULL);
    zmq_msg_close(&msg);
    zmq_close(s);
    return code;
}

/* Value of "key:" in INFO text, or -1. */
static inline long long rc_info(const char *text, const char *key)
{
    size_t kl = strlen(key);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, key, kl) == 0 && p[kl] == ':')
            return strtoll(p + kl + 1, NULL, 10);
    }
    return -1;
}

#endif /* ORDO_RAWCLIENT_H_INCLUDED */
