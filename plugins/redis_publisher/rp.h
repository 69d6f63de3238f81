/*
 * rp.h — shared state of the redis_publisher plugin.
 *
 * Two threads touch an instance: the plugin thread the host runs our
 * callbacks on, and one I/O thread we start in init and join in stop. They
 * meet only at the queue (`mu`, `cv`) and a few atomic counters; every other
 * field says which thread owns it.
 */
#ifndef RP_H
#define RP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <upws/plugin.h>

#define RP_SEEN_IDS 64 /* recent trade sequential_ids remembered per stream */

/* ---- configuration ------------------------------------------------------- */

typedef struct rp_url {
    char *host;     /* without brackets for IPv6 */
    int port;
    long db;
    char *user;     /* NULL: none (AUTH password only) */
    char *password; /* NULL: no AUTH */
    char *display;  /* the URL with the password masked, for logs */
} rp_url;

/* Parse redis://[[user][:password]@]host[:port][/db]. 0, or -1 with a reason
 * in err. The password never appears in err. */
int rp_url_parse(const char *text, rp_url *u, char *err, size_t err_len);
void rp_url_free(rp_url *u);

/* ---- columns (Upbit DEFAULT field names) ------------------------------------ */

typedef enum { RP_TICKER = 0, RP_TRADE, RP_ORDERBOOK, RP_CANDLE, RP_NKINDS } rp_kind;

typedef struct rp_columns {
    const char **names; /* names[0] = "type", names[1] = "code" */
    size_t n;
    char *pool;         /* generated orderbook level names */
} rp_columns;

/* ---- streams: one per configured (type, code) -------------------------------- */

typedef struct rp_stream {
    char *key;                 /* expanded key_pattern (owned) */
    size_t key_len;
    const char *type_name;     /* host-owned config strings */
    const char *code;
    rp_kind kind;
    /* plugin thread: events this plugin dropped since the last marker */
    uint64_t drop_pending;
    int64_t drop_since_ns, drop_until_ns;
    /* I/O thread */
    int seeded;                /* the stream's top entry was read from Redis */
    int published;             /* at least one entry was sent */
    uint64_t last_ms, last_seq;/* the last entry ID this instance assigned */
    int64_t seen[RP_SEEN_IDS]; /* trade dedupe ring */
    unsigned n_seen, seen_next;
} rp_stream;

/* ---- queue items ---------------------------------------------------------- */

typedef enum {
    RP_ITEM_EVENT = 0, /* one market-data event for one stream */
    RP_ITEM_DROPS,     /* marker: this plugin dropped events of one stream */
    RP_ITEM_GAP_ALL    /* marker for every published stream (host status) */
} rp_item_kind;

typedef struct rp_field {
    const char *name;  /* static, or the columns' pool (lives until stop) */
    uint32_t off, len; /* into the item's text */
} rp_field;

typedef struct rp_item {
    struct rp_item *next;
    rp_item_kind kind;
    uint32_t stream;    /* index into rp.streams (EVENT, DROPS) */
    int64_t id_ms;      /* EVENT: the time the entry ID is derived from */
    int has_sid;        /* EVENT: a trade with a sequential_id */
    int64_t sid;
    const char *reason; /* markers: "disconnected", "dropped", "host_dropped" */
    int64_t since_ns, until_ns, made_ns; /* markers; until_ns 0 = still open */
    uint64_t count;     /* markers: events lost */
    uint32_t nf;        /* EVENT: fields */
    rp_field *f;
    char *text;
} rp_item;

/* ---- the I/O thread's batch ------------------------------------------------- */

typedef enum {
    RP_CMD_TODO = 0, /* never sent */
    RP_CMD_UNKNOWN,  /* sent, the reply was lost with the connection: maybe applied */
    RP_CMD_FAILED,   /* Redis answered a transient error: not applied */
    RP_CMD_DONE      /* applied, or settled (duplicate, rejected) */
} rp_cmd_state;

typedef struct rp_cmd {
    rp_item *it;
    rp_stream *s;
    uint64_t ms, seq;  /* the explicit entry ID, fixed once assigned */
    rp_cmd_state st;
    int inflight;      /* appended in the current round */
    int maybe_applied; /* a reply was lost once: "ID too small" then means applied */
} rp_cmd;

typedef struct rp_batch {
    rp_item *head, *tail;
    size_t n_items, n_events;
    int built;          /* cmds hold this batch's commands */
    rp_cmd *cmds;
    size_t n_cmds, cap_cmds;
    rp_stream **seed;   /* scratch: streams to seed */
    size_t cap_seed;
} rp_batch;

