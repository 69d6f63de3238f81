/* wsframe.c — see wsframe.h. */
#include "wsframe.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

/* RFC 6455 §1.3: the server proves it read our key by hashing it with this. */
static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/* Our keys are 24 chars; anything much longer is not one of ours. */
#define WS_KEY_MAX 128

static void ws_fail(char *err, size_t errlen, const char *why)
{
    if (err && errlen)
        snprintf(err, errlen, "%s", why);
}

/* ---- frames ---------------------------------------------------------------- */

static int ws_opcode_known(int op)
{
    return op == WSF_CONT || op == WSF_TEXT || op == WSF_BINARY || op == WSF_CLOSE ||
           op == WSF_PING || op == WSF_PONG;
}

static uint64_t ws_be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* What the first two bytes alone can condemn, so a bad frame fails before
 * we wait for an extended length that may never come. */
static const char *ws_first_bytes_error(uint8_t b0, uint8_t b1)
{
    int op = b0 & 0x0F, len7 = b1 & 0x7F;
    if (b1 & 0x80)
        return "masked frame from server";
    if (b0 & 0x70)
        return "reserved bits set";
    if (!ws_opcode_known(op))
        return "unknown opcode";
    if (op >= WSF_CLOSE && !(b0 & 0x80))
        return "fragmented control frame";
    if (op >= WSF_CLOSE && len7 > WSF_CONTROL_MAX)
        return "control frame too long";
    return NULL;
}

int wsframe_parse(const uint8_t *buf, size_t len, wsframe *f, char *err, size_t errlen)
{
    if (len < 2)
        return 0;
    const char *why = ws_first_bytes_error(buf[0], buf[1]);
    if (why) {
        ws_fail(err, errlen, why);
        return -1;
    }
    int len7 = buf[1] & 0x7F;
    size_t ext = len7 == 127 ? 8 : len7 == 126 ? 2 : 0;
    if (len < 2 + ext)
        return 0;
    uint64_t plen = ext ? ws_be(buf + 2, ext) : (uint64_t)len7;
    if (plen >> 63) {
        ws_fail(err, errlen, "64-bit length with top bit set");
        return -1;
    }
    f->fin = buf[0] >> 7;
    f->opcode = buf[0] & 0x0F;
    f->header_len = 2 + ext;
    f->payload_len = plen;
    return 1;
}

size_t wsframe_encode(uint8_t *out, int opcode, const void *payload, size_t len, const uint8_t mask[4])
{
    size_t h = 0;
    out[h++] = (uint8_t)(0x80 | (opcode & 0x0F));
    if (len <= 125) {
        out[h++] = (uint8_t)(0x80 | len);
    } else if (len <= 0xFFFF) {
        out[h++] = 0x80 | 126;
        out[h++] = (uint8_t)(len >> 8);
        out[h++] = (uint8_t)len;
    } else {
        out[h++] = 0x80 | 127;
        for (int shift = 56; shift >= 0; shift -= 8)
            out[h++] = (uint8_t)((uint64_t)len >> shift);
    }
    memcpy(out + h, mask, 4);
    h += 4;
    const uint8_t *in = payload;
    for (size_t i = 0; i < len; i++)
        out[h + i] = in[i] ^ mask[i & 3];
    return h + len;
}

/* ---- handshake values ------------------------------------------------------ */

void wsframe_key(const uint8_t random16[16], char key[WSF_KEY_LEN])
{
    EVP_EncodeBlock((unsigned char *)key, random16, 16);
}

void wsframe_accept(const char *key, char accept[WSF_ACCEPT_LEN])
{
    /* EVP_Digest is one-shot, so key and GUID go through one stack buffer. */
    char buf[WS_KEY_MAX + sizeof ws_guid];
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    accept[0] = 0;   /* an empty accept never matches: check_response insists */
    size_t klen = key ? strlen(key) : 0;
    if (!key || klen > WS_KEY_MAX)
        return;
    memcpy(buf, key, klen);
    memcpy(buf + klen, ws_guid, sizeof ws_guid - 1);
    if (EVP_Digest(buf, klen + sizeof ws_guid - 1, md, &mdlen, EVP_sha1(), NULL) != 1 ||
        mdlen != 20)
        return;
    EVP_EncodeBlock((unsigned char *)accept, md, 20);
}

