/* abi_probe_body.h — one test plugin, built three times against different
 * headers (see abi10_probe.c, abi11_compat.c, abi11_newer.c). Include it
 * after the header, with PROBE_NAME and PROBE_MINOR defined, and
 * PROBE_KNOWS_1_1 when the header is the test-only 1.1.
 *
 * Config: out (file), codes (trade subscriptions). Lines written to `out`:
 *   INIT plugin=<M.m> host=<M.m> api_size=<n> desc_size=<n>
 *   NEW_FN absent | NEW_FN <x+1>      (1.1 builds: UPWS_API_HAS, then the call)
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

#ifdef PROBE_KNOWS_1_1
/* The point of UPWS_API_HAS: use a newer function when the host has it,
 * work without it otherwise. */
static void try_new_fn(probe *p)
{
    if (!UPWS_API_HAS(p->api, test_only_1_1_fn)) {
        put(p, "NEW_FN absent");
        return;
    }
    put(p, "NEW_FN %lld", (long long)p->api->test_only_1_1_fn(p->ctx, 41));
}

static void on_1_1_callback(void *self) { (void)self; }
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
#ifdef PROBE_KNOWS_1_1
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
#ifdef PROBE_KNOWS_1_1
    .on_test_only_1_1 = on_1_1_callback,
#endif
};
