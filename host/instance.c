/* instance.c — see instance.h. */
#include "instance.h"
#include "cmdq.h"
#include "decode.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define INBOX_CAPACITY 16384
#define INSTANCE_BATCH 32   /* items taken from the inbox per lock round trip */
#define INSTANCE_ROUNDS 4   /* batches per turn on a worker before others get theirs */

static atomic_llong next_id = 1;
static atomic_int private_on;    /* API keys are configured */

const double instance_cb_bounds[INSTANCE_CB_BUCKETS] = {1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10};

void instance_set_error(instance *inst, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&inst->lock);
    vsnprintf(inst->last_error, sizeof inst->last_error, fmt, ap);
    inst->last_error_ns = util_wall_ns();
    pthread_mutex_unlock(&inst->lock);
    va_end(ap);
}

/* Every callback is timed (on its worker) for the admin histogram. */
static void note_duration(instance *inst, int64_t ns)
{
    atomic_fetch_add(&inst->cb_count, 1);
    atomic_fetch_add(&inst->cb_sum_ns, (uint64_t)ns);
    for (int i = 0; i < INSTANCE_CB_BUCKETS; i++) {
        if ((double)ns <= instance_cb_bounds[i] * 1e9) {
            atomic_fetch_add(&inst->cb_buckets[i], 1);
            return;
        }
    }
}

/* ---- cnode copies (the instance outlives the config it came from) ---- */

static void cnode_copy(cnode *dst, const cnode *src)
{
    *dst = *src;
    dst->key = src->key ? xstrdup(src->key) : NULL;
    dst->scalar = src->scalar ? xstrdup(src->scalar) : NULL;
    dst->items = src->n_items ? xcalloc(src->n_items, sizeof *dst->items) : NULL;
    for (size_t i = 0; i < src->n_items; i++)
        cnode_copy(&dst->items[i], &src->items[i]);
}

static void cnode_release(cnode *n)
{
    for (size_t i = 0; i < n->n_items; i++)
        cnode_release(&n->items[i]);
    free(n->items);
    free(n->key);
    free(n->scalar);
}

/* ---- id bookkeeping, shared by proxy calls from any thread ---- */

static void ids_add(instance *inst, int64_t id)
{
    if (inst->n_ids == inst->cap_ids) {
        inst->cap_ids = inst->cap_ids ? inst->cap_ids * 2 : 16;
        inst->ids = xrealloc(inst->ids, inst->cap_ids * sizeof *inst->ids);
    }
    inst->ids[inst->n_ids++] = id;
}

static int ids_remove(instance *inst, int64_t id)
{
    for (size_t i = 0; i < inst->n_ids; i++) {
        if (inst->ids[i] != id)
            continue;
        inst->ids[i] = inst->ids[--inst->n_ids];
        return 1;
    }
    return 0;
}

int instance_has_id(instance *inst, int64_t id)
{
    pthread_mutex_lock(&inst->lock);
    int found = 0;
    for (size_t i = 0; i < inst->n_ids && !found; i++)
        found = inst->ids[i] == id;
    pthread_mutex_unlock(&inst->lock);
    return found;
}

void instance_drop_id(instance *inst, int64_t id)
{
    pthread_mutex_lock(&inst->lock);
    ids_remove(inst, id);
    pthread_mutex_unlock(&inst->lock);
}

/* Registers a new id unless the proxy is closed; returns the id or UPWS_ECLOSED. */
static int64_t proxy_new_id(instance *inst)
{
    pthread_mutex_lock(&inst->lock);
    if (inst->closed) {
        pthread_mutex_unlock(&inst->lock);
        return UPWS_ECLOSED;
    }
    int64_t id = atomic_fetch_add(&next_id, 1);
    ids_add(inst, id);
    pthread_mutex_unlock(&inst->lock);
    return id;
}

/* ---- the host API table ---- */

