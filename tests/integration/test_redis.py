"""redis_publisher against a real redis-server (started here on a free
loopback port, stopped at the end): every trade once and in order against
the exchange's own trade log, exact values, gap markers after an exchange
disconnect, Redis killed and restarted mid-stream (recovery, drops counted
and marked, the host's csv_recorder unaffected), a consumer group that sees
every entry once, MAXLEN trimming, IDs that continue above an earlier run's,
the snapshot trade not repeated after a restart of upws, and config errors
refused in init."""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from harness import (Host, Mock, check, csv_files, done, read_csv, tmpdir, wait_for,
                     write_config)

REDIS_SERVER = shutil.which("redis-server")
if not REDIS_SERVER:
    print("FAIL - redis-server not found (Debian package redis-server; see .ci/install-deps.sh)")
    sys.exit(1)

PASSWORD = "s3cret:p@ss"  # ':' and '@' on purpose: the URL parser must cope
CODES = ["KRW-BTC", "KRW-ETH", "KRW-XRP"]
KEY = "test:{{upbit}}:{type}:{code}"  # '{{' '}}' are literal braces (a cluster hash tag)


def require(cond, what):
    """A check the rest of the test depends on: on failure stop here (the
    finally clauses still stop every process) instead of waiting out every
    later deadline."""
    if not check(cond, what):
        done()


def key(type_, code):
    return "test:{upbit}:%s:%s" % (type_, code)


# ---- a tiny RESP2 client (no pip packages here) ------------------------------

class RespError(Exception):
    pass


class Resp:
    def __init__(self, port, password=PASSWORD, db=2):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.f = self.sock.makefile("rb")
        if password:
            self.cmd("AUTH", password)
        self.cmd("SELECT", db)

    def close(self):
        self.f.close()
        self.sock.close()

    def cmd(self, *args):
        parts = [a if isinstance(a, bytes) else str(a).encode() for a in args]
        out = b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)
        self.sock.sendall(out)
        return self.read()

    def read(self):
        line = self.f.readline()
        if not line:
            raise ConnectionError("redis closed the connection")
        t, rest = line[:1], line[1:-2]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            raise RespError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self.f.read(n + 2)[:-2].decode()
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise ConnectionError("bad RESP line %r" % line)


def redis(port, *args):
    """One command on a fresh connection; None when Redis is unreachable."""
    try:
        c = Resp(port)
    except OSError:
        return None
    try:
        return c.cmd(*args)
    finally:
        c.close()


def entries(port, k):
    """XRANGE as [(id, {field: value})]."""
    rows = redis(port, "XRANGE", k, "-", "+") or []
    return [(i, dict(zip(f[0::2], f[1::2]))) for i, f in rows]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class RedisServer:
    """redis-server in a temp dir with an append-only file (fsync always), so
    a kill -9 loses nothing Redis acknowledged and the whole run can be
    checked across the restart."""

    def __init__(self, workdir):
        self.dir = os.path.join(workdir, "redis")
        os.makedirs(self.dir)
        self.port = free_port()
        self.proc = None
        self.log = open(os.path.join(self.dir, "redis.log"), "a")

    def start(self):
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--dir", self.dir,
             "--daemonize", "no", "--requirepass", PASSWORD, "--stream-node-max-entries", "10"],
            stdout=self.log, stderr=self.log)
        return wait_for(lambda: redis(self.port, "PING") == "PONG", 10)

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(5)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


def truth_trades(path):
    t = {}
    with open(path) as f:
        for line in f:
            code, sid = line.split()
            t.setdefault(code, []).append(sid)
    return t


def csv_trades(data, code):
    """csv_recorder's trade rows of a code (its gap rows carry no sequential_id)."""
    return [r for f in csv_files(data) if f.startswith("trade_%s_" % code)
            for r in read_csv(os.path.join(data, f)) if r["sequential_id"]]


def stop_line(log, name):
    m = re.findall(r"\[%s\] stopped: (.*)" % re.escape(name), log)
    return dict(kv.split("=") for kv in m[-1].split()) if m else {}


# ---- config errors are refused in init, with the key named ---------------------

