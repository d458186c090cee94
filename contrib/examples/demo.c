/*
 * ordo-demo - the quick start's client workload.
 *
 * One process, one session, two private buffers X and Y of 64 x 64 f32.
 * Each round reads X through a transpose, writes X through a [16, 4, 64]
 * reshape and through a flat [4096] view, and updates Y through a column
 * block: every hazard between these tasks exists only through the bytes
 * the views share, never through a common view object, so ordod must find
 * them all (read-after-write, write-after-read, write-after-write) for the
 * result to be right.  The tasks are submitted without any explicit
 * dependency and without waiting; then both buffers are read back and
 * compared bit for bit with the same program run sequentially here.
 *
 * usage: ordo-demo [ROUNDS]     (endpoint: $ORDO_ENDPOINT or the default)
 * Exit status 0 when every value matches, 1 otherwise.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hostref.h"
#include "ordo.h"

#define ROWS 64
#define COLS 64
#define N (ROWS * COLS)

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void s_die(const char *what, int rc)
{
    fprintf(stderr, "ordo-demo: %s: %s\n", what, rc < 0 ? ordo_last_error() : "failed");
    exit(1);
}

/* The views of one round, over buffers x and y (ids, or 0 and 1 for the
 * host reference).  Returns how many were filled into ops. */
typedef struct {
    char kind;                  /* 'a'xpy, 's'cale, 'c'opy */
    ordo_tensor_t dst, src;
    int dst_is_x, src_is_x;
    double alpha;
} s_op_t;