static void api_log(upws_ctx *ctx, upws_log_level level, const char *fmt, ...)
{
    if (!ctx || !fmt)
        return;
    instance *inst = ctx->inst;
    upws_log_level threshold = inst->log_level >= 0 ? (upws_log_level)inst->log_level : log_get_level();
    va_list ap;
    va_start(ap, fmt);
    if (level == UPWS_LOG_ERROR) {
        va_list copy;
        va_copy(copy, ap);
        char msg[256];
        vsnprintf(msg, sizeof msg, fmt, copy);
        va_end(copy);
        instance_set_error(inst, "%s", msg);
    }
    log_vmsg_at(level, threshold, inst->name, fmt, ap);
    va_end(ap);
}

static int valid_code(const char *c)
{
    size_t n = c ? strlen(c) : 0;
    if (n < 3 || n > 23 || !strchr(c, '-'))
        return 0;
    return strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") == n;
}

static int check_codes(instance *inst, const upws_want *w)
{
    for (size_t i = 0; i < w->n_codes; i++) {
        if (!valid_code(w->codes[i])) {
            api_log(&inst->ctx, UPWS_LOG_ERROR, "subscribe %s: bad market code '%s' "
                    "(upper-case QUOTE-BASE, no suffix)", w->type, w->codes[i] ? w->codes[i] : "(null)");
            return UPWS_EINVAL;
        }
    }
    return UPWS_OK;
}

/* myOrder: every market (no codes) or chosen ones; myAsset: never codes
 * (Upbit answers WRONG_FORMAT). Both only with keys, and realtime only. */
static int check_private_want(instance *inst, const upws_want *w, upws_type t, int snapshot)
{
    if (!atomic_load(&private_on)) {
        api_log(&inst->ctx, UPWS_LOG_WARN, "subscribe: private type '%s' needs API keys "
                "(upbit.access_key / upbit.secret_key)", w->type);
        return UPWS_ENOTSUP;
    }
    if (snapshot) {
        api_log(&inst->ctx, UPWS_LOG_ERROR, "snapshot: '%s' is realtime only (Upbit sends no snapshot); "
                "ask the REST API instead", w->type);
        return UPWS_ENOTSUP;
    }
    if (w->n_codes > 4096 || (w->n_codes && !w->codes) || (t == UPWS_TYPE_MYASSET && w->n_codes)) {
        api_log(&inst->ctx, UPWS_LOG_ERROR, "subscribe %s: %s", w->type,
                t == UPWS_TYPE_MYASSET ? "takes no codes" : "needs 0 (every market) to 4096 codes");
        return UPWS_EINVAL;
    }
    return check_codes(inst, w);
}

static int check_want(instance *inst, const upws_want *w, int snapshot)
{
    if (!w || w->struct_size < offsetof(upws_want, delivery) + sizeof w->delivery || !w->type) {
        api_log(&inst->ctx, UPWS_LOG_ERROR, "subscribe: want is NULL or struct_size too small");
        return UPWS_EINVAL;
    }
    upws_type t = decode_type(w->type);
    if (t == UPWS_TYPE_MYORDER || t == UPWS_TYPE_MYASSET)
        return check_private_want(inst, w, t, snapshot);
    if (t == UPWS_TYPE_UNKNOWN) {
        api_log(&inst->ctx, UPWS_LOG_ERROR, "subscribe: unknown type '%s'", w->type);
        return UPWS_EINVAL;
    }
    if (!w->codes || w->n_codes == 0 || w->n_codes > 4096) {
        api_log(&inst->ctx, UPWS_LOG_ERROR, "subscribe %s: needs 1..4096 codes", w->type);
        return UPWS_EINVAL;
    }
    if (check_codes(inst, w) != UPWS_OK)
        return UPWS_EINVAL;
    if (w->depth && w->depth != 1 && w->depth != 5 && w->depth != 15 && w->depth != 30) {
        api_log(&inst->ctx, UPWS_LOG_ERROR, "subscribe %s: depth must be 1, 5, 15 or 30", w->type);
        return UPWS_EINVAL;
    }
    if (w->level < 0 || w->level != w->level || w->level > 1e15) {
        api_log(&inst->ctx, UPWS_LOG_ERROR, "subscribe %s: bad level", w->type);
        return UPWS_EINVAL;
    }
    return UPWS_OK;
}

