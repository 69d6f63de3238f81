/* Per-code random-walk market. Each code owns its own PRNG seeded from
 * (--seed, code index), so a code's price path does not depend on which
 * other codes happen to be subscribed. State is built lazily: only codes
 * somebody asks for cost anything. */
#include "mock_market.h"
#include "mock_log.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const int candle_unit_secs[CANDLE_UNITS] = {1, 60, 180, 300, 600, 900, 1800, 3600, 14400};

enum { Q_KRW, Q_BTC, Q_USDT };

struct named_market {
    const char *code;
    double price;
    int quote;
};

static const struct named_market named[] = {
    {"KRW-BTC", 100000000, Q_KRW}, {"KRW-ETH", 3700000, Q_KRW},
    {"KRW-XRP", 800, Q_KRW},       {"KRW-SOL", 200000, Q_KRW},
    {"KRW-DOGE", 150, Q_KRW},      {"KRW-ADA", 700, Q_KRW},
    {"BTC-ETH", 0.035, Q_BTC},     {"BTC-XRP", 0.0000085, Q_BTC},
    {"USDT-BTC", 70000, Q_USDT},   {"USDT-ETH", 2600, Q_USDT},
};
#define NAMED_COUNT ((int)(sizeof(named) / sizeof(named[0])))

/* Typical trade notional per quote currency, used to size volumes. */
static const double quote_notional[] = {500000.0, 0.005, 300.0};

static struct market *markets;
static int market_total;
static uint64_t market_seed;

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dull;
}

/* Uniform in (0, 1]: never 0, so log() below is safe. */
static double rng_unit(uint64_t *s)
{
    return ((double)(rng_next(s) >> 11) + 1.0) / 9007199254740992.0;
}

int markets_init(int count, uint64_t seed)
{
    market_total = count;
    market_seed = seed;
    markets = calloc((size_t)count, sizeof(*markets));
    if (!markets)
        return -1;
    for (int i = 0; i < count; i++) {
        struct market *m = &markets[i];
        m->index = i;
        if (i < NAMED_COUNT)
            snprintf(m->code, sizeof(m->code), "%s", named[i].code);
        else
            snprintf(m->code, sizeof(m->code), "KRW-C%03d", i - NAMED_COUNT + 1);
    }
    return 0;
}

void markets_free(void)
{
    for (int i = 0; i < market_total; i++)
        free(markets[i].refs);
    free(markets);
    markets = NULL;
    market_total = 0;
}

int markets_count(void)
{
    return market_total;
}

struct market *market_at(int index)
{
    return &markets[index];
}

static int synthetic_index(const char *code)
{
    if (strncmp(code, "KRW-C", 5) != 0)
        return -1;
    const char *d = code + 5;
    if (*d < '0' || *d > '9')
        return -1;
    char *end;
    long n = strtol(d, &end, 10);
    if (*end || n < 1 || n > 1000000)
        return -1;
    int idx = NAMED_COUNT + (int)n - 1;
    if (idx >= market_total)
        return -1;
    /* "KRW-C01" must not alias "KRW-C001". */
    return strcmp(markets[idx].code, code) == 0 ? idx : -1;
}

int market_find(const char *code)
{
    int limit = market_total < NAMED_COUNT ? market_total : NAMED_COUNT;
    for (int i = 0; i < limit; i++)
        if (strcmp(named[i].code, code) == 0)
            return i;
    return synthetic_index(code);
}

/* Upbit-like KRW tick table (approximate; fixed at start so a market's
 * number of decimals never changes mid-stream). */
static void pick_tick(struct market *m, double price)
{
    m->tick = 1;
    if (m->quote == Q_BTC) {
        m->dec = 8;
        return;
    }
    if (m->quote == Q_USDT) {
        m->dec = 3;
        return;
    }
    static const struct { double min; int dec; int64_t tick; } tab[] = {
        {2e6, 0, 1000}, {1e6, 0, 500}, {5e5, 0, 100}, {1e5, 0, 50},
        {1e4, 0, 10},   {1e3, 0, 5},   {1e2, 1, 1},   {1e1, 2, 1},
        {1, 3, 1},      {0, 4, 1},
    };
    for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
        if (price >= tab[i].min) {
            m->dec = tab[i].dec;
            m->tick = tab[i].tick;
            return;
        }
    }
}

static double pow10i(int n)
{
    double r = 1;
    while (n-- > 0)
        r *= 10;
    return r;
}

static double to_real(const struct market *m, int64_t scaled)
{
    return (double)scaled / pow10i(m->dec);
}

static int64_t quantize(const struct market *m, double price)
{
    int64_t v = llround(price * pow10i(m->dec) / (double)m->tick) * m->tick;
    return v < m->tick * 10 ? m->tick * 10 : v;
}

