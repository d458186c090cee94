/*
 * check_config.c - the option table: defaults, command line, config file,
 * bounds, cross-option checks and default endpoints.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ordo_config.h"
#include "ordo.h"

START_TEST(test_defaults)
{
    ordo_config_t *c = ordo_config_new();
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq(c->window, 1u << 20);
    ck_assert_uint_eq(c->credits, 65536);
    ck_assert_uint_eq(c->drain_timeout, 30);
    ck_assert_uint_eq(c->chaos, 0);
    ck_assert_uint_eq(c->log_level, 2);
    ck_assert_uint_eq(c->max_message, 64u << 20);
    ck_assert_str_eq(c->endpoint, "");
    ordo_config_destroy(&c);
    ck_assert_ptr_null(c);
    ordo_config_destroy(&c);
}
END_TEST

START_TEST(test_args)
{
    ordo_config_t *c = ordo_config_new();
    char err[256];
    char *argv[] = { "ordod", "--workers", "3", "--window=1k", "--credits", "512",
                     "--chaos", "0x10", "--log-level", "debug", "--endpoint",
                     "tcp://127.0.0.1:5555", "--status-endpoint=ipc:///tmp/x",
                     "--insecure-tcp", "1", NULL };
    ck_assert_int_eq(ordo_config_parse_args(c, 15, argv, err, sizeof err), 0);
    ck_assert_uint_eq(c->workers, 3);
    ck_assert_uint_eq(c->window, 1024);
    ck_assert_uint_eq(c->credits, 512);
    ck_assert_uint_eq(c->chaos, 16);
    ck_assert_uint_eq(c->log_level, 3);
    ck_assert_str_eq(c->endpoint, "tcp://127.0.0.1:5555");
    ck_assert_int_eq(ordo_config_finish(c, err, sizeof err), 0);
    ordo_config_destroy(&c);
}
END_TEST

START_TEST(test_bad_args)
{
    char err[256];
    struct { int argc; char *argv[4]; const char *why; } cases[] = {
        { 2, { "ordod", "--nope", NULL }, "unknown option" },
        { 2, { "ordod", "--workers", NULL }, "needs" },
        { 3, { "ordod", "--workers", "-1", NULL }, "not a number" },
        { 3, { "ordod", "--workers", "5000", NULL }, "outside" },
        { 3, { "ordod", "--window", "0", NULL }, "outside" },
        { 3, { "ordod", "--log-level", "loud", NULL }, "not one of" },
        { 3, { "ordod", "--max-message", "12x", NULL }, "not a number" },
        { 2, { "ordod", "stray", NULL }, "unexpected argument" },
        { 3, { "ordod", "--config", "/nonexistent/ordod.conf", NULL }, "nonexistent" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ordo_config_t *c = ordo_config_new();
        err[0] = '\0';
        ck_assert_int_lt(ordo_config_parse_args(c, cases[i].argc, cases[i].argv, err,
                                                sizeof err), 0);
        ck_assert_msg(strstr(err, cases[i].why), "case %zu: '%s'", i, err);
        ordo_config_destroy(&c);
    }
    ordo_config_t *c = ordo_config_new();
    char *help[] = { "ordod", "--workers", "2", "--help", NULL };
    ck_assert_int_eq(ordo_config_parse_args(c, 4, help, err, sizeof err), ORDO_CONFIG_HELP);
    char *argv[] = { "ordod", "--credits", "10", "--window", "5", "--endpoint", "ipc:///a",
                     "--status-endpoint", "ipc:///b", NULL };
    ck_assert_int_eq(ordo_config_parse_args(c, 9, argv, err, sizeof err), 0);
    ck_assert_int_lt(ordo_config_finish(c, err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(err, "larger than --window"));
    ordo_config_set(c, "credits", "5", err, sizeof err);
    ordo_config_set(c, "endpoint", "inproc://x", err, sizeof err);
    ck_assert_int_lt(ordo_config_finish(c, err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(err, "only ipc:// and tcp://"));
    ordo_config_destroy(&c);
}
END_TEST

/* The limits: defaults (the ordo_limits.h constants), the three ways to
 * set them, their bounds, and --help listing them. */
