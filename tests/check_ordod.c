/*
 * check_ordod.c - the daemon over its real sockets: a real ordod on a
 * temporary ipc endpoint, spoken to with raw ZeroMQ + protobuf-c
 * (rawclient.h), so the daemon is tested without libordo and bad input can
 * be sent on purpose.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rawclient.h"

static void s_expect_error(rc_conn_t *c, int code, const char *text);

/* ------------------------------------------------------------------ */
/* Session                                                             */

START_TEST(test_hello_welcome)
{
    rc_daemon_t d;
    rc_daemon_start(&d, "--workers", "2", NULL);
    rc_conn_t *a = rc_connect(&d);
    rc_send_hello(a, 1, 0, NULL, 0);
    Ordo__V1__ServerMsg *m = rc_recv(a);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(m->msg_case, ORDO__V1__SERVER_MSG__MSG_WELCOME);
    ck_assert_uint_eq(m->welcome->session, 1);
    ck_assert_uint_eq(m->welcome->next_seq, 1);
    ck_assert_uint_eq(m->welcome->credits, 65536);
    ck_assert_uint_eq(m->welcome->major, 1);
    ck_assert_uint_eq(m->welcome->token.len, 16);
    ck_assert_uint_eq(m->welcome->max_message, 64u << 20);
    ordo__v1__server_msg__free_unpacked(m, NULL);
    rc_conn_t *b = rc_connect(&d);
    rc_hello(b);
    ck_assert_uint_eq(b->session, 2);
    /* A second Hello on a connection with a session is refused. */
    rc_send_hello(b, 1, 0, NULL, 0);
    m = rc_recv(b);
    ck_assert_int_eq(m->msg_case, ORDO__V1__SERVER_MSG__MSG_ERROR);
    ck_assert_int_eq(m->error->code, ORDO_EPROTO);
    ordo__v1__server_msg__free_unpacked(m, NULL);
    rc_close(&a);
    rc_close(&b);
    ck_assert_int_eq(rc_daemon_stop(&d), 0);
}
END_TEST

START_TEST(test_max_sessions)
{
    rc_daemon_t d;
    rc_daemon_start(&d, "--max-sessions", "2", NULL);
    rc_conn_t *a = rc_connect(&d), *b = rc_connect(&d), *c = rc_connect(&d);
    rc_hello(a);
    rc_hello(b);
    rc_send_hello(c, 1, 0, NULL, 0);
    s_expect_error(c, ORDO_ELIMIT, "too many sessions");
    Ordo__V1__Bye bye = ORDO__V1__BYE__INIT;
    Ordo__V1__ClientMsg m = ORDO__V1__CLIENT_MSG__INIT;
    m.msg_case = ORDO__V1__CLIENT_MSG__MSG_BYE;
    m.bye = &bye;
    rc_send(a, &m);
    rc_sleep_ms(50);
    rc_hello(c);
    ck_assert_uint_eq(c->session, 3);
    rc_close(&a);
    rc_close(&b);
    rc_close(&c);
    ck_assert_int_eq(rc_daemon_stop(&d), 0);
}
END_TEST

START_TEST(test_version_refused)
{
    rc_daemon_t d;
    rc_daemon_start(&d, NULL);
    rc_conn_t *a = rc_connect(&d);
    rc_send_hello(a, 2, 0, NULL, 0);
    Ordo__V1__ServerMsg *m = rc_recv(a);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(m->msg_case, ORDO__V1__SERVER_MSG__MSG_ERROR);
    ck_assert_int_eq(m->error->code, ORDO_EVERSION);
    ck_assert_ptr_nonnull(strstr(m->error->message, "2.0 is not supported"));
    ordo__v1__server_msg__free_unpacked(m, NULL);
    /* No session was made: the same connection may still say Hello. */
    rc_hello(a);
    ck_assert_uint_eq(a->session, 1);
    rc_close(&a);
    ck_assert_int_eq(rc_daemon_stop(&d), 0);
}
END_TEST

static void s_expect_error(rc_conn_t *c, int code, const char *text)
{
    Ordo__V1__ServerMsg *m = rc_recv(c);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(m->msg_case, ORDO__V1__SERVER_MSG__MSG_ERROR);
    ck_assert_int_eq(m->error->code, code);
    if (text)
        ck_assert_msg(strstr(m->error->message, text), "'%s' lacks '%s'", m->error->message,
                      text);
    ordo__v1__server_msg__free_unpacked(m, NULL);
}

static void s_heartbeat_ok(rc_conn_t *c)
{
    Ordo__V1__Heartbeat h = ORDO__V1__HEARTBEAT__INIT;
    h.req = 5;
    Ordo__V1__ClientMsg m = ORDO__V1__CLIENT_MSG__INIT;
    m.msg_case = ORDO__V1__CLIENT_MSG__MSG_HEARTBEAT;
    m.heartbeat = &h;
    rc_send(c, &m);
    Ordo__V1__ServerMsg *r = rc_recv(c);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->msg_case, ORDO__V1__SERVER_MSG__MSG_REPLY);
    ck_assert_uint_eq(r->reply->req, 5);
    ck_assert_int_eq(r->reply->code, 0);
    ordo__v1__server_msg__free_unpacked(r, NULL);
}

START_TEST(test_before_hello_and_garbage)
{
    rc_daemon_t d;
    rc_daemon_start(&d, NULL);
    rc_conn_t *a = rc_connect(&d);
    /* Anything before Hello. */
    Ordo__V1__Heartbeat h = ORDO__V1__HEARTBEAT__INIT;
    Ordo__V1__ClientMsg m = ORDO__V1__CLIENT_MSG__INIT;
    m.msg_case = ORDO__V1__CLIENT_MSG__MSG_HEARTBEAT;
    m.heartbeat = &h;
    rc_send(a, &m);
    s_expect_error(a, ORDO_EPROTO, "send Hello first");
    /* Garbage, empty, and truncated protobuf. */
    rc_send_raw(a, "\xff\xff\xff\xff garbage", 13);
    s_expect_error(a, ORDO_EPROTO, NULL);
    rc_send_raw(a, "", 0);
    s_expect_error(a, ORDO_EPROTO, NULL);
    rc_hello(a);
    rc_task_t t;
    rc_task_init(&t, rc_next_id(a), "noop");
    rc_task_arg1(&t, 1, ORDO_F32, 0, 4, ORDO_IN);
    rc_task_t *tp = &t;
    Ordo__V1__Task *pt = &t.task;
    Ordo__V1__Submit s = ORDO__V1__SUBMIT__INIT;
    s.n_tasks = 1;
    s.tasks = &pt;
    m.msg_case = ORDO__V1__CLIENT_MSG__MSG_SUBMIT;
    m.submit = &s;
    size_t n = ordo__v1__client_msg__get_packed_size(&m);
    uint8_t *buf = malloc(n);
    ordo__v1__client_msg__pack(&m, buf);
    rc_send_raw(a, buf, n / 2);
    s_expect_error(a, ORDO_EPROTO, NULL);
    free(buf);
    (void)tp;
    /* Two frames in one message. */
    zmq_send(a->sock, "x", 1, ZMQ_SNDMORE);
    zmq_send(a->sock, "y", 1, 0);
    s_expect_error(a, ORDO_EPROTO, "frame");
    /* The session survived all of it. */
    s_heartbeat_ok(a);
    ck_assert(rc_daemon_alive(&d));
    rc_close(&a);
    ck_assert_int_eq(rc_daemon_stop(&d), 0);
}
END_TEST

/* A message above --max-message: ZeroMQ drops that connection, the daemon
 * carries on. */
START_TEST(test_oversized_message)
{
    rc_daemon_t d;
    rc_daemon_start(&d, "--max-message", "4096", NULL);
    rc_conn_t *a = rc_connect(&d);
    rc_send_hello(a, 1, 0, NULL, 0);
    Ordo__V1__ServerMsg *m = rc_recv(a);
    ck_assert_int_eq(m->msg_case, ORDO__V1__SERVER_MSG__MSG_WELCOME);
    ck_assert_uint_eq(m->welcome->max_message, 4096);
    ordo__v1__server_msg__free_unpacked(m, NULL);
    static uint8_t big[10000];
    memset(big, 0x5a, sizeof big);
    rc_send_raw(a, big, sizeof big);
    rc_sleep_ms(100);
    ck_assert(rc_daemon_alive(&d));
    rc_conn_t *b = rc_connect(&d);
    rc_hello(b);
    ck_assert_uint_eq(b->session, 2);
    s_heartbeat_ok(b);
    rc_close(&a);
    rc_close(&b);
    ck_assert_int_eq(rc_daemon_stop(&d), 0);
}
END_TEST

/* Polls status until key reaches want (at most ms); returns the last value. */
static long long s_wait_info(rc_daemon_t *d, const char *key, long long want, long ms)
{
    long long v = -1;
    for (long waited = 0; waited <= ms; waited += 100) {
        char *text;
        ck_assert_int_eq(rc_status(d, "status", 0, &text), 0);
        v = rc_info(text, key);
        free(text);
        if (v == want)
            break;
        rc_sleep_ms(100);
    }
    return v;
}

/* A client that vanishes without Bye: its session is found gone (a probe
 * fails), kept --session-grace seconds, then ended like a Bye; its private
 * buffer is freed.  Within the grace, a resume brings the session back. */
