"""csv_recorder records the private types against the mock exchange: with
keys, one myOrder row per order change in the exchange's order (uuid, state
and the volumes exactly as sent), myAsset rows in myAsset_ALL_<day>.csv whose
`assets` cell is the JSON array as received, trades recorded as before, and a
private gap marked only in the private files. Without keys the recorder says
once that the private types are skipped and records trades."""
import glob
import json
import os
import time
from decimal import Decimal

from harness import Host, Mock, check, csv_files, done, read_csv, tmpdir, wait_for, write_private_config

ACCESS, SECRET = "ak-csv-priv-4711", "sk-csv-priv-never-print-0815"
SKIP_MSG = "myOrder/myAsset need API keys"
MYORDER_COLS = ("type,code,uuid,ask_bid,order_type,state,trade_uuid,price,avg_price,volume,"
                "remaining_volume,executed_volume,trades_count,reserved_fee,remaining_fee,paid_fee,"
                "locked,executed_funds,time_in_force,trade_fee,is_maker,identifier,smp_type,"
                "prevented_volume,prevented_locked,trade_timestamp,order_timestamp,timestamp,"
                "stream_type")
MYASSET_COLS = "type,asset_uuid,assets,asset_timestamp,timestamp,stream_type"


def configure(work, mock, instances, keys=(ACCESS, SECRET)):
    return write_private_config(os.path.join(work, "upws.yaml"), mock, instances, keys)


def ctl_json(mock, action):
    return mock.ctl_json(action)


def private_opens(mock):
    return mock.private_opens()


def one_file(d, pattern):
    found = sorted(glob.glob(os.path.join(d, pattern)))
    return found[0] if len(found) == 1 else None


def rows_of(path):
    try:
        return read_csv(path) if path else []
    except FileNotFoundError:
        return []


def header_of(path):
    with open(path) as f:
        return f.readline().rstrip("\n")


def data_rows(rows):
    return [r for r in rows if not r["stream_type"].startswith("GAP")]


def sent(mock, typ):
    """What the exchange sent to a socket, in its order."""
    return [r for r in mock.records() if r.get("ev") == "private" and r.get("type") == typ and r.get("conns")]


def dec_assets(items):
    return [(a["currency"], Decimal(str(a["balance"])), Decimal(str(a["locked"]))) for a in items]


