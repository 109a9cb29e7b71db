#!/usr/bin/python3
"""it_segments: behavioral segments through the real daemon and replay.

- planted: four populations of distinct behavior (evening sharers,
  morning explorers of many categories, one-category night owls giving
  feedback, local afternoon clickers) sent over the real rings; a refresh
  finds them again (adjusted Rand index >= 0.9, scikit-learn's);
- reference: on the exported feature matrix (penchant segments --export),
  scikit-learn's KMeans with the same k and k-means++ init; penchant's
  inertia is within 1% of it or lower;
- stable ids: after a small change of the population, each planted group
  keeps its segment id;
- kill -9 of the segmenter in the middle of refreshes: the table stays
  whole and readable, the segmenter comes back and refreshes again;
- MovieLens (from ../shared/data; skipped without it) replayed with
  --segments: no segment under 2% or over 80% of the users, every two
  segments apart by at least half a standard deviation in some feature,
  and inertia within 1% of scikit-learn's.

Usage: it_segments.py PENCHANTD PENCHANT
Exit 0 pass, 1 fail, 77 when scikit-learn is missing.
"""
import csv
import json
import os
import random
import signal
import sys
import tempfile
import time

import pentest
from pentest import check, done, run

try:
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score
except ImportError:
    print("SKIP: python3-sklearn and python3-numpy are needed")
    sys.exit(77)

GROUPS = 4
PER = 120
HOUR = 3600 * 1000
DAY = 24 * HOUR


def catalog():
    """Entities of 80 categories, two tags each."""
    return [{"id": "e%d" % i, "category": "c%d" % (i % 80),
             "tags": ["t%d" % (i % 80), "u%d" % (i % 13)]}
            for i in range(800)]


def user_events(g, u, rnd, t0):
    """One planted user of group g: 24..40 events over 5 days."""
    out = []
    n = rnd.randint(24, 40)
    for i in range(n):
        day = rnd.randint(0, 4)
        if g == 0:    # evening sharers of a few categories
            hour, verb = rnd.randint(18, 22), rnd.choice(["share", "click"])
            cat = rnd.randint(0, 2)
        elif g == 1:  # morning explorers of many categories
            hour, verb = rnd.randint(7, 10), rnd.choice(["view", "view",
                                                         "click"])
            cat = rnd.randint(10, 60)
        elif g == 2:  # night owls of one category, giving feedback
            hour, verb = rnd.randint(1, 4), rnd.choice(["save", "like"])
            cat = 70
        else:         # local afternoon clickers
            hour, verb = rnd.randint(13, 16), "click"
            cat = rnd.randint(74, 75)
        ent = cat + 80 * rnd.randint(0, 9)
        ev = {"user_id": "g%d-u%d" % (g, u), "event_type": verb,
              "entity_id": "e%d" % ent,
              "timestamp": t0 + day * DAY + hour * HOUR +
              rnd.randint(0, HOUR - 1)}
        if g == 3:
            ev["context"] = {"location": {"lat": 52.52, "lon": 13.405}}
        out.append(ev)
    return out


class Daemon(pentest.Daemon):
    """penchantd that refreshes segments only when asked."""

    def __init__(self, exe, pen, d, name, extra=()):
        super().__init__(exe, pen, d, name,
                         ["--segment-interval-s=0", "--no-snapshot"]
                         + list(extra))

    def send(self, evs):
        super().send(sorted(evs, key=lambda e: e["timestamp"]))

    def segments(self, refresh=True):
        args = ["segments", "--json"] + (["--refresh"] if refresh else [])
        r = self.cli(*args)
        return json.loads(r.stdout) if r.returncode == 0 else None

    def assign(self, users):
        got = {}
        for i in range(0, len(users), 64):
            args = ["segments", "--json"]
            for u in users[i:i + 64]:
                args += ["--user", u]
            r = self.cli(*args)
            for line in r.stdout.splitlines():
                j = json.loads(line)
                got[j["user"]] = j["segment"]
        return got

    def segmenter_pid(self):
        st = json.loads(self.cli("--json", "status").stdout)
        return [p["pid"] for p in st["processes"]
                if p["role"] == "segmenter"][0]

def partition_inertia(z, labels):
    total = 0.0
    for c in set(labels):
        pts = z[labels == c]
        total += ((pts - pts.mean(axis=0)) ** 2).sum()
    return total


