/*
 * ordo_config.c - the option table and its three readers (command line, file,
 * --help).  Every option is described once, here; nothing else in ordod
 * knows an option's name, default or bounds.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ordo_config.h"
#include "log.h"
#include "ordo.h"
#include "ordo_limits.h"

/* A numeric macro as the text of a default. */
#define S_TEXT(x) S_TEXT_(x)
#define S_TEXT_(x) #x

typedef enum { S_STR, S_UINT, S_LEVEL, S_MODE } s_type_t;

typedef struct {
    const char *name;
    s_type_t type;
    const char *defval;         /* as text, parsed like any other value */
    uint64_t min, max;          /* S_UINT bounds */
    size_t offset;              /* in ordo_config_t */
    const char *metavar;
    const char *help;
} s_option_t;

#define S_OFF(field) offsetof(ordo_config_t, field)

static const s_option_t s_options[] = {
    { "endpoint", S_STR, "", 0, 0, S_OFF(endpoint), "URL",
      "client endpoint, ipc://PATH or tcp://HOST:PORT "
      "(default: ipc://RUNDIR/ordod.sock)" },
    { "status-endpoint", S_STR, "", 0, 0, S_OFF(status_endpoint), "URL",
      "status endpoint (default: ipc://RUNDIR/status.sock)" },
    { "workers", S_UINT, "0", 0, 1024, S_OFF(workers), "N",
      "kernel worker threads (0: one per online core)" },
    { "window", S_UINT, "1048576", 1, UINT64_C(1) << 31, S_OFF(window), "N",
      "most unfinished tasks held by the daemon" },
    { "credits", S_UINT, "65536", 1, UINT64_C(1) << 31, S_OFF(credits), "N",
      "most unfinished tasks per session (<= window)" },
    { "kernel-dir", S_STR, "", 0, 0, S_OFF(kernel_dir), "DIR",
      "load plugin kernels (*.so) from DIR at start" },
    { "chaos", S_UINT, "0", 0, UINT64_MAX, S_OFF(chaos), "SEED",
      "shuffle ready tasks and inject 0-200us delays (0: off; tests only)" },
    { "log-level", S_LEVEL, "info", 0, 3, S_OFF(log_level), "LEVEL",
      "error, warn, info or debug" },
    { "drain-timeout", S_UINT, "30", 0, 86400, S_OFF(drain_timeout), "SECONDS",
      "on SIGTERM/SIGINT, wait this long for accepted tasks" },
    { "max-message", S_UINT, "67108864", 4096, UINT64_C(1) << 31, S_OFF(max_message),
      "BYTES", "largest message accepted from a client (ZMQ_MAXMSGSIZE: a larger one "
      "closes the connection)" },
    { "max-sessions", S_UINT, "4096", 1, UINT64_C(1) << 22, S_OFF(max_sessions), "N",
      "most sessions at once (a Hello beyond gets an ELIMIT error)" },
    { "max-task-args", S_UINT, S_TEXT(ORDO_MAX_TASK_ARGS), 1, ORDO_MAX_TASK_ARGS_CEIL,
      S_OFF(max_task_args), "N", "most arguments of one task" },
    { "max-task-deps", S_UINT, S_TEXT(ORDO_MAX_TASK_DEPS), 0, ORDO_MAX_TASK_DEPS_CEIL,
      S_OFF(max_task_deps), "N", "most explicit dependencies of one task" },
    { "max-ndim", S_UINT, S_TEXT(ORDO_MAX_NDIM), 1, ORDO_MAX_NDIM, S_OFF(max_ndim), "N",
      "most dimensions of one view (the protocol's maximum is the default)" },
    { "max-params", S_UINT, S_TEXT(ORDO_MAX_PARAMS), 0, UINT64_C(1) << 30,
      S_OFF(max_params), "BYTES", "most parameter bytes of one task" },
    { "max-session-buffers", S_UINT, S_TEXT(ORDO_MAX_SESSION_BUFFERS), 1,
      UINT64_C(1) << 24, S_OFF(max_session_buffers), "N",
      "most buffers a session has created and still holds" },
    { "max-session-bytes", S_UINT, "0", 0, UINT64_MAX, S_OFF(max_session_bytes), "BYTES",
      "most bytes of the buffers a session has created and still holds (0: no limit; "
      "opened shared buffers count for their creator only)" },
    { "max-watch", S_UINT, S_TEXT(ORDO_MAX_WATCH), 1, ORDO_MAX_WATCH_CEIL, S_OFF(max_watch),
      "N", "most task ids in one Watch message" },
    { "max-tombstones", S_UINT, "262144", 0, UINT64_C(1) << 32, S_OFF(max_tombstones), "N",
      "failed and cancelled task ids whose outcome is kept, 16 bytes each (0: all, for "
      "ever); past it the oldest is forgotten, with every earlier id of its session" },
    { "session-grace", S_UINT, "30", 0, 86400, S_OFF(session_grace), "SECONDS",
      "keep a session whose client vanished (no Bye) this long for a resume" },
#ifdef ORDO_UNSAFE_DROP_WAR
    { "unsafe-drop-war", S_UINT, "0", 0, 1, S_OFF(unsafe_drop_war), "0|1",
      "UNSAFE, tests only: derive no write-after-read edges (proves tests can fail)" },
#endif
    /* Access: who may reach the daemon (auth.h, ordod(8) SECURITY). */
    { "socket-mode", S_MODE, "0", 0, 0777, S_OFF(socket_mode), "OCTAL",
      "chmod the ipc sockets ordod binds to this mode (0770 for a service's "
      "group; 0: as the umask makes them)" },
    { "curve-secret-key", S_STR, "", 0, 0, S_OFF(curve_secret_key), "FILE",
      "server CURVE secret key (ordoctl keygen); required by tcp:// endpoints" },
    { "curve-allow", S_STR, "", 0, 0, S_OFF(curve_allow), "FILE",
      "client CURVE public keys allowed on tcp://, one per line" },
    { "insecure-tcp", S_UINT, "0", 0, 1, S_OFF(insecure_tcp), "0|1",
      "1: serve tcp:// without authentication or encryption (trusted networks only)" },
};

