/*
 * index.c - B+ interval trees of intrusive accesses (see index.h).
 *
 * A node holds up to F entries in five parallel arrays, sorted by key
 * (lo, seq).  In a leaf an entry is an access: its key, its hi, its hi
 * again when it is a write, else 0 (hw), and its record.  In an inner node
 * an entry is a child: the smallest key of the child's subtree, the
 * largest hi of its accesses and of its writes alone (hw), and the child.
 * Every leaf is at the same depth; every node but the root holds at least
 * S_MIN entries.  The slots past the entries hold a start that nothing
 * reaches (s_pad), and walks go by the tree's height, so a descent reads
 * neither a node's count nor its leaf flag.  A node is ten cache lines:
 * F = 15 entries, so that the count and the leaf flag take the place of a
 * sixteenth hi, in the line of hi that an insert's or a remove's shift
 * writes anyway (a header line of their own was one more miss for every
 * cold leaf an insert touched), and the sixteenth start is always empty.
 *
 * Insert walks down by key, widening the summaries on the way (the new
 * access will be in each of those subtrees: hi, and hw for a write), and
 * splits full nodes on the way back up.  Every access knows its leaf
 * (entries that move between leaves are told), so a remove that changes
 * no summary and leaves the leaf full enough, the common case, takes no
 * descent.  Otherwise remove walks down by key, and on the way back up
 * merges an underfull node with a sibling, or shares a sibling's entries
 * when both would not fit in one node, and stops as soon as a summary
 * comes out unchanged.  A query walks every child whose largest hi (hw
 * for the writes alone) passes the query's start, in key order, and stops
 * at the first whose smallest lo reaches the query's end.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stdlib.h>
#include <string.h>

#include "index.h"

#define F ORDO_ITREE_FANOUT
#define S_MIN (F / 4)
#define S_MAX_HEIGHT 48 /* S_MIN-way fill: log3(2^64) = 41 levels at most */
#define S_CHUNK_NODES 64
#define S_PAD_LO UINT64_MAX /* lo of an empty slot (see s_rank_lo) */

#define S_SLOTS 16 /* F entries and a last start always empty */
_Static_assert(F + 1 == S_SLOTS, "s_rank_lo counts four groups of four");

struct ordo_bnode {
    uint64_t lo[S_SLOTS];   /* key: lo; lo[F] is always empty (s_rank_lo) */
    uint64_t seq[S_SLOTS];  /* key: tiebreak */
    uint64_t hi[F];         /* largest hi of the entry */
    uint32_t n;             /* entries */
    uint32_t leaf;          /* a bool, here to fill hi's last line */
    uint64_t hw[S_SLOTS];   /* largest hi of the entry's writes, 0 when it
                               has none (hw[F] is unused) */
    void *ptr[S_SLOTS];     /* leaf: ordo_inode_t *; inner: ordo_bnode_t * */
} __attribute__((aligned(64)));

_Static_assert(sizeof(ordo_bnode_t) == 10 * 64, "a node is ten lines, its count in hi's");

_Static_assert(S_MIN >= 2, "a non-root inner node needs two children");

/* ------------------------------------------------------------------ */
/* Node pool                                                           */

void ordo_ipool_init(ordo_ipool_t *p)
{
    memset(p, 0, sizeof *p);
}

void ordo_ipool_fini(ordo_ipool_t *p)
{
    for (size_t i = 0; i < p->nchunks; i++)
        free(p->chunks[i]);
    free(p->chunks);
    memset(p, 0, sizeof *p);
}

size_t ordo_ipool_bytes(const ordo_ipool_t *p)
{
    return p->nodes * sizeof(ordo_bnode_t);
}

/* Empties the slots [from, to) of x: they get a start that no key and no
 * query reaches, so that searches and scans stop there without reading
 * the count of entries (s_rank_lo, s_query). */
static void s_pad(ordo_bnode_t *x, uint32_t from, uint32_t to)
{
    for (uint32_t k = from; k < to; k++)
        x->lo[k] = S_PAD_LO;
}

static void s_node_put(ordo_ipool_t *p, ordo_bnode_t *x)
{
    x->ptr[0] = p->free;
    p->free = x;
    p->nfree++;
}

