/*
 * metrics exact values: every metric of engine/metrics.h on small
 * hand-computed cases and edge cases; MMR orders on a hand-built catalog;
 * the bootstrap's determinism, interpolation and coverage.
 */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "engine/metrics.h"

#define EPS 1e-12
#define LOG2_3 1.584962500721156 /* log2(3) */

static struct lrn_item item(uint32_t cat, unsigned n, const uint32_t *tags)
{
	struct lrn_item it;

	memset(&it, 0, sizeof it);
	it.category = cat;
	it.n_tags = (uint8_t)n;
	for (unsigned i = 0; i < n && i < LRN_ITEM_TAGS; i++)
		it.tags[i] = tags[i];
	return it;
}

static void ranking(void)
{
	const double s[] = { 0.5, 0.9, 0.5, NAN, 0.1 };

	/* Ties by lower index, NaN below every number. */
	CHECK_EQ_INT(met_rank(s, 5, 1), 1);
	CHECK_EQ_INT(met_rank(s, 5, 0), 2);
	CHECK_EQ_INT(met_rank(s, 5, 2), 3);
	CHECK_EQ_INT(met_rank(s, 5, 4), 4);
	CHECK_EQ_INT(met_rank(s, 5, 3), 5);
	CHECK_EQ_INT(met_rank(s, 5, 5), 0);
	CHECK_EQ_INT(met_rank(NULL, 0, 0), 0);
	CHECK_EQ_INT(met_rank(s, 1, 0), 1);

	CHECK_NEAR(met_hr(1, 10), 1.0, 0);
	CHECK_NEAR(met_hr(10, 10), 1.0, 0);
	CHECK_NEAR(met_hr(11, 10), 0.0, 0);
	CHECK_NEAR(met_hr(0, 10), 0.0, 0);
	CHECK_NEAR(met_hr(1, 0), 0.0, 0);
	CHECK_NEAR(met_hr(5000, MET_K_ALL), 1.0, 0);

	CHECK_NEAR(met_ndcg(1, 10), 1.0, 0);
	CHECK_NEAR(met_ndcg(3, 10), 0.5, 0);
	CHECK_NEAR(met_ndcg(7, 10), 1.0 / 3.0, EPS);
	CHECK_NEAR(met_ndcg(2, 10), 1.0 / LOG2_3, EPS);
	CHECK_NEAR(met_ndcg(11, 10), 0.0, 0);
	CHECK_NEAR(met_ndcg(0, 10), 0.0, 0);
	CHECK_NEAR(met_ndcg(1, 0), 0.0, 0);
	/* UINT_MAX + 1 = 2^32: no wrap to log2(0). */
	CHECK_NEAR(met_ndcg(UINT_MAX, MET_K_ALL), 1.0 / 32.0, 0);

	CHECK_NEAR(met_rr(0), 0.0, 0);
	CHECK_NEAR(met_rr(1), 1.0, 0);
	CHECK_NEAR(met_rr(4), 0.25, 0);
}

static void graded(void)
{
	/* Discounts at ranks 1, 3, 7 are 1, 1/2, 1/3. */
	const double g[] = { 2, 0, 3, 0, 0, 0, 6 };
	const double rel[] = { 3, 6, 2, 0 };
	const double ones[] = { 1, 1, 1 };
	const double one_at3[] = { 0, 0, 1 };
	const double one[] = { 1 };
	const double g4[] = { 3, 2, 0, 1 };

	CHECK_NEAR(met_dcg(g, 7, 7), 5.5, EPS);
	CHECK_NEAR(met_dcg(g, 7, MET_K_ALL), 5.5, EPS);
	CHECK_NEAR(met_dcg(g, 7, 3), 3.5, EPS);
	CHECK_NEAR(met_dcg(g, 7, 1), 2.0, EPS);
	CHECK_NEAR(met_dcg(g, 7, 0), 0.0, 0);
	CHECK_NEAR(met_dcg(g, 0, 10), 0.0, 0);
	CHECK_NEAR(met_dcg(g4, 4, 4), 4.692536065216308, EPS);

	/* 6 + 3/log2(3) + 2/2 + 0/log2(5); the input stays unsorted. */
	CHECK_NEAR(met_idcg(rel, 4, 7), 8.892789260714373, EPS);
	CHECK_NEAR(met_idcg(rel, 4, 1), 6.0, 0);
	CHECK_NEAR(met_idcg(rel, 4, 0), 0.0, 0);
	CHECK_NEAR(rel[0], 3.0, 0);
	CHECK_NEAR(rel[1], 6.0, 0);
	/* Equal gains each count once. */
	CHECK_NEAR(met_idcg(ones, 3, 3), 2.1309297535714578, EPS);
	CHECK_NEAR(met_idcg(ones, 3, 2), 1.0 + 1.0 / LOG2_3, EPS);
	CHECK_NEAR(met_idcg(NULL, 0, 5), 0.0, 0);

	CHECK_NEAR(met_ndcg_graded(g, 7, rel, 4, 7), 0.6184786166357635, EPS);
	/* One relevant item of gain 1 is the single-target form. */
	CHECK_NEAR(met_ndcg_graded(one_at3, 3, one, 1, 10), met_ndcg(3, 10),
	    EPS);
	CHECK_NEAR(met_ndcg_graded(one_at3, 3, one, 1, 2), 0.0, 0);
	/* Nothing relevant, or all-zero gains: 0, not NaN. */
	CHECK_NEAR(met_ndcg_graded(g, 7, NULL, 0, 7), 0.0, 0);
	CHECK_NEAR(met_ndcg_graded(g, 7, rel + 3, 1, 7), 0.0, 0);
	/* The ideal list gives 1. */
	const double ideal[] = { 6, 3, 2, 0 };
	CHECK_NEAR(met_ndcg_graded(ideal, 4, rel, 4, 3), 1.0, EPS);
}

