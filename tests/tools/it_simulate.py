#!/usr/bin/python3
"""it_simulate: `penchant simulate` is deterministic for a seed, the
contextual strategy earns more clicks than profile alone on the planted
model (a conservative margin: > 1.1x), every request shows k results, and
bad options are usage errors.

Usage: it_simulate.py PENCHANT
Exit 0 pass, 1 fail.
"""
import json
import subprocess
import sys

FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


def sim(pen, args):
    return subprocess.run([pen, "simulate", "--quiet"] + args,
                          capture_output=True, text=True)


def main():
    if len(sys.argv) < 2:
        print("usage: it_simulate.py PENCHANT")
        return 1
    pen = sys.argv[1]
    base = ["--users", "200", "--items", "200", "--rounds", "8000",
            "--strategies", "profile,context", "--json"]
    a = sim(pen, base + ["--seed", "3"])
    b = sim(pen, base + ["--seed", "3"])
    c = sim(pen, base + ["--seed", "4"])
    check(a.returncode == 0, "simulate runs (%s)" % a.stderr.strip())
    if a.returncode:
        return 1
    check(a.stdout == b.stdout, "same seed, same report byte for byte")
    check(a.stdout != c.stdout, "another seed, another run")
    r = json.loads(a.stdout)
    s = {x["name"]: x for x in r["strategies"]}
    check(list(s) == ["profile", "context"], "the strategies asked for")
    for x in s.values():
        check(x["requests"] == 8000 and x["impressions"] == 80000,
              "%s: 8000 requests, 10 shown each" % x["name"])
    ratio = s["context"]["vs_profile"]["ratio"]
    print("CTR profile %.4f context %.4f: x%.3f, difference [%+.4f, %+.4f]"
          % (s["profile"]["ctr"], s["context"]["ctr"], ratio,
             s["context"]["vs_profile"]["lo"],
             s["context"]["vs_profile"]["hi"]))
    check(ratio > 1.1 and s["context"]["vs_profile"]["lo"] > 0,
          "context beats profile on the planted model (> 1.1x, interval "
          "above 0)")
    # --repeat-click: 1 is the model as it was; 0 means an item clicked
    # once is never clicked again, so the base order (which learns
    # nothing) gets fewer clicks over the same draws, and never more
    rb = ["--users", "100", "--items", "60", "--rounds", "4000",
          "--strategies", "base", "--json"]
    one = sim(pen, rb + ["--repeat-click", "1"])
    dflt = sim(pen, rb)
    zero = sim(pen, rb + ["--repeat-click=0"])
    half = sim(pen, rb + ["--repeat-click", "0.5"])
    check(one.returncode == 0 and one.stdout == dflt.stdout,
          "--repeat-click 1 is the default model, byte for byte")
    clicks = [{x["name"]: x for x in json.loads(r.stdout)["strategies"]}
              ["base"]["clicks"] for r in (dflt, half, zero)]
    print("base clicks: repeat 1 %d, 0.5 %d, 0 %d" % tuple(clicks))
    check(clicks[0] > clicks[1] > clicks[2] > 0,
          "repeat clicks fall with --repeat-click (1 > 0.5 > 0)")
    t = sim(pen, ["--users", "50", "--rounds", "300"])
    check(t.returncode == 0 and "against profile" in t.stdout and
          "full" in t.stdout and "base" in t.stdout,
          "the text report, four strategies by default")
    for args, what in (
            (["--users", "0"], "--users: '0'"),
            (["--rounds", "x"], "--rounds: 'x'"),
            (["--k", "20", "--candidates", "10"], "--k must be at most"),
            (["--candidates", "100", "--items", "50"],
             "--candidates must be at most --items"),
            (["--strategies", "context,psychic"], "--strategies"),
            (["--strategies", ""], "--strategies: '' has an empty entry"),
            (["--strategies", "context,"],
             "--strategies: 'context,' has an empty entry"),
            (["--seed"], "--seed needs a value"),
            (["--frobnicate"], "unknown option '--frobnicate'"),
            (["extra"], "no arguments besides options"),
            (["--epsilon=2"], "epsilon"),
            (["--repeat-click", "1.5"], "--repeat-click: '1.5'"),
            (["--repeat-click=-0.1"], "--repeat-click: '-0.1'"),
            (["--repeat-click", "nan"], "--repeat-click: 'nan'"),
            (["--repeat-click", " 0.5"], "--repeat-click: ' 0.5'"),
            (["--repeat-click", "0.5x"], "--repeat-click: '0.5x'"),
            (["--repeat-click"], "--repeat-click needs a value"),
            (["--repeat-click", "0.5", "--users", "70000", "--items",
              "70000"], "--users x --items"),
    ):
        p = sim(pen, args)
        check(p.returncode == 2 and what in p.stderr,
              "usage error %r: exit 2 and '%s' (%d: %s)"
              % (args, what, p.returncode, p.stderr.strip()[:120]))
    print("%d failed" % len(FAILS))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
