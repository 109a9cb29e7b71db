/*
 * stats: A/B-testing statistics (contract in stats.h). Special functions
 * first, then the tests built on them. Everything is double precision and
 * lives on the stack.
 */
#include "engine/stats.h"

#include <assert.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stddef.h>

#include "engine/rng.h"

#define _LN_SQRT_2PI 0.918938533204672741780329736406
#define _TINY 1e-300 /* Lentz: stands in for a zero denominator */

/* ---------------------------------------------------------------------
 * Log-gamma and friends
 */

/*
 * lgamma_r, not lgamma: lgamma stores the sign in the global signgam, a
 * data race when two threads report at once. Arguments here are > 0.
 */
static double _lgamma(double x)
{
	int sign;
	return lgamma_r(x, &sign);
}

/*
 * Stirling remainder corr(z) = lgamma(z) - ((z - 1/2) log z - z +
 * log sqrt(2 pi)). From its asymptotic series sum B_2k / (2k (2k - 1)
 * z^(2k-1)) for z >= 10 (eight terms reach 1e-17 there); directly for
 * smaller z, where lgamma is small and the subtraction loses nothing that
 * matters.
 */
static double _stirling_corr(double z)
{
	static const double c[8] = { 1.0 / 12, -1.0 / 360, 1.0 / 1260,
		-1.0 / 1680, 1.0 / 1188, -691.0 / 360360, 1.0 / 156,
		-3617.0 / 122400 };
	if (z < 10.0)
		return _lgamma(z) - ((z - 0.5) * log(z) - z + _LN_SQRT_2PI);
	double r = 1.0 / z, r2 = r * r, v = c[7];
	for (int k = 6; k >= 0; k--)
		v = v * r2 + c[k];
	return v * r;
}

/* log(1 + u) - u without cancellation for small u. u >= -1. */
static double _log1pmx(double u)
{
	if (fabs(u) > 0.1)
		return log1p(u) - u;
	/* -u^2/2 + u^3/3 - ...: 0.1^k / k falls below 1e-17 of u^2/2 by k=18 */
	double term = u, sum = 0.0;
	for (int k = 2; k < 40; k++) {
		term *= -u;
		double add = term / k;
		sum += add;
		if (fabs(add) <= 1e-17 * fabs(sum))
			break;
	}
	return sum;
}

/*
 * lgamma(b + a) - lgamma(b), a, b > 0, without subtracting two large
 * log-gammas: through Stirling, (b - 1/2) log1p(a/b) + a log(b + a) - a +
 * corr(b + a) - corr(b).
 */
static double _lgamma_ratio(double b, double a)
{
	if (b < 10.0)
		return _lgamma(b + a) - _lgamma(b);
	return (b - 0.5) * log1p(a / b) + a * log(b + a) - a +
	    (_stirling_corr(b + a) - _stirling_corr(b));
}

/*
 * log B(a, b) = lgamma(a) + lgamma(b) - lgamma(a + b), through
 * _lgamma_ratio when one parameter is large (the plain sum would cancel
 * there). With both large it still loses ~eps a log a: _beta_lprefix has
 * the exact Stirling form for that case.
 */
static double _lbeta(double a, double b)
{
	if (a < 10.0 && b < 10.0)
		return _lgamma(a) + _lgamma(b) - _lgamma(a + b);
	if (a < b)
		return _lgamma(a) - _lgamma_ratio(b, a);
	return _lgamma(b) - _lgamma_ratio(a, b);
}

/*
 * a log(1 + u) - a u for the prefactors below; u = d / a with 1 + u >= 0.
 * Far from 0 the plain form is accurate (the result is then of the order of
 * a) and safe when rounding pushes 1 + u just below 0.
 */
static double _a_log1pmx(double a, double d, double one_plus_u)
{
	double u = d / a;
	if (fabs(u) < 0.5)
		return a * _log1pmx(u);
	return a * log(one_plus_u) - d;
}

/*
 * log(x^a y^b / B(a, b)), y = 1 - x given separately so that both keep
 * their precision. For a, b >= 10 Stirling's form
 *   a log1pmx(d/a) + b log1pmx(-d/b) + log sqrt(ab / (a + b)) - log sqrt(2pi)
 *   - (corr(a) + corr(b) - corr(a + b)),   d = b x - a y = (a + b) x - a,
 * is exact up to the series and has no large cancelling terms (the naive
 * lgamma(a + b) - lgamma(a) - lgamma(b) loses ~1e-6 at a, b ~ 1e9).
 */
static double _beta_lprefix(double a, double b, double x, double y)
{
	if (x <= 0.0 || y <= 0.0)
		return -INFINITY;
	if (a >= 10.0 && b >= 10.0) {
		double d = b * x - a * y, ab = a + b;
		return _a_log1pmx(a, d, x * ab / a) +
		    _a_log1pmx(b, -d, y * ab / b) + 0.5 * log(a / ab * b) -
		    _LN_SQRT_2PI -
		    (_stirling_corr(a) + _stirling_corr(b) -
			_stirling_corr(ab));
	}
	/* Near 1, log1p of the other keeps digits log(x) would lose. */
	double lx = x < 0.5 ? log(x) : log1p(-y);
	double ly = y < 0.5 ? log(y) : log1p(-x);
	return a * lx + b * ly - _lbeta(a, b);
}

/* log(x^a e^-x / Gamma(a)), the incomplete gamma prefactor, as above. */
static double _gamma_lprefix(double a, double x)
{
	if (x <= 0.0)
		return -INFINITY;
	if (a < 10.0)
		return a * log(x) - x - _lgamma(a);
	return _a_log1pmx(a, x - a, x / a) + 0.5 * log(a) - _LN_SQRT_2PI -
	    _stirling_corr(a);
}

/*
 * Iterations allowed to a series or continued fraction with parameter
 * scale s: they need O(sqrt(s)) near the mean, a few dozen elsewhere.
 */
