/*
 * check_e2e_bad.c - bad input, from libordo and from a plain ZeroMQ
 * socket: each piece must get a clear error (a failed completion with a
 * code and a reason, a Reply code, or a session Error) and leave the
 * daemon serving everybody else, which every test checks afterwards.
 *
 * Two test cases: "libordo" sends what the library lets through (and
 * checks what it refuses locally); "bad_input" is the table of bad inputs
 * of proto/PROTOCOL.md, one row per kind, each on a fresh daemon with the
 * row's options, sent from a raw protobuf-c client (rawclient.h) to send
 * what libordo never would.  test_table_documented keeps the table and
 * the rows in step.
 */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <zmq.h>

#include "e2e.h"
#include "ordo.h"
#include "ordo.pb-c.h"
#include "rawclient.h"

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
/* The table of bad inputs (PROTOCOL.md, "Bad input"): one row per kind,
 * each run against a fresh daemon (with the row's options) by
 * test_bad_input.  A row sends its bad input from a plain ZeroMQ socket
 * (rawclient.h, to send what libordo never would) and checks the answer:
 * the code and a reason naming what was wrong.  Around every row a
 * bystander session, connected before, must keep its buffer and serve, and
 * e2e_daemon_serves must start another session. */

static rc_daemon_t R;           /* rawclient's view of D */

static rc_conn_t *s_session(void)
{
    rc_conn_t *c = rc_connect(&R);
    rc_hello(c);
    return c;
}

static uint8_t *s_pack(const Ordo__V1__ClientMsg *m, size_t *len)
{
    *len = ordo__v1__client_msg__get_packed_size(m);
    uint8_t *buf = malloc(*len ? *len : 1);
    ck_assert_ptr_nonnull(buf);
    ordo__v1__client_msg__pack(m, buf);
    return buf;
}

/* The next message that is not a Completions (those are kept for
 * rc_take) within RC_TIMEOUT_MS, or NULL.  A deadline rather than a
 * timeout per message: the daemon's liveness probes (empty Completions
 * every 2 s) would otherwise keep the wait going. */
static Ordo__V1__ServerMsg *s_recv_other(rc_conn_t *c)
{
    if (c->pending) {
        Ordo__V1__ServerMsg *m = c->pending;
        c->pending = NULL;
        return m;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        long spent = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
        zmq_pollitem_t it = {c->sock, 0, ZMQ_POLLIN, 0};
        if (spent >= RC_TIMEOUT_MS || zmq_poll(&it, 1, RC_TIMEOUT_MS - spent) <= 0)
            return NULL;
        Ordo__V1__ServerMsg *m = rc_recv_msg(c);
        if (!m || m->msg_case != ORDO__V1__SERVER_MSG__MSG_COMPLETIONS)
            return m;
        rc_store(c, m->completions);
        ordo__v1__server_msg__free_unpacked(m, NULL);
    }
}

/* The next message must be a session Error with code and a reason that
 * contains what. */
static void s_expect_error(rc_conn_t *c, int code, const char *what)
{
    Ordo__V1__ServerMsg *m = s_recv_other(c);
    ck_assert_msg(m != NULL, "no answer within %d ms (expected an Error %s)", RC_TIMEOUT_MS,
                  ordo_strerror(code));
    ck_assert_msg(m->msg_case == ORDO__V1__SERVER_MSG__MSG_ERROR,
                  "answered with message kind %d, not an Error", m->msg_case);
    ck_assert_msg(m->error->code == code, "Error code %d (%s), expected %d (%s): %s",
                  m->error->code, ordo_strerror(m->error->code), code, ordo_strerror(code),
                  m->error->message);
    ck_assert_msg(strstr(m->error->message, what), "Error '%s' does not say '%s'",
                  m->error->message, what);
    ordo__v1__server_msg__free_unpacked(m, NULL);
}

/* The completion of id must be failed with code and a reason containing
 * what. */
static void s_expect_task_failed(rc_conn_t *c, uint64_t id, int code, const char *what)
{
    rc_comp_t x;
    ck_assert_msg(rc_take(c, id, &x) == 0, "no completion of task 0x%llx",
                  (unsigned long long)id);
    ck_assert_msg(x.status == ORDO__V1__TASK_STATUS__STATUS_FAILED,
                  "task 0x%llx: status %d, not failed", (unsigned long long)id, x.status);
    ck_assert_msg(x.code == code, "task 0x%llx: code %d (%s), expected %d (%s): %s",
                  (unsigned long long)id, x.code, ordo_strerror(x.code), code,
                  ordo_strerror(code), x.error);
    ck_assert_msg(strstr(x.error, what), "reason '%s' does not say '%s'", x.error, what);
    rc_comp_free(&x);
}

/* The completion of id must be done. */
static void s_expect_done(rc_conn_t *c, uint64_t id)
{
    rc_comp_t x;
    ck_assert_msg(rc_take(c, id, &x) == 0, "no completion of task 0x%llx",
                  (unsigned long long)id);
    ck_assert_msg(x.status == ORDO__V1__TASK_STATUS__STATUS_DONE,
                  "task 0x%llx: status %d (%s)", (unsigned long long)id, x.status, x.error);
    rc_comp_free(&x);
}

/* The session still serves: a noop with the next id is done. */
static void s_expect_alive(rc_conn_t *c)
{
    rc_task_t t;
    rc_task_init(&t, rc_next_id(c), "noop");
    rc_submit1(c, &t);
    s_expect_done(c, t.task.id);
}

/* Submits t and expects it refused, the session serving after. */
static void s_refuse(rc_conn_t *c, rc_task_t *t, int code, const char *what)
{
    rc_submit1(c, t);
    s_expect_task_failed(c, t->task.id, code, what);
    s_expect_alive(c);
}

static uint64_t s_buffer(rc_conn_t *c, uint64_t size, const char *name)
{
    uint64_t id;
    char err[256];
    int rc = rc_buffer_create(c, size, name, &id, err, sizeof err);
    ck_assert_msg(rc == 0, "BufferCreate of %llu bytes: %d %s", (unsigned long long)size, rc,
                  err);
    return id;
}

static void s_expect_create(rc_conn_t *c, uint64_t size, const char *name, int code,
                            const char *what)
{
    char err[256];
    int rc = rc_buffer_create(c, size, name, NULL, err, sizeof err);
    ck_assert_msg(rc == code, "BufferCreate of %llu bytes: %d (%s), expected %d: %s",
                  (unsigned long long)size, rc, ordo_strerror(rc), code, err);
    ck_assert_msg(strstr(err, what), "reason '%s' does not say '%s'", err, what);
}

