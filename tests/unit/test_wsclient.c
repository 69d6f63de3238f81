/* test_wsclient.c — upws's own RFC 6455 client session (wsclient), driven
 * without libwebsockets: the test plays the server on 127.0.0.1 itself.
 *
 * One thread does both sides. A small poll() loop (pump) stands in for the
 * libwebsockets loop that runs wsclient in upws: it calls wsclient_writable
 * / wsclient_readable as poll reports, asking for POLLOUT only while
 * wsclient_wants_write. The server socket is non-blocking and every wait has
 * a deadline, so a broken client makes checks fail, never the test hang. */
#include "wsclient.h"
#include "wsframe.h"
#include "check.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WAIT_MS 3000            /* a wait gives up after this: fail, never hang */
#define SRV_IN_CAP 65536        /* the client only ever sends us small frames */
#define BIG_CHUNK 65536         /* how big payloads are streamed by the server */
#define MAX WSCLIENT_MAX_MESSAGE

/* ---- small tools ---- */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* xorshift32: the same "random" chunking on every run, so a failure repeats. */
static uint32_t rng = 1;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static int contains(const char *hay, const char *needle)
{
    return hay && strstr(hay, needle) != NULL;
}

/* A growing byte buffer, for the frame streams the server sends. */
typedef struct buf {
    uint8_t *p;
    size_t len, cap;
} buf;

static void buf_add(buf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            abort();
    }
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
}

/* A server frame header: never masked (RFC 6455 §5.1). */
static size_t frame_head(uint8_t *h, int fin, int op, uint64_t len)
{
    size_t n = 0;
    h[n++] = (uint8_t)((fin ? 0x80 : 0) | op);
    if (len < 126) {
        h[n++] = (uint8_t)len;
    } else if (len <= 0xFFFF) {
        h[n++] = 126;
        h[n++] = (uint8_t)(len >> 8);
        h[n++] = (uint8_t)len;
    } else {
        h[n++] = 127;
        for (int sh = 56; sh >= 0; sh -= 8)
            h[n++] = (uint8_t)(len >> sh);
    }
    return n;
}

static void buf_frame(buf *b, int fin, int op, const void *payload, size_t len)
{
    uint8_t h[WSF_HEADER_MAX];
    buf_add(b, h, frame_head(h, fin, op, len));
    buf_add(b, payload, len);
}

/* Descriptors open now: a session that leaks its socket shows up here. */
static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* ---- what the client reported ---- */

typedef struct want {
    const void *p;
    size_t len;
} want;

typedef struct rec {
    int open, refused, peer_close, sent, received, oversized;
    int msgs, bad, extra, before_open, null_buf;
    int status, close_code;
    int64_t retry_after;
    char why[128];
    const want *want;   /* the messages expected, in order */
    int nwant;
} rec;

static void on_open(void *arg) { ((rec *)arg)->open++; }
static void on_sent(void *arg) { ((rec *)arg)->sent++; }
static void on_received(void *arg) { ((rec *)arg)->received++; }
static void on_oversized(void *arg) { ((rec *)arg)->oversized++; }

static void on_refused(void *arg, const wsframe_response *r, const char *why)
{
    rec *c = arg;
    c->refused++;
    c->status = r->status;
    c->retry_after = r->retry_after_s;
    snprintf(c->why, sizeof c->why, "%s", why ? why : "");
}

static void on_peer_close(void *arg, int code)
{
    rec *c = arg;
    c->peer_close++;
    c->close_code = code;
}

/* The bytes are only valid during the call: compare them here, at once. */
static void on_message(void *arg, const char *p, size_t len)
{
    rec *c = arg;
    int i = c->msgs++;
    if (!c->open)
        c->before_open++;
    if (!p)
        c->null_buf++;
    if (i >= c->nwant) {
        c->extra++;
        return;
    }
    const want *w = &c->want[i];
    if (len != w->len || (len && (!p || memcmp(p, w->p, len) != 0))) {
        if (!c->bad++)
            fprintf(stderr, "message %d: %zu bytes, wanted %zu (or other bytes)\n", i, len, w->len);
    }
}

static const wsclient_events events = {on_open, on_refused, on_message, on_peer_close,
                                       on_sent, on_received, on_oversized};

/* ---- one session: the client, and the server the test plays ---- */

