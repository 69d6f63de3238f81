/* Renders data frames the way Upbit spells them. Upbit mixes number
 * spellings field by field (100473000.00000000, 109847000.0, 1.16539E8,
 * 7.9276E-4, plain integers); the mock reproduces that mix so clients are
 * forced to parse all of them. Hand-rolled writer: this is the hot path. */
#include "mock_format.h"

#include <math.h>
#include <string.h>
#include <time.h>

enum nstyle {
    NS_PLAIN,   /* shortest: 31883000, 0.0055433 */
    NS_FIX8,    /* exactly 8 decimals: 31883000.00000000 */
    NS_ONE,     /* at least one decimal: 109847000.0 */
    NS_JAVA,    /* Java Double.toString: 1.16539E8, 7.9276E-4, 0.0105 */
};

struct w {
    char *p, *end;
    bool simple, overflow, first;
};

static void put(struct w *w, const char *s, size_t n)
{
    if (w->overflow || (size_t)(w->end - w->p) < n) {
        w->overflow = true;
        return;
    }
    memcpy(w->p, s, n);
    w->p += n;
}

static void puts_(struct w *w, const char *s)
{
    put(w, s, strlen(s));
}

/* Writes ,"key": choosing the DEFAULT or SIMPLE spelling. */
static void key(struct w *w, const char *full, const char *abbr)
{
    if (!w->first)
        put(w, ",", 1);
    w->first = false;
    put(w, "\"", 1);
    puts_(w, w->simple ? abbr : full);
    put(w, "\":", 2);
}

