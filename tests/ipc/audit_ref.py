#!/usr/bin/env python3
"""audit_ref: an independent reading of the audit trail format (ipc/audit.h),
written from the header's description with hashlib and json only, so that
a test can check aud_verify() against it. Usage: audit_ref.py LOG...
Prints one line per log: "ok N LASTHASH" or "bad LINE REASON"."""
import datetime
import hashlib
import json
import re
import sys

FIELDS = ["seq", "time", "ms", "uid", "pid", "action", "subject", "detail",
          "prev", "hash"]
ACTIONS = {"erase", "export", "consent", "catalog_load", "config", "start",
           "retention", "key_rotation"}
HEX64 = re.compile(r"[0-9a-f]{64}\Z")
HEX16 = re.compile(r"[0-9a-f]{16}\Z")


def rfc3339_ms(ms):
    t = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (ms % 1000)


def shape(raw):
    """The fields of one line, or a reason it is not a line of the log."""
    if len(raw) > 4096:
        return None, "line too long"
    try:
        pairs = json.loads(raw.decode("utf-8"), object_pairs_hook=list)
    except (UnicodeDecodeError, ValueError) as e:
        return None, "not JSON: %s" % e
    if not isinstance(pairs, list) or [k for k, _ in pairs] != FIELDS:
        return None, "fields are not %s" % FIELDS
    d = dict(pairs)
    ints = all(type(d[k]) is int and d[k] >= 0
               for k in ("seq", "ms", "uid", "pid"))
    if not ints:
        return None, "a number field is not a non-negative integer"
    ok = (isinstance(d["time"], str) and d["time"] == rfc3339_ms(d["ms"])
          and d["action"] in ACTIONS
          and isinstance(d["subject"], str)
          and (d["subject"] == "" or HEX16.match(d["subject"]))
          and isinstance(d["detail"], str)
          and isinstance(d["prev"], str) and HEX64.match(d["prev"])
          and isinstance(d["hash"], str) and HEX64.match(d["hash"]))
    return (d, "") if ok else (None, "a field has the wrong form")


def verify(path):
    data = open(path, "rb").read()
    lines = data.split(b"\n")
    complete = data.endswith(b"\n") or not data
    lines = lines[:-1] if complete else lines
    prev = "0" * 64
    for no, raw in enumerate(lines, 1):
        if no == len(lines) and not complete:
            return "bad %d truncated" % no
        d, why = shape(raw)
        if d is None:
            return "bad %d shape: %s" % (no, why)
        if d["seq"] != no:
            return "bad %d seq" % no
        # hash: the line's bytes up to the final ,"hash": (the last field).
        cut = raw.rindex(b',"hash":')
        if hashlib.sha256(raw[:cut]).hexdigest() != d["hash"]:
            return "bad %d hash" % no
        if d["prev"] != prev:
            return "bad %d prev" % no
        prev = hashlib.sha256(raw).hexdigest()
        last = d["hash"]
    return "ok %d %s" % (len(lines), last if lines else "")


if __name__ == "__main__":
    for p in sys.argv[1:]:
        print(verify(p))