def config_errors(work, rs, mock):
    d = os.path.join(work, "cfgerr")
    os.makedirs(d)
    cfg = os.path.join(d, "upws.yaml")
    base = {"types": ["trade"], "codes": ["KRW-BTC"]}
    bad = [
        ("bad-url", dict(base, url="http://127.0.0.1:1/0"), "config key 'url': must start with redis://"),
        ("bad-port", dict(base, url="redis://127.0.0.1:99999/0"), "config key 'url': the port must be"),
        ("no-pass", dict(base, url="redis://:${UPWS_TEST_UNSET_VAR}@127.0.0.1:1/0"), "the password after ':' is empty"),
        ("bad-maxlen", dict(base, maxlen=-1), "config key 'maxlen': -1 is outside"),
        ("bad-buffer", dict(base, buffer=0), "config key 'buffer': 0 is outside"),
        ("bad-batch", dict(base, batch="many"), "config key 'batch': must be an integer"),
        ("bad-depth", dict(base, depth=7), "config key 'depth': 7 is not one of"),
        ("bad-type", dict(base, types=["trade", "trades"]), "config key 'types': unknown type 'trades'"),
        ("bad-code", dict(base, codes=["krw-btc"]), "config key 'codes': 'krw-btc' is not"),
        ("bad-pattern", dict(base, key_pattern="x:{nope}"), "config key 'key_pattern': unexpected '{'"),
        ("same-key", dict(base, types=["trade", "ticker"], key_pattern="x:{code}"), "must contain {type}"),
    ]
    wrong_pw = ("wrong-pw", dict(base, url="redis://:not-the-password@127.0.0.1:%d/2" % rs.port))
    write_config(cfg, mock.url, [(n, "redis_publisher", c) for n, c, _ in bad] +
                 [(wrong_pw[0], "redis_publisher", wrong_pw[1])])
    host = Host(d, cfg)
    try:
        wait_for(lambda: host.log().count("init() refused") >= len(bad) and "AUTH refused" in host.log(), 10)
    finally:
        rc = host.stop()
    log = host.log()
    for name, _, msg in bad:
        lines = [l for l in log.splitlines() if "[%s]" % name in l]
        check(any(msg in l for l in lines), "%s: refused with %r" % (name, msg))
        check("plugin instance '%s': init() refused" % name in log, "%s: the instance did not start" % name)
    check(re.search(r"\[wrong-pw\] .*AUTH refused: (WRONGPASS|ERR)", log), "a wrong password is reported (AUTH refused)")
    check("not-the-password" not in log and PASSWORD not in log, "no password ever appears in the log")
    check(rc == 0, "the host with refused instances still stops cleanly (rc %s)" % rc)


# ---- a restart of upws does not repeat the snapshot trade --------------------------

def restart_dedupe(work, rs):
    """With no trading, Upbit (the mock) answers every subscription with the
    same last trade as its SNAPSHOT. A second run of upws must recognise it
    in the stream and not write it again."""
    d = os.path.join(work, "restart")
    os.makedirs(d)
    mock = Mock(d, "--seed", "9", "--trade-rate", "0")
    cfg = os.path.join(d, "upws.yaml")
    url = "redis://:${UPWS_TEST_REDIS_PASSWORD}@127.0.0.1:%d/2" % rs.port
    codes = ["KRW-BTC", "KRW-ETH"]
    logs = []
    try:
        for run in (1, 2):
            csv_dir = os.path.join(d, "csv%d" % run)
            write_config(cfg, mock.url, [
                ("pub", "redis_publisher", {"url": url, "types": ["trade"], "codes": codes, "key_pattern": "restart:{code}"}),
                ("probe", "csv_recorder", {"dir": csv_dir, "types": ["trade"], "codes": codes, "flush_interval_ms": 20}),
            ])
            host = Host(d, cfg)
            try:
                require(wait_for(lambda: all(csv_trades(csv_dir, c) for c in codes), 10), "restart run %d: the snapshot trades arrived" % run)
            finally:
                rc = host.stop()
            check(rc == 0, "restart run %d: upws exits 0" % run)
            logs.append(stop_line(host.log(), "pub"))
    finally:
        mock.stop()
    for c in codes:
        rows = entries(rs.port, "restart:" + c)
        check(len(rows) == 1 and rows[0][1]["stream_type"] == "SNAPSHOT",
              "%s: the repeated snapshot trade is in the stream once after a restart of upws (%d entries)" % (c, len(rows)))
    check(logs[0].get("published") == "2" and logs[1].get("published") == "0" and logs[1].get("dup_trades") == "2",
          "the second run recognised both repeated trades: %s / %s" % (logs[0], logs[1]))


