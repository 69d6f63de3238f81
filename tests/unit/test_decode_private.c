/* test_decode_private.c — the myOrder and myAsset views: every field of the
 * samples against jansson's reading of the same text, in the four wire
 * formats (SIMPLE built here by renaming keys), decode_field by DEFAULT
 * name, and hostile input. Needs UPWS_SAMPLES (the samples directory).
 * json_scan.h is left out on purpose: its enumerators clash with jansson's,
 * and the expectations should not come from the decoder's own scanner. */
#include "decode.h"
#include "check.h"

#include <jansson.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- harness (as in test_decode.c) ---- */

#define MAX_EV 8

typedef struct got {
    decode_kind kind;
    decode_info info;
    size_t n;
    event *ev[MAX_EV];
} got;

static void sink(void *arg, event *ev)
{
    got *g = arg;
    CHECK(ev != NULL && atomic_load(&ev->refs) == 1);
    if (g->n < MAX_EV)
        g->ev[g->n++] = ev;
    else
        event_unref(ev);
}

static void got_free(got *g)
{
    for (size_t i = 0; i < g->n; i++)
        event_unref(g->ev[i]);
    g->n = 0;
}

/* Decodes a private copy of exactly len bytes, so ASan flags any overread,
 * and poisons it afterwards: events must not point into the frame. */
static decode_kind run_n(got *g, const char *buf, size_t len)
{
    memset(g, 0, sizeof *g);
    char *copy = malloc(len ? len : 1);
    if (len)
        memcpy(copy, buf, len);
    g->kind = decode_frame(copy, len, 777, sink, g, &g->info);
    memset(copy, 'X', len);
    free(copy);
    if (g->kind == DECODE_BAD)
        CHECK(g->n == 0 && g->info.why != NULL);
    return g->kind;
}

static decode_kind run(got *g, const char *s) { return run_n(g, s, strlen(s)); }

static char *load(const char *name, size_t *len)
{
    const char *dir = getenv("UPWS_SAMPLES");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "tests/samples", name);
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

/* ---- the test's own copy of PROTOCOL §10.5/§10.6 ---- */

typedef enum { K_STR, K_DBL, K_I64, K_BOOL3, K_SIDE, K_NONE } kind;

static const struct field_def {
    const char *def, *simple;
    kind k;
    size_t off;   /* in upws_myorder */
} mo_fields[] = {
    {"uuid", "uid", K_STR, offsetof(upws_myorder, uuid)},
    {"ask_bid", "ab", K_SIDE, offsetof(upws_myorder, ask_bid)},
    {"order_type", "ot", K_STR, offsetof(upws_myorder, order_type)},
    {"state", "s", K_STR, offsetof(upws_myorder, state)},
    {"trade_uuid", "tuid", K_STR, offsetof(upws_myorder, trade_uuid)},
    {"price", "p", K_DBL, offsetof(upws_myorder, price)},
    {"avg_price", "ap", K_DBL, offsetof(upws_myorder, avg_price)},
    {"volume", "v", K_DBL, offsetof(upws_myorder, volume)},
    {"remaining_volume", "rv", K_DBL, offsetof(upws_myorder, remaining_volume)},
    {"executed_volume", "ev", K_DBL, offsetof(upws_myorder, executed_volume)},
    {"trades_count", "tc", K_I64, offsetof(upws_myorder, trades_count)},
    {"reserved_fee", "rsf", K_DBL, offsetof(upws_myorder, reserved_fee)},
    {"remaining_fee", "rmf", K_DBL, offsetof(upws_myorder, remaining_fee)},
    {"paid_fee", "pf", K_DBL, offsetof(upws_myorder, paid_fee)},
    {"locked", "l", K_DBL, offsetof(upws_myorder, locked)},
    {"executed_funds", "ef", K_DBL, offsetof(upws_myorder, executed_funds)},
    {"time_in_force", "tif", K_STR, offsetof(upws_myorder, time_in_force)},
    {"trade_fee", "tf", K_DBL, offsetof(upws_myorder, trade_fee)},
    {"is_maker", "im", K_BOOL3, offsetof(upws_myorder, is_maker)},
    {"identifier", "id", K_STR, offsetof(upws_myorder, identifier)},
    {"trade_timestamp", "ttms", K_I64, offsetof(upws_myorder, trade_timestamp)},
    {"order_timestamp", "otms", K_I64, offsetof(upws_myorder, order_timestamp)},
    /* on the wire, not in the view */
    {"smp_type", "smpt", K_NONE, 0}, {"prevented_volume", "pv", K_NONE, 0},
    {"prevented_locked", "pl", K_NONE, 0},
    /* common and myAsset; `locked` inside assets[] is `l` as in myOrder */
    {"type", "ty", K_NONE, 0}, {"code", "cd", K_NONE, 0}, {"timestamp", "tms", K_NONE, 0},
    {"stream_type", "st", K_NONE, 0}, {"asset_uuid", "astuid", K_NONE, 0},
    {"assets", "ast", K_NONE, 0}, {"asset_timestamp", "asttms", K_NONE, 0},
    {"currency", "cu", K_NONE, 0}, {"balance", "b", K_NONE, 0},
};
#define N_FIELDS (sizeof mo_fields / sizeof mo_fields[0])

