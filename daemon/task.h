/*
 * task.h - the daemon's record of one accepted task, shared by the
 * scheduler (server.c) and the workers (executor.c).
 *
 * Ownership passes with the record: the scheduler fills it and owns it until
 * it hands it to the executor; a worker owns it while it runs and fills in
 * its result (u.res, code, error, worker); the completion queue hands it
 * back.  Records are pooled by the scheduler in size classes, so the steady
 * state does not allocate.
 *
 * A record is small because a window holds a million of them: the
 * arguments follow the header in the same allocation, each with only its
 * ndim dimensions (ordo_targ_t), and are expanded into full ordo_karg_t
 * (the kernel ABI) only for the kernel's call.  A task copies parameters of
 * up to ORDO_TASK_PARAMS_INLINE bytes into its record and drops the decoded
 * Submit at once; only a task with host data or longer parameters keeps a
 * reference on the message (msg) until it finishes.  Parameters are dead
 * once the kernel returned, so the result shares their bytes (u).
 */
#ifndef ORDO_TASK_H_INCLUDED
#define ORDO_TASK_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "buffer.h"
#include "kernels.h"
#include "dwire.h"

#define ORDO_TASK_PARAMS_INLINE 32

/* One argument in a record: a view of a buffer with its ndim shape
 * extents, then its ndim strides, in dims. */
typedef struct {
    ordo_buffer_t *buf;
    int64_t offset;             /* elements */
    uint8_t dtype;              /* ordo_dtype_t */
    uint8_t ndim;
    uint8_t mode;               /* ORDO_IN, ORDO_OUT or ORDO_INOUT */
    int64_t dims[];             /* shape[ndim], strides[ndim] */
} ordo_targ_t;

static inline size_t ordo_targ_size(uint32_t ndim)
{
    return sizeof(ordo_targ_t) + 2 * ndim * sizeof(int64_t);
}

static inline const ordo_targ_t *ordo_targ_next(const ordo_targ_t *a)
{
    return (const ordo_targ_t *)((const char *)a + ordo_targ_size(a->ndim));
}

typedef struct ordo_task {
    struct ordo_task *next;     /* queue link */
    uint64_t id;
    const ordo_kernel_t *kernel;
    ordo_dwire_msg_t *msg;      /* keeps params and data alive, or NULL */
    uint64_t accepted_ns;
    char *error;                /* malloc'd failure text, or NULL */
    union {
        /* Until the kernel returns: the parameters, inline (msg NULL)... */
        unsigned char params[ORDO_TASK_PARAMS_INLINE];
        struct {                /* ... or in msg, with the host data */
            const void *params;
            const void *data;
            size_t ndata;
        } ref;
        /* After: the result. */
        struct {
            uint64_t started_ns, finished_ns;
            void *out;          /* host output (malloc'd by the worker) */
            size_t nout;
        } res;
    } u;
    uint32_t nparams;           /* < --max-message (2^31) */
    int32_t code;               /* 0 or the kernel's ORDO_E* */
    uint16_t nargs;             /* <= ORDO_MAX_TASK_ARGS_CEIL */
    uint16_t worker;            /* the worker thread that ran it */
    uint16_t size_class;        /* of the record's allocation (server.c) */
    /* nargs ordo_targ_t, back to back; 8-byte aligned. */
    int64_t args[];
} ordo_task_t;

static inline const ordo_targ_t *ordo_task_args(const ordo_task_t *t)
{
    return (const ordo_targ_t *)t->args;
}

/* Expands argument a of a record into the kernel ABI's form. */
void ordo_targ_expand(const ordo_targ_t *a, ordo_karg_t *out);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t ordo_now_ns(void);

#endif /* ORDO_TASK_H_INCLUDED */
