/*
 * instance.h — one running plugin instance: its image, lane, inbox and proxy.
 *
 * The loop creates an instance (instance_start) and makes its lane ready;
 * a worker thread (workers.h) runs init() on its first turn and every
 * callback after, one at a time, in order. Proxy calls
 * (the upws_host_api table) come from any thread and become commands for
 * the loop. Stopping is asynchronous: instance_stop_begin() closes the
 * proxy and queues ITEM_STOP; the worker runs stop() and sends
 * CMD_STOPPED; the loop then calls instance_free().
 * The loop owns the instance struct; the plugin owns only its `self`.
 */
#ifndef UPWS_INSTANCE_H
#define UPWS_INSTANCE_H

#include <pthread.h>
#include <stdint.h>
#include "config.h"
#include "inbox.h"
#include "loader.h"
#include "workers.h"

/* Callback-duration histogram bucket bounds, seconds (Prometheus `le`). */
#define INSTANCE_CB_BUCKETS 8
extern const double instance_cb_bounds[INSTANCE_CB_BUCKETS];

struct upws_ctx {
    struct instance *inst;
};

typedef enum {
    INST_STARTING,   /* thread running init() */
    INST_RUNNING,
    INST_STOPPING,   /* stop requested, waiting for CMD_STOPPED */
    INST_FAILED      /* init() refused; being cleaned up */
} inst_state;

typedef struct instance {
    char *name;                 /* instance name from the config */
    char *plugin;               /* the `plugin:` value as configured */
    loader_lib *lib;
    const upws_plugin *desc;    /* host copy inside lib */
    struct upws_ctx ctx;
    void *self;                 /* plugin-owned state */
    cnode config;               /* deep copy of the instance's config: section */
    char *config_json;          /* canonical JSON of it (to detect changes) */
    inst_state state;
    lane lane;                  /* its turns on the worker threads */
    int initialized;            /* init() has run (worker side) */
    inbox in;
    /* Proxy state shared with plugin-side threads, under `lock`. */
    pthread_mutex_t lock;
    int closed;
    int64_t *ids;               /* live subscription / timer ids */
    size_t n_ids, cap_ids;
    /* config_list results, built on first use and kept until free. */
    struct list_cache { char *key; const char **items; size_t n; } *lists;
    size_t n_lists;
    int64_t started_ns;
    int log_level;              /* this instance's threshold, -1 = the global level */
    /* Observability, written inside the lane, read by the admin endpoint. */
    _Atomic uint64_t cb_count, cb_sum_ns;
    _Atomic uint64_t cb_buckets[INSTANCE_CB_BUCKETS];
    char last_error[256];       /* under `lock` */
    /* Hot reload: a new build of the same instance starts beside the old one. */
    struct instance *replaces, *replaced_by;
    int swapping;               /* a new build is being prepared for this instance */
    void *handover;             /* blob for restore_state() (owned until the thread used it) */
    size_t handover_len;
    int64_t last_error_ns;
    struct instance *next;
} instance;

/* Checks a plugin config against the descriptor's config_keys.
 * Returns 0 or -1 with "FILE:LINE:COL: key 'plugins[i].config.K': ..." in err. */
int instance_check_config(const upws_plugin *d, const cnode *cfg, const char *file,
                          size_t index, char *err, size_t errlen);

/* Loads and starts an instance (thread + init). Returns NULL with err on a
 * load/ABI/config failure; an init() failure arrives later as CMD_INIT_DONE. */
instance *instance_start(const plugin_conf *pc, char *const *dirs, size_t n_dirs,
                         const char *file, size_t index, char *err, size_t errlen);
/* Same, handing over a saved state (ownership of `state` moves in, even on failure). */
instance *instance_start_with(const plugin_conf *pc, char *const *dirs, size_t n_dirs, const char *file,
                              size_t index, void *state, size_t state_len, char *err, size_t errlen);
/* Thread: loop. Asks the instance's thread for its state (CMD_STATE_SAVED follows). */
void instance_save_begin(instance *inst);
/* Thread: loop. Closes the proxy and asks the thread to run stop(). */
void instance_stop_begin(instance *inst);
/* Thread: loop, after CMD_STOPPED or a failed init: joins and frees everything. */
void instance_free(instance *inst);
/* Thread: loop. Queues one event for the plugin (takes one reference). */
void instance_deliver(instance *inst, event *ev, int as_snapshot, uint32_t max_units,
                      int64_t snapshot_id);
/* Thread: loop. Queues a status notice (takes ownership of st). */
void instance_status(instance *inst, upws_status *st);
/* Thread: loop. Queues UP / DOWN / GAP of one connection (name may be NULL). */
void instance_conn_status(instance *inst, upws_status_kind kind, int private_conn, int64_t since_ns,
                          int64_t until_ns, const char *name, const char *message);
/* Thread: loop. Queues a timer firing (coalesced: at most one queued per timer).
 * A one-shot timer's id is released once its callback has run. */
void instance_timer_fire(instance *inst, int64_t timer_id, upws_timer_fn fn, int oneshot);
/* Is this id (subscription, snapshot or timer) still live for the instance? */
int instance_has_id(instance *inst, int64_t id);
void instance_drop_id(instance *inst, int64_t id);

const upws_host_api *instance_api(void);
/* Whether API keys are configured (what private_available() answers). Thread: any. */
void instance_set_private_available(int on);
/* Thread: loop. Queues the answer to a rest_private_get call (copies everything). */
void instance_rest_reply(instance *inst, int64_t id, upws_rest_fn fn, int status, const char *body, size_t len,
                         const char *remaining);
/* Records a line as the instance's last error (thread: any). */
void instance_set_error(instance *inst, const char *fmt, ...) UPWS_PRINTF(2, 3);

#endif
