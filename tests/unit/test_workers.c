/* The worker pool, lane by lane: every item is processed once and a lane
 * never runs in two workers at a time (readied only when it went idle, as
 * an inbox does); lanes readied while the thread holds run only after
 * release; a lane stuck in a blocking callback does not hold up the others
 * (workers_check adds a worker); a LANE_DONE lane is never touched again
 * (it frees itself inside run()); workers_stop joins. Every wait has a
 * deadline: a lost lane fails the test instead of hanging it. */
#include "check.h"
#include "workers.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* Polls `pred` every millisecond for up to `ms`, calling workers_check()
 * each time when `check` (as the loop does once per pass). */
static int wait_for(int (*pred)(void *), void *arg, int ms, int check)
{
    int64_t deadline = now_ns() + (int64_t)ms * 1000000;
    for (;;) {
        if (pred(arg))
            return 1;
        if (now_ns() > deadline)
            return 0;
        if (check)
            workers_check();
        sleep_us(1000);
    }
}

/* ---- lanes fed items, readied only when idle ---- */

#define ITEM_LANES 20
#define PER_RUN 5

typedef struct item_lane {
    lane l;
    pthread_mutex_t lock;
    int idle;                 /* lock: the lane let go (not queued, not running) */
    int pending;              /* lock: items waiting */
    long added;               /* producer (main thread) only */
    long processed;           /* only the lane's run(): a plain counter on purpose */
    atomic_long processed_pub;
    atomic_int running;
    atomic_int runs, empty_runs, more_runs;
} item_lane;

static atomic_int overlaps;   /* run() entered while already running */

static lane_result item_run(lane *l)
{
    item_lane *t = (item_lane *)((char *)l - offsetof(item_lane, l));
    if (atomic_exchange(&t->running, 1))
        atomic_fetch_add(&overlaps, 1);
    atomic_fetch_add(&t->runs, 1);
    pthread_mutex_lock(&t->lock);
    int n = t->pending < PER_RUN ? t->pending : PER_RUN;
    t->pending -= n;
    pthread_mutex_unlock(&t->lock);
    if (!n)
        atomic_fetch_add(&t->empty_runs, 1);  /* readied with nothing to do */
    for (int i = 0; i < n; i++) {
        t->processed++;
        if ((t->processed & 7) == 0)
            sched_yield();  /* widen the window for an overlap to show */
    }
    atomic_store(&t->processed_pub, t->processed);
    /* As inbox_take_batch: finding it empty and letting go are one
     * critical section, so a producer that adds meanwhile re-readies it. */
    pthread_mutex_lock(&t->lock);
    if (!t->pending) {
        atomic_store(&t->running, 0);
        t->idle = 1;
        pthread_mutex_unlock(&t->lock);
        return LANE_IDLE;
    }
    pthread_mutex_unlock(&t->lock);
    atomic_store(&t->running, 0);
    atomic_fetch_add(&t->more_runs, 1);
    return LANE_MORE;
}

static void item_add(item_lane *t, int k)
{
    pthread_mutex_lock(&t->lock);
    t->pending += k;
    int wake = t->idle;
    t->idle = 0;
    pthread_mutex_unlock(&t->lock);
    t->added += k;
    if (wake)
        workers_ready(&t->l);
}

static int items_all_done(void *arg)
{
    item_lane *lanes = arg;
    for (int i = 0; i < ITEM_LANES; i++) {
        pthread_mutex_lock(&lanes[i].lock);
        int settled = lanes[i].idle && !lanes[i].pending;
        pthread_mutex_unlock(&lanes[i].lock);
        if (!settled || atomic_load(&lanes[i].processed_pub) != lanes[i].added)
            return 0;
    }
    return 1;
}

static void test_items_once_and_never_overlapping(void)
{
    static item_lane lanes[ITEM_LANES];
    memset(lanes, 0, sizeof lanes);
    for (int i = 0; i < ITEM_LANES; i++) {
        pthread_mutex_init(&lanes[i].lock, NULL);
        lanes[i].idle = 1;
        lanes[i].l.run = item_run;
    }
    atomic_store(&overlaps, 0);
    unsigned seed = 12345;
    for (int round = 0; round < 2000; round++) {
        for (int i = 0; i < ITEM_LANES; i++) {
            seed = seed * 1103515245 + 12345;
            int k = (int)((seed >> 16) % 13);  /* 0..12: some lanes get nothing this round */
            if (k)
                item_add(&lanes[i], k);
        }
        if (round % 4 == 0)
            workers_check();
        if (round % 50 == 0)
            sleep_us(500);  /* let lanes drain and go idle now and then */
    }
    int done = wait_for(items_all_done, lanes, 5000, 1);
    CHECK(done);
    long added = 0, processed = 0;
    int exact = 1, empty = 0, more = 0, runs = 0;
    for (int i = 0; i < ITEM_LANES; i++) {
        added += lanes[i].added;
        processed += atomic_load(&lanes[i].processed_pub);
        exact &= atomic_load(&lanes[i].processed_pub) == lanes[i].added;
        empty += atomic_load(&lanes[i].empty_runs);
        more += atomic_load(&lanes[i].more_runs);
        runs += atomic_load(&lanes[i].runs);
    }
    CHECK(exact);
    CHECK(processed == added && added > 0);
    CHECK(atomic_load(&overlaps) == 0);
    CHECK(empty == 0);   /* a lane is queued once per idle spell */
    CHECK(more > 0);     /* LANE_MORE (requeue) was exercised */
    CHECK(runs >= (int)(added / PER_RUN));
    if (done)
        for (int i = 0; i < ITEM_LANES; i++)
            pthread_mutex_destroy(&lanes[i].lock);
}

