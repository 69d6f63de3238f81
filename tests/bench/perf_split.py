#!/usr/bin/env python3
"""Splits a `perf record -g` profile of upws into the stages of the data
path, by the innermost frame of each sample that belongs to a known
function (so a kernel sample under a futex call is charged to queueing).
Usage: perf script -i FILE -F tid,ip,sym,dso | perf_split.py [CPU_US_PER_MSG]
With the profiled run's CPU µs/msg (run.py prints it), each stage's share
is also given in µs per message."""
import collections
import re
import sys

STAGES = [
    ("callback", re.compile(r"bench_counter|on_event$")),
    ("queueing (inbox, wake-ups)", re.compile(r"inbox_|pthread_cond|pthread_mutex|futex|__lll_lock|try_to_wake_up|schedule|run_item|instance_thread|instance_run|run_event|workers_|worker_main")),
    ("routing", re.compile(r"router_|streams_|deliver|owner_get|collect_live|event_ref|event_unref")),
    ("decode", re.compile(r"decode_|json_|event_alloc|route_sink")),
    ("allocation", re.compile(r"malloc|free|_int_|calloc|realloc|arena")),
    ("framing (socket read, frames; lws loop)", re.compile(r"wsclient_|wsframe_|netio_|walk_frames|read_head|^consume$|ev_received|ev_message|libwebsockets|lws_|conn_callback|on_receive|tcp_|sock_|_copy_to_iter|recv|read")),
]


def stage_of(frames):
    for sym, dso in frames:
        text = sym + " " + dso
        for name, rx in STAGES:
            if rx.search(text):
                return name
    return "other (kernel, libc, timers)"


def main():
    totals, threads = collections.Counter(), collections.defaultdict(collections.Counter)
    frames, tid = [], None
    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line.strip():
            if frames:
                st = stage_of(frames)
                totals[st] += 1
                threads[tid][st] += 1
            frames, tid = [], None
            continue
        if tid is None and not line.startswith("\t"):
            tid = line.split()[0]
            continue
        m = re.match(r"\s+[0-9a-f]+\s+(.*?)\s+\((.*)\)$", line)
        if m:
            frames.append((m.group(1), m.group(2)))
    n = sum(totals.values()) or 1
    us = float(sys.argv[1]) if len(sys.argv) > 1 else 0.0
    for st, c in totals.most_common():
        print("%-32s %5.1f %%" % (st, 100.0 * c / n) + ("  %5.2f µs/msg" % (us * c / n) if us else ""))
    print("threads (share of samples): " + ", ".join(
        "%s %.0f%%" % (t, 100.0 * sum(c.values()) / n) for t, c in
        sorted(threads.items(), key=lambda kv: -sum(kv[1].values()))[:6]))


if __name__ == "__main__":
    main()
