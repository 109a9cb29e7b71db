/*
 * metrics MMR against a plain transcription: on random candidate sets
 * (few categories and tags, so similarities and scores tie often) met_mmr
 * picks exactly what a from-scratch max over the picked set picks, lambda
 * = 1 is a stable sort by relevance, and `why` agrees with the order;
 * met_mmr_mean likewise with a share of the mean similarity.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "check.h"
#include "engine/metrics.h"
#include "mmr_naive.h"

#define NMAX 300

static const double *g_rel;

/* Stable descending order by relevance (ties by index). */
static int cmp_rel(const void *pa, const void *pb)
{
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	if (g_rel[a] != g_rel[b])
		return g_rel[a] > g_rel[b] ? -1 : 1;
	return (a > b) - (a < b);
}

/*
 * met_mmr_dcg reads what sets candidates apart, not a level they share:
 * a uniform base times affinities (close scores, three of one favoured
 * category well above the rest) picks the same with every candidate's
 * score raised by a constant, and keeps the favoured ones on top (raw
 * shares made them all near 1 / n and diversity took over).
 */
static void dcg_shift(void)
{
	enum { N = 20, K = 5 };
	static struct lrn_item it[N];
	const struct lrn_item *ptr[N];
	static struct met_mmr_slot scratch[N];
	double rel[N], up[N];
	uint32_t a[N], b[N];
	struct met_sim s;
	met_sim_default(&s);
	memset(it, 0, sizeof it);
	for (unsigned i = 0; i < N; i++) {
		ptr[i] = &it[i];
		it[i].category = i < 3 ? 1 : 2 + i; /* three of category 1 */
		it[i].n_tags = 1;
		it[i].tags[0] = i < 3 ? 7 : 100 + i;
		rel[i] = i < 3 ? 3.0 - 0.01 * i : 1.0 + 0.001 * i;
		up[i] = rel[i] + 100.0;
	}
	REQUIRE(met_mmr_dcg(rel, ptr, N, K, 0.7, &s, scratch, a, NULL) == K);
	REQUIRE(met_mmr_dcg(up, ptr, N, K, 0.7, &s, scratch, b, NULL) == K);
	CHECK(memcmp(a, b, sizeof(a[0]) * K) == 0);
	/* the favoured category's first two stay the first two picks */
	CHECK_EQ_INT(a[0], 0);
	CHECK_EQ_INT(a[1], 1);
}

