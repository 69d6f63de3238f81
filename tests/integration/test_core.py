"""Core: one socket, the union as one request, per-plugin routing, late
joiners served from the host's last value, unload sweep, clean stop."""
import os
import signal
import time
from collections import Counter

from harness import (Host, Mock, check, csv_files, done, read_csv, request_objects, tmpdir,
                     wait_for, write_config)

work = tmpdir()
truth_log = os.path.join(work, "trades.txt")
mock = Mock(work, "--seed", "7", "--trade-rate", "20", "--trade-log", truth_log)
cfg = os.path.join(work, "upws.yaml")
dir_a, dir_b, dir_c = (os.path.join(work, d) for d in ("a", "b", "c"))
rec_a = ("rec-a", "csv_recorder", {"dir": dir_a, "types": ["trade", "ticker"], "codes": ["KRW-BTC", "KRW-ETH"]})
rec_b = ("rec-b", "csv_recorder", {"dir": dir_b, "types": ["trade", "orderbook"], "codes": ["KRW-ETH", "KRW-XRP"], "depth": 5})
rec_c = ("rec-c", "csv_recorder", {"dir": dir_c, "types": ["trade"], "codes": ["KRW-ETH"]})
write_config(cfg, mock.url, [rec_a, rec_b])
host = Host(work, cfg)

UNION_AB = sorted([
    ("orderbook", ("KRW-ETH.5", "KRW-XRP.5"), ()),
    ("ticker", ("KRW-BTC", "KRW-ETH"), ()),
    ("trade", ("KRW-BTC", "KRW-ETH", "KRW-XRP"), ()),
])
UNION_A = sorted([
    ("ticker", ("KRW-BTC", "KRW-ETH"), ()),
    ("trade", ("KRW-BTC", "KRW-ETH"), ()),
])

def last_request_is(union):
    reqs = mock.requests()
    return reqs and request_objects(reqs[-1]) == union

try:
    check(wait_for(lambda: last_request_is(UNION_AB), 10), "the final request is the union of both recorders")
    check(len(mock.opens()) == 1, "one socket to the exchange (got %d)" % len(mock.opens()))
    check(all(r.get("result") == "ok" for r in mock.requests()), "every request was accepted by the exchange")
    check(not any(r.get("origin") for r in mock.opens()), "no Origin header sent")
    check(wait_for(lambda: os.path.exists(dir_b) and len(csv_files(dir_b)) == 4, 10), "rec-b writes its 4 streams")
    time.sleep(2)

    # A third recorder joins a live stream: served from the host's last value.
    n_before = len(mock.requests())
    write_config(cfg, mock.url, [rec_a, rec_b, rec_c])
    host.signal(signal.SIGHUP)
    check(wait_for(lambda: os.path.exists(dir_c) and csv_files(dir_c), 10), "rec-c started and writes")
    time.sleep(1.0)
    check(len(mock.requests()) == n_before, "joining a live code sent no request (%d -> %d)" % (n_before, len(mock.requests())))
    c_file = os.path.join(dir_c, csv_files(dir_c)[0])
    c_rows = wait_for(lambda: read_csv(c_file), 5)
    check(c_rows and c_rows[0]["stream_type"] == "SNAPSHOT", "rec-c's first row is a SNAPSHOT")
    check(c_rows and all(r["stream_type"] == "REALTIME" for r in c_rows[1:]), "rec-c's later rows are REALTIME")

    # Unload rec-b: the request shrinks to rec-a's (rec-c's trade KRW-ETH is inside it).
    write_config(cfg, mock.url, [rec_a, rec_c])
    host.signal(signal.SIGHUP)
    check(wait_for(lambda: last_request_is(UNION_A), 10), "after unloading rec-b the request is rec-a's union")
    time.sleep(1.5)
finally:
    rc = host.stop()
    mock.stop()

check(rc == 0, "SIGTERM: upws exits 0 (got %s)" % rc)
log = host.log()
check("stopped" in log, "host logged its stop")

files_a = csv_files(dir_a)
files_b = csv_files(dir_b)
check(sorted(f.rsplit("_", 1)[0] for f in files_a) ==
      ["ticker_KRW-BTC", "ticker_KRW-ETH", "trade_KRW-BTC", "trade_KRW-ETH"], "rec-a holds exactly its streams: %s" % files_a)