typedef struct sess {
    rec r;
    wsclient *ws;
    int lfd, sfd, port;
    int over;           /* the client returned -1 … */
    int over_in_read;   /* … from wsclient_readable (else wsclient_writable) */
    int srv_eof;        /* the client's side of TCP is gone */
    char req[4096];     /* the upgrade request as the server read it */
    char key[WSF_KEY_LEN];
    uint8_t in[SRV_IN_CAP + 1];   /* server input not yet taken, NUL-terminated */
    size_t in_len;
} sess;

#define WAIT_UNTIL(s, cond) do { int64_t dl_ = now_ms() + WAIT_MS; \
    while (!(cond) && now_ms() < dl_) pump((s), 5); } while (0)

/* What libwebsockets does in upws: writability first (it ends the connect),
 * then readability; POLLERR/POLLHUP go to whichever the client waits for. */
static void client_io(sess *s, short rev)
{
    if ((rev & POLLOUT) || ((rev & (POLLERR | POLLHUP)) && wsclient_wants_write(s->ws))) {
        if (wsclient_writable(s->ws) < 0) {
            s->over = 1;
            return;
        }
    }
    if ((rev & (POLLIN | POLLERR | POLLHUP)) && wsclient_readable(s->ws) < 0) {
        s->over = 1;
        s->over_in_read = 1;
    }
}

static void srv_read(sess *s)
{
    if (s->in_len >= SRV_IN_CAP)
        return;
    ssize_t n = recv(s->sfd, s->in + s->in_len, SRV_IN_CAP - s->in_len, MSG_DONTWAIT);
    if (n == 0)
        s->srv_eof = 1;
    if (n > 0) {
        s->in_len += (size_t)n;
        s->in[s->in_len] = 0;
    }
}

/* One round of the loop: the client (until it is over) and the server's input. */
static void pump(sess *s, int timeout_ms)
{
    struct pollfd p[2];
    nfds_t n = 0;
    int ci = -1, si = -1;
    if (s->ws && !s->over) {
        short ev = POLLIN | (wsclient_wants_write(s->ws) ? POLLOUT : 0);
        p[n] = (struct pollfd){.fd = wsclient_fd(s->ws), .events = ev};
        ci = (int)n++;
    }
    if (s->sfd >= 0 && !s->srv_eof) {
        p[n] = (struct pollfd){.fd = s->sfd, .events = POLLIN};
        si = (int)n++;
    }
    if (poll(p, n, timeout_ms) <= 0)
        return;
    if (ci >= 0 && p[ci].revents)
        client_io(s, p[ci].revents);
    if (si >= 0 && p[si].revents)
        srv_read(s);
}

static void srv_consume(sess *s, size_t n)
{
    memmove(s->in, s->in + n, s->in_len - n);
    s->in_len -= n;
    s->in[s->in_len] = 0;
}

/* Writes all of p. The server socket never blocks: when it is full the
 * client runs, and its reading is what makes room. 1 when all went out. */
static int srv_write(sess *s, const void *p, size_t n)
{
    size_t off = 0;
    int64_t dl = now_ms() + WAIT_MS;
    while (off < n && now_ms() < dl) {
        ssize_t w = send(s->sfd, (const char *)p + off, n - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0)
            off += (size_t)w;
        else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            break;
        else
            pump(s, 5);
    }
    return off == n;
}

/* Writes p in pieces of 1..max_chunk bytes. After most pieces the client
 * reads what is there, so headers and payloads get cut at every kind of
 * place; after the others pieces pile up and one read takes several. */
static int srv_write_chunked(sess *s, const void *p, size_t n, uint32_t max_chunk)
{
    const uint8_t *b = p;
    for (size_t off = 0; off < n;) {
        size_t c = 1 + rnd() % max_chunk;
        if (c > n - off)
            c = n - off;
        if (!srv_write(s, b + off, c))
            return 0;
        off += c;
        if (rnd() % 3)
            pump(s, 0);
    }
    return 1;
}

/* A frame too big to build in memory twice: header, then the payload
 * streamed in BIG_CHUNK pieces while the client keeps reading. */
static int srv_frame_streamed(sess *s, int fin, int op, const uint8_t *p, size_t len)
{
    uint8_t h[WSF_HEADER_MAX];
    int ok = srv_write(s, h, frame_head(h, fin, op, len));
    for (size_t off = 0; ok && off < len; off += BIG_CHUNK) {
        size_t c = len - off < BIG_CHUNK ? len - off : BIG_CHUNK;
        ok = srv_write(s, p + off, c);
        pump(s, 0);
    }
    return ok;
}

