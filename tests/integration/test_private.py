"""Private data end to end, against the mock exchange's private side: the
private socket opens only with keys and a private want (and closes when the
want goes), one request carries myOrder and myAsset together, orders and
balances arrive in the exchange's order, signed REST calls pass the mock's
JWT check (query_hash included), refused keys back off without touching the
public socket, a refused private socket comes back with DOWN/GAP/UP, and no
key ever appears in anything the host or a plugin wrote."""
import base64
import hashlib
import hmac
import json
import os
import signal
import time
import urllib.request
import uuid

from harness import (FIXTURES, Host, Mock, check, done, http, probe_lines, tmpdir, wait_for,
                     write_private_config)

ACCESS, SECRET = "ak-priv-test-5150", "sk-priv-never-print-8086"
UP, DOWN, GAP = 1, 2, 3
written = []        # every file the hosts and plugins wrote, for the leak check
admin_bodies = []


def configure(work, mock, instances, keys=(ACCESS, SECRET), name="upws.yaml"):
    return write_private_config(os.path.join(work, name), mock, instances, keys)


def private_opens(mock):
    return mock.private_opens()


def public_opens(mock):
    return [r for r in mock.opens() if not r.get("path", "").endswith("/private")]


def lines_of(path, tag):
    return [l for l in probe_lines(path) if l and l[0] == tag]


def statuses(path):
    """(kind, private_conn, name) of every STATUS line."""
    return [(int(l[1]), int(l[2]), l[3]) for l in lines_of(path, "STATUS")]


def ctl_json(mock, action):
    return mock.ctl_json(action)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed_get(mock, path, query=""):
    """An independent HS512 JWT (Python's hmac), to read the account's truth."""
    payload = {"access_key": ACCESS, "nonce": str(uuid.uuid4())}
    if query:
        payload["query_hash"] = hashlib.sha512(query.encode()).hexdigest()
        payload["query_hash_alg"] = "SHA512"
    head = b64url(json.dumps({"alg": "HS512", "typ": "JWT"}).encode())
    body = b64url(json.dumps(payload).encode())
    sig = b64url(hmac.new(SECRET.encode(), (head + "." + body).encode(), hashlib.sha512).digest())
    url = "http://127.0.0.1:%d%s%s" % (mock.port, path, "?" + query if query else "")
    req = urllib.request.Request(url, headers={"Authorization": "Bearer %s.%s.%s" % (head, body, sig)})
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read().decode())


def admin_snapshot(host):
    port = host.admin_port()
    if not port:
        return
    for path in ("/health", "/metrics", "/subscriptions", "/plugins"):
        admin_bodies.append(http(port, path)[1])


def stop_host(host, what):
    admin_snapshot(host)
    check(host.stop() == 0, "%s: the host stops cleanly" % what)
    written.append(host.stderr_path)


# ---------------------------------------------------------------- no keys
def part_no_keys():
    work = tmpdir()
    mock = Mock(work, "--seed", "7", "--trade-rate", "20", "--access-key", ACCESS, "--secret-key", SECRET)
    out, pub = os.path.join(work, "priv.txt"), os.path.join(work, "pub.txt")
    cfg = configure(work, mock, [("priv", "fx_private", {"out": out, "types": ["myOrder", "myAsset"],
                                                         "rest": ['"/v1/accounts"']}),
                                 ("pub", "fx_probe", {"out": pub, "types": ["trade"], "codes": ["KRW-BTC"]}),
                                 ("orders", "order_monitor", {"output": os.path.join(work, "orders.log")})],
                    keys=None)
    host = Host(work, cfg)
    try:
        wait_for(lambda: len(lines_of(pub, "EVENT")) >= 3, 10)
        check(host.log().count("disabled: no API keys") == 1 and not os.path.exists(os.path.join(work, "orders.log")),
              "order_monitor without keys says once 'disabled: no API keys' and stays idle")
        hello = lines_of(out, "HELLO")
        check(hello and hello[0][1] == "0", "without keys private_available() answers 0")
        subs = {l[1]: int(l[2]) for l in lines_of(out, "SUBSCRIBED")}
        check(subs.get("myOrder") == -5 and subs.get("myAsset") == -5,
              "without keys a private subscribe is refused with UPWS_ENOTSUP: %s" % subs)
        called = lines_of(out, "REST-CALLED")
        check(called and int(called[0][2]) == -5, "without keys rest_private_get answers UPWS_ENOTSUP")
        check(len(lines_of(pub, "EVENT")) >= 3, "without keys public data flows unchanged")
        check(not private_opens(mock), "without keys no private socket is ever opened")
    finally:
        stop_host(host, "no keys")
        mock.stop()
    written.extend([out, pub])


