/*
 * decode.c — see decode.h.
 *
 * One pass per JSON object: every member key is looked up in a hash of the
 * keys we care about (DEFAULT and SIMPLE spellings map to the same field
 * id) and the value's span is remembered; orderbook units are converted on
 * the fly. Once the object is complete (and therefore known to be valid) the
 * frame is classified, the few spans the event type needs are converted and
 * the event is built in one allocation. myAsset balances are rare and few,
 * so they are walked from their remembered span instead, keeping the hot
 * scan and decode_obj free of them.
 */
#include "decode.h"
#include "json_scan.h"

#include <pthread.h>
#include <stdalign.h>
#include <stdint.h>
#include <string.h>

/* event.c: the one allocator of events; private to the decoder. */
event *event_alloc(size_t data_len);

#define DECODE_MAX_UNITS 64                /* orderbook units kept; the rest are clipped */
#define DECODE_MAX_TYPE 15                 /* fits streams.h type_name[16] */
#define DECODE_MAX_CODE 23                 /* fits streams.h code[24] */
#define DECODE_MAX_FRAME ((size_t)8 << 20) /* real frames are a few KiB */

/* ---- field ids of the keys the typed decode reads ---- */

enum {
    F_NONE = 0,
    F_TYPE, F_CODE, F_MARKET, F_ERROR, F_STATUS, F_METHOD, F_RESULT,
    F_STREAM_TYPE, F_TIMESTAMP, F_LEVEL,
    F_OPENING_PRICE, F_HIGH_PRICE, F_LOW_PRICE, F_TRADE_PRICE, F_PREV_CLOSING_PRICE,
    F_CHANGE, F_CHANGE_PRICE, F_SIGNED_CHANGE_PRICE, F_CHANGE_RATE, F_SIGNED_CHANGE_RATE,
    F_TRADE_VOLUME, F_ACC_TRADE_VOLUME, F_ACC_TRADE_VOLUME_24H, F_ACC_TRADE_PRICE,
    F_ACC_TRADE_PRICE_24H, F_TRADE_TIMESTAMP, F_ASK_BID, F_ACC_ASK_VOLUME, F_ACC_BID_VOLUME,
    F_SEQUENTIAL_ID, F_BEST_ASK_PRICE, F_BEST_ASK_SIZE, F_BEST_BID_PRICE, F_BEST_BID_SIZE,
    F_TOTAL_ASK_SIZE, F_TOTAL_BID_SIZE, F_ORDERBOOK_UNITS,
    F_CANDLE_UTC, F_CANDLE_KST, F_CANDLE_ACC_VOLUME, F_CANDLE_ACC_PRICE,
    F_UUID, F_ORDER_TYPE, F_STATE, F_TRADE_UUID, F_TIME_IN_FORCE, F_IDENTIFIER,
    F_PRICE, F_AVG_PRICE, F_VOLUME, F_REMAINING_VOLUME, F_EXECUTED_VOLUME,
    F_RESERVED_FEE, F_REMAINING_FEE, F_PAID_FEE, F_LOCKED, F_EXECUTED_FUNDS, F_TRADE_FEE,
    F_TRADES_COUNT, F_IS_MAKER, F_ORDER_TIMESTAMP,
    F_ASSET_UUID, F_ASSETS, F_ASSET_TIMESTAMP,
    F_COUNT
};
_Static_assert(F_COUNT <= 128, "field presence is two uint64_t bitmasks");

