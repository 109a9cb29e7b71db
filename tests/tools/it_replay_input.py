#!/usr/bin/python3
"""it_replay_input: what `penchant replay` and `penchant eval` make of
their inputs: the replay summary names the top categories, and says why a
list is empty; one pipe given as two inputs (the log '-' and a catalog
/dev/stdin, one FIFO twice) is refused before anything is read, for
replay and eval alike, while one regular file may still be both;
--encoding latin-1 reads a Latin-1 log and catalog (a pipe too) as UTF-8
(windows-1252 likewise),
an unknown encoding is a usage error naming the ones there are, the
text summary aligns accented names, and under utf-8 (the default)
Latin-1 lines are rejected with their reason.

docs/EVAL.md documents every input flag `penchant eval --help` lists as
replay's.

Usage: it_replay_input.py PENCHANT [EVAL.md]
Exit 0 pass, 1 fail.
"""
import json
import os
import re
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
    # a catalog flag given twice would drop the first file: refused
    cat = os.path.join(d, "cat.jsonl")
    with open(cat, "w") as f:
        f.write('{"id":"e1","category":"music"}\n')
    for cmd in ("replay", "eval"):
        for flag in ("--catalog", "--catalog-csv", "--tags-csv"):
            r = run(pen, [cmd, log, "--csv", flag, cat, flag + "=" + log])
            err = r.stderr.decode()
            check(r.returncode == 2 and
                  "%s given twice ('%s' and '%s')" % (flag, cat, log) in err,
                  "%s: %s twice refused (exit %d)"
                  % (cmd, flag, r.returncode), err)
    # an output that is an input would replace it: refused, untouched
    with open(log, "rb") as f:
        before = f.read()
    for args, what in (
            (["replay", log, "--csv", "--out", log], "it is the log"),
            (["replay", log, "--csv", "--features", log], "it is the log"),
            (["eval", log, "--csv", "--catalog", cat, "--out", cat],
             "it is --catalog's file")):
        r = run(pen, args)
        err = r.stderr.decode()
        with open(log, "rb") as f:
            same = f.read() == before
        check(r.returncode == 2 and what in err and same,
              "%s %s: an input as output refused (exit %d)"
              % (args[0], args[-2], r.returncode), err)
    # two outputs on stdout would interleave: refused, naming both
    for args, what in (
            (["--out", "-", "--summary"], "--out - and --summary"),
            (["--out=-", "--segments", "-"], "--out - and --segments -"),
            (["--features", "-", "--summary"],
             "--features - and --summary")):
        r = run(pen, ["replay", log, "--csv"] + args)
        err = r.stderr.decode()
        check(r.returncode == 2 and what + " both write to standard output"
              in err and not r.stdout,
              "replay %s: two outputs on stdout refused (exit %d)"
              % (" ".join(args), r.returncode), err)
    # a regular file is opened twice: a log that is its own catalog
    r = run(pen, ["replay", log, "--csv", "--catalog-csv", log,
                  "--catalog-map", "id=entity_id", "--summary"],
            json_out=True)
    s = json.loads(r.stdout or b"{}")
    check(r.returncode == 0 and s.get("catalog") == 3,
          "one file as log and catalog is still read twice",
          r.stderr.decode())


LATIN1_LOG = (b"user_id\tentity_id\tevent_type\ttimestamp\n"
              b"Jos\xe9\tcaf\xe9\tclick\t2024-01-01T10:00:00Z\n"
              b"u2\tcaf\xe9\tclick\t2024-01-01T11:00:00Z\n"
              b"u2\tbar\tclick\t2024-01-01T12:00:00Z\n")
LATIN1_CATALOG = b"id\tcat\ncaf\xe9\tCaf\xe9s & Bistr\xf4s\nbar\tBars\n"