/* A fill of a 1-d f32 view of buffer b, with the f64 parameter 1.0. */
static uint8_t s_one[8];

static void s_fill1(rc_task_t *t, rc_conn_t *c, uint64_t b, int64_t offset, int64_t n,
                    int64_t stride)
{
    rc_task_init(t, rc_next_id(c), "fill");
    rc_task_arg(t, b, ORDO_F32, offset, ORDO__V1__MODE__MODE_OUT, 1, n, stride);
    rc_f64(s_one, 1.0);
    rc_task_params(t, s_one, 8);
}

static void s_send_bye(rc_conn_t *c)
{
    Ordo__V1__Bye bye = ORDO__V1__BYE__INIT;
    Ordo__V1__ClientMsg m = ORDO__V1__CLIENT_MSG__INIT;
    m.msg_case = ORDO__V1__CLIENT_MSG__MSG_BYE;
    m.bye = &bye;
    rc_send(c, &m);
}

/* -- malformed messages ------------------------------------------------ */

static void c_garbage(void)
{
    rc_conn_t *c = rc_connect(&R);
    rc_send_raw(c, "\xff\xff\xff\xff garbage \x00\x01", 14);
    s_expect_error(c, ORDO_EPROTO, "undecodable");
    rc_close(&c);
}

static void c_garbage_in_session(void)
{
    rc_conn_t *c = s_session();
    rc_send_raw(c, "\x0a\xff\xff\xff\xff\x0f", 6);
    s_expect_error(c, ORDO_EPROTO, "undecodable");
    s_expect_alive(c);
    rc_close(&c);
}

static void c_truncated_hello(void)
{
    rc_conn_t *c = rc_connect(&R);
    Ordo__V1__Hello h = ORDO__V1__HELLO__INIT;
    h.protocol = "ordo";
    h.major = 1;
    h.client = "check_e2e_bad";
    Ordo__V1__ClientMsg m = ORDO__V1__CLIENT_MSG__INIT;
    m.msg_case = ORDO__V1__CLIENT_MSG__MSG_HELLO;
    m.hello = &h;
    size_t len;
    uint8_t *buf = s_pack(&m, &len);
    rc_send_raw(c, buf, 5);
    free(buf);
    s_expect_error(c, ORDO_EPROTO, "undecodable");
    rc_close(&c);
}

static void c_truncated_submit(void)
{
    rc_conn_t *c = s_session();
    rc_task_t t;
    rc_task_init(&t, ORDO_TASK_ID(c->session, c->seq), "noop");
    Ordo__V1__Task *tp = &t.task;
    Ordo__V1__Submit s = ORDO__V1__SUBMIT__INIT;
    s.n_tasks = 1;
    s.tasks = &tp;
    Ordo__V1__ClientMsg m = ORDO__V1__CLIENT_MSG__INIT;
    m.msg_case = ORDO__V1__CLIENT_MSG__MSG_SUBMIT;
    m.submit = &s;
    size_t len;
    uint8_t *buf = s_pack(&m, &len);
    ck_assert_uint_gt(len, 7);
    rc_send_raw(c, buf, 7);
    free(buf);
    s_expect_error(c, ORDO_EPROTO, "undecodable");
    s_expect_alive(c);      /* the cut task took no id */
    rc_close(&c);
}

static void c_empty_message(void)
{
    rc_conn_t *c = rc_connect(&R);
    rc_send_raw(c, "", 0);
    s_expect_error(c, ORDO_EPROTO, "without a known message");
    rc_close(&c);
}

static void c_unknown_message(void)
{
    /* Field 50 (varint 1): a message kind from the future. */
    rc_conn_t *c = s_session();
    rc_send_raw(c, "\x90\x03\x01", 3);
    s_expect_error(c, ORDO_EPROTO, "without a known message");
    s_expect_alive(c);
    rc_close(&c);
}

static void c_multipart(void)
{
    rc_conn_t *c = rc_connect(&R);
    ck_assert_int_eq(zmq_send(c->sock, "a", 1, ZMQ_SNDMORE), 1);
    ck_assert_int_eq(zmq_send(c->sock, "b", 1, 0), 1);
    s_expect_error(c, ORDO_EPROTO, "one frame");
    rc_close(&c);
}

static void c_oversized(void)
{
    /* --max-message=8192: ZeroMQ (ZMQ_MAXMSGSIZE) closes the connection
     * before the daemon sees the message, so the task is never handled. */
    rc_conn_t *c = s_session();
    static uint8_t params[16384];
    rc_task_t t;
    rc_task_init(&t, rc_next_id(c), "noop");
    rc_task_params(&t, params, sizeof params);
    rc_submit1(c, &t);
    ck_assert_msg(rc_count(c, t.task.id, 1000) == 0, "an oversized message was handled");
    rc_close(&c);
    /* The same task in a message within the limit is served. */
    c = s_session();
    rc_task_init(&t, rc_next_id(c), "noop");
    rc_task_params(&t, params, 2048);
    rc_submit1(c, &t);
    s_expect_done(c, t.task.id);
    rc_close(&c);
}

/* -- session protocol -------------------------------------------------- */

static void s_hello_kind(rc_conn_t *c, const char *protocol, uint32_t major)
{
    Ordo__V1__Hello h = ORDO__V1__HELLO__INIT;
    h.protocol = (char *)protocol;
    h.major = major;
    h.client = "check_e2e_bad";
    Ordo__V1__ClientMsg m = ORDO__V1__CLIENT_MSG__INIT;
    m.msg_case = ORDO__V1__CLIENT_MSG__MSG_HELLO;
    m.hello = &h;
    rc_send(c, &m);
}

static void c_wrong_protocol(void)
{
    rc_conn_t *c = rc_connect(&R);
    s_hello_kind(c, "http", 1);
    s_expect_error(c, ORDO_EPROTO, "'http'");
    rc_close(&c);
}

static void c_wrong_major(void)
{
    rc_conn_t *c = rc_connect(&R);
    s_hello_kind(c, "ordo", 2);
    s_expect_error(c, ORDO_EVERSION, "2.0");
    rc_close(&c);
}

static void c_before_hello(void)
{
    rc_conn_t *c = rc_connect(&R);
    rc_task_t t;
    rc_task_init(&t, ORDO_TASK_ID(1, 1), "noop");
    rc_submit1(c, &t);
    s_expect_error(c, ORDO_EPROTO, "Hello first");
    uint8_t hb[] = {0x3a, 0x02, 0x08, 0x01};    /* Heartbeat{req: 1} */
    rc_send_raw(c, hb, sizeof hb);
    s_expect_error(c, ORDO_EPROTO, "Hello first");
    rc_close(&c);
}

