/*
 * status.c - status commands (see status.h).
 *
 * "status" is built as a list of sections of typed fields, rendered by one
 * function into INFO text or JSON, so the two forms can never disagree on a
 * key.  The list views (sessions, buffers, tasks) print one INFO line per
 * item ("task_0x100000001:kernel=axpy,session=1,...") or a JSON array; graph
 * is Graphviz DOT, trace Chrome trace JSON, metrics the Prometheus text
 * format.  Arguments are "key=value" strings (StatusRequest.args); an
 * unknown key or a malformed value is refused with ORDO_EINVAL, so that a
 * typo never silently shows everything.
 */
#include <stdio.h>
#include <stdlib.h>
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
        S_NUM("tombstones", g->tombs),
        S_NUM("tombstones_forgotten", g->tombs_forgotten),
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
        S_NUM("index_bytes", g->index_bytes),
        S_NUM("graph_bytes", g->graph_bytes),
        S_NUM("task_record_bytes", in.task_record_bytes),
        S_NUM("task_memory_bytes", g->index_bytes + g->graph_bytes + in.task_record_bytes),
    };
    const ordo_config_t *cfg = in.cfg;
    const s_field_t limits[] = {
        S_NUM("max_message", cfg->max_message),
        S_NUM("max_sessions", cfg->max_sessions),
        S_NUM("max_task_args", cfg->max_task_args),
        S_NUM("max_task_deps", cfg->max_task_deps),
        S_NUM("max_ndim", cfg->max_ndim),
        S_NUM("max_params", cfg->max_params),
        S_NUM("max_session_buffers", cfg->max_session_buffers),
        S_NUM("max_session_bytes", cfg->max_session_bytes),
        S_NUM("max_watch", cfg->max_watch),
        S_NUM("max_tombstones", cfg->max_tombstones),
    };
    const s_section_t secs[] = {
        { "Server", server, S_LEN(server) },
        { "Sessions", sessions, S_LEN(sessions) },
        { "Buffers", buffers, S_LEN(buffers) },
        { "Tasks", tasks, S_LEN(tasks) },
        { "Edges", edges, S_LEN(edges) },
        { "Analysis", analysis, S_LEN(analysis) },
        { "Limits", limits, S_LEN(limits) },
    };
    s_render(secs, S_LEN(secs), req->json, out);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Arguments: "key=value" strings.                                     */

typedef struct {
    const char *state;          /* waiting, ready, running, cancelled */
    uint64_t session;           /* 0: any */
    const char *kernel;         /* NULL: any */
    uint64_t limit;
} s_filter_t;

/* Parses req->args against the keys the command allows (a space-separated
 * list).  Returns 0, or ORDO_EINVAL with the reason in out. */
static int s_parse_args(const ordo_dwire_status_req_t *req, const char *allowed,
                        uint64_t default_limit, s_filter_t *f, ordo_sbuf_t *out)
{
    memset(f, 0, sizeof *f);
    f->limit = default_limit;
    for (size_t i = 0; i < req->nargs; i++) {
        const char *a = req->args[i];
        const char *eq = strchr(a, '=');
        size_t klen = eq ? (size_t)(eq - a) : strlen(a);
        const char *v = eq ? eq + 1 : "";
        bool known = false;
        for (const char *p = allowed; *p;) {
            size_t n = strcspn(p, " ");
            if (n == klen && strncmp(p, a, n) == 0)
                known = true;
            p += n;
            p += strspn(p, " ");
        }
        if (!known || !eq || !*v) {
            ordo_sbuf_printf(out, "%s: bad argument '%.64s': expected key=value with key "
                             "among: %s\n", req->command, a, allowed);
            return ORDO_EINVAL;
        }
        char *end;
        if (strncmp(a, "state", klen) == 0) {
            static const char *const states[] = { "waiting", "ready", "running", "cancelled" };
            f->state = NULL;
            for (size_t k = 0; k < sizeof states / sizeof states[0]; k++)
                if (strcmp(v, states[k]) == 0)
                    f->state = states[k];
            if (!f->state) {
                ordo_sbuf_printf(out, "%s: state '%.32s' is not one of waiting, ready, "
                                 "running, cancelled (finished tasks leave the graph)\n",
                                 req->command, v);
                return ORDO_EINVAL;
            }
        } else if (strncmp(a, "session", klen) == 0) {
            f->session = strtoull(v, &end, 10);
            if (*end || f->session == 0 || v[0] == '-') {
                ordo_sbuf_printf(out, "%s: session '%.32s' is not a session id\n",
                                 req->command, v);
                return ORDO_EINVAL;
            }
        } else if (strncmp(a, "kernel", klen) == 0) {
            f->kernel = v;
        } else if (strncmp(a, "limit", klen) == 0) {
            f->limit = strtoull(v, &end, 10);
            if (*end || v[0] == '-' || f->limit == 0) {
                ordo_sbuf_printf(out, "%s: limit '%.32s' is not a positive number\n",
                                 req->command, v);
                return ORDO_EINVAL;
            }
        }
    }
    return 0;
}