static int srv_frame(sess *s, int fin, int op, const void *payload, size_t len)
{
    buf b = {0};
    buf_frame(&b, fin, op, payload, len);
    int ok = srv_write(s, b.p, b.len);
    free(b.p);
    return ok;
}

/* A frame the client sent, unmasked. */
typedef struct cframe {
    int fin, rsv, op, masked;
    size_t len;
    uint8_t data[WSF_CONTROL_MAX + 1];
} cframe;

/* Takes one client frame off the server's input: 1 taken, 0 not all here.
 * Everything the client sends in these tests fits 125 bytes; anything
 * longer is reported as opcode -1. */
static int take_frame(sess *s, cframe *f)
{
    if (s->in_len < 2)
        return 0;
    size_t len = s->in[1] & 0x7F, mlen = (s->in[1] & 0x80) ? 4 : 0;
    if (len > WSF_CONTROL_MAX) {
        f->op = -1;
        srv_consume(s, s->in_len);
        return 1;
    }
    size_t total = 2 + mlen + len;
    if (s->in_len < total)
        return 0;
    f->fin = s->in[0] >> 7;
    f->rsv = s->in[0] & 0x70;
    f->op = s->in[0] & 0x0F;
    f->masked = mlen != 0;
    f->len = len;
    for (size_t i = 0; i < len; i++)
        f->data[i] = s->in[2 + mlen + i] ^ (mlen ? s->in[2 + (i & 3)] : 0);
    f->data[len] = 0;
    srv_consume(s, total);
    return 1;
}

/* Waits for the client's next frame; op -2 when none came. */
static cframe next_frame(sess *s)
{
    cframe f = {.op = -2};
    int got = 0;
    WAIT_UNTIL(s, (got = take_frame(s, &f)));
    return f;
}

static int close_code(const cframe *f)
{
    return f->op == WSF_CLOSE && f->len >= 2 ? f->data[0] << 8 | f->data[1] : -1;
}

static int listen_local(int *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 4) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &al) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

static wsclient *client_open(int port, rec *r)
{
    wsclient_target t = {"127.0.0.1", "/ws/test", port, 0, 0, "X-Test: yes\r\n"};
    char err[192] = "";
    wsclient *ws = wsclient_open(&t, &events, r, err, sizeof err);
    if (!ws)
        fprintf(stderr, "wsclient_open: %s\n", err);
    return ws;
}

static sess *sess_alloc(const want *w, int nw)
{
    sess *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    s->r.want = w;
    s->r.nwant = nw;
    s->sfd = s->lfd = -1;
    return s;
}

/* A listening server and a client connecting to it; nothing accepted yet. */
static sess *sess_new(const want *w, int nw)
{
    sess *s = sess_alloc(w, nw);
    s->lfd = listen_local(&s->port);
    CHECK(s->lfd >= 0);
    if (s->lfd >= 0)
        s->ws = client_open(s->port, &s->r);
    CHECK(s->ws != NULL);
    return s;
}

static void sess_end(sess *s)
{
    if (s->ws) {
        wsclient_close_fd(s->ws);  /* in upws libwebsockets closes it */
        wsclient_free(s->ws);
    }
    if (s->sfd >= 0)
        close(s->sfd);
    if (s->lfd >= 0)
        close(s->lfd);
    free(s);
}

static size_t head_len(const sess *s)
{
    return wsframe_head_end((const char *)s->in, s->in_len);
}

/* Takes the key out of the request the server read. */
static int srv_key(sess *s)
{
    static const char name[] = "\r\nSec-WebSocket-Key: ";
    const char *k = strstr(s->req, name);
    if (!k)
        return 0;
    k += sizeof name - 1;
    size_t n = strcspn(k, "\r");
    if (n != WSF_KEY_LEN - 1)
        return 0;
    memcpy(s->key, k, n);
    s->key[n] = 0;
    return 1;
}

/* Accepts the client and reads its upgrade request (the connect and the
 * request both need the client's loop, hence the pumping). */
