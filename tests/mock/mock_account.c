/* See mock_account.h. Upbit's fee is 0.05% on KRW markets and 0.25% on BTC
 * and USDT markets; a bid locks price*volume plus that fee up front, an ask
 * locks the volume, and each fill moves exactly its share out of locked. */
#include "mock_account.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "mock_decimal.h"

static struct balance *bals;
static size_t nbals, bals_cap;
static struct order **orders;
static size_t norders, orders_cap;

static struct balance *balance_get(const char *currency)
{
    for (size_t i = 0; i < nbals; i++)
        if (strcmp(bals[i].currency, currency) == 0)
            return &bals[i];
    if (strlen(currency) >= ACC_CUR_MAX)
        return NULL;
    if (nbals == bals_cap) {
        size_t n = bals_cap ? bals_cap * 2 : 8;
        struct balance *p = realloc(bals, n * sizeof(*p));
        if (!p)
            return NULL;
        bals = p;
        bals_cap = n;
    }
    struct balance *b = &bals[nbals++];
    memset(b, 0, sizeof(*b));
    snprintf(b->currency, sizeof b->currency, "%s", currency);
    return b;
}

static void seed(const char *cur, const char *amount, const char *avg)
{
    struct balance *b = balance_get(cur);
    if (b && dec_parse(amount, &b->balance) == 0)
        dec_parse(avg, &b->avg_buy_price);
}

void account_init(void)
{
    seed("KRW", "10000000", "0");
    seed("BTC", "0.5", "90000000");
    seed("ETH", "3", "3500000");
    seed("XRP", "1000", "700");
    seed("USDT", "1000", "1400");
}

void account_free(void)
{
    for (size_t i = 0; i < norders; i++) {
        free(orders[i]->fills);
        free(orders[i]);
    }
    free(orders);
    free(bals);
    orders = NULL;
    bals = NULL;
    norders = orders_cap = nbals = bals_cap = 0;
}

void account_uuid(char out[ACC_UUID_LEN])
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1)
        for (size_t i = 0; i < sizeof b; i++)
            b[i] = (unsigned char)rand();   /* test fixture: any unique-ish id will do */
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, ACC_UUID_LEN,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

static int64_t fee_of(const struct order *o, int64_t funds)
{
    int64_t bp = strcmp(o->quote, "KRW") == 0 ? 5 : 25;
    return funds / 10000 * bp + funds % 10000 * bp / 10000;
}

static bool split_market(struct order *o, const char *market)
{
    const char *dash = strchr(market, '-');
    size_t ql = dash ? (size_t)(dash - market) : 0;
    if (!dash || ql == 0 || ql >= ACC_CUR_MAX || !dash[1] || strlen(dash + 1) >= ACC_CUR_MAX ||
        strlen(market) >= sizeof o->market)
        return false;
    memcpy(o->quote, market, ql);
    o->quote[ql] = 0;
    snprintf(o->base, sizeof o->base, "%s", dash + 1);
    snprintf(o->market, sizeof o->market, "%s", market);
    return true;
}

static bool orders_reserve(void)
{
    if (norders < orders_cap)
        return true;
    size_t n = orders_cap ? orders_cap * 2 : 16;
    struct order **p = realloc(orders, n * sizeof(*p));
    if (!p)
        return false;
    orders = p;
    orders_cap = n;
    return true;
}

/* Moves the order's lock out of the free balance; *err on failure. */
static bool lock_funds(struct order *o, const char **err)
{
    int ok = 1;
    int64_t funds = dec_mul(o->price, o->volume, &ok);
    if (!ok || funds <= 0) {
        *err = o->ask ? "invalid_volume_ask" : "invalid_volume_bid";
        return false;
    }
    o->reserved_fee = fee_of(o, funds);
    o->locked = o->ask ? o->volume : funds + o->reserved_fee;
    struct balance *b = balance_get(o->ask ? o->base : o->quote);
    if (!b || b->balance < o->locked) {
        *err = o->ask ? "insufficient_funds_ask" : "insufficient_funds_bid";
        return false;
    }
    b->balance -= o->locked;
    b->locked += o->locked;
    return true;
}