#define S_NOPTIONS (sizeof s_options / sizeof s_options[0])

static int s_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int s_fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return ORDO_EINVAL;
}

/* Like s_fail, for an unsafe environment rather than a usage error (ordod
 * exits 1, not 2). */
static int s_refuse(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int s_refuse(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return ORDO_EPERM;
}

static const s_option_t *s_lookup(const char *name, size_t len)
{
    for (size_t i = 0; i < S_NOPTIONS; i++)
        if (strlen(s_options[i].name) == len && strncmp(s_options[i].name, name, len) == 0)
            return &s_options[i];
    return NULL;
}

/* Parses an unsigned decimal or 0x number with an optional binary suffix
 * (k, m, g).  Returns false on anything else, including overflow. */
static bool s_parse_uint(const char *text, uint64_t *out)
{
    if (!*text || *text == '-' || *text == '+' || isspace((unsigned char)*text))
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(text, &end, 0);
    if (errno || end == text)
        return false;
    unsigned shift = 0;
    if (*end) {
        switch (tolower((unsigned char)*end)) {
        case 'k': shift = 10; break;
        case 'm': shift = 20; break;
        case 'g': shift = 30; break;
        default: return false;
        }
        if (end[1])
            return false;
    }
    if (shift && v > (UINT64_MAX >> shift))
        return false;
    *out = (uint64_t)v << shift;
    return true;
}

static int s_apply(ordo_config_t *self, const s_option_t *o, const char *value,
                   char *err, size_t errlen)
{
    char *base = (char *)self;
    switch (o->type) {
    case S_STR: {
        char **slot = (char **)(base + o->offset);
        char *copy = strdup(value);
        if (!copy)
            return ORDO_ENOMEM;
        free(*slot);
        *slot = copy;
        return 0;
    }
    case S_UINT: {
        uint64_t v;
        if (!s_parse_uint(value, &v))
            return s_fail(err, errlen, "--%s: '%s' is not a number", o->name, value);
        if (v < o->min || v > o->max)
            return s_fail(err, errlen, "--%s: %s is outside [%llu, %llu]", o->name, value,
                          (unsigned long long)o->min, (unsigned long long)o->max);
        *(uint64_t *)(base + o->offset) = v;
        return 0;
    }
    case S_MODE: {
        /* Always octal, as chmod(1) reads it: "770" is 0770. */
        char *end = NULL;
        unsigned long v = 0;
        errno = 0;
        if (isdigit((unsigned char)*value))
            v = strtoul(value, &end, 8);
        if (!end || errno || *end)
            return s_fail(err, errlen, "--%s: '%s' is not an octal mode", o->name, value);
        if (v > o->max)
            return s_fail(err, errlen, "--%s: %s is outside [0, %llo]", o->name, value,
                          (unsigned long long)o->max);
        *(uint64_t *)(base + o->offset) = v;
        return 0;
    }
    case S_LEVEL: {
        int level = ordo_log_level_parse(value);
        if (level < 0)
            return s_fail(err, errlen, "--%s: '%s' is not one of error, warn, info, debug",
                          o->name, value);
        *(uint64_t *)(base + o->offset) = (uint64_t)level;
        return 0;
    }
    }
    return ORDO_EINVAL;
}

ordo_config_t *ordo_config_new(void)
{
    ordo_config_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    for (size_t i = 0; i < S_NOPTIONS; i++) {
        if (s_apply(self, &s_options[i], s_options[i].defval, NULL, 0) != 0) {
            ordo_config_destroy(&self);
            return NULL;
        }
    }
    return self;
}

void ordo_config_destroy(ordo_config_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ordo_config_t *self = *self_p;
    for (size_t i = 0; i < S_NOPTIONS; i++)
        if (s_options[i].type == S_STR)
            free(*(char **)((char *)self + s_options[i].offset));
    free(self);
    *self_p = NULL;
}

int ordo_config_set(ordo_config_t *self, const char *name, const char *value,
                    char *err, size_t errlen)
{
    const s_option_t *o = s_lookup(name, strlen(name));
    if (!o)
        return s_fail(err, errlen, "unknown option '%s' (see --help)", name);
    return s_apply(self, o, value, err, errlen);
}

static char *s_trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

int ordo_config_load_file(ordo_config_t *self, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return s_fail(err, errlen, "%s: %s", path, strerror(errno));
    char line[4096];
    char why[512];
    unsigned lineno = 0;
    int rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            rc = s_fail(err, errlen, "%s:%u: line too long", path, lineno);
            break;
        }
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *s = s_trim(line);
        if (!*s)
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            rc = s_fail(err, errlen, "%s:%u: expected 'name = value'", path, lineno);
            break;
        }
        *eq = '\0';
        char *name = s_trim(s), *value = s_trim(eq + 1);
        rc = ordo_config_set(self, name, value, why, sizeof why);
        if (rc != 0) {
            s_fail(err, errlen, "%s:%u: %s", path, lineno, why);
            break;
        }
    }
    if (rc == 0 && ferror(f))
        rc = s_fail(err, errlen, "%s: read error", path);
    fclose(f);
    return rc;
}

