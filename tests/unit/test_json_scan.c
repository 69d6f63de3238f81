/* test_json_scan.c — the zero-allocation JSON scanner: grammar, spans, limits, numbers. */
#include "json_scan.h"
#include "check.h"

#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Validates a copy of exactly len bytes, so ASan sees any read past the end. */
static int valid_n(const char *s, size_t len)
{
    char *b = malloc(len ? len : 1);
    b[0] = '\0';
    memcpy(b, s, len);
    int r = json_validate(b, len, NULL);
    free(b);
    return r == 0;
}

static int valid(const char *s) { return valid_n(s, strlen(s)); }

static void test_grammar(void)
{
    static const char *good[] = {
        "{}", "[]", " {} ", "\n\t[ ]\r\n", "0", "-0", "1.5", "-1.5e+10", "1E8", "7.9276E-4",
        "\"\"", "\"a\\\"b\"", "\"\\u00e9\\uD83D\\uDE00\"", "true", "false", "null",
        "{\"a\":1,\"b\":[1,2,{\"c\":null}],\"d\":\"x\"}", "[[],{},[{}]]",
        "\"\xea\xb0\x80\"", "{\"a\" : 1 , \"b\" : true}",
    };
    static const char *bad[] = {
        "", " ", "{", "}", "[", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]", "[,1]", "{,}",
        "01", "1.", ".5", "-", "1e", "1e+", "+1", "0x10", "tru", "nul", "falsey", "True",
        "\"abc", "\"\\x\"", "\"\\u12G4\"", "\"\\u12\"", "[1 2]", "{\"a\" 1}", "{1:2}",
        "\"a\nb\"", "1 2", "{}}", "[]]", "{\"a\":1}x", "NaN", "Infinity", "'a'",
        "{\"a\":1 \"b\":2}", "[\"a\":1]", "{\"a\",1}",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int ok = valid(good[i]);
        CHECK(ok);
        if (!ok)
            fprintf(stderr, "  rejected: %s\n", good[i]);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int ok = valid(bad[i]);
        CHECK(!ok);
        if (ok)
            fprintf(stderr, "  accepted: %s\n", bad[i]);
    }
    /* NUL bytes are never valid JSON, inside strings or out. */
    CHECK(!valid_n("\"a\0b\"", 5));
    CHECK(!valid_n("{}\0", 3));
    CHECK(!valid_n("[1,\0]", 5));
    const char *why = NULL;
    CHECK(json_validate("[1,", 3, &why) < 0 && why != NULL);
}

static void test_truncation(void)
{
    const char *doc = "{\"a\":[1,-2.5e3,\"x\\\"y\",true,false,null,{\"b\":{}}],\"c\":\"\\u00e9\"}";
    size_t n = strlen(doc);
    CHECK(valid_n(doc, n));
    for (size_t i = 0; i < n; i++)
        CHECK(!valid_n(doc, i));
}

static void nest(char *b, size_t depth, const char *open, const char *close)
{
    size_t o = 0;
    for (size_t i = 0; i < depth; i++)
        o += (size_t)sprintf(b + o, "%s", open);
    for (size_t i = 0; i < depth; i++)
        o += (size_t)sprintf(b + o, "%s", close);
}

static void test_depth(void)
{
    static char b[10000 * 6 + 16];
    nest(b, JSON_MAX_DEPTH, "[", "]");
    CHECK(valid(b));
    nest(b, JSON_MAX_DEPTH + 1, "[", "]");
    CHECK(!valid(b));
    nest(b, JSON_MAX_DEPTH, "{\"a\":", "}");
    /* innermost {"a": needs a value: the closing braces give none */
    CHECK(!valid(b));
    /* 10000 levels: rejected without touching the stack */
    memset(b, '[', 10000);
    b[10000] = '\0';
    CHECK(!valid(b));
    nest(b, 10000, "{\"a\":", "}");
    CHECK(!valid(b));
    /* depth is counted across *_begin and json_value */
    json_cur c;
    json_it it;
    nest(b, JSON_MAX_DEPTH, "[", "]");
    json_init(&c, b, strlen(b));
    CHECK(json_arr_begin(&c, &it) == 0);
    CHECK(json_arr_next(&it) == 1);
    CHECK(json_value(&c, NULL) == 0);
    nest(b, JSON_MAX_DEPTH + 1, "[", "]");
    json_init(&c, b, strlen(b));
    CHECK(json_arr_begin(&c, &it) == 0);
    CHECK(json_arr_next(&it) == 1);
    CHECK(json_value(&c, NULL) < 0 && c.err && strstr(c.err, "deep"));
}

