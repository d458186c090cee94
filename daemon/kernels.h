/*
 * kernels.h - the kernel registry of ordod: the built-in kernels and the
 * plugins loaded from the kernel directory (ABI in ordo_kernel.h).
 *
 * The registry is filled at start and read-only afterwards, so workers and
 * the scheduler read it without locks.  Kernel pointers stay valid until
 * ordo_kernels_destroy().
 */
#ifndef ORDO_KERNELS_H_INCLUDED
#define ORDO_KERNELS_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "ordo_kernel.h"

/* A flag of the daemon's own, never taken from a plugin (ordo_kernels_add
 * clears it), so no ABI promise depends on it: the kernel reads no
 * argument, and runs with call->args NULL and nargs 0, so that the executor
 * need not expand a task's arguments for it (noop: W1 and W2).  Never
 * with ORDO_KERNEL_HOST_OUT, whose output is sized by argument 0. */
#define ORDO_KERNEL_ARGLESS (UINT32_C(1) << 31)

typedef struct {
    const char *name;
    ordo_kernel_fn run;
    ordo_kernel_fn check;       /* may be NULL */
    uint32_t flags;             /* ORDO_KERNEL_* */
    const char *origin;         /* "built-in" or the plugin's path */
} ordo_kernel_t;

typedef struct ordo_kernels ordo_kernels_t;

/* A registry holding the built-in kernels, or NULL when out of memory. */
ordo_kernels_t *ordo_kernels_new(void);
void ordo_kernels_destroy(ordo_kernels_t **self_p);

/* Loads every *.so of dir, in name order, and calls its ordo_plugin_init.
 * Returns 0, or a negative code with a reason in err: ORDO_EPERM when dir
 * or a file is owned by another user than root or us, is writable by group
 * or others, or when a file resolves (symbolic links) to a path outside
 * dir; ORDO_EINVAL and others for a file that is not a regular file, fails
 * to load, lacks the symbol, or whose init fails or registers a taken
 * name. */
int ordo_kernels_load_dir(ordo_kernels_t *self, const char *dir, char *err, size_t errlen);

/* Registers one kernel (what plugins reach through the registry). */
int ordo_kernels_add(ordo_kernels_t *self, const ordo_kernel_def_t *def, const char *origin);

const ordo_kernel_t *ordo_kernels_find(const ordo_kernels_t *self, const char *name);
size_t ordo_kernels_count(const ordo_kernels_t *self);

/* Registers the built-in kernels (builtin.c); called by ordo_kernels_new. */
int ordo_kernels_add_builtins(ordo_kernels_t *self);
const ordo_kernel_t *ordo_kernels_at(const ordo_kernels_t *self, size_t i);

#endif /* ORDO_KERNELS_H_INCLUDED */
