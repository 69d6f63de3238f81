/* admin.c — see admin.h. Bodies are rendered whole (they are small) and
 * written in chunks as the socket allows. */
#include "admin.h"
#include "host.h"
#include "log.h"
#include "markets.h"
#include "planner.h"
#include "private.h"
#include "registry.h"
#include "router.h"
#include "util.h"
#include "workers.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ADMIN_CHUNK 16384

typedef struct admin_pss {
    char *body;
    size_t len, off;
} admin_pss;

static char *admin_token;
static char admin_iface[64];


/* ---- shared facts ------------------------------------------------------ */

static const char *state_name(conn_state s)
{
    return s == CONN_UP ? "up" : s == CONN_CONNECTING ? "connecting" : "down";
}

static const char *inst_state_name(inst_state s)
{
    static const char *const names[] = {"starting", "running", "stopping", "failed"};
    return (unsigned)s < 4 ? names[s] : "?";
}

static const char *const type_names[8] = {"unknown", "ticker", "trade", "orderbook", "candle",
                                          "myOrder", "myAsset", "other"};

static double age_s(int64_t wall_ns)
{
    return wall_ns ? (double)(util_wall_ns() - wall_ns) / 1e9 : -1;
}

/* ---- GET /health --------------------------------------------------------- */

static json_t *conn_json(conn *c)
{
    const conn_stats *cs = conn_get_stats(c);
    ratelimit *rl = conn_ratelimit(c);
    int64_t now = util_mono_ns();
    json_t *o = json_pack("{s:s, s:s, s:f, s:I, s:I}", "name", conn_name(c), "state",
                          state_name(conn_get_state(c)), "since_s", age_s(cs->state_since_ns),
                          "reconnects", (json_int_t)cs->reconnects, "refusals", (json_int_t)cs->refusals);
    json_object_set_new(o, "last_message_age_s", json_real(age_s(cs->last_rx_ns)));
    json_object_set_new(o, "ratelimit_tokens",
                        json_pack("{s:i, s:i}", "per_second", gcra_tokens(&rl->per_sec, now),
                                  "per_minute", gcra_tokens(&rl->per_min, now)));
    if (conn_get_state(c) != CONN_UP)
        json_object_set_new(o, "reason", json_string(conn_down_reason(c)));
    return o;
}

static json_t *plugin_health(instance *i)
{
    pthread_mutex_lock(&i->lock);
    json_t *err = i->last_error[0] ? json_string(i->last_error) : json_null();
    pthread_mutex_unlock(&i->lock);
    return json_pack("{s:s, s:s, s:I, s:I, s:I, s:o}", "name", i->name, "state", inst_state_name(i->state),
                     "queue_depth", (json_int_t)inbox_depth(&i->in), "delivered",
                     (json_int_t)i->in.delivered, "dropped", (json_int_t)i->in.dropped, "last_error", err);
}

/* The private socket exists only with keys and is open only while wanted. */
static json_t *private_json(conn *c)
{
    json_t *o = conn_json(c);
    const private_counters *pc = private_get_counters();
    json_object_set_new(o, "wanted", json_boolean(planner_wanted(1)));
    json_object_set_new(o, "auth_failures", json_integer((json_int_t)pc->auth_failures));
    return o;
}

/* 503 only when the public feed is down: everything depends on it. A
 * wanted private socket that is down makes the host "degraded" (the
 * plugins hear it and fall back to REST). */
static int render_health(strbuf *out)
{
    conn *pub = host_public_conn(), *priv = private_conn();
    int healthy = conn_get_state(pub) == CONN_UP;
    int degraded = priv && planner_wanted(1) && conn_get_state(priv) != CONN_UP;
    json_t *plugins = json_array(), *conns = json_array();
    for (instance *i = host_instances(); i; i = i->next)
        json_array_append_new(plugins, plugin_health(i));
    json_array_append_new(conns, conn_json(pub));
    if (priv)
        json_array_append_new(conns, private_json(priv));
    json_t *root = json_pack("{s:s, s:f, s:o, s:o}", "status", !healthy ? "unhealthy" : degraded ? "degraded" : "ok",
                             "uptime_s", age_s(host_get_counters()->started_ns), "connections", conns,
                             "plugins", plugins);
    char *text = json_dumps(root, JSON_INDENT(2));
    strbuf_printf(out, "%s\n", text);
    free(text);
    json_decref(root);
    return healthy ? 200 : 503;
}

