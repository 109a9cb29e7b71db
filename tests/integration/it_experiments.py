#!/usr/bin/python3
"""it_experiments: an A/B test of two strategies through the real daemon.

Users rank through the rank API (HTTP, no strategy given: the experiment
chooses), then click the results they were shown with a probability that
depends on the variant they are in (planted: the treatment's users click
more); clicks and impressions carry the request id back through
`penchant send`. Then:
- every request was an exposure of one variant, and each user always got
  the same variant (the arm in the request ids);
- the split holds (SRM p > 0.001) and the planted lift shows (treatment
  CTR above control, P(beats control) > 0.9);
- the report's statistics equal scipy's on the same counts to 1e-6: the
  two-proportion z test, Welch's t on reward per exposure, the SRM
  chi-square, and the Bayesian probability (numerical integration);
- a definition file with garbage is refused with the line and field, and
  nothing changes; loads are in the audit trail.

Usage: it_experiments.py PENCHANTD PENCHANT
Exit 0 pass, 1 fail, 77 without scipy.
"""
import json
import math
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

try:
    from scipy import stats, integrate
except ImportError:
    print("SKIP: python3-scipy is needed")
    sys.exit(77)

FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


def close(a, b, tol=1e-6):
    return (a is None and b is None) or (
        a is not None and b is not None and
        abs(a - b) <= tol * max(1.0, abs(b)))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


EXPERIMENT = {"name": "ctx-vs-profile", "salt": "it-1",
              "variants": [{"name": "control", "strategy": "profile",
                            "weight": 1},
                           {"name": "context", "strategy": "context",
                            "weight": 1, "epsilon": 0.0}]}


def z_test(xc, nc, xt, nt):
    pc, pt = xc / nc, xt / nt
    p = (xc + xt) / (nc + nt)
    se = math.sqrt(p * (1 - p) * (1 / nc + 1 / nt))
    z = (pt - pc) / se if se > 0 else 0.0
    return z, 2 * stats.norm.sf(abs(z))


