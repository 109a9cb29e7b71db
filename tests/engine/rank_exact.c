/*
 * rank exact: hand-built profiles and candidates give the factors and
 * orders engine/rank.h specifies, strategy by strategy, and the errors.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "engine/geo.h"
#include "engine/rank.h"
#include "engine/rng.h"

#define T0 1700000000000LL /* 2023-11-14T22:13:20Z: evening in UTC */
#define HOUR 3600000LL
#define DAY (24 * HOUR)
#define NMAX 64
#define EPS 1e-6
#define R2 1.4142135623730951 /* sqrt 2: affinity divides by sqrt(ids) */
#define R3 1.7320508075688772

static struct lrn_params g_lp;
static struct rank_params g_rp;
static struct rank_result g_out[NMAX];
static void *g_scratch;
static size_t g_size;

/* An item with a category and tags, every other attribute unknown. */
static struct cat_item item(uint32_t cat, unsigned nt, const uint32_t *tags)
{
	struct cat_item it;

	memset(&it, 0, sizeof(it));
	it.item.category = cat;
	it.item.n_tags = (uint8_t)nt;
	for (unsigned i = 0; i < nt; i++)
		it.item.tags[i] = tags[i];
	it.price_level = 255;
	return it;
}

static struct rank_cand cand(uint64_t key, double base,
    const struct cat_item *it)
{
	struct rank_cand c = { .key = key,
		.base = base,
		.item = it,
		.global_ctr = -1.0f,
		.trend = 0.0f };

	return c;
}

/* Now is T0 (UTC, evening), nowhere, nothing known. */
static struct rank_ctx plain_ctx(void)
{
	struct rank_ctx x;

	memset(&x, 0, sizeof(x));
	x.time_ms = T0;
	return x;
}

static struct rank_opts opts(unsigned strategy, unsigned k, uint64_t seed)
{
	struct rank_opts o;

	memset(&o, 0, sizeof(o));
	o.strategy = strategy;
	o.k = k;
	o.seed = seed;
	o.epsilon = o.explore_weight = o.mmr_lambda = -1.0;
	o.serendipity_every = -1;
	return o;
}

static int run(const struct lrn_profile *p, const struct rank_ctx *x,
    const struct rank_cand *c, unsigned n, const struct rank_opts *o)
{
	return rank_run(p, &g_lp, &g_rp, x, c, n, o, g_scratch, g_size, g_out);
}

/* The result of candidate i (REQUIRE: it is there). */
static const struct rank_result *of(unsigned n, unsigned i)
{
	for (unsigned r = 0; r < n; r++)
		if (g_out[r].index == i)
			return &g_out[r];
	REQUIRE(0);
	return NULL;
}

static void check_order(unsigned n, const unsigned *want)
{
	for (unsigned r = 0; r < n; r++)
		if (g_out[r].index != want[r]) {
			fprintf(stderr, "rank %u: got %u, want %u\n", r,
			    g_out[r].index, want[r]);
			CHECK(0);
		}
}

/* bfloat16 of an exactly representable float (the short horizon). */
static uint16_t bf(float x)
{
	uint32_t b;

	memcpy(&b, &x, sizeof(b));
	return (uint16_t)(b >> 16);
}

static void set_w(struct lrn_weight *e, uint32_t id, float w, float s)
{
	e->id = id;
	e->w = w;
	e->mass = w < 0 ? -w : w;
	e->s = bf(s);
	e->n = 1;
}

/*
 * Likes category 10 (tags 101, 102), dislikes 20 (tag 201), scaled by
 * `scale` (a thin profile is the same shape, less mass). Confidence:
 * net 0.6 scale / (gross 0.6 scale + K 0.6).
 */
static void affinity_profile(struct lrn_profile *p, float scale)
{
	lrn_profile_init(p, 1);
	p->events = 10;
	p->first_ms = T0 - 10 * DAY;
	p->last_ms = T0;
	p->short_h = (int32_t)(T0 / HOUR);
	set_w(&p->cats[0], 10, 0.4f * scale, 0.5f);
	set_w(&p->cats[1], 20, -0.2f * scale, -0.25f);
	set_w(&p->tags[0], 101, 0.3f * scale, 0.25f);
	set_w(&p->tags[1], 102, 0.15f * scale, 0.0f);
	set_w(&p->tags[2], 201, -0.1f * scale, -0.25f);
}

static void test_unknown_user(void)
{
	static const uint32_t t[] = { 1, 2 };
	struct cat_item a = item(10, 2, t), b = item(20, 1, t);
	struct rank_cand c[4] = { cand(1, 0.2, &a), cand(2, 0.9, &b),
		cand(3, 0.5, NULL), cand(4, 0.9, &a) };
	struct rank_ctx x = plain_ctx();
	static const unsigned want[] = { 1, 3, 2, 0 };

	for (unsigned s = RANK_PROFILE; s <= RANK_CONTEXT; s++) {
		struct rank_opts o = opts(s, 0, 1);

		CHECK_EQ_INT(run(NULL, &x, c, 4, &o), 4);
		check_order(4, want); /* ties keep the input order */
		for (unsigned r = 0; r < 4; r++) {
			const struct rank_factors *f = &g_out[r].f;

			CHECK(g_out[r].score == c[g_out[r].index].base);
			CHECK(f->affinity == 1.0f && f->confidence == 0.0f);
			CHECK(f->context == 1.0f && f->fatigue == 1.0f);
			CHECK(f->novelty == 1.0f && f->explore == 1.0f);
			CHECK(f->moved == 0);
		}
		CHECK_EQ_INT(of(4, 2)->f.flags, RANK_F_UNKNOWN_ITEM);
		CHECK_EQ_INT(of(4, 0)->f.flags, 0);
	}
}

static void test_affinity(void)
{
	static const uint32_t liked[] = { 101, 102 }, disliked[] = { 201 };
	static const uint32_t other[] = { 999 }, dup[] = { 101, 101, 0 };
	struct cat_item l = item(10, 2, liked), d = item(20, 1, disliked);
	struct cat_item z = item(30, 1, other), u = item(10, 3, dup);
	struct rank_cand c[5] = { cand(1, 1.0, &d), cand(2, 1.0, &z),
		cand(3, 1.0, &l), cand(4, 1.0, &u), cand(5, 1.0, NULL) };
	struct rank_ctx x = plain_ctx();
	struct rank_opts o = opts(RANK_PROFILE, 0, 1);
	struct lrn_profile p;

	affinity_profile(&p, 1.0f);
	CHECK_NEAR(lrn_profile_confidence(&p, &g_lp), 0.5, 1e-7);
	CHECK_EQ_INT(run(&p, &x, c, 5, &o), 5);
	/*
	 * Sums over the item's m ids, divided by sqrt(m).
	 * Liked: a_long = (0.4/0.4 + 0.3/0.3 + 0.15/0.3) / sqrt 3 = 2.5 /
	 * sqrt 3, a_short = (0.5/0.5 + 0.25/0.25 + 0) / sqrt 3 = 2 / sqrt 3;
	 * a = (0.7 * 2.5 + 0.3 * 2) / sqrt 3 = 2.35 / sqrt 3; A = 1 + 0.5 a
	 * = 1.678387.
	 * Disliked: a_long = (-0.5 - 1/3) / sqrt 2, a_short = (-0.5 - 1) /
	 * sqrt 2; a = (-7/12 - 0.45) / sqrt 2 = -31/30 / sqrt 2; A = 0.634645.
	 * Repeated tag, and a 0 tag: ids {10, 101}: a = 2 / sqrt 2, A =
	 * 1 + 0.5 sqrt 2.
	 */
	CHECK_NEAR(of(5, 2)->f.affinity, 1.0 + 0.5 * 2.35 / R3, EPS);
	CHECK_NEAR(of(5, 0)->f.affinity, 1.0 - 0.5 * 31.0 / 30.0 / R2, EPS);
	CHECK_NEAR(of(5, 3)->f.affinity, 1.0 + 0.5 * R2, EPS);
	CHECK(of(5, 1)->f.affinity == 1.0f); /* nothing the profile holds */
	CHECK(of(5, 4)->f.affinity == 1.0f); /* no attributes */
	CHECK_NEAR(of(5, 2)->f.confidence, 0.5, EPS);
	CHECK_NEAR(of(5, 2)->score, 1.0 + 0.5 * 2.35 / R3, 1e-6);
	static const unsigned want[] = { 3, 2, 1, 4, 0 };

	check_order(5, want);
	/* PROFILE applies affinity only. */
	CHECK(of(5, 2)->f.context == 1.0f && of(5, 2)->f.fatigue == 1.0f);

	/* The cap and the floor. */
	g_rp.affinity_gain = 10.0;
	CHECK_EQ_INT(run(&p, &x, c, 5, &o), 5);
	CHECK_NEAR(of(5, 2)->f.affinity, g_rp.affinity_cap, 0);
	CHECK_NEAR(of(5, 0)->f.affinity, g_rp.affinity_floor, EPS);
	rank_params_default(&g_rp);

	/*
	 * A thin profile of the same shape: confidence 0.06 / 0.66, so the
	 * liked item (base 1, A 1.123) no longer beats a neutral one of base
	 * 1.2.
	 */
	struct rank_cand c2[2] = { cand(1, 1.0, &l), cand(2, 1.2, &z) };

	CHECK_EQ_INT(run(&p, &x, c2, 2, &o), 2);
	CHECK_EQ_INT(g_out[0].index, 0);
	affinity_profile(&p, 0.1f);
	CHECK_NEAR(lrn_profile_confidence(&p, &g_lp), 0.06 / 0.66, 1e-6);
	CHECK_EQ_INT(run(&p, &x, c2, 2, &o), 2);
	CHECK_EQ_INT(g_out[0].index, 1);
	CHECK_NEAR(of(2, 0)->f.affinity, 1.0 + 0.06 / 0.66 * 2.35 / R3, EPS);
}

/*
 * A segment prior blended into the affinity: b = prior_blend x weight x
 * (1 - c), A = 1 + gain ((1 - b) c a_user + b a_prior), a_prior the sum
 * over the item's m ids of share / max share over sqrt(m), kinds apart.
 */
