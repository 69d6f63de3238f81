/* Plain-HTTP replies and query arguments, shared by /ctl, REST and the
 * upgrade gate (which answers refusals before any WebSocket exists). */
#ifndef UPWS_MOCK_HTTP_H
#define UPWS_MOCK_HTTP_H

#include <stdbool.h>
#include <stddef.h>

struct lws;

struct http_hdr {
    const char *name;       /* with the trailing colon, e.g. "Retry-After:" */
    const char *value;
};

/* Writes a complete JSON response (status line, headers, body). */
int http_reply(struct lws *wsi, unsigned status, const char *body);
int http_reply_hdrs(struct lws *wsi, unsigned status, const char *body,
                    const struct http_hdr *hdrs, size_t nhdrs);

/* Query argument name=value. Returns 0 and sets *out when present and an
 * integer in [min, max], 1 when absent (*out untouched), -1 when malformed. */
int http_arg_int(struct lws *wsi, const char *name, long min, long max, long *out);
/* Query argument name=value copied into buf; false when absent. */
bool http_arg(struct lws *wsi, const char *name, char *buf, size_t cap);

#endif
