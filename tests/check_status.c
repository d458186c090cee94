/*
 * check_status.c - the status views of a real ordod through ordoctl:
 * sessions, buffers, tasks (and their filters), graph (DOT, JSON, SVG when
 * Graphviz is installed), trace (Chrome trace JSON), metrics (Prometheus
 * text) and top.
 *
 * The live views are checked while a "sleep" task holds the only worker,
 * so which tasks are live, in which state, and which edges join them is
 * certain, not a matter of timing.
 */
#define _GNU_SOURCE
#include "config.h"

#include <check.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "e2e.h"
#include "ordo.h"

static e2e_daemon_t D;

static void s_setup(void)
{
    const char *args[] = {"--workers=1", "--log-level=warn", NULL};
    e2e_start(&D, args);
}

static void s_setup2(void)
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

/* Runs "ordoctl -s STATUS <args>" through the shell; returns its stdout
 * (malloc'd) and its exit status in *rc. */
static char *s_ctl(int *rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *s_ctl(int *rc, const char *fmt, ...)
{
    char args[1024], cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "%s --status-endpoint '%s' --timeout 10 %s",
             e2e_program("ORDOCTL", "client/ordoctl"), D.status, args);
    FILE *f = popen(cmd, "r");
    ck_assert_msg(f != NULL, "popen %s", cmd);
    size_t cap = 1 << 20, n = 0, k;
    char *out = malloc(cap);
    while ((k = fread(out + n, 1, cap - 1 - n, f)) > 0)
        n += k;
    out[n] = 0;
    int st = pclose(f);
    *rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
    return out;
}

/* Same, and the command must succeed. */
static char *s_ctl_ok(const char *args)
{
    int rc;
    char *out = s_ctl(&rc, "%s", args);
    ck_assert_msg(rc == 0, "ordoctl %s: exit %d:\n%s", args, rc, out);
    return out;
}

