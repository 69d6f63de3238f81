/* order_monitor — logs every state change of your orders as one line and
 * keeps the current balances, from the private streams (myOrder, myAsset)
 * and, while those are down or refused, from REST polling. See README.md for
 * the config, the line formats and the fallback rules.
 *
 * This file is the glue: config, host callbacks, the REST poller's schedule,
 * output. The order table is om_orders.c, balances om_balances.c, REST
 * bodies and backoff om_rest.c. Every callback runs on the instance's one
 * thread: no locks. */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L   /* clock_gettime, fsync, gmtime_r */
#endif
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <upws/plugin.h>

#include "om_balances.h"
#include "om_orders.h"
#include "om_rest.h"

#define POLL_DEFAULT_MS 2000
#define POLL_MIN_MS 200
#define POLL_MAX_MS 3600000
#define OPEN_PAGE_LIMIT 100       /* Upbit's maximum `limit` */
#define OPEN_PAGES_MAX 50         /* a sweep reads at most 5000 open orders */
#define LOOKUPS_MAX 100           /* one-order lookups per sweep; the rest wait for the next */
#define MUTE_MS 10000             /* see om_save_state */
#define HELD_LINES_MAX 1024

typedef enum { STEP_IDLE, STEP_ACCOUNTS, STEP_OPEN, STEP_LOOKUP } step;

