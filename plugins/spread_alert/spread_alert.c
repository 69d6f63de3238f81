/* spread_alert — logs when the best bid/ask spread of a market crosses a
 * threshold, read from the orderbook.
 *
 * Written as a third party would: it includes only <upws/plugin.h> and does
 * everything through the host function table. See README.md for the config
 * and the exact log lines. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <upws/plugin.h>

enum { SIDE_UNKNOWN = -1, SIDE_BELOW = 0, SIDE_ABOVE = 1 };

typedef struct code_state {
    const char *code;  /* host-owned config string, valid until stop() returns */
    int side;
} code_state;

typedef struct alert {
    upws_ctx *ctx;
    const upws_host_api *api;
    double threshold;
    int relative;      /* 1: threshold and spread in basis points of the mid price */
    code_state *codes; /* sorted by code, for bsearch */
    size_t n_codes;
} alert;

static int cmp_code(const void *a, const void *b)
{
    return strcmp(((const code_state *)a)->code, ((const code_state *)b)->code);
}

static code_state *find_code(alert *a, const char *code)
{
    code_state key = {.code = code};
    return bsearch(&key, a->codes, a->n_codes, sizeof key, cmp_code);
}

/* Reads exactly one of threshold_bps / threshold. Returns 0 or -1 (logged). */
static int read_threshold(upws_ctx *ctx, const upws_host_api *api, double *value, int *relative)
{
    double bps = 0, abs = 0;
    int rc_bps = api->config_double(ctx, "threshold_bps", &bps);
    int rc_abs = api->config_double(ctx, "threshold", &abs);
    if ((rc_bps == UPWS_OK) == (rc_abs == UPWS_OK) || rc_bps == UPWS_ETYPE || rc_abs == UPWS_ETYPE) {
        api->log(ctx, UPWS_LOG_ERROR,
                 "config: set exactly one of 'threshold_bps' (basis points of the mid price) "
                 "or 'threshold' (absolute, in the quote currency), as a number");
        return -1;
    }
    *relative = rc_bps == UPWS_OK;
    *value = *relative ? bps : abs;
    if (!(*value > 0) || !isfinite(*value)) {
        api->log(ctx, UPWS_LOG_ERROR, "config key '%s': must be a number > 0",
                 *relative ? "threshold_bps" : "threshold");
        return -1;
    }
    return 0;
}

static int read_codes(alert *a)
{
    const char *const *codes;
    size_t n;
    if (a->api->config_list(a->ctx, "codes", &codes, &n) != UPWS_OK || n == 0) {
        a->api->log(a->ctx, UPWS_LOG_ERROR, "config key 'codes': required, a list of market codes");
        return -1;
    }
    a->codes = calloc(n, sizeof *a->codes);
    if (!a->codes)
        return -1;
    for (size_t i = 0; i < n; i++)
        a->codes[i] = (code_state){.code = codes[i], .side = SIDE_UNKNOWN};
    a->n_codes = n;
    qsort(a->codes, n, sizeof *a->codes, cmp_code);
    return 0;
}

static int subscribe_books(alert *a)
{
    const char *const *codes;
    size_t n;
    a->api->config_list(a->ctx, "codes", &codes, &n);
    upws_want want;
    memset(&want, 0, sizeof want);
    want.struct_size = sizeof want;
    want.type = "orderbook";
    want.codes = codes;
    want.n_codes = n;
    want.depth = 1;                        /* only the best level matters */
    want.delivery = UPWS_DELIVERY_LOSSLESS; /* see every book: a brief crossing is not conflated away */
    int64_t id = a->api->subscribe(a->ctx, &want);
    if (id <= 0) {
        a->api->log(a->ctx, UPWS_LOG_ERROR, "cannot subscribe: %s", a->api->strerror((int)id));
        return -1;
    }
    return 0;
}

static void alert_free(alert *a)
{
    if (!a)
        return;
    free(a->codes);
    free(a);
}

