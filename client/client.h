/*
 * client.h - what the files of libordo share and nothing else sees.
 *
 * Every internal symbol is hidden from the shared library (libordo is
 * compiled with -fvisibility=hidden; only ORDO_EXPORT functions of ordo.h
 * are exported), so the ordo_cl_ prefix never becomes ABI.
 */
#ifndef ORDO_CLIENT_CLIENT_H_INCLUDED
#define ORDO_CLIENT_CLIENT_H_INCLUDED

#include "ordo.h"

/* Records text (printf-style) as the calling thread's last error and
 * returns code, so that a failing path reads "return ordo_cl_fail(...)". */
int ordo_cl_fail(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* ORDO_CLIENT_CLIENT_H_INCLUDED */
