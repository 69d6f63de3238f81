/*
 * rp_batch.c — one pipeline of XADDs: read each new stream's top, give every
 * entry an explicit ID, send, and settle each command by its reply.
 *
 * Why explicit IDs: when the connection breaks after a pipeline was written,
 * the commands whose replies did not arrive may or may not have been applied.
 * Each keeps the ID it was given and is sent again after the reconnect; Redis
 * refuses an ID that is not above the stream's top ("equal or smaller than
 * the target stream top item"), so an entry that was applied is refused
 * rather than added twice. The re-send is therefore idempotent: nothing the
 * buffer accepted is lost to a reconnect and nothing is written twice.
 *
 * IDs are <ms>-<seq> with ms = the exchange time of the event (trade time for
 * trades), raised to the stream's previous ID when time did not move
 * forward. Before the first entry of a stream in this process, its newest
 * entries are read, so IDs continue above what an earlier run wrote and the
 * trade Upbit repeats as the SNAPSHOT after a restart is recognised.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "rp.h"

enum {
    SEED_TRADE_ENTRIES = 8, /* newest entries read to recognise a repeated trade */
    NUM_MAX = 24,           /* a 64-bit number in decimal, plus NUL */
    MAX_MARKER_ARGS = 24,   /* XADD key MAXLEN ~ N id + 7 marker fields, rounded up */
};

#define REJECT_LOG_EVERY_NS (10 * 1000000000LL) /* "Redis refused an entry" lines */

static const char TOO_SMALL[] = "equal or smaller than the target stream top item";

void rp_free_items(rp_item *it)
{
    while (it) {
        rp_item *next = it->next;
        free(it);
        it = next;
    }
}

void rp_batch_release(rp *p)
{
    rp_batch *b = &p->batch;
    rp_free_items(b->head);
    atomic_fetch_sub(&p->buffered, b->n_events);
    b->head = b->tail = NULL;
    b->n_items = b->n_events = b->n_cmds = 0;
    b->built = 0;
}

/* ---- seeding: read each stream's top before its first entry ------------------ */

static int parse_id(const char *s, uint64_t *ms, uint64_t *seq)
{
    char *end;
    errno = 0;
    unsigned long long a = strtoull(s, &end, 10);
    if (errno || *end != '-')
        return -1;
    unsigned long long b = strtoull(end + 1, &end, 10);
    if (errno || *end)
        return -1;
    *ms = a;
    *seq = b;
    return 0;
}

/* 1 when id is in the stream's ring; otherwise remembers it and returns 0. */
static int seen_trade(rp_stream *s, int64_t id)
{
    for (unsigned i = 0; i < s->n_seen; i++)
        if (s->seen[i] == id)
            return 1;
    s->seen[s->seen_next] = id;
    s->seen_next = (s->seen_next + 1) % RP_SEEN_IDS;
    if (s->n_seen < RP_SEEN_IDS)
        s->n_seen++;
    return 0;
}

static void seed_trade_ids(rp_stream *s, const redisReply *fields)
{
    if (fields->type != REDIS_REPLY_ARRAY)
        return;
    for (size_t i = 0; i + 1 < fields->elements; i += 2) {
        const redisReply *k = fields->element[i], *v = fields->element[i + 1];
        if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING ||
            strcmp(k->str, "sequential_id") != 0)
            continue;
        char *end;
        errno = 0;
        long long id = strtoll(v->str, &end, 10);
        if (!errno && *end == '\0')
            seen_trade(s, id);
    }
}

/* XREVRANGE reply: newest first, each [id, [field, value, …]]. */
static void seed_from_reply(rp_stream *s, const redisReply *r)
{
    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *e = r->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements < 2 ||
            e->element[0]->type != REDIS_REPLY_STRING)
            continue;
        uint64_t ms, seq;
        if (i == 0 && parse_id(e->element[0]->str, &ms, &seq) == 0 &&
            (ms > s->last_ms || (ms == s->last_ms && seq > s->last_seq))) {
            s->last_ms = ms;
            s->last_seq = seq;
        }
        if (s->kind == RP_TRADE)
            seed_trade_ids(s, e->element[1]);
    }
}

