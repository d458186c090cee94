/*
 * e2e.c - the end-to-end harness (see e2e.h): start and stop a real ordod
 * on a private temporary directory, connect to it, read its status, and a
 * minimal JSON reader to check `ordoctl status --json`.
 */
#define _GNU_SOURCE
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "e2e.h"

#ifndef ORDO_E2E_ORDOD
#define ORDO_E2E_ORDOD "daemon/ordod"
#endif

/* The per-TCase directory (see e2e_tmp_setup), inherited by the forked
 * tests; empty when the tests make their directories directly in $TMPDIR. */
static char s_base[200];

/* Removes one entry of a tree (nftw callback, children first). */
static int s_rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void e2e_tmp_setup(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(s_base, sizeof s_base, "%s/ordo-e2e-tcase-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(s_base)) {
        fprintf(stderr, "e2e: mkdtemp %s: %s\n", s_base, strerror(errno));
        s_base[0] = 0;
    }
}

void e2e_tmp_teardown(void)
{
    if (!s_base[0])
        return;
    if (getenv("ORDO_E2E_KEEP"))
        fprintf(stderr, "e2e: keeping %s\n", s_base);
    else
        nftw(s_base, s_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    s_base[0] = 0;
}

const char *e2e_program(const char *name_env, const char *fallback)
{
    const char *p = getenv(name_env);
    return p && p[0] ? p : fallback;
}

static void s_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

void e2e_dump_log(const e2e_daemon_t *d)
{
    FILE *f = fopen(d->log, "r");
    if (!f)
        return;
    fprintf(stderr, "---- ordod log (%s) ----\n", d->log);
    char line[1024];
    while (fgets(line, sizeof line, f))
        fputs(line, stderr);
    fprintf(stderr, "---- end of ordod log ----\n");
    fclose(f);
}

/* Reads "ordod ready: endpoint=URL " from the daemon's log (info level)
 * into d->endpoint; false while it is not there. */
static bool s_bound_endpoint(e2e_daemon_t *d)
{
    FILE *f = fopen(d->log, "r");
    if (!f)
        return false;
    char line[1024];
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        const char *p = strstr(line, "ordod ready: endpoint=");
        if (p) {
            p += strlen("ordod ready: endpoint=");
            size_t n = strcspn(p, " \n");
            found = n > 0 && n < sizeof d->endpoint;
            if (found)
                snprintf(d->endpoint, sizeof d->endpoint, "%.*s", (int)n, p);
        }
    }
    fclose(f);
    return found;
}

static void s_spawn(e2e_daemon_t *d, const char *const *extra);

void e2e_start(e2e_daemon_t *d, const char *const *extra)
{
    memset(d, 0, sizeof *d);
    const char *tmp = getenv("TMPDIR");
    snprintf(d->dir, sizeof d->dir, "%s/ordo-e2e-XXXXXX",
             s_base[0] ? s_base : tmp && tmp[0] ? tmp : "/tmp");
    ck_assert_msg(mkdtemp(d->dir) != NULL, "mkdtemp %s: %s", d->dir, strerror(errno));
    snprintf(d->endpoint, sizeof d->endpoint, "ipc://%s/ordod.sock", d->dir);
    snprintf(d->status, sizeof d->status, "ipc://%s/status.sock", d->dir);
    snprintf(d->log, sizeof d->log, "%s/ordod.log", d->dir);
    s_spawn(d, extra);
}

void e2e_restart(e2e_daemon_t *d, const char *const *extra)
{
    ck_assert_msg(d->pid == 0 && d->dir[0], "e2e_restart: the daemon must be stopped first");
    s_spawn(d, extra);
}