/* Makes sure the pool has need free nodes. */
static bool s_pool_reserve(ordo_ipool_t *p, size_t need)
{
    while (p->nfree < need) {
        if (p->nchunks == p->cap_chunks) {
            size_t cap = p->cap_chunks ? 2 * p->cap_chunks : 16;
            void **c = realloc(p->chunks, cap * sizeof *c);
            if (!c)
                return false;
            p->chunks = c;
            p->cap_chunks = cap;
        }
        ordo_bnode_t *chunk = aligned_alloc(64, S_CHUNK_NODES * sizeof *chunk);
        if (!chunk)
            return false;
        p->chunks[p->nchunks++] = chunk;
        p->nodes += S_CHUNK_NODES;
        for (size_t i = 0; i < S_CHUNK_NODES; i++)
            s_node_put(p, &chunk[i]);
    }
    return true;
}

/* A node from the pool; s_pool_reserve made sure there is one. */
static ordo_bnode_t *s_node_get(ordo_ipool_t *p, bool leaf)
{
    ordo_bnode_t *x = p->free;
    p->free = x->ptr[0];
    p->nfree--;
    x->n = 0;
    x->leaf = leaf;
    s_pad(x, 0, S_SLOTS);
    return x;
}

/* ------------------------------------------------------------------ */
/* Entries                                                             */

void ordo_index_init(ordo_index_t *idx, uint64_t buffer_id, uint64_t size)
{
    idx->buffer_id = buffer_id;
    idx->size = size;
    idx->tree = ORDO_ITREE_EMPTY;
    idx->outlived = 0;
    idx->grouped = 0;
}

/* One 128-bit comparison: a compare and a subtract with borrow, where
 * the two-part test took six instructions and a branch. */
static inline bool s_less(uint64_t alo, uint64_t aseq, uint64_t blo, uint64_t bseq)
{
    return ((unsigned __int128)alo << 64 | aseq) < ((unsigned __int128)blo << 64 | bseq);
}

/* The number of entries of x whose start is below v.  The slots past n
 * hold S_PAD_LO, which no start reaches (lo < hi), so the sorted starts
 * can be counted without looking at n: first among the last start of each
 * group of four (three compares that do not depend on each other: the
 * sixteenth start is always empty), then inside the group where the count
 * stops (three more).  A binary search
 * made a chain of four dependent loads per node: a descent through five
 * levels was twenty loads in a row, and a cold node's second line of
 * starts was a miss that waited for the first. */
static inline uint32_t s_rank_lo(const ordo_bnode_t *x, uint64_t v)
{
    const uint64_t *l = x->lo;
    uint32_t b = 4 * ((uint32_t)(l[3] < v) + (l[7] < v) + (l[11] < v)); /* l[15]: empty */
    return b + (uint32_t)(l[b] < v) + (l[b + 1] < v) + (l[b + 2] < v);
}

/* The number of entries of x whose key is below (lo, seq), or, with
 * inclusive, not above it.  seq is read only when starts tie: a node's seq
 * array is two more cache lines that a descent among distinct starts never
 * needs.  An empty slot's start never ties (lo < hi). */
static inline uint32_t s_rank(const ordo_bnode_t *x, uint64_t lo, uint64_t seq, bool inclusive)
{
    uint32_t c = s_rank_lo(x, lo);
    if (__builtin_expect(c < F && x->lo[c] == lo, 0)) /* ties are rare: keep them out of line */
        while (c < F && x->lo[c] == lo && (x->seq[c] < seq || (inclusive && x->seq[c] == seq)))
            c++;
    return c;
}

/* The entry of x whose subtree holds key (lo, seq): the last one whose key
 * is not greater, or the first when key precedes them all. */
static inline uint32_t s_child(const ordo_bnode_t *x, uint64_t lo, uint64_t seq)
{
    uint32_t c = s_rank(x, lo, seq, true);
    return c ? c - 1 : 0;
}

/* Copies cnt entries of src from si to dst at di (they may overlap: within
 * one node, a shift).  A plain loop: the counts are below F, where a call
 * to memmove per array costs more than the copy. */
