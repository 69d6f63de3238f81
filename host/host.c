/* host.c — see host.h. */
#include "host.h"
#include "cmdq.h"
#include "config.h"
#include "conn.h"
#include "decode.h"
#include "instance.h"
#include "loader.h"
#include "admin.h"
#include "market_check.h"
#include "reload.h"
#include "rest.h"
#include "log.h"
#include "planner.h"
#include "private.h"
#include "registry.h"
#include "router.h"
#include "util.h"
#include "verify.h"
#include "workers.h"

#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PLAN_DEBOUNCE_US 20000     /* coalesce a burst of plugin changes into one request */
#define SNAPSHOT_TIMEOUT_NS 5000000000LL
#define STOP_DEADLINE_NS 10000000000LL

typedef struct host_timer {
    lws_sorted_usec_list_t sul;
    instance *inst;
    int64_t id;
    uint32_t every_ms;
    upws_timer_fn fn;
    struct host_timer *next;
} host_timer;

static struct {
    config cfg;
    struct lws_context *lws;
    struct lws_vhost *upstream;   /* client sockets (Upbit WebSocket and REST) */
    conn *pub;
    planner plan;
    instance *instances;          /* in start order */
    host_timer *timers;
    lws_sorted_usec_list_t sul_plan, sul_tick, sul_watch;
    host_counters counters;
    char *last_request;           /* full text of the last request sent */
    int want_list;                /* a LIST_SUBSCRIPTIONS is asked for */
    char *listed;                 /* its last `result` array */
    int64_t listed_ns;
    int plan_scheduled;
    int was_up;                   /* the public socket has been up before */
    int64_t down_since_ns;
    int64_t last_summary_ns;
    uint64_t last_summary_frames;
    int stopping;
    int64_t stop_deadline;
} H;

static volatile sig_atomic_t sig_stop, sig_reload;

/* ---------------------------------------------------------------- planning */

static void plan_cb(lws_sorted_usec_list_t *sul);

static void plan_soon(void)
{
    private_plan_soon();
    if (H.plan_scheduled || H.stopping)
        return;
    H.plan_scheduled = 1;
    lws_sul_schedule(H.lws, 0, &H.sul_plan, plan_cb, PLAN_DEBOUNCE_US);
}

static int public_up(void)
{
    return H.pub && conn_get_state(H.pub) == CONN_UP;
}

/* Builds the request only when it can go out now, so a change made while
 * we waited for the rate limiter is always in it (nothing is lost). */
static void plan_cb(lws_sorted_usec_list_t *sul)
{
    (void)sul;
    H.plan_scheduled = 0;
    if (!H.pub || !conn_ready(H.pub))
        return;  /* on_up / on_sent call plan_soon again */
    /* Checking codes against the market list first saves Upbit a request
     * full of codes it would silently ignore; never wait long for it. */
    if (market_check_waiting()) {
        H.plan_scheduled = 1;
        lws_sul_schedule(H.lws, 0, &H.sul_plan, plan_cb, 50000);
        return;
    }
    ratelimit *rl = conn_ratelimit(H.pub);
    int64_t wait = ratelimit_wait_ns(rl, util_mono_ns());
    if (wait > 0) {
        rl->waits++;
        H.plan_scheduled = 1;
        lws_sul_schedule(H.lws, 0, &H.sul_plan, plan_cb, (lws_usec_t)(wait / 1000 + 1));
        return;
    }
    char *req = planner_next(&H.plan);
    if (!req && H.want_list) {
        /* Same format as the streams: a LIST_SUBSCRIPTIONS resets the socket's format. */
        H.want_list = 0;
        size_t n = strlen(H.plan.ticket) + 96;
        req = xmalloc(n);
        snprintf(req, n, "[{\"ticket\":\"%s\"},{\"method\":\"LIST_SUBSCRIPTIONS\"},{\"format\":\"DEFAULT\"}]",
                 H.plan.ticket);
        log_info("public: asking Upbit which subscriptions it holds");
        conn_send(H.pub, req);
        return;
    }
    if (!req)
        return;
    H.plan.applied_gen = registry_generation();
    free(H.last_request);
    H.last_request = xstrdup(req);
    verify_request_sent();
    log_info("public: sending request #%llu (%zu bytes)", (unsigned long long)H.plan.requests, strlen(req));
    log_debug("public: request %s", req);
    conn_send(H.pub, req);
}

