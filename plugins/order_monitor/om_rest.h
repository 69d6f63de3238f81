/* om_rest — Upbit Exchange REST bodies (PROTOCOL §12, §9.2) and the rate-limit
 * backoff (§8.2). No host API here (unit-tested alone). */
#ifndef OM_REST_H
#define OM_REST_H

#include <stddef.h>
#include <stdint.h>

#include "om_balances.h"
#include "om_orders.h"

/* Called once per order object; `u` and its strings are borrowed for the call. */
typedef void (*om_order_fn)(void *arg, const om_update *u);

/* A body of GET /v1/orders/open (an array) or GET /v1/order (one object).
 * Orders come out with source REST and order_amounts = 1; REST's `side` /
 * `ord_type` / `market` map to om_update's side / ord_type / market.
 * Objects without a uuid or state are skipped. Returns the number of order
 * objects in the body (skipped ones included) or -1 when it is not JSON of
 * that shape. */
int om_rest_orders(const char *body, size_t len, om_order_fn fn, void *arg);

/* A body of GET /v1/accounts into `out` (empty on entry). Returns 0, or -1
 * (out freed) when the body is not an array of {currency, balance, locked}. */
int om_rest_accounts(const char *body, size_t len, om_balances *out);

/* error.name of an error body (a string, or Upbit's integer names), or ""
 * when there is none. */
void om_rest_error_name(const char *body, size_t len, char *out, size_t cap);

/* The block duration a 418 body states in error.message ("… 30초 …",
 * "blocked for 10 minutes"), in ms, or -1 when it states none. A number
 * counts only with a unit after it: ms, s/sec/second(s)/초, m/min/minute(s)/분,
 * h/hour(s)/시간. */
int64_t om_rest_block_ms(const char *body, size_t len);

/* ---- backoff -------------------------------------------------------------- */

#define OM_RATE_FIRST_MS 1000     /* 429: 1 s, doubling … */
#define OM_RATE_MAX_MS 60000      /* … up to 60 s */
#define OM_BLOCK_DEFAULT_MS 60000 /* 418 without a stated duration: 60 s, doubling … */
#define OM_BLOCK_MAX_MS 600000    /* … up to 10 min */
#define OM_BLOCK_SLACK_MS 1000    /* added to a stated block */
#define OM_AUTH_MS 30000          /* 401/403: the keys will not start working by themselves */
#define OM_SECOND_SLACK_MS 20     /* after "sec=0", wait past the next second by this much */

typedef enum {
    OM_BO_NONE = 0,  /* last reply was a success */
    OM_BO_RATE,      /* 429 */
    OM_BO_BLOCKED,   /* 418 */
    OM_BO_AUTH,      /* 401 / 403: keys refused */
    OM_BO_FAIL       /* anything else: 5xx, no response, unexpected 4xx */
} om_bo_kind;

typedef enum {
    OM_BO_SAME = 0,  /* same episode as before: log nothing */
    OM_BO_STARTED,   /* a new kind of trouble began: log it once */
    OM_BO_RECOVERED  /* success after trouble: log it once */
} om_bo_change;

typedef struct om_backoff {
    om_bo_kind kind;
    unsigned streak;  /* replies of this kind in a row */
} om_backoff;

/* After a reply: updates b and returns how long to wait (ms) before the next
 * REST call. http_status 2xx is a success; remaining_sec is the reply's
 * Remaining-Req `sec` (0 → wait for the next wall-clock second, -1 unknown);
 * block_ms from om_rest_block_ms for a 418; now_real_ms the wall clock;
 * fail_ms the delay after an ordinary failure (the poll interval). */
int64_t om_backoff_next(om_backoff *b, int http_status, int remaining_sec, int64_t block_ms,
                        int64_t now_real_ms, int64_t fail_ms, om_bo_change *change);

#endif
