/* The simulated account behind the private endpoints: balances per currency
 * and limit orders with their fills. Pure bookkeeping (no sockets, no
 * clock): mock_private decides when fills happen and tells the clients.
 * All amounts are DEC_SCALE fixed point (see mock_decimal.h). */
#ifndef UPWS_MOCK_ACCOUNT_H
#define UPWS_MOCK_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACC_CUR_MAX 16
#define ACC_UUID_LEN 37

struct balance {
    char currency[ACC_CUR_MAX];
    int64_t balance, locked;
    int64_t avg_buy_price;   /* KRW per unit, for currencies bought on KRW markets */
};

enum ord_state { ORD_WAIT, ORD_DONE, ORD_CANCEL };

struct fill {
    char uuid[ACC_UUID_LEN];
    int64_t price, volume, funds, fee;
    int64_t ts_ms;
};

struct order {
    char uuid[ACC_UUID_LEN];
    char market[24], base[ACC_CUR_MAX], quote[ACC_CUR_MAX];
    char identifier[64];          /* "" = none */
    bool ask;
    int64_t price, volume;
    int64_t executed, funds, paid_fee, reserved_fee, locked;
    enum ord_state state;
    int64_t created_ms;
    struct fill *fills;           /* every fill so far, oldest first */
    size_t nfills;
    /* Lifecycle plan, used by mock_private. */
    int plan_fills, plan_stop_after;
    int64_t step_ms, next_ms;
};

struct order_req {
    const char *market;           /* "KRW-BTC" */
    bool ask;
    int64_t price, volume;
    const char *identifier;       /* NULL = none */
    int64_t now_ms;
};

/* Starting balances (KRW, BTC, ETH, XRP, USDT). */
void account_init(void);
void account_free(void);

/* A random version-4 UUID. */
void account_uuid(char out[ACC_UUID_LEN]);

/* Locks the funds and records the order. Returns NULL with *err set to an
 * Upbit error name (insufficient_funds_bid, invalid_price_bid, ...). */
struct order *account_place(const struct order_req *rq, const char **err);
/* Fills volume (capped at what remains) at the order price; false if the
 * order is not open. The fill is appended to o->fills. */
bool account_fill(struct order *o, int64_t volume, int64_t now_ms);
/* Fully filled: state done, leftover locked funds (rounding) released. */
void account_finish(struct order *o);
/* Releases what is still locked; false if the order is not open. */
bool account_cancel(struct order *o);
/* Adds amount (may be negative, not below zero) to the free balance. */
bool account_deposit(const char *currency, int64_t amount);

struct order *account_order(const char *uuid);
struct order *account_order_by_identifier(const char *identifier);
size_t account_norders(void);
struct order *account_order_at(size_t i);   /* creation order */

size_t account_nbalances(void);
const struct balance *account_balance_at(size_t i);
const struct balance *account_balance(const char *currency);

static inline int64_t order_remaining(const struct order *o)
{
    return o->volume - o->executed;
}

#endif