static const char *simple_of(const char *k, size_t n)
{
    for (size_t i = 0; i < N_FIELDS; i++)
        if (strlen(mo_fields[i].def) == n && memcmp(mo_fields[i].def, k, n) == 0)
            return mo_fields[i].simple;
    return NULL;
}

typedef struct outbuf {
    char b[1 << 14];
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

/* ---- a minimal walker over valid, NUL-terminated JSON text ---- */

static const char *skip_ws(const char *p)
{
    return p + strspn(p, " \t\r\n");
}

/* p at an opening quote; returns just past the closing one. */
static const char *str_end(const char *p)
{
    for (p++; *p != '"'; p++)
        if (*p == '\\')
            p++;
    return p + 1;
}

static const char *value_end(const char *p)
{
    if (*p == '"')
        return str_end(p);
    if (*p != '{' && *p != '[')
        return p + strcspn(p, ",}] \t\r\n");
    int depth = 0;
    do {
        if (*p == '"') {
            p = str_end(p);
            continue;
        }
        depth += (*p == '{' || *p == '[') - (*p == '}' || *p == ']');
        p++;
    } while (depth > 0);
    return p;
}

/* Top-level member `name` of an object text as decode_field reports it
 * (strings without their quotes); the first of duplicates; 0 when absent. */
static int raw_member(const char *obj, const char *name, const char **v, size_t *n)
{
    const char *p = skip_ws(obj) + 1;
    for (;;) {
        p = skip_ws(p);
        if (*p != '"')
            return 0;
        const char *k = p + 1, *ke = str_end(p);
        p = skip_ws(skip_ws(ke) + 1);
        const char *ve = value_end(p);
        if ((size_t)(ke - k - 1) == strlen(name) && memcmp(k, name, strlen(name)) == 0) {
            int quoted = *p == '"';
            *v = p + quoted;
            *n = (size_t)(ve - p) - 2 * (size_t)quoted;
            return 1;
        }
        p = skip_ws(ve);
        p += *p == ',';
    }
}

/* The same text with SIMPLE keys, nested ones too: a string followed by a
 * colon is a key. Values and layout stay verbatim, so decode_field texts
 * stay comparable. */
static void to_simple(const char *def, size_t len, outbuf *o)
{
    const char *p = def, *end = def + len;
    o->n = 0;
    o->b[0] = '\0';
    while (p < end) {
        if (*p != '"') {
            put(o, p++, 1);
            continue;
        }
        const char *e = str_end(p);
        const char *s = *skip_ws(e) == ':' ? simple_of(p + 1, (size_t)(e - p - 2)) : NULL;
        if (s) {
            put(o, "\"", 1);
            put(o, s, strlen(s));
            put(o, "\"", 1);
        } else {
            put(o, p, (size_t)(e - p));
        }
        p = e;
    }
    json_t *j = json_loadb(o->b, o->n, 0, NULL);
    CHECK(j != NULL);
    json_decref(j);
    CHECK(strstr(o->b, "\"ty\"") && !strstr(o->b, "\"type\""));
}

/* "[a,a]": the *_LIST shape with two copies. */
static void to_list2(const char *obj, size_t len, outbuf *o)
{
    o->n = 0;
    put(o, "[", 1);
    put(o, obj, len);
    put(o, ",\n", 2);
    put(o, obj, len);
    put(o, "]", 1);
}

/* ---- expected values, read by jansson from the DEFAULT text ---- */

static const char *str_at(const void *base, size_t off)
{
    const char *s;
    memcpy(&s, (const char *)base + off, sizeof s);
    return s;
}

static void expect_str(const char *got_s, json_t *j)
{
    if (json_is_string(j))
        CHECK_STR(got_s, json_string_value(j));
    else
        CHECK(got_s == NULL);
}

static double num_or_0(json_t *j) { return json_is_number(j) ? json_number_value(j) : 0; }
static int64_t int_or_0(json_t *j) { return json_is_integer(j) ? (int64_t)json_integer_value(j) : 0; }

static void expect_field(const upws_myorder *m, const struct field_def *f, json_t *obj)
{
    json_t *j = json_object_get(obj, f->def);
    const char *p = (const char *)m + f->off;
    double d;
    int64_t i;
    int b;
    upws_side side;
    switch (f->k) {
    case K_STR:
        expect_str(str_at(m, f->off), j);
        break;
    case K_DBL:
        memcpy(&d, p, sizeof d);
        CHECK(d == num_or_0(j));
        break;
    case K_I64:
        memcpy(&i, p, sizeof i);
        CHECK(i == int_or_0(j));
        break;
    case K_BOOL3:
        memcpy(&b, p, sizeof b);
        CHECK(b == (json_is_true(j) ? 1 : json_is_false(j) ? 0 : -1));
        break;
    case K_SIDE:
        memcpy(&side, p, sizeof side);
        CHECK(side == (!json_is_string(j) ? UPWS_SIDE_UNKNOWN
                       : strcmp(json_string_value(j), "ASK") == 0 ? UPWS_ASK
                       : strcmp(json_string_value(j), "BID") == 0 ? UPWS_BID : UPWS_SIDE_UNKNOWN));
        break;
    case K_NONE:
        break;
    }
}

/* p lies in the event's allocation, past the header (strings follow the json). */
static int in_event(const event *ev, const void *p)
{
    const char *c = p, *hi = ev->pub.json + 2 * ev->pub.json_len + 2;
    return c >= ev->data && c < hi;
}

static void expect_common(const event *ev, json_t *obj, upws_type t, int simple)
{
    const upws_event *p = &ev->pub;
    CHECK(p->struct_size == sizeof(upws_event));
    CHECK(p->type == t);
    CHECK(ev->simple == simple);
    CHECK_STR(p->type_name, json_string_value(json_object_get(obj, "type")));
    if (t == UPWS_TYPE_MYASSET)
        CHECK_STR(p->code, "");
    else
        CHECK_STR(p->code, json_string_value(json_object_get(obj, "code")));
    CHECK(p->timestamp_ms == int_or_0(json_object_get(obj, "timestamp")));
    CHECK(p->stream_type == UPWS_REALTIME && p->recv_time_ns == 777 && p->snapshot_id == 0);
    CHECK(!p->ticker && !p->trade && !p->orderbook && !p->candle);
    CHECK(t == UPWS_TYPE_MYORDER ? p->myorder == &ev->view.myorder && !p->myasset
                                 : p->myasset == &ev->view.myasset && !p->myorder);
    CHECK(in_event(ev, p->type_name) && in_event(ev, p->code) && in_event(ev, p->json));
    json_t *j = json_loadb(p->json, p->json_len, 0, NULL);
    CHECK(p->json[p->json_len] == '\0' && j != NULL);
    json_decref(j);
}

static void expect_myorder(const event *ev, json_t *obj, int simple)
{
    expect_common(ev, obj, UPWS_TYPE_MYORDER, simple);
    const upws_myorder *m = ev->pub.myorder;
    if (!m)
        return;
    for (size_t i = 0; i < N_FIELDS; i++) {
        expect_field(m, &mo_fields[i], obj);
        const char *s = mo_fields[i].k == K_STR ? str_at(m, mo_fields[i].off) : NULL;
        CHECK(!s || in_event(ev, s));
    }
}

static void expect_myasset(const event *ev, json_t *obj, int simple)
{
    expect_common(ev, obj, UPWS_TYPE_MYASSET, simple);
    const upws_myasset *a = ev->pub.myasset;
    if (!a)
        return;
    expect_str(a->asset_uuid, json_object_get(obj, "asset_uuid"));
    CHECK(a->asset_timestamp == int_or_0(json_object_get(obj, "asset_timestamp")));
    json_t *arr = json_object_get(obj, "assets");
    CHECK(json_is_array(arr) && a->n_assets == json_array_size(arr) && a->n_assets >= 1);
    CHECK(a->assets && in_event(ev, a->assets) &&
          (uintptr_t)a->assets % alignof(upws_asset) == 0);
    for (size_t i = 0; i < a->n_assets && i < json_array_size(arr); i++) {
        json_t *e = json_array_get(arr, i);
        CHECK_STR(a->assets[i].currency, json_string_value(json_object_get(e, "currency")));
        CHECK(in_event(ev, a->assets[i].currency));
        CHECK(a->assets[i].balance == num_or_0(json_object_get(e, "balance")));
        CHECK(a->assets[i].locked == num_or_0(json_object_get(e, "locked")));
    }
}

static void expect_event(const event *ev, json_t *obj, int simple)
{
    const char *t = json_string_value(json_object_get(obj, "type"));
    if (t && strcmp(t, "myAsset") == 0)
        expect_myasset(ev, obj, simple);
    else
        expect_myorder(ev, obj, simple);
}

/* decode_field by DEFAULT name reads the text the DEFAULT frame spells. */
static void expect_fields(const event *ev, const char *def)
{
    for (size_t i = 0; i < N_FIELDS; i++) {
        const char *n = mo_fields[i].def, *want;
        size_t want_len;
        upws_val v;
        CHECK(decode_field(&ev->pub, n, &v) == UPWS_OK);
        if (!raw_member(def, n, &want, &want_len)) {
            CHECK(v.kind == UPWS_VAL_ABSENT);   /* nested only, or not this type */
            continue;
        }
        if (strcmp(n, "assets") == 0) {   /* nested keys differ by format */
            CHECK(v.kind == UPWS_VAL_ARRAY && v.text[0] == '[' && v.text[v.len - 1] == ']');
            continue;
        }
        int same = v.len == want_len && memcmp(v.text, want, want_len) == 0;
        CHECK(same);
        if (!same)
            fprintf(stderr, "  field %s: %.*s\n", n, (int)v.len, v.text ? v.text : "");
    }
}

/* ---- the samples in the four formats ---- */

static void check_format(const char *text, size_t len, size_t expect, json_t *obj,
                         const char *def, int simple)
{
    got g;
    CHECK(run_n(&g, text, len) == DECODE_DATA);
    CHECK(g.n == expect && g.info.n_events == expect && g.info.n_skipped == 0);
    for (size_t i = 0; i < g.n; i++) {
        expect_event(g.ev[i], obj, simple);
        expect_fields(g.ev[i], def);
    }
    got_free(&g);
}

static void test_samples_all_formats(void)
{
    static const char *const files[] = {
        "myorder.default.json", "myorder.default.wait-state.ccxt-pr27219.json",
        "myasset.default.json"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t len;
        char *def = load(files[i], &len);
        json_error_t err;
        json_t *obj = json_loadb(def, len, 0, &err);
        CHECK(json_is_object(obj));
        if (!obj) {
            free(def);
            continue;
        }
        static outbuf simple, list;
        check_format(def, len, 1, obj, def, 0);                  /* DEFAULT */
        to_list2(def, len, &list);
        check_format(list.b, list.n, 2, obj, def, 0);            /* JSON_LIST */
        to_simple(def, len, &simple);
        check_format(simple.b, simple.n, 1, obj, def, 1);        /* SIMPLE */
        to_list2(simple.b, simple.n, &list);
        check_format(list.b, list.n, 2, obj, def, 1);            /* SIMPLE_LIST */
        json_decref(obj);
        free(def);
    }
}

/* The JSON_LIST sample files are the DEFAULT ones wrapped in an array. */
static void test_list_samples(void)
{
    static const char *const files[] = {"myorder.json_list.json", "myasset.json_list.json"};
    for (size_t i = 0; i < 2; i++) {
        size_t len;
        char *text = load(files[i], &len);
        json_t *arr = json_loadb(text, len, 0, NULL);
        json_t *obj = json_array_get(arr, 0);
        CHECK(json_array_size(arr) == 1 && json_is_object(obj));
        got g;
        CHECK(run_n(&g, text, len) == DECODE_DATA && g.n == 1);
        if (g.n == 1 && obj)
            expect_event(g.ev[0], obj, 0);
        got_free(&g);
        json_decref(arr);
        free(text);
    }
}

/* Spot values read by hand from the files, so a slip shared by the decoder
 * and jansson's reading would still show. */
static void test_hand_read(void)
{
    got g;
    size_t len;
    char *t = load("myorder.default.json", &len);
    CHECK(run_n(&g, t, len) == DECODE_DATA && g.n == 1);
    if (g.n == 1 && g.ev[0]->pub.myorder) {
        const upws_myorder *m = g.ev[0]->pub.myorder;
        CHECK_STR(m->uuid, "ac2dc2a3-fce9-40a2-a4f6-5987c25c438f");
        CHECK_STR(m->trade_uuid, "68315169-fba4-4175-ade3-aff14a616657");
        CHECK_STR(m->state, "trade");
        CHECK_STR(m->order_type, "limit");
        CHECK_STR(m->identifier, "test-1");
        CHECK(m->time_in_force == NULL && m->ask_bid == UPWS_BID && m->is_maker == 1);
        CHECK(m->price == 0.001453 && m->volume == 30925891.29839369);
        CHECK(m->trade_fee == 22.467660028283017 && m->trades_count == 1);
        CHECK(m->trade_timestamp == INT64_C(1710751590421));
        CHECK(m->order_timestamp == INT64_C(1710751590000));
        CHECK(g.ev[0]->pub.timestamp_ms == INT64_C(1710751597500));
    }
    got_free(&g);
    free(t);

    t = load("myorder.default.wait-state.ccxt-pr27219.json", &len);
    CHECK(run_n(&g, t, len) == DECODE_DATA && g.n == 1);
    if (g.n == 1 && g.ev[0]->pub.myorder) {
        const upws_myorder *m = g.ev[0]->pub.myorder;
        CHECK_STR(m->state, "wait");
        CHECK(m->trade_uuid == NULL && m->identifier == NULL && m->is_maker == -1);
        CHECK(m->price == 5000 && m->volume == 0 && m->trade_fee == 0 && m->locked == 5002.5);
        CHECK(m->trade_timestamp == 0 && m->order_timestamp == INT64_C(1762190961000));
        CHECK_STR(field(g.ev[0], "volume"), "<null>");
    }
    got_free(&g);
    free(t);

    t = load("myasset.default.json", &len);
    CHECK(run_n(&g, t, len) == DECODE_DATA && g.n == 1);
    if (g.n == 1 && g.ev[0]->pub.myasset) {
        const upws_myasset *a = g.ev[0]->pub.myasset;
        CHECK_STR(a->asset_uuid, "e635f223-1609-4969-8fb6-4376937baad6");
        CHECK(a->asset_timestamp == INT64_C(1710146517259) && a->n_assets == 1);
        CHECK(g.ev[0]->pub.timestamp_ms == INT64_C(1710146517267));
        CHECK_STR(g.ev[0]->pub.code, "");
        if (a->n_assets == 1) {
            CHECK_STR(a->assets[0].currency, "KRW");
            CHECK(a->assets[0].balance == strtod("1386929.37231066771348207123", NULL));
            CHECK(a->assets[0].locked == strtod("10329.670127489597585685", NULL));
        }
        CHECK(field_kind(g.ev[0], "assets") == UPWS_VAL_ARRAY);
        CHECK(strstr(field(g.ev[0], "assets"), "\"balance\": 1386929.37231066771348207123,"));
    }
    got_free(&g);
    free(t);
}

/* One list frame may mix the private types with public ones. */
static void test_mixed_list(void)
{
    got g;
    CHECK(run(&g, "[{\"ty\":\"myOrder\",\"cd\":\"KRW-ETH\",\"uid\":\"u1\",\"s\":\"done\",\"tms\":5},"
                  "{\"ty\":\"myAsset\",\"astuid\":\"a1\",\"ast\":[{\"cu\":\"ETH\",\"b\":2,\"l\":0.5}],"
                  "\"asttms\":4,\"tms\":6},"
                  "{\"ty\":\"trade\",\"cd\":\"KRW-ETH\",\"tp\":1}]") == DECODE_DATA);
    CHECK(g.n == 3 && g.info.n_skipped == 0);
    if (g.n == 3) {
        CHECK(g.ev[0]->pub.myorder && !g.ev[0]->pub.trade);
        CHECK(g.ev[0]->pub.myorder && g.ev[0]->pub.myorder->uuid &&
              strcmp(g.ev[0]->pub.myorder->uuid, "u1") == 0);
        CHECK_STR(g.ev[0]->pub.code, "KRW-ETH");
        const upws_myasset *a = g.ev[1]->pub.myasset;
        CHECK(a && a->n_assets == 1 && a->asset_timestamp == 4);
        if (a && a->n_assets == 1)
            CHECK(a->assets[0].balance == 2 && a->assets[0].locked == 0.5 &&
                  strcmp(a->assets[0].currency, "ETH") == 0);
        CHECK_STR(field(g.ev[1], "asset_uuid"), "a1");
        CHECK(g.ev[2]->pub.trade && !g.ev[2]->pub.myorder && !g.ev[2]->pub.myasset);
    }
    got_free(&g);
}

/* ---- hostile and odd input ---- */

static const upws_myorder *one_order(got *g, const char *frame)
{
    CHECK(run(g, frame) == DECODE_DATA && g->n == 1);
    return g->n == 1 ? g->ev[0]->pub.myorder : NULL;
}

static void test_order_strings(void)
{
    got g;
    const upws_myorder *m = one_order(&g,
        "{\"type\":\"myOrder\",\"code\":\"KRW-BTC\",\"uuid\":\"a\\\"b\\\\c\\/d\","
        "\"identifier\":\"caf\\u00e9 \\ud83d\\ude00\\n\",\"state\":\"x\\u0000y\","
        "\"order_type\":\"\\ud800\",\"trade_uuid\":\"\",\"timestamp\":1}");
    CHECK(m != NULL);
    if (m) {
        CHECK_STR(m->uuid, "a\"b\\c/d");
        CHECK_STR(m->identifier, "caf\xc3\xa9 \xf0\x9f\x98\x80\n");
        CHECK_STR(m->state, "x");   /* an escaped NUL ends the C string, nothing worse */
        CHECK_STR(m->order_type, "?");
        CHECK_STR(m->trade_uuid, "");
        CHECK(m->time_in_force == NULL);
        CHECK_STR(field(g.ev[0], "identifier"), "caf\\u00e9 \\ud83d\\ude00\\n");
    }
    got_free(&g);

    /* a long escaped string, and one that decodes to nearly nothing */
    static char big[100000];
    int o = sprintf(big, "{\"type\":\"myOrder\",\"code\":\"KRW-BTC\",\"identifier\":\"");
    for (int i = 0; i < 10000; i++)
        o += sprintf(big + o, "\\u00e9");
    o += sprintf(big + o, "\",\"uuid\":\"");
    for (int i = 0; i < 5000; i++)
        o += sprintf(big + o, "\\ud800");
    sprintf(big + o, "\"}");
    m = one_order(&g, big);
    CHECK(m && m->identifier && strlen(m->identifier) == 20000);
    CHECK(m && m->uuid && strlen(m->uuid) == 5000 && strspn(m->uuid, "?") == 5000);
    got_free(&g);
}

static void test_order_wrong_types(void)
{
    got g;
    const upws_myorder *m = one_order(&g,
        "{\"type\":\"myOrder\",\"code\":\"KRW-BTC\",\"uuid\":7,\"state\":[\"trade\"],"
        "\"order_type\":{\"a\":1},\"price\":\"5000\",\"volume\":true,\"trades_count\":1.5,"
        "\"is_maker\":\"true\",\"ask_bid\":\"bid\",\"trade_timestamp\":\"1710751590421\","
        "\"order_timestamp\":1.7107515900E12,\"executed_funds\":null,\"locked\":1e400,"
        "\"paid_fee\":-0.0,\"timestamp\":{}}");
    if (m) {
        CHECK(!m->uuid && !m->state && !m->order_type && !m->trade_uuid && !m->identifier);
        CHECK(m->price == 0 && m->volume == 0 && m->trades_count == 0 && m->is_maker == -1);
        CHECK(m->ask_bid == UPWS_SIDE_UNKNOWN && m->trade_timestamp == 0);
        CHECK(m->order_timestamp == INT64_C(1710751590000));
        CHECK(m->executed_funds == 0 && m->locked == 0 && m->paid_fee == 0);
        CHECK(g.ev[0]->pub.timestamp_ms == 0);
        CHECK(field_kind(g.ev[0], "price") == UPWS_VAL_STRING);
        CHECK_STR(field(g.ev[0], "price"), "5000");
        CHECK_STR(field(g.ev[0], "locked"), "1e400");
        CHECK_STR(field(g.ev[0], "executed_funds"), "<null>");
    }
    got_free(&g);

    m = one_order(&g, "{\"ty\":\"myOrder\",\"cd\":\"KRW-BTC\",\"im\":false,\"ab\":\"ASK\",\"tc\":1.0}");
    CHECK(m && m->is_maker == 0 && m->ask_bid == UPWS_ASK && m->trades_count == 1);
    got_free(&g);
    m = one_order(&g, "{\"type\":\"myOrder\",\"code\":\"KRW-BTC\",\"is_maker\":1}");
    CHECK(m && m->is_maker == -1);
    got_free(&g);
    m = one_order(&g, "{\"type\":\"myOrder\",\"code\":\"KRW-BTC\",\"trades_count\":99999999999999999999}");
    CHECK(m && m->trades_count == 0 && m->is_maker == -1 && !m->uuid);
    got_free(&g);

    /* no market code: not routable, skipped like a public type without one */
    static const char *const unroutable[] = {
        "{\"type\":\"myOrder\",\"uuid\":\"u\",\"timestamp\":1}",
        "{\"type\":\"myOrder\",\"code\":null,\"timestamp\":1}",
        "{\"type\":\"myOrder\",\"code\":\"KRW-\\u0042TC\",\"timestamp\":1}",
        "{\"type\":\"myOrder\",\"code\":\"\",\"timestamp\":1}",
        "[{\"ty\":\"myOrder\",\"uid\":\"u\"}]",
    };
    for (size_t i = 0; i < sizeof unroutable / sizeof unroutable[0]; i++) {
        CHECK(run(&g, unroutable[i]) == DECODE_DATA && g.n == 0 && g.info.n_skipped == 1);
        got_free(&g);
    }
}

static const upws_myasset *one_asset(got *g, const char *frame)
{
    CHECK(run(g, frame) == DECODE_DATA && g->n == 1);
    return g->n == 1 ? g->ev[0]->pub.myasset : NULL;
}

static void test_asset_shapes(void)
{
    got g;
    /* Upbit refuses codes on myAsset; if one came anyway it still is no market */
    const upws_myasset *a = one_asset(&g,
        "{\"type\":\"myAsset\",\"code\":\"KRW-BTC\",\"assets\":[],\"timestamp\":1}");
    CHECK(a && a->n_assets == 0 && a->asset_uuid == NULL && a->asset_timestamp == 0);
    if (a)
        CHECK_STR(g.ev[0]->pub.code, "");
    got_free(&g);

    /* assets that are not an array: the event still comes, with no balances */
    static const struct { const char *v; upws_val_kind k; } odd[] = {
        {"{\"currency\":\"KRW\",\"balance\":1}", UPWS_VAL_OBJECT}, {"\"KRW\"", UPWS_VAL_STRING},
        {"null", UPWS_VAL_NULL}, {"5", UPWS_VAL_NUMBER}, {"true", UPWS_VAL_BOOL}};
    char frame[256];
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        snprintf(frame, sizeof frame, "{\"ty\":\"myAsset\",\"ast\":%s,\"tms\":2}", odd[i].v);
        a = one_asset(&g, frame);
        CHECK(a && a->n_assets == 0);
        if (a)
            CHECK(field_kind(g.ev[0], "assets") == odd[i].k);
        got_free(&g);
    }
    a = one_asset(&g, "{\"type\":\"myAsset\",\"timestamp\":2}");
    CHECK(a && a->n_assets == 0);
    if (a)
        CHECK(field_kind(g.ev[0], "assets") == UPWS_VAL_ABSENT);
    got_free(&g);

    /* the client request has no timestamp: not data */
    CHECK(run(&g, "[{\"ticket\":\"t\"},{\"type\":\"myAsset\"}]") == DECODE_DATA && g.n == 0);
    CHECK(g.info.n_skipped == 2);
}