static const struct decode_key {
    const char *name;
    unsigned char id;
} decode_keys[] = {
    {"type", F_TYPE}, {"ty", F_TYPE},
    {"code", F_CODE}, {"cd", F_CODE},
    {"market", F_MARKET}, {"mk", F_MARKET},
    {"error", F_ERROR}, {"status", F_STATUS},
    {"method", F_METHOD}, {"mthd", F_METHOD},
    {"result", F_RESULT}, {"rslt", F_RESULT},
    {"stream_type", F_STREAM_TYPE}, {"st", F_STREAM_TYPE},
    {"timestamp", F_TIMESTAMP}, {"tms", F_TIMESTAMP},
    {"level", F_LEVEL}, {"lv", F_LEVEL},
    {"opening_price", F_OPENING_PRICE}, {"op", F_OPENING_PRICE},
    {"high_price", F_HIGH_PRICE}, {"hp", F_HIGH_PRICE},
    {"low_price", F_LOW_PRICE}, {"lp", F_LOW_PRICE},
    {"trade_price", F_TRADE_PRICE}, {"tp", F_TRADE_PRICE},
    {"prev_closing_price", F_PREV_CLOSING_PRICE}, {"pcp", F_PREV_CLOSING_PRICE},
    {"change", F_CHANGE}, {"c", F_CHANGE},
    {"change_price", F_CHANGE_PRICE}, {"cp", F_CHANGE_PRICE},
    {"signed_change_price", F_SIGNED_CHANGE_PRICE}, {"scp", F_SIGNED_CHANGE_PRICE},
    {"change_rate", F_CHANGE_RATE}, {"cr", F_CHANGE_RATE},
    {"signed_change_rate", F_SIGNED_CHANGE_RATE}, {"scr", F_SIGNED_CHANGE_RATE},
    {"trade_volume", F_TRADE_VOLUME}, {"tv", F_TRADE_VOLUME},
    {"acc_trade_volume", F_ACC_TRADE_VOLUME}, {"atv", F_ACC_TRADE_VOLUME},
    {"acc_trade_volume_24h", F_ACC_TRADE_VOLUME_24H}, {"atv24h", F_ACC_TRADE_VOLUME_24H},
    {"acc_trade_price", F_ACC_TRADE_PRICE}, {"atp", F_ACC_TRADE_PRICE},
    {"acc_trade_price_24h", F_ACC_TRADE_PRICE_24H}, {"atp24h", F_ACC_TRADE_PRICE_24H},
    {"trade_timestamp", F_TRADE_TIMESTAMP}, {"ttms", F_TRADE_TIMESTAMP},
    {"ask_bid", F_ASK_BID}, {"ab", F_ASK_BID},
    {"acc_ask_volume", F_ACC_ASK_VOLUME}, {"aav", F_ACC_ASK_VOLUME},
    {"acc_bid_volume", F_ACC_BID_VOLUME}, {"abv", F_ACC_BID_VOLUME},
    {"sequential_id", F_SEQUENTIAL_ID}, {"sid", F_SEQUENTIAL_ID},
    {"best_ask_price", F_BEST_ASK_PRICE}, {"bap", F_BEST_ASK_PRICE},
    {"best_ask_size", F_BEST_ASK_SIZE}, {"bas", F_BEST_ASK_SIZE},
    {"best_bid_price", F_BEST_BID_PRICE}, {"bbp", F_BEST_BID_PRICE},
    {"best_bid_size", F_BEST_BID_SIZE}, {"bbs", F_BEST_BID_SIZE},
    {"total_ask_size", F_TOTAL_ASK_SIZE}, {"tas", F_TOTAL_ASK_SIZE},
    {"total_bid_size", F_TOTAL_BID_SIZE}, {"tbs", F_TOTAL_BID_SIZE},
    {"orderbook_units", F_ORDERBOOK_UNITS}, {"obu", F_ORDERBOOK_UNITS},
    {"candle_date_time_utc", F_CANDLE_UTC}, {"cdttmu", F_CANDLE_UTC},
    {"candle_date_time_kst", F_CANDLE_KST}, {"cdttmk", F_CANDLE_KST},
    {"candle_acc_trade_volume", F_CANDLE_ACC_VOLUME}, {"catv", F_CANDLE_ACC_VOLUME},
    {"candle_acc_trade_price", F_CANDLE_ACC_PRICE}, {"catp", F_CANDLE_ACC_PRICE},
    {"uuid", F_UUID}, {"uid", F_UUID},
    {"order_type", F_ORDER_TYPE}, {"ot", F_ORDER_TYPE},
    {"state", F_STATE}, {"s", F_STATE},
    {"trade_uuid", F_TRADE_UUID}, {"tuid", F_TRADE_UUID},
    {"time_in_force", F_TIME_IN_FORCE}, {"tif", F_TIME_IN_FORCE},
    {"identifier", F_IDENTIFIER}, {"id", F_IDENTIFIER},
    {"price", F_PRICE}, {"p", F_PRICE},
    {"avg_price", F_AVG_PRICE}, {"ap", F_AVG_PRICE},
    {"volume", F_VOLUME}, {"v", F_VOLUME},
    {"remaining_volume", F_REMAINING_VOLUME}, {"rv", F_REMAINING_VOLUME},
    {"executed_volume", F_EXECUTED_VOLUME}, {"ev", F_EXECUTED_VOLUME},
    {"reserved_fee", F_RESERVED_FEE}, {"rsf", F_RESERVED_FEE},
    {"remaining_fee", F_REMAINING_FEE}, {"rmf", F_REMAINING_FEE},
    {"paid_fee", F_PAID_FEE}, {"pf", F_PAID_FEE},
    {"locked", F_LOCKED}, {"l", F_LOCKED},
    {"executed_funds", F_EXECUTED_FUNDS}, {"ef", F_EXECUTED_FUNDS},
    {"trade_fee", F_TRADE_FEE}, {"tf", F_TRADE_FEE},
    {"trades_count", F_TRADES_COUNT}, {"tc", F_TRADES_COUNT},
    {"is_maker", F_IS_MAKER}, {"im", F_IS_MAKER},
    {"order_timestamp", F_ORDER_TIMESTAMP}, {"otms", F_ORDER_TIMESTAMP},
    {"asset_uuid", F_ASSET_UUID}, {"astuid", F_ASSET_UUID},
    {"assets", F_ASSETS}, {"ast", F_ASSETS},
    {"asset_timestamp", F_ASSET_TIMESTAMP}, {"asttms", F_ASSET_TIMESTAMP},
};

/* Open-addressing hash of decode_keys, built once (read-only afterwards).
 * A quarter full: at half full the private keys pushed the longest probe
 * to 9. */
#define DECODE_HASH_SIZE 512u
#define DECODE_KEY_MAX 31u

typedef struct decode_slot {
    const char *name;
    unsigned char len, id;
} decode_slot;

static decode_slot decode_hash[DECODE_HASH_SIZE];
static pthread_once_t decode_hash_once = PTHREAD_ONCE_INIT;

/* Length and four sampled bytes: keys are short and few, so this spreads
 * them as well as a full-string hash (probes average ~1.2) at a fraction of
 * the cost; collisions are settled by memcmp. n ≥ 1. */
static unsigned decode_hash_of(const char *p, size_t n)
{
    const unsigned char *u = (const unsigned char *)p;
    uint32_t h = (uint32_t)n * 0x9E3779B1u ^ u[0] * 0x85EBCA6Bu ^ u[n - 1] * 0xC2B2AE35u ^
                 u[n / 2] * 0x27D4EB2Fu ^ u[(n - 1) / 3] * 0x165667B1u;
    return (h ^ (h >> 15)) & (DECODE_HASH_SIZE - 1);
}

static void decode_hash_init(void)
{
    _Static_assert(sizeof decode_keys / sizeof decode_keys[0] < DECODE_HASH_SIZE / 2,
                   "keep the hash at most half full");
    for (size_t i = 0; i < sizeof decode_keys / sizeof decode_keys[0]; i++) {
        size_t n = strlen(decode_keys[i].name);
        unsigned h = decode_hash_of(decode_keys[i].name, n);
        while (decode_hash[h].name)
            h = (h + 1) & (DECODE_HASH_SIZE - 1);
        decode_hash[h] = (decode_slot){decode_keys[i].name, (unsigned char)n, decode_keys[i].id};
    }
}

static int decode_key_id(const json_span *key)
{
    if (key->len == 0 || key->len > DECODE_KEY_MAX || key->escaped)
        return F_NONE;
    unsigned h = decode_hash_of(key->p, key->len);
    for (; decode_hash[h].name; h = (h + 1) & (DECODE_HASH_SIZE - 1)) {
        const decode_slot *s = &decode_hash[h];
        if (s->len == key->len && memcmp(s->name, key->p, key->len) == 0)
            return s->id;
    }
    return F_NONE;
}

/* ---- one object, scanned once ---- */

typedef struct decode_obj {
    const char *start, *end;       /* the object's bytes, braces included */
    uint64_t have[2];              /* bit F_x set when the key was present */
    int simple;                    /* the type key was spelled "ty" (SIMPLE) */
    json_span f[F_COUNT];
    size_t n_units;
    upws_orderbook_unit units[DECODE_MAX_UNITS];
} decode_obj;

