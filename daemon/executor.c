/*
 * executor.c - worker threads, job FIFO and completion list (see executor.h).
 *
 * Two mutexes, never held together: one for the job FIFO (with a condition
 * variable for idle workers), one for the completion list.  Kernels run with
 * no lock held.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "executor.h"
#include "ordo_limits.h"
#include "log.h"

struct ordo_executor {
    pthread_mutex_t job_lock;
    pthread_cond_t job_cond;
    ordo_task_t *job_head, *job_tail;
    uint32_t idle;              /* workers waiting on job_cond */
    bool stop;

    pthread_mutex_t done_lock;
    ordo_task_t *done_head, *done_tail;
    int efd;

    uint64_t chaos;
    uint32_t nworkers;
    pthread_t *threads;
    /* Each worker's arguments expanded for the kernel, max_args each; the
     * last set is the scheduler's (ordo_executor_run). */
    ordo_karg_t *kargs;
    uint32_t max_args;
};

typedef struct {
    ordo_executor_t *ex;
    uint32_t index;
} s_worker_arg_t;

uint64_t ordo_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t s_rand(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

void ordo_targ_expand(const ordo_targ_t *a, ordo_karg_t *out)
{
    memset(out, 0, sizeof *out);
    out->base = a->buf->mem;
    out->buffer_bytes = a->buf->size;
    out->buffer_id = a->buf->id;
    out->dtype = a->dtype;
    out->ndim = a->ndim;
    out->offset = a->offset;
    memcpy(out->shape, a->dims, a->ndim * sizeof a->dims[0]);
    memcpy(out->strides, a->dims + a->ndim, a->ndim * sizeof a->dims[0]);
    out->mode = a->mode;
}

/* Runs one task on this thread and fills its result; kargs has room for
 * every argument; start_ns is the time it starts, or 0 to read the clock. */
static void s_run(ordo_task_t *t, ordo_karg_t *kargs, uint32_t worker, uint64_t *rng,
                  bool chaos, uint64_t start_ns)
{
    char err[ORDO_ERRLEN];
    err[0] = '\0';
    if (chaos) {
        long us = (long)(s_rand(rng) % 201);
        struct timespec ts = { 0, us * 1000 };
        nanosleep(&ts, NULL);
    }
    uint64_t started = start_ns ? start_ns : ordo_now_ns();
    bool argless = t->kernel->flags & ORDO_KERNEL_ARGLESS;
    if (!argless) {
        const ordo_targ_t *a = ordo_task_args(t);
        for (uint32_t j = 0; j < t->nargs; j++, a = ordo_targ_next(a))
            ordo_targ_expand(a, &kargs[j]);
    }
    const void *params = t->msg ? t->u.ref.params : t->nparams ? t->u.params : NULL;
    const void *data = t->msg ? t->u.ref.data : NULL;
    size_t ndata = t->msg ? t->u.ref.ndata : 0;
    void *out = NULL;
    size_t nout = 0;
    int rc = 0;
    if (t->kernel->flags & ORDO_KERNEL_HOST_OUT) {
        nout = (size_t)(ordo_karg_elements(&kargs[0]) * ordo_dtype_size(kargs[0].dtype));
        out = malloc(nout ? nout : 1);
        if (!out) {
            rc = ORDO_ENOMEM;
            snprintf(err, sizeof err, "out of memory for %zu bytes of host output", nout);
        }
    }
    if (rc == 0) {
        ordo_kernel_call_t call = {
            .task = t->id, .args = argless ? NULL : kargs, .nargs = argless ? 0 : t->nargs,
            .params = params, .nparams = t->nparams,
            .data = data, .ndata = ndata,
            .out = out, .nout = nout,
            .err = err, .errlen = sizeof err,
        };
        rc = t->kernel->run(&call);
        if (rc > 0)
            rc = ORDO_EFAILED;
    }
    uint64_t finished = ordo_now_ns();
    if (rc != 0) {
        free(out);
        out = NULL;
        nout = 0;
        if (!err[0])
            snprintf(err, sizeof err, "%s", ordo_strerror(rc));
        t->error = strdup(err);
    }
    /* The parameters are dead: the result takes their place. */
    t->u.res.started_ns = started;
    t->u.res.finished_ns = finished;
    t->u.res.out = out;
    t->u.res.nout = nout;
    t->worker = (uint16_t)worker;
    t->code = rc;
}

/* A worker: takes tasks from the FIFO until stopped and the FIFO is
 * empty, runs each, and appends it to the completion list; the first
 * completion after the scheduler emptied the list writes the eventfd. */
static void *s_worker(void *arg)
{
    s_worker_arg_t wa = *(s_worker_arg_t *)arg;
    free(arg);
    ordo_executor_t *ex = wa.ex;
    uint64_t rng = ex->chaos ^ (UINT64_C(0x5851f42d4c957f2d) * (wa.index + 1));
    for (;;) {
        pthread_mutex_lock(&ex->job_lock);
        while (!ex->job_head && !ex->stop) {
            ex->idle++;
            pthread_cond_wait(&ex->job_cond, &ex->job_lock);
            ex->idle--;
        }
        ordo_task_t *t = ex->job_head;
        if (!t) {
            pthread_mutex_unlock(&ex->job_lock);
            break;
        }
        ex->job_head = t->next;
        if (!ex->job_head)
            ex->job_tail = NULL;
        pthread_mutex_unlock(&ex->job_lock);

        t->next = NULL;
        s_run(t, ex->kargs + (size_t)wa.index * ex->max_args, wa.index, &rng, ex->chaos != 0,
              0);

        pthread_mutex_lock(&ex->done_lock);
        bool was_empty = ex->done_head == NULL;
        if (ex->done_tail)
            ex->done_tail->next = t;
        else
            ex->done_head = t;
        ex->done_tail = t;
        pthread_mutex_unlock(&ex->done_lock);
        if (was_empty) {
            uint64_t one = 1;
            ssize_t w = write(ex->efd, &one, sizeof one);
            (void)w;
        }
    }
    return NULL;
}

ordo_executor_t *ordo_executor_new(uint32_t workers, uint32_t max_args, uint64_t chaos_seed)
{
    if (workers == 0 || max_args == 0 || workers > UINT16_MAX) {
        errno = EINVAL;
        return NULL;
    }
    ordo_executor_t *ex = calloc(1, sizeof *ex);
    if (!ex)
        return NULL;
    ex->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    ex->threads = calloc(workers, sizeof *ex->threads);
    ex->kargs = calloc((size_t)(workers + 1) * max_args, sizeof *ex->kargs);
    ex->max_args = max_args;
    if (ex->efd < 0 || !ex->threads || !ex->kargs) {
        if (ex->efd >= 0)
            close(ex->efd);
        free(ex->threads);
        free(ex->kargs);
        free(ex);
        return NULL;
    }
    pthread_mutex_init(&ex->job_lock, NULL);
    pthread_cond_init(&ex->job_cond, NULL);
    pthread_mutex_init(&ex->done_lock, NULL);
    ex->chaos = chaos_seed;
    for (uint32_t i = 0; i < workers; i++) {
        s_worker_arg_t *wa = malloc(sizeof *wa);
        int rc = wa ? 0 : ENOMEM;
        if (wa) {
            wa->ex = ex;
            wa->index = i;
            rc = pthread_create(&ex->threads[i], NULL, s_worker, wa);
            if (rc)
                free(wa);
        }
        if (rc) {
            ordo_executor_destroy(&ex);
            errno = rc;
            return NULL;
        }
        ex->nworkers++;
    }
    return ex;
}

void ordo_executor_destroy(ordo_executor_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ordo_executor_t *ex = *self_p;
    pthread_mutex_lock(&ex->job_lock);
    ex->stop = true;
    pthread_cond_broadcast(&ex->job_cond);
    pthread_mutex_unlock(&ex->job_lock);
    for (uint32_t i = 0; i < ex->nworkers; i++)
        pthread_join(ex->threads[i], NULL);
    pthread_mutex_destroy(&ex->job_lock);
    pthread_cond_destroy(&ex->job_cond);
    pthread_mutex_destroy(&ex->done_lock);
    close(ex->efd);
    free(ex->threads);
    free(ex->kargs);
    free(ex);
    *self_p = NULL;
}

int ordo_executor_fd(const ordo_executor_t *self)
{
    return self->efd;
}

void ordo_executor_push(ordo_executor_t *self, ordo_task_t *head, ordo_task_t *tail,
                        uint32_t n)
{
    if (!head)
        return;
    tail->next = NULL;
    pthread_mutex_lock(&self->job_lock);
    if (self->job_tail)
        self->job_tail->next = head;
    else
        self->job_head = head;
    self->job_tail = tail;
    /* Wake only as many idle workers as there are new tasks: a busy worker
     * takes the next task without a wake-up. */
    if (self->idle >= n)
        for (uint32_t i = 0; i < n; i++)
            pthread_cond_signal(&self->job_cond);
    else if (self->idle)
        pthread_cond_broadcast(&self->job_cond);
    pthread_mutex_unlock(&self->job_lock);
}

void ordo_executor_run(ordo_executor_t *self, ordo_task_t *t, uint64_t now_ns)
{
    s_run(t, self->kargs + (size_t)self->nworkers * self->max_args, self->nworkers, NULL, false,
          now_ns);
}

ordo_task_t *ordo_executor_take(ordo_executor_t *self)
{
    uint64_t count;
    ssize_t r = read(self->efd, &count, sizeof count);
    (void)r;
    pthread_mutex_lock(&self->done_lock);
    ordo_task_t *list = self->done_head;
    self->done_head = self->done_tail = NULL;
    pthread_mutex_unlock(&self->done_lock);
    return list;
}
