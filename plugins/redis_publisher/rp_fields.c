/*
 * rp_fields.c — which fields an entry carries (Upbit DEFAULT names, the
 * PROTOCOL.md §10.1–10.4 tables minus the deprecated ticker fields), and
 * turning one event into one queue item.
 *
 * The item is built on the plugin thread, during on_event, because the
 * event's text is only valid there; the I/O thread later sends it as is.
 */
#include <upws/fields.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rp.h"


#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define RECV_TIME "recv_time"
#define LEVEL_NAME_MAX 16 /* "ask_price_30" plus NUL, rounded up */
#define INT64_DIGITS 21   /* "-9223372036854775808" plus NUL */

int rp_kind_of(upws_type t)
{
    switch (t) {
    case UPWS_TYPE_TICKER: return RP_TICKER;
    case UPWS_TYPE_TRADE: return RP_TRADE;
    case UPWS_TYPE_ORDERBOOK: return RP_ORDERBOOK;
    case UPWS_TYPE_CANDLE: return RP_CANDLE;
    default: return -1;
    }
}

static int copy_names(rp_columns *c, const char *const *src, size_t n)
{
    c->names = malloc(n * sizeof *c->names);
    if (!c->names)
        return -1;
    memcpy(c->names, src, n * sizeof *c->names);
    c->n = n;
    return 0;
}

static int build_orderbook(rp_columns *c, unsigned depth)
{
    size_t n = COUNT(UPWS_FIELDS_BOOK_HEAD) + 4 * (size_t)depth + COUNT(UPWS_FIELDS_BOOK_TAIL);
    c->names = malloc(n * sizeof *c->names);
    c->pool = malloc(4 * (size_t)depth * LEVEL_NAME_MAX);
    if (!c->names || !c->pool)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < COUNT(UPWS_FIELDS_BOOK_HEAD); i++)
        c->names[k++] = UPWS_FIELDS_BOOK_HEAD[i];
    char *slot = c->pool;
    for (unsigned lvl = 1; lvl <= depth; lvl++) {
        for (size_t u = 0; u < COUNT(UPWS_FIELDS_BOOK_UNIT); u++) {
            snprintf(slot, LEVEL_NAME_MAX, "%s_%u", UPWS_FIELDS_BOOK_UNIT[u], lvl);
            c->names[k++] = slot;
            slot += LEVEL_NAME_MAX;
        }
    }
    for (size_t i = 0; i < COUNT(UPWS_FIELDS_BOOK_TAIL); i++)
        c->names[k++] = UPWS_FIELDS_BOOK_TAIL[i];
    c->n = k;
    return 0;
}

int rp_columns_build(rp_columns *c, rp_kind k, unsigned depth)
{
    memset(c, 0, sizeof *c);
    switch (k) {
    case RP_TICKER: return copy_names(c, UPWS_FIELDS_TICKER, COUNT(UPWS_FIELDS_TICKER));
    case RP_TRADE: return copy_names(c, UPWS_FIELDS_TRADE, COUNT(UPWS_FIELDS_TRADE));
    case RP_ORDERBOOK: return build_orderbook(c, depth);
    case RP_CANDLE: return copy_names(c, UPWS_FIELDS_CANDLE, COUNT(UPWS_FIELDS_CANDLE));
    default: return -1;
    }
}

void rp_columns_free(rp_columns *c)
{
    free(c->names);
    free(c->pool);
    memset(c, 0, sizeof *c);
}

size_t rp_columns_max(const rp *p)
{
    size_t m = 0;
    for (int k = 0; k < RP_NKINDS; k++)
        if (p->cols[k].n > m)
            m = p->cols[k].n;
    return m + 1; /* recv_time */
}

/* ---- JSON string unescaping (event_field gives strings escapes as received) -- */

static int hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* \uXXXX at s (6 chars available: n ≥ 6), with a following low surrogate if
 * any. Writes UTF-8, returns input characters consumed (0: not an escape). */
static size_t unescape_u(const char *s, size_t n, char *o, size_t *wrote)
{
    unsigned hi, lo;
    if (n < 6 || hex4(s + 2, &hi) != 0)
        return 0;
    if (hi >= 0xD800 && hi < 0xDC00 && n >= 12 && s[6] == '\\' && s[7] == 'u' &&
        hex4(s + 8, &lo) == 0 && lo >= 0xDC00 && lo < 0xE000) {
        *wrote = put_utf8(o, 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00));
        return 12;
    }
    if (hi >= 0xD800 && hi < 0xE000)
        hi = 0xFFFD; /* a lone surrogate has no UTF-8 form */
    *wrote = put_utf8(o, hi);
    return 6;
}

static char simple_escape(char c)
{
    switch (c) {
    case '"': return '"';
    case '\\': return '\\';
    case '/': return '/';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    default: return 0;
    }
}

/* Decode s[0..n) into o (at least n bytes: the UTF-8 of an escape is never
 * longer than the escape). Unknown escapes are kept as written. */