static void test_iterate(void)
{
    const char *doc = " {\"k\\\"1\": \"v\\n\" , \"n\":-12.50e1,\"o\":{\"x\":[1,2]},\"t\":true,\"z\":null} ";
    json_cur c;
    json_it it;
    json_span k, v;
    json_init(&c, doc, strlen(doc));
    CHECK(json_peek(&c) == JSON_OBJECT);
    CHECK(json_obj_begin(&c, &it) == 0);
    CHECK(json_obj_next(&it, &k) == 1);
    CHECK(k.kind == JSON_STRING && k.escaped && k.len == 4 && memcmp(k.p, "k\\\"1", 4) == 0);
    CHECK(json_value(&c, &v) == 0);
    CHECK(v.kind == JSON_STRING && v.len == 3 && memcmp(v.p, "v\\n", 3) == 0);
    CHECK(json_obj_next(&it, &k) == 1 && json_str_eq(&k, "n", 1) && !k.escaped);
    CHECK(json_value(&c, &v) == 0);
    CHECK(v.kind == JSON_NUMBER && v.len == 8 && memcmp(v.p, "-12.50e1", 8) == 0);
    CHECK(json_obj_next(&it, &k) == 1 && json_str_eq(&k, "o", 1));
    CHECK(json_peek(&c) == JSON_OBJECT);
    CHECK(json_value(&c, &v) == 0);
    CHECK(v.kind == JSON_OBJECT && v.len == 11 && memcmp(v.p, "{\"x\":[1,2]}", 11) == 0);
    CHECK(json_obj_next(&it, &k) == 1 && json_value(&c, &v) == 0 && v.kind == JSON_TRUE);
    CHECK(json_obj_next(&it, &k) == 1 && json_value(&c, &v) == 0 && v.kind == JSON_NULL);
    CHECK(json_obj_next(&it, &k) == 0);
    CHECK(json_end(&c) == 0);
    CHECK(c.depth == 0);

    /* the error sticks */
    json_init(&c, "{\"a\":1 \"b\":2}", 13);
    CHECK(json_obj_begin(&c, &it) == 0);
    CHECK(json_obj_next(&it, &k) == 1 && json_value(&c, NULL) == 0);
    CHECK(json_obj_next(&it, &k) == -1 && c.err != NULL);
    CHECK(json_value(&c, &v) == -1);
    CHECK(json_peek(&c) == JSON_NONE);

    /* arrays */
    json_init(&c, "[1, \"a\", []]", 12);
    CHECK(json_arr_begin(&c, &it) == 0);
    int n = 0;
    while (json_arr_next(&it) == 1 && json_value(&c, NULL) == 0)
        n++;
    CHECK(n == 3 && c.err == NULL && json_end(&c) == 0);
    json_init(&c, "[1,]", 4);
    CHECK(json_arr_begin(&c, &it) == 0 && json_arr_next(&it) == 1 && json_value(&c, NULL) == 0);
    CHECK(json_arr_next(&it) == -1);
    json_init(&c, "[1", 2);
    CHECK(json_arr_begin(&c, &it) == 0 && json_arr_next(&it) == 1 && json_value(&c, NULL) == 0);
    CHECK(json_arr_next(&it) == -1);
    json_init(&c, "{\"a\":1}", 7);
    CHECK(json_arr_begin(&c, &it) == -1);
}

