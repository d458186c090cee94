/*
 * graph.c - the task graph (see graph.h for the contract).
 *
 * Storage, all index-based so arrays may grow by realloc:
 *  - tasks: a slot table; free slots are chained; a slot's generation
 *    changes on reuse so that stale edges to it are recognised; slots past
 *    the highest ever used are untouched (no memory until a window fills);
 *  - a hash table (open addressing, linear probing, backward-shift delete)
 *    from live task id to slot: 8-byte entries, a hash and a slot, the id
 *    itself being in the slot;
 *  - edges: a pool of successor-list nodes, freed with their source task;
 *  - accesses: fixed-size chunks (the index trees point into them, so they
 *    must never move), chained on a free list; the footprints of accesses
 *    that are not one run of bytes in chunks of their own, likewise;
 *  - the ready queue: a ring of slots;
 *  - streams: per session, the next sequence number; ids below it were
 *    accepted, so any id can be classified without remembering every task;
 *  - tombstones: failed and cancelled ids that left the table, with cause,
 *    in a hash table and, when their number is bounded (max_tombs), in a
 *    ring in the order they came: the oldest is forgotten first, and its
 *    session's streams entry remembers up to which sequence ids are
 *    forgotten.
 * Pools grow and never shrink, so a steady state allocates nothing.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "graph.h"

#define S_NONE UINT32_MAX
#define S_ACCESS_CHUNK 1024

enum { S_FREE = 0, S_WAITING, S_READY, S_RUNNING };

/* An access: one cache line.  A footprint that is one run of bytes (most
 * are) is all in its bounds, node.lo and node.hi (run is set); any other
 * (168 bytes) lives apart, from a pool of its own.  A window of accesses
 * then fits in a core's cache, and runs take no footprint memory.
 *
 * Read groups.  Live reads of the very same run of bytes share one entry
 * of the index: the first of them (the leader) is in the tree under
 * the key (lo, S_GROUP_KEY | hi), which no other entry can have, and the
 * others (followers) hang from it in a list.  A read of bytes that are
 * already being read, the common case of a hot input, then finds the
 * leader in one descent and joins its list: no shift in a node and no
 * summary to widen, and leaving is an unlink.  A write that meets the
 * leader meets every member; one that covers the run retires them all by
 * removing one entry.  When the leader leaves first, a follower takes its
 * place in the tree (ordo_itree_replace).  A follower's seq and leaf are
 * free (it is in no tree): they hold its links. */
typedef struct s_access {
    union {
        ordo_inode_t node;  /* first: the index hands back node pointers;
                               lo and hi are the footprint's bounds */
        struct {            /* a follower: lo, hi as in node, then links */
            uint64_t lo, hi;
            struct s_access *next, **pprev;
        } f;
    };
    struct s_access *next;  /* next access of the same task, or free list */
    ordo_index_t *index;
    union {
        ordo_fp_t *fp;      /* !run: the footprint */
        struct s_access *first; /* run: a leader's first follower, or NULL */
    };
    uint32_t task;          /* slot */
    uint8_t mode;
    uint8_t where;          /* S_OUT, S_TREE or S_FOLLOWER */
    uint8_t retiring;       /* 0, S_RETIRE_ONE or S_RETIRE_GROUP */
    bool run : 1;           /* the footprint is [node.lo, node.hi) */
    bool outlived : 1;      /* a read a later write met but did not cover
                               (of a group: its leader) */
} __attribute__((aligned(64))) s_access_t;

enum { S_OUT = 0, S_TREE, S_FOLLOWER };
enum { S_RETIRE_ONE = 1, S_RETIRE_GROUP };

/* The high bit of a group leader's seq: access_seq never reaches it, so a
 * group's key is unique; a run that ends past it is never grouped. */
#define S_GROUP_KEY (UINT64_C(1) << 63)

/* Slots of the table of group leaders seen last, by index and bytes: a
 * read that finds its group there takes no descent of the tree. */
#define S_HINTS 256

_Static_assert(sizeof(s_access_t) == 64, "an access is one cache line");

/* A footprint of the pool, or a link of its free list. */
typedef union s_fpslot {
    ordo_fp_t fp;
    union s_fpslot *next;
} s_fpslot_t;

#define S_FP_CHUNK 256

typedef struct {
    uint64_t id;
    uint64_t cause;         /* cancelled: the failed root */
    void *user;
    s_access_t *accesses;
    uint32_t gen;
    uint32_t pending;       /* predecessors not yet finished */
    uint32_t succ;          /* successor edges, in acceptance order */
    uint32_t succ_tail;     /* the last one: edges into a task are all made
                               during its submit, so it is the one to widen */
    uint32_t mark;          /* traversal epoch */
    uint8_t state;
    bool cancelled;
} s_task_t;

typedef struct {
    uint32_t to, gen, next;
    uint8_t kinds;
} s_edge_t;

typedef struct {
    uint64_t id, cause;     /* id 0 marks an empty entry */
} s_tomb_t;

typedef struct {
    uint32_t hash;          /* s_hash of the id */
    uint32_t slot1;         /* slot + 1; 0 marks an empty entry */
} s_mapent_t;

typedef struct {
    uint64_t next;          /* next sequence; 0: none yet (1) */
    uint64_t forgotten;     /* ids up to this sequence are forgotten */
} s_stream_t;

struct ordo_graph {
    ordo_graph_config_t cfg;

    s_task_t *tasks;
    uint32_t ntasks, free_task;     /* slots allocated; free chain */
    uint32_t nused;                 /* slots ever used (initialised) */

    s_mapent_t *map;                /* id 0 = empty */
    uint32_t map_mask;
    uint32_t map_shift;             /* log2(map_mask + 1) - 3 */

    s_edge_t *edges;
    uint32_t nedges, cap_edges, free_edge;

    void **chunks;                  /* of accesses and of footprints */
    uint32_t nchunks;
    uint64_t chunk_bytes;
    s_access_t *free_access;
    s_fpslot_t *free_fp;
    ordo_ipool_t ipool;             /* nodes of every index's trees */

    uint32_t *ready;                /* ring of slots */
    uint32_t ready_cap, ready_head, ready_len;

    ordo_cancel_t *cancels;         /* ring of reports */
    uint32_t cancel_cap, cancel_head, cancel_len;

    s_stream_t *streams;            /* per session */
    uint32_t nstreams;

    s_tomb_t *tombs;
    uint64_t tomb_mask, ntombs;
    uint64_t *tomb_ring;            /* ids, oldest at tomb_head (max_tombs) */
    uint64_t tomb_head;

