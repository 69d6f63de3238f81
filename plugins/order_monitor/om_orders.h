/* om_orders — decimal text, the table of known orders, and the order line.
 *
 * No host API here: the plugin glue feeds normalised updates (from a myOrder
 * event or a REST order object) and writes the lines this module produces,
 * so the dedupe rules can be unit-tested without a host. */
#ifndef OM_ORDERS_H
#define OM_ORDERS_H

#include <stddef.h>
#include <stdint.h>

#define OM_NUM_MAX 72      /* canonical decimal text, NUL included */
#define OM_UUID_MAX 64
#define OM_MARKET_MAX 24
#define OM_WORD_MAX 16     /* side, ord_type, state */
#define OM_LINE_MAX 512
#define OM_FINISHED_MAX 256

/* Writes `n` bytes of decimal text (JSON number or Upbit's string form:
 * "0.005", "1.16539E8", "100473000.00000000") to `out` in canonical plain
 * form: no exponent, no leading zeros, no trailing fractional zeros
 * ("116539000", "0.005", "0"). Exact: digits are moved, never rounded.
 * Returns 0, or -1 when the text is not a number or does not fit. */
int om_dec_canon(const char *s, size_t n, char *out, size_t cap);

/* Compares two canonical decimals (as om_dec_canon writes them): <0, 0, >0. */
int om_dec_cmp(const char *a, const char *b);

typedef enum { OM_SRC_WS = 0, OM_SRC_REST = 1 } om_source;

/* One observation of one order, normalised from either source. Strings are
 * borrowed for the om_orders_apply() call; numbers are canonical text or ""
 * when the wire had null / nothing. */
typedef struct om_update {
    const char *uuid;
    const char *market;
    const char *side;        /* "bid" / "ask" (lower case) */
    const char *ord_type;    /* "limit", "price", "market", "best" */
    const char *state;       /* "wait", "watch", "trade", "done", "cancel", "prevented" */
    char price[OM_NUM_MAX];
    char volume[OM_NUM_MAX];
    char executed[OM_NUM_MAX];
    int64_t trades;          /* trades_count, -1 when unknown */
    int order_amounts;       /* 1: price/volume are the order's; 0: a fill's (myOrder "trade") */
    om_source source;
} om_update;

/* What the table remembers of an open order. */
typedef struct om_order {
    char uuid[OM_UUID_MAX];
    char market[OM_MARKET_MAX];
    char side[OM_WORD_MAX];
    char ord_type[OM_WORD_MAX];
    char price[OM_NUM_MAX];     /* the order's; "" until known */
    char volume[OM_NUM_MAX];
    char executed[OM_NUM_MAX];  /* canonical, "0" when none */
    char state[OM_WORD_MAX];    /* as last reported in a line */
    int64_t trades;
    uint64_t born;              /* sweep counter when first seen (see om_orders_vanished) */
    uint64_t swept;             /* last REST sweep that listed it */
} om_order;

/* The table. Owns its arrays; zero-initialise, free with om_orders_free(). */
typedef struct om_orders {
    om_order *v;
    size_t n, cap;
    /* Ring of uuids whose terminal line was written: late or stale copies of
     * a finished order (a slow REST page, a repeated event) are ignored. */
    char finished[OM_FINISHED_MAX][OM_UUID_MAX];
    size_t finished_next, finished_n;
    uint64_t sweep;             /* current REST sweep number; 0 before the first */
} om_orders;

void om_orders_free(om_orders *t);

/* Applies one observation. Writes a line to `line` and returns 1 when the
 * order's (phase, executed volume) changed: a new order, a fill, a move
 * from watch to wait, or an end. Returns 0 when nothing changed or the
 * observation is older than what is known (executed volume going back
 * within a phase, a phase going back, an order already finished); a later
 * phase never lowers the executed volume already seen. Returns -1 on
 * an invalid update (no uuid, unknown state) or out of memory.
 * `sweep_listed` != 0 marks the order as listed by that REST sweep. */
int om_orders_apply(om_orders *t, const om_update *u, uint64_t sweep_listed, char *line, size_t cap);

/* The order with this uuid, or NULL. Borrowed until the next table change. */
const om_order *om_orders_find(const om_orders *t, const char *uuid);

/* Drops an open order without a line (REST says it does not exist). */
void om_orders_forget(om_orders *t, const char *uuid);

int om_orders_is_finished(const om_orders *t, const char *uuid);

/* Open orders known before REST sweep `sweep` began and not listed by it:
 * candidates for a one-order lookup. Writes up to `max` uuids into `out`;
 * returns how many. A market filter (NULL = all) skips other markets. */
size_t om_orders_vanished(const om_orders *t, uint64_t sweep, const char *const *markets,
                          size_t n_markets, char (*out)[OM_UUID_MAX], size_t max);

/* State hand-off across a hot reload: plain text lines, no pointers.
 * save returns a malloc'd NUL-terminated text (caller frees) or NULL;
 * restore replaces the table and returns 0, or -1 (table unchanged). */
char *om_orders_save(const om_orders *t);
int om_orders_restore(om_orders *t, const char *text);

#endif
