/*
 * client.c - the libordo client: session, batching, credits, events.
 *
 * One ordo_client_t is one session with ordod over a ZeroMQ DEALER socket.
 *
 * Threads.  The state is guarded by the client mutex (mu); the socket by
 * the socket mutex (smu), taken before mu and held only for zmq_send and
 * zmq_msg_recv with what they imply (ZeroMQ sockets may move between
 * threads when each move is a full memory barrier, which a mutex gives).
 * The round trip of a task needs no thread of libordo but the caller's
 * (ZeroMQ's own I/O thread aside):
 *  - a caller that flushes (a full batch, ORDO_SUBMIT_FLUSH, ordo_flush,
 *    a wait, a request) queues the message under mu, then sends the
 *    queue itself under smu (s_unlock, s_send_out);
 *  - a caller that waits for the daemon (ordo_wait, ordo_poll, a
 *    request, credits, ordo_wait_idle) "leads" when no other caller does:
 *    it polls the socket's ZMQ_FD itself and receives (s_wait_locked).
 *    Other callers sleep on the condition variable, which every applied
 *    message and the end of a lead signal.
 * A background I/O thread does what no caller is there to do: flushes a
 * batch that has waited batch_delay_us (so a task is sent promptly even
 * when the application goes idle), receives while no caller leads (for
 * ordo_poll and the notification pipe; s_io_main tells how it leaves the
 * socket to a leader), retries sends that would block and watches the
 * connection.
 *
 * ZMQ_FD is edge-triggered and shared: any zmq_send or zmq_msg_recv
 * may take the edge of a message that another thread sleeps on.  Two
 * rules keep every message received: whoever touched the socket
 * receives until EAGAIN before it stops (s_drain; after a send too), and
 * whoever applies a message while another thread leads wakes the leader
 * through its pipe (s_poke_locked).  Each message is received and
 * applied under smu, so messages apply in arrival order whoever takes
 * them; two threads woken by one edge is harmless (one finds EAGAIN).
 *
 * Ordering.  Every message reaches the out queue under mu, and a
 * non-Submit message first flushes the batch; the queue is taken and
 * sent under smu, one lot after the other.  So the daemon sees the
 * application's calls in program order: a buffer released right after a
 * submit is released after the task was accepted.
 *
 * Ids and events.  Task ids are ORDO_TASK_ID(session, seq) with seq
 * counted here from Welcome.next_seq, so ordo_submit returns at once.
 * Each own id, and each foreign id the application waits on or watches,
 * has a record until its one event is delivered, by ordo_wait (that id)
 * or by ordo_poll (in arrival order); the records of terminal ids form a
 * FIFO, and the notification pipe is readable exactly while it is
 * non-empty (but for the microseconds in which a leader that received
 * events holds it, s_release_note_locked; and what arrives just after a
 * short lead is received up to S_PARK_MS late, see s_io_main).  Records
 * come from a pool; own ids' records sit in a ring indexed by sequence,
 * the others in an open-addressing map (s_ring_t), so the steady state
 * allocates nothing per task.
 *
 * Credits.  Own tasks submitted and not yet completed are "unfinished";
 * Welcome.credits bounds them.  Past it ordo_submit flushes and sleeps
 * until completions arrive (or returns ORDO_EAGAIN when asked).
 *
 * Resume.  ordo_client_resume opens a client on a live session (Hello with
 * its id and token).  Own ids below the Welcome's next_seq are "earlier":
 * their completions, kept by the daemon while the session had no
 * connection, make records as they arrive; ordo_wait on one without a
 * record asks the daemon (Watch, then a Heartbeat as a barrier).
 *
 * Failure.  A session error from the daemon (ServerMsg.error) or the loss
 * of the connection (a ZeroMQ monitor event) makes the client "broken":
 * events already received are still delivered, every other call returns
 * the error (ORDO_ESESSION when the daemon went away), never a silent
 * hang or a wrong result.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "client.h"
#include "ordo.h"
#include "wire.h"

#define S_CONNECT_TIMEOUT_MS 5000
#define S_REQUEST_TIMEOUT_MS 10000
#define S_BATCH_TASKS 256
#define S_BATCH_DELAY_US 500
#define S_BATCH_BYTES (1u << 20)        /* flush a batch at about 1 MiB */
#define S_DEFAULT_MAX_MESSAGE (16u << 20)
#define S_CLOSE_LINGER_MS 2000          /* to deliver the last tasks and Bye */
#define S_READ_HEADROOM 4096            /* envelope of a host_read Completion */
#define S_PARK_MS 1                     /* the I/O thread's look at a lead */
#define S_HEARTBEAT_IVL_MS 5000         /* ZMTP PING on an idle connection */
#define S_HEARTBEAT_TIMEOUT_MS 30000    /* no traffic this long: disconnected */
#define S_ENDPOINT_MAX 1024

/* ---------------------------------------------------------------------- */
/* Last error of the calling thread (the errno idiom: per thread, so that
 * threads sharing a client never read each other's reasons). */

static _Thread_local char s_last_error[512];

int ordo_cl_fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s_last_error, sizeof s_last_error, fmt, ap);
    va_end(ap);
    return code;
}

const char *ordo_last_error(void)
{
    return s_last_error[0] ? s_last_error : "success";
}

void ordo_free(void *p)
{
    free(p);
}

/* ---------------------------------------------------------------------- */
/* Records and the id map. */

enum {
    S_OWN = 1,          /* submitted by this session */
    S_WATCH = 2,        /* another session's id that we watch */
    S_TERMINAL = 4,     /* its completion arrived */
    S_QUEUED = 8,       /* in the event FIFO */
    S_KEPT = 16,        /* quiet_success: a failure kept after its delivery */
    S_RING = 32         /* in the ring of own ids, not in the map */
};

typedef struct s_rec {
    uint64_t id;
    struct s_rec *prev, *next;      /* event FIFO, or the free list */
    unsigned flags;
    int32_t state, code;
    uint64_t cause, accepted_ns, started_ns, finished_ns, data_len;
    char *error;                    /* malloc'd daemon text, or NULL */
    void *read_dst;                 /* host_read destination */
    size_t read_len;
} s_rec_t;

/* A chunk of the record pool (never freed before the client). */
typedef struct s_chunk {
    struct s_chunk *next;
    s_rec_t recs[256];
} s_chunk_t;

/* id -> record, linear probing with backward-shift deletion; key 0 is
 * empty (no task id is 0: sequences start at 1). */
typedef struct {
    uint64_t *keys;
    s_rec_t **vals;
    size_t cap, n;                  /* cap: power of two */
} s_map_t;

/* The records of own tasks, which come and go about in submission order,
 * by sequence: slot seq % cap, so that the steady state costs a store
 * and a load per task instead of a hash map's probes.  A new id whose slot
 * is taken, by a record cap sequences older, grows the ring while that one
 * is still running (more tasks in flight than slots) and the ring is
 * under S_RING_MAX; else the older record moves to the map (an event not
 * taken yet, a kept failure).  Every record is in exactly one of the two
 * (S_RING says which); lookups try the ring, then the map. */
#define S_RING_MIN 1024
#define S_RING_MAX ((size_t)1 << 17)

typedef struct {
    s_rec_t **slots;
    size_t cap;                     /* power of two, or 0 */
} s_ring_t;

static size_t s_hash(uint64_t id, size_t cap)
{
    return (size_t)((id * UINT64_C(0x9E3779B97F4A7C15)) >> 17) & (cap - 1);
}

static s_rec_t *s_map_get(const s_map_t *m, uint64_t id)
{
    if (m->cap == 0)
        return NULL;
    for (size_t i = s_hash(id, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == id)
            return m->vals[i];
        if (m->keys[i] == 0)
            return NULL;
    }
}

static int s_map_put(s_map_t *m, uint64_t id, s_rec_t *rec);

static int s_map_grow(s_map_t *m)
{
    s_map_t g = {0};
    g.cap = m->cap ? m->cap * 2 : 1024;
    g.keys = calloc(g.cap, sizeof *g.keys);
    g.vals = calloc(g.cap, sizeof *g.vals);
    if (!g.keys || !g.vals) {
        free(g.keys);
        free(g.vals);
        return ORDO_ENOMEM;
    }
    for (size_t i = 0; i < m->cap; i++)
        if (m->keys[i])
            s_map_put(&g, m->keys[i], m->vals[i]);
    free(m->keys);
    free(m->vals);
    *m = g;
    return 0;
}

static int s_map_put(s_map_t *m, uint64_t id, s_rec_t *rec)
{
    if ((m->n + 1) * 2 > m->cap) {
        int rc = s_map_grow(m);
        if (rc < 0)
            return rc;
    }
    size_t i = s_hash(id, m->cap);
    while (m->keys[i] != 0 && m->keys[i] != id)
        i = (i + 1) & (m->cap - 1);
    if (m->keys[i] == 0)
        m->n++;
    m->keys[i] = id;
    m->vals[i] = rec;
    return 0;
}

static void s_map_del(s_map_t *m, uint64_t id)
{
    if (m->cap == 0)
        return;
    size_t mask = m->cap - 1, i = s_hash(id, m->cap);
    while (m->keys[i] != id) {
        if (m->keys[i] == 0)
            return;
        i = (i + 1) & mask;
    }
    /* Backward shift: move later entries of the cluster into the hole when
     * their home slot does not lie cyclically in (hole, j]. */
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (m->keys[j] == 0)
            break;
        size_t home = s_hash(m->keys[j], m->cap);
        bool stays = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
        if (stays)
            continue;
        m->keys[i] = m->keys[j];
        m->vals[i] = m->vals[j];
        i = j;
    }
    m->keys[i] = 0;
    m->vals[i] = NULL;
    m->n--;
}

/* ---------------------------------------------------------------------- */
/* The batch: tasks submitted and not yet sent, encoded into an open
 * Submit as they come (wire.h). */

typedef struct {
    ordo_wsubmit_t sub;
    size_t n;                       /* tasks in sub */
    uint64_t since_ns;              /* when the first task came in */
} s_batch_t;

static int s_reserve(void **arr, size_t *cap, size_t want, size_t esize)
{
    if (want <= *cap)
        return 0;
    size_t n = *cap ? *cap : 64;
    while (n < want)
        n *= 2;
    void *p = realloc(*arr, n * esize);
    if (!p)
        return ORDO_ENOMEM;
    *arr = p;
    *cap = n;
    return 0;
}

static void s_batch_free(s_batch_t *b)
{
    ordo_wire_submit_free(&b->sub);
    memset(b, 0, sizeof *b);
}

/* ---------------------------------------------------------------------- */
/* The client. */

/* A synchronous request waiting for its Reply (lives on the caller's stack). */
typedef struct s_req {
    uint64_t req;
    bool done;
    int32_t code;
    uint64_t buffer, size;
    char error[ORDO_ERROR_MAX];
    struct s_req *next;
} s_req_t;

/* Encoded messages waiting to be sent, in order. */
typedef struct {
    ordo_wbuf_t *items;
    size_t n, cap;
} s_outq_t;

struct ordo_client {
    pthread_mutex_t smu;            /* the socket; taken before mu */
    pthread_mutex_t mu;
    pthread_cond_t cv;              /* completions, replies, credits, broken */
    pthread_t io;
    bool io_started;

    /* ZeroMQ: sock under smu once the I/O thread runs; mon is the I/O
     * thread's alone. */
    void *ctx, *sock, *mon;
    int sock_fd;                    /* its ZMQ_FD */
    char endpoint[S_ENDPOINT_MAX];
    bool curve;                 /* tcp with CURVE keys (s_curve_client) */

    /* Options. */
    int request_timeout_ms, batch_max_tasks;
    bool quiet;                     /* quiet_success */
    uint64_t batch_delay_ns;

