/* chart_server.c — HTTP + WebSocket server of chart_feeder; see chart_server.h.
 *
 * Threads: the lws context is created, serviced and destroyed on the server
 * thread only. Other threads touch it through cs_notify() (lws_cancel_service,
 * which lws allows from any thread) and cs_stop(). The candle state lives in
 * cp_shared under its mutex; the server renders a viewer's next message while
 * holding it, so a viewer always gets the newest state and nothing queues up
 * for a slow one: lws only reports a connection writeable once its previous
 * frame has left. */
#include "chart_server.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <libwebsockets.h>

#define CS_RX_MAX 1024       /* the only request a page sends is tiny */
#define CS_WS_PROTOCOL "upws-chart"

typedef struct viewer {
    struct viewer *next;
    struct lws *wsi;
    int m, i;                /* subscribed market and interval, -1 = none */
    uint64_t sent_rev;       /* series revision the page has */
    uint64_t sent_conn_rev;
    int need_hello, need_history, wants_write;
    const char *error;       /* static text to send, or NULL */
    cp_buf out;              /* the frame being written (LWS_PRE headroom) */
    char rx[CS_RX_MAX];
    size_t rx_len;
    int rx_overflow;
} viewer;

struct chart_server {
    cs_config cfg;
    char *iface, *web_dir;   /* owned copies */
    cp_shared *sh;
    struct lws_context *ctx;
    struct lws_vhost *vhost;
    pthread_t thread;
    atomic_int stop, wake_pending;
    pthread_mutex_t start_mu;
    pthread_cond_t start_cv;
    int start_state;         /* 0 starting, 1 listening, -1 failed */
    char start_err[160];
    int port;
    viewer *viewers;         /* server thread only */
    size_t n_viewers;
    int refused_logged;
};

#define SLOG(s, lvl, ...) (s)->cfg.api->log((s)->cfg.ctx, (lvl), __VA_ARGS__)

static chart_server *server_of(struct lws *wsi)
{
    return lws_context_user(lws_get_context(wsi));
}

/* ---- static files ------------------------------------------------------------ */

/* Only these are served: no directory listing, no path from the request
 * ever reaches the file system. */
static const struct {
    const char *uri, *file, *mime;
} files[] = {
    {"/", "index.html", "text/html; charset=utf-8"},
    {"/index.html", "index.html", "text/html; charset=utf-8"},
    {"/app.js", "app.js", "text/javascript; charset=utf-8"},
    {"/style.css", "style.css", "text/css; charset=utf-8"},
    {"/vendor/lightweight-charts.standalone.production.js",
     "node_modules/lightweight-charts/dist/lightweight-charts.standalone.production.js",
     "text/javascript; charset=utf-8"},
    {"/vendor/lightweight-charts/LICENSE", "node_modules/lightweight-charts/LICENSE",
     "text/plain; charset=utf-8"},
};

static const char extra_headers[] = "cache-control: no-cache\x0d\x0a"
                                    "x-content-type-options: nosniff\x0d\x0a";

static int http_done(struct lws *wsi)
{
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int http_status(struct lws *wsi, unsigned code)
{
    if (lws_return_http_status(wsi, code, NULL))
        return -1;
    return http_done(wsi);
}

static int serve_file(struct lws *wsi, const char *uri)
{
    chart_server *s = server_of(wsi);
    if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) <= 0)
        return http_status(wsi, HTTP_STATUS_METHOD_NOT_ALLOWED);
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        if (strcmp(uri, files[k].uri) != 0)
            continue;
        char path[PATH_MAX];
        int n = snprintf(path, sizeof path, "%s/%s", s->web_dir, files[k].file);
        if (n < 0 || (size_t)n >= sizeof path || access(path, R_OK) != 0)
            return http_status(wsi, HTTP_STATUS_NOT_FOUND);
        n = lws_serve_http_file(wsi, path, files[k].mime, extra_headers,
                                (int)sizeof extra_headers - 1);
        if (n < 0)
            return -1;
        return n > 0 ? http_done(wsi) : 0; /* 0: lws sends the rest */
    }
    return http_status(wsi, HTTP_STATUS_NOT_FOUND);
}

