/* See om_rest.h. jansson is fine here: the Exchange API sends its numbers as
 * strings, so nothing is lost by parsing. */
#include "om_rest.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

/* A number field into canonical text; "" for null or absent. */
static void number_text(json_t *o, const char *key, char *out)
{
    json_t *v = json_object_get(o, key);
    char tmp[64];
    const char *s = NULL;
    out[0] = '\0';
    if (json_is_string(v)) {
        s = json_string_value(v);
    } else if (json_is_integer(v)) {
        snprintf(tmp, sizeof tmp, "%lld", (long long)json_integer_value(v));
        s = tmp;
    } else if (json_is_real(v)) {
        snprintf(tmp, sizeof tmp, "%.17g", json_real_value(v));  /* not Upbit's form; best effort */
        s = tmp;
    }
    if (s && om_dec_canon(s, strlen(s), out, OM_NUM_MAX) < 0)
        out[0] = '\0';
}

static int64_t int_field(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (json_is_integer(v))
        return (int64_t)json_integer_value(v);
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        long long n = strtoll(s, &end, 10);
        if (*s && !*end && n >= 0)
            return n;
    }
    return -1;
}

static const char *str_field(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));   /* NULL unless a string */
}

static void one_order(json_t *o, om_order_fn fn, void *arg)
{
    om_update u;
    memset(&u, 0, sizeof u);
    u.uuid = str_field(o, "uuid");
    u.state = str_field(o, "state");
    if (!json_is_object(o) || !u.uuid || !u.state)
        return;
    u.market = str_field(o, "market");
    u.side = str_field(o, "side");
    u.ord_type = str_field(o, "ord_type");
    number_text(o, "price", u.price);
    number_text(o, "volume", u.volume);
    number_text(o, "executed_volume", u.executed);
    u.trades = int_field(o, "trades_count");
    u.order_amounts = 1;
    u.source = OM_SRC_REST;
    fn(arg, &u);
}

int om_rest_orders(const char *body, size_t len, om_order_fn fn, void *arg)
{
    json_t *root = json_loadb(body, len, 0, NULL);
    int n = -1;
    if (json_is_array(root)) {
        size_t i;
        json_t *o;
        json_array_foreach(root, i, o) one_order(o, fn, arg);
        n = (int)json_array_size(root);
    } else if (json_is_object(root) && json_object_get(root, "uuid")) {
        one_order(root, fn, arg);
        n = 1;
    }
    json_decref(root);
    return n;
}

int om_rest_accounts(const char *body, size_t len, om_balances *out)
{
    json_t *root = json_loadb(body, len, 0, NULL);
    int rc = json_is_array(root) ? 0 : -1;
    size_t i;
    json_t *a;
    json_array_foreach(root, i, a) {
        const char *cur = str_field(a, "currency");
        char bal[OM_NUM_MAX], lck[OM_NUM_MAX];
        number_text(a, "balance", bal);
        number_text(a, "locked", lck);
        if (!cur || !*bal || !*lck || om_bal_set(out, cur, bal, lck) < 0) {
            rc = -1;
            break;
        }
    }
    json_decref(root);
    if (rc < 0)
        om_bal_free(out);
    return rc;
}

void om_rest_error_name(const char *body, size_t len, char *out, size_t cap)
{
    json_t *root = json_loadb(body, len, 0, NULL);
    json_t *name = json_object_get(json_object_get(root, "error"), "name");
    out[0] = '\0';
    if (json_is_string(name))
        snprintf(out, cap, "%s", json_string_value(name));
    else if (json_is_integer(name))
        snprintf(out, cap, "%lld", (long long)json_integer_value(name));
    json_decref(root);
}

/* Length of the unit word at s (ASCII, case-insensitive) matching one of
 * the NULL-terminated list, a whole word; 0 when none. */
static size_t unit_match(const char *s, const char *const *words)
{
    for (; *words; words++) {
        size_t n = strlen(*words);
        if (strncasecmp(s, *words, n) == 0 && !isalpha((unsigned char)s[n]))
            return n;
    }
    return 0;
}

int64_t om_rest_block_ms(const char *body, size_t len)
{
    static const char *const ms[] = {"milliseconds", "millisecond", "ms", NULL};
    static const char *const sec[] = {"seconds", "second", "secs", "sec", "s", "\xec\xb4\x88" /* 초 */, NULL};
    static const char *const min[] = {"minutes", "minute", "mins", "min", "m", "\xeb\xb6\x84" /* 분 */, NULL};
    static const char *const hour[] = {"hours", "hour", "h", "\xec\x8b\x9c\xea\xb0\x84" /* 시간 */, NULL};
    json_t *root = json_loadb(body, len, 0, NULL);
    const char *text = json_string_value(json_object_get(json_object_get(root, "error"), "message"));
    int64_t found = -1;
    for (const char *p = text; p && *p && found < 0; p++) {
        if (!isdigit((unsigned char)*p) || (p > text && isdigit((unsigned char)p[-1])))
            continue;
        char *end;
        long long n = strtoll(p, &end, 10);
        while (*end == ' ')
            end++;
        if (n < 0 || n > 86400LL * 1000)
            continue;
        if (unit_match(end, ms))
            found = n;
        else if (unit_match(end, sec))
            found = n * 1000;
        else if (unit_match(end, min))
            found = n * 60000;
        else if (unit_match(end, hour))
            found = n * 3600000;
    }
    json_decref(root);
    return found;
}

/* ---- backoff -------------------------------------------------------------- */

static int64_t doubling(int64_t first, unsigned streak, int64_t max)
{
    int64_t d = first;
    for (unsigned i = 1; i < streak && d < max; i++)
        d *= 2;
    return d < max ? d : max;
}

int64_t om_backoff_next(om_backoff *b, int http_status, int remaining_sec, int64_t block_ms,
                        int64_t now_real_ms, int64_t fail_ms, om_bo_change *change)
{
    om_bo_kind kind = http_status >= 200 && http_status < 300 ? OM_BO_NONE
                      : http_status == 429                   ? OM_BO_RATE
                      : http_status == 418                   ? OM_BO_BLOCKED
                      : http_status == 401 || http_status == 403 ? OM_BO_AUTH
                                                                 : OM_BO_FAIL;
    *change = kind == b->kind ? OM_BO_SAME : kind == OM_BO_NONE ? OM_BO_RECOVERED : OM_BO_STARTED;
    b->streak = kind == b->kind ? b->streak + 1 : 1;
    b->kind = kind;
    int64_t delay = 0;
    switch (kind) {
    case OM_BO_NONE:
        b->streak = 0;
        break;
    case OM_BO_RATE:
        delay = doubling(OM_RATE_FIRST_MS, b->streak, OM_RATE_MAX_MS);
        break;
    case OM_BO_BLOCKED:
        delay = block_ms >= 0 ? block_ms + OM_BLOCK_SLACK_MS
                              : doubling(OM_BLOCK_DEFAULT_MS, b->streak, OM_BLOCK_MAX_MS);
        break;
    case OM_BO_AUTH:
        delay = OM_AUTH_MS;
        break;
    case OM_BO_FAIL:
        delay = fail_ms;
        break;
    }
    if (remaining_sec == 0) {
        /* The budget is per wall-clock second on Upbit's side. */
        int64_t next_second = 1000 - ((now_real_ms % 1000) + 1000) % 1000 + OM_SECOND_SLACK_MS;
        if (delay < next_second)
            delay = next_second;
    }
    return delay;
}
