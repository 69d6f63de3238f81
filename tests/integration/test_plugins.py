"""Plugin loading failures leave the others running; one-off snapshots are
answered from the last value when live and with a snapshot-only item
otherwise; a failed init is swept; unknown codes are reported."""
import os
import time

from harness import (Host, Mock, check, done, probe_lines, request_objects, tmpdir, wait_for,
                     write_config)

work = tmpdir()
mock = Mock(work, "--seed", "3", "--trade-rate", "10")
cfg = os.path.join(work, "upws.yaml")
p1 = os.path.join(work, "p1.txt")
p2 = os.path.join(work, "p2.txt")
p3 = os.path.join(work, "p3.txt")
instances = [
    ("wrong-abi", "fx_wrong_major", {}),
    ("no-such", "no_such_plugin", {}),
    ("undefined", "fx_undefined", {}),
    ("refuses", "fx_init_fails", {}),
    # p1 streams ticker KRW-BTC and, after 1.5 s, asks a snapshot of a live code.
    ("p1", "fx_probe", {"out": p1, "types": ["ticker"], "codes": ["KRW-BTC"],
                        "snapshot_type": "ticker", "snapshot_codes": ["KRW-BTC"], "snapshot_after_ms": 1500}),
    # p2 asks snapshots of a code nobody streams, and of an unknown code.
    ("p2", "fx_probe", {"out": p2, "snapshot_type": "trade", "snapshot_codes": ["KRW-SOL", "KRW-NOPE"],
                        "snapshot_after_ms": 2500}),
    # p3 wants a shallow book where the union is deeper.
    ("p3", "fx_probe", {"out": p3, "types": ["orderbook"], "codes": ["KRW-ETH"], "depth": 5}),
    ("p4", "fx_probe", {"out": os.path.join(work, "p4.txt"), "types": ["orderbook"], "codes": ["KRW-ETH"], "depth": 15}),
]
write_config(cfg, mock.url, instances)
host = Host(work, cfg)
try:
    check(wait_for(lambda: any(l[0] == "EVENT" for l in probe_lines(p1)), 10), "p1 receives events")
    log = host.log()
    check("'wrong-abi'" in log and "ABI 2.0" in log and "host provides 1.2" in log,
          "wrong ABI refused, naming both versions")
    check("'no-such'" in log and "not found" in log, "missing plugin file reported")
    check("'undefined'" in log and "undefined symbol: upws_fixture_missing_function" in log,
          "undefined symbol reported with the real dlopen reason")
    check(wait_for(lambda: "'refuses': init() refused" in host.log(), 5), "failed init reported with the instance name")
    check("fixture refuses to start on purpose" in host.log(), "the plugin's own reason is in the log")

    # Snapshot of a live code: answered from the last value, no request.
    n_req = len(mock.requests())
    got = wait_for(lambda: [l for l in probe_lines(p1) if l[0] == "EVENT" and l[4] != "0"], 5)
    check(got and got[0][3] == "SNAPSHOT" and got[0][2] == "KRW-BTC", "live snapshot answered as SNAPSHOT with its id")
    req_ids = [l[1] for l in probe_lines(p1) if l[0] == "SNAPSHOT-REQUESTED"]
    check(got and req_ids and got[0][4] == req_ids[0], "the answer carries the id snapshot() returned")
    check(len(mock.requests()) == n_req, "a snapshot of a live code costs no request")

    # Snapshot of a code not streamed: one snapshot-only object, disjoint from live codes.
    snap = wait_for(lambda: [l for l in probe_lines(p2) if l[0] == "EVENT"], 8)
    check(snap and snap[0][1] == "trade" and snap[0][2] == "KRW-SOL" and snap[0][3] == "SNAPSHOT",
          "snapshot of an unstreamed code arrives")
    objs = [o for r in mock.requests() for o in request_objects(r)]
    check(("trade", ("KRW-SOL",), (("is_only_snapshot", True),)) in objs,
          "it was asked as an is_only_snapshot object (the unlisted code left out)")
    check(wait_for(lambda: [l for l in probe_lines(p2) if l[0] == "STATUS" and l[1] == "6" and "KRW-NOPE" in l], 8),
          "the unknown code is reported as unserved")
    time.sleep(1)
    p2_events = [l for l in probe_lines(p2) if l[0] == "EVENT"]
    check(len(p2_events) == 1, "a one-off snapshot delivers exactly one event (%d)" % len(p2_events))
    final = request_objects(mock.requests()[-1])
    check(not any("KRW-DOGE" in o[1] for o in final), "the failed plugin's subscription was swept")

    books = [l for l in probe_lines(p3) if l[0] == "EVENT"]
    check(books and all(int(l[6]) <= 5 for l in books), "depth-5 subscriber gets at most 5 levels")
    deep = [l for l in probe_lines(os.path.join(work, "p4.txt")) if l[0] == "EVENT"]
    check(deep and max(int(l[6]) for l in deep) == 15, "depth-15 subscriber gets 15 levels")
    check(("orderbook", ("KRW-ETH.15",), ()) in final, "the request asks the deepest wish")
finally:
    rc = host.stop()
    mock.stop()
check(rc == 0, "clean exit (%s)" % rc)
check(probe_lines(p1)[-1] == ["STOP"], "stop() ran")
done()
