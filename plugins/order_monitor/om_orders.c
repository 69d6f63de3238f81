/* See om_orders.h. The order line format is documented in README.md; keep
 * the two in step. */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L   /* strdup, strtok_r */
#endif
#include "om_orders.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEC_EXP_MAX 60   /* Upbit's numbers are nowhere near; bounds the shifting */

static int is_digit(char c) { return c >= '0' && c <= '9'; }

int om_dec_canon(const char *s, size_t n, char *out, size_t cap)
{
    char digits[OM_NUM_MAX * 2];
    size_t nd = 0, i = 0;
    int neg = 0, point = -1, seen = 0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    for (; i < n && (is_digit(s[i]) || (s[i] == '.' && point < 0)); i++) {
        if (s[i] == '.') {
            point = (int)nd;
            continue;
        }
        seen = 1;
        if (nd == sizeof digits)
            return -1;
        digits[nd++] = s[i];
    }
    if (!seen)
        return -1;
    long exp = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        int eneg = 0, edigits = 0;
        if (++i < n && (s[i] == '-' || s[i] == '+'))
            eneg = s[i++] == '-';
        for (; i < n && is_digit(s[i]); i++, edigits++)
            if ((exp = exp * 10 + (s[i] - '0')) > DEC_EXP_MAX)
                return -1;
        if (!edigits)
            return -1;
        if (eneg)
            exp = -exp;
    }
    if (i != n)
        return -1;
    /* value = 0.D × 10^p with D = digits */
    long p = (point < 0 ? (long)nd : point) + exp;
    size_t lead = 0;
    while (lead < nd && digits[lead] == '0')
        lead++;
    const char *d = digits + lead;
    nd -= lead;
    p -= (long)lead;
    while (nd && d[nd - 1] == '0')
        nd--;
    char buf[OM_NUM_MAX * 3];
    size_t len = 0;
    if (!nd) {
        buf[len++] = '0';
    } else {
        if (neg)
            buf[len++] = '-';
        if (p <= 0) {
            buf[len++] = '0';
            buf[len++] = '.';
            for (long z = 0; z < -p; z++)
                buf[len++] = '0';
            memcpy(buf + len, d, nd);
            len += nd;
        } else if ((size_t)p >= nd) {
            memcpy(buf + len, d, nd);
            len += nd;
            for (size_t z = nd; z < (size_t)p; z++)
                buf[len++] = '0';
        } else {
            memcpy(buf + len, d, (size_t)p);
            len += (size_t)p;
            buf[len++] = '.';
            memcpy(buf + len, d + p, nd - (size_t)p);
            len += nd - (size_t)p;
        }
    }
    if (len + 1 > cap)
        return -1;
    memcpy(out, buf, len);
    out[len] = '\0';
    return 0;
}

/* Magnitudes of two canonical non-negative decimals. */
static int dec_cmp_abs(const char *a, const char *b)
{
    const char *pa = strchr(a, '.'), *pb = strchr(b, '.');
    size_t ia = pa ? (size_t)(pa - a) : strlen(a), ib = pb ? (size_t)(pb - b) : strlen(b);
    if (ia != ib)
        return ia < ib ? -1 : 1;
    int c = strncmp(a, b, ia);
    if (c)
        return c;
    /* Fractions carry no trailing zeros, so plain string order is numeric order. */
    return strcmp(pa ? pa + 1 : "", pb ? pb + 1 : "");
}

int om_dec_cmp(const char *a, const char *b)
{
    if (!*a)
        a = "0";
    if (!*b)
        b = "0";
    int na = a[0] == '-', nb = b[0] == '-';
    if (na != nb)
        return na ? -1 : 1;
    int c = dec_cmp_abs(a + na, b + nb);
    return na ? -c : c;
}

/* ---- the table ---------------------------------------------------------- */

enum { PHASE_NONE = 0, PHASE_WATCH = 1, PHASE_OPEN = 2, PHASE_END = 3 };

/* States only move forward through these phases; a report of an earlier
 * phase is an old observation arriving late. */
static int phase_of(const char *state)
{
    if (!state)
        return PHASE_NONE;
    if (strcmp(state, "watch") == 0)
        return PHASE_WATCH;
    if (strcmp(state, "wait") == 0 || strcmp(state, "trade") == 0)
        return PHASE_OPEN;
    if (strcmp(state, "done") == 0 || strcmp(state, "cancel") == 0 ||
        strcmp(state, "prevented") == 0)
        return PHASE_END;
    return PHASE_NONE;
}

