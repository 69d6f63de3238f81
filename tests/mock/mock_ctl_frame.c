/* Framing faults. Each one is queued on the socket like any other output,
 * so it goes out in order with the data around it and never interleaves
 * with a frame lws is still writing. Only public sockets get the data-path
 * faults: the private socket carries the account, which tests of framing
 * have no reason to disturb. */
#include "mock_ctl_frame.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"
#include "mock_conn.h"
#include "mock_feed.h"
#include "mock_format.h"
#include "mock_frame.h"
#include "mock_http.h"
#include "mock_log.h"
#include "mock_market.h"

#define MAX_FRAGMENTED 100000
/* Under MOCK_QUEUE_LIMIT (8 MiB), which would drop the socket as slow. */
#define MAX_BIG_KB 7168
#define PAD_KEY "\"pad\":\""
#define PAD_FIELD_OVERHEAD (sizeof(PAD_KEY) - 1 + 2)   /* + closing quote and comma */

static bool usable_public(const struct conn *c)
{
    return !c->dead && !c->close_at_ms && !c->private_path;
}

static int reply_count(struct lws *wsi, const char *key, unsigned n)
{
    char body[96];
    snprintf(body, sizeof(body), "{\"ok\":true,\"%s\":%u}", key, n);
    return http_reply(wsi, 200, body);
}

static int bad_arg(struct lws *wsi, const char *name)
{
    char body[96];
    snprintf(body, sizeof(body), "{\"error\":\"bad argument %s\"}", name);
    return http_reply(wsi, 400, body);
}

/* /ctl/fragment?n=N: the next N data messages of each public socket are
 * split when they are written (mock_server.c), not now, so the split hits
 * whatever the feed sends next. */
static int ctl_fragment(struct lws *wsi)
{
    long n = 1;
    if (http_arg_int(wsi, "n", 0, MAX_FRAGMENTED, &n) < 0)
        return bad_arg(wsi, "n");
    unsigned sockets = 0;
    for (struct conn *c = g_mock.conns; c; c = c->next) {
        if (!usable_public(c))
            continue;
        c->frag_left = (unsigned)n;
        sockets++;
    }
    return reply_count(wsi, "sockets", sockets);
}

/* Pings go to every socket, private ones too: every socket must answer. */
static int ctl_server_ping(struct lws *wsi)
{
    unsigned char ping[2 + 125];
    size_t n = frame_ping(ping, SERVER_PING);
    unsigned sockets = 0;
    for (struct conn *c = g_mock.conns; c; c = c->next) {
        if (c->dead || c->close_at_ms)
            continue;
        conn_enqueue(c, ping, n, QF_RAW);
        log_fault(c->id, "server-ping", SERVER_PING);
        g_mock.stats.pings_sent++;
        sockets++;
    }
    return reply_count(wsi, "sockets", sockets);
}

static int ctl_bad_frame(struct lws *wsi)
{
    char mode_txt[16];
    int mode = http_arg(wsi, "mode", mode_txt, sizeof(mode_txt)) ? bad_frame_mode(mode_txt) : -1;
    if (mode < 0)
        return bad_arg(wsi, "mode");
    unsigned char frame[64];
    size_t n = frame_bad(frame, (enum bad_frame)mode);
    unsigned sockets = 0;
    for (struct conn *c = g_mock.conns; c; c = c->next) {
        if (!usable_public(c))
            continue;
        conn_enqueue(c, frame, n, QF_RAW);
        log_fault(c->id, "bad-frame", mode_txt);
        g_mock.stats.bad_frames++;
        sockets++;
    }
    return reply_count(wsi, "sockets", sockets);
}

/* The first known code the socket takes tickers for; NULL if none. */
static struct market *ticker_market(const struct conn *c)
{
    for (size_t i = 0; i < c->sub.nitems; i++) {
        const struct req_item *it = &c->sub.items[i];
        if (it->type != DT_TICKER)
            continue;
        for (size_t k = 0; k < it->ncodes; k++)
            if (it->codes[k].market >= 0)
                return market_at(it->codes[k].market);
    }
    return NULL;
}

/* A current realtime ticker in c's format with "pad":"xxx…" as its first
 * field, about target bytes in all (never less than the ticker itself). */
static char *big_ticker(const struct conn *c, size_t target, size_t *len)
{
    static char obj[RENDER_CAP];
    struct market *m = ticker_market(c);
    if (!m)
        return NULL;
    int64_t now = mock_now_ms();
    market_ensure(m, now);
    size_t n = feed_render(obj, sizeof(obj), m, DT_TICKER, 0, NULL, fmt_is_simple(c->fmt), false, now);
    if (n < 2 || obj[0] != '{')
        return NULL;
    bool list = fmt_is_list(c->fmt);
    size_t fixed = n + PAD_FIELD_OVERHEAD + (list ? 2 : 0);
    size_t pad = target > fixed ? target - fixed : 0;
    char *s = malloc(fixed + pad);
    if (!s)
        return NULL;
    size_t o = 0;
    if (list)
        s[o++] = '[';
    s[o++] = '{';
    memcpy(s + o, PAD_KEY, sizeof(PAD_KEY) - 1);
    o += sizeof(PAD_KEY) - 1;
    memset(s + o, 'x', pad);
    o += pad;
    memcpy(s + o, "\",", 2);
    o += 2;
    memcpy(s + o, obj + 1, n - 1);
    o += n - 1;
    if (list)
        s[o++] = ']';
    *len = o;
    return s;
}

/* /ctl/big?kb=K: flags 0, not QF_DATA, so the message is one plain binary
 * frame that /ctl/fragment never splits. */
static int ctl_big(struct lws *wsi)
{
    long kb = 300;
    if (http_arg_int(wsi, "kb", 1, MAX_BIG_KB, &kb) < 0)
        return bad_arg(wsi, "kb");
    unsigned sockets = 0;
    size_t bytes = 0;
    for (struct conn *c = g_mock.conns; c; c = c->next) {
        size_t len;
        char *msg = usable_public(c) ? big_ticker(c, (size_t)kb * 1024, &len) : NULL;
        if (!msg)
            continue;
        conn_enqueue(c, msg, len, 0);
        free(msg);
        char detail[32];
        snprintf(detail, sizeof(detail), "%zu", len);
        log_fault(c->id, "big", detail);
        g_mock.stats.big++;
        sockets++;
        bytes = len;
    }
    char body[96];
    snprintf(body, sizeof(body), "{\"ok\":true,\"sockets\":%u,\"bytes\":%zu}", sockets, bytes);
    return http_reply(wsi, 200, body);
}

void frame_note_pong(struct conn *c, const void *payload, size_t len)
{
    if (len == strlen(SERVER_PING) && memcmp(payload, SERVER_PING, len) == 0)
        g_mock.stats.pongs++;
    else if (len == strlen(FRAG_PING) && memcmp(payload, FRAG_PING, len) == 0)
        g_mock.stats.frag_pongs++;
    else
        g_mock.stats.other_pongs++;
    log_pong(c ? c->id : 0, payload, len);
}

int ctl_frame(struct lws *wsi, const char *action)
{
    if (strcmp(action, "fragment") == 0)
        return ctl_fragment(wsi);
    if (strcmp(action, "server-ping") == 0)
        return ctl_server_ping(wsi);
    if (strcmp(action, "bad-frame") == 0)
        return ctl_bad_frame(wsi);
    if (strcmp(action, "big") == 0)
        return ctl_big(wsi);
    return 1;
}
