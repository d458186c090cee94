/*
 * ordo.h - the public interface of libordo, the client library of ordod.
 *
 * This is the only installed header.  It declares the vocabulary shared by
 * every part of ordo (error codes, element types, access modes, task ids)
 * and the client API.  The client is an opaque object; views, task
 * descriptions, events and options are small plain-data values.  Every
 * function returns 0 or a negative ORDO_E* code; ordo_strerror() turns a
 * code into text and ordo_last_error() gives the reason of the last one.
 *
 * A client in a few lines (error handling elided):
 *
 *     ordo_client_t *c;
 *     ordo_client_new(&c, NULL, NULL);              // the default endpoint
 *     uint64_t buf, id;
 *     ordo_buffer_create(c, 64 * 64 * sizeof(float), NULL, &buf);
 *     ordo_tensor_t m, t, row, col;
 *     ordo_tensor_init(&m, buf, ORDO_F32, 0, 2, (int64_t[]){64, 64}, NULL);
 *     ordo_tensor_index(&row, &m, 0, 3);            // m[3, :]; no round trip
 *     ordo_tensor_transpose(&t, &m);
 *     ordo_tensor_index(&col, &t, 0, 5);            // m[:, 5]
 *     ordo_fill(c, &m, 1.0, &id);                   // ids at once, batched
 *     ordo_scale(c, &row, 2.0, &id);                // after the fill: same bytes
 *     float out[64];
 *     ordo_read(c, &col, out, sizeof out, &id);     // after both: out[3] == 2
 *     if (ordo_wait(c, id, 5000, NULL) < 0)
 *         fprintf(stderr, "%s\n", ordo_last_error());
 *     ordo_client_destroy(&c);
 */
#ifndef ORDO_H_INCLUDED
#define ORDO_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* libordo is built with hidden visibility: only what is marked here is
 * exported, so internal helpers never become ABI. */
#if defined(__GNUC__) && __GNUC__ >= 4
#define ORDO_EXPORT __attribute__((visibility("default")))
#else
#define ORDO_EXPORT
#endif

/* ---------------------------------------------------------------------- */
/* Errors: one X-macro list makes both the enum and ordo_strerror().       */

#define ORDO_ERRNO_MAP(X)                                                     \
    X(EINVAL, -1, "invalid argument")                                         \
    X(ENOMEM, -2, "out of memory")                                            \
    X(EAGAIN, -3, "resource temporarily unavailable (try again)")             \
    X(ERANGE, -4, "view outside its buffer or arithmetic overflow")           \
    X(ENOENT, -5, "no such object")                                           \
    X(EPERM, -6, "not permitted for this session")                            \
    X(EPROTO, -7, "protocol error")                                           \
    X(EVERSION, -8, "incompatible protocol version")                          \
    X(ETIMEDOUT, -9, "timed out")                                             \
    X(ECANCELED, -10, "task cancelled")                                       \
    X(EFAILED, -11, "task failed")                                            \
    X(ESESSION, -12, "session lost (daemon restarted or session expired)")    \
    X(ELIMIT, -13, "limit exceeded")                                          \
    X(EEXIST, -14, "already exists")                                          \
    X(EIO, -15, "transport error")                                            \
    X(ESHUTDOWN, -16, "daemon is shutting down")                              \
    X(ESEQ, -17, "task id out of sequence")

typedef enum {
    ORDO_OK = 0,
#define ORDO_X_ENUM(name, code, text) ORDO_##name = (code),
    ORDO_ERRNO_MAP(ORDO_X_ENUM)
#undef ORDO_X_ENUM
} ordo_errno_t;

/* Text for an ORDO_E* code (or "success" for 0, "unknown error" otherwise). */
ORDO_EXPORT const char *ordo_strerror(int code);

/* ---------------------------------------------------------------------- */
/* Element types. The value is part of the wire protocol: never renumber.  */

