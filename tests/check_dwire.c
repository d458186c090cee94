/*
 * check_dwire.c - the daemon's protobuf wrapper: decoding of hostile and
 * malformed client messages, structural checks of arguments, and the
 * encoders (decoded back with the generated code).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ordo.pb-c.h"
#include "dwire.h"
#include "dwire_diff.h"
#include "pbtest.h"

static uint8_t *s_pack(const Ordo__V1__ClientMsg *m, size_t *n)
{
    *n = ordo__v1__client_msg__get_packed_size(m);
    uint8_t *buf = malloc(*n ? *n : 1);
    ordo__v1__client_msg__pack(m, buf);
    return buf;
}

/* ------------------------------------------------------------------ */
/* The differential test of the Submit fast path (dwire_diff.h).       */
/*
 * A random encoder of Submits that uses the freedom protobuf gives an
 * encoder: fields in any order, repeated scalars packed, unpacked, or split
 * over several packed runs, scalars and strings repeated (the last one
 * wins), non-minimal varints in keys, lengths and values, unknown fields of
 * every wire type at every level, values that need 10 bytes, enum values
 * past 32 bits.  Valid messages must all take the fast path (unless the
 * generator made a shape it leaves to protobuf-c on purpose); mutations of
 * them (flipped, set, inserted, deleted bytes, truncation) must give the
 * same answer through both decoders.
 */

typedef struct {
    uint8_t *d;
    size_t n, cap;
} s_w_t;

static uint64_t s_gen_rng = 0x9e3779b97f4a7c15ull;

static uint64_t s_gen_rand(void)
{
    s_gen_rng ^= s_gen_rng << 13;
    s_gen_rng ^= s_gen_rng >> 7;
    s_gen_rng ^= s_gen_rng << 17;
    return s_gen_rng;
}

/* True with probability 1/n. */
static bool s_one_in(unsigned n)
{
    return s_gen_rand() % n == 0;
}

static void s_w_put(s_w_t *w, const void *p, size_t n)
{
    if (w->n + n > w->cap) {
        w->cap = (w->n + n) * 2 + 64;
        w->d = realloc(w->d, w->cap);
        ck_assert_ptr_nonnull(w->d);
    }
    if (n)
        memcpy(w->d + w->n, p, n);
    w->n += n;
}

/* A varint, now and then padded to more bytes than it needs (at most
 * maxlen: protobuf-c reads values of up to 10 bytes, the fast path keys
 * and lengths of up to 4). */
static void s_w_varint_max(s_w_t *w, uint64_t v, unsigned maxlen)
{
    uint8_t b[10];
    unsigned n = 0;
    do {
        b[n++] = (uint8_t)(v & 0x7f);
        v >>= 7;
    } while (v);
    if (s_one_in(16)) {
        unsigned extra = (unsigned)(s_gen_rand() % 3) + 1;
        while (extra-- && n < maxlen)
            b[n++] = 0;
    }
    for (unsigned i = 0; i + 1 < n; i++)
        b[i] |= 0x80;
    s_w_put(w, b, n);
}

static void s_w_varint(s_w_t *w, uint64_t v)
{
    s_w_varint_max(w, v, 10);
}

static void s_w_key(s_w_t *w, uint32_t field, unsigned wt)
{
    s_w_varint_max(w, (uint64_t)field << 3 | wt, 4);
}

static void s_w_sub(s_w_t *w, uint32_t field, const s_w_t *sub)
{
    s_w_key(w, field, 2);
    s_w_varint_max(w, sub->n, 4);
    s_w_put(w, sub->d, sub->n);
}

/* A value a field of that kind might hold: small, large, negative. */
static uint64_t s_gen_value(void)
{
    switch (s_gen_rand() % 5) {
    case 0: return 0;
    case 1: return s_gen_rand() % 16;
    case 2: return s_gen_rand() % 100000;
    case 3: return (uint64_t)-(int64_t)(s_gen_rand() % 1000);
    default: return s_gen_rand();
    }
}

/* An unknown field (number 9 and up) of wire type 0, 1, 2 or 5. */
static void s_w_unknown(s_w_t *w)
{
    uint32_t field = 9 + (uint32_t)(s_gen_rand() % (s_one_in(4) ? 1u << 20 : 40));
    uint8_t junk[16];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)s_gen_rand();
    switch (s_gen_rand() % 4) {
    case 0:
        s_w_key(w, field, 0);
        s_w_varint(w, s_gen_value());
        break;
    case 1:
        s_w_key(w, field, 1);
        s_w_put(w, junk, 8);
        break;
    case 2: {
        s_w_t sub = { junk, s_gen_rand() % sizeof junk, sizeof junk };
        s_w_sub(w, field, &sub);
        break;
    }
    default:
        s_w_key(w, field, 5);
        s_w_put(w, junk, 4);
    }
}

/* The fields of one message as separate pieces, shuffled and joined. */
typedef struct {
    s_w_t piece[64];
    size_t n;
} s_fields_t;

static s_w_t *s_field(s_fields_t *f)
{
    ck_assert_uint_lt(f->n, 64);
    s_w_t *w = &f->piece[f->n++];
    memset(w, 0, sizeof *w);
    return w;
}

