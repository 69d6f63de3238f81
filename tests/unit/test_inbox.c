/* The plugin inbox: "latest" conflation keeps the newest value per stream
 * and the order between streams; lossless overflow is counted and reported;
 * control items are never dropped; timers are coalesced; the ring and the
 * conflation map survive growth; the idle hand-over (a consumer that found
 * its inbox empty is handed it back once per idle spell, at once or through
 * inbox_wake); the policy resolution order. */
#include "check.h"
#include "decode.h"
#include "inbox.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

event *event_alloc(size_t data_len);  /* internal to the host (event.c) */

/* A minimal event of one stream; `seq` rides in timestamp_ms. */
static event *mk(const char *type, const char *code, int64_t seq)
{
    event *ev = event_alloc(64);
    snprintf(ev->data, 16, "%s", type);
    snprintf(ev->data + 16, 32, "%s", code);
    ev->pub.type_name = ev->data;
    ev->pub.code = ev->data + 16;
    ev->pub.type = decode_type(type);
    ev->pub.stream_type = UPWS_REALTIME;
    ev->pub.timestamp_ms = seq;
    return ev;
}

static int refs(event *ev) { return atomic_load(&ev->refs); }

/* Keys stand for streams; any distinct addresses do. */
static const char KA, KB, KC;

static int push_ev(inbox *q, event *ev, const void *key)
{
    inbox_item it = {.kind = ITEM_EVENT, .ev = ev, .key = key};
    return inbox_push(q, &it);
}

/* Takes one item (the test expects one to be queued: an empty take leaves
 * *out kind -2 and returns -2); returns the event's seq (-1 for a
 * non-event) and releases it. */
static int take1(inbox *q, inbox_item *out)
{
    if (inbox_take_batch(q, out, 1) == 1)
        return 1;
    memset(out, 0, sizeof *out);
    out->kind = (item_kind)-2;
    return 0;
}

static int64_t pop_seq(inbox *q, inbox_item *out)
{
    if (!take1(q, out))
        return -2;
    int64_t seq = out->kind == ITEM_EVENT ? out->ev->pub.timestamp_ms : -1;
    inbox_item_release(out);
    return seq;
}

static void test_conflation_keeps_newest_and_order(void)
{
    inbox q;
    inbox_init(&q, 100);
    event *a1 = mk("ticker", "KRW-BTC", 1), *a2 = mk("ticker", "KRW-BTC", 2);
    event_ref(a1);
    event_ref(a2);
    CHECK(push_ev(&q, a1, &KA) == INBOX_QUEUED);
    CHECK(push_ev(&q, mk("ticker", "KRW-ETH", 10), &KB) == INBOX_QUEUED);
    CHECK(push_ev(&q, a2, &KA) == INBOX_CONFLATED);
    CHECK(refs(a1) == 1);  /* the inbox dropped the displaced reference */
    CHECK(push_ev(&q, mk("trade", "KRW-BTC", 20), NULL) == INBOX_QUEUED);
    CHECK(push_ev(&q, mk("ticker", "KRW-BTC", 3), &KA) == INBOX_CONFLATED);
    CHECK(refs(a2) == 1);
    CHECK(inbox_depth(&q) == 3);
    CHECK(q.conflated == 2 && q.dropped == 0);
    inbox_item it;
    /* BTC's newest, at the place BTC first became pending; then ETH, then the trade. */
    CHECK(pop_seq(&q, &it) == 3);
    CHECK(pop_seq(&q, &it) == 10);
    CHECK(pop_seq(&q, &it) == 20);
    /* Once popped, a stream queues anew rather than replacing what the plugin has. */
    CHECK(push_ev(&q, mk("ticker", "KRW-BTC", 4), &KA) == INBOX_QUEUED);
    CHECK(push_ev(&q, mk("ticker", "KRW-BTC", 5), &KA) == INBOX_CONFLATED);
    CHECK(pop_seq(&q, &it) == 5);
    CHECK(q.delivered == 4);
    event_unref(a1);
    event_unref(a2);
    inbox_destroy(&q);
}

