/*
 * buffer.c - buffer table, names and deferred release (see buffer.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buffer.h"
#include "ordo_limits.h"
#include "map.h"
#include "ordo.h"
#include "view.h"

struct ordo_buffers {
    ordo_map_t *by_id;          /* live (with holders) buffers */
    ordo_smap_t *by_name;
    ordo_buffer_t *dead;        /* no holder, waiting to be idle */
    uint64_t next_id;
    uint64_t count, bytes;
};

ordo_buffers_t *ordo_buffers_new(void)
{
    ordo_buffers_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->by_id = ordo_map_new();
    self->by_name = ordo_smap_new();
    self->next_id = 1;
    if (!self->by_id || !self->by_name)
        ordo_buffers_destroy(&self);
    return self;
}

/* Frees a buffer that no map refers to any more, and its memory. */
static void s_free(ordo_buffers_t *self, ordo_buffer_t *b)
{
    self->count--;
    self->bytes -= b->size;
    free(b->mem);
    free(b->name);
    free(b);
}

static void s_free_live(uint64_t key, void *value, void *arg)
{
    s_free(arg, value);
}

void ordo_buffers_destroy(ordo_buffers_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ordo_buffers_t *self = *self_p;
    if (self->by_id)
        ordo_map_foreach(self->by_id, s_free_live, self);
    while (self->dead) {
        ordo_buffer_t *b = self->dead;
        self->dead = b->dead_next;
        s_free(self, b);
    }
    ordo_map_destroy(&self->by_id);
    ordo_smap_destroy(&self->by_name);
    free(self);
    *self_p = NULL;
}

/* Names are 1..ORDO_MAX_BUFFER_NAME printable ASCII bytes: they appear in
 * logs and status output. */
static int s_check_name(const char *name, char *err, size_t errlen)
{
    size_t n = strlen(name);
    if (n > ORDO_MAX_BUFFER_NAME) {
        snprintf(err, errlen, "buffer name longer than %d bytes", ORDO_MAX_BUFFER_NAME);
        return ORDO_EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c < 0x20 || c > 0x7e) {
            snprintf(err, errlen, "buffer name has a non-printable byte 0x%02x at %zu", c, i);
            return ORDO_EINVAL;
        }
    }
    return 0;
}

int ordo_buffers_create(ordo_buffers_t *self, uint64_t size, const char *name,
                        uint32_t owner, ordo_buffer_t **out, char *err, size_t errlen)
{
    *out = NULL;
    if (size == 0 || size > ORDO_MAX_BUFFER_BYTES) {
        snprintf(err, errlen, "buffer size %llu outside [1, 2^48]", (unsigned long long)size);
        return ORDO_EINVAL;
    }
    bool named = name && *name;
    if (named) {
        int rc = s_check_name(name, err, errlen);
        if (rc)
            return rc;
        if (ordo_smap_get(self->by_name, name, strlen(name))) {
            snprintf(err, errlen, "a buffer named '%s' exists", name);
            return ORDO_EEXIST;
        }
    }
    ordo_buffer_t *b = calloc(1, sizeof *b);
    if (!b)
        goto oom;
    if (size > SIZE_MAX || !(b->mem = calloc(1, (size_t)size)))
        goto oom;
    if (named && !(b->name = strdup(name)))
        goto oom;
    b->id = self->next_id;
    b->size = size;
    b->owner = owner;
    b->holders = 1;
    ordo_index_init(&b->index, b->id, size);
    if (ordo_map_put(self->by_id, b->id, b) != 0)
        goto oom;
    if (named && ordo_smap_put(self->by_name, name, strlen(name), b) != 0) {
        ordo_map_remove(self->by_id, b->id);
        goto oom;
    }
    self->next_id++;
    self->count++;
    self->bytes += size;
    *out = b;
    return 0;
oom:
    if (b) {
        free(b->mem);
        free(b->name);
        free(b);
    }
    snprintf(err, errlen, "out of memory for a buffer of %llu bytes", (unsigned long long)size);
    return ORDO_ENOMEM;
}

ordo_buffer_t *ordo_buffers_get(const ordo_buffers_t *self, uint64_t id)
{
    return ordo_map_get(self->by_id, id);
}

ordo_buffer_t *ordo_buffers_find(const ordo_buffers_t *self, const char *name)
{
    return ordo_smap_get(self->by_name, name, strlen(name));
}

void ordo_buffers_hold(ordo_buffers_t *self, ordo_buffer_t *b)
{
    b->holders++;
}

void ordo_buffers_drop(ordo_buffers_t *self, ordo_buffer_t *b)
{
    if (b->holders == 0 || --b->holders > 0)
        return;
    ordo_map_remove(self->by_id, b->id);
    if (b->name)
        ordo_smap_remove(self->by_name, b->name, strlen(b->name));
    b->dead = true;
    b->dead_next = self->dead;
    self->dead = b;
    ordo_buffers_collect(self);
}

void ordo_buffers_collect(ordo_buffers_t *self)
{
    ordo_buffer_t **pp = &self->dead;
    while (*pp) {
        ordo_buffer_t *b = *pp;
        if (b->task_refs == 0 && ordo_index_live(&b->index) == 0) {
            *pp = b->dead_next;
            s_free(self, b);
        } else {
            pp = &b->dead_next;
        }
    }
}

uint64_t ordo_buffers_count(const ordo_buffers_t *self)
{
    return self->count;
}

uint64_t ordo_buffers_bytes(const ordo_buffers_t *self)
{
    return self->bytes;
}

typedef struct {
    void (*fn)(void *arg, const ordo_buffer_t *b);
    void *arg;
} s_foreach_ctx_t;

static void s_foreach_live(uint64_t key, void *value, void *arg)
{
    s_foreach_ctx_t *ctx = arg;
    ctx->fn(ctx->arg, value);
}

void ordo_buffers_foreach(const ordo_buffers_t *self,
                          void (*fn)(void *arg, const ordo_buffer_t *b), void *arg)
{
    s_foreach_ctx_t ctx = { fn, arg };
    ordo_map_foreach(self->by_id, s_foreach_live, &ctx);
    for (const ordo_buffer_t *b = self->dead; b; b = b->dead_next)
        fn(arg, b);
}
