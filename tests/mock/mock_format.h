/* DEFAULT/SIMPLE rendering of data frames into caller buffers. */
#ifndef UPWS_MOCK_FORMAT_H
#define UPWS_MOCK_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mock_market.h"

#define RENDER_CAP 16384   /* enough for a 30-level book in DEFAULT keys */

/* Each returns the JSON object's length, or 0 if it did not fit. */
size_t render_ticker(char *buf, size_t cap, const struct market *m, bool simple,
                     bool snapshot, int64_t now_ms);
size_t render_trade(char *buf, size_t cap, const struct market *m, bool simple,
                    bool snapshot, int64_t now_ms);
size_t render_orderbook(char *buf, size_t cap, const struct market *m, int depth,
                        const char *level_txt, bool simple, bool snapshot);
size_t render_candle(char *buf, size_t cap, const struct market *m, int unit,
                     bool simple, bool snapshot, int64_t now_ms);

#endif