static size_t u64_digits(char *out, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

/* Scientific form d.ddd[E-]n from a digit string with its decimal exponent. */
static size_t java_sci(char *out, const char *dig, size_t nd, int exp10)
{
    size_t o = 0;
    out[o++] = dig[0];
    out[o++] = '.';
    if (nd == 1)
        out[o++] = '0';
    for (size_t i = 1; i < nd; i++)
        out[o++] = dig[i];
    out[o++] = 'E';
    if (exp10 < 0) {
        out[o++] = '-';
        exp10 = -exp10;
    }
    return o + u64_digits(out + o, (uint64_t)exp10);
}

/* Formats ip.frac (frac has `scale` digits) in the given style. */
static size_t num_text(char *out, bool neg, uint64_t ip, uint64_t frac, int scale,
                       enum nstyle st)
{
    char fd[24];
    size_t nf;
    for (int i = scale - 1; i >= 0; i--) {
        fd[i] = (char)('0' + frac % 10);
        frac /= 10;
    }
    nf = (size_t)scale;
    if (st == NS_FIX8) {
        while (nf < 8)
            fd[nf++] = '0';
        nf = 8;   /* callers never pass scale > 8 with FIX8 */
    } else {
        while (nf > 0 && fd[nf - 1] == '0')
            nf--;
    }
    size_t o = 0;
    if (neg && (ip || nf))
        out[o++] = '-';
    if (st == NS_JAVA && (ip >= 10000000 || (ip == 0 && nf > 3 && fd[0] == '0' && fd[1] == '0' && fd[2] == '0'))) {
        char dig[48];
        size_t nd = 0;
        int exp10;
        if (ip) {
            nd = u64_digits(dig, ip);
            exp10 = (int)nd - 1;
            memcpy(dig + nd, fd, nf);
            nd += nf;
        } else {
            size_t z = 0;
            while (z < nf && fd[z] == '0')
                z++;
            exp10 = -(int)(z + 1);
            memcpy(dig, fd + z, nf - z);
            nd = nf - z;
        }
        while (nd > 1 && dig[nd - 1] == '0')
            nd--;
        return o + java_sci(out + o, dig, nd, exp10);
    }
    o += u64_digits(out + o, ip);
    if (nf == 0 && (st == NS_ONE || st == NS_JAVA)) {
        memcpy(out + o, ".0", 2);
        return o + 2;
    }
    if (nf) {
        out[o++] = '.';
        memcpy(out + o, fd, nf);
        o += nf;
    }
    return o;
}

static const uint64_t pow10u[] = {1ull, 10ull, 100ull, 1000ull, 10000ull,
    100000ull, 1000000ull, 10000000ull, 100000000ull, 1000000000ull, 10000000000ull};

static void num_scaled(struct w *w, int64_t v, int scale, enum nstyle st)
{
    char buf[64];
    uint64_t a = v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;
    put(w, buf, num_text(buf, v < 0, a / pow10u[scale], a % pow10u[scale], scale, st));
}

static void num_double(struct w *w, double x, int scale, enum nstyle st)
{
    char buf[64];
    bool neg = x < 0;
    double a = fabs(x);
    if (!isfinite(a) || a > 9e18)
        a = 0;
    uint64_t ip = (uint64_t)a;
    uint64_t frac = (uint64_t)llround((a - (double)ip) * (double)pow10u[scale]);
    if (frac >= pow10u[scale]) {
        ip++;
        frac -= pow10u[scale];
    }
    put(w, buf, num_text(buf, neg, ip, frac, scale, st));
}

static void f_price(struct w *w, const char *full, const char *abbr,
                    const struct market *m, int64_t v, enum nstyle st)
{
    key(w, full, abbr);
    num_scaled(w, v, m->dec, st);
}

static void f_vol(struct w *w, const char *full, const char *abbr, int64_t v,
                  enum nstyle st)
{
    key(w, full, abbr);
    num_scaled(w, v, VOL_SCALE, st);
}

static void f_dbl(struct w *w, const char *full, const char *abbr, double v,
                  int scale, enum nstyle st)
{
    key(w, full, abbr);
    num_double(w, v, scale, st);
}

static void f_int(struct w *w, const char *full, const char *abbr, int64_t v)
{
    char buf[24];
    key(w, full, abbr);
    if (v < 0) {
        put(w, "-", 1);
        v = -v;
    }
    put(w, buf, u64_digits(buf, (uint64_t)v));
}

/* Values are fixed ASCII from the mock itself: no escaping needed. */
static void f_str(struct w *w, const char *full, const char *abbr, const char *s)
{
    key(w, full, abbr);
    put(w, "\"", 1);
    puts_(w, s);
    put(w, "\"", 1);
}

static void f_raw(struct w *w, const char *full, const char *abbr, const char *s)
{
    key(w, full, abbr);
    puts_(w, s);
}

static void begin(struct w *w, char *buf, size_t cap, bool simple)
{
    *w = (struct w){buf, buf + cap, simple, false, true};
    put(w, "{", 1);
}

static size_t finish(struct w *w, char *buf)
{
    put(w, "}", 1);
    return w->overflow ? 0 : (size_t)(w->p - buf);
}

static void head(struct w *w, const char *type, const struct market *m)
{
    f_str(w, "type", "ty", type);
    f_str(w, "code", "cd", m->code);
}

static const char *stream(bool snapshot)
{
    return snapshot ? "SNAPSHOT" : "REALTIME";
}

static void utc_fmt(char *out, size_t cap, int64_t ms, const char *f)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(out, cap, f, &tm);
}

static const char *change_of(int64_t price, int64_t prev)
{
    return price > prev ? "RISE" : price < prev ? "FALL" : "EVEN";
}

static void ticker_prices(struct w *w, const struct market *m)
{
    /* DEFAULT: plain integers as in the docs' example; SIMPLE: 148500000.0 */
    enum nstyle ps = w->simple ? NS_ONE : NS_PLAIN;
    int64_t price = m->last.price;
    int64_t diff = price - m->prev_close;
    double rate = m->prev_close ? (double)diff / (double)m->prev_close : 0;
    f_price(w, "opening_price", "op", m, m->open, ps);
    f_price(w, "high_price", "hp", m, m->high, ps);
    f_price(w, "low_price", "lp", m, m->low, ps);
    f_price(w, "trade_price", "tp", m, price, ps);
    f_price(w, "prev_closing_price", "pcp", m, m->prev_close, w->simple ? NS_ONE : NS_FIX8);
    f_dbl(w, "acc_trade_price", "atp", m->acc_amount, 8, w->simple ? NS_PLAIN : NS_FIX8);
    f_str(w, "change", "c", change_of(price, m->prev_close));
    f_price(w, "change_price", "cp", m, diff < 0 ? -diff : diff, w->simple ? NS_ONE : NS_FIX8);
    f_price(w, "signed_change_price", "scp", m, diff, w->simple ? NS_ONE : NS_FIX8);
    f_dbl(w, "change_rate", "cr", fabs(rate), 10, NS_PLAIN);
    f_dbl(w, "signed_change_rate", "scr", rate, 10, NS_PLAIN);
}

