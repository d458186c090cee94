/*
 * ordoctl - ask a running ordod about its state, through its status socket.
 *
 * A thin client on purpose: it sends the command and its arguments as one
 * StatusRequest (ordo_status_query) and prints the daemon's answer, INFO
 * style text or JSON.  Every view lives in the daemon, which alone knows its
 * state, so a new status command never needs a new ordoctl.  Two commands
 * add a little on this side: "graph --svg" pipes the daemon's DOT through
 * Graphviz, and "top" polls "status" and redraws it as a live view.
 * "keygen" makes CURVE key files and talks to no daemon.
 *
 * Exit status: 0 when the daemon answered the command, 1 when it refused it
 * or did not answer within the timeout, 2 on a usage error.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "ordo.h"

static void s_usage(FILE *out)
{
    fprintf(out,
            "usage: ordoctl [OPTIONS] COMMAND [ARGS...]\n"
            "\n"
            "Ask a running ordod through its status socket.\n"
            "\n"
            "commands (answered by the daemon; 'ordoctl help' lists what it knows):\n"
            "  status        counters: server, sessions, buffers, tasks, edges, analysis\n"
            "  sessions      the sessions, one line each\n"
            "  buffers       the buffers [session=N]\n"
            "  tasks         the live tasks [state=waiting|ready|running|cancelled\n"
            "                session=N kernel=NAME limit=N]\n"
            "  graph         the live dependency graph as Graphviz DOT (same filters as\n"
            "                tasks); --svg renders it with dot -Tsvg\n"
            "  trace         recent finished tasks as Chrome trace JSON (open it in\n"
            "                ui.perfetto.dev) [session=N kernel=NAME limit=N]\n"
            "  metrics       the counters in the Prometheus text format\n"
            "  top           a live view of the counters; q quits\n"
            "                [--interval S (default 1)] [--iterations N]\n"
            "\n"
            "local command:\n"
            "  keygen NAME   make a CURVE key pair for tcp endpoints: NAME.key (secret,\n"
            "                mode 0600) and NAME.pub (public); refuses to overwrite\n"
            "\n"
            "options:\n"
            "  -s, --status-endpoint E  status socket (default: $ORDO_STATUS_ENDPOINT, else\n"
            "                           ipc://$XDG_RUNTIME_DIR/ordo/status.sock)\n"
            "  -j, --json               machine-readable JSON instead of text\n"
            "  -t, --timeout S          seconds to wait for the answer (default 5)\n"
            "  -k, --server-key K       a tcp status endpoint's CURVE public key (Z85 text\n"
            "                           or key file; default $ORDO_CURVE_SERVERKEY)\n"
            "  -K, --secret-key FILE    our CURVE secret key file, from keygen (default\n"
            "                           $ORDO_CURVE_SECRETKEY)\n"
            "  -h, --help               this text\n"
            "  -V, --version            ordoctl's version\n");
}

/* ------------------------------------------------------------------ */
/* graph --svg                                                          */

/* True when name is an executable file in $PATH. */
static bool s_in_path(const char *name)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/bin:/bin";
    while (*path) {
        size_t n = strcspn(path, ":");
        char file[4096];
        snprintf(file, sizeof file, "%.*s/%s", (int)n, n ? path : ".", name);
        struct stat st;
        if (stat(file, &st) == 0 && S_ISREG(st.st_mode) && access(file, X_OK) == 0)
            return true;
        path += n;
        if (*path == ':')
            path++;
    }
    return false;
}

