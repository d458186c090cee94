/*
 * ordo_config.h - ordod's configuration: one typed table of options serves the
 * command line (--name value, --name=value), the configuration file
 * (--config FILE: "name = value" lines) and --help.
 *
 * Precedence: defaults, then the file, then the command line.  After
 * parsing, ordo_config_finish() resolves the values that depend on the
 * machine (workers = online cores, default endpoints) and checks the
 * constraints between options (credits <= window).
 *
 * The limits (max-*, window, credits) bound what one client may ask of the
 * daemon; each is enforced by server.c with an error naming the option, or
 * (window, credits) with back-pressure.
 */
#ifndef ORDO_CONFIG_H_INCLUDED
#define ORDO_CONFIG_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
    char *endpoint;             /* client ROUTER endpoint (ipc:// or tcp://) */
    char *status_endpoint;      /* status REP endpoint */
    uint64_t workers;           /* kernel threads; 0 until resolved */
    uint64_t window;            /* most unfinished tasks in the daemon */
    uint64_t credits;           /* most unfinished tasks per session */
    char *kernel_dir;           /* plugin directory, "" for none */
    uint64_t chaos;             /* chaos seed, 0 = off */
    uint64_t log_level;         /* ordo_log_level_t */
    uint64_t drain_timeout;     /* seconds */
    uint64_t max_message;       /* bytes, also ZMQ_MAXMSGSIZE */
    uint64_t max_sessions;      /* live sessions at once */
    uint64_t max_task_args;     /* arguments of one task */
    uint64_t max_task_deps;     /* explicit dependencies of one task */
    uint64_t max_ndim;          /* dimensions of one view (<= ORDO_MAX_NDIM) */
    uint64_t max_params;        /* parameter bytes of one task */
    uint64_t max_session_buffers; /* buffers a session created and holds */
    uint64_t max_session_bytes; /* their bytes; 0: no limit */
    uint64_t max_watch;         /* ids in one Watch */
    uint64_t max_tombstones;    /* failed/cancelled ids remembered (0: all) */
    uint64_t session_grace;     /* seconds a session outlives its connection */
    uint64_t unsafe_drop_war;   /* tests only, --enable-unsafe-drop-war builds */
    /* Access (auth.h). */
    uint64_t socket_mode;       /* chmod of the ipc sockets ordod binds; 0: as umask */
    char *curve_secret_key;     /* server secret key file, "" for none */
    char *curve_allow;          /* allowed client public keys file, "" for none */
    uint64_t insecure_tcp;      /* 1: tcp endpoints without CURVE (logged) */
} ordo_config_t;

/* Results of ordo_config_parse_args besides 0 and negative codes. */
#define ORDO_CONFIG_HELP 1
#define ORDO_CONFIG_VERSION 2

/* A configuration holding the defaults, or NULL when out of memory. */
ordo_config_t *ordo_config_new(void);
void ordo_config_destroy(ordo_config_t **self_p);

/* Sets option name (without "--") from text.  Returns 0 or ORDO_EINVAL
 * (unknown option, malformed value, out of bounds) with a reason in err. */
int ordo_config_set(ordo_config_t *self, const char *name, const char *value,
                    char *err, size_t errlen);

/* Reads "name = value" lines ('#' starts a comment).  Returns 0 or a
 * negative code with "FILE:LINE: reason" in err. */
int ordo_config_load_file(ordo_config_t *self, const char *path, char *err, size_t errlen);

/* Parses argv (argv[0] is the program): --config FILE is applied first,
 * wherever it appears, then the other options in order.  Returns 0,
 * ORDO_CONFIG_HELP (--help), ORDO_CONFIG_VERSION (--version) or a negative
 * code with a reason in err. */
int ordo_config_parse_args(ordo_config_t *self, int argc, char **argv,
                           char *err, size_t errlen);

/* Resolves workers and default endpoints (creating the runtime directory
 * 0700) and checks cross-option constraints.  Returns 0 or a negative code
 * with a reason in err. */
int ordo_config_finish(ordo_config_t *self, char *err, size_t errlen);

/* Writes the usage text, generated from the option table. */
void ordo_config_help(FILE *out, const char *prog);

/* Default runtime directory as the contract defines it: $RUNTIME_DIRECTORY
 * (first entry), else $XDG_RUNTIME_DIR/ordo, else /tmp/ordo-$UID.  When
 * create is set the directory is made 0700 if missing and checked to be a
 * directory owned by the user.  Returns 0 or a negative code. */
int ordo_config_runtime_dir(char *out, size_t outlen, int create, char *err, size_t errlen);

#endif /* ORDO_CONFIG_H_INCLUDED */
