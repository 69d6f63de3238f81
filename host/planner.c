/* planner.c — see planner.h. */
#include "planner.h"
#include "registry.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct plan_item {
    const char *type_name;
    double level;
    uint32_t depth;
    int snapshot_only;
    const char *code;
} plan_item;


void planner_init(planner *p, int private_conn)
{
    memset(p, 0, sizeof *p);
    p->private_conn = private_conn;
    snprintf(p->ticket, sizeof p->ticket, "upws-%ld", (long)getpid());
}

void planner_free(planner *p)
{
    free(p->held);
    p->held = NULL;
}

void planner_reset(planner *p)
{
    free(p->held);
    p->held = NULL;
}

typedef struct collect {
    plan_item *items;
    size_t n, cap;
    int with_snapshots;
    int unsent_snapshots;
    int private_conn;
} collect;

/* Orderbook depth is per code on the wire (`CODE.N`): the deepest wish wins
 * and the router trims each delivery to the subscriber's own depth. */
static uint32_t stream_depth(const stream *st, int live)
{
    uint32_t d = 0;
    for (size_t i = 0; i < st->n_refs; i++) {
        const sub *s = st->refs[i].sub;
        if ((s->snapshot_id == 0) == (live != 0) && s->depth > d)
            d = s->depth;
    }
    return d ? d : 30;
}

static int stream_wants_snapshot(const stream *st, int *unsent)
{
    int any = 0;
    for (size_t i = 0; i < st->n_refs; i++) {
        const sub *s = st->refs[i].sub;
        if (!s->snapshot_id || s->codes[st->refs[i].code_index].answered)
            continue;
        any = 1;
        if (!s->sent)
            *unsent = 1;
    }
    return any;
}

static void collect_stream(stream *st, void *arg)
{
    collect *c = arg;
    if (streams_is_private(st) != c->private_conn)
        return;
    int live = st->n_live > 0;
    if (!live && !(c->with_snapshots && stream_wants_snapshot(st, &c->unsent_snapshots)))
        return;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->items = xrealloc(c->items, c->cap * sizeof *c->items);
    }
    c->items[c->n++] = (plan_item){st->type_name, st->level, stream_depth(st, live), !live, st->code};
}

static int item_cmp(const void *a, const void *b)
{
    const plan_item *x = a, *y = b;
    if (x->snapshot_only != y->snapshot_only)
        return x->snapshot_only - y->snapshot_only;
    int c = strcmp(x->type_name, y->type_name);
    if (c)
        return c;
    if (x->level != y->level)
        return x->level < y->level ? -1 : 1;
    return strcmp(x->code, y->code);
}

static int same_group(const plan_item *a, const plan_item *b)
{
    return a->snapshot_only == b->snapshot_only && a->level == b->level &&
           strcmp(a->type_name, b->type_name) == 0;
}

/* myOrder for every market is the object without codes (the "*" stream),
 * and it covers any chosen codes; myAsset never takes codes. */
static int render_private(strbuf *b, const plan_item *it, size_t n)
{
    int asset = strcmp(it->type_name, "myAsset") == 0;
    int all = asset;
    for (size_t i = 0; i < n && !all; i++)
        all = strcmp(it[i].code, "*") == 0;
    if (!all)
        return 0;
    strbuf_printf(b, ",{\"type\":\"%s\"}", it->type_name);
    return 1;
}

/* Renders items [from, to) — one group — as one data-type object. */
static void render_group(strbuf *b, const plan_item *it, size_t n)
{
    if (streams_type_is_private(it->type_name) && render_private(b, it, n))
        return;
    int is_book = strcmp(it->type_name, "orderbook") == 0;
    strbuf_printf(b, ",{\"type\":\"%s\",\"codes\":[", it->type_name);
    for (size_t i = 0; i < n; i++) {
        strbuf_printf(b, "%s\"%s", i ? "," : "", it[i].code);
        if (is_book && it[i].depth < 30)
            strbuf_printf(b, ".%u", it[i].depth);
        strbuf_printf(b, "\"");
    }
    strbuf_printf(b, "]");
    if (is_book && it->level != 0)
        strbuf_printf(b, ",\"level\":%.15g", it->level);
    if (it->snapshot_only)
        strbuf_printf(b, ",\"is_only_snapshot\":true");
    strbuf_printf(b, "}");
}

static void render_items(strbuf *b, plan_item *items, size_t n, int snapshot_only)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i + 1;
        while (j < n && same_group(&items[i], &items[j]))
            j++;
        if (items[i].snapshot_only == snapshot_only)
            render_group(b, &items[i], j - i);
        i = j;
    }
}

static void collect_all(collect *c, int with_snapshots, int private_conn)
{
    memset(c, 0, sizeof *c);
    c->with_snapshots = with_snapshots;
    c->private_conn = private_conn;
    streams_foreach(collect_stream, c);
    if (c->n)
        qsort(c->items, c->n, sizeof *c->items, item_cmp);
}

char *planner_render_live(void)
{
    return planner_render_live_for(0);
}

int planner_wanted(int private_conn)
{
    collect c;
    collect_all(&c, 0, private_conn);
    free(c.items);
    return c.n > 0;
}

char *planner_render_live_for(int private_conn)
{
    collect c;
    collect_all(&c, 0, private_conn);
    strbuf live = {0};
    strbuf_printf(&live, "%s", "");
    render_items(&live, c.items, c.n, 0);
    free(c.items);
    return live.s;
}

static void mark_snapshots_sent(void)
{
    for (sub *s = registry_first(); s; s = s->next)
        if (s->snapshot_id)
            s->sent = 1;
}

char *planner_next(planner *p)
{
    collect c;
    collect_all(&c, 1, p->private_conn);
    strbuf live = {0};
    strbuf_printf(&live, "%s", "");
    render_items(&live, c.items, c.n, 0);
    if (p->private_conn && live.len == 0) {
        free(live.s);
        free(c.items);
        return NULL;
    }
    int changed = !p->held || strcmp(p->held, live.s) != 0;
    int has_snapshots = c.n && c.items[c.n - 1].snapshot_only;
    /* Nothing live and nothing held: the server already streams nothing. */
    if (live.len == 0 && !has_snapshots && (!p->held || p->held[0] == 0))
        changed = 0;
    if (!changed && !c.unsent_snapshots) {
        free(live.s);
        free(c.items);
        return NULL;
    }
    strbuf req = {0};
    strbuf_printf(&req, "[{\"ticket\":\"%s\"}%s", p->ticket, live.s);
    render_items(&req, c.items, c.n, 1);
    /* Upbit has no unsubscribe and rejects a request without a type, so an
     * empty union becomes one snapshot-only item: it replaces the old set
     * and then streams nothing. The router ignores the one frame it yields. */
    if (live.len == 0 && !has_snapshots)
        strbuf_printf(&req, ",{\"type\":\"ticker\",\"codes\":[\"KRW-BTC\"],\"is_only_snapshot\":true}");
    strbuf_printf(&req, ",{\"format\":\"DEFAULT\"}]");
    free(p->held);
    p->held = live.s;
    free(c.items);
    mark_snapshots_sent();
    p->requests++;
    return req.s;
}
