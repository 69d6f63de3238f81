/* See mock_private.h. Each event is rendered at most once per key style and
 * copied to the sockets that want it, and logged once as
 * {"ev":"private","type":...} with the ids of the sockets it went to, so a
 * test can compare what the mock sent with what a plugin reported. */
#include "mock_private.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mock.h"
#include "mock_conn.h"
#include "mock_decimal.h"
#include "mock_log.h"
#include "mock_nonce.h"
#include "mock_private_format.h"
#include "mock_sub.h"

#define PRIVATE_RENDER_CAP 4096

void private_init(void)
{
    account_init();
}

void private_free(void)
{
    account_free();
    nonce_free();
}

static bool item_wants(const struct req_item *it, int type, const char *code)
{
    if (it->type != type || !it->realtime)
        return false;
    if (type != DT_MYORDER || it->ncodes == 0)
        return true;   /* myAsset has no codes; myOrder without codes is all markets */
    for (size_t k = 0; k < it->ncodes; k++)
        if (strcmp(it->codes[k].text, code) == 0)
            return true;
    return false;
}

static bool conn_wants(const struct conn *c, int type, const char *code)
{
    if (!c->private_path || !c->auth || c->dead || c->close_at_ms)
        return false;
    for (size_t i = 0; i < c->sub.nitems; i++)
        if (item_wants(&c->sub.items[i], type, code))
            return true;
    return false;
}

/* What one event looks like in each key style. */
struct variant {
    char buf[2][PRIVATE_RENDER_CAP];
    size_t len[2];
};

typedef size_t (*render_fn)(char *buf, size_t cap, bool simple, const void *arg);

/* Sends the event to every interested socket; returns their ids. */
static json_t *fan_out(int type, const char *code, render_fn render, const void *arg)
{
    static struct variant v;
    v.len[0] = v.len[1] = (size_t)-1;
    json_t *ids = json_array();
    for (struct conn *c = g_mock.conns; c; c = c->next) {
        if (!conn_wants(c, type, code))
            continue;
        int s = fmt_is_simple(c->fmt);
        if (v.len[s] == (size_t)-1)
            v.len[s] = render(v.buf[s], sizeof v.buf[s], s, arg);
        if (!v.len[s])
            continue;
        sub_send(c, v.buf[s], v.len[s]);
        json_array_append_new(ids, json_integer((json_int_t)c->id));
    }
    return ids;
}

struct order_event {
    const struct order *o;
    const char *state;
    const struct fill *fill;
    int64_t now_ms;
};

static size_t render_order_cb(char *buf, size_t cap, bool simple, const void *arg)
{
    const struct order_event *e = arg;
    return render_myorder(buf, cap, e->o, e->state, e->fill, simple, e->now_ms);
}

static json_t *dec_json(int64_t v)
{
    char t[DEC_TEXT_MAX];
    dec_text(v, t);
    return json_string(t);
}

static void emit_order(const struct order *o, const char *state, const struct fill *f,
                       int64_t now_ms)
{
    struct order_event e = {o, state, f, now_ms};
    json_t *ids = fan_out(DT_MYORDER, o->market, render_order_cb, &e);
    json_t *rec = json_pack("{s:s,s:s,s:s,s:s}", "uuid", o->uuid, "state", state, "market",
                            o->market, "side", o->ask ? "ask" : "bid");
    json_object_set_new(rec, "volume", dec_json(f ? f->volume : o->volume));
    json_object_set_new(rec, "executed_volume", dec_json(o->executed));
    json_object_set_new(rec, "remaining_volume", dec_json(order_remaining(o)));
    json_object_set_new(rec, "trades_count", json_integer((json_int_t)o->nfills));
    json_object_set_new(rec, "conns", ids);
    log_private("myOrder", rec);
}

struct asset_event {
    const char *const *currencies;
    size_t n;
    char uuid[ACC_UUID_LEN];
    int64_t now_ms;
};

static size_t render_asset_cb(char *buf, size_t cap, bool simple, const void *arg)
{
    const struct asset_event *e = arg;
    return render_myasset(buf, cap, e->currencies, e->n, e->uuid, simple, e->now_ms);
}

static json_t *assets_json(const char *const *currencies, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct balance *b = account_balance(currencies[i]);
        json_t *a = json_pack("{s:s}", "currency", currencies[i]);
        json_object_set_new(a, "balance", dec_json(b ? b->balance : 0));
        json_object_set_new(a, "locked", dec_json(b ? b->locked : 0));
        json_array_append_new(list, a);
    }
    return list;
}

/* One myAsset frame for the currencies an operation changed. */
static void emit_assets(const char *const *currencies, size_t n, int64_t now_ms)
{
    struct asset_event e = {currencies, n, {0}, now_ms};
    account_uuid(e.uuid);
    json_t *ids = fan_out(DT_MYASSET, NULL, render_asset_cb, &e);
    json_t *rec = json_pack("{s:s}", "asset_uuid", e.uuid);
    json_object_set_new(rec, "assets", assets_json(currencies, n));
    json_object_set_new(rec, "conns", ids);
    log_private("myAsset", rec);
}

static void emit_locked_asset(const struct order *o, int64_t now_ms)
{
    const char *cur[1] = {o->ask ? o->base : o->quote};
    emit_assets(cur, 1, now_ms);
}

struct order *private_place(const struct order_req *rq, const struct fill_plan *plan,
                            const char **err)
{
    struct order *o = account_place(rq, err);
    if (!o)
        return NULL;
    o->plan_fills = plan->fills;
    o->plan_stop_after = plan->stop_after;
    o->step_ms = plan->step_ms;
    o->next_ms = rq->now_ms + plan->step_ms;
    emit_order(o, "wait", NULL, rq->now_ms);
    emit_locked_asset(o, rq->now_ms);
    return o;
}

bool private_cancel(struct order *o, int64_t now_ms)
{
    if (!account_cancel(o))
        return false;
    emit_order(o, "cancel", NULL, now_ms);
    emit_locked_asset(o, now_ms);
    return true;
}

bool private_deposit(const char *currency, int64_t amount, int64_t now_ms)
{
    if (!account_deposit(currency, amount))
        return false;
    const char *cur[1] = {currency};
    emit_assets(cur, 1, now_ms);
    return true;
}

/* Even shares; the last fill takes whatever rounding left over. */
static int64_t next_fill_volume(const struct order *o)
{
    int64_t share = o->volume / o->plan_fills;
    bool last = (int)o->nfills + 1 >= o->plan_fills;
    return last || share <= 0 ? order_remaining(o) : share;
}

static void step(struct order *o, int64_t now_ms)
{
    if (!account_fill(o, next_fill_volume(o), now_ms)) {
        o->plan_stop_after = 0;   /* out of memory: leave it open, stop trying */
        return;
    }
    emit_order(o, "trade", &o->fills[o->nfills - 1], now_ms);
    if (order_remaining(o) == 0) {
        account_finish(o);
        emit_order(o, "done", NULL, now_ms);
    }
    const char *cur[2] = {o->quote, o->base};
    emit_assets(cur, 2, now_ms);
    o->next_ms = now_ms + o->step_ms;
}

void private_tick(int64_t now_ms)
{
    for (size_t i = 0; i < account_norders(); i++) {
        struct order *o = account_order_at(i);
        if (o->state == ORD_WAIT && (int)o->nfills < o->plan_stop_after && now_ms >= o->next_ms)
            step(o, now_ms);
    }
}