/* ---- the upgrade request --------------------------------------------------- */

/* Appends into a fixed buffer; once something does not fit, nothing more is
 * written and the whole request counts as failed. */
typedef struct ws_out {
    char *p;
    size_t len, cap;
    int full;
} ws_out;

static void ws_put(ws_out *o, const char *s)
{
    size_t n = strlen(s);
    if (o->full || n >= o->cap - o->len) {   /* keep a byte for the NUL */
        o->full = 1;
        return;
    }
    memcpy(o->p + o->len, s, n + 1);
    o->len += n;
}

static void ws_put_host(ws_out *o, const char *host, int port, int tls)
{
    /* An IPv6 literal needs brackets, or its colons read as a port. */
    int v6 = strchr(host, ':') && host[0] != '[';
    ws_put(o, v6 ? "[" : "");
    ws_put(o, host);
    ws_put(o, v6 ? "]" : "");
    if ((tls && port == 443) || (!tls && port == 80))
        return;
    char num[16];
    snprintf(num, sizeof num, ":%d", port);
    ws_put(o, num);
}

size_t wsframe_request(char *out, size_t outlen, const char *host, int port, int tls,
                       const char *path, const char *key, const char *extra_headers)
{
    if (!out || outlen == 0)
        return 0;
    out[0] = 0;
    if (!host || !path || !key || port < 1 || port > 65535)
        return 0;
    ws_out o = {out, 0, outlen, 0};
    ws_put(&o, "GET ");
    ws_put(&o, path);
    ws_put(&o, " HTTP/1.1\r\nHost: ");
    ws_put_host(&o, host, port, tls);
    ws_put(&o, "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ");
    ws_put(&o, key);
    ws_put(&o, "\r\nSec-WebSocket-Version: 13\r\n");
    ws_put(&o, extra_headers ? extra_headers : "");
    ws_put(&o, "\r\n");
    if (o.full) {
        out[0] = 0;   /* no half request for a careless caller to send */
        return 0;
    }
    return o.len;
}

size_t wsframe_head_end(const char *buf, size_t len)
{
    for (size_t i = 0; i + 4 <= len; i++)
        if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n')
            return i + 4;
    return 0;
}

/* ---- the response ---------------------------------------------------------- */

typedef struct ws_span {
    const char *p;
    size_t n;
} ws_span;

static int ws_blank(char c)
{
    return c == ' ' || c == '\t';
}

static ws_span ws_trim(ws_span s)
{
    while (s.n && ws_blank(s.p[0])) {
        s.p++;
        s.n--;
    }
    while (s.n && ws_blank(s.p[s.n - 1]))
        s.n--;
    return s;
}

/* The head is not NUL-terminated, so every comparison is by length. */
static int ws_ieq(ws_span s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n == n && strncasecmp(s.p, lit, n) == 0;
}

/* The line at *pos up to its LF (or the end), without the CR; advances *pos. */
static ws_span ws_line(const char *head, size_t len, size_t *pos)
{
    ws_span s = {head + *pos, 0};
    while (*pos + s.n < len && s.p[s.n] != '\n')
        s.n++;
    *pos += s.n + (*pos + s.n < len);
    if (s.n && s.p[s.n - 1] == '\r')
        s.n--;
    return s;
}

/* "HTTP/1.x NNN[ reason]" → NNN, or 0 when it is anything else. */
static int ws_status(ws_span s)
{
    static const char v11[] = "HTTP/1.1 ", v10[] = "HTTP/1.0 ";
    const size_t pre = sizeof v11 - 1;
    if (s.n < pre + 3 || (memcmp(s.p, v11, pre) != 0 && memcmp(s.p, v10, pre) != 0))
        return 0;
    if (s.n > pre + 3 && s.p[pre + 3] != ' ')
        return 0;
    int code = 0;
    for (size_t i = pre; i < pre + 3; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return 0;
        code = code * 10 + (s.p[i] - '0');
    }
    return code >= 100 ? code : 0;
}

