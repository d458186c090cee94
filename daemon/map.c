/*
 * map.c - open-addressing hash maps (see map.h).
 *
 * Both maps share one probing core over slots of (hash, key, value).  For
 * the 64-bit map the key is the hash input itself; the string map keeps a
 * heap copy of each key and compares it on a hash match.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "map.h"
#include "ordo.h"

typedef struct {
    uint64_t key;           /* 64-bit key, or the hash of a string key */
    void *value;            /* NULL: empty slot */
    void *skey;             /* string map: the key bytes */
    size_t slen;
} s_slot_t;

typedef struct {
    s_slot_t *slots;
    size_t cap;             /* power of two, or 0 */
    size_t count;
} s_table_t;

struct ordo_map {
    s_table_t t;
};

struct ordo_smap {
    s_table_t t;
};

/* A strong 64-bit mixer (splitmix64 finaliser): ids are sequential. */
static uint64_t s_mix(uint64_t x)
{
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    x ^= x >> 31;
    return x;
}

static uint64_t s_hash_bytes(const void *key, size_t len)
{
    const unsigned char *p = key;
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= UINT64_C(0x100000001b3);
    }
    return s_mix(h);
}

static bool s_match(const s_slot_t *s, uint64_t key, const void *skey, size_t slen)
{
    if (s->key != key)
        return false;
    if (!skey)
        return true;
    return s->slen == slen && memcmp(s->skey, skey, slen) == 0;
}

/* Index of the slot holding key, or of the empty slot where it would go. */
static size_t s_find(const s_table_t *t, uint64_t key, const void *skey, size_t slen)
{
    size_t mask = t->cap - 1;
    size_t i = (size_t)s_mix(key) & mask;
    while (t->slots[i].value && !s_match(&t->slots[i], key, skey, slen))
        i = (i + 1) & mask;
    return i;
}

static int s_grow(s_table_t *t)
{
    size_t ncap = t->cap ? t->cap * 2 : 16;
    s_slot_t *ns = calloc(ncap, sizeof *ns);
    if (!ns)
        return ORDO_ENOMEM;
    s_table_t old = *t;
    t->slots = ns;
    t->cap = ncap;
    for (size_t i = 0; i < old.cap; i++) {
        if (!old.slots[i].value)
            continue;
        size_t j = (size_t)s_mix(old.slots[i].key) & (ncap - 1);
        while (ns[j].value)
            j = (j + 1) & (ncap - 1);
        ns[j] = old.slots[i];
    }
    free(old.slots);
    return 0;
}

static void *s_get(const s_table_t *t, uint64_t key, const void *skey, size_t slen)
{
    if (!t->cap)
        return NULL;
    return t->slots[s_find(t, key, skey, slen)].value;
}

static int s_put(s_table_t *t, uint64_t key, const void *skey, size_t slen, void *value)
{
    if (!value)
        return ORDO_EINVAL;
    if ((t->count + 1) * 4 > t->cap * 3 && s_grow(t) != 0)
        return ORDO_ENOMEM;
    size_t i = s_find(t, key, skey, slen);
    s_slot_t *s = &t->slots[i];
    if (s->value) {
        s->value = value;
        return 0;
    }
    if (skey) {
        s->skey = malloc(slen ? slen : 1);
        if (!s->skey)
            return ORDO_ENOMEM;
        memcpy(s->skey, skey, slen);
        s->slen = slen;
    }
    s->key = key;
    s->value = value;
    t->count++;
    return 0;
}

/* Removes the slot and shifts back the run after it, so that every key
 * stays reachable from its home slot without tombstones. */
static void *s_remove(s_table_t *t, uint64_t key, const void *skey, size_t slen)
{
    if (!t->cap)
        return NULL;
    size_t mask = t->cap - 1;
    size_t i = s_find(t, key, skey, slen);
    if (!t->slots[i].value)
        return NULL;
    void *value = t->slots[i].value;
    free(t->slots[i].skey);
    t->slots[i] = (s_slot_t){ 0 };
    t->count--;
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!t->slots[j].value)
            break;
        size_t home = (size_t)s_mix(t->slots[j].key) & mask;
        /* Move j into the hole at i when its home is not in (i, j]. */
        bool between = (i <= j) ? (home > i && home <= j) : (home > i || home <= j);
        if (!between) {
            t->slots[i] = t->slots[j];
            t->slots[j] = (s_slot_t){ 0 };
            i = j;
        }
    }
    return value;
}

static void s_free(s_table_t *t)
{
    for (size_t i = 0; i < t->cap; i++)
        free(t->slots[i].skey);
    free(t->slots);
    *t = (s_table_t){ 0 };
}

ordo_map_t *ordo_map_new(void)
{
    return calloc(1, sizeof(ordo_map_t));
}

void ordo_map_destroy(ordo_map_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    s_free(&(*self_p)->t);
    free(*self_p);
    *self_p = NULL;
}

void *ordo_map_get(const ordo_map_t *self, uint64_t key)
{
    return s_get(&self->t, key, NULL, 0);
}

int ordo_map_put(ordo_map_t *self, uint64_t key, void *value)
{
    return s_put(&self->t, key, NULL, 0, value);
}

void *ordo_map_remove(ordo_map_t *self, uint64_t key)
{
    return s_remove(&self->t, key, NULL, 0);
}

size_t ordo_map_size(const ordo_map_t *self)
{
    return self->t.count;
}

void ordo_map_foreach(const ordo_map_t *self,
                      void (*fn)(uint64_t key, void *value, void *arg), void *arg)
{
    for (size_t i = 0; i < self->t.cap; i++)
        if (self->t.slots[i].value)
            fn(self->t.slots[i].key, self->t.slots[i].value, arg);
}

ordo_smap_t *ordo_smap_new(void)
{
    return calloc(1, sizeof(ordo_smap_t));
}

void ordo_smap_destroy(ordo_smap_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    s_free(&(*self_p)->t);
    free(*self_p);
    *self_p = NULL;
}

void *ordo_smap_get(const ordo_smap_t *self, const void *key, size_t len)
{
    return s_get(&self->t, s_hash_bytes(key, len), key ? key : "", len);
}

int ordo_smap_put(ordo_smap_t *self, const void *key, size_t len, void *value)
{
    return s_put(&self->t, s_hash_bytes(key, len), key ? key : "", len, value);
}

void *ordo_smap_remove(ordo_smap_t *self, const void *key, size_t len)
{
    return s_remove(&self->t, s_hash_bytes(key, len), key ? key : "", len);
}

size_t ordo_smap_size(const ordo_smap_t *self)
{
    return self->t.count;
}