static cmd *cmd_from_want(cmd_kind kind, instance *inst, int64_t id, const upws_want *w)
{
    cmd *c = xcalloc(1, sizeof *c);
    c->kind = kind;
    c->inst = inst;
    c->id = id;
    snprintf(c->type_name, sizeof c->type_name, "%s", w->type);
    /* A private want without codes is the stream of every market: "*". */
    c->n_codes = w->n_codes ? w->n_codes : 1;
    c->codes = xcalloc(c->n_codes, sizeof *c->codes);
    for (size_t i = 0; i < c->n_codes; i++)
        c->codes[i] = xstrdup(w->n_codes ? w->codes[i] : "*");
    c->depth = w->depth;
    c->level = w->level;
    c->delivery = w->delivery;
    return c;
}

static int64_t want_call(upws_ctx *ctx, const upws_want *w, cmd_kind kind)
{
    if (!ctx)
        return UPWS_EINVAL;
    instance *inst = ctx->inst;
    int rc = check_want(inst, w, kind == CMD_SNAPSHOT);
    if (rc != UPWS_OK)
        return rc;
    int64_t id = proxy_new_id(inst);
    if (id < 0)
        return id;
    cmdq_push(cmd_from_want(kind, inst, id, w));
    return id;
}

static int64_t api_subscribe(upws_ctx *ctx, const upws_want *w) { return want_call(ctx, w, CMD_SUBSCRIBE); }
static int64_t api_snapshot(upws_ctx *ctx, const upws_want *w) { return want_call(ctx, w, CMD_SNAPSHOT); }

static int id_call(upws_ctx *ctx, int64_t id, cmd_kind kind)
{
    if (!ctx)
        return UPWS_EINVAL;
    instance *inst = ctx->inst;
    pthread_mutex_lock(&inst->lock);
    int found = !inst->closed && ids_remove(inst, id);
    pthread_mutex_unlock(&inst->lock);
    if (!found)
        return UPWS_ENOENT;
    cmd *c = xcalloc(1, sizeof *c);
    c->kind = kind;
    c->inst = inst;
    c->id = id;
    cmdq_push(c);
    return UPWS_OK;
}

static int api_unsubscribe(upws_ctx *ctx, int64_t id) { return id_call(ctx, id, CMD_UNSUBSCRIBE); }
static int api_timer_cancel(upws_ctx *ctx, int64_t id) { return id_call(ctx, id, CMD_TIMER_CANCEL); }

static int64_t api_timer_add(upws_ctx *ctx, uint32_t after_ms, uint32_t every_ms, upws_timer_fn fn)
{
    if (!ctx || !fn)
        return UPWS_EINVAL;
    int64_t id = proxy_new_id(ctx->inst);
    if (id < 0)
        return id;
    cmd *c = xcalloc(1, sizeof *c);
    c->kind = CMD_TIMER_ADD;
    c->inst = ctx->inst;
    c->id = id;
    c->after_ms = after_ms;
    c->every_ms = every_ms;
    c->fn = fn;
    cmdq_push(c);
    return id;
}

static int config_scalar(upws_ctx *ctx, const char *key, const char **out)
{
    if (!ctx || !key)
        return UPWS_EINVAL;
    const cnode *n = cnode_get(&ctx->inst->config, key);
    if (!n)
        return UPWS_ENOENT;
    if (n->kind != CNODE_SCALAR || !n->scalar)
        return UPWS_ETYPE;
    *out = n->scalar;
    return UPWS_OK;
}

static int api_config_str(upws_ctx *ctx, const char *key, const char **out)
{
    return config_scalar(ctx, key, out);
}

static int api_config_int(upws_ctx *ctx, const char *key, int64_t *out)
{
    const char *s;
    int rc = config_scalar(ctx, key, &s);
    if (rc)
        return rc;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end)
        return UPWS_ETYPE;
    *out = v;
    return UPWS_OK;
}

static int api_config_double(upws_ctx *ctx, const char *key, double *out)
{
    const char *s;
    int rc = config_scalar(ctx, key, &s);
    if (rc)
        return rc;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end)
        return UPWS_ETYPE;
    *out = v;
    return UPWS_OK;
}

