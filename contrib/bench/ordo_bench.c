/*
 * ordo_bench.c - ordo-bench: ordo end to end, beside its peers.
 *
 * Every ordo figure here crosses the whole system: this process is a
 * client (libordo, its I/O thread, a DEALER socket) of a fresh ordod that
 * it starts from the build tree on a private ipc endpoint, and every
 * completion comes back to this process and is consumed by the
 * application (ordo_poll or ordo_wait, no quiet_success).  The peers,
 * OpenMP `task depend` and StarPU, run in this process on the same
 * workloads; ordo and peer runs alternate, so that a change of the
 * machine's load weighs on both alike.  Every figure is the median of
 * --reps runs.
 *
 * W1  one buffer of 64 blocks of 1 KiB; each task reads two random blocks
 *     and writes a third (noop kernel).  The sequence comes from the same
 *     generator as ordo-engine-bench (same seed: the same tasks).
 * W2  the same tasks with all three blocks read: no edges at all.
 * W3  the KV-cache decode step (bench.h): gather from the whole cache read
 *     as [NSEQ*W, D] into a scratch slab, then write two rows per sequence
 *     through a [NSEQ, W, D] slice, both as noop with the real views.  The
 *     steps form one chain through the cache.
 * LAT one empty task (noop, no argument) submitted with ORDO_SUBMIT_FLUSH
 *     and waited for (ordo_wait), one at a time; against a raw ZeroMQ
 *     DEALER -> ROUTER -> DEALER round trip over ipc between this process
 *     and an echo child (this program re-executed with --zmq-echo).
 * SCALE the W1 stream (64 odd slots of 64 bytes spread evenly over the
 *     buffer) next to N = 100, 10,000, 100,000 live accesses on even slots:
 *     N tasks (one access each, half in, half inout, disjoint) that depend
 *     explicitly on a long `sleep` task, so they stay in the index for the
 *     whole measure.  The stream's bytes never meet theirs; its conflicts
 *     among itself are the same at every N; its per-task cost is wall time
 *     over the number of stream tasks.  The daemon gets one worker more than
 *     cores, since one sleeps (no CPU) for the whole measure.
 * MEM VmRSS of ordod with --mem-tasks tasks waiting (one explicit edge
 *     each, behind a sleep) minus VmRSS idle (the same daemon after a
 *     warm-up), divided by the number of tasks: once with one access per
 *     task, once with two disjoint ones, each on a fresh daemon.  The
 *     difference is the cost of an access; the first figure minus it is
 *     the cost of a task.  The same from the daemon's own accounting
 *     (status task_memory_bytes: task records, graph tables, index nodes),
 *     when the daemon reports it.
 *
 * A fresh daemon is started for each section (and for each SCALE and MEM
 * run), so that one measure's pools and heap do not flatter the next.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "bench.h"
#include "ordo.h"

#define S_MAX_REPS 101
#define S_SCALE_POINTS 3
static const uint32_t s_scale_live[S_SCALE_POINTS] = {100, 10000, 100000};
#define S_SLOT_ELEMS 16 /* f32 per SCALE/MEM slot: 64 bytes */
#define S_GATE_US UINT64_C(600000000) /* the SCALE/MEM gate: 10 min, killed before */
#define S_EVENTS 1024

typedef struct {
    const char *ordod;
    size_t tasks;           /* W1 and W2 e2e tasks per run */
    size_t peer_tasks;      /* W1/W2 tasks per OpenMP and StarPU run */
    size_t w3_steps;        /* W3 steps per run (2 tasks each) */
    size_t lat_n;           /* round trips per LAT run */
    size_t scale_tasks;     /* stream tasks per SCALE run */
    size_t mem_tasks;       /* waiting tasks of MEM */
    int reps;
    int workers;            /* ordod --workers (0: one per core) */
    uint32_t window, credits;
    int batch;              /* client batch_max_tasks (0: libordo's default) */
    double omp_budget;
    uint64_t seed;
    bool json;
    bool peers;
    bool keep_log;
    unsigned only;          /* bit set of sections; 0: all */
} s_opts_t;

enum { S_W1 = 1, S_W2 = 2, S_W3 = 4, S_LAT = 8, S_SCALE = 16, S_MEM = 32 };

/* One W1/W2/W3 line. */
typedef struct {
    double e2e, omp, starpu;        /* tasks per second (medians); 0: not measured */
    bool omp_cut;
    double edges, done;             /* daemon counters after the last ordo run */
} s_tput_t;

typedef struct {
    double load1_start, load1_end;
    int omp_threads, starpu_workers, daemon_workers;
    s_tput_t w[3];
    double lat_e2e_p50, lat_e2e_p99, lat_zmq_p50, lat_zmq_p99;
    double scale_ns[S_SCALE_POINTS];
    /* MEM, by accesses per task (1 and 2): bytes per task, from VmRSS and
     * from the daemon's accounting (-1: not reported). */
    double mem_total[2], mem_daemon[2], mem_rss_idle_kb[2], mem_rss_full_kb[2];
    double mem_tasks_waiting[2], mem_accesses_live[2];
    double mem_task, mem_access, mem_daemon_task, mem_daemon_access;
} s_result_t;

typedef struct {
    char dir[256];
    char endpoint[320], status[320], log[320];
    pid_t pid;
} s_daemon_t;

static const char *s_prog = "ordo-bench";

static void s_die(const char *what, int rc)
{
    fprintf(stderr, "%s: %s: %s (%s)\n", s_prog, what, ordo_strerror(rc), ordo_last_error());
    exit(1);
}

static void s_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void s_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", s_prog);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static double s_load1(void)
{
    double l = 0;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1)
            l = 0;
        fclose(f);
    }
    return l;
}

/* ---------------------------------------------------------------------- */
/* The daemon. */

/* The ordod next to this program in the build tree
 * (BUILD/contrib/bench/ordo-bench -> BUILD/daemon/ordod). */
static const char *s_find_ordod(const char *opt)
{
    static char path[PATH_MAX];
    if (opt)
        return opt;
    if (getenv("ORDOD"))
        return getenv("ORDOD");
    ssize_t k = readlink("/proc/self/exe", path, sizeof path - 32);
    if (k <= 0)
        s_fail("cannot find ordod (%s): use --ordod PATH", "no /proc/self/exe");
    path[k] = '\0';
    static const char *const up[] = {"/../../daemon/ordod", "/../../../daemon/ordod"};
    char *slash = strrchr(path, '/');
    *slash = '\0';
    size_t base = strlen(path);
    for (size_t i = 0; i < sizeof up / sizeof up[0]; i++) {
        path[base] = '\0';
        strcat(path, up[i]);
        if (access(path, X_OK) == 0)
            return path;
    }
    s_fail("cannot find ordod next to this program (%s): use --ordod PATH", path);
}

