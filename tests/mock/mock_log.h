/* JSON-lines event log that the integration tests parse. */
#ifndef UPWS_MOCK_LOG_H
#define UPWS_MOCK_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "mock.h"

int log_open(const char *path);
void log_close(void);

/* auth: the JWT check result on the private path ("ok", "missing",
 * "bad_signature", "nonce_reused", ..., "refused" under /ctl/private-refuse),
 * "none" on the public path. connects_1s: accepted connects in the trailing
 * second, this one included. */
void log_conn_open(uint64_t conn, const char *path, const char *auth, bool origin,
                   unsigned connects_1s);
void log_conn_close(uint64_t conn);
/* parsed may be NULL (request was not JSON); text need not be UTF-8. */
void log_request(uint64_t conn, const char *text, size_t len, json_t *parsed,
                 const char *result, const struct msg_counts *counts);
void log_ping(uint64_t conn);
void log_refused(const char *why);
void log_drop(uint64_t conn, const char *why);
void log_ctl(const char *action);
/* {"ev":"fault","conn":N,"kind":...,"detail":...}: one framing fault queued
 * on a socket (fragment, server-ping, bad-frame, big). */
void log_fault(uint64_t conn, const char *kind, const char *detail);
/* {"ev":"peer_close","conn":N,"code":C}: the client sent a close frame
 * (C is 0 when it carried no status code). */
void log_peer_close(uint64_t conn, unsigned code);
/* {"ev":"pong","conn":N,"payload":...}: a pong the client sent. */
void log_pong(uint64_t conn, const void *payload, size_t len);
/* One REST call (path without the query) and the status it got; query
 * (as hashed) and auth (the JWT check result) are NULL when not applicable. */
void log_rest(const char *method, const char *path, const char *query, unsigned status,
              const char *auth);
/* {"ev":"private","type":type, ...fields}: one myOrder/myAsset event the
 * mock generated. Takes ownership of fields (a JSON object). */
void log_private(const char *type, json_t *fields);

/* Ground truth for tests: one "CODE SEQUENTIAL_ID" line per generated trade. */
int log_trades_open(const char *path);
void log_trade(const char *code, int64_t sid);

#endif
