/*
 * bench_feeder — a loopback Upbit look-alike for the benchmark.
 *
 * Serves GET /v1/market/all (the market list upws and ccxt load) and
 * WebSocket upgrades on any other path. Each WebSocket client gets, after
 * its first text frame (the subscription request) and --start-delay-ms,
 * a stream of DEFAULT-format ticker and trade frames over --codes markets:
 * as fast as the socket takes them (--rate 0) or at a fixed rate, for
 * --duration seconds; then the socket stays open and idle. At a fixed rate
 * the frames due are sent every --tick-us (default 1000 µs; 0 = each frame
 * on its own, evenly paced).
 *
 * Deliberately not libwebsockets: the feeder writes pre-framed messages in
 * 64 KiB batches with one write(2) each, so on a saturated run the consumer
 * (whose cost we measure), not the feeder, is the bottleneck.
 *
 * stdout, one line each: "listening on 127.0.0.1:PORT",
 * "start <client> <wall_ns>", "end <client> <wall_ns> <frames sent>".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CODES 1000
#define BATCH_BYTES 65536
#define FRAME_MAX 2048

typedef struct options {
    int port, codes, trade_pct, start_delay_ms, tick_us;
    double rate, duration;
} options;

static options opt = {.port = 0, .codes = 100, .trade_pct = 25, .start_delay_ms = 1000, .tick_us = 1000,
                      .rate = 0, .duration = 5};
static atomic_int next_client = 1;

/* ------------------------------------------------------------ utilities */

static int64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static void code_name(int i, char *out, size_t len)
{
    static const char *const real[] = {"BTC", "ETH", "XRP", "SOL", "DOGE", "ADA", "TRX", "AVAX",
                                       "LINK", "DOT", "BCH", "SHIB", "ETC", "XLM", "ATOM", "SUI"};
    if (i < (int)(sizeof real / sizeof *real))
        snprintf(out, len, "KRW-%s", real[i]);
    else
        snprintf(out, len, "KRW-T%03d", i);
}

