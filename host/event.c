/* event.c — see event.h. */
#include "event.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Internal to the decoder (declared in decode.c, not in event.h, because
 * nothing else may create events): one zeroed header plus `data_len` bytes
 * of data[], refs = 1. NULL when out of memory. */
event *event_alloc(size_t data_len);

event *event_alloc(size_t data_len)
{
    size_t head = offsetof(event, data);
    if (data_len > SIZE_MAX - sizeof(event))
        return NULL;
    size_t size = head + data_len;
    if (size < sizeof(event))
        size = sizeof(event);
    event *ev = malloc(size);
    if (!ev)
        return NULL;
    memset(ev, 0, head);
    atomic_init(&ev->refs, 1);
    return ev;
}

void event_ref(event *ev)
{
    /* Relaxed is enough: whoever passes the event on already holds a
     * reference, so the count cannot reach zero meanwhile. */
    atomic_fetch_add_explicit(&ev->refs, 1, memory_order_relaxed);
}

void event_unref(event *ev)
{
    if (!ev)
        return;
    /* acq_rel: every holder's reads happen before the free by the last one. */
    if (atomic_fetch_sub_explicit(&ev->refs, 1, memory_order_acq_rel) == 1)
        free(ev);
}
