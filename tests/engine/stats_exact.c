/*
 * stats exact values and edge cases: closed forms the special functions
 * must reproduce, hand-computed tests, degenerate data (empty arms,
 * identical arms, zero variance), huge counts, and every argument the
 * contract rejects (-EINVAL, NaN).
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "check.h"
#include "engine/stats.h"

/* |a - b| <= eps |b| (relative), for values far from 1. */
#define CHECK_REL(a, b, eps) CHECK_NEAR((a) / (b), 1.0, eps)

static void special_functions(void)
{
	/* Normal. */
	CHECK_NEAR(stat_norm_cdf(0.0), 0.5, 1e-16);
	CHECK_NEAR(stat_norm_cdf(1.959963984540054), 0.975, 1e-15);
	CHECK_NEAR(stat_norm_sf(1.959963984540054), 0.025, 1e-16);
	CHECK_REL(stat_norm_cdf(-10.0), 7.619853024160527e-24, 1e-14);
	CHECK(
	    stat_norm_cdf(-INFINITY) == 0.0 && stat_norm_cdf(INFINITY) == 1.0);
	CHECK(isnan(stat_norm_cdf(NAN)));
	CHECK_NEAR(stat_norm_ppf(0.975), 1.959963984540054, 1e-15);
	CHECK(stat_norm_ppf(0.5) == 0.0);
	/* Relative error in x costs x^2 times as much in p. */
	for (double p = 1e-300; p < 0.5; p *= 7.3) {
		double x = stat_norm_ppf(p);
		CHECK_REL(stat_norm_cdf(x), p, 1e-14 + 1e-15 * x * x);
	}
	CHECK(
	    stat_norm_ppf(0.0) == -INFINITY && stat_norm_ppf(1.0) == INFINITY);
	CHECK(isnan(stat_norm_ppf(-0.1)) && isnan(stat_norm_ppf(1.5)) &&
	    isnan(stat_norm_ppf(NAN)));

	/* Student t: Cauchy (df 1) and df 2 have closed forms. */
	for (double t = -50.0; t <= 50.0; t += 3.7) {
		CHECK_NEAR(stat_t_cdf(t, 1.0), 0.5 + atan(t) / M_PI, 1e-15);
		CHECK_NEAR(stat_t_cdf(t, 2.0),
		    0.5 + t / (2.0 * sqrt(2.0 + t * t)), 1e-15);
	}
	CHECK_REL(stat_t_cdf(-1e6, 1.0), 1.0 / (M_PI * 1e6), 1e-12);
	CHECK(stat_t_cdf(0.0, 7.0) == 0.5);
	CHECK_NEAR(stat_t_ppf(0.975, 1.0), 12.706204736174693, 1e-12);
	CHECK_NEAR(stat_t_ppf(0.975, 2.0), 4.3026527297494636, 1e-13);
	CHECK_NEAR(stat_t_ppf(0.25, 2.0), -0.81649658092772603, 1e-14);
	CHECK(stat_t_ppf(0.5, 3.3) == 0.0);
	CHECK(stat_t_ppf(0.975, INFINITY) == stat_norm_ppf(0.975));
	CHECK(stat_t_cdf(1.3, INFINITY) == stat_norm_cdf(1.3));
	/* Huge df is the normal to O(1/df). */
	CHECK_NEAR(stat_t_cdf(-2.5, 1e10), 0.0062096653257761352, 1e-11);
	/* Quantile and CDF invert each other, tails included. */
	static const double dfs[] = { 0.05, 0.3, 1.5, 3.0, 4.5, 10.0, 57.3, 1e3,
		1e6 };
	static const double ps[] = { 1e-300, 1e-100, 1e-12, 1e-4, 0.025, 0.3,
		0.45 };
	for (unsigned i = 0; i < sizeof dfs / sizeof dfs[0]; i++)
		for (unsigned j = 0; j < sizeof ps / sizeof ps[0]; j++) {
			double t = stat_t_ppf(ps[j], dfs[i]);
			if (isinf(t))
				continue; /* beyond the double range (tiny df) */
			CHECK_REL(stat_t_cdf(t, dfs[i]), ps[j], 1e-12);
		}
	/* df 0.05: the 1e-20 quantile is past 1e308. */
	CHECK(stat_t_ppf(1e-20, 0.05) == -INFINITY);
	CHECK(stat_t_cdf(-INFINITY, 3.0) == 0.0 &&
	    stat_t_cdf(INFINITY, 3.0) == 1.0);
	CHECK(isnan(stat_t_cdf(1.0, 0.0)) && isnan(stat_t_cdf(1.0, -2.0)) &&
	    isnan(stat_t_cdf(NAN, 2.0)) && isnan(stat_t_cdf(1.0, NAN)));
	CHECK(isnan(stat_t_ppf(0.5, 0.0)) && isnan(stat_t_ppf(-0.5, 3.0)) &&
	    isnan(stat_t_ppf(NAN, 3.0)));

	/* Chi-square: df 2 is exponential, df 1 a squared normal. */
	for (double x = 0.01; x < 700.0; x *= 2.3) {
		CHECK_REL(stat_chi2_sf(x, 2.0), exp(-x / 2.0), 1e-13);
		CHECK_REL(stat_chi2_sf(x, 1.0), erfc(sqrt(x / 2.0)), 1e-13);
	}
	CHECK(stat_chi2_sf(0.0, 3.0) == 1.0 && stat_chi2_sf(-1.0, 3.0) == 1.0);
	CHECK(isnan(stat_chi2_sf(1.0, 0.0)) && isnan(stat_chi2_sf(NAN, 1.0)));

	/* Incomplete gamma: a = 1 is 1 - e^-x; P + Q = 1. */
	for (double x = 0.001; x < 50.0; x *= 1.9) {
		CHECK_NEAR(stat_gamma_p(1.0, x), -expm1(-x), 1e-15);
		CHECK_NEAR(stat_gamma_p(3.5, x) + stat_gamma_q(3.5, x), 1.0,
		    1e-15);
	}
	/*
	 * P(a, a) = 1/2 + 1/(3 sqrt(2 pi a)) + O(a^-3/2); at a = 1e10 the
	 * series is good to ~1e-11 only (stats.h).
	 */
	CHECK_NEAR(stat_gamma_p(1e6, 1e6), 0.50013298076087259, 1e-13);
	CHECK_NEAR(stat_gamma_p(1e10, 1e10),
	    0.5 + 1.0 / (3.0 * sqrt(2e10 * M_PI)), 1e-11);
	CHECK(stat_gamma_p(2.0, 0.0) == 0.0 && stat_gamma_q(2.0, 0.0) == 1.0);
	CHECK(stat_gamma_p(2.0, INFINITY) == 1.0);
	CHECK(isnan(stat_gamma_p(0.0, 1.0)) && isnan(stat_gamma_q(1.0, -1.0)));
	CHECK(isnan(stat_gamma_p(2 * STAT_PARAM_MAX, 1.0)) &&
	    isnan(stat_gamma_q(INFINITY, 1.0)));
	CHECK(stat_gamma_p(1e-300, 1e-300) <= 1.0);

	/* Incomplete beta: closed forms for a or b = 1, symmetry at 1/2. */
	for (double x = 0.0; x <= 1.0; x += 0.0625) {
		CHECK_NEAR(stat_beta_inc(1.0, 1.0, x), x, 1e-16);
		CHECK_NEAR(stat_beta_inc(3.0, 1.0, x), x * x * x, 1e-15);
		CHECK_NEAR(stat_beta_inc(1.0, 2.5, x), 1.0 - pow(1.0 - x, 2.5),
		    1e-15);
	}
	CHECK_NEAR(stat_beta_inc(7.3, 7.3, 0.5), 0.5, 1e-15);
	CHECK_NEAR(stat_beta_inc(1e4, 1e4, 0.5), 0.5, 1e-14);
	CHECK_NEAR(stat_beta_inc(1e9, 1e9, 0.5), 0.5, 1e-11);
	/*
	 * Huge symmetric parameters: the beta is normal up to its (tiny)
	 * excess kurtosis. a = b = 1e12, x = 1/2 + 1e-7: z = 1e-7 / sd.
	 */
	CHECK_NEAR(stat_beta_inc(1e12, 1e12, 0.5000001), 0.61135129460526633,
	    1e-9);
	CHECK(isnan(stat_beta_inc(0.0, 1.0, 0.5)) &&
	    isnan(stat_beta_inc(1.0, 1.0, 1.5)) &&
	    isnan(stat_beta_inc(1.0, NAN, 0.5)) &&
	    isnan(stat_beta_inc(2 * STAT_PARAM_MAX, 1.0, 0.5)));
	/* The t distribution itself takes any df. */
	CHECK_NEAR(stat_t_cdf(1.0, 1e300), 0.84134474606854293, 1e-15);
	double z300 = stat_norm_ppf(1e-300);
	CHECK_NEAR(stat_t_ppf(1e-300, 1e16),
	    z300 + (z300 * z300 * z300 + z300) / 4e16, 1e-13);
}