static int s_count(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static ordo_tensor_t s_vec(uint64_t buffer, int64_t n)
{
    ordo_tensor_t t;
    int64_t shape[1] = {n};
    ck_assert_int_eq(ordo_tensor_init(&t, buffer, ORDO_F32, 0, 1, shape, NULL), 0);
    return t;
}

/* Four live tasks on one worker: t1 sleeps with A inout (running), t2
 * fills A (WAW after t1), t3 copies A to B (RAW after t2), t4 is a
 * noop that names t1 explicitly. */
typedef struct {
    ordo_client_t *c;
    uint64_t a, b, t1, t2, t3, t4;
} s_scene_t;

static void s_scene(s_scene_t *s, uint64_t sleep_us)
{
    memset(s, 0, sizeof *s);
    s->c = e2e_connect(&D);
    ck_assert_int_eq(ordo_buffer_create(s->c, 64 * sizeof(float), "st-a", &s->a), 0);
    ck_assert_int_eq(ordo_buffer_create(s->c, 64 * sizeof(float), NULL, &s->b), 0);
    ordo_tensor_t A = s_vec(s->a, 64), B = s_vec(s->b, 64);
    uint8_t us[8];
    for (int i = 0; i < 8; i++)
        us[i] = (uint8_t)(sleep_us >> (8 * i));
    ordo_access_t a_inout = {&A, ORDO_INOUT};
    ordo_submit_t sl = {.kernel = "sleep", .args = &a_inout, .nargs = 1, .params = us,
                        .params_len = 8};
    ck_assert_int_eq(ordo_submit(s->c, &sl, &s->t1), 0);
    ck_assert_int_eq(ordo_fill(s->c, &A, 2.0, &s->t2), 0);
    ck_assert_int_eq(ordo_copy(s->c, &B, &A, &s->t3), 0);
    ordo_submit_t nop = {.kernel = "noop", .deps = &s->t1, .ndeps = 1,
                         .flags = ORDO_SUBMIT_FLUSH};
    ck_assert_int_eq(ordo_submit(s->c, &nop, &s->t4), 0);
    /* Until the daemon has all four (when they are meant to stay live). */
    if (sleep_us < 500000)
        return;
    for (int i = 0; i < 200; i++) {
        char *json = e2e_status(&D, true);
        double live = 0;
        ck_assert(e2e_json_number(json, "tasks.window_used", &live));
        free(json);
        if (live >= 4)
            return;
        usleep(10000);
    }
    ck_abort_msg("the four tasks never became live");
}

static void s_scene_end(s_scene_t *s)
{
    ck_assert_int_eq(ordo_wait_idle(s->c, 20000), 0);
    ordo_client_destroy(&s->c);
}

START_TEST(test_tasks_filters)
{
    s_scene_t s;
    s_scene(&s, 1500000);
    char *out = s_ctl_ok("tasks");
    ck_assert_msg(strstr(out, "live:4\n") && strstr(out, "shown:4\n"), "%s", out);
    char line[128];
    snprintf(line, sizeof line, "task_0x%llx:kernel=sleep,session=1,seq=1,state=running,",
             (unsigned long long)s.t1);
    ck_assert_msg(strstr(out, line), "no '%s' in:\n%s", line, out);
    snprintf(line, sizeof line, "task_0x%llx:kernel=fill,session=1,seq=2,state=waiting,",
             (unsigned long long)s.t2);
    ck_assert_msg(strstr(out, line), "no '%s' in:\n%s", line, out);
    free(out);

    out = s_ctl_ok("tasks state=waiting");
    ck_assert_msg(strstr(out, "matched:3\n") && s_count(out, "task_0x") == 3, "%s", out);
    free(out);
    out = s_ctl_ok("tasks kernel=copy");
    ck_assert_msg(strstr(out, "matched:1\n") && strstr(out, "kernel=copy"), "%s", out);
    free(out);
    out = s_ctl_ok("tasks session=1 limit=2");
    ck_assert_msg(strstr(out, "matched:4\n") && strstr(out, "shown:2\n") &&
                  s_count(out, "task_0x") == 2, "%s", out);
    free(out);
    out = s_ctl_ok("tasks session=99");
    ck_assert_msg(strstr(out, "matched:0\n") && !strstr(out, "task_0x"), "%s", out);
    free(out);
    out = s_ctl_ok("--json tasks state=running");
    ck_assert_msg(e2e_json_valid(out), "not JSON:\n%s", out);
    double v;
    ck_assert(e2e_json_number(out, "matched", &v) && v == 1);
    ck_assert(e2e_json_number(out, "live", &v) && v == 4);
    ck_assert_msg(strstr(out, "\"kernel\":\"sleep\",\"state\":\"running\""), "%s", out);
    free(out);

    /* A typo is refused, not read as "everything". */
    int rc;
    out = s_ctl(&rc, "tasks state=runing 2>&1");
    ck_assert_msg(rc == 1 && strstr(out, "not one of"), "exit %d: %s", rc, out);
    free(out);
    out = s_ctl(&rc, "tasks colour=blue 2>&1");
    ck_assert_msg(rc == 1 && strstr(out, "bad argument"), "exit %d: %s", rc, out);
    free(out);
    out = s_ctl(&rc, "tasks limit=0 2>&1");
    ck_assert_msg(rc == 1, "exit %d: %s", rc, out);
    free(out);
    s_scene_end(&s);
    /* Finished tasks leave the live views. */
    out = s_ctl_ok("tasks");
    ck_assert_msg(strstr(out, "live:0\n"), "%s", out);
    free(out);
}
END_TEST

START_TEST(test_graph_dot)
{
    s_scene_t s;
    s_scene(&s, 1500000);
    char *out = s_ctl_ok("graph");
    ck_assert_msg(strncmp(out, "digraph ordo {", 14) == 0, "%s", out);
    char want[256];
    /* Nodes: id, kernel, state; coloured by state. */
    snprintf(want, sizeof want, "\"0x%llx\" [label=\"0x%llx\\nsleep\\nrunning\", "
             "fillcolor=\"palegreen\"]", (unsigned long long)s.t1, (unsigned long long)s.t1);
    ck_assert_msg(strstr(out, want), "no '%s' in:\n%s", want, out);
    snprintf(want, sizeof want, "\"0x%llx\" [label=\"0x%llx\\ncopy\\nwaiting\", "
             "fillcolor=\"lightgoldenrod1\"]", (unsigned long long)s.t3,
             (unsigned long long)s.t3);
    ck_assert_msg(strstr(out, want), "no '%s' in:\n%s", want, out);
    /* Edges: labelled and coloured by kind. */
    /* inout then out: the engine records the write-after-write (a WAR bit
     * may join it, as a colour list). */
    snprintf(want, sizeof want, "\"0x%llx\" -> \"0x%llx\" [label=\"", (unsigned long long)s.t1,
             (unsigned long long)s.t2);
    ck_assert_msg(strstr(out, want), "no '%s' in:\n%s", want, out);
    ck_assert_msg(strstr(strstr(out, want), "WAW") && strstr(strstr(out, want), "darkorange"),
                  "%s", out);
    ck_assert_msg(strstr(out, want), "no '%s' in:\n%s", want, out);
    snprintf(want, sizeof want, "\"0x%llx\" -> \"0x%llx\" [label=\"RAW\", color=\"blue\"",
             (unsigned long long)s.t2, (unsigned long long)s.t3);
    ck_assert_msg(strstr(out, want), "no '%s' in:\n%s", want, out);
    snprintf(want, sizeof want, "\"0x%llx\" -> \"0x%llx\" [label=\"explicit\", "
             "color=\"black\", fontcolor=\"black\", style=dashed]", (unsigned long long)s.t1,
             (unsigned long long)s.t4);
    ck_assert_msg(strstr(out, want), "no '%s' in:\n%s", want, out);
    ck_assert_int_eq(s_count(out, " -> "), 3);
    free(out);

    /* Filtered: edges only between the tasks shown. */
    out = s_ctl_ok("graph state=waiting");
    ck_assert_int_eq(s_count(out, "[label=\"0x"), 3);
    ck_assert_int_eq(s_count(out, " -> "), 1);     /* t2 -> t3 */
    free(out);

    out = s_ctl_ok("--json graph");
    ck_assert_msg(e2e_json_valid(out), "not JSON:\n%s", out);
    ck_assert_msg(strstr(out, "\"WAW\"]") && strstr(out, "\"kinds\":[\"RAW\"]") &&
                  strstr(out, "\"kinds\":[\"explicit\"]"), "%s", out);
    free(out);

    /* SVG through Graphviz, when it is installed. */
    if (system("command -v dot >/dev/null 2>&1") == 0) {
        out = s_ctl_ok("graph --svg");
        ck_assert_msg(strstr(out, "<svg") && strstr(out, ">explicit<") && strstr(out, "</svg>"),
                      "not the SVG of the graph:\n%.2000s", out);
        free(out);
    } else {
        int rc;
        out = s_ctl(&rc, "graph --svg 2>&1");
        ck_assert_msg(rc == 1 && strstr(out, "graphviz"), "exit %d: %s", rc, out);
        free(out);
        fprintf(stderr, "check_status: Graphviz's dot not installed: SVG not rendered\n");
    }
    s_scene_end(&s);
}
END_TEST

START_TEST(test_sessions_buffers)
{
    s_scene_t s;
    s_scene(&s, 1000);
    ordo_client_opts_t o = {.name = "second client"};
    ordo_client_t *c2;
    ck_assert_int_eq(ordo_client_new(&c2, D.endpoint, &o), 0);
    uint64_t a2;
    ck_assert_int_eq(ordo_buffer_open(c2, "st-a", &a2, NULL), 0);
    ck_assert_uint_eq(a2, s.a);
    char *out = s_ctl_ok("sessions");
    ck_assert_msg(strstr(out, "sessions_active:2\n"), "%s", out);
    ck_assert_msg(strstr(out, "session_2:client=second_client,next_seq=1,unfinished=0,"
                          "buffers=1,queued=0,state=attached,"), "%s", out);
    free(out);
    out = s_ctl_ok("--json sessions");
    ck_assert_msg(e2e_json_valid(out), "not JSON:\n%s", out);
    ck_assert_msg(strstr(out, "\"client\":\"second client\""), "%s", out);
    free(out);

    out = s_ctl_ok("buffers");
    char want[160];
    snprintf(want, sizeof want, "buffer_%llu:size=256,name=st-a,owner=1,holders=2,",
             (unsigned long long)s.a);
    ck_assert_msg(strstr(out, "buffers:2\n") && strstr(out, "buffer_bytes:512\n") &&
                  strstr(out, want), "no '%s' in:\n%s", want, out);
    snprintf(want, sizeof want, "buffer_%llu:size=256,name=-,owner=1,holders=1,",
             (unsigned long long)s.b);
    ck_assert_msg(strstr(out, want), "no '%s' in:\n%s", want, out);
    free(out);
    out = s_ctl_ok("buffers session=2");
    ck_assert_msg(strstr(out, "buffers:0\n"), "%s", out);
    free(out);
    out = s_ctl_ok("--json buffers");
    ck_assert_msg(e2e_json_valid(out), "not JSON:\n%s", out);
    double v;
    ck_assert(e2e_json_number(out, "count", &v) && v == 2);
    ck_assert_msg(strstr(out, "\"name\":\"st-a\"") && strstr(out, "\"name\":null"), "%s", out);
    free(out);
    ordo_client_destroy(&c2);
    s_scene_end(&s);
}
END_TEST

START_TEST(test_trace)
{
    ordo_client_t *c = e2e_connect(&D);
    uint64_t b, id;
    ck_assert_int_eq(ordo_buffer_create(c, 1024 * sizeof(float), NULL, &b), 0);
    for (int i = 0; i < 8; i++) {
        ordo_tensor_t v;
        int64_t shape[1] = {128};
        ck_assert_int_eq(ordo_tensor_init(&v, b, ORDO_F32, i * 128, 1, shape, NULL), 0);
        ck_assert_int_eq(ordo_fill(c, &v, (double)i, &id), 0);
    }
    ordo_tensor_t all = s_vec(b, 1024);
    ck_assert_int_eq(ordo_scale(c, &all, 2.0, &id), 0);
    ck_assert_int_eq(ordo_wait_idle(c, 10000), 0);

    char *out = s_ctl_ok("trace");
    ck_assert_msg(e2e_json_valid(out), "not JSON:\n%s", out);
    ck_assert_msg(strstr(out, "\"traceEvents\":[") && strstr(out, "\"ph\":\"M\""), "%s", out);
    /* One named track per worker, and one for the scheduler's inline kernels. */
    ck_assert_msg(strstr(out, "\"name\":\"worker 0\"") && strstr(out, "\"name\":\"worker 1\"") &&
                  strstr(out, "\"name\":\"scheduler (inline)\""), "%s", out);
    ck_assert_int_eq(s_count(out, "\"ph\":\"X\""), 9);
    ck_assert_int_eq(s_count(out, "{\"name\":\"fill\",\"cat\":\"task\",\"ph\":\"X\""), 8);
    ck_assert_msg(strstr(out, "\"kernel\":\"scale\",\"session\":1,\"seq\":9,\"wait_us\":"),
                  "%s", out);
    ck_assert_msg(strstr(out, "\"tasks_finished\":9"), "%s", out);
    free(out);
    out = s_ctl_ok("trace limit=2");
    ck_assert_msg(e2e_json_valid(out), "not JSON:\n%s", out);
    ck_assert_int_eq(s_count(out, "\"ph\":\"X\""), 2);
    ck_assert_msg(strstr(out, "\"name\":\"scale\""), "the last two should end with scale:\n%s",
                  out);
    free(out);
    out = s_ctl_ok("trace kernel=scale");
    ck_assert_int_eq(s_count(out, "\"ph\":\"X\""), 1);
    free(out);
    out = s_ctl_ok("trace session=2");
    ck_assert_int_eq(s_count(out, "\"ph\":\"X\""), 0);
    free(out);
    ordo_client_destroy(&c);
}
END_TEST

/* Checks the Prometheus text exposition format 0.0.4: HELP and TYPE once
 * per family and before its samples, names and labels well formed, one
 * sample per line, counters named *_total.  Returns the value of name
 * (with its labels, as written) or -1. */
static double s_prom_check(const char *text, const char *name)
{
    char typed[64][64];
    int ntyped = 0;
    double found = -1;
    char line[512];
    for (const char *p = text; *p;) {
        size_t len = strcspn(p, "\n");
        ck_assert_msg(p[len] == '\n', "last line not terminated");
        ck_assert_uint_lt(len, sizeof line);
        memcpy(line, p, len);
        line[len] = 0;
        p += len + 1;
        if (strncmp(line, "# HELP ", 7) == 0)
            continue;
        if (strncmp(line, "# TYPE ", 7) == 0) {
            char fam[64], type[32];
            ck_assert_int_eq(sscanf(line + 7, "%63s %31s", fam, type), 2);
            ck_assert_msg(strcmp(type, "counter") == 0 || strcmp(type, "gauge") == 0, "%s",
                          line);
            if (strcmp(type, "counter") == 0)
                ck_assert_msg(strlen(fam) > 6 && !strcmp(fam + strlen(fam) - 6, "_total"),
                              "counter %s should end in _total", fam);
            for (int i = 0; i < ntyped; i++)
                ck_assert_msg(strcmp(typed[i], fam) != 0, "TYPE twice for %s", fam);
            ck_assert_int_lt(ntyped, 64);
            strcpy(typed[ntyped++], fam);
            continue;
        }
        ck_assert_msg(line[0] != '#', "stray comment: %s", line);
        /* name{label="v",...} value */
        size_t n = 0;
        ck_assert_msg(isalpha((unsigned char)line[0]) || line[0] == '_', "%s", line);
        while (isalnum((unsigned char)line[n]) || line[n] == '_' || line[n] == ':')
            n++;
        char fam[64];
        ck_assert_uint_lt(n, sizeof fam);
        memcpy(fam, line, n);
        fam[n] = 0;
        bool declared = false;
        for (int i = 0; i < ntyped; i++)
            declared |= strcmp(typed[i], fam) == 0;
        ck_assert_msg(declared, "sample before its TYPE: %s", line);
        size_t m = n;
        if (line[m] == '{') {
            for (m++;;) {
                while (isalnum((unsigned char)line[m]) || line[m] == '_')
                    m++;
                ck_assert_msg(line[m] == '=' && line[m + 1] == '"', "bad label: %s", line);
                m += 2;
                while (line[m] && line[m] != '"')
                    m++;
                ck_assert_msg(line[m] == '"', "unterminated label: %s", line);
                m++;
                if (line[m] == ',') {
                    m++;
                    continue;
                }
                ck_assert_msg(line[m] == '}', "bad labels: %s", line);
                m++;
                break;
            }
        }
        ck_assert_msg(line[m] == ' ', "no value: %s", line);
        char *end;
        double v = strtod(line + m + 1, &end);
        ck_assert_msg(*end == 0 && end != line + m + 1, "bad value: %s", line);
        line[m] = 0;
        if (strcmp(line, name) == 0)
            found = v;
    }
    return found;
}

START_TEST(test_metrics)
{
    s_scene_t s;
    s_scene(&s, 1000);
    s_scene_end(&s);
    char *out = s_ctl_ok("metrics");
    ck_assert_msg(strstr(out, "# HELP ordo_tasks_accepted_total ") &&
                  strstr(out, "# TYPE ordo_tasks_accepted_total counter\n"), "%s", out);
    ck_assert(s_prom_check(out, "ordo_tasks_accepted_total") == 4);
    ck_assert(s_prom_check(out, "ordo_tasks_finished_total{status=\"done\"}") == 4);
    ck_assert(s_prom_check(out, "ordo_edges_total{kind=\"explicit\"}") >= 1);
    ck_assert(s_prom_check(out, "ordo_edges_total{kind=\"raw\"}") >= 1);
    ck_assert(s_prom_check(out, "ordo_sessions") == 0);
    ck_assert(s_prom_check(out, "ordo_workers") == 1);
    ck_assert(s_prom_check(out, "ordo_info{version=\"" PACKAGE_VERSION "\"}") == 1);
    /* The same numbers as status. */
    char *json = e2e_status(&D, true);
    double v;
    ck_assert(e2e_json_number(json, "edges.edges_total", &v));
    ck_assert(s_prom_check(out, "ordo_edges_distinct_total") == v);
    ck_assert(e2e_json_number(json, "analysis.overlap_tests", &v));
    ck_assert(s_prom_check(out, "ordo_overlap_tests_total") == v);
    free(json);
    free(out);
    int rc;
    out = s_ctl(&rc, "metrics extra=1 2>&1");
    ck_assert_int_eq(rc, 1);
    free(out);
}
END_TEST

START_TEST(test_top)
{
    s_scene_t s;
    s_scene(&s, 1000);
    s_scene_end(&s);
    char *out = s_ctl_ok("top --iterations 3 --interval 0.05 </dev/null");
    ck_assert_int_eq(s_count(out, "ordod " PACKAGE_VERSION), 3);
    ck_assert_msg(strstr(out, "4 accepted") && strstr(out, "4 done") &&
                  strstr(out, "RAW 1") && strstr(out, "explicit 1"), "%s", out);
    ck_assert_msg(!strstr(out, "\033["), "escape sequences when not on a terminal");
    free(out);
    /* q on stdin quits at once, long before the next frame. */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    out = s_ctl_ok("top --interval 30 < /dev/stdin <<EOF\nq\nEOF");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck_assert_int_eq(s_count(out, "ordod " PACKAGE_VERSION), 1);
    ck_assert_msg(t1.tv_sec - t0.tv_sec < 10, "top did not quit on q");
    free(out);
    int rc;
    out = s_ctl(&rc, "top --iterations 0 2>&1");
    ck_assert_int_eq(rc, 2);
    free(out);
    out = s_ctl(&rc, "--json top 2>&1");
    ck_assert_int_eq(rc, 2);
    free(out);
}
END_TEST

START_TEST(test_help_lists_commands)
{
    char *out = s_ctl_ok("help");
    const char *cmds[] = {"status", "sessions", "buffers", "tasks", "graph", "trace",
                          "metrics"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        ck_assert_msg(strstr(out, cmds[i]), "help lacks %s:\n%s", cmds[i], out);
    free(out);
}
END_TEST

static Suite *s_suite(void)
{
    Suite *s = suite_create("status");
    TCase *tc = tcase_create("one worker");
    tcase_add_unchecked_fixture(tc, e2e_tmp_setup, e2e_tmp_teardown);
    tcase_add_checked_fixture(tc, s_setup, s_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_tasks_filters);
    tcase_add_test(tc, test_graph_dot);
    tcase_add_test(tc, test_sessions_buffers);
    tcase_add_test(tc, test_metrics);
    tcase_add_test(tc, test_top);
    tcase_add_test(tc, test_help_lists_commands);
    suite_add_tcase(s, tc);
    tc = tcase_create("two workers");
    tcase_add_unchecked_fixture(tc, e2e_tmp_setup, e2e_tmp_teardown);
    tcase_add_checked_fixture(tc, s_setup2, s_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_trace);
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
