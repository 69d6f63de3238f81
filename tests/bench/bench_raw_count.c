/*
 * bench_raw_count — what framing costs without libwebsockets: a plain-socket
 * WebSocket client that reads 64 KiB at a time, walks the frame headers in
 * place and counts complete text messages, the way a receive path of
 * upws's own could (no per-byte state machine, no copy of unfragmented
 * frames). Not a general client: enough of RFC 6455 for bench_feeder
 * (unmasked server frames, no fragmentation of data frames, pings skipped).
 * Prints, like bench_lws_count,
 *   frames=N first_ns=F last_ns=L
 * Usage: bench_raw_count PORT [--idle-ms MS]
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RAW_READ (64 * 1024)

static long long raw_wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int raw_write_all(int fd, const void *p, size_t n)
{
    const char *b = p;
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w <= 0)
            return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Upgrade request, then the response head up to its blank line. */
static int raw_handshake(int fd, int port)
{
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET /websocket/v1 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n", port);
    if (raw_write_all(fd, req, (size_t)n) < 0)
        return -1;
    char head[1024];
    size_t len = 0;
    while (len + 1 < sizeof head) {
        if (read(fd, head + len, 1) != 1)
            return -1;
        len++;
        if (len >= 4 && memcmp(head + len - 4, "\r\n\r\n", 4) == 0)
            return strncmp(head, "HTTP/1.1 101", 12) == 0 ? 0 : -1;
    }
    return -1;
}

/* One masked text frame (a client must mask): the subscription. */
static int raw_subscribe(int fd)
{
    static const char sub[] = "[{\"ticket\":\"bench\"},{\"type\":\"ticker\",\"codes\":[\"KRW-BTC\"]}]";
    unsigned char f[8 + sizeof sub];
    size_t n = sizeof sub - 1;
    f[0] = 0x81;
    f[1] = (unsigned char)(0x80 | n);
    memset(f + 2, 0, 4);   /* an all-zero mask leaves the payload as is */
    memcpy(f + 6, sub, n);
    return raw_write_all(fd, f, 6 + n);
}

/* Length of the frame at p if all of it is in [p, end), else 0; *payload
 * and *op describe it. */
static size_t raw_frame(const unsigned char *p, const unsigned char *end, size_t *payload, int *op)
{
    size_t have = (size_t)(end - p), h = 2, n;
    if (have < 2)
        return 0;
    n = p[1] & 0x7f;
    if (n == 126) {
        h = 4;
        if (have < h)
            return 0;
        n = (size_t)p[2] << 8 | p[3];
    } else if (n == 127) {
        h = 10;
        if (have < h)
            return 0;
        n = 0;
        for (int i = 2; i < 10; i++)
            n = n << 8 | p[i];
    }
    if (have - h < n)
        return 0;
    *payload = n;
    *op = p[0] & 0x0f;
    return h + n;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_raw_count PORT [--idle-ms MS]\n");
        return 2;
    }
    int port = atoi(argv[1]), idle_ms = argc > 3 && !strcmp(argv[2], "--idle-ms") ? atoi(argv[3]) : 1500;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || raw_handshake(fd, port) < 0 ||
        raw_subscribe(fd) < 0) {
        perror("bench_raw_count: connect/handshake");
        return 1;
    }
    unsigned char *buf = malloc(2 * RAW_READ);
    size_t have = 0;
    unsigned long long frames = 0;
    long long first_ns = 0, last_ns = 0;
    for (;;) {
        struct pollfd pfd = {fd, POLLIN, 0};
        if (poll(&pfd, 1, frames ? idle_ms : 60000) <= 0)
            break;
        ssize_t r = read(fd, buf + have, RAW_READ);
        if (r <= 0)
            break;
        have += (size_t)r;
        const unsigned char *p = buf, *end = buf + have;
        size_t len, payload;
        int op;
        while ((len = raw_frame(p, end, &payload, &op)) > 0) {
            if (op == 1 && (p[0] & 0x80)) {   /* a whole text message */
                last_ns = raw_wall_ns();
                if (!frames++)
                    first_ns = last_ns;
            }
            p += len;
        }
        have = (size_t)(end - p);
        memmove(buf, p, have);   /* the partial frame at the end of the read */
    }
    printf("frames=%llu first_ns=%lld last_ns=%lld\n", frames, first_ns, last_ns);
    free(buf);
    close(fd);
    return 0;
}
