/*
 * nbr exact: item-neighbour counting (engine/nbr.h) by hand: masses and
 * pair counts of windows with their fresh fronts, Jaccard similarities
 * and their shrinkage, list order and ties, min_count, the space-saving
 * bound, forward decay across a rescale, a full table, publication of
 * what changed only, the history of a profile (touched entries, not
 * impressions only) and the sums the ranker reads.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "check.h"
#include "engine/nbr.h"

#define DAY LRN_DAY_MS
#define T0 1767225600000LL

/* Folds are the high 20 bits of a word: item i is i << 12. */
#define F(i) ((uint32_t)(i) << 12)

static const struct nbr_params _base = { .candidates = 64,
	.half_life_days = 0,
	.min_count = 1,
	.shrink = 0 };

static struct nbr_params _prm(void)
{
	return _base;
}

static double _sim(const struct nbr_counts *x, uint32_t a, uint32_t b)
{
	struct nbr_list l;
	if (!nbr_counts_list(x, a, &l))
		return -1.0;
	for (unsigned k = 0; k < NBR_K && l.fold[k]; k++)
		if (l.fold[k] == b)
			return (double)l.sim[k] / NBR_SIM_ONE;
	return 0.0;
}

static void _params(void)
{
	struct nbr_params p = _prm();
	CHECK(nbr_params_ok(&p));
	p.candidates = NBR_K - 1;
	CHECK(!nbr_params_ok(&p));
	p.candidates = NBR_CAND_MAX + 1;
	CHECK(!nbr_params_ok(&p));
	p = _prm();
	p.shrink = NAN;
	CHECK(!nbr_params_ok(&p));
	p = _prm();
	p.half_life_days = -1;
	CHECK(!nbr_params_ok(&p));
	struct nbr_counts x;
	CHECK_EQ_INT(nbr_counts_init(&x, 0, &_base), -EINVAL);
	p.min_count = INFINITY;
	CHECK_EQ_INT(nbr_counts_init(&x, 10, &p), -EINVAL);
}

static unsigned _emitted;
static void _count(void *arg, uint32_t fold, const struct nbr_list *l)
{
	(void)arg;
	(void)fold;
	(void)l;
	_emitted++;
}

