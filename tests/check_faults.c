/*
 * check_faults.c - faults, end to end: a real ordod, real processes.
 *
 * Each test provokes one fault and checks that nothing is lost and nothing
 * leaks:
 *   - a client killed with SIGKILL while its tasks run and another
 *     session's tasks depend on them (test_client_killed);
 *   - a process that hands its session over to a new process, which
 *     resumes it within the grace period (test_resume_new_process), and a
 *     resume that comes too late or with a wrong token (test_resume_refused);
 *   - a client that reads no notifications for a long time
 *     (test_slow_reader);
 *   - a kernel that fails (test_kernel_fails; check_e2e's
 *     test_failure_cancels_dependents covers the cancellation graph);
 *   - ordod killed with SIGKILL and restarted on the same endpoint
 *     (test_daemon_restart);
 *   - SIGTERM with work in flight: check_e2e's test_sigterm_drains (and
 *     every teardown here, which checks that ordod exits 0 on SIGTERM).
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
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

static void s_start(const char *const *args)
{
    e2e_start(&D, args);
}

static void s_teardown(void)
{
    int status = e2e_stop(&D);
    ck_assert_msg(status == -1 || (WIFEXITED(status) && WEXITSTATUS(status) == 0),
                  "ordod did not exit 0 on SIGTERM (status %d)", status);
}

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

static void s_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static uint64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static ordo_tensor_t s_vec(uint64_t buffer, int64_t n)
{
    ordo_tensor_t t;
    int64_t shape[1] = {n};
    ordo_tensor_init(&t, buffer, ORDO_F32, 0, 1, shape, NULL);
    return t;
}

/* A status counter ("tasks.tasks_done"). */
static double s_counter(const char *path)
{
    char *text = e2e_status(&D, true);
    double v = -1;
    ck_assert_msg(e2e_json_number(text, path, &v), "no %s in %s", path, text);
    ordo_free(text);
    return v;
}

/* Waits up to ms for a counter to reach want; returns its last value. */
static double s_wait_counter(const char *path, double want, int ms)
{
    double v = s_counter(path);
    for (int waited = 0; v != want && waited < ms; waited += 50) {
        s_sleep_ms(50);
        v = s_counter(path);
    }
    return v;
}

/* Tasks the daemon holds in any unfinished state. */
static double s_live_tasks(void)
{
    return s_counter("tasks.tasks_waiting") + s_counter("tasks.tasks_ready") +
           s_counter("tasks.tasks_running") + s_counter("tasks.window_used");
}

static void s_write_all(int fd, const void *p, size_t n)
{
    ssize_t w = write(fd, p, n);
    if (w != (ssize_t)n)
        _exit(3);
}

static void s_read_all(int fd, void *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)p + got, n - got);
        ck_assert_msg(r > 0, "read from child: %s", r < 0 ? strerror(errno) : "EOF");
        got += (size_t)r;
    }
}

/* ---------------------------------------------------------------------- */
/* A client killed with SIGKILL while its tasks run, and another session's
 * tasks depend on them: those finish with the right result; the dead
 * session's private buffers and its memory go after the grace; every
 * counter returns to its baseline. */

#define K_N 4096                    /* floats in the shared buffer */
#define K_PRIVATE (8u << 20)        /* the victim's private bytes */

/* Forks a client process running fn(endpoint, fd) (it must not return)
 * and reads its n-byte report from the pipe fd into out. */
static pid_t s_child(void (*fn)(const char *endpoint, int to_parent), void *out, size_t n)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        fn(D.endpoint, fds[1]);
        _exit(1);
    }
    close(fds[1]);
    s_read_all(fds[0], out, n);
    close(fds[0]);
    return pid;
}

/* The victim: a private buffer, a slow chain that ends by writing 7 into
 * the shared buffer; hands the last id over, then waits to be killed. */