static int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                         void *in, size_t len)
{
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        return serve_file(wsi, in ? (const char *)in : "");
    case LWS_CALLBACK_HTTP_FILE_COMPLETION:
        return http_done(wsi);
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return -1; /* a WebSocket upgrade without our subprotocol: refused */
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

/* ---- viewers ------------------------------------------------------------------ */

static const cc_series *viewer_series(const viewer *v, const cp_shared *sh)
{
    return &sh->book.markets[v->m].series[v->i];
}

/* Caller holds sh->mu. */
static int viewer_pending(const viewer *v, const cp_shared *sh)
{
    if (v->need_hello || v->error || v->need_history || sh->conn_rev != v->sent_conn_rev)
        return 1;
    return v->m >= 0 && viewer_series(v, sh)->rev != v->sent_rev;
}

/* Renders the most urgent message into v->out; 0 when there is nothing to
 * send. Caller holds sh->mu. An update always carries every candle changed
 * since the last frame, so skipping frames loses nothing. */
static int render_next(viewer *v, const cp_shared *sh)
{
    if (v->need_hello) {
        cp_hello(&v->out, sh);
        v->need_hello = 0;
        v->sent_conn_rev = sh->conn_rev;
        return 1;
    }
    if (v->error) {
        cp_error(&v->out, v->error);
        v->error = NULL;
        return 1;
    }
    if (v->need_history && v->m >= 0) {
        cp_history(&v->out, sh, (size_t)v->m, (size_t)v->i);
        v->need_history = 0;
        v->sent_rev = viewer_series(v, sh)->rev;
        return 1;
    }
    if (sh->conn_rev != v->sent_conn_rev) {
        cp_conn_msg(&v->out, sh);
        v->sent_conn_rev = sh->conn_rev;
        return 1;
    }
    if (v->m < 0)
        return 0;
    size_t n = cp_update(&v->out, sh, (size_t)v->m, (size_t)v->i, v->sent_rev);
    v->sent_rev = viewer_series(v, sh)->rev;
    return n > 0;
}

static int viewer_write(chart_server *s, viewer *v)
{
    pthread_mutex_lock(&s->sh->mu);
    int have = render_next(v, s->sh);
    int more = viewer_pending(v, s->sh);
    pthread_mutex_unlock(&s->sh->mu);
    if (have && v->out.failed) {
        SLOG(s, UPWS_LOG_ERROR, "out of memory rendering a frame: closing a viewer");
        return -1;
    }
    if (have) {
        size_t len = v->out.len;
        if (lws_write(v->wsi, (unsigned char *)cp_buf_text(&v->out), len, LWS_WRITE_TEXT) <
            (int)len)
            return -1;
    }
    if (more)
        lws_callback_on_writable(v->wsi);
    return 0;
}

static int viewer_open(chart_server *s, viewer *v, struct lws *wsi)
{
    if (s->n_viewers >= s->cfg.max_viewers) {
        if (!s->refused_logged++)
            SLOG(s, UPWS_LOG_WARN, "refusing a viewer: %zu already connected (max_viewers)",
                 s->n_viewers);
        return -1;
    }
    memset(v, 0, sizeof *v);
    v->wsi = wsi;
    v->m = v->i = -1;
    v->need_hello = 1;
    cp_buf_init(&v->out, LWS_PRE);
    v->next = s->viewers;
    s->viewers = v;
    s->n_viewers++;
    s->refused_logged = 0;
    lws_callback_on_writable(wsi);
    return 0;
}

static void viewer_close(chart_server *s, viewer *v)
{
    for (viewer **p = &s->viewers; *p; p = &(*p)->next) {
        if (*p == v) {
            *p = v->next;
            s->n_viewers--;
            cp_buf_free(&v->out);
            return;
        }
    }
}

/* {"subscribe":{"code":"KRW-BTC","interval":"1m"}} */
static void viewer_subscribe(chart_server *s, viewer *v, const char *code, const char *ivl)
{
    int64_t ms;
    pthread_mutex_lock(&s->sh->mu);
    int m = code ? cc_book_market(&s->sh->book, code) : -1;
    int i = ivl && cc_interval_parse(ivl, &ms) == 0 ? cc_book_interval(&s->sh->book, ms) : -1;
    if (m < 0)
        v->error = "unknown code: not in this chart's codes";
    else if (i < 0)
        v->error = "unknown interval: not in this chart's intervals";
    else {
        v->m = m;
        v->i = i;
        v->need_history = 1;
    }
    pthread_mutex_unlock(&s->sh->mu);
}

static void viewer_message(chart_server *s, viewer *v)
{
    json_error_t jerr;
    json_t *root = json_loadb(v->rx, v->rx_len, 0, &jerr);
    json_t *sub = root ? json_object_get(root, "subscribe") : NULL;
    if (json_is_object(sub))
        viewer_subscribe(s, v, json_string_value(json_object_get(sub, "code")),
                         json_string_value(json_object_get(sub, "interval")));
    else
        v->error = "expected a subscribe request with a code and an interval";
    json_decref(root);
    lws_callback_on_writable(v->wsi);
}

/* Collects fragments of one message; oversized messages are answered with
 * an error once complete rather than buffered. */
static void viewer_receive(chart_server *s, viewer *v, const void *in, size_t len)
{
    if (v->rx_len + len > sizeof v->rx)
        v->rx_overflow = 1;
    else {
        memcpy(v->rx + v->rx_len, in, len);
        v->rx_len += len;
    }
    if (!lws_is_final_fragment(v->wsi) || lws_remaining_packet_payload(v->wsi))
        return;
    if (v->rx_overflow) {
        v->error = "message too long";
        lws_callback_on_writable(v->wsi);
    } else {
        viewer_message(s, v);
    }
    v->rx_len = 0;
    v->rx_overflow = 0;
}

/* The plugin thread changed something: ask lws for a writeable callback on
 * exactly the viewers that have something new. */
static void wake_viewers(chart_server *s)
{
    atomic_store(&s->wake_pending, 0);
    pthread_mutex_lock(&s->sh->mu);
    for (viewer *v = s->viewers; v; v = v->next)
        v->wants_write = viewer_pending(v, s->sh);
    pthread_mutex_unlock(&s->sh->mu);
    for (viewer *v = s->viewers; v; v = v->next)
        if (v->wants_write)
            lws_callback_on_writable(v->wsi);
}

static int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                       void *in, size_t len)
{
    viewer *v = user;
    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
        return viewer_open(server_of(wsi), v, wsi);
    case LWS_CALLBACK_CLOSED:
        viewer_close(server_of(wsi), v);
        return 0;
    case LWS_CALLBACK_RECEIVE:
        viewer_receive(server_of(wsi), v, in, len);
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return viewer_write(server_of(wsi), v);
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        wake_viewers(server_of(wsi));
        return 0;
    default:
        return 0;
    }
}

