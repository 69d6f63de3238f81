/* test_order_monitor.c — unit tests of order_monitor without a host: exact
 * decimal text, the order table (dedupe across WebSocket and REST, stale
 * observations, terminal states), the order line, balances, REST bodies
 * shaped like PROTOCOL §12 and the backoff arithmetic. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "om_balances.h"
#include "om_orders.h"
#include "om_rest.h"

static int failures, checks;

#define CHECK(cond) do { checks++; if (!(cond)) { failures++; \
    fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } } while (0)
#define CHECK_STR(a, b) do { const char *a_ = (a), *b_ = (b); checks++; \
    if (!a_ || strcmp(a_, b_) != 0) { failures++; \
    fprintf(stderr, "%s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__, a_ ? a_ : "(null)", b_); } } while (0)
#define CHECK_INT(a, b) do { long long a_ = (a), b_ = (b); checks++; \
    if (a_ != b_) { failures++; \
    fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, #a, a_, b_); } } while (0)

static const char *canon(const char *s)
{
    static char buf[OM_NUM_MAX];
    if (om_dec_canon(s, strlen(s), buf, sizeof buf) < 0)
        return "ERR";
    return buf;
}

static void test_decimal(void)
{
    CHECK_STR(canon("0.005"), "0.005");
    CHECK_STR(canon("1.16539E8"), "116539000");
    CHECK_STR(canon("100473000.00000000"), "100473000");
    CHECK_STR(canon("3.0E-4"), "0.0003");
    CHECK_STR(canon("7.9276e-4"), "0.00079276");
    CHECK_STR(canon("1386929.37231066771348207123"), "1386929.37231066771348207123");
    CHECK_STR(canon("0.0"), "0");
    CHECK_STR(canon("-0"), "0");
    CHECK_STR(canon("007.50"), "7.5");
    CHECK_STR(canon("12"), "12");
    CHECK_STR(canon("-1.50"), "-1.5");
    CHECK_STR(canon("1E+2"), "100");
    CHECK_STR(canon(""), "ERR");
    CHECK_STR(canon("abc"), "ERR");
    CHECK_STR(canon("1e"), "ERR");
    CHECK_STR(canon("1.2.3"), "ERR");
    CHECK_STR(canon("1e999"), "ERR");
    CHECK_STR(canon("12 "), "ERR");
    char small[4];
    CHECK(om_dec_canon("12345", 5, small, sizeof small) < 0);
    /* only the first n bytes count (wire text is not NUL-terminated) */
    char out[OM_NUM_MAX];
    CHECK(om_dec_canon("0.5,\"x\"", 3, out, sizeof out) == 0 && strcmp(out, "0.5") == 0);

    CHECK(om_dec_cmp("0.5", "0.51") < 0);
    CHECK(om_dec_cmp("0.51", "0.5") > 0);
    CHECK(om_dec_cmp("10", "9.99") > 0);
    CHECK(om_dec_cmp("0.1", "0.09") > 0);
    CHECK(om_dec_cmp("0", "") == 0);
    CHECK(om_dec_cmp("0.005", "0.005") == 0);
    CHECK(om_dec_cmp("-1", "0") < 0);
    CHECK(om_dec_cmp("-1", "-2") > 0);
}

/* ---- the order table ---------------------------------------------------------- */

#define UUID_A "ac2dc2a3-fce9-40a2-a4f6-5987c25c438f"
#define UUID_B "017f6e91-8535-4d3a-9694-d241f30bbd96"

static om_update upd(const char *uuid, const char *state, const char *price, const char *volume,
                     const char *executed, long long trades, om_source src)
{
    om_update u;
    memset(&u, 0, sizeof u);
    u.uuid = uuid;
    u.market = "KRW-BTC";
    u.side = "bid";
    u.ord_type = "limit";
    u.state = state;
    /* canonical, as both producers (myOrder glue, om_rest) make them */
    if (*price)
        om_dec_canon(price, strlen(price), u.price, sizeof u.price);
    if (*volume)
        om_dec_canon(volume, strlen(volume), u.volume, sizeof u.volume);
    if (*executed)
        om_dec_canon(executed, strlen(executed), u.executed, sizeof u.executed);
    u.trades = trades;
    u.order_amounts = strcmp(state, "trade") != 0;
    u.source = src;
    return u;
}

