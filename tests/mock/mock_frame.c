/* Raw server frames (see mock_frame.h). Server frames are unmasked unless a
 * fault asks otherwise; lengths use the shortest encoding, as RFC 6455 §5.2
 * requires. */
#include "mock_frame.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#define PING_MAX 125
#define BAD_PAYLOAD "{\"status\":\"UP\"}"

static size_t put_header(unsigned char *out, unsigned b0, size_t len, const unsigned char *mask)
{
    size_t n = 0;
    unsigned char m = mask ? WS_MASK : 0;
    out[n++] = (unsigned char)b0;
    if (len < 126) {
        out[n++] = (unsigned char)(m | len);
    } else if (len <= 0xffff) {
        out[n++] = m | 126;
        out[n++] = (unsigned char)(len >> 8);
        out[n++] = (unsigned char)len;
    } else {
        out[n++] = m | 127;
        for (int shift = 56; shift >= 0; shift -= 8)
            out[n++] = (unsigned char)((uint64_t)len >> shift);
    }
    if (mask) {
        memcpy(out + n, mask, 4);
        n += 4;
    }
    return n;
}

static size_t put_frame(unsigned char *out, unsigned b0, const void *payload, size_t len)
{
    size_t n = put_header(out, b0, len, NULL);
    memcpy(out + n, payload, len);
    return n + len;
}

size_t frame_ping(unsigned char *out, const char *payload)
{
    size_t len = strlen(payload);
    if (len > PING_MAX)
        return 0;
    return put_frame(out, WS_FIN | WS_OP_PING, payload, len);
}

unsigned char *frame_fragmented(const unsigned char *msg, size_t len, bool text,
                                const char *ping_payload, unsigned char **wire,
                                size_t *wire_len)
{
    if (len < 3 || strlen(ping_payload) > PING_MAX)
        return NULL;
    unsigned char *buf = malloc(LWS_PRE + 3 * WS_HDR_MAX + 2 + PING_MAX + len);
    if (!buf)
        return NULL;
    unsigned char *p = buf + LWS_PRE;
    /* Three non-empty parts, so each continuation really carries data. */
    size_t a = len / 3, b = 2 * len / 3, n = 0;
    n += put_frame(p + n, text ? WS_OP_TEXT : WS_OP_BINARY, msg, a);
    n += frame_ping(p + n, ping_payload);
    n += put_frame(p + n, WS_OP_CONT, msg + a, b - a);
    n += put_frame(p + n, WS_FIN | WS_OP_CONT, msg + b, len - b);
    *wire = p;
    *wire_len = n;
    return buf;
}

int bad_frame_mode(const char *name)
{
    if (strcmp(name, "masked") == 0)
        return BAD_MASKED;
    if (strcmp(name, "rsv") == 0)
        return BAD_RSV;
    if (strcmp(name, "opcode") == 0)
        return BAD_OPCODE;
    return -1;
}

size_t frame_bad(unsigned char *out, enum bad_frame mode)
{
    static const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};
    const size_t len = sizeof(BAD_PAYLOAD) - 1;
    if (mode == BAD_RSV)
        return put_frame(out, WS_FIN | WS_RSV1 | WS_OP_BINARY, BAD_PAYLOAD, len);
    if (mode == BAD_OPCODE)
        return put_frame(out, WS_FIN | 0x3, BAD_PAYLOAD, len);
    /* Masked properly, so a lenient client would unmask valid JSON: the only
     * thing wrong is that a server masked it. */
    size_t n = put_header(out, WS_FIN | WS_OP_BINARY, len, key);
    for (size_t i = 0; i < len; i++)
        out[n + i] = (unsigned char)BAD_PAYLOAD[i] ^ key[i % 4];
    return n + len;
}
