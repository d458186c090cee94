/*
 * check_e2e_bad.c - bad input, from libordo and from a plain ZeroMQ
 * socket: each piece must get a clear error (a failed completion with a
 * code and a reason, a Reply code, or a session Error) and leave the
 * daemon serving everybody else, which every test checks afterwards.
 *
 * The raw tests speak the protocol with the generated protobuf-c code
 * directly, to send what libordo never would: a view of too many
 * dimensions, another protocol major, garbage bytes, truncated messages,
 * ids out of sequence.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <zmq.h>

#include "e2e.h"
#include "ordo.h"
#include "ordo.pb-c.h"

static e2e_daemon_t D;

static void s_setup(void)
{
    const char *args[] = {"--workers=2", "--log-level=error", NULL};
    e2e_start(&D, args);
}

static void s_teardown(void)
{
    int status = e2e_stop(&D);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "ordod did not exit 0 on SIGTERM after bad input (status %d)", status);
}

#define SERVES() ck_assert_msg(e2e_daemon_serves(&D), "the daemon stopped serving")

/* Submits t and returns its event (the test fails if none comes). */
static ordo_event_t s_run(ordo_client_t *c, const ordo_submit_t *t)
{
    uint64_t id;
    int rc = ordo_submit(c, t, &id);
    ck_assert_msg(rc == 0, "submit refused locally: %s", ordo_last_error());
    ordo_event_t ev;
    memset(&ev, 0, sizeof ev);
    rc = ordo_wait(c, id, 10000, &ev);
    ck_assert_msg(rc != ORDO_ETIMEDOUT, "no event for task %s", t->kernel);
    return ev;
}

/* The task must fail with code (or any code when code is 0) and a reason. */
static void s_expect_failed(ordo_client_t *c, const ordo_submit_t *t, int code,
                            const char *what)
{
    ordo_event_t ev = s_run(c, t);
    ck_assert_msg(ev.state == ORDO_TASK_FAILED, "%s: state %d, not failed", what, ev.state);
    if (code)
        ck_assert_msg(ev.code == code, "%s: code %d (%s), expected %d (%s): %s", what,
                      ev.code, ordo_strerror(ev.code), code, ordo_strerror(code), ev.error);
    else
        ck_assert_msg(ev.code < 0, "%s: no error code", what);
    ck_assert_msg(strlen(ev.error) > 5, "%s: no reason given", what);
    /* The session itself still works, and so does another one. */
    ordo_submit_t ok = {.kernel = "noop"};
    ev = s_run(c, &ok);
    ck_assert_msg(ev.state == ORDO_TASK_DONE, "%s: the session broke: %s", what, ev.error);
    ck_assert_msg(e2e_daemon_serves(&D), "%s: the daemon stopped serving", what);
}

static ordo_tensor_t s_raw_view(uint64_t buffer, int64_t offset, int ndim,
                                const int64_t *shape, const int64_t *strides)
{
    ordo_tensor_t t;
    memset(&t, 0, sizeof t);
    t.buffer = buffer;
    t.dtype = ORDO_F32;
    t.offset = offset;
    t.ndim = ndim;
    for (int k = 0; k < ndim; k++) {
        t.shape[k] = shape[k];
        t.strides[k] = strides[k];
    }
    return t;
}

