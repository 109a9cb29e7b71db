#!/usr/bin/python3
"""it_interrupt: commands interrupted or failing half-way leave a state
that says so.

- catalog load stopped by SIGINT while it reads a pipe: the entities read
  stay loaded, the command says it was interrupted and exits 1, and the
  load is in the audit trail, marked interrupted (killed by the signal it
  was in neither).

Usage: it_interrupt.py PENCHANTD PENCHANT
Exit 0 pass, 1 fail.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import pentest
from pentest import check, done


def part_catalog(x):
    p = subprocess.Popen([x.pen, "--instance", x.inst, "catalog", "load",
                          "-"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    for i in range(10):
        p.stdin.write(json.dumps({"id": "i%d" % i, "category": "c"}) + "\n")
    p.stdin.flush()
    t = time.time() + 20
    while time.time() < t and x.status()["catalog"] < 10:
        time.sleep(0.05)
    p.send_signal(signal.SIGINT)
    try:
        _, err = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
    check(p.returncode == 1 and "interrupted" in err and
          "load the file again" in err,
          "catalog load interrupted: exit 1, said (%d: %s)"
          % (p.returncode, err.strip()))
    check(x.status()["catalog"] == 10,
          "the 10 entities read stay loaded")
    r = x.cli("audit", "show", "--json", "--action", "catalog_load")
    last = json.loads(r.stdout.splitlines()[-1]) if r.stdout else {}
    check(last.get("detail") == "file=(stdin) loaded=10 rejected=0 "
          "interrupted", "in the audit trail, interrupted: %s"
          % last.get("detail"))


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 1
    exe, pen = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="it-interrupt-") as d:
        x = pentest.Daemon(exe, pen, d, "intr-%d" % os.getpid())
        try:
            part_catalog(x)
        finally:
            x.stop()
    return done()


if __name__ == "__main__":
    sys.exit(main())
