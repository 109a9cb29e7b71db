/*
 * rank properties: over random candidate sets, profiles, contexts,
 * strategies, k and overrides, rank_run returns a permutation; PROFILE and
 * CONTEXT order by score (ties in input order) and every strategy orders
 * the rest below k by score; every factor stays within its documented
 * bounds, the context factor is the clamped product of the five, the score
 * is the product of base and factors; flags and moves fit the strategy;
 * the same seed gives the same answer.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "engine/clock.h"
#include "rank_fixture.h"

#define NMAX 160
#define ROUNDS 3000

static struct cat_item g_items[NMAX];
static struct rank_cand g_c[NMAX];
static struct rank_result g_out[NMAX], g_again[NMAX];
static unsigned char g_seen[NMAX];

static bool in(double x, double lo, double hi)
{
	return x >= lo - 1e-6 && x <= hi + 1e-6;
}

static bool near(double a, double b, double rel)
{
	return fabs(a - b) <= rel * fmax(fabs(a), fabs(b)) + 1e-300;
}

/* Does a (at rank r) come before b (at r + 1) by score, ties by index? */
static bool by_score(const struct rank_result *a, const struct rank_result *b)
{
	return a->score > b->score ||
	    (a->score == b->score && a->index < b->index);
}

static void random_ctx(struct rng *r, struct rank_ctx *x)
{
	fix_ctx(x);
	x->time_ms = FIX_T0 + (int64_t)rng_below(r, 14 * 24) * FIX_HOUR;
	x->tz_min = (int16_t)((int)rng_below(r, 49) * 30 - 720);
	switch (rng_below(r, 4)) {
	case 0: x->has_location = false; break;
	case 1: break; /* in the city */
	case 2:
		x->lat = -60.0 + 120.0 * rng_uniform(r);
		x->lon = -180.0 + 360.0 * rng_uniform(r);
		break;
	default:
		x->lat = FIX_LAT + rng_uniform(r) - 0.5;
		x->lon = FIX_LON + rng_uniform(r) - 0.5;
	}
	x->weather = (uint8_t)rng_below(r, EVT_WX_COUNT + 1);
	x->social = (uint8_t)rng_below(r, EVT_SOC_COUNT + 1);
	x->device = (uint8_t)rng_below(r, EVT_DEV_COUNT + 1);
	x->platform = (uint8_t)rng_below(r, EVT_PLAT_COUNT + 1);
}

static void random_opts(struct rng *r, struct rank_opts *o, unsigned n)
{
	fix_opts(o, (unsigned)rng_below(r, RANK_STRATEGY_COUNT),
	    (unsigned)rng_below(r, n + 6), rng_next(r));
	if (rng_below(r, 3) == 0)
		o->epsilon = rng_uniform(r);
	if (rng_below(r, 3) == 0)
		o->explore_weight = 5.0 * rng_uniform(r);
	if (rng_below(r, 3) == 0)
		o->mmr_lambda = rng_uniform(r);
	if (rng_below(r, 3) == 0)
		o->serendipity_every = (int)rng_below(r, 6);
	if (rng_below(r, 2) == 0) {
		/* A segment prior over the fixture's ids (categories from
		 * 1000, tags 1..150), some repeated, some zero. */
		static struct rank_prior prior[RANK_PRIOR_MAX];

		o->n_prior = (unsigned)rng_below(r, RANK_PRIOR_MAX + 1);
		for (unsigned i = 0; i < o->n_prior; i++) {
			bool cat = rng_below(r, 3) == 0;

			prior[i] = (struct rank_prior){ .id = cat
				    ? 1000 + (uint32_t)rng_below(r, 8)
				    : (uint32_t)rng_below(r, 151),
				.category = cat,
				.share = (float)rng_uniform(r) };
		}
		o->prior = prior;
		o->prior_weight = rng_uniform(r);
	}
}