static const char *s_state_name(ordo_task_state_t st)
{
    switch (st) {
    case ORDO_TASK_WAITING: return "waiting";
    case ORDO_TASK_READY: return "ready";
    case ORDO_TASK_RUNNING: return "running";
    case ORDO_TASK_DONE: return "done";
    case ORDO_TASK_FAILED: return "failed";
    case ORDO_TASK_CANCELLED: return "cancelled";
    default: return "unknown";
    }
}

/* ------------------------------------------------------------------ */
/* sessions                                                            */

typedef struct {
    ordo_session_info_t *v;
    size_t n, cap;
    bool oom;
} s_sessions_t;

/* Makes room for one more element of size sz in *v (capacity *cap, n used),
 * doubling from first.  False when out of memory (*v unchanged). */
static bool s_grow(void **v, size_t *cap, size_t n, size_t sz, size_t first)
{
    if (n < *cap)
        return true;
    size_t ncap = *cap ? 2 * *cap : first;
    void *p = realloc(*v, ncap * sz);
    if (!p)
        return false;
    *v = p;
    *cap = ncap;
    return true;
}

static void s_collect_session(void *arg, const ordo_session_info_t *s)
{
    s_sessions_t *l = arg;
    if (!s_grow((void **)&l->v, &l->cap, l->n, sizeof *l->v, 16)) {
        l->oom = true;
        return;
    }
    l->v[l->n++] = *s;
}

static int s_by_session_id(const void *a, const void *b)
{
    uint32_t x = ((const ordo_session_info_t *)a)->id, y = ((const ordo_session_info_t *)b)->id;
    return x < y ? -1 : x > y;
}

static int s_cmd_sessions(ordo_server_t *srv, const ordo_dwire_status_req_t *req,
                          ordo_sbuf_t *out)
{
    s_filter_t f;
    if (s_parse_args(req, "", 0, &f, out))
        return ORDO_EINVAL;
    s_sessions_t l = { 0 };
    ordo_server_sessions(srv, s_collect_session, &l);
    if (l.oom) {
        free(l.v);
        return ORDO_ENOMEM;
    }
    if (l.n > 1) /* l.v may be NULL when there is none */
        qsort(l.v, l.n, sizeof *l.v, s_by_session_id);
    if (req->json)
        ordo_sbuf_printf(out, "{\"sessions\":[");
    else
        ordo_sbuf_printf(out, "# Sessions\nsessions_active:%zu\n", l.n);
    for (size_t i = 0; i < l.n; i++) {
        const ordo_session_info_t *s = &l.v[i];
        if (req->json) {
            ordo_sbuf_printf(out, "%s{\"id\":%u,\"client\":", i ? "," : "", s->id);
            ordo_sbuf_json_string(out, s->client);
            ordo_sbuf_printf(out, ",\"next_seq\":%llu,\"unfinished\":%llu,\"buffers\":%llu,"
                             "\"queued\":%llu,\"blocked\":%s,\"attached\":%s,\"idle_ms\":%llu}",
                             (unsigned long long)s->next_seq,
                             (unsigned long long)s->unfinished,
                             (unsigned long long)s->handles, (unsigned long long)s->queued,
                             s->blocked ? "true" : "false", s->attached ? "true" : "false",
                             (unsigned long long)s->idle_ms);
        } else {
            /* Client names are printable ASCII (the daemon filtered them);
             * ',' would break the line's format, so it becomes '_'. */
            char client[64];
            size_t k = 0;
            for (; s->client[k] && k + 1 < sizeof client; k++)
                client[k] = s->client[k] == ',' || s->client[k] == ' ' ? '_' : s->client[k];
            client[k] = '\0';
            ordo_sbuf_printf(out, "session_%u:client=%s,next_seq=%llu,unfinished=%llu,"
                             "buffers=%llu,queued=%llu,state=%s,idle_ms=%llu\n", s->id,
                             k ? client : "-", (unsigned long long)s->next_seq,
                             (unsigned long long)s->unfinished, (unsigned long long)s->handles,
                             (unsigned long long)s->queued,
                             !s->attached ? "gone" : s->blocked ? "blocked" : "attached",
                             (unsigned long long)s->idle_ms);
        }
    }
    if (req->json)
        ordo_sbuf_printf(out, "]}\n");
    free(l.v);
    return 0;
}