#define DECODE_HAS(o, id) (((o)->have[(id) >> 6] >> ((id) & 63)) & 1)

static void decode_num(const json_span *v, double *dst)
{
    double d;
    if (v->kind == JSON_NUMBER && json_double(v->p, v->len, &d) == JSON_NUM_OK)
        *dst = d;
}

static double *decode_unit_field(upws_orderbook_unit *u, const json_span *k)
{
    if (k->escaped)
        return NULL;
    const char *p = k->p;
    switch (k->len) {
    case 2:   /* ap, as, bp, bs */
        if (p[0] != 'a' && p[0] != 'b')
            return NULL;
        if (p[1] == 'p')
            return p[0] == 'a' ? &u->ask_price : &u->bid_price;
        if (p[1] == 's')
            return p[0] == 'a' ? &u->ask_size : &u->bid_size;
        return NULL;
    case 8:
        if (memcmp(p, "ask_size", 8) == 0)
            return &u->ask_size;
        return memcmp(p, "bid_size", 8) == 0 ? &u->bid_size : NULL;
    case 9:
        if (memcmp(p, "ask_price", 9) == 0)
            return &u->ask_price;
        return memcmp(p, "bid_price", 9) == 0 ? &u->bid_price : NULL;
    default:
        return NULL;
    }
}

/* One orderbook unit; a non-object element counts as an all-zero unit so
 * indices stay those of the wire (decode_field's ask_price_N agrees). */
static int decode_unit(json_cur *c, upws_orderbook_unit *u)
{
    json_it it;
    json_span k, v;
    *u = (upws_orderbook_unit){0, 0, 0, 0};
    if (json_peek(c) != JSON_OBJECT)
        return json_value(c, NULL);
    if (json_obj_begin(c, &it) < 0)
        return -1;
    int r;
    while ((r = json_obj_next(&it, &k)) == 1) {
        if (json_value(c, &v) < 0)
            return -1;
        double *dst = decode_unit_field(u, &k);
        if (dst)
            decode_num(&v, dst);
    }
    return r;
}

static int decode_units(json_cur *c, decode_obj *o)
{
    json_it it;
    o->n_units = 0;
    if (json_arr_begin(c, &it) < 0)
        return -1;
    int r;
    while ((r = json_arr_next(&it)) == 1) {
        int ok = o->n_units < DECODE_MAX_UNITS ? decode_unit(c, &o->units[o->n_units++])
                                               : json_value(c, NULL);
        if (ok < 0)
            return -1;
    }
    return r;
}

/* Scans the object at the cursor, remembering the spans of known keys.
 * On success the object was valid JSON. 0 or -1 (c->err says why). */
static int decode_scan_object(json_cur *c, decode_obj *o)
{
    json_it it;
    json_span key;
    o->have[0] = o->have[1] = 0;
    o->simple = 0;
    o->n_units = 0;
    json_peek(c);
    o->start = c->p;
    if (json_obj_begin(c, &it) < 0)
        return -1;
    int r;
    while ((r = json_obj_next(&it, &key)) == 1) {
        int id = decode_key_id(&key);
        if (id == F_ORDERBOOK_UNITS && json_peek(c) == JSON_ARRAY) {
            json_span *s = &o->f[id];
            s->p = c->p;
            s->kind = JSON_ARRAY;
            if (decode_units(c, o) < 0)
                return -1;
            s->len = (size_t)(c->p - s->p);
        } else if (json_value(c, &o->f[id]) < 0) {
            return -1;
        }
        if (id == F_TYPE)
            o->simple = key.len == 2;
        o->have[id >> 6] |= UINT64_C(1) << (id & 63);
    }
    o->end = c->p;
    return r;
}

/* ---- typed values from the remembered spans ---- */

static double decode_dbl(const decode_obj *o, int id)
{
    double d = 0;   /* absent, null or unreadable → 0; decode_field tells them apart */
    if (DECODE_HAS(o, id))
        decode_num(&o->f[id], &d);
    return d;
}

static int64_t decode_i64(const decode_obj *o, int id)
{
    int64_t v = 0;
    const json_span *s = &o->f[id];
    if (DECODE_HAS(o, id) && s->kind == JSON_NUMBER && json_int64(s->p, s->len, &v) == JSON_NUM_OK)
        return v;
    return 0;
}

static int decode_is(const decode_obj *o, int id, const char *lit)
{
    return DECODE_HAS(o, id) && json_str_eq(&o->f[id], lit, strlen(lit));
}

static upws_side decode_side(const decode_obj *o)
{
    if (decode_is(o, F_ASK_BID, "ASK"))
        return UPWS_ASK;
    return decode_is(o, F_ASK_BID, "BID") ? UPWS_BID : UPWS_SIDE_UNKNOWN;
}

static upws_change decode_change(const decode_obj *o)
{
    if (decode_is(o, F_CHANGE, "RISE"))
        return UPWS_RISE;
    if (decode_is(o, F_CHANGE, "EVEN"))
        return UPWS_EVEN;
    return decode_is(o, F_CHANGE, "FALL") ? UPWS_FALL : UPWS_CHANGE_UNKNOWN;
}

static void decode_fill_ticker(const decode_obj *o, upws_ticker *t)
{
    t->opening_price = decode_dbl(o, F_OPENING_PRICE);
    t->high_price = decode_dbl(o, F_HIGH_PRICE);
    t->low_price = decode_dbl(o, F_LOW_PRICE);
    t->trade_price = decode_dbl(o, F_TRADE_PRICE);
    t->prev_closing_price = decode_dbl(o, F_PREV_CLOSING_PRICE);
    t->change_price = decode_dbl(o, F_CHANGE_PRICE);
    t->signed_change_price = decode_dbl(o, F_SIGNED_CHANGE_PRICE);
    t->change_rate = decode_dbl(o, F_CHANGE_RATE);
    t->signed_change_rate = decode_dbl(o, F_SIGNED_CHANGE_RATE);
    t->trade_volume = decode_dbl(o, F_TRADE_VOLUME);
    t->acc_trade_volume = decode_dbl(o, F_ACC_TRADE_VOLUME);
    t->acc_trade_volume_24h = decode_dbl(o, F_ACC_TRADE_VOLUME_24H);
    t->acc_trade_price = decode_dbl(o, F_ACC_TRADE_PRICE);
    t->acc_trade_price_24h = decode_dbl(o, F_ACC_TRADE_PRICE_24H);
    t->acc_ask_volume = decode_dbl(o, F_ACC_ASK_VOLUME);
    t->acc_bid_volume = decode_dbl(o, F_ACC_BID_VOLUME);
    t->trade_timestamp = decode_i64(o, F_TRADE_TIMESTAMP);
    t->ask_bid = decode_side(o);
    t->change = decode_change(o);
}

