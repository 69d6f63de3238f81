/* test_decode.c — frames → events: every sample, typed values read by hand
 * from the files, DEFAULT/SIMPLE equivalence, decode_field exactness and
 * hostile input. Needs UPWS_SAMPLES (the samples directory). */
#include "decode.h"
#include "json_scan.h"
#include "check.h"

#include <dirent.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- harness ---- */

#define MAX_EV 64

typedef struct got {
    decode_kind kind;
    decode_info info;
    size_t n;
    event *ev[MAX_EV];
    size_t dropped;    /* events beyond MAX_EV (unref'd at once) */
    char list[8192];   /* DECODE_LIST: the result text, copied out of the frame */
} got;

static void sink(void *arg, event *ev)
{
    got *g = arg;
    CHECK(ev != NULL && atomic_load(&ev->refs) == 1);
    if (g->n < MAX_EV) {
        g->ev[g->n++] = ev;
    } else {
        g->dropped++;
        event_unref(ev);
    }
}

static void got_free(got *g)
{
    for (size_t i = 0; i < g->n; i++)
        event_unref(g->ev[i]);
    g->n = 0;
}

/* Decodes a private copy of exactly len bytes, so ASan flags any overread. */
static decode_kind run_n(got *g, const char *buf, size_t len)
{
    memset(g, 0, sizeof *g);
    char *copy = malloc(len ? len : 1);
    if (len)
        memcpy(copy, buf, len);
    else
        copy[0] = '\0';
    g->kind = decode_frame(copy, len, 777, sink, g, &g->info);
    if (g->info.list_json) {   /* points into the frame: check, then keep a copy */
        CHECK(g->kind == DECODE_LIST);
        CHECK(g->info.list_json >= copy && g->info.list_json + g->info.list_len <= copy + len);
        CHECK(g->info.list_len < sizeof g->list);
        size_t n = g->info.list_len < sizeof g->list ? g->info.list_len : sizeof g->list - 1;
        memcpy(g->list, g->info.list_json, n);
        g->list[n] = '\0';
        g->info.list_json = g->list;
    }
    memset(copy, 'X', len);
    free(copy);   /* events must not point into the frame */
    CHECK(g->info.n_events == g->n + g->dropped);
    if (g->kind == DECODE_BAD)
        CHECK(g->n == 0 && g->info.why != NULL);
    return g->kind;
}

static decode_kind run(got *g, const char *s) { return run_n(g, s, strlen(s)); }

static const char *samples_dir(void)
{
    const char *d = getenv("UPWS_SAMPLES");
    return d ? d : "tests/samples";
}

static char *load(const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", samples_dir(), name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        CHECK(!"sample missing");
        *len = 0;
        return calloc(1, 1);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, f);
    b[*len] = '\0';
    fclose(f);
    return b;
}

static decode_kind run_sample(got *g, const char *name)
{
    size_t len;
    char *b = load(name, &len);
    run_n(g, b, len);
    free(b);
    return g->kind;
}

/* Exact wire text of a field as a C string (static buffer) or "<absent>"/"<null>". */
static const char *field(const event *ev, const char *name)
{
    static char buf[4096];
    upws_val v;
    CHECK(decode_field(&ev->pub, name, &v) == UPWS_OK);
    if (v.kind == UPWS_VAL_ABSENT)
        return "<absent>";
    if (v.kind == UPWS_VAL_NULL)
        return "<null>";
    snprintf(buf, sizeof buf, "%.*s", (int)v.len, v.text);
    return buf;
}

static upws_val_kind field_kind(const event *ev, const char *name)
{
    upws_val v;
    CHECK(decode_field(&ev->pub, name, &v) == UPWS_OK);
    return v.kind;
}

/* Checks the invariants every delivered event keeps. */
static void check_event_shape(const event *ev)
{
    const upws_event *p = &ev->pub;
    CHECK(p->struct_size == sizeof(upws_event));
    CHECK(p->type != UPWS_TYPE_UNKNOWN);
    CHECK(p->type_name && p->code && p->json);
    CHECK(p->json_len > 1 && p->json[0] == '{' && p->json[p->json_len - 1] == '}');
    CHECK(p->json[p->json_len] == '\0');
    CHECK(json_validate(p->json, p->json_len, NULL) == 0);
    CHECK(p->recv_time_ns == 777);
    CHECK(p->snapshot_id == 0);
    CHECK(p->stream_type == UPWS_SNAPSHOT || p->stream_type == UPWS_REALTIME);
    int views = !!p->ticker + !!p->trade + !!p->orderbook + !!p->candle + !!p->myorder + !!p->myasset;
    CHECK(views == 1);
    CHECK(!p->ticker || (p->type == UPWS_TYPE_TICKER && p->ticker == &ev->view.ticker));
    CHECK(!p->trade || (p->type == UPWS_TYPE_TRADE && p->trade == &ev->view.trade));
    CHECK(!p->orderbook || (p->type == UPWS_TYPE_ORDERBOOK && p->orderbook == &ev->view.orderbook));
    CHECK(!p->candle || (p->type == UPWS_TYPE_CANDLE && p->candle == &ev->view.candle));
    CHECK(!p->myorder || (p->type == UPWS_TYPE_MYORDER && p->myorder == &ev->view.myorder));
    CHECK(!p->myasset || (p->type == UPWS_TYPE_MYASSET && p->myasset == &ev->view.myasset &&
                          p->code[0] == '\0' && p->myasset->n_assets <= DECODE_MAX_ASSETS));
    CHECK(decode_type(p->type_name) == p->type);
    /* everything points into the one allocation */
    const char *lo = (const char *)ev, *hi = ev->data + 1 + p->json_len + 4096 * 4;
    CHECK(p->json > lo && p->json < hi && p->type_name > lo && p->code > lo);
    if (p->orderbook) {
        const upws_orderbook *ob = p->orderbook;
        CHECK(ob->n_units <= 64);
        CHECK(ob->n_units == 0 || (uintptr_t)ob->units % alignof(upws_orderbook_unit) == 0);
        CHECK(ob->level == ev->level);
    } else {
        CHECK(ev->level == 0);
    }
    if (p->candle)
        CHECK(p->candle->unit_seconds == decode_candle_unit(p->type_name) &&
              p->candle->candle_date_time_utc && p->candle->candle_date_time_kst);
}

/* ---- every sample file ---- */

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void test_all_samples(void)
{
    DIR *d = opendir(samples_dir());
    CHECK(d != NULL);
    if (!d)
        return;
    struct dirent *de;
    int files = 0;
    while ((de = readdir(d))) {
        const char *n = de->d_name;
        size_t l = strlen(n);
        if (l < 5 || strcmp(n + l - 5, ".json") != 0)
            continue;
        files++;
        got g;
        run_sample(&g, n);
        for (size_t i = 0; i < g.n; i++)
            check_event_shape(g.ev[i]);
        if (starts_with(n, "error."))
            CHECK(g.kind == DECODE_ERROR && g.info.error_name[0] && g.info.error_message[0]);
        else if (starts_with(n, "status"))
            CHECK(g.kind == DECODE_STATUS);
        else if (starts_with(n, "list_subscriptions."))
            CHECK(g.kind == DECODE_LIST && g.info.list_json && g.info.list_json[0] == '[' &&
                  g.info.list_json[g.info.list_len - 1] == ']');
        else if (starts_with(n, "request."))
            /* client messages: arrays of objects with no `code`/`timestamp` → all skipped */
            CHECK(g.kind == DECODE_DATA && g.n == 0 && g.info.n_skipped >= 2);
        else if (starts_with(n, "announcement") || starts_with(n, "indicator") ||
                 strstr(n, "legacy"))
            CHECK(g.kind == DECODE_DATA && g.n == 0 && g.info.n_skipped == 1);
        else
            CHECK(g.kind == DECODE_DATA && g.n >= 1 && g.info.n_skipped == 0);
        if (g.kind != DECODE_DATA)
            CHECK(g.n == 0);
        got_free(&g);
    }
    closedir(d);
    CHECK(files >= 49);
}

