/*
 * csv_recorder.c — records market data into one CSV file per
 * (type, code, UTC day), with Upbit's DEFAULT field names as columns and the
 * values exactly as they came over the wire. The private types myOrder and
 * myAsset are recorded too when the host has API keys; myAsset carries no
 * code, its files use the token ALL in place of one.
 *
 * This file holds the plugin descriptor, the configuration, the table of
 * (type, code) streams and the callbacks; csv_columns.c knows the columns,
 * csv_file.c the files.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <upws/plugin.h>

#include "csv_columns.h"
#include "csv_file.h"
#include "csv_util.h"

#define DEFAULT_DEPTH 15
#define DEFAULT_FLUSH_MS 1000
#define MIN_FLUSH_MS 10
#define MAX_FLUSH_MS 3600000
#define MAX_CODE_LEN 23  /* the host accepts codes up to 23 characters */
#define SEEN_IDS 64      /* recent trade sequential_ids remembered per code */
#define DAY_GRACE_MS 300000 /* keep yesterday's file open a while for late events */
#define ALL_CODE "ALL"      /* file-name token of events without a code (myAsset) */

static const char *const known_types[] = {
    "ticker", "trade", "orderbook", "candle.1s", "candle.1m", "candle.3m", "candle.5m",
    "candle.10m", "candle.15m", "candle.30m", "candle.60m", "candle.240m",
    "myOrder", "myAsset",
};

static int is_private_type(const char *t)
{
    return strcmp(t, "myOrder") == 0 || strcmp(t, "myAsset") == 0;
}

typedef struct stream {
    const char *type_name; /* points into the same allocation */
    const char *code;      /* as in the events ("" for myAsset) */
    uint32_t hash;
    csv_kind kind;
    csv_file file;
    int64_t seen[SEEN_IDS]; /* trade dedupe ring */
    unsigned n_seen, seen_next;
} stream;

typedef struct recorder {
    csv_env env;
    char *dir;                  /* absolute, owned */
    const char *const *types;   /* host-owned config items, valid until stop */
    size_t n_types;
    const char *const *codes;
    size_t n_codes;
    uint32_t depth, flush_ms;
    csv_columns cols[CSV_NKINDS];
    stream **slots;             /* open addressing, power-of-two size */
    size_t n_slots, n_streams;
    csv_buf scratch;            /* reused for JSON string unescaping */
    uint64_t rows, drops, dup_trades, ignored; /* for the summary at stop */
} recorder;

#define LOG(r, lvl, ...) (r)->env.api->log((r)->env.ctx, (lvl), __VA_ARGS__)

/* ---- configuration ----------------------------------------------------- */

/* A required, non-empty list key. */
static int cfg_list(recorder *r, const char *key, const char *const **items, size_t *n)
{
    const upws_host_api *api = r->env.api;
    int rc = api->config_list(r->env.ctx, key, items, n);
    if (rc == UPWS_ETYPE) {
        LOG(r, UPWS_LOG_ERROR, "config key '%s': must be a list, e.g. %s: [a, b]", key, key);
        return -1;
    }
    if (rc == UPWS_ENOENT || (rc == UPWS_OK && *n == 0)) {
        LOG(r, UPWS_LOG_ERROR, "config key '%s': required, a non-empty list", key);
        return -1;
    }
    if (rc != UPWS_OK) {
        LOG(r, UPWS_LOG_ERROR, "config key '%s': %s", key, api->strerror(rc));
        return -1;
    }
    return 0;
}

/* An integer key with a default; a quoted number ("15") is accepted too. */
static int cfg_int(recorder *r, const char *key, int64_t def, int64_t *out)
{
    const upws_host_api *api = r->env.api;
    int rc = api->config_int(r->env.ctx, key, out);
    if (rc == UPWS_ENOENT) {
        *out = def;
        return 0;
    }
    if (rc == UPWS_OK)
        return 0;
    const char *s = NULL;
    if (rc == UPWS_ETYPE && api->config_str(r->env.ctx, key, &s) == UPWS_OK && *s) {
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno == 0 && *end == '\0') {
            *out = v;
            return 0;
        }
    }
    LOG(r, UPWS_LOG_ERROR, "config key '%s': must be an integer", key);
    return -1;
}