/* ------------------------------------------------------------------ */
/* buffers                                                             */

typedef struct {
    const ordo_buffer_t **v;
    size_t n, cap;
    bool oom;
} s_buffers_t;

static void s_collect_buffer(void *arg, const ordo_buffer_t *b)
{
    s_buffers_t *l = arg;
    if (!s_grow((void **)&l->v, &l->cap, l->n, sizeof *l->v, 16)) {
        l->oom = true;
        return;
    }
    l->v[l->n++] = b;
}

static int s_by_buffer_id(const void *a, const void *b)
{
    uint64_t x = (*(const ordo_buffer_t *const *)a)->id;
    uint64_t y = (*(const ordo_buffer_t *const *)b)->id;
    return x < y ? -1 : x > y;
}

static int s_cmd_buffers(ordo_server_t *srv, const ordo_dwire_status_req_t *req,
                         ordo_sbuf_t *out)
{
    s_filter_t f;
    if (s_parse_args(req, "session", 0, &f, out))
        return ORDO_EINVAL;
    s_buffers_t l = { 0 };
    ordo_server_buffers(srv, s_collect_buffer, &l);
    if (l.oom) {
        free(l.v);
        return ORDO_ENOMEM;
    }
    if (l.n > 1) /* l.v may be NULL when there is none */
        qsort(l.v, l.n, sizeof *l.v, s_by_buffer_id);
    uint64_t bytes = 0;
    size_t shown = 0;
    for (size_t i = 0; i < l.n; i++)
        if (!f.session || l.v[i]->owner == f.session)
            bytes += l.v[i]->size, shown++;
    if (req->json)
        ordo_sbuf_printf(out, "{\"count\":%zu,\"bytes\":%llu,\"buffers\":[", shown,
                         (unsigned long long)bytes);
    else
        ordo_sbuf_printf(out, "# Buffers\nbuffers:%zu\nbuffer_bytes:%llu\n", shown,
                         (unsigned long long)bytes);
    bool first = true;
    for (size_t i = 0; i < l.n; i++) {
        const ordo_buffer_t *b = l.v[i];
        if (f.session && b->owner != f.session)
            continue;
        const char *state = b->dead ? "released" : "live";
        if (req->json) {
            ordo_sbuf_printf(out, "%s{\"id\":%llu,\"size\":%llu,\"name\":", first ? "" : ",",
                             (unsigned long long)b->id, (unsigned long long)b->size);
            if (b->name)
                ordo_sbuf_json_string(out, b->name);
            else
                ordo_sbuf_printf(out, "null");
            ordo_sbuf_printf(out, ",\"owner\":%u,\"holders\":%u,\"task_refs\":%llu,"
                             "\"accesses\":%zu,\"state\":\"%s\"}", b->owner, b->holders,
                             (unsigned long long)b->task_refs, ordo_index_live(&b->index),
                             state);
        } else {
            ordo_sbuf_printf(out, "buffer_%llu:size=%llu,name=%s,owner=%u,holders=%u,"
                             "task_refs=%llu,accesses=%zu,state=%s\n",
                             (unsigned long long)b->id, (unsigned long long)b->size,
                             b->name ? b->name : "-", b->owner, b->holders,
                             (unsigned long long)b->task_refs, ordo_index_live(&b->index),
                             state);
        }
        first = false;
    }
    if (req->json)
        ordo_sbuf_printf(out, "]}\n");
    free(l.v);
    return 0;
}