static void c_second_hello(void)
{
    rc_conn_t *c = s_session();
    s_hello_kind(c, "ordo", 1);
    s_expect_error(c, ORDO_EPROTO, "already has session");
    s_expect_alive(c);
    rc_close(&c);
}

static void c_resume_bad_token(void)
{
    /* Session 1 is the bystander's: a wrong token must not take it over. */
    rc_conn_t *c = rc_connect(&R);
    uint8_t token[16] = {0};
    rc_send_hello(c, 1, 1, token, sizeof token);
    s_expect_error(c, ORDO_ESESSION, "cannot resume session 1");
    rc_send_hello(c, 1, 1000, token, 3);
    s_expect_error(c, ORDO_ESESSION, "cannot resume session 1000");
    rc_close(&c);
}

static void c_hello_flood(void)
{
    /* --max-sessions=6: the bystander and five raw sessions fill it. */
    rc_conn_t *cs[5];
    for (int i = 0; i < 5; i++)
        cs[i] = s_session();
    for (int i = 0; i < 20; i++) {
        rc_conn_t *c = rc_connect(&R);
        s_hello_kind(c, "ordo", 1);
        s_expect_error(c, ORDO_ELIMIT, "limit is 6 (--max-sessions)");
        rc_close(&c);
    }
    for (int i = 0; i < 5; i++)
        s_expect_alive(cs[i]);
    for (int i = 0; i < 5; i++) {
        s_send_bye(cs[i]);
        rc_close(&cs[i]);
    }
    /* The Byes free the places (they are handled soon, not at once). */
    long long active = -1;
    for (int i = 0; i < 500; i++) {
        char *text;
        ck_assert_int_eq(rc_status(&R, "status", 0, &text), 0);
        active = rc_info(text, "sessions_active");
        free(text);
        if (active == 1)
            break;
        rc_sleep_ms(10);
    }
    ck_assert_int_eq(active, 1);
}

/* -- tasks: views ------------------------------------------------------ */

/* A session with a buffer of 64 f32 for the view rows. */
static rc_conn_t *s_view_session(uint64_t *b)
{
    rc_conn_t *c = s_session();
    *b = s_buffer(c, 64 * sizeof(float), NULL);
    return c;
}

static void c_view_past_end(void)
{
    uint64_t b;
    rc_conn_t *c = s_view_session(&b);
    rc_task_t t;
    s_fill1(&t, c, b, 0, 65, 1);
    s_refuse(c, &t, ORDO_ERANGE, "leaves its buffer");
    s_fill1(&t, c, b, 60, 5, 1);
    s_refuse(c, &t, ORDO_ERANGE, "leaves its buffer");
    rc_close(&c);
}

static void c_negative_offset(void)
{
    uint64_t b;
    rc_conn_t *c = s_view_session(&b);
    rc_task_t t;
    s_fill1(&t, c, b, -1, 4, 1);
    s_refuse(c, &t, ORDO_ERANGE, "negative offset");
    /* A negative stride that walks below the start. */
    s_fill1(&t, c, b, 8, 4, -4);
    s_refuse(c, &t, ORDO_ERANGE, "leaves its buffer");
    rc_close(&c);
}

static void c_negative_shape(void)
{
    uint64_t b;
    rc_conn_t *c = s_view_session(&b);
    rc_task_t t;
    s_fill1(&t, c, b, 0, -4, 1);
    s_refuse(c, &t, ORDO_EINVAL, "negative shape");
    rc_close(&c);
}

static void c_zero_shape(void)
{
    /* Allowed: an empty view touches no byte (and orders nothing). */
    uint64_t b;
    rc_conn_t *c = s_view_session(&b);
    rc_task_t t;
    rc_task_init(&t, rc_next_id(c), "fill");
    rc_task_arg(&t, b, ORDO_F32, 4, ORDO__V1__MODE__MODE_OUT, 2, I64(3), I64(0), I64(4),
                I64(1));
    rc_f64(s_one, 1.0);
    rc_task_params(&t, s_one, 8);
    rc_submit1(c, &t);
    s_expect_done(c, t.task.id);
    rc_task_init(&t, rc_next_id(c), "host_read");
    rc_task_arg1(&t, b, ORDO_F32, 0, 64, ORDO__V1__MODE__MODE_IN);
    rc_submit1(c, &t);
    rc_comp_t x;
    ck_assert_int_eq(rc_take(c, t.task.id, &x), 0);
    ck_assert_int_eq(x.status, ORDO__V1__TASK_STATUS__STATUS_DONE);
    ck_assert_uint_eq(x.ndata, 64 * sizeof(float));
    for (size_t i = 0; i < x.ndata; i++)
        ck_assert_msg(x.data[i] == 0, "an empty view wrote byte %zu", i);
    rc_comp_free(&x);
    rc_close(&c);
}

static void c_overflow(void)
{
    uint64_t b;
    rc_conn_t *c = s_view_session(&b);
    rc_task_t t;
    /* shape * stride past 2^63 */
    rc_task_init(&t, rc_next_id(c), "fill");
    rc_task_arg(&t, b, ORDO_F32, 0, ORDO__V1__MODE__MODE_OUT, 2, I64(1) << 40, I64(1) << 40,
                I64(1) << 40, I64(1));
    rc_task_params(&t, s_one, 8);
    s_refuse(c, &t, ORDO_ERANGE, "overflow");
    /* a stride of INT64_MAX */
    s_fill1(&t, c, b, 0, 3, INT64_MAX);
    s_refuse(c, &t, ORDO_ERANGE, "overflow");
    /* a stride of INT64_MIN */
    s_fill1(&t, c, b, 0, 3, INT64_MIN);
    s_refuse(c, &t, ORDO_ERANGE, "overflow");
    /* offset + extent past 2^63 */
    s_fill1(&t, c, b, INT64_MAX, 2, 1);
    s_refuse(c, &t, ORDO_ERANGE, "");
    rc_close(&c);
}

static void c_ndim_protocol(void)
{
    uint64_t b;
    rc_conn_t *c = s_view_session(&b);
    rc_task_t t;
    rc_task_init(&t, rc_next_id(c), "fill");
    rc_task_arg(&t, b, ORDO_F32, 0, ORDO__V1__MODE__MODE_OUT, 9, I64(1), I64(1), I64(1),
                I64(1), I64(1), I64(1), I64(1), I64(1), I64(1), I64(1), I64(1), I64(1),
                I64(1), I64(1), I64(1), I64(1), I64(1), I64(1));
    rc_task_params(&t, s_one, 8);
    s_refuse(c, &t, ORDO_EINVAL, "ndim 9");
    rc_close(&c);
}

