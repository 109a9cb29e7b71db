#!/usr/bin/python3
"""Writes msgpack event fixtures encoded by a third-party encoder (Debian's
python3-msgpack) plus a manifest of what ipc/mpack must make of each.

Usage: gen_mpack_fixtures.py OUTDIR            fixtures + OUTDIR/manifest.txt
       gen_mpack_fixtures.py --corpus OUTDIR   the same bytes as fuzz seeds
                                               (how tests/ipc/corpus/mpack
                                               was made; no manifest)

Manifest line: FILE ret=REASON ok=N [rej=REASON:N,...] [time=MS]
  ret  what mp_decode_buffer returns for the whole buffer
  ok   accepted events; rej: rejected events per reason
  time time_ms of the first accepted event
Run it with /usr/bin/python3: that interpreter sees Debian's packages.
"""
import math
import os
import struct
import sys

import msgpack

T_MS = 1700000000123             # 2023-11-14T22:13:20.123Z
T_S = 1700000000


def base(**kw):
    e = {"user_id": "u1", "event_type": "click", "entity_id": "e1",
         "timestamp": T_MS}
    e.update(kw)
    return {k: v for k, v in e.items() if v is not Ellipsis}


def p(obj, **kw):
    return msgpack.packb(obj, use_bin_type=True, **kw)


def s32(s):
    """str32 header regardless of length (python picks the smallest)."""
    b = s.encode()
    return b"\xdb" + struct.pack(">I", len(b)) + b


def map32(pairs):
    """map32 with keys/values already packed."""
    out = b"\xdf" + struct.pack(">I", len(pairs))
    for k, v in pairs:
        out += k + v
    return out


class Raw(bytes):
    """Already-encoded msgpack bytes, spliced verbatim by rawmap()."""


def rawmap(d):
    """fixmap/map16 whose Raw values are inserted as they are (python's
    ExtType refuses type -1, so the timestamp forms are written here)."""
    n = len(d)
    out = bytes([0x80 | n]) if n < 16 else b"\xde" + struct.pack(">H", n)
    for k, v in d.items():
        out += p(k) + (v if isinstance(v, Raw) else p(v))
    return out