START_TEST(test_session_expiry)
{
    rc_daemon_t d;
    rc_daemon_start(&d, "--session-grace", "1", NULL);
    rc_conn_t *a = rc_connect(&d), *keep = rc_connect(&d);
    rc_hello(a);
    rc_hello(keep);
    uint64_t buf;
    ck_assert_int_eq(rc_buffer_create(a, 4096, NULL, &buf, NULL, 0), 0);
    rc_close(&a);                                   /* vanishes, no Bye */
    ck_assert_int_eq(s_wait_info(&d, "sessions_active", 1, 8000), 1);
    ck_assert_int_eq(s_wait_info(&d, "buffers", 0, 2000), 0);
    /* The other session, idle all along, was probed and is still there. */
    s_heartbeat_ok(keep);
    rc_close(&keep);
    ck_assert_int_eq(rc_daemon_stop(&d), 0);

    rc_daemon_start(&d, "--session-grace", "30", NULL);
    rc_conn_t *b = rc_connect(&d);
    rc_send_hello(b, 1, 0, NULL, 0);
    Ordo__V1__ServerMsg *m = rc_recv(b);
    ck_assert_int_eq(m->msg_case, ORDO__V1__SERVER_MSG__MSG_WELCOME);
    uint8_t token[16];
    memcpy(token, m->welcome->token.data, 16);
    uint64_t session = m->welcome->session;
    ordo__v1__server_msg__free_unpacked(m, NULL);
    rc_close(&b);
    rc_sleep_ms(3500);                              /* probed and found gone */
    rc_conn_t *c = rc_connect(&d);
    rc_send_hello(c, 1, session, token, 16);
    m = rc_recv(c);
    ck_assert_int_eq(m->msg_case, ORDO__V1__SERVER_MSG__MSG_WELCOME);
    ck_assert_uint_eq(m->welcome->session, session);
    ordo__v1__server_msg__free_unpacked(m, NULL);
    s_heartbeat_ok(c);
    rc_close(&c);
    ck_assert_int_eq(rc_daemon_stop(&d), 0);
}
END_TEST

/* A second daemon on the same ipc endpoint refuses to start instead of
 * stealing the socket; a stale socket file does not stop a restart. */
START_TEST(test_endpoint_in_use)
{
    rc_daemon_t d;
    rc_daemon_start(&d, NULL);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' --endpoint '%s' --status-endpoint 'ipc://%s/other.sock' "
             "--log-level error 2>/dev/null", getenv("ORDOD"), d.endpoint, d.dir);
    int rc = system(cmd);
    ck_assert(WIFEXITED(rc) && WEXITSTATUS(rc) == 1);
    rc_conn_t *a = rc_connect(&d);
    rc_hello(a);
    s_heartbeat_ok(a);
    rc_close(&a);
    /* SIGKILL leaves the socket files behind. */
    char dir[128];
    snprintf(dir, sizeof dir, "%s", d.dir);
    kill(d.pid, SIGKILL);
    waitpid(d.pid, NULL, 0);
    d.pid = 0;
    snprintf(cmd, sizeof cmd, "timeout --preserve-status -s TERM 1 '%s' --endpoint 'ipc://%s/ordod.sock' "
             "--status-endpoint 'ipc://%s/status.sock' --log-level error", getenv("ORDOD"), dir,
             dir);
    rc = system(cmd);
    ck_assert_msg(WIFEXITED(rc) && WEXITSTATUS(rc) == 0, "restart over stale sockets: %d", rc);
    rc_daemon_stop(&d);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Buffers and host transfers                                           */

START_TEST(test_write_read_roundtrip)
{
    rc_daemon_t d;
    rc_daemon_start(&d, "--workers", "3", NULL);
    rc_conn_t *a = rc_connect(&d);
    rc_hello(a);
    uint64_t buf;
    ck_assert_int_eq(rc_buffer_create(a, 64, NULL, &buf, NULL, 0), 0);
    ck_assert_uint_eq(buf, 1);
    float vals[16];
    for (int i = 0; i < 16; i++)
        vals[i] = (float)i * 1.5f;
    rc_task_t w, r, z;
    uint64_t wid = rc_next_id(a), rid = rc_next_id(a), zid = rc_next_id(a);
    rc_task_init(&w, wid, "host_write");
    rc_task_arg(&w, buf, ORDO_F32, 0, ORDO_OUT, 2, (int64_t)4, (int64_t)4, (int64_t)4,
                (int64_t)1);
    rc_task_data(&w, vals, sizeof vals);
    /* Read back through the transpose: shape [4,4], strides (1,4). */
    rc_task_init(&r, rid, "host_read");
    rc_task_arg(&r, buf, ORDO_F32, 0, ORDO_IN, 2, (int64_t)4, (int64_t)4, (int64_t)1,
                (int64_t)4);
    /* And a reversed view of the last row: offset 15, stride -1. */
    rc_task_init(&z, zid, "host_read");
    rc_task_arg1(&z, buf, ORDO_F32, 15, 4, ORDO_IN);
    z.strides[0][0] = -1;
    rc_task_t *all[] = { &w, &r, &z };
    rc_submit(a, all, 3);
    rc_comp_t c;
    ck_assert_int_eq(rc_take(a, wid, &c), 0);
    ck_assert_int_eq(c.status, ORDO__V1__TASK_STATUS__STATUS_DONE);
    ck_assert(c.accepted_ns > 0 && c.started_ns >= c.accepted_ns && c.finished_ns >= c.started_ns);
    ck_assert_int_eq(rc_take(a, rid, &c), 0);
    ck_assert_int_eq(c.status, ORDO__V1__TASK_STATUS__STATUS_DONE);
    ck_assert_uint_eq(c.ndata, 64);
    float got[16];
    memcpy(got, c.data, 64);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            ck_assert(got[i * 4 + j] == vals[j * 4 + i]);
    rc_comp_free(&c);
    ck_assert_int_eq(rc_take(a, zid, &c), 0);
    ck_assert_uint_eq(c.ndata, 16);
    memcpy(got, c.data, 16);
    for (int i = 0; i < 4; i++)
        ck_assert(got[i] == vals[15 - i]);
    rc_comp_free(&c);
    rc_close(&a);
    ck_assert_int_eq(rc_daemon_stop(&d), 0);
}
END_TEST

/* Submits one task with one 1-d f32 arg and returns its completion. */
static rc_comp_t s_one(rc_conn_t *c, const char *kernel, uint64_t buf, int64_t off, int64_t n,
                       int mode)
{
    rc_task_t t;
    uint64_t id = rc_next_id(c);
    rc_task_init(&t, id, kernel);
    rc_task_arg1(&t, buf, ORDO_F32, off, n, mode);
    rc_submit1(c, &t);
    rc_comp_t out;
    ck_assert_int_eq(rc_take(c, id, &out), 0);
    return out;
}

START_TEST(test_buffers_shared_private)
{
    rc_daemon_t d;
    rc_daemon_start(&d, NULL);
    rc_conn_t *a = rc_connect(&d), *b = rc_connect(&d);
    rc_hello(a);
    rc_hello(b);
    char err[256];
    uint64_t kv, priv, id, size;
    ck_assert_int_eq(rc_buffer_create(a, 4096, "kv", &kv, NULL, 0), 0);
    ck_assert_int_eq(rc_buffer_create(b, 16, "kv", NULL, err, sizeof err), ORDO_EEXIST);
    ck_assert_int_eq(rc_buffer_create(a, 0, NULL, NULL, err, sizeof err), ORDO_EINVAL);
    ck_assert_int_eq(rc_buffer_open(b, "kv", &id, &size), 0);
    ck_assert_uint_eq(id, kv);
    ck_assert_uint_eq(size, 4096);
    ck_assert_int_eq(rc_buffer_open(b, "nope", NULL, NULL), ORDO_ENOENT);
    ck_assert_int_eq(rc_buffer_create(a, 128, NULL, &priv, NULL, 0), 0);
    ck_assert_uint_gt(priv, kv);

    /* b may use the shared buffer, not a's private one. */
    rc_comp_t c = s_one(b, "noop", kv, 0, 8, ORDO_IN);
    ck_assert_int_eq(c.status, ORDO__V1__TASK_STATUS__STATUS_DONE);
    c = s_one(b, "noop", priv, 0, 8, ORDO_IN);
    ck_assert_int_eq(c.status, ORDO__V1__TASK_STATUS__STATUS_FAILED);
    ck_assert_int_eq(c.code, ORDO_EPERM);
    ck_assert_msg(strstr(c.error, "is private to another session"), "%s", c.error);
    c = s_one(b, "noop", 999, 0, 8, ORDO_IN);
    ck_assert_int_eq(c.code, ORDO_ENOENT);

    /* Release: the name goes with the last handle. */
    ck_assert_int_eq(rc_buffer_release(b, kv), 0);
    ck_assert_int_eq(rc_buffer_release(b, kv), ORDO_ENOENT);
    c = s_one(b, "noop", kv, 0, 8, ORDO_IN);
    ck_assert_int_eq(c.code, ORDO_EPERM);     /* still exists, not open in b */
    ck_assert_int_eq(rc_buffer_release(a, kv), 0);
    ck_assert_int_eq(rc_buffer_open(b, "kv", NULL, NULL), ORDO_ENOENT);
    ck_assert_int_eq(rc_buffer_create(b, 16, "kv", &id, NULL, 0), 0);
    ck_assert_uint_gt(id, priv);              /* ids are never reused */
    c = s_one(a, "noop", kv, 0, 8, ORDO_IN);
    ck_assert_int_eq(c.code, ORDO_ENOENT);

    char *text;
    ck_assert_int_eq(rc_status(&d, "status", 0, &text), 0);
    ck_assert_int_eq(rc_info(text, "buffers"), 2);
    ck_assert_int_eq(rc_info(text, "buffer_bytes"), 128 + 16);
    free(text);
    rc_close(&a);
    rc_close(&b);
    ck_assert_int_eq(rc_daemon_stop(&d), 0);
}
END_TEST

/* Memory is freed only once no task touches the buffer: a release, and a
 * Bye, while a task on the buffer still runs. */
