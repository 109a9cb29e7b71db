#!/usr/bin/env python3
"""stats against scipy: runs stats_dump over the recorded cases and compares
every number it prints to scipy (or, where scipy has no function, to a
direct transcription of the formula computed with scipy's parts).

Usage: stats_scipy.py STATS_DUMP CASES

Tolerance: a number passes when |got - ref| <= 1e-6 * max(|ref|, floor).
floor is 1 for statistics, differences, intervals and Bayesian quantities
(absolute 1e-6 below 1, relative 1e-6 above), and 1e-300 for the outputs of
the special functions and for p-values (relative 1e-6 down to the bottom of
the double range, so small tails must be right too). Infinities must match
exactly. Exit 0 pass, 1 fail, 77 skip (no scipy).
"""
import math
import subprocess
import sys
import warnings

try:
    import numpy as np
    from scipy import integrate, optimize, special, stats
except ImportError as e:  # pragma: no cover
    print("skip: scipy not importable (%s)" % e)
    sys.exit(77)

TOL = 1e-6
REL, ABS = 1e-300, 1.0  # floors


def ref_norm_cdf(z):
    return [(stats.norm.cdf(z), REL), (stats.norm.sf(z), REL)]


def ref_norm_ppf(p):
    return [(stats.norm.ppf(p), REL)]


def ref_t_cdf(t, df):
    return [(stats.t.cdf(t, df), REL)]


def ref_t_ppf(p, df):
    return [(stats.t.ppf(p, df), REL)]


def ref_chi2_sf(x, df):
    return [(stats.chi2.sf(x, df), REL)]


def ref_gamma(a, x):
    return [(special.gammainc(a, x), REL), (special.gammaincc(a, x), REL)]


def ref_beta_inc(a, b, x):
    return [(special.betainc(a, b, x), REL)]


def ref_srm(k, *rest):
    k = int(k)
    obs = np.array(rest[:k], dtype=float)
    w = np.array(rest[k:], dtype=float)
    exp = obs.sum() * w / w.sum()
    r = stats.chisquare(obs, f_exp=exp)
    return [(r.statistic, ABS), (k - 1, ABS), (r.pvalue, REL)]


def ref_prop(x_c, n_c, x_t, n_t, alpha):
    # statsmodels.stats.proportion.proportions_ztest([x_t, x_c], [n_t, n_c])
    # with value=0, prop_var=False: pooled variance; Wald interval unpooled.
    p_c, p_t = x_c / n_c, x_t / n_t
    diff = p_t - p_c
    pool = (x_c + x_t) / (n_c + n_t)
    if 0 < pool < 1:
        z = diff / math.sqrt(pool * (1 - pool) * (1 / n_c + 1 / n_t))
        p = 2 * stats.norm.sf(abs(z))
    else:
        z, p = 0.0, 1.0
    za = stats.norm.isf(alpha / 2)
    se = math.sqrt(p_c * (1 - p_c) / n_c + p_t * (1 - p_t) / n_t)
    lift = diff / p_c if p_c > 0 else float("nan")
    return [(p_c, ABS), (p_t, ABS), (diff, ABS), (lift, ABS), (z, ABS),
            (p, REL), (diff - za * se, ABS), (diff + za * se, ABS)]


def ref_welch(m_c, v_c, n_c, m_t, v_t, n_t, alpha):
    t, p = stats.ttest_ind_from_stats(m_t, math.sqrt(v_t), n_t, m_c,
                                      math.sqrt(v_c), n_c, equal_var=False)
    vc, vt = v_c / n_c, v_t / n_t
    df = (vc + vt) ** 2 / (vc ** 2 / (n_c - 1) + vt ** 2 / (n_t - 1))
    se = math.sqrt(vc + vt)
    diff = m_t - m_c
    tq = stats.t.isf(alpha / 2, df)
    return [(diff, ABS), (se, ABS), (t, ABS), (df, ABS), (p, REL),
            (diff - tq * se, ABS), (diff + tq * se, ABS)]


