/*
 * check_e2e.c - end-to-end tests of ordod and libordo together: sessions,
 * sharing across processes, failure and cancellation, events, credits,
 * status counters and ordoctl.
 *
 * Each test starts its own ordod on a private temporary endpoint (e2e.h)
 * and stops it in the teardown, which also checks that SIGTERM drains and
 * exits 0.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "e2e.h"
#include "ordo.h"

static e2e_daemon_t D;

static void s_setup(void)
{
    const char *args[] = {"--workers=2", "--log-level=warn", NULL};
    e2e_start(&D, args);
}

static void s_teardown(void)
{
    int status = e2e_stop(&D);
    ck_assert_msg(status == -1 || (WIFEXITED(status) && WEXITSTATUS(status) == 0),
                  "ordod did not exit 0 on SIGTERM (status %d)", status);
}

static ordo_tensor_t s_vec(uint64_t buffer, int64_t n)
{
    ordo_tensor_t t;
    int64_t shape[1] = {n};
    ck_assert_int_eq(ordo_tensor_init(&t, buffer, ORDO_F32, 0, 1, shape, NULL), 0);
    return t;
}

/* ---------------------------------------------------------------------- */
/* Two processes share a named buffer. */

/* In a forked child: no Check calls, report through the exit status. */
#define CHILD_CHECK(cond, ...)                                                   \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "child %ld, line %d: ", (long)getpid(), __LINE__);   \
            fprintf(stderr, __VA_ARGS__);                                        \
            fprintf(stderr, " [%s]\n", ordo_last_error());                       \
            _exit(1);                                                            \
        }                                                                        \
    } while (0)

#define SH_ROWS 12
#define SH_COLS 8
#define SH_N (SH_ROWS * SH_COLS)

/* The writer: fills the buffer with -1, then (after a 150 ms sleep task it
 * depends on explicitly, so that the write is late) writes 100 + i through
 * rows 2..7 of a [12, 8] view.  Hands the write's id to the reader once the
 * daemon has accepted it, and keeps its session until the reader is done. */
static void s_writer(const char *name, int to_reader, int from_reader)
{
    ordo_client_t *c = NULL;
    CHILD_CHECK(ordo_client_new(&c, D.endpoint, NULL) == 0, "connect");
    uint64_t b, id, sl, wr;
    CHILD_CHECK(ordo_buffer_create(c, SH_N * sizeof(float), name, &b) == 0, "create");
    ordo_tensor_t all, m, rows;
    int64_t flat[1] = {SH_N}, shape[2] = {SH_ROWS, SH_COLS};
    ordo_tensor_init(&all, b, ORDO_F32, 0, 1, flat, NULL);
    ordo_tensor_reshape(&m, &all, 2, shape);
    CHILD_CHECK(ordo_tensor_slice(&rows, &m, 0, 2, 8, 1) == 0, "slice");
    CHILD_CHECK(ordo_fill(c, &all, -1.0, &id) == 0, "fill");
    uint8_t us[8] = {0};
    uint64_t usec = 150000;
    for (int i = 0; i < 8; i++)
        us[i] = (uint8_t)(usec >> (8 * i));
    ordo_submit_t s = {.kernel = "sleep", .params = us, .params_len = 8};
    CHILD_CHECK(ordo_submit(c, &s, &sl) == 0, "sleep");
    float data[6 * SH_COLS];
    for (int i = 0; i < 6 * SH_COLS; i++)
        data[i] = 100.0f + (float)i;
    ordo_access_t a[1] = {{&rows, ORDO_OUT}};
    ordo_submit_t w = {.kernel = "host_write", .args = a, .nargs = 1, .deps = &sl,
                       .ndeps = 1, .data = data, .data_len = sizeof data};
    CHILD_CHECK(ordo_submit(c, &w, &wr) == 0, "host_write");
    CHILD_CHECK(ordo_sync(c, 10000) == 0, "sync");
    CHILD_CHECK(write(to_reader, &wr, sizeof wr) == sizeof wr, "pipe");
    CHILD_CHECK(ordo_wait(c, wr, 10000, NULL) == 0, "write done");
    char done;
    CHILD_CHECK(read(from_reader, &done, 1) == 1, "reader done");
    ordo_client_destroy(&c);
    _exit(0);
}

/* The reader: opens the buffer by name and reads rows 1..6 of its [8, 12]
 * reshape, transposed ([12, 6]), with an explicit dependency on the
 * writer's task; checks every element against what the writer wrote. */
static void s_reader(const char *name, int from_writer, int to_writer)
{
    uint64_t wr;
    CHILD_CHECK(read(from_writer, &wr, sizeof wr) == sizeof wr, "pipe");
    ordo_client_t *c = NULL;
    CHILD_CHECK(ordo_client_new(&c, D.endpoint, NULL) == 0, "connect");
    CHILD_CHECK(ORDO_TASK_SESSION(wr) != ordo_client_session(c), "distinct sessions");
    uint64_t b, size, rd;
    CHILD_CHECK(ordo_buffer_open(c, name, &b, &size) == 0, "open");
    CHILD_CHECK(size == SH_N * sizeof(float), "size %llu", (unsigned long long)size);
    ordo_tensor_t all, m, rows, t;
    int64_t flat[1] = {SH_N}, shape[2] = {8, 12};
    ordo_tensor_init(&all, b, ORDO_F32, 0, 1, flat, NULL);
    ordo_tensor_reshape(&m, &all, 2, shape);
    ordo_tensor_slice(&rows, &m, 0, 1, 7, 1);
    ordo_tensor_transpose(&t, &rows);
    float out[12 * 6];
    ordo_access_t a[1] = {{&t, ORDO_IN}};
    ordo_submit_t r = {.kernel = "host_read", .args = a, .nargs = 1, .deps = &wr,
                       .ndeps = 1, .read_dst = out, .read_len = sizeof out};
    CHILD_CHECK(ordo_submit(c, &r, &rd) == 0, "host_read");
    ordo_event_t ev;
    CHILD_CHECK(ordo_wait(c, rd, 10000, &ev) == 0, "read: %s", ev.error);
    CHILD_CHECK(ev.data_len == sizeof out, "data_len %llu", (unsigned long long)ev.data_len);
    /* The writer's task, seen from this session (a Watch): done. */
    CHILD_CHECK(ordo_wait(c, wr, 10000, &ev) == 0 && ev.state == ORDO_TASK_DONE,
                "writer's task state %d", ev.state);
    for (int i = 0; i < 12; i++) {
        for (int j = 0; j < 6; j++) {
            int64_t off = 12 + (int64_t)j * 12 + i;       /* element of the buffer */
            float want = (off >= 2 * SH_COLS && off < 8 * SH_COLS)
                             ? 100.0f + (float)(off - 2 * SH_COLS) : -1.0f;
            CHILD_CHECK(out[i * 6 + j] == want, "element [%d,%d] (buffer %lld) is %g, not %g",
                        i, j, (long long)off, out[i * 6 + j], want);
        }
    }
    CHILD_CHECK(write(to_writer, "d", 1) == 1, "pipe");
    ordo_client_destroy(&c);
    _exit(0);
}

