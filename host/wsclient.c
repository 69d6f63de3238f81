/* wsclient.c — see wsclient.h. */
#include "wsclient.h"
#include "netio.h"
#include "util.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ_CHUNK 65536
/* Bytes taken per readable event before the loop gets its turn (timers,
 * the admin server, waking plugins). */
#define READ_BUDGET (256 * 1024)
#define IN_INITIAL (2 * READ_CHUNK)
/* A buffer grown for a big message shrinks back once it is empty. */
#define IN_SHRINK (1u << 20)
/* An upgrade response head longer than this is not an upgrade response. */
#define HEAD_MAX 16384

enum phase { PH_TCP, PH_TLS, PH_HTTP, PH_OPEN, PH_DONE };

struct wsclient {
    netio *io;
    enum phase phase;
    wsclient_events ev;
    void *arg;
    char key[WSF_KEY_LEN];
    char *upgrade;            /* the request text until it is queued */
    int want_write;           /* TLS or a full socket needs POLLOUT */
    uint8_t *in;              /* bytes read, not yet consumed */
    size_t in_len, in_cap, in_need;
    uint64_t in_discard;      /* rest of an oversized frame still to drop */
    uint8_t *msg;             /* a fragmented message being reassembled */
    size_t msg_len, msg_cap;
    int in_message, msg_skip;
    uint8_t *out;             /* bytes to write, out[out_off..out_len) */
    size_t out_len, out_off, out_cap;
    size_t req_end;           /* the request in flight ends here in out */
    int req_pending;
    char err[192];
};

/* The session is over; ws->err says why. */
static int over(wsclient *ws)
{
    ws->phase = PH_DONE;
    return -1;
}

static int fail(wsclient *ws, const char *fmt, const char *detail)
{
    snprintf(ws->err, sizeof ws->err, fmt, detail);
    return over(ws);
}

/* RFC 6455 §7.4.1: tell the server why (1002) before closing. */
static int protocol_error(wsclient *ws, const char *why)
{
    wsclient_close_frame(ws, 1002);
    return fail(ws, "protocol error: %s", why);
}

static void reserve(uint8_t **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return;
    size_t n = *cap ? *cap : 256;
    while (n < need)
        n *= 2;
    *buf = xrealloc(*buf, n);
    *cap = n;
}

static void queue_frame(wsclient *ws, int opcode, const void *payload, size_t len)
{
    uint8_t mask[4];
    if (RAND_bytes(mask, sizeof mask) != 1)
        memset(mask, 0x5a, sizeof mask);  /* masking is for proxies, not secrecy */
    reserve(&ws->out, &ws->out_cap, ws->out_len + WSF_HEADER_MAX + len);
    ws->out_len += wsframe_encode(ws->out + ws->out_len, opcode, payload, len, mask);
}

static void queue_bytes(wsclient *ws, const char *text, size_t len)
{
    reserve(&ws->out, &ws->out_cap, ws->out_len + len);
    memcpy(ws->out + ws->out_len, text, len);
    ws->out_len += len;
}

wsclient *wsclient_open(const wsclient_target *t, const wsclient_events *ev, void *arg,
                        char *err, size_t errlen)
{
    netio *io = netio_open(t->host, t->port, t->tls, t->turn, err, errlen);
    if (!io)
        return NULL;
    wsclient *ws = xcalloc(1, sizeof *ws);
    ws->io = io;
    ws->ev = *ev;
    ws->arg = arg;
    ws->phase = PH_TCP;
    ws->want_write = 1;  /* writability reports the end of the connect */
    uint8_t rnd[16];
    if (RAND_bytes(rnd, sizeof rnd) != 1) {
        snprintf(err, errlen, "no random bytes for the WebSocket key");
        wsclient_close_fd(ws);
        wsclient_free(ws);
        return NULL;
    }
    wsframe_key(rnd, ws->key);
    size_t cap = 1024 + (t->extra_headers ? strlen(t->extra_headers) : 0) + strlen(t->path) + strlen(t->host);
    ws->upgrade = xmalloc(cap);
    if (!wsframe_request(ws->upgrade, cap, t->host, t->port, t->tls, t->path, ws->key, t->extra_headers)) {
        snprintf(err, errlen, "upgrade request too long");
        wsclient_close_fd(ws);
        wsclient_free(ws);
        return NULL;
    }
    return ws;
}

int wsclient_fd(const wsclient *ws) { return netio_fd(ws->io); }
int wsclient_is_open(const wsclient *ws) { return ws->phase == PH_OPEN; }
int wsclient_wants_write(const wsclient *ws) { return ws->want_write || ws->out_off < ws->out_len; }
const char *wsclient_error(const wsclient *ws) { return ws->err; }

/* The request may carry a credential: wipe it as soon as it is queued,
 * and the output buffer once it has been written. */
static void queue_upgrade(wsclient *ws)
{
    size_t n = strlen(ws->upgrade);
    queue_bytes(ws, ws->upgrade, n);
    OPENSSL_cleanse(ws->upgrade, n);
    free(ws->upgrade);
    ws->upgrade = NULL;
    ws->phase = PH_HTTP;
}

