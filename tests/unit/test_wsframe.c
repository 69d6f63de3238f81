/* test_wsframe.c — the RFC 6455 client codec: handshake values, frame headers,
 * masked frames, the upgrade request and the check of its response. */
#include "wsframe.h"
#include "check.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* RFC 6455 §1.3's worked example. */
static const char rfc_key[] = "dGhlIHNhbXBsZSBub25jZQ==";
static const char rfc_accept[] = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/* ---- handshake values ---- */

static void test_key_accept(void)
{
    char accept[WSF_ACCEPT_LEN];
    wsframe_accept(rfc_key, accept);
    CHECK_STR(accept, rfc_accept);

    char key[WSF_KEY_LEN];
    wsframe_key((const uint8_t *)"the sample nonce", key);
    CHECK_STR(key, rfc_key);

    uint8_t seq[16];
    for (int i = 0; i < 16; i++)
        seq[i] = (uint8_t)i;
    memset(key, 'x', sizeof key);
    wsframe_key(seq, key);
    CHECK_STR(key, "AAECAwQFBgcICQoLDA0ODw==");
    CHECK(strlen(key) == WSF_KEY_LEN - 1);
    wsframe_accept(key, accept);
    CHECK_STR(accept, "Bz3qJYTGdOe8gUSpLosEdiLKDrk=");
    CHECK(strlen(accept) == WSF_ACCEPT_LEN - 1);

    /* No key, or one far too long to be ours: an accept that matches nothing. */
    wsframe_accept(NULL, accept);
    CHECK_STR(accept, "");
    char big[300];
    memset(big, 'A', sizeof big - 1);
    big[sizeof big - 1] = 0;
    wsframe_accept(big, accept);
    CHECK_STR(accept, "");
}

/* ---- frame headers ---- */

/* Parses a copy of exactly len bytes, so ASan sees any read past the end. */
static int parse_n(const uint8_t *b, size_t len, wsframe *f, char *err, size_t errlen)
{
    uint8_t *copy = malloc(len ? len : 1);
    if (len)
        memcpy(copy, b, len);
    int rc = wsframe_parse(copy, len, f, err, errlen);
    free(copy);
    return rc;
}

typedef struct good_hdr {
    uint8_t b[10];
    size_t n;
    int fin, opcode;
    uint64_t plen;
} good_hdr;

