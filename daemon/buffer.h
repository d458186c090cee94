/*
 * buffer.h - device buffers owned by ordod (the host backend: zeroed heap
 * memory) and their access indexes.
 *
 * A buffer is private to the session that created it, or named and shared
 * by every session that opened it.  Its memory lives while a session holds
 * a handle, while an unfinished task refers to it, or while its index still
 * has live accesses (the graph points at the index); the last of the three
 * to end frees it.  Names leave the namespace when the last handle goes, so
 * the name can be created again at once.  Ids count from 1 and are never
 * reused.  Scheduler thread only.
 */
#ifndef ORDO_BUFFER_H_INCLUDED
#define ORDO_BUFFER_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "index.h"

typedef struct ordo_buffer {
    uint64_t id;
    uint64_t size;              /* bytes */
    char *name;                 /* NULL: private to owner */
    uint32_t owner;             /* session that created it */
    uint32_t holders;           /* sessions holding a handle */
    uint64_t task_refs;         /* unfinished tasks using it */
    char *mem;
    ordo_index_t index;
    bool dead;                  /* no holder left: freed once idle */
    struct ordo_buffer *dead_next;
} ordo_buffer_t;

typedef struct ordo_buffers ordo_buffers_t;

ordo_buffers_t *ordo_buffers_new(void);
/* Frees every buffer; the graph must be gone or empty. */
void ordo_buffers_destroy(ordo_buffers_t **self_p);

/* Creates a zeroed buffer with one holder (owner).  name NULL or "" makes
 * it private.  Returns 0, ORDO_EINVAL (size 0 or above
 * ORDO_MAX_BUFFER_BYTES, bad name), ORDO_EEXIST (name taken) or ORDO_ENOMEM,
 * with a reason in err. */
int ordo_buffers_create(ordo_buffers_t *self, uint64_t size, const char *name,
                        uint32_t owner, ordo_buffer_t **out, char *err, size_t errlen);

/* A live buffer (with at least one holder), or NULL. */
ordo_buffer_t *ordo_buffers_get(const ordo_buffers_t *self, uint64_t id);
ordo_buffer_t *ordo_buffers_find(const ordo_buffers_t *self, const char *name);

/* A session takes or drops a handle.  Dropping the last one unnames the
 * buffer and frees it as soon as it is idle (see ordo_buffers_collect). */
void ordo_buffers_hold(ordo_buffers_t *self, ordo_buffer_t *b);
void ordo_buffers_drop(ordo_buffers_t *self, ordo_buffer_t *b);

/* Frees every dead buffer that no task uses and whose index is empty. */
void ordo_buffers_collect(ordo_buffers_t *self);

/* Visits every buffer whose memory is held, live ones then dead ones. */
void ordo_buffers_foreach(const ordo_buffers_t *self,
                          void (*fn)(void *arg, const ordo_buffer_t *b), void *arg);

/* Buffers whose memory is held (dead ones included), and their bytes. */
uint64_t ordo_buffers_count(const ordo_buffers_t *self);
uint64_t ordo_buffers_bytes(const ordo_buffers_t *self);

#endif /* ORDO_BUFFER_H_INCLUDED */
