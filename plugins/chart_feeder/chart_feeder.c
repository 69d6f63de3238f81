/*
 * chart_feeder.c — a live candlestick chart in the browser, fed from the
 * host's shared feed.
 *
 * The plugin subscribes to the trades of its codes and folds each one into
 * OHLCV candles of every configured interval (chart_candles.c). Its own
 * HTTP + WebSocket server (chart_server.c, on a thread of its own) serves
 * the page and streams history and live updates to every open page.
 *
 * This file: configuration, the plugin callbacks and the hand-over to the
 * server thread. The plugin thread only takes the shared mutex for the few
 * microseconds a trade takes to fold in, then pokes the server; it never
 * waits for a viewer.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <upws/plugin.h>

#include "chart_candles.h"
#include "chart_proto.h"
#include "chart_server.h"

#ifndef CHART_WEB_DIR
#define CHART_WEB_DIR "web"
#endif

#define DEFAULT_LISTEN "127.0.0.1:8480"
#define DEFAULT_HISTORY 500
#define MIN_HISTORY 10
#define MAX_HISTORY 10000
#define DEFAULT_MAX_VIEWERS 32
#define MAX_VIEWERS_LIMIT 1024
#define MAX_INTERVALS 16
#define TICK_MS 1000
#define GAP_SHOW_MS 10000       /* how long the page shows "gap" after a reconnect */
#define FUTURE_SLACK_MS 60000   /* trades stamped further ahead than this are bogus */
#define LIB_FILE "node_modules/lightweight-charts/dist/lightweight-charts.standalone.production.js"

static const char *const default_intervals[] = {"1s", "1m", "5m", "15m", "1h"};

typedef struct chart {
    upws_ctx *ctx;
    const upws_host_api *api;
    const char *const *codes; /* host-owned config items, valid until stop */
    size_t n_codes;
    int64_t interval_ms[MAX_INTERVALS];
    size_t n_intervals;
    int64_t history, max_viewers;
    int fill_gaps;
    char iface[64];
    int port;
    const char *web_dir;
    cp_shared sh;
    int sh_ready;
    chart_server *srv;
    uint64_t n_bogus, n_inexact, n_dropped_by_host;
} chart;

#define LOG(c, lvl, ...) (c)->api->log((c)->ctx, (lvl), __VA_ARGS__)

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- configuration ----------------------------------------------------- */

static int cfg_int(chart *c, const char *key, int64_t def, int64_t lo, int64_t hi, int64_t *out)
{
    int rc = c->api->config_int(c->ctx, key, out);
    if (rc == UPWS_ENOENT) {
        *out = def;
        return 0;
    }
    if (rc != UPWS_OK || *out < lo || *out > hi) {
        LOG(c, UPWS_LOG_ERROR, "config key '%s': an integer in %" PRId64 "..%" PRId64, key, lo,
            hi);
        return -1;
    }
    return 0;
}

static int cfg_str(chart *c, const char *key, const char *def, const char **out)
{
    int rc = c->api->config_str(c->ctx, key, out);
    if (rc == UPWS_ENOENT || (rc == UPWS_OK && !**out)) {
        *out = def;
        return 0;
    }
    if (rc != UPWS_OK) {
        LOG(c, UPWS_LOG_ERROR, "config key '%s': must be a string", key);
        return -1;
    }
    return 0;
}

/* Upbit market codes: QUOTE-BASE, upper-case letters and digits. */
static int is_market_code(const char *s)
{
    size_t n = strlen(s), dashes = 0;
    if (n < 3 || n >= CC_CODE_MAX || s[0] == '-' || s[n - 1] == '-')
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '-')
            dashes++;
        else if (!(s[i] >= 'A' && s[i] <= 'Z') && !(s[i] >= '0' && s[i] <= '9'))
            return 0;
    }
    return dashes == 1;
}

