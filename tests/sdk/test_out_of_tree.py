"""Out-of-tree: install the build to a temporary prefix, then, using only that
prefix (no path into the source or build tree, a clean environment):
generate a project with the installed `upws new-plugin`, build it with CMake
(find_package(upws)), build the installed vwap example with CMake and the
installed spread_alert example with pkg-config and cc, check the plugin
files, and run them in the installed host against the installed mock."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

T0 = time.monotonic()
SOURCE = os.path.realpath(os.environ["UPWS_SOURCE"])
BUILD = os.path.realpath(os.environ["UPWS_BUILD_DIR"])
CMAKE = os.environ.get("UPWS_CMAKE", "cmake")
CC = os.environ.get("UPWS_CC", "cc")

work = tempfile.mkdtemp(prefix="upws-oot-")
prefix = os.path.join(work, "prefix")

# The harness drives the INSTALLED binaries from here on.
os.environ["UPWS_BIN"] = os.path.join(prefix, "bin", "upws")
os.environ["UPWS_MOCK"] = os.path.join(prefix, "bin", "upws-mock")
os.environ["UPWS_PLUGINS"] = os.path.join(prefix, "lib", "upws", "plugins")
sys.path.insert(0, os.path.join(SOURCE, "tests", "integration"))
from harness import Host, Mock, check, done, write_config, wait_for  # noqa: E402


def clean_env(**extra):
    """No inherited CFLAGS, CMAKE_PREFIX_PATH, PKG_CONFIG_PATH, …: what a
    stranger's shell would have. Sanitizer options pass through for the host."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": work, "LC_ALL": "C"}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TMPDIR"):
        if k in os.environ:
            env[k] = os.environ[k]
    env.update(extra)
    return env


def sh(args, what, env=None, cwd=None):
    p = subprocess.run(args, capture_output=True, text=True, env=env or clean_env(), cwd=cwd, timeout=60)
    check(p.returncode == 0, "%s%s" % (what, "" if p.returncode == 0 else ":\n" + p.stdout + p.stderr))
    return p


def mentions_tree(path):
    """The files of an out-of-tree build must not point into upws's tree."""
    with open(path, errors="replace") as f:
        text = f.read()
    return [t for t in (SOURCE, BUILD) if t in text]


# ---- install ---------------------------------------------------------------
sh([CMAKE, "--install", BUILD, "--prefix", prefix], "cmake --install to a temporary prefix")
for rel in ("bin/upws", "bin/upws-mock", "lib/upws/plugins/csv_recorder.so", "lib/upws/plugins/vwap.so",
            "lib/upws/plugins/spread_alert.so", "include/upws/plugin.h", "lib/cmake/upws/upwsConfig.cmake",
            "lib/cmake/upws/upwsConfigVersion.cmake", "lib/cmake/upws/upws_plugin.cmake",
            "lib/pkgconfig/upws-sdk.pc", "share/man/man1/upws.1", "share/doc/upws/sdk.md",
            "share/upws/examples/upws.service", "share/upws/examples/vwap/vwap.c",
            "share/upws/examples/spread_alert/spread_alert.c"):
    check(os.path.exists(os.path.join(prefix, rel)), "installed %s" % rel)
for rel in ("lib/cmake/upws/upwsConfig.cmake", "lib/pkgconfig/upws-sdk.pc"):
    check(not mentions_tree(os.path.join(prefix, rel)), "%s names no path of the source/build tree" % rel)
    with open(os.path.join(prefix, rel)) as f:
        check("-fsanitize" not in f.read(), "%s forces no sanitizer on plugins" % rel)

# ---- the template ----------------------------------------------------------
upws = os.path.join(prefix, "bin", "upws")
proj = os.path.join(work, "hello")
p = sh([upws, "new-plugin", "hello", proj], "installed upws new-plugin hello")
check("-DCMAKE_PREFIX_PATH=%s" % prefix in p.stdout, "it prints the next commands with the install prefix")
for f in ("CMakeLists.txt", "hello.c", "upws.yaml", "README.md"):
    check(os.path.exists(os.path.join(proj, f)), "generated %s" % f)