    /* Scratch of one submit or release; kept to avoid allocation. */
    s_access_t **retire;
    uint32_t nretire, cap_retire;
    uint32_t *stack;
    uint32_t cap_stack;
    uint32_t epoch;
    uint64_t access_seq;
    struct s_access *hints[S_HINTS]; /* read group leaders (s_hint) */

    ordo_graph_stats_t st;
    uint64_t edges_by_kind[4];      /* by bit of the kind: st.edges_raw... */
};

_Static_assert(ORDO_EDGE_RAW == 1 && ORDO_EDGE_WAR == 2 && ORDO_EDGE_WAW == 4 &&
                   ORDO_EDGE_EXPLICIT == 8,
               "edges_by_kind is indexed by the kind's bit");

/* ------------------------------------------------------------------ */
/* Growable arrays                                                     */

/* Out of memory while a task is half accepted.  No answer keeps the
 * contract then: dropping an edge breaks ordering, and the id is already
 * taken.  The pools only grow towards the window's needs, so this means
 * the machine is out of memory; stop rather than compute wrong results. */
static _Noreturn void s_oom(void)
{
    abort();
}

/* Makes room for need elements of size sz in *arr of capacity *cap. */
static bool s_reserve(void **arr, uint32_t *cap, uint32_t need, size_t sz)
{
    if (need <= *cap)
        return true;
    uint64_t ncap = *cap ? *cap : 64;
    while (ncap < need)
        ncap *= 2;
    if (ncap > UINT32_MAX)
        return false;
    void *p = realloc(*arr, ncap * sz);
    if (!p)
        return false;
    *arr = p;
    *cap = (uint32_t)ncap;
    return true;
}

static inline uint64_t s_mix(uint64_t id)
{
    id ^= id >> 31;
    id *= UINT64_C(0x7fb5d329728ea185);
    id ^= id >> 27;
    return id;
}

/* ------------------------------------------------------------------ */
/* Id map                                                              */

/* The hash of id, whose low bits are its home entry: eight consecutive ids
 * of a session share a cache line (8-byte entries), since a session's live
 * tasks are mostly consecutive.  The map is at most 2^31 entries (twice
 * the window), so 32 bits hold every home. */
static inline uint32_t s_hash(uint64_t id)
{
    return (uint32_t)((s_mix(id >> 3) << 3) | (id & 7));
}

/* Linear probing, in lane-major order: from entry h, the same lane (the
 * place in an 8-entry block, the id's low bits) of the next block, and
 * once past the last block, the next lane of the first.  A block of eight
 * consecutive ids that finds its home block taken then moves on as a
 * block, one probe each; probing the next entry instead pushed it into
 * the lanes of its neighbours, and at half load a probe walked about ten
 * entries. */
static inline uint32_t s_map_next(const ordo_graph_t *g, uint32_t h)
{
    return h + 8 <= g->map_mask ? h + 8 : (h + 1) & 7;
}

/* The rank of entry h in that order. */
static inline uint32_t s_map_rank(const ordo_graph_t *g, uint32_t h)
{
    return (h & 7) << g->map_shift | h >> 3;
}

/* The entry of the live task id, or NULL.  An equal hash is confirmed by
 * the slot's id. */
static s_mapent_t *s_map_entry(const ordo_graph_t *g, uint64_t id)
{
    uint32_t hash = s_hash(id);
    for (uint32_t h = hash & g->map_mask;; h = s_map_next(g, h)) {
        s_mapent_t *e = &g->map[h];
        if (e->slot1 == 0)
            return NULL;
        if (e->hash == hash && g->tasks[e->slot1 - 1].id == id)
            return e;
    }
}

static uint32_t s_map_find(const ordo_graph_t *g, uint64_t id)
{
    if (id == 0)
        return S_NONE;
    const s_mapent_t *e = s_map_entry(g, id);
    return e ? e->slot1 - 1 : S_NONE;
}

static void s_map_put(ordo_graph_t *g, uint32_t slot)
{
    uint32_t hash = s_hash(g->tasks[slot].id);
    uint32_t h = hash & g->map_mask;
    while (g->map[h].slot1)
        h = s_map_next(g, h);
    g->map[h] = (s_mapent_t){hash, slot + 1};
}

/* Removes the live task id, whose entry is there. */
static void s_map_del(ordo_graph_t *g, uint64_t id)
{
    uint32_t h = (uint32_t)(s_map_entry(g, id) - g->map);
    /* Backward-shift deletion keeps probe chains intact without markers. */
    for (uint32_t j = s_map_next(g, h); g->map[j].slot1; j = s_map_next(g, j)) {
        uint32_t home = s_map_rank(g, g->map[j].hash & g->map_mask), rj = s_map_rank(g, j);
        if (((rj - home) & g->map_mask) >= ((rj - s_map_rank(g, h)) & g->map_mask)) {
            g->map[h] = g->map[j];
            h = j;
        }
    }
    g->map[h].slot1 = 0;
}

/* Doubles the map when the table of slots outgrows half of it. */
static bool s_map_grow(ordo_graph_t *g, uint32_t nslots)
{
    if ((uint64_t)nslots * 2 <= (uint64_t)g->map_mask + 1)
        return true;
    uint64_t ncap = ((uint64_t)g->map_mask + 1) * 2;
    s_mapent_t *m = calloc(ncap, sizeof *m);
    if (!m)
        return false;
    free(g->map);
    g->map = m;
    g->map_mask = (uint32_t)(ncap - 1);
    g->map_shift++;
    for (uint32_t s = 0; s < g->nused; s++)
        if (g->tasks[s].state != S_FREE)
            s_map_put(g, s);
    return true;
}

/* ------------------------------------------------------------------ */
/* Tombstones                                                          */

static const s_tomb_t *s_tomb_find(const ordo_graph_t *g, uint64_t id)
{
    if (!g->tombs || id == 0)
        return NULL; /* id 0 marks empty entries; no task has it */
    for (uint64_t h = s_mix(id) & g->tomb_mask;; h = (h + 1) & g->tomb_mask) {
        if (g->tombs[h].id == id)
            return &g->tombs[h];
        if (g->tombs[h].id == 0)
            return NULL;
    }
}

static void s_tomb_insert(s_tomb_t *tab, uint64_t mask, uint64_t id, uint64_t cause)
{
    uint64_t h = s_mix(id) & mask;
    while (tab[h].id != 0)
        h = (h + 1) & mask;
    tab[h] = (s_tomb_t){id, cause};
}

/* Forgets the oldest tombstone, and with it every id of its session up to
 * it.  Backward-shift deletion keeps the probe chains intact. */