/* ---- GET /metrics ---------------------------------------------------------- */

static void metric_head(strbuf *b, const char *name, const char *type, const char *help)
{
    strbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static uint64_t resident_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long size = 0, rss = 0;
    if (f) {
        if (fscanf(f, "%llu %llu", &size, &rss) != 2)
            rss = 0;
        fclose(f);
    }
    return (uint64_t)rss * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* One family per metric, one sample per connection (a family's HELP and
 * TYPE may appear only once). */
static void metrics_conns(strbuf *b)
{
    conn *conns[2] = {host_public_conn(), private_conn()};
    size_t n = conns[1] ? 2 : 1;
    static const char *const heads[][3] = {
        {"upws_connection_up", "gauge", "1 when the connection to the exchange is established."},
        {"upws_frames_received_total", "counter", "WebSocket messages received from the exchange."},
        {"upws_received_bytes_total", "counter", "Bytes of messages received from the exchange."},
        {"upws_requests_sent_total", "counter", "Subscription requests sent to the exchange."},
        {"upws_ratelimit_waits_total", "counter", "Times a request waited for the rate limiter."},
        {"upws_reconnects_total", "counter", "Established connections that were lost."},
        {"upws_connection_refusals_total", "counter", "Upgrades refused with HTTP 429/418/503/401/403."},
        {"upws_oversized_messages_total", "counter", "Messages skipped for exceeding 4 MiB."},
    };
    for (size_t k = 0; k < sizeof heads / sizeof heads[0]; k++) {
        metric_head(b, heads[k][0], heads[k][1], heads[k][2]);
        for (size_t i = 0; i < n; i++) {
            const conn_stats *cs = conn_get_stats(conns[i]);
            uint64_t v[] = {conn_get_state(conns[i]) == CONN_UP, cs->frames, cs->bytes, cs->requests,
                            conn_ratelimit(conns[i])->waits, cs->reconnects, cs->refusals, cs->oversized};
            strbuf_printf(b, "%s{connection=\"%s\"} %llu\n", heads[k][0], conn_name(conns[i]),
                          (unsigned long long)v[k]);
        }
    }
}

static void metrics_private(strbuf *b)
{
    if (!private_conn())
        return;
    const private_counters *pc = private_get_counters();
    metric_head(b, "upws_private_auth_failures_total", "counter", "Times the exchange refused the API keys.");
    strbuf_printf(b, "upws_private_auth_failures_total %llu\n", (unsigned long long)pc->auth_failures);
    metric_head(b, "upws_private_rest_calls_total", "counter", "Signed REST calls made for plugins.");
    strbuf_printf(b, "upws_private_rest_calls_total %llu\n", (unsigned long long)pc->rest_calls);
    metric_head(b, "upws_private_rest_failed_total", "counter", "Signed REST calls not answered with 2xx.");
    strbuf_printf(b, "upws_private_rest_failed_total %llu\n", (unsigned long long)pc->rest_failed);
}

static void metrics_plugins(strbuf *b)
{
    static const char *const heads[][3] = {
        {"upws_plugin_events_delivered_total", "counter", "Events a plugin instance has taken from its queue."},
        {"upws_plugin_events_dropped_total", "counter", "Events dropped because the instance's queue was full."},
        {"upws_plugin_queue_depth", "gauge", "Events waiting in the instance's queue."},
        {"upws_plugin_events_conflated_total", "counter",
         "Queued events replaced by a newer one of their stream (latest delivery)."},
    };
    for (int k = 0; k < 4; k++) {
        metric_head(b, heads[k][0], heads[k][1], heads[k][2]);
        for (instance *i = host_instances(); i; i = i->next) {
            uint64_t v = k == 0 ? i->in.delivered : k == 1 ? i->in.dropped : k == 2 ? inbox_depth(&i->in)
                                                                                    : i->in.conflated;
            strbuf_printf(b, "%s{plugin=\"%s\"} %llu\n", heads[k][0], i->name, (unsigned long long)v);
        }
    }
    metric_head(b, "upws_plugin_callback_duration_seconds", "histogram",
                "Time spent in a plugin's on_event callback.");
    for (instance *i = host_instances(); i; i = i->next) {
        uint64_t cum = 0;
        for (int k = 0; k < INSTANCE_CB_BUCKETS; k++) {
            cum += atomic_load(&i->cb_buckets[k]);
            strbuf_printf(b, "upws_plugin_callback_duration_seconds_bucket{plugin=\"%s\",le=\"%g\"} %llu\n", i->name,
                   instance_cb_bounds[k], (unsigned long long)cum);
        }
        uint64_t count = atomic_load(&i->cb_count);
        strbuf_printf(b, "upws_plugin_callback_duration_seconds_bucket{plugin=\"%s\",le=\"+Inf\"} %llu\n", i->name,
               (unsigned long long)count);
        strbuf_printf(b, "upws_plugin_callback_duration_seconds_sum{plugin=\"%s\"} %.9f\n", i->name,
               (double)atomic_load(&i->cb_sum_ns) / 1e9);
        strbuf_printf(b, "upws_plugin_callback_duration_seconds_count{plugin=\"%s\"} %llu\n", i->name,
               (unsigned long long)count);
    }
}

static int render_metrics(strbuf *b)
{
    const host_counters *hc = host_get_counters();
    const router_stats *rs = router_get_stats();
    metric_head(b, "upws_messages_received_total", "counter", "Data events decoded, by type.");
    for (int t = 1; t < 7; t++)
        strbuf_printf(b, "upws_messages_received_total{type=\"%s\"} %llu\n", type_names[t],
               (unsigned long long)hc->by_type[t]);
    metric_head(b, "upws_decode_errors_total", "counter", "Frames that were malformed or not understood.");
    strbuf_printf(b, "upws_decode_errors_total %llu\n", (unsigned long long)hc->bad_frames);
    metric_head(b, "upws_upstream_errors_total", "counter", "Error frames received from the exchange.");
    strbuf_printf(b, "upws_upstream_errors_total %llu\n", (unsigned long long)hc->upstream_errors);
    metric_head(b, "upws_duplicate_trades_total", "counter", "Trades dropped as already delivered.");
    strbuf_printf(b, "upws_duplicate_trades_total %llu\n", (unsigned long long)rs->duplicates);
    metric_head(b, "upws_unrouted_events_total", "counter", "Events no plugin subscribes to (old-set frames).");
    strbuf_printf(b, "upws_unrouted_events_total %llu\n", (unsigned long long)rs->unrouted);
    metric_head(b, "upws_subscriptions", "gauge", "Plugin subscriptions and pending one-off snapshots.");
    strbuf_printf(b, "upws_subscriptions %zu\n", registry_count());
    metric_head(b, "upws_streams", "gauge", "Upstream streams (type, code, level) wanted.");
    strbuf_printf(b, "upws_streams %zu\n", streams_count());
    metric_head(b, "upws_markets", "gauge", "Markets in the exchange's market list (0 = not loaded).");
    strbuf_printf(b, "upws_markets %zu\n", markets_count());
    metric_head(b, "upws_workers", "gauge", "Threads running plugin callbacks (more are added while callbacks block).");
    strbuf_printf(b, "upws_workers %zu\n", workers_count());
    metrics_conns(b);
    metrics_private(b);
    metrics_plugins(b);
    metric_head(b, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
    strbuf_printf(b, "process_resident_memory_bytes %llu\n", (unsigned long long)resident_bytes());
    metric_head(b, "process_start_time_seconds", "gauge", "Start time of the process since the epoch, in seconds.");
    strbuf_printf(b, "process_start_time_seconds %.3f\n", (double)hc->started_ns / 1e9);
    return 200;
}

/* ---- GET /subscriptions ------------------------------------------------------ */

static json_t *sub_json(const sub *s)
{
    json_t *codes = json_array();
    for (size_t i = 0; i < s->n_codes; i++)
        json_array_append_new(codes, json_string(s->codes[i].code));
    json_t *o = json_pack("{s:I, s:s, s:o, s:b, s:b, s:b}", "id",
                          (json_int_t)(s->snapshot_id ? s->snapshot_id : s->id), "type", s->type_name,
                          "codes", codes, "snapshot_only", s->snapshot_id != 0, "verified", s->verified,
                          "held_back", s->suspended);
    if (s->type == UPWS_TYPE_ORDERBOOK)
        json_object_set_new(o, "depth", json_integer(s->depth)), json_object_set_new(o, "level", json_real(s->level));
    static const char *const deliveries[] = {"default", "lossless", "latest"};
    json_object_set_new(o, "delivery", json_string(deliveries[(unsigned)s->delivery % 3]));
    return o;
}

/* Does what Upbit reports hold every (type, code) of what we last sent? */
static json_t *compare_listed(const char *listed)
{
    json_t *mine = json_loads(host_last_request(), 0, NULL), *theirs = json_loads(listed, 0, NULL);
    json_t *missing = json_array(), *extra = json_array(), *want = json_object(), *have = json_object();
    size_t i, k;
    json_t *o, *c;
    json_array_foreach(mine, i, o) {
        if (json_object_get(o, "is_only_snapshot") || !json_object_get(o, "type"))
            continue;
        json_array_foreach(json_object_get(o, "codes"), k, c) {
            char key[64];
            snprintf(key, sizeof key, "%s %s", json_string_value(json_object_get(o, "type")), json_string_value(c));
            json_object_set_new(want, key, json_true());
        }
    }
    json_array_foreach(theirs, i, o) {
        json_array_foreach(json_object_get(o, "codes"), k, c) {
            char key[64];
            snprintf(key, sizeof key, "%s %s", json_string_value(json_object_get(o, "type")), json_string_value(c));
            json_object_set_new(have, key, json_true());
        }
    }
    const char *key;
    json_t *v;
    json_object_foreach(want, key, v) if (!json_object_get(have, key)) json_array_append_new(missing, json_string(key));
    json_object_foreach(have, key, v) if (!json_object_get(want, key)) json_array_append_new(extra, json_string(key));
    json_t *res = json_pack("{s:o, s:b, s:o, s:o}", "result", theirs ? theirs : json_null(), "matches",
                            json_array_size(missing) == 0 && json_array_size(extra) == 0, "missing", missing,
                            "unexpected", extra);
    json_decref(mine);
    json_decref(want);
    json_decref(have);
    return res;
}

static int render_subscriptions(strbuf *out, int verify)
{
    json_t *plugins = json_object();
    for (instance *i = host_instances(); i; i = i->next)
        json_object_set_new(plugins, i->name, json_array());
    for (const sub *s = registry_first(); s; s = s->next) {
        json_t *list = json_object_get(plugins, s->owner->name);
        if (list)
            json_array_append_new(list, sub_json(s));
    }
    const planner *p = host_get_planner();
    json_t *sent = json_loads(host_last_request(), 0, NULL);
    json_t *conn = json_pack("{s:s, s:o, s:I, s:I}", "name", "public", "request", sent ? sent : json_null(),
                             "desired_generation", (json_int_t)p->desired_gen, "applied_generation",
                             (json_int_t)p->applied_gen);
    int64_t at = 0;
    const char *listed = host_listed(&at);
    if (listed) {
        json_t *cmp = compare_listed(listed);
        json_object_set_new(cmp, "age_s", json_real(age_s(at)));
        json_object_set_new(conn, "server_reports", cmp);
    }
    if (verify)
        json_object_set_new(conn, "verify", json_string(host_list_subscriptions() == 0
                                                            ? "asked Upbit (LIST_SUBSCRIPTIONS); see server_reports shortly"
                                                            : "not connected"));
    json_t *conns = json_array();
    json_array_append_new(conns, conn);
    if (private_conn()) {
        json_t *psent = json_loads(private_last_request(), 0, NULL);
        json_array_append_new(conns, json_pack("{s:s, s:o, s:b}", "name", "private", "request",
                                               psent ? psent : json_null(), "open", !conn_stopped(private_conn())));
    }
    json_t *root = json_pack("{s:o, s:o}", "plugins", plugins, "connections", conns);
    char *text = json_dumps(root, JSON_INDENT(2));
    strbuf_printf(out, "%s\n", text);
    free(text);
    json_decref(root);
    return 200;
}

/* ---- GET /plugins --------------------------------------------------------------- */

static int render_plugins(strbuf *out)
{
    json_t *list = json_array();
    for (instance *i = host_instances(); i; i = i->next) {
        char abi[16];
        snprintf(abi, sizeof abi, "%u.%u", i->desc->abi_major, i->desc->abi_minor);
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:s}", "name", i->name,
                                              "plugin", i->plugin, "file", loader_path(i->lib), "plugin_name",
                                              i->desc->name, "version", i->desc->version, "abi", abi,
                                              "loaded_at", (double)i->started_ns / 1e9, "state",
                                              inst_state_name(i->state)));
    }
    char *text = json_dumps(list, JSON_INDENT(2));
    strbuf_printf(out, "%s\n", text);
    free(text);
    json_decref(list);
    return 200;
}