static void srm(void)
{
	struct stat_srm r;
	uint64_t even[2] = { 5000, 5000 }, off[2] = { 5000, 5100 };
	double w[2] = { 1.0, 1.0 }, w2[2] = { 0.5, 0.5 };

	CHECK_EQ_INT(stat_srm(even, w, 2, &r), 0);
	CHECK(r.chi2 == 0.0 && r.df == 1.0 && r.p == 1.0);
	/* e = 5050 each: chi2 = 2 * 50^2 / 5050, p = erfc(sqrt(chi2 / 2)). */
	CHECK_EQ_INT(stat_srm(off, w, 2, &r), 0);
	CHECK_NEAR(r.chi2, 5000.0 / 5050.0, 1e-15);
	CHECK_NEAR(r.p, erfc(sqrt(r.chi2 / 2.0)), 1e-15);
	struct stat_srm r2;
	CHECK_EQ_INT(stat_srm(off, w2, 2, &r2), 0); /* weights only relative */
	CHECK_NEAR(r2.chi2, r.chi2, 1e-15);

	/* 90/10 split observed as configured. */
	uint64_t skew[2] = { 9000, 1000 };
	double w9[2] = { 9.0, 1.0 };
	CHECK_EQ_INT(stat_srm(skew, w9, 2, &r), 0);
	CHECK(r.chi2 == 0.0 && r.p == 1.0);
	/* A 1 % imbalance in a million users is a clear mismatch. */
	uint64_t big[2] = { 502500, 497500 };
	CHECK_EQ_INT(stat_srm(big, w, 2, &r), 0);
	CHECK_NEAR(r.chi2, 25.0, 1e-12);
	CHECK(r.p < 1e-6);

	/* No traffic yet: no evidence. */
	uint64_t none[3] = { 0, 0, 0 };
	double w3[3] = { 1.0, 1.0, 2.0 };
	CHECK_EQ_INT(stat_srm(none, w3, 3, &r), 0);
	CHECK(r.chi2 == 0.0 && r.df == 2.0 && r.p == 1.0);

	uint64_t many[STAT_MAX_ARMS + 1] = { 0 };
	double wm[STAT_MAX_ARMS + 1];
	for (int i = 0; i <= STAT_MAX_ARMS; i++) {
		many[i] = 100;
		wm[i] = 1.0;
	}
	CHECK_EQ_INT(stat_srm(many, wm, STAT_MAX_ARMS, &r), 0);
	CHECK(r.p == 1.0 && r.df == STAT_MAX_ARMS - 1);
	CHECK_EQ_INT(stat_srm(many, wm, STAT_MAX_ARMS + 1, &r), -EINVAL);
	CHECK_EQ_INT(stat_srm(many, wm, 1, &r), -EINVAL);
	double bad[4][2] = { { 1.0, 0.0 }, { 1.0, -1.0 }, { 1.0, NAN },
		{ INFINITY, 1.0 } };
	for (int i = 0; i < 4; i++)
		CHECK_EQ_INT(stat_srm(off, bad[i], 2, &r), -EINVAL);
	CHECK_EQ_INT(stat_srm(NULL, w, 2, &r), -EINVAL);
	CHECK_EQ_INT(stat_srm(off, NULL, 2, &r), -EINVAL);
	CHECK_EQ_INT(stat_srm(off, w, 2, NULL), -EINVAL);
}

