/* See om_balances.h. */
#include "om_balances.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void om_bal_free(om_balances *b)
{
    free(b->v);
    memset(b, 0, sizeof *b);
}

static int currency_ok(const char *c)
{
    size_t n = strlen(c);
    if (n == 0 || n >= OM_CUR_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((c[i] >= 'A' && c[i] <= 'Z') || (c[i] >= 'a' && c[i] <= 'z') ||
              (c[i] >= '0' && c[i] <= '9') || c[i] == '-' || c[i] == '_' || c[i] == '.'))
            return 0;
    return 1;
}

/* Index of currency, or of where it would be inserted (*found = 0). */
static size_t locate(const om_balances *b, const char *currency, int *found)
{
    size_t lo = 0, hi = b->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(b->v[mid].currency, currency);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = 0;
    return lo;
}

static int is_zero(const char *s) { return !*s || strcmp(s, "0") == 0; }

/* Sets one entry, stamped `stamp`. */
static int set_stamped(om_balances *b, const char *currency, const char *balance, const char *locked,
                       uint64_t stamp)
{
    if (!currency_ok(currency) || strlen(balance) >= OM_NUM_MAX || strlen(locked) >= OM_NUM_MAX)
        return -1;
    int found;
    size_t i = locate(b, currency, &found);
    if (is_zero(balance) && is_zero(locked)) {
        if (!found)
            return 0;
        memmove(&b->v[i], &b->v[i + 1], (b->n - i - 1) * sizeof *b->v);
        b->n--;
        return 1;
    }
    if (found) {
        om_balance *e = &b->v[i];
        if (stamp)
            e->stream_seq = stamp;
        if (strcmp(e->balance, balance) == 0 && strcmp(e->locked, locked) == 0)
            return 0;
    } else {
        if (b->n == b->cap) {
            size_t cap = b->cap ? b->cap * 2 : 8;
            om_balance *v = realloc(b->v, cap * sizeof *v);
            if (!v)
                return -1;
            b->v = v;
            b->cap = cap;
        }
        memmove(&b->v[i + 1], &b->v[i], (b->n - i) * sizeof *b->v);
        b->n++;
        snprintf(b->v[i].currency, OM_CUR_MAX, "%s", currency);
    }
    snprintf(b->v[i].balance, OM_NUM_MAX, "%s", balance);
    snprintf(b->v[i].locked, OM_NUM_MAX, "%s", locked);
    b->v[i].stream_seq = stamp;
    return 1;
}

int om_bal_set(om_balances *b, const char *currency, const char *balance, const char *locked)
{
    return set_stamped(b, currency, balance, locked, 0);
}

int om_bal_equal(const om_balances *a, const om_balances *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->v[i].currency, b->v[i].currency) != 0 ||
            strcmp(a->v[i].balance, b->v[i].balance) != 0 ||
            strcmp(a->v[i].locked, b->v[i].locked) != 0)
            return 0;
    return 1;
}

int om_bal_replace(om_balances *b, om_balances *fresh, uint64_t since)
{
    for (size_t i = 0; i < b->n; i++)
        if (b->v[i].stream_seq > since)
            set_stamped(fresh, b->v[i].currency, b->v[i].balance, b->v[i].locked, b->v[i].stream_seq);
    int changed = !om_bal_equal(b, fresh);
    uint64_t seq = b->seq;
    om_bal_free(b);
    *b = *fresh;
    b->seq = seq;
    memset(fresh, 0, sizeof *fresh);
    return changed;
}

/* ---- the assets array of a myAsset event ---------------------------------
 * A small scanner rather than jansson: jansson turns numbers into doubles,
 * and the point is to keep Upbit's digits. */

typedef struct cur {
    const char *p, *end;
} cur;

