/*
 * upws/fields.h — Upbit's DEFAULT field names per data type, in the order
 * Upbit documents them (PROTOCOL §10.1–10.4). Plugins that write every
 * field of an event (CSV columns, Redis stream fields) use these lists with
 * api->event_field(), which maps SIMPLE keys to these names.
 *
 * Header-only, constant data: including it adds nothing to the ABI. An
 * orderbook's levels are addressed flattened: for i = 1..depth, the names
 * UPWS_FIELDS_BOOK_UNIT[k] + "_" + i (ask_price_1, ask_size_1, …), between
 * UPWS_FIELDS_BOOK_HEAD and UPWS_FIELDS_BOOK_TAIL.
 */
#ifndef UPWS_FIELDS_H
#define UPWS_FIELDS_H

#include <stddef.h>

static const char *const UPWS_FIELDS_TICKER[] = {
    "type", "code", "opening_price", "high_price", "low_price", "trade_price",
    "prev_closing_price", "change", "change_price", "signed_change_price", "change_rate",
    "signed_change_rate", "trade_volume", "acc_trade_volume", "acc_trade_volume_24h",
    "acc_trade_price", "acc_trade_price_24h", "trade_date", "trade_time", "trade_timestamp",
    "ask_bid", "acc_ask_volume", "acc_bid_volume", "highest_52_week_price",
    "highest_52_week_date", "lowest_52_week_price", "lowest_52_week_date", "market_state",
    "delisting_date", "timestamp", "stream_type",
};

static const char *const UPWS_FIELDS_TRADE[] = {
    "type", "code", "trade_price", "trade_volume", "ask_bid", "prev_closing_price", "change",
    "change_price", "trade_date", "trade_time", "trade_timestamp", "timestamp",
    "sequential_id", "best_ask_price", "best_ask_size", "best_bid_price", "best_bid_size",
    "stream_type",
};

static const char *const UPWS_FIELDS_CANDLE[] = {
    "type", "code", "candle_date_time_utc", "candle_date_time_kst", "opening_price",
    "high_price", "low_price", "trade_price", "candle_acc_trade_volume",
    "candle_acc_trade_price", "timestamp", "stream_type",
};

static const char *const UPWS_FIELDS_BOOK_HEAD[] = {"type", "code", "total_ask_size", "total_bid_size"};
static const char *const UPWS_FIELDS_BOOK_UNIT[] = {"ask_price", "ask_size", "bid_price", "bid_size"};
static const char *const UPWS_FIELDS_BOOK_TAIL[] = {"timestamp", "level", "stream_type"};

/* ABI 1.2 private types (PROTOCOL §10.5, §10.6). myAsset carries no code;
 * its `assets` field is a JSON array (event_field() gives its whole text). */
static const char *const UPWS_FIELDS_MYORDER[] = {
    "type", "code", "uuid", "ask_bid", "order_type", "state", "trade_uuid", "price",
    "avg_price", "volume", "remaining_volume", "executed_volume", "trades_count",
    "reserved_fee", "remaining_fee", "paid_fee", "locked", "executed_funds", "time_in_force",
    "trade_fee", "is_maker", "identifier", "smp_type", "prevented_volume", "prevented_locked",
    "trade_timestamp", "order_timestamp", "timestamp", "stream_type",
};

static const char *const UPWS_FIELDS_MYASSET[] = {
    "type", "asset_uuid", "assets", "asset_timestamp", "timestamp", "stream_type",
};

#endif