static int sess_accept(sess *s)
{
    if (!s->ws)
        return 0;
    int64_t dl = now_ms() + WAIT_MS;
    while (s->sfd < 0 && now_ms() < dl) {
        s->sfd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (s->sfd < 0)
            pump(s, 5);
    }
    WAIT_UNTIL(s, head_len(s) > 0 || s->over || s->sfd < 0);
    size_t h = head_len(s);
    CHECK(s->sfd >= 0 && h > 0 && h < sizeof s->req);
    if (!h || h >= sizeof s->req)
        return 0;
    memcpy(s->req, s->in, h);
    s->req[h] = 0;
    srv_consume(s, h);
    CHECK(srv_key(s));
    return s->key[0] != 0;
}

/* The 101 answer for key (the client's own key unless the test lies). */
static size_t answer_101(char *out, size_t cap, const char *key)
{
    char acc[WSF_ACCEPT_LEN];
    wsframe_accept(key, acc);
    int n = snprintf(out, cap, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                               "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", acc);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* Accept, answer 101, wait for events.open. */
static int sess_up(sess *s)
{
    if (!sess_accept(s))
        return 0;
    char head[256];
    size_t n = answer_101(head, sizeof head, s->key);
    CHECK(srv_write(s, head, n));
    WAIT_UNTIL(s, s->r.open || s->over);
    CHECK(s->r.open == 1 && !s->over && wsclient_is_open(s->ws));
    return s->r.open == 1 && !s->over;
}

/* ---- 1. split reads ---- */

#define NMSG 200

/* Every length-encoding edge (7-bit, 16-bit, 64-bit) and its neighbours. */
static const size_t edge_sizes[] = {1, 125, 126, 127, 65535, 65536, 70000, 2, 124, 65534};

static size_t msg_size(int i)
{
    if (i % 20 == 0)
        return edge_sizes[(i / 20) % (sizeof edge_sizes / sizeof edge_sizes[0])];
    uint32_t k = rnd() % 10;
    if (k < 6)
        return 1 + rnd() % 300;
    return 1 + rnd() % (k < 9 ? 5000 : 70000);
}

/* NMSG payloads (text ones printable) and their frames, in stream order;
 * *first_len is the length of the first frame. */
static void build_messages(want *w, uint8_t **store, buf *stream, size_t *first_len)
{
    for (int i = 0; i < NMSG; i++) {
        size_t len = msg_size(i);
        int text = rnd() & 1;
        uint8_t *p = malloc(len);
        if (!p)
            abort();
        for (size_t j = 0; j < len; j++)
            p[j] = text ? (uint8_t)('a' + (i + j) % 26) : (uint8_t)rnd();
        store[i] = p;
        w[i] = (want){p, len};
        buf_frame(stream, 1, text ? WSF_TEXT : WSF_BINARY, p, len);
        if (i == 0)
            *first_len = stream->len;
    }
}

/* How the 101 answer and the frames are cut into writes. */
enum split { SPLIT_HEAD_TOO, SPLIT_GLUED, SPLIT_ONE_WRITE };

static void send_split(sess *s, enum split how, const buf *stream, size_t first_len)
{
    char head[256];
    size_t hl = answer_101(head, sizeof head, s->key);
    if (how == SPLIT_HEAD_TOO) {
        /* the 101 itself arrives in pieces, then the frames */
        CHECK(srv_write_chunked(s, head, hl, 40));
        CHECK(srv_write_chunked(s, stream->p, stream->len, 3000));
    } else if (how == SPLIT_GLUED) {
        /* one write: the client sees the head and a frame in one read */
        buf b = {0};
        buf_add(&b, head, hl);
        buf_add(&b, stream->p, first_len);
        CHECK(srv_write(s, b.p, b.len));
        free(b.p);
        CHECK(srv_write_chunked(s, stream->p + first_len, stream->len - first_len, 3000));
    } else {
        /* everything at once: 64 KiB reads cut frames, READ_BUDGET yields */
        CHECK(srv_write(s, head, hl));
        CHECK(srv_write(s, stream->p, stream->len));
    }
}

static void test_split_reads(enum split how)
{
    rng = 0x9e3779b9u + (uint32_t)how;
    want w[NMSG];
    uint8_t *store[NMSG];
    buf stream = {0};
    size_t first_len = 0;
    build_messages(w, store, &stream, &first_len);
    sess *s = sess_new(w, NMSG);
    if (sess_accept(s)) {
        send_split(s, how, &stream, first_len);
        WAIT_UNTIL(s, s->r.msgs >= NMSG || s->over);
        CHECK(s->r.msgs == NMSG);
        CHECK(s->r.bad == 0 && s->r.extra == 0 && s->r.null_buf == 0);
        CHECK(s->r.open == 1 && s->r.before_open == 0);
        CHECK(s->r.received > 0 && s->r.oversized == 0 && s->r.refused == 0);
        /* the premise: chunked writes really did cut the reads finer than messages */
        CHECK(how == SPLIT_ONE_WRITE || s->r.received > NMSG);
        CHECK(!s->over && wsclient_is_open(s->ws));
        if (s->over)
            fprintf(stderr, "split %d: %s\n", (int)how, wsclient_error(s->ws));
    }
    sess_end(s);
    for (int i = 0; i < NMSG; i++)
        free(store[i]);
    free(stream.p);
}

/* ---- 2. fragmented message, with a ping inside ---- */

static void test_fragmented(void)
{
    static const char a[] = "first part|", b[] = "second part|", c[] = "last part";
    static const char ping[] = "are you there?", whole[] = "first part|second part|last part";
    const want w[] = {{whole, sizeof whole - 1}, {"next", 4}};
    rng = 42;
    sess *s = sess_new(w, 2);
    if (sess_up(s)) {
        buf st = {0};
        buf_frame(&st, 0, WSF_BINARY, a, sizeof a - 1);
        buf_frame(&st, 1, WSF_PING, ping, sizeof ping - 1);
        buf_frame(&st, 0, WSF_CONT, b, sizeof b - 1);
        buf_frame(&st, 1, WSF_CONT, c, sizeof c - 1);
        CHECK(srv_write_chunked(s, st.p, st.len, 5));  /* every header split too */
        free(st.p);
        WAIT_UNTIL(s, s->r.msgs >= 1 || s->over);
        CHECK(s->r.msgs == 1 && s->r.bad == 0);

        /* RFC 6455 §5.5.3: a pong with the ping's payload, masked (§5.3). */
        cframe f = next_frame(s);
        CHECK(f.op == WSF_PONG && f.masked && f.fin && f.rsv == 0);
        CHECK(f.len == sizeof ping - 1 && memcmp(f.data, ping, f.len) == 0);

        /* The next message is number 2: the fragmented one came once. */
        CHECK(srv_frame(s, 1, WSF_TEXT, "next", 4));
        WAIT_UNTIL(s, s->r.msgs >= 2 || s->over);
        CHECK(s->r.msgs == 2 && s->r.bad == 0 && s->r.extra == 0);
        CHECK(s->r.sent == 0 && !s->over);  /* a pong is not the request */
    }
    sess_end(s);
}

/* Zero-length fragments (the first fragmented message of a session, so the
 * reassembly buffer is still unallocated) and a zero-length ping. */
static void test_fragmented_empty(void)
{
    const want w[] = {{"", 0}, {"z", 1}};
    sess *s = sess_new(w, 2);
    if (sess_up(s)) {
        buf st = {0};
        buf_frame(&st, 0, WSF_BINARY, "", 0);
        buf_frame(&st, 1, WSF_PING, "", 0);
        buf_frame(&st, 1, WSF_CONT, "", 0);
        buf_frame(&st, 1, WSF_TEXT, "z", 1);
        CHECK(srv_write(s, st.p, st.len));
        free(st.p);
        WAIT_UNTIL(s, s->r.msgs >= 2 || s->over);
        CHECK(s->r.msgs == 2 && s->r.bad == 0 && !s->over);
        cframe f = next_frame(s);
        CHECK(f.op == WSF_PONG && f.masked && f.len == 0);
        if (s->r.null_buf)
            fprintf(stderr, "note: an empty fragmented message came as (NULL, 0)\n");
    }
    sess_end(s);
}

/* Runs one case in a child process. test_fragmented_empty makes wsclient.c
 * pass NULL to memcpy (see the report), which UBSan's no-recover mode turns
 * into an abort: isolated, that costs one failed check, not the whole run. */
static void isolated(void (*fn)(void), const char *name)
{
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        check_failures = 0;
        fn();
        _exit(check_failures ? 1 : 0);
    }
    int st = -1;
    CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fprintf(stderr, "%s failed in its child process (wait status %d)\n", name, st);
}