START_TEST(test_release_deferred)
{
    rc_daemon_t d;
    rc_daemon_start(&d, NULL);
    rc_conn_t *a = rc_connect(&d), *b = rc_connect(&d);
    rc_hello(a);
    rc_hello(b);
    uint64_t buf, shared;
    ck_assert_int_eq(rc_buffer_create(a, 1000, NULL, &buf, NULL, 0), 0);
    ck_assert_int_eq(rc_buffer_create(b, 24, "tmp", &shared, NULL, 0), 0);
    uint8_t p[8];
    rc_le64(p, 300000);
    rc_task_t s, t;
    uint64_t sid = rc_next_id(a);
    rc_task_init(&s, sid, "sleep");
    rc_task_arg1(&s, buf, ORDO_F32, 0, 10, ORDO_INOUT);
    rc_task_params(&s, p, 8);
    rc_submit1(a, &s);
    ck_assert_int_eq(rc_buffer_release(a, buf), 0);
    uint64_t tid = rc_next_id(b);
    rc_task_init(&t, tid, "sleep");
    rc_task_arg1(&t, shared, ORDO_U8, 0, 24, ORDO_OUT);
    rc_task_params(&t, p, 8);
    rc_submit1(b, &t);
    Ordo__V1__Bye bye = ORDO__V1__BYE__INIT;
    Ordo__V1__ClientMsg m = ORDO__V1__CLIENT_MSG__INIT;
    m.msg_case = ORDO__V1__CLIENT_MSG__MSG_BYE;
    m.bye = &bye;
    rc_send(b, &m);
    rc_sleep_ms(100);
    char *text;
    ck_assert_int_eq(rc_status(&d, "status", 0, &text), 0);
    ck_assert_int_eq(rc_info(text, "buffers"), 2);          /* both still busy */
    ck_assert_int_eq(rc_info(text, "buffer_bytes"), 1024);
    ck_assert_int_eq(rc_info(text, "sessions_active"), 1);
    free(text);
    rc_comp_t c;
    ck_assert_int_eq(rc_take(a, sid, &c), 0);
    ck_assert_int_eq(c.status, ORDO__V1__TASK_STATUS__STATUS_DONE);
    rc_sleep_ms(300);
    ck_assert_int_eq(rc_status(&d, "status", 0, &text), 0);
    ck_assert_int_eq(rc_info(text, "buffers"), 0);
    ck_assert_int_eq(rc_info(text, "buffer_bytes"), 0);
    ck_assert_int_eq(rc_info(text, "tasks_done"), 2);
    free(text);
    /* The name of the departed session's buffer is free again. */
    ck_assert_int_eq(rc_buffer_create(a, 8, "tmp", NULL, NULL, 0), 0);
    rc_close(&a);
    rc_close(&b);
    ck_assert_int_eq(rc_daemon_stop(&d), 0);
}
END_TEST