/* ---- typed values, hand-read from the files ---- */

static void test_ticker(void)
{
    got g;
    CHECK(run_sample(&g, "ticker.default.json") == DECODE_DATA && g.n == 1);
    if (g.n != 1)
        return got_free(&g);
    const event *ev = g.ev[0];
    const upws_ticker *t = ev->pub.ticker;
    CHECK(ev->pub.type == UPWS_TYPE_TICKER && ev->simple == 0);
    CHECK_STR(ev->pub.type_name, "ticker");
    CHECK_STR(ev->pub.code, "KRW-BTC");
    CHECK(ev->pub.stream_type == UPWS_REALTIME);
    CHECK(ev->pub.timestamp_ms == INT64_C(1676965262177));
    CHECK(t->opening_price == 31883000 && t->high_price == 32310000 && t->low_price == 31855000);
    CHECK(t->trade_price == 32287000 && t->prev_closing_price == 31883000);
    CHECK(t->change_price == 404000 && t->signed_change_price == 404000);
    CHECK(t->change_rate == 0.0126713295 && t->signed_change_rate == 0.0126713295);
    CHECK(t->trade_volume == 0.03103806 && t->acc_trade_volume == 2429.58834336);
    CHECK(t->acc_trade_volume_24h == 7158.80283560);
    CHECK(t->acc_trade_price == 78039261076.51241 && t->acc_trade_price_24h == 228827082483.70729);
    CHECK(t->acc_ask_volume == 1146.25573608 && t->acc_bid_volume == 1283.33260728);
    CHECK(t->trade_timestamp == INT64_C(1676965262139));
    CHECK(t->ask_bid == UPWS_ASK && t->change == UPWS_RISE);
    CHECK_STR(field(ev, "acc_trade_price"), "78039261076.51241000");
    CHECK_STR(field(ev, "trade_date"), "20230221");
    CHECK_STR(field(ev, "delisting_date"), "<null>");
    CHECK(field_kind(ev, "is_trading_suspended") == UPWS_VAL_BOOL);
    CHECK_STR(field(ev, "is_trading_suspended"), "false");
    CHECK_STR(field(ev, "market_state"), "ACTIVE");
    CHECK_STR(field(ev, "lowest_52_week_price"), "20700000.00000000");
    got_free(&g);

    /* SIMPLE_LIST, truncated by the docs: present fields typed, absent ones 0 */
    CHECK(run_sample(&g, "ticker.simple_list.json") == DECODE_DATA && g.n == 1);
    if (g.n != 1)
        return got_free(&g);
    ev = g.ev[0];
    t = ev->pub.ticker;
    CHECK(ev->simple == 1 && ev->pub.stream_type == UPWS_SNAPSHOT);
    CHECK(t->trade_price == 148956000 && t->opening_price == 148500000);
    CHECK(t->acc_trade_price == 16115868486.03173 && t->change_rate == 0.0030707071);
    CHECK(t->ask_bid == UPWS_BID && t->change == UPWS_RISE);
    CHECK(t->trade_timestamp == INT64_C(1751854855934));
    CHECK(t->acc_trade_volume_24h == 0 && ev->pub.timestamp_ms == 0);
    CHECK_STR(field(ev, "trade_date"), "20250707");
    CHECK_STR(field(ev, "highest_52_week_date"), "2025-01-20");
    CHECK_STR(field(ev, "acc_trade_volume_24h"), "<absent>");
    CHECK(ev->pub.json[0] == '{' && strstr(ev->pub.json, "\"ty\"") != NULL);
    got_free(&g);
}

static void test_trade(void)
{
    got g;
    CHECK(run_sample(&g, "trade.json_list.json") == DECODE_DATA && g.n == 2);
    if (g.n == 2) {
        const upws_trade *a = g.ev[0]->pub.trade, *b = g.ev[1]->pub.trade;
        CHECK_STR(g.ev[0]->pub.code, "KRW-BTC");
        CHECK_STR(g.ev[1]->pub.code, "KRW-ETH");
        CHECK(a->sequential_id == INT64_C(17303368620470000));
        CHECK(b->sequential_id == INT64_C(17303368620800006));   /* not ...08 */
        CHECK(a->trade_price == 100473000 && b->trade_price == 3700000);
        CHECK(a->change == UPWS_FALL && b->change == UPWS_RISE);
        CHECK(a->ask_bid == UPWS_BID && b->ask_bid == UPWS_BID);
        CHECK(b->trade_volume == 0.02207517 && b->prev_closing_price == 3695000);
        CHECK(b->change_price == 5000 && b->best_ask_price == 3700000);
        CHECK(b->best_ask_size == 0.39101775 && b->best_bid_price == 3699000);
        CHECK(b->best_bid_size == 0.13499454);
        CHECK(b->trade_timestamp == INT64_C(1730336862080));
        CHECK(g.ev[1]->pub.timestamp_ms == INT64_C(1730336862120));
        CHECK(g.ev[1]->pub.stream_type == UPWS_SNAPSHOT);
        /* each element's JSON is its own bytes only */
        CHECK(strstr(g.ev[1]->pub.json, "KRW-ETH") && !strstr(g.ev[1]->pub.json, "KRW-BTC"));
        CHECK(strstr(g.ev[0]->pub.json, "KRW-BTC") && !strstr(g.ev[0]->pub.json, "KRW-ETH"));
        CHECK_STR(field(g.ev[0], "trade_price"), "100473000.00000000");
        CHECK_STR(field(g.ev[1], "sequential_id"), "17303368620800006");
        CHECK_STR(field(g.ev[1], "trade_date"), "2024-10-31");
        CHECK_STR(field(g.ev[1], "trade_time"), "01:07:42");
    }
    got_free(&g);

    CHECK(run_sample(&g, "trade.default.json") == DECODE_DATA && g.n == 1);
    if (g.n == 1) {
        const upws_trade *t = g.ev[0]->pub.trade;
        CHECK(t->sequential_id == INT64_C(17877285547970000));
        CHECK(t->trade_price == 109847000 && t->trade_volume == 0.00509799);
        CHECK(t->ask_bid == UPWS_ASK && t->change == UPWS_RISE);
        CHECK(t->prev_closing_price == 109165000 && t->change_price == 682000);
        CHECK(t->best_ask_price == 109867000 && t->best_ask_size == 0.0099545);
        CHECK(t->best_bid_price == 109847000 && t->best_bid_size == 0.1583673);
        CHECK(t->trade_timestamp == INT64_C(1787728554797));
        CHECK(g.ev[0]->pub.timestamp_ms == INT64_C(1787728554853));
    }
    got_free(&g);

    /* 2018 SIMPLE shape: `mk`, no `ty` — tolerated, not delivered */
    CHECK(run_sample(&g, "trade.simple.legacy-2018.json") == DECODE_DATA);
    CHECK(g.n == 0 && g.info.n_skipped == 1);
    got_free(&g);
}

