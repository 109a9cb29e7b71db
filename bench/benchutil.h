/*
 * benchutil: what the benchmark programs share: the median of a run's
 * repeats and the parse of a numeric option.
 */
#ifndef PENCHANT_BENCH_BENCHUTIL_H
#define PENCHANT_BENCH_BENCHUTIL_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BENCH_MAX_RUNS 100

/* The median of v[0..n) (n <= BENCH_MAX_RUNS; v is left as it was). */
static inline double bench_median(const double *v, unsigned n)
{
	double s[BENCH_MAX_RUNS];
	if (n == 0 || n > BENCH_MAX_RUNS)
		return 0.0;
	memcpy(s, v, n * sizeof(*v));
	for (unsigned i = 1; i < n; i++) /* insertion: n is a few runs */
		for (unsigned j = i; j > 0 && s[j - 1] > s[j]; j--) {
			double t = s[j];
			s[j] = s[j - 1];
			s[j - 1] = t;
		}
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* A whole option value as a number in [lo, hi]: 0, or -1. */
static inline int bench_num(const char *s, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

#endif
