/*
 * inbox.h — one plugin instance's bounded queue (loop thread → the worker
 * running the instance).
 *
 * The loop pushes and never blocks. Two delivery policies (DESIGN §6):
 *  - lossless (item.key == NULL): queued in order; when `capacity` data
 *    items are waiting, further events are dropped and counted, and the
 *    plugin is told through a UPWS_STATUS_DROPPED item once it catches up;
 *  - latest (item.key != NULL, the stream): conflated. When an undelivered
 *    event of the same stream is still queued, the new one replaces it in
 *    place (the older reference is dropped and counted as `conflated`), so a
 *    slow plugin gets the newest value per stream, in the order the streams
 *    first became pending. O(1) per event through a small open-addressing
 *    map stream → ring slot; an entry leaves the map when its slot is popped.
 * Control items (status, timer, stop) are never dropped: the ring grows for
 * them. A timer that fires while its previous firing is still queued is
 * coalesced. An item holding an event owns one reference to it.
 *
 * The consumer (a worker thread running the instance, workers.h) takes
 * items in batches and never blocks here: finding the inbox empty marks it
 * idle. The first push into an idle inbox hands it back to its consumer
 * through the `ready` callback (once per idle spell, so scheduling costs
 * nothing per event while the plugin is busy). A new inbox is not idle: its
 * consumer owns it until it first finds it empty.
 * The ring starts small and doubles on demand (a plugin that keeps up never
 * touches more than a few KiB of it), and shrinks back once a backlog has
 * drained.
 */
#ifndef UPWS_INBOX_H
#define UPWS_INBOX_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include "event.h"

/* ITEM_SAVE: hot reload state hand-off; ITEM_REST: a signed REST call's answer */
typedef enum { ITEM_EVENT, ITEM_STATUS, ITEM_TIMER, ITEM_SAVE, ITEM_STOP, ITEM_REST } item_kind;

typedef struct inbox_item {
    item_kind kind;
    uint8_t as_snapshot;      /* present the event as SNAPSHOT */
    uint8_t oneshot;          /* ITEM_TIMER: release the id after running */
    uint16_t max_units;       /* orderbook: truncate to this depth (0 = all) */
    event *ev;                /* ITEM_EVENT: owned reference */
    int64_t id;               /* snapshot id (event) or timer id */
    upws_timer_fn fn;         /* ITEM_TIMER */
    upws_status *status;      /* ITEM_STATUS: owned (malloc'd, strings inside) */
    upws_rest_reply *reply;   /* ITEM_REST: owned (malloc'd, body inside) */
    upws_rest_fn rest_fn;     /* ITEM_REST */
    const void *key;          /* ITEM_EVENT: the stream, for "latest" delivery; NULL = lossless */
} inbox_item;

/* One entry of the conflation map: a stream with an undelivered item. */
typedef struct inbox_latest {
    const void *key;          /* NULL = free */
    size_t slot;              /* ring index of its queued item */
} inbox_latest;

typedef struct inbox {
    pthread_mutex_t lock;
    void (*ready)(void *arg); /* hands an idle inbox that got an item to its consumer */
    void *ready_arg;
    inbox_item *ring;
    size_t size;              /* ring slots, a power of two; grows and shrinks */
    size_t capacity;          /* data items allowed to wait */
    size_t head, count, data_count;
    size_t timers;            /* ITEM_TIMER items queued (coalescing scans only when > 0) */
    int idle;                 /* the consumer found it empty and let go */
    int wake_listed;          /* loop thread only: on the router's list of inboxes to wake */
    inbox_latest *map;        /* stream → slot, for latest items queued */
    size_t map_size, map_used;
    upws_delivery delivery;   /* per-instance override (YAML); DEFAULT = none */
    uint64_t dropped;         /* total */
    uint64_t dropped_unreported;
    uint64_t delivered;       /* events taken by the plugin */
    uint64_t conflated;       /* older events replaced by a newer one of their stream */
} inbox;

/* Outcome of inbox_push for a data item. */
enum { INBOX_QUEUED = 0, INBOX_DROPPED = -1, INBOX_CONFLATED = 1 };

void inbox_init(inbox *q, size_t capacity);
/* Frees queued items (dropping their event references). */
void inbox_destroy(inbox *q);
/* Thread: loop. Returns INBOX_QUEUED, INBOX_CONFLATED (replaced an older
 * queued event of the same stream) or INBOX_DROPPED (a data item over the
 * capacity). Ownership of the item's event reference is taken either way. */
int inbox_push(inbox *q, const inbox_item *it);
/* Thread: loop. Like inbox_push, but leaves the hand-over of an idle inbox
 * to a later inbox_wake(); returns 1 in *wake_owed when one is needed. Lets
 * the loop schedule each plugin once per batch of frames, not per event. */
int inbox_push_deferred(inbox *q, const inbox_item *it, int *wake_owed);
/* Thread: loop. The hand-over owed by inbox_push_deferred. */
void inbox_wake(inbox *q);
/* Before any push: who is told when an idle inbox gets an item. */
void inbox_set_ready(inbox *q, void (*ready)(void *arg), void *arg);
/* Thread: the consumer's. Takes up to max items, in order (stopping after a
 * "latest" event); never blocks. 0 = empty, and the inbox is now idle. */
size_t inbox_take_batch(inbox *q, inbox_item *out, size_t max);
/* Releases what an item owns (event reference, status). */
void inbox_item_release(inbox_item *it);
/* Building status items: strings copied. */
upws_status *inbox_status_new(upws_status_kind kind, const char *name, const char *message);
size_t inbox_depth(inbox *q);

/* The instance's override of every subscription's policy (from YAML);
 * UPWS_DELIVERY_DEFAULT = none. Thread: loop, before events flow. */
void inbox_set_delivery(inbox *q, upws_delivery d);
/* The policy in effect for one subscription of this inbox's owner: what the
 * subscription asked for, else the instance's setting (YAML), else the
 * type's default (latest for ticker and orderbook, lossless for the rest). */
upws_delivery inbox_resolve_delivery(const inbox *q, upws_delivery want, upws_type type);

#endif