/* ---- simple lanes: count their runs, return a set result ---- */

typedef struct simple_lane {
    lane l;
    atomic_int runs;
    atomic_llong first_run_ns;
    int sleep_ms;              /* a blocking callback */
    atomic_int finished;       /* run() returned (after its sleep) */
} simple_lane;

static lane_result simple_run(lane *l)
{
    simple_lane *s = (simple_lane *)((char *)l - offsetof(simple_lane, l));
    long long zero = 0;
    atomic_compare_exchange_strong(&s->first_run_ns, &zero, (long long)now_ns());
    atomic_fetch_add(&s->runs, 1);
    if (s->sleep_ms)
        sleep_us((long)s->sleep_ms * 1000);
    atomic_store(&s->finished, 1);
    return LANE_IDLE;
}

static int simple_ran(void *arg) { return atomic_load(&((simple_lane *)arg)->runs) > 0; }
static int simple_finished(void *arg) { return atomic_load(&((simple_lane *)arg)->finished) != 0; }

typedef struct lanes3 {
    simple_lane *s;
    int n;
} lanes3;

static int all_ran(void *arg)
{
    lanes3 *a = arg;
    for (int i = 0; i < a->n; i++)
        if (!atomic_load(&a->s[i].runs))
            return 0;
    return 1;
}

static void *ready_from_other_thread(void *arg)
{
    workers_ready(arg);
    return NULL;
}

/* Between hold and release the lanes this thread readies wait; release
 * queues them all. Another thread's lanes are not held. */
static void test_hold_release(void)
{
    static simple_lane s[3], other;
    memset(s, 0, sizeof s);
    memset(&other, 0, sizeof other);
    for (int i = 0; i < 3; i++)
        s[i].l.run = simple_run;
    other.l.run = simple_run;
    workers_hold();
    for (int i = 0; i < 3; i++)
        workers_ready(&s[i].l);
    pthread_t t;
    pthread_create(&t, NULL, ready_from_other_thread, &other.l);
    pthread_join(t, NULL);
    CHECK(wait_for(simple_ran, &other, 3000, 0));  /* not held: another thread readied it */
    for (int i = 0; i < 50; i++) {
        workers_check();  /* finds nothing queued: held lanes are not in the pool yet */
        sleep_us(1000);
    }
    int ran_while_held = 0;
    for (int i = 0; i < 3; i++)
        ran_while_held += atomic_load(&s[i].runs);
    CHECK(ran_while_held == 0);
    workers_release();
    lanes3 a = {s, 3};
    CHECK(wait_for(all_ran, &a, 3000, 0));
    for (int i = 0; i < 3; i++)
        CHECK(atomic_load(&s[i].runs) == 1);
    CHECK(atomic_load(&other.runs) == 1);
    /* Release with nothing held is harmless; ready after release is not held. */
    workers_hold();
    workers_release();
    workers_ready(&s[0].l);
    int64_t deadline = now_ns() + 3000000000LL;
    while (atomic_load(&s[0].runs) < 2 && now_ns() < deadline)
        sleep_us(1000);
    CHECK(atomic_load(&s[0].runs) == 2);
}

/* Two workers both inside a 300 ms callback: a third, quick lane still runs
 * promptly, because workers_check (every 1 ms, as the loop) adds a worker. */
