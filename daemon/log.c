/*
 * log.c - timestamped, levelled log lines on stderr.
 *
 * Each line is formatted into a local buffer and written with one write(2),
 * so concurrent threads never interleave within a line.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static atomic_int s_level = ORDO_LOG_INFO;
static const char *const s_names[] = { "error", "warn", "info", "debug" };

void ordo_log_set_level(int level)
{
    if (level >= ORDO_LOG_ERROR && level <= ORDO_LOG_DEBUG)
        atomic_store(&s_level, level);
}

int ordo_log_get_level(void)
{
    return atomic_load(&s_level);
}

int ordo_log_level_parse(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, s_names[i]) == 0)
            return i;
    return -1;
}

void ordo_log(int level, const char *fmt, ...)
{
    if (level > atomic_load(&s_level) || level < 0)
        return;
    char line[2048];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
    int m = snprintf(line + n, sizeof line - n, ".%03ldZ ordod[%ld] %s: ",
                     ts.tv_nsec / 1000000L, (long)getpid(), s_names[level]);
    if (m > 0)
        n += (size_t)m;
    if (n < sizeof line) {
        va_list ap;
        va_start(ap, fmt);
        m = vsnprintf(line + n, sizeof line - n, fmt, ap);
        va_end(ap);
        n = (m < 0) ? n : (n + (size_t)m >= sizeof line ? sizeof line - 1 : n + (size_t)m);
    }
    if (n >= sizeof line)
        n = sizeof line - 1;
    line[n++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, n);
    (void)w;
}
