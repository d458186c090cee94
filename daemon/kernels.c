/*
 * kernels.c - the kernel registry and the plugin loader.
 *
 * Plugins are opened with RTLD_NOW | RTLD_LOCAL (unresolved symbols fail at
 * start, not in a worker) and stay loaded until the registry is destroyed.
 *
 * A plugin runs inside the daemon with all its rights, so ordod loads only
 * what its operator controls: the kernel directory and every *.so in it
 * (symbolic links resolved, and the result still inside the directory)
 * must be owned by root or by ordod's user and be writable by nobody else.
 * Anything else stops the start with the reason (exit status 1): a daemon
 * that starts without a kernel its clients expect would fail their tasks
 * later, further from the cause.
 * They reach the registry through the function pointer in
 * ordo_kernel_registry_t, so ordod need not export any symbol.
 */
#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "kernels.h"
#include "ordo_limits.h"
#include "log.h"
#include "map.h"

struct ordo_kernels {
    ordo_kernel_t **items;
    size_t count, cap;
    ordo_smap_t *by_name;
    void **plugins;             /* dlopen handles */
    size_t nplugins;
};

ordo_kernels_t *ordo_kernels_new(void)
{
    ordo_kernels_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->by_name = ordo_smap_new();
    if (!self->by_name || ordo_kernels_add_builtins(self) != 0)
        ordo_kernels_destroy(&self);
    return self;
}

void ordo_kernels_destroy(ordo_kernels_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ordo_kernels_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++) {
        free((char *)self->items[i]->name);
        free((char *)self->items[i]->origin);
        free(self->items[i]);
    }
    free(self->items);
    ordo_smap_destroy(&self->by_name);
    for (size_t i = 0; i < self->nplugins; i++)
        dlclose(self->plugins[i]);
    free(self->plugins);
    free(self);
    *self_p = NULL;
}

static int s_valid_name(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > ORDO_MAX_KERNEL_NAME)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!isalnum(c) && c != '_' && c != '.' && c != ':' && c != '-')
            return 0;
    }
    return 1;
}

int ordo_kernels_add(ordo_kernels_t *self, const ordo_kernel_def_t *def, const char *origin)
{
    if (!def || !def->run || !s_valid_name(def->name))
        return ORDO_EINVAL;
    if (ordo_smap_get(self->by_name, def->name, strlen(def->name)))
        return ORDO_EEXIST;
    if (self->count == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 32;
        ordo_kernel_t **items = realloc(self->items, cap * sizeof *items);
        if (!items)
            return ORDO_ENOMEM;
        self->items = items;
        self->cap = cap;
    }
    ordo_kernel_t *k = calloc(1, sizeof *k);
    char *name = strdup(def->name);
    char *org = strdup(origin ? origin : "built-in");
    if (!k || !name || !org ||
        ordo_smap_put(self->by_name, name, strlen(name), k) != 0) {
        free(k);
        free(name);
        free(org);
        return ORDO_ENOMEM;
    }
    k->name = name;
    k->origin = org;
    k->run = def->run;
    k->check = def->check;
    k->flags = origin ? def->flags & ~ORDO_KERNEL_ARGLESS : def->flags;
    self->items[self->count++] = k;
    return 0;
}

const ordo_kernel_t *ordo_kernels_find(const ordo_kernels_t *self, const char *name)
{
    return ordo_smap_get(self->by_name, name, strlen(name));
}

size_t ordo_kernels_count(const ordo_kernels_t *self)
{
    return self->count;
}

const ordo_kernel_t *ordo_kernels_at(const ordo_kernels_t *self, size_t i)
{
    return i < self->count ? self->items[i] : NULL;
}

/* ------------------------------------------------------------------ */
/* Plugins.                                                            */

typedef struct {
    ordo_kernels_t *kernels;
    const char *path;
    int first_error;
    char name[ORDO_MAX_KERNEL_NAME + 2];
} s_load_ctx_t;

/* The registry's add() as plugins see it: registers with the plugin's
 * path as origin and remembers the first failure for the error text. */
static int s_registry_add(ordo_kernel_registry_t *reg, const ordo_kernel_def_t *def)
{
    s_load_ctx_t *ctx = reg->impl;
    int rc = ordo_kernels_add(ctx->kernels, def, ctx->path);
    if (rc != 0 && ctx->first_error == 0) {
        ctx->first_error = rc;
        snprintf(ctx->name, sizeof ctx->name, "%s",
                 def && def->name ? def->name : "(null)");
    }
    return rc;
}

