/* Request validation follows what Upbit is documented/observed to do (see
 * PROTOCOL §4, §9): objects are recognised by their keys, a request is
 * accepted or rejected as a whole, and unknown codes are not an error. */
#include "mock_request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock_market.h"

static const char *const type_names[DT_COUNT] = {
    "ticker", "trade", "orderbook", "candle.1s", "candle.1m", "candle.3m",
    "candle.5m", "candle.10m", "candle.15m", "candle.30m", "candle.60m",
    "candle.240m", "myOrder", "myAsset",
};

const char *dtype_name(int type)
{
    return type >= 0 && type < DT_COUNT ? type_names[type] : "?";
}

static int dtype_find(const char *name)
{
    for (int i = 0; i < DT_COUNT; i++)
        if (strcmp(type_names[i], name) == 0)
            return i;
    return -1;
}

void request_set_error(struct req_error *err, const char *name, const char *detail)
{
    err->name = name;
    if (strcmp(name, "WRONG_FORMAT") == 0)
        snprintf(err->message, sizeof(err->message), "Format 이 맞지 않습니다.");
    else if (strcmp(name, "NO_TICKET") == 0)
        snprintf(err->message, sizeof(err->message), "티켓이 존재하지 않거나, 유효하지 않습니다.");
    else if (strcmp(name, "NO_TYPE") == 0)
        snprintf(err->message, sizeof(err->message), "타입이 존재하지 않습니다.");
    else if (strcmp(name, "NO_CODES") == 0)
        snprintf(err->message, sizeof(err->message), "코드가 존재하지 않습니다.");
    else if (strcmp(name, "INVALID_PARAM") == 0)
        snprintf(err->message, sizeof(err->message), "%.200s 은 지원하지 않는 타입입니다.",
                 detail ? detail : "");
    else if (strcmp(name, "TOO_MANY_REQUEST") == 0)
        snprintf(err->message, sizeof(err->message), "요청 수 제한을 초과했습니다.");
    else if (strcmp(name, "INVALID_AUTH") == 0)
        snprintf(err->message, sizeof(err->message), "인증 정보가 올바르지 않습니다.");
    else
        snprintf(err->message, sizeof(err->message), "%s", name);
}

void request_free(struct request *r)
{
    for (size_t i = 0; i < r->nitems; i++) {
        struct req_item *it = &r->items[i];
        for (size_t k = 0; k < it->ncodes; k++)
            free(it->codes[k].text);
        free(it->codes);
        json_decref(it->level);
    }
    free(r->items);
    free(r->ticket);
    memset(r, 0, sizeof(*r));
}

static bool is_data_object(json_t *o)
{
    if (json_object_get(o, "type"))
        return true;
    return !json_object_get(o, "ticket") && !json_object_get(o, "method") &&
           !json_object_get(o, "format");
}

static bool all_objects(json_t *root)
{
    size_t i;
    json_t *v;
    json_array_foreach(root, i, v)
        if (!json_is_object(v))
            return false;
    return true;
}

static const char *find_ticket(json_t *root, struct request *out)
{
    size_t i;
    json_t *v;
    json_array_foreach(root, i, v) {
        json_t *t = json_object_get(v, "ticket");
        if (!t)
            continue;
        const char *s = json_string_value(t);
        if (!s || !*s)
            return "NO_TICKET";
        free(out->ticket);
        out->ticket = strdup(s);
    }
    return out->ticket ? NULL : "NO_TICKET";
}

static const char *find_format(json_t *root, struct request *out)
{
    static const char *const names[] = {"DEFAULT", "SIMPLE", "JSON_LIST", "SIMPLE_LIST"};
    size_t i;
    json_t *v;
    out->fmt = FMT_DEFAULT;
    json_array_foreach(root, i, v) {
        json_t *f = json_object_get(v, "format");
        if (!f)
            continue;
        const char *s = json_string_value(f);
        int found = -1;
        for (int k = 0; s && k < 4; k++)
            if (strcmp(s, names[k]) == 0)
                found = k;
        if (found < 0)
            return "WRONG_FORMAT";
        out->fmt = (enum fmt)found;
    }
    return NULL;
}

/* Orderbook "KRW-BTC.15": Upbit serves 1/5/15/30 units, anything else as 30. */
static void parse_depth(struct req_code *c, const char *s)
{
    c->depth = BOOK_DEPTH;
    const char *dot = strrchr(s, '.');
    if (!dot || !dot[1] || strspn(dot + 1, "0123456789") != strlen(dot + 1)) {
        c->market = market_find(s);
        return;
    }
    long n = strlen(dot + 1) <= 3 ? strtol(dot + 1, NULL, 10) : 0;
    if (n == 1 || n == 5 || n == 15)
        c->depth = (int)n;
    char bare[64];
    size_t blen = (size_t)(dot - s);
    if (blen >= sizeof(bare)) {
        c->market = -1;
        return;
    }
    memcpy(bare, s, blen);
    bare[blen] = 0;
    c->market = market_find(bare);
}