size_t render_ticker(char *buf, size_t cap, const struct market *m, bool simple,
                     bool snapshot, int64_t now_ms)
{
    struct w w;
    char date[16], tod[16];
    begin(&w, buf, cap, simple);
    head(&w, "ticker", m);
    ticker_prices(&w, m);
    f_str(&w, "ask_bid", "ab", m->last.ask ? "ASK" : "BID");
    f_vol(&w, "trade_volume", "tv", m->last.volume, NS_PLAIN);
    f_dbl(&w, "acc_trade_volume", "atv", m->acc_volume, 8, NS_PLAIN);
    utc_fmt(date, sizeof(date), m->last.ts, "%Y%m%d");
    utc_fmt(tod, sizeof(tod), m->last.ts, "%H%M%S");
    f_str(&w, "trade_date", "tdt", date);
    f_str(&w, "trade_time", "ttm", tod);
    f_int(&w, "trade_timestamp", "ttms", m->last.ts);
    f_dbl(&w, "acc_ask_volume", "aav", m->acc_ask_volume, 8, NS_PLAIN);
    f_dbl(&w, "acc_bid_volume", "abv", m->acc_bid_volume, 8, NS_PLAIN);
    f_price(&w, "highest_52_week_price", "h52wp", m, m->high52, simple ? NS_ONE : NS_FIX8);
    f_str(&w, "highest_52_week_date", "h52wdt", m->high52_date);
    f_price(&w, "lowest_52_week_price", "l52wp", m, m->low52, simple ? NS_ONE : NS_FIX8);
    f_str(&w, "lowest_52_week_date", "l52wdt", m->low52_date);
    f_str(&w, "market_state", "ms", "ACTIVE");
    f_raw(&w, "is_trading_suspended", "its", "false");
    f_raw(&w, "delisting_date", "dd", "null");
    f_str(&w, "market_warning", "mw", "NONE");
    f_int(&w, "timestamp", "tms", now_ms);
    f_dbl(&w, "acc_trade_price_24h", "atp24h", m->base_amount_24h + m->acc_amount, 8,
          simple ? NS_PLAIN : NS_FIX8);
    f_dbl(&w, "acc_trade_volume_24h", "atv24h", m->base_volume_24h + m->acc_volume, 8,
          simple ? NS_PLAIN : NS_FIX8);
    f_str(&w, "stream_type", "st", stream(snapshot));
    return finish(&w, buf);
}

size_t render_trade(char *buf, size_t cap, const struct market *m, bool simple,
                    bool snapshot, int64_t now_ms)
{
    const struct trade_ev *t = &m->last;
    enum nstyle ps = simple ? NS_FIX8 : NS_ONE;
    struct w w;
    char date[16], tod[16];
    int64_t diff = t->price - m->prev_close;
    begin(&w, buf, cap, simple);
    head(&w, "trade", m);
    f_int(&w, "timestamp", "tms", now_ms);
    utc_fmt(date, sizeof(date), t->ts, "%Y-%m-%d");
    utc_fmt(tod, sizeof(tod), t->ts, "%H:%M:%S");
    f_str(&w, "trade_date", "td", date);
    f_str(&w, "trade_time", "ttm", tod);
    f_int(&w, "trade_timestamp", "ttms", t->ts);
    f_price(&w, "trade_price", "tp", m, t->price, ps);
    f_vol(&w, "trade_volume", "tv", t->volume, NS_PLAIN);
    f_str(&w, "ask_bid", "ab", t->ask ? "ASK" : "BID");
    f_price(&w, "prev_closing_price", "pcp", m, m->prev_close, ps);
    f_str(&w, "change", "c", change_of(t->price, m->prev_close));
    f_price(&w, "change_price", "cp", m, diff < 0 ? -diff : diff, ps);
    f_int(&w, "sequential_id", "sid", t->sid);
    f_price(&w, "best_ask_price", "bap", m, t->best_ask, NS_PLAIN);
    f_vol(&w, "best_ask_size", "bas", t->best_ask_size, NS_PLAIN);
    f_price(&w, "best_bid_price", "bbp", m, t->best_bid, NS_PLAIN);
    f_vol(&w, "best_bid_size", "bbs", t->best_bid_size, NS_PLAIN);
    f_str(&w, "stream_type", "st", stream(snapshot));
    return finish(&w, buf);
}

