#!/usr/bin/env python3
"""Writes the seed corpus of tests/tools/fuzz_audit.c: a control byte (1:
the target rechains the lines) and an audit trail in the format of
ipc/audit.h, chained with hashlib as aud_append would chain it.
Usage: gen_audit_corpus.py [DIR]"""
import datetime
import hashlib
import os
import sys


def line(seq, ms, action, subject, detail, prev):
    t = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc)
    when = t.strftime('%Y-%m-%dT%H:%M:%S') + '.%03dZ' % (ms % 1000)
    head = ('{"seq":%d,"time":"%s","ms":%d,"uid":1000,"pid":4242,'
            '"action":"%s","subject":"%s","detail":"%s","prev":"%s"'
            % (seq, when, ms, action, subject, detail, prev))
    h = hashlib.sha256(head.encode()).hexdigest()
    return head + ',"hash":"%s"}' % h


def trail(entries):
    prev, out = '0' * 64, []
    for i, (action, subject, detail) in enumerate(entries):
        ln = line(i + 1, 1767258000123 + 61001 * i, action, subject, detail,
                  prev)
        out.append(ln)
        prev = hashlib.sha256(ln.encode()).hexdigest()
    return ('\n'.join(out) + '\n').encode()


acts = [('start', '', 'pid=4242 version=0.7.1'),
        ('catalog_load', '', 'file=cat.jsonl loaded=2 rejected=5'),
        ('erase', '0123456789abcdef', 'found=1 snapshot=1'),
        ('consent', 'fedcba9876543210', 'personalization=withdrawn'),
        ('config', '', 'shards=4 \\"quoted\\" \\u00e9t\\u00e9 \\ud800 tab\\t'),
        ('export', '00000000000000ff', ''),
        ('retention', '', 'days=30 removed=12'),
        ('key_rotation', '', 'old=ab12 new=cd34')]
good = trail(acts)
lines = good.split(b'\n')
seeds = {
    '01_intact': b'\0' + good,
    '02_rechain': b'\1' + good,
    '03_one_line': b'\0' + trail(acts[:1]),
    '04_edited': b'\1' + good.replace(b'loaded=2', b'loaded=3'),
    '05_seq_gap': b'\1' + b'\n'.join(lines[:2] + lines[3:]),
    '06_no_newline': b'\0' + good[:-1],
    '07_empty': b'\0',
    '08_garbage': b'\0' + b'{"seq":01,"time":"x"}\n\xff\xfe\n',
}
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), 'corpus', 'audit')
os.makedirs(out, exist_ok=True)
for k, v in seeds.items():
    assert len(v) <= 4096, k
    with open(os.path.join(out, k), 'wb') as f:
        f.write(v)
