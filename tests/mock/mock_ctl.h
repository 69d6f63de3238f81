/* Fault injection over plain HTTP: GET /ctl/<action> on the mock's port. */
#ifndef UPWS_MOCK_CTL_H
#define UPWS_MOCK_CTL_H

struct lws;

/* Handles an HTTP request for uri; returns the lws callback result. */
int ctl_http(struct lws *wsi, const char *uri);
/* Writes a complete JSON response (status line, headers, body). */
int http_reply(struct lws *wsi, unsigned status, const char *body);

#endif
