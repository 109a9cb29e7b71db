/*
 * learn geo: location cells keep a count and the day last seen; a full
 * table replaces the cell of least weight (count halving every
 * geo_half_life_days since the last visit), so a user who moved forgets
 * the old cells while a home visited daily stays.
 */
#include <string.h>

#include "check.h"
#include "engine/learn.h"

#define USER 5u
#define T0 1700000000000LL
#define DAY 86400000LL

#define A 0xa1u
#define B 0xb2u
#define C 0xc3u
#define D 0xd4u
#define E 0xe5u

static struct lrn_params prm;

static void at(struct lrn_profile *p, uint64_t cell, unsigned times, int64_t t)
{
	struct evt_record e;

	memset(&e, 0, sizeof e);
	e.user_key = USER;
	e.entity_key = 6;
	e.type = EVT_CLICK;
	e.time_ms = t;
	e.geo_cell = cell;
	for (unsigned i = 0; i < times; i++)
		lrn_apply(p, &prm, &e, NULL);
}

/* The slot of `cell`, -1 when not in the table. */
static int slot(const struct lrn_profile *p, uint64_t cell)
{
	for (unsigned i = 0; i < LRN_GEO; i++)
		if (p->geo_cell[i] == cell)
			return (int)i;
	return -1;
}

static unsigned count(const struct lrn_profile *p, uint64_t cell)
{
	int i = slot(p, cell);
	return i < 0 ? 0 : p->geo_n[i];
}

int main(void)
{
	struct lrn_profile p;

	lrn_params_default(&prm);
	lrn_profile_init(&p, USER);

	/* no location: nothing */
	at(&p, 0, 4, T0);
	for (unsigned i = 0; i < LRN_GEO; i++) {
		CHECK_EQ_INT(p.geo_cell[i], 0);
		CHECK_EQ_INT(p.geo_n[i], 0);
	}

	/* fill on one day: A x3, B x1, C x2 (slots 0, 1, 2) */
	at(&p, A, 3, T0);
	at(&p, B, 1, T0);
	at(&p, C, 2, T0);
	CHECK_EQ_INT(count(&p, A), 3);
	CHECK_EQ_INT(count(&p, B), 1);
	CHECK_EQ_INT(count(&p, C), 2);
	CHECK_EQ_INT(p.geo_day[0], T0 / DAY);

	/* same day, D replaces B, the least weight (1), starting at 1 */
	at(&p, D, 1, T0);
	CHECK_EQ_INT(slot(&p, B), -1);
	CHECK_EQ_INT(slot(&p, D), 1); /* B's slot */
	CHECK_EQ_INT(count(&p, D), 1);

	/* E: D (1) is the least; then a known cell just counts */
	at(&p, E, 1, T0);
	CHECK_EQ_INT(slot(&p, E), 1);
	at(&p, E, 2, T0);
	CHECK_EQ_INT(count(&p, E), 3);

	/* weights as of today: counts; 30 days later they have halved */
	CHECK_NEAR(lrn_geo_weight(&p, &prm, 0, T0), 3.0, 1e-12);
	CHECK_NEAR(lrn_geo_weight(&p, &prm, 0, T0 + 30 * DAY), 1.5, 1e-12);

	/* The user moves: 60 days later, home is C2... A (3, 60 days old:
	 * weight 0.75) loses against C (2, but visited now) and E (3). */
	at(&p, C, 1, T0 + 60 * DAY); /* C: 3, seen today */
	at(&p, B, 1, T0 + 60 * DAY); /* least now: A (0.75) vs E (0.75):
				      * tie, the lower slot (A, 0) goes */
	CHECK_EQ_INT(slot(&p, A), -1);
	CHECK_EQ_INT(slot(&p, B), 0);
	CHECK_EQ_INT(count(&p, C), 3);
	CHECK_EQ_INT(p.geo_day[slot(&p, C)], (T0 + 60 * DAY) / DAY);

	/* A daily home survives a stream of one-off places. */
	lrn_profile_init(&p, USER);
	for (int d = 0; d < 20; d++) {
		at(&p, A, 1, T0 + d * DAY);
		at(&p, 0x1000u + (uint64_t)d, 1, T0 + d * DAY + 1000);
	}
	CHECK_EQ_INT(count(&p, A), 20);
	CHECK_EQ_INT(p.events, 40);

	return check_done("learn geo recency");
}
