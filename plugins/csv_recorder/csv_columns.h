/*
 * csv_columns.h — the fixed column list of each recorded type (Upbit DEFAULT
 * field names in the PROTOCOL.md table order) and the row builder.
 */
#ifndef CSV_COLUMNS_H
#define CSV_COLUMNS_H

#include <stddef.h>
#include <upws/plugin.h>
#include "csv_util.h"

typedef enum {
    CSV_TICKER = 0,
    CSV_TRADE,
    CSV_ORDERBOOK,
    CSV_CANDLE, /* every candle.* unit shares one layout */
    CSV_MYORDER, /* private */
    CSV_MYASSET, /* private; no code column (its events have code "") */
    CSV_NKINDS
} csv_kind;

typedef struct csv_columns {
    const char **names; /* names[0] = "type", then "code" except for myAsset */
    size_t n;
    char *pool;         /* generated names (orderbook levels), or NULL */
    char *header;       /* "type,code,…\n" */
    size_t header_len;
} csv_columns;

/* The layout recording `t`, or -1 when the type is not recorded. */
int csv_kind_of(upws_type t);

/* 1 for the layouts of private types (fed by the private connection). */
int csv_kind_private(csv_kind k);

/* Build the layout of `k`; depth (1..30) only matters for orderbook.
 * 0, or -1 when out of memory. csv_columns_free() is safe either way. */
int csv_columns_build(csv_columns *c, csv_kind k, unsigned depth);
void csv_columns_free(csv_columns *c);

/* Append one whole row ("…\n") for ev to out. The `type` and `code` columns
 * come from the event header, every other cell from api->event_field(). On -1 (out of
 * memory) out may hold part of a row: the caller restores its length. */
int csv_row_append(const csv_columns *c, const upws_host_api *api, const upws_event *ev,
                   csv_buf *out, csv_buf *scratch);

/* Append one gap marker row: type, code (when a column), `timestamp` = ts_ms and
 * `stream_type` = marker ("GAP_BEGIN" / "GAP_END"); every other cell empty,
 * so a reader sees at a glance that the data is not continuous there. */
int csv_gap_row_append(const csv_columns *c, const char *type_name, const char *code,
                       int64_t ts_ms, const char *marker, csv_buf *out);

#endif
