/*
 * graph.h - the task graph: hazard analysis, explicit dependencies, the
 * ready queue, completion and failure.
 *
 * The graph holds every unfinished task in a table of bounded size (the
 * window).  Submitting a task looks up, for each of its arguments, the live
 * accesses of the same buffer whose footprints intersect its own, and adds an
 * edge from each conflicting one (RAW, WAR or WAW); explicit dependencies add
 * edges of their own kind.  A write that contains an older access retires it
 * from the index: the older task stays ordered before every later access
 * through the writer, so an in-place update chain keeps the index small.
 * Likewise a read that contains an older read, whose task precedes it
 * through a direct predecessor, retires that read.
 *
 * Ordering contract (DESIGN.md, semantics 1-7):
 *  - task ids are accepted in order, per session strictly sequential;
 *  - B starts after A when an argument of each intersects on the same buffer
 *    and one of them writes, or when B names A explicitly;
 *  - a task is cancelled when a predecessor (derived or explicit) is failed
 *    or cancelled at the moment of its acceptance or later; failure of a task
 *    cancels its successors transitively.  A cancelled task never runs but
 *    stays in the graph, as a barrier, until its own predecessors finish, so
 *    that the accesses it retired stay ordered.
 *
 * The graph does no I/O, takes no lock and reads no clock.  Memory comes from
 * pools that grow and never shrink, so the steady state does not allocate.
 */
#ifndef ORDO_GRAPH_H_INCLUDED
#define ORDO_GRAPH_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "index.h"
#include "ordo.h"
#include "view.h"

/* Edge kinds; an edge found for several reasons carries several bits. */
enum {
    ORDO_EDGE_RAW = 1,
    ORDO_EDGE_WAR = 2,
    ORDO_EDGE_WAW = 4,
    ORDO_EDGE_EXPLICIT = 8
};

/* One argument of a task: a view of a buffer and how the task accesses it. */
typedef struct {
    ordo_index_t *index;    /* the buffer's access index */
    ordo_view_t view;
    int mode;               /* ORDO_IN, ORDO_OUT or ORDO_INOUT */
} ordo_arg_t;

typedef struct {
    uint64_t id;            /* ORDO_TASK_ID(session, next sequence) */
    const ordo_arg_t *args;
    uint32_t nargs;
    const uint64_t *deps;   /* explicit dependencies, may repeat */
    uint32_t ndeps;
    void *user;             /* returned with the task when it is ready */
    /* Every view already passed ordo_view_check against its index's size
     * (the daemon checks them before a kernel's check hook sees them), so
     * the graph need not check them again. */
    bool views_checked;
} ordo_task_desc_t;

typedef struct {
    uint32_t window;        /* most unfinished tasks held at once */
    /* Most failed and cancelled ids whose outcome is remembered (16 bytes
     * each); 0: no bound.  Past it the oldest is forgotten, and with it
     * every id of its session up to it (see ordo_graph_forgotten). */
    uint64_t max_tombs;
    /* Called for every new edge (tests, tracing); may be NULL. */
    void (*on_edge)(void *arg, uint64_t from, uint64_t to, unsigned kinds);
    void *on_edge_arg;
    /* UNSAFE, tests only: derive no WAR edges, to prove that the tests
     * catch the race.  Honoured only in builds configured with
     * --enable-unsafe-drop-war; ignored otherwise. */
    bool unsafe_drop_war;
} ordo_graph_config_t;

/* A task that ended without running: cancelled because of cause. */
typedef struct {
    uint64_t id;
    uint64_t cause;         /* the failed task at the root */
    void *user;
} ordo_cancel_t;

typedef struct {
    uint64_t accepted, done, failed, cancelled;
    uint64_t live, waiting, ready, running;
    uint64_t edges, edges_raw, edges_war, edges_waw, edges_explicit;
    uint64_t retired;       /* accesses retired by a containing write or read */
    uint64_t index_accesses;/* accesses now in all indexes */
    uint64_t index_bytes;   /* tree nodes held for the indexes (peak use) */
    uint64_t graph_bytes;   /* the graph's own tables (see ordo_graph_stats) */
    uint64_t tombs;         /* failed and cancelled ids remembered */
    uint64_t tombs_forgotten;/* ... and forgotten (max_tombs) */
    uint64_t window;
    ordo_geom_stats_t geom;
} ordo_graph_stats_t;

