/*
 * ordo-kvdecode - in-place KV-cache decode with a sliding window, two new
 * tokens per step, checked bit for bit against a sequential reference.
 *
 * NSEQ sequences decode in lockstep, S = 2 tokens per step.  Each sequence
 * has a ring of W slots of kv rows ([k | v], 2*hd floats) in one cache
 * buffer; a token attends to the L = W - 1 positions before it and to
 * itself.  Before step t the ring holds positions P-W .. P-1 (P = W + 2t):
 * slot P mod W holds P-W, which no token of this step needs any more, and
 * the other W - 1 slots hold the window P-L .. P-1.  One step is
 *
 *   host_write   x       the step's token embeddings [NSEQ*S, E]
 *   kv_project   q, kv   from x and the shared weights [E, 3hd]
 *   gather_kv    win     cache as [NSEQ*W, D], rows P-L .. P-1 of each sequence
 *   sparse_attn  out     token 0 over win[0:L] + itself, token 1 over win[1:L]
 *                        + token 0 + itself (the overlay: the step's own tokens
 *                        reach attention directly, not through the cache)
 *   cache_writeback      kv into slots P, P+1 mod W, in place, through a slice
 *                        of the cache as [NSEQ, W, D]
 *   host_read    out
 *
 * Token P+1's slot holds position P+1-W = P-L, the oldest row token 0 still
 * needs: the write-back must run after the gather has read the cache.  The
 * two tasks see the cache through different reshapes, and nothing but the
 * bytes relates them: ordod derives the write-after-read edge from those.
 * With --explicit, the write-back also names the gather as an explicit
 * dependency (what users of runtimes that miss the edge do); the results
 * must be the same.
 *
 * Outputs are read back with a pipeline of --depth steps in flight and
 * compared with the same decode computed here, sequentially, with the same
 * arithmetic (kvmath.h, which the kernels use too): every output must be
 * bit-identical.  Scratch buffers are rings of --depth slabs; a slab is
 * reused only after this program has waited for a task that follows every
 * use of it, so the cache is the only buffer whose ordering is left to the
 * daemon.
 *
 * Two processes can run at once, each with its own cache, sharing one named
 * weights buffer: --create-weights makes and writes it and, once the daemon
 * has accepted the write (ordo_sync), puts the write's task id into
 * --ready-file; --open-weights waits for that file, waits for the task
 * (ordo_wait on another session's id), then opens the buffer and says so
 * (READY_FILE.opened), so that the creator keeps its hold until then.  The
 * opener's tasks are accepted after the write, so their reads of the
 * weights follow it by a derived read-after-write edge as well.
 *
 * usage: ordo-kvdecode [--create-weights | --open-weights] [OPTIONS]
 * Exit status: 0 when every output matches, 1 on a mismatch, 2 on an error.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kvmath.h"
#include "ordo.h"

#define S 2                     /* new tokens per step */

typedef struct {
    const char *endpoint, *status_endpoint, *weights, *ready_file, *label;
    int creator;                /* 1: --create-weights, 0: --open-weights */
    int explicit_deps;
    int status;
    long steps, nseq, ring, hd, embed, depth;
    uint64_t seed;
} s_opts_t;

static const char *s_label = "kvdecode";

static void s_die(const char *what, int rc)
{
    fprintf(stderr, "%s: %s: %s\n", s_label, what, rc < 0 ? ordo_last_error() : "failed");
    exit(2);
}

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void s_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static void *s_alloc(size_t n)
{
    void *p = calloc(n ? n : 1, 1);
    if (!p)
        s_die("out of memory", 0);
    return p;
}

/* A value in [-1, 1) with 24 significant bits, from four integers: the
 * same data in every run and in both the submitted tasks and the
 * reference. */
static float s_rand(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    uint64_t z = a * UINT64_C(0x9e3779b97f4a7c15) ^ b * UINT64_C(0xbf58476d1ce4e5b9) ^
                 c * UINT64_C(0x94d049bb133111eb) ^ (d + 1) * UINT64_C(0xd6e8feb86659fd93);
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    z ^= z >> 31;
    return (float)(int32_t)(z >> 40) / 8388608.0f - 1.0f;
}

/* A row-major matrix over a host array. */
static kv_mat_t s_host(float *p, int64_t rows, int64_t cols)
{
    return (kv_mat_t){p, rows, cols, cols, 1};
}

