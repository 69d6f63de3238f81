/*
 * TEST ONLY: a hypothetical "next minor" (ABI 1.3) of upws/plugin.h, to test
 * the ABI rules against a minor that does not exist yet. It is the current
 * 1.2 header verbatim with exactly the changes a real next minor may make:
 *   - UPWS_ABI_MINOR is 3;
 *   - upws_host_api gains a function at its end (test_only_future_fn);
 *   - upws_plugin gains an optional callback at its end (on_test_only_future).
 * Nothing here is implemented by any host. tests/sdk builds plugins against
 * it (one refused by today's host, one that must cope with the function's
 * absence) and compiles the host's loader against it to play a next-minor
 * host. test_abi_layout fails when this header is not exactly one minor
 * ahead of sdk/include/upws/plugin.h: when a real 1.3 is released, freeze
 * the released 1.2 header as upws_plugin_1_2.h and regenerate this file
 * from the new header (minor 4), with the same three changes.
 */
/*
 * upws/plugin.h — the upws plugin SDK, ABI 1 (minor 2: private data, signed REST).
 *
 * This is the only header a plugin includes. It depends on nothing but the C
 * standard library: no libwebsockets, jansson, libyaml or pthread type
 * appears here, and a plugin links against nothing of the host.
 *
 * A plugin is a shared object that exports exactly one symbol, the constant
 * descriptor `upws_plugin_v1` (define it with UPWS_PLUGIN). The host reads
 * and checks that descriptor before any plugin code runs, then calls init()
 * with a per-instance proxy handle (upws_ctx) and the host function table
 * (upws_host_api). Everything a plugin does goes through that table.
 *
 * Threads: the host runs the callbacks of one plugin instance (init,
 * restore_state, on_event, on_status, timer and REST callbacks, save_state,
 * stop) one at a time and in order, each seeing what the previous ones
 * wrote: a plugin needs no lock for its own state. They run on a small pool
 * of host worker threads, so two consecutive callbacks may run on different
 * threads: keep no state in thread-local storage across callbacks, and do
 * not rely on pthread_self(), the signal mask, CPU affinity or priority of
 * the calling thread. Different instances, also of the same .so, run in
 * parallel. Host functions may be called from any thread; they never block
 * on the network.
 *
 * Ownership, in one rule: the host owns everything it hands to a plugin
 * (ctx, api, events, config values) and a plugin owns everything it
 * allocates. Pointers the host passes are borrowed for the duration stated
 * beside each item; copy what you keep. Pointers a plugin passes to the host
 * are borrowed for the duration of the call; the host copies what it keeps.
 *
 * ABI rules (see docs/sdk.md): structs only grow at the end; the host reads a
 * descriptor field only when the plugin's struct_size covers it; a plugin may
 * test whether the host has a function with UPWS_API_HAS before calling it.
 * A change that is not append-only bumps UPWS_ABI_MAJOR and renames the
 * entry symbol.
 */
#ifndef UPWS_PLUGIN_H
#define UPWS_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UPWS_ABI_MAJOR 1
#define UPWS_ABI_MINOR 3
#define UPWS_ENTRY_SYMBOL "upws_plugin_v1"

#if defined(__GNUC__)
#define UPWS_EXPORT __attribute__((visibility("default")))
#define UPWS_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define UPWS_EXPORT
#define UPWS_PRINTF(f, a)
#endif

/* Opaque, host-owned proxy handle: one per plugin instance. Valid from the
 * call of init() until stop() returns. Never freed by the plugin. */
typedef struct upws_ctx upws_ctx;

/* Return codes of host functions: 0 (or a positive id) on success. */
enum {
    UPWS_OK = 0,
    UPWS_EINVAL = -1,   /* bad argument (unknown type, bad code, bad depth) */
    UPWS_ENOMEM = -2,
    UPWS_ECLOSED = -3,  /* the instance is stopping; nothing was done */
    UPWS_ENOENT = -4,   /* no such key / subscription / timer */
    UPWS_ENOTSUP = -5,  /* not available here (e.g. private data without keys) */
    UPWS_ETYPE = -6     /* config value has another type than asked for */
};

