"""chart_feeder in a real browser: Debian's chromium (headless, driven by
chart_browser.js through playwright-core) against the real host, the real
plugin and the mock exchange. The page loads, shows candles, its last candle
closes at the last trade price the exchange sent (cross-checked against a
csv_recorder in the same host), follows new trades within a second, switches
code and interval without reload, serves several viewers and a stalled one,
shows the feed state (reconnecting, gap), and reconnects by itself after a
host restart. Saves a screenshot (chart.png) in the build folder."""
import base64
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from harness import (BIN, Host, Mock, check, csv_files, done, read_csv, tmpdir, wait_for,
                     write_config)

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("UPWS_SOURCE") or os.path.normpath(os.path.join(HERE, "..", ".."))
WEB = os.path.join(SOURCE, "plugins", "chart_feeder", "web")
BUILD = os.environ.get("UPWS_BUILD") or os.path.dirname(os.path.abspath(BIN))
SHOT = os.path.join(BUILD, "chart.png")
CHROMIUM = "/usr/bin/chromium"
T_START = time.monotonic()


def preflight():
    """Missing tools fail here, at once and with the fix, never as a hang."""
    missing = []
    if not os.path.isdir(os.path.join(WEB, "node_modules", "playwright-core")) or not os.path.isfile(
            os.path.join(WEB, "node_modules", "lightweight-charts", "dist",
                         "lightweight-charts.standalone.production.js")):
        missing.append("npm packages in %s/node_modules (run plugins/chart_feeder/web/install.sh; "
                       "it needs the npm registry)" % WEB)
    if not os.access(CHROMIUM, os.X_OK):
        missing.append("%s (apt-get install chromium)" % CHROMIUM)
    if subprocess.run(["node", "--version"], capture_output=True).returncode != 0:
        missing.append("node (apt-get install nodejs)")
    for m in missing:
        check(False, "browser test prerequisite present: " + m)
    if missing:
        done()


class Browser:
    """chart_browser.js over pipes; every call has a deadline."""

    def __init__(self):
        self.proc = subprocess.Popen(["node", os.path.join(HERE, "chart_browser.js"), WEB],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.page_errors = []

    def call(self, timeout=15, **cmd):
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            return {"ok": False, "error": "no answer from chart_browser.js within %ss" % timeout}
        reply = json.loads(line)
        self.page_errors += reply.get("errors", [])
        return reply

    def wait(self, expr, timeout_ms):
        return self.call(timeout=timeout_ms / 1000 + 5, cmd="wait", expr=expr, ms=timeout_ms)

    def state(self):
        return self.call(cmd="state").get("state") or {}

    def close(self):
        if self.proc.poll() is None:
            try:
                self.call(timeout=10, cmd="quit")
                self.proc.wait(10)
            except (OSError, subprocess.TimeoutExpired, ValueError):
                self.proc.kill()
                self.proc.wait()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url):
    try:
        with urllib.request.urlopen(url, timeout=3) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, b""
    except OSError:
        return 0, b""