static void running_mean(void)
{
	struct met_mean m, a, b;

	met_mean_init(&m);
	CHECK_NEAR(met_mean_var(&m), 0.0, 0);
	CHECK_NEAR(met_mean_se(&m), 0.0, 0);
	met_mean_add(&m, 1);
	CHECK_NEAR(m.mean, 1.0, 0);
	CHECK_NEAR(met_mean_var(&m), 0.0, 0);
	for (int x = 2; x <= 4; x++)
		met_mean_add(&m, x);
	CHECK_EQ_INT(m.n, 4);
	CHECK_NEAR(m.mean, 2.5, EPS);
	CHECK_NEAR(met_mean_var(&m), 5.0 / 3.0, EPS);
	CHECK_NEAR(met_mean_se(&m), 0.6454972243679028, EPS);

	met_mean_init(&a);
	met_mean_init(&b);
	met_mean_add(&a, 1);
	met_mean_add(&a, 2);
	met_mean_add(&b, 3);
	met_mean_add(&b, 4);
	met_mean_merge(&a, &b);
	CHECK_EQ_INT(a.n, 4);
	CHECK_NEAR(a.mean, 2.5, EPS);
	CHECK_NEAR(met_mean_var(&a), 5.0 / 3.0, EPS);
	/* Merging into or from an empty accumulator. */
	met_mean_init(&a);
	met_mean_merge(&a, &m);
	CHECK_NEAR(a.mean, 2.5, 0);
	met_mean_init(&b);
	met_mean_merge(&a, &b);
	CHECK_EQ_INT(a.n, 4);
}

