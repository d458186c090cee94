/*
 * check_client.c - libordo's records of task ids against a real ordod.
 *
 * The records of own tasks live in a ring indexed by sequence (client.c,
 * s_ring_t) beside the id map: a record whose slot a newer id needs moves
 * to the map when it is terminal, and the ring grows while it is running.
 * These tests hold records past the ring's first size of 1,024 slots in
 * every way an application can (an event not taken, a task still
 * running, a quiet_success failure kept) and check that each id is still
 * delivered exactly once, with its own outcome, and that another
 * session's id of the same sequence is a different task.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "e2e.h"
#include "ordo.h"

#define S_FIRST 1100                /* once round the first ring */
#define S_NOOPS 3200                /* three times */

static e2e_daemon_t D;

static void s_setup(void)
{
    const char *args[] = {"--workers=2", "--log-level=warn", NULL};
    e2e_start(&D, args);
}

static void s_teardown(void)
{
    int status = e2e_stop(&D);
    ck_assert_msg(status == -1 || (WIFEXITED(status) && WEXITSTATUS(status) == 0),
                  "ordod did not exit 0 on SIGTERM (status %d)", status);
}

static uint64_t s_submit_sleep(ordo_client_t *c, uint64_t usec)
{
    uint8_t us[8];
    for (int i = 0; i < 8; i++)
        us[i] = (uint8_t)(usec >> (8 * i));
    ordo_submit_t s = {.kernel = "sleep", .params = us, .params_len = 8};
    uint64_t id;
    ck_assert_int_eq(ordo_submit(c, &s, &id), 0);
    return id;
}

static uint64_t s_submit_fail(ordo_client_t *c, const char *text)
{
    ordo_submit_t f = {.kernel = "fail", .params = text, .params_len = strlen(text)};
    uint64_t id;
    ck_assert_int_eq(ordo_submit(c, &f, &id), 0);
    return id;
}

/* A failure whose event is not taken and a task still running when
 * thousands of later ids need their slots: both keep their records, and
 * every id is delivered once: the two by ordo_wait with their own
 * outcome, the rest by ordo_poll.  The failure's slot is taken by a newer
 * id when it is waited for (the tasks before are all terminal, so the
 * ring has kept its first size and the failure moved to the map); the
 * running task makes the ring grow. */
START_TEST(test_records_held_past_the_ring)
{
    ordo_client_t *c = e2e_connect(&D);
    uint64_t failed = s_submit_fail(c, "held");
    ck_assert_int_eq(ordo_wait_idle(c, 10000), 0);
    ordo_submit_t noop = {.kernel = "noop"};
    static uint64_t ids[S_NOOPS];
    for (int i = 0; i < S_FIRST; i++) {
        ck_assert_int_eq(ordo_submit(c, &noop, &ids[i]), 0);
        if (i % 256 == 255)
            ck_assert_int_eq(ordo_wait_idle(c, 10000), 0);
    }
    ck_assert_int_eq(ordo_wait_idle(c, 10000), 0);
    ck_assert_uint_eq(ORDO_TASK_SEQ(ids[S_FIRST - 1]) - ORDO_TASK_SEQ(failed), S_FIRST);
    ordo_event_t e;
    ck_assert_int_eq(ordo_wait(c, failed, 0, &e), ORDO_EFAILED);
    ck_assert_uint_eq(e.id, failed);
    ck_assert_msg(strstr(e.error, ": held") != NULL, "%s", e.error);

    uint64_t sleeping = s_submit_sleep(c, 300000);
    for (int i = S_FIRST; i < S_NOOPS; i++)
        ck_assert_int_eq(ordo_submit(c, &noop, &ids[i]), 0);
    ck_assert_int_eq(ordo_wait_idle(c, 20000), 0);
    ck_assert_int_eq(ordo_wait(c, sleeping, 0, &e), 0);
    ck_assert_uint_eq(e.id, sleeping);
    ck_assert_int_eq(e.state, ORDO_TASK_DONE);
    static bool seen[S_NOOPS];
    memset(seen, 0, sizeof seen);
    ordo_event_t ev[256];
    int n = 0, k;
    while ((k = ordo_poll(c, ev, 256, 0)) > 0) {
        for (int i = 0; i < k; i++) {
            ck_assert_int_eq(ev[i].state, ORDO_TASK_DONE);
            int at = -1;
            if (ev[i].id >= ids[0] && ev[i].id <= ids[S_FIRST - 1])
                at = (int)(ev[i].id - ids[0]);
            else if (ev[i].id >= ids[S_FIRST] && ev[i].id <= ids[S_NOOPS - 1])
                at = S_FIRST + (int)(ev[i].id - ids[S_FIRST]);
            ck_assert_msg(at >= 0, "event of id %#llx", (unsigned long long)ev[i].id);
            ck_assert(!seen[at]);
            seen[at] = true;
        }
        n += k;
    }
    ck_assert_int_eq(n, S_NOOPS);
    ck_assert_int_eq(ordo_wait(c, failed, 0, NULL), ORDO_ENOENT);
    ck_assert_int_eq(ordo_wait(c, sleeping, 0, NULL), ORDO_ENOENT);
    ck_assert_int_eq(ordo_wait(c, ids[7], 0, NULL), ORDO_ENOENT);
    ordo_client_destroy(&c);
}
END_TEST

