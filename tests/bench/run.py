#!/usr/bin/env python3
"""The upws benchmark (issue 7). Started by tests/bench/run.sh, which builds
everything first. Every scenario runs against a fresh bench_feeder on
loopback; the consumer's CPU comes from /proc/PID/stat (utime + stime of all
its threads) between the feeder's first frame and the moment the consumer
has gone idle again, its peak RSS from VmHWM in /proc/PID/status.

Prints one line per scenario while it runs, then a Markdown table of every
figure against its target; also writes the raw numbers as JSON (--json)."""
import argparse
import json
import os
import platform
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def vm_hwm_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        m = re.search(r"VmHWM:\s+(\d+) kB", f.read())
    return int(m.group(1)) if m else 0


def ctx_switches(pid):
    """Context switches of all the process's threads so far (voluntary +
    involuntary): each plugin wake-up costs about two."""
    total = 0
    for task in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/status" % (pid, task)) as f:
                total += sum(int(v) for v in re.findall(r"ctxt_switches:\s+(\d+)", f.read()))
        except OSError:
            pass
    return total


def thread_cpu(pid):
    """{tid: cpu seconds} of every thread."""
    out = {}
    for task in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, task)) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            out[task] = (int(fields[11]) + int(fields[12])) / TICK
        except OSError:
            pass
    return out


def kv(text):
    return {k: int(v) for k, v in re.findall(r"(\w+)=(-?\d+)", text)}


class Feeder:
    """bench_feeder; start()/end() wait for its per-client lines."""

    def __init__(self, exe, rate, duration, codes, tick_us=1000):
        self.proc = subprocess.Popen([exe, "--rate", str(rate), "--duration", str(duration),
                                      "--codes", str(codes), "--start-delay-ms", "1000",
                                      "--tick-us", str(tick_us)],
                                     stdout=subprocess.PIPE, text=True)
        m = re.search(r":(\d+)$", self.proc.stdout.readline().strip())
        self.port = int(m.group(1))

    def line(self, word, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            r, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if r:
                parts = self.proc.stdout.readline().split()
                if parts and parts[0] == word:
                    return [int(p) for p in parts[1:]]
        raise RuntimeError("feeder: no '%s' line within %d s" % (word, timeout))

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def settle(pid, quiet=0.3, limit=30):
    """Waits until the process has used no CPU for `quiet` seconds; returns
    (cpu seconds, VmHWM KiB) at that point."""
    end = time.monotonic() + limit
    last = cpu_seconds(pid)
    while time.monotonic() < end:
        time.sleep(quiet)
        now = cpu_seconds(pid)
        if now - last < 1.5 / TICK:
            return now, vm_hwm_kib(pid)
        last = now
    return last, vm_hwm_kib(pid)


def measure(proc, feeder, duration, on_start=None):
    """CPU and wall time of `proc` over the feed: from the feeder's start
    line until `proc` has gone idle after the end line."""
    start = feeder.line("start", 60)
    if on_start:
        on_start()
    cpu0 = cpu_seconds(proc.pid)
    cs0 = ctx_switches(proc.pid)
    th0 = thread_cpu(proc.pid)
    t0 = time.monotonic()
    end = feeder.line("end", duration + 60)
    cpu_end = cpu_seconds(proc.pid)
    t_end = time.monotonic()
    cpu1, hwm = settle(proc.pid)
    cs1 = ctx_switches(proc.pid)
    th1 = thread_cpu(proc.pid)
    main_tid = str(proc.pid)
    return {"ctxsw": cs1 - cs0, "loop_cpu_s": th1.get(main_tid, 0) - th0.get(main_tid, 0),
            "threads_cpu_s": sum(v - th0.get(k, 0) for k, v in th1.items() if k != main_tid), "sent": end[2], "feed_s": (end[1] - start[1]) / 1e9, "cpu_s": cpu1 - cpu0,
            "cpu_feed_s": cpu_end - cpu0, "wall_feed_s": t_end - t0, "hwm_kib": hwm}


def run_reference(name, argv, feeder, duration, cwd=None, env=None):
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd,
                            env=env)
    try:
        r = measure(proc, feeder, duration)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    got = kv(out)
    if "frames" not in got:
        raise RuntimeError("%s printed no result: %s %s" % (name, out, err[-500:]))
    r["frames"] = got["frames"]
    r["rate"] = got["frames"] / max(1e-9, (got["last_ns"] - got["first_ns"]) / 1e9)
    return r