START_TEST(test_bad_tasks)
{
    ordo_client_t *c = e2e_connect(&D);
    uint64_t b;
    ck_assert_int_eq(ordo_buffer_create(c, 16 * sizeof(float), NULL, &b), 0);
    uint8_t one[8];
    e2e_f64(one, 1.0);
    ordo_access_t a[1];
    ordo_submit_t fill = {.kernel = "fill", .args = a, .nargs = 1, .params = one,
                          .params_len = 8};
    ordo_tensor_t v;

    /* A view that leaves its buffer, at either end. */
    int64_t s17[1] = {17}, st1[1] = {1};
    v = s_raw_view(b, 0, 1, s17, st1);
    a[0] = (ordo_access_t){&v, ORDO_OUT};
    s_expect_failed(c, &fill, ORDO_ERANGE, "view past the end");
    SERVES();
    int64_t s4[1] = {4};
    v = s_raw_view(b, -1, 1, s4, st1);
    s_expect_failed(c, &fill, ORDO_ERANGE, "negative offset");
    int64_t sneg[1] = {-4};
    v = s_raw_view(b, 8, 1, s4, sneg);
    s_expect_failed(c, &fill, ORDO_ERANGE, "negative stride below the start");

    /* Shapes and strides whose arithmetic overflows 64 bits. */
    int64_t big[2] = {INT64_C(1) << 40, INT64_C(1) << 40}, bigst[2] = {INT64_C(1) << 40, 1};
    v = s_raw_view(b, 0, 2, big, bigst);
    s_expect_failed(c, &fill, ORDO_ERANGE, "overflowing shape");
    int64_t two[1] = {2}, huge[1] = {INT64_MAX};
    v = s_raw_view(b, 0, 1, two, huge);
    s_expect_failed(c, &fill, ORDO_ERANGE, "overflowing stride");
    int64_t hugeoff_shape[1] = {1};
    v = s_raw_view(b, INT64_MAX, 1, hugeoff_shape, st1);
    s_expect_failed(c, &fill, ORDO_ERANGE, "overflowing offset");
    SERVES();

    /* An element type nobody knows. */
    v = s_raw_view(b, 0, 1, s4, st1);
    v.dtype = 99;
    s_expect_failed(c, &fill, ORDO_EINVAL, "unknown dtype");

    /* An unknown kernel. */
    v = s_raw_view(b, 0, 1, s4, st1);
    ordo_submit_t unk = {.kernel = "no_such_kernel", .args = a, .nargs = 1};
    ordo_event_t ev = s_run(c, &unk);
    ck_assert_int_eq(ev.state, ORDO_TASK_FAILED);
    ck_assert_int_eq(ev.code, ORDO_ENOENT);
    ck_assert_msg(strstr(ev.error, "no_such_kernel") != NULL, "reason: %s", ev.error);

    /* Kernel arguments the kernel refuses: fill with a 4-byte parameter. */
    ordo_submit_t badp = fill;
    badp.params_len = 4;
    s_expect_failed(c, &badp, ORDO_EINVAL, "fill with a short parameter");

    /* Refused before anything is sent: garbage in reserved fields, a mode
     * that is no mode, a view of too many dimensions. */
    ordo_submit_t junk = {.kernel = "noop", .reserved = {1}};
    uint64_t jid;
    ck_assert_int_eq(ordo_submit(c, &junk, &jid), ORDO_EINVAL);
    ck_assert_msg(strstr(ordo_last_error(), "reserved") != NULL, "%s", ordo_last_error());
    a[0] = (ordo_access_t){&v, 7};
    ck_assert_int_eq(ordo_submit(c, &fill, &jid), ORDO_EINVAL);
    ordo_tensor_t deep = v;
    deep.ndim = ORDO_MAX_NDIM + 1;
    a[0] = (ordo_access_t){&deep, ORDO_OUT};
    ck_assert_int_eq(ordo_submit(c, &fill, &jid), ORDO_EINVAL);
    ck_assert_msg(strstr(ordo_last_error(), "dimensions") != NULL, "%s", ordo_last_error());
    ordo_client_opts_t bad_opts = {.reserved = {0, 0, 3}};
    ordo_client_t *nc = NULL;
    ck_assert_int_eq(ordo_client_new(&nc, D.endpoint, &bad_opts), ORDO_EINVAL);
    ck_assert_ptr_null(nc);

    /* A written argument declared as read only. */
    v = s_raw_view(b, 0, 1, s4, st1);
    a[0] = (ordo_access_t){&v, ORDO_IN};
    s_expect_failed(c, &fill, ORDO_EINVAL, "fill through an 'in' view");
    a[0] = (ordo_access_t){&v, ORDO_OUT};

    /* Past the bounds on one task: arguments and parameter bytes. */
    ordo_access_t many[65];
    for (int i = 0; i < 65; i++)
        many[i] = (ordo_access_t){&v, ORDO_IN};
    ordo_submit_t wide = {.kernel = "noop", .args = many, .nargs = 65};
    s_expect_failed(c, &wide, ORDO_ELIMIT, "65 arguments");
    static uint8_t params[65537];
    ordo_submit_t heavy = {.kernel = "noop", .params = params, .params_len = sizeof params};
    s_expect_failed(c, &heavy, ORDO_ELIMIT, "65537 parameter bytes");

    /* Buffers of no size or of an absurd one: a Reply error, at once. */
    uint64_t nb;
    ck_assert_int_eq(ordo_buffer_create(c, 0, NULL, &nb), ORDO_EINVAL);
    ck_assert_int_eq(ordo_buffer_create(c, UINT64_C(1) << 60, NULL, &nb), ORDO_EINVAL);
    ck_assert_msg(strlen(ordo_last_error()) > 10, "reason: %s", ordo_last_error());
    SERVES();

    /* An unknown buffer. */
    v = s_raw_view(b + 1000, 0, 1, s4, st1);
    s_expect_failed(c, &fill, ORDO_ENOENT, "unknown buffer");

    /* A dependency on an id the daemon never accepted. */
    v = s_raw_view(b, 0, 1, s4, st1);
    uint64_t ghost = ORDO_TASK_ID(ordo_client_session(c) + 7, 3);
    ordo_submit_t dep = fill;
    dep.deps = &ghost;
    dep.ndeps = 1;
    s_expect_failed(c, &dep, ORDO_ENOENT, "dependency on an unknown id");
    SERVES();

    /* And after all that, the buffer holds what a good task writes. */
    float out[16];
    uint64_t id;
    v = s_raw_view(b, 0, 1, (int64_t[]){16}, st1);
    ck_assert_int_eq(ordo_fill(c, &v, 3.0, &id), 0);
    ck_assert_int_eq(ordo_read(c, &v, out, sizeof out, &id), 0);
    ck_assert_int_eq(ordo_wait(c, id, 10000, NULL), 0);
    for (int i = 0; i < 16; i++)
        ck_assert(out[i] == 3.0f);
    ordo_client_destroy(&c);
}
END_TEST

