/*
 * soak.c - load: 8 client processes against one chaotic ordod for a
 * bounded time, with nothing lost and the daemon's memory flat.
 *
 * Each client process (fork) runs random programs until the time is up,
 * four in flight at a time.  A program is three private f32 buffers and
 * the process's own slice of one named buffer that all eight share, with
 * random initial contents, then 16 to 40 fill, copy, axpy and scale tasks
 * on random strided views (transposed, stepped, reversed, broadcast,
 * scalars), overlapping each other in every way and with no explicit
 * dependency, then a read of every buffer.  The slices of the shared
 * buffer interleave (process k owns elements k, k + 8, k + 16, ...), so
 * the eight processes' views overlap as byte ranges without sharing a
 * byte.  One program in four adds a kernel that fails and two tasks that
 * depend on it (one through the bytes, one explicitly), which must be
 * cancelled.  Every buffer read back must be bit-identical to the same
 * program run sequentially on the host (contrib/examples/hostref.h).
 *
 * Accounting: each process counts its tasks and their events (done,
 * failed, cancelled; exactly one event per task).  At the end the daemon's
 * counters must equal the sums: accepted = done + failed + cancelled, no
 * task left in the graph, no buffer but the shared one.
 *
 * Memory: the parent samples ordod's resident size (/proc/PID/status) and
 * its own accounting (buffers, bytes, tasks in the window) every second.
 * The largest resident size of the last quarter of the run must stay
 * within 25% (and 8 MiB) of the largest of the second quarter (the first
 * is warm-up: pools and the trace ring fill).  The daemon runs with
 * --max-tombstones=8192, so the ids of failed and cancelled tasks it keeps
 * are bounded too.  Under AddressSanitizer the resident size measures its
 * quarantine, so only the accounting is checked.
 *
 * $SOAK_SECONDS sets the time (default 15, what make check runs);
 * `make check-soak SOAK_SECONDS=300` is the long run.  The figures go to
 * stderr.  $SOAK_DAEMON_ARG adds one option to ordod's command line.
 */
#include "config.h"

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
#include "hostref.h"
#include "ordo.h"

#if defined(__SANITIZE_ADDRESS__)
#define S_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define S_ASAN 1
#endif
#endif
#ifndef S_ASAN
#define S_ASAN 0
#endif

#define NPROC 8
#define NBUF 4                  /* three private, then the shared slice */
#define SHARED 3
#define SLICE 96                /* elements of a process's slice */
#define MAXOPS 40
#define INFLIGHT 4
#define MAXSAMPLES 4096

static e2e_daemon_t D;

typedef struct {
    uint64_t programs, tasks, done, failed, cancelled, events, mismatches, bad_events;
} s_tally_t;

static uint64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A view of the slice (elements slot, slot + NPROC, ...) of the shared
 * buffer, from a view t of a SLICE-element array. */
static void s_to_slice(ordo_tensor_t *t, int slot)
{
    t->offset = slot + NPROC * t->offset;
    for (int k = 0; k < t->ndim; k++)
        t->strides[k] *= NPROC;
}

typedef struct {
    char kind;                  /* f(ill) c(opy) a(xpy) s(cale) */
    int dbuf, sbuf;
    ordo_tensor_t dst, src;
    double v;
} s_op_t;

typedef struct {
    int64_t size[NBUF];         /* elements (the shared one: all slices) */
    float *init[NBUF];
    int nops;
    s_op_t ops[MAXOPS];
    bool with_failure;
    uint64_t buf[NBUF];
    ordo_tensor_t whole[NBUF];  /* what is written and read back */
    float *out[NBUF];
    uint64_t fbuf;
    int ntasks;
} s_prog_t;

