/* Parsing and Upbit-style validation of client request messages. */
#ifndef UPWS_MOCK_REQUEST_H
#define UPWS_MOCK_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "mock.h"

struct req_code {
    char *text;             /* as sent, e.g. "KRW-BTC.15" */
    int market;             /* universe index, -1 = unknown (no data) */
    int depth;              /* orderbook units (1, 5, 15, 30) */
};

struct req_item {
    int type;               /* enum dtype */
    bool snapshot, realtime;
    bool has_codes;
    json_t *level;          /* orderbook only; number */
    char level_txt[40];
    struct req_code *codes;
    size_t ncodes;
};

struct request {
    char *ticket;
    bool list_method;       /* LIST_SUBSCRIPTIONS */
    enum fmt fmt;           /* DEFAULT when no format object */
    struct req_item *items;
    size_t nitems;
};

struct req_error {
    const char *name;       /* NULL = accepted */
    char message[256];
};

/* Validates text as a request for a public or private socket. Returns the
 * parsed JSON (NULL if the text is not JSON) for logging; the caller
 * decrefs it. *out is filled only when err->name is NULL. */
json_t *request_parse(const char *text, size_t len, bool private_path,
                      struct request *out, struct req_error *err);
void request_free(struct request *r);
void request_set_error(struct req_error *err, const char *name, const char *detail);
const char *dtype_name(int type);

#endif