static void skip_ws(cur *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int eat(cur *c, char ch)
{
    skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* A string's raw content (escapes left as they are). */
static int scan_string(cur *c, const char **s, size_t *n)
{
    if (!eat(c, '"'))
        return -1;
    *s = c->p;
    while (c->p < c->end && *c->p != '"')
        c->p += *c->p == '\\' ? 2 : 1;
    if (c->p >= c->end)
        return -1;
    *n = (size_t)(c->p - *s);
    c->p++;
    return 0;
}

/* Any value; a scalar's text (a string without its quotes) goes to s/n. */
static int scan_value(cur *c, const char **s, size_t *n)
{
    skip_ws(c);
    if (c->p >= c->end)
        return -1;
    if (*c->p == '"')
        return scan_string(c, s, n);
    if (*c->p == '{' || *c->p == '[') {
        int depth = 0;
        do {
            if (*c->p == '"') {
                const char *ds;
                size_t dn;
                if (scan_string(c, &ds, &dn) < 0)
                    return -1;
                continue;
            }
            depth += (*c->p == '{' || *c->p == '[') - (*c->p == '}' || *c->p == ']');
            c->p++;
        } while (depth > 0 && c->p < c->end);
        *s = NULL;
        *n = 0;
        return depth == 0 ? 0 : -1;
    }
    *s = c->p;
    while (c->p < c->end && !strchr(",}] \t\r\n", *c->p))
        c->p++;
    *n = (size_t)(c->p - *s);
    return *n ? 0 : -1;
}

static int key_is(const char *k, size_t n, const char *def, const char *simple)
{
    return (n == strlen(def) && memcmp(k, def, n) == 0) ||
           (n == strlen(simple) && memcmp(k, simple, n) == 0);
}

/* One {currency, balance, locked} object. *ok = 0 when a field is missing or
 * not usable (the entry is skipped, the rest still applied). */
static int scan_asset(cur *c, char *currency, char *balance, char *locked, int *ok)
{
    int have = 0;
    *ok = 0;
    if (!eat(c, '{'))
        return -1;
    if (eat(c, '}'))
        return 0;
    do {
        const char *k, *v;
        size_t kn, vn;
        if (scan_string(c, &k, &kn) < 0 || !eat(c, ':') || scan_value(c, &v, &vn) < 0)
            return -1;
        if (!v)
            continue;
        if (key_is(k, kn, "currency", "cu") && vn < OM_CUR_MAX) {
            memcpy(currency, v, vn);
            currency[vn] = '\0';
            have |= 1;
        } else if (key_is(k, kn, "balance", "b") && om_dec_canon(v, vn, balance, OM_NUM_MAX) == 0) {
            have |= 2;
        } else if (key_is(k, kn, "locked", "l") && om_dec_canon(v, vn, locked, OM_NUM_MAX) == 0) {
            have |= 4;
        }
    } while (eat(c, ','));
    if (!eat(c, '}'))
        return -1;
    *ok = have == 7;
    return 0;
}

int om_bal_apply_assets(om_balances *b, const char *json, size_t len, int *changed)
{
    cur c = {json, json + len};
    int applied = 0;
    uint64_t stamp = ++b->seq;
    *changed = 0;
    if (!eat(&c, '['))
        return -1;
    if (eat(&c, ']'))
        return 0;
    do {
        char currency[OM_CUR_MAX], balance[OM_NUM_MAX], locked[OM_NUM_MAX];
        int ok;
        if (scan_asset(&c, currency, balance, locked, &ok) < 0)
            return -1;
        if (!ok)
            continue;
        int rc = set_stamped(b, currency, balance, locked, stamp);
        if (rc > 0)
            *changed = 1;
        if (rc >= 0)
            applied++;
    } while (eat(&c, ','));
    return eat(&c, ']') ? applied : -1;
}

/* ---- output ---------------------------------------------------------------- */

static char *render(const om_balances *b, const char *head, const char *empty, const char *fmt)
{
    size_t cap = strlen(head) + strlen(empty) + 1;
    for (size_t i = 0; i < b->n; i++)
        cap += strlen(fmt) + sizeof(om_balance);
    char *s = malloc(cap), *p = s;
    if (!s)
        return NULL;
    p += sprintf(p, "%s", head);
    if (!b->n)
        sprintf(p, "%s", empty);
    for (size_t i = 0; i < b->n; i++)
        p += sprintf(p, fmt, b->v[i].currency, b->v[i].balance, b->v[i].locked);
    return s;
}

char *om_bal_line(const om_balances *b)
{
    return render(b, "balances", " none", " %s=%s(locked %s)");
}

char *om_bal_file_text(const om_balances *b)
{
    return render(b, "", "", "%s %s %s\n");
}

int om_bal_parse_file(om_balances *out, const char *text)
{
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char line[OM_CUR_MAX + 2 * OM_NUM_MAX + 4], cur[OM_CUR_MAX], bal[OM_NUM_MAX], lck[OM_NUM_MAX];
        char cb[OM_NUM_MAX], cl[OM_NUM_MAX];
        if (n >= sizeof line)
            goto bad;
        memcpy(line, p, n);
        line[n] = '\0';
        if (sscanf(line, "%15s %71s %71s", cur, bal, lck) != 3 ||
            om_dec_canon(bal, strlen(bal), cb, sizeof cb) < 0 ||
            om_dec_canon(lck, strlen(lck), cl, sizeof cl) < 0 || om_bal_set(out, cur, cb, cl) < 0)
            goto bad;
        p += n + (nl != NULL);
    }
    return 0;
bad:
    om_bal_free(out);
    return -1;
}