static void similarity(void)
{
	struct met_sim s, cat_only = { 1.0, 0.0 }, mix = { 0.25, 0.75 };
	const uint32_t ta[] = { 10, 20, 30 }, tb[] = { 20, 30, 40, 0, 20 };
	const uint32_t tc[] = { 10 };
	const uint32_t many[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct lrn_item a = item(1, 3, ta), b = item(1, 5, tb);
	struct lrn_item c = item(2, 1, tc), d = item(0, 0, NULL);
	struct lrn_item e = item(0, 3, ta), big = item(1, 8, many);

	met_sim_default(&s);
	CHECK_NEAR(s.w_cat, 0.5, 0);
	CHECK_NEAR(s.w_tag, 0.5, 0);

	/* b's set is {20, 30, 40}: 0 and the repeat are skipped. */
	CHECK_NEAR(met_tag_jaccard(&a, &b), 0.5, 0);
	CHECK_NEAR(met_tag_jaccard(&b, &a), 0.5, 0);
	CHECK_NEAR(met_item_sim(&s, &a, &b), 0.75, EPS);
	CHECK_NEAR(met_item_sim(&s, &a, &c), 1.0 / 6.0, EPS);
	CHECK_NEAR(met_item_sim(&s, &c, &a), 1.0 / 6.0, EPS);
	CHECK_NEAR(met_item_sim(&s, &a, &a), 1.0, EPS);
	CHECK_NEAR(met_item_sim(&s, &b, &c), 0.0, 0);
	/* No category, no tags: nothing shared, even with itself. */
	CHECK_NEAR(met_tag_jaccard(&d, &d), 0.0, 0);
	CHECK_NEAR(met_item_sim(&s, &d, &d), 0.0, 0);
	CHECK_NEAR(met_item_sim(&s, &a, &d), 0.0, 0);
	/* Category 0 never matches. */
	CHECK_NEAR(met_item_sim(&s, &a, &e), 0.5, EPS);
	CHECK_NEAR(met_item_sim(&s, &e, &e), 0.5, EPS);
	/* Weights are parameters. */
	CHECK_NEAR(met_item_sim(&cat_only, &a, &b), 1.0, 0);
	CHECK_NEAR(met_item_sim(&cat_only, &a, &c), 0.0, 0);
	CHECK_NEAR(met_item_sim(&mix, &a, &c), 0.25, EPS);
	/* n_tags above LRN_ITEM_TAGS reads as LRN_ITEM_TAGS. */
	big.n_tags = 200;
	CHECK_NEAR(met_tag_jaccard(&big, &big), 1.0, 0);
	CHECK_NEAR(met_tag_jaccard(&big, &c), 0.0, 0);
	CHECK_NEAR(met_tag_jaccard(&big, &d), 0.0, 0);

	/* Tags 1 and 56 share a bit of the 64-bit prefilter: still no
	 * common tag. */
	const uint32_t t1[] = { 1 }, t56[] = { 56 }, t1_56[] = { 56, 1 };
	struct lrn_item x1 = item(0, 1, t1), x56 = item(0, 1, t56);
	struct lrn_item x1_56 = item(0, 2, t1_56);
	CHECK_NEAR(met_tag_jaccard(&x1, &x56), 0.0, 0);
	CHECK_NEAR(met_tag_jaccard(&x1_56, &x56), 0.5, 0);

	/* ILD: pairs ab 0.25, ac 5/6, bc 1; mean 25/36. */
	struct lrn_item list[] = { a, b, c };
	CHECK_NEAR(met_ild(&s, list, 3), 25.0 / 36.0, EPS);
	CHECK_NEAR(met_ild(&s, list, 2), 0.25, EPS);
	CHECK_NEAR(met_ild(&s, list, 1), 0.0, 0);
	CHECK_NEAR(met_ild(&s, list, 0), 0.0, 0);
	struct lrn_item same[] = { a, a, a };
	CHECK_NEAR(met_ild(&s, same, 3), 0.0, EPS);
}

static void exposure(void)
{
	uint64_t counts[5], scratch[5];
	struct met_exposure x;
	const uint32_t l1[] = { 0, 1, 2 }, l2[] = { 0, 1 }, l3[] = { 0 };
	const uint32_t bad[] = { 1, 5 };
	double norm;

	CHECK_EQ_INT(met_exposure_init(&x, counts, 0), -EINVAL);
	memset(counts, 0xff, sizeof counts);
	REQUIRE(met_exposure_init(&x, counts, 5) == 0);
	CHECK_EQ_INT(counts[4], 0);
	/* Nothing shown yet. */
	CHECK_NEAR(met_coverage(counts, 5), 0.0, 0);
	CHECK_NEAR(met_gini(counts, 5, scratch), 0.0, 0);
	CHECK_NEAR(met_entropy(counts, 5, &norm), 0.0, 0);
	CHECK_NEAR(norm, 0.0, 0);

	CHECK_EQ_INT(met_exposure_add(&x, l1, 3), 0);
	CHECK_EQ_INT(met_exposure_add(&x, l2, 2), 0);
	CHECK_EQ_INT(met_exposure_add(&x, l3, 1), 0);
	CHECK_EQ_INT(met_exposure_add(&x, NULL, 0), 0);
	/* An out-of-range index rejects the whole list. */
	CHECK_EQ_INT(met_exposure_add(&x, bad, 2), -ERANGE);
	CHECK_EQ_INT(x.lists, 4);
	CHECK_EQ_INT(x.shown, 6);
	CHECK_EQ_INT(counts[0], 3);
	CHECK_EQ_INT(counts[1], 2);
	CHECK_EQ_INT(counts[2], 1);
	CHECK_EQ_INT(counts[3], 0);

	/* counts {3, 2, 1, 0, 0}: sorted weights -4 -2 0 2 4 -> 16 / 30. */
	CHECK_NEAR(met_coverage(counts, 5), 0.6, EPS);
	CHECK_NEAR(met_gini(counts, 5, scratch), 8.0 / 15.0, EPS);
	CHECK_EQ_INT(counts[0], 3); /* separate scratch: counts untouched */
	/* p = 1/2, 1/3, 1/6. */
	CHECK_NEAR(met_entropy(counts, 5, &norm), 1.4591479170272448, EPS);
	CHECK_NEAR(norm, 0.6284208026252547, EPS);
	CHECK_NEAR(met_entropy(counts, 5, NULL), 1.4591479170272448, EPS);

	/* Popularity {7, 3, 1, 0, 0}: P + N = 16, shares 1/2 .. 1/16. */
	const uint64_t pop[] = { 7, 3, 1, 0, 0 };
	struct met_pop p;
	CHECK_EQ_INT(met_pop_init(&p, pop, 0), -EINVAL);
	REQUIRE(met_pop_init(&p, pop, 5) == 0);
	CHECK_EQ_INT(p.total, 11);
	CHECK_NEAR(met_self_info(&p, 0), 1.0, EPS);
	CHECK_NEAR(met_self_info(&p, 1), 2.0, EPS);
	CHECK_NEAR(met_self_info(&p, 2), 3.0, EPS);
	CHECK_NEAR(met_self_info(&p, 3), 4.0, EPS);
	CHECK_NEAR(met_self_info(&p, 99), 4.0, EPS); /* unknown: count 0 */
	/* (3*1 + 2*2 + 1*3) / 6 */
	CHECK_NEAR(met_novelty(&p, counts), 10.0 / 6.0, EPS);
	const uint32_t nl[] = { 3, 4, 0 };
	CHECK_NEAR(met_novelty_list(&p, nl, 3), 3.0, EPS);
	CHECK_NEAR(met_novelty_list(&p, nl, 0), 0.0, 0);

	/* In place: scratch == counts sorts the caller's array. */
	CHECK_NEAR(met_gini(counts, 5, counts), 8.0 / 15.0, EPS);
	CHECK_EQ_INT(counts[0], 0);
	CHECK_EQ_INT(counts[4], 3);

	/* Equal exposure: Gini 0, normalized entropy 1. */
	const uint64_t eq[] = { 2, 2, 2, 2 };
	CHECK_NEAR(met_gini(eq, 4, scratch), 0.0, 0);
	CHECK_NEAR(met_entropy(eq, 4, &norm), 2.0, EPS);
	CHECK_NEAR(norm, 1.0, EPS);
	CHECK_NEAR(met_coverage(eq, 4), 1.0, 0);
	/* All on one item: Gini (N - 1) / N, entropy 0. */
	const uint64_t one[] = { 0, 0, 0, 5 };
	CHECK_NEAR(met_gini(one, 4, scratch), 0.75, EPS);
	CHECK_NEAR(met_entropy(one, 4, &norm), 0.0, 0);
	CHECK_NEAR(norm, 0.0, 0);
	CHECK_NEAR(met_coverage(one, 4), 0.25, 0);
	/* A one-item catalog is as even as it can be. */
	const uint64_t single[] = { 3 };
	CHECK_NEAR(met_gini(single, 1, scratch), 0.0, 0);
	CHECK_NEAR(met_entropy(single, 1, &norm), 0.0, 0);
	CHECK_NEAR(norm, 1.0, 0);
	CHECK_NEAR(met_coverage(single, 1), 1.0, 0);
	CHECK_NEAR(met_coverage(NULL, 0), 0.0, 0);
	CHECK_NEAR(met_gini(NULL, 0, NULL), 0.0, 0);
}

static int cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;
	return (a > b) - (a < b);
}

