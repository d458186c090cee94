/*
 * log.h - ordod's log: one line per event on stderr, with a UTC timestamp
 * and the level, written atomically so lines of several threads never mix.
 *
 * The level is the one process-wide setting kept in the module itself
 * (every thread logs; passing a logger to each kernel would buy nothing).
 */
#ifndef ORDO_LOG_H_INCLUDED
#define ORDO_LOG_H_INCLUDED

typedef enum {
    ORDO_LOG_ERROR = 0,
    ORDO_LOG_WARN = 1,
    ORDO_LOG_INFO = 2,
    ORDO_LOG_DEBUG = 3
} ordo_log_level_t;

void ordo_log_set_level(int level);
int ordo_log_get_level(void);
/* Level from its name (error, warn, info, debug), or -1. */
int ordo_log_level_parse(const char *name);

void ordo_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define ordo_log_error(...) ordo_log(ORDO_LOG_ERROR, __VA_ARGS__)
#define ordo_log_warn(...) ordo_log(ORDO_LOG_WARN, __VA_ARGS__)
#define ordo_log_info(...) ordo_log(ORDO_LOG_INFO, __VA_ARGS__)
#define ordo_log_debug(...)                                 \
    do {                                                    \
        if (ordo_log_get_level() >= ORDO_LOG_DEBUG)         \
            ordo_log(ORDO_LOG_DEBUG, __VA_ARGS__);          \
    } while (0)

#endif /* ORDO_LOG_H_INCLUDED */
