/*
 * ratelimit.h — Upbit's per-connection message budget, fail-closed.
 *
 * Upbit allows 5 client messages per second and 100 per minute on each
 * connection. We keep the send times of the last 100 messages and answer
 * "how long until the next one is allowed" exactly; the caller waits, it
 * never sends early. Thread: loop only.
 */
#ifndef UPWS_RATELIMIT_H
#define UPWS_RATELIMIT_H

#include <stdint.h>

#define RATELIMIT_PER_SEC 5
#define RATELIMIT_PER_MIN 100

typedef struct ratelimit {
    int64_t sent[RATELIMIT_PER_MIN];  /* monotonic ns, ring */
    unsigned pos, n;
    uint64_t waits;                   /* times a send had to wait */
} ratelimit;

/* 0 when a message may go now, else nanoseconds to wait. */
int64_t ratelimit_wait_ns(const ratelimit *r, int64_t now);
void ratelimit_note(ratelimit *r, int64_t now);

#endif
