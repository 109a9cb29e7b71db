/*
 * mmr_naive: MMR as the literature writes it, recomputing the max over the
 * picked set at every step, O(n * k^2); same normalization and tie rules
 * as met_mmr. The reference for the MMR test and benchmark.
 */
#ifndef PENCHANT_TESTS_ENGINE_MMR_NAIVE_H
#define PENCHANT_TESTS_ENGINE_MMR_NAIVE_H

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "engine/metrics.h"

/* With a share `mean` of the mean similarity to the picks in the
 * redundancy (met_mmr_mean; the sum in pick order). */
static inline unsigned mmr_naive_mean(const double *rel,
    const struct lrn_item *it, unsigned n, unsigned k, double lambda,
    double mean, const struct met_sim *s, uint32_t *order)
{
	if (k > n)
		k = n;
	if (k == 0)
		return 0;
	bool *taken = calloc(n, sizeof *taken);
	if (taken == NULL)
		abort();
	double lo = rel[0], hi = rel[0];
	for (unsigned i = 1; i < n; i++) {
		lo = rel[i] < lo ? rel[i] : lo;
		hi = rel[i] > hi ? rel[i] : hi;
	}
	double div = hi > lo ? hi - lo : 1.0;
	for (unsigned t = 0; t < k; t++) {
		int best = -1;
		double bs = 0;
		for (unsigned i = 0; i < n; i++) {
			if (taken[i])
				continue;
			double ms = 0, ss = 0;
			for (unsigned j = 0; j < t; j++) {
				double x =
				    met_item_sim(s, &it[i], &it[order[j]]);
				ms = x > ms ? x : ms;
				ss += x;
			}
			double red = mean == 0.0
			    ? ms
			    : (1.0 - mean) * ms + mean * (t ? ss / t : 0.0);
			double sc =
			    lambda * ((rel[i] - lo) / div) - (1 - lambda) * red;
			/* Ties: higher relevance, then the lower index
			 * (kept, as i only grows). */
			if (best < 0 || sc > bs ||
			    (sc == bs && rel[i] > rel[best])) {
				best = (int)i;
				bs = sc;
			}
		}
		order[t] = (uint32_t)best;
		taken[best] = true;
	}
	free(taken);
	return k;
}

/* met_mmr_dcg: relevance the share of the total above the least score,
 * the summed similarity weighted by (1 - lambda) t log2(t + 2) / pairs /
 * t (met_mmr_dcg's score: the header's times log2(t + 2), with its
 * arithmetic). */
static inline unsigned mmr_naive_dcg(const double *rel,
    const struct lrn_item *it, unsigned n, unsigned k, double lambda,
    const struct met_sim *s, uint32_t *order)
{
	if (k > n)
		k = n;
	if (k == 0)
		return 0;
	bool *taken = calloc(n, sizeof *taken);
	if (taken == NULL)
		abort();
	double lo = INFINITY, sum = 0.0;
	for (unsigned i = 0; i < n; i++)
		lo = rel[i] < lo ? rel[i] : lo;
	for (unsigned i = 0; i < n; i++)
		sum += rel[i] - lo;
	double div = sum > 0.0 ? sum : 1.0;
	double pairs = (double)k * (double)(k - 1) / 2.0;
	for (unsigned t = 0; t < k; t++) {
		double mu = t == 0 || !(pairs > 0.0) ? 0.0
						     : (1.0 - lambda) *
			(double)t * log2((double)t + 2.0) / pairs;
		int best = -1;
		double bs = 0;
		for (unsigned i = 0; i < n; i++) {
			if (taken[i])
				continue;
			double ss = 0;
			for (unsigned j = 0; j < t; j++)
				ss += met_item_sim(s, &it[i], &it[order[j]]);
			double cw = t ? mu / t : 0.0;
			double sc = lambda * ((rel[i] - lo) / div) - cw * ss;
			if (best < 0 || sc > bs ||
			    (sc == bs && rel[i] > rel[best])) {
				best = (int)i;
				bs = sc;
			}
		}
		order[t] = (uint32_t)best;
		taken[best] = true;
	}
	free(taken);
	return k;
}

static inline unsigned mmr_naive(const double *rel, const struct lrn_item *it,
    unsigned n, unsigned k, double lambda, const struct met_sim *s,
    uint32_t *order)
{
	return mmr_naive_mean(rel, it, n, k, lambda, 0.0, s, order);
}

#endif
