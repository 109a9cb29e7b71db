/*
 * stats: the statistics of the A/B-testing framework. Plain functions over
 * plain values: no I/O, no allocation, no globals, no clock. Every call
 * depends on its arguments only (the Monte Carlo helper on its seed too), so
 * two engines given the same counts report the same numbers, and a report can
 * be recomputed from the logged counts.
 *
 * Conventions:
 *  - arms: "c" is control, "t" is treatment; every difference is t - c.
 *  - calls that fill a struct return 0, or -EINVAL on an argument outside
 *    its documented domain (NaN and infinities included); on error the
 *    struct is left untouched. errno is never touched.
 *  - alpha, where taken, is the two-sided error rate of a (1 - alpha)
 *    confidence interval, 0 < alpha < 1. Quantiles are taken as
 *    -F^-1(alpha/2), never F^-1(1 - alpha/2), so alpha may be as small as
 *    1e-300 without rounding 1 - alpha/2 to 1.
 *  - the special functions return double and signal a domain error with
 *    NaN (a NaN argument gives NaN).
 *  - shape parameters (and posterior counts) are at most STAT_PARAM_MAX:
 *    beyond 2^53 a double cannot count the steps of the series and
 *    continued fractions, and well before that their rounding grows.
 *
 * Accuracy: every output is compared with scipy on a recorded set of
 * cases (tests/engine/stats_cases.txt, tests/engine/stats_scipy.py, which
 * asserts 1e-6 and reports the largest deviation); the bounds quoted with
 * each function are what the implementation reaches against 40-digit
 * references, usually far below that.
 *
 * Threads: any number; every function touches its arguments only (one
 * struct stat_moments or stat_msprt is updated by one thread at a time).
 */
#ifndef PENCHANT_ENGINE_STATS_H
#define PENCHANT_ENGINE_STATS_H

#include <stdint.h>

/* Largest shape parameter (gamma a, beta a and b, t df / 2) accepted. */
#define STAT_PARAM_MAX 1e15

/* ---------------------------------------------------------------------
 * Special functions
 *
 * Log-gamma is libm's lgamma_r (the reentrant one: plain lgamma writes the
 * global signgam). Where a difference of large log-gammas would cancel
 * (incomplete beta and gamma prefactors, beta ratios) the code works with
 * Stirling's series for the remainder instead, so the prefactors stay
 * accurate to ~1e-14 relative for parameters up to ~1e15.
 */

/*
 * Regularized lower incomplete gamma P(a, x) = gamma(a, x) / Gamma(a) and
 * its complement Q(a, x) = 1 - P(a, x), 0 < a <= STAT_PARAM_MAX, x >= 0
 * (x = +inf allowed). Series for x < a + 1, Lentz's continued fraction
 * otherwise (Numerical Recipes 6.2); the side computed directly keeps its
 * relative accuracy in the tails, the other is 1 minus it (results stay in
 * [0, 1]). Relative error ~1e-14 for a up to 1e6; the series' rounding
 * grows like sqrt(a) (3e-12 at a = x = 1e10). NaN outside the domain.
 */
double stat_gamma_p(double a, double x);
double stat_gamma_q(double a, double x);

/*
 * Regularized incomplete beta I_x(a, b), 0 < a, b <= STAT_PARAM_MAX,
 * 0 <= x <= 1.
 * Lentz's continued fraction (Numerical Recipes 6.4) on the side of the
 * mean where it converges, I_x(a, b) = 1 - I_{1-x}(b, a) on the other. One
 * parameter a >= 1000 with the other b <= max(50, (a^2/40)^(1/3)) and x
 * on a's side of 1/2 (the t distribution at large df, a rare conversion
 * over many trials) is ill-conditioned for the fraction, which works with
 * x and loses the digits of 1 - x; there an expansion in incomplete gammas
 * is used instead (stats.c, _ibeta_large_a). Relative error on the
 * directly computed side: below 3e-13 for parameters up to 3e5 and 1e-11
 * up to 2e6 against 40-digit references; near the mean of huge symmetric
 * parameters the fraction's rounding grows like sqrt(a) eps (5e-12 at
 * a = b = 1e9, 2e-10 at 1e12, 4e-8 at 1e15). NaN outside the domain.
 */
double stat_beta_inc(double a, double b, double x);

