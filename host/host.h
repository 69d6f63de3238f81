/*
 * host.h — the loop: one lws context, the public connection, the plugin
 * instances, and the glue between registry, planner, conn and router.
 * Everything here runs on the loop thread (the thread that calls host_run).
 */
#ifndef UPWS_HOST_H
#define UPWS_HOST_H

#include <stdint.h>
#include "config.h"
#include "conn.h"
#include "instance.h"
#include "planner.h"

/* Runs until SIGINT/SIGTERM. Returns the process exit code. */
int host_run(const char *config_path);

/* ---- read-only views for the admin endpoint (thread: loop) ---- */

typedef struct host_counters {
    uint64_t upstream_errors;   /* error frames from Upbit */
    uint64_t bad_frames;        /* malformed or not understood */
    uint64_t by_type[8];        /* data events decoded, by upws_type */
    int64_t started_ns;         /* wall clock */
} host_counters;

const host_counters *host_get_counters(void);
const config *host_get_config(void);
conn *host_public_conn(void);
instance *host_instances(void);
const planner *host_get_planner(void);
/* The full text of the last request sent on the public socket ("" if none). */
const char *host_last_request(void);
/* Asks Upbit (LIST_SUBSCRIPTIONS, through the rate limiter) what it holds.
 * Returns 0 when queued, -1 when the socket is down. */
int host_list_subscriptions(void);
/* The last LIST_SUBSCRIPTIONS `result` array (JSON text) or NULL, and when it came. */
const char *host_listed(int64_t *at_ns);
/* Same effect as SIGHUP. */
void host_request_reload(void);
/* Restarts one instance from its plugin file (state handed over). 0 or -1. */
int host_plugin_reload(const char *name);

#endif