static char line[OM_LINE_MAX];

static int apply(om_orders *t, om_update u, uint64_t sweep)
{
    line[0] = '\0';
    return om_orders_apply(t, &u, sweep, line, sizeof line);
}

static void test_ws_lifecycle(void)
{
    om_orders t;
    memset(&t, 0, sizeof t);
    CHECK_INT(apply(&t, upd(UUID_A, "wait", "100000000", "0.01", "", 0, OM_SRC_WS), 0), 1);
    CHECK_STR(line, "order " UUID_A " KRW-BTC bid limit price=100000000 volume=0.01 executed=0 state=wait trades=0 source=ws");
    /* A fill: price/volume on the wire are the fill's; the line keeps the order's. */
    CHECK_INT(apply(&t, upd(UUID_A, "trade", "99990000", "0.005", "0.005", 1, OM_SRC_WS), 0), 1);
    CHECK_STR(line, "order " UUID_A " KRW-BTC bid limit price=100000000 volume=0.01 executed=0.005 state=trade trades=1 source=ws");
    /* The same event again: nothing. */
    CHECK_INT(apply(&t, upd(UUID_A, "trade", "99990000", "0.005", "0.005", 1, OM_SRC_WS), 0), 0);
    CHECK_INT(apply(&t, upd(UUID_A, "trade", "100000000", "0.005", "0.01", 2, OM_SRC_WS), 0), 1);
    CHECK(strstr(line, " executed=0.01 state=trade trades=2 ") != NULL);
    CHECK_INT(apply(&t, upd(UUID_A, "done", "100000000", "0.01", "0.01", 2, OM_SRC_WS), 0), 1);
    CHECK_STR(line, "order " UUID_A " KRW-BTC bid limit price=100000000 volume=0.01 executed=0.01 state=done trades=2 source=ws");
    CHECK(om_orders_find(&t, UUID_A) == NULL);
    CHECK(om_orders_is_finished(&t, UUID_A));
    /* A late duplicate of the terminal event, or a stale REST page: nothing. */
    CHECK_INT(apply(&t, upd(UUID_A, "done", "100000000", "0.01", "0.01", 2, OM_SRC_WS), 0), 0);
    CHECK_INT(apply(&t, upd(UUID_A, "wait", "100000000", "0.01", "0.005", 1, OM_SRC_REST), 1), 0);
    CHECK_INT(t.n, 0);
    om_orders_free(&t);
}

static void test_switch_dedupe(void)
{
    om_orders t;
    memset(&t, 0, sizeof t);
    /* stream up: the order appears */
    CHECK_INT(apply(&t, upd(UUID_A, "wait", "100000000", "0.01", "", 0, OM_SRC_WS), 0), 1);
    /* stream down: REST lists it unchanged — nothing; then with a fill */
    t.sweep = 1;
    CHECK_INT(apply(&t, upd(UUID_A, "wait", "100000000.0", "0.01000000", "0.0", 0, OM_SRC_REST), 1), 0);
    CHECK_INT(apply(&t, upd(UUID_A, "wait", "100000000.0", "0.01000000", "0.005", 1, OM_SRC_REST), 1), 1);
    CHECK_STR(line, "order " UUID_A " KRW-BTC bid limit price=100000000 volume=0.01 executed=0.005 state=trade trades=1 source=rest");
    /* stream back: Upbit's event for that same fill arrives late — not again */
    CHECK_INT(apply(&t, upd(UUID_A, "trade", "100000000", "0.005", "0.005", 1, OM_SRC_WS), 0), 0);
    /* the last reconciliation sweep, answered after newer events: stale, nothing */
    CHECK_INT(apply(&t, upd(UUID_A, "trade", "100000000", "0.005", "0.008", 2, OM_SRC_WS), 0), 1);
    CHECK_INT(apply(&t, upd(UUID_A, "wait", "100000000", "0.01", "0.005", 1, OM_SRC_REST), 2), 0);
    CHECK_STR(om_orders_find(&t, UUID_A)->executed, "0.008");
    /* trades_count absent, less executed than known: stale */
    CHECK_INT(apply(&t, upd(UUID_A, "wait", "100000000", "0.01", "0.006", -1, OM_SRC_REST), 2), 0);
    /* same volume: nothing, whatever the source says of the trades */
    CHECK_INT(apply(&t, upd(UUID_A, "wait", "100000000", "0.01", "0.008", 1, OM_SRC_REST), 2), 0);
    /* an end seen by REST (one-order lookup) with an older volume: the end
     * is news, the volume does not go back; then Upbit's own event: no line */
    CHECK_INT(apply(&t, upd(UUID_A, "cancel", "100000000", "0.01", "0.005", -1, OM_SRC_REST), 0), 1);
    CHECK_STR(line, "order " UUID_A " KRW-BTC bid limit price=100000000 volume=0.01 executed=0.008 state=cancel trades=2 source=rest");
    CHECK_INT(apply(&t, upd(UUID_A, "cancel", "100000000", "0.01", "0.008", 2, OM_SRC_WS), 0), 0);
    om_orders_free(&t);
}