static long _max_iter(double s)
{
	double n = 1000.0 + 50.0 * sqrt(s);
	return n < 1e8 ? (long)n : 100000000L;
}

/* ---------------------------------------------------------------------
 * Incomplete gamma
 */

/* P(a, x) by its series, x < a + 1. */
static double _gamma_series(double a, double x)
{
	double ap = a, del = 1.0 / a, sum = del;
	long max = _max_iter(a);
	for (long n = 0; n < max; n++) {
		ap += 1.0;
		del *= x / ap;
		sum += del;
		if (fabs(del) < fabs(sum) * DBL_EPSILON)
			break;
	}
	return fmin(sum * exp(_gamma_lprefix(a, x)), 1.0);
}

/* Q(a, x) by its continued fraction (modified Lentz), x >= a + 1. */
static double _gamma_cf(double a, double x)
{
	double b = x + 1.0 - a, c = 1.0 / _TINY, d = 1.0 / b, h = d;
	long max = _max_iter(a);
	for (long i = 1; i < max; i++) {
		double an = -i * (i - a);
		b += 2.0;
		d = an * d + b;
		if (fabs(d) < _TINY)
			d = _TINY;
		c = b + an / c;
		if (fabs(c) < _TINY)
			c = _TINY;
		d = 1.0 / d;
		double del = d * c;
		h *= del;
		if (fabs(del - 1.0) < DBL_EPSILON)
			break;
	}
	return fmin(h * exp(_gamma_lprefix(a, x)), 1.0);
}

double stat_gamma_p(double a, double x)
{
	if (!(a > 0.0 && a <= STAT_PARAM_MAX) || !(x >= 0.0))
		return NAN;
	if (x == 0.0)
		return 0.0;
	if (isinf(x))
		return 1.0;
	if (x < a + 1.0)
		return _gamma_series(a, x);
	return 1.0 - _gamma_cf(a, x);
}

double stat_gamma_q(double a, double x)
{
	if (!(a > 0.0 && a <= STAT_PARAM_MAX) || !(x >= 0.0))
		return NAN;
	if (x == 0.0)
		return 1.0;
	if (isinf(x))
		return 0.0;
	if (x < a + 1.0)
		return 1.0 - _gamma_series(a, x);
	return _gamma_cf(a, x);
}

double stat_chi2_sf(double x, double df)
{
	if (isnan(x) || !(df > 0.0 && df <= 2.0 * STAT_PARAM_MAX))
		return NAN;
	if (x <= 0.0)
		return 1.0;
	return stat_gamma_q(0.5 * df, 0.5 * x);
}

/* ---------------------------------------------------------------------
 * Incomplete beta
 */

/* The continued fraction of I_x(a, b) (Numerical Recipes betacf, Lentz). */
static double _beta_cf(double a, double b, double x)
{
	double qab = a + b, qap = a + 1.0, qam = a - 1.0;
	double c = 1.0, d = 1.0 - qab * x / qap;
	if (fabs(d) < _TINY)
		d = _TINY;
	d = 1.0 / d;
	double h = d;
	long max = _max_iter(a > b ? a : b);
	for (long m = 1; m <= max; m++) {
		double m2 = 2.0 * m;
		double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
		d = 1.0 + aa * d;
		if (fabs(d) < _TINY)
			d = _TINY;
		c = 1.0 + aa / c;
		if (fabs(c) < _TINY)
			c = _TINY;
		d = 1.0 / d;
		h *= d * c;
		aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
		d = 1.0 + aa * d;
		if (fabs(d) < _TINY)
			d = _TINY;
		c = 1.0 + aa / c;
		if (fabs(c) < _TINY)
			c = _TINY;
		d = 1.0 / d;
		double del = d * c;
		h *= del;
		if (fabs(del - 1.0) < DBL_EPSILON)
			break;
	}
	return h;
}

/*
 * I_x(a, b) and its complement for a large, b much smaller and x >= 1/2,
 * where the continued fraction is ill-conditioned: its partial numerators
 * tend to -x, so it carries 1/(1 - x) and loses the digits of y = 1 - x (a
 * relative error up to a eps / (1 + a y): 2e-7 for a t tail at df = 1e10).
 * Substituting t = 1 - e^-w in the integral of I_y(b, a) gives
 *   B(a, b) I_y(b, a) = integral_0^W w^(b-1) e^(-T w) h(w) dw,
 *   W = -log x, T = a + (b - 1)/2, h(w) = (sinh(w/2) / (w/2))^(b-1),
 * and h is even, h = sum c_n w^(2n), convergent for |w| < 2 pi. Term by
 * term, with P and Q the regularized incomplete gammas:
 *   I_y(b, a) = R sum_n c_n (b)_2n T^-2n P(b + 2n, T W)
 *   I_x(a, b) = R sum_n c_n (b)_2n T^-2n Q(b + 2n, T W)
 *   R = Gamma(a + b) / (Gamma(a) T^b).
 * The first sum converges (W <= log 2 < 2 pi); the second is asymptotic,
 * with an error of order e^(-2 pi T), nothing at T >= 1000. Terms fall
 * like (b + 2n)^2 b / (24 T^2): a few suffice. (The expansion behind
 * DiDonato and Morris' BGRAT, ACM TOMS 708.)
 */
#define _EXP_TERMS 24

