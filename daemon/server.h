/*
 * server.h - the scheduler thread of ordod: sockets, sessions, buffers,
 * tasks, and the calls into the core.
 *
 * One thread runs ordo_server_run(): it owns the client ROUTER socket, the
 * status REP socket, every session and buffer, and the task graph (the core
 * takes no lock because only this thread calls it).  Worker threads run
 * kernels (executor.c) and hand finished tasks back through a queue.
 */
#ifndef ORDO_SERVER_H_INCLUDED
#define ORDO_SERVER_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ordo_config.h"
#include "graph.h"
#include "buffer.h"
#include "kernels.h"

typedef struct ordo_server ordo_server_t;

/* Binds the endpoints and starts the workers.  SIGINT and SIGTERM must be
 * blocked in every thread before the call (main does it): the server reads
 * them through a signalfd.  cfg and kernels must outlive the server.
 * Returns NULL with a reason in err. */
ordo_server_t *ordo_server_new(const ordo_config_t *cfg, ordo_kernels_t *kernels,
                               char *err, size_t errlen);
/* Frees the server.  After a drain timeout (ordo_server_abandoned) it only
 * flushes and closes the sockets and leaves *self_p set: workers may still
 * be running kernels, so the caller must exit the process instead. */
void ordo_server_destroy(ordo_server_t **self_p);

/* Serves until SIGINT or SIGTERM, then stops intake, drains accepted tasks
 * (at most drain-timeout seconds), sends the last notifications and
 * returns 0.  A second signal during the drain ends it at once. */
int ordo_server_run(ordo_server_t *self);

/* The endpoints as bound (tcp://host:* resolved to the chosen port). */
const char *ordo_server_endpoint(const ordo_server_t *self);
const char *ordo_server_status_endpoint(const ordo_server_t *self);

/* True when the last run ended by the drain timeout: workers may still be
 * running kernels, so the caller must not unload plugins (it exits). */
bool ordo_server_abandoned(const ordo_server_t *self);

/* Counters for the status commands. */
typedef struct {
    const char *version;
    uint64_t pid, uptime_s, workers, window, credits, chaos_seed;
    uint64_t sessions_active, sessions_total;
    uint64_t buffers, buffer_bytes;
    uint64_t task_record_bytes; /* task records with their arguments, pooled
                                   ones included */
    ordo_graph_stats_t graph;
    const ordo_config_t *cfg;   /* the limits in force */
} ordo_server_info_t;

void ordo_server_info(const ordo_server_t *self, ordo_server_info_t *out);

/* One line for systemd's STATUS= and ordoctl top: "N sessions, M tasks in
 * flight, ...". */
void ordo_server_status_line(const ordo_server_t *self, char *out, size_t outlen);

/* ------------------------------------------------------------------ */
/* Views of the live state, for the status commands.  The pointers passed
 * to the callbacks are valid only during the call.                      */

typedef struct {
    uint32_t id;
    const char *client;         /* as the client named itself in Hello */
    uint64_t next_seq;
    uint64_t unfinished;        /* accepted tasks without a completion yet */
    uint64_t handles;           /* buffers held */
    uint64_t queued;            /* tasks waiting for the window */
    bool blocked;               /* waiting for the window */
    bool attached;              /* false: connection gone, kept for a resume */
    uint64_t idle_ms;           /* since the last message */
} ordo_session_info_t;

void ordo_server_sessions(const ordo_server_t *self,
                          void (*fn)(void *arg, const ordo_session_info_t *s), void *arg);

void ordo_server_buffers(const ordo_server_t *self,
                         void (*fn)(void *arg, const ordo_buffer_t *b), void *arg);

typedef struct {
    uint64_t id;
    ordo_task_state_t state;
    uint32_t session;
    const char *kernel;         /* NULL for a cancelled task kept as a barrier */
    uint64_t age_us;            /* since acceptance (0 when unknown) */
} ordo_task_info_t;

typedef struct {
    void (*task)(void *arg, const ordo_task_info_t *t);
    void (*edge)(void *arg, uint64_t from, uint64_t to, unsigned kinds);
} ordo_server_visitor_t;

/* Visits every live task and every edge between live tasks (graph.h). */
void ordo_server_walk(const ordo_server_t *self, const ordo_server_visitor_t *v, void *arg);

/* A task that ran, as kept for the trace (times: CLOCK_MONOTONIC ns). */
typedef struct {
    uint64_t id;
    uint32_t session, worker;
    const char *kernel;
    bool failed;
    uint64_t accepted_ns, started_ns, finished_ns;
} ordo_trace_rec_t;

/* Visits the most recent finished tasks (at most the ring's size), oldest
 * first; returns how many tasks finished since the start. */
uint64_t ordo_server_trace(const ordo_server_t *self,
                           void (*fn)(void *arg, const ordo_trace_rec_t *r), void *arg);

/* CLOCK_MONOTONIC of the daemon's start, the origin of trace timestamps. */
uint64_t ordo_server_start_ns(const ordo_server_t *self);

#endif /* ORDO_SERVER_H_INCLUDED */