typedef struct ordo_graph ordo_graph_t;

/* Returns a new graph, or NULL when out of memory or window is 0. */
ordo_graph_t *ordo_graph_new(const ordo_graph_config_t *cfg);
void ordo_graph_destroy(ordo_graph_t **self_p);

/* Accepts a task.  Returns 0, or (nothing changed):
 *   ORDO_EAGAIN   the window is full; retry after completions;
 *   ORDO_ESEQ     desc->id is not the next id of its session;
 *   ORDO_EINVAL   a malformed argument (mode, view);
 *   ORDO_ERANGE   a view leaves its buffer or overflows;
 *   ORDO_ENOENT   an explicit dependency names an id never accepted.
 * On error a reason is written to err when it is not NULL.  An accepted task
 * is ready at once, waiting, or cancelled (see ordo_graph_pop_cancel). */
int ordo_graph_submit(ordo_graph_t *g, const ordo_task_desc_t *desc,
                      char *err, size_t errlen);

/* Accepts id as failed without running it (a request the caller rejected),
 * so that the id is known and dependents naming it are cancelled.  Returns 0
 * or ORDO_ESEQ. */
int ordo_graph_reject(ordo_graph_t *g, uint64_t id);

/* Takes the oldest ready task and marks it running.  Returns 0, or
 * ORDO_EAGAIN when no task is ready. */
int ordo_graph_pop_ready(ordo_graph_t *g, uint64_t *id, void **user);

/* Number of ready tasks; ordo_graph_pop_ready_at(i) takes the i-th oldest
 * (chaos mode picks at random). */
uint32_t ordo_graph_ready_count(const ordo_graph_t *g);
int ordo_graph_pop_ready_at(ordo_graph_t *g, uint32_t i, uint64_t *id, void **user);

/* A running task finished well: its successors may become ready.
 * Returns 0 or ORDO_EINVAL when id is not running. */
int ordo_graph_complete(ordo_graph_t *g, uint64_t id);

/* A running task failed: every task that depends on it is cancelled,
 * transitively.  Returns 0 or ORDO_EINVAL when id is not running. */
int ordo_graph_fail(ordo_graph_t *g, uint64_t id);

/* Takes the oldest pending cancellation report.  Returns 0 or ORDO_EAGAIN. */
int ordo_graph_pop_cancel(ordo_graph_t *g, ordo_cancel_t *out);

/* State of any id: ORDO_TASK_UNKNOWN for ids never accepted, and for
 * forgotten ones.  Finished ids report done, failed or cancelled. */
ordo_task_state_t ordo_graph_state(const ordo_graph_t *g, uint64_t id);

/* Was id accepted and has it ended so long ago that its outcome is no
 * longer known?  With max_tombs set, when a failed or cancelled id is
 * forgotten, every finished id of its session up to it is: whether one of
 * them failed can no longer be told, so none counts as done (an explicit
 * dependency on one is refused, never taken as satisfied). */
bool ordo_graph_forgotten(const ordo_graph_t *g, uint64_t id);

/* Edge kinds from one live task to another, 0 when there is no edge. */
unsigned ordo_graph_edge(const ordo_graph_t *g, uint64_t from, uint64_t to);

/* Calls fn for every live task and for every edge between live tasks. */
typedef struct {
    void (*task)(void *arg, uint64_t id, ordo_task_state_t state, void *user);
    void (*edge)(void *arg, uint64_t from, uint64_t to, unsigned kinds);
} ordo_graph_visitor_t;
void ordo_graph_walk(const ordo_graph_t *g, const ordo_graph_visitor_t *v, void *arg);

/* Counters and gauges.  graph_bytes counts the memory the graph holds
 * besides the index nodes: task slots, id map, edges, accesses and
 * footprints, rings, session streams, tombstones and scratch, pooled
 * entries included (pools never shrink: the peak).  The slot and edge
 * tables count the entries ever used: the rest of their capacity is never
 * touched, so it is no memory yet. */
void ordo_graph_stats(const ordo_graph_t *g, ordo_graph_stats_t *out);

#endif /* ORDO_GRAPH_H_INCLUDED */
