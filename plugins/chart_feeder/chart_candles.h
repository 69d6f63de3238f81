/* chart_candles.h — OHLCV candles built from trades: UTC-aligned buckets,
 * the last N candles per (code, interval), duplicate trades recognised by
 * sequential_id, late trades folded into the candle they belong to, and
 * volumes summed exactly in decimal fixed point.
 *
 * Pure data structures, no threads and no I/O: chart_feeder.c guards a
 * cc_book with its mutex, and the unit test drives it directly. */
#ifndef CHART_CANDLES_H
#define CHART_CANDLES_H

#include <stddef.h>
#include <stdint.h>

/* ---- exact decimal volume ------------------------------------------------ */

/* A non-negative decimal as whole units plus 1e-12 units. Upbit sizes carry at
 * most 8 decimals, so sums of them are exact; a double would drift after a
 * few thousand small trades (0.1 + 0.2 != 0.3). */
#define CC_DEC_DIGITS 12
#define CC_DEC_SCALE 1000000000000LL

typedef struct cc_dec {
    int64_t whole;
    int64_t frac; /* 0 .. CC_DEC_SCALE-1 */
} cc_dec;

/* Parses a JSON number as Upbit spells it ("0.0055433", "1.16539E8",
 * "7.9276E-4", "12"). Returns 0 when exact, 1 when digits below 1e-12 were
 * rounded away, -1 for text that is not a non-negative number in range. */
int cc_dec_parse(const char *s, size_t n, cc_dec *out);
/* For when no wire text exists: rounds to 12 decimals. */
cc_dec cc_dec_from_double(double x);
void cc_dec_add(cc_dec *acc, cc_dec v);
int cc_dec_cmp(cc_dec a, cc_dec b);
/* Shortest exact decimal text ("12", "0.3", "1.00000001"); returns length. */
size_t cc_dec_format(cc_dec v, char *buf, size_t cap);

/* ---- intervals ------------------------------------------------------------ */

#define CC_INTERVAL_MIN_MS 1000LL
#define CC_INTERVAL_MAX_MS 86400000LL

/* "1s", "15m", "1h", "1d" → milliseconds. Only intervals that divide a UTC
 * day evenly are accepted, so every bucket starts on a UTC boundary.
 * Returns 0 or -1. */
int cc_interval_parse(const char *text, int64_t *ms);
/* The shortest label of ms ("90s" stays "90s", 3600000 → "1h"). */
void cc_interval_label(int64_t ms, char *buf, size_t cap);
/* Start of the UTC-aligned bucket holding ts_ms (floor, also below 0). */
int64_t cc_bucket(int64_t ts_ms, int64_t interval_ms);

/* ---- candles and series ------------------------------------------------- */

typedef struct cc_trade {
    int64_t ts_ms;  /* exchange trade time */
    int64_t seq;    /* sequential_id */
    double price;
    cc_dec volume;
} cc_trade;

typedef struct cc_candle {
    int64_t start_ms;
    double open, high, low, close;
    cc_dec volume;
    /* The trades that set open and close, ordered by (time, sequential_id),
     * so a late trade can tell whether it comes before the open or after
     * the close. */
    int64_t open_ts, open_seq, close_ts, close_seq;
    uint32_t n_trades; /* 0: a flat candle made by fill_gaps */
    uint64_t rev;      /* series revision of its last change */
} cc_candle;

/* The last `cap` candles of one (code, interval), oldest first, in a ring. */
typedef struct cc_series {
    int64_t interval_ms;
    cc_candle *ring;
    size_t cap, head, len;
    uint64_t rev;       /* bumped on every change; candles carry the value */
    uint64_t n_too_old; /* trades older than every kept candle, dropped */
} cc_series;

typedef enum {
    CC_NEW = 0,     /* opened a candle after the newest one */
    CC_UPDATED,     /* changed the newest candle */
    CC_LATE,        /* changed or inserted an older, still kept candle */
    CC_TOO_OLD,     /* older than every kept candle of a full series: dropped */
} cc_result;

int cc_series_init(cc_series *s, int64_t interval_ms, size_t cap);
void cc_series_free(cc_series *s);
const cc_candle *cc_series_at(const cc_series *s, size_t i); /* 0 = oldest */
const cc_candle *cc_series_last(const cc_series *s);
cc_result cc_series_add(cc_series *s, const cc_trade *t, int fill_gaps);
/* fill_gaps only: flat candles up to the bucket holding now_ms, so the chart
 * moves on while nothing trades. Returns how many were added. */
size_t cc_series_roll(cc_series *s, int64_t now_ms);

/* ---- duplicate detection -------------------------------------------------- */

/* The last CC_SEEN_CAP sequential_ids of one code (the host already drops
 * repeats among its last 128 per stream; this also covers snapshots re-sent
 * after a reconnect). */
#define CC_SEEN_CAP 4096

typedef struct cc_seen {
    int64_t *order; /* ring, insertion order, for eviction */
    int64_t *slots; /* linear probing, 2*CC_SEEN_CAP, CC_SEEN_EMPTY = free */
    size_t n, next;
} cc_seen;

int cc_seen_init(cc_seen *s);
void cc_seen_free(cc_seen *s);
/* 1 when id was seen already; otherwise remembers it and returns 0. */
int cc_seen_add(cc_seen *s, int64_t id);

/* ---- the book: every code × every interval --------------------------------- */

#define CC_CODE_MAX 24

typedef struct cc_market {
    char code[CC_CODE_MAX];
    cc_seen seen;
    cc_series *series; /* one per interval, same order as cc_book.interval_ms */
    int has_last;      /* last trade by (time, sequential_id) */
    double last_price;
    int64_t last_ts, last_seq;
    uint64_t n_trades, n_dups;
} cc_market;

typedef struct cc_book {
    cc_market *markets;
    size_t n_markets;
    int64_t *interval_ms;
    size_t n_intervals;
    size_t history;
    int fill_gaps;
} cc_book;

int cc_book_init(cc_book *b, const char *const *codes, size_t n_codes, const int64_t *interval_ms,
                 size_t n_intervals, size_t history, int fill_gaps);
void cc_book_free(cc_book *b);
int cc_book_market(const cc_book *b, const char *code); /* index or -1 */
int cc_book_interval(const cc_book *b, int64_t interval_ms); /* index or -1 */
/* Folds one trade into every interval of market m. Returns 0 when something
 * changed, 1 for a duplicate, 2 when every series dropped it as too old. */
int cc_book_trade(cc_book *b, size_t m, const cc_trade *t);
/* fill_gaps only; returns how many flat candles were added in all. */
size_t cc_book_roll(cc_book *b, int64_t now_ms);

#endif