static void s_tomb_forget(ordo_graph_t *g)
{
    uint64_t id = g->tomb_ring[g->tomb_head];
    g->tomb_head = (g->tomb_head + 1) % g->cfg.max_tombs;
    uint64_t h = s_mix(id) & g->tomb_mask;
    while (g->tombs[h].id != id)
        h = (h + 1) & g->tomb_mask;
    for (uint64_t j = (h + 1) & g->tomb_mask; g->tombs[j].id; j = (j + 1) & g->tomb_mask) {
        uint64_t home = s_mix(g->tombs[j].id) & g->tomb_mask;
        if (((j - home) & g->tomb_mask) >= ((j - h) & g->tomb_mask)) {
            g->tombs[h] = g->tombs[j];
            h = j;
        }
    }
    g->tombs[h].id = 0;
    g->ntombs--;
    g->st.tombs_forgotten++;
    s_stream_t *s = &g->streams[ORDO_TASK_SESSION(id)]; /* exists: id was accepted */
    if (ORDO_TASK_SEQ(id) > s->forgotten)
        s->forgotten = ORDO_TASK_SEQ(id);
}

/* Records that id ended failed (cause == id) or cancelled.  Growth of this
 * table is the one allocation that scales with the number of failures; with
 * max_tombs set it stops there. */
static void s_tomb_add(ordo_graph_t *g, uint64_t id, uint64_t cause)
{
    uint64_t max = g->cfg.max_tombs;
    if (max) {
        if (!g->tomb_ring && !(g->tomb_ring = malloc(max * sizeof *g->tomb_ring)))
            s_oom();
        if (g->ntombs == max)
            s_tomb_forget(g);
        g->tomb_ring[(g->tomb_head + g->ntombs) % max] = id;
    }
    if ((g->ntombs + 1) * 2 > (g->tombs ? g->tomb_mask + 1 : 0)) {
        uint64_t ncap = g->tombs ? (g->tomb_mask + 1) * 2 : 1024;
        s_tomb_t *t = calloc(ncap, sizeof *t);
        if (!t)
            s_oom();
        for (uint64_t i = 0; g->tombs && i <= g->tomb_mask; i++)
            if (g->tombs[i].id)
                s_tomb_insert(t, ncap - 1, g->tombs[i].id, g->tombs[i].cause);
        free(g->tombs);
        g->tombs = t;
        g->tomb_mask = ncap - 1;
    }
    s_tomb_insert(g->tombs, g->tomb_mask, id, cause);
    g->ntombs++;
}

/* ------------------------------------------------------------------ */
/* Construction                                                        */

ordo_graph_t *ordo_graph_new(const ordo_graph_config_t *cfg)
{
    if (!cfg || cfg->window == 0 || cfg->window > (UINT32_C(1) << 30))
        return NULL;
    ordo_graph_t *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->cfg = *cfg;
    g->free_task = S_NONE;
    g->free_edge = S_NONE;
    g->map_mask = 1023;
    g->map_shift = 7;
    g->map = calloc(g->map_mask + 1, sizeof *g->map);
    if (!g->map) {
        free(g);
        return NULL;
    }
    g->st.window = cfg->window;
    ordo_ipool_init(&g->ipool);
    return g;
}

void ordo_graph_destroy(ordo_graph_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ordo_graph_t *g = *self_p;
    free(g->tasks);
    free(g->map);
    free(g->edges);
    for (uint32_t i = 0; i < g->nchunks; i++)
        free(g->chunks[i]);
    free(g->chunks);
    ordo_ipool_fini(&g->ipool);
    free(g->ready);
    free(g->cancels);
    free(g->streams);
    free(g->tombs);
    free(g->tomb_ring);
    free(g->retire);
    free(g->stack);
    free(g);
    *self_p = NULL;
}

/* ------------------------------------------------------------------ */
/* Pools                                                               */

/* A new chunk of size bytes, aligned to a line, kept until the graph goes. */
static void *s_chunk_new(ordo_graph_t *g, size_t size)
{
    void **chunks = realloc(g->chunks, (g->nchunks + 1) * sizeof *chunks);
    if (!chunks)
        return NULL;
    g->chunks = chunks;
    void *c = aligned_alloc(64, size);
    if (!c)
        return NULL;
    g->chunks[g->nchunks++] = c;
    g->chunk_bytes += size;
    return c;
}

static s_access_t *s_access_alloc(ordo_graph_t *g)
{
    if (!g->free_access) {
        s_access_t *c = s_chunk_new(g, S_ACCESS_CHUNK * sizeof *c);
        if (!c)
            return NULL;
        for (uint32_t i = 0; i < S_ACCESS_CHUNK; i++) {
            c[i].next = g->free_access;
            g->free_access = &c[i];
        }
    }
    s_access_t *a = g->free_access;
    g->free_access = a->next;
    a->run = true;
    a->fp = NULL;
    return a;
}

static ordo_fp_t *s_fp_alloc(ordo_graph_t *g)
{
    if (!g->free_fp) {
        s_fpslot_t *c = s_chunk_new(g, S_FP_CHUNK * sizeof *c);
        if (!c)
            return NULL;
        for (uint32_t i = 0; i < S_FP_CHUNK; i++) {
            c[i].next = g->free_fp;
            g->free_fp = &c[i];
        }
    }
    s_fpslot_t *f = g->free_fp;
    g->free_fp = f->next;
    return &f->fp;
}

static void s_access_free(ordo_graph_t *g, s_access_t *a)
{
    if (!a->run) {
        s_fpslot_t *f = (s_fpslot_t *)a->fp;
        f->next = g->free_fp;
        g->free_fp = f;
        a->fp = NULL;
    }
    a->next = g->free_access;
    g->free_access = a;
}

static uint32_t s_edge_alloc(ordo_graph_t *g)
{
    if (g->free_edge != S_NONE) {
        uint32_t e = g->free_edge;
        g->free_edge = g->edges[e].next;
        return e;
    }
    if (!s_reserve((void **)&g->edges, &g->cap_edges, g->nedges + 1, sizeof *g->edges))
        return S_NONE;
    return g->nedges++;
}

/* Grows a ring of elements of size sz from *cap to at least need slots,
 * moving its len elements from head to the front of the new array. */