static void test_phases(void)
{
    om_orders t;
    memset(&t, 0, sizeof t);
    /* a stop order: watch, then it triggers (wait), a late watch is stale */
    CHECK_INT(apply(&t, upd(UUID_B, "watch", "50000000", "1", "0", 0, OM_SRC_REST), 1), 1);
    CHECK(strstr(line, "state=watch") != NULL);
    CHECK_INT(apply(&t, upd(UUID_B, "wait", "50000000", "1", "0", 0, OM_SRC_WS), 0), 1);
    CHECK(strstr(line, "executed=0 state=wait trades=0 source=ws") != NULL);
    CHECK_INT(apply(&t, upd(UUID_B, "watch", "50000000", "1", "0", 0, OM_SRC_REST), 2), 0);
    /* first seen already partly filled: that is its state, not a fill we saw */
    CHECK_INT(apply(&t, upd(UUID_A, "wait", "100", "2", "0.5", 3, OM_SRC_REST), 1), 1);
    CHECK(strstr(line, "executed=0.5 state=wait trades=3 source=rest") != NULL);
    /* market orders: null price or volume prints as "-" */
    om_update u = upd("m-1", "wait", "5000", "", "", 0, OM_SRC_WS);
    u.ord_type = "price";
    CHECK_INT(apply(&t, u, 0), 1);
    CHECK_STR(line, "order m-1 KRW-BTC bid price price=5000 volume=- executed=0 state=wait trades=0 source=ws");
    /* prevented is terminal */
    CHECK_INT(apply(&t, upd(UUID_B, "prevented", "50000000", "1", "0", 0, OM_SRC_WS), 0), 1);
    CHECK(om_orders_find(&t, UUID_B) == NULL && om_orders_is_finished(&t, UUID_B));
    /* invalid updates */
    CHECK_INT(apply(&t, upd("x-1", "filled", "1", "1", "0", 0, OM_SRC_WS), 0), -1);
    CHECK_INT(apply(&t, upd("bad uuid", "wait", "1", "1", "0", 0, OM_SRC_WS), 0), -1);
    om_update nu = upd("x-2", "wait", "1", "1", "0", 0, OM_SRC_WS);
    nu.uuid = NULL;
    CHECK_INT(apply(&t, nu, 0), -1);
    /* a field that is not one token is not written as such */
    om_update sp = upd("x-3", "wait", "1", "1", "0", 0, OM_SRC_WS);
    sp.market = "KRW BTC";
    CHECK_INT(apply(&t, sp, 0), 1);
    CHECK(strstr(line, "order x-3 ? bid limit ") != NULL);
    om_orders_free(&t);
}

