/* vwap — the rolling volume-weighted average price of each configured
 * market, from its trades, logged every `interval_ms` by an SDK timer.
 *
 * Written as a third party would: it includes only <upws/plugin.h> and does
 * everything through the host function table. See README.md for the config
 * and the exact log lines. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <upws/plugin.h>

/* A bound on memory per market: at that many trades inside one window the
 * oldest tenth is forgotten early, in one move (and the log says so). */
#define MAX_TRADES_PER_CODE 1000000

typedef struct trade {
    int64_t ts_ms;  /* the exchange's trade_timestamp */
    int64_t seq;    /* sequential_id */
    double price, volume;
} trade;

typedef struct market {
    const char *code;  /* host-owned config string, valid until stop() returns */
    trade *trades;     /* in arrival order */
    size_t n, cap;
    uint64_t forgotten;  /* trades dropped by MAX_TRADES_PER_CODE since the last report */
} market;

typedef struct vwap {
    upws_ctx *ctx;
    const upws_host_api *api;
    int64_t window_ms;
    market *markets;  /* sorted by code, for bsearch */
    size_t n_markets;
} vwap;

static int cmp_code(const void *a, const void *b)
{
    return strcmp(((const market *)a)->code, ((const market *)b)->code);
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    timespec_get(&ts, TIME_UTC);  /* C11; the same clock as the exchange timestamps */
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void vwap_free(vwap *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n_markets; i++)
        free(v->markets[i].trades);
    free(v->markets);
    free(v);
}

/* Reads an optional integer key within [lo, hi]. Returns 0 or -1 (logged). */
static int read_ms(vwap *v, const char *key, int64_t lo, int64_t hi, int64_t *out)
{
    int rc = v->api->config_int(v->ctx, key, out);
    if (rc == UPWS_ENOENT)
        return 0;
    if (rc == UPWS_OK && *out >= lo && *out <= hi)
        return 0;
    v->api->log(v->ctx, UPWS_LOG_ERROR, "config key '%s': an integer in %lld..%lld", key,
                (long long)lo, (long long)hi);
    return -1;
}

static int read_markets(vwap *v, const char *const **codes, size_t *n)
{
    if (v->api->config_list(v->ctx, "codes", codes, n) != UPWS_OK || *n == 0) {
        v->api->log(v->ctx, UPWS_LOG_ERROR, "config key 'codes': required, a list of market codes");
        return -1;
    }
    v->markets = calloc(*n, sizeof *v->markets);
    if (!v->markets)
        return -1;
    for (size_t i = 0; i < *n; i++)
        v->markets[i].code = (*codes)[i];
    v->n_markets = *n;
    qsort(v->markets, *n, sizeof *v->markets, cmp_code);
    return 0;
}

static void report(void *self, int64_t timer_id);

static int start(vwap *v, const char *const *codes, size_t n, int64_t interval_ms)
{
    upws_want want;
    memset(&want, 0, sizeof want);
    want.struct_size = sizeof want;
    want.type = "trade";
    want.codes = codes;
    want.n_codes = n;
    want.delivery = UPWS_DELIVERY_LOSSLESS;  /* a VWAP needs every trade */
    int64_t sub = v->api->subscribe(v->ctx, &want);
    int64_t timer = sub > 0 ? v->api->timer_add(v->ctx, (uint32_t)interval_ms, (uint32_t)interval_ms, report) : 0;
    if (sub <= 0 || timer <= 0) {
        v->api->log(v->ctx, UPWS_LOG_ERROR, "cannot start: %s",
                    v->api->strerror((int)(sub <= 0 ? sub : timer)));
        return -1;
    }
    return 0;
}

static int vw_init(upws_ctx *ctx, const upws_host_api *api, void **self)
{
    *self = NULL;
    if (api->abi_major != UPWS_ABI_MAJOR)
        return -1;
    vwap *v = calloc(1, sizeof *v);
    if (!v)
        return -1;
    v->ctx = ctx;
    v->api = api;
    v->window_ms = 60000;
    int64_t interval_ms = 10000;
    const char *const *codes;
    size_t n;
    if (read_ms(v, "window_ms", 1000, 86400000, &v->window_ms) != 0 ||
        read_ms(v, "interval_ms", 100, 3600000, &interval_ms) != 0 || read_markets(v, &codes, &n) != 0 ||
        start(v, codes, n, interval_ms) != 0) {
        vwap_free(v);  /* stop() is not called after a refused init; the host sweeps the rest */
        return -1;
    }
    *self = v;
    return 0;
}