# ------------------------------------------- on demand, one merged request
def part_on_demand():
    work = tmpdir()
    mock = Mock(work, "--seed", "8", "--trade-rate", "20", "--access-key", ACCESS, "--secret-key", SECRET)
    out, pub = os.path.join(work, "priv.txt"), os.path.join(work, "pub.txt")
    public_only = [("pub", "fx_probe", {"out": pub, "types": ["trade"], "codes": ["KRW-BTC"]})]
    with_private = public_only + [("priv", "fx_private", {"out": out, "types": ["myOrder", "myAsset"]})]
    cfg = configure(work, mock, public_only)
    host = Host(work, cfg)
    try:
        wait_for(lambda: len(lines_of(pub, "EVENT")) >= 3, 10)
        time.sleep(0.5)
        check(not private_opens(mock), "keys but no private want: no private socket")
        configure(work, mock, with_private)
        host.signal(signal.SIGHUP)
        opened = wait_for(lambda: private_opens(mock), 10)
        check(opened and opened[0].get("auth") == "ok", "a private want opens the private socket, JWT accepted: %s"
              % (opened[0].get("auth") if opened else None))
        reqs = wait_for(lambda: [r for r in mock.requests() if r["conn"] == opened[0]["conn"]] if opened else [], 5)
        types = sorted(o.get("type") for o in (reqs[0].get("request") or []) if "type" in o) if reqs else []
        check(len(reqs) == 1 and types == ["myAsset", "myOrder"],
              "one request carries myOrder and myAsset together: %s" % (reqs[0].get("text") if reqs else None))
        check(reqs and all("codes" not in o for o in reqs[0]["request"] if o.get("type") in ("myOrder", "myAsset")),
              "every market: no codes on myOrder, never on myAsset")
        check(wait_for(lambda: (UP, 1, "-") in statuses(out), 5), "the private subscriber hears UP (private_conn=1)")
        n_pub = len(public_opens(mock))
        configure(work, mock, public_only)
        host.signal(signal.SIGHUP)
        closed = wait_for(lambda: [r for r in mock.records() if r.get("ev") == "close" and opened and
                                   r.get("conn") == opened[0]["conn"]], 10)
        check(closed, "the private socket closes when no plugin wants private data")
        check(len(public_opens(mock)) == n_pub, "opening and closing the private socket leaves the public one alone")
    finally:
        stop_host(host, "on demand")
        mock.stop()
    written.extend([out, pub])


