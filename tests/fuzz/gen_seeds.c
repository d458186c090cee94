/*
 * gen_seeds.c - writes the seed corpus of the fuzz harnesses, so that the
 * seeds are reproducible and reviewable as code:
 *
 *     gen_seeds OUTDIR     writes OUTDIR/fuzz_dwire/, OUTDIR/fuzz_view/ and
 *                          OUTDIR/fuzz_cwire/
 *
 * (make fuzz-seeds runs it on tests/fuzz/corpus.)  fuzz_dwire seeds are
 * ClientMsg encodings: every message kind, each built-in kernel with valid
 * arguments on the harness's buffers (fuzz_dwire.c: ids 1-5), the views of
 * DESIGN.md's bug class, explicit dependencies (past, repeated, self,
 * future), failures that cancel, a Submit larger than the graph window, and
 * one of each kind of bad input.  fuzz_view seeds follow the byte format of
 * fuzz_view.c.  fuzz_cwire seeds are ServerMsg encodings: Completions with
 * every field zero or not (negative codes, errors and data across the
 * one-byte length), many items, the other kinds, and Completions that the
 * client's own reader leaves to protobuf-c (a field twice, an unknown
 * field, two completions fields).  The generator leaks what it builds: it
 * runs once and exits.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ordo.pb-c.h"
#include "ordo.h"

static const char *s_out;

static void s_die(const char *what)
{
    perror(what);
    exit(1);
}

static void s_write(const char *harness, const char *name, const void *p, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", s_out, harness);
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        s_die(path);
    snprintf(path, sizeof path, "%s/%s/%s", s_out, harness, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0)
        s_die(path);
}

static void *s_alloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (!p)
        s_die("calloc");
    return p;
}

/* ------------------------------------------------------------------ */
/* fuzz_dwire: ClientMsg seeds                                          */

#define ID(seq) ORDO_TASK_ID(1, (seq))

typedef struct {
    uint64_t buf;
    int dtype;
    int64_t off;
    int nd;
    int64_t shape[ORDO_MAX_NDIM + 1], strides[ORDO_MAX_NDIM + 1];
    int mode;
} a_t;

static Ordo__V1__Arg *s_arg(const a_t *a)
{
    Ordo__V1__View *v = s_alloc(sizeof *v);
    ordo__v1__view__init(v);
    v->buffer = a->buf;
    v->dtype = (uint32_t)a->dtype;
    v->offset = a->off;
    v->n_shape = v->n_strides = (size_t)a->nd;
    v->shape = s_alloc(sizeof(int64_t) * (size_t)(a->nd + 1));
    v->strides = s_alloc(sizeof(int64_t) * (size_t)(a->nd + 1));
    memcpy(v->shape, a->shape, sizeof(int64_t) * (size_t)a->nd);
    memcpy(v->strides, a->strides, sizeof(int64_t) * (size_t)a->nd);
    Ordo__V1__Arg *arg = s_alloc(sizeof *arg);
    ordo__v1__arg__init(arg);
    arg->view = v;
    arg->mode = (Ordo__V1__Mode)a->mode;
    return arg;
}

typedef struct {
    uint64_t id;
    const char *kernel;
    int nargs;
    a_t args[4];
    const void *params;
    size_t nparams;
    uint64_t deps[4];
    int ndeps;
    const void *data;
    size_t ndata;
} t_t;

static Ordo__V1__Task *s_task(const t_t *t)
{
    Ordo__V1__Task *pb = s_alloc(sizeof *pb);
    ordo__v1__task__init(pb);
    pb->id = t->id;
    pb->kernel = (char *)t->kernel;
    pb->n_args = (size_t)t->nargs;
    pb->args = s_alloc(sizeof *pb->args * (size_t)(t->nargs + 1));
    for (int j = 0; j < t->nargs; j++)
        pb->args[j] = s_arg(&t->args[j]);
    pb->params.data = (uint8_t *)t->params;
    pb->params.len = t->nparams;
    pb->n_deps = (size_t)t->ndeps;
    pb->deps = (uint64_t *)t->deps;
    pb->data.data = (uint8_t *)t->data;
    pb->data.len = t->ndata;
    return pb;
}