static int is_known_type(const char *t)
{
    for (size_t i = 0; i < sizeof known_types / sizeof known_types[0]; i++)
        if (strcmp(t, known_types[i]) == 0)
            return 1;
    return 0;
}

/* Index of the first earlier item equal to items[i], or -1. */
static int dup_index(const char *const *items, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (strcmp(items[j], items[i]) == 0)
            return (int)j;
    return -1;
}

/* Upbit market codes: QUOTE-BASE, upper case letters and digits. They end up
 * in file names, so nothing else may pass. */
static int is_market_code(const char *c)
{
    size_t n = strlen(c), dash = 0, pos = 0;
    if (n < 3 || n > MAX_CODE_LEN)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (c[i] == '-') {
            dash++;
            pos = i;
        } else if (!(c[i] >= 'A' && c[i] <= 'Z') && !(c[i] >= '0' && c[i] <= '9')) {
            return 0;
        }
    }
    return dash == 1 && pos > 0 && pos < n - 1;
}

static int read_types(recorder *r)
{
    if (cfg_list(r, "types", &r->types, &r->n_types) != 0)
        return -1;
    for (size_t i = 0; i < r->n_types; i++) {
        if (!is_known_type(r->types[i])) {
            LOG(r, UPWS_LOG_ERROR,
                "config key 'types': unknown type '%s' (expected ticker, trade, orderbook, "
                "candle.1s, candle.1m, candle.3m, candle.5m, candle.10m, candle.15m, "
                "candle.30m, candle.60m, candle.240m, myOrder or myAsset)", r->types[i]);
            return -1;
        }
        if (dup_index(r->types, i) >= 0) {
            LOG(r, UPWS_LOG_ERROR, "config key 'types': '%s' is listed twice", r->types[i]);
            return -1;
        }
    }
    return 0;
}

static int read_codes(recorder *r)
{
    if (cfg_list(r, "codes", &r->codes, &r->n_codes) != 0)
        return -1;
    for (size_t i = 0; i < r->n_codes; i++) {
        if (!is_market_code(r->codes[i])) {
            LOG(r, UPWS_LOG_ERROR,
                "config key 'codes': '%s' is not an upper-case market code like KRW-BTC",
                r->codes[i]);
            return -1;
        }
        if (dup_index(r->codes, i) >= 0) {
            LOG(r, UPWS_LOG_ERROR, "config key 'codes': '%s' is listed twice", r->codes[i]);
            return -1;
        }
    }
    return 0;
}

static int read_numbers(recorder *r)
{
    int64_t depth, flush;
    if (cfg_int(r, "depth", DEFAULT_DEPTH, &depth) != 0 ||
        cfg_int(r, "flush_interval_ms", DEFAULT_FLUSH_MS, &flush) != 0)
        return -1;
    if (depth != 1 && depth != 5 && depth != 15 && depth != 30) {
        LOG(r, UPWS_LOG_ERROR, "config key 'depth': %lld is not one of 1, 5, 15, 30",
            (long long)depth);
        return -1;
    }
    if (flush < MIN_FLUSH_MS || flush > MAX_FLUSH_MS) {
        LOG(r, UPWS_LOG_ERROR, "config key 'flush_interval_ms': %lld is outside %d..%d",
            (long long)flush, MIN_FLUSH_MS, MAX_FLUSH_MS);
        return -1;
    }
    r->depth = (uint32_t)depth;
    r->flush_ms = (uint32_t)flush;
    return 0;
}

/* Create the directory and keep its absolute path, so the files stay put
 * whatever the host's working directory does later. */