/* ---------------------------------------------------------------------- */
/* The decode: geometry, data, one step on the host.                      */

typedef struct {
    int64_t nseq, W, L, hd, D, E, M;
} s_geom_t;

/* The weights, the same in every process: [E, 3hd], scaled to keep the
 * attention scores in a moderate range. */
static void s_weights(const s_geom_t *g, float *w)
{
    for (int64_t e = 0; e < g->E; e++)
        for (int64_t j = 0; j < 3 * g->hd; j++)
            w[e * 3 * g->hd + j] = s_rand(7, 1, (uint64_t)e, (uint64_t)j) * 0.25f;
}

/* The prefill: positions 0..W-1 of every sequence in slots 0..W-1. */
static void s_prefill(const s_geom_t *g, uint64_t seed, float *cache)
{
    for (int64_t r = 0; r < g->nseq * g->W; r++)
        for (int64_t j = 0; j < g->D; j++)
            cache[r * g->D + j] = s_rand(seed, 2, (uint64_t)r, (uint64_t)j);
}

/* The token embeddings of step t, [NSEQ*S, E]. */
static void s_tokens(const s_geom_t *g, uint64_t seed, long t, float *x)
{
    for (int64_t m = 0; m < g->M; m++)
        for (int64_t e = 0; e < g->E; e++)
            x[m * g->E + e] = s_rand(seed, 3 + (uint64_t)t * 131, (uint64_t)m, (uint64_t)e);
}

/* The window indices, one row per phase ph = t mod (W/2) (P mod W = 2ph):
 * for sequence n, the cache rows n*W + (P-L+i) mod W, i = 0..L-1. */
static void s_indices(const s_geom_t *g, int32_t *idx)
{
    for (int64_t ph = 0; ph < g->W / 2; ph++)
        for (int64_t n = 0; n < g->nseq; n++)
            for (int64_t i = 0; i < g->L; i++) {
                int64_t pos = g->W + 2 * ph - g->L + i; /* any P with P mod W = 2ph */
                idx[(ph * g->nseq + n) * g->L + i] = (int32_t)(n * g->W + pos % g->W);
            }
}

/* The sequential reference: state and one step, in program order. */
typedef struct {
    float *cache, *w, *x, *q, *kv, *win, *out;
    int32_t *idx;
} s_ref_t;

static void s_ref_step(const s_geom_t *g, s_ref_t *r, uint64_t seed, long t)
{
    s_tokens(g, seed, t, r->x);
    kv_mat_t x = s_host(r->x, g->M, g->E), w = s_host(r->w, g->E, 3 * g->hd),
             q = s_host(r->q, g->M, g->hd), kv = s_host(r->kv, g->M, g->D);
    kv_project(&x, &w, &q, &kv);
    kv_mat_t cache = s_host(r->cache, g->nseq * g->W, g->D),
             win = s_host(r->win, g->nseq * g->L, g->D);
    const int32_t *idx = r->idx + (t % (g->W / 2)) * g->nseq * g->L;
    if (kv_gather_check(idx, 1, win.rows, cache.rows) >= 0)
        s_die("reference: bad window index", 0);
    kv_gather(&cache, idx, 1, &win);
    for (int64_t n = 0; n < g->nseq; n++) {
        kv_mat_t qn = kv_rows(&q, n * S, S), wn = kv_rows(&win, n * g->L, g->L),
                 cn = kv_rows(&kv, n * S, S), on = s_host(r->out + n * S * g->hd, S, g->hd);
        for (int64_t s = 0; s < S; s++) {
            kv_mat_t qs = kv_rows(&qn, s, 1), os = kv_rows(&on, s, 1);
            kv_attend(&qs, &wn, &cn, s, &os);
        }
    }
    int64_t slot = (2 * t) % g->W;
    for (int64_t n = 0; n < g->nseq; n++)
        memcpy(r->cache + (n * g->W + slot) * g->D, r->kv + n * S * g->D,
               (size_t)(S * g->D) * sizeof(float));
}

/* ---------------------------------------------------------------------- */
/* The weights, shared between two processes through a named buffer.      */