static void test_unknown_fill(void)
{
    om_orders t;
    memset(&t, 0, sizeof t);
    /* first heard of through a fill: the order's own price/volume are unknown */
    CHECK_INT(apply(&t, upd(UUID_A, "trade", "99990000", "0.005", "0.005", 1, OM_SRC_WS), 0), 1);
    CHECK_STR(line, "order " UUID_A " KRW-BTC bid limit price=- volume=- executed=0.005 state=trade trades=1 source=ws");
    /* REST teaches them without a line; the next line shows them */
    CHECK_INT(apply(&t, upd(UUID_A, "wait", "100000000", "0.01", "0.005", 1, OM_SRC_REST), 1), 0);
    CHECK_INT(apply(&t, upd(UUID_A, "done", "100000000", "0.01", "0.01", 2, OM_SRC_WS), 0), 1);
    CHECK_STR(line, "order " UUID_A " KRW-BTC bid limit price=100000000 volume=0.01 executed=0.01 state=done trades=2 source=ws");
    om_orders_free(&t);
}

static void test_vanished(void)
{
    om_orders t;
    memset(&t, 0, sizeof t);
    apply(&t, upd("o-1", "wait", "1", "1", "0", 0, OM_SRC_WS), 0);
    apply(&t, upd("o-2", "wait", "1", "1", "0", 0, OM_SRC_WS), 0);
    om_update eth = upd("o-3", "wait", "1", "1", "0", 0, OM_SRC_WS);
    eth.market = "KRW-ETH";
    apply(&t, eth, 0);
    /* sweep 1 lists o-1 only; o-4 is learnt from the stream during the sweep */
    t.sweep = 1;
    apply(&t, upd("o-1", "wait", "1", "1", "0", 0, OM_SRC_REST), 1);
    apply(&t, upd("o-4", "wait", "1", "1", "0", 0, OM_SRC_WS), 0);
    char out[8][OM_UUID_MAX];
    size_t n = om_orders_vanished(&t, 1, NULL, 0, out, 8);
    CHECK_INT(n, 2);
    CHECK_STR(out[0], "o-2");
    CHECK_STR(out[1], "o-3");
    const char *const btc[] = {"KRW-BTC"};
    n = om_orders_vanished(&t, 1, btc, 1, out, 8);
    CHECK_INT(n, 1);
    CHECK_STR(out[0], "o-2");
    CHECK_INT(om_orders_vanished(&t, 1, NULL, 0, out, 1), 1);   /* bounded by max */
    om_orders_forget(&t, "o-2");
    CHECK(om_orders_find(&t, "o-2") == NULL && !om_orders_is_finished(&t, "o-2"));
    /* sweep 2 lists nothing: every order known before it is a candidate */
    t.sweep = 2;
    CHECK_INT(om_orders_vanished(&t, 2, NULL, 0, out, 8), 3);
    om_orders_free(&t);
}

static void test_finished_ring(void)
{
    om_orders t;
    memset(&t, 0, sizeof t);
    char uuid[32];
    for (int i = 0; i < OM_FINISHED_MAX + 10; i++) {
        snprintf(uuid, sizeof uuid, "f-%d", i);
        CHECK_INT(apply(&t, upd(uuid, "cancel", "1", "1", "0", 0, OM_SRC_WS), 0), 1);
    }
    CHECK_INT(t.finished_n, OM_FINISHED_MAX);
    CHECK(!om_orders_is_finished(&t, "f-0"));      /* bounded: the oldest are forgotten */
    CHECK(om_orders_is_finished(&t, "f-10"));
    snprintf(uuid, sizeof uuid, "f-%d", OM_FINISHED_MAX + 9);
    CHECK(om_orders_is_finished(&t, uuid));
    CHECK_INT(t.n, 0);
    om_orders_free(&t);
}