static void bootstrap(void)
{
	struct met_boot_params prm;
	struct met_boot_ci ci, ci2;
	struct rng r;
	double scratch[4000];
	double a[200], b[200];

	met_boot_default(&prm);
	CHECK_EQ_INT(prm.resamples, 1000);
	CHECK_NEAR(prm.level, 0.95, 0);

	/* Identical strategies: the interval is [0, 0] exactly. */
	rng_seed(&r, 1);
	for (int i = 0; i < 200; i++)
		a[i] = b[i] = rng_uniform(&r);
	REQUIRE(met_bootstrap_diff(a, b, 200, &prm, &r, scratch, &ci) == 0);
	CHECK_NEAR(ci.diff, 0.0, 0);
	CHECK_NEAR(ci.lo, 0.0, 0);
	CHECK_NEAR(ci.hi, 0.0, 0);
	CHECK_NEAR(ci.p_le0, 1.0, 0);

	/* A known shift of 0.1 under noise of sd 0.05: covered, 0 not. */
	for (int i = 0; i < 200; i++) {
		b[i] = rng_uniform(&r);
		a[i] = b[i] + 0.1 + 0.05 * rng_normal(&r);
	}
	rng_seed(&r, 42);
	REQUIRE(met_bootstrap_diff(a, b, 200, &prm, &r, scratch, &ci) == 0);
	CHECK(ci.lo < 0.1 && 0.1 < ci.hi);
	CHECK(ci.lo <= ci.diff && ci.diff <= ci.hi);
	CHECK(ci.lo > 0.0);
	CHECK_NEAR(ci.p_le0, 0.0, 0);
	/* Width near 2 * 1.96 * 0.05 / sqrt(200) = 0.01386. */
	CHECK(ci.hi - ci.lo > 0.011 && ci.hi - ci.lo < 0.017);
	/* Same seed, same answer; the order of a and b flips the sign. */
	rng_seed(&r, 42);
	REQUIRE(met_bootstrap_diff(a, b, 200, &prm, &r, scratch, &ci2) == 0);
	CHECK(memcmp(&ci, &ci2, sizeof ci) == 0);
	rng_seed(&r, 42);
	REQUIRE(met_bootstrap_diff(b, a, 200, &prm, &r, scratch, &ci2) == 0);
	CHECK_NEAR(ci2.diff, -ci.diff, EPS);
	CHECK_NEAR(ci2.lo, -ci.hi, EPS);
	CHECK_NEAR(ci2.hi, -ci.lo, EPS);
	CHECK_NEAR(ci2.p_le0, 1.0, 0);
	rng_seed(&r, 43);
	REQUIRE(met_bootstrap_diff(a, b, 200, &prm, &r, scratch, &ci2) == 0);
	CHECK(ci2.lo != ci.lo);
	CHECK_NEAR(ci2.diff, ci.diff, 0);

	/* The interval is the linear quantile of the resample means: redo
	 * B = 7 resamples with the same draws; level 0.5 reads the 0.25 and
	 * 0.75 quantiles at h = 1.5 and 4.5, between order statistics. */
	struct met_boot_params small = { 7, 0.5 };
	double means[7];
	struct rng r2;
	rng_seed(&r, 9);
	rng_seed(&r2, 9);
	REQUIRE(met_bootstrap_diff(a, b, 20, &small, &r, scratch, &ci) == 0);
	unsigned le0 = 0;
	for (int s = 0; s < 7; s++) {
		double sum = 0;
		for (int i = 0; i < 20; i++) {
			uint64_t u = rng_below(&r2, 20);
			sum += a[u] - b[u];
		}
		means[s] = sum / 20;
		le0 += means[s] <= 0;
	}
	qsort(means, 7, sizeof means[0], cmp_double);
	CHECK_NEAR(ci.lo, 0.5 * (means[1] + means[2]), EPS);
	CHECK_NEAR(ci.hi, 0.5 * (means[4] + means[5]), EPS);
	CHECK_NEAR(ci.p_le0, le0 / 7.0, 0);
	CHECK(r.s[0] == r2.s[0] && r.s[3] == r2.s[3]); /* n * B draws */

	/* n = 1: every resample is the one difference. */
	const double a1[] = { 3.0 }, b1[] = { 1.0 };
	REQUIRE(met_bootstrap_diff(a1, b1, 1, &prm, &r, scratch, &ci) == 0);
	CHECK_NEAR(ci.diff, 2.0, 0);
	CHECK_NEAR(ci.lo, 2.0, 0);
	CHECK_NEAR(ci.hi, 2.0, 0);
	CHECK_NEAR(ci.p_le0, 0.0, 0);
	/* B = 1: both ends are the one resample. */
	struct met_boot_params one = { 1, 0.95 };
	REQUIRE(met_bootstrap_diff(a, b, 200, &one, &r, scratch, &ci) == 0);
	CHECK_NEAR(ci.lo, ci.hi, 0);

	/* Bad arguments leave *out alone. */
	const double nan1[] = { NAN };
	struct met_boot_params bad_b = { 0, 0.95 }, bad_l0 = { 100, 0.0 };
	struct met_boot_params bad_l1 = { 100, 1.0 }, bad_ln = { 100, NAN };
	memset(&ci, 0x5a, sizeof ci);
	ci2 = ci;
	CHECK_EQ_INT(met_bootstrap_diff(a, b, 0, &prm, &r, scratch, &ci),
	    -EINVAL);
	CHECK_EQ_INT(met_bootstrap_diff(nan1, b1, 1, &prm, &r, scratch, &ci),
	    -EINVAL);
	CHECK_EQ_INT(met_bootstrap_diff(a, b, 9, &bad_b, &r, scratch, &ci),
	    -EINVAL);
	CHECK_EQ_INT(met_bootstrap_diff(a, b, 9, &bad_l0, &r, scratch, &ci),
	    -EINVAL);
	CHECK_EQ_INT(met_bootstrap_diff(a, b, 9, &bad_l1, &r, scratch, &ci),
	    -EINVAL);
	CHECK_EQ_INT(met_bootstrap_diff(a, b, 9, &bad_ln, &r, scratch, &ci),
	    -EINVAL);
	CHECK(memcmp(&ci, &ci2, sizeof ci) == 0);
}