static void prop(void)
{
	struct stat_prop r;

	/* 10 % vs 12 % of 1000: pooled 0.11. */
	CHECK_EQ_INT(stat_prop_ztest(100, 1000, 120, 1000, 0.05, &r), 0);
	CHECK_NEAR(r.diff, 0.02, 1e-16);
	CHECK_NEAR(r.lift, 0.2, 1e-15);
	CHECK_NEAR(r.z, 1.4293008498232322, 1e-14);
	CHECK_NEAR(r.p, 2.0 * stat_norm_cdf(-1.4293008498232322), 1e-15);
	double se = sqrt(0.1 * 0.9 / 1000 + 0.12 * 0.88 / 1000);
	CHECK_NEAR(r.lo, 0.02 - 1.959963984540054 * se, 1e-15);
	CHECK_NEAR(r.hi, 0.02 + 1.959963984540054 * se, 1e-15);

	/* Identical arms. */
	CHECK_EQ_INT(stat_prop_ztest(37, 400, 37, 400, 0.05, &r), 0);
	CHECK(r.diff == 0.0 && r.z == 0.0 && r.p == 1.0 && r.lo == -r.hi);

	/* Pooled rate 0 or 1: defined as no evidence, empty interval. */
	CHECK_EQ_INT(stat_prop_ztest(0, 500, 0, 700, 0.05, &r), 0);
	CHECK(r.z == 0.0 && r.p == 1.0 && r.lo == 0.0 && r.hi == 0.0);
	CHECK(isnan(r.lift));
	CHECK_EQ_INT(stat_prop_ztest(500, 500, 700, 700, 0.05, &r), 0);
	CHECK(r.z == 0.0 && r.p == 1.0 && r.lo == 0.0 && r.hi == 0.0);
	/* One arm all zero: a test, and lift undefined. */
	CHECK_EQ_INT(stat_prop_ztest(0, 1000, 8, 1000, 0.05, &r), 0);
	CHECK(r.z > 2.0 && r.p < 0.05 && isnan(r.lift));

	/* Huge counts stay finite and tiny effects become significant. */
	CHECK_EQ_INT(stat_prop_ztest(5000000000ULL, 100000000000ULL,
			 5001000000ULL, 100000000000ULL, 0.05, &r),
	    0);
	CHECK_NEAR(r.diff, 1e-5, 1e-16);
	CHECK(r.z > 10.0 && r.p < 1e-20 && r.lo > 0.0);

	/* alpha: the interval widens as alpha falls, even at 1e-300. */
	struct stat_prop a1, a2;
	CHECK_EQ_INT(stat_prop_ztest(100, 1000, 120, 1000, 0.2, &a1), 0);
	CHECK_EQ_INT(stat_prop_ztest(100, 1000, 120, 1000, 1e-300, &a2), 0);
	CHECK(a2.hi - a2.lo > a1.hi - a1.lo && isfinite(a2.lo));
	CHECK_NEAR((a2.hi - a2.diff) / se, -stat_norm_ppf(0.5e-300), 1e-12);

	CHECK_EQ_INT(stat_prop_ztest(1, 0, 1, 10, 0.05, &r), -EINVAL);
	CHECK_EQ_INT(stat_prop_ztest(0, 10, 0, 0, 0.05, &r), -EINVAL);
	CHECK_EQ_INT(stat_prop_ztest(11, 10, 1, 10, 0.05, &r), -EINVAL);
	CHECK_EQ_INT(stat_prop_ztest(1, 10, 11, 10, 0.05, &r), -EINVAL);
	static const double alphas[] = { 0.0, 1.0, -0.1, 1.5, NAN, INFINITY };
	for (int i = 0; i < 6; i++)
		CHECK_EQ_INT(stat_prop_ztest(1, 10, 2, 10, alphas[i], &r),
		    -EINVAL);
	CHECK_EQ_INT(stat_prop_ztest(1, 10, 2, 10, 0.05, NULL), -EINVAL);
}