static int s_status_number(const s_daemon_t *d, const char *key, double *out)
{
    char *text = NULL;
    int rc = ordo_status_query(d->status, "status", NULL, 0, 1, 5000, &text);
    if (rc != 0 || text == NULL) {
        ordo_free(text);
        return rc ? rc : ORDO_EIO;
    }
    char pat[96];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    char *p = strstr(text, pat);
    rc = p ? 0 : ORDO_ENOENT;
    if (p)
        *out = strtod(p + strlen(pat), NULL);
    ordo_free(text);
    return rc;
}

/* Starts ordod on ipc sockets in a fresh temporary directory and waits
 * until its status socket answers.  workers, window, credits: its options. */
static void s_daemon_start(const s_opts_t *o, s_daemon_t *d, int workers, uint32_t credits)
{
    memset(d, 0, sizeof *d);
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(d->dir, sizeof d->dir, "%s/ordo-bench.XXXXXX", tmp);
    if (mkdtemp(d->dir) == NULL)
        s_fail("mkdtemp: %s", strerror(errno));
    snprintf(d->endpoint, sizeof d->endpoint, "ipc://%s/ordod.sock", d->dir);
    snprintf(d->status, sizeof d->status, "ipc://%s/status.sock", d->dir);
    snprintf(d->log, sizeof d->log, "%s/ordod.log", d->dir);
    char a_ep[400], a_st[400], a_w[32], a_win[32], a_cr[32];
    snprintf(a_ep, sizeof a_ep, "--endpoint=%s", d->endpoint);
    snprintf(a_st, sizeof a_st, "--status-endpoint=%s", d->status);
    snprintf(a_w, sizeof a_w, "--workers=%d", workers);
    snprintf(a_win, sizeof a_win, "--window=%u", o->window);
    snprintf(a_cr, sizeof a_cr, "--credits=%u", credits);
    const char *argv[] = {o->ordod, a_ep, a_st, a_w, a_win, a_cr, "--log-level=warn",
                          "--drain-timeout=1", NULL};
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        s_fail("fork: %s", strerror(errno));
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        FILE *f = freopen(d->log, "w", stderr);
        (void)f;
        execv(o->ordod, (char *const *)argv);
        fprintf(stderr, "cannot execute %s: %s\n", o->ordod, strerror(errno));
        _exit(127);
    }
    d->pid = pid;
    double t0 = ordo_bench_now(), v;
    while (s_status_number(d, "pid", &v) != 0) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid || ordo_bench_now() - t0 > 15) {
            char cmd[400];
            snprintf(cmd, sizeof cmd, "cat %s >&2", d->log);
            if (system(cmd) != 0)
                fprintf(stderr, "(no log)\n");
            s_fail("ordod (%s) did not come up", o->ordod);
        }
    }
}

/* Stops the daemon (SIGTERM, then SIGKILL after 3 s) and removes its
 * directory. */
static void s_daemon_stop(s_daemon_t *d, bool kill_now)
{
    if (d->pid > 0) {
        kill(d->pid, kill_now ? SIGKILL : SIGTERM);
        double t0 = ordo_bench_now();
        int st;
        while (waitpid(d->pid, &st, WNOHANG) != d->pid) {
            if (ordo_bench_now() - t0 > 3) {
                kill(d->pid, SIGKILL);
                waitpid(d->pid, &st, 0);
                break;
            }
            usleep(2000);
        }
        d->pid = 0;
    }
    char p[400];
    const char *files[] = {"ordod.sock", "status.sock", "ordod.log", "echo.sock"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", d->dir, files[i]);
        unlink(p);
    }
    rmdir(d->dir);
}

static long s_vmrss_kb(pid_t pid)
{
    char p[64], line[256];
    long kb = -1;
    snprintf(p, sizeof p, "/proc/%d/status", (int)pid);
    FILE *f = fopen(p, "r");
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    fclose(f);
    return kb;
}

static ordo_client_t *s_connect(const s_opts_t *o, const s_daemon_t *d)
{
    ordo_client_opts_t co;
    memset(&co, 0, sizeof co);
    co.batch_max_tasks = o->batch;
    co.name = "ordo-bench";
    ordo_client_t *c;
    int rc = ordo_client_new(&c, d->endpoint, &co);
    if (rc != 0)
        s_die("ordo_client_new", rc);
    return c;
}

/* ---------------------------------------------------------------------- */
/* Streams of tasks, end to end. */

/* Fills s (and its args) with task i of a stream. */
typedef void s_gen_fn(void *ctx, size_t i, ordo_submit_t *s, ordo_access_t *args);

static size_t s_consume(ordo_client_t *c, int timeout_ms)
{
    static ordo_event_t ev[S_EVENTS];
    int k = ordo_poll(c, ev, S_EVENTS, timeout_ms);
    if (k < 0)
        s_die("ordo_poll", k);
    for (int j = 0; j < k; j++)
        if (ev[j].state != ORDO_TASK_DONE) {
            fprintf(stderr, "%s: task 0x%llx ended in state %d: %s\n", s_prog,
                    (unsigned long long)ev[j].id, ev[j].state, ev[j].error);
            exit(1);
        }
    return (size_t)k;
}

/* Submits n tasks and consumes their n events; returns the seconds from the
 * first submit to the last event.  Events are drained (without waiting)
 * after every batch, so the client never holds more than a window's worth. */
static double s_stream(ordo_client_t *c, size_t n, s_gen_fn *gen, void *ctx, int batch)
{
    ordo_submit_t s;
    ordo_access_t args[8];
    uint64_t id;
    size_t got = 0;
    size_t mask = (size_t)(batch > 0 ? batch : 256);
    double t0 = ordo_bench_now();
    for (size_t i = 0; i < n; i++) {
        gen(ctx, i, &s, args);
        int rc = ordo_submit(c, &s, &id);
        if (rc != 0)
            s_die("ordo_submit", rc);
        if ((i + 1) % mask == 0)
            got += s_consume(c, 0);
    }
    while (got < n) {
        size_t k = s_consume(c, 30000);
        if (k == 0)
            s_fail("%s: no event for 30 s", "stream");
        got += k;
    }
    return ordo_bench_now() - t0;
}

/* W1/W2: blocks of one buffer. */
typedef struct {
    const ordo_bench_w1_t *w;
    const ordo_tensor_t *blk;   /* 64 views */
    int mode_c;                 /* ORDO_INOUT (W1) or ORDO_IN (W2) */
} s_w12_ctx_t;

static void s_gen_w12(void *vctx, size_t i, ordo_submit_t *s, ordo_access_t *args)
{
    const s_w12_ctx_t *x = vctx;
    args[0].view = &x->blk[x->w[i].a];
    args[0].mode = ORDO_IN;
    args[1].view = &x->blk[x->w[i].b];
    args[1].mode = ORDO_IN;
    args[2].view = &x->blk[x->w[i].c];
    args[2].mode = x->mode_c;
    memset(s, 0, sizeof *s);
    s->kernel = "noop";
    s->args = args;
    s->nargs = 3;
}