static void test_asset_elements(void)
{
    got g;
    /* Elements without a currency are left out; the rest keep wire order.
     * Duplicate keys: the last wins (sized and copied the same way). */
    const upws_myasset *a = one_asset(&g,
        "{\"type\":\"myAsset\",\"assets\":[1,null,\"x\",[],{},"
        "{\"currency\":null,\"balance\":1},{\"balance\":2},{\"currency\":7},"
        "{\"cu\":\"ETH\",\"b\":\"3\",\"l\":true},"
        "{\"currency\":\"BTC\",\"balance\":1e400,\"locked\":-0.5,\"x\":{\"currency\":\"NO\"}},"
        "{\"\\u0063urrency\":\"ZZZ\"},"
        "{\"currency\":\"A\",\"currency\":\"\\u00e9\\u00e9\\u00e9\",\"balance\":1,\"balance\":\"2\"}],"
        "\"timestamp\":3}");
    CHECK(a && a->n_assets == 3);
    if (a && a->n_assets == 3) {
        CHECK_STR(a->assets[0].currency, "ETH");
        CHECK(a->assets[0].balance == 0 && a->assets[0].locked == 0);
        CHECK_STR(a->assets[1].currency, "BTC");
        CHECK(a->assets[1].balance == 0 && a->assets[1].locked == -0.5);
        CHECK_STR(a->assets[2].currency, "\xc3\xa9\xc3\xa9\xc3\xa9");
        CHECK(a->assets[2].balance == 1);
    }
    got_free(&g);

    /* a number too long to convert, a long currency */
    static char big[80000];
    int o = sprintf(big, "{\"type\":\"myAsset\",\"assets\":[{\"currency\":\"");
    memset(big + o, 'C', 60000);
    o += 60000;
    o += sprintf(big + o, "\",\"balance\":1.");
    memset(big + o, '7', 600);
    o += 600;
    sprintf(big + o, ",\"locked\":2}],\"timestamp\":3}");
    a = one_asset(&g, big);
    CHECK(a && a->n_assets == 1);
    if (a && a->n_assets == 1)
        CHECK(strlen(a->assets[0].currency) == 60000 && a->assets[0].balance == 0 &&
              a->assets[0].locked == 2);
    got_free(&g);
}