typedef struct om {
    upws_ctx *ctx;               /* host-owned, valid until stop() returns */
    const upws_host_api *api;    /* host-owned */
    int enabled;                 /* 0: no API keys, idle */
    int64_t poll_ms;
    const char *const *markets;  /* host-owned config list (NULL, 0 = every market) */
    size_t n_markets;
    FILE *out;                   /* owned: the `output` file, or NULL for the host log */
    const char *balances_path;   /* host-owned config string, or NULL */
    om_orders orders;            /* owned */
    om_balances bal;             /* owned */
    int bal_known;               /* balances read at least once: the file exists even if empty */

    /* The REST poller: at most one call in flight; a sweep is accounts, then
     * open orders page by page, then a lookup of each order that vanished. */
    int stream_up;               /* UP or GAP seen since the last DOWN */
    int polling;                 /* the private stream is down: a sweep every poll_ms */
    int reconcile;               /* one sweep wanted (start, stream back, drops) */
    int cycle_reconciles;        /* the running sweep answers such a wish */
    step step;
    int page;
    uint64_t sweep_tag;          /* orders.sweep while reading open orders, else 0 */
    char (*lookups)[OM_UUID_MAX];/* owned, LOOKUPS_MAX entries; n_lookups used */
    size_t n_lookups, i_lookup;
    int64_t inflight;            /* request id, 0 when none */
    uint64_t accounts_since;     /* bal.seq when /v1/accounts was asked */
    int64_t cycle_started_ms;    /* monotonic clock */
    int64_t next_cycle_ms;       /* no sweep starts before this */
    int64_t not_before_ms;       /* no REST call before this (backoff, sec=0) */
    int64_t wake_timer;
    om_backoff bo;

    int said_invalid_auth, said_bad_body, said_call_error, said_out_error, said_bal_error, said_assets;

    /* After save_state a newer build takes over; lines are held back so the
     * two do not both write them during the overlap (see om_save_state). */
    int muted;
    struct held_line {
        int64_t seen_ms;         /* wall clock, for the output stamp */
        char *line;              /* owned */
    } *held;                     /* owned, HELD_LINES_MAX entries; n_held used */
    size_t n_held, held_dropped;
    int64_t unmute_timer;
} om;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t real_ms(void)
{
    struct timespec ts;
    timespec_get(&ts, TIME_UTC);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- output ----------------------------------------------------------------- */

static void write_line(om *m, const char *line, int64_t now)
{
    if (!m->out) {
        m->api->log(m->ctx, UPWS_LOG_INFO, "%s", line);
        return;
    }
    time_t secs = (time_t)(now / 1000);
    struct tm tm;
    char stamp[40];
    gmtime_r(&secs, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    if (fprintf(m->out, "%s.%03dZ %s\n", stamp, (int)(now % 1000), line) < 0 || fflush(m->out) != 0) {
        if (!m->said_out_error++)
            m->api->log(m->ctx, UPWS_LOG_ERROR, "cannot write to output: %s (line kept in this log)",
                        strerror(errno));
        m->api->log(m->ctx, UPWS_LOG_INFO, "%s", line);
        clearerr(m->out);
        return;
    }
    m->said_out_error = 0;
    m->api->log(m->ctx, UPWS_LOG_DEBUG, "%s", line);
}

static void emit_line(om *m, const char *line)
{
    if (!m->muted) {
        write_line(m, line, real_ms());
        return;
    }
    char *copy = m->n_held < HELD_LINES_MAX ? strdup(line) : NULL;
    if (copy)
        m->held[m->n_held++] = (struct held_line){real_ms(), copy};
    else
        m->held_dropped++;
}

static void free_held(om *m)
{
    for (size_t i = 0; i < m->n_held; i++)
        free(m->held[i].line);
    m->n_held = 0;
}

static void write_balances_file(om *m)
{
    if (!m->balances_path)
        return;
    char *text = om_bal_file_text(&m->bal);
    size_t n = strlen(m->balances_path) + 5;
    char *tmp = malloc(n);
    int ok = 0;
    if (text && tmp) {
        snprintf(tmp, n, "%s.tmp", m->balances_path);
        FILE *f = fopen(tmp, "w");
        if (f) {
            ok = fputs(text, f) >= 0 && fflush(f) == 0 && fsync(fileno(f)) == 0;
            ok = fclose(f) == 0 && ok;
            /* rename: readers see the old file or the new one, never half of one */
            ok = ok && rename(tmp, m->balances_path) == 0;
            if (!ok)
                remove(tmp);
        }
    }
    if (!ok && !m->said_bal_error++)
        m->api->log(m->ctx, UPWS_LOG_ERROR, "cannot write balances_file %s: %s", m->balances_path,
                    strerror(errno));
    if (ok)
        m->said_bal_error = 0;
    free(text);
    free(tmp);
}

static void balances_changed(om *m)
{
    m->bal_known = 1;
    char *line = om_bal_line(&m->bal);
    if (line)
        m->api->log(m->ctx, UPWS_LOG_INFO, "%s", line);
    free(line);
    write_balances_file(m);
}

static int market_wanted(const om *m, const char *market)
{
    if (m->n_markets == 0)
        return 1;
    for (size_t i = 0; market && i < m->n_markets; i++)
        if (strcmp(m->markets[i], market) == 0)
            return 1;
    return 0;
}

static void apply(om *m, const om_update *u, uint64_t sweep_listed)
{
    char line[OM_LINE_MAX];
    int rc = om_orders_apply(&m->orders, u, sweep_listed, line, sizeof line);
    if (rc > 0)
        emit_line(m, line);
    else if (rc < 0)
        m->api->log(m->ctx, UPWS_LOG_DEBUG, "order update ignored (uuid %s, state %s)",
                    u->uuid ? u->uuid : "null", u->state ? u->state : "null");
}

/* ---- the private streams ---------------------------------------------------- */

/* Exact wire text of a number field, canonical; "" for null or absent. */
static void field_num(om *m, const upws_event *ev, const char *name, char *out)
{
    upws_val v;
    out[0] = '\0';
    if (m->api->event_field(ev, name, &v) == UPWS_OK &&
        (v.kind == UPWS_VAL_NUMBER || v.kind == UPWS_VAL_STRING) &&
        om_dec_canon(v.text, v.len, out, OM_NUM_MAX) < 0)
        out[0] = '\0';
}

static void on_myorder(om *m, const upws_event *ev)
{
    const upws_myorder *mo = ev->myorder;
    om_update u;
    memset(&u, 0, sizeof u);
    u.uuid = mo->uuid;
    u.market = ev->code;
    u.side = mo->ask_bid == UPWS_BID ? "bid" : mo->ask_bid == UPWS_ASK ? "ask" : "?";
    u.ord_type = mo->order_type;
    u.state = mo->state;
    field_num(m, ev, "price", u.price);
    field_num(m, ev, "volume", u.volume);
    field_num(m, ev, "executed_volume", u.executed);
    upws_val tc;
    u.trades = m->api->event_field(ev, "trades_count", &tc) == UPWS_OK && tc.kind == UPWS_VAL_NUMBER
                   ? mo->trades_count : -1;
    /* On a fill Upbit puts the fill's price and volume in those fields. */
    u.order_amounts = !mo->state || strcmp(mo->state, "trade") != 0;
    u.source = OM_SRC_WS;
    apply(m, &u, 0);
}

static void on_myasset(om *m, const upws_event *ev)
{
    upws_val v;
    int changed = 0;
    if (m->api->event_field(ev, "assets", &v) != UPWS_OK || v.kind != UPWS_VAL_ARRAY ||
        om_bal_apply_assets(&m->bal, v.text, v.len, &changed) < 0) {
        if (!m->said_assets++)
            m->api->log(m->ctx, UPWS_LOG_WARN, "myAsset event without a readable 'assets' array: ignored");
        return;
    }
    if (changed)
        balances_changed(m);
}

static void om_on_event(void *self, const upws_event *ev)
{
    om *m = self;
    if (!m->enabled)
        return;
    if (ev->type == UPWS_TYPE_MYORDER && ev->myorder)
        on_myorder(m, ev);
    else if (ev->type == UPWS_TYPE_MYASSET)
        on_myasset(m, ev);
}

/* ---- the REST poller -------------------------------------------------------- */

static void pump(om *m);
static void on_reply(void *self, const upws_rest_reply *reply);

static void on_wake(void *self, int64_t timer_id)
{
    om *m = self;
    if (timer_id != m->wake_timer)
        return;
    m->wake_timer = 0;
    pump(m);
}

static void arm(om *m, int64_t ms)
{
    if (m->wake_timer)
        m->api->timer_cancel(m->ctx, m->wake_timer);
    int64_t id = m->api->timer_add(m->ctx, (uint32_t)(ms < 0 ? 0 : ms > 86400000 ? 86400000 : ms), 0, on_wake);
    m->wake_timer = id > 0 ? id : 0;
}

static void end_cycle(om *m, int ok)
{
    int64_t now = mono_ms();
    m->step = STEP_IDLE;
    m->n_lookups = m->i_lookup = 0;
    m->sweep_tag = 0;
    if (ok) {
        m->next_cycle_ms = m->cycle_started_ms + m->poll_ms;
    } else {
        /* The wish the sweep was answering is still open; the backoff (or the
         * poll interval for a plain failure) spaces the retry. */
        m->reconcile |= m->cycle_reconciles;
        m->next_cycle_ms = now;
    }
    m->cycle_reconciles = 0;
}

static void send_step(om *m)
{
    char query[128];
    const char *path, *q = NULL;
    switch (m->step) {
    case STEP_ACCOUNTS:
        path = "/v1/accounts";
        m->accounts_since = m->bal.seq;
        break;
    case STEP_OPEN:
        path = "/v1/orders/open";
        snprintf(query, sizeof query, "states[]=wait&states[]=watch&limit=%d&page=%d", OPEN_PAGE_LIMIT,
                 m->page);
        q = query;
        break;
    case STEP_LOOKUP:
        path = "/v1/order";
        snprintf(query, sizeof query, "uuid=%s", m->lookups[m->i_lookup]);
        q = query;
        break;
    default:
        return;
    }
    int64_t id = m->api->rest_private_get(m->ctx, path, q, on_reply);
    if (id > 0) {
        m->inflight = id;
        return;
    }
    end_cycle(m, 0);
    if (id == UPWS_ECLOSED)
        return;   /* stopping */
    if (!m->said_call_error++)
        m->api->log(m->ctx, UPWS_LOG_ERROR, "rest_private_get %s: %s", path, m->api->strerror((int)id));
    m->not_before_ms = mono_ms() + m->poll_ms;
    pump(m);
}

static void pump(om *m)
{
    if (!m->enabled || m->inflight)
        return;
    int64_t now = mono_ms();
    if (m->step == STEP_IDLE) {
        if (!m->polling && !m->reconcile)
            return;
        int64_t due = m->next_cycle_ms > m->not_before_ms ? m->next_cycle_ms : m->not_before_ms;
        if (now < due) {
            arm(m, due - now);
            return;
        }
        m->cycle_reconciles = m->reconcile;
        m->reconcile = 0;
        m->cycle_started_ms = now;
        m->step = STEP_ACCOUNTS;
    } else if (now < m->not_before_ms) {
        arm(m, m->not_before_ms - now);
        return;
    }
    send_step(m);
}

static void on_rest_order(void *arg, const om_update *u)
{
    om *m = arg;
    if (market_wanted(m, u->market))
        apply(m, u, m->sweep_tag);
}

static void report_backoff(om *m, om_bo_change ch, const upws_rest_reply *r, int64_t delay)
{
    if (ch == OM_BO_RECOVERED) {
        m->api->log(m->ctx, UPWS_LOG_INFO, "REST answering again");
        return;
    }
    if (ch != OM_BO_STARTED)
        return;
    char name[64];
    om_rest_error_name(r->body ? r->body : "", r->body ? r->body_len : 0, name, sizeof name);
    switch (m->bo.kind) {
    case OM_BO_RATE:
        m->api->log(m->ctx, UPWS_LOG_WARN, "REST rate limited (HTTP 429 %s): backing off %lld ms, doubling up to %d ms",
                    name, (long long)delay, OM_RATE_MAX_MS);
        break;
    case OM_BO_BLOCKED:
        m->api->log(m->ctx, UPWS_LOG_WARN, "REST blocked (HTTP 418 %s): no call for %lld ms", name,
                    (long long)delay);
        break;
    case OM_BO_AUTH:
        m->api->log(m->ctx, UPWS_LOG_ERROR, "REST refused the API keys (HTTP %d %s): retrying every %d ms",
                    r->http_status, name, OM_AUTH_MS);
        break;
    default:
        if (r->http_status < 0)
            m->api->log(m->ctx, UPWS_LOG_WARN, "REST call got no response (%.160s): retrying in %lld ms",
                        r->body ? r->body : "?", (long long)delay);
        else
            m->api->log(m->ctx, UPWS_LOG_WARN, "REST call failed (HTTP %d %s): retrying in %lld ms",
                        r->http_status, name, (long long)delay);
        break;
    }
}

/* Handles a 2xx (or a lookup's 404) body; advances the step. 0 = unusable body. */
static int take_body(om *m, const upws_rest_reply *r, int not_found)
{
    const char *body = r->body ? r->body : "";
    size_t len = r->body ? r->body_len : 0;
    if (m->step == STEP_ACCOUNTS) {
        om_balances fresh;
        memset(&fresh, 0, sizeof fresh);
        if (om_rest_accounts(body, len, &fresh) < 0)
            return 0;
        if (om_bal_replace(&m->bal, &fresh, m->accounts_since) || !m->bal_known)
            balances_changed(m);
        m->step = STEP_OPEN;
        m->page = 1;
        m->sweep_tag = ++m->orders.sweep;
        return 1;
    }
    if (m->step == STEP_OPEN) {
        int n = om_rest_orders(body, len, on_rest_order, m);
        if (n < 0)
            return 0;
        if (n >= OPEN_PAGE_LIMIT && m->page < OPEN_PAGES_MAX) {
            m->page++;
            return 1;
        }
        /* Only a complete listing proves an order is no longer open. */
        m->n_lookups = n < OPEN_PAGE_LIMIT
                           ? om_orders_vanished(&m->orders, m->sweep_tag, m->markets, m->n_markets,
                                                m->lookups, LOOKUPS_MAX)
                           : 0;
        m->i_lookup = 0;
        m->sweep_tag = 0;
        if (m->n_lookups)
            m->step = STEP_LOOKUP;
        else
            end_cycle(m, 1);
        return 1;
    }
    if (m->step == STEP_LOOKUP) {
        const char *uuid = m->lookups[m->i_lookup];
        if (not_found) {
            m->api->log(m->ctx, UPWS_LOG_WARN,
                        "order %s left the open orders and GET /v1/order does not know it: forgotten", uuid);
            om_orders_forget(&m->orders, uuid);
        } else if (om_rest_orders(body, len, on_rest_order, m) != 1) {
            return 0;
        }
        if (++m->i_lookup == m->n_lookups)
            end_cycle(m, 1);
        return 1;
    }
    return 1;
}

static void on_reply(void *self, const upws_rest_reply *r)
{
    om *m = self;
    if (r->request_id != m->inflight)
        return;
    m->inflight = 0;
    int not_found = m->step == STEP_LOOKUP && r->http_status == 404;
    int status = not_found ? 200 : r->http_status;   /* a lookup's 404 is an answer */
    int64_t block = status == 418 && r->body ? om_rest_block_ms(r->body, r->body_len) : -1;
    om_bo_change ch;
    int64_t delay = om_backoff_next(&m->bo, status, r->remaining_sec, block, real_ms(), m->poll_ms, &ch);
    m->not_before_ms = mono_ms() + delay;
    report_backoff(m, ch, r, delay);
    if (status < 200 || status >= 300) {
        end_cycle(m, 0);
    } else if (!take_body(m, r, not_found)) {
        if (!m->said_bad_body++)
            m->api->log(m->ctx, UPWS_LOG_WARN, "REST answer not understood (step %d): %.160s", (int)m->step,
                        r->body ? r->body : "");
        end_cycle(m, 0);
        /* Never a tight loop, even when every answer is unusable. */
        if (m->not_before_ms < mono_ms() + m->poll_ms)
            m->not_before_ms = mono_ms() + m->poll_ms;
    }
    pump(m);
}

/* ---- status ------------------------------------------------------------------- */

static void om_on_status(void *self, const upws_status *st)
{
    om *m = self;
    if (!m->enabled || !st->private_conn)
        return;
    switch (st->kind) {
    case UPWS_STATUS_DOWN:
        m->stream_up = 0;
        if (st->name && strcmp(st->name, "INVALID_AUTH") == 0) {
            if (!m->said_invalid_auth++)
                m->api->log(m->ctx, UPWS_LOG_ERROR,
                            "private stream refused the API keys (INVALID_AUTH): polling REST every %lld ms",
                            (long long)m->poll_ms);
        } else if (!m->polling) {
            m->api->log(m->ctx, UPWS_LOG_WARN, "private stream down: polling REST every %lld ms",
                        (long long)m->poll_ms);
        }
        if (!m->polling) {
            m->polling = 1;
            m->next_cycle_ms = mono_ms();   /* first poll now (backoff permitting) */
        }
        break;
    case UPWS_STATUS_UP:
    case UPWS_STATUS_GAP:
        /* A restore comes as GAP then UP: the first one does the work. */
        if (m->stream_up)
            break;
        m->stream_up = 1;
        if (m->polling)
            m->api->log(m->ctx, UPWS_LOG_INFO, "private stream restored: polling stopped");
        /* Events are sent only on changes: whatever happened before the
         * stream came back is learnt from one last sweep. */
        m->polling = 0;
        m->reconcile = 1;
        m->next_cycle_ms = mono_ms();
        break;
    case UPWS_STATUS_DROPPED:
        m->api->log(m->ctx, UPWS_LOG_WARN, "%llu private events dropped: reconciling with REST",
                    (unsigned long long)st->count);
        m->reconcile = 1;
        m->next_cycle_ms = mono_ms();
        break;
    case UPWS_STATUS_UPSTREAM_ERROR:
        m->api->log(m->ctx, UPWS_LOG_ERROR, "Upbit refused a private subscription (%s): %s",
                    st->name ? st->name : "?", st->message ? st->message : "");
        break;
    default:
        break;
    }
    pump(m);
}

/* ---- lifecycle ---------------------------------------------------------------- */

static void om_free(om *m)
{
    if (!m)
        return;
    if (m->out)
        fclose(m->out);
    om_orders_free(&m->orders);
    om_bal_free(&m->bal);
    free(m->lookups);
    free_held(m);
    free(m->held);
    free(m);
}

static int read_config(om *m)
{
    upws_ctx *ctx = m->ctx;
    const upws_host_api *api = m->api;
    int rc = api->config_list(ctx, "markets", &m->markets, &m->n_markets);
    if (rc == UPWS_ENOENT) {
        m->markets = NULL;
        m->n_markets = 0;
    } else if (rc != UPWS_OK) {
        api->log(ctx, UPWS_LOG_ERROR, "config key 'markets': a list of market codes (KRW-BTC, …)");
        return -1;
    }
    m->poll_ms = POLL_DEFAULT_MS;
    rc = api->config_int(ctx, "poll_interval_ms", &m->poll_ms);
    if (rc == UPWS_ETYPE || m->poll_ms < POLL_MIN_MS || m->poll_ms > POLL_MAX_MS) {
        api->log(ctx, UPWS_LOG_ERROR, "config key 'poll_interval_ms': an integer in %d..%d", POLL_MIN_MS,
                 POLL_MAX_MS);
        return -1;
    }
    const char *s = NULL;
    rc = api->config_str(ctx, "balances_file", &s);
    if (rc == UPWS_ETYPE || (rc == UPWS_OK && !*s)) {
        api->log(ctx, UPWS_LOG_ERROR, "config key 'balances_file': a file path");
        return -1;
    }
    m->balances_path = rc == UPWS_OK ? s : NULL;
    rc = api->config_str(ctx, "output", &s);
    if (rc == UPWS_ETYPE || (rc == UPWS_OK && !*s)) {
        api->log(ctx, UPWS_LOG_ERROR, "config key 'output': a file path");
        return -1;
    }
    if (rc == UPWS_OK && api->private_available(ctx) && !(m->out = fopen(s, "a"))) {
        api->log(ctx, UPWS_LOG_ERROR, "config key 'output': cannot open %s: %s", s, strerror(errno));
        return -1;
    }
    return 0;
}

static int subscribe(om *m, const char *type, const char *const *codes, size_t n)
{
    upws_want want;
    memset(&want, 0, sizeof want);
    want.struct_size = sizeof want;
    want.type = type;
    want.codes = codes;
    want.n_codes = n;
    want.delivery = UPWS_DELIVERY_LOSSLESS;
    int64_t id = m->api->subscribe(m->ctx, &want);
    if (id <= 0)
        m->api->log(m->ctx, UPWS_LOG_ERROR, "cannot subscribe to %s: %s", type, m->api->strerror((int)id));
    return id > 0 ? 0 : -1;
}

static int om_init(upws_ctx *ctx, const upws_host_api *api, void **self)
{
    *self = NULL;
    if (api->abi_major != UPWS_ABI_MAJOR || !UPWS_API_HAS(api, rest_private_get)) {
        api->log(ctx, UPWS_LOG_ERROR, "needs a host with ABI 1.2 (private data and REST)");
        return -1;
    }
    om *m = calloc(1, sizeof *m);
    if (!m)
        return -1;
    m->ctx = ctx;
    m->api = api;
    if (read_config(m) != 0) {
        om_free(m);   /* stop() is not called after a refused init */
        return -1;
    }
    if (!api->private_available(ctx)) {
        api->log(ctx, UPWS_LOG_INFO, "disabled: no API keys");
        *self = m;    /* stays loaded and idle: no subscription, no timer */
        return 0;
    }
    m->enabled = 1;
    m->lookups = calloc(LOOKUPS_MAX, sizeof *m->lookups);
    m->held = calloc(HELD_LINES_MAX, sizeof *m->held);
    if (!m->lookups || !m->held || subscribe(m, "myOrder", m->markets, m->n_markets) != 0 ||
        subscribe(m, "myAsset", NULL, 0) != 0) {
        om_free(m);   /* the host sweeps a subscription that did succeed */
        return -1;
    }
    /* myOrder/myAsset have no snapshot: what is open now comes from REST. */
    m->reconcile = 1;
    arm(m, 0);
    if (!m->wake_timer) {
        api->log(ctx, UPWS_LOG_ERROR, "cannot add a timer");
        om_free(m);
        return -1;
    }
    if (m->n_markets)
        api->log(ctx, UPWS_LOG_INFO, "watching orders in %zu market(s) and balances; REST every %lld ms while the private stream is down",
                 m->n_markets, (long long)m->poll_ms);
    else
        api->log(ctx, UPWS_LOG_INFO, "watching orders in every market and balances; REST every %lld ms while the private stream is down",
                 (long long)m->poll_ms);
    *self = m;
    return 0;
}

static void om_stop(void *self)
{
    om_free(self);   /* subscriptions, timers and pending REST calls are released by the host */
}

/* ---- hot reload (ABI 1.1) -------------------------------------------------------- */

#define BLOB_SEPARATOR "--balances--\n"

static void on_unmute(void *self, int64_t timer_id)
{
    om *m = self;
    if (timer_id != m->unmute_timer)
        return;
    m->unmute_timer = 0;
    m->muted = 0;
    m->api->log(m->ctx, UPWS_LOG_WARN,
                "still running %d ms after handing over (the new build did not start?): writing %zu held line(s)%s",
                MUTE_MS, m->n_held, m->held_dropped ? ", some were dropped" : "");
    for (size_t i = 0; i < m->n_held; i++)
        write_line(m, m->held[i].line, m->held[i].seen_ms);
    free_held(m);
    m->held_dropped = 0;
}

/* The new instance starts from this table and reconciles with REST at once,
 * so what this one sees from now on would be written twice during the
 * overlap: it holds its lines back instead. The host stops it as soon as the
 * new one runs; if that does not happen (the new build failed), it writes
 * the held lines and carries on. */
static int om_save_state(void *self, void **blob, size_t *len)
{
    om *m = self;
    *blob = NULL;
    if (!m->enabled)
        return -1;
    char *orders = om_orders_save(&m->orders);
    char *bal = om_bal_file_text(&m->bal);
    char *out = NULL;
    if (orders && bal) {
        size_t n = strlen(orders) + strlen(BLOB_SEPARATOR) + strlen(bal) + 1;
        if ((out = malloc(n)))
            snprintf(out, n, "%s%s%s", orders, BLOB_SEPARATOR, bal);
    }
    free(orders);
    free(bal);
    if (!out)
        return -1;
    *blob = out;
    *len = strlen(out);
    m->muted = 1;
    m->unmute_timer = m->api->timer_add(m->ctx, MUTE_MS, 0, on_unmute);
    return 0;
}

static int om_restore_state(void *self, const void *blob, size_t len)
{
    om *m = self;
    if (!m->enabled)
        return 0;
    char *text = malloc(len + 1);
    if (!text)
        return -1;
    memcpy(text, blob, len);
    text[len] = '\0';
    char *sep = strstr(text, BLOB_SEPARATOR);
    om_balances bal;
    memset(&bal, 0, sizeof bal);
    int rc = -1;
    if (sep) {
        *sep = '\0';
        if (om_bal_parse_file(&bal, sep + strlen(BLOB_SEPARATOR)) == 0 &&
            om_orders_restore(&m->orders, text) == 0) {
            om_bal_replace(&m->bal, &bal, UINT64_MAX);
            m->bal_known = 1;
            rc = 0;
        }
    }
    om_bal_free(&bal);
    free(text);
    if (rc == 0)
        m->api->log(m->ctx, UPWS_LOG_INFO, "state taken over: %zu open order(s), %zu balance(s)", m->orders.n,
                    m->bal.n);
    return rc;
}

static const char *const config_keys[] = {"markets", "poll_interval_ms", "output", "balances_file", NULL};

UPWS_PLUGIN = {
    .struct_size = sizeof(upws_plugin),
    .abi_major = UPWS_ABI_MAJOR,
    .abi_minor = UPWS_ABI_MINOR,
    .name = "order_monitor",
    .version = "0.1.0",
    .description = "logs every state change of your orders and keeps your balances (private streams, REST fallback)",
    .config_keys = config_keys,
    .init = om_init,
    .on_event = om_on_event,
    .on_status = om_on_status,
    .stop = om_stop,
    .save_state = om_save_state,
    .restore_state = om_restore_state,
};