int main(void)
{
	static struct lrn_item it[NMAX];
	static double rel[NMAX];
	static struct met_mmr_slot scratch[NMAX];
	static uint32_t got[NMAX], want[NMAX], sorted[NMAX];
	static struct met_mmr_why why[NMAX];
	const double lambdas[] = { 0.0, 0.3, 0.5, 0.7, 0.9, 1.0 };
	struct met_sim s;
	struct rng r;
	int cases = 0, mismatches = 0;

	dcg_shift();
	met_sim_default(&s);
	rng_seed(&r, 2024);
	for (int round = 0; round < 60; round++) {
		unsigned n = 1 + (unsigned)rng_below(&r, NMAX);
		unsigned k = (unsigned)rng_below(&r, 40);
		bool coarse = round % 2; /* many exact score ties */
		memset(it, 0, sizeof it);
		for (unsigned i = 0; i < n; i++) {
			it[i].category = (uint32_t)rng_below(&r, 6);
			it[i].n_tags =
			    (uint8_t)rng_below(&r, LRN_ITEM_TAGS + 1);
			for (unsigned j = 0; j < it[i].n_tags; j++)
				it[i].tags[j] = (uint32_t)rng_below(&r, 12);
			rel[i] = coarse ? (double)rng_below(&r, 5)
					: 5.0 * rng_normal(&r);
		}
		if (round == 7)
			s = (struct met_sim){ 0.8, 0.2 };
		if (round == 8)
			met_sim_default(&s);

		for (unsigned li = 0; li < 6; li++) {
			double lambda = lambdas[li];
			int m = met_mmr(rel, it, n, k, lambda, &s, scratch, got,
			    why);
			unsigned want_n =
			    mmr_naive(rel, it, n, k, lambda, &s, want);
			cases++;
			CHECK_EQ_INT(m, want_n);
			if (m != (int)want_n ||
			    memcmp(got, want, want_n * sizeof got[0]) != 0) {
				mismatches++;
				continue;
			}
			/* why: relevance rank and move agree with the order,
			 * max_sim with the picks above. */
			for (int t = 0; t < m; t++) {
				CHECK_EQ_INT(why[t].rel_rank,
				    met_rank(rel, n, got[t]));
				CHECK_EQ_INT(why[t].moved,
				    (int)why[t].rel_rank - (t + 1));
				double ms = 0;
				for (int j = 0; j < t; j++) {
					double x = met_item_sim(&s, &it[got[t]],
					    &it[got[j]]);
					ms = x > ms ? x : ms;
				}
				CHECK_NEAR(why[t].max_sim, ms, 0);
			}
			/* Without why: the same picks. */
			uint32_t again[NMAX];
			CHECK_EQ_INT(met_mmr(rel, it, n, k, lambda, &s, scratch,
					 again, NULL),
			    m);
			CHECK(
			    memcmp(again, got, (size_t)m * sizeof got[0]) == 0);
		}

		/* With a mean share: the same picks as the transcription
		 * (items by pointer, every other one NULL: no descriptors). */
		const struct lrn_item *ptr[NMAX];
		for (unsigned i = 0; i < n; i++)
			ptr[i] = i % 7 == 3 ? NULL : &it[i];
		struct lrn_item none[NMAX];
		for (unsigned i = 0; i < n; i++) {
			none[i] = it[i];
			if (!ptr[i])
				memset(&none[i], 0, sizeof none[i]);
		}
		const double means[] = { 0.0, 0.25, 0.75, 1.0 };
		for (unsigned mi = 0; mi < 4; mi++) {
			double lambda = lambdas[(round + mi) % 6];
			int m = met_mmr_mean(rel, ptr, n, k, lambda, means[mi],
			    &s, scratch, got, NULL);
			unsigned want_n = mmr_naive_mean(rel, none, n, k,
			    lambda, means[mi], &s, want);
			cases++;
			CHECK_EQ_INT(m, want_n);
			if (m != (int)want_n ||
			    memcmp(got, want, want_n * sizeof got[0]) != 0)
				mismatches++;
		}

		/* Expected DCG plus ILD: the same picks as the transcription
		 * (relevance not negative). */
		double pos[NMAX];
		for (unsigned i = 0; i < n; i++)
			pos[i] = rel[i] < 0.0 ? -rel[i] : rel[i];
		for (unsigned li = 0; li < 6; li++) {
			double lambda = lambdas[li];
			int m = met_mmr_dcg(pos, ptr, n, k, lambda, &s, scratch,
			    got, NULL);
			unsigned want_n =
			    mmr_naive_dcg(pos, none, n, k, lambda, &s, want);
			cases++;
			CHECK_EQ_INT(m, want_n);
			if (m != (int)want_n ||
			    memcmp(got, want, want_n * sizeof got[0]) != 0)
				mismatches++;
		}

		/* lambda = 1 is the stable relevance sort. */
		for (unsigned i = 0; i < n; i++)
			sorted[i] = i;
		g_rel = rel;
		qsort(sorted, n, sizeof sorted[0], cmp_rel);
		int m = met_mmr(rel, it, n, n, 1.0, &s, scratch, got, NULL);
		CHECK_EQ_INT(m, n);
		CHECK(memcmp(got, sorted, n * sizeof got[0]) == 0);
	}
	CHECK_EQ_INT(mismatches, 0);

	/*
	 * By hand (k 3, lambda 0.65, relevance 0.4 0.35 0.15 0.1: shares of
	 * 1): B shares a tag of two with A (sim 0.25) and one with C, D
	 * shares nothing. Pick 1: B 0.65 x 0.35 - 0.35 log2(3) / 3 x 0.25 =
	 * 0.181 over C 0.0975. Pick 2: C 0.0975 - 0.35 x 2 / 3 x 0.25 =
	 * 0.039 under D 0.065: D, where the max (relevance min-max
	 * normalized) keeps C (0.65 / 6 - 0.35 x 0.25 = 0.021 over 0).
	 * Scaling the relevance changes no share.
	 */
	{
		static const uint32_t a[] = { 1 }, b[] = { 1, 2 }, c[] = { 2 },
				      d[] = { 9 };
		struct lrn_item h[4] = { { 1, 1, { a[0] } },
			{ 2, 2, { b[0], b[1] } }, { 3, 1, { c[0] } },
			{ 4, 1, { d[0] } } };
		const struct lrn_item *hp[4] = { &h[0], &h[1], &h[2], &h[3] };
		double hr[4] = { 0.4, 0.35, 0.15, 0.1 };
		uint32_t o[3];

		met_sim_default(&s);
		CHECK_EQ_INT(met_mmr_dcg(hr, hp, 4, 3, 0.65, &s, scratch, o,
				 NULL),
		    3);
		CHECK(o[0] == 0 && o[1] == 1 && o[2] == 3);
		CHECK_EQ_INT(met_mmr_mean(hr, hp, 4, 3, 0.65, 0.0, &s, scratch,
				 o, NULL),
		    3);
		CHECK(o[0] == 0 && o[1] == 1 && o[2] == 2);
		for (unsigned i = 0; i < 4; i++)
			hr[i] *= 1000.0;
		CHECK_EQ_INT(met_mmr_dcg(hr, hp, 4, 3, 0.65, &s, scratch, o,
				 NULL),
		    3);
		CHECK(o[0] == 0 && o[1] == 1 && o[2] == 3);
		/* lambda 1: the relevance order; a negative score: -EINVAL */
		CHECK_EQ_INT(met_mmr_dcg(hr, hp, 4, 3, 1.0, &s, scratch, o,
				 NULL),
		    3);
		CHECK(o[0] == 0 && o[1] == 1 && o[2] == 2);
		hr[3] = -1.0;
		CHECK_EQ_INT(met_mmr_dcg(hr, hp, 4, 3, 0.65, &s, scratch, o,
				 NULL),
		    -EINVAL);
	}
	/*
	 * Candidates that share state by class: the same tag sets in other
	 * orders and with repeats (one class), and sets whose Bloom filters
	 * are equal but whose tags are not (tags a, b on one filter bit:
	 * {a} and {b} are two classes). Every mode picks what the
	 * transcription picks.
	 */
	{
		uint32_t ta = 1, tb = 0;
		for (uint32_t t = 2; !tb; t++)
			if ((t * 0x9e3779b1u) >> 26 == (ta * 0x9e3779b1u) >> 26)
				tb = t;
		static struct lrn_item cl[64];
		static const struct lrn_item *cp[64];
		static double cr[64];
		unsigned cn = 64;
		memset(cl, 0, sizeof cl);
		for (unsigned i = 0; i < cn; i++) {
			struct lrn_item *x = &cl[i];
			x->category = 1 + i % 3;
			switch (i % 4) {
			case 0: /* {ta, 7, 9} */
				x->n_tags = 3;
				x->tags[0] = ta, x->tags[1] = 7, x->tags[2] = 9;
				break;
			case 1: /* {9, ta, 7, 7}: the same set */
				x->n_tags = 4;
				x->tags[0] = 9, x->tags[1] = ta, x->tags[2] = 7,
				x->tags[3] = 7;
				break;
			case 2: /* {tb, 7, 9}: the same filter, not the set */
				x->n_tags = 3;
				x->tags[0] = tb, x->tags[1] = 7, x->tags[2] = 9;
				break;
			default: /* {tb} or no tag */
				x->n_tags = i % 8 == 3 ? 1 : 0;
				x->tags[0] = tb;
			}
			cp[i] = &cl[i];
			cr[i] = 1.0 + (double)((i * 7) % 11);
		}
		const double lams[] = { 0.3, 0.7, 0.9 };
		for (unsigned li = 0; li < 3; li++) {
			unsigned kk = 1 + li * 9;
			int m = met_mmr(cr, cl, cn, kk, lams[li], &s, scratch,
			    got, NULL);
			unsigned wn =
			    mmr_naive(cr, cl, cn, kk, lams[li], &s, want);
			CHECK(m == (int)wn &&
			    memcmp(got, want, wn * sizeof got[0]) == 0);
			m = met_mmr_mean(cr, cp, cn, kk, lams[li], 0.5, &s,
			    scratch, got, NULL);
			wn = mmr_naive_mean(cr, cl, cn, kk, lams[li], 0.5, &s,
			    want);
			CHECK(m == (int)wn &&
			    memcmp(got, want, wn * sizeof got[0]) == 0);
			m = met_mmr_dcg(cr, cp, cn, kk, lams[li], &s, scratch,
			    got, NULL);
			wn = mmr_naive_dcg(cr, cl, cn, kk, lams[li], &s, want);
			CHECK(m == (int)wn &&
			    memcmp(got, want, wn * sizeof got[0]) == 0);
			cases += 3;
		}
	}
	printf("%d cases\n", cases);
	return check_done("metrics_mmr");
}