static void test_prior(void)
{
	static const uint32_t liked[] = { 101, 102 }, disliked[] = { 201 };
	static const uint32_t other[] = { 999 };
	struct cat_item l = item(10, 2, liked), d = item(20, 1, disliked);
	struct cat_item z = item(30, 1, other);
	struct rank_cand c[4] = { cand(1, 1.0, &d), cand(2, 1.0, &z),
		cand(3, 1.0, &l), cand(4, 1.0, NULL) };
	/* Max share 0.8: normalized cat 30 0.5, tag 999 0.25, cat 10
	 * 0.125, tag 101 1; tag 20 is no category 20. */
	const struct rank_prior prior[] = { { 30, true, 0.4f },
		{ 999, false, 0.2f }, { 10, true, 0.1f }, { 101, false, 0.8f },
		{ 20, false, 0.8f }, { 0, true, 5.0f } };
	struct rank_ctx x = plain_ctx();
	struct rank_opts o = opts(RANK_PROFILE, 0, 1);
	struct lrn_profile p;
	double plain[3];

	affinity_profile(&p, 1.0f); /* c = 0.5 */
	CHECK_EQ_INT(run(&p, &x, c, 4, &o), 4);
	for (unsigned i = 0; i < 3; i++)
		plain[i] = of(4, i)->score;

	o.prior = prior;
	o.n_prior = 6;
	o.prior_weight = 1.0;
	CHECK_NEAR(rank_prior_share(&g_rp, 0.5, 1.0), 0.25, 0);
	CHECK_EQ_INT(run(&p, &x, c, 4, &o), 4);
	/*
	 * b = 0.5 x 1 x (1 - 0.5) = 0.25.
	 * z (30, {999}): a_user 0, a_prior (0.5 + 0.25) / sqrt 2:
	 *   A = 1 + 0.25 x 0.75 / sqrt 2 = 1.132583.
	 * l (10, {101, 102}): a_user 2.35 / sqrt 3 (test_affinity), a_prior
	 *   (0.125 + 1 + 0) / sqrt 3: A = 1 + 0.75 x 0.5 x 2.35 / sqrt 3 +
	 *   0.25 x 1.125 / sqrt 3 = 1.671170.
	 * d (20, {201}): a_prior 0 (tag 20 is not category 20):
	 *   A = 1 - 0.75 x 0.5 x 31/30 / sqrt 2 = 0.725984.
	 */
	CHECK_NEAR(of(4, 1)->f.affinity, 1.0 + 0.25 * 0.75 / R2, EPS);
	CHECK_NEAR(of(4, 2)->f.affinity,
	    1.0 + 0.375 * 2.35 / R3 + 0.25 * 1.125 / R3, EPS);
	CHECK_NEAR(of(4, 0)->f.affinity, 1.0 - 0.375 * 31.0 / 30.0 / R2, EPS);
	CHECK(of(4, 3)->f.affinity == 1.0f); /* no attributes */
	CHECK_NEAR(of(4, 1)->score, 1.0 + 0.25 * 0.75 / R2, 1e-8);

	/* Half the trust (a low-confidence assignment): b = 0.125. */
	o.prior_weight = 0.5;
	CHECK_EQ_INT(run(&p, &x, c, 4, &o), 4);
	CHECK_NEAR(of(4, 1)->f.affinity, 1.0 + 0.125 * 0.75 / R2, EPS);
	CHECK_NEAR(of(4, 2)->f.affinity,
	    1.0 + 0.875 * 0.5 * 2.35 / R3 + 0.125 * 1.125 / R3, EPS);

	/* A thin profile leans on the prior: c = 1/11, b = 5/11. */
	o.prior_weight = 1.0;
	affinity_profile(&p, 0.1f);
	CHECK_EQ_INT(run(&p, &x, c, 4, &o), 4);
	CHECK_NEAR(of(4, 1)->f.affinity, 1.0 + 5.0 / 11.0 * 0.75 / R2, EPS);
	CHECK_NEAR(of(4, 2)->f.affinity,
	    1.0 + 6.0 / 11.0 / 11.0 * 2.35 / R3 + 5.0 / 11.0 * 1.125 / R3, EPS);

	/* No blend, no weight, or no shares: exactly the plain scores. */
	affinity_profile(&p, 1.0f);
	g_rp.prior_blend = 0.0;
	CHECK_EQ_INT(run(&p, &x, c, 4, &o), 4);
	for (unsigned i = 0; i < 3; i++)
		CHECK(of(4, i)->score == plain[i]);
	rank_params_default(&g_rp);
	o.prior_weight = 0.0;
	CHECK_EQ_INT(run(&p, &x, c, 4, &o), 4);
	for (unsigned i = 0; i < 3; i++)
		CHECK(of(4, i)->score == plain[i]);
	o.prior_weight = 1.0;
	o.n_prior = 0;
	CHECK_EQ_INT(run(&p, &x, c, 4, &o), 4);
	for (unsigned i = 0; i < 3; i++)
		CHECK(of(4, i)->score == plain[i]);

	/* An unknown user has no prior either: A = 1. */
	o.n_prior = 6;
	CHECK_EQ_INT(run(NULL, &x, c, 4, &o), 4);
	for (unsigned i = 0; i < 4; i++)
		CHECK(of(4, i)->f.affinity == 1.0f);

	/* Bad priors. */
	struct rank_prior bad[RANK_PRIOR_MAX + 1];

	memset(bad, 0, sizeof(bad));
	o.prior = bad;
	o.n_prior = RANK_PRIOR_MAX + 1;
	CHECK_EQ_INT(run(&p, &x, c, 4, &o), -EINVAL);
	o.n_prior = RANK_PRIOR_MAX;
	CHECK_EQ_INT(run(&p, &x, c, 4, &o), 4);
	bad[3].share = -1.0f;
	CHECK_EQ_INT(run(&p, &x, c, 4, &o), -EINVAL);
	bad[3].share = (float)NAN;
	CHECK_EQ_INT(run(&p, &x, c, 4, &o), -EINVAL);
	bad[3].share = (float)INFINITY;
	CHECK_EQ_INT(run(&p, &x, c, 4, &o), -EINVAL);
	bad[3].share = 0.0f;
	o.prior_weight = 1.5;
	CHECK_EQ_INT(run(&p, &x, c, 4, &o), -EINVAL);
	o.prior_weight = NAN;
	CHECK_EQ_INT(run(&p, &x, c, 4, &o), -EINVAL);
	o.prior_weight = 1.0;
	o.prior = NULL;
	CHECK_EQ_INT(run(&p, &x, c, 4, &o), -EINVAL);
}

/*
 * Twelve tag ids that share a hash slot under every multiplier the ranker
 * tries for its tag table (found by search): the lookup falls back to
 * probing and must give the same affinities.
 */
static void test_tag_collisions(void)
{
	static const uint32_t ids[LRN_TAGS] = { 0x925bbbf3, 0x91b7584b,
		0xe4cd6076, 0x18072e8d, 0xc386bbc5, 0xfade39da, 0x18a4aa37,
		0xdcd6902a, 0x64b2d2bd, 0xa8ef8121, 0xc76330b0, 0xbce7d7a0 };
	struct cat_item items[LRN_TAGS + 1];
	struct rank_cand c[LRN_TAGS + 1];
	struct rank_ctx x = plain_ctx();
	struct rank_opts o = opts(RANK_PROFILE, 0, 1);
	struct lrn_profile p;
	const uint32_t unknown = 12345;

	lrn_profile_init(&p, 1);
	for (unsigned j = 0; j < LRN_TAGS; j++) {
		set_w(&p.tags[j], ids[j], 0.1f * (float)(j + 1), 0.0f);
		items[j] = item(0, 1, &ids[j]);
		c[j] = cand(j + 1, 1.0, &items[j]);
	}
	items[LRN_TAGS] = item(0, 1, &unknown);
	c[LRN_TAGS] = cand(99, 1.0, &items[LRN_TAGS]);
	double conf = lrn_profile_confidence(&p, &g_lp);

	CHECK(conf > 0.9);
	CHECK_EQ_INT(run(&p, &x, c, LRN_TAGS + 1, &o), LRN_TAGS + 1);
	for (unsigned j = 0; j < LRN_TAGS; j++)
		CHECK_NEAR(of(LRN_TAGS + 1, j)->f.affinity,
		    1.0 + conf * 0.7 * (0.1f * (float)(j + 1)) / 1.2f, EPS);
	CHECK(of(LRN_TAGS + 1, LRN_TAGS)->f.affinity == 1.0f);
}

