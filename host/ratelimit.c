/* ratelimit.c — see ratelimit.h. */
#include "ratelimit.h"

#define MS 1000000LL
/* A little slack so our clock and Upbit's never disagree at the edge. */
#define SLACK_NS (10 * MS)

void gcra_init(gcra *g, int64_t interval_ns, unsigned burst)
{
    g->interval_ns = interval_ns;
    g->tolerance_ns = (int64_t)(burst ? burst - 1 : 0) * interval_ns;
    g->tat = 0;
}

int64_t gcra_wait_ns(const gcra *g, int64_t now)
{
    int64_t allowed_at = g->tat - g->tolerance_ns;
    return allowed_at > now ? allowed_at - now : 0;
}

void gcra_note(gcra *g, int64_t now)
{
    int64_t base = g->tat > now ? g->tat : now;
    g->tat = base + g->interval_ns;
}

unsigned gcra_tokens(const gcra *g, int64_t now)
{
    int64_t room = now - (g->tat - g->tolerance_ns - g->interval_ns);
    if (room <= 0)
        return 0;
    int64_t n = room / g->interval_ns;
    int64_t burst = g->tolerance_ns / g->interval_ns + 1;
    return (unsigned)(n > burst ? burst : n);
}

void ratelimit_init(ratelimit *r)
{
    gcra_init(&r->per_sec, 200 * MS + SLACK_NS, 1);
    gcra_init(&r->per_min, 1000 * MS + SLACK_NS, 40);
    r->waits = 0;
}

int64_t ratelimit_wait_ns(const ratelimit *r, int64_t now)
{
    int64_t a = gcra_wait_ns(&r->per_sec, now), b = gcra_wait_ns(&r->per_min, now);
    return a > b ? a : b;
}

void ratelimit_note(ratelimit *r, int64_t now)
{
    gcra_note(&r->per_sec, now);
    gcra_note(&r->per_min, now);
}
