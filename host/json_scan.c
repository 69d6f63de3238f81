/* json_scan.c — see json_scan.h. */
#include "json_scan.h"

#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#define JSON_SSE2 1
#endif

_Static_assert(JSON_MAX_DEPTH <= 64, "the container stack is one uint64_t bitmask");

/* ---- low-level scanners: (p, end) in, next position out, NULL on error ---- */

static inline int json_is_ws(char ch)
{
    return ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t';
}

static inline const char *json_ws(const char *p, const char *end)
{
    while (p < end && (unsigned char)*p <= ' ' && json_is_ws(*p))   /* most bytes fail the first test */
        p++;
    return p;
}

static int json_fail(json_cur *c, const char *why)
{
    if (!c->err)
        c->err = why;
    return -1;
}

static int json_hex(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Bytes that end the plain run of a string: quote, backslash, controls. */
static const unsigned char json_str_stop[256] = {
    [0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1, [0x06] = 1,
    [0x07] = 1, [0x08] = 1, [0x09] = 1, [0x0A] = 1, [0x0B] = 1, [0x0C] = 1, [0x0D] = 1,
    [0x0E] = 1, [0x0F] = 1, [0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1, [0x14] = 1,
    [0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1, [0x19] = 1, [0x1A] = 1, [0x1B] = 1,
    [0x1C] = 1, [0x1D] = 1, [0x1E] = 1, [0x1F] = 1, ['"'] = 1, ['\\'] = 1,
};

/* The escape at p (on the backslash); returns the byte after it, or NULL
 * with the reason in *why. */
static const char *json_scan_escape(const char *p, const char *end, const char **why)
{
    *why = "truncated string";
    if (end - p < 2)
        return NULL;
    char e = p[1];
    if (e != 'u') {
        if (e && strchr("\"\\/bfnrt", e))
            return p + 2;
        *why = "bad escape";
        return NULL;
    }
    if (end - p < 6)
        return NULL;
    for (int i = 2; i < 6; i++)
        if (json_hex(p[i]) < 0) {
            *why = "bad \\u escape";
            return NULL;
        }
    return p + 6;
}

#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define JSON_SWAR 1
#endif

/* Skips plain string bytes (not quote, backslash or control), eight at a
 * time where it can with the classic "has zero byte" tests: the lowest byte
 * they flag is always a true hit (false flags only sit above a true one),
 * so its position comes straight from the lowest set bit. */
static const char *json_str_run(const char *p, const char *end)
{
#ifdef JSON_SWAR
    const uint64_t ones = UINT64_C(0x0101010101010101), high = UINT64_C(0x8080808080808080);
    while (end - p >= 8) {
        uint64_t x, q, b, hit;
        memcpy(&x, p, 8);
        q = x ^ (ones * '"');
        b = x ^ (ones * '\\');
        hit = (((q - ones) & ~q) | ((b - ones) & ~b) | ((x - ones * 0x20) & ~x)) & high;
        if (hit)
            return p + (__builtin_ctzll(hit) >> 3);
        p += 8;
    }
#endif
    while (p < end && !json_str_stop[(unsigned char)*p])
        p++;
    return p;
}

/* The general string scan from p (inside the string that starts at s):
 * escapes, the last bytes before `end`, errors. */
static const char *json_string_rest(const char *s, const char *p, const char *end, int escaped,
                                    json_span *out, const char **why)
{
    for (;;) {
        p = json_str_run(p, end);
        if (p == end)
            break;
        if (*p == '"') {
            if (out)
                *out = (json_span){s, (size_t)(p - s), JSON_STRING, escaped};
            return p + 1;
        }
        if (*p != '\\') {
            *why = "control character in string";
            return NULL;
        }
        escaped = 1;
        p = json_scan_escape(p, end, why);
        if (!p)
            return NULL;
    }
    *why = "truncated string";
    return NULL;
}

/* p is on the opening quote. Keys and values are nearly all plain and
 * shorter than 16 bytes, so the common case is one SSE2 compare that finds
 * the closing quote; it is kept small enough to inline, and everything
 * else (escapes, the last 15 bytes of the buffer) goes to the general
 * scan. Never reads at or past `end`. */
static inline const char *json_scan_string(const char *p, const char *end, json_span *out,
                                           const char **why)
{
    const char *s = ++p;
#ifdef JSON_SSE2
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'), ctl = _mm_set1_epi8(0x1F);
    while (end - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        /* x <= 0x1F unsigned  <=>  min(x, 0x1F) == x */
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)),
                                   _mm_cmpeq_epi8(_mm_min_epu8(x, ctl), x));
        unsigned bits = (unsigned)_mm_movemask_epi8(hit);
        if (bits) {
            p += __builtin_ctz(bits);
            if (*p != '"')
                break;
            if (out)
                *out = (json_span){s, (size_t)(p - s), JSON_STRING, 0};
            return p + 1;
        }
        p += 16;
    }
#endif
    return json_string_rest(s, p, end, 0, out, why);
}

#ifdef JSON_SWAR
/* 1 when all eight bytes of v are ASCII digits: the lowest byte that is not
 * one sets its own high bit in one of the two terms (fast_float's test). */
static inline int json_eight_digits(uint64_t v)
{
    return !(((v + UINT64_C(0x4646464646464646)) | (v - UINT64_C(0x3030303030303030))) &
             UINT64_C(0x8080808080808080));
}

/* The value of eight ASCII digits (first byte most significant), in three
 * multiplies instead of eight dependent multiply-adds. */
static inline uint64_t json_eight_value(uint64_t v)
{
    const uint64_t mask = UINT64_C(0x000000FF000000FF);
    v -= UINT64_C(0x3030303030303030);
    v = v * 10 + (v >> 8);
    return (((v & mask) * UINT64_C(0x000F424000000064)) +
            (((v >> 16) & mask) * UINT64_C(0x0000271000000001))) >> 32;
}
#endif

/* Prices and sizes carry 8-12 digits; whole words of digits go at once. */
static inline const char *json_digits(const char *p, const char *end)
{
#ifdef JSON_SWAR
    uint64_t v;
    while (end - p >= 8 && (memcpy(&v, p, 8), json_eight_digits(v)))
        p += 8;
#endif
    while (p < end && (unsigned char)(*p - '0') < 10)
        p++;
    return p;
}

/* Strict RFC 8259 number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static const char *json_scan_number(const char *p, const char *end, const char **why)
{
    *why = "bad number";
    if (p < end && *p == '-')
        p++;
    if (p == end || *p < '0' || *p > '9')
        return NULL;
    p = *p == '0' ? p + 1 : json_digits(p, end);
    if (p < end && *p == '.') {
        const char *f = ++p;
        p = json_digits(p, end);
        if (p == f)
            return NULL;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        const char *x = p;
        p = json_digits(p, end);
        if (p == x)
            return NULL;
    }
    return p;
}

static const char *json_scan_literal(const char *p, const char *end, const char *lit,
                                     const char **why)
{
    size_t n = strlen(lit);
    if ((size_t)(end - p) < n || memcmp(p, lit, n) != 0) {
        *why = (size_t)(end - p) < n ? "truncated literal" : "unexpected character";
        return NULL;
    }
    return p + n;
}

static inline json_kind json_kind_of(char ch)
{
    switch (ch) {
    case '{': return JSON_OBJECT;
    case '[': return JSON_ARRAY;
    case '"': return JSON_STRING;
    case 't': return JSON_TRUE;
    case 'f': return JSON_FALSE;
    case 'n': return JSON_NULL;
    default:
        return (ch == '-' || (ch >= '0' && ch <= '9')) ? JSON_NUMBER : JSON_NONE;
    }
}

/* One scalar at p (not a container). */
static inline const char *json_scan_scalar(const char *p, const char *end, json_span *out,
                                           const char **why)
{
    json_kind k = json_kind_of(*p);
    const char *q;
    switch (k) {
    case JSON_STRING: return json_scan_string(p, end, out, why);
    case JSON_NUMBER: q = json_scan_number(p, end, why); break;
    case JSON_TRUE: q = json_scan_literal(p, end, "true", why); break;
    case JSON_FALSE: q = json_scan_literal(p, end, "false", why); break;
    case JSON_NULL: q = json_scan_literal(p, end, "null", why); break;
    default:
        *why = "unexpected character";
        return NULL;
    }
    if (q && out)
        *out = (json_span){p, (size_t)(q - p), k, 0};
    return q;
}

/* After '{' or ',' inside an object: the key, the colon, and whitespace up
 * to the value. Returns the value's first byte. */
static const char *json_scan_key(const char *p, const char *end, json_span *key,
                                 const char **why)
{
    p = json_ws(p, end);
    if (p == end) {
        *why = "truncated object";
        return NULL;
    }
    if (*p != '"') {
        *why = "expected a key";
        return NULL;
    }
    p = json_scan_string(p, end, key, why);
    if (!p)
        return NULL;
    p = json_ws(p, end);
    if (p == end || *p != ':') {
        *why = p == end ? "truncated object" : "expected ':'";
        return NULL;
    }
    p = json_ws(p + 1, end);
    if (p == end) {
        *why = "truncated object";
        return NULL;
    }
    return p;
}

/* A whole object or array at p, without recursion: bit d of `objs` tells
 * whether open level d is an object. `base` levels are already open. */
static const char *json_scan_container(const char *p, const char *end, unsigned base,
                                       const char **why)
{
    uint64_t objs = 0;
    unsigned d = 0;
    for (;;) {
        /* p is on the first byte of a value */
        if (*p == '{' || *p == '[') {
            if (base + d + 1 > JSON_MAX_DEPTH) {
                *why = "nesting too deep";
                return NULL;
            }
            int is_obj = *p == '{';
            objs = is_obj ? objs | (UINT64_C(1) << d) : objs & ~(UINT64_C(1) << d);
            d++;
            const char *q = json_ws(p + 1, end);
            if (q == end) {
                *why = "truncated container";
                return NULL;
            }
            if (*q != (is_obj ? '}' : ']')) {
                p = is_obj ? json_scan_key(q, end, NULL, why) : q;
                if (!p)
                    return NULL;
                continue;
            }
            p = q + 1;
            d--;
        } else {
            p = json_scan_scalar(p, end, NULL, why);
            if (!p)
                return NULL;
        }
        /* after a value: close as many levels as the input closes */
        for (;;) {
            if (d == 0)
                return p;
            int is_obj = (objs >> (d - 1)) & 1;
            p = json_ws(p, end);
            if (p == end) {
                *why = "truncated container";
                return NULL;
            }
            if (*p == (is_obj ? '}' : ']')) {
                p++;
                d--;
                continue;
            }
            if (*p != ',') {
                *why = "expected ',' or a closing bracket";
                return NULL;
            }
            p = is_obj ? json_scan_key(p + 1, end, NULL, why) : json_ws(p + 1, end);
            if (!p)
                return NULL;
            if (p == end) {
                *why = "truncated array";
                return NULL;
            }
            break;
        }
    }
}

/* ---- cursor API ---- */

void json_init(json_cur *c, const char *buf, size_t len)
{
    c->p = buf;
    c->end = buf + len;
    c->err = NULL;
    c->depth = 0;
}

json_kind json_peek(json_cur *c)
{
    if (c->err)
        return JSON_NONE;
    c->p = json_ws(c->p, c->end);
    return c->p < c->end ? json_kind_of(*c->p) : JSON_NONE;
}

int json_value(json_cur *c, json_span *out)
{
    if (c->err)
        return -1;
    const char *p = json_ws(c->p, c->end);
    const char *why = "truncated input";
    if (p == c->end)
        return json_fail(c, why);
    const char *q;
    if (*p == '{' || *p == '[') {
        q = json_scan_container(p, c->end, c->depth, &why);
        if (q && out)
            *out = (json_span){p, (size_t)(q - p), *p == '{' ? JSON_OBJECT : JSON_ARRAY, 0};
    } else {
        q = json_scan_scalar(p, c->end, out, &why);
    }
    if (!q)
        return json_fail(c, why);
    c->p = q;
    return 0;
}

int json_end(json_cur *c)
{
    if (c->err)
        return -1;
    c->p = json_ws(c->p, c->end);
    return c->p == c->end ? 0 : json_fail(c, "trailing data after the value");
}

static int json_open(json_cur *c, json_it *it, char open)
{
    it->c = c;
    it->n = 0;
    if (c->err)
        return -1;
    c->p = json_ws(c->p, c->end);
    if (c->p == c->end)
        return json_fail(c, "truncated input");
    if (*c->p != open)
        return json_fail(c, open == '{' ? "expected an object" : "expected an array");
    if (c->depth + 1 > JSON_MAX_DEPTH)
        return json_fail(c, "nesting too deep");
    c->depth++;
    c->p++;
    return 0;
}

int json_obj_begin(json_cur *c, json_it *it) { return json_open(c, it, '{'); }
int json_arr_begin(json_cur *c, json_it *it) { return json_open(c, it, '['); }

/* Shared by obj/arr next: consumes the close or the separating comma.
 * Returns 0 at the close, 1 when another member follows, -1 on error.
 * `ws_after`: skip whitespace after the comma too (an object's key scan
 * does that itself: this is the decoder's innermost loop). */
static inline int json_next_sep(json_it *it, char close, int ws_after)
{
    json_cur *c = it->c;
    if (c->err)
        return -1;
    c->p = json_ws(c->p, c->end);
    if (c->p == c->end)
        return json_fail(c, "truncated container");
    if (*c->p == close) {
        c->p++;
        c->depth--;
        return 0;
    }
    if (it->n > 0) {
        if (*c->p != ',')
            return json_fail(c, "expected ',' or a closing bracket");
        c->p = ws_after ? json_ws(c->p + 1, c->end) : c->p + 1;
        if (c->p == c->end)
            return json_fail(c, "truncated container");
    }
    it->n++;
    return 1;
}

int json_obj_next(json_it *it, json_span *key)
{
    int r = json_next_sep(it, '}', 0);
    if (r <= 0)
        return r;
    json_cur *c = it->c;
    const char *why = NULL;
    const char *p = json_scan_key(c->p, c->end, key, &why);
    if (!p)
        return json_fail(c, why);
    c->p = p;
    return 1;
}

int json_arr_next(json_it *it)
{
    int r = json_next_sep(it, ']', 1);
    if (r <= 0)
        return r;
    if (*it->c->p == ']')   /* "[1,]" */
        return json_fail(it->c, "trailing comma");
    return 1;
}

int json_validate(const char *buf, size_t len, const char **why)
{
    json_cur c;
    json_init(&c, buf, len);
    if (json_value(&c, NULL) == 0 && json_end(&c) == 0)
        return 0;
    if (why)
        *why = c.err;
    return -1;
}

int json_find(const char *obj, size_t len, const char *key, size_t key_len, json_span *out)
{
    json_cur c;
    json_it it;
    json_span k;
    json_init(&c, obj, len);
    if (json_peek(&c) != JSON_OBJECT)
        return 0;
    if (json_obj_begin(&c, &it) < 0)
        return -1;
    int r;
    while ((r = json_obj_next(&it, &k)) == 1) {
        if (k.len == key_len && memcmp(k.p, key, key_len) == 0)
            return json_value(&c, out) == 0 ? 1 : -1;
        if (json_value(&c, NULL) < 0)
            return -1;
    }
    return r;
}

int json_at(const char *arr, size_t len, size_t index, json_span *out)
{
    json_cur c;
    json_it it;
    json_init(&c, arr, len);
    if (json_peek(&c) != JSON_ARRAY)
        return 0;
    if (json_arr_begin(&c, &it) < 0)
        return -1;
    int r;
    for (size_t i = 0; (r = json_arr_next(&it)) == 1; i++) {
        if (i == index)
            return json_value(&c, out) == 0 ? 1 : -1;
        if (json_value(&c, NULL) < 0)
            return -1;
    }
    return r;
}

int json_str_eq(const json_span *s, const char *lit, size_t lit_len)
{
    return s->kind == JSON_STRING && s->len == lit_len && memcmp(s->p, lit, lit_len) == 0;
}

/* ---- numbers ---- */

/* Exponents are clamped: beyond ±1e6 the value is 0 or out of every range. */
#define JSON_EXP_CLAMP 1000000L

static pthread_once_t json_locale_once = PTHREAD_ONCE_INIT;
static locale_t json_c_locale;

static void json_locale_init(void)
{
    json_c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

/* The general case: glibc's correctly rounded strtod, in the C locale so a
 * daemon that called setlocale() still reads '.' as the decimal point. */
static int json_double_slow(const char *p, size_t len, double *out)
{
    char buf[JSON_NUM_MAX + 1];
    if (len > JSON_NUM_MAX)
        return JSON_NUM_RANGE;
    memcpy(buf, p, len);
    buf[len] = '\0';
    pthread_once(&json_locale_once, json_locale_init);
    double v = json_c_locale ? strtod_l(buf, NULL, json_c_locale) : strtod(buf, NULL);
    if (isinf(v))
        return JSON_NUM_RANGE;
    *out = v;
    return JSON_NUM_OK;
}

/* One pass over the text: validates it and gathers up to 19 significant
 * digits in m, with value = m * 10^e10 exactly unless `inexact` (a non-zero
 * digit did not fit). */
typedef struct json_dec {
    uint64_t m;
    long e10;
    int neg, inexact;
} json_dec;

/* The general digit loop: keeps 19 significant digits, notes the rest. */
static void json_dec_digits(json_dec *d, const char *ip, size_t il, const char *fp, size_t fl)
{
    int nd = 0;
    for (size_t i = 0; i < il; i++) {
        if (nd < 19) {
            d->m = d->m * 10 + (uint64_t)(ip[i] - '0');
            nd += d->m != 0;
        } else {
            d->e10++;
            d->inexact |= ip[i] != '0';
        }
    }
    for (size_t i = 0; i < fl; i++) {
        if (nd < 19) {
            d->m = d->m * 10 + (uint64_t)(fp[i] - '0');
            nd += d->m != 0;   /* leading zeros of 0.000x are not significant */
            d->e10--;
        } else {
            d->inexact |= fp[i] != '0';
        }
    }
}

/* Digits at p, accumulated into *m on the way (wrapping is harmless: the
 * caller redoes the sum with json_dec_digits when there are > 19). */
static const char *json_dec_run(const char *p, const char *end, uint64_t *m)
{
    uint64_t v = *m, w;
#ifdef JSON_SWAR
    while (end - p >= 8 && (memcpy(&w, p, 8), json_eight_digits(w))) {
        v = v * 100000000u + json_eight_value(w);
        p += 8;
    }
#else
    (void)w;
#endif
    for (; p < end && (unsigned char)(*p - '0') < 10; p++)
        v = v * 10 + (uint64_t)(*p - '0');
    *m = v;
    return p;
}

static int json_dec_parse(const char *p, const char *end, json_dec *d)
{
    *d = (json_dec){0, 0, 0, 0};
    if (p < end && *p == '-') {
        d->neg = 1;
        p++;
    }
    const char *ip = p, *fp = NULL;
    if (p == end || (unsigned char)(*p - '0') >= 10)
        return JSON_NUM_SYNTAX;
    p = *p == '0' ? p + 1 : json_dec_run(p, end, &d->m);
    size_t il = (size_t)(p - ip), fl = 0;
    if (p < end && *p == '.') {
        fp = ++p;
        p = json_dec_run(p, end, &d->m);
        fl = (size_t)(p - fp);
        if (fl == 0)
            return JSON_NUM_SYNTAX;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        int eneg = 0;
        long x = 0;
        if (++p < end && (*p == '+' || *p == '-'))
            eneg = *p++ == '-';
        const char *f = p;
        for (; p < end && (unsigned char)(*p - '0') < 10; p++)
            if (x < JSON_EXP_CLAMP)
                x = x * 10 + (*p - '0');
        if (p == f)
            return JSON_NUM_SYNTAX;
        d->e10 = eneg ? -x : x;
    }
    if (p != end)
        return JSON_NUM_SYNTAX;
    if (il + fl <= 19) {   /* ≤ 19 digits: the running sum is exact */
        d->e10 -= (long)fl;
        return JSON_NUM_OK;
    }
    d->m = 0;
    json_dec_digits(d, ip, il, fp, fl);
    return JSON_NUM_OK;
}

int json_int64(const char *p, size_t len, int64_t *out)
{
    json_dec d;
    if (json_dec_parse(p, p + len, &d) != JSON_NUM_OK)
        return JSON_NUM_SYNTAX;
    if (d.inexact)   /* a non-zero digit past the 19th: ≥ 1e19 or fractional */
        return d.e10 > 0 ? JSON_NUM_RANGE : JSON_NUM_FRACTION;
    if (d.m == 0) {
        *out = 0;
        return JSON_NUM_OK;
    }
    while (d.e10 < 0 && d.m % 10 == 0) {   /* "1700.00", "1.7E3" */
        d.m /= 10;
        d.e10++;
    }
    if (d.e10 < 0)
        return JSON_NUM_FRACTION;
    for (long i = 0; i < d.e10; i++) {
        if (d.m > UINT64_MAX / 10)
            return JSON_NUM_RANGE;
        d.m *= 10;
    }
    uint64_t limit = d.neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (d.m > limit)
        return JSON_NUM_RANGE;
    *out = d.neg ? (int64_t)(0 - d.m) : (int64_t)d.m;
    return JSON_NUM_OK;
}

#ifdef __SIZEOF_INT128__
__extension__ typedef unsigned __int128 json_u128;

/* 2^-s as a double, for 0 <= s <= 1022: exact, so scaling by it is too. */
static inline double json_pow2_neg(int s)
{
    uint64_t bits = (uint64_t)(1023 - s) << 52;
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

/* m * 10^e10 correctly rounded, for m < 2^64 and -19 <= e10 <= 19, in
 * integer arithmetic: the one conversion to double (an integer of at most
 * 128 bits) is the one rounding. For a negative exponent the quotient
 * m * 2^s / 10^k carries ≥ 62 bits and a sticky bit for a non-zero
 * remainder, which rounds exactly like the infinite quotient would. This
 * keeps 17-19 digit values (acc_trade_price_24h) off strtod. */
static double json_exact128(uint64_t m, long e10)
{
    static const uint64_t pow10u[20] = {
        UINT64_C(1), UINT64_C(10), UINT64_C(100), UINT64_C(1000), UINT64_C(10000), UINT64_C(100000),
        UINT64_C(1000000), UINT64_C(10000000), UINT64_C(100000000), UINT64_C(1000000000),
        UINT64_C(10000000000), UINT64_C(100000000000), UINT64_C(1000000000000),
        UINT64_C(10000000000000), UINT64_C(100000000000000), UINT64_C(1000000000000000),
        UINT64_C(10000000000000000), UINT64_C(100000000000000000), UINT64_C(1000000000000000000),
        UINT64_C(10000000000000000000)};
    if (e10 >= 0)
        return (double)((json_u128)m * pow10u[e10]);
    int s = 127 - (64 - __builtin_clzll(m));   /* m << s lies in [2^126, 2^127) */
    json_u128 n = (json_u128)m << s, d = pow10u[-e10];
    json_u128 q = n / d;
    q |= (n % d) != 0;
    return (double)q * json_pow2_neg(s);
}
#endif

int json_double(const char *p, size_t len, double *out)
{
    static const double pow10[] = {
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    json_dec d;
    if (json_dec_parse(p, p + len, &d) != JSON_NUM_OK)
        return JSON_NUM_SYNTAX;
    if (d.m == 0 && !d.inexact) {
        *out = d.neg ? -0.0 : 0.0;
        return JSON_NUM_OK;
    }
    /* Trailing zeros ("100473000.00000000") only scale: drop them so m fits. */
    if (!d.inexact && (d.m > (UINT64_C(1) << 53) || d.e10 < -22)) {
        while (d.m % 10 == 0) {
            d.m /= 10;
            d.e10++;
        }
    }
    /* Fast path (Clinger): m and 10^|e10| are both exact doubles, so one
     * IEEE multiply or divide gives the correctly rounded result. This
     * covers nearly every price and size Upbit sends. */
    int clinger = d.m <= (UINT64_C(1) << 53) && d.e10 >= -22 && d.e10 <= 22;
#ifdef __SIZEOF_INT128__
    if (!d.inexact && !clinger && d.e10 >= -19 && d.e10 <= 19) {
        double v = json_exact128(d.m, d.e10);
        *out = d.neg ? -v : v;
        return JSON_NUM_OK;
    }
#endif
    if (d.inexact || !clinger)
        return json_double_slow(p, len, out);
    double v = (double)d.m;
    v = d.e10 < 0 ? v / pow10[-d.e10] : v * pow10[d.e10];
    *out = d.neg ? -v : v;
    return JSON_NUM_OK;
}

/* ---- strings ---- */

static size_t json_utf8_put(uint32_t cp, char *b)
{
    if (cp < 0x80) {
        b[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    b[0] = (char)(0xF0 | (cp >> 18));
    b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    b[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static int json_hex4(const char *p, const char *end, uint32_t *cp)
{
    if (end - p < 4)
        return -1;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int h = json_hex(p[i]);
        if (h < 0)
            return -1;
        v = v << 4 | (uint32_t)h;
    }
    *cp = v;
    return 0;
}

/* One escape at p (on the backslash) → UTF-8 bytes in b; returns the input
 * bytes used (at least 1). */
static size_t json_unescape_one(const char *p, const char *end, char *b, size_t *n)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    *n = 1;
    b[0] = '?';
    if (end - p < 2)
        return 1;
    const char *hit = p[1] ? strchr(from, p[1]) : NULL;
    if (hit) {
        b[0] = to[hit - from];
        return 2;
    }
    uint32_t cp, lo;
    if (p[1] != 'u' || json_hex4(p + 2, end, &cp) < 0)
        return 2;
    size_t used = 6;
    if (cp >= 0xD800 && cp < 0xDC00) {   /* high surrogate: needs its pair */
        if (end - p >= 12 && p[6] == '\\' && p[7] == 'u' &&
            json_hex4(p + 8, end, &lo) == 0 && lo >= 0xDC00 && lo < 0xE000) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            used = 12;
        } else {
            return used;
        }
    } else if (cp >= 0xDC00 && cp < 0xE000) {
        return used;
    }
    *n = json_utf8_put(cp, b);
    return used;
}

/* Length of the UTF-8 sequence a lead byte announces (1 for ASCII/invalid). */
static size_t json_utf8_len(unsigned char lead)
{
    if (lead >= 0xF0)
        return 4;
    if (lead >= 0xE0)
        return 3;
    if (lead >= 0xC0)
        return 2;
    return 1;
}

size_t json_unescape(const char *p, size_t len, char *dst, size_t cap)
{
    const char *end = p + len;
    size_t o = 0;
    if (cap == 0)
        return 0;
    while (p < end) {
        char b[4];
        size_t n = 1;
        if (*p == '\\') {
            p += json_unescape_one(p, end, b, &n);
        } else {
            n = json_utf8_len((unsigned char)*p);
            if (n > (size_t)(end - p))
                n = 1;
            memcpy(b, p, n);
            p += n;
        }
        if (o + n > cap - 1)   /* whole characters only */
            break;
        memcpy(dst + o, b, n);
        o += n;
    }
    dst[o] = '\0';
    return o;
}
