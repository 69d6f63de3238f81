/* A request REPLACES the socket's whole set (PROTOCOL §5.1). Realtime items
 * are indexed per market (market.refs) so the feed only touches codes
 * somebody listens to. */
#include "mock_sub.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mock_feed.h"
#include "mock_format.h"
#include "mock_market.h"

static char scratch[RENDER_CAP];

void sub_send(struct conn *c, const char *obj, size_t len)
{
    unsigned flags = QF_DATA | (fmt_is_list(c->fmt) ? QF_LIST : 0);
    conn_enqueue(c, obj, len, flags);
}

static void ref_remove_conn(struct market *m, const struct conn *c)
{
    size_t w = 0;
    for (size_t r = 0; r < m->nrefs; r++)
        if (m->refs[r].conn != c)
            m->refs[w++] = m->refs[r];
    if (m->nrefs && !w)
        feed_deactivate(m);
    m->nrefs = w;
}

static void ref_add(struct market *m, struct conn *c, uint32_t item,
                    const struct req_item *it, int depth, int64_t now_ms)
{
    if (m->nrefs == m->refcap) {
        size_t n = m->refcap ? m->refcap * 2 : 8;
        struct sub_ref *p = realloc(m->refs, n * sizeof(*p));
        if (!p)
            return;
        m->refs = p;
        m->refcap = n;
    }
    m->refs[m->nrefs++] = (struct sub_ref){c, item, (uint8_t)it->type, (uint8_t)depth};
    if (m->nrefs == 1)
        feed_activate(m, now_ms * 1000);
}

void sub_detach(struct conn *c)
{
    for (size_t i = 0; i < c->sub.nitems; i++) {
        const struct req_item *it = &c->sub.items[i];
        if (!it->realtime)
            continue;
        for (size_t k = 0; k < it->ncodes; k++)
            if (it->codes[k].market >= 0)
                ref_remove_conn(market_at(it->codes[k].market), c);
    }
}

static void snapshot(struct conn *c, struct market *m, const struct req_item *it,
                     int depth, int64_t now_ms)
{
    size_t n = feed_render(scratch, sizeof(scratch), m, it->type, depth, it->level_txt,
                           fmt_is_simple(c->fmt), true, now_ms);
    if (n)
        sub_send(c, scratch, n);
}

void sub_apply(struct conn *c, struct request *r, int64_t now_ms)
{
    sub_detach(c);
    /* Frames already queued still go out, as on Upbit where frames of the
     * old set keep arriving briefly after a replacement (PROTOCOL §5.1). */
    request_free(&c->sub);
    c->sub = *r;
    memset(r, 0, sizeof(*r));
    c->fmt = c->sub.fmt;
    for (size_t i = 0; i < c->sub.nitems; i++) {
        const struct req_item *it = &c->sub.items[i];
        if (dtype_is_private(it->type))
            continue;   /* no snapshot; mock_private reads c->sub when events happen */
        for (size_t k = 0; k < it->ncodes; k++) {
            const struct req_code *code = &it->codes[k];
            if (code->market < 0)
                continue;   /* unknown codes: silently no data, like Upbit */
            struct market *m = market_at(code->market);
            market_ensure(m, now_ms);
            if (it->snapshot)
                snapshot(c, m, it, code->depth, now_ms);
            if (it->realtime)
                ref_add(m, c, (uint32_t)i, it, code->depth, now_ms);
        }
    }
}

/* One result entry per (type, level) group, codes de-duplicated. */
static json_t *find_group(json_t *result, const struct req_item *it, const char *ty,
                          const char *lv)
{
    size_t i;
    json_t *g;
    json_array_foreach(result, i, g) {
        if (strcmp(json_string_value(json_object_get(g, ty)), dtype_name(it->type)))
            continue;
        json_t *level = json_object_get(g, lv);
        if (!level || !it->level || json_equal(level, it->level))
            return g;
    }
    g = json_object();
    json_object_set_new(g, ty, json_string(dtype_name(it->type)));
    json_array_append_new(result, g);
    return g;
}

static void add_codes(json_t *g, const struct req_item *it, const char *cds)
{
    if (!it->has_codes)
        return;
    json_t *codes = json_object_get(g, cds);
    if (!codes) {
        codes = json_array();
        json_object_set_new(g, cds, codes);
    }
    for (size_t k = 0; k < it->ncodes; k++) {
        size_t i;
        json_t *v;
        bool seen = false;
        json_array_foreach(codes, i, v)
            seen = seen || strcmp(json_string_value(v), it->codes[k].text) == 0;
        if (!seen)
            json_array_append_new(codes, json_string(it->codes[k].text));
    }
}

void sub_list(struct conn *c, const struct request *r)
{
    bool s = fmt_is_simple(r->fmt);
    const char *ty = s ? "ty" : "type", *cds = s ? "cds" : "codes", *lv = s ? "lv" : "level";
    c->fmt = r->fmt;
    json_t *result = json_array();
    for (size_t i = 0; i < c->sub.nitems; i++) {
        const struct req_item *it = &c->sub.items[i];
        json_t *g = find_group(result, it, ty, lv);
        add_codes(g, it, cds);
        if (it->level && !json_object_get(g, lv))
            json_object_set(g, lv, it->level);
    }
    json_t *o = json_object();
    json_object_set_new(o, s ? "mthd" : "method", json_string("LIST_SUBSCRIPTIONS"));
    json_object_set_new(o, s ? "rslt" : "result", result);
    json_object_set_new(o, s ? "tckt" : "ticket", json_string(r->ticket));
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (text)
        conn_enqueue(c, text, strlen(text), QF_TEXT);
    free(text);
}
