/* Fault injection over plain HTTP on the mock's own port (GET, any client):
 *
 *   /ctl/drop                  close every WebSocket abruptly (no close frame)
 *   /ctl/stall                 stop reading and writing (no pongs, no data)
 *   /ctl/resume                end a stall
 *   /ctl/garbage               send every socket: truncated JSON, an unknown type,
 *                              non-JSON binary, an error frame (no close),
 *                              4096-deep nesting, invalid UTF-8 inside a JSON
 *                              string, a valid 2 MiB ticker without a code, and a
 *                              5 MiB frame
 *   /ctl/refuse?secs=N[&retry_after=S]
 *                              answer upgrades 429 for N s (default 5), with
 *                              "Retry-After: S" when given; secs=0 ends it
 *   /ctl/down?secs=N           exchange down for N s (default 5): drop every
 *                              socket now and answer upgrades 503 until then
 *   /ctl/rest-fail?secs=N      REST (/v1/...) answers 500 for N s (default 5)
 *   /ctl/rest-429?secs=N       REST answers 429 too_many_requests for N s
 *   /ctl/stats                 counters and current fault state as JSON
 *
 * Framing (mock_ctl_frame.c), for the client's own RFC 6455 parser. Each
 * replies {"ok":true,"sockets":N} with the sockets it touched:
 *
 *   /ctl/fragment?n=N          the next N (default 1) data messages of every
 *                              public socket go out as 3 frames: BINARY FIN=0,
 *                              CONTINUATION FIN=0, CONTINUATION FIN=1, with a
 *                              PING "frag" between the first two. n=0 ends it.
 *                              stats: fragmented (messages split), frag_pongs
 *   /ctl/server-ping           one PING "mock-ping" on every WebSocket (private
 *                              ones too). stats: pings_sent, pongs (pongs
 *                              carrying "mock-ping"), other_pongs
 *   /ctl/bad-frame?mode=masked|rsv|opcode
 *                              one malformed frame on every public socket: a
 *                              masked server frame, RSV1 set, or the reserved
 *                              opcode 0x3 (payload {"status":"UP"}). A correct
 *                              client closes that socket and reconnects; the
 *                              mock serves the next socket normally.
 *                              stats: bad_frames
 *   /ctl/big?kb=K              one realtime ticker (K KiB, default 300, at most
 *                              7168) on every public socket that takes tickers:
 *                              its first ticker code, in the socket's format,
 *                              with "pad":"xxx..." as first field, as a single
 *                              unfragmented binary frame. Replies also "bytes"
 *                              (the message length). stats: big
 *
 * Faults queued on a socket are logged {"ev":"fault","conn":N,"kind":...,
 * "detail":...}; every pong {"ev":"pong","conn":N,"payload":...}. stats
 * "accepted" counts TCP connections accepted, including ones that then fail
 * the TLS handshake (see --tls-cert).
 *
 * The private side (mock_ctl_private.c):
 *
 *   /ctl/order?market=M&side=bid|ask&price=P&volume=V[&fills=N]
 *             [&stop_after=K][&step_ms=MS][&identifier=ID]
 *                              place a limit order on the simulated account:
 *                              myOrder wait now, then every step_ms (200) one
 *                              fill (N=2 even shares; done with the last),
 *                              myAsset after each change; stop_after=K makes
 *                              only K fills and leaves it open. Replies
 *                              {"ok":true,"uuid":...} or 400 with an Upbit
 *                              error name (insufficient_funds_bid, ...)
 *   /ctl/cancel?uuid=U         cancel an open order (myOrder cancel, myAsset)
 *   /ctl/deposit?currency=C&amount=A
 *                              change a free balance (A < 0 withdraws), myAsset
 *   /ctl/private-refuse?secs=N[&mode=invalid_auth|http]
 *                              drop private sockets; for N s (default 5)
 *                              private upgrades get INVALID_AUTH + close, or
 *                              with mode=http a plain HTTP 401
 *
 * Every call is logged as {"ev":"ctl","action":...}; a malformed argument is
 * a 400 and changes nothing. Unknown actions are a 404. */
#include "mock_ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "mock.h"
#include "mock_conn.h"
#include "mock_ctl_frame.h"
#include "mock_ctl_private.h"
#include "mock_http.h"
#include "mock_log.h"

#define MAX_FAULT_SECS 86400
#define DEFAULT_FAULT_SECS 5

static void ctl_drop(void)
{
    for (struct conn *c = g_mock.conns; c; c = c->next)
        conn_kill(c, "ctl");
}

