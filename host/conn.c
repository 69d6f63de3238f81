/* conn.c — see conn.h. */
#include "conn.h"
#include "log.h"
#include "util.h"
#include "wsclient.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MS_US 1000
/* The liveness check runs this often while a socket exists. */
#define TICK_US 250000
/* TCP connect, TLS handshake and upgrade together must take no longer. */
#define CONNECT_TIMEOUT_NS 10000000000LL
/* After an HTTP 429/418 without Retry-After: 1 s, 2 s, 4 s … capped here. */
#define REFUSAL_MAX_MS 60000
/* A socket that stays up this long proves the address and credentials:
 * only then does the backoff start again from its first step (a server
 * that accepts and at once closes, as after INVALID_AUTH, must not get a
 * fast retry each time). */
#define PROVEN_NS 5000000000LL
/* While a failure episode lasts, say so at most this often. */
#define EPISODE_LOG_NS 30000000000LL

/* Ordinary failures: the first retry is fast, then exponential up to the
 * configured cap (default 500 ms: two attempts a second cost the exchange
 * nothing, stay far under its 5 connects/s, and bring data back within a
 * second of it returning). Refusals back off much further (below). */
static const uint32_t conn_backoff_ms[] = {100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600};

/* Connection attempts across all sockets: at most 5 per second (Upbit's
 * per-IP connect limit), enforced before every attempt. */
static gcra conn_connects = {200000000, 0, 0};

struct conn {
    char *name;
    struct lws_context *ctx;
    struct lws *wsi;              /* the loop's watch on ws's socket */
    wsclient *ws;                 /* the session, while a socket exists */
    int tls, port;
    char host[256], path[512];
    conn_hooks hooks;
    void *arg;
    conn_state state;
    int shutting_down;
    conn_options opt;
    unsigned retries;             /* failures since the last established socket */
    int64_t retry_after_ms;       /* the server asked us to wait this long */
    int refused;                  /* the last failure was an HTTP refusal */
    int auth_refused;             /* the last failure was a credentials refusal */
    int stopped;                  /* conn_stop: no reconnects until conn_start */
    int restart;                  /* conn_start while the stopped socket still closes */
    int closing;                  /* the socket is being closed: ignore it */
    int request_in_flight;
    int64_t up_since_mono, attempt_mono, last_ping_mono;
    int64_t episode_start, episode_logged;
    uint32_t rnd;
    char down_reason[128];
    char closing_reason[160];     /* why the socket is closing, once known */
    int peer_closed;              /* the exchange sent a close frame */
    int64_t last_rx_mono;
    lws_sorted_usec_list_t sul_connect, sul_tick;
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
               const conn_options *opt, const conn_hooks *hooks, void *arg,
               char *err, size_t errlen)
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
    c->opt = *opt;
    c->rnd = (uint32_t)util_mono_ns() | 1u;
    ratelimit_init(&c->rl);
    snprintf(c->down_reason, sizeof c->down_reason, "not connected yet");
    return c;
}

static uint32_t conn_random(conn *c)
{
    c->rnd ^= c->rnd << 13;
    c->rnd ^= c->rnd >> 17;
    c->rnd ^= c->rnd << 5;
    return c->rnd;
}

/* Delay before the next attempt: Retry-After when the server gave one, a
 * longer exponential backoff after a refusal, else the ordinary table;
 * plus up to 20 % jitter so many hosts never retry in lockstep. */
static int64_t next_delay_ms(conn *c)
{
    unsigned i = c->retries ? c->retries - 1 : 0;
    int64_t ms;
    if (c->retry_after_ms > 0) {
        ms = c->retry_after_ms;
    } else if (c->refused) {
        ms = 1000LL << (i < 6 ? i : 6);
        ms = ms > REFUSAL_MAX_MS ? REFUSAL_MAX_MS : ms;
    } else {
        size_t n = sizeof conn_backoff_ms / sizeof conn_backoff_ms[0];
        ms = conn_backoff_ms[i < n ? i : n - 1];
        ms = ms > c->opt.backoff_max_ms ? c->opt.backoff_max_ms : ms;
    }
    return ms + (int64_t)(conn_random(c) % (uint32_t)(ms / 5 + 1));
}

static void set_state(conn *c, conn_state s)
{
    c->state = s;
    c->stats.state_since_ns = util_wall_ns();
}

static void schedule_retry(conn *c);
static void conn_lost(conn *c, const char *why);
static void tick_cb(lws_sorted_usec_list_t *sul);
static const wsclient_events conn_ws_events;

