/*
 * dwire_amplification.c - reproducer (not a test): one ClientMsg within the
 * default message limit (64 MiB) makes ordo_dwire_decode allocate about 85
 * times its size.
 *
 * A Submit of N empty tasks costs 2 bytes per task on the wire ("\x0a\x00")
 * but an Ordo__V1__Task structure (about 112 bytes) and a pointer in the
 * arena; empty Args inside a task amplify the same way.  Measured on
 * 2026-11-25 (gcc -O2):
 *
 *     message  4 MiB:  2097152 tasks, max RSS  341 MiB
 *     message 16 MiB:  8388608 tasks, max RSS 1361 MiB
 *     message 63 MiB: 33030144 tasks, max RSS 5356 MiB
 *
 * so one client, one message, can push ordod into the OOM killer before
 * any per-task limit (credits, window) is consulted.
 *
 * Fixed by 584d430 (the decoding arena refuses to grow past 16 times the
 * message): the reproducer now gets EPROTO with a max RSS of about 145 MiB
 * for 16 MiB; tests/check_dwire.c keeps the case.
 *
 * Build and run from a configured build tree (proto/ordo.pb-c.c generated):
 *
 *   gcc -O2 -I../daemon/core -I../daemon -I../client -Iproto \
 *       ../tests/fuzz/crashes/dwire_amplification.c ../daemon/dwire.c \
 *       ../daemon/core/common.c proto/ordo.pb-c.c -lprotobuf-c -o amp
 *   ./amp 63        # message size in MiB
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "dwire.h"

int main(int argc, char **argv)
{
    size_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 16;
    size_t body = mib << 20, n = body / 2;
    unsigned char *msg = malloc(body + 16), *p = msg;
    if (!msg)
        return 1;
    *p++ = 0x12;                        /* ClientMsg.submit, length-delimited */
    size_t len = body;
    do {
        unsigned char b = len & 0x7f;
        len >>= 7;
        *p++ = (unsigned char)(b | (len ? 0x80 : 0));
    } while (len);
    for (size_t i = 0; i < n; i++) {    /* Submit.tasks: an empty Task */
        *p++ = 0x0a;
        *p++ = 0x00;
    }
    size_t size = (size_t)(p - msg);
    ordo_dwire_msg_t *m = NULL;
    char err[256] = "";
    int rc = ordo_dwire_decode(msg, size, &m, err, sizeof err);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("message %zu bytes: rc %d %s, %zu tasks, max RSS %ld MiB\n", size, rc, err,
           m ? ordo_dwire_task_count(m) : 0, ru.ru_maxrss / 1024);
    ordo_dwire_msg_unref(&m);
    free(msg);
    return 0;
}