/* ----------------------------------------------------------- status fan-out */

static void tell_all(upws_status_kind kind, int64_t since, int64_t until, const char *msg)
{
    for (instance *i = H.instances; i; i = i->next) {
        if (i->state == INST_RUNNING && registry_owner_uses(i, 0))
            instance_conn_status(i, kind, 0, since, until, NULL, msg);
    }
}

/* ---------------------------------------------------------- connection hooks */

static void on_up(conn *c, void *arg)
{
    (void)c, (void)arg;
    planner_reset(&H.plan);  /* a new socket holds no subscription */
    if (H.was_up) {
        /* Fresh snapshots follow the restored request; every subscriber
         * gets one again, and hears about the gap first. */
        registry_reset_snapshots();
        int64_t now = util_wall_ns();
        char msg[96];
        snprintf(msg, sizeof msg, "public connection restored after a %.1f s gap",
                 (double)(now - H.down_since_ns) / 1e9);
        tell_all(UPWS_STATUS_GAP, H.down_since_ns, now, msg);
    }
    H.was_up = 1;
    tell_all(UPWS_STATUS_UP, util_wall_ns(), 0, "public connection up");
    plan_soon();
}

static void on_down(conn *c, void *arg)
{
    (void)arg;
    verify_socket_closed(conn_closed_by_peer(c));
    H.down_since_ns = util_wall_ns();
    char msg[192];
    snprintf(msg, sizeof msg, "public connection lost: %s", conn_down_reason(c));
    tell_all(UPWS_STATUS_DOWN, H.down_since_ns, 0, msg);
}

static void on_sent(conn *c, void *arg)
{
    (void)c, (void)arg;
    plan_soon();
}

static void route_sink(void *arg, event *ev)
{
    (void)arg;
    if ((unsigned)ev->pub.type < 8)
        H.counters.by_type[ev->pub.type]++;
    router_on_event(ev);
}

static void on_list(const decode_info *info)
{
    free(H.listed);
    H.listed = xmalloc(info->list_len + 1);
    memcpy(H.listed, info->list_json, info->list_len);
    H.listed[info->list_len] = 0;
    H.listed_ns = util_wall_ns();
    log_info("public: Upbit reports its subscriptions (%zu bytes)", info->list_len);
}

static void count_bad_frame(conn *c, const decode_info *info)
{
    H.counters.bad_frames++;
    if (H.counters.bad_frames <= 10 || H.counters.bad_frames % 1000 == 0)
        log_warn("%s: malformed frame skipped (%s; %llu so far)", conn_name(c),
                 info->why ? info->why : "?", (unsigned long long)H.counters.bad_frames);
}

static void on_private_frame(conn *c, decode_kind k, const decode_info *info)
{
    if (k == DECODE_ERROR) {
        H.counters.upstream_errors++;
        private_on_error(info->error_name, info->error_message);
    } else if (k == DECODE_DATA) {
        private_on_data();
    } else if (k == DECODE_BAD) {
        count_bad_frame(c, info);
    }
}

static void on_frame(conn *c, const char *buf, size_t len, void *arg)
{
    (void)arg;
    decode_info info;
    /* conn stamped the message's arrival just before calling us. */
    decode_kind k = decode_frame(buf, len, conn_get_stats(c)->last_rx_ns, route_sink, NULL, &info);
    if (c != H.pub) {
        on_private_frame(c, k, &info);
        return;
    }
    if (k == DECODE_ERROR) {
        H.counters.upstream_errors++;
        log_warn("public: Upbit error %s: %s", info.error_name, info.error_message);
        verify_error_frame(&info);
    } else if (k == DECODE_LIST) {
        on_list(&info);
    } else if (k == DECODE_BAD) {
        count_bad_frame(c, &info);
    }
}

/* ------------------------------------------------------------------ timers */

static void timer_cb(lws_sorted_usec_list_t *sul);

static host_timer *timer_take(instance *inst, int64_t id)
{
    for (host_timer **pp = &H.timers; *pp; pp = &(*pp)->next) {
        host_timer *t = *pp;
        if ((inst && t->inst != inst) || (id && t->id != id))
            continue;
        *pp = t->next;
        lws_sul_cancel(&t->sul);
        return t;
    }
    return NULL;
}