static int api_config_bool(upws_ctx *ctx, const char *key, int *out)
{
    const char *s;
    int rc = config_scalar(ctx, key, &s);
    if (rc)
        return rc;
    static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0)
            return *out = 1, UPWS_OK;
        if (strcasecmp(s, no[i]) == 0)
            return *out = 0, UPWS_OK;
    }
    return UPWS_ETYPE;
}

/* Lists are built once per key and kept until the instance is freed, so the
 * pointers handed out stay valid for the plugin's lifetime. */
static int api_config_list(upws_ctx *ctx, const char *key, const char *const **items, size_t *n)
{
    if (!ctx || !key || !items || !n)
        return UPWS_EINVAL;
    instance *inst = ctx->inst;
    const cnode *node = cnode_get(&inst->config, key);
    if (!node)
        return UPWS_ENOENT;
    if (node->kind == CNODE_MAP)
        return UPWS_ETYPE;
    for (size_t i = 0; node->kind == CNODE_LIST && i < node->n_items; i++)
        if (node->items[i].kind != CNODE_SCALAR)
            return UPWS_ETYPE;
    pthread_mutex_lock(&inst->lock);
    struct list_cache *lc = NULL;
    for (size_t i = 0; i < inst->n_lists && !lc; i++)
        if (strcmp(inst->lists[i].key, key) == 0)
            lc = &inst->lists[i];
    if (!lc) {
        inst->lists = xrealloc(inst->lists, (inst->n_lists + 1) * sizeof *inst->lists);
        lc = &inst->lists[inst->n_lists++];
        lc->key = xstrdup(key);
        lc->n = node->kind == CNODE_LIST ? node->n_items : 1;
        lc->items = xcalloc(lc->n + 1, sizeof *lc->items);
        for (size_t i = 0; i < lc->n; i++)
            lc->items[i] = node->kind == CNODE_LIST ? node->items[i].scalar : node->scalar;
    }
    *items = lc->items;
    *n = lc->n;
    pthread_mutex_unlock(&inst->lock);
    return UPWS_OK;
}

static int api_private_available(upws_ctx *ctx)
{
    (void)ctx;
    return atomic_load(&private_on);
}

void instance_set_private_available(int on) { atomic_store(&private_on, on != 0); }

/* Exactly what Upbit's query_hash covers is sent, so the text must need no
 * percent-encoding: letters, digits and the few punctuation marks its
 * parameters use ("states[]=wait&states[]=watch", "markets=KRW-BTC,KRW-ETH"). */
static int rest_text_ok(const char *s, const char *extra)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || strchr(extra, *s)))
            return 0;
    return 1;
}

static int64_t api_rest_private_get(upws_ctx *ctx, const char *path, const char *query, upws_rest_fn fn)
{
    if (!ctx || !fn || !path)
        return UPWS_EINVAL;
    instance *inst = ctx->inst;
    if (!atomic_load(&private_on))
        return UPWS_ENOTSUP;
    if (strncmp(path, "/v1/", 4) != 0 || strlen(path) > 256 || !rest_text_ok(path, "/_-.") ||
        (query && (strlen(query) > 2048 || !rest_text_ok(query, "=&[]_-.,:")))) {
        api_log(ctx, UPWS_LOG_ERROR, "rest_private_get: path must be /v1/… and path and query must need "
                "no percent-encoding");
        return UPWS_EINVAL;
    }
    int64_t id = proxy_new_id(inst);
    if (id < 0)
        return id;
    cmd *c = xcalloc(1, sizeof *c);
    c->kind = CMD_REST;
    c->inst = inst;
    c->id = id;
    c->path = xstrdup(path);
    c->query = query && *query ? xstrdup(query) : NULL;
    c->rest_fn = fn;
    cmdq_push(c);
    return id;
}

/* One allocation the inbox frees as a whole: `pub` comes first. */
typedef struct rest_answer {
    upws_rest_reply pub;
    char remaining[96];
    char body[];
} rest_answer;