START_TEST(test_buffers_of_others)
{
    ordo_client_t *owner = e2e_connect(&D), *other = e2e_connect(&D);
    uint64_t priv, named, got, size;
    ck_assert_int_eq(ordo_buffer_create(owner, 64, NULL, &priv), 0);
    ck_assert_int_eq(ordo_buffer_create(owner, 64, "e2e-bad-named", &named), 0);

    /* Another session may not touch a private buffer... */
    ordo_tensor_t v;
    ck_assert_int_eq(ordo_tensor_init(&v, priv, ORDO_F32, 0, 1, (int64_t[]){16}, NULL), 0);
    uint8_t one[8];
    e2e_f64(one, 1.0);
    ordo_access_t a[1] = {{&v, ORDO_OUT}};
    ordo_submit_t fill = {.kernel = "fill", .args = a, .nargs = 1, .params = one,
                          .params_len = 8};
    s_expect_failed(other, &fill, ORDO_EPERM, "a foreign private buffer");
    /* ...nor release it, nor find it by a name it does not have. */
    int rc = ordo_buffer_release(other, priv);
    ck_assert_msg(rc < 0, "released another session's private buffer");
    ck_assert_msg(strlen(ordo_last_error()) > 10, "reason: %s", ordo_last_error());
    ck_assert_int_eq(ordo_buffer_open(other, "e2e-bad-unknown", &got, &size), ORDO_ENOENT);
    /* A taken name. */
    ck_assert_int_eq(ordo_buffer_create(other, 64, "e2e-bad-named", &got), ORDO_EEXIST);
    /* The named one is shared. */
    ck_assert_int_eq(ordo_buffer_open(other, "e2e-bad-named", &got, &size), 0);
    ck_assert_uint_eq(got, named);
    ck_assert_uint_eq(size, 64);

    /* The owner's buffer is intact and usable. */
    float out[16];
    uint64_t id;
    ck_assert_int_eq(ordo_fill(owner, &v, 5.0, &id), 0);
    ck_assert_int_eq(ordo_read(owner, &v, out, sizeof out, &id), 0);
    ck_assert_int_eq(ordo_wait(owner, id, 10000, NULL), 0);
    ck_assert(out[0] == 5.0f && out[15] == 5.0f);
    ordo_client_destroy(&other);
    ordo_client_destroy(&owner);
    SERVES();
}
END_TEST

