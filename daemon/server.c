/*
 * server.c - the scheduler thread (see server.h).
 *
 * Invariants:
 *  - Every client message of a session goes through the session's FIFO and
 *    is handled in arrival order.  When the graph window is full, the FIFO
 *    stops at the task that did not fit and the session waits on the
 *    "blocked" list; completions resume it.  Nothing is dropped.
 *  - Every well-sequenced task id is accepted by the graph, either with
 *    ordo_graph_submit or, when the task is invalid, over credit or arrives
 *    during shutdown, with ordo_graph_reject, so that it has exactly one
 *    terminal state and exactly one completion.
 *  - A task record (task.h) exists from acceptance to the completion of the
 *    task, and holds a reference on its buffers, and on its message when
 *    it has host data or parameters too long to copy into the record.
 *  - Completions are queued per session and sent, coalesced, at the end of
 *    each turn of the loop.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <zmq.h>

#include "auth.h"
#include "buffer.h"
#include "executor.h"
#include "ordo_limits.h"
#include "log.h"
#include "map.h"
#include "sbuf.h"
#include "sdnotify.h"
#include "server.h"
#include "status.h"
#include "task.h"
#include "view.h"
#include "dwire.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

/* Most messages read from the ROUTER socket in one turn of the loop, so
 * that completions and status requests are not starved by a flood. */
#define S_READ_BATCH 256
/* Most completions in one Completions message. */
#define S_BATCH_ITEMS 4096
/* A session silent this long gets a liveness probe (an empty Completions
 * message), at most this often: a send to a connection that is gone fails
 * at once (ZMQ_ROUTER_MANDATORY), which is how a vanished client is seen. */
#define S_PROBE_NS (UINT64_C(2) * 1000000000)
/* How often the loop wakes to probe and expire sessions. */
#define S_TICK_MS 1000
/* Finished tasks kept for the "trace" status command (a ring: the oldest
 * record is overwritten, so the steady state does not allocate). */
#define S_TRACE_CAP 8192
/* Most inline kernels (ORDO_KERNEL_INLINE) run in one turn of the loop. */
#define S_INLINE_BATCH 4096

typedef struct s_session {
    uint32_t id;
    uint8_t route[256];
    size_t route_len;
    uint8_t token[ORDO_TOKEN_BYTES];
    char client[64];
    uint64_t next_seq;
    uint64_t unfinished;        /* accepted tasks without a completion yet */
    ordo_map_t *handles;        /* buffer id -> ordo_buffer_t */
    /* The buffer the last argument resolved to (one of handles, or NULL):
     * the arguments of a stream of tasks mostly name one buffer.  Cleared
     * when the handle goes (s_buffer_release). */
    ordo_buffer_t *last_buf;
    uint64_t own_buffers;       /* handles on buffers this session created */
    uint64_t own_bytes;         /* and their bytes (--max-session-*) */

    ordo_dwire_msg_t *q_head, *q_tail;
    size_t q_pos;               /* next task of q_head (Submit) */
    uint64_t q_msgs, q_tasks;   /* messages and their tasks in the FIFO */
    bool blocked;
    struct s_session *blocked_next;

    ordo_dwire_completion_t *outc;
    void **outown;              /* two owned pointers per completion */
    size_t nout, capout;
    bool owns;                  /* some of outown may be set */
    bool dirty;
    struct s_session *dirty_next;

    uint64_t seen_ns;           /* last message from the client */
    uint64_t probe_ns;          /* last liveness probe */
    uint64_t gone_ns;           /* connection found gone (0: attached) */
    uint64_t resumed_seq;       /* next_seq at the last resume (0: none) */
} s_session_t;

typedef struct {
    uint32_t n, cap;
    uint32_t sessions[];
} s_watch_t;

/* Size classes of task records: 16-byte steps up to S_CLASS_SMALL bytes,
 * then powers of two.  Each class's size is 8 less than a multiple of 16,
 * what glibc's malloc serves with no slack. */
#define S_CLASS_SMALL 1024
#define S_CLASSES (S_CLASS_SMALL / 16 + 9)
_Static_assert(sizeof(ordo_task_t) + ORDO_MAX_TASK_ARGS_CEIL * (sizeof(ordo_targ_t) +
                                                              2 * ORDO_MAX_NDIM * 8)
                   <= (S_CLASS_SMALL << (S_CLASSES - S_CLASS_SMALL / 16 - 1)) - 8,
               "the largest task record has a size class");

struct ordo_server {
    const ordo_config_t *cfg;
    ordo_kernels_t *kernels;
    void *zctx, *router, *status;
    ordo_auth_t *auth;          /* CURVE and its ZAP handler; NULL without keys */
    int sigfd;
    ordo_graph_t *graph;
    ordo_executor_t *exec;
    ordo_buffers_t *buffers;
    ordo_map_t *sessions;       /* id -> s_session_t */
    ordo_smap_t *routes;        /* ROUTER routing id -> s_session_t */
    ordo_map_t *watches;        /* task id -> s_watch_t */
    uint32_t next_session;
    uint64_t sessions_total;
    s_session_t *blocked;       /* sessions whose FIFO waits for the window, */
    s_session_t *blocked_tail;  /* in the order they blocked */
    s_session_t *dirty;         /* sessions with completions to send */
    ordo_task_t *free_tasks[S_CLASSES]; /* pooled records, by size class */
    uint64_t task_bytes;        /* bytes of all records, pooled ones included */
    uint64_t tasks_open;        /* records between acceptance and completion */
    uint32_t inflight;          /* tasks handed to the executor */
    uint32_t inflight_max;
    uint64_t rng;
    uint64_t start_ns;
    bool draining, abandoned;
    uint64_t drain_deadline_ns;
    ordo_dwire_buf_t obuf;
    /* The task being validated: its arguments as the graph takes them,
     * their buffers, and (only for a kernel's check hook) as the kernel
     * ABI has them. */
    ordo_arg_t gargs[ORDO_MAX_TASK_ARGS_CEIL];
    ordo_buffer_t *kbufs[ORDO_MAX_TASK_ARGS_CEIL];
    ordo_karg_t kargs[ORDO_MAX_TASK_ARGS_CEIL];
    /* The kernel the last task named: the registry does not change after
     * the start, so it stays valid, and a stream of tasks mostly names one
     * kernel. */
    const ordo_kernel_t *klast;
    /* The session of the last finished task (s_finish), or NULL; cleared
     * when that session ends. */
    s_session_t *fin_sess;
    char endpoint[512], status_endpoint[512];   /* as bound */
    uint64_t tick_ns;           /* last s_tick */
    int listen_fds;             /* sockets passed by systemd */
    /* systemd STATUS=: last text sent, when, and whether a change waits
     * for the next second (at most one notification a second). */
    bool notify;
    char notify_text[128];
    uint64_t notify_ns;
    bool notify_pending;
    ordo_trace_rec_t *trace;    /* ring of S_TRACE_CAP finished tasks */
    uint32_t trace_next, trace_n;
    uint64_t trace_total;
};

