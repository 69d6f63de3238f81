/*
 * rp_io.c — the I/O thread: the connection to Redis, reconnecting with
 * backoff, the queue shared with the plugin thread, and a bounded stop.
 *
 * The plugin thread only appends items to the queue. This thread takes up to
 * `batch` items at a time and hands them to rp_batch.c, which sends them as
 * one pipeline. When that fails the connection is dropped, the thread waits
 * (100 ms doubling to 5 s) and sends the unsettled rest again.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "rp.h"

enum {
    CONNECT_TIMEOUT_MS = 1000, /* short: stop() cannot interrupt a connect */
    REPLY_TIMEOUT_MS = 5000,   /* a Redis this slow is treated as down */
    BACKOFF_MIN_MS = 100,
    BACKOFF_MAX_MS = 5000,
    STOP_GRACE_MS = 500,
    NUM_MAX = 24,
};

#define DOWN_LOG_EVERY_NS (30 * 1000000000LL) /* "still down" lines */

/* ---- small helpers ---------------------------------------------------------- */

static struct timeval tv_ms(unsigned ms)
{
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
    return tv;
}

static struct timespec abs_mono(int64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
    return ts;
}

/* Our thread must never take the process's signals (the host handles
 * SIGINT/SIGTERM/SIGHUP on its own threads), and a write to a socket Redis
 * closed must fail with EPIPE here rather than raise SIGPIPE. Faults stay
 * unblocked so crashes still report. */
