/*
 * index.c - AVL interval trees of intrusive nodes (see index.h).
 *
 * Ordered by (lo, seq); every node keeps the largest hi of its subtree so a
 * query can skip subtrees that end before it starts, and stops descending
 * right once lo passes the query's end.  Insert and remove walk down with a
 * stack of links and rebalance upwards only while something changes.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stddef.h>

#include "index.h"

void ordo_index_init(ordo_index_t *idx, uint64_t buffer_id, uint64_t size)
{
    idx->buffer_id = buffer_id;
    idx->size = size;
    idx->reads = (ordo_itree_t){NULL, 0};
    idx->writes = (ordo_itree_t){NULL, 0};
    idx->outlived = 0;
}

static inline int32_t s_height(const ordo_inode_t *n) { return n ? n->height : 0; }

static inline bool s_less(const ordo_inode_t *a, const ordo_inode_t *b)
{
    return a->lo < b->lo || (a->lo == b->lo && a->seq < b->seq);
}

/* Recomputes height and max_hi of n from its children. */
static inline void s_update(ordo_inode_t *n)
{
    int32_t hl = s_height(n->left), hr = s_height(n->right);
    n->height = (hl > hr ? hl : hr) + 1;
    uint64_t m = n->hi;
    if (n->left && n->left->max_hi > m)
        m = n->left->max_hi;
    if (n->right && n->right->max_hi > m)
        m = n->right->max_hi;
    n->max_hi = m;
}

static ordo_inode_t *s_rotate_right(ordo_inode_t *n)
{
    ordo_inode_t *l = n->left;
    n->left = l->right;
    l->right = n;
    s_update(n);
    s_update(l);
    return l;
}

static ordo_inode_t *s_rotate_left(ordo_inode_t *n)
{
    ordo_inode_t *r = n->right;
    n->right = r->left;
    r->left = n;
    s_update(n);
    s_update(r);
    return r;
}

/* Restores the AVL balance of n (children balanced) and its augmentation. */
static ordo_inode_t *s_balance(ordo_inode_t *n)
{
    s_update(n);
    int32_t bf = s_height(n->left) - s_height(n->right);
    if (bf > 1) {
        if (s_height(n->left->left) < s_height(n->left->right))
            n->left = s_rotate_left(n->left);
        return s_rotate_right(n);
    }
    if (bf < -1) {
        if (s_height(n->right->right) < s_height(n->right->left))
            n->right = s_rotate_right(n->right);
        return s_rotate_left(n);
    }
    return n;
}

/* Rebalances the nodes at links path[0..top) bottom-up.  Strictly above
 * index `must` (or anywhere when must < 0) it stops at the first node whose
 * height and max_hi came out unchanged without a rotation: nothing above it
 * can change then.  At and below `must` sits a node that took another's
 * place, whose old values prove nothing. */
static void s_fixup(ordo_inode_t **path[], int top, int must)
{
    for (int d = top - 1; d >= 0; d--) {
        ordo_inode_t *x = *path[d];
        int32_t h = x->height;
        uint64_t m = x->max_hi;
        *path[d] = s_balance(x);
        if (d < must || must < 0)
            if (*path[d] == x && x->height == h && x->max_hi == m)
                return;
    }
}

#define S_MAX_DEPTH 96 /* AVL height bound for 2^64 nodes is about 92 */

void ordo_itree_insert(ordo_itree_t *t, ordo_inode_t *n)
{
    ordo_inode_t **path[S_MAX_DEPTH];
    int d = 0;
    ordo_inode_t **link = &t->root;
    while (*link) {
        path[d++] = link;
        link = s_less(n, *link) ? &(*link)->left : &(*link)->right;
    }
    n->left = n->right = NULL;
    n->height = 1;
    n->max_hi = n->hi;
    *link = n;
    s_fixup(path, d, -1);
    t->count++;
}

void ordo_itree_remove(ordo_itree_t *t, ordo_inode_t *n)
{
    ordo_inode_t **path[S_MAX_DEPTH];
    int d = 0;
    ordo_inode_t **link = &t->root;
    while (*link != n) {
        path[d++] = link;
        link = s_less(n, *link) ? &(*link)->left : &(*link)->right;
    }
    int at = d; /* the link whose node changes identity */
    if (!n->left || !n->right) {
        *link = n->left ? n->left : n->right;
        s_fixup(path, d, -1);
    } else {
        /* Replace n by its successor, the leftmost node of n->right. */
        path[d++] = link;
        ordo_inode_t **l = &n->right;
        while ((*l)->left) {
            path[d++] = l;
            l = &(*l)->left;
        }
        ordo_inode_t *succ = *l;
        *l = succ->right;
        succ->left = n->left;
        succ->right = n->right;
        *link = succ;
        if (d > at + 1)
            path[at + 1] = &succ->right; /* that link moved from n to succ */
        s_fixup(path, d, at);
    }
    t->count--;
    n->left = n->right = NULL;
}

void ordo_itree_replace(ordo_itree_t *t, ordo_inode_t *old, ordo_inode_t *n)
{
    ordo_inode_t **link = &t->root;
    while (*link != old)
        link = s_less(old, *link) ? &(*link)->left : &(*link)->right;
    *n = *old; /* same bounds, so the same key and augmentation */
    *link = n;
    old->left = old->right = NULL;
}

static void s_query(ordo_inode_t *n, uint64_t lo, uint64_t hi, ordo_itree_visit_fn visit,
                    void *arg)
{
    while (n && n->max_hi > lo) {
        s_query(n->left, lo, hi, visit, arg);
        if (n->lo >= hi)
            return; /* n and everything right of it start after the query */
        if (n->hi > lo)
            visit(n, arg);
        n = n->right;
    }
}

void ordo_itree_query(const ordo_itree_t *t, uint64_t lo, uint64_t hi,
                      ordo_itree_visit_fn visit, void *arg)
{
    s_query(t->root, lo, hi, visit, arg);
}

static bool s_check(const ordo_inode_t *n, const ordo_inode_t *min, const ordo_inode_t *max,
                    size_t *count)
{
    if (!n)
        return true;
    (*count)++;
    if (n->lo >= n->hi)
        return false;
    if ((min && !s_less(min, n)) || (max && !s_less(n, max)))
        return false;
    if (!s_check(n->left, min, n, count) || !s_check(n->right, n, max, count))
        return false;
    int32_t hl = s_height(n->left), hr = s_height(n->right);
    if (n->height != (hl > hr ? hl : hr) + 1 || hl - hr > 1 || hr - hl > 1)
        return false;
    uint64_t m = n->hi;
    if (n->left && n->left->max_hi > m)
        m = n->left->max_hi;
    if (n->right && n->right->max_hi > m)
        m = n->right->max_hi;
    return n->max_hi == m;
}

bool ordo_itree_check(const ordo_itree_t *t)
{
    size_t count = 0;
    return s_check(t->root, NULL, NULL, &count) && count == t->count;
}