START_TEST(test_shared_buffer_two_processes)
{
    char name[64];
    snprintf(name, sizeof name, "e2e-shared-%ld", (long)getpid());
    int w2r[2], r2w[2];
    ck_assert_int_eq(pipe(w2r), 0);
    ck_assert_int_eq(pipe(r2w), 0);
    pid_t w = fork();
    if (w == 0)
        s_writer(name, w2r[1], r2w[0]);
    pid_t r = fork();
    if (r == 0)
        s_reader(name, w2r[0], r2w[1]);
    int sw, sr;
    waitpid(w, &sw, 0);
    waitpid(r, &sr, 0);
    ck_assert_msg(WIFEXITED(sw) && WEXITSTATUS(sw) == 0, "writer failed (see above)");
    ck_assert_msg(WIFEXITED(sr) && WEXITSTATUS(sr) == 0, "reader failed (see above)");
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Failure cancels dependents, derived and explicit, transitively. */

START_TEST(test_failure_cancels_dependents)
{
    /* All tasks in one Submit: the failure cannot happen before a derived
     * dependent is accepted (after which its bytes are just undefined). */
    ordo_client_t *c = e2e_connect_batched(&D);
    uint64_t ba, bb, bc;
    ck_assert_int_eq(ordo_buffer_create(c, 64 * sizeof(float), NULL, &ba), 0);
    ck_assert_int_eq(ordo_buffer_create(c, 64 * sizeof(float), NULL, &bb), 0);
    ck_assert_int_eq(ordo_buffer_create(c, 64 * sizeof(float), NULL, &bc), 0);
    ordo_tensor_t A = s_vec(ba, 64), B = s_vec(bb, 64), C = s_vec(bc, 64), A0, A1, B0;
    ordo_tensor_slice(&A0, &A, 0, 0, 32, 1);
    ordo_tensor_slice(&A1, &A, 0, 32, 64, 1);
    ordo_tensor_slice(&B0, &B, 0, 0, 32, 1);

    enum { FILL_A, FAIL, COPY, SCALE, NOOP_E, NOOP_E2, FILL_A1, FILL_C, READ_C, N };
    uint64_t id[N];
    ck_assert_int_eq(ordo_fill(c, &A, 1.0, &id[FILL_A]), 0);
    /* The failing task writes A[0:32]. */
    const char *why = "injected failure for the e2e test";
    ordo_access_t fa[1] = {{&A0, ORDO_INOUT}};
    ordo_submit_t f = {.kernel = "fail", .args = fa, .nargs = 1, .params = why,
                       .params_len = strlen(why)};
    ck_assert_int_eq(ordo_submit(c, &f, &id[FAIL]), 0);
    /* Derived: reads A[0:32] (RAW), then its output is scaled (RAW). */
    ck_assert_int_eq(ordo_copy(c, &B0, &A0, &id[COPY]), 0);
    ck_assert_int_eq(ordo_scale(c, &B0, 2.0, &id[SCALE]), 0);
    /* Explicit: a noop that names the failed task, and one that names it. */
    ordo_submit_t e = {.kernel = "noop", .deps = &id[FAIL], .ndeps = 1};
    ck_assert_int_eq(ordo_submit(c, &e, &id[NOOP_E]), 0);
    ordo_submit_t e2 = {.kernel = "noop", .deps = &id[NOOP_E], .ndeps = 1};
    ck_assert_int_eq(ordo_submit(c, &e2, &id[NOOP_E2]), 0);
    /* Unrelated: other bytes of A, and another buffer. */
    ck_assert_int_eq(ordo_fill(c, &A1, 3.0, &id[FILL_A1]), 0);
    ck_assert_int_eq(ordo_fill(c, &C, 4.0, &id[FILL_C]), 0);
    float out[64];
    ck_assert_int_eq(ordo_read(c, &C, out, sizeof out, &id[READ_C]), 0);

    /* Exactly one event per id. */
    ordo_event_t ev[N];
    int got[N] = {0}, n = 0;
    while (n < N) {
        ordo_event_t e1[4];
        int k = ordo_poll(c, e1, 4, 10000);
        ck_assert_msg(k > 0, "poll: %d %s (after %d events)", k, ordo_last_error(), n);
        for (int i = 0; i < k; i++) {
            int which = -1;
            for (int j = 0; j < N; j++)
                if (id[j] == e1[i].id)
                    which = j;
            ck_assert_msg(which >= 0, "event for an unknown id %#llx",
                          (unsigned long long)e1[i].id);
            ck_assert_msg(got[which] == 0, "second event for task %d", which);
            got[which] = 1;
            ev[which] = e1[i];
            n++;
        }
    }
    ck_assert_int_eq(ordo_poll(c, ev, 0, 200), 0);  /* and nothing more */

    ck_assert_int_eq(ev[FAIL].state, ORDO_TASK_FAILED);
    ck_assert_msg(strstr(ev[FAIL].error, why) != NULL, "fail text: '%s'", ev[FAIL].error);
    int cancelled[] = {COPY, SCALE, NOOP_E, NOOP_E2};
    for (size_t i = 0; i < sizeof cancelled / sizeof cancelled[0]; i++) {
        ordo_event_t *x = &ev[cancelled[i]];
        ck_assert_msg(x->state == ORDO_TASK_CANCELLED, "task %d: state %d", cancelled[i],
                      x->state);
        ck_assert_msg(x->cause == id[FAIL], "task %d: cause %#llx, not the failed %#llx",
                      cancelled[i], (unsigned long long)x->cause,
                      (unsigned long long)id[FAIL]);
        ck_assert_msg(x->error[0] != 0, "task %d: cancelled without a reason", cancelled[i]);
    }
    int done[] = {FILL_A, FILL_A1, FILL_C, READ_C};
    for (size_t i = 0; i < sizeof done / sizeof done[0]; i++)
        ck_assert_msg(ev[done[i]].state == ORDO_TASK_DONE, "task %d: state %d (%s)", done[i],
                      ev[done[i]].state, ev[done[i]].error);
    for (int i = 0; i < 64; i++)
        ck_assert(out[i] == 4.0f);
    ck_assert_uint_eq(ordo_client_unfinished(c), 0);

    /* A dependency on a task that failed long ago cancels too. */
    uint64_t late;
    ordo_submit_t l = {.kernel = "noop", .deps = &id[FAIL], .ndeps = 1};
    ck_assert_int_eq(ordo_submit(c, &l, &late), 0);
    ordo_event_t le;
    ck_assert_int_eq(ordo_wait(c, late, 10000, &le), ORDO_ECANCELED);
    ck_assert_uint_eq(le.cause, id[FAIL]);
    /* The reason is also there for the caller that only has the code. */
    ck_assert_msg(strstr(ordo_last_error(), "task") != NULL, "%s", ordo_last_error());
    ordo_client_destroy(&c);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Events: wait, poll, the notification descriptor, watching. */

START_TEST(test_events_and_fd)
{
    ordo_client_t *c = e2e_connect(&D);
    int fd = ordo_client_fd(c);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    ck_assert_int_eq(poll(&p, 1, 0), 0);            /* nothing queued */

    uint64_t id;
    ordo_submit_t s = {.kernel = "noop"};
    ck_assert_int_eq(ordo_submit(c, &s, &id), 0);
    ck_assert_uint_eq(ORDO_TASK_SESSION(id), ordo_client_session(c));
    ck_assert_uint_eq(ORDO_TASK_SEQ(id), 1);
    /* No flush call: the I/O thread sends the batch after its delay, and
     * the descriptor becomes readable when the event arrives. */
    ck_assert_int_eq(poll(&p, 1, 10000), 1);
    ck_assert(p.revents & POLLIN);
    ck_assert_int_eq(poll(&p, 1, 0), 1);            /* level-triggered */
    ordo_event_t ev;
    ck_assert_int_eq(ordo_poll(c, &ev, 1, 0), 1);
    ck_assert_uint_eq(ev.id, id);
    ck_assert_int_eq(ev.state, ORDO_TASK_DONE);
    ck_assert_int_eq(poll(&p, 1, 0), 0);            /* cleared with the queue */
    /* Delivered once: a wait on it now says so. */
    ck_assert_int_eq(ordo_wait(c, id, 0, NULL), ORDO_ENOENT);
    ck_assert_int_eq(ordo_wait(c, id + 1, 0, NULL), ORDO_EINVAL);

    /* ordo_wait takes an event out of the poll queue. */
    uint64_t a, b;
    ck_assert_int_eq(ordo_submit(c, &s, &a), 0);
    ck_assert_int_eq(ordo_submit(c, &s, &b), 0);
    ck_assert_uint_eq(b, a + 1);
    ck_assert_int_eq(ordo_wait(c, b, 10000, NULL), 0);
    ck_assert_int_eq(ordo_wait_idle(c, 10000), 0);
    ordo_event_t evs[4];
    ck_assert_int_eq(ordo_poll(c, evs, 4, 0), 1);
    ck_assert_uint_eq(evs[0].id, a);

    /* A sleeping task: wait times out and the event stays pending. */
    uint8_t us[8];
    uint64_t usec = 300000;
    for (int i = 0; i < 8; i++)
        us[i] = (uint8_t)(usec >> (8 * i));
    ordo_submit_t sl = {.kernel = "sleep", .params = us, .params_len = 8};
    ck_assert_int_eq(ordo_submit(c, &sl, &id), 0);
    ck_assert_int_eq(ordo_wait(c, id, 20, NULL), ORDO_ETIMEDOUT);
    ck_assert_int_eq(ordo_wait(c, id, 10000, NULL), 0);

    /* Another session waits on this session's id (a Watch), and on an id
     * that was never accepted. */
    ordo_client_t *o = e2e_connect(&D);
    ck_assert_int_eq(ordo_submit(c, &sl, &id), 0);
    ck_assert_int_eq(ordo_flush(c), 0);
    ck_assert_int_eq(ordo_sync(c, 10000), 0);
    ck_assert_int_eq(ordo_wait(o, id, 10000, &ev), 0);
    ck_assert_int_eq(ev.state, ORDO_TASK_DONE);
    uint64_t never = ORDO_TASK_ID(ordo_client_session(c), 1000000);
    ck_assert_int_eq(ordo_wait(o, never, 10000, &ev), ORDO_ENOENT);
    ck_assert_int_eq(ev.state, ORDO_TASK_UNKNOWN);
    ck_assert_int_eq(ordo_wait(c, id, 10000, NULL), 0);
    ordo_client_destroy(&o);
    ordo_client_destroy(&c);
    ck_assert_ptr_null(c);
    ordo_client_destroy(&c);                        /* harmless */
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Status counters match the work done; ordoctl prints them. */

static char *s_run(const char *cmd, int *status)
{
    FILE *f = popen(cmd, "r");
    ck_assert_msg(f != NULL, "popen %s", cmd);
    size_t cap = 1 << 16, n = 0;
    char *out = malloc(cap);
    size_t k;
    while ((k = fread(out + n, 1, cap - 1 - n, f)) > 0)
        n += k;
    out[n] = 0;
    *status = pclose(f);
    return out;
}

static double s_num(const char *json, const char *path)
{
    double v = -1;
    ck_assert_msg(e2e_json_number(json, path, &v), "no number at %s in:\n%s", path, json);
    return v;
}

START_TEST(test_status_counters_and_ordoctl)
{
    /* One Submit, so that every hazard meets an unfinished task: the edge
     * counts are then exact whatever the timing. */
    ordo_client_t *c = e2e_connect_batched(&D);
    uint64_t ba, bb, id;
    ck_assert_int_eq(ordo_buffer_create(c, 256 * sizeof(float), NULL, &ba), 0);
    ck_assert_int_eq(ordo_buffer_create(c, 256 * sizeof(float), "e2e-status", &bb), 0);
    ordo_tensor_t A = s_vec(ba, 256), B = s_vec(bb, 256), AT, A2;
    int64_t sh[2] = {16, 16};
    ordo_tensor_reshape(&A2, &A, 2, sh);
    ordo_tensor_transpose(&AT, &A2);
    float data[256], out[256];
    for (int i = 0; i < 256; i++)
        data[i] = (float)i;
    ck_assert_int_eq(ordo_write(c, &A, data, sizeof data, &id), 0);   /* 1 */
    ordo_tensor_t B2;
    ordo_tensor_reshape(&B2, &B, 2, sh);
    ck_assert_int_eq(ordo_copy(c, &B2, &AT, &id), 0);                /* 2: RAW on A */
    ck_assert_int_eq(ordo_fill(c, &A, 0.0, &id), 0);                 /* 3: WAR, WAW on A */
    ck_assert_int_eq(ordo_read(c, &B, out, sizeof out, &id), 0);     /* 4: RAW on B */
    ordo_submit_t f = {.kernel = "fail", .params = "boom", .params_len = 4};
    ck_assert_int_eq(ordo_submit(c, &f, &id), 0);                    /* 5: fails */
    ck_assert_int_eq(ordo_wait_idle(c, 10000), 0);
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 16; j++)
            ck_assert(out[i * 16 + j] == data[j * 16 + i]);

    const char *ordoctl = e2e_program("ORDOCTL", "client/ordoctl");
    char cmd[1024];
    int st;
    snprintf(cmd, sizeof cmd, "%s --status-endpoint '%s' --json --timeout 10 status", ordoctl,
             D.status);
    char *json = s_run(cmd, &st);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: status %d", cmd, st);
    ck_assert_msg(e2e_json_valid(json), "not JSON:\n%s", json);
    ck_assert_int_eq((int)s_num(json, "tasks.tasks_accepted"), 5);
    ck_assert_int_eq((int)s_num(json, "tasks.tasks_done"), 4);
    ck_assert_int_eq((int)s_num(json, "tasks.tasks_failed"), 1);
    ck_assert_int_eq((int)s_num(json, "tasks.tasks_cancelled"), 0);
    ck_assert_int_eq((int)s_num(json, "tasks.tasks_running"), 0);
    ck_assert_int_eq((int)s_num(json, "tasks.tasks_waiting"), 0);
    ck_assert_int_eq((int)s_num(json, "tasks.tasks_ready"), 0);
    ck_assert_int_eq((int)s_num(json, "sessions.sessions_active"), 1);
    ck_assert_int_ge((int)s_num(json, "sessions.sessions_total"), 1);
    ck_assert_int_eq((int)s_num(json, "buffers.buffers"), 2);
    ck_assert_int_eq((int)s_num(json, "buffers.buffer_bytes"), 2 * 256 * 4);
    ck_assert_int_ge((int)s_num(json, "edges.edges_raw"), 2);
    ck_assert_int_ge((int)s_num(json, "edges.edges_war"), 1);
    ck_assert_int_ge((int)s_num(json, "edges.edges_waw"), 1);
    ck_assert_int_eq((int)s_num(json, "edges.edges_explicit"), 0);
    ck_assert_int_ge((int)s_num(json, "analysis.overlap_tests"), 1);
    ck_assert_int_eq((int)s_num(json, "analysis.conservative_answers"), 0);
    ck_assert_int_eq((int)s_num(json, "server.workers"), 2);
    ck_assert_int_eq((int)s_num(json, "server.pid"), (int)D.pid);
    free(json);

    snprintf(cmd, sizeof cmd, "%s --status-endpoint '%s' status", ordoctl, D.status);
    char *text = s_run(cmd, &st);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: status %d", cmd, st);
    const char *want[] = {"# Server", "# Sessions", "# Buffers", "# Tasks", "# Edges",
                          "# Analysis", "tasks_accepted:5", "tasks_done:4", "tasks_failed:1",
                          "buffers:2", NULL};
    for (int i = 0; want[i]; i++)
        ck_assert_msg(strstr(text, want[i]) != NULL, "no '%s' in:\n%s", want[i], text);
    free(text);

    /* The session ends: sessions_active drops to 0. */
    ordo_client_destroy(&c);
    double active = 1;
    for (int i = 0; i < 100 && active != 0; i++) {
        json = e2e_status(&D, true);
        active = s_num(json, "sessions.sessions_active");
        free(json);
        if (active != 0)
            usleep(20000);
    }
    ck_assert_msg(active == 0, "sessions_active is %g after the client left", active);

    /* No daemon there: a clear error and exit status 1, in time. */
    snprintf(cmd, sizeof cmd, "%s --status-endpoint 'ipc://%s/nobody.sock' --timeout 0.3 "
             "status 2>&1", ordoctl, D.dir);
    text = s_run(cmd, &st);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 1, "exit status %d", st);
    ck_assert_msg(strstr(text, "no answer") != NULL, "message: %s", text);
    free(text);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Credits: past them submit blocks, or says EAGAIN when asked not to. */

START_TEST(test_credits)
{
    e2e_stop(&D);
    const char *args[] = {"--workers=2", "--credits=4", "--log-level=warn", NULL};
    e2e_start(&D, args);
    ordo_client_t *c = e2e_connect(&D);
    ck_assert_uint_eq(ordo_client_credits(c), 4);
    uint8_t us[8];
    uint64_t usec = 100000;
    for (int i = 0; i < 8; i++)
        us[i] = (uint8_t)(usec >> (8 * i));
    ordo_submit_t sl = {.kernel = "sleep", .params = us, .params_len = 8,
                        .flags = ORDO_SUBMIT_NONBLOCK};
    uint64_t id;
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(ordo_submit(c, &sl, &id), 0);
    ck_assert_int_eq(ordo_submit(c, &sl, &id), ORDO_EAGAIN);
    ck_assert_uint_eq(ordo_client_unfinished(c), 4);
    /* Blocking: returns once completions free a credit. */
    sl.flags = 0;
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(ordo_submit(c, &sl, &id), 0);
    ck_assert_uint_le(ordo_client_unfinished(c), 4);
    ck_assert_int_eq(ordo_wait_idle(c, 20000), 0);
    ordo_event_t ev[16];
    int n = 0, k;
    while ((k = ordo_poll(c, ev, 16, 0)) > 0)
        n += k;
    ck_assert_int_eq(n, 12);
    ordo_client_destroy(&c);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Connecting to nobody times out clearly; losing the daemon is an error. */

START_TEST(test_connect_timeout)
{
    char ep[400];
    snprintf(ep, sizeof ep, "ipc://%s/nobody.sock", D.dir);
    ordo_client_t *c = NULL;
    ordo_client_opts_t o = {.connect_timeout_ms = 300};
    ck_assert_int_eq(ordo_client_new(&c, ep, &o), ORDO_ETIMEDOUT);
    ck_assert_ptr_null(c);
    ck_assert_msg(strstr(ordo_last_error(), "nobody.sock") != NULL, "%s", ordo_last_error());
    ck_assert_int_eq(ordo_client_new(&c, "bogus://x", &o), ORDO_EINVAL);

    /* The default endpoint honours ORDO_ENDPOINT. */
    setenv("ORDO_ENDPOINT", D.endpoint, 1);
    ck_assert_int_eq(ordo_client_new(&c, NULL, NULL), 0);
    ck_assert_str_eq(ordo_client_endpoint(c), D.endpoint);
    unsetenv("ORDO_ENDPOINT");

    /* The daemon goes away: calls fail with ORDO_ESESSION, no hang. */
    uint64_t id;
    uint8_t us[8] = {0x40, 0x4b, 0x4c, 0, 0, 0, 0, 0};   /* 5 s */
    ordo_submit_t sl = {.kernel = "sleep", .params = us, .params_len = 8,
                        .flags = ORDO_SUBMIT_FLUSH};
    ck_assert_int_eq(ordo_submit(c, &sl, &id), 0);
    ck_assert_int_eq(ordo_sync(c, 10000), 0);
    e2e_kill(&D);
    ck_assert_int_eq(ordo_wait(c, id, 10000, NULL), ORDO_ESESSION);
    ck_assert_msg(strstr(ordo_last_error(), "lost the connection") != NULL, "%s",
                  ordo_last_error());
    ck_assert_int_eq(ordo_submit(c, &sl, &id), ORDO_ESESSION);
    /* An event loop learns it too: the descriptor is readable and
     * ordo_poll returns the error. */
    struct pollfd p = {.fd = ordo_client_fd(c), .events = POLLIN};
    ck_assert_int_eq(poll(&p, 1, 1000), 1);
    ordo_event_t ev;
    ck_assert_int_eq(ordo_poll(c, &ev, 1, 0), ORDO_ESESSION);
    ordo_client_destroy(&c);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* One client shared by several threads (the API is thread-safe). */

#define TH_N 4
#define TH_ROUNDS 300

typedef struct {
    ordo_client_t *c;
    uint64_t buffer;
    int index;
    int errors;
} s_thread_arg_t;

/* Each thread fills its own quarter of a shared buffer with a value per
 * round, reads it back and waits, while the others do the same. */
static void *s_thread_main(void *p)
{
    s_thread_arg_t *a = p;
    ordo_tensor_t all, mine;
    int64_t n[1] = {TH_N * 64};
    ordo_tensor_init(&all, a->buffer, ORDO_F32, 0, 1, n, NULL);
    ordo_tensor_slice(&mine, &all, 0, a->index * 64, a->index * 64 + 64, 1);
    for (int r = 0; r < TH_ROUNDS; r++) {
        float out[64];
        uint64_t id;
        double v = a->index * 1000 + r;
        if (ordo_fill(a->c, &mine, v, &id) < 0 ||
            ordo_read(a->c, &mine, out, sizeof out, &id) < 0 ||
            ordo_wait(a->c, id, 20000, NULL) < 0) {
            a->errors++;
            fprintf(stderr, "thread %d round %d: %s\n", a->index, r, ordo_last_error());
            break;
        }
        for (int i = 0; i < 64; i++)
            a->errors += out[i] != (float)v;
    }
    return NULL;
}

START_TEST(test_threads_share_a_client)
{
    ordo_client_t *c = e2e_connect(&D);
    uint64_t b;
    ck_assert_int_eq(ordo_buffer_create(c, TH_N * 64 * sizeof(float), NULL, &b), 0);
    pthread_t th[TH_N];
    s_thread_arg_t args[TH_N];
    for (int i = 0; i < TH_N; i++) {
        args[i] = (s_thread_arg_t){.c = c, .buffer = b, .index = i};
        ck_assert_int_eq(pthread_create(&th[i], NULL, s_thread_main, &args[i]), 0);
    }
    for (int i = 0; i < TH_N; i++) {
        pthread_join(th[i], NULL);
        ck_assert_msg(args[i].errors == 0, "thread %d: %d errors", i, args[i].errors);
    }
    ck_assert_int_eq(ordo_wait_idle(c, 10000), 0);
    /* The fills were not waited for: their events are still queued. */
    ordo_event_t ev[64];
    int k, n = 0;
    while ((k = ordo_poll(c, ev, 64, 0)) > 0)
        n += k;
    ck_assert_int_eq(n, TH_N * TH_ROUNDS);
    ordo_client_destroy(&c);
}
END_TEST

/* Threads that share a client and each wait for its own tasks, in
 * rounds: whichever thread receives (a waiter leading, a waiter that
 * drains after its send, the I/O thread), every waiter must get its event
 * promptly, every request its reply, and the events nobody waits for must
 * reach ordo_poll and the descriptor after the last wait has ended.  The
 * threads meet at a barrier after each round, so no later message can
 * hide a lost wake-up: it shows as a wait that times out, or as an event
 * missing at the end. */

#define LD_N 4
#define LD_ROUNDS 300

typedef struct {
    ordo_client_t *c;
    pthread_barrier_t *round;
    int index;
    int errors;
} s_leader_arg_t;

static void *s_leader_main(void *p)
{
    s_leader_arg_t *a = p;
    uint8_t us[8] = {0xd0, 0x07};   /* 2,000 us: a lead that outlasts a look */
    ordo_submit_t noop = {.kernel = "noop"};
    ordo_submit_t flushed = {.kernel = "noop", .flags = ORDO_SUBMIT_FLUSH};
    ordo_submit_t sl = {.kernel = "sleep", .params = us, .params_len = 8};
    for (int r = 0; r < LD_ROUNDS; r++) {
        uint64_t id, orphan;
        const ordo_submit_t *t = (r + a->index) % 50 == 7 ? &sl : r % 2 ? &flushed : &noop;
        int rc = ordo_submit(a->c, t, &id);
        if (rc == 0 && (r + a->index) % 10 == 3)
            rc = ordo_submit(a->c, &noop, &orphan);     /* nobody waits for it */
        if (rc == 0)
            rc = ordo_wait(a->c, id, 2000, NULL);
        if (rc == 0 && (r + a->index) % 25 == 11)
            rc = ordo_sync(a->c, 2000);
        if (rc < 0) {
            a->errors++;
            fprintf(stderr, "thread %d round %d: %s\n", a->index, r, ordo_last_error());
        }
        pthread_barrier_wait(a->round);
    }
    return NULL;
}

START_TEST(test_threads_lead_and_send)
{
    ordo_client_t *c = e2e_connect(&D);
    pthread_barrier_t round;
    pthread_barrier_init(&round, NULL, LD_N);
    pthread_t th[LD_N];
    s_leader_arg_t args[LD_N];
    for (int i = 0; i < LD_N; i++) {
        args[i] = (s_leader_arg_t){.c = c, .round = &round, .index = i};
        ck_assert_int_eq(pthread_create(&th[i], NULL, s_leader_main, &args[i]), 0);
    }
    int errors = 0;
    for (int i = 0; i < LD_N; i++) {
        pthread_join(th[i], NULL);
        errors += args[i].errors;
    }
    pthread_barrier_destroy(&round);
    ck_assert_msg(errors == 0, "%d waits failed", errors);
    /* The orphans' events come with nobody waiting for them, and so does
     * that of a task flushed after every lead has ended (an event loop
     * after ordo_wait): the I/O thread must take it. */
    uint8_t us[8] = {0x20, 0x4e};   /* 20,000 us */
    ordo_submit_t sl = {.kernel = "sleep", .params = us, .params_len = 8,
                        .flags = ORDO_SUBMIT_FLUSH};
    uint64_t id;
    ck_assert_int_eq(ordo_submit(c, &sl, &id), 0);
    enum { ORPHANS = LD_N * LD_ROUNDS / 10 + 1 };
    struct pollfd p = {.fd = ordo_client_fd(c), .events = POLLIN};
    ordo_event_t ev[64];
    int n = 0;
    while (n < ORPHANS) {
        ck_assert_msg(poll(&p, 1, 5000) == 1, "%d of %d events after 5 s", n, ORPHANS);
        int k = ordo_poll(c, ev, 64, 0);
        ck_assert_int_ge(k, 0);
        for (int i = 0; i < k; i++)
            ck_assert_int_eq(ev[i].state, ORDO_TASK_DONE);
        n += k;
    }
    ck_assert_int_eq(n, ORPHANS);
    ck_assert_int_eq(ordo_poll(c, ev, 64, 0), 0);
    ck_assert_uint_eq(ordo_client_unfinished(c), 0);
    ordo_client_destroy(&c);
}
END_TEST

/* ordoctl's own errors: usage and an unknown command. */
START_TEST(test_ordoctl_usage)
{
    const char *ordoctl = e2e_program("ORDOCTL", "client/ordoctl");
    char cmd[1024];
    int st;
    snprintf(cmd, sizeof cmd, "%s 2>&1", ordoctl);
    char *out = s_run(cmd, &st);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 2, "no command: status %d", st);
    ck_assert_msg(strstr(out, "usage") != NULL, "%s", out);
    free(out);
    snprintf(cmd, sizeof cmd, "%s --status-endpoint '%s' no-such-command 2>&1", ordoctl,
             D.status);
    out = s_run(cmd, &st);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 1, "unknown command: status %d", st);
    ck_assert_msg(strstr(out, "status") != NULL, "the daemon should list its commands: %s",
                  out);
    free(out);
    snprintf(cmd, sizeof cmd, "%s --timeout nope status 2>&1", ordoctl);
    out = s_run(cmd, &st);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 2, "bad timeout: status %d", st);
    free(out);
}
END_TEST

/* Messages stay under the daemon's limit: a host transfer too large for
 * one message is refused at once, with advice, and nothing is sent. */
START_TEST(test_message_limit)
{
    e2e_stop(&D);
    const char *args[] = {"--workers=2", "--max-message=65536", "--log-level=warn", NULL};
    e2e_start(&D, args);
    ordo_client_t *c = e2e_connect(&D);
    uint64_t b, id;
    ck_assert_int_eq(ordo_buffer_create(c, 1 << 20, NULL, &b), 0);
    ordo_tensor_t big, fits;
    ck_assert_int_eq(ordo_tensor_init(&big, b, ORDO_U8, 0, 1, (int64_t[]){1 << 17}, NULL), 0);
    ck_assert_int_eq(ordo_tensor_init(&fits, b, ORDO_U8, 0, 1, (int64_t[]){1 << 15}, NULL), 0);
    uint8_t *mem = calloc(1, 1 << 17);
    ck_assert_int_eq(ordo_write(c, &big, mem, 1 << 17, &id), ORDO_ELIMIT);
    ck_assert_msg(strstr(ordo_last_error(), "split") != NULL, "%s", ordo_last_error());
    ck_assert_int_eq(ordo_read(c, &big, mem, 1 << 17, &id), ORDO_ELIMIT);
    ck_assert_msg(strstr(ordo_last_error(), "slices") != NULL, "%s", ordo_last_error());
    ck_assert_uint_eq(ordo_client_unfinished(c), 0);
    /* Smaller ones go through, several batches of them. */
    for (int i = 0; i < 8; i++) {
        memset(mem, i, 1 << 15);
        ck_assert_int_eq(ordo_write(c, &fits, mem, 1 << 15, &id), 0);
    }
    ck_assert_int_eq(ordo_read(c, &fits, mem, 1 << 15, &id), 0);
    ck_assert_int_eq(ordo_wait(c, id, 10000, NULL), 0);
    ck_assert_int_eq(mem[0], 7);
    ck_assert_int_eq(mem[(1 << 15) - 1], 7);
    free(mem);
    ordo_client_destroy(&c);
}
END_TEST

/* SIGTERM: the daemon finishes what it accepted and tells the clients,
 * then exits 0; the client then gets a clear session error. */
START_TEST(test_sigterm_drains)
{
    ordo_client_t *c = e2e_connect(&D);
    uint8_t us[8];
    uint64_t usec = 300000, id;
    for (int i = 0; i < 8; i++)
        us[i] = (uint8_t)(usec >> (8 * i));
    ordo_submit_t sl = {.kernel = "sleep", .params = us, .params_len = 8};
    ck_assert_int_eq(ordo_submit(c, &sl, &id), 0);
    ck_assert_int_eq(ordo_sync(c, 10000), 0);
    kill(D.pid, SIGTERM);
    ordo_event_t ev;
    ck_assert_msg(ordo_wait(c, id, 10000, &ev) == 0, "%s", ordo_last_error());
    ck_assert_int_eq(ev.state, ORDO_TASK_DONE);
    /* Whatever comes next is refused clearly: shutting down, or gone. */
    int rc = 0;
    for (int i = 0; i < 100 && rc == 0; i++) {
        ordo_submit_t n = {.kernel = "noop"};
        rc = ordo_submit(c, &n, &id);
        if (rc == 0)
            rc = ordo_wait(c, id, 10000, &ev);
    }
    ck_assert_msg(rc == ORDO_ESESSION || rc == ORDO_EFAILED, "rc %d: %s", rc,
                  ordo_last_error());
    if (rc == ORDO_EFAILED)
        ck_assert_int_eq(ev.code, ORDO_ESHUTDOWN);
    ordo_client_destroy(&c);
    int status = e2e_stop(&D);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "exit status %d", status);
}
END_TEST

