#!/usr/bin/python3
"""cluster_sklearn: engine/cluster.h against scikit-learn on the same data.

Generates feature matrices deterministically (numpy PCG64, fixed seeds),
runs cluster_run (penchant: km_standardize + km_fit) and scikit-learn
(StandardScaler + KMeans / MiniBatchKMeans, k-means++, fixed random_state)
on each, and checks:
  - the scaler: mean and population std equal StandardScaler's;
  - the inertia penchant reports equals its labels and centroids
    re-evaluated in float64;
  - penchant's inertia <= scikit-learn's * 1.01 (re-evaluated in float64
    on scikit-learn's standardized data, nearest centroid for every point);
  - the silhouette of a small case equals sklearn.metrics.silhouette_score.

Usage: cluster_sklearn.py CLUSTER_RUN
Exit 0 pass, 1 fail, 77 skip (no numpy or scikit-learn).
"""
import os
import struct
import subprocess
import sys
import tempfile
import time

try:
    import numpy as np
    from sklearn.cluster import KMeans, MiniBatchKMeans
    from sklearn.metrics import adjusted_rand_score, silhouette_score
    from sklearn.preprocessing import StandardScaler
except ImportError as e:
    print("skip: %s" % e)
    sys.exit(77)

FAILS = []
SLACK = 1.01


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


# --- data --------------------------------------------------------------------

def blobs(n, d, k, seed):
    """Gaussian blobs, unequal sizes and spreads, centers in [-10, 10]^d."""
    g = np.random.default_rng(seed)
    centers = g.uniform(-10, 10, size=(k, d))
    spread = g.uniform(0.8, 2.5, size=k)
    share = g.dirichlet(np.full(k, 2.0))
    y = g.choice(k, size=n, p=share)
    return centers[y] + g.normal(size=(n, d)) * spread[y, None]


def behavioral(n, seed):
    """What the segmenter will see: 14 skewed per-user features (activity
    counts, rates, proportions, a time-of-day mix that sums to 1) from six
    overlapping latent user types."""
    g = np.random.default_rng(seed)
    t = g.choice(6, size=n, p=[0.35, 0.2, 0.15, 0.12, 0.1, 0.08])

    def per(*v):
        return np.array(v, dtype=float)[t]

    events = g.lognormal(per(0.5, 1.5, 2.5, 1.0, 3.0, 0.0), 0.8)
    sessions = g.poisson(1 + events / 4)
    diversity = g.beta(per(2, 5, 3, 8, 2, 1), per(5, 2, 3, 2, 6, 4))
    social = g.beta(per(1, 1, 6, 2, 1, 1), per(8, 3, 3, 6, 5, 9))
    explore = g.beta(per(2, 2, 2, 7, 1, 1), per(6, 4, 5, 3, 8, 6))
    interests = g.poisson(per(3, 8, 6, 12, 4, 2)) + 1
    stability = g.beta(per(6, 3, 4, 2, 8, 3), per(2, 3, 3, 5, 2, 3))
    silent = g.random(n) < per(0.8, 0.5, 0.4, 0.3, 0.2, 0.9)
    feedback = np.where(silent, 0.0,
                        g.exponential(per(0.1, 0.3, 0.5, 0.2, 0.8, 0.1)))
    alpha = np.array([[4, 2, 2, 1], [1, 3, 3, 2], [1, 1, 3, 5],
                      [2, 4, 2, 1], [3, 3, 3, 3], [1, 5, 1, 1]], float)
    daypart = np.empty((n, 4))
    for s in range(6):
        idx = np.flatnonzero(t == s)
        daypart[idx] = g.dirichlet(alpha[s], size=idx.size)
    recency = g.exponential(per(20, 5, 3, 7, 1, 40))
    dwell = g.gamma(2.0, per(10, 20, 15, 30, 25, 5))
    return np.column_stack([events, sessions, diversity, social, explore,
                            interests, stability, feedback, daypart,
                            recency, dwell])


# --- running both ---------------------------------------------------------------