/* The factor set of one result against the settings. */
static void check_factors(const struct rank_params *rp,
    const struct rank_result *x, const struct rank_cand *c,
    const struct rank_ctx *ctx, unsigned strategy, bool has_p)
{
	const struct rank_factors *f = &x->f;
	double w = f->weather, s = f->social, d = f->device;

	CHECK(in(f->confidence, 0.0, 1.0));
	CHECK(in(f->affinity, rp->affinity_floor, rp->affinity_cap));
	CHECK(in(f->time, 1.0,
	    1.0 + fmax(rp->time_strength, rp->time_open_strength)));
	CHECK(in(f->distance, rp->dist_min, rp->dist_max));
	CHECK(w == 1.0f || w == (float)rp->weather_outdoor_bad ||
	    w == (float)rp->weather_indoor_bad ||
	    w == (float)rp->weather_outdoor_good ||
	    w == (float)rp->weather_indoor_good);
	CHECK(s == 1.0f || s == (float)rp->social_group_yes ||
	    s == (float)rp->social_group_no);
	CHECK(d == 1.0f || d == (float)rp->device_match ||
	    d == (float)rp->device_mismatch ||
	    d == (float)(rp->device_match * rp->device_match) ||
	    d == (float)(rp->device_match * rp->device_mismatch) ||
	    d == (float)(rp->device_mismatch * rp->device_mismatch));
	CHECK(in(f->context, rp->context_min, rp->context_max));
	double prod = (double)f->time * f->distance * w * s * d;
	double clamped = prod < rp->context_min ? rp->context_min
	    : prod > rp->context_max		? rp->context_max
						: prod;
	CHECK(near(f->context, clamped, 1e-5));
	CHECK(f->fatigue == 1.0f || f->fatigue == (float)rp->acted_factor ||
	    in(f->fatigue, rp->fatigue_floor, 1.0));
	CHECK(in(f->novelty, 1.0, 1.0 + rp->novelty_boost));
	CHECK(f->explore > 0.0f && isfinite(f->explore));
	CHECK(f->pad == 0);
	CHECK(!(f->flags & RANK_F_UNKNOWN_ITEM) == (c->item != NULL));

	/* Each factor only where its strategy applies it. */
	if (strategy == RANK_BASE) {
		CHECK(x->score == c->base);
		CHECK(f->affinity == 1.0f && f->context == 1.0f);
	} else {
		double want = c->base * f->affinity * f->context * f->fatigue *
		    f->novelty * f->explore;

		CHECK(near(x->score, want, 1e-5));
	}
	if (strategy < RANK_CONTEXT)
		CHECK(f->context == 1.0f && f->fatigue == 1.0f &&
		    f->novelty == 1.0f);
	if (strategy != RANK_EXPLORE && strategy != RANK_FULL)
		CHECK(f->explore == 1.0f);
	if (!has_p)
		CHECK(f->affinity == 1.0f && f->fatigue == 1.0f &&
		    f->time == 1.0f);

	const struct cat_item *it = c->item;

	if (strategy < RANK_CONTEXT || !it)
		return;
	/* T only when the item's daypart is now's (clk_daypart), or for an
	 * item without a start (time_open_strength). */
	if (f->time != 1.0f && it->start_ms != 0)
		CHECK(clk_daypart(it->start_ms, it->start_tz_min) ==
		    clk_daypart(ctx->time_ms, ctx->tz_min));
	if (f->time != 1.0f && it->start_ms == 0)
		CHECK(rp->time_open_strength > 0.0);
	/* L from the request's location: the great-circle distance. */
	if (ctx->has_location && it->geo_cell) {
		double lat, lon;

		REQUIRE(geo_cell_center(it->geo_cell, &lat, &lon) == 0);
		double km = geo_distance_km(ctx->lat, ctx->lon, lat, lon);
		double l = rp->dist_min +
		    (rp->dist_max - rp->dist_min) *
			exp(-km / rp->dist_scale_km);

		CHECK(near(f->distance, l, 1e-6));
	}
}

static void one_round(struct rng *r, const struct lrn_params *lp,
    struct rank_params *rp, void *scratch, size_t size)
{
	unsigned n = 1 + (unsigned)rng_below(r, NMAX);
	unsigned ncat = 1 + (unsigned)rng_below(r, 20);
	struct lrn_profile p;
	struct rank_ctx ctx;
	struct rank_opts o;
	bool has_p = rng_below(r, 4) != 0;

