/*
 * check_wire.c - libordo's wire encoding (client/wire.c) against protobuf-c.
 *
 * Submit is written by hand; protobuf-c's packer, fed the same tasks, is
 * the reference, and the two must agree byte for byte.
 */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ordo.pb-c.h"
#include "pbtest.h"
#include "wire.h"

static Ordo__V1__Mode s_pb_mode(int mode)
{
    return mode == ORDO_IN ? ORDO__V1__MODE__MODE_IN
         : mode == ORDO_OUT ? ORDO__V1__MODE__MODE_OUT
         : mode == ORDO_INOUT ? ORDO__V1__MODE__MODE_INOUT : ORDO__V1__MODE__MODE_UNSPECIFIED;
}

/* The reference: the same tasks through protobuf-c, as libordo packed them
 * before Submit was written by hand. */
static size_t s_pack_reference(const ordo_submit_t *tasks, const uint64_t *ids, size_t n,
                               uint8_t **out)
{
    size_t nargs = 0;
    for (size_t i = 0; i < n; i++)
        nargs += (size_t)tasks[i].nargs;
    Ordo__V1__Task *pt = calloc(n + 1, sizeof *pt);
    Ordo__V1__Task **tp = calloc(n + 1, sizeof *tp);
    Ordo__V1__Arg *pa = calloc(nargs + 1, sizeof *pa);
    Ordo__V1__Arg **ap = calloc(nargs + 1, sizeof *ap);
    Ordo__V1__View *pv = calloc(nargs + 1, sizeof *pv);
    ck_assert(pt && tp && pa && ap && pv);
    size_t a = 0;
    for (size_t i = 0; i < n; i++) {
        const ordo_submit_t *t = &tasks[i];
        ordo__v1__task__init(&pt[i]);
        pt[i].id = ids[i];
        pt[i].kernel = (char *)t->kernel;
        pt[i].n_args = (size_t)t->nargs;
        pt[i].args = &ap[a];
        for (int k = 0; k < t->nargs; k++, a++) {
            const ordo_tensor_t *v = t->args[k].view;
            ordo__v1__view__init(&pv[a]);
            pv[a].buffer = v->buffer;
            pv[a].dtype = (uint32_t)v->dtype;
            pv[a].offset = v->offset;
            pv[a].n_shape = pv[a].n_strides = (size_t)v->ndim;
            pv[a].shape = (int64_t *)v->shape;
            pv[a].strides = (int64_t *)v->strides;
            ordo__v1__arg__init(&pa[a]);
            pa[a].view = &pv[a];
            pa[a].mode = s_pb_mode(t->args[k].mode);
            ap[a] = &pa[a];
        }
        pt[i].params.len = t->params_len;
        pt[i].params.data = (uint8_t *)t->params;
        pt[i].n_deps = (size_t)t->ndeps;
        pt[i].deps = (uint64_t *)t->deps;
        pt[i].data.len = t->data_len;
        pt[i].data.data = (uint8_t *)t->data;
        tp[i] = &pt[i];
    }
    Ordo__V1__Submit submit = ORDO__V1__SUBMIT__INIT;
    submit.n_tasks = n;
    submit.tasks = tp;
    Ordo__V1__ClientMsg msg = ORDO__V1__CLIENT_MSG__INIT;
    msg.msg_case = ORDO__V1__CLIENT_MSG__MSG_SUBMIT;
    msg.submit = &submit;
    size_t len = pbt_pack_client(&msg, 0, out);
    free(pt);
    free(tp);
    free(pa);
    free(ap);
    free(pv);
    return len;
}

#define S_MAX_TASKS 300
#define S_MAX_ARGS 6

/* Random batches: ids, kernels, views (every rank, negative offsets and
 * strides: ten-byte varints; zero fields), modes (also an invalid one),
 * params, deps and data of lengths on both sides of a one-byte length, up
 * to many tasks (a Submit length of several varint bytes).  Views, args
 * and tasks of 128 bytes and more (their length moved up by the writer)
 * come from high ranks of long values, many args and long fields.  Each
 * task stays within the room the writer asks for. */