static void _counting(void)
{
	struct nbr_counts x;
	REQUIRE(nbr_counts_init(&x, 100, &_base) == 0);
	/* A new user: three fresh items, all pairs counted once. */
	uint32_t w1[] = { F(1), F(2), F(3) };
	nbr_counts_window(&x, w1, 3, 3, T0);
	CHECK(nbr_counts_mass(&x, F(1)) == 1 &&
	    nbr_counts_mass(&x, F(2)) == 1 && nbr_counts_mass(&x, F(3)) == 1);
	CHECK_EQ_INT(x.pairs, 3);
	/* Jaccard 1 / (1 + 1 - 1) = 1 for each pair */
	CHECK(_sim(&x, F(1), F(2)) == 1.0 && _sim(&x, F(3), F(1)) == 1.0);
	/* ties: the lower fold first */
	struct nbr_list l;
	REQUIRE(nbr_counts_list(&x, F(1), &l));
	CHECK(l.fold[0] == F(2) && l.fold[1] == F(3) && l.fold[2] == 0);
	/* Another user: 1 and 4. Mass of 1 is 2: sim(1, 2) = 1 / (2 + 1 -
	 * 1) = 0.5, sim(1, 4) = 0.5, sim(4, 1) likewise. */
	uint32_t w2[] = { F(4), F(1) };
	nbr_counts_window(&x, w2, 2, 2, T0);
	CHECK_NEAR(_sim(&x, F(1), F(2)), 0.5, 1e-4);
	CHECK_NEAR(_sim(&x, F(1), F(4)), 0.5, 1e-4);
	CHECK_NEAR(_sim(&x, F(4), F(1)), 0.5, 1e-4);
	/* Only the fresh front counts: 5 is new, 1 and 2 are old; pairs
	 * (5, 1) and (5, 2), masses of 1 and 2 unchanged. */
	uint32_t w3[] = { F(5), F(1), F(2) };
	nbr_counts_window(&x, w3, 3, 1, T0);
	CHECK(nbr_counts_mass(&x, F(5)) == 1 &&
	    nbr_counts_mass(&x, F(1)) == 2 && nbr_counts_mass(&x, F(2)) == 1);
	CHECK_NEAR(_sim(&x, F(5), F(2)), 1.0, 1e-4);
	CHECK_NEAR(_sim(&x, F(1), F(5)), 0.5, 1e-4);
	/* A repeat and zero folds are skipped; nothing fresh, nothing done. */
	uint64_t pairs = x.pairs;
	uint32_t w4[] = { F(6), 0, F(6), F(7) };
	nbr_counts_window(&x, w4, 4, 0, T0);
	CHECK(x.pairs == pairs && nbr_counts_mass(&x, F(6)) == 0);
	nbr_counts_window(&x, w4, 4, 1, T0);
	CHECK(x.pairs == pairs + 1 && nbr_counts_mass(&x, F(6)) == 1);
	CHECK(nbr_counts_mass(&x, F(99)) == 0 && nbr_counts_mass(&x, 0) == 0);
	/* Publication: every item counted so far once, then none. */
	_emitted = 0;
	uint32_t n = nbr_counts_publish(&x, _count, NULL);
	CHECK(n == _emitted && n == 7); /* 1 2 3 4 5 6 7 */
	_emitted = 0;
	CHECK_EQ_INT(nbr_counts_publish(&x, _count, NULL), 0);
	nbr_counts_window(&x, w2, 2, 1, T0); /* 4 again, with 1 */
	CHECK_EQ_INT(nbr_counts_publish(&x, _count, NULL), 2);
	nbr_counts_free(&x);
}

static void _shrink_and_support(void)
{
	struct nbr_params p = _prm();
	p.shrink = 1.0;
	p.min_count = 2.0;
	struct nbr_counts x;
	REQUIRE(nbr_counts_init(&x, 100, &p) == 0);
	uint32_t ab[] = { F(1), F(2) }, ac[] = { F(1), F(3) };
	nbr_counts_window(&x, ab, 2, 2, T0);
	nbr_counts_window(&x, ab, 2, 2, T0);
	nbr_counts_window(&x, ac, 2, 1, T0);
	/* m1 = 3, m2 = 2, c12 = 2: 2 / 3 x 2 / (2 + 1); c13 = 1 < 2: none */
	CHECK_NEAR(_sim(&x, F(1), F(2)), 2.0 / 3.0 * 2.0 / 3.0, 1e-4);
	CHECK(_sim(&x, F(1), F(3)) == 0.0);
	nbr_counts_free(&x);
}

static void _space_saving(void)
{
	struct nbr_params p = _prm();
	p.candidates = NBR_K; /* 32 counters */
	struct nbr_counts x;
	REQUIRE(nbr_counts_init(&x, 1000, &p) == 0);
	/* Item 1 meets partner 2 forty times and 100 others once each,
	 * each partner first on its own (its mass), then 1 after it. */
	for (uint32_t o = 0; o < 140; o++) {
		uint32_t q = o < 40 ? F(2) : F(100 + o);
		uint32_t v[2] = { F(1), q };
		nbr_counts_window(&x, &q, 1, 1, T0);
		nbr_counts_window(&x, v, 2, 1, T0);
	}
	CHECK(nbr_counts_mass(&x, F(1)) == 140 &&
	    nbr_counts_mass(&x, F(2)) == 40);
	/* Heavy partner kept, with its count exact (it never left). */
	struct nbr_list l;
	REQUIRE(nbr_counts_list(&x, F(1), &l));
	CHECK_EQ_INT(l.fold[0], F(2));
	/* m1 = 140, m2 = 40, c = 40: 40 / 140 */
	CHECK_NEAR((double)l.sim[0] / NBR_SIM_ONE, 40.0 / 140.0, 1e-4);
	/* Every other counter overestimates by at most the smallest one,
	 * at most m1 / candidates: a partner seen once shows <= 1 + 140/32. */
	for (unsigned k = 1; k < NBR_K && l.fold[k]; k++) {
		double m = nbr_counts_mass(&x, l.fold[k]);
		double s = (double)l.sim[k] / NBR_SIM_ONE;
		/* c = min(counter, masses) = 1 here (the partner's mass) */
		CHECK(m == 1.0);
		CHECK_NEAR(s, 1.0 / (140.0 + 1.0 - 1.0), 1e-4);
	}
	nbr_counts_free(&x);
}

