"""The admin endpoint and `upws status`: health (200/503), Prometheus
metrics that promtool accepts and that move with the feed, subscriptions as
sent and as Upbit reports them, plugins, POST /reload, the token, JSON logs
and per-instance log levels — and no secret anywhere."""
import json
import os
import re
import shutil
import signal
import subprocess
import time

from harness import (BIN, Host, Mock, check, done, http, run, tmpdir, wait_for, write_config)

SECRET, ACCESS, TOKEN = "sk-do-not-leak-31337", "ak-do-not-leak-4242", "adm-token-9a7"

def metric(text, name):
    m = re.search(r"^%s (\S+)$" % re.escape(name), text, re.M)
    return float(m.group(1)) if m else None

work = tmpdir()
mock = Mock(work, "--seed", "4", "--trade-rate", "20")
cfg = os.path.join(work, "upws.yaml")
data = os.path.join(work, "data")
os.environ["T_AK"], os.environ["T_SK"] = ACCESS, SECRET
instances = [("rec", "csv_recorder", {"dir": data, "types": ["trade", "ticker"], "codes": ["KRW-BTC", "KRW-ETH"]}),
             ("quiet", "csv_recorder", {"dir": data + "2", "types": ["trade"], "codes": ["KRW-XRP"]})]
write_config(cfg, mock.url, instances, extra="admin:\n  listen: 127.0.0.1:0")
with open(cfg) as f:
    text = f.read()
text = text.replace("upbit:\n", "upbit:\n  access_key: ${T_AK}\n  secret_key: ${T_SK}\n", 1)
text = text.replace("  level: debug\n", "  level: debug\n  format: json\n", 1)
text = text.replace("  - name: quiet\n", "  - name: quiet\n    log_level: warn\n", 1)
with open(cfg, "w") as f:
    f.write(text)
host = Host(work, cfg)
bodies = []
try:
    port = host.admin_port()
    check(port, "the admin endpoint listens (port %s)" % port)
    check(wait_for(lambda: http(port, "/health")[0] == 200, 10), "GET /health is 200 once connected")
    st, body = http(port, "/health")
    bodies.append(body)
    h = json.loads(body)
    conn = h["connections"][0]
    check(h["status"] == "ok" and conn["state"] == "up" and "ratelimit_tokens" in conn and "last_message_age_s" in conn,
          "health names the connection's state, message age and limiter tokens")
    check(sorted(p["name"] for p in h["plugins"]) == ["quiet", "rec"] and
          all({"state", "queue_depth", "dropped", "last_error"} <= set(p) for p in h["plugins"]), "health lists every plugin")

    st, m1 = http(port, "/metrics")
    time.sleep(1.5)
    st2, m2 = http(port, "/metrics")
    bodies += [m1, m2]
    check(st == 200 and st2 == 200, "GET /metrics is 200")
    t1 = metric(m1, 'upws_messages_received_total{type="trade"}')
    t2 = metric(m2, 'upws_messages_received_total{type="trade"}')
    check(t1 is not None and t2 > t1, "trade counter moves with the feed (%s → %s)" % (t1, t2))
    check(metric(m2, 'upws_plugin_events_delivered_total{plugin="rec"}') > metric(m1, 'upws_plugin_events_delivered_total{plugin="rec"}'),
          "per-plugin delivered counter moves")
    check(metric(m2, "process_resident_memory_bytes") > 1e6, "resident memory is reported")
    check('upws_plugin_callback_duration_seconds_bucket{plugin="rec",le="+Inf"}' in m2, "callback histogram present")
    promtool = shutil.which("promtool")
    if check(promtool, "promtool is installed (Debian package prometheus)"):
        p = subprocess.run([promtool, "check", "metrics"], input=m2, capture_output=True, text=True)
        check(p.returncode == 0, "promtool check metrics accepts the output %s" % (p.stdout + p.stderr).strip()[:300])

    st, body = http(port, "/subscriptions?verify=1")
    check(st == 200, "GET /subscriptions?verify=1 asks Upbit")
    def reported():
        s, b = http(port, "/subscriptions")
        j = json.loads(b)
        return j if "server_reports" in j["connections"][0] else None
    subs = wait_for(reported, 5)
    bodies.append(json.dumps(subs))
    c0 = subs["connections"][0] if subs else {}
    check(subs and {w["type"] for w in subs["plugins"]["rec"]} == {"trade", "ticker"}, "each plugin's wants are listed")
    check(c0.get("request", [{}])[0].get("ticket") and c0["desired_generation"] == c0["applied_generation"],
          "the request as sent, generations desired == applied")
    check(c0.get("server_reports", {}).get("matches") is True, "what Upbit reports matches what was sent")
    lists = [r for r in mock.requests() if "LIST_SUBSCRIPTIONS" in r.get("text", "")]
    check(len(lists) == 1 and '"format":"DEFAULT"' in lists[0]["text"], "one LIST_SUBSCRIPTIONS, with the streams' format")

    st, body = http(port, "/plugins")
    bodies.append(body)
    pl = json.loads(body)
    check(st == 200 and {p["name"] for p in pl} == {"rec", "quiet"} and all(p["abi"] == "1.2" and p["version"] for p in pl),
          "GET /plugins lists instances with version and ABI")
    check(http(port, "/nope")[0] == 404, "unknown path is 404")
    st, body = http(port, "/reload", method="POST")
    check(st == 202 and wait_for(lambda: "reloading" in host.log(), 3), "POST /reload reloads the config")

    rc, out, err = run("status", "--url", "http://127.0.0.1:%d" % port)
    check(rc == 0 and "public" in out and "rec" in out and "up" in out, "upws status: healthy, exit 0\n" + out)
    rc, out, err = run("status", "-c", cfg)
    check(rc == 2 and "cannot reach" in err, "upws status with admin.listen port 0 cannot know the port: exit 2")

    mock.ctl("down?secs=6")
    check(wait_for(lambda: http(port, "/health")[0] == 503, 5), "GET /health is 503 while the exchange is down")
    st, body = http(port, "/health")
    bodies.append(body)
    rc, out, err = run("status", "--url", "http://127.0.0.1:%d" % port)
    check(rc == 1 and "unhealthy" in out, "upws status: unhealthy, exit 1")
    check(wait_for(lambda: http(port, "/health")[0] == 200, 12), "healthy again when it is back")