/* ------------------------------------------------------------------ */
/* tasks and graph: the live tasks, filtered                           */

typedef struct {
    const s_filter_t *f;
    ordo_task_info_t *v;
    size_t n, cap;
    uint64_t live, matched;
    bool oom;
} s_tasks_t;

static bool s_match(const s_filter_t *f, const ordo_task_info_t *t)
{
    if (f->state && strcmp(f->state, s_state_name(t->state)) != 0)
        return false;
    if (f->session && t->session != f->session)
        return false;
    if (f->kernel && (!t->kernel || strcmp(f->kernel, t->kernel) != 0))
        return false;
    return true;
}

static void s_collect_task(void *arg, const ordo_task_info_t *t)
{
    s_tasks_t *l = arg;
    l->live++;
    if (!s_match(l->f, t))
        return;
    l->matched++;
    if (!s_grow((void **)&l->v, &l->cap, l->n, sizeof *l->v, 64)) {
        l->oom = true;
        return;
    }
    l->v[l->n++] = *t;
}

static int s_by_task_id(const void *a, const void *b)
{
    uint64_t x = ((const ordo_task_info_t *)a)->id, y = ((const ordo_task_info_t *)b)->id;
    return x < y ? -1 : x > y;
}

/* The live tasks that pass f, the oldest f->limit of them, by id. */
static int s_live_tasks(ordo_server_t *srv, const s_filter_t *f, s_tasks_t *l)
{
    memset(l, 0, sizeof *l);
    l->f = f;
    ordo_server_visitor_t v = { s_collect_task, NULL };
    ordo_server_walk(srv, &v, l);
    if (l->oom) {
        free(l->v);
        l->v = NULL;
        return ORDO_ENOMEM;
    }
    if (l->n > 1) /* l->v is NULL when nothing matched: qsort must not see it */
        qsort(l->v, l->n, sizeof *l->v, s_by_task_id);
    if (l->n > f->limit)
        l->n = (size_t)f->limit;
    return 0;
}

#define S_TASK_ARGS "state session kernel limit"
#define S_TASK_LIMIT 1000

static int s_cmd_tasks(ordo_server_t *srv, const ordo_dwire_status_req_t *req,
                       ordo_sbuf_t *out)
{
    s_filter_t f;
    if (s_parse_args(req, S_TASK_ARGS, S_TASK_LIMIT, &f, out))
        return ORDO_EINVAL;
    s_tasks_t l;
    if (s_live_tasks(srv, &f, &l))
        return ORDO_ENOMEM;
    if (req->json)
        ordo_sbuf_printf(out, "{\"live\":%llu,\"matched\":%llu,\"shown\":%zu,\"tasks\":[",
                         (unsigned long long)l.live, (unsigned long long)l.matched, l.n);
    else
        ordo_sbuf_printf(out, "# Tasks\nlive:%llu\nmatched:%llu\nshown:%zu\n",
                         (unsigned long long)l.live, (unsigned long long)l.matched, l.n);
    for (size_t i = 0; i < l.n; i++) {
        const ordo_task_info_t *t = &l.v[i];
        if (req->json) {
            ordo_sbuf_printf(out, "%s{\"id\":\"0x%llx\",\"session\":%u,\"seq\":%llu,"
                             "\"kernel\":", i ? "," : "", (unsigned long long)t->id,
                             t->session, (unsigned long long)ORDO_TASK_SEQ(t->id));
            if (t->kernel)
                ordo_sbuf_json_string(out, t->kernel);
            else
                ordo_sbuf_printf(out, "null");
            ordo_sbuf_printf(out, ",\"state\":\"%s\",\"age_us\":%llu}",
                             s_state_name(t->state), (unsigned long long)t->age_us);
        } else {
            ordo_sbuf_printf(out, "task_0x%llx:kernel=%s,session=%u,seq=%llu,state=%s,"
                             "age_us=%llu\n", (unsigned long long)t->id,
                             t->kernel ? t->kernel : "-", t->session,
                             (unsigned long long)ORDO_TASK_SEQ(t->id), s_state_name(t->state),
                             (unsigned long long)t->age_us);
        }
    }
    if (req->json)
        ordo_sbuf_printf(out, "]}\n");
    free(l.v);
    return 0;
}