static void test_find(void)
{
    const char *o = "{\"a\":1,\"b\":{\"a\":2},\"c\":[10,\"x\",{}],\"a\":3}";
    json_span v;
    CHECK(json_find(o, strlen(o), "a", 1, &v) == 1 && v.len == 1 && v.p[0] == '1');
    CHECK(json_find(o, strlen(o), "b", 1, &v) == 1 && v.kind == JSON_OBJECT);
    CHECK(json_find(o, strlen(o), "zz", 2, &v) == 0);
    CHECK(json_find("[1]", 3, "a", 1, &v) == 0);
    CHECK(json_find("{\"a\":", 5, "a", 1, &v) == -1);
    CHECK(json_find(o, strlen(o), "c", 1, &v) == 1);
    json_span e;
    CHECK(json_at(v.p, v.len, 0, &e) == 1 && e.len == 2 && memcmp(e.p, "10", 2) == 0);
    CHECK(json_at(v.p, v.len, 1, &e) == 1 && json_str_eq(&e, "x", 1));
    CHECK(json_at(v.p, v.len, 2, &e) == 1 && e.kind == JSON_OBJECT);
    CHECK(json_at(v.p, v.len, 3, &e) == 0);
    CHECK(json_at("{}", 2, 0, &e) == 0);
}

static int i64(const char *s, int64_t *v) { return json_int64(s, strlen(s), v); }

static void test_int64(void)
{
    int64_t v = -7;
    CHECK(i64("17303368620800006", &v) == JSON_NUM_OK && v == INT64_C(17303368620800006));
    CHECK(i64("17877285547970000", &v) == JSON_NUM_OK && v == INT64_C(17877285547970000));
    CHECK(i64("9223372036854775807", &v) == JSON_NUM_OK && v == INT64_MAX);
    CHECK(i64("-9223372036854775808", &v) == JSON_NUM_OK && v == INT64_MIN);
    CHECK(i64("9223372036854775808", &v) == JSON_NUM_RANGE);
    CHECK(i64("-9223372036854775809", &v) == JSON_NUM_RANGE);
    CHECK(i64("99999999999999999999999", &v) == JSON_NUM_RANGE);
    CHECK(i64("1.7E3", &v) == JSON_NUM_OK && v == 1700);
    CHECK(i64("1700.00", &v) == JSON_NUM_OK && v == 1700);
    CHECK(i64("1.7303368620800006E16", &v) == JSON_NUM_OK && v == INT64_C(17303368620800006));
    CHECK(i64("17303368620800006.000000000000000000000000", &v) == JSON_NUM_OK &&
          v == INT64_C(17303368620800006));
    CHECK(i64("1676965262177", &v) == JSON_NUM_OK && v == INT64_C(1676965262177));
    CHECK(i64("1.5", &v) == JSON_NUM_FRACTION);
    CHECK(i64("1E-3", &v) == JSON_NUM_FRACTION);
    CHECK(i64("17303368620800006.5", &v) == JSON_NUM_FRACTION);
    CHECK(i64("0", &v) == JSON_NUM_OK && v == 0);
    CHECK(i64("-0.000", &v) == JSON_NUM_OK && v == 0);
    CHECK(i64("0e999999999999", &v) == JSON_NUM_OK && v == 0);
    CHECK(i64("1e999999999999", &v) == JSON_NUM_RANGE);
    CHECK(i64("1e-999999999999", &v) == JSON_NUM_FRACTION);
    CHECK(i64("1e18", &v) == JSON_NUM_OK && v == INT64_C(1000000000000000000));
    CHECK(i64("1e19", &v) == JSON_NUM_RANGE);
    CHECK(i64("100E-2", &v) == JSON_NUM_OK && v == 1);
    CHECK(i64("10000000000000000000000e-22", &v) == JSON_NUM_OK && v == 1);
    v = 42;
    CHECK(i64("", &v) == JSON_NUM_SYNTAX);
    CHECK(i64("abc", &v) == JSON_NUM_SYNTAX);
    CHECK(i64("1 ", &v) == JSON_NUM_SYNTAX);
    CHECK(i64("01", &v) == JSON_NUM_SYNTAX);
    CHECK(i64("\"1\"", &v) == JSON_NUM_SYNTAX);
    CHECK(v == 42);   /* untouched on failure */
    /* length is honoured: "123" of "12345" */
    CHECK(json_int64("12345", 3, &v) == JSON_NUM_OK && v == 123);
}

