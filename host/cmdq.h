/*
 * cmdq.h — commands from any thread to the loop thread.
 *
 * Proxy calls made by plugins (subscribe, unsubscribe, snapshot, timers)
 * and lifecycle notices become commands. cmdq_push() copies the command,
 * queues it and wakes the loop; only the loop calls cmdq_drain().
 * A command owns its `codes` array and strings (freed by cmd_free()).
 */
#ifndef UPWS_CMDQ_H
#define UPWS_CMDQ_H

#include <stdint.h>
#include "upws/plugin.h"

struct instance;

typedef enum {
    CMD_SUBSCRIBE,
    CMD_UNSUBSCRIBE,
    CMD_SNAPSHOT,
    CMD_TIMER_ADD,
    CMD_TIMER_CANCEL,
    CMD_INIT_DONE,    /* init() returned; id = its return code */
    CMD_STATE_SAVED,  /* save_state() ran before a swap; blob/blob_len (owned) */
    CMD_STOPPED,      /* the instance's thread ran stop() and is about to exit */
    CMD_REST          /* rest_private_get: path, query, rest_fn */
} cmd_kind;

typedef struct cmd {
    cmd_kind kind;
    struct instance *inst;
    int64_t id;             /* sub, snapshot or timer id */
    /* subscribe / snapshot */
    char type_name[16];
    char **codes;           /* owned */
    size_t n_codes;
    uint32_t depth;
    double level;
    upws_delivery delivery;
    /* timers */
    uint32_t after_ms, every_ms;
    upws_timer_fn fn;
    /* signed REST GET */
    char *path, *query;     /* owned */
    upws_rest_fn rest_fn;
    /* state hand-off */
    void *blob;             /* owned (malloc'd by the plugin) */
    size_t blob_len;
    struct cmd *next;
} cmd;

/* Set once by the loop: what to call to wake it (lws_cancel_service). */
void cmdq_set_waker(void (*wake)(void *), void *arg);
/* Thread: any. Takes ownership of c (heap-allocated). */
void cmdq_push(cmd *c);
/* Thread: loop. Returns the queued commands in FIFO order; caller frees each. */
cmd *cmdq_drain(void);
void cmd_free(cmd *c);

#endif
