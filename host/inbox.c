/* inbox.c — see inbox.h. */
#include "inbox.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define INBOX_RESERVE 256

void inbox_init(inbox *q, size_t capacity)
{
    memset(q, 0, sizeof *q);
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->nonempty, NULL);
    q->capacity = capacity;
    q->size = capacity + INBOX_RESERVE;
    q->ring = xcalloc(q->size, sizeof *q->ring);
}

static void item_release(inbox_item *it)
{
    event_unref(it->ev);
    free(it->status);
    it->ev = NULL;
    it->status = NULL;
}

void inbox_destroy(inbox *q)
{
    for (size_t i = 0; i < q->count; i++)
        item_release(&q->ring[(q->head + i) % q->size]);
    free(q->ring);
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->nonempty);
    memset(q, 0, sizeof *q);
}

/* Lock held. Doubles the ring, keeping the queued items in order. */
static void inbox_grow(inbox *q)
{
    size_t size = q->size * 2;
    inbox_item *ring = xcalloc(size, sizeof *ring);
    for (size_t i = 0; i < q->count; i++)
        ring[i] = q->ring[(q->head + i) % q->size];
    free(q->ring);
    q->ring = ring;
    q->size = size;
    q->head = 0;
}

/* Lock held. */
static int timer_queued(const inbox *q, int64_t id)
{
    for (size_t i = 0; i < q->count; i++) {
        const inbox_item *it = &q->ring[(q->head + i) % q->size];
        if (it->kind == ITEM_TIMER && it->id == id)
            return 1;
    }
    return 0;
}

int inbox_push(inbox *q, const inbox_item *it)
{
    int is_data = it->kind == ITEM_EVENT;
    pthread_mutex_lock(&q->lock);
    if (it->kind == ITEM_TIMER && timer_queued(q, it->id)) {
        pthread_mutex_unlock(&q->lock);
        return 0;
    }
    if (!is_data && q->count >= q->size)
        inbox_grow(q);
    if ((is_data && q->data_count >= q->capacity) || q->count >= q->size) {
        q->dropped++;
        q->dropped_unreported++;
        pthread_mutex_unlock(&q->lock);
        inbox_item copy = *it;
        item_release(&copy);
        return -1;
    }
    q->ring[(q->head + q->count) % q->size] = *it;
    q->count++;
    q->data_count += (size_t)is_data;
    pthread_cond_signal(&q->nonempty);
    pthread_mutex_unlock(&q->lock);
    return 0;
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

void inbox_pop(inbox *q, inbox_item *out)
{
    pthread_mutex_lock(&q->lock);
    while (q->count == 0 && !q->dropped_unreported)
        pthread_cond_wait(&q->nonempty, &q->lock);
    if (take_drop_report(q, out) || q->count == 0) {
        pthread_mutex_unlock(&q->lock);
        return;
    }
    *out = q->ring[q->head];
    memset(&q->ring[q->head], 0, sizeof q->ring[q->head]);
    q->head = (q->head + 1) % q->size;
    q->count--;
    if (out->kind == ITEM_EVENT) {
        q->data_count--;
        q->delivered++;
    }
    pthread_mutex_unlock(&q->lock);
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