static void decode_fill_trade(const decode_obj *o, upws_trade *t)
{
    t->trade_price = decode_dbl(o, F_TRADE_PRICE);
    t->trade_volume = decode_dbl(o, F_TRADE_VOLUME);
    t->prev_closing_price = decode_dbl(o, F_PREV_CLOSING_PRICE);
    t->change_price = decode_dbl(o, F_CHANGE_PRICE);
    t->best_ask_price = decode_dbl(o, F_BEST_ASK_PRICE);
    t->best_ask_size = decode_dbl(o, F_BEST_ASK_SIZE);
    t->best_bid_price = decode_dbl(o, F_BEST_BID_PRICE);
    t->best_bid_size = decode_dbl(o, F_BEST_BID_SIZE);
    t->trade_timestamp = decode_i64(o, F_TRADE_TIMESTAMP);
    t->sequential_id = decode_i64(o, F_SEQUENTIAL_ID);
    t->ask_bid = decode_side(o);
    t->change = decode_change(o);
}

static void decode_fill_candle(const decode_obj *o, upws_candle *k)
{
    k->opening_price = decode_dbl(o, F_OPENING_PRICE);
    k->high_price = decode_dbl(o, F_HIGH_PRICE);
    k->low_price = decode_dbl(o, F_LOW_PRICE);
    k->trade_price = decode_dbl(o, F_TRADE_PRICE);
    k->candle_acc_trade_volume = decode_dbl(o, F_CANDLE_ACC_VOLUME);
    k->candle_acc_trade_price = decode_dbl(o, F_CANDLE_ACC_PRICE);
}

/* JSON true/false; null, absent or another type read as -1 (not a fill). */
static int decode_bool3(const decode_obj *o, int id)
{
    if (!DECODE_HAS(o, id))
        return -1;
    json_kind k = o->f[id].kind;
    return k == JSON_TRUE ? 1 : k == JSON_FALSE ? 0 : -1;
}

static void decode_fill_myorder(const decode_obj *o, upws_myorder *m)
{
    m->ask_bid = decode_side(o);
    m->price = decode_dbl(o, F_PRICE);
    m->avg_price = decode_dbl(o, F_AVG_PRICE);
    m->volume = decode_dbl(o, F_VOLUME);
    m->remaining_volume = decode_dbl(o, F_REMAINING_VOLUME);
    m->executed_volume = decode_dbl(o, F_EXECUTED_VOLUME);
    m->reserved_fee = decode_dbl(o, F_RESERVED_FEE);
    m->remaining_fee = decode_dbl(o, F_REMAINING_FEE);
    m->paid_fee = decode_dbl(o, F_PAID_FEE);
    m->locked = decode_dbl(o, F_LOCKED);
    m->executed_funds = decode_dbl(o, F_EXECUTED_FUNDS);
    m->trade_fee = decode_dbl(o, F_TRADE_FEE);
    m->trades_count = decode_i64(o, F_TRADES_COUNT);
    m->is_maker = decode_bool3(o, F_IS_MAKER);
    m->trade_timestamp = decode_i64(o, F_TRADE_TIMESTAMP);
    m->order_timestamp = decode_i64(o, F_ORDER_TIMESTAMP);
}

/* Thin books are padded with all-zero slots at the end: not levels. */
static size_t decode_units_used(const decode_obj *o)
{
    size_t n = o->n_units;
    while (n > 0) {
        const upws_orderbook_unit *u = &o->units[n - 1];
        if (u->ask_price != 0 || u->ask_size != 0 || u->bid_price != 0 || u->bid_size != 0)
            break;
        n--;
    }
    return n;
}

/* ---- type names ---- */

static uint32_t decode_candle_unit_n(const char *p, size_t n)
{
    static const struct { const char *s; uint32_t sec; } units[] = {
        {"1s", 1}, {"1m", 60}, {"3m", 180}, {"5m", 300}, {"10m", 600},
        {"15m", 900}, {"30m", 1800}, {"60m", 3600}, {"240m", 14400}};
    if (n < 9 || memcmp(p, "candle.", 7) != 0)
        return 0;
    p += 7;
    n -= 7;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strlen(units[i].s) == n && memcmp(units[i].s, p, n) == 0)
            return units[i].sec;
    return 0;
}

static upws_type decode_type_n(const char *p, size_t n)
{
    switch (n) {
    case 5:
        return memcmp(p, "trade", 5) == 0 ? UPWS_TYPE_TRADE : UPWS_TYPE_UNKNOWN;
    case 6:
        return memcmp(p, "ticker", 6) == 0 ? UPWS_TYPE_TICKER : UPWS_TYPE_UNKNOWN;
    case 7:
        if (memcmp(p, "myOrder", 7) == 0)
            return UPWS_TYPE_MYORDER;
        return memcmp(p, "myAsset", 7) == 0 ? UPWS_TYPE_MYASSET : UPWS_TYPE_UNKNOWN;
    case 9:
        if (memcmp(p, "orderbook", 9) == 0)
            return UPWS_TYPE_ORDERBOOK;
        break;
    default:
        break;
    }
    return decode_candle_unit_n(p, n) ? UPWS_TYPE_CANDLE : UPWS_TYPE_UNKNOWN;
}

uint32_t decode_candle_unit(const char *type_name)
{
    return type_name ? decode_candle_unit_n(type_name, strlen(type_name)) : 0;
}

upws_type decode_type(const char *type_name)
{
    return type_name ? decode_type_n(type_name, strlen(type_name)) : UPWS_TYPE_UNKNOWN;
}

/* ---- building the event ---- */

