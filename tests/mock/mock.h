/* upws-mock: shared types and the single process-wide state.
 *
 * The mock is single-threaded: everything runs inside lws_service() callbacks
 * and one sul timer, so plain globals need no locking. */
#ifndef UPWS_MOCK_H
#define UPWS_MOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MOCK_QUEUE_LIMIT (8u << 20)   /* slow client is dropped above this */
#define MOCK_MAX_MSG (1u << 20)       /* largest client message accepted */
#define MOCK_MSG_WINDOW 100           /* per-connection 60 s message budget */
#define MOCK_CONNECT_BURST 5          /* new connections allowed per second */
#define MOCK_ERROR_CLOSE_MS 150       /* error frame -> close delay (as observed) */
#define MOCK_STATUS_PERIOD_MS 10000   /* {"status":"UP"} cadence after PING */

enum fmt { FMT_DEFAULT, FMT_SIMPLE, FMT_JSON_LIST, FMT_SIMPLE_LIST };

static inline bool fmt_is_simple(enum fmt f)
{
    return f == FMT_SIMPLE || f == FMT_SIMPLE_LIST;
}

static inline bool fmt_is_list(enum fmt f)
{
    return f == FMT_JSON_LIST || f == FMT_SIMPLE_LIST;
}

/* Data types in the order of the Upbit docs; candles are contiguous. */
enum dtype {
    DT_TICKER,
    DT_TRADE,
    DT_ORDERBOOK,
    DT_CANDLE_FIRST,
    DT_CANDLE_LAST = DT_CANDLE_FIRST + 8,
    DT_MYORDER,
    DT_MYASSET,
    DT_COUNT
};

#define CANDLE_UNITS (DT_CANDLE_LAST - DT_CANDLE_FIRST + 1)

static inline bool dtype_is_candle(int t)
{
    return t >= DT_CANDLE_FIRST && t <= DT_CANDLE_LAST;
}

static inline bool dtype_is_private(int t)
{
    return t == DT_MYORDER || t == DT_MYASSET;
}

struct mock_config {
    int port;
    const char *log_path;
    const char *trade_log_path;
    uint64_t seed;
    int markets;
    double trade_rate;
    const char *access_key;
    const char *secret_key;
    const char *tls_cert;       /* both set: the port serves wss:// and https:// */
    const char *tls_key;
};

struct mock_stats {
    uint64_t connections_total;
    uint64_t requests;
    uint64_t frames_sent;
    uint64_t bytes_sent;
    uint64_t refused;
    uint64_t dropped_slow;
    uint64_t rest_requests;
    uint64_t accepted;          /* TCP connections accepted (TLS failures included) */
    uint64_t fragmented;        /* data messages sent split around a ping */
    uint64_t frag_pongs;        /* pongs whose payload was "frag" */
    uint64_t pings_sent;        /* /ctl/server-ping pings */
    uint64_t pongs;             /* pongs whose payload was "mock-ping" */
    uint64_t other_pongs;       /* pongs with any other payload */
    uint64_t bad_frames;
    uint64_t big;               /* /ctl/big messages sent */
};

/* Trailing-window message counts of one connection, this message included. */
struct msg_counts {
    unsigned in_1s, in_60s;
};

struct conn;
struct lws_context;
struct lws_vhost;

struct mock_state {
    struct mock_config cfg;
    struct lws_context *ctx;
    struct lws_vhost *vhost;
    struct conn *conns;          /* intrusive list of open sockets */
    unsigned nconns;
    uint64_t next_conn_id;
    bool stalled;
    int64_t refuse_until_ms;     /* /ctl/refuse: upgrades get 429 until then */
    int refuse_retry_after;      /* Retry-After seconds on those 429s; -1 = none */
    int64_t down_until_ms;       /* /ctl/down: upgrades get 503 until then */
    int64_t rest_fail_until_ms;  /* /ctl/rest-fail: REST answers 500 */
    int64_t rest_429_until_ms;   /* /ctl/rest-429: REST answers 429 */
    int64_t private_refuse_until_ms; /* /ctl/private-refuse: private upgrades fail */
    bool private_refuse_http;    /* ... with HTTP 401 (else INVALID_AUTH frame) */
    int64_t connect_times[MOCK_CONNECT_BURST];
    unsigned connect_head;
    struct mock_stats stats;
};

extern struct mock_state g_mock;

int64_t mock_now_ms(void);
int64_t mock_now_us(void);

#endif