static int flush(wsclient *ws)
{
    while (ws->out_off < ws->out_len) {
        ssize_t w = netio_write(ws->io, ws->out + ws->out_off, ws->out_len - ws->out_off, ws->err, sizeof ws->err);
        if (w < 0)
            return over(ws);
        if (w == 0)
            return 0;
        ws->out_off += (size_t)w;
    }
    int sent = ws->req_pending && ws->out_off >= ws->req_end;
    OPENSSL_cleanse(ws->out, ws->out_len);
    ws->out_len = ws->out_off = 0;
    if (sent) {
        ws->req_pending = 0;
        ws->ev.sent(ws->arg);  /* may queue the next request */
    }
    return 0;
}

/* TCP connected (or failed); then TLS, then the upgrade request. */
static int advance_connect(wsclient *ws)
{
    if (ws->phase == PH_TCP) {
        char why[128];
        if (netio_connected(ws->io, why, sizeof why) != 0)
            return fail(ws, "connect failed: %s", why);
        ws->phase = PH_TLS;
    }
    if (ws->phase == PH_TLS) {
        int ww = 0, rc = netio_handshake(ws->io, &ww, ws->err, sizeof ws->err);
        if (rc < 0)
            return over(ws);
        ws->want_write = ww;
        if (rc == 0)
            return 0;
        queue_upgrade(ws);
    }
    return 0;
}

int wsclient_writable(wsclient *ws)
{
    if (ws->phase == PH_DONE)
        return -1;
    ws->want_write = 0;
    if (ws->phase < PH_HTTP && advance_connect(ws) < 0)
        return -1;
    return flush(ws);
}

static void msg_append(wsclient *ws, const uint8_t *p, size_t len)
{
    if (ws->msg_skip)
        return;
    if (ws->msg_len + len > WSCLIENT_MAX_MESSAGE) {
        ws->msg_skip = 1;
        ws->ev.oversized(ws->arg);
        return;
    }
    if (!len)
        return;  /* an empty fragment (nothing to copy, maybe no buffer yet) */
    reserve(&ws->msg, &ws->msg_cap, ws->msg_len + len);
    memcpy(ws->msg + ws->msg_len, p, len);
    ws->msg_len += len;
}

static int on_data(wsclient *ws, const wsframe *f, const uint8_t *p)
{
    size_t len = (size_t)f->payload_len;
    if (f->opcode != WSF_CONT) {
        if (ws->in_message)
            return protocol_error(ws, "a new message began inside a fragmented one");
        if (f->fin) {
            ws->ev.message(ws->arg, (const char *)p, len);
            return 0;
        }
        ws->in_message = 1;
        ws->msg_len = 0;
        ws->msg_skip = 0;
    } else if (!ws->in_message) {
        return protocol_error(ws, "a continuation frame outside any message");
    }
    msg_append(ws, p, len);
    if (!f->fin)
        return 0;
    ws->in_message = 0;
    if (!ws->msg_skip)
        ws->ev.message(ws->arg, ws->msg ? (const char *)ws->msg : "", ws->msg_len);
    return 0;
}

/* Codes an endpoint may send (RFC 6455 §7.4): the reply echoes the
 * server's code when it is one of them, else says 1000. */
static int sendable_code(int code)
{
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) || (code >= 3000 && code <= 4999);
}

static int on_close(wsclient *ws, const wsframe *f, const uint8_t *p)
{
    if (f->payload_len == 1)
        return protocol_error(ws, "a close frame with a 1-byte body");
    int code = f->payload_len >= 2 ? p[0] << 8 | p[1] : 0;
    ws->ev.peer_close(ws->arg, code);
    wsclient_close_frame(ws, sendable_code(code) ? code : 1000);
    snprintf(ws->err, sizeof ws->err, "closed by the exchange (code %d)", code);
    return over(ws);
}

static int on_frame(wsclient *ws, const wsframe *f, const uint8_t *p)
{
    switch (f->opcode) {
    case WSF_PING:
        queue_frame(ws, WSF_PONG, p, (size_t)f->payload_len);
        return flush(ws);
    case WSF_PONG:
        return 0;
    case WSF_CLOSE:
        return on_close(ws, f, p);
    default:
        return on_data(ws, f, p);
    }
}

/* A frame too big to keep (control frames never are): its bytes are
 * dropped as they come, and so is the rest of its message. */
static int skip_frame(wsclient *ws, const wsframe *f)
{
    ws->in_discard = f->header_len + f->payload_len;
    if (f->opcode == WSF_CONT) {
        if (!ws->in_message)
            return protocol_error(ws, "a continuation frame outside any message");
        if (!ws->msg_skip)
            ws->ev.oversized(ws->arg);
        ws->msg_skip = 1;
        ws->in_message = !f->fin;
        return 0;
    }
    if (ws->in_message)
        return protocol_error(ws, "a new message began inside a fragmented one");
    ws->ev.oversized(ws->arg);
    ws->in_message = !f->fin;
    ws->msg_skip = 1;
    ws->msg_len = 0;
    return 0;
}

