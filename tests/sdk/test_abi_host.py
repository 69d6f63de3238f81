"""ABI guarantees against today's host (ABI 1.2) and the mock:
  - plugins built against the frozen 1.0 and 1.1 headers load, receive data
    and see the host's version; all three get the same host table;
  - a plugin built against the test-only next minor (1.3) that declares 1.1
    sees, through UPWS_API_HAS, that the 1.2 rest_private_get is there and
    the 1.3 function is absent, sees events large enough to carry the 1.2
    views, and still works;
  - one that declares 1.3 is refused naming both versions, at load and by
    plugin-info; another major is refused the same way, and runs no code;
  - the frozen headers themselves never change."""
import hashlib
import os
import re
import sys

sys.path.insert(0, os.path.join(os.environ["UPWS_SOURCE"], "tests", "integration"))
from harness import (Host, Mock, check, done, probe_lines, run, tmpdir, wait_for,  # noqa: E402
                     write_config)

SDK_FIXTURES = os.environ["UPWS_SDK_FIXTURES"]
HERE = os.path.dirname(os.path.abspath(__file__))

# The versions this test is written for; the header must agree.
HOST = "1.2"      # sdk/include/upws/plugin.h, what the host provides
FUTURE = "1.3"    # tests/sdk/upws_plugin_future.h
with open(os.path.join(os.environ["UPWS_SOURCE"], "sdk", "include", "upws", "plugin.h")) as f:
    header = f.read()
found = "%s.%s" % (re.search(r"#define UPWS_ABI_MAJOR (\d+)", header).group(1),
                   re.search(r"#define UPWS_ABI_MINOR (\d+)", header).group(1))
check(found == HOST, "the current header is ABI %s, as this test expects (found %s; a newer minor means "
      "moving tests/sdk forward one minor)" % (HOST, found))

# The frozen headers are part of the test's definition of ABI 1.0 and 1.1.
FROZEN_SHA256 = {
    "upws_plugin_1_0.h": "2f4e14a3043f7b91ecb14c8204c04046afc2206bbee7fce85d7ab89dccbafca0",
    "upws_plugin_1_1.h": "36a7965ba77762217308a270af19654e59ad02efbb4c0a2d204fc10b310515f0",
}
for name, want in sorted(FROZEN_SHA256.items()):
    with open(os.path.join(HERE, name), "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    check(digest == want, "tests/sdk/%s is unchanged (sha256 %s)" % (name, digest))

rc, out, err = run("version")
check(rc == 0 and "plugin ABI %s" % HOST in out, "version prints ABI %s: %s" % (HOST, out.strip()))
for probe, ver in (("abi10_probe", "1.0"), ("abi11_probe", "1.1"), ("future_compat", "1.1")):
    rc, out, err = run("plugin-info", os.path.join(SDK_FIXTURES, probe + ".so"))
    check(rc == 0 and "ABI:         %s (host %s)" % (ver, HOST) in out,
          "plugin-info accepts %s (ABI %s): %s" % (probe, ver, (out + err).strip()))
REFUSED_NEWER = "plugin built for ABI %s, host provides %s" % (FUTURE, HOST)
rc, out, err = run("plugin-info", os.path.join(SDK_FIXTURES, "future_newer.so"))
check(rc == 1 and REFUSED_NEWER in err, "plugin-info refuses a newer minor naming both: %s" % err.strip())

work = tmpdir()
mock = Mock(work, "--seed", "5", "--trade-rate", "20")
cfg = os.path.join(work, "upws.yaml")
outs = {"v10": os.path.join(work, "abi10.txt"), "v11": os.path.join(work, "abi11.txt"),
        "compat": os.path.join(work, "compat.txt")}
write_config(cfg, mock.url, [
    ("v10", "abi10_probe", {"out": outs["v10"], "codes": ["KRW-BTC"]}),
    ("v11", "abi11_probe", {"out": outs["v11"], "codes": ["KRW-XRP"]}),
    ("compat", "future_compat", {"out": outs["compat"], "codes": ["KRW-ETH"]}),
    ("newer", "future_newer", {"out": os.path.join(work, "never.txt"), "codes": ["KRW-BTC"]}),
    ("other-major", "fx_wrong_major", {}),
], dirs=[SDK_FIXTURES, os.environ["UPWS_FIXTURES"]])
host = Host(work, cfg)
try:
    for inst, what in (("v10", "the 1.0 plugin"), ("v11", "the 1.1 plugin"),
                       ("compat", "the next-minor-built plugin declaring 1.1")):
        check(wait_for(lambda: len([l for l in probe_lines(outs[inst]) if l[0] == "EVENT"]) >= 3, 10),
              "%s receives trades" % what)
    log = host.log()
    check("'newer'" in log and REFUSED_NEWER in log, "a plugin declaring %s is refused naming both versions" % FUTURE)
    check("'other-major'" in log and "ABI 2.0" in log and "host provides %s" % HOST in log,
          "a plugin of another major is refused naming both versions")
finally:
    rc = host.stop()
    mock.stop()
check(rc == 0, "clean exit (%s)" % rc)

lines = {k: probe_lines(v) for k, v in outs.items()}
init = {k: [l for l in v if l[0] == "INIT"] for k, v in lines.items()}
for k, ver in (("v10", "1.0"), ("v11", "1.1"), ("compat", "1.1")):
    check(init[k] and init[k][0][1:3] == ["plugin=" + ver, "host=" + HOST],
          "%s declares %s and sees host ABI %s: %s" % (k, ver, HOST, init[k]))
if check(all(init.values()), "all three plugins started"):
    desc = {k: int(v[0][4].split("=")[1]) for k, v in init.items()}
    check(desc["v10"] < desc["v11"] < desc["compat"],
          "descriptors grow with the header a plugin was built against (%s)" % desc)
    check(len({v[0][3] for v in init.values()}) == 1, "all get the same host table (%s)" % init["v10"][0][3])
check(["REST_FN", "present"] in lines["compat"], "UPWS_API_HAS reports the 1.2 rest_private_get present")
check(["NEW_FN", "absent"] in lines["compat"], "UPWS_API_HAS reports the %s function absent on a %s host" % (FUTURE, HOST))
check(["EV_1_2", "yes"] in lines["compat"], "events carry the 1.2 fields (ev->struct_size covers myorder/myasset)")
check(all(v and v[-1] == ["STOP"] for v in lines.values()), "all stopped cleanly")
check(not os.path.exists(os.path.join(work, "never.txt")), "the refused plugin ran no code")
done()