static void test_orderbook(void)
{
    got g;
    CHECK(run_sample(&g, "orderbook.default.wire-snapshot.json") == DECODE_DATA && g.n == 1);
    if (g.n == 1) {
        const event *ev = g.ev[0];
        const upws_orderbook *ob = ev->pub.orderbook;
        CHECK(ev->pub.stream_type == UPWS_SNAPSHOT && ev->level == 0 && ob->level == 0);
        CHECK(ev->pub.timestamp_ms == INT64_C(1790134742106));
        CHECK(ob->total_ask_size == 2.51469375 && ob->total_bid_size == 1.63815297);
        CHECK(ob->n_units == 2);
        CHECK(ob->units[0].ask_price == 116539000 && ob->units[0].bid_price == 116538000);
        CHECK(ob->units[0].ask_size == 0.02054761 && ob->units[0].bid_size == 0.08120946);
        CHECK(ob->units[1].ask_price == 116542000 && ob->units[1].bid_price == 116537000);
        CHECK(ob->units[1].ask_size == 0.00077720 && ob->units[1].bid_size == 0.01129382);
        CHECK_STR(field(ev, "ask_price_1"), "1.16539E8");
        CHECK_STR(field(ev, "ask_size_2"), "0.00077720");
        CHECK_STR(field(ev, "total_ask_size"), "2.51469375");
        CHECK_STR(field(ev, "ask_price_3"), "<absent>");
        CHECK_STR(field(ev, "level"), "0");
    }
    got_free(&g);

    CHECK(run_sample(&g, "orderbook.default.wire-realtime.json") == DECODE_DATA && g.n == 1);
    if (g.n == 1) {
        CHECK(g.ev[0]->pub.stream_type == UPWS_REALTIME);
        CHECK(g.ev[0]->pub.orderbook->units[0].bid_size == 0.06612366);
    }
    got_free(&g);

    CHECK(run_sample(&g, "orderbook.simple.wire.json") == DECODE_DATA && g.n == 1);
    if (g.n == 1) {
        const event *ev = g.ev[0];
        const upws_orderbook *ob = ev->pub.orderbook;
        CHECK(ev->simple == 1 && ob->n_units == 2);
        CHECK(ob->total_ask_size == 0.48514983 && ob->total_bid_size == 2.2403413);
        CHECK(ob->units[0].ask_price == 116606000 && ob->units[0].bid_size == 7.9276E-4);
        CHECK(ob->units[1].ask_size == 5.0E-4 && ob->units[1].bid_price == 116521000);
        CHECK_STR(field(ev, "ask_price_2"), "116609000");
        CHECK_STR(field(ev, "bid_size_1"), "7.9276E-4");
        CHECK_STR(field(ev, "ask_size_2"), "5.0E-4");
        CHECK_STR(field(ev, "bid_price_2"), "116521000");
        CHECK_STR(field(ev, "total_bid_size"), "2.2403413");
        CHECK_STR(field(ev, "tbs"), "2.2403413");       /* raw SIMPLE key works too */
        CHECK_STR(field(ev, "stream_type"), "SNAPSHOT");
        CHECK_STR(field(ev, "ask_price_0"), "<absent>");
        CHECK_STR(field(ev, "ask_price_01"), "<absent>");
        CHECK_STR(field(ev, "ask_price_"), "<absent>");
        CHECK_STR(field(ev, "ask_price_1x"), "<absent>");
        CHECK_STR(field(ev, "ask_price_99999999999"), "<absent>");
        CHECK(field_kind(ev, "orderbook_units") == UPWS_VAL_ARRAY);
    }
    got_free(&g);

    CHECK(run_sample(&g, "orderbook.simple_list.level-10000.json") == DECODE_DATA && g.n == 1);
    if (g.n == 1) {
        const event *ev = g.ev[0];
        CHECK(ev->level == 10000 && ev->pub.orderbook->level == 10000);
        CHECK(ev->pub.stream_type == UPWS_REALTIME);   /* no `st`: REALTIME */
        CHECK(ev->pub.orderbook->n_units == 3);
        CHECK(ev->pub.orderbook->units[2].bid_size == 0.04667566);
    }
    got_free(&g);

    CHECK(run_sample(&g, "orderbook.default.json") == DECODE_DATA && g.n == 1);
    if (g.n == 1) {
        const upws_orderbook *ob = g.ev[0]->pub.orderbook;
        CHECK(ob->n_units == 30);
        CHECK(ob->units[0].ask_price == 137002000 && ob->units[0].bid_size == 0.03656812);
        CHECK(ob->units[29].ask_price == 137137000 && ob->units[29].bid_price == 136861000);
        CHECK(ob->units[29].bid_size == 0.31730166);
        CHECK(ob->total_ask_size == 4.79158413 && ob->total_bid_size == 2.65609625);
        CHECK(g.ev[0]->pub.timestamp_ms == INT64_C(1746601573804));
        CHECK_STR(field(g.ev[0], "bid_size_30"), "0.31730166");
        CHECK_STR(field(g.ev[0], "ask_size_19"), "4.0534502");
    }
    got_free(&g);
}

/* Zero padding, thin sides, clipping at 64. */
static void test_orderbook_units(void)
{
    got g;
    run(&g, "{\"type\":\"orderbook\",\"code\":\"KRW-X\",\"orderbook_units\":["
            "{\"ask_price\":2,\"bid_price\":1,\"ask_size\":1,\"bid_size\":1},"
            "{\"ask_price\":0,\"bid_price\":0,\"ask_size\":0,\"bid_size\":0},"
            "{\"ask_price\":0,\"bid_price\":0.5,\"ask_size\":0,\"bid_size\":3},"
            "{\"ask_price\":0,\"bid_price\":0,\"ask_size\":0,\"bid_size\":0},"
            "{\"ask_price\":0,\"bid_price\":0,\"ask_size\":0,\"bid_size\":0}]}");
    CHECK(g.n == 1);
    if (g.n == 1) {
        const upws_orderbook *ob = g.ev[0]->pub.orderbook;
        CHECK(ob->n_units == 3);   /* trailing zero slots dropped, inner ones kept */
        CHECK(ob->units[2].ask_price == 0 && ob->units[2].bid_price == 0.5);
        CHECK(ob->units[1].ask_price == 0);
    }
    got_free(&g);

    /* a last unit with any single non-zero value is a level, not padding */
    static const char *const one[] = {"ap", "as", "bp", "bs"};
    for (int f = 0; f < 4; f++) {
        char b[256];
        snprintf(b, sizeof b, "{\"ty\":\"orderbook\",\"cd\":\"KRW-X\",\"obu\":[{\"ap\":2,\"bp\":1,"
                 "\"as\":1,\"bs\":1},{\"ap\":0,\"bp\":0,\"as\":0,\"bs\":0,\"%s\":0.5}]}", one[f]);
        run(&g, b);
        CHECK(g.n == 1 && g.ev[0]->pub.orderbook->n_units == 2);
        got_free(&g);
    }
    run(&g, "{\"ty\":\"orderbook\",\"cd\":\"KRW-X\",\"obu\":[{\"ap\":0,\"bp\":0,\"as\":0,\"bs\":0}]}");
    CHECK(g.n == 1 && g.ev[0]->pub.orderbook->n_units == 0);
    got_free(&g);
    run(&g, "{\"ty\":\"orderbook\",\"cd\":\"KRW-X\"}");
    CHECK(g.n == 1 && g.ev[0]->pub.orderbook->n_units == 0);
    got_free(&g);

    static char big[70 * 64 + 128];
    int o = sprintf(big, "{\"ty\":\"orderbook\",\"cd\":\"KRW-X\",\"obu\":[");
    for (int i = 0; i < 70; i++)
        o += sprintf(big + o, "%s{\"ap\":%d,\"bp\":%d,\"as\":1,\"bs\":1}", i ? "," : "", 100 + i, 99 - i);
    sprintf(big + o, "],\"lv\":1.5E3}");
    run(&g, big);
    CHECK(g.n == 1);
    if (g.n == 1) {
        const upws_orderbook *ob = g.ev[0]->pub.orderbook;
        CHECK(ob->n_units == 64 && ob->units[63].ask_price == 163 && ob->level == 1500);
        CHECK_STR(field(g.ev[0], "ask_price_70"), "169");   /* the wire keeps all */
    }
    got_free(&g);

    /* odd elements count as empty units, keeping wire indices */
    run(&g, "{\"ty\":\"orderbook\",\"cd\":\"KRW-X\",\"obu\":[1,{\"ap\":5,\"bp\":4,\"as\":\"x\",\"bs\":null,\"zz\":1}]}");
    CHECK(g.n == 1);
    if (g.n == 1) {
        const upws_orderbook *ob = g.ev[0]->pub.orderbook;
        CHECK(ob->n_units == 2 && ob->units[0].ask_price == 0 && ob->units[1].ask_price == 5);
        CHECK(ob->units[1].ask_size == 0 && ob->units[1].bid_size == 0);
        CHECK_STR(field(g.ev[0], "ask_price_2"), "5");
        CHECK_STR(field(g.ev[0], "bid_size_2"), "<null>");
        CHECK_STR(field(g.ev[0], "ask_price_1"), "<absent>");
    }
    got_free(&g);
}

