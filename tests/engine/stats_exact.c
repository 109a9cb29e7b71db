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

int main(void)
{
	special_functions();
	return check_done("stats_exact");
}