static void s_move(ordo_bnode_t *dst, uint32_t di, ordo_bnode_t *src, uint32_t si, uint32_t cnt)
{
    if (dst != src && dst->leaf) /* accesses change leaves: tell them */
        for (uint32_t k = 0; k < cnt; k++)
            ((ordo_inode_t *)src->ptr[si + k])->leaf = dst;
    if (dst == src && di > si) {
        for (uint32_t k = cnt; k-- > 0;) {
            dst->lo[di + k] = src->lo[si + k];
            dst->seq[di + k] = src->seq[si + k];
            dst->hi[di + k] = src->hi[si + k];
            dst->hw[di + k] = src->hw[si + k];
            dst->ptr[di + k] = src->ptr[si + k];
        }
        return;
    }
    for (uint32_t k = 0; k < cnt; k++) {
        dst->lo[di + k] = src->lo[si + k];
        dst->seq[di + k] = src->seq[si + k];
        dst->hi[di + k] = src->hi[si + k];
        dst->hw[di + k] = src->hw[si + k];
        dst->ptr[di + k] = src->ptr[si + k];
    }
}

static void s_insert_at(ordo_bnode_t *x, uint32_t pos, uint64_t lo, uint64_t seq, uint64_t hi,
                        uint64_t hw, void *ptr)
{
    if (x->leaf)
        ((ordo_inode_t *)ptr)->leaf = x;
    s_move(x, pos + 1, x, pos, x->n - pos);
    x->lo[pos] = lo;
    x->seq[pos] = seq;
    x->hi[pos] = hi;
    x->hw[pos] = hw;
    x->ptr[pos] = ptr;
    x->n++;
}

static void s_delete_at(ordo_bnode_t *x, uint32_t pos)
{
    s_move(x, pos, x, pos + 1, x->n - pos - 1);
    x->n--;
    s_pad(x, x->n, x->n + 1);
}

/* The largest of the first n values of h (0 when n is 0). */
static uint64_t s_max(const uint64_t *h, uint32_t n)
{
    uint64_t m = 0;
    for (uint32_t i = 0; i < n; i++)
        if (h[i] > m)
            m = h[i];
    return m;
}

/* Sets entry i of x to the summary of its child c; true when it changed. */
static bool s_summarize(ordo_bnode_t *x, uint32_t i, const ordo_bnode_t *c)
{
    uint64_t hi = s_max(c->hi, c->n), hw = s_max(c->hw, c->n);
    bool changed = x->lo[i] != c->lo[0] || x->seq[i] != c->seq[0] || x->hi[i] != hi ||
                   x->hw[i] != hw;
    x->lo[i] = c->lo[0];
    x->seq[i] = c->seq[0];
    x->hi[i] = hi;
    x->hw[i] = hw;
    return changed;
}

/* Appends the entry of child c to the new inner node r. */
static void s_adopt(ordo_bnode_t *r, ordo_bnode_t *c)
{
    s_insert_at(r, r->n, c->lo[0], c->seq[0], s_max(c->hi, c->n), s_max(c->hw, c->n), c);
}

/* ------------------------------------------------------------------ */
/* Insert                                                              */