#define ORDO_DTYPE_MAP(X)                                                     \
    X(F16, 1, 2, "f16")                                                       \
    X(BF16, 2, 2, "bf16")                                                     \
    X(F32, 3, 4, "f32")                                                       \
    X(F64, 4, 8, "f64")                                                       \
    X(I8, 5, 1, "i8")                                                         \
    X(I16, 6, 2, "i16")                                                       \
    X(I32, 7, 4, "i32")                                                       \
    X(I64, 8, 8, "i64")                                                       \
    X(U8, 9, 1, "u8")                                                         \
    X(U16, 10, 2, "u16")                                                      \
    X(U32, 11, 4, "u32")                                                      \
    X(U64, 12, 8, "u64")

typedef enum {
#define ORDO_X_DTYPE(name, value, size, text) ORDO_##name = (value),
    ORDO_DTYPE_MAP(ORDO_X_DTYPE)
#undef ORDO_X_DTYPE
} ordo_dtype_t;

/* Size in bytes of one element, or 0 for an unknown type. */
ORDO_EXPORT size_t ordo_dtype_size(int dtype);
/* Short name ("f32"), or NULL for an unknown type. */
ORDO_EXPORT const char *ordo_dtype_name(int dtype);

/* Largest number of dimensions a view may have. */
#define ORDO_MAX_NDIM 8

/* ---------------------------------------------------------------------- */
/* Access modes. Bit 1 means "writes": out and inout are both writes.     */

typedef enum {
    ORDO_IN = 1,    /* read */
    ORDO_OUT = 2,   /* write; old contents need not be read */
    ORDO_INOUT = 3  /* read and write */
} ordo_mode_t;

#define ORDO_MODE_WRITES(m) (((m) & ORDO_OUT) != 0)

/* ---------------------------------------------------------------------- */
/* Task ids: 64 bits, the session id in the high ORDO_SESSION_BITS and a    */
/* per-session sequence (starting at 1) below. Ids are never reused while  */
/* the daemon runs; the client computes them, so submit needs no round trip.*/

#define ORDO_SESSION_BITS 22
#define ORDO_SEQ_BITS 42
#define ORDO_SEQ_MASK ((UINT64_C(1) << ORDO_SEQ_BITS) - 1)
#define ORDO_MAX_SESSION ((UINT32_C(1) << ORDO_SESSION_BITS) - 1)
#define ORDO_TASK_ID(session, seq) \
    (((uint64_t)(session) << ORDO_SEQ_BITS) | ((uint64_t)(seq) & ORDO_SEQ_MASK))
#define ORDO_TASK_SESSION(id) ((uint32_t)((uint64_t)(id) >> ORDO_SEQ_BITS))
#define ORDO_TASK_SEQ(id) ((uint64_t)(id) & ORDO_SEQ_MASK)

/* Terminal and intermediate task states, as reported by the daemon. */
typedef enum {
    ORDO_TASK_UNKNOWN = 0,
    ORDO_TASK_WAITING = 1,
    ORDO_TASK_READY = 2,
    ORDO_TASK_RUNNING = 3,
    ORDO_TASK_DONE = 4,
    ORDO_TASK_FAILED = 5,
    ORDO_TASK_CANCELLED = 6
} ordo_task_state_t;

/* ====================================================================== */
/* The client API (libordo).                                              */
/*                                                                        */
/* Threading: every function below is thread-safe; an ordo_client_t may   */
/* be shared by the threads of a process.  A call that flushes sends on   */
/* the client's ZeroMQ socket itself, and a call that waits receives      */
/* itself, so a round trip crosses no other thread.  Each client also     */
/* runs one background I/O thread: it sends batched tasks after at most   */
/* batch_delay_us even when the application is idle, and receives         */
/* completions while no call waits.  Do not fork() while a client exists  */
/* and use it in the child; connect in the child instead.                 */
/* ====================================================================== */

typedef struct ordo_client ordo_client_t;

/* Longest error text kept with an event (longer daemon texts are cut). */
#define ORDO_ERROR_MAX 256

/* ABI: the plain-data structures below have reserved fields, so that later
 * versions can add fields without changing their size.  Zero-initialise
 * the ones you pass in (the library refuses non-zero reserved fields with
 * ORDO_EINVAL, so that their future meaning can never surprise an old
 * program); the library zeroes them in what it hands out. */

