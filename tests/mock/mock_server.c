/* lws callbacks. Plain HTTP is /ctl (fault injection) or /v1 (REST).
 * Upgrades are gated (path, /ctl/down, /ctl/refuse, 5 connects/s) while the
 * HTTP headers are still there, so a refusal is a real HTTP status on the
 * wire; accepted sockets get a struct conn. */
#include "mock_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"
#include "mock_conn.h"
#include "mock_ctl.h"
#include "mock_ctl_frame.h"
#include "mock_frame.h"
#include "mock_http.h"
#include "mock_jwt.h"
#include "mock_log.h"
#include "mock_request.h"
#include "mock_rest.h"
#include "mock_sub.h"

#define PATH_PUBLIC "/websocket/v1"
#define PATH_PRIVATE "/websocket/v1/private"

struct pss {
    struct conn *conn;
    bool private_path, origin;
    const char *auth;       /* check result, see struct conn.auth_result */
};

static void copy_uri(struct lws *wsi, char *buf, int len)
{
    buf[0] = 0;
    if (lws_hdr_copy(wsi, buf, len, WSI_TOKEN_GET_URI) < 0)
        buf[0] = 0;
}

static bool connect_rate_ok(int64_t now_ms)
{
    unsigned oldest = g_mock.connect_head;
    int64_t t = g_mock.connect_times[oldest];
    if (t && now_ms - t < 1000)
        return false;
    g_mock.connect_times[oldest] = now_ms;
    g_mock.connect_head = (oldest + 1) % MOCK_CONNECT_BURST;
    return true;
}

/* Accepted connects in the trailing second (the ring holds the last five). */
static unsigned connects_last_second(int64_t now_ms)
{
    unsigned n = 0;
    for (unsigned i = 0; i < MOCK_CONNECT_BURST; i++)
        n += g_mock.connect_times[i] && now_ms - g_mock.connect_times[i] < 1000;
    return n;
}

static const char *refusal_body(unsigned status)
{
    if (status == 401)
        return "{\"error\":{\"name\":\"INVALID_AUTH\",\"message\":\"인증 정보가 올바르지 않습니다.\"}}";
    if (status == 429)
        return "{\"error\":{\"name\":\"TOO_MANY_REQUESTS\",\"message\":\"Too Many Requests\"}}";
    if (status == 503)
        return "{\"error\":{\"name\":\"SERVICE_UNAVAILABLE\",\"message\":\"Service Unavailable\"}}";
    return "{\"error\":\"not found\"}";
}

/* Returning 1 from HTTP_CONFIRM_UPGRADE tells lws the reply is written. */
static int refuse(struct lws *wsi, unsigned status, const char *why, int retry_after)
{
    g_mock.stats.refused++;
    log_refused(why);
    char secs[24];
    snprintf(secs, sizeof(secs), "%d", retry_after);
    struct http_hdr hdr = {"Retry-After:", secs};
    size_t nhdrs = retry_after >= 0 ? 1 : 0;
    return http_reply_hdrs(wsi, status, refusal_body(status), &hdr, nhdrs) ? -1 : 1;
}

static int gate_upgrade(struct lws *wsi)
{
    char uri[256];
    copy_uri(wsi, uri, sizeof(uri));
    if (strcmp(uri, PATH_PUBLIC) && strcmp(uri, PATH_PRIVATE))
        return refuse(wsi, 404, "path", -1);
    int64_t now = mock_now_ms();
    if (now < g_mock.down_until_ms)
        return refuse(wsi, 503, "down", -1);
    if (now < g_mock.refuse_until_ms)
        return refuse(wsi, 429, "ctl", g_mock.refuse_retry_after);
    if (strcmp(uri, PATH_PRIVATE) == 0 && now < g_mock.private_refuse_until_ms &&
        g_mock.private_refuse_http)
        return refuse(wsi, 401, "private-refuse", -1);
    if (!connect_rate_ok(now))
        return refuse(wsi, 429, "rate", -1);
    return 0;
}

/* Only the private path looks at the token: Upbit's public endpoint
 * ignores one, and checking it there would use up its nonce. */
