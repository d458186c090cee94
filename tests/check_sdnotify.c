/*
 * check_sdnotify.c - ordod under a fake systemd: readiness, status and
 * stopping notifications on a NOTIFY_SOCKET datagram socket that the test
 * binds itself (a path, then an abstract name), and socket activation (a
 * listening socket passed as fd 3 with LISTEN_FDS/LISTEN_PID, which ordod
 * must adopt instead of refusing the endpoint as "in use").
 */
#include <check.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "rawclient.h"

typedef struct {
    int fd;
    char dir[128];
    char path[256];
} s_notify_t;

/* Binds a datagram socket for the daemon's notifications and points
 * NOTIFY_SOCKET at it; abstract names get '@' in the variable. */
static void s_notify_open(s_notify_t *n, bool abstract)
{
    memset(n, 0, sizeof *n);
    snprintf(n->dir, sizeof n->dir, "/tmp/ordo-notify-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(n->dir));
    n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(n->fd, 0);
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    socklen_t len;
    if (abstract) {
        snprintf(n->path, sizeof n->path, "@ordo-check-sdnotify-%ld-%ld", (long)getpid(),
                 (long)time(NULL));
        size_t l = strlen(n->path);
        memcpy(sa.sun_path, n->path, l);
        sa.sun_path[0] = '\0';
        len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + l);
    } else {
        snprintf(n->path, sizeof n->path, "%s/notify", n->dir);
        strcpy(sa.sun_path, n->path);
        len = sizeof sa;
    }
    ck_assert_int_eq(bind(n->fd, (struct sockaddr *)&sa, len), 0);
    setenv("NOTIFY_SOCKET", n->path, 1);
}

static void s_notify_close(s_notify_t *n)
{
    unsetenv("NOTIFY_SOCKET");
    close(n->fd);
    if (n->path[0] == '/')
        unlink(n->path);
    rmdir(n->dir);
}

/* Waits (at most ms) for a notification containing want; returns it
 * (static buffer) or NULL.  Every notification read is appended to log. */
static const char *s_expect(s_notify_t *n, const char *want, long ms, char *log, size_t loglen)
{
    static char msg[4096];
    for (long waited = 0; waited < ms; waited += 50) {
        struct pollfd p = { n->fd, POLLIN, 0 };
        if (poll(&p, 1, 50) <= 0)
            continue;
        ssize_t k = recv(n->fd, msg, sizeof msg - 1, 0);
        if (k < 0)
            continue;
        msg[k] = '\0';
        size_t l = strlen(log);
        snprintf(log + l, loglen - l, "[%s]\n", msg);
        if (strstr(msg, want))
            return msg;
    }
    return NULL;
}

START_TEST(test_ready_status_stopping)
{
    s_notify_t n;
    char log[8192] = "";
    s_notify_open(&n, _i == 1);
    rc_daemon_t d;
    rc_daemon_start(&d, "--workers", "1", NULL);
    unsetenv("NOTIFY_SOCKET");
    const char *m = s_expect(&n, "READY=1", 10000, log, sizeof log);
    ck_assert_msg(m != NULL, "no READY=1 on %s; got:\n%s", n.path, log);
    ck_assert_msg(strstr(m, "STATUS=serving ipc://") && strstr(m, "0 sessions"),
                  "READY=1 without a STATUS: %s", m);
    /* A session and a finished task change the status line. */
    rc_conn_t *c = rc_connect(&d);
    rc_hello(c);
    m = s_expect(&n, "STATUS=1 session,", 5000, log, sizeof log);
    ck_assert_msg(m != NULL, "no STATUS= for one session; got:\n%s", log);
    rc_close(&c);
    ck_assert_int_eq(rc_daemon_stop(&d), 0);
    m = s_expect(&n, "STOPPING=1", 5000, log, sizeof log);
    ck_assert_msg(m != NULL, "no STOPPING=1 after SIGTERM; got:\n%s", log);
    s_notify_close(&n);
}
END_TEST

/* Without NOTIFY_SOCKET nothing is sent and nothing breaks; a bad one (a
 * path where nobody listens) is logged, and the daemon serves anyway. */
START_TEST(test_no_listener)
{
    setenv("NOTIFY_SOCKET", "/nonexistent/ordo-notify", 1);
    rc_daemon_t d;
    rc_daemon_start(&d, "--workers", "1", NULL);
    unsetenv("NOTIFY_SOCKET");
    rc_conn_t *c = rc_connect(&d);
    rc_hello(c);
    ck_assert_uint_eq(c->session, 1);
    rc_close(&c);
    ck_assert_int_eq(rc_daemon_stop(&d), 0);
}
END_TEST