static char *repeat_frame(const char *elem, size_t n, size_t *len)
{
    size_t el = strlen(elem);
    char *b = malloc(64 + n * (el + 1));
    size_t o = (size_t)sprintf(b, "{\"type\":\"myAsset\",\"assets\":[");
    for (size_t i = 0; i < n; i++) {
        memcpy(b + o, elem, el);
        o += el;
        b[o++] = i + 1 < n ? ',' : ']';
    }
    o += (size_t)sprintf(b + o, ",\"timestamp\":9}");
    *len = o;
    return b;
}

static void test_asset_huge(void)
{
    got g;
    size_t len;
    char *b = repeat_frame("{\"currency\":\"C\",\"balance\":1,\"locked\":2}", 100000, &len);
    CHECK(run_n(&g, b, len) == DECODE_DATA && g.n == 1);
    if (g.n == 1 && g.ev[0]->pub.myasset) {
        const upws_myasset *a = g.ev[0]->pub.myasset;
        CHECK(a->n_assets == DECODE_MAX_ASSETS);
        int all = 1;
        for (size_t i = 0; i < a->n_assets; i++)
            all &= strcmp(a->assets[i].currency, "C") == 0 && a->assets[i].balance == 1 &&
                   a->assets[i].locked == 2;
        CHECK(all);
        upws_val v;
        CHECK(decode_field(&g.ev[0]->pub, "assets", &v) == UPWS_OK && v.kind == UPWS_VAL_ARRAY);
        CHECK(v.len == len - strlen("{\"type\":\"myAsset\",\"assets\":") - strlen(",\"timestamp\":9}"));
    }
    got_free(&g);
    free(b);

    b = repeat_frame("null", 1000000, &len);
    CHECK(run_n(&g, b, len) == DECODE_DATA && g.n == 1);
    CHECK(g.n == 1 && g.ev[0]->pub.myasset && g.ev[0]->pub.myasset->n_assets == 0);
    got_free(&g);
    free(b);
}