static void s_victim(const char *endpoint, int to_parent)
{
    ordo_client_t *c = NULL;
    ordo_client_opts_t o = {.connect_timeout_ms = 10000};
    CHILD_CHECK(ordo_client_new(&c, endpoint, &o) == 0, "connect");
    uint64_t shared, priv, id;
    CHILD_CHECK(ordo_buffer_open(c, "shared", &shared, NULL) == 0, "open");
    CHILD_CHECK(ordo_buffer_create(c, K_PRIVATE, NULL, &priv) == 0, "create");
    ordo_tensor_t p = s_vec(priv, K_N), s = s_vec(shared, K_N);
    CHILD_CHECK(ordo_fill(c, &p, 7.0, &id) == 0, "fill");
    uint8_t us[8];
    uint64_t usec = 600000;
    for (int i = 0; i < 8; i++)
        us[i] = (uint8_t)(usec >> (8 * i));
    ordo_access_t a[1] = {{&p, ORDO_INOUT}};
    ordo_submit_t sl = {.kernel = "sleep", .args = a, .nargs = 1, .params = us,
                        .params_len = 8};
    CHILD_CHECK(ordo_submit(c, &sl, &id) == 0, "sleep");
    CHILD_CHECK(ordo_copy(c, &s, &p, &id) == 0, "copy");
    CHILD_CHECK(ordo_sync(c, 10000) == 0, "sync");
    s_write_all(to_parent, &id, sizeof id);
    for (;;)
        pause();
}

START_TEST(test_client_killed)
{
    const char *args[] = {"--workers=2", "--log-level=warn", "--session-grace=1", NULL};
    s_start(args);
    double base_sessions = s_counter("sessions.sessions_active");
    double base_buffers = s_counter("buffers.buffers");
    double base_bytes = s_counter("buffers.buffer_bytes");
    ordo_client_t *c = e2e_connect(&D);
    uint64_t shared, out;
    ck_assert_int_eq(ordo_buffer_create(c, K_N * 4, "shared", &shared), 0);
    ck_assert_int_eq(ordo_buffer_create(c, K_N * 4, NULL, &out), 0);

    uint64_t last;
    pid_t pid = s_child(s_victim, &last, sizeof last);

    /* Our tasks: out = 2 * shared, after the victim's copy (explicitly,
     * and through the bytes); then the victim dies mid-sleep. */
    ordo_tensor_t s = s_vec(shared, K_N), o = s_vec(out, K_N);
    uint64_t id, rid;
    ordo_access_t a[2] = {{&o, ORDO_OUT}, {&s, ORDO_IN}};
    ordo_submit_t cp = {.kernel = "copy", .args = a, .nargs = 2, .deps = &last, .ndeps = 1};
    ck_assert_int_eq(ordo_submit(c, &cp, &id), 0);
    ck_assert_int_eq(ordo_scale(c, &o, 2.0, &id), 0);
    static float got[K_N];
    ck_assert_int_eq(ordo_read(c, &o, got, sizeof got, &rid), 0);
    ck_assert_int_eq(ordo_sync(c, 10000), 0);
    ck_assert_int_eq(s_counter("sessions.sessions_active"), base_sessions + 2);
    ck_assert_int_eq(s_counter("buffers.buffer_bytes"), base_bytes + 2 * K_N * 4 + K_PRIVATE);
    kill(pid, SIGKILL);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    ordo_event_t ev;
    ck_assert_msg(ordo_wait(c, rid, 20000, &ev) == 0, "%s", ordo_last_error());
    for (int i = 0; i < K_N; i++)
        ck_assert_msg(got[i] == 14.0f, "out[%d] = %g, want 14", i, (double)got[i]);

    /* The dead session goes after the grace (found gone by a probe within
     * about 2 s): its private buffer is freed. */
    ck_assert_int_eq(s_wait_counter("sessions.sessions_active", base_sessions + 1, 10000),
                     base_sessions + 1);
    ck_assert_int_eq(s_wait_counter("buffers.buffer_bytes", base_bytes + 2 * K_N * 4, 5000),
                     base_bytes + 2 * K_N * 4);
    ck_assert_int_eq(s_counter("buffers.buffers"), base_buffers + 2);
    ck_assert_int_eq(s_live_tasks(), 0);
    double acc = s_counter("tasks.tasks_accepted");
    ck_assert_int_eq(acc, s_counter("tasks.tasks_done") + s_counter("tasks.tasks_failed") +
                              s_counter("tasks.tasks_cancelled"));
    ck_assert_int_eq(acc, 3 + 3);       /* the victim's 3, our 3: none lost */

    /* Our session ends: back to the baseline. */
    ordo_client_destroy(&c);
    ck_assert_int_eq(s_wait_counter("sessions.sessions_active", base_sessions, 5000),
                     base_sessions);
    ck_assert_int_eq(s_wait_counter("buffers.buffers", base_buffers, 5000), base_buffers);
    ck_assert_int_eq(s_counter("buffers.buffer_bytes"), base_bytes);
    ck_assert_int_eq(s_live_tasks(), 0);
    ck_assert(e2e_daemon_serves(&D));
}
END_TEST