static int ensure_seed_cap(rp_batch *b, size_t n)
{
    if (b->cap_seed >= n)
        return 0;
    rp_stream **v = realloc(b->seed, n * sizeof *v);
    if (!v)
        return -1;
    b->seed = v;
    b->cap_seed = n;
    return 0;
}

/* Streams of this batch not seeded yet, marked -1 while listed. */
static size_t list_unseeded(rp *p)
{
    rp_batch *b = &p->batch;
    size_t n = 0;
    for (rp_item *it = b->head; it; it = it->next) {
        if (it->kind == RP_ITEM_GAP_ALL)
            continue;
        rp_stream *s = &p->streams[it->stream];
        if (s->seeded)
            continue;
        s->seeded = -1;
        b->seed[n++] = s;
    }
    return n;
}

static void unlist(rp_stream **v, size_t from, size_t n)
{
    for (size_t i = from; i < n; i++)
        if (v[i]->seeded < 0)
            v[i]->seeded = 0;
}

static int seed_streams(rp *p)
{
    rp_batch *b = &p->batch;
    redisContext *c = p->redis;
    if (ensure_seed_cap(b, b->n_items) != 0)
        return -1;
    size_t n = list_unseeded(p);
    for (size_t i = 0; i < n; i++) {
        char count[NUM_MAX];
        snprintf(count, sizeof count, "%d", b->seed[i]->kind == RP_TRADE ? SEED_TRADE_ENTRIES : 1);
        const char *argv[6] = {"XREVRANGE", b->seed[i]->key, "+", "-", "COUNT", count};
        size_t lens[6] = {9, b->seed[i]->key_len, 1, 1, 5, strlen(count)};
        if (redisAppendCommandArgv(c, 6, argv, lens) != REDIS_OK) {
            unlist(b->seed, 0, n);
            return -1;
        }
    }
    for (size_t i = 0; i < n; i++) {
        redisReply *r = NULL;
        if (redisGetReply(c, (void **)&r) != REDIS_OK) {
            rp_note_failure(p, "lost the connection to %s: %s", p->url.display, rp_conn_error(c));
            unlist(b->seed, i, n);
            return -1;
        }
        rp_stream *s = b->seed[i];
        if (r->type == REDIS_REPLY_ERROR && rp_is_transient(r->str)) {
            rp_note_failure(p, "%s answered: %s", p->url.display, r->str);
            freeReplyObject(r);
            unlist(b->seed, i, n); /* the rest of the replies go with the connection */
            return -1;
        }
        if (r->type == REDIS_REPLY_ERROR) /* e.g. WRONGTYPE: the XADD will say so too */
            RP_LOG(p, UPWS_LOG_ERROR, "cannot read the top of %s: %s", s->key, r->str);
        else if (r->type == REDIS_REPLY_ARRAY)
            seed_from_reply(s, r);
        s->seeded = 1;
        freeReplyObject(r);
    }
    return 0;
}

/* ---- building the batch's commands -------------------------------------------- */

/* Room for every command the batch can produce, reserved before any ID is
 * taken: a failure halfway would leave trades marked as seen but unsent. */
static int reserve_cmds(rp *p)
{
    rp_batch *b = &p->batch;
    size_t n = 0;
    for (const rp_item *it = b->head; it; it = it->next)
        n += it->kind == RP_ITEM_GAP_ALL ? p->n_streams : 1;
    if (n <= b->cap_cmds)
        return 0;
    rp_cmd *v = realloc(b->cmds, n * sizeof *v);
    if (!v)
        return -1;
    b->cmds = v;
    b->cap_cmds = n;
    return 0;
}

static void add_cmd(rp_batch *b, rp_item *it, rp_stream *s, uint64_t want_ms)
{
    /* Next ID above the stream's last: the wanted ms, or the same ms with
     * the next sequence number when time did not move forward. */
    if (want_ms > s->last_ms) {
        s->last_ms = want_ms;
        s->last_seq = 0;
    } else {
        s->last_seq++;
    }
    s->published = 1;
    b->cmds[b->n_cmds++] = (rp_cmd){it, s, s->last_ms, s->last_seq, RP_CMD_TODO, 0, 0};
}

/* A marker goes right after the stream's last entry (same ms), so it never
 * pushes the IDs of later events away from their exchange time. */
