"""What the host asks Upbit: 1,000 subscribe/unsubscribe calls from four
plugins never break the exchange's rate limits and end in exactly the final
union; a want Upbit rejects is found, dropped and reported to its owner
while everyone else is restored; unknown market codes are reported instead
of sent."""
import os
import time

from harness import (Host, Mock, check, check_against_truth, check_segments_against_truth, csv_files, done, max_in_window,
                     probe_lines, read_csv, request_objects, tmpdir, trade_truth, wait_for,
                     write_config)

POOL = ["KRW-BTC", "KRW-ETH", "KRW-XRP", "KRW-SOL", "KRW-DOGE", "KRW-ADA", "BTC-ETH", "USDT-BTC"]

# --- churn ---------------------------------------------------------------------
work = tmpdir()
mock = Mock(work, "--seed", "21", "--trade-rate", "2")
cfg = os.path.join(work, "upws.yaml")
outs = [os.path.join(work, "churn%d.txt" % i) for i in range(4)]
write_config(cfg, mock.url, [("churn%d" % i, "fx_churn", {"out": o, "codes": POOL, "ops": 250, "seed": i + 1})
                             for i, o in enumerate(outs)])
t0 = time.monotonic()
host = Host(work, cfg)

def finals():
    held = set()
    for o in outs:
        lines = probe_lines(o)
        if not lines or lines[-1][0] != "DONE":
            return None
        held |= {(l[1], l[2]) for l in lines if l[0] == "HOLD"}
    return held

def union_of(rec):
    return {(t, c) for t, codes, _ in request_objects(rec) for c in codes}

try:
    final = wait_for(finals, 20)
    took = time.monotonic() - t0
    check(final is not None, "four plugins made 1,000 subscribe/unsubscribe calls (%.1f s)" % took)
    check(wait_for(lambda: mock.requests() and union_of(mock.requests()[-1]) == final, 10),
          "the last request equals the final union (%d streams)" % len(final or ()))
    time.sleep(1.5)
finally:
    rc = host.stop()
    mock.stop()
reqs = mock.requests()
times = [r["t"] / 1000 for r in reqs]
per_s, per_min = max_in_window(times, 1.0), max_in_window(times, 60.0)
print("CHURN: %d requests for 1,000 calls; worst %d in any 1 s, %d in any 60 s" % (len(reqs), per_s, per_min))
check(per_s <= 5 and per_min <= 100, "no rate limit broken (%d/s, %d/min)" % (per_s, per_min))
check(all(r.get("result") == "ok" for r in reqs), "the exchange accepted every request")
check(len(mock.opens()) == 1, "one socket throughout")
check(rc == 0, "host exits 0 (%s)" % rc)

# --- a want Upbit rejects; unknown codes -----------------------------------------
work = tmpdir()
truth_log = os.path.join(work, "trades.txt")
mock = Mock(work, "--seed", "22", "--trade-rate", "20", "--trade-log", truth_log)
cfg = os.path.join(work, "upws.yaml")
good, bad, unk = (os.path.join(work, n) for n in ("good.txt", "bad.txt", "unknown.txt"))
data = os.path.join(work, "data")
write_config(cfg, mock.url, [
    ("good", "fx_probe", {"out": good, "types": ["trade"], "codes": ["KRW-BTC"]}),
    ("rec", "csv_recorder", {"dir": data, "types": ["trade"], "codes": ["KRW-BTC"], "flush_interval_ms": 100}),
])
host = Host(work, cfg)
try:
    check(wait_for(lambda: [l for l in probe_lines(good) if l[0] == "EVENT"], 10), "trades flow")
    time.sleep(2)  # the first request is verified by now
    write_config(cfg, mock.url, [
        ("good", "fx_probe", {"out": good, "types": ["trade"], "codes": ["KRW-BTC"]}),
        ("rec", "csv_recorder", {"dir": data, "types": ["trade"], "codes": ["KRW-BTC"], "flush_interval_ms": 100}),
        ("bad", "fx_probe", {"out": bad, "types": ["orderbook"], "codes": ["KRW-ETH"], "level": 0.5}),
        ("unknown", "fx_probe", {"out": unk, "types": ["ticker"], "codes": ["KRW-XRP", "KRW-NOPE"]}),
    ])
    import signal
    host.signal(signal.SIGHUP)
    err = wait_for(lambda: [l for l in probe_lines(bad) if l[0] == "STATUS" and l[1] == "5"], 10)
    check(err and err[0][6] == "INVALID_PARAM", "the rejected want's owner is told (%s)" % (" ".join(err[0][6:]) if err else "nothing"))
    nope = wait_for(lambda: [l for l in probe_lines(unk) if l[0] == "STATUS" and l[1] == "6"], 5)
    check(nope and "KRW-NOPE" in " ".join(nope[0]), "an unknown market code is reported to its plugin")
    check(wait_for(lambda: [l for l in probe_lines(unk) if l[0] == "EVENT" and l[2] == "KRW-XRP"], 5),
          "its known code streams")
    time.sleep(3)
    last = request_objects(mock.requests()[-1])
    check(not any(("level", 0.5) in extras for _, _, extras in last), "the rejected want is out of the request")
    check(not any("KRW-NOPE" in r.get("text", "") for r in mock.requests()), "the unknown code was never sent")
    opens = len(mock.opens())
    check(opens <= 3, "no reconnect loop (%d sockets)" % opens)
    n = len([l for l in probe_lines(good) if l[0] == "EVENT"])
    check(wait_for(lambda: len([l for l in probe_lines(good) if l[0] == "EVENT"]) > n + 10, 5), "the others keep streaming")
finally:
    rc = host.stop()
    mock.stop()
check(rc == 0, "host exits 0 (%s)" % rc)
rows = []
for f in csv_files(data):
    rows += read_csv(os.path.join(data, f))
check(any(r["stream_type"] == "GAP_BEGIN" for r in rows), "the close after the rejection is marked as a gap")
check_segments_against_truth("csv KRW-BTC across the rejection", rows, trade_truth(truth_log).get("KRW-BTC", []))
done()