/* Binds a listening unix stream socket at path, as systemd's .socket unit
 * would. */
static int s_listen_unix(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    ck_assert_uint_lt(strlen(path), sizeof sa.sun_path);
    strcpy(sa.sun_path, path);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(fd, 16), 0);
    return fd;
}

/* Starts ordod with fds passed as 3, 4, ... as systemd does. */
static void s_start_activated(rc_daemon_t *d, const int *fds, int nfds)
{
    const char *bin = getenv("ORDOD");
    ck_assert_msg(bin != NULL, "ORDOD is not set");
    d->pid = fork();
    ck_assert_int_ge(d->pid, 0);
    if (d->pid == 0) {
        /* Move the fds out of the way, then into 3.. in order. */
        int tmp[8];
        for (int i = 0; i < nfds; i++)
            tmp[i] = fcntl(fds[i], F_DUPFD, 100);
        for (int i = 0; i < nfds; i++) {
            dup2(tmp[i], 3 + i);
            close(tmp[i]);
        }
        char pid[32], n[16];
        snprintf(pid, sizeof pid, "%ld", (long)getpid());
        snprintf(n, sizeof n, "%d", nfds);
        setenv("LISTEN_PID", pid, 1);
        setenv("LISTEN_FDS", n, 1);
        execl(bin, bin, "--endpoint", d->endpoint, "--status-endpoint", d->status_endpoint,
              "--workers", "1", "--log-level", "warn", (char *)NULL);
        _exit(127);
    }
    d->ctx = zmq_ctx_new();
}

START_TEST(test_socket_activation)
{
    rc_daemon_t d;
    memset(&d, 0, sizeof d);
    snprintf(d.dir, sizeof d.dir, "/tmp/ordo-act-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(d.dir));
    char p1[200], p2[200];
    snprintf(p1, sizeof p1, "%s/ordod.sock", d.dir);
    snprintf(p2, sizeof p2, "%s/status.sock", d.dir);
    snprintf(d.endpoint, sizeof d.endpoint, "ipc://%s", p1);
    snprintf(d.status_endpoint, sizeof d.status_endpoint, "ipc://%s", p2);
    /* Both sockets passed, status first: ordod matches them by path. */
    int fds[2] = { s_listen_unix(p2), s_listen_unix(p1) };
    s_start_activated(&d, fds, 2);
    close(fds[0]);
    close(fds[1]);
    /* A client that connects at once is queued by the kernel on the passed
     * socket until ordod accepts: nothing is lost while it starts. */
    rc_conn_t *c = rc_connect(&d);
    rc_hello(c);
    ck_assert_uint_eq(c->session, 1);
    char *text = NULL;
    ck_assert_int_eq(rc_status(&d, "status", 0, &text), 0);
    ck_assert_int_eq(rc_info(text, "sessions_active"), 1);
    free(text);
    rc_close(&c);
    ck_assert_int_eq(rc_daemon_stop(&d), 0);
}
END_TEST

/* LISTEN_PID of another process: the fds are not ours, so ordod binds its
 * own endpoint, and an endpoint served by a live socket is refused. */
START_TEST(test_activation_for_another_pid)
{
    char dir[] = "/tmp/ordo-act-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char p1[200], ep[256], sp[256];
    snprintf(p1, sizeof p1, "%s/ordod.sock", dir);
    snprintf(ep, sizeof ep, "ipc://%s", p1);
    snprintf(sp, sizeof sp, "ipc://%s/status.sock", dir);
    int fd = s_listen_unix(p1);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(fd, 3);
        setenv("LISTEN_PID", "1", 1);
        setenv("LISTEN_FDS", "1", 1);
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 2);
        execl(getenv("ORDOD"), "ordod", "--endpoint", ep, "--status-endpoint", sp,
              "--workers", "1", (char *)NULL);
        _exit(127);
    }
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 1, "ordod should refuse the endpoint "
                  "(status %d)", st);
    close(fd);
    unlink(p1);
    rmdir(dir);
}
END_TEST

static Suite *s_suite(void)
{
    Suite *s = suite_create("sdnotify");
    TCase *tc = tcase_create("notify");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_ready_status_stopping, 0, 2);  /* path, abstract */
    tcase_add_test(tc, test_no_listener);
    suite_add_tcase(s, tc);
    tc = tcase_create("activation");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_socket_activation);
    tcase_add_test(tc, test_activation_for_another_pid);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(s_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
