/* See mock_rest_private.h. Checks run in the order a client can observe on
 * Upbit: injected faults, the per-second budget (429), the method, the JWT
 * (401 with Upbit's error names), then the parameters (400). Every reply
 * carries "Remaining-Req: group=default; min=1800; sec=N", N counting down
 * from 30 within each wall-clock second. Numbers go out as strings, as the
 * Exchange API sends them. */
#include "mock_rest_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <libwebsockets.h>

#include "mock.h"
#include "mock_account.h"
#include "mock_decimal.h"
#include "mock_http.h"
#include "mock_jwt.h"
#include "mock_rest.h"

#define GROUP_PER_SEC 30
#define GROUP_MIN 1800
#define QUERY_MAX 4096
#define AUTH_HDR_MAX 8192
#define PAGE_MAX 100000
#define LIMIT_MAX 100

enum { ST_WAIT = 1, ST_WATCH = 2 };

static int64_t budget_sec;
static int budget_used;

bool rest_private_path(const char *uri)
{
    return strcmp(uri, "/v1/accounts") == 0 || strcmp(uri, "/v1/orders/open") == 0 ||
           strcmp(uri, "/v1/order") == 0;
}

/* Requests left in this second after this one, or -1 when it is over budget. */
static int budget_take(int64_t now_ms)
{
    if (now_ms / 1000 != budget_sec) {
        budget_sec = now_ms / 1000;
        budget_used = 0;
    }
    if (budget_used >= GROUP_PER_SEC)
        return -1;
    return GROUP_PER_SEC - ++budget_used;
}

struct reply {
    struct lws *wsi;
    unsigned *status;
    struct http_hdr remaining;
    char remaining_txt[64];
};

static int reply_error(struct reply *r, unsigned status, const char *name, const char *msg)
{
    *r->status = status;
    return rest_reply_error(r->wsi, status, name, msg, &r->remaining, 1);
}

/* Takes ownership of body. */
static int reply_json(struct reply *r, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(body);
    if (!text)
        return reply_error(r, 500, "internal_server_error", "mock out of memory");
    *r->status = 200;
    int rc = http_reply_hdrs(r->wsi, 200, text, &r->remaining, 1);
    free(text);
    return rc;
}

/* ---- parameters -------------------------------------------------------- */

/* The query as lws decoded it (percent-decoding undone, the form Upbit
 * hashes), its fragments re-joined with '&' in the order sent: lws_hdr_copy
 * would join them with ','. NULL when there is none. */
static char *query_text(struct lws *wsi)
{
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS) <= 0)
        return NULL;
    char *q = malloc(QUERY_MAX);
    if (!q)
        return NULL;
    size_t len = 0;
    for (int i = 0;; i++) {
        int n = lws_hdr_copy_fragment(wsi, q + len + (i > 0), (int)(QUERY_MAX - len - 1),
                                      WSI_TOKEN_HTTP_URI_ARGS, i);
        if (n < 0)
            break;
        if (i > 0)
            q[len++] = '&';
        len += (size_t)n;
        if (len + 2 >= QUERY_MAX) {
            len = 0;   /* too long: hashes to something no client signed */
            break;
        }
    }
    q[len] = 0;
    return q;
}

typedef bool (*arg_fn)(const char *name, const char *value, void *ctx);

/* Calls fn for every name=value in order (repeated names included). */
static bool each_arg(struct lws *wsi, arg_fn fn, void *ctx)
{
    char frag[512];
    for (int i = 0; lws_hdr_copy_fragment(wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i) >= 0;
         i++) {
        char *eq = strchr(frag, '=');
        const char *value = "";
        if (eq) {
            *eq = 0;
            value = eq + 1;
        }
        if (!fn(frag, value, ctx))
            return false;
    }
    return true;
}

static bool parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

struct open_filter {
    char market[24];
    unsigned states;
    bool state_seen, states_seen;
    long page, limit;
    bool asc;
};

static bool state_bit(const char *v, unsigned *states)
{
    if (strcmp(v, "wait") == 0)
        *states |= ST_WAIT;
    else if (strcmp(v, "watch") == 0)
        *states |= ST_WATCH;
    else
        return false;
    return true;
}

