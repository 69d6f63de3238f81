/* router.c — see router.h. */
#include "router.h"
#include "instance.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>

static router_stats stats;

const router_stats *router_get_stats(void) { return &stats; }

static void deliver(instance *inst, event *ev, int as_snapshot, uint32_t depth, int64_t snapshot_id)
{
    instance_deliver(inst, ev, as_snapshot, depth, snapshot_id);
    stats.deliveries++;
}

/* Answers one code of a one-off snapshot request; returns 1 when the whole
 * request is answered. */
static int answer_snapshot(sub *s, size_t code_index, event *ev)
{
    sub_code *sc = &s->codes[code_index];
    if (sc->answered)
        return 0;
    deliver(s->owner, ev, 1, s->depth, s->snapshot_id);
    sc->answered = 1;
    s->n_answered++;
    return s->n_answered == s->n_codes;
}

static int owner_seen_before(const stream *st, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (st->refs[j].sub->owner == st->refs[i].sub->owner && !st->refs[j].sub->snapshot_id)
            return 1;
    return 0;
}

/* One delivery per plugin even when several of its subscriptions match;
 * a SNAPSHOT only reaches subscribers that have not had theirs yet (Upbit
 * re-sends snapshots for every code whenever the request changes). */
static void deliver_live(stream *st, size_t i, event *ev)
{
    if (owner_seen_before(st, i))
        return;
    instance *owner = st->refs[i].sub->owner;
    int is_snapshot = ev->pub.stream_type == UPWS_SNAPSHOT, want = 0;
    uint32_t depth = 0;
    for (size_t j = i; j < st->n_refs; j++) {
        sub *s = st->refs[j].sub;
        if (s->owner != owner || s->snapshot_id)
            continue;
        sub_code *sc = &s->codes[st->refs[j].code_index];
        want |= !is_snapshot || !sc->got_snapshot;
        sc->got_snapshot = 1;
        if (s->depth > depth)
            depth = s->depth;
    }
    if (want)
        deliver(owner, ev, 0, depth, 0);
}

void router_on_event(event *ev)
{
    stats.events++;
    stream *st = streams_find(ev->pub.type_name, ev->pub.code, ev->level);
    if (!st) {
        stats.unrouted++;
        event_unref(ev);
        return;
    }
    if (ev->pub.trade && !streams_trade_is_new(st, ev->pub.trade->sequential_id)) {
        st->duplicates++;
        stats.duplicates++;
        event_unref(ev);
        return;
    }
    stats.routed++;
    st->events++;
    if (st->n_live)
        streams_set_last(st, ev);
    sub *done[16];
    size_t n_done = 0;
    for (size_t i = 0; i < st->n_refs; i++) {
        sub *s = st->refs[i].sub;
        if (!s->snapshot_id)
            deliver_live(st, i, ev);
        else if (answer_snapshot(s, st->refs[i].code_index, ev) && n_done < 16)
            done[n_done++] = s;
    }
    event_unref(ev);
    /* Removing may free `st`, so it happens after the loop. */
    for (size_t i = 0; i < n_done; i++) {
        instance_drop_id(done[i]->owner, done[i]->snapshot_id);
        registry_remove(done[i]);
    }
}

void router_on_subscribe(sub *s)
{
    for (size_t i = 0; i < s->n_codes; i++) {
        stream *st = s->codes[i].stream;
        if (!st->last)
            continue;
        deliver(s->owner, st->last, 1, s->depth, 0);
        s->codes[i].got_snapshot = 1;
    }
}

int router_on_snapshot(sub *s)
{
    int complete = 0;
    for (size_t i = 0; i < s->n_codes; i++) {
        stream *st = s->codes[i].stream;
        if (st->last)
            complete = answer_snapshot(s, i, st->last);
    }
    return complete;
}

void router_expire_snapshots(int64_t now)
{
    sub *s = registry_first();
    while (s) {
        sub *next = s->next;
        if (s->snapshot_id && now > s->deadline_ns) {
            for (size_t i = 0; i < s->n_codes; i++) {
                if (s->codes[i].answered)
                    continue;
                char msg[96];
                snprintf(msg, sizeof msg, "no snapshot for %s %s (unknown or inactive code?)",
                         s->type_name, s->codes[i].code);
                upws_status *stt = inbox_status_new(UPWS_STATUS_UNSERVED, NULL, msg);
                stt->sub_id = s->snapshot_id;
                instance_status(s->owner, stt);
            }
            instance_drop_id(s->owner, s->snapshot_id);
            registry_remove(s);
        }
        s = next;
    }
}
