#!/usr/bin/python3
"""it_replay: `penchant replay` is deterministic, learns exactly the basic
rules, reads CSV (RFC 4180 quoting) and gzip into the same result as JSON
lines, and learns sane profiles from the real MovieLens ratings.

Usage: it_replay.py PENCHANT small|movielens
Exit 0 pass, 1 fail, 77 skip (movielens without $PENCHANT_SHARED_DATA).
"""
import collections
import csv
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
import time

T0 = 1767225600          # 2026-01-01T00:00:00Z, seconds
DAY = 86400
FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


def replay(pen, args, expect_rc=None):
    p = subprocess.run([pen, "replay", "--quiet"] + args,
                       capture_output=True, text=True)
    if expect_rc is not None and p.returncode != expect_rc:
        print(p.stderr)
    return p


# --- (1) hand-written log ---------------------------------------------------

CATALOG = [
    {"id": "e1", "category": "music", "tags": ["jazz", "live"]},
    {"id": "e2", "category": "sports", "tags": ["tennis"]},
]

# (user, type, entity, time s, extra); file order is NOT time order.
EVENTS = [
    ("u1", "view", "e1", T0 + DAY, {}),
    ('a,"b"', "click", "e2", T0 + 2 * DAY, {}),
    ("u1", "rsvp", "e1", T0, {}),
    ('a,"b"', "save", "e2", T0, {}),
    ("u3", "feedback", "e2", T0 + 5, {"feedback": "negative"}),
    ("u3", "view", "e1", T0 + 5, {}),          # equal time: file order
    ("u3", "click", "e1", T0 + 3 * DAY, {}),
]

GARBAGE = [
    "this is not json",
    '{"user_id":"u9"}',
    '{"user_id":"u9","event_type":"fly","entity_id":"e1","timestamp":%d}'
    % T0,
    '{"user_id":"u9","event_type":"view","entity_id":"e1",'
    '"timestamp":"2026-13-45T00:00:00Z"}',
]


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def write_json_log(path):
    lines = []
    for u, ty, e, t, x in EVENTS:
        ev = {"user_id": u, "event_type": ty, "entity_id": e,
              "timestamp": iso(t)}
        if "feedback" in x:
            ev["feedback_type"] = x["feedback"]
        lines.append(json.dumps(ev))
    # garbage lines at 2, 4 (blank line 6 is skipped), 8 and 10
    out = [lines[0], GARBAGE[0], lines[1], GARBAGE[1], lines[2], "",
           lines[3], GARBAGE[2], lines[4], GARBAGE[3], lines[5], lines[6]]
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    return {2, 4, 8, 10}


