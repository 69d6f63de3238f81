/*
 * streams.h — one entry per upstream stream: (type, code, orderbook level).
 *
 * A stream knows who listens to it (references into subscriptions), keeps
 * the last event (so a plugin joining a live stream gets it as its
 * SNAPSHOT with no request to Upbit) and the recent trade ids (so a trade
 * is never delivered twice, e.g. the repeated trade of a re-sent snapshot).
 * Owned by the loop thread; streams own their `last` event reference.
 */
#ifndef UPWS_STREAMS_H
#define UPWS_STREAMS_H

#include <stddef.h>
#include <stdint.h>
#include "event.h"

struct sub;

typedef struct stream_ref {
    struct sub *sub;
    size_t code_index;       /* which of sub->codes this is */
} stream_ref;

#define STREAM_SEEN 128

typedef struct stream {
    char type_name[16];
    char code[24];
    double level;
    event *last;             /* owned reference or NULL */
    stream_ref *refs;
    size_t n_refs, cap_refs;
    size_t n_live;           /* refs from subscriptions (not one-off snapshots) */
    int64_t seen[STREAM_SEEN]; /* recent trade sequential_ids (ring) */
    unsigned seen_pos, seen_n;
    uint64_t events, duplicates;
    struct stream *hnext;
} stream;

/* Thread: loop, for everything below. */
stream *streams_find(const char *type_name, const char *code, double level);
stream *streams_get(const char *type_name, const char *code, double level);
void streams_add_ref(stream *st, struct sub *s, size_t code_index, int live);
void streams_remove_ref(stream *st, struct sub *s, size_t code_index, int live);
/* Returns 1 and records the id if unseen; 0 if the trade was seen before. */
int streams_trade_is_new(stream *st, int64_t sequential_id);
void streams_set_last(stream *st, event *ev);  /* takes a new reference */
/* Visit every stream (order unspecified). */
void streams_foreach(void (*fn)(stream *st, void *arg), void *arg);
size_t streams_count(void);
/* myOrder / myAsset: served by the private socket. Their streams are keyed
 * by market code, or "*" for every market (myAsset always "*"). */
int streams_type_is_private(const char *type_name);
int streams_is_private(const stream *st);
void streams_clear(void);   /* frees everything (shutdown) */

#endif
