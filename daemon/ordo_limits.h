/*
 * ordo_limits.h - bounds on what one client message may ask for.
 *
 * Every byte from a socket is untrusted: these bounds keep the work and the
 * memory of one request small and predictable.  The ORDO_MAX_* values that
 * have an option (ordo_config.c: --max-task-args, --max-task-deps,
 * --max-params, --max-session-buffers, --max-watch) are its default; the
 * *_CEIL values are the largest the option accepts.  The others are fixed.
 */
#ifndef ORDO_LIMITS_H_INCLUDED
#define ORDO_LIMITS_H_INCLUDED

#define ORDO_PROTOCOL_NAME "ordo"
#define ORDO_PROTOCOL_MAJOR 1
#define ORDO_PROTOCOL_MINOR 0

#define ORDO_MAX_TASK_ARGS 64           /* arguments of one task */
#define ORDO_MAX_TASK_ARGS_CEIL 1024
#define ORDO_MAX_TASK_DEPS 1024         /* explicit dependencies of one task */
#define ORDO_MAX_TASK_DEPS_CEIL 1048576
#define ORDO_MAX_PARAMS 65536           /* parameter bytes of one task */
#define ORDO_MAX_SESSION_BUFFERS 65536  /* buffers a session created and holds */
#define ORDO_MAX_BUFFER_NAME 255        /* bytes of a buffer name */
#define ORDO_MAX_KERNEL_NAME 63         /* bytes of a kernel name */
#define ORDO_MAX_WATCH 65536            /* ids in one Watch */
#define ORDO_MAX_WATCH_CEIL 16777216
#define ORDO_TOKEN_BYTES 16             /* session resume token */
#define ORDO_ERRLEN 256                 /* longest error text */

#endif /* ORDO_LIMITS_H_INCLUDED */