/*
 * Standard normal CDF Phi(z) and survival 1 - Phi(z) = Phi(-z), from libm's
 * erfc (accurate in both tails; Phi(-38) = 2.9e-316). z = -inf/+inf give
 * 0/1. NaN for NaN.
 */
double stat_norm_cdf(double z);
double stat_norm_sf(double z);

/*
 * Standard normal quantile Phi^-1(p), 0 <= p <= 1: Wichura's AS241
 * (PPND16, Applied Statistics 37, 1988), relative accuracy ~1e-16.
 * p = 0 gives -inf, p = 1 gives +inf, NaN outside [0, 1].
 */
double stat_norm_ppf(double p);

/*
 * Student t CDF P(T <= t) with df > 0 degrees of freedom (fractional df
 * allowed; df = +inf is the normal). For t < 0 the tail is computed
 * directly as I_x(df/2, 1/2) / 2 with x = df / (df + t^2) (x and 1 - x
 * formed separately), so small tails keep their relative accuracy (~1e-14
 * at any df); stat_t_cdf(-|t|, df) is the upper tail of |t|. Beyond
 * |t| = 1e150, where df / t^2 underflows, the exact power law of the tail
 * is used. t = -inf/+inf give 0/1. NaN for df <= 0 or NaN.
 */
double stat_t_cdf(double t, double df);

/*
 * Student t quantile: the t with stat_t_cdf(t, df) = p, 0 <= p <= 1,
 * df > 0. Closed forms for df = 1 and 2, the normal for df = +inf;
 * otherwise Newton on log P(T > t) as a function of log t (linear in a
 * heavy tail, so tiny df converge in a few steps), started from Hill's
 * (1970) expansion around the normal quantile and kept inside a bracket
 * (geometric bisection when a step leaves it), to ~1e-14 relative in t.
 * Quantiles past the double range (df 0.05 at p = 1e-20) are -inf/+inf,
 * as are p = 0/1. NaN outside the domain.
 */
double stat_t_ppf(double p, double df);

/*
 * Chi-square survival function P(X > x) for 0 < df <= 2 STAT_PARAM_MAX
 * degrees of freedom: Q(df/2, x/2). x <= 0 gives 1. NaN otherwise or for
 * NaN arguments.
 */
double stat_chi2_sf(double x, double df);

/* ---------------------------------------------------------------------
 * Sample-ratio mismatch
 */

#define STAT_MAX_ARMS 16

struct stat_srm {
	double chi2; /* Pearson statistic sum (o_i - e_i)^2 / e_i */
	double df;   /* k - 1 */
	double p;    /* P(chi2_{k-1} > chi2): small p = traffic split broken */
};

/*
 * Pearson's chi-square goodness of fit of the observed per-arm counts to
 * the configured split: e_i = N * w_i / sum(w), N = sum(observed). Equals
 * scipy.stats.chisquare(observed, f_exp=e). Weights need not sum to 1 but
 * must be finite and > 0.
 * 2 <= k <= STAT_MAX_ARMS. N = 0 (no traffic yet) is not an error: chi2 =
 * 0, p = 1. -EINVAL on bad k, NULL pointers or a bad weight.
 */
int stat_srm(const uint64_t *observed, const double *weights, int k,
    struct stat_srm *out);

/* ---------------------------------------------------------------------
 * Two-proportion z test
 */

struct stat_prop {
	double p_c, p_t; /* x / n of each arm */
	double diff;	 /* p_t - p_c */
	double lift;	 /* diff / p_c; NaN when p_c = 0 */
	double z;	 /* diff / sqrt(p (1 - p) (1/n_c + 1/n_t)), p pooled */
	double p;	 /* two-sided p-value 2 Phi(-|z|) */
	double lo, hi;	 /* (1 - alpha) Wald interval of diff */
};

/*
 * Two-sided z test of p_t = p_c with the pooled standard error (as
 * statsmodels' proportions_ztest with value = 0), and the unpooled Wald
 * interval diff -/+ z_{alpha/2} sqrt(p_c (1 - p_c) / n_c + p_t (1 - p_t) /
 * n_t). x_c successes of n_c trials in control, x_t of n_t in treatment.
 *
 * Degenerate data: when the pooled rate is 0 or 1 (no success in either
 * arm, or no failure in either arm) the arms are identical and the
 * standard error is 0; then z = 0, p = 1 and lo = hi = diff = 0. When only
 * one arm is all 0 or all 1 the Wald interval uses that arm's zero
 * variance as is.
 * -EINVAL when n_c = 0, n_t = 0, x > n, or alpha outside (0, 1).
 */