static void s_generate(s_prog_t *p, uint64_t *rng, int slot)
{
    memset(p, 0, sizeof *p);
    for (int b = 0; b < NBUF; b++) {
        p->size[b] = b == SHARED ? SLICE * NPROC : 48 + e2e_below(rng, 160);
        p->init[b] = calloc((size_t)p->size[b], sizeof(float));
        for (int64_t i = 0; i < p->size[b]; i++)
            p->init[b][i] = (float)(e2e_below(rng, 64) - 32) * 0.125f;
        int64_t n = b == SHARED ? SLICE : p->size[b];
        ordo_tensor_init(&p->whole[b], 0, ORDO_F32, 0, 1, &n, NULL);
        if (b == SHARED)
            s_to_slice(&p->whole[b], slot);
    }
    static const double alphas[] = {0.5, -0.75, 1.5, -1.0, 0.25, 2.0, 0.1};
    int want = 16 + e2e_below(rng, MAXOPS - 16);
    for (int tries = 0; p->nops < want && tries < 20 * MAXOPS; tries++) {
        s_op_t *op = &p->ops[p->nops];
        int r = e2e_below(rng, 20);
        op->kind = r < 3 ? 'f' : r < 9 ? 'c' : r < 16 ? 'a' : 's';
        int ndim = e2e_below(rng, 10) == 0 ? 0 : 1 + e2e_below(rng, 3);
        int64_t shape[3];
        for (int k = 0; k < ndim; k++)
            shape[k] = 1 + e2e_below(rng, ndim == 1 ? 40 : ndim == 2 ? 8 : 5);
        op->dbuf = e2e_below(rng, NBUF);
        int64_t dn = op->dbuf == SHARED ? SLICE : p->size[op->dbuf];
        if (!e2e_random_view(rng, dn, ndim, shape, false, &op->dst))
            continue;
        if (op->dbuf == SHARED)
            s_to_slice(&op->dst, slot);
        op->v = op->kind == 'f' ? (double)(e2e_below(rng, 33) - 16) * 0.25
                                : alphas[e2e_below(rng, 7)];
        if (op->kind == 'c' || op->kind == 'a') {
            op->sbuf = e2e_below(rng, NBUF);
            int64_t sn = op->sbuf == SHARED ? SLICE : p->size[op->sbuf];
            if (!e2e_random_view(rng, sn, ndim, shape, true, &op->src))
                continue;
            if (op->sbuf == SHARED)
                s_to_slice(&op->src, slot);
        }
        p->nops++;
    }
    p->with_failure = e2e_below(rng, 4) == 0;
}

/* The program on the host, in order. */
static void s_reference(const s_prog_t *p, float *ref[NBUF])
{
    static int64_t scratch[1024];
    for (int b = 0; b < NBUF; b++)
        memcpy(ref[b], p->init[b], (size_t)p->size[b] * sizeof(float));
    for (int i = 0; i < p->nops; i++) {
        const s_op_t *op = &p->ops[i];
        float *d = ref[op->dbuf], *s = ref[op->sbuf];
        switch (op->kind) {
        case 'f': href_fill(d, &op->dst, op->v); break;
        case 's': href_scale(d, &op->dst, op->v); break;
        case 'c': href_copy(d, &op->dst, s, &op->src, scratch); break;
        default: href_axpy(d, &op->dst, op->v, s, &op->src, scratch); break;
        }
    }
}

#define CHILD_CHECK(cond, ...)                                                   \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "soak child %ld, line %d: ", (long)getpid(), __LINE__); \
            fprintf(stderr, __VA_ARGS__);                                        \
            fprintf(stderr, " [%s]\n", ordo_last_error());                       \
            _exit(1);                                                            \
        }                                                                        \
    } while (0)

