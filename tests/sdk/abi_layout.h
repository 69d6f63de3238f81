/*
 * abi_layout.h — each released minor of ABI 1 as a list of facts (field
 * offsets and sizes, constants, struct sizes): ABI_1_0_* for 1.0, then what
 * each later minor appended (ABI_1_1_*, ABI_1_2_*). One translation unit per
 * header evaluates every list that header has: the frozen 1.0 copy (1.0),
 * the frozen 1.1 copy (1.0 + 1.1), the current sdk header and the test-only
 * next minor (1.0 + 1.1 + 1.2). test_abi_layout compares the results by
 * fact name. Nothing here names a upws type itself, so the TUs never share a
 * type definition.
 *
 * When a minor is released: add its ABI_1_<m>_* lists (everything it
 * appended), add them to ABI_ITEMS_UPTO of the current and test-only headers,
 * freeze the released header and give it a layout TU.
 */
#ifndef ABI_LAYOUT_H
#define ABI_LAYOUT_H

#include <stddef.h>

typedef enum { ABI_OFFSET, ABI_SIZE, ABI_CONST, ABI_SIZEOF } abi_kind;

typedef struct abi_item {
    const char *name;
    abi_kind kind;
    long long value;
} abi_item;

typedef struct abi_layout {
    const abi_item *items;
    size_t n_items;
    const char *entry_symbol;
    int abi_major, abi_minor;
} abi_layout;

const abi_layout *abi_layout_1_0(void);     /* frozen 1.0 header: 1.0 facts */
const abi_layout *abi_layout_1_1(void);     /* frozen 1.1 header: 1.0 + 1.1 facts */
const abi_layout *abi_layout_current(void); /* sdk/include/upws/plugin.h: 1.0 + 1.1 + 1.2 facts */
const abi_layout *abi_layout_future(void);  /* test-only next minor: 1.0 + 1.1 + 1.2 facts */

/* What each header's UPWS_API_HAS answers for a host table of `struct_size`
 * bytes (what a plugin built against that header sees on an older or newer host). */
int abi_current_has_strerror(unsigned struct_size);
int abi_current_has_rest_private_get(unsigned struct_size);
int abi_future_has_new_fn(unsigned struct_size);

/* The current header: where the 1.2 event fields start, the smallest
 * struct_size an event must have for a plugin to read myorder/myasset. */
long long abi_current_event_myorder_offset(void);
long long abi_current_event_1_2_size(void);

/* Every field of every 1.0 struct, every 1.0 constant, every 1.0 struct.
 * F(type, field) C(constant) S(type). Append only, like the ABI. */