/* Text that goes into the space-separated line must be one token. */
static void copy_word(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    int ok = n > 0 && n < cap;
    for (size_t i = 0; ok && i < n; i++) {
        char c = src[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' ||
             c == '_' || c == '.';
    }
    snprintf(dst, cap, "%s", ok ? src : "?");
}

/* A uuid also goes into a REST query, which must need no percent-encoding. */
static int uuid_ok(const char *u)
{
    size_t n = u ? strlen(u) : 0;
    if (n == 0 || n >= OM_UUID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((u[i] >= 'a' && u[i] <= 'z') || (u[i] >= 'A' && u[i] <= 'Z') || is_digit(u[i]) ||
              u[i] == '-'))
            return 0;
    return 1;
}

static om_order *find(const om_orders *t, const char *uuid)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->v[i].uuid, uuid) == 0)
            return &t->v[i];
    return NULL;
}

const om_order *om_orders_find(const om_orders *t, const char *uuid) { return find(t, uuid); }

int om_orders_is_finished(const om_orders *t, const char *uuid)
{
    for (size_t i = 0; i < t->finished_n; i++)
        if (strcmp(t->finished[i], uuid) == 0)
            return 1;
    return 0;
}

static void remember_finished(om_orders *t, const char *uuid)
{
    snprintf(t->finished[t->finished_next], OM_UUID_MAX, "%s", uuid);
    t->finished_next = (t->finished_next + 1) % OM_FINISHED_MAX;
    if (t->finished_n < OM_FINISHED_MAX)
        t->finished_n++;
}

static void remove_at(om_orders *t, om_order *o)
{
    size_t i = (size_t)(o - t->v);
    memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof *t->v);
    t->n--;
}

void om_orders_forget(om_orders *t, const char *uuid)
{
    om_order *o = find(t, uuid);
    if (o)
        remove_at(t, o);
}

static om_order *add(om_orders *t)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        om_order *v = realloc(t->v, cap * sizeof *v);
        if (!v)
            return NULL;
        t->v = v;
        t->cap = cap;
    }
    om_order *o = &t->v[t->n++];
    memset(o, 0, sizeof *o);
    return o;
}

void om_orders_free(om_orders *t)
{
    free(t->v);
    memset(t, 0, sizeof *t);
}

static const char *or_dash(const char *s) { return *s ? s : "-"; }

static int format_line(const om_order *o, om_source src, char *line, size_t cap)
{
    char trades[24] = "-";
    if (o->trades >= 0)
        snprintf(trades, sizeof trades, "%lld", (long long)o->trades);
    int n = snprintf(line, cap, "order %s %s %s %s price=%s volume=%s executed=%s state=%s trades=%s source=%s",
                     o->uuid, o->market, o->side, o->ord_type, or_dash(o->price), or_dash(o->volume),
                     o->executed, o->state, trades, src == OM_SRC_WS ? "ws" : "rest");
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

int om_orders_apply(om_orders *t, const om_update *u, uint64_t sweep_listed, char *line, size_t cap)
{
    int phase = phase_of(u->state);
    if (!uuid_ok(u->uuid) || phase == PHASE_NONE)
        return -1;
    if (om_orders_is_finished(t, u->uuid))
        return 0;
    const char *exe = *u->executed ? u->executed : "0";
    om_order *o = find(t, u->uuid);
    int is_new = o == NULL, grew = 0;
    if (o) {
        if (sweep_listed)
            o->swept = sweep_listed;
        if (u->order_amounts) {   /* an order's own price and volume never change */
            if (*u->price)
                snprintf(o->price, sizeof o->price, "%s", u->price);
            if (*u->volume)
                snprintf(o->volume, sizeof o->volume, "%s", u->volume);
        }
        int known = phase_of(o->state), c = om_dec_cmp(exe, o->executed);
        /* Within a phase only more executed volume is news; a later phase
         * always is, and never lowers what was seen. */
        if (phase < known || (phase == known && c <= 0))
            return 0;
        grew = c > 0;
        if (c < 0)
            exe = o->executed;
        if (u->trades > o->trades)
            o->trades = u->trades;
    } else {
        if (!(o = add(t)))
            return -1;
        snprintf(o->uuid, sizeof o->uuid, "%s", u->uuid);
        copy_word(o->market, sizeof o->market, u->market);
        copy_word(o->side, sizeof o->side, u->side);
        copy_word(o->ord_type, sizeof o->ord_type, u->ord_type);
        if (u->order_amounts) {
            snprintf(o->price, sizeof o->price, "%s", u->price);
            snprintf(o->volume, sizeof o->volume, "%s", u->volume);
        }
        o->trades = u->trades;
        o->born = t->sweep;
        o->swept = sweep_listed;
    }
    if (exe != o->executed)
        snprintf(o->executed, sizeof o->executed, "%s", exe);
    /* REST never says "trade": an open order whose executed volume grew had a
     * fill, whichever source saw it, so both sources write the same line. */
    const char *state = phase == PHASE_OPEN && !is_new && grew ? "trade" : u->state;
    snprintf(o->state, sizeof o->state, "%s", state);
    int rc = format_line(o, u->source, line, cap) == 0 ? 1 : -1;
    if (phase == PHASE_END) {
        remember_finished(t, o->uuid);
        remove_at(t, o);
    }
    return rc;
}

size_t om_orders_vanished(const om_orders *t, uint64_t sweep, const char *const *markets,
                          size_t n_markets, char (*out)[OM_UUID_MAX], size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < t->n && k < max; i++) {
        const om_order *o = &t->v[i];
        if (o->born >= sweep || o->swept == sweep)
            continue;   /* learnt during this sweep, or listed by it */
        int wanted = n_markets == 0;
        for (size_t m = 0; m < n_markets && !wanted; m++)
            wanted = strcmp(markets[m], o->market) == 0;
        if (wanted)
            snprintf(out[k++], OM_UUID_MAX, "%s", o->uuid);
    }
    return k;
}