/* Colours of the graph: tasks by state, edges by kind (several kinds make
 * a Graphviz colour list, drawn as parallel lines). */
static const char *s_state_colour(ordo_task_state_t st)
{
    switch (st) {
    case ORDO_TASK_WAITING: return "lightgoldenrod1";
    case ORDO_TASK_READY: return "lightskyblue";
    case ORDO_TASK_RUNNING: return "palegreen";
    case ORDO_TASK_CANCELLED: return "gray80";
    default: return "white";
    }
}

static const struct {
    unsigned bit;
    const char *name, *colour;
} s_kinds[] = {
    { ORDO_EDGE_RAW, "RAW", "blue" },
    { ORDO_EDGE_WAR, "WAR", "red" },
    { ORDO_EDGE_WAW, "WAW", "darkorange" },
    { ORDO_EDGE_EXPLICIT, "explicit", "black" },
};

typedef struct {
    const s_tasks_t *tasks;
    ordo_sbuf_t *out;
    bool json;
    size_t edges;
} s_graph_ctx_t;

static bool s_shown(const s_tasks_t *l, uint64_t id)
{
    ordo_task_info_t key = { .id = id };
    return l->n && bsearch(&key, l->v, l->n, sizeof *l->v, s_by_task_id) != NULL;
}

static void s_graph_edge(void *arg, uint64_t from, uint64_t to, unsigned kinds)
{
    s_graph_ctx_t *ctx = arg;
    if (!s_shown(ctx->tasks, from) || !s_shown(ctx->tasks, to))
        return;
    char label[64] = "", colour[64] = "";
    for (size_t k = 0; k < sizeof s_kinds / sizeof s_kinds[0]; k++) {
        if (!(kinds & s_kinds[k].bit))
            continue;
        size_t ll = strlen(label), cl = strlen(colour);
        snprintf(label + ll, sizeof label - ll, "%s%s", ll ? "+" : "", s_kinds[k].name);
        snprintf(colour + cl, sizeof colour - cl, "%s%s", cl ? ":" : "", s_kinds[k].colour);
    }
    if (ctx->json) {
        ordo_sbuf_printf(ctx->out, "%s{\"from\":\"0x%llx\",\"to\":\"0x%llx\",\"kinds\":[",
                         ctx->edges ? "," : "", (unsigned long long)from,
                         (unsigned long long)to);
        bool first = true;
        for (size_t k = 0; k < sizeof s_kinds / sizeof s_kinds[0]; k++)
            if (kinds & s_kinds[k].bit) {
                ordo_sbuf_printf(ctx->out, "%s\"%s\"", first ? "" : ",", s_kinds[k].name);
                first = false;
            }
        ordo_sbuf_printf(ctx->out, "]}");
    } else {
        ordo_sbuf_printf(ctx->out, "  \"0x%llx\" -> \"0x%llx\" [label=\"%s\", color=\"%s\", "
                         "fontcolor=\"%s\"%s];\n", (unsigned long long)from,
                         (unsigned long long)to, label, colour,
                         strchr(colour, ':') ? "black" : colour,
                         kinds == ORDO_EDGE_EXPLICIT ? ", style=dashed" : "");
    }
    ctx->edges++;
}

