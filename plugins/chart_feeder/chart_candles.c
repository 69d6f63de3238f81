/* chart_candles.c — see chart_candles.h. */
#include "chart_candles.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- exact decimal volume ------------------------------------------------ */

static const int64_t pow10_i64[] = {
    1LL, 10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL, 10000000LL, 100000000LL,
    1000000000LL, 10000000000LL, 100000000000LL, 1000000000000LL, 10000000000000LL,
    100000000000000LL, 1000000000000000LL, 10000000000000000LL, 100000000000000000LL,
    1000000000000000000LL,
};

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The exponent after 'e'/'E'; clamped, since anything past ±400 is either
 * zero or out of range anyway. */
static int parse_exponent(const char *s, size_t n, int *exp10)
{
    size_t i = 0;
    int neg = 0, v = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    if (i == n)
        return -1;
    for (; i < n; i++) {
        if (!is_digit(s[i]))
            return -1;
        if (v < 1000)
            v = v * 10 + (s[i] - '0');
    }
    *exp10 = neg ? -v : v;
    return 0;
}

/* Adds digit d at decimal position pow (10^pow) to out. Returns -1 on
 * overflow; sets *lost when a non-zero digit falls below 1e-12 and *round_up
 * when the first such digit is 5 or more. */
static int put_digit(cc_dec *out, int d, int pow, int *lost, int *round_up)
{
    if (d == 0)
        return 0;
    if (pow >= 0) {
        int64_t add;
        if (pow > 18 || __builtin_mul_overflow((int64_t)d, pow10_i64[pow], &add) ||
            __builtin_add_overflow(out->whole, add, &out->whole))
            return -1;
        return 0;
    }
    if (pow >= -CC_DEC_DIGITS) {
        out->frac += d * pow10_i64[CC_DEC_DIGITS + pow];
        return 0;
    }
    if (pow == -CC_DEC_DIGITS - 1 && d >= 5)
        *round_up = 1;
    *lost = 1;
    return 0;
}

/* Splits "123.45E-1" into mantissa [0, mant_end) and exponent; checks the
 * grammar of a non-negative JSON number (leading zeros tolerated). */
static int split_number(const char *s, size_t n, size_t *mant_end, size_t *int_digits, int *exp10)
{
    size_t i = 0, digits = 0, ints = 0;
    int seen_point = 0;
    for (; i < n && s[i] != 'e' && s[i] != 'E'; i++) {
        if (s[i] == '.' && !seen_point) {
            seen_point = 1;
            continue;
        }
        if (!is_digit(s[i]))
            return -1;
        digits++;
        if (!seen_point)
            ints++;
    }
    if (digits == 0)
        return -1;
    *mant_end = i;
    *int_digits = ints;
    *exp10 = 0;
    return i < n ? parse_exponent(s + i + 1, n - i - 1, exp10) : 0;
}

int cc_dec_parse(const char *s, size_t n, cc_dec *out)
{
    size_t mant_end, ints;
    int exp10;
    if (!s || split_number(s, n, &mant_end, &ints, &exp10) != 0)
        return -1;
    cc_dec v = {0, 0};
    int lost = 0, round_up = 0;
    int pow = (int)ints - 1 + exp10; /* position of the first digit */
    for (size_t i = 0; i < mant_end; i++) {
        if (s[i] == '.')
            continue;
        if (put_digit(&v, s[i] - '0', pow, &lost, &round_up) != 0)
            return -1;
        pow--;
    }
    if (round_up)
        cc_dec_add(&v, (cc_dec){0, 1});
    if (v.whole == INT64_MAX)
        return -1; /* cc_dec_add saturated */
    *out = v;
    return lost;
}

cc_dec cc_dec_from_double(double x)
{
    char buf[64];
    cc_dec v = {0, 0};
    if (!(x > 0) || x >= 9e18)
        return v;
    int n = snprintf(buf, sizeof buf, "%.12f", x);
    if (n > 0 && (size_t)n < sizeof buf)
        cc_dec_parse(buf, (size_t)n, &v);
    return v;
}

/* Saturates at INT64_MAX whole units: unreachable for real volumes, and a
 * pinned value is better than a wrapped negative one. */
