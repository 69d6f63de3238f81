/*
 * conn.h — one Upbit WebSocket connection: its lifetime and its policies.
 *
 * Connects (TLS with certificate verification for wss://; plain ws:// only
 * to a loopback host, for the mock exchange), keeps the socket alive with
 * protocol pings (received data also counts as liveness), gives up on a
 * socket silent past the stall timeout or a connect that takes 10 s, and
 * reconnects with backoff and jitter forever. At most one request is in
 * flight; the owner decides what to send (planner) and when (rate
 * limiter). Never sends an Origin header.
 *
 * The WebSocket session itself is upws's own (wsclient.c, over netio.c);
 * libwebsockets provides the event loop and timers: conn_callback receives
 * the readiness of the session's socket, adopted as a raw descriptor.
 * Thread: loop only. The conn owns its session; hooks borrow frame bytes.
 */
#ifndef UPWS_CONN_H
#define UPWS_CONN_H

#include <libwebsockets.h>
#include <stdint.h>
#include "ratelimit.h"

typedef struct conn conn;

typedef struct conn_hooks {
    void (*on_up)(conn *c, void *arg);
    void (*on_down)(conn *c, void *arg);
    /* One complete message; bytes valid during the call only. */
    void (*on_frame)(conn *c, const char *buf, size_t len, void *arg);
    /* The request in flight was written; another may be queued. */
    void (*on_sent)(conn *c, void *arg);
    /* Optional: an attempt failed before the socket came up (reason in
     * conn_down_reason; conn_auth_refused tells an auth refusal). */
    void (*on_fail)(conn *c, void *arg);
} conn_hooks;

typedef enum { CONN_DOWN, CONN_CONNECTING, CONN_UP } conn_state;

typedef struct conn_options {
    unsigned ping_interval_s;   /* protocol ping after this much silence (≤ 30) */
    unsigned stall_timeout_s;   /* no pong and no data this long = dead */
    unsigned backoff_max_ms;    /* reconnect delay cap after ordinary failures */
    struct lws_vhost *vhost;    /* the client vhost (NULL = the context's first) */
    /* Optional: writes the Authorization header value ("Bearer <jwt>") for
     * one connect attempt; returns 0, or -1 to send none. The text is a
     * credential: it is never logged. */
    int (*authorize)(void *arg, char *out, size_t outlen);
} conn_options;

typedef struct conn_stats {
    uint64_t frames, bytes, oversized, requests, connects, reconnects, refusals;
    int64_t state_since_ns, last_rx_ns;  /* wall clock */
} conn_stats;

/* Parses and checks the URL; NULL + err when it is unusable. */
conn *conn_new(struct lws_context *ctx, const char *name, const char *url,
               const conn_options *opt, const conn_hooks *hooks, void *arg,
               char *err, size_t errlen);
void conn_start(conn *c);
/* Queues one request (takes ownership of text). Returns -1 (and frees
 * nothing) if not up or a request is still in flight. */
int conn_send(conn *c, char *text);
int conn_ready(const conn *c);          /* up, nothing in flight */
conn_state conn_get_state(const conn *c);
const char *conn_name(const conn *c);
const conn_stats *conn_get_stats(const conn *c);
/* Why the socket last went down ("closed", "validity timeout", "HTTP 429", …). */
const char *conn_down_reason(const conn *c);
/* 1 when the last socket ended with a close frame from the exchange (as
 * Upbit does right after an error frame), 0 for drops and timeouts. */
int conn_closed_by_peer(const conn *c);
ratelimit *conn_ratelimit(conn *c);
/* No more reconnects (shutdown). The socket closes with the context. */
void conn_shutdown(conn *c);
/* Closes the socket on purpose and stops reconnecting until conn_start()
 * (the private socket when no plugin wants private data). on_down runs if
 * it was up. */
void conn_stop(conn *c);
int conn_stopped(const conn *c);
/* The exchange refused our credentials (HTTP 401/403 on the upgrade, or an
 * INVALID_AUTH frame, reported with conn_auth_failed): retries back off
 * as after a refusal, 1 s doubling to 60 s, until a socket stays up. */
void conn_auth_failed(conn *c, const char *why);
int conn_auth_refused(const conn *c);
void conn_free(conn *c);

/* The lws protocol callback ("upws-upbit") for the sessions' sockets;
 * EVENT_WAIT_CANCELLED is passed to `wake` (set with conn_set_wake). */
int conn_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len);
void conn_set_wake(void (*wake)(void));

/* URL helper, exposed for tests: 0 on success. */
int conn_parse_url(const char *url, int *tls, char *host, size_t hostlen, int *port,
                   char *path, size_t pathlen, char *err, size_t errlen);

#endif
