/*
 * markets.h — the exchange's market list (REST GET /v1/market/all).
 *
 * Upbit silently ignores codes it does not list, so the host checks every
 * subscription against this list and tells the plugin instead of leaving it
 * waiting. Without a list (REST unreachable) every code is allowed.
 * Thread: loop only. The module owns its strings.
 */
#ifndef UPWS_MARKETS_H
#define UPWS_MARKETS_H

#include <stddef.h>

/* Replaces the list from a /v1/market/all body. Returns the number of
 * markets, or -1 (list unchanged) when the body is not such a list. */
int markets_load(const char *json, size_t len);
/* 1 listed, 0 not listed, -1 no list loaded (unknown: allow). */
int markets_known(const char *code);
size_t markets_count(void);
void markets_clear(void);

#endif