static int s_has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n > m && strcmp(s + n - m, suffix) == 0;
}

static int s_by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads one plugin file of the kernel directory dir (resolved); the
 * handle is kept on success. */
static int s_load_one(ordo_kernels_t *self, const char *dir, const char *path, char *err,
                      size_t errlen)
{
    char real[PATH_MAX];
    if (!realpath(path, real)) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return ORDO_EINVAL;
    }
    size_t n = strcmp(dir, "/") == 0 ? 0 : strlen(dir);
    if (strncmp(real, dir, n) != 0 || real[n] != '/') {
        snprintf(err, errlen, "plugin %s resolves to %s, outside the kernel directory %s: "
                 "refused", path, real, dir);
        return ORDO_EPERM;
    }
    struct stat st;
    if (stat(real, &st) != 0) {
        snprintf(err, errlen, "%s: %s", real, strerror(errno));
        return ORDO_EINVAL;
    }
    int rc = ordo_auth_check_file(real, &st, S_IWGRP | S_IWOTH, "plugin", err, errlen);
    if (rc != 0)
        return rc;
    path = real;
    void **plugins = realloc(self->plugins, (self->nplugins + 1) * sizeof *plugins);
    if (!plugins)
        return ORDO_ENOMEM;
    self->plugins = plugins;
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(err, errlen, "%s: %s", path, dlerror());
        return ORDO_EINVAL;
    }
    ordo_plugin_init_fn init;
    *(void **)&init = dlsym(h, ORDO_PLUGIN_INIT_SYMBOL);
    if (!init) {
        snprintf(err, errlen, "%s: no symbol %s", path, ORDO_PLUGIN_INIT_SYMBOL);
        dlclose(h);
        return ORDO_EINVAL;
    }
    self->plugins[self->nplugins++] = h;
    size_t before = self->count;
    s_load_ctx_t ctx = { self, path, 0, "" };
    ordo_kernel_registry_t reg = { ORDO_KERNEL_ABI_VERSION, s_registry_add, &ctx };
    rc = init(&reg);
    if (ctx.first_error != 0) {
        snprintf(err, errlen, "%s: cannot register kernel '%s': %s", path, ctx.name,
                 ordo_strerror(ctx.first_error));
        return ctx.first_error;
    }
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s failed: %s", path, ORDO_PLUGIN_INIT_SYMBOL,
                 ordo_strerror(rc));
        return rc < 0 ? rc : ORDO_EINVAL;
    }
    for (size_t i = before; i < self->count; i++)
        ordo_log_info("kernel %s from %s", self->items[i]->name, path);
    return 0;
}

int ordo_kernels_load_dir(ordo_kernels_t *self, const char *path, char *err, size_t errlen)
{
    char dir[PATH_MAX];
    struct stat st;
    if (!realpath(path, dir) || stat(dir, &st) != 0) {
        snprintf(err, errlen, "kernel directory %s: %s", path, strerror(errno));
        return ORDO_ENOENT;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "kernel directory %s: not a directory", path);
        return ORDO_EINVAL;
    }
    if (st.st_uid != 0 && st.st_uid != geteuid()) {
        snprintf(err, errlen, "kernel directory %s is owned by uid %lu (neither root nor "
                 "us): refused", dir, (unsigned long)st.st_uid);
        return ORDO_EPERM;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        snprintf(err, errlen, "kernel directory %s has mode %04o: refused (writable by "
                 "group or others); chmod go-w it", dir, (unsigned)(st.st_mode & 07777));
        return ORDO_EPERM;
    }
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "kernel directory %s: %s", dir, strerror(errno));
        return ORDO_ENOENT;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || !s_has_suffix(e->d_name, ".so"))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) {
                rc = ORDO_ENOMEM;
                break;
            }
            names = nn;
        }
        if (!(names[n] = strdup(e->d_name))) {
            rc = ORDO_ENOMEM;
            break;
        }
        n++;
    }
    closedir(d);
    if (rc == 0 && n > 0)
        qsort(names, n, sizeof *names, s_by_name);
    for (size_t i = 0; i < n && rc == 0; i++) {
        char file[PATH_MAX];
        if (snprintf(file, sizeof file, "%s/%s", dir, names[i]) >= (int)sizeof file) {
            snprintf(err, errlen, "%s/%s: path too long", dir, names[i]);
            rc = ORDO_EINVAL;
            break;
        }
        rc = s_load_one(self, dir, file, err, errlen);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (rc == ORDO_ENOMEM)
        snprintf(err, errlen, "out of memory loading plugins");
    return rc;
}
