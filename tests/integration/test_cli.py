"""The command line: version, check (errors name file:line:col and key, and
plugin problems are found without connecting), plugin-info."""
import os

from harness import FIXTURES, PLUGINS, check, done, run, tmpdir

work = tmpdir()

rc, out, err = run("version")
check(rc == 0 and "upws" in out and "ABI 1.2" in out, "version prints the ABI")

def cfg(name, text):
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.write(text)
    return path

good = cfg("good.yaml", """upbit:
  public_url: ws://127.0.0.1:1/websocket/v1
plugin_dirs: [%s, %s]
plugins:
  - name: rec
    plugin: csv_recorder
    config: {dir: %s/data, types: [trade], codes: [KRW-BTC]}
""" % (PLUGINS, FIXTURES, work))
rc, out, err = run("check", "-c", good)
check(rc == 0 and "OK (1 plugin instance)" in out, "check accepts a good config: %s" % (out + err).strip())
check(not os.path.exists(os.path.join(work, "data")), "check runs no plugin code")

bad_key = cfg("bad_key.yaml", "upbit:\n  public_url: ws://127.0.0.1:1/x\n  pubic_url: nope\n")
rc, out, err = run("check", "-c", bad_key)
check(rc != 0 and "bad_key.yaml:3:3: key 'upbit.pubic_url'" in err, "unknown key named with file:line:col: %s" % err.strip())

bad_plugin_key = cfg("bad_plugin_key.yaml", """plugin_dirs: [%s]
plugins:
  - name: rec
    plugin: csv_recorder
    config:
      dir: /tmp/x
      colour: blue
""" % PLUGINS)
rc, out, err = run("check", "-c", bad_plugin_key)
check(rc != 0 and "bad_plugin_key.yaml:7:7: key 'plugins[0].config.colour': unknown key for plugin 'csv_recorder'" in err,
      "unknown plugin config key named with position: %s" % err.strip())

wrong_abi = cfg("wrong_abi.yaml", "plugin_dirs: [%s]\nplugins:\n  - name: old\n    plugin: fx_wrong_major\n" % FIXTURES)
rc, out, err = run("check", "-c", wrong_abi)
check(rc != 0 and "ABI 2.0" in err and "host provides 1.2" in err, "check refuses a wrong ABI naming both: %s" % err.strip())

plain_ws = cfg("plain_ws.yaml", "upbit:\n  public_url: ws://api.upbit.com/websocket/v1\n")
rc, out, err = run("check", "-c", plain_ws)
check(rc != 0 and "loopback" in err, "plain ws:// to a remote host is refused: %s" % err.strip())

rc, out, err = run("plugin-info", os.path.join(PLUGINS, "csv_recorder.so"))
check(rc == 0 and "name:        csv_recorder" in out and "dir" in out, "plugin-info shows the descriptor")
rc, out, err = run("plugin-info", os.path.join(FIXTURES, "fx_newer_minor.so"))
check(rc != 0 and "ABI 1.3" in err and "host provides 1.2" in err, "plugin-info refuses a newer minor: %s" % err.strip())

# Secrets never leave: a key in the environment is not echoed by any error.
env = dict(os.environ, UPBIT_SECRET_KEY="s3cr3t-value-xyz")
keys_only_secret = cfg("secret.yaml", "upbit:\n  access_key: ''\n  secret_key: ${UPBIT_SECRET_KEY}\n")
rc, out, err = run("check", "-c", keys_only_secret, env=env)
check(rc != 0 and "s3cr3t-value-xyz" not in out + err, "a half-configured key pair is refused without printing the secret")

rc, out, err = run("check", "-c", os.path.join(work, "missing.yaml"))
check(rc != 0 and "missing.yaml" in err, "missing config file reported")
rc, out, err = run("frobnicate")
check(rc != 0 and "usage" in err, "unknown command prints usage")
done()
