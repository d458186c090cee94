/*
 * fuzz_dwire.c - the daemon's handling of one client message, without
 * sockets: decoding (daemon/dwire.c), the per-task validation that
 * daemon/server.c s_accept and s_prepare do, the engine, and the built-in
 * kernels on real memory.
 *
 * The input is the bytes of one ClientMsg as they would arrive on the
 * ROUTER socket (gen_seeds.c writes valid ones).  The harness plays a daemon
 * with one session (id 1, next sequence 1) that holds five buffers:
 *
 *     id 1: 64 bytes, id 2: 4096 bytes, id 3: 65536 bytes (real memory),
 *     id 4: 2^48 bytes (no memory: checked, never run), id 5: 0 bytes;
 *
 * any other id is unknown.  For a Submit it does for each task what the
 * server does: the sequence check, the kernel lookup, the limits, every
 * argument through ordo_dwire_get_arg, the buffer, ordo_view_check and the
 * element bound, the kernel's check, the host-output bound; then the task
 * goes into a real graph (window 16) and, when ready, its kernel runs on the
 * buffers (sleep excepted; views of at most 2^16 elements).  A task that
 * fails validation is rejected in the graph, as the server does.
 *
 * Properties: the sanitizers and libFuzzer (no crash, leak, undefined
 * behaviour, timeout, or unbounded memory), plus
 *  - every accepted view's canonical footprint lies inside its buffer;
 *  - a kernel writes no byte outside the footprints of its out and inout
 *    arguments (the buffers are compared before and after each run);
 *  - the daemon's own refusals leave a reason in the error buffer, and a
 *    kernel's error text is NUL-terminated within its buffer;
 *  - an encoded completion fits ordo_dwire_completion_bound;
 *  - at the end the graph is empty: every accepted task is done, failed or
 *    cancelled, and no access is left in any index;
 *  - the daemon's Submit fast path and protobuf-c's unpack agree field by
 *    field, and the daemon refuses exactly what protobuf-c refuses
 *    (tests/dwire_diff.h).
 * Other kinds of message are decoded and every field getter is called.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dwire.h"
#include "graph.h"
#include "kernels.h"
#include "ordo_limits.h"
#include "fuzz_common.h"
#include "../dwire_diff.h"

#define FZ_SESSION 1
#define FZ_WINDOW 16
#define FZ_RUN_MAX_ELEMS (1u << 16)     /* elements per argument to run a kernel */
#define FZ_MAX_MESSAGE (64u << 20)      /* the daemon's default message limit */

static const struct {
    uint64_t id, size;
    bool memory;
} s_buftab[] = {
    {1, 64, true},
    {2, 4096, true},
    {3, 65536, true},
    {4, ORDO_MAX_BUFFER_BYTES, false},
    {5, 0, true},
};
#define FZ_NBUF (sizeof s_buftab / sizeof s_buftab[0])

typedef struct {
    ordo_index_t index;
    char *mem;                  /* NULL: no memory (never run) */
    char *before;               /* snapshot around a kernel run */
    uint8_t *allowed;           /* bytes the running kernel may write */
} s_buf_t;

typedef struct {
    const ordo_kernel_t *kernel;
    ordo_karg_t args[ORDO_MAX_TASK_ARGS];
    uint32_t nargs;
    uint32_t bufs[ORDO_MAX_TASK_ARGS];  /* index in s_buftab */
    ordo_dwire_task_t wt;
    bool runnable;
} s_task_t;

typedef struct {
    ordo_kernels_t *kernels;
    ordo_graph_t *graph;
    s_buf_t bufs[FZ_NBUF];
    s_task_t *tasks;
    ordo_arg_t gargs[ORDO_MAX_TASK_ARGS];
    ordo_dwire_buf_t enc;
} s_ctx_t;

static ordo_kernels_t *s_kernels;
static dd_count_t s_diff;       /* the decoders' comparison: how each went */

/* What the regression runner reports (how deep the corpus reaches). */
static struct {
    uint64_t messages, decoded, tasks, sequence, rejected, accepted, graph_refused;
    uint64_t runs, run_failed;
} s_count;

static size_t s_errlen_ok(const char *err, size_t errlen)
{
    size_t n = strnlen(err, errlen);
    FUZZ_ASSERT(n < errlen);
    return n;
}