/* The same client over tcp, on a port the system picks. */
START_TEST(test_tcp_endpoint)
{
    e2e_stop(&D);
    const char *args[] = {"--workers=2", "--endpoint=tcp://127.0.0.1:*", "--log-level=info",
                          "--insecure-tcp=1", NULL};
    e2e_start(&D, args);
    ck_assert_msg(strncmp(D.endpoint, "tcp://127.0.0.1:", 16) == 0, "%s", D.endpoint);
    ck_assert(e2e_daemon_serves(&D));
    ordo_client_t *c = e2e_connect(&D);
    uint64_t b, id;
    ck_assert_int_eq(ordo_buffer_create(c, 4096, NULL, &b), 0);
    ordo_tensor_t v;
    ck_assert_int_eq(ordo_tensor_init(&v, b, ORDO_F32, 0, 1, (int64_t[]){1024}, NULL), 0);
    float in[1024], out[1024];
    for (int i = 0; i < 1024; i++)
        in[i] = (float)i;
    ck_assert_int_eq(ordo_write(c, &v, in, sizeof in, &id), 0);
    ck_assert_int_eq(ordo_scale(c, &v, -2.0, &id), 0);
    ck_assert_int_eq(ordo_read(c, &v, out, sizeof out, &id), 0);
    ck_assert_int_eq(ordo_wait(c, id, 10000, NULL), 0);
    for (int i = 0; i < 1024; i++)
        ck_assert(out[i] == -2.0f * (float)i);
    ordo_client_destroy(&c);
}
END_TEST

