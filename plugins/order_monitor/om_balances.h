/* om_balances — the current balances (currency → balance, locked), as exact
 * decimal text, from myAsset events and GET /v1/accounts; the balances line
 * and the balances file text. No host API here (unit-tested alone). */
#ifndef OM_BALANCES_H
#define OM_BALANCES_H

#include <stddef.h>
#include <stdint.h>

#include "om_orders.h"

#define OM_CUR_MAX 16

typedef struct om_balance {
    char currency[OM_CUR_MAX];
    char balance[OM_NUM_MAX];   /* canonical decimal (om_dec_canon) */
    char locked[OM_NUM_MAX];
    uint64_t stream_seq;        /* b->seq of the myAsset event that set it; 0 = REST */
} om_balance;

/* Sorted by currency (strcmp), no all-zero entries: Upbit's /v1/accounts
 * lists only what the account holds, and a myAsset entry that drops to zero
 * means the same. Owns its array; zero-initialise, free with om_bal_free(). */
typedef struct om_balances {
    om_balance *v;
    size_t n, cap;
    uint64_t seq;               /* myAsset events applied so far */
} om_balances;

void om_bal_free(om_balances *b);

/* Sets one currency from canonical texts. Returns 1 when it changed, 0 when
 * not, -1 on a bad currency or out of memory. */
int om_bal_set(om_balances *b, const char *currency, const char *balance, const char *locked);

/* Makes `b` equal to `fresh` (a full list, e.g. /v1/accounts), taking over
 * fresh's array (fresh is left empty), except that entries a myAsset event
 * set after `since` (b->seq when the REST call was sent) are kept: the REST
 * answer is older than they are. Returns 1 when the content changed. */
int om_bal_replace(om_balances *b, om_balances *fresh, uint64_t since);

int om_bal_equal(const om_balances *a, const om_balances *b);

/* Applies the `assets` array of a myAsset event, its wire text exactly as
 * event_field returns it (DEFAULT or SIMPLE keys). *changed is set to 1 when
 * a balance changed. Returns the number of entries applied or -1 when the
 * text is not such an array. */
int om_bal_apply_assets(om_balances *b, const char *json, size_t len, int *changed);

/* "balances BTC=0.5(locked 0.1) KRW=1000000(locked 0)" ("balances none"
 * when empty). Returns a malloc'd string (caller frees) or NULL. */
char *om_bal_line(const om_balances *b);

/* The balances file: one "CURRENCY balance locked\n" per currency, sorted.
 * Returns a malloc'd string (caller frees) or NULL. */
char *om_bal_file_text(const om_balances *b);

/* Parses text written by om_bal_file_text into `out` (which must be empty).
 * Returns 0, or -1 on a malformed line (out is then freed). */
int om_bal_parse_file(om_balances *out, const char *text);

#endif