/*
 * Six candidates, relevance 9 8 7 6 5 1 (min-max: 1 .875 .75 .625 .5 0,
 * exact in binary). Similarities (0.5 category + 0.5 Jaccard):
 * 0-1 1 (same item twice), 0-3 and 1-3 .75, 2-5 .75, all others 0.
 */
static const uint32_t t12[] = { 1, 2 }, t1[] = { 1 }, t3[] = { 3 };
static const uint32_t t4[] = { 4 }, t35[] = { 3, 5 };
static const double rel6[] = { 9, 8, 7, 6, 5, 1 };

static void check_order(const uint32_t *got, const uint32_t *want, unsigned n,
    int line)
{
	for (unsigned i = 0; i < n; i++)
		if (got[i] != want[i]) {
			fprintf(stderr, "line %d: pick %u is %u, want %u\n",
			    line, i, got[i], want[i]);
			check_failures++;
			return;
		}
}

static void mmr(void)
{
	struct lrn_item it[6] = { item(1, 2, t12), item(1, 2, t12),
		item(2, 1, t3), item(1, 1, t1), item(3, 1, t4),
		item(2, 2, t35) };
	struct met_sim s;
	struct met_mmr_slot scratch[8];
	uint32_t order[8];
	struct met_mmr_why why[8];

	met_sim_default(&s);
	CHECK_NEAR(met_item_sim(&s, &it[0], &it[3]), 0.75, EPS);
	CHECK_NEAR(met_item_sim(&s, &it[2], &it[5]), 0.75, EPS);

	/* lambda = 1: the relevance order, nothing moved. */
	CHECK_EQ_INT(met_mmr(rel6, it, 6, 6, 1.0, &s, scratch, order, why), 6);
	const uint32_t by_rel[] = { 0, 1, 2, 3, 4, 5 };
	check_order(order, by_rel, 6, __LINE__);
	for (int i = 0; i < 6; i++) {
		CHECK_EQ_INT(why[i].rel_rank, i + 1);
		CHECK_EQ_INT(why[i].moved, 0);
	}
	CHECK_NEAR(why[0].score, 1.0, 0);
	CHECK_NEAR(why[1].max_sim, 1.0, EPS); /* reported even at lambda 1 */
	/* Same without `why` (no similarity computed at all). */
	memset(order, 0xff, sizeof order);
	CHECK_EQ_INT(met_mmr(rel6, it, 6, 6, 1.0, &s, scratch, order, NULL), 6);
	check_order(order, by_rel, 6, __LINE__);

	/*
	 * lambda = 0: the most relevant first (all score 0), then the least
	 * similar to the picks, ties by relevance: 2, 4 (0); then 3 and 5
	 * both .75, 3 is more relevant; 5; the duplicate 1 last.
	 */
	CHECK_EQ_INT(met_mmr(rel6, it, 6, 6, 0.0, &s, scratch, order, why), 6);
	const uint32_t diverse[] = { 0, 2, 4, 3, 5, 1 };
	check_order(order, diverse, 6, __LINE__);
	const int moved[] = { 0, 1, 2, 0, 1, -4 };
	const double maxs[] = { 0, 0, 0, 0.75, 0.75, 1 };
	for (int i = 0; i < 6; i++) {
		CHECK_EQ_INT(why[i].rel_rank, diverse[i] + 1);
		CHECK_EQ_INT(why[i].moved, moved[i]);
		CHECK_NEAR(why[i].max_sim, maxs[i], EPS);
		CHECK_NEAR(why[i].score, -maxs[i], EPS);
	}

	/*
	 * lambda = 0.5: 0 (.5); 2 (.375 beats 4's .25, 1's and 3's
	 * -.0625); 4 (.25); 1 and 3 tie at -.0625: 1 is more relevant;
	 * then 3, then 5 (-.375).
	 */
	CHECK_EQ_INT(met_mmr(rel6, it, 6, 6, 0.5, &s, scratch, order, why), 6);
	const uint32_t half[] = { 0, 2, 4, 1, 3, 5 };
	check_order(order, half, 6, __LINE__);
	CHECK_NEAR(why[0].score, 0.5, EPS);
	CHECK_NEAR(why[1].score, 0.375, EPS);
	CHECK_NEAR(why[3].score, -0.0625, EPS);
	CHECK_NEAR(why[4].score, -0.0625, EPS);
	CHECK_NEAR(why[5].score, -0.375, EPS);
	CHECK_EQ_INT(why[3].moved, -2);

	/* k < n: the first k of the same greedy order. */
	CHECK_EQ_INT(met_mmr(rel6, it, 6, 3, 0.5, &s, scratch, order, NULL), 3);
	check_order(order, half, 3, __LINE__);
	/* k > n: all n. */
	CHECK_EQ_INT(met_mmr(rel6, it, 6, 50, 0.5, &s, scratch, order, NULL),
	    6);
	check_order(order, half, 6, __LINE__);

	/* All-equal scores: relevance says nothing, ties by index. At
	 * lambda 1 the input order; at 0.5 diversity alone decides. */
	const double flat[] = { 3, 3, 3, 3, 3, 3 };
	CHECK_EQ_INT(met_mmr(flat, it, 6, 6, 1.0, &s, scratch, order, NULL), 6);
	check_order(order, by_rel, 6, __LINE__);
	CHECK_EQ_INT(met_mmr(flat, it, 6, 6, 0.5, &s, scratch, order, why), 6);
	const uint32_t flat_half[] = { 0, 2, 4, 3, 5, 1 };
	check_order(order, flat_half, 6, __LINE__);
	CHECK_NEAR(why[0].score, 0.0, 0);

	/* n = 1 and empty cases. */
	CHECK_EQ_INT(met_mmr(rel6, it, 1, 5, 0.3, &s, scratch, order, why), 1);
	CHECK_EQ_INT(order[0], 0);
	CHECK_EQ_INT(why[0].rel_rank, 1);
	CHECK_EQ_INT(why[0].moved, 0);
	CHECK_NEAR(why[0].max_sim, 0.0, 0);
	CHECK_EQ_INT(met_mmr(rel6, it, 6, 0, 0.3, &s, scratch, order, why), 0);
	CHECK_EQ_INT(met_mmr(NULL, NULL, 0, 5, 0.3, &s, scratch, order, why),
	    0);

	/* lambda = 1 is exact where min-max rounding merges two scores:
	 * 1 and 1 + 2^-52 both normalize to 0.5 over a 2e300 span. */
	const double wide[] = { 1e300, -1e300, 1.0, 1.0 + 0x1p-52 };
	CHECK_EQ_INT(met_mmr(wide, it, 4, 4, 1.0, &s, scratch, order, NULL), 4);
	const uint32_t wide_want[] = { 0, 3, 2, 1 };
	check_order(order, wide_want, 4, __LINE__);

	/*
	 * A share of the mean similarity (met_mmr_mean), sim = .5 [same
	 * category] + .5 J: 0 (cat 1, {1}), 1 (cat 2, {2}), X = 2 (cat 1,
	 * no tags), Y = 3 (cat 3, {1, 2}), 4 (cat 4, no tags); relevance
	 * 1, .9, .8, .7, 0 (rn the same), lambda .5. First 0 (.5); then 1
	 * (.45 - 0; X .4 - .5 x .5 = .15, Y .35 - .5 x .25 = .225). Then X
	 * has sims .5 and 0 to the picks, Y .25 and .25. Max: X .4 - .25 =
	 * .15, Y .35 - .125 = .225: Y, then X, 4. Mean: X .4 - .5 x .25 =
	 * .275 beats Y .35 - .5 x .25 = .225: X; then Y (sims .25, .25, 0:
	 * .35 - .5 x .5 / 3 = .2667 > 4's 0), 4. Mean share .75: X's
	 * redundancy .25 x .5 + .75 x .25 = .3125, .4 - .15625 = .24375
	 * still beats Y's .225: X, Y, 4.
	 */
	const uint32_t u1[] = { 1 }, u2[] = { 2 }, u12[] = { 1, 2 };
	const struct lrn_item mi[5] = { item(1, 1, u1), item(2, 1, u2),
		item(1, 0, NULL), item(3, 2, u12), item(4, 0, NULL) };
	const struct lrn_item *mp[5] = { &mi[0], &mi[1], &mi[2], &mi[3],
		&mi[4] };
	const double mrel[] = { 1.0, 0.9, 0.8, 0.7, 0.0 };
	const uint32_t by_max[] = { 0, 1, 3, 2, 4 },
		       by_mean[] = { 0, 1, 2, 3, 4 };
	CHECK_EQ_INT(met_mmr(mrel, mi, 5, 5, 0.5, &s, scratch, order, NULL), 5);
	check_order(order, by_max, 5, __LINE__);
	CHECK_EQ_INT(met_mmr_mean(mrel, mp, 5, 5, 0.5, 0.0, &s, scratch, order,
			 NULL),
	    5);
	check_order(order, by_max, 5, __LINE__);
	CHECK_EQ_INT(met_mmr_mean(mrel, mp, 5, 5, 0.5, 1.0, &s, scratch, order,
			 why),
	    5);
	check_order(order, by_mean, 5, __LINE__);
	CHECK_NEAR(why[2].score, 0.275, EPS);
	CHECK_NEAR(why[2].max_sim, 0.5, EPS); /* still the max */
	CHECK_NEAR(why[3].score, 0.35 - 0.5 * 0.5 / 3, EPS);
	CHECK_EQ_INT(met_mmr_mean(mrel, mp, 5, 5, 0.5, 0.75, &s, scratch, order,
			 why),
	    5);
	check_order(order, by_mean, 5, __LINE__);
	CHECK_NEAR(why[2].score, 0.24375, EPS);
	/* A NULL item has no descriptors: 4 as NULL changes nothing. */
	mp[4] = NULL;
	CHECK_EQ_INT(met_mmr_mean(mrel, mp, 5, 5, 0.5, 1.0, &s, scratch, order,
			 NULL),
	    5);
	check_order(order, by_mean, 5, __LINE__);
	CHECK_EQ_INT(met_mmr_mean(mrel, mp, 5, 5, 0.5, 1.5, &s, scratch, order,
			 NULL),
	    -EINVAL);
	CHECK_EQ_INT(met_mmr_mean(mrel, mp, 5, 5, 0.5, NAN, &s, scratch, order,
			 NULL),
	    -EINVAL);

	/* Bad arguments. */
	const double bad_rel[] = { 1, NAN };
	const double huge[] = { 1.7e308, -1.7e308 };
	struct met_sim neg = { -0.1, 1.1 }, inf = { INFINITY, 0 };
	CHECK_EQ_INT(met_mmr(rel6, it, 6, 3, -0.01, &s, scratch, order, NULL),
	    -EINVAL);
	CHECK_EQ_INT(met_mmr(rel6, it, 6, 3, 1.01, &s, scratch, order, NULL),
	    -EINVAL);
	CHECK_EQ_INT(met_mmr(rel6, it, 6, 3, NAN, &s, scratch, order, NULL),
	    -EINVAL);
	CHECK_EQ_INT(met_mmr(bad_rel, it, 2, 2, 0.5, &s, scratch, order, NULL),
	    -EINVAL);
	CHECK_EQ_INT(met_mmr(rel6, it, 6, 3, 0.5, &neg, scratch, order, NULL),
	    -EINVAL);
	CHECK_EQ_INT(met_mmr(rel6, it, 6, 3, 0.5, &inf, scratch, order, NULL),
	    -EINVAL);
	CHECK_EQ_INT(met_mmr(huge, it, 2, 2, 0.5, &s, scratch, order, NULL),
	    -ERANGE);
}