/* ---- hand-off ------------------------------------------------------------ */

#define SAVE_HEADER "om-orders 1\n"

char *om_orders_save(const om_orders *t)
{
    /* an "o" line holds the fields of one order line, so OM_LINE_MAX bounds it */
    size_t cap = sizeof SAVE_HEADER + t->n * OM_LINE_MAX + t->finished_n * (OM_UUID_MAX + 4);
    char *s = malloc(cap), *p = s;
    if (!s)
        return NULL;
    p += sprintf(p, "%s", SAVE_HEADER);
    for (size_t i = 0; i < t->n; i++) {
        const om_order *o = &t->v[i];
        p += sprintf(p, "o %s %s %s %s %s %s %s %s %lld\n", o->uuid, o->market, o->side, o->ord_type,
                     or_dash(o->price), or_dash(o->volume), o->executed, o->state,
                     (long long)o->trades);
    }
    /* Oldest first, so the restored ring evicts in the same order. */
    for (size_t k = 0; k < t->finished_n; k++) {
        size_t i = (t->finished_next + OM_FINISHED_MAX - t->finished_n + k) % OM_FINISHED_MAX;
        p += sprintf(p, "f %s\n", t->finished[i]);
    }
    return s;
}

static const char *dash_to_empty(const char *s) { return strcmp(s, "-") == 0 ? "" : s; }

int om_orders_restore(om_orders *t, const char *text)
{
    if (strncmp(text, SAVE_HEADER, strlen(SAVE_HEADER)) != 0)
        return -1;
    om_orders fresh;
    memset(&fresh, 0, sizeof fresh);
    char *copy = strdup(text + strlen(SAVE_HEADER)), *save = NULL;
    if (!copy)
        return -1;
    int rc = 0;
    for (char *l = strtok_r(copy, "\n", &save); l && rc == 0; l = strtok_r(NULL, "\n", &save)) {
        char uuid[OM_UUID_MAX], market[OM_MARKET_MAX], side[OM_WORD_MAX], type[OM_WORD_MAX];
        char price[OM_NUM_MAX], volume[OM_NUM_MAX], exe[OM_NUM_MAX], state[OM_WORD_MAX];
        long long trades;
        if (sscanf(l, "f %63s", uuid) == 1 && l[0] == 'f') {
            remember_finished(&fresh, uuid);
        } else if (l[0] == 'o' &&
                   sscanf(l, "o %63s %23s %15s %15s %71s %71s %71s %15s %lld", uuid, market, side,
                          type, price, volume, exe, state, &trades) == 9 &&
                   uuid_ok(uuid) && phase_of(state) != PHASE_NONE) {
            om_order *o = add(&fresh);
            if (!o) {
                rc = -1;
                break;
            }
            snprintf(o->uuid, sizeof o->uuid, "%s", uuid);
            snprintf(o->market, sizeof o->market, "%s", market);
            snprintf(o->side, sizeof o->side, "%s", side);
            snprintf(o->ord_type, sizeof o->ord_type, "%s", type);
            snprintf(o->price, sizeof o->price, "%s", dash_to_empty(price));
            snprintf(o->volume, sizeof o->volume, "%s", dash_to_empty(volume));
            snprintf(o->executed, sizeof o->executed, "%s", exe);
            snprintf(o->state, sizeof o->state, "%s", state);
            o->trades = trades;
        } else {
            rc = -1;
        }
    }
    free(copy);
    if (rc != 0) {
        om_orders_free(&fresh);
        return -1;
    }
    om_orders_free(t);
    *t = fresh;
    return 0;
}