static void c_ndim_limit(void)
{
    /* --max-ndim=2 */
    uint64_t b;
    rc_conn_t *c = s_view_session(&b);
    rc_task_t t;
    rc_task_init(&t, rc_next_id(c), "fill");
    rc_task_arg(&t, b, ORDO_F32, 0, ORDO__V1__MODE__MODE_OUT, 3, I64(2), I64(2), I64(2),
                I64(4), I64(2), I64(1));
    rc_f64(s_one, 1.0);
    rc_task_params(&t, s_one, 8);
    s_refuse(c, &t, ORDO_ELIMIT, "view has 3 dimensions; limit is 2 (--max-ndim)");
    /* Two dimensions are fine. */
    rc_task_init(&t, rc_next_id(c), "fill");
    rc_task_arg(&t, b, ORDO_F32, 0, ORDO__V1__MODE__MODE_OUT, 2, I64(2), I64(2), I64(2),
                I64(1));
    rc_task_params(&t, s_one, 8);
    rc_submit1(c, &t);
    s_expect_done(c, t.task.id);
    rc_close(&c);
}

static void c_shape_strides_mismatch(void)
{
    uint64_t b;
    rc_conn_t *c = s_view_session(&b);
    rc_task_t t;
    rc_task_init(&t, rc_next_id(c), "fill");
    rc_task_arg(&t, b, ORDO_F32, 0, ORDO__V1__MODE__MODE_OUT, 2, I64(2), I64(2), I64(2),
                I64(1));
    t.views[0].n_strides = 1;
    rc_task_params(&t, s_one, 8);
    s_refuse(c, &t, ORDO_EINVAL, "strides");
    rc_close(&c);
}

static void c_unknown_dtype(void)
{
    uint64_t b;
    rc_conn_t *c = s_view_session(&b);
    rc_task_t t;
    s_fill1(&t, c, b, 0, 4, 1);
    t.views[0].dtype = 99;
    s_refuse(c, &t, ORDO_EINVAL, "dtype 99");
    rc_close(&c);
}

static void c_bad_mode(void)
{
    uint64_t b;
    rc_conn_t *c = s_view_session(&b);
    rc_task_t t;
    s_fill1(&t, c, b, 0, 4, 1);
    t.args[0].mode = 0;
    s_refuse(c, &t, ORDO_EINVAL, "mode 0");
    s_fill1(&t, c, b, 0, 4, 1);
    t.args[0].mode = 7;
    s_refuse(c, &t, ORDO_EINVAL, "mode 7");
    rc_close(&c);
}

static void c_arg_without_view(void)
{
    uint64_t b;
    rc_conn_t *c = s_view_session(&b);
    rc_task_t t;
    s_fill1(&t, c, b, 0, 4, 1);
    t.args[0].view = NULL;
    s_refuse(c, &t, ORDO_EINVAL, "no view");
    rc_close(&c);
}

/* -- tasks: buffers ---------------------------------------------------- */

static void c_unknown_buffer(void)
{
    uint64_t b;
    rc_conn_t *c = s_view_session(&b);
    rc_task_t t;
    s_fill1(&t, c, b + 1000, 0, 4, 1);
    s_refuse(c, &t, ORDO_ENOENT, "unknown or released");
    rc_close(&c);
}

static void c_foreign_private_buffer(void)
{
    uint64_t theirs;
    rc_conn_t *owner = s_view_session(&theirs), *c = s_session();
    rc_task_t t;
    s_fill1(&t, c, theirs, 0, 4, 1);
    s_refuse(c, &t, ORDO_EPERM, "private to another session");
    /* Nor may it release it. */
    ck_assert_int_eq(rc_buffer_release(c, theirs), ORDO_ENOENT);
    /* The owner's buffer is intact and usable. */
    s_fill1(&t, owner, theirs, 0, 4, 1);
    rc_submit1(owner, &t);
    s_expect_done(owner, t.task.id);
    rc_close(&c);
    rc_close(&owner);
}

static void c_named_not_opened(void)
{
    rc_conn_t *owner = s_session(), *c = s_session();
    uint64_t named = s_buffer(owner, 256, "e2e-bad-named");
    rc_task_t t;
    s_fill1(&t, c, named, 0, 4, 1);
    s_refuse(c, &t, ORDO_EPERM, "is not open in this session");
    uint64_t got, size;
    ck_assert_int_eq(rc_buffer_open(c, "e2e-bad-named", &got, &size), 0);
    ck_assert_uint_eq(got, named);
    s_fill1(&t, c, named, 0, 4, 1);
    rc_submit1(c, &t);
    s_expect_done(c, t.task.id);
    rc_close(&c);
    rc_close(&owner);
}

static void c_released_buffer(void)
{
    uint64_t b;
    rc_conn_t *c = s_view_session(&b);
    ck_assert_int_eq(rc_buffer_release(c, b), 0);
    rc_task_t t;
    s_fill1(&t, c, b, 0, 4, 1);
    s_refuse(c, &t, ORDO_ENOENT, "unknown or released");
    ck_assert_int_eq(rc_buffer_release(c, b), ORDO_ENOENT);
    rc_close(&c);
}

/* -- tasks: kernels and parameters ------------------------------------- */

static void c_unknown_kernel(void)
{
    rc_conn_t *c = s_session();
    rc_task_t t;
    rc_task_init(&t, rc_next_id(c), "no_such_kernel");
    s_refuse(c, &t, ORDO_ENOENT, "unknown kernel 'no_such_kernel'");
    rc_task_init(&t, rc_next_id(c), "");
    s_refuse(c, &t, ORDO_ENOENT, "unknown kernel ''");
    rc_close(&c);
}

static void c_params_mismatch(void)
{
    uint64_t b;
    rc_conn_t *c = s_view_session(&b);
    rc_task_t t;
    s_fill1(&t, c, b, 0, 4, 1);
    rc_task_params(&t, s_one, 4);
    s_refuse(c, &t, ORDO_EINVAL, "fill takes 8 parameter bytes, got 4");
    uint8_t nine[9] = {0};
    rc_task_init(&t, rc_next_id(c), "sleep");
    rc_task_params(&t, nine, sizeof nine);
    s_refuse(c, &t, ORDO_EINVAL, "sleep takes 8 parameter bytes, got 9");
    rc_task_init(&t, rc_next_id(c), "scale");
    rc_task_arg1(&t, b, ORDO_F32, 0, 4, ORDO__V1__MODE__MODE_INOUT);
    s_refuse(c, &t, ORDO_EINVAL, "scale takes 8 parameter bytes, got 0");
    rc_close(&c);
}