/* ---------------------------------------------------------------------- */
/* A session handed over from one process to another: the first detaches
 * (no Bye) with tasks running; a new process resumes the session within
 * the grace, gets every completion that was kept while nobody was
 * connected, asks for the one its predecessor received but never read,
 * and continues on the session's private buffer. */

#define R_N 1024

typedef struct {
    uint32_t session;
    uint8_t token[ORDO_TOKEN_BYTES];
    uint64_t buffer;
    uint64_t read_early;            /* completed before the hand-over */
    uint64_t late[3];               /* finish while nobody is connected */
} s_handover_t;

static void s_first(const char *endpoint, int to_parent)
{
    ordo_client_t *c = NULL;
    ordo_client_opts_t o = {.connect_timeout_ms = 10000};
    CHILD_CHECK(ordo_client_new(&c, endpoint, &o) == 0, "connect");
    s_handover_t h = {.session = ordo_client_session(c)};
    CHILD_CHECK(ordo_client_token(c, h.token) == 0, "token");
    CHILD_CHECK(ordo_buffer_create(c, R_N * 4, NULL, &h.buffer) == 0, "create");
    ordo_tensor_t v = s_vec(h.buffer, R_N);
    CHILD_CHECK(ordo_fill(c, &v, 3.0, &h.read_early) == 0, "fill");
    CHILD_CHECK(ordo_sync(c, 10000) == 0, "sync");
    /* Completed, its event received by this process and never consumed. */
    for (int i = 0; i < 1000 && ordo_client_unfinished(c) > 0; i++)
        s_sleep_ms(5);
    CHILD_CHECK(ordo_client_unfinished(c) == 0, "fill not done");
    uint8_t us[8];
    uint64_t usec = 700000;
    for (int i = 0; i < 8; i++)
        us[i] = (uint8_t)(usec >> (8 * i));
    ordo_access_t a[1] = {{&v, ORDO_INOUT}};
    ordo_submit_t sl = {.kernel = "sleep", .args = a, .nargs = 1, .params = us,
                        .params_len = 8};
    CHILD_CHECK(ordo_submit(c, &sl, &h.late[0]) == 0, "sleep");
    CHILD_CHECK(ordo_scale(c, &v, 2.0, &h.late[1]) == 0, "scale");
    ordo_submit_t f = {.kernel = "fail", .params = "late failure", .params_len = 12,
                       .deps = &h.late[1], .ndeps = 1};
    CHILD_CHECK(ordo_submit(c, &f, &h.late[2]) == 0, "fail");
    CHILD_CHECK(ordo_client_detach(&c) == 0, "detach");
    s_write_all(to_parent, &h, sizeof h);
    _exit(0);
}

