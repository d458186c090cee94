/*
 * auth.h - who may reach ordod: CURVE on tcp endpoints, with a ZAP handler
 * that admits only allow-listed client keys, and the ownership and mode
 * checks that ordod applies to the files it trusts (keys, allow-list,
 * plugin kernels).
 *
 * Key files hold one Z85 key (40 characters) on their first line that is
 * neither empty nor a '#' comment; `ordoctl keygen` writes them.  The
 * allow-list holds one client public key per such line.  Both are read
 * once, at start.
 *
 * The ZAP handler (RFC 27, inproc://zeromq.zap.01) runs on its own thread
 * with its own REP socket, so authentication never waits for the
 * scheduler.  It stops when the ZeroMQ context is terminated.
 */
#ifndef ORDO_AUTH_H_INCLUDED
#define ORDO_AUTH_H_INCLUDED

#include <stddef.h>
#include <sys/stat.h>

typedef struct ordo_auth ordo_auth_t;

/* Checks that st (of path, described as what in messages) is a regular
 * file owned by root or by us, with none of the forbidden mode bits.
 * Returns 0 or ORDO_EPERM with a reason in err. */
int ordo_auth_check_file(const char *path, const struct stat *st, mode_t forbidden,
                         const char *what, char *err, size_t errlen);

/* Reads the server's secret key file (not accessible to others) and the
 * allow-list (not writable by group or others).  Returns NULL with a
 * reason in err. */
ordo_auth_t *ordo_auth_new(const char *secret_file, const char *allow_file,
                           char *err, size_t errlen);

/* Binds the ZAP handler in zctx and starts its thread; call before any
 * CURVE socket binds.  Returns 0 or a negative code with a reason. */
int ordo_auth_start(ordo_auth_t *self, void *zctx, char *err, size_t errlen);

/* Makes sock a CURVE server with the daemon's secret key. */
int ordo_auth_curve_server(const ordo_auth_t *self, void *sock, char *err, size_t errlen);

/* Number of keys on the allow-list. */
size_t ordo_auth_allowed(const ordo_auth_t *self);

/* Joins the handler thread, which ends once the context is terminated
 * (zmq_ctx_term): call it after that.  NULL-safe. */
void ordo_auth_destroy(ordo_auth_t **self_p);

#endif /* ORDO_AUTH_H_INCLUDED */
