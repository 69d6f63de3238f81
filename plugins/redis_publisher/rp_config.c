/*
 * rp_config.c — the instance's `config:` section: every key is checked in
 * init, and a bad value refuses the instance with a line naming the key.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rp.h"

#define DEFAULT_URL "redis://127.0.0.1:6379/0"
#define DEFAULT_PATTERN "upbit:{type}:{code}"
#define DEFAULT_MAXLEN 100000
#define DEFAULT_BUFFER 100000
#define DEFAULT_BATCH 500
#define DEFAULT_DEPTH 15
#define MAX_MAXLEN 1000000000000LL
#define MAX_BUFFER 10000000
#define MAX_BATCH 10000
#define MAX_PATTERN 512
#define MAX_CODE_LEN 23

static const char *const known_types[] = {
    "ticker", "trade", "orderbook", "candle.1s", "candle.1m", "candle.3m", "candle.5m",
    "candle.10m", "candle.15m", "candle.30m", "candle.60m", "candle.240m",
};

/* A required, non-empty list. */
static int cfg_list(rp *p, const char *key, const char *const **items, size_t *n)
{
    int rc = p->api->config_list(p->ctx, key, items, n);
    if (rc == UPWS_ETYPE) {
        RP_LOG(p, UPWS_LOG_ERROR, "config key '%s': must be a list, e.g. %s: [a, b]", key, key);
        return -1;
    }
    if (rc == UPWS_ENOENT || (rc == UPWS_OK && *n == 0)) {
        RP_LOG(p, UPWS_LOG_ERROR, "config key '%s': required, a non-empty list", key);
        return -1;
    }
    if (rc != UPWS_OK) {
        RP_LOG(p, UPWS_LOG_ERROR, "config key '%s': %s", key, p->api->strerror(rc));
        return -1;
    }
    return 0;
}

/* An integer in [lo, hi] with a default. config_int already accepts "15". */
static int cfg_int(rp *p, const char *key, int64_t def, int64_t lo, int64_t hi, int64_t *out)
{
    int rc = p->api->config_int(p->ctx, key, out);
    if (rc == UPWS_ENOENT) {
        *out = def;
        return 0;
    }
    if (rc != UPWS_OK) {
        RP_LOG(p, UPWS_LOG_ERROR, "config key '%s': must be an integer in %lld..%lld", key,
               (long long)lo, (long long)hi);
        return -1;
    }
    if (*out < lo || *out > hi) {
        RP_LOG(p, UPWS_LOG_ERROR, "config key '%s': %lld is outside %lld..%lld", key,
               (long long)*out, (long long)lo, (long long)hi);
        return -1;
    }
    return 0;
}

static int is_known_type(const char *t)
{
    for (size_t i = 0; i < sizeof known_types / sizeof known_types[0]; i++)
        if (strcmp(t, known_types[i]) == 0)
            return 1;
    return 0;
}

static int listed_before(const char *const *items, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (strcmp(items[j], items[i]) == 0)
            return 1;
    return 0;
}

/* QUOTE-BASE, upper-case letters and digits, as the host accepts them. */
static int is_market_code(const char *c)
{
    size_t n = strlen(c), dash = 0, pos = 0;
    if (n < 3 || n > MAX_CODE_LEN)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (c[i] == '-') {
            dash++;
            pos = i;
        } else if (!(c[i] >= 'A' && c[i] <= 'Z') && !(c[i] >= '0' && c[i] <= '9')) {
            return 0;
        }
    }
    return dash == 1 && pos > 0 && pos < n - 1;
}

static int read_types(rp *p)
{
    if (cfg_list(p, "types", &p->types, &p->n_types) != 0)
        return -1;
    for (size_t i = 0; i < p->n_types; i++) {
        if (!is_known_type(p->types[i])) {
            RP_LOG(p, UPWS_LOG_ERROR,
                   "config key 'types': unknown type '%s' (expected ticker, trade, orderbook, "
                   "candle.1s, candle.1m, candle.3m, candle.5m, candle.10m, candle.15m, "
                   "candle.30m, candle.60m or candle.240m)", p->types[i]);
            return -1;
        }
        if (listed_before(p->types, i)) {
            RP_LOG(p, UPWS_LOG_ERROR, "config key 'types': '%s' is listed twice", p->types[i]);
            return -1;
        }
    }
    return 0;
}

static int read_codes(rp *p)
{
    if (cfg_list(p, "codes", &p->codes, &p->n_codes) != 0)
        return -1;
    for (size_t i = 0; i < p->n_codes; i++) {
        if (!is_market_code(p->codes[i])) {
            RP_LOG(p, UPWS_LOG_ERROR,
                   "config key 'codes': '%s' is not an upper-case market code like KRW-BTC",
                   p->codes[i]);
            return -1;
        }
        if (listed_before(p->codes, i)) {
            RP_LOG(p, UPWS_LOG_ERROR, "config key 'codes': '%s' is listed twice", p->codes[i]);
            return -1;
        }
    }
    return 0;
}