typedef enum {
    UPWS_LOG_ERROR = 0,
    UPWS_LOG_WARN = 1,
    UPWS_LOG_INFO = 2,
    UPWS_LOG_DEBUG = 3
} upws_log_level;

typedef enum {
    UPWS_TYPE_UNKNOWN = 0,
    UPWS_TYPE_TICKER,
    UPWS_TYPE_TRADE,
    UPWS_TYPE_ORDERBOOK,
    UPWS_TYPE_CANDLE,   /* every candle.* unit; see upws_candle.unit_seconds */
    UPWS_TYPE_MYORDER,  /* private (ABI 1.2): upws_event.myorder */
    UPWS_TYPE_MYASSET   /* private (ABI 1.2): upws_event.myasset */
} upws_type;

typedef enum { UPWS_SNAPSHOT = 1, UPWS_REALTIME = 2 } upws_stream_type;

/* Delivery policy of a subscription when the plugin falls behind. */
typedef enum {
    UPWS_DELIVERY_DEFAULT = 0,  /* lossless for trade/candle/private, latest for ticker/orderbook */
    UPWS_DELIVERY_LOSSLESS = 1, /* queued; overflow is counted and reported, never silent */
    UPWS_DELIVERY_LATEST = 2    /* conflated: a slow plugin gets the newest value per stream */
} upws_delivery;

typedef enum { UPWS_SIDE_UNKNOWN = 0, UPWS_ASK = 1, UPWS_BID = 2 } upws_side;
typedef enum { UPWS_CHANGE_UNKNOWN = 0, UPWS_RISE = 1, UPWS_EVEN = 2, UPWS_FALL = 3 } upws_change;

/* What a plugin wants. Borrowed during the subscribe/snapshot call only.
 * Always set struct_size = sizeof(upws_want); zero what you do not use.
 * Private types (ABI 1.2, only when private_available()): "myOrder" with
 * n_codes = 0 for every market or with chosen codes, "myAsset" with
 * n_codes = 0 (Upbit refuses codes on it). Private types are realtime only:
 * no SNAPSHOT, and snapshot() refuses them; ask the REST API instead. */
typedef struct upws_want {
    uint32_t struct_size;
    const char *type;          /* "ticker", "trade", "orderbook", "candle.1s" … "candle.240m",
                                * "myOrder", "myAsset" */
    const char *const *codes;  /* upper-case market codes, e.g. "KRW-BTC" (no ".N" suffix) */
    size_t n_codes;            /* ≥ 1 for public types; 0 allowed for private ones (see above) */
    uint32_t depth;            /* orderbook: 1, 5, 15 or 30 levels; 0 = 30 */
    double level;              /* orderbook: KRW price-grouping unit; 0 = none */
    upws_delivery delivery;
} upws_want;

/* ---- Event views. Host-owned; valid only during on_event(). ---------- */

typedef struct upws_ticker {
    double opening_price, high_price, low_price, trade_price, prev_closing_price;
    double change_price, signed_change_price, change_rate, signed_change_rate;
    double trade_volume, acc_trade_volume, acc_trade_volume_24h;
    double acc_trade_price, acc_trade_price_24h, acc_ask_volume, acc_bid_volume;
    int64_t trade_timestamp;   /* ms */
    upws_side ask_bid;
    upws_change change;
} upws_ticker;

typedef struct upws_trade {
    double trade_price, trade_volume, prev_closing_price, change_price;
    double best_ask_price, best_ask_size, best_bid_price, best_bid_size;
    int64_t trade_timestamp;   /* ms */
    int64_t sequential_id;     /* exact (above 2^53 on the real exchange); unique per trade */
    upws_side ask_bid;
    upws_change change;
} upws_trade;