static void test_time(void)
{
	struct cat_item eve = item(30, 0, NULL), morn = item(30, 0, NULL);
	struct cat_item none = item(30, 0, NULL), tz = item(30, 0, NULL);
	struct cat_item mine = item(10, 0, NULL), thin = item(20, 0, NULL);
	struct rank_ctx x = plain_ctx();
	struct rank_opts o = opts(RANK_CONTEXT, 0, 1);
	struct lrn_profile p;

	eve.start_ms = T0 + DAY;	/* 22:13 UTC: evening */
	morn.start_ms = T0 + 10 * HOUR; /* 08:13 UTC: morning */
	tz.start_ms = T0 + 12 * HOUR;	/* 10:13 UTC, 20:13 local */
	tz.start_tz_min = 600;
	mine.start_ms = thin.start_ms = T0 + DAY;

	struct rank_cand c[6] = { cand(1, 1.0, &eve), cand(2, 1.0, &morn),
		cand(3, 1.0, &none), cand(4, 1.0, &tz), cand(5, 1.0, &mine),
		cand(6, 1.0, &thin) };

	/* The rule for items with a start; test_time_open has the others'. */
	g_rp.time_open_strength = 0.0;
	/* No profile: no preference, T = 1 for all. */
	CHECK_EQ_INT(run(NULL, &x, c, 6, &o), 6);
	for (unsigned i = 0; i < 6; i++)
		CHECK(of(6, i)->f.time == 1.0f);

	/* Evenings 30 of 40 events: share 3/4, pref 2/3, T = 4/3. */
	lrn_profile_init(&p, 1);
	p.events = 40;
	p.hours[2][EVT_DP_EVENING] = 20;
	p.hours[5][EVT_DP_EVENING] = 10;
	p.hours[0][EVT_DP_MORNING] = 10;
	/* Category 10 is a morning habit (4 counted events): in the
	 * evening its pref is 0. Category 20 has 3: the profile's. */
	set_w(&p.cats[0], 10, 0.0f, 0.0f);
	set_w(&p.cats[1], 20, 0.0f, 0.0f);
	p.cat_dp[0][EVT_DP_MORNING] = 4;
	p.cat_dp[1][EVT_DP_MORNING] = 3;
	CHECK_EQ_INT(run(&p, &x, c, 6, &o), 6);
	CHECK_NEAR(of(6, 0)->f.time, 4.0 / 3.0, EPS);
	CHECK(of(6, 1)->f.time == 1.0f);
	CHECK(of(6, 2)->f.time == 1.0f);
	CHECK_NEAR(of(6, 3)->f.time, 4.0 / 3.0, EPS);
	CHECK(of(6, 4)->f.time == 1.0f);
	CHECK_NEAR(of(6, 5)->f.time, 4.0 / 3.0, EPS);
	CHECK_NEAR(of(6, 0)->score, 4.0 / 3.0, 1e-9);
	/* Before 1970: 1969-12-31 21:00 UTC is an evening too. */
	eve.start_ms = -3 * HOUR;
	CHECK_EQ_INT(run(&p, &x, c, 6, &o), 6);
	CHECK_NEAR(of(6, 0)->f.time, 4.0 / 3.0, EPS);

	/* Only evenings: pref 1, T = 1 + 0.5 (the problem statement's). */
	memset(p.hours, 0, sizeof(p.hours));
	p.hours[3][EVT_DP_EVENING] = 9;
	CHECK_EQ_INT(run(&p, &x, c, 6, &o), 6);
	CHECK_NEAR(of(6, 0)->f.time, 1.5, 0);
	/* Now in the morning (tz +10 h: 08:13): the morning item matches,
	 * but the user has no morning events: pref 0. */
	x.tz_min = 600;
	CHECK_EQ_INT(run(&p, &x, c, 6, &o), 6);
	CHECK(of(6, 0)->f.time == 1.0f && of(6, 1)->f.time == 1.0f);
	CHECK(of(6, 4)->f.time == 1.0f);
	/* Category 10 is a morning habit: its morning item gets pref 1. */
	mine.start_ms = T0 + 10 * HOUR;
	CHECK_EQ_INT(run(&p, &x, c, 6, &o), 6);
	CHECK_NEAR(of(6, 4)->f.time, 1.5, 0);
	/* A time zone beyond 18 h has no daypart. */
	x.tz_min = 19 * 60;
	CHECK_EQ_INT(run(&p, &x, c, 6, &o), 6);
	CHECK(of(6, 4)->f.time == 1.0f);
}

static void test_distance(void)
{
	struct cat_item it = item(30, 0, NULL), none = item(30, 0, NULL);
	struct rank_ctx x = plain_ctx();
	struct rank_opts o = opts(RANK_CONTEXT, 0, 1);
	struct rank_cand c[2] = { cand(1, 1.0, &it), cand(2, 1.0, &none) };
	double lat, lon;
	const double km = GEO_EARTH_RADIUS_KM * M_PI / 180.0; /* per degree */

	REQUIRE(geo_encode(48.85, 2.35, 12, &it.geo_cell) == 0);
	REQUIRE(geo_cell_center(it.geo_cell, &lat, &lon) == 0);

	/* No location at all: 1. */
	CHECK_EQ_INT(run(NULL, &x, c, 2, &o), 2);
	CHECK(of(2, 0)->f.distance == 1.0f);

	x.has_location = true;
	x.lat = lat;
	x.lon = lon;
	CHECK_EQ_INT(run(NULL, &x, c, 2, &o), 2);
	CHECK_NEAR(of(2, 0)->f.distance, g_rp.dist_max, 0); /* 0 km */
	CHECK(of(2, 1)->f.distance == 1.0f);		    /* no cell */
	CHECK_EQ_INT(g_out[0].index, 0);

	/* 5 km (the scale) north: 0.5 + 1.0 / e. */
	x.lat = lat + 5.0 / km;
	CHECK_EQ_INT(run(NULL, &x, c, 2, &o), 2);
	CHECK_NEAR(of(2, 0)->f.distance, 0.5 + exp(-1.0), EPS);
	/* 1000 km: dist_min. */
	x.lat = lat - 1000.0 / km;
	CHECK_EQ_INT(run(NULL, &x, c, 2, &o), 2);
	CHECK_NEAR(of(2, 0)->f.distance, g_rp.dist_min, EPS);
	CHECK_EQ_INT(g_out[0].index, 1);
	/* Across the antimeridian, 2 km of longitude at the equator. */
	REQUIRE(geo_encode(0.0, 179.99, 12, &it.geo_cell) == 0);
	REQUIRE(geo_cell_center(it.geo_cell, &lat, &lon) == 0);
	x.lat = lat;
	x.lon = lon + 2.0 / km - 360.0;
	CHECK_EQ_INT(run(NULL, &x, c, 2, &o), 2);
	CHECK_NEAR(of(2, 0)->f.distance, 0.5 + exp(-2.0 / 5.0), EPS);
	/* An invalid request location counts as none. */
	x.lat = 91.0;
	CHECK_EQ_INT(run(NULL, &x, c, 2, &o), 2);
	CHECK(of(2, 0)->f.distance == 1.0f);

	/* Without one, the profile's heaviest cell (as of now). */
	struct lrn_profile p;
	uint64_t near, far;

	REQUIRE(geo_encode(48.85, 2.35, 6, &near) == 0);
	REQUIRE(geo_encode(40.0, -3.7, 6, &far) == 0);
	lrn_profile_init(&p, 1);
	p.geo_cell[0] = far;
	p.geo_n[0] = 8;
	p.geo_day[0] = (uint16_t)(T0 / DAY);
	p.geo_cell[1] = near;
	p.geo_n[1] = 5;
	p.geo_day[1] = (uint16_t)(T0 / DAY);
	it.geo_cell = near;
	x = plain_ctx();
	CHECK_EQ_INT(run(&p, &x, c, 2, &o), 2);
	CHECK_NEAR(of(2, 0)->f.distance, g_rp.dist_min, EPS);
	/* The far cell was last visited 60 days ago: 8 / 4 < 5. */
	p.geo_day[0] = (uint16_t)(T0 / DAY - 60);
	CHECK_EQ_INT(run(&p, &x, c, 2, &o), 2);
	CHECK_NEAR(of(2, 0)->f.distance, g_rp.dist_max, 0);
}

static void test_weather_social_device(void)
{
	struct cat_item in = item(30, 0, NULL), out = item(30, 0, NULL);
	struct cat_item unk = item(30, 0, NULL);
	struct rank_ctx x = plain_ctx();
	struct rank_opts o = opts(RANK_CONTEXT, 0, 1);
	struct rank_cand c[3] = { cand(1, 1.0, &in), cand(2, 1.0, &out),
		cand(3, 1.0, &unk) };

	in.setting = ITEM_INDOOR;
	out.setting = ITEM_OUTDOOR;
	x.weather = EVT_WX_RAINY;
	CHECK_EQ_INT(run(NULL, &x, c, 3, &o), 3);
	CHECK_NEAR(of(3, 0)->f.weather, 1.2, EPS);
	CHECK_NEAR(of(3, 1)->f.weather, 0.6, EPS);
	CHECK(of(3, 2)->f.weather == 1.0f);
	static const unsigned rain[] = { 0, 2, 1 }, sun[] = { 1, 2, 0 };

	check_order(3, rain);
	x.weather = EVT_WX_SUNNY;
	CHECK_EQ_INT(run(NULL, &x, c, 3, &o), 3);
	CHECK_NEAR(of(3, 0)->f.weather, 0.95, EPS);
	CHECK_NEAR(of(3, 1)->f.weather, 1.2, EPS);
	check_order(3, sun);
	x.weather = EVT_WX_CLOUDY;
	CHECK_EQ_INT(run(NULL, &x, c, 3, &o), 3);
	CHECK(of(3, 0)->f.weather == 1.0f && of(3, 1)->f.weather == 1.0f);
	x.weather = EVT_WX_COUNT + 3; /* out of range: unknown */
	CHECK_EQ_INT(run(NULL, &x, c, 3, &o), 3);
	CHECK(of(3, 1)->f.weather == 1.0f);

	/* Social. */
	x = plain_ctx();
	in.group_friendly = ITEM_YES;
	out.group_friendly = ITEM_NO;
	x.social = EVT_SOC_FRIENDS;
	CHECK_EQ_INT(run(NULL, &x, c, 3, &o), 3);
	CHECK_NEAR(of(3, 0)->f.social, 1.2, EPS);
	CHECK_NEAR(of(3, 1)->f.social, 0.7, EPS);
	CHECK(of(3, 2)->f.social == 1.0f);
	x.social = EVT_SOC_ALONE;
	CHECK_EQ_INT(run(NULL, &x, c, 3, &o), 3);
	CHECK(of(3, 0)->f.social == 1.0f && of(3, 1)->f.social == 1.0f);

	/* Device and platform masks, each on its own. */
	x = plain_ctx();
	x.device = EVT_DEV_MOBILE;
	x.platform = EVT_PLAT_IOS;
	in.device_mask = 1u << EVT_DEV_MOBILE | 1u << EVT_DEV_TABLET;
	out.device_mask = 1u << EVT_DEV_DESKTOP;
	unk.device_mask = 1u << EVT_DEV_MOBILE;
	unk.platform_mask = 1u << EVT_PLAT_ANDROID;
	CHECK_EQ_INT(run(NULL, &x, c, 3, &o), 3);
	CHECK_NEAR(of(3, 0)->f.device, 1.1, EPS);
	CHECK_NEAR(of(3, 1)->f.device, 0.6, EPS);
	CHECK_NEAR(of(3, 2)->f.device, 1.1 * 0.6, EPS);
	in.platform_mask = 1u << EVT_PLAT_IOS;
	CHECK_EQ_INT(run(NULL, &x, c, 3, &o), 3);
	CHECK_NEAR(of(3, 0)->f.device, 1.1 * 1.1, EPS);
	x.device = EVT_DEV_UNKNOWN; /* the platform still counts */
	CHECK_EQ_INT(run(NULL, &x, c, 3, &o), 3);
	CHECK_NEAR(of(3, 0)->f.device, 1.1, EPS);
	CHECK(of(3, 1)->f.device == 1.0f);
	x.platform = EVT_PLAT_COUNT; /* out of range: unknown */
	CHECK_EQ_INT(run(NULL, &x, c, 3, &o), 3);
	CHECK(of(3, 0)->f.device == 1.0f);
}