static void test_save_restore(void)
{
    om_orders t, r;
    memset(&t, 0, sizeof t);
    memset(&r, 0, sizeof r);
    apply(&t, upd(UUID_A, "wait", "100000000", "0.01", "0", 0, OM_SRC_WS), 0);
    apply(&t, upd(UUID_A, "trade", "100000000", "0.005", "0.005", 1, OM_SRC_WS), 0);
    om_update mk = upd(UUID_B, "wait", "", "3", "", 0, OM_SRC_WS);
    mk.ord_type = "market";
    mk.side = "ask";
    apply(&t, mk, 0);
    apply(&t, upd("gone-1", "done", "1", "1", "1", 1, OM_SRC_WS), 0);
    char *text = om_orders_save(&t);
    CHECK(text != NULL);
    CHECK(om_orders_restore(&r, text) == 0);
    CHECK_INT(r.n, 2);
    const om_order *a = om_orders_find(&r, UUID_A), *b = om_orders_find(&r, UUID_B);
    CHECK(a && strcmp(a->executed, "0.005") == 0 && strcmp(a->state, "trade") == 0 && a->trades == 1 &&
          strcmp(a->price, "100000000") == 0);
    CHECK(b && strcmp(b->price, "") == 0 && strcmp(b->side, "ask") == 0 && strcmp(b->ord_type, "market") == 0);
    CHECK(om_orders_is_finished(&r, "gone-1"));
    /* the new instance does not write what the old one already did */
    CHECK_INT(apply(&r, upd(UUID_A, "wait", "100000000", "0.01", "0.005", 1, OM_SRC_REST), 1), 0);
    CHECK_INT(apply(&r, upd("gone-1", "done", "1", "1", "1", 1, OM_SRC_WS), 0), 0);
    CHECK_INT(apply(&r, upd(UUID_A, "done", "100000000", "0.01", "0.01", 2, OM_SRC_WS), 0), 1);
    CHECK(om_orders_restore(&r, "something else") < 0);
    CHECK(om_orders_restore(&r, "om-orders 1\nx y\n") < 0);
    CHECK_INT(r.n, 1);   /* unchanged by a refused restore */
    free(text);
    om_orders_free(&t);
    om_orders_free(&r);
}

/* ---- balances ----------------------------------------------------------------- */

static const char myasset_default[] =
    "[\n    {\n      \"currency\": \"KRW\",\n      \"balance\": 1386929.37231066771348207123,\n"
    "      \"locked\": 10329.670127489597585685\n    }\n  ]";

static void test_balances(void)
{
    om_balances b;
    memset(&b, 0, sizeof b);
    int changed;
    CHECK_INT(om_bal_apply_assets(&b, myasset_default, strlen(myasset_default), &changed), 1);
    CHECK(changed);
    CHECK_INT(b.n, 1);
    CHECK_STR(b.v[0].balance, "1386929.37231066771348207123");
    CHECK_STR(b.v[0].locked, "10329.670127489597585685");
    CHECK_INT(om_bal_apply_assets(&b, myasset_default, strlen(myasset_default), &changed), 1);
    CHECK(!changed);
    /* SIMPLE keys, several entries, an unknown nested field, exponent spelling */
    const char *simple = "[{\"cu\":\"BTC\",\"b\":5.0E-1,\"l\":0.1,\"x\":{\"y\":[1,\"]\"]}},"
                         "{\"cu\":\"ETH\",\"b\":\"2\",\"l\":0}]";
    CHECK_INT(om_bal_apply_assets(&b, simple, strlen(simple), &changed), 2);
    CHECK(changed);
    char *l = om_bal_line(&b);
    CHECK_STR(l, "balances BTC=0.5(locked 0.1) ETH=2(locked 0) KRW=1386929.37231066771348207123(locked 10329.670127489597585685)");
    free(l);
    char *f = om_bal_file_text(&b);
    CHECK_STR(f, "BTC 0.5 0.1\nETH 2 0\nKRW 1386929.37231066771348207123 10329.670127489597585685\n");
    /* the file text reads back */
    om_balances back;
    memset(&back, 0, sizeof back);
    CHECK(om_bal_parse_file(&back, f) == 0 && om_bal_equal(&back, &b));
    om_bal_free(&back);
    free(f);
    /* dropping to zero removes the entry */
    const char *zero = "[{\"currency\":\"ETH\",\"balance\":0.0,\"locked\":0}]";
    CHECK_INT(om_bal_apply_assets(&b, zero, strlen(zero), &changed), 1);
    CHECK(changed && b.n == 2);
    /* an entry missing a field is skipped, the rest applied */
    const char *partial = "[{\"currency\":\"XRP\",\"balance\":1},{\"currency\":\"BTC\",\"balance\":1,\"locked\":0}]";
    CHECK_INT(om_bal_apply_assets(&b, partial, strlen(partial), &changed), 1);
    CHECK_STR(b.v[0].balance, "1");
    CHECK_INT(om_bal_apply_assets(&b, "{}", 2, &changed), -1);
    CHECK_INT(om_bal_apply_assets(&b, "[{\"currency\":\"KRW\"", 18, &changed), -1);
    CHECK_INT(om_bal_set(&b, "BAD CUR", "1", "0"), -1);
    /* /v1/accounts replaces the map, except what a myAsset event set after
     * the call was sent: the answer is older than that */
    uint64_t since = b.seq;
    const char *newer = "[{\"currency\":\"KRW\",\"balance\":5,\"locked\":1}]";
    CHECK_INT(om_bal_apply_assets(&b, newer, strlen(newer), &changed), 1);
    om_balances fresh;
    memset(&fresh, 0, sizeof fresh);
    CHECK(om_bal_set(&fresh, "KRW", "4", "2") == 1 && om_bal_set(&fresh, "DOGE", "7", "0") == 1);
    CHECK_INT(om_bal_replace(&b, &fresh, since), 1);
    l = om_bal_line(&b);
    CHECK_STR(l, "balances DOGE=7(locked 0) KRW=5(locked 1)");
    free(l);
    CHECK(fresh.n == 0 && fresh.v == NULL);
    /* an answer sent after that event wins */
    memset(&fresh, 0, sizeof fresh);
    om_bal_set(&fresh, "KRW", "4", "2");
    CHECK_INT(om_bal_replace(&b, &fresh, b.seq), 1);
    l = om_bal_line(&b);
    CHECK_STR(l, "balances KRW=4(locked 2)");
    free(l);
    memset(&fresh, 0, sizeof fresh);
    om_bal_set(&fresh, "KRW", "4", "2");
    CHECK_INT(om_bal_replace(&b, &fresh, b.seq), 0);
    om_balances empty;
    memset(&empty, 0, sizeof empty);
    l = om_bal_line(&empty);
    CHECK_STR(l, "balances none");
    free(l);
    om_bal_free(&b);
}

