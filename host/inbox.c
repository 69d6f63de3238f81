/* inbox.c — see inbox.h. */
#include "inbox.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* A plugin that keeps up never has more than a handful of items waiting;
 * starting small keeps its ring in a few KiB (RSS per extra plugin). */
#define RING_MIN 64
/* A ring grown past this by a backlog is given back once it has drained. */
#define RING_SHRINK_ABOVE 1024
#define MAP_MIN 64

void inbox_init(inbox *q, size_t capacity)
{
    memset(q, 0, sizeof *q);
    pthread_mutex_init(&q->lock, NULL);
    q->capacity = capacity;
    q->size = RING_MIN;
    q->ring = xcalloc(q->size, sizeof *q->ring);
}

void inbox_item_release(inbox_item *it)
{
    event_unref(it->ev);
    free(it->status);
    free(it->reply);
    it->ev = NULL;
    it->status = NULL;
    it->reply = NULL;
}

static size_t ring_slot(const inbox *q, size_t i) { return (q->head + i) & (q->size - 1); }

void inbox_destroy(inbox *q)
{
    for (size_t i = 0; i < q->count; i++)
        inbox_item_release(&q->ring[ring_slot(q, i)]);
    free(q->ring);
    free(q->map);
    pthread_mutex_destroy(&q->lock);
    memset(q, 0, sizeof *q);
}

void inbox_set_delivery(inbox *q, upws_delivery d) { q->delivery = d; }

upws_delivery inbox_resolve_delivery(const inbox *q, upws_delivery want, upws_type type)
{
    /* The most specific choice wins: a subscription that chose keeps its
     * policy; the instance's YAML setting replaces only the type default. */
    if (want == UPWS_DELIVERY_LOSSLESS || want == UPWS_DELIVERY_LATEST)
        return want;
    if (q->delivery == UPWS_DELIVERY_LOSSLESS || q->delivery == UPWS_DELIVERY_LATEST)
        return q->delivery;
    return type == UPWS_TYPE_TICKER || type == UPWS_TYPE_ORDERBOOK ? UPWS_DELIVERY_LATEST
                                                                   : UPWS_DELIVERY_LOSSLESS;
}

/* ---- the conflation map: stream → ring slot (linear probing) ---- */

static size_t map_home(const inbox *q, const void *key)
{
    uint64_t h = (uint64_t)(uintptr_t)key * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 32) & (q->map_size - 1);
}

static inbox_latest *map_find(inbox *q, const void *key)
{
    if (!q->map_used)
        return NULL;
    for (size_t i = map_home(q, key);; i = (i + 1) & (q->map_size - 1)) {
        if (q->map[i].key == key)
            return &q->map[i];
        if (!q->map[i].key)
            return NULL;
    }
}

/* Inserts or re-points `key`. The map is at most half full. */
static void map_set(inbox *q, const void *key, size_t slot)
{
    size_t i = map_home(q, key);
    while (q->map[i].key && q->map[i].key != key)
        i = (i + 1) & (q->map_size - 1);
    q->map_used += !q->map[i].key;
    q->map[i] = (inbox_latest){key, slot};
}

/* New table of `size` entries filled from the ring: used when the map must
 * grow and after the ring was re-laid (slots moved). Rare: never per event
 * in the steady state. */
static void map_rebuild(inbox *q, size_t size)
{
    free(q->map);
    q->map = xcalloc(size, sizeof *q->map);
    q->map_size = size;
    q->map_used = 0;
    for (size_t i = 0; i < q->count; i++) {
        size_t slot = ring_slot(q, i);
        if (q->ring[slot].kind == ITEM_EVENT && q->ring[slot].key)
            map_set(q, q->ring[slot].key, slot);
    }
}

static void map_add(inbox *q, const void *key, size_t slot)
{
    if ((q->map_used + 1) * 2 > q->map_size)
        map_rebuild(q, q->map_size ? q->map_size * 2 : MAP_MIN);
    map_set(q, key, slot);
}

