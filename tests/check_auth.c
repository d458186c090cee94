/*
 * check_auth.c - who may reach ordod, with a real daemon and real clients:
 *  - the default runtime directory is made 0700, and ordod refuses to
 *    start in one that others can reach or that someone else owns;
 *  - --socket-mode gives the ipc sockets their mode whatever the umask;
 *  - tcp endpoints need CURVE keys (or --insecure-tcp 1, logged): an
 *    allow-listed client works, a key off the list, a plain client and a
 *    wrong server key fail at once with ORDO_EPERM, and the daemon serves
 *    the others all along; the status socket on tcp likewise (ordoctl);
 *  - key files and the allow-list that others could read or change stop
 *    the start.
 * Keys are made by `ordoctl keygen` in a private directory per test.
 * (Private buffers of other sessions: check_e2e_bad, test_buffers_of_others;
 * plugin files: check_kernels, test_plugin_trust.)
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "e2e.h"
#include "ordo.h"

static e2e_daemon_t D;
static char K[256];             /* the test's key directory */

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void s_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void s_sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    ck_assert_msg(rc == 0, "'%s' failed (%d)", cmd, rc);
}

/* A key directory with three key pairs (server, client, other) and an
 * allow-list holding the client's public key; the CURVE variables unset. */
static void s_keys(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(K, sizeof K, "%s/ordo-auth-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(K));
    const char *ordoctl = e2e_program("ORDOCTL", "client/ordoctl");
    s_sh("cd '%s' && for k in server client other; do '%s' keygen $k >/dev/null || exit 1; "
         "done && cp client.pub allow && chmod 0644 allow", K, ordoctl);
    unsetenv("ORDO_CURVE_SERVERKEY");
    unsetenv("ORDO_CURVE_SECRETKEY");
}

static void s_keys_rm(void)
{
    if (K[0])
        s_sh("rm -rf '%s'", K);
    K[0] = '\0';
}

/* Reads the key line (the last line) of a key file. */
static void s_key_text(const char *file, char out[41])
{
    char path[400], line[256] = "";
    snprintf(path, sizeof path, "%s/%s", K, file);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof line, f) && line[0] == '#')
        ;
    fclose(f);
    ck_assert_uint_ge(strlen(line), 40);
    memcpy(out, line, 40);
    out[40] = '\0';
}

/* Runs "ordod ARGS" (a shell fragment) with env (a shell fragment, may be
 * empty) for at most secs; returns its exit status (124 when it was still
 * running: it started) and its stderr in out. */
static int s_ordod(const char *env, const char *args, int secs, char *out, size_t outlen)
{
    char log[400], cmd[4096];
    snprintf(log, sizeof log, "%s/ordod.err", K);
    snprintf(cmd, sizeof cmd, "cd '%s' && %s timeout %d '%s' --log-level=info %s 2>'%s'", K,
             env, secs, e2e_program("ORDOD", "daemon/ordod"), args, log);
    int rc = system(cmd);
    FILE *f = fopen(log, "r");
    size_t n = f ? fread(out, 1, outlen - 1, f) : 0;
    out[n] = '\0';
    if (f)
        fclose(f);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128 + WTERMSIG(rc);
}

/* ordod ARGS must exit with status and log why; status 124 means that it
 * must start (and it is stopped after 2 s). */
#define REFUSED(status, env, args, why)                                             \
    do {                                                                             \
        char out_[4096];                                                             \
        int st_ = s_ordod(env, args, (status) == 124 ? 2 : 20, out_, sizeof out_);                             \
        ck_assert_msg(st_ == (status), "ordod %s: exit %d, not %d:\n%s", args, st_,  \
                      status, out_);                                                 \
        ck_assert_msg(strstr(out_, why), "ordod %s: no '%s' in:\n%s", args, why, out_); \
    } while (0)

static bool s_log_has(const e2e_daemon_t *d, const char *what)
{
    FILE *f = fopen(d->log, "r");
    if (!f)
        return false;
    char line[2048];
    bool found = false;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, what) != NULL;
    fclose(f);
    return found;
}

/* ------------------------------------------------------------------ */
/* The default runtime directory.                                     */

/* Starts ordod on its default endpoints with XDG_RUNTIME_DIR=xdg; returns
 * its pid once its status socket answers. */