static void test_conflation_keeps_snapshot_mark(void)
{
    inbox q;
    inbox_init(&q, 100);
    inbox_item it = {.kind = ITEM_EVENT, .ev = mk("ticker", "KRW-BTC", 1), .key = &KA, .as_snapshot = 1};
    inbox_push(&q, &it);
    event *upbit_snapshot = mk("ticker", "KRW-ETH", 1);
    upbit_snapshot->pub.stream_type = UPWS_SNAPSHOT;
    push_ev(&q, upbit_snapshot, &KB);
    push_ev(&q, mk("ticker", "KRW-BTC", 2), &KA);
    push_ev(&q, mk("ticker", "KRW-ETH", 2), &KB);
    inbox_item out;
    CHECK(take1(&q, &out));
    CHECK(out.kind == ITEM_EVENT && out.ev->pub.timestamp_ms == 2 && out.as_snapshot == 1);
    inbox_item_release(&out);
    CHECK(take1(&q, &out));
    CHECK(out.kind == ITEM_EVENT && out.ev->pub.timestamp_ms == 2 && out.as_snapshot == 1);
    inbox_item_release(&out);
    CHECK(inbox_take_batch(&q, &out, 1) == 0);
    inbox_destroy(&q);
}

/* A freed stream's address reused by another stream while an item of the
 * old one waits: the two must not be merged. */
static void test_reused_key_is_not_merged(void)
{
    inbox q;
    inbox_init(&q, 100);
    push_ev(&q, mk("ticker", "KRW-BTC", 1), &KA);
    CHECK(push_ev(&q, mk("ticker", "KRW-XRP", 2), &KA) == INBOX_QUEUED);
    CHECK(push_ev(&q, mk("orderbook", "KRW-XRP", 3), &KA) == INBOX_QUEUED);
    CHECK(push_ev(&q, mk("orderbook", "KRW-XRP", 4), &KA) == INBOX_CONFLATED);
    inbox_item it;
    CHECK(pop_seq(&q, &it) == 1);
    CHECK(pop_seq(&q, &it) == 2);
    CHECK(pop_seq(&q, &it) == 4);
    CHECK(inbox_depth(&q) == 0);
    inbox_destroy(&q);
}

static void test_lossless_overflow_counted_and_reported(void)
{
    inbox q;
    inbox_init(&q, 4);
    for (int i = 0; i < 6; i++)
        CHECK(push_ev(&q, mk("trade", "KRW-BTC", i), NULL) == (i < 4 ? INBOX_QUEUED : INBOX_DROPPED));
    CHECK(q.dropped == 2 && q.dropped_unreported == 2);
    inbox_item it;
    CHECK(pop_seq(&q, &it) == 0);
    CHECK(pop_seq(&q, &it) == 1);
    /* Drained to half: the report comes before the rest. */
    CHECK(take1(&q, &it));
    CHECK(it.kind == ITEM_STATUS && it.status);
    CHECK(it.status && it.status->kind == UPWS_STATUS_DROPPED && it.status->count == 2);
    inbox_item_release(&it);
    CHECK(pop_seq(&q, &it) == 2);
    CHECK(pop_seq(&q, &it) == 3);
    CHECK(q.dropped_unreported == 0 && q.delivered == 4);
    inbox_destroy(&q);
}

/* "latest" at the bound: a stream already waiting is still replaced (the
 * newest value is never lost to the bound); a new stream is dropped. */
static void test_latest_at_capacity(void)
{
    inbox q;
    inbox_init(&q, 2);
    push_ev(&q, mk("ticker", "KRW-BTC", 1), &KA);
    push_ev(&q, mk("ticker", "KRW-ETH", 1), &KB);
    CHECK(push_ev(&q, mk("ticker", "KRW-BTC", 2), &KA) == INBOX_CONFLATED);
    CHECK(push_ev(&q, mk("ticker", "KRW-XRP", 1), &KC) == INBOX_DROPPED);
    CHECK(q.dropped == 1 && q.conflated == 1);
    inbox_item it;
    CHECK(pop_seq(&q, &it) == 2);
    inbox_destroy(&q);
}