static bool open_arg(const char *name, const char *v, void *ctx)
{
    struct open_filter *f = ctx;
    if (strcmp(name, "market") == 0)
        return (size_t)snprintf(f->market, sizeof f->market, "%s", v) < sizeof f->market;
    if (strcmp(name, "state") == 0) {
        if (f->state_seen)
            return false;   /* state takes one value; several are states[] */
        f->state_seen = true;
        return state_bit(v, &f->states);
    }
    if (strcmp(name, "states[]") == 0) {
        f->states_seen = true;
        return state_bit(v, &f->states);
    }
    if (strcmp(name, "page") == 0)
        return parse_long(v, 1, PAGE_MAX, &f->page);
    if (strcmp(name, "limit") == 0)
        return parse_long(v, 1, LIMIT_MAX, &f->limit);
    if (strcmp(name, "order_by") == 0) {
        f->asc = strcmp(v, "asc") == 0;
        return f->asc || strcmp(v, "desc") == 0;
    }
    return true;   /* Upbit ignores parameters it does not use */
}

struct id_query {
    char uuid[64], identifier[64];
};

static bool id_arg(const char *name, const char *v, void *ctx)
{
    struct id_query *q = ctx;
    if (strcmp(name, "uuid") == 0)
        return (size_t)snprintf(q->uuid, sizeof q->uuid, "%s", v) < sizeof q->uuid;
    if (strcmp(name, "identifier") == 0)
        return (size_t)snprintf(q->identifier, sizeof q->identifier, "%s", v) <
               sizeof q->identifier;
    return true;
}

/* ---- JSON -------------------------------------------------------------- */

static void set_dec(json_t *o, const char *key, int64_t v)
{
    char t[DEC_TEXT_MAX];
    dec_text(v, t);
    json_object_set_new(o, key, json_string(t));
}