static void s_submit(ordo_client_t *c, s_prog_t *p, uint64_t shared, s_tally_t *t)
{
    uint64_t id;
    for (int b = 0; b < NBUF; b++) {
        if (b == SHARED)
            p->buf[b] = shared;
        else
            CHILD_CHECK(ordo_buffer_create(c, (uint64_t)p->size[b] * 4, NULL, &p->buf[b]) == 0,
                        "create");
        ordo_tensor_t w = p->whole[b];
        w.buffer = p->buf[b];
        /* The slice's initial values: the strided elements of init. */
        float vals[208];
        int64_t n = (int64_t)ordo_tensor_elements(&w);
        for (int64_t i = 0; i < n; i++)
            vals[i] = p->init[b][w.offset + i * (w.ndim ? w.strides[0] : 0)];
        CHILD_CHECK(ordo_write(c, &w, vals, (size_t)n * 4, &id) == 0, "write");
        p->ntasks++;
    }
    for (int i = 0; i < p->nops; i++) {
        s_op_t op = p->ops[i];
        op.dst.buffer = p->buf[op.dbuf];
        op.src.buffer = p->buf[op.sbuf];
        int rc;
        switch (op.kind) {
        case 'f': rc = ordo_fill(c, &op.dst, op.v, &id); break;
        case 's': rc = ordo_scale(c, &op.dst, op.v, &id); break;
        case 'c': rc = ordo_copy(c, &op.dst, &op.src, &id); break;
        default: rc = ordo_axpy(c, &op.dst, op.v, &op.src, &id); break;
        }
        CHILD_CHECK(rc == 0, "submit %c", op.kind);
        p->ntasks++;
    }
    if (p->with_failure) {
        /* fail, then a scale of its bytes and a noop that names it:
         * one failed, two cancelled. */
        CHILD_CHECK(ordo_buffer_create(c, 64, NULL, &p->fbuf) == 0, "create");
        ordo_tensor_t f;
        int64_t n = 16;
        ordo_tensor_init(&f, p->fbuf, ORDO_F32, 0, 1, &n, NULL);
        ordo_access_t a[1] = {{&f, ORDO_INOUT}};
        uint64_t fid;
        ordo_submit_t fs = {.kernel = "fail", .args = a, .nargs = 1, .params = "soak",
                            .params_len = 4};
        CHILD_CHECK(ordo_submit(c, &fs, &fid) == 0, "fail");
        CHILD_CHECK(ordo_scale(c, &f, 2.0, &id) == 0, "scale");
        ordo_submit_t nd = {.kernel = "noop", .deps = &fid, .ndeps = 1};
        CHILD_CHECK(ordo_submit(c, &nd, &id) == 0, "noop");
        p->ntasks += 3;
    }
    for (int b = 0; b < NBUF; b++) {
        ordo_tensor_t w = p->whole[b];
        w.buffer = p->buf[b];
        size_t n = ordo_tensor_elements(&w);
        p->out[b] = malloc(n * 4);
        CHILD_CHECK(ordo_read(c, &w, p->out[b], n * 4, &id) == 0, "read");
        p->ntasks++;
    }
    t->tasks += (uint64_t)p->ntasks;
}

/* Compares a finished program with its reference, releases its buffers. */
static void s_check(ordo_client_t *c, s_prog_t *p, s_tally_t *t)
{
    float *ref[NBUF];
    for (int b = 0; b < NBUF; b++)
        ref[b] = malloc((size_t)p->size[b] * sizeof(float));
    s_reference(p, ref);
    for (int b = 0; b < NBUF; b++) {
        const ordo_tensor_t *w = &p->whole[b];
        int64_t n = (int64_t)ordo_tensor_elements(w);
        for (int64_t i = 0; i < n; i++) {
            int64_t off = w->offset + i * (w->ndim ? w->strides[0] : 0);
            if (memcmp(&ref[b][off], &p->out[b][i], 4) != 0) {
                if (t->mismatches < 5)
                    fprintf(stderr, "soak: mismatch in buffer %d element %lld: ordod %a, "
                            "sequential %a\n", b, (long long)off, (double)p->out[b][i],
                            (double)ref[b][off]);
                t->mismatches++;
            }
        }
        free(ref[b]);
        free(p->out[b]);
        free(p->init[b]);
        if (b != SHARED)
            CHILD_CHECK(ordo_buffer_release(c, p->buf[b]) == 0, "release");
    }
    if (p->with_failure)
        CHILD_CHECK(ordo_buffer_release(c, p->fbuf) == 0, "release");
    t->programs++;
}

static void s_child(int slot, uint64_t deadline_ms, int to_parent)
{
    ordo_client_t *c = NULL;
    ordo_client_opts_t o = {.connect_timeout_ms = 10000};
    CHILD_CHECK(ordo_client_new(&c, D.endpoint, &o) == 0, "connect");
    uint64_t shared;
    CHILD_CHECK(ordo_buffer_open(c, "soak", &shared, NULL) == 0, "open");
    uint64_t rng = UINT64_C(0x5eed) * (uint64_t)(slot + 1) + (uint64_t)getpid();
    s_tally_t t = {0};
    static s_prog_t progs[INFLIGHT];
    static ordo_event_t ev[256];
    while (s_now_ms() < deadline_ms) {
        for (int i = 0; i < INFLIGHT; i++) {
            s_generate(&progs[i], &rng, slot);
            s_submit(c, &progs[i], shared, &t);
        }
        CHILD_CHECK(ordo_wait_idle(c, 120000) == 0, "wait_idle");
        int n;
        while ((n = ordo_poll(c, ev, 256, 0)) > 0) {
            for (int i = 0; i < n; i++) {
                t.events++;
                if (ev[i].state == ORDO_TASK_DONE)
                    t.done++;
                else if (ev[i].state == ORDO_TASK_FAILED && strstr(ev[i].error, "soak"))
                    t.failed++;
                else if (ev[i].state == ORDO_TASK_CANCELLED)
                    t.cancelled++;
                else
                    t.bad_events++;
            }
        }
        CHILD_CHECK(n == 0, "poll");
        for (int i = 0; i < INFLIGHT; i++)
            s_check(c, &progs[i], &t);
    }
    ordo_client_destroy(&c);
    ssize_t w = write(to_parent, &t, sizeof t);
    _exit(w == (ssize_t)sizeof t ? 0 : 2);
}