/* ---- 3. the request frame ---- */

static void check_request(const sess *s)
{
    char host[64];
    snprintf(host, sizeof host, "\r\nHost: 127.0.0.1:%d\r\n", s->port);
    CHECK(strncmp(s->req, "GET /ws/test HTTP/1.1\r\n", 23) == 0);
    CHECK(contains(s->req, host));
    CHECK(contains(s->req, "\r\nUpgrade: websocket\r\n"));
    CHECK(contains(s->req, "\r\nConnection: Upgrade\r\n"));
    CHECK(contains(s->req, "\r\nSec-WebSocket-Version: 13\r\n"));
    CHECK(contains(s->req, "\r\nX-Test: yes\r\n\r\n"));  /* extra headers, then the end */
    CHECK(!strcasestr(s->req, "Origin:"));               /* Upbit throttles those */
}

static void test_request_frame(void)
{
    sess *s = sess_new(NULL, 0);
    if (sess_up(s)) {
        check_request(s);
        wsclient_send_text(s->ws, "hello", 5, 1);
        CHECK(wsclient_wants_write(s->ws));
        cframe f = next_frame(s);
        CHECK(f.op == WSF_TEXT && f.masked && f.fin && f.rsv == 0);
        CHECK(f.len == 5 && memcmp(f.data, "hello", 5) == 0);
        WAIT_UNTIL(s, s->r.sent >= 1 || s->over);
        CHECK(s->r.sent == 1);
        CHECK(!wsclient_wants_write(s->ws));

        /* A frame that is not the request does not report `sent`. */
        wsclient_send_text(s->ws, "world", 5, 0);
        f = next_frame(s);
        CHECK(f.op == WSF_TEXT && f.masked && f.len == 5 && memcmp(f.data, "world", 5) == 0);
        pump(s, 5);
        CHECK(s->r.sent == 1 && s->r.msgs == 0 && !s->over);
    }
    sess_end(s);
}

