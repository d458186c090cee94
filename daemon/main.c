/*
 * main.c - ordod: parse the options, load the kernels, serve until a signal.
 *
 * The daemon runs in the foreground, never forks and writes no PID file; it
 * logs to stderr.  Under systemd it reports READY=1 when it serves, STATUS=
 * as it works and STOPPING=1 on SIGTERM (sdnotify.h).  Exit status: 0 after a clean stop
 * (SIGTERM/SIGINT), 1 when it cannot start (including an unsafe runtime
 * directory, key file or kernel), 2 for a usage error.
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ordo_config.h"
#include "kernels.h"
#include "log.h"
#include "ordo.h"
#include "sdnotify.h"
#include "server.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

int main(int argc, char **argv)
{
    char err[1024] = "";
    ordo_config_t *cfg = ordo_config_new();
    if (!cfg) {
        fprintf(stderr, "ordod: out of memory\n");
        return 1;
    }
    int rc = ordo_config_parse_args(cfg, argc, argv, err, sizeof err);
    if (rc == ORDO_CONFIG_HELP) {
        ordo_config_help(stdout, "ordod");
        ordo_config_destroy(&cfg);
        return 0;
    }
    if (rc == ORDO_CONFIG_VERSION) {
        printf("ordod %s (protocol ordo 1.0)\n", PACKAGE_VERSION);
        ordo_config_destroy(&cfg);
        return 0;
    }
    if (rc == 0)
        rc = ordo_config_finish(cfg, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "ordod: %s\n", err);
        ordo_config_destroy(&cfg);
        return rc == ORDO_EINVAL ? 2 : 1;
    }
    ordo_log_set_level((int)cfg->log_level);

    /* Signals are read by the scheduler through a signalfd: block them in
     * every thread, which inherit this mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    ordo_kernels_t *kernels = ordo_kernels_new();
    if (!kernels) {
        ordo_log_error("out of memory");
        ordo_config_destroy(&cfg);
        return 1;
    }
    if (*cfg->kernel_dir && ordo_kernels_load_dir(kernels, cfg->kernel_dir, err, sizeof err) != 0) {
        ordo_log_error("%s", err);
        ordo_kernels_destroy(&kernels);
        ordo_config_destroy(&cfg);
        return 1;
    }
    ordo_server_t *server = ordo_server_new(cfg, kernels, err, sizeof err);
    if (!server) {
        ordo_log_error("%s", err);
        ordo_kernels_destroy(&kernels);
        ordo_config_destroy(&cfg);
        return 1;
    }
    ordo_log_info("ordod ready: endpoint=%s status=%s workers=%llu window=%llu credits=%llu%s",
                  ordo_server_endpoint(server), ordo_server_status_endpoint(server),
                  (unsigned long long)cfg->workers,
                  (unsigned long long)cfg->window, (unsigned long long)cfg->credits,
                  cfg->chaos ? " chaos=on" : "");
    /* Under systemd (Type=notify): ready once both sockets are bound and
     * the workers run, so that units ordered after ordod can connect. */
    char line[128], note[256];
    ordo_server_status_line(server, line, sizeof line);
    snprintf(note, sizeof note, "READY=1\nSTATUS=serving %s: %s", ordo_server_endpoint(server),
             line);
    if (ordo_sdnotify(note) < 0)
        ordo_log_warn("cannot notify systemd (NOTIFY_SOCKET=%s)", getenv("NOTIFY_SOCKET"));
    rc = ordo_server_run(server);
    if (ordo_server_abandoned(server)) {
        /* Kernels may still run on worker threads: keep the server and the
         * plugins loaded, and end the process here. */
        ordo_server_destroy(&server);
        ordo_log_info("stopped (drain timeout)");
        exit(0);
    }
    ordo_server_destroy(&server);
    ordo_kernels_destroy(&kernels);
    ordo_log_info("stopped");
    ordo_config_destroy(&cfg);
    return rc == 0 ? 0 : 1;
}