def penchant(exe, x32, k, n_init, mb_above, seed, tmp):
    path = os.path.join(tmp, "x.bin")
    with open(path, "wb") as f:
        f.write(struct.pack("<QI", x32.shape[0], x32.shape[1]))
        f.write(np.ascontiguousarray(x32, dtype="<f4").tobytes())
    t0 = time.time()
    p = subprocess.run([exe, path, str(k), str(n_init), str(mb_above),
                        str(seed)], capture_output=True, text=True)
    secs = time.time() - t0
    if p.returncode != 0:
        print(p.stderr)
        raise SystemExit(1)
    out = {"centers": [], "secs": secs}
    for line in p.stdout.splitlines():
        key, _, rest = line.partition(" ")
        if key == "center":
            out["centers"].append([float(v) for v in rest.split()])
        elif key == "labels":
            out["labels"] = np.array(rest.split(), dtype=np.int64)
        elif key in ("mean", "std"):
            out[key] = np.array(rest.split(), dtype=float)
        elif key == "iter":
            out["iter"] = rest
        else:
            out[key] = float(rest)
    out["centers"] = np.array(out["centers"])
    return out


def nearest_inertia(z, centers):
    d2 = ((z[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
    return d2.min(axis=1).sum()


def compare(exe, tmp, name, x, k, n_init, mb_above, seed, minibatch=False):
    x32 = x.astype(np.float32)
    ours = penchant(exe, x32, k, n_init, mb_above, seed, tmp)
    sc = StandardScaler().fit(x32.astype(np.float64))
    z = sc.transform(x32.astype(np.float64))

    check(np.allclose(ours["mean"], sc.mean_, rtol=1e-9,
                      atol=1e-9 * sc.scale_.max())
          and np.allclose(ours["std"], sc.scale_, rtol=1e-9),
          "%s: mean and std equal StandardScaler's" % name)

    lab = ours["labels"]
    own = ((z - ours["centers"][lab]) ** 2).sum()
    check(abs(own / ours["inertia"] - 1) < 1e-4,
          "%s: reported inertia %.6g is its labelling's (%.6g in float64)"
          % (name, ours["inertia"], own))
    mine = nearest_inertia(z, ours["centers"])

    t0 = time.time()
    if minibatch:
        sk = MiniBatchKMeans(n_clusters=k, init="k-means++", n_init=n_init,
                             batch_size=2048, random_state=0).fit(z)
        what = "MiniBatchKMeans"
    else:
        sk = KMeans(n_clusters=k, init="k-means++", n_init=n_init,
                    random_state=0).fit(z)
        what = "KMeans"
    sk_secs = time.time() - t0
    ari = adjusted_rand_score(sk.labels_, lab)
    print("     %-10s n=%d d=%d k=%d: penchant %.6g (iter %s, %.2fs) %s %.6g "
          "(%d iter, %.2fs) ratio %.5f ARI %.3f"
          % (name, x.shape[0], x.shape[1], k, mine, ours["iter"],
             ours["secs"], what, sk.inertia_, sk.n_iter_, sk_secs,
             mine / sk.inertia_, ari))
    check(mine <= sk.inertia_ * SLACK,
          "%s: penchant inertia <= %s's * %.2f" % (name, what, SLACK))
    return ours, z


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 1
    exe = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        # Full-data method (below the mini-batch threshold).
        compare(exe, tmp, "blobs", blobs(20000, 12, 6, 1), 6, 3, 100000, 1)
        compare(exe, tmp, "behavior", behavioral(30000, 2), 8, 3, 100000, 1)
        compare(exe, tmp, "behavior16", behavioral(30000, 3), 16, 3,
                100000, 1)
        # Mini-batch, forced by the threshold, against MiniBatchKMeans and,
        # for the record, full KMeans.
        x = behavioral(200000, 4)[:, :12]
        compare(exe, tmp, "mb-behav", x, 8, 3, 50000, 1, minibatch=True)
        compare(exe, tmp, "mb-behav", x, 8, 1, 50000, 1)
        # Silhouette on all points of a small case.
        ours, z = compare(exe, tmp, "small", behavioral(3000, 5), 4, 3,
                          100000, 1)
        ref = silhouette_score(z, ours["labels"])
        check(abs(ours["silhouette"] - ref) < 1e-5,
              "small: silhouette %.6f equals sklearn's %.6f"
              % (ours["silhouette"], ref))
    if FAILS:
        print("%d check(s) failed" % len(FAILS))
        return 1
    print("cluster_sklearn: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
