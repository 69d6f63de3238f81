/* util.h — clocks and allocation helpers shared by every host module. */
#ifndef UPWS_UTIL_H
#define UPWS_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

static inline int64_t util_wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline int64_t util_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Allocation failures in the host are fatal: a daemon that cannot allocate
 * a few hundred bytes cannot keep any promise, so it says so and exits. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* A growing text buffer: s is NUL-terminated (or NULL while empty) and owned
 * by the buffer's user (free(s) when done). */
typedef struct strbuf {
    char *s;
    size_t len, cap;
} strbuf;

void strbuf_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
