/*
 * dwire.h - the daemon's side of the wire protocol (proto/ordo.proto).
 *
 * This module is the only code of ordod that sees protobuf: it decodes
 * client and status messages into plain C views of their fields and encodes
 * the daemon's answers.  Decoded messages are reference counted, so that a
 * task can keep pointing at its parameters and data (no copy per task: they
 * live in the decoded message) until it finishes; only the scheduler thread
 * touches the count.
 *
 * Decoding checks the structure (a known message, an arg that has a view,
 * shape and strides of equal length within ORDO_MAX_NDIM, a known mode);
 * the meaning (buffers, bounds, kernels) is checked by the server.
 */
#ifndef ORDO_DWIRE_H_INCLUDED
#define ORDO_DWIRE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "view.h"

typedef enum {
    ORDO_DWIRE_HELLO = 1,
    ORDO_DWIRE_SUBMIT,
    ORDO_DWIRE_BUFFER_CREATE,
    ORDO_DWIRE_BUFFER_OPEN,
    ORDO_DWIRE_BUFFER_RELEASE,
    ORDO_DWIRE_WATCH,
    ORDO_DWIRE_HEARTBEAT,
    ORDO_DWIRE_BYE
} ordo_dwire_kind_t;

/* Completion.status values (the TaskStatus enum of the protocol). */
typedef enum {
    ORDO_STATUS_UNSPECIFIED = 0,
    ORDO_STATUS_DONE = 1,
    ORDO_STATUS_FAILED = 2,
    ORDO_STATUS_CANCELLED = 3
} ordo_dwire_status_t;

typedef struct ordo_dwire_msg ordo_dwire_msg_t;

/* Decodes one ClientMsg.  Returns 0, or ORDO_EPROTO (undecodable, empty
 * envelope) or ORDO_ENOMEM with a reason in err. */
int ordo_dwire_decode(const void *data, size_t size, ordo_dwire_msg_t **out,
                     char *err, size_t errlen);

/* How to decode: ordo_dwire_decode is AUTO (the Submit fast path, and
 * protobuf-c for whatever it leaves).  The others exist for the tests that
 * compare the decoders: PROTOBUF_C alone, or FAST alone, which returns
 * ORDO_EAGAIN for a message it leaves to protobuf-c (and never refuses one
 * itself), or FAST_USUAL, the fast path with its straight-line readers of
 * libordo's layout only (ORDO_EAGAIN for a task in another). */
typedef enum {
    ORDO_DWIRE_DECODE_AUTO,
    ORDO_DWIRE_DECODE_PROTOBUF_C,
    ORDO_DWIRE_DECODE_FAST,
    ORDO_DWIRE_DECODE_FAST_USUAL
} ordo_dwire_decode_how_t;

int ordo_dwire_decode_how(const void *data, size_t size, ordo_dwire_msg_t **out,
                          char *err, size_t errlen, ordo_dwire_decode_how_t how);

ordo_dwire_msg_t *ordo_dwire_msg_ref(ordo_dwire_msg_t *self);
void ordo_dwire_msg_unref(ordo_dwire_msg_t **self_p);
ordo_dwire_kind_t ordo_dwire_kind(const ordo_dwire_msg_t *self);

/* The intrusive link of the per-session message queue (server.c). */
ordo_dwire_msg_t **ordo_dwire_msg_next(ordo_dwire_msg_t *self);

typedef struct {
    const char *protocol;
    uint32_t major, minor;
    const char *client;
    uint64_t resume_session;
    const uint8_t *resume_token;
    size_t resume_token_len;
} ordo_dwire_hello_t;

void ordo_dwire_get_hello(const ordo_dwire_msg_t *self, ordo_dwire_hello_t *out);

/* Fields of BufferCreate, BufferOpen, BufferRelease and Heartbeat (the ones
 * a message lacks are zero or ""). */
typedef struct {
    uint64_t req;
    uint64_t size;
    const char *name;
    uint64_t buffer;
} ordo_dwire_request_t;

void ordo_dwire_get_request(const ordo_dwire_msg_t *self, ordo_dwire_request_t *out);

typedef struct {
    uint64_t id;
    const char *kernel;
    size_t nargs;
    const uint64_t *deps;
    size_t ndeps;
    const void *params;
    size_t nparams;
    const void *data;
    size_t ndata;
} ordo_dwire_task_t;

size_t ordo_dwire_task_count(const ordo_dwire_msg_t *self);
void ordo_dwire_get_task(const ordo_dwire_msg_t *self, size_t i, ordo_dwire_task_t *out);

/* Argument j of task i.  Returns 0, or ORDO_EINVAL with a reason (no view,
 * shape and strides of different lengths, ndim > ORDO_MAX_NDIM, unknown
 * mode, dtype out of range). */
int ordo_dwire_get_arg(const ordo_dwire_msg_t *self, size_t i, size_t j, uint64_t *buffer,
                      int *mode, ordo_view_t *view, char *err, size_t errlen);

const uint64_t *ordo_dwire_get_watch(const ordo_dwire_msg_t *self, size_t *n);

/* ------------------------------------------------------------------ */
/* Encoding: into a growable byte buffer that the caller reuses.       */

typedef struct {
    uint8_t *data;
    size_t len, cap;
} ordo_dwire_buf_t;

void ordo_dwire_buf_free(ordo_dwire_buf_t *b);

typedef struct {
    uint64_t session;
    const uint8_t *token;
    size_t token_len;
    uint32_t credits;
    uint64_t next_seq;
    uint64_t max_message;
    const char *daemon;
} ordo_dwire_welcome_t;

typedef struct {
    uint64_t id;
    int status;                 /* ordo_dwire_status_t */
    int code;
    const char *error;          /* NULL or "" for none */
    uint64_t cause;
    uint64_t accepted_ns, started_ns, finished_ns;
    const void *data;
    size_t ndata;
} ordo_dwire_completion_t;

/* Each returns 0 or ORDO_ENOMEM; b->len is the encoded size. */
int ordo_dwire_encode_welcome(ordo_dwire_buf_t *b, const ordo_dwire_welcome_t *w);
int ordo_dwire_encode_reply(ordo_dwire_buf_t *b, uint64_t req, int code, const char *error,
                           uint64_t buffer, uint64_t size);
int ordo_dwire_encode_error(ordo_dwire_buf_t *b, int code, const char *message);
int ordo_dwire_encode_completions(ordo_dwire_buf_t *b, const ordo_dwire_completion_t *items,
                                 size_t n);

/* An upper bound of the encoded size of one completion, for batching. */
size_t ordo_dwire_completion_bound(const ordo_dwire_completion_t *c);

/* ------------------------------------------------------------------ */
/* Status socket.                                                       */

typedef struct {
    const char *command;
    bool json;
    size_t nargs;
    const char *const *args;
    void *impl;
} ordo_dwire_status_req_t;

/* Returns 0 or ORDO_EPROTO; free with ordo_dwire_status_req_free. */
int ordo_dwire_decode_status(const void *data, size_t size, ordo_dwire_status_req_t *out);
void ordo_dwire_status_req_free(ordo_dwire_status_req_t *req);
int ordo_dwire_encode_status_reply(ordo_dwire_buf_t *b, int code, const char *text);

#endif /* ORDO_DWIRE_H_INCLUDED */