/* Options of ordo_client_new().  Zero-initialise, then set what you need:
 * every zero field takes its default. */
typedef struct {
    int connect_timeout_ms;  /* Hello/Welcome round trip; 0: $ORDO_CONNECT_TIMEOUT_MS or 5000 */
    int request_timeout_ms;  /* buffer requests and ordo_sync; 0: 10000 */
    int batch_max_tasks;     /* tasks per Submit message; 0: 256 */
    int batch_delay_us;      /* longest a submitted task waits in the batch; 0: 500 */
    const char *name;        /* Hello.client text; NULL: "<program>[<pid>]" */
    int quiet_success;       /* non-zero: own tasks that end well produce no event
                                (see "Events" at ordo_wait) */
    int reserved[7];         /* zero */
} ordo_client_opts_t;

/* Writes the default task endpoint into buf: $ORDO_ENDPOINT when set, else
 * ipc://$RUNTIME_DIRECTORY/ordod.sock (a systemd service), else
 * ipc://$XDG_RUNTIME_DIR/ordo/ordod.sock, else ipc:///tmp/ordo-$UID/ordod.sock;
 * when that per-user socket does not exist but the system one,
 * /run/ordo/ordod.sock, does, the system one.  Returns 0 or ORDO_ELIMIT
 * (buf too small). */
ORDO_EXPORT int ordo_default_endpoint(char *buf, size_t len);

/* The same for the status endpoint ($ORDO_STATUS_ENDPOINT, status.sock). */
ORDO_EXPORT int ordo_default_status_endpoint(char *buf, size_t len);

/* Connects to ordod at endpoint (NULL: ordo_default_endpoint) and opens a
 * session.  opts may be NULL.  On success *self_p is the new client.
 * Returns 0, or ORDO_ETIMEDOUT (no daemon answered in connect_timeout_ms),
 * ORDO_EVERSION (the daemon speaks another protocol major), ORDO_EINVAL
 * (bad endpoint), ORDO_EIO, ORDO_ENOMEM; ordo_last_error() says more. */
ORDO_EXPORT int ordo_client_new(ordo_client_t **self_p, const char *endpoint,
                                const ordo_client_opts_t *opts);

/* Size of a session's resume token. */
#define ORDO_TOKEN_BYTES 16

/* Resuming a session.  A session outlives its connection for ordod's
 * --session-grace seconds (default 30): its tasks run and their
 * completions are kept.  A process that holds the session id and token
 * (ordo_client_session, ordo_client_token; the token is a secret) can
 * reconnect within that time, in the same process or another one, with
 * ordo_client_resume.  The new client continues the session: its task ids
 * follow the earlier ones, and every completion the daemon kept comes to
 * it as an event (ordo_poll).  An own id submitted before the resume is
 * "earlier": ordo_wait on it returns its outcome (asking the daemon when
 * its event was not delivered to this client; such an answer carries the
 * state but no timings and no host_read data).  The earlier tasks still
 * unfinished count against the session's credits in the daemon, but not in
 * ordo_client_unfinished() of the new client.
 *
 * Writes the session's token into token.  Returns 0 or ORDO_EINVAL. */
ORDO_EXPORT int ordo_client_token(ordo_client_t *self, uint8_t token[ORDO_TOKEN_BYTES]);

/* Connects like ordo_client_new and resumes session with its token.
 * Returns 0, ORDO_ESESSION (no such live session, or a wrong token: the
 * daemon restarted or the session expired), or ordo_client_new's errors. */
ORDO_EXPORT int ordo_client_resume(ordo_client_t **self_p, const char *endpoint,
                                   const ordo_client_opts_t *opts, uint32_t session,
                                   const uint8_t token[ORDO_TOKEN_BYTES]);

