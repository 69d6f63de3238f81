/*
 * rest.h — small REST GET client on the loop's lws context.
 *
 * Used for Upbit's REST calls: the market list, and plugins' signed GETs. Requests run on the
 * loop thread without blocking it; the callback gets the status and the
 * whole body (borrowed for the call). Never sends an Origin header.
 * Thread: loop only.
 */
#ifndef UPWS_REST_H
#define UPWS_REST_H

#include <libwebsockets.h>
#include <stddef.h>

/* status: the HTTP status, or -1 when no response arrived (reason in body).
 * remaining_req: Upbit's Remaining-Req header, or NULL. All borrowed. */
typedef void (*rest_done_fn)(int status, const char *body, size_t len, const char *remaining_req, void *arg);

/* GET base_url + path (path may carry "?query"). `authorization`, when not
 * NULL, is sent as the Authorization header (copied, wiped after use, never
 * logged). Returns 0 when started (fn will be called exactly once), -1 when
 * it could not start (fn is not called). */
int rest_get(struct lws_context *ctx, struct lws_vhost *vh, const char *base_url, const char *path,
             const char *authorization, rest_done_fn fn, void *arg);

/* The lws protocol callback for REST sockets (protocol name "upws-rest"). */
int rest_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len);

#endif