# ------------------------------------------------------------------ keys
def part_keys():
    work = tmpdir()
    d = os.path.join(work, "rec")
    mock = Mock(work, "--seed", "21", "--trade-rate", "20", "--access-key", ACCESS, "--secret-key", SECRET)
    cfg = configure(work, mock, [("rec", "csv_recorder", {
        "dir": d, "types": ["trade", "myOrder", "myAsset"], "codes": ["KRW-BTC", "KRW-ETH"],
        "flush_interval_ms": 100})])
    host = Host(work, cfg)
    try:
        opened = wait_for(lambda: private_opens(mock), 10)
        check(opened and opened[0].get("auth") == "ok", "the recorder's private want opens the private socket")
        reqs = wait_for(lambda: [r for r in mock.requests() if opened and r["conn"] == opened[0]["conn"]
                                 and r.get("result") == "ok"], 10) or []
        objs = {o["type"]: o for o in (reqs[0].get("request") or []) if "type" in o} if reqs else {}
        check(sorted(objs.get("myOrder", {}).get("codes", [])) == ["KRW-BTC", "KRW-ETH"] and
              "myAsset" in objs and "codes" not in objs["myAsset"],
              "myOrder is asked for with the instance's codes, myAsset without codes: %s"
              % (reqs[0].get("text") if reqs else None))
        check(SKIP_MSG not in host.log(), "with keys nothing is skipped")

        a = ctl_json(mock, "order?market=KRW-BTC&side=bid&price=100000&volume=0.01&fills=2&step_ms=200")
        b = ctl_json(mock, "order?market=KRW-ETH&side=ask&price=4000000&volume=0.5&fills=1&stop_after=0")
        x = ctl_json(mock, "order?market=KRW-XRP&side=bid&price=700&volume=10&fills=1&step_ms=100")
        wait_for(lambda: any(r["uuid"] == a["uuid"] and r["state"] == "done" for r in sent(mock, "myOrder")), 10)
        ctl_json(mock, "cancel?uuid=" + b["uuid"])
        wait_for(lambda: any(r["uuid"] == b["uuid"] and r["state"] == "cancel" for r in sent(mock, "myOrder")) and
                 any(r["uuid"] == x["uuid"] and r["state"] == "done" for r in sent(mock, "myOrder")), 10)
        time.sleep(0.3)

        truth = [r for r in sent(mock, "myOrder") if r["market"] in ("KRW-BTC", "KRW-ETH")]
        check(len(truth) >= 6, "the exchange sent the order changes (%d)" % len(truth))
        ok_all = True
        for code in ("KRW-BTC", "KRW-ETH"):
            want = [r for r in truth if r["market"] == code]
            path = wait_for(lambda: one_file(d, "myOrder_%s_*.csv" % code), 5)
            rows = wait_for(lambda: len(rows_of(path)) >= len(want) and rows_of(path), 5) or rows_of(path)
            got = [(r["uuid"], r["state"]) for r in rows]
            ok = check(got == [(r["uuid"], r["state"]) for r in want],
                       "myOrder %s: one row per order change, in the exchange's order (%d): %s"
                       % (code, len(got), got))
            ok_all = ok_all and ok
            check(path and header_of(path) == MYORDER_COLS, "myOrder %s: the header is the §10.5 field list" % code)
            check(len(rows) == len(want) and all(
                r["type"] == "myOrder" and r["code"] == code and r["stream_type"] == "REALTIME" and
                r["volume"] == t["volume"] and r["executed_volume"] == t["executed_volume"] and
                r["remaining_volume"] == t["remaining_volume"] and r["trades_count"] == str(t["trades_count"]) and
                r["ask_bid"] == t["side"].upper() for r, t in zip(rows, want)),
                "myOrder %s: type, code and volumes exactly as sent" % code)
        check(not glob.glob(os.path.join(d, "myOrder_KRW-XRP_*")), "no file for an order outside `codes`")
        fills = [r for r in rows_of(one_file(d, "myOrder_KRW-BTC_*.csv")) if r["state"] == "trade"]
        check(len(fills) == 2 and all(r["trade_uuid"] and r["is_maker"] in ("true", "false") for r in fills),
              "fills carry trade_uuid and is_maker: %s" % [(r["trade_uuid"], r["is_maker"]) for r in fills])

        asset_path = wait_for(lambda: one_file(d, "myAsset_ALL_*.csv"), 5)
        check(asset_path is not None, "myAsset is written to myAsset_ALL_<day>.csv: %s" % csv_files(d))
        atruth = sent(mock, "myAsset")
        arows = wait_for(lambda: len(rows_of(asset_path)) >= len(atruth) and rows_of(asset_path), 5) or []
        check(asset_path and header_of(asset_path) == MYASSET_COLS, "myAsset: the header is the §10.6 field list")
        check([r["asset_uuid"] for r in arows] == [t["asset_uuid"] for t in atruth] and len(arows) >= 6,
              "myAsset: one row per message, in the exchange's order (%d of %d)" % (len(arows), len(atruth)))
        parsed_ok = True
        for r, t in zip(arows, atruth):
            try:
                got = dec_assets(json.loads(r["assets"], parse_float=str, parse_int=str))
            except (ValueError, KeyError):
                got = None
            if got != dec_assets(t["assets"]) or r["type"] != "myAsset":
                parsed_ok = False
        check(arows and parsed_ok, "myAsset: each `assets` cell parses as JSON with the balances the exchange sent")
        with open(asset_path) as f:
            raw = f.read().splitlines()[1]
        check(raw.startswith('myAsset,%s,"[{""currency"":""' % arows[0]["asset_uuid"]),
              "myAsset: the array is one RFC 4180 quoted cell: %s" % raw[:80])

        trade_path = one_file(d, "trade_KRW-BTC_*.csv")
        trades = rows_of(trade_path)
        ids = [r["sequential_id"] for r in trades]
        check(len(trades) >= 10 and len(ids) == len(set(ids)) and all(r["type"] == "trade" for r in trades),
              "trades are still recorded (%d rows, no duplicate)" % len(trades))

        # A private gap: marked in the private files only.
        ctl_json(mock, "private-refuse?secs=2")
        gap_file = one_file(d, "myOrder_KRW-BTC_*.csv")
        check(wait_for(lambda: [r["stream_type"] for r in rows_of(gap_file)][-2:] == ["GAP_BEGIN", "GAP_END"], 30),
              "a private gap puts GAP_BEGIN/GAP_END into the myOrder file")
        check(wait_for(lambda: [r["stream_type"] for r in rows_of(asset_path)][-2:] == ["GAP_BEGIN", "GAP_END"], 5),
              "... and into the myAsset file")
        gap = [r for r in rows_of(asset_path) if r["stream_type"].startswith("GAP")]
        check(len(gap) == 2 and all(r["type"] == "myAsset" and r["timestamp"] and not r["assets"] for r in gap),
              "myAsset gap rows carry type and timestamp, other cells empty")
        time.sleep(0.5)
        check(not any(r["stream_type"].startswith("GAP") for p in glob.glob(os.path.join(d, "trade_*.csv"))
                      for r in rows_of(p)), "a private gap leaves the trade files alone")
        c = ctl_json(mock, "order?market=KRW-BTC&side=bid&price=100000&volume=0.01&fills=1&step_ms=100")
        check(wait_for(lambda: any(r["uuid"] == c["uuid"] and r["state"] == "done"
                                   for r in data_rows(rows_of(gap_file))), 15),
              "orders are recorded again after the restore")
    finally:
        check(host.stop() == 0, "keys: the host stops cleanly")
        mock.stop()
    log = host.log()
    check(SECRET not in log and all(SECRET not in open(p).read() for p in glob.glob(os.path.join(d, "*.csv"))),
          "the secret key appears nowhere")