static double _ibeta_large_a(double a, double b, double y, double *upper)
{
	double T = a + 0.5 * (b - 1.0), W = -log1p(-y), z = T * W;
	/* c_n: coefficients of s^(b-1), s(u) = sinh(w/2)/(w/2), u = w^2. */
	double sk[_EXP_TERMS], c[_EXP_TERMS];
	double f = 1.0; /* (2k + 1)! 4^k */
	for (int k = 0; k < _EXP_TERMS; k++) {
		if (k > 0)
			f *= 4.0 * (2.0 * k) * (2.0 * k + 1.0);
		sk[k] = 1.0 / f;
	}
	c[0] = 1.0;
	double pw = b - 1.0, lo = 0.0, hi = 0.0, scale = 1.0;
	for (int n = 0; n < _EXP_TERMS; n++) {
		if (n > 0) {
			/* J.C.P. Miller: n s0 c_n = sum ((p+1)k - n) s_k c_n-k. */
			double acc = 0.0;
			for (int k = 1; k <= n; k++)
				acc += ((pw + 1.0) * k - n) * sk[k] * c[n - k];
			c[n] = acc / n;
			/* (b)_2n / T^2n */
			scale *=
			    (b + 2.0 * n - 2.0) / T * ((b + 2.0 * n - 1.0) / T);
		}
		double g = c[n] * scale;
		double tl = g * stat_gamma_q(b + 2.0 * n, z);
		double tu = g * stat_gamma_p(b + 2.0 * n, z);
		lo += tl;
		hi += tu;
		if (fabs(tl) <= DBL_EPSILON * 0.25 * fabs(lo) &&
		    fabs(tu) <= DBL_EPSILON * 0.25 * fabs(hi))
			break;
	}
	double r = exp(_lgamma_ratio(a, b) - b * log(T));
	*upper = r * hi;
	return r * lo;
}

/*
 * Where _ibeta_large_a applies: a large enough for the asymptotic sum and
 * b small enough that its terms fall fast, b^3 <= a^2 / 40 (first ratio
 * below 1e-3), but at least up to b = 50.
 */
static int _large_a(double a, double b)
{
	return a >= 1000.0 && (b <= 50.0 || b * b * b <= 0.025 * a * a);
}

/*
 * I_x(a, b) with y = 1 - x given too; *upper (if not NULL) gets 1 - I
 * computed on its own side, so both tails keep their relative precision.
 */
static double _ibeta(double a, double b, double x, double y, double *upper)
{
	double lo, hi;
	if (x <= 0.0) {
		lo = 0.0;
		hi = 1.0;
	} else if (y <= 0.0) {
		lo = 1.0;
		hi = 0.0;
	} else if (x >= 0.5 && _large_a(a, b)) {
		lo = _ibeta_large_a(a, b, y, &hi);
	} else if (y >= 0.5 && _large_a(b, a)) {
		hi = _ibeta_large_a(b, a, x, &lo);
	} else if (x < (a + 1.0) / (a + b + 2.0)) {
		lo = exp(_beta_lprefix(a, b, x, y)) * _beta_cf(a, b, x) / a;
		hi = 1.0 - lo;
	} else {
		hi = exp(_beta_lprefix(a, b, x, y)) * _beta_cf(b, a, y) / b;
		lo = 1.0 - hi;
	}
	/* Each side is accurate; keep rounding from leaving [0, 1]. */
	if (upper != NULL)
		*upper = fmin(fmax(hi, 0.0), 1.0);
	return fmin(fmax(lo, 0.0), 1.0);
}

double stat_beta_inc(double a, double b, double x)
{
	if (!(a > 0.0 && a <= STAT_PARAM_MAX) ||
	    !(b > 0.0 && b <= STAT_PARAM_MAX) || !(x >= 0.0 && x <= 1.0))
		return NAN;
	return _ibeta(a, b, x, 1.0 - x, NULL);
}

/* ---------------------------------------------------------------------
 * Normal
 */

double stat_norm_cdf(double z)
{
	return 0.5 * erfc(-z * M_SQRT1_2);
}

double stat_norm_sf(double z)
{
	return 0.5 * erfc(z * M_SQRT1_2);
}

/* Horner for the AS241 rational functions (coefficients low to high). */
static double _poly8(const double *c, double x)
{
	double v = c[7];
	for (int i = 6; i >= 0; i--)
		v = v * x + c[i];
	return v;
}

double stat_norm_ppf(double p)
{
	/* Wichura, AS241 PPND16: three rational approximations. */
	static const double a[8] = { 3.3871328727963666080e0,
		1.3314166789178437745e+2, 1.9715909503065514427e+3,
		1.3731693765509461125e+4, 4.5921953931549871457e+4,
		6.7265770927008700853e+4, 3.3430575583588128105e+4,
		2.5090809287301226727e+3 };
	static const double b[8] = { 1.0, 4.2313330701600911252e+1,
		6.8718700749205790830e+2, 5.3941960214247511077e+3,
		2.1213794301586595867e+4, 3.9307895800092710610e+4,
		2.8729085735721942674e+4, 5.2264952788528545610e+3 };
	static const double c[8] = { 1.42343711074968357734e0,
		4.63033784615654529590e0, 5.76949722146069140550e0,
		3.64784832476320460504e0, 1.27045825245236838258e0,
		2.41780725177450611770e-1, 2.27238449892691845833e-2,
		7.74545014278341407640e-4 };
	static const double d[8] = { 1.0, 2.05319162663775882187e0,
		1.67638483018380384940e0, 6.89767334985100004550e-1,
		1.48103976427480074590e-1, 1.51986665636164571966e-2,
		5.47593808499534494600e-4, 1.05075007164441684324e-9 };
	static const double e[8] = { 6.65790464350110377720e0,
		5.46378491116411436990e0, 1.78482653991729133580e0,
		2.96560571828504891230e-1, 2.65321895265761230930e-2,
		1.24266094738807843860e-3, 2.71155556874348757815e-5,
		2.01033439929228813265e-7 };
	static const double f[8] = { 1.0, 5.99832206555887937690e-1,
		1.36929880922735805310e-1, 1.48753612908506148525e-2,
		7.86869131145613259100e-4, 1.84631831751005468180e-5,
		1.42151175831644588870e-7, 2.04426310338993978564e-15 };

	if (!(p >= 0.0 && p <= 1.0))
		return NAN;
	if (p == 0.0)
		return -INFINITY;
	if (p == 1.0)
		return INFINITY;
	double q = p - 0.5;
	if (fabs(q) <= 0.425) {
		double r = 0.180625 - q * q;
		return q * _poly8(a, r) / _poly8(b, r);
	}
	double r = sqrt(-log(q < 0.0 ? p : 1.0 - p)), v;
	if (r <= 5.0)
		v = _poly8(c, r - 1.6) / _poly8(d, r - 1.6);
	else
		v = _poly8(e, r - 5.0) / _poly8(f, r - 5.0);
	return q < 0.0 ? -v : v;
}