static void s_join(s_fields_t *f, s_w_t *out, bool shuffle)
{
    if (s_one_in(4) && f->n < 64)
        s_w_unknown(s_field(f));
    for (size_t i = f->n; shuffle && i > 1; i--) {
        size_t j = s_gen_rand() % i;
        s_w_t t = f->piece[i - 1];
        f->piece[i - 1] = f->piece[j];
        f->piece[j] = t;
    }
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < f->n; i++) {
        s_w_put(out, f->piece[i].d, f->piece[i].n);
        free(f->piece[i].d);
    }
    f->n = 0;
}

/* A repeated varint field: unpacked values, packed runs, or both. */
static void s_w_repeated(s_fields_t *f, uint32_t field, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t run = 1 + s_gen_rand() % (n - i);
        if (s_one_in(3)) {
            for (size_t k = 0; k < run; k++) {
                s_w_t *w = s_field(f);
                s_w_key(w, field, 0);
                s_w_varint(w, s_gen_value());
            }
        } else {
            s_w_t body = { 0 };
            for (size_t k = 0; k < run; k++)
                s_w_varint(&body, s_gen_value());
            s_w_sub(s_field(f), field, &body);
            free(body.d);
        }
        i += run;
    }
    if (s_one_in(8)) /* an empty packed run */
        s_w_sub(s_field(f), field, &(s_w_t){ 0 });
}

/* A scalar field, now and then given twice or three times. */
static void s_w_scalar(s_fields_t *f, uint32_t field, bool shuffle)
{
    unsigned times = s_one_in(6) ? 2 + (unsigned)(s_gen_rand() % 2) : 1;
    (void)shuffle;
    while (times--) {
        s_w_t *w = s_field(f);
        s_w_key(w, field, 0);
        s_w_varint(w, s_gen_value());
    }
}

static void s_w_bytes(s_fields_t *f, uint32_t field, size_t maxlen)
{
    unsigned times = s_one_in(6) ? 2 : 1;
    while (times--) {
        uint8_t b[32];
        size_t n = maxlen ? s_gen_rand() % (maxlen + 1) : 0;
        for (size_t i = 0; i < n; i++)
            b[i] = (uint8_t)(s_one_in(8) ? s_gen_rand() : 'a' + s_gen_rand() % 26);
        s_w_t v = { b, n, sizeof b };
        s_w_sub(s_field(f), field, &v);
    }
}

static void s_gen_view(s_w_t *out)
{
    s_fields_t f = { .n = 0 };
    bool shuffle = !s_one_in(3);
    for (uint32_t field = 1; field <= 3; field++)
        if (!s_one_in(5))
            s_w_scalar(&f, field, shuffle);
    size_t nd = s_gen_rand() % 6;
    s_w_repeated(&f, 4, nd);
    s_w_repeated(&f, 5, s_one_in(8) ? s_gen_rand() % 6 : nd);
    s_join(&f, out, shuffle);
}

static void s_gen_arg(s_w_t *out)
{
    s_fields_t f = { .n = 0 };
    if (!s_one_in(10)) {
        s_w_t view;
        s_gen_view(&view);
        s_w_sub(s_field(&f), 1, &view);
        free(view.d);
    }
    if (!s_one_in(10)) {
        s_w_t *w = s_field(&f);
        s_w_key(w, 2, 0);
        s_w_varint(w, s_one_in(8) ? s_gen_value() : 1 + s_gen_rand() % 3);
    }
    s_join(&f, out, true);
}

static void s_gen_task(s_w_t *out)
{
    s_fields_t f = { .n = 0 };
    bool shuffle = !s_one_in(3);
    s_w_scalar(&f, 1, shuffle);
    if (!s_one_in(10))
        s_w_bytes(&f, 2, 12);
    size_t nargs = s_gen_rand() % (s_one_in(8) ? 12 : 5); /* past 8 now and then */
    for (size_t j = 0; j < nargs; j++) {
        s_w_t arg;
        s_gen_arg(&arg);
        s_w_sub(s_field(&f), 3, &arg);
        free(arg.d);
    }
    if (s_one_in(3))
        s_w_bytes(&f, 4, 24);
    s_w_repeated(&f, 5, s_one_in(3) ? s_gen_rand() % 5 : 0);
    if (s_one_in(5))
        s_w_bytes(&f, 6, 32);
    s_join(&f, out, shuffle);
}

/* A ClientMsg with one Submit of 0 to 5 tasks. */
static void s_gen_submit(s_w_t *out)
{
    s_fields_t f = { .n = 0 };
    size_t ntasks = s_gen_rand() % 6;
    for (size_t i = 0; i < ntasks; i++) {
        s_w_t task;
        s_gen_task(&task);
        s_w_sub(s_field(&f), 1, &task);
        free(task.d);
    }
    s_w_t submit;
    s_join(&f, &submit, false);     /* task order matters: no shuffle */
    s_w_sub(s_field(&f), 2, &submit);
    free(submit.d);
    s_join(&f, out, true);
}

