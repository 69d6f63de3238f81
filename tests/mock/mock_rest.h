/* The Quotation REST calls the host needs, served on the mock's port. */
#ifndef UPWS_MOCK_REST_H
#define UPWS_MOCK_REST_H

struct lws;

/* Answers a request under /v1/ (uri without the query); returns 0 when the
 * reply was written, -1 to hang up. */
int rest_http(struct lws *wsi, const char *uri);
/* Frees the cached response bodies (at shutdown). */
void rest_free(void);

#endif