static void moments(void)
{
	static const double xs[] = { 2, 4, 4, 4, 5, 5, 7, 9 };
	struct stat_moments m, a, b;

	stat_moments_init(&m);
	CHECK(isnan(stat_moments_var(&m)));
	for (int i = 0; i < 8; i++)
		CHECK_EQ_INT(stat_moments_add(&m, xs[i]), 0);
	CHECK_EQ_INT(m.n, 8);
	CHECK_NEAR(m.mean, 5.0, 1e-15);
	CHECK_NEAR(stat_moments_var(&m), 32.0 / 7.0, 1e-15);
	CHECK_EQ_INT(stat_moments_add(&m, NAN), -EINVAL);
	CHECK_EQ_INT(stat_moments_add(&m, INFINITY), -EINVAL);
	CHECK_EQ_INT(m.n, 8);
	CHECK_NEAR(m.mean, 5.0, 1e-15);

	/* Merging the two halves gives the whole; empty sides change nothing. */
	stat_moments_init(&a);
	stat_moments_init(&b);
	for (int i = 0; i < 3; i++)
		stat_moments_add(&a, xs[i]);
	for (int i = 3; i < 8; i++)
		stat_moments_add(&b, xs[i]);
	struct stat_moments empty;
	stat_moments_init(&empty);
	stat_moments_merge(&a, &empty);
	stat_moments_merge(&a, &b);
	CHECK_EQ_INT(a.n, 8);
	CHECK_NEAR(a.mean, 5.0, 1e-15);
	CHECK_NEAR(stat_moments_var(&a), 32.0 / 7.0, 1e-14);
	stat_moments_merge(&empty, &a);
	CHECK(empty.n == 8 && empty.mean == a.mean && empty.m2 == a.m2);

	/* A large offset costs no precision (the textbook sum of squares would). */
	stat_moments_init(&m);
	static const double ds[] = { 4, 7, 13, 16 };
	for (int i = 0; i < 4; i++)
		stat_moments_add(&m, 1e9 + ds[i]);
	CHECK_NEAR(stat_moments_var(&m), 30.0, 1e-6);
}