static void test_candle(void)
{
    got g;
    CHECK(run_sample(&g, "candle.default.json") == DECODE_DATA && g.n == 1);
    if (g.n == 1) {
        const upws_candle *k = g.ev[0]->pub.candle;
        CHECK_STR(g.ev[0]->pub.type_name, "candle.1m");
        CHECK(k->unit_seconds == 60);
        CHECK_STR(k->candle_date_time_utc, "2026-08-26T08:08:00");
        CHECK_STR(k->candle_date_time_kst, "2026-08-26T17:08:00");
        CHECK(k->opening_price == 109715000 && k->high_price == 109756000);
        CHECK(k->low_price == 109714000 && k->trade_price == 109756000);
        CHECK(k->candle_acc_trade_volume == 0.71326612 && k->candle_acc_trade_price == 78269528.64757);
        CHECK(g.ev[0]->pub.stream_type == UPWS_SNAPSHOT);
    }
    got_free(&g);

    CHECK(run_sample(&g, "candle.default.15m.json") == DECODE_DATA && g.n == 1);
    CHECK(g.n == 1 && g.ev[0]->pub.candle->unit_seconds == 900);
    got_free(&g);

    CHECK(run_sample(&g, "candle.default.1s.json") == DECODE_DATA && g.n == 1);
    if (g.n == 1) {
        const upws_candle *k = g.ev[0]->pub.candle;
        CHECK(k->unit_seconds == 1 && k->trade_price == 142009000);
        CHECK(k->candle_acc_trade_price == 860743.53071);
        CHECK(g.ev[0]->pub.stream_type == UPWS_REALTIME);
        CHECK_STR(field(g.ev[0], "candle_acc_trade_price"), "860743.5307100000000000");
    }
    got_free(&g);

    CHECK(run_sample(&g, "candle.simple_list.json") == DECODE_DATA && g.n == 2);
    if (g.n == 2) {
        const upws_candle *a = g.ev[0]->pub.candle, *b = g.ev[1]->pub.candle;
        CHECK(g.ev[0]->simple == 1 && a->unit_seconds == 1 && b->unit_seconds == 1);
        CHECK_STR(g.ev[1]->pub.code, "KRW-ETH");
        CHECK_STR(a->candle_date_time_kst, "2025-07-07T11:29:24");
        CHECK_STR(b->candle_date_time_utc, "2025-07-07T02:29:12");
        CHECK(a->candle_acc_trade_volume == 0.00033557 && a->candle_acc_trade_price == 49999.93);
        CHECK(b->trade_price == 3515000 && b->candle_acc_trade_volume == 0.01);
        CHECK(b->candle_acc_trade_price == 0 && g.ev[1]->pub.timestamp_ms == 0);  /* truncated in docs */
        CHECK(g.ev[0]->pub.timestamp_ms == INT64_C(1751855364161));
        CHECK_STR(field(g.ev[0], "candle_date_time_utc"), "2025-07-07T02:29:24");
    }
    got_free(&g);
}

static void test_private(void)
{
    got g;
    CHECK(run_sample(&g, "myorder.default.json") == DECODE_DATA && g.n == 1);
    if (g.n == 1) {
        const event *ev = g.ev[0];
        CHECK(ev->pub.type == UPWS_TYPE_MYORDER);
        CHECK_STR(ev->pub.type_name, "myOrder");
        CHECK_STR(ev->pub.code, "KRW-BTC");
        CHECK(!ev->pub.ticker && !ev->pub.trade && !ev->pub.orderbook && !ev->pub.candle);
        CHECK(ev->pub.myorder && !ev->pub.myasset);   /* values: test_decode_private.c */
        CHECK(ev->pub.timestamp_ms == INT64_C(1710751597500));
        CHECK_STR(field(ev, "price"), "0.001453");
        CHECK_STR(field(ev, "state"), "trade");
        CHECK_STR(field(ev, "is_maker"), "true");
        CHECK_STR(field(ev, "time_in_force"), "<null>");
        CHECK_STR(field(ev, "reserved_fee"), "44.23943970238218");
        CHECK_STR(field(ev, "order_timestamp"), "1710751590000");
    }
    got_free(&g);

    CHECK(run_sample(&g, "myorder.default.wait-state.ccxt-pr27219.json") == DECODE_DATA && g.n == 1);
    if (g.n == 1) {
        CHECK_STR(field(g.ev[0], "trade_uuid"), "<null>");
        CHECK_STR(field(g.ev[0], "order_type"), "price");
    }
    got_free(&g);

    CHECK(run_sample(&g, "myasset.json_list.json") == DECODE_DATA && g.n == 1);
    if (g.n == 1) {
        const event *ev = g.ev[0];
        CHECK(ev->pub.type == UPWS_TYPE_MYASSET);
        CHECK_STR(ev->pub.code, "");
        CHECK(field_kind(ev, "assets") == UPWS_VAL_ARRAY);
        CHECK_STR(field(ev, "asset_timestamp"), "1710146517259");
        upws_val v;
        json_span bal;
        CHECK(decode_field(&ev->pub, "assets", &v) == UPWS_OK);
        json_span first;
        CHECK(json_at(v.text, v.len, 0, &first) == 1);
        CHECK(json_find(first.p, first.len, "balance", 7, &bal) == 1);
        CHECK(bal.len == 28 && memcmp(bal.p, "1386929.37231066771348207123", 28) == 0);
    }
    got_free(&g);
}

/* ---- non-data frames ---- */