/* ---------------------------------------------------------------------
 * Student t
 */

/*
 * Beyond |t| = 1e150 only a tiny df leaves a tail in the double range, and
 * P(T > t) = K t^-df (1 + O(1/t^2)) exactly to double precision, with
 * K = Gamma((df+1)/2) df^(df/2 - 1) / (sqrt(pi) Gamma(df/2)).
 */
#define _T_FAR 1e150

static double _t_log_k(double df)
{
	return _lgamma_ratio(0.5 * df, 0.5) - 0.5 * log(M_PI) +
	    (0.5 * df - 1.0) * log(df);
}

static double _t_log_tail_far(double at, double df)
{
	return _t_log_k(df) - df * log(at);
}

/*
 * P(T > |t|) = I_x(df/2, 1/2) / 2 with x = df / (df + t^2); x and 1 - x
 * are formed without computing 1 - x, so a small t keeps its precision and
 * a huge one does not overflow t^2. *upper gets 1 - the tail.
 */
static double _t_tail(double t, double df, double *rest)
{
	double at = fabs(t), x, y;
	if (at > _T_FAR) {
		/* df / t^2 would underflow; the power law is exact here. */
		double tail = exp(_t_log_tail_far(at, df));
		if (rest != NULL)
			*rest = 1.0 - tail;
		return tail;
	}
	if (at > sqrt(df)) {
		double r = df / at / at; /* < 1 */
		x = r / (1.0 + r);
		y = 1.0 / (1.0 + r);
	} else {
		double r = at / df * at; /* <= 1 */
		x = 1.0 / (1.0 + r);
		y = r / (1.0 + r);
	}
	double up, lo = _ibeta(0.5 * df, 0.5, x, y, &up);
	if (rest != NULL)
		*rest = 0.5 + 0.5 * up;
	return 0.5 * lo;
}

double stat_t_cdf(double t, double df)
{
	if (isnan(t) || !(df > 0.0))
		return NAN;
	if (isinf(df))
		return stat_norm_cdf(t);
	if (isinf(t))
		return t > 0 ? 1.0 : 0.0;
	double rest, tail = _t_tail(t, df, &rest);
	return t < 0.0 ? tail : rest;
}

/* Density of t with df degrees of freedom (t^2 may overflow: logs). */
static double _t_pdf(double t, double df)
{
	double at = fabs(t), l1; /* log(1 + t^2 / df) */
	if (at > sqrt(df))
		l1 = 2.0 * log(at) - log(df) + log1p(df / at / at);
	else
		l1 = log1p(at / df * at);
	return exp(_lgamma_ratio(0.5 * df, 0.5) - 0.5 * log(df * M_PI) -
	    0.5 * (df + 1.0) * l1);
}

/* The t > 0 with P(T > t) = q, 0 < q < 1/2. */
static double _t_upper_ppf(double q, double df)
{
	if (df == 1.0)
		return 1.0 / tan(M_PI * q);
	if (df == 2.0)
		return (1.0 - 2.0 * q) / sqrt(2.0 * q * (1.0 - q));

	double far = (_t_log_k(df) - log(q)) / df;
	if (far > log(_T_FAR))
		return exp(far); /* +inf past the double range */

	/* Hill (1970): Cornish-Fisher expansion around the normal quantile. */
	double z = -stat_norm_ppf(q), z2 = z * z;
	double t = z + z * (z2 + 1.0) / (4.0 * df) +
	    z * ((5.0 * z2 + 16.0) * z2 + 3.0) / (96.0 * df * df);
	if (!(t > 0.0) || !isfinite(t))
		t = 1.0;

	/*
	 * Newton on g(u) = log P(T > e^u) - log q, u = log t: linear in u far
	 * in a heavy tail (P ~ t^-df), so one step covers any distance there,
	 * and smooth where t is near normal. A bracket [lo, hi] of t is kept;
	 * a step that leaves it is replaced by its geometric midpoint (or a
	 * factor 16 while hi is unknown).
	 */
	double lo = 0.0, hi = INFINITY, lq = log(q);
	for (int it = 0; it < 200; it++) {
		double tail = _t_tail(t, df, NULL), step = 0.0, next;
		if (tail > 0.0) {
			double g = log(tail) - lq;
			if (g == 0.0)
				return t;
			if (g > 0.0)
				lo = t;
			else
				hi = t;
			step = g * tail / (_t_pdf(t, df) * t);
			next = t * exp(fmax(fmin(step, 50.0), -50.0));
		} else {
			hi = t; /* underflowed: far beyond the root */
			next = 0.0;
		}
		if (!(next > lo && next < hi)) {
			if (isinf(hi))
				next = 16.0 * t;
			else if (lo > 0.0)
				next = exp(0.5 * (log(lo) + log(hi)));
			else
				next = 0.5 * hi;
			step = 1.0;
		}
		if (fabs(step) <= 1e-14)
			return next;
		t = next;
	}
	return t;
}

double stat_t_ppf(double p, double df)
{
	if (!(p >= 0.0 && p <= 1.0) || !(df > 0.0))
		return NAN;
	if (isinf(df))
		return stat_norm_ppf(p);
	if (p == 0.0)
		return -INFINITY;
	if (p == 1.0)
		return INFINITY;
	if (p == 0.5)
		return 0.0;
	return p < 0.5 ? -_t_upper_ppf(p, df) : _t_upper_ppf(1.0 - p, df);
}

/* ---------------------------------------------------------------------
 * Sample-ratio mismatch
 */

