/* registry.c — see registry.h. A plain list: subscriptions change at human
 * speed, so lookups by id stay cheap; the hot path goes through streams. */
#include "registry.h"
#include "decode.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sub *registry_head;
static size_t registry_n;
static uint64_t registry_gen;

sub *registry_add(struct instance *owner, int64_t id, const char *type_name,
                  char *const *codes, size_t n_codes, uint32_t depth, double level,
                  upws_delivery delivery, int64_t snapshot_id)
{
    sub *s = xcalloc(1, sizeof *s);
    s->id = id;
    s->owner = owner;
    snprintf(s->type_name, sizeof s->type_name, "%s", type_name);
    s->type = decode_type(type_name);
    s->depth = depth ? depth : 30;
    s->level = s->type == UPWS_TYPE_ORDERBOOK ? level : 0;
    s->delivery = delivery;
    s->snapshot_id = snapshot_id;
    s->n_codes = n_codes;
    s->codes = xcalloc(n_codes, sizeof *s->codes);
    for (size_t i = 0; i < n_codes; i++)
        snprintf(s->codes[i].code, sizeof s->codes[i].code, "%s", codes[i]);
    s->suspended = 1;
    registry_resume(s);
    s->next = registry_head;
    registry_head = s;
    registry_n++;
    registry_gen++;
    return s;
}

sub *registry_find(struct instance *owner, int64_t id)
{
    for (sub *s = registry_head; s; s = s->next)
        if (s->owner == owner && s->id == id)
            return s;
    return NULL;
}

void registry_remove(sub *s)
{
    sub **pp = &registry_head;
    while (*pp && *pp != s)
        pp = &(*pp)->next;
    if (!*pp)
        return;
    *pp = s->next;
    registry_suspend(s);
    free(s->codes);
    free(s);
    registry_n--;
    registry_gen++;
}

size_t registry_remove_owner(struct instance *owner)
{
    size_t n = 0;
    sub *s = registry_head;
    while (s) {
        sub *next = s->next;
        if (s->owner == owner) {
            registry_remove(s);
            n++;
        }
        s = next;
    }
    return n;
}

void registry_suspend(sub *s)
{
    if (s->suspended)
        return;
    for (size_t i = 0; i < s->n_codes; i++) {
        streams_remove_ref(s->codes[i].stream, s, i, s->snapshot_id == 0);
        s->codes[i].stream = NULL;
    }
    s->suspended = 1;
    s->in_flight = 0;
    registry_gen++;
}

void registry_resume(sub *s)
{
    if (!s->suspended)
        return;
    for (size_t i = 0; i < s->n_codes; i++) {
        s->codes[i].stream = streams_get(s->type_name, s->codes[i].code, s->level);
        s->codes[i].got_snapshot = 0;
        streams_add_ref(s->codes[i].stream, s, i, s->snapshot_id == 0);
    }
    s->suspended = 0;
    registry_gen++;
}

void registry_reset_snapshots(void)
{
    for (sub *s = registry_head; s; s = s->next)
        for (size_t i = 0; i < s->n_codes; i++)
            s->codes[i].got_snapshot = 0;
}

sub *registry_first(void) { return registry_head; }
int registry_owner_uses(const struct instance *owner, int private_conn)
{
    for (const sub *s = registry_first(); s; s = s->next)
        if (s->owner == owner && streams_type_is_private(s->type_name) == private_conn)
            return 1;
    return 0;
}

size_t registry_count(void) { return registry_n; }
uint64_t registry_generation(void) { return registry_gen; }