static void c_kernel_arguments(void)
{
    uint64_t b;
    rc_conn_t *c = s_view_session(&b);
    rc_task_t t;
    /* fill writes its argument: declared 'in', it is refused. */
    s_fill1(&t, c, b, 0, 4, 1);
    t.args[0].mode = ORDO__V1__MODE__MODE_IN;
    s_refuse(c, &t, ORDO_EINVAL, "fill");
    /* copy of different shapes. */
    rc_task_init(&t, rc_next_id(c), "copy");
    rc_task_arg1(&t, b, ORDO_F32, 0, 4, ORDO__V1__MODE__MODE_OUT);
    rc_task_arg1(&t, b, ORDO_F32, 8, 5, ORDO__V1__MODE__MODE_IN);
    s_refuse(c, &t, ORDO_EINVAL, "shapes differ");
    rc_close(&c);
}

static void c_host_read_too_large(void)
{
    /* --max-message=65536: the answer could not be sent. */
    rc_conn_t *c = s_session();
    uint64_t b = s_buffer(c, 1 << 20, NULL);
    rc_task_t t;
    rc_task_init(&t, rc_next_id(c), "host_read");
    rc_task_arg1(&t, b, ORDO_U8, 0, 1 << 20, ORDO__V1__MODE__MODE_IN);
    s_refuse(c, &t, ORDO_ELIMIT, "exceeds the message limit");
    rc_close(&c);
}

/* -- tasks: limits ----------------------------------------------------- */

static void c_too_many_args(void)
{
    /* --max-task-args=4 */
    uint64_t b;
    rc_conn_t *c = s_view_session(&b);
    rc_task_t t;
    rc_task_init(&t, rc_next_id(c), "noop");
    for (int i = 0; i < 5; i++)
        rc_task_arg1(&t, b, ORDO_F32, 0, 4, ORDO__V1__MODE__MODE_IN);
    s_refuse(c, &t, ORDO_ELIMIT, "task has 5 arguments; limit is 4 (--max-task-args)");
    /* The status shows the limit in force. */
    char *json = e2e_status(&D, true);
    double v;
    ck_assert_msg(e2e_json_number(json, "limits.max_task_args", &v) && v == 4, "%s", json);
    ck_assert_msg(e2e_json_number(json, "limits.max_ndim", &v) && v == ORDO_MAX_NDIM, "%s",
                  json);
    free(json);
    t.task.n_args = 4;
    t.task.id = rc_next_id(c);
    rc_submit1(c, &t);
    s_expect_done(c, t.task.id);
    rc_close(&c);
}

static void c_too_many_deps(void)
{
    /* --max-task-deps=4 */
    rc_conn_t *c = s_session();
    rc_task_t t;
    rc_task_init(&t, rc_next_id(c), "noop");
    rc_submit1(c, &t);
    s_expect_done(c, t.task.id);
    uint64_t first = t.task.id;
    rc_task_init(&t, rc_next_id(c), "noop");
    for (int i = 0; i < 5; i++)
        rc_task_dep(&t, first);
    s_refuse(c, &t, ORDO_ELIMIT, "task has 5 dependencies; limit is 4 (--max-task-deps)");
    t.task.n_deps = 4;
    t.task.id = rc_next_id(c);
    rc_submit1(c, &t);
    s_expect_done(c, t.task.id);
    rc_close(&c);
}

static void c_params_too_large(void)
{
    /* --max-params=16 */
    rc_conn_t *c = s_session();
    static uint8_t params[17];
    rc_task_t t;
    rc_task_init(&t, rc_next_id(c), "noop");
    rc_task_params(&t, params, 17);
    s_refuse(c, &t, ORDO_ELIMIT, "task has 17 parameter bytes; limit is 16 (--max-params)");
    rc_task_init(&t, rc_next_id(c), "noop");
    rc_task_params(&t, params, 16);
    rc_submit1(c, &t);
    s_expect_done(c, t.task.id);
    rc_close(&c);
}

static void c_over_credit(void)
{
    /* --credits=2: a raw client that ignores its credits has the task
     * beyond them refused (libordo waits instead: back-pressure). */
    rc_conn_t *c = s_session();
    ck_assert_uint_eq(c->credits, 2);
    rc_task_t ts[3];
    rc_task_t *tp[3];
    uint8_t us[8];
    rc_le64(us, 200000);
    for (int i = 0; i < 3; i++) {
        rc_task_init(&ts[i], rc_next_id(c), "sleep");
        rc_task_params(&ts[i], us, 8);
        tp[i] = &ts[i];
    }
    rc_submit(c, tp, 3);
    s_expect_task_failed(c, ts[2].task.id, ORDO_ELIMIT, "limit is 2 (--credits)");
    s_expect_done(c, ts[0].task.id);
    s_expect_done(c, ts[1].task.id);
    s_expect_alive(c);
    rc_close(&c);
}

/* -- tasks: dependencies ----------------------------------------------- */

static void c_dep_unknown(void)
{
    rc_conn_t *c = s_session();
    rc_task_t t;
    rc_task_init(&t, rc_next_id(c), "noop");
    rc_task_dep(&t, ORDO_TASK_ID(c->session + 7, 3));
    s_refuse(c, &t, ORDO_ENOENT, "was never accepted");
    rc_task_init(&t, rc_next_id(c), "noop");
    rc_task_dep(&t, 0);
    s_refuse(c, &t, ORDO_ENOENT, "was never accepted");
    rc_close(&c);
}

static void c_dep_self(void)
{
    rc_conn_t *c = s_session();
    rc_task_t t;
    rc_task_init(&t, rc_next_id(c), "noop");
    rc_task_dep(&t, t.task.id);
    s_refuse(c, &t, ORDO_EINVAL, "dependency 0 is the task itself");
    rc_close(&c);
}

static void c_dep_future(void)
{
    rc_conn_t *c = s_session();
    rc_task_t t;
    rc_task_init(&t, rc_next_id(c), "noop");
    rc_task_dep(&t, ORDO_TASK_ID(c->session, c->seq));      /* the next task's id */
    s_refuse(c, &t, ORDO_ENOENT, "was never accepted");
    rc_close(&c);
}

