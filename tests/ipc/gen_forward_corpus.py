#!/usr/bin/python3
"""Writes the fuzz seeds of tests/ipc/corpus/forward (how that directory was
made), encoded by Debian's python3-msgpack. Usage: gen_forward_corpus.py DIR
"""
import gzip
import os
import sys

import msgpack

T0 = 1700000000


def rec(u, **kw):
    r = {"user_id": u, "event_type": "click", "entity_id": "e1"}
    r.update(kw)
    return r


def et(sec, ns=0):
    return msgpack.ExtType(0, sec.to_bytes(4, "big") + ns.to_bytes(4, "big"))


def p(o):
    return msgpack.packb(o, use_bin_type=True)


def main(out):
    os.makedirs(out, exist_ok=True)
    ent = b"".join(p([et(T0 + i, 5), rec("u%d" % i)]) for i in range(3))
    seeds = {
        "00_message": p(["app", T0, rec("u1")]),
        "01_message_eventtime_chunk": p(["app", et(T0, 999999999), rec("u1"),
                                         {"chunk": "Y2h1bmsx"}]),
        "02_forward": p(["app", [[T0, rec("u1")], [et(T0 + 1), rec("u2")]],
                         {"chunk": "c2", "size": 2}]),
        "03_packed_bin": p(["app", ent, {"chunk": "c3"}]),
        "04_packed_str": msgpack.packb(["app", ent.decode("latin-1")]),
        "05_compressed": p(["app", gzip.compress(ent),
                            {"compressed": "gzip", "chunk": "c5"}]),
        "06_heartbeat_then_message": p(None) + p(["a", T0, rec("u")]),
        "07_stream_of_three": p(["a", T0, rec("u")]) +
        p(["b", [[T0, rec("v", timestamp=T0 * 1000 + 5)]]]) +
        p(["c", ent, {"chunk": "z"}]),
        "08_rejections": p(["t", [1, [T0, []], [et(T0), {"event_type": "view"}],
                                  [msgpack.ExtType(0, b"abcd"), rec("u")]],
                            {"chunk": "r"}]),
        "09_fluentbit_meta": p(["t", [[[et(T0), {}], rec("u")]]]),
        "10_nested_context": p(["t", T0, {"userId": "u", "eventType": "rsvp",
                                          "entityId": "a", "context": {
                                              "location": {"lat": 1.5, "lng": 2.5},
                                              "device": "ios"}}]),
        "11_bomb_small": p(["t", gzip.compress(b"\x00" * 20000),
                            {"compressed": "gzip"}]),
        "12_bad_shape": p({"tag": "x"}) + p(["t"]),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name + ".msgpack"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main(sys.argv[1])