def bayes(xc, nc, xt, nt):
    def f(x):
        return stats.beta.pdf(x, 1 + xt, 1 + nt - xt) * \
            stats.beta.cdf(x, 1 + xc, 1 + nc - xc)
    m = (1 + xt) / (2 + nt)
    pts = [max(0.0, m - 0.2), m, min(1.0, m + 0.2)]
    v, _ = integrate.quad(f, 0, 1, points=pts, epsabs=1e-12, epsrel=1e-12,
                          limit=500)
    return v


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 1
    exe, pen = sys.argv[1], sys.argv[2]
    inst = "exp-%d" % os.getpid()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="it-exp-") as d:
        log = open(os.path.join(d, "daemon.log"), "w")
        proc = subprocess.Popen(
            [exe, "--instance", inst, "--state-dir",
             os.path.join(d, "state"), "--shards", "2", "--udp-listen=",
             "--tcp-listen=", "--forward-listen=", "--rank-listen=",
             "--http-listen=127.0.0.1:%d" % port, "--no-snapshot",
             "--experiment-look-s=1"],
            stdout=subprocess.DEVNULL, stderr=log)

        def cli(*a, **kw):
            return subprocess.run([pen, "--instance", inst] + list(a),
                                  capture_output=True, text=True, **kw)
        try:
            for _ in range(400):
                if cli("status").returncode == 0:
                    break
                time.sleep(0.05)
            for _ in range(200):  # the server binds after the region
                try:
                    urllib.request.urlopen(
                        "http://127.0.0.1:%d/v1/health" % port, timeout=1)
                    break
                except OSError:
                    time.sleep(0.05)
            cat = "".join(json.dumps({"id": "i%d" % i,
                                      "category": "c%d" % (i % 5),
                                      "tags": ["t%d" % (i % 7)]}) + "\n"
                          for i in range(40))
            check(cli("catalog", "load", "-", input=cat).returncode == 0,
                  "catalog")
            def version():
                return json.loads(cli("experiments", "--json").stdout)[
                    "version"]
            v0 = version()
            bad = json.dumps(dict(EXPERIMENT, variants=[
                {"name": "a", "strategy": "profile"},
                {"name": "b", "strategy": "astrology"}])) + "\n"
            r = cli("experiments", "load", "-", input=bad)
            check(r.returncode == 1 and "line 1" in r.stderr and
                  "strategy" in r.stderr,
                  "a bad definition is refused: " + r.stderr.strip())
            bad = json.dumps(dict(EXPERIMENT, variants=[
                {"name": "a", "strategy": "diverse", "diversifier": "dpp"},
                {"name": "b", "strategy": "diverse",
                 "diversifier": "xqd"}])) + "\n"
            r = cli("experiments", "load", "-", input=bad)
            check(r.returncode == 1 and "line 1" in r.stderr and
                  "diversifier" in r.stderr,
                  "an unknown diversifier is refused: " + r.stderr.strip())
            bad = json.dumps(dict(EXPERIMENT, variants=[
                {"name": "a", "strategy": "diverse"},
                {"name": "b", "strategy": "diverse",
                 "dpp_theta": 1.5}])) + "\n"
            r = cli("experiments", "load", "-", input=bad)
            check(r.returncode == 1 and "dpp_theta" in r.stderr,
                  "dpp_theta out of range is refused: " + r.stderr.strip())
            bad = json.dumps(dict(EXPERIMENT, variants=[
                {"name": "a", "strategy": "diverse"},
                {"name": "b", "strategy": "diverse",
                 "diversifier": ""}])) + "\n"
            r = cli("experiments", "load", "-", input=bad)
            check(r.returncode == 1 and "diversifier" in r.stderr,
                  "an empty diversifier is refused: " + r.stderr.strip())
            for field, value in (("epsilon", -5), ("mmr_lambda", -0.5),
                                 ("explore_weight", -100),
                                 ("dpp_theta", -1), ("epsilon", 1.5),
                                 ("name", "a\u0000b")):
                v = dict(EXPERIMENT["variants"][1], **{field: value})
                bad = json.dumps(dict(EXPERIMENT, variants=[
                    EXPERIMENT["variants"][0], v])) + "\n"
                r = cli("experiments", "load", "-", input=bad)
                check(r.returncode == 1 and field in r.stderr,
                      "%s %r is refused: %s" % (field, value,
                                                r.stderr.strip()))
            bad = json.dumps(dict(EXPERIMENT, variants=[
                EXPERIMENT["variants"][0],
                dict(EXPERIMENT["variants"][1], weigth=9)])) + "\n"
            r = cli("experiments", "load", "-", input=bad)
            check(r.returncode == 1 and "line 1: weigth" in r.stderr,
                  "a misspelt field is refused: " + r.stderr.strip())
            check(version() == v0, "refused loads are not counted")
            r = cli("experiments", "load", "-",
                    input=json.dumps(EXPERIMENT) + "\n")
            check(r.returncode == 0, "load: " + r.stderr.strip())
            check(version() == v0 + 1, "the load is counted")
            # a directory is no empty definition file: refused, and the
            # running experiments stay (the catalog's load likewise)
            def running():
                got = json.loads(cli("experiments", "--json").stdout)
                return sorted((e["name"], e["active"], e["start"])
                              for e in got["experiments"])
            before = running()
            for what in ("experiments", "catalog"):
                r = cli(what, "load", d)
                check(r.returncode == 2 and "Is a directory" in r.stderr,
                      "%s load of a directory is refused: %s"
                      % (what, r.stderr.strip()))
            after = running()
            check(before == after and
                  [n for n, a, v in after if a] == [EXPERIMENT["name"]],
                  "the experiments are as they were: %r" % (after,))
            # refused files are counted (status --json "loads", and the
            # metrics below), not only said on the loader's stderr: 11
            # invalid above, then one of more than 8 definitions
            many = "".join(json.dumps(dict(EXPERIMENT, name="x%d" % i))
                           + "\n" for i in range(9))
            r = cli("experiments", "load", "-", input=many)
            check(r.returncode == 1 and "at most 8" in r.stderr,
                  "9 definitions are refused: " + r.stderr.strip())
            loads = json.loads(cli("--json", "status").stdout)["loads"]
            check(loads["experiments"] == {"invalid": 11, "too_many": 1},
                  "refused experiment files counted by reason: %r"
                  % (loads,))
            # the 1 MiB cap: a file of exactly 1 MiB loads, one byte more
            # is refused naming the cap (exactly 1 MiB was refused)
            line = json.dumps(EXPERIMENT) + "\n"
            for size, ok in ((2**20 - 1, True), (2**20, True),
                             (2**20 + 1, False)):
                pad = size - len(line)
                body = line + " " * (pad % 1000) + \
                    ("\n" + " " * 998 + "\n") * (pad // 1000)
                body = body[:size] if len(body) > size else body
                check(len(body.encode()) == size, "file of %d bytes" % size)
                fn = os.path.join(d, "exp-%d.jsonl" % size)
                with open(fn, "w") as fh:
                    fh.write(body)
                r = cli("experiments", "load", fn)
                if ok:
                    check(r.returncode == 0,
                          "a file of %d bytes loads: %s"
                          % (size, r.stderr.strip()))
                else:
                    check(r.returncode == 2 and "larger than 1 MiB" in
                          r.stderr and "1048576 bytes" in r.stderr,
                          "a file of %d bytes is refused naming the cap: "
                          "%s" % (size, r.stderr.strip()))
            # a segment the table does not hold (segments appear as the
            # segmenter refreshes: a warning, not a refusal)
            r = cli("experiments", "load", "-",
                    input=json.dumps(dict(EXPERIMENT, segment=9)) + "\n")
            check(r.returncode == 0 and "warning: 'ctx-vs-profile' "
                  "(segment 9)" in r.stderr and "takes no users" in
                  r.stderr,
                  "a missing segment is warned of: " + r.stderr.strip())
            r = cli("experiments", "load", "-", input=line)
            check(r.returncode == 0 and "warning" not in r.stderr,
                  "everyone (no segment) is no warning: "
                  + r.stderr.strip())
            rnd = random.Random(5)
            now = int(time.time() * 1000)
            users = ["u%d" % i for i in range(300)]
            # a little history each: the unit counts are users with a
            # profile at their first exposure
            hist = "".join(json.dumps(
                {"user_id": u, "event_type": "view", "entity_id": "i%d" % k,
                 "timestamp": now - 3600000 + k}) + "\n"
                for u in users for k in range(2))
            check(cli("send", input=hist).returncode == 0, "history")
            time.sleep(0.3)
            arms, requests, events = {}, 0, []
            sticky = True
            for rep in range(4):
                for u in users:
                    body = {"user_id": u, "candidates": [
                        {"entity_id": "i%d" % rnd.randint(0, 39),
                         "score": 1.0} for _ in range(10)],
                        "options": {"k": 5}}
                    req = urllib.request.Request(
                        "http://127.0.0.1:%d/v1/rank" % port,
                        data=json.dumps(body).encode(),
                        headers={"Content-Type": "application/json"})
                    ans = json.loads(urllib.request.urlopen(
                        req, timeout=5).read())
                    requests += 1
                    rid = int(ans["request_id"], 16)
                    arm = (rid >> 12) & 0x3F
                    sticky &= arms.setdefault(u, arm) == arm
                    # planted: a request of the treatment is clicked
                    # (once) more often
                    rate = 0.15 if ans["strategy"] == "profile" else 0.30
                    clicked = rnd.random() < rate
                    for pos, res in enumerate(ans["results"], 1):
                        ev = {"user_id": u, "entity_id": res["entity_id"],
                              "timestamp": now + requests,
                              "request_id": ans["request_id"],
                              "position": pos}
                        events.append(dict(ev, event_type="impression"))
                        if clicked and pos == 1 + requests % 5:
                            events.append(dict(ev, event_type="click"))
            r = cli("send", input="".join(json.dumps(e) + "\n"
                                          for e in events))
            check(r.returncode == 0, "outcomes sent: " + r.stderr.strip())
            check(sticky, "every user kept one variant over 4 requests")
            check(set(arms.values()) == {1, 2},
                  "request ids carry the arms 1 and 2")
            time.sleep(2.5)  # applied, and a look taken
            x = json.loads(cli("experiments", "--json").stdout)
            e = x["experiments"][0]
            c, t = e["variants"]
            check(c["exposures"] + t["exposures"] == requests,
                  "exposures %d + %d = %d requests"
                  % (c["exposures"], t["exposures"], requests))
            check(c["impressions"] + t["impressions"] == requests * 5,
                  "every impression attributed")
            check(e["srm_p"] > 0.001 and not e["srm_broken"],
                  "the split holds: SRM p %.3g" % e["srm_p"])
            check(t["ctr"] > c["ctr"] and t["prob_beats_control"] > 0.9,
                  "the planted lift shows: CTR %.4f vs %.4f, P(beat) %.3f"
                  % (t["ctr"], c["ctr"], t["prob_beats_control"]))
            # against scipy on the same counts
            nc, nt = c["exposures"], t["exposures"]
            xc, xt = c["clicked"], t["clicked"]
            z, p = z_test(xc, nc, xt, nt)
            check(close(t["ctr_z"], z) and close(t["ctr_p"], p),
                  "z test: %.9g %.9g vs scipy %.9g %.9g"
                  % (t["ctr_z"], t["ctr_p"], z, p))
            w = stats.ttest_ind_from_stats(
                t["reward_mean"], math.sqrt(t["reward_var"]), nt,
                c["reward_mean"], math.sqrt(c["reward_var"]), nc,
                equal_var=False)
            check(close(t["reward_t"], w.statistic) and
                  close(t["reward_p"], w.pvalue),
                  "Welch t: %.9g %.9g vs scipy %.9g %.9g"
                  % (t["reward_t"], t["reward_p"], w.statistic, w.pvalue))
            uc, ut = c["users"], t["users"]
            check(uc + ut == len(users),
                  "users counted once each: %d + %d" % (uc, ut))
            ch = stats.chisquare([uc, ut], f_exp=[(uc + ut) / 2] * 2)
            check(close(e["srm_chi2"], ch.statistic) and
                  close(e["srm_p"], ch.pvalue),
                  "SRM: %.9g vs scipy %.9g" % (e["srm_p"], ch.pvalue))
            b = bayes(xc, nc, xt, nt)
            check(close(t["prob_beats_control"], b),
                  "P(beats control) %.9g vs scipy quadrature %.9g"
                  % (t["prob_beats_control"], b))
            check(t["always_valid_p"] is not None and
                  0 <= t["always_valid_p"] <= 1,
                  "an always-valid p-value after a look: %s"
                  % t["always_valid_p"])
            m = urllib.request.urlopen(
                "http://127.0.0.1:%d/metrics" % port, timeout=5).read()
            want = 'penchant_experiment_users_total{experiment=' \
                '"ctx-vs-profile",salt="it-1",variant="context"} %d' % t["users"]
            check(want.encode() in m, "/metrics: " + want)
            want = 'penchant_load_rejected_total{load="experiments",' \
                'reason="invalid"} 11'
            check(want.encode() in m, "/metrics: " + want)
            st = json.loads(cli("--json", "status").stdout)
            published = sum(p["published"] for p in st["producers"])
            cnt = [l for l in m.decode().splitlines()
                   if l.startswith("penchant_publish_applied_seconds_count")]
            check(cnt and int(float(cnt[0].split()[-1])) == published,
                  "publish -> applied histogram counts every published "
                  "record: %s vs %d" % (cnt, published))
            if shutil.which("promtool"):
                pr = subprocess.run(["promtool", "check", "metrics"],
                                    input=m, capture_output=True)
                check(pr.returncode == 0, "promtool accepts /metrics: "
                      + pr.stderr.decode().strip()[:200])
            # erasure over the rank API
            dreq = urllib.request.Request(
                "http://127.0.0.1:%d/v1/profile/u0" % port, method="DELETE")
            er = json.loads(urllib.request.urlopen(dreq, timeout=10).read())
            check(er["profile"] is True and len(er["user_key"]) == 16,
                  "DELETE /v1/profile/u0 erases: %s" % er)
            try:
                urllib.request.urlopen(
                    "http://127.0.0.1:%d/v1/profile/u0" % port, timeout=5)
                gone = False
            except urllib.error.HTTPError as x:
                gone = x.code == 404
            check(gone, "and GET /v1/profile/u0 is 404 after it")
            text = cli("experiments").stdout
            check("ctx-vs-profile" in text and "context" in text,
                  "the text report names the experiment")
            a = cli("audit", "show", "--action", "config").stdout
            check("experiments=1 ctx-vs-profile" in a,
                  "the load is in the audit trail")
            # a new stop keeps the counts; a changed variant starts anew
            def exposures():
                x = json.loads(cli("experiments", "--json").stdout)
                return sum(v["exposures"]
                           for v in x["experiments"][0]["variants"])
            def load(defn):
                return cli("experiments", "load", "-",
                           input=json.dumps(defn) + "\n").returncode == 0

            def epsilon(e):  # the experiment, its treatment's epsilon e
                return dict(later, variants=[
                    EXPERIMENT["variants"][0],
                    dict(EXPERIMENT["variants"][1], epsilon=e)])
            before = exposures()
            later = dict(EXPERIMENT, stop="2099-01-01T00:00:00Z")
            check(load(later) and exposures() == before > 0,
                  "a new stop time keeps the counts: %d" % exposures())
            check(load(epsilon(0.1)) and exposures() == 0,
                  "a changed variant starts anew: %d" % exposures())
            # a click on a request of the run before is not this run's:
            # counted apart, and status says so
            old = dict(events[0], event_type="click")
            r = cli("send", input=json.dumps(old) + "\n")
            st = ""
            for _ in range(100):
                st = cli("status").stdout
                if "outcomes of an earlier run" in st:
                    break
                time.sleep(0.05)
            check("1 outcomes of an earlier run" in st,
                  "status shows an outcome of the run before: "
                  + [ln for ln in st.splitlines()
                     if ln.startswith("experiments")].__repr__())
            # two fresh starts on from the first run (the slot's
            # generation back to the first's parity): the users ranked
            # now are counted again, once each
            check(load(epsilon(0.2)), "reloaded")
            for u in users[1:51]:
                body = {"user_id": u, "candidates": [
                    {"entity_id": "i%d" % k, "score": 1.0}
                    for k in range(5)]}
                req = urllib.request.Request(
                    "http://127.0.0.1:%d/v1/rank" % port,
                    data=json.dumps(body).encode(),
                    headers={"Content-Type": "application/json"})
                urllib.request.urlopen(req, timeout=5).read()
            counted = 0
            for _ in range(100):
                x = json.loads(cli("experiments", "--json").stdout)
                counted = sum(v["users"]
                              for v in x["experiments"][0]["variants"])
                if counted >= 50:
                    break
                time.sleep(0.05)
            check(counted == 50, "a third run counts its users: %d of 50"
                  % counted)
            # two experiments open to the same users: the first in the
            # file takes them, and the load says the second gets none
            other = dict(EXPERIMENT, name="other", salt="it-2")
            r = cli("experiments", "load", "-",
                    input=json.dumps(other) + "\n" +
                    json.dumps(epsilon(0.2)) + "\n")
            check(r.returncode == 0 and "'ctx-vs-profile' gets none" in
                  r.stderr, "an experiment left no users is noted: "
                  + r.stderr.strip())
            body = {"user_id": "u7", "candidates": [
                {"entity_id": "i1", "score": 1.0}]}
            req = urllib.request.Request(
                "http://127.0.0.1:%d/v1/rank" % port,
                data=json.dumps(body).encode(),
                headers={"Content-Type": "application/json"})
            rid = int(json.loads(urllib.request.urlopen(
                req, timeout=5).read())["request_id"], 16)
            x = json.loads(cli("experiments", "--json").stdout)
            slot = [e["name"] for e in x["experiments"]].index("other")
            check((rid >> 12) & 0x3F in (slot * 4 + 1, slot * 4 + 2),
                  "the first in the file takes the user (arm %d)"
                  % ((rid >> 12) & 0x3F))
            # an empty file stops them all, and says so
            r = cli("experiments", "load", "-", input="")
            check(r.returncode == 0 and "0 running, stopped 2" in r.stderr,
                  "an empty file says what it stopped: " + r.stderr.strip())
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
            log.close()
    print("%d failed" % len(FAILS))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