p = subprocess.run([upws, "new-plugin", "hello", proj], capture_output=True, text=True)
check(p.returncode == 1 and "not empty" in p.stderr, "it refuses to write into a non-empty directory")
for bad, why in (("Hello", "must match"), ("9lives", "must match"), ("test", "reserved")):
    p = subprocess.run([upws, "new-plugin", bad, os.path.join(work, "bad")], capture_output=True, text=True)
    check(p.returncode == 1 and why in p.stderr and not os.path.exists(os.path.join(work, "bad")),
          "it refuses the name '%s' before writing anything: %s" % (bad, p.stderr.strip()))
p = subprocess.run([upws, "new-plugin"], capture_output=True, text=True)
check(p.returncode == 2 and "usage" in p.stderr, "new-plugin without a name prints the usage")

cmake_args = ["-DCMAKE_PREFIX_PATH=" + prefix, "-DCMAKE_C_COMPILER=" + CC, "-DCMAKE_C_FLAGS=-Werror",
              "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON"]
sh([CMAKE, "-S", proj, "-B", os.path.join(proj, "build")] + cmake_args, "configure the template (find_package)")
sh([CMAKE, "--build", os.path.join(proj, "build")], "build the template")
hello_so = os.path.join(proj, "build", "plugins", "hello.so")

# ---- the installed examples: CMake and pkg-config --------------------------
vwap_src = os.path.join(prefix, "share", "upws", "examples", "vwap")
vwap_build = os.path.join(work, "vwap-build")
sh([CMAKE, "-S", vwap_src, "-B", vwap_build] + cmake_args, "configure the installed vwap example")
sh([CMAKE, "--build", vwap_build], "build the installed vwap example")
vwap_so = os.path.join(vwap_build, "plugins", "vwap.so")

pc_env = clean_env(PKG_CONFIG_PATH=os.path.join(prefix, "lib", "pkgconfig"))
flags = sh(["pkg-config", "--cflags", "--libs", "upws-sdk"], "pkg-config upws-sdk", env=pc_env).stdout.split()
check(not any(SOURCE in f or BUILD in f for f in flags), "pkg-config flags name only the prefix: %s" % flags)
spread_so = os.path.join(work, "spread_alert.so")
sh([CC, "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", *flags, "-o", spread_so,
    os.path.join(prefix, "share", "upws", "examples", "spread_alert", "spread_alert.c")],
   "build the installed spread_alert example with pkg-config")

# The complete plugin of the SDK guide, taken from the installed guide itself.
with open(os.path.join(prefix, "share", "doc", "upws", "sdk.md")) as f:
    guide = f.read()
m = re.search(r"## A complete minimal plugin\n.*?```c\n(.*?)```", guide, re.S)
doc_so = os.path.join(work, "spread_watch.so")
if check(m, "the installed sdk.md has the complete plugin"):
    doc_c = os.path.join(work, "spread_watch.c")
    with open(doc_c, "w") as f:
        f.write(m.group(1))
    sh([CC, "-std=c11", "-Wall", "-Wextra", "-Werror", "-I", os.path.join(prefix, "include"), "-fPIC", "-shared",
        "-fvisibility=hidden", "-Wl,-z,now", "-Wl,-z,defs", "-o", doc_so, doc_c],
       "the guide's plugin builds with the guide's own command line")

for build_dir in (os.path.join(proj, "build"), vwap_build):
    for name in ("CMakeCache.txt", "compile_commands.json"):
        hits = mentions_tree(os.path.join(build_dir, name))
        check(not hits, "%s/%s names no path of the source/build tree %s" % (os.path.basename(build_dir), name, hits))
    with open(os.path.join(build_dir, "compile_commands.json")) as f:
        cmds = " ".join(c["command"] for c in json.load(f))
    check("-fvisibility=hidden" in cmds and "-fPIC" in cmds and "-fsanitize" not in cmds,
          "%s: compiled with hidden visibility and -fPIC, no sanitizer" % os.path.basename(build_dir))