static void c_dep_forgotten(void)
{
    /* With --max-tombstones=2, the third refused task pushes the first's
     * outcome out: a dependency on it is refused (it may have failed, so it
     * must not count as done), and a Watch of it says why. */
    rc_conn_t *c = s_session();
    rc_task_t t;
    uint64_t refused[3];
    for (int i = 0; i < 3; i++) {
        rc_task_init(&t, rc_next_id(c), "no-such-kernel");
        refused[i] = t.task.id;
        s_refuse(c, &t, ORDO_ENOENT, "no-such-kernel");
    }
    rc_task_init(&t, rc_next_id(c), "noop");
    rc_task_dep(&t, refused[0]);
    s_refuse(c, &t, ORDO_ENOENT, "ended too long ago");
    rc_watch(c, &refused[0], 1);
    rc_comp_t x;
    ck_assert_int_eq(rc_take(c, refused[0], &x), 0);
    ck_assert_int_eq(x.status, ORDO__V1__TASK_STATUS__STATUS_UNSPECIFIED);
    ck_assert_int_eq(x.code, ORDO_ENOENT);
    ck_assert_msg(strstr(x.error, "no longer known (--max-tombstones)"), "%s", x.error);
    rc_comp_free(&x);
    rc_close(&c);
}

static void c_dep_duplicate(void)
{
    /* Accepted: the same dependency named three times is one edge. */
    rc_conn_t *c = s_session();
    char *text;
    ck_assert_int_eq(rc_status(&R, "status", 0, &text), 0);
    long long before = rc_info(text, "edges_explicit");
    free(text);
    uint8_t us[8];
    rc_le64(us, 100000);
    rc_task_t a, b;
    rc_task_t *tp[2] = {&a, &b};
    rc_task_init(&a, rc_next_id(c), "sleep");
    rc_task_params(&a, us, 8);
    rc_task_init(&b, rc_next_id(c), "noop");
    for (int i = 0; i < 3; i++)
        rc_task_dep(&b, a.task.id);
    rc_submit(c, tp, 2);
    s_expect_done(c, a.task.id);
    s_expect_done(c, b.task.id);
    ck_assert_uint_eq(rc_count(c, b.task.id, 200), 0);  /* one completion only */
    ck_assert_int_eq(rc_status(&R, "status", 0, &text), 0);
    long long after = rc_info(text, "edges_explicit");
    free(text);
    ck_assert_int_eq(after - before, 1);
    rc_close(&c);
}

/* -- tasks: ids -------------------------------------------------------- */

static void c_id_out_of_sequence(void)
{
    rc_conn_t *c = s_session();
    rc_task_t t;
    rc_task_init(&t, ORDO_TASK_ID(c->session, c->seq + 4), "noop");
    rc_submit1(c, &t);
    s_expect_task_failed(c, t.task.id, ORDO_ESEQ, "out of sequence");
    s_expect_alive(c);      /* the refused id took no place */
    rc_close(&c);
}

static void c_id_repeated(void)
{
    rc_conn_t *c = s_session();
    rc_task_t t;
    rc_task_init(&t, rc_next_id(c), "noop");
    rc_submit1(c, &t);
    s_expect_done(c, t.task.id);
    rc_submit1(c, &t);
    s_expect_task_failed(c, t.task.id, ORDO_ESEQ, "out of sequence");
    s_expect_alive(c);
    rc_close(&c);
}

static void c_other_session_id(void)
{
    /* The bystander's id space (session 1), and the reserved session 0. */
    rc_conn_t *c = s_session();
    rc_task_t t;
    rc_task_init(&t, ORDO_TASK_ID(1, 1000), "noop");
    rc_submit1(c, &t);
    s_expect_task_failed(c, t.task.id, ORDO_ESEQ, "out of sequence");
    rc_task_init(&t, ORDO_TASK_ID(0, 1), "noop");
    rc_submit1(c, &t);
    s_expect_task_failed(c, t.task.id, ORDO_ESEQ, "out of sequence");
    s_expect_alive(c);
    rc_close(&c);
}

/* -- buffers ----------------------------------------------------------- */

static void c_buffer_size(void)
{
    rc_conn_t *c = s_session();
    s_expect_create(c, 0, NULL, ORDO_EINVAL, "outside [1, 2^48]");
    s_expect_create(c, UINT64_C(1) << 60, NULL, ORDO_EINVAL, "outside [1, 2^48]");
    s_expect_alive(c);
    rc_close(&c);
}

static void c_buffer_name(void)
{
    rc_conn_t *c = s_session();
    s_expect_create(c, 64, "bad\x01name", ORDO_EINVAL, "non-printable");
    char longname[300];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    s_expect_create(c, 64, longname, ORDO_EINVAL, "longer than 255");
    s_buffer(c, 64, "e2e-bad-taken");
    rc_conn_t *c2 = s_session();
    s_expect_create(c2, 64, "e2e-bad-taken", ORDO_EEXIST, "exists");
    uint64_t id, size;
    ck_assert_int_eq(rc_buffer_open(c2, "e2e-bad-unknown", &id, &size), ORDO_ENOENT);
    ck_assert_int_eq(rc_buffer_open(c2, "", &id, &size), ORDO_EINVAL);
    ck_assert_int_eq(rc_buffer_release(c2, 12345), ORDO_ENOENT);
    s_expect_alive(c2);
    rc_close(&c2);
    rc_close(&c);
}

static void c_buffer_quota_count(void)
{
    /* --max-session-buffers=3 */
    rc_conn_t *c = s_session(), *other = s_session();
    uint64_t ids[3];
    for (int i = 0; i < 3; i++)
        ids[i] = s_buffer(c, 64, NULL);
    s_expect_create(c, 64, NULL, ORDO_ELIMIT,
                    "session holds 3 buffers it created; limit is 3 (--max-session-buffers)");
    /* Opening another session's buffer is not counted... */
    s_buffer(other, 64, "e2e-bad-shared");
    uint64_t got, size;
    ck_assert_int_eq(rc_buffer_open(c, "e2e-bad-shared", &got, &size), 0);
    /* ...and a released one frees a place. */
    ck_assert_int_eq(rc_buffer_release(c, ids[0]), 0);
    s_buffer(c, 64, NULL);
    s_expect_create(c, 64, NULL, ORDO_ELIMIT, "--max-session-buffers");
    /* Other sessions have quotas of their own. */
    s_buffer(other, 64, NULL);
    rc_close(&other);
    rc_close(&c);
}