void instance_rest_reply(instance *inst, int64_t id, upws_rest_fn fn, int status, const char *body, size_t len,
                         const char *remaining)
{
    if (!body)
        len = 0;
    rest_answer *a = xcalloc(1, sizeof *a + len + 1);
    if (len)
        memcpy(a->body, body, len);
    a->pub = (upws_rest_reply){.struct_size = sizeof a->pub, .request_id = id, .http_status = status,
                               .body = a->body, .body_len = len, .remaining_sec = -1};
    if (remaining) {
        snprintf(a->remaining, sizeof a->remaining, "%s", remaining);
        a->pub.remaining_req = a->remaining;
        const char *sec = strstr(a->remaining, "sec=");
        a->pub.remaining_sec = sec ? atoi(sec + 4) : -1;
    }
    inbox_item it = {.kind = ITEM_REST, .id = id, .reply = &a->pub, .rest_fn = fn};
    inbox_push(&inst->in, &it);
}

static const char *api_instance_name(upws_ctx *ctx) { return ctx ? ctx->inst->name : NULL; }

static const char *api_strerror(int code)
{
    switch (code) {
    case UPWS_OK: return "ok";
    case UPWS_EINVAL: return "invalid argument";
    case UPWS_ENOMEM: return "out of memory";
    case UPWS_ECLOSED: return "instance is stopping";
    case UPWS_ENOENT: return "not found";
    case UPWS_ENOTSUP: return "not supported here";
    case UPWS_ETYPE: return "value has another type";
    default: return code > 0 ? "ok (id)" : "unknown error";
    }
}

static const upws_host_api host_api = {
    .struct_size = sizeof(upws_host_api),
    .abi_major = UPWS_ABI_MAJOR,
    .abi_minor = UPWS_ABI_MINOR,
    .log = api_log,
    .subscribe = api_subscribe,
    .unsubscribe = api_unsubscribe,
    .snapshot = api_snapshot,
    .timer_add = api_timer_add,
    .timer_cancel = api_timer_cancel,
    .config_str = api_config_str,
    .config_int = api_config_int,
    .config_double = api_config_double,
    .config_bool = api_config_bool,
    .config_list = api_config_list,
    .event_field = decode_field,
    .private_available = api_private_available,
    .instance_name = api_instance_name,
    .strerror = api_strerror,
    .rest_private_get = api_rest_private_get,
};

const upws_host_api *instance_api(void) { return &host_api; }

/* ---- the instance's turns on a worker ---- */

static void push_cmd(instance *inst, cmd_kind kind, int64_t value)
{
    cmd *c = xcalloc(1, sizeof *c);
    c->kind = kind;
    c->inst = inst;
    c->id = value;
    cmdq_push(c);
}

/* In the instance's lane, so save_state never races its own callbacks. */
static void save_state(instance *inst)
{
    cmd *c = xcalloc(1, sizeof *c);
    c->kind = CMD_STATE_SAVED;
    c->inst = inst;
    if (inst->desc->save_state && inst->desc->save_state(inst->self, &c->blob, &c->blob_len) != 0) {
        free(c->blob);
        c->blob = NULL;
    }
    if (!c->blob)
        c->blob_len = 0;
    cmdq_push(c);
}

static void restore_state(instance *inst)
{
    if (inst->handover && inst->desc->restore_state &&
        inst->desc->restore_state(inst->self, inst->handover, inst->handover_len) != 0)
        log_warn("plugin instance '%s': restore_state() refused the handed-over state", inst->name);
    free(inst->handover);
    inst->handover = NULL;
}

/* The view a plugin sees: the shared event, presented as SNAPSHOT when it
 * is the host's last value, trimmed to the subscriber's orderbook depth. */
static void run_event(instance *inst, const inbox_item *it)
{
    upws_event pub = it->ev->pub;
    upws_orderbook book;
    if (it->as_snapshot)
        pub.stream_type = UPWS_SNAPSHOT;
    pub.snapshot_id = it->id;
    if (pub.orderbook && it->max_units && pub.orderbook->n_units > it->max_units) {
        book = *pub.orderbook;
        book.n_units = it->max_units;
        pub.orderbook = &book;
    }
    inst->desc->on_event(inst->self, &pub);
}