static int s_find_buffer(uint64_t id)
{
    for (size_t b = 0; b < FZ_NBUF; b++)
        if (s_buftab[b].id == id)
            return (int)b;
    return -1;
}

/* The validation of server.c s_prepare, on the harness's buffers.
 * Returns 0 or the code the daemon would reject the task with. */
static int s_prepare(s_ctx_t *c, const ordo_dwire_msg_t *m, size_t i, s_task_t *t)
{
    const ordo_dwire_task_t *wt = &t->wt;
    char what[ORDO_ERRLEN];
    t->kernel = ordo_kernels_find(c->kernels, wt->kernel);
    if (!t->kernel)
        return ORDO_ENOENT;
    /* The daemon's default limits (its --max-* options; --max-ndim is
     * ORDO_MAX_NDIM, which ordo_dwire_get_arg enforces). */
    if (wt->nargs > ORDO_MAX_TASK_ARGS || wt->ndeps > ORDO_MAX_TASK_DEPS ||
        wt->nparams > ORDO_MAX_PARAMS)
        return ORDO_ELIMIT;
    for (size_t d = 0; d < wt->ndeps; d++)
        if (wt->deps[d] == wt->id)
            return ORDO_EINVAL;
    t->nargs = (uint32_t)wt->nargs;
    t->runnable = true;
    for (uint32_t j = 0; j < t->nargs; j++) {
        uint64_t bid = 0;
        int mode = 0;
        ordo_view_t v;
        what[0] = 0;
        int rc = ordo_dwire_get_arg(m, i, j, &bid, &mode, &v, what, sizeof what);
        if (rc) {
            FUZZ_ASSERT(rc == ORDO_EINVAL && s_errlen_ok(what, sizeof what) > 0);
            return rc;
        }
        FUZZ_ASSERT(mode >= ORDO_IN && mode <= ORDO_INOUT);
        FUZZ_ASSERT(v.ndim >= 0 && v.ndim <= ORDO_MAX_NDIM);
        int b = s_find_buffer(bid);
        if (b < 0)
            return ORDO_ENOENT;
        uint64_t size = s_buftab[b].size;
        what[0] = 0;
        rc = ordo_view_check(&v, size, what, sizeof what);
        if (rc) {
            FUZZ_ASSERT((rc == ORDO_EINVAL || rc == ORDO_ERANGE) &&
                        s_errlen_ok(what, sizeof what) > 0);
            return rc;
        }
        uint64_t n;
        if (!ordo_view_elements(&v, &n))
            return ORDO_ERANGE;
        ordo_fp_t fp;
        ordo_fp_make(&fp, &v);
        FUZZ_ASSERT(fp.lo <= fp.hi && fp.hi <= size);
        FUZZ_ASSERT(ordo_fp_bytes(&fp) <= fp.hi - fp.lo);
        if (!s_buftab[b].memory || n > FZ_RUN_MAX_ELEMS)
            t->runnable = false;
        ordo_karg_t *a = &t->args[j];
        memset(a, 0, sizeof *a);
        a->buffer_bytes = size;
        a->buffer_id = bid;
        a->dtype = v.dtype;
        a->ndim = v.ndim;
        a->offset = v.offset;
        memcpy(a->shape, v.shape, sizeof a->shape);
        memcpy(a->strides, v.strides, sizeof a->strides);
        a->mode = mode;
        t->bufs[j] = (uint32_t)b;
        c->gargs[j].index = &c->bufs[b].index;
        c->gargs[j].view = v;
        c->gargs[j].mode = mode;
    }
    if (t->kernel->check) {
        what[0] = 0;
        ordo_kernel_call_t call = {
            .task = wt->id, .args = t->args, .nargs = t->nargs,
            .params = wt->params, .nparams = wt->nparams,
            .data = wt->data, .ndata = wt->ndata,
            .err = what, .errlen = sizeof what,
        };
        int rc = t->kernel->check(&call);
        if (rc) {
            s_errlen_ok(what, sizeof what);
            return rc < 0 ? rc : ORDO_EINVAL;
        }
    }
    if (t->kernel->flags & ORDO_KERNEL_HOST_OUT) {
        if (t->nargs < 1)
            return ORDO_EINVAL;
        uint64_t n = ordo_karg_elements(&t->args[0]) * ordo_dtype_size(t->args[0].dtype);
        if (n + 4096 > FZ_MAX_MESSAGE)
            return ORDO_ELIMIT;
    }
    if (strcmp(t->kernel->name, "sleep") == 0)
        t->runnable = false;
    return 0;
}