static int read_codes(chart *c)
{
    int rc = c->api->config_list(c->ctx, "codes", &c->codes, &c->n_codes);
    if (rc != UPWS_OK || c->n_codes == 0) {
        LOG(c, UPWS_LOG_ERROR, "config key 'codes': required, a list of market codes like KRW-BTC");
        return -1;
    }
    for (size_t i = 0; i < c->n_codes; i++) {
        if (!is_market_code(c->codes[i])) {
            LOG(c, UPWS_LOG_ERROR, "config key 'codes': '%s' is not a market code like KRW-BTC",
                c->codes[i]);
            return -1;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(c->codes[i], c->codes[j]) == 0) {
                LOG(c, UPWS_LOG_ERROR, "config key 'codes': '%s' is listed twice", c->codes[i]);
                return -1;
            }
        }
    }
    return 0;
}

static int add_interval(chart *c, const char *text)
{
    int64_t ms;
    if (cc_interval_parse(text, &ms) != 0) {
        LOG(c, UPWS_LOG_ERROR,
            "config key 'intervals': '%s' is not an interval like 1s, 5m, 1h or 1d that divides "
            "a day", text);
        return -1;
    }
    for (size_t j = 0; j < c->n_intervals; j++) {
        if (c->interval_ms[j] == ms) {
            LOG(c, UPWS_LOG_ERROR, "config key 'intervals': '%s' is listed twice", text);
            return -1;
        }
    }
    if (c->n_intervals == MAX_INTERVALS) {
        LOG(c, UPWS_LOG_ERROR, "config key 'intervals': at most %d intervals", MAX_INTERVALS);
        return -1;
    }
    c->interval_ms[c->n_intervals++] = ms;
    return 0;
}