static int sa_init(upws_ctx *ctx, const upws_host_api *api, void **self)
{
    *self = NULL;
    if (api->abi_major != UPWS_ABI_MAJOR)
        return -1;
    alert *a = calloc(1, sizeof *a);
    if (!a)
        return -1;
    a->ctx = ctx;
    a->api = api;
    if (read_threshold(ctx, api, &a->threshold, &a->relative) != 0 || read_codes(a) != 0 ||
        subscribe_books(a) != 0) {
        alert_free(a);  /* stop() is not called after a refused init; the host sweeps the rest */
        return -1;
    }
    *self = a;
    return 0;
}

/* The spread in the configured unit. The formula is the README's, operation
 * for operation, so a reader can recompute the very same double. */
static double spread_of(const alert *a, double bid, double ask)
{
    double spread = ask - bid;
    if (!a->relative)
        return spread;
    return spread / ((ask + bid) / 2) * 10000;
}

/* The wire text of a best-level price, so the log shows what Upbit sent. */
static void price_text(const alert *a, const upws_event *ev, const char *field, upws_val *v)
{
    if (a->api->event_field(ev, field, v) != UPWS_OK || v->kind != UPWS_VAL_NUMBER) {
        v->text = "?";
        v->len = 1;
    }
}

static void report(alert *a, const upws_event *ev, double value, int side, int crossed)
{
    upws_val bid, ask;
    price_text(a, ev, "bid_price_1", &bid);
    price_text(a, ev, "ask_price_1", &ask);
    const char *unit = a->relative ? " bps" : "";
    a->api->log(a->ctx, crossed && side == SIDE_ABOVE ? UPWS_LOG_WARN : UPWS_LOG_INFO,
                "%s spread %.6g%s %s %s %.6g%s (bid %.*s ask %.*s, ts %lld)", ev->code, value, unit,
                crossed ? "crossed" : "starts", side == SIDE_ABOVE ? "above" : "below",
                a->threshold, unit, (int)bid.len, bid.text, (int)ask.len, ask.text,
                (long long)ev->timestamp_ms);
}

static void sa_on_event(void *self, const upws_event *ev)
{
    alert *a = self;
    const upws_orderbook *ob = ev->orderbook;
    if (!ob || ob->n_units == 0)
        return;
    double bid = ob->units[0].bid_price, ask = ob->units[0].ask_price;
    if (!(bid > 0) || !(ask > 0))
        return;  /* an empty side: no spread to speak of */
    code_state *cs = find_code(a, ev->code);
    if (!cs)
        return;
    double value = spread_of(a, bid, ask);
    int side = value > a->threshold ? SIDE_ABOVE : SIDE_BELOW;
    if (side == cs->side)
        return;
    report(a, ev, value, side, cs->side != SIDE_UNKNOWN);
    cs->side = side;
}

static void sa_on_status(void *self, const upws_status *st)
{
    alert *a = self;
    if (st->kind == UPWS_STATUS_GAP) {
        /* Books were missed: the next one states the side afresh. */
        for (size_t i = 0; i < a->n_codes; i++)
            a->codes[i].side = SIDE_UNKNOWN;
        a->api->log(a->ctx, UPWS_LOG_WARN, "no books for %.1f s; spreads start afresh",
                    (double)(st->until_ns - st->since_ns) / 1e9);
    } else if (st->kind == UPWS_STATUS_DROPPED) {
        a->api->log(a->ctx, UPWS_LOG_WARN, "%llu books dropped: crossings in them were missed",
                    (unsigned long long)st->count);
    }
}

static void sa_stop(void *self)
{
    alert_free(self);  /* the subscription is released by the host */
}

static const char *const config_keys[] = {"codes", "threshold_bps", "threshold", NULL};

UPWS_PLUGIN = {
    .struct_size = sizeof(upws_plugin),
    .abi_major = UPWS_ABI_MAJOR,
    .abi_minor = UPWS_ABI_MINOR,
    .name = "spread_alert",
    .version = "1.0.0",
    .description = "logs when the best bid/ask spread of a market crosses a threshold",
    .config_keys = config_keys,
    .init = sa_init,
    .on_event = sa_on_event,
    .on_status = sa_on_status,
    .stop = sa_stop,
};
