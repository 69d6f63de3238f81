/* Subscription sets per connection (overwrite semantics) and snapshots. */
#ifndef UPWS_MOCK_SUB_H
#define UPWS_MOCK_SUB_H

#include <stdint.h>

#include "mock_conn.h"
#include "mock_request.h"

/* Replaces c's whole subscription set with *r (taken over; *r is zeroed),
 * queues the snapshots and registers the realtime items. */
void sub_apply(struct conn *c, struct request *r, int64_t now_ms);
/* LIST_SUBSCRIPTIONS: switches c's format to r's and queues the reply. */
void sub_list(struct conn *c, const struct request *r);
/* Unregisters c from every market (close or before a new set). */
void sub_detach(struct conn *c);
/* Queues one rendered data object for c in c's current format. */
void sub_send(struct conn *c, const char *obj, size_t len);

#endif