static void timer_cb(lws_sorted_usec_list_t *sul)
{
    host_timer *t = lws_container_of(sul, host_timer, sul);
    instance_timer_fire(t->inst, t->id, t->fn, t->every_ms == 0);
    if (t->every_ms) {
        lws_sul_schedule(H.lws, 0, &t->sul, timer_cb, (lws_usec_t)t->every_ms * 1000);
        return;
    }
    timer_take(t->inst, t->id);
    free(t);
}

static void timer_add(const cmd *c)
{
    host_timer *t = xcalloc(1, sizeof *t);
    t->inst = c->inst;
    t->id = c->id;
    t->every_ms = c->every_ms;
    t->fn = c->fn;
    t->next = H.timers;
    H.timers = t;
    lws_sul_schedule(H.lws, 0, &t->sul, timer_cb, (lws_usec_t)c->after_ms * 1000 + 1);
}

/* ------------------------------------------------------------- instances */

static void instances_append(instance *inst)
{
    instance **pp = &H.instances;
    while (*pp)
        pp = &(*pp)->next;
    inst->next = NULL;
    *pp = inst;
}

static void instances_unlink(instance *inst)
{
    for (instance **pp = &H.instances; *pp; pp = &(*pp)->next) {
        if (*pp == inst) {
            *pp = inst->next;
            return;
        }
    }
}

/* The unload sweep: whatever the plugin forgot, the host releases. */
static void sweep(instance *inst)
{
    size_t n = registry_remove_owner(inst);
    host_timer *t;
    while ((t = timer_take(inst, 0)))
        free(t);
    if (n)
        plan_soon();
}

static void instance_gone(instance *inst, const char *how)
{
    sweep(inst);
    instances_unlink(inst);
    log_info("plugin instance '%s' %s", inst->name, how);
    router_forget(inst);
    private_forget(inst);  /* never leave it on the list of owed wake-ups */
    instance_free(inst);
}

static int start_instance(const config *cfg, size_t index)
{
    char err[1024];
    const plugin_conf *pc = &cfg->plugins[index];
    instance *inst = instance_start(pc, cfg->plugin_dirs, cfg->n_plugin_dirs, cfg->path, index,
                                    err, sizeof err);
    if (!inst) {
        log_error("%s", err);
        return -1;
    }
    instances_append(inst);
    return 0;
}

/* The instance that answers to `name`: not one being replaced or stopping. */
static instance *find_instance(const char *name)
{
    for (instance *i = H.instances; i; i = i->next)
        if (strcmp(i->name, name) == 0 && !i->replaced_by && i->state != INST_STOPPING &&
            i->state != INST_FAILED)
            return i;
    return NULL;
}

static const plugin_conf *conf_of(const char *name, size_t *index)
{
    for (size_t i = 0; i < H.cfg.n_plugins; i++)
        if (strcmp(H.cfg.plugins[i].name, name) == 0)
            return *index = i, &H.cfg.plugins[i];
    return NULL;
}

static void watch_files(void)
{
    if (!H.cfg.reload_watch)
        return;
    reload_begin_set();
    reload_watch(H.cfg.path, 0);
    for (instance *i = H.instances; i; i = i->next)
        reload_watch(loader_path(i->lib), 1);
    reload_end_set();
}

/* ------------------------------------------------------------- hot reload */

/* Step 2: load the new build beside the old one. Its wants are registered
 * before the old instance's are released, so an unchanged union sends
 * Upbit nothing, and it gets its snapshots from the host's last values. */
static void swap_start(instance *old, void *blob, size_t len)
{
    size_t index = 0;
    const plugin_conf *pc = conf_of(old->name, &index);
    if (!pc || old->state != INST_RUNNING) {
        old->swapping = 0;
        free(blob);
        return;
    }
    char err[1024];
    instance *n = instance_start_with(pc, H.cfg.plugin_dirs, H.cfg.n_plugin_dirs, H.cfg.path, index, blob, len,
                                      err, sizeof err);
    if (!n) {
        old->swapping = 0;
        log_error("reload of plugin instance '%s' failed, the running version stays: %s", old->name, err);
        instance_set_error(old, "reload failed: %s", err);
        return;
    }
    n->replaces = old;
    old->replaced_by = n;
    instances_append(n);
}

/* Step 1: ask the running instance for its state (if it keeps any). */
static int swap_begin(instance *old)
{
    if (!old || old->swapping || old->state != INST_RUNNING || H.stopping)
        return -1;
    old->swapping = 1;
    if (old->desc->save_state)
        instance_save_begin(old);  /* CMD_STATE_SAVED continues */
    else
        swap_start(old, NULL, 0);
    return 0;
}