static void welch(void)
{
	struct stat_welch r, r2;

	/* Means 0 and 1, unit variances, n = 2: se 1, t 1, df 2. */
	CHECK_EQ_INT(stat_welch(0.0, 1.0, 2, 1.0, 1.0, 2, 0.05, &r), 0);
	CHECK_NEAR(r.se, 1.0, 1e-16);
	CHECK_NEAR(r.t, 1.0, 1e-16);
	CHECK_NEAR(r.df, 2.0, 1e-15);
	CHECK_NEAR(r.p, 1.0 - 1.0 / sqrt(3.0), 1e-15);
	CHECK_NEAR(r.lo, 1.0 - 4.3026527297494636, 1e-13);
	CHECK_NEAR(r.hi, 1.0 + 4.3026527297494636, 1e-13);

	/* Identical arms. */
	CHECK_EQ_INT(stat_welch(3.5, 2.0, 50, 3.5, 2.0, 50, 0.05, &r), 0);
	CHECK(r.t == 0.0 && r.p == 1.0 && r.lo == -r.hi);
	CHECK_NEAR(r.df, 98.0, 1e-12);

	/* One arm without variance: df is the other arm's n - 1. */
	CHECK_EQ_INT(stat_welch(5.0, 0.0, 10, 5.5, 2.0, 10, 0.05, &r), 0);
	CHECK_NEAR(r.df, 9.0, 1e-13);
	/* Neither: t is 0 or infinite, the interval a point. */
	CHECK_EQ_INT(stat_welch(5.0, 0.0, 10, 5.0, 0.0, 12, 0.05, &r), 0);
	CHECK(r.t == 0.0 && r.p == 1.0 && r.df == 20.0 && r.lo == 0.0 &&
	    r.hi == 0.0);
	CHECK_EQ_INT(stat_welch(5.0, 0.0, 10, 6.0, 0.0, 12, 0.05, &r), 0);
	CHECK(r.t == INFINITY && r.p == 0.0 && r.lo == 1.0 && r.hi == 1.0);

	/*
	 * Large samples: df = 2e8 - 2 and the t quantile is the normal one plus
	 * (z^3 + z) / (4 df) (Hill); a 0.002 difference is 7 standard errors.
	 */
	CHECK_EQ_INT(stat_welch(10.0, 4.0, 100000000, 10.002, 4.0, 100000000,
			 0.05, &r),
	    0);
	CHECK_NEAR(r.df, 2e8 - 2.0, 1e-5);
	double z = 1.959963984540054;
	CHECK_NEAR((r.hi - r.diff) / r.se, z + (z * z * z + z) / (4.0 * r.df),
	    1e-14);
	CHECK_NEAR(r.t, 0.002 / sqrt(8e-8), 1e-6);
	CHECK(r.p < 1e-11 && r.p > 1e-13);

	/* The accumulator route gives the same numbers. */
	struct stat_moments c, t;
	stat_moments_init(&c);
	stat_moments_init(&t);
	for (int i = 0; i < 40; i++) {
		stat_moments_add(&c, 10.0 + (i % 7) * 0.5);
		stat_moments_add(&t, 10.4 + (i % 5) * 0.7);
	}
	CHECK_EQ_INT(stat_welch_moments(&c, &t, 0.1, &r), 0);
	CHECK_EQ_INT(stat_welch(c.mean, stat_moments_var(&c), c.n, t.mean,
			 stat_moments_var(&t), t.n, 0.1, &r2),
	    0);
	CHECK(memcmp(&r, &r2, sizeof r) == 0);

	CHECK_EQ_INT(stat_welch(0.0, 1.0, 1, 1.0, 1.0, 5, 0.05, &r), -EINVAL);
	CHECK_EQ_INT(stat_welch(0.0, 1.0, 5, 1.0, 1.0, 0, 0.05, &r), -EINVAL);
	CHECK_EQ_INT(stat_welch(NAN, 1.0, 5, 1.0, 1.0, 5, 0.05, &r), -EINVAL);
	CHECK_EQ_INT(stat_welch(0.0, -1.0, 5, 1.0, 1.0, 5, 0.05, &r), -EINVAL);
	CHECK_EQ_INT(stat_welch(0.0, 1.0, 5, INFINITY, 1.0, 5, 0.05, &r),
	    -EINVAL);
	CHECK_EQ_INT(stat_welch(0.0, 1.0, 5, 1.0, NAN, 5, 0.05, &r), -EINVAL);
	CHECK_EQ_INT(stat_welch(0.0, 1.0, 5, 1.0, 1.0, 5, 0.0, &r), -EINVAL);
	CHECK_EQ_INT(stat_welch(0.0, 1.0, 5, 1.0, 1.0, 5, NAN, &r), -EINVAL);
	CHECK_EQ_INT(stat_welch(-1e308, 1.0, 5, 1e308, 1.0, 5, 0.05, &r),
	    -EINVAL);
	stat_moments_init(&c);
	stat_moments_add(&c, 1.0);
	CHECK_EQ_INT(stat_welch_moments(&c, &t, 0.05, &r), -EINVAL);
	CHECK_EQ_INT(stat_welch_moments(NULL, &t, 0.05, &r), -EINVAL);
}