class _Beta:
    """Beta(a, b) as (x, 1 - x) pairs. scipy.special's betainc and
    betaincinv are fast but lose ~1e-6 when a + b passes ~1e7; there
    scipy.stats.beta (Boost) stays accurate and is used instead."""

    def __init__(self, a, b):
        self.a, self.b = a, b
        self.big = a + b > 1e6
        if self.big:
            self.d = stats.beta(a, b)

    def cdf(self, x, y):  # P(X <= x)
        if self.big:
            return self.d.cdf(x)
        return special.betainc(self.a, self.b, x) if x < 0.5 else \
            1.0 - special.betainc(self.b, self.a, y)

    def sf(self, x, y):  # P(X > x)
        if self.big:
            return self.d.sf(x)
        return special.betainc(self.b, self.a, y) if y < 0.5 else \
            1.0 - special.betainc(self.a, self.b, x)

    def ppf(self, u):  # (x, 1 - x) with P(X <= x) = u
        x = self.d.ppf(u) if self.big else special.betaincinv(self.a, self.b, u)
        return x, 1.0 - x

    def isf(self, u):  # (x, 1 - x) with P(X > x) = u
        if self.big:
            x = self.d.isf(u)
            return x, 1.0 - x
        y = special.betaincinv(self.b, self.a, u)
        return 1.0 - y, y


def _expect(d, g, marks):
    """E[g(x, 1 - x)] for x ~ d, as the integral over u in (0, 1) of g at
    the u-quantile: no density, so no singular endpoint, and every
    integrand is bounded. The lower half integrates over ppf(u), the upper
    over isf(u), so both ends keep their precision. Panels split at fixed
    probabilities and at the given marks."""
    cuts = {0.0, 1e-12, 1e-6, 1e-3, 0.05, 0.25, 0.5}
    for m in marks:
        if 0.0 < m < 1.0:
            cuts.add(min(m, 1.0 - m))
    cuts = sorted(cuts)
    total = 0.0
    for lo, hi in zip(cuts, cuts[1:]):
        for inv in (d.ppf, d.isf):
            total += integrate.quad(lambda u: g(*inv(u)), lo, hi,
                                    epsabs=1e-13, epsrel=1e-11,
                                    limit=200)[0]
    return total


def ref_bayes(x_c, n_c, x_t, n_t, a0, b0):
    ac, bc = a0 + x_c, b0 + n_c - x_c
    at, bt = a0 + x_t, b0 + n_t - x_t
    c, t = _Beta(ac, bc), _Beta(at, bt)
    c1, t1 = _Beta(ac + 1, bc), _Beta(at + 1, bt)
    mc, mt = ac / (ac + bc), at / (at + bt)
    # Where the other posterior rises, in probabilities of this one.
    on_t, on_c = [], []
    for q in (1e-9, 1e-4, 0.02, 0.2, 0.5):
        for inv in ("ppf", "isf"):
            on_t.append(t.cdf(*getattr(c, inv)(q)))
            on_c.append(c.cdf(*getattr(t, inv)(q)))
    prob = _expect(t, c.cdf, on_t)
    # E[max(p_c - p_t, 0)] = E_t[int_x^1 (y - x) f_c(y) dy] and
    # int_x^1 y f_c(y) dy = m_c P(c' > x), c' = Beta(ac + 1, bc).
    loss_t = _expect(t, lambda x, y: mc * c1.sf(x, y) - x * c.sf(x, y),
                     on_t)
    loss_c = _expect(c, lambda x, y: mt * t1.sf(x, y) - x * t.sf(x, y),
                     on_c)
    return [(prob, ABS), (loss_t, ABS), (loss_c, ABS), None]


def ref_tau2(s2, alpha):
    lg = -2 * math.log(alpha)
    r = optimize.brentq(lambda r: r - math.log1p(r) - lg, 1e-12, 1e6,
                        xtol=1e-15, rtol=1e-15)
    return [(r * s2, ABS)]


def _msprt(tau2, alpha, looks):
    """Johari et al. 2017 as written there, with n and V for unequal arms
    (n the harmonic mean of the arm sizes, V = n var(d))."""
    p, lo, hi, out = 1.0, -math.inf, math.inf, []
    llr = 0.0
    for nc, nt, d, s2 in looks:
        if s2 is not None and s2 > 0:
            n = 2 * nc * nt / (nc + nt)
            V = n * s2
            llr = (0.5 * math.log(V / (V + n * tau2)) +
                   n * n * tau2 * d * d / (2 * V * (V + n * tau2)))
            p = min(p, math.exp(-llr))
            half = math.sqrt(V * (V + n * tau2) / (n * n * tau2) *
                             (math.log((V + n * tau2) / V) -
                              2 * math.log(alpha)))
            lo, hi = max(lo, d - half), min(hi, d + half)
        out += [(llr, ABS), (p, ABS), (lo, ABS), (hi, ABS)]
    return out