static int walk_frames(wsclient *ws, size_t *off)
{
    while (ws->phase == PH_OPEN && *off < ws->in_len) {
        size_t avail = ws->in_len - *off;
        if (ws->in_discard) {
            size_t take = ws->in_discard < avail ? (size_t)ws->in_discard : avail;
            *off += take;
            ws->in_discard -= take;
            continue;
        }
        wsframe f;
        char why[128];
        int r = wsframe_parse(ws->in + *off, avail, &f, why, sizeof why);
        if (r < 0)
            return protocol_error(ws, why);
        if (r == 0)
            return 0;
        if (f.payload_len > WSCLIENT_MAX_MESSAGE) {
            if (skip_frame(ws, &f) < 0)
                return -1;
            continue;
        }
        size_t total = f.header_len + (size_t)f.payload_len;
        if (avail < total) {
            ws->in_need = total;
            return 0;
        }
        if (on_frame(ws, &f, ws->in + *off + f.header_len) < 0)
            return -1;
        *off += total;
    }
    return ws->phase == PH_DONE ? -1 : 0;
}

static int read_head(wsclient *ws, size_t *off)
{
    size_t end = wsframe_head_end((const char *)ws->in, ws->in_len);
    if (!end) {
        if (ws->in_len > HEAD_MAX)
            return fail(ws, "%s", "the upgrade response is too long");
        return 0;
    }
    wsframe_response r;
    char why[128];
    if (wsframe_check_response((const char *)ws->in, end, ws->key, &r, why, sizeof why) != 0) {
        ws->ev.refused(ws->arg, &r, why);
        return fail(ws, "upgrade refused: %s", why);
    }
    ws->phase = PH_OPEN;
    *off = end;
    ws->ev.open(ws->arg);
    return 0;
}

static int consume(wsclient *ws)
{
    size_t off = 0;
    ws->in_need = 0;
    if (ws->phase == PH_HTTP && read_head(ws, &off) < 0)
        return -1;
    if (ws->phase == PH_OPEN && walk_frames(ws, &off) < 0)
        return -1;
    if (ws->phase == PH_DONE)
        return -1;
    ws->in_len -= off;
    if (ws->in_len && off)
        memmove(ws->in, ws->in + off, ws->in_len);
    if (!ws->in_len && ws->in_cap > IN_SHRINK) {
        free(ws->in);
        ws->in = NULL;
        ws->in_cap = 0;
    }
    return 0;
}

int wsclient_readable(wsclient *ws)
{
    if (ws->phase == PH_DONE)
        return -1;
    if (ws->phase < PH_HTTP) {
        if (advance_connect(ws) < 0)
            return -1;
        if (ws->phase < PH_HTTP)
            return 0;
        return flush(ws);  /* the upgrade request; its answer comes next */
    }
    size_t budget = 0;
    while (budget < READ_BUDGET || netio_pending(ws->io)) {
        size_t need = ws->in_need > ws->in_len + READ_CHUNK ? ws->in_need : ws->in_len + READ_CHUNK;
        reserve(&ws->in, &ws->in_cap, need < IN_INITIAL ? IN_INITIAL : need);
        ssize_t n = netio_read(ws->io, ws->in + ws->in_len, ws->in_cap - ws->in_len, ws->err, sizeof ws->err);
        if (n < 0)
            return over(ws);
        if (n == 0)
            return 0;
        ws->in_len += (size_t)n;
        budget += (size_t)n;
        ws->ev.received(ws->arg);
        if (consume(ws) < 0)
            return -1;
    }
    return 0;
}

void wsclient_send_text(wsclient *ws, const char *text, size_t len, int request)
{
    queue_frame(ws, WSF_TEXT, text, len);
    if (request) {
        ws->req_end = ws->out_len;
        ws->req_pending = 1;
    }
}

void wsclient_ping(wsclient *ws)
{
    queue_frame(ws, WSF_PING, NULL, 0);
}

void wsclient_close_frame(wsclient *ws, int code)
{
    if (ws->phase != PH_OPEN || ws->out_off < ws->out_len)
        return;  /* never cut into a frame half written */
    uint8_t body[2] = {(uint8_t)(code >> 8), (uint8_t)code};
    queue_frame(ws, WSF_CLOSE, body, sizeof body);
    netio_write(ws->io, ws->out, ws->out_len, ws->err, sizeof ws->err);
    ws->out_len = ws->out_off = 0;
}

void wsclient_close_fd(wsclient *ws) { netio_close_fd(ws->io); }

void wsclient_free(wsclient *ws)
{
    if (!ws)
        return;
    netio_free(ws->io);
    if (ws->upgrade) {
        OPENSSL_cleanse(ws->upgrade, strlen(ws->upgrade));
        free(ws->upgrade);
    }
    if (ws->out)
        OPENSSL_cleanse(ws->out, ws->out_cap);
    free(ws->out);
    free(ws->in);
    free(ws->msg);
    free(ws);
}
