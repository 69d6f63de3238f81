/*
 * workers.h — the threads that run plugin callbacks.
 *
 * Every plugin instance is a `lane`: work that must run one piece at a
 * time, in order. A small pool of worker threads (one per CPU) takes ready
 * lanes from one run queue and runs a batch of each. A lane is on the run
 * queue or in a worker at most once (its inbox's idle flag sees to that),
 * so an instance's callbacks never overlap and each one happens after the
 * previous one (the queue's lock orders them): plugins still need no lock
 * for their own state.
 *
 * Why not a thread per instance, as before: with ten plugins every burst
 * of frames woke ten threads, each wake-up costing ≈ 12 µs of CPU on a
 * small VM, which was most of the host's CPU at a steady rate; one or two
 * workers run the same callbacks after one or two wake-ups.
 *
 * A hand-over wakes one worker (two when four or more lanes became ready
 * at once): one worker runs ten plugins' callbacks for a burst in
 * microseconds, and every extra wake-up costs more than that. A callback
 * that blocks must not hold the others up: when ready lanes wait while
 * every awake worker has been inside one lane for over 200 µs, the loop
 * (workers_check, once per pass) wakes a sleeping worker; when none sleeps
 * and they have been inside for over 2 ms, it adds one. And a worker inside
 * one lane for over 20 ms is replaced: the pool keeps as many workers free
 * of slow lanes as it started with. Up to WORKERS_MAX. The pool does not
 * shrink; extra workers sleep.
 *
 * Ownership: lanes are owned by their users (embedded in the instance); a
 * lane whose run() returned LANE_DONE is never touched again by a worker.
 * Thread: workers_ready from any thread; the rest from the loop.
 */
#ifndef UPWS_WORKERS_H
#define UPWS_WORKERS_H

#include <stddef.h>

#define WORKERS_MAX 64

typedef enum {
    LANE_IDLE,   /* nothing left; someone calls workers_ready when there is */
    LANE_MORE,   /* more work: back to the end of the run queue (fairness) */
    LANE_DONE    /* finished for good */
} lane_result;

typedef struct lane {
    struct lane *next;               /* run queue link */
    lane_result (*run)(struct lane *l);
} lane;

/* Starts the pool (n = 0: one per online CPU, at least 2). Idempotent. */
void workers_start(unsigned n);
void workers_ready(lane *l);
/* Between hold and release, lanes this thread makes ready are queued
 * together at release, with one wake-up: the loop's hand-overs after a
 * pass of frames (router_flush) cost one lock round trip, not one each. */
void workers_hold(void);
void workers_release(void);
/* Adds a worker when ready lanes wait behind workers stuck in callbacks. */
void workers_check(void);
size_t workers_count(void);
/* Stops and joins the workers; lanes still queued are not run (every
 * instance has stopped by then, unless the host gave up waiting). A worker
 * still inside a callback is left running: the process is exiting without
 * unloading that plugin. */
void workers_stop(void);

#endif