static pid_t s_spawn_default(const char *xdg)
{
    char status[400];
    ck_assert_int_lt(snprintf(status, sizeof status, "ipc://%.350s/ordo/status.sock", xdg),
                     (int)sizeof status);
    pid_t parent = getpid(), pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        unsetenv("RUNTIME_DIRECTORY");
        setenv("XDG_RUNTIME_DIR", xdg, 1);
        const char *ordod = e2e_program("ORDOD", "daemon/ordod");
        execl(ordod, ordod, "--log-level=warn", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) {
        char *text = NULL;
        int rc = ordo_status_query(status, "status", NULL, 0, 0, 100, &text);
        ordo_free(text);
        if (rc == 0)
            return pid;
        ck_assert_msg(waitpid(pid, NULL, WNOHANG) == 0, "ordod exited at start");
        usleep(50000);
    }
    kill(pid, SIGKILL);
    ck_abort_msg("ordod did not answer on %s", status);
    return -1;
}

static void s_stop(pid_t pid)
{
    int st;
    kill(pid, SIGTERM);
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "ordod exit status %d", st);
}

START_TEST(test_runtime_dir)
{
    s_keys();                   /* K: a scratch directory */
    char xdg[400], dir[450], env[500], other[450];
    snprintf(xdg, sizeof xdg, "%s/xdg", K);
    snprintf(dir, sizeof dir, "%s/ordo", xdg);
    ck_assert_int_eq(mkdir(xdg, 0755), 0);
    snprintf(env, sizeof env, "env -u RUNTIME_DIRECTORY XDG_RUNTIME_DIR='%s'", xdg);

    /* Missing: made 0700, and the daemon serves there. */
    pid_t pid = s_spawn_default(xdg);
    struct stat st;
    ck_assert_int_eq(lstat(dir, &st), 0);
    ck_assert(S_ISDIR(st.st_mode));
    ck_assert_uint_eq(st.st_mode & 07777, 0700);
    ck_assert_uint_eq(st.st_uid, getuid());
    s_stop(pid);

    /* Reachable by group or others: refused, whatever the bits. */
    const mode_t open_modes[] = {0755, 0750, 0701, 0770, 0707};
    for (size_t i = 0; i < sizeof open_modes / sizeof open_modes[0]; i++) {
        ck_assert_int_eq(chmod(dir, open_modes[i]), 0);
        REFUSED(1, env, "", "accessible to others");
    }
    ck_assert_int_eq(chmod(dir, 0700), 0);
    /* Owned by someone else (only root can make one here). */
    if (geteuid() == 0) {
        ck_assert_int_eq(chown(dir, 65534, 65534), 0);
        REFUSED(1, env, "", "owned by uid 65534");
        ck_assert_int_eq(chown(dir, 0, 0), 0);
    }
    /* A symbolic link, even to a private directory of ours. */
    snprintf(other, sizeof other, "%s/elsewhere", K);
    ck_assert_int_eq(rename(dir, other), 0);
    ck_assert_int_eq(symlink(other, dir), 0);
    REFUSED(1, env, "", "is not a directory");
    ck_assert_int_eq(unlink(dir), 0);
    ck_assert_int_eq(rename(other, dir), 0);

    /* A service's directory ($RUNTIME_DIRECTORY, systemd's 0750) may let
     * its group in, but nobody else may write in it. */
    snprintf(env, sizeof env, "RUNTIME_DIRECTORY='%s'", dir);
    ck_assert_int_eq(chmod(dir, 0750), 0);
    REFUSED(124, env, "", "ordod ready");
    ck_assert_int_eq(chmod(dir, 0770), 0);
    REFUSED(1, env, "", "writable by group or others");
    s_keys_rm();
}
END_TEST

/* ------------------------------------------------------------------ */
/* --socket-mode                                                       */

static mode_t s_mode(const char *endpoint)
{
    struct stat st;
    ck_assert_int_eq(stat(endpoint + strlen("ipc://"), &st), 0);
    ck_assert(S_ISSOCK(st.st_mode));
    return st.st_mode & 07777;
}

START_TEST(test_socket_mode)
{
    mode_t old = umask(077);
    /* The umask decides by default... */
    e2e_start(&D, NULL);
    ck_assert_uint_eq(s_mode(D.endpoint), 0700);
    ck_assert_uint_eq(s_mode(D.status), 0700);
    ck_assert_int_eq(e2e_stop(&D), 0);
    /* ...--socket-mode overrides it (a service's group: 0770). */
    const char *args[] = {"--socket-mode=0770", NULL};
    e2e_start(&D, args);
    ck_assert_uint_eq(s_mode(D.endpoint), 0770);
    ck_assert_uint_eq(s_mode(D.status), 0770);
    ck_assert(e2e_daemon_serves(&D));
    ck_assert_int_eq(e2e_stop(&D), 0);
    const char *args2[] = {"--socket-mode=660", NULL};      /* octal, as chmod reads it */
    e2e_start(&D, args2);
    ck_assert_uint_eq(s_mode(D.endpoint), 0660);
    ck_assert_int_eq(e2e_stop(&D), 0);
    umask(old);

    s_keys();
    REFUSED(2, "", "--socket-mode=0999", "not an octal mode");
    REFUSED(2, "", "--socket-mode=01777", "outside");
    REFUSED(2, "", "--socket-mode=-1", "not an octal mode");
    s_keys_rm();
}
END_TEST

