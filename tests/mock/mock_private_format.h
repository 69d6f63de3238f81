/* DEFAULT/SIMPLE rendering of the private data types (PROTOCOL §10.5-10.6). */
#ifndef UPWS_MOCK_PRIVATE_FORMAT_H
#define UPWS_MOCK_PRIVATE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mock_account.h"

/* state is "wait", "trade", "done" or "cancel"; fill is the fill of a
 * "trade" event (NULL otherwise). Returns the length, 0 if it did not fit. */
size_t render_myorder(char *buf, size_t cap, const struct order *o, const char *state,
                      const struct fill *fill, bool simple, int64_t now_ms);
/* One myAsset frame listing the given currencies' current balances. */
size_t render_myasset(char *buf, size_t cap, const char *const *currencies, size_t n,
                      const char *asset_uuid, bool simple, int64_t now_ms);

#endif