/* context_weight raises the product before the clamp: rain makes an
 * indoor item 1.2 and an outdoor one 0.6, squared 1.44 and 0.36. */
static void test_context_weight(void)
{
	struct cat_item in = item(30, 0, NULL), out = item(30, 0, NULL);
	struct rank_ctx x = plain_ctx();
	struct rank_opts o = opts(RANK_CONTEXT, 0, 1);
	struct rank_cand c[2] = { cand(1, 1.0, &in), cand(2, 1.0, &out) };
	in.setting = ITEM_INDOOR;
	out.setting = ITEM_OUTDOOR;
	x.weather = EVT_WX_RAINY;
	o.context_weight = 2.0;
	CHECK_EQ_INT(run(NULL, &x, c, 2, &o), 2);
	CHECK_NEAR(of(2, 0)->f.context, 1.44, EPS);
	CHECK_NEAR(of(2, 1)->f.context, 0.36, EPS);
	CHECK_NEAR(of(2, 0)->score, 1.44, EPS);
	o.context_weight = 0.0; /* unset: 1 */
	CHECK_EQ_INT(run(NULL, &x, c, 2, &o), 2);
	CHECK_NEAR(of(2, 0)->f.context, 1.2, EPS);
	o.context_weight = 5.5; /* beyond its range */
	CHECK_EQ_INT(run(NULL, &x, c, 2, &o), -EINVAL);
	o.context_weight = NAN;
	CHECK_EQ_INT(run(NULL, &x, c, 2, &o), -EINVAL);
	rank_params_default(&g_rp);
}

static void test_context_clamp(void)
{
	struct cat_item hi = item(30, 0, NULL), lo = item(30, 0, NULL);
	struct rank_ctx x = plain_ctx();
	struct rank_opts o = opts(RANK_CONTEXT, 0, 1);
	struct rank_cand c[2] = { cand(1, 1.0, &hi), cand(2, 1.0, &lo) };
	struct lrn_profile p;
	double lat, lon;

	/* Evenings only: T = 1.5 for an evening item (lo has no start:
	 * T = 1 with time_open_strength 0). */
	g_rp.time_open_strength = 0.0;
	lrn_profile_init(&p, 1);
	p.hours[0][EVT_DP_EVENING] = 10;
	hi.start_ms = T0;
	REQUIRE(geo_encode(10.0, 10.0, 12, &hi.geo_cell) == 0);
	REQUIRE(geo_cell_center(hi.geo_cell, &lat, &lon) == 0);
	REQUIRE(geo_encode(-10.0, -10.0, 12, &lo.geo_cell) == 0);
	x.has_location = true;
	x.lat = lat;
	x.lon = lon;
	x.weather = EVT_WX_RAINY;
	x.social = EVT_SOC_GROUP;
	x.device = EVT_DEV_TV;
	x.platform = EVT_PLAT_LINUX;
	hi.setting = ITEM_INDOOR;
	hi.group_friendly = ITEM_YES;
	hi.device_mask = 1u << EVT_DEV_TV;
	hi.platform_mask = 1u << EVT_PLAT_LINUX;
	lo.setting = ITEM_OUTDOOR;
	lo.group_friendly = ITEM_NO;
	lo.device_mask = 1u << EVT_DEV_MOBILE;
	lo.platform_mask = 1u << EVT_PLAT_IOS;
	CHECK_EQ_INT(run(&p, &x, c, 2, &o), 2);

	/* 1.5 * 1.5 * 1.2 * 1.2 * 1.21 = 3.9204: 2. */
	const struct rank_factors *f = &of(2, 0)->f;

	CHECK_NEAR(f->time, 1.5, 0);
	CHECK_NEAR(f->distance, 1.5, 0);
	CHECK_NEAR(f->time * f->distance * f->weather * f->social * f->device,
	    3.9204, 1e-5);
	CHECK_NEAR(f->context, 2.0, 0);
	CHECK_NEAR(of(2, 0)->score, 2.0, 0);
	/* 1 * 0.5 * 0.6 * 0.7 * 0.36 = 0.0756: 0.1. */
	f = &of(2, 1)->f;
	CHECK_NEAR(f->distance, 0.5, EPS);
	CHECK_NEAR(f->time * f->distance * f->weather * f->social * f->device,
	    0.0756, 1e-5);
	CHECK_NEAR(f->context, 0.1, EPS);
	CHECK_NEAR(of(2, 1)->score, 0.1, 1e-9);
	rank_params_default(&g_rp);
}

/*
 * An item without a start (a place, a product) is there now: T = 1 +
 * time_open_strength x the user's preference for now's daypart, in the
 * item's category when the profile has it with 4 counted events, else
 * over all the profile's events.
 */
static void test_time_open(void)
{
	struct cat_item bar = item(10, 0, NULL), cafe = item(20, 0, NULL);
	struct cat_item thin = item(30, 0, NULL), other = item(40, 0, NULL);
	struct cat_item show = item(10, 0, NULL);
	struct rank_ctx x = plain_ctx(); /* 22:13 UTC: evening */
	struct rank_opts o = opts(RANK_CONTEXT, 0, 1);
	struct lrn_profile p;

	show.start_ms = T0 + 10 * HOUR; /* a morning start: not now */
	struct rank_cand c[5] = { cand(1, 1.0, &bar), cand(2, 1.0, &cafe),
		cand(3, 1.0, &thin), cand(4, 1.0, &other),
		cand(5, 1.0, &show) };

	/* No profile: nothing to prefer. */
	CHECK_EQ_INT(run(NULL, &x, c, 5, &o), 5);
	for (unsigned i = 0; i < 5; i++)
		CHECK(of(5, i)->f.time == 1.0f);

	lrn_profile_init(&p, 1);
	p.events = 20;
	p.hours[1][EVT_DP_EVENING] = 10; /* half the events: pref 1/3 */
	p.hours[1][EVT_DP_MORNING] = 10;
	set_w(&p.cats[0], 10, 0.0f, 0.0f); /* bars: evenings, 8 of 8 */
	set_w(&p.cats[1], 20, 0.0f, 0.0f); /* cafes: mornings, 6 of 8 */
	set_w(&p.cats[2], 30, 0.0f, 0.0f); /* 3 counted: too few */
	p.cat_dp[0][EVT_DP_EVENING] = 8;
	p.cat_dp[1][EVT_DP_MORNING] = 6;
	p.cat_dp[1][EVT_DP_EVENING] = 2;
	p.cat_dp[2][EVT_DP_EVENING] = 3;
	CHECK_EQ_INT(run(&p, &x, c, 5, &o), 5);
	/* bars: share 1, pref 1: T = 1.5, first */
	CHECK_EQ_INT(g_out[0].index, 0);
	CHECK_NEAR(of(5, 0)->f.time, 1.5, 0);
	/* cafes: share 1/4 in the evening, pref 0: T = 1 */
	CHECK(of(5, 1)->f.time == 1.0f);
	/* too few counted, or not in the profile: the profile's 1/3 */
	CHECK_NEAR(of(5, 2)->f.time, 1.0 + 0.5 / 3.0, EPS);
	CHECK_NEAR(of(5, 3)->f.time, 1.0 + 0.5 / 3.0, EPS);
	/* an item that starts at another daypart keeps T = 1 */
	CHECK(of(5, 4)->f.time == 1.0f);

	/* The strength is the setting's; 0 leaves open items alone. */
	g_rp.time_open_strength = 2.0;
	CHECK_EQ_INT(run(&p, &x, c, 5, &o), 5);
	CHECK_NEAR(of(5, 0)->f.time, 3.0, 0);
	CHECK_NEAR(of(5, 3)->f.time, 1.0 + 2.0 / 3.0, EPS);
	g_rp.time_open_strength = 0.0;
	CHECK_EQ_INT(run(&p, &x, c, 5, &o), 5);
	for (unsigned i = 0; i < 5; i++)
		CHECK(of(5, i)->f.time == 1.0f);
	/* Morning now (tz +10 h, 08:13): cafes 6 of 8, pref 2/3. */
	rank_params_default(&g_rp);
	x.tz_min = 600;
	CHECK_EQ_INT(run(&p, &x, c, 5, &o), 5);
	CHECK_NEAR(of(5, 1)->f.time, 1.0 + 0.5 * 2.0 / 3.0, EPS);
	CHECK(of(5, 0)->f.time == 1.0f);
	CHECK_EQ_INT(g_out[0].index, 1);
	/* the morning show starts now: the start rule, its category's pref
	 * (bars, 0 in the morning) */
	CHECK(of(5, 4)->f.time == 1.0f);
}

static void impressions(struct lrn_profile *p, uint64_t key, unsigned n,
    uint8_t type)
{
	for (unsigned i = 0; i < n; i++) {
		struct evt_record e;

		memset(&e, 0, sizeof(e));
		e.user_key = 1;
		e.entity_key = key;
		e.type = type;
		e.time_ms = T0 - (int64_t)(n - i) * HOUR;
		e.scroll_depth = -1.0f;
		e.weekday = 7; /* no hour counts: T stays 1 */
		lrn_apply(p, &g_lp, &e, NULL);
	}
}

