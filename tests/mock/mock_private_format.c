/* Private frames are rare (a handful per order), so a plain snprintf-based
 * writer is enough here; the public hot path has its own in mock_format.c.
 * Amounts are printed as exact decimals from the fixed-point values, so a
 * client summing fills sees the same digits the account holds. */
#include "mock_private_format.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mock_decimal.h"

struct pw {
    char *buf;
    size_t cap, len;
    bool simple, first, overflow;
};

static void pw_printf(struct pw *w, const char *fmt, ...)
{
    if (w->overflow)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(w->buf + w->len, w->cap - w->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= w->cap - w->len)
        w->overflow = true;
    else
        w->len += (size_t)n;
}

static void pw_key(struct pw *w, const char *full, const char *abbr)
{
    pw_printf(w, "%s\"%s\":", w->first ? "" : ",", w->simple ? abbr : full);
    w->first = false;
}

/* Values are the mock's own ASCII (codes, uuids, states): no escaping. */
static void pw_str(struct pw *w, const char *full, const char *abbr, const char *s)
{
    pw_key(w, full, abbr);
    if (s)
        pw_printf(w, "\"%s\"", s);
    else
        pw_printf(w, "null");
}

static void pw_dec(struct pw *w, const char *full, const char *abbr, int64_t v)
{
    char t[DEC_TEXT_MAX];
    dec_text(v, t);
    pw_key(w, full, abbr);
    pw_printf(w, "%s", t);
}

static void pw_int(struct pw *w, const char *full, const char *abbr, int64_t v)
{
    pw_key(w, full, abbr);
    pw_printf(w, "%lld", (long long)v);
}

static void pw_raw(struct pw *w, const char *full, const char *abbr, const char *raw)
{
    pw_key(w, full, abbr);
    pw_printf(w, "%s", raw);
}

static void pw_begin(struct pw *w, char *buf, size_t cap, bool simple)
{
    *w = (struct pw){buf, cap, 0, simple, true, cap == 0};
    pw_printf(w, "{");
}

static size_t pw_end(struct pw *w)
{
    pw_printf(w, "}");
    return w->overflow ? 0 : w->len;
}

static int64_t avg_price(const struct order *o)
{
    int ok = 1;
    int64_t v = o->executed ? dec_div(o->funds, o->executed, &ok) : 0;
    return ok ? v : 0;
}

/* The fields whose meaning depends on the state (PROTOCOL §10.5). */
static void order_amounts(struct pw *w, const struct order *o, const struct fill *f)
{
    pw_str(w, "trade_uuid", "tuid", f ? f->uuid : NULL);
    pw_dec(w, "price", "p", f ? f->price : o->price);
    pw_dec(w, "avg_price", "ap", avg_price(o));
    pw_dec(w, "volume", "v", f ? f->volume : o->volume);
    pw_dec(w, "remaining_volume", "rv", order_remaining(o));
    pw_dec(w, "executed_volume", "ev", o->executed);
    pw_int(w, "trades_count", "tc", (int64_t)o->nfills);
    pw_dec(w, "reserved_fee", "rsf", o->reserved_fee);
    pw_dec(w, "remaining_fee", "rmf",
           o->state == ORD_WAIT && o->reserved_fee > o->paid_fee ? o->reserved_fee - o->paid_fee
                                                                  : 0);
    pw_dec(w, "paid_fee", "pf", o->paid_fee);
    pw_dec(w, "locked", "l", o->locked);
    pw_dec(w, "executed_funds", "ef", o->funds);
    pw_raw(w, "time_in_force", "tif", "null");
    if (f)
        pw_dec(w, "trade_fee", "tf", f->fee);
    else
        pw_raw(w, "trade_fee", "tf", "null");
    pw_raw(w, "is_maker", "im", f ? "true" : "null");
}

size_t render_myorder(char *buf, size_t cap, const struct order *o, const char *state,
                      const struct fill *fill, bool simple, int64_t now_ms)
{
    struct pw w;
    pw_begin(&w, buf, cap, simple);
    pw_str(&w, "type", "ty", "myOrder");
    pw_str(&w, "code", "cd", o->market);
    pw_str(&w, "uuid", "uid", o->uuid);
    pw_str(&w, "ask_bid", "ab", o->ask ? "ASK" : "BID");
    pw_str(&w, "order_type", "ot", "limit");
    pw_str(&w, "state", "s", state);
    order_amounts(&w, o, fill);
    pw_str(&w, "identifier", "id", *o->identifier ? o->identifier : NULL);
    pw_raw(&w, "smp_type", "smpt", "null");
    pw_raw(&w, "prevented_volume", "pv", "null");
    pw_raw(&w, "prevented_locked", "pl", "0");
    if (fill)
        pw_int(&w, "trade_timestamp", "ttms", fill->ts_ms);
    else
        pw_raw(&w, "trade_timestamp", "ttms", "null");
    pw_int(&w, "order_timestamp", "otms", o->created_ms / 1000 * 1000);
    pw_int(&w, "timestamp", "tms", now_ms);
    pw_str(&w, "stream_type", "st", "REALTIME");
    return pw_end(&w);
}

size_t render_myasset(char *buf, size_t cap, const char *const *currencies, size_t n,
                      const char *asset_uuid, bool simple, int64_t now_ms)
{
    struct pw w;
    pw_begin(&w, buf, cap, simple);
    pw_str(&w, "type", "ty", "myAsset");
    pw_str(&w, "asset_uuid", "astuid", asset_uuid);
    pw_key(&w, "assets", "ast");
    pw_printf(&w, "[");
    for (size_t i = 0; i < n; i++) {
        const struct balance *b = account_balance(currencies[i]);
        pw_printf(&w, i ? ",{" : "{");
        w.first = true;
        pw_str(&w, "currency", "cu", currencies[i]);
        pw_dec(&w, "balance", "b", b ? b->balance : 0);
        pw_dec(&w, "locked", "l", b ? b->locked : 0);
        pw_printf(&w, "}");
    }
    pw_printf(&w, "]");
    w.first = false;
    pw_int(&w, "asset_timestamp", "asttms", now_ms);
    pw_int(&w, "timestamp", "tms", now_ms);
    pw_str(&w, "stream_type", "st", "REALTIME");
    return pw_end(&w);
}