/* Removes `key` if it still points at `slot` (backward-shift deletion, so
 * lookups never need tombstones). */
static void map_remove(inbox *q, const void *key, size_t slot)
{
    inbox_latest *e = map_find(q, key);
    if (!e || e->slot != slot)
        return;
    size_t mask = q->map_size - 1, hole = (size_t)(e - q->map);
    for (size_t j = (hole + 1) & mask; q->map[j].key; j = (j + 1) & mask) {
        size_t home = map_home(q, q->map[j].key);
        /* Entry j may fill the hole unless its home lies cyclically in (hole, j]. */
        int stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (stays)
            continue;
        q->map[hole] = q->map[j];
        hole = j;
    }
    q->map[hole].key = NULL;
    q->map_used--;
}

/* ---- the ring ---- */

/* Lays the queued items out from index 0 in a ring of `size` slots. */
static void ring_relayout(inbox *q, size_t size)
{
    inbox_item *ring = xcalloc(size, sizeof *ring);
    for (size_t i = 0; i < q->count; i++)
        ring[i] = q->ring[ring_slot(q, i)];
    free(q->ring);
    q->ring = ring;
    q->size = size;
    q->head = 0;
    if (q->map_used)
        map_rebuild(q, q->map_size);
}

/* Lock held. */
static int timer_queued(const inbox *q, int64_t id)
{
    for (size_t i = 0; i < q->count; i++) {
        const inbox_item *it = &q->ring[ring_slot(q, i)];
        if (it->kind == ITEM_TIMER && it->id == id)
            return 1;
    }
    return 0;
}

static void append(inbox *q, const inbox_item *it)
{
    if (q->count == q->size)
        ring_relayout(q, q->size * 2);
    size_t slot = ring_slot(q, q->count);
    q->ring[slot] = *it;
    q->count++;
    if (it->kind == ITEM_EVENT) {
        q->data_count++;
        if (it->key)
            map_add(q, it->key, slot);
    } else if (it->kind == ITEM_TIMER) {
        q->timers++;
    }
}

static int same_stream(const event *a, const event *b)
{
    return a == b || (a->pub.type == b->pub.type && a->level == b->level &&
                      strcmp(a->pub.code, b->pub.code) == 0 &&
                      strcmp(a->pub.type_name, b->pub.type_name) == 0);
}

/* "latest": replaces the queued event of the same stream, if any; returns
 * the reference it displaced, or NULL when nothing of that stream waits.
 * The same-stream check guards against a freed stream's address being
 * reused by another stream while an item of the old one is queued. */
static event *conflate(inbox *q, const inbox_item *it)
{
    inbox_latest *e = map_find(q, it->key);
    if (!e)
        return NULL;
    inbox_item *old = &q->ring[e->slot];
    if (!same_stream(old->ev, it->ev))
        return NULL;
    event *displaced = old->ev;
    /* A subscriber's first view of a stream stays marked SNAPSHOT even when
     * a newer value takes its place. */
    int snapshot = old->as_snapshot || displaced->pub.stream_type == UPWS_SNAPSHOT || it->as_snapshot;
    old->ev = it->ev;
    old->as_snapshot = (uint8_t)snapshot;
    old->max_units = it->max_units;
    q->conflated++;
    return displaced;
}

/* Lock held. Returns the outcome; *release = a reference to drop after
 * unlocking (the displaced or refused event). */
static int push_locked(inbox *q, const inbox_item *it, event **release)
{
    if (it->kind == ITEM_TIMER && q->timers && timer_queued(q, it->id))
        return INBOX_QUEUED;  /* coalesced with the firing still waiting */
    if (it->kind == ITEM_EVENT && it->key && (*release = conflate(q, it)))
        return INBOX_CONFLATED;
    if (it->kind == ITEM_EVENT && q->data_count >= q->capacity) {
        q->dropped++;
        q->dropped_unreported++;
        *release = it->ev;
        return INBOX_DROPPED;
    }
    append(q, it);
    return INBOX_QUEUED;
}