/* Marks the bytes of a view (at most FZ_RUN_MAX_ELEMS elements) in map. */
static void s_mark(const ordo_karg_t *a, uint8_t *map, uint64_t size)
{
    int64_t esize = (int64_t)ordo_dtype_size(a->dtype);
    uint64_t n = ordo_karg_elements(a);
    int64_t idx[ORDO_MAX_NDIM] = {0};
    for (uint64_t e = 0; e < n; e++) {
        int64_t off = a->offset;
        for (int32_t k = 0; k < a->ndim; k++)
            off += idx[k] * a->strides[k];
        FUZZ_ASSERT(off >= 0 && (uint64_t)((off + 1) * esize) <= size);
        memset(map + off * esize, 1, (size_t)esize);
        for (int32_t k = a->ndim - 1; k >= 0; k--) {
            if (++idx[k] < a->shape[k])
                break;
            idx[k] = 0;
        }
    }
}

/* Runs a ready task's kernel on the buffers; returns its code. */
static int s_run(s_ctx_t *c, s_task_t *t)
{
    if (!t->runnable)
        return 0;
    ordo_karg_t args[ORDO_MAX_TASK_ARGS];
    bool used[FZ_NBUF] = {false};
    for (uint32_t j = 0; j < t->nargs; j++) {
        s_buf_t *b = &c->bufs[t->bufs[j]];
        uint64_t size = s_buftab[t->bufs[j]].size;
        args[j] = t->args[j];
        args[j].base = b->mem;
        if (!used[t->bufs[j]]) {
            used[t->bufs[j]] = true;
            memcpy(b->before, b->mem, size);
            memset(b->allowed, 0, size);
        }
        if (args[j].mode & ORDO_OUT)
            s_mark(&args[j], b->allowed, size);
    }
    void *out = NULL;
    size_t nout = 0;
    if (t->kernel->flags & ORDO_KERNEL_HOST_OUT) {
        nout = ordo_karg_elements(&args[0]) * ordo_dtype_size(args[0].dtype);
        out = malloc(nout ? nout : 1);
        FUZZ_ASSERT(out);
    }
    char what[ORDO_ERRLEN] = "";
    ordo_kernel_call_t call = {
        .task = t->wt.id, .args = args, .nargs = t->nargs,
        .params = t->wt.params, .nparams = t->wt.nparams,
        .data = t->wt.data, .ndata = t->wt.ndata,
        .out = out, .nout = nout,
        .err = what, .errlen = sizeof what,
    };
    int rc = t->kernel->run(&call);
    s_count.runs++;
    s_count.run_failed += rc != 0;
    /* (An empty reason is allowed: the executor then uses ordo_strerror.) */
    if (rc) {
        FUZZ_ASSERT(rc < 0);
        s_errlen_ok(what, sizeof what);
    }
    for (size_t b = 0; b < FZ_NBUF; b++) {
        if (!used[b])
            continue;
        for (uint64_t x = 0; x < s_buftab[b].size; x++)
            if (c->bufs[b].mem[x] != c->bufs[b].before[x])
                FUZZ_ASSERT(c->bufs[b].allowed[x]);
    }
    /* What the server would send: one completion within its bound. */
    ordo_dwire_completion_t comp = {
        .id = t->wt.id, .status = rc ? ORDO_STATUS_FAILED : ORDO_STATUS_DONE,
        .code = rc, .error = what, .cause = 0,
        .accepted_ns = UINT64_MAX, .started_ns = UINT64_MAX, .finished_ns = UINT64_MAX,
        .data = out, .ndata = nout,
    };
    FUZZ_ASSERT(ordo_dwire_encode_completions(&c->enc, &comp, 1) == 0);
    FUZZ_ASSERT(c->enc.len <= ordo_dwire_completion_bound(&comp) + 16);
    free(out);
    return rc;
}

/* Runs every ready task (oldest first) until none is ready. */
static void s_drain(s_ctx_t *c)
{
    uint64_t id;
    void *user;
    while (ordo_graph_pop_ready(c->graph, &id, &user) == 0) {
        int rc = s_run(c, user);
        FUZZ_ASSERT((rc ? ordo_graph_fail(c->graph, id) : ordo_graph_complete(c->graph, id))
                    == 0);
        ordo_cancel_t cancel;
        while (ordo_graph_pop_cancel(c->graph, &cancel) == 0)
            ;
    }
    ordo_cancel_t cancel;
    while (ordo_graph_pop_cancel(c->graph, &cancel) == 0)
        ;
}

