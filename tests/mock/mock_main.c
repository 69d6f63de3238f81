/* upws-mock: a stand-in for the Upbit WebSocket service on 127.0.0.1.
 * CLI, lws context, the generation timer and clean shutdown. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libwebsockets.h>

#include "mock.h"
#include "mock_conn.h"
#include "mock_feed.h"
#include "mock_log.h"
#include "mock_market.h"
#include "mock_private.h"
#include "mock_rest.h"
#include "mock_server.h"

#define TICK_US 2000

struct mock_state g_mock;

static volatile sig_atomic_t stop_requested;
static lws_sorted_usec_list_t tick_sul;

int64_t mock_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t mock_now_ms(void)
{
    return mock_now_us() / 1000;
}

static void usage(FILE *to)
{
    fprintf(to,
            "usage: upws-mock [--port N] [--log FILE] [--trade-log FILE] [--seed N] [--markets N]\n"
            "                 [--trade-rate R] [--access-key K --secret-key S]\n"
            "                 [--tls-cert FILE --tls-key FILE]\n"
            "\n"
            "Serves ws://127.0.0.1:PORT/websocket/v1 (and /websocket/v1/private), REST\n"
            "GET /v1/market/all[?is_details=true], and fault injection over plain HTTP.\n"
            "With --tls-cert/--tls-key (PEM) the same port serves wss:// and https://\n"
            "instead (the /ctl calls too).\n"
            "  /ctl/drop                       drop every socket (no close frame)\n"
            "  /ctl/stall, /ctl/resume         freeze / unfreeze every socket\n"
            "  /ctl/garbage                    send malformed and oversized frames\n"
            "  /ctl/refuse?secs=N[&retry_after=S]  upgrades get 429 for N s\n"
            "  /ctl/down?secs=N                drop all, upgrades get 503 for N s\n"
            "  /ctl/rest-fail?secs=N           REST answers 500 for N s\n"
            "  /ctl/rest-429?secs=N            REST answers 429 for N s\n"
            "  /ctl/fragment?n=N               next N data messages split in 3 frames + ping\n"
            "  /ctl/server-ping                one PING \"mock-ping\" on every socket\n"
            "  /ctl/bad-frame?mode=masked|rsv|opcode  one malformed frame per public socket\n"
            "  /ctl/big?kb=K                   one K KiB ticker per public socket\n"
            "  /ctl/stats                      counters and fault state (JSON)\n"
            "Private side (JWT on /websocket/v1/private and on REST GET /v1/accounts,\n"
            "/v1/orders/open, /v1/order), a simulated account and order lifecycles:\n"
            "  /ctl/order?market=M&side=bid|ask&price=P&volume=V[&fills=N][&stop_after=K]\n"
            "            [&step_ms=MS][&identifier=ID]   place an order (myOrder/myAsset)\n"
            "  /ctl/cancel?uuid=U              cancel an open order\n"
            "  /ctl/deposit?currency=C&amount=A  change a free balance\n"
            "  /ctl/private-refuse?secs=N[&mode=invalid_auth|http]  refuse private upgrades\n");
}

static int parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_option(int opt, const char *arg, struct mock_config *cfg)
{
    long v;
    char *end;
    switch (opt) {
    case 'p':
        if (parse_long(arg, 0, 65535, &v))
            return -1;
        cfg->port = (int)v;
        return 0;
    case 'l':
        cfg->log_path = arg;
        return 0;
    case 't':
        cfg->trade_log_path = arg;
        return 0;
    case 's':
        cfg->seed = strtoull(arg, &end, 10);
        return *end || end == arg ? -1 : 0;
    case 'm':
        if (parse_long(arg, 1, 1000000, &v))
            return -1;
        cfg->markets = (int)v;
        return 0;
    case 'r':
        cfg->trade_rate = strtod(arg, &end);
        return *end || end == arg || cfg->trade_rate < 0 || cfg->trade_rate > 100000 ? -1 : 0;
    case 'a':
        cfg->access_key = arg;
        return 0;
    case 'k':
        cfg->secret_key = arg;
        return 0;
    case 'c':
        cfg->tls_cert = arg;
        return 0;
    case 'K':
        cfg->tls_key = arg;
        return 0;
    default:
        return -1;
    }
}

static int parse_args(int argc, char **argv, struct mock_config *cfg)
{
    static const struct option opts[] = {
        {"port", required_argument, NULL, 'p'},
        {"log", required_argument, NULL, 'l'},
        {"trade-log", required_argument, NULL, 't'},
        {"seed", required_argument, NULL, 's'},
        {"markets", required_argument, NULL, 'm'},
        {"trade-rate", required_argument, NULL, 'r'},
        {"access-key", required_argument, NULL, 'a'},
        {"secret-key", required_argument, NULL, 'k'},
        {"tls-cert", required_argument, NULL, 'c'},
        {"tls-key", required_argument, NULL, 'K'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *cfg = (struct mock_config){.port = 0, .seed = 1, .markets = 200, .trade_rate = 5};
    int opt;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (opt == 'h') {
            usage(stdout);
            exit(0);
        }
        if (parse_option(opt, optarg, cfg)) {
            usage(stderr);
            return -1;
        }
    }
    if (optind != argc || !cfg->access_key != !cfg->secret_key ||
        !cfg->tls_cert != !cfg->tls_key) {
        usage(stderr);
        return -1;
    }
    return 0;
}

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
    if (g_mock.ctx)
        lws_cancel_service(g_mock.ctx);
}

static void on_tick(lws_sorted_usec_list_t *sul)
{
    int64_t now_us = mock_now_us();
    feed_tick(now_us);
    private_tick(now_us / 1000);
    lws_sul_schedule(g_mock.ctx, 0, sul, on_tick, TICK_US);
}

/* A TLS vhost serves wss:// and https:// on its one port. HTTP/1.1 only:
 * the raw frames of the framing faults make sense on a plain byte stream,
 * not inside an h2 stream. */