static void test_fatigue(void)
{
	struct cat_item it = item(30, 0, NULL);
	struct rank_ctx x = plain_ctx();
	struct rank_opts o = opts(RANK_CONTEXT, 0, 1);
	struct rank_cand c[6] = { cand(1, 1.0, &it), cand(2, 1.0, &it),
		cand(3, 1.0, &it), cand(4, 1.0, &it), cand(5, 1.0, NULL),
		cand(6, 1.0, &it) };
	struct lrn_profile p;

	lrn_profile_init(&p, 1);
	impressions(&p, 1, 3, EVT_IMPRESSION);	/* at the threshold: 1 */
	impressions(&p, 2, 5, EVT_IMPRESSION);	/* 2 beyond: 0.8^2 */
	impressions(&p, 3, 15, EVT_IMPRESSION); /* 0.8^12: the floor */
	impressions(&p, 4, 1, EVT_CLICK);	/* acted on */
	impressions(&p, 5, 6, EVT_IMPRESSION);	/* no attributes, 0.8^3 */
	CHECK_EQ_INT(lrn_seen(&p, 3).impressions, 15);
	CHECK_EQ_INT(run(&p, &x, c, 6, &o), 6);
	CHECK(of(6, 0)->f.fatigue == 1.0f);
	CHECK_NEAR(of(6, 1)->f.fatigue, 0.64, EPS);
	CHECK_NEAR(of(6, 2)->f.fatigue, 0.3, EPS);
	CHECK_NEAR(of(6, 3)->f.fatigue, 0.5, EPS);
	CHECK_NEAR(of(6, 4)->f.fatigue, 0.512, EPS);
	CHECK(of(6, 5)->f.fatigue == 1.0f);
	static const unsigned want[] = { 0, 5, 1, 4, 3, 2 };

	check_order(6, want);
	/* PROFILE leaves fatigue out. */
	o.strategy = RANK_PROFILE;
	CHECK_EQ_INT(run(&p, &x, c, 6, &o), 6);
	CHECK(of(6, 2)->f.fatigue == 1.0f);
}

static void test_novelty(void)
{
	struct cat_item a = item(30, 0, NULL), b = item(30, 0, NULL);
	struct cat_item f = item(30, 0, NULL), u = item(30, 0, NULL);
	struct rank_ctx x = plain_ctx();
	struct rank_opts o = opts(RANK_CONTEXT, 0, 1);
	struct rank_cand c[4] = { cand(1, 1.0, &a), cand(2, 1.0, &b),
		cand(3, 1.0, &f), cand(4, 1.0, &u) };

	a.added_ms = T0 - DAY;	    /* 1 + 0.2 * 6/7 */
	b.added_ms = T0 - 10 * DAY; /* too old: 1 */
	f.added_ms = T0 + HOUR;	    /* after now: age 0 */
	CHECK_EQ_INT(run(NULL, &x, c, 4, &o), 4);
	CHECK_NEAR(of(4, 0)->f.novelty, 1.0 + 0.2 * 6.0 / 7.0, EPS);
	CHECK(of(4, 1)->f.novelty == 1.0f);
	CHECK_NEAR(of(4, 2)->f.novelty, 1.2, EPS);
	CHECK(of(4, 3)->f.novelty == 1.0f);
	static const unsigned want[] = { 2, 0, 1, 3 };

	check_order(4, want);
	g_rp.novelty_days = 0.0;
	CHECK_EQ_INT(run(NULL, &x, c, 4, &o), 4);
	CHECK(of(4, 2)->f.novelty == 1.0f);
	rank_params_default(&g_rp);
}

static void test_base(void)
{
	static const uint32_t t[] = { 101 };
	struct cat_item it = item(10, 1, t);
	struct rank_cand c[3] = { cand(1, 0.1, &it), cand(2, 0.9, NULL),
		cand(3, 0.5, &it) };
	struct rank_ctx x = plain_ctx();
	struct rank_opts o = opts(RANK_BASE, 2, 1);
	struct lrn_profile p;
	static const unsigned want[] = { 0, 1, 2 };

	affinity_profile(&p, 1.0f);
	x.weather = EVT_WX_SUNNY;
	CHECK_EQ_INT(run(&p, &x, c, 3, &o), 3);
	check_order(3, want);
	for (unsigned r = 0; r < 3; r++) {
		CHECK(g_out[r].score == c[r].base);
		CHECK(
		    g_out[r].f.affinity == 1.0f && g_out[r].f.context == 1.0f);
		CHECK(g_out[r].f.moved == 0);
	}
	CHECK_NEAR(g_out[0].f.confidence, 0.5, EPS);
	CHECK_EQ_INT(g_out[1].f.flags, RANK_F_UNKNOWN_ITEM);
}

/* n candidates over a few categories, for the randomized strategies. */
static void many(struct cat_item *items, struct rank_cand *c, unsigned n,
    uint64_t seed)
{
	struct rng r;

	rng_seed(&r, seed);
	for (unsigned i = 0; i < n; i++) {
		uint32_t t[3] = { 1 + (uint32_t)rng_below(&r, 20),
			1 + (uint32_t)rng_below(&r, 20),
			1 + (uint32_t)rng_below(&r, 20) };

		items[i] = item(10 + 10 * (uint32_t)rng_below(&r, 5), 3, t);
		c[i] = cand(100 + i, rng_uniform(&r), &items[i]);
		c[i].global_ctr = (float)(0.1 * rng_uniform(&r));
		c[i].trend = (float)(2.0 * rng_uniform(&r));
	}
}

static void test_determinism(void)
{
	struct cat_item items[40];
	struct rank_cand c[40];
	struct rank_result first[40];
	struct rank_ctx x = plain_ctx();
	struct lrn_profile p;
	unsigned differ = 0;

	many(items, c, 40, 3);
	affinity_profile(&p, 1.0f);
	for (uint64_t seed = 1; seed <= 8; seed++) {
		struct rank_opts o = opts(RANK_FULL, 10, seed);

		o.epsilon = 0.2;
		CHECK_EQ_INT(run(&p, &x, c, 40, &o), 40);
		memcpy(first, g_out, sizeof(first));
		CHECK_EQ_INT(run(&p, &x, c, 40, &o), 40);
		CHECK(memcmp(first, g_out, sizeof(first)) == 0);
		o.seed = seed + 1000;
		CHECK_EQ_INT(run(&p, &x, c, 40, &o), 40);
		for (unsigned r = 0; r < 40; r++)
			if (g_out[r].index != first[r].index ||
			    g_out[r].score != first[r].score) {
				differ++;
				break;
			}
	}
	CHECK(differ > 0);
}

/* Standard deviation of ln s over the n scores of g_out (all > 0). */
static double log_sd(unsigned n)
{
	double sum = 0.0, sq = 0.0;

	for (unsigned i = 0; i < n; i++)
		sum += log(g_out[i].score);
	for (unsigned i = 0; i < n; i++) {
		double d = log(g_out[i].score) - sum / n;

		sq += d * d;
	}
	return sqrt(sq / n);
}

/* Coefficient of variation of Beta(a, b). */
static double beta_cv(double a, double b)
{
	return sqrt(b / (a * (a + b + 1.0)));
}

static void test_thompson(void)
{
	struct cat_item a = item(10, 0, NULL), b = item(20, 0, NULL);
	struct cat_item z = item(0, 0, NULL);
	struct rank_cand c[5] = { cand(1, 1.0, &a), cand(2, 0.9, &b),
		cand(3, 0.8, &a), cand(4, 0.7, &z), cand(5, 0.6, NULL) };
	struct rank_ctx x = plain_ctx();
	struct rank_opts o = opts(RANK_EXPLORE, 0, 77);
	struct lrn_profile p;
	struct rng r;

	affinity_profile(&p, 1.0f);
	p.cat_imp[0] = 40; /* category 10: 10 clicks of 40 */
	p.cat_clk[0] = 10;
	c[0].global_ctr = 0.1f;
	c[2].global_ctr = 0.5f; /* not its category's first candidate */
	c[1].global_ctr = -1.0f;
	o.epsilon = 0.0;

	/* The scores Thompson starts from: weight 0 leaves them. */
	o.explore_weight = 0.0;
	CHECK_EQ_INT(run(&p, &x, c, 5, &o), 5);
	CHECK(of(5, 0)->f.explore == 1.0f);
	double spread = log_sd(5), s0[5];

	for (unsigned i = 0; i < 5; i++)
		s0[i] = of(5, i)->score;
	CHECK(spread > 0.1);

	o.explore_weight = -1.0; /* the setting: 0.5 */
	CHECK_EQ_INT(run(&p, &x, c, 5, &o), 5);

	/* Category 10 first: Beta(10 + 20 * 0.1 + 1, 30 + 20 * 0.9 + 1);
	 * then 20, unknown to the user, global rate 0.05. Each factor's
	 * exponent: 0.5 x spread / the prior's coefficient of variation. */
	double g = 0.1f;
	double a1 = 10.0 + 20.0 * g + 1.0, b1 = 30.0 + 20.0 * (1.0 - g) + 1.0;
	double a2 = 0.0 + 20.0 * 0.05 + 1.0;
	double b2 = 0.0 + 20.0 * (1.0 - 0.05) + 1.0;
	double x1 = 0.5 * spread / beta_cv(20.0 * g + 1.0, 20.0 * (1 - g) + 1);
	double x2 = 0.5 * spread / beta_cv(a2, b2);

	rng_seed(&r, 77);
	double t1 = rng_beta(&r, a1, b1), t2 = rng_beta(&r, a2, b2);
	double f1 = pow(t1 / (a1 / (a1 + b1)), x1);
	double f2 = pow(t2 / (a2 / (a2 + b2)), x2);

	CHECK_NEAR(of(5, 0)->f.explore, f1, EPS);
	CHECK_NEAR(of(5, 2)->f.explore, f1, EPS);
	CHECK_NEAR(of(5, 1)->f.explore, f2, EPS);
	CHECK(of(5, 3)->f.explore == 1.0f && of(5, 4)->f.explore == 1.0f);
	for (unsigned i = 0; i < 5; i++)
		CHECK_NEAR(of(5, i)->score, s0[i] * of(5, i)->f.explore,
		    1e-6 * s0[i]);
	/* Scores with Thompson decide the order. */
	for (unsigned i = 1; i < 5; i++)
		CHECK(g_out[i - 1].score >= g_out[i].score);
}