ordo_inode_t *ordo_itree_insert(ordo_itree_t *t, ordo_ipool_t *p, ordo_inode_t *n, bool write)
{
    if (!s_pool_reserve(p, t->height + 1)) /* a split at every level and a root */
        return NULL;
    if (!t->root) {
        t->root = s_node_get(p, true);
        t->height = 1;
    }
    /* n's fields in locals: the stores into nodes could alias them. */
    uint64_t lo = n->lo, seq = n->seq, hi = n->hi, hw = write ? n->hi : 0;
    ordo_bnode_t *path[S_MAX_HEIGHT];
    uint32_t at[S_MAX_HEIGHT];
    uint32_t d = 0;
    ordo_bnode_t *x = t->root;
    for (; d + 1 < t->height; d++) { /* by height: x->leaf is another line */
        /* Inclusive: an entry with n's key is in the last child whose
         * smallest key is not above it. */
        uint32_t c = s_rank(x, lo, seq, true);
        uint32_t i = c ? c - 1 : 0;
        if (c == 0) { /* a new smallest key */
            x->lo[0] = lo;
            x->seq[0] = seq;
        }
        if (hi > x->hi[i])
            x->hi[i] = hi;
        if (hw > x->hw[i])
            x->hw[i] = hw;
        path[d] = x;
        at[d] = i;
        x = x->ptr[i];
    }
    /* The number of keys not above n's.  An entry with n's key is the last
     * of them; the summaries widened on the way down already held it (its
     * hi, a smallest key not above it), so leaving now changes nothing. */
    uint32_t pos = s_rank(x, lo, seq, true);
    if (pos > 0 && x->lo[pos - 1] == lo && x->seq[pos - 1] == seq)
        return x->ptr[pos - 1];

    /* Put the entry at pos of x; while x is full, split it and carry the
     * new right half's entry up to the parent. */
    void *ptr = n;
    for (;;) {
        if (x->n < F) {
            s_insert_at(x, pos, lo, seq, hi, hw, ptr);
            break;
        }
        ordo_bnode_t *y = s_node_get(p, x->leaf);
        /* Halves, except for an entry in the right half of x: accesses
         * mostly come in increasing order of bytes (a stream over a
         * buffer, the arguments of a task in any order), and halving would
         * leave every node half full.  Then x keeps the entries before the
         * new one, at most all but S_MIN - 1, and y gets the others and the
         * new one: at least S_MIN. */
        uint32_t half = F / 2;
        if (pos > F / 2)
            half = pos < F - S_MIN + 1 ? pos : F - S_MIN + 1;
        s_move(y, 0, x, half, F - half);
        y->n = F - half;
        x->n = half;
        s_pad(x, half, F);
        if (pos <= F / 2)
            s_insert_at(x, pos, lo, seq, hi, hw, ptr);
        else
            s_insert_at(y, pos - half, lo, seq, hi, hw, ptr);
        if (d == 0) {
            ordo_bnode_t *r = s_node_get(p, false);
            s_adopt(r, x);
            s_adopt(r, y);
            t->root = r;
            t->height++;
            break;
        }
        ordo_bnode_t *parent = path[--d];
        s_summarize(parent, at[d], x);
        x = parent;
        pos = at[d] + 1;
        lo = y->lo[0];
        seq = y->seq[0];
        hi = s_max(y->hi, y->n);
        hw = s_max(y->hw, y->n);
        ptr = y;
    }
    t->count++;
    if (n->hi - n->lo > t->span)
        t->span = n->hi - n->lo;
    return n;
}

/* ------------------------------------------------------------------ */
/* Remove                                                              */

/* Children a and a+1 of x, one of them underfull: merges them when they
 * fit in one node, else shares their entries evenly. */
static void s_rebalance(ordo_ipool_t *p, ordo_bnode_t *x, uint32_t a)
{
    ordo_bnode_t *l = x->ptr[a], *r = x->ptr[a + 1];
    uint32_t total = l->n + r->n;
    if (total <= F) {
        s_move(l, l->n, r, 0, r->n);
        l->n = total;
        s_node_put(p, r);
        s_delete_at(x, a + 1);
        s_summarize(x, a, l);
        return;
    }
    uint32_t want = total / 2; /* entries l keeps */
    if (l->n < want) {
        uint32_t k = want - l->n;
        s_move(l, l->n, r, 0, k);
        s_move(r, 0, r, k, r->n - k);
        l->n += k;
        r->n -= k;
        s_pad(r, r->n, r->n + k);
    } else {
        uint32_t k = l->n - want;
        s_move(r, k, r, 0, r->n);
        s_move(r, 0, l, want, k);
        l->n -= k;
        r->n += k;
        s_pad(l, l->n, l->n + k);
    }
    s_summarize(x, a, l);
    s_summarize(x, a + 1, r);
}

/* The leaf holding n, n's position in it, and the path down to it.  n
 * must be in t: otherwise the caller's books are broken, and going on
 * would corrupt the index. */
static ordo_bnode_t *s_find(const ordo_itree_t *t, const ordo_inode_t *n, ordo_bnode_t **path,
                            uint32_t *at, uint32_t *depth, uint32_t *pos)
{
    ordo_bnode_t *x = t->root;
    for (uint32_t d = 0;; d++) {
        uint32_t i = s_child(x, n->lo, n->seq);
        if (d + 1 == t->height) {
            if (x->ptr[i] != n)
                abort();
            *depth = d;
            *pos = i;
            return x;
        }
        path[d] = x;
        at[d] = i;
        x = x->ptr[i];
    }
}