/* Sends the tasks still batched, waits until ordod has accepted them (a
 * round trip), then disconnects without Bye, so that the session stays
 * for a resume; frees the client and sets *self_p to NULL.  Events not
 * delivered yet are dropped here (the daemon does not send them again).
 * Returns 0, or the error of the round trip (the client is freed anyway). */
ORDO_EXPORT int ordo_client_detach(ordo_client_t **self_p);

/* Sends the tasks still batched, says Bye and disconnects; frees the
 * client and sets *self_p to NULL (a NULL *self_p is a no-op).  Accepted
 * tasks keep running in the daemon; their notifications are discarded.
 * No other thread may be using the client meanwhile. */
ORDO_EXPORT void ordo_client_destroy(ordo_client_t **self_p);

/* The session id (the high bits of every task id of this client). */
ORDO_EXPORT uint32_t ordo_client_session(ordo_client_t *self);
/* Most unfinished tasks this session may hold (Welcome.credits). */
ORDO_EXPORT uint32_t ordo_client_credits(ordo_client_t *self);
/* Own tasks submitted whose completion has not arrived yet. */
ORDO_EXPORT uint64_t ordo_client_unfinished(ordo_client_t *self);
/* The endpoint the client is connected to. */
ORDO_EXPORT const char *ordo_client_endpoint(ordo_client_t *self);

/* A file descriptor for poll/select/epoll: it is readable exactly while
 * events are queued for ordo_poll(), or once the session has failed
 * (ordo_poll() then returns the error).  Level-triggered; fine with
 * EPOLLET too, since it becomes readable again whenever the queue goes
 * from empty to non-empty.  Never read from or close it: ordo_poll() and
 * ordo_wait() clear it when they empty the queue.  An event that arrives
 * within a millisecond after another thread's wait (ordo_wait, ordo_poll
 * with a timeout, a request) ended may take up to that millisecond to
 * show here: the I/O thread looks at the socket again after a wait every
 * millisecond rather than being woken at the end of each. */
ORDO_EXPORT int ordo_client_fd(ordo_client_t *self);

/* Text of the last error an ordo_* call returned in the calling thread:
 * the daemon's reason when it gave one (a task's error text after
 * ordo_wait), else the ordo_strerror() text.  Never NULL; valid until the
 * thread's next ordo_* call. */
ORDO_EXPORT const char *ordo_last_error(void);

/* Frees memory that libordo returned (ordo_status_query text). */
ORDO_EXPORT void ordo_free(void *p);

/* ---------------------------------------------------------------------- */
/* Buffers: device memory owned by ordod.  Round trips to the daemon.     */

/* Creates a buffer of size bytes (zero-filled by the daemon).  name NULL
 * or "": private to this session; otherwise a named buffer that other
 * sessions can open (ORDO_EEXIST when the name is taken). */
ORDO_EXPORT int ordo_buffer_create(ordo_client_t *self, uint64_t size, const char *name,
                                   uint64_t *buffer);

/* Opens the named buffer made by any session; size may be NULL. */
ORDO_EXPORT int ordo_buffer_open(ordo_client_t *self, const char *name, uint64_t *buffer,
                                 uint64_t *size);

/* Releases this session's hold on a buffer.  The daemon frees it once no
 * session holds it and every accepted task touching it has finished, so a
 * release right after a submit is safe. */
ORDO_EXPORT int ordo_buffer_release(ordo_client_t *self, uint64_t buffer);

/* ---------------------------------------------------------------------- */
/* Tensor views: descriptors built locally (no round trip).               */
/*                                                                        */
/* ordo_tensor_t is plain data on purpose (an exception to the opaque rule): */
/* views are values that applications build by the thousand, copy and     */
/* keep in their own structures, so a heap object per view would cost more */
/* than it protects.  Its layout is part of the ABI.  offset and strides  */
/* count elements; strides may be zero (broadcast) or negative.  Bounds   */
/* are checked by the daemon, which knows the buffer's size.  Every helper */
/* writes *out only on success and accepts out == in.                     */