/* One to four random edits of a message. */
static void s_mutate(s_w_t *w)
{
    unsigned edits = s_one_in(2) ? 1 : 1 + (unsigned)(s_gen_rand() % 4);
    while (edits--) {
        size_t at = w->n ? s_gen_rand() % w->n : 0;
        switch (s_gen_rand() % 5) {
        case 0:
            if (w->n)
                w->d[at] ^= (uint8_t)(1u << (s_gen_rand() % 8));
            break;
        case 1:
            if (w->n)
                w->d[at] = (uint8_t)s_gen_rand();
            break;
        case 2:
            s_w_put(w, "", 1);  /* grow by one, then open a gap at at */
            memmove(w->d + at + 1, w->d + at, w->n - 1 - at);
            w->d[at] = (uint8_t)s_gen_rand();
            break;
        case 3:
            if (w->n) {
                memmove(w->d + at, w->d + at + 1, w->n - at - 1);
                w->n--;
            }
            break;
        default:
            w->n = at;
        }
    }
}

START_TEST(test_fast_path_differential)
{
    dd_count_t valid = { 0, 0, 0 }, mutated = { 0, 0, 0 };
    for (int i = 0; i < 4000; i++) {
        s_w_t w;
        s_gen_submit(&w);
        const char *fail = dd_check(w.d, w.n, &valid);
        if (fail)
            ck_abort_msg("valid message %d (%zu bytes): %s", i, w.n, fail);
        for (int k = 0; k < 6; k++) {
            s_w_t mw = { 0 };
            s_w_put(&mw, w.d, w.n);
            s_mutate(&mw);
            fail = dd_check(mw.d, mw.n, &mutated);
            if (fail)
                ck_abort_msg("mutant %d of message %d: %s", k, i, fail);
            free(mw.d);
        }
        free(w.d);
    }
    fprintf(stderr, "differential: valid %lu fast; mutants %lu fast, %lu protobuf-c, %lu refused\n",
            valid.fast, mutated.fast, mutated.fallback, mutated.refused);
    /* Every generated message is a valid Submit of a shape the fast path
     * takes; mutants reach all three outcomes. */
    ck_assert_uint_eq(valid.fast, 4000);
    ck_assert_uint_gt(mutated.fast, 1000);
    ck_assert_uint_gt(mutated.fallback, 10);
    ck_assert_uint_gt(mutated.refused, 10000);
}
END_TEST

/* The straight-line readers alone (ORDO_DWIRE_DECODE_FAST_USUAL) on a
 * message in libordo's layout: they must take it, and agree with
 * protobuf-c, when every task has at most 8 args; leave it otherwise. */
static void s_check_usual(const uint8_t *buf, size_t n, const Ordo__V1__Submit *sub, int iter,
                          unsigned long *taken)
{
    bool usual = true;
    for (size_t i = 0; i < sub->n_tasks; i++)
        usual = usual && sub->tasks[i]->n_args <= 8;
    char err[256], what[160];
    ordo_dwire_msg_t *u = NULL, *pb = NULL;
    int ru = ordo_dwire_decode_how(buf, n, &u, err, sizeof err, ORDO_DWIRE_DECODE_FAST_USUAL);
    ck_assert_int_eq(ordo_dwire_decode_how(buf, n, &pb, err, sizeof err,
                                           ORDO_DWIRE_DECODE_PROTOBUF_C), 0);
    ck_assert_msg(ru == (usual ? 0 : ORDO_EAGAIN), "message %d: the straight-line readers "
                  "returned %d (tasks of at most 8 args: %d)", iter, ru, usual);
    if (ru == 0) {
        ck_assert_msg(dd_msg_eq(u, pb, what, sizeof what), "message %d: %s", iter, what);
        (*taken)++;
    }
    ordo_dwire_msg_unref(&u);
    ordo_dwire_msg_unref(&pb);
}

/* Submits in the layout libordo writes, which is protobuf-c's packing too
 * (fields in number order, the zero ones left out, repeated scalars packed
 * once): the fast path reads them with its straight-line readers
 * (s_task_usual and below), which must take every one whose tasks have at
 * most 8 args; their mutants stress those readers' checks, which the
 * shuffled messages above seldom reach.  Values of every length, views of
 * 0 to 10 dimensions, shape and strides of unequal length, tasks of up to
 * 10 args, params and data over 127 bytes. */