/* Step 3: the new build started (or not). Only now does the old one stop. */
static int swap_finish(instance *n, int rc)
{
    instance *old = n->replaces;
    if (!old)
        return 0;
    n->replaces = NULL;
    old->replaced_by = NULL;
    old->swapping = 0;
    if (rc != 0) {
        log_error("reload of plugin instance '%s' failed: the new build's init() returned %d; the running "
                  "version stays", n->name, rc);
        instance_set_error(old, "reload failed: init() returned %d", rc);
        return 1;
    }
    log_info("plugin instance '%s' reloaded: version %s -> %s (%s)", n->name, old->desc->version,
             n->desc->version, loader_path(n->lib));
    instance_stop_begin(old);
    return 0;
}

static void file_changed(const char *path, void *arg)
{
    (void)arg;
    if (strcmp(path, H.cfg.path) == 0) {
        log_info("reload: %s changed", path);
        sig_reload = 1;
        return;
    }
    for (instance *i = H.instances; i; i = i->next) {
        if (strcmp(loader_path(i->lib), path) != 0 || i->replaced_by || i->state != INST_RUNNING)
            continue;
        log_info("reload: %s changed; reloading plugin instance '%s'", path, i->name);
        swap_begin(i);
    }
}

static void watch_cb(lws_sorted_usec_list_t *sul)
{
    (void)sul;
    reload_poll(file_changed, NULL);
    lws_sul_schedule(H.lws, 0, &H.sul_watch, watch_cb, 50000);
}

int host_plugin_reload(const char *name)
{
    return swap_begin(find_instance(name));
}

/* ---------------------------------------------------------------- commands */

static int accepts_commands(const instance *inst)
{
    return inst->state == INST_STARTING || inst->state == INST_RUNNING;
}

static void apply_subscribe(cmd *c, int snapshot)
{
    if (!accepts_commands(c->inst))
        return;
    sub probe = {.id = snapshot ? 0 : c->id, .snapshot_id = snapshot ? c->id : 0, .owner = c->inst};
    snprintf(probe.type_name, sizeof probe.type_name, "%s", c->type_name);
    c->n_codes = market_check_filter(&probe, c->codes, c->n_codes);
    if (c->n_codes == 0) {
        instance_drop_id(c->inst, c->id);
        return;
    }
    sub *s = registry_add(c->inst, c->id, c->type_name, c->codes, c->n_codes, c->depth, c->level,
                          c->delivery, snapshot ? c->id : 0);
    if (!snapshot) {
        router_on_subscribe(s);
        if (streams_type_is_private(s->type_name))
            private_on_subscribe(c->inst);
        plan_soon();
        return;
    }
    s->deadline_ns = util_mono_ns() + SNAPSHOT_TIMEOUT_NS;
    if (router_on_snapshot(s)) {
        instance_drop_id(c->inst, c->id);
        registry_remove(s);
        return;
    }
    plan_soon();
}

static void apply_init_done(instance *inst, int rc)
{
    int was_swap = inst->replaces != NULL;
    if (swap_finish(inst, rc) && rc != 0) {
        inst->state = INST_FAILED;
        instance_gone(inst, "unloaded after a failed reload");
        return;
    }
    if (rc == 0) {
        inst->state = INST_RUNNING;
        if (!was_swap)
            log_info("plugin instance '%s' running", inst->name);
        watch_files();
        return;
    }
    inst->state = INST_FAILED;
    log_error("plugin instance '%s': init() refused to start (returned %d); see its log lines above",
              inst->name, rc);
    instance_gone(inst, "unloaded after failed init");
}

static void apply(cmd *c)
{
    sub *s;
    host_timer *t;
    switch (c->kind) {
    case CMD_SUBSCRIBE:
        apply_subscribe(c, 0);
        break;
    case CMD_SNAPSHOT:
        apply_subscribe(c, 1);
        break;
    case CMD_UNSUBSCRIBE:
        if ((s = registry_find(c->inst, c->id))) {
            registry_remove(s);
            plan_soon();
        }
        break;
    case CMD_TIMER_ADD:
        if (accepts_commands(c->inst))
            timer_add(c);
        break;
    case CMD_TIMER_CANCEL:
        if ((t = timer_take(c->inst, c->id)))
            free(t);
        break;
    case CMD_INIT_DONE:
        apply_init_done(c->inst, (int)c->id);
        break;
    case CMD_STATE_SAVED:
        swap_start(c->inst, c->blob, c->blob_len);
        c->blob = NULL;  /* ownership moved */
        break;
    case CMD_REST:
        if (accepts_commands(c->inst))
            private_rest_get(c->inst, c->id, c->path, c->query, c->rest_fn);
        else
            instance_drop_id(c->inst, c->id);
        break;
    case CMD_STOPPED:
        if (c->inst->replaced_by)
            c->inst->replaced_by->replaces = NULL;
        instance_gone(c->inst, "stopped");
        break;
    }
}

