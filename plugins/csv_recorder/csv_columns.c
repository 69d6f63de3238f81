/*
 * csv_columns.c — see csv_columns.h. The tables follow PROTOCOL.md §10.1–10.6
 * minus the deprecated/legacy ticker fields (is_trading_suspended,
 * market_warning, trade_status, market_state_for_ios).
 */
#include <upws/fields.h>
#include "csv_columns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

int csv_kind_of(upws_type t)
{
    switch (t) {
    case UPWS_TYPE_TICKER: return CSV_TICKER;
    case UPWS_TYPE_TRADE: return CSV_TRADE;
    case UPWS_TYPE_ORDERBOOK: return CSV_ORDERBOOK;
    case UPWS_TYPE_CANDLE: return CSV_CANDLE;
    case UPWS_TYPE_MYORDER: return CSV_MYORDER;
    case UPWS_TYPE_MYASSET: return CSV_MYASSET;
    default: return -1;
    }
}

int csv_kind_private(csv_kind k)
{
    return k == CSV_MYORDER || k == CSV_MYASSET;
}

static int copy_names(csv_columns *c, const char *const *src, size_t n)
{
    c->names = malloc(n * sizeof *c->names);
    if (!c->names)
        return -1;
    memcpy(c->names, src, n * sizeof *c->names);
    c->n = n;
    return 0;
}

/* "ask_price_30" is the longest generated name: 12 characters plus NUL. */
enum { LEVEL_NAME_MAX = 16 };

static int build_orderbook(csv_columns *c, unsigned depth)
{
    size_t n = COUNT(UPWS_FIELDS_BOOK_HEAD) + 4 * (size_t)depth + COUNT(UPWS_FIELDS_BOOK_TAIL);
    c->names = malloc(n * sizeof *c->names);
    c->pool = malloc(4 * (size_t)depth * LEVEL_NAME_MAX);
    if (!c->names || !c->pool)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < COUNT(UPWS_FIELDS_BOOK_HEAD); i++)
        c->names[k++] = UPWS_FIELDS_BOOK_HEAD[i];
    char *slot = c->pool;
    for (unsigned lvl = 1; lvl <= depth; lvl++) {
        for (size_t u = 0; u < COUNT(UPWS_FIELDS_BOOK_UNIT); u++) {
            snprintf(slot, LEVEL_NAME_MAX, "%s_%u", UPWS_FIELDS_BOOK_UNIT[u], lvl);
            c->names[k++] = slot;
            slot += LEVEL_NAME_MAX;
        }
    }
    for (size_t i = 0; i < COUNT(UPWS_FIELDS_BOOK_TAIL); i++)
        c->names[k++] = UPWS_FIELDS_BOOK_TAIL[i];
    c->n = k;
    return 0;
}

static int build_header(csv_columns *c)
{
    size_t len = 0;
    for (size_t i = 0; i < c->n; i++)
        len += strlen(c->names[i]) + 1; /* name plus ',' or '\n' */
    c->header = malloc(len + 1);
    if (!c->header)
        return -1;
    char *o = c->header;
    for (size_t i = 0; i < c->n; i++) {
        size_t l = strlen(c->names[i]);
        memcpy(o, c->names[i], l);
        o += l;
        *o++ = i + 1 < c->n ? ',' : '\n';
    }
    *o = '\0';
    c->header_len = len;
    return 0;
}

int csv_columns_build(csv_columns *c, csv_kind k, unsigned depth)
{
    memset(c, 0, sizeof *c);
    int rc;
    switch (k) {
    case CSV_TICKER: rc = copy_names(c, UPWS_FIELDS_TICKER, COUNT(UPWS_FIELDS_TICKER)); break;
    case CSV_TRADE: rc = copy_names(c, UPWS_FIELDS_TRADE, COUNT(UPWS_FIELDS_TRADE)); break;
    case CSV_ORDERBOOK: rc = build_orderbook(c, depth); break;
    case CSV_CANDLE: rc = copy_names(c, UPWS_FIELDS_CANDLE, COUNT(UPWS_FIELDS_CANDLE)); break;
    case CSV_MYORDER: rc = copy_names(c, UPWS_FIELDS_MYORDER, COUNT(UPWS_FIELDS_MYORDER)); break;
    case CSV_MYASSET: rc = copy_names(c, UPWS_FIELDS_MYASSET, COUNT(UPWS_FIELDS_MYASSET)); break;
    default: return -1;
    }
    if (rc != 0)
        return -1;
    return build_header(c);
}

void csv_columns_free(csv_columns *c)
{
    free(c->names);
    free(c->pool);
    free(c->header);
    memset(c, 0, sizeof *c);
}

/* The cell of a `type` or `code` column, from the event header (the JSON may
 * spell them ty/cd in SIMPLE format). -1 = neither, 0 = written, -2 = ENOMEM. */
static int put_header_cell(const char *name, const char *type_name, const char *code,
                           csv_buf *out)
{
    const char *v = strcmp(name, "type") == 0 ? type_name
                    : strcmp(name, "code") == 0 ? code : NULL;
    if (!v)
        return -1;
    return csv_put_text(out, v, strlen(v)) == 0 ? 0 : -2;
}

int csv_row_append(const csv_columns *c, const upws_host_api *api, const upws_event *ev,
                   csv_buf *out, csv_buf *scratch)
{
    for (size_t i = 0; i < c->n; i++) {
        if (i > 0 && csv_buf_put(out, ",", 1) != 0)
            return -1;
        int h = put_header_cell(c->names[i], ev->type_name, ev->code, out);
        if (h == -2)
            return -1;
        if (h == 0)
            continue;
        upws_val v = {UPWS_VAL_ABSENT, NULL, 0};
        if (api->event_field(ev, c->names[i], &v) != UPWS_OK)
            continue; /* unknown to the host: leave the cell empty */
        if (csv_put_val(out, &v, scratch) != 0)
            return -1;
    }
    return csv_buf_put(out, "\n", 1);
}

int csv_gap_row_append(const csv_columns *c, const char *type_name, const char *code,
                       int64_t ts_ms, const char *marker, csv_buf *out)
{
    char ts[24];
    int tl = snprintf(ts, sizeof ts, "%lld", (long long)ts_ms);
    for (size_t i = 0; i < c->n; i++) {
        if (i > 0 && csv_buf_put(out, ",", 1) != 0)
            return -1;
        int rc = put_header_cell(c->names[i], type_name, code, out);
        if (rc == -2)
            return -1;
        if (rc == 0)
            continue;
        rc = 0;
        if (strcmp(c->names[i], "timestamp") == 0)
            rc = csv_buf_put(out, ts, (size_t)tl);
        else if (strcmp(c->names[i], "stream_type") == 0)
            rc = csv_buf_put(out, marker, strlen(marker));
        if (rc != 0)
            return -1;
    }
    return csv_buf_put(out, "\n", 1);
}
