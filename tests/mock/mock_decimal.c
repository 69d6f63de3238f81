/* See mock_decimal.h. Products of two scaled values need 128 bits. */
#include "mock_decimal.h"

#include <string.h>

__extension__ typedef __int128 wide;

int dec_parse(const char *s, int64_t *out)
{
    if (!s || !*s)
        return -1;
    int neg = *s == '-';
    s += neg;
    wide v = 0;
    int digits = 0, decimals = -1;
    for (; *s; s++) {
        if (*s == '.' && decimals < 0) {
            decimals = 0;
            continue;
        }
        if (*s < '0' || *s > '9' || decimals >= 8 || v > (wide)INT64_MAX)
            return -1;
        v = v * 10 + (*s - '0');
        digits++;
        decimals += decimals >= 0;
    }
    for (int d = decimals < 0 ? 0 : decimals; d < 8; d++)
        v *= 10;
    if (!digits || v > (wide)INT64_MAX)
        return -1;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return 0;
}

size_t dec_text(int64_t v, char out[DEC_TEXT_MAX])
{
    char tmp[DEC_TEXT_MAX];
    size_t n = 0, o = 0;
    uint64_t a = v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + a % 10);
        a /= 10;
    } while (a || n <= 8);   /* at least one integer digit before the 8 decimals */
    size_t frac_end = 0;     /* trailing zeros of the fraction are dropped */
    while (frac_end < 8 && tmp[frac_end] == '0')
        frac_end++;
    if (v < 0)
        out[o++] = '-';
    for (size_t i = n; i-- > 8;)
        out[o++] = tmp[i];
    if (frac_end < 8) {
        out[o++] = '.';
        for (size_t i = 8; i-- > frac_end;)
            out[o++] = tmp[i];
    }
    out[o] = 0;
    return o;
}

static int64_t narrow(wide v, int *ok)
{
    if (v > (wide)INT64_MAX || v < (wide)INT64_MIN) {
        *ok = 0;
        return 0;
    }
    return (int64_t)v;
}

int64_t dec_mul(int64_t a, int64_t b, int *ok)
{
    return narrow((wide)a * b / DEC_SCALE, ok);
}

int64_t dec_div(int64_t a, int64_t b, int *ok)
{
    if (b == 0) {
        *ok = 0;
        return 0;
    }
    return narrow((wide)a * DEC_SCALE / b, ok);
}