static int s_cmd_graph(ordo_server_t *srv, const ordo_dwire_status_req_t *req,
                       ordo_sbuf_t *out)
{
    s_filter_t f;
    if (s_parse_args(req, S_TASK_ARGS, S_TASK_LIMIT, &f, out))
        return ORDO_EINVAL;
    s_tasks_t l;
    if (s_live_tasks(srv, &f, &l))
        return ORDO_ENOMEM;
    if (req->json) {
        ordo_sbuf_printf(out, "{\"live\":%llu,\"shown\":%zu,\"nodes\":[",
                         (unsigned long long)l.live, l.n);
    } else {
        ordo_sbuf_printf(out, "digraph ordo {\n"
                         "  // live tasks: %llu, shown: %zu (oldest first; limit=N for more)\n"
                         "  graph [rankdir=LR, fontname=\"Helvetica\", label=\"ordod: live "
                         "dependency graph (%zu of %llu tasks)\"];\n"
                         "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\"];\n"
                         "  edge [fontname=\"Helvetica\", fontsize=10];\n",
                         (unsigned long long)l.live, l.n, l.n, (unsigned long long)l.live);
    }
    for (size_t i = 0; i < l.n; i++) {
        const ordo_task_info_t *t = &l.v[i];
        if (req->json) {
            ordo_sbuf_printf(out, "%s{\"id\":\"0x%llx\",\"session\":%u,\"kernel\":",
                             i ? "," : "", (unsigned long long)t->id, t->session);
            if (t->kernel)
                ordo_sbuf_json_string(out, t->kernel);
            else
                ordo_sbuf_printf(out, "null");
            ordo_sbuf_printf(out, ",\"state\":\"%s\"}", s_state_name(t->state));
        } else {
            /* Kernel names are printable ASCII; quotes and backslashes are
             * escaped for DOT. */
            ordo_sbuf_printf(out, "  \"0x%llx\" [label=\"0x%llx\\n", (unsigned long long)t->id,
                             (unsigned long long)t->id);
            for (const char *p = t->kernel ? t->kernel : "-"; *p; p++)
                ordo_sbuf_printf(out, "%s%c", *p == '"' || *p == '\\' ? "\\" : "", *p);
            ordo_sbuf_printf(out, "\\n%s\", fillcolor=\"%s\"];\n", s_state_name(t->state),
                             s_state_colour(t->state));
        }
    }
    if (req->json)
        ordo_sbuf_printf(out, "],\"edges\":[");
    s_graph_ctx_t ctx = { &l, out, req->json, 0 };
    ordo_server_visitor_t v = { NULL, s_graph_edge };
    ordo_server_walk(srv, &v, &ctx);
    ordo_sbuf_printf(out, req->json ? "]}\n" : "}\n");
    free(l.v);
    return 0;
}

/* ------------------------------------------------------------------ */
/* trace: Chrome trace JSON (chrome://tracing, ui.perfetto.dev)       */

typedef struct {
    const s_filter_t *f;
    ordo_sbuf_t *out;
    uint64_t origin, skip, shown;
    uint32_t workers;
} s_trace_ctx_t;

static bool s_trace_match(const s_filter_t *f, const ordo_trace_rec_t *r)
{
    return (!f->session || r->session == f->session) &&
           (!f->kernel || strcmp(f->kernel, r->kernel) == 0);
}

static void s_trace_count(void *arg, const ordo_trace_rec_t *r)
{
    s_trace_ctx_t *ctx = arg;
    if (s_trace_match(ctx->f, r))
        ctx->skip++;
}

static void s_trace_event(void *arg, const ordo_trace_rec_t *r)
{
    s_trace_ctx_t *ctx = arg;
    if (!s_trace_match(ctx->f, r))
        return;
    if (ctx->skip) {        /* only the last limit records */
        ctx->skip--;
        return;
    }
    uint64_t start = r->started_ns > ctx->origin ? r->started_ns - ctx->origin : 0;
    uint64_t dur = r->finished_ns > r->started_ns ? r->finished_ns - r->started_ns : 0;
    uint64_t wait = r->started_ns > r->accepted_ns ? r->started_ns - r->accepted_ns : 0;
    ordo_sbuf_printf(ctx->out, ",\n{\"name\":");
    ordo_sbuf_json_string(ctx->out, r->kernel);
    ordo_sbuf_printf(ctx->out, ",\"cat\":\"task\",\"ph\":\"X\",\"pid\":1,\"tid\":%u,"
                     "\"ts\":%llu.%03llu,\"dur\":%llu.%03llu,\"args\":{\"id\":\"0x%llx\","
                     "\"kernel\":", r->worker, (unsigned long long)(start / 1000),
                     (unsigned long long)(start % 1000), (unsigned long long)(dur / 1000),
                     (unsigned long long)(dur % 1000), (unsigned long long)r->id);
    ordo_sbuf_json_string(ctx->out, r->kernel);
    ordo_sbuf_printf(ctx->out, ",\"session\":%u,\"seq\":%llu,\"wait_us\":%llu.%03llu,"
                     "\"status\":\"%s\"}}", r->session,
                     (unsigned long long)ORDO_TASK_SEQ(r->id), (unsigned long long)(wait / 1000),
                     (unsigned long long)(wait % 1000), r->failed ? "failed" : "done");
    ctx->shown++;
}