START_TEST(test_fast_path_usual)
{
    enum { NT = 4, NA = 10, ND = 10, NB = 200 };
    uint64_t rng = 0x243f6a8885a308d3ull;
    dd_count_t valid = { 0, 0, 0 }, mutated = { 0, 0, 0 };
    unsigned long straight = 0;
    static Ordo__V1__View views[NT][NA];
    static Ordo__V1__Arg args[NT][NA], *argp[NT][NA];
    static Ordo__V1__Task tasks[NT], *tp[NT];
    static int64_t dims[NT][NA][2][ND];
    static uint64_t deps[NT][5];
    static uint8_t bytes[NT][2][NB];
    for (int iter = 0; iter < 3000; iter++) {
        size_t nt = pbt_rand(&rng) % (NT + 1);
        for (size_t i = 0; i < nt; i++) {
            Ordo__V1__Task *t = &tasks[i];
            ordo__v1__task__init(t);
            t->id = pbt_value(&rng);
            t->kernel = pbt_rand(&rng) % 4 ? "noop" : pbt_rand(&rng) % 2 ? "" : "a-kernel";
            t->n_args = pbt_rand(&rng) % (pbt_rand(&rng) % 8 ? 4 : NA + 1);
            t->args = argp[i];
            for (size_t j = 0; j < t->n_args; j++) {
                Ordo__V1__View *v = &views[i][j];
                ordo__v1__view__init(v);
                v->buffer = pbt_value(&rng);
                v->dtype = pbt_rand(&rng) % 3 ? ORDO_F32 : (uint32_t)pbt_value(&rng);
                v->offset = pbt_rand(&rng) % 2 ? (int64_t)(pbt_rand(&rng) % 20000)
                                               : (int64_t)pbt_value(&rng);
                v->n_shape = pbt_rand(&rng) % (pbt_rand(&rng) % 8 ? 3 : ND + 1);
                v->n_strides = pbt_rand(&rng) % 16 ? v->n_shape : pbt_rand(&rng) % (ND + 1);
                for (size_t k = 0; k < ND; k++)
                    for (int w = 0; w < 2; w++)
                        dims[i][j][w][k] = pbt_rand(&rng) % 3 ? (int64_t)(pbt_rand(&rng) % 20000)
                                                              : (int64_t)pbt_value(&rng);
                v->shape = dims[i][j][0];
                v->strides = dims[i][j][1];
                Ordo__V1__Arg *a = &args[i][j];
                ordo__v1__arg__init(a);
                a->view = pbt_rand(&rng) % 16 ? v : NULL;
                a->mode = (Ordo__V1__Mode)(pbt_rand(&rng) % 8 ? 1 + pbt_rand(&rng) % 3
                                                              : pbt_value(&rng));
                argp[i][j] = a;
            }
            t->n_deps = pbt_rand(&rng) % 3 ? 0 : pbt_rand(&rng) % 6;
            t->deps = deps[i];
            for (size_t k = 0; k < t->n_deps; k++)
                deps[i][k] = pbt_value(&rng);
            for (int w = 0; w < 2; w++) {
                ProtobufCBinaryData *b = w ? &t->data : &t->params;
                b->len = pbt_rand(&rng) % (w ? 5 : 3) ? 0 : pbt_rand(&rng) % NB;
                b->data = bytes[i][w];
                for (size_t k = 0; k < b->len; k++)
                    bytes[i][w][k] = (uint8_t)pbt_rand(&rng);
            }
            tp[i] = t;
        }
        Ordo__V1__Submit sub = ORDO__V1__SUBMIT__INIT;
        sub.n_tasks = nt;
        sub.tasks = tp;
        Ordo__V1__ClientMsg cm = ORDO__V1__CLIENT_MSG__INIT;
        cm.msg_case = ORDO__V1__CLIENT_MSG__MSG_SUBMIT;
        cm.submit = &sub;
        uint8_t *buf;
        size_t n = pbt_pack_client(&cm, 0, &buf);
        const char *fail = dd_check(buf, n, &valid);
        if (fail)
            ck_abort_msg("message %d (%zu bytes): %s", iter, n, fail);
        s_check_usual(buf, n, &sub, iter, &straight);
        for (int k = 0; k < 8; k++) {
            s_w_t mw = { 0 };
            s_w_put(&mw, buf, n);
            s_mutate(&mw);
            fail = dd_check(mw.d, mw.n, &mutated);
            if (fail)
                ck_abort_msg("mutant %d of message %d: %s", k, iter, fail);
            free(mw.d);
        }
        free(buf);
    }
    fprintf(stderr, "usual layout: valid %lu fast (%lu by the straight-line readers); mutants "
            "%lu fast, %lu protobuf-c, %lu refused\n", valid.fast, straight, mutated.fast,
            mutated.fallback, mutated.refused);
    ck_assert_uint_eq(valid.fast, 3000);
    ck_assert_uint_gt(straight, 2000);
    ck_assert_uint_gt(mutated.fast, 3000);
    ck_assert_uint_gt(mutated.refused, 3000);
}
END_TEST

/* Tasks of 8 args in another layout than libordo's (each arg's mode
 * before its view): the straight-line reader gives up on each, and the
 * general one reads it.  The records the first allocated are given back,
 * so the message decodes within the arena budget; counted twice, 10,000
 * such tasks (660 KB) went over it and were refused. */
