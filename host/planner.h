/*
 * planner.h — registry → the one request Upbit needs for a connection.
 *
 * Upbit replaces a socket's whole subscription with every request, so the
 * planner always renders the complete union, canonically (sorted), and
 * sends only when it differs from what the server holds. One-off snapshots
 * ride along as is_only_snapshot objects with codes disjoint from the live
 * ones; once answered they drop out without a resend (they stream nothing).
 * Thread: loop only. The planner owns its strings.
 */
#ifndef UPWS_PLANNER_H
#define UPWS_PLANNER_H

#include <stdint.h>

typedef struct planner {
    int private_conn;       /* plans myOrder/myAsset (the private socket), else the public types */
    char *held;             /* live part of the last request sent; NULL = server holds nothing */
    char ticket[48];
    uint64_t requests;      /* requests produced */
    uint64_t desired_gen, applied_gen;
} planner;

void planner_init(planner *p, int private_conn);
void planner_free(planner *p);
/* The connection was (re)established: the server holds nothing. */
void planner_reset(planner *p);
/* Returns the request to send now (malloc'd; caller frees), or NULL when the
 * server already holds the union. Marks the included one-off snapshots sent.
 * A private planner with nothing to ask returns NULL: the socket closes. */
char *planner_next(planner *p);
/* Only the live objects of the current union, canonical (for status output and tests). */
char *planner_render_live(void);
char *planner_render_live_for(int private_conn);
/* Whether any plugin wants a stream of this connection kind. */
int planner_wanted(int private_conn);

#endif
