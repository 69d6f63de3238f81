"""The example plugins against the mock, checked against an independent
record of the same feed: a csv_recorder instance runs alongside and the
test recomputes, from its CSV files, every spread crossing spread_alert
logged and every VWAP line vwap printed."""
import glob
import os
import re

from harness import Host, Mock, check, done, read_csv, tmpdir, wait_for, write_config

work = tmpdir()
data = os.path.join(work, "data")
mock = Mock(work, "--seed", "9", "--trade-rate", "25")
cfg = os.path.join(work, "upws.yaml")
WINDOW_MS = 3000
instances = [
    # Instances stop newest first: the recorder is listed first so it stops
    # last and its record covers everything the examples saw.
    ("rec", "csv_recorder", {"dir": data, "types": ["trade", "orderbook"],
                             "codes": ["KRW-BTC", "KRW-XRP"], "depth": 1, "flush_interval_ms": 100}),
    # Mock spreads are 1 or 2 ticks: 0.1 or 0.2 bp of KRW-BTC, 0.1 or 0.2 KRW on KRW-XRP.
    ("spread-bps", "spread_alert", {"codes": ["KRW-BTC"], "threshold_bps": 0.15}),
    ("spread-abs", "spread_alert", {"codes": ["KRW-XRP"], "threshold": 0.15}),
    ("vwap", "vwap", {"codes": ["KRW-BTC", "KRW-XRP"], "window_ms": WINDOW_MS, "interval_ms": 700}),
    ("bad-threshold", "spread_alert", {"codes": ["KRW-BTC"], "threshold_bps": 1, "threshold": 2}),
    ("bad-window", "vwap", {"codes": ["KRW-BTC"], "window_ms": 10}),
]
write_config(cfg, mock.url, instances)

SPREAD = re.compile(r"\[(spread-\w+)\] (\S+) spread (\S+)(?: bps)? (starts|crossed) (above|below) "
                    r"(\S+)(?: bps)? \(bid (\S+) ask (\S+), ts (\d+)\)")
VWAP = re.compile(r"\[vwap\] (\S+) vwap (\S+) over (\d+) trades, volume (\S+), last (\d+) ms "
                  r"\(after (-?\d+), seq (\d+)\.\.(\d+)\)")


def spread_lines(log, inst):
    return [m.groups()[1:] for m in SPREAD.finditer(log) if m.group(1) == inst]


host = Host(work, cfg)
try:
    check(wait_for(lambda: len(spread_lines(host.log(), "spread-bps")) >= 4
                   and len(spread_lines(host.log(), "spread-abs")) >= 4, 15),
          "spread_alert logs crossings for both threshold kinds")
    check(wait_for(lambda: len(VWAP.findall(host.log())) >= 8, 15), "vwap prints periodically")
    log = host.log()
    check("'bad-threshold'" in log and "set exactly one of 'threshold_bps'" in log,
          "spread_alert refuses two thresholds, naming the keys")
    check("'bad-window'" in log and "config key 'window_ms': an integer in 1000..86400000" in log,
          "vwap refuses a bad window, naming the key and the range")
finally:
    rc = host.stop()
    mock.stop()
check(rc == 0, "clean exit (%s)" % rc)
log = open(host.stderr_path).read()


def csv_rows(kind, code):
    rows = []
    for path in sorted(glob.glob(os.path.join(data, "%s_%s_*.csv" % (kind, code)))):
        rows += read_csv(path)
    return rows


# ---- spread_alert: every line is a real crossing of the recorded books ----
def side(value, threshold):
    return "above" if value > threshold else "below"


def recorded_spread(row, relative):
    bid, ask = float(row["bid_price_1"]), float(row["ask_price_1"])
    spread = ask - bid   # the same operations, in the same order, as the plugin
    return spread / ((ask + bid) / 2) * 10000 if relative else spread


def check_spreads(inst, code, threshold, relative):
    lines = spread_lines(log, inst)
    books = [r for r in csv_rows("orderbook", code) if r["bid_price_1"] and r["ask_price_1"]]
    check(lines and lines[0][2] == "starts" and all(l[2] == "crossed" for l in lines[1:]),
          "%s: one 'starts' line, then crossings (%d lines)" % (inst, len(lines)))
    # Find the book the first line describes, then replay the record from there.
    first = [i for i, r in enumerate(books)
             if (r["bid_price_1"], r["ask_price_1"], r["timestamp"]) == lines[0][5:8]] if lines else []
    if not check(first, "%s: the first book it saw is in the record" % inst):
        return
    expected, state = [], None
    for r in books[first[0]:]:
        s = side(recorded_spread(r, relative), threshold)
        if s != state:
            expected.append(("starts" if state is None else "crossed", s, r["bid_price_1"],
                             r["ask_price_1"], r["timestamp"]))
            state = s
    got = [(l[2], l[3], l[5], l[6], l[7]) for l in lines]
    # The recorder stops last, so the record may hold a few crossings more.
    check(len(got) >= 4 and got == expected[:len(got)],
          "%s: its %d lines are exactly the record's crossings, in order (record has %d)"
          % (inst, len(got), len(expected)))


check_spreads("spread-bps", "KRW-BTC", 0.15, True)
check_spreads("spread-abs", "KRW-XRP", 0.15, False)


# ---- vwap: every printed value is recomputed from the recorded trades -----
def check_vwap_line(code, vwap, n, volume, after, first_seq, last_seq):
    rows = csv_rows("trade", code)
    seqs = [r["sequential_id"] for r in rows]
    if first_seq not in seqs or last_seq not in seqs:
        return "seq %s..%s not in the record" % (first_seq, last_seq)
    window = rows[seqs.index(first_seq):seqs.index(last_seq) + 1]
    window = [r for r in window if int(r["trade_timestamp"]) > int(after)]
    pv = vol = 0.0
    for r in window:   # in arrival order, like the plugin
        pv += float(r["trade_price"]) * float(r["trade_volume"])
        vol += float(r["trade_volume"])
    if len(window) != int(n):
        return "%d trades in the record, %s printed" % (len(window), n)
    if abs(pv / vol - float(vwap)) > 1e-11 * abs(pv / vol) or abs(vol - float(volume)) > 1e-11 * vol:
        return "record gives vwap %.12g volume %.12g, printed %s %s" % (pv / vol, vol, vwap, volume)
    return None


vwaps = VWAP.findall(log)
bad = [(l, why) for l in vwaps for why in [check_vwap_line(l[0], l[1], l[2], l[3], l[5], l[6], l[7])] if why]
check(len(vwaps) >= 8 and not bad, "all %d vwap lines match the record%s"
      % (len(vwaps), "" if not bad else ": %s -> %s" % bad[0]))
check(all(l[4] == str(WINDOW_MS) for l in vwaps), "vwap reports its window")
for code in ("KRW-BTC", "KRW-XRP"):
    check(any(l[0] == code and int(l[2]) >= 10 for l in vwaps), "%s: windows hold many trades" % code)
done()
