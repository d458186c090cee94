/*
 * auth.c - CURVE keys, the allow-list and the ZAP handler (see auth.h).
 *
 * Invariants: the key and the allow-list are read before the handler
 * thread starts and never change afterwards, so the thread reads them
 * without locks.  Every ZAP request gets exactly one reply (200 for an
 * allow-listed CURVE key, 400 otherwise), so no handshake waits on us.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "auth.h"
#include "log.h"
#include "ordo.h"

#define S_KEY_BYTES 32
#define S_Z85_LEN 40
/* Refusals logged per S_LOG_WINDOW_S at most: a client retrying a refused
 * key every 100 ms must not flood the log. */
#define S_LOG_BURST 10
#define S_LOG_WINDOW_S 60

struct ordo_auth {
    char secret[S_Z85_LEN + 1];
    uint8_t (*allow)[S_KEY_BYTES];
    size_t nallow;
    char allow_file[512];
    void *zap;                  /* REP socket, owned by the thread once started */
    pthread_t thread;
    bool started;
    /* thread only */
    time_t log_window;
    unsigned log_count, log_dropped;
};

int ordo_auth_check_file(const char *path, const struct stat *st, mode_t forbidden,
                         const char *what, char *err, size_t errlen)
{
    if (!S_ISREG(st->st_mode)) {
        snprintf(err, errlen, "%s %s is not a regular file", what, path);
        return ORDO_EPERM;
    }
    if (st->st_uid != 0 && st->st_uid != geteuid()) {
        snprintf(err, errlen, "%s %s is owned by uid %lu (neither root nor us): refused",
                 what, path, (unsigned long)st->st_uid);
        return ORDO_EPERM;
    }
    if (st->st_mode & forbidden) {
        snprintf(err, errlen, "%s %s has mode %04o: refused (%s); chmod %s it",
                 what, path, (unsigned)(st->st_mode & 07777),
                 (forbidden & 0044) ? "readable by others" : "writable by group or others",
                 (forbidden & 0044) ? "go-rwx" : "go-w");
        return ORDO_EPERM;
    }
    return 0;
}

/* The key on a line, or NULL: a line with 40 Z85 characters after
 * trimming blanks (key receives the 32 bytes). */
static bool s_parse_key(char *line, uint8_t key[S_KEY_BYTES], char z85[S_Z85_LEN + 1])
{
    char *s = line;
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    if (e - s != S_Z85_LEN || !zmq_z85_decode(key, s))
        return false;
    if (z85)
        memcpy(z85, s, S_Z85_LEN + 1);
    return true;
}

/* Opens path, checks it (see ordo_auth_check_file) and calls fn on each
 * line that is neither blank nor a comment.  fn returns 0 to go on, 1 to
 * stop, or a negative code. */
static int s_read_lines(const char *path, mode_t forbidden, const char *what,
                        int (*fn)(void *arg, char *line, unsigned lineno, char *err,
                                  size_t errlen),
                        void *arg, char *err, size_t errlen)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
        return ORDO_ENOENT;
    }
    struct stat st;
    int rc = ORDO_EIO;
    if (fstat(fileno(f), &st) != 0)
        snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
    else
        rc = ordo_auth_check_file(path, &st, forbidden, what, err, errlen);
    char line[256];
    unsigned lineno = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        const char *p = line;
        while (isspace((unsigned char)*p))
            p++;
        /* '#' is a Z85 digit too: a comment is a '#' line that is not a
         * key (comments have spaces, keys never). */
        if (*p == '\0')
            continue;
        if (*p == '#') {
            char copy[sizeof line];
            uint8_t key[S_KEY_BYTES];
            memcpy(copy, line, sizeof line);
            if (!s_parse_key(copy, key, NULL))
                continue;
        }
        rc = fn(arg, line, lineno, err, errlen);
    }
    explicit_bzero(line, sizeof line);
    fclose(f);
    return rc < 0 ? rc : 0;
}