static int push_trade(market *m, trade t)
{
    if (m->n == MAX_TRADES_PER_CODE) {
        size_t drop = MAX_TRADES_PER_CODE / 10;
        memmove(m->trades, m->trades + drop, (m->n - drop) * sizeof *m->trades);
        m->n -= drop;
        m->forgotten += drop;
    }
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 256;
        trade *grown = realloc(m->trades, cap * sizeof *grown);
        if (!grown)
            return -1;
        m->trades = grown;
        m->cap = cap;
    }
    m->trades[m->n++] = t;
    return 0;
}

static void vw_on_event(void *self, const upws_event *ev)
{
    vwap *v = self;
    const upws_trade *tr = ev->trade;
    if (!tr || !(tr->trade_volume > 0))
        return;
    market key = {.code = ev->code};
    market *m = bsearch(&key, v->markets, v->n_markets, sizeof key, cmp_code);
    if (!m)
        return;
    trade t = {.ts_ms = tr->trade_timestamp, .seq = tr->sequential_id,
               .price = tr->trade_price, .volume = tr->trade_volume};
    if (push_trade(m, t) != 0)
        v->api->log(v->ctx, UPWS_LOG_WARN, "%s: out of memory, trade %lld not counted", m->code,
                    (long long)t.seq);
}

/* Keeps the trades stamped after `from_ms` (arrival order preserved). The
 * sums are recomputed from scratch on each report, so no rounding error
 * accumulates however long the plugin runs. */
static void evict(market *m, int64_t from_ms)
{
    size_t kept = 0;
    for (size_t i = 0; i < m->n; i++)
        if (m->trades[i].ts_ms > from_ms)
            m->trades[kept++] = m->trades[i];
    m->n = kept;
}

static void report_market(vwap *v, market *m, int64_t from_ms)
{
    evict(m, from_ms);
    if (m->forgotten) {
        v->api->log(v->ctx, UPWS_LOG_WARN, "%s: %llu old trades left out (more than %d in the window)",
                    m->code, (unsigned long long)m->forgotten, MAX_TRADES_PER_CODE);
        m->forgotten = 0;
    }
    if (m->n == 0) {
        v->api->log(v->ctx, UPWS_LOG_INFO, "%s no trades in the last %lld ms", m->code,
                    (long long)v->window_ms);
        return;
    }
    double pv = 0, vol = 0;
    for (size_t i = 0; i < m->n; i++) {
        pv += m->trades[i].price * m->trades[i].volume;
        vol += m->trades[i].volume;
    }
    v->api->log(v->ctx, UPWS_LOG_INFO,
                "%s vwap %.12g over %zu trades, volume %.12g, last %lld ms (after %lld, seq %lld..%lld)",
                m->code, pv / vol, m->n, vol, (long long)v->window_ms, (long long)from_ms,
                (long long)m->trades[0].seq, (long long)m->trades[m->n - 1].seq);
}

static void report(void *self, int64_t timer_id)
{
    vwap *v = self;
    (void)timer_id;
    int64_t from_ms = wall_ms() - v->window_ms;
    for (size_t i = 0; i < v->n_markets; i++)
        report_market(v, &v->markets[i], from_ms);
}

static void vw_on_status(void *self, const upws_status *st)
{
    vwap *v = self;
    if (st->kind == UPWS_STATUS_GAP)
        v->api->log(v->ctx, UPWS_LOG_WARN, "no trades for %.1f s: windows overlapping it are incomplete",
                    (double)(st->until_ns - st->since_ns) / 1e9);
    else if (st->kind == UPWS_STATUS_DROPPED)
        v->api->log(v->ctx, UPWS_LOG_WARN, "%llu trades dropped: the VWAP misses them",
                    (unsigned long long)st->count);
}

static void vw_stop(void *self)
{
    vwap_free(self);  /* the subscription and the timer are released by the host */
}

static const char *const config_keys[] = {"codes", "window_ms", "interval_ms", NULL};

UPWS_PLUGIN = {
    .struct_size = sizeof(upws_plugin),
    .abi_major = UPWS_ABI_MAJOR,
    .abi_minor = UPWS_ABI_MINOR,
    .name = "vwap",
    .version = "1.0.0",
    .description = "logs the rolling volume-weighted average price of each market",
    .config_keys = config_keys,
    .init = vw_init,
    .on_event = vw_on_event,
    .on_status = vw_on_status,
    .stop = vw_stop,
};