/* ---- REST bodies ------------------------------------------------------------------ */

typedef struct collected {
    int n;
    char text[8][256];
} collected;

static void collect(void *arg, const om_update *u)
{
    collected *c = arg;
    if (c->n < 8)
        snprintf(c->text[c->n++], 256, "%s|%s|%s|%s|%s|%s|%s|%s|%lld|%d|%d", u->uuid, u->market ? u->market : "null",
                 u->side ? u->side : "null", u->ord_type ? u->ord_type : "null", u->state, u->price,
                 u->volume, u->executed, (long long)u->trades, u->order_amounts, (int)u->source);
}

/* GET /v1/orders/open, as PROTOCOL §12 lists the fields (numbers as strings). */
static const char open_body[] =
    "[{\"uuid\":\"9ca023a5-851b-4fec-9f0a-48cd83c2eaae\",\"side\":\"ask\",\"ord_type\":\"limit\","
    "\"price\":\"4280000.0\",\"state\":\"wait\",\"market\":\"KRW-BTC\","
    "\"created_at\":\"2019-01-04T13:48:09+09:00\",\"volume\":\"1.0\",\"remaining_volume\":\"1.0\","
    "\"reserved_fee\":\"0.0\",\"remaining_fee\":\"0.0\",\"paid_fee\":\"0.0\",\"locked\":\"1.0\","
    "\"executed_volume\":\"0.0\",\"executed_funds\":\"0.0\",\"trades_count\":0,\"time_in_force\":null,"
    "\"identifier\":\"my-1\",\"smp_type\":null,\"prevented_volume\":\"0\",\"prevented_locked\":\"0\"},"
    "{\"uuid\":\"d098ceaf-6811-4df8-97f2-b7e01aefc03f\",\"side\":\"bid\",\"ord_type\":\"price\","
    "\"price\":\"5000\",\"state\":\"watch\",\"market\":\"KRW-ETH\",\"volume\":null,"
    "\"executed_volume\":\"0.00012\",\"trades_count\":\"2\"},"
    "{\"side\":\"bid\",\"state\":\"wait\"}]";

