#!/usr/bin/env python3
"""Writes the seed corpus of tests/shm/fuzz_snapshot.c: a control byte,
three count bytes, (with CTL_VERBS) six 16-byte verb names, then the
records of a snapshot: profiles (struct lrn_profile, 760 bytes: the key,
times, event count and custom verb counts set, the rest zero), catalog
entries (a key and struct cat_item, 80 bytes) and names (struct
name_entry, 136 bytes). Each seed stays under the replay main's 4096
bytes. Usage: gen_snapshot_corpus.py [DIR]"""
import os
import struct
import sys

EXACT, VERBS, ERASE, SECRET = 1, 2, 4, 8
PROFILE, CUSTOM0_AT, CONSENT_AT = 760, 444 + 15 * 4, 756


def profile(key, events, custom=(), consent=0):
    p = bytearray(PROFILE)
    struct.pack_into('<Qqqi', p, 0, key, 1700000000000, 1700000500000,
                     events)
    for i, n in enumerate(custom):
        struct.pack_into('<I', p, CUSTOM0_AT + 4 * i, n)
    struct.pack_into('<B', p, CONSENT_AT, consent)
    return bytes(p)


def entry(key, category, tags):
    item = struct.pack('<IB3x', category, len(tags))
    item += b''.join(struct.pack('<I', t) for t in tags)
    item = item.ljust(40, b'\0')
    item += struct.pack('<qqQhBBBBBB', 1700000000000, 1690000000000,
                        0x777, 60, 1, 2, 3, 0, 0, 0)
    item = item.ljust(72, b'\0')
    return struct.pack('<Q', key) + item


def name(ident, kind, text):
    t = text.encode()
    return struct.pack('<IBBH', ident, kind, 0, len(t)) + t.ljust(128, b'\0')


def verbs(*names):
    return b''.join(n.encode().ljust(16, b'\0') for n in
                    list(names) + [''] * (6 - len(names)))


def seed(ctl, counts, body, vb=b''):
    return bytes([ctl]) + bytes(counts) + vb + body


one = [profile(0x1111, 3), profile(0x2222, 7, (1, 2))]
cat = [entry(0x1000, 500, [100, 101]), entry(0x1001, 501, [])]
names = [name(100, 1, 'jazz'), name(200, 2, 'concerts')]
seeds = {
    '01_exact': seed(EXACT, (2, 2, 0), b''.join(one + cat + names)),
    '02_verbs_moved': seed(EXACT | VERBS, (1, 0, 0),
                           profile(0x3333, 9, (4, 5, 6)),
                           verbs('wish', 'gone', 'play')),
    '03_erase': seed(EXACT | ERASE, (2, 1, 0),
                     profile(0x4444, 2, (), 0x11) + profile(0x5555, 1) +
                     cat[0]),
    '04_raw_counts': seed(0, (1, 1, 1), one[0] + cat[0] + names[0]),
    '05_huge_counts': seed(0, (0xf0, 0xf1, 0xf2), one[0] + cat[1]),
    '06_catalog_full': seed(EXACT, (0, 9, 0), b''.join(
        entry(0x2000 + i, 600 + i, [i]) for i in range(9))),
    '07_names_odd': seed(EXACT, (0, 0, 0), name(7, 1, 'x' * 128) +
                         name(7, 2, 'other') + name(0, 1, 'zero') +
                         name(9, 9, '\u00e9t\u00e9')),
    '08_other_secret': seed(EXACT | SECRET, (1, 0, 0), one[1]),
    '09_empty': seed(EXACT, (0, 0, 0), b''),
    '10_trailing': seed(0, (1, 0, 0), one[0] + b'\0' * 9),
}
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), 'corpus', 'snapshot')
os.makedirs(out, exist_ok=True)
for k, v in seeds.items():
    assert len(v) <= 4096, k
    with open(os.path.join(out, k), 'wb') as f:
        f.write(v)