static void s_submit(s_ctx_t *c, const ordo_dwire_msg_t *m)
{
    size_t n = ordo_dwire_task_count(m);
    c->tasks = calloc(n ? n : 1, sizeof *c->tasks);
    FUZZ_ASSERT(c->tasks);
    uint64_t seq = 1;
    for (size_t i = 0; i < n; i++) {
        s_task_t *t = &c->tasks[i];
        ordo_dwire_get_task(m, i, &t->wt);
        FUZZ_ASSERT(t->wt.kernel != NULL);
        s_count.tasks++;
        if (t->wt.id != ORDO_TASK_ID(FZ_SESSION, seq)) {
            s_count.sequence++;
            continue;       /* refused out of sequence; the id is not taken */
        }
        if (s_prepare(c, m, i, t) != 0) {
            s_count.rejected++;
            FUZZ_ASSERT(ordo_graph_reject(c->graph, t->wt.id) == 0);
            seq++;
            s_drain(c);
            continue;
        }
        ordo_task_desc_t desc = {
            .id = t->wt.id, .args = c->gargs, .nargs = t->nargs,
            .deps = t->wt.deps, .ndeps = (uint32_t)t->wt.ndeps, .user = t,
        };
        char why[ORDO_ERRLEN] = "";
        int rc = ordo_graph_submit(c->graph, &desc, why, sizeof why);
        if (rc == ORDO_EAGAIN) {    /* window full: finish what is ready, retry */
            s_drain(c);
            rc = ordo_graph_submit(c->graph, &desc, why, sizeof why);
            FUZZ_ASSERT(rc != ORDO_EAGAIN);
        }
        if (rc) {
            s_count.graph_refused++;
            s_errlen_ok(why, sizeof why);
            FUZZ_ASSERT(ordo_graph_reject(c->graph, t->wt.id) == 0);
        } else {
            s_count.accepted++;
        }
        seq++;
        ordo_cancel_t cancel;
        while (ordo_graph_pop_cancel(c->graph, &cancel) == 0)
            ;
    }
    s_drain(c);
    ordo_graph_stats_t st;
    ordo_graph_stats(c->graph, &st);
    FUZZ_ASSERT(st.live == 0 && st.waiting == 0 && st.ready == 0 && st.running == 0);
    FUZZ_ASSERT(st.accepted == st.done + st.failed + st.cancelled);
    FUZZ_ASSERT(st.index_accesses == 0);
    for (size_t b = 0; b < FZ_NBUF; b++) {
        FUZZ_ASSERT(ordo_index_live(&c->bufs[b].index) == 0);
        FUZZ_ASSERT(ordo_itree_check(&c->bufs[b].index.tree));
    }
    free(c->tasks);
    c->tasks = NULL;
}