/* ------------------------------------------------------------------ */
/* tcp and CURVE                                                       */

START_TEST(test_tcp_needs_curve)
{
    s_keys();
    const char *tcp = "--endpoint='tcp://127.0.0.1:*' --status-endpoint=ipc://s.sock ";
    char args[1024];
    REFUSED(2, "", tcp, "is a tcp endpoint: give it CURVE keys");
    snprintf(args, sizeof args, "%s --curve-secret-key=server.key", tcp);
    REFUSED(2, "", args, "go together");
    snprintf(args, sizeof args, "%s --curve-secret-key=server.key --curve-allow=allow "
             "--insecure-tcp=1", tcp);
    REFUSED(2, "", args, "contradicts");
    /* The status socket on tcp too. */
    REFUSED(2, "", "--endpoint=ipc://o.sock --status-endpoint='tcp://127.0.0.1:*'",
            "is a tcp endpoint");

    /* Files that others could read or change. */
    snprintf(args, sizeof args, "%s --curve-secret-key=server.key --curve-allow=allow", tcp);
    s_sh("chmod 0604 '%s/server.key'", K);
    REFUSED(1, "", args, "readable by others");
    s_sh("chmod 0640 '%s/server.key' && chmod 0664 '%s/allow'", K, K);  /* group read: fine */
    REFUSED(1, "", args, "writable by group or others");
    s_sh("chmod 0644 '%s/allow' && echo 'not a key' >> '%s/allow'", K, K);
    REFUSED(1, "", args, "allow:3: not a Z85 public key");
    s_sh("cp '%s/client.pub' '%s/allow'", K, K);
    if (geteuid() == 0) {
        s_sh("chown 65534 '%s/allow'", K);
        REFUSED(1, "", args, "owned by uid 65534");
        s_sh("chown 0 '%s/allow'", K);
    }
    snprintf(args, sizeof args, "%s --curve-secret-key=nothere.key --curve-allow=allow", tcp);
    REFUSED(1, "", args, "nothere.key");
    /* And the good files start it. */
    snprintf(args, sizeof args, "%s --curve-secret-key=server.key --curve-allow=allow", tcp);
    REFUSED(124, "", args, "1 client keys allowed");
    s_keys_rm();
}
END_TEST

START_TEST(test_insecure_tcp)
{
    const char *args[] = {"--endpoint=tcp://127.0.0.1:*", "--insecure-tcp=1",
                          "--log-level=info", NULL};
    e2e_start(&D, args);
    ck_assert(s_log_has(&D, "INSECURE: tcp without CURVE"));
    ck_assert(e2e_daemon_serves(&D));
    ck_assert_int_eq(e2e_stop(&D), 0);
}
END_TEST

/* ordo_client_new on D with the given keys (NULL: unset); returns its
 * code and the seconds it took in *secs. */
static int s_try(const char *server, const char *secret, double *secs)
{
    char a[400], b[400];
    if (server) {
        snprintf(a, sizeof a, "%s%s%s", server[0] == '/' ? "" : K, server[0] == '/' ? "" : "/",
                 server);
        /* A key given as text is used as is. */
        setenv("ORDO_CURVE_SERVERKEY", strlen(server) == 40 ? server : a, 1);
    } else {
        unsetenv("ORDO_CURVE_SERVERKEY");
    }
    if (secret) {
        snprintf(b, sizeof b, "%s/%s", K, secret);
        setenv("ORDO_CURVE_SECRETKEY", b, 1);
    } else {
        unsetenv("ORDO_CURVE_SECRETKEY");
    }
    ordo_client_t *c = NULL;
    ordo_client_opts_t o = {.connect_timeout_ms = 20000};
    double t0 = s_now();
    int rc = ordo_client_new(&c, D.endpoint, &o);
    *secs = s_now() - t0;
    ordo_client_destroy(&c);
    return rc;
}

static void s_start_curve(void)
{
    s_keys();
    static char sk[400], al[400];
    snprintf(sk, sizeof sk, "--curve-secret-key=%s/server.key", K);
    snprintf(al, sizeof al, "--curve-allow=%s/allow", K);
    const char *args[] = {"--endpoint=tcp://127.0.0.1:*", sk, al, "--log-level=info", NULL};
    e2e_start(&D, args);
}