START_TEST(test_fast_path_other_layout_budget)
{
    enum { NT = 10000, NA = 8 };
    /* Task.args {mode IN, view {dtype f32}} */
    static const uint8_t arg[] = { 0x1a, 0x06, 0x10, 0x01, 0x0a, 0x02, 0x10, ORDO_F32 };
    size_t task = 2 + NA * sizeof arg, body = NT * task, n = 4 + body;
    uint8_t *buf = malloc(n), *p = buf;
    ck_assert_ptr_nonnull(buf);
    *p++ = 0x12;                                    /* ClientMsg.submit, a 3-byte length */
    *p++ = (uint8_t)(body | 0x80);
    *p++ = (uint8_t)(body >> 7 | 0x80);
    *p++ = (uint8_t)(body >> 14);
    for (size_t i = 0; i < NT; i++) {
        *p++ = 0x0a;                                /* Submit.tasks */
        *p++ = (uint8_t)(NA * sizeof arg);
        for (size_t j = 0; j < NA; j++, p += sizeof arg)
            memcpy(p, arg, sizeof arg);
    }
    ck_assert_uint_eq((size_t)(p - buf), n);
    char err[256];
    ordo_dwire_msg_t *m = NULL;
    ck_assert_int_eq(ordo_dwire_decode_how(buf, n, &m, err, sizeof err,
                                           ORDO_DWIRE_DECODE_FAST_USUAL), ORDO_EAGAIN);
    int rc = ordo_dwire_decode(buf, n, &m, err, sizeof err);
    ck_assert_msg(rc == 0, "%d: %s", rc, err);
    ck_assert_uint_eq(ordo_dwire_task_count(m), NT);
    uint64_t bid;
    int mode;
    ordo_view_t v;
    char what[128];
    int rc2 = ordo_dwire_get_arg(m, NT - 1, NA - 1, &bid, &mode, &v, what, sizeof what);
    ck_assert_msg(rc2 == 0, "%s", what);
    ck_assert_int_eq(mode, ORDO_IN);
    ck_assert_int_eq(v.dtype, ORDO_F32);
    ordo_dwire_msg_unref(&m);
    free(buf);
}
END_TEST

/* Shapes the fast path leaves to protobuf-c on purpose, and ones that
 * protobuf-c refuses: the daemon's answer is protobuf-c's. */