/* Our own ping, and a close we start (conn.c's ping timer and shutdown). */
static void test_ping_and_our_close(void)
{
    sess *s = sess_new(NULL, 0);
    if (sess_up(s)) {
        wsclient_ping(s->ws);
        cframe f = next_frame(s);
        CHECK(f.op == WSF_PING && f.masked && f.fin && f.len == 0);
        CHECK(srv_frame(s, 1, WSF_PONG, "", 0));  /* a pong is taken silently */
        pump(s, 5);
        CHECK(!s->over && s->r.msgs == 0);
        wsclient_close_frame(s->ws, 1001);
        f = next_frame(s);
        CHECK(close_code(&f) == 1001 && f.masked);
    }
    sess_end(s);
}

/* ---- 4. oversized messages ---- */

/* MAX + 1 bytes of pattern, sliced for every big frame below. */
static uint8_t *big_payload(void)
{
    uint8_t *p = malloc((size_t)MAX + 1);
    if (!p)
        abort();
    for (size_t i = 0; i <= MAX; i++)
        p[i] = (uint8_t)(i * 7 + (i >> 12));
    return p;
}

/* Sends one small text message and waits until it is message number n. */
static void small_then_wait(sess *s, const char *text, int n)
{
    CHECK(srv_frame(s, 1, WSF_TEXT, text, strlen(text)));
    WAIT_UNTIL(s, s->r.msgs >= n || s->over);
    CHECK(s->r.msgs == n && s->r.bad == 0);
}

static void oversized_single(sess *s, const uint8_t *big)
{
    CHECK(srv_frame_streamed(s, 1, WSF_BINARY, big, (size_t)MAX + 1));
    small_then_wait(s, "small1", 1);
    CHECK(s->r.oversized == 1);
}

/* Fragments of 3 MiB + 1 MiB (= MAX) + 1 byte: over by one, found while reassembling. */
static void oversized_by_fragments(sess *s, const uint8_t *big)
{
    size_t three = 3u << 20;
    CHECK(srv_frame_streamed(s, 0, WSF_BINARY, big, three));
    CHECK(srv_frame_streamed(s, 0, WSF_CONT, big + three, (size_t)MAX - three));
    CHECK(srv_frame(s, 1, WSF_CONT, big + MAX, 1));
    small_then_wait(s, "small2", 2);
    CHECK(s->r.oversized == 2);
}