static void test_control_items_never_dropped(void)
{
    inbox q;
    inbox_init(&q, 2);
    push_ev(&q, mk("trade", "KRW-BTC", 1), NULL);
    push_ev(&q, mk("trade", "KRW-BTC", 2), NULL);
    for (int i = 0; i < 300; i++) {
        inbox_item it = {.kind = ITEM_STATUS, .status = inbox_status_new(UPWS_STATUS_UP, NULL, "up")};
        CHECK(inbox_push(&q, &it) == INBOX_QUEUED);
    }
    inbox_item stop = {.kind = ITEM_STOP};
    inbox_push(&q, &stop);
    CHECK(q.count == 303 && q.dropped == 0);
    inbox_item it;
    CHECK(pop_seq(&q, &it) == 1);
    CHECK(pop_seq(&q, &it) == 2);
    int statuses = 0;
    for (int i = 0; i < 300; i++) {
        if (!take1(&q, &it))
            break;
        statuses += it.kind == ITEM_STATUS;
        inbox_item_release(&it);
    }
    CHECK(statuses == 300);
    CHECK(take1(&q, &it));
    CHECK(it.kind == ITEM_STOP);
    CHECK(inbox_take_batch(&q, &it, 1) == 0);
    inbox_destroy(&q);
}

static void timer_fn(void *self, int64_t id) { (void)self, (void)id; }

static void test_timer_coalescing(void)
{
    inbox q;
    inbox_init(&q, 10);
    inbox_item t7 = {.kind = ITEM_TIMER, .id = 7, .fn = timer_fn};
    inbox_item t8 = {.kind = ITEM_TIMER, .id = 8, .fn = timer_fn};
    inbox_push(&q, &t7);
    push_ev(&q, mk("trade", "KRW-BTC", 1), NULL);
    inbox_push(&q, &t7);
    inbox_push(&q, &t8);
    CHECK(q.count == 3 && q.timers == 2);
    inbox_item it;
    CHECK(take1(&q, &it));
    CHECK(it.kind == ITEM_TIMER && it.id == 7 && it.fn == timer_fn);
    CHECK(q.timers == 1);
    inbox_push(&q, &t7);  /* the earlier firing ran: this one queues */
    CHECK(q.count == 3 && q.timers == 2);
    inbox_push(&q, &t8);  /* 8 still waits: coalesced */
    CHECK(q.count == 3 && q.timers == 2);
    /* In order: the event, 8, then the new 7. */
    CHECK(pop_seq(&q, &it) == 1);
    CHECK(take1(&q, &it) && it.kind == ITEM_TIMER && it.id == 8);
    CHECK(take1(&q, &it) && it.kind == ITEM_TIMER && it.id == 7);
    CHECK(q.timers == 0 && inbox_take_batch(&q, &it, 1) == 0);
    inbox_destroy(&q);
}

/* Growth of the ring (relayout) and of the map keep every stream's slot. */
static void test_growth_keeps_streams(void)
{
    enum { N = 700 };
    static char keys[N];
    char code[16];
    inbox q;
    inbox_init(&q, 100000);
    for (int i = 0; i < N; i++) {
        snprintf(code, sizeof code, "KRW-C%d", i);
        push_ev(&q, mk("ticker", code, i), &keys[i]);
    }
    int conflated = 0;
    for (int i = 0; i < N; i++) {
        snprintf(code, sizeof code, "KRW-C%d", i);
        conflated += push_ev(&q, mk("ticker", code, 10000 + i), &keys[i]) == INBOX_CONFLATED;
    }
    CHECK(conflated == N && inbox_depth(&q) == N);
    inbox_item it;
    int in_order = 1;
    for (int i = 0; i < N; i++)
        in_order &= pop_seq(&q, &it) == 10000 + i;
    CHECK(in_order);
    CHECK(q.map_used == 0);
    CHECK(q.size <= 1024);  /* gave the backlog's memory back */
    inbox_destroy(&q);
}

