/*
 * ordo_limits.h - fixed bounds on what one client message may ask for.
 *
 * Every byte from a socket is untrusted: these bounds keep the work and the
 * memory of one request small and predictable.  (Issue 6 makes the ones a
 * deployment may want to tune configurable; the values here are the
 * defaults and hard ceilings.)
 */
#ifndef ORDO_LIMITS_H_INCLUDED
#define ORDO_LIMITS_H_INCLUDED

#define ORDO_PROTOCOL_NAME "ordo"
#define ORDO_PROTOCOL_MAJOR 1
#define ORDO_PROTOCOL_MINOR 0

#define ORDO_MAX_TASK_ARGS 64           /* arguments of one task */
#define ORDO_MAX_TASK_DEPS 1024         /* explicit dependencies of one task */
#define ORDO_MAX_PARAMS 65536           /* parameter bytes of one task */
#define ORDO_MAX_BUFFER_NAME 255        /* bytes of a buffer name */
#define ORDO_MAX_KERNEL_NAME 63         /* bytes of a kernel name */
#define ORDO_MAX_WATCH 65536            /* ids in one Watch */
#define ORDO_TOKEN_BYTES 16             /* session resume token */
#define ORDO_ERRLEN 256                 /* longest error text */

#endif /* ORDO_LIMITS_H_INCLUDED */