static int read_dir(recorder *r)
{
    const char *dir = NULL;
    int rc = r->env.api->config_str(r->env.ctx, "dir", &dir);
    if (rc == UPWS_ENOENT || (rc == UPWS_OK && !*dir)) {
        LOG(r, UPWS_LOG_ERROR, "config key 'dir': required, the directory for the CSV files");
        return -1;
    }
    if (rc != UPWS_OK) {
        LOG(r, UPWS_LOG_ERROR, "config key 'dir': must be a string (a directory path)");
        return -1;
    }
    char eb[128];
    int err = csv_mkdir_p(dir);
    if (err) {
        LOG(r, UPWS_LOG_ERROR, "config key 'dir': cannot create '%s': %s", dir,
            csv_strerror(err, eb, sizeof eb));
        return -1;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        LOG(r, UPWS_LOG_ERROR, "config key 'dir': '%s' is not writable: %s", dir,
            csv_strerror(errno, eb, sizeof eb));
        return -1;
    }
    r->dir = realpath(dir, NULL);
    if (!r->dir) {
        LOG(r, UPWS_LOG_ERROR, "config key 'dir': cannot resolve '%s': %s", dir,
            csv_strerror(errno, eb, sizeof eb));
        return -1;
    }
    return 0;
}

static int read_config(recorder *r)
{
    if (read_types(r) != 0 || read_codes(r) != 0 || read_numbers(r) != 0)
        return -1;
    return read_dir(r);
}

/* ---- stream table (type, code) → stream ----------------------------------- */

static uint32_t key_hash(const char *type_name, const char *code)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *s = type_name; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    h = (h ^ 0xFFu) * 16777619u; /* separator: "ab"+"c" ≠ "a"+"bc" */
    for (const char *s = code; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static stream *table_find(const recorder *r, const char *type_name, const char *code,
                          uint32_t h)
{
    if (!r->n_slots)
        return NULL;
    size_t mask = r->n_slots - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        stream *s = r->slots[i];
        if (!s)
            return NULL;
        if (s->hash == h && strcmp(s->type_name, type_name) == 0 && strcmp(s->code, code) == 0)
            return s;
    }
}

static void slot_put(stream **slots, size_t n_slots, stream *s)
{
    size_t mask = n_slots - 1;
    size_t i = s->hash & mask;
    while (slots[i])
        i = (i + 1) & mask;
    slots[i] = s;
}

/* Keep the load at most 1/2 so probes stay short. */
static int table_grow(recorder *r)
{
    if ((r->n_streams + 1) * 2 <= r->n_slots)
        return 0;
    size_t n = r->n_slots ? r->n_slots * 2 : 64;
    stream **slots = calloc(n, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < r->n_slots; i++)
        if (r->slots[i])
            slot_put(slots, n, r->slots[i]);
    free(r->slots);
    r->slots = slots;
    r->n_slots = n;
    return 0;
}

/* Type names and codes of events end up in file names: letters, digits,
 * '.', '-', '_' only, and not starting with '.'. */
static int safe_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > MAX_CODE_LEN || s[0] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '-' || c == '_';
        if (!ok)
            return 0;
    }
    return 1;
}

static stream *stream_new(recorder *r, const upws_event *ev, csv_kind kind, uint32_t h,
                          const char *file_code)
{
    size_t tl = strlen(ev->type_name) + 1, cl = strlen(ev->code) + 1;
    stream *s = calloc(1, sizeof *s + tl + cl);
    if (!s)
        return NULL;
    char *names = (char *)(s + 1);
    memcpy(names, ev->type_name, tl);
    memcpy(names + tl, ev->code, cl);
    s->type_name = names;
    s->code = names + tl;
    s->hash = h;
    s->kind = kind;
    const csv_columns *c = &r->cols[kind];
    if (csv_file_init(&s->file, r->dir, s->type_name, file_code, c->header, c->header_len) != 0) {
        free(s);
        return NULL;
    }
    return s;
}

/* The stream of ev, created on its first event (the only allocation of a
 * stream's life besides buffer growth). NULL when it cannot be recorded. */
static stream *stream_of(recorder *r, const upws_event *ev, csv_kind kind)
{
    uint32_t h = key_hash(ev->type_name, ev->code);
    stream *s = table_find(r, ev->type_name, ev->code, h);
    if (s)
        return s;
    /* myAsset has no code: its files say ALL instead. */
    const char *file_code = !*ev->code && csv_kind_private(kind) ? ALL_CODE : ev->code;
    if (!safe_name(ev->type_name) || !safe_name(file_code))
        return NULL;
    if (table_grow(r) != 0 || !(s = stream_new(r, ev, kind, h, file_code))) {
        LOG(r, UPWS_LOG_ERROR, "out of memory: cannot record %s %s", ev->type_name, ev->code);
        return NULL;
    }
    slot_put(r->slots, r->n_slots, s);
    r->n_streams++;
    return s;
}