/* Routing strings are used as C strings and hash keys: no escapes, bounded. */
static int decode_plain_str(const json_span *s, size_t max)
{
    return s->kind == JSON_STRING && !s->escaped && s->len >= 1 && s->len <= max &&
           memchr(s->p, '\0', s->len) == NULL;
}

static const json_span decode_empty = {"", 0, JSON_STRING, 0};

static const json_span *decode_str_or_empty(const decode_obj *o, int id)
{
    const json_span *s = &o->f[id];
    return DECODE_HAS(o, id) && s->kind == JSON_STRING ? s : &decode_empty;
}

static char *decode_put(char **at, const char *s, size_t n)
{
    char *d = *at;
    memcpy(d, s, n);
    d[n] = '\0';
    *at = d + n + 1;
    return d;
}

static const json_span decode_null = {NULL, 0, JSON_NULL, 0};

static const json_span *decode_opt(const decode_obj *o, int id)
{
    return DECODE_HAS(o, id) ? &o->f[id] : &decode_null;
}

/* Bump writer over the view strings in data[]. A first pass with at == NULL
 * only adds up `need`: sizing and filling run the same code, so the
 * allocation cannot come out shorter than what is written. */
typedef struct decode_w {
    char *at;
    size_t need;
} decode_w;

static const char *decode_w_raw(decode_w *w, const json_span *s)
{
    w->need += s->len + 1;
    return w->at ? decode_put(&w->at, s->p, s->len) : NULL;
}

/* A string value copied unescaped, or NULL when the wire had null, nothing
 * or another type. Decoding escapes never lengthens the text, so len + 1
 * bytes always hold it. */
static const char *decode_w_str(decode_w *w, const json_span *s)
{
    if (s->kind != JSON_STRING)
        return NULL;
    if (!s->escaped || !w->at)
        return decode_w_raw(w, s);
    char *d = w->at;
    json_unescape(s->p, s->len, d, s->len + 1);
    w->at += s->len + 1;
    w->need += s->len + 1;
    return d;
}

static void decode_myorder_strs(const decode_obj *o, upws_myorder *m, decode_w *w)
{
    m->uuid = decode_w_str(w, decode_opt(o, F_UUID));
    m->order_type = decode_w_str(w, decode_opt(o, F_ORDER_TYPE));
    m->state = decode_w_str(w, decode_opt(o, F_STATE));
    m->trade_uuid = decode_w_str(w, decode_opt(o, F_TRADE_UUID));
    m->time_in_force = decode_w_str(w, decode_opt(o, F_TIME_IN_FORCE));
    m->identifier = decode_w_str(w, decode_opt(o, F_IDENTIFIER));
}

static int decode_key_is(const json_span *k, const char *def, const char *simple)
{
    size_t dl = strlen(def), sl = strlen(simple);
    return !k->escaped && ((k->len == dl && memcmp(k->p, def, dl) == 0) ||
                           (k->len == sl && memcmp(k->p, simple, sl) == 0));
}

/* One assets[] element, DEFAULT or SIMPLE keys: 1 when it names a currency,
 * 0 when it does not (a balance nobody can attribute is left out), -1 on a
 * scan error. */
static int decode_asset(json_cur *c, upws_asset *a, json_span *currency)
{
    json_it it;
    json_span k, v;
    *a = (upws_asset){NULL, 0, 0};
    *currency = decode_null;
    if (json_peek(c) != JSON_OBJECT)
        return json_value(c, NULL) < 0 ? -1 : 0;
    if (json_obj_begin(c, &it) < 0)
        return -1;
    int r;
    while ((r = json_obj_next(&it, &k)) == 1) {
        if (json_value(c, &v) < 0)
            return -1;
        if (decode_key_is(&k, "currency", "cu"))
            *currency = v;
        else if (decode_key_is(&k, "balance", "b"))
            decode_num(&v, &a->balance);
        else if (decode_key_is(&k, "locked", "l"))
            decode_num(&v, &a->locked);
    }
    return r < 0 ? -1 : currency->kind == JSON_STRING;
}

/* The balances of assets[] (already validated by the scan) into dst, at
 * most DECODE_MAX_ASSETS; dst is NULL on the sizing pass. Returns how many. */
static size_t decode_assets(const decode_obj *o, upws_asset *dst, decode_w *w)
{
    const json_span *arr = decode_opt(o, F_ASSETS);
    json_cur c;
    json_it it;
    size_t n = 0;
    if (arr->kind != JSON_ARRAY)
        return 0;
    json_init(&c, arr->p, arr->len);
    if (json_arr_begin(&c, &it) < 0)
        return 0;
    while (n < DECODE_MAX_ASSETS && json_arr_next(&it) == 1) {
        upws_asset a;
        json_span currency;
        int r = decode_asset(&c, &a, &currency);
        if (r < 0)
            break;
        if (r == 0)
            continue;
        a.currency = decode_w_str(w, &currency);
        if (dst)
            dst[n] = a;
        n++;
    }
    return n;
}

/* The parts of a view that live in data[]: strings, and myAsset's balances
 * (assets is NULL on the sizing pass). Returns the number of balances. */
static size_t decode_view_data(const decode_obj *o, upws_type t, union event_view *v,
                               upws_asset *assets, decode_w *w)
{
    switch (t) {
    case UPWS_TYPE_CANDLE:
        v->candle.candle_date_time_utc = decode_w_raw(w, decode_str_or_empty(o, F_CANDLE_UTC));
        v->candle.candle_date_time_kst = decode_w_raw(w, decode_str_or_empty(o, F_CANDLE_KST));
        break;
    case UPWS_TYPE_MYORDER:
        decode_myorder_strs(o, &v->myorder, w);
        break;
    case UPWS_TYPE_MYASSET:
        v->myasset.asset_uuid = decode_w_str(w, decode_opt(o, F_ASSET_UUID));
        v->myasset.n_assets = decode_assets(o, assets, w);
        v->myasset.assets = assets;
        return v->myasset.n_assets;
    default:
        break;
    }
    return 0;
}

