/*
 * status_graph_nomatch.c - reproducer (not a test): "ordoctl graph" with a
 * filter that matches no task, while live tasks have edges, calls
 * bsearch(key, NULL, 0, ...) in daemon/status.c s_shown (the list of shown
 * tasks is NULL when empty); glibc declares bsearch's base nonnull, so a
 * sanitized ordod aborts (UBSan, -fno-sanitize-recover):
 *
 *   status.c:531:12: runtime error: null pointer passed as argument 2,
 *   which is declared to never be null
 *
 * (792c6ea guarded the qsort of the same list; the bsearch remains.)
 *
 * In a build configured with CFLAGS="-O1 -g -fsanitize=address,undefined
 * -fno-sanitize-recover=all" (contrib/ci-sanitize.sh's build-asan):
 *
 *   gcc -fsanitize=address,undefined -I../client \
 *       ../tests/fuzz/crashes/status_graph_nomatch.c -Lclient/.libs -lordo -o nomatch
 *   d=$(mktemp -d); XDG_RUNTIME_DIR=$d daemon/ordod --endpoint=ipc://$d/o.sock \
 *       --status-endpoint=ipc://$d/s.sock 2>$d/log &
 *   sleep 1; LD_LIBRARY_PATH=client/.libs ./nomatch ipc://$d/o.sock &
 *   sleep 1.5; client/ordoctl --status-endpoint ipc://$d/s.sock graph session=99
 *   # ordoctl: no answer; ordod is gone; $d/log has the report
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "ordo.h"
int main(int argc, char **argv)
{
    ordo_client_t *c;
    if (ordo_client_new(&c, argv[1], NULL)) { fprintf(stderr, "connect\n"); return 1; }
    uint64_t a, t1, t2;
    ordo_buffer_create(c, 256, NULL, &a);
    ordo_tensor_t A;
    int64_t shape[1] = {64};
    ordo_tensor_init(&A, a, ORDO_F32, 0, 1, shape, NULL);
    uint8_t us[8] = {0};
    uint64_t v = 3000000;
    memcpy(us, &v, 8);
    ordo_access_t acc = {&A, ORDO_INOUT};
    ordo_submit_t sl = {.kernel = "sleep", .args = &acc, .nargs = 1, .params = us, .params_len = 8};
    ordo_submit(c, &sl, &t1);
    ordo_fill(c, &A, 1.0, &t2);
    ordo_flush(c);
    sleep(4);
    ordo_client_destroy(&c);
    return 0;
}
