/* Outgoing queue: a flat byte buffer of length-prefixed records. Rendering
 * happens once per event; each subscriber gets a memcpy of the bytes, and
 * the writeable callback turns one record (or one batch of *_LIST records)
 * into one lws_write. */
#include "mock_conn.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libwebsockets.h>

#include "mock_log.h"

#define REC_HDR 5
#define LIST_BATCH_BYTES 65536
#define LIST_BATCH_ITEMS 64

static unsigned char *send_buf;
static size_t send_cap;

struct conn *conn_new(struct lws *wsi)
{
    struct conn *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->id = ++g_mock.next_conn_id;
    c->wsi = wsi;
    c->next = g_mock.conns;
    if (g_mock.conns)
        g_mock.conns->prev = c;
    g_mock.conns = c;
    g_mock.nconns++;
    g_mock.stats.connections_total++;
    return c;
}

void conn_free(struct conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        g_mock.conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    g_mock.nconns--;
    request_free(&c->sub);
    free(c->rx);
    free(c->q);
    free(c);
}

void conns_free_all(void)
{
    while (g_mock.conns)
        conn_free(g_mock.conns);
    free(send_buf);
    send_buf = NULL;
    send_cap = 0;
}

static bool reserve(unsigned char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return true;
    size_t n = *cap ? *cap : 4096;
    while (n < need)
        n *= 2;
    unsigned char *p = realloc(*buf, n);
    if (!p)
        return false;
    *buf = p;
    *cap = n;
    return true;
}

static void compact(struct conn *c)
{
    if (c->q_head == 0)
        return;
    memmove(c->q, c->q + c->q_head, c->q_len - c->q_head);
    c->q_len -= c->q_head;
    c->q_head = 0;
}

void conn_wake(struct conn *c)
{
    if (!c->dead && c->wsi)
        lws_callback_on_writable(c->wsi);
}

void conn_enqueue(struct conn *c, const void *data, size_t len, unsigned flags)
{
    if (c->dead || c->close_at_ms || len == 0)
        return;
    if ((flags & QF_DATA) && g_mock.stalled)
        return;
    bool was_empty = !conn_has_output(c);
    if (c->q_len - c->q_head + len + REC_HDR > MOCK_QUEUE_LIMIT) {
        /* Upbit drops consumers that cannot keep up; so do we. */
        g_mock.stats.dropped_slow++;
        conn_kill(c, "slow");
        return;
    }
    if (c->q_head > c->q_cap / 2)
        compact(c);
    if (!reserve(&c->q, &c->q_cap, c->q_len + len + REC_HDR)) {
        conn_kill(c, "oom");
        return;
    }
    uint32_t n = (uint32_t)len;
    memcpy(c->q + c->q_len, &n, 4);
    c->q[c->q_len + 4] = (unsigned char)flags;
    memcpy(c->q + c->q_len + REC_HDR, data, len);
    c->q_len += len + REC_HDR;
    if (was_empty)
        conn_wake(c);
}

void conn_drop_data(struct conn *c)
{
    size_t r = c->q_head, w = 0;
    while (r < c->q_len) {
        uint32_t n;
        memcpy(&n, c->q + r, 4);
        size_t rec = n + REC_HDR;
        if (!(c->q[r + 4] & QF_DATA)) {
            memmove(c->q + w, c->q + r, rec);
            w += rec;
        }
        r += rec;
    }
    c->q_head = 0;
    c->q_len = w;
}

bool conn_has_output(const struct conn *c)
{
    return c->q_len > c->q_head;
}

static size_t peek(const struct conn *c, size_t at, unsigned *flags)
{
    uint32_t n;
    memcpy(&n, c->q + at, 4);
    *flags = c->q[at + 4];
    return n;
}

static unsigned char *frame_space(size_t len)
{
    if (!reserve(&send_buf, &send_cap, LWS_PRE + len))
        return NULL;
    return send_buf + LWS_PRE;
}

/* Batches consecutive *_LIST records into one JSON array. */
static unsigned char *list_frame(struct conn *c, size_t *len)
{
    size_t at = c->q_head, total = 1, items = 0;
    unsigned flags;
    while (at < c->q_len && items < LIST_BATCH_ITEMS) {
        size_t n = peek(c, at, &flags);
        if (!(flags & QF_LIST) || (items && total + n + 1 > LIST_BATCH_BYTES))
            break;
        total += n + 1;
        at += n + REC_HDR;
        items++;
    }
    unsigned char *out = frame_space(total + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    out[o++] = '[';
    while (c->q_head < at) {
        size_t n = peek(c, c->q_head, &flags);
        if (o > 1)
            out[o++] = ',';
        memcpy(out + o, c->q + c->q_head + REC_HDR, n);
        o += n;
        c->q_head += n + REC_HDR;
    }
    out[o++] = ']';
    if (c->q_head == c->q_len)
        c->q_head = c->q_len = 0;
    *len = o;
    return out;
}

unsigned char *conn_next_frame(struct conn *c, size_t *len, unsigned *flags)
{
    if (!conn_has_output(c))
        return NULL;
    size_t n = peek(c, c->q_head, flags);
    if (*flags & QF_LIST)
        return list_frame(c, len);
    unsigned char *out = frame_space(n);
    if (!out)
        return NULL;
    memcpy(out, c->q + c->q_head + REC_HDR, n);
    c->q_head += n + REC_HDR;
    if (c->q_head == c->q_len)
        c->q_head = c->q_len = 0;
    *len = n;
    return out;
}

/* The ring holds the last MOCK_MSG_WINDOW message times; a connection is
 * failed on its first violation, so it never needs more than that to count
 * exactly (at most 100 earlier messages fit in any 60 s the mock allows). */
bool conn_rate_note(struct conn *c, int64_t now_ms, struct msg_counts *counts)
{
    counts->in_1s = counts->in_60s = 1;
    for (unsigned i = 0; i < c->msg_count; i++) {
        int64_t age = now_ms - c->msg_times[i];
        counts->in_1s += age < 1000;
        counts->in_60s += age < 60000;
    }
    bool over = counts->in_1s > 5 || counts->in_60s > MOCK_MSG_WINDOW;
    c->msg_times[c->msg_next] = now_ms;
    c->msg_next = (c->msg_next + 1) % MOCK_MSG_WINDOW;
    if (c->msg_count < MOCK_MSG_WINDOW)
        c->msg_count++;
    return over;
}

void conn_fail(struct conn *c, const char *name, const char *message)
{
    json_t *o = json_pack("{s:{s:s,s:s}}", "error", "name", name, "message", message);
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (s)
        conn_enqueue(c, s, strlen(s), QF_TEXT);
    free(s);
    conn_drop_data(c);
    c->close_at_ms = mock_now_ms() + MOCK_ERROR_CLOSE_MS;
}

void conn_kill(struct conn *c, const char *why)
{
    if (c->dead)
        return;
    c->dead = true;
    log_drop(c->id, why);
    /* shutdown() makes the peer see EOF with no close frame (code 1006);
     * lws then notices the dead socket and reaps the wsi. */
    int fd = lws_get_socket_fd(c->wsi);
    if (fd >= 0)
        shutdown(fd, SHUT_RDWR);
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}