/* Checks the object is a deliverable data message; returns its type. */
static upws_type decode_data_type(const decode_obj *o)
{
    if (!DECODE_HAS(o, F_TYPE) || !decode_plain_str(&o->f[F_TYPE], DECODE_MAX_TYPE))
        return UPWS_TYPE_UNKNOWN;
    upws_type t = decode_type_n(o->f[F_TYPE].p, o->f[F_TYPE].len);
    int has_code = DECODE_HAS(o, F_CODE);
    if (has_code && !decode_plain_str(&o->f[F_CODE], DECODE_MAX_CODE))
        return UPWS_TYPE_UNKNOWN;
    /* Client requests carry `type` too (with `codes`, no `code`, no
     * `timestamp`): requiring these keeps them from passing as data. */
    if (t == UPWS_TYPE_MYASSET)
        return DECODE_HAS(o, F_TIMESTAMP) ? t : UPWS_TYPE_UNKNOWN;
    return has_code ? t : UPWS_TYPE_UNKNOWN;
}

/* The numbers of the view; its strings are already in place. */
static void decode_set_view(event *ev, const decode_obj *o, upws_orderbook_unit *units, size_t n_units)
{
    switch (ev->pub.type) {
    case UPWS_TYPE_TICKER:
        decode_fill_ticker(o, &ev->view.ticker);
        ev->pub.ticker = &ev->view.ticker;
        break;
    case UPWS_TYPE_TRADE:
        decode_fill_trade(o, &ev->view.trade);
        ev->pub.trade = &ev->view.trade;
        break;
    case UPWS_TYPE_ORDERBOOK:
        memcpy(units, o->units, n_units * sizeof *units);
        ev->level = decode_dbl(o, F_LEVEL);
        ev->view.orderbook = (upws_orderbook){decode_dbl(o, F_TOTAL_ASK_SIZE),
            decode_dbl(o, F_TOTAL_BID_SIZE), ev->level, n_units, units};
        ev->pub.orderbook = &ev->view.orderbook;
        break;
    case UPWS_TYPE_CANDLE:
        decode_fill_candle(o, &ev->view.candle);
        ev->view.candle.unit_seconds = decode_candle_unit_n(ev->pub.type_name, o->f[F_TYPE].len);
        ev->pub.candle = &ev->view.candle;
        break;
    case UPWS_TYPE_MYORDER:
        decode_fill_myorder(o, &ev->view.myorder);
        ev->pub.myorder = &ev->view.myorder;
        break;
    case UPWS_TYPE_MYASSET:
        ev->view.myasset.asset_timestamp = decode_i64(o, F_ASSET_TIMESTAMP);
        ev->pub.myasset = &ev->view.myasset;
        break;
    default:
        break;
    }
}

/* data[] begins with the view's array: orderbook units or balances. */
#define DECODE_ITEM_ALIGN alignof(union { upws_orderbook_unit u; upws_asset a; })

/* One allocation: header, then [units|assets][type\0][code\0][json\0][view strings]. */
static event *decode_make_event(const decode_obj *o, int64_t recv_ns)
{
    upws_type t = decode_data_type(o);
    if (t == UPWS_TYPE_UNKNOWN)
        return NULL;
    const json_span *ty = &o->f[F_TYPE];
    /* Balances belong to the account, not to a market. */
    const json_span *cd = t == UPWS_TYPE_MYASSET ? &decode_empty : decode_str_or_empty(o, F_CODE);
    size_t json_len = (size_t)(o->end - o->start);
    union event_view sizing;
    decode_w w = {NULL, 0};
    size_t n_assets = decode_view_data(o, t, &sizing, NULL, &w);
    size_t n_units = t == UPWS_TYPE_ORDERBOOK ? decode_units_used(o) : 0;
    size_t items = n_units * sizeof(upws_orderbook_unit) + n_assets * sizeof(upws_asset);

    size_t head = offsetof(event, data);
    size_t pad = (DECODE_ITEM_ALIGN - head % DECODE_ITEM_ALIGN) % DECODE_ITEM_ALIGN;
    event *ev = event_alloc(pad + items + ty->len + cd->len + json_len + 3 + w.need);
    if (!ev)
        return NULL;

    void *array = ev->data + pad;
    char *at = ev->data + pad + items;
    upws_event *pub = &ev->pub;
    pub->struct_size = sizeof(upws_event);
    pub->type = t;
    pub->type_name = decode_put(&at, ty->p, ty->len);
    pub->code = decode_put(&at, cd->p, cd->len);
    pub->json = decode_put(&at, o->start, json_len);
    pub->json_len = json_len;
    pub->stream_type = decode_is(o, F_STREAM_TYPE, "SNAPSHOT") ? UPWS_SNAPSHOT : UPWS_REALTIME;
    pub->timestamp_ms = decode_i64(o, F_TIMESTAMP);
    pub->recv_time_ns = recv_ns;
    ev->simple = o->simple;
    w = (decode_w){at, 0};
    decode_view_data(o, t, &ev->view, array, &w);
    decode_set_view(ev, o, array, n_units);
    return ev;
}

/* ---- frames ---- */

typedef struct decode_out {
    int64_t recv_ns;
    decode_sink sink;
    void *arg;
    decode_info *info;
} decode_out;

static decode_kind decode_bad(decode_info *info, const char *why)
{
    info->why = why ? why : "malformed";
    return DECODE_BAD;
}

static void decode_emit(const decode_obj *o, const decode_out *out)
{
    event *ev = decode_make_event(o, out->recv_ns);
    if (!ev) {
        out->info->n_skipped++;
        return;
    }
    out->info->n_events++;
    if (out->sink)
        out->sink(out->arg, ev);
    else
        event_unref(ev);
}

static decode_kind decode_error(const decode_obj *o, decode_info *info)
{
    const json_span *e = &o->f[F_ERROR];
    json_span v;
    if (e->kind == JSON_STRING) {
        json_unescape(e->p, e->len, info->error_message, sizeof info->error_message);
        return DECODE_ERROR;
    }
    if (json_find(e->p, e->len, "name", 4, &v) == 1 && v.kind == JSON_STRING)
        json_unescape(v.p, v.len, info->error_name, sizeof info->error_name);
    if (json_find(e->p, e->len, "message", 7, &v) == 1 && v.kind == JSON_STRING)
        json_unescape(v.p, v.len, info->error_message, sizeof info->error_message);
    return DECODE_ERROR;
}

