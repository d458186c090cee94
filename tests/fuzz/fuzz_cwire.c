/*
 * fuzz_cwire.c - libordo's reader of the daemon's messages (client/wire.c)
 * against protobuf-c.
 *
 * The input is one ServerMsg as it would arrive on the client's socket.
 * libordo reads Completions by hand when they have the shape ordod writes
 * and hands anything else to protobuf-c; the property, for every input, is
 * that ordo_wire_decode answers as protobuf-c's own unpack does:
 *  - it fails (ORDO_EPROTO) exactly when protobuf-c refuses the bytes;
 *  - otherwise the kind is the same, and for Completions the number of
 *    items and every field of every item (id, state, code, error, cause,
 *    the three times, data) are equal.
 * Seeds (gen_seeds.c): Completions of every field shape, the other message
 * kinds, and damaged copies.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ordo.pb-c.h"
#include "wire.h"
#include "fuzz_common.h"

static struct {
    uint64_t inputs, refused, completions, fast, items;
} s_count;

static int32_t s_state(Ordo__V1__TaskStatus st)
{
    return st == ORDO__V1__TASK_STATUS__STATUS_DONE ? ORDO_TASK_DONE
         : st == ORDO__V1__TASK_STATUS__STATUS_FAILED ? ORDO_TASK_FAILED
         : st == ORDO__V1__TASK_STATUS__STATUS_CANCELLED ? ORDO_TASK_CANCELLED
         : ORDO_TASK_UNKNOWN;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    s_count.inputs++;
    ordo_wmsg_t m;
    int rc = ordo_wire_decode(&m, data, size);
    Ordo__V1__ServerMsg *ref = ordo__v1__server_msg__unpack(NULL, size, data);
    if (!ref) {
        FUZZ_ASSERT(rc == ORDO_EPROTO);
        s_count.refused++;
        return 0;
    }
    FUZZ_ASSERT(rc == 0);
    if (ref->msg_case == ORDO__V1__SERVER_MSG__MSG_COMPLETIONS) {
        s_count.completions++;
        s_count.fast += m.priv == NULL;     /* read by hand */
        FUZZ_ASSERT(m.kind == ORDO_WMSG_COMPLETIONS);
        FUZZ_ASSERT(m.ncompletions == ref->completions->n_items);
        for (size_t i = 0; i < m.ncompletions; i++) {
            const Ordo__V1__Completion *r = ref->completions->items[i];
            ordo_wcompletion_t c = m.items[i];
            FUZZ_ASSERT(c.id == r->id);
            FUZZ_ASSERT(c.state == s_state(r->status));
            FUZZ_ASSERT(c.code == r->code);
            FUZZ_ASSERT(strcmp(c.error, r->error) == 0);
            FUZZ_ASSERT(c.cause == r->cause);
            FUZZ_ASSERT(c.accepted_ns == r->accepted_ns);
            FUZZ_ASSERT(c.started_ns == r->started_ns);
            FUZZ_ASSERT(c.finished_ns == r->finished_ns);
            FUZZ_ASSERT(c.data_len == r->data.len);
            FUZZ_ASSERT(c.data_len == 0 || memcmp(c.data, r->data.data, c.data_len) == 0);
            s_count.items++;
        }
    } else {
        FUZZ_ASSERT(m.items == NULL && m.priv != NULL);
        FUZZ_ASSERT(m.kind != ORDO_WMSG_COMPLETIONS);
    }
    ordo__v1__server_msg__free_unpacked(ref, NULL);
    ordo_wire_msg_free(&m);
    return 0;
}

static void fz_report(void)
{
    printf("inputs %llu: refused %llu, completions %llu (read by hand %llu), items %llu\n",
           (unsigned long long)s_count.inputs, (unsigned long long)s_count.refused,
           (unsigned long long)s_count.completions, (unsigned long long)s_count.fast,
           (unsigned long long)s_count.items);
}
