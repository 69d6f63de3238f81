/*
 * json_scan.h — a small zero-allocation JSON scanner for the decoder's hot path.
 *
 * The scanner walks a byte buffer with a cursor and hands out spans (pointer
 * + length into the buffer); it never copies, never allocates and never
 * reads past the end it was given. Every value it hands out has been
 * validated against the JSON grammar (RFC 8259; UTF-8 is passed through
 * unchecked). Containers are skipped iteratively, so nesting costs no stack;
 * nesting deeper than JSON_MAX_DEPTH is an error.
 *
 * Two ways to read a document:
 *   - json_value() consumes one whole value and returns its span;
 *   - json_obj_begin()/json_obj_next() and json_arr_begin()/json_arr_next()
 *     walk a container member by member; after each member the caller
 *     consumes the value (json_value() or a nested begin).
 * The first error sticks in cur->err (static text) and every later call fails.
 *
 * Numbers are converted from their text on request: json_int64() exactly
 * (overflow and non-integral values are reported, never rounded),
 * json_double() correctly rounded and independent of the C locale.
 */
#ifndef UPWS_JSON_SCAN_H
#define UPWS_JSON_SCAN_H

#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 32   /* deepest container nesting accepted */
#define JSON_NUM_MAX 511    /* longest number text json_double() converts */

typedef enum {
    JSON_NONE = 0,  /* end of input, or a byte that starts no value */
    JSON_OBJECT,
    JSON_ARRAY,
    JSON_STRING,
    JSON_NUMBER,
    JSON_TRUE,
    JSON_FALSE,
    JSON_NULL
} json_kind;

/* One value inside the buffer. Strings: p/len cover the bytes between the
 * quotes, escapes undecoded; everything else: the whole text (objects and
 * arrays including their brackets). */
typedef struct json_span {
    const char *p;
    size_t len;
    json_kind kind;
    int escaped;    /* strings: 1 when the text holds a backslash escape */
} json_span;

typedef struct json_cur {
    const char *p, *end;
    const char *err;    /* first error, static text; NULL while all is well */
    unsigned depth;     /* containers currently open via *_begin */
} json_cur;

/* Walks one object or array; lives on the caller's stack. */
typedef struct json_it {
    json_cur *c;
    unsigned n;         /* members/elements seen so far */
} json_it;

void json_init(json_cur *c, const char *buf, size_t len);

/* Skips whitespace; the kind of the next value judged by its first byte. */
json_kind json_peek(json_cur *c);

/* Consumes one complete, validated value; out may be NULL. 0 or -1. */
int json_value(json_cur *c, json_span *out);

/* 0 when only whitespace is left, else -1 (sets err). */
int json_end(json_cur *c);

/* Opens the object/array at the cursor. 0 or -1. */
int json_obj_begin(json_cur *c, json_it *it);
int json_arr_begin(json_cur *c, json_it *it);

/* Next member: 1 with the key in *key and the cursor on its value (which the
 * caller must consume); 0 when the closing brace was consumed; -1 on error. */
int json_obj_next(json_it *it, json_span *key);

/* Next element: 1 with the cursor on it (caller consumes it); 0 at the
 * closing bracket (consumed); -1 on error. */
int json_arr_next(json_it *it);

/* 0 when buf holds exactly one JSON value (plus whitespace); else -1 and,
 * if why is not NULL, a static reason. */
int json_validate(const char *buf, size_t len, const char **why);

/* Looks up `key` (compared byte for byte with the raw key text) among the
 * members of the object text obj/len. 1 found (*out set), 0 absent or not
 * an object, -1 malformed. The first of duplicate keys wins. */
int json_find(const char *obj, size_t len, const char *key, size_t key_len, json_span *out);

/* Same for element `index` (0-based) of the array text arr/len. */
int json_at(const char *arr, size_t len, size_t index, json_span *out);

/* 1 when the span is a string equal to the literal (raw bytes). */
int json_str_eq(const json_span *s, const char *lit, size_t lit_len);

/* Number conversions; p/len is the number's text (a JSON number). */
enum {
    JSON_NUM_OK = 0,
    JSON_NUM_SYNTAX = -1,   /* not a JSON number */
    JSON_NUM_RANGE = -2,    /* does not fit (int64 overflow, double overflow, too long) */
    JSON_NUM_FRACTION = -3  /* json_int64: has a non-zero fractional part */
};

/* Exact: "17303368620800006" → 17303368620800006; "1.7E3" and "1700.00" → 1700.
 * *out is written only on JSON_NUM_OK. */
int json_int64(const char *p, size_t len, int64_t *out);

/* Correctly rounded, locale-independent ("1.16539E8", "7.9276E-4",
 * "1386929.37231066771348207123"). *out is written only on JSON_NUM_OK;
 * a result that overflows to infinity is JSON_NUM_RANGE. */
int json_double(const char *p, size_t len, double *out);

/* Decodes the escapes of string text p/len into dst (cap ≥ 1 bytes, always
 * NUL-terminated). Output is truncated on a UTF-8 character boundary; bad
 * escapes become '?'. Returns the bytes written before the NUL. */
size_t json_unescape(const char *p, size_t len, char *dst, size_t cap);

#endif
