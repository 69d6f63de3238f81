/* GET /v1/market/all[?is_details=true] (PROTOCOL §11, §12) for the mock's
 * universe, so a host can learn which codes exist; the Exchange calls with
 * a JWT live in mock_rest_private.c. /ctl/rest-fail and /ctl/rest-429 turn
 * every REST call into a 500 or a 429 for a while. */
#include "mock_rest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libwebsockets.h>

#include "mock.h"
#include "mock_http.h"
#include "mock_log.h"
#include "mock_market.h"
#include "mock_rest_private.h"

#define PATH_MARKET_ALL "/v1/market/all"

/* Upbit's own names for the named codes; the synthetic ones get made up. */
static const struct {
    const char *base, *ko, *en;
} known_names[] = {
    {"BTC", "비트코인", "Bitcoin"},       {"ETH", "이더리움", "Ethereum"},
    {"XRP", "엑스알피(리플)", "XRP"},     {"SOL", "솔라나", "Solana"},
    {"DOGE", "도지코인", "Dogecoin"},     {"ADA", "에이다", "Cardano"},
};

static const char *const caution_keys[] = {
    "PRICE_FLUCTUATIONS", "TRADING_VOLUME_SOARING", "DEPOSIT_AMOUNT_SOARING",
    "GLOBAL_PRICE_DIFFERENCES", "CONCENTRATION_OF_SMALL_ACCOUNTS",
};

static void set_names(json_t *o, const char *code)
{
    const char *dash = strchr(code, '-');
    const char *base = dash ? dash + 1 : code;
    for (size_t i = 0; i < sizeof(known_names) / sizeof(known_names[0]); i++) {
        if (strcmp(base, known_names[i].base) == 0) {
            json_object_set_new(o, "korean_name", json_string(known_names[i].ko));
            json_object_set_new(o, "english_name", json_string(known_names[i].en));
            return;
        }
    }
    char name[64];
    snprintf(name, sizeof(name), "모의코인 %s", base);
    json_object_set_new(o, "korean_name", json_string(name));
    snprintf(name, sizeof(name), "Mock Coin %s", base);
    json_object_set_new(o, "english_name", json_string(name));
}

static json_t *market_event(void)
{
    json_t *caution = json_object();
    for (size_t i = 0; i < sizeof(caution_keys) / sizeof(caution_keys[0]); i++)
        json_object_set_new(caution, caution_keys[i], json_false());
    return json_pack("{s:b,s:o}", "warning", 0, "caution", caution);
}

/* The universe never changes, so each variant is rendered once: a large
 * universe would otherwise stall the event loop on every call. */
static char *list_cache[2];

void rest_free(void)
{
    for (size_t i = 0; i < 2; i++) {
        free(list_cache[i]);
        list_cache[i] = NULL;
    }
}

static char *render_market_list(bool details)
{
    json_t *list = json_array();
    for (int i = 0; i < markets_count(); i++) {
        const char *code = market_at(i)->code;
        json_t *o = json_object();
        json_object_set_new(o, "market", json_string(code));
        set_names(o, code);
        if (details)
            json_object_set_new(o, "market_event", market_event());
        json_array_append_new(list, o);
    }
    char *body = json_dumps(list, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(list);
    return body;
}

static const char *method_of(struct lws *wsi)
{
    static const struct {
        enum lws_token_indexes tok;
        const char *name;
    } methods[] = {
        {WSI_TOKEN_GET_URI, "GET"},       {WSI_TOKEN_POST_URI, "POST"},
        {WSI_TOKEN_PUT_URI, "PUT"},       {WSI_TOKEN_PATCH_URI, "PATCH"},
        {WSI_TOKEN_DELETE_URI, "DELETE"}, {WSI_TOKEN_OPTIONS_URI, "OPTIONS"},
        {WSI_TOKEN_HEAD_URI, "HEAD"},
    };
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        if (lws_hdr_total_length(wsi, methods[i].tok) > 0)
            return methods[i].name;
    return "?";
}

int rest_reply_error(struct lws *wsi, unsigned status, const char *name, const char *msg,
                     const struct http_hdr *hdrs, size_t nhdrs)
{
    json_t *o = json_pack("{s:{s:s,s:s}}", "error", "name", name, "message", msg);
    char *body = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    int rc = body ? http_reply_hdrs(wsi, status, body, hdrs, nhdrs) : -1;
    free(body);
    return rc;
}

int rest_reply_fault(struct lws *wsi, const char *group, int min, int sec, unsigned *status)
{
    char now_txt[96], spent_txt[96];
    snprintf(now_txt, sizeof now_txt, "group=%s; min=%d; sec=%d", group, min, sec);
    snprintf(spent_txt, sizeof spent_txt, "group=%s; min=%d; sec=0", group, min);
    struct http_hdr remaining = {"Remaining-Req:", now_txt};
    struct http_hdr spent = {"Remaining-Req:", spent_txt};
    int64_t now = mock_now_ms();
    if (now < g_mock.rest_fail_until_ms) {
        *status = 500;
        return rest_reply_error(wsi, 500, "internal_server_error",
                                "Internal server error (mock /ctl/rest-fail)", &remaining, 1);
    }
    if (now < g_mock.rest_429_until_ms) {
        *status = 429;
        return rest_reply_error(wsi, 429, "too_many_requests", "Too many API requests.",
                                &spent, 1);
    }
    return 1;
}

static int reply_market_all(struct lws *wsi)
{
    static const struct http_hdr remaining = {"Remaining-Req:", "group=market; min=600; sec=9"};
    char arg[16];
    bool details = http_arg(wsi, "is_details", arg, sizeof(arg)) && strcmp(arg, "true") == 0;
    if (!list_cache[details])
        list_cache[details] = render_market_list(details);
    const char *body = list_cache[details];
    return body ? http_reply_hdrs(wsi, 200, body, &remaining, 1) : -1;
}

static int route(struct lws *wsi, const char *method, const char *uri, unsigned *status)
{
    int rc = rest_reply_fault(wsi, "market", 600, 9, status);
    if (rc <= 0)
        return rc;
    if (strcmp(uri, PATH_MARKET_ALL) != 0) {
        *status = 404;
        return rest_reply_error(wsi, 404, "not_found", "Not Found", NULL, 0);
    }
    if (strcmp(method, "GET") != 0) {
        *status = 405;
        return rest_reply_error(wsi, 405, "method_not_allowed", "Method Not Allowed", NULL, 0);
    }
    *status = 200;
    return reply_market_all(wsi);
}

int rest_http(struct lws *wsi, const char *uri)
{
    const char *method = method_of(wsi);
    unsigned status = 0;
    struct rest_call call = {method, uri, NULL, NULL};
    int rc = rest_private_path(uri) ? rest_private_http(wsi, &call, &status)
                                    : route(wsi, method, uri, &status);
    g_mock.stats.rest_requests++;
    log_rest(method, uri, call.query, status, call.auth);
    free(call.query);
    return rc;
}