/* Starts ordod in d->dir and waits until it serves (see e2e_start). */
static void s_spawn(e2e_daemon_t *d, const char *const *extra)
{
    const char *ordod = e2e_program("ORDOD", ORDO_E2E_ORDOD);
    const char *argv[64];
    int n = 0;
    char ep[340], st[340];
    snprintf(ep, sizeof ep, "--endpoint=%s", d->endpoint);
    snprintf(st, sizeof st, "--status-endpoint=%s", d->status);
    argv[n++] = ordod;
    argv[n++] = ep;
    argv[n++] = st;
    for (int i = 0; extra && extra[i] && n < 62; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;

    /* An --endpoint=tcp://HOST:* among the extra options replaces the ipc
     * one: the port the system chose is read from the daemon's log. */
    bool tcp = false;
    for (int i = 0; extra && extra[i]; i++)
        tcp = tcp || strncmp(extra[i], "--endpoint=tcp://", 17) == 0;

    pid_t parent = getpid();
    pid_t pid = fork();
    ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        /* The daemon dies with the test process, whatever ends it. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int fd = open(d->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0 && !getenv("ORDO_E2E_VERBOSE")) {
            dup2(fd, 2);
            dup2(fd, 1);
        }
        /* The daemon must not pick up the caller's environment defaults. */
        unsetenv("RUNTIME_DIRECTORY");
        setenv("XDG_RUNTIME_DIR", d->dir, 1);
        /* $ORDO_E2E_WRAPPER (say, a script that runs valgrind) runs the
         * daemon with its arguments. */
        const char *wrapper = getenv("ORDO_E2E_WRAPPER");
        if (wrapper && wrapper[0]) {
            const char *wargv[66];
            wargv[0] = wrapper;
            for (int i = 0; i <= n; i++)
                wargv[i + 1] = argv[i];
            execv(wrapper, (char *const *)wargv);
            fprintf(stderr, "cannot execute %s: %s\n", wrapper, strerror(errno));
            _exit(127);
        }
        execv(ordod, (char *const *)argv);
        fprintf(stderr, "cannot execute %s: %s\n", ordod, strerror(errno));
        _exit(127);
    }
    d->pid = pid;

    /* Up when its status socket answers (at most 20 s on a loaded machine). */
    for (int i = 0; i < 200; i++) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            d->pid = 0;
            e2e_dump_log(d);
            ck_abort_msg("ordod (%s) exited at start with status %d: see its log above",
                         ordod, WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status));
        }
        char *text = NULL;
        int rc = ordo_status_query(d->status, "status", NULL, 0, 0, 100, &text);
        ordo_free(text);
        struct stat sb;
        if (rc == 0 && tcp && s_bound_endpoint(d))
            return;
        if (rc == 0 && !tcp && stat(d->endpoint + 6, &sb) == 0)
            return;
        s_sleep_ms(i < 10 ? 10 : 100);
    }
    e2e_dump_log(d);
    e2e_kill(d);
    ck_abort_msg("ordod did not answer on %s within 20 s", d->status);
}

void e2e_kill(e2e_daemon_t *d)
{
    if (d->pid > 0) {
        kill(d->pid, SIGKILL);
        waitpid(d->pid, NULL, 0);
        d->pid = 0;
    }
}

static void s_rmdir(const char *dir)
{
    const char *names[] = {"ordod.sock", "status.sock", "ordod.log", NULL};
    char path[400];
    for (int i = 0; names[i]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

int e2e_stop(e2e_daemon_t *d)
{
    int status = -1;
    if (d->pid > 0) {
        kill(d->pid, SIGTERM);
        int i;
        for (i = 0; i < 2000; i++) {
            if (waitpid(d->pid, &status, WNOHANG) == d->pid)
                break;
            s_sleep_ms(10);
        }
        if (i == 2000) {
            fprintf(stderr, "e2e: ordod did not stop within 20 s of SIGTERM: killed\n");
            kill(d->pid, SIGKILL);
            waitpid(d->pid, &status, 0);
        }
        d->pid = 0;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            e2e_dump_log(d);
    }
    if (d->dir[0]) {
        if (getenv("ORDO_E2E_KEEP"))
            fprintf(stderr, "e2e: keeping %s\n", d->dir);
        else
            s_rmdir(d->dir);
        d->dir[0] = 0;
    }
    return status;
}

static ordo_client_t *s_connect(const e2e_daemon_t *d, int delay_us)
{
    ordo_client_t *c = NULL;
    ordo_client_opts_t o = {.connect_timeout_ms = 10000, .batch_delay_us = delay_us};
    int rc = ordo_client_new(&c, d->endpoint, &o);
    if (rc < 0)
        e2e_dump_log(d);
    ck_assert_msg(rc == 0, "connect to %s: %s", d->endpoint, ordo_last_error());
    return c;
}

ordo_client_t *e2e_connect(const e2e_daemon_t *d)
{
    return s_connect(d, 0);
}

ordo_client_t *e2e_connect_batched(const e2e_daemon_t *d)
{
    return s_connect(d, 10000000);
}

char *e2e_status(const e2e_daemon_t *d, bool json)
{
    char *text = NULL;
    int rc = ordo_status_query(d->status, "status", NULL, 0, json, 10000, &text);
    ck_assert_msg(rc == 0, "status query: %s", ordo_last_error());
    ck_assert_ptr_nonnull(text);
    return text;
}

void e2e_f64(uint8_t out[8], double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    for (int i = 0; i < 8; i++)
        out[i] = (uint8_t)(u >> (8 * i));
}

bool e2e_daemon_serves(const e2e_daemon_t *d)
{
    ordo_client_t *c = NULL;
    ordo_client_opts_t o = {.connect_timeout_ms = 10000};
    if (ordo_client_new(&c, d->endpoint, &o) < 0) {
        fprintf(stderr, "e2e: daemon does not serve: %s\n", ordo_last_error());
        return false;
    }
    bool ok = false;
    uint64_t b, id;
    float out[16];
    ordo_tensor_t v;
    int64_t shape[1] = {16};
    if (ordo_buffer_create(c, sizeof out, NULL, &b) == 0 &&
        ordo_tensor_init(&v, b, ORDO_F32, 0, 1, shape, NULL) == 0 &&
        ordo_fill(c, &v, 2.5, &id) == 0 && ordo_read(c, &v, out, sizeof out, &id) == 0 &&
        ordo_wait(c, id, 10000, NULL) == 0) {
        ok = true;
        for (int i = 0; i < 16; i++)
            ok = ok && out[i] == 2.5f;
    }
    if (!ok)
        fprintf(stderr, "e2e: daemon does not serve: %s\n", ordo_last_error());
    ordo_client_destroy(&c);
    return ok;
}

/* ---------------------------------------------------------------------- */
/* JSON: a recursive-descent recogniser over the RFC 8259 grammar. */

static const char *s_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

static const char *s_value(const char *p, int depth);

static const char *s_string(const char *p)
{
    if (*p != '"')
        return NULL;
    for (p++; *p != '"'; p++) {
        if ((unsigned char)*p < 0x20)
            return NULL;
        if (*p == '\\') {
            p++;
            if (*p == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (!isxdigit((unsigned char)p[i]))
                        return NULL;
                p += 4;
            } else if (!strchr("\"\\/bfnrt", *p) || !*p) {
                return NULL;
            }
        }
    }
    return p + 1;
}

static const char *s_number(const char *p)
{
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if (isdigit((unsigned char)*p))
        while (isdigit((unsigned char)*p))
            p++;
    else
        return NULL;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return NULL;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!isdigit((unsigned char)*p))
            return NULL;
        while (isdigit((unsigned char)*p))
            p++;
    }
    return p;
}

