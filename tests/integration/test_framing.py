"""WebSocket framing as the host sees it on the wire (RFC 6455), pinned down
before upws's own client replaces the libwebsockets one: a message split in
fragments around a ping arrives whole; server pings are answered; a frame
that breaks the protocol (masked, RSV1, opcode 0x3) fails that socket, which
is replaced and resubscribed; a large message is delivered and one over the
host's 4 MiB limit is skipped and counted while the stream goes on."""
import os
import re
import time

from harness import (Host, Mock, check, check_against_truth, done, http, probe_lines,
                     request_objects, tmpdir, trade_truth, wait_for, write_config)



def events(path):
    return [l for l in probe_lines(path) if l[0] == "EVENT"]


def trade_ids(path, code):
    return [l[5] for l in events(path) if l[1] == "trade" and l[2] == code]


def tickers(path, code):
    return [l for l in events(path) if l[1] == "ticker" and l[2] == code]


def metric(port, name):
    """One public-connection sample of a /metrics counter (None if absent)."""
    status, body = http(port, "/metrics")
    m = re.search(r'^%s\{connection="public"\} (\d+)$' % name, body, re.M) if status == 200 else None
    return int(m.group(1)) if m else None


def new_log_lines(host, since):
    """Lines after offset `since`, without the periodic summary (it always
    says "frames") and the JSON layer's own "malformed frame" notes."""
    return [l for l in host.log()[since:].splitlines()
            if "summary:" not in l and "malformed frame skipped" not in l]


def closed(mock, conn_id):
    return any(r.get("conn") == conn_id for r in mock.events("close"))


def subscribed(mock):
    """The newest socket has sent its subscription."""
    o, q = mock.opens(), mock.requests()
    return o and q and q[-1]["conn"] == o[-1]["conn"]


def flows(path, more, timeout=5):
    n = len(events(path))
    return wait_for(lambda: len(events(path)) >= n + more, timeout)


# --- 1. fragments, server pings, protocol errors (one exchange, one host) ----
work = tmpdir()
truth_log = os.path.join(work, "trades.txt")
mock = Mock(work, "--seed", "21", "--trade-rate", "30", "--trade-log", truth_log)
cfg = os.path.join(work, "upws.yaml")
out = os.path.join(work, "probe.txt")
CODES = ["KRW-BTC", "KRW-ETH"]
write_config(cfg, mock.url, [("probe", "fx_probe", {"out": out, "types": ["trade"], "codes": CODES})])
host = Host(work, cfg)
try:
    check(wait_for(lambda: len(events(out)) > 20, 10), "trades flow")
    union = request_objects(mock.requests()[-1])
    opens = len(mock.opens())

    # a. Each of the next 50 data messages comes as BINARY FIN=0, PING "frag",
    # CONTINUATION FIN=0, CONTINUATION FIN=1. Whole and parseable means: no
    # trade missing or twice against the exchange's own log, nothing skipped
    # as malformed, the socket never replaced.
    log_at = len(host.log())
    r = mock.ctl_json("fragment?n=50")
    check(r["sockets"] == 1, "fragmenting on the one public socket (%s)" % r)
    check(wait_for(lambda: mock.stats()["fragmented"] >= 50, 5), "the mock sent 50 fragmented messages")
    check(flows(out, 20), "trades keep flowing after the fragmented ones")
    st = mock.stats()
    check(st["fragmented"] == 50, "exactly 50 fragmented (%d)" % st["fragmented"])
    # RFC 6455 §5.5.3: a client may answer only the latest of pings it has
    # not answered yet, so at least one pong, at most one per ping.
    check(1 <= st["frag_pongs"] <= 50, "the pings between fragments were answered (%d pongs for 50 pings)"
          % st["frag_pongs"])
    check(st["other_pongs"] == 0, "every pong echoed a ping's payload (%d others)" % st["other_pongs"])
    check(len(mock.opens()) == opens, "the socket was kept across fragmented messages (%d opens)" % len(mock.opens()))
    bad = [l for l in host.log()[log_at:].splitlines() if "malformed" in l or "larger than" in l]
    check(not bad, "no fragmented message was skipped or malformed: %s" % bad[:2])
    truth = trade_truth(truth_log)
    for code in CODES:
        check_against_truth("probe %s across 50 fragmented messages" % code, trade_ids(out, code),
                            truth.get(code, []))

    # b. A server ping on every socket: each answered with the same payload.
    before = mock.stats()["pongs"]
    r = mock.ctl_json("server-ping")
    check(r["sockets"] >= 1, "the mock pinged %d socket(s)" % r["sockets"])
    check(wait_for(lambda: mock.stats()["pongs"] - before == r["sockets"], 2),
          "one pong per socket within 2 s (%d for %d)" % (mock.stats()["pongs"] - before, r["sockets"]))

    # c. A frame no server may send: the client must fail that socket
    # (§5.1 masked, §5.2 RSV without an extension and reserved opcodes), and
    # upws must replace it with the same subscription as if it had dropped.
    for mode in ("masked", "rsv", "opcode"):
        log_at = len(host.log())
        opens = len(mock.opens())
        reqs = len(mock.requests())
        r = mock.ctl_json("bad-frame?mode=" + mode)
        sent = [f for f in mock.events("fault") if f["kind"] == "bad-frame" and f["detail"] == mode]
        victim = sent[-1]["conn"] if sent else None
        check(r["sockets"] == 1 and victim, "%s: the mock sent the bad frame" % mode)
        check(wait_for(lambda: closed(mock, victim), 5), "%s: upws closed the socket that carried it" % mode)
        check(wait_for(lambda: len(mock.opens()) > opens, 5), "%s: upws reconnected" % mode)
        check(wait_for(lambda: len(mock.requests()) > reqs and request_objects(mock.requests()[-1]) == union, 5),
              "%s: the same subscription was sent again" % mode)
        check(flows(out, 10), "%s: data flows again" % mode)
        check(host.proc.poll() is None, "%s: upws still running" % mode)
        if closed(mock, victim):   # RFC 6455 §7.4.1 suggests 1002; not required
            codes = [p["code"] for p in mock.events("peer_close") if p.get("conn") == victim]
            print("%s: close code sent by upws: %s" % (mode, codes or "none (socket just closed)"))
        # The operator must see why the socket was failed.
        said = [l for l in new_log_lines(host, log_at) if re.search(r"protocol error", l, re.I)]
        check(said, "%s: upws logged the protocol error: %s" % (mode, said[:1]))
        time.sleep(0.3)