START_TEST(test_fast_path_leaves)
{
    static const struct {
        const char *what;
        const char *bytes;
        size_t n;
    } cases[] = {
        /* Submit{Task{id 1}} for reference: taken by the fast path. */
        { "plain", "\x12\x04\x0a\x02\x08\x01", 6 },
        { "submit twice", "\x12\x04\x0a\x02\x08\x01\x12\x04\x0a\x02\x08\x02", 12 },
        { "hello then submit", "\x0a\x00\x12\x04\x0a\x02\x08\x01", 8 },
        { "submit then bye", "\x12\x04\x0a\x02\x08\x01\x42\x00", 8 },
        { "view twice", "\x12\x0a\x0a\x08\x1a\x06\x0a\x02\x08\x01\x0a\x00", 12 },
        { "5-byte key", "\x12\x08\x0a\x06\x88\x80\x80\x80\x00\x01", 10 },
        { "5-byte length", "\x12\x06\x0a\x84\x80\x80\x80\x00", 8 },
        { "key byte 0", "\x12\x03\x0a\x01\x00", 5 },
        { "field 0 in 2 bytes", "\x12\x05\x0a\x03\x80\x00\x01", 7 },
        { "group", "\x12\x04\x0a\x02\x0b\x0c", 6 },
        { "wire type 7", "\x12\x04\x0a\x02\x0f\x00", 6 },
        { "id as bytes", "\x12\x05\x0a\x03\x0a\x01\x00", 7 },
        { "kernel as varint", "\x12\x04\x0a\x02\x10\x01", 6 },
        { "deps as fixed64", "\x12\x0b\x0a\x09\x29\x01\x00\x00\x00\x00\x00\x00\x00", 13 },
        { "11-byte varint", "\x12\x0d\x0a\x0b\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x80", 15 },
        { "unterminated packed", "\x12\x05\x0a\x03\x2a\x01\x80", 7 },
        { "11-byte packed varint",
          "\x12\x0f\x0a\x0d\x2a\x0b\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 17 },
        { "truncated", "\x12\x05\x0a\x02\x08\x01", 6 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dd_count_t c = { 0, 0, 0 };
        const char *fail = dd_check(cases[i].bytes, cases[i].n, &c);
        if (fail)
            ck_abort_msg("%s: %s", cases[i].what, fail);
        ck_assert_msg(i == 0 ? c.fast == 1 : c.fast == 0, "%s: fast=%lu", cases[i].what,
                      c.fast);
    }
}
END_TEST

START_TEST(test_garbage)
{
    ordo_dwire_msg_t *m = (ordo_dwire_msg_t *)1;
    char err[256];
    ck_assert_int_eq(ordo_dwire_decode("\xff\xff\xff\xff", 4, &m, err, sizeof err), ORDO_EPROTO);
    ck_assert_ptr_null(m);
    ck_assert_ptr_nonnull(strstr(err, "undecodable"));
    /* An empty message is a valid ClientMsg without content. */
    ck_assert_int_eq(ordo_dwire_decode("", 0, &m, err, sizeof err), ORDO_EPROTO);
    ck_assert_ptr_nonnull(strstr(err, "without a known message"));
    /* Every truncation of a valid Submit either decodes or is refused. */
    int64_t shape[2] = { 4, 4 }, strides[2] = { 4, 1 };
    Ordo__V1__View v = ORDO__V1__VIEW__INIT;
    v.buffer = 3;
    v.dtype = ORDO_F32;
    v.n_shape = v.n_strides = 2;
    v.shape = shape;
    v.strides = strides;
    Ordo__V1__Arg a = ORDO__V1__ARG__INIT;
    a.view = &v;
    a.mode = ORDO__V1__MODE__MODE_INOUT;
    Ordo__V1__Arg *ap = &a;
    Ordo__V1__Task t = ORDO__V1__TASK__INIT;
    t.id = 77;
    t.kernel = (char *)"copy";
    t.n_args = 1;
    t.args = &ap;
    Ordo__V1__Task *tp = &t;
    Ordo__V1__Submit s = ORDO__V1__SUBMIT__INIT;
    s.n_tasks = 1;
    s.tasks = &tp;
    Ordo__V1__ClientMsg cm = ORDO__V1__CLIENT_MSG__INIT;
    cm.msg_case = ORDO__V1__CLIENT_MSG__MSG_SUBMIT;
    cm.submit = &s;
    size_t n;
    uint8_t *buf = s_pack(&cm, &n);
    for (size_t cut = 0; cut < n; cut++) {
        int rc = ordo_dwire_decode(buf, cut, &m, err, sizeof err);
        ck_assert(rc == 0 || rc == ORDO_EPROTO);
        if (rc == 0)
            ordo_dwire_msg_unref(&m);
    }
    ck_assert_int_eq(ordo_dwire_decode(buf, n, &m, err, sizeof err), 0);
    ck_assert_int_eq(ordo_dwire_kind(m), ORDO_DWIRE_SUBMIT);
    ck_assert_uint_eq(ordo_dwire_task_count(m), 1);
    ordo_dwire_task_t wt;
    ordo_dwire_get_task(m, 0, &wt);
    ck_assert_uint_eq(wt.id, 77);
    ck_assert_str_eq(wt.kernel, "copy");
    uint64_t bid;
    int mode;
    ordo_view_t view;
    ck_assert_int_eq(ordo_dwire_get_arg(m, 0, 0, &bid, &mode, &view, err, sizeof err), 0);
    ck_assert_uint_eq(bid, 3);
    ck_assert_int_eq(mode, ORDO_INOUT);
    ck_assert_int_eq(view.ndim, 2);
    ck_assert_int_eq(view.strides[0], 4);
    /* References keep the message alive. */
    ordo_dwire_msg_t *ref = ordo_dwire_msg_ref(m);
    ordo_dwire_msg_unref(&m);
    ck_assert_ptr_null(m);
    ordo_dwire_get_task(ref, 0, &wt);
    ck_assert_str_eq(wt.kernel, "copy");
    ordo_dwire_msg_unref(&ref);
    free(buf);
}
END_TEST

/* Packs the one-arg Submit with the given tweaks and returns the argument
 * check's code. */
static int s_arg_code(size_t nshape, size_t nstrides, int mode, uint32_t dtype, int noview,
                      char *err, size_t errlen)
{
    int64_t dims[12] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
    Ordo__V1__View v = ORDO__V1__VIEW__INIT;
    v.dtype = dtype;
    v.n_shape = nshape;
    v.n_strides = nstrides;
    v.shape = dims;
    v.strides = dims;
    Ordo__V1__Arg a = ORDO__V1__ARG__INIT;
    a.view = noview ? NULL : &v;
    a.mode = (Ordo__V1__Mode)mode;
    Ordo__V1__Arg *ap = &a;
    Ordo__V1__Task t = ORDO__V1__TASK__INIT;
    t.n_args = 1;
    t.args = &ap;
    Ordo__V1__Task *tp = &t;
    Ordo__V1__Submit s = ORDO__V1__SUBMIT__INIT;
    s.n_tasks = 1;
    s.tasks = &tp;
    Ordo__V1__ClientMsg cm = ORDO__V1__CLIENT_MSG__INIT;
    cm.msg_case = ORDO__V1__CLIENT_MSG__MSG_SUBMIT;
    cm.submit = &s;
    size_t n;
    uint8_t *buf = s_pack(&cm, &n);
    ordo_dwire_msg_t *m;
    ck_assert_int_eq(ordo_dwire_decode(buf, n, &m, err, errlen), 0);
    uint64_t bid;
    int md;
    ordo_view_t view;
    int rc = ordo_dwire_get_arg(m, 0, 0, &bid, &md, &view, err, errlen);
    ordo_dwire_msg_unref(&m);
    free(buf);
    return rc;
}

/* A Submit of empty tasks costs 2 bytes per task on the wire and about 100
 * decoded: the arena budget refuses it instead of taking 50x its size.  An
 * ordinary Submit of the same size decodes. */
START_TEST(test_amplification_refused)
{
    size_t body = 1 << 20, n = body / 2;
    unsigned char *msg = malloc(body + 16), *p = msg;
    *p++ = 0x12; /* ClientMsg.submit, length-delimited */
    size_t len = body;
    while (len >= 0x80) {
        *p++ = (unsigned char)(len | 0x80);
        len >>= 7;
    }
    *p++ = (unsigned char)len;
    for (size_t i = 0; i < n; i++) {
        *p++ = 0x0a; /* Submit.tasks, empty */
        *p++ = 0x00;
    }
    ordo_dwire_msg_t *m = NULL;
    char err[200];
    ck_assert_int_eq(ordo_dwire_decode(msg, (size_t)(p - msg), &m, err, sizeof err), ORDO_EPROTO);
    ck_assert_ptr_null(m);
    ck_assert_ptr_nonnull(strstr(err, "16 times"));
    free(msg);

    /* 2000 tasks with three one-dimensional views each: well within. */
    Ordo__V1__View views[3];
    Ordo__V1__Arg args[3], *argp[3];
    int64_t shape[1] = {256}, strides[1] = {1};
    for (int i = 0; i < 3; i++) {
        ordo__v1__view__init(&views[i]);
        views[i].buffer = 1;
        views[i].dtype = ORDO_F32;
        views[i].n_shape = views[i].n_strides = 1;
        views[i].shape = shape;
        views[i].strides = strides;
        ordo__v1__arg__init(&args[i]);
        args[i].view = &views[i];
        args[i].mode = ORDO__V1__MODE__MODE_IN;
        argp[i] = &args[i];
    }
    enum { NT = 2000 };
    Ordo__V1__Task *tasks = calloc(NT, sizeof *tasks), **tp = calloc(NT, sizeof *tp);
    for (int i = 0; i < NT; i++) {
        ordo__v1__task__init(&tasks[i]);
        tasks[i].id = (uint64_t)i + 1;
        tasks[i].kernel = "noop";
        tasks[i].n_args = 3;
        tasks[i].args = argp;
        tp[i] = &tasks[i];
    }
    Ordo__V1__Submit sub = ORDO__V1__SUBMIT__INIT;
    sub.n_tasks = NT;
    sub.tasks = tp;
    Ordo__V1__ClientMsg cm = ORDO__V1__CLIENT_MSG__INIT;
    cm.msg_case = ORDO__V1__CLIENT_MSG__MSG_SUBMIT;
    cm.submit = &sub;
    size_t sz = ordo__v1__client_msg__get_packed_size(&cm);
    uint8_t *buf = malloc(sz);
    ordo__v1__client_msg__pack(&cm, buf);
    ck_assert_int_eq(ordo_dwire_decode(buf, sz, &m, err, sizeof err), 0);
    ordo_dwire_msg_unref(&m);
    free(buf);
    free(tasks);
    free(tp);
}
END_TEST

START_TEST(test_arg_checks)
{
    char err[256];
    ck_assert_int_eq(s_arg_code(2, 2, 1, ORDO_F32, 0, err, sizeof err), 0);
    ck_assert_int_eq(s_arg_code(0, 0, 3, ORDO_U8, 0, err, sizeof err), 0);
    ck_assert_int_eq(s_arg_code(2, 3, 1, ORDO_F32, 0, err, sizeof err), ORDO_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "2 shape entries but 3 strides"));
    ck_assert_int_eq(s_arg_code(9, 9, 1, ORDO_F32, 0, err, sizeof err), ORDO_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "ndim 9"));
    ck_assert_int_eq(s_arg_code(1, 1, 0, ORDO_F32, 0, err, sizeof err), ORDO_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "mode 0"));
    ck_assert_int_eq(s_arg_code(1, 1, 4, ORDO_F32, 0, err, sizeof err), ORDO_EINVAL);
    ck_assert_int_eq(s_arg_code(1, 1, 1, 99, 0, err, sizeof err), ORDO_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "unknown dtype 99"));
    ck_assert_int_eq(s_arg_code(1, 1, 1, 0x80000003u, 0, err, sizeof err), ORDO_EINVAL);
    ck_assert_int_eq(s_arg_code(1, 1, 1, ORDO_F32, 1, err, sizeof err), ORDO_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "no view"));
}
END_TEST

