/* chart_proto.c — JSON messages for the page; see chart_proto.h.
 * Hand-written: the history message is the hot path (N candles rendered
 * while the shared mutex is held), and every string in it is one we
 * validated ourselves (market codes, interval labels, fixed texts), so no
 * escaping is needed. */
#include "chart_proto.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- buffer ---------------------------------------------------------------- */

void cp_buf_init(cp_buf *b, size_t pre)
{
    memset(b, 0, sizeof *b);
    b->pre = pre;
}

void cp_buf_free(cp_buf *b)
{
    free(b->data);
    cp_buf_init(b, b->pre);
}

void cp_buf_reset(cp_buf *b)
{
    b->len = 0;
    b->failed = 0;
}

/* The text; NUL-terminated unless an allocation failed. */
char *cp_buf_text(cp_buf *b)
{
    return b->data ? b->data + b->pre : NULL;
}

static int reserve(cp_buf *b, size_t more)
{
    if (b->failed)
        return -1;
    size_t need = b->pre + b->len + more + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->failed = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

void cp_put(cp_buf *b, const char *s, size_t n)
{
    if (reserve(b, n) != 0)
        return;
    char *dst = b->data + b->pre + b->len;
    memcpy(dst, s, n);
    dst[n] = '\0';
    b->len += n;
}

void cp_puts(cp_buf *b, const char *s)
{
    cp_put(b, s, strlen(s));
}

static void put_i64(cp_buf *b, int64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%" PRId64, v);
    cp_put(b, tmp, (size_t)n);
}

/* %.15g already drops trailing zeros, so it is the shortest form whenever
 * the value has at most 15 significant digits (every real price); only
 * other values need the longer tries. */
void cp_num(cp_buf *b, double v)
{
    char tmp[40];
    int n = 1;
    if (!isfinite(v)) {
        cp_put(b, "0", 1);
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    cp_put(b, tmp, (size_t)n);
}

static void put_dec(cp_buf *b, cc_dec v)
{
    char tmp[48];
    cp_put(b, tmp, cc_dec_format(v, tmp, sizeof tmp));
}

/* ---- pieces ---------------------------------------------------------------- */

const char *cp_conn_name(cp_conn c)
{
    switch (c) {
    case CP_LIVE: return "live";
    case CP_RECONNECTING: return "reconnecting";
    case CP_GAP: return "gap";
    default: return "connecting";
    }
}

static void put_conn(cp_buf *b, const cp_shared *sh)
{
    cp_puts(b, "{\"state\":\"");
    cp_puts(b, cp_conn_name(sh->conn));
    cp_puts(b, "\",\"since\":");
    put_i64(b, sh->conn_since_ms);
    cp_puts(b, ",\"gap\":");
    if (!sh->gap_since_ms) {
        cp_puts(b, "null}");
        return;
    }
    cp_puts(b, "{\"since\":");
    put_i64(b, sh->gap_since_ms);
    cp_puts(b, ",\"until\":");
    put_i64(b, sh->gap_until_ms);
    cp_puts(b, "}}");
}

static void put_candle(cp_buf *b, const cc_candle *c)
{
    cp_put(b, "[", 1);
    put_i64(b, c->start_ms / 1000);
    const double px[4] = {c->open, c->high, c->low, c->close};
    for (int k = 0; k < 4; k++) {
        cp_put(b, ",", 1);
        cp_num(b, px[k]);
    }
    cp_put(b, ",", 1);
    put_dec(b, c->volume);
    cp_put(b, ",", 1);
    put_i64(b, (int64_t)c->n_trades);
    cp_put(b, "]", 1);
}

static void put_last(cp_buf *b, const cc_market *m)
{
    if (!m->has_last) {
        cp_puts(b, "null");
        return;
    }
    cp_puts(b, "{\"price\":");
    cp_num(b, m->last_price);
    cp_puts(b, ",\"seq\":\""); /* text: sequential_id exceeds 2^53 */
    put_i64(b, m->last_seq);
    cp_puts(b, "\",\"ts\":");
    put_i64(b, m->last_ts);
    cp_puts(b, "}");
}

/* {"type":T,"code":C,"interval":I,"candles":[ — the common head. */
static void put_series_head(cp_buf *b, const char *type, const cp_shared *sh, size_t m, size_t i)
{
    char label[24];
    cc_interval_label(sh->book.interval_ms[i], label, sizeof label);
    cp_puts(b, "{\"type\":\"");
    cp_puts(b, type);
    cp_puts(b, "\",\"code\":\"");
    cp_puts(b, sh->book.markets[m].code);
    cp_puts(b, "\",\"interval\":\"");
    cp_puts(b, label);
    cp_puts(b, "\",\"candles\":[");
}

/* ---- messages ---------------------------------------------------------------- */

void cp_hello(cp_buf *b, const cp_shared *sh)
{
    cp_buf_reset(b);
    cp_puts(b, "{\"type\":\"hello\",\"codes\":[");
    for (size_t m = 0; m < sh->book.n_markets; m++) {
        cp_puts(b, m ? ",\"" : "\"");
        cp_puts(b, sh->book.markets[m].code);
        cp_puts(b, "\"");
    }
    cp_puts(b, "],\"intervals\":[");
    for (size_t i = 0; i < sh->book.n_intervals; i++) {
        char label[24];
        cc_interval_label(sh->book.interval_ms[i], label, sizeof label);
        cp_puts(b, i ? ",\"" : "\"");
        cp_puts(b, label);
        cp_puts(b, "\"");
    }
    cp_puts(b, "],\"history\":");
    put_i64(b, (int64_t)sh->book.history);
    cp_puts(b, sh->book.fill_gaps ? ",\"fill_gaps\":true" : ",\"fill_gaps\":false");
    cp_puts(b, ",\"conn\":");
    put_conn(b, sh);
    cp_puts(b, "}");
}

void cp_conn_msg(cp_buf *b, const cp_shared *sh)
{
    cp_buf_reset(b);
    cp_puts(b, "{\"type\":\"conn\",\"conn\":");
    put_conn(b, sh);
    cp_puts(b, "}");
}

void cp_history(cp_buf *b, const cp_shared *sh, size_t m, size_t i)
{
    const cc_series *s = &sh->book.markets[m].series[i];
    cp_buf_reset(b);
    put_series_head(b, "history", sh, m, i);
    for (size_t k = 0; k < s->len; k++) {
        if (k)
            cp_put(b, ",", 1);
        put_candle(b, cc_series_at(s, k));
    }
    cp_puts(b, "],\"last\":");
    put_last(b, &sh->book.markets[m]);
    cp_puts(b, ",\"dropped\":");
    put_i64(b, (int64_t)s->n_too_old);
    cp_puts(b, "}");
}

size_t cp_update(cp_buf *b, const cp_shared *sh, size_t m, size_t i, uint64_t since)
{
    const cc_series *s = &sh->book.markets[m].series[i];
    size_t n = 0;
    cp_buf_reset(b);
    if (s->rev <= since)
        return 0;
    put_series_head(b, "update", sh, m, i);
    for (size_t k = 0; k < s->len; k++) {
        const cc_candle *c = cc_series_at(s, k);
        if (c->rev <= since)
            continue;
        if (n++)
            cp_put(b, ",", 1);
        put_candle(b, c);
    }
    cp_puts(b, "],\"last\":");
    put_last(b, &sh->book.markets[m]);
    cp_puts(b, "}");
    return n;
}

void cp_error(cp_buf *b, const char *message)
{
    cp_buf_reset(b);
    cp_puts(b, "{\"type\":\"error\",\"message\":\"");
    cp_puts(b, message);
    cp_puts(b, "\"}");
}
