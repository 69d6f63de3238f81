/*
 * log.h — leveled logging to stderr, one line per call, thread-safe; text or
 * JSON lines; a line a source repeats within 10 s is counted, not printed
 * ("… repeated N times" follows).
 * `src` names who speaks ("host", "conn", or a plugin instance name).
 * Callers must never pass secrets (API keys, JWTs) in a message.
 */
#ifndef UPWS_LOG_H
#define UPWS_LOG_H

#include <stdarg.h>
#include <stdint.h>
#include "upws/plugin.h"

void log_set_level(upws_log_level level);
/* 1 = JSON lines {"ts","level","src","msg"}; 0 = text (default). */
void log_set_json(int json);
/* How long identical lines of one source are counted instead of printed (default 10 s). */
void log_set_repeat_window(int64_t ns);
/* Called periodically: reports lines held back as repeats once their window ends. */
void log_flush_repeats(void);
/* Parses "error|warn|info|debug"; returns -1 on anything else. */
int log_parse_level(const char *s);
int log_enabled(upws_log_level level);
upws_log_level log_get_level(void);
void log_msg(upws_log_level level, const char *src, const char *fmt, ...) UPWS_PRINTF(3, 4);
void log_vmsg(upws_log_level level, const char *src, const char *fmt, va_list ap);
/* Like log_vmsg with a caller-chosen threshold (a plugin instance's own level). */
void log_vmsg_at(upws_log_level level, upws_log_level threshold, const char *src, const char *fmt,
                 va_list ap);

#define log_error(...) log_msg(UPWS_LOG_ERROR, "host", __VA_ARGS__)
#define log_warn(...) log_msg(UPWS_LOG_WARN, "host", __VA_ARGS__)
#define log_info(...) log_msg(UPWS_LOG_INFO, "host", __VA_ARGS__)
#define log_debug(...) do { if (log_enabled(UPWS_LOG_DEBUG)) log_msg(UPWS_LOG_DEBUG, "host", __VA_ARGS__); } while (0)

#endif