typedef struct upws_orderbook_unit {
    double ask_price, ask_size, bid_price, bid_size;
} upws_orderbook_unit;

typedef struct upws_orderbook {
    double total_ask_size, total_bid_size;
    double level;                     /* grouping unit in effect; 0 = none */
    size_t n_units;                   /* ≤ the depth you asked for */
    const upws_orderbook_unit *units; /* best first; i-th ask paired with i-th bid */
} upws_orderbook;

typedef struct upws_candle {
    uint32_t unit_seconds;              /* 1, 60, 180, … 14400 */
    const char *candle_date_time_utc;   /* "yyyy-MM-ddTHH:mm:ss", start of the candle */
    const char *candle_date_time_kst;
    double opening_price, high_price, low_price, trade_price;
    double candle_acc_trade_volume, candle_acc_trade_price;
} upws_candle;

/* ABI 1.2: one change of one of your orders (PROTOCOL §10.5). Strings are
 * NUL-terminated and NULL when the wire had null; numbers that were null
 * read as 0 (event_field() tells null from 0). `price` and `volume` are the
 * order's for most states and the fill's when state is "trade". */
typedef struct upws_myorder {
    const char *uuid;                 /* order id */
    upws_side ask_bid;
    const char *order_type;           /* "limit", "price", "market", "best" */
    const char *state;                /* "wait", "watch", "trade", "done", "cancel", "prevented" */
    const char *trade_uuid;           /* the fill, when state is "trade" */
    const char *time_in_force;        /* "ioc", "fok", "post_only" or NULL */
    const char *identifier;           /* your client order id or NULL */
    double price, avg_price, volume, remaining_volume, executed_volume;
    double reserved_fee, remaining_fee, paid_fee, locked, executed_funds, trade_fee;
    int64_t trades_count;
    int is_maker;                     /* 1 maker, 0 taker, -1 null (not a fill) */
    int64_t trade_timestamp, order_timestamp;   /* ms; 0 when null */
} upws_myorder;

/* ABI 1.2: one changed balance of a myAsset message. */
typedef struct upws_asset {
    const char *currency;             /* "KRW", "BTC", … */
    double balance, locked;           /* exact text: event_field(ev, "assets", …) */
} upws_asset;

/* ABI 1.2: balances that changed (PROTOCOL §10.6); event->code is "". */
typedef struct upws_myasset {
    const char *asset_uuid;
    int64_t asset_timestamp;          /* ms */
    size_t n_assets;
    const upws_asset *assets;
} upws_myasset;

/* One market-data event. Everything it points to is host-owned and valid
 * only during the on_event() call that received it. */
typedef struct upws_event {
    uint32_t struct_size;
    upws_type type;
    const char *type_name;      /* as Upbit names it: "ticker", "candle.1m", … */
    const char *code;           /* "KRW-BTC" */
    upws_stream_type stream_type;
    int64_t timestamp_ms;       /* exchange time of the message */
    int64_t recv_time_ns;       /* wall clock (CLOCK_REALTIME) when the frame arrived */
    int64_t snapshot_id;        /* id returned by api->snapshot() when this answers it; else 0 */
    const char *json;           /* this event's JSON object exactly as received (DEFAULT or SIMPLE keys) */
    size_t json_len;
    /* Exactly one view is non-NULL, matching `type` (none for unknown types). */
    const upws_ticker *ticker;
    const upws_trade *trade;
    const upws_orderbook *orderbook;
    const upws_candle *candle;
    /* ABI 1.2 (a plugin built against 1.2 runs only on a 1.2+ host, so it may read these). */
    const upws_myorder *myorder;
    const upws_myasset *myasset;
} upws_event;