static void test_resolve_delivery(void)
{
    inbox q;
    inbox_init(&q, 10);
    CHECK(inbox_resolve_delivery(&q, UPWS_DELIVERY_DEFAULT, UPWS_TYPE_TICKER) == UPWS_DELIVERY_LATEST);
    CHECK(inbox_resolve_delivery(&q, UPWS_DELIVERY_DEFAULT, UPWS_TYPE_ORDERBOOK) == UPWS_DELIVERY_LATEST);
    CHECK(inbox_resolve_delivery(&q, UPWS_DELIVERY_DEFAULT, UPWS_TYPE_TRADE) == UPWS_DELIVERY_LOSSLESS);
    CHECK(inbox_resolve_delivery(&q, UPWS_DELIVERY_DEFAULT, UPWS_TYPE_CANDLE) == UPWS_DELIVERY_LOSSLESS);
    CHECK(inbox_resolve_delivery(&q, UPWS_DELIVERY_DEFAULT, UPWS_TYPE_MYORDER) == UPWS_DELIVERY_LOSSLESS);
    CHECK(inbox_resolve_delivery(&q, UPWS_DELIVERY_LATEST, UPWS_TYPE_TRADE) == UPWS_DELIVERY_LATEST);
    inbox_set_delivery(&q, UPWS_DELIVERY_LOSSLESS);  /* the instance's YAML setting */
    CHECK(inbox_resolve_delivery(&q, UPWS_DELIVERY_DEFAULT, UPWS_TYPE_TICKER) == UPWS_DELIVERY_LOSSLESS);
    CHECK(inbox_resolve_delivery(&q, UPWS_DELIVERY_LATEST, UPWS_TYPE_TICKER) == UPWS_DELIVERY_LATEST);
    inbox_destroy(&q);
}

/* ---- the idle hand-over ---- */

static atomic_int ready_calls;
static void count_ready(void *arg)
{
    CHECK(arg == &ready_calls);
    atomic_fetch_add(&ready_calls, 1);
}

/* Takes everything queued; returns how many items were taken (the last
 * take returned 0, so the inbox is idle afterwards). */
static size_t drain(inbox *q)
{
    inbox_item b[8];
    size_t total = 0, n;
    while ((n = inbox_take_batch(q, b, 8)) > 0) {
        for (size_t i = 0; i < n; i++)
            inbox_item_release(&b[i]);
        total += n;
    }
    return total;
}

/* A new inbox belongs to its consumer until it first finds it empty:
 * pushing into it hands nothing over. */
static void test_new_inbox_is_not_idle(void)
{
    inbox q;
    inbox_init(&q, 10);
    atomic_store(&ready_calls, 0);
    inbox_set_ready(&q, count_ready, &ready_calls);
    CHECK(q.idle == 0);
    push_ev(&q, mk("trade", "KRW-BTC", 1), NULL);
    CHECK(atomic_load(&ready_calls) == 0);
    int owed = -1;
    inbox_item it = {.kind = ITEM_EVENT, .ev = mk("trade", "KRW-BTC", 2)};
    inbox_push_deferred(&q, &it, &owed);
    CHECK(owed == 0);
    CHECK(atomic_load(&ready_calls) == 0);
    CHECK(q.idle == 0);
    inbox_item out;
    CHECK(pop_seq(&q, &out) == 1);  /* taking items leaves it owned */
    CHECK(q.idle == 0);
    CHECK(pop_seq(&q, &out) == 2);
    CHECK(q.idle == 0);
    CHECK(inbox_take_batch(&q, &out, 1) == 0);  /* found empty: let go */
    CHECK(q.idle == 1);
    CHECK(atomic_load(&ready_calls) == 0);
    inbox_destroy(&q);
}