int stat_prop_ztest(uint64_t x_c, uint64_t n_c, uint64_t x_t, uint64_t n_t,
    double alpha, struct stat_prop *out);

/* ---------------------------------------------------------------------
 * Welch t test
 */

/*
 * Running count, mean and sum of squared deviations (Welford 1962); two
 * accumulators merge exactly as if one had seen both streams (Chan, Golub,
 * LeVeque 1979), so per-shard moments can be combined at report time.
 * Start from stat_moments_init (all zero). Pointers must not be NULL
 * (asserted).
 */
struct stat_moments {
	uint64_t n;
	double mean;
	double m2; /* sum of (x - mean)^2 */
};

void stat_moments_init(struct stat_moments *m);

/* Adds x; -EINVAL (and m unchanged) when x is NaN or infinite. */
int stat_moments_add(struct stat_moments *m, double x);

/* m <- m combined with o (o unchanged; o may be empty). */
void stat_moments_merge(struct stat_moments *m, const struct stat_moments *o);

/* Unbiased sample variance m2 / (n - 1); NaN when n < 2. */
double stat_moments_var(const struct stat_moments *m);

struct stat_welch {
	double diff;   /* mean_t - mean_c */
	double se;     /* sqrt(var_c / n_c + var_t / n_t) */
	double t;      /* diff / se */
	double df;     /* Welch-Satterthwaite degrees of freedom */
	double p;      /* two-sided p-value 2 P(T_df > |t|) */
	double lo, hi; /* diff -/+ t_{df, alpha/2} se */
};

/*
 * Welch's unequal-variance t test from summary statistics: means, unbiased
 * sample variances and sizes of each arm. Equals
 * scipy.stats.ttest_ind_from_stats(mean_t, sd_t, n_t, mean_c, sd_c, n_c,
 * equal_var=False) for t and p, and the interval uses scipy.stats.t.ppf
 * with the same fractional df:
 *   df = (v_c/n_c + v_t/n_t)^2 /
 *        ((v_c/n_c)^2 / (n_c - 1) + (v_t/n_t)^2 / (n_t - 1)).
 * Degenerate data: both variances 0 (se = 0) gives df = n_c + n_t - 2,
 * lo = hi = diff, and t = 0, p = 1 when the means are equal, t = +-inf,
 * p = 0 when they differ. -EINVAL when n < 2 in an arm, a mean or
 * variance is not finite, a variance is negative, or alpha is outside
 * (0, 1).
 */
int stat_welch(double mean_c, double var_c, uint64_t n_c, double mean_t,
    double var_t, uint64_t n_t, double alpha, struct stat_welch *out);

/* stat_welch on two accumulators. */
int stat_welch_moments(const struct stat_moments *c,
    const struct stat_moments *t, double alpha, struct stat_welch *out);

/* ---------------------------------------------------------------------
 * Bayesian beta-binomial comparison
 */

/*
 * Most terms a closed-form sum may have before the quadrature takes over:
 * a term costs ~17 ns and a call makes three sums, so <= 1 ms; at that
 * size the quadrature costs about the same.
 */
#define STAT_BAYES_EXACT_MAX 20000

struct stat_bayes {
	double prob;   /* P(p_t > p_c | data) */
	double loss_t; /* E[max(p_c - p_t, 0)]: expected loss of shipping t */
	double loss_c; /* E[max(p_t - p_c, 0)]: expected loss of keeping c */
	int exact;     /* 1: all three from closed-form sums; 0: quadrature */
};