finally:
    rc = host.stop()
    mock.stop()
check(rc == 0, "host exits 0 (%s)" % rc)

# --- 2. one large message, one over the 4 MiB limit ---------------------------
# A quiet market (no trades): after the snapshots every ticker the probe gets
# is one /ctl/big sent, so each can be told apart without marking it.
work = tmpdir()
mock = Mock(work, "--seed", "22", "--trade-rate", "0")
cfg = os.path.join(work, "upws.yaml")
out = os.path.join(work, "probe.txt")
write_config(cfg, mock.url, [("probe", "fx_probe", {"out": out, "types": ["ticker", "trade"], "codes": ["KRW-BTC"]})])
host = Host(work, cfg)
try:
    admin = host.admin_port()
    check(wait_for(lambda: tickers(out, "KRW-BTC"), 10), "the ticker snapshot arrives")
    time.sleep(0.3)
    n = len(tickers(out, "KRW-BTC"))
    rx_bytes = metric(admin, "upws_received_bytes_total")
    r = mock.ctl_json("big?kb=300")
    check(r["sockets"] == 1 and r["bytes"] >= 300 * 1024, "the mock sent a %d-byte ticker" % r["bytes"])
    check(wait_for(lambda: len(tickers(out, "KRW-BTC")) == n + 1, 5), "the 300 KiB ticker reached the plugin")
    got = tickers(out, "KRW-BTC")[-1]
    check(got[3] == "REALTIME", "delivered as a realtime ticker (%s)" % got[3])
    grew = (metric(admin, "upws_received_bytes_total") or 0) - (rx_bytes or 0)
    check(grew >= r["bytes"], "the host counted the whole message (%d bytes more)" % grew)
    mock.ctl("big?kb=1")
    check(wait_for(lambda: len(tickers(out, "KRW-BTC")) == n + 2, 5), "the stream goes on after it")

    oversized = metric(admin, "upws_oversized_messages_total")
    opens = len(mock.opens())
    n = len(tickers(out, "KRW-BTC"))
    r = mock.ctl_json("big?kb=5000")
    check(r["bytes"] > 4 << 20, "the mock sent a %d-byte ticker (over 4 MiB)" % r["bytes"])
    check(wait_for(lambda: metric(admin, "upws_oversized_messages_total") == (oversized or 0) + 1, 10),
          "upws skipped it and counted it (upws_oversized_messages_total %s)"
          % metric(admin, "upws_oversized_messages_total"))
    time.sleep(0.3)
    check(len(tickers(out, "KRW-BTC")) == n, "the oversized ticker was not delivered")
    wait_for(lambda: subscribed(mock), 5)   # in case the client chose to replace the socket
    n = len(tickers(out, "KRW-BTC"))
    mock.ctl("big?kb=2")
    check(wait_for(lambda: len(tickers(out, "KRW-BTC")) > n, 10), "data flows after the oversized message")
    print("oversized: %s" % ("socket kept" if len(mock.opens()) == opens else "socket replaced"))
    check(host.proc.poll() is None, "upws still running")
    check(mock.stats()["big"] == 4, "the mock counted 4 big messages (%d)" % mock.stats()["big"])
finally:
    rc = host.stop()
    mock.stop()
check(rc == 0, "host exits 0 (%s)" % rc)
done()