/* The successor, a new process: resumes and checks everything. */
static void s_second(const char *endpoint, const s_handover_t *h)
{
    ordo_client_t *c = NULL;
    ordo_client_opts_t o = {.connect_timeout_ms = 10000};
    CHILD_CHECK(ordo_client_resume(&c, endpoint, &o, h->session, h->token) == 0, "resume");
    CHILD_CHECK(ordo_client_session(c) == h->session, "session");
    /* The kept completions arrive as events, each once. */
    int seen[3] = {0};
    ordo_event_t ev[8];
    uint64_t until = s_now_ms() + 5000;
    while ((seen[0] + seen[1] + seen[2]) < 3 && s_now_ms() < until) {
        int n = ordo_poll(c, ev, 8, 200);
        CHILD_CHECK(n >= 0, "poll");
        for (int i = 0; i < n; i++) {
            int k = -1;
            for (int j = 0; j < 3; j++)
                if (ev[i].id == h->late[j])
                    k = j;
            CHILD_CHECK(k >= 0, "unexpected event for %#llx", (unsigned long long)ev[i].id);
            seen[k]++;
            CHILD_CHECK(ev[i].state == (k == 2 ? ORDO_TASK_FAILED : ORDO_TASK_DONE),
                        "task %d state %d", k, ev[i].state);
            if (k == 2)
                CHILD_CHECK(strstr(ev[i].error, "late failure") != NULL, "%s", ev[i].error);
        }
    }
    CHILD_CHECK(seen[0] == 1 && seen[1] == 1 && seen[2] == 1, "seen %d %d %d", seen[0],
                seen[1], seen[2]);
    CHILD_CHECK(ordo_poll(c, ev, 8, 300) == 0, "a repeated event");
    /* Asked for again, an earlier id is answered again (the client cannot
     * tell it from one whose event went with the old process), once. */
    CHILD_CHECK(ordo_wait(c, h->late[1], 5000, &ev[0]) == 0, "late[1] again");
    CHILD_CHECK(ev[0].state == ORDO_TASK_DONE, "late[1] state %d", ev[0].state);
    CHILD_CHECK(ordo_poll(c, ev, 8, 300) == 0, "a repeated event");
    /* Its predecessor received this one and never read it: asked for. */
    CHILD_CHECK(ordo_wait(c, h->read_early, 5000, &ev[0]) == 0, "early");
    CHILD_CHECK(ev[0].state == ORDO_TASK_DONE, "early state %d", ev[0].state);
    CHILD_CHECK(ordo_poll(c, ev, 8, 300) == 0, "a repeated event");
    /* The session continues: the private buffer, the next ids. */
    ordo_tensor_t v = s_vec(h->buffer, R_N);
    float got[R_N];
    uint64_t id;
    CHILD_CHECK(ordo_scale(c, &v, 2.0, &id) == 0, "scale");
    CHILD_CHECK(ORDO_TASK_SEQ(id) == ORDO_TASK_SEQ(h->late[2]) + 1, "seq");
    CHILD_CHECK(ordo_read(c, &v, got, sizeof got, &id) == 0, "read");
    CHILD_CHECK(ordo_wait(c, id, 10000, NULL) == 0, "read wait");
    for (int i = 0; i < R_N; i++)
        CHILD_CHECK(got[i] == 12.0f, "got[%d] = %g", i, (double)got[i]);
    ordo_client_destroy(&c);
    _exit(0);
}

START_TEST(test_resume_new_process)
{
    const char *args[] = {"--workers=2", "--log-level=warn", "--session-grace=20", NULL};
    s_start(args);
    double base_bytes = s_counter("buffers.buffer_bytes");
    s_handover_t h;
    pid_t pid = s_child(s_first, &h, sizeof h);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "first: %d", status);
    /* Nobody connected while the late tasks finish. */
    s_sleep_ms(1200);
    ck_assert_int_eq(s_counter("tasks.tasks_done") + s_counter("tasks.tasks_failed"), 4);
    ck_assert_int_eq(s_counter("sessions.sessions_active"), 1);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        s_second(D.endpoint, &h);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "second: %d", status);
    /* The successor said Bye: the session and its buffer are gone. */
    ck_assert_int_eq(s_wait_counter("sessions.sessions_active", 0, 5000), 0);
    ck_assert_int_eq(s_wait_counter("buffers.buffer_bytes", base_bytes, 5000), base_bytes);
}
END_TEST

/* A resume with a wrong token, or after the grace: ORDO_ESESSION, clearly. */
START_TEST(test_resume_refused)
{
    const char *args[] = {"--workers=2", "--log-level=warn", "--session-grace=1", NULL};
    s_start(args);
    ordo_client_t *c = e2e_connect(&D), *r = NULL;
    uint32_t session = ordo_client_session(c);
    uint8_t token[ORDO_TOKEN_BYTES], bad[ORDO_TOKEN_BYTES];
    ck_assert_int_eq(ordo_client_token(c, token), 0);
    memcpy(bad, token, sizeof bad);
    bad[5] ^= 1;
    ordo_client_opts_t o = {.connect_timeout_ms = 5000};
    ck_assert_int_eq(ordo_client_resume(&r, D.endpoint, &o, session, bad), ORDO_ESESSION);
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(ordo_last_error(), "cannot resume") != NULL, "%s", ordo_last_error());
    ck_assert_int_eq(ordo_client_resume(&r, D.endpoint, &o, 0, token), ORDO_EINVAL);
    ck_assert_int_eq(ordo_client_detach(&c), 0);
    ck_assert_ptr_null(c);
    /* Found gone within about 2 s, ended 1 s later. */
    ck_assert_int_eq(s_wait_counter("sessions.sessions_active", 0, 10000), 0);
    ck_assert_int_eq(ordo_client_resume(&r, D.endpoint, &o, session, token), ORDO_ESESSION);
    ck_assert_ptr_null(r);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* A client that reads no notifications for a long time loses none: the
 * credits bound what the daemon holds for it meanwhile. */

#define SR_CREDITS 64
#define SR_TASKS 5000