/* ---- HTTP plumbing ----------------------------------------------------------------- */

static int authorized(struct lws *wsi)
{
    if (!admin_token)
        return 1;
    char got[512];
    if (lws_hdr_copy(wsi, got, sizeof got, WSI_TOKEN_HTTP_AUTHORIZATION) <= 0)
        return 0;
    char want[512];
    snprintf(want, sizeof want, "Bearer %s", admin_token);
    /* Constant time, so the token cannot be guessed byte by byte. */
    size_t a = strlen(got), b = strlen(want);
    unsigned diff = (unsigned)(a ^ b);
    for (size_t i = 0; i < a && i < b; i++)
        diff |= (unsigned)(got[i] ^ want[i]);
    return diff == 0;
}

static int route(struct lws *wsi, const char *path, int post, strbuf *out, const char **ctype)
{
    *ctype = "application/json";
    if (!authorized(wsi)) {
        strbuf_printf(out, "{\"error\":\"unauthorized: send Authorization: Bearer <admin.token>\"}\n");
        return 401;
    }
    if (post) {
        if (strcmp(path, "/reload") == 0) {
            host_request_reload();
            strbuf_printf(out, "{\"ok\":true,\"reload\":\"started; see the log for the result\"}\n");
            return 202;
        }
        size_t n = strlen(path);
        if (strncmp(path, "/plugins/", 9) == 0 && n > 16 && strcmp(path + n - 7, "/reload") == 0) {
            char name[128];
            snprintf(name, sizeof name, "%.*s", (int)(n - 16), path + 9);
            if (host_plugin_reload(name) != 0) {
                strbuf_printf(out, "{\"error\":\"no running plugin instance of that name (or one is already reloading)\"}\n");
                return 404;
            }
            strbuf_printf(out, "{\"ok\":true,\"reload\":\"started; see the log for the result\"}\n");
            return 202;
        }
        strbuf_printf(out, "{\"error\":\"no such endpoint\"}\n");
        return 404;
    }
    if (strcmp(path, "/health") == 0)
        return render_health(out);
    if (strcmp(path, "/metrics") == 0) {
        *ctype = "text/plain; version=0.0.4; charset=utf-8";
        return render_metrics(out);
    }
    if (strcmp(path, "/subscriptions") == 0) {
        char arg[32];
        int verify = lws_get_urlarg_by_name(wsi, "verify=", arg, sizeof arg) != NULL;
        return render_subscriptions(out, verify);
    }
    if (strcmp(path, "/plugins") == 0)
        return render_plugins(out);
    strbuf_printf(out, "{\"error\":\"no such endpoint\",\"endpoints\":[\"/health\",\"/metrics\",\"/subscriptions\","
                "\"/plugins\",\"POST /reload\",\"POST /plugins/NAME/reload\"]}\n");
    return 404;
}