/*
 * Exploration does not depend on the scale of the caller's scores: base
 * scores b and b^3 (the same order, three times the log spread) get the
 * same order from the same draws, and factors whose logs are a third.
 * Before the exponent followed the spread, cubed scores hardly moved while
 * close ones were shuffled across the list.
 */
static void test_thompson_scale(void)
{
	enum { N = 24 };
	struct cat_item it[6];
	struct rank_cand c[N], c3[N];
	struct rank_ctx x = plain_ctx();
	struct rank_opts o = opts(RANK_EXPLORE, 0, 5);
	unsigned ord[N];

	for (unsigned j = 0; j < 6; j++)
		it[j] = item(100 + j, 0, NULL);
	for (unsigned i = 0; i < N; i++) {
		double base = 1.0 + 0.05 * (double)((i * 7) % N);

		c[i] = cand(i + 1, base, &it[i % 6]);
		c3[i] = cand(i + 1, base * base * base, &it[i % 6]);
	}
	o.epsilon = 0.0;
	CHECK_EQ_INT(run(NULL, &x, c, N, &o), N);
	double fx[N];

	for (unsigned r = 0; r < N; r++) {
		ord[r] = g_out[r].index;
		fx[g_out[r].index] = g_out[r].f.explore;
	}
	unsigned moved = 0;

	for (unsigned r = 1; r < N; r++)
		moved += c[ord[r - 1]].base < c[ord[r]].base;
	CHECK(moved > 0); /* the draws reorder */
	CHECK_EQ_INT(run(NULL, &x, c3, N, &o), N);
	for (unsigned r = 0; r < N; r++) {
		CHECK_EQ_INT(g_out[r].index, ord[r]);
		CHECK_NEAR(log(g_out[r].f.explore), 3.0 * log(fx[ord[r]]),
		    1e-5);
	}

	/* Every score the same: the draws alone order (by category). */
	for (unsigned i = 0; i < N; i++)
		c[i].base = 2.0;
	CHECK_EQ_INT(run(NULL, &x, c, N, &o), N);
	for (unsigned r = 1; r < N; r++)
		CHECK(g_out[r - 1].f.explore >= g_out[r].f.explore);
	CHECK(g_out[0].f.explore > g_out[N - 1].f.explore);
}

static void test_epsilon(void)
{
	struct cat_item items[10];
	struct rank_cand c[10];
	struct rank_ctx x = plain_ctx();
	struct rank_opts o = opts(RANK_EXPLORE, 3, 5);

	many(items, c, 10, 9);
	for (unsigned i = 0; i < 10; i++)
		c[i].base = 1.0 - 0.05 * i; /* rank i is candidate i */
	o.epsilon = 1.0;
	o.explore_weight = 0.0;
	CHECK_EQ_INT(run(NULL, &x, c, 10, &o), 10);
	/* Every slot of the top 3 swapped with one from below, each drawn
	 * once; flagged, moved up; the rest (the 3 swapped out among them)
	 * by score. */
	for (unsigned r = 0; r < 3; r++) {
		CHECK(g_out[r].index >= 3);
		CHECK(g_out[r].f.flags & RANK_F_EXPLORED);
		CHECK_EQ_INT(g_out[r].f.moved, (int)g_out[r].index - (int)r);
	}
	CHECK(g_out[0].index != g_out[1].index &&
	    g_out[1].index != g_out[2].index &&
	    g_out[0].index != g_out[2].index);
	for (unsigned r = 3; r < 10; r++) {
		CHECK(!(g_out[r].f.flags & RANK_F_EXPLORED));
		if (r > 3)
			CHECK(g_out[r].index > g_out[r - 1].index);
	}
	CHECK_EQ_INT(of(10, 0)->f.moved, -3);

	/* Epsilon 0: the score order. */
	o.epsilon = 0.0;
	CHECK_EQ_INT(run(NULL, &x, c, 10, &o), 10);
	for (unsigned r = 0; r < 10; r++)
		CHECK_EQ_INT(g_out[r].index, r);
	/* More slots than candidates below: only as many swaps. */
	o.epsilon = 1.0;
	o.k = 8;
	CHECK_EQ_INT(run(NULL, &x, c, 10, &o), 10);
	unsigned explored = 0;

	for (unsigned r = 0; r < 10; r++)
		explored += !!(g_out[r].f.flags & RANK_F_EXPLORED);
	CHECK_EQ_INT(explored, 2);
}

/* Profile whose top categories are 10, 20, 30 (40 is weaker, 50 and 60
 * disliked or unknown), impressions spread over all six slots. */
static void top_profile(struct lrn_profile *p)
{
	lrn_profile_init(p, 1);
	set_w(&p->cats[0], 10, 0.5f, 0.0f);
	set_w(&p->cats[1], 20, 0.4f, 0.0f);
	set_w(&p->cats[2], 30, 0.3f, 0.0f);
	set_w(&p->cats[3], 40, 0.1f, 0.0f);
	set_w(&p->cats[4], 50, -0.2f, 0.0f);
	set_w(&p->cats[5], 70, 0.05f, 0.0f);
	for (unsigned i = 0; i < LRN_CATS; i++)
		p->cat_imp[i] = 5;
}

static void test_serendipity(void)
{
	struct cat_item in = item(10, 0, NULL), in2 = item(20, 0, NULL);
	struct cat_item out4 = item(40, 0, NULL), out6 = item(60, 0, NULL);
	struct cat_item none = item(0, 0, NULL);
	struct rank_cand c[10];
	struct rank_ctx x = plain_ctx();
	struct rank_opts o = opts(RANK_DIVERSE, 6, 1);
	struct lrn_profile p;

	top_profile(&p);
	g_rp.affinity_gain = 0.0; /* scores are the bases */
	for (unsigned i = 0; i < 10; i++)
		c[i] = cand(i + 1, 1.0 - 0.05 * i, i % 2 ? &in2 : &in);
	c[7] = cand(8, 0.65, &out4); /* outside the top 3 */
	c[8] = cand(9, 0.6, &out6);  /* outside, rising: 0.6 * 1.2 */
	c[8].trend = 1.2f;
	c[9] = cand(10, 0.99, &none); /* no category: not eligible */
	o.mmr_lambda = 1.0;
	o.serendipity_every = 3;
	CHECK_EQ_INT(run(&p, &x, c, 10, &o), 10);
	/* Positions 2 and 5 (0-based) are serendipity slots: first the best
	 * by score x trend (0.72 beats 0.65), then the other. */
	static const unsigned want[] = { 0, 9, 8, 1, 2, 7, 3, 4, 5, 6 };

	check_order(10, want);
	CHECK(g_out[2].f.flags & RANK_F_SERENDIPITY);
	CHECK(g_out[5].f.flags & RANK_F_SERENDIPITY);
	for (unsigned r = 0; r < 10; r++)
		if (r != 2 && r != 5)
			CHECK(!(g_out[r].f.flags & RANK_F_SERENDIPITY));
	CHECK_EQ_INT(of(10, 8)->f.moved, 9 - 2); /* last by score */
	CHECK(g_out[2].score == c[8].base);	 /* the move leaves the score */

	/* A candidate outside the top categories already placed above the
	 * slot is not taken again: the next one is. */
	c[8].base = 2.0;
	CHECK_EQ_INT(run(&p, &x, c, 10, &o), 10);
	CHECK_EQ_INT(g_out[0].index, 8);
	CHECK_EQ_INT(g_out[2].index, 7);
	CHECK(!(g_out[0].f.flags & RANK_F_SERENDIPITY));
	/* None eligible left: MMR fills the slot. */
	c[7].item = &in;
	CHECK_EQ_INT(run(&p, &x, c, 10, &o), 10);
	static const unsigned want2[] = { 8, 0, 9, 1, 2, 3, 4, 5, 6, 7 };

	check_order(10, want2);
	for (unsigned r = 0; r < 10; r++)
		CHECK(!(g_out[r].f.flags & RANK_F_SERENDIPITY));
	rank_params_default(&g_rp);
}

/* Classic MMR (min-max relevance, the max similarity), its picks in pick
 * order: what the MMR, DPP and bubble cases below were written for. */
static void classic_params(void)
{
	rank_params_default(&g_rp);
	g_rp.mmr_dcg = false;
	g_rp.diverse_by_score = false;
}

static void test_mmr(void)
{
	struct cat_item items[40];
	struct rank_cand c[40];
	struct rank_result ctx_order[40];
	struct rank_ctx x = plain_ctx();
	struct lrn_profile p;

	classic_params();

	many(items, c, 40, 11);
	affinity_profile(&p, 1.0f);
	x.weather = EVT_WX_RAINY;
	struct rank_opts o = opts(RANK_CONTEXT, 10, 1);

	CHECK_EQ_INT(run(&p, &x, c, 40, &o), 40);
	memcpy(ctx_order, g_out, sizeof(ctx_order));
	/* lambda 1, no serendipity: the score order. */
	o = opts(RANK_DIVERSE, 10, 1);
	o.mmr_lambda = 1.0;
	o.serendipity_every = 0;
	CHECK_EQ_INT(run(&p, &x, c, 40, &o), 40);
	for (unsigned r = 0; r < 40; r++) {
		CHECK_EQ_INT(g_out[r].index, ctx_order[r].index);
		CHECK_EQ_INT(g_out[r].f.flags, 0);
		CHECK_EQ_INT(g_out[r].f.moved, 0);
	}
	/* lambda 0.5: the same candidates up to the pool, some moved up. */
	o.mmr_lambda = 0.5;
	CHECK_EQ_INT(run(&p, &x, c, 40, &o), 40);
	unsigned div = 0;

	for (unsigned r = 0; r < 10; r++) {
		unsigned was = 0;

		while (ctx_order[was].index != g_out[r].index)
			was++;
		CHECK(was < 30); /* from the pool of 3 k */
		if (g_out[r].f.flags & RANK_F_DIVERSIFIED) {
			div++;
			CHECK(g_out[r].f.moved > 0);
		}
	}
	CHECK(div > 0);
	/* The rest is by score. */
	for (unsigned r = 11; r < 40; r++)
		CHECK(g_out[r - 1].score >= g_out[r].score);
}