static void drain_commands(void)
{
    cmd *c = cmdq_drain();
    while (c) {
        cmd *next = c->next;
        apply(c);
        cmd_free(c);
        c = next;
    }
}

/* --------------------------------------------------------- reload (SIGHUP) */

static int config_has_instance(const config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_plugins; i++)
        if (strcmp(cfg->plugins[i].name, name) == 0)
            return 1;
    return 0;
}

static int differs(const char *a, const char *b)
{
    return (a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0);
}

/* The sockets keep the settings they started with; say which changes wait
 * for a restart (by key name only: two of them are secrets). */
static void warn_upbit_changes(const config *old, const config *next)
{
    const char *changed[4];
    size_t n = 0;
    if (differs(old->public_url, next->public_url))
        changed[n++] = "upbit.public_url";
    if (differs(old->private_url, next->private_url))
        changed[n++] = "upbit.private_url";
    if (differs(old->access_key, next->access_key))
        changed[n++] = "upbit.access_key";
    if (differs(old->secret_key, next->secret_key))
        changed[n++] = "upbit.secret_key";
    for (size_t i = 0; i < n; i++)
        log_warn("reload: %s changed; it takes effect when upws restarts", changed[i]);
}

/* Validates the whole new file first; a bad one changes nothing. Then stops
 * instances that are gone and starts the new ones; the rest keep running. */
static void reload_config(void)
{
    config next;
    char err[1024];
    if (config_load(H.cfg.path, &next, err, sizeof err) != 0) {
        log_error("reload rejected, running set unchanged: %s", err);
        return;
    }
    log_info("reloading %s", H.cfg.path);
    for (size_t i = 0; i < next.n_warnings; i++)
        log_warn("%s", next.warnings[i]);
    warn_upbit_changes(&H.cfg, &next);
    /* Instances copy what they need, so the old config can go once the new
     * one is in place; swaps then read their config from the new one. */
    config old = H.cfg;
    H.cfg = next;
    market_check_set_url(H.cfg.rest_url);
    for (instance *i = H.instances; i; i = i->next)
        if (!config_has_instance(&H.cfg, i->name) && !i->replaces)
            instance_stop_begin(i);
    for (size_t i = 0; i < H.cfg.n_plugins; i++) {
        instance *cur = find_instance(H.cfg.plugins[i].name);
        if (!cur) {
            start_instance(&H.cfg, i);
            continue;
        }
        char *json = cnode_to_json(&H.cfg.plugins[i].config);
        if (!json || strcmp(json, cur->config_json) != 0 || strcmp(cur->plugin, H.cfg.plugins[i].plugin) != 0 ||
            cur->in.delivery != H.cfg.plugins[i].delivery) {
            log_info("plugin instance '%s' changed in the config; restarting it", cur->name);
            swap_begin(cur);
        }
        free(json);
    }
    config_free(&old);
    watch_files();
}

/* ----------------------------------------------------------- housekeeping */

static size_t count_running(void)
{
    size_t n = 0;
    for (instance *i = H.instances; i; i = i->next)
        n += i->state == INST_RUNNING;
    return n;
}

static void summary(int64_t now)
{
    const conn_stats *cs = conn_get_stats(H.pub);
    const router_stats *rs = router_get_stats();
    double secs = (double)(now - H.last_summary_ns) / 1e9;
    uint64_t dropped = 0;
    for (instance *i = H.instances; i; i = i->next)
        dropped += i->in.dropped;
    log_info("summary: public %s, frames %llu (%.0f/s), events %llu, dup trades %llu, streams %zu, "
             "subscriptions %zu, plugins %zu running, requests %llu, dropped %llu, bad frames %llu",
             conn_get_state(H.pub) == CONN_UP ? "up" : "down", (unsigned long long)cs->frames,
             secs > 0 ? (double)(cs->frames - H.last_summary_frames) / secs : 0.0,
             (unsigned long long)rs->routed, (unsigned long long)rs->duplicates, streams_count(),
             registry_count(), count_running(), (unsigned long long)cs->requests,
             (unsigned long long)dropped, (unsigned long long)H.counters.bad_frames);
    H.last_summary_ns = now;
    H.last_summary_frames = cs->frames;
}

