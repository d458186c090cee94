/*
 * ordo_kernel.h - the kernel ABI of ordod: what a kernel receives, how it
 * reports failure, and how a plugin registers kernels.
 *
 * A kernel runs on a worker thread (on the scheduler thread when flagged
 * ORDO_KERNEL_INLINE) once every task it depends on has finished.  It
 * receives its arguments as resolved views (the base address of the
 * buffer, the view geometry, the access mode), the task's parameter bytes,
 * and an error buffer.  It returns 0, or a negative ORDO_E* code
 * (ORDO_EFAILED when nothing more specific fits) after writing a reason into
 * call->err.  A kernel must touch no byte outside the footprints of its
 * arguments, and write only through arguments whose mode writes: the
 * scheduler orders tasks by exactly those bytes.
 *
 * Before a task is accepted, the scheduler calls the kernel's optional check
 * function with the same call structure but base == NULL and no output: it
 * validates arity, modes, element types, shapes and parameter sizes, so that
 * a malformed task is refused at submission with a clear error rather than
 * failing later.  Every view has already passed ordo_view_check (inside its
 * buffer, no overflow) when check and run are called.
 *
 * Plugins are shared objects in the kernel directory (--kernel-dir), loaded
 * once at start.  Each exports
 *
 *     int ordo_plugin_init(ordo_kernel_registry_t *reg);
 *
 * which calls ordo_kernel_register() (or ordo_kernel_register_def()) for each
 * of its kernels and returns 0, or a negative code to refuse loading (the
 * daemon then stops with the plugin's error).  Names are global: a plugin
 * cannot replace a built-in kernel or another plugin's.  The registry is only
 * valid during ordo_plugin_init; def->name is copied.
 *
 * This header depends on ordo.h only, and its helpers are inline: ordod
 * exports no symbol, so a plugin must not call libordo or daemon functions
 * (ordo_dtype_size, ordo_strerror...); use ordo_kernel_esize() instead.
 */
#ifndef ORDO_KERNEL_H_INCLUDED
#define ORDO_KERNEL_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdarg.h>

#include "ordo.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on any incompatible change of the structures below. */
#define ORDO_KERNEL_ABI_VERSION 1

/* One argument of a kernel: a view of a buffer, resolved. */
typedef struct {
    char *base;                     /* first byte of the buffer (NULL in check) */
    uint64_t buffer_bytes;          /* size of the buffer */
    uint64_t buffer_id;             /* for error messages */
    int32_t dtype;                  /* ordo_dtype_t */
    int32_t ndim;                   /* 0..ORDO_MAX_NDIM; 0 is a scalar */
    int64_t offset;                 /* elements */
    int64_t shape[ORDO_MAX_NDIM];
    int64_t strides[ORDO_MAX_NDIM]; /* elements; may be zero or negative */
    int mode;                       /* ORDO_IN, ORDO_OUT or ORDO_INOUT */
} ordo_karg_t;

/* One invocation of a kernel. */
typedef struct {
    uint64_t task;                  /* task id, for messages */
    const ordo_karg_t *args;
    uint32_t nargs;
    const void *params;             /* Task.params, kernel-defined layout */
    size_t nparams;
    const void *data;               /* Task.data (host_write) */
    size_t ndata;
    void *out;                      /* host output (kernels flagged
                                       ORDO_KERNEL_HOST_OUT); else NULL */
    size_t nout;
    char *err;                      /* reason on failure, NUL-terminated */
    size_t errlen;
} ordo_kernel_call_t;

typedef int (*ordo_kernel_fn)(const ordo_kernel_call_t *call);

/* Flags of a kernel definition. */
enum {
    /* The kernel fills call->out with the packed bytes of argument 0
     * (nelem * esize, row-major); they are sent back in Completion.data. */
    ORDO_KERNEL_HOST_OUT = 1,
    /* The kernel is trivial (well under a microsecond, never blocks): the
     * scheduler thread runs it itself as soon as it is ready instead of
     * waking a worker for it (except in chaos mode).  Ordering is the same;
     * only the thread differs. */
    ORDO_KERNEL_INLINE = 2
};

typedef struct {
    const char *name;               /* 1..63 characters [A-Za-z0-9_.:-] */
    ordo_kernel_fn run;             /* on a worker thread; required */
    ordo_kernel_fn check;           /* at submission, base == NULL; optional */
    uint32_t flags;
} ordo_kernel_def_t;