START_TEST(test_slow_reader)
{
    const char *args[] = {"--workers=2", "--log-level=warn", "--credits=64", NULL};
    s_start(args);
    ordo_client_t *c = e2e_connect(&D);
    ck_assert_uint_eq(ordo_client_credits(c), SR_CREDITS);
    uint64_t b;
    ck_assert_int_eq(ordo_buffer_create(c, 4096, NULL, &b), 0);
    ordo_tensor_t v = s_vec(b, 1024);
    static uint64_t ids[SR_TASKS];
    uint64_t first = 0;
    /* Far more than the credits; the daemon never holds more than them. */
    double peak = 0;
    for (int i = 0; i < SR_TASKS; i++) {
        ordo_submit_t t = {.kernel = "noop"};
        if (i % 3 == 0)
            ck_assert_int_eq(ordo_scale(c, &v, 1.0, &ids[i]), 0);
        else
            ck_assert_int_eq(ordo_submit(c, &t, &ids[i]), 0);
        if (!first)
            first = ids[i];
        if (i % 1000 == 999) {
            double live = s_counter("tasks.window_used");
            peak = live > peak ? live : peak;
            ck_assert_msg(ordo_client_unfinished(c) <= SR_CREDITS, "%llu unfinished",
                          (unsigned long long)ordo_client_unfinished(c));
        }
    }
    ck_assert_msg(peak <= SR_CREDITS, "daemon held %g tasks for one session", peak);
    /* Read nothing for a while. */
    s_sleep_ms(1500);
    ck_assert_int_eq(s_live_tasks(), 0);
    ck_assert_int_eq(s_counter("tasks.tasks_done"), SR_TASKS);
    /* Then every id comes, exactly once. */
    static unsigned char seen[SR_TASKS];
    static ordo_event_t ev[512];
    int total = 0;
    for (;;) {
        int n = ordo_poll(c, ev, 512, 0);
        ck_assert_int_ge(n, 0);
        if (n == 0)
            break;
        for (int i = 0; i < n; i++) {
            uint64_t k = ORDO_TASK_SEQ(ev[i].id) - ORDO_TASK_SEQ(first);
            ck_assert_msg(k < SR_TASKS, "id %#llx", (unsigned long long)ev[i].id);
            ck_assert_int_eq(ids[k], ev[i].id);
            ck_assert_int_eq(ev[i].state, ORDO_TASK_DONE);
            ck_assert_msg(!seen[k], "id %#llx twice", (unsigned long long)ev[i].id);
            seen[k] = 1;
            total++;
        }
    }
    ck_assert_int_eq(total, SR_TASKS);
    ordo_client_destroy(&c);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* A kernel that fails: its task fails with the kernel's text, what depends
 * on it is cancelled, everything else runs, and the daemon serves on. */

START_TEST(test_kernel_fails)
{
    const char *args[] = {"--workers=2", "--log-level=warn", NULL};
    s_start(args);
    ordo_client_t *c = e2e_connect(&D);
    uint64_t b, fid, dep, other, rid;
    ck_assert_int_eq(ordo_buffer_create(c, 8192, NULL, &b), 0);
    ordo_tensor_t lo = s_vec(b, 1024), hi = s_vec(b, 1024);
    hi.offset = 1024;
    ordo_access_t fa[1] = {{&lo, ORDO_OUT}};
    ordo_submit_t f = {.kernel = "fail", .args = fa, .nargs = 1, .params = "disk on fire",
                       .params_len = 12};
    ck_assert_int_eq(ordo_submit(c, &f, &fid), 0);
    ck_assert_int_eq(ordo_scale(c, &lo, 2.0, &dep), 0);      /* after it: cancelled */
    ck_assert_int_eq(ordo_fill(c, &hi, 5.0, &other), 0);    /* other bytes: runs */
    float got[1024];
    ck_assert_int_eq(ordo_read(c, &hi, got, sizeof got, &rid), 0);
    ordo_event_t ev;
    ck_assert_int_eq(ordo_wait(c, fid, 10000, &ev), ORDO_EFAILED);
    ck_assert_int_eq(ev.state, ORDO_TASK_FAILED);
    ck_assert_msg(strstr(ev.error, "disk on fire") != NULL, "%s", ev.error);
    ck_assert_int_eq(ordo_wait(c, dep, 10000, &ev), ORDO_ECANCELED);
    ck_assert_uint_eq(ev.cause, fid);
    ck_assert_int_eq(ordo_wait(c, other, 10000, NULL), 0);
    ck_assert_int_eq(ordo_wait(c, rid, 10000, NULL), 0);
    for (int i = 0; i < 1024; i++)
        ck_assert(got[i] == 5.0f);
    ck_assert_int_eq(s_counter("tasks.tasks_failed"), 1);
    ck_assert_int_eq(s_counter("tasks.tasks_cancelled"), 1);
    ordo_client_destroy(&c);
    ck_assert(e2e_daemon_serves(&D));
}
END_TEST

/* ---------------------------------------------------------------------- */
/* ordod killed with SIGKILL and restarted on the same endpoint: every
 * client gets ORDO_ESESSION with a reason, soon, whatever it was doing;
 * none hangs, none gets a result from the new daemon. */

START_TEST(test_daemon_restart)
{
    const char *args[] = {"--workers=2", "--log-level=warn", NULL};
    s_start(args);
    ordo_client_t *waiting = e2e_connect(&D), *idle = e2e_connect(&D);
    ordo_client_t *busy = e2e_connect(&D);
    uint32_t session = ordo_client_session(idle);
    uint8_t token[ORDO_TOKEN_BYTES];
    ck_assert_int_eq(ordo_client_token(idle, token), 0);
    uint64_t b, sid, id;
    ck_assert_int_eq(ordo_buffer_create(busy, 4096, NULL, &b), 0);
    uint8_t us[8];
    uint64_t usec = 5000000;
    for (int i = 0; i < 8; i++)
        us[i] = (uint8_t)(usec >> (8 * i));
    ordo_submit_t sl = {.kernel = "sleep", .params = us, .params_len = 8};
    ck_assert_int_eq(ordo_submit(waiting, &sl, &sid), 0);
    ck_assert_int_eq(ordo_sync(waiting, 10000), 0);

    e2e_kill(&D);
    /* busy submits while nobody serves the endpoint. */
    ordo_tensor_t v = s_vec(b, 1024);
    int rc = ordo_fill(busy, &v, 1.0, &id);
    e2e_restart(&D, args);

    uint64_t t0 = s_now_ms();
    ordo_event_t ev;
    ck_assert_int_eq(ordo_wait(waiting, sid, 20000, &ev), ORDO_ESESSION);
    ck_assert_msg(strstr(ordo_last_error(), "ordod") != NULL, "%s", ordo_last_error());
    ck_assert_msg(s_now_ms() - t0 < 5000, "took %llu ms",
                  (unsigned long long)(s_now_ms() - t0));
    /* The idle client learns it at its next call. */
    ck_assert_int_eq(ordo_submit(idle, &sl, &id), ORDO_ESESSION);
    ck_assert_int_eq(ordo_sync(idle, 5000), ORDO_ESESSION);
    /* The busy one: its task never reaches the new daemon as its own. */
    if (rc == 0)
        rc = ordo_wait(busy, id, 20000, &ev);
    ck_assert_msg(rc == ORDO_ESESSION, "busy: %d %s", rc, ordo_last_error());
    ck_assert_int_eq(ordo_buffer_create(busy, 64, NULL, &b), ORDO_ESESSION);
    /* The new daemon knows nothing of the old sessions. */
    ordo_client_t *r = NULL;
    ordo_client_opts_t o = {.connect_timeout_ms = 5000};
    ck_assert_int_eq(ordo_client_resume(&r, D.endpoint, &o, session, token), ORDO_ESESSION);
    ck_assert_int_eq(s_counter("tasks.tasks_accepted"), 0);
    ck_assert_int_eq(s_counter("sessions.sessions_total"), 0);
    ordo_client_destroy(&waiting);
    ordo_client_destroy(&idle);
    ordo_client_destroy(&busy);
    ck_assert(e2e_daemon_serves(&D));
}
END_TEST

static Suite *s_suite(void)
{
    Suite *s = suite_create("faults");
    TCase *tc = tcase_create("faults");
    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, e2e_tmp_setup, e2e_tmp_teardown);
    tcase_add_checked_fixture(tc, NULL, s_teardown);
    tcase_add_test(tc, test_client_killed);
    tcase_add_test(tc, test_resume_new_process);
    tcase_add_test(tc, test_resume_refused);
    tcase_add_test(tc, test_slow_reader);
    tcase_add_test(tc, test_kernel_fails);
    tcase_add_test(tc, test_daemon_restart);
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