static int write_chunk(struct lws *wsi, admin_pss *pss)
{
    size_t n = pss->len - pss->off;
    if (n > ADMIN_CHUNK)
        n = ADMIN_CHUNK;
    unsigned char buf[LWS_PRE + ADMIN_CHUNK];
    memcpy(buf + LWS_PRE, pss->body + pss->off, n);
    int final = pss->off + n == pss->len;
    if (lws_write(wsi, buf + LWS_PRE, n, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n)
        return -1;
    pss->off += n;
    if (!final) {
        lws_callback_on_writable(wsi);
        return 0;
    }
    free(pss->body);
    pss->body = NULL;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int start_reply(struct lws *wsi, admin_pss *pss, const char *path)
{
    int post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
    strbuf out = {0};
    const char *ctype;
    int status = route(wsi, path, post, &out, &ctype);
    pss->body = out.s;
    pss->len = out.len;
    pss->off = 0;
    unsigned char hdr[LWS_PRE + 1024], *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof hdr - 1;
    if (lws_add_http_common_headers(wsi, (unsigned)status, ctype, pss->len, &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    /* lws offers no writeable callback to a POST still owing its (empty)
     * body; its short reply goes out at once. */
    if (post)
        return write_chunk(wsi, pss);
    lws_callback_on_writable(wsi);
    return 0;
}

static int admin_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    admin_pss *pss = user;
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        return start_reply(wsi, pss, in ? (const char *)in : "/");
    case LWS_CALLBACK_HTTP_BODY:
        return 0;
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return pss && pss->body ? write_chunk(wsi, pss) : 0;
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        if (pss) {
            free(pss->body);
            pss->body = NULL;
        }
        return 0;
    case LWS_CALLBACK_PROTOCOL_DESTROY:
        free(admin_token);
        admin_token = NULL;
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

const struct lws_protocols admin_protocols[] = {
    {"http", admin_callback, sizeof(admin_pss), 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

int admin_start(struct lws_context *ctx, const char *listen, const char *token)
{
    if (!listen || strcmp(listen, "off") == 0)
        return 0;
    const char *colon = strrchr(listen, ':');
    if (!colon)
        return -1;
    snprintf(admin_iface, sizeof admin_iface, "%.*s", (int)(colon - listen), listen);
    if (admin_iface[0] == '[') { /* [::1] */
        memmove(admin_iface, admin_iface + 1, strlen(admin_iface));
        admin_iface[strcspn(admin_iface, "]")] = 0;
    }
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.vhost_name = "admin";
    info.port = atoi(colon + 1);
    info.iface = strcmp(admin_iface, "localhost") == 0 ? "127.0.0.1" : admin_iface;
    info.protocols = admin_protocols;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6 * (strchr(admin_iface, ':') == NULL);
    struct lws_vhost *vh = lws_create_vhost(ctx, &info);
    if (!vh) {
        log_error("admin: cannot listen on %s (address in use or not local?); continuing without it", listen);
        return -1;
    }
    free(admin_token);
    admin_token = token ? xstrdup(token) : NULL;
    int port = lws_get_vhost_listen_port(vh);
    log_info("admin: listening on http://%s:%d%s", info.iface, port, admin_token ? " (token required)" : "");
    return port;
}