START_TEST(test_resume)
{
    rc_daemon_t d;
    rc_daemon_start(&d, NULL);
    rc_conn_t *a = rc_connect(&d);
    rc_send_hello(a, 1, 0, NULL, 0);
    Ordo__V1__ServerMsg *m = rc_recv(a);
    ck_assert_int_eq(m->msg_case, ORDO__V1__SERVER_MSG__MSG_WELCOME);
    uint8_t token[16];
    memcpy(token, m->welcome->token.data, 16);
    a->session = m->welcome->session;
    ordo__v1__server_msg__free_unpacked(m, NULL);
    rc_comp_t c = s_one(a, "noop", 0, 0, 0, ORDO_IN);
    ck_assert_int_eq(c.code, ORDO_ENOENT);                   /* seq 1 used */
    /* A wrong token, an unknown session: ESESSION. */
    rc_conn_t *b = rc_connect(&d);
    uint8_t bad[16] = { 0 };
    rc_send_hello(b, 1, a->session, bad, 16);
    s_expect_error(b, ORDO_ESESSION, "cannot resume");
    rc_send_hello(b, 1, 4242, token, 16);
    s_expect_error(b, ORDO_ESESSION, NULL);
    /* The right token: same session, next sequence 2. */
    rc_send_hello(b, 1, a->session, token, 16);
    m = rc_recv(b);
    ck_assert_int_eq(m->msg_case, ORDO__V1__SERVER_MSG__MSG_WELCOME);
    ck_assert_uint_eq(m->welcome->session, a->session);
    ck_assert_uint_eq(m->welcome->next_seq, 2);
    ordo__v1__server_msg__free_unpacked(m, NULL);
    b->session = a->session;
    b->seq = 2;
    c = s_one(b, "noop", 0, 0, 0, ORDO_IN);
    ck_assert_int_eq(c.code, ORDO_ENOENT);
    ck_assert_uint_eq(c.id, ORDO_TASK_ID(a->session, 2));
    rc_close(&a);
    rc_close(&b);
    ck_assert_int_eq(rc_daemon_stop(&d), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Bad tasks: each gets exactly one failed completion; the sequence      */
/* advances, and the session keeps working.                              */

START_TEST(test_bad_tasks)
{
    rc_daemon_t d;
    rc_daemon_start(&d, NULL);
    rc_conn_t *a = rc_connect(&d);
    rc_hello(a);
    uint64_t buf;
    ck_assert_int_eq(rc_buffer_create(a, 4096, NULL, &buf, NULL, 0), 0);
    rc_comp_t c;

    c = s_one(a, "noop", buf, 1000, 25, ORDO_IN);   /* bytes [4000, 4100) */
    ck_assert_int_eq(c.status, ORDO__V1__TASK_STATUS__STATUS_FAILED);
    ck_assert_int_eq(c.code, ORDO_ERANGE);
    ck_assert_msg(strstr(c.error, "arg 0") && strstr(c.error, "task 0x"), "%s", c.error);

    c = s_one(a, "no_such_kernel", buf, 0, 4, ORDO_IN);
    ck_assert_int_eq(c.code, ORDO_ENOENT);
    ck_assert_msg(strstr(c.error, "unknown kernel 'no_such_kernel'"), "%s", c.error);

    /* ndim 9 */
    rc_task_t t;
    uint64_t id = rc_next_id(a);
    rc_task_init(&t, id, "noop");
    rc_task_arg(&t, buf, ORDO_U8, 0, ORDO_IN, 9, I64(1), I64(1), I64(1), I64(1), I64(1), I64(1),
                I64(1), I64(1), I64(1), I64(1), I64(1), I64(1), I64(1), I64(1), I64(1), I64(1),
                I64(1), I64(1));
    rc_submit1(a, &t);
    ck_assert_int_eq(rc_take(a, id, &c), 0);
    ck_assert_int_eq(c.code, ORDO_EINVAL);
    ck_assert_msg(strstr(c.error, "ndim 9"), "%s", c.error);

    /* Overflowing strides. */
    id = rc_next_id(a);
    rc_task_init(&t, id, "noop");
    rc_task_arg(&t, buf, ORDO_F64, 0, ORDO_IN, 2, I64(2), I64(2), INT64_MAX / 4, I64(1));
    rc_submit1(a, &t);
    ck_assert_int_eq(rc_take(a, id, &c), 0);
    ck_assert_int_eq(c.status, ORDO__V1__TASK_STATUS__STATUS_FAILED);
    ck_assert(c.code == ORDO_ERANGE || c.code == ORDO_EINVAL);

    /* Unknown explicit dependency. */
    id = rc_next_id(a);
    rc_task_init(&t, id, "noop");
    rc_task_dep(&t, ORDO_TASK_ID(99, 1));
    rc_submit1(a, &t);
    ck_assert_int_eq(rc_take(a, id, &c), 0);
    ck_assert_int_eq(c.code, ORDO_ENOENT);

    /* Parameter size mismatch, wrong mode, bad shapes. */
    id = rc_next_id(a);
    rc_task_init(&t, id, "scale");
    rc_task_arg1(&t, buf, ORDO_F32, 0, 4, ORDO_INOUT);
    rc_task_params(&t, "abcd", 4);
    rc_submit1(a, &t);
    ck_assert_int_eq(rc_take(a, id, &c), 0);
    ck_assert_int_eq(c.code, ORDO_EINVAL);
    ck_assert_msg(strstr(c.error, "parameter bytes"), "%s", c.error);

    c = s_one(a, "fill", buf, 0, 4, ORDO_IN);
    ck_assert_int_eq(c.code, ORDO_EINVAL);

    id = rc_next_id(a);
    rc_task_init(&t, id, "copy");
    rc_task_arg1(&t, buf, ORDO_F32, 0, 4, ORDO_OUT);
    rc_task_arg1(&t, buf, ORDO_F32, 8, 5, ORDO_IN);
    rc_submit1(a, &t);
    ck_assert_int_eq(rc_take(a, id, &c), 0);
    ck_assert_int_eq(c.code, ORDO_EINVAL);
    ck_assert_msg(strstr(c.error, "shapes differ"), "%s", c.error);

    /* Out of sequence: refused, the sequence does not move. */
    uint64_t expect = ORDO_TASK_ID(a->session, a->seq);
    id = ORDO_TASK_ID(a->session, a->seq + 5);
    rc_task_init(&t, id, "noop");
    rc_submit1(a, &t);
    ck_assert_int_eq(rc_take(a, id, &c), 0);
    ck_assert_int_eq(c.code, ORDO_ESEQ);
    id = ORDO_TASK_ID(a->session + 1, a->seq);
    rc_task_init(&t, id, "noop");
    rc_submit1(a, &t);
    ck_assert_int_eq(rc_take(a, id, &c), 0);
    ck_assert_int_eq(c.code, ORDO_ESEQ);

    /* A task depending on a rejected one is cancelled; then all is well. */
    uint64_t bad = rc_next_id(a);
    ck_assert_uint_eq(bad, expect);
    rc_task_t t1, t2;
    rc_task_init(&t1, bad, "no_such_kernel");
    uint64_t dep = rc_next_id(a);
    rc_task_init(&t2, dep, "noop");
    rc_task_dep(&t2, bad);
    rc_task_t *two[] = { &t1, &t2 };
    rc_submit(a, two, 2);
    ck_assert_int_eq(rc_take(a, bad, &c), 0);
    ck_assert_int_eq(c.status, ORDO__V1__TASK_STATUS__STATUS_FAILED);
    ck_assert_int_eq(rc_take(a, dep, &c), 0);
    ck_assert_int_eq(c.status, ORDO__V1__TASK_STATUS__STATUS_CANCELLED);
    ck_assert_uint_eq(c.cause, bad);

    c = s_one(a, "noop", buf, 0, 1024, ORDO_INOUT);
    ck_assert_int_eq(c.status, ORDO__V1__TASK_STATUS__STATUS_DONE);
    /* Exactly one completion per id. */
    ck_assert_uint_eq(rc_count(a, c.id, 200), 0);
    ck_assert(rc_daemon_alive(&d));
    rc_close(&a);
    ck_assert_int_eq(rc_daemon_stop(&d), 0);
}
END_TEST

static uint64_t s_rng(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* Thousands of random and mutated messages: tasks with random kernels,
 * views, modes, dependencies and ids, and bit-flipped encodings.  The
 * daemon answers each as it can and keeps serving. */
START_TEST(test_random_input)
{
    rc_daemon_t d;
    rc_daemon_start(&d, "--workers", "2", "--credits", "100000", NULL);
    rc_conn_t *a = rc_connect(&d);
    rc_hello(a);
    uint64_t buf;
    ck_assert_int_eq(rc_buffer_create(a, 4096, "fuzz", &buf, NULL, 0), 0);
    static const char *const kernels[] = { "copy", "fill", "axpy", "scale", "gather_rows",
                                           "scatter_rows", "noop", "host_write",
                                           "host_read", "fail", "nope", "" };
    static const int64_t picks[] = { 0, 1, 2, 3, -1, -2, 7, 64, 1000, 4095, 4096,
                                     INT64_MAX, INT64_MIN, INT64_MAX / 2, 1LL << 40, -(1LL << 40) };
    uint64_t x = 0x9e3779b97f4a7c15u;
    uint8_t params[16], data[64];
    for (int round = 0; round < 3000; round++) {
        rc_task_t t;
        uint64_t id = (s_rng(&x) % 8) ? rc_next_id(a) : s_rng(&x);
        rc_task_init(&t, id, kernels[s_rng(&x) % 12]);
        int nargs = (int)(s_rng(&x) % 4);
        for (int j = 0; j < nargs; j++) {
            int ndim = (int)(s_rng(&x) % 4);
            uint64_t b = (s_rng(&x) % 5) ? buf : s_rng(&x) % 4;
            rc_task_arg(&t, b, (int)(s_rng(&x) % 14), picks[s_rng(&x) % 16],
                        (int)(s_rng(&x) % 5), 0);
            t.views[j].n_shape = t.views[j].n_strides = (size_t)ndim;
            for (int k = 0; k < ndim; k++) {
                t.shape[j][k] = (s_rng(&x) % 3) ? (int64_t)(s_rng(&x) % 9) : picks[s_rng(&x) % 16];
                t.strides[j][k] = (s_rng(&x) % 3) ? (int64_t)(s_rng(&x) % 9) - 4
                                                  : picks[s_rng(&x) % 16];
            }
        }
        for (size_t i = 0; i < sizeof params; i++)
            params[i] = (uint8_t)s_rng(&x);
        rc_task_params(&t, params, s_rng(&x) % 17);
        rc_task_data(&t, data, s_rng(&x) % 65);
        if (s_rng(&x) % 4 == 0)
            rc_task_dep(&t, (s_rng(&x) % 2) ? ORDO_TASK_ID(a->session, s_rng(&x) % (a->seq + 2))
                                            : s_rng(&x));
        Ordo__V1__Task *tp = &t.task;
        Ordo__V1__Submit sub = ORDO__V1__SUBMIT__INIT;
        sub.n_tasks = 1;
        sub.tasks = &tp;
        Ordo__V1__ClientMsg m = ORDO__V1__CLIENT_MSG__INIT;
        m.msg_case = ORDO__V1__CLIENT_MSG__MSG_SUBMIT;
        m.submit = &sub;
        size_t n = ordo__v1__client_msg__get_packed_size(&m);
        uint8_t *bytes = malloc(n);
        ordo__v1__client_msg__pack(&m, bytes);
        if (s_rng(&x) % 3 == 0) {
            for (int f = 0; f < 3; f++)
                bytes[s_rng(&x) % n] ^= (uint8_t)(1u << (s_rng(&x) % 8));
            a->seq = 0;     /* the sequence is unknown now: resync below */
        }
        rc_send_raw(a, bytes, n);
        free(bytes);
        if (a->seq == 0) {
            /* Resynchronise: a Watch on our ids tells nothing; ask with a
             * task at every plausible next sequence is too slow, so reconnect. */
            rc_close(&a);
            a = rc_connect(&d);
            rc_hello(a);
            ck_assert_int_eq(rc_buffer_open(a, "fuzz", &buf, NULL), 0);
        }
    }
    s_heartbeat_ok(a);
    char *text;
    ck_assert_int_eq(rc_status(&d, "status", 1, &text), 0);
    free(text);
    ck_assert(rc_daemon_alive(&d));
    rc_close(&a);
    ck_assert_int_eq(rc_daemon_stop(&d), 0);
}
END_TEST

/* A Reply follows every completion produced before it (Heartbeat as a
 * barrier): the refused task's completion is already in hand. */
START_TEST(test_reply_after_completions)
{
    rc_daemon_t d;
    rc_daemon_start(&d, NULL);
    rc_conn_t *a = rc_connect(&d);
    rc_hello(a);
    for (int round = 0; round < 50; round++) {
        rc_task_t t;
        uint64_t id = rc_next_id(a);
        rc_task_init(&t, id, "no_such_kernel");
        rc_submit1(a, &t);
        s_heartbeat_ok(a);
        ck_assert_uint_eq(a->ncomps, 1);
        ck_assert_uint_eq(a->comps[0].id, id);
        rc_comp_t c;
        ck_assert_int_eq(rc_take(a, id, &c), 0);
    }
    rc_close(&a);
    ck_assert_int_eq(rc_daemon_stop(&d), 0);
}
END_TEST

/* The scheduler keeps the last kernel a task named, the buffer each
 * session's last argument resolved to, and the session of the last
 * finished task.  Kernels that change from task to task within one
 * message, tasks whose arguments alternate between buffers, a buffer
 * released between two tasks that name it, and a session that ends while
 * its task runs all get what they got without those shortcuts. */
START_TEST(test_accept_shortcuts)
{
    rc_daemon_t d;
    rc_daemon_start(&d, "--workers", "2", NULL);
    rc_conn_t *a = rc_connect(&d), *b = rc_connect(&d);
    rc_hello(a);
    rc_hello(b);
    uint64_t x, y, z;
    ck_assert_int_eq(rc_buffer_create(a, 64, NULL, &x, NULL, 0), 0);
    ck_assert_int_eq(rc_buffer_create(a, 64, NULL, &y, NULL, 0), 0);
    ck_assert_int_eq(rc_buffer_create(a, 128, NULL, &z, NULL, 0), 0);
    float vals[16];
    for (int i = 0; i < 16; i++)
        vals[i] = (float)i + 0.25f;

    /* One message, the kernel changing from task to task, the buffer from
     * argument to argument: write x, copy x to y, write x again, read y
     * and x back. */
    float vals2[16];
    for (int i = 0; i < 16; i++)
        vals2[i] = -vals[i];
    rc_task_t t[9];
    uint64_t id[9];
    for (int i = 0; i < 9; i++)
        id[i] = rc_next_id(a);
    rc_task_init(&t[0], id[0], "host_write");
    rc_task_arg1(&t[0], x, ORDO_F32, 0, 16, ORDO_OUT);
    rc_task_data(&t[0], vals, sizeof vals);
    rc_task_init(&t[1], id[1], "noop");
    rc_task_arg1(&t[1], x, ORDO_F32, 0, 16, ORDO_IN);
    rc_task_init(&t[2], id[2], "noop_");
    rc_task_arg1(&t[2], x, ORDO_F32, 0, 16, ORDO_IN);
    rc_task_init(&t[3], id[3], "copy");
    rc_task_arg1(&t[3], y, ORDO_F32, 0, 16, ORDO_OUT);
    rc_task_arg1(&t[3], x, ORDO_F32, 0, 16, ORDO_IN);
    rc_task_init(&t[4], id[4], "fail");
    rc_task_params(&t[4], "nope", 4);
    rc_task_init(&t[5], id[5], "host_write");
    rc_task_arg1(&t[5], x, ORDO_F32, 0, 16, ORDO_OUT);
    rc_task_data(&t[5], vals2, sizeof vals2);
    rc_task_init(&t[6], id[6], "host_read");
    rc_task_arg1(&t[6], y, ORDO_F32, 0, 16, ORDO_IN);
    /* z has 128 bytes, x and y 64: arg 0 fits z only, arg 1 fits z only. */
    rc_task_init(&t[7], id[7], "noop");
    rc_task_arg1(&t[7], z, ORDO_F32, 16, 16, ORDO_IN);
    rc_task_arg1(&t[7], y, ORDO_F32, 8, 16, ORDO_IN);
    rc_task_init(&t[8], id[8], "host_read");
    rc_task_arg1(&t[8], x, ORDO_F32, 0, 16, ORDO_IN);
    rc_task_t *all[9];
    for (int i = 0; i < 9; i++)
        all[i] = &t[i];
    rc_submit(a, all, 9);
    rc_comp_t c;
    for (int i = 0; i < 9; i++) {
        ck_assert_int_eq(rc_take(a, id[i], &c), 0);
        int fails = i == 2 || i == 4 || i == 7;
        ck_assert_msg(c.status == (fails ? ORDO__V1__TASK_STATUS__STATUS_FAILED
                                         : ORDO__V1__TASK_STATUS__STATUS_DONE),
                      "task %d: status %d: %s", i, c.status, c.error);
        if (i == 2) {
            ck_assert_int_eq(c.code, ORDO_ENOENT);
            ck_assert_msg(strstr(c.error, "unknown kernel 'noop_'"), "%s", c.error);
        } else if (i == 4) {
            ck_assert_int_eq(c.code, ORDO_EFAILED);
            ck_assert_msg(strstr(c.error, ": fail: nope"), "%s", c.error);
        } else if (i == 7) {
            ck_assert_int_eq(c.code, ORDO_ERANGE);
            char want[64];
            snprintf(want, sizeof want, "arg 1 (buffer %llu): ", (unsigned long long)y);
            ck_assert_msg(strstr(c.error, want), "%s", c.error);
        } else if (i == 6 || i == 8) {
            ck_assert_uint_eq(c.ndata, sizeof vals);
            ck_assert(memcmp(c.data, i == 6 ? vals : vals2, sizeof vals) == 0);
        }
        rc_comp_free(&c);
    }

    /* z, released while a task that names it still runs (so its memory
     * stays), is refused to the next task that names it. */
    uint8_t p[8];
    rc_le64(p, 100000);
    rc_task_t u;
    uint64_t uid = rc_next_id(a);
    rc_task_init(&u, uid, "sleep");
    rc_task_arg1(&u, z, ORDO_F32, 0, 16, ORDO_INOUT);
    rc_task_params(&u, p, 8);
    rc_submit1(a, &u);
    ck_assert_int_eq(rc_buffer_release(a, z), 0);
    rc_task_t v;
    uint64_t vid = rc_next_id(a);
    rc_task_init(&v, vid, "noop");
    rc_task_arg1(&v, z, ORDO_F32, 0, 16, ORDO_IN);
    rc_submit1(a, &v);
    ck_assert_int_eq(rc_take(a, vid, &c), 0);
    ck_assert_int_eq(c.code, ORDO_ENOENT);
    ck_assert_msg(strstr(c.error, "no buffer"), "%s", c.error);
    ck_assert_int_eq(rc_take(a, uid, &c), 0);
    ck_assert_int_eq(c.status, ORDO__V1__TASK_STATUS__STATUS_DONE);
    /* Nor may another session use what a resolved. */
    rc_comp_t e = s_one(b, "noop", x, 0, 16, ORDO_IN);
    ck_assert_int_eq(e.code, ORDO_EPERM);

    /* b finishes a task, then ends while its next one sleeps: that one's
     * completion finds no session (and must not reach the freed one). */
    uint64_t w;
    ck_assert_int_eq(rc_buffer_create(b, 64, NULL, &w, NULL, 0), 0);
    e = s_one(b, "noop", w, 0, 16, ORDO_INOUT);
    ck_assert_int_eq(e.status, ORDO__V1__TASK_STATUS__STATUS_DONE);
    rc_task_t sl;
    rc_task_init(&sl, rc_next_id(b), "sleep");
    rc_task_arg1(&sl, w, ORDO_F32, 0, 16, ORDO_INOUT);
    rc_task_params(&sl, p, 8);
    rc_submit1(b, &sl);
    Ordo__V1__Bye bye = ORDO__V1__BYE__INIT;
    Ordo__V1__ClientMsg m = ORDO__V1__CLIENT_MSG__INIT;
    m.msg_case = ORDO__V1__CLIENT_MSG__MSG_BYE;
    m.bye = &bye;
    rc_send(b, &m);
    rc_sleep_ms(300);
    e = s_one(a, "noop", x, 0, 16, ORDO_INOUT);
    ck_assert_int_eq(e.status, ORDO__V1__TASK_STATUS__STATUS_DONE);
    char *text;
    ck_assert_int_eq(rc_status(&d, "status", 0, &text), 0);
    ck_assert_int_eq(rc_info(text, "sessions_active"), 1);
    ck_assert_int_eq(rc_info(text, "tasks_done"), 10);
    free(text);
    rc_close(&a);
    rc_close(&b);
    ck_assert_int_eq(rc_daemon_stop(&d), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Failure, cancellation, Watch                                          */

START_TEST(test_failure_cancels_dependents)
{
    rc_daemon_t d;
    rc_daemon_start(&d, "--workers", "4", NULL);
    rc_conn_t *a = rc_connect(&d);
    rc_hello(a);
    uint64_t buf;
    ck_assert_int_eq(rc_buffer_create(a, 1024, NULL, &buf, NULL, 0), 0);
    rc_task_t f, r1, r2, other;
    uint64_t fid = rc_next_id(a), r1id = rc_next_id(a), r2id = rc_next_id(a),
             oid = rc_next_id(a);
    rc_task_init(&f, fid, "fail");
    rc_task_arg1(&f, buf, ORDO_F32, 0, 16, ORDO_OUT);
    rc_task_params(&f, "boom", 4);
    rc_task_init(&r1, r1id, "noop");                  /* RAW on [0,16) */
    rc_task_arg1(&r1, buf, ORDO_F32, 8, 4, ORDO_IN);
    rc_task_init(&r2, r2id, "noop");                  /* after r1 (WAR) */
    rc_task_arg1(&r2, buf, ORDO_F32, 8, 4, ORDO_OUT);
    rc_task_init(&other, oid, "noop");                /* disjoint bytes */
    rc_task_arg1(&other, buf, ORDO_F32, 100, 4, ORDO_INOUT);
    rc_task_t *all[] = { &f, &r1, &r2, &other };
    rc_submit(a, all, 4);
    rc_comp_t c;
    ck_assert_int_eq(rc_take(a, fid, &c), 0);
    ck_assert_int_eq(c.status, ORDO__V1__TASK_STATUS__STATUS_FAILED);
    ck_assert_int_eq(c.code, ORDO_EFAILED);
    ck_assert_msg(strstr(c.error, "boom"), "%s", c.error);
    ck_assert_int_eq(rc_take(a, r1id, &c), 0);
    ck_assert_int_eq(c.status, ORDO__V1__TASK_STATUS__STATUS_CANCELLED);
    ck_assert_int_eq(c.code, ORDO_ECANCELED);
    ck_assert_uint_eq(c.cause, fid);
    ck_assert_int_eq(rc_take(a, r2id, &c), 0);
    ck_assert_int_eq(c.status, ORDO__V1__TASK_STATUS__STATUS_CANCELLED);
    ck_assert_uint_eq(c.cause, fid);
    ck_assert_int_eq(rc_take(a, oid, &c), 0);
    ck_assert_int_eq(c.status, ORDO__V1__TASK_STATUS__STATUS_DONE);
    for (uint64_t id = fid; id <= oid; id++)
        ck_assert_uint_eq(rc_count(a, id, id == fid ? 200 : 0), 0);
    char *text;
    ck_assert_int_eq(rc_status(&d, "status", 0, &text), 0);
    ck_assert_int_eq(rc_info(text, "tasks_accepted"), 4);
    ck_assert_int_eq(rc_info(text, "tasks_failed"), 1);
    ck_assert_int_eq(rc_info(text, "tasks_cancelled"), 2);
    ck_assert_int_eq(rc_info(text, "tasks_done"), 1);
    free(text);
    rc_close(&a);
    ck_assert_int_eq(rc_daemon_stop(&d), 0);
}
END_TEST

START_TEST(test_watch)
{
    rc_daemon_t d;
    rc_daemon_start(&d, NULL);
    rc_conn_t *a = rc_connect(&d), *b = rc_connect(&d);
    rc_hello(a);
    rc_hello(b);
    uint8_t p[8];
    rc_le64(p, 300000);                                /* 300 ms */
    rc_task_t s, n;
    uint64_t sid = rc_next_id(a), nid = rc_next_id(a);
    rc_task_init(&s, sid, "sleep");
    rc_task_params(&s, p, 8);
    rc_task_init(&n, nid, "noop");
    rc_task_t *two[] = { &s, &n };
    rc_submit(a, two, 2);
    rc_comp_t c;
    ck_assert_int_eq(rc_take(a, nid, &c), 0);          /* nid done, sid sleeping */
    uint64_t ids[] = { sid, nid, ORDO_TASK_ID(a->session, 50), sid };
    rc_watch(b, ids, 4);
    ck_assert_int_eq(rc_take(b, nid, &c), 0);
    ck_assert_int_eq(c.status, ORDO__V1__TASK_STATUS__STATUS_DONE);
    ck_assert_int_eq(rc_take(b, ids[2], &c), 0);
    ck_assert_int_eq(c.status, ORDO__V1__TASK_STATUS__STATUS_UNSPECIFIED);
    ck_assert_int_eq(c.code, ORDO_ENOENT);
    ck_assert_int_eq(rc_take(b, sid, &c), 0);
    ck_assert_int_eq(c.status, ORDO__V1__TASK_STATUS__STATUS_DONE);
    ck_assert(c.finished_ns - c.started_ns >= 250000000u);
    ck_assert_uint_eq(rc_count(b, sid, 200), 0);       /* watched twice, sent once */
    /* The owner gets one completion, also when it watches its own id. */
    rc_watch(a, &sid, 1);
    ck_assert_int_eq(rc_take(a, sid, &c), 0);
    ck_assert_int_eq(c.status, ORDO__V1__TASK_STATUS__STATUS_DONE);
    ck_assert_uint_eq(rc_count(a, sid, 200), 0);
    rc_close(&a);
    rc_close(&b);
    ck_assert_int_eq(rc_daemon_stop(&d), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Kernels over the wire                                                */

START_TEST(test_axpy_bit_exact)
{
    rc_daemon_t d;
    rc_daemon_start(&d, "--workers", "2", "--chaos", "7", NULL);
    rc_conn_t *a = rc_connect(&d);
    rc_hello(a);
    uint64_t buf;
    ck_assert_int_eq(rc_buffer_create(a, 4 * 64, NULL, &buf, NULL, 0), 0);
    float x[32], y[32];
    for (int i = 0; i < 32; i++) {
        x[i] = 1.0f / (float)(i + 3);
        y[i] = (float)i / 7.0f;
    }
    double alpha = 0.1, beta = -3.3;
    rc_task_t wx, wy, ax, sc, rd;
    uint64_t i1 = rc_next_id(a), i2 = rc_next_id(a), i3 = rc_next_id(a), i4 = rc_next_id(a),
             i5 = rc_next_id(a);
    rc_task_init(&wx, i1, "host_write");
    rc_task_arg1(&wx, buf, ORDO_F32, 0, 32, ORDO_OUT);
    rc_task_data(&wx, x, sizeof x);
    rc_task_init(&wy, i2, "host_write");
    rc_task_arg1(&wy, buf, ORDO_F32, 32, 32, ORDO_OUT);
    rc_task_data(&wy, y, sizeof y);
    uint8_t pa[8], pb[8];
    rc_f64(pa, alpha);
    rc_f64(pb, beta);
    rc_task_init(&ax, i3, "axpy");                    /* y += alpha * x reversed */
    rc_task_arg1(&ax, buf, ORDO_F32, 32, 32, ORDO_INOUT);
    rc_task_arg1(&ax, buf, ORDO_F32, 31, 32, ORDO_IN);
    ax.strides[1][0] = -1;
    rc_task_params(&ax, pa, 8);
    rc_task_init(&sc, i4, "scale");                   /* even elements of y *= beta */
    rc_task_arg1(&sc, buf, ORDO_F32, 32, 16, ORDO_INOUT);
    sc.strides[0][0] = 2;
    rc_task_params(&sc, pb, 8);
    rc_task_init(&rd, i5, "host_read");
    rc_task_arg1(&rd, buf, ORDO_F32, 32, 32, ORDO_IN);
    rc_task_t *all[] = { &wx, &wy, &ax, &sc, &rd };
    rc_submit(a, all, 5);
    for (int i = 0; i < 32; i++) {
        volatile float t = (float)alpha * x[31 - i];
        y[i] = t + y[i];
    }
    for (int i = 0; i < 32; i += 2)
        y[i] = (float)beta * y[i];
    rc_comp_t c;
    ck_assert_int_eq(rc_take(a, i5, &c), 0);
    ck_assert_int_eq(c.status, ORDO__V1__TASK_STATUS__STATUS_DONE);
    ck_assert_uint_eq(c.ndata, sizeof y);
    ck_assert(memcmp(c.data, y, sizeof y) == 0);
    rc_comp_free(&c);
    rc_close(&a);
    ck_assert_int_eq(rc_daemon_stop(&d), 0);
}
END_TEST

/* Returns how many of n independent noops (one Submit, one worker) started
 * out of id order. */
static int s_started_out_of_order(const char *chaos)
{
    enum { N = 100 };
    rc_daemon_t d;
    rc_daemon_start(&d, "--workers", "1", "--chaos", chaos, NULL);
    rc_conn_t *a = rc_connect(&d);
    rc_hello(a);
    static rc_task_t t[N];
    rc_task_t *tp[N];
    for (int i = 0; i < N; i++) {
        rc_task_init(&t[i], rc_next_id(a), "noop");
        tp[i] = &t[i];
    }
    rc_submit(a, tp, N);
    uint64_t prev = 0;
    int inversions = 0;
    for (int i = 0; i < N; i++) {
        rc_comp_t c;
        ck_assert_int_eq(rc_take(a, t[i].task.id, &c), 0);
        ck_assert_int_eq(c.status, ORDO__V1__TASK_STATUS__STATUS_DONE);
        inversions += c.started_ns < prev;
        prev = c.started_ns;
    }
    rc_close(&a);
    ck_assert_int_eq(rc_daemon_stop(&d), 0);
    return inversions;
}

/* Chaos mode really shuffles the ready queue, and without it one worker
 * runs ready tasks in acceptance order: the guard is observable. */
START_TEST(test_chaos_shuffles)
{
    ck_assert_int_eq(s_started_out_of_order("0"), 0);
    ck_assert_int_gt(s_started_out_of_order("12345"), 10);
}
END_TEST

START_TEST(test_gather_out_of_range)
{
    rc_daemon_t d;
    rc_daemon_start(&d, NULL);
    rc_conn_t *a = rc_connect(&d);
    rc_hello(a);
    uint64_t buf;
    ck_assert_int_eq(rc_buffer_create(a, 1024, NULL, &buf, NULL, 0), 0);
    int32_t idx[3] = { 1, 7, 2 };
    rc_task_t w, g;
    uint64_t wid = rc_next_id(a), gid = rc_next_id(a);
    rc_task_init(&w, wid, "host_write");
    rc_task_arg1(&w, buf, ORDO_I32, 200, 3, ORDO_OUT);
    rc_task_data(&w, idx, sizeof idx);
    rc_task_init(&g, gid, "gather_rows");
    rc_task_arg(&g, buf, ORDO_F32, 0, ORDO_OUT, 2, I64(3), I64(4), I64(4), I64(1));
    rc_task_arg(&g, buf, ORDO_F32, 20, ORDO_IN, 2, I64(5), I64(4), I64(4), I64(1));
    rc_task_arg1(&g, buf, ORDO_I32, 200, 3, ORDO_IN);
    rc_task_t *all[] = { &w, &g };
    rc_submit(a, all, 2);
    rc_comp_t c;
    ck_assert_int_eq(rc_take(a, gid, &c), 0);
    ck_assert_int_eq(c.status, ORDO__V1__TASK_STATUS__STATUS_FAILED);
    ck_assert_int_eq(c.code, ORDO_ERANGE);
    ck_assert_msg(strstr(c.error, "idx[1] = 7"), "%s", c.error);
    rc_close(&a);
    ck_assert_int_eq(rc_daemon_stop(&d), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Flow control                                                          */

START_TEST(test_credits)
{
    rc_daemon_t d;
    rc_daemon_start(&d, "--credits", "3", "--window", "16", NULL);
    rc_conn_t *a = rc_connect(&d);
    rc_hello(a);
    ck_assert_uint_eq(a->credits, 3);
    uint8_t p[8];
    rc_le64(p, 200000);
    rc_task_t t[5];
    rc_task_t *tp[5];
    for (int i = 0; i < 5; i++) {
        rc_task_init(&t[i], rc_next_id(a), "sleep");
        rc_task_params(&t[i], p, 8);
        tp[i] = &t[i];
    }
    rc_submit(a, tp, 5);
    rc_comp_t c;
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(rc_take(a, t[i].task.id, &c), 0);
        if (i < 3) {
            ck_assert_int_eq(c.status, ORDO__V1__TASK_STATUS__STATUS_DONE);
        } else {
            ck_assert_int_eq(c.status, ORDO__V1__TASK_STATUS__STATUS_FAILED);
            ck_assert_int_eq(c.code, ORDO_ELIMIT);
        }
    }
    rc_close(&a);
    ck_assert_int_eq(rc_daemon_stop(&d), 0);
}
END_TEST

START_TEST(test_window_full_queues)
{
    rc_daemon_t d;
    rc_daemon_start(&d, "--credits", "4", "--window", "4", "--workers", "2", NULL);
    rc_conn_t *a = rc_connect(&d), *b = rc_connect(&d);
    rc_hello(a);
    rc_hello(b);
    uint64_t buf;
    ck_assert_int_eq(rc_buffer_create(b, 64, NULL, &buf, NULL, 0), 0);
    uint8_t p[8];
    rc_le64(p, 100000);
    rc_task_t t[4];
    rc_task_t *tp[4];
    for (int i = 0; i < 4; i++) {
        rc_task_init(&t[i], rc_next_id(a), "sleep");
        rc_task_params(&t[i], p, 8);
        tp[i] = &t[i];
    }
    rc_submit(a, tp, 4);                              /* fills the window */
    rc_task_t u[4];
    rc_task_t *up[4];
    for (int i = 0; i < 4; i++) {
        rc_task_init(&u[i], rc_next_id(b), "noop");
        rc_task_arg1(&u[i], buf, ORDO_F32, 0, 4, ORDO_INOUT);
        up[i] = &u[i];
    }
    rc_submit(b, up, 2);
    rc_submit(b, up + 2, 2);
    ck_assert_int_eq(rc_buffer_release(b, buf), 0);   /* after the queued tasks */
    rc_comp_t c;
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(rc_take(b, u[i].task.id, &c), 0);
        ck_assert_msg(c.status == ORDO__V1__TASK_STATUS__STATUS_DONE, "task %d: %s", i, c.error);
    }
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(rc_take(a, t[i].task.id, &c), 0);
        ck_assert_int_eq(c.status, ORDO__V1__TASK_STATUS__STATUS_DONE);
    }
    char *text;
    ck_assert_int_eq(rc_status(&d, "status", 0, &text), 0);
    ck_assert_int_eq(rc_info(text, "buffers"), 0);
    ck_assert_int_eq(rc_info(text, "window_used"), 0);
    free(text);
    rc_close(&a);
    rc_close(&b);
    ck_assert_int_eq(rc_daemon_stop(&d), 0);
}
END_TEST

/* Receives one message on c and counts the completions in it (all must be
 * DONE); returns the count, or -1 on timeout. */
static int s_drain_one(rc_conn_t *c)
{
    Ordo__V1__ServerMsg *m = rc_recv_msg(c);
    if (!m)
        return -1;
    int n = 0;
    if (m->msg_case == ORDO__V1__SERVER_MSG__MSG_COMPLETIONS) {
        for (size_t i = 0; i < m->completions->n_items; i++) {
            const Ordo__V1__Completion *x = m->completions->items[i];
            ck_assert_msg(x->status == ORDO__V1__TASK_STATUS__STATUS_DONE, "task 0x%llx: %s",
                          (unsigned long long)x->id, x->error);
            n++;
        }
    }
    ordo__v1__server_msg__free_unpacked(m, NULL);
    return n;
}

/* Four sessions add 1.0 to random overlapping ranges of one shared f64
 * buffer, thousands of tasks through a window of 64 under --chaos: every
 * task completes once, nothing is lost to the full window, and each sum is
 * exact, so no two writers of the same bytes ever ran unordered. */
START_TEST(test_sessions_share_small_window)
{
    enum { S = 4, T = 2500, B = 25, W = 64 };
    rc_daemon_t d;
    rc_daemon_start(&d, "--workers", "3", "--window", "64", "--credits", "64", "--chaos", "99",
                    NULL);
    rc_conn_t *c[S];
    uint64_t acc = 0, ones[S];
    static double want[W];
    memset(want, 0, sizeof want);
    uint8_t one[8], alpha[8];
    rc_f64(one, 1.0);
    rc_f64(alpha, 1.0);
    for (int i = 0; i < S; i++) {
        c[i] = rc_connect(&d);
        rc_hello(c[i]);
        if (i == 0)
            ck_assert_int_eq(rc_buffer_create(c[i], W * 8, "acc", &acc, NULL, 0), 0);
        else
            ck_assert_int_eq(rc_buffer_open(c[i], "acc", NULL, NULL), 0);
        ck_assert_int_eq(rc_buffer_create(c[i], W * 8, NULL, &ones[i], NULL, 0), 0);
        rc_task_t f;
        uint64_t fid = rc_next_id(c[i]);
        rc_task_init(&f, fid, "fill");
        rc_task_arg1(&f, ones[i], ORDO_F64, 0, W, ORDO_OUT);
        rc_task_params(&f, one, 8);
        rc_submit1(c[i], &f);
        rc_comp_t r;
        ck_assert_int_eq(rc_take(c[i], fid, &r), 0);
    }
    int sent[S] = { 0 }, outstanding[S] = { 0 };
    uint64_t x = 0x1234567;
    static rc_task_t tasks[B];
    rc_task_t *tp[B];
    for (int round = 0; round < T / B; round++) {
        for (int i = 0; i < S; i++) {
            while (outstanding[i] + B > W) {
                int n = s_drain_one(c[i]);
                ck_assert_int_ge(n, 0);
                outstanding[i] -= n;
            }
            for (int k = 0; k < B; k++) {
                int lo = (int)(s_rng(&x) % W), len = 1 + (int)(s_rng(&x) % 8);
                if (lo + len > W)
                    len = W - lo;
                int step = (s_rng(&x) % 3 == 0) ? -1 : 1;
                int start = step > 0 ? lo : lo + len - 1;
                rc_task_init(&tasks[k], rc_next_id(c[i]), "axpy");
                rc_task_arg(&tasks[k], acc, ORDO_F64, start, ORDO_INOUT, 1, I64(len), I64(step));
                rc_task_arg1(&tasks[k], ones[i], ORDO_F64, 0, len, ORDO_IN);
                rc_task_params(&tasks[k], alpha, 8);
                tp[k] = &tasks[k];
                for (int e = lo; e < lo + len; e++)
                    want[e] += 1.0;
            }
            rc_submit(c[i], tp, B);
            sent[i] += B;
            outstanding[i] += B;
        }
    }
    for (int i = 0; i < S; i++) {
        while (outstanding[i] > 0) {
            int n = s_drain_one(c[i]);
            ck_assert_int_ge(n, 0);
            outstanding[i] -= n;
        }
        ck_assert_int_eq(outstanding[i], 0);
    }
    rc_task_t r;
    uint64_t rid = rc_next_id(c[0]);
    rc_task_init(&r, rid, "host_read");
    rc_task_arg1(&r, acc, ORDO_F64, 0, W, ORDO_IN);
    rc_submit1(c[0], &r);
    rc_comp_t got;
    ck_assert_int_eq(rc_take(c[0], rid, &got), 0);
    ck_assert_uint_eq(got.ndata, sizeof want);
    double have[W];
    memcpy(have, got.data, sizeof have);
    rc_comp_free(&got);
    for (int e = 0; e < W; e++)
        ck_assert_msg(have[e] == want[e], "element %d: %g, want %g", e, have[e], want[e]);
    char *text;
    ck_assert_int_eq(rc_status(&d, "status", 0, &text), 0);
    ck_assert_int_eq(rc_info(text, "tasks_accepted"), S * (T + 1) + 1);
    ck_assert_int_eq(rc_info(text, "tasks_done"), S * (T + 1) + 1);
    ck_assert_int_eq(rc_info(text, "window_used"), 0);
    free(text);
    for (int i = 0; i < S; i++)
        rc_close(&c[i]);
    ck_assert_int_eq(rc_daemon_stop(&d), 0);
}
END_TEST

/* A client that ignores its credits while the window is full cannot grow
 * the daemon's memory: past twice its credits queued, its session ends
 * with a clear error; other sessions are served. */
START_TEST(test_flood_over_credits)
{
    rc_daemon_t d;
    rc_daemon_start(&d, "--window", "2", "--credits", "2", NULL);
    rc_conn_t *a = rc_connect(&d), *b = rc_connect(&d);
    rc_hello(a);
    rc_hello(b);
    uint8_t p[8];
    rc_le64(p, 300000);
    rc_task_t t, u[2];
    rc_task_t *up[2] = { &u[0], &u[1] };
    for (int i = 0; i < 2; i++) {                   /* b fills the window */
        rc_task_init(&u[i], rc_next_id(b), "sleep");
        rc_task_params(&u[i], p, 8);
    }
    rc_submit(b, up, 2);
    s_heartbeat_ok(b);
    for (int i = 0; i < 10; i++) {                  /* a queues, and queues */
        rc_task_init(&t, rc_next_id(a), "noop");
        rc_submit1(a, &t);
    }
    Ordo__V1__ServerMsg *m = rc_recv(a);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(m->msg_case, ORDO__V1__SERVER_MSG__MSG_ERROR);
    ck_assert_int_eq(m->error->code, ORDO_ELIMIT);
    ck_assert_ptr_nonnull(strstr(m->error->message, "credits"));
    ordo__v1__server_msg__free_unpacked(m, NULL);
    /* b's sleeps finish; b is served as before. */
    rc_comp_t c;
    ck_assert_int_eq(rc_take(b, u[1].task.id, &c), 0);
    ck_assert_int_eq(c.status, ORDO__V1__TASK_STATUS__STATUS_DONE);
    c = s_one(b, "noop", 0, 0, 0, ORDO_IN);
    ck_assert_int_eq(c.code, ORDO_ENOENT);
    ck_assert_int_eq(s_wait_info(&d, "sessions_active", 1, 2000), 1);
    rc_close(&a);
    rc_close(&b);
    ck_assert_int_eq(rc_daemon_stop(&d), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Status socket                                                         */

START_TEST(test_status)
{
    rc_daemon_t d;
    rc_daemon_start(&d, "--workers", "3", NULL);
    rc_conn_t *a = rc_connect(&d);
    rc_hello(a);
    uint64_t buf;
    ck_assert_int_eq(rc_buffer_create(a, 400, NULL, &buf, NULL, 0), 0);
    uint8_t p[8];
    rc_le64(p, 50000);
    rc_task_t w, r;
    uint64_t wid = rc_next_id(a), rid = rc_next_id(a);
    rc_task_init(&w, wid, "sleep");                        /* writes [0,40) */
    rc_task_arg1(&w, buf, ORDO_F32, 0, 10, ORDO_OUT);
    rc_task_params(&w, p, 8);
    rc_task_init(&r, rid, "noop");                         /* reads [20,60): RAW */
    rc_task_arg1(&r, buf, ORDO_F32, 5, 10, ORDO_IN);
    rc_task_t *two[] = { &w, &r };
    rc_submit(a, two, 2);
    rc_comp_t c;
    ck_assert_int_eq(rc_take(a, wid, &c), 0);
    ck_assert_int_eq(rc_take(a, rid, &c), 0);
    ck_assert(c.started_ns >= c.accepted_ns);
    char *text;
    ck_assert_int_eq(rc_status(&d, "status", 0, &text), 0);
    const char *keys[] = { "version", "pid", "uptime_s", "workers", "window", "credits",
                           "chaos_seed", "sessions_active", "sessions_total", "buffers",
                           "buffer_bytes", "tasks_accepted", "tasks_waiting", "tasks_ready",
                           "tasks_running", "tasks_done", "tasks_failed", "tasks_cancelled",
                           "window_used", "edges_total", "edges_raw", "edges_war",
                           "edges_waw", "edges_explicit", "overlap_tests", "overlap_solved",
                           "conservative_answers", "accesses_live", "accesses_retired",
                           "index_bytes", "graph_bytes", "task_record_bytes",
                           "task_memory_bytes" };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        ck_assert_msg(rc_info(text, keys[i]) >= 0, "key %s missing in\n%s", keys[i], text);
    ck_assert_ptr_nonnull(strstr(text, "# Server\n"));
    ck_assert_ptr_nonnull(strstr(text, "# Analysis\n"));
    ck_assert_int_eq(rc_info(text, "workers"), 3);
    ck_assert_int_eq(rc_info(text, "sessions_active"), 1);
    ck_assert_int_eq(rc_info(text, "tasks_accepted"), 2);
    ck_assert_int_eq(rc_info(text, "tasks_done"), 2);
    ck_assert_int_eq(rc_info(text, "edges_raw"), 1);
    ck_assert_int_eq(rc_info(text, "pid"), d.pid);
    ck_assert_int_gt(rc_info(text, "index_bytes"), 0); /* the trees' nodes, kept for reuse */
    /* Two records (pooled now), the graph's tables, and their sum. */
    ck_assert_int_ge(rc_info(text, "task_record_bytes"), 2 * 96);
    ck_assert_int_gt(rc_info(text, "graph_bytes"), 0);
    ck_assert_int_eq(rc_info(text, "task_memory_bytes"),
                     rc_info(text, "index_bytes") + rc_info(text, "graph_bytes") +
                         rc_info(text, "task_record_bytes"));
    free(text);
    ck_assert_int_eq(rc_status(&d, "status", 1, &text), 0);
    ck_assert_msg(strncmp(text, "{\"server\":{\"version\":\"", 22) == 0, "%s", text);
    ck_assert_ptr_nonnull(strstr(text, "\"tasks\":{\"tasks_accepted\":2,"));
    ck_assert_ptr_nonnull(strstr(text, "\"analysis\":{"));
    free(text);
    ck_assert_int_eq(rc_status(&d, "frobnicate", 0, &text), ORDO_EINVAL);
    ck_assert_ptr_nonnull(strstr(text, "status"));
    free(text);
    rc_close(&a);
    ck_assert_int_eq(rc_daemon_stop(&d), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Shutdown                                                              */

START_TEST(test_sigterm_drains)
{
    rc_daemon_t d;
    rc_daemon_start(&d, NULL);
    rc_conn_t *a = rc_connect(&d);
    rc_hello(a);
    uint8_t p[8];
    rc_le64(p, 400000);
    rc_task_t s;
    uint64_t sid = rc_next_id(a);
    rc_task_init(&s, sid, "sleep");
    rc_task_params(&s, p, 8);
    rc_submit1(a, &s);
    rc_sleep_ms(50);
    kill(d.pid, SIGTERM);
    rc_sleep_ms(100);
    rc_task_t n;
    uint64_t nid = rc_next_id(a);
    rc_task_init(&n, nid, "noop");
    rc_submit1(a, &n);
    rc_comp_t c;
    ck_assert_int_eq(rc_take(a, nid, &c), 0);
    ck_assert_int_eq(c.code, ORDO_ESHUTDOWN);
    ck_assert_int_eq(rc_take(a, sid, &c), 0);
    ck_assert_int_eq(c.status, ORDO__V1__TASK_STATUS__STATUS_DONE);
    rc_close(&a);
    ck_assert_int_eq(rc_daemon_stop_sig(&d, 0, 5000), 0);
}
END_TEST

START_TEST(test_drain_timeout)
{
    rc_daemon_t d;
    rc_daemon_start(&d, "--drain-timeout", "1", NULL);
    rc_conn_t *a = rc_connect(&d);
    rc_hello(a);
    uint8_t p[8];
    rc_le64(p, 20000000);                              /* 20 s */
    rc_task_t s, n;
    uint64_t sid = rc_next_id(a), nid = rc_next_id(a);
    rc_task_init(&s, sid, "sleep");
    rc_task_params(&s, p, 8);
    rc_task_init(&n, nid, "noop");
    rc_task_dep(&n, sid);
    rc_task_t *two[] = { &s, &n };
    rc_submit(a, two, 2);
    rc_sleep_ms(100);
    kill(d.pid, SIGTERM);
    rc_comp_t c;
    ck_assert_int_eq(rc_take(a, sid, &c), 0);
    ck_assert_int_eq(c.code, ORDO_ESHUTDOWN);
    ck_assert_int_eq(rc_take(a, nid, &c), 0);
    ck_assert_int_eq(c.code, ORDO_ESHUTDOWN);
    rc_close(&a);
    ck_assert_int_eq(rc_daemon_stop_sig(&d, 0, 5000), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Plugins                                                               */

START_TEST(test_plugin_kernel)
{
    const char *so = getenv("ORDO_TEST_PLUGIN");
    ck_assert_ptr_nonnull(so);
    char dir[] = "/tmp/ordo-plugins-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    /* A copy: ordod refuses a link that leads outside its kernel directory. */
    char link[256], cmd[1024];
    snprintf(link, sizeof link, "%s/testplugin.so", dir);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s' && chmod 0755 '%s'", so, link, link);
    ck_assert_int_eq(system(cmd), 0);
    rc_daemon_t d;
    rc_daemon_start(&d, "--kernel-dir", dir, NULL);
    rc_conn_t *a = rc_connect(&d);
    rc_hello(a);
    uint64_t buf;
    ck_assert_int_eq(rc_buffer_create(a, 64, NULL, &buf, NULL, 0), 0);
    rc_comp_t c = s_one(a, "test_add1", buf, 0, 4, ORDO_INOUT);
    ck_assert_msg(c.status == ORDO__V1__TASK_STATUS__STATUS_DONE, "%s", c.error);
    c = s_one(a, "test_add1", buf, 0, 4, ORDO_IN);        /* its check refuses */
    ck_assert_int_eq(c.code, ORDO_EINVAL);
    ck_assert_msg(strstr(c.error, "test_add1 needs an inout"), "%s", c.error);
    c = s_one(a, "host_read", buf, 0, 4, ORDO_IN);
    ck_assert_uint_eq(c.ndata, 16);
    float v[4];
    memcpy(v, c.data, 16);
    rc_comp_free(&c);
    for (int i = 0; i < 4; i++)
        ck_assert(v[i] == 1.0f);
    rc_close(&a);
    ck_assert_int_eq(rc_daemon_stop(&d), 0);
    unlink(link);
    rmdir(dir);
}
END_TEST

/* Runs ordod on a kernel directory that must be refused: exit status 1
 * and the reason in its log. */
static void s_expect_refused_dir(const char *dir, const char *why)
{
    char log[256], cmd[1024];
    snprintf(log, sizeof log, "%s.log", dir);
    snprintf(cmd, sizeof cmd, "'%s' --kernel-dir '%s' --endpoint 'ipc://%s/o.sock' "
             "--status-endpoint 'ipc://%s/s.sock' 2>'%s'", getenv("ORDOD"), dir, dir, dir, log);
    int rc = system(cmd);
    ck_assert_msg(WIFEXITED(rc) && WEXITSTATUS(rc) == 1, "status %d", rc);
    FILE *f = fopen(log, "r");
    ck_assert_ptr_nonnull(f);
    char text[4096] = "";
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    unlink(log);
    ck_assert_msg(strstr(text, why), "log lacks '%s':\n%s", why, text);
}

START_TEST(test_plugin_errors)
{
    const char *so = getenv("ORDO_TEST_PLUGIN");
    ck_assert_ptr_nonnull(so);
    char dir[] = "/tmp/ordo-plugins-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char a[256], b[256], cmd[4096];
    /* The same kernel name twice. */
    snprintf(a, sizeof a, "%s/a.so", dir);
    snprintf(b, sizeof b, "%s/b.so", dir);
    ck_assert_int_lt(snprintf(cmd, sizeof cmd, "cp '%.1000s' '%s' && cp '%.1000s' '%s' && "
                              "chmod 0755 '%s' '%s'", so, a, so, b, a, b),
                     (int)sizeof cmd);
    ck_assert_int_eq(system(cmd), 0);
    s_expect_refused_dir(dir, "cannot register kernel 'test_add1'");
    unlink(b);
    /* Not a plugin: no ordo_plugin_init. */
    snprintf(cmd, sizeof cmd, "printf 'not an elf' > '%s'", b);
    ck_assert_int_eq(system(cmd), 0);
    s_expect_refused_dir(dir, "b.so");
    unlink(b);
    /* Writable by others. */
    unlink(a);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s' && chmod 0666 '%s'", so, a, a);
    ck_assert_int_eq(system(cmd), 0);
    s_expect_refused_dir(dir, "writable by group or others");
    unlink(a);
    /* A missing directory. */
    rmdir(dir);
    s_expect_refused_dir(dir, "kernel directory");
}
END_TEST

static Suite *s_suite(void)
{
    Suite *s = suite_create("ordod");
    TCase *tc = tcase_create("session");
    tcase_add_test(tc, test_hello_welcome);
    tcase_add_test(tc, test_version_refused);
    tcase_add_test(tc, test_before_hello_and_garbage);
    tcase_add_test(tc, test_resume);
    tcase_add_test(tc, test_oversized_message);
    tcase_add_test(tc, test_max_sessions);
    tcase_add_test(tc, test_session_expiry);
    tcase_add_test(tc, test_endpoint_in_use);
    suite_add_tcase(s, tc);
    tc = tcase_create("buffers");
    tcase_add_test(tc, test_write_read_roundtrip);
    tcase_add_test(tc, test_buffers_shared_private);
    tcase_add_test(tc, test_release_deferred);
    suite_add_tcase(s, tc);
    tc = tcase_create("tasks");
    tcase_add_test(tc, test_bad_tasks);
    tcase_add_test(tc, test_random_input);
    tcase_add_test(tc, test_reply_after_completions);
    tcase_add_test(tc, test_accept_shortcuts);
    tcase_add_test(tc, test_failure_cancels_dependents);
    tcase_add_test(tc, test_watch);
    tcase_add_test(tc, test_axpy_bit_exact);
    tcase_add_test(tc, test_gather_out_of_range);
    tcase_add_test(tc, test_chaos_shuffles);
    suite_add_tcase(s, tc);
    tc = tcase_create("flow");
    tcase_add_test(tc, test_credits);
    tcase_add_test(tc, test_window_full_queues);
    tcase_add_test(tc, test_sessions_share_small_window);
    tcase_add_test(tc, test_flood_over_credits);
    suite_add_tcase(s, tc);
    tc = tcase_create("status");
    tcase_add_test(tc, test_status);
    suite_add_tcase(s, tc);
    tc = tcase_create("shutdown");
    tcase_add_test(tc, test_sigterm_drains);
    tcase_add_test(tc, test_drain_timeout);
    suite_add_tcase(s, tc);
    tc = tcase_create("plugins");
    tcase_add_test(tc, test_plugin_kernel);
    tcase_add_test(tc, test_plugin_errors);
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
