/*
 * executor.h - the host backend's worker threads.
 *
 * The scheduler pushes running tasks into a FIFO that N workers drain; each
 * worker runs the kernel and appends the record to a completion list.  The
 * first completion after the scheduler emptied that list writes an eventfd
 * that the scheduler polls, so a burst of completions costs one wake-up.
 * In chaos mode each worker sleeps a random 0-200 us before each kernel.
 * Trivial kernels (ORDO_KERNEL_INLINE) skip all this: the scheduler runs
 * them itself with ordo_executor_run.
 */
#ifndef ORDO_EXECUTOR_H_INCLUDED
#define ORDO_EXECUTOR_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

#include "task.h"

typedef struct ordo_executor ordo_executor_t;

/* Starts the worker threads (at most 65535), for tasks of at most max_args
 * arguments; chaos_seed 0 means no injected delays.  Returns NULL on
 * failure (errno set). */
ordo_executor_t *ordo_executor_new(uint32_t workers, uint32_t max_args, uint64_t chaos_seed);

/* Stops and joins the workers once their queue is empty.  The caller must
 * not push afterwards. */
void ordo_executor_destroy(ordo_executor_t **self_p);

/* File descriptor readable when completions are waiting. */
int ordo_executor_fd(const ordo_executor_t *self);

/* Queues n tasks linked by next, from head to tail, in that order. */
void ordo_executor_push(ordo_executor_t *self, ordo_task_t *head, ordo_task_t *tail,
                        uint32_t n);

/* Runs t on the calling thread (the scheduler's), without chaos delays,
 * and fills its result fields as a worker would; its worker index is the
 * number of workers.  now_ns, a recent clock reading (the previous inline
 * task's finish), becomes its start time, so that a run of inline tasks
 * reads the clock once per task. */
void ordo_executor_run(ordo_executor_t *self, ordo_task_t *t, uint64_t now_ns);

/* Takes every finished task (a list linked by next, in completion order),
 * or NULL; clears the wake-up. */
ordo_task_t *ordo_executor_take(ordo_executor_t *self);

#endif /* ORDO_EXECUTOR_H_INCLUDED */