def against_sklearn(path, what):
    """penchant's partition of the exported matrix against KMeans."""
    with open(path) as f:
        rows = list(csv.reader(f))
    head, rows = rows[0], rows[1:]
    zi = [i for i, h in enumerate(head) if h.startswith("z_")]
    z = np.array([[float(r[i]) for i in zi] for r in rows])
    labels = np.array([int(r[1]) for r in rows])
    k = len(set(labels))
    ours = partition_inertia(z, labels)
    ref = KMeans(n_clusters=k, init="k-means++", n_init=10,
                 random_state=0).fit(z).inertia_
    check(ours <= ref * 1.01,
          "%s: inertia %.4g vs scikit-learn's %.4g at k=%d (ratio %.4f)"
          % (what, ours, ref, k, ours / ref))
    return z, labels


def part_planted(exe, pen, d):
    rnd = random.Random(11)
    t0 = int(time.time() * 1000) - 6 * DAY
    t0 -= t0 % DAY
    x = Daemon(exe, pen, d, "seg-%d" % os.getpid(), ["--segments-k=4"])
    try:
        cat = os.path.join(d, "catalog.jsonl")
        with open(cat, "w") as f:
            for e in catalog():
                f.write(json.dumps(e) + "\n")
        check(x.cli("catalog", "load", cat).returncode == 0, "catalog")
        evs, truth = [], {}
        for g in range(GROUPS):
            for u in range(PER):
                evs += user_events(g, u, rnd, t0)
                truth["g%d-u%d" % (g, u)] = g
        x.send(evs)
        time.sleep(0.5)
        s = x.segments()
        check(s is not None and s["k"] == 4 and s["users"] == GROUPS * PER,
              "a refresh on request: 4 segments of %d users (%s)"
              % (GROUPS * PER, s and (s["k"], s["users"])))
        users = sorted(truth)
        got = x.assign(users)
        ari = adjusted_rand_score([truth[u] for u in users],
                                  [got.get(u, -1) for u in users])
        check(ari >= 0.9, "planted groups found again: ARI %.3f" % ari)
        names = {g["id"]: (g["name"], g["strategy"]) for g in s["segments"]}
        print("     segments: %s" % names)
        exp = os.path.join(d, "features.csv")
        r = x.cli("segments", "--export", exp)
        check(r.returncode == 0, "export: " + r.stderr.strip())
        check(os.stat(exp).st_mode & 0o777 == 0o600,
              "the per-user export is 0600: %o" % os.stat(exp).st_mode)
        against_sklearn(exp, "planted")

        # stable ids: majority segment of each group before and after
        def majority(assign):
            m = {}
            for g in range(GROUPS):
                ids = [assign[u] for u in users if truth[u] == g]
                m[g] = max(set(ids), key=ids.count)
            return m
        before = majority(got)
        more = []
        for u in range(PER, PER + 15):
            more += user_events(0, u, rnd, t0)
        x.send(more)
        time.sleep(0.3)
        s2 = x.segments()
        check(s2 and s2["version"] == s["version"] + 1 and
              s2["users"] == GROUPS * PER + 15, "a second refresh")
        after = majority(x.assign(users))
        check(before == after,
              "each group keeps its segment id: %s -> %s" % (before, after))

        # --wait 0 only asks: exit 0 at once, the table comes later; it
        # is refused beside --user/--export (they would read the table
        # before), and --wait given twice is refused
        r = x.cli("segments", "--refresh", "--wait", "0")
        check(r.returncode == 0 and "refresh requested" in r.stderr and
              "not waiting" in r.stderr and r.stdout == "",
              "--refresh --wait 0 asks and does not wait (%d: %s)"
              % (r.returncode, r.stderr.strip()))
        r = x.cli("segments", "--json", "--refresh", "--wait=0")
        got = json.loads(r.stdout) if r.returncode == 0 else {}
        check(got.get("refresh_requested", 0) > 0 and
              got.get("version", -1) >= s2["version"],
              "--json --refresh --wait 0 says the request: %r" % (got,))
        t = time.time() + 30
        while time.time() < t:
            s2b = x.segments(refresh=False)
            if s2b and s2b["version"] > s2["version"]:
                break
            time.sleep(0.1)
        check(s2b and s2b["version"] > s2["version"],
              "the table asked for with --wait 0 comes")
        for args, what in ((("--wait", "0", "--user", "u1"), "--user"),
                           (("--wait", "0", "--export", "-"), "--export"),
                           (("--wait", "1", "--wait", "2"), "given twice"),
                           (("--wait", "-1"), "0 to 86400"),
                           (("--wait", "nan"), "0 to 86400")):
            r = x.cli("segments", "--refresh", *args)
            check(r.returncode == 2 and what in r.stderr,
                  "segments --refresh %s is refused naming %s: %s"
                  % (" ".join(args), what, r.stderr.strip()))

        # kill -9 of the segmenter in the middle of refreshes
        kills, pid0 = 0, x.segmenter_pid()
        for i in range(6):
            pid = x.segmenter_pid()
            if not pid:
                time.sleep(0.3)
                continue
            x.cli("segments", "--refresh", "--wait", "0")
            time.sleep(random.Random(i).uniform(0.0, 0.03))
            try:
                os.kill(pid, signal.SIGKILL)
                kills += 1
            except ProcessLookupError:
                pass
            s3 = x.segments(refresh=False)
            check(s3 is not None and
                  sum(g["size"] for g in s3["segments"]) == s3["users"],
                  "kill %d: the table reads whole" % (i + 1))
            time.sleep(0.4)
        check(kills >= 3, "%d segmenters killed" % kills)
        t = time.time() + 15
        while time.time() < t and not x.segmenter_pid():
            time.sleep(0.1)
        pid1 = x.segmenter_pid()
        check(pid1 and pid1 != pid0, "the segmenter is back (%s)" % pid1)
        s4 = x.segments()
        check(s4 is not None and s4["version"] > s2["version"],
              "and refreshes again (version %s)" % (s4 and s4["version"]))

        # a request made while the segmenter is down is served by the
        # next one (segment_interval_s is 0: nothing else would refresh)
        os.kill(pid1, signal.SIGKILL)
        r = x.cli("segments", "--json", "--refresh", "--wait", "30")
        s5 = json.loads(r.stdout) if r.returncode == 0 else None
        check(s5 is not None and s5["version"] > s4["version"],
              "a refresh asked while the segmenter was down is made "
              "(%d: %s)" % (r.returncode, r.stderr.strip()[-120:]))
    finally:
        x.stop()