# ---- the main run ---------------------------------------------------------------

def ctl(mock, action):
    with urllib.request.urlopen("http://127.0.0.1:%d/ctl/%s" % (mock.port, action), timeout=5) as r:
        return r.status


def trade_count(port, code):
    return len([1 for _, f in entries(port, key("trade", code)) if f.get("type") == "trade"])


def markers(port, k, reason=None):
    return [f for _, f in entries(port, k) if f.get("type") == "gap" and (reason is None or f["reason"] == reason)]


def check_trades_vs_truth(port, code, truth):
    """Every pair of consecutive trade entries: in exchange order, and the
    trades the exchange made between them are exactly those counted by the
    drop markers between them (or an exchange disconnect lies between)."""
    rows = entries(port, key("trade", code))
    t = truth.get(code, [])
    index = {sid: i for i, sid in enumerate(t)}
    sids = [f["sequential_id"] for _, f in rows if f.get("type") == "trade"]
    check(len(sids) > 30, "%s: trades published (%d)" % (code, len(sids)))
    check(len(sids) == len(set(sids)), "%s: no trade published twice (%d entries)" % (code, len(sids)))
    check(all(s in index for s in sids), "%s: every published trade is in the exchange's trade log" % code)
    bad, prev, between, accounted, disconnected = [], None, [], 0, 0
    for _, f in rows:
        if f.get("type") == "gap":
            between.append(f)
            continue
        if f.get("type") != "trade":
            continue
        i = index.get(f["sequential_id"])
        if prev is not None and i is not None:
            missing = i - prev - 1
            dropped = sum(int(m.get("dropped", 0)) for m in between if m["reason"] == "dropped")
            cut = any(m["reason"] == "disconnected" for m in between)
            disconnected += cut
            accounted += dropped
            if i <= prev or (missing != dropped and not cut):
                bad.append((prev, i, missing, dropped, [m["reason"] for m in between]))
        prev, between = i, []
    check(not bad, "%s: XRANGE order == exchange order, and every trade missing between two entries is counted by a drop marker there (%s)" % (code, bad[:3]))
    return sids, accounted


def check_values(port, code, csv_rows):
    """The entries carry the csv_recorder's columns with the same wire text."""
    by_sid = {r["sequential_id"]: r for r in csv_rows}
    rows = [(i, f) for i, f in entries(port, key("trade", code)) if f.get("type") == "trade"]
    common = [(i, f) for i, f in rows if f["sequential_id"] in by_sid]
    check(len(common) > 20, "%s: trades in both Redis and the CSV (%d)" % (code, len(common)))
    diff = []
    for i, f in common:
        r = by_sid[f["sequential_id"]]
        want = {k: v for k, v in r.items() if v != ""}
        got = {k: v for k, v in f.items() if k != "recv_time"}
        if want != got:
            diff.append((f["sequential_id"], set(want.items()) ^ set(got.items())))
    check(not diff, "%s: every field equals the CSV cell (exact wire text) (%s)" % (code, diff[:2]))
    check(all(re.fullmatch(r"\d{19}", f["recv_time"]) for _, f in rows), "%s: recv_time is ns since the epoch" % code)
    # Entry IDs: <trade_timestamp>-<n>, raised to the previous ID when the
    # time did not move forward (markers, and a stream an earlier run left
    # with a later ID).
    wrong, prev = [], 0
    for i, f in entries(port, key("trade", code)):
        ms = int(i.split("-")[0])
        if f.get("type") == "trade" and ms != max(int(f["trade_timestamp"]), prev):
            wrong.append((i, f["trade_timestamp"]))
        prev = ms
    check(not wrong, "%s: entry ID = <max(trade_timestamp, previous ID)>-<n> (%s)" % (code, wrong[:3]))