/* n's position in its leaf, n->leaf; n must be in a tree (see s_find). */
static uint32_t s_leaf_pos(const ordo_inode_t *n)
{
    const ordo_bnode_t *x = n->leaf;
    uint32_t c = s_rank(x, n->lo, n->seq, true);
    if (c == 0 || x->ptr[c - 1] != n)
        abort();
    return c - 1;
}

void ordo_itree_remove(ordo_itree_t *t, ordo_ipool_t *p, ordo_inode_t *n)
{
    /* The common case, from n's leaf without a descent: the leaf is not
     * the root and keeps enough entries, and neither its smallest key nor
     * its largest hi (of a write: its largest write's hi) is n's (another
     * entry's is larger, and so is its hi), so no summary above it
     * changes. */
    ordo_bnode_t *x = n->leaf;
    uint32_t pos = s_leaf_pos(n);
    if (t->height > 1 && pos > 0 && x->n > S_MIN) {
        /* Of a write, the writes' ends (and a larger one is a larger hi
         * too); of a read, any entry's. */
        const uint64_t *h = x->hw[pos] ? x->hw : x->hi;
        /* From the end: the largest hi is most often among the last. */
        for (uint32_t k = x->n; k-- > 0;)
            if (h[k] > n->hi) {
                s_delete_at(x, pos);
                t->count--;
                return;
            }
    }

    ordo_bnode_t *path[S_MAX_HEIGHT];
    uint32_t at[S_MAX_HEIGHT];
    uint32_t d;
    x = s_find(t, n, path, at, &d, &pos);
    s_delete_at(x, pos);
    t->count--;

    while (d > 0) {
        ordo_bnode_t *parent = path[--d];
        uint32_t i = at[d];
        if (x->n < S_MIN)
            s_rebalance(p, parent, i + 1 < parent->n ? i : i - 1);
        else if (!s_summarize(parent, i, x))
            return; /* nothing above can change */
        x = parent;
    }
    if (x->n == 0) { /* the last entry left */
        s_node_put(p, x);
        t->root = NULL;
        t->height = 0;
        t->span = 0;
    } else if (!x->leaf && x->n == 1) {
        t->root = x->ptr[0];
        t->height--;
        s_node_put(p, x);
    }
}

void ordo_itree_replace(ordo_itree_t *t, ordo_inode_t *old, ordo_inode_t *n)
{
    (void)t; /* the kind is the entry's: hw[pos] stays */
    uint32_t pos = s_leaf_pos(old);
    *n = *old;
    n->leaf->ptr[pos] = n;
}

/* ------------------------------------------------------------------ */
/* Query                                                               */

/* The first child of x from i on that may hold accesses meeting [lo, hi),
 * or F.
 *
 * A query walks down from the root with a stack of the nodes above, where a
 * recursion paid a call with seven arguments at every level.  Neither a
 * node's count of entries nor its leaf flag is read: the empty slots'
 * starts stop the scans (s_pad), the depth tells the leaves, and the
 * node's header is a cache line of its own that a cold descent would miss
 * on at every level.
 *
 * A query for a read's writes reads hw where one for a write reads hi: the
 * same walk, over the writes' ends (a read's, in a leaf, is 0).
 *
 * A node's scan starts past the entries that cannot reach lo: no entry is
 * longer than the tree's span, so an access that starts before cut =
 * lo - span + 1 ends at or before lo.  In a leaf those are the first r
 * entries, r the number of starts below cut; in an inner node, child i
 * holds starts up to the next child's smallest, so the first r - 1
 * children.  A scan from the first entry read half a node's starts and
 * hi on average at every level, where the accesses near the query are a
 * few.  (A long access makes the span long and the scans start at 0.)
 * The scans' bounds are read as they go: visit is opaque to the compiler,
 * and may not change the tree (index.h).  A node is pushed to be resumed
 * only when its next child starts before the query's end: a query inside
 * one child at every level goes down once and does not climb back. */

static inline uint32_t s_next(const ordo_bnode_t *x, const uint64_t *h, uint32_t i,
                              uint64_t lo, uint64_t hi)
{
    for (; i < F && x->lo[i] < hi; i++)
        if (h[i] > lo)
            return i;
    return F;
}

