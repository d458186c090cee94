/*
 * e2e.h - the harness of the end-to-end tests: a real ordod on a temporary
 * ipc endpoint, real ZeroMQ, real clients.
 *
 * e2e_start() makes a private directory with mkdtemp, starts $ORDOD (set by
 * tests/e2e.am; the build tree's daemon/ordod otherwise) on the two ipc
 * sockets inside it with the given extra options, and waits until its status
 * socket answers.  The daemon's stderr goes to a log file in that directory,
 * printed when the daemon fails.  e2e_stop() sends SIGTERM, checks that the
 * daemon drains and exits 0, and removes the directory.
 *
 * Environment: $ORDO_E2E_WRAPPER runs the daemon under that program (for
 * example a script that execs valgrind), which gets ordod's path and
 * arguments; $ORDO_E2E_VERBOSE leaves the daemon's log on stderr;
 * $ORDO_E2E_KEEP keeps the temporary directory.
 *
 * The daemon can never outlive its test: it is started with
 * PR_SET_PDEATHSIG, so that a test process that dies on a failed check (the
 * forked Check child exits without running its teardown) takes its daemon
 * with it.  No fixed port, path or time of day is involved.
 */
#ifndef ORDO_E2E_H_INCLUDED
#define ORDO_E2E_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ordo.h"

typedef struct {
    char dir[256];              /* mkdtemp directory */
    char endpoint[320];         /* ipc://DIR/ordod.sock */
    char status[320];           /* ipc://DIR/status.sock */
    char log[320];              /* DIR/ordod.log */
    pid_t pid;                  /* 0 when not running */
} e2e_daemon_t;

/* Unchecked fixtures (they run in the Check parent, even after a test
 * failed in its forked child): a directory per TCase under which every
 * e2e_start of the TCase makes its own, all removed in the teardown, so a
 * failed test leaves nothing behind. */
void e2e_tmp_setup(void);
void e2e_tmp_teardown(void);

/* Starts ordod with extra options (a NULL-terminated list, may be NULL);
 * fails the test with the daemon's log when it does not come up.  With
 * "--endpoint=tcp://127.0.0.1:*" (and "--log-level=info") among them, the
 * daemon serves tcp on a port the system picks, read back from its log. */
void e2e_start(e2e_daemon_t *d, const char *const *extra);

/* SIGTERM, wait (up to 20 s, then SIGKILL); returns the exit status as
 * waitpid reports it, or -1 when it was not running.  Removes the
 * directory.  Safe to call twice. */
int e2e_stop(e2e_daemon_t *d);

/* Kills the daemon at once (SIGKILL) without cleaning up. */
void e2e_kill(e2e_daemon_t *d);

/* Starts ordod again, after e2e_kill, on the same directory and endpoints
 * (a restart), with extra options as e2e_start. */
void e2e_restart(e2e_daemon_t *d, const char *const *extra);

/* A client connected to d (fails the test otherwise). */
ordo_client_t *e2e_connect(const e2e_daemon_t *d);

/* The same with a 10 s batch delay: tasks leave only on ordo_flush, a
 * wait, or a full batch, so a test controls which tasks the daemon sees
 * in one Submit (and so which are still unfinished when the next comes). */
ordo_client_t *e2e_connect_batched(const e2e_daemon_t *d);

/* Runs the status query "status" (json or text) and returns the malloc'd
 * answer; fails the test when the daemon does not answer. */
char *e2e_status(const e2e_daemon_t *d, bool json);

/* Prints the daemon's log to stderr (for a failing test). */
void e2e_dump_log(const e2e_daemon_t *d);

/* Path of a program of the build tree: $name_env, else fallback. */
const char *e2e_program(const char *name_env, const char *fallback);

/* A fill + read round trip on a fresh session: true when the daemon still
 * serves correctly (used after every piece of bad input). */
bool e2e_daemon_serves(const e2e_daemon_t *d);

/* Random numbers for the randomized tests: xorshift64* (small, fast, and
 * the same everywhere) and a number below n. */
uint64_t e2e_rand(uint64_t *state);
int e2e_below(uint64_t *state, int n);

/* A random f32 view of shape[ndim] inside a buffer of nelem elements, in
 * t (buffer 0: the caller sets it).  The dimensions are laid out in a
 * random order with gaps (steps) and random signs, each dimension's stride
 * at least the span of the ones inside it, so a view never overlaps
 * itself; an input may also broadcast a dimension (stride 0).  False when
 * it does not fit. */
bool e2e_random_view(uint64_t *rng, int64_t nelem, int ndim, const int64_t *shape,
                     bool input, ordo_tensor_t *t);

/* Little-endian f64 parameters of fill, axpy, scale. */
void e2e_f64(uint8_t out[8], double v);

/* ---------------------------------------------------------------------- */
/* A tiny JSON reader: enough to validate a document and fetch numbers. */

/* True when text is exactly one valid JSON value (RFC 8259 grammar). */
bool e2e_json_valid(const char *text);

/* The number at a dotted path of nested objects ("tasks.tasks_done");
 * false when absent or not a number. */
bool e2e_json_number(const char *text, const char *path, double *out);

#endif /* ORDO_E2E_H_INCLUDED */