static void tick_cb(lws_sorted_usec_list_t *sul)
{
    (void)sul;
    router_expire_snapshots(util_mono_ns());
    if (!H.stopping)
        market_check_tick();
    int64_t now = util_wall_ns();
    int every = H.cfg.summary_interval;
    if (every > 0 && now - H.last_summary_ns >= (int64_t)every * 1000000000)
        summary(now);
    log_flush_repeats();
    lws_sul_schedule(H.lws, 0, &H.sul_tick, tick_cb, 1000000);
}

/* ------------------------------------------------------- views for admin */

const host_counters *host_get_counters(void) { return &H.counters; }
const config *host_get_config(void) { return &H.cfg; }
conn *host_public_conn(void) { return H.pub; }
instance *host_instances(void) { return H.instances; }
const char *host_last_request(void) { return H.last_request ? H.last_request : ""; }

const planner *host_get_planner(void)
{
    H.plan.desired_gen = registry_generation();
    return &H.plan;
}

int host_list_subscriptions(void)
{
    if (!H.pub || conn_get_state(H.pub) != CONN_UP)
        return -1;
    H.want_list = 1;
    if (!H.plan_scheduled) {
        H.plan_scheduled = 1;
        lws_sul_schedule(H.lws, 0, &H.sul_plan, plan_cb, 1);
    }
    return 0;
}

const char *host_listed(int64_t *at_ns)
{
    if (at_ns)
        *at_ns = H.listed_ns;
    return H.listed;
}

void host_request_reload(void)
{
    sig_reload = 1;
}

/* ---------------------------------------------------------------- the loop */

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        sig_reload = 1;
    else
        sig_stop = 1;
    if (H.lws)
        lws_cancel_service(H.lws);
}

static void wake_loop(void *arg)
{
    (void)arg;
    if (H.lws)
        lws_cancel_service(H.lws);
}

static void lws_log_emit(int level, const char *line)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", line);
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = 0;
    log_msg(level == LLL_ERR ? UPWS_LOG_WARN : UPWS_LOG_DEBUG, "lws", "%s", buf);
}