static int read_intervals(chart *c)
{
    const char *const *items = default_intervals;
    size_t n = sizeof default_intervals / sizeof default_intervals[0];
    int rc = c->api->config_list(c->ctx, "intervals", &items, &n);
    if (rc == UPWS_ENOENT) {
        items = default_intervals;
        n = sizeof default_intervals / sizeof default_intervals[0];
    } else if (rc != UPWS_OK || n == 0) {
        LOG(c, UPWS_LOG_ERROR, "config key 'intervals': a non-empty list like [1s, 1m, 1h]");
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (add_interval(c, items[i]) != 0)
            return -1;
    return 0;
}

/* "127.0.0.1:8480", "localhost:8480". Only loopback: the chart has no
 * authentication, so it must not be reachable from other machines. */
static int read_listen(chart *c)
{
    const char *listen;
    if (cfg_str(c, "listen", DEFAULT_LISTEN, &listen) != 0)
        return -1;
    const char *colon = strrchr(listen, ':');
    char host[64], *end;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    size_t hl = colon ? (size_t)(colon - listen) : 0;
    if (!colon || hl == 0 || hl >= sizeof host || !colon[1] || *end || port < 0 || port > 65535) {
        LOG(c, UPWS_LOG_ERROR, "config key 'listen': '%s' is not HOST:PORT like %s", listen,
            DEFAULT_LISTEN);
        return -1;
    }
    memcpy(host, listen, hl);
    host[hl] = '\0';
    struct in_addr a;
    if (strcmp(host, "localhost") == 0)
        snprintf(host, sizeof host, "127.0.0.1");
    if (inet_pton(AF_INET, host, &a) != 1 || (ntohl(a.s_addr) >> 24) != 127) {
        LOG(c, UPWS_LOG_ERROR,
            "config key 'listen': '%s' is not an IPv4 loopback address; the chart serves only on "
            "127.0.0.0/8 (e.g. %s)", host, DEFAULT_LISTEN);
        return -1;
    }
    snprintf(c->iface, sizeof c->iface, "%s", host);
    c->port = (int)port;
    return 0;
}

/* The page must exist; the charting library may be missing (npm not run
 * yet): the data keeps flowing and the page says what to do. */
static int read_web_dir(chart *c)
{
    char path[4096];
    if (cfg_str(c, "web_dir", CHART_WEB_DIR, &c->web_dir) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/index.html", c->web_dir);
    if (access(path, R_OK) != 0) {
        LOG(c, UPWS_LOG_ERROR, "config key 'web_dir': no readable %s", path);
        return -1;
    }
    snprintf(path, sizeof path, "%s/%s", c->web_dir, LIB_FILE);
    if (access(path, R_OK) != 0)
        LOG(c, UPWS_LOG_ERROR,
            "the charting library is missing (%s): run plugins/chart_feeder/web/install.sh",
            path);
    return 0;
}

static int read_config(chart *c)
{
    if (read_codes(c) != 0 || read_intervals(c) != 0 || read_listen(c) != 0 ||
        read_web_dir(c) != 0)
        return -1;
    if (cfg_int(c, "history", DEFAULT_HISTORY, MIN_HISTORY, MAX_HISTORY, &c->history) != 0 ||
        cfg_int(c, "max_viewers", DEFAULT_MAX_VIEWERS, 1, MAX_VIEWERS_LIMIT, &c->max_viewers) != 0)
        return -1;
    int rc = c->api->config_bool(c->ctx, "fill_gaps", &c->fill_gaps);
    if (rc == UPWS_ENOENT)
        c->fill_gaps = 0;
    else if (rc != UPWS_OK) {
        LOG(c, UPWS_LOG_ERROR, "config key 'fill_gaps': true or false");
        return -1;
    }
    return 0;
}

/* ---- events ---------------------------------------------------------------- */

/* The exact wire text of trade_volume; the double only when it is absent. */
static cc_dec trade_volume(chart *c, const upws_event *ev)
{
    upws_val v;
    cc_dec d;
    if (c->api->event_field(ev, "trade_volume", &v) == UPWS_OK && v.kind == UPWS_VAL_NUMBER &&
        cc_dec_parse(v.text, v.len, &d) == 0)
        return d;
    c->n_inexact++;
    return cc_dec_from_double(ev->trade->trade_volume);
}

static int code_index(const chart *c, const char *code)
{
    for (size_t i = 0; i < c->n_codes; i++)
        if (strcmp(c->codes[i], code) == 0)
            return (int)i;
    return -1;
}

/* Caller holds sh.mu. */
static void set_conn(chart *c, cp_conn conn, int64_t since_ms)
{
    c->sh.conn = conn;
    c->sh.conn_since_ms = since_ms;
    c->sh.conn_rev++;
}

static void cf_on_event(void *self, const upws_event *ev)
{
    chart *c = self;
    if (!ev || ev->type != UPWS_TYPE_TRADE || !ev->trade || !ev->code)
        return;
    int m = code_index(c, ev->code); /* book markets are in config order */
    if (m < 0)
        return;
    int64_t now = ev->recv_time_ns > 0 ? ev->recv_time_ns / 1000000 : wall_ms();
    cc_trade t = {
        .ts_ms = ev->trade->trade_timestamp > 0 ? ev->trade->trade_timestamp : ev->timestamp_ms,
        .seq = ev->trade->sequential_id,
        .price = ev->trade->trade_price,
        .volume = trade_volume(c, ev),
    };
    if (t.ts_ms <= 0 || t.ts_ms > now + FUTURE_SLACK_MS || !(t.price > 0)) {
        if (c->n_bogus++ == 0)
            LOG(c, UPWS_LOG_WARN, "ignoring a trade of %s with time %" PRId64 " / price %g",
                ev->code, t.ts_ms, t.price);
        return;
    }
    pthread_mutex_lock(&c->sh.mu);
    cc_book_trade(&c->sh.book, (size_t)m, &t);
    if (c->sh.conn == CP_CONNECTING)
        set_conn(c, CP_LIVE, now); /* data flows: we joined a live connection */
    pthread_mutex_unlock(&c->sh.mu);
    cs_notify(c->srv);
}

/* UPWS_STATUS_GAP arrives just before UPWS_STATUS_UP on a reconnect; the
 * page shows "gap" for GAP_SHOW_MS, then "live" again (cf_on_timer). */
static void cf_on_status(void *self, const upws_status *st)
{
    chart *c = self;
    if (!st)
        return;
    if (st->kind == UPWS_STATUS_DROPPED) {
        c->n_dropped_by_host += st->count;
        LOG(c, UPWS_LOG_WARN, "%llu trades were dropped before reaching the chart: candles "
            "miss them", (unsigned long long)st->count);
        return;
    }
    if (st->kind != UPWS_STATUS_DOWN && st->kind != UPWS_STATUS_GAP && st->kind != UPWS_STATUS_UP)
        return;
    pthread_mutex_lock(&c->sh.mu);
    if (st->kind == UPWS_STATUS_DOWN) {
        set_conn(c, CP_RECONNECTING, st->since_ns / 1000000);
    } else if (st->kind == UPWS_STATUS_GAP) {
        c->sh.gap_since_ms = st->since_ns / 1000000;
        c->sh.gap_until_ms = st->until_ns / 1000000;
        set_conn(c, CP_GAP, c->sh.gap_until_ms);
    } else if (c->sh.conn != CP_GAP) {
        set_conn(c, CP_LIVE, st->since_ns / 1000000);
    }
    pthread_mutex_unlock(&c->sh.mu);
    cs_notify(c->srv);
}

static void cf_on_timer(void *self, int64_t timer_id)
{
    chart *c = self;
    (void)timer_id;
    int64_t now = wall_ms();
    int changed = 0;
    pthread_mutex_lock(&c->sh.mu);
    if (c->sh.conn == CP_GAP && now - c->sh.gap_until_ms >= GAP_SHOW_MS) {
        set_conn(c, CP_LIVE, now);
        changed = 1;
    }
    if (c->sh.conn != CP_RECONNECTING) /* no fake candles while the feed is down */
        changed |= cc_book_roll(&c->sh.book, now) > 0;
    pthread_mutex_unlock(&c->sh.mu);
    if (changed)
        cs_notify(c->srv);
}

/* ---- life cycle ----------------------------------------------------------- */

static int subscribe_trades(chart *c)
{
    upws_want w;
    memset(&w, 0, sizeof w);
    w.struct_size = sizeof w;
    w.type = "trade";
    w.codes = c->codes;
    w.n_codes = c->n_codes;
    w.delivery = UPWS_DELIVERY_LOSSLESS; /* every trade counts towards volume */
    int64_t id = c->api->subscribe(c->ctx, &w);
    if (id <= 0) {
        LOG(c, UPWS_LOG_ERROR, "cannot subscribe to trades: %s", c->api->strerror((int)id));
        return -1;
    }
    id = c->api->timer_add(c->ctx, TICK_MS, TICK_MS, cf_on_timer);
    if (id <= 0) {
        LOG(c, UPWS_LOG_ERROR, "cannot start the timer: %s", c->api->strerror((int)id));
        return -1;
    }
    return 0;
}

static int shared_init(chart *c)
{
    if (cc_book_init(&c->sh.book, c->codes, c->n_codes, c->interval_ms, c->n_intervals,
                     (size_t)c->history, c->fill_gaps) != 0) {
        LOG(c, UPWS_LOG_ERROR, "out of memory for %zu codes x %zu intervals x %" PRId64
            " candles", c->n_codes, c->n_intervals, c->history);
        return -1;
    }
    pthread_mutex_init(&c->sh.mu, NULL);
    c->sh.conn = CP_CONNECTING;
    c->sh.conn_since_ms = wall_ms();
    c->sh_ready = 1;
    return 0;
}

static int server_start(chart *c)
{
    char err[200];
    cs_config cfg = {
        .iface = c->iface,
        .port = c->port,
        .web_dir = c->web_dir,
        .max_viewers = (size_t)c->max_viewers,
        .ctx = c->ctx,
        .api = c->api,
    };
    c->srv = cs_start(&cfg, &c->sh, err, sizeof err);
    if (!c->srv) {
        LOG(c, UPWS_LOG_ERROR, "config key 'listen': %s", err);
        return -1;
    }
    return 0;
}

static void log_started(chart *c)
{
    char ivl[MAX_INTERVALS * 8] = "", label[16];
    size_t used = 0;
    for (size_t i = 0; i < c->n_intervals; i++) {
        cc_interval_label(c->interval_ms[i], label, sizeof label);
        used += (size_t)snprintf(ivl + used, sizeof ivl - used, "%s%s", i ? "," : "", label);
    }
    LOG(c, UPWS_LOG_INFO,
        "chart on http://%s:%d/ — %zu code(s) from %s, intervals %s, %" PRId64
        " candles kept%s", c->iface, cs_port(c->srv), c->n_codes, c->codes[0], ivl, c->history,
        c->fill_gaps ? ", gaps filled" : "");
}

static void chart_free(chart *c)
{
    cs_stop(c->srv); /* joins the server thread before the state goes */
    if (c->sh_ready) {
        cc_book_free(&c->sh.book);
        pthread_mutex_destroy(&c->sh.mu);
    }
    free(c);
}

static int api_usable(const upws_host_api *api)
{
    return api && api->abi_major == UPWS_ABI_MAJOR && UPWS_API_HAS(api, strerror) && api->log &&
           api->subscribe && api->timer_add && api->config_str && api->config_int &&
           api->config_bool && api->config_list && api->event_field && api->strerror;
}

static int cf_init(upws_ctx *ctx, const upws_host_api *api, void **self)
{
    *self = NULL;
    if (!api_usable(api))
        return -1;
    chart *c = calloc(1, sizeof *c);
    if (!c) {
        api->log(ctx, UPWS_LOG_ERROR, "out of memory");
        return -1;
    }
    c->ctx = ctx;
    c->api = api;
    /* The server starts before the subscription, so no event can reach a
     * plugin without a server to notify. */
    if (read_config(c) != 0 || shared_init(c) != 0 || server_start(c) != 0 ||
        subscribe_trades(c) != 0) {
        chart_free(c); /* stop() is not called after a refused init */
        return -1;
    }
    log_started(c);
    *self = c;
    return 0;
}

static void log_stats(chart *c)
{
    uint64_t trades = 0, dups = 0, too_old = 0;
    for (size_t m = 0; m < c->sh.book.n_markets; m++) {
        const cc_market *mk = &c->sh.book.markets[m];
        trades += mk->n_trades;
        dups += mk->n_dups;
        for (size_t i = 0; i < c->sh.book.n_intervals; i++)
            too_old += mk->series[i].n_too_old;
    }
    LOG(c, UPWS_LOG_INFO,
        "stopped: %llu trades charted, %llu duplicates skipped, %llu candle updates too old "
        "to keep, %llu trades dropped by the host, %llu volumes not exact, %llu bogus trades",
        (unsigned long long)trades, (unsigned long long)dups, (unsigned long long)too_old,
        (unsigned long long)c->n_dropped_by_host, (unsigned long long)c->n_inexact,
        (unsigned long long)c->n_bogus);
}

static void cf_stop(void *self)
{
    chart *c = self;
    if (!c)
        return;
    cs_stop(c->srv); /* every page disconnected; nobody reads the state any more */
    c->srv = NULL;
    log_stats(c);
    chart_free(c);
}

static const char *const config_keys[] = {
    "codes", "intervals", "history", "fill_gaps", "listen", "web_dir", "max_viewers", NULL,
};

UPWS_PLUGIN = {
    .struct_size = sizeof(upws_plugin),
    .abi_major = UPWS_ABI_MAJOR,
    .abi_minor = UPWS_ABI_MINOR,
    .name = "chart_feeder",
    .version = "0.1.0",
    .description = "live candlestick chart in the browser, built from the shared trade feed",
    .config_keys = config_keys,
    .init = cf_init,
    .on_event = cf_on_event,
    .on_status = cf_on_status,
    .stop = cf_stop,
};
