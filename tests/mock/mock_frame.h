/* Hand-built RFC 6455 server frames for the framing faults. lws frames every
 * ordinary message itself; these are the frames it would never produce (a
 * message split around a ping, protocol violations), written raw. */
#ifndef UPWS_MOCK_FRAME_H
#define UPWS_MOCK_FRAME_H

#include <stdbool.h>
#include <stddef.h>

#define WS_OP_CONT 0x0
#define WS_OP_TEXT 0x1
#define WS_OP_BINARY 0x2
#define WS_OP_PING 0x9
#define WS_FIN 0x80
#define WS_RSV1 0x40
#define WS_MASK 0x80
#define WS_HDR_MAX 14   /* 2 + 8 (64-bit length) + 4 (mask key) */

/* The message as 3 frames (opcode FIN=0, CONT FIN=0, CONT FIN=1) with a ping
 * carrying ping_payload between the first two. Returns a malloc'd buffer
 * with LWS_PRE bytes of headroom before *wire; NULL on failure or if the
 * message is shorter than 3 bytes (it could not be split in 3). */
unsigned char *frame_fragmented(const unsigned char *msg, size_t len, bool text,
                                const char *ping_payload, unsigned char **wire,
                                size_t *wire_len);

/* One ping frame (payload at most 125 bytes) into out; returns its length,
 * 0 if the payload is too long. out must hold 2 + 125 bytes. */
size_t frame_ping(unsigned char *out, const char *payload);

enum bad_frame { BAD_MASKED, BAD_RSV, BAD_OPCODE };

/* "masked" | "rsv" | "opcode"; -1 otherwise. */
int bad_frame_mode(const char *name);

/* One malformed single frame carrying a harmless {"status":"UP"} payload:
 * masked (servers must not mask), RSV1 set (nothing was negotiated), or the
 * reserved data opcode 0x3. Returns its length; out must hold 64 bytes. */
size_t frame_bad(unsigned char *out, enum bad_frame mode);

#endif