/* inbox_push into an idle inbox: the first push calls ready once; more
 * pushes while the consumer owns it call nothing, whatever their outcome. */
static void test_push_hands_over_once_per_idle_spell(void)
{
    inbox q;
    inbox_init(&q, 2);
    atomic_store(&ready_calls, 0);
    inbox_set_ready(&q, count_ready, &ready_calls);
    CHECK(drain(&q) == 0 && q.idle == 1);
    inbox_item none[4];
    CHECK(inbox_take_batch(&q, none, 4) == 0 && q.idle == 1);  /* empty again: still one spell */
    CHECK(push_ev(&q, mk("ticker", "KRW-BTC", 1), &KA) == INBOX_QUEUED);
    CHECK(atomic_load(&ready_calls) == 1 && q.idle == 0);
    CHECK(push_ev(&q, mk("ticker", "KRW-BTC", 2), &KA) == INBOX_CONFLATED);
    CHECK(push_ev(&q, mk("trade", "KRW-BTC", 3), NULL) == INBOX_QUEUED);
    CHECK(push_ev(&q, mk("trade", "KRW-BTC", 4), NULL) == INBOX_DROPPED);
    inbox_item t7 = {.kind = ITEM_TIMER, .id = 7, .fn = timer_fn};
    inbox_push(&q, &t7);
    int owed = -1;
    inbox_item it = {.kind = ITEM_STATUS, .status = inbox_status_new(UPWS_STATUS_UP, NULL, "up")};
    inbox_push_deferred(&q, &it, &owed);
    CHECK(owed == 0);
    CHECK(atomic_load(&ready_calls) == 1);
    /* The consumer takes some (not idle yet), a push still hands nothing over. */
    inbox_item out;
    CHECK(pop_seq(&q, &out) == 2);
    CHECK(q.idle == 0);
    push_ev(&q, mk("trade", "KRW-BTC", 5), NULL);
    CHECK(atomic_load(&ready_calls) == 1);
    /* 3, the drop report, the timer, the status, 5 */
    CHECK(drain(&q) == 5);
    CHECK(q.idle == 1 && q.dropped == 1 && q.dropped_unreported == 0);
    /* A new spell: a control item hands it over too, once. */
    inbox_push(&q, &t7);
    CHECK(atomic_load(&ready_calls) == 2);
    inbox_push(&q, &t7);  /* coalesced */
    push_ev(&q, mk("trade", "KRW-BTC", 6), NULL);
    CHECK(atomic_load(&ready_calls) == 2);
    CHECK(drain(&q) == 2);
    /* No ready callback set: an idle inbox still leaves idle on a push. */
    inbox_set_ready(&q, NULL, NULL);
    push_ev(&q, mk("trade", "KRW-BTC", 7), NULL);
    CHECK(q.idle == 0 && atomic_load(&ready_calls) == 2);
    inbox_destroy(&q);
}

/* inbox_push_deferred into an idle inbox owes one wake-up per spell and
 * calls nothing itself; inbox_wake pays it. */
