/* ratelimit.c — see ratelimit.h. */
#include "ratelimit.h"

#define SEC_NS 1000000000LL
/* A little slack so our clock and Upbit's never disagree at the edge. */
#define SLACK_NS 20000000LL

/* Send time of the k-th most recent message (k = 1 is the newest). */
static int64_t nth_recent(const ratelimit *r, unsigned k)
{
    unsigned idx = (r->pos + RATELIMIT_PER_MIN - k) % RATELIMIT_PER_MIN;
    return r->sent[idx];
}

int64_t ratelimit_wait_ns(const ratelimit *r, int64_t now)
{
    int64_t wait = 0;
    if (r->n >= RATELIMIT_PER_SEC) {
        int64_t t = nth_recent(r, RATELIMIT_PER_SEC) + SEC_NS + SLACK_NS;
        if (t - now > wait)
            wait = t - now;
    }
    if (r->n >= RATELIMIT_PER_MIN) {
        int64_t t = nth_recent(r, RATELIMIT_PER_MIN) + 60 * SEC_NS + SLACK_NS;
        if (t - now > wait)
            wait = t - now;
    }
    return wait;
}

void ratelimit_note(ratelimit *r, int64_t now)
{
    r->sent[r->pos] = now;
    r->pos = (r->pos + 1) % RATELIMIT_PER_MIN;
    if (r->n < RATELIMIT_PER_MIN)
        r->n++;
}
