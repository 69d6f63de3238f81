/*
 * redis_publisher.c — publishes market data to Redis Streams: one stream per
 * (type, code), one entry per event, fields named as in Upbit's DEFAULT
 * format with the values exactly as received.
 *
 * This file holds the descriptor, the stream table and the callbacks, all on
 * the plugin thread. on_event never waits for Redis: it copies the event into
 * a queue item and returns. rp_io.c owns the connection on its own thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <upws/plugin.h>

#include "rp.h"

#define REPORT_MS 10000      /* how often drops are reported */
#define DROP_WARN_NS (10 * 1000000000LL)
#define STOP_FLUSH_MS 2000   /* stop() flushes at most this long; the host allows 10 s for all */

/* ---- stream table -------------------------------------------------------- */

static uint32_t hash_code(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static int build_code_index(rp *p)
{
    size_t n = 16;
    while (n < p->n_codes * 2)
        n *= 2;
    p->code_slots = calloc(n, sizeof *p->code_slots);
    if (!p->code_slots)
        return -1;
    p->n_code_slots = n;
    for (size_t i = 0; i < p->n_codes; i++) {
        size_t j = hash_code(p->codes[i]) & (n - 1);
        while (p->code_slots[j])
            j = (j + 1) & (n - 1);
        p->code_slots[j] = (uint32_t)i + 1;
    }
    return 0;
}

static long code_index(const rp *p, const char *code)
{
    size_t mask = p->n_code_slots - 1;
    for (size_t j = hash_code(code) & mask;; j = (j + 1) & mask) {
        uint32_t v = p->code_slots[j];
        if (!v)
            return -1;
        if (strcmp(p->codes[v - 1], code) == 0)
            return (long)v - 1;
    }
}

static int kind_of_type(const char *t)
{
    if (strcmp(t, "ticker") == 0)
        return RP_TICKER;
    if (strcmp(t, "trade") == 0)
        return RP_TRADE;
    if (strcmp(t, "orderbook") == 0)
        return RP_ORDERBOOK;
    return RP_CANDLE; /* the config only lets candle.* through otherwise */
}

static int build_streams(rp *p)
{
    p->n_streams = p->n_types * p->n_codes;
    p->streams = calloc(p->n_streams, sizeof *p->streams);
    if (!p->streams || build_code_index(p) != 0)
        return -1;
    for (size_t t = 0; t < p->n_types; t++) {
        for (size_t c = 0; c < p->n_codes; c++) {
            rp_stream *s = &p->streams[t * p->n_codes + c];
            s->type_name = p->types[t];
            s->code = p->codes[c];
            s->kind = (rp_kind)kind_of_type(p->types[t]);
            s->key = rp_expand_key(p->key_pattern, s->type_name, s->code, &s->key_len);
            if (!s->key)
                return -1;
        }
    }
    return 0;
}

/* The stream of ev, or NULL when this instance does not publish it. */
static rp_stream *stream_of(rp *p, const upws_event *ev, uint32_t *index)
{
    for (size_t t = 0; t < p->n_types; t++) {
        if (strcmp(p->types[t], ev->type_name) != 0)
            continue;
        long c = code_index(p, ev->code);
        if (c < 0)
            return NULL;
        *index = (uint32_t)(t * p->n_codes + (size_t)c);
        return &p->streams[*index];
    }
    return NULL;
}

/* ---- events -------------------------------------------------------------- */

static void note_drop(rp *p, rp_stream *s, int64_t at_ns)
{
    if (s->drop_pending++ == 0)
        s->drop_since_ns = at_ns;
    s->drop_until_ns = at_ns;
    p->dropped++;
    if (p->dropping)
        return;
    p->dropping = 1;
    int64_t now = rp_mono_ns();
    if (p->last_drop_warn_ns && now - p->last_drop_warn_ns < DROP_WARN_NS)
        return;
    p->last_drop_warn_ns = now;
    RP_LOG(p, UPWS_LOG_WARN, "buffer full (%zu events): dropping events until Redis catches "
           "up; each stream gets a gap marker with the count", p->buffer);
}

/* The marker for the events of s this plugin dropped since its last entry. */
static rp_item *take_drop_marker(rp *p, rp_stream *s, uint32_t index)
{
    if (!s->drop_pending)
        return NULL;
    rp_item *m = rp_item_marker(RP_ITEM_DROPS, index, "dropped", s->drop_since_ns,
                                s->drop_until_ns, s->drop_pending);
    if (!m) {
        RP_LOG(p, UPWS_LOG_ERROR, "out of memory: gap marker for %s delayed", s->key);
        return NULL;
    }
    s->drop_pending = 0;
    return m;
}

static int event_usable(const upws_event *ev)
{
    return ev && ev->struct_size >= offsetof(upws_event, candle) + sizeof ev->candle &&
           ev->type_name && ev->code;
}

static void rp_on_event(void *self, const upws_event *ev)
{
    rp *p = self;
    uint32_t index;
    rp_stream *s = event_usable(ev) ? stream_of(p, ev, &index) : NULL;
    if (!s) {
        if (p->ignored++ == 0)
            RP_LOG(p, UPWS_LOG_WARN, "ignoring an event this instance does not publish (%s %s)",
                   ev && ev->type_name ? ev->type_name : "?", ev && ev->code ? ev->code : "?");
        return;
    }
    /* Only this thread adds to `buffered`, so room seen here cannot vanish. */
    if (atomic_load(&p->buffered) >= p->buffer) {
        note_drop(p, s, ev->recv_time_ns > 0 ? ev->recv_time_ns : rp_wall_ns());
        return;
    }
    rp_item *it = rp_item_from_event(p, index, ev);
    if (!it) {
        note_drop(p, s, rp_wall_ns());
        return;
    }
    p->dropping = 0;
    rp_item *marker = take_drop_marker(p, s, index);
    if (marker) {
        marker->next = it; /* the marker sits exactly where the events are missing */
        rp_enqueue(p, marker, it, 1);
    } else {
        rp_enqueue(p, it, it, 1);
    }
}

/* ---- status, timer ---------------------------------------------------------- */

/* A marker for every stream this instance has published to. Markers do
 * not count against `buffer`: they are few and must not be lost. */
static void mark_all(rp *p, const char *reason, int64_t since, int64_t until, uint64_t count)
{
    rp_item *m = rp_item_marker(RP_ITEM_GAP_ALL, 0, reason, since, until, count);
    if (!m) {
        RP_LOG(p, UPWS_LOG_ERROR, "out of memory: gap marker (%s) not written", reason);
        return;
    }
    rp_enqueue(p, m, m, 0);
}

static void rp_on_status(void *self, const upws_status *st)
{
    rp *p = self;
    if (!st)
        return;
    switch (st->kind) {
    case UPWS_STATUS_DOWN:
        mark_all(p, "disconnected", st->since_ns, 0, 0);
        break;
    case UPWS_STATUS_GAP:
        mark_all(p, "disconnected", st->since_ns, st->until_ns, 0);
        RP_LOG(p, UPWS_LOG_INFO, "exchange data gap of %.3f s marked in every stream",
               (double)(st->until_ns - st->since_ns) / 1e9);
        break;
    case UPWS_STATUS_DROPPED: {
        int64_t now = rp_wall_ns();
        p->host_dropped += st->count;
        mark_all(p, "host_dropped", now, now, st->count);
        RP_LOG(p, UPWS_LOG_WARN, "the host dropped %llu events for this instance (inbox full); "
               "marked in every stream", (unsigned long long)st->count);
        break;
    }
    case UPWS_STATUS_UNSERVED:
    case UPWS_STATUS_UPSTREAM_ERROR:
        RP_LOG(p, UPWS_LOG_WARN, "upstream: %s%s%s", st->name ? st->name : "",
               st->name && st->message ? ": " : "", st->message ? st->message : "");
        break;
    default:
        break;
    }
}

/* The SDK has no metrics call yet, so drops are reported in the log. */
static void rp_on_timer(void *self, int64_t timer_id)
{
    (void)timer_id;
    rp *p = self;
    if (p->dropped == p->dropped_reported)
        return;
    RP_LOG(p, UPWS_LOG_WARN, "dropped %llu events in the last %d s (buffer of %zu full: Redis "
           "down or too slow); dropped=%llu since start",
           (unsigned long long)(p->dropped - p->dropped_reported), REPORT_MS / 1000, p->buffer,
           (unsigned long long)p->dropped);
    p->dropped_reported = p->dropped;
}

/* ---- life cycle ---------------------------------------------------------------- */

static int build_columns(rp *p)
{
    for (int k = 0; k < RP_NKINDS; k++)
        if (rp_columns_build(&p->cols[k], (rp_kind)k, p->depth) != 0)
            return -1;
    return 0;
}

static int subscribe_all(rp *p)
{
    for (size_t i = 0; i < p->n_types; i++) {
        upws_want w;
        memset(&w, 0, sizeof w);
        w.struct_size = sizeof w;
        w.type = p->types[i];
        w.codes = p->codes;
        w.n_codes = p->n_codes;
        w.depth = strcmp(w.type, "orderbook") == 0 ? p->depth : 0;
        /* Every message is wanted, and an overflow is reported, never conflated. */
        w.delivery = UPWS_DELIVERY_LOSSLESS;
        int64_t id = p->api->subscribe(p->ctx, &w);
        if (id <= 0) {
            RP_LOG(p, UPWS_LOG_ERROR, "cannot subscribe to %s: %s", w.type,
                   p->api->strerror((int)id));
            return -1;
        }
    }
    return 0;
}

static int start_timer(rp *p)
{
    int64_t id = p->api->timer_add(p->ctx, REPORT_MS, REPORT_MS, rp_on_timer);
    if (id <= 0) {
        RP_LOG(p, UPWS_LOG_ERROR, "cannot start the report timer: %s",
               p->api->strerror((int)id));
        return -1;
    }
    return 0;
}

static void rp_free(rp *p)
{
    rp_io_stop(p, 0);
    rp_io_free(p);
    for (size_t i = 0; i < p->n_streams && p->streams; i++)
        free(p->streams[i].key);
    free(p->streams);
    free(p->code_slots);
    for (int k = 0; k < RP_NKINDS; k++)
        rp_columns_free(&p->cols[k]);
    free(p->vals);
    rp_url_free(&p->url);
    free(p);
}

static void log_started(rp *p)
{
    char maxlen[32];
    snprintf(maxlen, sizeof maxlen, "~%llu", (unsigned long long)p->maxlen);
    RP_LOG(p, UPWS_LOG_INFO,
           "publishing %zu stream(s) (%zu type(s) x %zu code(s)) to %s as %s, MAXLEN %s, "
           "buffer %zu events, batch %zu", p->n_streams, p->n_types, p->n_codes,
           p->url.display, p->streams[0].key, p->maxlen ? maxlen : "off", p->buffer,
           p->batch_max);
}

static int api_usable(const upws_host_api *api)
{
    return api && api->abi_major == UPWS_ABI_MAJOR && UPWS_API_HAS(api, strerror) &&
           api->log && api->subscribe && api->timer_add && api->config_str &&
           api->config_int && api->config_list && api->event_field && api->strerror &&
           api->instance_name;
}

static int rp_init(upws_ctx *ctx, const upws_host_api *api, void **self)
{
    *self = NULL;
    if (!api_usable(api))
        return -1; /* cannot even log: the host's table is not ABI 1 */
    rp *p = calloc(1, sizeof *p);
    if (!p) {
        api->log(ctx, UPWS_LOG_ERROR, "out of memory");
        return -1;
    }
    p->ctx = ctx;
    p->api = api;
    if (rp_read_config(p) != 0) {
        rp_free(p); /* stop() is not called after a refused init */
        return -1;
    }
    if (build_columns(p) != 0 || build_streams(p) != 0) {
        RP_LOG(p, UPWS_LOG_ERROR, "out of memory");
        rp_free(p);
        return -1;
    }
    if (rp_io_start(p) != 0) {
        RP_LOG(p, UPWS_LOG_ERROR, "cannot start the I/O thread");
        rp_free(p);
        return -1;
    }
    if (subscribe_all(p) != 0 || start_timer(p) != 0) {
        rp_free(p); /* joins the thread; the host sweeps the subscriptions */
        return -1;
    }
    log_started(p);
    *self = p;
    return 0;
}

static void rp_stop(void *self)
{
    rp *p = self;
    if (!p)
        return;
    /* Drops not followed by an accepted event still get their marker. */
    for (size_t i = 0; i < p->n_streams; i++) {
        rp_item *m = take_drop_marker(p, &p->streams[i], (uint32_t)i);
        if (m)
            rp_enqueue(p, m, m, 0);
    }
    rp_io_stop(p, STOP_FLUSH_MS);
    rp_io_free(p);
    RP_LOG(p, atomic_load(&p->unsent) || p->dropped ? UPWS_LOG_WARN : UPWS_LOG_INFO,
           "stopped: published=%llu markers=%llu dropped=%llu unsent=%llu refused=%llu "
           "resent_present=%llu dup_trades=%llu host_dropped=%llu",
           (unsigned long long)atomic_load(&p->published),
           (unsigned long long)atomic_load(&p->markers), (unsigned long long)p->dropped,
           (unsigned long long)atomic_load(&p->unsent),
           (unsigned long long)atomic_load(&p->rejected),
           (unsigned long long)atomic_load(&p->resent_dups),
           (unsigned long long)atomic_load(&p->dup_trades),
           (unsigned long long)p->host_dropped);
    rp_free(p);
}

static const char *const config_keys[] = {
    "url", "types", "codes", "depth", "maxlen", "key_pattern", "buffer", "batch", NULL,
};

UPWS_PLUGIN = {
    .struct_size = sizeof(upws_plugin),
    .abi_major = UPWS_ABI_MAJOR,
    .abi_minor = UPWS_ABI_MINOR,
    .name = "redis_publisher",
    .version = "0.1.0",
    .description = "publishes market data to Redis Streams, one stream per type and code",
    .config_keys = config_keys,
    .init = rp_init,
    .on_event = rp_on_event,
    .on_status = rp_on_status,
    .stop = rp_stop,
};