static uint64_t marker_ms(const rp_stream *s, int64_t at_ns)
{
    return s->last_ms ? s->last_ms : (uint64_t)(at_ns > 0 ? at_ns / 1000000 : 1);
}

static void build_item(rp *p, rp_item *it)
{
    rp_batch *b = &p->batch;
    if (it->kind == RP_ITEM_GAP_ALL) {
        for (size_t i = 0; i < p->n_streams; i++) {
            rp_stream *s = &p->streams[i];
            if (s->published)
                add_cmd(b, it, s, marker_ms(s, it->since_ns));
        }
        return;
    }
    rp_stream *s = &p->streams[it->stream];
    if (it->kind == RP_ITEM_DROPS) {
        add_cmd(b, it, s, marker_ms(s, it->since_ns));
        return;
    }
    if (it->has_sid && seen_trade(s, it->sid)) {
        atomic_fetch_add(&p->dup_trades, 1); /* a guard behind the host's own dedupe */
        return;
    }
    add_cmd(b, it, s, (uint64_t)it->id_ms);
}

int rp_batch_build(rp *p)
{
    if (reserve_cmds(p) != 0) {
        RP_LOG(p, UPWS_LOG_ERROR, "out of memory building a batch");
        return -1;
    }
    if (seed_streams(p) != 0)
        return -1;
    rp_batch *b = &p->batch;
    b->n_cmds = 0;
    for (rp_item *it = b->head; it; it = it->next)
        build_item(p, it);
    b->built = 1;
    return 0;
}

/* ---- sending -------------------------------------------------------------------- */

static int ensure_argv(rp *p, size_t n)
{
    if (p->argv_cap >= n)
        return 0;
    const char **a = realloc(p->argv, n * sizeof *a);
    if (!a)
        return -1;
    p->argv = a;
    size_t *l = realloc(p->argvlen, n * sizeof *l);
    if (!l)
        return -1;
    p->argvlen = l;
    p->argv_cap = n;
    return 0;
}

typedef struct argv_b {
    const char **v;
    size_t *len, n;
} argv_b;

static void arg(argv_b *a, const char *s, size_t n)
{
    a->v[a->n] = s;
    a->len[a->n++] = n;
}

static void arg_s(argv_b *a, const char *s)
{
    arg(a, s, strlen(s));
}

static void marker_fields(argv_b *a, const rp_cmd *cmd, char num[4][NUM_MAX])
{
    const rp_item *it = cmd->it;
    arg_s(a, "type");
    arg_s(a, "gap");
    arg_s(a, "code");
    arg_s(a, cmd->s->code);
    arg_s(a, "reason");
    arg_s(a, it->reason);
    snprintf(num[0], NUM_MAX, "%lld", (long long)it->since_ns);
    arg_s(a, "since");
    arg_s(a, num[0]);
    if (it->until_ns) {
        snprintf(num[1], NUM_MAX, "%lld", (long long)it->until_ns);
        arg_s(a, "until");
        arg_s(a, num[1]);
    }
    if (it->count) {
        snprintf(num[2], NUM_MAX, "%llu", (unsigned long long)it->count);
        arg_s(a, "dropped");
        arg_s(a, num[2]);
    }
    snprintf(num[3], NUM_MAX, "%lld", (long long)it->made_ns);
    arg_s(a, "recv_time");
    arg_s(a, num[3]);
}

/* XADD key [MAXLEN ~ N] <ms>-<seq> field value … */
static int append_xadd(rp *p, const rp_cmd *cmd)
{
    const rp_item *it = cmd->it;
    if (ensure_argv(p, MAX_MARKER_ARGS + 2 * (size_t)it->nf) != 0)
        return -1;
    argv_b a = {p->argv, p->argvlen, 0};
    char maxlen[NUM_MAX], id[2 * NUM_MAX], num[4][NUM_MAX];
    arg(&a, "XADD", 4);
    arg(&a, cmd->s->key, cmd->s->key_len);
    if (p->maxlen) {
        snprintf(maxlen, sizeof maxlen, "%" PRIu64, p->maxlen);
        arg(&a, "MAXLEN", 6);
        arg(&a, "~", 1);
        arg_s(&a, maxlen);
    }
    snprintf(id, sizeof id, "%" PRIu64 "-%" PRIu64, cmd->ms, cmd->seq);
    arg_s(&a, id);
    if (it->kind == RP_ITEM_EVENT) {
        for (uint32_t i = 0; i < it->nf; i++) {
            arg_s(&a, it->f[i].name);
            arg(&a, it->text + it->f[i].off, it->f[i].len);
        }
    } else {
        marker_fields(&a, cmd, num);
    }
    return redisAppendCommandArgv(p->redis, (int)a.n, a.v, a.len) == REDIS_OK ? 0 : -1;
}