static const struct lws_protocols protocols[] = {
    {"http", http_callback, 0, 0, 0, NULL, 0},
    {CS_WS_PROTOCOL, ws_callback, sizeof(viewer), CS_RX_MAX, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* ---- the thread ------------------------------------------------------------------ */

static int create_context(chart_server *s)
{
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DISABLE_IPV6;
    info.gid = -1;
    info.uid = -1;
    info.user = s;
    info.fd_limit_per_thread = (unsigned)(s->cfg.max_viewers * 2 + 32); /* not ulimit -n */
    s->ctx = lws_create_context(&info);
    if (!s->ctx) {
        snprintf(s->start_err, sizeof s->start_err, "cannot create the lws context");
        return -1;
    }
    info.options |= LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
    info.port = s->cfg.port;
    info.iface = s->iface;
    info.protocols = protocols;
    info.vhost_name = "chart";
    s->vhost = lws_create_vhost(s->ctx, &info);
    if (!s->vhost) {
        snprintf(s->start_err, sizeof s->start_err, "cannot listen on %s:%d (in use?)", s->iface,
                 s->cfg.port);
        lws_context_destroy(s->ctx);
        s->ctx = NULL;
        return -1;
    }
    s->port = lws_get_vhost_listen_port(s->vhost);
    return 0;
}

static void report_start(chart_server *s, int state)
{
    pthread_mutex_lock(&s->start_mu);
    s->start_state = state;
    pthread_cond_signal(&s->start_cv);
    pthread_mutex_unlock(&s->start_mu);
}

static void *server_main(void *arg)
{
    chart_server *s = arg;
    if (create_context(s) != 0) {
        report_start(s, -1);
        return NULL;
    }
    report_start(s, 1);
    while (!atomic_load(&s->stop)) {
        if (lws_service(s->ctx, 0) < 0) {
            SLOG(s, UPWS_LOG_ERROR, "chart server stopped: lws_service failed");
            break;
        }
    }
    lws_context_destroy(s->ctx); /* closes every viewer (CLOSED frees it) */
    return NULL;
}

static void server_free(chart_server *s)
{
    pthread_cond_destroy(&s->start_cv);
    pthread_mutex_destroy(&s->start_mu);
    free(s->iface);
    free(s->web_dir);
    free(s);
}

/* The thread inherits a full signal mask: the host's handlers stay on the
 * host's threads. */
static int spawn(chart_server *s)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&s->thread, NULL, server_main, s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

chart_server *cs_start(const cs_config *cfg, cp_shared *sh, char *err, size_t errlen)
{
    chart_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->cfg = *cfg;
    s->sh = sh;
    s->iface = strdup(cfg->iface);
    s->web_dir = strdup(cfg->web_dir);
    pthread_mutex_init(&s->start_mu, NULL);
    pthread_cond_init(&s->start_cv, NULL);
    int rc = s->iface && s->web_dir ? spawn(s) : ENOMEM;
    if (rc != 0) {
        snprintf(err, errlen, "cannot start the server thread: %s", strerror(rc));
        server_free(s);
        return NULL;
    }
    pthread_mutex_lock(&s->start_mu);
    while (s->start_state == 0)
        pthread_cond_wait(&s->start_cv, &s->start_mu);
    pthread_mutex_unlock(&s->start_mu);
    if (s->start_state < 0) {
        pthread_join(s->thread, NULL);
        snprintf(err, errlen, "%s", s->start_err);
        server_free(s);
        return NULL;
    }
    return s;
}

int cs_port(const chart_server *s)
{
    return s->port;
}

void cs_notify(chart_server *s)
{
    if (s && !atomic_exchange(&s->wake_pending, 1))
        lws_cancel_service(s->ctx);
}

void cs_stop(chart_server *s)
{
    if (!s)
        return;
    atomic_store(&s->stop, 1);
    lws_cancel_service(s->ctx);
    pthread_join(s->thread, NULL);
    server_free(s);
}