/* Writes dot to Graphviz's "dot -Tsvg", whose SVG goes to our stdout. */
static int s_render_svg(const char *dot)
{
    if (!s_in_path("dot")) {
        fprintf(stderr, "ordoctl: graph --svg needs Graphviz's dot in PATH (Debian package "
                "graphviz); without --svg, graph prints the DOT text\n");
        return 1;
    }
    fflush(stdout);
    FILE *p = popen("dot -Tsvg", "w");
    if (!p) {
        fprintf(stderr, "ordoctl: cannot run dot: %s\n", strerror(errno));
        return 1;
    }
    fputs(dot, p);
    int st = pclose(p);
    if (st != 0) {
        fprintf(stderr, "ordoctl: dot -Tsvg failed (status %d)\n", st);
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* top                                                                  */

#define S_TOP_KEYS 40

typedef struct {
    char key[S_TOP_KEYS][32];
    char val[S_TOP_KEYS][64];
    int n;
} s_info_t;

/* Reads INFO text ("key:value" lines) into info. */
static void s_info_parse(const char *text, s_info_t *info)
{
    info->n = 0;
    for (const char *p = text; *p && info->n < S_TOP_KEYS;) {
        size_t len = strcspn(p, "\n");
        const char *colon = memchr(p, ':', len);
        if (*p != '#' && colon && (size_t)(colon - p) < sizeof info->key[0]) {
            size_t kl = (size_t)(colon - p), vl = len - kl - 1;
            if (vl >= sizeof info->val[0])
                vl = sizeof info->val[0] - 1;
            memcpy(info->key[info->n], p, kl);
            info->key[info->n][kl] = '\0';
            memcpy(info->val[info->n], colon + 1, vl);
            info->val[info->n][vl] = '\0';
            info->n++;
        }
        p += len;
        if (*p)
            p++;
    }
}

static unsigned long long s_info_num(const s_info_t *info, const char *key)
{
    for (int i = 0; i < info->n; i++)
        if (strcmp(info->key[i], key) == 0)
            return strtoull(info->val[i], NULL, 10);
    return 0;
}

static const char *s_info_str(const s_info_t *info, const char *key)
{
    for (int i = 0; i < info->n; i++)
        if (strcmp(info->key[i], key) == 0)
            return info->val[i];
    return "?";
}

static double s_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One frame of top: the counters and, from the second frame on, the rates
 * since the previous one. */
static void s_top_frame(const s_info_t *cur, const s_info_t *prev, double dt, bool tty,
                        const char *endpoint)
{
    if (tty)
        fputs("\033[H\033[2J", stdout);
    unsigned long long acc = s_info_num(cur, "tasks_accepted");
    unsigned long long done = s_info_num(cur, "tasks_done");
    double acc_rate = 0, done_rate = 0;
    if (prev && dt > 0) {
        acc_rate = (double)(acc - s_info_num(prev, "tasks_accepted")) / dt;
        done_rate = (double)(done - s_info_num(prev, "tasks_done")) / dt;
    }
    unsigned long long tests = s_info_num(cur, "overlap_tests");
    unsigned long long cons = s_info_num(cur, "conservative_answers");
    printf("ordod %s  pid %s  up %ss  %s\n", s_info_str(cur, "version"),
           s_info_str(cur, "pid"), s_info_str(cur, "uptime_s"), endpoint);
    printf("sessions  %6llu active  %8llu total     workers %s  chaos %s\n",
           s_info_num(cur, "sessions_active"), s_info_num(cur, "sessions_total"),
           s_info_str(cur, "workers"), s_info_str(cur, "chaos_seed"));
    printf("buffers   %6llu         %8llu bytes\n", s_info_num(cur, "buffers"),
           s_info_num(cur, "buffer_bytes"));
    printf("\n");
    printf("tasks     %12llu accepted  %10.0f/s\n", acc, acc_rate);
    printf("          %12llu done      %10.0f/s\n", done, done_rate);
    printf("          %12llu failed    %12llu cancelled\n", s_info_num(cur, "tasks_failed"),
           s_info_num(cur, "tasks_cancelled"));
    printf("in flight %12llu waiting   %12llu ready   %12llu running\n",
           s_info_num(cur, "tasks_waiting"), s_info_num(cur, "tasks_ready"),
           s_info_num(cur, "tasks_running"));
    printf("window    %12llu used of %s\n", s_info_num(cur, "window_used"),
           s_info_str(cur, "window"));
    printf("\n");
    printf("edges     %12llu total  RAW %llu  WAR %llu  WAW %llu  explicit %llu\n",
           s_info_num(cur, "edges_total"), s_info_num(cur, "edges_raw"),
           s_info_num(cur, "edges_war"), s_info_num(cur, "edges_waw"),
           s_info_num(cur, "edges_explicit"));
    printf("analysis  %12llu overlap tests  %llu solved  %llu conservative (%.3f%%)\n", tests,
           s_info_num(cur, "overlap_solved"), cons,
           tests ? 100.0 * (double)cons / (double)tests : 0.0);
    printf("          %12llu accesses live  %llu retired\n",
           s_info_num(cur, "accesses_live"), s_info_num(cur, "accesses_retired"));
    if (tty)
        printf("\n(q to quit)\n");
    else
        printf("\n");
    fflush(stdout);
}

static struct termios s_saved_tio;
static bool s_tio_saved;

static void s_restore_tty(void)
{
    if (s_tio_saved)
        tcsetattr(STDIN_FILENO, TCSANOW, &s_saved_tio);
}

/* The live view: polls "status" every interval seconds and redraws, until
 * q (when stdin is a terminal), EOF on stdin, or iterations frames (0: no
 * limit).  Returns the exit status. */
static int s_top(const char *endpoint, int timeout_ms, int argc, char **argv)
{
    double interval = 1.0;
    long iterations = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        char *end;
        if ((strcmp(a, "--interval") == 0 || strcmp(a, "--iterations") == 0 ||
             strcmp(a, "-n") == 0 || strcmp(a, "-d") == 0) && i + 1 < argc) {
            v = argv[++i];
        } else if (strncmp(a, "--interval=", 11) == 0) {
            v = a + 11;
            a = "--interval";
        } else if (strncmp(a, "--iterations=", 13) == 0) {
            v = a + 13;
            a = "--iterations";
        } else {
            fprintf(stderr, "ordoctl: top: unknown argument '%s' (--interval S, "
                    "--iterations N)\n", a);
            return 2;
        }
        if (strcmp(a, "--interval") == 0 || strcmp(a, "-d") == 0) {
            interval = strtod(v, &end);
            if (*end || !(interval >= 0.05) || interval > 3600) {
                fprintf(stderr, "ordoctl: top: --interval wants seconds in [0.05, 3600]\n");
                return 2;
            }
        } else {
            iterations = strtol(v, &end, 10);
            if (*end || iterations <= 0) {
                fprintf(stderr, "ordoctl: top: --iterations wants a positive number\n");
                return 2;
            }
        }
    }
    bool tty_out = isatty(STDOUT_FILENO), tty_in = isatty(STDIN_FILENO);
    if (tty_in && tcgetattr(STDIN_FILENO, &s_saved_tio) == 0) {
        struct termios raw = s_saved_tio;
        raw.c_lflag &= (tcflag_t) ~(ICANON | ECHO);
        raw.c_cc[VMIN] = 0;
        raw.c_cc[VTIME] = 0;
        s_tio_saved = true;
        atexit(s_restore_tty);
        tcsetattr(STDIN_FILENO, TCSANOW, &raw);
    }
    s_info_t info[2];
    int cur = 0, rc = 0;
    double last = 0;
    bool stdin_open = true;
    for (long frame = 0; iterations == 0 || frame < iterations; frame++) {
        char *text = NULL;
        int qrc = ordo_status_query(endpoint, "status", NULL, 0, 0, timeout_ms, &text);
        if (qrc < 0) {
            fprintf(stderr, "ordoctl: top: %s\n", ordo_last_error());
            ordo_free(text);
            rc = 1;
            break;
        }
        double now = s_now_s();
        s_info_parse(text, &info[cur]);
        ordo_free(text);
        s_top_frame(&info[cur], frame ? &info[!cur] : NULL, now - last, tty_out, endpoint);
        last = now;
        cur = !cur;
        if (iterations && frame + 1 >= iterations)
            break;
        /* Wait for the next frame, or for q on stdin. */
        double until = now + interval;
        bool quit = false;
        for (double left = interval; left > 0 && !quit; left = until - s_now_s()) {
            struct pollfd p = { STDIN_FILENO, POLLIN, 0 };
            int n = poll(&p, stdin_open ? 1 : 0, (int)(left * 1000) + 1);
            if (n > 0 && (p.revents & (POLLIN | POLLHUP))) {
                char ch;
                ssize_t k = read(STDIN_FILENO, &ch, 1);
                if (k == 1 && (ch == 'q' || ch == 'Q'))
                    quit = true;
                else if (k == 0 && !tty_in)
                    stdin_open = false;     /* EOF from a pipe: keep going */
            }
        }
        if (quit)
            break;
    }
    s_restore_tty();
    s_tio_saved = false;
    return rc;
}

/* ------------------------------------------------------------------ */
/* keygen                                                               */

/* Writes text to a new file path with mode (never over an existing one). */
static int s_write_new(const char *path, mode_t mode, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        fprintf(stderr, "ordoctl: keygen: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t n = strlen(text);
    bool ok = write(fd, text, n) == (ssize_t)n && fchmod(fd, mode) == 0;
    if (close(fd) != 0 || !ok) {
        fprintf(stderr, "ordoctl: keygen: cannot write %s: %s\n", path, strerror(errno));
        unlink(path);
        return -1;
    }
    return 0;
}

/* ordoctl keygen NAME: NAME.key (secret, 0600) and NAME.pub (0644). */
static int s_keygen(int nargs, char **args)
{
    if (nargs != 1 || !args[0][0]) {
        fprintf(stderr, "ordoctl: usage: ordoctl keygen NAME (writes NAME.key and NAME.pub)\n");
        return 2;
    }
    char pub[41], sec[41], path_key[4096], path_pub[4096], text[4300];
    if (ordo_curve_keypair(pub, sec) < 0) {
        fprintf(stderr, "ordoctl: keygen: %s\n", ordo_last_error());
        return 1;
    }
    snprintf(path_key, sizeof path_key, "%s.key", args[0]);
    snprintf(path_pub, sizeof path_pub, "%s.pub", args[0]);
    snprintf(text, sizeof text, "# ordo CURVE secret key (keep it private; its public key "
             "is in %s)\n%s\n", path_pub, sec);
    int rc = s_write_new(path_key, 0600, text);
    explicit_bzero(text, sizeof text);
    explicit_bzero(sec, sizeof sec);
    if (rc < 0)
        return 1;
    snprintf(text, sizeof text, "# ordo CURVE public key\n%s\n", pub);
    if (s_write_new(path_pub, 0644, text) < 0) {
        unlink(path_key);
        return 1;
    }
    printf("%s\n", pub);
    return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"status-endpoint", required_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},
        {"timeout", required_argument, NULL, 't'},
        {"server-key", required_argument, NULL, 'k'},
        {"secret-key", required_argument, NULL, 'K'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *endpoint = NULL;
    int json = 0;
    double timeout_s = 5.0;
    int c;
    /* "+": stop at the command, so its own arguments may start with '-'. */
    while ((c = getopt_long(argc, argv, "+s:jt:k:K:hV", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            endpoint = optarg;
            break;
        case 'j':
            json = 1;
            break;
        case 't': {
            char *end;
            timeout_s = strtod(optarg, &end);
            if (*end || !(timeout_s > 0) || timeout_s > 86400) {
                fprintf(stderr, "ordoctl: --timeout wants seconds in (0, 86400], not '%s'\n",
                        optarg);
                return 2;
            }
            break;
        }
        case 'k':           /* read by libordo, like the environment */
            setenv("ORDO_CURVE_SERVERKEY", optarg, 1);
            break;
        case 'K':
            setenv("ORDO_CURVE_SECRETKEY", optarg, 1);
            break;
        case 'h':
            s_usage(stdout);
            return 0;
        case 'V':
            printf("ordoctl %s\n", PACKAGE_VERSION);
            return 0;
        default:
            s_usage(stderr);
            return 2;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "ordoctl: which command? (try: ordoctl status)\n");
        s_usage(stderr);
        return 2;
    }
    const char *command = argv[optind];
    if (strcmp(command, "keygen") == 0)
        return s_keygen(argc - optind - 1, argv + optind + 1);
    /* "graph --svg": a local option among the command's arguments. */
    bool svg = false;
    int nargs = argc - optind - 1;
    char **args = argv + optind + 1;
    if (strcmp(command, "graph") == 0) {
        int k = 0;
        for (int i = 0; i < nargs; i++) {
            if (strcmp(args[i], "--svg") == 0)
                svg = true;
            else
                args[k++] = args[i];
        }
        nargs = k;
        if (svg && json) {
            fprintf(stderr, "ordoctl: graph: --svg and --json exclude each other\n");
            return 2;
        }
    }
    if (strcmp(command, "top") == 0 && json) {
        fprintf(stderr, "ordoctl: top is a live view; for JSON use: ordoctl --json status\n");
        return 2;
    }
    char ep[1024];
    if (!endpoint) {
        if (ordo_default_status_endpoint(ep, sizeof ep) < 0) {
            fprintf(stderr, "ordoctl: %s\n", ordo_last_error());
            return 1;
        }
        endpoint = ep;
    }
    int timeout_ms = (int)(timeout_s * 1000.0 + 0.5);
    if (timeout_ms < 1)
        timeout_ms = 1;
    if (strcmp(command, "top") == 0)
        return s_top(endpoint, timeout_ms, nargs, args);
    char *text = NULL;
    int rc = ordo_status_query(endpoint, command, (const char *const *)args, nargs, json,
                               timeout_ms, &text);
    if (rc < 0) {
        fprintf(stderr, "ordoctl: %s: %s\n", command, ordo_last_error());
        ordo_free(text);
        return 1;
    }
    if (svg) {
        int src = s_render_svg(text);
        ordo_free(text);
        return src;
    }
    size_t n = strlen(text);
    fputs(text, stdout);
    if (n == 0 || text[n - 1] != '\n')
        fputc('\n', stdout);
    ordo_free(text);
    return fflush(stdout) == 0 ? 0 : 1;
}
