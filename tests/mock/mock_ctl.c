/* /ctl/drop, /ctl/stall, /ctl/resume, /ctl/garbage (malformed, unknown type,
 * non-JSON, an error frame, 4096-deep nesting, a 5 MiB frame), /ctl/refuse?secs=N,
 * /ctl/stats. Everything else on plain HTTP is a 404. */
#include "mock_ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "mock.h"
#include "mock_conn.h"
#include "mock_log.h"

int http_reply(struct lws *wsi, unsigned status, const char *body)
{
    unsigned char buf[LWS_PRE + 512];
    unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof(buf) - 1;
    size_t len = strlen(body);
    if (lws_add_http_common_headers(wsi, status, "application/json", len, &p, end))
        return -1;
    if (lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    unsigned char *b = malloc(LWS_PRE + len + 1);
    if (!b)
        return -1;
    memcpy(b + LWS_PRE, body, len);
    int n = lws_write(wsi, b + LWS_PRE, len, LWS_WRITE_HTTP_FINAL);
    free(b);
    return n < (int)len ? -1 : 0;
}

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

static void ctl_garbage(void)
{
    static const char truncated[] = "{\"type\":\"ticker\",\"code\":";
    static const char unknown[] =
        "{\"type\":\"mystery\",\"code\":\"KRW-BTC\",\"timestamp\":0,\"stream_type\":\"REALTIME\"}";
    static const unsigned char binary[] = {0x00, 0xff, 0xfe, 'g', 'a', 'r', 'b', 0x80, 0x01};
    /* An error frame without the close Upbit would send, to see it counted. */
    static const char error[] = "{\"error\":{\"message\":\"test\",\"name\":\"INVALID_PARAM\"}}";
    /* Larger than any client should buffer (upws caps a message at 4 MiB). */
    size_t big_len = 5u << 20;
    char *big = malloc(big_len);
    if (big) {
        memset(big, ' ', big_len);
        memcpy(big, "{\"type\":\"ticker\",\"pad\":\"", 25);
        memcpy(big + big_len - 2, "\"}", 2);
    }
    char nested[4096];
    memset(nested, '[', sizeof nested);
    for (struct conn *c = g_mock.conns; c; c = c->next) {
        conn_enqueue(c, truncated, sizeof(truncated) - 1, 0);
        conn_enqueue(c, unknown, sizeof(unknown) - 1, 0);
        conn_enqueue(c, binary, sizeof(binary), 0);
        conn_enqueue(c, error, sizeof(error) - 1, QF_TEXT);
        conn_enqueue(c, nested, sizeof nested, 0);
        if (big)
            conn_enqueue(c, big, big_len, 0);
    }
    free(big);
}

static int ctl_refuse(struct lws *wsi)
{
    char arg[64];
    int secs = 5;
    if (lws_get_urlarg_by_name(wsi, "secs=", arg, sizeof(arg)))
        secs = atoi(arg + 5);
    if (secs < 0)
        secs = 0;
    g_mock.refuse_until_ms = mock_now_ms() + (int64_t)secs * 1000;
    char body[96];
    snprintf(body, sizeof(body), "{\"ok\":true,\"refuse_secs\":%d}", secs);
    return http_reply(wsi, 200, body);
}

static int ctl_stats(struct lws *wsi)
{
    char body[400];
    const struct mock_stats *s = &g_mock.stats;
    snprintf(body, sizeof(body),
             "{\"connections\":%u,\"connections_total\":%llu,\"requests\":%llu,"
             "\"frames_sent\":%llu,\"bytes_sent\":%llu,\"refused\":%llu,"
             "\"dropped_slow\":%llu,\"stalled\":%s}",
             g_mock.nconns, (unsigned long long)s->connections_total,
             (unsigned long long)s->requests, (unsigned long long)s->frames_sent,
             (unsigned long long)s->bytes_sent, (unsigned long long)s->refused,
             (unsigned long long)s->dropped_slow, g_mock.stalled ? "true" : "false");
    return http_reply(wsi, 200, body);
}

static int dispatch(struct lws *wsi, const char *action)
{
    if (strcmp(action, "stats") == 0)
        return ctl_stats(wsi);
    if (strcmp(action, "refuse") == 0)
        return ctl_refuse(wsi);
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
    int rc;
    if (strncmp(uri, "/ctl/", 5) == 0) {
        log_ctl(uri + 5);
        rc = dispatch(wsi, uri + 5);
    } else {
        rc = http_reply(wsi, 404, "{\"error\":\"not found\"}");
    }
    if (rc)
        return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}