def codes(n):
    real = ["BTC", "ETH", "XRP", "SOL", "DOGE", "ADA", "TRX", "AVAX", "LINK", "DOT", "BCH", "SHIB",
            "ETC", "XLM", "ATOM", "SUI"]
    return ["KRW-" + (real[i] if i < len(real) else "T%03d" % i) for i in range(n)]


def upws_config(work, port, plugins_dir, counters, n_codes):
    """counters: list of (name, delivery, sleep_ms)."""
    lines = ["upbit:", "  public_url: ws://127.0.0.1:%d/websocket/v1" % port,
             "  rest_url: http://127.0.0.1:%d" % port, "admin:", "  listen: 'off'",
             "log:", "  level: warn", "  summary_interval: 0", "plugin_dirs: [%s]" % plugins_dir,
             "plugins:"]
    cl = "[" + ", ".join(codes(n_codes)) + "]"
    for name, delivery, sleep_ms in counters:
        lines += ["  - name: %s" % name, "    plugin: bench_counter", "    config:",
                  "      out: %s" % os.path.join(work, name + ".txt"),
                  "      types: [ticker, trade]", "      codes: %s" % cl,
                  "      delivery: %s" % delivery, "      sleep_ms: %d" % sleep_ms]
    path = os.path.join(work, "upws.yaml")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def run_upws(args, feeder, counters, duration):
    work = tempfile.mkdtemp(prefix="upws-bench-")
    cfg = upws_config(work, feeder.port, args.plugins, counters, args.codes)
    log = open(os.path.join(work, "upws.log"), "w")
    pin = ["taskset", "-c", args.taskset] if args.taskset else []
    proc = subprocess.Popen(pin + [args.upws, "run", "-c", cfg], stdout=log, stderr=log)
    perf = []

    def attach():  # profile the feed; attached once the plugin threads exist
        perf.append(subprocess.Popen(["perf", "record", "-F", "1999", "-g", "-p", str(proc.pid), "-o",
                                      args.perf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    try:
        r = measure(proc, feeder, duration, attach if args.perf else None)
        for p in perf:
            p.send_signal(signal.SIGINT)
            p.wait(30)
        time.sleep(1.2)  # the counters write their figures every second
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            pass  # a slow plugin holds the stop up; its figures do not matter
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
    r["plugins"] = {}
    for name, _, _ in counters:
        with open(os.path.join(work, name + ".txt")) as f:
            p = kv(f.read())
        p["rate"] = p["events"] / max(1e-9, (p["last_ns"] - p["first_ns"]) / 1e9)
        r["plugins"][name] = p
    if os.environ.get('UPWS_BENCH_KEEP'):
        print('kept', work)
    else:
        shutil.rmtree(work, ignore_errors=True)
    return r


def fast_plugins(r):
    return [p for n, p in r["plugins"].items() if not n.startswith("slow")]


def summarize(name, r, quiet=False):
    if "plugins" in r:
        ps = fast_plugins(r)
        r["rate"] = min(p["rate"] for p in ps)
        r["events_min"] = min(p["events"] for p in ps)
        r["dropped"] = sum(p["dropped"] for p in ps)
        for q in ("p50_ns", "p99_ns", "p999_ns"):
            r[q] = max(p[q] for p in ps)
        r["frames"] = r["sent"]
    r["cpu_us_per_msg"] = r["cpu_s"] * 1e6 / max(1, r["sent"])
    r["cpu_pct"] = 100 * r["cpu_feed_s"] / max(1e-9, r["wall_feed_s"])
    r["ctxsw_per_msg"] = r["ctxsw"] / max(1, r["sent"])
    r["loop_us_per_msg"] = r["loop_cpu_s"] * 1e6 / max(1, r["sent"])
    line = "%-22s %9.0f msgs/s  %6.2f us/msg (loop %.2f)  %5.1f %% CPU  %7.1f MiB peak  %5.2f cs/msg" % (
        name, r["rate"], r["cpu_us_per_msg"], r["loop_us_per_msg"], r["cpu_pct"], r["hwm_kib"] / 1024,
        r["ctxsw_per_msg"])
    if "p99_ns" in r:
        line += "  p50 %.0f / p99 %.0f / p999 %.0f us  lost %d" % (
            r["p50_ns"] / 1e3, r["p99_ns"] / 1e3, r["p999_ns"] / 1e3, r["sent"] - r["events_min"])
    if "range" in r and len(set(r["range"])) > 1:
        line += "  (of %d runs: %.0f..%.0f)" % (r.get("runs", 0), r["range"][0], r["range"][1])
    if not quiet:
        print(line, flush=True)
    return r


def median_run(name, runs, rate_in):
    """Of repeated runs, the one with the median figure that matters (msgs/s
    when saturated, CPU at a fixed rate); the others' range is kept."""
    for r in runs:
        r["rate_in"] = rate_in
        summarize(name, r, quiet=True)
    key = "rate" if not rate_in else "cpu_pct"
    runs.sort(key=lambda r: r[key])
    pick = dict(runs[len(runs) // 2])
    pick["range"] = [runs[0][key], runs[-1][key]]
    pick["runs"] = len(runs)
    # Latency is a figure of its own: its median over the runs, not the
    # latency of the run that had the median rate or CPU.
    for q in ("p50_ns", "p99_ns", "p999_ns"):
        if q in pick:
            pick[q] = sorted(r[q] for r in runs)[len(runs) // 2]
    if "events_min" in pick:  # "lost": the worst run's
        pick["events_min"] = pick["sent"] - max(r["sent"] - r["events_min"] for r in runs)
    pick["all"] = [{k: r.get(k) for k in (key, "p99_ns", "hwm_kib", "cpu_us_per_msg")} for r in runs]
    return summarize(name, pick)


def scenario(args, name, rate, consumer, duration=None, tick_us=1000):
    duration = duration or args.duration
    runs = []
    for _ in range(args.repeat):
        feeder = Feeder(args.feeder, rate, duration, args.codes, tick_us)
        try:
            runs.append(run_upws(args, feeder, consumer, duration))
        finally:
            feeder.stop()
    return median_run(name, runs, rate)


def counters(n, delivery="default", slow=0):
    cs = [("c%02d" % i, delivery, 0) for i in range(n)]
    if slow:
        cs.append(("slow", delivery, slow))
    return cs


def ccxt_available():
    return os.path.isdir(os.path.join(HERE, "node_modules", "ccxt")) and shutil.which("node")


def python_available():
    return subprocess.run(["/usr/bin/python3", "-c", "import websockets"], capture_output=True).returncode == 0


def scenarios(args):
    """Every scenario in run order: (short name for --only, table name, how
    to run it). Nothing runs until called."""
    floor = [args.lws_count, "0"]
    raw = [os.path.join(os.path.dirname(args.lws_count), "bench_raw_count"), "0"]
    raw_ok = os.path.exists(raw[0])
    py = ["/usr/bin/python3", os.path.join(HERE, "py_consumer.py"), "0"]
    ccxt = ["node", os.path.join(HERE, "ccxt_consumer.js"), "0"]

    def ref(name, rate, argv, tick_us=1000, pt_buf=None):
        def run():
            env = dict(os.environ, BENCH_PT_BUF=str(pt_buf or args.pt_buf))
            runs = []
            for _ in range(args.repeat):
                # The port is only known once the feeder runs: patch it in.
                feeder = Feeder(args.feeder, rate, args.duration, args.codes, tick_us)
                try:
                    a = list(argv)
                    a[-1] = str(feeder.port)
                    runs.append(run_reference(name, a, feeder, args.duration, cwd=HERE, env=env))
                finally:
                    feeder.stop()
            return median_run(name, runs, rate)
        return run

    def up(name, rate, cs, tick_us=1000):
        return lambda: scenario(args, name, rate, cs, tick_us=tick_us)

    py_ok, ccxt_ok = python_available(), ccxt_available()
    out = [("floor", "floor (lws count)", ref("floor (lws count)", 0, floor))]
    if args.pt_buf != 4096:
        out.append(("floor4k", "floor, lws default 4 KiB reads",
                    ref("floor, lws default 4 KiB reads", 0, floor, pt_buf=4096)))
    if raw_ok:
        out.append(("raw", "raw framing, no lws", ref("raw framing, no lws", 0, raw)))
    if py_ok:
        out.append(("python", "python websockets+json", ref("python websockets+json", 0, py)))
    if ccxt_ok:
        out.append(("ccxt", "ccxt watchTickers", ref("ccxt watchTickers", 0, ccxt)))
    for n in (1, 10, 50):
        out.append(("sat%d" % n, "upws sat %d" % n, up("upws sat %d" % n, 0, counters(n, "lossless"))))
    out.append(("sat10slow", "upws sat 10 + slow", up("upws sat 10 + slow", 0, counters(10, "lossless", 100))))
    out.append(("floor@rate", "floor @rate", ref("floor @rate", args.rate, floor)))
    if raw_ok:
        out.append(("raw@rate", "raw framing @rate", ref("raw framing @rate", args.rate, raw)))
    if py_ok:
        out.append(("python@rate", "python @rate", ref("python @rate", args.rate, py)))
    if ccxt_ok:
        out.append(("ccxt@rate", "ccxt @rate", ref("ccxt @rate", args.rate, ccxt)))
    for n in (1, 10, 50):
        out.append(("rate%d" % n, "upws @rate %d" % n, up("upws @rate %d" % n, args.rate, counters(n))))
    out.append(("rate10slow", "upws @rate 10 + slow",
                up("upws @rate 10 + slow", args.rate, counters(10, "default", 100))))
    out.append(("floor@even", "floor @rate even", ref("floor @rate even", args.rate, floor, tick_us=0)))
    for n in (1, 10):
        out.append(("rate%deven" % n, "upws @rate %d even" % n,
                    up("upws @rate %d even" % n, args.rate, counters(n), tick_us=0)))
    return out


def run_all(args, only=None):
    R = {}
    if not python_available():
        print("python websockets+json: skipped (apt-get install python3-websockets)")
    if not ccxt_available():
        print("ccxt watchTickers: skipped (npm unreachable or not installed: see run.sh)")
    known = scenarios(args)
    if only:
        unknown = set(only) - {k for k, _, _ in known}
        if unknown:
            sys.exit("--only: unknown scenario(s) %s; known: %s" % (
                ", ".join(sorted(unknown)), " ".join(k for k, _, _ in known)))
    heads = {"floor": "-- saturated (feeder as fast as the socket allows), %d s each" % args.duration,
             "floor@rate": "-- fixed rate %d msgs/s in 1 ms ticks, %d s each" % (args.rate, args.duration),
             "floor@even": "-- fixed rate %d msgs/s, every frame on its own (evenly paced)" % args.rate}
    for key, name, run in known:
        if only and key not in only:
            continue
        if key in heads and not only:
            print(heads[key], flush=True)
        R[name] = run()
    return R


def verdict(ok):
    return "met" if ok else "**missed**"


def targets(R, rate):
    """The issue's targets; a target whose scenarios did not run (--only) is
    left out."""
    rows = []

    def add(what, target, value, ok):
        rows.append((what, target, value, verdict(ok)))

    def have(*names):
        return all(n in R for n in names)

    if have("floor (lws count)", "upws sat 1"):
        floor, s1 = R["floor (lws count)"]["rate"], R["upws sat 1"]
        add("1 plugin, saturated: msgs/s delivered", "≥ 0.6 × floor = %.0f" % (0.6 * floor),
            "%.0f (%.2f × floor)" % (s1["rate"], s1["rate"] / floor), s1["rate"] >= 0.6 * floor)
    for ref, k in (("ccxt watchTickers", 2.8), ("python websockets+json", 2.5)):
        if have(ref, "upws sat 1"):
            s1 = R["upws sat 1"]
            add("1 plugin vs %s" % ref, "≥ %.1f ×" % k, "%.2f ×" % (s1["rate"] / R[ref]["rate"]),
                s1["rate"] >= k * R[ref]["rate"])
    if have("upws sat 10"):
        s10 = R["upws sat 10"]
        add("10 plugins, saturated: msgs/s each", "≥ 80,000", "%.0f" % s10["rate"], s10["rate"] >= 80000)
    if have("upws @rate 1"):
        r1 = R["upws @rate 1"]
        add("CPU at %d msgs/s, 1 plugin" % rate, "≤ 10 %", "%.1f %%" % r1["cpu_pct"], r1["cpu_pct"] <= 10)
    if have("upws @rate 10"):
        r10 = R["upws @rate 10"]
        add("CPU at %d msgs/s, 10 plugins" % rate, "≤ 15 %", "%.1f %%" % r10["cpu_pct"], r10["cpu_pct"] <= 15)
        add("p99 frame → callback, %d msgs/s, 10 plugins" % rate, "≤ 100 µs",
            "%.0f µs" % (r10["p99_ns"] / 1e3), r10["p99_ns"] <= 100000)
        add("peak RSS, 10 plugins × %d codes" % 100, "≤ 16 MiB", "%.1f MiB" % (r10["hwm_kib"] / 1024),
            r10["hwm_kib"] <= 16 * 1024)
    if have("upws @rate 10", "upws @rate 50"):
        growth = (R["upws @rate 50"]["hwm_kib"] - R["upws @rate 10"]["hwm_kib"]) / 40
        add("RSS growth per extra plugin (10 → 50)", "≤ 256 KiB", "%.0f KiB" % growth, growth <= 256)
    if have("upws @rate 10", "upws @rate 10 + slow"):
        r10, sl = R["upws @rate 10"], R["upws @rate 10 + slow"]
        add("slow plugin (100 ms/callback): others' p99 at %d msgs/s" % rate, "unchanged (vs %.0f µs)"
            % (r10["p99_ns"] / 1e3), "%.0f µs" % (sl["p99_ns"] / 1e3),
            sl["p99_ns"] <= max(1.25 * r10["p99_ns"], r10["p99_ns"] + 20000))
    if have("upws sat 10", "upws sat 10 + slow"):
        ss, s10r = R["upws sat 10 + slow"], R["upws sat 10"]
        rin, rin_ref = ss["sent"] / ss["feed_s"], s10r["sent"] / s10r["feed_s"]
        add("slow plugin: loop receive rate, saturated, 10 plugins", "unchanged (vs %.0f/s)" % rin_ref,
            "%.0f/s (%.2f ×)" % (rin, rin / rin_ref), rin >= 0.9 * rin_ref)
    return rows


def markdown(R, rows, rate):
    out = ["| consumer | rate in | msgs/s | CPU µs/msg | CPU % | peak RSS MiB | p50 µs | p99 µs | p999 µs | lost | spread |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for name, r in R.items():
        lat = ["%.0f" % (r[q] / 1e3) if q in r else "" for q in ("p50_ns", "p99_ns", "p999_ns")]
        lost = str(r["sent"] - r["events_min"]) if "events_min" in r else ""
        spread = ""
        if len(r.get("range", [])) == 2:
            spread = ("%.0f..%.0f msgs/s" if not r["rate_in"] else "%.1f..%.1f %% CPU") % tuple(r["range"])
        out.append("| %s | %s | %.0f | %.2f | %.1f | %.1f | %s | %s | %s |" % (
            name, "max" if not r["rate_in"] else "%d/s" % r["rate_in"], r["rate"], r["cpu_us_per_msg"],
            r["cpu_pct"], r["hwm_kib"] / 1024, " | ".join(lat), lost, spread))
    if rows:
        out += ["", "| target | wanted | measured | |", "|---|---|---|---|"]
        out += ["| %s | %s | %s | %s |" % row for row in rows]
    return "\n".join(out)


def host_pt_buf():
    """The lws service buffer upws reads with (host/host.c), so the floor
    client reads the same way; lws's default is 4096."""
    try:
        with open(os.path.join(HERE, "..", "..", "host", "host.c")) as f:
            m = re.search(r"pt_serv_buf_size\s*=\s*(\d+)", f.read())
        return int(m.group(1)) if m else 4096
    except OSError:
        return 4096


def machine():
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = re.search(r"model name\s*:\s*(.*)", f.read()).group(1)
    except (OSError, AttributeError):
        pass
    load = open("/proc/loadavg").read().split()[:3]
    return "%s, nproc %d, %s, load %s" % (platform.node(), os.cpu_count(), model, " ".join(load))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upws", required=True)
    ap.add_argument("--feeder", required=True)
    ap.add_argument("--lws-count", required=True)
    ap.add_argument("--plugins", required=True)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--rate", type=int, default=10000)
    ap.add_argument("--codes", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3, help="runs per scenario; the median is reported")
    ap.add_argument("--json")
    ap.add_argument("--pt-buf", type=int, default=0,
                    help="the floor client's lws pt_serv_buf_size; default: what host/host.c sets, else 4096")
    ap.add_argument("--wake", help="bench_wake: print this machine's wake-up costs first")
    ap.add_argument("--taskset", help="experiments: run upws pinned to these CPUs (taskset -c)")
    ap.add_argument("--perf", help="with --only and one upws scenario: perf record the upws process "
                    "into this file (implies --repeat 1)")
    ap.add_argument("--only", help="comma-separated scenarios to run (e.g. floor,sat1,rate1,rate10); "
                    "an unknown name lists them all")
    args = ap.parse_args()
    for k in ("upws", "feeder", "lws_count", "plugins"):
        setattr(args, k, os.path.abspath(getattr(args, k)))
    args.pt_buf = args.pt_buf or host_pt_buf()
    print("upws benchmark — %s — %s" % (time.strftime("%Y-%m-%d %H:%M %Z"), machine()), flush=True)
    print("floor client reads like upws: lws pt_serv_buf_size %d" % args.pt_buf)
    if args.wake:
        print("wake-up CPU cost here (bench_wake): " +
              subprocess.run([args.wake], capture_output=True, text=True).stdout.strip() + " (µs)", flush=True)
    only = args.only.split(",") if args.only else None
    if args.perf:
        args.repeat = 1
    R = run_all(args, only)
    rows = targets(R, args.rate)
    print()
    print(markdown(R, rows, args.rate))
    print("\nload after the run: %s" % open("/proc/loadavg").read().strip())
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": machine(), "results": R}, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
