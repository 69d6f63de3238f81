/* The plugin inbox: "latest" conflation keeps the newest value per stream
 * and the order between streams; lossless overflow is counted and reported;
 * control items are never dropped; timers are coalesced; the ring and the
 * conflation map survive growth; a sleeping plugin thread is woken (at once
 * or through inbox_wake); the policy resolution order. */
#include "check.h"
#include "decode.h"
#include "inbox.h"

#include <pthread.h>
#include <stdatomic.h>
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

/* Pops one item; returns the event's seq (-1 for a non-event) and releases it. */
static int64_t pop_seq(inbox *q, inbox_item *out)
{
    inbox_pop(q, out);
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
    inbox_pop(&q, &out);
    CHECK(out.ev->pub.timestamp_ms == 2 && out.as_snapshot == 1);
    inbox_item_release(&out);
    inbox_pop(&q, &out);
    CHECK(out.ev->pub.timestamp_ms == 2 && out.as_snapshot == 1);
    inbox_item_release(&out);
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
    inbox_pop(&q, &it);
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
        inbox_pop(&q, &it);
        statuses += it.kind == ITEM_STATUS;
        inbox_item_release(&it);
    }
    CHECK(statuses == 300);
    inbox_pop(&q, &it);
    CHECK(it.kind == ITEM_STOP);
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
    inbox_pop(&q, &it);
    CHECK(it.kind == ITEM_TIMER && it.id == 7);
    inbox_push(&q, &t7);  /* the earlier firing ran: this one queues */
    CHECK(q.count == 3);
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

/* ---- across threads ---- */

typedef struct consumer {
    inbox *q;
    int64_t last[3];
    int ordered, events;
} consumer;

static void *consume(void *arg)
{
    consumer *c = arg;
    for (;;) {
        inbox_item it;
        inbox_pop(c->q, &it);
        if (it.kind == ITEM_STOP)
            return NULL;
        if (it.kind == ITEM_EVENT) {
            int s = it.ev->pub.code[4] - 'A';
            c->ordered &= it.ev->pub.timestamp_ms > c->last[s];
            c->last[s] = it.ev->pub.timestamp_ms;
            c->events++;
            if (c->events % 64 == 0) {
                struct timespec ts = {0, 200000};  /* a slowish plugin */
                nanosleep(&ts, NULL);
            }
        }
        inbox_item_release(&it);
    }
}

/* A producer much faster than the plugin: per stream the plugin sees values
 * only ever newer, and the last one it sees is the newest pushed. Half the
 * pushes leave the wake-up to inbox_wake(), as the router does per pass. */
static void test_threads_latest_and_wakeups(void)
{
    static const char *const codes[] = {"KRW-A", "KRW-B", "KRW-C"};
    inbox q;
    inbox_init(&q, 16384);
    consumer c = {.q = &q, .ordered = 1};
    pthread_t t;
    pthread_create(&t, NULL, consume, &c);
    for (int64_t i = 1; i <= 30000; i++) {
        int s = (int)(i % 3);
        inbox_item it = {.kind = ITEM_EVENT, .ev = mk("ticker", codes[s], i), .key = codes[s]};
        int owed = 0;
        if (i % 2)
            inbox_push(&q, &it);
        else
            inbox_push_deferred(&q, &it, &owed);
        if (owed || i % 100 == 0)
            inbox_wake(&q);
    }
    inbox_item stop = {.kind = ITEM_STOP};
    inbox_push(&q, &stop);
    pthread_join(t, NULL);
    CHECK(c.ordered);
    CHECK(c.last[0] == 30000 && c.last[1] == 29998 && c.last[2] == 29999);
    CHECK(q.delivered + q.conflated == 30000 && q.dropped == 0);
    CHECK((int)q.delivered == c.events);
    inbox_destroy(&q);
}

/* A batch is taken in order, holds at most `max`, and ends right after a
 * "latest" event, so a newer value can still replace what is queued behind. */
static void test_pop_batch(void)
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
    size_t n = inbox_pop_batch(&q, b, 4);
    CHECK(n == 4);
    for (size_t i = 0; i < n; i++) {
        CHECK(b[i].kind == ITEM_EVENT && b[i].ev->pub.timestamp_ms == (int64_t)i + 1);
        inbox_item_release(&b[i]);
    }
    n = inbox_pop_batch(&q, b, 4);
    CHECK(n == 2 && b[0].ev->pub.timestamp_ms == 5 && b[1].ev->pub.timestamp_ms == 6 && b[1].key == &KA);
    for (size_t i = 0; i < n; i++)
        inbox_item_release(&b[i]);
    push_ev(&q, mk("ticker", "KRW-ETH", 10), &KB);  /* still queued: replaces 9 */
    n = inbox_pop_batch(&q, b, 4);
    CHECK(n == 2 && b[0].ev->pub.timestamp_ms == 7 && b[1].ev->pub.timestamp_ms == 10);
    for (size_t i = 0; i < n; i++)
        inbox_item_release(&b[i]);
    CHECK(inbox_depth(&q) == 0);
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
    test_threads_latest_and_wakeups();
    test_pop_batch();
    return CHECK_DONE();
}