# --------------------------------- the private flow, REST, and refusals
def part_flow():
    work = tmpdir()
    mock = Mock(work, "--seed", "9", "--trade-rate", "20", "--access-key", ACCESS, "--secret-key", SECRET)
    out, pub = os.path.join(work, "priv.txt"), os.path.join(work, "pub.txt")
    cfg = configure(work, mock, [
        ("priv", "fx_private", {"out": out, "types": ["myOrder", "myAsset"],
                                "rest": ['"/v1/accounts"', '"/v1/orders/open?states[]=wait&states[]=watch"']}),
        ("btc", "fx_private", {"out": out + ".btc", "types": ["myOrder"], "codes": ["KRW-BTC"]}),
        ("pub", "fx_probe", {"out": pub, "types": ["trade"], "codes": ["KRW-BTC"]})])
    host = Host(work, cfg)
    try:
        check(wait_for(lambda: (UP, 1, "-") in statuses(out), 10), "the private socket comes up")
        rest = wait_for(lambda: len(lines_of(out, "REST")) >= 2 and lines_of(out, "REST"), 5) or []
        check(len(rest) == 2 and all(l[2] == "200" for l in rest),
              "signed REST calls pass the exchange's JWT check, with and without query_hash: %s"
              % [l[:4] for l in rest])
        check(rest and all(int(l[3]) >= 0 for l in rest), "the reply carries Remaining-Req's sec")
        rest_log = [r for r in mock.records() if r.get("ev") == "rest" and r.get("path", "").startswith("/v1/")
                    and r.get("auth")]
        check(rest_log and all(r["auth"] == "ok" for r in rest_log), "the mock verified every signed call: %s"
              % [r.get("auth") for r in rest_log])
        a = ctl_json(mock, "order?market=KRW-BTC&side=bid&price=100000&volume=0.01&fills=2&step_ms=200")
        b = ctl_json(mock, "order?market=KRW-ETH&side=ask&price=4000000&volume=0.5&fills=1&stop_after=0")
        wait_for(lambda: len(lines_of(out, "ORDER")) >= 5, 10)
        ctl_json(mock, "cancel?uuid=" + b["uuid"])
        truth = lambda: [(r.get("uuid"), r.get("state")) for r in mock.records()
                         if r.get("ev") == "private" and r.get("type") == "myOrder"]
        wait_for(lambda: len(lines_of(out, "ORDER")) >= len(truth()) >= 6, 10)
        got = [(l[2], l[3]) for l in lines_of(out, "ORDER")]
        check(got == truth() and len(got) >= 6, "every order change arrives once, in the exchange's order (%d): %s"
              % (len(got), got))
        btc = [(l[2], l[3]) for l in lines_of(out + ".btc", "ORDER")]
        check(btc == [t for t in truth() if t[0] == a["uuid"]],
              "a myOrder want for KRW-BTC gets only KRW-BTC's orders (%d)" % len(btc))
        accounts = signed_get(mock, "/v1/accounts")
        final = {}
        for l in lines_of(out, "ASSET"):
            final[l[1]] = (float(l[2]), float(l[3]))
        check(final and all(abs(final[c][0] - float(x["balance"])) < 1e-9 and
                            abs(final[c][1] - float(x["locked"])) < 1e-9
                            for x in accounts for c in [x["currency"]] if c in final),
              "the last myAsset balances equal GET /v1/accounts: %s" % final)
        # A refused private socket: DOWN with INVALID_AUTH, public untouched, then GAP and UP.
        n_priv, t0 = len(private_opens(mock)), time.time()
        pub_before = len(lines_of(pub, "EVENT"))
        ctl_json(mock, "private-refuse?secs=3")
        check(wait_for(lambda: (DOWN, 1, "INVALID_AUTH") in statuses(out), 5),
              "refused keys reach the subscriber as DOWN named INVALID_AUTH")
        check(wait_for(lambda: statuses(out)[-2:] == [(GAP, 1, "-"), (UP, 1, "-")], 30),
              "after the refusal: GAP then UP: %s" % statuses(out)[-4:])
        attempts = len(private_opens(mock)) - n_priv
        check(2 <= attempts <= 5, "refusals back off: %d private attempts in %.1f s (3 s refusal)"
              % (attempts, time.time() - t0))
        check(len(lines_of(pub, "EVENT")) > pub_before + 10, "public data flowed throughout")
        port = host.admin_port()
        health = json.loads(http(port, "/health")[1])
        priv = [c for c in health.get("connections", []) if c.get("name") == "private"]
        check(priv and priv[0]["state"] == "up" and priv[0]["wanted"] and health["status"] == "ok",
              "/health shows the private connection up and wanted: %s" % (priv or health))
        metrics = http(port, "/metrics")[1]
        check('upws_connection_up{connection="private"} 1' in metrics and
              "upws_private_rest_calls_total 2" in metrics and "upws_private_auth_failures_total" in metrics,
              "/metrics carries the private connection and the signed-call counters")
        subs = json.loads(http(port, "/subscriptions")[1])
        psub = [c for c in subs.get("connections", []) if c.get("name") == "private"]
        check(psub and sorted(o.get("type") for o in psub[0]["request"] if "type" in o) == ["myAsset", "myOrder"],
              "/subscriptions shows the private request as sent")
        c = ctl_json(mock, "order?market=KRW-XRP&side=bid&price=700&volume=10&fills=1&step_ms=100")
        check(wait_for(lambda: any(l[2] == c["uuid"] and l[3] == "done" for l in lines_of(out, "ORDER")), 10),
              "orders flow again after the restore")
    finally:
        stop_host(host, "flow")
        mock.stop()
    written.extend([out, out + ".btc", pub])


