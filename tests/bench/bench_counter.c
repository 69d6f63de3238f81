/*
 * bench_counter — the benchmark's plugin: counts events and records the
 * latency from frame receipt (ev->recv_time_ns, stamped by the host when
 * the frame arrived) to this callback, in a log-linear histogram.
 *
 * Config: out (result file, written at stop), types, codes, delivery
 * (default | lossless | latest), sleep_ms (per callback: the slow plugin).
 * Result file (rewritten every second and at stop), one line of key=value pairs:
 *   events= first_ns= last_ns= p50_ns= p99_ns= p999_ns= max_ns= dropped=
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "upws/plugin.h"

/* Buckets: values below 64 ns exactly; above, 32 sub-buckets per power of
 * two (≤ 3 % error), up to 2^40 ns (18 min). */
#define SUB_BITS 5
#define DIRECT (1 << (SUB_BITS + 1))
#define N_BUCKETS (DIRECT + ((40 - SUB_BITS - 1) << SUB_BITS))

typedef struct counter {
    const upws_host_api *api;
    upws_ctx *ctx;
    char out[512];
    int64_t sleep_ms;
    unsigned long long events, dropped;
    long long first_ns, last_ns, max_ns;
    unsigned long long hist[N_BUCKETS];
} counter;

static long long wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int bucket_of(unsigned long long v)
{
    if (v < DIRECT)
        return (int)v;
    int msb = 63 - __builtin_clzll(v);
    int sub = (int)((v >> (msb - SUB_BITS)) & ((1u << SUB_BITS) - 1));
    int b = DIRECT + ((msb - SUB_BITS - 1) << SUB_BITS) + sub;
    return b < N_BUCKETS ? b : N_BUCKETS - 1;
}

/* The upper edge of a bucket (what a percentile reports). */
static unsigned long long bucket_top(int b)
{
    if (b < DIRECT)
        return (unsigned long long)b;
    int k = b - DIRECT, msb = (k >> SUB_BITS) + SUB_BITS + 1;
    unsigned long long sub = (unsigned long long)(k & ((1 << SUB_BITS) - 1));
    return (((1ULL << SUB_BITS) + sub + 1) << (msb - SUB_BITS)) - 1;
}

static unsigned long long percentile(const counter *c, double q)
{
    unsigned long long want = (unsigned long long)((double)c->events * q), seen = 0;
    for (int b = 0; b < N_BUCKETS; b++) {
        seen += c->hist[b];
        if (seen > want)
            return bucket_top(b);
    }
    return 0;
}

static void on_event(void *self, const upws_event *ev)
{
    counter *c = self;
    long long now = wall_ns(), lat = now - ev->recv_time_ns;
    if (!c->events)
        c->first_ns = now;
    c->last_ns = now;
    c->events++;
    c->hist[bucket_of(lat > 0 ? (unsigned long long)lat : 0)]++;
    if (lat > c->max_ns)
        c->max_ns = lat;
    if (c->sleep_ms) {
        struct timespec ts = {(time_t)(c->sleep_ms / 1000), (long)(c->sleep_ms % 1000) * 1000000};
        nanosleep(&ts, NULL);
    }
}

static void on_status(void *self, const upws_status *st)
{
    counter *c = self;
    if (st->kind == UPWS_STATUS_DROPPED)
        c->dropped += st->count;
}

static void dump(void *self, int64_t timer_id);

static upws_delivery parse_delivery(const char *s)
{
    if (s && strcmp(s, "lossless") == 0)
        return UPWS_DELIVERY_LOSSLESS;
    if (s && strcmp(s, "latest") == 0)
        return UPWS_DELIVERY_LATEST;
    return UPWS_DELIVERY_DEFAULT;
}

static int init(upws_ctx *ctx, const upws_host_api *api, void **self)
{
    const char *out, *delivery = NULL;
    const char *const *types, *const *codes;
    size_t nt, nc;
    if (api->config_str(ctx, "out", &out) || api->config_list(ctx, "types", &types, &nt) ||
        api->config_list(ctx, "codes", &codes, &nc)) {
        api->log(ctx, UPWS_LOG_ERROR, "config needs out, types and codes");
        return -1;
    }
    counter *c = calloc(1, sizeof *c);
    if (!c)
        return -1;
    c->api = api;
    c->ctx = ctx;
    snprintf(c->out, sizeof c->out, "%s", out);
    api->config_int(ctx, "sleep_ms", &c->sleep_ms);
    api->config_str(ctx, "delivery", &delivery);
    for (size_t i = 0; i < nt; i++) {
        upws_want w = {.struct_size = sizeof w, .type = types[i], .codes = codes, .n_codes = nc,
                       .delivery = parse_delivery(delivery)};
        if (api->subscribe(ctx, &w) < 0) {
            free(c);
            return -1;
        }
    }
    api->timer_add(ctx, 1000, 1000, dump);
    *self = c;
    return 0;
}

/* Written every second and at stop: a host stopped the hard way (a slow
 * plugin keeps it past its stop deadline) still leaves the figures. */
static void dump(void *self, int64_t timer_id)
{
    (void)timer_id;
    counter *c = self;
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", c->out);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return;
    fprintf(f, "events=%llu first_ns=%lld last_ns=%lld p50_ns=%llu p99_ns=%llu p999_ns=%llu "
            "max_ns=%lld dropped=%llu\n", c->events, c->first_ns, c->last_ns, percentile(c, 0.5),
            percentile(c, 0.99), percentile(c, 0.999), c->max_ns, c->dropped);
    if (fclose(f) == 0)
        rename(tmp, c->out);
}

static void stop(void *self)
{
    dump(self, 0);
    free(self);
}

static const char *const keys[] = {"out", "types", "codes", "delivery", "sleep_ms", NULL};
UPWS_PLUGIN = {.struct_size = sizeof(upws_plugin), .abi_major = UPWS_ABI_MAJOR,
               .abi_minor = UPWS_ABI_MINOR, .name = "bench_counter", .version = "1",
               .description = "counts events and measures frame-to-callback latency (benchmark)",
               .config_keys = keys, .init = init, .on_event = on_event, .on_status = on_status,
               .stop = stop};