START_TEST(test_limits)
{
    ordo_config_t *c = ordo_config_new();
    ck_assert_uint_eq(c->max_task_args, 64);
    ck_assert_uint_eq(c->max_task_deps, 1024);
    ck_assert_uint_eq(c->max_ndim, ORDO_MAX_NDIM);
    ck_assert_uint_eq(c->max_params, 65536);
    ck_assert_uint_eq(c->max_sessions, 4096);
    ck_assert_uint_eq(c->max_session_buffers, 65536);
    ck_assert_uint_eq(c->max_session_bytes, 0);
    ck_assert_uint_eq(c->max_watch, 65536);
    ck_assert_uint_eq(c->max_tombstones, 262144);
    char err[256];
    char *argv[] = { "ordod", "--max-task-args=8", "--max-task-deps", "0", "--max-ndim", "3",
                     "--max-params=1k", "--max-session-buffers", "10",
                     "--max-session-bytes=2g", "--max-watch", "100", NULL };
    ck_assert_int_eq(ordo_config_parse_args(c, 12, argv, err, sizeof err), 0);
    ck_assert_uint_eq(c->max_task_args, 8);
    ck_assert_uint_eq(c->max_task_deps, 0);
    ck_assert_uint_eq(c->max_ndim, 3);
    ck_assert_uint_eq(c->max_params, 1024);
    ck_assert_uint_eq(c->max_session_buffers, 10);
    ck_assert_uint_eq(c->max_session_bytes, UINT64_C(2) << 30);
    ck_assert_uint_eq(c->max_watch, 100);
    ordo_config_destroy(&c);

    /* Out of bounds: ndim above the core's maximum (it may only be
     * lowered), no argument at all, past the ceilings. */
    const char *bad[][2] = {
        { "max-ndim", "9" }, { "max-ndim", "0" }, { "max-task-args", "0" },
        { "max-task-args", "1025" }, { "max-task-deps", "1048577" },
        { "max-params", "2g" }, { "max-session-buffers", "0" }, { "max-watch", "0" },
        { "max-watch", "16777217" }, { "max-session-bytes", "-1" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        c = ordo_config_new();
        err[0] = '\0';
        ck_assert_msg(ordo_config_set(c, bad[i][0], bad[i][1], err, sizeof err) < 0,
                      "--%s %s accepted", bad[i][0], bad[i][1]);
        ck_assert_msg(strstr(err, bad[i][0]), "reason '%s' does not name --%s", err,
                      bad[i][0]);
        ordo_config_destroy(&c);
    }

    /* The file sets them like any option. */
    char path[] = "/tmp/ordo-conf-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "max-ndim = 4\nmax-session-bytes = 1m\n");
    fclose(f);
    c = ordo_config_new();
    ck_assert_int_eq(ordo_config_load_file(c, path, err, sizeof err), 0);
    ck_assert_uint_eq(c->max_ndim, 4);
    ck_assert_uint_eq(c->max_session_bytes, 1u << 20);
    ordo_config_destroy(&c);
    unlink(path);

    /* --help lists every limit with its default. */
    char *text = NULL;
    size_t len = 0;
    f = open_memstream(&text, &len);
    ordo_config_help(f, "ordod");
    fclose(f);
    const char *opts[] = { "--max-message", "--max-sessions", "--max-task-args",
                           "--max-task-deps", "--max-ndim", "--max-params",
                           "--max-session-buffers", "--max-session-bytes", "--max-watch",
                           "--credits", "--window" };
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        ck_assert_msg(strstr(text, opts[i]), "--help does not list %s", opts[i]);
    ck_assert_msg(strstr(text, "most arguments of one task [default: 64]"), "%s", text);
    free(text);
}
END_TEST

START_TEST(test_file)
{
    char path[] = "/tmp/ordo-conf-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "# ordod configuration\n\n  workers = 7  \nwindow=4096 # comment\n"
               "kernel-dir = /opt/ordo kernels\n");
    fclose(f);
    ordo_config_t *c = ordo_config_new();
    char err[256];
    char *argv[] = { "ordod", "--window", "2048", "--config", path, NULL };
    ck_assert_int_eq(ordo_config_parse_args(c, 5, argv, err, sizeof err), 0);
    ck_assert_uint_eq(c->workers, 7);
    ck_assert_uint_eq(c->window, 2048);          /* the command line wins */
    ck_assert_str_eq(c->kernel_dir, "/opt/ordo kernels");
    ordo_config_destroy(&c);

    f = fopen(path, "w");
    fprintf(f, "workers = 2\nthis is wrong\n");
    fclose(f);
    c = ordo_config_new();
    ck_assert_int_lt(ordo_config_load_file(c, path, err, sizeof err), 0);
    ck_assert_msg(strstr(err, ":2: expected"), "%s", err);
    ordo_config_destroy(&c);
    unlink(path);
}
END_TEST

START_TEST(test_runtime_dir)
{
    char base[] = "/tmp/ordo-rt-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(base));
    char dir[512], err[256];
    unsetenv("RUNTIME_DIRECTORY");
    setenv("XDG_RUNTIME_DIR", base, 1);
    ck_assert_int_eq(ordo_config_runtime_dir(dir, sizeof dir, 1, err, sizeof err), 0);
    char want[600];
    snprintf(want, sizeof want, "%s/ordo", base);
    ck_assert_str_eq(dir, want);
    struct stat st;
    ck_assert_int_eq(stat(dir, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0700);
    ordo_config_t *c = ordo_config_new();
    ck_assert_int_eq(ordo_config_finish(c, err, sizeof err), 0);
    snprintf(want, sizeof want, "ipc://%s/ordo/ordod.sock", base);
    ck_assert_str_eq(c->endpoint, want);
    snprintf(want, sizeof want, "ipc://%s/ordo/status.sock", base);
    ck_assert_str_eq(c->status_endpoint, want);
    ck_assert_uint_gt(c->workers, 0);
    ordo_config_destroy(&c);
    /* A directory open to others is refused. */
    chmod(dir, 0755);
    ck_assert_int_lt(ordo_config_runtime_dir(dir, sizeof dir, 1, err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(err, "accessible to others"));
    rmdir(dir);
    setenv("RUNTIME_DIRECTORY", base, 1);
    ck_assert_int_eq(ordo_config_runtime_dir(dir, sizeof dir, 0, err, sizeof err), 0);
    ck_assert_str_eq(dir, base);
    unsetenv("RUNTIME_DIRECTORY");
    unsetenv("XDG_RUNTIME_DIR");
    ck_assert_int_eq(ordo_config_runtime_dir(dir, sizeof dir, 0, err, sizeof err), 0);
    snprintf(want, sizeof want, "/tmp/ordo-%lu", (unsigned long)getuid());
    ck_assert_str_eq(dir, want);
    rmdir(base);
}
END_TEST

static Suite *s_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_args);
    tcase_add_test(tc, test_bad_args);
    tcase_add_test(tc, test_limits);
    tcase_add_test(tc, test_file);
    tcase_add_test(tc, test_runtime_dir);
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