/* GET /v1/order?uuid=…: one object with its trades. */
static const char one_body[] =
    "{\"uuid\":\"9ca023a5-851b-4fec-9f0a-48cd83c2eaae\",\"side\":\"ask\",\"ord_type\":\"limit\","
    "\"price\":\"4280000.0\",\"state\":\"done\",\"market\":\"KRW-BTC\",\"volume\":\"1.0\","
    "\"remaining_volume\":\"0.0\",\"executed_volume\":\"1.0\",\"trades_count\":1,"
    "\"trades\":[{\"market\":\"KRW-BTC\",\"uuid\":\"t-1\",\"price\":\"4280000.0\",\"volume\":\"1.0\","
    "\"funds\":\"4280000\",\"side\":\"ask\",\"created_at\":\"2019-01-04T13:48:15+09:00\"}]}";

/* GET /v1/accounts */
static const char accounts_body[] =
    "[{\"currency\":\"KRW\",\"balance\":\"1000000.0\",\"locked\":\"0.0\",\"avg_buy_price\":\"0\","
    "\"avg_buy_price_modified\":false,\"unit_currency\":\"KRW\"},"
    "{\"currency\":\"BTC\",\"balance\":\"2.0\",\"locked\":\"0.00012345678901234567\","
    "\"avg_buy_price\":\"101000\",\"avg_buy_price_modified\":false,\"unit_currency\":\"KRW\"}]";

static void test_rest_bodies(void)
{
    collected c;
    memset(&c, 0, sizeof c);
    CHECK_INT(om_rest_orders(open_body, strlen(open_body), collect, &c), 3);
    CHECK_INT(c.n, 2);   /* the object without a uuid is skipped */
    CHECK_STR(c.text[0], "9ca023a5-851b-4fec-9f0a-48cd83c2eaae|KRW-BTC|ask|limit|wait|4280000|1|0|0|1|1");
    CHECK_STR(c.text[1], "d098ceaf-6811-4df8-97f2-b7e01aefc03f|KRW-ETH|bid|price|watch|5000||0.00012|2|1|1");
    memset(&c, 0, sizeof c);
    CHECK_INT(om_rest_orders(one_body, strlen(one_body), collect, &c), 1);
    CHECK_STR(c.text[0], "9ca023a5-851b-4fec-9f0a-48cd83c2eaae|KRW-BTC|ask|limit|done|4280000|1|1|1|1|1");
    CHECK_INT(om_rest_orders("[]", 2, collect, &c), 0);
    CHECK_INT(om_rest_orders("not json", 8, collect, &c), -1);
    const char *err = "{\"error\":{\"name\":\"jwt_verification\",\"message\":\"Jwt 토큰 검증에 실패했습니다.\"}}";
    CHECK_INT(om_rest_orders(err, strlen(err), collect, &c), -1);

    om_balances b;
    memset(&b, 0, sizeof b);
    CHECK(om_rest_accounts(accounts_body, strlen(accounts_body), &b) == 0);
    CHECK_INT(b.n, 2);
    char *l = om_bal_line(&b);
    CHECK_STR(l, "balances BTC=2(locked 0.00012345678901234567) KRW=1000000(locked 0)");
    free(l);
    om_bal_free(&b);
    CHECK(om_rest_accounts("[]", 2, &b) == 0 && b.n == 0);
    CHECK(om_rest_accounts(err, strlen(err), &b) < 0);
    CHECK(om_rest_accounts("[{\"currency\":\"KRW\"}]", 20, &b) < 0 && b.n == 0);

    char name[64];
    om_rest_error_name(err, strlen(err), name, sizeof name);
    CHECK_STR(name, "jwt_verification");
    const char *qerr = "{\"error\":{\"name\":404,\"message\":\"Code not found\"}}";
    om_rest_error_name(qerr, strlen(qerr), name, sizeof name);
    CHECK_STR(name, "404");
    om_rest_error_name("", 0, name, sizeof name);
    CHECK_STR(name, "");

    const char *b1 = "{\"error\":{\"name\":\"too_many_requests\",\"message\":\"요청이 차단되었습니다. 30초 후 다시 시도하세요\"}}";
    CHECK_INT(om_rest_block_ms(b1, strlen(b1)), 30000);
    const char *b2 = "{\"error\":{\"message\":\"blocked for 10 minutes after 418 responses\"}}";
    CHECK_INT(om_rest_block_ms(b2, strlen(b2)), 600000);
    const char *b3 = "{\"error\":{\"message\":\"blocked: retry in 1500ms\"}}";
    CHECK_INT(om_rest_block_ms(b3, strlen(b3)), 1500);
    const char *b4 = "{\"error\":{\"message\":\"IP 1.2.3.4 blocked (code 418)\"}}";
    CHECK_INT(om_rest_block_ms(b4, strlen(b4)), -1);
    CHECK_INT(om_rest_block_ms("<html>teapot</html>", 19), -1);
    const char *b5 = "{\"error\":{\"message\":\"2 hours\"}}";
    CHECK_INT(om_rest_block_ms(b5, strlen(b5)), 7200000);
}

