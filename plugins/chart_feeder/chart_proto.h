/* chart_proto.h — the state shared by the plugin thread (writer) and the
 * server thread (reader), and the JSON messages the server sends to pages.
 *
 * Messages (server → page), one JSON object per WebSocket text frame:
 *   {"type":"hello","codes":[..],"intervals":["1s","1m",..],"history":N,
 *    "fill_gaps":false,"conn":CONN}
 *   {"type":"conn","conn":CONN}          connection state changed
 *   {"type":"history","code":C,"interval":I,"candles":[CANDLE..],"last":LAST,"dropped":N}
 *   {"type":"update","code":C,"interval":I,"candles":[CANDLE..],"last":LAST}
 *   {"type":"error","message":"..."}
 * CONN   = {"state":"connecting|live|reconnecting|gap","since":ms,"gap":null|{"since":ms,"until":ms}}
 * CANDLE = [time_s, open, high, low, close, volume, trades]  (time = UTC bucket start, seconds;
 *          volume is the exact decimal sum; trades = 0 marks a fill_gaps candle)
 * LAST   = null | {"price":p,"seq":"sequential_id as text","ts":trade ms}
 * Page → server: {"subscribe":{"code":"KRW-BTC","interval":"1m"}}
 */
#ifndef CHART_PROTO_H
#define CHART_PROTO_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "chart_candles.h"

typedef enum { CP_CONNECTING = 0, CP_LIVE, CP_RECONNECTING, CP_GAP } cp_conn;

typedef struct cp_shared {
    pthread_mutex_t mu; /* guards everything below */
    cc_book book;
    cp_conn conn;
    int64_t conn_since_ms;
    int64_t gap_since_ms, gap_until_ms; /* the last gap; both 0 when none */
    uint64_t conn_rev;                  /* bumped on every change of the above */
} cp_shared;

/* A growable text buffer with `pre` bytes of headroom before the text
 * (libwebsockets writes its frame header there). */
typedef struct cp_buf {
    char *data;
    size_t pre, len, cap;
    int failed; /* an allocation failed: the text is incomplete */
} cp_buf;

void cp_buf_init(cp_buf *b, size_t pre);
void cp_buf_free(cp_buf *b);
void cp_buf_reset(cp_buf *b);
char *cp_buf_text(cp_buf *b);
void cp_put(cp_buf *b, const char *s, size_t n);
void cp_puts(cp_buf *b, const char *s);
/* Shortest text that reads back as the same double (JSON; 0 for NaN/inf). */
void cp_num(cp_buf *b, double v);

const char *cp_conn_name(cp_conn c);

/* Renderers: call with sh->mu held. They reset b first. */
void cp_hello(cp_buf *b, const cp_shared *sh);
void cp_conn_msg(cp_buf *b, const cp_shared *sh);
void cp_history(cp_buf *b, const cp_shared *sh, size_t m, size_t i);
/* The candles of (m, i) changed after revision `since`, oldest first; renders
 * nothing and returns 0 when none did. */
size_t cp_update(cp_buf *b, const cp_shared *sh, size_t m, size_t i, uint64_t since);
void cp_error(cp_buf *b, const char *message); /* message: plain ASCII, no quotes */

#endif