struct order *account_place(const struct order_req *rq, const char **err)
{
    struct order *o = calloc(1, sizeof(*o));
    *err = "validation_error";
    if (!o || !orders_reserve())
        goto fail;
    o->ask = rq->ask;
    o->price = rq->price;
    o->volume = rq->volume;
    o->created_ms = rq->now_ms;
    if (!split_market(o, rq->market) || rq->volume <= 0)
        goto fail;
    if (rq->identifier && *rq->identifier && account_order_by_identifier(rq->identifier)) {
        *err = "duplicated_identifier";
        goto fail;
    }
    if (rq->price <= 0) {
        *err = rq->ask ? "invalid_price_ask" : "invalid_price_bid";
        goto fail;
    }
    if (!lock_funds(o, err))
        goto fail;
    snprintf(o->identifier, sizeof o->identifier, "%s", rq->identifier ? rq->identifier : "");
    account_uuid(o->uuid);
    orders[norders++] = o;
    *err = NULL;
    return o;
fail:
    free(o);
    return NULL;
}

static bool fill_append(struct order *o, const struct fill *f)
{
    struct fill *p = realloc(o->fills, (o->nfills + 1) * sizeof(*p));
    if (!p)
        return false;
    o->fills = p;
    o->fills[o->nfills++] = *f;
    return true;
}

/* Average buy price over what was held plus what was just bought. */
static void update_avg(struct balance *b, int64_t held, const struct fill *f)
{
    int ok = 1;
    int64_t cost = dec_mul(b->avg_buy_price, held, &ok) + f->funds;
    int64_t avg = dec_div(cost, held + f->volume, &ok);
    if (ok)
        b->avg_buy_price = avg;
}

static void settle_bid(struct order *o, const struct fill *f)
{
    struct balance *q = balance_get(o->quote), *b = balance_get(o->base);
    int64_t used = f->funds + f->fee;
    o->locked -= used;
    if (q)
        q->locked -= used;
    if (!b)
        return;
    if (strcmp(o->quote, "KRW") == 0)
        update_avg(b, b->balance + b->locked, f);
    b->balance += f->volume;
}

static void settle_ask(struct order *o, const struct fill *f)
{
    struct balance *q = balance_get(o->quote), *b = balance_get(o->base);
    o->locked -= f->volume;
    if (b)
        b->locked -= f->volume;
    if (q)
        q->balance += f->funds - f->fee;
}

bool account_fill(struct order *o, int64_t volume, int64_t now_ms)
{
    if (o->state != ORD_WAIT || volume <= 0)
        return false;
    if (volume > order_remaining(o))
        volume = order_remaining(o);
    int ok = 1;
    struct fill f = {.price = o->price, .volume = volume, .ts_ms = now_ms};
    f.funds = dec_mul(o->price, volume, &ok);
    f.fee = fee_of(o, f.funds);
    account_uuid(f.uuid);
    if (!ok || !fill_append(o, &f))
        return false;
    o->executed += volume;
    o->funds += f.funds;
    o->paid_fee += f.fee;
    if (o->ask)
        settle_ask(o, &f);
    else
        settle_bid(o, &f);
    return true;
}

static void release(struct order *o, enum ord_state to)
{
    struct balance *b = balance_get(o->ask ? o->base : o->quote);
    if (b) {
        b->locked -= o->locked;
        b->balance += o->locked;
    }
    o->locked = 0;
    o->state = to;
}

void account_finish(struct order *o)
{
    if (o->state == ORD_WAIT)
        release(o, ORD_DONE);
}

bool account_cancel(struct order *o)
{
    if (o->state != ORD_WAIT)
        return false;
    release(o, ORD_CANCEL);
    return true;
}

bool account_deposit(const char *currency, int64_t amount)
{
    struct balance *b = balance_get(currency);
    if (!b || b->balance + amount < 0)
        return false;
    b->balance += amount;
    return true;
}

struct order *account_order(const char *uuid)
{
    for (size_t i = 0; i < norders; i++)
        if (strcmp(orders[i]->uuid, uuid) == 0)
            return orders[i];
    return NULL;
}

struct order *account_order_by_identifier(const char *identifier)
{
    for (size_t i = 0; i < norders; i++)
        if (*identifier && strcmp(orders[i]->identifier, identifier) == 0)
            return orders[i];
    return NULL;
}

size_t account_norders(void)
{
    return norders;
}

struct order *account_order_at(size_t i)
{
    return i < norders ? orders[i] : NULL;
}

size_t account_nbalances(void)
{
    return nbals;
}

const struct balance *account_balance_at(size_t i)
{
    return i < nbals ? &bals[i] : NULL;
}

const struct balance *account_balance(const char *currency)
{
    for (size_t i = 0; i < nbals; i++)
        if (strcmp(bals[i].currency, currency) == 0)
            return &bals[i];
    return NULL;
}