#define ABI_1_0_FIELDS(F) \
    F(upws_want, struct_size) F(upws_want, type) F(upws_want, codes) F(upws_want, n_codes) \
    F(upws_want, depth) F(upws_want, level) F(upws_want, delivery) \
    F(upws_ticker, opening_price) F(upws_ticker, high_price) F(upws_ticker, low_price) \
    F(upws_ticker, trade_price) F(upws_ticker, prev_closing_price) F(upws_ticker, change_price) \
    F(upws_ticker, signed_change_price) F(upws_ticker, change_rate) F(upws_ticker, signed_change_rate) \
    F(upws_ticker, trade_volume) F(upws_ticker, acc_trade_volume) F(upws_ticker, acc_trade_volume_24h) \
    F(upws_ticker, acc_trade_price) F(upws_ticker, acc_trade_price_24h) F(upws_ticker, acc_ask_volume) \
    F(upws_ticker, acc_bid_volume) F(upws_ticker, trade_timestamp) F(upws_ticker, ask_bid) \
    F(upws_ticker, change) \
    F(upws_trade, trade_price) F(upws_trade, trade_volume) F(upws_trade, prev_closing_price) \
    F(upws_trade, change_price) F(upws_trade, best_ask_price) F(upws_trade, best_ask_size) \
    F(upws_trade, best_bid_price) F(upws_trade, best_bid_size) F(upws_trade, trade_timestamp) \
    F(upws_trade, sequential_id) F(upws_trade, ask_bid) F(upws_trade, change) \
    F(upws_orderbook_unit, ask_price) F(upws_orderbook_unit, ask_size) \
    F(upws_orderbook_unit, bid_price) F(upws_orderbook_unit, bid_size) \
    F(upws_orderbook, total_ask_size) F(upws_orderbook, total_bid_size) F(upws_orderbook, level) \
    F(upws_orderbook, n_units) F(upws_orderbook, units) \
    F(upws_candle, unit_seconds) F(upws_candle, candle_date_time_utc) \
    F(upws_candle, candle_date_time_kst) F(upws_candle, opening_price) F(upws_candle, high_price) \
    F(upws_candle, low_price) F(upws_candle, trade_price) F(upws_candle, candle_acc_trade_volume) \
    F(upws_candle, candle_acc_trade_price) \
    F(upws_event, struct_size) F(upws_event, type) F(upws_event, type_name) F(upws_event, code) \
    F(upws_event, stream_type) F(upws_event, timestamp_ms) F(upws_event, recv_time_ns) \
    F(upws_event, snapshot_id) F(upws_event, json) F(upws_event, json_len) F(upws_event, ticker) \
    F(upws_event, trade) F(upws_event, orderbook) F(upws_event, candle) \
    F(upws_val, kind) F(upws_val, text) F(upws_val, len) \
    F(upws_status, struct_size) F(upws_status, kind) F(upws_status, private_conn) \
    F(upws_status, since_ns) F(upws_status, until_ns) F(upws_status, count) F(upws_status, sub_id) \
    F(upws_status, name) F(upws_status, message) \
    F(upws_host_api, struct_size) F(upws_host_api, abi_major) F(upws_host_api, abi_minor) \
    F(upws_host_api, log) F(upws_host_api, subscribe) F(upws_host_api, unsubscribe) \
    F(upws_host_api, snapshot) F(upws_host_api, timer_add) F(upws_host_api, timer_cancel) \
    F(upws_host_api, config_str) F(upws_host_api, config_int) F(upws_host_api, config_double) \
    F(upws_host_api, config_bool) F(upws_host_api, config_list) F(upws_host_api, event_field) \
    F(upws_host_api, private_available) F(upws_host_api, instance_name) F(upws_host_api, strerror) \
    F(upws_plugin, struct_size) F(upws_plugin, abi_major) F(upws_plugin, abi_minor) \
    F(upws_plugin, name) F(upws_plugin, version) F(upws_plugin, description) \
    F(upws_plugin, config_keys) F(upws_plugin, init) F(upws_plugin, on_event) \
    F(upws_plugin, on_status) F(upws_plugin, stop)

#define ABI_1_0_CONSTANTS(C) \
    C(UPWS_ABI_MAJOR) \
    C(UPWS_OK) C(UPWS_EINVAL) C(UPWS_ENOMEM) C(UPWS_ECLOSED) C(UPWS_ENOENT) C(UPWS_ENOTSUP) \
    C(UPWS_ETYPE) \
    C(UPWS_LOG_ERROR) C(UPWS_LOG_WARN) C(UPWS_LOG_INFO) C(UPWS_LOG_DEBUG) \
    C(UPWS_TYPE_UNKNOWN) C(UPWS_TYPE_TICKER) C(UPWS_TYPE_TRADE) C(UPWS_TYPE_ORDERBOOK) \
    C(UPWS_TYPE_CANDLE) C(UPWS_TYPE_MYORDER) C(UPWS_TYPE_MYASSET) \
    C(UPWS_SNAPSHOT) C(UPWS_REALTIME) \
    C(UPWS_DELIVERY_DEFAULT) C(UPWS_DELIVERY_LOSSLESS) C(UPWS_DELIVERY_LATEST) \
    C(UPWS_SIDE_UNKNOWN) C(UPWS_ASK) C(UPWS_BID) \
    C(UPWS_CHANGE_UNKNOWN) C(UPWS_RISE) C(UPWS_EVEN) C(UPWS_FALL) \
    C(UPWS_VAL_ABSENT) C(UPWS_VAL_NULL) C(UPWS_VAL_STRING) C(UPWS_VAL_NUMBER) C(UPWS_VAL_BOOL) \
    C(UPWS_VAL_OBJECT) C(UPWS_VAL_ARRAY) \
    C(UPWS_STATUS_UP) C(UPWS_STATUS_DOWN) C(UPWS_STATUS_GAP) C(UPWS_STATUS_DROPPED) \
    C(UPWS_STATUS_UPSTREAM_ERROR) C(UPWS_STATUS_UNSERVED)

