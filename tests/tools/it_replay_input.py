#!/usr/bin/python3
"""it_replay_input: what `penchant replay` and `penchant eval` make of
their inputs: the replay summary names the top categories, and says why a
list is empty.

Usage: it_replay_input.py PENCHANT
Exit 0 pass, 1 fail.
"""
import json
import os
import subprocess
import sys
import tempfile

FAILS = []


def check(cond, what, detail=""):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)
        if detail:
            print(detail)


LOG = (b"user_id,entity_id,event_type,timestamp\n"
       b"u1,i1,click,2024-01-01T10:00:00Z\n"
       b"u1,i2,click,2024-01-01T11:00:00Z\n"
       b"u2,i3,click,2024-01-01T10:00:00Z\n"
       b"u3,i3,click,2024-01-01T12:00:00Z\n")
CATALOG = b"id,cat\ni1,books\ni2,books\ni3,music\n"


def run(pen, args, stdin=None, json_out=False):
    cmd = [pen] + (["--json"] if json_out else []) + args + ["--quiet"]
    return subprocess.run(cmd, input=stdin, capture_output=True)


def part_categories(pen, d):
    """The summary counts top categories, and says why a list is empty."""
    log = os.path.join(d, "log.csv")
    cat = os.path.join(d, "cat.csv")
    with open(log, "wb") as f:
        f.write(LOG)
    with open(cat, "wb") as f:
        f.write(CATALOG)
    base = ["replay", log, "--csv", "--catalog-csv", cat,
            "--catalog-map", "id=id,category=cat", "--summary"]
    r = run(pen, base, json_out=True)
    check(r.returncode == 0, "replay with a category-only catalog runs: %s"
          % r.stderr.decode()[-200:])
    s = json.loads(r.stdout or b"{}")
    check(s.get("top_categories") == [{"category": "music", "users": 2},
                                      {"category": "books", "users": 1}],
          "JSON summary: top categories by users %s"
          % s.get("top_categories"))
    check(s.get("top_tags") == [], "no tags in such a catalog")
    r = run(pen, base)
    out = r.stdout.decode()
    check("top categories (users whose strongest interest it is):\n"
          "  music                      2\n"
          "  books                      1\n" in out,
          "text summary lists the categories", out)
    check("top tags (users whose strongest interest it is):\n"
          "  none: no profile has one: the catalog gives the items the "
          "users engaged with no tags" in out,
          "an empty tag list says why", out)
    r = run(pen, ["replay", log, "--csv", "--summary"])
    out = r.stdout.decode()
    check(out.count("  none: no catalog items (--catalog, --catalog-csv)")
          == 2, "without a catalog both lists say so", out)


def main():
    if len(sys.argv) < 2:
        print("usage: it_replay_input.py PENCHANT")
        return 1
    pen = sys.argv[1]
    with tempfile.TemporaryDirectory() as d:
        part_categories(pen, d)
    if FAILS:
        print("%d check(s) failed" % len(FAILS))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