static uint64_t s_weights_create(ordo_client_t *c, const s_opts_t *o, const s_geom_t *g,
                                 const float *hw, uint64_t *wid)
{
    uint64_t wb;
    size_t bytes = (size_t)(g->E * 3 * g->hd) * sizeof(float);
    int rc = ordo_buffer_create(c, bytes, o->weights, &wb);
    if (rc < 0)
        s_die("creating the named weights buffer", rc);
    ordo_tensor_t wv;
    ordo_tensor_init(&wv, wb, ORDO_F32, 0, 2, (int64_t[]){g->E, 3 * g->hd}, NULL);
    if ((rc = ordo_write(c, &wv, hw, bytes, wid)) < 0)
        s_die("writing the weights", rc);
    /* Accepted: from now on every task that reads the weights, from any
     * session, is accepted after the write and so follows it. */
    if ((rc = ordo_sync(c, 30000)) < 0)
        s_die("ordo_sync after writing the weights", rc);
    if (o->ready_file) {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.tmp", o->ready_file);
        FILE *f = fopen(tmp, "w");
        if (!f || fprintf(f, "%#llx\n", (unsigned long long)*wid) < 0 || fclose(f) != 0 ||
            rename(tmp, o->ready_file) != 0)
            s_die("writing the ready file", 0);
    }
    return wb;
}

static uint64_t s_weights_open(ordo_client_t *c, const s_opts_t *o, const s_geom_t *g,
                               uint64_t *wid)
{
    *wid = 0;
    if (o->ready_file) {
        for (int i = 0; i < 6000 && *wid == 0; i++) {
            FILE *f = fopen(o->ready_file, "r");
            unsigned long long v = 0;
            if (f) {
                if (fscanf(f, "%llx", &v) != 1)
                    v = 0;
                fclose(f);
            }
            *wid = v;
            if (!*wid)
                s_sleep_ms(10);
        }
        if (!*wid) {
            fprintf(stderr, "%s: no weights task id in %s after 60 s\n", s_label,
                    o->ready_file);
            exit(2);
        }
        /* Another session's task: ordo_wait watches it. */
        int rc = ordo_wait(c, *wid, 60000, NULL);
        if (rc < 0)
            s_die("waiting for the other process's weights write", rc);
    }
    uint64_t wb, size;
    int rc = ordo_buffer_open(c, o->weights, &wb, &size);
    if (rc < 0)
        s_die("opening the named weights buffer", rc);
    if (o->ready_file) {
        /* Tell the creator that its buffer has a second holder now. */
        char path[4096];
        snprintf(path, sizeof path, "%s.opened", o->ready_file);
        FILE *f = fopen(path, "w");
        if (!f || fclose(f) != 0)
            s_die("writing the opened file", 0);
    }
    if (size != (uint64_t)(g->E * 3 * g->hd) * sizeof(float)) {
        fprintf(stderr, "%s: the weights buffer has %llu bytes, not %llu\n", s_label,
                (unsigned long long)size,
                (unsigned long long)((uint64_t)(g->E * 3 * g->hd) * sizeof(float)));
        exit(2);
    }
    return wb;
}

/* The creator keeps its hold on the weights until the opener has opened
 * them (it says so with READY_FILE.opened): a named buffer lives while
 * some session holds it, and a short run could end before the other
 * process has even connected.  Gives up after 60 s with a warning. */
static void s_weights_await_opener(const s_opts_t *o)
{
    if (!o->creator || !o->ready_file)
        return;
    char path[4096];
    snprintf(path, sizeof path, "%s.opened", o->ready_file);
    for (int i = 0; i < 6000; i++) {
        FILE *f = fopen(path, "r");
        if (f) {
            fclose(f);
            return;
        }
        s_sleep_ms(10);
    }
    fprintf(stderr, "%s: warning: nobody opened the weights within 60 s\n", s_label);
}

/* ---------------------------------------------------------------------- */