/* quiet_success: a failure, delivered, stays known while thousands of
 * later ids pass its slot; done ones have no record and still say done. */
START_TEST(test_quiet_failure_kept_past_the_ring)
{
    ordo_client_t *c = NULL;
    ordo_client_opts_t o = {.quiet_success = 1};
    ck_assert_int_eq(ordo_client_new(&c, D.endpoint, &o), 0);
    uint64_t failed = s_submit_fail(c, "kept");
    ordo_event_t e;
    ck_assert_int_eq(ordo_wait(c, failed, 10000, &e), ORDO_EFAILED);
    ordo_submit_t noop = {.kernel = "noop"};
    uint64_t first = 0, id = 0;
    for (int i = 0; i < S_NOOPS; i++) {
        ck_assert_int_eq(ordo_submit(c, &noop, &id), 0);
        if (i == 0)
            first = id;
    }
    ck_assert_int_eq(ordo_wait_idle(c, 20000), 0);
    ck_assert_int_eq(ordo_poll(c, &e, 1, 0), 0);
    memset(&e, 0, sizeof e);
    ck_assert_int_eq(ordo_wait(c, failed, 0, &e), ORDO_EFAILED);
    ck_assert_uint_eq(e.id, failed);
    ck_assert_msg(strstr(e.error, ": kept") != NULL, "%s", e.error);
    for (uint64_t x = first; x <= id; x += 97) {
        ck_assert_int_eq(ordo_wait(c, x, 0, &e), 0);
        ck_assert_uint_eq(e.id, x);
        ck_assert_int_eq(e.state, ORDO_TASK_DONE);
    }
    ck_assert_int_eq(ordo_wait(c, id + 1, 0, NULL), ORDO_EINVAL);
    ordo_client_destroy(&c);
}
END_TEST

/* Two sessions' first tasks have the same sequence (and so the same slot
 * of each client's ring): a's own task and b's, watched by a, are two
 * tasks with two outcomes. */
START_TEST(test_same_sequence_other_session)
{
    ordo_client_t *a = e2e_connect(&D), *b = e2e_connect(&D);
    uint64_t own = s_submit_fail(a, "own");
    uint64_t other = s_submit_sleep(b, 300000);     /* still running when watched */
    ck_assert_uint_eq(ORDO_TASK_SEQ(own), ORDO_TASK_SEQ(other));
    ck_assert_uint_ne(own, other);
    ck_assert_int_eq(ordo_flush(b), 0);
    ck_assert_int_eq(ordo_watch(a, &other, 1), 0);
    ordo_event_t e;
    ck_assert_int_eq(ordo_wait(a, other, 10000, &e), 0);
    ck_assert_uint_eq(e.id, other);
    ck_assert_int_eq(e.state, ORDO_TASK_DONE);
    ck_assert_int_eq(ordo_wait(a, own, 10000, &e), ORDO_EFAILED);
    ck_assert_uint_eq(e.id, own);
    ck_assert_msg(strstr(e.error, ": own") != NULL, "%s", e.error);
    ck_assert_int_eq(ordo_poll(a, &e, 1, 0), 0);
    ck_assert_int_eq(ordo_wait(b, other, 10000, NULL), 0);
    ordo_client_destroy(&a);
    ordo_client_destroy(&b);
}
END_TEST

static Suite *s_suite(void)
{
    Suite *s = suite_create("client");
    TCase *tc = tcase_create("records");
    tcase_add_unchecked_fixture(tc, e2e_tmp_setup, e2e_tmp_teardown);
    tcase_add_checked_fixture(tc, s_setup, s_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_records_held_past_the_ring);
    tcase_add_test(tc, test_quiet_failure_kept_past_the_ring);
    tcase_add_test(tc, test_same_sequence_other_session);
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
