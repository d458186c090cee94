/*
 * index.h - the access index of one buffer: the live accesses in interval
 * trees keyed by byte bounds.
 *
 * Reads and writes of a buffer live in one B+ tree of
 * ORDO_ITREE_FANOUT-way nodes ordered by (lo, seq).  Every entry of an
 * inner node keeps the smallest key of its child's subtree and two largest
 * ends: of all its accesses (hi) and of its writes alone (hw), so a
 * stabbing query for a read, which only conflicts with writes, skips every
 * subtree of readers, and one for a write skips every child that nothing
 * reaches the query from; both stop at the first child whose smallest lo
 * is past the query's end.  One tree, where reads and writes had a tree
 * each: an access queries and joins the same tree, so a random access
 * reaches one cold path of nodes, not two (SCALE: four cold leaves per task
 * became two).  A tree also keeps the longest entry it has held since it
 * was last empty (span), so a query starts each node's scan at the first
 * child that an access of that length could reach from there.  A query
 * costs O(log n) node visits plus the nodes reported (and, for a read, the
 * readers that share a leaf with a write it meets); a node is ten adjacent
 * cache lines, so with a hundred thousand live accesses a descent touches
 * five nodes where a binary tree touched seventeen scattered records.
 * Each access knows the leaf that holds it, so a removal that changes no
 * summary above its leaf (most) takes no descent.
 *
 * The accesses themselves are intrusive ordo_inode_t records that belong to
 * the caller; the tree's nodes come from an ordo_ipool_t the caller owns
 * (the graph's), which keeps freed nodes for reuse: in a steady state the
 * index allocates nothing.  An empty tree holds no node.
 */
#ifndef ORDO_INDEX_H_INCLUDED
#define ORDO_INDEX_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ordo_bnode ordo_bnode_t;

/* One indexed access: set lo, hi and seq before the insert; the tree reads
 * them and keeps leaf. */
typedef struct ordo_inode {
    uint64_t lo, hi;        /* byte bounds [lo, hi), lo < hi */
    uint64_t seq;           /* unique tiebreak: the order of insertion */
    ordo_bnode_t *leaf;     /* the tree's: the leaf that holds it */
} ordo_inode_t;

#define ORDO_ITREE_FANOUT 15 /* entries of a node at most (index.c: why 15) */

typedef struct {
    ordo_bnode_t *root;     /* NULL when empty */
    uint32_t height;        /* levels: 1 when the root is a leaf */
    size_t count;           /* entries */
    uint64_t span;          /* no entry is longer (hi - lo): the longest
                               since the tree was last empty */
} ordo_itree_t;

#define ORDO_ITREE_EMPTY ((ordo_itree_t){NULL, 0, 0, 0})

/* Nodes for any number of trees: kept on a free list when a tree lets them
 * go, allocated in chunks when the list runs dry. */
typedef struct {
    ordo_bnode_t *free;     /* free list */
    size_t nfree;
    void **chunks;          /* every allocation, for fini */
    size_t nchunks, cap_chunks;
    size_t nodes;           /* nodes allocated in all */
} ordo_ipool_t;

void ordo_ipool_init(ordo_ipool_t *p);

/* Frees every node; the trees that used the pool must be dropped first (or
 * be empty). */
void ordo_ipool_fini(ordo_ipool_t *p);

/* Bytes the pool holds. */
size_t ordo_ipool_bytes(const ordo_ipool_t *p);

/* The index of one buffer.  Embedded in the daemon's buffer object. */
typedef struct {
    uint64_t buffer_id;     /* for messages and observability only */
    uint64_t size;          /* bytes */
    ordo_itree_t tree;      /* its live reads and writes */
    size_t outlived;        /* reads that a later write met but did not cover */
    size_t grouped;         /* reads that share another read's entry of the
                               tree (the graph's read groups) */
} ordo_index_t;

void ordo_index_init(ordo_index_t *idx, uint64_t buffer_id, uint64_t size);

/* Live accesses of the buffer (0 means nothing pending touches it). */
static inline size_t ordo_index_live(const ordo_index_t *idx)
{
    return idx->tree.count + idx->grouped;
}

/* Inserts n, whose lo, hi and seq are set, as a write or a read, and
 * returns n; when an entry with n's key (lo, seq) is there, returns it
 * instead, with the tree unchanged (the caller's hi and kind must then be
 * that entry's: a key names one entry); NULL, with the tree unchanged,
 * when the pool cannot get a node. */
ordo_inode_t *ordo_itree_insert(ordo_itree_t *t, ordo_ipool_t *p, ordo_inode_t *n, bool write);

/* Removes n, which must be in t. */
void ordo_itree_remove(ordo_itree_t *t, ordo_ipool_t *p, ordo_inode_t *n);

/* Puts n in the place of old, which must be in t: n takes old's bounds,
 * key (seq), kind (write or read) and position, without a rebalance. */
void ordo_itree_replace(ordo_itree_t *t, ordo_inode_t *old, ordo_inode_t *n);

/* Calls visit(n, arg) for every entry with n->lo < hi and n->hi > lo (of
 * the writes alone with writes_only), in increasing (lo, seq) order.
 * visit must not modify the tree. */
typedef void (*ordo_itree_visit_fn)(ordo_inode_t *n, void *arg);
void ordo_itree_query(const ordo_itree_t *t, uint64_t lo, uint64_t hi, bool writes_only,
                      ordo_itree_visit_fn visit, void *arg);

/* Checks the order, balance, fill and augmentation invariants (for
 * tests). */
bool ordo_itree_check(const ordo_itree_t *t);

#endif /* ORDO_INDEX_H_INCLUDED */
