/*
 * dwire_diff.h - the differential check of the daemon's two ClientMsg
 * decoders (daemon/dwire.c): its Submit fast path against protobuf-c's
 * generated unpack, field by field.  Shared by tests/check_dwire.c
 * (generated and mutated messages) and tests/fuzz/fuzz_dwire.c.
 *
 * The property: for any bytes, the fast path either leaves the message to
 * protobuf-c (ORDO_EAGAIN), or protobuf-c decodes it too and both give the
 * same structures (unknown fields aside, which the fast path drops and
 * nothing reads); and ordo_dwire_decode answers exactly as protobuf-c
 * alone does.
 */
#ifndef ORDO_DWIRE_DIFF_H_INCLUDED
#define ORDO_DWIRE_DIFF_H_INCLUDED

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ordo.pb-c.h"
#include "dwire.h"

static bool dd_bytes_eq(ProtobufCBinaryData a, ProtobufCBinaryData b)
{
    return a.len == b.len && (a.data == NULL) == (b.data == NULL) &&
           (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
}

static bool dd_i64s_eq(size_t na, const int64_t *a, size_t nb, const int64_t *b)
{
    return na == nb && (a == NULL) == (b == NULL) &&
           (na == 0 || memcmp(a, b, na * sizeof *a) == 0);
}

/* Compares two decoded ClientMsgs; on a difference writes which field into
 * why and returns false. */
static bool dd_tree_eq(const Ordo__V1__ClientMsg *a, const Ordo__V1__ClientMsg *b, char *why,
                       size_t whylen)
{
#define DD_DIFF(...) do { snprintf(why, whylen, __VA_ARGS__); return false; } while (0)
    if (a->msg_case != b->msg_case)
        DD_DIFF("msg_case %d != %d", (int)a->msg_case, (int)b->msg_case);
    if (a->msg_case != ORDO__V1__CLIENT_MSG__MSG_SUBMIT)
        return true;    /* the fast path decodes Submits only */
    const Ordo__V1__Submit *sa = a->submit, *sb = b->submit;
    if ((sa == NULL) != (sb == NULL))
        DD_DIFF("submit presence");
    if (!sa)
        return true;
    if (sa->n_tasks != sb->n_tasks || (sa->tasks == NULL) != (sb->tasks == NULL))
        DD_DIFF("n_tasks %zu != %zu", sa->n_tasks, sb->n_tasks);
    for (size_t i = 0; i < sa->n_tasks; i++) {
        const Ordo__V1__Task *ta = sa->tasks[i], *tb = sb->tasks[i];
        if ((ta == NULL) != (tb == NULL))
            DD_DIFF("task %zu presence", i);
        if (!ta)
            continue;
        if (ta->id != tb->id)
            DD_DIFF("task %zu id", i);
        if ((ta->kernel == NULL) != (tb->kernel == NULL) ||
            (ta->kernel && strcmp(ta->kernel, tb->kernel) != 0))
            DD_DIFF("task %zu kernel", i);
        if (!dd_bytes_eq(ta->params, tb->params))
            DD_DIFF("task %zu params", i);
        if (!dd_bytes_eq(ta->data, tb->data))
            DD_DIFF("task %zu data", i);
        if (ta->n_deps != tb->n_deps || (ta->deps == NULL) != (tb->deps == NULL) ||
            (ta->n_deps && memcmp(ta->deps, tb->deps, ta->n_deps * sizeof *ta->deps) != 0))
            DD_DIFF("task %zu deps (%zu, %zu)", i, ta->n_deps, tb->n_deps);
        if (ta->n_args != tb->n_args || (ta->args == NULL) != (tb->args == NULL))
            DD_DIFF("task %zu n_args %zu != %zu", i, ta->n_args, tb->n_args);
        for (size_t j = 0; j < ta->n_args; j++) {
            const Ordo__V1__Arg *aa = ta->args[j], *ab = tb->args[j];
            if ((aa == NULL) != (ab == NULL))
                DD_DIFF("task %zu arg %zu presence", i, j);
            if (!aa)
                continue;
            if (aa->mode != ab->mode)
                DD_DIFF("task %zu arg %zu mode %d != %d", i, j, (int)aa->mode, (int)ab->mode);
            const Ordo__V1__View *va = aa->view, *vb = ab->view;
            if ((va == NULL) != (vb == NULL))
                DD_DIFF("task %zu arg %zu view presence", i, j);
            if (!va)
                continue;
            if (va->buffer != vb->buffer || va->dtype != vb->dtype || va->offset != vb->offset)
                DD_DIFF("task %zu arg %zu view scalars", i, j);
            if (!dd_i64s_eq(va->n_shape, va->shape, vb->n_shape, vb->shape))
                DD_DIFF("task %zu arg %zu shape (%zu, %zu)", i, j, va->n_shape, vb->n_shape);
            if (!dd_i64s_eq(va->n_strides, va->strides, vb->n_strides, vb->strides))
                DD_DIFF("task %zu arg %zu strides (%zu, %zu)", i, j, va->n_strides,
                        vb->n_strides);
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
    } else if (rp == 0 && !dd_tree_eq(ordo_dwire_msg_pb(dflt), ordo_dwire_msg_pb(pb), what,
                                      sizeof what)) {
        snprintf(why, sizeof why, "ordo_dwire_decode and protobuf-c differ: %s", what);
        fail = why;
    } else if (rf == 0 && rp != 0) {
        snprintf(why, sizeof why, "fast path accepted what protobuf-c refuses (%d)", rp);
        fail = why;
    } else if (rf == 0 && !dd_tree_eq(ordo_dwire_msg_pb(fast), ordo_dwire_msg_pb(pb), what,
                                      sizeof what)) {
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