/* A field value as it appeared on the wire, for exact (decimal-text) access. */
typedef enum {
    UPWS_VAL_ABSENT = 0,
    UPWS_VAL_NULL,
    UPWS_VAL_STRING,  /* text = the characters between the quotes, escapes as received */
    UPWS_VAL_NUMBER,  /* text = the number exactly as spelled (e.g. "1.16539E8") */
    UPWS_VAL_BOOL,    /* text = "true" / "false" */
    UPWS_VAL_OBJECT,  /* text = the whole JSON object */
    UPWS_VAL_ARRAY    /* text = the whole JSON array */
} upws_val_kind;

typedef struct upws_val {
    upws_val_kind kind;
    const char *text;  /* not NUL-terminated; borrowed like the event */
    size_t len;
} upws_val;

/* ---- Status notifications (on_status). Host-owned, valid during the call. */

typedef enum {
    UPWS_STATUS_UP = 1,        /* a connection carrying your streams is (re)established */
    UPWS_STATUS_DOWN,          /* that connection is down since `since_ns`; data stops */
    UPWS_STATUS_GAP,           /* restored: data between since_ns and until_ns is missing */
    UPWS_STATUS_DROPPED,       /* your inbox overflowed; `count` events were dropped */
    UPWS_STATUS_UPSTREAM_ERROR,/* Upbit rejected something you asked for; see name/message */
    UPWS_STATUS_UNSERVED       /* a code you asked for produced no data (unknown or delisted) */
} upws_status_kind;

typedef struct upws_status {
    uint32_t struct_size;
    upws_status_kind kind;
    int private_conn;        /* 0 = public connection, 1 = private connection */
    int64_t since_ns, until_ns;
    uint64_t count;
    int64_t sub_id;          /* the subscription concerned, or 0 */
    const char *name;        /* Upbit error name or NULL; "INVALID_AUTH" on a private
                              * DOWN when Upbit refused the keys */
    const char *message;     /* human text or NULL */
} upws_status;

/* ---- ABI 1.2: the answer to a signed REST call (rest_private_get). --------
 * Host-owned, valid during the callback only. */
typedef struct upws_rest_reply {
    uint32_t struct_size;
    int64_t request_id;       /* as returned by rest_private_get */
    int http_status;          /* 200, 401, 429, 418, …; -1 when no response arrived */
    const char *body;         /* NUL-terminated; the response body, or why none arrived */
    size_t body_len;
    const char *remaining_req;/* the Remaining-Req header ("group=default; min=1800; sec=29") or NULL */
    int remaining_sec;        /* its `sec` (calls left this second), -1 when absent */
} upws_rest_reply;

typedef void (*upws_rest_fn)(void *self, const upws_rest_reply *reply);

/* ---- The host function table. Host-owned, constant, valid until stop() returns. */

typedef void (*upws_timer_fn)(void *self, int64_t timer_id);