static void streams_free(recorder *r)
{
    for (size_t i = 0; i < r->n_slots; i++) {
        stream *s = r->slots[i];
        if (!s)
            continue;
        csv_file_free(&s->file, &r->env);
        r->drops += s->file.drops;
        free(s);
        r->slots[i] = NULL;
    }
    free(r->slots);
    r->slots = NULL;
    r->n_slots = r->n_streams = 0;
}

/* ---- events -------------------------------------------------------------- */

/* 1 when this trade was already written (a guard behind the host's dedupe). */
static int seen_trade(stream *s, int64_t id)
{
    for (unsigned i = 0; i < s->n_seen; i++)
        if (s->seen[i] == id)
            return 1;
    s->seen[s->seen_next] = id;
    s->seen_next = (s->seen_next + 1) % SEEN_IDS;
    if (s->n_seen < SEEN_IDS)
        s->n_seen++;
    return 0;
}

/* The file day comes from the exchange time; the arrival time stands in
 * only when a frame carried none. */
static int64_t event_day(const upws_event *ev)
{
    if (ev->timestamp_ms > 0)
        return csv_utc_day(ev->timestamp_ms);
    int64_t ns = ev->recv_time_ns > 0 ? ev->recv_time_ns : csv_wall_ns();
    return csv_utc_day(ns / 1000000);
}

static int event_usable(const upws_event *ev)
{
    return ev && ev->struct_size >= offsetof(upws_event, candle) + sizeof ev->candle &&
           ev->type_name && ev->code;
}

static void append_row(recorder *r, stream *s, const upws_event *ev)
{
    csv_file *f = &s->file;
    if (f->buf.len >= CSV_MAX_BUFFERED) {
        csv_file_dropped(f, &r->env, 1);
        return;
    }
    size_t mark = f->buf.len;
    if (csv_row_append(&r->cols[s->kind], r->env.api, ev, &f->buf, &r->scratch) != 0) {
        f->buf.len = mark; /* never leave half a row behind */
        csv_file_dropped(f, &r->env, 1);
        return;
    }
    f->rows++;
    r->rows++;
    if (f->buf.len >= CSV_FLUSH_AT && !f->failing)
        csv_file_flush(f, &r->env);
}

static void rec_on_event(void *self, const upws_event *ev)
{
    recorder *r = self;
    int kind = event_usable(ev) ? csv_kind_of(ev->type) : -1;
    stream *s = kind >= 0 ? stream_of(r, ev, (csv_kind)kind) : NULL;
    if (!s) {
        if (r->ignored++ == 0)
            LOG(r, UPWS_LOG_WARN, "ignoring an event that cannot be recorded (type %s)",
                ev && ev->type_name ? ev->type_name : "?");
        return;
    }
    if (s->kind == CSV_TRADE && ev->trade && seen_trade(s, ev->trade->sequential_id)) {
        r->dup_trades++;
        return;
    }
    int64_t day = event_day(ev);
    if (day != s->file.day)
        csv_file_set_day(&s->file, &r->env, day); /* midnight roll (or a late event) */
    append_row(r, s, ev);
}

/* ---- timer and status ------------------------------------------------------ */

static void rec_on_timer(void *self, int64_t timer_id)
{
    (void)timer_id;
    recorder *r = self;
    int64_t closing_day = csv_utc_day(csv_wall_ns() / 1000000 - DAY_GRACE_MS);
    for (size_t i = 0; i < r->n_slots; i++) {
        stream *s = r->slots[i];
        if (!s)
            continue;
        csv_file *f = &s->file;
        f->failing = 0; /* the timer is where failed writes are retried */
        csv_file_flush(f, &r->env);
        /* A finished day with nothing pending: release the descriptor. A late
         * event for that day reopens the file and appends. */
        if (f->fd >= 0 && f->buf.len == 0 && f->day < closing_day)
            csv_file_close(f, &r->env);
    }
}