static size_t s_touch(const char *s)
{
    FUZZ_ASSERT(s != NULL);
    return strlen(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!s_kernels) {
        s_kernels = ordo_kernels_new();
        FUZZ_ASSERT(s_kernels);
    }
    /* The status socket's decoder sees the same bytes. */
    ordo_dwire_status_req_t sreq;
    if (ordo_dwire_decode_status(data, size, &sreq) == 0) {
        s_touch(sreq.command);
        for (size_t i = 0; i < sreq.nargs; i++)
            s_touch(sreq.args[i]);
        ordo_dwire_status_req_free(&sreq);
    }

    /* The Submit fast path and protobuf-c agree field by field. */
    const char *diff = dd_check(data, size, &s_diff);
    if (diff) {
        fprintf(stderr, "fuzz_dwire: %s\n", diff);
        FUZZ_ASSERT(diff == NULL);
    }

    ordo_dwire_msg_t *m = NULL;
    char err[ORDO_ERRLEN] = "";
    s_count.messages++;
    int rc = ordo_dwire_decode(data, size, &m, err, sizeof err);
    if (rc) {
        FUZZ_ASSERT(m == NULL && (rc == ORDO_EPROTO || rc == ORDO_ENOMEM));
        FUZZ_ASSERT(s_errlen_ok(err, sizeof err) > 0);
        return 0;
    }
    FUZZ_ASSERT(m != NULL);
    s_count.decoded++;
    s_ctx_t c;
    memset(&c, 0, sizeof c);
    c.kernels = s_kernels;
    ordo_dwire_buf_t *enc = &c.enc;
    switch (ordo_dwire_kind(m)) {
    case ORDO_DWIRE_HELLO: {
        ordo_dwire_hello_t h;
        ordo_dwire_get_hello(m, &h);
        s_touch(h.protocol);
        s_touch(h.client);
        unsigned sum = 0;
        for (size_t i = 0; i < h.resume_token_len; i++)
            sum += h.resume_token[i];
        ordo_dwire_welcome_t w = {
            .session = h.resume_session, .token = h.resume_token,
            .token_len = h.resume_token_len, .credits = sum, .daemon = h.client,
        };
        FUZZ_ASSERT(ordo_dwire_encode_welcome(enc, &w) == 0);
        break;
    }
    case ORDO_DWIRE_BUFFER_CREATE:
    case ORDO_DWIRE_BUFFER_OPEN:
    case ORDO_DWIRE_BUFFER_RELEASE:
    case ORDO_DWIRE_HEARTBEAT: {
        ordo_dwire_request_t r;
        ordo_dwire_get_request(m, &r);
        FUZZ_ASSERT(ordo_dwire_encode_reply(enc, r.req, ORDO_EINVAL, r.name, r.buffer,
                                            r.size) == 0);
        FUZZ_ASSERT(ordo_dwire_encode_error(enc, ORDO_EPROTO, r.name) == 0);
        break;
    }
    case ORDO_DWIRE_WATCH: {
        size_t n = 0;
        const uint64_t *ids = ordo_dwire_get_watch(m, &n);
        uint64_t sum = 0;
        for (size_t i = 0; i < n; i++)
            sum += ids[i];
        (void)sum;
        break;
    }
    case ORDO_DWIRE_SUBMIT: {
        ordo_graph_config_t cfg = {.window = FZ_WINDOW};
        c.graph = ordo_graph_new(&cfg);
        FUZZ_ASSERT(c.graph);
        for (size_t b = 0; b < FZ_NBUF; b++) {
            ordo_index_init(&c.bufs[b].index, s_buftab[b].id, s_buftab[b].size);
            if (s_buftab[b].memory) {
                size_t sz = s_buftab[b].size;
                c.bufs[b].mem = calloc(1, sz ? sz : 1);
                c.bufs[b].before = malloc(sz ? sz : 1);
                c.bufs[b].allowed = malloc(sz ? sz : 1);
                FUZZ_ASSERT(c.bufs[b].mem && c.bufs[b].before && c.bufs[b].allowed);
            }
        }
        /* The server holds a reference per accepted task. */
        ordo_dwire_msg_t *extra = ordo_dwire_msg_ref(m);
        s_submit(&c, m);
        ordo_dwire_msg_unref(&extra);
        FUZZ_ASSERT(extra == NULL);
        ordo_graph_destroy(&c.graph);
        for (size_t b = 0; b < FZ_NBUF; b++) {
            free(c.bufs[b].mem);
            free(c.bufs[b].before);
            free(c.bufs[b].allowed);
        }
        break;
    }
    case ORDO_DWIRE_BYE:
        break;
    default:
        FUZZ_ASSERT(!"unknown kind");
    }
    FUZZ_ASSERT(*ordo_dwire_msg_next(m) == NULL);
    ordo_dwire_buf_free(enc);
    ordo_dwire_msg_unref(&m);
    FUZZ_ASSERT(m == NULL);
    return 0;
}

static void fz_report(void)
{
    printf("messages %llu (decoded %llu); tasks %llu: out of sequence %llu, rejected %llu, "
           "refused by the graph %llu, accepted %llu; kernel runs %llu (failed %llu)\n",
           (unsigned long long)s_count.messages, (unsigned long long)s_count.decoded,
           (unsigned long long)s_count.tasks, (unsigned long long)s_count.sequence,
           (unsigned long long)s_count.rejected, (unsigned long long)s_count.graph_refused,
           (unsigned long long)s_count.accepted, (unsigned long long)s_count.runs,
           (unsigned long long)s_count.run_failed);
    printf("decoders: fast path %lu, protobuf-c only %lu, refused %lu\n", s_diff.fast,
           s_diff.fallback, s_diff.refused);
    ordo_kernels_destroy(&s_kernels);
}
