/*
 * sdnotify.c - sd_notify and sd_listen_fds, self-contained (see sdnotify.h).
 *
 * No libsystemd: the daemon must build and run on systems without it, and
 * the two protocols it needs are a sendto and a few getenv calls.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ordo.h"
#include "sdnotify.h"

bool ordo_sdnotify_enabled(void)
{
    const char *e = getenv("NOTIFY_SOCKET");
    return e && (e[0] == '/' || e[0] == '@') && e[1];
}

int ordo_sdnotify(const char *state)
{
    const char *e = getenv("NOTIFY_SOCKET");
    if (!e || !(e[0] == '/' || e[0] == '@') || !e[1])
        return 0;
    struct sockaddr_un sa;
    size_t len = strlen(e);
    if (len > sizeof sa.sun_path)
        return ORDO_EINVAL;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, e, len);
    if (e[0] == '@')
        sa.sun_path[0] = '\0';      /* abstract namespace: no terminator */
    socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
                                  (e[0] == '@' ? 0 : 1));
    if (e[0] != '@' && len == sizeof sa.sun_path)
        return ORDO_EINVAL;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return ORDO_EIO;
    ssize_t n = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
    int saved = errno;
    close(fd);
    if (n < 0) {
        errno = saved;
        return ORDO_EIO;
    }
    return 1;
}

int ordo_sd_listen_fds(void)
{
    const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
    if (!pid || !fds)
        return 0;
    char *end;
    errno = 0;
    unsigned long p = strtoul(pid, &end, 10);
    if (errno || *end || p != (unsigned long)getpid())
        return 0;
    long n = strtol(fds, &end, 10);
    if (errno || *end || n <= 0 || n > 64)
        return 0;
    for (int fd = ORDO_SD_LISTEN_FDS_START; fd < ORDO_SD_LISTEN_FDS_START + n; fd++) {
        int flags = fcntl(fd, F_GETFD);
        if (flags >= 0)
            fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
    }
    return (int)n;
}

int ordo_sd_find_unix(int nfds, const char *path)
{
    for (int fd = ORDO_SD_LISTEN_FDS_START; fd < ORDO_SD_LISTEN_FDS_START + nfds; fd++) {
        struct sockaddr_un sa;
        socklen_t len = sizeof sa;
        int type = 0, listening = 0;
        socklen_t tl = sizeof type, ll = sizeof listening;
        memset(&sa, 0, sizeof sa);
        if (getsockname(fd, (struct sockaddr *)&sa, &len) != 0 || sa.sun_family != AF_UNIX)
            continue;
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) != 0 || type != SOCK_STREAM)
            continue;
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ll) != 0 || !listening)
            continue;
        size_t plen = len > offsetof(struct sockaddr_un, sun_path)
                          ? len - offsetof(struct sockaddr_un, sun_path) : 0;
        if (plen > sizeof sa.sun_path)
            plen = sizeof sa.sun_path;
        /* A path name: compare up to its terminator. */
        if (plen && sa.sun_path[0] && strncmp(sa.sun_path, path, plen) == 0 &&
            strlen(path) == strnlen(sa.sun_path, plen))
            return fd;
    }
    return -1;
}