/* W3: the decode step's two tasks. */
typedef struct {
    ordo_tensor_t crows;                            /* cache as [NSEQ*W, D] */
    ordo_tensor_t slots[ORDO_BENCH_W3_RING / 2];    /* [NSEQ, 2, D] slices */
    ordo_tensor_t win[ORDO_BENCH_W3_DEPTH];         /* [NSEQ*(W-1), D] */
    ordo_tensor_t kv[ORDO_BENCH_W3_DEPTH];          /* [NSEQ*2, D] */
} s_w3_ctx_t;

static void s_gen_w3(void *vctx, size_t i, ordo_submit_t *s, ordo_access_t *args)
{
    const s_w3_ctx_t *x = vctx;
    size_t t = i / 2, r = t % ORDO_BENCH_W3_DEPTH;
    memset(s, 0, sizeof *s);
    s->kernel = "noop";
    s->args = args;
    s->nargs = 2;
    if (i % 2 == 0) { /* gather_kv: cache rows -> win */
        args[0].view = &x->crows;
        args[0].mode = ORDO_IN;
        args[1].view = &x->win[r];
        args[1].mode = ORDO_OUT;
    } else { /* cache_writeback: kv -> slots 2t, 2t+1 (mod W) of every sequence */
        args[0].view = &x->slots[t % (ORDO_BENCH_W3_RING / 2)];
        args[0].mode = ORDO_OUT;
        args[1].view = &x->kv[r];
        args[1].mode = ORDO_IN;
    }
}

static void s_w3_setup(ordo_client_t *c, s_w3_ctx_t *x)
{
    const int64_t N = ORDO_BENCH_W3_NSEQ, W = ORDO_BENCH_W3_RING, D = ORDO_BENCH_W3_D;
    const int64_t win = N * (W - 1) * D, kv = N * 2 * D;
    uint64_t cb, sb;
    int rc;
    if ((rc = ordo_buffer_create(c, (uint64_t)(N * W * D * 4), NULL, &cb)) != 0 ||
        (rc = ordo_buffer_create(c, (uint64_t)(ORDO_BENCH_W3_DEPTH * (win + kv) * 4), NULL,
                                 &sb)) != 0)
        s_die("W3 buffers", rc);
    ordo_tensor_t flat, cseq;
    ordo_tensor_init(&flat, cb, ORDO_F32, 0, 1, (int64_t[]){N * W * D}, NULL);
    if (ordo_tensor_reshape(&x->crows, &flat, 2, (int64_t[]){N * W, D}) != 0 ||
        ordo_tensor_reshape(&cseq, &flat, 3, (int64_t[]){N, W, D}) != 0)
        s_die("W3 reshape", ORDO_EINVAL);
    for (int64_t k = 0; k < W / 2; k++)
        if ((rc = ordo_tensor_slice(&x->slots[k], &cseq, 1, 2 * k, 2 * k + 2, 1)) != 0)
            s_die("W3 slice", rc);
    for (int64_t r = 0; r < ORDO_BENCH_W3_DEPTH; r++) {
        ordo_tensor_init(&x->win[r], sb, ORDO_F32, r * (win + kv), 2,
                         (int64_t[]){N * (W - 1), D}, NULL);
        ordo_tensor_init(&x->kv[r], sb, ORDO_F32, r * (win + kv) + win, 2,
                         (int64_t[]){N * 2, D}, NULL);
    }
}

/* W3 as the KV-cache example runs it: at most DEPTH steps in flight (the
 * client waits for the write-back of step t - DEPTH before it submits step
 * t), every event consumed.  Unbounded, the analysis is quadratic: each
 * gather reads the whole cache and no single write-back covers it, so no
 * gather's read is ever retired and each write-back gets an edge from
 * every unfinished gather (20,000 tasks made 50 million edges).  Returns
 * seconds. */
static double s_w3_stream(ordo_client_t *c, size_t n, const s_w3_ctx_t *x)
{
    ordo_submit_t s;
    ordo_access_t args[2];
    uint64_t wb[ORDO_BENCH_W3_DEPTH], id;
    size_t got = 0;
    double t0 = ordo_bench_now();
    for (size_t i = 0; i < n; i++) {
        size_t t = i / 2;
        if (i % 2 == 0 && t >= ORDO_BENCH_W3_DEPTH) {
            int rc = ordo_wait(c, wb[t % ORDO_BENCH_W3_DEPTH], 30000, NULL);
            if (rc == 0)
                got++;
            else if (rc != ORDO_ENOENT) /* ENOENT: ordo_poll delivered it */
                s_die("W3 wait", rc);
        }
        s_gen_w3((void *)x, i, &s, args);
        int rc = ordo_submit(c, &s, &id);
        if (rc != 0)
            s_die("ordo_submit", rc);
        if (i % 2)
            wb[t % ORDO_BENCH_W3_DEPTH] = id;
        if ((i & 255) == 255)
            got += s_consume(c, 0);
    }
    while (got < n) {
        size_t k = s_consume(c, 30000);
        if (k == 0)
            s_fail("W3: no event for 30 s (%zu of %zu)", got, n);
        got += k;
    }
    return ordo_bench_now() - t0;
}

/* One e2e run of W1 (which = 0), W2 (1) or W3 (2) on a fresh session;
 * returns tasks per second. */
static double s_e2e_run(const s_opts_t *o, const s_daemon_t *d, int which,
                        const ordo_bench_w1_t *w, size_t n)
{
    ordo_client_t *c = s_connect(o, d);
    double sec;
    if (which < 2) {
        uint64_t buf;
        int rc = ordo_buffer_create(c, ORDO_BENCH_W1_BLOCKS * ORDO_BENCH_W1_BLOCK_BYTES, NULL,
                                    &buf);
        if (rc != 0)
            s_die("buffer", rc);
        ordo_tensor_t blk[ORDO_BENCH_W1_BLOCKS];
        for (int b = 0; b < ORDO_BENCH_W1_BLOCKS; b++)
            ordo_tensor_init(&blk[b], buf, ORDO_F32, (int64_t)b * ORDO_BENCH_W1_ELEMS, 1,
                             (int64_t[]){ORDO_BENCH_W1_ELEMS}, NULL);
        s_w12_ctx_t x = {w, blk, which == 0 ? ORDO_INOUT : ORDO_IN};
        sec = s_stream(c, n, s_gen_w12, &x, o->batch);
    } else {
        s_w3_ctx_t x;
        s_w3_setup(c, &x);
        sec = s_w3_stream(c, n, &x);
    }
    ordo_client_destroy(&c);
    return (double)n / sec;
}