static void vhost_tls(struct lws_context_creation_info *info)
{
    if (!g_mock.cfg.tls_cert)
        return;
    info->ssl_cert_filepath = g_mock.cfg.tls_cert;
    info->ssl_private_key_filepath = g_mock.cfg.tls_key;
    info->alpn = "http/1.1";
}

static int create_server(void)
{
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    bool tls = g_mock.cfg.tls_cert != NULL;
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DISABLE_IPV6;
    if (tls)
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.gid = -1;
    info.uid = -1;
    g_mock.ctx = lws_create_context(&info);
    if (!g_mock.ctx)
        return -1;
    info.port = g_mock.cfg.port;
    info.iface = "127.0.0.1";
    info.protocols = mock_protocols;
    info.vhost_name = "upbit";
    vhost_tls(&info);
    g_mock.vhost = lws_create_vhost(g_mock.ctx, &info);
    if (!g_mock.vhost)
        return -1;
    int port = lws_get_vhost_listen_port(g_mock.vhost);
    /* Tests parse "listening on 127.0.0.1:PORT"; the suffix is for people. */
    printf("upws-mock listening on 127.0.0.1:%d%s\n", port, tls ? " (TLS)" : "");
    fflush(stdout);
    return 0;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

int main(int argc, char **argv)
{
    if (parse_args(argc, argv, &g_mock.cfg))
        return 2;
    g_mock.refuse_retry_after = -1;
    lws_set_log_level(LLL_ERR, NULL);
    if (log_open(g_mock.cfg.log_path) || log_trades_open(g_mock.cfg.trade_log_path)) {
        fprintf(stderr, "upws-mock: cannot open log %s\n", g_mock.cfg.log_path);
        return 1;
    }
    int rc = 1;
    install_signals();
    private_init();
    if (markets_init(g_mock.cfg.markets, g_mock.cfg.seed) == 0 && create_server() == 0) {
        lws_sul_schedule(g_mock.ctx, 0, &tick_sul, on_tick, TICK_US);
        while (!stop_requested && lws_service(g_mock.ctx, 0) >= 0)
            ;
        rc = 0;
    } else {
        fprintf(stderr, "upws-mock: cannot listen on 127.0.0.1:%d\n", g_mock.cfg.port);
    }
    if (g_mock.ctx) {
        lws_sul_cancel(&tick_sul);
        lws_context_destroy(g_mock.ctx);
    }
    g_mock.ctx = NULL;
    conns_free_all();
    feed_free();
    rest_free();
    private_free();
    markets_free();
    log_close();
    return rc;
}