static const struct lws_protocols host_protocols[] = {
    {"upws-upbit", conn_callback, 0, 0, 0, NULL, 0},
    {"upws-rest", rest_callback, 0, 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* One context, two vhosts: "upstream" for the client sockets, and the
 * admin HTTP server on admin.listen. Both are served by the same loop. */
static int create_context(void)
{
    lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_emit);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    info.pt_serv_buf_size = 65536;  /* REST replies (the market list) in 64 KiB reads */
    H.lws = lws_create_context(&info);
    if (!H.lws)
        return -1;
    memset(&info, 0, sizeof info);
    info.vhost_name = "upstream";
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = host_protocols;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    if (access("/etc/ssl/certs/ca-certificates.crt", R_OK) == 0)
        info.client_ssl_ca_filepath = "/etc/ssl/certs/ca-certificates.crt";
    H.upstream = lws_create_vhost(H.lws, &info);
    if (!H.upstream)
        return -1;
    admin_start(H.lws, H.cfg.admin_listen, H.cfg.admin_token);
    return 0;
}

static void begin_next_stop(void)
{
    instance *last = NULL;
    for (instance *i = H.instances; i; i = i->next)
        if (i->state != INST_STOPPING)
            last = i;
    if (last)
        instance_stop_begin(last);
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* Plugins stop one at a time, newest first; the loop keeps serving
 * commands meanwhile so stop() may still call the (closed) proxy. */
static int run_loop(void)
{
    while (H.instances || !H.stopping) {
        if (sig_stop && !H.stopping) {
            log_info("stopping: %zu plugin instance(s)", count_running());
            H.stopping = 1;
            H.stop_deadline = util_mono_ns() + STOP_DEADLINE_NS;
            conn_shutdown(H.pub);  /* a socket lost now is not retried */
            private_shutdown();
        }
        if (sig_reload && !H.stopping) {
            sig_reload = 0;
            reload_config();
        }
        if (H.stopping) {
            int busy = 0;
            for (instance *i = H.instances; i; i = i->next)
                busy |= i->state == INST_STOPPING || i->state == INST_STARTING;
            if (!busy)
                begin_next_stop();
            if (util_mono_ns() > H.stop_deadline) {
                log_error("plugins did not stop within %lld s; exiting without unloading them",
                          STOP_DEADLINE_NS / 1000000000);
                return 1;
            }
        }
        drain_commands();
        if (!H.instances && H.stopping)
            break;
        lws_service(H.lws, 0);
        router_flush();  /* one hand-over per plugin per pass, not per event */
        workers_check();
        drain_commands();
    }
    return 0;
}

static void teardown(void)
{
    host_timer *t;
    while ((t = timer_take(NULL, 0)))
        free(t);
    if (H.pub)
        conn_shutdown(H.pub);
    private_shutdown();
    lws_sul_cancel(&H.sul_plan);
    lws_sul_cancel(&H.sul_tick);
    verify_shutdown();
    lws_sul_cancel(&H.sul_watch);
    reload_shutdown();
    if (H.lws)
        lws_context_destroy(H.lws);
    H.lws = NULL;
    conn_free(H.pub);
    private_free();
    workers_stop();
    cmd *c = cmdq_drain();
    while (c) {
        cmd *next = c->next;
        cmd_free(c);
        c = next;
    }
    streams_clear();
    market_check_free();
    planner_free(&H.plan);
    free(H.last_request);
    free(H.listed);
    loader_shutdown();
    config_free(&H.cfg);
}

int host_run(const char *config_path)
{
    char err[1024];
    memset(&H, 0, sizeof H);
    if (config_load(config_path, &H.cfg, err, sizeof err) != 0) {
        log_error("%s", err);
        return 2;
    }
    log_set_level((upws_log_level)log_parse_level(H.cfg.log_level));
    log_set_json(strcmp(H.cfg.log_format, "json") == 0);
    for (size_t i = 0; i < H.cfg.n_warnings; i++)
        log_warn("%s", H.cfg.warnings[i]);
    H.counters.started_ns = util_wall_ns();
    install_signals();
    if (create_context() != 0) {
        log_error("cannot create the libwebsockets context");
        if (H.lws)
            lws_context_destroy(H.lws);
        config_free(&H.cfg);
        return 1;
    }
    planner_init(&H.plan, 0);
    workers_start(0);
    verify_init(H.lws, public_up, plan_soon);
    conn_set_wake(NULL);
    cmdq_set_waker(wake_loop, NULL);
    conn_hooks hooks = {on_up, on_down, on_frame, on_sent, NULL};
    conn_options opt = {(unsigned)H.cfg.ping_interval, (unsigned)H.cfg.stall_timeout,
                        (unsigned)H.cfg.reconnect_max_ms, H.upstream, NULL};
    H.pub = conn_new(H.lws, "public", H.cfg.public_url, &opt, &hooks, NULL, err, sizeof err);
    if (!H.pub) {
        log_error("%s: upbit.public_url: %s", H.cfg.path, err);
        teardown();
        return 2;
    }
    if (private_init(H.lws, H.upstream, &H.cfg, on_frame, err, sizeof err) != 0) {
        log_error("%s: upbit.private_url: %s", H.cfg.path, err);
        teardown();
        return 2;
    }
    log_info("upws %s starting: public %s, private %s, %zu plugin instance(s)", UPWS_VERSION, H.cfg.public_url,
             private_conn() ? "on demand (API keys configured)" : "off (no API keys)", H.cfg.n_plugins);
    for (size_t i = 0; i < H.cfg.n_plugins; i++)
        start_instance(&H.cfg, i);
    if (H.cfg.reload_watch && reload_init() == 0)
        lws_sul_schedule(H.lws, 0, &H.sul_watch, watch_cb, 50000);
    market_check_start(H.lws, H.upstream, H.cfg.rest_url, plan_soon);
    conn_start(H.pub);
    H.last_summary_ns = util_wall_ns();
    lws_sul_schedule(H.lws, 0, &H.sul_tick, tick_cb, 1000000);
    int rc = run_loop();
    log_info("stopped");
    cmdq_set_waker(NULL, NULL);
    if (rc == 0)
        teardown();
    return rc;
}