static int same_double(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

static int dbl_matches_strtod(const char *s)
{
    double v = NAN;
    if (json_double(s, strlen(s), &v) != JSON_NUM_OK)
        return 0;
    return same_double(v, strtod(s, NULL));
}

static void test_double(void)
{
    double v;
    CHECK(json_double("1.16539E8", 9, &v) == 0 && v == 116539000.0);
    CHECK(json_double("100473000.00000000", 18, &v) == 0 && v == 100473000.0);
    CHECK(json_double("5.0E-4", 6, &v) == 0 && same_double(v, 5.0e-4));
    static const char *s[] = {
        "7.9276E-4", "1386929.37231066771348207123", "10329.670127489597585685",
        "78039261076.51241000", "228827082483.70729000", "0.0126713295", "0.00606119",
        "860743.5307100000000000", "0.001706246173", "22.467660028283017", "2.2403413",
        "4.0534502", "0.1", "0.3", "123456789012345678", "9007199254740993", "1e22", "1e23",
        "8.98846567431158e307", "2.2250738585072011e-308", "4.9e-324", "1.7976931348623157e308",
        "0.000000000000000000000000000001", "-3.14159", "12345678901234567890.123456789",
        "0.1000000000000000055511151231257827021181583404541015625",
    };
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
        int ok = dbl_matches_strtod(s[i]);
        CHECK(ok);
        if (!ok)
            fprintf(stderr, "  json_double(%s) differs from strtod\n", s[i]);
    }
    CHECK(json_double("-0", 2, &v) == 0 && v == 0 && signbit(v));
    CHECK(json_double("1e400", 5, &v) == JSON_NUM_RANGE);
    CHECK(json_double("-1e400", 6, &v) == JSON_NUM_RANGE);
    CHECK(json_double("1e-400", 6, &v) == JSON_NUM_OK && v == 0);
    CHECK(json_double("1.5x", 4, &v) == JSON_NUM_SYNTAX);
    CHECK(json_double("", 0, &v) == JSON_NUM_SYNTAX);

    /* over-long text: a few hundred digits still convert, beyond the bound not */
    static char big[2048];
    memcpy(big, "0.", 2);
    memset(big + 2, '1', 400);
    big[402] = '\0';
    CHECK(dbl_matches_strtod(big));
    memset(big, '1', 1500);
    big[1500] = '\0';
    CHECK(json_double(big, 1500, &v) == JSON_NUM_RANGE);
    /* trailing zeros do not count against the bound */
    big[0] = '2';
    big[1] = '.';
    memset(big + 2, '0', 1400);
    CHECK(json_double(big, 1402, &v) == JSON_NUM_OK && v == 2.0);

    /* random decimal texts: the fast path must agree with strtod bit for bit */
    srand(12345);
    int mismatches = 0;
    for (int i = 0; i < 200000; i++) {
        char t[64];
        int o = 0;
        if (rand() % 4 == 0)
            t[o++] = '-';
        int id = 1 + rand() % 12, fd = rand() % 12;
        t[o++] = (char)('1' + rand() % 9);
        for (int k = 1; k < id; k++)
            t[o++] = (char)('0' + rand() % 10);
        if (fd) {
            t[o++] = '.';
            for (int k = 0; k < fd; k++)
                t[o++] = (char)('0' + rand() % 10);
        }
        if (rand() % 3 == 0)
            o += sprintf(t + o, "E%d", rand() % 60 - 30);
        t[o] = '\0';
        if (!dbl_matches_strtod(t) && mismatches++ < 5)
            fprintf(stderr, "  json_double(%s) differs from strtod\n", t);
    }
    CHECK(mismatches == 0);

    /* independent of the C locale's decimal point */
    const char *locs[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "ru_RU.UTF-8"};
    for (size_t i = 0; i < sizeof locs / sizeof locs[0]; i++) {
        if (!setlocale(LC_NUMERIC, locs[i]))
            continue;
        CHECK(json_double("1386929.37231066771348207123", 28, &v) == 0 && v > 1386929.37 &&
              v < 1386929.38);
        CHECK(json_double("1.5", 3, &v) == 0 && v == 1.5);
        break;
    }
    setlocale(LC_NUMERIC, "C");
}