static int s_round(int r, uint64_t x, uint64_t y, s_op_t ops[3])
{
    ordo_tensor_t X, Y, XT, X3, Xflat, Yflat;
    int64_t shape2[2] = {ROWS, COLS}, shape3[3] = {16, 4, COLS}, flat[1] = {N};
    if (ordo_tensor_init(&X, x, ORDO_F32, 0, 2, shape2, NULL) < 0 ||
        ordo_tensor_init(&Y, y, ORDO_F32, 0, 2, shape2, NULL) < 0 ||
        ordo_tensor_transpose(&XT, &X) < 0 ||
        ordo_tensor_reshape(&X3, &X, 3, shape3) < 0 ||
        ordo_tensor_reshape(&Xflat, &X, 1, flat) < 0 ||
        ordo_tensor_reshape(&Yflat, &Y, 1, flat) < 0)
        s_die("building views", -1);
    int c0 = (r * 8) % COLS;
    /* 1. Y[:, c0:c0+8] += 0.5 * X.T[:, c0:c0+8]: reads X by columns. */
    ops[0].kind = 'a';
    ops[0].alpha = 0.5;
    ordo_tensor_slice(&ops[0].dst, &Y, 1, c0, c0 + 8, 1);
    ordo_tensor_slice(&ops[0].src, &XT, 1, c0, c0 + 8, 1);
    ops[0].dst_is_x = 0;
    ops[0].src_is_x = 1;
    /* 2. X3[r % 16] *= 0.75: writes four rows of X that step 1 read (WAR). */
    ops[1].kind = 's';
    ops[1].alpha = 0.75;
    ordo_tensor_index(&ops[1].dst, &X3, 0, r % 16);
    ops[1].dst_is_x = 1;
    /* 3. Xflat[o:o+64:1] = Yflat[o':o'+128:2]: writes one row of X from
     *    every other element of two rows of Y (RAW on Y, WAW on X). */
    int o = ((r * 7) % ROWS) * COLS, o2 = ((r * 3) % (ROWS - 1)) * COLS;
    ops[2].kind = 'c';
    ordo_tensor_slice(&ops[2].dst, &Xflat, 0, o, o + COLS, 1);
    ordo_tensor_slice(&ops[2].src, &Yflat, 0, o2, o2 + 2 * COLS, 2);
    ops[2].dst_is_x = 1;
    ops[2].src_is_x = 0;
    return 3;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 200;
    if (rounds < 1 || rounds > 1000000) {
        fprintf(stderr, "usage: ordo-demo [ROUNDS]   (1..1000000, default 200)\n");
        return 2;
    }
    /* quiet_success: tasks that end well need no event (the reads are
     * waited for by id); any failure still comes back as one. */
    ordo_client_t *c = NULL;
    ordo_client_opts_t opts = {.quiet_success = 1};
    int rc = ordo_client_new(&c, NULL, &opts);
    if (rc < 0)
        s_die("connecting", rc);
    uint64_t bx, by;
    if ((rc = ordo_buffer_create(c, N * sizeof(float), NULL, &bx)) < 0 ||
        (rc = ordo_buffer_create(c, N * sizeof(float), NULL, &by)) < 0)
        s_die("creating buffers", rc);

    /* Host data: X a ramp, Y small alternating values. */
    float *hx = malloc(N * sizeof *hx), *hy = malloc(N * sizeof *hy);
    float *rx = malloc(N * sizeof *rx), *ry = malloc(N * sizeof *ry);
    float *outx = malloc(N * sizeof *outx), *outy = malloc(N * sizeof *outy);
    int64_t *scratch = malloc(N * sizeof *scratch);
    if (!hx || !hy || !rx || !ry || !outx || !outy || !scratch)
        s_die("out of memory", 0);
    for (int i = 0; i < N; i++) {
        hx[i] = (float)(i % 97) * 0.125f;
        hy[i] = (i % 2) ? 1.0f : -0.5f;
    }
    memcpy(rx, hx, N * sizeof *rx);
    memcpy(ry, hy, N * sizeof *ry);

    double t0 = s_now();
    ordo_tensor_t X, Y;
    int64_t flat[1] = {N};
    ordo_tensor_init(&X, bx, ORDO_F32, 0, 1, flat, NULL);
    ordo_tensor_init(&Y, by, ORDO_F32, 0, 1, flat, NULL);
    uint64_t id, rdx, rdy;
    if ((rc = ordo_write(c, &X, hx, N * sizeof *hx, &id)) < 0 ||
        (rc = ordo_write(c, &Y, hy, N * sizeof *hy, &id)) < 0)
        s_die("host_write", rc);
    uint64_t tasks = 2;
    for (int r = 0; r < rounds; r++) {
        s_op_t ops[3];
        int n = s_round(r, bx, by, ops);
        for (int k = 0; k < n; k++) {
            s_op_t *op = &ops[k];
            if (op->kind == 'a')
                rc = ordo_axpy(c, &op->dst, op->alpha, &op->src, &id);
            else if (op->kind == 's')
                rc = ordo_scale(c, &op->dst, op->alpha, &id);
            else
                rc = ordo_copy(c, &op->dst, &op->src, &id);
            if (rc < 0)
                s_die("submit", rc);
            tasks++;
        }
    }
    if ((rc = ordo_read(c, &X, outx, N * sizeof *outx, &rdx)) < 0 ||
        (rc = ordo_read(c, &Y, outy, N * sizeof *outy, &rdy)) < 0)
        s_die("host_read", rc);
    tasks += 2;
    double t1 = s_now();
    ordo_event_t ev;
    if ((rc = ordo_wait(c, rdx, 60000, &ev)) < 0 || (rc = ordo_wait(c, rdy, 60000, &ev)) < 0)
        s_die("waiting for the results", rc);
    /* Every other task: all must be done, so no event may be queued. */
    if ((rc = ordo_wait_idle(c, 60000)) < 0)
        s_die("waiting for the rest", rc);
    double t2 = s_now();
    uint64_t failed = 0;
    ordo_event_t evs[64];
    int n;
    while ((n = ordo_poll(c, evs, 64, 0)) > 0) {
        for (int i = 0; i < n; i++)
            fprintf(stderr, "ordo-demo: task %#llx: %s\n", (unsigned long long)evs[i].id,
                    evs[i].error);
        failed += (uint64_t)n;
    }
    if (n < 0)
        s_die("collecting events", n);

    /* The same program, sequentially, on the host. */
    for (int r = 0; r < rounds; r++) {
        s_op_t ops[3];
        int k = s_round(r, 0, 1, ops);
        for (int i = 0; i < k; i++) {
            s_op_t *op = &ops[i];
            float *d = op->dst_is_x ? rx : ry, *s = op->src_is_x ? rx : ry;
            if (op->kind == 'a')
                href_axpy(d, &op->dst, op->alpha, s, &op->src, scratch);
            else if (op->kind == 's')
                href_scale(d, &op->dst, op->alpha);
            else
                href_copy(d, &op->dst, s, &op->src, scratch);
        }
    }
    int same = 0;
    float lo = outx[0], hi = outx[0];
    for (int i = 0; i < N; i++) {
        same += memcmp(&rx[i], &outx[i], sizeof(float)) == 0;
        same += memcmp(&ry[i], &outy[i], sizeof(float)) == 0;
        lo = outx[i] < lo ? outx[i] : lo;
        lo = outy[i] < lo ? outy[i] : lo;
        hi = outx[i] > hi ? outx[i] : hi;
        hi = outy[i] > hi ? outy[i] : hi;
    }
    printf("ordo demo: session %u, 2 buffers of %dx%d f32, %d rounds of axpy (through a "
           "transpose), scale (through a reshape), copy (strided, flat)\n",
           ordo_client_session(c), ROWS, COLS, rounds);
    printf("  %llu tasks submitted in %.1f ms without waiting, all complete after %.1f ms "
           "(%.0f tasks/s), %llu failed\n",
           (unsigned long long)tasks, (t1 - t0) * 1e3, (t2 - t0) * 1e3,
           (double)tasks / (t2 - t0), (unsigned long long)failed);
    printf("  values now in [%g, %g]; check against the same program run sequentially "
           "here: %d of %d values bit-identical: %s\n", (double)lo, (double)hi, same, 2 * N,
           same == 2 * N && !failed ? "OK" : "MISMATCH");

    ordo_buffer_release(c, bx);
    ordo_buffer_release(c, by);
    ordo_client_destroy(&c);
    free(hx);
    free(hy);
    free(rx);
    free(ry);
    free(outx);
    free(outy);
    free(scratch);
    return same == 2 * N && !failed ? 0 : 1;
}