/* Starts closing the socket; the loop reports it closed (conn_lost) on its
 * next pass. The first reason given is the one reported. */
static void close_socket(conn *c, const char *why)
{
    if (!c->closing_reason[0] && why)
        snprintf(c->closing_reason, sizeof c->closing_reason, "%s", why);
    if (c->closing || !c->wsi)
        return;
    c->closing = 1;
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

/* A fresh token per attempt (its nonce must never repeat); the buffers
 * are wiped so the credential does not linger. */
static void authorization_header(conn *c, char *out, size_t outlen)
{
    out[0] = 0;
    if (!c->opt.authorize)
        return;
    char value[2200];
    if (c->opt.authorize(c->arg, value, sizeof value) == 0)
        snprintf(out, outlen, "Authorization: %s\r\n", value);
    OPENSSL_cleanse(value, sizeof value);
}

static struct lws *watch_socket(conn *c)
{
    struct lws_vhost *vh = c->opt.vhost ? c->opt.vhost : lws_get_vhost_by_name(c->ctx, "default");
    lws_sock_file_fd_type fd;
    fd.filefd = wsclient_fd(c->ws);
    struct lws *wsi = lws_adopt_descriptor_vhost(vh, LWS_ADOPT_RAW_FILE_DESC, fd, "upws-upbit", NULL);
    if (!wsi)
        return NULL;
    lws_set_opaque_user_data(wsi, c);
    lws_callback_on_writable(wsi);  /* writability ends the TCP connect */
    return wsi;
}

static void conn_connect_cb(lws_sorted_usec_list_t *sul)
{
    conn *c = lws_container_of(sul, conn, sul_connect);
    if (c->shutting_down)
        return;
    int64_t now = util_mono_ns(), wait = gcra_wait_ns(&conn_connects, now);
    if (wait > 0) {
        lws_sul_schedule(c->ctx, 0, &c->sul_connect, conn_connect_cb, (lws_usec_t)(wait / 1000 + 1));
        return;
    }
    gcra_note(&conn_connects, now);
    set_state(c, CONN_CONNECTING);
    c->stats.connects++;
    c->closing = 0;
    c->closing_reason[0] = 0;
    c->attempt_mono = now;
    log_debug("%s: connecting to %s:%d%s", c->name, c->host, c->port, c->path);
    char auth[2300], err[192];
    authorization_header(c, auth, sizeof auth);
    wsclient_target t = {c->host, c->path, c->port, c->tls, c->retries, auth[0] ? auth : NULL};
    c->ws = wsclient_open(&t, &conn_ws_events, c, err, sizeof err);
    OPENSSL_cleanse(auth, sizeof auth);
    if (!c->ws) {
        conn_lost(c, err);
        return;
    }
    c->wsi = watch_socket(c);
    if (!c->wsi) {
        wsclient_close_fd(c->ws);
        wsclient_free(c->ws);
        c->ws = NULL;
        conn_lost(c, "cannot watch the socket");
        return;
    }
    lws_sul_schedule(c->ctx, 0, &c->sul_tick, tick_cb, TICK_US);
}

static void schedule_retry(conn *c)
{
    c->retries++;
    int64_t ms = next_delay_ms(c);
    c->retry_after_ms = 0;
    lws_sul_schedule(c->ctx, 0, &c->sul_connect, conn_connect_cb, (lws_usec_t)ms * MS_US);
}

void conn_start(conn *c)
{
    if (c->shutting_down)
        return;
    if (c->stopped && c->wsi) {
        c->restart = 1;  /* conn_lost starts it once the old socket is gone */
        return;
    }
    c->stopped = 0;
    c->retries = 0;
    if (c->state == CONN_DOWN)
        lws_sul_schedule(c->ctx, 0, &c->sul_connect, conn_connect_cb, 1);
}

void conn_stop(conn *c)
{
    if (c->stopped)
        return;
    c->stopped = 1;
    c->restart = 0;
    lws_sul_cancel(&c->sul_connect);
    if (c->wsi) {
        wsclient_close_frame(c->ws, 1000);
        close_socket(c, "closed: no longer needed");
    } else {
        set_state(c, CONN_DOWN);
    }
}

int conn_stopped(const conn *c) { return c->stopped; }
int conn_auth_refused(const conn *c) { return c->auth_refused; }

void conn_auth_failed(conn *c, const char *why)
{
    c->refused = 1;
    c->auth_refused = 1;
    snprintf(c->closing_reason, sizeof c->closing_reason, "%s", why);
}

int conn_send(conn *c, char *text)
{
    if (c->state != CONN_UP || c->request_in_flight || c->closing)
        return -1;
    wsclient_send_text(c->ws, text, strlen(text), 1);
    c->request_in_flight = 1;
    free(text);
    lws_callback_on_writable(c->wsi);
    return 0;
}

int conn_ready(const conn *c) { return c->state == CONN_UP && !c->request_in_flight && !c->closing; }
conn_state conn_get_state(const conn *c) { return c->state; }
const char *conn_name(const conn *c) { return c->name; }
const conn_stats *conn_get_stats(const conn *c) { return &c->stats; }
const char *conn_down_reason(const conn *c) { return c->down_reason; }
int conn_closed_by_peer(const conn *c) { return c->peer_closed; }
ratelimit *conn_ratelimit(conn *c) { return &c->rl; }

void conn_shutdown(conn *c)
{
    c->shutting_down = 1;
    lws_sul_cancel(&c->sul_connect);
    lws_sul_cancel(&c->sul_tick);
}

void conn_free(conn *c)
{
    if (!c)
        return;
    lws_sul_cancel(&c->sul_connect);
    lws_sul_cancel(&c->sul_tick);
    wsclient_free(c->ws);
    free(c->name);
    free(c);
}

/* One warning when a failure episode starts, then one line every 30 s with
 * the count, so an outage cannot flood the log. */
static void log_failure(conn *c, int was_up)
{
    int64_t now = util_mono_ns();
    if (was_up || !c->episode_start) {
        c->episode_start = c->episode_logged = now;
        log_warn("%s: connection %s (%s); reconnecting", c->name, was_up ? "lost" : "failed", c->down_reason);
        return;
    }
    if (now - c->episode_logged < EPISODE_LOG_NS)
        return;
    c->episode_logged = now;
    log_warn("%s: still not connected: %u attempts in %.0f s (last: %s)", c->name, c->retries,
             (double)(now - c->episode_start) / 1e9, c->down_reason);
}

/* The socket is gone (failed to connect, or closed): schedule the next try. */
static void conn_lost(conn *c, const char *why)
{
    int was_up = c->state == CONN_UP;
    c->wsi = NULL;
    c->closing = 0;
    c->request_in_flight = 0;
    lws_sul_cancel(&c->sul_tick);
    set_state(c, CONN_DOWN);
    snprintf(c->down_reason, sizeof c->down_reason, "%s", why ? why : "closed");
    if (was_up && !c->auth_refused && util_mono_ns() - c->up_since_mono >= PROVEN_NS)
        c->retries = 0;
    if (was_up)
        c->hooks.on_down(c, c->arg);
    else if (c->hooks.on_fail && !c->stopped)
        c->hooks.on_fail(c, c->arg);
    if (c->shutting_down)
        return;
    if (c->stopped) {
        if (c->restart)
            conn_start(c);
        return;
    }
    c->stats.reconnects += (uint64_t)was_up;
    log_failure(c, was_up);
    schedule_retry(c);
}

/* Liveness: a protocol ping after ping_interval of silence (received data
 * counts as liveness too), the socket declared dead after stall_timeout;
 * and a connect that hangs is given up. */
static void tick_cb(lws_sorted_usec_list_t *sul)
{
    conn *c = lws_container_of(sul, conn, sul_tick);
    if (!c->ws || c->closing)
        return;
    int64_t now = util_mono_ns();
    if (!wsclient_is_open(c->ws)) {
        if (now - c->attempt_mono >= CONNECT_TIMEOUT_NS) {
            close_socket(c, "connect timed out after 10 s");
            return;
        }
    } else {
        int64_t silent = now - c->last_rx_mono;
        int64_t stall = (int64_t)c->opt.stall_timeout_s * 1000000000, ping = (int64_t)c->opt.ping_interval_s * 1000000000;
        if (stall && silent >= stall) {
            char why[96];
            snprintf(why, sizeof why, "stalled: no data and no pong for %.0f s", (double)silent / 1e9);
            close_socket(c, why);
            return;
        }
        if (ping && silent >= ping && now - c->last_ping_mono >= ping) {
            c->last_ping_mono = now;
            wsclient_ping(c->ws);
            lws_callback_on_writable(c->wsi);
        }
    }
    lws_sul_schedule(c->ctx, 0, &c->sul_tick, tick_cb, TICK_US);
}

/* --- session events (wsclient) ------------------------------------------ */

static void ev_open(void *arg)
{
    conn *c = arg;
    if (c->episode_start)
        log_info("%s: connected after %u failed attempt(s) over %.1f s", c->name, c->retries,
                 (double)(util_mono_ns() - c->episode_start) / 1e9);
    /* retries restart only once the socket proves itself (conn_lost) */
    c->refused = 0;
    c->auth_refused = 0;
    c->up_since_mono = c->last_rx_mono = c->last_ping_mono = util_mono_ns();
    c->episode_start = 0;
    c->closing_reason[0] = 0;
    c->peer_closed = 0;
    set_state(c, CONN_UP);
    log_info("%s: connected to %s://%s:%d%s", c->name, c->tls ? "wss" : "ws", c->host, c->port, c->path);
    c->hooks.on_up(c, c->arg);
}

/* A refused upgrade must slow us down: HTTP 429 (too many requests), 418
 * (blocked) and 503 back off further and honour Retry-After; 401/403 are
 * a credentials refusal. */
static void ev_refused(void *arg, const wsframe_response *r, const char *why)
{
    conn *c = arg;
    int status = r->status;
    c->auth_refused = status == 401 || status == 403;
    c->refused = status == 429 || status == 418 || status == 503 || c->auth_refused;
    if (!c->refused) {
        snprintf(c->closing_reason, sizeof c->closing_reason, "upgrade refused: %s", why);
        return;
    }
    c->stats.refusals++;
    if (c->auth_refused) {
        snprintf(c->closing_reason, sizeof c->closing_reason, "credentials refused with HTTP %d", status);
        return;
    }
    if (r->retry_after_s > 0)
        c->retry_after_ms = r->retry_after_s * 1000;
    snprintf(c->closing_reason, sizeof c->closing_reason, "refused with HTTP %d", status);
}

static void ev_message(void *arg, const char *buf, size_t len)
{
    conn *c = arg;
    if (c->closing)
        return;
    c->stats.frames++;
    c->stats.bytes += len;
    c->hooks.on_frame(c, buf, len, c->arg);
}

static void ev_peer_close(void *arg, int code)
{
    conn *c = arg;
    c->peer_closed = 1;
    if (!c->auth_refused && !c->closing_reason[0])
        snprintf(c->closing_reason, sizeof c->closing_reason, "closed by the exchange (code %d)", code);
}

static void ev_sent(void *arg)
{
    conn *c = arg;
    c->request_in_flight = 0;
    c->stats.requests++;
    ratelimit_note(&c->rl, util_mono_ns());
    c->hooks.on_sent(c, c->arg);
}

/* One stamp per read: every message in it arrived then. */
static void ev_received(void *arg)
{
    conn *c = arg;
    c->stats.last_rx_ns = util_wall_ns();
    c->last_rx_mono = util_mono_ns();
}

static void ev_oversized(void *arg)
{
    conn *c = arg;
    c->stats.oversized++;
    log_warn("%s: message larger than %u bytes skipped", c->name, WSCLIENT_MAX_MESSAGE);
}

static const wsclient_events conn_ws_events = {ev_open, ev_refused, ev_message, ev_peer_close,
                                               ev_sent, ev_received, ev_oversized};

/* --- the loop's view of the socket ----------------------------------------- */

static void after_io(conn *c, int rc)
{
    if (rc < 0) {
        close_socket(c, wsclient_error(c->ws));
        return;
    }
    if (wsclient_wants_write(c->ws))
        lws_callback_on_writable(c->wsi);
}

static void on_closed(conn *c)
{
    wsclient_free(c->ws);
    c->ws = NULL;
    conn_lost(c, c->closing_reason[0] ? c->closing_reason : "connection dropped");
}

int conn_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    if (reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED) {
        if (conn_wake)
            conn_wake();
        return 0;
    }
    conn *c = wsi ? lws_get_opaque_user_data(wsi) : NULL;
    if (!c || c->wsi != wsi)
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    switch (reason) {
    case LWS_CALLBACK_RAW_RX_FILE:
        if (!c->closing)
            after_io(c, wsclient_readable(c->ws));
        return 0;
    case LWS_CALLBACK_RAW_WRITEABLE_FILE:
        if (!c->closing)
            after_io(c, wsclient_writable(c->ws));
        return 0;
    case LWS_CALLBACK_RAW_CLOSE_FILE:
        on_closed(c);
        return 0;
    default:
        return 0;
    }
}