static void s_usage(FILE *f)
{
    fprintf(f,
            "usage: ordo-kvdecode [--create-weights | --open-weights] [OPTIONS]\n"
            "\n"
            "In-place KV-cache decode (sliding window, 2 tokens per step) on ordod's\n"
            "plugin kernels (kvdecode_kernels.so in --kernel-dir), checked bit for bit\n"
            "against a sequential reference.\n"
            "\n"
            "  --create-weights     create and write the named weights buffer (default)\n"
            "  --open-weights       open it (another process created it)\n"
            "  --ready-file PATH    creator: write the weights task id there once accepted,\n"
            "                       and hold the weights until PATH.opened exists;\n"
            "                       opener: wait for it, then for that task; open, and\n"
            "                       create PATH.opened\n"
            "  --weights NAME       name of the weights buffer (kvdecode.weights)\n"
            "  --explicit           also make each write-back depend explicitly on its gather\n"
            "  --steps N            decode steps (500)\n"
            "  --nseq N             sequences (4)\n"
            "  --ring W             ring slots per sequence, even, >= 4 (8; window W-1)\n"
            "  --hd N               head dimension (16); --embed E: embedding size (32)\n"
            "  --depth R            steps in flight (8)\n"
            "  --seed N             token data seed (creator 1, opener 2)\n"
            "  --label TEXT         name in the output (creator, opener)\n"
            "  --endpoint URL       ordod's endpoint (default: $ORDO_ENDPOINT or the default)\n"
            "  --status             print the daemon's status at the end\n"
            "  --status-endpoint URL  for --status (default: the default status socket)\n"
            "\n"
            "Prints steps, tokens, mismatches and decode steps/s.  Exit status: 0 all\n"
            "outputs match, 1 mismatches, 2 error.\n");
}

static long s_num(const char *text, long lo, long hi, const char *name)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 0);
    if (errno || *end || v < lo || v > hi) {
        fprintf(stderr, "ordo-kvdecode: --%s: %s is not in [%ld, %ld]\n", name, text, lo, hi);
        exit(2);
    }
    return v;
}

static void s_parse(int argc, char **argv, s_opts_t *o)
{
    enum { O_CREATE = 256, O_OPEN, O_READY, O_WEIGHTS, O_EXPLICIT, O_STEPS, O_NSEQ, O_RING,
           O_HD, O_EMBED, O_DEPTH, O_SEED, O_LABEL, O_ENDPOINT, O_STATUS, O_STATUS_EP };
    static const struct option lo[] = {
        {"create-weights", no_argument, NULL, O_CREATE},
        {"open-weights", no_argument, NULL, O_OPEN},
        {"ready-file", required_argument, NULL, O_READY},
        {"weights", required_argument, NULL, O_WEIGHTS},
        {"explicit", no_argument, NULL, O_EXPLICIT},
        {"steps", required_argument, NULL, O_STEPS},
        {"nseq", required_argument, NULL, O_NSEQ},
        {"ring", required_argument, NULL, O_RING},
        {"hd", required_argument, NULL, O_HD},
        {"embed", required_argument, NULL, O_EMBED},
        {"depth", required_argument, NULL, O_DEPTH},
        {"seed", required_argument, NULL, O_SEED},
        {"label", required_argument, NULL, O_LABEL},
        {"endpoint", required_argument, NULL, O_ENDPOINT},
        {"status", no_argument, NULL, O_STATUS},
        {"status-endpoint", required_argument, NULL, O_STATUS_EP},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (s_opts_t){.weights = "kvdecode.weights", .creator = 1, .steps = 500, .nseq = 4,
                    .ring = 8, .hd = 16, .embed = 32, .depth = 8};
    long seed = -1;
    int ch;
    while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (ch) {
        case O_CREATE: o->creator = 1; break;
        case O_OPEN: o->creator = 0; break;
        case O_READY: o->ready_file = optarg; break;
        case O_WEIGHTS: o->weights = optarg; break;
        case O_EXPLICIT: o->explicit_deps = 1; break;
        case O_STEPS: o->steps = s_num(optarg, 1, 100000000, "steps"); break;
        case O_NSEQ: o->nseq = s_num(optarg, 1, 4096, "nseq"); break;
        case O_RING: o->ring = s_num(optarg, 4, KV_MAX_KEYS, "ring"); break;
        case O_HD: o->hd = s_num(optarg, 1, 1024, "hd"); break;
        case O_EMBED: o->embed = s_num(optarg, 1, 4096, "embed"); break;
        case O_DEPTH: o->depth = s_num(optarg, 2, 1024, "depth"); break;
        case O_SEED: seed = s_num(optarg, 0, 1L << 30, "seed"); break;
        case O_LABEL: o->label = optarg; break;
        case O_ENDPOINT: o->endpoint = optarg; break;
        case O_STATUS: o->status = 1; break;
        case O_STATUS_EP: o->status_endpoint = optarg; break;
        case 'h': s_usage(stdout); exit(0);
        default: s_usage(stderr); exit(2);
        }
    }
    if (optind != argc || o->ring % 2) {
        s_usage(stderr);
        exit(2);
    }
    o->seed = seed >= 0 ? (uint64_t)seed : o->creator ? 1 : 2;
    if (!o->label)
        o->label = o->creator ? "creator" : "opener";
}