/* ---- backoff ---------------------------------------------------------------------- */

static void test_backoff(void)
{
    om_backoff b = {OM_BO_NONE, 0};
    om_bo_change ch;
    const int64_t now = 1700000000234;   /* 234 ms into a second */
    CHECK_INT(om_backoff_next(&b, 200, 29, -1, now, 2000, &ch), 0);
    CHECK(ch == OM_BO_SAME);
    /* sec=0: wait past the next wall-clock second */
    CHECK_INT(om_backoff_next(&b, 200, 0, -1, now, 2000, &ch), 1000 - 234 + OM_SECOND_SLACK_MS);
    /* 429: 1 s doubling to 60 s; one episode */
    const int64_t want[] = {1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        CHECK_INT(om_backoff_next(&b, 429, 0, -1, now, 2000, &ch), want[i]);
        CHECK(ch == (i == 0 ? OM_BO_STARTED : OM_BO_SAME));
    }
    CHECK_INT(om_backoff_next(&b, 200, 10, -1, now, 2000, &ch), 0);
    CHECK(ch == OM_BO_RECOVERED && b.kind == OM_BO_NONE);
    CHECK_INT(om_backoff_next(&b, 429, 5, -1, now, 2000, &ch), 1000);   /* starts over */
    CHECK(ch == OM_BO_STARTED);
    /* 418 after 429s: a new episode; a stated block wins, else 60 s doubling to 10 min */
    CHECK_INT(om_backoff_next(&b, 418, -1, 30000, now, 2000, &ch), 30000 + OM_BLOCK_SLACK_MS);
    CHECK(ch == OM_BO_STARTED && b.kind == OM_BO_BLOCKED);
    om_backoff b2 = {OM_BO_NONE, 0};
    const int64_t want418[] = {60000, 120000, 240000, 480000, 600000, 600000};
    for (size_t i = 0; i < sizeof want418 / sizeof want418[0]; i++)
        CHECK_INT(om_backoff_next(&b2, 418, -1, -1, now, 2000, &ch), want418[i]);
    /* keys refused: 30 s, logged once */
    om_backoff b3 = {OM_BO_NONE, 0};
    CHECK_INT(om_backoff_next(&b3, 401, 29, -1, now, 2000, &ch), OM_AUTH_MS);
    CHECK(ch == OM_BO_STARTED);
    CHECK_INT(om_backoff_next(&b3, 401, 29, -1, now, 2000, &ch), OM_AUTH_MS);
    CHECK(ch == OM_BO_SAME);
    CHECK_INT(om_backoff_next(&b3, 403, 29, -1, now, 2000, &ch), OM_AUTH_MS);
    CHECK(ch == OM_BO_SAME);
    /* plain failures: the poll interval */
    CHECK_INT(om_backoff_next(&b3, 500, 29, -1, now, 2000, &ch), 2000);
    CHECK(ch == OM_BO_STARTED && b3.kind == OM_BO_FAIL);
    CHECK_INT(om_backoff_next(&b3, -1, -1, -1, now, 2000, &ch), 2000);
    CHECK(ch == OM_BO_SAME);
    CHECK_INT(om_backoff_next(&b3, 400, -1, -1, now, 750, &ch), 750);
}

int main(void)
{
    test_decimal();
    test_ws_lifecycle();
    test_switch_dedupe();
    test_phases();
    test_unknown_fill();
    test_vanished();
    test_finished_ring();
    test_save_restore();
    test_balances();
    test_rest_bodies();
    test_backoff();
    printf("test_order_monitor: %d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
