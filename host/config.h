/*
 * config.h — the YAML configuration, validated and typed.
 *
 * config_load() reads the whole file, expands ${ENV} references in scalars,
 * checks every key against the schema and fills a `config`. Any error names
 * file, line, column and key; nothing is partially applied.
 * The `config` owns every string and node in it; config_free() frees all.
 */
#ifndef UPWS_CONFIG_H
#define UPWS_CONFIG_H

#include <stddef.h>

#include "upws/plugin.h"   /* upws_delivery */

/* A node of a plugin's free-form `config:` section. */
typedef enum { CNODE_SCALAR, CNODE_LIST, CNODE_MAP } cnode_kind;

typedef struct cnode {
    cnode_kind kind;
    char *key;             /* key when this node is a map entry, else NULL */
    char *scalar;          /* CNODE_SCALAR: the (env-expanded) text */
    int quoted;            /* scalar was quoted in YAML (so "5" is a string) */
    struct cnode *items;   /* CNODE_LIST / CNODE_MAP children */
    size_t n_items;
    int line, col;         /* 1-based position in the file (a map entry: of its key) */
} cnode;

typedef struct plugin_conf {
    char *name;            /* instance name, unique, [A-Za-z0-9_.-]+ */
    char *plugin;          /* file stem in plugin_dirs, or a path containing '/' */
    cnode config;          /* CNODE_MAP (empty when absent) */
    int line, col;         /* position of this list item */
    char *log_level;       /* this instance's level, NULL = the global log.level */
    upws_delivery delivery; /* plugins[i].delivery; DEFAULT = the per-type defaults */
} plugin_conf;

typedef struct config {
    char *path;            /* the file as given */
    /* upbit: */
    char *public_url;      /* default wss://api.upbit.com/websocket/v1 */
    char *private_url;     /* default wss://api.upbit.com/websocket/v1/private */
    char *rest_url;        /* default https://api.upbit.com */
    char *access_key;      /* NULL when not configured (empty counts as absent) */
    char *secret_key;      /* NULL when not configured; both or neither */
    int ping_interval;     /* seconds of silence before a protocol ping (1..30), default 20 */
    int stall_timeout;     /* seconds without data or pong = dead socket, default 45 */
    int reconnect_max_ms;  /* reconnect delay cap after ordinary failures, default 500 */
    /* admin: */
    char *admin_listen;    /* default 127.0.0.1:9380; "off" = no admin server */
    char *admin_token;     /* NULL = none; required to listen beyond loopback (secret) */
    /* log: */
    char *log_level;       /* error|warn|info|debug, default info */
    char *log_format;      /* text|json, default text */
    int summary_interval;  /* seconds between summary lines, 0 = off; default 60 */
    int reload_watch;      /* reload: watch — follow plugin files and this file (inotify) */
    char **plugin_dirs;    /* default: none (plugins must then be paths) */
    size_t n_plugin_dirs;
    plugin_conf *plugins;
    size_t n_plugins;
    /* Non-fatal findings (e.g. literal API keys in a file others can read),
     * one line each, never containing a secret; the caller logs them. */
    char **warnings;
    size_t n_warnings;
} config;

/* Load and validate. On failure returns -1 and writes one line into err:
 * "FILE:LINE:COL: key 'KEY': what is wrong". */
int config_load(const char *path, config *out, char *err, size_t errlen);
void config_free(config *c);

/* Find a direct child of a CNODE_MAP by key; NULL when absent. */
const cnode *cnode_get(const cnode *map, const char *key);

/* Render a cnode as JSON text (malloc'd, caller frees) — used to compare
 * plugin configs across reloads and to show them. */
char *cnode_to_json(const cnode *n);

#endif