static void book_units(struct w *w, const struct market *m, int depth,
                       enum nstyle ps, enum nstyle ss)
{
    key(w, "orderbook_units", "obu");
    put(w, "[", 1);
    for (int i = 0; i < depth; i++) {
        const struct book_level *l = &m->book[i];
        put(w, i ? ",{" : "{", i ? 2 : 1);
        w->first = true;
        f_price(w, "ask_price", "ap", m, l->ask, ps);
        f_price(w, "bid_price", "bp", m, l->bid, ps);
        f_vol(w, "ask_size", "as", l->ask_size, ss);
        f_vol(w, "bid_size", "bs", l->bid_size, ss);
        put(w, "}", 1);
    }
    put(w, "]", 1);
    w->first = false;
}

size_t render_orderbook(char *buf, size_t cap, const struct market *m, int depth,
                        const char *level_txt, bool simple, bool snapshot)
{
    /* DEFAULT like the wire capture (1.16539E8, 0.00077720); SIMPLE like
     * the SIMPLE capture (116606000, 7.9276E-4). */
    enum nstyle ps = simple ? NS_PLAIN : NS_JAVA;
    enum nstyle ss = simple ? NS_JAVA : NS_FIX8;
    int64_t tas = 0, tbs = 0;
    struct w w;
    if (depth < 1 || depth > BOOK_DEPTH)
        depth = BOOK_DEPTH;
    for (int i = 0; i < depth; i++) {
        tas += m->book[i].ask_size;
        tbs += m->book[i].bid_size;
    }
    begin(&w, buf, cap, simple);
    head(&w, "orderbook", m);
    f_int(&w, "timestamp", "tms", m->book_ts);
    f_vol(&w, "total_ask_size", "tas", tas, simple ? NS_PLAIN : NS_FIX8);
    f_vol(&w, "total_bid_size", "tbs", tbs, simple ? NS_PLAIN : NS_FIX8);
    book_units(&w, m, depth, ps, ss);
    f_str(&w, "stream_type", "st", stream(snapshot));
    f_raw(&w, "level", "lv", level_txt);
    return finish(&w, buf);
}

size_t render_candle(char *buf, size_t cap, const struct market *m, int unit,
                     bool simple, bool snapshot, int64_t now_ms)
{
    static const char *const names[CANDLE_UNITS] = {"candle.1s", "candle.1m",
        "candle.3m", "candle.5m", "candle.10m", "candle.15m", "candle.30m",
        "candle.60m", "candle.240m"};
    const struct candle *c = &m->candles[unit];
    enum nstyle ps = simple ? NS_FIX8 : NS_ONE;
    struct w w;
    char utc[24], kst[24];
    utc_fmt(utc, sizeof(utc), c->start_ms, "%Y-%m-%dT%H:%M:%S");
    utc_fmt(kst, sizeof(kst), c->start_ms + 9 * 3600 * 1000, "%Y-%m-%dT%H:%M:%S");
    begin(&w, buf, cap, simple);
    head(&w, names[unit], m);
    f_str(&w, "candle_date_time_utc", "cdttmu", utc);
    f_str(&w, "candle_date_time_kst", "cdttmk", kst);
    f_price(&w, "opening_price", "op", m, c->open, ps);
    f_price(&w, "high_price", "hp", m, c->high, ps);
    f_price(&w, "low_price", "lp", m, c->low, ps);
    f_price(&w, "trade_price", "tp", m, c->close, ps);
    f_vol(&w, "candle_acc_trade_volume", "catv", c->volume, NS_PLAIN);
    f_dbl(&w, "candle_acc_trade_price", "catp", c->amount, 8, NS_PLAIN);
    f_int(&w, "timestamp", "tms", now_ms);
    f_str(&w, "stream_type", "st", stream(snapshot));
    return finish(&w, buf);
}