static int run_item(instance *inst, inbox_item *it)
{
    int64_t t0 = util_mono_ns();
    switch (it->kind) {
    case ITEM_EVENT:
        run_event(inst, it);
        note_duration(inst, util_mono_ns() - t0);
        break;
    case ITEM_STATUS:
        if (inst->desc->on_status)
            inst->desc->on_status(inst->self, it->status);
        break;
    case ITEM_TIMER:
        if (!instance_has_id(inst, it->id))
            break;
        it->fn(inst->self, it->id);
        if (it->oneshot)
            instance_drop_id(inst, it->id);
        break;
    case ITEM_REST:
        if (!instance_has_id(inst, it->id))
            break;
        instance_drop_id(inst, it->id);
        it->rest_fn(inst->self, it->reply);
        break;
    case ITEM_SAVE:
        save_state(inst);
        break;
    case ITEM_STOP:
        return 0;
    }
    return 1;
}

/* A worker runs the instance: init() first, then a few batches of its
 * inbox (a busy plugin goes back to the end of the run queue after that,
 * so others get their turn), stop() when ITEM_STOP comes. */
static lane_result instance_run(lane *l)
{
    instance *inst = (instance *)((char *)l - offsetof(instance, lane));
    if (!inst->initialized) {
        inst->initialized = 1;
        int rc = inst->desc->init(&inst->ctx, &host_api, &inst->self);
        if (rc == 0)
            restore_state(inst);
        push_cmd(inst, CMD_INIT_DONE, rc);  /* after a failure the loop frees inst: hands off */
        if (rc != 0)
            return LANE_DONE;
    }
    inbox_item batch[INSTANCE_BATCH];
    for (int round = 0; round < INSTANCE_ROUNDS; round++) {
        size_t n = inbox_take_batch(&inst->in, batch, INSTANCE_BATCH);
        if (!n)
            return LANE_IDLE;
        int more = 1;
        for (size_t i = 0; i < n; i++) {
            if (more)
                more = run_item(inst, &batch[i]);  /* after ITEM_STOP the rest is only released */
            inbox_item_release(&batch[i]);
        }
        if (!more) {
            inst->desc->stop(inst->self);
            inst->self = NULL;
            push_cmd(inst, CMD_STOPPED, 0);  /* the loop frees inst: hands off */
            return LANE_DONE;
        }
    }
    return LANE_MORE;
}

static void instance_ready(void *arg)
{
    instance *inst = arg;
    workers_ready(&inst->lane);
}

/* ---- lifecycle (loop thread) ---- */

int instance_check_config(const upws_plugin *d, const cnode *cfg, const char *file,
                          size_t index, char *err, size_t errlen)
{
    if (!d->config_keys || cfg->kind != CNODE_MAP)
        return 0;
    for (size_t i = 0; i < cfg->n_items; i++) {
        const cnode *kv = &cfg->items[i];
        int known = 0;
        for (const char *const *k = d->config_keys; *k && !known; k++)
            known = strcmp(*k, kv->key) == 0;
        if (known)
            continue;
        char accepted[256] = "";
        for (const char *const *k = d->config_keys; *k; k++) {
            size_t used = strlen(accepted);
            snprintf(accepted + used, sizeof accepted - used, "%s%s", used ? ", " : "", *k);
        }
        snprintf(err, errlen, "%s:%d:%d: key 'plugins[%zu].config.%s': unknown key for plugin '%s' "
                 "(accepted: %s)", file, kv->line, kv->col, index, kv->key, d->name, accepted);
        return -1;
    }
    return 0;
}

instance *instance_start(const plugin_conf *pc, char *const *dirs, size_t n_dirs,
                         const char *file, size_t index, char *err, size_t errlen)
{
    return instance_start_with(pc, dirs, n_dirs, file, index, NULL, 0, err, errlen);
}