START_TEST(test_encode)
{
    ordo_dwire_buf_t b = { 0 };
    uint8_t tok[16] = { 1, 2, 3 };
    ordo_dwire_welcome_t w = { 5, tok, 16, 1000, 1, 4096, "ordod x" };
    ck_assert_int_eq(ordo_dwire_encode_welcome(&b, &w), 0);
    Ordo__V1__ServerMsg *m = ordo__v1__server_msg__unpack(NULL, b.len, b.data);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(m->msg_case, ORDO__V1__SERVER_MSG__MSG_WELCOME);
    ck_assert_uint_eq(m->welcome->session, 5);
    ck_assert_uint_eq(m->welcome->major, 1);
    ck_assert_uint_eq(m->welcome->credits, 1000);
    ck_assert_uint_eq(m->welcome->token.len, 16);
    ordo__v1__server_msg__free_unpacked(m, NULL);

    ordo_dwire_completion_t c[3] = {
        { .id = 1, .status = ORDO_STATUS_DONE, .data = "abc", .ndata = 3 },
        { .id = 2, .status = ORDO_STATUS_FAILED, .code = ORDO_EFAILED, .error = "boom" },
        { .id = 3, .status = ORDO_STATUS_CANCELLED, .code = ORDO_ECANCELED, .cause = 2 },
    };
    ck_assert_int_eq(ordo_dwire_encode_completions(&b, c, 3), 0);
    size_t bound = 0;
    for (int i = 0; i < 3; i++)
        bound += ordo_dwire_completion_bound(&c[i]);
    ck_assert_uint_le(b.len, bound);
    m = ordo__v1__server_msg__unpack(NULL, b.len, b.data);
    ck_assert_int_eq(m->msg_case, ORDO__V1__SERVER_MSG__MSG_COMPLETIONS);
    ck_assert_uint_eq(m->completions->n_items, 3);
    ck_assert_uint_eq(m->completions->items[0]->data.len, 3);
    ck_assert_str_eq(m->completions->items[1]->error, "boom");
    ck_assert_int_eq(m->completions->items[1]->code, ORDO_EFAILED);
    ck_assert_uint_eq(m->completions->items[2]->cause, 2);
    ordo__v1__server_msg__free_unpacked(m, NULL);

    ck_assert_int_eq(ordo_dwire_encode_error(&b, ORDO_EVERSION, "nope"), 0);
    m = ordo__v1__server_msg__unpack(NULL, b.len, b.data);
    ck_assert_int_eq(m->error->code, ORDO_EVERSION);
    ordo__v1__server_msg__free_unpacked(m, NULL);
    ordo_dwire_buf_free(&b);
    ck_assert_ptr_null(b.data);
}
END_TEST

