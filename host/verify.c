/* verify.c — see verify.h. */
#include "verify.h"
#include "instance.h"
#include "log.h"
#include "registry.h"
#include "router.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

/* Upbit answers a bad request with an error frame within milliseconds and
 * closes the socket ~150 ms later; silence this long means accepted. */
#define VERIFY_AFTER_US 1500000
#define ERROR_CLOSE_WINDOW_NS 2000000000LL

static struct {
    struct lws_context *lws;
    int (*conn_up)(void);
    void (*plan_soon)(void);
    lws_sorted_usec_list_t sul;
    int verifying;                /* a request with unverified wants is out */
    int blind_errors;             /* consecutive errors no new want explains */
    decode_info last_error;       /* the error frame awaiting the close that confirms it */
    int64_t last_error_ns;        /* monotonic; 0 = none pending */
} V;

void verify_init(struct lws_context *lws, int (*conn_up)(void), void (*plan_soon)(void))
{
    memset(&V, 0, sizeof V);
    V.lws = lws;
    V.conn_up = conn_up;
    V.plan_soon = plan_soon;
}

void verify_shutdown(void)
{
    if (V.lws)
        lws_sul_cancel(&V.sul);
}

static void verify_cb(lws_sorted_usec_list_t *sul);

static int any_suspended(void)
{
    for (sub *s = registry_first(); s; s = s->next)
        if (s->suspended)
            return 1;
    return 0;
}

/* Wants not yet seen accepted go out with this request: if Upbit answers
 * with an error frame, they are the suspects. */
void verify_request_sent(void)
{
    int any = 0;
    for (sub *s = registry_first(); s; s = s->next) {
        if (s->suspended || s->verified)
            continue;
        s->in_flight = 1;
        any = 1;
    }
    V.verifying = any;
    if (any || any_suspended())
        lws_sul_schedule(V.lws, 0, &V.sul, verify_cb, VERIFY_AFTER_US);
}

/* Holds back every suspect; they come back one request at a time. */
static size_t suspend_suspects(int all)
{
    size_t n = 0;
    for (sub *s = registry_first(); s; s = s->next) {
        if (s->suspended || (!all && !s->in_flight))
            continue;
        registry_suspend(s);
        n++;
    }
    return n;
}

/* No error came: what was sent is accepted. Then re-admit one held-back
 * want; the next check comes with the request that carries it (or after
 * the same delay when its streams were already wanted and nothing is sent). */
static void verify_cb(lws_sorted_usec_list_t *sul)
{
    (void)sul;
    if (!V.conn_up())
        return;
    if (V.verifying) {
        V.verifying = 0;
        V.blind_errors = 0;
        for (sub *s = registry_first(); s; s = s->next) {
            if (s->in_flight)
                s->verified = 1;
            s->in_flight = 0;
        }
    }
    for (sub *s = registry_first(); s; s = s->next) {
        if (!s->suspended)
            continue;
        registry_resume(s);
        if (!s->snapshot_id)
            router_on_subscribe(s);
        V.plan_soon();
        lws_sul_schedule(V.lws, 0, &V.sul, verify_cb, VERIFY_AFTER_US);
        return;
    }
}

static void reject_want(sub *s, const decode_info *info)
{
    char msg[512];
    snprintf(msg, sizeof msg, "Upbit rejected %s %s%s (%s): %s", s->type_name, s->codes[0].code,
             s->n_codes > 1 ? " …" : "", info->error_name, info->error_message);
    log_warn("%s; dropping that subscription of '%s'", msg, s->owner->name);
    instance_set_error(s->owner, "%s", msg);
    upws_status *st = inbox_status_new(UPWS_STATUS_UPSTREAM_ERROR, info->error_name, msg);
    st->sub_id = s->snapshot_id ? s->snapshot_id : s->id;
    instance_status(s->owner, st);
    instance_drop_id(s->owner, s->id);
    registry_remove(s);
}

/* Upbit names no culprit and closes the socket. One unverified want in the
 * last request: it is the culprit. Several: hold them all back and re-admit
 * them one request at a time, so the next error names exactly one. None:
 * if it happens twice in a row, hold back everything the same way, so a
 * bad want can never cause a reconnect loop. */
static void on_upstream_error(const decode_info *info)
{
    size_t n = 0;
    sub *only = NULL;
    for (sub *s = registry_first(); s; s = s->next)
        if (s->in_flight && !s->suspended)
            n++, only = s;
    V.verifying = 0;
    lws_sul_cancel(&V.sul);
    if (n == 1) {
        reject_want(only, info);
        return;
    }
    if (n > 1) {
        log_warn("Upbit error %s (%s) after a request with %zu new wants; re-admitting them one by one",
                 info->error_name, info->error_message, suspend_suspects(0));
        return;
    }
    if (++V.blind_errors >= 2)
        log_warn("Upbit error %s (%s) again with no new want; re-admitting all %zu wants one by one",
                 info->error_name, info->error_message, suspend_suspects(1));
}


void verify_error_frame(const decode_info *info)
{
    V.last_error = *info;
    V.last_error_ns = util_mono_ns();
}

void verify_socket_closed(int by_peer)
{
    if (V.last_error_ns && by_peer && util_mono_ns() - V.last_error_ns < ERROR_CLOSE_WINDOW_NS)
        on_upstream_error(&V.last_error);
    V.last_error_ns = 0;
}