def stalled_viewer(port, code, interval, n_requests):
    """A WebSocket viewer that subscribes over and over and never reads: the
    plugin must keep only the newest state for it, not a queue."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(3)
    s.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
               "Sec-WebSocket-Protocol: upws-chart\r\n\r\n" % (port, key)).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(1)
        if not chunk:
            break
        head += chunk
    payload = json.dumps({"subscribe": {"code": code, "interval": interval}}).encode()
    mask = os.urandom(4)
    frame = bytes([0x81, 0x80 | len(payload)]) + mask + bytes(
        b ^ mask[i % 4] for i, b in enumerate(payload))
    s.sendall(frame * n_requests)
    return s, head.startswith(b"HTTP/1.1 101")


def drain(sock, seconds):
    """Everything the server sent to sock within `seconds`."""
    data = b""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        ready, _, _ = select.select([sock], [], [], max(0.0, end - time.monotonic()))
        if not ready:
            break
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def rss_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def trade_rows(d, code):
    rows = []
    for f in csv_files(d):
        if f.startswith("trade_%s_" % code):
            rows += read_csv(os.path.join(d, f))
    return rows


def truth_ids(path, code):
    try:
        with open(path) as f:
            return [l.split()[1] for l in f if l.startswith(code + " ")]
    except OSError:
        return []


def start_mock_on(work, port, trade_log):
    """A second mock on the same port (the harness's Mock always picks a new one)."""
    out = open(os.path.join(work, "mock2.stderr"), "w")
    proc = subprocess.Popen([os.environ["UPWS_MOCK"], "--port", str(port), "--seed", "12",
                             "--trade-rate", "8", "--trade-log", trade_log,
                             "--log", os.path.join(work, "mock2.jsonl")],
                            stdout=subprocess.PIPE, stderr=out, text=True)
    proc.stdout.readline()
    return proc, out


preflight()
work = tmpdir()
truth_log = os.path.join(work, "trades.txt")
csv_dir = os.path.join(work, "csv")
mock = Mock(work, "--seed", "11", "--trade-rate", "8", "--trade-log", truth_log)
mock_port = mock.port
port = free_port()
base = "http://127.0.0.1:%d/" % port
cfg = os.path.join(work, "upws.yaml")
chart = ("chart", "chart_feeder", {"codes": ["KRW-BTC", "KRW-ETH"], "intervals": ["1s", "1m", "5m"],
                                   "history": 300, "listen": "127.0.0.1:%d" % port})
outside = ("chart-outside", "chart_feeder", {"codes": ["KRW-BTC"], "listen": "0.0.0.0:%d" % free_port()})
rec = ("rec", "csv_recorder", {"dir": csv_dir, "types": ["trade"], "codes": ["KRW-BTC", "KRW-ETH"],
                               "flush_interval_ms": 10})
write_config(cfg, mock.url, [chart, outside, rec])
host = Host(work, cfg)
browser = None
mock2 = None
stalled = None

try:
    check(wait_for(lambda: http_get(base)[0] == 200, 10), "the chart page is served on %s" % base)
    status, body = http_get(base + "vendor/lightweight-charts.standalone.production.js")
    check(status == 200 and b"Lightweight Charts" in body[:400], "the charting library is served")
    status, body = http_get(base + "vendor/lightweight-charts/LICENSE")
    check(status == 200 and b"Apache License" in body, "its license is reachable")
    check(http_get(base + "../../etc/passwd")[0] == 404 and http_get(base + "package.json")[0] == 404,
          "nothing outside the page's file list is served")
    check(wait_for(lambda: "not an IPv4 loopback address" in host.log(), 5),
          "a non-loopback 'listen' is refused")

    browser = Browser()
    r = browser.call(cmd="open", url=base + "#KRW-BTC/1s")
    check(r.get("ok"), "chromium loads the page (%s)" % r.get("error", "ok"))
    r = browser.wait("window.chartState && chartState.socket === 'open' && chartState.histories > 0"
                     " && chartState.candles >= 3 && chartState.last", 12000)
    st = r.get("state") or {}
    check(r.get("ok"), "the chart shows candles (%s candles of %s %s)" %
          (st.get("candles"), st.get("code"), st.get("interval")))
    check(st.get("conn") == "live", "the page shows the feed as live (%s)" % st.get("conn"))
    check(st.get("codes") == ["KRW-BTC", "KRW-ETH"] and st.get("intervals") == ["1s", "1m", "5m"],
          "the page lists the configured codes and intervals")

    # Trade to screen within a second, with a stalled viewer hammering the server.
    rss_before = rss_kib(host.proc.pid)
    N_STALLED = 2000
    stalled, upgraded = stalled_viewer(port, "KRW-BTC", "1s", N_STALLED)
    check(upgraded, "a raw WebSocket viewer is accepted")
    browser.wait("(chartState.lags = [], true)", 1000)
    r = browser.wait("chartState.lags.length >= 12", 8000)
    lags = (r.get("state") or {}).get("lags") or []
    check(r.get("ok") and lags and max(lags) < 1000,
          "each new trade is on the chart within a second (max %s ms over %d trades)" %
          (max(lags) if lags else "-", len(lags)))
    rss_after = rss_kib(host.proc.pid)
    check(rss_after - rss_before < 64 * 1024,
          "a viewer that never reads costs no growing queue (RSS %+d KiB)" % (rss_after - rss_before))
    histories = drain(stalled, 1.0).count(b'"type":"history"')
    check(1 <= histories < N_STALLED // 2,
          "the stalled viewer got the newest state, not a backlog (%d histories for %d requests)" %
          (histories, N_STALLED))

    # The chart's last candle against what the recorder in the same host wrote.
    st = browser.state()
    seq = (st.get("lastTrade") or {}).get("seq")
    row = wait_for(lambda: next((x for x in trade_rows(csv_dir, "KRW-BTC") if x["sequential_id"] == seq), None), 3)
    check(row is not None and float(row["trade_price"]) == st["last"]["close"],
          "the last candle closes at the recorded price of the last trade (%s vs %s)" %
          (st.get("last", {}).get("close"), row and row["trade_price"]))

    # Several viewers at once; closing them disturbs nobody.
    r = browser.call(timeout=30, cmd="extra", url=base + "#KRW-ETH/1m", n=3, ms=12000)
    states = r.get("states") or []
    check(r.get("ok") and len(states) == 3 and all(s["code"] == "KRW-ETH" and s["candles"] >= 1 for s in states),
          "three more viewers get their own chart (%s)" % r.get("error", "ok"))
    n_upd = browser.state().get("updates", 0)
    r = browser.wait("chartState.updates > %d" % (n_upd + 3), 5000)
    check(r.get("ok"), "the first viewer keeps updating after the others left")

    # Switching code and interval, without reload.
    hellos = browser.state().get("hellos")
    browser.call(cmd="select", id="code", value="KRW-ETH")
    r = browser.wait("chartState.code === 'KRW-ETH' && chartState.candles >= 1 && chartState.lastTrade"
                     " && chartState.last && chartState.last.close === chartState.lastTrade.price", 8000)
    st = r.get("state") or {}
    row = wait_for(lambda: next((x for x in trade_rows(csv_dir, "KRW-ETH")
                                 if x["sequential_id"] == (st.get("lastTrade") or {}).get("seq")), None), 3)
    check(r.get("ok") and row is not None and float(row["trade_price"]) == st["last"]["close"],
          "switching to KRW-ETH shows its candles (close %s, recorded %s)" %
          ((st.get("last") or {}).get("close"), row and row["trade_price"]))
    browser.call(cmd="select", id="interval", value="1m")
    r = browser.wait("chartState.interval === '1m' && chartState.candles >= 1 && chartState.last"
                     " && chartState.last.time % 60 === 0", 8000)
    check(r.get("ok"), "switching to 1m shows minute candles on UTC minute boundaries")
    check(browser.state().get("hellos") == hellos, "switching did not reload the page")

    browser.call(cmd="select", id="code", value="KRW-BTC")
    browser.call(cmd="select", id="interval", value="1s")
    # Enough 1 s candles for the screenshot to show a chart worth reviewing.
    r = browser.wait("chartState.code === 'KRW-BTC' && chartState.interval === '1s' && chartState.candles >= 20", 25000)
    check(r.get("ok"), "switching back to KRW-BTC 1s keeps the candles made meanwhile")
    shot = browser.call(cmd="screenshot", path=SHOT)
    check(shot.get("ok") and os.path.getsize(SHOT) > 5000, "screenshot saved: %s" % SHOT)

    # The exchange goes away: the badge says so, and the last candle holds
    # exactly the last trade the exchange sent for the code.
    mock.stop()
    r = browser.wait("chartState.conn === 'reconnecting'", 8000)
    check(r.get("ok"), "the page shows 'reconnecting' when the host loses the exchange")
    badge = browser.call(cmd="text", selector="#badge").get("text")
    check(badge == "reconnecting", "the badge reads '%s'" % badge)
    truth = truth_ids(truth_log, "KRW-BTC")
    rows = trade_rows(csv_dir, "KRW-BTC")
    st = browser.state()
    sent = rows[-1] if rows else None
    # A trade the mock made in its last tick may never have been sent.
    sent_is_last = sent is not None and truth and sent["sequential_id"] in truth[-2:]
    check(sent_is_last, "the recorder holds the exchange's last KRW-BTC trade (%s vs log %s)" %
          (sent and sent["sequential_id"], truth[-2:]))
    check(sent is not None and (st.get("lastTrade") or {}).get("seq") == sent["sequential_id"] and
          st["last"]["close"] == float(sent["trade_price"]),
          "the last candle's close is the last KRW-BTC trade price the exchange sent (%s = %s)" %
          ((st.get("last") or {}).get("close"), sent and sent["trade_price"]))

    # The exchange is back: the host reports the gap, the page shows it.
    mock2, mock2_out = start_mock_on(work, mock_port, os.path.join(work, "trades2.txt"))
    r = browser.wait("chartState.conn === 'gap' && chartState.gap && chartState.gap.until > chartState.gap.since", 10000)
    check(r.get("ok"), "after the reconnect the page shows the gap")
    text = browser.call(cmd="text", selector="#badge").get("text") or ""
    check(text.startswith("gap "), "the badge reads '%s'" % text)

    # Host restart: the page reconnects on its own and shows candles again.
    hellos = browser.state().get("hellos", 0)
    check(host.stop() == 0, "the host stops cleanly with pages connected")
    r = browser.wait("chartState.socket === 'offline'", 5000)
    check(r.get("ok"), "the page notices the host is gone")
    host = Host(work, cfg)
    r = browser.wait("chartState.hellos > %d && chartState.socket === 'open' && chartState.candles >= 1"
                     " && chartState.code === 'KRW-BTC' && chartState.interval === '1s'" % hellos, 15000)
    check(r.get("ok"), "the page reconnects by itself after a host restart and keeps its selection")
finally:
    if browser:
        browser.close()
    if stalled:
        stalled.close()
    rc = host.stop()
    mock.stop()
    if mock2:
        mock2.send_signal(signal.SIGTERM)
        mock2.wait(10)
        mock2_out.close()

check(rc == 0, "upws exits 0 (got %s)" % rc)
log = host.log()
check("[chart] stopped:" in log, "the plugin logged its stop")
check(not [l for l in log.splitlines() if " error " in l and "[chart]" in l],
      "the plugin logged no error in the second run")
if browser:
    errs = [e for e in browser.page_errors if "favicon" not in e]
    check(not [e for e in errs if "pageerror" in e], "no script error in the page (%s)" % errs[:3])
print("elapsed %.1f s" % (time.monotonic() - T_START))
done()