static void bayes(void)
{
	struct stat_bayes r, s;

	/*
	 * Control Beta(1, 1) (no data), treatment Beta(2, 1) (one success):
	 * P(t > c) = int 2x * x dx = 2/3, E[max(c - t, 0)] = 1/12 and
	 * E[max(t - c, 0)] = 1/12 + 2/3 - 1/2 = 1/4.
	 */
	CHECK_EQ_INT(stat_bayes_beta(0, 0, 1, 1, 1.0, 1.0, &r), 0);
	CHECK_NEAR(r.prob, 2.0 / 3.0, 1e-15);
	CHECK_NEAR(r.loss_t, 1.0 / 12.0, 1e-15);
	CHECK_NEAR(r.loss_c, 0.25, 1e-15);
	CHECK_EQ_INT(r.exact, 1);

	/* Identical arms: 1/2 and equal losses, exact or not. */
	CHECK_EQ_INT(stat_bayes_beta(0, 0, 0, 0, 1.0, 1.0, &r), 0);
	CHECK_NEAR(r.prob, 0.5, 1e-15);
	CHECK_EQ_INT(stat_bayes_beta(130, 1000, 130, 1000, 1.0, 1.0, &r), 0);
	CHECK_NEAR(r.prob, 0.5, 1e-12);
	CHECK_NEAR(r.loss_t, r.loss_c, 1e-15);
	/*
	 * Tiny priors put much of the mass below the smallest double; the
	 * boundary panels carry x as a logarithm there.
	 */
	static const double tiny[] = { 0.01, 1e-3, 1e-6, 1e-300 };
	for (int i = 0; i < 4; i++) {
		CHECK_EQ_INT(stat_bayes_beta(0, 10, 0, 10, tiny[i], tiny[i],
				 &r),
		    0);
		CHECK_NEAR(r.prob, 0.5, 1e-10);
		CHECK_NEAR(r.loss_t, r.loss_c, 1e-12);
		/* 10 + 1e-300 is 10: the sums apply. */
		CHECK_EQ_INT(r.exact, tiny[i] < 1e-15);
		CHECK_EQ_INT(stat_bayes_beta(0, 0, 0, 0, tiny[i], tiny[i], &r),
		    0);
		CHECK_NEAR(r.prob, 0.5, 1e-10);
		/* The prior alone: mass 1/2 at each end, loss 1/4. */
		CHECK_NEAR(r.loss_t, 0.25, 0.01);
	}
	/* Against a 30-digit quadrature (mpmath). */
	CHECK_EQ_INT(stat_bayes_beta(0, 10, 1, 10, 0.01, 0.01, &r), 0);
	CHECK_NEAR(r.prob, 0.99346234563402599, 1e-10);
	CHECK_EQ_INT(stat_bayes_beta(1, 10, 0, 10, 0.3, 0.3, &r), 0);
	CHECK_NEAR(r.prob, 0.12835743310254434, 1e-10);

	/* Swapping the arms gives the complement and swaps the losses. */
	CHECK_EQ_INT(stat_bayes_beta(100, 1000, 120, 1000, 1.0, 1.0, &r), 0);
	CHECK_EQ_INT(stat_bayes_beta(120, 1000, 100, 1000, 1.0, 1.0, &s), 0);
	CHECK_NEAR(r.prob + s.prob, 1.0, 1e-13);
	CHECK_NEAR(r.loss_t, s.loss_c, 1e-15);
	CHECK_NEAR(r.loss_c - r.loss_t, 121.0 / 1002.0 - 101.0 / 1002.0, 1e-14);

	/* Fractional priors take the quadrature; it agrees with the sums. */
	for (int i = 0; i < 4; i++) {
		static const uint64_t d[4][4] = { { 3, 40, 9, 40 },
			{ 100, 1000, 120, 1000 }, { 0, 200, 3, 150 },
			{ 2900, 100000, 3100, 100000 } };
		CHECK_EQ_INT(stat_bayes_beta(d[i][0], d[i][1], d[i][2], d[i][3],
				 1.0, 1.0, &r),
		    0);
		CHECK_EQ_INT(stat_bayes_beta(d[i][0], d[i][1], d[i][2], d[i][3],
				 1.0 + 1e-11, 1.0 + 1e-11, &s),
		    0);
		CHECK(r.exact == 1 && s.exact == 0);
		CHECK_NEAR(r.prob, s.prob, 1e-9);
		CHECK_NEAR(r.loss_t, s.loss_t, 1e-9);
		CHECK_NEAR(r.loss_c, s.loss_c, 1e-9);
	}

	/*
	 * Huge counts: posteriors are normal; the difference of two halves of
	 * 2e12 trials 1e6 apart is one standard deviation: P = Phi(1).
	 */
	CHECK_EQ_INT(stat_bayes_beta(1000000000000ULL, 2000000000000ULL,
			 1000001000000ULL, 2000000000000ULL, 1.0, 1.0, &r),
	    0);
	CHECK_NEAR(r.prob, 0.84134474606854295, 1e-9);
	CHECK_EQ_INT(r.exact, 0);

	CHECK_EQ_INT(stat_bayes_beta(11, 10, 1, 10, 1.0, 1.0, &r), -EINVAL);
	CHECK_EQ_INT(stat_bayes_beta(1, 2000000000000000ULL, 1, 10, 1.0, 1.0,
			 &r),
	    -EINVAL);
	CHECK_EQ_INT(stat_bayes_beta(1, 10, 11, 10, 1.0, 1.0, &r), -EINVAL);
	static const double bad[] = { 0.0, -1.0, NAN, INFINITY };
	for (int i = 0; i < 4; i++) {
		CHECK_EQ_INT(stat_bayes_beta(1, 10, 2, 10, bad[i], 1.0, &r),
		    -EINVAL);
		CHECK_EQ_INT(stat_bayes_beta(1, 10, 2, 10, 1.0, bad[i], &r),
		    -EINVAL);
	}
	CHECK_EQ_INT(stat_bayes_beta(1, 10, 2, 10, 1.0, 1.0, NULL), -EINVAL);
}