    /* Session (fixed after the Welcome). */
    uint32_t session, credits;
    uint64_t first_seq, max_message;
    uint8_t token[ORDO_TOKEN_BYTES];
    bool resumed;                   /* own ids below first_seq are "earlier" */

    /* Messages being sent: what is left of the last lot taken from outq
     * (sendq[sent..n] would have blocked).  Guarded by smu. */
    s_outq_t sendq;
    size_t sent;

    /* Everything below is guarded by mu. */
    uint64_t next_seq, unfinished, next_req;
    s_batch_t batch;
    s_outq_t outq;
    bool send_blocked;              /* sendq holds messages: the I/O thread retries */
    bool lingered;                  /* destroy waited long enough: drop the rest */
    bool leading;                   /* a caller polls and receives (s_wait_locked) */
    uint64_t lead_seq;              /* leads begun */
    bool io_wake_at_end;            /* the I/O thread waits for this lead's end */
    s_map_t map;
    s_ring_t ring;
    s_chunk_t *chunks;
    s_rec_t *free_recs;
    s_rec_t *ev_head, *ev_tail;
    s_req_t *reqs;
    int broken;                     /* 0, or the session's error */
    char broken_text[ORDO_ERROR_MAX];
    bool stop;

    /* Pipes: wake the I/O thread; wake the leader; tell the application
     * about events. */
    int wake_rd, wake_wr;
    bool wake_pending;
    int lead_rd, lead_wr;
    bool lead_poked;
    int note_rd, note_wr;
    bool note_set;
    bool note_held;                 /* see s_release_note_locked */
};

static uint64_t s_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* An own id from before a resume (submitted by an earlier client of the
 * session): its record is made when its completion arrives or when it is
 * waited for. */
static bool s_earlier(const ordo_client_t *self, uint64_t id)
{
    uint64_t seq = ORDO_TASK_SEQ(id);
    return self->resumed && ORDO_TASK_SESSION(id) == self->session && seq >= 1 &&
           seq < self->first_seq;
}

/* Absolute CLOCK_MONOTONIC deadline timeout_ms from now (for the cv). */
static struct timespec s_deadline(int timeout_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* Sleeps on the cv until signalled or the deadline (NULL: forever).
 * Returns false when the deadline has passed. */
static bool s_sleep(ordo_client_t *self, const struct timespec *deadline)
{
    if (!deadline) {
        pthread_cond_wait(&self->cv, &self->mu);
        return true;
    }
    return pthread_cond_timedwait(&self->cv, &self->mu, deadline) != ETIMEDOUT;
}

static int s_pipe(int fds[2])
{
    if (pipe(fds) < 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
        fcntl(fds[i], F_SETFD, FD_CLOEXEC);
    }
    return 0;
}

static void s_drain_fd(int fd)
{
    char buf[64];
    while (read(fd, buf, sizeof buf) > 0)
        ;
}

/* Wakes the I/O thread (one byte, only when none is pending). */
static void s_wake_locked(ordo_client_t *self)
{
    if (self->wake_pending)
        return;
    ssize_t w = write(self->wake_wr, "w", 1);
    (void)w;                        /* full pipe: a wakeup is pending anyway */
    self->wake_pending = true;
}

/* Wakes the leader (see s_wait_locked): another thread applied a message
 * or broke the session, and may have taken the edge of the ZMQ_FD that
 * the leader sleeps on. */
static void s_poke_locked(ordo_client_t *self)
{
    if (!self->leading || self->lead_poked)
        return;
    ssize_t w = write(self->lead_wr, "p", 1);
    (void)w;                        /* full pipe: a poke is pending anyway */
    self->lead_poked = true;
}

/* Makes the notification pipe readable (want) or not. */
static void s_note_set_locked(ordo_client_t *self, bool want)
{
    if (want) {
        ssize_t w = write(self->note_wr, "n", 1);
        (void)w;
    } else {
        s_drain_fd(self->note_rd);
    }
    self->note_set = want;
}

/* Makes the notification pipe readable exactly while events are queued
 * or the session has failed (so that an event loop calls ordo_poll and
 * learns the error instead of sleeping forever).  Inline: it runs twice
 * per event and seldom changes the pipe. */
static inline void s_note_update_locked(ordo_client_t *self)
{
    bool want = self->ev_head != NULL || self->broken != 0;
    if (want != self->note_set && !self->note_held)
        s_note_set_locked(self, want);
}

/* The leader holds the notification pipe from the messages it applies
 * until it sleeps again or ends its lead (s_wait_locked), a few
 * microseconds later: so the event it receives for itself and takes at
 * once never costs the three system calls of setting and clearing the
 * pipe. */
static void s_release_note_locked(ordo_client_t *self)
{
    if (!self->note_held)
        return;
    self->note_held = false;
    s_note_update_locked(self);
}

/* Returns the session error (with its text as last error), or 0. */
static int s_broken_locked(ordo_client_t *self)
{
    if (!self->broken)
        return 0;
    return ordo_cl_fail(self->broken, "%s", self->broken_text);
}

static void s_break_locked(ordo_client_t *self, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Marks the session unusable and wakes every waiter.  The first reason wins. */
static void s_break_locked(ordo_client_t *self, int code, const char *fmt, ...)
{
    if (self->broken)
        return;
    self->broken = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(self->broken_text, sizeof self->broken_text, fmt, ap);
    va_end(ap);
    s_note_update_locked(self);
    s_poke_locked(self);
    pthread_cond_broadcast(&self->cv);
}

/* ---- records ---------------------------------------------------------- */

/* Doubles the ring (or makes it); 0 or ORDO_ENOMEM. */
static int s_ring_grow(s_ring_t *g)
{
    size_t cap = g->cap ? g->cap * 2 : S_RING_MIN;
    s_rec_t **slots = calloc(cap, sizeof *slots);
    if (!slots)
        return ORDO_ENOMEM;
    /* Sequences apart in slot seq % cap are apart in seq % 2cap too. */
    for (size_t i = 0; i < g->cap; i++)
        if (g->slots[i])
            slots[ORDO_TASK_SEQ(g->slots[i]->id) & (cap - 1)] = g->slots[i];
    free(g->slots);
    g->slots = slots;
    g->cap = cap;
    return 0;
}

/* Files own record r in the ring (see s_ring_t); 0 or ORDO_ENOMEM. */
static int s_ring_put_locked(ordo_client_t *self, s_rec_t *r)
{
    s_ring_t *g = &self->ring;
    for (;;) {
        if (g->cap) {
            s_rec_t **slot = &g->slots[ORDO_TASK_SEQ(r->id) & (g->cap - 1)];
            s_rec_t *old = *slot;
            if (old && ((old->flags & S_TERMINAL) || g->cap >= S_RING_MAX)) {
                if (s_map_put(&self->map, old->id, old) < 0)
                    return ORDO_ENOMEM;
                old->flags &= ~(unsigned)S_RING;
                old = NULL;
            }
            if (!old) {
                *slot = r;
                r->flags |= S_RING;
                return 0;
            }
        }
        if (s_ring_grow(g) < 0)
            return ORDO_ENOMEM;
    }
}

/* The record of id, or NULL. */
static s_rec_t *s_rec_get_locked(const ordo_client_t *self, uint64_t id)
{
    if (ORDO_TASK_SESSION(id) == self->session && self->ring.cap) {
        s_rec_t *r = self->ring.slots[ORDO_TASK_SEQ(id) & (self->ring.cap - 1)];
        if (r && r->id == id)
            return r;
    }
    return self->map.n ? s_map_get(&self->map, id) : NULL;
}

/* A new record for id (flags S_OWN: an own task's, in the ring; else in
 * the map), or NULL when out of memory. */
static s_rec_t *s_rec_new_locked(ordo_client_t *self, uint64_t id, unsigned flags)
{
    if (!self->free_recs) {
        s_chunk_t *c = calloc(1, sizeof *c);
        if (!c)
            return NULL;
        c->next = self->chunks;
        self->chunks = c;
        for (size_t i = 0; i < sizeof c->recs / sizeof c->recs[0]; i++) {
            c->recs[i].next = self->free_recs;
            self->free_recs = &c->recs[i];
        }
    }
    s_rec_t *r = self->free_recs, *next = r->next;
    memset(r, 0, sizeof *r);
    r->id = id;
    r->flags = flags;
    int rc = (flags & S_OWN) ? s_ring_put_locked(self, r) : s_map_put(&self->map, id, r);
    if (rc < 0) {
        r->next = next;             /* back on the free list */
        return NULL;
    }
    self->free_recs = next;
    return r;
}

static void s_rec_free_locked(ordo_client_t *self, s_rec_t *r)
{
    if (r->flags & S_RING)
        self->ring.slots[ORDO_TASK_SEQ(r->id) & (self->ring.cap - 1)] = NULL;
    else
        s_map_del(&self->map, r->id);
    free(r->error);
    r->error = NULL;
    r->next = self->free_recs;
    self->free_recs = r;
}

static void s_queue_push_locked(ordo_client_t *self, s_rec_t *r)
{
    r->next = NULL;
    r->prev = self->ev_tail;
    if (self->ev_tail)
        self->ev_tail->next = r;
    else
        self->ev_head = r;
    self->ev_tail = r;
    r->flags |= S_QUEUED;
    s_note_update_locked(self);
}

static void s_queue_remove_locked(ordo_client_t *self, s_rec_t *r)
{
    if (!(r->flags & S_QUEUED))
        return;
    if (r->prev)
        r->prev->next = r->next;
    else
        self->ev_head = r->next;
    if (r->next)
        r->next->prev = r->prev;
    else
        self->ev_tail = r->prev;
    r->prev = r->next = NULL;
    r->flags &= ~(unsigned)S_QUEUED;
    s_note_update_locked(self);
}

/* Delivers a terminal record: fills ev, sets the last error, frees the
 * record.  Returns what ordo_wait returns for it. */
static int s_consume_locked(ordo_client_t *self, s_rec_t *r, ordo_event_t *ev)
{
    int rc;
    const char *text = r->error ? r->error : "";
    switch (r->state) {
    case ORDO_TASK_DONE:
        rc = r->code < 0 ? r->code : 0;
        break;
    case ORDO_TASK_FAILED:
        rc = ORDO_EFAILED;
        break;
    case ORDO_TASK_CANCELLED:
        rc = ORDO_ECANCELED;
        break;
    default:
        rc = r->code < 0 ? r->code : ORDO_ENOENT;
        break;
    }
    if (rc < 0)
        ordo_cl_fail(rc, "task %#llx: %s", (unsigned long long)r->id,
                     text[0] ? text : ordo_strerror(r->code ? r->code : rc));
    if (ev) {
        memset(ev, 0, sizeof *ev);
        ev->id = r->id;
        ev->state = r->state;
        ev->code = r->code;
        ev->cause = r->cause;
        ev->accepted_ns = r->accepted_ns;
        ev->started_ns = r->started_ns;
        ev->finished_ns = r->finished_ns;
        ev->data_len = r->data_len;
        /* A copy, not snprintf: this runs once per task (500 instructions
         * of stdio for an empty string). */
        if (text[0])
            memcpy(ev->error, text, strnlen(text, sizeof ev->error - 1));
    }
    s_queue_remove_locked(self, r);
    /* quiet_success: a missing own record means "done", so a failure must
     * stay to keep saying otherwise (failures are few). */
    if (self->quiet && (r->flags & S_OWN) && rc < 0)
        r->flags |= S_KEPT;
    else
        s_rec_free_locked(self, r);
    return rc;
}

/* ---- sending ---------------------------------------------------------- */

/* A new place at the end of the out queue, or NULL (ordo_last_error set). */
static ordo_wbuf_t *s_outq_slot_locked(ordo_client_t *self)
{
    s_outq_t *q = &self->outq;
    if (s_reserve((void **)&q->items, &q->cap, q->n + 1, sizeof *q->items) < 0) {
        ordo_cl_fail(ORDO_ENOMEM, "out of memory queueing a message");
        return NULL;
    }
    return &q->items[q->n++];
}

static int s_outq_push_locked(ordo_client_t *self, ordo_wbuf_t *msg)
{
    ordo_wbuf_t *slot = s_outq_slot_locked(self);
    if (!slot) {
        free(msg->data);
        return ORDO_ENOMEM;
    }
    *slot = *msg;
    msg->data = NULL;
    return 0;
}

/* Completes the batch's Submit onto the out queue (sent by the caller
 * once it has let go of mu: see s_unlock).  On failure the batch stays. */
static int s_flush_locked(ordo_client_t *self)
{
    s_batch_t *b = &self->batch;
    if (b->n == 0)
        return 0;
    ordo_wbuf_t *slot = s_outq_slot_locked(self);
    if (!slot)
        return ORDO_ENOMEM;
    ordo_wire_submit_end(&b->sub, slot);
    b->n = 0;
    return 0;
}

/* Flushes the batch, then queues msg: the daemon sees calls in order. */
static int s_send_locked(ordo_client_t *self, ordo_wbuf_t *msg)
{
    int rc = s_flush_locked(self);
    if (rc < 0) {
        free(msg->data);
        return rc;
    }
    return s_outq_push_locked(self, msg);
}

/* ---- receiving (I/O thread) ------------------------------------------- */

static void s_on_completions_locked(ordo_client_t *self, const ordo_wmsg_t *m)
{
    for (size_t i = 0; i < m->ncompletions; i++) {
        const ordo_wcompletion_t *c = &m->items[i];
        s_rec_t *r = s_rec_get_locked(self, c->id);
        /* An earlier id (see s_earlier) gets its record now: the daemon
         * sends its completion once, kept while the session had no
         * connection.  Else an id without a record was delivered already
         * (records live until then), and a second completion of a terminal
         * record is a repeat: both are ignored, so each id is delivered
         * once. */
        if (!r && s_earlier(self, c->id) && !(r = s_rec_new_locked(self, c->id, S_WATCH)))
            continue;               /* out of memory: ordo_wait asks again */
        if (!r || (r->flags & S_TERMINAL))
            continue;
        r->state = c->state;
        r->code = c->code;
        r->cause = c->cause;
        r->accepted_ns = c->accepted_ns;
        r->started_ns = c->started_ns;
        r->finished_ns = c->finished_ns;
        if (c->error && c->error[0])
            r->error = strdup(c->error);
        if (r->read_dst && c->state == ORDO_TASK_DONE) {
            if (c->data_len == r->read_len) {
                memcpy(r->read_dst, c->data, c->data_len);
                r->data_len = c->data_len;
            } else {
                char text[160];
                snprintf(text, sizeof text,
                         "host_read returned %zu bytes where %zu were expected",
                         c->data_len, r->read_len);
                free(r->error);
                r->error = strdup(text);
                r->code = ORDO_EPROTO;
            }
        }
        r->flags |= S_TERMINAL;
        if (r->flags & S_OWN)
            self->unfinished--;
        if (self->quiet && (r->flags & S_OWN) && r->state == ORDO_TASK_DONE && r->code == 0)
            s_rec_free_locked(self, r);     /* no event; ordo_wait infers "done" */
        else
            s_queue_push_locked(self, r);
    }
    pthread_cond_broadcast(&self->cv);
}

static void s_on_reply_locked(ordo_client_t *self, const ordo_wmsg_t *m)
{
    for (s_req_t *q = self->reqs; q; q = q->next) {
        if (q->req != m->req)
            continue;
        q->done = true;
        q->code = m->code;
        q->buffer = m->buffer;
        q->size = m->size;
        snprintf(q->error, sizeof q->error, "%s", m->error ? m->error : "");
        pthread_cond_broadcast(&self->cv);
        return;
    }
    /* A reply for a request that timed out: nobody waits any more. */
}

/* Applies one message from the daemon (under smu, so that messages apply
 * in arrival order whoever receives them).  leader: the caller is the
 * leader, which needs no poke. */
static void s_on_message(ordo_client_t *self, const void *data, size_t len, bool leader)
{
    ordo_wmsg_t m;
    int rc = ordo_wire_decode(&m, data, len);
    pthread_mutex_lock(&self->mu);
    self->note_held |= leader;
    if (rc < 0) {
        /* Not even an envelope: the peer is not (this) ordod. */
        s_break_locked(self, ORDO_EPROTO,
                       "ordod at %s sent %zu bytes that are not a ServerMsg "
                       "(protocol mismatch?)", self->endpoint, len);
    } else if (m.kind == ORDO_WMSG_COMPLETIONS) {
        s_on_completions_locked(self, &m);
    } else if (m.kind == ORDO_WMSG_REPLY) {
        s_on_reply_locked(self, &m);
    } else if (m.kind == ORDO_WMSG_ERROR && m.code == ORDO_EPROTO) {
        /* We only send what the daemon accepts: a protocol error after the
         * Welcome means it does not know this connection's session (a new
         * daemon on the same endpoint, say).  A session error. */
        s_break_locked(self, ORDO_ESESSION,
                       "ordod at %s no longer knows session %u (restarted?): %s",
                       self->endpoint, self->session,
                       m.error && m.error[0] ? m.error : "no reason given");
    } else if (m.kind == ORDO_WMSG_ERROR) {
        s_break_locked(self, m.code < 0 ? m.code : ORDO_ESESSION,
                       "ordod ended the session: %s (%s)",
                       m.error && m.error[0] ? m.error : "no reason given",
                       ordo_strerror(m.code));
    }
    /* A second Welcome and envelopes of a newer minor are ignored. */
    if (!leader)
        s_poke_locked(self);
    pthread_mutex_unlock(&self->mu);
    if (rc == 0)
        ordo_wire_msg_free(&m);
}

/* Receives and applies every message waiting on the socket, each under
 * smu (senders may slip in between).  Ends only at EAGAIN: the edge rule
 * at the top of this file. */
static void s_drain(ordo_client_t *self, bool leader)
{
    for (;;) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        pthread_mutex_lock(&self->smu);
        int rc = zmq_msg_recv(&msg, self->sock, ZMQ_DONTWAIT);
        if (rc >= 0)
            s_on_message(self, zmq_msg_data(&msg), zmq_msg_size(&msg), leader);
        pthread_mutex_unlock(&self->smu);
        zmq_msg_close(&msg);
        if (rc < 0 && zmq_errno() != EINTR)
            return;
    }
}

/* Reads monitor events; returns true when the connection was lost. */
static bool s_drain_monitor(ordo_client_t *self)
{
    bool lost = false;
    for (;;) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, self->mon, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&msg);
            return lost;
        }
        /* First frame: uint16 event, uint32 value; second: the address. */
        if (zmq_msg_size(&msg) >= 2) {
            uint16_t ev;
            memcpy(&ev, zmq_msg_data(&msg), sizeof ev);
            if (ev == ZMQ_EVENT_DISCONNECTED)
                lost = true;
        }
        while (zmq_msg_more(&msg)) {
            zmq_msg_close(&msg);
            zmq_msg_init(&msg);
            if (zmq_msg_recv(&msg, self->mon, ZMQ_DONTWAIT) < 0)
                break;
        }
        zmq_msg_close(&msg);
    }
}