# ------------------------------------------------------ bad credentials
def part_bad_keys():
    work = tmpdir()
    mock = Mock(work, "--seed", "10", "--trade-rate", "20", "--access-key", ACCESS, "--secret-key", SECRET)
    out, pub = os.path.join(work, "priv.txt"), os.path.join(work, "pub.txt")
    cfg = configure(work, mock, [("priv", "fx_private", {"out": out, "types": ["myOrder", "myAsset"]}),
                                 ("pub", "fx_probe", {"out": pub, "types": ["trade"], "codes": ["KRW-BTC"]})],
                    keys=(ACCESS, SECRET + "-wrong"))
    host = Host(work, cfg)
    try:
        t0 = time.time()
        check(wait_for(lambda: (DOWN, 1, "INVALID_AUTH") in statuses(out), 10), "a wrong secret: DOWN INVALID_AUTH")
        time.sleep(max(0.0, 7 - (time.time() - t0)))
        opens = private_opens(mock)
        check(opens and all(o.get("auth") != "ok" for o in opens), "the mock refused every attempt: %s"
              % sorted({o.get("auth") for o in opens}))
        check(1 <= len(opens) <= 5, "no tight retry loop: %d private attempts in 7 s" % len(opens))
        log = host.log()
        check(log.count("refused the API keys") == 1, "one clear error naming the likely causes")
        check(len(lines_of(pub, "EVENT")) >= 20, "public data is unaffected (%d trades)" % len(lines_of(pub, "EVENT")))
        check(UP not in [s[0] for s in statuses(out)], "the refused socket is never reported UP")
    finally:
        stop_host(host, "bad keys")
        mock.stop()
    written.extend([out, pub])


# ------------------------------------------- order_monitor and its fallback
def order_lines(path):
    """(uuid, state, executed, source) of every order line (timestamp dropped)."""
    out = []
    try:
        with open(path) as f:
            for l in f:
                w = l.split()
                if len(w) >= 11 and w[1] == "order":
                    kv = dict(x.split("=", 1) for x in w[6:] if "=" in x)
                    out.append((w[2], kv.get("state"), kv.get("executed"), kv.get("source")))
    except FileNotFoundError:
        pass
    return out