/* Every cut of each format is refused whole; random damage never crashes
 * and whatever is delivered keeps its strings inside the event. */
static void check_delivered(const got *g)
{
    for (size_t k = 0; k < g->n; k++) {
        const event *ev = g->ev[k];
        const upws_myorder *m = ev->pub.myorder;
        const upws_myasset *a = ev->pub.myasset;
        CHECK(ev->pub.struct_size == sizeof(upws_event) && ev->pub.code);
        for (size_t i = 0; m && i < N_FIELDS; i++) {
            const char *s = mo_fields[i].k == K_STR ? str_at(m, mo_fields[i].off) : NULL;
            CHECK(!s || (in_event(ev, s) && in_event(ev, s + strlen(s))));
        }
        if (a) {
            CHECK(ev->pub.code[0] == '\0' && a->n_assets <= DECODE_MAX_ASSETS);
            for (size_t i = 0; i < a->n_assets; i++)
                CHECK(a->assets[i].currency && in_event(ev, a->assets[i].currency));
        }
    }
}

static unsigned rng_state = 88172645u;
static unsigned rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void damage(const char *text, size_t len)
{
    got g;
    for (size_t i = 0; i < len; i++) {
        int ws_tail = strspn(text + i, " \n\r\t") == len - i;
        decode_kind k = run_n(&g, text, i);
        CHECK(k == DECODE_BAD || ws_tail);
        check_delivered(&g);
        got_free(&g);
    }
    static const char poison[] = "\"{}[],:\\0eE-+.\x00\xff tfnu";
    char *x = malloc(len);
    for (int m = 0; m < 400; m++) {
        memcpy(x, text, len);
        for (int k = 1 + (int)(rng() % 3); k > 0; k--)
            x[rng() % len] = (rng() & 1) ? poison[rng() % (sizeof poison - 1)] : (char)rng();
        run_n(&g, x, len);
        check_delivered(&g);
        got_free(&g);
    }
    free(x);
}