/* Writes `v` as exactly `width` decimal digits ending at p + width. */
static void put_digits(char *p, int width, uint64_t v)
{
    for (int i = width - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
}

/* ------------------------------------------------------------ templates */

/* One pre-rendered frame per (code, type); the varying fields are fixed-width
 * digit runs patched in place, so producing a frame is a memcpy. */
typedef struct tmpl {
    char buf[FRAME_MAX];
    size_t len;          /* whole frame, WebSocket header included */
    size_t ts_at[2];     /* two 13-digit millisecond timestamps */
    size_t seq_at;       /* trade: 17-digit sequential_id; 0 = none */
} tmpl;

static tmpl *tickers, *trades;

static size_t frame_header(char *out, size_t payload)
{
    out[0] = (char)0x81;  /* FIN + text */
    out[1] = 126;         /* 16-bit length follows (payload < 64 KiB) */
    out[2] = (char)(payload >> 8);
    out[3] = (char)(payload & 0xff);
    return 4;
}

static size_t find_after(const char *s, const char *key)
{
    const char *p = strstr(s, key);
    return p ? (size_t)(p - s) + strlen(key) : 0;
}

static void build_ticker(tmpl *t, const char *code, int i)
{
    char js[FRAME_MAX];
    double px = 1000.0 + 37.0 * i;
    int n = snprintf(js, sizeof js,
        "{\"type\":\"ticker\",\"code\":\"%s\",\"opening_price\":%.1f,\"high_price\":%.1f,"
        "\"low_price\":%.1f,\"trade_price\":%.1f,\"prev_closing_price\":%.8f,"
        "\"acc_trade_price\":78039261076.51241000,\"change\":\"RISE\",\"change_price\":404.00000000,"
        "\"signed_change_price\":404.00000000,\"change_rate\":0.0126713295,\"signed_change_rate\":0.0126713295,"
        "\"ask_bid\":\"ASK\",\"trade_volume\":0.03103806,\"acc_trade_volume\":2429.58834336,"
        "\"trade_date\":\"20230221\",\"trade_time\":\"074102\",\"trade_timestamp\":1000000000000,"
        "\"acc_ask_volume\":1146.25573608,\"acc_bid_volume\":1283.33260728,"
        "\"highest_52_week_price\":57678000.00000000,\"highest_52_week_date\":\"2022-03-28\","
        "\"lowest_52_week_price\":20700000.00000000,\"lowest_52_week_date\":\"2022-12-30\","
        "\"market_state\":\"ACTIVE\",\"is_trading_suspended\":false,\"delisting_date\":null,"
        "\"market_warning\":\"NONE\",\"timestamp\":1000000000000,"
        "\"acc_trade_price_24h\":228827082483.70729000,\"acc_trade_volume_24h\":7158.80283560,"
        "\"stream_type\":\"REALTIME\"}",
        code, px, px * 1.02, px * 0.98, px * 1.01, px);
    size_t h = frame_header(t->buf, (size_t)n);
    memcpy(t->buf + h, js, (size_t)n);
    t->len = h + (size_t)n;
    t->buf[t->len] = 0;
    t->ts_at[0] = find_after(t->buf + h, "\"trade_timestamp\":") + h;
    t->ts_at[1] = find_after(t->buf + h, "\"timestamp\":1") + h - 1;
    t->seq_at = 0;
}

static void build_trade(tmpl *t, const char *code, int i)
{
    char js[FRAME_MAX];
    double px = 1000.0 + 37.0 * i;
    int n = snprintf(js, sizeof js,
        "{\"type\":\"trade\",\"code\":\"%s\",\"timestamp\":1000000000000,\"trade_date\":\"2026-08-26\","
        "\"trade_time\":\"07:15:54\",\"trade_timestamp\":1000000000000,\"trade_price\":%.1f,"
        "\"trade_volume\":0.00509799,\"ask_bid\":\"ASK\",\"prev_closing_price\":%.1f,\"change\":\"RISE\","
        "\"change_price\":682.0,\"sequential_id\":10000000000000000,\"best_ask_price\":%.1f,"
        "\"best_ask_size\":0.0099545,\"best_bid_price\":%.1f,\"best_bid_size\":0.1583673,"
        "\"stream_type\":\"REALTIME\"}",
        code, px, px * 0.99, px * 1.001, px);
    size_t h = frame_header(t->buf, (size_t)n);
    memcpy(t->buf + h, js, (size_t)n);
    t->len = h + (size_t)n;
    t->buf[t->len] = 0;
    t->ts_at[0] = find_after(t->buf + h, "\"timestamp\":") + h;
    t->ts_at[1] = find_after(t->buf + h, "\"trade_timestamp\":") + h;
    t->seq_at = find_after(t->buf + h, "\"sequential_id\":") + h;
}

static void build_templates(void)
{
    tickers = calloc((size_t)opt.codes, sizeof *tickers);
    trades = calloc((size_t)opt.codes, sizeof *trades);
    for (int i = 0; i < opt.codes; i++) {
        char code[24];
        code_name(i, code, sizeof code);
        build_ticker(&tickers[i], code, i);
        build_trade(&trades[i], code, i);
    }
}

/* ------------------------------------------------------------ the stream */

typedef struct client {
    int fd, id;
    pthread_mutex_t wlock;       /* frames and pongs never interleave */
    pthread_mutex_t lock;
    pthread_cond_t subscribed_cv;
    int subscribed, closed;
    uint64_t sent, seq;
} client;

/* Appends the n-th message of this client to out; returns its length. */
static size_t render(client *c, char *out, uint64_t n, int64_t now_ms)
{
    int code = (int)(n % (uint64_t)opt.codes);
    int is_trade = (int)((n / (uint64_t)opt.codes) % 100) < opt.trade_pct;
    const tmpl *t = is_trade ? &trades[code] : &tickers[code];
    memcpy(out, t->buf, t->len);
    put_digits(out + t->ts_at[0], 13, (uint64_t)now_ms);
    put_digits(out + t->ts_at[1], 13, (uint64_t)now_ms);
    if (t->seq_at)
        put_digits(out + t->seq_at, 17, 10000000000000000ULL + ++c->seq);
    return t->len;
}

static int send_batch(client *c, char *buf, uint64_t count, int64_t now_ms)
{
    size_t len = 0;
    for (uint64_t i = 0; i < count; i++)
        len += render(c, buf + len, c->sent + i, now_ms);
    pthread_mutex_lock(&c->wlock);
    int rc = write_all(c->fd, buf, len);
    pthread_mutex_unlock(&c->wlock);
    if (rc == 0)
        c->sent += count;
    return rc;
}

/* Saturated: as many frames as fit a 64 KiB batch, one write each; the
 * socket's back-pressure sets the pace. */
static void stream_saturated(client *c, char *buf, int64_t end_ns)
{
    while (clock_ns(CLOCK_MONOTONIC) < end_ns) {
        if (send_batch(c, buf, BATCH_BYTES / FRAME_MAX * 2, clock_ns(CLOCK_REALTIME) / 1000000) != 0)
            return;
    }
}

/* Fixed rate: frame k is due at start + k/rate. The feeder wakes every
 * --tick-us and sends what is due in one write, as a real feed's frames
 * arrive in bursts per network packet; --tick-us 0 wakes for every single
 * frame (evenly paced: the worst case for a consumer's wake-ups). */
static void stream_rate(client *c, char *buf, int64_t start_ns, int64_t end_ns)
{
    double period = 1e9 / opt.rate;
    int64_t tick = opt.tick_us > 0 ? (int64_t)opt.tick_us * 1000 : 0;
    for (;;) {
        int64_t now = clock_ns(CLOCK_MONOTONIC);
        if (now >= end_ns)
            return;
        uint64_t due = (uint64_t)((double)(now - start_ns) / period) + 1;
        if (due > c->sent) {
            uint64_t n = due - c->sent;
            if (n > BATCH_BYTES / FRAME_MAX)
                n = BATCH_BYTES / FRAME_MAX;
            if (send_batch(c, buf, n, clock_ns(CLOCK_REALTIME) / 1000000) != 0)
                return;
            continue;
        }
        int64_t next = start_ns + (int64_t)((double)due * period);
        if (tick)
            next = start_ns + ((now - start_ns) / tick + 1) * tick;
        struct timespec ts = {next / 1000000000, next % 1000000000};
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    }
}

/* --------------------------------------------------- reading the client */

/* Reads one client frame (masked); returns its opcode, -1 on close/error. */
static int read_frame(int fd, unsigned char *payload, size_t cap, size_t *len)
{
    unsigned char h[14];
    if (recv(fd, h, 2, MSG_WAITALL) != 2)
        return -1;
    uint64_t n = h[1] & 0x7f;
    size_t ext = n == 126 ? 2 : n == 127 ? 8 : 0;
    if (recv(fd, h + 2, ext + 4, MSG_WAITALL) != (ssize_t)(ext + 4))
        return -1;
    if (ext) {
        n = 0;
        for (size_t i = 0; i < ext; i++)
            n = n << 8 | h[2 + i];
    }
    const unsigned char *mask = h + 2 + ext;
    size_t keep = n < cap ? (size_t)n : cap;
    for (uint64_t i = 0; i < n; i++) {
        unsigned char b;
        if (recv(fd, &b, 1, MSG_WAITALL) != 1)
            return -1;
        if (i < keep)
            payload[i] = b ^ mask[i % 4];
    }
    *len = keep;
    return h[0] & 0x0f;
}

static void *reader(void *arg)
{
    client *c = arg;
    unsigned char p[4096];
    size_t len;
    int op;
    while ((op = read_frame(c->fd, p, sizeof p, &len)) >= 0 && op != 8) {
        if (op == 9) {  /* ping → pong with the same payload */
            char f[130] = {(char)0x8a, (char)(len < 126 ? len : 125)};
            memcpy(f + 2, p, (size_t)(unsigned char)f[1]);
            pthread_mutex_lock(&c->wlock);
            write_all(c->fd, f, 2 + (size_t)(unsigned char)f[1]);
            pthread_mutex_unlock(&c->wlock);
        } else if (op == 1) {
            pthread_mutex_lock(&c->lock);
            c->subscribed = 1;
            pthread_cond_signal(&c->subscribed_cv);
            pthread_mutex_unlock(&c->lock);
        }
    }
    pthread_mutex_lock(&c->lock);
    c->closed = 1;
    pthread_cond_signal(&c->subscribed_cv);
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

/* ---------------------------------------------------------------- HTTP */

static void serve_markets(int fd)
{
    size_t cap = (size_t)opt.codes * 128 + 64, len = 1;
    char *body = malloc(cap);
    body[0] = '[';
    for (int i = 0; i < opt.codes; i++) {
        char code[24];
        code_name(i, code, sizeof code);
        len += (size_t)snprintf(body + len, cap - len,
                                "%s{\"market\":\"%s\",\"korean_name\":\"%s\",\"english_name\":\"%s\"}",
                                i ? "," : "", code, code + 4, code + 4);
    }
    body[len++] = ']';
    char head[256];
    int hl = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                      "Content-Length: %zu\r\nConnection: close\r\n\r\n", len);
    write_all(fd, head, (size_t)hl);
    write_all(fd, body, len);
    free(body);
}

static int upgrade(int fd, const char *req)
{
    const char *k = strcasestr(req, "Sec-WebSocket-Key:");
    if (!k)
        return -1;
    k += strlen("Sec-WebSocket-Key:");
    while (*k == ' ')
        k++;
    char key[128];
    size_t n = strcspn(k, "\r\n");
    if (n > 64)
        return -1;
    snprintf(key, sizeof key, "%.*s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", (int)n, k);
    unsigned char sha[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)key, strlen(key), sha);
    char accept[64];
    EVP_EncodeBlock((unsigned char *)accept, sha, SHA_DIGEST_LENGTH);
    char resp[256];
    int rl = snprintf(resp, sizeof resp, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", accept);
    return write_all(fd, resp, (size_t)rl);
}

/* Reads the request head (up to the blank line); returns its length or -1. */
static int read_head(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    while (len + 1 < cap) {
        ssize_t n = recv(fd, buf + len, 1, 0);
        if (n <= 0)
            return -1;
        len++;
        buf[len] = 0;
        if (len >= 4 && memcmp(buf + len - 4, "\r\n\r\n", 4) == 0)
            return (int)len;
    }
    return -1;
}

static void run_stream(client *c)
{
    pthread_mutex_lock(&c->lock);
    while (!c->subscribed && !c->closed)
        pthread_cond_wait(&c->subscribed_cv, &c->lock);
    int closed = c->closed;
    pthread_mutex_unlock(&c->lock);
    if (closed)
        return;
    usleep((useconds_t)opt.start_delay_ms * 1000);
    char *buf = malloc(BATCH_BYTES * 2);
    int64_t start = clock_ns(CLOCK_MONOTONIC);
    int64_t end = start + (int64_t)(opt.duration * 1e9);
    printf("start %d %lld\n", c->id, (long long)clock_ns(CLOCK_REALTIME));
    fflush(stdout);
    if (opt.rate > 0)
        stream_rate(c, buf, start, end);
    else
        stream_saturated(c, buf, end);
    printf("end %d %lld %llu\n", c->id, (long long)clock_ns(CLOCK_REALTIME), (unsigned long long)c->sent);
    fflush(stdout);
    free(buf);
}

static void *serve(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char req[8192];
    if (read_head(fd, req, sizeof req) < 0)
        goto out;
    if (strncmp(req, "GET /v1/market/all", 18) == 0) {
        serve_markets(fd);
        goto out;
    }
    if (!strcasestr(req, "Upgrade: websocket") || upgrade(fd, req) != 0)
        goto out;
    client c = {.fd = fd, .id = atomic_fetch_add(&next_client, 1)};
    pthread_mutex_init(&c.wlock, NULL);
    pthread_mutex_init(&c.lock, NULL);
    pthread_cond_init(&c.subscribed_cv, NULL);
    pthread_t rt;
    pthread_create(&rt, NULL, reader, &c);
    run_stream(&c);
    pthread_join(rt, NULL);  /* idle until the client goes away */
out:
    close(fd);
    return NULL;
}

/* ---------------------------------------------------------------- main */

static int parse_args(int argc, char **argv)
{
    static const struct option longs[] = {
        {"port", required_argument, NULL, 'p'}, {"codes", required_argument, NULL, 'c'},
        {"rate", required_argument, NULL, 'r'}, {"duration", required_argument, NULL, 'd'},
        {"trade-pct", required_argument, NULL, 't'}, {"start-delay-ms", required_argument, NULL, 's'},
        {"tick-us", required_argument, NULL, 'k'},
        {NULL, 0, NULL, 0}};
    int ch;
    while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (ch) {
        case 'p': opt.port = atoi(optarg); break;
        case 'c': opt.codes = atoi(optarg); break;
        case 'r': opt.rate = atof(optarg); break;
        case 'd': opt.duration = atof(optarg); break;
        case 't': opt.trade_pct = atoi(optarg); break;
        case 's': opt.start_delay_ms = atoi(optarg); break;
        case 'k': opt.tick_us = atoi(optarg); break;
        default: return -1;
        }
    }
    return opt.codes < 1 || opt.codes > MAX_CODES || opt.trade_pct < 0 || opt.trade_pct > 100 ? -1 : 0;
}

int main(int argc, char **argv)
{
    if (parse_args(argc, argv) != 0) {
        fprintf(stderr, "usage: bench_feeder [--port N] [--codes N] [--rate MSGS_PER_S (0 = saturate)]\n"
                        "                    [--duration S] [--trade-pct P] [--start-delay-ms MS] [--tick-us US]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    build_templates();
    int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)opt.port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    if (bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 64) != 0 ||
        getsockname(ls, (struct sockaddr *)&a, &al) != 0) {
        perror("bench_feeder: listen");
        return 1;
    }
    printf("listening on 127.0.0.1:%d\n", ntohs(a.sin_port));
    fflush(stdout);
    for (;;) {
        int fd = accept(ls, NULL, NULL);
        if (fd < 0)
            continue;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        pthread_t t;
        pthread_create(&t, NULL, serve, (void *)(intptr_t)fd);
        pthread_detach(t);
    }
}