static decode_kind decode_object_frame(json_cur *c, const decode_out *out)
{
    decode_obj o;
    decode_info *info = out->info;
    if (decode_scan_object(c, &o) < 0 || json_end(c) < 0)
        return decode_bad(info, c->err);
    if (DECODE_HAS(&o, F_ERROR))
        return decode_error(&o, info);
    if (DECODE_HAS(&o, F_STATUS))
        return DECODE_STATUS;
    if (DECODE_HAS(&o, F_METHOD)) {
        if (DECODE_HAS(&o, F_RESULT) && o.f[F_RESULT].kind == JSON_ARRAY) {
            info->list_json = o.f[F_RESULT].p;
            info->list_len = o.f[F_RESULT].len;
        }
        return DECODE_LIST;
    }
    if (DECODE_HAS(&o, F_TYPE)) {
        decode_emit(&o, out);
        return DECODE_DATA;
    }
    if (DECODE_HAS(&o, F_MARKET)) {   /* pre-2019 shape: tolerated, not served */
        info->n_skipped++;
        return DECODE_DATA;
    }
    return decode_bad(info, "object without type");
}

/* *_LIST frames. The whole array is validated first so that a malformed
 * frame delivers nothing, as promised for DECODE_BAD. */
static decode_kind decode_array_frame(const char *buf, size_t len, const decode_out *out)
{
    const char *why = NULL;
    json_cur c;
    json_it it;
    decode_obj o;
    if (json_validate(buf, len, &why) < 0)
        return decode_bad(out->info, why);
    json_init(&c, buf, len);
    if (json_arr_begin(&c, &it) < 0)
        return decode_bad(out->info, c.err);
    while (json_arr_next(&it) == 1) {
        if (json_peek(&c) != JSON_OBJECT) {
            if (json_value(&c, NULL) < 0)
                break;
            out->info->n_skipped++;
            continue;
        }
        if (decode_scan_object(&c, &o) < 0)
            break;
        if (DECODE_HAS(&o, F_TYPE))
            decode_emit(&o, out);
        else
            out->info->n_skipped++;
    }
    return DECODE_DATA;
}

decode_kind decode_frame(const char *buf, size_t len, int64_t recv_ns,
                         decode_sink sink, void *arg, decode_info *info)
{
    decode_info scratch;
    if (!info)
        info = &scratch;
    memset(info, 0, sizeof *info);
    if (!buf || len == 0)
        return decode_bad(info, "empty frame");
    if (len > DECODE_MAX_FRAME)
        return decode_bad(info, "frame too large");
    pthread_once(&decode_hash_once, decode_hash_init);

    decode_out out = {recv_ns, sink, arg, info};
    json_cur c;
    json_init(&c, buf, len);
    switch (json_peek(&c)) {
    case JSON_OBJECT:
        return decode_object_frame(&c, &out);
    case JSON_ARRAY:
        return decode_array_frame(buf, len, &out);
    case JSON_NONE:
        return decode_bad(info, c.p == c.end ? "empty frame" : "not JSON");
    default:
        return decode_bad(info, "not an object or array");
    }
}

/* ---- decode_field: exact wire text by DEFAULT name ---- */

#define T_(t) (1u << (t))
#define T_ALL 0xFFFFu
#define T_TK T_(UPWS_TYPE_TICKER)
#define T_TR T_(UPWS_TYPE_TRADE)
#define T_OB T_(UPWS_TYPE_ORDERBOOK)
#define T_CA T_(UPWS_TYPE_CANDLE)
#define T_MO T_(UPWS_TYPE_MYORDER)
#define T_MA T_(UPWS_TYPE_MYASSET)

/* DEFAULT → SIMPLE names of PROTOCOL §10.1–10.6. A name may map
 * differently per type (trade_date: ticker `tdt`, trade `td`). */
static const struct decode_name {
    const char *def, *simple;
    unsigned types;
} decode_names[] = {
    {"type", "ty", T_ALL}, {"code", "cd", T_ALL}, {"timestamp", "tms", T_ALL},
    {"stream_type", "st", T_ALL},
    {"opening_price", "op", T_ALL}, {"high_price", "hp", T_ALL}, {"low_price", "lp", T_ALL},
    {"trade_price", "tp", T_ALL}, {"prev_closing_price", "pcp", T_ALL},
    {"change", "c", T_ALL}, {"change_price", "cp", T_ALL},
    {"signed_change_price", "scp", T_ALL}, {"change_rate", "cr", T_ALL},
    {"signed_change_rate", "scr", T_ALL}, {"trade_volume", "tv", T_ALL},
    {"acc_trade_volume", "atv", T_ALL}, {"acc_trade_volume_24h", "atv24h", T_ALL},
    {"acc_trade_price", "atp", T_ALL}, {"acc_trade_price_24h", "atp24h", T_ALL},
    {"trade_date", "tdt", T_TK}, {"trade_date", "td", T_TR},
    {"trade_time", "ttm", T_ALL}, {"trade_timestamp", "ttms", T_ALL},
    {"ask_bid", "ab", T_ALL}, {"acc_ask_volume", "aav", T_ALL}, {"acc_bid_volume", "abv", T_ALL},
    {"highest_52_week_price", "h52wp", T_ALL}, {"highest_52_week_date", "h52wdt", T_ALL},
    {"lowest_52_week_price", "l52wp", T_ALL}, {"lowest_52_week_date", "l52wdt", T_ALL},
    {"market_state", "ms", T_ALL}, {"is_trading_suspended", "its", T_ALL},
    {"delisting_date", "dd", T_ALL}, {"market_warning", "mw", T_ALL},
    {"trade_status", "ts", T_ALL}, {"market_state_for_ios", "msfi", T_ALL},
    {"market", "mk", T_ALL},
    {"sequential_id", "sid", T_ALL}, {"best_ask_price", "bap", T_ALL},
    {"best_ask_size", "bas", T_ALL}, {"best_bid_price", "bbp", T_ALL},
    {"best_bid_size", "bbs", T_ALL},
    {"total_ask_size", "tas", T_ALL}, {"total_bid_size", "tbs", T_ALL},
    {"orderbook_units", "obu", T_ALL}, {"level", "lv", T_ALL},
    {"candle_date_time_utc", "cdttmu", T_ALL}, {"candle_date_time_kst", "cdttmk", T_ALL},
    {"candle_acc_trade_volume", "catv", T_ALL}, {"candle_acc_trade_price", "catp", T_ALL},
    {"uuid", "uid", T_MO}, {"order_type", "ot", T_MO}, {"state", "s", T_MO},
    {"trade_uuid", "tuid", T_MO}, {"price", "p", T_MO}, {"avg_price", "ap", T_MO},
    {"volume", "v", T_MO}, {"remaining_volume", "rv", T_MO},
    {"executed_volume", "ev", T_MO}, {"trades_count", "tc", T_MO},
    {"reserved_fee", "rsf", T_MO}, {"remaining_fee", "rmf", T_MO}, {"paid_fee", "pf", T_MO},
    {"locked", "l", T_MO}, {"executed_funds", "ef", T_MO}, {"time_in_force", "tif", T_MO},
    {"trade_fee", "tf", T_MO}, {"is_maker", "im", T_MO}, {"identifier", "id", T_MO},
    {"smp_type", "smpt", T_MO}, {"prevented_volume", "pv", T_MO},
    {"prevented_locked", "pl", T_MO}, {"order_timestamp", "otms", T_MO},
    {"asset_uuid", "astuid", T_MA}, {"assets", "ast", T_MA}, {"asset_timestamp", "asttms", T_MA},
};