static size_t json_unescape(const char *s, size_t n, char *o)
{
    size_t w = 0;
    for (size_t i = 0; i < n;) {
        if (s[i] != '\\' || i + 1 >= n) {
            o[w++] = s[i++];
            continue;
        }
        char e = simple_escape(s[i + 1]);
        if (e) {
            o[w++] = e;
            i += 2;
            continue;
        }
        size_t wrote = 0, used = s[i + 1] == 'u' ? unescape_u(s + i, n - i, o + w, &wrote) : 0;
        if (used) {
            w += wrote;
            i += used;
        } else {
            o[w++] = s[i++];
        }
    }
    return w;
}

/* ---- items ------------------------------------------------------------------- */

static int value_usable(const upws_val *v)
{
    /* An absent or null field is left out of the entry: a stream entry has
     * no null, and "" would be a value of its own. */
    return v->text && v->kind != UPWS_VAL_ABSENT && v->kind != UPWS_VAL_NULL;
}

static int ensure_vals(rp *p, size_t n)
{
    if (p->vals_cap >= n)
        return 0;
    upws_val *v = realloc(p->vals, n * sizeof *v);
    if (!v)
        return -1;
    p->vals = v;
    p->vals_cap = n;
    return 0;
}

static rp_item *item_alloc(size_t nf, size_t text)
{
    rp_item *it = calloc(1, sizeof *it + nf * sizeof(rp_field) + text);
    if (!it)
        return NULL;
    it->f = (rp_field *)(it + 1);
    it->text = (char *)(it->f + nf);
    return it;
}

static void put_field(rp_item *it, size_t *used, const char *name, const char *s, size_t n)
{
    rp_field *f = &it->f[it->nf++];
    f->name = name;
    f->off = (uint32_t)*used;
    memcpy(it->text + *used, s, n);
    f->len = (uint32_t)n;
    *used += n;
}

static void put_val(rp_item *it, size_t *used, const char *name, const upws_val *v)
{
    if (v->kind != UPWS_VAL_STRING || !memchr(v->text, '\\', v->len)) {
        put_field(it, used, name, v->text, v->len);
        return;
    }
    rp_field *f = &it->f[it->nf++];
    f->name = name;
    f->off = (uint32_t)*used;
    f->len = (uint32_t)json_unescape(v->text, v->len, it->text + *used);
    *used += f->len;
}

/* The time the entry ID is derived from: the trade time for trades, the
 * message time otherwise. A time far from the arrival time (a broken
 * field) would drag every later ID of the stream along, so the arrival time
 * stands in for it. */
static int64_t id_time_ms(const upws_event *ev)
{
    int64_t recv_ms = ev->recv_time_ns > 0 ? ev->recv_time_ns / 1000000 : rp_wall_ns() / 1000000;
    int64_t t = ev->trade && ev->trade->trade_timestamp > 0 ? ev->trade->trade_timestamp
                                                             : ev->timestamp_ms;
    const int64_t week_ms = 7LL * 86400000, hour_ms = 3600000;
    if (t <= 0 || t < recv_ms - week_ms || t > recv_ms + hour_ms)
        return recv_ms;
    return t;
}

rp_item *rp_item_from_event(rp *p, uint32_t stream, const upws_event *ev)
{
    const rp_columns *c = &p->cols[p->streams[stream].kind];
    if (ensure_vals(p, c->n) != 0)
        return NULL;
    size_t text = strlen(ev->type_name) + strlen(ev->code) + INT64_DIGITS, nf = 3;
    for (size_t i = 2; i < c->n; i++) {
        upws_val *v = &p->vals[i];
        memset(v, 0, sizeof *v);
        if (p->api->event_field(ev, c->names[i], v) != UPWS_OK || !value_usable(v))
            continue;
        text += v->len;
        nf++;
    }
    rp_item *it = item_alloc(nf, text);
    if (!it)
        return NULL;
    it->kind = RP_ITEM_EVENT;
    it->stream = stream;
    it->id_ms = id_time_ms(ev);
    if (ev->trade) {
        it->has_sid = 1;
        it->sid = ev->trade->sequential_id;
    }
    size_t used = 0;
    /* type and code from the header: the wire may spell them ty/cd (SIMPLE). */
    put_field(it, &used, c->names[0], ev->type_name, strlen(ev->type_name));
    put_field(it, &used, c->names[1], ev->code, strlen(ev->code));
    for (size_t i = 2; i < c->n; i++)
        if (value_usable(&p->vals[i]))
            put_val(it, &used, c->names[i], &p->vals[i]);
    char ns[INT64_DIGITS];
    int n = snprintf(ns, sizeof ns, "%lld", (long long)ev->recv_time_ns);
    put_field(it, &used, RECV_TIME, ns, (size_t)n);
    return it;
}

rp_item *rp_item_marker(rp_item_kind kind, uint32_t stream, const char *reason,
                        int64_t since_ns, int64_t until_ns, uint64_t count)
{
    rp_item *it = item_alloc(0, 0);
    if (!it)
        return NULL;
    it->kind = kind;
    it->stream = stream;
    it->reason = reason;
    it->since_ns = since_ns;
    it->until_ns = until_ns;
    it->count = count;
    it->made_ns = rp_wall_ns();
    return it;
}

int64_t rp_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t rp_wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