/*
 * diversifier = dpp: met_dpp's picks over the same candidates (the hand
 * case of tests/engine/metrics_dpp.c: bases 1.0 .. 0.6 are the relevance,
 * theta 0.5 puts 4 above 3 where MMR keeps 3 first), theta 1 the score
 * order, a window of 1 against the last pick only; mmr_lambda does not
 * apply to it.
 */
static void test_dpp(void)
{
	static const uint32_t t3[] = { 3 }, t34[] = { 3, 4 }, t2[] = { 2 },
			      t24[] = { 2, 4 }, t14[] = { 1, 4 };
	struct cat_item it[5] = { item(1, 1, t3), item(2, 2, t34),
		item(1, 1, t2), item(2, 2, t24), item(1, 2, t14) };
	struct rank_cand c[6];
	struct rank_ctx x = plain_ctx();
	struct rank_opts o = opts(RANK_DIVERSE, 5, 1);
	static const unsigned plain[] = { 0, 1, 2, 3, 4, 5 };
	static const unsigned dpp[] = { 0, 1, 2, 4, 3, 5 };

	classic_params();

	for (unsigned i = 0; i < 5; i++)
		c[i] = cand(i + 1, 1.0 - 0.1 * i, &it[i]);
	c[5] = cand(6, 0.0, NULL);
	o.serendipity_every = 0;
	g_rp.mmr_pool = 1; /* the top 5 */
	CHECK_EQ_INT(run(NULL, &x, c, 6, &o), 6);
	check_order(6, plain); /* MMR at its default */
	g_rp.diversifier = RANK_DIV_DPP;
	g_rp.dpp_theta = 0.5;
	CHECK_EQ_INT(run(NULL, &x, c, 6, &o), 6);
	check_order(6, dpp);
	CHECK(g_out[3].f.flags & RANK_F_DIVERSIFIED);
	CHECK_EQ_INT(g_out[3].f.moved, 1);
	CHECK(!(g_out[4].f.flags & RANK_F_DIVERSIFIED));
	o.mmr_lambda = 1.0;
	CHECK_EQ_INT(run(NULL, &x, c, 6, &o), 6);
	check_order(6, dpp);
	g_rp.dpp_window = 1;
	CHECK_EQ_INT(run(NULL, &x, c, 6, &o), 6);
	check_order(6, plain);
	g_rp.dpp_window = 16;
	g_rp.dpp_theta = 1.0;
	CHECK_EQ_INT(run(NULL, &x, c, 6, &o), 6);
	check_order(6, plain);
	/* A window above the setting's range reads as its largest. */
	g_rp.dpp_theta = 0.5;
	g_rp.dpp_window = 1000;
	CHECK_EQ_INT(run(NULL, &x, c, 6, &o), 6);
	check_order(6, dpp);
	classic_params();

	/* A request's own: the diversifier and theta over the settings
	 * (MMR, theta 0.8 at their defaults), each only when given. */
	o = opts(RANK_DIVERSE, 5, 1);
	o.serendipity_every = 0;
	g_rp.mmr_pool = 1;
	o.diversifier = RANK_DIV_DPP;
	o.dpp_theta = 0.5;
	CHECK_EQ_INT(run(NULL, &x, c, 6, &o), 6);
	check_order(6, plain); /* not given: the settings */
	o.given = RANK_O_DIVERSIFIER | RANK_O_DPP_THETA;
	CHECK_EQ_INT(run(NULL, &x, c, 6, &o), 6);
	check_order(6, dpp);
	o.given = RANK_O_DIVERSIFIER;
	g_rp.dpp_theta = 0.5;
	CHECK_EQ_INT(run(NULL, &x, c, 6, &o), 6);
	check_order(6, dpp); /* the setting's theta */
	o.given = RANK_O_DIVERSIFIER | RANK_O_DPP_THETA;
	o.dpp_theta = 1.0;
	CHECK_EQ_INT(run(NULL, &x, c, 6, &o), 6);
	check_order(6, plain); /* the request's theta over the setting */
	/* MMR asked for where the setting is DPP */
	g_rp.diversifier = RANK_DIV_DPP;
	o.given = RANK_O_DIVERSIFIER;
	o.diversifier = RANK_DIV_MMR;
	CHECK_EQ_INT(run(NULL, &x, c, 6, &o), 6);
	check_order(6, plain);
	/* out of range */
	o.given = RANK_O_DIVERSIFIER;
	o.diversifier = RANK_DIV_DPP + 1;
	CHECK_EQ_INT(run(NULL, &x, c, 6, &o), -EINVAL);
	o.given = RANK_O_DPP_THETA;
	o.dpp_theta = 1.5;
	CHECK_EQ_INT(run(NULL, &x, c, 6, &o), -EINVAL);
	o.dpp_theta = NAN;
	CHECK_EQ_INT(run(NULL, &x, c, 6, &o), -EINVAL);
	o.given = RANK_O_MMR_MEAN;
	o.mmr_mean = -0.1;
	CHECK_EQ_INT(run(NULL, &x, c, 6, &o), -EINVAL);
	o.given = 0; /* ignored when not given */
	CHECK_EQ_INT(run(NULL, &x, c, 6, &o), 6);
	rank_params_default(&g_rp);
}

/* A request's mmr_mean over the setting: the same picks as the setting
 * would give, and different from the max alone on a case where the mean
 * changes them. */
static void test_mmr_mean_option(void)
{
	struct cat_item items[40];
	struct rank_cand c[40];
	struct rank_result by_setting[40];
	struct rank_ctx x = plain_ctx();
	struct lrn_profile p;

	classic_params();

	many(items, c, 40, 11);
	affinity_profile(&p, 1.0f);
	struct rank_opts o = opts(RANK_DIVERSE, 10, 1);
	o.serendipity_every = 0;
	o.mmr_lambda = 0.4;
	g_rp.mmr_mean = 1.0;
	CHECK_EQ_INT(run(&p, &x, c, 40, &o), 40);
	memcpy(by_setting, g_out, sizeof(by_setting));
	g_rp.mmr_mean = 0.0;
	CHECK_EQ_INT(run(&p, &x, c, 40, &o), 40);
	bool differ = false;
	for (unsigned r = 0; r < 10; r++)
		differ |= g_out[r].index != by_setting[r].index;
	CHECK(differ); /* else this case cannot tell them apart */
	o.given = RANK_O_MMR_MEAN;
	o.mmr_mean = 1.0;
	CHECK_EQ_INT(run(&p, &x, c, 40, &o), 40);
	for (unsigned r = 0; r < 40; r++)
		CHECK_EQ_INT(g_out[r].index, by_setting[r].index);
	rank_params_default(&g_rp);
}

static void test_bubble(void)
{
	static const uint32_t same[] = { 1, 2, 3 }, other[] = { 7 };
	struct cat_item d1 = item(10, 3, same), d2 = item(10, 3, same);
	struct cat_item df = item(20, 1, other), lo = item(30, 1, other);
	struct rank_cand c[4] = { cand(1, 1.0, &d1), cand(2, 0.99, &d2),
		cand(3, 0.9, &df), cand(4, 0.0, &lo) };
	struct rank_ctx x = plain_ctx();
	struct rank_opts o = opts(RANK_DIVERSE, 3, 1);
	struct lrn_profile p;

	classic_params();

	top_profile(&p); /* entropy 1: no guard */
	g_rp.affinity_gain = 0.0;
	o.mmr_lambda = 1.0;
	o.serendipity_every = 0;
	CHECK_EQ_INT(run(&p, &x, c, 4, &o), 4);
	static const unsigned plain[] = { 0, 1, 2, 3 };

	check_order(4, plain);

	/*
	 * Every impression on category 10: entropy 0. lambda drops to 0.8,
	 * so the near-duplicate (0.8 * 0.99 - 0.2 * 1) yields to the
	 * different one (0.8 * 0.9), and one serendipity slot appears, the
	 * last of the top 3: it goes to the only candidate outside the top
	 * categories 10, 20 and 30.
	 */
	memset(p.cat_imp, 0, sizeof(p.cat_imp));
	p.cat_imp[0] = 12;
	lo.item.category = 60;
	CHECK_EQ_INT(run(&p, &x, c, 4, &o), 4);
	static const unsigned guarded[] = { 0, 2, 3, 1 };

	check_order(4, guarded);
	CHECK(g_out[1].f.flags & RANK_F_DIVERSIFIED);
	CHECK(g_out[2].f.flags & RANK_F_SERENDIPITY);
	/* Fewer than 10 impressions: no guard. */
	p.cat_imp[0] = 9;
	CHECK_EQ_INT(run(&p, &x, c, 4, &o), 4);
	check_order(4, plain);
	/* No guard for an unknown user. */
	CHECK_EQ_INT(run(NULL, &x, c, 4, &o), 4);
	check_order(4, plain);
	rank_params_default(&g_rp);
}

/*
 * mmr_dcg: the hand case of tests/engine/metrics_mmr.c (bases 0.4, 0.35,
 * 0.15, 0.1; k 3, lambda 0.65) picks A, B, D where classic MMR picks A,
 * B, C; D then holds position 2 from score rank 3 (RANK_F_DIVERSIFIED).
 * diverse_by_score: classic MMR at lambda 0.5 over A, A' (same category,
 * another tag: sim 0.5), C (nothing shared), A'' (A's twin) picks A, C,
 * A' (C 0.5 / 3 over A' 0.5 x 2 / 3 - 0.5 x 0.5, then A' over the twin);
 * shown in score order that is A, A', C, nothing moved above its rank.
 */