static void test_truncated_and_mutated(void)
{
    static const char *const files[] = {
        "myorder.default.json", "myorder.default.wait-state.ccxt-pr27219.json",
        "myasset.default.json"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t len;
        char *def = load(files[i], &len);
        static outbuf simple, list;
        to_simple(def, len, &simple);
        to_list2(simple.b, simple.n, &list);
        damage(def, len);
        damage(simple.b, simple.n);
        damage(list.b, list.n);
        free(def);
    }
}

/* ---- decode_field on the private types ---- */

static void test_fields(void)
{
    got g;
    size_t len;
    char *def = load("myorder.default.json", &len);
    static outbuf simple;
    to_simple(def, len, &simple);
    CHECK(run_n(&g, simple.b, simple.n) == DECODE_DATA && g.n == 1);
    if (g.n == 1) {
        const event *ev = g.ev[0];
        CHECK_STR(field(ev, "smp_type"), "cancel_maker");
        CHECK_STR(field(ev, "prevented_locked"), "0.001706246173");
        CHECK_STR(field(ev, "is_maker"), "true");
        CHECK(field_kind(ev, "is_maker") == UPWS_VAL_BOOL);
        CHECK_STR(field(ev, "locked"), "43565.33112787242");
        CHECK_STR(field(ev, "avg_price"), "0.00145372");
        CHECK_STR(field(ev, "stream_type"), "REALTIME");
        CHECK_STR(field(ev, "uid"), "ac2dc2a3-fce9-40a2-a4f6-5987c25c438f");   /* raw key */
        CHECK_STR(field(ev, "assets"), "<absent>");
        CHECK_STR(field(ev, "ask_price_1"), "<absent>");
    }
    got_free(&g);
    free(def);

    def = load("myasset.default.json", &len);
    to_simple(def, len, &simple);
    CHECK(run_n(&g, simple.b, simple.n) == DECODE_DATA && g.n == 1);
    if (g.n == 1) {
        const event *ev = g.ev[0];
        CHECK_STR(field(ev, "asset_uuid"), "e635f223-1609-4969-8fb6-4376937baad6");
        CHECK_STR(field(ev, "asset_timestamp"), "1710146517259");
        const char *assets = field(ev, "assets");
        CHECK(assets[0] == '[' && strstr(assets, "\"cu\": \"KRW\"") &&
              strstr(assets, "\"b\": 1386929.37231066771348207123,") &&
              strstr(assets, "\"l\": 10329.670127489597585685"));
        CHECK_STR(field(ev, "code"), "<absent>");
        CHECK_STR(field(ev, "locked"), "<absent>");   /* only inside assets[] */
    }
    got_free(&g);
    free(def);
}

int main(void)
{
    test_samples_all_formats();
    test_list_samples();
    test_hand_read();
    test_mixed_list();
    test_order_strings();
    test_order_wrong_types();
    test_asset_shapes();
    test_asset_elements();
    test_asset_huge();
    test_truncated_and_mutated();
    test_fields();
    return CHECK_DONE();
}