/* ---- handing the inbox to its consumer ---- */

void inbox_set_ready(inbox *q, void (*ready)(void *arg), void *arg)
{
    q->ready = ready;
    q->ready_arg = arg;
}

/* Only an idle inbox (its consumer found it empty and let go) needs the
 * hand-over; while the consumer is busy it finds new items itself. Clearing
 * `idle` under the lock makes it one hand-over per idle spell. */
static int push(inbox *q, const inbox_item *it, int defer, int *wake_owed)
{
    event *release = NULL;
    pthread_mutex_lock(&q->lock);
    int rc = push_locked(q, it, &release);
    int wake = q->idle && q->count;
    if (wake)
        q->idle = 0;
    pthread_mutex_unlock(&q->lock);
    if (wake && !defer && q->ready)
        q->ready(q->ready_arg);
    *wake_owed = wake && defer;
    event_unref(release);
    return rc;
}

int inbox_push(inbox *q, const inbox_item *it)
{
    int owed;
    return push(q, it, 0, &owed);
}

int inbox_push_deferred(inbox *q, const inbox_item *it, int *wake_owed)
{
    return push(q, it, 1, wake_owed);
}

void inbox_wake(inbox *q)
{
    if (q->ready)
        q->ready(q->ready_arg);
}

/* Called with the lock held: once the queue has drained to half, tell the
 * plugin how many events it lost, so overflow is never silent. */
static int take_drop_report(inbox *q, inbox_item *out)
{
    if (!q->dropped_unreported || q->data_count > q->capacity / 2)
        return 0;
    memset(out, 0, sizeof *out);
    out->kind = ITEM_STATUS;
    out->status = inbox_status_new(UPWS_STATUS_DROPPED, NULL, "inbox full: events dropped");
    out->status->count = q->dropped_unreported;
    q->dropped_unreported = 0;
    return 1;
}

static void take_head(inbox *q, inbox_item *out)
{
    size_t slot = q->head;
    *out = q->ring[slot];
    q->head = (q->head + 1) & (q->size - 1);
    q->count--;
    if (out->kind == ITEM_EVENT) {
        q->data_count--;
        q->delivered++;
        if (out->key)
            map_remove(q, out->key, slot);
    } else if (out->kind == ITEM_TIMER) {
        q->timers--;
    }
    if (!q->count && q->size > RING_SHRINK_ABOVE)
        ring_relayout(q, RING_MIN);
}

/* Up to `max` items for one lock round trip: at full speed the consumer
 * otherwise takes the lock once per event, against the loop that takes it
 * once per push. The batch ends after a "latest" item, so such an item
 * leaves the queue (where a newer one could still replace it) only when
 * the plugin is about to reach it. Finding nothing marks the inbox idle in
 * the same critical section, so no push can fall between the two. */
size_t inbox_take_batch(inbox *q, inbox_item *out, size_t max)
{
    pthread_mutex_lock(&q->lock);
    size_t n = 0;
    while (n < max && (q->count || q->dropped_unreported)) {
        if (!take_drop_report(q, &out[n]))
            take_head(q, &out[n]);
        if (out[n++].key)
            break;
    }
    if (!n)
        q->idle = 1;
    pthread_mutex_unlock(&q->lock);
    return n;
}

upws_status *inbox_status_new(upws_status_kind kind, const char *name, const char *message)
{
    size_t nl = name ? strlen(name) + 1 : 0, ml = message ? strlen(message) + 1 : 0;
    upws_status *st = xcalloc(1, sizeof *st + nl + ml);
    char *p = (char *)(st + 1);
    st->struct_size = sizeof *st;
    st->kind = kind;
    if (name) {
        memcpy(p, name, nl);
        st->name = p;
        p += nl;
    }
    if (message) {
        memcpy(p, message, ml);
        st->message = p;
    }
    return st;
}

size_t inbox_depth(inbox *q)
{
    pthread_mutex_lock(&q->lock);
    size_t n = q->data_count;
    pthread_mutex_unlock(&q->lock);
    return n;
}
