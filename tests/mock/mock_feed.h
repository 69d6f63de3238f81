/* Timer-driven generation: trades, and the fan-out of every data type. */
#ifndef UPWS_MOCK_FEED_H
#define UPWS_MOCK_FEED_H

#include <stdint.h>

#include "mock_market.h"

void feed_activate(struct market *m, int64_t now_us);
void feed_deactivate(struct market *m);
void feed_tick(int64_t now_us);
void feed_free(void);
/* Renders one data object of a market (orderbook books are built first). */
size_t feed_render(char *buf, size_t cap, struct market *m, int type, int depth,
                   const char *level_txt, bool simple, bool snapshot, int64_t now_ms);

#endif
