/*
 * ordo.h - the public interface of libordo, the client library of ordod.
 *
 * This is the only installed header.  It declares the vocabulary shared by
 * every part of ordo (error codes, element types, access modes, task ids)
 * and the client API.  All object types are opaque; every function returns 0
 * or a negative ORDO_E* code, and ordo_strerror() turns a code into text.
 */
#ifndef ORDO_H_INCLUDED
#define ORDO_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
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
const char *ordo_strerror(int code);

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
size_t ordo_dtype_size(int dtype);
/* Short name ("f32"), or NULL for an unknown type. */
const char *ordo_dtype_name(int dtype);

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

#ifdef __cplusplus
}
#endif

#endif /* ORDO_H_INCLUDED */