int stat_srm(const uint64_t *observed, const double *weights, int k,
    struct stat_srm *out)
{
	if (observed == NULL || weights == NULL || out == NULL || k < 2 ||
	    k > STAT_MAX_ARMS)
		return -EINVAL;
	double wsum = 0.0, n = 0.0;
	for (int i = 0; i < k; i++) {
		if (!(weights[i] > 0.0) || !isfinite(weights[i]))
			return -EINVAL;
		wsum += weights[i];
		n += (double)observed[i];
	}
	if (!isfinite(wsum))
		return -EINVAL;
	struct stat_srm r = { .chi2 = 0.0, .df = k - 1, .p = 1.0 };
	if (n > 0.0) {
		for (int i = 0; i < k; i++) {
			double e = n * (weights[i] / wsum);
			double dev = (double)observed[i] - e;
			r.chi2 += dev * dev / e;
		}
		r.p = stat_chi2_sf(r.chi2, r.df);
	}
	*out = r;
	return 0;
}

/* ---------------------------------------------------------------------
 * Two-proportion z test
 */

static int _alpha_ok(double alpha)
{
	return alpha > 0.0 && alpha < 1.0;
}

int stat_prop_ztest(uint64_t x_c, uint64_t n_c, uint64_t x_t, uint64_t n_t,
    double alpha, struct stat_prop *out)
{
	if (out == NULL || n_c == 0 || n_t == 0 || x_c > n_c || x_t > n_t ||
	    !_alpha_ok(alpha))
		return -EINVAL;
	double nc = (double)n_c, nt = (double)n_t;
	struct stat_prop r;
	r.p_c = (double)x_c / nc;
	r.p_t = (double)x_t / nt;
	r.diff = r.p_t - r.p_c;
	r.lift = r.p_c > 0.0 ? r.diff / r.p_c : NAN;
	double pool = ((double)x_c + (double)x_t) / (nc + nt);
	if (pool > 0.0 && pool < 1.0) {
		double se = sqrt(pool * (1.0 - pool) * (1.0 / nc + 1.0 / nt));
		r.z = r.diff / se;
		r.p = 2.0 * stat_norm_cdf(-fabs(r.z));
	} else {
		/* Every trial of both arms ended the same way. */
		r.z = 0.0;
		r.p = 1.0;
	}
	double za = -stat_norm_ppf(0.5 * alpha);
	double se_u =
	    sqrt(r.p_c * (1.0 - r.p_c) / nc + r.p_t * (1.0 - r.p_t) / nt);
	r.lo = r.diff - za * se_u;
	r.hi = r.diff + za * se_u;
	*out = r;
	return 0;
}

/* ---------------------------------------------------------------------
 * Moments and Welch
 */

void stat_moments_init(struct stat_moments *m)
{
	assert(m != NULL);
	m->n = 0;
	m->mean = 0.0;
	m->m2 = 0.0;
}

int stat_moments_add(struct stat_moments *m, double x)
{
	assert(m != NULL);
	if (!isfinite(x))
		return -EINVAL;
	m->n++;
	double d = x - m->mean;
	m->mean += d / (double)m->n;
	m->m2 += d * (x - m->mean);
	return 0;
}

void stat_moments_merge(struct stat_moments *m, const struct stat_moments *o)
{
	assert(m != NULL && o != NULL);
	if (o->n == 0)
		return;
	if (m->n == 0) {
		*m = *o;
		return;
	}
	double na = (double)m->n, nb = (double)o->n, n = na + nb;
	double d = o->mean - m->mean;
	m->mean += d * (nb / n);
	m->m2 += o->m2 + d * d * (na / n) * nb;
	m->n += o->n;
}

double stat_moments_var(const struct stat_moments *m)
{
	assert(m != NULL);
	if (m->n < 2)
		return NAN;
	return m->m2 / (double)(m->n - 1);
}

int stat_welch(double mean_c, double var_c, uint64_t n_c, double mean_t,
    double var_t, uint64_t n_t, double alpha, struct stat_welch *out)
{
	if (out == NULL || n_c < 2 || n_t < 2 || !isfinite(mean_c) ||
	    !isfinite(mean_t) || !(var_c >= 0.0) || !(var_t >= 0.0) ||
	    !isfinite(var_c) || !isfinite(var_t) || !_alpha_ok(alpha))
		return -EINVAL;
	double nc = (double)n_c, nt = (double)n_t;
	double vc = var_c / nc, vt = var_t / nt, se2 = vc + vt;
	struct stat_welch r;
	r.diff = mean_t - mean_c;
	if (!isfinite(r.diff))
		return -EINVAL;
	r.se = sqrt(se2);
	if (se2 == 0.0) {
		r.df = nc + nt - 2.0;
		r.t = r.diff == 0.0 ? 0.0 : copysign(INFINITY, r.diff);
		r.p = r.diff == 0.0 ? 1.0 : 0.0;
		r.lo = r.hi = r.diff;
		*out = r;
		return 0;
	}
	/* Shares of se2 rather than squares of it: no overflow or underflow. */
	double fc = vc / se2, ft = vt / se2;
	r.df = 1.0 / (fc * fc / (nc - 1.0) + ft * ft / (nt - 1.0));
	r.t = r.diff / r.se;
	r.p = 2.0 * _t_tail(r.t, r.df, NULL);
	double tq = -stat_t_ppf(0.5 * alpha, r.df);
	r.lo = r.diff - tq * r.se;
	r.hi = r.diff + tq * r.se;
	*out = r;
	return 0;
}

int stat_welch_moments(const struct stat_moments *c,
    const struct stat_moments *t, double alpha, struct stat_welch *out)
{
	if (c == NULL || t == NULL || c->n < 2 || t->n < 2)
		return -EINVAL;
	return stat_welch(c->mean, stat_moments_var(c), c->n, t->mean,
	    stat_moments_var(t), t->n, alpha, out);
}

/* ---------------------------------------------------------------------
 * Bayesian comparison of two beta posteriors
 */

struct _beta {
	double a, b;
};