for so in (hello_so, vwap_so, spread_so, doc_so):
    name = os.path.basename(so)
    dyn = sh(["nm", "-D", "--defined-only", so], "nm %s" % name).stdout.split()
    check(dyn[-1:] == ["upws_plugin_v1"] and len(dyn) == 3, "%s exports only upws_plugin_v1: %s" % (name, dyn))
    rd = sh(["readelf", "-d", so], "readelf %s" % name).stdout
    check(re.search(r"\(FLAGS(_1)?\)\s+.*NOW", rd), "%s is linked -z now" % name)
    info = sh([upws, "plugin-info", so], "installed upws plugin-info %s" % name).stdout
    check(re.search(r"ABI:\s+1\.\d+ \(host 1\.\d+\)", info), "%s: the installed host accepts its ABI" % name)

# ---- run: the generated config as is, then everything together -------------
mock = Mock(work, "--seed", "11", "--trade-rate", "20")
os.environ.update(UPWS_PUBLIC_URL=mock.url, UPWS_LOG_LEVEL="debug")
run1 = os.path.join(work, "run1")
os.mkdir(run1)
host = Host(run1, os.path.join(proj, "upws.yaml"))
try:
    check(wait_for(lambda: re.search(r"\[hello\] trade KRW-BTC (BID|ASK) ", host.log()), 15),
          "the generated project runs as generated: [hello] logs trades from the mock")
finally:
    rc = host.stop()
check(rc == 0, "clean exit (%s)" % rc)

run2 = os.path.join(work, "run2")
os.mkdir(run2)
cfg = os.path.join(run2, "upws.yaml")
write_config(cfg, mock.url, [
    ("hello", hello_so, {"codes": ["KRW-BTC", "KRW-ETH"], "report_ms": 300}),
    ("vwap", vwap_so, {"codes": ["KRW-BTC"], "window_ms": 2000, "interval_ms": 300}),
    ("spread", spread_so, {"codes": ["KRW-XRP"], "threshold": 0.15}),
    ("rec", "csv_recorder", {"dir": os.path.join(run2, "data"), "types": ["trade"], "codes": ["KRW-BTC"]}),
    ("guide", doc_so, {"codes": ["KRW-ETH"], "interval_ms": 300}),
], dirs=[os.environ["UPWS_PLUGINS"]])
host = Host(run2, cfg)
try:
    check(wait_for(lambda: re.search(r"\[hello\] [1-9]\d* trades, \d+ tickers since the last report", host.log()), 15),
          "the template plugin reports the trades it received")
    check(wait_for(lambda: re.search(r"\[vwap\] KRW-BTC vwap \S+ over [1-9]", host.log()), 15),
          "the vwap example (CMake build) prints a VWAP")
    check(wait_for(lambda: re.search(r"\[spread\] KRW-XRP spread \S+ crossed (above|below)", host.log()), 15),
          "the spread_alert example (pkg-config build) logs a crossing")
    check(wait_for(lambda: os.path.isdir(os.path.join(run2, "data")) and os.listdir(os.path.join(run2, "data")), 10),
          "the installed csv_recorder records")
    check(wait_for(lambda: re.search(r"\[guide\] mean spread \S+ over [1-9]", host.log()), 15),
          "the guide's plugin logs the mean spread")
    check(re.search(r"\[guide\] KRW-ETH best ask \S+", host.log()), "the guide's plugin logs the SNAPSHOT's exact ask")
finally:
    rc = host.stop()
    mock.stop()
check(rc == 0, "clean exit (%s)" % rc)
elapsed = time.monotonic() - T0
check(elapsed < 60, "done in %.1f s" % elapsed)
shutil.rmtree(work, ignore_errors=True)
done()
