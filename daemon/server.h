/*
 * server.h - the scheduler thread of ordod: sockets, sessions, buffers,
 * tasks, and the calls into the core.
 *
 * One thread runs ordo_server_run(): it owns the client ROUTER socket, the
 * status REP socket, every session and buffer, and the task graph (the core
 * takes no lock because only this thread calls it).  Worker threads run
 * kernels (executor.c) and hand finished tasks back through a queue.
 */
#ifndef ORDO_SERVER_H_INCLUDED
#define ORDO_SERVER_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ordo_config.h"
#include "graph.h"
#include "kernels.h"

typedef struct ordo_server ordo_server_t;

/* Binds the endpoints and starts the workers.  SIGINT and SIGTERM must be
 * blocked in every thread before the call (main does it): the server reads
 * them through a signalfd.  cfg and kernels must outlive the server.
 * Returns NULL with a reason in err. */
ordo_server_t *ordo_server_new(const ordo_config_t *cfg, ordo_kernels_t *kernels,
                               char *err, size_t errlen);
/* Frees the server.  After a drain timeout (ordo_server_abandoned) it only
 * flushes and closes the sockets and leaves *self_p set: workers may still
 * be running kernels, so the caller must exit the process instead. */
void ordo_server_destroy(ordo_server_t **self_p);

/* Serves until SIGINT or SIGTERM, then stops intake, drains accepted tasks
 * (at most drain-timeout seconds), sends the last notifications and
 * returns 0.  A second signal during the drain ends it at once. */
int ordo_server_run(ordo_server_t *self);

/* The endpoints as bound (tcp://host:* resolved to the chosen port). */
const char *ordo_server_endpoint(const ordo_server_t *self);
const char *ordo_server_status_endpoint(const ordo_server_t *self);

/* True when the last run ended by the drain timeout: workers may still be
 * running kernels, so the caller must not unload plugins (it exits). */
bool ordo_server_abandoned(const ordo_server_t *self);

/* Counters for the status commands. */
typedef struct {
    const char *version;
    uint64_t pid, uptime_s, workers, window, credits, chaos_seed;
    uint64_t sessions_active, sessions_total;
    uint64_t buffers, buffer_bytes;
    ordo_graph_stats_t graph;
} ordo_server_info_t;

void ordo_server_info(const ordo_server_t *self, ordo_server_info_t *out);

#endif /* ORDO_SERVER_H_INCLUDED */