static void test_control_frames(void)
{
    got g;
    CHECK(run_sample(&g, "error.invalid_auth.json") == DECODE_ERROR);
    CHECK_STR(g.info.error_name, "INVALID_AUTH");
    CHECK_STR(g.info.error_message, "인증 정보가 올바르지 않습니다.");
    CHECK(run_sample(&g, "error.invalid_param.wire.json") == DECODE_ERROR);   /* message first */
    CHECK_STR(g.info.error_name, "INVALID_PARAM");
    CHECK_STR(g.info.error_message, "nope 은 지원하지 않는 타입입니다.");
    CHECK(run_sample(&g, "error.no_ticket.wire.json") == DECODE_ERROR);
    CHECK_STR(g.info.error_name, "NO_TICKET");
    CHECK(run_sample(&g, "error.wrong_format.wire.json") == DECODE_ERROR);
    CHECK_STR(g.info.error_name, "WRONG_FORMAT");

    CHECK(run(&g, "{\"error\":{\"message\":\"caf\\u00e9 \\\"x\\\"\"}}") == DECODE_ERROR);
    CHECK_STR(g.info.error_name, "");
    CHECK_STR(g.info.error_message, "caf\xc3\xa9 \"x\"");
    CHECK(run(&g, "{\"error\":\"plain\"}") == DECODE_ERROR);
    CHECK_STR(g.info.error_message, "plain");
    /* error wins over anything else in the same object */
    CHECK(run(&g, "{\"type\":\"ticker\",\"code\":\"KRW-BTC\",\"error\":{\"name\":\"X\"}}") == DECODE_ERROR);
    CHECK(g.n == 0);
    /* a long message is cut on a character boundary */
    static char big[4096];
    int o = sprintf(big, "{\"error\":{\"name\":\"%s\",\"message\":\"",
                    "NAME_LONGER_THAN_SIXTY_FOUR_BYTES_NAME_LONGER_THAN_SIXTY_FOUR_BYTES_XX");
    for (int i = 0; i < 200; i++)
        o += sprintf(big + o, "가");
    sprintf(big + o, "\"}}");
    CHECK(run(&g, big) == DECODE_ERROR);
    CHECK(strlen(g.info.error_name) == 63);
    CHECK(strlen(g.info.error_message) == 255 && strlen(g.info.error_message) % 3 == 0);

    CHECK(run_sample(&g, "status_up.json") == DECODE_STATUS);
    CHECK(run(&g, " {\"status\":\"UP\"}\n") == DECODE_STATUS);

    CHECK(run_sample(&g, "list_subscriptions.default.public.json") == DECODE_LIST);
    CHECK(g.info.list_json && g.info.list_len > 2 && g.info.list_json[0] == '[');
    CHECK(g.info.list_json && json_validate(g.info.list_json, g.info.list_len, NULL) == 0);
    CHECK(g.info.list_json && strstr(g.info.list_json, "\"orderbook\"") != NULL);
    CHECK(run_sample(&g, "list_subscriptions.default.private.json") == DECODE_LIST);
    CHECK(g.info.list_json && strstr(g.info.list_json, "myAsset") != NULL);
    CHECK(run(&g, "{\"mthd\":\"LIST_SUBSCRIPTIONS\",\"rslt\":[{\"ty\":\"ticker\",\"cds\":[\"KRW-BTC\"]}],\"tckt\":\"t\"}")
          == DECODE_LIST);
    CHECK(g.info.list_json && g.info.list_len == 35);
    CHECK(run(&g, "{\"method\":\"LIST_SUBSCRIPTIONS\"}") == DECODE_LIST);
    CHECK(g.info.list_json == NULL && g.info.list_len == 0);
}

/* ---- DEFAULT ↔ SIMPLE: the same message must give the same values ---- */

/* The test's own copy of PROTOCOL §10.1–10.4 (kept apart from decode.c's so
 * a slip in either shows). trade_date depends on the type. */
static const struct { const char *def, *simple; } twin_keys[] = {
    {"type", "ty"}, {"code", "cd"}, {"timestamp", "tms"}, {"stream_type", "st"},
    {"opening_price", "op"}, {"high_price", "hp"}, {"low_price", "lp"}, {"trade_price", "tp"},
    {"prev_closing_price", "pcp"}, {"change", "c"}, {"change_price", "cp"},
    {"signed_change_price", "scp"}, {"change_rate", "cr"}, {"signed_change_rate", "scr"},
    {"trade_volume", "tv"}, {"acc_trade_volume", "atv"}, {"acc_trade_volume_24h", "atv24h"},
    {"acc_trade_price", "atp"}, {"acc_trade_price_24h", "atp24h"}, {"trade_time", "ttm"},
    {"trade_timestamp", "ttms"}, {"ask_bid", "ab"}, {"acc_ask_volume", "aav"},
    {"acc_bid_volume", "abv"}, {"highest_52_week_price", "h52wp"},
    {"highest_52_week_date", "h52wdt"}, {"lowest_52_week_price", "l52wp"},
    {"lowest_52_week_date", "l52wdt"}, {"market_state", "ms"}, {"is_trading_suspended", "its"},
    {"delisting_date", "dd"}, {"market_warning", "mw"}, {"sequential_id", "sid"},
    {"best_ask_price", "bap"}, {"best_ask_size", "bas"}, {"best_bid_price", "bbp"},
    {"best_bid_size", "bbs"}, {"total_ask_size", "tas"}, {"total_bid_size", "tbs"},
    {"orderbook_units", "obu"}, {"ask_price", "ap"}, {"bid_price", "bp"}, {"ask_size", "as"},
    {"bid_size", "bs"}, {"level", "lv"}, {"candle_date_time_utc", "cdttmu"},
    {"candle_date_time_kst", "cdttmk"}, {"candle_acc_trade_volume", "catv"},
    {"candle_acc_trade_price", "catp"},
};

static const char *twin_simple(const json_span *k, int is_trade)
{
    if (k->len == 10 && memcmp(k->p, "trade_date", 10) == 0)
        return is_trade ? "td" : "tdt";
    for (size_t i = 0; i < sizeof twin_keys / sizeof twin_keys[0]; i++)
        if (strlen(twin_keys[i].def) == k->len && memcmp(twin_keys[i].def, k->p, k->len) == 0)
            return twin_keys[i].simple;
    return NULL;
}

typedef struct outbuf {
    char b[16384];
    size_t n;
} outbuf;

static void put(outbuf *o, const char *s, size_t n)
{
    CHECK(o->n + n < sizeof o->b);
    if (o->n + n < sizeof o->b) {
        memcpy(o->b + o->n, s, n);
        o->n += n;
        o->b[o->n] = '\0';
    }
}

/* Re-emits the value at the cursor with SIMPLE keys; values verbatim. */
static void render_simple(json_cur *c, outbuf *o, int is_trade)
{
    json_kind k = json_peek(c);
    json_it it;
    json_span v;
    if (k == JSON_OBJECT) {
        json_cur peek = *c;
        if (json_value(&peek, &v) == 0 && json_find(v.p, v.len, "type", 4, &v) == 1)
            is_trade = json_str_eq(&v, "trade", 5);
        json_obj_begin(c, &it);
        put(o, "{", 1);
        while (json_obj_next(&it, &v) == 1) {
            const char *s = twin_simple(&v, is_trade);
            if (it.n > 1)
                put(o, ",", 1);
            put(o, "\"", 1);
            put(o, s ? s : v.p, s ? strlen(s) : v.len);
            put(o, "\":", 2);
            render_simple(c, o, is_trade);
        }
        put(o, "}", 1);
    } else if (k == JSON_ARRAY) {
        json_arr_begin(c, &it);
        put(o, "[", 1);
        while (json_arr_next(&it) == 1) {
            if (it.n > 1)
                put(o, ",", 1);
            render_simple(c, o, is_trade);
        }
        put(o, "]", 1);
    } else if (json_value(c, &v) == 0) {
        if (v.kind == JSON_STRING)
            put(o, "\"", 1);
        put(o, v.p, v.len);
        if (v.kind == JSON_STRING)
            put(o, "\"", 1);
    }
}

#define SAME(f) CHECK(memcmp(&a->f, &b->f, sizeof a->f) == 0)

static void same_ticker(const upws_ticker *a, const upws_ticker *b)
{
    SAME(opening_price); SAME(high_price); SAME(low_price); SAME(trade_price);
    SAME(prev_closing_price); SAME(change_price); SAME(signed_change_price); SAME(change_rate);
    SAME(signed_change_rate); SAME(trade_volume); SAME(acc_trade_volume);
    SAME(acc_trade_volume_24h); SAME(acc_trade_price); SAME(acc_trade_price_24h);
    SAME(acc_ask_volume); SAME(acc_bid_volume); SAME(trade_timestamp); SAME(ask_bid); SAME(change);
}

static void same_trade(const upws_trade *a, const upws_trade *b)
{
    SAME(trade_price); SAME(trade_volume); SAME(prev_closing_price); SAME(change_price);
    SAME(best_ask_price); SAME(best_ask_size); SAME(best_bid_price); SAME(best_bid_size);
    SAME(trade_timestamp); SAME(sequential_id); SAME(ask_bid); SAME(change);
}

static void same_orderbook(const upws_orderbook *a, const upws_orderbook *b)
{
    SAME(total_ask_size); SAME(total_bid_size); SAME(level); SAME(n_units);
    if (a->n_units == b->n_units && a->n_units)
        CHECK(memcmp(a->units, b->units, a->n_units * sizeof *a->units) == 0);
}