static const char *parse_codes(json_t *obj, struct req_item *it)
{
    json_t *codes = json_object_get(obj, "codes");
    if (it->type == DT_MYASSET)
        return codes ? "WRONG_FORMAT" : NULL;
    if (codes && !json_is_array(codes))
        return "WRONG_FORMAT";
    size_t n = codes ? json_array_size(codes) : 0;
    if (n == 0 && it->type != DT_MYORDER)
        return "NO_CODES";
    it->has_codes = codes != NULL;
    it->codes = n ? calloc(n, sizeof(*it->codes)) : NULL;
    if (n && !it->codes)
        return "WRONG_FORMAT";
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(codes, i));
        if (!s)
            return "WRONG_FORMAT";
        struct req_code *c = &it->codes[it->ncodes++];
        c->text = strdup(s);
        c->depth = BOOK_DEPTH;
        if (it->type == DT_ORDERBOOK)
            parse_depth(c, s);
        else
            c->market = market_find(s);
    }
    return NULL;
}

static const char *flag(json_t *obj, const char *snake, const char *camel, bool *out)
{
    json_t *v = json_object_get(obj, snake);
    if (!v)
        v = json_object_get(obj, camel);
    if (!v)
        return NULL;
    if (!json_is_boolean(v))
        return "WRONG_FORMAT";
    *out = json_is_true(v);
    return NULL;
}

#define LEVEL_MAX 9007199254740992.0   /* 2^53: larger reals are not exact */

/* A level is a non-negative whole JSON number (10 and 10.0 alike); anything
 * else (0.5, -1, "10", null) is refused with INVALID_PARAM, the way Upbit
 * refuses a bad parameter, so tests can feed the host one bad want. */
static const char *parse_level(json_t *obj, struct req_item *it, struct req_error *err)
{
    if (it->type != DT_ORDERBOOK)
        return NULL;
    json_t *v = json_object_get(obj, "level");
    double d = json_is_number(v) ? json_number_value(v) : -1;
    if (!v) {
        it->level = json_integer(0);
    } else if (json_is_integer(v) && json_integer_value(v) >= 0) {
        it->level = json_copy(v);
    } else if (json_is_real(v) && d >= 0 && d <= LEVEL_MAX && d == (double)(long long)d) {
        it->level = json_integer((json_int_t)d);
    } else {
        char *txt = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(15));
        err->name = "INVALID_PARAM";
        snprintf(err->message, sizeof(err->message), "level %.200s 은 지원하지 않는 값입니다.",
                 txt ? txt : "?");
        free(txt);
        return err->name;
    }
    snprintf(it->level_txt, sizeof(it->level_txt), "%lld",
             (long long)json_integer_value(it->level));
    return NULL;
}

static const char *parse_item(json_t *obj, bool private_path, struct req_item *it,
                              struct req_error *err)
{
    json_t *t = json_object_get(obj, "type");
    if (!t)
        return "NO_TYPE";
    const char *name = json_string_value(t);
    if (!name)
        return "WRONG_FORMAT";
    it->type = dtype_find(name);
    if (it->type < 0 || dtype_is_private(it->type) != private_path) {
        request_set_error(err, "INVALID_PARAM", name);
        return err->name;
    }
    bool only_snapshot = false, only_realtime = false;
    const char *e = flag(obj, "is_only_snapshot", "isOnlySnapshot", &only_snapshot);
    if (!e)
        e = flag(obj, "is_only_realtime", "isOnlyRealtime", &only_realtime);
    if (e)
        return e;
    it->snapshot = !only_realtime && !dtype_is_private(it->type);
    it->realtime = !only_snapshot;
    e = parse_codes(obj, it);
    return e ? e : parse_level(obj, it, err);
}

static const char *parse_items(json_t *root, bool private_path, struct request *out,
                               struct req_error *err)
{
    size_t i;
    json_t *v;
    out->items = calloc(json_array_size(root) + 1, sizeof(*out->items));
    if (!out->items)
        return "WRONG_FORMAT";
    json_array_foreach(root, i, v) {
        if (!is_data_object(v))
            continue;
        struct req_item *it = &out->items[out->nitems++];
        const char *e = parse_item(v, private_path, it, err);
        if (e)
            return e;
    }
    return NULL;
}

static const char *find_method(json_t *root, struct request *out, struct req_error *err)
{
    size_t i;
    json_t *v;
    json_array_foreach(root, i, v) {
        json_t *m = json_object_get(v, "method");
        if (!m)
            continue;
        const char *s = json_string_value(m);
        if (!s)
            return "WRONG_FORMAT";
        if (strcmp(s, "LIST_SUBSCRIPTIONS") != 0) {
            request_set_error(err, "INVALID_PARAM", s);
            return err->name;
        }
        out->list_method = true;
    }
    return NULL;
}

static const char *validate(json_t *root, bool private_path, struct request *out,
                            struct req_error *err)
{
    if (!json_is_array(root) || !all_objects(root))
        return "WRONG_FORMAT";
    const char *e = find_ticket(root, out);
    if (!e)
        e = find_format(root, out);
    if (!e)
        e = find_method(root, out, err);
    if (!e)
        e = parse_items(root, private_path, out, err);
    if (!e && !out->list_method && out->nitems == 0)
        e = "NO_TYPE";
    return e;
}

json_t *request_parse(const char *text, size_t len, bool private_path,
                      struct request *out, struct req_error *err)
{
    json_error_t jerr;
    memset(out, 0, sizeof(*out));
    err->name = NULL;
    json_t *root = json_loadb(text, len, JSON_DECODE_ANY, &jerr);
    const char *e = root ? validate(root, private_path, out, err) : "WRONG_FORMAT";
    if (e) {
        if (!err->name || strcmp(err->name, e) != 0)
            request_set_error(err, e, NULL);
        request_free(out);
    }
    return root;
}