/* quiet_success: only failures produce events; waits still work. */
START_TEST(test_quiet_success)
{
    ordo_client_t *c = NULL;
    ordo_client_opts_t o = {.quiet_success = 1};
    ck_assert_int_eq(ordo_client_new(&c, D.endpoint, &o), 0);
    uint64_t b, first = 0, id, failed, cancelled, rd;
    ck_assert_int_eq(ordo_buffer_create(c, 64, NULL, &b), 0);
    ordo_tensor_t v;
    ck_assert_int_eq(ordo_tensor_init(&v, b, ORDO_F32, 0, 1, (int64_t[]){16}, NULL), 0);
    ordo_submit_t noop = {.kernel = "noop"};
    for (int i = 0; i < 1000; i++) {
        ck_assert_int_eq(ordo_submit(c, &noop, &id), 0);
        if (i == 0)
            first = id;
    }
    ordo_submit_t f = {.kernel = "fail", .params = "quiet", .params_len = 5};
    ck_assert_int_eq(ordo_submit(c, &f, &failed), 0);
    ordo_submit_t dep = {.kernel = "noop", .deps = &failed, .ndeps = 1};
    ck_assert_int_eq(ordo_submit(c, &dep, &cancelled), 0);
    float out[16];
    ck_assert_int_eq(ordo_fill(c, &v, 6.0, &id), 0);
    ck_assert_int_eq(ordo_read(c, &v, out, sizeof out, &rd), 0);
    ck_assert_int_eq(ordo_wait_idle(c, 10000), 0);

    ordo_event_t ev[8];
    ck_assert_int_eq(ordo_poll(c, ev, 8, 100), 2);
    ck_assert(ev[0].id == failed || ev[1].id == failed);
    ck_assert(ev[0].id == cancelled || ev[1].id == cancelled);
    ck_assert_int_eq(ordo_poll(c, ev, 8, 0), 0);
    /* Waits: done ones say done, the failure says so again and again. */
    ordo_event_t e;
    ck_assert_int_eq(ordo_wait(c, first, 0, &e), 0);
    ck_assert_int_eq(e.state, ORDO_TASK_DONE);
    ck_assert_int_eq(ordo_wait(c, rd, 0, NULL), 0);
    ck_assert(out[0] == 6.0f && out[15] == 6.0f);
    ck_assert_int_eq(ordo_wait(c, failed, 0, &e), ORDO_EFAILED);
    ck_assert_msg(strstr(e.error, "quiet") != NULL, "%s", e.error);
    ck_assert_int_eq(ordo_wait(c, failed, 0, NULL), ORDO_EFAILED);
    ck_assert_int_eq(ordo_wait(c, cancelled, 0, &e), ORDO_ECANCELED);
    ck_assert_uint_eq(e.cause, failed);
    ck_assert_int_eq(ordo_wait(c, rd + 1, 0, NULL), ORDO_EINVAL);
    ordo_client_destroy(&c);
}
END_TEST

