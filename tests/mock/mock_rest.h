/* The Quotation REST calls the host needs, served on the mock's port. */
#ifndef UPWS_MOCK_REST_H
#define UPWS_MOCK_REST_H

#include <stddef.h>

struct lws;
struct http_hdr;

/* Answers a request under /v1/ (uri without the query); returns 0 when the
 * reply was written, -1 to hang up. */
int rest_http(struct lws *wsi, const char *uri);
/* Writes {"error":{"name":name,"message":msg}} with the given status. */
int rest_reply_error(struct lws *wsi, unsigned status, const char *name, const char *msg,
                     const struct http_hdr *hdrs, size_t nhdrs);
/* The injected faults (/ctl/rest-fail, /ctl/rest-429), which stand for the
 * whole REST service failing: returns 1 when none is active, else the
 * result of writing the 500 (with "Remaining-Req: group=GROUP; min=MIN;
 * sec=SEC") or the 429 (the same with sec=0). */
int rest_reply_fault(struct lws *wsi, const char *group, int min, int sec, unsigned *status);
/* Frees the cached response bodies (at shutdown). */
void rest_free(void);

#endif