/* Evan Miller's P(B > A), B.a a whole number >= 1 (see stats.h). */
static double _miller_sum(struct _beta A, struct _beta B)
{
	long n = (long)B.a;
	/* log t_0 = log B(aA, bA + bB) - log B(aA, bA), as gamma ratios. */
	double l = _lgamma_ratio(A.b, A.a) - _lgamma_ratio(A.b + B.b, A.a);
	/* Running sum s e^m: terms may start far below the double range. */
	double m = l, s = 1.0;
	for (long i = 0; i + 1 < n; i++) {
		double di = (double)i;
		l += log((A.a + di) / (A.a + A.b + B.b + di) * (B.b + di) /
		    (di + 1.0));
		if (l > m) {
			s = s * exp(m - l) + 1.0;
			m = l;
		} else {
			s += exp(l - m);
		}
	}
	return s * exp(m);
}

/* v when it is a whole number of at most STAT_BAYES_EXACT_MAX, else 0. */
static double _terms(double v)
{
	return v == floor(v) && v <= STAT_BAYES_EXACT_MAX ? v : 0.0;
}

/* Gauss-Kronrod 7-15 nodes (Kronrod, odd index = Gauss) and weights. */
static const double _xgk[8] = { 0.991455371120812639206854697526329,
	0.949107912342758524526189684047851,
	0.864864423359769072789712788640926,
	0.741531185599394439863864773280788,
	0.586087235467691130294144845693013,
	0.405845151377397166906606412076961,
	0.207784955007898467600689403773245, 0.0 };
static const double _wgk[8] = { 0.022935322010529224963732008058970,
	0.063092092629978553290700663189204,
	0.104790010322250183839876322541518,
	0.140653259715525918745189590510238,
	0.169004726639267902826583426598550,
	0.190350578064785409913256402421014,
	0.204432940075298892414161999234649,
	0.209482141084727828012999174891714 };
static const double _wg[4] = { 0.129484966168869693270611432679082,
	0.279705391489276667901467771423780,
	0.381830050505118944950369775488975,
	0.417959183673469387755102040816327 };

#define _QUAD_POINTS 512  /* panel edges; a side needs <= log2(1/sd) */
#define _QUAD_BUDGET 4000 /* Gauss-Kronrod panels per integral */
#define _QUAD_TOL 1e-13	  /* absolute, per panel */

enum { _PLAIN, _LEFT, _RIGHT };

/*
 * P(B > A) = integral of f_B(x) I_x(A) dx. A panel is either plain (the
 * variable is x) or a boundary panel after a substitution that absorbs the
 * singular power of the density: _LEFT on [0, e] with x = e u^(1/aB),
 * _RIGHT on [e, 1] with 1 - x = (1 - e) u^(1/bB); then u runs over [0, 1].
 * With a tiny aB (a prior of 0.001 and no successes) much of the mass sits
 * below the smallest double, so x is carried as its logarithm there: below
 * e^-690 (1e-300), (1 - x)^(bB-1) = 1 and I_x(A) = x^aA / (aA B(A)) to
 * double precision (and the mirror images at 1).
 */
#define _LOG_TINY -690.0

struct _quad {
	struct _beta A, B;
	int kind;
	double e, lbase; /* boundary panel: its edge, log of the constant */
	double lfa, lfb; /* log(aA B(A)), log(bA B(A)) */
	int budget;
};

static double _integrand(const struct _quad *q, double u)
{
	double x, y, lf, l;
	switch (q->kind) {
	case _LEFT:
		l = log(q->e) + log(u) / q->B.a; /* log x */
		if (l < _LOG_TINY)
			return exp(q->lbase + q->A.a * l - q->lfa);
		x = exp(l);
		y = 1.0 - x;
		lf = q->lbase + (q->B.b - 1.0) * log1p(-x);
		break;
	case _RIGHT:
		l = log1p(-q->e) + log(u) / q->B.b; /* log(1 - x) */
		if (l < _LOG_TINY)
			return -exp(q->lbase) * expm1(q->A.b * l - q->lfb);
		y = exp(l);
		x = 1.0 - y;
		lf = q->lbase + (q->B.a - 1.0) * log1p(-y);
		break;
	default:
		x = u;
		y = 1.0 - u;
		lf = _beta_lprefix(q->B.a, q->B.b, x, y) - log(x) - log(y);
	}
	if (!(x > 0.0) || !(y > 0.0))
		return 0.0;
	return exp(lf) * _ibeta(q->A.a, q->A.b, x, y, NULL);
}

static double _gk15(const struct _quad *q, double a, double b, double *err)
{
	double c = 0.5 * (a + b), h = 0.5 * (b - a);
	double fc = _integrand(q, c);
	double rk = fc * _wgk[7], rg = fc * _wg[3];
	for (int j = 0; j < 7; j++) {
		double dx = h * _xgk[j];
		double f = _integrand(q, c - dx) + _integrand(q, c + dx);
		rk += _wgk[j] * f;
		if (j & 1)
			rg += _wg[j / 2] * f;
	}
	*err = fabs((rk - rg) * h);
	return rk * h;
}

/*
 * Recursive bisection until the Kronrod-Gauss difference is below tol or
 * 1e-10 of the panel; |K15 - G7| overstates the error of K15 by far on
 * smooth stretches, so this is conservative. The relative floor is the
 * noise of the integrand itself (the incomplete beta near the mean of a
 * posterior with 1e12 trials is good to ~1e-10): below it bisection
 * would only chase rounding.
 */
static double _adapt(struct _quad *q, double a, double b, double whole,
    double err, double tol, int depth)
{
	if (err <= tol || err <= 1e-10 * fabs(whole) || depth == 0 ||
	    q->budget <= 0)
		return whole;
	q->budget -= 2;
	double m = 0.5 * (a + b), el, er;
	double l = _gk15(q, a, m, &el), r = _gk15(q, m, b, &er);
	return _adapt(q, a, m, l, el, 0.5 * tol, depth - 1) +
	    _adapt(q, m, b, r, er, 0.5 * tol, depth - 1);
}