static bool s_ring_grow(void **ring, uint32_t *cap, uint32_t *head, uint32_t len,
                        uint32_t need, size_t sz)
{
    if (need <= *cap)
        return true;
    uint64_t ncap = *cap ? *cap : 64;
    while (ncap < need)
        ncap *= 2;
    if (ncap > UINT32_MAX)
        return false;
    char *n = malloc(ncap * sz);
    if (!n)
        return false;
    for (uint32_t i = 0; i < len; i++)
        memcpy(n + i * sz, (char *)*ring + ((*head + i) % *cap) * sz, sz);
    free(*ring);
    *ring = n;
    *cap = (uint32_t)ncap;
    *head = 0;
    return true;
}

/* Takes a free slot, growing the table (up to the window, which the caller
 * has checked) and the structures sized by it.  A slot is initialised when
 * first used, so that the table's untouched tail costs no memory. */
static uint32_t s_task_alloc(ordo_graph_t *g)
{
    if (g->free_task != S_NONE) {
        uint32_t s = g->free_task;
        g->free_task = g->tasks[s].succ;
        return s;
    }
    if (g->nused == g->ntasks) {
        uint64_t ncap = g->ntasks ? (uint64_t)g->ntasks * 2 : 64;
        if (ncap > g->cfg.window)
            ncap = g->cfg.window;
        s_task_t *t = realloc(g->tasks, ncap * sizeof *t);
        if (!t)
            return S_NONE;
        g->tasks = t;
        g->ntasks = (uint32_t)ncap;
        if (!s_map_grow(g, g->ntasks) ||
            !s_ring_grow((void **)&g->ready, &g->ready_cap, &g->ready_head, g->ready_len,
                         g->ntasks, sizeof *g->ready) ||
            !s_reserve((void **)&g->stack, &g->cap_stack, g->ntasks, sizeof *g->stack))
            return S_NONE;
    }
    g->tasks[g->nused] = (s_task_t){.state = S_FREE, .succ = S_NONE};
    return g->nused++;
}

static void s_ready_push(ordo_graph_t *g, uint32_t slot)
{
    g->ready[(g->ready_head + g->ready_len) % g->ready_cap] = slot;
    g->ready_len++;
    g->tasks[slot].state = S_READY;
    g->st.ready++;
}

static void s_cancel_push(ordo_graph_t *g, uint32_t slot)
{
    s_task_t *t = &g->tasks[slot];
    if (!s_ring_grow((void **)&g->cancels, &g->cancel_cap, &g->cancel_head, g->cancel_len,
                     g->cancel_len + 1, sizeof *g->cancels))
        s_oom();
    g->cancels[(g->cancel_head + g->cancel_len) % g->cancel_cap] =
        (ordo_cancel_t){.id = t->id, .cause = t->cause, .user = t->user};
    g->cancel_len++;
    g->st.cancelled++;
}

/* A new traversal mark: tasks marked before compare unequal to it. */
static uint32_t s_new_epoch(ordo_graph_t *g)
{
    if (++g->epoch == 0) {
        for (uint32_t i = 0; i < g->nused; i++)
            g->tasks[i].mark = 0;
        g->epoch = 1;
    }
    return g->epoch;
}

/* ------------------------------------------------------------------ */
/* Streams                                                             */

static uint64_t s_stream_next(const ordo_graph_t *g, uint32_t session)
{
    return session < g->nstreams && g->streams[session].next ? g->streams[session].next : 1;
}

/* Ids of the session up to this sequence are forgotten (max_tombs). */
static uint64_t s_stream_forgotten(const ordo_graph_t *g, uint32_t session)
{
    return session < g->nstreams ? g->streams[session].forgotten : 0;
}

static bool s_stream_advance(ordo_graph_t *g, uint32_t session)
{
    if (session >= g->nstreams) {
        uint32_t cap = g->nstreams;
        if (!s_reserve((void **)&g->streams, &cap, session + 1, sizeof *g->streams))
            return false;
        memset(g->streams + g->nstreams, 0, (cap - g->nstreams) * sizeof *g->streams);
        g->nstreams = cap;
    }
    g->streams[session].next = s_stream_next(g, session) + 1;
    return true;
}