static void log_reject(rp *p, const rp_cmd *cmd, const char *why)
{
    int64_t now = rp_mono_ns();
    if (p->last_reject_log_ns && now - p->last_reject_log_ns < REJECT_LOG_EVERY_NS)
        return;
    p->last_reject_log_ns = now;
    RP_LOG(p, UPWS_LOG_WARN, "Redis refused an entry for %s (ID %" PRIu64 "-%" PRIu64 "): %s "
           "(%llu refused so far)", cmd->s->key, cmd->ms, cmd->seq, why,
           (unsigned long long)atomic_load(&p->rejected));
}

static void settle(rp *p, rp_cmd *cmd, const redisReply *r, const char **transient)
{
    if (r->type != REDIS_REPLY_ERROR) {
        cmd->st = RP_CMD_DONE;
        atomic_fetch_add(cmd->it->kind == RP_ITEM_EVENT ? &p->published : &p->markers, 1);
        return;
    }
    if (strstr(r->str, TOO_SMALL)) {
        /* After a lost reply: this entry was applied before the break. Otherwise
         * the stream moved past us (another writer?) and the entry is lost. */
        if (cmd->maybe_applied) {
            atomic_fetch_add(&p->resent_dups, 1);
        } else {
            atomic_fetch_add(&p->rejected, 1);
            log_reject(p, cmd, r->str);
        }
        cmd->st = RP_CMD_DONE;
        return;
    }
    if (rp_is_transient(r->str)) {
        cmd->st = RP_CMD_FAILED;
        if (!*transient)
            *transient = r->str;
        return;
    }
    atomic_fetch_add(&p->rejected, 1); /* WRONGTYPE, unknown command, … */
    log_reject(p, cmd, r->str);
    cmd->st = RP_CMD_DONE;
}

/* Send every unsettled command of the batch as one pipeline and read the
 * replies. 0 when all are settled; -1 when the connection must be dropped
 * (lost, or a transient error) — the rest is re-sent after the reconnect. */
int rp_batch_flush(rp *p)
{
    rp_batch *b = &p->batch;
    redisContext *c = p->redis;
    for (size_t i = 0; i < b->n_cmds; i++) {
        rp_cmd *cmd = &b->cmds[i];
        cmd->inflight = 0;
        if (cmd->st == RP_CMD_DONE)
            continue;
        if (append_xadd(p, cmd) != 0) {
            rp_note_failure(p, "cannot build a command for %s: %s", cmd->s->key,
                         c->err ? c->errstr : "out of memory");
            return -1; /* nothing was written yet: every state stays as it was */
        }
        cmd->inflight = 1;
    }
    int ok = 1;
    char first_error[256] = "";
    for (size_t i = 0; i < b->n_cmds; i++) {
        rp_cmd *cmd = &b->cmds[i];
        if (!cmd->inflight)
            continue;
        redisReply *r = NULL;
        if (ok && redisGetReply(c, (void **)&r) != REDIS_OK) {
            ok = 0;
            rp_note_failure(p, "lost the connection to %s: %s", p->url.display, rp_conn_error(c));
        }
        cmd->inflight = 0;
        if (!ok) {
            cmd->st = RP_CMD_UNKNOWN; /* maybe applied: the re-send will tell */
            cmd->maybe_applied = 1;
            continue;
        }
        const char *transient = NULL;
        settle(p, cmd, r, &transient);
        if (transient && !first_error[0])
            snprintf(first_error, sizeof first_error, "%s", transient);
        freeReplyObject(r);
    }
    if (ok && first_error[0])
        rp_note_failure(p, "%s answered: %s", p->url.display, first_error);
    return ok && !first_error[0] ? 0 : -1;
}
