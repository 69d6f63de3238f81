/* conn.c — see conn.h. */
#include "conn.h"
#include "log.h"
#include "util.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONN_MAX_FRAME (4u << 20)
#define MS_US 1000
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
    struct lws *wsi;
    int tls, port;
    char host[256], path[512];
    conn_hooks hooks;
    void *arg;
    conn_state state;
    int shutting_down;
    conn_options opt;
    lws_retry_bo_t policy;        /* only its ping/hangup part is used (by lws) */
    unsigned retries;             /* failures since the last established socket */
    int64_t retry_after_ms;       /* the server asked us to wait this long */
    int refused;                  /* the last failure was an HTTP refusal */
    int auth_refused;             /* the last failure was a credentials refusal */
    int stopped;                  /* conn_stop: no reconnects until conn_start */
    int restart;                  /* conn_start while the stopped socket still closes */
    int64_t up_since_mono;
    int64_t episode_start, episode_logged;
    uint32_t rnd;
    char down_reason[128];
    char closing_reason[96];      /* why the socket is closing, once known */
    int peer_closed;              /* the exchange sent a close frame */
    int64_t last_rx_mono;
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
    c->policy.secs_since_valid_ping = (uint16_t)opt->ping_interval_s;
    c->policy.secs_since_valid_hangup = (uint16_t)opt->stall_timeout_s;
    c->policy.conceal_count = LWS_RETRY_CONCEAL_ALWAYS;
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
    struct lws_client_connect_info i;
    memset(&i, 0, sizeof i);
    i.context = c->ctx;
    i.vhost = c->opt.vhost;
    i.address = c->host;
    i.port = c->port;
    i.path = c->path;
    i.host = c->host;
    i.origin = NULL;  /* Upbit throttles requests with Origin to 1 per 10 s */
    i.ssl_connection = c->tls ? LCCSCF_USE_SSL | LCCSCF_PRIORITIZE_READS : LCCSCF_PRIORITIZE_READS;
    i.local_protocol_name = "upws-upbit";
    i.retry_and_idle_policy = &c->policy;
    i.opaque_user_data = c;
    i.pwsi = &c->wsi;
    set_state(c, CONN_CONNECTING);
    c->stats.connects++;
    log_debug("%s: connecting to %s:%d%s", c->name, c->host, c->port, c->path);
    if (!lws_client_connect_via_info(&i) && c->state == CONN_CONNECTING) {
        c->wsi = NULL;
        set_state(c, CONN_DOWN);
        snprintf(c->down_reason, sizeof c->down_reason, "connect failed");
        schedule_retry(c);
    }
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
        snprintf(c->closing_reason, sizeof c->closing_reason, "closed: no longer needed");
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
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
const char *conn_down_reason(const conn *c) { return c->down_reason; }
int conn_closed_by_peer(const conn *c) { return c->peer_closed; }
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
    drop_io(c);
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

/* lws closes a socket that stayed silent past the stall timeout; we tell
 * that apart from a close frame and from a plain drop. */
static const char *close_reason(conn *c)
{
    if (c->closing_reason[0])
        return c->closing_reason;
    int64_t silent = util_mono_ns() - c->last_rx_mono;
    if (silent >= (int64_t)c->opt.stall_timeout_s * 1000000000 - 500000000) {
        snprintf(c->closing_reason, sizeof c->closing_reason, "stalled: no data and no pong for %.0f s",
                 (double)silent / 1e9);
        return c->closing_reason;
    }
    return "connection dropped";
}

/* A refused upgrade (HTTP 429 Too Many Requests, 418 blocked) must slow us
 * down: honour Retry-After when the server sends one. */