def consumer_group(port, k, mid_acked):
    """Two consumers of group g read the rest; with the entries c1 acked
    mid-run, the group saw every entry exactly once."""
    c = Resp(port)
    seen = list(mid_acked)
    try:
        for _ in range(1000):
            got = 0
            for consumer in ("c1", "c2"):
                r = c.cmd("XREADGROUP", "GROUP", "g", consumer, "COUNT", 25, "STREAMS", k, ">")
                for _, msgs in r or []:
                    for i, _ in msgs:
                        seen.append(i)
                        c.cmd("XACK", k, "g", i)
                        got += 1
            if not got:
                break
        pending = c.cmd("XPENDING", k, "g")[0]
    finally:
        c.close()
    all_ids = [i for i, _ in entries(port, k)]
    check(len(seen) == len(set(seen)), "consumer group: no entry delivered twice (%d deliveries)" % len(seen))
    check(sorted(seen) == sorted(all_ids), "consumer group: every entry delivered (%d of %d)" % (len(set(seen)), len(all_ids)))
    check(pending == 0, "consumer group: nothing pending after XACK (%s)" % pending)


def main():
    work = tmpdir()
    rs = RedisServer(work)
    try:
        run(work, rs)
    finally:
        rs.stop()
    done()


def run(work, rs):
    truth_log = os.path.join(work, "trades.txt")
    mock = host = None
    try:
        require(rs.start(), "redis-server started on 127.0.0.1:%d" % rs.port)
        mock = Mock(work, "--seed", "5", "--trade-rate", "30", "--trade-log", truth_log)
        config_errors(work, rs, mock)

        # A consumer group that exists before the first entry (MKSTREAM).
        gk = key("trade", "KRW-BTC")
        check(redis(rs.port, "XGROUP", "CREATE", gk, "g", "0", "MKSTREAM") == "OK", "consumer group created")
        # A stream an earlier run left with an ID 2 s ahead: new IDs must
        # continue above it instead of being refused.
        ahead = "%d-7" % (int(time.time() * 1000) + 2000)
        check(redis(rs.port, "XADD", key("trade", "KRW-XRP"), ahead, "type", "note") == ahead, "a stream with a later top ID exists")

        os.environ["UPWS_TEST_REDIS_PASSWORD"] = PASSWORD  # the config reads it as ${...}
        restart_dedupe(work, rs)
        url = "redis://:${UPWS_TEST_REDIS_PASSWORD}@127.0.0.1:%d/2" % rs.port
        data = os.path.join(work, "csv")
        cfg = os.path.join(work, "upws.yaml")
        write_config(cfg, mock.url, [
            ("pub", "redis_publisher", {"url": url, "types": ["trade", "orderbook"], "codes": CODES,
                                        "depth": 5, "key_pattern": '"%s"' % KEY, "buffer": 40, "batch": 16}),
            ("small", "redis_publisher", {"url": url, "types": ["orderbook"], "codes": ["KRW-BTC"],
                                          "depth": 1, "key_pattern": "small:{code}", "maxlen": 20}),
            ("rec", "csv_recorder", {"dir": data, "types": ["trade"], "codes": CODES, "flush_interval_ms": 50}),
        ])
        host = Host(work, cfg)
        require(wait_for(lambda: all(trade_count(rs.port, c) >= 15 for c in CODES), 15), "trades reach Redis for every code")
        check(PASSWORD not in host.log(), "the password is not logged")

        # The exchange drops the socket: every published stream gets an open
        # marker (DOWN) and a closed one (GAP, with since/until).
        streams = [key(t, c) for t in ("trade", "orderbook") for c in CODES]
        check(ctl(mock, "drop") == 200, "mock dropped the exchange socket")
        require(wait_for(lambda: all(any("until" in m for m in markers(rs.port, k, "disconnected")) for k in streams), 10),
              "a closed 'disconnected' gap marker appears in every published stream")
        for k in streams:
            ms = markers(rs.port, k, "disconnected")
            closed = [m for m in ms if "until" in m]
            opened = [m for m in ms if "until" not in m]
            check(opened and closed and opened[0]["since"] == closed[0]["since"] and
                  int(closed[0]["until"]) > int(closed[0]["since"]),
                  "%s: open marker at DOWN, then since < until at GAP" % k)

        # Some trades after the exchange reconnect, then one consumer reads.
        time.sleep(1.0)
        c1 = Resp(rs.port)
        r = c1.cmd("XREADGROUP", "GROUP", "g", "c1", "COUNT", 10, "STREAMS", gk, ">")
        mid = [i for _, msgs in r or [] for i, _ in msgs]
        for i in mid:
            c1.cmd("XACK", gk, "g", i)
        c1.close()
        check(len(mid) == 10, "a consumer read and acked 10 entries mid-run")
        # The CSV's last trade now anchors the check that it misses nothing later.
        anchor = {}
        for c in CODES:
            rows = csv_trades(data, c)
            anchor[c] = rows[-1]["sequential_id"] if rows else None

        # Redis dies mid-stream and comes back on the same port.
        before = {c: trade_count(rs.port, c) for c in CODES}
        rs.kill()
        time.sleep(1.5)
        require(rs.start(), "redis-server restarted on the same port")
        require(wait_for(lambda: "reconnected to" in host.log(), 10), "the publisher reconnected")
        check(wait_for(lambda: all(trade_count(rs.port, c) > before[c] + 10 for c in CODES), 10),
              "trades flow into Redis again after the restart")
        time.sleep(0.5)
    finally:
        rc = host.stop() if host else None
        if mock:
            mock.stop()
    verify(rs, host, rc, truth_log, data, gk, mid, anchor)