/* ---------------------------------------------------------------------- */
/* A plain ZeroMQ DEALER speaking (or not) the protocol. */

typedef struct {
    void *ctx, *sock;
} s_raw_t;

static void s_raw_open(s_raw_t *r)
{
    r->ctx = zmq_ctx_new();
    r->sock = zmq_socket(r->ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(r->sock, ZMQ_LINGER, &zero, sizeof zero);
    ck_assert_int_eq(zmq_connect(r->sock, D.endpoint), 0);
}

static void s_raw_close(s_raw_t *r)
{
    zmq_close(r->sock);
    zmq_ctx_term(r->ctx);
}

static void s_raw_send(s_raw_t *r, const void *data, size_t len)
{
    ck_assert_int_eq(zmq_send(r->sock, data, len, 0), (int)len);
}

static void s_raw_send_msg(s_raw_t *r, const Ordo__V1__ClientMsg *m, size_t cut)
{
    size_t len = ordo__v1__client_msg__get_packed_size(m);
    uint8_t *buf = malloc(len);
    ordo__v1__client_msg__pack(m, buf);
    s_raw_send(r, buf, cut && cut < len ? cut : len);
    free(buf);
}

/* The next ServerMsg within timeout_ms, or NULL. */
static Ordo__V1__ServerMsg *s_raw_recv(s_raw_t *r, int timeout_ms)
{
    zmq_pollitem_t it = {r->sock, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&it, 1, timeout_ms) <= 0)
        return NULL;
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    ck_assert_int_ge(zmq_msg_recv(&msg, r->sock, 0), 0);
    Ordo__V1__ServerMsg *sm =
        ordo__v1__server_msg__unpack(NULL, zmq_msg_size(&msg), zmq_msg_data(&msg));
    zmq_msg_close(&msg);
    ck_assert_msg(sm != NULL, "the daemon sent something that is not a ServerMsg");
    return sm;
}

static void s_hello_msg(Ordo__V1__ClientMsg *m, Ordo__V1__Hello *h, uint32_t major)
{
    ordo__v1__client_msg__init(m);
    ordo__v1__hello__init(h);
    h->protocol = "ordo";
    h->major = major;
    h->client = "check_e2e_bad";
    m->msg_case = ORDO__V1__CLIENT_MSG__MSG_HELLO;
    m->hello = h;
}

/* Hello, Welcome: returns the session id. */
static uint64_t s_raw_hello(s_raw_t *r)
{
    Ordo__V1__ClientMsg m;
    Ordo__V1__Hello h;
    s_hello_msg(&m, &h, 1);
    s_raw_send_msg(r, &m, 0);
    Ordo__V1__ServerMsg *sm = s_raw_recv(r, 10000);
    ck_assert_ptr_nonnull(sm);
    ck_assert_int_eq(sm->msg_case, ORDO__V1__SERVER_MSG__MSG_WELCOME);
    uint64_t session = sm->welcome->session;
    ck_assert_uint_eq(sm->welcome->next_seq, 1);
    ck_assert_uint_gt(sm->welcome->credits, 0);
    ordo__v1__server_msg__free_unpacked(sm, NULL);
    return session;
}