/* The reference: Completions packed by protobuf-c, as ordod did before it
 * wrote them by hand. */
static size_t s_pack_reference(const ordo_dwire_completion_t *items, size_t n, uint8_t **out)
{
    Ordo__V1__Completion *cs = calloc(n + 1, sizeof *cs);
    ck_assert_ptr_nonnull(cs);
    for (size_t i = 0; i < n; i++) {
        Ordo__V1__Completion c = ORDO__V1__COMPLETION__INIT;
        c.id = items[i].id;
        c.status = (Ordo__V1__TaskStatus)items[i].status;
        c.code = items[i].code;
        c.error = (char *)(items[i].error ? items[i].error : "");
        c.cause = items[i].cause;
        c.accepted_ns = items[i].accepted_ns;
        c.started_ns = items[i].started_ns;
        c.finished_ns = items[i].finished_ns;
        c.data.data = (uint8_t *)items[i].data;
        c.data.len = items[i].data ? items[i].ndata : 0;
        cs[i] = c;
    }
    size_t len = pbt_pack_completions(cs, n, 0, out);
    free(cs);
    return len;
}

/* The hand-written Completions are protobuf-c's bytes, for random items:
 * every field zero or not, negative codes and statuses (ten-byte varints),
 * errors and data of lengths on both sides of a one-byte length, up to
 * many items (a body length of several varint bytes). */
START_TEST(test_completions_bytes)
{
    static char text[400];
    static uint8_t bytes[400];
    memset(text, 'e', sizeof text - 1);
    for (size_t i = 0; i < sizeof bytes; i++)
        bytes[i] = (uint8_t)(i * 7);
    uint64_t x = 0x9e3779b97f4a7c15u;
    ordo_dwire_buf_t b = { 0 };
    ordo_dwire_completion_t items[300];
    for (int round = 0; round < 3000; round++) {
        size_t n = round < 3 ? (size_t)round : pbt_rand(&x) % (round % 50 ? 20 : 300);
        for (size_t i = 0; i < n; i++) {
            ordo_dwire_completion_t *c = &items[i];
            c->id = pbt_value(&x);
            c->status = (int)(pbt_rand(&x) % 5) - 1;
            c->code = pbt_rand(&x) % 3 ? -(int)(pbt_rand(&x) % 40) : (int)pbt_value(&x);
            c->error = NULL;
            if (pbt_rand(&x) % 4 == 0)
                c->error = &text[sizeof text - 1 - pbt_rand(&x) % (sizeof text)];
            c->cause = pbt_value(&x);
            c->accepted_ns = pbt_value(&x);
            c->started_ns = pbt_value(&x);
            c->finished_ns = pbt_value(&x);
            c->data = pbt_rand(&x) % 4 == 0 ? bytes : NULL;
            c->ndata = pbt_rand(&x) % sizeof bytes;
        }
        ck_assert_int_eq(ordo_dwire_encode_completions(&b, items, n), 0);
        uint8_t *ref;
        size_t len = s_pack_reference(items, n, &ref);
        ck_assert_uint_eq(b.len, len);
        ck_assert_int_eq(memcmp(b.data, ref, len), 0);
        free(ref);
    }
    ordo_dwire_buf_free(&b);
}
END_TEST

START_TEST(test_status_request)
{
    ordo_dwire_status_req_t r;
    ck_assert_int_eq(ordo_dwire_decode_status("\xff\xff", 2, &r), ORDO_EPROTO);
    Ordo__V1__StatusRequest q = ORDO__V1__STATUS_REQUEST__INIT;
    q.command = (char *)"status";
    q.json = 1;
    uint8_t buf[64];
    size_t n = ordo__v1__status_request__pack(&q, buf);
    ck_assert_int_eq(ordo_dwire_decode_status(buf, n, &r), 0);
    ck_assert_str_eq(r.command, "status");
    ck_assert(r.json);
    ordo_dwire_status_req_free(&r);
}
END_TEST

static Suite *s_suite(void)
{
    Suite *s = suite_create("wire");
    TCase *tc = tcase_create("wire");
    tcase_add_test(tc, test_garbage);
    tcase_add_test(tc, test_amplification_refused);
    tcase_add_test(tc, test_arg_checks);
    tcase_add_test(tc, test_encode);
    tcase_add_test(tc, test_completions_bytes);
    tcase_add_test(tc, test_status_request);
    tcase_add_test(tc, test_fast_path_differential);
    tcase_add_test(tc, test_fast_path_leaves);
    tcase_add_test(tc, test_fast_path_usual);
    tcase_add_test(tc, test_fast_path_other_layout_budget);
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
