/*
 * sbuf.c - growable text buffer (see sbuf.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "sbuf.h"

static bool s_reserve(ordo_sbuf_t *b, size_t more)
{
    if (b->failed)
        return false;
    if (b->len + more + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 512;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->failed = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

void ordo_sbuf_printf(ordo_sbuf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !s_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void ordo_sbuf_json_string(ordo_sbuf_t *b, const char *s)
{
    ordo_sbuf_printf(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            ordo_sbuf_printf(b, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            ordo_sbuf_printf(b, "\\u%04x", *p);
        else
            ordo_sbuf_printf(b, "%c", *p);
    }
    ordo_sbuf_printf(b, "\"");
}

const char *ordo_sbuf_str(const ordo_sbuf_t *b)
{
    return (b->data && !b->failed) ? b->data : "";
}

bool ordo_sbuf_failed(const ordo_sbuf_t *b)
{
    return b->failed;
}

void ordo_sbuf_reset(ordo_sbuf_t *b)
{
    b->len = 0;
    b->failed = false;
    if (b->data)
        b->data[0] = '\0';
}

void ordo_sbuf_free(ordo_sbuf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = false;
}
