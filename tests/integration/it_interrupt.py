#!/usr/bin/python3
"""it_interrupt: commands interrupted or failing half-way leave a state
that says so.

- catalog load stopped by SIGINT while it reads a pipe: the entities read
  stay loaded, the command says it was interrupted and exits 1, and the
  load is in the audit trail, marked interrupted (killed by the signal it
  was in neither).
- send from a stream that stays open: each event is applied while the
  input waits (it was staged until the end of the input), and a SIGINT
  ends it saying so, exit 1, with what came before kept.
- erase interrupted while it waits for a stopped worker: the erasure is
  completed (applied, recorded in the audit trail) and reported, the
  interrupt said; killed, it left one published but in no record.
- segments --export that fails half-way (a file size limit): the file it
  replaces is as it was, no temporary file is left beside it, and the
  command says so; a complete export replaces it; one aimed at the
  instance's state directory (its audit trail there) is refused and the
  trail stays intact.

Usage: it_interrupt.py PENCHANTD PENCHANT
Exit 0 pass, 1 fail.
"""
import json
import os
import resource
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


def part_send(x):
    p = subprocess.Popen([x.pen, "--instance", x.inst, "send"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    t0 = int(time.time() * 1000)
    for k in range(3):
        p.stdin.write(json.dumps({"user_id": "live", "event_type": "click",
                                  "entity_id": "i1", "timestamp": t0 + k})
                      + "\n")
    p.stdin.flush()
    prof = x.wait_events("live", 3, timeout=10)
    check(prof is not None and prof["events"] == 3,
          "send: events applied while its input stays open: %s"
          % (prof and prof["events"]))
    p.send_signal(signal.SIGINT)
    try:
        _, err = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
    check(p.returncode == 1 and "interrupted" in err and
          "sent 3 events" in err,
          "send interrupted: exit 1, said (%d: %s)"
          % (p.returncode, err.strip()))


def _blocks_sigint(pid):
    """Whether pid holds SIGINT off (SigBlk of /proc/PID/status)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("SigBlk:"):
                    return int(line.split()[1], 16) & (1 << (2 - 1)) != 0
    except OSError:
        pass
    return False


def part_erase(x):
    workers = [p["pid"] for p in x.status()["processes"]
               if p["role"] == "worker"]
    for w in workers:
        os.kill(w, signal.SIGSTOP)
    try:
        p = subprocess.Popen([x.pen, "--instance", x.inst, "--json",
                              "erase", "victim"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        t = time.time() + 5
        while time.time() < t and not _blocks_sigint(p.pid):
            time.sleep(0.01)
        p.send_signal(signal.SIGINT)
        time.sleep(0.2)
    finally:
        for w in workers:
            os.kill(w, signal.SIGCONT)
    out, err = p.communicate(timeout=30)
    check(p.returncode == 0 and "held until" in err,
          "erase interrupted while it waits: completed, said (%d: %s)"
          % (p.returncode, err.strip()))
    rep = json.loads(out) if out.strip() else {}
    check(rep.get("complete") is True, "and reported: %s" % out.strip())
    r = x.cli("audit", "show", "--json", "--action", "erase")
    check(r.stdout.count("\n") == 1, "in the audit trail: %s"
          % r.stdout.strip()[-120:])


def _limited():
    """A write past 64 bytes fails (EFBIG) instead of killing."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64))


def part_export(x, d):
    t0 = int(time.time() * 1000) - 3600 * 1000
    x.send([{"user_id": "u%d" % u, "event_type": "click",
             "entity_id": "i%d" % (u % 10), "timestamp": t0 + u * 1000 + k}
            for k in range(3) for u in range(12)])
    time.sleep(0.3)
    r = x.cli("segments", "--refresh", "--wait", "30")
    check(r.returncode == 0, "a segment table: %s" % r.stderr.strip())
    out = os.path.join(d, "out")
    os.mkdir(out)
    path = os.path.join(out, "features.csv")
    with open(path, "w") as f:
        f.write("an earlier export\n")
    r = pentest.run([x.pen, "--instance", x.inst, "segments", "--export",
                     path], preexec_fn=_limited)
    with open(path) as f:
        kept = f.read()
    check(r.returncode == 1 and "as it was" in r.stderr,
          "export failing half-way: exit 1, said (%d: %s)"
          % (r.returncode, r.stderr.strip()))
    check(kept == "an earlier export\n",
          "the file it would replace is as it was: %r" % kept[:60])
    check(os.listdir(out) == ["features.csv"],
          "nothing left beside it: %s" % os.listdir(out))
    trail = os.path.join(x.state, x.inst + ".audit")
    with open(trail, "rb") as f:
        before = f.read()
    r = x.cli("segments", "--export", trail)
    with open(trail, "rb") as f:
        after = f.read()
    check(r.returncode == 2 and "state directory" in r.stderr and
          after == before and x.cli("audit", "verify").returncode == 0,
          "an export over the audit trail is refused, the trail intact "
          "(%d: %s)" % (r.returncode, r.stderr.strip()))
    r = x.cli("segments", "--export", path)
    with open(path) as f:
        rows = f.read().splitlines()
    said = r.stderr.split(" users written")[0].split()[-1]
    check(r.returncode == 0 and len(rows) >= 13 and
          "%d" % (len(rows) - 1) == said and
          os.stat(path).st_mode & 0o777 == 0o600 and
          os.listdir(out) == ["features.csv"],
          "a complete export replaces it, 0600: %d rows, %s"
          % (len(rows), r.stderr.strip()))


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 1
    exe, pen = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="it-interrupt-") as d:
        x = pentest.Daemon(exe, pen, d, "intr-%d" % os.getpid(),
                           ["--segment-interval-s=0", "--segments-k=2",
                            "--no-snapshot"])
        try:
            part_catalog(x)
            part_send(x)
            part_erase(x)
            part_export(x, d)
        finally:
            x.stop()
    return done()


if __name__ == "__main__":
    sys.exit(main())
