/*
 * status.h - the commands of the status socket (ordoctl's side of ordod).
 *
 * A table maps each command name to a handler that renders its answer as
 * Redis INFO-style text (# Section, key:value) or as JSON.  Adding a command
 * (sessions, buffers, tasks, graph, trace, metrics) is one table row and
 * one function.
 */
#ifndef ORDO_STATUS_H_INCLUDED
#define ORDO_STATUS_H_INCLUDED

#include "sbuf.h"
#include "server.h"
#include "dwire.h"

/* Runs req against the server and writes the answer (or the error text) to
 * out.  Returns 0 or an ORDO_E* code for the StatusReply. */
int ordo_status_dispatch(ordo_server_t *srv, const ordo_dwire_status_req_t *req,
                         ordo_sbuf_t *out);

#endif /* ORDO_STATUS_H_INCLUDED */