/* One walk step in scaled units: about 2 bp of the price, at least a tick. */
static int64_t walk_step(const struct market *m)
{
    int64_t ticks = (int64_t)(to_real(m, m->bid0) * 0.0002 * pow10i(m->dec) / (double)m->tick);
    return (ticks < 1 ? 1 : ticks) * m->tick;
}

static int64_t random_volume(struct market *m, double spread_factor)
{
    double qty = quote_notional[m->quote] / to_real(m, m->bid0);
    double u = rng_unit(&m->rng);
    double v = qty * (0.02 + spread_factor * u * u * u) * 1e8;
    return v < 1 ? 1 : (int64_t)v;
}

static void format_date(char out[11], int64_t ms)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

static void update_day(struct market *m, const struct trade_ev *t)
{
    int64_t day = t->ts - t->ts % 86400000;
    if (day != m->day_start_ms) {
        m->day_start_ms = day;
        m->prev_close = m->last.price ? m->last.price : t->price;
        m->open = m->high = m->low = t->price;
        m->acc_volume = m->acc_amount = m->acc_ask_volume = m->acc_bid_volume = 0;
    }
    if (t->price > m->high)
        m->high = t->price;
    if (t->price < m->low)
        m->low = t->price;
    double vol = (double)t->volume / 1e8;
    m->acc_volume += vol;
    m->acc_amount += vol * to_real(m, t->price);
    if (t->ask)
        m->acc_ask_volume += vol;
    else
        m->acc_bid_volume += vol;
    if (t->price > m->high52) {
        m->high52 = t->price;
        format_date(m->high52_date, t->ts);
    }
    if (t->price < m->low52) {
        m->low52 = t->price;
        format_date(m->low52_date, t->ts);
    }
}

static void update_candles(struct market *m, const struct trade_ev *t)
{
    double amount = (double)t->volume / 1e8 * to_real(m, t->price);
    for (int u = 0; u < CANDLE_UNITS; u++) {
        struct candle *c = &m->candles[u];
        int64_t unit_ms = (int64_t)candle_unit_secs[u] * 1000;
        int64_t start = t->ts - t->ts % unit_ms;
        if (!c->valid || c->start_ms != start) {
            *c = (struct candle){start, t->price, t->price, t->price, t->price, 0, 0, true};
        }
        if (t->price > c->high)
            c->high = t->price;
        if (t->price < c->low)
            c->low = t->price;
        c->close = t->price;
        c->volume += t->volume;
        c->amount += amount;
        m->candle_dirty[u] = true;
    }
}

/* sequential_id: wall-clock based (ms * 10000, ~1.7e16 > 2^53) so ids stay
 * unique across mock restarts, and strictly increasing per code. */
static int64_t next_sid(struct market *m, int64_t ts)
{
    int64_t by_time = ts * 10000 + (int64_t)(rng_next(&m->rng) % 100);
    int64_t by_prev = m->last.sid + 1 + (int64_t)(rng_next(&m->rng) % 3);
    return by_time > by_prev ? by_time : by_prev;
}

static void move_price(struct market *m)
{
    uint64_t r = rng_next(&m->rng) % 10;
    int64_t step = walk_step(m) * (int64_t)(1 + rng_next(&m->rng) % 3);
    if (r < 3 && m->bid0 - step >= m->tick * 10)
        m->bid0 -= step;
    else if (r >= 7)
        m->bid0 += step;
    m->spread = 1 + (int)(rng_next(&m->rng) % 2);
}

static void do_trade(struct market *m, int64_t ts)
{
    struct trade_ev t = {0};
    t.ts = ts < m->last.ts ? m->last.ts : ts;
    t.ask = rng_next(&m->rng) & 1;
    t.best_bid = m->bid0;
    t.best_ask = m->bid0 + m->spread * m->tick;
    t.price = t.ask ? t.best_bid : t.best_ask;
    t.volume = random_volume(m, 2.0);
    m->ask0_size = random_volume(m, 4.0);
    m->bid0_size = random_volume(m, 4.0);
    t.best_ask_size = m->ask0_size;
    t.best_bid_size = m->bid0_size;
    t.sid = next_sid(m, t.ts);
    log_trade(m->code, t.sid);
    update_day(m, &t);
    update_candles(m, &t);
    m->last = t;
    move_price(m);
    m->book_version++;
    m->book_dirty = true;
    m->book_ts = t.ts;
}

