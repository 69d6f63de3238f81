/* Plain-HTTP helpers on top of lws. A large body goes out in one lws_write:
 * lws buffers what the socket does not take and defers the end of the
 * transaction until it has drained. */
#include "mock_http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

static int add_headers(struct lws *wsi, const struct http_hdr *hdrs, size_t n,
                       unsigned char **p, unsigned char *end)
{
    for (size_t i = 0; i < n; i++) {
        const char *v = hdrs[i].value;
        if (lws_add_http_header_by_name(wsi, (const unsigned char *)hdrs[i].name,
                                        (const unsigned char *)v, (int)strlen(v), p, end))
            return -1;
    }
    return 0;
}

int http_reply_hdrs(struct lws *wsi, unsigned status, const char *body,
                    const struct http_hdr *hdrs, size_t nhdrs)
{
    unsigned char buf[LWS_PRE + 1024];
    unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof(buf) - 1;
    size_t len = strlen(body);
    if (lws_add_http_common_headers(wsi, status, "application/json", len, &p, end) ||
        add_headers(wsi, hdrs, nhdrs, &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    unsigned char *b = malloc(LWS_PRE + len + 1);
    if (!b)
        return -1;
    memcpy(b + LWS_PRE, body, len);
    int n = lws_write(wsi, b + LWS_PRE, len, LWS_WRITE_HTTP_FINAL);
    free(b);
    return n < (int)len ? -1 : 0;
}

int http_reply(struct lws *wsi, unsigned status, const char *body)
{
    return http_reply_hdrs(wsi, status, body, NULL, 0);
}

bool http_arg(struct lws *wsi, const char *name, char *buf, size_t cap)
{
    char key[64];
    snprintf(key, sizeof(key), "%s=", name);
    const char *v = lws_get_urlarg_by_name(wsi, key, buf, (int)cap);
    if (!v)
        return false;
    memmove(buf, v, strlen(v) + 1);
    return true;
}

int http_arg_int(struct lws *wsi, const char *name, long min, long max, long *out)
{
    char arg[64];
    if (!http_arg(wsi, name, arg, sizeof(arg)))
        return 1;
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (errno || end == arg || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}
