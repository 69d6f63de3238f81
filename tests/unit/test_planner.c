/* Planner: the request is the canonical union of all wants, grouped by type
 * and options, with disjoint codes per type; nothing is sent when the union
 * did not change. Owners are opaque to registry and planner, so plain
 * addresses stand in for plugin instances here. */
#include "check.h"
#include "planner.h"
#include "registry.h"

#include <stdlib.h>

static int owner_a, owner_b;
#define A ((struct instance *)&owner_a)
#define B ((struct instance *)&owner_b)

static sub *add(struct instance *o, int64_t id, const char *type, const char *c1, const char *c2,
                uint32_t depth, double level)
{
    char *codes[2] = {(char *)c1, (char *)c2};
    return registry_add(o, id, type, codes, c2 ? 2 : 1, depth, level, UPWS_DELIVERY_DEFAULT, 0);
}

/* Returns the request body between the ticket and the format object. */
static char *next_body(planner *p)
{
    char *req = planner_next(p);
    if (!req)
        return NULL;
    char *start = strstr(req, "}");
    char *end = strstr(req, ",{\"format\":\"DEFAULT\"}]");
    CHECK(strncmp(req, "[{\"ticket\":", 11) == 0);
    CHECK(start && end && end >= start + 1);
    if (!start || !end) {
        free(req);
        return NULL;
    }
    size_t n = (size_t)(end - start - 1);
    char *body = malloc(n + 1);
    memcpy(body, start + 1, n);
    body[n] = 0;
    free(req);
    return body;
}

static void expect(planner *p, const char *want)
{
    char *body = next_body(p);
    if (!want) {
        CHECK(body == NULL);
        if (body)
            fprintf(stderr, "  unexpected request: %s\n", body);
    } else {
        CHECK_STR(body, want);
    }
    free(body);
}

int main(void)
{
    planner p;
    planner_init(&p, 0);

    expect(&p, NULL);  /* nothing wanted, server holds nothing: no request */

    sub *a1 = add(A, 1, "ticker", "KRW-ETH", "KRW-BTC", 0, 0);
    expect(&p, ",{\"type\":\"ticker\",\"codes\":[\"KRW-BTC\",\"KRW-ETH\"]}");
    expect(&p, NULL);  /* unchanged */

    /* B wants a code A already has, plus trades: ticker part unchanged, codes not repeated. */
    sub *b1 = add(B, 2, "ticker", "KRW-BTC", NULL, 0, 0);
    expect(&p, NULL);
    sub *b2 = add(B, 3, "trade", "KRW-XRP", "KRW-BTC", 0, 0);
    expect(&p, ",{\"type\":\"ticker\",\"codes\":[\"KRW-BTC\",\"KRW-ETH\"]}"
               ",{\"type\":\"trade\",\"codes\":[\"KRW-BTC\",\"KRW-XRP\"]}");

    /* Orderbook: depth per code is the deepest wish; levels form separate objects. */
    sub *a2 = add(A, 4, "orderbook", "KRW-BTC", NULL, 5, 0);
    sub *b3 = add(B, 5, "orderbook", "KRW-BTC", "KRW-ETH", 15, 0);
    sub *b4 = add(B, 6, "orderbook", "KRW-SOL", NULL, 0, 1000);
    sub *a3 = add(A, 7, "candle.1m", "KRW-BTC", NULL, 0, 0);
    expect(&p, ",{\"type\":\"candle.1m\",\"codes\":[\"KRW-BTC\"]}"
               ",{\"type\":\"orderbook\",\"codes\":[\"KRW-BTC.15\",\"KRW-ETH.15\"]}"
               ",{\"type\":\"orderbook\",\"codes\":[\"KRW-SOL\"],\"level\":1000}"
               ",{\"type\":\"ticker\",\"codes\":[\"KRW-BTC\",\"KRW-ETH\"]}"
               ",{\"type\":\"trade\",\"codes\":[\"KRW-BTC\",\"KRW-XRP\"]}");
    registry_remove(b3);
    expect(&p, ",{\"type\":\"candle.1m\",\"codes\":[\"KRW-BTC\"]}"
               ",{\"type\":\"orderbook\",\"codes\":[\"KRW-BTC.5\"]}"
               ",{\"type\":\"orderbook\",\"codes\":[\"KRW-SOL\"],\"level\":1000}"
               ",{\"type\":\"ticker\",\"codes\":[\"KRW-BTC\",\"KRW-ETH\"]}"
               ",{\"type\":\"trade\",\"codes\":[\"KRW-BTC\",\"KRW-XRP\"]}");

    /* The unload sweep of B removes exactly B's streams. */
    CHECK(registry_remove_owner(B) == 3);
    (void)b1, (void)b2, (void)b4;
    expect(&p, ",{\"type\":\"candle.1m\",\"codes\":[\"KRW-BTC\"]}"
               ",{\"type\":\"orderbook\",\"codes\":[\"KRW-BTC.5\"]}"
               ",{\"type\":\"ticker\",\"codes\":[\"KRW-BTC\",\"KRW-ETH\"]}");

    /* A one-off snapshot rides along snapshot-only, disjoint from live codes,
     * and its removal after the answer causes no resend. */
    char *snap_codes[] = {"KRW-ADA"};
    sub *snap = registry_add(A, 8, "ticker", snap_codes, 1, 0, 0, UPWS_DELIVERY_DEFAULT, 8);
    expect(&p, ",{\"type\":\"candle.1m\",\"codes\":[\"KRW-BTC\"]}"
               ",{\"type\":\"orderbook\",\"codes\":[\"KRW-BTC.5\"]}"
               ",{\"type\":\"ticker\",\"codes\":[\"KRW-BTC\",\"KRW-ETH\"]}"
               ",{\"type\":\"ticker\",\"codes\":[\"KRW-ADA\"],\"is_only_snapshot\":true}");
    expect(&p, NULL);
    registry_remove(snap);
    expect(&p, NULL);

    /* After a reconnect the whole set goes out again. */
    planner_reset(&p);
    expect(&p, ",{\"type\":\"candle.1m\",\"codes\":[\"KRW-BTC\"]}"
               ",{\"type\":\"orderbook\",\"codes\":[\"KRW-BTC.5\"]}"
               ",{\"type\":\"ticker\",\"codes\":[\"KRW-BTC\",\"KRW-ETH\"]}");

    /* Everything gone: one quiet snapshot-only request replaces the set. */
    registry_remove(a1);
    registry_remove(a2);
    registry_remove(a3);
    CHECK(registry_count() == 0);
    CHECK(streams_count() == 0);
    expect(&p, ",{\"type\":\"ticker\",\"codes\":[\"KRW-BTC\"],\"is_only_snapshot\":true}");
    expect(&p, NULL);
    planner_free(&p);
    return CHECK_DONE();
}
