/* Order lifecycles on the simulated account and their myOrder / myAsset
 * events, sent to every authenticated private socket whose current request
 * asks for them. Neither type has a snapshot: only changes are sent. */
#ifndef UPWS_MOCK_PRIVATE_H
#define UPWS_MOCK_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include "mock_account.h"

struct fill_plan {
    int fills;          /* fills that complete the order (>= 1) */
    int stop_after;     /* fills to actually make; fewer leaves it open */
    int step_ms;        /* from placement to the first fill, and between fills */
};

void private_init(void);
void private_free(void);

/* Places a limit order: myOrder "wait" and myAsset now, then one "trade"
 * per step (and "done" with the last) plus myAsset after each fill. */
struct order *private_place(const struct order_req *rq, const struct fill_plan *plan,
                            const char **err);
/* myOrder "cancel" and myAsset for the released funds; false if not open. */
bool private_cancel(struct order *o, int64_t now_ms);
/* Changes a free balance (a deposit or withdrawal) and sends myAsset. */
bool private_deposit(const char *currency, int64_t amount, int64_t now_ms);
/* Makes the fills that are due. */
void private_tick(int64_t now_ms);

#endif
