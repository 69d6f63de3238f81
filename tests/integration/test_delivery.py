"""Delivery policies from YAML: a slow plugin subscribed to tickers gets the
newest value per code by default (latest: older queued tickers are replaced
and counted), while the same plugin with `delivery: lossless` in its
instance entry gets every ticker in order and nothing is conflated; a bad
value is refused naming file, line and key."""
import os
import re

from harness import Host, Mock, check, done, http, probe_lines, run, tmpdir, wait_for, write_config

work = tmpdir()
mock = Mock(work, "--seed", "12", "--trade-rate", "300")
cfg = os.path.join(work, "upws.yaml")
codes = ["KRW-BTC", "KRW-ETH", "KRW-XRP"]
latest, lossless = os.path.join(work, "latest.txt"), os.path.join(work, "lossless.txt")
write_config(cfg, mock.url, [("slow-latest", "fx_probe", {"out": latest, "types": ["ticker"], "codes": codes,
                                                          "sleep_ms": 5}),
                             ("slow-lossless", "fx_probe", {"out": lossless, "types": ["ticker"], "codes": codes,
                                                            "sleep_ms": 5})])
with open(cfg) as f:
    text = f.read()
with open(cfg, "w") as f:
    f.write(text.replace("  - name: slow-lossless\n", "  - name: slow-lossless\n    delivery: lossless\n", 1))


def metric(text, name, plugin):
    m = re.search(r'^%s\{plugin="%s"\} (\S+)$' % (name, plugin), text, re.M)
    return float(m.group(1)) if m else None


host = Host(work, cfg)
try:
    port = host.admin_port()
    wait_for(lambda: len(probe_lines(latest)) > 300, 15)
    metrics = wait_for(lambda: (lambda t: t if (metric(t, "upws_plugin_events_conflated_total", "slow-latest") or 0) > 0
                                else None)(http(port, "/metrics")[1]), 10) or http(port, "/metrics")[1]
    conf_latest = metric(metrics, "upws_plugin_events_conflated_total", "slow-latest")
    conf_lossless = metric(metrics, "upws_plugin_events_conflated_total", "slow-lossless")
    queued = metric(metrics, "upws_plugin_queue_depth", "slow-lossless")
    check(conf_latest and conf_latest > 0, "a slow plugin gets the latest ticker by default (%s conflated)" % conf_latest)
    check(conf_lossless == 0 and queued is not None and queued > 3,
          "with delivery: lossless nothing is conflated; its queue grows instead (depth %s)" % queued)
    events = [l for l in probe_lines(lossless) if l[0] == "EVENT"]
    per_code = {}
    for l in events:
        per_code.setdefault(l[2], []).append(int(l[-1]))
    check(len(events) > 50 and all(v == sorted(v) for v in per_code.values()),
          "the lossless plugin receives its tickers in order (%d so far)" % len(events))
finally:
    # The lossless backlog is served before stop() runs: stop the inflow and
    # let it drain, so the host's 10 s stop deadline is about the host.
    mock.stop()
    wait_for(lambda: metric(http(port, "/metrics")[1], "upws_plugin_queue_depth", "slow-lossless") == 0, 30, 0.5)
    check(host.stop(timeout=30) == 0, "the host stops cleanly")

bad = os.path.join(work, "bad.yaml")
write_config(bad, mock.url, [("x", "fx_probe", {"out": latest})])
with open(bad) as f:
    text = f.read()
with open(bad, "w") as f:
    f.write(text.replace("  - name: x\n", "  - name: x\n    delivery: fastest\n", 1))
rc, out, err = run("check", "-c", bad)
check(rc != 0 and re.search(r"bad\.yaml:\d+:\d+: .*delivery", err),
      "a bad delivery value is refused naming file, line and key: %s" % err.strip())
done()