/* Sends the messages in q from *sent on; stops at the first that would
 * block (the caller retries later).  Returns -1 on a hard error.
 *
 * zmq_send copies the bytes: a message that could not be sent stays ours
 * to retry, which zero-copy zmq_msg_init_data would not allow (closing an
 * unsent message frees its data).  The copy costs one memcpy per batch. */
static int s_send_all(ordo_client_t *self, s_outq_t *q, size_t *sent)
{
    while (*sent < q->n) {
        ordo_wbuf_t *w = &q->items[*sent];
        if (zmq_send(self->sock, w->data + w->off, w->len, ZMQ_DONTWAIT) < 0) {
            if (zmq_errno() == EAGAIN || zmq_errno() == EINTR)
                return 0;
            return -1;
        }
        free(w->data);
        w->data = NULL;
        (*sent)++;
    }
    return 0;
}

/* Sends the out queue from the calling thread, then receives (the send
 * may have taken the edge of a message).  Under smu the queue is taken
 * under mu and sent before the next caller can take more, so messages
 * leave in the order they were queued.  What would block stays in sendq
 * for the I/O thread to retry; once the session is broken nobody reads
 * what is left, and at destroy it is dropped after the linger time. */
static void s_send_out(ordo_client_t *self, bool leader)
{
    s_outq_t *q = &self->sendq;
    pthread_mutex_lock(&self->smu);
    for (;;) {
        pthread_mutex_lock(&self->mu);
        if (self->sent == q->n) {
            /* All sent: take the next lot (a swap keeps both arrays). */
            s_outq_t t = *q;
            *q = self->outq;
            self->outq = t;
            self->outq.n = self->sent = 0;
            self->send_blocked = false;
        }
        bool drop = self->broken || self->lingered;
        pthread_mutex_unlock(&self->mu);
        if (self->sent == q->n)
            break;
        if (!drop && s_send_all(self, q, &self->sent) < 0) {
            pthread_mutex_lock(&self->mu);
            s_break_locked(self, ORDO_EIO, "cannot send to ordod at %s: %s",
                           self->endpoint, zmq_strerror(zmq_errno()));
            pthread_mutex_unlock(&self->mu);
            drop = true;
        }
        if (drop) {
            for (size_t i = self->sent; i < q->n; i++)
                free(q->items[i].data);
            self->sent = q->n;
        } else if (self->sent < q->n) {
            pthread_mutex_lock(&self->mu);
            self->send_blocked = true;
            s_wake_locked(self);
            pthread_mutex_unlock(&self->mu);
            break;
        }
    }
    pthread_mutex_unlock(&self->smu);
    s_drain(self, leader);
}

/* Unlocks mu, then sends what the call queued (smu comes before mu in the
 * lock order, so never under mu). */
static void s_unlock(ordo_client_t *self)
{
    bool out = self->outq.n > 0;
    pthread_mutex_unlock(&self->mu);
    if (out)
        s_send_out(self, false);
}

/*
 * Waits until something may have changed for the caller, who holds mu,
 * loops and checks its condition; returns false once deadline (absolute
 * CLOCK_MONOTONIC, NULL: none) has passed.  *lead starts false; the
 * caller ends with s_lead_end_locked.
 *
 * Messages queued by the caller leave first.  Then the caller leads if
 * nobody does: it polls ZMQ_FD and its poke pipe without a lock and
 * receives itself, so that its reply wakes it directly, with no hop
 * through another thread.  Other callers sleep on cv, which each applied
 * message and the leader's end signal.
 */
static bool s_wait_locked(ordo_client_t *self, bool *lead, const struct timespec *deadline)
{
    s_release_note_locked(self);
    if (self->outq.n > 0) {
        pthread_mutex_unlock(&self->mu);
        s_send_out(self, *lead);
        pthread_mutex_lock(&self->mu);
        return true;
    }
    if (!*lead && self->leading)
        return s_sleep(self, deadline);
    struct timespec rel, *tsp = NULL;
    if (deadline) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t ns = (int64_t)(deadline->tv_sec - now.tv_sec) * 1000000000 +
                     (deadline->tv_nsec - now.tv_nsec);
        if (ns <= 0)
            return false;
        rel.tv_sec = ns / 1000000000;
        rel.tv_nsec = ns % 1000000000;
        tsp = &rel;
    }
    if (!*lead) {
        self->leading = *lead = true;
        self->lead_seq++;
    }
    pthread_mutex_unlock(&self->mu);
    struct pollfd fds[2] = {
        {.fd = self->sock_fd, .events = POLLIN},
        {.fd = self->lead_rd, .events = POLLIN},
    };
    int n = ppoll(fds, 2, tsp, NULL);
    if (n > 0 && (fds[0].revents & POLLIN))
        s_drain(self, true);
    pthread_mutex_lock(&self->mu);
    if (n > 0 && (fds[1].revents & POLLIN)) {
        s_drain_fd(self->lead_rd);
        self->lead_poked = false;
    }
    return n != 0;
}

