/*
 * inbox.h — one plugin instance's bounded queue (loop thread → plugin thread).
 *
 * The loop pushes and never blocks: when `capacity` data items are waiting,
 * further events are dropped and counted (the plugin is told through a
 * UPWS_STATUS_DROPPED item once it catches up). Control items (status,
 * timer, stop) are never dropped: they use a reserve above the capacity,
 * and the ring grows in the rare case the reserve is full. A timer that
 * fires while its previous firing is still queued is coalesced.
 * An item holding an event owns one reference to it.
 */
#ifndef UPWS_INBOX_H
#define UPWS_INBOX_H

#include <pthread.h>
#include <stdint.h>
#include "event.h"

typedef enum { ITEM_EVENT, ITEM_STATUS, ITEM_TIMER, ITEM_SAVE, ITEM_STOP } item_kind;

typedef struct inbox_item {
    item_kind kind;
    uint8_t as_snapshot;      /* present the event as SNAPSHOT */
    uint8_t oneshot;          /* ITEM_TIMER: release the id after running */
    uint16_t max_units;       /* orderbook: truncate to this depth (0 = all) */
    event *ev;                /* ITEM_EVENT: owned reference */
    int64_t id;               /* snapshot id (event) or timer id */
    upws_timer_fn fn;         /* ITEM_TIMER */
    upws_status *status;      /* ITEM_STATUS: owned (malloc'd, strings inside) */
} inbox_item;

typedef struct inbox {
    pthread_mutex_t lock;
    pthread_cond_t nonempty;
    inbox_item *ring;
    size_t size;              /* capacity + reserve */
    size_t capacity;          /* data items allowed */
    size_t head, count, data_count;
    uint64_t dropped;         /* total */
    uint64_t dropped_unreported;
    uint64_t delivered;
} inbox;

void inbox_init(inbox *q, size_t capacity);
/* Frees queued items (dropping their event references). */
void inbox_destroy(inbox *q);
/* Thread: loop. Returns 0, or -1 when a data item was dropped (ownership
 * of the item's event reference is taken either way). */
int inbox_push(inbox *q, const inbox_item *it);
/* Thread: the plugin's. Blocks until an item is there. */
void inbox_pop(inbox *q, inbox_item *out);
/* Building status items: strings copied. */
upws_status *inbox_status_new(upws_status_kind kind, const char *name, const char *message);
size_t inbox_depth(inbox *q);

#endif
