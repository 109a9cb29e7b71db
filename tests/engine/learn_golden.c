/*
 * learn golden bytes: a fixed pseudo-random stream of every kind of event
 * (all verbs, implicit data, impressions, repeats, late events, searches,
 * items listing a tag twice, unknown items, bursts and month-long gaps,
 * tables that fill and admit) over a few users gives profiles whose bytes
 * hash to a recorded value. The learner is deterministic to the bit (a
 * replay is the engine): any change of what it writes, even one rounding
 * of one bfloat16, changes the hash. Run with an argument to print the
 * hash instead of checking it.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "engine/learn.h"
#include "engine/rng.h"

#define USERS 24
#define EVENTS 200000
#define T0 1700000000000LL
#define HOUR 3600000LL

/* FNV-1a over the bytes of every profile. */
static uint64_t _fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

/* An item: 0..4 tags out of a pool of `pool`, sometimes one twice. */
static void _item(struct rng *r, struct lrn_item *it, unsigned pool)
{
	memset(it, 0, sizeof *it);
	it->category = 1000u + (unsigned)(rng_next(r) % 9);
	if (rng_next(r) % 17 == 0)
		it->category = 0;
	it->n_tags = (uint8_t)(rng_next(r) % 5);
	for (unsigned i = 0; i < it->n_tags; i++)
		it->tags[i] = 1u + (unsigned)(rng_next(r) % pool);
	if (it->n_tags > 1 && rng_next(r) % 7 == 0)
		it->tags[it->n_tags - 1] = it->tags[0];
	if (it->n_tags > 0 && rng_next(r) % 23 == 0)
		it->tags[0] = 0;
}

static void _event(struct rng *r, struct evt_record *e, uint64_t user,
    int64_t t)
{
	memset(e, 0, sizeof *e);
	e->user_key = user;
	e->entity_key = 1 + rng_next(r) % 64;
	e->type = (uint8_t)(rng_next(r) % EVT_TYPE_COUNT);
	if (rng_next(r) % 3 == 0)
		e->type = EVT_VIEW;
	if (e->type == EVT_FEEDBACK)
		e->feedback = (int8_t)(rng_next(r) % 3) - 1;
	e->time_ms = t;
	e->daypart = (uint8_t)(rng_next(r) % (EVT_DP_COUNT + 1));
	e->weekday = (uint8_t)(rng_next(r) % 8);
	e->month = (uint8_t)(1 + rng_next(r) % 12);
	e->device = (uint8_t)(rng_next(r) % (EVT_DEV_COUNT + 1));
	e->platform = (uint8_t)(rng_next(r) % (EVT_PLAT_COUNT + 1));
	e->scroll_depth = -1.0f;
	if (rng_next(r) % 4 == 0)
		e->dwell_ms = (uint32_t)(rng_next(r) % 60000);
	if (rng_next(r) % 5 == 0)
		e->scroll_depth = (float)(rng_next(r) % 1000) / 900.0f;
	if (rng_next(r) % 4 == 0)
		e->position = (uint16_t)(rng_next(r) % 20);
	if (rng_next(r) % 6 == 0)
		e->rec_type = (uint16_t)(1 + rng_next(r) % 3);
	if (rng_next(r) % 9 == 0)
		e->session_key = 1 + rng_next(r) % 5;
	if (rng_next(r) % 11 == 0)
		e->geo_cell = 0x100 + rng_next(r) % 6;
	e->tz_offset_min = (int16_t)((int)(rng_next(r) % 5) * 30 - 60);
}

int main(int argc, char **argv)
{
	static struct lrn_profile p[USERS];
	struct lrn_params prm;
	struct rng r;
	int64_t t[USERS];

	lrn_params_default(&prm);
	rng_seed(&r, 20260101);
	for (unsigned u = 0; u < USERS; u++) {
		lrn_profile_init(&p[u], 0x5000u + u);
		t[u] = T0 + (int64_t)u * 7 * HOUR;
	}
	for (unsigned i = 0; i < EVENTS; i++) {
		/* Skewed: user 0 gets about a third, the tail a few each. */
		unsigned u = (unsigned)(rng_next(&r) % USERS);
		u = u % (1u + (unsigned)(rng_next(&r) % USERS));
		/* Mostly seconds to minutes apart, sometimes hours, days or a
		 * month; sometimes late by up to two days. */
		uint64_t g = rng_next(&r) % 100;
		int64_t step = g < 60 ? (int64_t)(rng_next(&r) % 600000)
		    : g < 90	      ? (int64_t)(rng_next(&r) % (6 * HOUR))
		    : g < 99	      ? (int64_t)(rng_next(&r) % (72 * HOUR))
				      : 30 * 24 * HOUR;
		t[u] += step;
		int64_t at = t[u];
		if (rng_next(&r) % 13 == 0)
			at -= (int64_t)(rng_next(&r) % (48 * HOUR));
		struct evt_record e;
		struct lrn_item it;
		_event(&r, &e, p[u].user_key, at);
		/* Heavy users meet a wide pool: tables fill and admit. */
		_item(&r, &it, u < 4 ? 60 : 14);
		if (e.type == EVT_SEARCH) {
			e.entity_key = 0;
			it.category = 0;
		}
		lrn_apply(&p[u], &prm, &e, rng_next(&r) % 29 ? &it : NULL);
	}
	uint64_t h = 0xcbf29ce484222325ULL;
	unsigned drifted = 0, displaced = 0;
	for (unsigned u = 0; u < USERS; u++) {
		h = _fnv(h, &p[u], sizeof p[u]);
		drifted += p[u].drift_count;
		displaced += p[u].displaced;
	}
	/* The stream reaches the paths it is there for. */
	CHECK(drifted > 0);
	CHECK(displaced > 0);
	(void)argv;
	if (argc > 1) {
		printf("%016llx\n", (unsigned long long)h);
		return 0;
	}
	CHECK_EQ_INT(h, 0xacafd0a20161442aULL);
	return check_failures ? 1 : 0;
}
