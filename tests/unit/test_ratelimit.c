/* GCRA limiters: driven by a random, greedy sender for a simulated hour,
 * the per-connection budget never exceeds 5 in any 1 s nor 100 in any 60 s,
 * and it is not needlessly slow (sustained rate close to 1/s). */
#include "check.h"
#include "ratelimit.h"

#include <stdlib.h>

#define S 1000000000LL
#define MAXN 8000

static int64_t sent[MAXN];

static int max_in_window(int n, int64_t window)
{
    int best = 0, j = 0;
    for (int i = 0; i < n; i++) {
        while (sent[i] - sent[j] >= window)
            j++;
        if (i - j + 1 > best)
            best = i - j + 1;
    }
    return best;
}

int main(void)
{
    ratelimit r;
    ratelimit_init(&r);
    srand(42);
    int64_t now = 0;
    int n = 0;
    /* A sender that wants to send at random moments and sends as soon as allowed. */
    while (now < 3600 * S && n < MAXN) {
        now += (int64_t)(rand() % 400) * 1000000;
        int64_t w = ratelimit_wait_ns(&r, now);
        if (w)
            now += w;
        CHECK(ratelimit_wait_ns(&r, now) == 0);
        ratelimit_note(&r, now);
        sent[n++] = now;
    }
    int per_sec = max_in_window(n, S), per_min = max_in_window(n, 60 * S);
    fprintf(stderr, "sent %d in %.0f s; max %d in 1 s, %d in 60 s\n", n, (double)now / S, per_sec, per_min);
    CHECK(per_sec <= 5);
    CHECK(per_min <= 100);
    CHECK(n > 3300);  /* sustained ≈ 1/s: the limiter does not over-throttle */

    /* A burst: the first 5 go within 1 s, the 6th waits. */
    ratelimit_init(&r);
    now = 10 * S;
    for (int i = 0; i < 5; i++) {
        int64_t w = ratelimit_wait_ns(&r, now);
        now += w;
        ratelimit_note(&r, now);
    }
    CHECK(now - 10 * S < S);
    CHECK(ratelimit_wait_ns(&r, now) > 0);

    /* Connect limiter: 5 per second, tokens reported. */
    gcra g;
    gcra_init(&g, 200000000, 1);
    CHECK(gcra_tokens(&g, 5 * S) == 1);
    gcra_note(&g, 5 * S);
    CHECK(gcra_tokens(&g, 5 * S) == 0);
    CHECK(gcra_wait_ns(&g, 5 * S) == 200000000);
    gcra minute;
    gcra_init(&minute, S, 40);
    CHECK(gcra_tokens(&minute, 100 * S) == 40);
    return CHECK_DONE();
}