/* ---- the instance ------------------------------------------------------------ */

typedef struct rp {
    upws_ctx *ctx;
    const upws_host_api *api;

    /* configuration (read in init, constant afterwards) */
    rp_url url;
    const char *const *types;
    size_t n_types;
    const char *const *codes;
    size_t n_codes;
    const char *key_pattern;
    uint32_t depth;
    uint64_t maxlen;    /* 0 = no trimming */
    size_t buffer;      /* max events queued or in flight */
    size_t batch_max;   /* items per pipeline */

    rp_columns cols[RP_NKINDS];
    rp_stream *streams; /* n_types * n_codes, index = type * n_codes + code */
    size_t n_streams;
    uint32_t *code_slots; /* open addressing: code index + 1, 0 = empty */
    size_t n_code_slots;

    /* queue, guarded by mu */
    pthread_mutex_t mu;
    pthread_cond_t cv;      /* work for the I/O thread, or stop */
    pthread_cond_t cv_exit; /* the I/O thread finished */
    rp_item *q_head, *q_tail;
    int io_waiting, stopping, abort, io_exited;
    int64_t deadline_ns;    /* monotonic: stop flushing after this */
    int fd;                 /* the connected socket, -1 when none (for stop's shutdown) */
    int sync_ready;         /* mu, cv, cv_exit initialised */
    atomic_size_t buffered; /* events queued or in flight */

    /* I/O thread */
    pthread_t thread;
    int thread_started;
    void *redis;            /* redisContext * */
    rp_batch batch;
    const char **argv;
    size_t *argvlen;
    size_t argv_cap;
    uint32_t backoff_ms;
    uint64_t fail_streak;   /* connect/flush failures since the last success */
    int64_t down_since_ns, last_down_log_ns, last_reject_log_ns;
    int ever_connected, reconnect_logged;

    /* counters: written by the I/O thread, read by the plugin thread */
    atomic_uint_fast64_t published, rejected, resent_dups, dup_trades, unsent, markers;

    /* plugin thread */
    uint64_t dropped, dropped_reported, ignored, host_dropped;
    int dropping;
    int64_t last_drop_warn_ns;
    upws_val *vals;         /* scratch for building items */
    size_t vals_cap;
} rp;

#define RP_LOG(p, lvl, ...) (p)->api->log((p)->ctx, (lvl), __VA_ARGS__)

/* rp_config.c */
int rp_read_config(rp *p);
/* Expand key_pattern for (type, code) into a new string. NULL on ENOMEM. */
char *rp_expand_key(const char *pattern, const char *type, const char *code, size_t *len);

/* rp_fields.c */
int rp_kind_of(upws_type t);
int rp_columns_build(rp_columns *c, rp_kind k, unsigned depth);
void rp_columns_free(rp_columns *c);
size_t rp_columns_max(const rp *p);
/* A new EVENT item holding ev's fields; NULL when out of memory. */
rp_item *rp_item_from_event(rp *p, uint32_t stream, const upws_event *ev);
/* A new marker item (no fields). */
rp_item *rp_item_marker(rp_item_kind kind, uint32_t stream, const char *reason,
                        int64_t since_ns, int64_t until_ns, uint64_t count);

/* rp_io.c */
int rp_io_start(rp *p);
/* A failed connect or batch: logged as a warning the first time in a row,
 * then once every 30 s while it lasts. I/O thread. */
void rp_note_failure(rp *p, const char *fmt, ...) UPWS_PRINTF(2, 3);
/* The text of a hiredis context's error (a timeout says so). */
const char *rp_conn_error(void *redis);
/* 1 for Redis errors after which the same command may succeed later. */
int rp_is_transient(const char *msg);
/* Ask the thread to flush for at most flush_ms, then join it. */
void rp_io_stop(rp *p, uint32_t flush_ms);
/* Queue items (a NULL-terminated run linked by ->next); `events` of them
 * count against the buffer bound. Plugin thread. */
void rp_enqueue(rp *p, rp_item *first, rp_item *last, size_t events);
/* Free everything the thread left behind (after rp_io_stop). */
void rp_io_free(rp *p);

/* rp_batch.c — the I/O thread's batch (p->batch). */
/* Seed new streams, assign IDs, build the commands. 0, or -1: reconnect. */
int rp_batch_build(rp *p);
/* Send every unsettled command, settle by reply. 0: all settled; -1: reconnect. */
int rp_batch_flush(rp *p);
/* Free the batch's items once every command is settled. */
void rp_batch_release(rp *p);
void rp_free_items(rp_item *it);

int64_t rp_mono_ns(void);
int64_t rp_wall_ns(void);

#endif