static int s_check_id(const ordo_graph_t *g, uint64_t id, char *err, size_t errlen)
{
    uint32_t session = ORDO_TASK_SESSION(id);
    uint64_t seq = ORDO_TASK_SEQ(id), next = s_stream_next(g, session);
    if (session == 0 || seq != next) {
        if (err)
            snprintf(err, errlen, "task id 0x%llx: expected sequence %llu of session %u, got %llu",
                     (unsigned long long)id, (unsigned long long)next, session,
                     (unsigned long long)seq);
        return ORDO_ESEQ;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* State                                                               */

ordo_task_state_t ordo_graph_state(const ordo_graph_t *g, uint64_t id)
{
    uint32_t s = s_map_find(g, id);
    if (s != S_NONE) {
        const s_task_t *t = &g->tasks[s];
        if (t->cancelled)
            return ORDO_TASK_CANCELLED;
        return t->state == S_WAITING ? ORDO_TASK_WAITING
             : t->state == S_READY   ? ORDO_TASK_READY
                                     : ORDO_TASK_RUNNING;
    }
    const s_tomb_t *tb = s_tomb_find(g, id);
    if (tb)
        return tb->cause == id ? ORDO_TASK_FAILED : ORDO_TASK_CANCELLED;
    uint32_t session = ORDO_TASK_SESSION(id);
    uint64_t seq = ORDO_TASK_SEQ(id);
    if (session && seq >= 1 && seq < s_stream_next(g, session) &&
        seq > s_stream_forgotten(g, session))
        return ORDO_TASK_DONE;
    return ORDO_TASK_UNKNOWN;
}

bool ordo_graph_forgotten(const ordo_graph_t *g, uint64_t id)
{
    uint64_t seq = ORDO_TASK_SEQ(id);
    return seq >= 1 && seq <= s_stream_forgotten(g, ORDO_TASK_SESSION(id)) &&
           s_map_find(g, id) == S_NONE && !s_tomb_find(g, id);
}

/* ------------------------------------------------------------------ */
/* Edges                                                               */

/* Adds (or widens) the edge from slot p to slot t.  Edges into t are all
 * made during t's submit, so an existing p -> t edge is the tail of p's
 * list: deduplication is O(1), and successors stay in acceptance order, so
 * tasks released together become ready oldest first. */
static bool s_edge_add(ordo_graph_t *g, uint32_t p, uint32_t t, unsigned kind)
{
#ifdef ORDO_UNSAFE_DROP_WAR
    if (kind == ORDO_EDGE_WAR && g->cfg.unsafe_drop_war)
        return true;
#endif
    s_task_t *pt = &g->tasks[p], *tt = &g->tasks[t];
    s_edge_t *tail = pt->succ != S_NONE ? &g->edges[pt->succ_tail] : NULL;
    if (tail && tail->to == t && tail->gen == tt->gen) {
        if (tail->kinds & kind)
            return true;
        tail->kinds |= (uint8_t)kind;
    } else {
        uint32_t e = s_edge_alloc(g);
        if (e == S_NONE)
            return false;
        g->edges[e] = (s_edge_t){.to = t, .gen = tt->gen, .next = S_NONE, .kinds = (uint8_t)kind};
        if (tail)
            g->edges[pt->succ_tail].next = e; /* tail may have moved with the pool */
        else
            pt->succ = e;
        pt->succ_tail = e;
        pt->mark = g->epoch; /* a direct predecessor of the task being submitted */
        tt->pending++;
        g->st.edges++;
        if (pt->cancelled && !tt->cancelled) {
            tt->cancelled = true;
            tt->cause = pt->cause;
        }
    }
    g->edges_by_kind[__builtin_ctz(kind)]++; /* kind is one bit */
    if (g->cfg.on_edge)
        g->cfg.on_edge(g->cfg.on_edge_arg, pt->id, tt->id, kind);
    return true;
}

unsigned ordo_graph_edge(const ordo_graph_t *g, uint64_t from, uint64_t to)
{
    uint32_t p = s_map_find(g, from), t = s_map_find(g, to);
    if (p == S_NONE || t == S_NONE)
        return 0;
    for (uint32_t e = g->tasks[p].succ; e != S_NONE; e = g->edges[e].next)
        if (g->edges[e].to == t && g->edges[e].gen == g->tasks[t].gen)
            return g->edges[e].kinds;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Submit                                                              */

typedef struct {
    ordo_graph_t *g;
    s_access_t *acc;        /* the new access */
    uint32_t slot;          /* the new task */
    bool oom;
} s_visit_t;

/* The footprint of a: its own, or the run of its bounds made in tmp. */
static const ordo_fp_t *s_fp(const s_access_t *a, ordo_fp_t *tmp)
{
    if (!a->run)
        return a->fp;
    tmp->lo = a->node.lo;
    tmp->hi = a->node.hi;
    tmp->ndim = 1;
    tmp->dim[0] = (ordo_fpdim_t){.stride = 1, .count = a->node.hi - a->node.lo};
    return tmp;
}

/* Do the live access c and the new access a, whose bounds meet, share a
 * byte?  Two runs of bytes do; otherwise the footprints decide. */
static bool s_overlap(ordo_graph_t *g, const s_access_t *c, const s_access_t *a)
{
    if (c->run && a->run) {
        g->st.geom.overlap_tests++;
        return true;
    }
    ordo_fp_t tc, ta;
    return ordo_fp_overlap(s_fp(c, &tc), s_fp(a, &ta), &g->st.geom);
}

/* Is every byte of inner (an access in the index: not empty) one of
 * outer's?  When outer is a run of bytes, the bounds decide. */
static bool s_contains(ordo_graph_t *g, const s_access_t *outer, const s_access_t *inner)
{
    if (outer->run) {
        g->st.geom.contain_tests++;
        return inner->node.lo >= outer->node.lo && inner->node.hi <= outer->node.hi;
    }
    ordo_fp_t ti;
    return ordo_fp_contains(outer->fp, s_fp(inner, &ti), &g->st.geom);
}

/* Puts c on the submit's list of accesses to retire, as one access or
 * (S_RETIRE_GROUP, a leader) with its followers. */
static bool s_retire_push(ordo_graph_t *g, s_access_t *c, uint8_t how)
{
    if (!s_reserve((void **)&g->retire, &g->cap_retire, g->nretire + 1, sizeof *g->retire))
        return false;
    c->retiring = how;
    g->retire[g->nretire++] = c;
    return true;
}

/* The member of c's group after m (c itself first, then its followers);
 * NULL past the last.  An entry that leads no group is a group of one. */
static inline s_access_t *s_member_next(const s_access_t *c, const s_access_t *m)
{
    return m == c ? (c->run ? c->first : NULL) : m->f.next;
}

/* A live access c whose byte bounds meet the new access a: add the edge the
 * hazard calls for (from every member of c's group), and mark c for
 * retirement when a writes all of it. */
static void s_visit(ordo_inode_t *n, void *arg)
{
    s_visit_t *v = arg;
    s_access_t *c = (s_access_t *)n, *a = v->acc;
    ordo_graph_t *g = v->g;
    bool cw = ORDO_MODE_WRITES(c->mode), aw = ORDO_MODE_WRITES(a->mode);
    if (!cw && !aw)
        return;
    if (!s_overlap(g, c, a))
        return;
    unsigned kind = cw && aw ? ORDO_EDGE_WAW : cw ? ORDO_EDGE_RAW : ORDO_EDGE_WAR;
    for (s_access_t *m = c; m; m = s_member_next(c, m))
        if (!s_edge_add(g, m->task, v->slot, kind))
            v->oom = true;
    if (!aw || c->retiring)
        return;
    if (!s_contains(g, a, c)) {
        if (!cw && !c->outlived) { /* a candidate for s_visit_read */
            c->outlived = true;
            c->index->outlived++;
        }
    } else if (!s_retire_push(g, c, S_RETIRE_GROUP)) {
        v->oom = true;
    }
}

/* How many successor edges of an older task s_precedes looks at: a reader's
 * successors are the few writers that waited for it. */
#define S_PRECEDES_SCAN 16

/* Is the task in slot a a direct predecessor of a direct predecessor of
 * the task being submitted (whose predecessors carry the current mark)? */
static bool s_precedes(const ordo_graph_t *g, uint32_t a)
{
    uint32_t n = 0;
    for (uint32_t e = g->tasks[a].succ; e != S_NONE && n < S_PRECEDES_SCAN;
         e = g->edges[e].next, n++) {
        const s_task_t *s = &g->tasks[g->edges[e].to];
        if (s->gen == g->edges[e].gen && s->state != S_FREE && s->mark == g->epoch)
            return true;
    }
    return false;
}

/* An older entry c meeting the new read access: when c is a read that a
 * write met (writes never are outlived) and the new read contains it,
 * retire each member of c's group whose task precedes the new task through
 * an edge.  (Members share the footprint, so the test of bytes is made
 * once.) */
static void s_visit_read(ordo_inode_t *n, void *arg)
{
    s_visit_t *v = arg;
    s_access_t *c = (s_access_t *)n;
    ordo_graph_t *g = v->g;
    if (!c->outlived || c->retiring == S_RETIRE_GROUP || !s_contains(g, v->acc, c))
        return;
    for (s_access_t *m = c; m; m = s_member_next(c, m)) {
        if (m->retiring || m->task == v->slot || !s_precedes(g, m->task))
            continue;
        if (!s_retire_push(g, m, S_RETIRE_ONE)) {
            v->oom = true;
            return;
        }
    }
}

/* Bookkeeping of an access whose node leaves the index. */
static void s_left_index(s_access_t *a)
{
    a->where = S_OUT;
    if (a->outlived) {
        a->outlived = false;
        a->index->outlived--;
    }
}

/* The slot of the hint table for the group of index ix and bytes
 * [lo, hi).  A slot holds the leader it saw last, or NULL.  Only a hint:
 * that leader may have left since, and its record may hold another
 * access now (records stay the graph's while it lives), so s_hint_leader
 * checks it. */
static inline s_access_t **s_hint(ordo_graph_t *g, const ordo_index_t *ix, uint64_t lo,
                                  uint64_t hi)
{
    uint64_t h = s_mix((uint64_t)(uintptr_t)ix ^ lo ^ (hi << 29));
    return &g->hints[h >> 56];
}

/* Is c, found in a hint for the new read a, the leader of the group with
 * a's key in a's index?  It is when it is in a tree with that key (keys
 * are unique in a tree, and only reads have group keys), and is not
 * a itself: a's record may be the one a leader of the same bytes had. */
static inline bool s_hint_leader(const s_access_t *c, const s_access_t *a)
{
    return c && c != a && c->where == S_TREE && c->node.seq == a->node.seq &&
           c->node.lo == a->node.lo && c->index == a->index;
}

/* Joins the new run read a to the group of the leader c (found under a's
 * group key): a becomes c's first follower. */
static void s_follow(s_access_t *c, s_access_t *a)
{
    a->f.next = c->first;
    a->f.pprev = &c->first;
    if (c->first)
        c->first->f.pprev = &a->f.next;
    c->first = a;
    a->where = S_FOLLOWER;
    a->index->grouped++;
}

/* a leaves the index alone (its group, if any, stays): a follower is
 * unlinked; a leader hands its entry and its followers to its first
 * follower; any other access leaves its tree. */
static void s_unindex(ordo_graph_t *g, s_access_t *a)
{
    if (a->where == S_FOLLOWER) {
        *a->f.pprev = a->f.next;
        if (a->f.next)
            a->f.next->f.pprev = a->f.pprev;
        a->where = S_OUT;
        a->index->grouped--;
        return;
    }
    s_access_t *h = a->run ? a->first : NULL;
    if (!h) {
        ordo_itree_remove(&a->index->tree, &g->ipool, &a->node);
        s_left_index(a);
        return;
    }
    s_access_t *rest = h->f.next; /* before replace overwrites h's links */
    ordo_itree_replace(&a->index->tree, &a->node, &h->node);
    h->first = rest;
    if (rest)
        rest->f.pprev = &h->first;
    h->where = S_TREE;
    s_access_t **hint = s_hint(g, a->index, a->node.lo, a->node.hi);
    if (*hint == a)
        *hint = h;
    h->outlived = a->outlived; /* the entry's, and the index's count stays */
    a->outlived = false;
    a->where = S_OUT;
    a->first = NULL;
    a->index->grouped--;
}

/* The leader c and all its followers leave the index (c may already have
 * given its entry to a twin); returns how many accesses left. */
static uint32_t s_group_retire(ordo_graph_t *g, s_access_t *c)
{
    uint32_t n = 1;
    s_access_t *m = c->run ? c->first : NULL;
    for (; m; m = m->f.next, n++)
        m->where = S_OUT;
    c->index->grouped -= n - 1;
    if (c->run)
        c->first = NULL;
    if (c->where == S_TREE)
        ordo_itree_remove(&c->index->tree, &g->ipool, &c->node);
    s_left_index(c);
    return n;
}

static void s_release(ordo_graph_t *g, uint32_t slot);

int ordo_graph_submit(ordo_graph_t *g, const ordo_task_desc_t *d, char *err, size_t errlen)
{
    char why[200];
    int rc = s_check_id(g, d->id, err, errlen);
    if (rc)
        return rc;
    for (uint32_t i = 0; i < d->nargs; i++) {
        const ordo_arg_t *a = &d->args[i];
        if (a->mode < ORDO_IN || a->mode > ORDO_INOUT || !a->index) {
            if (err)
                snprintf(err, errlen, "arg %u: %s", i, a->index ? "invalid mode" : "no buffer");
            return ORDO_EINVAL;
        }
        if (d->views_checked)
            continue;
        rc = ordo_view_check(&a->view, a->index->size, why, sizeof why);
        if (rc) {
            if (err)
                snprintf(err, errlen, "arg %u (buffer %llu): %s", i,
                         (unsigned long long)a->index->buffer_id, why);
            return rc;
        }
    }
    for (uint32_t i = 0; i < d->ndeps; i++) {
        if (ordo_graph_state(g, d->deps[i]) == ORDO_TASK_UNKNOWN) {
            if (err && ordo_graph_forgotten(g, d->deps[i]))
                snprintf(err, errlen, "dependency 0x%llx ended too long ago: whether it failed "
                         "is no longer known (the last %llu failed or cancelled ids are kept)",
                         (unsigned long long)d->deps[i], (unsigned long long)g->cfg.max_tombs);
            else if (err)
                snprintf(err, errlen, "dependency 0x%llx was never accepted",
                         (unsigned long long)d->deps[i]);
            return ORDO_ENOENT;
        }
    }
    if (g->st.live >= g->cfg.window) {
        if (err)
            snprintf(err, errlen, "window full (%u unfinished tasks)", g->cfg.window);
        return ORDO_EAGAIN;
    }

    /* From here on the task is accepted; the only failure left is memory. */
    uint32_t slot = s_task_alloc(g);
    if (slot == S_NONE || !s_stream_advance(g, ORDO_TASK_SESSION(d->id)))
        goto oom;
    s_task_t *t = &g->tasks[slot];
    t->id = d->id;
    t->user = d->user;
    t->cause = 0;
    t->accesses = NULL;
    t->pending = 0;
    t->succ = S_NONE;
    t->mark = 0;
    t->cancelled = false;
    t->state = S_WAITING;
    s_map_put(g, slot);
    g->st.accepted++;
    g->st.live++;
    s_new_epoch(g); /* s_edge_add marks the new task's predecessors with it */

    for (uint32_t i = 0; i < d->ndeps; i++) {
        uint64_t dep = d->deps[i];
        uint32_t p = s_map_find(g, dep);
        if (p != S_NONE) {
            if (!s_edge_add(g, p, slot, ORDO_EDGE_EXPLICIT))
                goto oom;
            continue;
        }
        const s_tomb_t *tb = s_tomb_find(g, dep);
        t = &g->tasks[slot];
        if (tb && !t->cancelled) {
            t->cancelled = true;
            t->cause = tb->cause;
        }
    }

    /* Derived edges: every access first meets the live ones, then joins. */
    g->nretire = 0;
    for (uint32_t i = 0; i < d->nargs; i++) {
        const ordo_arg_t *arg = &d->args[i];
        s_access_t *a = s_access_alloc(g);
        if (!a)
            goto oom;
        t = &g->tasks[slot];
        ordo_fp_t fp;
        ordo_fp_make(&fp, &arg->view);
        a->node.lo = fp.lo;
        a->node.hi = fp.hi;
        if (fp.ndim != 1) { /* else a->fp stays NULL: a run */
            if (!(a->fp = s_fp_alloc(g)))
                goto oom;
            *a->fp = fp;
            a->run = false;
        }
        a->index = arg->index;
        a->mode = (uint8_t)arg->mode;
        a->task = slot;
        a->where = S_OUT;
        a->retiring = 0;
        a->outlived = false;
        a->next = t->accesses;
        t->accesses = a;
        if (a->node.lo == a->node.hi) /* touches no byte */
            continue;
        /* A read meets the writes; a write, every access. */
        s_visit_t v = {.g = g, .acc = a, .slot = slot, .oom = false};
        ordo_itree_query(&arg->index->tree, a->node.lo, a->node.hi, !ORDO_MODE_WRITES(a->mode),
                         s_visit, &v);
        if (v.oom)
            goto oom;
    }
    /* A read that contains an older read of a task known to precede it
     * supersedes that read: a later writer of those bytes meets this read
     * and waits for this task, which waits for the older one.  Without
     * this, a whole-buffer reader (a KV-cache gather) stays in the index
     * until it finishes, and every partial writer after it gets an edge from
     * every such reader still pending: edges grow with the square of the
     * tasks in flight. */
    t = &g->tasks[slot];
    if (t->pending > 0)
        for (s_access_t *a = t->accesses; a; a = a->next) {
            if (ORDO_MODE_WRITES(a->mode) || a->node.lo == a->node.hi || !a->index->outlived)
                continue;
            s_visit_t v = {.g = g, .acc = a, .slot = slot, .oom = false};
            ordo_itree_query(&a->index->tree, a->node.lo, a->node.hi, false, s_visit_read, &v);
            if (v.oom)
                goto oom;
        }

    /* Join the index.  An access that retires one of the same kind (write
     * or read) with the very same bounds takes its entry's place (no
     * rebalance): the in-place update chain costs one descent, not a
     * removal and an insert.  Not one of the other kind: the entry keeps
     * its kind, and a write in a read's entry would be unseen by reads.
     * A run read finds the group of its bytes, or starts one; when that
     * group is leaving whole, it takes its leader's place likewise. */
    t = &g->tasks[slot];
    for (s_access_t *a = t->accesses; a; a = a->next) {
        if (a->node.lo == a->node.hi)
            continue;
        g->st.index_accesses++;
        ordo_itree_t *tree = &a->index->tree;
        a->where = S_TREE;
        if (!ORDO_MODE_WRITES(a->mode) && a->run && a->node.hi < S_GROUP_KEY) {
            a->node.seq = S_GROUP_KEY | a->node.hi;
            a->first = NULL;
            s_access_t **hint = s_hint(g, a->index, a->node.lo, a->node.hi), *c = *hint;
            if (!s_hint_leader(c, a)) {
                ordo_inode_t *e = ordo_itree_insert(tree, &g->ipool, &a->node, false);
                if (!e)
                    goto oom;
                c = (s_access_t *)e;
                *hint = c;
                if (c == a)
                    continue;
            }
            if (c->retiring == S_RETIRE_GROUP) { /* its members: below */
                ordo_itree_replace(tree, &c->node, &a->node);
                s_left_index(c);
                *hint = a;
            } else {
                s_follow(c, a);
            }
            continue;
        }
        s_access_t *twin = NULL;
        for (uint32_t i = 0; i < g->nretire && !twin; i++) {
            s_access_t *c = g->retire[i];
            if (c->where == S_TREE && !(c->node.seq & S_GROUP_KEY) &&
                c->node.lo == a->node.lo && c->node.hi == a->node.hi && c->index == a->index &&
                ORDO_MODE_WRITES(c->mode) == ORDO_MODE_WRITES(a->mode))
                twin = c;
        }
        if (twin) {
            ordo_itree_replace(tree, &twin->node, &a->node);
            s_left_index(twin);
        } else {
            a->node.seq = ++g->access_seq; /* (lo, seq) must be unique per tree */
            if (!ordo_itree_insert(tree, &g->ipool, &a->node, ORDO_MODE_WRITES(a->mode)))
                goto oom;
        }
    }
    for (uint32_t i = 0; i < g->nretire; i++) {
        s_access_t *c = g->retire[i];
        uint32_t n = 1;
        if (c->retiring == S_RETIRE_GROUP)
            n = s_group_retire(g, c);
        else if (c->where != S_OUT)
            s_unindex(g, c);
        c->retiring = 0;
        g->st.retired += n;
        g->st.index_accesses -= n;
    }

    if (t->cancelled)
        s_cancel_push(g, slot);
    if (t->pending == 0) {
        if (t->cancelled)
            s_release(g, slot);
        else
            s_ready_push(g, slot);
    } else {
        g->st.waiting++;
    }
    return 0;

oom:
    s_oom();
}

int ordo_graph_reject(ordo_graph_t *g, uint64_t id)
{
    int rc = s_check_id(g, id, NULL, 0);
    if (rc)
        return rc;
    if (!s_stream_advance(g, ORDO_TASK_SESSION(id)))
        return ORDO_ENOMEM;
    s_tomb_add(g, id, id);
    g->st.accepted++;
    g->st.failed++;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Ready queue                                                         */

uint32_t ordo_graph_ready_count(const ordo_graph_t *g)
{
    return g->ready_len;
}

int ordo_graph_pop_ready_at(ordo_graph_t *g, uint32_t i, uint64_t *id, void **user)
{
    if (i >= g->ready_len)
        return ORDO_EAGAIN;
    uint32_t head = g->ready_head, at = (head + i) % g->ready_cap;
    uint32_t slot = g->ready[at];
    g->ready[at] = g->ready[head];
    g->ready_head = (head + 1) % g->ready_cap;
    g->ready_len--;
    s_task_t *t = &g->tasks[slot];
    t->state = S_RUNNING;
    g->st.ready--;
    g->st.running++;
    *id = t->id;
    if (user)
        *user = t->user;
    return 0;
}

int ordo_graph_pop_ready(ordo_graph_t *g, uint64_t *id, void **user)
{
    return ordo_graph_pop_ready_at(g, 0, id, user);
}

int ordo_graph_pop_cancel(ordo_graph_t *g, ordo_cancel_t *out)
{
    if (g->cancel_len == 0)
        return ORDO_EAGAIN;
    *out = g->cancels[g->cancel_head];
    g->cancel_head = (g->cancel_head + 1) % g->cancel_cap;
    g->cancel_len--;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Completion, failure, release                                        */

/* Removes a finished task (done, failed, or a cancelled one whose
 * predecessors have all finished) and every task whose release it enables:
 * its accesses leave the index, its successors lose a pending predecessor
 * and become ready, or, when cancelled, are released in turn. */
static void s_release(ordo_graph_t *g, uint32_t first)
{
    uint32_t depth = 0;
    g->stack[depth++] = first;
    while (depth) {
        uint32_t slot = g->stack[--depth];
        s_task_t *t = &g->tasks[slot];
        for (s_access_t *a = t->accesses, *next; a; a = next) {
            next = a->next;
            if (a->where == S_TREE && !(a->run && a->first)) { /* most: no group */
                ordo_itree_remove(&a->index->tree, &g->ipool, &a->node);
                s_left_index(a);
                g->st.index_accesses--;
            } else if (a->where != S_OUT) {
                s_unindex(g, a);
                g->st.index_accesses--;
            }
            s_access_free(g, a);
        }
        for (uint32_t e = t->succ, next; e != S_NONE; e = next) {
            s_edge_t *ed = &g->edges[e];
            next = ed->next;
            s_task_t *s = &g->tasks[ed->to];
            if (s->gen == ed->gen && s->state == S_WAITING && --s->pending == 0) {
                g->st.waiting--;
                if (s->cancelled)
                    g->stack[depth++] = ed->to;
                else
                    s_ready_push(g, ed->to);
            }
            ed->next = g->free_edge;
            g->free_edge = e;
        }
        if (t->cancelled)
            s_tomb_add(g, t->id, t->cause); /* cause == id: failed */
        s_map_del(g, t->id);
        t->state = S_FREE;
        t->gen++;
        t->accesses = NULL;
        t->user = NULL;
        t->succ = g->free_task;
        g->free_task = slot;
        g->st.live--;
    }
}

static int s_finish(ordo_graph_t *g, uint64_t id, bool ok)
{
    uint32_t slot = s_map_find(g, id);
    if (slot == S_NONE || g->tasks[slot].state != S_RUNNING || g->tasks[slot].cancelled)
        return ORDO_EINVAL;
    g->st.running--;
    if (ok) {
        g->st.done++;
    } else {
        /* Cancel every task reachable from the failed one, once each. */
        g->st.failed++;
        g->tasks[slot].cancelled = true;
        g->tasks[slot].cause = id;
        s_new_epoch(g);
        uint32_t depth = 0;
        g->stack[depth++] = slot;
        g->tasks[slot].mark = g->epoch;
        while (depth) {
            s_task_t *t = &g->tasks[g->stack[--depth]];
            for (uint32_t e = t->succ; e != S_NONE; e = g->edges[e].next) {
                s_edge_t *ed = &g->edges[e];
                s_task_t *s = &g->tasks[ed->to];
                if (s->gen != ed->gen || s->state == S_FREE || s->mark == g->epoch)
                    continue;
                s->mark = g->epoch;
                if (!s->cancelled) {
                    s->cancelled = true;
                    s->cause = id;
                    s_cancel_push(g, ed->to);
                }
                g->stack[depth++] = ed->to;
            }
        }
    }
    s_release(g, slot);
    return 0;
}

int ordo_graph_complete(ordo_graph_t *g, uint64_t id)
{
    return s_finish(g, id, true);
}

int ordo_graph_fail(ordo_graph_t *g, uint64_t id)
{
    return s_finish(g, id, false);
}

/* ------------------------------------------------------------------ */
/* Observation                                                         */

void ordo_graph_walk(const ordo_graph_t *g, const ordo_graph_visitor_t *v, void *arg)
{
    for (uint32_t s = 0; s < g->nused; s++) {
        const s_task_t *t = &g->tasks[s];
        if (t->state == S_FREE)
            continue;
        if (v->task)
            v->task(arg, t->id, ordo_graph_state(g, t->id), t->cancelled ? NULL : t->user);
        if (v->edge)
            for (uint32_t e = t->succ; e != S_NONE; e = g->edges[e].next) {
                const s_edge_t *ed = &g->edges[e];
                const s_task_t *to = &g->tasks[ed->to];
                if (to->gen == ed->gen && to->state != S_FREE)
                    v->edge(arg, t->id, to->id, ed->kinds);
            }
    }
}

void ordo_graph_stats(const ordo_graph_t *g, ordo_graph_stats_t *out)
{
    *out = g->st;
    out->edges_raw = g->edges_by_kind[0];
    out->edges_war = g->edges_by_kind[1];
    out->edges_waw = g->edges_by_kind[2];
    out->edges_explicit = g->edges_by_kind[3];
    out->index_bytes = ordo_ipool_bytes(&g->ipool);
    out->tombs = g->ntombs;
    uint64_t b = sizeof *g;
    b += (uint64_t)g->nused * sizeof *g->tasks;
    b += ((uint64_t)g->map_mask + 1) * sizeof *g->map;
    b += (uint64_t)g->nedges * sizeof *g->edges;
    b += g->chunk_bytes + (uint64_t)g->nchunks * sizeof *g->chunks;
    b += (uint64_t)g->ready_cap * sizeof *g->ready;
    b += (uint64_t)g->cancel_cap * sizeof *g->cancels;
    b += (uint64_t)g->nstreams * sizeof *g->streams;
    if (g->tombs)
        b += (g->tomb_mask + 1) * sizeof *g->tombs;
    if (g->tomb_ring)
        b += g->cfg.max_tombs * sizeof *g->tomb_ring;
    b += (uint64_t)g->cap_retire * sizeof *g->retire;
    b += (uint64_t)g->cap_stack * sizeof *g->stack;
    out->graph_bytes = b;
}