check(sorted(f.rsplit("_", 1)[0] for f in files_b) ==
      ["orderbook_KRW-ETH", "orderbook_KRW-XRP", "trade_KRW-ETH", "trade_KRW-XRP"], "rec-b holds exactly its streams: %s" % files_b)

def trades(d, code):
    rows = []
    for f in csv_files(d):
        if f.startswith("trade_%s_" % code):
            rows += read_csv(os.path.join(d, f))
    return rows

for d in (dir_a, dir_b, dir_c):
    for code in ("KRW-BTC", "KRW-ETH", "KRW-XRP"):
        rows = trades(d, code)
        dups = [k for k, n in Counter(r["sequential_id"] for r in rows).items() if n > 1]
        check(not dups, "%s %s: no trade twice (%d rows)" % (os.path.basename(d), code, len(rows)))
        check(all(r["code"] == code and r["type"] == "trade" for r in rows), "%s %s: rows carry their code" % (os.path.basename(d), code))

# rec-a and rec-b both recorded KRW-ETH trades while both were loaded: rec-b's
# rows must all be in rec-a (same shared feed, nothing missing for either).
a_ids = [r["sequential_id"] for r in trades(dir_a, "KRW-ETH")]
b_ids = [r["sequential_id"] for r in trades(dir_b, "KRW-ETH")]
check(len(b_ids) > 10, "rec-b saw trades (%d)" % len(b_ids))
check(set(b_ids) <= set(a_ids), "every KRW-ETH trade rec-b saw is in rec-a")
if b_ids and b_ids[0] in a_ids:
    i = a_ids.index(b_ids[0])
    check(a_ids[i:i + len(b_ids)] == b_ids, "rec-a and rec-b hold the same KRW-ETH trades, in order, over their common span")
# Ground truth: every KRW-ETH trade the exchange made between rec-a's first
# and last row is in rec-a, once, in order — across the re-sends and the
# unloading of rec-b. Same for rec-b and rec-c over their own spans.
truth = {}
with open(truth_log) as f:
    for line in f:
        code, sid = line.split()
        truth.setdefault(code, []).append(sid)
for name, d, code in (("rec-a", dir_a, "KRW-ETH"), ("rec-a", dir_a, "KRW-BTC"), ("rec-b", dir_b, "KRW-XRP"), ("rec-c", dir_c, "KRW-ETH")):
    got = [r["sequential_id"] for r in trades(d, code)]
    t = truth.get(code, [])
    if got and got[0] in t and got[-1] in t:
        span = t[t.index(got[0]):t.index(got[-1]) + 1]
        check(got == span, "%s %s: no trade missing or twice vs the exchange (%d rows, %d made)" % (name, code, len(got), len(span)))
    else:
        check(False, "%s %s: rows found in the exchange's trade log" % (name, code))
# rec-a kept streaming after rec-b left: it has trades that rec-b never saw.
check(len(a_ids) > len(set(b_ids)) and a_ids[-1] not in set(b_ids), "rec-a kept streaming after rec-b was unloaded")

# Each re-send makes the exchange send fresh snapshots of every code; a
# subscriber still sees exactly one SNAPSHOT per stream, as its first row.
for f in files_a:
    rows = read_csv(os.path.join(dir_a, f))
    snaps = [i for i, r in enumerate(rows) if r["stream_type"] == "SNAPSHOT"]
    check(len(snaps) <= 1 and (not snaps or snaps[0] == 0), "rec-a %s: one SNAPSHOT at most, first (%s)" % (f, snaps[:5]))
check(len(mock.requests()) >= 2, "the exchange saw a re-send (%d requests), so repeated snapshots were sent" % len(mock.requests()))

book = [read_csv(os.path.join(dir_b, f)) for f in files_b if f.startswith("orderbook_KRW-ETH")]
book_rows = book[0] if book else []
check(book_rows and "ask_price_5" in book_rows[0] and "ask_price_6" not in book_rows[0], "orderbook columns flattened to depth 5")
check(book_rows and all(r["ask_price_1"] for r in book_rows), "orderbook rows carry prices")
# Values are written as received: the mock spells some sizes with exponents or trailing zeros.
done()