START_TEST(test_curve_clients)
{
    s_start_curve();
    double secs;
    /* The allow-listed client, with the server key as a file or as text. */
    ck_assert_int_eq(s_try("server.pub", "client.key", &secs), 0);
    char text[41];
    s_key_text("server.pub", text);
    ck_assert_int_eq(s_try(text, "client.key", &secs), 0);
    ck_assert(e2e_daemon_serves(&D));          /* a real round trip, keys still set */

    /* A key off the list: refused at once (the connect timeout is 20 s). */
    for (int i = 0; i < 5; i++) {
        int rc = s_try("server.pub", "other.key", &secs);
        ck_assert_msg(rc == ORDO_EPERM, "rc %d: %s", rc, ordo_last_error());
        ck_assert_msg(secs < 5.0, "refusal took %.1f s", secs);
        ck_assert_msg(strstr(ordo_last_error(), "allow-list"), "%s", ordo_last_error());
    }
    ck_assert(s_log_has(&D, "is not on the allow-list"));
    /* A plain client. */
    int rc = s_try(NULL, NULL, &secs);
    ck_assert_msg(rc == ORDO_EPERM, "rc %d: %s", rc, ordo_last_error());
    ck_assert_msg(secs < 5.0, "refusal took %.1f s", secs);
    ck_assert_msg(strstr(ordo_last_error(), "security handshake"), "%s", ordo_last_error());
    /* The right client key but the wrong server key. */
    rc = s_try("other.pub", "client.key", &secs);
    ck_assert_msg(rc == ORDO_EPERM, "rc %d: %s", rc, ordo_last_error());
    ck_assert_msg(secs < 5.0, "refusal took %.1f s", secs);
    ck_assert_msg(strstr(ordo_last_error(), "ORDO_CURVE_SERVERKEY"), "%s", ordo_last_error());
    /* Half a configuration, and a secret key file others can read. */
    ck_assert_int_eq(s_try("server.pub", NULL, &secs), ORDO_EINVAL);
    s_sh("chmod 0644 '%s/client.key'", K);
    ck_assert_int_eq(s_try("server.pub", "client.key", &secs), ORDO_EPERM);
    ck_assert_msg(strstr(ordo_last_error(), "accessible to others"), "%s", ordo_last_error());
    s_sh("chmod 0600 '%s/client.key'", K);
    ck_assert_int_eq(s_try("server.pub", "missing.key", &secs), ORDO_EINVAL);

    /* The daemon serves the allowed client all along. */
    ck_assert_int_eq(s_try("server.pub", "client.key", &secs), 0);
    ck_assert(e2e_daemon_serves(&D));
    unsetenv("ORDO_CURVE_SERVERKEY");
    unsetenv("ORDO_CURVE_SECRETKEY");
    ck_assert_int_eq(e2e_stop(&D), 0);
    s_keys_rm();
}
END_TEST

/* A session held open by an allowed client goes on while others are
 * refused. */
START_TEST(test_curve_session_survives_refusals)
{
    s_start_curve();
    double secs;
    char a[400], b[400];
    snprintf(a, sizeof a, "%s/server.pub", K);
    snprintf(b, sizeof b, "%s/client.key", K);
    setenv("ORDO_CURVE_SERVERKEY", a, 1);
    setenv("ORDO_CURVE_SECRETKEY", b, 1);
    ordo_client_t *c = e2e_connect(&D);
    uint64_t buf, id;
    ck_assert_int_eq(ordo_buffer_create(c, 4096, NULL, &buf), 0);
    ordo_tensor_t v;
    ck_assert_int_eq(ordo_tensor_init(&v, buf, ORDO_F32, 0, 1, (int64_t[]){1024}, NULL), 0);
    for (int round = 0; round < 3; round++) {
        ck_assert_int_eq(s_try("server.pub", "other.key", &secs), ORDO_EPERM);
        ck_assert_int_eq(s_try(NULL, NULL, &secs), ORDO_EPERM);
        setenv("ORDO_CURVE_SERVERKEY", a, 1);
        setenv("ORDO_CURVE_SECRETKEY", b, 1);
        float out[1024];
        ck_assert_int_eq(ordo_fill(c, &v, (double)round, &id), 0);
        ck_assert_int_eq(ordo_read(c, &v, out, sizeof out, &id), 0);
        ck_assert_int_eq(ordo_wait(c, id, 10000, NULL), 0);
        ck_assert(out[0] == (float)round && out[1023] == (float)round);
    }
    ordo_client_destroy(&c);
    unsetenv("ORDO_CURVE_SERVERKEY");
    unsetenv("ORDO_CURVE_SECRETKEY");
    ck_assert_int_eq(e2e_stop(&D), 0);
    s_keys_rm();
}
END_TEST

