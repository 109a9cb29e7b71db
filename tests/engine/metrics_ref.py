#!/usr/bin/env python3
"""metrics reference: engine/metrics.h against numpy/scipy.

Generates deterministic random cases, runs metrics_dump (argv[1]) on them
and compares NDCG/HR/MRR, graded DCG/IDCG/NDCG, ILD, coverage, Gini,
entropy, novelty and MMR orders to straightforward numpy transcriptions
(to 1e-9). The bootstrap cannot share index draws with numpy (different
generators), so it is checked by what must hold whatever the draws: the
observed difference is exact, a 95% interval of a large synthetic shift
covers the true shift and not 0, and its width is within 10% of numpy's
percentile bootstrap width on the same data.

Exit 0 pass, 1 fail, 77 skip (no numpy).
"""
import math
import subprocess
import sys

try:
    import numpy as np
except ImportError:
    print("skip: numpy missing")
    sys.exit(77)
try:
    import scipy.stats as sps
except ImportError:
    sps = None

TOL = 1e-9
failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        if failures <= 20:
            print("FAIL:", what)


def near(got, want, what):
    ok = abs(got - want) <= TOL * max(1.0, abs(want))
    check(ok, "%s: got %.17g want %.17g" % (what, got, want))


def fmt(xs):
    return " ".join(repr(float(x)) for x in xs)


def item_tokens(it):
    cat, n_tags, tags = it
    return "%d %d %s" % (cat, n_tags, " ".join(str(t) for t in tags))


def random_item(rng):
    # Few categories and tags so items overlap; 0 and repeats included
    # (the module skips them); n_tags sometimes above 8 (reads as 8).
    tags = [int(t) for t in rng.integers(0, 10, 8)]
    n_tags = int(rng.integers(0, 11))
    return (int(rng.integers(0, 5)), n_tags, tags)


def tag_set(it):
    _, n_tags, tags = it
    return {t for t in tags[:min(n_tags, 8)] if t != 0}


def sim(a, b, w_cat, w_tag):
    s = w_cat if (a[0] != 0 and a[0] == b[0]) else 0.0
    ta, tb = tag_set(a), tag_set(b)
    if ta or tb:
        s += w_tag * len(ta & tb) / len(ta | tb)
    return s


def ref_rank(s, t):
    s = np.asarray(s)
    st = s[t]
    if math.isnan(st):
        return int(np.sum(~np.isnan(s)) + np.sum(np.isnan(s[:t])) + 1)
    return int(np.sum(s > st) + np.sum(s[:t] == st) + 1)


def ref_dcg(g, k):
    g = np.asarray(g, dtype=float)[:k]
    return float(np.sum(g / np.log2(np.arange(2, len(g) + 2))))


def ref_mmr(rel, items, k, lam, w_cat, w_tag):
    rel = np.asarray(rel)
    lo, hi = rel.min(), rel.max()
    rn = (rel - lo) / (hi - lo) if hi > lo else np.zeros_like(rel)
    picked = []
    for _ in range(min(k, len(rel))):
        best, bkey = None, None
        for i in range(len(rel)):
            if i in picked:
                continue
            ms = max([sim(items[i], items[j], w_cat, w_tag)
                      for j in picked] or [0.0])
            key = (lam * rn[i] - (1 - lam) * ms, rel[i], -i)
            if bkey is None or key > bkey:
                best, bkey = i, key
        picked.append(best)
    return picked