void cc_dec_add(cc_dec *acc, cc_dec v)
{
    int64_t frac = acc->frac + v.frac;
    int64_t carry = frac / CC_DEC_SCALE;
    acc->frac = frac % CC_DEC_SCALE;
    if (__builtin_add_overflow(acc->whole, v.whole, &acc->whole) ||
        __builtin_add_overflow(acc->whole, carry, &acc->whole)) {
        acc->whole = INT64_MAX;
        acc->frac = 0;
    }
}

int cc_dec_cmp(cc_dec a, cc_dec b)
{
    if (a.whole != b.whole)
        return a.whole < b.whole ? -1 : 1;
    if (a.frac != b.frac)
        return a.frac < b.frac ? -1 : 1;
    return 0;
}

size_t cc_dec_format(cc_dec v, char *buf, size_t cap)
{
    char tmp[48];
    int n = snprintf(tmp, sizeof tmp, "%lld", (long long)v.whole);
    if (v.frac) {
        n += snprintf(tmp + n, sizeof tmp - (size_t)n, ".%012lld", (long long)v.frac);
        while (tmp[n - 1] == '0')
            tmp[--n] = '\0';
    }
    if (cap == 0)
        return 0;
    size_t len = (size_t)n < cap ? (size_t)n : cap - 1;
    memcpy(buf, tmp, len);
    buf[len] = '\0';
    return len;
}

/* ---- intervals ------------------------------------------------------------ */

int cc_interval_parse(const char *text, int64_t *ms)
{
    char *end;
    if (!text || !is_digit(text[0]))
        return -1;
    long long n = strtoll(text, &end, 10);
    int64_t unit;
    switch (*end) {
    case 's': unit = 1000; break;
    case 'm': unit = 60000; break;
    case 'h': unit = 3600000; break;
    case 'd': unit = 86400000; break;
    default: return -1;
    }
    if (end[1] != '\0' || n <= 0 || n > 86400)
        return -1;
    int64_t v = (int64_t)n * unit;
    if (v < CC_INTERVAL_MIN_MS || v > CC_INTERVAL_MAX_MS || CC_INTERVAL_MAX_MS % v != 0)
        return -1;
    *ms = v;
    return 0;
}

void cc_interval_label(int64_t ms, char *buf, size_t cap)
{
    static const struct { int64_t ms; char unit; } units[] = {
        {86400000, 'd'}, {3600000, 'h'}, {60000, 'm'}, {1000, 's'},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (ms % units[i].ms == 0) {
            snprintf(buf, cap, "%lld%c", (long long)(ms / units[i].ms), units[i].unit);
            return;
        }
    }
    snprintf(buf, cap, "%lldms", (long long)ms);
}

int64_t cc_bucket(int64_t ts_ms, int64_t interval_ms)
{
    int64_t r = ts_ms % interval_ms;
    if (r < 0)
        r += interval_ms;
    return ts_ms - r;
}

/* ---- candles --------------------------------------------------------------- */

/* Trade order within a candle: by time, then by sequential_id. */
static int before(int64_t ts, int64_t seq, int64_t ref_ts, int64_t ref_seq)
{
    return ts < ref_ts || (ts == ref_ts && seq < ref_seq);
}

static void candle_open(cc_candle *c, int64_t start, const cc_trade *t)
{
    c->start_ms = start;
    c->open = c->high = c->low = c->close = t->price;
    c->volume = t->volume;
    c->open_ts = c->close_ts = t->ts_ms;
    c->open_seq = c->close_seq = t->seq;
    c->n_trades = 1;
}

static void candle_flat(cc_candle *c, int64_t start, double price)
{
    memset(c, 0, sizeof *c);
    c->start_ms = start;
    c->open = c->high = c->low = c->close = price;
}