static const char *check_auth(struct lws *wsi, bool private_path)
{
    if (!private_path)
        return "none";
    if (mock_now_ms() < g_mock.private_refuse_until_ms)
        return "refused";
    int n = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
    if (n <= 0)
        return jwt_result_name(JWT_MISSING);
    if (n > 8192)
        return jwt_result_name(JWT_MALFORMED);
    char *hdr = malloc((size_t)n + 1);
    if (!hdr)
        return jwt_result_name(JWT_MALFORMED);
    enum jwt_result r = JWT_MALFORMED;
    if (lws_hdr_copy(wsi, hdr, n + 1, WSI_TOKEN_HTTP_AUTHORIZATION) >= 0)
        r = jwt_check(hdr, NULL);
    free(hdr);
    return jwt_result_name(r);
}

static int inspect_upgrade(struct lws *wsi, struct pss *pss)
{
    char uri[256];
    copy_uri(wsi, uri, sizeof(uri));
    pss->conn = NULL;
    pss->private_path = strcmp(uri, PATH_PRIVATE) == 0;
    pss->auth = check_auth(wsi, pss->private_path);
    pss->origin = lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) > 0;
    return 0;
}

static int on_open(struct lws *wsi, struct pss *pss)
{
    struct conn *c = conn_new(wsi);
    if (!c)
        return -1;
    pss->conn = c;
    c->private_path = pss->private_path;
    c->auth_result = pss->auth ? pss->auth : "none";
    c->auth = c->private_path && strcmp(c->auth_result, "ok") == 0;
    c->origin = pss->origin;
    log_conn_open(c->id, c->private_path ? PATH_PRIVATE : PATH_PUBLIC, c->auth_result,
                  c->origin, connects_last_second(mock_now_ms()));
    if (g_mock.stalled)
        lws_rx_flow_control(wsi, 0);
    /* Upbit accepts the socket and then refuses: an error frame and close. */
    if (c->private_path && !c->auth) {
        struct req_error e;
        request_set_error(&e, "INVALID_AUTH", NULL);
        conn_fail(c, e.name, e.message);
    }
    return 0;
}

static void handle_ping(struct conn *c)
{
    static const char status_up[] = "{\"status\":\"UP\"}";
    log_ping(c->id);
    conn_enqueue(c, status_up, sizeof(status_up) - 1, QF_TEXT);
    c->status_next_ms = mock_now_ms() + MOCK_STATUS_PERIOD_MS;
}

static void reject(struct conn *c, const char *text, size_t len, json_t *parsed,
                   const struct req_error *e, const struct msg_counts *counts)
{
    log_request(c->id, text, len, parsed, e->name, counts);
    conn_fail(c, e->name, e->message);
}

static void handle_message(struct conn *c, const char *text, size_t len)
{
    if (len == 4 && memcmp(text, "PING", 4) == 0) {
        handle_ping(c);
        return;
    }
    g_mock.stats.requests++;
    int64_t now = mock_now_ms();
    struct req_error e = {0};
    struct msg_counts counts;
    bool over = conn_rate_note(c, now, &counts);
    if (c->rx_overflow || over) {
        request_set_error(&e, c->rx_overflow ? "WRONG_FORMAT" : "TOO_MANY_REQUEST", NULL);
        reject(c, text, len, NULL, &e, &counts);
        return;
    }
    struct request r;
    json_t *parsed = request_parse(text, len, c->private_path, &r, &e);
    if (e.name) {
        reject(c, text, len, parsed, &e, &counts);
        json_decref(parsed);
        return;
    }
    log_request(c->id, text, len, parsed, "ok", &counts);
    json_decref(parsed);
    if (r.list_method)
        sub_list(c, &r);
    else
        sub_apply(c, &r, now);
    request_free(&r);
}

static bool append_rx(struct conn *c, const void *in, size_t len)
{
    if (c->rx_len + len > MOCK_MAX_MSG) {
        c->rx_overflow = true;
        return true;
    }
    if (c->rx_len + len > c->rx_cap) {
        size_t n = c->rx_cap ? c->rx_cap : 1024;
        while (n < c->rx_len + len)
            n *= 2;
        char *p = realloc(c->rx, n);
        if (!p)
            return false;
        c->rx = p;
        c->rx_cap = n;
    }
    memcpy(c->rx + c->rx_len, in, len);
    c->rx_len += len;
    return true;
}

