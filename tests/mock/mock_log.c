/* JSON-lines event log. Every record is flushed at once so that a test that
 * kills the mock (or reads the file while it runs) sees complete lines. */
#include "mock_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"

static FILE *log_fp;
static FILE *trades_fp;

int log_open(const char *path)
{
    if (!path)
        return 0;
    log_fp = fopen(path, "a");
    return log_fp ? 0 : -1;
}

void log_close(void)
{
    if (log_fp)
        fclose(log_fp);
    log_fp = NULL;
    if (trades_fp)
        fclose(trades_fp);
    trades_fp = NULL;
}

int log_trades_open(const char *path)
{
    if (!path)
        return 0;
    trades_fp = fopen(path, "a");
    return trades_fp ? 0 : -1;
}

void log_trade(const char *code, int64_t sid)
{
    if (!trades_fp)
        return;
    fprintf(trades_fp, "%s %lld\n", code, (long long)sid);
    fflush(trades_fp);
}

/* Takes ownership of rec. */
static void emit(json_t *rec)
{
    if (!log_fp) {
        json_decref(rec);
        return;
    }
    char *line = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(rec);
    if (!line)
        return;
    fputs(line, log_fp);
    fputc('\n', log_fp);
    fflush(log_fp);
    free(line);
}

static json_t *record(uint64_t conn, const char *ev)
{
    json_t *rec = json_object();
    json_object_set_new(rec, "t", json_integer(mock_now_ms()));
    if (conn)
        json_object_set_new(rec, "conn", json_integer((json_int_t)conn));
    json_object_set_new(rec, "ev", json_string(ev));
    return rec;
}

/* Length of the valid UTF-8 sequence at s, or 0 if it is invalid. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    size_t need;
    uint32_t cp;
    if (s[0] < 0x80)
        return 1;
    if ((s[0] & 0xe0) == 0xc0) {
        need = 2;
        cp = s[0] & 0x1f;
    } else if ((s[0] & 0xf0) == 0xe0) {
        need = 3;
        cp = s[0] & 0x0f;
    } else if ((s[0] & 0xf8) == 0xf0) {
        need = 4;
        cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (n < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[need] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return need;
}

/* The raw text may hold anything a fuzzer sends; jansson only takes UTF-8,
 * so invalid bytes become U+FFFD (tests then see that something odd came). */
static json_t *text_value(const char *text, size_t len)
{
    json_t *v = json_stringn(text, len);
    if (v)
        return v;
    char *clean = malloc(len * 3 + 1);
    if (!clean)
        return json_null();
    const unsigned char *s = (const unsigned char *)text;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t k = utf8_seq_len(s + i, len - i);
        if (k) {
            memcpy(clean + o, s + i, k);
            o += k;
            i += k;
            continue;
        }
        memcpy(clean + o, "\xef\xbf\xbd", 3);
        o += 3;
        i++;
    }
    v = json_stringn(clean, o);
    free(clean);
    return v ? v : json_null();
}

void log_conn_open(uint64_t conn, const char *path, const char *auth, bool origin,
                   unsigned connects_1s)
{
    json_t *rec = record(conn, "open");
    json_object_set_new(rec, "path", json_string(path));
    json_object_set_new(rec, "auth", json_string(auth));
    json_object_set_new(rec, "origin", json_boolean(origin));
    json_object_set_new(rec, "connects_1s", json_integer(connects_1s));
    emit(rec);
}

void log_conn_close(uint64_t conn)
{
    emit(record(conn, "close"));
}

void log_request(uint64_t conn, const char *text, size_t len, json_t *parsed,
                 const char *result, const struct msg_counts *counts)
{
    json_t *rec = record(conn, "request");
    json_object_set_new(rec, "text", text_value(text, len));
    json_object_set(rec, "request", parsed ? parsed : json_null());
    json_object_set_new(rec, "result", json_string(result));
    json_object_set_new(rec, "in_1s", json_integer(counts->in_1s));
    json_object_set_new(rec, "in_60s", json_integer(counts->in_60s));
    emit(rec);
}

void log_ping(uint64_t conn)
{
    emit(record(conn, "ping"));
}

void log_refused(const char *why)
{
    json_t *rec = record(0, "refused");
    json_object_set_new(rec, "why", json_string(why));
    emit(rec);
}

void log_drop(uint64_t conn, const char *why)
{
    json_t *rec = record(conn, "drop");
    json_object_set_new(rec, "why", json_string(why));
    emit(rec);
}

void log_fault(uint64_t conn, const char *kind, const char *detail)
{
    json_t *rec = record(conn, "fault");
    json_object_set_new(rec, "kind", json_string(kind));
    json_object_set_new(rec, "detail", json_string(detail));
    emit(rec);
}

void log_peer_close(uint64_t conn, unsigned code)
{
    json_t *rec = record(conn, "peer_close");
    json_object_set_new(rec, "code", json_integer(code));
    emit(rec);
}

void log_pong(uint64_t conn, const void *payload, size_t len)
{
    json_t *rec = record(conn, "pong");
    json_object_set_new(rec, "payload", text_value(payload, len));
    emit(rec);
}

void log_rest(const char *method, const char *path, const char *query, unsigned status,
              const char *auth)
{
    json_t *rec = record(0, "rest");
    json_object_set_new(rec, "method", json_string(method));
    json_object_set_new(rec, "path", text_value(path, strlen(path)));
    if (query)
        json_object_set_new(rec, "query", text_value(query, strlen(query)));
    json_object_set_new(rec, "status", json_integer(status));
    if (auth)
        json_object_set_new(rec, "auth", json_string(auth));
    emit(rec);
}

void log_private(const char *type, json_t *fields)
{
    json_t *rec = record(0, "private");
    json_object_set_new(rec, "type", json_string(type));
    json_object_update(rec, fields);
    json_decref(fields);
    emit(rec);
}

void log_ctl(const char *action)
{
    json_t *rec = record(0, "ctl");
    json_object_set_new(rec, "action", json_string(action));
    emit(rec);
}