def verify(rs, host, rc, truth_log, data, gk, mid, anchor):
    log = host.log()
    check(rc == 0, "SIGTERM: upws exits 0 (got %s)" % rc)
    pub = stop_line(log, "pub")
    check(pub, "pub logged its stop line with counters: %s" % pub)
    check(int(pub.get("dropped", 0)) > 0, "the Redis outage overflowed the 40-event buffer: dropped=%s" % pub.get("dropped"))
    check(pub.get("unsent") == "0" and pub.get("refused") == "0", "nothing left unsent or refused at stop")
    xrp = entries(rs.port, key("trade", "KRW-XRP"))
    check(xrp and xrp[0][1].get("type") == "note" and xrp[1][0].split("-")[0] == xrp[0][0].split("-")[0],
          "KRW-XRP: the first trade continues right above the earlier run's top ID (%s, %s)" % (xrp[0][0], xrp[1][0] if len(xrp) > 1 else None))
    check(re.search(r"warn +\[pub\] buffer full", log) and re.search(r"warn +\[pub\] (lost the connection|cannot connect)", log),
          "the outage and the drops were logged as warnings")

    truth = truth_trades(truth_log)
    accounted = 0
    for code in CODES:
        _, n = check_trades_vs_truth(rs.port, code, truth)
        accounted += n
    marked = sum(int(m.get("dropped", 0)) for t in ("trade", "orderbook") for c in CODES
                 for m in markers(rs.port, key(t, c), "dropped"))
    check(marked == int(pub.get("dropped", -1)),
          "the drop markers in the streams add up to the logged drop counter (%d vs %s)" % (marked, pub.get("dropped")))
    check(accounted > 0, "some trades were dropped and accounted between entries (%d)" % accounted)

    for code in CODES:
        rows = csv_trades(data, code)
        check_values(rs.port, code, rows)
        got = [r["sequential_id"] for r in rows]
        t = truth.get(code, [])
        a = anchor.get(code)
        ok = a in got and a in t and got[-1] in t
        span = t[t.index(a):t.index(got[-1]) + 1] if ok else []
        check(ok and got[got.index(a):] == span,
              "csv_recorder %s: no trade missing or twice across the Redis outage (%d rows)" % (code, len(span)))

    consumer_group(rs.port, gk, mid)

    small = redis(rs.port, "XLEN", "small:KRW-BTC")
    check(small is not None and 20 <= small <= 40, "MAXLEN ~ 20 trims the stream (XLEN %s)" % small)


if __name__ == "__main__":
    main()