static void test_blocking_lane_gets_help(void)
{
    workers_start(2);
    CHECK(workers_count() == 2);
    static simple_lane sleeper[2], quick;
    memset(sleeper, 0, sizeof sleeper);
    memset(&quick, 0, sizeof quick);
    for (int i = 0; i < 2; i++) {
        sleeper[i].l.run = simple_run;
        sleeper[i].sleep_ms = 300;
    }
    quick.l.run = simple_run;
    workers_ready(&sleeper[0].l);
    workers_ready(&sleeper[1].l);
    lanes3 a = {sleeper, 2};
    CHECK(wait_for(all_ran, &a, 250, 0));  /* both workers are now stuck */
    int64_t t0 = now_ns();
    workers_ready(&quick.l);
    int ran = wait_for(simple_ran, &quick, 2000, 1);
    CHECK(ran);
    int64_t latency = atomic_load(&quick.first_run_ns) - t0;
    CHECK(ran && latency < 100000000);  /* < 100 ms */
    CHECK(ran && !atomic_load(&sleeper[0].finished) && !atomic_load(&sleeper[1].finished));
    CHECK(workers_count() > 2);
    if (!ran || latency >= 100000000)
        fprintf(stderr, "quick lane: ran=%d latency=%lld us, %zu workers\n", ran,
                (long long)(latency / 1000), workers_count());
    /* the sleepers finish before the pool stops (none is left detached) */
    CHECK(wait_for(simple_finished, &sleeper[0], 3000, 0));
    CHECK(wait_for(simple_finished, &sleeper[1], 3000, 0));
}

/* One worker inside a 300 ms callback with nothing queued: after 20 ms the
 * loop's checks replace it, exactly once, so the pool again has as many
 * workers free of slow callbacks as it started with. */
static void test_stuck_worker_replaced(void)
{
    workers_start(2);
    CHECK(workers_count() == 2);
    static simple_lane sleeper;
    memset(&sleeper, 0, sizeof sleeper);
    sleeper.l.run = simple_run;
    sleeper.sleep_ms = 300;
    workers_ready(&sleeper.l);
    lanes3 a = {&sleeper, 1};
    CHECK(wait_for(all_ran, &a, 250, 0));
    int64_t started = now_ns();
    workers_check();  /* just inside: not stuck yet (if this machine kept up) */
    if (now_ns() - started < 10000000)
        CHECK(workers_count() == 2);
    for (int i = 0; i < 60; i++) {
        workers_check();
        sleep_us(1000);
    }
    CHECK(workers_count() == 3);
    CHECK(!atomic_load(&sleeper.finished));
    CHECK(wait_for(simple_finished, &sleeper, 3000, 0));
}

/* ---- LANE_DONE: never run again, not even touched ---- */

static atomic_int done_runs, done_freed;

typedef struct done_lane {
    lane l;
    int runs;                 /* the lane's own: only run() touches it */
    int done_after;
} done_lane;

/* Returns LANE_MORE until its last run, then frees itself and returns
 * LANE_DONE: a worker that touched the lane afterwards would be a
 * use-after-free (ASan). */
static lane_result done_run(lane *l)
{
    done_lane *d = (done_lane *)((char *)l - offsetof(done_lane, l));
    atomic_fetch_add(&done_runs, 1);
    if (++d->runs < d->done_after)
        return LANE_MORE;
    memset(d, 0xA5, sizeof *d);  /* garbage `next`/`run` if anyone looks again */
    free(d);
    atomic_fetch_add(&done_freed, 1);
    return LANE_DONE;
}

static int done_all_freed(void *arg) { return atomic_load(&done_freed) == *(int *)arg; }

static void test_done_lanes_never_run_again(void)
{
    enum { LANES = 8 };
    atomic_store(&done_runs, 0);
    atomic_store(&done_freed, 0);
    int expect_runs = 0;
    for (int i = 0; i < LANES; i++) {
        done_lane *d = calloc(1, sizeof *d);
        d->l.run = done_run;
        d->done_after = 1 + i % 4;  /* DONE at once, or after some LANE_MORE */
        expect_runs += d->done_after;
        workers_ready(&d->l);
    }
    int lanes = LANES;
    CHECK(wait_for(done_all_freed, &lanes, 3000, 1));
    for (int i = 0; i < 50; i++) {  /* nothing comes back */
        workers_check();
        sleep_us(1000);
    }
    CHECK(atomic_load(&done_runs) == expect_runs);
    CHECK(atomic_load(&done_freed) == LANES);
}

int main(void)
{
    workers_start(4);
    CHECK(workers_count() == 4);
    workers_start(2);  /* idempotent: never shrinks */
    CHECK(workers_count() == 4);
    test_items_once_and_never_overlapping();
    test_hold_release();
    test_done_lanes_never_run_again();
    workers_stop();
    CHECK(workers_count() == 0);
    test_blocking_lane_gets_help();  /* restarts the pool with exactly 2 */
    workers_stop();
    CHECK(workers_count() == 0);
    test_stuck_worker_replaced();    /* again exactly 2 */
    workers_stop();
    CHECK(workers_count() == 0);
    return CHECK_DONE();
}