static void ctr(void)
{
	struct met_ctr c, d;

	met_ctr_init(&c);
	CHECK_NEAR(met_ctr_rate(&c, 1), 0.0, 0);
	CHECK_EQ_INT(met_ctr_add(&c, 0, 1), -EINVAL);
	CHECK_EQ_INT(met_ctr_click(&c, 0), -EINVAL);
	CHECK_EQ_INT(met_ctr_add(&c, 1, 1), 0);
	CHECK_EQ_INT(met_ctr_add(&c, 1, 0), 0);
	CHECK_EQ_INT(met_ctr_add(&c, 2, 0), 0);
	CHECK_EQ_INT(met_ctr_add(&c, 40, 7), 0); /* any non-zero is a click */
	CHECK_EQ_INT(met_ctr_add(&c, MET_CTR_POS, 0), 0);
	CHECK_NEAR(met_ctr_rate(&c, 1), 0.5, 0);
	CHECK_NEAR(met_ctr_rate(&c, 2), 0.0, 0);
	CHECK_NEAR(met_ctr_rate(&c, 3), 0.0, 0);
	CHECK_NEAR(met_ctr_rate(&c, MET_CTR_POS), 0.5, 0);
	CHECK_NEAR(met_ctr_rate(&c, 1000), 0.5, 0);
	CHECK_NEAR(met_ctr_rate(&c, 0), 0.0, 0);
	CHECK_EQ_INT(met_ctr_click(&c, 2), 0); /* a late click */
	CHECK_NEAR(met_ctr_rate(&c, 2), 1.0, 0);

	met_ctr_init(&d);
	met_ctr_add(&d, 1, 1);
	met_ctr_add(&d, 1, 1);
	met_ctr_merge(&c, &d);
	CHECK_EQ_INT(c.shown[0], 4);
	CHECK_NEAR(met_ctr_rate(&c, 1), 0.75, 0);
}

int main(void)
{
	ranking();
	graded();
	running_mean();
	similarity();
	exposure();
	bootstrap();
	mmr();
	ctr();
	return check_done("metrics_exact");
}
