/* private.c — see private.h. */
#include "private.h"
#include "auth.h"
#include "host.h"
#include "log.h"
#include "planner.h"
#include "registry.h"
#include "rest.h"
#include "util.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLAN_DEBOUNCE_US 20000

typedef struct rest_call {
    instance *inst;            /* NULL once the instance is gone */
    int64_t id;
    upws_rest_fn fn;
    struct rest_call *next;
} rest_call;

static struct {
    struct lws_context *lws;
    struct lws_vhost *vh;
    char *access_key, *secret_key;   /* owned; wiped on free */
    char *rest_url;
    conn *conn;
    planner plan;
    lws_sorted_usec_list_t sul_plan;
    int plan_scheduled;
    int was_up;                      /* a socket has been confirmed before */
    int confirmed;                   /* this socket is past INVALID_AUTH (see confirm) */
    lws_sorted_usec_list_t sul_confirm;
    int down_told;                   /* subscribers heard DOWN for this outage */
    int down_told_auth;              /* … naming INVALID_AUTH */
    int64_t down_since_ns;
    char down_reason[192];
    char *last_request;
    rest_call *calls;
    int stopping;
    private_counters counters;
} P;

conn *private_conn(void) { return P.conn; }
const char *private_last_request(void) { return P.last_request ? P.last_request : ""; }
const private_counters *private_get_counters(void) { return &P.counters; }

/* ------------------------------------------------------------ tokens */

static int bearer(char *out, size_t outlen, const char *query)
{
    if (outlen < 8)
        return -1;
    memcpy(out, "Bearer ", 7);
    return auth_jwt(P.access_key, P.secret_key, query, out + 7, outlen - 7);
}

/* conn_options.authorize: one fresh token per connect attempt. */
static int authorize(void *arg, char *out, size_t outlen)
{
    (void)arg;
    return bearer(out, outlen, NULL);
}

/* ------------------------------------------------------- status fan-out */


static void tell(upws_status_kind kind, int64_t since, int64_t until, const char *name, const char *msg)
{
    for (instance *i = host_instances(); i; i = i->next)
        if ((i->state == INST_RUNNING || i->state == INST_STARTING) && registry_owner_uses(i, 1))
            instance_conn_status(i, kind, 1, since, until, name, msg);
}

static const char *auth_name(void)
{
    return conn_auth_refused(P.conn) ? "INVALID_AUTH" : NULL;
}

/* Once per outage, and once more if the keys turn out to be refused
 * during it (the plugin may then stop trusting the private side). */
static void tell_down(void)
{
    int auth = conn_auth_refused(P.conn);
    if (P.down_told && (P.down_told_auth || !auth))
        return;
    P.down_told = 1;
    P.down_told_auth = auth;
    snprintf(P.down_reason, sizeof P.down_reason, "private connection down: %s", conn_down_reason(P.conn));
    tell(UPWS_STATUS_DOWN, P.down_since_ns, 0, auth_name(), P.down_reason);
}

void private_on_subscribe(instance *inst)
{
    if (!P.conn)
        return;
    if (P.confirmed)
        instance_conn_status(inst, UPWS_STATUS_UP, 1, util_wall_ns(), 0, NULL, "private connection up");
    else if (P.down_told)
        instance_conn_status(inst, UPWS_STATUS_DOWN, 1, P.down_since_ns, 0, auth_name(), P.down_reason);
}

/* --------------------------------------------------------------- planning */

static void plan_cb(lws_sorted_usec_list_t *sul);

void private_plan_soon(void)
{
    if (!P.conn || P.plan_scheduled || P.stopping)
        return;
    P.plan_scheduled = 1;
    lws_sul_schedule(P.lws, 0, &P.sul_plan, plan_cb, PLAN_DEBOUNCE_US);
}

static void replan_after(int64_t wait_ns)
{
    P.plan_scheduled = 1;
    lws_sul_schedule(P.lws, 0, &P.sul_plan, plan_cb, (lws_usec_t)(wait_ns / 1000 + 1));
}

/* Nobody wants private data: the socket goes (Upbit has no unsubscribe,
 * and an idle authenticated socket is one more thing to keep alive). */