typedef struct upws_host_api {
    uint32_t struct_size;
    uint16_t abi_major, abi_minor;

    /* Log one line, prefixed with the instance name. Thread: any.
     * Ownership: fmt and arguments borrowed. Never log secrets. */
    void (*log)(upws_ctx *ctx, upws_log_level level, const char *fmt, ...) UPWS_PRINTF(3, 4);

    /* Subscribe to live data. Asynchronous: the host merges every plugin's
     * wants into one request and sends it when the union changed. You get
     * one SNAPSHOT per code (from the host's last value when the stream is
     * already live), then REALTIME events. Thread: any.
     * Ownership: want (and its strings) borrowed during the call.
     * Returns: a subscription id > 0, or UPWS_EINVAL (bad want), UPWS_ENOTSUP
     * (a private type this host cannot serve) or UPWS_ECLOSED. */
    int64_t (*subscribe)(upws_ctx *ctx, const upws_want *want);

    /* Drop one subscription. The next request to Upbit reflects it (if no
     * other plugin still wants those streams). Events already queued may still
     * arrive. Thread: any. Returns UPWS_OK or UPWS_ENOENT. */
    int (*unsubscribe)(upws_ctx *ctx, int64_t sub_id);

    /* Ask for one SNAPSHOT per code without subscribing. Asynchronous: each
     * answer arrives in on_event() with event->snapshot_id set to the returned
     * id. Answered from the host's last value when the stream is live,
     * otherwise with a snapshot-only item in the next request (live streams are
     * not disturbed). Thread: any. Ownership: want borrowed during the call.
     * Returns: a snapshot id > 0, or a negative UPWS_E*. */
    int64_t (*snapshot)(upws_ctx *ctx, const upws_want *want);

    /* Call fn(self, id), as one of the instance's callbacks, after
     * `after_ms`, then every `every_ms` if every_ms > 0. Thread: any.
     * Returns a timer id > 0. */
    int64_t (*timer_add)(upws_ctx *ctx, uint32_t after_ms, uint32_t every_ms, upws_timer_fn fn);
    /* Returns UPWS_OK or UPWS_ENOENT. A callback already due may still run once. */
    int (*timer_cancel)(upws_ctx *ctx, int64_t timer_id);

    /* Lookup in this instance's `config:` section. Thread: any.
     * Ownership: returned strings are host-owned and valid until stop() returns.
     * Returns UPWS_OK, UPWS_ENOENT (key absent) or UPWS_ETYPE (other type). */
    int (*config_str)(upws_ctx *ctx, const char *key, const char **out);
    int (*config_int)(upws_ctx *ctx, const char *key, int64_t *out);
    int (*config_double)(upws_ctx *ctx, const char *key, double *out);
    int (*config_bool)(upws_ctx *ctx, const char *key, int *out);
    /* A list of scalars; *items[i] valid until stop() returns. */
    int (*config_list)(upws_ctx *ctx, const char *key, const char *const **items, size_t *n);

    /* Exact wire text of one field of `ev`, looked up by its DEFAULT name
     * ("trade_price") whatever the wire format (SIMPLE is mapped). Orderbook
     * levels are addressed flattened: "ask_price_1" … "bid_size_30".
     * Ownership: out->text borrowed like the event. Thread: the plugin's.
     * Returns UPWS_OK (out->kind may be UPWS_VAL_ABSENT) or UPWS_EINVAL. */
    int (*event_field)(const upws_event *ev, const char *name, upws_val *out);

    /* 1 when API keys are configured, so private types can be subscribed
     * and rest_private_get works (even while the private socket is down:
     * watch on_status with private_conn = 1), else 0. */
    int (*private_available)(upws_ctx *ctx);

    /* The instance name from the config (host-owned, valid until stop() returns). */
    const char *(*instance_name)(upws_ctx *ctx);

    /* Static text for a UPWS_E* code. */
    const char *(*strerror)(int code);

    /* ---- ABI 1.2 ------------------------------------------------------- */

    /* A GET on Upbit's Exchange REST API signed with the configured keys
     * (a fresh JWT with its own nonce, and query_hash when there is a
     * query), e.g. path "/v1/accounts", or "/v1/orders/open" with query
     * "states[]=wait&states[]=watch" (the exact text sent, not percent-
     * encoded). Asynchronous: fn(self, reply) runs once on the plugin's
     * thread, unless the instance stops first. The host adds no retry: read
     * reply->remaining_sec and back off on 429/418 yourself. GET only: upws
     * never places or cancels orders. Thread: any. Ownership: strings borrowed
     * during the call. Returns a request id > 0, UPWS_ENOTSUP without keys,
     * UPWS_EINVAL (path not "/v1/…", or characters that need encoding) or
     * UPWS_ECLOSED. */
    int64_t (*rest_private_get)(upws_ctx *ctx, const char *path, const char *query, upws_rest_fn fn);

    /* ABI 1.3 and later: append new functions below, never above. */

    /* (test-only next-minor addition) Returns x + 1. Test UPWS_API_HAS(api,
     * test_only_future_fn) before calling: a 1.2 host's table ends before it. */
    int64_t (*test_only_future_fn)(upws_ctx *ctx, int64_t x);
} upws_host_api;

