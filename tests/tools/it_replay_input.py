#!/usr/bin/python3
"""it_replay_input: what `penchant replay` and `penchant eval` make of
their inputs: the replay summary names the top categories, and says why a
list is empty; one pipe given as two inputs (the log '-' and a catalog
/dev/stdin, one FIFO twice) is refused before anything is read, for
replay and eval alike, while one regular file may still be both.

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


def run(pen, args, stdin=None, json_out=False, timeout=60):
    cmd = [pen] + (["--json"] if json_out else []) + args + ["--quiet"]
    return subprocess.run(cmd, input=stdin, capture_output=True,
                          timeout=timeout)


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


def part_same_pipe(pen, d):
    """One pipe as two inputs is refused, naming both, before reading."""
    log = os.path.join(d, "log.csv")
    for cmd in ("replay", "eval"):
        r = run(pen, [cmd, "-", "--csv", "--catalog-csv", "/dev/stdin",
                      "--catalog-map", "id=entity_id"], stdin=LOG)
        err = r.stderr.decode()
        check(r.returncode == 2 and
              "the log (standard input) and --catalog-csv (/dev/stdin) "
              "are one pipe or stream" in err,
              "%s: '-' and /dev/stdin refused (exit %d)" % (cmd, r.returncode),
              err)
    # a FIFO named twice: refused before either is opened (opening one
    # would wait for a writer that never comes)
    fifo = os.path.join(d, "fifo")
    os.mkfifo(fifo)
    try:
        r = run(pen, ["replay", log, "--csv", "--catalog-csv", fifo,
                      "--tags-csv", fifo], timeout=10)
        err = r.stderr.decode()
        check(r.returncode == 2 and "--catalog-csv (%s) and --tags-csv (%s)"
              " are one pipe or stream" % (fifo, fifo) in err,
              "one FIFO as the catalog and the tags refused", err)
    except subprocess.TimeoutExpired:
        check(False, "one FIFO as the catalog and the tags: it hung")
    # one inherited pipe under two /dev/fd names
    rd, wr = os.pipe()
    os.write(wr, LOG)
    os.close(wr)
    path = "/dev/fd/%d" % rd
    r = subprocess.run([pen, "replay", path, "--csv", "--catalog-csv", path,
                        "--catalog-map", "id=entity_id", "--quiet"],
                       pass_fds=[rd], capture_output=True, timeout=60)
    os.close(rd)
    check(r.returncode == 2 and b"are one pipe or stream" in r.stderr,
          "one pipe as log and catalog by /dev/fd refused",
          r.stderr.decode())
    # a regular file is opened twice: a log that is its own catalog
    r = run(pen, ["replay", log, "--csv", "--catalog-csv", log,
                  "--catalog-map", "id=entity_id", "--summary"],
            json_out=True)
    s = json.loads(r.stdout or b"{}")
    check(r.returncode == 0 and s.get("catalog") == 3,
          "one file as log and catalog is still read twice",
          r.stderr.decode())


def main():
    if len(sys.argv) < 2:
        print("usage: it_replay_input.py PENCHANT")
        return 1
    pen = sys.argv[1]
    with tempfile.TemporaryDirectory() as d:
        part_categories(pen, d)
        part_same_pipe(pen, d)
    if FAILS:
        print("%d check(s) failed" % len(FAILS))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
