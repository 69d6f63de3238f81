/* router.c — see router.h. */
#include "router.h"
#include "instance.h"
#include "log.h"
#include "util.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static router_stats stats;

const router_stats *router_get_stats(void) { return &stats; }

/* ---- hand-overs: once per plugin per loop pass, not once per event ----
 *
 * Handing an idle plugin to the workers takes the run queue's lock and may
 * wake a worker (a futex syscall and a context switch), which at full
 * speed costs more than the event itself. Once the loop calls
 * router_flush() after every service pass, the hand-overs owed for routed
 * events are collected here and made together once per pass (one lock
 * round trip, one wake-up): a pass that read 60 frames hands each plugin
 * over once. Deliveries outside the data path (a late joiner's snapshot, a
 * one-off answer) are handed over at once: no pass may follow them soon. */

static int deferring;          /* the loop calls router_flush() */
static int in_data_path;       /* inside router_on_event */
static instance **owed;
static size_t n_owed, cap_owed;

static void owe_wake(instance *inst)
{
    if (inst->in.wake_listed)
        return;
    if (n_owed == cap_owed) {
        cap_owed = cap_owed ? cap_owed * 2 : 16;
        owed = xrealloc(owed, cap_owed * sizeof *owed);
    }
    inst->in.wake_listed = 1;
    owed[n_owed++] = inst;
}

void router_flush(void)
{
    deferring = 1;
    workers_hold();
    for (size_t i = 0; i < n_owed; i++) {
        owed[i]->in.wake_listed = 0;
        inbox_wake(&owed[i]->in);
    }
    workers_release();
    n_owed = 0;
}

void router_forget(instance *inst)
{
    for (size_t i = 0; i < n_owed; i++) {
        if (owed[i] != inst)
            continue;
        owed[i] = owed[--n_owed];
        return;
    }
}

/* Queues one delivery; the inbox takes over one reference the caller
 * already holds for it. `key` is the stream for "latest" delivery, NULL
 * for lossless. */
static void deliver_ref(instance *inst, event *ev, int as_snapshot, uint32_t depth, int64_t snapshot_id,
                        const void *key)
{
    inbox_item it = {.kind = ITEM_EVENT, .ev = ev, .as_snapshot = (uint8_t)(as_snapshot != 0),
                     .max_units = (uint16_t)depth, .id = snapshot_id, .key = key};
    int rc, wake_owed = 0;
    if (deferring && in_data_path)
        rc = inbox_push_deferred(&inst->in, &it, &wake_owed);
    else
        rc = inbox_push(&inst->in, &it);
    if (wake_owed)
        owe_wake(inst);
    stats.deliveries++;
    stats.conflated += rc == INBOX_CONFLATED;
    stats.dropped += rc == INBOX_DROPPED;
}

static void deliver(instance *inst, event *ev, int as_snapshot, uint32_t depth, int64_t snapshot_id,
                    const void *key)
{
    event_ref(ev);
    deliver_ref(inst, ev, as_snapshot, depth, snapshot_id, key);
}

/* The references of all of one event's deliveries in one atomic add: with
 * many plugins, one contended read-modify-write per delivery (the plugin
 * threads drop theirs on other cores meanwhile) cost more than the push.
 * Relaxed, as in event_ref: the caller holds a reference throughout. */
static void event_ref_n(event *ev, size_t n)
{
    if (n)
        atomic_fetch_add_explicit(&ev->refs, (int)n, memory_order_relaxed);
}

static const void *delivery_key(const sub *s, const stream *st)
{
    return inbox_resolve_delivery(&s->owner->in, s->delivery, s->type) == UPWS_DELIVERY_LATEST ? st : NULL;
}

/* Answers one code of a one-off snapshot request (never conflated: the
 * answer carries its request's id); returns 1 when the whole request is
 * answered. */
static int answer_snapshot(sub *s, size_t code_index, event *ev)
{
    sub_code *sc = &s->codes[code_index];
    if (sc->answered)
        return 0;
    deliver(s->owner, ev, 1, s->depth, s->snapshot_id, NULL);
    sc->answered = 1;
    s->n_answered++;
    return s->n_answered == s->n_codes;
}

/* ---- one delivery per plugin: the owners of a stream's subscriptions ----
 *
 * A plugin may hold several subscriptions covering one stream; it still
 * gets each event once, at the deepest of its depths, lossless if any of
 * them is. The owners are collected in one pass over the stream's refs
 * through a small open-addressing table keyed by the owner, so routing
 * stays linear in the number of subscribers (it was quadratic). The table
 * grows with the largest stream seen and is never freed: no allocation per
 * event. Entries are invalidated by bumping `generation`, not by clearing. */

typedef struct owner_acc {
    instance *owner;
    uint32_t depth;
    uint8_t want, lossless;
} owner_acc;

typedef struct owner_slot {
    instance *owner;
    uint64_t generation;
    uint32_t acc;
} owner_slot;

