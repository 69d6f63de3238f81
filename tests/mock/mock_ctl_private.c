/* The private side of fault injection and scripting (see mock_ctl.c for the
 * list). Errors use Upbit's REST shape {"error":{"name","message"}} so a
 * test sees why an order was refused. */
#include "mock_ctl_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libwebsockets.h>

#include "mock.h"
#include "mock_conn.h"
#include "mock_decimal.h"
#include "mock_http.h"
#include "mock_market.h"
#include "mock_private.h"
#include "mock_rest.h"

#define DEFAULT_FILLS 2
#define MAX_FILLS 50
#define DEFAULT_STEP_MS 200
#define MAX_FAULT_SECS 86400

static int bad(struct lws *wsi, const char *name, const char *message)
{
    return rest_reply_error(wsi, 400, name, message, NULL, 0);
}

/* Takes ownership of body. */
static int ok_json(struct lws *wsi, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(body);
    int rc = text ? http_reply(wsi, 200, text) : -1;
    free(text);
    return rc;
}

static json_t *dec_json(int64_t v)
{
    char t[DEC_TEXT_MAX];
    dec_text(v, t);
    return json_string(t);
}

static json_t *order_summary(const struct order *o)
{
    static const char *const states[] = {"wait", "done", "cancel"};
    json_t *j = json_pack("{s:b,s:s,s:s,s:s,s:s}", "ok", 1, "uuid", o->uuid, "market",
                          o->market, "side", o->ask ? "ask" : "bid", "state", states[o->state]);
    json_object_set_new(j, "locked", dec_json(o->locked));
    json_object_set_new(j, "executed_volume", dec_json(o->executed));
    return j;
}

static int parse_plan(struct lws *wsi, struct fill_plan *plan)
{
    long fills = DEFAULT_FILLS, stop = -1, step = DEFAULT_STEP_MS;
    if (http_arg_int(wsi, "fills", 1, MAX_FILLS, &fills) < 0 ||
        http_arg_int(wsi, "stop_after", 0, MAX_FILLS, &stop) < 0 ||
        http_arg_int(wsi, "step_ms", 1, 600000, &step) < 0)
        return -1;
    plan->fills = (int)fills;
    plan->stop_after = stop < 0 || stop > fills ? (int)fills : (int)stop;
    plan->step_ms = (int)step;
    return 0;
}

/* /ctl/order?market=KRW-BTC&side=bid|ask&price=P&volume=V
 *            [&fills=N][&stop_after=K][&step_ms=MS][&identifier=ID] */
static int ctl_order(struct lws *wsi)
{
    char market[48], side[16], price[48], volume[48], ident[96];
    struct order_req rq = {.market = market, .now_ms = mock_now_ms()};
    struct fill_plan plan;
    if (!http_arg(wsi, "market", market, sizeof market) || market_find(market) < 0)
        return bad(wsi, "market_does_not_exist", "market: unknown code");
    if (!http_arg(wsi, "side", side, sizeof side) ||
        (strcmp(side, "bid") != 0 && strcmp(side, "ask") != 0))
        return bad(wsi, "validation_error", "side: bid or ask");
    rq.ask = strcmp(side, "ask") == 0;
    if (!http_arg(wsi, "price", price, sizeof price) || dec_parse(price, &rq.price))
        return bad(wsi, "validation_error", "price: a decimal with at most 8 places");
    if (!http_arg(wsi, "volume", volume, sizeof volume) || dec_parse(volume, &rq.volume))
        return bad(wsi, "validation_error", "volume: a decimal with at most 8 places");
    if (parse_plan(wsi, &plan))
        return bad(wsi, "validation_error", "fills 1..50, stop_after 0..fills, step_ms 1..600000");
    rq.identifier = http_arg(wsi, "identifier", ident, sizeof ident) ? ident : NULL;
    const char *err;
    struct order *o = private_place(&rq, &plan, &err);
    if (!o)
        return bad(wsi, err, "order refused");
    return ok_json(wsi, order_summary(o));
}

/* /ctl/cancel?uuid=U */
static int ctl_cancel(struct lws *wsi)
{
    char uuid[80];
    struct order *o = http_arg(wsi, "uuid", uuid, sizeof uuid) ? account_order(uuid) : NULL;
    if (!o)
        return rest_reply_error(wsi, 404, "order_not_found", "no such order", NULL, 0);
    if (!private_cancel(o, mock_now_ms()))
        return bad(wsi, "order_not_open", "the order is already done or cancelled");
    return ok_json(wsi, order_summary(o));
}

/* /ctl/deposit?currency=C&amount=A (A < 0 withdraws) */
static int ctl_deposit(struct lws *wsi)
{
    char cur[40], amount[48];
    int64_t v;
    if (!http_arg(wsi, "currency", cur, sizeof cur) || !*cur || strlen(cur) >= ACC_CUR_MAX)
        return bad(wsi, "validation_error", "currency: 1 to 15 characters");
    if (!http_arg(wsi, "amount", amount, sizeof amount) || dec_parse(amount, &v))
        return bad(wsi, "validation_error", "amount: a decimal with at most 8 places");
    if (!private_deposit(cur, v, mock_now_ms()))
        return bad(wsi, "insufficient_funds", "balance would go below zero");
    const struct balance *b = account_balance(cur);
    json_t *j = json_pack("{s:b,s:s}", "ok", 1, "currency", cur);
    json_object_set_new(j, "balance", dec_json(b ? b->balance : 0));
    json_object_set_new(j, "locked", dec_json(b ? b->locked : 0));
    return ok_json(wsi, j);
}

/* /ctl/private-refuse?secs=N[&mode=invalid_auth|http]: private upgrades
 * fail for N s (default 5), by default the way a bad key fails (socket
 * accepted, INVALID_AUTH, close), with mode=http as a plain HTTP 401. Open
 * private sockets are dropped so that the client has to reconnect into it. */
static int ctl_private_refuse(struct lws *wsi)
{
    long secs = 5;
    char mode[32];
    if (http_arg_int(wsi, "secs", 0, MAX_FAULT_SECS, &secs) < 0)
        return http_reply(wsi, 400, "{\"error\":\"bad argument secs\"}");
    /* lws scans every argument through the buffer, so default after the call. */
    if (!http_arg(wsi, "mode", mode, sizeof mode))
        strcpy(mode, "invalid_auth");
    bool as_http = strcmp(mode, "http") == 0 || strcmp(mode, "401") == 0;
    if (!as_http && strcmp(mode, "invalid_auth") != 0)
        return http_reply(wsi, 400, "{\"error\":\"bad argument mode\"}");
    g_mock.private_refuse_until_ms = mock_now_ms() + secs * 1000;
    g_mock.private_refuse_http = as_http;
    for (struct conn *c = g_mock.conns; c && secs > 0; c = c->next)
        if (c->private_path)
            conn_kill(c, "private-refuse");
    char body[128];
    snprintf(body, sizeof body, "{\"ok\":true,\"private_refuse_secs\":%ld,\"mode\":\"%s\"}",
             secs, as_http ? "http" : "invalid_auth");
    return http_reply(wsi, 200, body);
}

int ctl_private(struct lws *wsi, const char *action)
{
    if (strcmp(action, "order") == 0)
        return ctl_order(wsi);
    if (strcmp(action, "cancel") == 0)
        return ctl_cancel(wsi);
    if (strcmp(action, "deposit") == 0)
        return ctl_deposit(wsi);
    if (strcmp(action, "private-refuse") == 0)
        return ctl_private_refuse(wsi);
    return 1;
}
