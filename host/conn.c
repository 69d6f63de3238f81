/* conn.c — see conn.h. */
#include "conn.h"
#include "log.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONN_MAX_FRAME (4u << 20)

/* Backoff: the first retry is fast, the cap is 30 s, and retries never stop
 * (conceal forever). Pings every 20 s; no pong and no data for 45 s = dead. */
static const uint32_t conn_backoff_ms[] = {200, 500, 1000, 2000, 5000, 10000, 30000};
static const lws_retry_bo_t conn_retry = {
    .retry_ms_table = conn_backoff_ms,
    .retry_ms_table_count = LWS_ARRAY_SIZE(conn_backoff_ms),
    .conceal_count = LWS_RETRY_CONCEAL_ALWAYS,
    .secs_since_valid_ping = 20,
    .secs_since_valid_hangup = 45,
    .jitter_percent = 20,
};

struct conn {
    char *name;
    struct lws_context *ctx;
    struct lws *wsi;
    int tls, port;
    char host[256], path[512];
    conn_hooks hooks;
    void *arg;
    conn_state state;
    int shutting_down;
    uint16_t retries;
    lws_sorted_usec_list_t sul_connect;
    char *rx;
    size_t rx_len, rx_cap;
    int rx_skip;              /* discarding the rest of an oversized message */
    char *tx;                 /* request waiting for WRITEABLE, LWS_PRE headroom */
    size_t tx_len;
    ratelimit rl;
    conn_stats stats;
};

static void (*conn_wake)(void);

void conn_set_wake(void (*wake)(void)) { conn_wake = wake; }

static int is_loopback(const char *host)
{
    return strncmp(host, "127.", 4) == 0 || strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0;
}

int conn_parse_url(const char *url, int *tls, char *host, size_t hostlen, int *port,
                   char *path, size_t pathlen, char *err, size_t errlen)
{
    char buf[768];
    const char *prot, *ads, *p;
    if (!url || strlen(url) >= sizeof buf) {
        snprintf(err, errlen, "URL missing or too long");
        return -1;
    }
    snprintf(buf, sizeof buf, "%s", url);
    if (lws_parse_uri(buf, &prot, &ads, port, &p) != 0 || !ads[0]) {
        snprintf(err, errlen, "cannot parse URL '%s'", url);
        return -1;
    }
    if (strcmp(prot, "wss") == 0) {
        *tls = 1;
    } else if (strcmp(prot, "ws") == 0) {
        *tls = 0;
    } else {
        snprintf(err, errlen, "URL '%s': scheme must be wss:// (or ws:// for a loopback test exchange)", url);
        return -1;
    }
    if (!*tls && !is_loopback(ads)) {
        snprintf(err, errlen, "URL '%s': plain ws:// is only allowed to a loopback address", url);
        return -1;
    }
    if (strstr(url, "://") && !strchr(strstr(url, "://") + 3, ':'))
        *port = *tls ? 443 : 80;
    snprintf(host, hostlen, "%s", ads);
    snprintf(path, pathlen, "/%s", p);
    return 0;
}

conn *conn_new(struct lws_context *ctx, const char *name, const char *url,
               const conn_hooks *hooks, void *arg, char *err, size_t errlen)
{
    conn *c = xcalloc(1, sizeof *c);
    if (conn_parse_url(url, &c->tls, c->host, sizeof c->host, &c->port, c->path, sizeof c->path,
                       err, errlen) != 0) {
        free(c);
        return NULL;
    }
    c->name = xstrdup(name);
    c->ctx = ctx;
    c->hooks = *hooks;
    c->arg = arg;
    c->state = CONN_DOWN;
    c->stats.state_since_ns = util_wall_ns();
    return c;
}

static void set_state(conn *c, conn_state s)
{
    c->state = s;
    c->stats.state_since_ns = util_wall_ns();
}

static void conn_connect_cb(lws_sorted_usec_list_t *sul)
{
    conn *c = lws_container_of(sul, conn, sul_connect);
    if (c->shutting_down)
        return;
    struct lws_client_connect_info i;
    memset(&i, 0, sizeof i);
    i.context = c->ctx;
    i.address = c->host;
    i.port = c->port;
    i.path = c->path;
    i.host = c->host;
    i.origin = NULL;  /* Upbit throttles requests with Origin to 1 per 10 s */
    i.ssl_connection = c->tls ? LCCSCF_USE_SSL | LCCSCF_PRIORITIZE_READS : LCCSCF_PRIORITIZE_READS;
    i.local_protocol_name = "upws-upbit";
    i.retry_and_idle_policy = &conn_retry;
    i.opaque_user_data = c;
    i.pwsi = &c->wsi;
    set_state(c, CONN_CONNECTING);
    c->stats.connects++;
    log_debug("%s: connecting to %s:%d%s", c->name, c->host, c->port, c->path);
    if (!lws_client_connect_via_info(&i)) {
        c->wsi = NULL;
        set_state(c, CONN_DOWN);
        lws_retry_sul_schedule(c->ctx, 0, &c->sul_connect, &conn_retry, conn_connect_cb, &c->retries);
    }
}