static void close_unwanted(void)
{
    if (conn_stopped(P.conn))
        return;
    log_info("private: no plugin wants private data; closing the private connection");
    conn_stop(P.conn);
    planner_reset(&P.plan);
    lws_sul_cancel(&P.sul_confirm);
    P.was_up = 0;
    P.confirmed = 0;
    P.down_told = 0;
    P.down_told_auth = 0;
}

static void plan_cb(lws_sorted_usec_list_t *sul)
{
    (void)sul;
    P.plan_scheduled = 0;
    if (!planner_wanted(1)) {
        close_unwanted();
        return;
    }
    if (conn_stopped(P.conn)) {
        conn_start(P.conn);  /* on_up plans again */
        return;
    }
    if (!conn_ready(P.conn))
        return;
    int64_t wait = ratelimit_wait_ns(conn_ratelimit(P.conn), util_mono_ns());
    if (wait > 0) {
        conn_ratelimit(P.conn)->waits++;
        replan_after(wait);
        return;
    }
    char *req = planner_next(&P.plan);
    if (!req)
        return;
    P.plan.applied_gen = registry_generation();
    free(P.last_request);
    P.last_request = xstrdup(req);
    log_info("private: sending request #%llu (%zu bytes)", (unsigned long long)P.plan.requests, strlen(req));
    log_debug("private: request %s", req);
    conn_send(P.conn, req);
}

/* ------------------------------------------------------- connection hooks */

/* Upbit may accept the upgrade and only then send INVALID_AUTH (PROTOCOL
 * §3), so a socket counts as up for subscribers once it delivered data or
 * stayed open a second after our request, not when the upgrade succeeded:
 * refused keys must not make plugins flap between UP and DOWN. */
static void confirm(void)
{
    lws_sul_cancel(&P.sul_confirm);
    if (P.confirmed || conn_get_state(P.conn) != CONN_UP)
        return;
    P.confirmed = 1;
    int64_t now = util_wall_ns();
    if (P.was_up || P.down_told) {
        /* myOrder/myAsset have no snapshot: what changed meanwhile is
         * only in REST; the GAP tells subscribers to reconcile. */
        char msg[96];
        snprintf(msg, sizeof msg, "private connection restored after a %.1f s gap",
                 (double)(now - P.down_since_ns) / 1e9);
        tell(UPWS_STATUS_GAP, P.down_since_ns, now, NULL, msg);
    }
    P.was_up = 1;
    P.down_told = 0;
    P.down_told_auth = 0;
    tell(UPWS_STATUS_UP, now, 0, NULL, "private connection up");
}

static void confirm_cb(lws_sorted_usec_list_t *sul)
{
    (void)sul;
    confirm();
}

void private_on_data(void)
{
    if (P.conn && !P.confirmed)
        confirm();
}

static void on_up(conn *c, void *arg)
{
    (void)c, (void)arg;
    planner_reset(&P.plan);
    P.confirmed = 0;
    private_plan_soon();
}

/* Refused keys: the likely causes, said once; the retries back off
 * (conn.c) and the public socket never notices. */
static void note_auth_refused(void)
{
    if (!conn_auth_refused(P.conn))
        return;
    if (P.counters.auth_failures++ > 0)
        return;
    log_error("private: Upbit refused the API keys (%s): check upbit.access_key and upbit.secret_key, the "
              "key's allowed IP addresses and permissions (order-read for myOrder, asset-read for myAsset), "
              "and this machine's clock; retrying with backoff, public data unaffected",
              conn_down_reason(P.conn));
}

static void on_fail(conn *c, void *arg)
{
    (void)c, (void)arg;
    if (!P.down_told)
        P.down_since_ns = util_wall_ns();
    note_auth_refused();
    tell_down();
}

static void on_down(conn *c, void *arg)
{
    lws_sul_cancel(&P.sul_confirm);
    if (conn_stopped(P.conn))
        return;  /* closed on purpose: nobody is listening */
    if (!P.confirmed) {
        on_fail(c, arg);  /* never really up: one more failed attempt */
        return;
    }
    P.confirmed = 0;
    P.down_since_ns = util_wall_ns();
    note_auth_refused();
    tell_down();
}

static void on_sent(conn *c, void *arg)
{
    (void)c, (void)arg;
    if (!P.confirmed)
        lws_sul_schedule(P.lws, 0, &P.sul_confirm, confirm_cb, 1000000);
    private_plan_soon();
}

