/*
 * wsclient.h — one WebSocket client session over one netio stream: the
 * TCP connect, the TLS handshake, the HTTP upgrade, then frames both ways.
 *
 * Why not libwebsockets' client: its 4.1 frame parser handles payload one
 * byte at a time, the largest cost per message in the host (see
 * wsframe.h). Here bytes are read 64 KiB at a time, frame headers are
 * walked in place, and a message that arrived whole is handed to the
 * decoder where it lies: no copy, no per-byte state. Fragmented messages
 * are reassembled; pings are answered; a protocol error ends the session.
 *
 * The event loop stays libwebsockets': conn.c watches wsclient_fd() and
 * calls wsclient_readable / wsclient_writable; wsclient_wants_write says
 * whether to ask for writability. Any call returning -1 means the session
 * is over: close it (wsclient_error says why).
 *
 * Ownership: the session owns its buffers and its netio; message bytes
 * passed to events.message are valid during that call only. Thread: loop.
 */
#ifndef UPWS_WSCLIENT_H
#define UPWS_WSCLIENT_H

#include <stddef.h>
#include <stdint.h>
#include "wsframe.h"

/* Messages larger than this are skipped (and counted), never buffered. */
#define WSCLIENT_MAX_MESSAGE (4u << 20)

typedef struct wsclient wsclient;

typedef struct wsclient_events {
    void (*open)(void *arg);                      /* the upgrade was accepted */
    /* The server answered the upgrade, but not with a valid 101 (r->status
     * 0: the status line was not HTTP); the readable call that saw it
     * returns -1. A connection that ends before any answer, or an answer
     * head over 16 KiB, just returns -1. */
    void (*refused)(void *arg, const wsframe_response *r, const char *why);
    void (*message)(void *arg, const char *buf, size_t len);
    void (*peer_close)(void *arg, int code);      /* close frame (code 0: none given) */
    void (*sent)(void *arg);                      /* the request frame is on the wire */
    void (*received)(void *arg);                  /* bytes arrived: stamp and liveness */
    void (*oversized)(void *arg);                 /* a message was skipped */
} wsclient_events;

typedef struct wsclient_target {
    const char *host, *path;
    int port, tls;
    unsigned turn;            /* which resolved address to try first (netio_open) */
    /* Header lines added to the upgrade ("Name: value\r\n"…), or NULL.
     * Copied into the request, which is wiped once written. */
    const char *extra_headers;
} wsclient_target;

wsclient *wsclient_open(const wsclient_target *t, const wsclient_events *ev, void *arg,
                        char *err, size_t errlen);
int wsclient_fd(const wsclient *ws);
int wsclient_is_open(const wsclient *ws);   /* upgraded, frames flow */
int wsclient_wants_write(const wsclient *ws);
int wsclient_readable(wsclient *ws);
int wsclient_writable(wsclient *ws);
/* Queues one text frame (only once open: before that it would precede the
 * upgrade); `request` marks it as the one whose departure events.sent
 * reports. The caller then asks for writability. */
void wsclient_send_text(wsclient *ws, const char *text, size_t len, int request);
void wsclient_ping(wsclient *ws);
/* Best effort, for a close we start: one close frame with `code`, written
 * now if nothing else is queued. */
void wsclient_close_frame(wsclient *ws, int code);
const char *wsclient_error(const wsclient *ws);
/* Closes the socket if the loop never took it (wsclient_fd not watched). */
void wsclient_close_fd(wsclient *ws);
void wsclient_free(wsclient *ws);

#endif