static void _decay(void)
{
	struct nbr_params p = _prm();
	p.half_life_days = 1.0;
	p.min_count = 0.0; /* decayed counts fall below 1 */
	struct nbr_counts x;
	REQUIRE(nbr_counts_init(&x, 100, &p) == 0);
	/* (2, 1) at day 0, (3, 1) at day 1, each all fresh: weights 1 and
	 * 2. m1 = 3, m2 = 1, m3 = 2: sim(1, 2) = 1 / 3, sim(1, 3) = 2 / 3. */
	uint32_t a[] = { F(2), F(1) }, b[] = { F(3), F(1) };
	nbr_counts_window(&x, a, 2, 2, T0);
	nbr_counts_window(&x, b, 2, 2, T0 + DAY);
	CHECK_NEAR(_sim(&x, F(1), F(2)), 1.0 / 3.0, 1e-4);
	CHECK_NEAR(_sim(&x, F(1), F(3)), 2.0 / 3.0, 1e-4);
	/* 100 half-lives later, past a rescale: (4, 1) dwarfs the rest. */
	uint32_t c[] = { F(4), F(1) };
	nbr_counts_window(&x, c, 2, 2, T0 + 101 * DAY);
	double s = _sim(&x, F(1), F(4));
	CHECK(isfinite(s) && s > 0.999);
	CHECK(isfinite(nbr_counts_mass(&x, F(1))));
	/* and the old pairs faded to nothing */
	CHECK(_sim(&x, F(1), F(3)) < 1e-4);
	nbr_counts_free(&x);
	/* min_count reads decayed counts: the day-0 pair is half a count
	 * as of day 1, under a min_count of 1 */
	p.min_count = 1.0;
	REQUIRE(nbr_counts_init(&x, 100, &p) == 0);
	nbr_counts_window(&x, a, 2, 2, T0);
	nbr_counts_window(&x, b, 2, 2, T0 + DAY);
	CHECK(_sim(&x, F(1), F(2)) == 0.0);
	CHECK_NEAR(_sim(&x, F(1), F(3)), 2.0 / 3.0, 1e-4);
	nbr_counts_free(&x);
}

static void _full(void)
{
	struct nbr_counts x;
	REQUIRE(nbr_counts_init(&x, 3, &_base) == 0);
	uint32_t w[] = { F(1), F(2), F(3), F(4), F(5) };
	nbr_counts_window(&x, w, 5, 5, T0);
	CHECK_EQ_INT(x.n, 3);
	CHECK_EQ_INT(x.refused, 2);
	CHECK(nbr_counts_mass(&x, F(4)) == 0);
	CHECK_NEAR(_sim(&x, F(1), F(3)), 1.0, 1e-4);
	nbr_counts_free(&x);
}

