/* workers.c — see workers.h. */
#include "workers.h"
#include "log.h"
#include "util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

/* Ready lanes wait while every awake worker has been inside one lane this
 * long: wake a sleeping worker to help. Waking one per hand-over instead
 * would cost a wake-up per pass for work one worker does in microseconds. */
#define HELP_NS 200000
/* ... this long, and none sleeps: a callback blocks; add a worker. */
#define STUCK_NS 2000000
/* A worker inside one lane this long is replaced whatever the queue holds:
 * longer than any scheduler slice a preempted worker could be waiting out. */
#define REPLACE_NS 20000000

typedef struct worker {
    pthread_t thread;
    _Atomic int64_t busy_since;   /* mono ns when it entered a lane, 0 = not in one */
} worker;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t work;
    lane *head, *tail;
    _Atomic size_t queued;
    unsigned idle;                /* workers waiting for work */
    unsigned wakes_pending;       /* signals sent that no worker has taken yet */
    int stopping;
    unsigned base;                /* workers asked for at start */
    _Atomic size_t n;
    worker w[WORKERS_MAX];
} P = {.lock = PTHREAD_MUTEX_INITIALIZER, .work = PTHREAD_COND_INITIALIZER};

/* Lock held. One signal per idle worker at most: more would wake nobody.
 * Returns whether the caller must signal, which it does after unlocking:
 * a worker woken while the lock is still held would only go back to sleep
 * on the lock (two context switches instead of one). */
static int wake_one_locked(void)
{
    if (P.idle <= P.wakes_pending)
        return 0;
    P.wakes_pending++;
    return 1;
}

static void unlock_and_wake(int wake)
{
    pthread_mutex_unlock(&P.lock);
    if (wake)
        pthread_cond_signal(&P.work);
}

static void append(lane **head, lane **tail, lane *l)
{
    l->next = NULL;
    if (*tail)
        (*tail)->next = l;
    else
        *head = l;
    *tail = l;
}

static void enqueue_locked(lane *l)
{
    append(&P.head, &P.tail, l);
    atomic_fetch_add(&P.queued, 1);
}

static lane *dequeue_locked(void)
{
    lane *l = P.head;
    P.head = l->next;
    if (!P.head)
        P.tail = NULL;
    atomic_fetch_sub(&P.queued, 1);
    return l;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    pthread_mutex_lock(&P.lock);
    for (;;) {
        while (!P.head && !P.stopping) {
            P.idle++;
            pthread_cond_wait(&P.work, &P.lock);
            P.idle--;
            if (P.wakes_pending)
                P.wakes_pending--;
        }
        if (P.stopping)
            break;
        lane *l = dequeue_locked();
        /* set under the lock, so workers_stop sees who is inside a lane */
        atomic_store(&w->busy_since, util_mono_ns());
        pthread_mutex_unlock(&P.lock);
        lane_result r = l->run(l);
        pthread_mutex_lock(&P.lock);
        atomic_store(&w->busy_since, 0);
        if (r == LANE_MORE)
            enqueue_locked(l);
    }
    pthread_mutex_unlock(&P.lock);
    return NULL;
}

/* Lock held. */
static int spawn_locked(void)
{
    size_t i = atomic_load(&P.n);
    if (i >= WORKERS_MAX)
        return -1;
    atomic_store(&P.w[i].busy_since, 0);
    if (pthread_create(&P.w[i].thread, NULL, worker_main, &P.w[i]) != 0)
        return -1;
    atomic_store(&P.n, i + 1);
    return 0;
}

void workers_start(unsigned n)
{
    if (!n) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        n = cpus < 2 ? 2 : cpus > 8 ? 8 : (unsigned)cpus;
    }
    pthread_mutex_lock(&P.lock);
    P.stopping = 0;
    if (n > P.base)
        P.base = n;
    while (atomic_load(&P.n) < n && spawn_locked() == 0)
        ;
    pthread_mutex_unlock(&P.lock);
}

