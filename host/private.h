/*
 * private.h — the private Upbit socket (myOrder, myAsset) and the signed
 * REST calls plugins make (PROTOCOL §3, §10.5–10.6, §12).
 *
 * Exists only when API keys are configured. The socket opens when some
 * plugin wants a private type and closes when none does; every connect
 * attempt and every REST call carries a fresh JWT (HS512, new nonce).
 * Refused credentials (HTTP 401/403 on the upgrade, or INVALID_AUTH) back
 * off from 1 s to 60 s and never touch the public socket. Subscribers of
 * private types hear UP / DOWN / GAP with private_conn = 1.
 * Thread: loop only. Keys are copied here and wiped on free; nothing in
 * this module logs a key or a token.
 */
#ifndef UPWS_PRIVATE_H
#define UPWS_PRIVATE_H

#include <libwebsockets.h>
#include <stdint.h>
#include "config.h"
#include "conn.h"
#include "instance.h"

typedef struct private_counters {
    uint64_t auth_failures;     /* credentials refused (upgrade or INVALID_AUTH) */
    uint64_t rest_calls, rest_failed;  /* signed calls started; answered non-2xx or not at all */
} private_counters;

/* Without keys this does nothing (private_available stays 0). on_frame is
 * the host's frame hook, shared with the public socket. Returns 0, or -1
 * with err when private_url is unusable. */
int private_init(struct lws_context *lws, struct lws_vhost *vh, const config *cfg,
                 void (*on_frame)(conn *c, const char *buf, size_t len, void *arg), char *err, size_t errlen);
/* The registry changed: open, re-plan or close the socket (debounced). */
void private_plan_soon(void);
/* A data frame arrived on the private socket (the keys work). */
void private_on_data(void);
/* An error frame arrived on the private socket. */
void private_on_error(const char *name, const char *message);
/* A plugin subscribed to a private type: it hears the socket's state now. */
void private_on_subscribe(instance *inst);
/* A signed GET for a plugin; the answer goes to the instance's inbox. */
void private_rest_get(instance *inst, int64_t id, const char *path, const char *query, upws_rest_fn fn);
/* The instance is going away: its pending REST answers are discarded. */
void private_forget(instance *inst);
void private_shutdown(void);          /* no more reconnects */
void private_free(void);              /* after the lws context is destroyed */

conn *private_conn(void);             /* NULL without keys */
const char *private_last_request(void);
const private_counters *private_get_counters(void);

#endif