/* Ends the caller's lead (see s_wait_locked): a sleeper may take over,
 * and the I/O thread watches the socket again (at once if it asked to,
 * else at its next look: see s_io_main). */
static void s_lead_end_locked(ordo_client_t *self, bool *lead)
{
    if (!*lead)
        return;
    *lead = false;
    self->leading = false;
    s_release_note_locked(self);
    if (self->io_wake_at_end) {
        self->io_wake_at_end = false;
        s_wake_locked(self);
    }
    pthread_cond_broadcast(&self->cv);
}

static int s_fd_of(void *sock)
{
    int fd = -1;
    size_t len = sizeof fd;
    zmq_getsockopt(sock, ZMQ_FD, &fd, &len);
    return fd;
}

/*
 * The I/O thread: what no caller is there to do.  Sleeps in ppoll on the
 * monitor, the wake pipe and, unless a caller leads, the socket's ZMQ_FD,
 * with a timeout that is the batch's flush deadline (microsecond
 * precision, which zmq_poll's milliseconds would not give).
 *
 * While a caller leads, this thread leaves the socket alone: else the
 * leader's reply would wake it too, to take the message (a hop for the
 * leader) or to spin on an fd the leader is about to clear.  Most leads
 * last one round trip, and having each lead's end wake this thread costs
 * the next round trip about as much as the hop saved (two cores, and
 * this thread would run beside the leader's next send).  So it looks
 * again every S_PARK_MS; only a lead that outlasts one look asks to be
 * woken at its end (io_wake_at_end).  What arrives in the gap after a
 * short lead waits at most S_PARK_MS for this thread, or less for any
 * caller that sends or waits meanwhile.
 */
static void *s_io_main(void *arg)
{
    ordo_client_t *self = arg;
    uint64_t stop_ns = 0, park_seq = 0;
    struct pollfd fds[3] = {
        {.fd = s_fd_of(self->mon), .events = POLLIN},
        {.fd = self->wake_rd, .events = POLLIN},
        {.fd = self->sock_fd, .events = POLLIN},
    };
    s_drain(self, false);           /* the handshake may have taken an edge */
    pthread_mutex_lock(&self->mu);
    for (;;) {
        /* 1. Flush a batch that has waited long enough. */
        uint64_t now = s_now_ns();
        int64_t wait_ns = -1;
        if (self->batch.n > 0) {
            uint64_t due = self->batch.since_ns + self->batch_delay_ns;
            if (now >= due)
                s_flush_locked(self);
            else
                wait_ns = (int64_t)(due - now);
        }
        /* 2. Send it, retry what would block every ms; at destroy, what
         * cannot leave within the linger time is dropped. */
        bool stop = self->stop;
        if (stop && stop_ns == 0)
            stop_ns = now;
        if (stop && now - stop_ns > (uint64_t)S_CLOSE_LINGER_MS * 1000000u)
            self->lingered = true;
        if (self->send_blocked && (wait_ns < 0 || wait_ns > 1000000))
            wait_ns = 1000000;
        bool out = self->outq.n > 0 || self->send_blocked;
        if (stop && !out)
            break;
        /* 3. Leave the socket to a leading caller (see above). */
        bool watch = !self->leading;
        self->io_wake_at_end = !watch && self->lead_seq == park_seq;
        park_seq = self->lead_seq;
        if (!watch && !self->io_wake_at_end &&
            (wait_ns < 0 || wait_ns > (int64_t)S_PARK_MS * 1000000))
            wait_ns = (int64_t)S_PARK_MS * 1000000;
        pthread_mutex_unlock(&self->mu);
        if (out)
            s_send_out(self, false);
        if (stop) {
            pthread_mutex_lock(&self->mu);
            if (!self->send_blocked && self->outq.n == 0)
                break;
            pthread_mutex_unlock(&self->mu);
            if (wait_ns < 0 || wait_ns > 1000000)
                wait_ns = 1000000;
        }

        /* 4. Watch the connection. */
        if (s_drain_monitor(self)) {
            s_drain(self, false);   /* completions sent before the close */
            pthread_mutex_lock(&self->mu);
            s_break_locked(self, ORDO_ESESSION,
                           "lost the connection to ordod at %s (daemon stopped or "
                           "restarted); %llu unfinished tasks have an unknown state",
                           self->endpoint, (unsigned long long)self->unfinished);
            pthread_mutex_unlock(&self->mu);
        }

        /* 5. Sleep until something happens or a deadline. */
        struct timespec ts, *tsp = NULL;
        if (wait_ns >= 0) {
            ts.tv_sec = wait_ns / 1000000000;
            ts.tv_nsec = wait_ns % 1000000000;
            tsp = &ts;
        }
        if (ppoll(fds, watch ? 3 : 2, tsp, NULL) <= 0)
            fds[1].revents = fds[2].revents = 0;

        /* 6. Receive, unless a caller has come to lead meanwhile. */
        pthread_mutex_lock(&self->mu);
        if (fds[1].revents & POLLIN) {
            s_drain_fd(self->wake_rd);
            self->wake_pending = false;
        }
        if (watch && (fds[2].revents & POLLIN) && !self->leading) {
            pthread_mutex_unlock(&self->mu);
            s_drain(self, false);
            pthread_mutex_lock(&self->mu);
        }
    }
    pthread_mutex_unlock(&self->mu);
    return NULL;
}

/* ---------------------------------------------------------------------- */
/* Endpoints. */

/* The default runtime directory (see ordo_default_endpoint); *from_env is
 * set when it came from RUNTIME_DIRECTORY (a service: no fallback). */
static int s_runtime_dir(char *buf, size_t len, bool *service)
{
    const char *rd = getenv("RUNTIME_DIRECTORY");
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    int n;
    *service = false;
    if (rd && rd[0]) {
        /* systemd may list several directories, separated by ':'. */
        size_t first = strcspn(rd, ":");
        n = snprintf(buf, len, "%.*s", (int)first, rd);
        *service = true;
    } else if (xdg && xdg[0]) {
        n = snprintf(buf, len, "%s/ordo", xdg);
    } else {
        n = snprintf(buf, len, "/tmp/ordo-%lu", (unsigned long)getuid());
    }
    return n < 0 || (size_t)n >= len ? ORDO_ELIMIT : 0;
}

static int s_default(char *buf, size_t len, const char *env, const char *file)
{
    const char *e = getenv(env);
    if (e && e[0]) {
        if (strlen(e) >= len)
            return ordo_cl_fail(ORDO_ELIMIT, "$%s is too long", env);
        strcpy(buf, e);
        return 0;
    }
    char dir[S_ENDPOINT_MAX];
    bool service;
    if (s_runtime_dir(dir, sizeof dir, &service) < 0)
        return ordo_cl_fail(ORDO_ELIMIT, "runtime directory path too long");
    char path[S_ENDPOINT_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    struct stat st;
    char sys[64];
    snprintf(sys, sizeof sys, "/run/ordo/%s", file);
    /* A user without a daemon of its own talks to the system one. */
    if (!service && stat(path, &st) < 0 && stat(sys, &st) == 0)
        snprintf(path, sizeof path, "%s", sys);
    int n = snprintf(buf, len, "ipc://%s", path);
    if (n < 0 || (size_t)n >= len)
        return ordo_cl_fail(ORDO_ELIMIT, "endpoint buffer too small");
    return 0;
}

int ordo_default_endpoint(char *buf, size_t len)
{
    return s_default(buf, len, "ORDO_ENDPOINT", "ordod.sock");
}

int ordo_default_status_endpoint(char *buf, size_t len)
{
    return s_default(buf, len, "ORDO_STATUS_ENDPOINT", "status.sock");
}

/* A hint for a connect that timed out on an ipc endpoint without socket. */
static const char *s_ipc_hint(const char *endpoint)
{
    struct stat st;
    if (strncmp(endpoint, "ipc://", 6) == 0 && stat(endpoint + 6, &st) < 0)
        return " (the socket file does not exist: is ordod running, with the same "
               "XDG_RUNTIME_DIR? ORDO_ENDPOINT overrides the default)";
    return " (is ordod running and serving this endpoint?)";
}

/* ---------------------------------------------------------------------- */
/* CURVE on tcp (ordod(8) SECURITY): keys come from the environment. */

int ordo_curve_keypair(char public_key[41], char secret_key[41])
{
    if (!public_key || !secret_key)
        return ordo_cl_fail(ORDO_EINVAL, "ordo_curve_keypair: NULL key buffer");
    if (zmq_curve_keypair(public_key, secret_key) != 0)
        return ordo_cl_fail(ORDO_EIO, "cannot make a CURVE key pair: %s (libzmq without "
                            "CURVE support?)", zmq_strerror(zmq_errno()));
    return 0;
}

/* True when text is a Z85 key of 40 characters, blanks around it aside
 * (the key goes to out). */
static bool s_z85_key(const char *text, char out[41])
{
    text += strspn(text, " \t");
    size_t n = strcspn(text, " \t\r\n");
    uint8_t key[32];
    if (n != 40 || text[n + strspn(text + n, " \t\r\n")] != '\0')
        return false;
    memcpy(out, text, 40);
    out[40] = '\0';
    return zmq_z85_decode(key, out) != NULL;
}

/* Reads the key of a key file (`ordoctl keygen`): its first line that is
 * neither blank nor a '#' comment.  A secret key file must not be
 * accessible to others. */
static int s_read_key_file(const char *path, bool secret, char out[41], const char *env)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return ordo_cl_fail(ORDO_EINVAL, "$%s: %s: %s", env, path, strerror(errno));
    struct stat st;
    if (secret && fstat(fileno(f), &st) == 0 && (st.st_mode & 0007)) {
        fclose(f);
        return ordo_cl_fail(ORDO_EPERM, "$%s: secret key %s is accessible to others "
                            "(mode %04o): chmod o-rwx it", env, path,
                            (unsigned)(st.st_mode & 07777));
    }
    char line[256];
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        const char *p = line + strspn(line, " \t");
        found = s_z85_key(p, out);      /* before comments: '#' is a Z85 digit */
        if (!found && *p != '#' && *p != '\n' && *p != '\0')
            break;
    }
    explicit_bzero(line, sizeof line);
    fclose(f);
    if (!found)
        return ordo_cl_fail(ORDO_EINVAL, "$%s: %s holds no Z85 key (40 characters)", env,
                            path);
    return 0;
}

/* Makes sock a CURVE client of a tcp endpoint when $ORDO_CURVE_SERVERKEY
 * (the daemon's public key, as text or a key file) is set; the client's
 * key pair comes from the secret key file $ORDO_CURVE_SECRETKEY.  Other
 * endpoints, and tcp without these variables, stay plain.  Returns 1
 * (CURVE), 0 (plain) or a negative code. */