/* The answer to something bad: a session Error, or a failed completion
 * of id (when id != 0).  Either must carry a code and a reason. */
static void s_expect_refused(s_raw_t *r, uint64_t id, const char *what)
{
    Ordo__V1__ServerMsg *sm = s_raw_recv(r, 10000);
    ck_assert_msg(sm != NULL, "%s: no answer within 10 s", what);
    if (sm->msg_case == ORDO__V1__SERVER_MSG__MSG_ERROR) {
        ck_assert_msg(sm->error->code < 0, "%s: Error without a code", what);
        ck_assert_msg(strlen(sm->error->message) > 5, "%s: Error without a reason", what);
    } else {
        ck_assert_msg(id && sm->msg_case == ORDO__V1__SERVER_MSG__MSG_COMPLETIONS,
                      "%s: answered with message kind %d", what, sm->msg_case);
        ck_assert_int_ge(sm->completions->n_items, 1);
        Ordo__V1__Completion *c = sm->completions->items[0];
        ck_assert_uint_eq(c->id, id);
        ck_assert_int_eq(c->status, ORDO__V1__TASK_STATUS__STATUS_FAILED);
        ck_assert_msg(c->code < 0 && strlen(c->error) > 5, "%s: no code or reason", what);
    }
    ordo__v1__server_msg__free_unpacked(sm, NULL);
    ck_assert_msg(e2e_daemon_serves(&D), "%s: the daemon stopped serving", what);
}

START_TEST(test_wrong_major)
{
    s_raw_t r;
    s_raw_open(&r);
    Ordo__V1__ClientMsg m;
    Ordo__V1__Hello h;
    s_hello_msg(&m, &h, 2);
    s_raw_send_msg(&r, &m, 0);
    Ordo__V1__ServerMsg *sm = s_raw_recv(&r, 10000);
    ck_assert_ptr_nonnull(sm);
    ck_assert_int_eq(sm->msg_case, ORDO__V1__SERVER_MSG__MSG_ERROR);
    ck_assert_int_eq(sm->error->code, ORDO_EVERSION);
    ck_assert_msg(strstr(sm->error->message, "2") != NULL, "reason: %s", sm->error->message);
    ordo__v1__server_msg__free_unpacked(sm, NULL);
    s_raw_close(&r);
    SERVES();
}
END_TEST

START_TEST(test_garbage_and_truncated)
{
    /* Garbage instead of a Hello. */
    s_raw_t r;
    s_raw_open(&r);
    s_raw_send(&r, "\xff\xff\xff\xff garbage \x00\x01", 14);
    s_expect_refused(&r, 0, "garbage before Hello");
    s_raw_close(&r);
    SERVES();

    /* A truncated Hello. */
    s_raw_open(&r);
    Ordo__V1__ClientMsg m;
    Ordo__V1__Hello h;
    s_hello_msg(&m, &h, 1);
    s_raw_send_msg(&r, &m, 5);
    s_expect_refused(&r, 0, "truncated Hello");
    s_raw_close(&r);
    SERVES();

    /* A good session, then garbage, then a truncated Submit. */
    s_raw_open(&r);
    uint64_t session = s_raw_hello(&r);
    s_raw_send(&r, "\x0a\xff\xff\xff\xff\x0f", 6);
    s_expect_refused(&r, 0, "garbage in a session");
    Ordo__V1__Task t = ORDO__V1__TASK__INIT;
    t.id = ORDO_TASK_ID(session, 1);
    t.kernel = "noop";
    Ordo__V1__Task *tp = &t;
    Ordo__V1__Submit s = ORDO__V1__SUBMIT__INIT;
    s.n_tasks = 1;
    s.tasks = &tp;
    ordo__v1__client_msg__init(&m);
    m.msg_case = ORDO__V1__CLIENT_MSG__MSG_SUBMIT;
    m.submit = &s;
    s_raw_send_msg(&r, &m, 7);
    s_expect_refused(&r, 0, "truncated Submit");
    s_raw_close(&r);
    SERVES();

    /* An empty message. */
    s_raw_open(&r);
    s_raw_send(&r, "", 0);
    s_expect_refused(&r, 0, "empty message");
    s_raw_close(&r);
    SERVES();
}
END_TEST