static int s_cmd_trace(ordo_server_t *srv, const ordo_dwire_status_req_t *req,
                       ordo_sbuf_t *out)
{
    s_filter_t f;
    if (s_parse_args(req, "session kernel limit", UINT64_MAX, &f, out))
        return ORDO_EINVAL;
    ordo_server_info_t in;
    ordo_server_info(srv, &in);
    s_trace_ctx_t ctx = { &f, out, ordo_server_start_ns(srv), 0, 0, (uint32_t)in.workers };
    uint64_t total = ordo_server_trace(srv, s_trace_count, &ctx);
    ctx.skip = ctx.skip > f.limit ? ctx.skip - f.limit : 0;
    /* Metadata first: the process and one named track per worker. */
    ordo_sbuf_printf(out, "{\"displayTimeUnit\":\"ms\",\"otherData\":{\"version\":\"ordod %s\","
                     "\"tasks_finished\":%llu},\n\"traceEvents\":[\n"
                     "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"args\":"
                     "{\"name\":\"ordod (pid %llu)\"}}", in.version,
                     (unsigned long long)total, (unsigned long long)in.pid);
    /* Track `workers` is the scheduler thread: inline kernels run there. */
    for (uint32_t w = 0; w <= ctx.workers; w++) {
        char name[32];
        if (w < ctx.workers)
            snprintf(name, sizeof name, "worker %u", w);
        else
            snprintf(name, sizeof name, "scheduler (inline)");
        ordo_sbuf_printf(out, ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%u,"
                         "\"args\":{\"name\":\"%s\"}},\n{\"name\":\"thread_sort_index\","
                         "\"ph\":\"M\",\"pid\":1,\"tid\":%u,\"args\":{\"sort_index\":%u}}",
                         w, name, w, w);
    }
    ordo_server_trace(srv, s_trace_event, &ctx);
    ordo_sbuf_printf(out, "\n]}\n");
    return 0;
}

/* ------------------------------------------------------------------ */
/* metrics: Prometheus text exposition format 0.0.4                    */

typedef struct {
    const char *name, *type, *help;
    const char *label;          /* "kind=\"raw\"", or NULL */
    uint64_t value;
} s_metric_t;

