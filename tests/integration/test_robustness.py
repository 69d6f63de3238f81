"""What the network sends cannot crash the host: garbage is counted and
skipped; a dropped socket is reconnected and the whole set restored; and a
`kill -9` of the host never leaves a partial CSV line."""
import os
import signal
import time
import urllib.request

from harness import (Host, Mock, check, csv_files, done, probe_lines, request_objects, tmpdir,
                     wait_for, write_config)

work = tmpdir()
mock = Mock(work, "--seed", "11", "--trade-rate", "50")
cfg = os.path.join(work, "upws.yaml")
out = os.path.join(work, "probe.txt")
data = os.path.join(work, "data")
write_config(cfg, mock.url, [
    ("probe", "fx_probe", {"out": out, "types": ["trade", "ticker"], "codes": ["KRW-BTC", "KRW-ETH"]}),
    ("rec", "csv_recorder", {"dir": data, "types": ["trade", "ticker", "orderbook"], "codes": ["KRW-BTC", "KRW-ETH", "KRW-XRP"],
                             "flush_interval_ms": 50}),
])
host = Host(work, cfg)

def ctl(action):
    with urllib.request.urlopen("http://127.0.0.1:%d/ctl/%s" % (mock.port, action), timeout=5) as r:
        return r.status

def events():
    return [l for l in probe_lines(out) if l[0] == "EVENT"]

try:
    check(wait_for(lambda: len(events()) > 20, 10), "events flow")
    union = request_objects(mock.requests()[-1])
    check(ctl("garbage") == 200, "mock sent garbage frames")
    n = len(events())
    check(wait_for(lambda: len(events()) > n + 20, 5), "events keep flowing after garbage")
    check(wait_for(lambda: "malformed frame skipped" in host.log(), 3), "malformed frame counted and logged")
    check(wait_for(lambda: "message larger than" in host.log(), 3), "an oversized message is skipped and logged")
    check(wait_for(lambda: "Upbit error INVALID_PARAM: test" in host.log(), 3), "an error frame is decoded and logged")
    check(host.proc.poll() is None, "host still running after garbage")

    n_open = len(mock.opens())
    check(ctl("drop") == 200, "mock dropped the socket")
    check(wait_for(lambda: len(mock.opens()) > n_open, 10), "host reconnected")
    check(wait_for(lambda: request_objects(mock.requests()[-1]) == union and len(mock.requests()) >= 2, 10),
          "the whole set was restored in one request")
    check(wait_for(lambda: any(l[0] == "STATUS" and l[1] == "3" for l in probe_lines(out)), 5),
          "the plugin was told about the gap")
    n = len(events())
    check(wait_for(lambda: len(events()) > n + 20, 5), "events flow again after the reconnect")
    seqs = [l[5] for l in events() if l[1] == "trade"]
    check(len(seqs) == len(set(seqs)), "no trade delivered twice across garbage and reconnect (%d trades)" % len(seqs))
    time.sleep(0.5)
finally:
    host.proc.send_signal(signal.SIGKILL)
    host.proc.wait()
    host.err.close()
    mock.stop()

bad = []
for f in csv_files(data):
    with open(os.path.join(data, f), "rb") as fh:
        body = fh.read()
    lines = body.split(b"\n")
    ncols = lines[0].count(b",")
    if not body.endswith(b"\n") or any(l.count(b",") != ncols for l in lines[:-1]):
        bad.append(f)
check(csv_files(data) and not bad, "after kill -9 every CSV holds whole lines only (%d files, bad: %s)" % (len(csv_files(data)), bad))
done()