static void candle_apply(cc_candle *c, const cc_trade *t)
{
    if (c->n_trades == 0) {
        candle_open(c, c->start_ms, t); /* a flat fill candle becomes real */
        return;
    }
    if (t->price > c->high)
        c->high = t->price;
    if (t->price < c->low)
        c->low = t->price;
    if (before(t->ts_ms, t->seq, c->open_ts, c->open_seq)) {
        c->open = t->price;
        c->open_ts = t->ts_ms;
        c->open_seq = t->seq;
    }
    if (before(c->close_ts, c->close_seq, t->ts_ms, t->seq)) {
        c->close = t->price;
        c->close_ts = t->ts_ms;
        c->close_seq = t->seq;
    }
    cc_dec_add(&c->volume, t->volume);
    if (c->n_trades < UINT32_MAX)
        c->n_trades++;
}

/* ---- series ---------------------------------------------------------------- */

int cc_series_init(cc_series *s, int64_t interval_ms, size_t cap)
{
    memset(s, 0, sizeof *s);
    if (cap == 0 || interval_ms <= 0)
        return -1;
    s->ring = calloc(cap, sizeof *s->ring);
    if (!s->ring)
        return -1;
    s->interval_ms = interval_ms;
    s->cap = cap;
    return 0;
}

void cc_series_free(cc_series *s)
{
    free(s->ring);
    memset(s, 0, sizeof *s);
}

static cc_candle *at(const cc_series *s, size_t i)
{
    return &s->ring[(s->head + i) % s->cap];
}

const cc_candle *cc_series_at(const cc_series *s, size_t i)
{
    return i < s->len ? at(s, i) : NULL;
}

const cc_candle *cc_series_last(const cc_series *s)
{
    return s->len ? at(s, s->len - 1) : NULL;
}

/* Appends a slot after the newest candle, dropping the oldest when full. */
static cc_candle *push_back(cc_series *s)
{
    if (s->len == s->cap) {
        s->head = (s->head + 1) % s->cap;
        s->len--;
    }
    s->len++;
    return at(s, s->len - 1);
}