/* Two rows per stream recorded so far: GAP_BEGIN at the loss, GAP_END at the
 * restore. Streams with no row yet have no discontinuity to mark. The public
 * and the private connection fail independently: a gap of one is marked only
 * in the files that connection feeds. */
static void mark_gap(recorder *r, int private_conn, int64_t since_ms, int64_t until_ms)
{
    for (size_t i = 0; i < r->n_slots; i++) {
        stream *s = r->slots[i];
        if (!s || s->file.day == INT64_MIN || csv_kind_private(s->kind) != private_conn)
            continue;
        csv_file *f = &s->file;
        const csv_columns *c = &r->cols[s->kind];
        size_t mark = f->buf.len;
        if (csv_gap_row_append(c, s->type_name, s->code, since_ms, "GAP_BEGIN", &f->buf) != 0 ||
            csv_gap_row_append(c, s->type_name, s->code, until_ms, "GAP_END", &f->buf) != 0) {
            f->buf.len = mark;
            csv_file_dropped(f, &r->env, 2);
        }
    }
}

static void rec_on_status(void *self, const upws_status *st)
{
    recorder *r = self;
    if (!st)
        return;
    switch (st->kind) {
    case UPWS_STATUS_GAP: {
        int priv = st->private_conn ? 1 : 0;
        LOG(r, UPWS_LOG_INFO, "%s data gap of %.3f s: marking it in every %s file",
            priv ? "private" : "public", (double)(st->until_ns - st->since_ns) / 1e9,
            priv ? "myOrder/myAsset" : "market data");
        mark_gap(r, priv, st->since_ns / 1000000, st->until_ns / 1000000);
        break;
    }
    case UPWS_STATUS_DOWN:
        if (st->private_conn && st->name)
            LOG(r, UPWS_LOG_WARN, "private connection down: %s%s%s", st->name,
                st->message ? ": " : "", st->message ? st->message : "");
        break;
    case UPWS_STATUS_DROPPED:
        LOG(r, UPWS_LOG_WARN, "%llu events were dropped before reaching the recorder",
            (unsigned long long)st->count);
        break;
    case UPWS_STATUS_UPSTREAM_ERROR:
    case UPWS_STATUS_UNSERVED:
        LOG(r, UPWS_LOG_WARN, "upstream: %s%s%s", st->name ? st->name : "",
            st->name && st->message ? ": " : "", st->message ? st->message : "");
        break;
    default:
        break;
    }
}

/* ---- life cycle ----------------------------------------------------------- */

static int build_columns(recorder *r)
{
    for (int k = 0; k < CSV_NKINDS; k++) {
        if (csv_columns_build(&r->cols[k], (csv_kind)k, r->depth) != 0) {
            LOG(r, UPWS_LOG_ERROR, "out of memory");
            return -1;
        }
    }
    return 0;
}

static int keys_available(recorder *r)
{
    const upws_host_api *api = r->env.api;
    return UPWS_API_HAS(api, private_available) && api->private_available &&
           api->private_available(r->env.ctx) == 1;
}

/* One subscription per type with every code (myAsset: none, Upbit refuses
 * codes on it). Lossless even for ticker and orderbook: a recorder wants
 * every message, and an overflow is then reported (UPWS_STATUS_DROPPED)
 * instead of silently conflated. Without API keys the private types are
 * skipped (said once) and the public ones recorded as usual. */
static int subscribe_all(recorder *r)
{
    int keys = -1; /* not asked yet */
    for (size_t i = 0; i < r->n_types; i++) {
        int priv = is_private_type(r->types[i]);
        if (priv) {
            if (keys < 0) {
                keys = keys_available(r);
                if (!keys)
                    LOG(r, UPWS_LOG_WARN, "no API keys configured: skipping the private "
                        "types (myOrder/myAsset need API keys); recording the others");
            }
            if (!keys)
                continue;
        }
        upws_want w;
        memset(&w, 0, sizeof w);
        w.struct_size = sizeof w;
        w.type = r->types[i];
        w.codes = strcmp(w.type, "myAsset") == 0 ? NULL : r->codes;
        w.n_codes = strcmp(w.type, "myAsset") == 0 ? 0 : r->n_codes;
        w.depth = strcmp(w.type, "orderbook") == 0 ? r->depth : 0;
        w.delivery = UPWS_DELIVERY_LOSSLESS;
        int64_t id = r->env.api->subscribe(r->env.ctx, &w);
        if (id <= 0) {
            LOG(r, UPWS_LOG_ERROR, "cannot subscribe to %s: %s", w.type,
                r->env.api->strerror((int)id));
            return -1;
        }
    }
    return 0;
}