static double _integrate(struct _quad *q)
{
	double err, whole = _gk15(q, 0.0, 1.0, &err);
	return _adapt(q, 0.0, 1.0, whole, err, _QUAD_TOL, 50);
}

/* Adds m and m -/+ s 2^j inside (0, 1) to pt[]; returns the new count. */
static int _add_points(double *pt, int n, double m, double s)
{
	if (m > 0.0 && m < 1.0 && n < _QUAD_POINTS)
		pt[n++] = m;
	for (double k = 1.0; n < _QUAD_POINTS; k *= 2.0) {
		double x = m - k * s;
		if (!(x > 0.0) || x == m)
			break;
		pt[n++] = x;
	}
	for (double k = 1.0; n < _QUAD_POINTS; k *= 2.0) {
		double x = m + k * s;
		if (!(x < 1.0) || x == m)
			break;
		pt[n++] = x;
	}
	return n;
}

static void _moments(struct _beta d, double *mean, double *sd)
{
	double ab = d.a + d.b;
	*mean = d.a / ab;
	*sd = sqrt(d.a / ab * (d.b / ab) / (ab + 1.0));
}

/* F(hi) - F(lo) from CDFs and survivals at both edges, whichever is small. */
static double _mass(double flo, double slo, double fhi, double shi)
{
	return flo < 0.5 ? fhi - flo : slo - shi;
}

/* P(B > A) by quadrature. */
static double _quad_greater(struct _beta A, struct _beta B)
{
	double pt[_QUAD_POINTS + 2], fa[_QUAD_POINTS + 2], sa[_QUAD_POINTS + 2];
	double fb[_QUAD_POINTS + 2], sb[_QUAD_POINTS + 2];
	double ma, sda, mb, sdb;
	_moments(A, &ma, &sda);
	_moments(B, &mb, &sdb);
	pt[0] = 0.0;
	int n = 1 + _add_points(pt + 1, 0, ma, sda);
	n = 1 + _add_points(pt + 1, n - 1, mb, sdb);
	/* Insertion sort (a few hundred points) and drop repeats. */
	for (int i = 2; i < n; i++) {
		double v = pt[i];
		int j = i - 1;
		while (j > 0 && pt[j] > v) {
			pt[j + 1] = pt[j];
			j--;
		}
		pt[j + 1] = v;
	}
	int w = 1;
	for (int i = 1; i < n; i++)
		if (pt[i] > pt[w - 1])
			pt[w++] = pt[i];
	n = w;
	pt[n++] = 1.0;

	for (int i = 0; i < n; i++) {
		fa[i] = _ibeta(A.a, A.b, pt[i], 1.0 - pt[i], &sa[i]);
		fb[i] = _ibeta(B.a, B.b, pt[i], 1.0 - pt[i], &sb[i]);
	}

	double lba = _lbeta(A.a, A.b);
	struct _quad q = { .A = A,
		.B = B,
		.lfa = log(A.a) + lba,
		.lfb = log(A.b) + lba,
		.budget = _QUAD_BUDGET };
	double sum = 0.0;
	for (int i = 0; i + 1 < n; i++) {
		double lo = pt[i], hi = pt[i + 1];
		double mass = _mass(fb[i], sb[i], fb[i + 1], sb[i + 1]);
		double rise = _mass(fa[i], sa[i], fa[i + 1], sa[i + 1]);
		if (mass * rise <= _QUAD_TOL) {
			/* I_x(A) is increasing: the panel is within mass*rise. */
			sum += mass * 0.5 * (fa[i] + fa[i + 1]);
			continue;
		}
		if (i == 0 && B.a < 1.0) {
			q.kind = _LEFT;
			q.e = hi;
			q.lbase = _beta_lprefix(B.a, B.b, hi, 1.0 - hi) -
			    B.b * log1p(-hi) - log(B.a);
			sum += _integrate(&q);
		} else if (i + 2 == n && B.b < 1.0) {
			q.kind = _RIGHT;
			q.e = lo;
			q.lbase = _beta_lprefix(B.a, B.b, lo, 1.0 - lo) -
			    B.a * log(lo) - log(B.b);
			sum += _integrate(&q);
		} else {
			double err;
			q.kind = _PLAIN;
			double whole = _gk15(&q, lo, hi, &err);
			sum += _adapt(&q, lo, hi, whole, err, _QUAD_TOL, 50);
		}
	}
	return sum;
}

/*
 * P(B > A): the shortest exact sum when there is one (*exact stays 1),
 * quadrature otherwise (*exact = 0).
 */
static double _prob_greater(struct _beta A, struct _beta B, int *exact)
{
	struct _beta fA = { A.b, A.a }, fB = { B.b, B.a }; /* 1 - A, 1 - B */
	/* Candidate sums: {terms, P or 1 - P, first arg, second arg}. */
	struct {
		double terms;
		int complement;
		struct _beta x, y;
	} c[4] = {
		{ _terms(B.a), 0, A, B },   /* sum over alpha_B */
		{ _terms(A.b), 0, fB, fA }, /* P(1 - A > 1 - B) */
		{ _terms(A.a), 1, B, A },   /* 1 - P(A > B) */
		{ _terms(B.b), 1, fA, fB }, /* 1 - P(1 - B > 1 - A) */
	};
	int best = -1;
	for (int i = 0; i < 4; i++)
		if (c[i].terms > 0.0 &&
		    (best < 0 || c[i].terms < c[best].terms))
			best = i;
	double p;
	if (best >= 0) {
		p = _miller_sum(c[best].x, c[best].y);
		if (c[best].complement)
			p = 1.0 - p;
	} else {
		*exact = 0;
		/* Keep the mass near 0, where x has more relative precision. */
		double ma = A.a / (A.a + A.b), mb = B.a / (B.a + B.b);
		p = ma + mb > 1.0 ? _quad_greater(fB, fA) : _quad_greater(A, B);
	}
	return p < 0.0 ? 0.0 : p > 1.0 ? 1.0 : p;
}

