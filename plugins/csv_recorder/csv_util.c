/*
 * csv_util.c — see csv_util.h.
 */
#include "csv_util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

/* ---- buffer ------------------------------------------------------------ */

int csv_buf_reserve(csv_buf *b, size_t extra)
{
    if (b->cap - b->len >= extra)
        return 0;
    size_t need = b->len + extra;
    if (need < b->len)
        return -1; /* overflow */
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p)
        return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

int csv_buf_put(csv_buf *b, const char *s, size_t n)
{
    if (csv_buf_reserve(b, n) != 0)
        return -1;
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    return 0;
}

void csv_buf_consume(csv_buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
}

void csv_buf_free(csv_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* ---- CSV cells --------------------------------------------------------- */

static int needs_quotes(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == ',' || c == '"' || c == '\r' || c == '\n')
            return 1;
    }
    return 0;
}

int csv_put_text(csv_buf *b, const char *s, size_t n)
{
    if (!needs_quotes(s, n))
        return csv_buf_put(b, s, n);
    size_t quotes = 0;
    for (size_t i = 0; i < n; i++)
        quotes += s[i] == '"';
    if (csv_buf_reserve(b, n + quotes + 2) != 0)
        return -1;
    char *o = b->p + b->len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            *o++ = '"';
        *o++ = s[i];
    }
    *o++ = '"';
    b->len = (size_t)(o - b->p);
    return 0;
}

/* ---- JSON string unescaping ------------------------------------------- */

static int hex4(const char *s, size_t n, unsigned *out)
{
    if (n < 4)
        return -1;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return -1;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

static int put_utf8(csv_buf *b, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | cp >> 6);
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12);
        u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | cp >> 18);
        u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
        u[2] = (char)(0x80 | (cp >> 6 & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return csv_buf_put(b, u, n);
}

/* Decode one \uXXXX (s points after "\u"; surrogate pairs joined). Returns
 * how many bytes of s were used, or 0 when the escape is not usable — the
 * caller then keeps it verbatim (a NUL byte has no place in a CSV file). */
static size_t unescape_u(const char *s, size_t n, csv_buf *out, int *err)
{
    unsigned cp, lo;
    if (hex4(s, n, &cp) != 0 || cp == 0)
        return 0;
    size_t used = 4;
    if (cp >= 0xD800 && cp <= 0xDBFF && n >= 10 && s[4] == '\\' && s[5] == 'u' &&
        hex4(s + 6, n - 6, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        used = 10;
    } else if (cp >= 0xD800 && cp <= 0xDFFF) {
        cp = 0xFFFD; /* lone surrogate */
    }
    *err = put_utf8(out, cp);
    return used;
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

/* JSON string body (escapes as received) → its text. Malformed escapes are
 * kept verbatim rather than lost. */
static int json_unescape(const char *s, size_t n, csv_buf *out)
{
    out->len = 0;
    size_t i = 0;
    while (i < n) {
        const char *bs = memchr(s + i, '\\', n - i);
        size_t run = bs ? (size_t)(bs - (s + i)) : n - i;
        if (csv_buf_put(out, s + i, run) != 0)
            return -1;
        i += run;
        if (i >= n)
            break;
        if (i + 1 >= n)
            return csv_buf_put(out, "\\", 1);
        char c = simple_escape(s[i + 1]);
        if (c) {
            if (csv_buf_put(out, &c, 1) != 0)
                return -1;
            i += 2;
            continue;
        }
        int err = 0;
        size_t used = s[i + 1] == 'u' ? unescape_u(s + i + 2, n - i - 2, out, &err) : 0;
        if (err)
            return -1;
        if (used) {
            i += 2 + used;
            continue;
        }
        if (csv_buf_put(out, s + i, 2) != 0)
            return -1;
        i += 2;
    }
    return 0;
}

int csv_put_val(csv_buf *b, const upws_val *v, csv_buf *scratch)
{
    if (!v->text)
        return 0;
    switch (v->kind) {
    case UPWS_VAL_NUMBER:
    case UPWS_VAL_BOOL:
        /* Verbatim: the recorder must never re-format a number. */
        return csv_buf_put(b, v->text, v->len);
    case UPWS_VAL_STRING:
        if (!memchr(v->text, '\\', v->len))
            return csv_put_text(b, v->text, v->len);
        if (json_unescape(v->text, v->len, scratch) != 0)
            return -1;
        return csv_put_text(b, scratch->p, scratch->len);
    case UPWS_VAL_OBJECT:
    case UPWS_VAL_ARRAY:
        return csv_put_text(b, v->text, v->len);
    default:
        return 0; /* absent or null: empty cell */
    }
}

/* ---- time -------------------------------------------------------------- */

int64_t csv_utc_day(int64_t ms)
{
    const int64_t day_ms = 86400000;
    int64_t d = ms / day_ms;
    if (ms % day_ms < 0)
        d--;
    return d;
}

/* Civil date of a day number (H. Hinnant's days→civil algorithm). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static void put_digits(char *o, unsigned v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        o[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

void csv_day_str(int64_t day, char out[11])
{
    int64_t y;
    unsigned m, d;
    civil_from_days(day, &y, &m, &d);
    if (y < 0)
        y = 0;
    if (y > 9999)
        y = 9999;
    put_digits(out, (unsigned)y, 4);
    out[4] = '-';
    put_digits(out + 5, m, 2);
    out[7] = '-';
    put_digits(out + 8, d, 2);
    out[10] = '\0';
}

static int64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t csv_mono_ns(void) { return clock_ns(CLOCK_MONOTONIC); }
int64_t csv_wall_ns(void) { return clock_ns(CLOCK_REALTIME); }

/* ---- filesystem -------------------------------------------------------- */

int csv_mkdir_p(const char *dir)
{
    size_t n = strlen(dir);
    char *p = malloc(n + 1);
    if (!p)
        return ENOMEM;
    memcpy(p, dir, n + 1);
    /* Errors on the way are ignored on purpose: an existing parent we may not
     * write to (e.g. /home) fails with EACCES, yet the final stat decides. */
    int last = 0;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST)
            last = errno;
        *s = '/';
    }
    if (mkdir(p, 0755) != 0 && errno != EEXIST)
        last = errno;
    struct stat st;
    int rc = 0;
    if (stat(p, &st) != 0)
        rc = last ? last : errno;
    else if (!S_ISDIR(st.st_mode))
        rc = ENOTDIR;
    free(p);
    return rc;
}

const char *csv_strerror(int err, char *buf, size_t n)
{
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
    return strerror_r(err, buf, n); /* GNU variant: may return a static string */
#else
    if (strerror_r(err, buf, n) != 0)
        return "unknown error";
    return buf;
#endif
}
