/*
 * router.h — a decoded event → the inboxes of exactly its subscribers.
 *
 * Per stream (type, code, level): drops repeated trades (sequential_id),
 * keeps the last value, gives each subscriber one SNAPSHOT then REALTIME,
 * answers one-off snapshot requests, and trims orderbooks to each
 * subscriber's depth. Each plugin gets an event once, under the delivery
 * policy its subscriptions resolve to (inbox.h: lossless or latest).
 * Thread: loop only.
 */
#ifndef UPWS_ROUTER_H
#define UPWS_ROUTER_H

#include <stdint.h>
#include "event.h"
#include "registry.h"

typedef struct router_stats {
    uint64_t events;        /* data events decoded */
    uint64_t routed;        /* events that had a stream */
    uint64_t unrouted;      /* no subscriber (old-set frames after a resend) */
    uint64_t duplicates;    /* trades already seen */
    uint64_t deliveries;    /* inbox pushes */
    uint64_t conflated;     /* "latest" deliveries that replaced a queued older event */
    uint64_t dropped;       /* deliveries refused by a full inbox */
} router_stats;

/* Takes ownership of the caller's reference. */
void router_on_event(event *ev);
/* A new subscription: subscribers joining a live stream get its last value
 * as their SNAPSHOT now, with no request to Upbit. */
void router_on_subscribe(sub *s);
/* A one-off snapshot request: answers what it can from last values; returns
 * 1 when fully answered (the caller then removes it). */
int router_on_snapshot(sub *s);
/* Gives up on one-off snapshots past their deadline (tells the plugin). */
void router_expire_snapshots(int64_t now_mono_ns);
const router_stats *router_get_stats(void);
/* Call after every lws_service() pass: hands the plugins that got events
 * during the pass to the workers, together. From the first call on, routed
 * events hand each plugin over once per pass instead of once per event (a
 * host that never calls it keeps doing it per event). */
void router_flush(void);
/* An instance being freed must not stay on the list of owed wake-ups. */
struct instance;
void router_forget(struct instance *inst);

#endif