def part_encoding(pen, d):
    """--encoding latin-1 converts; unknown names are refused."""
    log = os.path.join(d, "latin1.tsv")
    with open(log, "wb") as f:
        f.write(LATIN1_LOG)
    base = ["replay", log, "--csv", "--sep", "tab", "--catalog-csv", "-",
            "--catalog-map", "id=id,category=cat", "--summary"]
    r = run(pen, base + ["--encoding", "latin-1"], stdin=LATIN1_CATALOG,
            json_out=True)
    s = json.loads(r.stdout or b"{}")
    check(r.returncode == 0 and s.get("events_applied") == 3 and
          s.get("rejected_lines") == 0 and s.get("catalog") == 2 and
          s.get("catalog_rejected") == 0,
          "latin-1 log and piped catalog read whole", r.stderr.decode())
    check("Caf\u00e9s & Bistr\u00f4s" in
          [c["category"] for c in s.get("top_categories", [])],
          "the Latin-1 category arrives as UTF-8: %s"
          % s.get("top_categories"))
    # the text summary pads by characters: the counts line up
    r = run(pen, base + ["--encoding", "latin-1"], stdin=LATIN1_CATALOG)
    lines = r.stdout.decode().split("top categories", 1)[-1].split("\n")
    cols = [len(x.rstrip("0123456789")) for x in lines[1:3]]
    check(len(set(cols)) == 1 and "Bistr\u00f4s" in lines[1] + lines[2],
          "an accented category's count is in the others' column: %s"
          % lines[1:3])
    out = os.path.join(d, "profiles.jsonl")
    r = run(pen, base + ["--encoding", "LATIN1", "--out", out],
            stdin=LATIN1_CATALOG)
    with open(out, "rb") as f:
        users = [json.loads(line)["user"] for line in f]
    check(r.returncode == 0 and users == ["Jos\u00e9", "u2"],
          "the Latin-1 user id is its UTF-8 form: %s" % users)
    # utf-8, the default: the Latin-1 lines are rejected, with reasons
    r = run(pen, base, stdin=LATIN1_CATALOG, json_out=True)
    s = json.loads(r.stdout or b"{}")
    err = r.stderr.decode()
    check(r.returncode == 1 and s.get("rejected_lines") == 2 and
          s.get("rejected") == {"bad_id": 2} and
          s.get("catalog_rejected") == 1 and
          "latin1.tsv:2: bad_id: user_id" in err,
          "under utf-8 Latin-1 lines are rejected per line, counted", err)
    for cmd in ("replay", "eval"):
        r = run(pen, [cmd, log, "--csv", "--sep", "tab",
                      "--encoding", "koi8-r"])
        err = r.stderr.decode()
        check(r.returncode == 2 and "--encoding: 'koi8-r' is not an "
              "encoding this reads: utf-8 (the default), latin-1" in err,
              "%s: an unknown encoding is a usage error" % cmd, err)
    # windows-1252, as Python's codec writes it: curly quotes, euro
    w = os.path.join(d, "cp1252.tsv")
    with open(w, "wb") as f:
        f.write("user_id\tentity_id\tevent_type\ttimestamp\n"
                "\u201cJos\u00e9\u201d\t\u20ac5\tclick\t1767225600\n"
                "\u0160ar\u00fbn\t\u2122\tclick\t1767225601\n"
                .encode("cp1252"))
    r = run(pen, ["replay", w, "--csv", "--sep", "tab", "--encoding",
                  "Windows-1252", "--out", out])
    with open(out, "rb") as f:
        users = [json.loads(line)["user"] for line in f]
    check(r.returncode == 0 and
          users == ["\u201cJos\u00e9\u201d", "\u0160ar\u00fbn"],
          "windows-1252 ids arrive as their UTF-8 form: %s" % users,
          r.stderr.decode())
    r = run(pen, ["eval", log, "--csv", "--sep", "tab", "--encoding",
                  "latin-1"], json_out=True)
    check(r.returncode in (0, 1) and
          json.loads(r.stdout or b"{}").get("rejected_lines") == 0,
          "eval reads the Latin-1 log too", r.stderr.decode())


def part_docs(pen, doc):
    """Every input flag eval takes from replay is in docs/EVAL.md."""
    r = subprocess.run([pen, "eval", "--help"], capture_output=True,
                       timeout=60)
    text = (r.stdout + r.stderr).decode()
    tail = text.split("`penchant replay --help`):", 1)
    check(len(tail) == 2, "eval --help lists replay's input flags")
    if len(tail) < 2:
        return
    flags = set(re.findall(r"--[a-z][a-z-]*", tail[1].split("\n\n")[0]))
    with open(doc) as f:
        md = f.read()
    missing = sorted(x for x in flags
                     if not re.search(r"`%s[ `=]" % re.escape(x), md))
    check(len(flags) > 20 and not missing,
          "docs/EVAL.md names all %d of them (missing: %s)"
          % (len(flags), " ".join(missing) or "none"))


def main():
    if len(sys.argv) < 2:
        print("usage: it_replay_input.py PENCHANT [EVAL.md]")
        return 1
    pen = sys.argv[1]
    if len(sys.argv) > 2:
        part_docs(pen, sys.argv[2])
    with tempfile.TemporaryDirectory() as d:
        part_categories(pen, d)
        part_same_pipe(pen, d)
        part_encoding(pen, d)
    if FAILS:
        print("%d check(s) failed" % len(FAILS))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