static void s_emit(const char *name, Ordo__V1__ClientMsg *msg)
{
    size_t n = ordo__v1__client_msg__get_packed_size(msg);
    uint8_t *buf = s_alloc(n);
    ordo__v1__client_msg__pack(msg, buf);
    s_write("fuzz_dwire", name, buf, n);
    free(buf);
}

static void s_submit(const char *name, const t_t *tasks, size_t n)
{
    Ordo__V1__Submit *s = s_alloc(sizeof *s);
    ordo__v1__submit__init(s);
    s->n_tasks = n;
    s->tasks = s_alloc(sizeof *s->tasks * (n + 1));
    for (size_t i = 0; i < n; i++)
        s->tasks[i] = s_task(&tasks[i]);
    Ordo__V1__ClientMsg msg = ORDO__V1__CLIENT_MSG__INIT;
    msg.msg_case = ORDO__V1__CLIENT_MSG__MSG_SUBMIT;
    msg.submit = s;
    s_emit(name, &msg);
}

/* A contiguous 1-d view of n elements at element offset off. */
#define V1(b, dt, o, n, m) {.buf = (b), .dtype = (dt), .off = (o), .nd = 1, \
                            .shape = {(n)}, .strides = {1}, .mode = (m)}
/* A 2-d view. */
#define V2(b, dt, o, n0, n1, s0, s1, m) {.buf = (b), .dtype = (dt), .off = (o), .nd = 2, \
        .shape = {(n0), (n1)}, .strides = {(s0), (s1)}, .mode = (m)}

static const uint8_t s_f64_two[8] = {0, 0, 0, 0, 0, 0, 0, 0x40};   /* 2.0 */
static const uint8_t s_f64_half[8] = {0, 0, 0, 0, 0, 0, 0xe0, 0x3f}; /* 0.5 */
static const uint8_t s_f64_big[8] = {0, 0, 0, 0, 0, 0, 0xf0, 0x43};  /* 2^64 */
static const uint8_t s_u64_zero[8] = {0};

