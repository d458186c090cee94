/*
 * dwire_diff.h - the differential check of the daemon's two ClientMsg
 * decoders (daemon/dwire.c): its Submit fast path against protobuf-c's
 * generated unpack, field by field as the server reads them.  Shared by
 * tests/check_dwire.c (generated and mutated messages) and
 * tests/fuzz/fuzz_dwire.c.
 *
 * The property: for any bytes, the fast path either leaves the message to
 * protobuf-c (ORDO_EAGAIN), or protobuf-c decodes it too and both give the
 * same tasks and arguments through the accessors the server uses (each
 * decoder has its own representation: the fast path does not build
 * protobuf-c's structures); and ordo_dwire_decode answers exactly as
 * protobuf-c alone does, within the arena budget (a large message that
 * fits it in the fast path's smaller form, but not in protobuf-c's, is
 * taken: the server's limits still apply).
 */
#ifndef ORDO_DWIRE_DIFF_H_INCLUDED
#define ORDO_DWIRE_DIFF_H_INCLUDED

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "dwire.h"

static bool dd_mem_eq(const void *a, size_t na, const void *b, size_t nb)
{
    return na == nb && (na == 0 || memcmp(a, b, na) == 0);
}

/* Compares two decoded ClientMsgs through what the server reads of them
 * (ordo_dwire_get_task, and ordo_dwire_get_arg's answer, reason and view
 * for every argument); on a difference writes which field into why and
 * returns false. */
static bool dd_msg_eq(const ordo_dwire_msg_t *a, const ordo_dwire_msg_t *b, char *why,
                      size_t whylen)
{
#define DD_DIFF(...) do { snprintf(why, whylen, __VA_ARGS__); return false; } while (0)
    if (ordo_dwire_kind(a) != ordo_dwire_kind(b))
        DD_DIFF("kind %d != %d", (int)ordo_dwire_kind(a), (int)ordo_dwire_kind(b));
    size_t n = ordo_dwire_task_count(a);
    if (n != ordo_dwire_task_count(b))
        DD_DIFF("task count %zu != %zu", n, ordo_dwire_task_count(b));
    for (size_t i = 0; i < n; i++) {
        ordo_dwire_task_t ta, tb;
        ordo_dwire_get_task(a, i, &ta);
        ordo_dwire_get_task(b, i, &tb);
        if (ta.id != tb.id)
            DD_DIFF("task %zu id", i);
        if (strcmp(ta.kernel, tb.kernel) != 0)
            DD_DIFF("task %zu kernel", i);
        if (!dd_mem_eq(ta.params, ta.nparams, tb.params, tb.nparams))
            DD_DIFF("task %zu params", i);
        if (!dd_mem_eq(ta.data, ta.ndata, tb.data, tb.ndata))
            DD_DIFF("task %zu data", i);
        if (!dd_mem_eq(ta.deps, ta.ndeps * sizeof *ta.deps, tb.deps, tb.ndeps * sizeof *tb.deps))
            DD_DIFF("task %zu deps (%zu, %zu)", i, ta.ndeps, tb.ndeps);
        if (ta.nargs != tb.nargs)
            DD_DIFF("task %zu nargs %zu != %zu", i, ta.nargs, tb.nargs);
        for (size_t j = 0; j < ta.nargs; j++) {
            uint64_t ba = 0, bb = 0;
            int ma = 0, mb = 0;
            ordo_view_t va, vb;
            char ea[128] = "", eb[128] = "";
            memset(&va, 0xa5, sizeof va);   /* get_arg must set every byte */
            memset(&vb, 0x5a, sizeof vb);
            int ra = ordo_dwire_get_arg(a, i, j, &ba, &ma, &va, ea, sizeof ea);
            int rb = ordo_dwire_get_arg(b, i, j, &bb, &mb, &vb, eb, sizeof eb);
            if (ra != rb || strcmp(ea, eb) != 0)
                DD_DIFF("task %zu arg %zu: %d (%s) != %d (%s)", i, j, ra, ea, rb, eb);
            if (ra != 0)
                continue;
            if (ba != bb || ma != mb)
                DD_DIFF("task %zu arg %zu buffer or mode", i, j);
            if (memcmp(&va, &vb, sizeof va) != 0)
                DD_DIFF("task %zu arg %zu view", i, j);
        }
    }
    return true;
#undef DD_DIFF
}

typedef struct {
    unsigned long fast, fallback, refused;
} dd_count_t;

/* Decodes data three ways (fast path alone, protobuf-c alone, the daemon's
 * way) and checks the property above.  Returns NULL when it holds, else a
 * description of the failure (in a static buffer). */
static const char *dd_check(const void *data, size_t size, dd_count_t *count)
{
    static char why[256];
    char err[256], what[160];
    ordo_dwire_msg_t *fast = NULL, *pb = NULL, *dflt = NULL;
    int rf = ordo_dwire_decode_how(data, size, &fast, err, sizeof err, ORDO_DWIRE_DECODE_FAST);
    int rp = ordo_dwire_decode_how(data, size, &pb, err, sizeof err,
                                   ORDO_DWIRE_DECODE_PROTOBUF_C);
    int rd = ordo_dwire_decode(data, size, &dflt, err, sizeof err);
    const char *fail = NULL;
    if (rf != 0 && rf != ORDO_EAGAIN) {
        snprintf(why, sizeof why, "fast path returned %d (it never refuses)", rf);
        fail = why;
    } else if (rd != rp) {
        snprintf(why, sizeof why, "ordo_dwire_decode returned %d, protobuf-c %d", rd, rp);
        fail = why;
    } else if (rp == 0 && !dd_msg_eq(dflt, pb, what, sizeof what)) {
        snprintf(why, sizeof why, "ordo_dwire_decode and protobuf-c differ: %s", what);
        fail = why;
    } else if (rf == 0 && rp != 0) {
        snprintf(why, sizeof why, "fast path accepted what protobuf-c refuses (%d)", rp);
        fail = why;
    } else if (rf == 0 && !dd_msg_eq(fast, pb, what, sizeof what)) {
        snprintf(why, sizeof why, "fast path and protobuf-c differ: %s", what);
        fail = why;
    }
    if (count) {
        if (rf == 0)
            count->fast++;
        else if (rp == 0)
            count->fallback++;
        else
            count->refused++;
    }
    ordo_dwire_msg_unref(&fast);
    ordo_dwire_msg_unref(&pb);
    ordo_dwire_msg_unref(&dflt);
    return fail;
}

#endif /* ORDO_DWIRE_DIFF_H_INCLUDED */