static void test_deferred_push_owes_one_wake(void)
{
    inbox q;
    inbox_init(&q, 100);
    atomic_store(&ready_calls, 0);
    inbox_set_ready(&q, count_ready, &ready_calls);
    CHECK(drain(&q) == 0);
    int owed_total = 0;
    for (int i = 1; i <= 5; i++) {
        int owed = -1;
        inbox_item it = {.kind = ITEM_EVENT, .ev = mk("trade", "KRW-BTC", i)};
        CHECK(inbox_push_deferred(&q, &it, &owed) == INBOX_QUEUED);
        CHECK(owed == (i == 1));
        owed_total += owed;
    }
    CHECK(owed_total == 1);
    CHECK(atomic_load(&ready_calls) == 0 && q.idle == 0);
    /* A plain push after a deferred one in the same spell: nothing either. */
    push_ev(&q, mk("trade", "KRW-BTC", 6), NULL);
    CHECK(atomic_load(&ready_calls) == 0);
    inbox_wake(&q);
    CHECK(atomic_load(&ready_calls) == 1);
    CHECK(drain(&q) == 6);
    /* Next spell: a plain push first, then deferred ones owe nothing. */
    push_ev(&q, mk("trade", "KRW-BTC", 7), NULL);
    CHECK(atomic_load(&ready_calls) == 2);
    int owed = -1;
    inbox_item it = {.kind = ITEM_EVENT, .ev = mk("trade", "KRW-BTC", 8)};
    inbox_push_deferred(&q, &it, &owed);
    CHECK(owed == 0 && atomic_load(&ready_calls) == 2);
    CHECK(drain(&q) == 2);
    /* And again deferred: owed once more. */
    owed = -1;
    inbox_item it2 = {.kind = ITEM_EVENT, .ev = mk("ticker", "KRW-BTC", 9), .key = &KA};
    inbox_push_deferred(&q, &it2, &owed);
    CHECK(owed == 1 && atomic_load(&ready_calls) == 2);
    inbox_wake(&q);
    CHECK(atomic_load(&ready_calls) == 3);
    inbox_destroy(&q);
}

/* ---- across threads ----
 * The consumer stands for a worker running the instance: it owns the inbox
 * at first, drains it with inbox_take_batch until that returns 0 (the inbox
 * is then idle), and waits for the ready callback to hand it back. Every
 * wait has a deadline: a lost hand-over fails the test instead of hanging. */

#define STREAMS 4  /* KRW-A, KRW-B, KRW-C: latest; KRW-D: lossless */

typedef struct consumer {
    inbox *q;
    sem_t ready;
    atomic_int ready_calls;
    int zero_takes;          /* inbox_take_batch calls that returned 0 */
    int empty_wakes;         /* hand-overs that found nothing to take */
    int lost;                /* a wait ran into its deadline */
    int slow;                /* sleep now and then: a slowish plugin */
    int64_t last[STREAMS];
    int ordered, events, stopped;
    int64_t lossless_next;   /* the lossless seq expected next */
    int lossless_ok;
    int after_stop;          /* items taken after ITEM_STOP */
} consumer;

static void consumer_ready(void *arg)
{
    consumer *c = arg;
    atomic_fetch_add(&c->ready_calls, 1);
    sem_post(&c->ready);
}

static void consume_item(consumer *c, inbox_item *it)
{
    if (c->stopped) {
        c->after_stop++;
    } else if (it->kind == ITEM_STOP) {
        c->stopped = 1;
    } else if (it->kind == ITEM_EVENT) {
        int s = it->ev->pub.code[4] - 'A';
        if (s < 0 || s >= STREAMS) {
            c->ordered = 0;
        } else if (s == STREAMS - 1) {
            /* lossless: every seq once, in order */
            c->lossless_ok &= it->ev->pub.timestamp_ms == c->lossless_next && !it->key;
            c->lossless_next = it->ev->pub.timestamp_ms + 1;
        } else {
            c->ordered &= it->ev->pub.timestamp_ms > c->last[s];
        }
        if (s >= 0 && s < STREAMS)
            c->last[s] = it->ev->pub.timestamp_ms;
        c->events++;
        if (c->slow && c->events % 64 == 0) {
            struct timespec ts = {0, 200000};
            nanosleep(&ts, NULL);
        }
    }
    inbox_item_release(it);
}

static void *consume(void *arg)
{
    consumer *c = arg;
    inbox_item b[16];
    for (int woken = 0;; woken = 1) {
        size_t n, taken = 0;
        while ((n = inbox_take_batch(c->q, b, 16)) > 0) {
            taken += n;
            for (size_t i = 0; i < n; i++)
                consume_item(c, &b[i]);
        }
        c->zero_takes++;
        if (woken && !taken)
            c->empty_wakes++;
        if (c->stopped)
            return NULL;
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += 5;
        int rc;
        while ((rc = sem_timedwait(&c->ready, &deadline)) != 0 && errno == EINTR)
            ;
        if (rc != 0) {
            c->lost = 1;
            return NULL;
        }
    }
}