	fix_items(r, n, ncat, g_items, g_c);
	/* Ties: bases on a coarse grid some of the time; or spread over
	 * decades (down to what a float holds as a denormal or 0), with
	 * zeros among them, which the sort keeps out of its key range. */
	unsigned spread = (unsigned)rng_below(r, 3);
	if (spread == 0)
		for (unsigned i = 0; i < n; i++)
			g_c[i].base = (double)rng_below(r, 4) / 4;
	else if (spread == 1 && rng_below(r, 2) == 0)
		for (unsigned i = 0; i < n; i++)
			g_c[i].base = rng_below(r, 8) == 0
			    ? 0.0
			    : ldexp(rng_uniform(r),
				  (int)rng_below(r, 200) - 150);
	else if (spread == 1 && rng_below(r, 2) == 0)
		/* double denormals: the top score's reciprocal is inf */
		for (unsigned i = 0; i < n; i++)
			g_c[i].base = rng_below(r, 4) == 0
			    ? 0.0
			    : ldexp(rng_uniform(r),
				  -1030 - (int)rng_below(r, 40));
	if (has_p)
		fix_profile(r, &p, lp, g_c, g_items, n,
		    (unsigned)rng_below(r, 600));
	random_ctx(r, &ctx);
	random_opts(r, &o, n);
	rank_params_default(rp);
	rp->affinity_gain = 4.0 * rng_uniform(r);
	rp->time_strength = 2.0 * rng_uniform(r);
	rp->mmr_pool = 1 + (unsigned)rng_below(r, 4);

	const struct lrn_profile *pp = has_p ? &p : NULL;
	int rc = rank_run(pp, lp, rp, &ctx, g_c, n, &o, scratch, size, g_out);

	CHECK_EQ_INT(rc, (int)n);
	if (rc != (int)n)
		return;
	CHECK(fix_is_perm(g_out, n, g_seen));

	unsigned k = o.k == 0 || o.k > n ? n : o.k;
	unsigned s = o.strategy;
	bool sorted_all = s == RANK_PROFILE || s == RANK_CONTEXT;

	for (unsigned i = 0; i < n; i++) {
		const struct rank_result *x = &g_out[i];

		check_factors(rp, x, &g_c[x->index], &ctx, s, has_p);
		if (s == RANK_BASE)
			CHECK_EQ_INT(x->index, i);
		if (sorted_all || s == RANK_BASE)
			CHECK(x->f.moved == 0 &&
			    x->f.flags ==
				(g_c[x->index].item ? 0 : RANK_F_UNKNOWN_ITEM));
		if (i >= k)
			CHECK(!(x->f.flags &
			    (RANK_F_EXPLORED | RANK_F_SERENDIPITY |
				RANK_F_DIVERSIFIED)));
		if (i + 1 < n && s != RANK_BASE && (sorted_all || i >= k) &&
		    !by_score(x, &g_out[i + 1])) {
			fprintf(stderr,
			    "%s n %u k %u at %u: %u %.17g, %u %.17g\n",
			    rank_strategy_name(s), n, k, i, x->index, x->score,
			    g_out[i + 1].index, g_out[i + 1].score);
			CHECK(0);
		}
		if (x->f.flags & RANK_F_EXPLORED)
			CHECK(s == RANK_EXPLORE || s == RANK_FULL);
		if (x->f.flags & (RANK_F_SERENDIPITY | RANK_F_DIVERSIFIED))
			CHECK(s == RANK_DIVERSE || s == RANK_FULL);
	}

	/* The same seed, the same answer. */
	rc = rank_run(pp, lp, rp, &ctx, g_c, n, &o, scratch, size, g_again);
	CHECK(rc == (int)n && memcmp(g_out, g_again, n * sizeof(*g_out)) == 0);
}

int main(void)
{
	struct lrn_params lp;
	struct rank_params rp;
	struct rng r;
	size_t size = rank_scratch_size(NMAX);
	void *scratch = malloc(size);

	REQUIRE(scratch != NULL);
	lrn_params_default(&lp);
	rng_seed(&r, 2024);
	for (unsigned i = 0; i < ROUNDS && check_failures < 20; i++)
		one_round(&r, &lp, &rp, scratch, size);
	free(scratch);
	return check_done("rank_props");
}
