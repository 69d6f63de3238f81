"""docs/upws.1 is kept in sync with `upws --help`: every verb of the usage
text has a SYNOPSIS line and a COMMANDS entry, every option is described,
the version in the title is the binary's, and groff renders it cleanly."""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.environ["UPWS_SOURCE"], "tests", "integration"))
from harness import check, done, run  # noqa: E402

MAN = os.path.join(os.environ["UPWS_SOURCE"], "docs", "upws.1")

rc, usage, _ = run("--help")
check(rc == 0 and usage.startswith("usage:"), "upws --help prints the usage text")
verbs = re.findall(r"^(?:usage:)?\s*upws ([a-z][a-z-]*)", usage, re.M)
options = set(re.findall(r"\s(-{1,2}[a-z][a-z-]*)\b", usage))
check(len(verbs) >= 4, "usage lists the verbs: %s" % verbs)

with open(MAN) as f:
    roff = f.read()
text = roff.replace("\\-", "-")   # roff spells a hyphen-minus \-


def section(name):
    m = re.search(r"^\.SH %s\n(.*?)(?=^\.SH |\Z)" % name, text, re.M | re.S)
    return m.group(1) if m else ""


synopsis, commands, opts = section("SYNOPSIS"), section("COMMANDS"), section("OPTIONS")
for verb in verbs + ["help"]:
    check(re.search(r"^\.B upws %s\b" % re.escape(verb), synopsis, re.M),
          "SYNOPSIS has 'upws %s'" % verb)
    check(re.search(r"^\.TP\n\.BI? \"?%s\b" % re.escape(verb), commands, re.M),
          "COMMANDS has an entry for '%s'" % verb)
for opt in sorted(options):
    check(re.search(r"^\.BI? \"?[^\n]*%s\b" % re.escape(opt), opts + commands, re.M),
          "option %s is described" % opt)

rc, version, _ = run("version")
m = re.search(r"upws (\S+)", version)
check(m and re.search(r'^\.TH UPWS 1 "[^"]*" "upws %s"' % re.escape(m.group(1)), text, re.M),
      "the title carries the binary's version (%s)" % (m.group(1) if m else "?"))

if shutil.which("groff"):
    p = subprocess.run(["groff", "-man", "-ww", "-z", MAN], capture_output=True, text=True)
    check(p.returncode == 0 and not p.stderr.strip(), "groff renders it without warnings: %s" % p.stderr.strip())
done()