static void same_candle(const upws_candle *a, const upws_candle *b)
{
    SAME(unit_seconds); SAME(opening_price); SAME(high_price); SAME(low_price);
    SAME(trade_price); SAME(candle_acc_trade_volume); SAME(candle_acc_trade_price);
    CHECK_STR(a->candle_date_time_utc, b->candle_date_time_utc);
    CHECK_STR(a->candle_date_time_kst, b->candle_date_time_kst);
}

/* Every mapped DEFAULT name (and flattened unit names) reads the same text. */
static void same_fields(const event *d, const event *s)
{
    upws_val a, b;
    char name[64];
    for (size_t i = 0; i < sizeof twin_keys / sizeof twin_keys[0] + 1; i++) {
        const char *n = i < sizeof twin_keys / sizeof twin_keys[0] ? twin_keys[i].def : "trade_date";
        CHECK(decode_field(&d->pub, n, &a) == UPWS_OK && decode_field(&s->pub, n, &b) == UPWS_OK);
        int same = a.kind == b.kind && a.len == b.len && (a.len == 0 || memcmp(a.text, b.text, a.len) == 0);
        if (strcmp(n, "type") == 0 || strcmp(n, "orderbook_units") == 0)
            same = a.kind == b.kind;   /* the nested keys differ by design */
        CHECK(same);
        if (!same)
            fprintf(stderr, "  field %s differs between DEFAULT and SIMPLE\n", n);
    }
    for (int u = 1; u <= 31; u++) {
        static const char *const flat[] = {"ask_price", "ask_size", "bid_price", "bid_size"};
        for (int f = 0; f < 4; f++) {
            snprintf(name, sizeof name, "%s_%d", flat[f], u);
            decode_field(&d->pub, name, &a);
            decode_field(&s->pub, name, &b);
            CHECK(a.kind == b.kind && a.len == b.len && (!a.len || memcmp(a.text, b.text, a.len) == 0));
        }
    }
}

static void same_event(const event *d, const event *s)
{
    CHECK(d->simple == 0 && s->simple == 1);
    CHECK(d->pub.type == s->pub.type);
    CHECK_STR(d->pub.type_name, s->pub.type_name);
    CHECK_STR(d->pub.code, s->pub.code);
    CHECK(d->pub.stream_type == s->pub.stream_type);
    CHECK(d->pub.timestamp_ms == s->pub.timestamp_ms);
    CHECK(memcmp(&d->level, &s->level, sizeof d->level) == 0);
    if (d->pub.ticker && s->pub.ticker)
        same_ticker(d->pub.ticker, s->pub.ticker);
    if (d->pub.trade && s->pub.trade)
        same_trade(d->pub.trade, s->pub.trade);
    if (d->pub.orderbook && s->pub.orderbook)
        same_orderbook(d->pub.orderbook, s->pub.orderbook);
    if (d->pub.candle && s->pub.candle)
        same_candle(d->pub.candle, s->pub.candle);
    same_fields(d, s);
}

static void twin_texts(const char *def, size_t dlen, const char *simple, size_t slen, size_t expect)
{
    got a, b;
    run_n(&a, def, dlen);
    run_n(&b, simple, slen);
    CHECK(a.kind == DECODE_DATA && b.kind == DECODE_DATA);
    CHECK(a.n == expect && b.n == expect);
    for (size_t i = 0; i < a.n && i < b.n; i++)
        same_event(a.ev[i], b.ev[i]);
    got_free(&a);
    got_free(&b);
}

/* Render each DEFAULT sample of a public type to SIMPLE and compare. */
static void test_twins_rendered(void)
{
    static const struct { const char *file; size_t n; } files[] = {
        {"ticker.default.json", 1}, {"trade.default.json", 1}, {"trade.json_list.json", 2},
        {"orderbook.default.json", 1}, {"orderbook.default.wire-snapshot.json", 1},
        {"orderbook.default.wire-realtime.json", 1}, {"candle.default.json", 1},
        {"candle.default.15m.json", 1}, {"candle.default.1s.json", 1},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t len;
        char *def = load(files[i].file, &len);
        static outbuf o;
        json_cur c;
        o.n = 0;
        json_init(&c, def, len);
        render_simple(&c, &o, 0);
        CHECK(c.err == NULL && json_validate(o.b, o.n, NULL) == 0);
        CHECK(strstr(o.b, "\"ty\":") != NULL && strstr(o.b, "\"type\":") == NULL);
        twin_texts(def, len, o.b, o.n, files[i].n);
        free(def);
    }
}

static void twin_file(const char *simple_file, const char *def, size_t expect)
{
    size_t len;
    char *simple = load(simple_file, &len);
    twin_texts(def, strlen(def), simple, len, expect);
    free(simple);
}

/* Hand-written DEFAULT twins of the SIMPLE samples (keys renamed by hand,
 * values and order kept), plus a current-shape SIMPLE trade. */
static void test_twins_inline(void)
{
    twin_file("orderbook.simple.wire.json",
        "{\"type\":\"orderbook\",\"code\":\"KRW-BTC\",\"timestamp\":1790134773006,"
        "\"total_ask_size\":0.48514983,\"total_bid_size\":2.2403413,\"orderbook_units\":["
        "{\"ask_price\":116606000,\"bid_price\":116534000,\"ask_size\":0.06288509,\"bid_size\":7.9276E-4},"
        "{\"ask_price\":116609000,\"bid_price\":116521000,\"ask_size\":5.0E-4,\"bid_size\":0.01624318}],"
        "\"stream_type\":\"SNAPSHOT\",\"level\":0}", 1);
    twin_file("orderbook.simple_list.level-10000.json",
        "[{\"type\":\"orderbook\",\"code\":\"KRW-BTC\",\"timestamp\":1751855921432,"
        "\"total_ask_size\":17.12835169,\"total_bid_size\":4.81969018,\"orderbook_units\":["
        "{\"ask_price\":148880000,\"bid_price\":148830000,\"ask_size\":0.37765316,\"bid_size\":0.34809059},"
        "{\"ask_price\":148890000,\"bid_price\":148820000,\"ask_size\":0.64120607,\"bid_size\":0.02744065},"
        "{\"ask_price\":148900000,\"bid_price\":148810000,\"ask_size\":0.70085443,\"bid_size\":0.04667566}],"
        "\"level\":10000}]", 1);
    twin_file("ticker.simple_list.json",
        "[{\"type\":\"ticker\",\"code\":\"KRW-BTC\",\"opening_price\":148500000.0,"
        "\"high_price\":149064000.0,\"low_price\":148050000.0,\"trade_price\":148956000.0,"
        "\"prev_closing_price\":148500000.0,\"acc_trade_price\":16115868486.03173,"
        "\"change\":\"RISE\",\"change_price\":456000.0,\"signed_change_price\":456000.0,"
        "\"change_rate\":0.0030707071,\"signed_change_rate\":0.0030707071,\"ask_bid\":\"BID\","
        "\"trade_volume\":0.0602652,\"acc_trade_volume\":108.51228784,\"trade_date\":\"20250707\","
        "\"trade_time\":\"022055\",\"trade_timestamp\":1751854855934,\"acc_ask_volume\":36.9943567,"
        "\"acc_bid_volume\":71.51793114,\"highest_52_week_price\":163325000.0,"
        "\"highest_52_week_date\":\"2025-01-20\",\"stream_type\":\"SNAPSHOT\"}]", 1);
    twin_file("candle.simple_list.json",
        "[{\"type\":\"candle.1s\",\"code\":\"KRW-BTC\",\"candle_date_time_utc\":\"2025-07-07T02:29:24\","
        "\"candle_date_time_kst\":\"2025-07-07T11:29:24\",\"opening_price\":149000000.0,"
        "\"high_price\":149000000.0,\"low_price\":149000000.0,\"trade_price\":149000000.0,"
        "\"candle_acc_trade_volume\":0.00033557,\"candle_acc_trade_price\":49999.93,"
        "\"timestamp\":1751855364161,\"stream_type\":\"SNAPSHOT\"},"
        "{\"type\":\"candle.1s\",\"code\":\"KRW-ETH\",\"candle_date_time_utc\":\"2025-07-07T02:29:12\","
        "\"candle_date_time_kst\":\"2025-07-07T11:29:12\",\"opening_price\":3515000.0,"
        "\"high_price\":3515000.0,\"low_price\":3515000.0,\"trade_price\":3515000.0,"
        "\"candle_acc_trade_volume\":0.01,\"stream_type\":\"SNAPSHOT\"}]", 2);

    /* trade.default.json in SIMPLE, keys in another order than the DEFAULT file */
    size_t len;
    char *def = load("trade.default.json", &len);
    const char *simple =
        "{\"sid\":17877285547970000,\"ty\":\"trade\",\"st\":\"SNAPSHOT\",\"cd\":\"KRW-BTC\","
        "\"tms\":1787728554853,\"td\":\"2026-08-26\",\"ttm\":\"07:15:54\",\"ttms\":1787728554797,"
        "\"tp\":109847000.0,\"tv\":0.00509799,\"ab\":\"ASK\",\"pcp\":109165000.0,\"c\":\"RISE\","
        "\"cp\":682000.0,\"bap\":109867000,\"bas\":0.0099545,\"bbp\":109847000,\"bbs\":0.1583673}";
    twin_texts(def, len, simple, strlen(simple), 1);
    free(def);
}

