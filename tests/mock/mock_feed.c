/* Driven by the sul timer: advances every market that has realtime
 * subscribers and fans the results out. Each event is rendered at most once
 * per key style (and per depth/level for books), then copied to every
 * subscriber's queue. */
#include "mock_feed.h"

#include <stdlib.h>
#include <string.h>

#include "mock_conn.h"
#include "mock_format.h"
#include "mock_sub.h"

#define BOOK_PERIOD_MS 100
#define CANDLE_PERIOD_MS 1000
#define BOOK_CACHE 8

static int *active;
static size_t nactive, active_cap;

struct rendered {
    char buf[RENDER_CAP];
    size_t len;
};

/* [key style][variant] caches for the event being fanned out. */
static struct rendered cache[2][2];

struct book_cache {
    int depth;
    bool simple;
    const char *level;
    struct rendered r;
};
static struct book_cache books[BOOK_CACHE];
static char scratch[RENDER_CAP];

void feed_activate(struct market *m, int64_t now_us)
{
    if (m->active_slot)
        return;
    if (nactive == active_cap) {
        size_t n = active_cap ? active_cap * 2 : 64;
        int *p = realloc(active, n * sizeof(*p));
        if (!p)
            return;
        active = p;
        active_cap = n;
    }
    active[nactive++] = m->index;
    m->active_slot = (int)nactive;
    market_activate(m, now_us, g_mock.cfg.trade_rate);
}

void feed_deactivate(struct market *m)
{
    if (!m->active_slot)
        return;
    size_t pos = (size_t)m->active_slot - 1;
    active[pos] = active[--nactive];
    market_at(active[pos])->active_slot = (int)pos + 1;
    m->active_slot = 0;
}

void feed_free(void)
{
    free(active);
    active = NULL;
    nactive = active_cap = 0;
}

size_t feed_render(char *buf, size_t cap, struct market *m, int type, int depth,
                   const char *level_txt, bool simple, bool snapshot, int64_t now_ms)
{
    if (type == DT_TICKER)
        return render_ticker(buf, cap, m, simple, snapshot, now_ms);
    if (type == DT_TRADE)
        return render_trade(buf, cap, m, simple, snapshot, now_ms);
    if (type == DT_ORDERBOOK) {
        market_build_book(m);
        return render_orderbook(buf, cap, m, depth, level_txt, simple, snapshot);
    }
    if (dtype_is_candle(type))
        return render_candle(buf, cap, m, type - DT_CANDLE_FIRST, simple, snapshot, now_ms);
    return 0;
}

static void fan_trade(struct market *m, int64_t now_ms)
{
    for (int s = 0; s < 2; s++)
        for (int v = 0; v < 2; v++)
            cache[s][v].len = (size_t)-1;
    for (size_t i = 0; i < m->nrefs; i++) {
        const struct sub_ref *r = &m->refs[i];
        if (r->type != DT_TICKER && r->type != DT_TRADE)
            continue;
        int s = fmt_is_simple(r->conn->fmt);
        struct rendered *e = &cache[s][r->type];
        if (e->len == (size_t)-1)
            e->len = feed_render(e->buf, sizeof(e->buf), m, r->type, 0, NULL, s, false, now_ms);
        if (e->len)
            sub_send(r->conn, e->buf, e->len);
    }
}

static const struct rendered *book_for(struct market *m, int depth, bool simple,
                                       const char *level, size_t *used)
{
    for (size_t i = 0; i < *used; i++) {
        struct book_cache *b = &books[i];
        if (b->depth == depth && b->simple == simple && strcmp(b->level, level) == 0)
            return &b->r;
    }
    if (*used == BOOK_CACHE)
        return NULL;   /* rare: more variants than slots, caller renders */
    struct book_cache *b = &books[(*used)++];
    b->depth = depth;
    b->simple = simple;
    b->level = level;
    b->r.len = render_orderbook(b->r.buf, sizeof(b->r.buf), m, depth, level, simple, false);
    return &b->r;
}

static void fan_book(struct market *m, int64_t now_ms)
{
    if (!m->book_dirty || now_ms - m->book_emit_ms < BOOK_PERIOD_MS)
        return;
    m->book_dirty = false;
    m->book_emit_ms = now_ms;
    market_build_book(m);
    size_t used = 0;
    for (size_t i = 0; i < m->nrefs; i++) {
        const struct sub_ref *r = &m->refs[i];
        if (r->type != DT_ORDERBOOK)
            continue;
        bool s = fmt_is_simple(r->conn->fmt);
        const char *level = r->conn->sub.items[r->item].level_txt;
        const struct rendered *e = book_for(m, r->depth, s, level, &used);
        if (e && e->len) {
            sub_send(r->conn, e->buf, e->len);
            continue;
        }
        size_t n = render_orderbook(scratch, sizeof(scratch), m, r->depth, level, s, false);
        if (n)
            sub_send(r->conn, scratch, n);
    }
}

static void fan_candle(struct market *m, int unit, int64_t now_ms)
{
    if (!m->candle_dirty[unit] || now_ms - m->candle_emit_ms[unit] < CANDLE_PERIOD_MS)
        return;
    m->candle_dirty[unit] = false;
    m->candle_emit_ms[unit] = now_ms;
    size_t len[2] = {(size_t)-1, (size_t)-1};
    int type = DT_CANDLE_FIRST + unit;
    for (size_t i = 0; i < m->nrefs; i++) {
        const struct sub_ref *r = &m->refs[i];
        if (r->type != type)
            continue;
        int s = fmt_is_simple(r->conn->fmt);
        if (len[s] == (size_t)-1)
            len[s] = render_candle(cache[s][0].buf, RENDER_CAP, m, unit, s, false, now_ms);
        if (len[s])
            sub_send(r->conn, cache[s][0].buf, len[s]);
    }
}

static void conn_timers(int64_t now_ms)
{
    static const char status_up[] = "{\"status\":\"UP\"}";
    for (struct conn *c = g_mock.conns; c; c = c->next) {
        if (c->dead)
            continue;
        if (c->close_at_ms && now_ms >= c->close_at_ms && !conn_has_output(c) && !c->want_close) {
            c->want_close = true;
            conn_wake(c);
        }
        if (c->status_next_ms && now_ms >= c->status_next_ms && !g_mock.stalled) {
            conn_enqueue(c, status_up, sizeof(status_up) - 1, QF_TEXT);
            c->status_next_ms += MOCK_STATUS_PERIOD_MS;
            /* After a stall, resume the cadence instead of catching up. */
            if (c->status_next_ms <= now_ms)
                c->status_next_ms = now_ms + MOCK_STATUS_PERIOD_MS;
        }
    }
}

void feed_tick(int64_t now_us)
{
    int64_t now_ms = now_us / 1000;
    for (size_t i = 0; i < nactive; i++) {
        struct market *m = market_at(active[i]);
        while (market_step(m, now_us, g_mock.cfg.trade_rate))
            fan_trade(m, now_ms);
        fan_book(m, now_ms);
        for (int u = 0; u < CANDLE_UNITS; u++)
            fan_candle(m, u, now_ms);
    }
    conn_timers(now_ms);
}