def part_movielens(pen, d):
    base = os.environ.get("PENCHANT_SHARED_DATA",
                          os.path.join(os.path.dirname(__file__), "..",
                                       "..", "..", "shared", "data"))
    data = os.path.join(base, "movielens-latest-small")
    if not os.path.exists(os.path.join(data, "ratings.csv")):
        print("skip MovieLens: no %s" % data)
        return
    seg, feat = os.path.join(d, "ml-seg.json"), os.path.join(d, "ml.csv")
    r = run([pen, "replay", os.path.join(data, "ratings.csv"), "--quiet",
             "--csv", "--map",
             "user_id=userId,entity_id=movieId,timestamp=timestamp",
             "--time-unit", "s", "--rating", "rating",
             "--catalog-csv", os.path.join(data, "movies.csv"),
             "--catalog-map", "id=movieId,tags=genres", "--tag-sep", "|",
             "--tags-csv", os.path.join(data, "tags.csv"),
             "--tags-map", "entity_id=movieId,tag=tag",
             "--segments", seg, "--features", feat])
    check(r.returncode == 0, "MovieLens replay with segments: "
          + r.stderr.strip()[-100:])
    with open(seg) as f:
        s = json.load(f)
    shares = [g["share"] for g in s["segments"]]
    check(all(0.02 <= x <= 0.8 for x in shares),
          "MovieLens: %d segments, shares %s within 2%%..80%%"
          % (s["k"], [round(x, 3) for x in shares]))
    worst = min(max(abs(a["traits"][f] - b["traits"][f])
                    for f in a["traits"])
                for i, a in enumerate(s["segments"])
                for b in s["segments"][i + 1:])
    check(worst >= 0.5, "every two segments differ by >= 0.5 sd in some "
          "feature (closest pair: %.2f)" % worst)
    against_sklearn(feat, "MovieLens")


def part_too_few(exe, pen, d):
    """segments_k above the users: --refresh says so at once, status too."""
    x = Daemon(exe, pen, d, "segfew-%d" % os.getpid(), ["--segments-k=8"])
    try:
        t0 = int(time.time() * 1000) - DAY
        x.send([{"user_id": "few-%d" % u, "event_type": "click",
                 "entity_id": "e%d" % u, "timestamp": t0 + u}
                for u in range(3)])
        time.sleep(0.3)
        r = x.cli("segments", "--refresh", "--wait", "30")
        check(r.returncode == 4 and "3 users with events: fewer than 8"
              in r.stderr and "segments_k" in r.stderr,
              "too few users: --refresh names the reason (%d: %s)"
              % (r.returncode, r.stderr.strip()))
        st = x.cli("status").stdout
        check("the last refresh made no table: 3 users" in st,
              "status names it: %s" % [ln for ln in st.splitlines()
                                       if ln.startswith("segments")])
    finally:
        x.stop()


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 1
    exe, pen = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="it-segments-") as d:
        part_planted(exe, pen, d)
        part_too_few(exe, pen, d)
        part_movielens(pen, d)
    return done()


if __name__ == "__main__":
    sys.exit(main())