static void init_day_stats(struct market *m, int64_t now_ms)
{
    double p = to_real(m, m->bid0);
    m->day_start_ms = now_ms - now_ms % 86400000;
    m->prev_close = quantize(m, p * (0.95 + 0.1 * rng_unit(&m->rng)));
    m->open = quantize(m, p * (0.98 + 0.04 * rng_unit(&m->rng)));
    m->high = quantize(m, p * (1.0 + 0.03 * rng_unit(&m->rng)));
    m->low = quantize(m, p * (0.97 + 0.02 * rng_unit(&m->rng)));
    if (m->high < m->open)
        m->high = m->open;
    if (m->low > m->open)
        m->low = m->open;
    double qty = quote_notional[m->quote] / p;
    m->acc_volume = qty * (200 + 2000 * rng_unit(&m->rng));
    m->acc_amount = m->acc_volume * p;
    m->acc_ask_volume = m->acc_volume * (0.3 + 0.4 * rng_unit(&m->rng));
    m->acc_bid_volume = m->acc_volume - m->acc_ask_volume;
    m->base_volume_24h = m->acc_volume * (1 + rng_unit(&m->rng));
    m->base_amount_24h = m->base_volume_24h * p;
    m->high52 = quantize(m, p * (1.3 + 0.7 * rng_unit(&m->rng)));
    m->low52 = quantize(m, p * (0.4 + 0.4 * rng_unit(&m->rng)));
    format_date(m->high52_date, now_ms - (int64_t)(30 + rng_next(&m->rng) % 300) * 86400000);
    format_date(m->low52_date, now_ms - (int64_t)(30 + rng_next(&m->rng) % 300) * 86400000);
}

void market_ensure(struct market *m, int64_t now_ms)
{
    if (m->ready)
        return;
    m->ready = true;
    m->rng = splitmix64(market_seed ^ splitmix64((uint64_t)m->index + 1)) | 1;
    double price;
    if (m->index < NAMED_COUNT) {
        price = named[m->index].price;
        m->quote = named[m->index].quote;
    } else {
        price = pow(10.0, 1.0 + 5.0 * rng_unit(&m->rng));
        m->quote = Q_KRW;
    }
    pick_tick(m, price);
    m->bid0 = quantize(m, price);
    m->spread = 1;
    init_day_stats(m, now_ms);
    /* Upbit always has a last trade to snapshot: make one a little while ago. */
    do_trade(m, now_ms - 1000 - (int64_t)(rng_next(&m->rng) % 29000));
}

static int64_t exp_interval_us(struct market *m, double rate)
{
    return (int64_t)(-log(rng_unit(&m->rng)) / rate * 1e6) + 1;
}

void market_activate(struct market *m, int64_t now_us, double rate)
{
    market_ensure(m, now_us / 1000);
    /* The new subscriber was just sent snapshots of this state; changes made
     * while nobody listened must not be re-sent as REALTIME at once. */
    m->book_dirty = false;
    memset(m->candle_dirty, 0, sizeof(m->candle_dirty));
    if (rate > 0)
        m->next_trade_us = now_us + exp_interval_us(m, rate);
}

bool market_step(struct market *m, int64_t now_us, double rate)
{
    if (rate <= 0 || m->next_trade_us > now_us)
        return false;
    /* After a stall of the loop do not burst out seconds of backlog. */
    if (now_us - m->next_trade_us > 1000000)
        m->next_trade_us = now_us;
    do_trade(m, m->next_trade_us / 1000);
    m->next_trade_us += exp_interval_us(m, rate);
    return true;
}

/* Deep levels come from their own PRNG keyed by the book version, so
 * building a book never disturbs the trade sequence. */
void market_build_book(struct market *m)
{
    if (m->book_built == m->book_version && m->book_version)
        return;
    uint64_t r = splitmix64(market_seed ^ ((uint64_t)m->index << 32) ^ m->book_version) | 1;
    int64_t step = walk_step(m);
    double qty = quote_notional[m->quote] / to_real(m, m->bid0);
    int64_t ask = m->bid0 + m->spread * m->tick;
    int64_t bid = m->bid0;
    for (int i = 0; i < BOOK_DEPTH; i++) {
        struct book_level *l = &m->book[i];
        if (i > 0) {
            ask += step * (int64_t)(1 + rng_next(&r) % 3);
            bid -= step * (int64_t)(1 + rng_next(&r) % 3);
        }
        double ua = rng_unit(&r), ub = rng_unit(&r);
        l->ask = ask;
        l->ask_size = i ? (int64_t)(qty * (0.05 + 3 * ua * ua) * 1e8) + 1 : m->ask0_size;
        /* Thin bid side: Upbit pads with zero slots. */
        l->bid = bid > 0 ? bid : 0;
        l->bid_size = bid > 0 ? (i ? (int64_t)(qty * (0.05 + 3 * ub * ub) * 1e8) + 1 : m->bid0_size) : 0;
    }
    m->book_built = m->book_version;
}