finally:
    rc = host.stop()
    mock.stop()
check(rc == 0, "host exits 0 (%s)" % rc)
rc, out, err = run("status", "--url", "http://127.0.0.1:%d" % port)
check(rc == 2, "upws status: unreachable, exit 2")

log = host.log()
lines = [l for l in log.splitlines() if l.strip()]
parsed = []
for l in lines:
    try:
        parsed.append(json.loads(l))
    except ValueError:
        pass
check(lines and len(parsed) == len(lines) and all({"ts", "level", "src", "msg"} <= set(p) for p in parsed),
      "log.format json: every line is a JSON object (%d lines)" % len(lines))
check(any(p["src"] == "rec" and "recording" in p["msg"] for p in parsed) and
      not any(p["src"] == "quiet" and p["level"] == "info" for p in parsed),
      "per-instance log_level: 'quiet' (warn) says nothing at info, 'rec' does")
everything = log + "".join(bodies)
check(SECRET not in everything and ACCESS not in everything, "no API key in any log line or admin output")

# --- token ---------------------------------------------------------------------
work = tmpdir()
mock = Mock(work, "--seed", "4")
cfg = os.path.join(work, "upws.yaml")
write_config(cfg, mock.url, [], extra="admin:\n  listen: 0.0.0.0:0\n  token: %s" % TOKEN)
host = Host(work, cfg)
try:
    port = host.admin_port()
    check(http(port, "/health")[0] == 401, "without the token: 401")
    check(http(port, "/health", token="wrong")[0] == 401, "a wrong token: 401")
    check(wait_for(lambda: http(port, "/health", token=TOKEN)[0] in (200, 503), 5), "with the token: answered")
    check(TOKEN not in "".join(http(port, p, token=TOKEN)[1] for p in ("/health", "/metrics", "/subscriptions", "/plugins")),
          "the token is never shown")
finally:
    host.stop()
    mock.stop()
check(TOKEN not in host.log(), "the token is not logged")
done()