/* 17-19 significant digits (acc_trade_price_24h and the like) take the
 * exact 128-bit path instead of strtod: bit for bit the same, including
 * values halfway between two doubles. */
static void test_double_long(void)
{
    static const char *s[] = {
        "228827082483.70729000", "22882708248370729", "9007199254740993", "9007199254740995",
        "9007199254740993.0", "900719925474099.35", "9999999999999999999", "9999999999999999999e19",
        "9999999999999999999e-19", "1000000000000000001e-19", "18446744073709551615",
        "1844674407370955161.5", "4503599627370496.5", "4503599627370497.5", "0.1000000000000000055",
        "7.0064923216240854e-46", "123456789012345678e-22", "1234567890123456789e-20",
        "-98765432109876543.21", "12345678901234567.89e3", "55.000000000000000001",
        "1.7976931348623157e308", "2.2250738585072014e-308", "35184372088832.00390625",
    };
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
        int ok = dbl_matches_strtod(s[i]);
        CHECK(ok);
        if (!ok)
            fprintf(stderr, "  json_double(%s) differs from strtod\n", s[i]);
    }
    /* 15-19 digits, the point anywhere, exponents around the exact range */
    srand(777);
    int mismatches = 0;
    for (int i = 0; i < 300000; i++) {
        char t[80];
        int o = 0, nd = 15 + rand() % 5, point = rand() % (nd + 1);
        if (rand() % 5 == 0)
            t[o++] = '-';
        for (int k = 0; k < nd; k++) {
            if (k == point && k > 0)
                t[o++] = '.';
            t[o++] = (char)((k == 0 ? '1' : '0') + rand() % (k == 0 ? 9 : 10));
        }
        if (rand() % 2)
            o += sprintf(t + o, "e%d", rand() % 50 - 25);
        t[o] = '\0';
        if (!dbl_matches_strtod(t) && mismatches++ < 5)
            fprintf(stderr, "  json_double(%s) differs from strtod\n", t);
    }
    CHECK(mismatches == 0);
    /* halfway between two doubles above 2^53: round to even, both ways */
    mismatches = 0;
    for (uint64_t m = (UINT64_C(1) << 53) + 1; m < (UINT64_C(1) << 53) + 2000; m += 2) {
        char t[40];
        snprintf(t, sizeof t, "%llu", (unsigned long long)m);
        mismatches += !dbl_matches_strtod(t);
        snprintf(t, sizeof t, "%llu.5", (unsigned long long)m / 10);
        mismatches += !dbl_matches_strtod(t);
    }
    CHECK(mismatches == 0);
}

/* Number texts of every length next to the 8-digit blocks the scanner
 * takes at once: the grammar and the value must not depend on them. */
static void test_digit_blocks(void)
{
    char t[64];
    int bad = 0;
    for (int il = 1; il <= 20; il++) {
        for (int fl = 0; fl <= 20; fl++) {
            int o = 0;
            for (int k = 0; k < il; k++)
                t[o++] = (char)('1' + (k * 7 + fl) % 9);
            if (fl) {
                t[o++] = '.';
                for (int k = 0; k < fl; k++)
                    t[o++] = (char)('0' + (k * 3 + il) % 10);
            }
            t[o] = '\0';
            bad += !valid_n(t, (size_t)o) || !dbl_matches_strtod(t);
            /* a non-digit right after a block is still an error */
            t[o] = 'x';
            bad += valid_n(t, (size_t)o + 1);
            t[o] = '.';
            bad += valid_n(t, (size_t)o + 1);
            t[o] = '\0';
            int64_t v;
            if (!fl && il <= 18)
                bad += json_int64(t, (size_t)o, &v) != JSON_NUM_OK || v != strtoll(t, NULL, 10);
        }
    }
    CHECK(bad == 0);
    CHECK(!valid("12345678.") && !valid("1234567890123456.e5") && !valid("123456789012345678a"));
    CHECK(valid("[12345678,123456789,1234567.12345678]"));
    CHECK(!valid("012345678"));
}

