/*
 * ordoctl - ask a running ordod about its state, through its status socket.
 *
 * A thin client on purpose: it sends the command and its arguments as one
 * StatusRequest (ordo_status_query) and prints the daemon's answer, INFO
 * style text or JSON.  Every view lives in the daemon, which alone knows its
 * state, so a new status command never needs a new ordoctl.
 *
 * Exit status: 0 when the daemon answered the command, 1 when it refused it
 * or did not answer within the timeout, 2 on a usage error.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ordo.h"

static void s_usage(FILE *out)
{
    fprintf(out,
            "usage: ordoctl [OPTIONS] COMMAND [ARGS...]\n"
            "\n"
            "Ask a running ordod through its status socket.\n"
            "\n"
            "commands (answered by the daemon):\n"
            "  status        counters: server, sessions, buffers, tasks, edges, analysis\n"
            "  (the daemon may know more: sessions, buffers, tasks, graph, trace, metrics)\n"
            "\n"
            "options:\n"
            "  -s, --status-endpoint E  status socket (default: $ORDO_STATUS_ENDPOINT, else\n"
            "                           ipc://$XDG_RUNTIME_DIR/ordo/status.sock)\n"
            "  -j, --json               machine-readable JSON instead of text\n"
            "  -t, --timeout S          seconds to wait for the answer (default 5)\n"
            "  -h, --help               this text\n"
            "  -V, --version            ordoctl's version\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"status-endpoint", required_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *endpoint = NULL;
    int json = 0;
    double timeout_s = 5.0;
    int c;
    /* "+": stop at the command, so its own arguments may start with '-'. */
    while ((c = getopt_long(argc, argv, "+s:jt:hV", opts, NULL)) != -1) {
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
    char *text = NULL;
    int rc = ordo_status_query(endpoint, command, (const char *const *)argv + optind + 1,
                               argc - optind - 1, json, timeout_ms, &text);
    if (rc < 0) {
        fprintf(stderr, "ordoctl: %s: %s\n", command, ordo_last_error());
        ordo_free(text);
        return 1;
    }
    size_t n = strlen(text);
    fputs(text, stdout);
    if (n == 0 || text[n - 1] != '\n')
        fputc('\n', stdout);
    ordo_free(text);
    return fflush(stdout) == 0 ? 0 : 1;
}