def write_csv_log(path, opener=open):
    with opener(path, "wt", newline="") as f:
        w = csv.writer(f, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        w.writerow(["who", "what", "item", "when", "fb", "note"])
        for i, (u, ty, e, t, x) in enumerate(EVENTS):
            # a note with a comma, a quote and a line break in a quoted field
            note = 'row %d, "quoted"\nsecond line' % i if i % 2 else ""
            when = str(t) if i % 3 else iso(t)   # seconds and RFC 3339
            w.writerow([u, ty, e, when, x.get("feedback", ""), note])


def write_catalog(path):
    with open(path, "w") as f:
        for c in CATALOG:
            f.write(json.dumps(c) + "\n")


def profiles(path):
    with open(path) as f:
        return {p["user"]: p for p in map(json.loads, f)}


def weight(p, name):
    for t in p["tags"]:
        if t["name"] == name:
            return t["weight"]
    return None


def part_small(pen, d):
    log = os.path.join(d, "log.jsonl")
    cat = os.path.join(d, "catalog.jsonl")
    bad_lines = write_json_log(log)
    write_catalog(cat)
    outs = []
    for k in range(2):
        out = os.path.join(d, "out%d.jsonl" % k)
        p = replay(pen, [log, "--catalog", cat, "--out", out], 1)
        check(p.returncode == 1, "garbage lines give exit 1 (got %d)"
              % p.returncode)
        outs.append(open(out, "rb").read())
    reported = {int(l.split(":")[1]) for l in p.stderr.splitlines()
                if l.startswith(log + ":")}
    check(reported == bad_lines, "rejected lines named FILE:LINE %s (got %s)"
          % (sorted(bad_lines), sorted(reported)))
    check(outs[0] == outs[1] and len(outs[0]) > 0,
          "two replays are byte-identical")

    # a profile table too small: its refusals are said, even --quiet
    many = os.path.join(d, "many.csv")
    with open(many, "w") as f:
        for u in range(1100):
            f.write("u%d,e1,click,%d\n" % (u, T0 + u))
    p = replay(pen, [many, "--csv", "--columns",
                     "user_id,entity_id,event_type,timestamp", "--users",
                     "1024"])
    check(p.returncode == 1 and "76 events not learned: the profile table "
          "holds 1024 users and was full (raise --users)" in p.stderr,
          "a full profile table is reported: %d %s"
          % (p.returncode, p.stderr.strip()[:200]))

    # --instance after the command names the instance whose key file
    # pseudonymizes the users, as penchantd takes it
    kd = os.path.join(d, "keys")
    os.makedirs(kd, mode=0o700)
    with os.fdopen(os.open(os.path.join(kd, "other.key"),
                           os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        f.write("00112233445566778899aabbccddeeff\n")
    keys = {}
    for name, extra in (("plain", []),
                        ("keyed", ["--instance", "other", "--state-dir", kd])):
        o = os.path.join(d, "k-%s.jsonl" % name)
        replay(pen, [log, "--catalog", cat, "--out", o] + extra)
        keys[name] = {u: p["user_key"] for u, p in profiles(o).items()}
    check(len(keys["plain"]) == 3 and
          keys["plain"].keys() == keys["keyed"].keys() and
          all(keys["plain"][u] != keys["keyed"][u] for u in keys["plain"]),
          "replay --instance other uses other.key: %r" % keys)
    p = subprocess.run([pen, "--instance", "third", "replay", "--quiet", log,
                        "--instance", "other", "--state-dir", kd],
                       capture_output=True, text=True)
    check(p.returncode == 2 and "two instances" in p.stderr,
          "two instances named are refused: %s" % p.stderr.strip())
    # a value is no option: --out --json forgot the file
    p = subprocess.run([os.path.abspath(pen), "replay", "--quiet", log,
                        "--out", "--json"],
                       capture_output=True, text=True, cwd=d)
    check(p.returncode == 2 and "--out needs a value" in p.stderr and
          not os.path.exists(os.path.join(d, "--json")),
          "--out --json: %s" % p.stderr.strip())
    # outputs and inputs that cannot be used are said before any work
    for args, what in (
            (["--out", os.path.join(d, "no", "such", "x.jsonl")],
             "its directory does not exist"),
            (["--out", d], "is a directory"),
            (["--segments", os.path.join(d, "no", "s.json")],
             "its directory does not exist"),
            (["--catalog", d], "Is a directory")):
        p = replay(pen, [log] + args)
        check(p.returncode == 2 and what in p.stderr and
              "events of" not in p.stderr,
              "%s: %s" % (args[0], p.stderr.strip()))

    ps = profiles(os.path.join(d, "out0.jsonl"))
    check(list(ps) == ["u1", 'a,"b"', "u3"], "users in order of first "
          "appearance, garbage users absent: %s" % list(ps))
    # rsvp at t0, view at t0 + 1 day: 1.0*0.1*0.95 + 0.1*0.1
    w = weight(ps["u1"], "jazz")
    check(w is not None and abs(w - 0.105) < 1e-7,
          "u1 jazz = 0.1*0.95 + 0.01 = 0.105 (got %r)" % w)
    w = weight(ps["u1"], "live")
    check(w is not None and abs(w - 0.105) < 1e-7, "u1 live = 0.105")
    c = {x["name"]: x["weight"] for x in ps["u1"]["categories"]}
    check(abs(c.get("music", 0) - 0.105) < 1e-7, "u1 music = 0.105")
    # save at t0, click at t0 + 2 days: 0.8*0.1*0.95^2 + 0.3*0.1
    w = weight(ps['a,"b"'], "tennis")
    ref = 0.08 * 0.95 ** 2 + 0.03
    check(w is not None and abs(w - ref) < 1e-7,
          "user 'a,\"b\"' tennis = 0.08*0.95^2 + 0.03 = %.6f (got %r)"
          % (ref, w))
    # u3: negative feedback on e2 (tennis), view at the same second, click
    # three days later
    w = weight(ps["u3"], "tennis")
    ref = -0.05 * 0.95 ** ((3 * DAY - 5) / DAY)
    check(w is not None and abs(w - ref) < 1e-7,
          "u3 tennis = -0.05*0.95^(3 days - 5 s) = %.6f (got %r)" % (ref, w))
    check(ps["u3"]["counts"]["feedback_neg"] == 1 and
          ps["u3"]["events"] == 3, "u3 counts")

    # the same events as CSV (quoted fields, CRLF, a field spanning lines)
    csvp = os.path.join(d, "log.csv")
    write_csv_log(csvp)
    cmap = ["--csv", "--map", "user_id=who,event_type=what,entity_id=item,"
            "timestamp=when,feedback=fb", "--time-unit", "s"]
    out = os.path.join(d, "csv.jsonl")
    p = replay(pen, [csvp, "--catalog", cat, "--out", out] + cmap, 0)
    check(p.returncode == 0, "CSV replay exit 0 (got %d)" % p.returncode)
    check(open(out, "rb").read() == outs[0], "CSV gives the JSON result")

    # gzip: by magic, whatever the name, JSON and CSV
    gzj = os.path.join(d, "log.jsonl.gz")
    with open(log, "rb") as f, gzip.open(gzj, "wb") as g:
        g.write(f.read())
    out = os.path.join(d, "gz.jsonl")
    p = replay(pen, [gzj, "--catalog", cat, "--out", out])
    check(p.returncode == 1 and open(out, "rb").read() == outs[0],
          "gzip JSON lines give the same result")
    gzc = os.path.join(d, "log_csv_no_suffix")
    write_csv_log(gzc, lambda path, mode, newline: gzip.open(
        path, mode, newline=newline))
    out = os.path.join(d, "gzc.jsonl")
    p = replay(pen, [gzc, "--catalog", cat, "--out", out] + cmap, 0)
    check(p.returncode == 0 and open(out, "rb").read() == outs[0],
          "gzip CSV (no .gz name) gives the same result")

    # CSV errors name FILE:LINE and the column; the rest is applied
    badc = os.path.join(d, "bad.csv")
    with open(badc, "w") as f:
        f.write('who,what,item,when\n'
                'u1,rsvp,e1,%d\n'
                'u1,vi"ew,e1,%d\n'
                'u1,view,e1\n'
                '"u1,view,e1,%d\n' % (T0, T0, T0))
    p = replay(pen, [badc, "--csv", "--map", "user_id=who,event_type=what,"
                     "entity_id=item,timestamp=when", "--summary"])
    err = p.stderr
    check(p.returncode == 1 and "bad.csv:3: column 2" in err and
          "bad.csv:4: 3 fields, the header has 4" in err and
          "bad.csv:5: column 1: quoted field not closed" in err,
          "CSV errors name FILE:LINE: column\n" + err)
    p = replay(pen, [badc, "--csv", "--map", "user_id=nope"])
    check(p.returncode == 2 and "no column 'nope'" in p.stderr,
          "a mapped column missing from the header is a usage error")
    p = replay(pen, [log, "--max-events", "2"])
    check(p.returncode == 2 and "more than 2 events" in p.stderr,
          "--max-events refuses longer inputs")
    p = replay(pen, [log, "--bogus"])
    check(p.returncode == 2, "unknown option: exit 2")
    # --type is checked once against the verbs, not on every row
    p = replay(pen, [badc, "--csv", "--type", "attend"])
    check(p.returncode == 2 and "--type 'attend' is not a verb" in p.stderr
          and "purchase" in p.stderr and ":2:" not in p.stderr,
          "an unknown --type is one usage error naming the verbs\n"
          + p.stderr)
    p = replay(pen, [badc, "--csv", "--type", "attend", "--verbs=attend:1",
                     "--map", "user_id=who,entity_id=item,timestamp=when",
                     "--summary"])
    check(p.returncode == 1 and "bad_type" not in p.stdout,
          "--type may name a custom verb of --verbs\n" + p.stdout)

    # a shop's log as it comes: no header row, its own verbs, its own
    # catalog in the same rows
    shop = os.path.join(d, "shop.csv")
    with open(shop, "w") as f:
        f.write("1,101,7,pv,%d\n1,102,7,PV,%d\n1,103,8,buy,%d\n"
                "2,101,7,fav,%d\n2,104,9,cart,%d\n"
                % (T0, T0 + 1, T0 + 2, T0 + 3, T0 + 4))
    cols = "user_id,item,cat,behavior,ts"
    out = os.path.join(d, "shop.jsonl")
    p = replay(pen, [shop, "--csv", "--columns", cols, "--map",
                     "entity_id=item,event_type=behavior,timestamp=ts",
                     "--type-map", "pv=view,buy=purchase", "--type-map",
                     "fav=save", "--catalog-csv", shop, "--catalog-columns",
                     cols, "--catalog-map", "id=item,category=cat",
                     "--out", out], 0)
    ps = {}
    if p.returncode == 0:
        for line in open(out):
            q = json.loads(line)
            ps[q["user"]] = q
    check(p.returncode == 0 and ps["1"]["counts"]["view"] == 2 and
          ps["1"]["counts"]["purchase"] == 1 and
          ps["2"]["counts"]["save"] == 1 and ps["2"]["counts"]["cart"] == 1
          and ps["1"]["unknown_entity"] == 0 and
          sorted(c["name"] for c in ps["1"]["categories"]) == ["7", "8"],
          "a headerless log with its own verbs and catalog\n" + p.stderr)
    # a tab-separated check-in dump (Foursquare's): --sep tab, no header,
    # the log its own catalog; quotes are text in TSV
    tsv = os.path.join(d, "checkins.txt")
    with open(tsv, "w") as f:
        f.write("1\tv1\tBar \"Nine\"\t-240\tThu Jan 01 02:00:00 +0200 2026\n"
                "1\tv2\tPark\t-240\tThu Jan 01 03:00:00 +0200 2026\n"
                "2\tv1\tBar \"Nine\"\t-240\tThu Jan 01 04:00:00 +0200 2026\n")
    tcols = "user_id,venue,cat,tz_offset,ts"
    targs = ["--csv", "--columns", tcols, "--map",
             "entity_id=venue,timestamp=ts", "--type", "rsvp",
             "--time-format", "%a %b %d %H:%M:%S %z %Y"]
    p = replay(pen, [tsv] + targs + ["--summary"])
    check(p.returncode == 1 and "checkins.txt:2: 1 field, --columns names 5 "
          "(no ',' in it, but a tab: try --sep tab)" in p.stderr,
          "a TSV read with ',' names --sep tab\n" + p.stderr[:300])
    for sep in ("tab", "\\t", "\t"):
        p = replay(pen, [tsv] + targs + [
            "--sep", sep, "--catalog-csv", tsv, "--catalog-columns", tcols,
            "--catalog-map", "id=venue,category=cat", "--summary", "--json"])
        s = json.loads(p.stdout or "{}")
        check(p.returncode == 0 and s.get("events_applied") == 3 and
              s.get("catalog") == 2 and s.get("unknown_entity") == 0,
              "--sep %r reads a TSV log and catalog\n%s" % (sep, p.stderr))
    semi = os.path.join(d, "semi.csv")
    with open(semi, "w") as f:
        f.write("id;category\nv1;bar\nv2;park\n")
    p = replay(pen, [tsv] + targs + [
        "--sep", "tab", "--catalog-csv", semi, "--catalog-sep", ";",
        "--summary", "--json"])
    s = json.loads(p.stdout or "{}")
    check(p.returncode == 0 and s.get("catalog") == 2 and
          s.get("unknown_entity") == 0,
          "--catalog-sep: a ';' catalog with a tab log\n" + p.stderr)
    for args, what in (
            (["--sep", "ab"], "--sep: 'ab' is not a field separator"),
            (["--sep", ""], "--sep: '' is not a field separator"),
            (["--sep", "x"], "--sep: 'x' is not a field separator"),
            (["--sep", "7"], "--sep: '7' is not a field separator"),
            (["--sep", '"'], "is not a field separator"),
            (["--sep", "\n"], "is not a field separator"),
            (["--sep", "tabs"], "--sep: 'tabs' is not a field separator"),
            (["--catalog-sep", ";;"], "--catalog-sep: ';;' is not"),
            (["--sep"], "--sep needs a value"),
    ):
        p = replay(pen, [tsv] + targs + args)
        check(p.returncode == 2 and what in p.stderr,
              "usage error %r: '%s' (%d: %s)"
              % (args, what, p.returncode, p.stderr.strip()[:160]))
    tf = os.path.join(d, "tf.csv")
    with open(tf, "w") as f:
        f.write("who,venue,at\nu1,v1,Thu Jan 01 02:00:00 +0200 2026\n"
                "u1,v2,yesterday\n")
    out = os.path.join(d, "tf.jsonl")
    p = replay(pen, [tf, "--csv", "--type", "rsvp", "--map",
                     "user_id=who,entity_id=venue,timestamp=at",
                     "--time-format", "%a %b %d %H:%M:%S %z %Y", "--out",
                     out])
    q = json.loads(open(out).readline()) if p.returncode == 1 else {}
    check(p.returncode == 1 and q.get("first_ms") == T0 * 1000 and
          "tf.csv:3: bad_time: timestamp 'yesterday' (not %a %b"
          in p.stderr,
          "--time-format reads the log's times, refuses others by line\n"
          + p.stderr)
    # ISO times without a zone: refused naming the value and the flag,
    # read with --tz-offset / --assume-utc; "+hhmm" offsets always
    iso = os.path.join(d, "iso.csv")
    with open(iso, "w") as f:
        f.write("user_id,entity_id,timestamp\nu1,e1,2026-01-01T02:00:00\n"
                "u1,e2,2026-01-01T03:00:00+0100\n")
    p = replay(pen, [iso, "--csv", "--type", "view", "--summary"])
    check(p.returncode == 1 and "events applied 1" in p.stdout and
          "iso.csv:2: bad_time: timestamp '2026-01-01T02:00:00' has no UTC "
          "offset: say how to read such times (--tz-offset MINUTES, or "
          "--assume-utc)" in p.stderr,
          "a time without a zone names the flag\n" + p.stderr)
    firsts = {}
    for extra in (["--assume-utc"], ["--tz-offset", "0"],
                  ["--tz-offset", "120"], ["--tz-offset=-60"]):
        out = os.path.join(d, "iso.jsonl")
        p = replay(pen, [iso, "--csv", "--type", "view", "--out", out]
                   + extra)
        q = json.loads(open(out).readline()) if p.returncode == 0 else {}
        firsts[" ".join(extra)] = q.get("first_ms")
    check(firsts == {"--assume-utc": (T0 + 7200) * 1000,
                     "--tz-offset 0": (T0 + 7200) * 1000,
                     "--tz-offset 120": T0 * 1000,
                     "--tz-offset=-60": (T0 + 7200) * 1000},
          "--tz-offset / --assume-utc read times without a zone: %r"
          % firsts)
    for bad in ("x", "", "1.5", "1081", "-1081", "+60", "60m", "--5"):
        p = replay(pen, [iso, "--csv", "--type", "view",
                         "--tz-offset=" + bad])
        check(p.returncode == 2 and "--tz-offset: '%s' is not whole "
              "minutes" % bad in p.stderr,
              "--tz-offset %r refused: %s" % (bad, p.stderr.strip()))
    p = replay(pen, [iso, "--csv", "--type", "view", "--tz-offset"])
    check(p.returncode == 2 and "--tz-offset needs a value" in p.stderr,
          "--tz-offset without a value")
    p = replay(pen, [shop, "--csv", "--columns", "user_id,item,cat,b,ts",
                     "--map", "entity_id=item,timestamp=ts", "--type", "pv",
                     "--type-map", "pv=view", "--summary"], 0)
    check(p.returncode == 0 and "events applied 5" in p.stdout,
          "--type names a verb through --type-map\n" + p.stderr)
    for args, what in (
            (["--type-map", "pv=peek"], "--type-map 'peek' is not a verb"),
            (["--type-map", "pv"], "'pv' is not FROM=TO"),
            (["--time-format", "YYYY-MM-DD"], "has no % conversion"),
            (["--columns", "a,,b", "--csv"], "has an empty column name"),
            (["--columns", "a,b"], "--columns is for a CSV log"),
            (["--catalog-columns", "a,b"],
             "--catalog-columns is for --catalog-csv"),
            (["--type", "click"], "are for a CSV log (--csv)"),
            (["--rating", "stars"], "are for a CSV log (--csv)"),
            (["--map", "user_id=who"], "are for a CSV log (--csv)"),
            (["--time-unit", "s"], "are for a CSV log (--csv)"),
            (["--rating-pos", "3"], "are for a CSV log (--csv)"),
            (["--catalog-map", "id=x"], "are for --catalog-csv"),
            (["--tag-sep", ";"], "are for --catalog-csv"),
            (["--tags-map", "tag=t"], "--tags-map is for --tags-csv"),
            (["--sep", ";"], "--sep is for CSV inputs"),
            (["--catalog-sep", ";"], "--catalog-sep is for --catalog-csv"),
    ):
        p = replay(pen, [log] + args)
        check(p.returncode == 2 and what in p.stderr,
              "usage error %r: '%s' (%d: %s)"
              % (args, what, p.returncode, p.stderr.strip()[:160]))

    # catalog names are text: a row with bytes that are not UTF-8 is
    # refused by line and column (the JSON output stays valid)
    badc = os.path.join(d, "badcat.csv")
    with open(badc, "wb") as f:
        f.write(b"id,tags\na,\"x\xffy\"\nb,ok\nc,cat\x01\n")
    p = replay(pen, [log, "--catalog-csv", badc, "--summary", "--json"])
    check(p.returncode == 1 and
          "badcat.csv:2: column tags: not UTF-8 text" in p.stderr and
          "badcat.csv:4: column tags: not UTF-8 text" in p.stderr and
          json.loads(p.stdout)["catalog_rejected"] == 2,
          "catalog cells that are not text are refused by line\n"
          + p.stderr)

    # a catalog from a pipe or stdin is read twice (sized, then loaded):
    # every row arrives, not "0 from 0 rows"
    catcsv = os.path.join(d, "pipecat.csv")
    with open(catcsv, "w") as f:
        f.write("id,category\n" + "".join("p%d,c%d\n" % (i, i % 3)
                                           for i in range(40)))
    for how, extra, stdin in (
            ("--catalog <(cat)", ["--catalog", "<(cat \"$1\")"], None),
            ("--catalog -", ["--catalog", "-"], open(cat, "rb").read()),
            ("--catalog - (gzip)", ["--catalog", "-"],
             gzip.compress(open(cat, "rb").read())),
            ("--catalog-csv <(cat)",
             ["--catalog-csv", "<(cat \"$2\")"], None),
            ("--catalog-csv -", ["--catalog-csv", "-"],
             open(catcsv, "rb").read())):
        script = 'exec "$0" replay --quiet "$3" --summary --json ' + \
            " ".join(extra)
        p = subprocess.run(["bash", "-c", script, pen, cat, catcsv, log],
                           input=stdin, capture_output=True)
        s = json.loads(p.stdout or b"{}")
        want = 40 if "csv" in how else 2
        check(s.get("catalog") == want and s.get("catalog_rows") == want,
              "%s loads every row (%r)\n%s" % (how, s.get("catalog"),
                                                p.stderr[-300:]))
    # a copy it cannot make is said, with what to do: a TMPDIR too long
    # for the name, or one that is not there
    for tmpdir, what in (("/x" * 3000, "TMPDIR is longer than"),
                         (os.path.join(d, "no-such-dir"),
                          "No such file or directory (set TMPDIR")):
        p = subprocess.run([pen, "replay", "--quiet", log, "--catalog", "-"],
                           input=open(cat, "rb").read(),
                           capture_output=True,
                           env=dict(os.environ, TMPDIR=tmpdir))
        err = p.stderr.decode(errors="replace")
        check(p.returncode == 2 and what in err,
              "a catalog copy that fails is said: %s" % err.strip()[-200:])
    for args, what in (
            (["-", "--catalog", "-"], "given to both the log and --catalog"),
            ([log, "--catalog-csv", "-", "--tags-csv", "-"],
             "given to both --catalog-csv and --tags-csv")):
        p = subprocess.run([pen, "replay", "--quiet"] + args,
                           input="", capture_output=True, text=True)
        check(p.returncode == 2 and what in p.stderr,
              "two '-' are refused: %s" % p.stderr.strip())

    # a wrong separator rejects every row: 20 are shown, then one line
    # for the rest, in the log and the catalogs alike; counts stay exact
    many = os.path.join(d, "many_bad.csv")
    with open(many, "w") as f:
        f.write("".join("u%d;e1;view;%d\n" % (i, T0) for i in range(30)))
    manyj = os.path.join(d, "many_bad.jsonl")
    with open(manyj, "w") as f:
        f.write("".join("not json %d\n" % i for i in range(30)))
    p = replay(pen, [many, "--csv", "--columns",
                     "user_id,entity_id,event_type,timestamp",
                     "--catalog-csv", many, "--catalog-columns", "id,x",
                     "--catalog", manyj, "--summary", "--json"])
    s = json.loads(p.stdout or "{}")
    check(p.returncode == 1 and s.get("rejected_lines") == 30 and
          s.get("catalog_rejected") == 60 and
          len(re.findall(r"many_bad\.csv:\d", p.stderr)) == 40 and
          len(re.findall(r"many_bad\.jsonl:\d", p.stderr)) == 20 and
          p.stderr.count("%s: 10 more rejected lines not shown (the first "
                         "20 are; counts are exact)" % many) == 2 and
          "%s: 10 more rejected lines not shown" % manyj in p.stderr,
          "rejected lines shown up to 20 a file\n" + p.stderr[-600:])

    # a catalog with lone-CR line ends is sized by its real lines
    crc = os.path.join(d, "catcr.csv")
    with open(crc, "w", newline="") as f:
        f.write("\r".join(["id,category"] + ["e%d,c%d" % (i, i % 5)
                                             for i in range(300)]) + "\r")
    p = replay(pen, [log, "--catalog-csv", crc, "--summary", "--json"])
    check(json.loads(p.stdout or "{}").get("catalog") == 300,
          "a lone-CR catalog loads every row\n" + p.stderr[-300:])

    # a JSON catalog with a BOM, CRLF and lone-CR line ends, a blank line
    bom = os.path.join(d, "bom.jsonl")
    with open(bom, "wb") as f:
        f.write(b'\xef\xbb\xbf{"id":"a","category":"x"}\r\n'
                b'{"id":"b","category":"y"}\r{"id":"c"}\r\r'
                b'{"id":"d","category":"z"}\n')
    p = replay(pen, [log, "--catalog", bom, "--summary", "--json"])
    s = json.loads(p.stdout or "{}")
    check(s.get("catalog") == 4 and s.get("catalog_rejected") == 0,
          "a JSON catalog's BOM and CR line ends are read as lines\n"
          + p.stderr[-300:])

    # a log that is its own catalog: repeated ids count once
    selfc = os.path.join(d, "self.csv")
    with open(selfc, "w") as f:
        f.write("who,venue,kind,when\n")
        for i, (u, v) in enumerate([("u1", "v1"), ("u2", "v2"),
                                    ("u1", "v1"), ("u3", "v1")]):
            f.write("%s,%s,Arts & Crafts Store (Independent Makers),%d\n"
                    % (u, v, T0 + i))
    p = replay(pen, [selfc, "--csv", "--type", "rsvp", "--map",
                     "user_id=who,entity_id=venue,timestamp=when",
                     "--catalog-csv", selfc, "--catalog-map",
                     "id=venue,category=kind,tags=kind", "--summary"], 0)
    check(p.returncode == 0 and "catalog entities 2 from 4 rows "
          "(rejected lines 0, rows repeating an id 2)" in p.stdout
          and "Arts & Crafts Store (Independent Makers)" in p.stdout,
          "distinct catalog entities, full names in the summary\n"
          + p.stdout)
    check(p.stderr.count("warning:") == 1 and
          "warning: 2 catalog rows repeat the id of an earlier row and "
          "replace it (the last row wins); the first: id 'v1' at %s:2, "
          "again at %s:4" % (selfc, selfc) in p.stderr,
          "repeated catalog ids are said once, with the lines\n" + p.stderr)

    # a long-format property file (one property per row) as a catalog:
    # the last row of each id wins, and the repeats are counted; ids of
    # the JSON catalog repeated by the CSV one count too
    props = os.path.join(d, "props.csv")
    with open(props, "w") as f:
        f.write("itemid,property,value\ne1,categoryid,7\ne1,available,1\n"
                "e9,categoryid,8\n")
    p = replay(pen, [log, "--catalog", cat, "--catalog-csv", props,
                     "--catalog-map", "id=itemid,category=value",
                     "--summary", "--json"])
    s = json.loads(p.stdout or "{}")
    check(s.get("catalog") == 3 and s.get("catalog_rows") == 5 and
          s.get("catalog_repeated_ids") == 2 and
          "the first: id 'e1' at %s:1, again at %s:2" % (cat, props)
          in p.stderr,
          "repeated ids across catalog files are counted (%r)\n%s"
          % (s.get("catalog_repeated_ids"), p.stderr[-300:]))
    p = replay(pen, [log, "--catalog", cat, "--summary", "--json"])
    s = json.loads(p.stdout or "{}")
    check(s.get("catalog_repeated_ids") == 0 and "warning" not in p.stderr,
          "no repeats, no warning")


# --- (2) MovieLens ----------------------------------------------------------

def top3_reference(data):
    """Per user: rating count and the genres of the top 3 by count among the
    movies rated >= 4.0 (ties with the third included)."""
    genres = {}
    with open(os.path.join(data, "movies.csv"), newline="",
              encoding="utf-8") as f:
        for r in csv.DictReader(f):
            genres[r["movieId"]] = [g.lower() for g in r["genres"].split("|")
                                    if g and g != "(no genres listed)"]
    n = collections.Counter()
    liked = collections.defaultdict(collections.Counter)
    with open(os.path.join(data, "ratings.csv"), newline="") as f:
        for r in csv.DictReader(f):
            n[r["userId"]] += 1
            if float(r["rating"]) >= 4.0:
                liked[r["userId"]].update(genres.get(r["movieId"], []))
    top = {}
    for u, c in liked.items():
        mc = c.most_common()
        third = mc[min(2, len(mc) - 1)][1]
        top[u] = {g for g, k in mc if k >= third}
    return n, top


def part_movielens(pen, d, data):
    out = os.path.join(d, "ml.jsonl")
    args = [os.path.join(data, "ratings.csv"), "--csv",
            "--map", "user_id=userId,entity_id=movieId,timestamp=timestamp",
            "--time-unit", "s", "--rating", "rating",
            "--catalog-csv", os.path.join(data, "movies.csv"),
            "--catalog-map", "id=movieId,tags=genres", "--tag-sep", "|",
            "--tags-csv", os.path.join(data, "tags.csv"),
            "--tags-map", "entity_id=movieId,tag=tag", "--out", out]
    t = time.monotonic()
    p = subprocess.run([pen, "--json", "replay"] + args + ["--summary"],
                       capture_output=True, text=True)
    el = time.monotonic() - t
    print(p.stderr.strip())
    check(p.returncode == 0, "MovieLens replay runs clean (exit %d)"
          % p.returncode)
    s = json.loads(p.stdout)
    print("summary:", json.dumps(s))
    n, top = top3_reference(data)
    check(s["rejected_lines"] == 0 and s["events_applied"] == sum(n.values())
          and s["unknown_entity"] == 0 and s["users"] == len(n),
          "every rating applied, no rejects, every movie in the catalog")
    ps = profiles(out)
    hit = total = 0
    for u, k in n.items():
        if k < 20:
            continue
        total += 1
        tags = [t["name"].lower() for t in ps[u]["tags"]
                if t["name"] != "(no genres listed)"]
        if tags and tags[0] in top.get(u, set()):
            hit += 1
    share = hit / total
    print("MovieLens: %d users with >= 20 ratings; top profile tag among "
          "the top-3 genres of their >= 4.0 movies for %d = %.1f %% "
          "(threshold 85 %%); replay %.2f s wall, %.0f ratings/s end to end"
          % (total, hit, 100 * share, el, sum(n.values()) / el))
    check(share >= 0.85, "top tag agrees with the liked genres for >= 85 %")


def main():
    if len(sys.argv) < 3 or sys.argv[2] not in ("small", "movielens"):
        print("usage: it_replay.py PENCHANT small|movielens")
        return 1
    pen = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="it-replay-") as d:
        if sys.argv[2] == "small":
            part_small(pen, d)
        else:
            base = os.environ.get("PENCHANT_SHARED_DATA", "")
            data = os.path.join(base, "movielens-latest-small")
            if not base or not os.path.exists(os.path.join(data,
                                                           "ratings.csv")):
                print("skip: no MovieLens data at %s" % data)
                return 77
            part_movielens(pen, d, data)
    print("%d failed" % len(FAILS))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