static const char *s_value(const char *p, int depth)
{
    if (depth > 64)
        return NULL;
    p = s_ws(p);
    if (*p == '{' || *p == '[') {
        char close = *p == '{' ? '}' : ']';
        bool object = *p == '{';
        p = s_ws(p + 1);
        if (*p == close)
            return p + 1;
        for (;;) {
            if (object) {
                if (!(p = s_string(s_ws(p))))
                    return NULL;
                p = s_ws(p);
                if (*p++ != ':')
                    return NULL;
            }
            if (!(p = s_value(p, depth + 1)))
                return NULL;
            p = s_ws(p);
            if (*p == close)
                return p + 1;
            if (*p++ != ',')
                return NULL;
        }
    }
    if (*p == '"')
        return s_string(p);
    if (strncmp(p, "true", 4) == 0)
        return p + 4;
    if (strncmp(p, "false", 5) == 0)
        return p + 5;
    if (strncmp(p, "null", 4) == 0)
        return p + 4;
    return s_number(p);
}

bool e2e_json_valid(const char *text)
{
    const char *p = s_value(text, 0);
    return p && *s_ws(p) == 0;
}

bool e2e_json_number(const char *text, const char *path, double *out)
{
    if (!e2e_json_valid(text))
        return false;
    const char *p = s_ws(text);
    while (*path) {
        size_t klen = strcspn(path, ".");
        if (*p != '{')
            return false;
        p = s_ws(p + 1);
        bool found = false;
        while (*p == '"') {
            const char *kend = s_string(p);
            bool match = (size_t)(kend - p - 2) == klen && strncmp(p + 1, path, klen) == 0;
            p = s_ws(s_ws(kend) + 1);   /* past ':' */
            if (match) {
                found = true;
                break;
            }
            p = s_ws(s_value(p, 0));
            if (*p == ',')
                p = s_ws(p + 1);
        }
        if (!found)
            return false;
        path += klen;
        if (*path == '.')
            path++;
    }
    const char *end = s_number(p);
    if (!end)
        return false;
    *out = strtod(p, NULL);
    return true;
}

uint64_t e2e_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * UINT64_C(2685821657736338717);
}

int e2e_below(uint64_t *s, int n)
{
    return (int)(e2e_rand(s) % (uint64_t)n);
}

bool e2e_random_view(uint64_t *rng, int64_t nelem, int ndim, const int64_t *shape,
                     bool input, ordo_tensor_t *t)
{
    int order[ORDO_MAX_NDIM];
    for (int k = 0; k < ndim; k++)
        order[k] = k;
    for (int k = ndim - 1; k > 0; k--) {
        int j = e2e_below(rng, k + 1), x = order[k];
        order[k] = order[j];
        order[j] = x;
    }
    int64_t strides[ORDO_MAX_NDIM], span = 1, lo = 0;
    for (int i = 0; i < ndim; i++) {
        int d = order[i];
        if (input && e2e_below(rng, 6) == 0) {
            strides[d] = 0;
            continue;
        }
        int64_t st = (1 + (e2e_below(rng, 3) == 0)) * span;
        strides[d] = e2e_below(rng, 4) == 0 ? -st : st;
        span += (shape[d] - 1) * st;
        if (strides[d] < 0)
            lo += (shape[d] - 1) * strides[d];
    }
    if (span > nelem)
        return false;
    int64_t offset = -lo + e2e_below(rng, (int)(nelem - span + 1));
    return ordo_tensor_init(t, 0, ORDO_F32, offset, ndim, shape, strides) == 0;
}