/* Views of one slab r of a ring buffer of depth slabs of [rows, cols]. */
static ordo_tensor_t s_slab(uint64_t buf, int dtype, int64_t r, int64_t rows, int64_t cols)
{
    ordo_tensor_t t;
    ordo_tensor_init(&t, buf, dtype, r * rows * cols, 2, (int64_t[]){rows, cols}, NULL);
    return t;
}

static ordo_tensor_t s_reshape3(const ordo_tensor_t *t, int64_t a, int64_t b, int64_t c)
{
    ordo_tensor_t out;
    if (ordo_tensor_reshape(&out, t, 3, (int64_t[]){a, b, c}) < 0)
        s_die("reshape", -1);
    return out;
}

int main(int argc, char **argv)
{
    s_opts_t o;
    s_parse(argc, argv, &o);
    static char label[128];
    snprintf(label, sizeof label, "kvdecode[%s]", o.label);
    s_label = label;
    const s_geom_t g = {.nseq = o.nseq, .W = o.ring, .L = o.ring - 1, .hd = o.hd,
                        .D = 2 * o.hd, .E = o.embed, .M = o.nseq * S};
    const int64_t R = o.depth;

    /* quiet_success: only the reads are waited for; a failure still comes
     * back as an event (and cancels the reads that depend on it). */
    ordo_client_t *c = NULL;
    ordo_client_opts_t copts = {.quiet_success = 1, .connect_timeout_ms = 10000,
                                .request_timeout_ms = 30000};
    int rc = ordo_client_new(&c, o.endpoint, &copts);
    if (rc < 0)
        s_die("connecting", rc);

    /* Host data and the reference's state. */
    s_ref_t ref = {
        .cache = s_alloc((size_t)(g.nseq * g.W * g.D) * sizeof(float)),
        .w = s_alloc((size_t)(g.E * 3 * g.hd) * sizeof(float)),
        .x = s_alloc((size_t)(g.M * g.E) * sizeof(float)),
        .q = s_alloc((size_t)(g.M * g.hd) * sizeof(float)),
        .kv = s_alloc((size_t)(g.M * g.D) * sizeof(float)),
        .win = s_alloc((size_t)(g.nseq * g.L * g.D) * sizeof(float)),
        .out = s_alloc((size_t)(g.M * g.hd) * sizeof(float)),
        .idx = s_alloc((size_t)(g.W / 2 * g.nseq * g.L) * sizeof(int32_t)),
    };
    s_weights(&g, ref.w);
    s_prefill(&g, o.seed, ref.cache);
    s_indices(&g, ref.idx);
    float *hx = s_alloc((size_t)(g.M * g.E) * sizeof(float));
    float *hout = s_alloc((size_t)(R * g.M * g.hd) * sizeof(float));
    uint64_t *reads = s_alloc((size_t)R * sizeof *reads);

    /* The weights: shared, named. */
    uint64_t wid, wb = o.creator ? s_weights_create(c, &o, &g, ref.w, &wid)
                                 : s_weights_open(c, &o, &g, &wid);

    /* Private buffers: the cache, the window index table and the rings. */
    uint64_t cb, ib, xb, qb, kvb, winb, outb;
    if ((rc = ordo_buffer_create(c, (uint64_t)(g.nseq * g.W * g.D) * 4, NULL, &cb)) < 0 ||
        (rc = ordo_buffer_create(c, (uint64_t)(g.W / 2 * g.nseq * g.L) * 4, NULL, &ib)) < 0 ||
        (rc = ordo_buffer_create(c, (uint64_t)(R * g.M * g.E) * 4, NULL, &xb)) < 0 ||
        (rc = ordo_buffer_create(c, (uint64_t)(R * g.M * g.hd) * 4, NULL, &qb)) < 0 ||
        (rc = ordo_buffer_create(c, (uint64_t)(R * g.M * g.D) * 4, NULL, &kvb)) < 0 ||
        (rc = ordo_buffer_create(c, (uint64_t)(R * g.nseq * g.L * g.D) * 4, NULL, &winb)) < 0 ||
        (rc = ordo_buffer_create(c, (uint64_t)(R * g.M * g.hd) * 4, NULL, &outb)) < 0)
        s_die("creating buffers", rc);

    /* The cache through two reshapes of one flat view: rows [NSEQ*W, D]
     * for the gather, [NSEQ, W, D] for the write-back. */
    ordo_tensor_t cflat, crows, cseq, itab, wview;
    ordo_tensor_init(&cflat, cb, ORDO_F32, 0, 1, (int64_t[]){g.nseq * g.W * g.D}, NULL);
    if (ordo_tensor_reshape(&crows, &cflat, 2, (int64_t[]){g.nseq * g.W, g.D}) < 0)
        s_die("reshape", -1);
    cseq = s_reshape3(&cflat, g.nseq, g.W, g.D);
    ordo_tensor_init(&itab, ib, ORDO_I32, 0, 2, (int64_t[]){g.W / 2, g.nseq * g.L}, NULL);
    ordo_tensor_init(&wview, wb, ORDO_F32, 0, 2, (int64_t[]){g.E, 3 * g.hd}, NULL);

    uint64_t id;
    if ((rc = ordo_write(c, &cflat, ref.cache, (size_t)(g.nseq * g.W * g.D) * 4, &id)) < 0 ||
        (rc = ordo_write(c, &itab, ref.idx, (size_t)(g.W / 2 * g.nseq * g.L) * 4, &id)) < 0)
        s_die("writing the prefill", rc);

    printf("%s session %u: %ld sequences x %d tokens/step, window %lld + self (ring of %lld "
           "slots), hd %lld, %s\n",
           s_label, ordo_client_session(c), o.nseq, S, (long long)g.L,
           (long long)g.W, (long long)g.hd,
           o.explicit_deps ? "mode explicit (write-back depends on its gather explicitly too)"
                           : "mode derived (no explicit dependency, no self-copy, no forced "
                             "inout)");
    fflush(stdout);

    double t0 = s_now();
    uint64_t tasks = 2, mismatches = 0;
    long done = 0;
    for (long t = 0; t <= o.steps; t++) {
        /* Finish step done (check it) once R-1 steps are in flight: every
         * task of step t-R then precedes a finished task (its slabs are
         * free: the read of step t-R+1 follows the gather of t-R+1, which
         * follows the write-back of t-R). */
        while (done < o.steps && (t == o.steps || t - done >= R - 1)) {
            int64_t r = done % R;
            ordo_event_t ev;
            if ((rc = ordo_wait(c, reads[r], 60000, &ev)) < 0) {
                fprintf(stderr, "%s: step %ld: %s\n", s_label, done, ordo_last_error());
                exit(2);
            }
            s_ref_step(&g, &ref, o.seed, done);
            const float *got = hout + r * g.M * g.hd;
            for (int64_t m = 0; m < g.M; m++) {
                size_t row = (size_t)g.hd * sizeof(float);
                if (memcmp(got + m * g.hd, ref.out + m * g.hd, row) == 0)
                    continue;
                if (++mismatches <= 3)
                    fprintf(stderr, "%s: step %ld sequence %lld token %lld: output differs "
                            "from the reference (%g, expected %g)\n", s_label, done,
                            (long long)(m / S), (long long)(m % S), (double)got[m * g.hd],
                            (double)ref.out[m * g.hd]);
            }
            done++;
        }
        if (t == o.steps)
            break;

        int64_t r = t % R;
        ordo_tensor_t x = s_slab(xb, ORDO_F32, r, g.M, g.E),
                      q = s_slab(qb, ORDO_F32, r, g.M, g.hd),
                      kv = s_slab(kvb, ORDO_F32, r, g.M, g.D),
                      win = s_slab(winb, ORDO_F32, r, g.nseq * g.L, g.D),
                      out = s_slab(outb, ORDO_F32, r, g.M, g.hd), idx, slots;
        ordo_tensor_index(&idx, &itab, 0, t % (g.W / 2));
        int64_t slot = (2 * t) % g.W;
        ordo_tensor_slice(&slots, &cseq, 1, slot, slot + S, 1);
        ordo_tensor_t q3 = s_reshape3(&q, g.nseq, S, g.hd),
                      win3 = s_reshape3(&win, g.nseq, g.L, g.D),
                      kv3 = s_reshape3(&kv, g.nseq, S, g.D),
                      out3 = s_reshape3(&out, g.nseq, S, g.hd);

        s_tokens(&g, o.seed, t, hx);
        if ((rc = ordo_write(c, &x, hx, (size_t)(g.M * g.E) * 4, &id)) < 0)
            s_die("host_write of the tokens", rc);
        ordo_access_t pa[] = {{&x, ORDO_IN}, {&wview, ORDO_IN}, {&q, ORDO_OUT},
                              {&kv, ORDO_OUT}};
        ordo_submit_t proj = {.kernel = "kv_project", .args = pa, .nargs = 4};
        if ((rc = ordo_submit(c, &proj, &id)) < 0)
            s_die("submitting kv_project", rc);
        ordo_access_t ga[] = {{&crows, ORDO_IN}, {&idx, ORDO_IN}, {&win, ORDO_OUT}};
        ordo_submit_t gather = {.kernel = "gather_kv", .args = ga, .nargs = 3};
        uint64_t gid;
        if ((rc = ordo_submit(c, &gather, &gid)) < 0)
            s_die("submitting gather_kv", rc);
        ordo_access_t aa[] = {{&q3, ORDO_IN}, {&win3, ORDO_IN}, {&kv3, ORDO_IN},
                              {&out3, ORDO_OUT}};
        ordo_submit_t attn = {.kernel = "sparse_attn", .args = aa, .nargs = 4};
        if ((rc = ordo_submit(c, &attn, &id)) < 0)
            s_die("submitting sparse_attn", rc);
        ordo_access_t wa[] = {{&slots, ORDO_OUT}, {&kv3, ORDO_IN}};
        ordo_submit_t wback = {.kernel = "cache_writeback", .args = wa, .nargs = 2};
        if (o.explicit_deps) {
            wback.deps = &gid;
            wback.ndeps = 1;
        }
        if ((rc = ordo_submit(c, &wback, &id)) < 0)
            s_die("submitting cache_writeback", rc);
        if ((rc = ordo_read(c, &out, hout + r * g.M * g.hd, (size_t)(g.M * g.hd) * 4,
                            &reads[r])) < 0)
            s_die("host_read of the outputs", rc);
        tasks += 6;
    }
    /* The last write-backs: every task must have ended well. */
    if ((rc = ordo_wait_idle(c, 60000)) < 0)
        s_die("waiting for the last tasks", rc);
    double t1 = s_now();
    ordo_event_t evs[16];
    int n, failed = 0;
    while ((n = ordo_poll(c, evs, 16, 0)) > 0)
        for (int i = 0; i < n; i++, failed++)
            fprintf(stderr, "%s: task %#llx: %s\n", s_label, (unsigned long long)evs[i].id,
                    evs[i].error);
    if (n < 0)
        s_die("collecting events", n);
    if (failed)
        s_die("some tasks failed", 0);

    double secs = t1 - t0 > 0 ? t1 - t0 : 1e-9;
    printf("%s steps=%ld tokens=%lld mismatches=%llu steps_per_s=%.0f tasks=%llu "
           "seconds=%.3f: %s\n",
           s_label, o.steps, (long long)(o.steps * g.M), (unsigned long long)mismatches,
           (double)o.steps / secs, (unsigned long long)tasks, secs,
           mismatches ? "MISMATCH (outputs differ from the sequential reference)"
                      : "every output bit-identical to the sequential reference");
    fflush(stdout);

    if (o.status) {
        char *text = NULL;
        rc = ordo_status_query(o.status_endpoint, "status", NULL, 0, 0, 5000, &text);
        if (rc == 0 && text)
            printf("%s", text);
        else
            fprintf(stderr, "%s: status: %s\n", s_label, ordo_last_error());
        ordo_free(text);
    }

    s_weights_await_opener(&o);
    uint64_t bufs[] = {wb, cb, ib, xb, qb, kvb, winb, outb};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        ordo_buffer_release(c, bufs[i]);
    ordo_client_destroy(&c);
    free(ref.cache);
    free(ref.w);
    free(ref.x);
    free(ref.q);
    free(ref.kv);
    free(ref.win);
    free(ref.out);
    free(ref.idx);
    free(hx);
    free(hout);
    free(reads);
    return mismatches ? 1 : 0;
}