static void set_kst(json_t *o, const char *key, int64_t ms)
{
    time_t secs = (time_t)(ms / 1000) + 9 * 3600;
    struct tm tm;
    char buf[40];
    gmtime_r(&secs, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S+09:00", &tm);
    json_object_set_new(o, key, json_string(buf));
}

static const char *state_name(enum ord_state s)
{
    return s == ORD_WAIT ? "wait" : s == ORD_DONE ? "done" : "cancel";
}

static json_t *order_json(const struct order *o)
{
    json_t *j = json_pack("{s:s,s:s,s:s}", "uuid", o->uuid, "side", o->ask ? "ask" : "bid",
                          "ord_type", "limit");
    set_dec(j, "price", o->price);
    json_object_set_new(j, "state", json_string(state_name(o->state)));
    json_object_set_new(j, "market", json_string(o->market));
    set_kst(j, "created_at", o->created_ms);
    set_dec(j, "volume", o->volume);
    set_dec(j, "remaining_volume", order_remaining(o));
    set_dec(j, "reserved_fee", o->reserved_fee);
    set_dec(j, "remaining_fee", o->state == ORD_WAIT && o->reserved_fee > o->paid_fee
                                    ? o->reserved_fee - o->paid_fee : 0);
    set_dec(j, "paid_fee", o->paid_fee);
    set_dec(j, "locked", o->locked);
    set_dec(j, "executed_volume", o->executed);
    set_dec(j, "executed_funds", o->funds);
    json_object_set_new(j, "trades_count", json_integer((json_int_t)o->nfills));
    if (*o->identifier)
        json_object_set_new(j, "identifier", json_string(o->identifier));
    set_dec(j, "prevented_volume", 0);
    set_dec(j, "prevented_locked", 0);
    return j;
}

static json_t *trades_json(const struct order *o)
{
    json_t *list = json_array();
    for (size_t i = 0; i < o->nfills; i++) {
        const struct fill *f = &o->fills[i];
        json_t *t = json_pack("{s:s,s:s}", "market", o->market, "uuid", f->uuid);
        set_dec(t, "price", f->price);
        set_dec(t, "volume", f->volume);
        set_dec(t, "funds", f->funds);
        set_kst(t, "created_at", f->ts_ms);
        json_object_set_new(t, "side", json_string(o->ask ? "ask" : "bid"));
        json_array_append_new(list, t);
    }
    return list;
}

/* ---- endpoints --------------------------------------------------------- */

static int get_accounts(struct reply *r)
{
    json_t *list = json_array();
    for (size_t i = 0; i < account_nbalances(); i++) {
        const struct balance *b = account_balance_at(i);
        if (strcmp(b->currency, "KRW") != 0 && !b->balance && !b->locked)
            continue;   /* Upbit lists only what the account holds */
        json_t *a = json_pack("{s:s}", "currency", b->currency);
        set_dec(a, "balance", b->balance);
        set_dec(a, "locked", b->locked);
        set_dec(a, "avg_buy_price", b->avg_buy_price);
        json_object_set_new(a, "avg_buy_price_modified", json_false());
        json_object_set_new(a, "unit_currency", json_string("KRW"));
        json_array_append_new(list, a);
    }
    return reply_json(r, list);
}

static bool open_match(const struct order *o, const struct open_filter *f)
{
    /* The mock has no stop orders, so "watch" never matches. */
    return o->state == ORD_WAIT && (f->states & ST_WAIT) &&
           (!*f->market || strcmp(o->market, f->market) == 0);
}

static int get_orders_open(struct reply *r)
{
    struct open_filter f = {.page = 1, .limit = LIMIT_MAX};
    if (!each_arg(r->wsi, open_arg, &f) || (f.state_seen && f.states_seen))
        return reply_error(r, 400, "validation_error", "잘못된 파라미터입니다.");
    if (!f.states)
        f.states = ST_WAIT;
    json_t *list = json_array();
    size_t n = account_norders();
    long skip = (f.page - 1) * f.limit, taken = 0;
    for (size_t k = 0; k < n && taken < f.limit; k++) {
        const struct order *o = account_order_at(f.asc ? k : n - 1 - k);
        if (!open_match(o, &f) || skip-- > 0)
            continue;
        json_array_append_new(list, order_json(o));
        taken++;
    }
    return reply_json(r, list);
}

static int get_order(struct reply *r)
{
    struct id_query q = {{0}, {0}};
    if (!each_arg(r->wsi, id_arg, &q) || (!*q.uuid && !*q.identifier))
        return reply_error(r, 400, "validation_error", "uuid 또는 identifier가 필요합니다.");
    struct order *o = *q.uuid ? account_order(q.uuid) : account_order_by_identifier(q.identifier);
    if (!o)
        return reply_error(r, 404, "order_not_found", "주문을 찾지 못했습니다.");
    json_t *j = order_json(o);
    json_object_set_new(j, "trades", trades_json(o));
    return reply_json(r, j);
}

/* ---- authentication ----------------------------------------------------- */

static char *authorization(struct lws *wsi)
{
    int n = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
    if (n <= 0 || n > AUTH_HDR_MAX)
        return NULL;
    char *hdr = malloc((size_t)n + 1);
    if (hdr && lws_hdr_copy(wsi, hdr, n + 1, WSI_TOKEN_HTTP_AUTHORIZATION) < 0)
        hdr[0] = 0;
    return hdr;
}

static int reply_unauthorized(struct reply *r, enum jwt_result res)
{
    switch (res) {
    case JWT_MISSING:
        return reply_error(r, 401, "no_authorization_token", "인증 토큰이 존재하지 않습니다.");
    case JWT_UNKNOWN_KEY:
        return reply_error(r, 401, "invalid_access_key", "잘못된 엑세스 키입니다.");
    case JWT_NONCE_REUSED:
        return reply_error(r, 401, "nonce_used", "이미 요청한 nonce값이 다시 사용되었습니다.");
    case JWT_BAD_QUERY_HASH:
        return reply_error(r, 401, "invalid_query_payload",
                           "JWT 헤더의 페이로드가 올바르지 않습니다.");
    default:
        return reply_error(r, 401, "jwt_verification", "Jwt 토큰 검증에 실패했습니다.");
    }
}

static int route(struct reply *r, const char *uri)
{
    if (strcmp(uri, "/v1/accounts") == 0)
        return get_accounts(r);
    if (strcmp(uri, "/v1/orders/open") == 0)
        return get_orders_open(r);
    return get_order(r);
}

int rest_private_http(struct lws *wsi, struct rest_call *call, unsigned *status)
{
    struct reply r = {wsi, status, {"Remaining-Req:", NULL}, {0}};
    r.remaining.value = r.remaining_txt;
    int left = budget_take(mock_now_ms());
    snprintf(r.remaining_txt, sizeof r.remaining_txt, "group=default; min=%d; sec=%d",
             GROUP_MIN, left < 0 ? 0 : left);
    int rc = rest_reply_fault(wsi, "default", GROUP_MIN, left < 0 ? 0 : left, status);
    if (rc <= 0)
        return rc;
    if (left < 0)
        return reply_error(&r, 429, "too_many_requests", "Too many API requests.");
    if (strcmp(call->method, "GET") != 0)
        return reply_error(&r, 405, "method_not_allowed", "Method Not Allowed");
    call->query = query_text(wsi);
    char *hdr = authorization(wsi);
    enum jwt_result res = jwt_check(hdr, call->query);
    free(hdr);
    call->auth = jwt_result_name(res);
    return res == JWT_OK ? route(&r, call->uri) : reply_unauthorized(&r, res);
}
