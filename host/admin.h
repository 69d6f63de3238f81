/*
 * admin.h — the operator's HTTP endpoint, served by the loop's own lws
 * context (no second event loop): GET /health, /metrics (Prometheus text),
 * /subscriptions, /plugins; POST /reload. Listens on admin.listen (loopback
 * by default); with admin.token set every request must carry
 * `Authorization: Bearer <token>`. Never shows a secret.
 * Thread: loop only.
 */
#ifndef UPWS_ADMIN_H
#define UPWS_ADMIN_H

#include <libwebsockets.h>

/* Creates the admin vhost on `listen` ("HOST:PORT", port 0 = any free one).
 * Returns the bound port, 0 when disabled ("off"), -1 on failure (logged). */
int admin_start(struct lws_context *ctx, const char *listen, const char *token);

/* The lws protocols of the admin vhost. */
extern const struct lws_protocols admin_protocols[];

#endif
