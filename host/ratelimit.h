/*
 * ratelimit.h — GCRA (generic cell rate algorithm) limiters, fail-closed.
 *
 * A limiter allows one event every `interval` with a burst of `burst`
 * events; it answers "how long until the next one is allowed" and the
 * caller waits, it never sends early. GCRA lets burst + W/interval events
 * through in any window of length W, so Upbit's limits are met exactly by:
 *   5 messages per 1 s:   interval 200 ms, burst 1  → ≤ 5 in any 1 s
 *   100 messages per 60 s: interval 1 s,   burst 40 → ≤ 40 + 60 = 100 in any 60 s
 *   5 connects per 1 s:   interval 200 ms, burst 1  → ≤ 5 in any 1 s
 * (a burst of 40 requests at 5/s, then one per second sustained).
 * Thread: loop only.
 */
#ifndef UPWS_RATELIMIT_H
#define UPWS_RATELIMIT_H

#include <stdint.h>

typedef struct gcra {
    int64_t interval_ns;
    int64_t tolerance_ns;   /* (burst - 1) × interval */
    int64_t tat;            /* theoretical arrival time of the next event */
} gcra;

/* The per-connection message budget: both limits must allow a send. */
typedef struct ratelimit {
    gcra per_sec, per_min;
    uint64_t waits;         /* times a send had to wait */
} ratelimit;

void gcra_init(gcra *g, int64_t interval_ns, unsigned burst);
/* 0 when an event may happen now, else nanoseconds to wait. */
int64_t gcra_wait_ns(const gcra *g, int64_t now);
void gcra_note(gcra *g, int64_t now);
/* Events still allowed right now without waiting. */
unsigned gcra_tokens(const gcra *g, int64_t now);

void ratelimit_init(ratelimit *r);
int64_t ratelimit_wait_ns(const ratelimit *r, int64_t now);
void ratelimit_note(ratelimit *r, int64_t now);

#endif
