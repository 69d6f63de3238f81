"""ABI guarantees against today's host and the mock: a plugin built against
the frozen 1.0 header loads and receives data; a plugin built against a
(test-only) 1.1 header that declares 1.0 sees, through UPWS_API_HAS, that
the 1.1 function is absent and still works; one that declares 1.1 is
refused naming both versions, at load and by plugin-info; another major is
refused the same way. The frozen header itself must never change."""
import hashlib
import os
import sys

sys.path.insert(0, os.path.join(os.environ["UPWS_SOURCE"], "tests", "integration"))
from harness import (Host, Mock, check, done, probe_lines, run, tmpdir, wait_for,  # noqa: E402
                     write_config)

SDK_FIXTURES = os.environ["UPWS_SDK_FIXTURES"]
HERE = os.path.dirname(os.path.abspath(__file__))

# The frozen 1.0 header is part of the test's definition of ABI 1.0.
FROZEN_SHA256 = "2f4e14a3043f7b91ecb14c8204c04046afc2206bbee7fce85d7ab89dccbafca0"
with open(os.path.join(HERE, "upws_plugin_1_0.h"), "rb") as f:
    digest = hashlib.sha256(f.read()).hexdigest()
check(digest == FROZEN_SHA256, "tests/sdk/upws_plugin_1_0.h is unchanged (sha256 %s)" % digest)

rc, out, err = run("plugin-info", os.path.join(SDK_FIXTURES, "abi10_probe.so"))
check(rc == 0 and "ABI:         1.0 (host 1.1)" in out, "plugin-info accepts a 1.0 plugin: %s" % (out + err).strip())
rc, out, err = run("plugin-info", os.path.join(SDK_FIXTURES, "abi11_newer.so"))
check(rc == 1 and "plugin built for ABI 1.2, host provides 1.1" in err,
      "plugin-info refuses a newer minor naming both: %s" % err.strip())

work = tmpdir()
mock = Mock(work, "--seed", "5", "--trade-rate", "20")
cfg = os.path.join(work, "upws.yaml")
out10 = os.path.join(work, "abi10.txt")
out11 = os.path.join(work, "abi11.txt")
write_config(cfg, mock.url, [
    ("old", "abi10_probe", {"out": out10, "codes": ["KRW-BTC"]}),
    ("compat", "abi11_compat", {"out": out11, "codes": ["KRW-ETH"]}),
    ("newer", "abi11_newer", {"out": os.path.join(work, "never.txt"), "codes": ["KRW-BTC"]}),
    ("other-major", "fx_wrong_major", {}),
], dirs=[SDK_FIXTURES, os.environ["UPWS_FIXTURES"]])
host = Host(work, cfg)
try:
    check(wait_for(lambda: len([l for l in probe_lines(out10) if l[0] == "EVENT"]) >= 3, 10),
          "the 1.0 plugin receives trades")
    check(wait_for(lambda: len([l for l in probe_lines(out11) if l[0] == "EVENT"]) >= 3, 10),
          "the 1.1-built plugin declaring 1.0 receives trades")
    log = host.log()
    check("'newer'" in log and "plugin built for ABI 1.2, host provides 1.1" in log,
          "a plugin declaring 1.1 is refused naming both versions")
    check("'other-major'" in log and "ABI 2.0" in log and "host provides 1.1" in log,
          "a plugin of another major is refused naming both versions")
finally:
    rc = host.stop()
    mock.stop()
check(rc == 0, "clean exit (%s)" % rc)

init10 = [l for l in probe_lines(out10) if l[0] == "INIT"]
check(init10 and init10[0][1:3] == ["plugin=1.0", "host=1.1"], "the 1.0 plugin sees host ABI 1.0: %s" % init10)
init11 = [l for l in probe_lines(out11) if l[0] == "INIT"]
if check(init10 and init11, "both plugins started"):
    api_size = int(init10[0][3].split("=")[1])
    desc10 = int(init10[0][4].split("=")[1])
    desc11 = int(init11[0][4].split("=")[1])
    check(desc11 > desc10, "the 1.1-built descriptor is larger than the 1.0 one (%d > %d)" % (desc11, desc10))
    check(init11[0][3] == init10[0][3], "both get the same host table (%d bytes)" % api_size)
check(["NEW_FN", "absent"] in probe_lines(out11), "UPWS_API_HAS reports the 1.1 function absent on a 1.0 host")
check(probe_lines(out10)[-1] == ["STOP"] and probe_lines(out11)[-1] == ["STOP"], "both stopped cleanly")
check(not os.path.exists(os.path.join(work, "never.txt")), "the refused plugin ran no code")
done()