typedef struct {
    uint64_t buffer;                 /* buffer id */
    int32_t dtype;                   /* ordo_dtype_t */
    int32_t ndim;                    /* 0..ORDO_MAX_NDIM (0: one element) */
    int64_t offset;
    int64_t shape[ORDO_MAX_NDIM];
    int64_t strides[ORDO_MAX_NDIM];
} ordo_tensor_t;

/* A view of buffer: dtype, element offset, shape[ndim] and strides[ndim]
 * (strides NULL: row-major contiguous).  ORDO_EINVAL for an unknown dtype,
 * ndim outside 0..ORDO_MAX_NDIM or a negative extent. */
ORDO_EXPORT int ordo_tensor_init(ordo_tensor_t *out, uint64_t buffer, int dtype,
                                 int64_t offset, int ndim, const int64_t *shape,
                                 const int64_t *strides);

/* out = in[..., start:stop:step, ...] along dim, with the values Python's
 * slice.indices(n) produces: the elements start, start+step, ... that are
 * < stop (step > 0) or > stop (step < 0).  start must be inside the
 * dimension unless the slice is empty.  ORDO_EINVAL otherwise. */
ORDO_EXPORT int ordo_tensor_slice(ordo_tensor_t *out, const ordo_tensor_t *in, int dim,
                                  int64_t start, int64_t stop, int64_t step);

/* out = in[..., index, ...]: selects one position and drops the dimension. */
ORDO_EXPORT int ordo_tensor_index(ordo_tensor_t *out, const ordo_tensor_t *in, int dim,
                                  int64_t index);

/* Reshape of a row-major contiguous view (size-1 dimensions ignored) to
 * shape[ndim] with the same element count.  ORDO_EINVAL when the view is
 * not contiguous (copy it first) or the counts differ. */
ORDO_EXPORT int ordo_tensor_reshape(ordo_tensor_t *out, const ordo_tensor_t *in, int ndim,
                                    const int64_t *shape);

/* Dimension k of out is dimension perm[k] of in (a permutation of 0..ndim-1). */
ORDO_EXPORT int ordo_tensor_permute(ordo_tensor_t *out, const ordo_tensor_t *in,
                                    const int *perm);

/* Reverses the dimensions (numpy's .T). */
ORDO_EXPORT int ordo_tensor_transpose(ordo_tensor_t *out, const ordo_tensor_t *in);

/* Inserts a dimension of extent 1 at position dim (0..ndim). */
ORDO_EXPORT int ordo_tensor_unsqueeze(ordo_tensor_t *out, const ordo_tensor_t *in, int dim);

/* numpy.broadcast_to: aligns trailing dimensions; an extent-1 dimension
 * may grow (stride 0) and new leading dimensions have stride 0. */
ORDO_EXPORT int ordo_tensor_broadcast(ordo_tensor_t *out, const ordo_tensor_t *in,
                                      int ndim, const int64_t *shape);

/* Number of elements (product of the shape; 0 when an extent is 0 or the
 * product overflows). */
ORDO_EXPORT uint64_t ordo_tensor_elements(const ordo_tensor_t *t);

/* 1 when the view is row-major contiguous (size-1 dimensions ignored). */
ORDO_EXPORT int ordo_tensor_is_contiguous(const ordo_tensor_t *t);

/* ---------------------------------------------------------------------- */
/* Tasks.                                                                 */

/* One argument of a task: a view and how the task accesses it. */
typedef struct {
    const ordo_tensor_t *view;
    int mode;                        /* ORDO_IN, ORDO_OUT, ORDO_INOUT */
} ordo_access_t;

/* Flags of ordo_submit_t. */
#define ORDO_SUBMIT_NONBLOCK 1       /* ORDO_EAGAIN instead of blocking when out of credits */
#define ORDO_SUBMIT_FLUSH 2          /* send the batch right after this task */