static void s_dwire_seeds(void)
{
    /* Every message kind but Submit. */
    {
        Ordo__V1__Hello h = ORDO__V1__HELLO__INIT;
        h.protocol = "ordo";
        h.major = 1;
        h.client = "gen_seeds 1234";
        Ordo__V1__ClientMsg msg = ORDO__V1__CLIENT_MSG__INIT;
        msg.msg_case = ORDO__V1__CLIENT_MSG__MSG_HELLO;
        msg.hello = &h;
        s_emit("hello", &msg);
        h.major = 2;
        s_emit("hello-wrong-version", &msg);
        static const uint8_t token[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
        h.major = 1;
        h.resume_session = 7;
        h.resume_token.data = (uint8_t *)token;
        h.resume_token.len = sizeof token;
        s_emit("hello-resume", &msg);
    }
    {
        Ordo__V1__BufferCreate b = ORDO__V1__BUFFER_CREATE__INIT;
        b.req = 1;
        b.size = 4096;
        b.name = "kv-cache";
        Ordo__V1__ClientMsg msg = ORDO__V1__CLIENT_MSG__INIT;
        msg.msg_case = ORDO__V1__CLIENT_MSG__MSG_BUFFER_CREATE;
        msg.buffer_create = &b;
        s_emit("buffer-create", &msg);
        Ordo__V1__BufferOpen o = ORDO__V1__BUFFER_OPEN__INIT;
        o.req = 2;
        o.name = "kv-cache";
        msg.msg_case = ORDO__V1__CLIENT_MSG__MSG_BUFFER_OPEN;
        msg.buffer_open = &o;
        s_emit("buffer-open", &msg);
        Ordo__V1__BufferRelease r = ORDO__V1__BUFFER_RELEASE__INIT;
        r.req = 3;
        r.buffer = 2;
        msg.msg_case = ORDO__V1__CLIENT_MSG__MSG_BUFFER_RELEASE;
        msg.buffer_release = &r;
        s_emit("buffer-release", &msg);
        Ordo__V1__Heartbeat hb = ORDO__V1__HEARTBEAT__INIT;
        hb.req = 4;
        msg.msg_case = ORDO__V1__CLIENT_MSG__MSG_HEARTBEAT;
        msg.heartbeat = &hb;
        s_emit("heartbeat", &msg);
        static uint64_t ids[] = {ID(1), ID(2), 99};
        Ordo__V1__Watch w = ORDO__V1__WATCH__INIT;
        w.n_ids = 3;
        w.ids = ids;
        msg.msg_case = ORDO__V1__CLIENT_MSG__MSG_WATCH;
        msg.watch = &w;
        s_emit("watch", &msg);
        Ordo__V1__Bye bye = ORDO__V1__BYE__INIT;
        msg.msg_case = ORDO__V1__CLIENT_MSG__MSG_BYE;
        msg.bye = &bye;
        s_emit("bye", &msg);
    }
    /* A StatusRequest (the status socket's decoder sees every input too). */
    {
        Ordo__V1__StatusRequest r = ORDO__V1__STATUS_REQUEST__INIT;
        static char *args[] = {"--limit", "10"};
        r.command = "tasks";
        r.json = 1;
        r.n_args = 2;
        r.args = args;
        size_t n = ordo__v1__status_request__get_packed_size(&r);
        uint8_t *buf = s_alloc(n);
        ordo__v1__status_request__pack(&r, buf);
        s_write("fuzz_dwire", "status-request", buf, n);
        free(buf);
    }
    /* Truncated and empty messages. */
    s_write("fuzz_dwire", "empty", "", 0);
    s_write("fuzz_dwire", "truncated", "\x12\x10\x0a\x0e\x08\x81\x80", 7);

    /* Each built-in kernel, valid. */
    static const float row[4] = {1, 2, 3, 4};
    static const int32_t idx0[2] = {0, 0};
    {
        t_t t[] = {
            {ID(1), "host_write", 1, {V1(2, ORDO_F32, 0, 4, ORDO_OUT)}, .data = row,
             .ndata = sizeof row},
            {ID(2), "copy", 2, {V1(2, ORDO_F32, 4, 4, ORDO_OUT), V1(2, ORDO_F32, 0, 4, ORDO_IN)}},
            {ID(3), "scale", 1, {V1(2, ORDO_F32, 4, 4, ORDO_INOUT)}, s_f64_two, 8},
            {ID(4), "axpy", 2, {V1(2, ORDO_F32, 0, 4, ORDO_INOUT), V1(2, ORDO_F32, 4, 4, ORDO_IN)},
             s_f64_half, 8},
            {ID(5), "fill", 1, {V1(1, ORDO_I16, 0, 32, ORDO_OUT)}, s_f64_two, 8},
            {ID(6), "host_read", 1, {V1(2, ORDO_F32, 0, 8, ORDO_IN)}},
            {ID(7), "noop", 0},
            {ID(8), "sleep", 0, .params = s_u64_zero, .nparams = 8},
        };
        s_submit("submit-kernels", t, sizeof t / sizeof t[0]);
    }
    {
        /* KV cache: gather rows of [8,4] f32 through one view, write back in
         * place through a transposed reshape of the same bytes. */
        t_t t[] = {
            {ID(1), "host_write", 1, {V1(1, ORDO_I32, 0, 2, ORDO_OUT)}, .data = idx0,
             .ndata = sizeof idx0},
            {ID(2), "gather_rows", 3, {V2(2, ORDO_F32, 256, 2, 4, 4, 1, ORDO_OUT),
                                       V2(2, ORDO_F32, 0, 8, 4, 4, 1, ORDO_IN),
                                       V1(1, ORDO_I32, 0, 2, ORDO_IN)}},
            {ID(3), "scatter_rows", 3, {V2(2, ORDO_F32, 0, 8, 4, 4, 1, ORDO_OUT),
                                        V2(2, ORDO_F32, 256, 2, 4, 4, 1, ORDO_IN),
                                        V1(1, ORDO_I32, 0, 2, ORDO_IN)}},
            {ID(4), "scale", 1, {V2(2, ORDO_F32, 0, 4, 8, 1, 4, ORDO_INOUT)}, s_f64_two, 8},
            {ID(5), "copy", 2, {V2(2, ORDO_F32, 512, 4, 4, 4, 1, ORDO_OUT),
                                V2(2, ORDO_F32, 2, 4, 4, 8, 1, ORDO_IN)}},
        };
        s_submit("submit-kvcache", t, sizeof t / sizeof t[0]);
    }
    {
        /* Interleaved column blocks (disjoint), broadcast, negative strides. */
        t_t t[] = {
            {ID(1), "fill", 1, {V2(3, ORDO_F64, 0, 16, 4, 8, 1, ORDO_OUT)}, s_f64_two, 8},
            {ID(2), "fill", 1, {V2(3, ORDO_F64, 4, 16, 4, 8, 1, ORDO_OUT)}, s_f64_half, 8},
            {ID(3), "copy", 2, {V2(3, ORDO_F64, 1024, 16, 4, 4, 1, ORDO_OUT),
                                V2(3, ORDO_F64, 0, 16, 4, 0, 1, ORDO_IN)}},
            {ID(4), "copy", 2, {V1(3, ORDO_F64, 2048, 16, ORDO_OUT),
                                {.buf = 3, .dtype = ORDO_F64, .off = 127, .nd = 1,
                                 .shape = {16}, .strides = {-8}, .mode = ORDO_IN}}},
            {ID(5), "axpy", 2, {V1(3, ORDO_F64, 2048, 16, ORDO_INOUT),
                                {.buf = 3, .dtype = ORDO_F64, .off = 2063, .nd = 1,
                                 .shape = {16}, .strides = {-1}, .mode = ORDO_IN}}, s_f64_two, 8},
            {ID(6), "host_read", 1, {{.buf = 3, .dtype = ORDO_F64, .off = 0, .nd = 0,
                                      .mode = ORDO_IN}}},
        };
        s_submit("submit-strided", t, sizeof t / sizeof t[0]);
    }
    {
        /* Explicit dependencies: past, repeated, self, future, unknown; a
         * failure that cancels its dependents. */
        static const char why[] = "injected";
        t_t t[] = {
            {ID(1), "noop", 0},
            {ID(2), "fail", 0, .params = why, .nparams = sizeof why - 1},
            {ID(3), "noop", 0, .deps = {ID(1), ID(1), ID(2)}, .ndeps = 3},
            {ID(4), "fill", 1, {V1(1, ORDO_U8, 0, 64, ORDO_OUT)}, s_f64_two, 8,
             .deps = {ID(3)}, .ndeps = 1},
            {ID(5), "noop", 0, .deps = {ID(5)}, .ndeps = 1},
            {ID(6), "noop", 0, .deps = {ID(9)}, .ndeps = 1},
            {ID(7), "noop", 0, .deps = {ORDO_TASK_ID(2, 1)}, .ndeps = 1},
            {ID(8), "noop", 0, .deps = {ID(6), ID(1)}, .ndeps = 2},
        };
        s_submit("submit-deps", t, sizeof t / sizeof t[0]);
    }
    {
        /* More tasks than the window (16): an in-place chain on one buffer. */
        t_t t[24];
        memset(t, 0, sizeof t);
        for (int i = 0; i < 24; i++) {
            t[i] = (t_t){ID((uint64_t)i + 1), "scale", 1,
                         {V1(2, ORDO_F64, (i % 4) * 8, 16, ORDO_INOUT)}, s_f64_two, 8};
        }
        s_submit("submit-window", t, 24);
    }
    {
        /* One of each bad task; the daemon rejects each and goes on. */
        t_t t[] = {
            {ID(1), "nosuchkernel", 0},
            {ID(2), "copy", 1, {V1(2, ORDO_F32, 0, 4, ORDO_OUT)}},
            {ID(3), "copy", 2, {V1(2, ORDO_F32, 0, 4, ORDO_OUT), V1(2, ORDO_F64, 8, 4, ORDO_IN)}},
            {ID(4), "copy", 2, {V1(2, ORDO_F32, 0, 4, ORDO_IN), V1(2, ORDO_F32, 8, 4, ORDO_IN)}},
            {ID(5), "fill", 1, {V1(2, ORDO_F32, 0, 4, ORDO_OUT)}, s_f64_two, 4},
            {ID(6), "fill", 1, {V1(2, ORDO_U64, 0, 4, ORDO_OUT)}, s_f64_big, 8},
            {ID(7), "fill", 1, {V1(2, ORDO_F32, 1020, 8, ORDO_OUT)}, s_f64_two, 8},
            {ID(8), "fill", 1, {V1(9, ORDO_F32, 0, 4, ORDO_OUT)}, s_f64_two, 8},
            {ID(9), "fill", 1, {{.buf = 2, .dtype = ORDO_F32, .nd = 2, .shape = {-1, 4},
                                 .strides = {4, 1}, .mode = ORDO_OUT}}, s_f64_two, 8},
            {ID(10), "fill", 1, {{.buf = 4, .dtype = ORDO_F32, .nd = 2,
                                  .shape = {INT64_MAX, 2}, .strides = {INT64_MAX, 1},
                                  .mode = ORDO_OUT}}, s_f64_two, 8},
            {ID(11), "fill", 1, {{.buf = 2, .dtype = 0, .nd = 1, .shape = {4}, .strides = {1},
                                  .mode = ORDO_OUT}}, s_f64_two, 8},
            {ID(12), "fill", 1, {{.buf = 2, .dtype = ORDO_F32, .nd = 1, .shape = {4},
                                  .strides = {1}, .mode = 0}}, s_f64_two, 8},
            {ID(13), "host_write", 1, {V1(2, ORDO_F32, 0, 4, ORDO_OUT)}, .data = row, .ndata = 3},
            {ID(14), "gather_rows", 3, {V2(2, ORDO_F32, 256, 2, 4, 4, 1, ORDO_OUT),
                                        V2(2, ORDO_F32, 0, 8, 4, 4, 1, ORDO_IN),
                                        V1(2, ORDO_F32, 0, 2, ORDO_IN)}},
            {ID(15), "host_read", 1, {{.buf = 4, .dtype = ORDO_F64, .nd = 1,
                                       .shape = {INT64_C(1) << 40}, .strides = {0},
                                       .mode = ORDO_IN}}},
            {ID(17), "noop", 0},        /* out of sequence */
            {ID(16), "fill", 1, {{.buf = 3, .dtype = ORDO_U8, .off = 65536, .nd = 1,
                                  .shape = {0}, .strides = {1}, .mode = ORDO_OUT}},
             s_f64_two, 8},
        };
        s_submit("submit-bad", t, sizeof t / sizeof t[0]);
    }
    {
        /* ndim 8 with broadcast, and a 9-d view (refused). */
        t_t t[] = {
            {ID(1), "fill", 1, {{.buf = 1, .dtype = ORDO_U8, .nd = 8,
                                 .shape = {2, 2, 2, 2, 2, 2, 2, 3},
                                 .strides = {1, 2, 4, 8, 16, 0, 0, 0}, .mode = ORDO_OUT}},
             s_f64_two, 8},
            {ID(2), "fill", 1, {{.buf = 1, .dtype = ORDO_U8, .nd = 9,
                                 .shape = {1, 1, 1, 1, 1, 1, 1, 1, 1},
                                 .strides = {1, 1, 1, 1, 1, 1, 1, 1, 1}, .mode = ORDO_OUT}},
             s_f64_two, 8},
        };
        s_submit("submit-ndim", t, sizeof t / sizeof t[0]);
    }
}

/* ------------------------------------------------------------------ */
/* fuzz_view: the byte format of fuzz_view.c                            */

typedef struct {
    uint8_t b[512];
    size_t n;
} w_t;

static void w_put(w_t *w, uint64_t v, unsigned width)
{
    for (unsigned i = 0; i < width; i++)
        w->b[w->n++] = (uint8_t)(v >> (8 * i));
}

/* A small view: i16 offset, i8 shapes, i16 strides (each within range). */
static void w_view(w_t *w, int dtype, int ndim, int off, const int *shape, const int *strides)
{
    w_put(w, 0, 1);
    w_put(w, (uint64_t)dtype, 1);
    w_put(w, (uint64_t)(int64_t)ndim, 1);
    w_put(w, (uint64_t)(int64_t)off, 2);
    for (int k = 0; k < ndim && k < ORDO_MAX_NDIM; k++) {
        w_put(w, (uint64_t)(int64_t)shape[k], 1);
        w_put(w, (uint64_t)(int64_t)strides[k], 2);
    }
}

static void w_wide(w_t *w, int dtype, int ndim, int64_t off, const int64_t *shape,
                   const int64_t *strides)
{
    w_put(w, 1, 1);
    w_put(w, (uint64_t)dtype, 1);
    w_put(w, (uint64_t)(int64_t)ndim, 1);
    w_put(w, (uint64_t)off, 8);
    for (int k = 0; k < ndim && k < ORDO_MAX_NDIM; k++) {
        w_put(w, (uint64_t)shape[k], 8);
        w_put(w, (uint64_t)strides[k], 8);
    }
}

#define I(...) ((const int[]){__VA_ARGS__})
#define L(...) ((const int64_t[]){__VA_ARGS__})

static void w_emit(const char *name, w_t *w)
{
    s_write("fuzz_view", name, w->b, w->n);
    w->n = 0;
}

static void s_view_seeds(void)
{
    w_t w = {.n = 0};
    /* Buffer of 4096 bytes: u16 4096, small mode. */
#define SMALL(sz) (w_put(&w, 0, 1), w_put(&w, (sz), 2))
    SMALL(4096);
    w_view(&w, ORDO_F32, 2, 0, I(16, 16), I(16, 1));           /* [16,16] */
    w_view(&w, ORDO_F32, 2, 0, I(16, 16), I(1, 16));           /* its transpose */
    w_emit("transpose", &w);
    SMALL(4096);
    w_view(&w, ORDO_F32, 2, 0, I(16, 4), I(16, 1));            /* columns 0:4 */
    w_view(&w, ORDO_F32, 2, 4, I(16, 4), I(16, 1));            /* columns 4:8 */
    w_emit("column-blocks", &w);
    SMALL(4096);
    w_view(&w, ORDO_F64, 2, 0, I(8, 4), I(8, 2));              /* [:, ::2] */
    w_view(&w, ORDO_F64, 2, 1, I(8, 4), I(8, 2));              /* [:, 1::2] */
    w_emit("step-slices", &w);
    SMALL(4096);
    w_view(&w, ORDO_F32, 3, 0, I(4, 8, 4), I(32, 4, 1));       /* KV reshape */
    w_view(&w, ORDO_F32, 2, 64, I(2, 32), I(32, 1));           /* rows, another reshape */
    w_emit("kv-reshape", &w);
    SMALL(1024);
    w_view(&w, ORDO_U8, 2, 0, I(100, 16), I(0, 1));            /* broadcast */
    w_view(&w, ORDO_U8, 1, 15, I(10), I(-1));                  /* negative stride */
    w_emit("broadcast-negative", &w);
    SMALL(4096);
    w_view(&w, ORDO_I16, 3, 1, I(7, 5, 3), I(97, 13, 3));      /* co-prime strides */
    w_view(&w, ORDO_I16, 3, 2, I(11, 3, 2), I(61, 17, 5));
    w_emit("coprime", &w);
    SMALL(4096);
    w_view(&w, ORDO_U8, 2, 0, I(20, 20), I(7, 3));             /* self-overlapping */
    w_view(&w, ORDO_U8, 1, 40, I(30), I(2));
    w_emit("self-overlap", &w);
    SMALL(4096);
    w_view(&w, ORDO_F64, 0, 511, NULL, NULL);                   /* scalar, last element */
    w_view(&w, ORDO_F64, 1, 512, I(0), I(1));                   /* empty at the end */
    w_emit("scalar-empty", &w);
    SMALL(100);
    w_view(&w, ORDO_F32, 1, 0, I(26), I(1));                    /* one past the buffer */
    w_view(&w, ORDO_F32, 1, -1, I(2), I(1));                    /* negative offset */
    w_emit("outside", &w);
    SMALL(4096);
    w_view(&w, 13, 1, 0, I(2), I(1));                           /* unknown dtype */
    w_view(&w, ORDO_F32, 9, 0, I(1, 1, 1, 1, 1, 1, 1, 1), I(1, 1, 1, 1, 1, 1, 1, 1));
    w_emit("bad-dtype-ndim", &w);
    SMALL(4096);
    w_view(&w, ORDO_F32, 8, 3, I(2, 2, 2, 2, 2, 2, 2, 2), I(512, 256, 128, 64, 32, 16, 8, 1));
    w_view(&w, ORDO_F32, 8, 0, I(2, 2, 2, 2, 2, 2, 2, 2), I(1, 2, 4, 8, 16, 32, 64, 128));
    w_emit("ndim8", &w);
    /* Big buffer (2^48 - 1): 64-bit views, overflow, broadcast. */
    w_put(&w, 1, 1);
    w_put(&w, 2, 2);
    w_wide(&w, ORDO_F64, 2, 0, L(INT64_C(1) << 20, INT64_C(1) << 24), L(INT64_C(1) << 24, 1));
    w_wide(&w, ORDO_F64, 2, 8, L(INT64_C(1) << 20, 8), L(INT64_C(1) << 24, 1));
    w_emit("big-blocks", &w);
    w_put(&w, 1, 1);
    w_put(&w, 0, 2);
    w_wide(&w, ORDO_U8, 2, 0, L(INT64_MAX, 2), L(INT64_MAX, 1));
    w_wide(&w, ORDO_U8, 3, 0, L(INT64_C(1) << 40, INT64_C(1) << 40, 4), L(0, 0, 1));
    w_emit("big-overflow-broadcast", &w);
#undef SMALL
}

/* ---------------------------------------------------------------------- */
/* fuzz_cwire: ServerMsg as the client reads it. */

static void c_emit(const char *name, const Ordo__V1__ServerMsg *msg, const void *extra,
                   size_t nextra)
{
    size_t n = ordo__v1__server_msg__get_packed_size(msg);
    uint8_t *buf = s_alloc(n + nextra);
    ordo__v1__server_msg__pack(msg, buf);
    if (nextra)
        memcpy(buf + n, extra, nextra);
    s_write("fuzz_cwire", name, buf, n + nextra);
    free(buf);
}

static void c_completions(const char *name, Ordo__V1__Completion *items, size_t n,
                          const void *extra, size_t nextra)
{
    Ordo__V1__Completion **ptrs = s_alloc(sizeof *ptrs * (n + 1));
    for (size_t i = 0; i < n; i++)
        ptrs[i] = &items[i];
    Ordo__V1__Completions comps = ORDO__V1__COMPLETIONS__INIT;
    comps.n_items = n;
    comps.items = ptrs;
    Ordo__V1__ServerMsg msg = ORDO__V1__SERVER_MSG__INIT;
    msg.msg_case = ORDO__V1__SERVER_MSG__MSG_COMPLETIONS;
    msg.completions = &comps;
    c_emit(name, &msg, extra, nextra);
}

static void s_cwire_seeds(void)
{
    static char long_error[200];
    static uint8_t bytes[200];
    memset(long_error, 'x', sizeof long_error - 1);
    for (size_t i = 0; i < sizeof bytes; i++)
        bytes[i] = (uint8_t)i;
    Ordo__V1__Completion c[64];
    for (size_t i = 0; i < 64; i++) {
        ordo__v1__completion__init(&c[i]);
        c[i].id = ((uint64_t)1 << 40) + i;
        c[i].status = ORDO__V1__TASK_STATUS__STATUS_DONE;
        c[i].accepted_ns = 1764000000000000000u + i;
        c[i].started_ns = c[i].accepted_ns + 100;
        c[i].finished_ns = c[i].started_ns + 50;
    }
    c_completions("completions_empty", c, 0, NULL, 0);
    c_completions("completions_done", c, 1, NULL, 0);
    c_completions("completions_many", c, 64, NULL, 0);
    Ordo__V1__Completion f[4];
    for (int i = 0; i < 4; i++)
        f[i] = c[i];
    f[0].status = ORDO__V1__TASK_STATUS__STATUS_FAILED;
    f[0].code = ORDO_EFAILED;
    f[0].error = "kernel fill: boom";
    f[1].status = ORDO__V1__TASK_STATUS__STATUS_CANCELLED;
    f[1].code = ORDO_ECANCELED;
    f[1].cause = f[0].id;
    f[1].error = long_error;
    f[2].data.data = bytes;
    f[2].data.len = sizeof bytes;
    ordo__v1__completion__init(&f[3]); /* every field zero */
    c_completions("completions_fields", f, 4, NULL, 0);
    /* Left to protobuf-c: an id given twice, an unknown field (10, varint),
     * a second completions field (merged). */
    static const uint8_t twice[] = {0x1a, 0x06, 0x0a, 0x04, 0x08, 0x01, 0x08, 0x02};
    s_write("fuzz_cwire", "completions_id_twice", twice, sizeof twice);
    static const uint8_t unknown[] = {0x1a, 0x06, 0x0a, 0x04, 0x08, 0x01, 0x50, 0x07};
    s_write("fuzz_cwire", "completions_unknown_field", unknown, sizeof unknown);
    static const uint8_t two[] = {0x1a, 0x04, 0x0a, 0x02, 0x08, 0x01,
                                  0x1a, 0x04, 0x0a, 0x02, 0x08, 0x02};
    s_write("fuzz_cwire", "completions_two_fields", two, sizeof two);
    static const uint8_t cut[] = {0x1a, 0x08, 0x0a, 0x06, 0x08, 0x81, 0x80};
    s_write("fuzz_cwire", "completions_cut", cut, sizeof cut);

    Ordo__V1__Welcome w = ORDO__V1__WELCOME__INIT;
    w.major = 1;
    w.session = 3;
    w.credits = 65536;
    w.next_seq = 1;
    w.daemon = "ordod seed";
    Ordo__V1__ServerMsg msg = ORDO__V1__SERVER_MSG__INIT;
    msg.msg_case = ORDO__V1__SERVER_MSG__MSG_WELCOME;
    msg.welcome = &w;
    c_emit("welcome", &msg, NULL, 0);
    Ordo__V1__Reply r = ORDO__V1__REPLY__INIT;
    r.req = 7;
    r.buffer = 2;
    r.size = 4096;
    msg.msg_case = ORDO__V1__SERVER_MSG__MSG_REPLY;
    msg.reply = &r;
    c_emit("reply", &msg, NULL, 0);
    Ordo__V1__Error e = ORDO__V1__ERROR__INIT;
    e.code = ORDO_EVERSION;
    e.message = "unsupported protocol";
    msg.msg_case = ORDO__V1__SERVER_MSG__MSG_ERROR;
    msg.error = &e;
    c_emit("error", &msg, NULL, 0);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
        return 2;
    }
    s_out = argv[1];
    if (mkdir(s_out, 0777) != 0 && errno != EEXIST)
        s_die(s_out);
    s_dwire_seeds();
    s_view_seeds();
    s_cwire_seeds();
    return 0;
}
