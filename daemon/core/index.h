/*
 * index.h - the access index of one buffer: the live accesses in interval
 * trees keyed by byte bounds.
 *
 * Reads and writes live in two trees, so that a read, which only conflicts
 * with writes, never walks past the readers.  Each tree is an AVL tree of
 * intrusive nodes ordered by (lo, seq) and augmented with the largest hi of
 * each subtree; a stabbing query skips every subtree whose largest hi does
 * not reach the query, so it costs O(log n) plus the nodes reported (each
 * reported node is reached through at most O(log n) skipped ones in the
 * worst case).  The nodes belong to the caller (the graph's access pool):
 * the index never allocates.
 */
#ifndef ORDO_INDEX_H_INCLUDED
#define ORDO_INDEX_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ordo_inode {
    struct ordo_inode *left, *right;
    uint64_t lo, hi;        /* byte bounds [lo, hi), lo < hi */
    uint64_t seq;           /* unique tiebreak: the order of insertion */
    uint64_t max_hi;        /* largest hi in this subtree */
    int32_t height;
} ordo_inode_t;

typedef struct {
    ordo_inode_t *root;
    size_t count;
} ordo_itree_t;

/* The index of one buffer.  Embedded in the daemon's buffer object. */
typedef struct {
    uint64_t buffer_id;     /* for messages and observability only */
    uint64_t size;          /* bytes */
    ordo_itree_t reads;
    ordo_itree_t writes;
    size_t outlived;        /* reads that a later write met but did not cover */
} ordo_index_t;

void ordo_index_init(ordo_index_t *idx, uint64_t buffer_id, uint64_t size);

/* Live accesses of the buffer (0 means nothing pending touches it). */
static inline size_t ordo_index_live(const ordo_index_t *idx)
{
    return idx->reads.count + idx->writes.count;
}

/* Inserts n, whose lo, hi and seq are set and unique in (lo, seq). */
void ordo_itree_insert(ordo_itree_t *t, ordo_inode_t *n);

/* Removes n, which must be in t. */
void ordo_itree_remove(ordo_itree_t *t, ordo_inode_t *n);

/* Puts n in the place of old, which must be in t with n's bounds: n takes
 * old's key (seq) and position without a rebalance. */
void ordo_itree_replace(ordo_itree_t *t, ordo_inode_t *old, ordo_inode_t *n);

/* Calls visit(n, arg) for every node with n->lo < hi and n->hi > lo, in
 * increasing (lo, seq) order.  visit must not modify the tree. */
typedef void (*ordo_itree_visit_fn)(ordo_inode_t *n, void *arg);
void ordo_itree_query(const ordo_itree_t *t, uint64_t lo, uint64_t hi,
                      ordo_itree_visit_fn visit, void *arg);

/* Checks the AVL, order and augmentation invariants (for tests). */
bool ordo_itree_check(const ordo_itree_t *t);

#endif /* ORDO_INDEX_H_INCLUDED */