/* Exactly MAX bytes in fragments is still a message. */
static void exactly_max_by_fragments(sess *s, const uint8_t *big)
{
    size_t three = 3u << 20;
    CHECK(srv_frame_streamed(s, 0, WSF_BINARY, big, three));
    CHECK(srv_frame_streamed(s, 1, WSF_CONT, big + three, (size_t)MAX - three));
    WAIT_UNTIL(s, s->r.msgs >= 3 || s->over);
    CHECK(s->r.msgs == 3 && s->r.bad == 0 && s->r.oversized == 2);
}

/* One oversized fragment in the middle, then one as the first fragment:
 * the rest of each message is dropped, the oversized event fires once. */
static void oversized_fragment(sess *s, const uint8_t *big)
{
    CHECK(srv_frame(s, 0, WSF_BINARY, big, 10));
    CHECK(srv_frame_streamed(s, 0, WSF_CONT, big, (size_t)MAX + 1));
    CHECK(srv_frame(s, 1, WSF_CONT, big, 5));
    small_then_wait(s, "small3", 4);
    CHECK(s->r.oversized == 3);
    CHECK(srv_frame_streamed(s, 0, WSF_TEXT, big, (size_t)MAX + 1));
    CHECK(srv_frame(s, 0, WSF_CONT, big, 5));
    CHECK(srv_frame(s, 1, WSF_CONT, big, 5));
    small_then_wait(s, "small4", 5);
    CHECK(s->r.oversized == 4);
}

static void test_oversized(void)
{
    uint8_t *big = big_payload();
    const want w[] = {{"small1", 6}, {"small2", 6}, {big, MAX}, {"small3", 6}, {"small4", 6}};
    sess *s = sess_new(w, 5);
    if (sess_up(s)) {
        oversized_single(s, big);
        oversized_by_fragments(s, big);
        exactly_max_by_fragments(s, big);
        oversized_fragment(s, big);
        CHECK(!s->over && s->r.extra == 0 && wsclient_is_open(s->ws));
        if (s->over)
            fprintf(stderr, "oversized: %s\n", wsclient_error(s->ws));
    }
    sess_end(s);
    free(big);
}

/* ---- 5. protocol errors ---- */

/* The server sends bytes; the client's read fails with a protocol error
 * naming `reason`, after telling the server 1002 (RFC 6455 §7.4.1). */
static void protocol_case(const uint8_t *bytes, size_t n, const char *reason)
{
    sess *s = sess_new(NULL, 0);
    if (sess_up(s)) {
        CHECK(srv_write(s, bytes, n));
        WAIT_UNTIL(s, s->over);
        CHECK(s->over && s->over_in_read);
        CHECK(contains(wsclient_error(s->ws), "protocol error"));
        CHECK(contains(wsclient_error(s->ws), reason));
        CHECK(s->r.msgs == 0 && !wsclient_is_open(s->ws));
        cframe f = next_frame(s);
        CHECK(close_code(&f) == 1002 && f.masked);
        CHECK(wsclient_readable(s->ws) == -1 && wsclient_writable(s->ws) == -1);  /* stays over */
    }
    sess_end(s);
}

static void test_protocol_errors(void)
{
    static const uint8_t masked[] = {0x82, 0x85, 1, 2, 3, 4, 'a', 'b', 'c', 'd', 'e'};
    static const uint8_t rsv1[] = {0xC2, 0x01, 'x'};
    static const uint8_t lone_cont[] = {0x80, 0x01, 'x'};
    static const uint8_t new_inside[] = {0x02, 0x01, 'a', 0x82, 0x01, 'b'};
    protocol_case(masked, sizeof masked, "masked");
    protocol_case(rsv1, sizeof rsv1, "reserved");
    protocol_case(lone_cont, sizeof lone_cont, "continuation");
    protocol_case(new_inside, sizeof new_inside, "inside a fragmented");
}

/* ---- 6. close from the server ---- */

static void test_peer_close(void)
{
    static const uint8_t close_frame[] = {0x88, 0x05, 0x03, 0xE8, 'b', 'y', 'e'};
    sess *s = sess_new(NULL, 0);
    if (sess_up(s)) {
        CHECK(srv_write(s, close_frame, sizeof close_frame));
        WAIT_UNTIL(s, s->over);
        CHECK(s->over && s->over_in_read);
        CHECK(s->r.peer_close == 1 && s->r.close_code == 1000);
        CHECK(contains(wsclient_error(s->ws), "1000"));
        cframe f = next_frame(s);
        CHECK(close_code(&f) == 1000 && f.masked && f.fin);
    }
    sess_end(s);
}

