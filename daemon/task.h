/*
 * task.h - the daemon's record of one accepted task, shared by the
 * scheduler (server.c) and the workers (executor.c).
 *
 * Ownership passes with the record: the scheduler fills it and owns it until
 * it hands it to the executor; a worker owns it while it runs and fills in
 * started_ns, finished_ns, code, error and out; the completion queue hands it
 * back.  Records are pooled by the scheduler and their argument arrays kept,
 * so the steady state does not allocate.  A task copies parameters of up to
 * ORDO_TASK_PARAMS_INLINE bytes into its record and drops the decoded
 * Submit at once; only a task with host data or longer parameters keeps a
 * reference on the message (msg) until it finishes.
 */
#ifndef ORDO_TASK_H_INCLUDED
#define ORDO_TASK_H_INCLUDED

#include <stdint.h>

#include "buffer.h"
#include "kernels.h"
#include "dwire.h"

#define ORDO_TASK_PARAMS_INLINE 32

typedef struct ordo_task {
    uint64_t id;
    uint32_t session;
    const ordo_kernel_t *kernel;
    ordo_dwire_msg_t *msg;      /* keeps params and data alive, or NULL */
    const void *params;         /* pbuf, into msg, or NULL */
    size_t nparams;
    const void *data;
    size_t ndata;
    ordo_karg_t *args;          /* one allocation of cap arguments, */
    ordo_buffer_t **bufs;       /* followed by the buffer of each */
    uint32_t nargs, cap;
    uint64_t accepted_ns, started_ns, finished_ns;
    uint32_t worker;            /* the worker thread that ran it */
    int code;                   /* 0 or the kernel's ORDO_E* */
    char *error;                /* malloc'd failure text, or NULL */
    void *out;                  /* host output (malloc'd by the worker) */
    size_t nout;
    struct ordo_task *next;     /* queue link */
    union {
        uint64_t align;
        unsigned char bytes[ORDO_TASK_PARAMS_INLINE];
    } pbuf;                     /* short parameters, copied */
} ordo_task_t;

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t ordo_now_ns(void);

#endif /* ORDO_TASK_H_INCLUDED */
