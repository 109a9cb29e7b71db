/*
 * rank_fixture: a catalog-like candidate set and a lived-in profile for the
 * re-ranker's property tests and benchmark, all from one seed: ncat
 * categories, 150 tags (3..8 per item), cells around a city at precision
 * 6, start times over two weeks, every attribute sometimes unknown; a
 * profile learned from a few hundred events (views, clicks, impressions,
 * saves) at those items, in that city, at all hours.
 */
#ifndef PENCHANT_TESTS_RANK_FIXTURE_H
#define PENCHANT_TESTS_RANK_FIXTURE_H

#include <string.h>

#include "engine/geo.h"
#include "engine/rank.h"
#include "engine/rng.h"

#define FIX_T0 1700000000000LL /* 2023-11-14T22:13:20Z */
#define FIX_HOUR 3600000LL
#define FIX_DAY (24 * FIX_HOUR)
#define FIX_LAT 48.85
#define FIX_LON 2.35

static inline uint64_t fix_cell(struct rng *r)
{
	uint64_t cell = 0;
	double lat = FIX_LAT + (rng_uniform(r) - 0.5) * 0.6;
	double lon = FIX_LON + (rng_uniform(r) - 0.5) * 0.9;

	geo_encode(lat, lon, 6, &cell);
	return cell;
}

/* n catalog items and their candidates; ncat >= 1 categories. */
static inline void fix_items(struct rng *r, unsigned n, unsigned ncat,
    struct cat_item *items, struct rank_cand *c)
{
	for (unsigned i = 0; i < n; i++) {
		struct cat_item *it = &items[i];

		memset(it, 0, sizeof(*it));
		it->item.category = 1000 + (uint32_t)rng_below(r, ncat);
		it->item.n_tags = (uint8_t)(3 + rng_below(r, 6));
		for (unsigned t = 0; t < it->item.n_tags; t++)
			it->item.tags[t] = 1 + (uint32_t)rng_below(r, 150);
		if (rng_below(r, 5))
			it->start_ms =
			    FIX_T0 + (int64_t)rng_below(r, 14 * 24) * FIX_HOUR;
		if (rng_below(r, 3))
			it->added_ms =
			    FIX_T0 - (int64_t)rng_below(r, 30 * 24) * FIX_HOUR;
		if (rng_below(r, 4))
			it->geo_cell = fix_cell(r);
		it->start_tz_min = 60;
		it->setting = (uint8_t)rng_below(r, 3);
		it->group_friendly = (uint8_t)rng_below(r, 3);
		it->price_level = 255;
		it->device_mask = rng_below(r, 4) ? 0 : (uint8_t)rng_next(r);
		it->platform_mask = rng_below(r, 4) ? 0 : (uint8_t)rng_next(r);

		c[i].key = 0x100000 + i;
		c[i].base = rng_uniform(r);
		c[i].item = rng_below(r, 20) ? it : NULL;
		c[i].global_ctr = rng_below(r, 4)
		    ? (float)(0.01 + 0.1 * rng_uniform(r))
		    : -1.0f;
		c[i].trend = (float)(rng_uniform(r) * 2.0);
	}
}

/* A profile learned from `events` events at the candidates' items. */
static inline void fix_profile(struct rng *r, struct lrn_profile *p,
    const struct lrn_params *lp, const struct rank_cand *c,
    const struct cat_item *items, unsigned n, unsigned events)
{
	static const uint8_t types[] = { EVT_VIEW, EVT_VIEW, EVT_CLICK,
		EVT_IMPRESSION, EVT_IMPRESSION, EVT_IMPRESSION, EVT_SAVE,
		EVT_LIKE };

	lrn_profile_init(p, 42);
	for (unsigned e = 0; e < events; e++) {
		struct evt_record ev;
		unsigned i = (unsigned)rng_below(r, n);
		int64_t t = FIX_T0 - (int64_t)(events - e) * FIX_HOUR / 2;

		/* Habits: two thirds of the attention on a few items. */
		if (rng_below(r, 3))
			i = (unsigned)rng_below(r, n < 12 ? n : 12);
		memset(&ev, 0, sizeof(ev));
		ev.user_key = 42;
		ev.entity_key = c[i].key;
		ev.time_ms = t;
		ev.type = types[rng_below(r, sizeof(types))];
		ev.position = (uint16_t)(1 + rng_below(r, 10));
		ev.scroll_depth = -1.0f;
		ev.daypart = (uint8_t)rng_below(r, EVT_DP_COUNT);
		ev.weekday = (uint8_t)rng_below(r, 7);
		ev.device = EVT_DEV_MOBILE;
		ev.platform = EVT_PLAT_IOS;
		ev.geo_cell = rng_below(r, 2) ? fix_cell(r) : 0;
		lrn_apply(p, lp, &ev, &items[i].item);
	}
}

static inline void fix_ctx(struct rank_ctx *x)
{
	memset(x, 0, sizeof(*x));
	x->time_ms = FIX_T0 + 20 * FIX_HOUR;
	x->tz_min = 60;
	x->has_location = true;
	x->lat = FIX_LAT;
	x->lon = FIX_LON;
	x->weather = EVT_WX_RAINY;
	x->social = EVT_SOC_FRIENDS;
	x->device = EVT_DEV_MOBILE;
	x->platform = EVT_PLAT_IOS;
}

static inline void fix_opts(struct rank_opts *o, unsigned strategy, unsigned k,
    uint64_t seed)
{
	memset(o, 0, sizeof(*o));
	o->strategy = strategy;
	o->k = k;
	o->seed = seed;
	o->epsilon = o->explore_weight = o->mmr_lambda = -1.0;
	o->serendipity_every = -1;
}

/* Is out[0..n) a permutation of 0..n-1? seen needs n bytes. */
static inline int fix_is_perm(const struct rank_result *out, unsigned n,
    unsigned char *seen)
{
	memset(seen, 0, n);
	for (unsigned i = 0; i < n; i++) {
		if (out[i].index >= n || seen[out[i].index])
			return 0;
		seen[out[i].index] = 1;
	}
	return 1;
}

#endif