static void ctl_stall(bool stall)
{
    g_mock.stalled = stall;
    /* Not reading also means lws answers no pings: a frozen server. */
    for (struct conn *c = g_mock.conns; c; c = c->next) {
        if (c->dead)
            continue;
        lws_rx_flow_control(c->wsi, stall ? 0 : 1);
        if (!stall)
            conn_wake(c);
    }
}

#define PAD_HEAD "{\"type\":\"ticker\",\"pad\":\""
#define PAD_OVERHEAD (sizeof(PAD_HEAD) - 1 + 2)

/* PAD_HEAD, pad_len bytes of fill, "}: valid JSON, a ticker with no code. */
static char *padded_ticker(size_t pad_len, char fill, size_t *len)
{
    size_t h = sizeof(PAD_HEAD) - 1;
    *len = pad_len + PAD_OVERHEAD;
    char *s = malloc(*len);
    if (!s)
        return NULL;
    memcpy(s, PAD_HEAD, h);
    memset(s + h, fill, pad_len);
    memcpy(s + h + pad_len, "\"}", 2);
    return s;
}

static void enqueue_all(const void *data, size_t len, unsigned flags)
{
    if (!data)
        return;
    for (struct conn *c = g_mock.conns; c; c = c->next)
        conn_enqueue(c, data, len, flags);
}

static void ctl_garbage(void)
{
    static const char truncated[] = "{\"type\":\"ticker\",\"code\":";
    static const char unknown[] =
        "{\"type\":\"mystery\",\"code\":\"KRW-BTC\",\"timestamp\":0,\"stream_type\":\"REALTIME\"}";
    static const unsigned char binary[] = {0x00, 0xff, 0xfe, 'g', 'a', 'r', 'b', 0x80, 0x01};
    /* Sent as a binary frame like all Upbit data, so only the JSON layer sees it. */
    static const char bad_utf8[] = "{\"type\":\"ticker\",\"code\":\"KRW-\xff\xfe\"}";
    /* An error frame without the close Upbit would send, to see it counted. */
    static const char error[] = "{\"error\":{\"message\":\"test\",\"name\":\"INVALID_PARAM\"}}";
    char nested[4096];
    memset(nested, '[', sizeof nested);
    /* 2 MiB is under upws's 4 MiB message cap: it must be parsed and dropped;
     * 5 MiB is over it: it must be skipped. */
    size_t mid_len, big_len;
    char *mid = padded_ticker(2u << 20, 'x', &mid_len);
    char *big = padded_ticker((5u << 20) - PAD_OVERHEAD, ' ', &big_len);
    enqueue_all(truncated, sizeof(truncated) - 1, 0);
    enqueue_all(unknown, sizeof(unknown) - 1, 0);
    enqueue_all(binary, sizeof(binary), 0);
    enqueue_all(bad_utf8, sizeof(bad_utf8) - 1, 0);
    enqueue_all(error, sizeof(error) - 1, QF_TEXT);
    enqueue_all(nested, sizeof nested, 0);
    enqueue_all(mid, mid_len, 0);
    enqueue_all(big, big_len, 0);
    free(mid);
    free(big);
}

static int bad_arg(struct lws *wsi, const char *name)
{
    char body[128];
    snprintf(body, sizeof(body), "{\"error\":\"bad argument %s\"}", name);
    return http_reply(wsi, 400, body);
}

/* secs=N (default 5) as an absolute deadline; -1 when malformed. */
static int fault_secs(struct lws *wsi, long *secs)
{
    *secs = DEFAULT_FAULT_SECS;
    return http_arg_int(wsi, "secs", 0, MAX_FAULT_SECS, secs) < 0 ? -1 : 0;
}

static int reply_window(struct lws *wsi, const char *key, long secs)
{
    char body[96];
    snprintf(body, sizeof(body), "{\"ok\":true,\"%s\":%ld}", key, secs);
    return http_reply(wsi, 200, body);
}

static int ctl_refuse(struct lws *wsi)
{
    long secs, retry_after = -1;
    if (fault_secs(wsi, &secs))
        return bad_arg(wsi, "secs");
    if (http_arg_int(wsi, "retry_after", 0, MAX_FAULT_SECS, &retry_after) < 0)
        return bad_arg(wsi, "retry_after");
    g_mock.refuse_until_ms = mock_now_ms() + secs * 1000;
    g_mock.refuse_retry_after = (int)retry_after;
    char body[128];
    snprintf(body, sizeof(body), "{\"ok\":true,\"refuse_secs\":%ld,\"retry_after\":%ld}",
             secs, retry_after);
    return http_reply(wsi, 200, body);
}