def ref_msprt_prop(tau2, alpha, k, *v):
    looks = []
    for i in range(int(k)):
        x_c, n_c, x_t, n_t = v[4 * i:4 * i + 4]
        s2 = d = None
        if n_c > 0 and n_t > 0:
            pool = (x_c + x_t) / (n_c + n_t)
            d = x_t / n_t - x_c / n_c
            s2 = pool * (1 - pool) * (1 / n_c + 1 / n_t)
        looks.append((n_c, n_t, d, s2))
    return _msprt(tau2, alpha, looks)


def ref_msprt_means(tau2, alpha, k, *v):
    looks = []
    for i in range(int(k)):
        m_c, v_c, n_c, m_t, v_t, n_t = v[6 * i:6 * i + 6]
        s2 = d = None
        if n_c > 0 and n_t > 0:
            d = m_t - m_c
            s2 = v_c / n_c + v_t / n_t
        looks.append((n_c, n_t, d, s2))
    return _msprt(tau2, alpha, looks)


REFS = {
    "norm_cdf": ref_norm_cdf, "norm_ppf": ref_norm_ppf,
    "t_cdf": ref_t_cdf, "t_ppf": ref_t_ppf, "chi2_sf": ref_chi2_sf,
    "gamma": ref_gamma, "beta_inc": ref_beta_inc, "srm": ref_srm,
    "prop": ref_prop, "welch": ref_welch, "bayes": ref_bayes,
    "tau2": ref_tau2, "msprt_prop": ref_msprt_prop,
    "msprt_means": ref_msprt_means,
}


def num(s):
    # Counts are integers; keep them exact (floats above 2^53 are not).
    try:
        return int(s)
    except ValueError:
        return float(s)


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    dump, cases_path = sys.argv[1], sys.argv[2]
    cases = {}
    with open(cases_path) as f:
        for lineno, line in enumerate(f, 1):
            s = line.strip()
            if s and not s.startswith("#"):
                kind, *args = s.split()
                cases[lineno] = (kind, [num(a) for a in args])
    run = subprocess.run([dump, cases_path], capture_output=True, text=True)
    if run.returncode != 0:
        print(run.stderr)
        print("stats_dump failed (%d)" % run.returncode)
        return 1
    # quad and Boost's inverse warn on flat tails they cannot refine
    # further; what counts is the comparison below.
    warnings.simplefilter("ignore")
    fails = 0
    seen = 0
    worst = {}  # kind -> [abs deviation, scaled deviation, its line]
    for line in run.stdout.splitlines():
        lineno, kind, *vals = line.split()
        lineno = int(lineno)
        ckind, args = cases.pop(lineno)
        assert ckind == kind
        got = [float(v) for v in vals]
        ref = REFS[kind](*args)
        if len(ref) != len(got):
            print("line %d %s: %d outputs, expected %d" %
                  (lineno, kind, len(got), len(ref)))
            fails += 1
            continue
        seen += 1
        for i, (g, r) in enumerate(zip(got, ref)):
            if r is None:
                continue
            rv, floor = float(r[0]), r[1]
            if math.isnan(rv) or math.isinf(rv) or math.isnan(g) \
                    or math.isinf(g):
                ok = (math.isnan(rv) and math.isnan(g)) or g == rv
                dev = rel = 0.0 if ok else math.inf
            else:
                dev = abs(g - rv)
                rel = dev / max(abs(rv), floor)
                ok = rel <= TOL
            w = worst.setdefault(kind, [0.0, 0.0, 0])
            w[0] = max(w[0], dev)
            if rel >= w[1]:
                w[1], w[2] = rel, lineno
            if not ok:
                fails += 1
                print("line %d %s %s: output %d: got %.17g, scipy %.17g "
                      "(|diff| %.3g, scaled %.3g > %g)" %
                      (lineno, kind, " ".join(map(str, args)), i, g, rv,
                       dev, rel, TOL))
    for lineno, (kind, args) in sorted(cases.items()):
        print("line %d %s: no output" % (lineno, kind))
        fails += 1
    print("%d cases compared; largest deviation per kind: absolute, scaled "
          "by max(|ref|, floor) (line):" % seen)
    for kind in sorted(worst):
        print("  %-12s %9.3g %9.3g (%d)" % (kind, *worst[kind]))
    if fails:
        print("%d number(s) differ from scipy by more than %g" % (fails, TOL))
        return 1
    print("stats vs scipy: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