def main():
    dump = sys.argv[1]
    rng = np.random.default_rng(20240611)
    lines, checks = [], []

    # Ranking: coarse scores for ties, a NaN now and then.
    for c in range(400):
        n = int(rng.integers(1, 200))
        s = (rng.integers(0, 30, n) / 4.0) if c % 2 else rng.normal(0, 1, n)
        if c % 7 == 0:
            s[rng.integers(0, n)] = float("nan")
        k = [1, 5, 10, 20, 100][c % 5]
        t = int(rng.integers(0, n))
        lines.append("rank %d %d %d %s" % (n, k, t, fmt(s)))
        checks.append(("rank", s, k, t))

    for c in range(200):
        n = int(rng.integers(0, 60))
        g = rng.integers(0, 4, n).astype(float)
        if c % 3 == 0:
            g = g * rng.random(n)  # non-integer gains
        extra = rng.integers(0, 4, int(rng.integers(0, 5))).astype(float)
        rel = np.concatenate([g[g > 0], extra])
        rng.shuffle(rel)
        k = int(rng.integers(0, 70))
        lines.append("graded %d %d %d %s %s" % (n, len(rel), k, fmt(g),
                                                 fmt(rel)))
        checks.append(("graded", g, rel, k))

    for c in range(100):
        n = int(rng.integers(0, 40))
        items = [random_item(rng) for _ in range(n)]
        w_cat, w_tag = [(0.5, 0.5), (0.3, 0.7), (1.0, 0.0)][c % 3]
        lines.append("ild %d %r %r %s" % (n, w_cat, w_tag, " ".join(
            item_tokens(it) for it in items)))
        checks.append(("ild", items, w_cat, w_tag))

    for c in range(40):
        N = int(rng.integers(1, 600))
        pop = rng.zipf(1.5, N) - 1 if c % 2 else rng.integers(0, 50, N)
        pop = np.minimum(pop, 10**9)
        L = int(rng.integers(0, 300))
        # Lists drawn by popularity so exposure is skewed.
        p = (pop + 1) / np.sum(pop + 1)
        lists = [rng.choice(N, size=int(rng.integers(0, 30)), p=p)
                 for _ in range(L)]
        toks = ["expo %d %d" % (N, L), " ".join(str(int(x)) for x in pop)]
        for ls in lists:
            toks.append("%d %s" % (len(ls), " ".join(str(int(x))
                                                    for x in ls)))
        lines.append(" ".join(toks))
        checks.append(("expo", N, pop, lists))

    for c in range(30):
        n = int(rng.integers(1, 120))
        k = int(rng.integers(0, 25))
        lam = [0.0, 0.25, 0.5, 0.75, 1.0][c % 5]
        rel = (rng.integers(0, 4, n).astype(float) if c % 2
               else rng.normal(0, 3, n))
        items = [random_item(rng) for _ in range(n)]
        lines.append("mmr %d %d %r 0.5 0.5 %s %s" % (
            n, k, lam, fmt(rel), " ".join(item_tokens(it) for it in items)))
        checks.append(("mmr", rel, items, k, lam))

    # Bootstrap: per-user metrics of two strategies with a known shift.
    B = 2000
    for c, (n, shift, sd) in enumerate([(400, 0.05, 0.1), (1000, 0.02, 0.05),
                                         (300, 0.2, 0.3), (2000, 0.01, 0.04)]):
        base = rng.random(n)
        a = base + shift + rng.normal(0, sd, n)
        b = base.copy()
        lines.append("boot %d %d 0.95 %d %s %s" % (n, B, 1000 + c, fmt(a),
                                                   fmt(b)))
        checks.append(("boot", a, b, shift, B))

    out = subprocess.run([dump], input="\n".join(lines) + "\n",
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        print(out.stderr)
        print("FAIL: metrics_dump exited with", out.returncode)
        return 1
    res = out.stdout.split("\n")
    check(len(res) - 1 == len(checks), "one result line per case")

    rr_c, rr_ref = [], []
    for i, (case, line) in enumerate(zip(checks, res)):
        tok = line.split()
        kind = case[0]
        check(tok and tok[0] == kind, "case %d kind %s" % (i, kind))
        v = [float(x) for x in tok[1:]]
        if kind == "rank":
            _, s, k, t = case
            r = ref_rank(s, t)
            check(int(v[0]) == r, "rank case %d: %d != %d" % (i, v[0], r))
            near(v[1], 1.0 if 1 <= r <= k else 0.0, "hr %d" % i)
            near(v[2], 1.0 / np.log2(r + 1) if r <= k else 0.0, "ndcg %d" % i)
            near(v[3], 1.0 / r, "rr %d" % i)
            rr_c.append(v[3])
            rr_ref.append(1.0 / r)
        elif kind == "graded":
            _, g, rel, k = case
            dcg = ref_dcg(g, k)
            idcg = ref_dcg(np.sort(rel)[::-1], k)
            near(v[0], dcg, "dcg %d" % i)
            near(v[1], idcg, "idcg %d" % i)
            near(v[2], dcg / idcg if idcg > 0 else 0.0, "ndcg graded %d" % i)
        elif kind == "ild":
            _, items, w_cat, w_tag = case
            n = len(items)
            if n < 2:
                want = 0.0
            else:
                d = np.array([[1 - sim(items[x], items[y], w_cat, w_tag)
                               for y in range(n)] for x in range(n)])
                want = float(d[np.triu_indices(n, 1)].mean())
            near(v[0], want, "ild %d" % i)
        elif kind == "expo":
            _, N, pop, lists = case
            cnt = np.zeros(N)
            for ls in lists:
                np.add.at(cnt, ls, 1)
            C = cnt.sum()
            near(v[0], np.count_nonzero(cnt) / N, "coverage %d" % i)
            # Gini as the mean absolute difference over twice the mean,
            # a different formula than the sorted weights in C.
            if C > 0:
                gini = np.abs(cnt[:, None] - cnt[None, :]).sum() / (
                    2.0 * N * N * cnt.mean())
            else:
                gini = 0.0
            near(v[1], gini, "gini %d" % i)
            if C > 0:
                if sps is not None:
                    h = float(sps.entropy(cnt, base=2))
                else:
                    q = cnt[cnt > 0] / C
                    h = float(-(q * np.log2(q)).sum())
            else:
                h = 0.0
            near(v[2], h, "entropy %d" % i)
            norm = 0.0 if C == 0 else (1.0 if N == 1 else h / np.log2(N))
            near(v[3], norm, "normalized entropy %d" % i)
            info = -np.log2((pop + 1.0) / (pop.sum() + N))
            near(v[4], float((cnt * info).sum() / C) if C > 0 else 0.0,
                 "novelty %d" % i)
            for j, ls in enumerate(lists):
                want = float(info[ls].mean()) if len(ls) else 0.0
                near(v[5 + j], want, "novelty list %d/%d" % (i, j))
        elif kind == "mmr":
            _, rel, items, k, lam = case
            want = ref_mmr(rel, items, k, lam, 0.5, 0.5)
            got = [int(x) for x in tok[1:]]
            check(got == want, "mmr %d lambda %g: %s != %s" % (
                i, lam, got[:8], want[:8]))
        elif kind == "boot":
            _, a, b, shift, B = case
            d = a - b
            near(v[0], float(d.mean()), "boot diff %d" % i)
            lo, hi, p = v[1], v[2], v[3]
            check(lo < shift < hi, "boot %d: [%g, %g] misses %g" % (
                i, lo, hi, shift))
            check(lo > 0 and p == 0.0, "boot %d: 0 in [%g, %g] (p %g)" % (
                i, lo, hi, p))
            check(lo <= v[0] <= hi, "boot %d: diff outside" % i)
            nrng = np.random.default_rng(7 + i)
            idx = nrng.integers(0, len(d), (B, len(d)))
            means = d[idx].mean(axis=1)
            nlo, nhi = np.percentile(means, [2.5, 97.5])
            rel_w = (hi - lo) / (nhi - nlo)
            check(abs(rel_w - 1) <= 0.10, "boot %d width %g vs numpy %g" % (
                i, hi - lo, nhi - nlo))
            print("boot %d: C [%.6f, %.6f] numpy [%.6f, %.6f] width ratio "
                  "%.3f" % (i, lo, hi, nlo, nhi, rel_w))

    near(float(np.mean(rr_c)), float(np.mean(rr_ref)), "MRR")
    print("%d cases, %d failures%s" % (len(checks), failures,
                                        "" if sps else " (no scipy)"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
