/*
 * registry.h — who wants what: the single source of truth for every request.
 *
 * A `sub` is one plugin's subscription (or one-off snapshot request) to one
 * type with one option set over n codes. Adding a sub links each code into
 * its stream (streams.h); removing it unlinks. The planner derives the
 * request from the streams; the router delivers through the links.
 * Everything here is owned and touched by the loop thread only.
 */
#ifndef UPWS_REGISTRY_H
#define UPWS_REGISTRY_H

#include <stdint.h>
#include "streams.h"

struct instance;

typedef struct sub_code {
    char code[24];
    stream *stream;
    uint8_t got_snapshot;    /* this subscriber has had its one SNAPSHOT */
    uint8_t answered;        /* one-off snapshot: answered */
} sub_code;

typedef struct sub {
    int64_t id;
    struct instance *owner;
    char type_name[16];
    upws_type type;
    uint32_t depth;          /* orderbook levels wanted (1..30) */
    double level;
    upws_delivery delivery;
    int64_t snapshot_id;     /* > 0: a one-off snapshot request */
    int64_t deadline_ns;     /* one-off snapshot: give up after this (monotonic) */
    uint8_t sent;            /* one-off snapshot: already in a sent request */
    uint8_t verified;        /* was in a request Upbit accepted */
    uint8_t in_flight;       /* unverified, in the request just sent: a suspect if Upbit errs */
    uint8_t suspended;       /* held back while the host finds which want Upbit rejects */
    size_t n_codes, n_answered;
    sub_code *codes;
    struct sub *next;
} sub;

/* Creates the sub and links it; returns it (owned by the registry). */
sub *registry_add(struct instance *owner, int64_t id, const char *type_name,
                  char *const *codes, size_t n_codes, uint32_t depth, double level,
                  upws_delivery delivery, int64_t snapshot_id);
sub *registry_find(struct instance *owner, int64_t id);
void registry_remove(sub *s);
/* The unload sweep: removes every sub and snapshot request of `owner`; returns how many. */
size_t registry_remove_owner(struct instance *owner);
/* Unlinks a sub from its streams (it leaves the request) / links it back. */
void registry_suspend(sub *s);
void registry_resume(sub *s);
/* Every sub loses its snapshot mark: after a reconnect each plugin gets a fresh one. */
void registry_reset_snapshots(void);
sub *registry_first(void);
size_t registry_count(void);
/* Does `owner` hold a want served by the private socket (private_conn = 1)
 * or by the public one (0)? Decides who hears which connection's status. */
int registry_owner_uses(const struct instance *owner, int private_conn);
/* Bumped on every change; the planner compares it with what it applied. */
uint64_t registry_generation(void);

#endif