static int s_secret_line(void *arg, char *line, unsigned lineno, char *err, size_t errlen)
{
    ordo_auth_t *self = arg;
    uint8_t key[S_KEY_BYTES];
    if (!s_parse_key(line, key, self->secret)) {
        snprintf(err, errlen, "line %u is not a Z85 key (40 characters)", lineno);
        return ORDO_EINVAL;
    }
    return 1;
}

static int s_allow_line(void *arg, char *line, unsigned lineno, char *err, size_t errlen)
{
    ordo_auth_t *self = arg;
    uint8_t key[S_KEY_BYTES];
    if (!s_parse_key(line, key, NULL)) {
        snprintf(err, errlen, "%s:%u: not a Z85 public key (40 characters)",
                 self->allow_file, lineno);
        return ORDO_EINVAL;
    }
    void *grown = realloc(self->allow, (self->nallow + 1) * sizeof *self->allow);
    if (!grown) {
        snprintf(err, errlen, "out of memory");
        return ORDO_ENOMEM;
    }
    self->allow = grown;
    memcpy(self->allow[self->nallow++], key, S_KEY_BYTES);
    return 0;
}

ordo_auth_t *ordo_auth_new(const char *secret_file, const char *allow_file,
                           char *err, size_t errlen)
{
    ordo_auth_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(self->allow_file, sizeof self->allow_file, "%s", allow_file);
    char why[512] = "";
    /* The secret key: no access at all for others (group read is fine, so
     * that root:ordo 0640 works for a service). */
    if (s_read_lines(secret_file, 0007, "CURVE secret key", s_secret_line, self, why,
                     sizeof why) != 0) {
        snprintf(err, errlen, "%s", why);
        goto fail;
    }
    if (!self->secret[0]) {
        snprintf(err, errlen, "CURVE secret key %s holds no key", secret_file);
        goto fail;
    }
    /* The allow-list decides who gets in: nobody else may change it. */
    if (s_read_lines(allow_file, 0022, "CURVE allow-list", s_allow_line, self, why,
                     sizeof why) != 0) {
        snprintf(err, errlen, "%s", why);
        goto fail;
    }
    if (self->nallow == 0)
        ordo_log_warn("CURVE allow-list %s is empty: every tcp client will be refused",
                      allow_file);
    return self;
fail:
    ordo_auth_destroy(&self);
    return NULL;
}

size_t ordo_auth_allowed(const ordo_auth_t *self)
{
    return self->nallow;
}

int ordo_auth_curve_server(const ordo_auth_t *self, void *sock, char *err, size_t errlen)
{
    int one = 1;
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, self->secret, S_Z85_LEN) != 0) {
        snprintf(err, errlen, "cannot make a CURVE server socket: %s",
                 zmq_strerror(zmq_errno()));
        return ORDO_EIO;
    }
    return 0;
}

static bool s_allowed(const ordo_auth_t *self, const uint8_t *key)
{
    for (size_t i = 0; i < self->nallow; i++)
        if (memcmp(self->allow[i], key, S_KEY_BYTES) == 0)
            return true;
    return false;
}

static void s_log_refusal(ordo_auth_t *self, const char *address, const char *why)
{
    time_t now = time(NULL);
    if (now - self->log_window >= S_LOG_WINDOW_S) {
        if (self->log_dropped)
            ordo_log_warn("tcp: %u more refused connections were not logged",
                          self->log_dropped);
        self->log_window = now;
        self->log_count = self->log_dropped = 0;
    }
    if (self->log_count++ < S_LOG_BURST)
        ordo_log_warn("tcp: refused a connection from %s: %s", address, why);
    else
        self->log_dropped++;
}

#define S_ZAP_FRAMES 8

/* Answers one ZAP request (frames: version, request id, domain, address,
 * identity, mechanism, credentials...). */
