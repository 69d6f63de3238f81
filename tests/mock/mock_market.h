/* Market universe and the per-code random-walk exchange simulation. */
#ifndef UPWS_MOCK_MARKET_H
#define UPWS_MOCK_MARKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mock.h"

#define BOOK_DEPTH 30
#define VOL_SCALE 8   /* volumes are int64 scaled by 1e8 */

struct trade_ev {
    int64_t price;          /* scaled by 10^market.dec */
    int64_t volume;         /* scaled by 1e8 */
    bool ask;               /* seller-initiated (Upbit "ASK") */
    int64_t ts;             /* ms */
    int64_t sid;
    int64_t best_ask, best_bid;
    int64_t best_ask_size, best_bid_size;
};

struct candle {
    int64_t start_ms;
    int64_t open, high, low, close;
    int64_t volume;
    double amount;
    bool valid;
};

struct book_level {
    int64_t ask, bid, ask_size, bid_size;
};

struct sub_ref {
    struct conn *conn;
    uint32_t item;          /* index into the conn's subscription items */
    uint8_t type;           /* enum dtype */
    uint8_t depth;
};

struct market {
    char code[24];
    int index;
    int dec;                /* price decimals */
    int64_t tick;           /* price step, scaled */
    int quote;              /* 0 KRW, 1 BTC, 2 USDT */
    bool ready;
    uint64_t rng;

    int64_t bid0;           /* best bid; the walk moves this */
    int spread;             /* ticks between best bid and best ask */
    int64_t ask0_size, bid0_size;

    int64_t day_start_ms;
    int64_t open, high, low, prev_close;
    double acc_volume, acc_amount, acc_ask_volume, acc_bid_volume;
    double base_volume_24h, base_amount_24h;
    int64_t high52, low52;
    char high52_date[11], low52_date[11];

    struct trade_ev last;

    uint64_t book_version, book_built;
    struct book_level book[BOOK_DEPTH];
    int64_t book_ts;
    bool book_dirty;
    int64_t book_emit_ms;

    struct candle candles[CANDLE_UNITS];
    bool candle_dirty[CANDLE_UNITS];
    int64_t candle_emit_ms[CANDLE_UNITS];

    int64_t next_trade_us;
    int active_slot;        /* 1-based position in the feed's active list */
    struct sub_ref *refs;
    size_t nrefs, refcap;
};

extern const int candle_unit_secs[CANDLE_UNITS];

int markets_init(int count, uint64_t seed);
void markets_free(void);
int markets_count(void);
struct market *market_at(int index);
/* -1 when the code is not in the universe (exact, case-sensitive match). */
int market_find(const char *code);

/* Lazily builds the market's state (price, day stats, a first trade). */
void market_ensure(struct market *m, int64_t now_ms);
/* First subscriber arrived: start the trade clock. */
void market_activate(struct market *m, int64_t now_us, double rate);
/* Generates the next due trade, if any; returns true when one happened. */
bool market_step(struct market *m, int64_t now_us, double rate);
/* Makes m->book current (deep levels are derived lazily). */
void market_build_book(struct market *m);

#endif