/*
 * Posterior comparison of two conversion rates with independent
 * Beta(a0, b0) priors (a0 = b0 = 1 is uniform, 0.5 is Jeffreys): each arm's
 * posterior is Beta(a0 + x, b0 + n - x). n = 0 is allowed (the prior).
 *
 * prob, closed form: with A = Beta(aA, bA), B = Beta(aB, bB) and aB a
 * whole number,
 *   P(B > A) = sum_{i=0}^{aB-1} B(aA + i, bA + bB) /
 *              ((bB + i) B(1 + i, bB) B(aA, bA))
 * (Evan Miller, "Formulas for Bayesian A/B testing", 2015). The terms are
 * summed in log space from the first one through the ratio
 *   t_{i+1} / t_i = (aA + i)(bB + i) / ((aA + bA + bB + i)(i + 1)),
 * with the first one from Stirling-stable log-gamma ratios. Of the four
 * forms P(t > c) can take (the sum over alpha_t; over beta_c, through
 * 1 - p; one minus the sum over alpha_c or beta_t), the one with the fewest
 * terms is used when that count is a whole number of at most
 * STAT_BAYES_EXACT_MAX. Accuracy ~1e-13 absolute.
 *
 * prob, quadrature (fractional priors, or every count too large): the
 * integral of f_t(x) I_x(alpha_c, beta_c) over [0, 1] (mirrored to 1 - x
 * when the mass sits above 1/2), by adaptive Gauss-Kronrod (7-15) on
 * panels whose edges are spaced geometrically (1, 2, 4, ... standard
 * deviations) away from both posterior means, so no peak is missed however
 * narrow. A panel where f_t has mass m and I_x rises by d contributes m
 * times the mean of I_x at its edges, without quadrature, when m d <
 * 1e-13 (I_x is increasing, so that bounds its error). The panels touching
 * 0 and 1 are integrated after the substitution x = e u^(1/alpha_t) (and
 * its mirror) that absorbs the x^(alpha-1) singularity of the density, so
 * priors like 0.01 with no successes are handled. Panels are refined to
 * 1e-13 absolute or 1e-10 of their value (the incomplete beta itself is no
 * better near the mean at 1e12 trials), with at most 4000 panels.
 * Accuracy ~1e-10 absolute (agreement with the closed form on the same
 * data: 4e-11). Cost: ~0.3 ms for hundreds of trials, 1-2 ms at 1e6 to
 * 1e9, ~20 ms at 1e12.
 *
 * loss: E[max(p_c - p_t, 0)] = m_c P(c' > t) - m_t P(c > t'), m the
 * posterior means and c', t' the posteriors with alpha + 1 (the same sums
 * or quadrature); likewise loss_c. Both are expected shortfalls of the
 * conversion rate, accurate in absolute terms like prob (a tiny loss has
 * few correct digits).
 *
 * -EINVAL when x > n in an arm, a0 or b0 is not finite and > 0, or a
 * posterior a + b exceeds STAT_PARAM_MAX (1e15 trials).
 */
int stat_bayes_beta(uint64_t x_c, uint64_t n_c, uint64_t x_t, uint64_t n_t,
    double a0, double b0, struct stat_bayes *out);

/*
 * Thompson-sampling allocation: the probability that each of k arms has the
 * highest rate, estimated from `draws` joint draws of the Beta(a0 + s_i,
 * b0 + n_i - s_i) posteriors with engine/rng.h seeded by `seed` (same
 * arguments, same answer on every machine). prob_best[i] is the share of
 * draws arm i won (ties, which need equal draws, go to the lower index);
 * the shares sum to 1 and each has standard error sqrt(p (1 - p) / draws).
 * Serving arm i with probability prob_best[i] is Thompson sampling.
 * 1 <= k <= STAT_MAX_ARMS, draws >= 1. -EINVAL when s > n in an arm, or a0
 * or b0 is not finite and > 0.
 */
int stat_thompson(const uint64_t *successes, const uint64_t *trials, int k,
    double a0, double b0, uint32_t draws, uint64_t seed, double *prob_best);

