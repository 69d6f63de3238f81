/* The lws protocol: HTTP gate, WebSocket lifecycle and message dispatch. */
#ifndef UPWS_MOCK_SERVER_H
#define UPWS_MOCK_SERVER_H

#include <libwebsockets.h>

extern const struct lws_protocols mock_protocols[];

#endif