void conn_start(conn *c)
{
    lws_sul_schedule(c->ctx, 0, &c->sul_connect, conn_connect_cb, 1);
}

int conn_send(conn *c, char *text)
{
    if (c->state != CONN_UP || c->tx)
        return -1;
    size_t n = strlen(text);
    c->tx = xmalloc(LWS_PRE + n + 1);
    memcpy(c->tx + LWS_PRE, text, n + 1);
    c->tx_len = n;
    free(text);
    lws_callback_on_writable(c->wsi);
    return 0;
}

int conn_ready(const conn *c) { return c->state == CONN_UP && !c->tx; }
conn_state conn_get_state(const conn *c) { return c->state; }
const char *conn_name(const conn *c) { return c->name; }
const conn_stats *conn_get_stats(const conn *c) { return &c->stats; }
ratelimit *conn_ratelimit(conn *c) { return &c->rl; }

void conn_shutdown(conn *c)
{
    c->shutting_down = 1;
    lws_sul_cancel(&c->sul_connect);
}

void conn_free(conn *c)
{
    if (!c)
        return;
    lws_sul_cancel(&c->sul_connect);
    free(c->rx);
    free(c->tx);
    free(c->name);
    free(c);
}

static void drop_io(conn *c)
{
    free(c->tx);
    c->tx = NULL;
    c->rx_len = 0;
    c->rx_skip = 0;
}

/* The socket is gone (failed to connect, or closed): schedule the next try. */
static void conn_lost(conn *c, struct lws *wsi, const char *why)
{
    int was_up = c->state == CONN_UP;
    c->wsi = NULL;
    drop_io(c);
    set_state(c, CONN_DOWN);
    if (was_up)
        c->hooks.on_down(c, c->arg);
    if (c->shutting_down)
        return;
    c->stats.reconnects++;
    log_warn("%s: connection %s (%s); retrying", c->name, was_up ? "lost" : "failed", why ? why : "");
    lws_retry_sul_schedule_retry_wsi(wsi, &c->sul_connect, conn_connect_cb, &c->retries);
}

static void on_receive(conn *c, struct lws *wsi, const char *in, size_t len)
{
    if (!c->rx_skip && c->rx_len + len > CONN_MAX_FRAME) {
        c->rx_skip = 1;
        c->stats.oversized++;
        log_warn("%s: message larger than %u bytes skipped", c->name, CONN_MAX_FRAME);
    }
    if (!c->rx_skip) {
        if (c->rx_len + len > c->rx_cap) {
            c->rx_cap = (c->rx_len + len) * 2;
            c->rx = xrealloc(c->rx, c->rx_cap);
        }
        memcpy(c->rx + c->rx_len, in, len);
        c->rx_len += len;
    }
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
        return;
    /* lws 4.1 counts only pongs as liveness; data proves it just as well. */
    lws_validity_confirmed(wsi);
    c->stats.last_rx_ns = util_wall_ns();
    if (!c->rx_skip) {
        c->stats.frames++;
        c->stats.bytes += c->rx_len;
        c->hooks.on_frame(c, c->rx, c->rx_len, c->arg);
    }
    c->rx_len = 0;
    c->rx_skip = 0;
}

static int on_writeable(conn *c, struct lws *wsi)
{
    if (!c->tx)
        return 0;
    int n = lws_write(wsi, (unsigned char *)c->tx + LWS_PRE, c->tx_len, LWS_WRITE_TEXT);
    free(c->tx);
    c->tx = NULL;
    if (n < 0) {
        log_warn("%s: write failed", c->name);
        return -1;
    }
    c->stats.requests++;
    ratelimit_note(&c->rl, util_mono_ns());
    c->hooks.on_sent(c, c->arg);
    return 0;
}

int conn_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    (void)user;
    if (reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED) {
        if (conn_wake)
            conn_wake();
        return 0;
    }
    conn *c = wsi ? lws_get_opaque_user_data(wsi) : NULL;
    if (!c)
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        c->retries = 0;
        set_state(c, CONN_UP);
        log_info("%s: connected to %s://%s:%d%s", c->name, c->tls ? "wss" : "ws", c->host, c->port, c->path);
        c->hooks.on_up(c, c->arg);
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        on_receive(c, wsi, in, len);
        return 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        return on_writeable(c, wsi);
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        conn_lost(c, wsi, in ? (const char *)in : "connection error");
        return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
        conn_lost(c, wsi, "closed");
        return 0;
    default:
        return 0;
    }
}