/* The SIMPLE spelling of a DEFAULT name for this type, or NULL when the name
 * is not a DEFAULT name at all. A type-specific entry wins. */
static const char *decode_simple_name(const char *name, upws_type t)
{
    const char *any = NULL;
    for (size_t i = 0; i < sizeof decode_names / sizeof decode_names[0]; i++) {
        const struct decode_name *n = &decode_names[i];
        if (n->def[0] != name[0] || strcmp(n->def, name) != 0)
            continue;
        if (n->types & T_(t))
            return n->simple;
        if (!any)
            any = n->simple;
    }
    return any;
}

/* Member `a` or `b` (whichever comes first) of the object text; 1/0/-1. */
static int decode_find2(const char *obj, size_t len, const char *a, const char *b, json_span *out)
{
    json_cur c;
    json_it it;
    json_span k;
    size_t la = strlen(a), lb = b ? strlen(b) : 0;
    json_init(&c, obj, len);
    if (json_peek(&c) != JSON_OBJECT || json_obj_begin(&c, &it) < 0)
        return 0;
    int r;
    while ((r = json_obj_next(&it, &k)) == 1) {
        int hit = (k.len == la && memcmp(k.p, a, la) == 0) ||
                  (b && k.len == lb && memcmp(k.p, b, lb) == 0);
        if (hit)
            return json_value(&c, out) == 0 ? 1 : -1;
        if (json_value(&c, NULL) < 0)
            return -1;
    }
    return r;
}

static void decode_val_of(const json_span *s, upws_val *out)
{
    static const upws_val_kind kinds[] = {
        [JSON_OBJECT] = UPWS_VAL_OBJECT, [JSON_ARRAY] = UPWS_VAL_ARRAY,
        [JSON_STRING] = UPWS_VAL_STRING, [JSON_NUMBER] = UPWS_VAL_NUMBER,
        [JSON_TRUE] = UPWS_VAL_BOOL, [JSON_FALSE] = UPWS_VAL_BOOL, [JSON_NULL] = UPWS_VAL_NULL};
    if (s->kind <= JSON_NONE || s->kind > JSON_NULL)
        return;
    *out = (upws_val){kinds[s->kind], s->p, s->len};
}

/* "ask_price_3" → unit key pair and 0-based index; 0 when not that shape. */
static int decode_flat_name(const char *name, const char **def, const char **simple, size_t *index)
{
    static const struct { const char *prefix, *def, *simple; } flat[] = {
        {"ask_price_", "ask_price", "ap"}, {"ask_size_", "ask_size", "as"},
        {"bid_price_", "bid_price", "bp"}, {"bid_size_", "bid_size", "bs"}};
    for (size_t i = 0; i < sizeof flat / sizeof flat[0]; i++) {
        size_t pl = strlen(flat[i].prefix);
        if (strncmp(name, flat[i].prefix, pl) != 0)
            continue;
        const char *first = name + pl, *d = first;
        size_t n = 0;
        for (; *d >= '0' && *d <= '9' && d - first < 6; d++)
            n = n * 10 + (size_t)(*d - '0');
        if (*d || d == first || *first == '0')   /* digits only, 1-based, no leading 0 */
            return 0;
        *def = flat[i].def;
        *simple = flat[i].simple;
        *index = n - 1;
        return 1;
    }
    return 0;
}

static void decode_flat_field(const upws_event *ev, const char *def, const char *simple,
                              size_t index, upws_val *out)
{
    json_span units, unit, v;
    if (decode_find2(ev->json, ev->json_len, "orderbook_units", "obu", &units) != 1 ||
        units.kind != JSON_ARRAY)
        return;
    if (json_at(units.p, units.len, index, &unit) != 1 || unit.kind != JSON_OBJECT)
        return;
    if (decode_find2(unit.p, unit.len, def, simple, &v) == 1)
        decode_val_of(&v, out);
}

int decode_field(const upws_event *ev, const char *name, upws_val *out)
{
    if (!out)
        return UPWS_EINVAL;
    *out = (upws_val){UPWS_VAL_ABSENT, NULL, 0};
    if (!ev || !name || !*name || !ev->json)
        return UPWS_EINVAL;
    /* The host may present its last value as a SNAPSHOT to a late joiner;
     * the header, not the wire text, says what this delivery is. */
    if (strcmp(name, "stream_type") == 0) {
        const char *st = ev->stream_type == UPWS_SNAPSHOT ? "SNAPSHOT" : "REALTIME";
        *out = (upws_val){UPWS_VAL_STRING, st, strlen(st)};
        return UPWS_OK;
    }
    const char *def, *simple;
    size_t index;
    if (ev->type == UPWS_TYPE_ORDERBOOK && decode_flat_name(name, &def, &simple, &index)) {
        decode_flat_field(ev, def, simple, index, out);
        return UPWS_OK;
    }
    /* Unmapped names are tried as raw keys, so any wire field stays reachable. */
    json_span v;
    if (decode_find2(ev->json, ev->json_len, name, decode_simple_name(name, ev->type), &v) == 1)
        decode_val_of(&v, out);
    return UPWS_OK;
}