instance *instance_start_with(const plugin_conf *pc, char *const *dirs, size_t n_dirs, const char *file,
                              size_t index, void *state, size_t state_len, char *err, size_t errlen)
{
    char path[1024], why[768];
    if (loader_resolve(pc->plugin, dirs, n_dirs, path, sizeof path, why, sizeof why) != 0) {
        snprintf(err, errlen, "plugin instance '%s': %s", pc->name, why);
        free(state);
        return NULL;
    }
    loader_lib *lib = loader_open(path, why, sizeof why);
    if (!lib) {
        snprintf(err, errlen, "plugin instance '%s' (%s): %s", pc->name, path, why);
        free(state);
        return NULL;
    }
    if (instance_check_config(loader_desc(lib), &pc->config, file, index, err, errlen) != 0) {
        loader_close(lib);
        free(state);
        return NULL;
    }
    instance *inst = xcalloc(1, sizeof *inst);
    inst->name = xstrdup(pc->name);
    inst->plugin = xstrdup(pc->plugin);
    inst->lib = lib;
    inst->desc = loader_desc(lib);
    inst->ctx.inst = inst;
    cnode_copy(&inst->config, &pc->config);
    inst->config_json = cnode_to_json(&pc->config);
    if (!inst->config_json)
        inst->config_json = xstrdup("");
    inst->state = INST_STARTING;
    inst->started_ns = util_wall_ns();
    inst->log_level = pc->log_level ? log_parse_level(pc->log_level) : -1;
    inst->handover = state;
    inst->handover_len = state_len;
    pthread_mutex_init(&inst->lock, NULL);
    inbox_init(&inst->in, INBOX_CAPACITY);
    /* plugins[i].delivery replaces the per-type defaults (a want that names its policy keeps it) */
    inbox_set_delivery(&inst->in, pc->delivery);
    inbox_set_ready(&inst->in, instance_ready, inst);
    inst->lane.run = instance_run;
    workers_ready(&inst->lane);  /* its first turn runs init() */
    log_info("plugin instance '%s' loading %s (plugin %s %s, ABI %u.%u)", inst->name, path,
             inst->desc->name, inst->desc->version, inst->desc->abi_major, inst->desc->abi_minor);
    return inst;
}

static void close_proxy(instance *inst)
{
    pthread_mutex_lock(&inst->lock);
    inst->closed = 1;
    inst->n_ids = 0;
    pthread_mutex_unlock(&inst->lock);
}

void instance_save_begin(instance *inst)
{
    inbox_item it = {.kind = ITEM_SAVE};
    inbox_push(&inst->in, &it);
}

void instance_stop_begin(instance *inst)
{
    if (inst->state == INST_STOPPING || inst->state == INST_FAILED)
        return;
    close_proxy(inst);
    inst->state = INST_STOPPING;
    inbox_item it = {.kind = ITEM_STOP};
    inbox_push(&inst->in, &it);
}

void instance_free(instance *inst)
{
    close_proxy(inst);
    inbox_destroy(&inst->in);
    loader_close(inst->lib);
    cnode_release(&inst->config);
    for (size_t i = 0; i < inst->n_lists; i++) {
        free(inst->lists[i].key);
        free(inst->lists[i].items);
    }
    free(inst->lists);
    free(inst->ids);
    free(inst->handover);
    free(inst->config_json);
    pthread_mutex_destroy(&inst->lock);
    free(inst->name);
    free(inst->plugin);
    free(inst);
}

void instance_deliver(instance *inst, event *ev, int as_snapshot, uint32_t max_units,
                      int64_t snapshot_id)
{
    event_ref(ev);
    inbox_item it = {.kind = ITEM_EVENT, .ev = ev, .as_snapshot = (uint8_t)(as_snapshot != 0),
                     .max_units = (uint16_t)max_units, .id = snapshot_id};
    inbox_push(&inst->in, &it);
}

void instance_status(instance *inst, upws_status *st)
{
    inbox_item it = {.kind = ITEM_STATUS, .status = st};
    inbox_push(&inst->in, &it);
}

void instance_conn_status(instance *inst, upws_status_kind kind, int private_conn, int64_t since_ns,
                          int64_t until_ns, const char *name, const char *message)
{
    upws_status *st = inbox_status_new(kind, name, message);
    st->private_conn = private_conn;
    st->since_ns = since_ns;
    st->until_ns = until_ns;
    instance_status(inst, st);
}

void instance_timer_fire(instance *inst, int64_t timer_id, upws_timer_fn fn, int oneshot)
{
    inbox_item it = {.kind = ITEM_TIMER, .id = timer_id, .fn = fn, .oneshot = (uint8_t)(oneshot != 0)};
    inbox_push(&inst->in, &it);
}
