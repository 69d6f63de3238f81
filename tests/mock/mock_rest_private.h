/* The Exchange REST calls an order monitor falls back to (PROTOCOL §12):
 * GET /v1/accounts, GET /v1/orders/open and GET /v1/order, each behind the
 * JWT check and the "default" group's 30/s budget. */
#ifndef UPWS_MOCK_REST_PRIVATE_H
#define UPWS_MOCK_REST_PRIVATE_H

#include <stdbool.h>

struct lws;

struct rest_call {
    const char *method, *uri;
    char *query;          /* out: the query string as hashed (malloc'd), or NULL */
    const char *auth;     /* out: the JWT check result, or NULL if not reached */
};

bool rest_private_path(const char *uri);
/* Answers one call; *status gets the HTTP status. 0 = written, -1 = hang up. */
int rest_private_http(struct lws *wsi, struct rest_call *call, unsigned *status);

#endif