START_TEST(test_raw_protocol_errors)
{
    s_raw_t r;
    s_raw_open(&r);
    /* A Submit before any Hello. */
    Ordo__V1__Task t = ORDO__V1__TASK__INIT;
    t.id = ORDO_TASK_ID(1, 1);
    t.kernel = "noop";
    Ordo__V1__Task *tp = &t;
    Ordo__V1__Submit s = ORDO__V1__SUBMIT__INIT;
    s.n_tasks = 1;
    s.tasks = &tp;
    Ordo__V1__ClientMsg m = ORDO__V1__CLIENT_MSG__INIT;
    m.msg_case = ORDO__V1__CLIENT_MSG__MSG_SUBMIT;
    m.submit = &s;
    s_raw_send_msg(&r, &m, 0);
    s_expect_refused(&r, 0, "Submit before Hello");
    s_raw_close(&r);
    SERVES();

    s_raw_open(&r);
    uint64_t session = s_raw_hello(&r);

    /* A view of ORDO_MAX_NDIM + 1 dimensions. */
    int64_t shape[ORDO_MAX_NDIM + 1], strides[ORDO_MAX_NDIM + 1];
    for (int k = 0; k <= ORDO_MAX_NDIM; k++) {
        shape[k] = 1;
        strides[k] = 1;
    }
    Ordo__V1__View v = ORDO__V1__VIEW__INIT;
    v.buffer = 1;
    v.dtype = ORDO_F32;
    v.n_shape = v.n_strides = ORDO_MAX_NDIM + 1;
    v.shape = shape;
    v.strides = strides;
    Ordo__V1__Arg a = ORDO__V1__ARG__INIT;
    a.view = &v;
    a.mode = ORDO__V1__MODE__MODE_OUT;
    Ordo__V1__Arg *ap = &a;
    t.id = ORDO_TASK_ID(session, 1);
    t.kernel = "fill";
    t.n_args = 1;
    t.args = &ap;
    s_raw_send_msg(&r, &m, 0);
    s_expect_refused(&r, t.id, "ndim too large");
    SERVES();

    /* Shape and strides of different lengths. */
    s_raw_close(&r);
    s_raw_open(&r);
    session = s_raw_hello(&r);
    v.n_shape = 2;
    v.n_strides = 1;
    t.id = ORDO_TASK_ID(session, 1);
    s_raw_send_msg(&r, &m, 0);
    s_expect_refused(&r, t.id, "shape and strides of different lengths");
    SERVES();

    /* An id out of sequence (the daemon expects seq 1 of a new session). */
    s_raw_close(&r);
    s_raw_open(&r);
    session = s_raw_hello(&r);
    t.id = ORDO_TASK_ID(session, 5);
    t.kernel = "noop";
    t.n_args = 0;
    t.args = NULL;
    s_raw_send_msg(&r, &m, 0);
    s_expect_refused(&r, t.id, "id out of sequence");
    /* Another session's id. */
    t.id = ORDO_TASK_ID(session + 1, 1);
    s_raw_send_msg(&r, &m, 0);
    s_expect_refused(&r, t.id, "another session's id");
    s_raw_close(&r);
    SERVES();
}
END_TEST

static Suite *s_suite(void)
{
    Suite *s = suite_create("e2e_bad");
    TCase *tc = tcase_create("bad_input");
    tcase_add_unchecked_fixture(tc, e2e_tmp_setup, e2e_tmp_teardown);
    tcase_add_checked_fixture(tc, s_setup, s_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_bad_tasks);
    tcase_add_test(tc, test_buffers_of_others);
    tcase_add_test(tc, test_wrong_major);
    tcase_add_test(tc, test_garbage_and_truncated);
    tcase_add_test(tc, test_raw_protocol_errors);
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