START_TEST(test_submit_bytes)
{
    static char text[300];
    static uint8_t bytes[400];
    static ordo_tensor_t views[S_MAX_TASKS][S_MAX_ARGS];
    static ordo_access_t args[S_MAX_TASKS][S_MAX_ARGS];
    static uint64_t deps[S_MAX_TASKS][20];
    static ordo_submit_t tasks[S_MAX_TASKS];
    static uint64_t ids[S_MAX_TASKS];
    memset(text, 'k', sizeof text - 1);
    for (size_t i = 0; i < sizeof bytes; i++)
        bytes[i] = (uint8_t)(i * 13);
    uint64_t x = 0x2545f4914f6cdd1du;
    ordo_wsubmit_t sub = { 0 };
    for (int round = 0; round < 2000; round++) {
        size_t n = round < 2 ? (size_t)round + 1
                             : pbt_rand(&x) % (round % 40 ? 16 : S_MAX_TASKS) + 1;
        for (size_t i = 0; i < n; i++) {
            ordo_submit_t *t = &tasks[i];
            memset(t, 0, sizeof *t);
            ids[i] = pbt_value(&x);
            t->kernel = &text[sizeof text - 1 - pbt_rand(&x) % sizeof text];
            t->nargs = (int)(pbt_rand(&x) % (S_MAX_ARGS + 1));
            for (int k = 0; k < t->nargs; k++) {
                ordo_tensor_t *v = &views[i][k];
                memset(v, 0, sizeof *v);
                v->buffer = pbt_value(&x);
                v->dtype = (int32_t)(pbt_rand(&x) % 3 ? pbt_rand(&x) % 14 : pbt_value(&x));
                v->offset = (int64_t)pbt_value(&x);
                v->ndim = (int32_t)(pbt_rand(&x) % (ORDO_MAX_NDIM + 1));
                for (int d = 0; d < v->ndim; d++) {
                    v->shape[d] = (int64_t)pbt_value(&x);
                    v->strides[d] = (int64_t)pbt_value(&x);
                }
                args[i][k].view = v;
                args[i][k].mode = (int)(pbt_rand(&x) % 5);
            }
            t->args = args[i];
            if (pbt_rand(&x) % 3 == 0) {
                t->params = bytes;
                t->params_len = pbt_rand(&x) % sizeof bytes;
            }
            t->ndeps = (int)(pbt_rand(&x) % 4 == 0 ? pbt_rand(&x) % 20 : 0);
            for (int d = 0; d < t->ndeps; d++)
                deps[i][d] = pbt_value(&x);
            t->deps = deps[i];
            if (pbt_rand(&x) % 5 == 0) {
                t->data = bytes;
                t->data_len = pbt_rand(&x) % sizeof bytes;
            }
            size_t klen = strlen(t->kernel), bound = ordo_wire_task_bound(t, klen);
            ck_assert_int_eq(ordo_wire_submit_reserve(&sub, bound), 0);
            size_t before = sub.len;
            ordo_wire_submit_task(&sub, ids[i], t, klen);
            ck_assert_uint_le(sub.len - before, bound);
            ck_assert_uint_le(sub.len, sub.cap);
        }
        ordo_wbuf_t b = { 0 };
        ordo_wire_submit_end(&sub, &b);
        ck_assert_ptr_null(sub.data);
        uint8_t *ref;
        size_t len = s_pack_reference(tasks, ids, n, &ref);
        ck_assert_uint_eq(b.len, len);
        ck_assert_int_eq(memcmp(b.data + b.off, ref, len), 0);
        free(ref);
        free(b.data);
    }
    /* Room that no block can give: refused, nothing changed. */
    ck_assert_int_eq(ordo_wire_submit_reserve(&sub, 100), 0);
    ordo_wsubmit_t was = sub;
    ck_assert_int_eq(ordo_wire_submit_reserve(&sub, SIZE_MAX - 5), ORDO_ENOMEM);
    ck_assert_int_eq(ordo_wire_submit_reserve(&sub, SIZE_MAX / 4), ORDO_ENOMEM);
    ck_assert(memcmp(&was, &sub, sizeof sub) == 0);
    ordo_wire_submit_free(&sub);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Completions: read by hand, or by protobuf-c when the shape is unusual. */

/* Random Completions packed by protobuf-c: the daemon's shape. */
static size_t s_pack_completions(uint64_t *x, uint8_t **out)
{
    static char text[300];
    static uint8_t bytes[300];
    memset(text, 'e', sizeof text - 1);
    for (size_t i = 0; i < sizeof bytes; i++)
        bytes[i] = (uint8_t)(i * 7 + 1);
    size_t n = pbt_rand(x) % 8 == 0 ? pbt_rand(x) % 200 : pbt_rand(x) % 5;
    Ordo__V1__Completion *cs = calloc(n + 1, sizeof *cs);
    ck_assert_ptr_nonnull(cs);
    for (size_t i = 0; i < n; i++) {
        Ordo__V1__Completion c = ORDO__V1__COMPLETION__INIT;
        c.id = pbt_value(x);
        c.status = (Ordo__V1__TaskStatus)((int)(pbt_rand(x) % 6) - 1);
        c.code = pbt_rand(x) % 2 ? -(int32_t)(pbt_rand(x) % 40) : (int32_t)pbt_value(x);
        c.error = pbt_rand(x) % 4 ? "" : &text[sizeof text - 1 - pbt_rand(x) % sizeof text];
        c.cause = pbt_value(x);
        c.accepted_ns = pbt_value(x);
        c.started_ns = pbt_value(x);
        c.finished_ns = pbt_value(x);
        if (pbt_rand(x) % 4 == 0) {
            c.data.data = bytes;
            c.data.len = pbt_rand(x) % sizeof bytes;
        }
        cs[i] = c;
    }
    size_t len = pbt_pack_completions(cs, n, 64, out); /* room for appended bytes */
    free(cs);
    return len;
}

static int32_t s_ref_state(int status)
{
    return status == 1 ? ORDO_TASK_DONE : status == 2 ? ORDO_TASK_FAILED
         : status == 3 ? ORDO_TASK_CANCELLED : ORDO_TASK_UNKNOWN;
}

/* ordo_wire_decode's answer equals protobuf-c's on these bytes; returns
 * whether the hand reader took them. */
static bool s_same_as_reference(const uint8_t *data, size_t len)
{
    ordo_wmsg_t m;
    int rc = ordo_wire_decode(&m, data, len);
    Ordo__V1__ServerMsg *ref = ordo__v1__server_msg__unpack(NULL, len, data);
    if (!ref) {
        ck_assert_int_eq(rc, ORDO_EPROTO);
        return false;
    }
    ck_assert_int_eq(rc, 0);
    bool fast = m.priv == NULL;     /* read by hand */
    if (ref->msg_case != ORDO__V1__SERVER_MSG__MSG_COMPLETIONS) {
        ck_assert(!fast);
        ck_assert_ptr_null(m.items);
        ck_assert_int_ne(m.kind, ORDO_WMSG_COMPLETIONS);
    } else {
        ck_assert_int_eq(m.kind, ORDO_WMSG_COMPLETIONS);
        ck_assert_uint_eq(m.ncompletions, ref->completions->n_items);
        for (size_t i = 0; i < m.ncompletions; i++) {
            const Ordo__V1__Completion *r = ref->completions->items[i];
            ordo_wcompletion_t c = m.items[i];
            ck_assert_uint_eq(c.id, r->id);
            ck_assert_int_eq(c.state, s_ref_state(r->status));
            ck_assert_int_eq(c.code, r->code);
            ck_assert_str_eq(c.error, r->error);
            ck_assert_uint_eq(c.cause, r->cause);
            ck_assert_uint_eq(c.accepted_ns, r->accepted_ns);
            ck_assert_uint_eq(c.started_ns, r->started_ns);
            ck_assert_uint_eq(c.finished_ns, r->finished_ns);
            ck_assert_uint_eq(c.data_len, r->data.len);
            ck_assert(c.data_len == 0 || memcmp(c.data, r->data.data, c.data_len) == 0);
        }
    }
    ordo__v1__server_msg__free_unpacked(ref, NULL);
    ordo_wire_msg_free(&m);
    return fast;
}

/* The daemon's shape is read by hand, and damaged copies (bytes flipped,
 * cut short, or appended) get protobuf-c's answer: the same fields, or
 * ORDO_EPROTO. */
/* Lengths that no message holds make the bound SIZE_MAX (ordo_submit then
 * refuses the task), not a sum that wraps around to a small reservation. */
START_TEST(test_task_bound_overflow)
{
    ordo_submit_t t;
    memset(&t, 0, sizeof t);
    t.kernel = "noop";
    ck_assert_uint_lt(ordo_wire_task_bound(&t, 4), 1000);
    t.params_len = SIZE_MAX - 10;           /* with the 59 bytes of the rest: wraps */
    ck_assert_uint_eq(ordo_wire_task_bound(&t, 4), SIZE_MAX);
    t.params_len = SIZE_MAX / 2;
    t.data_len = SIZE_MAX / 2;
    ck_assert_uint_eq(ordo_wire_task_bound(&t, 4), SIZE_MAX);
}
END_TEST

START_TEST(test_completions_decode)
{
    uint64_t x = 0x853c49e6748fea9bu;
    size_t fast = 0, slow = 0;
    for (int round = 0; round < 20000; round++) {
        uint8_t *data;
        size_t len = s_pack_completions(&x, &data);
        if (round % 2 == 0) {
            ck_assert(s_same_as_reference(data, len));
            fast++;
        } else {
            switch (pbt_rand(&x) % 3) {
            case 0:
                for (int k = 0, nk = 1 + (int)(pbt_rand(&x) % 3); k < nk && len; k++)
                    data[pbt_rand(&x) % len] ^= (uint8_t)(1u << (pbt_rand(&x) % 8));
                break;
            case 1:
                len = len ? pbt_rand(&x) % len : 0;
                break;
            default:
                for (int k = 0, nk = 1 + (int)(pbt_rand(&x) % 8); k < nk; k++)
                    data[len++] = (uint8_t)pbt_rand(&x);
            }
            if (s_same_as_reference(data, len))
                fast++;
            else
                slow++;
        }
        free(data);
    }
    /* Both readers were exercised (slow: protobuf-c's, or refused). */
    ck_assert_uint_gt(fast, 10000);
    ck_assert_uint_gt(slow, 1000);
}
END_TEST

/* The hand reader loads eight bytes at a time, past an item's end when
 * the message goes on: a varint whose bytes run to its item's end without
 * ending there must not be ended by the next item's key (0x0a, a byte
 * that ends a varint).  protobuf-c refuses these; so must libordo.  And
 * the same bytes with the varint ended inside the item are read by hand
 * (the shape is the daemon's). */
START_TEST(test_completions_varint_at_item_end)
{
    for (int cut = 1; cut <= 7; cut++) {
        uint8_t msg[64];
        size_t n = 0;
        msg[n++] = 3 << 3 | 2;                  /* ServerMsg.completions */
        size_t body_len_at = n++;
        msg[n++] = 1 << 3 | 2;                  /* items */
        size_t item_len_at = n++;
        size_t item = n;
        msg[n++] = 1 << 3;                      /* id 1 */
        msg[n++] = 1;
        msg[n++] = 8 << 3;                      /* finished_ns: cut bytes, none ending */
        for (int k = 0; k < cut; k++)
            msg[n++] = 0x81;
        msg[item_len_at] = (uint8_t)(n - item);
        msg[n++] = 1 << 3 | 2;                  /* a second item, whole */
        msg[n++] = 10;
        const uint8_t second[10] = {1 << 3, 5, 2 << 3, 1, 6 << 3, 0x81, 0x01, 7 << 3, 0x82, 0x01};
        memcpy(msg + n, second, sizeof second);
        n += sizeof second;
        msg[body_len_at] = (uint8_t)(n - 2);
        ck_assert(!s_same_as_reference(msg, n));        /* refused by both */
        ordo_wmsg_t m;
        ck_assert_int_eq(ordo_wire_decode(&m, msg, n), ORDO_EPROTO);
        size_t end = item + 3 + (size_t)cut;    /* ended: a valid message again */
        memmove(msg + end + 1, msg + end, n - end);
        msg[end] = 0x01;
        n++;
        msg[item_len_at]++;
        msg[body_len_at]++;
        ck_assert(s_same_as_reference(msg, n));
    }
}
END_TEST

static Suite *s_suite(void)
{
    Suite *s = suite_create("wire");
    TCase *tc = tcase_create("encode");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_submit_bytes);
    tcase_add_test(tc, test_task_bound_overflow);
    tcase_add_test(tc, test_completions_decode);
    tcase_add_test(tc, test_completions_varint_at_item_end);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(s_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
