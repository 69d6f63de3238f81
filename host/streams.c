/* streams.c — see streams.h. A chained hash table keyed by (type, code, level). */
#include "streams.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STREAMS_BUCKETS 4096

static stream *streams_table[STREAMS_BUCKETS];
static size_t streams_n;

static unsigned streams_hash(const char *type_name, const char *code, double level)
{
    unsigned h = 2166136261u;
    for (const char *p = type_name; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    h = (h ^ '|') * 16777619u;
    for (const char *p = code; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    h ^= (unsigned)(int64_t)level;
    return h % STREAMS_BUCKETS;
}

stream *streams_find(const char *type_name, const char *code, double level)
{
    for (stream *st = streams_table[streams_hash(type_name, code, level)]; st; st = st->hnext)
        if (st->level == level && strcmp(st->code, code) == 0 && strcmp(st->type_name, type_name) == 0)
            return st;
    return NULL;
}

stream *streams_get(const char *type_name, const char *code, double level)
{
    stream *st = streams_find(type_name, code, level);
    if (st)
        return st;
    st = xcalloc(1, sizeof *st);
    snprintf(st->type_name, sizeof st->type_name, "%s", type_name);
    snprintf(st->code, sizeof st->code, "%s", code);
    st->level = level;
    unsigned h = streams_hash(type_name, code, level);
    st->hnext = streams_table[h];
    streams_table[h] = st;
    streams_n++;
    return st;
}

static void streams_unlink_free(stream *st)
{
    stream **pp = &streams_table[streams_hash(st->type_name, st->code, st->level)];
    while (*pp && *pp != st)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = st->hnext;
    event_unref(st->last);
    free(st->refs);
    free(st);
    streams_n--;
}

void streams_add_ref(stream *st, struct sub *s, size_t code_index, int live)
{
    if (st->n_refs == st->cap_refs) {
        st->cap_refs = st->cap_refs ? st->cap_refs * 2 : 4;
        st->refs = xrealloc(st->refs, st->cap_refs * sizeof *st->refs);
    }
    st->refs[st->n_refs++] = (stream_ref){s, code_index};
    st->n_live += (size_t)(live != 0);
}

/* A stream nobody listens to is forgotten at once, last value included:
 * Upbit stops sending it with the next request, so the value would go stale. */
void streams_remove_ref(stream *st, struct sub *s, size_t code_index, int live)
{
    for (size_t i = 0; i < st->n_refs; i++) {
        if (st->refs[i].sub != s || st->refs[i].code_index != code_index)
            continue;
        st->refs[i] = st->refs[--st->n_refs];
        st->n_live -= (size_t)(live != 0);
        break;
    }
    if (st->n_refs == 0)
        streams_unlink_free(st);
}

int streams_trade_is_new(stream *st, int64_t sequential_id)
{
    for (unsigned i = 0; i < st->seen_n; i++)
        if (st->seen[i] == sequential_id)
            return 0;
    st->seen[st->seen_pos] = sequential_id;
    st->seen_pos = (st->seen_pos + 1) % STREAM_SEEN;
    if (st->seen_n < STREAM_SEEN)
        st->seen_n++;
    return 1;
}

void streams_set_last(stream *st, event *ev)
{
    event_ref(ev);
    event_unref(st->last);
    st->last = ev;
}

void streams_foreach(void (*fn)(stream *st, void *arg), void *arg)
{
    for (size_t b = 0; b < STREAMS_BUCKETS; b++) {
        stream *st = streams_table[b];
        while (st) {
            stream *next = st->hnext;  /* fn may not free, but be safe on iteration */
            fn(st, arg);
            st = next;
        }
    }
}

size_t streams_count(void) { return streams_n; }

void streams_clear(void)
{
    for (size_t b = 0; b < STREAMS_BUCKETS; b++) {
        while (streams_table[b])
            streams_unlink_free(streams_table[b]);
    }
}

int streams_type_is_private(const char *type_name)
{
    return strcmp(type_name, "myOrder") == 0 || strcmp(type_name, "myAsset") == 0;
}

int streams_is_private(const stream *st)
{
    return streams_type_is_private(st->type_name);
}