static int on_receive(struct lws *wsi, struct pss *pss, const void *in, size_t len)
{
    struct conn *c = pss->conn;
    if (!c || c->dead || c->close_at_ms)
        return 0;   /* after an error Upbit reads nothing more */
    if (!append_rx(c, in, len))
        return -1;
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
        return 0;
    handle_message(c, c->rx ? c->rx : "", c->rx_len);
    c->rx_len = 0;
    c->rx_overflow = false;
    return 0;
}

/* A data message under /ctl/fragment goes out as three frames around a
 * ping, in one raw write so nothing lws sends can land between them. */
static int write_fragmented(struct lws *wsi, struct conn *c, const unsigned char *msg,
                            size_t n, bool text)
{
    unsigned char *wire;
    size_t wire_len;
    unsigned char *buf = frame_fragmented(msg, n, text, FRAG_PING, &wire, &wire_len);
    if (!buf)
        return -1;
    int rc = lws_write(wsi, wire, wire_len, LWS_WRITE_RAW) < (int)wire_len ? -1 : 0;
    free(buf);
    c->frag_left--;
    g_mock.stats.fragmented++;
    return rc;
}

static int write_message(struct lws *wsi, struct conn *c, unsigned char *msg, size_t n,
                         unsigned flags)
{
    bool text = flags & QF_TEXT;
    if (flags & QF_RAW)
        return lws_write(wsi, msg, n, LWS_WRITE_RAW) < (int)n ? -1 : 0;
    if ((flags & QF_DATA) && c->frag_left && n >= 3)
        return write_fragmented(wsi, c, msg, n, text);
    return lws_write(wsi, msg, n, text ? LWS_WRITE_TEXT : LWS_WRITE_BINARY) < (int)n ? -1 : 0;
}

static int on_writeable(struct lws *wsi, struct pss *pss)
{
    struct conn *c = pss->conn;
    if (!c || c->dead || g_mock.stalled)
        return 0;
    if (c->want_close) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
        return -1;
    }
    size_t n;
    unsigned flags;
    unsigned char *frame = conn_next_frame(c, &n, &flags);
    if (!frame)
        return 0;
    if (write_message(wsi, c, frame, n, flags))
        return -1;
    g_mock.stats.frames_sent++;
    g_mock.stats.bytes_sent += n;
    if (conn_has_output(c))
        lws_callback_on_writable(wsi);
    return 0;
}

static void on_closed(struct pss *pss)
{
    struct conn *c = pss->conn;
    if (!c)
        return;
    pss->conn = NULL;
    log_conn_close(c->id);
    sub_detach(c);
    conn_free(c);
}

/* The status code at the start of a close frame's payload; 0 if none. */
static unsigned close_code(const void *in, size_t len)
{
    const unsigned char *p = in;
    return p && len >= 2 ? (unsigned)p[0] << 8 | p[1] : 0;
}

static int on_http(struct lws *wsi, const char *uri)
{
    int rc = strncmp(uri, "/v1/", 4) == 0 ? rest_http(wsi, uri) : ctl_http(wsi, uri);
    if (rc)
        return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                    void *in, size_t len)
{
    struct pss *pss = user;
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        return on_http(wsi, in ? (const char *)in : "");
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        return gate_upgrade(wsi);
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return inspect_upgrade(wsi, pss);
    case LWS_CALLBACK_ESTABLISHED:
        return on_open(wsi, pss);
    case LWS_CALLBACK_RECEIVE:
        return on_receive(wsi, pss, in, len);
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return on_writeable(wsi, pss);
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        /* Tells a protocol-error close (1002) from a plain one in the log. */
        if (pss && pss->conn)
            log_peer_close(pss->conn->id, close_code(in, len));
        return 0;
    case LWS_CALLBACK_RECEIVE_PONG:
        frame_note_pong(pss ? pss->conn : NULL, in, len);
        return 0;
    case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED:
        /* Before any TLS handshake: counts attempts that fail in TLS too. */
        g_mock.stats.accepted++;
        return 0;
    case LWS_CALLBACK_CLOSED:
        on_closed(pss);
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

const struct lws_protocols mock_protocols[] = {
    {"upbit", callback, sizeof(struct pss), 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};
