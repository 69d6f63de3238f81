/*
 * decode.h — one Upbit frame (bytes) → typed events.
 *
 * Accepts the four wire formats (DEFAULT, SIMPLE, JSON_LIST, SIMPLE_LIST)
 * and normalises them into one typed form. Numbers are scanned from their
 * decimal text: int64 fields (sequential_id, timestamps) exactly, prices as
 * doubles, and the exact text stays reachable via decode_field().
 * No allocation except the events themselves; never reads past `len`.
 */
#ifndef UPWS_DECODE_H
#define UPWS_DECODE_H

#include <stddef.h>
#include <stdint.h>
#include "event.h"

/* Balances kept per myAsset event; the rest are clipped from the view (the
 * whole array stays readable as decode_field(ev, "assets")). Upbit sends
 * only the few that changed. */
#define DECODE_MAX_ASSETS 256

typedef enum {
    DECODE_DATA = 0,   /* ≥ 0 data events were passed to the sink */
    DECODE_STATUS,     /* {"status":"UP"} keepalive */
    DECODE_ERROR,      /* {"error":{"name","message"}}; see info */
    DECODE_LIST,       /* LIST_SUBSCRIPTIONS reply; info->list_json/len */
    DECODE_BAD         /* malformed or not understood; nothing delivered */
} decode_kind;

typedef struct decode_info {
    char error_name[64];     /* DECODE_ERROR: error.name ("" if absent) */
    char error_message[256]; /* DECODE_ERROR: error.message, truncated */
    const char *list_json;   /* DECODE_LIST: the `result` array inside the frame */
    size_t list_len;
    const char *why;         /* DECODE_BAD: static reason text */
    unsigned n_events;       /* events passed to the sink */
    unsigned n_skipped;      /* array elements skipped (unknown type, malformed) */
} decode_info;

/* Receives one new event; ownership of the single reference moves to the sink. */
typedef void (*decode_sink)(void *arg, event *ev);

/* Decode one complete frame. recv_ns is stamped into every event.
 * Thread: any (no global state). Ownership: buf borrowed; events transferred. */
decode_kind decode_frame(const char *buf, size_t len, int64_t recv_ns,
                         decode_sink sink, void *arg, decode_info *info);

/* Candle type name → unit in seconds ("candle.1m" → 60); 0 if not a candle unit. */
uint32_t decode_candle_unit(const char *type_name);

/* Type name → upws_type (UPWS_TYPE_UNKNOWN when not a type the host serves). */
upws_type decode_type(const char *type_name);

/* Implements upws_host_api.event_field: looks up a DEFAULT field name in
 * ev->json (SIMPLE keys mapped), orderbook units flattened as ask_price_N. */
int decode_field(const upws_event *ev, const char *name, upws_val *out);

#endif