static void test_parse_good(void)
{
    static const good_hdr cases[] = {
        {{0x81, 0x00}, 2, 1, WSF_TEXT, 0},
        {{0x82, 125}, 2, 1, WSF_BINARY, 125},
        {{0x01, 126, 0x00, 126}, 4, 0, WSF_TEXT, 126},
        {{0x82, 126, 0xFF, 0xFF}, 4, 1, WSF_BINARY, 65535},
        {{0x80, 127, 0, 0, 0, 0, 0, 1, 0x00, 0x00}, 10, 1, WSF_CONT, 65536},
        {{0x02, 127, 0, 0, 0, 1, 0, 0, 0, 5}, 10, 0, WSF_BINARY, (UINT64_C(1) << 32) + 5},
        {{0x82, 127, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, 10, 1, WSF_BINARY,
         INT64_MAX},
        {{0x00, 7}, 2, 0, WSF_CONT, 7},
        {{0x88, 2}, 2, 1, WSF_CLOSE, 2},
        {{0x89, 0}, 2, 1, WSF_PING, 0},
        {{0x8A, 125}, 2, 1, WSF_PONG, 125},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const good_hdr *c = &cases[i];
        wsframe f = {-1, -1, 0, 0};
        char err[64] = "";
        CHECK(parse_n(c->b, c->n, &f, err, sizeof err) == 1);
        CHECK(f.fin == c->fin);
        CHECK(f.opcode == c->opcode);
        CHECK(f.header_len == c->n);
        CHECK(f.payload_len == c->plen);
        CHECK_STR(err, "");
        /* Every shorter prefix just asks for more. */
        int prefixes_ok = 1;
        for (size_t k = 0; k < c->n; k++)
            prefixes_ok &= parse_n(c->b, k, &f, err, sizeof err) == 0;
        CHECK(prefixes_ok);
    }

    /* Payload bytes after the header change nothing. */
    const uint8_t with_payload[] = {0x81, 3, 'a', 'b', 'c', 0x81};
    wsframe f;
    CHECK(parse_n(with_payload, sizeof with_payload, &f, NULL, 0) == 1);
    CHECK(f.header_len == 2 && f.payload_len == 3);
}

typedef struct bad_hdr {
    uint8_t b[10];
    size_t n;
    const char *why;
} bad_hdr;

static void test_parse_bad(void)
{
    static const bad_hdr cases[] = {
        {{0x81, 0x80, 1, 2, 3, 4}, 6, "masked frame from server"},
        {{0x81, 0x85}, 2, "masked frame from server"},
        {{0xC1, 0}, 2, "reserved bits set"},   /* RSV1 */
        {{0xA1, 0}, 2, "reserved bits set"},   /* RSV2 */
        {{0x91, 0}, 2, "reserved bits set"},   /* RSV3 */
        {{0x09, 0}, 2, "fragmented control frame"},
        {{0x08, 2}, 2, "fragmented control frame"},
        {{0x0A, 0}, 2, "fragmented control frame"},
        {{0x89, 126, 0, 126}, 4, "control frame too long"},
        {{0x88, 127, 0, 0, 0, 0, 0, 0, 0, 1}, 10, "control frame too long"},
        {{0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0}, 10, "64-bit length with top bit set"},
        {{0x81, 127, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, 10,
         "64-bit length with top bit set"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wsframe f = {7, 7, 7, 7};
        char err[64] = "";
        CHECK(parse_n(cases[i].b, cases[i].n, &f, err, sizeof err) == -1);
        CHECK_STR(err, cases[i].why);
        CHECK(f.fin == 7 && f.opcode == 7 && f.header_len == 7 && f.payload_len == 7);
    }

    /* Opcodes 3-7 and B-F are reserved. */
    int unknown_ok = 1;
    for (int op = 0; op < 16; op++) {
        uint8_t b[2] = {(uint8_t)(0x80 | op), 0};
        wsframe f;
        char err[64] = "";
        int rc = parse_n(b, 2, &f, err, sizeof err);
        int known = op <= 2 || (op >= 8 && op <= 10);
        unknown_ok &= known ? rc == 1 : (rc == -1 && strcmp(err, "unknown opcode") == 0);
    }
    CHECK(unknown_ok);

    /* What the first two bytes condemn fails before the extended length arrives. */
    const uint8_t long_ping[] = {0x89, 127};
    wsframe f;
    char err[64] = "";
    CHECK(parse_n(long_ping, sizeof long_ping, &f, err, sizeof err) == -1);
    CHECK_STR(err, "control frame too long");

    /* The top-bit check needs all eight length bytes. */
    const uint8_t top[] = {0x82, 127, 0x80, 0, 0, 0, 0, 0, 0};
    CHECK(parse_n(top, sizeof top, &f, err, sizeof err) == 0);

    /* A tiny or absent err buffer is cut short, never overrun. */
    const uint8_t masked[] = {0x81, 0x80, 0, 0, 0, 0};
    char small[5] = "zzzz";
    CHECK(parse_n(masked, sizeof masked, &f, small, sizeof small) == -1);
    CHECK_STR(small, "mask");
    CHECK(parse_n(masked, sizeof masked, &f, NULL, 0) == -1);
    CHECK(parse_n(masked, sizeof masked, &f, small, 0) == -1);
}

/* ---- masked client frames ---- */

/* The server's view of a client frame: unmask it by hand, check every byte. */
static int roundtrip(size_t n, int opcode)
{
    static const uint8_t mask[4] = {0x12, 0x34, 0xA5, 0xFF};
    uint8_t *payload = n ? malloc(n) : NULL;
    for (size_t i = 0; i < n; i++)
        payload[i] = (uint8_t)(i * 31 + 7);
    uint8_t *out = malloc(WSF_HEADER_MAX + n);
    size_t w = wsframe_encode(out, opcode, payload, n, mask);

    size_t ext = n <= 125 ? 0 : n <= 0xFFFF ? 2 : 8;
    size_t hl = 2 + ext + 4;
    int ok = w == hl + n;
    ok &= out[0] == (0x80 | opcode);   /* FIN, no RSV bits */
    ok &= (out[1] & 0x80) != 0;        /* masked */
    uint64_t len = ext ? 0 : (uint64_t)(out[1] & 0x7F);
    ok &= (out[1] & 0x7F) == (ext == 0 ? n : ext == 2 ? 126 : 127);
    for (size_t i = 0; i < ext; i++)
        len = len << 8 | out[2 + i];
    ok &= len == n;
    ok &= memcmp(out + 2 + ext, mask, 4) == 0;
    for (size_t i = 0; i < n; i++)
        ok &= (uint8_t)(out[hl + i] ^ mask[i % 4]) == payload[i];

    /* Strip the mask bit and key, and the same header must read back as a server frame. */
    uint8_t server[10];
    memcpy(server, out, 2 + ext);
    server[1] &= 0x7F;
    wsframe f;
    ok &= wsframe_parse(server, 2 + ext, &f, NULL, 0) == 1;
    ok &= f.fin == 1 && f.opcode == opcode && f.header_len == 2 + ext && f.payload_len == n;

    free(out);
    free(payload);
    return ok;
}

static void test_encode(void)
{
    static const size_t lens[] = {0, 1, 125, 126, 1000, 65535, 65536, 70000};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        CHECK(roundtrip(lens[i], WSF_TEXT));
        CHECK(roundtrip(lens[i], WSF_BINARY));
    }
    CHECK(roundtrip(0, WSF_PONG));
    CHECK(roundtrip(2, WSF_CLOSE));

    /* Byte for byte: a masked "Hello" (RFC 6455 §5.7). */
    static const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
    static const uint8_t want[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
    uint8_t out[WSF_HEADER_MAX + 5];
    CHECK(wsframe_encode(out, WSF_TEXT, "Hello", 5, mask) == sizeof want);
    CHECK(memcmp(out, want, sizeof want) == 0);

    /* An empty frame may pass no payload at all. */
    uint8_t empty[WSF_HEADER_MAX];
    CHECK(wsframe_encode(empty, WSF_PING, NULL, 0, mask) == 6);
    CHECK(empty[0] == 0x89 && empty[1] == 0x80);
}

/* ---- the upgrade request ---- */

#define REQ_TAIL "Upgrade: websocket\r\nConnection: Upgrade\r\n" \
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"

static void check_request(const char *host, int port, int tls, const char *extra, const char *want)
{
    char out[512];
    memset(out, 'x', sizeof out);
    size_t n = wsframe_request(out, sizeof out, host, port, tls, "/websocket/v1", rfc_key, extra);
    CHECK_STR(out, want);
    CHECK(n == strlen(want));
}

static void test_request(void)
{
    check_request("127.0.0.1", 80, 0, NULL,
                  "GET /websocket/v1 HTTP/1.1\r\nHost: 127.0.0.1\r\n" REQ_TAIL "\r\n");
    check_request("127.0.0.1", 8080, 0, NULL,
                  "GET /websocket/v1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n" REQ_TAIL "\r\n");
    check_request("api.upbit.com", 443, 1, NULL,
                  "GET /websocket/v1 HTTP/1.1\r\nHost: api.upbit.com\r\n" REQ_TAIL "\r\n");
    /* Each scheme's default is its own: 80 under TLS and 443 in the clear are not. */
    check_request("api.upbit.com", 80, 1, NULL,
                  "GET /websocket/v1 HTTP/1.1\r\nHost: api.upbit.com:80\r\n" REQ_TAIL "\r\n");
    check_request("localhost", 443, 0, NULL,
                  "GET /websocket/v1 HTTP/1.1\r\nHost: localhost:443\r\n" REQ_TAIL "\r\n");
    check_request("::1", 9000, 0, NULL,
                  "GET /websocket/v1 HTTP/1.1\r\nHost: [::1]:9000\r\n" REQ_TAIL "\r\n");
    check_request("::1", 80, 0, NULL,
                  "GET /websocket/v1 HTTP/1.1\r\nHost: [::1]\r\n" REQ_TAIL "\r\n");
    check_request("[::1]", 9000, 0, NULL,
                  "GET /websocket/v1 HTTP/1.1\r\nHost: [::1]:9000\r\n" REQ_TAIL "\r\n");
    check_request("api.upbit.com", 443, 1, "Authorization: Bearer abc.def\r\n",
                  "GET /websocket/v1 HTTP/1.1\r\nHost: api.upbit.com\r\n" REQ_TAIL
                  "Authorization: Bearer abc.def\r\n\r\n");
    check_request("api.upbit.com", 443, 1, "",
                  "GET /websocket/v1 HTTP/1.1\r\nHost: api.upbit.com\r\n" REQ_TAIL "\r\n");

    char out[512];
    size_t full = wsframe_request(out, sizeof out, "api.upbit.com", 443, 1, "/websocket/v1",
                                  rfc_key, NULL);
    CHECK(full > 0);
    CHECK(strstr(out, "Origin") == NULL);

    /* Every buffer short of length + NUL fails whole; exactly enough succeeds.
     * Exact-size heap buffers let ASan catch a write past the end. */
    int small_ok = 1;
    for (size_t cap = 0; cap <= full + 1; cap++) {
        char *b = malloc(cap ? cap : 1);
        size_t n = wsframe_request(b, cap, "api.upbit.com", 443, 1, "/websocket/v1", rfc_key, NULL);
        if (cap <= full)
            small_ok &= n == 0 && (cap == 0 || b[0] == 0);
        else
            small_ok &= n == full && memcmp(b, out, full + 1) == 0;
        free(b);
    }
    CHECK(small_ok);

    CHECK(wsframe_request(out, sizeof out, NULL, 443, 1, "/", rfc_key, NULL) == 0);
    CHECK(wsframe_request(out, sizeof out, "h", 0, 1, "/", rfc_key, NULL) == 0);
    CHECK(wsframe_request(out, sizeof out, "h", 65536, 1, "/", rfc_key, NULL) == 0);
}

/* ---- the response ---- */

static void test_head_end(void)
{
    static const char head[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";
    size_t n = sizeof head - 1;
    CHECK(wsframe_head_end(head, n) == n);
    char more[128];
    memcpy(more, head, n);
    memcpy(more + n, "\x81\x02hi", 4);
    CHECK(wsframe_head_end(more, n + 4) == n);
    int partial_ok = 1;
    for (size_t k = 0; k < n; k++)
        partial_ok &= wsframe_head_end(head, k) == 0;
    CHECK(partial_ok);
    CHECK(wsframe_head_end("\r\n\r\n", 4) == 4);
    CHECK(wsframe_head_end("a\r\n\r", 4) == 0);
    CHECK(wsframe_head_end("a\n\n", 3) == 0);
    CHECK(wsframe_head_end("", 0) == 0);
}

/* Checks a copy of exactly strlen(text) bytes with no NUL after it, so ASan
 * sees any read past the end. */
static int respond(const char *text, size_t len, wsframe_response *r, char *err, size_t errlen)
{
    char *b = malloc(len ? len : 1);
    memcpy(b, text, len);
    if (err && errlen)
        err[0] = 0;
    int rc = wsframe_check_response(b, len, rfc_key, r, err, errlen);
    free(b);
    return rc;
}

static int resp(const char *text, wsframe_response *r, char *err)
{
    return respond(text, strlen(text), r, err, 64);
}

static const char good_resp[] =
    "HTTP/1.1 101 Switching Protocols\r\n"
    "Server: test\r\n"
    "uPgRaDe:   WebSocket  \r\n"
    "connection: keep-alive,  Upgrade\t\r\n"
    "SEC-WEBSOCKET-ACCEPT:\t s3pPLMBiTxaQ9kYGzzhZRbK+xOo= \r\n"
    "\r\n";

static void test_response_good(void)
{
    wsframe_response r = {-5, -5};
    char err[64];
    CHECK(resp(good_resp, &r, err) == 0);
    CHECK(r.status == 101);
    CHECK(r.retry_after_s == -1);

    CHECK(resp("HTTP/1.0 101\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n", &r, err) == 0);
    CHECK(r.status == 101);

    /* Bare LF line ends, and no blank line at all: the head simply ends at len. */
    CHECK(resp("HTTP/1.1 101 OK\nUpgrade: websocket\nConnection: upgrade\n"
               "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", &r, err) == 0);

    /* What follows the blank line is not part of the head. */
    CHECK(resp("HTTP/1.1 101\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
               "Sec-WebSocket-Extensions: permessage-deflate\r\n", &r, err) == 0);

    /* A header line without a colon carries nothing we need. */
    CHECK(resp("HTTP/1.1 101\r\nnonsense\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n", &r, err) == 0);

    /* Every truncation of a good head is judged without reading past its end,
     * and passes exactly once the whole accept value is in. */
    size_t accept_end = (size_t)(strstr(good_resp, "xOo=") + 4 - good_resp);
    int trunc_ok = 1;
    for (size_t k = 0; k < sizeof good_resp - 1; k++)
        trunc_ok &= respond(good_resp, k, &r, err, sizeof err) == (k >= accept_end ? 0 : -1);
    CHECK(trunc_ok);
}

static void test_response_bad(void)
{
    wsframe_response r;
    char err[64];

    CHECK(resp("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOA=\r\n\r\n", &r, err) == -1);
    CHECK(r.status == 101);
    CHECK_STR(err, "bad Sec-WebSocket-Accept");

    /* The accept value is base64: its case matters. */
    CHECK(resp("HTTP/1.1 101\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Accept: S3PPLMBITXAQ9KYGZZHZRBK+XOO=\r\n\r\n", &r, err) == -1);
    CHECK_STR(err, "bad Sec-WebSocket-Accept");

    /* A wrong copy is not rescued by a right one. */
    CHECK(resp("HTTP/1.1 101\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Accept: nope\r\n"
               "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n", &r, err) == -1);
    CHECK_STR(err, "bad Sec-WebSocket-Accept");

    CHECK(resp("HTTP/1.1 101\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Accept:\r\n\r\n", &r, err) == -1);
    CHECK_STR(err, "bad Sec-WebSocket-Accept");

    CHECK(resp("HTTP/1.1 101\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", &r, err) == -1);
    CHECK_STR(err, "missing Sec-WebSocket-Accept");

    CHECK(resp("HTTP/1.1 101\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n", &r, err) == -1);
    CHECK_STR(err, "missing Upgrade: websocket");

    CHECK(resp("HTTP/1.1 101\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n", &r, err) == -1);
    CHECK_STR(err, "missing Upgrade: websocket");

    CHECK(resp("HTTP/1.1 101\r\nUpgrade: websocket\r\n"
               "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n", &r, err) == -1);
    CHECK_STR(err, "missing Connection: upgrade");

    /* "upgrade" must be a whole token, not a prefix. */
    CHECK(resp("HTTP/1.1 101\r\nUpgrade: websocket\r\nConnection: upgrade-insecure, close\r\n"
               "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n", &r, err) == -1);
    CHECK_STR(err, "missing Connection: upgrade");

    CHECK(resp("HTTP/1.1 101\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
               "sec-websocket-extensions: permessage-deflate\r\n\r\n", &r, err) == -1);
    CHECK_STR(err, "unrequested extension");
}

static void test_response_status(void)
{
    wsframe_response r;
    char err[64];

    CHECK(resp("HTTP/1.1 429 Too Many Requests\r\nretry-after:  7 \r\n\r\n", &r, err) == -1);
    CHECK(r.status == 429);
    CHECK(r.retry_after_s == 7);
    CHECK_STR(err, "HTTP 429");

    CHECK(resp("HTTP/1.1 503 Service Unavailable\r\n"
               "Retry-After: Fri, 31 Dec 1999 23:59:59 GMT\r\n\r\n", &r, err) == -1);
    CHECK(r.status == 503);
    CHECK(r.retry_after_s == -1);
    CHECK_STR(err, "HTTP 503");

    CHECK(resp("HTTP/1.1 429\r\nRetry-After: 99999999999999999999999\r\n\r\n", &r, err) == -1);
    CHECK(r.retry_after_s == -1);

    CHECK(resp("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n", &r, err) == -1);
    CHECK(r.status == 401);
    CHECK(r.retry_after_s == -1);
    CHECK_STR(err, "HTTP 401");

    /* A redirect is no upgrade, however good its headers. */
    CHECK(resp("HTTP/1.1 200 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n", &r, err) == -1);
    CHECK(r.status == 200);
    CHECK_STR(err, "HTTP 200");

    static const char *garbage[] = {
        "", "garbage\r\n\r\n", "HTTP/1.1\r\n\r\n", "HTTP/1.1 \r\n\r\n", "HTTP/1.1 10\r\n\r\n",
        "HTTP/1.1 1010 x\r\n\r\n", "HTTP/1.1 abc OK\r\n\r\n", "HTTP/2 101\r\n\r\n",
        "http/1.1 101\r\n\r\n", "HTTP/1.1  101\r\n\r\n", "HTTP/1.1 099 x\r\n\r\n",
        " HTTP/1.1 101\r\n\r\n",
    };
    int garbage_ok = 1;
    for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
        r.status = -5;
        garbage_ok &= resp(garbage[i], &r, err) == -1 && r.status == 0 && r.retry_after_s == -1;
    }
    CHECK(garbage_ok);
    CHECK_STR(err, "bad status line");

    /* The status line cut off right after the code still reads. */
    CHECK(respond("HTTP/1.1 101", 12, &r, err, sizeof err) == -1);
    CHECK(r.status == 101);
    CHECK_STR(err, "missing Upgrade: websocket");

    /* A small err buffer truncates; none at all is allowed. */
    char small[5];
    CHECK(respond("HTTP/1.1 429\r\n\r\n", 16, &r, small, sizeof small) == -1);
    CHECK_STR(small, "HTTP");
    CHECK(respond("HTTP/1.1 429\r\n\r\n", 16, &r, NULL, 0) == -1);
    CHECK(r.status == 429);

    CHECK(wsframe_check_response(NULL, 0, rfc_key, &r, err, sizeof err) == -1);
    CHECK(r.status == 0);

    /* Without our key nothing can match, not even an empty accept. */
    static const char empty_accept[] = "HTTP/1.1 101\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                       "Sec-WebSocket-Accept: \r\n\r\n";
    CHECK(wsframe_check_response(empty_accept, sizeof empty_accept - 1, NULL, &r, err,
                                 sizeof err) == -1);
    CHECK_STR(err, "bad Sec-WebSocket-Accept");
}

int main(void)
{
    test_key_accept();
    test_parse_good();
    test_parse_bad();
    test_encode();
    test_request();
    test_head_end();
    test_response_good();
    test_response_bad();
    test_response_status();
    return CHECK_DONE();
}
