/* market_check.c — see market_check.h. */
#include "market_check.h"
#include "instance.h"
#include "log.h"
#include "markets.h"
#include "rest.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REFRESH_NS 600000000000LL
#define RETRY_NS 30000000000LL
#define FIRST_WAIT_NS 3000000000LL

static struct {
    struct lws_context *lws;
    struct lws_vhost *vh;
    char *rest_url;
    void (*changed)(void);
    int pending;          /* a request is out */
    int have_first;       /* the first request has answered (or failed) */
    int64_t started_ns, next_ns;   /* monotonic */
} M;

static void tell_unknown(sub *s, const char *code)
{
    char msg[128];
    snprintf(msg, sizeof msg, "unknown market code %s (not in the exchange's market list)", code);
    log_warn("plugin instance '%s': %s %s", s->owner->name, s->type_name, msg);
    upws_status *st = inbox_status_new(UPWS_STATUS_UNSERVED, NULL, msg);
    st->sub_id = s->snapshot_id ? s->snapshot_id : s->id;
    instance_status(s->owner, st);
}

/* "*" is the every-market stream of a private want, not a code. */
static int unlisted(const char *code)
{
    return strcmp(code, "*") != 0 && markets_known(code) == 0;
}

size_t market_check_filter(sub *probe, char **codes, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (unlisted(codes[i])) {
            tell_unknown(probe, codes[i]);
            free(codes[i]);
            continue;
        }
        codes[k++] = codes[i];
    }
    return k;
}

/* A want is rebuilt without its unlisted codes, keeping what each
 * subscriber has already been given. Returns 1 when it changed. */
static int recheck(sub *s)
{
    size_t unknown = 0;
    for (size_t i = 0; i < s->n_codes; i++)
        unknown += unlisted(s->codes[i].code);
    if (!unknown)
        return 0;
    char **codes = xcalloc(s->n_codes, sizeof *codes);
    uint8_t *got = xcalloc(s->n_codes, 1);
    size_t k = 0;
    for (size_t i = 0; i < s->n_codes; i++) {
        if (unlisted(s->codes[i].code)) {
            tell_unknown(s, s->codes[i].code);
            continue;
        }
        got[k] = s->codes[i].got_snapshot;
        codes[k++] = s->codes[i].code;
    }
    if (k) {
        sub *n = registry_add(s->owner, s->id, s->type_name, codes, k, s->depth, s->level, s->delivery,
                              s->snapshot_id);
        n->deadline_ns = s->deadline_ns;
        for (size_t i = 0; i < k; i++)
            n->codes[i].got_snapshot = got[i];
    } else {
        instance_drop_id(s->owner, s->snapshot_id ? s->snapshot_id : s->id);
    }
    free(codes);
    free(got);
    registry_remove(s);
    return 1;
}

static void recheck_all(void)
{
    int changed = 0;
    sub *s = registry_first();
    while (s) {
        sub *next = s->next;
        changed |= recheck(s);
        s = next;
    }
    if (changed && M.changed)
        M.changed();
}

static void done(int status, const char *body, size_t len, const char *remaining, void *arg)
{
    (void)arg, (void)remaining;
    M.pending = 0;
    M.have_first = 1;
    int n = status == 200 ? markets_load(body, len) : -1;
    if (n < 0) {
        log_warn("market list unavailable (%s %d%s%.*s); subscriptions are not checked against it",
                 status < 0 ? "error" : "HTTP", status, status < 0 ? ": " : "", status < 0 ? (int)len : 0, body);
        M.next_ns = util_mono_ns() + RETRY_NS;
        return;
    }
    log_info("market list: %d markets", n);
    M.next_ns = util_mono_ns() + REFRESH_NS;
    recheck_all();
}

static void fetch(void)
{
    M.next_ns = util_mono_ns() + RETRY_NS;  /* until it answers */
    M.pending = 1;
    if (!M.rest_url || rest_get(M.lws, M.vh, M.rest_url, "/v1/market/all", NULL, done, NULL) != 0) {
        M.pending = 0;
        M.have_first = 1;
        log_warn("market list: cannot request it from %s", M.rest_url ? M.rest_url : "(no rest_url)");
    }
}

void market_check_set_url(const char *rest_url)
{
    free(M.rest_url);
    M.rest_url = rest_url ? xstrdup(rest_url) : NULL;
}

void market_check_start(struct lws_context *lws, struct lws_vhost *vh, const char *rest_url, void (*changed)(void))
{
    M.lws = lws;
    M.vh = vh;
    M.changed = changed;
    M.started_ns = util_mono_ns();
    market_check_set_url(rest_url);
    fetch();
}

int market_check_waiting(void)
{
    return !M.have_first && util_mono_ns() - M.started_ns < FIRST_WAIT_NS;
}

void market_check_tick(void)
{
    if (M.lws && !M.pending && util_mono_ns() > M.next_ns)
        fetch();
}

void market_check_free(void)
{
    free(M.rest_url);
    memset(&M, 0, sizeof M);
    markets_clear();
}
