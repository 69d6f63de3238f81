"""Process harness for integration tests: the mock exchange, the upws host,
config files, and bounded polling. Everything listens on 127.0.0.1 only."""
import csv
import glob
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

BIN = os.environ["UPWS_BIN"]
MOCK = os.environ["UPWS_MOCK"]
PLUGINS = os.environ["UPWS_PLUGINS"]
FIXTURES = os.environ.get("UPWS_FIXTURES", "")

failures = []
hosts = []   # every Host started, so a failure can show what the newest one logged


def check(cond, what):
    if cond:
        print("ok   - " + what)
    else:
        print("FAIL - " + what)
        failures.append(what)
        show_log_tail()
    return cond


def show_log_tail(lines=25):
    """A failed check prints the newest host's last log lines: CI keeps only
    this output, and a failure that does not repeat locally needs them."""
    if not hosts:
        return
    try:
        tail = hosts[-1].log().splitlines()[-lines:]
    except OSError:
        return
    print("  | last %d lines of the newest upws log:" % len(tail))
    for line in tail:
        print("  | " + line)


def done():
    if failures:
        print("%d check(s) failed" % len(failures))
        sys.exit(1)
    print("all checks passed")
    sys.exit(0)


def wait_for(pred, timeout, step=0.05):
    """Polls pred() until it returns something truthy or timeout seconds pass."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() > end:
            return v
        time.sleep(step)


class Mock:
    def __init__(self, workdir, *args, port=0, tls=None):
        """tls: (cert, key) PEM paths: the port then serves wss:// and https://
        (the /ctl calls too), and url is wss://localhost:PORT/websocket/v1."""
        self.log = os.path.join(workdir, "mock.jsonl")
        self.out = open(os.path.join(workdir, "mock.stderr"), "a")
        self.tls = tls
        tls_args = ["--tls-cert", tls[0], "--tls-key", tls[1]] if tls else []
        self.proc = subprocess.Popen([MOCK, "--port", str(port), "--log", self.log, *args, *tls_args],
                                     stdout=subprocess.PIPE, stderr=self.out, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
        if not m:
            raise RuntimeError("mock did not start: %r" % line)
        self.port = int(m.group(1))
        self.url = "ws://127.0.0.1:%d/websocket/v1" % self.port
        if tls:
            self.url = "wss://localhost:%d/websocket/v1" % self.port

    def records(self):
        try:
            with open(self.log) as f:
                return [json.loads(l) for l in f if l.strip()]
        except FileNotFoundError:
            return []

    def requests(self):
        return [r for r in self.records() if r.get("ev") == "request"]

    def opens(self):
        return [r for r in self.records() if r.get("ev") == "open"]

    def private_opens(self):
        return [r for r in self.opens() if r.get("path", "").endswith("/private")]

    def _ctl_open(self, action):
        import ssl
        import urllib.request
        if not self.tls:
            url = "http://127.0.0.1:%d/ctl/%s" % (self.port, action)
            return urllib.request.urlopen(url, timeout=5)
        # The test's own control channel: the certificate's trust is what the
        # host under test is checked on, not this.
        url = "https://127.0.0.1:%d/ctl/%s" % (self.port, action)
        return urllib.request.urlopen(url, timeout=5, context=ssl._create_unverified_context())

    def ctl(self, action):
        """GET /ctl/<action> on the mock; returns the HTTP status."""
        with self._ctl_open(action) as r:
            return r.status

    def ctl_json(self, action):
        """GET /ctl/<action> on the mock; returns the parsed JSON reply."""
        with self._ctl_open(action) as r:
            return json.loads(r.read())

    def stats(self):
        return self.ctl_json("stats")

    def events(self, ev):
        return [r for r in self.records() if r.get("ev") == ev]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.out.close()
        return self.proc.returncode


class Host:
    def __init__(self, workdir, config_path, env=None):
        self.stderr_path = os.path.join(workdir, "upws.stderr")
        self.err = open(self.stderr_path, "w")
        self.proc = subprocess.Popen([BIN, "run", "-c", config_path], stdout=self.err,
                                     stderr=self.err, env=env)
        hosts.append(self)

    def log(self):
        with open(self.stderr_path) as f:
            return f.read()

    def admin_port(self, timeout=5):
        """The port the admin endpoint bound (from the host's log line)."""
        m = wait_for(lambda: re.search(r"admin: listening on http://[^:]+:(\d+)", self.log()), timeout)
        return int(m.group(1)) if m else None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.err.close()
        return self.proc.returncode


def yaml_list(items):
    return "[" + ", ".join(items) + "]"


def write_config(path, url, instances, extra="", dirs=None):
    """instances: list of (name, plugin, dict of config) with scalar/list values."""
    dirs = dirs or [PLUGINS, FIXTURES]
    rest = re.sub(r"^ws(s?)://", r"http\1://", url).split("/websocket")[0]
    admin = "" if "admin:" in extra else "admin:\n  listen: 127.0.0.1:0"
    lines = ["upbit:", "  public_url: %s" % url, "  rest_url: %s" % rest, "log:", "  level: debug",
             "  summary_interval: 1", "plugin_dirs: [%s]" % ", ".join(dirs), admin, extra, "plugins:"]
    for name, plugin, cfg in instances:
        lines.append("  - name: %s" % name)
        lines.append("    plugin: %s" % plugin)
        lines.append("    config:" + ("" if cfg else " {}"))
        for k, v in cfg.items():
            lines.append("      %s: %s" % (k, yaml_list(v) if isinstance(v, list) else v))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def write_private_config(path, mock, instances, keys):
    """write_config plus the mock's private endpoint and, when keys is an
    (access, secret) pair, the keys as ${T_AK} / ${T_SK} references (set in
    this process's environment, which the hosts it starts inherit)."""
    write_config(path, mock.url, instances)
    with open(path) as f:
        text = f.read()
    extra = "  private_url: %s/private\n" % mock.url
    if keys:
        os.environ["T_AK"], os.environ["T_SK"] = keys
        extra += "  access_key: ${T_AK}\n  secret_key: ${T_SK}\n"
    with open(path, "w") as f:
        f.write(text.replace("upbit:\n", "upbit:\n" + extra, 1))
    return path


def request_objects(rec):
    """The data-type objects of a logged request, as (type, sorted codes, extras)."""
    req = rec.get("request") or []
    out = []
    for o in req:
        if "type" in o:
            extras = tuple(sorted((k, v) for k, v in o.items() if k not in ("type", "codes")))
            out.append((o["type"], tuple(sorted(o.get("codes", []))), extras))
    return sorted(out)


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def csv_files(d):
    return sorted(os.path.basename(p) for p in glob.glob(os.path.join(d, "*.csv")))


def tmpdir():
    return tempfile.mkdtemp(prefix="upws-it-")


def probe_lines(path):
    try:
        with open(path) as f:
            return [l.split() for l in f if l.strip()]
    except FileNotFoundError:
        return []


def run(*args, env=None):
    """Runs a upws command to completion; returns (exit code, stdout, stderr)."""
    p = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=30, env=env)
    return p.returncode, p.stdout, p.stderr