static void c_buffer_quota_bytes(void)
{
    /* --max-session-bytes=4096 */
    rc_conn_t *c = s_session(), *other = s_session();
    uint64_t big = s_buffer(c, 4000, NULL);
    s_expect_create(c, 200, NULL, ORDO_ELIMIT,
                    "session holds 4000 bytes of buffers it created; limit is 4096 "
                    "(--max-session-bytes)");
    s_expect_create(c, UINT64_MAX, NULL, ORDO_ELIMIT, "--max-session-bytes");
    /* The creator pays for a shared buffer, not the sessions opening it. */
    s_buffer(other, 4096, "e2e-bad-shared");
    uint64_t got, size;
    ck_assert_int_eq(rc_buffer_open(c, "e2e-bad-shared", &got, &size), 0);
    uint64_t small = s_buffer(c, 96, NULL);
    ck_assert_int_eq(rc_buffer_release(c, big), 0);
    ck_assert_int_eq(rc_buffer_release(c, small), 0);
    /* A creator that releases its shared buffer (another session keeps it)
     * and opens it again pays again, within its quota. */
    uint64_t mine = s_buffer(c, 4000, "e2e-bad-mine");
    ck_assert_int_eq(rc_buffer_open(other, "e2e-bad-mine", &got, &size), 0);
    ck_assert_int_eq(rc_buffer_release(c, mine), 0);
    uint64_t priv = s_buffer(c, 4000, NULL);
    ck_assert_int_eq(rc_buffer_open(c, "e2e-bad-mine", &got, &size), ORDO_ELIMIT);
    ck_assert_int_eq(rc_buffer_release(c, priv), 0);
    ck_assert_int_eq(rc_buffer_open(c, "e2e-bad-mine", &got, &size), 0);
    s_expect_create(c, 200, NULL, ORDO_ELIMIT, "--max-session-bytes");
    ck_assert_int_eq(rc_buffer_release(c, mine), 0);
    s_buffer(c, 4000, NULL);
    rc_close(&other);
    rc_close(&c);
}

/* -- Watch and the status socket --------------------------------------- */

static void c_watch_too_many(void)
{
    /* --max-watch=4 */
    rc_conn_t *c = s_session();
    rc_task_t t;
    rc_task_init(&t, rc_next_id(c), "noop");
    rc_submit1(c, &t);
    s_expect_done(c, t.task.id);
    uint64_t ids[5] = {t.task.id, t.task.id, t.task.id, t.task.id, t.task.id};
    rc_watch(c, ids, 5);
    s_expect_error(c, ORDO_ELIMIT, "Watch of 5 ids ignored; limit is 4 (--max-watch)");
    s_expect_alive(c);
    rc_close(&c);
}

static void c_watch_unknown(void)
{
    rc_conn_t *c = s_session();
    uint64_t id = ORDO_TASK_ID(c->session + 3, 9);
    rc_watch(c, &id, 1);
    rc_comp_t x;
    ck_assert_int_eq(rc_take(c, id, &x), 0);
    ck_assert_int_eq(x.status, ORDO__V1__TASK_STATUS__STATUS_UNSPECIFIED);
    ck_assert_int_eq(x.code, ORDO_ENOENT);
    ck_assert_msg(strstr(x.error, "never accepted"), "%s", x.error);
    rc_comp_free(&x);
    s_expect_alive(c);
    rc_close(&c);
}

/* One raw request on the status socket; returns the StatusReply's code and
 * its text in text (malloc'd). */
static int s_status_raw(const void *data, size_t len, int frames, char **text)
{
    void *s = zmq_socket(R.ctx, ZMQ_REQ);
    int t = RC_TIMEOUT_MS, linger = 0;
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &t, sizeof t);
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    ck_assert_int_eq(zmq_connect(s, R.status_endpoint), 0);
    for (int i = 1; i < frames; i++)
        zmq_send(s, data, len, ZMQ_SNDMORE);
    zmq_send(s, data, len, 0);
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    ck_assert_msg(zmq_msg_recv(&msg, s, 0) >= 0, "no StatusReply");
    Ordo__V1__StatusReply *rep =
        ordo__v1__status_reply__unpack(NULL, zmq_msg_size(&msg), zmq_msg_data(&msg));
    ck_assert_ptr_nonnull(rep);
    int code = rep->code;
    *text = strdup(rep->text);
    ordo__v1__status_reply__free_unpacked(rep, NULL);
    zmq_msg_close(&msg);
    zmq_close(s);
    return code;
}

static void c_status_garbage(void)
{
    char *text;
    ck_assert_int_eq(s_status_raw("\xff\xff\xff garbage", 12, 1, &text), ORDO_EPROTO);
    ck_assert_msg(strstr(text, "undecodable"), "%s", text);
    free(text);
    ck_assert_int_eq(s_status_raw("\xff\xff\xff garbage", 12, 3, &text), ORDO_EPROTO);
    free(text);
    ck_assert_int_eq(rc_status(&R, "status", 0, &text), 0);
    free(text);
}

static void c_status_unknown_command(void)
{
    char *text;
    ck_assert_int_eq(rc_status(&R, "frobnicate", 0, &text), ORDO_EINVAL);
    ck_assert_msg(strstr(text, "unknown command 'frobnicate'"), "%s", text);
    free(text);
    ck_assert_int_eq(rc_status(&R, "", 1, &text), ORDO_EINVAL);
    free(text);
}

typedef struct {
    const char *name;           /* the test name in PROTOCOL.md */
    const char *opts[3];        /* extra ordod options */
    void (*run)(void);
} s_case_t;