static const char *const s_wname[3] = {"W1", "W2", "W3"};

/* W1, W2 or W3: ordo e2e, OpenMP and StarPU runs, alternating. */
static void s_throughput(const s_opts_t *o, s_result_t *r, int which, const ordo_bench_w1_t *w)
{
    s_tput_t *t = &r->w[which];
    double e[S_MAX_REPS], om[S_MAX_REPS], sp[S_MAX_REPS];
    size_t n = which < 2 ? o->tasks : 2 * o->w3_steps;
    size_t pn = which < 2 ? (o->peer_tasks < o->tasks ? o->peer_tasks : o->tasks) : n;
    s_daemon_t d;
    s_daemon_start(o, &d, o->workers, o->credits);
    s_status_number(&d, "workers", &t->done);
    r->daemon_workers = (int)t->done;
    s_e2e_run(o, &d, which, w, n / 10 + 1); /* warm up the daemon's pools */
    bool have_omp = o->peers, have_starpu = false;
#ifdef ORDO_BENCH_STARPU
    have_starpu = o->peers;
#endif
    double done0 = 0, edges0 = 0;
    for (int k = 0; k < o->reps; k++) {
        s_status_number(&d, "tasks_done", &done0);
        s_status_number(&d, "edges_total", &edges0);
        e[k] = s_e2e_run(o, &d, which, w, n);
        s_status_number(&d, "tasks_done", &t->done);
        s_status_number(&d, "edges_total", &t->edges);
        t->done -= done0;
        t->edges -= edges0;
        if (have_omp) {
            size_t done = 0;
            double s;
            if (which == 0)
                s = ordo_bench_omp_w1(w, pn, o->omp_budget, &r->omp_threads, &done);
            else if (which == 1)
                s = ordo_bench_omp_w2(w, pn, o->omp_budget, &r->omp_threads, &done);
            else
                s = ordo_bench_omp_w3(pn / 2, o->omp_budget, &r->omp_threads, &done);
            if (s < 0) {
                have_omp = false;
                fprintf(stderr, "%s: built without OpenMP; no OpenMP figure\n", s_prog);
            } else {
                if (done < pn) {
                    t->omp_cut = true;
                    fprintf(stderr, "%s: %s OpenMP run %d cut after %.1f s with %zu of %zu "
                            "tasks (a busy core; see README)\n", s_prog, s_wname[which],
                            k + 1, s, done, pn);
                }
                om[k] = (double)done / s;
            }
        }
#ifdef ORDO_BENCH_STARPU
        /* StarPU's workers spin: the runtime lives only during its run. */
        if (have_starpu && ordo_bench_starpu_init(&r->starpu_workers) == 0) {
            double s;
            if (which == 0)
                s = ordo_bench_starpu_w1(w, pn);
            else if (which == 1)
                s = ordo_bench_starpu_w2(w, pn);
            else
                s = ordo_bench_starpu_w3(pn / 2);
            ordo_bench_starpu_shutdown();
            sp[k] = (double)pn / s;
            if (s <= 0)
                have_starpu = false;
        } else if (have_starpu) {
            have_starpu = false;
            fprintf(stderr, "%s: StarPU failed; no StarPU figure\n", s_prog);
        }
#endif
    }
    s_daemon_stop(&d, false);
    t->e2e = ordo_bench_median(e, o->reps);
    t->omp = have_omp ? ordo_bench_median(om, o->reps) : 0;
    t->starpu = have_starpu ? ordo_bench_median(sp, o->reps) : 0;
    (void)sp;
}

/* ---------------------------------------------------------------------- */
/* LAT. */

#define S_ZMQ_PAYLOAD 64

/* The echo child: a ROUTER that sends every message back to its sender. */
static int s_zmq_echo(const char *endpoint)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    void *ctx = zmq_ctx_new();
    void *sock = zmq_socket(ctx, ZMQ_ROUTER);
    if (zmq_bind(sock, endpoint) != 0) {
        fprintf(stderr, "%s: echo: bind %s: %s\n", s_prog, endpoint, zmq_strerror(errno));
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    for (;;) {
        zmq_msg_t rid, body;
        zmq_msg_init(&rid);
        zmq_msg_init(&body);
        if (zmq_msg_recv(&rid, sock, 0) < 0 || zmq_msg_recv(&body, sock, 0) < 0)
            break;
        bool quit = zmq_msg_size(&body) == 0;
        if (zmq_msg_send(&rid, sock, ZMQ_SNDMORE) < 0 || zmq_msg_send(&body, sock, 0) < 0)
            break;
        if (quit)
            break;
    }
    zmq_close(sock);
    zmq_ctx_term(ctx);
    return 0;
}

/* One ZeroMQ round-trip run: n samples (µs) into us[]. */
static void s_zmq_run(void *sock, size_t n, size_t warm, double *us)
{
    char buf[S_ZMQ_PAYLOAD];
    memset(buf, 'x', sizeof buf);
    for (size_t i = 0; i < warm + n; i++) {
        double t0 = ordo_bench_now();
        if (zmq_send(sock, buf, sizeof buf, 0) < 0 || zmq_recv(sock, buf, sizeof buf, 0) < 0)
            s_fail("zmq round trip: %s", zmq_strerror(errno));
        if (i >= warm)
            us[i - warm] = (ordo_bench_now() - t0) * 1e6;
    }
}

/* One ordo round-trip run: n samples (µs) into us[]. */
static void s_ordo_lat_run(ordo_client_t *c, size_t n, size_t warm, double *us)
{
    ordo_submit_t s;
    memset(&s, 0, sizeof s);
    s.kernel = "noop";
    s.flags = ORDO_SUBMIT_FLUSH;
    for (size_t i = 0; i < warm + n; i++) {
        uint64_t id;
        double t0 = ordo_bench_now();
        int rc = ordo_submit(c, &s, &id);
        if (rc != 0)
            s_die("LAT submit", rc);
        if ((rc = ordo_wait(c, id, 10000, NULL)) != 0)
            s_die("LAT wait", rc);
        if (i >= warm)
            us[i - warm] = (ordo_bench_now() - t0) * 1e6;
    }
}