static void consumer_start(consumer *c, inbox *q, pthread_t *t, int slow)
{
    memset(c, 0, sizeof *c);
    c->q = q;
    c->ordered = 1;
    c->lossless_ok = 1;
    c->lossless_next = 1;
    c->slow = slow;
    sem_init(&c->ready, 0, 0);
    inbox_set_ready(q, consumer_ready, c);
    pthread_create(t, NULL, consume, c);
}

/* The hand-over bookkeeping after the consumer has finished. */
static void consumer_check(consumer *c)
{
    int calls = atomic_load(&c->ready_calls);
    CHECK(!c->lost);
    CHECK(c->stopped && c->after_stop == 0);
    /* one hand-over per idle spell, and each spell began with an empty take */
    CHECK(calls <= c->zero_takes);
    CHECK(c->empty_wakes == 0);
    int leftover = -1;
    sem_getvalue(&c->ready, &leftover);
    CHECK(leftover == 0);  /* no hand-over was left unused */
    sem_destroy(&c->ready);
}

/* Lossless across threads: every item is taken exactly once, in order,
 * through many idle spells. The producer mixes inbox_push with
 * inbox_push_deferred + one inbox_wake per "pass" (as the router does), and
 * pauses now and then so the consumer often catches up and lets go. */
static void test_threads_lossless_exactly_once(void)
{
    enum { N = 40000, PASS = 7 };
    inbox q;
    inbox_init(&q, (size_t)N + 1);
    consumer c;
    pthread_t t;
    consumer_start(&c, &q, &t, 0);
    int pass_owed = 0, owed_twice = 0, queued = 0;
    for (int64_t i = 1; i <= N; i++) {
        inbox_item it = {.kind = ITEM_EVENT, .ev = mk("trade", "KRW-D", i)};
        int owed = 0;
        if ((i / 1000) % 2)
            queued += inbox_push(&q, &it) == INBOX_QUEUED;
        else
            queued += inbox_push_deferred(&q, &it, &owed) == INBOX_QUEUED;
        owed_twice += owed && pass_owed;
        pass_owed |= owed;
        if (i % PASS == 0 || i == N) {
            if (pass_owed)
                inbox_wake(&q);
            pass_owed = 0;
        }
        if (i % 500 == 0) {
            struct timespec ts = {0, 300000};
            nanosleep(&ts, NULL);
        }
    }
    inbox_item stop = {.kind = ITEM_STOP};
    inbox_push(&q, &stop);
    pthread_join(t, NULL);
    CHECK(queued == N && owed_twice == 0);
    CHECK(c.lossless_ok);
    CHECK(c.lossless_next == N + 1);
    CHECK(c.events == N);
    CHECK(q.delivered == N && q.dropped == 0 && q.conflated == 0);
    consumer_check(&c);
    CHECK(atomic_load(&c.ready_calls) > 0);  /* the consumer did let go on the way */
    inbox_destroy(&q);
}

/* A producer much faster than the plugin: per stream the plugin sees values
 * only ever newer, and the last one it sees is the newest pushed; the
 * lossless stream in between keeps every item in order. Half the pushes
 * leave the hand-over to inbox_wake(), as the router does per pass. */