def part_monitor():
    work = tmpdir()
    mock = Mock(work, "--seed", "11", "--trade-rate", "5", "--access-key", ACCESS, "--secret-key", SECRET)
    log, bal = os.path.join(work, "orders.log"), os.path.join(work, "balances")
    cfg = configure(work, mock, [("orders", "order_monitor", {"output": log, "balances_file": bal,
                                                              "poll_interval_ms": 300})])
    host = Host(work, cfg)
    try:
        check(wait_for(lambda: [r for r in mock.requests() if r.get("request") and
                                any(o.get("type") == "myOrder" for o in r["request"])], 10),
              "order_monitor subscribes myOrder on the private socket")
        time.sleep(1.5)  # the socket is confirmed and the start-up sweep is done
        a = ctl_json(mock, "order?market=KRW-BTC&side=bid&price=100000&volume=0.01&fills=2&step_ms=200")
        check(wait_for(lambda: (a["uuid"], "done", "0.01", "ws") in order_lines(log), 10),
              "an order's life through the stream ends in a done line")
        got = [x for x in order_lines(log) if x[0] == a["uuid"]]
        check([x[1] for x in got] == ["wait", "trade", "trade", "done"] and all(x[3] == "ws" for x in got),
              "wait, two fills and done, one line each, from the stream: %s" % got)
        # The private socket is refused: REST takes over, then hands back without repeating a line.
        ctl_json(mock, "private-refuse?secs=4&mode=http")
        check(wait_for(lambda: "polling REST" in host.log(), 5), "order_monitor starts polling REST")
        b = ctl_json(mock, "order?market=KRW-ETH&side=ask&price=4000000&volume=0.5&fills=1&stop_after=0")
        check(wait_for(lambda: (b["uuid"], "wait", "0", "rest") in order_lines(log), 5),
              "while the stream is refused a new order is seen through REST")
        ctl_json(mock, "cancel?uuid=" + b["uuid"])
        check(wait_for(lambda: (b["uuid"], "cancel", "0", "rest") in order_lines(log), 5),
              "and its cancel through REST (the one-order lookup)")
        check(wait_for(lambda: "polling stopped" in host.log(), 30), "polling stops when the stream is restored")
        c = ctl_json(mock, "order?market=KRW-XRP&side=bid&price=700&volume=10&fills=1&step_ms=100")
        check(wait_for(lambda: (c["uuid"], "done", "10", "ws") in order_lines(log), 10),
              "after the restore orders come from the stream again")
        time.sleep(1.0)
        lines = order_lines(log)
        keys = [(u, st, ex) for u, st, ex, _ in lines]
        check(len(keys) == len(set(keys)) and len(lines) >= 8,
              "no order line is written twice across the switches (%d lines)" % len(lines))
        truth = {(r["uuid"], r["state"]) for r in mock.records() if r.get("ev") == "private" and
                 r.get("type") == "myOrder" and r.get("state") in ("done", "cancel")}
        ends = {(u, st) for u, st, _, _ in lines if st in ("done", "cancel")}
        check(truth and truth == ends, "every order's end is written once: %s" % sorted(ends))
        accounts = signed_get(mock, "/v1/accounts")
        want = sorted((x["currency"], float(x["balance"]), float(x["locked"])) for x in accounts
                      if float(x["balance"]) or float(x["locked"]))
        def file_balances():
            try:
                with open(bal) as f:
                    return sorted((w[0], float(w[1]), float(w[2])) for w in (l.split() for l in f) if len(w) == 3)
            except FileNotFoundError:
                return []
        check(wait_for(lambda: file_balances() == want, 5), "the balances file equals GET /v1/accounts: %s"
              % file_balances())
    finally:
        stop_host(host, "order_monitor")
        mock.stop()
    written.extend([log, bal])


part_no_keys()
part_monitor()
part_on_demand()
part_flow()
part_bad_keys()

# --------------------------------------------------------- secrets
leaks = []
for path in written:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        continue
    for secret in (SECRET, SECRET + "-wrong", ACCESS):
        if secret.encode() in data:
            leaks.append((path, secret))
for body in admin_bodies:
    for secret in (SECRET, ACCESS):
        if secret in body:
            leaks.append(("admin", secret))
check(len(written) >= 8 and not leaks, "no key in %d files and %d admin answers (debug logging): %s"
      % (len(written), len(admin_bodies), leaks))
done()
