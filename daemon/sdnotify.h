/*
 * sdnotify.h - systemd integration without libsystemd: readiness and status
 * notifications (sd_notify(3)) and socket activation (sd_listen_fds(3)).
 *
 * Both follow the documented protocols, which are small and stable: a
 * notification is one datagram of "KEY=value" lines sent to the AF_UNIX
 * socket named by $NOTIFY_SOCKET (a path, or an abstract name written with a
 * leading '@'); activated sockets are the descriptors 3 .. 3+$LISTEN_FDS-1
 * when $LISTEN_PID is our pid.  Outside systemd both are no-ops.  Nothing
 * here keeps state: the environment is read at each call.
 */
#ifndef ORDO_SDNOTIFY_H_INCLUDED
#define ORDO_SDNOTIFY_H_INCLUDED

#include <stdbool.h>

/* The first descriptor that systemd passes (SD_LISTEN_FDS_START). */
#define ORDO_SD_LISTEN_FDS_START 3

/* True when $NOTIFY_SOCKET names a socket to notify. */
bool ordo_sdnotify_enabled(void);

/* Sends state ("READY=1\nSTATUS=...") to $NOTIFY_SOCKET.  Returns 1 when
 * sent, 0 when there is no NOTIFY_SOCKET, a negative ORDO_E* code when the
 * send failed (the daemon logs it and carries on). */
int ordo_sdnotify(const char *state);

/* Number of sockets passed by socket activation (0 when none, or when they
 * were meant for another process).  Marks them close-on-exec. */
int ordo_sd_listen_fds(void);

/* Among the nfds passed descriptors, the listening AF_UNIX stream socket
 * bound to path, or -1. */
int ordo_sd_find_unix(int nfds, const char *path);

#endif /* ORDO_SDNOTIFY_H_INCLUDED */
