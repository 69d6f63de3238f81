/*
 * market_check.h — plugins' wants checked against the exchange's market list.
 *
 * Fetches GET /v1/market/all at start and every 10 minutes (30 s after a
 * failure), refuses unlisted codes with UPWS_STATUS_UNSERVED, and re-checks
 * live subscriptions whenever a new list arrives (a delisting). The list
 * itself lives in markets.c. Thread: loop only; the module copies the URL.
 */
#ifndef UPWS_MARKET_CHECK_H
#define UPWS_MARKET_CHECK_H

#include <libwebsockets.h>
#include <stddef.h>
#include <stdint.h>
#include "registry.h"

/* Starts the first fetch. `changed` is called when subscriptions were
 * rebuilt (the request must be re-planned). */
void market_check_start(struct lws_context *lws, struct lws_vhost *vh, const char *rest_url,
                        void (*changed)(void));
/* A reload may bring another rest_url (NULL: none). */
void market_check_set_url(const char *rest_url);
/* 1 while the first list is still on its way and worth waiting for: the
 * first request then carries no code Upbit would silently ignore. */
int market_check_waiting(void);
/* From the 1 s tick: refreshes the list when due. */
void market_check_tick(void);
/* Keeps the listed codes of a want (compacted in place, unlisted ones freed)
 * and tells the plugin about the others. Returns how many remain. */
size_t market_check_filter(sub *probe, char **codes, size_t n);
void market_check_free(void);

#endif