/* ordod's resident set in KiB (VmRSS), 0 when unknown. */
static long s_rss_kib(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
    FILE *f = fopen(path, "r");
    long kib = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib;
}

static double s_num(const char *json, const char *path)
{
    double v = -1;
    ck_assert_msg(e2e_json_number(json, path, &v), "no %s", path);
    return v;
}

typedef struct {
    uint64_t t_ms;
    long rss_kib;
    double window, buffers, bytes, accepted;
} s_sample_t;

START_TEST(test_soak)
{
    const char *env = getenv("SOAK_SECONDS");
    int seconds = env && atoi(env) > 0 ? atoi(env) : 15;
    char chaos[32];
    snprintf(chaos, sizeof chaos, "--chaos=%ld", (long)(time(NULL) % 100000) + 1);
    /* $SOAK_DAEMON_ARG: one more option for ordod (--unsafe-drop-war=1 in
     * an unsafe build shows that the check catches a missing edge). */
    const char *extra = getenv("SOAK_DAEMON_ARG");
    /* The ids of failed and cancelled tasks are kept up to --max-tombstones:
     * a small bound here, so that the daemon's memory must stay flat
     * however many tasks fail (the soak names no old id as a dependency). */
    const char *args[] = {"--workers=3", chaos, "--log-level=warn", "--max-tombstones=8192",
                          extra && extra[0] ? extra : NULL, NULL};
    e2e_start(&D, args);
    ordo_client_t *c = e2e_connect(&D);
    uint64_t shared;
    ck_assert_int_eq(ordo_buffer_create(c, SLICE * NPROC * 4, "soak", &shared), 0);

    int fds[NPROC][2];
    pid_t pids[NPROC];
    uint64_t start = s_now_ms(), deadline = start + (uint64_t)seconds * 1000u;
    for (int k = 0; k < NPROC; k++) {
        ck_assert_int_eq(pipe(fds[k]), 0);
        pids[k] = fork();
        ck_assert_int_ge(pids[k], 0);
        if (pids[k] == 0) {
            close(fds[k][0]);
            s_child(k, deadline, fds[k][1]);
        }
        close(fds[k][1]);
    }

    static s_sample_t samples[MAXSAMPLES];
    int ns = 0;
    while (s_now_ms() < deadline && ns < MAXSAMPLES) {
        char *json = e2e_status(&D, true);
        s_sample_t *s = &samples[ns++];
        s->t_ms = s_now_ms() - start;
        s->rss_kib = s_rss_kib(D.pid);
        s->window = s_num(json, "tasks.window_used");
        s->buffers = s_num(json, "buffers.buffers");
        s->bytes = s_num(json, "buffers.buffer_bytes");
        s->accepted = s_num(json, "tasks.tasks_accepted");
        ordo_free(json);
        struct timespec ts = {1, 0};
        nanosleep(&ts, NULL);
    }

    s_tally_t sum = {0};
    for (int k = 0; k < NPROC; k++) {
        s_tally_t t;
        ssize_t r = read(fds[k][0], &t, sizeof t);
        close(fds[k][0]);
        int status;
        ck_assert_int_eq(waitpid(pids[k], &status, 0), pids[k]);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0 && r == (ssize_t)sizeof t,
                      "client process %d failed (status %d)", k, status);
        fprintf(stderr, "soak: process %d: %llu programs, %llu tasks: %llu done, %llu failed, "
                "%llu cancelled; %llu mismatches\n", k, (unsigned long long)t.programs,
                (unsigned long long)t.tasks, (unsigned long long)t.done,
                (unsigned long long)t.failed, (unsigned long long)t.cancelled,
                (unsigned long long)t.mismatches);
        ck_assert_msg(t.events == t.tasks, "process %d: %llu events for %llu tasks", k,
                      (unsigned long long)t.events, (unsigned long long)t.tasks);
        ck_assert_int_eq(t.bad_events, 0);
        ck_assert_int_eq(t.mismatches, 0);
        ck_assert_int_eq(t.failed * 2, t.cancelled);
        sum.programs += t.programs;
        sum.tasks += t.tasks;
        sum.done += t.done;
        sum.failed += t.failed;
        sum.cancelled += t.cancelled;
    }

    /* Every task accounted for, by the daemon and by the clients alike. */
    char *json = e2e_status(&D, true);
    double acc = s_num(json, "tasks.tasks_accepted"), done = s_num(json, "tasks.tasks_done");
    double failed = s_num(json, "tasks.tasks_failed");
    double cancelled = s_num(json, "tasks.tasks_cancelled");
    fprintf(stderr, "soak: %d s, %d processes, %llu programs, %llu tasks (%.0f/s): daemon "
            "accepted %.0f = done %.0f + failed %.0f + cancelled %.0f; window %.0f, "
            "buffers %.0f\n", seconds, NPROC, (unsigned long long)sum.programs,
            (unsigned long long)sum.tasks, (double)sum.tasks / seconds, acc, done, failed,
            cancelled, s_num(json, "tasks.window_used"), s_num(json, "buffers.buffers"));
    ck_assert_int_eq(acc, done + failed + cancelled);
    ck_assert_int_eq(acc, (double)sum.tasks);
    ck_assert_int_eq(done, (double)sum.done);
    ck_assert_int_eq(failed, (double)sum.failed);
    ck_assert_int_eq(cancelled, (double)sum.cancelled);
    ck_assert_int_eq(s_num(json, "tasks.window_used"), 0);
    ck_assert_int_eq(s_num(json, "buffers.buffers"), 1);
    ck_assert_int_eq(s_num(json, "buffers.buffer_bytes"), SLICE * NPROC * 4);
    ck_assert_int_eq(s_num(json, "sessions.sessions_active"), 1);
    ordo_free(json);

    /* Memory: flat once warm. */
    fprintf(stderr, "soak: samples (s: rss KiB, window, buffers, bytes):");
    for (int i = 0; i < ns; i++)
        fprintf(stderr, "%s%.1f: %ld %.0f %.0f %.0f", i % 4 ? "; " : "\n  ",
                (double)samples[i].t_ms / 1000, samples[i].rss_kib, samples[i].window,
                samples[i].buffers, samples[i].bytes);
    fprintf(stderr, "\n");
    ck_assert_msg(ns >= 8, "only %d samples", ns);
    long early = 0, late = 0;
    for (int i = ns / 4; i < ns / 2; i++)
        early = samples[i].rss_kib > early ? samples[i].rss_kib : early;
    for (int i = ns - ns / 4; i < ns; i++)
        late = samples[i].rss_kib > late ? samples[i].rss_kib : late;
    long bound = early + (early / 4 > 8192 ? early / 4 : 8192);
    fprintf(stderr, "soak: rss second quarter max %ld KiB, last quarter max %ld KiB "
            "(bound %ld)%s\n", early, late, bound, S_ASAN ? ", not checked under ASan" : "");
    if (!S_ASAN && early > 0)
        ck_assert_msg(late <= bound, "ordod grew from %ld KiB to %ld KiB", early, late);
    ordo_client_destroy(&c);
}
END_TEST

static void s_teardown(void)
{
    int status = e2e_stop(&D);
    ck_assert_msg(status == -1 || (WIFEXITED(status) && WEXITSTATUS(status) == 0),
                  "ordod did not exit 0 on SIGTERM (status %d)", status);
}

int main(void)
{
    Suite *s = suite_create("soak");
    TCase *tc = tcase_create("soak");
    const char *env = getenv("SOAK_SECONDS");
    int seconds = env && atoi(env) > 0 ? atoi(env) : 15;
    tcase_set_timeout(tc, seconds + 240);
    tcase_add_unchecked_fixture(tc, e2e_tmp_setup, e2e_tmp_teardown);
    tcase_add_checked_fixture(tc, NULL, s_teardown);
    tcase_add_test(tc, test_soak);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