/* A task to submit.  Zero-initialise, then set what you need. */
typedef struct {
    const char *kernel;              /* "copy", "axpy", ... or a plugin's */
    const ordo_access_t *args;
    int nargs;
    const void *params;              /* kernel parameters (built-ins: little-endian) */
    size_t params_len;
    const uint64_t *deps;            /* explicit dependencies, any session */
    int ndeps;
    const void *data;                /* bytes carried to the kernel (host_write) */
    size_t data_len;
    void *read_dst;                  /* Completion.data is copied here (host_read) */
    size_t read_len;                 /* ...and must have exactly this length */
    int flags;                       /* ORDO_SUBMIT_* */
    uint64_t reserved[4];            /* zero */
} ordo_submit_t;

/* Submits a task and writes its id into *id at once, before the daemon has
 * seen it: the task is batched and sent when the batch fills, on
 * ordo_flush/ordo_sync/ordo_wait/ordo_poll, or within batch_delay_us.
 * The daemon reports every id exactly once (ordo_wait or ordo_poll); a
 * task it refuses (bad view, unknown kernel or buffer, ...) comes back
 * failed with the reason.  Past the session's credits, submit waits for
 * completions, or returns ORDO_EAGAIN with ORDO_SUBMIT_NONBLOCK.  Returns
 * 0, ORDO_EINVAL (malformed here: no id is used), ORDO_ELIMIT (larger than
 * the daemon's message limit), ORDO_EAGAIN, or the session's error
 * (ORDO_ESESSION when the daemon went away).  data is copied; read_dst
 * must stay valid until the task's event is delivered. */
ORDO_EXPORT int ordo_submit(ordo_client_t *self, const ordo_submit_t *task, uint64_t *id);

/* Sends the batched tasks now (no round trip). */
ORDO_EXPORT int ordo_flush(ordo_client_t *self);

/* Flushes, then waits until the daemon has taken every message sent so
 * far: each task submitted before is accepted or refused, so its id may be
 * handed to another session as a dependency.  One round trip. */
ORDO_EXPORT int ordo_sync(ordo_client_t *self, int timeout_ms);

/* What the daemon reported about one task id. */
typedef struct {
    uint64_t id;
    int32_t state;                   /* ORDO_TASK_DONE, _FAILED, _CANCELLED, or
                                        ORDO_TASK_UNKNOWN: a watched id never accepted */
    int32_t code;                    /* 0 or the precise ORDO_E* (ERANGE, ENOENT, ...) */
    uint64_t cause;                  /* cancelled: the failed task at the root */
    uint64_t accepted_ns;            /* daemon monotonic clock */
    uint64_t started_ns;
    uint64_t finished_ns;
    uint64_t data_len;               /* host_read: bytes copied to read_dst */
    char error[ORDO_ERROR_MAX];      /* reason, "" when done */
    uint64_t reserved[4];            /* zero */
} ordo_event_t;

/* Events.  By default every own task id produces exactly one event, which
 * the application consumes with ordo_wait (that id) or ordo_poll (in
 * arrival order); until then the client keeps it (about 100 bytes), so an
 * application must consume them all.  With quiet_success, an own task that
 * ends well produces no event and costs nothing once done (ordo_wait on it
 * still returns 0, ordo_wait_idle still waits for it); a failed or
 * cancelled one produces its event as usual and stays known, so that a
 * later ordo_wait on it reports the failure again.
 *
 * Waits until task id is terminal, up to timeout_ms (< 0: forever; 0: just
 * check), and consumes its event (ev, when not NULL, receives it).  id may
 * be any session's: ids of other sessions are watched.  Returns 0 (done),
 * ORDO_EFAILED, ORDO_ECANCELED (the text via ordo_last_error() or
 * ev->error), ORDO_ETIMEDOUT (the event stays pending), ORDO_ENOENT (the
 * daemon never accepted a foreign id; or an own id whose event was already
 * delivered), ORDO_EINVAL (an own id never submitted), or the session's
 * error. */
ORDO_EXPORT int ordo_wait(ordo_client_t *self, uint64_t id, int timeout_ms, ordo_event_t *ev);

/* Waits until every own task submitted so far has completed (events stay
 * queued for ordo_poll).  Returns 0, ORDO_ETIMEDOUT or the session's error. */
ORDO_EXPORT int ordo_wait_idle(ordo_client_t *self, int timeout_ms);