#define ABI_1_0_STRUCTS(S) \
    S(upws_want) S(upws_ticker) S(upws_trade) S(upws_orderbook_unit) S(upws_orderbook) \
    S(upws_candle) S(upws_event) S(upws_val) S(upws_status) S(upws_host_api) S(upws_plugin) \
    S(upws_ctx *) S(upws_timer_fn) S(upws_type) S(upws_delivery) S(upws_side) S(upws_change) \
    S(upws_stream_type) S(upws_log_level) S(upws_val_kind) S(upws_status_kind)

/* 1.1 appended two optional descriptor callbacks, nothing else. */
#define ABI_1_1_FIELDS(F) F(upws_plugin, save_state) F(upws_plugin, restore_state)

/* 1.2 appended the private event views, the signed REST call and its reply. */
#define ABI_1_2_FIELDS(F) \
    F(upws_event, myorder) F(upws_event, myasset) F(upws_host_api, rest_private_get) \
    F(upws_myorder, uuid) F(upws_myorder, ask_bid) F(upws_myorder, order_type) F(upws_myorder, state) \
    F(upws_myorder, trade_uuid) F(upws_myorder, time_in_force) F(upws_myorder, identifier) \
    F(upws_myorder, price) F(upws_myorder, avg_price) F(upws_myorder, volume) \
    F(upws_myorder, remaining_volume) F(upws_myorder, executed_volume) F(upws_myorder, reserved_fee) \
    F(upws_myorder, remaining_fee) F(upws_myorder, paid_fee) F(upws_myorder, locked) \
    F(upws_myorder, executed_funds) F(upws_myorder, trade_fee) F(upws_myorder, trades_count) \
    F(upws_myorder, is_maker) F(upws_myorder, trade_timestamp) F(upws_myorder, order_timestamp) \
    F(upws_asset, currency) F(upws_asset, balance) F(upws_asset, locked) \
    F(upws_myasset, asset_uuid) F(upws_myasset, asset_timestamp) F(upws_myasset, n_assets) \
    F(upws_myasset, assets) \
    F(upws_rest_reply, struct_size) F(upws_rest_reply, request_id) F(upws_rest_reply, http_status) \
    F(upws_rest_reply, body) F(upws_rest_reply, body_len) F(upws_rest_reply, remaining_req) \
    F(upws_rest_reply, remaining_sec)

#define ABI_1_2_STRUCTS(S) \
    S(upws_myorder) S(upws_asset) S(upws_myasset) S(upws_rest_reply) S(upws_rest_fn)

#define ABI_F(t, f) {#t "." #f, ABI_OFFSET, (long long)offsetof(t, f)}, \
                    {#t "." #f, ABI_SIZE, (long long)sizeof(((t *)0)->f)},
#define ABI_C(c) {#c, ABI_CONST, (long long)(c)},
#define ABI_S(t) {#t, ABI_SIZEOF, (long long)sizeof(t)},

/* Every fact of ABI 1.0 … 1.<m>, for a header that has that minor. */
#define ABI_ITEMS_UPTO_1_0 ABI_1_0_FIELDS(ABI_F) ABI_1_0_CONSTANTS(ABI_C) ABI_1_0_STRUCTS(ABI_S)
#define ABI_ITEMS_UPTO_1_1 ABI_ITEMS_UPTO_1_0 ABI_1_1_FIELDS(ABI_F)
#define ABI_ITEMS_UPTO_1_2 ABI_ITEMS_UPTO_1_1 ABI_1_2_FIELDS(ABI_F) ABI_1_2_STRUCTS(ABI_S)

/* Expands to the definition of `fn`, returning the facts `items` (one of
 * ABI_ITEMS_UPTO_*) evaluated against the header the including file
 * included before. */
#define ABI_LAYOUT_DEFINE(fn, items) \
    static const abi_item fn##_items[] = {items}; \
    const abi_layout *fn(void) \
    { \
        static const abi_layout l = {fn##_items, sizeof fn##_items / sizeof fn##_items[0], \
                                     UPWS_ENTRY_SYMBOL, UPWS_ABI_MAJOR, UPWS_ABI_MINOR}; \
        return &l; \
    }

#endif