static int start_timer(recorder *r)
{
    int64_t id = r->env.api->timer_add(r->env.ctx, r->flush_ms, r->flush_ms, rec_on_timer);
    if (id <= 0) {
        LOG(r, UPWS_LOG_ERROR, "cannot start the flush timer: %s",
            r->env.api->strerror((int)id));
        return -1;
    }
    return 0;
}

/* "a,b,c" into out, ending in "… (+N more)" when it does not fit. */
static void join_list(char *out, size_t n, const char *const *items, size_t count)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < count; i++) {
        size_t need = strlen(items[i]) + 1;
        if (used + need + 16 >= n) {
            snprintf(out + used, n - used, "… (+%zu more)", count - i);
            return;
        }
        used += (size_t)snprintf(out + used, n - used, "%s%s", i ? "," : "", items[i]);
    }
}

static void log_started(recorder *r)
{
    char types[256], codes[512];
    join_list(types, sizeof types, r->types, r->n_types);
    join_list(codes, sizeof codes, r->codes, r->n_codes);
    LOG(r, UPWS_LOG_INFO,
        "recording %s for %zu code(s) [%s] into %s (orderbook depth %u, flush every %u ms)",
        types, r->n_codes, codes, r->dir, r->depth, r->flush_ms);
}

static void rec_free(recorder *r)
{
    streams_free(r);
    for (int k = 0; k < CSV_NKINDS; k++)
        csv_columns_free(&r->cols[k]);
    csv_buf_free(&r->scratch);
    free(r->dir);
    free(r);
}

static int api_usable(const upws_host_api *api)
{
    return api && api->abi_major == UPWS_ABI_MAJOR && UPWS_API_HAS(api, strerror) &&
           api->log && api->subscribe && api->timer_add && api->config_str &&
           api->config_int && api->config_list && api->event_field && api->strerror;
}

static int rec_init(upws_ctx *ctx, const upws_host_api *api, void **self)
{
    *self = NULL;
    if (!api_usable(api))
        return -1; /* cannot even log: the host's table is not ABI 1 */
    recorder *r = calloc(1, sizeof *r);
    if (!r) {
        api->log(ctx, UPWS_LOG_ERROR, "out of memory");
        return -1;
    }
    r->env.ctx = ctx;
    r->env.api = api;
    if (read_config(r) != 0 || build_columns(r) != 0 || subscribe_all(r) != 0 ||
        start_timer(r) != 0) {
        rec_free(r); /* stop() is not called after a refused init */
        return -1;
    }
    log_started(r);
    *self = r;
    return 0;
}

static void rec_stop(void *self)
{
    recorder *r = self;
    if (!r)
        return;
    streams_free(r); /* flushes and closes every file */
    LOG(r, UPWS_LOG_INFO,
        "stopped: %llu rows taken, %llu lines dropped, %llu duplicate trades skipped",
        (unsigned long long)r->rows, (unsigned long long)r->drops,
        (unsigned long long)r->dup_trades);
    rec_free(r);
}

static const char *const config_keys[] = {
    "dir", "types", "codes", "depth", "flush_interval_ms", NULL,
};

UPWS_PLUGIN = {
    .struct_size = sizeof(upws_plugin),
    .abi_major = UPWS_ABI_MAJOR,
    .abi_minor = UPWS_ABI_MINOR,
    .name = "csv_recorder",
    .version = "0.1.0",
    .description = "records ticker, trade, orderbook, candle, myOrder and myAsset data to daily CSV files",
    .config_keys = config_keys,
    .init = rec_init,
    .on_event = rec_on_event,
    .on_status = rec_on_status,
    .stop = rec_stop,
};