/* Index of the candle starting at `start`, or where it would go. */
static size_t lower_bound(const cc_series *s, int64_t start)
{
    size_t lo = 0, hi = s->len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (at(s, mid)->start_ms < start)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Opens a slot at logical index pos (0 ≤ pos ≤ len < cap) by shifting the
 * newer candles right. Late trades for a missing bucket are rare, so O(n)
 * is fine. */
static cc_candle *insert_at(cc_series *s, size_t pos)
{
    s->len++;
    for (size_t i = s->len - 1; i > pos; i--)
        *at(s, i) = *at(s, i - 1);
    return at(s, pos);
}

static void drop_front(cc_series *s)
{
    s->head = (s->head + 1) % s->cap;
    s->len--;
}

/* Flat candles repeat the close of the candle before them; a change to a
 * candle's close carries on through the flat run that follows it. */
static void carry_close(cc_series *s, size_t from)
{
    double price = at(s, from)->close;
    for (size_t i = from + 1; i < s->len; i++) {
        cc_candle *c = at(s, i);
        if (c->n_trades != 0)
            return;
        if (c->close == price)
            continue;
        c->open = c->high = c->low = c->close = price;
        c->rev = s->rev;
    }
}

/* Flat candles for the buckets in (newest start, until), at most `room` of
 * them (the newest ones): older ones would be pushed out again at once. */
static size_t fill_before(cc_series *s, int64_t until, size_t room)
{
    const cc_candle *last = cc_series_last(s);
    int64_t iv = s->interval_ms, start = last->start_ms + iv;
    int64_t missing = (until - start) / iv;
    double price = last->close;
    if (missing <= 0 || room == 0)
        return 0;
    if ((uint64_t)missing > room) {
        start = until - (int64_t)room * iv;
        missing = (int64_t)room;
    }
    for (; start < until; start += iv) {
        cc_candle *c = push_back(s);
        candle_flat(c, start, price);
        c->rev = s->rev;
    }
    return (size_t)missing;
}

static cc_result add_newer(cc_series *s, int64_t start, const cc_trade *t, int fill_gaps)
{
    if (fill_gaps && s->len)
        fill_before(s, start, s->cap - 1);
    cc_candle *c = push_back(s);
    memset(c, 0, sizeof *c);
    candle_open(c, start, t);
    c->rev = s->rev;
    return CC_NEW;
}

/* A trade for a bucket at or before the newest one. */
static cc_result add_older(cc_series *s, int64_t start, const cc_trade *t, int fill_gaps)
{
    size_t pos = lower_bound(s, start);
    if (pos < s->len && at(s, pos)->start_ms == start) {
        cc_candle *c = at(s, pos);
        candle_apply(c, t);
        c->rev = s->rev;
        if (fill_gaps)
            carry_close(s, pos);
        return pos == s->len - 1 ? CC_UPDATED : CC_LATE;
    }
    if (pos == 0 && s->len == s->cap) {
        s->n_too_old++;
        return CC_TOO_OLD;
    }
    if (s->len == s->cap) { /* make room: the oldest goes, the late one stays */
        drop_front(s);
        pos--;
    }
    cc_candle *c = insert_at(s, pos);
    memset(c, 0, sizeof *c);
    candle_open(c, start, t);
    c->rev = s->rev;
    return CC_LATE;
}

cc_result cc_series_add(cc_series *s, const cc_trade *t, int fill_gaps)
{
    int64_t start = cc_bucket(t->ts_ms, s->interval_ms);
    const cc_candle *last = cc_series_last(s);
    s->rev++;
    if (!last || start > last->start_ms)
        return add_newer(s, start, t, fill_gaps);
    cc_result r = add_older(s, start, t, fill_gaps);
    if (r == CC_TOO_OLD)
        s->rev--; /* nothing changed: viewers need not look */
    return r;
}

size_t cc_series_roll(cc_series *s, int64_t now_ms)
{
    const cc_candle *last = cc_series_last(s);
    int64_t cur = cc_bucket(now_ms, s->interval_ms);
    if (!last || last->start_ms >= cur)
        return 0;
    s->rev++;
    return fill_before(s, cur + s->interval_ms, s->cap); /* up to and including cur */
}

/* ---- duplicate detection -------------------------------------------------- */

#define CC_SEEN_EMPTY INT64_MIN
#define CC_SEEN_SLOTS (2 * CC_SEEN_CAP)

static size_t seen_hash(int64_t id)
{
    uint64_t x = (uint64_t)id; /* splitmix64 finaliser: ids are sequential */
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return (size_t)(x & (CC_SEEN_SLOTS - 1));
}

int cc_seen_init(cc_seen *s)
{
    memset(s, 0, sizeof *s);
    s->order = malloc(CC_SEEN_CAP * sizeof *s->order);
    s->slots = malloc(CC_SEEN_SLOTS * sizeof *s->slots);
    if (!s->order || !s->slots) {
        cc_seen_free(s);
        return -1;
    }
    for (size_t i = 0; i < CC_SEEN_SLOTS; i++)
        s->slots[i] = CC_SEEN_EMPTY;
    return 0;
}

void cc_seen_free(cc_seen *s)
{
    free(s->order);
    free(s->slots);
    memset(s, 0, sizeof *s);
}

static size_t seen_find(const cc_seen *s, int64_t id)
{
    size_t i = seen_hash(id);
    while (s->slots[i] != CC_SEEN_EMPTY && s->slots[i] != id)
        i = (i + 1) & (CC_SEEN_SLOTS - 1);
    return i;
}

/* Deletion under linear probing: shift later members of the probe run back
 * so lookups never stop early at the hole. */
static void seen_remove(cc_seen *s, int64_t id)
{
    size_t hole = seen_find(s, id), mask = CC_SEEN_SLOTS - 1;
    if (s->slots[hole] == CC_SEEN_EMPTY)
        return;
    s->slots[hole] = CC_SEEN_EMPTY;
    for (size_t i = (hole + 1) & mask; s->slots[i] != CC_SEEN_EMPTY; i = (i + 1) & mask) {
        size_t home = seen_hash(s->slots[i]);
        /* Movable when its home is not cyclically within (hole, i]. */
        int stays = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
        if (stays)
            continue;
        s->slots[hole] = s->slots[i];
        s->slots[i] = CC_SEEN_EMPTY;
        hole = i;
    }
}

int cc_seen_add(cc_seen *s, int64_t id)
{
    if (id == CC_SEEN_EMPTY)
        return 0; /* cannot be stored; never sent by Upbit */
    size_t i = seen_find(s, id);
    if (s->slots[i] == id)
        return 1;
    if (s->n == CC_SEEN_CAP) {
        seen_remove(s, s->order[s->next]);
        s->n--;
        i = seen_find(s, id);
    }
    s->slots[i] = id;
    s->order[s->next] = id;
    s->next = (s->next + 1) % CC_SEEN_CAP;
    s->n++;
    return 0;
}

/* ---- book ------------------------------------------------------------------ */

static int market_init(cc_market *m, const char *code, const cc_book *b)
{
    snprintf(m->code, sizeof m->code, "%s", code);
    if (cc_seen_init(&m->seen) != 0)
        return -1;
    m->series = calloc(b->n_intervals, sizeof *m->series);
    if (!m->series)
        return -1;
    for (size_t i = 0; i < b->n_intervals; i++)
        if (cc_series_init(&m->series[i], b->interval_ms[i], b->history) != 0)
            return -1;
    return 0;
}

static void market_free(cc_market *m, size_t n_intervals)
{
    cc_seen_free(&m->seen);
    if (m->series)
        for (size_t i = 0; i < n_intervals; i++)
            cc_series_free(&m->series[i]);
    free(m->series);
    m->series = NULL;
}

int cc_book_init(cc_book *b, const char *const *codes, size_t n_codes, const int64_t *interval_ms,
                 size_t n_intervals, size_t history, int fill_gaps)
{
    memset(b, 0, sizeof *b);
    b->history = history;
    b->fill_gaps = fill_gaps;
    b->interval_ms = malloc(n_intervals * sizeof *b->interval_ms);
    b->markets = calloc(n_codes, sizeof *b->markets);
    if (!b->interval_ms || !b->markets) {
        cc_book_free(b);
        return -1;
    }
    memcpy(b->interval_ms, interval_ms, n_intervals * sizeof *interval_ms);
    b->n_intervals = n_intervals;
    for (size_t i = 0; i < n_codes; i++) {
        b->n_markets++;
        if (market_init(&b->markets[i], codes[i], b) != 0) {
            cc_book_free(b);
            return -1;
        }
    }
    return 0;
}

void cc_book_free(cc_book *b)
{
    for (size_t i = 0; i < b->n_markets; i++)
        market_free(&b->markets[i], b->n_intervals);
    free(b->markets);
    free(b->interval_ms);
    memset(b, 0, sizeof *b);
}

int cc_book_market(const cc_book *b, const char *code)
{
    for (size_t i = 0; i < b->n_markets; i++)
        if (strcmp(b->markets[i].code, code) == 0)
            return (int)i;
    return -1;
}

int cc_book_interval(const cc_book *b, int64_t interval_ms)
{
    for (size_t i = 0; i < b->n_intervals; i++)
        if (b->interval_ms[i] == interval_ms)
            return (int)i;
    return -1;
}

int cc_book_trade(cc_book *b, size_t mi, const cc_trade *t)
{
    cc_market *m = &b->markets[mi];
    if (cc_seen_add(&m->seen, t->seq)) {
        m->n_dups++;
        return 1;
    }
    m->n_trades++;
    size_t dropped = 0;
    for (size_t i = 0; i < b->n_intervals; i++)
        dropped += cc_series_add(&m->series[i], t, b->fill_gaps) == CC_TOO_OLD;
    if (!m->has_last || before(m->last_ts, m->last_seq, t->ts_ms, t->seq)) {
        m->has_last = 1;
        m->last_price = t->price;
        m->last_ts = t->ts_ms;
        m->last_seq = t->seq;
    }
    return dropped == b->n_intervals ? 2 : 0;
}

size_t cc_book_roll(cc_book *b, int64_t now_ms)
{
    size_t added = 0;
    if (!b->fill_gaps)
        return 0;
    for (size_t m = 0; m < b->n_markets; m++)
        for (size_t i = 0; i < b->n_intervals; i++)
            added += cc_series_roll(&b->markets[m].series[i], now_ms);
    return added;
}
