/*
 * sbuf.h - a growable text buffer for status output.  Out of memory is
 * sticky: the text is then dropped and ordo_sbuf_failed() says so.
 */
#ifndef ORDO_SBUF_H_INCLUDED
#define ORDO_SBUF_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *data;
    size_t len, cap;
    bool failed;
} ordo_sbuf_t;

void ordo_sbuf_printf(ordo_sbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal (with quotes). */
void ordo_sbuf_json_string(ordo_sbuf_t *b, const char *s);
const char *ordo_sbuf_str(const ordo_sbuf_t *b);
bool ordo_sbuf_failed(const ordo_sbuf_t *b);
void ordo_sbuf_reset(ordo_sbuf_t *b);
void ordo_sbuf_free(ordo_sbuf_t *b);

#endif /* ORDO_SBUF_H_INCLUDED */
