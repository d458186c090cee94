/*
 * index.c - AVL interval trees of intrusive nodes (see index.h).
 *
 * Ordered by (lo, seq); every node keeps the largest hi of its subtree so a
 * query can skip subtrees that end before it starts, and stops descending
 * right once lo passes the query's end.  Insert and remove are recursive
 * (the depth is at most 1.44 log2 n, about 40 for a billion nodes).
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

static ordo_inode_t *s_insert(ordo_inode_t *root, ordo_inode_t *n)
{
    if (!root)
        return n;
    if (s_less(n, root))
        root->left = s_insert(root->left, n);
    else
        root->right = s_insert(root->right, n);
    return s_balance(root);
}

void ordo_itree_insert(ordo_itree_t *t, ordo_inode_t *n)
{
    n->left = n->right = NULL;
    n->height = 1;
    n->max_hi = n->hi;
    t->root = s_insert(t->root, n);
    t->count++;
}

/* Detaches the smallest node of root into *min; returns the new root. */
static ordo_inode_t *s_remove_min(ordo_inode_t *root, ordo_inode_t **min)
{
    if (!root->left) {
        *min = root;
        return root->right;
    }
    root->left = s_remove_min(root->left, min);
    return s_balance(root);
}

static ordo_inode_t *s_remove(ordo_inode_t *root, ordo_inode_t *n)
{
    if (root == n) {
        if (!n->left)
            return n->right;
        if (!n->right)
            return n->left;
        ordo_inode_t *succ;
        ordo_inode_t *right = s_remove_min(n->right, &succ);
        succ->left = n->left;
        succ->right = right;
        return s_balance(succ);
    }
    if (s_less(n, root))
        root->left = s_remove(root->left, n);
    else
        root->right = s_remove(root->right, n);
    return s_balance(root);
}

void ordo_itree_remove(ordo_itree_t *t, ordo_inode_t *n)
{
    t->root = s_remove(t->root, n);
    t->count--;
    n->left = n->right = NULL;
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