/* ---- 7. refused upgrades ---- */

static void refusal_case(const char *answer, int status, int64_t retry, const char *why)
{
    sess *s = sess_new(NULL, 0);
    if (sess_accept(s)) {
        CHECK(srv_write(s, answer, strlen(answer)));
        WAIT_UNTIL(s, s->over);
        CHECK(s->over && s->over_in_read);
        CHECK(s->r.refused == 1 && s->r.open == 0);
        CHECK(s->r.status == status && s->r.retry_after == retry);
        CHECK(contains(s->r.why, why));
        CHECK(contains(wsclient_error(s->ws), why));
    }
    sess_end(s);
}

static void test_refused(void)
{
    refusal_case("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\n\r\n", 429, 7, "429");
    char lie[256];
    /* the right answer to someone else's key */
    answer_101(lie, sizeof lie, "dGhlIHNhbXBsZSBub25jZQ==");
    refusal_case(lie, 101, -1, "Sec-WebSocket-Accept");
}

/* ---- 8. nothing listening ---- */

static void test_connect_refused(void)
{
    int port = 0, fd = listen_local(&port);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    close(fd);  /* the port is now (almost surely) free and refuses */
    sess *s = sess_alloc(NULL, 0);
    wsclient_target t = {"127.0.0.1", "/", port, 0, 0, NULL};
    char err[192] = "";
    s->ws = wsclient_open(&t, &events, &s->r, err, sizeof err);
    if (s->ws) {
        /* the usual case: the refusal comes back through the loop */
        WAIT_UNTIL(s, s->over);
        CHECK(s->over);
        snprintf(err, sizeof err, "%s", wsclient_error(s->ws));
        CHECK(contains(err, "connect failed"));
    }
    CHECK(contains(err, "refused"));  /* a kernel may also refuse at once */
    CHECK(s->r.open == 0 && s->r.refused == 0 && s->r.received == 0);
    sess_end(s);
}

/* ---- 9. TCP closed without a close frame ---- */

static void test_tcp_closed(void)
{
    const want w[] = {{"last", 4}};
    sess *s = sess_new(w, 1);
    if (sess_up(s)) {
        CHECK(srv_frame(s, 1, WSF_TEXT, "last", 4));
        close(s->sfd);
        s->sfd = -1;
        WAIT_UNTIL(s, s->over);
        CHECK(s->over && s->over_in_read);
        CHECK(s->r.msgs == 1 && s->r.bad == 0);  /* what came before the FIN counts */
        CHECK(contains(wsclient_error(s->ws), "closed by the peer"));
        CHECK(s->r.peer_close == 0);
    }
    sess_end(s);
}

/* The server hangs up before answering, or answers with an endless head. */
static void test_no_answer(void)
{
    sess *s = sess_new(NULL, 0);
    if (sess_accept(s)) {
        close(s->sfd);
        s->sfd = -1;
        WAIT_UNTIL(s, s->over);
        CHECK(s->over && s->r.open == 0);
        CHECK(contains(wsclient_error(s->ws), "closed by the peer"));
    }
    sess_end(s);

    s = sess_new(NULL, 0);
    if (sess_accept(s)) {
        static char junk[20000];
        memset(junk, 'x', sizeof junk);
        static const char start[] = "HTTP/1.1 101 Switching Protocols\r\nX-Junk: ";
        memcpy(junk, start, sizeof start - 1);
        CHECK(srv_write(s, junk, sizeof junk));
        WAIT_UNTIL(s, s->over);
        CHECK(s->over && s->over_in_read && s->r.open == 0);
        CHECK(contains(wsclient_error(s->ws), "too long"));
    }
    sess_end(s);
}

int main(void)
{
    int fds = open_fds();
    test_split_reads(SPLIT_HEAD_TOO);
    test_split_reads(SPLIT_GLUED);
    test_split_reads(SPLIT_ONE_WRITE);
    test_fragmented();
    isolated(test_fragmented_empty, "test_fragmented_empty");
    test_request_frame();
    test_ping_and_our_close();
    test_oversized();
    test_protocol_errors();
    test_peer_close();
    test_refused();
    test_connect_refused();
    test_tcp_closed();
    test_no_answer();
    CHECK(open_fds() == fds);  /* every session closed its sockets */
    return CHECK_DONE();
}
