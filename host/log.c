/* log.c — see log.h. */
#include "log.h"
#include "util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A line repeated by the same source within this window is counted, not
 * printed, so a fault storm cannot fill the disk. */
#define REPEAT_SLOTS 16

typedef struct repeat_slot {
    char src[48];
    char msg[512];
    upws_log_level level;
    uint64_t suppressed;
    int64_t first_ns;
} repeat_slot;

static upws_log_level log_level = UPWS_LOG_INFO;
static int64_t repeat_window_ns = 10000000000LL;
static int log_json;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static repeat_slot log_slots[REPEAT_SLOTS];
static unsigned log_next_slot;
static const char *const level_names[] = {"error", "warn", "info", "debug"};

void log_set_level(upws_log_level level) { log_level = level; }
void log_set_json(int json) { log_json = json; }
void log_set_repeat_window(int64_t ns) { repeat_window_ns = ns; }

int log_parse_level(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (s && strcmp(s, level_names[i]) == 0)
            return i;
    return -1;
}

int log_enabled(upws_log_level level) { return level <= log_level; }
upws_log_level log_get_level(void) { return log_level; }

static void put_time(char *out, size_t n, int64_t ns)
{
    time_t secs = (time_t)(ns / 1000000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ns / 1000000 % 1000));
}

/* JSON string body of s (no quotes), bounded. */
static void json_escape(char *out, size_t n, const char *s)
{
    size_t k = 0;
    for (; *s && k + 7 < n; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            out[k++] = '\\';
            out[k++] = (char)c;
        } else if (c < 0x20) {
            k += (size_t)snprintf(out + k, n - k, "\\u%04x", c);
        } else {
            out[k++] = (char)c;
        }
    }
    out[k] = 0;
}

/* Lock held. */
static void emit(upws_log_level level, const char *src, const char *msg, int64_t ns)
{
    char ts[64];
    put_time(ts, sizeof ts, ns);
    if (!log_json) {
        fprintf(stderr, "%s %-5s [%s] %s\n", ts, level_names[level], src, msg);
        return;
    }
    char esrc[128], emsg[2400];
    json_escape(esrc, sizeof esrc, src);
    json_escape(emsg, sizeof emsg, msg);
    fprintf(stderr, "{\"ts\":\"%s\",\"level\":\"%s\",\"src\":\"%s\",\"msg\":\"%s\"}\n", ts,
            level_names[level], esrc, emsg);
}

/* Lock held. Says how often the slot's line was held back, then frees it. */
static void flush_slot(repeat_slot *sl, int64_t ns)
{
    if (sl->suppressed) {
        char msg[640];
        snprintf(msg, sizeof msg, "… repeated %llu times: %.500s", (unsigned long long)sl->suppressed, sl->msg);
        emit(sl->level, sl->src, msg, ns);
    }
    sl->suppressed = 0;
}

/* Lock held. 1 when this line repeats the source's previous one inside the
 * window (counted, not printed). */
static int suppressed(upws_log_level level, const char *src, const char *msg, int64_t ns)
{
    for (unsigned i = 0; i < REPEAT_SLOTS; i++) {
        repeat_slot *sl = &log_slots[i];
        if (strncmp(sl->src, src, sizeof sl->src - 1) != 0)
            continue;
        if (strncmp(sl->msg, msg, sizeof sl->msg - 1) == 0 && ns - sl->first_ns < repeat_window_ns) {
            sl->suppressed++;
            return 1;
        }
        flush_slot(sl, ns);
        snprintf(sl->msg, sizeof sl->msg, "%.511s", msg);
        sl->level = level;
        sl->first_ns = ns;
        return 0;
    }
    repeat_slot *sl = &log_slots[log_next_slot++ % REPEAT_SLOTS];
    flush_slot(sl, ns);
    snprintf(sl->src, sizeof sl->src, "%.47s", src);
    snprintf(sl->msg, sizeof sl->msg, "%.511s", msg);
    sl->level = level;
    sl->first_ns = ns;
    return 0;
}

void log_vmsg_at(upws_log_level level, upws_log_level threshold, const char *src, const char *fmt,
                 va_list ap)
{
    if ((int)level < 0 || level > UPWS_LOG_DEBUG || level > threshold)
        return;
    char msg[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);
    int64_t ns = util_wall_ns();
    src = src ? src : "?";
    pthread_mutex_lock(&log_lock);
    if (!suppressed(level, src, msg, ns))
        emit(level, src, msg, ns);
    pthread_mutex_unlock(&log_lock);
}

void log_vmsg(upws_log_level level, const char *src, const char *fmt, va_list ap)
{
    log_vmsg_at(level, log_level, src, fmt, ap);
}

void log_msg(upws_log_level level, const char *src, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(level, src, fmt, ap);
    va_end(ap);
}

void log_flush_repeats(void)
{
    int64_t ns = util_wall_ns();
    pthread_mutex_lock(&log_lock);
    for (unsigned i = 0; i < REPEAT_SLOTS; i++)
        if (log_slots[i].suppressed && ns - log_slots[i].first_ns >= repeat_window_ns) {
            flush_slot(&log_slots[i], ns);
            log_slots[i].first_ns = ns;
        }
    pthread_mutex_unlock(&log_lock);
}
