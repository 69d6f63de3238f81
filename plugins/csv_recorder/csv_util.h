/*
 * csv_util.h — growable byte buffer, CSV cell encoding, UTC day arithmetic
 * and small filesystem helpers for the csv_recorder plugin.
 */
#ifndef CSV_UTIL_H
#define CSV_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <upws/plugin.h>

/* A byte buffer that only grows; reused so the steady state never allocates. */
typedef struct csv_buf {
    char *p;
    size_t len, cap;
} csv_buf;

/* Make room for `extra` more bytes. 0, or -1 when out of memory. */
int csv_buf_reserve(csv_buf *b, size_t extra);
/* Append n bytes. 0, or -1 when out of memory (b unchanged). */
int csv_buf_put(csv_buf *b, const char *s, size_t n);
/* Remove the first n bytes (they were written out). */
void csv_buf_consume(csv_buf *b, size_t n);
void csv_buf_free(csv_buf *b);

/* Append one CSV cell holding the bytes s[0..n) — quoted per RFC 4180 only
 * when they contain a comma, a double quote, CR or LF. 0 or -1 (ENOMEM). */
int csv_put_text(csv_buf *b, const char *s, size_t n);

/* Append one cell for a wire value: null/absent → empty, numbers and booleans
 * verbatim, strings with their JSON escapes decoded, objects/arrays as their
 * JSON text. `scratch` is reused for decoding. 0 or -1 (ENOMEM). */
int csv_put_val(csv_buf *b, const upws_val *v, csv_buf *scratch);

/* UTC day number (days since 1970-01-01) of a time in ms, floored. */
int64_t csv_utc_day(int64_t ms);
/* "YYYY-MM-DD" of a UTC day number, exactly 10 characters plus NUL. */
void csv_day_str(int64_t day, char out[11]);

/* CLOCK_MONOTONIC / CLOCK_REALTIME now, in ns. */
int64_t csv_mono_ns(void);
int64_t csv_wall_ns(void);

/* mkdir -p. 0 when `dir` is (now) a directory, else an errno value. */
int csv_mkdir_p(const char *dir);

/* Text for an errno value, thread-safe. Returns buf or a static string. */
const char *csv_strerror(int err, char *buf, size_t n);

#endif