static void test_mmr_dcg_and_order(void)
{
	static const uint32_t ta[] = { 1 }, tb[] = { 1, 2 }, tc[] = { 2 },
			      td[] = { 9 }, t2[] = { 2 }, t3[] = { 3 };
	struct cat_item h[4] = { item(1, 1, ta), item(2, 2, tb), item(3, 1, tc),
		item(4, 1, td) };
	struct cat_item g[4] = { item(1, 1, ta), item(1, 1, t2), item(2, 1, t3),
		item(1, 1, ta) };
	struct rank_cand c[4];
	struct rank_ctx x = plain_ctx();
	struct rank_opts o = opts(RANK_DIVERSE, 3, 1);
	static const double base[4] = { 0.4, 0.35, 0.15, 0.1 };
	static const unsigned dcg[] = { 0, 1, 3, 2 }, plain[] = { 0, 1, 2, 3 },
			      picks[] = { 0, 2, 1, 3 };

	rank_params_default(&g_rp);
	for (unsigned i = 0; i < 4; i++)
		c[i] = cand(i + 1, base[i], &h[i]);
	o.serendipity_every = 0;
	o.mmr_lambda = 0.65;
	g_rp.mmr_pool = 2; /* all 4 */
	CHECK_EQ_INT(run(NULL, &x, c, 4, &o), 4);
	check_order(4, dcg);
	CHECK(g_out[2].f.flags & RANK_F_DIVERSIFIED);
	CHECK_EQ_INT(g_out[2].f.moved, 1);
	CHECK(!(g_out[1].f.flags & RANK_F_DIVERSIFIED));
	g_rp.mmr_dcg = false;
	CHECK_EQ_INT(run(NULL, &x, c, 4, &o), 4);
	check_order(4, plain);

	for (unsigned i = 0; i < 4; i++)
		c[i] = cand(i + 1, 0.4 - 0.1 * i, &g[i]);
	o = opts(RANK_DIVERSE, 4, 1);
	o.serendipity_every = 0;
	o.mmr_lambda = 0.5;
	g_rp.diverse_by_score = false;
	CHECK_EQ_INT(run(NULL, &x, c, 4, &o), 4);
	check_order(4, picks);
	CHECK(g_out[1].f.flags & RANK_F_DIVERSIFIED);
	g_rp.diverse_by_score = true;
	CHECK_EQ_INT(run(NULL, &x, c, 4, &o), 4);
	check_order(4, plain);
	for (unsigned r = 0; r < 4; r++)
		CHECK_EQ_INT(g_out[r].f.flags & RANK_F_DIVERSIFIED, 0);
	rank_params_default(&g_rp);
}

static void test_errors(void)
{
	struct cat_item it = item(10, 0, NULL);
	struct rank_cand c[2] = { cand(1, 1.0, &it), cand(2, 0.5, NULL) };
	struct rank_ctx x = plain_ctx();
	struct rank_opts o = opts(RANK_FULL, 0, 1);
	size_t need = rank_scratch_size(2);

	CHECK(need > 0 && need <= g_size);
	CHECK_EQ_INT(rank_scratch_size(0), 0);
	c[1].base = NAN;
	CHECK_EQ_INT(run(NULL, &x, c, 2, &o), -EINVAL);
	c[1].base = -0.5;
	CHECK_EQ_INT(run(NULL, &x, c, 2, &o), -EINVAL);
	c[1].base = INFINITY;
	CHECK_EQ_INT(run(NULL, &x, c, 2, &o), -EINVAL);
	c[1].base = 0.0;
	CHECK_EQ_INT(run(NULL, &x, c, 2, &o), 2);
	o.strategy = RANK_STRATEGY_COUNT;
	CHECK_EQ_INT(run(NULL, &x, c, 2, &o), -EINVAL);
	o = opts(RANK_FULL, 0, 1);
	o.epsilon = 1.5;
	CHECK_EQ_INT(run(NULL, &x, c, 2, &o), -EINVAL);
	o.epsilon = NAN;
	CHECK_EQ_INT(run(NULL, &x, c, 2, &o), -EINVAL);
	o = opts(RANK_FULL, 0, 1);
	o.mmr_lambda = 2.0;
	CHECK_EQ_INT(run(NULL, &x, c, 2, &o), -EINVAL);
	o = opts(RANK_FULL, 0, 1);
	CHECK_EQ_INT(run(NULL, &x, c, 0, &o), -EINVAL);
	CHECK_EQ_INT(rank_run(NULL, &g_lp, &g_rp, &x, c, 2, &o, g_scratch,
			 need - 1, g_out),
	    -ENOSPC);
	CHECK_EQ_INT(rank_run(NULL, &g_lp, &g_rp, &x, c, 2, &o, g_scratch, need,
			 g_out),
	    2);
	CHECK_EQ_INT(rank_run(NULL, &g_lp, &g_rp, &x, c, 2, &o, NULL, need,
			 g_out),
	    -EINVAL);
	CHECK_EQ_INT(rank_run(NULL, NULL, &g_rp, &x, c, 2, &o, g_scratch, need,
			 g_out),
	    -EINVAL);
	CHECK_EQ_INT(rank_run(NULL, &g_lp, &g_rp, &x, c, 2, &o, g_scratch, need,
			 NULL),
	    -EINVAL);
	/* Any alignment of the scratch space. */
	CHECK_EQ_INT(rank_run(NULL, &g_lp, &g_rp, &x, c, 2, &o,
			 (char *)g_scratch + 3, need, g_out),
	    2);
}

/* K: 1 + collab_gain x cf where small, toward the cap; by key (unknown items too); with a
 * profile and from PROFILE on only; cf must be a number >= 0. */
static void test_collab(void)
{
	struct lrn_profile p;
	affinity_profile(&p, 1.0f);
	struct cat_item other = item(30, 0, NULL);
	struct rank_cand c[4] = { cand(1, 1.0, &other), cand(2, 2.0, &other),
		cand(3, 1.0, &other), cand(4, 1.0, NULL) };
	c[0].collab = 0.1f;
	c[2].collab = 10.0f;
	c[3].collab = 0.05f;
	struct rank_ctx x = plain_ctx();
	struct rank_opts o = opts(RANK_PROFILE, 0, 1);
	CHECK(g_rp.collab_gain == 30.0 && g_rp.collab_cap == 100.0);
	REQUIRE(run(&p, &x, c, 4, &o) == 4);
	unsigned want[4] = { 2, 0, 3, 1 };
	check_order(4, want);
	/* K = 1 + 99 (1 - exp(-30 cf / 99)): 1 + 30 cf where small */
#define K_OF(cf) (1.0 + 99.0 * (1.0 - exp(-30.0 * (double)(cf) / 99.0)))
	CHECK_NEAR(of(4, 0)->f.collab, K_OF(0.1f), EPS);
	CHECK_NEAR(of(4, 0)->score, K_OF(0.1f), EPS);
	CHECK(fabs(K_OF(0.1f) - 4.0) < 0.05); /* about 1 + 30 x 0.1 */
	CHECK(of(4, 1)->f.collab == 1.0f && of(4, 1)->score == 2.0);
	CHECK_NEAR(of(4, 2)->f.collab, K_OF(10.0f), 1e-4);
	CHECK(of(4, 2)->f.collab > 95.0f && of(4, 2)->f.collab < 100.0f);
	CHECK_NEAR(of(4, 3)->f.collab, K_OF(0.05f), EPS);
	CHECK(of(4, 3)->f.flags & RANK_F_UNKNOWN_ITEM);
	/* near the cap, more cf still ranks higher: the order is kept */
	c[0].collab = 20.0f;
	REQUIRE(run(&p, &x, c, 4, &o) == 4);
	CHECK(g_out[0].index == 0 && g_out[1].index == 2);
	CHECK(of(4, 0)->f.collab > of(4, 2)->f.collab);
	c[0].collab = 0.1f;
	/* a cap of 1: no factor */
	g_rp.collab_cap = 1.0;
	REQUIRE(run(&p, &x, c, 4, &o) == 4);
	for (unsigned i = 0; i < 4; i++)
		CHECK(g_out[i].f.collab == 1.0f);
	rank_params_default(&g_rp);
	/* CONTEXT carries it the same */
	o = opts(RANK_CONTEXT, 0, 1);
	REQUIRE(run(&p, &x, c, 4, &o) == 4);
	check_order(4, want);
	/* BASE, no profile, or a gain of 0: K = 1 */
	o = opts(RANK_BASE, 0, 1);
	REQUIRE(run(&p, &x, c, 4, &o) == 4);
	for (unsigned i = 0; i < 4; i++)
		CHECK(g_out[i].index == i && g_out[i].f.collab == 1.0f);
	o = opts(RANK_PROFILE, 0, 1);
	REQUIRE(run(NULL, &x, c, 4, &o) == 4);
	for (unsigned i = 0; i < 4; i++)
		CHECK(g_out[i].f.collab == 1.0f);
	g_rp.collab_gain = 0.0;
	REQUIRE(run(&p, &x, c, 4, &o) == 4);
	for (unsigned i = 0; i < 4; i++)
		CHECK(g_out[i].f.collab == 1.0f);
	rank_params_default(&g_rp);
	/* not a number, negative, infinite: refused */
	c[1].collab = NAN;
	CHECK_EQ_INT(run(&p, &x, c, 4, &o), -EINVAL);
	c[1].collab = -0.5f;
	CHECK_EQ_INT(run(&p, &x, c, 4, &o), -EINVAL);
	c[1].collab = INFINITY;
	CHECK_EQ_INT(run(&p, &x, c, 4, &o), -EINVAL);
}

int main(void)
{
	lrn_params_default(&g_lp);
	rank_params_default(&g_rp);
	g_size = rank_scratch_size(NMAX) + 8;
	g_scratch = malloc(g_size);
	REQUIRE(g_scratch != NULL);

	test_unknown_user();
	test_affinity();
	test_prior();
	test_tag_collisions();
	test_time();
	test_distance();
	test_weather_social_device();
	test_context_clamp();
	test_time_open();
	test_context_weight();
	test_fatigue();
	test_novelty();
	test_base();
	test_determinism();
	test_thompson();
	test_thompson_scale();
	test_epsilon();
	test_serendipity();
	test_mmr();
	test_dpp();
	test_mmr_mean_option();
	test_bubble();
	test_mmr_dcg_and_order();
	test_errors();
	test_collab();
	free(g_scratch);
	return check_done("rank_exact");
}