static void note_refusal(conn *c, struct lws *wsi)
{
    int status = (int)lws_http_client_http_response(wsi);
    c->auth_refused = status == 401 || status == 403;
    c->refused = status == 429 || status == 418 || status == 503 || c->auth_refused;
    if (!c->refused)
        return;
    c->stats.refusals++;
    if (c->auth_refused) {
        snprintf(c->down_reason, sizeof c->down_reason, "credentials refused with HTTP %d", status);
        return;
    }
    char ra[32];
    if (lws_hdr_copy(wsi, ra, sizeof ra, WSI_TOKEN_HTTP_RETRY_AFTER) > 0 && atoi(ra) > 0)
        c->retry_after_ms = (int64_t)atoi(ra) * 1000;
    snprintf(c->down_reason, sizeof c->down_reason, "refused with HTTP %d", status);
}

/* lws 4.1 counts only pongs as liveness; data proves it just as well. */
static void conn_note_rx(conn *c, struct lws *wsi)
{
    lws_validity_confirmed(wsi);
    c->stats.last_rx_ns = util_wall_ns();
    c->last_rx_mono = util_mono_ns();
}

static void conn_deliver(conn *c, const char *msg, size_t len)
{
    c->stats.frames++;
    c->stats.bytes += len;
    c->hooks.on_frame(c, msg, len, c->arg);
}

static void on_receive(conn *c, struct lws *wsi, const char *in, size_t len)
{
    int last = lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi);
    /* Nearly every message arrives whole in one callback: decode it where
     * lws holds it rather than copying it into rx first. */
    if (last && !c->rx_len && !c->rx_skip && len <= CONN_MAX_FRAME) {
        conn_note_rx(c, wsi);
        conn_deliver(c, in, len);
        return;
    }
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
    if (!last)
        return;
    conn_note_rx(c, wsi);
    if (!c->rx_skip)
        conn_deliver(c, c->rx, c->rx_len);
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

/* A fresh token per attempt (its nonce must never repeat); the buffer is
 * wiped so the credential does not linger on the stack. */
static int append_authorization(conn *c, struct lws *wsi, void *in, size_t len)
{
    if (!c->opt.authorize)
        return 0;
    char value[2200];
    int rc = 0;
    if (c->opt.authorize(c->arg, value, sizeof value) == 0) {
        unsigned char **p = in, *end = *p + len;
        if (lws_add_http_header_by_name(wsi, (const unsigned char *)"authorization:", (const unsigned char *)value,
                                        (int)strlen(value), p, end))
            rc = -1;
    }
    OPENSSL_cleanse(value, sizeof value);
    return rc;
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
        if (c->episode_start)
            log_info("%s: connected after %u failed attempt(s) over %.1f s", c->name, c->retries,
                     (double)(util_mono_ns() - c->episode_start) / 1e9);
        /* retries restart only once the socket proves itself (conn_lost) */
        c->refused = 0;
        c->auth_refused = 0;
        c->up_since_mono = util_mono_ns();
        c->episode_start = 0;
        c->closing_reason[0] = 0;
        c->peer_closed = 0;
        c->last_rx_mono = util_mono_ns();
        set_state(c, CONN_UP);
        log_info("%s: connected to %s://%s:%d%s", c->name, c->tls ? "wss" : "ws", c->host, c->port, c->path);
        c->hooks.on_up(c, c->arg);
        return 0;
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
        return append_authorization(c, wsi, in, len);
    case LWS_CALLBACK_CLIENT_RECEIVE:
        on_receive(c, wsi, in, len);
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
        c->last_rx_mono = util_mono_ns();  /* lws confirms validity itself on a pong */
        return 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        return on_writeable(c, wsi);
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (c->state == CONN_DOWN)
            return 0;  /* already handled (connect failed synchronously) */
        note_refusal(c, wsi);
        conn_lost(c, c->refused ? c->down_reason : in ? (const char *)in : "connection error");
        return 0;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        c->peer_closed = 1;
        if (!c->auth_refused)
            snprintf(c->closing_reason, sizeof c->closing_reason, "closed by the exchange (code %d)",
                     len >= 2 ? ((const unsigned char *)in)[0] << 8 | ((const unsigned char *)in)[1] : 0);
        return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
        conn_lost(c, close_reason(c));
        return 0;
    default:
        return 0;
    }
}
