/*
 * event.h — the host's immutable, reference-counted market-data event.
 *
 * One decoded Upbit message becomes one `event`. The router hands the same
 * event to every subscriber's inbox; each holder owns one reference and
 * drops it with event_unref(). Nobody writes to an event after decode.
 * `pub` is the public view given to plugins; all its pointers point into
 * this same allocation, so freeing the event frees everything.
 */
#ifndef UPWS_EVENT_H
#define UPWS_EVENT_H

#include <stdatomic.h>
#include <stdint.h>
#include "upws/plugin.h"

typedef struct event {
    atomic_int refs;
    upws_event pub;               /* public view; pointers below */
    union event_view {
        upws_ticker ticker;
        upws_trade trade;
        upws_orderbook orderbook;
        upws_candle candle;
        upws_myorder myorder;
        upws_myasset myasset;
    } view;
    double level;                 /* orderbook level (routing key); 0 otherwise */
    int simple;                   /* 1 when the keys were SIMPLE abbreviations */
    /* Orderbook units or myAsset balances, type_name, code, json text and
     * the views' strings live in the bytes that follow, in the same
     * allocation. */
    char data[];
} event;

/* Takes one more reference. Thread: any. */
void event_ref(event *ev);
/* Drops one reference; frees on the last. NULL is ignored. Thread: any. */
void event_unref(event *ev);

#endif