/* True when the host's table has `fn` (test before calling a function newer than 1.0). */
#define UPWS_API_HAS(api, fn) \
    ((api)->struct_size >= offsetof(upws_host_api, fn) + sizeof((api)->fn))

/* ---- The descriptor a plugin exports (constant data, read before any plugin code runs). */

typedef struct upws_plugin {
    uint32_t struct_size;   /* sizeof(upws_plugin) when the plugin was built */
    uint16_t abi_major;     /* UPWS_ABI_MAJOR the plugin was built against */
    uint16_t abi_minor;     /* UPWS_ABI_MINOR the plugin was built against */
    const char *name;       /* [a-z0-9_]+; the host copies it */
    const char *version;    /* the plugin's own version; the host copies it */
    const char *description;

    /* NULL-terminated list of the keys the plugin accepts in its `config:`
     * section, or NULL to accept any. The host rejects other keys (naming
     * file, line and key) before init() runs. */
    const char *const *config_keys;

    /* Mandatory. Set *self to the plugin's state. Non-zero return = refused
     * (log why first); the host then sweeps whatever the plugin registered.
     * Thread: the plugin's. Ownership: ctx and api host-owned until stop() returns. */
    int (*init)(upws_ctx *ctx, const upws_host_api *api, void **self);

    /* Mandatory. One event; see upws_event for lifetime. Thread: the plugin's. */
    void (*on_event)(void *self, const upws_event *ev);

    /* Optional. Connection and delivery status for this plugin. Thread: the plugin's. */
    void (*on_status)(void *self, const upws_status *st);

    /* Mandatory. Flush, join your own threads, free `self`. After it returns no
     * plugin code may run: the host then releases every subscription, timer
     * and pending snapshot the instance held. Thread: the plugin's. */
    void (*stop)(void *self);

    /* ---- ABI 1.1: optional state hand-off across a hot reload. ---------- */

    /* Optional. Called on the OLD instance's thread just before a new build
     * of the plugin replaces it (hot reload, `upws plugin reload`, a changed
     * `config:`). Return 0 and set *blob and *len to an opaque byte string
     * allocated with malloc(3) (the host frees it), or return non-zero / set
     * *blob = NULL to hand nothing over. The blob must not contain pointers
     * (the old image is unloaded) nor function pointers. The old instance
     * keeps running (and receiving events) until the new one has started. */
    int (*save_state)(void *self, void **blob, size_t *len);

    /* Optional. Called on the NEW instance's thread right after init()
     * succeeded and before any event, with the blob save_state() produced
     * (borrowed for the call). A non-zero return is logged and ignored. */
    int (*restore_state)(void *self, const void *blob, size_t len);

    /* ABI 1.3 and later: append optional callbacks below, never above. */

    /* (test-only next-minor addition) Optional; a 1.2 host never reads it. */
    void (*on_test_only_future)(void *self);
} upws_plugin;

_Static_assert(offsetof(upws_plugin, abi_major) == 4, "frozen ABI prefix");
_Static_assert(offsetof(upws_plugin, abi_minor) == 6, "frozen ABI prefix");
_Static_assert(offsetof(upws_host_api, abi_major) == 4, "frozen ABI prefix");

/* In exactly one source file of the plugin:
 *     UPWS_PLUGIN = { .struct_size = sizeof(upws_plugin), .abi_major = UPWS_ABI_MAJOR,
 *                     .abi_minor = UPWS_ABI_MINOR, .name = "my_plugin", ... };
 */
#define UPWS_PLUGIN \
    UPWS_EXPORT extern const upws_plugin upws_plugin_v1; \
    UPWS_EXPORT const upws_plugin upws_plugin_v1

#ifdef __cplusplus
}
#endif
#endif /* UPWS_PLUGIN_H */