/* ---- hostile input ---- */

static int only_ws(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\n' && p[i] != '\r' && p[i] != '\t')
            return 0;
    return 1;
}

static unsigned rng_state = 2463534242u;
static unsigned rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void test_truncated_and_mutated_samples(void)
{
    DIR *d = opendir(samples_dir());
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l < 5 || strcmp(de->d_name + l - 5, ".json") != 0)
            continue;
        size_t len;
        char *b = load(de->d_name, &len);
        got g;
        for (size_t i = 0; i < len; i++) {
            if (run_n(&g, b, i) != DECODE_BAD && !only_ws(b + i, len - i)) {
                CHECK(!"a truncated frame was accepted");
                fprintf(stderr, "  %s cut at %zu accepted\n", de->d_name, i);
            }
            for (size_t k = 0; k < g.n; k++)
                check_event_shape(g.ev[k]);
            got_free(&g);
        }
        static const char poison[] = "\"{}[],:\\0eE-+.\x00\xff tfn";
        for (int m = 0; m < 300 && len; m++) {
            char *x = malloc(len);
            memcpy(x, b, len);
            for (int k = 1 + (int)(rng() % 3); k > 0; k--)
                x[rng() % len] = (rng() & 1) ? poison[rng() % (sizeof poison - 1)] : (char)rng();
            run_n(&g, x, len);
            for (size_t k = 0; k < g.n; k++)
                check_event_shape(g.ev[k]);
            got_free(&g);
            free(x);
        }
        free(b);
    }
    closedir(d);
}

static void test_random_bytes(void)
{
    char buf[512];
    got g;
    for (int i = 0; i < 20000; i++) {
        size_t n = rng() % sizeof buf;
        for (size_t k = 0; k < n; k++)
            buf[k] = (char)rng();
        if (n && (i & 1))
            buf[0] = (i & 2) ? '{' : '[';
        run_n(&g, buf, n);
        got_free(&g);
    }
}

static void test_hostile(void)
{
    got g;
    static char deep[10000 * 5 + 64];
    memset(deep, '[', 10000);
    CHECK(run_n(&g, deep, 10000) == DECODE_BAD);
    for (int i = 0; i < 10000; i++)
        memcpy(deep + i * 5, "{\"a\":", 5);
    CHECK(run_n(&g, deep, 50000) == DECODE_BAD);
    memset(deep, ']', 10000);
    CHECK(run_n(&g, deep, 10000) == DECODE_BAD);

    /* nesting inside a data object: up to the limit fine, beyond it BAD */
    for (int depth = 30; depth <= 34; depth++) {
        int o = sprintf(deep, "{\"type\":\"trade\",\"code\":\"KRW-X\",\"x\":");
        for (int i = 0; i < depth - 1; i++)
            deep[o++] = '[';
        for (int i = 0; i < depth - 1; i++)
            deep[o++] = ']';
        deep[o++] = '}';
        decode_kind k = run_n(&g, deep, (size_t)o);
        CHECK(depth <= 32 ? (k == DECODE_DATA && g.n == 1) : k == DECODE_BAD);
        got_free(&g);
    }

    /* huge and odd numbers: the event survives, unreadable values are 0,
     * and the text stays exact */
    static char num[4096];
    int o = sprintf(num, "{\"type\":\"trade\",\"code\":\"KRW-X\",\"sequential_id\":99999999999999999999,"
                         "\"trade_price\":1e400,\"trade_timestamp\":1.787728554797E12,"
                         "\"best_ask_price\":-0.0,\"trade_volume\":0.");
    for (int i = 0; i < 1500; i++)
        num[o++] = '3';
    o += sprintf(num + o, ",\"best_bid_price\":1E-400,\"timestamp\":12.5}");
    CHECK(run_n(&g, num, (size_t)o) == DECODE_DATA && g.n == 1);
    if (g.n == 1) {
        const upws_trade *t = g.ev[0]->pub.trade;
        CHECK(t->sequential_id == 0 && t->trade_price == 0 && t->trade_volume == 0);
        CHECK(t->trade_timestamp == INT64_C(1787728554797) && t->best_bid_price == 0);
        CHECK(g.ev[0]->pub.timestamp_ms == 0);
        CHECK_STR(field(g.ev[0], "sequential_id"), "99999999999999999999");
        CHECK_STR(field(g.ev[0], "trade_price"), "1e400");
    }
    got_free(&g);

    /* strings with escapes: routing strings must be plain, others are kept raw */
    CHECK(run(&g, "{\"type\":\"trade\",\"code\":\"KRW-\\u0042TC\"}") == DECODE_DATA);
    CHECK(g.n == 0 && g.info.n_skipped == 1);
    CHECK(run(&g, "{\"type\":\"tr\\u0061de\",\"code\":\"KRW-BTC\"}") == DECODE_DATA && g.n == 0);
    CHECK(run(&g, "{\"type\":\"ticker\",\"code\":\"KRW-BTC\",\"market_state\":\"A\\\"B\\u0000\"}")
          == DECODE_DATA && g.n == 1);
    if (g.n == 1)
        CHECK_STR(field(g.ev[0], "market_state"), "A\\\"B\\u0000");
    got_free(&g);
    CHECK(run(&g, "{\"type\":\"ticker\",\"code\":\"KRW-BTC\",\"x\\\"y\":1,\"\\u0063ode\":\"Z\"}")
          == DECODE_DATA && g.n == 1);
    got_free(&g);

    /* NUL bytes anywhere: BAD */
    CHECK(run_n(&g, "{\"type\":\"ticker\",\"code\":\"KRW\0BTC\"}", 34) == DECODE_BAD);
    CHECK(run_n(&g, "{\"status\":\"UP\"}\0", 16) == DECODE_BAD);
    CHECK(run_n(&g, "\0{\"status\":\"UP\"}", 16) == DECODE_BAD);
    CHECK(run_n(&g, "{\"status\":\0\"UP\"}", 16) == DECODE_BAD);

    /* routing string bounds */
    CHECK(run(&g, "{\"type\":\"trade\",\"code\":\"ABCDEFGHIJKLMNOPQRSTUVW\"}") == DECODE_DATA && g.n == 1);
    got_free(&g);
    CHECK(run(&g, "{\"type\":\"trade\",\"code\":\"ABCDEFGHIJKLMNOPQRSTUVWX\"}") == DECODE_DATA && g.n == 0);
    CHECK(run(&g, "{\"type\":\"trade\",\"code\":\"\"}") == DECODE_DATA && g.n == 0);
    CHECK(run(&g, "{\"type\":\"trade\",\"code\":7}") == DECODE_DATA && g.n == 0);
    CHECK(run(&g, "{\"type\":7,\"code\":\"KRW-BTC\"}") == DECODE_DATA && g.n == 0);
    CHECK(run(&g, "{\"type\":\"candle.2m\",\"code\":\"KRW-BTC\"}") == DECODE_DATA && g.n == 0);
    CHECK(run(&g, "{\"type\":\"Ticker\",\"code\":\"KRW-BTC\"}") == DECODE_DATA && g.n == 0);
    CHECK(g.info.n_skipped == 1);

    /* frame shapes */
    CHECK(run(&g, "") == DECODE_BAD);
    CHECK(run(&g, " \n\t ") == DECODE_BAD);
    CHECK(run(&g, "{}") == DECODE_BAD);
    CHECK(run(&g, "{\"foo\":1}") == DECODE_BAD);
    CHECK(run(&g, "123") == DECODE_BAD);
    CHECK(run(&g, "\"x\"") == DECODE_BAD);
    CHECK(run(&g, "null") == DECODE_BAD);
    CHECK(run(&g, "PING") == DECODE_BAD);
    CHECK(run(&g, "{\"status\":\"UP\"}x") == DECODE_BAD);
    CHECK(run(&g, "{\"status\":\"UP\"}{}") == DECODE_BAD);
    CHECK(run(&g, "[]") == DECODE_DATA && g.n == 0 && g.info.n_skipped == 0);
    CHECK(run(&g, "[{\"type\":\"trade\",\"code\":\"A\"},1,\"x\",null,[],{}]") == DECODE_DATA);
    CHECK(g.n == 1 && g.info.n_skipped == 5);
    got_free(&g);
    /* an array that goes bad after a good element delivers nothing */
    CHECK(run(&g, "[{\"type\":\"trade\",\"code\":\"A\"},{\"type\":\"trade\",\"code\":\"B\"") == DECODE_BAD);
    CHECK(run(&g, "[{\"type\":\"trade\",\"code\":\"A\"}] x") == DECODE_BAD);
    CHECK(run(&g, "\r\n\t {\"type\":\"trade\",\"code\":\"A\"} \r\n") == DECODE_DATA && g.n == 1);
    if (g.n == 1)
        CHECK(g.ev[0]->pub.json_len == 27 && g.ev[0]->pub.json[0] == '{');
    got_free(&g);
    CHECK(run(&g, "{\"market\":\"KRW-BTC\"}") == DECODE_DATA && g.n == 0 && g.info.n_skipped == 1);

    /* no sink, no info: events are dropped cleanly */
    const char *t = "[{\"type\":\"trade\",\"code\":\"A\"},{\"type\":\"trade\",\"code\":\"B\"}]";
    CHECK(decode_frame(t, strlen(t), 0, NULL, NULL, NULL) == DECODE_DATA);
    CHECK(decode_frame(NULL, 10, 0, NULL, NULL, NULL) == DECODE_BAD);

    /* oversized frame */
    size_t huge = (size_t)9 << 20;
    char *h = malloc(huge);
    memset(h, ' ', huge);
    h[0] = '[';
    h[huge - 1] = ']';
    decode_info info;
    CHECK(decode_frame(h, huge, 0, NULL, NULL, &info) == DECODE_BAD && info.why);
    free(h);
}