static int s_cmd_metrics(ordo_server_t *srv, const ordo_dwire_status_req_t *req,
                         ordo_sbuf_t *out)
{
    s_filter_t f;
    if (s_parse_args(req, "", 0, &f, out))
        return ORDO_EINVAL;
    ordo_server_info_t in;
    ordo_server_info(srv, &in);
    const ordo_graph_stats_t *g = &in.graph;
    /* Rows of one family follow each other; HELP and TYPE are written once
     * per family, before its first row. */
    const s_metric_t m[] = {
        { "ordo_uptime_seconds", "gauge", "Seconds since ordod started.", NULL, in.uptime_s },
        { "ordo_workers", "gauge", "Kernel worker threads.", NULL, in.workers },
        { "ordo_window_tasks", "gauge", "Most unfinished tasks the daemon holds (--window).",
          NULL, in.window },
        { "ordo_window_used_tasks", "gauge", "Tasks the graph holds now.", NULL, g->live },
        { "ordo_sessions", "gauge", "Sessions now.", NULL, in.sessions_active },
        { "ordo_sessions_started_total", "counter", "Sessions started since the start.", NULL,
          in.sessions_total },
        { "ordo_buffers", "gauge", "Buffers whose memory is held.", NULL, in.buffers },
        { "ordo_buffer_bytes", "gauge", "Bytes of the buffers held.", NULL, in.buffer_bytes },
        { "ordo_tasks_accepted_total", "counter",
          "Task ids accepted (rejected ones included, as failed).", NULL, g->accepted },
        { "ordo_tasks_finished_total", "counter", "Tasks that reached a terminal state.",
          "status=\"done\"", g->done },
        { "ordo_tasks_finished_total", NULL, NULL, "status=\"failed\"", g->failed },
        { "ordo_tasks_finished_total", NULL, NULL, "status=\"cancelled\"", g->cancelled },
        { "ordo_tasks", "gauge", "Unfinished tasks by state.", "state=\"waiting\"", g->waiting },
        { "ordo_tasks", NULL, NULL, "state=\"ready\"", g->ready },
        { "ordo_tasks", NULL, NULL, "state=\"running\"", g->running },
        { "ordo_edges_total", "counter", "Dependency edges by kind (an edge may have several).",
          "kind=\"raw\"", g->edges_raw },
        { "ordo_edges_total", NULL, NULL, "kind=\"war\"", g->edges_war },
        { "ordo_edges_total", NULL, NULL, "kind=\"waw\"", g->edges_waw },
        { "ordo_edges_total", NULL, NULL, "kind=\"explicit\"", g->edges_explicit },
        { "ordo_edges_distinct_total", "counter", "Dependency edges (each counted once).", NULL,
          g->edges },
        { "ordo_overlap_tests_total", "counter", "Footprint overlap tests.", NULL,
          g->geom.overlap_tests },
        { "ordo_overlap_solved_total", "counter",
          "Overlap tests that needed the exact lattice solver.", NULL, g->geom.overlap_solved },
        { "ordo_conservative_answers_total", "counter",
          "Overlap tests answered conservatively (possibly a false edge).", NULL,
          g->geom.conservative },
        { "ordo_accesses_live", "gauge", "Accesses in the access indexes.", NULL,
          g->index_accesses },
        { "ordo_accesses_retired_total", "counter",
          "Accesses retired by a containing write.", NULL, g->retired },
        { "ordo_index_bytes", "gauge", "Bytes of interval-tree nodes the indexes hold.", NULL,
          g->index_bytes },
        { "ordo_graph_bytes", "gauge",
          "Bytes of the task graph's tables (slots, id map, edges, accesses).", NULL,
          g->graph_bytes },
        { "ordo_task_record_bytes", "gauge",
          "Bytes of the task records and their arguments, pooled ones included.", NULL,
          in.task_record_bytes },
    };
    ordo_sbuf_printf(out, "# HELP ordo_info ordod's version.\n# TYPE ordo_info gauge\n"
                     "ordo_info{version=\"%s\"} 1\n", in.version);
    for (size_t i = 0; i < S_LEN(m); i++) {
        if (m[i].help)
            ordo_sbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", m[i].name, m[i].help,
                             m[i].name, m[i].type);
        if (m[i].label)
            ordo_sbuf_printf(out, "%s{%s} %llu\n", m[i].name, m[i].label,
                             (unsigned long long)m[i].value);
        else
            ordo_sbuf_printf(out, "%s %llu\n", m[i].name, (unsigned long long)m[i].value);
    }
    return 0;
}

/* ------------------------------------------------------------------ */

typedef struct {
    const char *name;
    int (*fn)(ordo_server_t *srv, const ordo_dwire_status_req_t *req, ordo_sbuf_t *out);
    const char *help;
} s_command_t;

static int s_cmd_help(ordo_server_t *srv, const ordo_dwire_status_req_t *req,
                      ordo_sbuf_t *out);

static const s_command_t s_commands[] = {
    { "status", s_cmd_status, "counters of the daemon (INFO text, or JSON)" },
    { "sessions", s_cmd_sessions, "the sessions, one line each" },
    { "buffers", s_cmd_buffers, "the buffers held [session=N]" },
    { "tasks", s_cmd_tasks, "the live tasks [state=S session=N kernel=K limit=N]" },
    { "graph", s_cmd_graph, "the live dependency graph as DOT (JSON with --json), same "
      "filters as tasks" },
    { "trace", s_cmd_trace, "recent finished tasks as Chrome trace JSON [session=N kernel=K "
      "limit=N]" },
    { "metrics", s_cmd_metrics, "the counters in the Prometheus text format" },
    { "help", s_cmd_help, "this list" },
};

static int s_cmd_help(ordo_server_t *srv, const ordo_dwire_status_req_t *req,
                      ordo_sbuf_t *out)
{
    for (size_t i = 0; i < S_LEN(s_commands); i++)
        ordo_sbuf_printf(out, "%-9s %s\n", s_commands[i].name, s_commands[i].help);
    return 0;
}

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