static void thompson(void)
{
	uint64_t s[3] = { 100, 120, 100 }, n[3] = { 1000, 1000, 1000 };
	double p[3], q[3];
	struct stat_bayes b;

	/* Two arms: the share of wins estimates P(t > c). */
	CHECK_EQ_INT(stat_thompson(s, n, 2, 1.0, 1.0, 20000, 7, p), 0);
	CHECK_EQ_INT(stat_bayes_beta(100, 1000, 120, 1000, 1.0, 1.0, &b), 0);
	CHECK_NEAR(p[0] + p[1], 1.0, 1e-15);
	CHECK_NEAR(p[1], b.prob, 4.0 * sqrt(b.prob * (1 - b.prob) / 20000));

	/* Same seed, same answer; another seed, another draw. */
	CHECK_EQ_INT(stat_thompson(s, n, 3, 1.0, 1.0, 5000, 42, p), 0);
	CHECK_EQ_INT(stat_thompson(s, n, 3, 1.0, 1.0, 5000, 42, q), 0);
	CHECK(memcmp(p, q, sizeof p) == 0);
	CHECK_EQ_INT(stat_thompson(s, n, 3, 1.0, 1.0, 5000, 43, q), 0);
	CHECK(memcmp(p, q, sizeof p) != 0);
	CHECK_NEAR(p[0] + p[1] + p[2], 1.0, 1e-15);
	CHECK(p[1] > p[0] && p[1] > p[2]);
	/* Arms 0 and 2 are exchangeable. */
	CHECK_NEAR(p[0], p[2], 4.0 * sqrt(0.5 * p[0] / 5000) + 1e-3);

	/* One arm wins every draw. */
	CHECK_EQ_INT(stat_thompson(s, n, 1, 1.0, 1.0, 10, 1, p), 0);
	CHECK(p[0] == 1.0);

	CHECK_EQ_INT(stat_thompson(s, n, 0, 1.0, 1.0, 10, 1, p), -EINVAL);
	CHECK_EQ_INT(stat_thompson(s, n, STAT_MAX_ARMS + 1, 1.0, 1.0, 10, 1, p),
	    -EINVAL);
	CHECK_EQ_INT(stat_thompson(s, n, 2, 1.0, 1.0, 0, 1, p), -EINVAL);
	CHECK_EQ_INT(stat_thompson(s, n, 2, 0.0, 1.0, 10, 1, p), -EINVAL);
	CHECK_EQ_INT(stat_thompson(s, n, 2, 1.0, NAN, 10, 1, p), -EINVAL);
	uint64_t over[2] = { 5, 11 }, ten[2] = { 10, 10 };
	CHECK_EQ_INT(stat_thompson(over, ten, 2, 1.0, 1.0, 10, 1, p), -EINVAL);
	CHECK_EQ_INT(stat_thompson(NULL, ten, 2, 1.0, 1.0, 10, 1, p), -EINVAL);
}

