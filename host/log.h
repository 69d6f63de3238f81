/*
 * log.h — leveled logging to stderr, one line per call, thread-safe.
 * `src` names who speaks ("host", "conn", or a plugin instance name).
 * Callers must never pass secrets (API keys, JWTs) in a message.
 */
#ifndef UPWS_LOG_H
#define UPWS_LOG_H

#include <stdarg.h>
#include "upws/plugin.h"

void log_set_level(upws_log_level level);
/* Parses "error|warn|info|debug"; returns -1 on anything else. */
int log_parse_level(const char *s);
int log_enabled(upws_log_level level);
void log_msg(upws_log_level level, const char *src, const char *fmt, ...) UPWS_PRINTF(3, 4);
void log_vmsg(upws_log_level level, const char *src, const char *fmt, va_list ap);

#define log_error(...) log_msg(UPWS_LOG_ERROR, "host", __VA_ARGS__)
#define log_warn(...) log_msg(UPWS_LOG_WARN, "host", __VA_ARGS__)
#define log_info(...) log_msg(UPWS_LOG_INFO, "host", __VA_ARGS__)
#define log_debug(...) do { if (log_enabled(UPWS_LOG_DEBUG)) log_msg(UPWS_LOG_DEBUG, "host", __VA_ARGS__); } while (0)

#endif