static void s_lat(const s_opts_t *o, s_result_t *r)
{
    size_t n = o->lat_n, warm = n / 10 + 100;
    double *us = malloc(n * sizeof *us);
    double e50[S_MAX_REPS], e99[S_MAX_REPS], z50[S_MAX_REPS], z99[S_MAX_REPS];
    if (us == NULL)
        s_die("LAT", ORDO_ENOMEM);
    s_daemon_t d;
    s_daemon_start(o, &d, o->workers, o->credits);

    /* The echo child: this program again, so it starts with no ZeroMQ state. */
    char ep[400], self[PATH_MAX];
    snprintf(ep, sizeof ep, "ipc://%s/echo.sock", d.dir);
    ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
    if (k <= 0)
        s_fail("readlink: %s", strerror(errno));
    self[k] = '\0';
    int pfd[2];
    if (pipe(pfd) != 0)
        s_fail("pipe: %s", strerror(errno));
    fflush(NULL);
    pid_t echo = fork();
    if (echo == 0) {
        dup2(pfd[1], 1);
        close(pfd[0]);
        execl(self, self, "--zmq-echo", ep, (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    char ready[8] = "";
    if (read(pfd[0], ready, sizeof ready) <= 0)
        s_fail("the echo child did not start (%s)", ep);
    close(pfd[0]);
    void *zctx = zmq_ctx_new();
    void *sock = zmq_socket(zctx, ZMQ_DEALER);
    if (zmq_connect(sock, ep) != 0)
        s_fail("zmq_connect: %s", zmq_strerror(errno));

    ordo_client_t *c = s_connect(o, &d);
    for (int j = 0; j < o->reps; j++) {
        s_ordo_lat_run(c, n, warm, us);
        e50[j] = ordo_bench_quantile(us, n, 0.50);
        e99[j] = ordo_bench_quantile(us, n, 0.99);
        s_zmq_run(sock, n, warm, us);
        z50[j] = ordo_bench_quantile(us, n, 0.50);
        z99[j] = ordo_bench_quantile(us, n, 0.99);
    }
    ordo_client_destroy(&c);
    zmq_send(sock, "", 0, 0); /* the echo child quits */
    int linger = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_close(sock);
    zmq_ctx_term(zctx);
    /* With no linger the quit message may never leave: end the child (it
     * is ours and not yet reaped, so the pid is still its). */
    kill(echo, SIGTERM);
    waitpid(echo, NULL, 0);
    s_daemon_stop(&d, false);
    r->lat_e2e_p50 = ordo_bench_median(e50, o->reps);
    r->lat_e2e_p99 = ordo_bench_median(e99, o->reps);
    r->lat_zmq_p50 = ordo_bench_median(z50, o->reps);
    r->lat_zmq_p99 = ordo_bench_median(z99, o->reps);
    free(us);
}

/* ---------------------------------------------------------------------- */
/* SCALE and MEM: N tasks held live behind a sleeping gate. */

/* Submits the gate (a long sleep) and nlive holders of nacc accesses
 * each: holder j accesses the even slots 2(nacc j + a) for a < nacc (in
 * for even j, inout for odd j) and depends explicitly on the gate.  Waits
 * until the daemon has accepted them all; returns the gate's id. */
static uint64_t s_hold(ordo_client_t *c, uint64_t buf, uint32_t nlive, uint32_t nacc)
{
    uint8_t us[8];
    uint64_t v = S_GATE_US, gate, id;
    for (int b = 0; b < 8; b++)
        us[b] = (uint8_t)(v >> (8 * b));
    ordo_submit_t s;
    memset(&s, 0, sizeof s);
    s.kernel = "sleep";
    s.params = us;
    s.params_len = sizeof us;
    int rc = ordo_submit(c, &s, &gate);
    if (rc != 0)
        s_die("gate", rc);
    ordo_tensor_t t[2];
    ordo_access_t a[2] = {{&t[0], ORDO_IN}, {&t[1], ORDO_IN}};
    memset(&s, 0, sizeof s);
    s.kernel = "noop";
    s.args = a;
    s.nargs = nacc;
    s.deps = &gate;
    s.ndeps = 1;
    for (uint32_t j = 0; j < nlive; j++) {
        for (uint32_t k = 0; k < nacc; k++) {
            uint64_t slot = 2 * ((uint64_t)nacc * j + k);
            ordo_tensor_init(&t[k], buf, ORDO_F32, (int64_t)(slot * S_SLOT_ELEMS), 1,
                             (int64_t[]){S_SLOT_ELEMS}, NULL);
            a[k].mode = (j & 1) ? ORDO_INOUT : ORDO_IN;
        }
        if ((rc = ordo_submit(c, &s, &id)) != 0)
            s_die("holder", rc);
    }
    if ((rc = ordo_sync(c, 60000)) != 0)
        s_die("ordo_sync", rc);
    return gate;
}

/* One SCALE run with nlive live accesses; returns ns per stream task. */
static double s_scale_run(const s_opts_t *o, uint32_t nlive, const ordo_bench_w1_t *w)
{
    s_daemon_t d;
    uint32_t credits = nlive + 65536 > o->window ? o->window : nlive + 65536;
    s_daemon_start(o, &d, o->workers > 0 ? o->workers + 1 : (int)sysconf(_SC_NPROCESSORS_ONLN) + 1,
                   credits);
    ordo_client_t *c = s_connect(o, &d);
    uint64_t buf;
    uint64_t nslots = 2 * (uint64_t)nlive + 2;
    int rc = ordo_buffer_create(c, nslots * S_SLOT_ELEMS * 4, NULL, &buf);
    if (rc != 0)
        s_die("SCALE buffer", rc);
    /* The stream's 64 blocks: odd slots spread evenly over the buffer. */
    ordo_tensor_t blk[ORDO_BENCH_W1_BLOCKS];
    for (uint32_t b = 0; b < ORDO_BENCH_W1_BLOCKS; b++) {
        uint64_t slot = 2 * ((uint64_t)b * (nlive + 1) / ORDO_BENCH_W1_BLOCKS) + 1;
        ordo_tensor_init(&blk[b], buf, ORDO_F32, (int64_t)(slot * S_SLOT_ELEMS), 1,
                         (int64_t[]){S_SLOT_ELEMS}, NULL);
    }
    s_w12_ctx_t x = {w, blk, ORDO_INOUT};
    s_stream(c, o->scale_tasks / 10 + 1, s_gen_w12, &x, o->batch); /* warm up */
    uint64_t gate = s_hold(c, buf, nlive, 1);
    double live = 0;
    s_status_number(&d, "accesses_live", &live);
    if (live != nlive) {
        fprintf(stderr, "%s: SCALE live=%u: the index holds %.0f accesses\n", s_prog, nlive,
                live);
        exit(1);
    }
    double sec = s_stream(c, o->scale_tasks, s_gen_w12, &x, o->batch);
    if (ordo_wait(c, gate, 0, NULL) != ORDO_ETIMEDOUT)
        s_fail("SCALE: the gate finished during the measure (%s)", "raise S_GATE_US");
    s_status_number(&d, "accesses_live", &live);
    if (live != nlive) {
        fprintf(stderr, "%s: SCALE live=%u: %.0f accesses after the stream\n", s_prog, nlive,
                live);
        exit(1);
    }
    ordo_client_destroy(&c);
    s_daemon_stop(&d, true);
    return sec * 1e9 / (double)o->scale_tasks;
}

static void s_scale(const s_opts_t *o, s_result_t *r, const ordo_bench_w1_t *w)
{
    double t[S_SCALE_POINTS][S_MAX_REPS];
    /* Points alternate within each rep, so a change of load hits all. */
    for (int k = 0; k < o->reps; k++)
        for (int p = 0; p < S_SCALE_POINTS; p++)
            t[p][k] = s_scale_run(o, s_scale_live[p], w);
    for (int p = 0; p < S_SCALE_POINTS; p++)
        r->scale_ns[p] = ordo_bench_median(t[p], o->reps);
}

/* The daemon's accounting of its task memory, or -1 when it has none. */
static double s_daemon_bytes(const s_daemon_t *d)
{
    double v;
    return s_status_number(d, "task_memory_bytes", &v) == 0 ? v : -1;
}

/* One MEM run: mem_tasks tasks of nacc accesses waiting on a fresh daemon;
 * sets the bytes per task by VmRSS (*rss) and by the daemon (*own, -1
 * when it does not say). */
static void s_mem_run(const s_opts_t *o, s_result_t *r, uint32_t nacc, const ordo_bench_w1_t *w,
                      double *rss, double *own, double *idle_kb, double *full_kb)
{
    uint32_t n = (uint32_t)o->mem_tasks;
    s_daemon_t d;
    uint32_t credits = n + 65536 > o->window ? o->window : n + 65536;
    s_daemon_start(o, &d, o->workers > 0 ? o->workers + 1
                                          : (int)sysconf(_SC_NPROCESSORS_ONLN) + 1,
                   credits);
    ordo_client_t *c = s_connect(o, &d);
    uint64_t buf;
    int rc = ordo_buffer_create(c, (2 * (uint64_t)nacc * n + 2) * S_SLOT_ELEMS * 4, NULL, &buf);
    if (rc != 0)
        s_die("MEM buffer", rc);
    /* Warm-up: a few thousand W1 tasks, so that idle includes what any
     * working daemon has (threads' stacks touched, ZeroMQ buffers). */
    ordo_tensor_t blk[ORDO_BENCH_W1_BLOCKS];
    for (int j = 0; j < ORDO_BENCH_W1_BLOCKS; j++)
        ordo_tensor_init(&blk[j], buf, ORDO_F32, (int64_t)(2 * j + 1) * S_SLOT_ELEMS, 1,
                         (int64_t[]){S_SLOT_ELEMS}, NULL);
    s_w12_ctx_t x = {w, blk, ORDO_INOUT};
    s_stream(c, 4096, s_gen_w12, &x, o->batch);
    usleep(100000);
    *idle_kb = (double)s_vmrss_kb(d.pid);
    double own_idle = s_daemon_bytes(&d);
    s_hold(c, buf, n, nacc);
    usleep(100000);
    *full_kb = (double)s_vmrss_kb(d.pid);
    double own_full = s_daemon_bytes(&d);
    double live = 0;
    s_status_number(&d, "tasks_waiting", &r->mem_tasks_waiting[nacc - 1]);
    s_status_number(&d, "accesses_live", &live);
    r->mem_accesses_live[nacc - 1] = live;
    if (live != (double)nacc * n)
        s_fail("MEM: %.0f accesses live, expected %u", live, nacc * n);
    *rss = (*full_kb - *idle_kb) * 1024.0 / n;
    *own = own_idle >= 0 && own_full >= 0 ? (own_full - own_idle) / n : -1;
    ordo_client_destroy(&c);
    s_daemon_stop(&d, true);
}

/* MEM: per task with one access and with two; their difference is an
 * access, the rest a task. */
static void s_mem(const s_opts_t *o, s_result_t *r, const ordo_bench_w1_t *w)
{
    double rss[2][S_MAX_REPS], own[2][S_MAX_REPS], idle[2][S_MAX_REPS], full[2][S_MAX_REPS];
    /* The two shapes alternate within each rep, so a change of load hits
     * both. */
    for (int k = 0; k < o->reps; k++)
        for (uint32_t a = 0; a < 2; a++)
            s_mem_run(o, r, a + 1, w, &rss[a][k], &own[a][k], &idle[a][k], &full[a][k]);
    for (int a = 0; a < 2; a++) {
        r->mem_total[a] = ordo_bench_median(rss[a], o->reps);
        r->mem_daemon[a] = own[a][0] < 0 ? -1 : ordo_bench_median(own[a], o->reps);
        r->mem_rss_idle_kb[a] = ordo_bench_median(idle[a], o->reps);
        r->mem_rss_full_kb[a] = ordo_bench_median(full[a], o->reps);
    }
    r->mem_access = r->mem_total[1] - r->mem_total[0];
    r->mem_task = r->mem_total[0] - r->mem_access;
    if (r->mem_daemon[0] >= 0) {
        r->mem_daemon_access = r->mem_daemon[1] - r->mem_daemon[0];
        r->mem_daemon_task = r->mem_daemon[0] - r->mem_daemon_access;
    } else {
        r->mem_daemon_access = r->mem_daemon_task = -1;
    }
}

/* ---------------------------------------------------------------------- */
/* Output. */

static void s_ratio(double a, double b, char *out, size_t len)
{
    if (a > 0 && b > 0)
        snprintf(out, len, "%.2f", a / b);
    else
        snprintf(out, len, "-");
}

static void s_print_text(const s_opts_t *o, const s_result_t *r)
{
    for (int i = 0; i < 3; i++) {
        const s_tput_t *t = &r->w[i];
        if (t->e2e <= 0)
            continue;
        char rs[32], ro[32];
        s_ratio(t->e2e, t->starpu, rs, sizeof rs);
        s_ratio(t->e2e, t->omp, ro, sizeof ro);
        printf("%s e2e_tasks_per_s=%.0f starpu_tasks_per_s=%.0f openmp_tasks_per_s=%.0f "
               "ratio_starpu=%s ratio_openmp=%s\n", s_wname[i], t->e2e, t->starpu, t->omp,
               rs, ro);
        printf("%s_CHECK tasks_done=%.0f edges=%.0f%s\n", s_wname[i], t->done, t->edges,
               t->omp_cut ? " openmp_cut=1" : "");
    }
    if (r->lat_e2e_p50 > 0)
        printf("LAT e2e_p50_us=%.1f e2e_p99_us=%.1f zmq_p50_us=%.1f zmq_p99_us=%.1f "
               "ratio_p50=%.2f\n", r->lat_e2e_p50, r->lat_e2e_p99, r->lat_zmq_p50,
               r->lat_zmq_p99, r->lat_e2e_p50 / r->lat_zmq_p50);
    if (r->scale_ns[0] > 0) {
        for (int p = 0; p < S_SCALE_POINTS; p++)
            printf("SCALE live=%u ns_per_task=%.0f\n", s_scale_live[p], r->scale_ns[p]);
        printf("SCALE ratio_100000_vs_100=%.2f\n", r->scale_ns[2] / r->scale_ns[0]);
    }
    if (r->mem_total[0] != 0) {
        char dt[32] = "-", da[32] = "-";
        if (r->mem_daemon_task >= 0) {
            snprintf(dt, sizeof dt, "%.0f", r->mem_daemon_task);
            snprintf(da, sizeof da, "%.0f", r->mem_daemon_access);
        }
        printf("MEM bytes_per_inflight_task=%.0f bytes_per_access=%.0f source=vmrss "
               "daemon_bytes_per_inflight_task=%s daemon_bytes_per_access=%s tasks=%zu "
               "rss_idle_kb=%.0f rss_full_kb=%.0f tasks_waiting=%.0f accesses_live=%.0f\n",
               r->mem_task, r->mem_access, dt, da, o->mem_tasks, r->mem_rss_idle_kb[0],
               r->mem_rss_full_kb[0], r->mem_tasks_waiting[0], r->mem_accesses_live[0]);
        printf("MEM_CHECK bytes_per_task_1_access=%.0f bytes_per_task_2_accesses=%.0f "
               "rss_full_kb_2_accesses=%.0f accesses_live_2=%.0f\n", r->mem_total[0],
               r->mem_total[1], r->mem_rss_full_kb[1], r->mem_accesses_live[1]);
    }
    /* The targets of issue 5. */
    printf("TARGETS");
    if (r->w[0].e2e > 0)
        printf(" w1_1M=%s w1_ratio_starpu_3=%s", r->w[0].e2e >= 1e6 ? "met" : "missed",
               r->w[0].starpu <= 0 ? "n/a" : r->w[0].e2e >= 3 * r->w[0].starpu ? "met"
                                                                                : "missed");
    if (r->w[1].e2e > 0)
        printf(" w2_1.5M=%s", r->w[1].e2e >= 1.5e6 ? "met" : "missed");
    if (r->lat_e2e_p50 > 0)
        printf(" lat_ratio_1.2=%s",
               r->lat_e2e_p50 <= 1.2 * r->lat_zmq_p50 ? "met" : "missed");
    if (r->scale_ns[0] > 0)
        printf(" scale_2x=%s", r->scale_ns[2] <= 2 * r->scale_ns[0] ? "met" : "missed");
    if (r->mem_total[0] != 0)
        printf(" mem_256=%s", r->mem_task <= 256 ? "met" : "missed");
    printf("\n# load1 at the end: %.2f\n", r->load1_end);
}

static void s_print_json(const s_opts_t *o, const s_result_t *r)
{
    printf("{\"tasks\":%zu,\"peer_tasks\":%zu,\"w3_steps\":%zu,\"reps\":%d,\"seed\":%llu,"
           "\"window\":%u,\"credits\":%u,\"batch\":%d,\"daemon_workers\":%d,"
           "\"openmp_threads\":%d,\"starpu_workers\":%d,\"load1_start\":%.2f,"
           "\"load1_end\":%.2f",
           o->tasks, o->peer_tasks, o->w3_steps, o->reps, (unsigned long long)o->seed,
           o->window, o->credits, o->batch, r->daemon_workers, r->omp_threads,
           r->starpu_workers, r->load1_start, r->load1_end);
    for (int i = 0; i < 3; i++) {
        const s_tput_t *t = &r->w[i];
        if (t->e2e <= 0)
            continue;
        printf(",\"%s\":{\"e2e_tasks_per_s\":%.0f,\"starpu_tasks_per_s\":%.0f,"
               "\"openmp_tasks_per_s\":%.0f", s_wname[i], t->e2e, t->starpu, t->omp);
        if (t->starpu > 0)
            printf(",\"ratio_starpu\":%.4f", t->e2e / t->starpu);
        if (t->omp > 0)
            printf(",\"ratio_openmp\":%.4f", t->e2e / t->omp);
        printf(",\"openmp_cut\":%s,\"tasks_done\":%.0f,\"edges\":%.0f}",
               t->omp_cut ? "true" : "false", t->done, t->edges);
    }
    if (r->lat_e2e_p50 > 0)
        printf(",\"LAT\":{\"e2e_p50_us\":%.2f,\"e2e_p99_us\":%.2f,\"zmq_p50_us\":%.2f,"
               "\"zmq_p99_us\":%.2f,\"ratio_p50\":%.4f,\"round_trips\":%zu}",
               r->lat_e2e_p50, r->lat_e2e_p99, r->lat_zmq_p50, r->lat_zmq_p99,
               r->lat_e2e_p50 / r->lat_zmq_p50, o->lat_n);
    if (r->scale_ns[0] > 0) {
        printf(",\"SCALE\":{\"stream_tasks\":%zu,\"points\":[", o->scale_tasks);
        for (int p = 0; p < S_SCALE_POINTS; p++)
            printf("%s{\"live\":%u,\"ns_per_task\":%.1f}", p ? "," : "", s_scale_live[p],
                   r->scale_ns[p]);
        printf("],\"ratio_100000_vs_100\":%.4f}", r->scale_ns[2] / r->scale_ns[0]);
    }
    if (r->mem_total[0] != 0) {
        printf(",\"MEM\":{\"bytes_per_inflight_task\":%.0f,\"bytes_per_access\":%.0f,"
               "\"source\":\"vmrss\",\"tasks\":%zu,\"rss_idle_kb\":%.0f,"
               "\"rss_full_kb\":%.0f,\"tasks_waiting\":%.0f,\"accesses_live\":%.0f,"
               "\"bytes_per_task_1_access\":%.0f,\"bytes_per_task_2_accesses\":%.0f",
               r->mem_task, r->mem_access, o->mem_tasks, r->mem_rss_idle_kb[0],
               r->mem_rss_full_kb[0], r->mem_tasks_waiting[0], r->mem_accesses_live[0],
               r->mem_total[0], r->mem_total[1]);
        if (r->mem_daemon_task >= 0)
            printf(",\"daemon_bytes_per_inflight_task\":%.0f,\"daemon_bytes_per_access\":%.0f",
                   r->mem_daemon_task, r->mem_daemon_access);
        else
            printf(",\"daemon_bytes_per_inflight_task\":null,\"daemon_bytes_per_access\":null");
        printf("}");
    }
    printf("}\n");
}

static void s_usage(FILE *f)
{
    fprintf(f,
            "usage: ordo-bench [options]\n"
            "  --ordod PATH      the daemon (default: $ORDOD, else ../../daemon/ordod\n"
            "                    from this program, i.e. the build tree's)\n"
            "  --tasks N         W1 and W2 tasks per ordo run (default 300000)\n"
            "  --peer-tasks N    W1 and W2 tasks per OpenMP and StarPU run (default 100000)\n"
            "  --w3-steps N      W3 decode steps per run, 2 tasks each (default 50000)\n"
            "  --lat N           round trips per LAT run (default 10000)\n"
            "  --scale-tasks N   stream tasks per SCALE run (default 100000)\n"
            "  --mem-tasks N     waiting tasks for MEM (default 100000)\n"
            "  --reps N          runs per measure; medians are printed (default 3)\n"
            "  --workers N       ordod --workers (default 0: one per core)\n"
            "  --window N        ordod --window (default 1048576)\n"
            "  --credits N       ordod --credits for W1-W3 and LAT (default 65536)\n"
            "  --batch N         client batch_max_tasks (default 0: libordo's 256)\n"
            "  --omp-budget S    seconds an OpenMP run may create tasks (default 2)\n"
            "  --seed N          seed of the W1 sequence (default 1)\n"
            "  --only LIST       comma-separated: w1,w2,w3,lat,scale,mem\n"
            "  --no-peers        ordo only (no OpenMP, no StarPU)\n"
            "  --json            one JSON object instead of lines\n");
}

static unsigned s_sections(const char *list)
{
    static const char *const names[] = {"w1", "w2", "w3", "lat", "scale", "mem"};
    unsigned bits = 0;
    char *dup = strdup(list), *save = NULL;
    for (char *tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        size_t i;
        for (i = 0; i < sizeof names / sizeof names[0]; i++)
            if (strcmp(tok, names[i]) == 0)
                break;
        if (i == sizeof names / sizeof names[0]) {
            fprintf(stderr, "%s: --only: unknown section %s\n", s_prog, tok);
            exit(2);
        }
        bits |= 1u << i;
    }
    free(dup);
    return bits;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--zmq-echo") == 0)
        return s_zmq_echo(argv[2]);
    s_opts_t o = {.tasks = 300000, .peer_tasks = 100000, .w3_steps = 50000,
                  .lat_n = 10000, .scale_tasks = 100000, .mem_tasks = 100000, .reps = 3,
                  .window = 1u << 20, .credits = 65536, .omp_budget = 2.0, .seed = 1,
                  .peers = true};
    const char *ordod = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--ordod") == 0 && v)
            ordod = v, i++;
        else if (strcmp(a, "--tasks") == 0)
            o.tasks = ordo_bench_number(s_prog, a, v, 1, UINT64_C(1) << 32), i++;
        else if (strcmp(a, "--peer-tasks") == 0)
            o.peer_tasks = ordo_bench_number(s_prog, a, v, 1, UINT64_C(1) << 32), i++;
        else if (strcmp(a, "--w3-steps") == 0)
            o.w3_steps = ordo_bench_number(s_prog, a, v, 1, UINT64_C(1) << 31), i++;
        else if (strcmp(a, "--lat") == 0)
            o.lat_n = ordo_bench_number(s_prog, a, v, 10, UINT64_C(1) << 26), i++;
        else if (strcmp(a, "--scale-tasks") == 0)
            o.scale_tasks = ordo_bench_number(s_prog, a, v, 1, UINT64_C(1) << 32), i++;
        else if (strcmp(a, "--mem-tasks") == 0)
            o.mem_tasks = ordo_bench_number(s_prog, a, v, 1000, 1000000), i++;
        else if (strcmp(a, "--reps") == 0)
            o.reps = (int)ordo_bench_number(s_prog, a, v, 1, S_MAX_REPS), i++;
        else if (strcmp(a, "--workers") == 0)
            o.workers = (int)ordo_bench_number(s_prog, a, v, 0, 1024), i++;
        else if (strcmp(a, "--window") == 0)
            o.window = (uint32_t)ordo_bench_number(s_prog, a, v, 1024, UINT32_C(1) << 30), i++;
        else if (strcmp(a, "--credits") == 0)
            o.credits = (uint32_t)ordo_bench_number(s_prog, a, v, 1, UINT32_C(1) << 30), i++;
        else if (strcmp(a, "--batch") == 0)
            o.batch = (int)ordo_bench_number(s_prog, a, v, 0, 1 << 20), i++;
        else if (strcmp(a, "--omp-budget") == 0)
            o.omp_budget = (double)ordo_bench_number(s_prog, a, v, 1, 86400), i++;
        else if (strcmp(a, "--seed") == 0)
            o.seed = ordo_bench_number(s_prog, a, v, 0, UINT64_MAX), i++;
        else if (strcmp(a, "--only") == 0 && v)
            o.only = s_sections(v), i++;
        else if (strcmp(a, "--no-peers") == 0)
            o.peers = false;
        else if (strcmp(a, "--json") == 0)
            o.json = true;
        else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            s_usage(stdout);
            return 0;
        } else {
            s_usage(stderr);
            return 2;
        }
    }
    if (o.credits > o.window)
        o.credits = o.window;
    o.ordod = s_find_ordod(ordod);
    unsigned only = o.only ? o.only : ~0u;
    size_t held = (only & S_MEM) ? o.mem_tasks : 0;
    if ((only & S_SCALE) && held < 100000)
        held = 100000;
    if (held + 65536 > o.window) {
        fprintf(stderr, "%s: --window must hold %zu waiting tasks and a stream\n", s_prog,
                held);
        return 2;
    }

    s_result_t r;
    memset(&r, 0, sizeof r);
    r.load1_start = s_load1();
    const char *policy = getenv("OMP_WAIT_POLICY");
    if (!o.json)
        printf("# ordo-bench tasks=%zu peer_tasks=%zu w3_steps=%zu reps=%d window=%u "
               "credits=%u batch=%d seed=%llu load1=%.2f omp_wait_policy=%s ordod=%s\n",
               o.tasks, o.peer_tasks, o.w3_steps, o.reps, o.window, o.credits, o.batch,
               (unsigned long long)o.seed, r.load1_start, policy ? policy : "default",
               o.ordod);
    fflush(stdout);

    size_t nseq = o.tasks > o.scale_tasks ? o.tasks : o.scale_tasks;
    ordo_bench_w1_t *w = ordo_bench_w1_sequence(nseq > 4096 ? nseq : 4096, o.seed);
    if (w == NULL)
        s_die("W1 sequence", ORDO_ENOMEM);
    if (only & S_W1)
        s_throughput(&o, &r, 0, w);
    if (only & S_W2)
        s_throughput(&o, &r, 1, w);
    if (only & S_W3)
        s_throughput(&o, &r, 2, w);
    if (only & S_LAT)
        s_lat(&o, &r);
    if (only & S_SCALE)
        s_scale(&o, &r, w);
    if (only & S_MEM)
        s_mem(&o, &r, w);
    free(w);
    r.load1_end = s_load1();
    if (o.json)
        s_print_json(&o, &r);
    else
        s_print_text(&o, &r);
    return 0;
}