/* Delay-seconds only; an HTTP-date or anything overflowing is "unknown". */
static int64_t ws_seconds(ws_span v)
{
    if (v.n == 0 || v.n > 18)   /* 18 digits cannot overflow int64_t */
        return -1;
    int64_t s = 0;
    for (size_t i = 0; i < v.n; i++) {
        if (v.p[i] < '0' || v.p[i] > '9')
            return -1;
        s = s * 10 + (v.p[i] - '0');
    }
    return s;
}

/* Is `token` one of the comma-separated entries of v? */
static int ws_has_token(ws_span v, const char *token)
{
    while (v.n) {
        size_t n = 0;
        while (n < v.n && v.p[n] != ',')
            n++;
        if (ws_ieq(ws_trim((ws_span){v.p, n}), token))
            return 1;
        size_t skip = n + (n < v.n);
        v.p += skip;
        v.n -= skip;
    }
    return 0;
}

typedef struct ws_seen {
    int upgrade, connection, extensions;
    int accept;   /* 0 absent, 1 right, -1 wrong (sticks: a second copy cannot fix it) */
    int64_t retry_after_s;
} ws_seen;

static void ws_header(ws_span line, const char *accept, ws_seen *h)
{
    const char *colon = memchr(line.p, ':', line.n);
    if (!colon)
        return;   /* not a header; nothing we need can be in it */
    ws_span name = ws_trim((ws_span){line.p, (size_t)(colon - line.p)});
    ws_span val = ws_trim((ws_span){colon + 1, line.n - (size_t)(colon + 1 - line.p)});
    if (ws_ieq(name, "Upgrade")) {
        h->upgrade |= ws_ieq(val, "websocket");
    } else if (ws_ieq(name, "Connection")) {
        h->connection |= ws_has_token(val, "upgrade");
    } else if (ws_ieq(name, "Sec-WebSocket-Accept")) {
        size_t n = strlen(accept);
        int ok = n && val.n == n && memcmp(val.p, accept, n) == 0;
        if (h->accept >= 0)
            h->accept = ok ? 1 : -1;
    } else if (ws_ieq(name, "Sec-WebSocket-Extensions")) {
        h->extensions = 1;
    } else if (ws_ieq(name, "Retry-After")) {
        h->retry_after_s = ws_seconds(val);
    }
}

static const char *ws_upgrade_error(const ws_seen *h)
{
    if (!h->upgrade)
        return "missing Upgrade: websocket";
    if (!h->connection)
        return "missing Connection: upgrade";
    if (h->accept == 0)
        return "missing Sec-WebSocket-Accept";
    if (h->accept < 0)
        return "bad Sec-WebSocket-Accept";
    if (h->extensions)
        return "unrequested extension";
    return NULL;
}

int wsframe_check_response(const char *head, size_t len, const char *key, wsframe_response *r,
                           char *err, size_t errlen)
{
    r->status = 0;
    r->retry_after_s = -1;
    size_t pos = 0;
    if (head)
        r->status = ws_status(ws_line(head, len, &pos));
    if (!r->status) {
        ws_fail(err, errlen, "bad status line");
        return -1;
    }
    char accept[WSF_ACCEPT_LEN];
    wsframe_accept(key, accept);
    ws_seen h = {0, 0, 0, 0, -1};
    while (pos < len) {
        ws_span line = ws_line(head, len, &pos);
        if (line.n == 0)
            break;   /* the blank line: end of the head */
        ws_header(line, accept, &h);
    }
    r->retry_after_s = h.retry_after_s;
    if (r->status != 101) {
        if (err && errlen)
            snprintf(err, errlen, "HTTP %d", r->status);
        return -1;
    }
    const char *why = ws_upgrade_error(&h);
    if (why) {
        ws_fail(err, errlen, why);
        return -1;
    }
    return 0;
}