static void msprt(void)
{
	struct stat_msprt m, before;

	CHECK_EQ_INT(stat_msprt_init(&m, 1e-4, 0.05), 0);
	CHECK(m.p == 1.0 && m.lo == -INFINITY && m.hi == INFINITY &&
	    m.looks == 0);

	/*
	 * d = 0.02, s2 = tau2 = 1e-4: log Lambda = -log(2)/2 + 1, the
	 * half-width sqrt(2e-4 (log 2 - 2 log 0.05)).
	 */
	CHECK_EQ_INT(stat_msprt_update(&m, 0.02, 1e-4), 0);
	CHECK_NEAR(m.llr, 0.65342640972002735, 1e-15);
	CHECK_NEAR(m.p, 0.52026009502288890, 1e-15);
	CHECK_NEAR(m.hi - 0.02, 0.036563948713638486, 1e-15);
	CHECK_NEAR(0.02 - m.lo, 0.036563948713638486, 1e-15);
	CHECK_EQ_INT(m.looks, 1);

	/* A look without information changes nothing. */
	before = m;
	CHECK_EQ_INT(stat_msprt_update(&m, 0.5, 0.0), 0);
	CHECK_EQ_INT(stat_msprt_update_prop(&m, 0, 0, 3, 10), 0);
	CHECK_EQ_INT(stat_msprt_update_prop(&m, 0, 10, 0, 10), 0);
	CHECK_EQ_INT(stat_msprt_update_prop(&m, 10, 10, 10, 10), 0);
	CHECK_EQ_INT(stat_msprt_update_means(&m, 1.0, 1.0, 0, 2.0, 1.0, 5), 0);
	CHECK(memcmp(&m, &before, sizeof m) == 0);

	/* A look closer to 0 can raise 1/Lambda but never the p-value. */
	CHECK_EQ_INT(stat_msprt_update(&m, 0.0, 0.5e-4), 0);
	CHECK(m.p == before.p);
	CHECK(m.lo >= before.lo && m.hi <= before.hi);

	/* Proportions use the pooled variance. */
	struct stat_msprt a, b;
	stat_msprt_init(&a, 1e-4, 0.05);
	stat_msprt_init(&b, 1e-4, 0.05);
	CHECK_EQ_INT(stat_msprt_update_prop(&a, 100, 1000, 120, 1000), 0);
	CHECK_EQ_INT(stat_msprt_update(&b, 0.02, 0.11 * 0.89 * 0.002), 0);
	CHECK_NEAR(a.llr, b.llr, 1e-12);
	CHECK_NEAR(a.lo, b.lo, 1e-15);
	/* Means use var_c/n_c + var_t/n_t. */
	stat_msprt_init(&a, 0.01, 0.1);
	stat_msprt_init(&b, 0.01, 0.1);
	CHECK_EQ_INT(stat_msprt_update_means(&a, 1.0, 4.0, 100, 1.3, 9.0, 50),
	    0);
	CHECK_EQ_INT(stat_msprt_update(&b, 1.3 - 1.0, 0.04 + 0.18), 0);
	CHECK(a.llr == b.llr && a.lo == b.lo && a.hi == b.hi);

	/* Default tau2 solves r = log(1 + r) - 2 log alpha. */
	double r = stat_msprt_tau2(1.0, 0.05);
	CHECK_NEAR(r, log1p(r) - 2.0 * log(0.05), 1e-13);
	CHECK_NEAR(r, 8.21, 0.01);
	CHECK_NEAR(stat_msprt_tau2(3e-6, 0.05), 3e-6 * r, 1e-18);
	CHECK(isnan(stat_msprt_tau2(0.0, 0.05)) &&
	    isnan(stat_msprt_tau2(1.0, 1.0)) &&
	    isnan(stat_msprt_tau2(NAN, 0.05)));

	CHECK_EQ_INT(stat_msprt_init(&m, 0.0, 0.05), -EINVAL);
	CHECK_EQ_INT(stat_msprt_init(&m, NAN, 0.05), -EINVAL);
	CHECK_EQ_INT(stat_msprt_init(&m, INFINITY, 0.05), -EINVAL);
	CHECK_EQ_INT(stat_msprt_init(&m, 1.0, 0.0), -EINVAL);
	CHECK_EQ_INT(stat_msprt_init(&m, 1.0, 1.0), -EINVAL);
	CHECK_EQ_INT(stat_msprt_init(NULL, 1.0, 0.05), -EINVAL);
	stat_msprt_init(&m, 1.0, 0.05);
	CHECK_EQ_INT(stat_msprt_update(&m, NAN, 1.0), -EINVAL);
	CHECK_EQ_INT(stat_msprt_update(&m, 0.1, -1.0), -EINVAL);
	CHECK_EQ_INT(stat_msprt_update(&m, 0.1, INFINITY), -EINVAL);
	CHECK_EQ_INT(stat_msprt_update_prop(&m, 11, 10, 1, 10), -EINVAL);
	CHECK_EQ_INT(stat_msprt_update_means(&m, NAN, 1.0, 5, 1.0, 1.0, 5),
	    -EINVAL);
	CHECK_EQ_INT(stat_msprt_update_means(&m, 1.0, -1.0, 5, 1.0, 1.0, 5),
	    -EINVAL);
	CHECK(m.looks == 0 && m.p == 1.0);
}

int main(void)
{
	special_functions();
	srm();
	prop();
	moments();
	welch();
	bayes();
	thompson();
	msprt();
	return check_done("stats_exact");
}