/* ---------------------------------------------------------------------
 * Always-valid sequential test (mixture SPRT)
 *
 * Johari, Koomen, Pekelis, Walsh, "Peeking at A/B tests: why it matters,
 * and what to do about it", KDD 2017. The difference of the arm means,
 * theta = mu_t - mu_c, is estimated by d = mean_t - mean_c with variance
 * s2 = var(d). Mixing the likelihood ratio of theta against theta = 0 over
 * theta ~ N(0, tau2) gives
 *   Lambda = sqrt(s2 / (s2 + tau2)) exp(tau2 d^2 / (2 s2 (s2 + tau2))).
 * With n observations per arm and V = sigma_c^2 + sigma_t^2 the variance
 * of one (treatment - control) pair, s2 = V / n and this is the paper's
 *   Lambda_n = sqrt(V / (V + n tau2))
 *              exp(n^2 tau2 d^2 / (2 V (V + n tau2))).
 * Unequal arms: n is the harmonic mean 2 n_c n_t / (n_c + n_t) and
 * V = n (sigma_c^2 / n_c + sigma_t^2 / n_t), so that V / n = s2 still.
 *   means:       s2 = var_c / n_c + var_t / n_t (unbiased sample variances)
 *   proportions: s2 = p (1 - p) (1 / n_c + 1 / n_t), p the pooled rate
 *                (the variance under the null, as the pooled z test).
 * The always-valid p-value is p_n = min(p_{n-1}, 1 / Lambda_n), p_0 = 1;
 * rejecting when p_n <= alpha keeps the type I error below alpha however
 * often and whenever one looks. The always-valid (1 - alpha) interval is
 * the running intersection of
 *   d -/+ sqrt(s2 (s2 + tau2) / tau2 (log((s2 + tau2) / s2) - 2 log alpha))
 * (the theta0 for which Lambda(theta0) < 1 / alpha), so 0 leaves the
 * interval exactly when p_n drops to alpha or below (it starts as
 * (-inf, +inf)). The interval can end up empty (lo > hi); under the model
 * that happens with probability at most alpha.
 *
 * Validity assumes independent units, an allocation ratio fixed in advance
 * (not steered by outcomes) and s2 computed as above from cumulative
 * counts; the plug-in variance makes it valid as n grows, as in the paper.
 * tau2 is in squared units of theta: see stat_msprt_tau2 for a default.
 */
struct stat_msprt {
	double tau2;	/* mixing variance, fixed for the life of the test */
	double alpha;	/* level of the interval */
	double d;	/* last estimate of theta */
	double s2;	/* its variance */
	double llr;	/* log Lambda at the last look */
	double p;	/* always-valid p-value, 1 until the first look */
	double lo, hi;	/* always-valid interval, -inf/+inf until then */
	uint64_t looks; /* looks that carried information */
};

/*
 * A test with mixing variance tau2 > 0 and interval level alpha in (0, 1);
 * -EINVAL otherwise.
 */
int stat_msprt_init(struct stat_msprt *s, double tau2, double alpha);

/*
 * Default tau2: r s2_h, with s2_h the variance the estimate will have at
 * the planned horizon and r > 0 the root of r = log(1 + r) - 2 log alpha
 * (r = 8.21 at alpha = 0.05). This tau2 makes the always-valid interval
 * narrowest at the horizon (minimising its half-width over tau2 gives
 * exactly that equation); runs that stop earlier or later lose little
 * since the width is flat in tau2 near the optimum. For proportions with
 * baseline rate p and n planned per arm, s2_h = 2 p (1 - p) / n; for means,
 * (sigma_c^2 + sigma_t^2) / n. Johari et al. choose tau2 from the spread of
 * effects in past experiments instead; pass that to stat_msprt_init when it
 * is known. NaN unless s2_h > 0 and 0 < alpha < 1 (both finite).
 */
double stat_msprt_tau2(double s2_h, double alpha);

/*
 * One look with the cumulative estimate d and its variance s2 (d finite,
 * s2 >= 0 finite): updates llr, p, lo, hi. s2 = 0 carries no information:
 * the state is left as it was and 0 returned. -EINVAL on bad arguments.
 */
int stat_msprt_update(struct stat_msprt *s, double d, double s2);

/*
 * One look with cumulative conversion counts (s2 pooled, see above). An arm
 * with no trials yet, or a pooled rate of 0 or 1, carries no information
 * (state unchanged, returns 0). -EINVAL when x > n.
 */
int stat_msprt_update_prop(struct stat_msprt *s, uint64_t x_c, uint64_t n_c,
    uint64_t x_t, uint64_t n_t);

/*
 * One look with cumulative means and unbiased variances. n = 0 in an arm
 * carries no information (state unchanged, returns 0). -EINVAL on
 * non-finite values or negative variances.
 */
int stat_msprt_update_means(struct stat_msprt *s, double mean_c, double var_c,
    uint64_t n_c, double mean_t, double var_t, uint64_t n_t);

#endif
