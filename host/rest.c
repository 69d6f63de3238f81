/* rest.c — see rest.h. */
#include "rest.h"
#include "log.h"
#include "util.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REST_MAX_BODY (8u << 20)

typedef struct rest_req {
    rest_done_fn fn;
    void *arg;
    int status;
    int done;
    int connecting;      /* inside lws_client_connect_via_info: rest_get frees */
    char *body;
    size_t len, cap;
    char *authorization;  /* owned; wiped before free */
    char remaining[96];   /* Remaining-Req, "" when absent */
    char host[256], path[1024];
} rest_req;

static void finish(rest_req *r, int status, const char *why)
{
    if (r->done)
        return;
    r->done = 1;
    if (status < 0 && why)
        r->fn(-1, why, strlen(why), NULL, r->arg);
    else
        r->fn(status, r->body ? r->body : "", r->len, r->remaining[0] ? r->remaining : NULL, r->arg);
}

static void req_free(rest_req *r)
{
    if (r->authorization) {
        OPENSSL_cleanse(r->authorization, strlen(r->authorization));
        free(r->authorization);
    }
    free(r->body);
    free(r);
}

static int append(rest_req *r, const void *in, size_t len)
{
    if (r->len + len > REST_MAX_BODY)
        return -1;
    if (r->len + len + 1 > r->cap) {
        r->cap = (r->len + len + 1) * 2;
        r->body = xrealloc(r->body, r->cap);
    }
    memcpy(r->body + r->len, in, len);
    r->len += len;
    r->body[r->len] = 0;
    return 0;
}

int rest_get(struct lws_context *ctx, struct lws_vhost *vh, const char *base_url, const char *path,
             const char *authorization, rest_done_fn fn, void *arg)
{
    char buf[768];
    const char *prot, *ads, *p;
    int port;
    snprintf(buf, sizeof buf, "%s", base_url);
    if (lws_parse_uri(buf, &prot, &ads, &port, &p) != 0)
        return -1;
    int tls = strcmp(prot, "https") == 0;
    rest_req *r = xcalloc(1, sizeof *r);
    r->fn = fn;
    r->arg = arg;
    r->authorization = authorization ? xstrdup(authorization) : NULL;
    snprintf(r->host, sizeof r->host, "%s", ads);
    snprintf(r->path, sizeof r->path, "/%s%s", p, path);
    if (strstr(r->path, "//") == r->path)
        memmove(r->path, r->path + 1, strlen(r->path));
    struct lws_client_connect_info i;
    memset(&i, 0, sizeof i);
    i.context = ctx;
    i.vhost = vh;
    i.address = r->host;
    i.port = port;
    i.path = r->path;
    i.host = r->host;
    i.origin = NULL;
    i.method = "GET";
    i.ssl_connection = tls ? LCCSCF_USE_SSL : 0;
    i.local_protocol_name = "upws-rest";
    i.opaque_user_data = r;
    r->connecting = 1;
    struct lws *wsi = lws_client_connect_via_info(&i);
    r->connecting = 0;
    if (!wsi) {
        /* A synchronous failure may already have reported through the
         * callback; either way the caller hears exactly once. */
        finish(r, -1, "connect failed");
        req_free(r);
    } else if (r->done) {
        req_free(r);  /* finished during the connect call itself */
    }
    return 0;
}

static int append_authorization(rest_req *r, struct lws *wsi, void *in, size_t len)
{
    if (!r->authorization)
        return 0;
    unsigned char **p = in, *end = *p + len;
    return lws_add_http_header_by_name(wsi, (const unsigned char *)"authorization:",
                                       (const unsigned char *)r->authorization, (int)strlen(r->authorization),
                                       p, end) ? -1 : 0;
}

/* Upbit's per-second budget for the call's group (PROTOCOL §8.2). */
static void note_remaining(rest_req *r, struct lws *wsi)
{
    static const char name[] = "remaining-req:";
    if (lws_hdr_custom_copy(wsi, r->remaining, (int)sizeof r->remaining, name, (int)sizeof name - 1) < 0)
        r->remaining[0] = 0;
}

int rest_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    rest_req *r = wsi ? lws_get_opaque_user_data(wsi) : NULL;
    if (!r)
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
        return append_authorization(r, wsi, in, len);
    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
        r->status = (int)lws_http_client_http_response(wsi);
        note_remaining(r, wsi);
        return 0;
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
        return append(r, in, len);
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP: {
        char buf[LWS_PRE + 4096];
        char *px = buf + LWS_PRE;
        int n = (int)sizeof buf - LWS_PRE;
        return lws_http_client_read(wsi, &px, &n) < 0 ? -1 : 0;
    }
    case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
        finish(r, r->status, NULL);
        return 0;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        finish(r, -1, in ? (const char *)in : "connection error");
        lws_set_opaque_user_data(wsi, NULL);
        if (!r->connecting)
            req_free(r);
        return 0;
    case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
        finish(r, r->status ? r->status : -1, "closed before a response");
        lws_set_opaque_user_data(wsi, NULL);
        if (!r->connecting)
            req_free(r);
        return 0;
    default:
        return 0;
    }
}