typedef struct ordo_kernel_registry ordo_kernel_registry_t;
struct ordo_kernel_registry {
    uint32_t abi_version;           /* ORDO_KERNEL_ABI_VERSION of the daemon */
    /* Adds a kernel; returns 0, ORDO_EEXIST, ORDO_EINVAL or ORDO_ENOMEM. */
    int (*add)(ordo_kernel_registry_t *reg, const ordo_kernel_def_t *def);
    void *impl;                     /* the daemon's, do not touch */
};

/* Registers a kernel with a run function and no submission check. */
static inline int ordo_kernel_register(ordo_kernel_registry_t *reg, const char *name,
                                       ordo_kernel_fn run)
{
    ordo_kernel_def_t def = { name, run, NULL, 0 };
    return reg->add(reg, &def);
}

static inline int ordo_kernel_register_def(ordo_kernel_registry_t *reg,
                                           const ordo_kernel_def_t *def)
{
    return reg->add(reg, def);
}

/* The symbol every plugin exports. */
typedef int (*ordo_plugin_init_fn)(ordo_kernel_registry_t *reg);
#define ORDO_PLUGIN_INIT_SYMBOL "ordo_plugin_init"

/* ------------------------------------------------------------------------ */
/* Helpers for kernels.                                                     */

/* Writes a reason into call->err and returns code, for one-line failures:
 *     return ordo_kernel_fail(call, ORDO_EINVAL, "idx %lld out of range", i); */
static inline int ordo_kernel_fail(const ordo_kernel_call_t *call, int code,
                                   const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static inline int ordo_kernel_fail(const ordo_kernel_call_t *call, int code,
                                   const char *fmt, ...)
{
    if (call->err && call->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(call->err, call->errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* Size in bytes of an element of dtype, 0 for an unknown one.  (Inline:
 * ordod exports no symbol to plugins, so helpers here are self-contained.) */
static inline size_t ordo_kernel_esize(int32_t dtype)
{
    switch (dtype) {
#define ORDO_X_KSIZE(name, value, size, text) \
    case (value):                             \
        return (size);
        ORDO_DTYPE_MAP(ORDO_X_KSIZE)
#undef ORDO_X_KSIZE
    default:
        return 0;
    }
}

/* Number of elements of an argument (product of its shape). */
static inline uint64_t ordo_karg_elements(const ordo_karg_t *a)
{
    uint64_t n = 1;
    for (int32_t k = 0; k < a->ndim; k++)
        n *= (uint64_t)a->shape[k];
    return n;
}

/* Iterates over the elements of a view in row-major order of its shape,
 * whatever its strides (negative, zero).  Several iterators over views of
 * the same shape advance in lockstep:
 *
 *     ordo_kiter_t d, s;
 *     ordo_kiter_init(&d, &call->args[0]);
 *     ordo_kiter_init(&s, &call->args[1]);
 *     for (char *pd, *ps; (pd = ordo_kiter_next(&d)) && (ps = ordo_kiter_next(&s));)
 *         memcpy(pd, ps, esize);
 */
typedef struct {
    char *p;                        /* the next element */
    uint64_t remaining;             /* elements still to visit */
    int32_t ndim;
    int64_t idx[ORDO_MAX_NDIM];
    int64_t shape[ORDO_MAX_NDIM];
    int64_t bstride[ORDO_MAX_NDIM]; /* strides in bytes */
} ordo_kiter_t;

static inline void ordo_kiter_init(ordo_kiter_t *it, const ordo_karg_t *a)
{
    int64_t esize = (int64_t)ordo_kernel_esize(a->dtype);
    it->ndim = a->ndim;
    it->remaining = ordo_karg_elements(a);
    it->p = a->base ? a->base + a->offset * esize : NULL;
    for (int32_t k = 0; k < a->ndim; k++) {
        it->idx[k] = 0;
        it->shape[k] = a->shape[k];
        it->bstride[k] = a->strides[k] * esize;
    }
}

/* Returns the current element and moves to the next, or NULL at the end. */
static inline char *ordo_kiter_next(ordo_kiter_t *it)
{
    if (it->remaining == 0)
        return NULL;
    char *cur = it->p;
    if (--it->remaining == 0)
        return cur;
    for (int32_t k = it->ndim - 1; k >= 0; k--) {
        it->p += it->bstride[k];
        if (++it->idx[k] < it->shape[k])
            break;
        it->p -= it->bstride[k] * it->shape[k];
        it->idx[k] = 0;
    }
    return cur;
}

#ifdef __cplusplus
}
#endif

#endif /* ORDO_KERNEL_H_INCLUDED */