/* Asks for the events of ids of other sessions (delivered by ordo_poll or
 * ordo_wait); ids already watched or own are skipped. */
ORDO_EXPORT int ordo_watch(ordo_client_t *self, const uint64_t *ids, int n);

/* Flushes, then waits up to timeout_ms (< 0: forever) for at least one
 * event and moves up to max of them into events[], in arrival order.
 * Returns how many (0 on timeout), or a negative ORDO_E*. */
ORDO_EXPORT int ordo_poll(ordo_client_t *self, ordo_event_t *events, int max, int timeout_ms);

/* ---------------------------------------------------------------------- */
/* Built-in kernels, as one call each.  Each submits one task (without    */
/* explicit dependencies: use ordo_submit for those) and returns its id.  */

/* host_write: the len bytes at src, packed row-major, into the view dst;
 * len must be elements * dtype size.  src is copied at once. */
ORDO_EXPORT int ordo_write(ordo_client_t *self, const ordo_tensor_t *dst, const void *src,
                           size_t len, uint64_t *id);

/* host_read: the view src, packed row-major, into the len bytes at dst
 * when the task completes; dst must stay valid until its event is
 * delivered (ordo_wait on the id).  One read returns at most the daemon's
 * message limit less 4 KiB (ORDO_ELIMIT otherwise: read slices). */
ORDO_EXPORT int ordo_read(ordo_client_t *self, const ordo_tensor_t *src, void *dst,
                          size_t len, uint64_t *id);

/* fill: dst = value. */
ORDO_EXPORT int ordo_fill(ordo_client_t *self, const ordo_tensor_t *dst, double value,
                          uint64_t *id);
/* copy: dst = src (same shape and dtype). */
ORDO_EXPORT int ordo_copy(ordo_client_t *self, const ordo_tensor_t *dst,
                          const ordo_tensor_t *src, uint64_t *id);
/* axpy: y = alpha * x + y. */
ORDO_EXPORT int ordo_axpy(ordo_client_t *self, const ordo_tensor_t *y, double alpha,
                          const ordo_tensor_t *x, uint64_t *id);
/* scale: x = alpha * x. */
ORDO_EXPORT int ordo_scale(ordo_client_t *self, const ordo_tensor_t *x, double alpha,
                           uint64_t *id);

/* ---------------------------------------------------------------------- */
/* Status socket (what ordoctl uses).                                     */

/* Sends command (with args[nargs], which may be NULL) to the status
 * endpoint (NULL: ordo_default_status_endpoint) and waits up to
 * timeout_ms for the answer.  On return *text holds the daemon's text (or
 * NULL when it did not answer); free it with ordo_free().  Returns 0, the
 * daemon's ORDO_E* code for the command (*text says why), or
 * ORDO_ETIMEDOUT / ORDO_EIO / ORDO_EPROTO. */
ORDO_EXPORT int ordo_status_query(const char *endpoint, const char *command,
                                  const char *const *args, int nargs, int json,
                                  int timeout_ms, char **text);

/* ---------------------------------------------------------------------- */
/* CURVE on tcp endpoints (libordo(3) SECURITY, ordod(8)).                 */
/*                                                                        */
/* ordo_client_new and ordo_status_query speak CURVE to a tcp:// endpoint */
/* when $ORDO_CURVE_SERVERKEY is set: the daemon's public key, as Z85 text */
/* or the path of a key file; $ORDO_CURVE_SECRETKEY then names the file of */
/* the client's secret key (not accessible to others; the public key is   */
/* derived from it).  A key the daemon does not allow fails the connect    */
/* with ORDO_EPERM at once.  ipc:// endpoints never use CURVE.             */

/* Makes a new CURVE key pair as Z85 text (40 characters and a NUL each).
 * Returns 0, or ORDO_EIO when libzmq lacks CURVE. */
ORDO_EXPORT int ordo_curve_keypair(char public_key[41], char secret_key[41]);

#ifdef __cplusplus
}
#endif

#endif /* ORDO_H_INCLUDED */
