/* abi_probe_body.h — one test plugin, built four times against different
 * headers (see abi10_probe.c, abi11_probe.c, future_compat.c,
 * future_newer.c). Include it after the header, with PROBE_NAME and
 * PROBE_MINOR (the minor the descriptor declares) defined, and:
 *   PROBE_HAS_1_1       the header has the 1.1 save_state/restore_state;
 *   PROBE_HAS_1_2       the header has the 1.2 rest_private_get and event views;
 *   PROBE_KNOWS_FUTURE  the header is the test-only next minor.
 *
 * Config: out (file), codes (trade subscriptions). Lines written to `out`:
 *   INIT plugin=<M.m> host=<M.m> api_size=<n> desc_size=<n>
 *   REST_FN present | REST_FN absent  (1.2+ builds: UPWS_API_HAS(rest_private_get))
 *   NEW_FN absent | NEW_FN <x+1>      (next-minor builds: UPWS_API_HAS, then the call)
 *   EV_1_2 yes | EV_1_2 no            (1.2+ builds, first event: does ev->struct_size
 *                                      cover the 1.2 myorder/myasset pointers?)
 *   EVENT <code> <sequential_id>
 *   STOP
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct probe {
    upws_ctx *ctx;
    const upws_host_api *api;
    FILE *out;
    int seen_event;
} probe;

static void put(probe *p, const char *fmt, ...) UPWS_PRINTF(2, 3);
static void put(probe *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(p->out, fmt, ap);
    va_end(ap);
    fputc('\n', p->out);
    fflush(p->out);
}

#ifdef PROBE_HAS_1_1
/* 1.1 callbacks, set so that hosts can be seen reading them. Nothing to hand over. */
static int probe_save_state(void *self, void **blob, size_t *len)
{
    (void)self;
    *blob = NULL;
    *len = 0;
    return 1;
}

static int probe_restore_state(void *self, const void *blob, size_t len)
{
    (void)self;
    (void)blob;
    (void)len;
    return 0;
}
#endif

#ifdef PROBE_KNOWS_FUTURE
/* The point of UPWS_API_HAS: use a newer function when the host has it,
 * work without it otherwise. */
static void try_new_fn(probe *p)
{
    if (!UPWS_API_HAS(p->api, test_only_future_fn)) {
        put(p, "NEW_FN absent");
        return;
    }
    put(p, "NEW_FN %lld", (long long)p->api->test_only_future_fn(p->ctx, 41));
}

static void on_future_callback(void *self) { (void)self; }
#endif

static int probe_init(upws_ctx *ctx, const upws_host_api *api, void **self)
{
    const char *out;
    const char *const *codes;
    size_t n;
    if (api->config_str(ctx, "out", &out) != UPWS_OK || api->config_list(ctx, "codes", &codes, &n) != UPWS_OK) {
        api->log(ctx, UPWS_LOG_ERROR, "config keys 'out' and 'codes' are required");
        return -1;
    }
    probe *p = calloc(1, sizeof *p);
    if (!p || !(p->out = fopen(out, "a"))) {
        free(p);
        return -1;
    }
    p->ctx = ctx;
    p->api = api;
    put(p, "INIT plugin=%d.%d host=%u.%u api_size=%u desc_size=%zu", UPWS_ABI_MAJOR, PROBE_MINOR,
        api->abi_major, api->abi_minor, api->struct_size, sizeof(upws_plugin));
#ifdef PROBE_HAS_1_2
    put(p, "REST_FN %s", UPWS_API_HAS(api, rest_private_get) ? "present" : "absent");
#endif
#ifdef PROBE_KNOWS_FUTURE
    try_new_fn(p);
#endif
    upws_want w;
    memset(&w, 0, sizeof w);
    w.struct_size = sizeof w;
    w.type = "trade";
    w.codes = codes;
    w.n_codes = n;
    api->subscribe(ctx, &w);
    *self = p;
    return 0;
}

static void probe_on_event(void *self, const upws_event *ev)
{
    probe *p = self;
#ifdef PROBE_HAS_1_2
    /* What a plugin declaring an older minor does before reading a 1.2 field. */
    if (!p->seen_event)
        put(p, "EV_1_2 %s",
            ev->struct_size >= offsetof(upws_event, myasset) + sizeof ev->myasset ? "yes" : "no");
#endif
    p->seen_event = 1;
    if (ev->trade)
        put(p, "EVENT %s %lld", ev->code, (long long)ev->trade->sequential_id);
}

static void probe_stop(void *self)
{
    probe *p = self;
    put(p, "STOP");
    fclose(p->out);
    free(p);
}

static const char *const probe_keys[] = {"out", "codes", NULL};

UPWS_PLUGIN = {
    .struct_size = sizeof(upws_plugin),
    .abi_major = UPWS_ABI_MAJOR,
    .abi_minor = PROBE_MINOR,
    .name = PROBE_NAME,
    .version = "1",
    .description = "ABI test probe",
    .config_keys = probe_keys,
    .init = probe_init,
    .on_event = probe_on_event,
    .stop = probe_stop,
#ifdef PROBE_HAS_1_1
    .save_state = probe_save_state,
    .restore_state = probe_restore_state,
#endif
#ifdef PROBE_KNOWS_FUTURE
    .on_test_only_future = on_future_callback,
#endif
};
