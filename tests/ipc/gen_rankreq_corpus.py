#!/usr/bin/python3
"""Writes the fuzz seeds of tests/ipc/corpus/rankreq (how that directory was
made): rank requests as JSON and as msgpack (Debian's python3-msgpack), good
ones and near misses. Usage: gen_rankreq_corpus.py DIR
"""
import json
import os
import sys

import msgpack

CTX = {"time": "2026-11-26T19:30:00+01:00", "tz_offset": 60,
       "location": {"lat": 52.52, "lon": 13.4}, "weather": "rainy",
       "social": "friends", "device": "mobile", "platform": "ios"}
ATTRS = {"category": "music", "tags": ["jazz", "live"],
         "start_time": "2026-12-01T20:00:00Z", "lat": 52.5, "lon": 13.3,
         "indoor": True, "group_friendly": True, "added": 1764000000000,
         "devices": ["mobile", "tv"]}
OPTS = {"strategy": "full", "k": 2, "seed": 7, "epsilon": 0.1,
        "explore_weight": 0.5, "mmr_lambda": 0.8, "serendipity_every": 3}


def cands(n, attrs=False):
    out = []
    for i in range(n):
        c = {"entity_id": "e%d" % i, "score": 1.0 / (i + 1)}
        if attrs and i % 2:
            c["attributes"] = ATTRS
        out.append(c)
    return out


SEEDS = {
    "00_full": {"user_id": "u1", "context": CTX, "candidates": cands(3, True),
                "options": OPTS},
    "01_minimal": {"user_id": "u", "candidates": [{"id": "a", "score": 0}]},
    "02_camel": {"userId": 42, "context": {"timestamp": 1764181800000,
                                           "tzOffset": -90, "lat": 1, "lng": 2,
                                           "socialContext": "alone"},
                 "candidates": [{"entityId": 7, "score": 2,
                                 "attrs": {"startTime": 1764181800,
                                           "groupFriendly": False,
                                           "outdoor": True}}],
                 "options": {"exploreWeight": 1, "mmrLambda": 0.2,
                             "serendipityEvery": 0, "seed": "123"}},
    "03_many": {"user_id": "u", "candidates": cands(32)},
    "04_too_many": {"user_id": "u", "candidates": cands(33)},
    "05_bad_strategy": {"user_id": "u", "candidates": cands(1),
                        "options": {"strategy": "bogus"}},
    "06_bad_score": {"user_id": "u",
                     "candidates": [{"entity_id": "e", "score": -1}]},
    "07_nulls": {"user_id": "u", "context": None, "options": None,
                 "candidates": [{"entity_id": "e", "score": 1,
                                 "attributes": None}], "x": [[[1]]]},
    "10_diversity": {"user_id": "u", "candidates": cands(4),
                     "options": {"strategy": "diverse", "diversifier": "dpp",
                                 "dppTheta": 0.6, "mmr_mean": 0.5}},
    "11_bad_diversifier": {"user_id": "u", "candidates": cands(2),
                           "options": {"diversifier": "xqd",
                                       "dpp_theta": 2}},
}


def main(out):
    os.makedirs(out, exist_ok=True)
    for name, req in SEEDS.items():
        with open(os.path.join(out, name + ".json"), "w") as f:
            f.write(json.dumps(req, separators=(",", ":")))
        with open(os.path.join(out, name + ".msgpack"), "wb") as f:
            f.write(msgpack.packb(req, use_bin_type=True))
    # msgpack only: a NaN score, a timestamp extension, bin keys
    nan = {"user_id": "u", "candidates": [{"entity_id": "e",
                                           "score": float("nan")}]}
    with open(os.path.join(out, "08_nan.msgpack"), "wb") as f:
        f.write(msgpack.packb(nan, use_bin_type=True))
    ext = {b"user_id": b"u", "context": {"time": msgpack.Timestamp(
        1764181800, 5)}, "candidates": [{b"entity_id": "e", "score": 1}]}
    with open(os.path.join(out, "09_ext_bin.msgpack"), "wb") as f:
        f.write(msgpack.packb(ext, use_bin_type=True))
    # JSON text only (repeated keys): plain candidates ({entity_id,
    # score}, which JSON decoding reads straight from the tokens) beside
    # their near misses
    with open(os.path.join(out, "12_plain_near.json"), "w") as f:
        f.write('{"user_id":"u","candidates":['
                '{"entity_id":"a","score":0.5},'
                '{"score":2,"id":"b","entity_id":"c"},'
                '{"entity_id":"d","entity_id":null,"score":1},'
                '{"entity_id":"e\\u00e9","score":1,"attrs":null},'
                '{"entity_id":"f","score":1,"score":-0.0,"x":{"y":[]}},'
                '{"entity_id":"g\\"h","score":1e3}]}')


if __name__ == "__main__":
    main(sys.argv[1])