/* The status socket on tcp: ordoctl with and without keys. */
START_TEST(test_status_tcp)
{
    s_keys();
    char log[400], url[256] = "";
    snprintf(log, sizeof log, "%s/ordod.log", K);
    pid_t parent = getpid(), pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent || chdir(K) != 0)
            _exit(127);
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, 2);
        const char *ordod = e2e_program("ORDOD", "daemon/ordod");
        execl(ordod, ordod, "--endpoint=ipc://o.sock", "--status-endpoint=tcp://127.0.0.1:*",
              "--curve-secret-key=server.key", "--curve-allow=allow", "--log-level=info",
              (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200 && !url[0]; i++) {
        usleep(50000);
        FILE *f = fopen(log, "r");
        char line[2048];
        while (f && fgets(line, sizeof line, f)) {
            const char *p = strstr(line, " status=tcp://");
            if (p)
                sscanf(p + 8, "%255s", url);
        }
        if (f)
            fclose(f);
    }
    if (!url[0])
        kill(pid, SIGKILL);
    ck_assert_msg(url[0], "no status endpoint in the log");
    const char *ordoctl = e2e_program("ORDOCTL", "client/ordoctl");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' -k server.pub -K client.key -s '%s' status "
             ">/dev/null", K, ordoctl, url);
    ck_assert_int_eq(system(cmd), 0);
    /* Without keys, or with one off the list: an error within the
     * timeout's first second, not a hang. */
    const char *bad[] = {"", "-k server.pub -K other.key"};
    const char *why[] = {"security handshake", "refused our CURVE key"};
    for (int i = 0; i < 2; i++) {
        snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s -t 20 -s '%s' status 2>err >/dev/null",
                 K, ordoctl, bad[i], url);
        double t0 = s_now();
        int rc = system(cmd);
        double secs = s_now() - t0;
        ck_assert_msg(WIFEXITED(rc) && WEXITSTATUS(rc) == 1, "%s: status %d", bad[i], rc);
        ck_assert_msg(secs < 5.0, "%s: took %.1f s", bad[i], secs);
        snprintf(cmd, sizeof cmd, "grep -q '%s' '%s/err'", why[i], K);
        ck_assert_msg(system(cmd) == 0, "ordoctl %s: no '%s'", bad[i], why[i]);
    }
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' -k server.pub -K client.key -s '%s' status "
             ">/dev/null", K, ordoctl, url);
    ck_assert_int_eq(system(cmd), 0);
    s_stop(pid);
    s_keys_rm();
}
END_TEST

START_TEST(test_keygen)
{
    s_keys();
    /* The files hold a matching pair (the public key derives from the
     * secret one), the secret one private, each pair new. */
    char pub[41], sec[41], derived[41], other[41];
    s_key_text("server.pub", pub);
    s_key_text("server.key", sec);
    ck_assert_int_eq(zmq_curve_public(derived, sec), 0);
    ck_assert_str_eq(derived, pub);
    s_key_text("other.pub", other);
    ck_assert_str_ne(other, pub);
    struct stat st;
    char path[400];
    snprintf(path, sizeof path, "%s/server.key", K);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0600);
    /* keygen never overwrites. */
    const char *ordoctl = e2e_program("ORDOCTL", "client/ordoctl");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' keygen server 2>/dev/null", K, ordoctl);
    int rc = system(cmd);
    ck_assert(WIFEXITED(rc) && WEXITSTATUS(rc) == 1);
    s_key_text("server.key", derived);
    ck_assert_str_eq(derived, sec);
    /* The library call makes pairs too. */
    ck_assert_int_eq(ordo_curve_keypair(pub, sec), 0);
    ck_assert_int_eq(zmq_curve_public(derived, sec), 0);
    ck_assert_str_eq(derived, pub);
    s_keys_rm();
}
END_TEST

static Suite *s_suite(void)
{
    Suite *s = suite_create("auth");
    TCase *tc = tcase_create("auth");
    tcase_add_unchecked_fixture(tc, e2e_tmp_setup, e2e_tmp_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_runtime_dir);
    tcase_add_test(tc, test_socket_mode);
    tcase_add_test(tc, test_tcp_needs_curve);
    tcase_add_test(tc, test_insecure_tcp);
    tcase_add_test(tc, test_curve_clients);
    tcase_add_test(tc, test_curve_session_survives_refusals);
    tcase_add_test(tc, test_status_tcp);
    tcase_add_test(tc, test_keygen);
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
