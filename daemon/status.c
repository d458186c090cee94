/*
 * status.c - status commands (see status.h).
 *
 * "status" is built as a list of sections of typed fields, rendered by one
 * function into INFO text or JSON, so the two forms can never disagree on a
 * key.
 */
#include <string.h>

#include "status.h"

typedef struct {
    const char *key;
    const char *text;           /* string value, or NULL for num */
    uint64_t num;
} s_field_t;

typedef struct {
    const char *title;          /* "Server"; JSON key is its lower case */
    const s_field_t *fields;
    size_t n;
} s_section_t;

static void s_render(const s_section_t *secs, size_t nsecs, bool json, ordo_sbuf_t *out)
{
    if (json)
        ordo_sbuf_printf(out, "{");
    for (size_t i = 0; i < nsecs; i++) {
        const s_section_t *s = &secs[i];
        if (json) {
            char key[32];
            size_t k = 0;
            for (; s->title[k] && k + 1 < sizeof key; k++)
                key[k] = (char)(s->title[k] >= 'A' && s->title[k] <= 'Z'
                                    ? s->title[k] - 'A' + 'a' : s->title[k]);
            key[k] = '\0';
            ordo_sbuf_printf(out, "%s\"%s\":{", i ? "," : "", key);
        } else {
            ordo_sbuf_printf(out, "%s# %s\n", i ? "\n" : "", s->title);
        }
        for (size_t j = 0; j < s->n; j++) {
            const s_field_t *f = &s->fields[j];
            if (json) {
                ordo_sbuf_printf(out, "%s\"%s\":", j ? "," : "", f->key);
                if (f->text)
                    ordo_sbuf_json_string(out, f->text);
                else
                    ordo_sbuf_printf(out, "%llu", (unsigned long long)f->num);
            } else if (f->text) {
                ordo_sbuf_printf(out, "%s:%s\n", f->key, f->text);
            } else {
                ordo_sbuf_printf(out, "%s:%llu\n", f->key, (unsigned long long)f->num);
            }
        }
        if (json)
            ordo_sbuf_printf(out, "}");
    }
    if (json)
        ordo_sbuf_printf(out, "}\n");
}

#define S_NUM(k, v) { (k), NULL, (uint64_t)(v) }
#define S_LEN(a) (sizeof(a) / sizeof((a)[0]))

static int s_cmd_status(ordo_server_t *srv, const ordo_dwire_status_req_t *req,
                        ordo_sbuf_t *out)
{
    ordo_server_info_t in;
    ordo_server_info(srv, &in);
    const ordo_graph_stats_t *g = &in.graph;
    const s_field_t server[] = {
        { "version", in.version, 0 },
        S_NUM("pid", in.pid),
        S_NUM("uptime_s", in.uptime_s),
        S_NUM("workers", in.workers),
        S_NUM("window", in.window),
        S_NUM("credits", in.credits),
        S_NUM("chaos_seed", in.chaos_seed),
    };
    const s_field_t sessions[] = {
        S_NUM("sessions_active", in.sessions_active),
        S_NUM("sessions_total", in.sessions_total),
    };
    const s_field_t buffers[] = {
        S_NUM("buffers", in.buffers),
        S_NUM("buffer_bytes", in.buffer_bytes),
    };
    const s_field_t tasks[] = {
        S_NUM("tasks_accepted", g->accepted),
        S_NUM("tasks_waiting", g->waiting),
        S_NUM("tasks_ready", g->ready),
        S_NUM("tasks_running", g->running),
        S_NUM("tasks_done", g->done),
        S_NUM("tasks_failed", g->failed),
        S_NUM("tasks_cancelled", g->cancelled),
        S_NUM("window_used", g->live),
    };
    const s_field_t edges[] = {
        S_NUM("edges_total", g->edges),
        S_NUM("edges_raw", g->edges_raw),
        S_NUM("edges_war", g->edges_war),
        S_NUM("edges_waw", g->edges_waw),
        S_NUM("edges_explicit", g->edges_explicit),
    };
    const s_field_t analysis[] = {
        S_NUM("overlap_tests", g->geom.overlap_tests),
        S_NUM("overlap_solved", g->geom.overlap_solved),
        S_NUM("conservative_answers", g->geom.conservative),
        S_NUM("accesses_live", g->index_accesses),
        S_NUM("accesses_retired", g->retired),
    };
    const s_section_t secs[] = {
        { "Server", server, S_LEN(server) },
        { "Sessions", sessions, S_LEN(sessions) },
        { "Buffers", buffers, S_LEN(buffers) },
        { "Tasks", tasks, S_LEN(tasks) },
        { "Edges", edges, S_LEN(edges) },
        { "Analysis", analysis, S_LEN(analysis) },
    };
    s_render(secs, S_LEN(secs), req->json, out);
    return 0;
}

typedef struct {
    const char *name;
    int (*fn)(ordo_server_t *srv, const ordo_dwire_status_req_t *req, ordo_sbuf_t *out);
    const char *help;
} s_command_t;

static const s_command_t s_commands[] = {
    { "status", s_cmd_status, "counters of the daemon (INFO text, or JSON)" },
};

int ordo_status_dispatch(ordo_server_t *srv, const ordo_dwire_status_req_t *req,
                         ordo_sbuf_t *out)
{
    for (size_t i = 0; i < S_LEN(s_commands); i++)
        if (strcmp(req->command, s_commands[i].name) == 0)
            return s_commands[i].fn(srv, req, out);
    ordo_sbuf_printf(out, "unknown command '%.64s'; known commands:", req->command);
    for (size_t i = 0; i < S_LEN(s_commands); i++)
        ordo_sbuf_printf(out, "%s %s", i ? "," : "", s_commands[i].name);
    ordo_sbuf_printf(out, "\n");
    return ORDO_EINVAL;
}
