/* /ctl actions that exercise the client's WebSocket framing (see mock_ctl.c
 * for the list): fragmentation, server pings, malformed frames, one huge
 * message. */
#ifndef UPWS_MOCK_CTL_FRAME_H
#define UPWS_MOCK_CTL_FRAME_H

#include <stddef.h>

struct conn;
struct lws;

#define FRAG_PING "frag"
#define SERVER_PING "mock-ping"

/* Handles action if it is one of fragment, server-ping, bad-frame, big:
 * returns the reply result (0 written, -1 hang up), or 1 if not ours. */
int ctl_frame(struct lws *wsi, const char *action);

/* Counts a pong from c by its payload (LWS_CALLBACK_RECEIVE_PONG). */
void frame_note_pong(struct conn *c, const void *payload, size_t len);

#endif
