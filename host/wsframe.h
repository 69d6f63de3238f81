/*
 * wsframe.h — the client side of RFC 6455, as pure functions over bytes:
 * the upgrade request and the check of its response, frame headers read in
 * place, and masked client frames written into a caller's buffer.
 *
 * Why upws frames WebSocket itself: libwebsockets 4.1's client runs every
 * payload byte through its frame state machine (≈ 5–7 µs of a ≈ 930-byte
 * ticker, most of the host's cost per message; docs/PERFORMANCE.md). Walking
 * headers in place and handing each payload to the decoder where it lies
 * costs a fraction of that. conn.c does the I/O; nothing here allocates,
 * reads a clock or touches a socket, so every case is unit-testable.
 *
 * Ownership: every pointer is borrowed for the call; nothing is kept.
 */
#ifndef UPWS_WSFRAME_H
#define UPWS_WSFRAME_H

#include <stddef.h>
#include <stdint.h>

enum {
    WSF_CONT = 0x0,
    WSF_TEXT = 0x1,
    WSF_BINARY = 0x2,
    WSF_CLOSE = 0x8,
    WSF_PING = 0x9,
    WSF_PONG = 0xA,
};

/* Control frames carry at most this much payload (RFC 6455 §5.5). */
#define WSF_CONTROL_MAX 125
/* Longest client frame header: 2 + 8 (64-bit length) + 4 (mask). */
#define WSF_HEADER_MAX 14
/* Sec-WebSocket-Key: 16 random bytes in base64 (24 chars + NUL). */
#define WSF_KEY_LEN 25
/* Sec-WebSocket-Accept: base64 of a SHA-1 (28 chars + NUL). */
#define WSF_ACCEPT_LEN 29

typedef struct wsframe {
    int fin;              /* 1: last frame of its message */
    int opcode;           /* WSF_* */
    size_t header_len;    /* bytes before the payload */
    uint64_t payload_len;
} wsframe;

/* Reads one server frame header at buf[0..len).
 * Returns  1: *f is filled (the payload may not have arrived yet: check
 *             f->header_len + f->payload_len against what you hold);
 *          0: more bytes are needed to read the header;
 *         -1: protocol error, reason in err (a masked server frame, reserved
 *             bits set without an extension, an unknown opcode, a control
 *             frame that is fragmented or longer than 125 bytes, a 64-bit
 *             length with its top bit set). */
int wsframe_parse(const uint8_t *buf, size_t len, wsframe *f, char *err, size_t errlen);

/* Writes one complete, final (FIN) client frame masked with `mask` into out
 * (which must hold WSF_HEADER_MAX + len bytes). Returns the bytes written. */
size_t wsframe_encode(uint8_t *out, int opcode, const void *payload, size_t len, const uint8_t mask[4]);

/* Sec-WebSocket-Key from 16 random bytes (the caller's RNG). */
void wsframe_key(const uint8_t random16[16], char key[WSF_KEY_LEN]);

/* The Sec-WebSocket-Accept a server must send for key (SHA-1 + GUID). */
void wsframe_accept(const char *key, char accept[WSF_ACCEPT_LEN]);

/* The upgrade request: GET path, Host (with ":port" unless it is the
 * scheme's default), Upgrade, Connection, the key, version 13, then
 * `extra_headers` verbatim (each line ending in CRLF; NULL for none), then
 * the blank line. No Origin header, ever (Upbit throttles requests that
 * carry one). Returns the length written, or 0 when out is too small. */
size_t wsframe_request(char *out, size_t outlen, const char *host, int port, int tls,
                       const char *path, const char *key, const char *extra_headers);

/* Finds the end of the response head ("\r\n\r\n") in buf[0..len): returns
 * the head's length including that blank line, or 0 if it has not all
 * arrived yet. */
size_t wsframe_head_end(const char *buf, size_t len);

typedef struct wsframe_response {
    int status;              /* the HTTP status code; 0 when the status line is bad */
    int64_t retry_after_s;   /* Retry-After in seconds, -1 if absent or not a number */
} wsframe_response;

/* Checks a complete response head (as delimited by wsframe_head_end).
 * Returns 0 when it is a valid 101 upgrade for key: Upgrade: websocket and
 * Connection: upgrade (as a token, case-insensitive), and the right
 * Sec-WebSocket-Accept; no Sec-WebSocket-Extensions (we offer none).
 * Otherwise -1 and err says why ("HTTP 429", "bad Sec-WebSocket-Accept",
 * …); r is filled in both cases. Header names are case-insensitive and
 * may have spaces around the value. */
int wsframe_check_response(const char *head, size_t len, const char *key, wsframe_response *r,
                           char *err, size_t errlen);

#endif