static void s_zap_answer(ordo_auth_t *self, zmq_msg_t *f, int n)
{
    const char *code = "400", *text = "malformed ZAP request";
    char address[64] = "?", user[S_Z85_LEN + 1] = "";
    if (n >= 6 && zmq_msg_size(&f[0]) == 3 && memcmp(zmq_msg_data(&f[0]), "1.0", 3) == 0) {
        size_t alen = zmq_msg_size(&f[3]);
        snprintf(address, sizeof address, "%.*s", (int)(alen < 63 ? alen : 63),
                 (const char *)zmq_msg_data(&f[3]));
        bool curve = zmq_msg_size(&f[5]) == 5 && memcmp(zmq_msg_data(&f[5]), "CURVE", 5) == 0;
        if (!curve || n < 7 || zmq_msg_size(&f[6]) != S_KEY_BYTES) {
            text = "not a CURVE client";
            s_log_refusal(self, address, text);
        } else if (!s_allowed(self, zmq_msg_data(&f[6]))) {
            text = "key not allowed";
            char z85[S_Z85_LEN + 1];
            zmq_z85_encode(z85, zmq_msg_data(&f[6]), S_KEY_BYTES);
            char why[700];
            snprintf(why, sizeof why, "CURVE key %s is not on the allow-list %s", z85,
                     self->allow_file);
            s_log_refusal(self, address, why);
        } else {
            code = "200";
            text = "OK";
            zmq_z85_encode(user, zmq_msg_data(&f[6]), S_KEY_BYTES);
            ordo_log_debug("tcp: admitted %s with CURVE key %s", address, user);
        }
    }
    const void *rid = n >= 2 ? zmq_msg_data(&f[1]) : "";
    size_t rid_len = n >= 2 ? zmq_msg_size(&f[1]) : 0;
    zmq_send(self->zap, "1.0", 3, ZMQ_SNDMORE);
    zmq_send(self->zap, rid, rid_len, ZMQ_SNDMORE);
    zmq_send(self->zap, code, 3, ZMQ_SNDMORE);
    zmq_send(self->zap, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(self->zap, user, strlen(user), ZMQ_SNDMORE);
    zmq_send(self->zap, "", 0, 0);
}

static void *s_zap_main(void *arg)
{
    ordo_auth_t *self = arg;
    for (;;) {
        zmq_msg_t f[S_ZAP_FRAMES];
        int n = 0;
        bool more = true, term = false;
        while (more) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, self->zap, 0) < 0) {
                zmq_msg_close(&m);
                if (zmq_errno() == EINTR)
                    continue;
                term = true;        /* ETERM: the daemon is stopping */
                break;
            }
            more = zmq_msg_more(&m);
            if (n < S_ZAP_FRAMES)
                f[n++] = m;         /* the message moves into f */
            else
                zmq_msg_close(&m);
        }
        if (!term)
            s_zap_answer(self, f, n);
        for (int i = 0; i < n; i++)
            zmq_msg_close(&f[i]);
        if (term)
            break;
    }
    zmq_close(self->zap);
    self->zap = NULL;
    return NULL;
}

int ordo_auth_start(ordo_auth_t *self, void *zctx, char *err, size_t errlen)
{
    self->zap = zmq_socket(zctx, ZMQ_REP);
    int zero = 0;
    if (!self->zap || zmq_setsockopt(self->zap, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_bind(self->zap, "inproc://zeromq.zap.01") != 0) {
        snprintf(err, errlen, "cannot start the ZAP handler: %s", zmq_strerror(zmq_errno()));
        if (self->zap)
            zmq_close(self->zap);
        self->zap = NULL;
        return ORDO_EIO;
    }
    if (pthread_create(&self->thread, NULL, s_zap_main, self) != 0) {
        snprintf(err, errlen, "cannot start the ZAP handler thread");
        zmq_close(self->zap);
        self->zap = NULL;
        return ORDO_ENOMEM;
    }
    self->started = true;
    return 0;
}

void ordo_auth_destroy(ordo_auth_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ordo_auth_t *self = *self_p;
    if (self->started)
        pthread_join(self->thread, NULL);
    explicit_bzero(self->secret, sizeof self->secret);
    free(self->allow);
    free(self);
    *self_p = NULL;
}