/* ---- small API pieces ---- */

static void test_names(void)
{
    static const struct { const char *n; uint32_t s; } units[] = {
        {"candle.1s", 1}, {"candle.1m", 60}, {"candle.3m", 180}, {"candle.5m", 300},
        {"candle.10m", 600}, {"candle.15m", 900}, {"candle.30m", 1800}, {"candle.60m", 3600},
        {"candle.240m", 14400}, {"candle.2m", 0}, {"candle.1d", 0}, {"candle.", 0},
        {"candle.1mm", 0}, {"ticker", 0}, {"", 0}, {"candle.240", 0}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        CHECK(decode_candle_unit(units[i].n) == units[i].s);
        CHECK(decode_type(units[i].n) == (units[i].s ? UPWS_TYPE_CANDLE : decode_type(units[i].n)));
    }
    CHECK(decode_candle_unit(NULL) == 0);
    CHECK(decode_type("ticker") == UPWS_TYPE_TICKER);
    CHECK(decode_type("trade") == UPWS_TYPE_TRADE);
    CHECK(decode_type("orderbook") == UPWS_TYPE_ORDERBOOK);
    CHECK(decode_type("myOrder") == UPWS_TYPE_MYORDER);
    CHECK(decode_type("myAsset") == UPWS_TYPE_MYASSET);
    CHECK(decode_type("announcement") == UPWS_TYPE_UNKNOWN);
    CHECK(decode_type("indicator") == UPWS_TYPE_UNKNOWN);
    CHECK(decode_type("myorder") == UPWS_TYPE_UNKNOWN);
    CHECK(decode_type("orderbook.5") == UPWS_TYPE_UNKNOWN);
    CHECK(decode_type("") == UPWS_TYPE_UNKNOWN);
    CHECK(decode_type(NULL) == UPWS_TYPE_UNKNOWN);
}

static void test_field_api_and_refs(void)
{
    got g;
    run_sample(&g, "trade.default.json");
    CHECK(g.n == 1);
    if (g.n != 1)
        return got_free(&g);
    event *ev = g.ev[0];
    upws_val v = {UPWS_VAL_NUMBER, "x", 1};
    CHECK(decode_field(NULL, "trade_price", &v) == UPWS_EINVAL && v.kind == UPWS_VAL_ABSENT);
    CHECK(decode_field(&ev->pub, NULL, &v) == UPWS_EINVAL);
    CHECK(decode_field(&ev->pub, "", &v) == UPWS_EINVAL);
    CHECK(decode_field(&ev->pub, "trade_price", NULL) == UPWS_EINVAL);
    CHECK(decode_field(&ev->pub, "no_such_field", &v) == UPWS_OK && v.kind == UPWS_VAL_ABSENT);
    CHECK(decode_field(&ev->pub, "trade_price", &v) == UPWS_OK && v.kind == UPWS_VAL_NUMBER);
    CHECK(v.len == 11 && memcmp(v.text, "109847000.0", 11) == 0);
    CHECK(decode_field(&ev->pub, "code", &v) == UPWS_OK && v.kind == UPWS_VAL_STRING);
    CHECK(v.len == 7 && memcmp(v.text, "KRW-BTC", 7) == 0);
    CHECK_STR(field(ev, "ask_price_1"), "<absent>");   /* not an orderbook */
    CHECK_STR(field(ev, "price"), "<absent>");         /* myOrder-only name */
    /* works on a copy of the public struct (the router may copy it) */
    upws_event copy = ev->pub;
    CHECK(decode_field(&copy, "best_bid_size", &v) == UPWS_OK && v.len == 9);
    /* refcount */
    event_ref(ev);
    CHECK(atomic_load(&ev->refs) == 2);
    event_unref(ev);
    CHECK(atomic_load(&ev->refs) == 1);
    event_unref(NULL);
    got_free(&g);
}

int main(void)
{
    test_all_samples();
    test_ticker();
    test_trade();
    test_orderbook();
    test_orderbook_units();
    test_candle();
    test_private();
    test_control_frames();
    test_twins_rendered();
    test_twins_inline();
    test_truncated_and_mutated_samples();
    test_random_bytes();
    test_hostile();
    test_names();
    test_field_api_and_refs();
    return CHECK_DONE();
}