# ----------------------------------------------------------------- no keys
def part_no_keys():
    work = tmpdir()
    d = os.path.join(work, "rec")
    mock = Mock(work, "--seed", "22", "--trade-rate", "20", "--access-key", ACCESS, "--secret-key", SECRET)
    cfg = configure(work, mock, [("rec", "csv_recorder", {
        "dir": d, "types": ["trade", "myOrder", "myAsset"], "codes": ["KRW-BTC"],
        "flush_interval_ms": 100})], keys=None)
    host = Host(work, cfg)
    try:
        path = wait_for(lambda: one_file(d, "trade_KRW-BTC_*.csv"), 10)
        check(wait_for(lambda: len(rows_of(path)) >= 3, 10), "without keys trades are recorded")
        ctl_json(mock, "order?market=KRW-BTC&side=bid&price=100000&volume=0.01&fills=1&step_ms=100")
        time.sleep(0.5)
        check(host.log().count(SKIP_MSG) == 1, "without keys the skip of the private types is logged once")
        check("rec" in host.log() and "recording trade,myOrder,myAsset" in host.log(),
              "the instance started (init did not fail)")
        check(csv_files(d) == [os.path.basename(path)], "only the trade file exists: %s" % csv_files(d))
        check(not private_opens(mock), "no private socket is opened")
    finally:
        check(host.stop() == 0, "no keys: the host stops cleanly")
        mock.stop()


part_keys()
part_no_keys()
done()
