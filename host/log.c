/* log.c — see log.h. */
#include "log.h"
#include "util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static upws_log_level log_level = UPWS_LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *const level_names[] = {"error", "warn", "info", "debug"};

void log_set_level(upws_log_level level) { log_level = level; }

int log_parse_level(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (s && strcmp(s, level_names[i]) == 0)
            return i;
    return -1;
}

int log_enabled(upws_log_level level) { return level <= log_level; }

void log_vmsg(upws_log_level level, const char *src, const char *fmt, va_list ap)
{
    if (!log_enabled(level) || (int)level < 0 || level > UPWS_LOG_DEBUG)
        return;
    char line[2048];
    int64_t ns = util_wall_ns();
    time_t secs = (time_t)(ns / 1000000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %-5s [%s] ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, (int)(ns / 1000000 % 1000), level_names[level], src ? src : "?");
    if (n < 0 || (size_t)n >= sizeof line)
        n = 0;
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    /* One fputs per line under a lock so lines from threads never interleave. */
    pthread_mutex_lock(&log_lock);
    fputs(line, stderr);
    fputc('\n', stderr);
    pthread_mutex_unlock(&log_lock);
}

void log_msg(upws_log_level level, const char *src, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(level, src, fmt, ap);
    va_end(ap);
}