static owner_acc *accs;
static owner_slot *slots;
static size_t slots_size, accs_cap;
static uint64_t generation;

static void owners_reserve(size_t n_refs)
{
    if (n_refs > accs_cap) {
        accs_cap = n_refs * 2;
        accs = xrealloc(accs, accs_cap * sizeof *accs);
    }
    if (n_refs * 2 <= slots_size)
        return;
    size_t size = 16;
    while (size < n_refs * 2)
        size *= 2;
    free(slots);
    slots = xcalloc(size, sizeof *slots);
    slots_size = size;
}

/* The accumulator of `owner` for this event, created on first sight. */
static owner_acc *owner_get(instance *owner, size_t *n_accs)
{
    uint64_t h = (uint64_t)(uintptr_t)owner * 0x9E3779B97F4A7C15ull;
    size_t i = (size_t)(h >> 32) & (slots_size - 1);
    while (slots[i].generation == generation && slots[i].owner != owner)
        i = (i + 1) & (slots_size - 1);
    if (slots[i].generation == generation)
        return &accs[slots[i].acc];
    slots[i] = (owner_slot){owner, generation, (uint32_t)*n_accs};
    accs[*n_accs] = (owner_acc){owner, 0, 0, 0};
    return &accs[(*n_accs)++];
}

/* Folds one live subscription into its owner's delivery. A SNAPSHOT only
 * counts for subscribers that have not had one for this code (Upbit
 * re-sends snapshots for every code whenever the request changes). */
static void collect_live(const stream *st, size_t i, int is_snapshot, size_t *n_accs)
{
    sub *s = st->refs[i].sub;
    owner_acc *a = owner_get(s->owner, n_accs);
    sub_code *sc = &s->codes[st->refs[i].code_index];
    a->want |= !is_snapshot || !sc->got_snapshot;
    sc->got_snapshot = 1;
    if (s->depth > a->depth)
        a->depth = s->depth;
    a->lossless |= delivery_key(s, st) == NULL;
}

/* The collected owners that want this event get it: lossless, or keyed by
 * the stream for "latest" (st NULL: all lossless); wake-ups deferred to
 * router_flush(). */
static void deliver_live(const stream *st, event *ev, size_t n_accs)
{
    size_t n_want = 0;
    for (size_t k = 0; k < n_accs; k++)
        n_want += accs[k].want;
    event_ref_n(ev, n_want);
    in_data_path = 1;
    for (size_t k = 0; k < n_accs; k++)
        if (accs[k].want)
            deliver_ref(accs[k].owner, ev, 0, accs[k].depth, 0, accs[k].lossless || !st ? NULL : st);
    in_data_path = 0;
}

/* myOrder and myAsset: realtime only, so no last value, no SNAPSHOT and no
 * one-off answers; a myOrder event reaches the subscribers of its market
 * and those of every market ("*"), each plugin once, always lossless (an
 * order's state changes must not be conflated). */
static void route_private(event *ev)
{
    const char *code = ev->pub.type == UPWS_TYPE_MYASSET ? "*" : ev->pub.code;
    stream *sts[2] = {streams_find(ev->pub.type_name, code, 0), NULL};
    if (strcmp(code, "*") != 0)
        sts[1] = streams_find(ev->pub.type_name, "*", 0);
    size_t n_refs = 0;
    for (int k = 0; k < 2; k++)
        n_refs += sts[k] ? sts[k]->n_refs : 0;
    if (!n_refs) {
        stats.unrouted++;
        event_unref(ev);
        return;
    }
    stats.routed++;
    owners_reserve(n_refs);
    generation++;
    size_t n_accs = 0;
    for (int k = 0; k < 2; k++) {
        if (!sts[k])
            continue;
        sts[k]->events++;
        for (size_t i = 0; i < sts[k]->n_refs; i++)
            owner_get(sts[k]->refs[i].sub->owner, &n_accs)->want = 1;
    }
    deliver_live(NULL, ev, n_accs);
    event_unref(ev);
}

void router_on_event(event *ev)
{
    if (ev->pub.type == UPWS_TYPE_MYORDER || ev->pub.type == UPWS_TYPE_MYASSET) {
        stats.events++;
        route_private(ev);
        return;
    }
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
    owners_reserve(st->n_refs);
    generation++;
    int is_snapshot = ev->pub.stream_type == UPWS_SNAPSHOT;
    size_t n_accs = 0, n_done = 0;
    sub *done[16];
    for (size_t i = 0; i < st->n_refs; i++) {
        sub *s = st->refs[i].sub;
        if (!s->snapshot_id)
            collect_live(st, i, is_snapshot, &n_accs);
        else if (answer_snapshot(s, st->refs[i].code_index, ev) && n_done < 16)
            done[n_done++] = s;
    }
    deliver_live(st, ev, n_accs);
    event_unref(ev);
    /* Removing may free `st`, so it happens after the loops. */
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
        deliver(s->owner, st->last, 1, s->depth, 0, delivery_key(s, st));
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