static int s_curve_client(void *sock, const char *endpoint)
{
    const char *server = getenv("ORDO_CURVE_SERVERKEY");
    const char *secret = getenv("ORDO_CURVE_SECRETKEY");
    bool has_server = server && server[0], has_secret = secret && secret[0];
    if (strncmp(endpoint, "tcp://", 6) != 0 || (!has_server && !has_secret))
        return 0;
    if (!has_server || !has_secret)
        return ordo_cl_fail(ORDO_EINVAL, "CURVE needs both $ORDO_CURVE_SERVERKEY (the "
                            "daemon's public key) and $ORDO_CURVE_SECRETKEY (our secret "
                            "key file)");
    char skey[41], ckey[41], cpub[41];
    int rc = 0;
    if (!s_z85_key(server, skey))
        rc = s_read_key_file(server, false, skey, "ORDO_CURVE_SERVERKEY");
    if (rc == 0)
        rc = s_read_key_file(secret, true, ckey, "ORDO_CURVE_SECRETKEY");
    if (rc == 0 && zmq_curve_public(cpub, ckey) != 0)
        rc = ordo_cl_fail(ORDO_EIO, "CURVE: %s", zmq_strerror(zmq_errno()));
    if (rc == 0 && (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, skey, 40) != 0 ||
                    zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, cpub, 40) != 0 ||
                    zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, ckey, 40) != 0))
        rc = ordo_cl_fail(ORDO_EIO, "CURVE: %s (libzmq without CURVE support?)",
                          zmq_strerror(zmq_errno()));
    explicit_bzero(ckey, sizeof ckey);
    return rc < 0 ? rc : 1;
}

/* Monitor events that end a connection attempt for good: the daemon
 * refused our key (ZAP), or the security handshake failed (CURVE on one
 * side only, a wrong server key). */
#define S_HANDSHAKE_EVENTS (ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | \
                            ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | \
                            ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)

/* Reads mon's pending events; returns 0, or ORDO_EPERM with the reason
 * when one of them is a failed handshake with endpoint (curve: whether we
 * spoke CURVE). */
static int s_handshake_failed(void *mon, const char *endpoint, bool curve)
{
    int rc = 0;
    for (;;) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, mon, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&msg);
            return rc;
        }
        uint16_t ev = 0;
        uint32_t value = 0;
        if (zmq_msg_size(&msg) >= 6) {
            memcpy(&ev, zmq_msg_data(&msg), sizeof ev);
            memcpy(&value, (const char *)zmq_msg_data(&msg) + 2, sizeof value);
        }
        if (rc == 0 && ev == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
            rc = ordo_cl_fail(ORDO_EPERM, "ordod at %s refused our CURVE key (ZAP status "
                              "%u): is our public key on its allow-list (--curve-allow)?",
                              endpoint, value);
        else if (rc == 0 && (ev & S_HANDSHAKE_EVENTS) && curve)
            rc = ordo_cl_fail(ORDO_EPERM, "CURVE handshake with %s failed: is "
                              "$ORDO_CURVE_SERVERKEY the daemon's public key, and does it "
                              "serve this endpoint with CURVE?", endpoint);
        else if (rc == 0 && (ev & S_HANDSHAKE_EVENTS) && strncmp(endpoint, "tcp://", 6) != 0)
            rc = ordo_cl_fail(ORDO_EPERM, "ZeroMQ handshake with %s failed: is it ordod?",
                              endpoint);
        else if (rc == 0 && (ev & S_HANDSHAKE_EVENTS))
            rc = ordo_cl_fail(ORDO_EPERM, "security handshake with %s failed: a tcp ordod "
                              "wants CURVE ($ORDO_CURVE_SERVERKEY, $ORDO_CURVE_SECRETKEY "
                              "set to its public key and our secret key file) unless it "
                              "runs --insecure-tcp", endpoint);
        while (zmq_msg_more(&msg)) {
            zmq_msg_close(&msg);
            zmq_msg_init(&msg);
            if (zmq_msg_recv(&msg, mon, ZMQ_DONTWAIT) < 0)
                break;
        }
        zmq_msg_close(&msg);
    }
}

/* ---------------------------------------------------------------------- */
/* Connect and disconnect. */

static int s_env_int(const char *name, int dflt)
{
    const char *e = getenv(name);
    if (!e || !e[0])
        return dflt;
    char *end;
    long v = strtol(e, &end, 10);
    return (*end || v <= 0 || v > 86400000) ? dflt : (int)v;
}

/* Sends Hello (resuming session resume with token when it is not 0) and
 * waits for Welcome on the not yet shared socket. */
static int s_handshake(ordo_client_t *self, const char *name, int timeout_ms,
                       uint32_t resume, const uint8_t *token)
{
    char text[256];
    if (!name) {
#ifdef __GLIBC__
        snprintf(text, sizeof text, "%s[%ld]", program_invocation_short_name, (long)getpid());
#else
        snprintf(text, sizeof text, "libordo[%ld]", (long)getpid());
#endif
        name = text;
    }
    ordo_wbuf_t hello;
    if (ordo_wire_hello(&hello, name, resume, token, ORDO_TOKEN_BYTES) < 0)
        return ordo_cl_fail(ORDO_ENOMEM, "out of memory");
    int rc = zmq_send(self->sock, hello.data + hello.off, hello.len, ZMQ_DONTWAIT);
    free(hello.data);
    if (rc < 0)
        return ordo_cl_fail(ORDO_EIO, "cannot send Hello to %s: %s", self->endpoint,
                            zmq_strerror(zmq_errno()));

    uint64_t deadline = s_now_ns() + (uint64_t)timeout_ms * 1000000u;
    for (;;) {
        uint64_t now = s_now_ns();
        if (now >= deadline)
            return ordo_cl_fail(ORDO_ETIMEDOUT, "no answer from ordod at %s within %d ms%s",
                                self->endpoint, timeout_ms, s_ipc_hint(self->endpoint));
        zmq_pollitem_t it[2] = {{self->sock, 0, ZMQ_POLLIN, 0}, {self->mon, 0, ZMQ_POLLIN, 0}};
        long ms = (long)((deadline - now + 999999) / 1000000);
        if (zmq_poll(it, 2, ms) < 0 && zmq_errno() != EINTR)
            return ordo_cl_fail(ORDO_EIO, "poll: %s", zmq_strerror(zmq_errno()));
        if ((it[1].revents & ZMQ_POLLIN) &&
            (rc = s_handshake_failed(self->mon, self->endpoint, self->curve)) < 0)
            return rc;
        if (!(it[0].revents & ZMQ_POLLIN))
            continue;
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, self->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&msg);
            continue;
        }
        ordo_wmsg_t m;
        rc = ordo_wire_decode(&m, zmq_msg_data(&msg), zmq_msg_size(&msg));
        zmq_msg_close(&msg);
        if (rc < 0)
            return ordo_cl_fail(ORDO_EPROTO, "%s answered Hello with something that is "
                                "not an ordo ServerMsg: is it ordod?", self->endpoint);
        if (m.kind == ORDO_WMSG_ERROR) {
            rc = ordo_cl_fail(m.code < 0 ? m.code : ORDO_EPROTO,
                              "ordod at %s refused the session: %s", self->endpoint,
                              m.error && m.error[0] ? m.error : ordo_strerror(m.code));
        } else if (m.kind != ORDO_WMSG_WELCOME) {
            rc = ordo_cl_fail(ORDO_EPROTO, "ordod at %s answered Hello without Welcome",
                              self->endpoint);
        } else if (m.major != ORDO_WIRE_MAJOR) {
            rc = ordo_cl_fail(ORDO_EVERSION,
                              "ordod at %s speaks protocol %u.%u, this libordo %d.%d",
                              self->endpoint, m.major, m.minor, ORDO_WIRE_MAJOR,
                              ORDO_WIRE_MINOR);
        } else if (m.session == 0 || m.session > ORDO_MAX_SESSION) {
            rc = ordo_cl_fail(ORDO_EPROTO, "ordod at %s gave session id %llu, out of range",
                              self->endpoint, (unsigned long long)m.session);
        } else if (resume && m.session != resume) {
            rc = ordo_cl_fail(ORDO_EPROTO, "ordod at %s answered the resume of session %u "
                              "with session %llu", self->endpoint, resume,
                              (unsigned long long)m.session);
        } else {
            self->session = (uint32_t)m.session;
            self->resumed = resume != 0;
            if (m.token && m.token_len == ORDO_TOKEN_BYTES)
                memcpy(self->token, m.token, ORDO_TOKEN_BYTES);
            self->credits = m.credits ? m.credits : UINT32_MAX;
            self->first_seq = self->next_seq = m.next_seq ? m.next_seq : 1;
            self->max_message = m.max_message ? m.max_message : S_DEFAULT_MAX_MESSAGE;
            rc = 0;
        }
        ordo_wire_msg_free(&m);
        return rc;
    }
}