static uint64_t s_rand(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static void s_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void s_errf(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Copies text meant for a log line, replacing anything not printable. */
static void s_printable(char *out, size_t outlen, const char *in)
{
    size_t i = 0;
    for (; in[i] && i + 1 < outlen; i++)
        out[i] = (in[i] >= 0x20 && in[i] < 0x7f) ? in[i] : '?';
    out[i] = '\0';
}

/* ------------------------------------------------------------------ */
/* Sending.                                                            */

/* Sends b to route.  Returns false when the connection is gone. */
static bool s_send(ordo_server_t *self, const void *route, size_t route_len,
                   const ordo_dwire_buf_t *b)
{
    /* ROUTER_MANDATORY: an unknown route fails here instead of vanishing;
     * SNDHWM 0: a slow reader never makes us drop a message. */
    if (zmq_send(self->router, route, route_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        ordo_log_debug("send: peer gone (%s)", zmq_strerror(zmq_errno()));
        return zmq_errno() != EHOSTUNREACH;
    }
    if (zmq_send(self->router, b->data, b->len, ZMQ_DONTWAIT) < 0)
        ordo_log_warn("send: %s", zmq_strerror(zmq_errno()));
    return true;
}

/* Sends b to sess; notes when its connection is gone (see s_tick).
 * Returns false when it is. */
static bool s_send_session(ordo_server_t *self, s_session_t *sess, const ordo_dwire_buf_t *b)
{
    if (s_send(self, sess->route, sess->route_len, b))
        return true;
    if (!sess->gone_ns) {
        sess->gone_ns = ordo_now_ns();
        ordo_log_info("session %u: connection gone; kept %llus for a resume", sess->id,
                      (unsigned long long)self->cfg->session_grace);
    }
    return false;
}

static void s_send_error(ordo_server_t *self, const void *route, size_t route_len, int code,
                         const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void s_send_error(ordo_server_t *self, const void *route, size_t route_len, int code,
                         const char *fmt, ...)
{
    char text[ORDO_ERRLEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    ordo_log_debug("error to client: %s", text);
    if (ordo_dwire_encode_error(&self->obuf, code, text) == 0)
        s_send(self, route, route_len, &self->obuf);
}

static void s_flush_session(ordo_server_t *self, s_session_t *sess);

/* Sends a Reply, after the completions queued for sess so far: a client
 * that waits for the Reply to a request (a Heartbeat as a barrier, say)
 * has then seen every completion the daemon produced before it. */
static void s_send_reply(ordo_server_t *self, s_session_t *sess, uint64_t req, int code,
                         const char *error, uint64_t buffer, uint64_t size)
{
    if (sess->nout)
        s_flush_session(self, sess);    /* stays on the dirty list, empty */
    if (ordo_dwire_encode_reply(&self->obuf, req, code, error, buffer, size) == 0)
        s_send_session(self, sess, &self->obuf);
}

/* Queues a completion for sess.  error and data are copied unless own is
 * set, in which case the session takes them over (they must be malloc'd). */
static void s_queue(ordo_server_t *self, s_session_t *sess, const ordo_dwire_completion_t *c,
                    bool own, char *error, void *data)
{
    if (sess->nout == sess->capout) {
        size_t cap = sess->capout ? sess->capout * 2 : 64;
        ordo_dwire_completion_t *oc = realloc(sess->outc, cap * sizeof *oc);
        if (oc)
            sess->outc = oc;
        void **ow = oc ? realloc(sess->outown, cap * 2 * sizeof *ow) : NULL;
        if (!oc || !ow) {
            ordo_log_error("out of memory queueing the completion of task 0x%llx",
                           (unsigned long long)c->id);
            if (own) {
                free(error);
                free(data);
            }
            return;
        }
        sess->outown = ow;
        sess->capout = cap;
    }
    ordo_dwire_completion_t *slot = &sess->outc[sess->nout];
    *slot = *c;
    if (!own) {
        error = (c->error && *c->error) ? strdup(c->error) : NULL;
        data = NULL;
        slot->data = NULL;
        slot->ndata = 0;
    }
    slot->error = error;
    if (error || data)
        sess->owns = true;
    sess->outown[2 * sess->nout] = error;
    sess->outown[2 * sess->nout + 1] = data;
    sess->nout++;
    if (!sess->dirty) {
        sess->dirty = true;
        sess->dirty_next = self->dirty;
        self->dirty = sess;
    }
}

/* A completion with a formatted error and no timings (ESEQ, rejects). */
static void s_queue_simple(ordo_server_t *self, s_session_t *sess, uint64_t id, int status,
                           int code, uint64_t now, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
static void s_queue_simple(ordo_server_t *self, s_session_t *sess, uint64_t id, int status,
                           int code, uint64_t now, const char *fmt, ...)
{
    char text[ORDO_ERRLEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    ordo_dwire_completion_t c = { .id = id, .status = status, .code = code, .error = text,
                                 .accepted_ns = now, .finished_ns = now };
    s_queue(self, sess, &c, false, NULL, NULL);
}

static void s_free_out(s_session_t *sess)
{
    if (sess->owns)
        for (size_t i = 0; i < 2 * sess->nout; i++)
            free(sess->outown[i]);
    sess->owns = false;
    sess->nout = 0;
}

/* Sends the queued completions of sess in Completions messages bounded in
 * items and bytes (one oversized item still goes alone).  While the
 * session's connection is gone they stay queued, for a resume to deliver
 * (s_hello): at most one per unfinished task or watch, so the credits
 * bound them; the session's end frees them. */
static void s_flush_session(ordo_server_t *self, s_session_t *sess)
{
    size_t budget = self->cfg->max_message / 2;
    if (budget < 65536)
        budget = 65536;
    size_t i = 0;
    while (i < sess->nout && !sess->gone_ns) {
        size_t j = i + 1, bytes = ordo_dwire_completion_bound(&sess->outc[i]);
        for (; j < sess->nout && j - i < S_BATCH_ITEMS; j++) {
            size_t more = ordo_dwire_completion_bound(&sess->outc[j]);
            if (bytes + more > budget)
                break;
            bytes += more;
        }
        if (ordo_dwire_encode_completions(&self->obuf, &sess->outc[i], j - i) == 0) {
            if (!s_send_session(self, sess, &self->obuf))
                break;              /* gone: keep these for a resume */
        } else {
            ordo_log_error("out of memory encoding %zu completions", j - i);
        }
        i = j;
    }
    if (i == sess->nout) {
        s_free_out(sess);
    } else if (i > 0) {
        /* Free what was sent; move what is kept to the front. */
        for (size_t k = 0; k < 2 * i; k++)
            free(sess->outown[k]);
        size_t keep = sess->nout - i;
        memmove(sess->outc, sess->outc + i, keep * sizeof *sess->outc);
        memmove(sess->outown, sess->outown + 2 * i, 2 * keep * sizeof *sess->outown);
        sess->nout = keep;
    }
}

static void s_flush(ordo_server_t *self)
{
    while (self->dirty) {
        s_session_t *sess = self->dirty;
        self->dirty = sess->dirty_next;
        sess->dirty = false;
        s_flush_session(self, sess);
    }
}

/* ------------------------------------------------------------------ */
/* Task records.                                                        */

/* The size class of a record of size bytes, and the bytes it allocates. */
static uint32_t s_size_class(size_t size, size_t *alloc)
{
    if (size + 8 <= S_CLASS_SMALL) {
        uint32_t c = (uint32_t)((size + 8 + 15) / 16);
        *alloc = (size_t)c * 16 - 8;
        return c;
    }
    uint32_t c = S_CLASS_SMALL / 16 + 1;
    size_t n = 2 * S_CLASS_SMALL;
    while (n - 8 < size) {
        n *= 2;
        c++;
    }
    *alloc = n - 8;
    return c;
}

/* A task record from the pool (or new) with room for size bytes (header
 * and arguments).  Records are kept by size class, so a steady stream of
 * tasks of a few shapes does not allocate.  Returns NULL when out of
 * memory. */
static ordo_task_t *s_task_get(ordo_server_t *self, size_t size)
{
    size_t alloc;
    uint32_t c = s_size_class(size, &alloc);
    ordo_task_t *t = self->free_tasks[c];
    if (t) {
        self->free_tasks[c] = t->next;
    } else {
        if (!(t = malloc(alloc)))
            return NULL;
        self->task_bytes += alloc;
    }
    t->size_class = (uint16_t)c;
    t->nargs = 0;
    t->msg = NULL;
    t->error = NULL;
    t->code = 0;
    t->worker = 0;
    t->next = NULL;
    return t;
}

static void s_task_put(ordo_server_t *self, ordo_task_t *t)
{
    if (t->msg)
        ordo_dwire_msg_unref(&t->msg);
    if (t->error) {
        free(t->error);
        t->error = NULL;
    }
    t->next = self->free_tasks[t->size_class];
    self->free_tasks[t->size_class] = t;
}

/* A task reached its terminal state: notify its session and its watchers,
 * release its buffers and its record.  The session takes over the host
 * output and the error text. */
static void s_finish(ordo_server_t *self, ordo_task_t *t, int status, int code, uint64_t cause)
{
    ordo_dwire_completion_t c = {
        .id = t->id, .status = status, .code = code, .error = t->error, .cause = cause,
        .accepted_ns = t->accepted_ns, .started_ns = t->u.res.started_ns,
        .finished_ns = t->u.res.finished_ns, .data = t->u.res.out, .ndata = t->u.res.nout,
    };
    s_watch_t *w = ordo_map_size(self->watches) ? ordo_map_remove(self->watches, t->id)
                                                 : NULL;
    if (w) {
        ordo_dwire_completion_t wc = c;
        wc.data = NULL;
        wc.ndata = 0;
        for (uint32_t i = 0; i < w->n; i++) {
            s_session_t *ws = ordo_map_get(self->sessions, w->sessions[i]);
            if (ws && ws->id != ORDO_TASK_SESSION(t->id))
                s_queue(self, ws, &wc, false, NULL, NULL);
        }
        free(w);
    }
    /* Completions come in runs of one session's tasks. */
    uint32_t sid = ORDO_TASK_SESSION(t->id);
    s_session_t *sess = self->fin_sess;
    if (!sess || sess->id != sid) {
        sess = ordo_map_get(self->sessions, sid);
        self->fin_sess = sess;
    }
    if (sess) {
        s_queue(self, sess, &c, true, t->error, t->u.res.out);
        t->error = NULL;
        if (sess->unfinished)
            sess->unfinished--;
    } else {
        free(t->u.res.out);
    }
    const ordo_targ_t *a = ordo_task_args(t);
    for (uint32_t j = 0; j < t->nargs; j++, a = ordo_targ_next(a))
        a->buf->task_refs--;
    self->tasks_open--;
    s_task_put(self, t);
}

static void s_drain_cancels_from(ordo_server_t *self, ordo_cancel_t c);

/* Reports every cancellation the graph has queued.  Called after every
 * acceptance and completion, and mostly finds none: the reporting is out
 * of line. */
static inline void s_drain_cancels(ordo_server_t *self)
{
    ordo_cancel_t c;
    if (ordo_graph_pop_cancel(self->graph, &c) == 0)
        s_drain_cancels_from(self, c);
}

/* Reports c, then every other cancellation queued. */
static void s_drain_cancels_from(ordo_server_t *self, ordo_cancel_t c)
{
    uint64_t now = ordo_now_ns();
    do {
        ordo_task_t *t = c.user;
        if (!t)
            continue;
        char text[ORDO_ERRLEN];
        snprintf(text, sizeof text, "task 0x%llx: cancelled: task 0x%llx failed",
                 (unsigned long long)t->id, (unsigned long long)c.cause);
        free(t->error);
        t->error = strdup(text);
        /* It never runs: its parameters are dead. */
        t->u.res.started_ns = 0;
        t->u.res.finished_ns = now;
        t->u.res.out = NULL;
        t->u.res.nout = 0;
        s_finish(self, t, ORDO_STATUS_CANCELLED, ORDO_ECANCELED, c.cause);
    } while (ordo_graph_pop_cancel(self->graph, &c) == 0);
}

/* ------------------------------------------------------------------ */
/* Accepting tasks.                                                     */

/* Accepts a well-sequenced id as failed with the given reason. */
static void s_reject(ordo_server_t *self, s_session_t *sess, uint64_t id, int code,
                     const char *reason)
{
    uint64_t now = ordo_now_ns();
    int rc = ordo_graph_reject(self->graph, id);
    if (rc == 0) {
        sess->next_seq++;
        s_queue_simple(self, sess, id, ORDO_STATUS_FAILED, code, now, "task 0x%llx: %s",
                       (unsigned long long)id, reason);
        s_drain_cancels(self);
    } else {
        s_queue_simple(self, sess, id, ORDO_STATUS_FAILED, rc, now,
                       "task 0x%llx: %s (and could not be recorded: %s)",
                       (unsigned long long)id, reason, ordo_strerror(rc));
    }
}

/* Resolves a buffer id for sess: only buffers it holds. */
static ordo_buffer_t *s_resolve_buffer(ordo_server_t *self, s_session_t *sess, uint64_t id,
                                       uint32_t j, int *code, char *why, size_t whylen)
{
    ordo_buffer_t *b = sess->last_buf;
    if (b && b->id == id)
        return b;
    b = ordo_map_get(sess->handles, id);
    if (b) {
        sess->last_buf = b;
        return b;
    }
    ordo_buffer_t *other = ordo_buffers_get(self->buffers, id);
    if (other && !other->name) {
        *code = ORDO_EPERM;
        s_errf(why, whylen, "arg %u: buffer %llu is private to another session", j,
               (unsigned long long)id);
    } else if (other) {
        *code = ORDO_EPERM;
        s_errf(why, whylen, "arg %u: buffer %llu ('%s') is not open in this session", j,
               (unsigned long long)id, other->name);
    } else {
        *code = ORDO_ENOENT;
        s_errf(why, whylen, "arg %u: no buffer %llu (unknown or released)", j,
               (unsigned long long)id);
    }
    return NULL;
}

/* The kernel named name, or NULL. */
static const ordo_kernel_t *s_kernel(ordo_server_t *self, const char *name)
{
    const ordo_kernel_t *k = self->klast;
    if (k && strcmp(k->name, name) == 0)
        return k;
    k = ordo_kernels_find(self->kernels, name);
    if (k)
        self->klast = k;
    return k;
}

/* Validates task i of m into self->gargs and kbufs, and sets *kp to its
 * kernel and *size to the size of its record; returns 0 or a code with a
 * reason.  The limits of one task come first (the cheap checks), then each
 * argument's buffer and view, then the kernel's own check.  A task that
 * names itself among its dependencies is refused here with a reason of its
 * own; the graph refuses other ids it never accepted (later ids included).
 * The arguments are expanded into the kernel ABI's form (self->kargs)
 * only for a kernel with a check hook. */
static int s_prepare(ordo_server_t *self, s_session_t *sess, const ordo_dwire_msg_t *m,
                     size_t i, const ordo_dwire_task_t *wt, const ordo_kernel_t **kp,
                     size_t *size, char *why, size_t whylen)
{
    const ordo_config_t *cfg = self->cfg;
    const ordo_kernel_t *k = s_kernel(self, wt->kernel);
    if (!k) {
        char name[ORDO_MAX_KERNEL_NAME + 2];
        s_printable(name, sizeof name, wt->kernel);
        s_errf(why, whylen, "unknown kernel '%s'", name);
        return ORDO_ENOENT;
    }
    if (wt->nargs > cfg->max_task_args) {
        s_errf(why, whylen, "task has %zu arguments; limit is %llu (--max-task-args)",
               wt->nargs, (unsigned long long)cfg->max_task_args);
        return ORDO_ELIMIT;
    }
    if (wt->ndeps > cfg->max_task_deps) {
        s_errf(why, whylen, "task has %zu dependencies; limit is %llu (--max-task-deps)",
               wt->ndeps, (unsigned long long)cfg->max_task_deps);
        return ORDO_ELIMIT;
    }
    if (wt->nparams > cfg->max_params) {
        s_errf(why, whylen, "task has %zu parameter bytes; limit is %llu (--max-params)",
               wt->nparams, (unsigned long long)cfg->max_params);
        return ORDO_ELIMIT;
    }
    for (size_t d = 0; d < wt->ndeps; d++) {
        if (wt->deps[d] == wt->id) {
            s_errf(why, whylen, "dependency %zu is the task itself", d);
            return ORDO_EINVAL;
        }
    }
    uint32_t nargs = (uint32_t)wt->nargs;
    uint64_t n0 = 0;            /* elements of argument 0 */
    *size = sizeof(ordo_task_t);
    for (uint32_t j = 0; j < nargs; j++) {
        ordo_arg_t *ga = &self->gargs[j];
        const ordo_view_t *v = &ga->view;
        uint64_t bid;
        int mode, rc;
        char what[ORDO_ERRLEN];
        rc = ordo_dwire_get_arg(m, i, j, &bid, &mode, &ga->view, what, sizeof what);
        if (rc) {
            s_errf(why, whylen, "arg %u: %s", j, what);
            return rc;
        }
        if ((uint64_t)v->ndim > cfg->max_ndim) {
            s_errf(why, whylen, "arg %u: view has %d dimensions; limit is %llu (--max-ndim)",
                   j, (int)v->ndim, (unsigned long long)cfg->max_ndim);
            return ORDO_ELIMIT;
        }
        ordo_buffer_t *b = s_resolve_buffer(self, sess, bid, j, &rc, why, whylen);
        if (!b)
            return rc;
        rc = ordo_view_check(v, b->size, what, sizeof what);
        if (rc) {
            s_errf(why, whylen, "arg %u (buffer %llu): %s", j, (unsigned long long)bid, what);
            return rc;
        }
        uint64_t n;
        if (v->ndim == 1 && (uint64_t)v->shape[0] <= ORDO_MAX_BUFFER_BYTES)
            n = (uint64_t)v->shape[0];  /* what ordo_view_elements says, sooner */
        else if (!ordo_view_elements(v, &n)) {
            s_errf(why, whylen, "arg %u: more than 2^48 elements", j);
            return ORDO_ERANGE;
        }
        if (j == 0)
            n0 = n;
        self->kbufs[j] = b;
        *size += ordo_targ_size((uint32_t)v->ndim);
        ga->index = &b->index;
        ga->mode = mode;
    }
    if (k->check) {
        for (uint32_t j = 0; j < nargs; j++) {
            const ordo_view_t *v = &self->gargs[j].view;
            ordo_karg_t *a = &self->kargs[j];
            memset(a, 0, sizeof *a);
            a->base = NULL;
            a->buffer_bytes = self->kbufs[j]->size;
            a->buffer_id = self->kbufs[j]->id;
            a->dtype = v->dtype;
            a->ndim = v->ndim;
            a->offset = v->offset;
            memcpy(a->shape, v->shape, sizeof a->shape);
            memcpy(a->strides, v->strides, sizeof a->strides);
            a->mode = self->gargs[j].mode;
        }
        char what[ORDO_ERRLEN] = "";
        ordo_kernel_call_t call = {
            .task = wt->id, .args = self->kargs, .nargs = nargs,
            .params = wt->params, .nparams = wt->nparams,
            .data = wt->data, .ndata = wt->ndata,
            .err = what, .errlen = sizeof what,
        };
        int rc = k->check(&call);
        if (rc) {
            s_errf(why, whylen, "%s", what[0] ? what : ordo_strerror(rc));
            return rc < 0 ? rc : ORDO_EINVAL;
        }
    }
    if (k->flags & ORDO_KERNEL_HOST_OUT) {
        if (nargs < 1) {
            s_errf(why, whylen, "%s needs an argument to read", k->name);
            return ORDO_EINVAL;
        }
        uint64_t n = n0 * ordo_dtype_size(self->gargs[0].view.dtype);
        if (n + 4096 > self->cfg->max_message) {
            s_errf(why, whylen, "%s of %llu bytes exceeds the message limit (%llu bytes)",
                   k->name, (unsigned long long)n,
                   (unsigned long long)self->cfg->max_message - 4096);
            return ORDO_ELIMIT;
        }
    }
    *kp = k;
    return 0;
}

/* Packs the arguments s_prepare validated into t. */
static void s_pack_args(const ordo_server_t *self, ordo_task_t *t, uint32_t nargs)
{
    ordo_targ_t *a = (ordo_targ_t *)t->args;
    for (uint32_t j = 0; j < nargs; j++) {
        const ordo_view_t *v = &self->gargs[j].view;
        uint32_t nd = (uint32_t)v->ndim;
        a->buf = self->kbufs[j];
        a->offset = v->offset;
        a->dtype = (uint8_t)v->dtype;
        a->ndim = (uint8_t)nd;
        a->mode = (uint8_t)self->gargs[j].mode;
        for (uint32_t d = 0; d < nd; d++) {     /* a call to memcpy costs more */
            a->dims[d] = v->shape[d];
            a->dims[nd + d] = v->strides[d];
        }
        a = (ordo_targ_t *)ordo_targ_next(a);
    }
    t->nargs = (uint16_t)nargs;
}

/* Handles task i of the Submit m.  Returns 0 when the task is consumed
 * (accepted, rejected or refused out of sequence), ORDO_EAGAIN when the
 * window is full and the task must be retried later.  now, read once per
 * run of tasks that s_pump accepts in one go, becomes the task's
 * accepted_ns. */
static int s_accept(ordo_server_t *self, s_session_t *sess, ordo_dwire_msg_t *m, size_t i,
                    uint64_t now)
{
    ordo_dwire_task_t wt;
    ordo_dwire_get_task(m, i, &wt);
    uint64_t expect = ORDO_TASK_ID(sess->id, sess->next_seq);
    char why[ORDO_ERRLEN];
    if (wt.id != expect) {
        s_queue_simple(self, sess, wt.id, ORDO_STATUS_FAILED, ORDO_ESEQ, ordo_now_ns(),
                       "task 0x%llx: out of sequence: expected 0x%llx (session %u, seq %llu)",
                       (unsigned long long)wt.id, (unsigned long long)expect, sess->id,
                       (unsigned long long)sess->next_seq);
        return 0;
    }
    if (self->draining) {
        s_reject(self, sess, wt.id, ORDO_ESHUTDOWN, "daemon is shutting down");
        return 0;
    }
    if (sess->unfinished >= self->cfg->credits) {
        s_errf(why, sizeof why, "over credit: the session holds %llu unfinished tasks; "
               "limit is %llu (--credits)", (unsigned long long)sess->unfinished,
               (unsigned long long)self->cfg->credits);
        s_reject(self, sess, wt.id, ORDO_ELIMIT, why);
        return 0;
    }
    const ordo_kernel_t *k;
    size_t size;
    int rc = s_prepare(self, sess, m, i, &wt, &k, &size, why, sizeof why);
    if (rc) {
        s_reject(self, sess, wt.id, rc, why);
        return 0;
    }
    ordo_task_t *t = s_task_get(self, size);
    if (!t) {
        s_reject(self, sess, wt.id, ORDO_ENOMEM, "out of memory");
        return 0;
    }
    t->id = wt.id;
    t->kernel = k;
    s_pack_args(self, t, (uint32_t)wt.nargs);
    ordo_task_desc_t desc = {
        .id = wt.id, .args = self->gargs, .nargs = t->nargs,
        .deps = wt.deps, .ndeps = (uint32_t)wt.ndeps, .user = t,
        .views_checked = true,  /* by s_prepare, with the same errors */
    };
    t->accepted_ns = now;
    rc = ordo_graph_submit(self->graph, &desc, why, sizeof why);
    if (rc == ORDO_EAGAIN) {
        t->nargs = 0;
        s_task_put(self, t);
        return ORDO_EAGAIN;
    }
    if (rc) {
        t->nargs = 0;
        s_task_put(self, t);
        s_reject(self, sess, wt.id, rc, why);
        return 0;
    }
    /* Short parameters move into the record, so that the Submit (a few
     * hundred bytes per task decoded) goes as soon as its last task is
     * accepted; host data and long parameters stay where they are. */
    t->nparams = (uint32_t)wt.nparams;
    if (wt.ndata == 0 && wt.nparams <= sizeof t->u.params) {
        if (wt.nparams)
            memcpy(t->u.params, wt.params, wt.nparams);
    } else {
        t->u.ref.params = wt.params;
        t->u.ref.data = wt.data;
        t->u.ref.ndata = wt.ndata;
        t->msg = ordo_dwire_msg_ref(m);
    }
    for (uint32_t j = 0; j < t->nargs; j++)
        self->kbufs[j]->task_refs++;
    sess->next_seq++;
    sess->unfinished++;
    self->tasks_open++;
    s_drain_cancels(self);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Requests other than Submit.                                          */

/* The session's buffer quota: it counts the handles the session holds on
 * buffers it created, and their bytes (sess->own_*).  The creator pays for
 * a named buffer, the sessions that open it do not; a creator that opens
 * its own buffer again after releasing it pays again.  Returns 0 when one
 * more buffer of size bytes fits, else ORDO_ELIMIT with a reason. */
static int s_quota(const ordo_server_t *self, const s_session_t *sess, uint64_t size,
                   char *why, size_t whylen)
{
    const ordo_config_t *cfg = self->cfg;
    if (sess->own_buffers >= cfg->max_session_buffers) {
        s_errf(why, whylen, "session holds %llu buffers it created; limit is %llu "
               "(--max-session-buffers)", (unsigned long long)sess->own_buffers,
               (unsigned long long)cfg->max_session_buffers);
        return ORDO_ELIMIT;
    }
    if (cfg->max_session_bytes && size > cfg->max_session_bytes - sess->own_bytes) {
        s_errf(why, whylen, "buffer of %llu bytes: session holds %llu bytes of buffers it "
               "created; limit is %llu (--max-session-bytes)", (unsigned long long)size,
               (unsigned long long)sess->own_bytes,
               (unsigned long long)cfg->max_session_bytes);
        return ORDO_ELIMIT;
    }
    return 0;
}

static void s_buffer_create(ordo_server_t *self, s_session_t *sess, const ordo_dwire_request_t *r)
{
    char why[ORDO_ERRLEN];
    if (self->draining) {
        s_send_reply(self, sess, r->req, ORDO_ESHUTDOWN, "daemon is shutting down", 0, 0);
        return;
    }
    int rc = s_quota(self, sess, r->size, why, sizeof why);
    if (rc) {
        s_send_reply(self, sess, r->req, rc, why, 0, 0);
        return;
    }
    ordo_buffer_t *b;
    rc = ordo_buffers_create(self->buffers, r->size, r->name, sess->id, &b, why, sizeof why);
    if (rc == 0 && ordo_map_put(sess->handles, b->id, b) != 0) {
        ordo_buffers_drop(self->buffers, b);
        rc = ORDO_ENOMEM;
        snprintf(why, sizeof why, "out of memory");
    }
    if (rc) {
        s_send_reply(self, sess, r->req, rc, why, 0, 0);
        return;
    }
    sess->own_buffers++;
    sess->own_bytes += b->size;
    ordo_log_debug("session %u: buffer %llu of %llu bytes%s%s", sess->id,
                   (unsigned long long)b->id, (unsigned long long)b->size,
                   b->name ? " named " : "", b->name ? b->name : "");
    s_send_reply(self, sess, r->req, 0, "", b->id, b->size);
}

static void s_buffer_open(ordo_server_t *self, s_session_t *sess, const ordo_dwire_request_t *r)
{
    char why[ORDO_ERRLEN];
    if (!*r->name) {
        s_send_reply(self, sess, r->req, ORDO_EINVAL, "BufferOpen needs a name", 0, 0);
        return;
    }
    ordo_buffer_t *b = ordo_buffers_find(self->buffers, r->name);
    if (!b) {
        char name[ORDO_MAX_BUFFER_NAME + 1];
        s_printable(name, sizeof name, r->name);
        snprintf(why, sizeof why, "no buffer named '%.200s'", name);
        s_send_reply(self, sess, r->req, ORDO_ENOENT, why, 0, 0);
        return;
    }
    if (!ordo_map_get(sess->handles, b->id)) {
        bool own = b->owner == sess->id;
        int rc = own ? s_quota(self, sess, b->size, why, sizeof why) : 0;
        if (rc) {
            s_send_reply(self, sess, r->req, rc, why, 0, 0);
            return;
        }
        if (ordo_map_put(sess->handles, b->id, b) != 0) {
            s_send_reply(self, sess, r->req, ORDO_ENOMEM, "out of memory", 0, 0);
            return;
        }
        ordo_buffers_hold(self->buffers, b);
        if (own) {
            sess->own_buffers++;
            sess->own_bytes += b->size;
        }
    }
    s_send_reply(self, sess, r->req, 0, "", b->id, b->size);
}

static void s_buffer_release(ordo_server_t *self, s_session_t *sess,
                             const ordo_dwire_request_t *r)
{
    ordo_buffer_t *b = ordo_map_remove(sess->handles, r->buffer);
    if (b == sess->last_buf)
        sess->last_buf = NULL;
    if (!b) {
        char why[ORDO_ERRLEN];
        snprintf(why, sizeof why, "buffer %llu is not held by this session",
                 (unsigned long long)r->buffer);
        s_send_reply(self, sess, r->req, ORDO_ENOENT, why, 0, 0);
        return;
    }
    uint64_t id = b->id, size = b->size;
    if (b->owner == sess->id) {
        sess->own_buffers--;
        sess->own_bytes -= size;
    }
    ordo_buffers_drop(self->buffers, b);
    s_send_reply(self, sess, r->req, 0, "", id, size);
}

static void s_watch(ordo_server_t *self, s_session_t *sess, const ordo_dwire_msg_t *m)
{
    size_t n;
    const uint64_t *ids = ordo_dwire_get_watch(m, &n);
    uint64_t now = ordo_now_ns();
    if (n > self->cfg->max_watch) {
        /* A Watch has no request id to answer; libordo sends one id at a
         * time, so only a raw client gets here. */
        s_send_error(self, sess->route, sess->route_len, ORDO_ELIMIT,
                     "Watch of %zu ids ignored; limit is %llu (--max-watch)", n,
                     (unsigned long long)self->cfg->max_watch);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t id = ids[i];
        ordo_task_state_t st = ordo_graph_state(self->graph, id);
        if (st == ORDO_TASK_UNKNOWN) {
            if (ordo_graph_forgotten(self->graph, id))
                s_queue_simple(self, sess, id, ORDO_STATUS_UNSPECIFIED, ORDO_ENOENT, now,
                               "task 0x%llx ended too long ago: its outcome is no longer "
                               "known (--max-tombstones)", (unsigned long long)id);
            else
                s_queue_simple(self, sess, id, ORDO_STATUS_UNSPECIFIED, ORDO_ENOENT, now,
                               "task 0x%llx was never accepted", (unsigned long long)id);
            continue;
        }
        bool terminal = st == ORDO_TASK_DONE || st == ORDO_TASK_FAILED ||
                        st == ORDO_TASK_CANCELLED;
        /* An own id: its completion is sent (or was) anyway, except that
         * one from before a resume may have gone with the old connection,
         * so a finished one of those is answered again. */
        if (ORDO_TASK_SESSION(id) == sess->id &&
            (!terminal || ORDO_TASK_SEQ(id) >= sess->resumed_seq))
            continue;
        if (terminal) {
            bool done = st == ORDO_TASK_DONE, failed = st == ORDO_TASK_FAILED;
            ordo_dwire_completion_t c = {
                .id = id,
                .status = done ? ORDO_STATUS_DONE : failed ? ORDO_STATUS_FAILED
                                                           : ORDO_STATUS_CANCELLED,
                .code = done ? 0 : failed ? ORDO_EFAILED : ORDO_ECANCELED,
                .error = done ? "" : failed ? "task had failed" : "task had been cancelled",
            };
            s_queue(self, sess, &c, false, NULL, NULL);
            continue;
        }
        s_watch_t *w = ordo_map_get(self->watches, id);
        if (w) {
            bool seen = false;
            for (uint32_t k = 0; k < w->n && !seen; k++)
                seen = w->sessions[k] == sess->id;
            if (seen)
                continue;
        }
        if (!w || w->n == w->cap) {
            uint32_t cap = w ? w->cap * 2 : 2;
            s_watch_t *nw = realloc(w, sizeof *nw + cap * sizeof nw->sessions[0]);
            if (!nw) {
                s_queue_simple(self, sess, id, ORDO_STATUS_UNSPECIFIED, ORDO_ENOMEM, now,
                               "task 0x%llx: out of memory for the watch",
                               (unsigned long long)id);
                continue;
            }
            if (!w)
                nw->n = 0;
            nw->cap = cap;
            if (ordo_map_put(self->watches, id, nw) != 0) {
                if (!w)
                    free(nw);
                continue;
            }
            w = nw;
        }
        w->sessions[w->n++] = sess->id;
    }
}

/* ------------------------------------------------------------------ */
/* Sessions.                                                            */

static void s_unlink(s_session_t **list, s_session_t *sess, size_t next_off)
{
    for (s_session_t **pp = list; *pp;
         pp = (s_session_t **)((char *)*pp + next_off)) {
        if (*pp == sess) {
            *pp = *(s_session_t **)((char *)sess + next_off);
            return;
        }
    }
}

static void s_drop_handle(uint64_t key, void *value, void *arg)
{
    ordo_buffers_drop(arg, value);
}

/* Ends a session: its accepted tasks still run (others may depend on
 * them), its handles go (private buffers die when idle), queued messages
 * and notifications are discarded. */
static void s_session_end(ordo_server_t *self, s_session_t *sess)
{
    ordo_log_info("session %u ended (%llu tasks unfinished)", sess->id,
                  (unsigned long long)sess->unfinished);
    ordo_map_foreach(sess->handles, s_drop_handle, self->buffers);
    ordo_map_destroy(&sess->handles);
    while (sess->q_head) {
        ordo_dwire_msg_t *m = sess->q_head;
        sess->q_head = *ordo_dwire_msg_next(m);
        ordo_dwire_msg_unref(&m);
    }
    if (sess->dirty)
        s_unlink(&self->dirty, sess, offsetof(s_session_t, dirty_next));
    if (sess->blocked) {
        s_unlink(&self->blocked, sess, offsetof(s_session_t, blocked_next));
        self->blocked_tail = NULL;
        for (s_session_t *b = self->blocked; b; b = b->blocked_next)
            self->blocked_tail = b;
    }
    s_free_out(sess);
    free(sess->outc);
    free(sess->outown);
    ordo_smap_remove(self->routes, sess->route, sess->route_len);
    ordo_map_remove(self->sessions, sess->id);
    if (self->fin_sess == sess)
        self->fin_sess = NULL;
    free(sess);
}

static void s_hello(ordo_server_t *self, const uint8_t *route, size_t route_len,
                    const ordo_dwire_msg_t *m)
{
    ordo_dwire_hello_t h;
    ordo_dwire_get_hello(m, &h);
    if (strcmp(h.protocol, ORDO_PROTOCOL_NAME) != 0) {
        char p[32];
        s_printable(p, sizeof p, h.protocol);
        s_send_error(self, route, route_len, ORDO_EPROTO,
                     "protocol '%s' is not '%s'", p, ORDO_PROTOCOL_NAME);
        return;
    }
    if (h.major != ORDO_PROTOCOL_MAJOR) {
        s_send_error(self, route, route_len, ORDO_EVERSION,
                     "protocol version %u.%u is not supported: this daemon speaks ordo "
                     "%d.%d (major %d only)", h.major, h.minor, ORDO_PROTOCOL_MAJOR,
                     ORDO_PROTOCOL_MINOR, ORDO_PROTOCOL_MAJOR);
        return;
    }
    s_session_t *cur = ordo_smap_get(self->routes, route, route_len);
    if (cur) {
        s_send_error(self, route, route_len, ORDO_EPROTO,
                     "this connection already has session %u", cur->id);
        return;
    }
    if (self->draining) {
        s_send_error(self, route, route_len, ORDO_ESHUTDOWN, "daemon is shutting down");
        return;
    }
    s_session_t *sess = NULL;
    if (h.resume_session) {
        sess = h.resume_session <= ORDO_MAX_SESSION
                   ? ordo_map_get(self->sessions, h.resume_session) : NULL;
        unsigned diff = sess ? 0 : 1;
        if (sess && h.resume_token_len == ORDO_TOKEN_BYTES) {
            for (size_t i = 0; i < ORDO_TOKEN_BYTES; i++)
                diff |= sess->token[i] ^ h.resume_token[i];
        } else {
            diff = 1;
        }
        if (diff) {
            s_send_error(self, route, route_len, ORDO_ESESSION,
                         "cannot resume session %llu: unknown session or wrong token "
                         "(daemon restarted or session expired)",
                         (unsigned long long)h.resume_session);
            return;
        }
        ordo_smap_remove(self->routes, sess->route, sess->route_len);
        memcpy(sess->route, route, route_len);
        sess->route_len = route_len;
        if (ordo_smap_put(self->routes, route, route_len, sess) != 0) {
            s_send_error(self, route, route_len, ORDO_ENOMEM, "out of memory");
            return;
        }
        sess->resumed_seq = sess->next_seq;
        ordo_log_info("session %u resumed", sess->id);
    } else {
        if (ordo_map_size(self->sessions) >= self->cfg->max_sessions) {
            s_send_error(self, route, route_len, ORDO_ELIMIT,
                         "too many sessions: limit is %llu (--max-sessions); try again later",
                         (unsigned long long)self->cfg->max_sessions);
            return;
        }
        if (self->next_session > ORDO_MAX_SESSION) {
            s_send_error(self, route, route_len, ORDO_ELIMIT,
                         "no session ids left (%u used): restart the daemon", ORDO_MAX_SESSION);
            return;
        }
        sess = calloc(1, sizeof *sess);
        if (!sess || !(sess->handles = ordo_map_new())) {
            free(sess);
            s_send_error(self, route, route_len, ORDO_ENOMEM, "out of memory");
            return;
        }
        sess->id = self->next_session;
        sess->next_seq = 1;
        memcpy(sess->route, route, route_len);
        sess->route_len = route_len;
        s_printable(sess->client, sizeof sess->client, h.client);
        if (getrandom(sess->token, sizeof sess->token, 0) != (ssize_t)sizeof sess->token) {
            for (size_t i = 0; i < sizeof sess->token; i++)
                sess->token[i] = (uint8_t)s_rand(&self->rng);
        }
        if (ordo_map_put(self->sessions, sess->id, sess) != 0 ||
            ordo_smap_put(self->routes, route, route_len, sess) != 0) {
            ordo_map_remove(self->sessions, sess->id);
            ordo_map_destroy(&sess->handles);
            free(sess);
            s_send_error(self, route, route_len, ORDO_ENOMEM, "out of memory");
            return;
        }
        self->next_session++;
        self->sessions_total++;
        ordo_log_info("session %u started by '%s' (protocol %u.%u)", sess->id, sess->client,
                      h.major, h.minor);
    }
    ordo_dwire_welcome_t w = {
        .session = sess->id, .token = sess->token, .token_len = sizeof sess->token,
        .credits = (uint32_t)self->cfg->credits, .next_seq = sess->next_seq,
        .max_message = self->cfg->max_message, .daemon = "ordod " PACKAGE_VERSION,
    };
    sess->seen_ns = sess->probe_ns = ordo_now_ns();
    sess->gone_ns = 0;
    if (ordo_dwire_encode_welcome(&self->obuf, &w) == 0)
        s_send_session(self, sess, &self->obuf);
    /* A resumed session gets the completions kept while it was gone. */
    if (sess->nout)
        s_flush_session(self, sess);
}

/* Handles the FIFO of sess in order until it is empty or the window is
 * full.  Returns false when the session ended (Bye) and is gone. */
static bool s_pump(ordo_server_t *self, s_session_t *sess)
{
    ordo_dwire_msg_t *m;
    while ((m = sess->q_head)) {
        ordo_dwire_kind_t kind = ordo_dwire_kind(m);
        ordo_dwire_request_t r;
        if (kind == ORDO_DWIRE_SUBMIT) {
            size_t n = ordo_dwire_task_count(m);
            /* The tasks of a message are accepted within microseconds:
             * one clock reading serves them all. */
            uint64_t now = ordo_now_ns();
            while (sess->q_pos < n) {
                if (s_accept(self, sess, m, sess->q_pos, now) == ORDO_EAGAIN) {
                    if (!sess->blocked) {
                        sess->blocked = true;
                        sess->blocked_next = NULL;
                        if (self->blocked_tail)
                            self->blocked_tail->blocked_next = sess;
                        else
                            self->blocked = sess;
                        self->blocked_tail = sess;
                    }
                    return true;
                }
                sess->q_pos++;
            }
        } else if (kind == ORDO_DWIRE_BYE) {
            s_session_end(self, sess);
            return false;
        } else if (kind == ORDO_DWIRE_WATCH) {
            s_watch(self, sess, m);
        } else {
            ordo_dwire_get_request(m, &r);
            switch (kind) {
            case ORDO_DWIRE_BUFFER_CREATE: s_buffer_create(self, sess, &r); break;
            case ORDO_DWIRE_BUFFER_OPEN: s_buffer_open(self, sess, &r); break;
            case ORDO_DWIRE_BUFFER_RELEASE: s_buffer_release(self, sess, &r); break;
            case ORDO_DWIRE_HEARTBEAT: s_send_reply(self, sess, r.req, 0, "", 0, 0); break;
            default: break;
            }
        }
        sess->q_head = *ordo_dwire_msg_next(m);
        if (!sess->q_head)
            sess->q_tail = NULL;
        sess->q_pos = 0;
        sess->q_msgs--;
        sess->q_tasks -= ordo_dwire_task_count(m);
        ordo_dwire_msg_unref(&m);
    }
    return true;
}

/* Pumps every blocked session once, in the order they blocked, so the
 * window's free slots go round fairly; sessions that block again go back
 * on the list, in the same order. */
static void s_pump_blocked(ordo_server_t *self)
{
    s_session_t *list = self->blocked;
    self->blocked = self->blocked_tail = NULL;
    while (list) {
        s_session_t *sess = list;
        list = sess->blocked_next;
        sess->blocked = false;
        sess->blocked_next = NULL;
        s_pump(self, sess);
    }
}

/* ------------------------------------------------------------------ */
/* Socket events.                                                       */

/* Reads one multipart message from the ROUTER.  Returns false when none is
 * waiting. */
static bool s_read_client(ordo_server_t *self)
{
    zmq_msg_t route, body;
    zmq_msg_init(&route);
    if (zmq_msg_recv(&route, self->router, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&route);
        return false;
    }
    zmq_msg_init(&body);
    int frames = 1;
    if (zmq_msg_more(&route)) {
        if (zmq_msg_recv(&body, self->router, 0) >= 0)
            frames++;
        /* Extra frames (a REQ envelope, say): count and discard them. */
        for (bool more = zmq_msg_more(&body); more; frames++) {
            zmq_msg_t extra;
            zmq_msg_init(&extra);
            if (zmq_msg_recv(&extra, self->router, 0) < 0) {
                zmq_msg_close(&extra);
                break;
            }
            more = zmq_msg_more(&extra);
            zmq_msg_close(&extra);
        }
    }
    const uint8_t *rt = zmq_msg_data(&route);
    size_t rlen = zmq_msg_size(&route);
    if (frames != 2) {
        s_send_error(self, rt, rlen, ORDO_EPROTO,
                     "expected one frame per message, got %d", frames - 1);
        goto out;
    }
    char why[ORDO_ERRLEN];
    ordo_dwire_msg_t *m;
    int rc = ordo_dwire_decode(zmq_msg_data(&body), zmq_msg_size(&body), &m, why, sizeof why);
    if (rc) {
        s_send_error(self, rt, rlen, rc, "%s", why);
        goto out;
    }
    if (ordo_dwire_kind(m) == ORDO_DWIRE_HELLO) {
        s_hello(self, rt, rlen, m);
        ordo_dwire_msg_unref(&m);
        goto out;
    }
    s_session_t *sess = ordo_smap_get(self->routes, rt, rlen);
    if (!sess) {
        s_send_error(self, rt, rlen, ORDO_EPROTO, "send Hello first");
        ordo_dwire_msg_unref(&m);
        goto out;
    }
    sess->seen_ns = ordo_now_ns();
    if (sess->gone_ns && sess->nout && !sess->dirty) {
        /* Back on the same route (a fixed routing id): send what was kept. */
        sess->dirty = true;
        sess->dirty_next = self->dirty;
        self->dirty = sess;
    }
    sess->gone_ns = 0;
    *ordo_dwire_msg_next(m) = NULL;
    if (sess->q_tail)
        *ordo_dwire_msg_next(sess->q_tail) = m;
    else
        sess->q_head = m;
    sess->q_tail = m;
    sess->q_msgs++;
    sess->q_tasks += ordo_dwire_task_count(m);
    if (!sess->blocked) {
        s_pump(self, sess);
    } else if (sess->q_tasks > 2 * self->cfg->credits ||
               sess->q_msgs > 2 * self->cfg->credits + 1024) {
        /* A client within its credits never has more than credits tasks
         * queued here; this one ignores them while the window is full.
         * Bound the memory: end the session with a clear error. */
        ordo_log_warn("session %u: %llu tasks queued while the window is full, over its "
                      "credits (%llu): session ended", sess->id,
                      (unsigned long long)sess->q_tasks,
                      (unsigned long long)self->cfg->credits);
        s_send_error(self, sess->route, sess->route_len, ORDO_ELIMIT,
                     "session %u ended: it queued %llu tasks while the daemon's window was "
                     "full, more than twice its credits (%llu)", sess->id,
                     (unsigned long long)sess->q_tasks,
                     (unsigned long long)self->cfg->credits);
        s_session_end(self, sess);
    }
out:
    zmq_msg_close(&route);
    zmq_msg_close(&body);
    return true;
}

static void s_read_status(ordo_server_t *self)
{
    zmq_msg_t req;
    zmq_msg_init(&req);
    if (zmq_msg_recv(&req, self->status, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&req);
        return;
    }
    /* REP strips the envelope; extra frames are a client error. */
    while (zmq_msg_more(&req)) {
        zmq_msg_t extra;
        zmq_msg_init(&extra);
        zmq_msg_recv(&extra, self->status, 0);
        int more = zmq_msg_more(&extra);
        zmq_msg_close(&extra);
        if (!more)
            break;
    }
    ordo_dwire_status_req_t sr;
    ordo_sbuf_t text = { 0 };
    int code;
    if (ordo_dwire_decode_status(zmq_msg_data(&req), zmq_msg_size(&req), &sr) != 0) {
        code = ORDO_EPROTO;
        ordo_sbuf_printf(&text, "undecodable StatusRequest\n");
    } else {
        code = ordo_status_dispatch(self, &sr, &text);
        ordo_dwire_status_req_free(&sr);
    }
    if (ordo_sbuf_failed(&text)) {
        code = ORDO_ENOMEM;
        ordo_sbuf_reset(&text);
    }
    if (ordo_dwire_encode_status_reply(&self->obuf, code, ordo_sbuf_str(&text)) == 0)
        zmq_send(self->status, self->obuf.data, self->obuf.len, 0);
    else
        zmq_send(self->status, "", 0, 0);
    ordo_sbuf_free(&text);
    zmq_msg_close(&req);
}

/* Keeps the timings of a task that ran in the trace ring. */
static void s_trace_record(ordo_server_t *self, const ordo_task_t *t)
{
    ordo_trace_rec_t *r = &self->trace[self->trace_next];
    r->id = t->id;
    r->session = ORDO_TASK_SESSION(t->id);
    r->worker = t->worker;
    r->kernel = t->kernel->name;
    r->failed = t->code != 0;
    r->accepted_ns = t->accepted_ns;
    r->started_ns = t->u.res.started_ns;
    r->finished_ns = t->u.res.finished_ns;
    self->trace_next = (self->trace_next + 1) % S_TRACE_CAP;
    if (self->trace_n < S_TRACE_CAP)
        self->trace_n++;
    self->trace_total++;
}

/* A task came back from its kernel (on a worker or inline): lets the graph
 * release its successors or cancel them, and reports it. */
static void s_complete(ordo_server_t *self, ordo_task_t *t)
{
    s_trace_record(self, t);
    if (t->code == 0) {
        ordo_graph_complete(self->graph, t->id);
        s_finish(self, t, ORDO_STATUS_DONE, 0, 0);
    } else {
        ordo_log_debug("task 0x%llx failed: %s", (unsigned long long)t->id,
                       t->error ? t->error : "");
        /* Kernels write bare reasons; completions name the task. */
        char text[ORDO_ERRLEN];
        snprintf(text, sizeof text, "task 0x%llx: %s: %s", (unsigned long long)t->id,
                 t->kernel->name, t->error ? t->error : ordo_strerror(t->code));
        free(t->error);
        t->error = strdup(text);
        ordo_graph_fail(self->graph, t->id);
        s_finish(self, t, ORDO_STATUS_FAILED, t->code, 0);
    }
    s_drain_cancels(self);
}

/* Takes the tasks the workers finished and completes them. */
static void s_collect_done(ordo_server_t *self)
{
    ordo_task_t *list = ordo_executor_take(self->exec);
    while (list) {
        ordo_task_t *t = list;
        list = t->next;
        self->inflight--;
        s_complete(self, t);
    }
}

/* Runs the ready tasks: kernels flagged ORDO_KERNEL_INLINE right here (no
 * thread hand-off, no system call; their successors may become ready and
 * run in the same call), the others handed to the workers in one push, at
 * most inflight_max at a time so that the ready queue (and chaos's choice
 * in it) stays in the scheduler.  At most S_INLINE_BATCH inline tasks run
 * per call, so a long chain of them does not starve the sockets; the loop
 * then polls without waiting (s_work_waiting).  Returns the number of
 * inline tasks run. */
static uint32_t s_dispatch(ordo_server_t *self)
{
    ordo_task_t *head = NULL, *tail = NULL;
    uint32_t n = 0, inlined = 0;
    uint64_t now = 0;           /* the clock, read once per inline task */
    bool chaos = self->cfg->chaos != 0;
    while (self->inflight < self->inflight_max && inlined < S_INLINE_BATCH) {
        uint32_t ready = ordo_graph_ready_count(self->graph);
        if (ready == 0)
            break;
        uint32_t at = chaos ? (uint32_t)(s_rand(&self->rng) % ready) : 0;
        uint64_t id;
        void *user;
        if (ordo_graph_pop_ready_at(self->graph, at, &id, &user) != 0)
            break;
        ordo_task_t *t = user;
        t->next = NULL;
        if (!chaos && (t->kernel->flags & ORDO_KERNEL_INLINE)) {
            ordo_executor_run(self->exec, t, now ? now : ordo_now_ns());
            now = t->u.res.finished_ns;
            s_complete(self, t);
            inlined++;
            continue;
        }
        if (tail)
            tail->next = t;
        else
            head = t;
        tail = t;
        n++;
        self->inflight++;
    }
    ordo_executor_push(self->exec, head, tail, n);
    return inlined;
}

/* True when the loop has work it can do at once: ready tasks s_dispatch
 * left for the next turn, or a blocked session that inline completions made
 * room for (no descriptor would wake the poll for either). */
static bool s_work_waiting(ordo_server_t *self)
{
    if (self->inflight < self->inflight_max && ordo_graph_ready_count(self->graph) > 0)
        return true;
    if (self->blocked) {
        ordo_graph_stats_t st;
        ordo_graph_stats(self->graph, &st);
        return st.live < st.window;
    }
    return false;
}

/* ------------------------------------------------------------------ */
/* Shutdown.                                                            */

typedef struct {
    ordo_server_t *self;
    uint64_t now;
} s_abandon_ctx_t;

static void s_abandon_task(void *arg, uint64_t id, ordo_task_state_t state, void *user)
{
    s_abandon_ctx_t *ctx = arg;
    if (state == ORDO_TASK_CANCELLED)
        return;     /* already reported; stays only as a barrier */
    s_session_t *sess = ordo_map_get(ctx->self->sessions, ORDO_TASK_SESSION(id));
    if (sess)
        s_queue_simple(ctx->self, sess, id, ORDO_STATUS_FAILED, ORDO_ESHUTDOWN, ctx->now,
                       "task 0x%llx: daemon stopped (drain timeout) %s",
                       (unsigned long long)id,
                       state == ORDO_TASK_RUNNING ? "while the task ran"
                                                  : "before the task ran");
}

/* The drain timed out: every unfinished task gets a failed completion now,
 * and the workers are left to the process exit. */
static void s_abandon(ordo_server_t *self)
{
    s_abandon_ctx_t ctx = { self, ordo_now_ns() };
    ordo_graph_visitor_t v = { s_abandon_task, NULL };
    ordo_graph_walk(self->graph, &v, &ctx);
    ordo_log_warn("drain timeout: %llu tasks unfinished, %u running",
                  (unsigned long long)self->tasks_open, self->inflight);
    self->abandoned = true;
}

static void s_begin_drain(ordo_server_t *self)
{
    self->draining = true;
    if (self->notify) {
        char text[160];
        snprintf(text, sizeof text, "STOPPING=1\nSTATUS=draining %llu unfinished tasks",
                 (unsigned long long)self->tasks_open);
        ordo_sdnotify(text);
    }
    self->drain_deadline_ns = ordo_now_ns() + self->cfg->drain_timeout * UINT64_C(1000000000);
    ordo_log_info("stopping: draining %llu unfinished tasks (timeout %llus)",
                  (unsigned long long)self->tasks_open,
                  (unsigned long long)self->cfg->drain_timeout);
    /* Backlogged submits are refused now; none waits for the window. */
    s_pump_blocked(self);
}

/* ------------------------------------------------------------------ */
/* Vanished clients.                                                    */

typedef struct {
    ordo_server_t *self;
    uint64_t now;
    s_session_t *expired;       /* linked by blocked_next (unused here) */
} s_tick_ctx_t;

static void s_tick_session(uint64_t key, void *value, void *arg)
{
    s_tick_ctx_t *ctx = arg;
    ordo_server_t *self = ctx->self;
    s_session_t *sess = value;
    uint64_t grace = self->cfg->session_grace * UINT64_C(1000000000);
    if (sess->gone_ns) {
        if (ctx->now - sess->gone_ns >= grace && !sess->blocked) {
            sess->blocked_next = ctx->expired;
            ctx->expired = sess;
        }
        return;
    }
    if (ctx->now - sess->seen_ns >= S_PROBE_NS && ctx->now - sess->probe_ns >= S_PROBE_NS) {
        sess->probe_ns = ctx->now;
        /* An empty Completions: valid for every 1.x client, means nothing. */
        if (ordo_dwire_encode_completions(&self->obuf, NULL, 0) == 0)
            s_send_session(self, sess, &self->obuf);
    }
}

/* Once a second: probes silent sessions, and ends the sessions whose
 * connection has been gone for --session-grace seconds, as if they had
 * said Bye (their accepted tasks still run; their private buffers go when
 * those finish).  A session blocked on the window waits until its queue is
 * handled (which cannot take longer than the tasks ahead of it). */
static void s_tick(ordo_server_t *self)
{
    uint64_t now = ordo_now_ns();
    if (now - self->tick_ns < (uint64_t)S_TICK_MS * 1000000)
        return;
    self->tick_ns = now;
    s_tick_ctx_t ctx = { self, now, NULL };
    ordo_map_foreach(self->sessions, s_tick_session, &ctx);
    while (ctx.expired) {
        s_session_t *sess = ctx.expired;
        ctx.expired = sess->blocked_next;
        sess->blocked_next = NULL;
        ordo_log_info("session %u expired: its connection is gone", sess->id);
        s_session_end(self, sess);
    }
}

/* Tells systemd what the daemon is doing (STATUS=, shown by systemctl
 * status) when it changed, at most once a second: within the second the
 * loop only notes that it must look again (and wakes up for it), so a busy
 * daemon formats the line once a second and sends at most one datagram. */
static void s_notify_status(ordo_server_t *self)
{
    if (!self->notify || self->draining)
        return;
    uint64_t now = ordo_now_ns();
    if (self->notify_ns && now - self->notify_ns < (uint64_t)S_TICK_MS * 1000000) {
        self->notify_pending = true;
        return;
    }
    char text[sizeof self->notify_text];
    ordo_server_status_line(self, text, sizeof text);
    self->notify_pending = false;
    self->notify_ns = now;
    if (strcmp(text, self->notify_text) == 0)
        return;
    char msg[sizeof text + 16];
    snprintf(msg, sizeof msg, "STATUS=%s", text);
    if (ordo_sdnotify(msg) < 0)
        ordo_log_debug("sd_notify: %s", strerror(errno));
    memcpy(self->notify_text, text, sizeof text);
}

/* ------------------------------------------------------------------ */

/* True when a message waits on the ZeroMQ socket.  ZMQ_FD is only a hint
 * (edge-triggered, and it also signals ZeroMQ's internal commands): this
 * is what says a message can be read. */
static bool s_zmq_readable(void *sock)
{
    int ev = 0;
    size_t len = sizeof ev;
    return zmq_getsockopt(sock, ZMQ_EVENTS, &ev, &len) == 0 && (ev & ZMQ_POLLIN);
}

/* The loop polls the sockets' ZMQ_FD descriptors itself rather than through
 * zmq_poll, which polls twice (a first pass without waiting) and asks
 * ZMQ_EVENTS of every socket before and after each poll, each ask a system
 * call (getpid) inside libzmq.  Here the ROUTER's ZMQ_EVENTS is asked once
 * before waiting (a send or receive in the last turn may have consumed the
 * edge) and once when its descriptor fires; the status socket's only when
 * its descriptor fired or it served a request in the last turn. */
int ordo_server_run(ordo_server_t *self)
{
    int router_fd, status_fd;
    size_t fdlen = sizeof router_fd;
    if (zmq_getsockopt(self->router, ZMQ_FD, &router_fd, &fdlen) != 0 ||
        (fdlen = sizeof status_fd,
         zmq_getsockopt(self->status, ZMQ_FD, &status_fd, &fdlen) != 0)) {
        ordo_log_error("ZMQ_FD: %s", zmq_strerror(zmq_errno()));
        return ORDO_EIO;
    }
    bool status_check = true;
    for (;;) {
        bool rin = s_zmq_readable(self->router);
        bool sin = status_check && s_zmq_readable(self->status);
        status_check = false;
        struct pollfd items[4] = {
            { router_fd, POLLIN, 0 },
            { status_fd, POLLIN, 0 },
            { ordo_executor_fd(self->exec), POLLIN, 0 },
            { self->sigfd, POLLIN, 0 },
        };
        long timeout = ordo_map_size(self->sessions) || self->notify_pending ? S_TICK_MS : -1;
        if (rin || sin || s_work_waiting(self))
            timeout = 0;
        if (self->draining) {
            uint64_t now = ordo_now_ns();
            long left = now >= self->drain_deadline_ns
                            ? 0 : (long)((self->drain_deadline_ns - now) / 1000000) + 1;
            if (timeout < 0 || left < timeout)
                timeout = left;
        }
        if (timeout > INT_MAX)
            timeout = INT_MAX;
        int n = poll(items, 4, (int)timeout);
        if (n < 0 && errno != EINTR) {
            ordo_log_error("poll: %s", strerror(errno));
            return ORDO_EIO;
        }
        if (n > 0 && (items[0].revents & POLLIN) && !rin)
            rin = s_zmq_readable(self->router);
        if (n > 0 && (items[1].revents & POLLIN) && !sin)
            sin = s_zmq_readable(self->status);
        if (n > 0 && (items[3].revents & POLLIN)) {
            struct signalfd_siginfo si;
            if (read(self->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
                if (!self->draining) {
                    ordo_log_info("signal %u received", si.ssi_signo);
                    s_begin_drain(self);
                } else {
                    ordo_log_info("second signal: ending the drain now");
                    self->drain_deadline_ns = 0;
                }
            }
        }
        if (n > 0 && (items[2].revents & POLLIN))
            s_collect_done(self);
        if (rin) {
            /* Run what each message made ready, and send the
             * completions, before reading the next.  Accepting a whole
             * turn's messages first (up to a full credit of tasks) kept
             * them all in the index and the task table at once, out of
             * cache; holding their completions to the end of the turn
             * left the client out of credits, waiting, while the daemon
             * read on (bench README, "One message at a time").  The
             * turn ends after S_INLINE_BATCH inline tasks as well, so
             * that a backlog of ready tasks does not keep the status
             * socket, signals and ticks waiting. */
            uint32_t inlined = 0;
            for (int i = 0; i < S_READ_BATCH && inlined < S_INLINE_BATCH &&
                            s_read_client(self); i++) {
                inlined += s_dispatch(self);
                s_flush(self);
            }
        }
        if (sin) {
            s_read_status(self);
            status_check = true;
        }
        if (self->blocked) {
            ordo_graph_stats_t st;
            ordo_graph_stats(self->graph, &st);
            if (st.live < st.window || self->draining)
                s_pump_blocked(self);
        }
        s_dispatch(self);
        s_tick(self);
        s_notify_status(self);
        ordo_buffers_collect(self->buffers);
        if (self->draining && self->tasks_open == 0 && self->inflight == 0 && !self->blocked) {
            s_flush(self);
            ordo_log_info("drained; exiting");
            return 0;
        }
        if (self->draining && ordo_now_ns() >= self->drain_deadline_ns) {
            s_abandon(self);
            s_flush(self);
            return 0;
        }
        s_flush(self);
    }
}

/* ------------------------------------------------------------------ */

/* True when something accepts connections on the ipc path: ZeroMQ would
 * silently unlink a live daemon's socket and take over its endpoint. */
static bool s_ipc_in_use(const char *path)
{
    struct sockaddr_un sa;
    if (strlen(path) >= sizeof sa.sun_path)
        return false;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path));
    bool live = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(fd);
    return live;
}

/* Binds sock and records the endpoint actually bound (a tcp port given as
 * '*' is chosen by the system) in bound.  A live ipc endpoint is refused;
 * a stale socket file is replaced.  A tcp endpoint is a CURVE server when
 * auth is set (ordo_config_finish allows plain tcp only with
 * --insecure-tcp).  An ipc socket that ordod makes itself gets mode
 * (chmod after bind, whatever the umask) when mode is not 0; one passed by
 * systemd keeps the unit's SocketMode=. */
static int s_bind(void *sock, const char *endpoint, int listen_fds, const ordo_auth_t *auth,
                  unsigned mode, char *bound, size_t boundlen, char *err, size_t errlen)
{
    bool ipc = strncmp(endpoint, "ipc://", 6) == 0;
    /* Socket activation: systemd bound and listens on the path already;
     * ZeroMQ takes that descriptor over instead of making its own. */
    int fd = ipc && listen_fds > 0 ? ordo_sd_find_unix(listen_fds, endpoint + 6) : -1;
    if (fd >= 0) {
        if (zmq_setsockopt(sock, ZMQ_USE_FD, &fd, sizeof fd) != 0) {
            s_errf(err, errlen, "cannot adopt the activated socket of %s: %s", endpoint,
                   zmq_strerror(zmq_errno()));
            return ORDO_EIO;
        }
        ordo_log_info("%s: adopting the socket passed by systemd (fd %d)", endpoint, fd);
    } else if (ipc && s_ipc_in_use(endpoint + 6)) {
        s_errf(err, errlen, "cannot bind %s: another process (ordod?) is serving it",
               endpoint);
        return ORDO_EEXIST;
    }
    if (strncmp(endpoint, "tcp://", 6) == 0) {
        if (auth) {
            int rc = ordo_auth_curve_server(auth, sock, err, errlen);
            if (rc != 0)
                return rc;
        } else {
            ordo_log_warn("%s: INSECURE: tcp without CURVE (--insecure-tcp 1): anyone who "
                          "reaches this port can use the daemon and read the traffic",
                          endpoint);
        }
    }
    if (zmq_bind(sock, endpoint) != 0) {
        s_errf(err, errlen, "cannot bind %s: %s", endpoint, zmq_strerror(zmq_errno()));
        return ORDO_EIO;
    }
    size_t len = boundlen;
    if (zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, bound, &len) != 0 || len == 0)
        snprintf(bound, boundlen, "%s", endpoint);
    /* The socket is not announced (READY=1, log) before this, so a client
     * never finds it with the umask's mode. */
    if (ipc && fd < 0 && mode != 0 && strncmp(bound, "ipc://", 6) == 0 &&
        chmod(bound + 6, (mode_t)mode) != 0) {
        s_errf(err, errlen, "cannot chmod %04o %s: %s", mode, bound + 6, strerror(errno));
        return ORDO_EIO;
    }
    return 0;
}

ordo_server_t *ordo_server_new(const ordo_config_t *cfg, ordo_kernels_t *kernels,
                               char *err, size_t errlen)
{
    ordo_server_t *self = calloc(1, sizeof *self);
    if (!self) {
        s_errf(err, errlen, "out of memory");
        return NULL;
    }
    self->cfg = cfg;
    self->kernels = kernels;
    self->sigfd = -1;
    self->next_session = 1;
    self->start_ns = ordo_now_ns();
    self->rng = cfg->chaos ? cfg->chaos : self->start_ns;
    self->notify = ordo_sdnotify_enabled();
    /* Chaos picks among ready tasks, so keep them in the graph; otherwise a
     * small queue per worker saves wake-ups. */
    self->inflight_max = (uint32_t)(cfg->chaos ? cfg->workers : 8 * cfg->workers + 16);

    ordo_graph_config_t gc = { .window = (uint32_t)cfg->window,
                               .max_tombs = cfg->max_tombstones };
#ifdef ORDO_UNSAFE_DROP_WAR
    gc.unsafe_drop_war = cfg->unsafe_drop_war != 0;
    if (gc.unsafe_drop_war)
        ordo_log_warn("UNSAFE: --unsafe-drop-war: write-after-read edges are dropped");
#endif
    self->graph = ordo_graph_new(&gc);
    self->buffers = ordo_buffers_new();
    self->sessions = ordo_map_new();
    self->routes = ordo_smap_new();
    self->watches = ordo_map_new();
    self->trace = calloc(S_TRACE_CAP, sizeof *self->trace);
    if (!self->graph || !self->buffers || !self->sessions || !self->routes || !self->watches ||
        !self->trace) {
        s_errf(err, errlen, "out of memory (window %llu)", (unsigned long long)cfg->window);
        goto fail;
    }

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    self->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (self->sigfd < 0) {
        s_errf(err, errlen, "signalfd: %s", strerror(errno));
        goto fail;
    }

    self->zctx = zmq_ctx_new();
    if (!self->zctx) {
        s_errf(err, errlen, "zmq_ctx_new: %s", zmq_strerror(zmq_errno()));
        goto fail;
    }
    self->router = zmq_socket(self->zctx, ZMQ_ROUTER);
    self->status = zmq_socket(self->zctx, ZMQ_REP);
    if (!self->router || !self->status) {
        s_errf(err, errlen, "zmq_socket: %s", zmq_strerror(zmq_errno()));
        goto fail;
    }
    int one = 1, zero = 0, linger = 2000, status_linger = 0;
    int64_t maxmsg = (int64_t)cfg->max_message, status_max = 65536;
    zmq_setsockopt(self->router, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    zmq_setsockopt(self->router, ZMQ_SNDHWM, &zero, sizeof zero);
    zmq_setsockopt(self->router, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    zmq_setsockopt(self->router, ZMQ_LINGER, &linger, sizeof linger);
    /* ZMTP heartbeats: a tcp peer that vanished (host down, cable out) is
     * disconnected within 15 s, so sends to it fail and its session is
     * found gone like any other. */
    int hb_ivl = 5000, hb_timeout = 15000;
    zmq_setsockopt(self->router, ZMQ_HEARTBEAT_IVL, &hb_ivl, sizeof hb_ivl);
    zmq_setsockopt(self->router, ZMQ_HEARTBEAT_TIMEOUT, &hb_timeout, sizeof hb_timeout);
    zmq_setsockopt(self->status, ZMQ_MAXMSGSIZE, &status_max, sizeof status_max);
    zmq_setsockopt(self->status, ZMQ_LINGER, &status_linger, sizeof status_linger);
    /* The ZAP handler must listen before a CURVE socket binds. */
    if (*cfg->curve_secret_key) {
        self->auth = ordo_auth_new(cfg->curve_secret_key, cfg->curve_allow, err, errlen);
        if (!self->auth || ordo_auth_start(self->auth, self->zctx, err, errlen) != 0)
            goto fail;
        ordo_log_info("tcp endpoints use CURVE: %zu client keys allowed (%s)",
                      ordo_auth_allowed(self->auth), cfg->curve_allow);
    }
    self->listen_fds = ordo_sd_listen_fds();
    unsigned mode = (unsigned)cfg->socket_mode;
    if (s_bind(self->router, cfg->endpoint, self->listen_fds, self->auth, mode,
               self->endpoint, sizeof self->endpoint, err, errlen) != 0 ||
        s_bind(self->status, cfg->status_endpoint, self->listen_fds, self->auth, mode,
               self->status_endpoint, sizeof self->status_endpoint, err, errlen) != 0)
        goto fail;

    self->exec = ordo_executor_new((uint32_t)cfg->workers, (uint32_t)cfg->max_task_args,
                                   cfg->chaos);
    if (!self->exec) {
        s_errf(err, errlen, "cannot start %llu workers: %s",
               (unsigned long long)cfg->workers, strerror(errno));
        goto fail;
    }
    return self;
fail:
    ordo_server_destroy(&self);
    return NULL;
}

static void s_end_session_cb(uint64_t key, void *value, void *arg)
{
    s_session_t **list = arg;
    s_session_t *sess = value;
    sess->blocked_next = *list;     /* reuse the link: the loop is over */
    *list = sess;
}

static void s_free_watch(uint64_t key, void *value, void *arg)
{
    free(value);
}

void ordo_server_destroy(ordo_server_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ordo_server_t *self = *self_p;
    if (self->abandoned) {
        /* Workers may still run kernels on our buffers: flush the sockets
         * (linger) and leave the rest, still referenced by the caller, to
         * the process exit. */
        if (self->router) {
            zmq_close(self->router);
            zmq_close(self->status);
            zmq_ctx_term(self->zctx);
            self->router = self->status = self->zctx = NULL;
        }
        ordo_auth_destroy(&self->auth);     /* its thread ended with the context */
        return;
    }
    *self_p = NULL;
    ordo_executor_destroy(&self->exec);
    if (self->sessions) {
        s_session_t *list = NULL;
        ordo_map_foreach(self->sessions, s_end_session_cb, &list);
        self->blocked = self->blocked_tail = NULL;
        while (list) {
            s_session_t *sess = list;
            list = sess->blocked_next;
            sess->blocked = false;
            s_session_end(self, sess);
        }
    }
    if (self->watches)
        ordo_map_foreach(self->watches, s_free_watch, NULL);
    ordo_map_destroy(&self->watches);
    ordo_map_destroy(&self->sessions);
    ordo_smap_destroy(&self->routes);
    ordo_graph_destroy(&self->graph);
    ordo_buffers_destroy(&self->buffers);
    for (uint32_t c = 0; c < S_CLASSES; c++)
        while (self->free_tasks[c]) {
            ordo_task_t *t = self->free_tasks[c];
            self->free_tasks[c] = t->next;
            free(t);
        }
    ordo_dwire_buf_free(&self->obuf);
    free(self->trace);
    if (self->router)
        zmq_close(self->router);
    if (self->status)
        zmq_close(self->status);
    if (self->zctx)
        zmq_ctx_term(self->zctx);
    ordo_auth_destroy(&self->auth);         /* its thread ended with the context */
    if (self->sigfd >= 0)
        close(self->sigfd);
    free(self);
}

const char *ordo_server_endpoint(const ordo_server_t *self)
{
    return self->endpoint;
}

const char *ordo_server_status_endpoint(const ordo_server_t *self)
{
    return self->status_endpoint;
}

bool ordo_server_abandoned(const ordo_server_t *self)
{
    return self->abandoned;
}

void ordo_server_info(const ordo_server_t *self, ordo_server_info_t *out)
{
    memset(out, 0, sizeof *out);
    out->version = PACKAGE_VERSION;
    out->pid = (uint64_t)getpid();
    out->uptime_s = (ordo_now_ns() - self->start_ns) / UINT64_C(1000000000);
    out->workers = self->cfg->workers;
    out->window = self->cfg->window;
    out->credits = self->cfg->credits;
    out->chaos_seed = self->cfg->chaos;
    out->sessions_active = ordo_map_size(self->sessions);
    out->sessions_total = self->sessions_total;
    out->buffers = ordo_buffers_count(self->buffers);
    out->buffer_bytes = ordo_buffers_bytes(self->buffers);
    ordo_graph_stats(self->graph, &out->graph);
    out->task_record_bytes = self->task_bytes;
    out->cfg = self->cfg;
}

void ordo_server_status_line(const ordo_server_t *self, char *out, size_t outlen)
{
    ordo_graph_stats_t st;
    ordo_graph_stats(self->graph, &st);
    size_t ns = ordo_map_size(self->sessions);
    snprintf(out, outlen, "%zu session%s, %llu tasks in flight (%llu running), %llu done, "
             "%llu failed", ns, ns == 1 ? "" : "s", (unsigned long long)self->tasks_open,
             (unsigned long long)self->inflight, (unsigned long long)st.done,
             (unsigned long long)st.failed);
}

typedef struct {
    void (*fn)(void *arg, const ordo_session_info_t *s);
    void *arg;
    uint64_t now;
} s_sessions_ctx_t;

static void s_session_visit(uint64_t key, void *value, void *arg)
{
    s_sessions_ctx_t *ctx = arg;
    const s_session_t *sess = value;
    ordo_session_info_t in = {
        .id = sess->id, .client = sess->client, .next_seq = sess->next_seq,
        .unfinished = sess->unfinished, .handles = ordo_map_size(sess->handles),
        .queued = sess->q_tasks, .blocked = sess->blocked, .attached = sess->gone_ns == 0,
        .idle_ms = ctx->now > sess->seen_ns ? (ctx->now - sess->seen_ns) / 1000000 : 0,
    };
    ctx->fn(ctx->arg, &in);
}

void ordo_server_sessions(const ordo_server_t *self,
                          void (*fn)(void *arg, const ordo_session_info_t *s), void *arg)
{
    s_sessions_ctx_t ctx = { fn, arg, ordo_now_ns() };
    ordo_map_foreach(self->sessions, s_session_visit, &ctx);
}

void ordo_server_buffers(const ordo_server_t *self,
                         void (*fn)(void *arg, const ordo_buffer_t *b), void *arg)
{
    ordo_buffers_foreach(self->buffers, fn, arg);
}

typedef struct {
    const ordo_server_visitor_t *v;
    void *arg;
    uint64_t now;
} s_walk_ctx_t;

static void s_walk_task(void *arg, uint64_t id, ordo_task_state_t state, void *user)
{
    s_walk_ctx_t *ctx = arg;
    /* A running task's record belongs to a worker, which writes only its
     * result fields: id, session, kernel and accepted_ns are read-only. */
    const ordo_task_t *t = user;
    ordo_task_info_t in = {
        .id = id, .state = state, .session = ORDO_TASK_SESSION(id),
        .kernel = t ? t->kernel->name : NULL,
        .age_us = t && ctx->now > t->accepted_ns ? (ctx->now - t->accepted_ns) / 1000 : 0,
    };
    ctx->v->task(ctx->arg, &in);
}

static void s_walk_edge(void *arg, uint64_t from, uint64_t to, unsigned kinds)
{
    s_walk_ctx_t *ctx = arg;
    ctx->v->edge(ctx->arg, from, to, kinds);
}

void ordo_server_walk(const ordo_server_t *self, const ordo_server_visitor_t *v, void *arg)
{
    s_walk_ctx_t ctx = { v, arg, ordo_now_ns() };
    ordo_graph_visitor_t gv = { v->task ? s_walk_task : NULL, v->edge ? s_walk_edge : NULL };
    ordo_graph_walk(self->graph, &gv, &ctx);
}

uint64_t ordo_server_trace(const ordo_server_t *self,
                           void (*fn)(void *arg, const ordo_trace_rec_t *r), void *arg)
{
    uint32_t first = (self->trace_next + S_TRACE_CAP - self->trace_n) % S_TRACE_CAP;
    for (uint32_t i = 0; i < self->trace_n; i++)
        fn(arg, &self->trace[(first + i) % S_TRACE_CAP]);
    return self->trace_total;
}

uint64_t ordo_server_start_ns(const ordo_server_t *self)
{
    return self->start_ns;
}
