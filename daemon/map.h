/*
 * map.h - hash maps of the scheduler: 64-bit keys, and byte-string keys.
 *
 * Open addressing with linear probing and backward-shift deletion, so there
 * are no tombstones and a lookup stays short however many keys came and
 * went.  Tables double when three quarters full and never shrink.  Values
 * are pointers and must not be NULL (NULL means "absent").
 */
#ifndef ORDO_MAP_H_INCLUDED
#define ORDO_MAP_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

typedef struct ordo_map ordo_map_t;

ordo_map_t *ordo_map_new(void);
void ordo_map_destroy(ordo_map_t **self_p);

/* Value of key, or NULL. */
void *ordo_map_get(const ordo_map_t *self, uint64_t key);
/* Sets key to value (replacing).  Returns 0 or ORDO_ENOMEM. */
int ordo_map_put(ordo_map_t *self, uint64_t key, void *value);
/* Removes key; returns its value or NULL. */
void *ordo_map_remove(ordo_map_t *self, uint64_t key);
size_t ordo_map_size(const ordo_map_t *self);

/* Visits every entry; fn must not modify the map. */
void ordo_map_foreach(const ordo_map_t *self,
                      void (*fn)(uint64_t key, void *value, void *arg), void *arg);

/* Keys of byte strings (names, ZeroMQ routing ids).  The key is copied. */
typedef struct ordo_smap ordo_smap_t;

ordo_smap_t *ordo_smap_new(void);
void ordo_smap_destroy(ordo_smap_t **self_p);
void *ordo_smap_get(const ordo_smap_t *self, const void *key, size_t len);
int ordo_smap_put(ordo_smap_t *self, const void *key, size_t len, void *value);
void *ordo_smap_remove(ordo_smap_t *self, const void *key, size_t len);
size_t ordo_smap_size(const ordo_smap_t *self);

#endif /* ORDO_MAP_H_INCLUDED */
