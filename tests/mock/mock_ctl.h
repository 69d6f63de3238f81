/* Fault injection over plain HTTP: GET /ctl/<action> on the mock's port. */
#ifndef UPWS_MOCK_CTL_H
#define UPWS_MOCK_CTL_H

struct lws;

/* Answers an HTTP request for uri (anything not under /ctl/ is a 404);
 * returns 0 when the reply was written, -1 to hang up. */
int ctl_http(struct lws *wsi, const char *uri);

#endif
