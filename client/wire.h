/*
 * wire.h - the client's side of the wire protocol (proto/ordo.proto).
 *
 * wire.c is the only file of libordo that includes the generated
 * ordo.pb-c.h: everything else speaks the plain C structures below, so a
 * change of the .proto file never reaches the rest of the library or its
 * public ABI.  Encoders return a malloc'd message in an ordo_wbuf_t that the
 * caller sends and frees; the decoder keeps the unpacked
 * message alive in an ordo_wmsg_t until ordo_wire_msg_free(), and the
 * strings and bytes it exposes point into it.
 *
 * Internal to libordo: these symbols are hidden from the shared library.
 */
#ifndef ORDO_CLIENT_WIRE_H_INCLUDED
#define ORDO_CLIENT_WIRE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ordo.h"

#define ORDO_WIRE_PROTOCOL "ordo"
#define ORDO_WIRE_MAJOR 1
#define ORDO_WIRE_MINOR 0

/* An encoded message: len bytes at data + off, in the malloc'd block at
 * data (owned by the holder, who frees data). */
typedef struct {
    uint8_t *data;
    size_t off, len;
} ordo_wbuf_t;

/* A Submit being written: each task is encoded straight into the message
 * when it is submitted, from data + ORDO_WIRE_SUBMIT_HEAD on; the
 * envelope in front of the tasks (the ClientMsg key and the Submit's
 * length) is written when the message is complete. */
#define ORDO_WIRE_SUBMIT_HEAD 11        /* a key and a ten-byte length */

typedef struct {
    uint8_t *data;                  /* malloc'd, or NULL: no task yet */
    size_t len, cap;                /* bytes written (the head room too) */
    size_t hint;                    /* capacity to start the next one with:
                                       the last one's size, rounded up */
} ordo_wsubmit_t;

/* Encoders: 0 or ORDO_ENOMEM. */
/* resume_session 0: a new session; else resume it with token. */
int ordo_wire_hello(ordo_wbuf_t *out, const char *client, uint64_t resume_session,
                    const uint8_t *token, size_t token_len);
int ordo_wire_buffer_create(ordo_wbuf_t *out, uint64_t req, uint64_t size,
                            const char *name);
int ordo_wire_buffer_open(ordo_wbuf_t *out, uint64_t req, const char *name);
int ordo_wire_buffer_release(ordo_wbuf_t *out, uint64_t req, uint64_t buffer);
int ordo_wire_watch(ordo_wbuf_t *out, const uint64_t *ids, size_t n);
int ordo_wire_heartbeat(ordo_wbuf_t *out, uint64_t req);
int ordo_wire_bye(ordo_wbuf_t *out);
int ordo_wire_status_request(ordo_wbuf_t *out, const char *command,
                             const char *const *args, int nargs, int json);

/* An upper bound of the encoded size of task t (kernel_len: the length of
 * its kernel name), for the batch limits: each field a one-byte key, a
 * ten-byte varint and its payload, two length prefixes per argument;
 * SIZE_MAX when the sum overflows (lengths no message can hold). */
size_t ordo_wire_task_bound(const ordo_submit_t *t, size_t kernel_len);

/* Makes room for more bytes after s->len (starting the message when it
 * has none).  0, or ORDO_ENOMEM with s unchanged. */
int ordo_wire_submit_reserve(ordo_wsubmit_t *s, size_t more);

/* Appends task t with id to s.  The caller has reserved
 * ordo_wire_task_bound(t, kernel_len) bytes (nothing is written past the
 * task's encoded end, which the bound exceeds), and
 * checked t as ordo_submit does (every view present, 0 <= ndim <=
 * ORDO_MAX_NDIM; counts not negative).  Modes other than ORDO_IN, ORDO_OUT
 * and ORDO_INOUT are written as MODE_UNSPECIFIED. */
void ordo_wire_submit_task(ordo_wsubmit_t *s, uint64_t id, const ordo_submit_t *t,
                           size_t kernel_len);

/* Completes the Submit of the tasks appended to s (at least one) into
 * out, which takes the block; s is empty again. */
void ordo_wire_submit_end(ordo_wsubmit_t *s, ordo_wbuf_t *out);

/* Frees what s holds. */
void ordo_wire_submit_free(ordo_wsubmit_t *s);

/* One completion of an ORDO_WMSG_COMPLETIONS message. */
typedef struct {
    uint64_t id;
    int32_t state;                  /* ordo_task_state_t (UNKNOWN: unspecified) */
    int32_t code;
    const char *error;
    uint64_t cause, accepted_ns, started_ns, finished_ns;
    const void *data;
    size_t data_len;
} ordo_wcompletion_t;

/* A decoded ServerMsg. */
typedef enum {
    ORDO_WMSG_UNKNOWN = 0,          /* an envelope of a newer minor: skip it */
    ORDO_WMSG_WELCOME = 1,
    ORDO_WMSG_REPLY,
    ORDO_WMSG_COMPLETIONS,
    ORDO_WMSG_ERROR
} ordo_wmsg_kind_t;

typedef struct {
    ordo_wmsg_kind_t kind;
    /* welcome */
    uint32_t major, minor, credits;
    uint64_t session, next_seq, max_message;
    const char *daemon;
    const uint8_t *token;
    size_t token_len;
    /* reply */
    uint64_t req, buffer, size;
    /* reply and error */
    int32_t code;
    const char *error;
    /* completions */
    size_t ncompletions;
    ordo_wcompletion_t *items;      /* ncompletions of them */
    void *priv;                     /* the message unpacked by protobuf-c; NULL
                                       for Completions read by hand (wire.c) */
} ordo_wmsg_t;

/* Decodes a ServerMsg; the result does not point into data.  Returns 0,
 * or ORDO_EPROTO for bytes that are not one, or ORDO_ENOMEM (nothing to
 * free then). */
int ordo_wire_decode(ordo_wmsg_t *m, const void *data, size_t len);
void ordo_wire_msg_free(ordo_wmsg_t *m);

/* Decodes a StatusReply: *code and a malloc'd copy of its text.
 * Returns 0, ORDO_EPROTO or ORDO_ENOMEM. */
int ordo_wire_status_reply(const void *data, size_t len, int *code, char **text);

#endif /* ORDO_CLIENT_WIRE_H_INCLUDED */
