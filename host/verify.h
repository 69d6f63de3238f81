/*
 * verify.h — which want did Upbit reject?
 *
 * Upbit acknowledges nothing: a bad request gets one error frame, then the
 * socket is closed, and the frame names no culprit. So every want carries a
 * mark: verified (it was in a request that drew no error within 1.5 s) or
 * not. When an error frame is followed by the exchange closing the socket,
 * the unverified wants of the last request are the suspects: one is
 * dropped and its owner told (UPWS_STATUS_UPSTREAM_ERROR); several are held
 * back and re-admitted one request at a time so the next error names one;
 * two errors in a row with no suspect hold back everything the same way.
 * A bad want can therefore never cause a reconnect loop.
 * Thread: loop only. The module keeps its own small state.
 */
#ifndef UPWS_VERIFY_H
#define UPWS_VERIFY_H

#include <libwebsockets.h>
#include "decode.h"

/* conn_up: is the public socket up; plan_soon: ask for a (re-)plan. */
void verify_init(struct lws_context *lws, int (*conn_up)(void), void (*plan_soon)(void));
/* A request just went out: its unverified wants become suspects. */
void verify_request_sent(void);
/* An error frame arrived; it counts only if the exchange then closes. */
void verify_error_frame(const decode_info *info);
/* The socket closed; by_peer = the exchange sent a close frame. */
void verify_socket_closed(int by_peer);
void verify_shutdown(void);

#endif