void private_on_error(const char *name, const char *message)
{
    if (!P.conn)
        return;
    if (strcmp(name, "INVALID_AUTH") == 0)
        conn_auth_failed(P.conn, "credentials refused (INVALID_AUTH)");
    else
        log_warn("private: Upbit error %s: %s", name, message);
}

/* ------------------------------------------------------------ signed REST */

static rest_call *call_take(rest_call *want)
{
    for (rest_call **pp = &P.calls; *pp; pp = &(*pp)->next) {
        if (*pp != want)
            continue;
        *pp = want->next;
        return want;
    }
    return NULL;
}

static void rest_done(int status, const char *body, size_t len, const char *remaining, void *arg)
{
    rest_call *rc = call_take(arg);
    if (!rc)
        return;
    if (status < 200 || status > 299)
        P.counters.rest_failed++;
    if (status == 401)
        log_debug("private: REST call refused with HTTP 401");
    if (rc->inst && !P.stopping)
        instance_rest_reply(rc->inst, rc->id, rc->fn, status, body, len, remaining);
    free(rc);
}

void private_rest_get(instance *inst, int64_t id, const char *path, const char *query, upws_rest_fn fn)
{
    char url_path[2400], token[AUTH_JWT_MAX + 8];
    snprintf(url_path, sizeof url_path, "%s%s%s", path, query ? "?" : "", query ? query : "");
    if (!P.conn || bearer(token, sizeof token, query) != 0) {
        instance_rest_reply(inst, id, fn, -1, "no API keys or signing failed", 29, NULL);
        return;
    }
    rest_call *rc = xcalloc(1, sizeof *rc);
    rc->inst = inst;
    rc->id = id;
    rc->fn = fn;
    rc->next = P.calls;
    P.calls = rc;
    P.counters.rest_calls++;
    if (rest_get(P.lws, P.vh, P.rest_url, url_path, token, rest_done, rc) != 0) {
        call_take(rc);
        free(rc);
        instance_rest_reply(inst, id, fn, -1, "cannot start the request (bad rest_url?)", 40, NULL);
    }
    OPENSSL_cleanse(token, sizeof token);
}

void private_forget(instance *inst)
{
    for (rest_call *rc = P.calls; rc; rc = rc->next)
        if (rc->inst == inst)
            rc->inst = NULL;
}

/* ------------------------------------------------------------- lifecycle */

int private_init(struct lws_context *lws, struct lws_vhost *vh, const config *cfg,
                 void (*on_frame)(conn *c, const char *buf, size_t len, void *arg), char *err, size_t errlen)
{
    memset(&P, 0, sizeof P);
    instance_set_private_available(0);
    if (!cfg->access_key || !cfg->secret_key)
        return 0;
    P.lws = lws;
    P.vh = vh;
    planner_init(&P.plan, 1);
    conn_hooks hooks = {on_up, on_down, on_frame, on_sent, on_fail};
    conn_options opt = {(unsigned)cfg->ping_interval, (unsigned)cfg->stall_timeout,
                        (unsigned)cfg->reconnect_max_ms, vh, authorize};
    P.conn = conn_new(lws, "private", cfg->private_url, &opt, &hooks, NULL, err, errlen);
    if (!P.conn)
        return -1;
    conn_stop(P.conn);  /* opens on the first private want */
    P.access_key = xstrdup(cfg->access_key);
    P.secret_key = xstrdup(cfg->secret_key);
    P.rest_url = xstrdup(cfg->rest_url ? cfg->rest_url : "https://api.upbit.com");
    instance_set_private_available(1);
    return 0;
}

void private_shutdown(void)
{
    P.stopping = 1;
    if (P.conn)
        conn_shutdown(P.conn);
    lws_sul_cancel(&P.sul_plan);
    lws_sul_cancel(&P.sul_confirm);
}

static void wipe(char **s)
{
    if (!*s)
        return;
    OPENSSL_cleanse(*s, strlen(*s));
    free(*s);
    *s = NULL;
}

void private_free(void)
{
    conn_free(P.conn);
    P.conn = NULL;
    planner_free(&P.plan);
    wipe(&P.access_key);
    wipe(&P.secret_key);
    free(P.rest_url);
    free(P.last_request);
    while (P.calls)
        free(call_take(P.calls));
    instance_set_private_available(0);
}
