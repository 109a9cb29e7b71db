#!/usr/bin/python3
"""it_config_parity: one log under one non-default config file learns the
same profiles through the daemon (penchantd --config, penchant send) and
through `penchant replay --config`: every setting means the same in both.
A replay without the file learns something else (the test can fail).

Usage: it_config_parity.py PENCHANTD PENCHANT
Exit 0 pass, 1 fail.
"""
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

FAILS = []

CONFIG = """# a tuned configuration, far from the defaults
learning_rate = 0.2
decay_per_day = 0.6
short_half_life_h = 3
signal_click = 0.45
signal_cart = 0.65
impression_signal = -0.05
repeat_plain = true
geo_half_life_days = 2
verbs = wishlist:0.35, play:-0.15
"""

CATALOG = [
    {"id": "e%d" % i, "category": ["music", "sports", "food", "art"][i % 4],
     "tags": ["t%d" % (i % 7), "t%d" % ((i * 3 + 1) % 7)],
     "lat": 52.5 + i / 100.0, "lon": 13.4}
    for i in range(12)
]
VERBS = ["view", "view", "click", "cart", "purchase", "like", "skip",
         "impression", "wishlist", "play", "feedback"]


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


def events():
    """Time-ordered events of 9 users over the last 6 days (the daemon
    accepts recent times only); deterministic."""
    rnd = random.Random(7)
    now = int(time.time() * 1000)
    t = now - 6 * 86400000
    out = []
    for k in range(400):
        t += rnd.randint(1, 1200) * 1000
        ev = {"user_id": "user-%d" % rnd.randint(0, 8),
              "event_type": rnd.choice(VERBS),
              "entity_id": "e%d" % rnd.randint(0, 11),
              "timestamp": t,
              "context": {"device": rnd.choice(["mobile", "desktop"]),
                          "location": {"lat": 52.5 + rnd.random() / 10,
                                       "lon": 13.4}},
              "metadata": {}}
        if ev["event_type"] == "feedback":
            ev["metadata"]["feedbackType"] = rnd.choice(["positive",
                                                         "negative"])
        if ev["event_type"] in ("impression", "click"):
            ev["metadata"]["recommendationPosition"] = rnd.randint(1, 8)
        out.append(ev)
    return out


def comparable(p):
    """A profile minus what is judged against a clock: engagement is as of
    the wall clock live and as of the log's end in a replay."""
    p = dict(p)
    b = dict(p.pop("behavior"))
    b.pop("engagement")
    p["behavior"] = b
    return p


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 1
    daemon, pen = sys.argv[1], sys.argv[2]
    inst = "parity-%d" % os.getpid()
    with tempfile.TemporaryDirectory(prefix="it-parity-") as d:
        cfg = os.path.join(d, "tuned.conf")
        cat = os.path.join(d, "catalog.jsonl")
        log = os.path.join(d, "events.jsonl")
        with open(cfg, "w") as f:
            f.write(CONFIG)
        with open(cat, "w") as f:
            for c in CATALOG:
                f.write(json.dumps(c) + "\n")
        evs = events()
        with open(log, "w") as f:
            for e in evs:
                f.write(json.dumps(e) + "\n")
        users = sorted({e["user_id"] for e in evs})

        proc = subprocess.Popen(
            [daemon, "--config", cfg, "--instance", inst, "--state-dir",
             os.path.join(d, "state"), "--no-snapshot", "--shards", "2",
             "--udp-listen=", "--tcp-listen=", "--forward-listen=",
             "--http-listen=", "--rank-listen="],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            for _ in range(200):
                if run([pen, "--instance", inst, "status"]).returncode == 0:
                    break
                time.sleep(0.05)
            r = run([pen, "--instance", inst, "catalog", "load", cat])
            check(r.returncode == 0, "catalog loads: " + r.stderr.strip())
            with open(log) as f:
                r = run([pen, "--instance", inst, "send"], stdin=f)
            check(r.returncode == 0, "send takes every line: " +
                  r.stderr.strip())
            for _ in range(200):
                st = json.loads(run([pen, "--instance", inst, "--json",
                                     "status"]).stdout)
                if st["applied"] >= len(evs):
                    break
                time.sleep(0.05)
            check(st["applied"] == len(evs), "all %d applied" % len(evs))
            live = {}
            for u in users:
                r = run([pen, "--instance", inst, "profile", u, "--json"])
                live[u] = json.loads(r.stdout)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)

        out = os.path.join(d, "replayed.jsonl")
        # The instance's key file keys the replay's users as the daemon's.
        state = os.path.join(d, "state")
        key = os.path.join(state, inst + ".key")
        check(os.path.exists(key) and os.stat(key).st_mode & 0o777 == 0o600,
              "the daemon made its pseudonymization key, mode 0600")
        r = run([pen, "--instance", inst, "replay", log, "--quiet",
                 "--config", cfg, "--state-dir", state, "--catalog", cat,
                 "--out", out])
        check(r.returncode == 0, "replay --config runs: " + r.stderr.strip())
        with open(out) as f:
            rep = {p["user"]: p for p in map(json.loads, f)}
        same = [u for u in users
                if comparable(live[u]) == comparable(rep.get(u, {"behavior":
                                                              {"engagement":
                                                               0}}))]
        for u in users:
            if u in same:
                continue
            a, b = comparable(live[u]), comparable(rep[u])
            for k in a:
                if a[k] != b.get(k):
                    print("  %s %s: live %s\n  %s replay %s" %
                          (u, k, json.dumps(a[k])[:300], " " * len(u),
                           json.dumps(b.get(k))[:300]))
        check(len(same) == len(users),
              "daemon and replay agree on %d of %d profiles, exactly"
              % (len(same), len(users)))
        check(any(live[u]["counts"].get("wishlist") for u in users),
              "the custom verb was learned")

        r = run([pen, "replay", log, "--quiet", "--config", cfg,
                 "--catalog", cat, "--out", out])
        with open(out) as f:
            unkeyed = {p["user"]: p for p in map(json.loads, f)}
        check(all(unkeyed[u]["user_key"] != live[u]["user_key"]
                  for u in users),
              "without the instance's key the user keys differ")
        r = run([pen, "--instance", inst, "replay", log, "--quiet",
                 "--state-dir", state, "--catalog", cat, "--out", out])
        with open(out) as f:
            plain = {p["user"]: p for p in map(json.loads, f)}
        diff = sum(comparable(plain[u]) != comparable(live[u])
                   for u in users)
        check(diff == len(users),
              "without --config the replay learns differently (%d of %d)"
              % (diff, len(users)))
    print("%d failed" % len(FAILS))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