void ordo_itree_query(const ordo_itree_t *t, uint64_t lo, uint64_t hi, bool writes_only,
                      ordo_itree_visit_fn visit, void *arg)
{
    if (!t->root)
        return;
    uint64_t cut = lo >= t->span ? lo - t->span + 1 : 0;
    /* The nodes to resume, with the next child to look at and their
     * depth: only those where that child starts before hi. */
    const ordo_bnode_t *up[S_MAX_HEIGHT];
    uint32_t next[S_MAX_HEIGHT], depth[S_MAX_HEIGHT];
    uint32_t d = 0, nup = 0, leaf = t->height - 1;
    const ordo_bnode_t *x = t->root;
    for (;;) {
        /* The lines the scan reads after the rank, asked for with the
         * starts': a cold node is then one wait, not two in a row. */
        const uint64_t *h = writes_only ? x->hw : x->hi;
        __builtin_prefetch(&h[0]);
        __builtin_prefetch(&h[8]);
        __builtin_prefetch(&x->ptr[0]);
        __builtin_prefetch(&x->ptr[8]);
        uint32_t r = cut ? s_rank_lo(x, cut) : 0, i = F;
        if (d == leaf) {
            for (uint32_t k = r; k < F && x->lo[k] < hi; k++)
                if (h[k] > lo)
                    visit(x->ptr[k], arg);
        } else {
            i = s_next(x, h, r ? r - 1 : 0, lo, hi);
        }
        while (i == F) { /* x is done: resume the nearest node above */
            if (nup == 0)
                return;
            nup--;
            x = up[nup];
            d = depth[nup];
            i = s_next(x, writes_only ? x->hw : x->hi, next[nup], lo, hi);
        }
        if (x->lo[i + 1] < hi) { /* (lo[F] is empty) */
            up[nup] = x;
            next[nup] = i + 1;
            depth[nup] = d;
            nup++;
        }
        d++;
        x = x->ptr[i];
    }
}

/* ------------------------------------------------------------------ */
/* Invariants                                                          */

typedef struct {
    uint32_t height;
    size_t count;
    uint64_t span;
    bool any;               /* a leaf entry was seen: last is set */
    uint64_t last_lo, last_seq;
} s_check_t;

static bool s_check(const ordo_bnode_t *x, uint32_t level, bool root, s_check_t *c)
{
    if (x->n > F || x->n == 0 || (!root && x->n < S_MIN) || (root && !x->leaf && x->n < 2))
        return false;
    if (x->leaf != (level == c->height))
        return false;
    for (uint32_t k = x->n; k < S_SLOTS; k++)
        if (x->lo[k] != S_PAD_LO)
            return false; /* s_rank_lo and s_query would count it */
    for (uint32_t i = 0; i < x->n; i++) {
        if (i > 0 && !s_less(x->lo[i - 1], x->seq[i - 1], x->lo[i], x->seq[i]))
            return false;
        if (x->leaf) {
            const ordo_inode_t *n = x->ptr[i];
            if (n->lo != x->lo[i] || n->seq != x->seq[i] || n->hi != x->hi[i] || n->lo >= n->hi ||
                (x->hw[i] != 0 && x->hw[i] != n->hi) || n->leaf != x || n->hi - n->lo > c->span)
                return false;
            if (c->any && !s_less(c->last_lo, c->last_seq, n->lo, n->seq))
                return false;
            c->any = true;
            c->last_lo = n->lo;
            c->last_seq = n->seq;
            c->count++;
            continue;
        }
        const ordo_bnode_t *k = x->ptr[i];
        if (!s_check(k, level + 1, false, c) || k->lo[0] != x->lo[i] || k->seq[0] != x->seq[i] ||
            s_max(k->hi, k->n) != x->hi[i] || s_max(k->hw, k->n) != x->hw[i])
            return false;
    }
    return true;
}

bool ordo_itree_check(const ordo_itree_t *t)
{
    if (!t->root)
        return t->count == 0 && t->height == 0 && t->span == 0;
    s_check_t c = {.height = t->height, .span = t->span};
    return s_check(t->root, 1, true, &c) && c.count == t->count;
}