def max_in_window(times, window):
    """Largest number of timestamps within any half-open window of that length."""
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while t - times[j] >= window:
            j += 1
        best = max(best, i - j + 1)
    return best


def trade_truth(path):
    truth = {}
    try:
        with open(path) as f:
            for line in f:
                code, sid = line.split()
                truth.setdefault(code, []).append(sid)
    except FileNotFoundError:
        pass
    return truth


def check_against_truth(name, got, truth_ids):
    """got: sequential_ids a consumer recorded, in order. Every trade the
    exchange made between the first and last of them must be there once, in order."""
    if not got or got[0] not in truth_ids or got[-1] not in truth_ids:
        return check(False, "%s: recorded trades found in the exchange's trade log (%d rows)" % (name, len(got)))
    span = truth_ids[truth_ids.index(got[0]):truth_ids.index(got[-1]) + 1]
    return check(got == span, "%s: no trade missing or twice vs the exchange (%d rows, %d made)" % (name, len(got), len(span)))


def check_segments_against_truth(name, rows, truth_ids):
    """rows: CSV trade rows in file order, gap marker rows included. Between
    markers the data must be continuous: each segment is an exact run of the
    exchange's trades (nothing missing, nothing twice, in order); trades may
    be missing only where a GAP_BEGIN/GAP_END pair says so."""
    segments, cur = [], []
    for r in rows:
        if r["stream_type"].startswith("GAP"):
            if cur:
                segments.append(cur)
            cur = []
        else:
            cur.append(r["sequential_id"])
    if cur:
        segments.append(cur)
    ids = [i for seg in segments for i in seg]
    ok = len(ids) == len(set(ids)) and all(
        seg[0] in truth_ids and seg[-1] in truth_ids and
        truth_ids[truth_ids.index(seg[0]):truth_ids.index(seg[-1]) + 1] == seg for seg in segments)
    return check(ok, "%s: each of %d segment(s) between gap markers is continuous; no trade twice (%d rows)"
                 % (name, len(segments), len(ids)))


def http(port, path, method="GET", token=None):
    """(status, body text) of an HTTP request to 127.0.0.1:port."""
    import urllib.error
    import urllib.request
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), method=method)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