static void test_threads_latest_and_wakeups(void)
{
    static const char *const codes[] = {"KRW-A", "KRW-B", "KRW-C"};
    inbox q;
    inbox_init(&q, 16384);
    consumer c;
    pthread_t t;
    consumer_start(&c, &q, &t, 1);
    int64_t lossless = 0;
    for (int64_t i = 1; i <= 30000; i++) {
        int s = (int)(i % 3);
        inbox_item it = {.kind = ITEM_EVENT, .ev = mk("ticker", codes[s], i), .key = codes[s]};
        int owed = 0;
        if (i % 2)
            inbox_push(&q, &it);
        else
            inbox_push_deferred(&q, &it, &owed);
        if (i % 10 == 0) {
            int owed2 = 0;
            inbox_item tr = {.kind = ITEM_EVENT, .ev = mk("trade", "KRW-D", ++lossless)};
            inbox_push_deferred(&q, &tr, &owed2);
            CHECK(!(owed && owed2));  /* one hand-over per spell */
            owed |= owed2;
        }
        if (owed)
            inbox_wake(&q);
        if (i % 5000 == 0) {  /* now and then the plugin catches up and lets go */
            struct timespec ts = {0, 20000000};
            nanosleep(&ts, NULL);
        }
    }
    inbox_item stop = {.kind = ITEM_STOP};
    inbox_push(&q, &stop);
    pthread_join(t, NULL);
    CHECK(atomic_load(&c.ready_calls) > 0);
    CHECK(c.ordered);
    CHECK(c.last[0] == 30000 && c.last[1] == 29998 && c.last[2] == 29999);
    CHECK(c.lossless_ok && c.lossless_next == lossless + 1);
    CHECK(q.delivered + q.conflated == 30000 + (uint64_t)lossless && q.dropped == 0);
    CHECK((int)q.delivered == c.events);
    consumer_check(&c);
    inbox_destroy(&q);
}

/* A batch is taken in order, holds at most `max`, and ends right after a
 * "latest" event, so a newer value can still replace what is queued behind. */
static void test_take_batch(void)
{
    inbox q;
    inbox_init(&q, 100);
    for (int i = 1; i <= 5; i++)
        push_ev(&q, mk("trade", "KRW-BTC", i), NULL);
    push_ev(&q, mk("ticker", "KRW-BTC", 6), &KA);
    push_ev(&q, mk("trade", "KRW-BTC", 7), NULL);
    push_ev(&q, mk("ticker", "KRW-ETH", 8), &KB);
    push_ev(&q, mk("ticker", "KRW-ETH", 9), &KB);  /* replaces 8 */
    inbox_item b[4];
    size_t n = inbox_take_batch(&q, b, 4);
    CHECK(n == 4);
    for (size_t i = 0; i < n; i++) {
        CHECK(b[i].kind == ITEM_EVENT && b[i].ev->pub.timestamp_ms == (int64_t)i + 1);
        inbox_item_release(&b[i]);
    }
    CHECK(q.idle == 0);
    n = inbox_take_batch(&q, b, 4);
    CHECK(n == 2 && b[0].ev->pub.timestamp_ms == 5 && b[1].ev->pub.timestamp_ms == 6 && b[1].key == &KA);
    for (size_t i = 0; i < n; i++)
        inbox_item_release(&b[i]);
    push_ev(&q, mk("ticker", "KRW-ETH", 10), &KB);  /* still queued: replaces 9 */
    n = inbox_take_batch(&q, b, 4);
    CHECK(n == 2 && b[0].ev->pub.timestamp_ms == 7 && b[1].ev->pub.timestamp_ms == 10);
    for (size_t i = 0; i < n; i++)
        inbox_item_release(&b[i]);
    CHECK(inbox_depth(&q) == 0 && q.idle == 0);
    CHECK(inbox_take_batch(&q, b, 4) == 0);
    CHECK(q.idle == 1);
    CHECK(q.delivered == 8 && q.conflated == 2);
    inbox_destroy(&q);
}

int main(void)
{
    test_conflation_keeps_newest_and_order();
    test_conflation_keeps_snapshot_mark();
    test_reused_key_is_not_merged();
    test_lossless_overflow_counted_and_reported();
    test_latest_at_capacity();
    test_control_items_never_dropped();
    test_timer_coalescing();
    test_growth_keeps_streams();
    test_resolve_delivery();
    test_take_batch();
    test_new_inbox_is_not_idle();
    test_push_hands_over_once_per_idle_spell();
    test_deferred_push_owes_one_wake();
    test_threads_lossless_exactly_once();
    test_threads_latest_and_wakeups();
    return CHECK_DONE();
}