def fixtures():
    f = []

    def add(name, data, ret="ok", ok=1, rej=None, time=None):
        f.append((name, data, ret, ok, rej or {}, time))

    # --- encodings that must be accepted ---
    add("fixmap_snake", p(base()), time=T_MS)
    add("camel_nested", p({
        "userId": "user-42", "sessionId": "s-1", "eventType": "rsvp",
        "entityType": "activity", "entityId": "act-9",
        "context": {"timestamp": T_MS, "timeOfDay": "evening",
                    "location": {"lat": 37.7749, "lng": -122.4194},
                    "device": "iPhone", "platform": "ios",
                    "weather": "sunny", "socialContext": "friends"},
        "metadata": {"timeSpent": 12000, "scrollDepth": 0.5,
                     "recommendationPosition": 3,
                     "recommendationType": "trending"}}), time=T_MS)
    add("map16", p(base(**{"x%02d" % i: i for i in range(20)})), time=T_MS)
    add("map32", map32([(p(k), p(v)) for k, v in base().items()]),
        time=T_MS)
    # ints of every width: python picks uint8/16/32/64, int8..64
    add("int_widths", p(base(user_id=-9000000000, entity_id=300,
                             session_id=70000, position=200,
                             dwell_ms=65535, scroll_depth=1,
                             tz_offset=-300, timestamp=T_MS)), time=T_MS)
    add("int_seconds", p(base(timestamp=T_S)), time=T_S * 1000)
    add("uint64_ms", b"\x84" + p("user_id") + p("u1") + p("event_type") + p("view") +
        p("entity_id") + p("e1") + p("timestamp") + b"\xcf" +
        struct.pack(">Q", T_MS), time=T_MS)
    add("float64_seconds", p(base(timestamp=T_S + 0.5)),
        time=T_S * 1000 + 500)
    add("float32_values", p(base(scroll_depth=0.25, lat=10.5, lon=20.25),
                            use_single_float=True), time=T_MS)
    add("ts_ext32", p(base(timestamp=msgpack.Timestamp(T_S))),
        time=T_S * 1000)
    add("ts_ext64", p(base(timestamp=msgpack.Timestamp(T_S, 123456789))),
        time=T_S * 1000 + 123)
    add("ts_ext96", rawmap(base(timestamp=Raw(
        b"\xc7\x0c\xff" + struct.pack(">Iq", 999600000, T_S)))), time=T_S * 1000 + 1000)
    add("ts_rfc3339", p(base(timestamp="2024-03-01T10:00:00.250+02:00")),
        time=1709280000250)
    add("str8_16", p(base(event_type="search", entity_id=...,
                          query="jazz " * 60)), time=T_MS)
    add("str32", b"\x84" + p("user_id") + s32("u1") + p("event_type") + s32("save") +
        p("entity_id") + s32("e1") + p("timestamp") + p(T_MS), time=T_MS)
    add("bin_values", p(base(user_id=b"u1", entity_id=b"e1",
                             event_type=b"share")), time=T_MS)
    add("bin_keys", p({k.encode(): v for k, v in base().items()}),
        time=T_MS)
    add("old_raw", msgpack.packb(base(), use_bin_type=False), time=T_MS)
    add("search", p({"userId": "u7", "eventType": "search",
                     "searchQuery": "Live jazz near me", "timestamp": T_MS}),
        time=T_MS)
    add("feedback_num", p(base(event_type="feedback", feedback=-1)),
        time=T_MS)
    add("nil_absent", p(base(session_id=None, lat=None, lon=None,
                             context=None)), time=T_MS)
    add("array16", p([base(entity_id="e%d" % i) for i in range(20)]), ok=20,
        time=T_MS)
    add("array_mixed", p([base(), "not a map", base(user_id=...), base(),
                          [1, 2]]), ok=2,
        rej={"not_map": 2, "missing_user": 1}, time=T_MS)
    add("concat", p(base()) + p([base(), base()]), ok=3, time=T_MS)

    # --- one rejection per reason ---
    add("rej_not_map", p("hello"), ok=0, rej={"not_map": 1})
    add("rej_missing_user", p(base(user_id=...)), ok=0,
        rej={"missing_user": 1})
    add("rej_missing_type", p(base(event_type=...)), ok=0,
        rej={"missing_type": 1})
    add("rej_missing_entity", p(base(entity_id=...)), ok=0,
        rej={"missing_entity": 1})
    add("rej_missing_time", p(base(timestamp=...)), ok=0,
        rej={"missing_time": 1})
    add("rej_bad_type", p(base(event_type="teleport")), ok=0,
        rej={"bad_type": 1})
    add("rej_bad_entity_type", p(base(entity_type="planet")), ok=0,
        rej={"bad_entity_type": 1})
    add("rej_bad_field_type", p(base(user_id=True)), ok=0,
        rej={"bad_field_type": 1})
    add("rej_bad_field_list", p(base(lat=[1, 2])), ok=0,
        rej={"bad_field_type": 1})
    add("rej_string_too_long", p(base(user_id="u" * 300)), ok=0,
        rej={"string_too_long": 1})
    add("rej_bad_number_nan", p(base(dwell_ms=math.nan)), ok=0,
        rej={"bad_number": 1})
    add("rej_bad_number_ts_inf", p(base(timestamp=math.inf)), ok=0,
        rej={"bad_number": 1})
    add("rej_time_range", p(base(timestamp=msgpack.Timestamp(-1, 0))),
        ok=0, rej={"time_range": 1})
    add("rej_bad_time", p(base(timestamp="yesterday")), ok=0,
        rej={"bad_time": 1})
    add("rej_bad_time_ext", rawmap(base(
        timestamp=Raw(b"\xc7\x03\xffabc"))),
        ok=0, rej={"bad_time": 1})
    add("rej_bad_location", p(base(lat=95.0, lon=0.0)), ok=0,
        rej={"bad_location": 1})
    add("rej_bad_feedback", p(base(event_type="feedback")), ok=0,
        rej={"bad_feedback": 1})
    # Depth and keys are per-event rules (docs/PROTOCOL.md): the event
    # map is level 1, 8 levels pass, 9 reject that event only, the object
    # (and a stream) goes on.
    def nest(levels, **kw):
        e = base(**kw)
        for _ in range(levels - 1):
            e = {"context": e}
        return e
    add("ok_depth_8", p(nest(8)), time=T_MS)
    add("ok_depth_8_unknown", p(base(x=[[[[[[[0]]]]]]])), time=T_MS)
    add("rej_too_deep", p(nest(9)), ok=0, rej={"too_deep": 1})
    add("rej_too_deep_unknown", p(base(x=[[[[[[[{}]]]]]]])), ok=0,
        rej={"too_deep": 1})
    add("rej_too_deep_in_array", p([nest(9), nest(8), base()]), ok=2,
        rej={"too_deep": 1})
    add("rej_too_big_keys", p(base(**{"k%d" % i: 0 for i in range(70)})),
        ok=0, rej={"too_big": 1})
    add("ok_keys_64", p(base(**{"k%d" % i: 0 for i in range(60)})))
    add("rej_too_big_keys_nested", p([base(context={"k%d" % i: 0 for i in
                                                    range(65)}), base()]),
        ok=1, rej={"too_big": 1})
    add("rej_too_big_array", p([base()] * 1025), ret="too_big", ok=0)
    add("rej_malformed_c1", p(base()) + b"\xc1" + p(base()),
        ret="malformed", ok=1, time=T_MS)
    add("rej_truncated", p([base(), base()])[:-3], ret="malformed", ok=0)
    return f


def main():
    corpus = len(sys.argv) == 3 and sys.argv[1] == "--corpus"
    out = sys.argv[-1]
    os.makedirs(out, exist_ok=True)
    lines = []
    for i, (name, data, ret, ok, rej, time) in enumerate(fixtures()):
        fn = "%02d_%s.msgpack" % (i, name)
        if corpus and len(data) > 4096:
            continue
        with open(os.path.join(out, fn), "wb") as fh:
            fh.write(data)
        line = "%s ret=%s ok=%d" % (fn, ret, ok)
        if rej:
            line += " rej=" + ",".join("%s:%d" % kv for kv in rej.items())
        if time is not None:
            line += " time=%d" % time
        lines.append(line)
    if not corpus:
        with open(os.path.join(out, "manifest.txt"), "w") as fh:
            fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
