/*
 * common.c - the shared vocabulary: error texts and element types.
 *
 * Compiled into both the core (and so ordod) and libordo, from this one
 * source, so the two sides can never disagree on a code or a size.
 */
#include <stddef.h>

#include "ordo.h"

const char *ordo_strerror(int code)
{
    switch (code) {
    case 0:
        return "success";
#define ORDO_X_TEXT(name, value, text) \
    case (value):                      \
        return text;
        ORDO_ERRNO_MAP(ORDO_X_TEXT)
#undef ORDO_X_TEXT
    default:
        return "unknown error";
    }
}

size_t ordo_dtype_size(int dtype)
{
    switch (dtype) {
#define ORDO_X_SIZE(name, value, size, text) \
    case (value):                            \
        return (size);
        ORDO_DTYPE_MAP(ORDO_X_SIZE)
#undef ORDO_X_SIZE
    default:
        return 0;
    }
}

const char *ordo_dtype_name(int dtype)
{
    switch (dtype) {
#define ORDO_X_NAME(name, value, size, text) \
    case (value):                            \
        return (text);
        ORDO_DTYPE_MAP(ORDO_X_NAME)
#undef ORDO_X_NAME
    default:
        return NULL;
    }
}