/* Lanes made ready while the calling thread holds (workers_hold): queued
 * together by workers_release, under one lock round trip. */
static _Thread_local struct {
    int on;
    lane *head, *tail;
} held;

void workers_hold(void) { held.on = 1; }

void workers_release(void)
{
    held.on = 0;
    if (!held.head)
        return;
    pthread_mutex_lock(&P.lock);
    unsigned n = 0;
    for (lane *l = held.head, *next; l; l = next) {
        next = l->next;
        enqueue_locked(l);
        n++;
    }
    /* Four or more lanes at once: a second worker halves the wait of the
     * last one in line, for one more wake-up. */
    int wakes = wake_one_locked();
    if (n >= 4)
        wakes += wake_one_locked();
    pthread_mutex_unlock(&P.lock);
    while (wakes--)
        pthread_cond_signal(&P.work);
    held.head = held.tail = NULL;
}

void workers_ready(lane *l)
{
    if (!atomic_load(&P.n))
        workers_start(0);
    if (held.on) {
        append(&held.head, &held.tail, l);
        return;
    }
    pthread_mutex_lock(&P.lock);
    enqueue_locked(l);
    unlock_and_wake(wake_one_locked());
}

/* A worker inside one lane for over REPLACE_NS is lost to the others: keep
 * `base` workers that are not, so a plugin that blocks leaves the rest the
 * capacity they had (one new worker per check, as each one proves stuck). */
static void replace_stuck(int64_t now)
{
    size_t n = atomic_load(&P.n), stuck = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t since = atomic_load(&P.w[i].busy_since);
        stuck += since && now - since > REPLACE_NS;
    }
    if (!stuck || n - stuck >= P.base)
        return;
    pthread_mutex_lock(&P.lock);
    if (!P.stopping && spawn_locked() == 0)
        log_debug("workers: %zu inside callbacks running over 20 ms; now %zu workers", stuck,
                  atomic_load(&P.n));
    pthread_mutex_unlock(&P.lock);
}

void workers_check(void)
{
    int64_t now = util_mono_ns(), shortest = INT64_MAX;
    replace_stuck(now);
    if (!atomic_load(&P.queued))
        return;
    unsigned busy = 0;
    pthread_mutex_lock(&P.lock);
    size_t n = atomic_load(&P.n);
    for (size_t i = 0; i < n; i++) {
        int64_t since = atomic_load(&P.w[i].busy_since);
        if (!since)
            continue;
        busy++;
        if (now - since < shortest)
            shortest = now - since;
    }
    /* Help is due only when every worker is either asleep or inside a lane
     * (none is about to take the next one) and those inside have been there
     * a while. A worker already signalled counts as coming. */
    int wake = 0;
    if (P.head && busy && busy + P.idle == n && shortest >= HELP_NS) {
        wake = wake_one_locked();
        if (!wake && !P.idle && shortest >= STUCK_NS && spawn_locked() == 0)
            log_debug("workers: every worker is inside a slow callback; now %zu workers", atomic_load(&P.n));
    }
    unlock_and_wake(wake);
}

size_t workers_count(void) { return atomic_load(&P.n); }

void workers_stop(void)
{
    size_t n = atomic_load(&P.n);
    int busy[WORKERS_MAX];
    pthread_mutex_lock(&P.lock);
    P.stopping = 1;
    for (size_t i = 0; i < n; i++)
        busy[i] = atomic_load(&P.w[i].busy_since) != 0;
    pthread_cond_broadcast(&P.work);
    pthread_mutex_unlock(&P.lock);
    /* A worker outside any lane now never enters one again: join it. One
     * inside a callback that never returns must not hold up the exit. */
    for (size_t i = 0; i < n; i++) {
        if (busy[i])
            pthread_detach(P.w[i].thread);
        else
            pthread_join(P.w[i].thread, NULL);
    }
    atomic_store(&P.n, 0);
    P.base = 0;
}