static void s_client_free(ordo_client_t *self)
{
    if (self->mon)
        zmq_close(self->mon);
    if (self->sock)
        zmq_close(self->sock);
    if (self->ctx)
        zmq_ctx_term(self->ctx);
    for (size_t i = 0; i < self->outq.n; i++)
        free(self->outq.items[i].data);
    free(self->outq.items);
    for (size_t i = self->sent; i < self->sendq.n; i++)
        free(self->sendq.items[i].data);
    free(self->sendq.items);
    s_batch_free(&self->batch);
    for (size_t i = 0; i < self->map.cap; i++)
        if (self->map.keys[i])
            free(self->map.vals[i]->error);
    free(self->map.keys);
    free(self->map.vals);
    for (size_t i = 0; i < self->ring.cap; i++)
        if (self->ring.slots[i])
            free(self->ring.slots[i]->error);
    free(self->ring.slots);
    while (self->chunks) {
        s_chunk_t *c = self->chunks;
        self->chunks = c->next;
        free(c);
    }
    int fds[6] = {self->wake_rd, self->wake_wr, self->lead_rd, self->lead_wr,
                  self->note_rd, self->note_wr};
    for (int i = 0; i < 6; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    pthread_cond_destroy(&self->cv);
    pthread_mutex_destroy(&self->mu);
    pthread_mutex_destroy(&self->smu);
    free(self);
}

/* ordo_client_new and ordo_client_resume (resume 0: a new session). */
static int s_client_open(ordo_client_t **self_p, const char *endpoint,
                         const ordo_client_opts_t *opts, uint32_t resume,
                         const uint8_t *token)
{
    *self_p = NULL;
    ordo_client_opts_t o = {0};
    if (opts)
        o = *opts;
    for (size_t i = 0; i < sizeof o.reserved / sizeof o.reserved[0]; i++)
        if (o.reserved[i])
            return ordo_cl_fail(ORDO_EINVAL, "ordo_client_opts_t: reserved fields must be "
                                "zero (zero-initialise the structure)");
    int connect_ms = o.connect_timeout_ms > 0
                         ? o.connect_timeout_ms
                         : s_env_int("ORDO_CONNECT_TIMEOUT_MS", S_CONNECT_TIMEOUT_MS);

    ordo_client_t *self = calloc(1, sizeof *self);
    if (!self)
        return ordo_cl_fail(ORDO_ENOMEM, "out of memory");
    self->wake_rd = self->wake_wr = self->note_rd = self->note_wr = -1;
    self->lead_rd = self->lead_wr = -1;
    pthread_mutex_init(&self->smu, NULL);
    pthread_mutex_init(&self->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&self->cv, &ca);
    pthread_condattr_destroy(&ca);
    self->request_timeout_ms = o.request_timeout_ms > 0 ? o.request_timeout_ms
                                                        : S_REQUEST_TIMEOUT_MS;
    self->batch_max_tasks = o.batch_max_tasks > 0 ? o.batch_max_tasks : S_BATCH_TASKS;
    self->quiet = o.quiet_success != 0;
    self->batch_delay_ns = (uint64_t)(o.batch_delay_us > 0 ? o.batch_delay_us
                                                           : S_BATCH_DELAY_US) * 1000u;
    self->next_req = 1;

    int rc;
    if (endpoint) {
        if (strlen(endpoint) >= sizeof self->endpoint) {
            rc = ordo_cl_fail(ORDO_EINVAL, "endpoint longer than %d bytes", S_ENDPOINT_MAX);
            goto fail;
        }
        strcpy(self->endpoint, endpoint);
    } else if ((rc = ordo_default_endpoint(self->endpoint, sizeof self->endpoint)) < 0) {
        goto fail;
    }
    int *ends[3][2] = {{&self->wake_rd, &self->wake_wr}, {&self->lead_rd, &self->lead_wr},
                       {&self->note_rd, &self->note_wr}};
    for (int i = 0; i < 3; i++) {
        int fds[2];
        if (s_pipe(fds) < 0) {
            rc = ordo_cl_fail(ORDO_EIO, "pipe: %s", strerror(errno));
            goto fail;
        }
        *ends[i][0] = fds[0];
        *ends[i][1] = fds[1];
    }
    self->ctx = zmq_ctx_new();
    if (!self->ctx) {
        rc = ordo_cl_fail(ORDO_ENOMEM, "out of memory");
        goto fail;
    }
    zmq_ctx_set(self->ctx, ZMQ_IO_THREADS, 1);
    self->sock = zmq_socket(self->ctx, ZMQ_DEALER);
    self->mon = zmq_socket(self->ctx, ZMQ_PAIR);
    if (!self->sock || !self->mon) {
        rc = ordo_cl_fail(ORDO_EIO, "zmq_socket: %s", zmq_strerror(zmq_errno()));
        goto fail;
    }
    /* Nothing is ever dropped at a high-water mark: back-pressure is the
     * credits' job.  Linger 0 until the session exists. */
    int zero = 0;
    zmq_setsockopt(self->sock, ZMQ_SNDHWM, &zero, sizeof zero);
    zmq_setsockopt(self->sock, ZMQ_RCVHWM, &zero, sizeof zero);
    zmq_setsockopt(self->sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(self->mon, ZMQ_LINGER, &zero, sizeof zero);
    /* ZMTP heartbeats (answered by libzmq in the daemon, no application
     * message): over tcp a peer that vanished without closing (a crashed
     * host, a cut link) is noticed as a disconnect within the timeout, and
     * the session fails clearly instead of waiting forever. */
    int ivl = S_HEARTBEAT_IVL_MS, hb_timeout = S_HEARTBEAT_TIMEOUT_MS;
    zmq_setsockopt(self->sock, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl);
    zmq_setsockopt(self->sock, ZMQ_HEARTBEAT_TIMEOUT, &hb_timeout, sizeof hb_timeout);
    char monaddr[64];
    snprintf(monaddr, sizeof monaddr, "inproc://ordo-monitor-%p", (void *)self);
    if (zmq_socket_monitor(self->sock, monaddr,
                           ZMQ_EVENT_DISCONNECTED | S_HANDSHAKE_EVENTS) < 0 ||
        zmq_connect(self->mon, monaddr) < 0) {
        rc = ordo_cl_fail(ORDO_EIO, "zmq monitor: %s", zmq_strerror(zmq_errno()));
        goto fail;
    }
    if ((rc = s_curve_client(self->sock, self->endpoint)) < 0)
        goto fail;
    self->curve = rc == 1;
    if (zmq_connect(self->sock, self->endpoint) < 0) {
        rc = ordo_cl_fail(ORDO_EINVAL, "cannot connect to '%s': %s (endpoints look like "
                          "ipc:///path or tcp://host:port)",
                          self->endpoint, zmq_strerror(zmq_errno()));
        goto fail;
    }
    if ((rc = s_handshake(self, o.name, connect_ms, resume, token)) < 0)
        goto fail;
    s_drain_monitor(self);          /* events of the handshake are history */
    self->sock_fd = s_fd_of(self->sock);
    if (pthread_create(&self->io, NULL, s_io_main, self) != 0) {
        rc = ordo_cl_fail(ORDO_ENOMEM, "cannot start the I/O thread");
        goto fail;
    }
    self->io_started = true;
    *self_p = self;
    return 0;
fail:
    s_client_free(self);
    return rc;
}

int ordo_client_new(ordo_client_t **self_p, const char *endpoint,
                    const ordo_client_opts_t *opts)
{
    if (!self_p)
        return ordo_cl_fail(ORDO_EINVAL, "ordo_client_new: self_p is NULL");
    return s_client_open(self_p, endpoint, opts, 0, NULL);
}

int ordo_client_resume(ordo_client_t **self_p, const char *endpoint,
                       const ordo_client_opts_t *opts, uint32_t session,
                       const uint8_t token[ORDO_TOKEN_BYTES])
{
    if (!self_p || !token || session == 0 || session > ORDO_MAX_SESSION)
        return ordo_cl_fail(ORDO_EINVAL, "ordo_client_resume: needs a result, a session "
                            "id (1 to %u) and its token", ORDO_MAX_SESSION);
    return s_client_open(self_p, endpoint, opts, session, token);
}

/* Destroys the client, saying Bye first unless detach (see
 * ordo_client_detach). */
static void s_client_close(ordo_client_t **self_p, bool detach)
{
    if (!self_p || !*self_p)
        return;
    ordo_client_t *self = *self_p;
    *self_p = NULL;
    pthread_mutex_lock(&self->mu);
    bool alive = !self->broken;
    if (alive && detach) {
        s_flush_locked(self);
    } else if (alive) {
        ordo_wbuf_t bye;
        if (ordo_wire_bye(&bye) == 0)
            s_send_locked(self, &bye);
    }
    self->stop = true;
    s_wake_locked(self);
    pthread_mutex_unlock(&self->mu);
    if (self->io_started)
        pthread_join(self->io, NULL);
    /* The last tasks and the Bye may still sit in ZeroMQ's queue: give
     * them a moment to leave, unless nobody listens any more. */
    int linger = alive ? S_CLOSE_LINGER_MS : 0;
    zmq_setsockopt(self->sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_socket_monitor(self->sock, NULL, 0);
    s_client_free(self);
}

void ordo_client_destroy(ordo_client_t **self_p)
{
    s_client_close(self_p, false);
}

int ordo_client_detach(ordo_client_t **self_p)
{
    if (!self_p || !*self_p)
        return ordo_cl_fail(ORDO_EINVAL, "ordo_client_detach: NULL client");
    /* Every task handed over before the connection goes (a round trip). */
    ordo_client_t *self = *self_p;
    int rc = ordo_sync(self, self->request_timeout_ms);
    s_client_close(self_p, true);
    return rc;
}

int ordo_client_token(ordo_client_t *self, uint8_t token[ORDO_TOKEN_BYTES])
{
    if (!self || !token)
        return ordo_cl_fail(ORDO_EINVAL, "ordo_client_token: NULL argument");
    memcpy(token, self->token, ORDO_TOKEN_BYTES);
    return 0;
}

uint32_t ordo_client_session(ordo_client_t *self)
{
    return self->session;
}

uint32_t ordo_client_credits(ordo_client_t *self)
{
    return self->credits;
}

uint64_t ordo_client_unfinished(ordo_client_t *self)
{
    pthread_mutex_lock(&self->mu);
    uint64_t n = self->unfinished;
    pthread_mutex_unlock(&self->mu);
    return n;
}

const char *ordo_client_endpoint(ordo_client_t *self)
{
    return self->endpoint;
}

int ordo_client_fd(ordo_client_t *self)
{
    return self->note_rd;
}

/* ---------------------------------------------------------------------- */
/* Synchronous requests. */

/* Queues msg (a request carrying req) and waits for its Reply.  Returns
 * the daemon's code (its text as last error) or a local error. */
static int s_request_locked(ordo_client_t *self, ordo_wbuf_t *msg, s_req_t *rq,
                            const char *what, int timeout_ms)
{
    int rc = s_send_locked(self, msg);
    if (rc < 0)
        return rc;
    rq->next = self->reqs;
    self->reqs = rq;
    struct timespec dl = s_deadline(timeout_ms > 0 ? timeout_ms : 0);
    bool timed_out = false, lead = false;
    while (!rq->done && !self->broken && !timed_out)
        timed_out = !s_wait_locked(self, &lead, timeout_ms < 0 ? NULL : &dl);
    s_lead_end_locked(self, &lead);
    for (s_req_t **pp = &self->reqs; *pp; pp = &(*pp)->next) {
        if (*pp == rq) {
            *pp = rq->next;
            break;
        }
    }
    if (rq->done) {
        if (rq->code < 0)
            return ordo_cl_fail(rq->code, "%s: %s", what,
                                rq->error[0] ? rq->error : ordo_strerror(rq->code));
        return 0;
    }
    if (self->broken)
        return s_broken_locked(self);
    return ordo_cl_fail(ORDO_ETIMEDOUT, "%s: no reply from ordod at %s within %d ms", what,
                        self->endpoint, timeout_ms);
}

int ordo_buffer_create(ordo_client_t *self, uint64_t size, const char *name,
                       uint64_t *buffer)
{
    if (!self || !buffer)
        return ordo_cl_fail(ORDO_EINVAL, "ordo_buffer_create: NULL argument");
    pthread_mutex_lock(&self->mu);
    int rc = s_broken_locked(self);
    if (rc == 0) {
        s_req_t rq = {.req = self->next_req++};
        ordo_wbuf_t msg;
        char what[160];
        snprintf(what, sizeof what, "creating buffer '%s' of %llu bytes",
                 name ? name : "", (unsigned long long)size);
        if (ordo_wire_buffer_create(&msg, rq.req, size, name) < 0)
            rc = ordo_cl_fail(ORDO_ENOMEM, "out of memory");
        else
            rc = s_request_locked(self, &msg, &rq, what, self->request_timeout_ms);
        if (rc == 0)
            *buffer = rq.buffer;
    }
    s_unlock(self);
    return rc;
}

int ordo_buffer_open(ordo_client_t *self, const char *name, uint64_t *buffer,
                     uint64_t *size)
{
    if (!self || !name || !name[0] || !buffer)
        return ordo_cl_fail(ORDO_EINVAL, "ordo_buffer_open: needs a name and a result");
    pthread_mutex_lock(&self->mu);
    int rc = s_broken_locked(self);
    if (rc == 0) {
        s_req_t rq = {.req = self->next_req++};
        ordo_wbuf_t msg;
        char what[160];
        snprintf(what, sizeof what, "opening buffer '%s'", name);
        if (ordo_wire_buffer_open(&msg, rq.req, name) < 0)
            rc = ordo_cl_fail(ORDO_ENOMEM, "out of memory");
        else
            rc = s_request_locked(self, &msg, &rq, what, self->request_timeout_ms);
        if (rc == 0) {
            *buffer = rq.buffer;
            if (size)
                *size = rq.size;
        }
    }
    s_unlock(self);
    return rc;
}

int ordo_buffer_release(ordo_client_t *self, uint64_t buffer)
{
    if (!self)
        return ordo_cl_fail(ORDO_EINVAL, "ordo_buffer_release: NULL client");
    pthread_mutex_lock(&self->mu);
    int rc = s_broken_locked(self);
    if (rc == 0) {
        s_req_t rq = {.req = self->next_req++};
        ordo_wbuf_t msg;
        char what[80];
        snprintf(what, sizeof what, "releasing buffer %llu", (unsigned long long)buffer);
        if (ordo_wire_buffer_release(&msg, rq.req, buffer) < 0)
            rc = ordo_cl_fail(ORDO_ENOMEM, "out of memory");
        else
            rc = s_request_locked(self, &msg, &rq, what, self->request_timeout_ms);
    }
    s_unlock(self);
    return rc;
}

int ordo_sync(ordo_client_t *self, int timeout_ms)
{
    if (!self)
        return ordo_cl_fail(ORDO_EINVAL, "ordo_sync: NULL client");
    pthread_mutex_lock(&self->mu);
    int rc = s_broken_locked(self);
    if (rc == 0) {
        s_req_t rq = {.req = self->next_req++};
        ordo_wbuf_t msg;
        if (ordo_wire_heartbeat(&msg, rq.req) < 0)
            rc = ordo_cl_fail(ORDO_ENOMEM, "out of memory");
        else
            rc = s_request_locked(self, &msg, &rq, "sync", timeout_ms);
    }
    s_unlock(self);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Submit. */

static int s_check_task(const ordo_submit_t *t)
{
    for (size_t i = 0; i < sizeof t->reserved / sizeof t->reserved[0]; i++)
        if (t->reserved[i])
            return ordo_cl_fail(ORDO_EINVAL, "ordo_submit_t: reserved fields must be zero "
                                "(zero-initialise the structure)");
    if (!t->kernel || !t->kernel[0])
        return ordo_cl_fail(ORDO_EINVAL, "task without a kernel name");
    if (t->nargs < 0 || (t->nargs > 0 && !t->args) || t->ndeps < 0 ||
        (t->ndeps > 0 && !t->deps) || (t->params_len && !t->params) ||
        (t->data_len && !t->data) || (t->read_len && !t->read_dst))
        return ordo_cl_fail(ORDO_EINVAL, "task '%s': inconsistent counts and pointers",
                            t->kernel);
    for (int k = 0; k < t->nargs; k++) {
        const ordo_tensor_t *v = t->args[k].view;
        int m = t->args[k].mode;
        if (!v)
            return ordo_cl_fail(ORDO_EINVAL, "task '%s': argument %d has no view",
                                t->kernel, k);
        if (m != ORDO_IN && m != ORDO_OUT && m != ORDO_INOUT)
            return ordo_cl_fail(ORDO_EINVAL, "task '%s': argument %d has mode %d "
                                "(use ORDO_IN, ORDO_OUT or ORDO_INOUT)", t->kernel, k, m);
        if (v->ndim < 0 || v->ndim > ORDO_MAX_NDIM)
            return ordo_cl_fail(ORDO_EINVAL, "task '%s': argument %d has %d dimensions "
                                "(at most %d)", t->kernel, k, (int)v->ndim, ORDO_MAX_NDIM);
    }
    for (int k = 0; k < t->ndeps; k++)
        if (t->deps[k] == 0)
            return ordo_cl_fail(ORDO_EINVAL, "task '%s': dependency %d is id 0",
                                t->kernel, k);
    return 0;
}

int ordo_submit(ordo_client_t *self, const ordo_submit_t *task, uint64_t *id)
{
    if (!self || !task || !id)
        return ordo_cl_fail(ORDO_EINVAL, "ordo_submit: NULL argument");
    int rc = s_check_task(task);
    if (rc < 0)
        return rc;
    /* The encoded size, to keep every message under the daemon's limit. */
    size_t klen = strlen(task->kernel);
    size_t bound = ordo_wire_task_bound(task, klen);

    bool lead = false;
    pthread_mutex_lock(&self->mu);
    if ((rc = s_broken_locked(self)) < 0)
        goto out;
    if (bound == SIZE_MAX) {
        rc = ordo_cl_fail(ORDO_ELIMIT, "task '%s': its params_len and data_len add up to more "
                          "than any message holds", task->kernel);
        goto out;
    }
    if (bound > self->max_message) {
        rc = ordo_cl_fail(ORDO_ELIMIT, "task '%s' needs about %zu bytes on the wire, more "
                          "than ordod's limit of %llu: split its data", task->kernel, bound,
                          (unsigned long long)self->max_message);
        goto out;
    }
    /* Credits: wait for completions, sending what we hold meanwhile. */
    while (self->unfinished >= self->credits) {
        if (task->flags & ORDO_SUBMIT_NONBLOCK) {
            rc = ordo_cl_fail(ORDO_EAGAIN, "the session holds its %u credits "
                              "(unfinished tasks): wait for some to complete",
                              self->credits);
            goto out;
        }
        if ((rc = s_flush_locked(self)) < 0)
            goto out;
        s_wait_locked(self, &lead, NULL);
        if ((rc = s_broken_locked(self)) < 0)
            goto out;
    }
    s_lead_end_locked(self, &lead);
    /* The batch's Submit so far is b->sub.len bytes (the head room
     * included): the next task goes in when its bound still fits. */
    s_batch_t *b = &self->batch;
    size_t limit = self->max_message < S_BATCH_BYTES ? self->max_message : S_BATCH_BYTES;
    if (b->n > 0 && b->sub.len + bound > limit && (rc = s_flush_locked(self)) < 0)
        goto out;
    /* Room first: once the record exists nothing can fail. */
    if (ordo_wire_submit_reserve(&b->sub, bound) < 0) {
        rc = ordo_cl_fail(ORDO_ENOMEM, "out of memory batching a task");
        goto out;
    }
    uint64_t tid = ORDO_TASK_ID(self->session, self->next_seq);
    s_rec_t *r = s_rec_new_locked(self, tid, S_OWN);
    if (!r) {
        rc = ordo_cl_fail(ORDO_ENOMEM, "out of memory");
        goto out;
    }
    r->read_dst = task->read_dst;
    r->read_len = task->read_len;
    ordo_wire_submit_task(&b->sub, tid, task, klen);
    if (b->n++ == 0)
        b->since_ns = s_now_ns();
    self->next_seq++;
    self->unfinished++;
    *id = tid;
    if (b->n >= (size_t)self->batch_max_tasks || b->sub.len >= limit ||
        (task->flags & ORDO_SUBMIT_FLUSH))
        s_flush_locked(self);       /* sent by s_unlock; on failure the timer retries */
    if (self->batch.n == 1)
        s_wake_locked(self);        /* start the flush timer */
out:
    s_lead_end_locked(self, &lead);
    s_unlock(self);
    return rc;
}

int ordo_flush(ordo_client_t *self)
{
    if (!self)
        return ordo_cl_fail(ORDO_EINVAL, "ordo_flush: NULL client");
    pthread_mutex_lock(&self->mu);
    int rc = s_broken_locked(self);
    if (rc == 0)
        rc = s_flush_locked(self);
    s_unlock(self);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Events. */

/* Watches a foreign id (a record, and Watch on the out queue).  Returns
 * the record, NULL on error (last error set). */
static s_rec_t *s_watch_locked(ordo_client_t *self, uint64_t id)
{
    s_rec_t *r = s_rec_get_locked(self, id);
    if (r)
        return r;
    r = s_rec_new_locked(self, id, S_WATCH);
    if (!r) {
        ordo_cl_fail(ORDO_ENOMEM, "out of memory");
        return NULL;
    }
    ordo_wbuf_t msg;
    if (ordo_wire_watch(&msg, &id, 1) < 0 || s_send_locked(self, &msg) < 0) {
        s_rec_free_locked(self, r);
        ordo_cl_fail(ORDO_ENOMEM, "out of memory");
        return NULL;
    }
    return r;
}

/* The answer for an own id that has no record (any more): under
 * quiet_success it finished well (failures keep their record); otherwise
 * its event was delivered already.  ev receives what is known. */
static int s_own_missing_locked(ordo_client_t *self, uint64_t id, ordo_event_t *ev,
                                const char *by)
{
    if (s_earlier(self, id))
        return ordo_cl_fail(ORDO_ENOENT, "the event of task %#llx was already delivered (%s)",
                            (unsigned long long)id, by);
    uint64_t seq = ORDO_TASK_SEQ(id);
    if (seq < self->first_seq || seq >= self->next_seq)
        return ordo_cl_fail(ORDO_EINVAL, "task %#llx was never submitted by this session",
                            (unsigned long long)id);
    if (self->quiet) {
        if (ev) {
            memset(ev, 0, sizeof *ev);
            ev->id = id;
            ev->state = ORDO_TASK_DONE;
        }
        return 0;
    }
    return ordo_cl_fail(ORDO_ENOENT, "the event of task %#llx was already delivered (%s)",
                        (unsigned long long)id, by);
}

/* Checks an id the application asks about; 0 when it is known here or
 * is another session's. */
static int s_check_id_locked(ordo_client_t *self, uint64_t id)
{
    if (id == 0)
        return ordo_cl_fail(ORDO_EINVAL, "task id 0 does not exist");
    if (ORDO_TASK_SESSION(id) != self->session || s_rec_get_locked(self, id))
        return 0;
    uint64_t seq = ORDO_TASK_SEQ(id);
    if (seq >= self->first_seq && seq < self->next_seq)
        return ordo_cl_fail(ORDO_ENOENT, "the event of task %#llx was already delivered "
                            "(by ordo_poll or an earlier ordo_wait)",
                            (unsigned long long)id);
    return ordo_cl_fail(ORDO_EINVAL, "task %#llx was never submitted by this session",
                        (unsigned long long)id);
}

/* ordo_wait on an earlier id (s_earlier) without a record: its completion
 * may have gone with the old connection, so ask the daemon (a Watch, which
 * it answers for such an id once finished), then sync: every completion
 * of the id that the daemon sends because of the Watch arrives before the
 * Reply, into the one record, so the id is delivered once. */
static int s_wait_earlier_locked(ordo_client_t *self, uint64_t id)
{
    int rc = s_broken_locked(self);
    if (rc < 0)
        return rc;
    if (!s_watch_locked(self, id))
        return ORDO_ENOMEM;
    s_req_t rq = {.req = self->next_req++};
    ordo_wbuf_t msg;
    if (ordo_wire_heartbeat(&msg, rq.req) < 0)
        return ordo_cl_fail(ORDO_ENOMEM, "out of memory");
    return s_request_locked(self, &msg, &rq, "asking about an earlier task",
                            self->request_timeout_ms);
}

int ordo_wait(ordo_client_t *self, uint64_t id, int timeout_ms, ordo_event_t *ev)
{
    if (!self)
        return ordo_cl_fail(ORDO_EINVAL, "ordo_wait: NULL client");
    bool lead = false;
    pthread_mutex_lock(&self->mu);
    s_rec_t *r = s_rec_get_locked(self, id);
    int rc = 0;
    if (!r && s_earlier(self, id)) {
        rc = s_wait_earlier_locked(self, id);
        if (rc < 0)
            goto out;
        r = s_rec_get_locked(self, id);
    }
    if (!r && id != 0 && ORDO_TASK_SESSION(id) == self->session) {
        rc = s_own_missing_locked(self, id, ev, "by ordo_poll or an earlier ordo_wait");
        goto out;
    }
    if ((rc = s_check_id_locked(self, id)) < 0)
        goto out;
    if (!r || !(r->flags & S_TERMINAL)) {
        if ((rc = s_broken_locked(self)) < 0)
            goto out;
        if (!r && !(r = s_watch_locked(self, id))) {
            rc = ORDO_ENOMEM;
            goto out;
        }
        if ((rc = s_flush_locked(self)) < 0)
            goto out;
    }
    struct timespec dl = s_deadline(timeout_ms > 0 ? timeout_ms : 0);
    for (;;) {
        /* Look up again after every sleep: another thread may have taken
         * the event with ordo_poll. */
        r = s_rec_get_locked(self, id);
        if (!r && ORDO_TASK_SESSION(id) == self->session) {
            rc = s_own_missing_locked(self, id, ev, "to another caller");
            goto out;
        }
        if (!r) {
            rc = ordo_cl_fail(ORDO_ENOENT, "the event of task %#llx was delivered to "
                              "another caller", (unsigned long long)id);
            goto out;
        }
        if (r->flags & S_TERMINAL) {
            rc = s_consume_locked(self, r, ev);
            goto out;
        }
        if ((rc = s_broken_locked(self)) < 0)
            goto out;
        if (timeout_ms == 0 || !s_wait_locked(self, &lead, timeout_ms < 0 ? NULL : &dl)) {
            r = s_rec_get_locked(self, id);
            if (r && (r->flags & S_TERMINAL)) {
                rc = s_consume_locked(self, r, ev);
                goto out;
            }
            rc = ordo_cl_fail(ORDO_ETIMEDOUT, "task %#llx has not finished after %d ms",
                              (unsigned long long)id, timeout_ms);
            goto out;
        }
    }
out:
    s_lead_end_locked(self, &lead);
    s_unlock(self);
    return rc;
}

int ordo_wait_idle(ordo_client_t *self, int timeout_ms)
{
    if (!self)
        return ordo_cl_fail(ORDO_EINVAL, "ordo_wait_idle: NULL client");
    pthread_mutex_lock(&self->mu);
    int rc = s_flush_locked(self);
    struct timespec dl = s_deadline(timeout_ms > 0 ? timeout_ms : 0);
    bool lead = false;
    while (rc == 0 && self->unfinished > 0) {
        if ((rc = s_broken_locked(self)) < 0)
            break;
        if (timeout_ms == 0 || !s_wait_locked(self, &lead, timeout_ms < 0 ? NULL : &dl)) {
            if (self->unfinished > 0)
                rc = ordo_cl_fail(ORDO_ETIMEDOUT, "%llu tasks still unfinished after %d ms",
                                  (unsigned long long)self->unfinished, timeout_ms);
            break;
        }
    }
    s_lead_end_locked(self, &lead);
    s_unlock(self);
    return rc;
}

int ordo_watch(ordo_client_t *self, const uint64_t *ids, int n)
{
    if (!self || n < 0 || (n > 0 && !ids))
        return ordo_cl_fail(ORDO_EINVAL, "ordo_watch: bad arguments");
    pthread_mutex_lock(&self->mu);
    int rc = s_broken_locked(self);
    for (int i = 0; rc == 0 && i < n; i++) {
        if (ORDO_TASK_SESSION(ids[i]) == self->session)
            continue;               /* own ids are reported anyway */
        if ((rc = s_check_id_locked(self, ids[i])) == 0 && !s_watch_locked(self, ids[i]))
            rc = ORDO_ENOMEM;
    }
    s_unlock(self);
    return rc;
}

int ordo_poll(ordo_client_t *self, ordo_event_t *events, int max, int timeout_ms)
{
    if (!self || max < 0 || (max > 0 && !events))
        return ordo_cl_fail(ORDO_EINVAL, "ordo_poll: bad arguments");
    pthread_mutex_lock(&self->mu);
    int rc = self->broken ? 0 : s_flush_locked(self);
    struct timespec dl = s_deadline(timeout_ms > 0 ? timeout_ms : 0);
    bool lead = false;
    while (rc == 0 && !self->ev_head) {
        if ((rc = s_broken_locked(self)) < 0)
            break;
        if (timeout_ms == 0 || !s_wait_locked(self, &lead, timeout_ms < 0 ? NULL : &dl))
            break;
    }
    if (rc == 0) {
        int n = 0;
        while (n < max && self->ev_head) {
            /* The return value is the task's outcome, carried in the event. */
            s_consume_locked(self, self->ev_head, &events[n]);
            n++;
        }
        rc = n;
    }
    s_lead_end_locked(self, &lead);     /* after: see s_release_note_locked */
    s_unlock(self);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Built-in kernels. */

static void s_put_le64(uint8_t out[8], uint64_t v)
{
    for (int i = 0; i < 8; i++)
        out[i] = (uint8_t)(v >> (8 * i));
}

static void s_put_f64(uint8_t out[8], double d)
{
    uint64_t v;
    memcpy(&v, &d, sizeof v);
    s_put_le64(out, v);
}

/* Bytes of a view packed row-major, or 0 (with the last error) when the
 * view is malformed or len does not match. */
static int s_check_len(const ordo_tensor_t *t, size_t len, const char *what)
{
    if (!t || t->ndim < 0 || t->ndim > ORDO_MAX_NDIM || !ordo_dtype_size(t->dtype))
        return ordo_cl_fail(ORDO_EINVAL, "%s: malformed view", what);
    uint64_t n = ordo_tensor_elements(t), es = ordo_dtype_size(t->dtype);
    if (n > UINT64_MAX / es || n * es != len)
        return ordo_cl_fail(ORDO_EINVAL, "%s: the view holds %llu elements of %llu bytes, "
                            "the host memory has %zu bytes", what, (unsigned long long)n,
                            (unsigned long long)es, len);
    return 0;
}

int ordo_write(ordo_client_t *self, const ordo_tensor_t *dst, const void *src,
               size_t len, uint64_t *id)
{
    int rc = s_check_len(dst, len, "ordo_write");
    if (rc < 0)
        return rc;
    ordo_access_t a[1] = {{dst, ORDO_OUT}};
    ordo_submit_t t = {.kernel = "host_write", .args = a, .nargs = 1,
                       .data = src, .data_len = len};
    return ordo_submit(self, &t, id);
}

int ordo_read(ordo_client_t *self, const ordo_tensor_t *src, void *dst, size_t len,
              uint64_t *id)
{
    int rc = s_check_len(src, len, "ordo_read");
    if (rc < 0)
        return rc;
    /* The bytes come back in one Completion, which must fit in a message
     * (PROTOCOL.md keeps 4 KiB for the envelope). */
    if (self && len + S_READ_HEADROOM > self->max_message)
        return ordo_cl_fail(ORDO_ELIMIT, "ordo_read of %zu bytes: more than ordod's "
                            "message limit of %llu allows in one task; read the view in "
                            "slices", len, (unsigned long long)self->max_message);
    ordo_access_t a[1] = {{src, ORDO_IN}};
    ordo_submit_t t = {.kernel = "host_read", .args = a, .nargs = 1,
                       .read_dst = dst, .read_len = len};
    return ordo_submit(self, &t, id);
}

int ordo_fill(ordo_client_t *self, const ordo_tensor_t *dst, double value, uint64_t *id)
{
    uint8_t p[8];
    s_put_f64(p, value);
    ordo_access_t a[1] = {{dst, ORDO_OUT}};
    ordo_submit_t t = {.kernel = "fill", .args = a, .nargs = 1, .params = p,
                       .params_len = sizeof p};
    return ordo_submit(self, &t, id);
}

int ordo_copy(ordo_client_t *self, const ordo_tensor_t *dst, const ordo_tensor_t *src,
              uint64_t *id)
{
    ordo_access_t a[2] = {{dst, ORDO_OUT}, {src, ORDO_IN}};
    ordo_submit_t t = {.kernel = "copy", .args = a, .nargs = 2};
    return ordo_submit(self, &t, id);
}

int ordo_axpy(ordo_client_t *self, const ordo_tensor_t *y, double alpha,
              const ordo_tensor_t *x, uint64_t *id)
{
    uint8_t p[8];
    s_put_f64(p, alpha);
    ordo_access_t a[2] = {{y, ORDO_INOUT}, {x, ORDO_IN}};
    ordo_submit_t t = {.kernel = "axpy", .args = a, .nargs = 2, .params = p,
                       .params_len = sizeof p};
    return ordo_submit(self, &t, id);
}

int ordo_scale(ordo_client_t *self, const ordo_tensor_t *x, double alpha, uint64_t *id)
{
    uint8_t p[8];
    s_put_f64(p, alpha);
    ordo_access_t a[1] = {{x, ORDO_INOUT}};
    ordo_submit_t t = {.kernel = "scale", .args = a, .nargs = 1, .params = p,
                       .params_len = sizeof p};
    return ordo_submit(self, &t, id);
}

/* ---------------------------------------------------------------------- */
/* Status socket. */

int ordo_status_query(const char *endpoint, const char *command,
                      const char *const *args, int nargs, int json, int timeout_ms,
                      char **text)
{
    if (!command || !text)
        return ordo_cl_fail(ORDO_EINVAL, "ordo_status_query: needs a command and a result");
    *text = NULL;
    char ep[S_ENDPOINT_MAX];
    int rc;
    if (endpoint) {
        snprintf(ep, sizeof ep, "%s", endpoint);
    } else if ((rc = ordo_default_status_endpoint(ep, sizeof ep)) < 0) {
        return rc;
    }
    if (timeout_ms <= 0)
        timeout_ms = S_CONNECT_TIMEOUT_MS;
    ordo_wbuf_t rq;
    if (ordo_wire_status_request(&rq, command, args, nargs, json) < 0)
        return ordo_cl_fail(ORDO_ENOMEM, "out of memory");
    void *ctx = zmq_ctx_new();
    void *sock = ctx ? zmq_socket(ctx, ZMQ_REQ) : NULL;
    void *mon = ctx ? zmq_socket(ctx, ZMQ_PAIR) : NULL;
    if (!sock || !mon) {
        rc = ordo_cl_fail(ORDO_EIO, "zmq: %s", zmq_strerror(zmq_errno()));
        goto out;
    }
    int zero = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(mon, ZMQ_LINGER, &zero, sizeof zero);
    /* A refused key or a failed security handshake ends the query at once
     * rather than at the timeout. */
    char monaddr[64];
    snprintf(monaddr, sizeof monaddr, "inproc://ordo-status-monitor-%p", sock);
    if (zmq_socket_monitor(sock, monaddr, S_HANDSHAKE_EVENTS) < 0 ||
        zmq_connect(mon, monaddr) < 0) {
        rc = ordo_cl_fail(ORDO_EIO, "zmq monitor: %s", zmq_strerror(zmq_errno()));
        goto out;
    }
    if ((rc = s_curve_client(sock, ep)) < 0)
        goto out;
    bool curve = rc == 1;
    if (zmq_connect(sock, ep) < 0) {
        rc = ordo_cl_fail(ORDO_EINVAL, "cannot connect to '%s': %s", ep,
                          zmq_strerror(zmq_errno()));
        goto out;
    }
    if (zmq_send(sock, rq.data + rq.off, rq.len, ZMQ_DONTWAIT) < 0) {
        rc = ordo_cl_fail(ORDO_EIO, "cannot send to '%s': %s", ep, zmq_strerror(zmq_errno()));
        goto out;
    }
    uint64_t deadline = s_now_ns() + (uint64_t)timeout_ms * 1000000u;
    rc = ordo_cl_fail(ORDO_ETIMEDOUT, "no answer from ordod's status socket %s within %d ms%s",
                      ep, timeout_ms, s_ipc_hint(ep));
    for (uint64_t now = s_now_ns(); now < deadline; now = s_now_ns()) {
        zmq_pollitem_t it[2] = {{sock, 0, ZMQ_POLLIN, 0}, {mon, 0, ZMQ_POLLIN, 0}};
        if (zmq_poll(it, 2, (long)((deadline - now + 999999) / 1000000)) <= 0)
            continue;
        if (it[1].revents & ZMQ_POLLIN) {
            int hrc = s_handshake_failed(mon, ep, curve);
            if (hrc < 0) {
                rc = hrc;
                break;
            }
        }
        if (!(it[0].revents & ZMQ_POLLIN))
            continue;
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, sock, 0) < 0) {
            zmq_msg_close(&msg);
            rc = ordo_cl_fail(ORDO_EIO, "receive: %s", zmq_strerror(zmq_errno()));
            break;
        }
        int code = 0;
        rc = ordo_wire_status_reply(zmq_msg_data(&msg), zmq_msg_size(&msg), &code, text);
        zmq_msg_close(&msg);
        if (rc < 0) {
            rc = ordo_cl_fail(rc, "%s answered with something that is not a StatusReply", ep);
        } else if (code < 0) {
            rc = ordo_cl_fail(code, "%s", (*text)[0] ? *text : ordo_strerror(code));
        }
        break;
    }
out:
    free(rq.data);
    if (sock) {
        zmq_socket_monitor(sock, NULL, 0);
        zmq_close(sock);
    }
    if (mon)
        zmq_close(mon);
    if (ctx)
        zmq_ctx_term(ctx);
    return rc;
}