static int ctl_down(struct lws *wsi)
{
    long secs;
    if (fault_secs(wsi, &secs))
        return bad_arg(wsi, "secs");
    g_mock.down_until_ms = mock_now_ms() + secs * 1000;
    ctl_drop();
    return reply_window(wsi, "down_secs", secs);
}

static int ctl_rest_fault(struct lws *wsi, int64_t *until, const char *key)
{
    long secs;
    if (fault_secs(wsi, &secs))
        return bad_arg(wsi, "secs");
    *until = mock_now_ms() + secs * 1000;
    return reply_window(wsi, key, secs);
}

static const char *yes(bool b)
{
    return b ? "true" : "false";
}

static void stats_counters(char *out, size_t cap)
{
    const struct mock_stats *s = &g_mock.stats;
    snprintf(out, cap,
             "\"connections\":%u,\"connections_total\":%llu,\"requests\":%llu,"
             "\"frames_sent\":%llu,\"bytes_sent\":%llu,\"refused\":%llu,"
             "\"dropped_slow\":%llu,\"rest_requests\":%llu,\"accepted\":%llu,"
             "\"fragmented\":%llu,\"frag_pongs\":%llu,\"pings_sent\":%llu,"
             "\"pongs\":%llu,\"other_pongs\":%llu,\"bad_frames\":%llu,\"big\":%llu",
             g_mock.nconns, (unsigned long long)s->connections_total,
             (unsigned long long)s->requests, (unsigned long long)s->frames_sent,
             (unsigned long long)s->bytes_sent, (unsigned long long)s->refused,
             (unsigned long long)s->dropped_slow, (unsigned long long)s->rest_requests,
             (unsigned long long)s->accepted, (unsigned long long)s->fragmented,
             (unsigned long long)s->frag_pongs, (unsigned long long)s->pings_sent,
             (unsigned long long)s->pongs, (unsigned long long)s->other_pongs,
             (unsigned long long)s->bad_frames, (unsigned long long)s->big);
}

static int ctl_stats(struct lws *wsi)
{
    char counters[1024], body[1280];
    int64_t now = mock_now_ms();
    stats_counters(counters, sizeof(counters));
    snprintf(body, sizeof(body),
             "{%s,\"stalled\":%s,\"down\":%s,\"refusing\":%s,\"rest_failing\":%s,"
             "\"private_refusing\":%s}",
             counters, yes(g_mock.stalled), yes(now < g_mock.down_until_ms),
             yes(now < g_mock.refuse_until_ms),
             yes(now < g_mock.rest_fail_until_ms || now < g_mock.rest_429_until_ms),
             yes(now < g_mock.private_refuse_until_ms));
    return http_reply(wsi, 200, body);
}

static int dispatch(struct lws *wsi, const char *action)
{
    int rc = ctl_private(wsi, action);
    if (rc != 1)
        return rc;
    rc = ctl_frame(wsi, action);
    if (rc != 1)
        return rc;
    if (strcmp(action, "stats") == 0)
        return ctl_stats(wsi);
    if (strcmp(action, "refuse") == 0)
        return ctl_refuse(wsi);
    if (strcmp(action, "down") == 0)
        return ctl_down(wsi);
    if (strcmp(action, "rest-fail") == 0)
        return ctl_rest_fault(wsi, &g_mock.rest_fail_until_ms, "rest_fail_secs");
    if (strcmp(action, "rest-429") == 0)
        return ctl_rest_fault(wsi, &g_mock.rest_429_until_ms, "rest_429_secs");
    if (strcmp(action, "drop") == 0)
        ctl_drop();
    else if (strcmp(action, "stall") == 0)
        ctl_stall(true);
    else if (strcmp(action, "resume") == 0)
        ctl_stall(false);
    else if (strcmp(action, "garbage") == 0)
        ctl_garbage();
    else
        return http_reply(wsi, 404, "{\"error\":\"unknown action\"}");
    return http_reply(wsi, 200, "{\"ok\":true}");
}

int ctl_http(struct lws *wsi, const char *uri)
{
    if (strncmp(uri, "/ctl/", 5) != 0)
        return http_reply(wsi, 404, "{\"error\":\"not found\"}");
    log_ctl(uri + 5);
    return dispatch(wsi, uri + 5);
}