/* Strings of every length, with the quote, an escape or a control byte at
 * every position, at the very end of an exactly sized buffer (ASan sees any
 * read past it): the 16-byte compare must agree with the byte rules. */
static void test_string_blocks(void)
{
    char t[80];
    int bad = 0;
    for (int len = 0; len <= 40; len++) {
        t[0] = '"';
        for (int k = 0; k < len; k++)
            t[1 + k] = (char)('a' + k % 26);
        t[1 + len] = '"';
        json_cur c;
        json_span v;
        json_init(&c, t, (size_t)len + 2);
        bad += json_value(&c, &v) != 0 || v.len != (size_t)len || v.escaped || json_end(&c) != 0;
        bad += valid_n(t, (size_t)len + 1);   /* no closing quote */
        for (int at = 0; at < len; at++) {
            char keep = t[1 + at];
            t[1 + at] = '\x1f';
            bad += valid_n(t, (size_t)len + 2);
            t[1 + at] = (char)0x7f;   /* DEL and bytes ≥ 0x80 are plain */
            bad += !valid_n(t, (size_t)len + 2);
            t[1 + at] = (char)0xe9;
            bad += !valid_n(t, (size_t)len + 2);
            t[1 + at] = '\\';
            bad += valid_n(t, (size_t)len + 2) != (at + 1 < len && strchr("\"\\/bfnrt", t[2 + at]) != NULL);
            t[1 + at] = keep;
        }
        if (len >= 2) {   /* an escaped quote anywhere */
            for (int at = 0; at + 1 < len; at++) {
                char k0 = t[1 + at], k1 = t[2 + at];
                t[1 + at] = '\\';
                t[2 + at] = '"';
                json_init(&c, t, (size_t)len + 2);
                bad += json_value(&c, &v) != 0 || v.len != (size_t)len || !v.escaped;
                t[1 + at] = k0;
                t[2 + at] = k1;
            }
        }
    }
    CHECK(bad == 0);
}

static void test_unescape(void)
{
    char b[64];
    const char *s = "a\\nb\\\"c\\\\d\\/e\\u00e9\\ud83d\\ude00\\t";
    size_t n = json_unescape(s, strlen(s), b, sizeof b);
    CHECK(n == strlen(b));
    CHECK_STR(b, "a\nb\"c\\d/e\xc3\xa9\xf0\x9f\x98\x80\t");
    /* lone surrogates and bad escapes become '?' */
    CHECK(json_unescape("\\udc00x", 7, b, sizeof b) == 2 && strcmp(b, "?x") == 0);
    CHECK(json_unescape("\\ud800", 6, b, sizeof b) == 1 && strcmp(b, "?") == 0);
    CHECK(json_unescape("\\q", 2, b, sizeof b) == 1 && strcmp(b, "?") == 0);
    CHECK(json_unescape("ab\\", 3, b, sizeof b) == 3 && strcmp(b, "ab?") == 0);
    /* truncation keeps whole UTF-8 characters: 가나다 is 3 x 3 bytes */
    const char *ko = "\xea\xb0\x80\xeb\x82\x98\xeb\x8b\xa4";
    CHECK(json_unescape(ko, 9, b, 8) == 6 && memcmp(b, ko, 6) == 0 && b[6] == '\0');
    CHECK(json_unescape(ko, 9, b, 10) == 9);
    CHECK(json_unescape("\\u00e9\\u00e9", 12, b, 4) == 2);
    CHECK(json_unescape("abc", 3, b, 1) == 0 && b[0] == '\0');
}

int main(void)
{
    test_grammar();
    test_truncation();
    test_depth();
    test_iterate();
    test_find();
    test_int64();
    test_double();
    test_double_long();
    test_digit_blocks();
    test_string_blocks();
    test_unescape();
    return CHECK_DONE();
}