/* Splits "--name=value" or "--name value"; returns the number of argv
 * entries used (1 or 2), or a negative code. */
static int s_split(int argc, char **argv, int i, const char **name, size_t *namelen,
                   const char **value, char *err, size_t errlen)
{
    const char *a = argv[i];
    if (strncmp(a, "--", 2) != 0 || !a[2])
        return s_fail(err, errlen, "unexpected argument '%s' (see --help)", a);
    *name = a + 2;
    const char *eq = strchr(*name, '=');
    if (eq) {
        *namelen = (size_t)(eq - *name);
        *value = eq + 1;
        return 1;
    }
    *namelen = strlen(*name);
    *value = NULL;
    return 1;
}

int ordo_config_parse_args(ordo_config_t *self, int argc, char **argv,
                           char *err, size_t errlen)
{
    /* Pass 1: --help, --version, --config. */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return ORDO_CONFIG_HELP;
        if (strcmp(argv[i], "--version") == 0)
            return ORDO_CONFIG_VERSION;
    }
    for (int i = 1; i < argc; i++) {
        const char *path = NULL;
        if (strcmp(argv[i], "--config") == 0) {
            if (i + 1 >= argc)
                return s_fail(err, errlen, "--config needs a FILE");
            path = argv[++i];
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            path = argv[i] + 9;
        }
        if (path) {
            int rc = ordo_config_load_file(self, path, err, errlen);
            if (rc != 0)
                return rc;
        }
    }
    /* Pass 2: the other options, in order. */
    for (int i = 1; i < argc; i++) {
        const char *name = NULL, *value = NULL;
        size_t namelen = 0;
        int rc = s_split(argc, argv, i, &name, &namelen, &value, err, errlen);
        if (rc < 0)
            return rc;
        if (namelen == 6 && strncmp(name, "config", 6) == 0) {
            if (!value)
                i++;
            continue;
        }
        const s_option_t *o = s_lookup(name, namelen);
        if (!o)
            return s_fail(err, errlen, "unknown option '--%.*s' (see --help)",
                          (int)namelen, name);
        if (!value) {
            if (i + 1 >= argc)
                return s_fail(err, errlen, "--%s needs a %s", o->name, o->metavar);
            value = argv[++i];
        }
        rc = s_apply(self, o, value, err, errlen);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int ordo_config_runtime_dir(char *out, size_t outlen, int create, char *err, size_t errlen)
{
    const char *rd = getenv("RUNTIME_DIRECTORY");
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    int n;
    if (rd && *rd) {
        /* systemd may list several directories separated by ':'. */
        size_t len = strcspn(rd, ":");
        n = snprintf(out, outlen, "%.*s", (int)len, rd);
    } else if (xdg && *xdg) {
        n = snprintf(out, outlen, "%s/ordo", xdg);
    } else {
        n = snprintf(out, outlen, "/tmp/ordo-%lu", (unsigned long)getuid());
    }
    if (n < 0 || (size_t)n >= outlen)
        return s_fail(err, errlen, "runtime directory path too long");
    if (!create)
        return 0;
    if (mkdir(out, 0700) != 0 && errno != EEXIST)
        return s_refuse(err, errlen, "cannot create %s: %s", out, strerror(errno));
    struct stat st;
    if (lstat(out, &st) != 0)
        return s_refuse(err, errlen, "%s: %s", out, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return s_refuse(err, errlen, "%s is not a directory", out);
    /* A directory someone else made (say in /tmp) could let them replace
     * our sockets: refuse it rather than listen there.  A user's directory
     * is 0700; a service's (RuntimeDirectoryMode=0750) lets its group in,
     * but only to connect: nobody else may write in it. */
    if (st.st_uid != getuid())
        return s_refuse(err, errlen, "%s is owned by uid %lu, not by us (uid %lu)", out,
                        (unsigned long)st.st_uid, (unsigned long)getuid());
    if (!(rd && *rd) && (st.st_mode & 077))
        return s_refuse(err, errlen, "%s is accessible to others (mode %04o); expected 0700 "
                        "(chmod 700 it)",
                        out, (unsigned)(st.st_mode & 07777));
    if ((rd && *rd) && (st.st_mode & 022))
        return s_refuse(err, errlen, "%s is writable by group or others (mode %04o); "
                        "expected 0750 (RuntimeDirectoryMode=)", out,
                        (unsigned)(st.st_mode & 07777));
    return 0;
}

int ordo_config_finish(ordo_config_t *self, char *err, size_t errlen)
{
    if (self->workers == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        self->workers = (n > 0) ? (uint64_t)n : 1;
        if (self->workers > 1024)
            self->workers = 1024;
    }
    if (self->credits > self->window)
        return s_fail(err, errlen, "--credits %llu is larger than --window %llu",
                      (unsigned long long)self->credits, (unsigned long long)self->window);
    if (!*self->endpoint || !*self->status_endpoint) {
        char dir[512];
        int rc = ordo_config_runtime_dir(dir, sizeof dir, 1, err, errlen);
        if (rc != 0)
            return rc;
        char url[600];
        if (!*self->endpoint) {
            snprintf(url, sizeof url, "ipc://%s/ordod.sock", dir);
            if ((rc = ordo_config_set(self, "endpoint", url, err, errlen)) != 0)
                return rc;
        }
        if (!*self->status_endpoint) {
            snprintf(url, sizeof url, "ipc://%s/status.sock", dir);
            if ((rc = ordo_config_set(self, "status-endpoint", url, err, errlen)) != 0)
                return rc;
        }
    }
    const char *eps[2] = { self->endpoint, self->status_endpoint };
    for (int i = 0; i < 2; i++)
        if (strncmp(eps[i], "ipc://", 6) != 0 && strncmp(eps[i], "tcp://", 6) != 0)
            return s_fail(err, errlen, "endpoint '%s': only ipc:// and tcp:// are supported",
                          eps[i]);
    if (strcmp(self->endpoint, self->status_endpoint) == 0 && !strchr(self->endpoint, '*'))
        return s_fail(err, errlen, "--endpoint and --status-endpoint must differ");
    /* tcp is authenticated (CURVE) unless the operator says otherwise. */
    bool curve = *self->curve_secret_key || *self->curve_allow;
    if (curve && !(*self->curve_secret_key && *self->curve_allow))
        return s_fail(err, errlen, "--curve-secret-key and --curve-allow go together");
    if (curve && self->insecure_tcp)
        return s_fail(err, errlen, "--insecure-tcp 1 contradicts --curve-secret-key: "
                      "choose one");
    for (int i = 0; i < 2; i++)
        if (strncmp(eps[i], "tcp://", 6) == 0 && !curve && !self->insecure_tcp)
            return s_fail(err, errlen, "%s is a tcp endpoint: give it CURVE keys "
                          "(--curve-secret-key FILE --curve-allow FILE; see ordoctl "
                          "keygen), or --insecure-tcp 1 on a trusted network", eps[i]);
    return 0;
}

void ordo_config_help(FILE *out, const char *prog)
{
    fprintf(out, "usage: %s [--config FILE] [OPTION VALUE]...\n\n"
                 "ordod, the ordo scheduling daemon.  Runs in the foreground and logs\n"
                 "to stderr.  Options (also 'name = value' lines in the --config FILE;\n"
                 "the command line wins):\n\n", prog);
    for (size_t i = 0; i < S_NOPTIONS; i++) {
        const s_option_t *o = &s_options[i];
        char lhs[64];
        snprintf(lhs, sizeof lhs, "--%s %s", o->name, o->metavar);
        fprintf(out, "  %-26s %s", lhs, o->help);
        if (o->type != S_STR && strcmp(o->defval, "0") != 0)
            fprintf(out, " [default: %s]", o->defval);
        fputc('\n', out);
    }
    fprintf(out, "  %-26s %s\n  %-26s %s\n  %-26s %s\n", "--config FILE",
            "read options from FILE first", "--help", "this text", "--version",
            "print the version");
    fprintf(out, "\nRUNDIR is $RUNTIME_DIRECTORY, else $XDG_RUNTIME_DIR/ordo, else "
                 "/tmp/ordo-$UID (created 0700;\nordod refuses one that others "
                 "can reach).  tcp:// needs CURVE keys or --insecure-tcp 1.\n");
}
