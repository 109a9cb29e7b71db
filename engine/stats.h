/*
 * stats: the statistics of the A/B-testing framework. Plain functions over
 * plain values: no I/O, no allocation, no globals, no clock. Every call
 * depends on its arguments only, so two engines given the same counts
 * report the same numbers, and a report can be recomputed from the logged
 * counts.
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
 * Threads: any number; every function touches its arguments only.
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

#endif
