/* One client WebSocket: its outgoing frame queue, rate budget and state. */
#ifndef UPWS_MOCK_CONN_H
#define UPWS_MOCK_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mock.h"
#include "mock_request.h"

struct lws;

/* Queue record flags. */
#define QF_DATA 1u    /* market data: dropped when the subscription changes */
#define QF_TEXT 2u    /* send as a text frame (control replies) */
#define QF_LIST 4u    /* *_LIST format: batch with neighbours into one array */
#define QF_RAW 8u     /* bytes already framed (mock_frame.c): written verbatim */

struct conn {
    uint64_t id;
    struct lws *wsi;
    bool private_path, origin;
    bool auth;              /* private path and the JWT checked out */
    const char *auth_result;/* jwt_result_name(), "refused" or "none" (public) */

    enum fmt fmt;
    struct request sub;     /* the subscription set in force */

    char *rx;
    size_t rx_len, rx_cap;
    bool rx_overflow;

    int64_t msg_times[MOCK_MSG_WINDOW];
    unsigned msg_next, msg_count;

    unsigned char *q;       /* records: u32 len, u8 flags, payload */
    size_t q_head, q_len, q_cap;

    int64_t status_next_ms; /* 0 = no PING seen */
    int64_t close_at_ms;    /* 0 = not closing */
    bool want_close;        /* send close(1000) at next writeable */
    bool dead;              /* dropped; waiting for lws to reap */
    unsigned frag_left;     /* /ctl/fragment: data messages still to split */

    struct conn *prev, *next;
};

struct conn *conn_new(struct lws *wsi);
void conn_free(struct conn *c);

void conn_enqueue(struct conn *c, const void *data, size_t len, unsigned flags);
/* Drops queued market data (a new subscription replaces the old stream). */
void conn_drop_data(struct conn *c);
bool conn_has_output(const struct conn *c);
/* Builds the next message (with LWS_PRE headroom) in a shared buffer;
 * *flags are its record's QF_* flags (a list batch: its first record's). */
unsigned char *conn_next_frame(struct conn *c, size_t *len, unsigned *flags);

/* Records one client message; fills its trailing 1 s / 60 s counts and
 * returns true if it breaks the 5/s or 100/min budget. */
bool conn_rate_note(struct conn *c, int64_t now_ms, struct msg_counts *counts);

/* Error frame, then close(1000) after MOCK_ERROR_CLOSE_MS. */
void conn_fail(struct conn *c, const char *name, const char *message);
/* Abrupt close without a close frame. */
void conn_kill(struct conn *c, const char *why);
void conn_wake(struct conn *c);

void conns_free_all(void);

#endif
