/* chart_server.h — the plugin's own HTTP + WebSocket server (libwebsockets),
 * serviced on a thread it owns. It serves the page and the charting library
 * from a fixed list of files, and streams candles from the shared state to
 * every connected page. */
#ifndef CHART_SERVER_H
#define CHART_SERVER_H

#include <stddef.h>

#include <upws/plugin.h>

#include "chart_proto.h"

typedef struct cs_config {
    const char *iface;   /* a loopback IPv4 address, e.g. "127.0.0.1" */
    int port;            /* 0 = any free port */
    const char *web_dir; /* holds index.html, app.js, style.css, node_modules/ */
    size_t max_viewers;
    upws_ctx *ctx;       /* for logging from the server thread */
    const upws_host_api *api;
} cs_config;

typedef struct chart_server chart_server;

/* Creates the server and starts its thread; returns once it listens (or
 * failed: NULL, with the reason in err). The strings in cfg are copied. */
chart_server *cs_start(const cs_config *cfg, cp_shared *sh, char *err, size_t errlen);
/* The port it listens on. */
int cs_port(const chart_server *s);
/* Any thread: the shared state changed. Cheap and never blocks; wake-ups are
 * coalesced until the server thread has looked. */
void cs_notify(chart_server *s);
/* Stops the thread, closes every connection and frees the server. */
void cs_stop(chart_server *s);

#endif