/* Inline kernels (noop runs on the scheduler thread): a chain of 20,000
 * noops held behind a sleep becomes ready at once when the sleep ends; the
 * scheduler runs at most 4,096 inline per turn of its loop and must come
 * back at once for the rest (no descriptor wakes it: nothing arrives and
 * no worker finishes), so the chain ends within milliseconds, not after a
 * one-second poll timeout per 4,096.  Every task reports exactly once and
 * the bytes come out in order (fill, the chain, then scale). */
START_TEST(test_inline_chain_runs_without_waits)
{
    ordo_client_t *c = e2e_connect(&D);
    uint64_t b, id, rd;
    ck_assert_int_eq(ordo_buffer_create(c, 64, NULL, &b), 0);
    ordo_tensor_t v = s_vec(b, 16);
    ck_assert_int_eq(ordo_fill(c, &v, 3.0, &id), 0);
    uint8_t us[8];
    uint64_t usec = 200000;
    for (int i = 0; i < 8; i++)
        us[i] = (uint8_t)(usec >> (8 * i));
    ordo_access_t a[1] = {{&v, ORDO_INOUT}};
    ordo_submit_t sl = {.kernel = "sleep", .params = us, .params_len = 8, .args = a,
                        .nargs = 1};
    ck_assert_int_eq(ordo_submit(c, &sl, &id), 0);
    ordo_submit_t noop = {.kernel = "noop", .args = a, .nargs = 1};
    enum { CHAIN = 20000 };
    for (int i = 0; i < CHAIN; i++)
        ck_assert_int_eq(ordo_submit(c, &noop, &id), 0);
    ck_assert_int_eq(ordo_scale(c, &v, 2.0, &id), 0);
    float out[16];
    ck_assert_int_eq(ordo_read(c, &v, out, sizeof out, &rd), 0);
    ck_assert_int_eq(ordo_flush(c), 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(ordo_wait_idle(c, 30000), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    /* 0.2 s of sleep, then about 20 ms of noops; a lost wake-up costs 1 s
     * for each of the 4 later batches. */
    ck_assert_msg(s < 2.0, "the chain took %.2f s after its submission", s);
    ck_assert_int_eq(ordo_wait(c, rd, 0, NULL), 0);
    for (int i = 0; i < 16; i++)
        ck_assert(out[i] == 6.0f);
    ordo_event_t ev[256];
    int n = 0, k;
    while ((k = ordo_poll(c, ev, 256, 0)) > 0) {
        for (int i = 0; i < k; i++)
            ck_assert_int_eq(ev[i].state, ORDO_TASK_DONE);
        n += k;
    }
    ck_assert_int_eq(n, CHAIN + 3);     /* fill, sleep, the chain, scale; read was waited */
    ordo_client_destroy(&c);
}
END_TEST

static Suite *s_suite(void)
{
    Suite *s = suite_create("e2e");
    TCase *tc = tcase_create("service");
    tcase_add_unchecked_fixture(tc, e2e_tmp_setup, e2e_tmp_teardown);
    tcase_add_checked_fixture(tc, s_setup, s_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_shared_buffer_two_processes);
    tcase_add_test(tc, test_failure_cancels_dependents);
    tcase_add_test(tc, test_events_and_fd);
    tcase_add_test(tc, test_status_counters_and_ordoctl);
    tcase_add_test(tc, test_credits);
    tcase_add_test(tc, test_connect_timeout);
    tcase_add_test(tc, test_threads_share_a_client);
    tcase_add_test(tc, test_threads_lead_and_send);
    tcase_add_test(tc, test_ordoctl_usage);
    tcase_add_test(tc, test_message_limit);
    tcase_add_test(tc, test_sigterm_drains);
    tcase_add_test(tc, test_tcp_endpoint);
    tcase_add_test(tc, test_quiet_success);
    tcase_add_test(tc, test_inline_chain_runs_without_waits);
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