static void block_signals(void)
{
    sigset_t set;
    sigfillset(&set);
    sigdelset(&set, SIGSEGV);
    sigdelset(&set, SIGBUS);
    sigdelset(&set, SIGFPE);
    sigdelset(&set, SIGILL);
    sigdelset(&set, SIGABRT);
    sigdelset(&set, SIGTRAP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static int is_stopping(rp *p)
{
    pthread_mutex_lock(&p->mu);
    int s = p->stopping || p->abort;
    pthread_mutex_unlock(&p->mu);
    return s;
}

/* Errors after which the same command can succeed later. */
int rp_is_transient(const char *msg)
{
    static const char *const prefixes[] = {
        "LOADING", "BUSY", "TRYAGAIN", "READONLY", "OOM", "MISCONF",
        "NOAUTH", "MASTERDOWN", "NOREPLICAS", "CLUSTERDOWN",
    };
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strncmp(msg, prefixes[i], strlen(prefixes[i])) == 0)
            return 1;
    return 0;
}

/* A failure of the connection or of a batch. The first of a run is a
 * warning; while Redis stays down one line every 30 s says so. */
void rp_note_failure(rp *p, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int64_t now = rp_mono_ns();
    if (p->fail_streak++ == 0) {
        p->down_since_ns = now;
        p->last_down_log_ns = now;
        RP_LOG(p, UPWS_LOG_WARN, "%s; retrying with backoff (up to %d ms)", msg, BACKOFF_MAX_MS);
        return;
    }
    if (now - p->last_down_log_ns >= DOWN_LOG_EVERY_NS) {
        p->last_down_log_ns = now;
        RP_LOG(p, UPWS_LOG_WARN, "still failing after %.0f s (%llu attempts): %s; %zu events buffered",
               (double)(now - p->down_since_ns) / 1e9, (unsigned long long)p->fail_streak, msg,
               (size_t)atomic_load(&p->buffered));
    }
}

/* ---- connection ------------------------------------------------------------- */

const char *rp_conn_error(void *redis)
{
    const redisContext *c = redis;
    char buf[128];
    /* A read that hit SO_RCVTIMEO reports EAGAIN, which reads as nonsense. */
    if (c->err == REDIS_ERR_IO && strcmp(c->errstr, strerror_r(EAGAIN, buf, sizeof buf)) == 0)
        return "no reply within 5 s (Redis busy or unreachable)";
    return c->errstr;
}

static void set_fd(rp *p, int fd)
{
    pthread_mutex_lock(&p->mu);
    p->fd = fd;
    pthread_mutex_unlock(&p->mu);
}

/* One command during the handshake; 0 when Redis answered without error. */
static int handshake_cmd(rp *p, redisContext *c, int argc, const char **argv, const char *what)
{
    redisReply *r = redisCommandArgv(c, argc, argv, NULL);
    if (!r) {
        rp_note_failure(p, "%s: %s failed: %s", p->url.display, what, rp_conn_error(c));
        return -1;
    }
    int ok = r->type != REDIS_REPLY_ERROR;
    if (!ok) /* Redis's own text; it never contains the password */
        rp_note_failure(p, "%s: %s refused: %s", p->url.display, what, r->str);
    freeReplyObject(r);
    return ok ? 0 : -1;
}

static int handshake(rp *p, redisContext *c)
{
    if (p->url.password) {
        const char *auth[3] = {"AUTH", p->url.user, p->url.password};
        if (p->url.user ? handshake_cmd(p, c, 3, auth, "AUTH")
                        : handshake_cmd(p, c, 2, (const char *[]){"AUTH", p->url.password}, "AUTH"))
            return -1;
    }
    if (p->url.db) {
        char db[NUM_MAX];
        snprintf(db, sizeof db, "%ld", p->url.db);
        if (handshake_cmd(p, c, 2, (const char *[]){"SELECT", db}, "SELECT"))
            return -1;
    }
    /* So that CLIENT LIST on the Redis side says who this is. Optional. */
    char name[128];
    snprintf(name, sizeof name, "upws:%s", p->api->instance_name(p->ctx));
    redisReply *r = redisCommandArgv(c, 3, (const char *[]){"CLIENT", "SETNAME", name}, NULL);
    if (!r) {
        rp_note_failure(p, "%s: connection lost during setup: %s", p->url.display,
                        rp_conn_error(c));
        return -1;
    }
    freeReplyObject(r);
    return 0;
}

static void log_connected(rp *p)
{
    if (!p->ever_connected) {
        RP_LOG(p, UPWS_LOG_INFO, "connected to %s", p->url.display);
    } else if (p->fail_streak && !p->reconnect_logged) {
        p->reconnect_logged = 1; /* once per outage, not once per attempt */
        size_t pending = 0;
        for (size_t i = 0; i < p->batch.n_cmds; i++)
            pending += p->batch.cmds[i].st != RP_CMD_DONE;
        RP_LOG(p, UPWS_LOG_INFO, "reconnected to %s after %.1f s; re-sending %zu entries "
               "whose outcome is unknown, %zu events buffered", p->url.display,
               (double)(rp_mono_ns() - p->down_since_ns) / 1e9, pending,
               (size_t)atomic_load(&p->buffered));
    }
    p->ever_connected = 1;
}

static int io_connect(rp *p)
{
    redisContext *c = redisConnectWithTimeout(p->url.host, p->url.port, tv_ms(CONNECT_TIMEOUT_MS));
    if (!c || c->err) {
        rp_note_failure(p, "cannot connect to %s: %s", p->url.display, c ? c->errstr : "out of memory");
        redisFree(c);
        return -1;
    }
    /* Published before the handshake so that stop() can cut a hung AUTH. */
    pthread_mutex_lock(&p->mu);
    int aborted = p->abort;
    if (!aborted)
        p->fd = c->fd;
    pthread_mutex_unlock(&p->mu);
    if (aborted || redisSetTimeout(c, tv_ms(REPLY_TIMEOUT_MS)) != REDIS_OK ||
        handshake(p, c) != 0) {
        set_fd(p, -1);
        redisFree(c);
        return -1;
    }
    redisEnableKeepAlive(c); /* notice a silently dead peer while idle */
    p->redis = c;
    log_connected(p);
    return 0;
}

static void io_disconnect(rp *p)
{
    set_fd(p, -1);
    redisFree(p->redis);
    p->redis = NULL;
}

/* Wait before the next attempt: 100 ms doubling to 5 s. stop() wakes it. */
static void io_backoff(rp *p)
{
    p->backoff_ms = p->backoff_ms ? p->backoff_ms * 2 : BACKOFF_MIN_MS;
    if (p->backoff_ms > BACKOFF_MAX_MS)
        p->backoff_ms = BACKOFF_MAX_MS;
    int64_t until = rp_mono_ns() + (int64_t)p->backoff_ms * 1000000;
    pthread_mutex_lock(&p->mu);
    if (p->stopping && p->deadline_ns < until)
        until = p->deadline_ns;
    struct timespec ts = abs_mono(until);
    while (!p->abort && rp_mono_ns() < until)
        if (pthread_cond_timedwait(&p->cv, &p->mu, &ts) == ETIMEDOUT || p->stopping)
            break;
    pthread_mutex_unlock(&p->mu);
}

/* ---- queue ------------------------------------------------------------------- */

void rp_enqueue(rp *p, rp_item *first, rp_item *last, size_t events)
{
    pthread_mutex_lock(&p->mu);
    if (p->q_tail)
        p->q_tail->next = first;
    else
        p->q_head = first;
    p->q_tail = last;
    atomic_fetch_add(&p->buffered, events);
    if (p->io_waiting)
        pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

/* Move up to batch_max queued items into the (empty) batch, waiting while
 * there are none. Returns the number taken; 0 means stop was requested. */
static size_t io_take(rp *p)
{
    rp_batch *b = &p->batch;
    pthread_mutex_lock(&p->mu);
    while (!p->q_head && !p->stopping && !p->abort) {
        p->io_waiting = 1;
        pthread_cond_wait(&p->cv, &p->mu);
        p->io_waiting = 0;
    }
    while (p->q_head && b->n_items < p->batch_max) {
        rp_item *it = p->q_head;
        p->q_head = it->next;
        it->next = NULL;
        if (b->tail)
            b->tail->next = it;
        else
            b->head = it;
        b->tail = it;
        b->n_items++;
        b->n_events += it->kind == RP_ITEM_EVENT;
    }
    if (!p->q_head)
        p->q_tail = NULL;
    pthread_mutex_unlock(&p->mu);
    return b->n_items;
}


/* ---- the thread ------------------------------------------------------------------ */

static int must_exit(rp *p)
{
    pthread_mutex_lock(&p->mu);
    int done = p->abort ||
               (p->stopping && (rp_mono_ns() >= p->deadline_ns ||
                                (!p->q_head && p->batch.n_items == 0)));
    pthread_mutex_unlock(&p->mu);
    return done;
}

static void *io_main(void *arg)
{
    rp *p = arg;
    block_signals();
    while (!must_exit(p)) {
        if (!p->redis && io_connect(p) != 0) {
            if (is_stopping(p))
                break; /* Redis unreachable at stop: do not hold the host up */
            io_backoff(p);
            continue;
        }
        if (p->batch.n_items == 0 && io_take(p) == 0)
            continue;
        if ((!p->batch.built && rp_batch_build(p) != 0) || rp_batch_flush(p) != 0) {
            io_disconnect(p);
            io_backoff(p);
            continue;
        }
        rp_batch_release(p);
        p->backoff_ms = 0;
        p->fail_streak = 0;
        p->reconnect_logged = 0;
    }
    if (p->redis)
        io_disconnect(p);
    pthread_mutex_lock(&p->mu);
    p->io_exited = 1;
    pthread_cond_broadcast(&p->cv_exit);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int rp_io_start(rp *p)
{
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0)
        return -1;
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int rc = pthread_mutex_init(&p->mu, NULL);
    if (rc == 0 && (rc = pthread_cond_init(&p->cv, &ca)) != 0)
        pthread_mutex_destroy(&p->mu);
    if (rc == 0 && (rc = pthread_cond_init(&p->cv_exit, &ca)) != 0) {
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
    }
    pthread_condattr_destroy(&ca);
    if (rc != 0)
        return -1;
    p->fd = -1;
    p->sync_ready = 1;
    if (pthread_create(&p->thread, NULL, io_main, p) != 0)
        return -1; /* rp_io_free destroys the sync objects */
    p->thread_started = 1;
    return 0;
}

void rp_io_stop(rp *p, uint32_t flush_ms)
{
    if (!p->thread_started)
        return;
    pthread_mutex_lock(&p->mu);
    p->stopping = 1;
    p->deadline_ns = rp_mono_ns() + (int64_t)flush_ms * 1000000;
    pthread_cond_broadcast(&p->cv);
    struct timespec ts = abs_mono(p->deadline_ns + (int64_t)STOP_GRACE_MS * 1000000);
    while (!p->io_exited)
        if (pthread_cond_timedwait(&p->cv_exit, &p->mu, &ts) == ETIMEDOUT)
            break;
    if (!p->io_exited) {
        /* Blocked on a Redis that does not answer: cut the socket so the
         * blocked read returns at once. The thread closes it, not us. */
        p->abort = 1;
        if (p->fd >= 0)
            shutdown(p->fd, SHUT_RDWR);
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    p->thread_started = 0;
}

static uint64_t count_events(const rp_item *it)
{
    uint64_t n = 0;
    for (; it; it = it->next)
        n += it->kind == RP_ITEM_EVENT;
    return n;
}

void rp_io_free(rp *p)
{
    rp_batch *b = &p->batch;
    uint64_t unsent = count_events(p->q_head);
    if (b->built) {
        for (size_t i = 0; i < b->n_cmds; i++)
            unsent += b->cmds[i].st != RP_CMD_DONE && b->cmds[i].it->kind == RP_ITEM_EVENT;
    } else {
        unsent += b->n_events;
    }
    atomic_fetch_add(&p->unsent, unsent);
    rp_free_items(p->q_head);
    p->q_head = p->q_tail = NULL;
    rp_free_items(b->head);
    b->head = b->tail = NULL;
    free(b->cmds);
    free(b->seed);
    free(p->argv);
    free(p->argvlen);
    memset(b, 0, sizeof *b);
    p->argv = NULL;
    p->argvlen = NULL;
    if (p->sync_ready) {
        pthread_cond_destroy(&p->cv_exit);
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
        p->sync_ready = 0;
    }
}