static const s_case_t s_cases[] = {
    { "garbage", {NULL}, c_garbage },
    { "garbage_in_session", {NULL}, c_garbage_in_session },
    { "truncated_hello", {NULL}, c_truncated_hello },
    { "truncated_submit", {NULL}, c_truncated_submit },
    { "empty_message", {NULL}, c_empty_message },
    { "unknown_message", {NULL}, c_unknown_message },
    { "multipart", {NULL}, c_multipart },
    { "oversized", {"--max-message=8192"}, c_oversized },
    { "wrong_protocol", {NULL}, c_wrong_protocol },
    { "wrong_major", {NULL}, c_wrong_major },
    { "before_hello", {NULL}, c_before_hello },
    { "second_hello", {NULL}, c_second_hello },
    { "resume_bad_token", {NULL}, c_resume_bad_token },
    { "hello_flood", {"--max-sessions=6"}, c_hello_flood },
    { "view_past_end", {NULL}, c_view_past_end },
    { "negative_offset", {NULL}, c_negative_offset },
    { "negative_shape", {NULL}, c_negative_shape },
    { "zero_shape", {NULL}, c_zero_shape },
    { "overflow", {NULL}, c_overflow },
    { "ndim_protocol", {NULL}, c_ndim_protocol },
    { "ndim_limit", {"--max-ndim=2"}, c_ndim_limit },
    { "shape_strides_mismatch", {NULL}, c_shape_strides_mismatch },
    { "unknown_dtype", {NULL}, c_unknown_dtype },
    { "bad_mode", {NULL}, c_bad_mode },
    { "arg_without_view", {NULL}, c_arg_without_view },
    { "unknown_buffer", {NULL}, c_unknown_buffer },
    { "foreign_private_buffer", {NULL}, c_foreign_private_buffer },
    { "named_not_opened", {NULL}, c_named_not_opened },
    { "released_buffer", {NULL}, c_released_buffer },
    { "unknown_kernel", {NULL}, c_unknown_kernel },
    { "params_mismatch", {NULL}, c_params_mismatch },
    { "kernel_arguments", {NULL}, c_kernel_arguments },
    { "host_read_too_large", {"--max-message=65536"}, c_host_read_too_large },
    { "too_many_args", {"--max-task-args=4"}, c_too_many_args },
    { "too_many_deps", {"--max-task-deps=4"}, c_too_many_deps },
    { "params_too_large", {"--max-params=16"}, c_params_too_large },
    { "over_credit", {"--credits=2"}, c_over_credit },
    { "dep_unknown", {NULL}, c_dep_unknown },
    { "dep_self", {NULL}, c_dep_self },
    { "dep_future", {NULL}, c_dep_future },
    { "dep_forgotten", {"--max-tombstones=2"}, c_dep_forgotten },
    { "dep_duplicate", {NULL}, c_dep_duplicate },
    { "id_out_of_sequence", {NULL}, c_id_out_of_sequence },
    { "id_repeated", {NULL}, c_id_repeated },
    { "other_session_id", {NULL}, c_other_session_id },
    { "buffer_size", {NULL}, c_buffer_size },
    { "buffer_name", {NULL}, c_buffer_name },
    { "buffer_quota_count", {"--max-session-buffers=3"}, c_buffer_quota_count },
    { "buffer_quota_bytes", {"--max-session-bytes=4096"}, c_buffer_quota_bytes },
    { "watch_too_many", {"--max-watch=4"}, c_watch_too_many },
    { "watch_unknown", {NULL}, c_watch_unknown },
    { "status_garbage", {NULL}, c_status_garbage },
    { "status_unknown_command", {NULL}, c_status_unknown_command },
};

#define S_NCASES ((int)(sizeof s_cases / sizeof s_cases[0]))

START_TEST(test_bad_input)
{
    const s_case_t *k = &s_cases[_i];
    const char *args[8] = {"--workers=2", "--log-level=error"};
    for (int i = 0; i < 3 && k->opts[i]; i++)
        args[2 + i] = k->opts[i];
    e2e_start(&D, args);
    memset(&R, 0, sizeof R);
    ck_assert(strlen(D.endpoint) < sizeof R.endpoint && strlen(D.status) < sizeof R.endpoint);
    snprintf(R.endpoint, sizeof R.endpoint, "%.255s", D.endpoint);
    snprintf(R.status_endpoint, sizeof R.status_endpoint, "%.255s", D.status);
    R.ctx = zmq_ctx_new();

    /* The bystander: session 1, a buffer of 16 f32 filled with 4. */
    ordo_client_t *by = e2e_connect(&D);
    ck_assert_uint_eq(ordo_client_session(by), 1);
    uint64_t bb, id;
    float out[16];
    ordo_tensor_t v;
    ck_assert_int_eq(ordo_buffer_create(by, sizeof out, NULL, &bb), 0);
    ck_assert_int_eq(ordo_tensor_init(&v, bb, ORDO_F32, 0, 1, (int64_t[]){16}, NULL), 0);
    ck_assert_int_eq(ordo_fill(by, &v, 4.0, &id), 0);
    ck_assert_int_eq(ordo_wait(by, id, 10000, NULL), 0);

    fprintf(stderr, "bad input: %s\n", k->name);
    k->run();

    ck_assert_int_eq(ordo_read(by, &v, out, sizeof out, &id), 0);
    ck_assert_msg(ordo_wait(by, id, 10000, NULL) == 0, "%s: the bystander broke: %s",
                  k->name, ordo_last_error());
    for (int i = 0; i < 16; i++)
        ck_assert_msg(out[i] == 4.0f, "%s: the bystander's buffer changed", k->name);
    ordo_client_destroy(&by);
    ck_assert_msg(e2e_daemon_serves(&D), "%s: the daemon stopped serving", k->name);
    zmq_ctx_term(R.ctx);
    int status = e2e_stop(&D);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "%s: ordod did not exit 0 on SIGTERM (status %d)", k->name, status);
}
END_TEST

/* Every row of PROTOCOL.md's "Bad input" table names a case of s_cases,
 * and every case has a row. */
START_TEST(test_table_documented)
{
    const char *srcdir = getenv("srcdir");
    char path[1024];
    snprintf(path, sizeof path, "%s/proto/PROTOCOL.md", srcdir ? srcdir : ".");
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char line[1024];
    bool in_table = false, seen[S_NCASES];
    memset(seen, 0, sizeof seen);
    int rows = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "## ", 3) == 0)
            in_table = strncmp(line, "## Bad input", 12) == 0;
        if (!in_table || line[0] != '|')
            continue;
        /* The test name is the last cell: `bad_input/NAME`. */
        char *cell = strstr(line, "`bad_input/");
        if (!cell)
            continue;
        cell += strlen("`bad_input/");
        char *end = strchr(cell, '`');
        ck_assert_ptr_nonnull(end);
        *end = '\0';
        int found = -1;
        for (int i = 0; i < S_NCASES; i++)
            if (strcmp(s_cases[i].name, cell) == 0)
                found = i;
        ck_assert_msg(found >= 0, "PROTOCOL.md names test bad_input/%s, which does not exist",
                      cell);
        seen[found] = true;
        rows++;
    }
    fclose(f);
    for (int i = 0; i < S_NCASES; i++)
        ck_assert_msg(seen[i], "case %s has no row in PROTOCOL.md's Bad input table",
                      s_cases[i].name);
    ck_assert_int_ge(rows, 25);
}
END_TEST
static Suite *s_suite(void)
{
    Suite *s = suite_create("e2e_bad");
    TCase *tc = tcase_create("libordo");
    tcase_add_unchecked_fixture(tc, e2e_tmp_setup, e2e_tmp_teardown);
    tcase_add_checked_fixture(tc, s_setup, s_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_bad_tasks);
    tcase_add_test(tc, test_buffers_of_others);
    suite_add_tcase(s, tc);
    /* One daemon per row, started by the test with the row's options. */
    TCase *tt = tcase_create("bad_input");
    tcase_add_unchecked_fixture(tt, e2e_tmp_setup, e2e_tmp_teardown);
    tcase_set_timeout(tt, 60);
    tcase_add_loop_test(tt, test_bad_input, 0, S_NCASES);
    tcase_add_test(tt, test_table_documented);
    suite_add_tcase(s, tt);
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