static int _prior_ok(double a0, double b0)
{
	return a0 > 0.0 && b0 > 0.0 && isfinite(a0) && isfinite(b0);
}

int stat_bayes_beta(uint64_t x_c, uint64_t n_c, uint64_t x_t, uint64_t n_t,
    double a0, double b0, struct stat_bayes *out)
{
	if (out == NULL || x_c > n_c || x_t > n_t || !_prior_ok(a0, b0))
		return -EINVAL;
	struct _beta c = { a0 + (double)x_c, b0 + (double)(n_c - x_c) };
	struct _beta t = { a0 + (double)x_t, b0 + (double)(n_t - x_t) };
	if (!(c.a + c.b <= STAT_PARAM_MAX && t.a + t.b <= STAT_PARAM_MAX))
		return -EINVAL;
	struct _beta c1 = { c.a + 1.0, c.b }, t1 = { t.a + 1.0, t.b };
	double mc = c.a / (c.a + c.b), mt = t.a / (t.a + t.b);
	struct stat_bayes r = { .exact = 1 };
	r.prob = _prob_greater(c, t, &r.exact);
	double p1 = _prob_greater(t, c1, &r.exact); /* P(c' > t) */
	double p2 = _prob_greater(t1, c, &r.exact); /* P(c > t') */
	r.loss_t = fmax(mc * p1 - mt * p2, 0.0);
	r.loss_c = fmax(mt * (1.0 - p2) - mc * (1.0 - p1), 0.0);
	*out = r;
	return 0;
}

int stat_thompson(const uint64_t *successes, const uint64_t *trials, int k,
    double a0, double b0, uint32_t draws, uint64_t seed, double *prob_best)
{
	if (successes == NULL || trials == NULL || prob_best == NULL || k < 1 ||
	    k > STAT_MAX_ARMS || draws == 0 || !_prior_ok(a0, b0))
		return -EINVAL;
	double a[STAT_MAX_ARMS], b[STAT_MAX_ARMS];
	for (int i = 0; i < k; i++) {
		if (successes[i] > trials[i])
			return -EINVAL;
		a[i] = a0 + (double)successes[i];
		b[i] = b0 + (double)(trials[i] - successes[i]);
	}
	uint32_t wins[STAT_MAX_ARMS] = { 0 };
	struct rng r;
	rng_seed(&r, seed);
	for (uint32_t d = 0; d < draws; d++) {
		int best = 0;
		double top = -1.0;
		for (int i = 0; i < k; i++) {
			double v = rng_beta(&r, a[i], b[i]);
			if (v > top) {
				top = v;
				best = i;
			}
		}
		wins[best]++;
	}
	for (int i = 0; i < k; i++)
		prob_best[i] = (double)wins[i] / (double)draws;
	return 0;
}

/* ---------------------------------------------------------------------
 * Mixture SPRT
 */

int stat_msprt_init(struct stat_msprt *s, double tau2, double alpha)
{
	if (s == NULL || !(tau2 > 0.0) || !isfinite(tau2) || !_alpha_ok(alpha))
		return -EINVAL;
	s->tau2 = tau2;
	s->alpha = alpha;
	s->d = 0.0;
	s->s2 = 0.0;
	s->llr = 0.0;
	s->p = 1.0;
	s->lo = -INFINITY;
	s->hi = INFINITY;
	s->looks = 0;
	return 0;
}

double stat_msprt_tau2(double s2_h, double alpha)
{
	if (!(s2_h > 0.0) || !isfinite(s2_h) || !_alpha_ok(alpha))
		return NAN;
	/* r = log(1 + r) + L is a contraction (slope 1/(1 + r) < 1). */
	double l = -2.0 * log(alpha), r = l;
	for (int i = 0; i < 200; i++) {
		double next = log1p(r) + l;
		if (fabs(next - r) <= 1e-15 * next)
			break;
		r = next;
	}
	return r * s2_h;
}

int stat_msprt_update(struct stat_msprt *s, double d, double s2)
{
	if (s == NULL || !isfinite(d) || !(s2 >= 0.0) || !isfinite(s2))
		return -EINVAL;
	if (s2 == 0.0)
		return 0;
	double t2 = s->tau2, v = s2 + t2, lr = log1p(t2 / s2);
	s->d = d;
	s->s2 = s2;
	s->llr = -0.5 * lr + t2 / (2.0 * s2) * (d / v * d);
	s->p = fmin(s->p, exp(-s->llr));
	double half = sqrt(s2 / t2 * v * (lr - 2.0 * log(s->alpha)));
	s->lo = fmax(s->lo, d - half);
	s->hi = fmin(s->hi, d + half);
	s->looks++;
	return 0;
}

int stat_msprt_update_prop(struct stat_msprt *s, uint64_t x_c, uint64_t n_c,
    uint64_t x_t, uint64_t n_t)
{
	if (s == NULL || x_c > n_c || x_t > n_t)
		return -EINVAL;
	if (n_c == 0 || n_t == 0)
		return 0;
	double nc = (double)n_c, nt = (double)n_t;
	double pool = ((double)x_c + (double)x_t) / (nc + nt);
	if (!(pool > 0.0 && pool < 1.0))
		return 0;
	double d = (double)x_t / nt - (double)x_c / nc;
	return stat_msprt_update(s, d,
	    pool * (1.0 - pool) * (1.0 / nc + 1.0 / nt));
}

int stat_msprt_update_means(struct stat_msprt *s, double mean_c, double var_c,
    uint64_t n_c, double mean_t, double var_t, uint64_t n_t)
{
	if (s == NULL || !isfinite(mean_c) || !isfinite(mean_t) ||
	    !(var_c >= 0.0) || !(var_t >= 0.0) || !isfinite(var_c) ||
	    !isfinite(var_t))
		return -EINVAL;
	if (n_c == 0 || n_t == 0)
		return 0;
	return stat_msprt_update(s, mean_t - mean_c,
	    var_c / (double)n_c + var_t / (double)n_t);
}