static int read_numbers(rp *p)
{
    int64_t depth, maxlen, buffer, batch;
    if (cfg_int(p, "depth", DEFAULT_DEPTH, 1, 30, &depth) != 0 ||
        cfg_int(p, "maxlen", DEFAULT_MAXLEN, 0, MAX_MAXLEN, &maxlen) != 0 ||
        cfg_int(p, "buffer", DEFAULT_BUFFER, 1, MAX_BUFFER, &buffer) != 0 ||
        cfg_int(p, "batch", DEFAULT_BATCH, 1, MAX_BATCH, &batch) != 0)
        return -1;
    if (depth != 1 && depth != 5 && depth != 15 && depth != 30) {
        RP_LOG(p, UPWS_LOG_ERROR, "config key 'depth': %lld is not one of 1, 5, 15, 30",
               (long long)depth);
        return -1;
    }
    p->depth = (uint32_t)depth;
    p->maxlen = (uint64_t)maxlen;
    p->buffer = (size_t)buffer;
    p->batch_max = (size_t)batch;
    if (maxlen == 0)
        RP_LOG(p, UPWS_LOG_WARN, "config key 'maxlen': 0 — streams are never trimmed and grow "
                                 "until Redis runs out of memory");
    return 0;
}

static int read_url(rp *p)
{
    const char *url = DEFAULT_URL;
    int rc = p->api->config_str(p->ctx, "url", &url);
    if (rc == UPWS_ETYPE) {
        RP_LOG(p, UPWS_LOG_ERROR, "config key 'url': must be a string like redis://host:6379/0");
        return -1;
    }
    if (rc == UPWS_ENOENT)
        url = DEFAULT_URL;
    char err[160];
    if (rp_url_parse(url, &p->url, err, sizeof err) != 0) {
        RP_LOG(p, UPWS_LOG_ERROR, "config key 'url': %s", err);
        return -1;
    }
    return 0;
}

/* Walks a pattern. With out == NULL it only validates and reports which
 * placeholders occur; otherwise it writes the expansion (out must be big
 * enough: see rp_expand_key). Returns the expanded length, or -1 with *bad
 * pointing at the offending text. */
static long walk_pattern(const char *pat, const char *type, const char *code, char *out,
                         int *has_type, int *has_code, const char **bad)
{
    size_t n = 0;
    for (const char *s = pat; *s;) {
        const char *piece = s;
        size_t len = 1;
        if ((s[0] == '{' && s[1] == '{') || (s[0] == '}' && s[1] == '}')) {
            s += 2; /* "{{" → "{", "}}" → "}": room for Redis Cluster hash tags */
        } else if (strncmp(s, "{type}", 6) == 0) {
            piece = type;
            len = type ? strlen(type) : 0;
            *has_type = 1;
            s += 6;
        } else if (strncmp(s, "{code}", 6) == 0) {
            piece = code;
            len = code ? strlen(code) : 0;
            *has_code = 1;
            s += 6;
        } else if (s[0] == '{' || s[0] == '}') {
            *bad = s;
            return -1;
        } else {
            s++;
        }
        if (out && len)
            memcpy(out + n, piece, len);
        n += len;
    }
    if (out)
        out[n] = '\0';
    return (long)n;
}

char *rp_expand_key(const char *pattern, const char *type, const char *code, size_t *len)
{
    int ht = 0, hc = 0;
    const char *bad = NULL;
    long n = walk_pattern(pattern, type, code, NULL, &ht, &hc, &bad);
    if (n < 0)
        return NULL;
    char *out = malloc((size_t)n + 1);
    if (!out)
        return NULL;
    walk_pattern(pattern, type, code, out, &ht, &hc, &bad);
    *len = (size_t)n;
    return out;
}

static int read_pattern(rp *p)
{
    const char *pat = DEFAULT_PATTERN;
    int rc = p->api->config_str(p->ctx, "key_pattern", &pat);
    if (rc == UPWS_ETYPE) {
        RP_LOG(p, UPWS_LOG_ERROR, "config key 'key_pattern': must be a string like %s",
               DEFAULT_PATTERN);
        return -1;
    }
    if (rc == UPWS_ENOENT)
        pat = DEFAULT_PATTERN;
    if (!*pat || strlen(pat) > MAX_PATTERN) {
        RP_LOG(p, UPWS_LOG_ERROR, "config key 'key_pattern': must be 1..%d characters",
               MAX_PATTERN);
        return -1;
    }
    int has_type = 0, has_code = 0;
    const char *bad = NULL;
    if (walk_pattern(pat, NULL, NULL, NULL, &has_type, &has_code, &bad) < 0) {
        RP_LOG(p, UPWS_LOG_ERROR,
               "config key 'key_pattern': unexpected '%c' at '%.20s' (placeholders are {type} "
               "and {code}; write {{ and }} for literal braces)", *bad, bad);
        return -1;
    }
    /* Two streams must never share a key, or their IDs and fields would mix. */
    if ((p->n_types > 1 && !has_type) || (p->n_codes > 1 && !has_code)) {
        RP_LOG(p, UPWS_LOG_ERROR,
               "config key 'key_pattern': '%s' must contain %s so that every (type, code) "
               "gets its own stream", pat,
               p->n_types > 1 && !has_type ? "{type}" : "{code}");
        return -1;
    }
    p->key_pattern = pat;
    return 0;
}

int rp_read_config(rp *p)
{
    if (read_types(p) != 0 || read_codes(p) != 0 || read_numbers(p) != 0 ||
        read_pattern(p) != 0)
        return -1;
    return read_url(p);
}