static void _acc(void)
{
	static struct nbr_acc a; /* zero: empty */
	nbr_acc_clear(&a);
	CHECK(nbr_acc_get(&a, F(1)) == 0.0f);
	struct nbr_list l1 = { 0 }, l2 = { 0 };
	l1.fold[0] = F(7);
	l1.sim[0] = NBR_SIM_ONE / 2;
	l1.fold[1] = F(8);
	l1.sim[1] = NBR_SIM_ONE;
	l2.fold[0] = F(7);
	l2.sim[0] = NBR_SIM_ONE / 4;
	nbr_acc_add(&a, &l1, 1.0f);
	nbr_acc_add(&a, &l2, 1.0f);
	CHECK_EQ_INT(a.n, 2);
	CHECK_NEAR(nbr_acc_get(&a, F(7)), 0.5 + 0.25, 1e-4);
	CHECK_NEAR(nbr_acc_get(&a, F(8)), 1.0, 1e-6);
	CHECK(nbr_acc_get(&a, F(9)) == 0.0f && nbr_acc_get(&a, 0) == 0.0f);
	/* the largest history: LRN_SEEN lists of NBR_K distinct items */
	nbr_acc_clear(&a);
	for (unsigned h = 0; h < LRN_SEEN; h++) {
		struct nbr_list l = { 0 };
		for (unsigned k = 0; k < NBR_K; k++) {
			l.fold[k] = F(1 + h * NBR_K + k);
			l.sim[k] = NBR_SIM_ONE;
		}
		nbr_acc_add(&a, &l, 1.0f);
	}
	CHECK_EQ_INT(a.n, LRN_SEEN * NBR_K);
	CHECK(nbr_acc_get(&a, F(LRN_SEEN * NBR_K)) == 1.0f);
	/* clearing empties what was taken, and only that is touched */
	nbr_acc_clear(&a);
	CHECK_EQ_INT(a.n, 0);
	for (unsigned i = 0; i < NBR_ACC_SLOTS; i++)
		if (a.slot[i].fold)
			CHECK(0);
	CHECK(nbr_acc_get(&a, F(7)) == 0.0f);
}

static void _history(void)
{
	struct lrn_params prm;
	lrn_params_default(&prm);
	struct lrn_profile p;
	lrn_profile_init(&p, 3);
	struct evt_record e;
	memset(&e, 0, sizeof(e));
	e.user_key = 3;
	e.time_ms = T0;
	e.scroll_depth = -1.0f;
	const struct {
		uint8_t type;
		uint64_t key;
	} ev[] = { { EVT_VIEW, 10 }, { EVT_IMPRESSION, 11 }, { EVT_CLICK, 12 },
		{ EVT_IMPRESSION, 10 } };
	for (unsigned i = 0; i < sizeof(ev) / sizeof(ev[0]); i++) {
		e.type = ev[i].type;
		e.entity_key = ev[i].key;
		lrn_apply(&p, &prm, &e, NULL);
	}
	/* seen[]: 10 (viewed, then shown again: at the front), 12, 11 */
	uint32_t f[LRN_SEEN];
	unsigned n = nbr_history(&p, f);
	REQUIRE(n == 2);
	CHECK(f[0] == lrn_seen_fold(10) && f[1] == lrn_seen_fold(12));
	struct lrn_seen_info s;
	CHECK(lrn_seen_entry(&p, 2, &s) == lrn_seen_fold(11) &&
	    s.impressions == 1 && !s.views && !s.engaged);
	CHECK(lrn_seen_entry(&p, 3, &s) == 0 && s.impressions == 0);
	CHECK(lrn_seen_entry(&p, LRN_SEEN, &s) == 0);
	CHECK(nbr_touched(&(struct lrn_seen_info){ .engaged = true }));
	CHECK(!nbr_touched(&(struct lrn_seen_info){ .impressions = 3 }));
	CHECK((lrn_seen_fold(0) & ~LRN_SEEN_FOLD) == 0 && lrn_seen_fold(0));
}

int main(void)
{
	_params();
	_counting();
	_shrink_and_support();
	_space_saving();
	_decay();
	_full();
	_acc();
	_history();
	return check_done("nbr exact");
}
