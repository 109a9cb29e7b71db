/*
 * learn drift: synthetic users at 5 events a day whose dominant category
 * switches on day 60 get the new one ranked first within 24 h of event time
 * (median; the share within 24 h is reported and bounded) and the drift flag
 * rises; stable users, one dominant interest or six equal ones, are flagged
 * by at most 5 % over 90 days. Prints the delays and rates.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "engine/learn.h"

#define T0 1704067200000LL /* 2024-01-01 */
#define DAY 86400000LL
#define USERS 200
#define RATE 5 /* events per day */
#define SWITCH_DAY 60
#define DAYS 90

struct rng {
	uint64_t s;
};

static uint64_t next(struct rng *r)
{
	uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static double unif(struct rng *r)
{
	return (double)(next(r) >> 11) / 9007199254740992.0;
}

/* Type mix: half views, 30 % clicks, 10 % saves, 5 % rsvps, 5 % shares. */
static uint8_t pick_type(struct rng *r)
{
	double x = unif(r);
	return x < 0.5 ? EVT_VIEW
	    : x < 0.8  ? EVT_CLICK
	    : x < 0.9  ? EVT_SAVE
	    : x < 0.95 ? EVT_RSVP
		       : EVT_SHARE;
}

/* Category c (1..8) has tags 100c+1..100c+3; an item carries two. */
static void item_of(struct rng *r, uint32_t cat, struct lrn_item *it)
{
	unsigned k = (unsigned)(next(r) % 3);
	memset(it, 0, sizeof *it);
	it->category = cat;
	it->n_tags = 2;
	it->tags[0] = 100 * cat + 1 + k;
	it->tags[1] = 100 * cat + 1 + (k + 1) % 3;
}

enum kind { SWITCHER, STABLE, BROAD, FULL, EQUAL6, BROAD10 };

/* Category of event at `day` for a user with shares pa (dominant), pb. */
static uint32_t pick_cat(struct rng *r, enum kind k, double pa, double pb,
    int day)
{
	double x = unif(r);
	if (k == BROAD10) /* more categories than slots */
		return 1 + (uint32_t)(x * 10.0);
	if (k == BROAD || (k == EQUAL6 && day < SWITCH_DAY))
		return 1 + (uint32_t)(x * 6.0);
	if (k == EQUAL6) /* six equal categories, then a 7th dominant */
		return x < pa ? 7 : 1 + (uint32_t)((x - pa) / (1.0 - pa) * 6.0);
	if (k == FULL) /* six categories, then a 7th never touched */
		return x < pa ? (day >= SWITCH_DAY ? 7 : 1)
			      : 2 + (uint32_t)((x - pa) / (1.0 - pa) * 5.0);
	uint32_t dom = k == SWITCHER && day >= SWITCH_DAY ? 4 : 1;
	return x < pa ? dom : x < pa + pb ? 2 : 3;
}

static uint32_t top_cat(const struct lrn_profile *p)
{
	unsigned order[LRN_CATS];
	return lrn_top(p->cats, LRN_CATS, order) ? p->cats[order[0]].id : 0;
}

static uint32_t top_tag(const struct lrn_profile *p)
{
	unsigned order[LRN_TAGS];
	return lrn_top(p->tags, LRN_TAGS, order) ? p->tags[order[0]].id : 0;
}

struct result {
	double cat_delay_h, tag_delay_h; /* -1: never */
	bool flagged_after;		 /* flag rose after the switch */
	unsigned flags;			 /* drift episodes */
	unsigned drifting, events;	 /* events applied while flagged */
};

static void run(const struct lrn_params *prm, enum kind k, uint64_t seed,
    struct result *res)
{
	struct rng r = { seed };
	struct lrn_profile p;
	double pa = 0.6 + 0.25 * unif(&r);
	double pb = (0.5 + 0.3 * unif(&r)) * (1.0 - pa);
	const int64_t ts = T0 + SWITCH_DAY * DAY;

	memset(res, 0, sizeof *res);
	res->cat_delay_h = res->tag_delay_h = -1.0;
	lrn_profile_init(&p, seed);
	for (int64_t i = 0; i < (int64_t)DAYS * RATE; i++) {
		/* one event in each fifth of a day, at a random moment */
		int64_t t = T0 + (int64_t)((i + unif(&r)) * DAY / RATE);
		int day = (int)((t - T0) / DAY);
		struct evt_record e;
		struct lrn_item it;

		memset(&e, 0, sizeof e);
		e.user_key = seed;
		e.entity_key = next(&r) | 1;
		e.type = pick_type(&r);
		e.time_ms = t;
		e.scroll_depth = -1.0f;
		item_of(&r, pick_cat(&r, k, pa, pb, day), &it);
		lrn_apply(&p, prm, &e, &it);
		res->events++;
		res->drifting += p.drift;
		if ((k != SWITCHER && k != FULL && k != EQUAL6) || t < ts)
			continue;
		uint32_t target = k == FULL || k == EQUAL6 ? 7 : 4;
		double h = (double)(t - ts) / 3600000.0;
		if (p.drift)
			res->flagged_after = true;
		if (res->cat_delay_h < 0 && top_cat(&p) == target)
			res->cat_delay_h = h;
		if (res->tag_delay_h < 0 && top_tag(&p) / 100 == target)
			res->tag_delay_h = h;
	}
	res->flags = p.drift_count;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Delays with "never" as +inf; returns the share within 24 h. */
static double summarize(const char *what, double *d, unsigned n)
{
	unsigned within = 0;
	for (unsigned i = 0; i < n; i++) {
		if (d[i] < 0)
			d[i] = INFINITY;
		within += d[i] <= 24.0;
	}
	qsort(d, n, sizeof d[0], cmp);
	printf("%s: median %.1f h, p90 %.1f h, max %.1f h, within 24 h %u/%u\n",
	    what, d[n / 2], d[n * 9 / 10], d[n - 1], within, n);
	return (double)within / n;
}

/* One event of `type` on category cat at t. */
static void one(struct lrn_profile *p, const struct lrn_params *prm,
    uint8_t type, uint32_t cat, int64_t t)
{
	struct evt_record e;
	struct lrn_item it = { .category = cat };
	memset(&e, 0, sizeof e);
	e.user_key = 1;
	e.entity_key = 1000 + cat;
	e.type = type;
	e.time_ms = t;
	lrn_apply(p, prm, &e, &it);
}

/*
 * Without smoothing or shrinkage (kl_smooth = kl_prior = 0, both
 * allowed), a category of negative events only has probability 0 in
 * both distributions: its term is 0 log 0 = 0, not NaN. Two months on two
 * categories, then a switch to a third must still be caught.
 */
static void bare_kl(void)
{
	struct lrn_params prm;
	struct lrn_profile p;
	lrn_params_default(&prm);
	prm.kl_smooth = 0.0;
	prm.kl_prior = 0.0;
	lrn_profile_init(&p, 1);
	one(&p, &prm, EVT_HIDE, 4, T0);
	for (unsigned d = 0; d < 60; d++)
		for (unsigned k = 0; k < 5; k++)
			one(&p, &prm, EVT_CLICK, 1 + k % 2,
			    T0 + d * DAY + k * 3 * 3600000LL);
	for (unsigned k = 0; k < 10; k++)
		one(&p, &prm, EVT_CLICK, 3, T0 + 60 * DAY + k * 3600000LL);
	double kl = lrn_drift_kl(&p, &prm);
	CHECK(!isnan(kl));
	CHECK(p.drift_count >= 1);
}

/*
 * An active user's long horizon moves: hourly events split between two
 * categories for 60 days, then the first alone for 140 days. The second's
 * long weight must fall behind (0.989 a day: to about 0.06 of the
 * first's), and the drift flag must not stay raised. Rounded to nearest,
 * bfloat16 froze both at their day-60 value (an hour's decay and one
 * event are below its half unit) and held the flag for the 140 days.
 */
static void long_moves(void)
{
	struct lrn_params prm;
	struct lrn_profile p;
	lrn_params_default(&prm);
	lrn_profile_init(&p, 1);
	int64_t h = 3600000LL;
	for (int64_t i = 0; i < 60 * 24; i++)
		one(&p, &prm, EVT_CLICK, 1 + (uint32_t)(i % 2), T0 + i * h);
	for (int64_t i = 60 * 24; i < 200 * 24; i++)
		one(&p, &prm, EVT_CLICK, 1, T0 + i * h);
	double a = 0, b = 0;
	for (unsigned i = 0; i < LRN_CATS; i++) {
		if (p.cats[i].id == 1)
			a = lrn_cat_long(&p, i);
		if (p.cats[i].id == 2)
			b = lrn_cat_long(&p, i);
	}
	CHECK(a > 0 && b / a < 0.2);
	CHECK(!p.drift);
}

int main(void)
{
	struct lrn_params prm;
	static double cat_d[USERS], tag_d[USERS];
	unsigned flagged = 0;

	bare_kl();
	long_moves();
	lrn_params_default(&prm);
	for (unsigned u = 0; u < USERS; u++) {
		struct result res;
		run(&prm, SWITCHER, 1000 + u, &res);
		cat_d[u] = res.cat_delay_h;
		tag_d[u] = res.tag_delay_h;
		flagged += res.flagged_after;
	}
	printf("drift: %u users, %d events/day, switch on day %d\n", USERS,
	    RATE, SWITCH_DAY);
	double cat_in = summarize("new category ranked first", cat_d, USERS);
	double tag_in = summarize("new tag ranked first", tag_d, USERS);
	printf("drift flag rose after the switch: %u/%u\n", flagged, USERS);
	CHECK(cat_d[USERS / 2] <= 12.0);
	CHECK(tag_d[USERS / 2] <= 24.0);
	CHECK(cat_in >= 0.8 && tag_in >= 0.8);
	CHECK(flagged >= USERS * 95 / 100);

	/* The new interest is a 7th category while six fill the table: it
	 * must be admitted first, then rank first; median within 12 h. */
	flagged = 0;
	for (unsigned u = 0; u < USERS; u++) {
		struct result res;
		run(&prm, FULL, 9000 + u, &res);
		cat_d[u] = res.cat_delay_h;
		tag_d[u] = res.tag_delay_h;
		flagged += res.flagged_after;
	}
	printf("drift into a full table (6 categories, then a 7th):\n");
	cat_in = summarize("new category ranked first", cat_d, USERS);
	tag_in = summarize("new tag ranked first", tag_d, USERS);
	printf("drift flag rose after the switch: %u/%u\n", flagged, USERS);
	CHECK(cat_d[USERS / 2] <= 12.0);
	CHECK(cat_in >= 0.8);

	/* The same into a table of six equal interests: the weakest entry
	 * is no weaker than the rest, and all are still attended a little. */
	for (unsigned u = 0; u < USERS; u++) {
		struct result res;
		run(&prm, EQUAL6, 19000 + u, &res);
		cat_d[u] = res.cat_delay_h;
	}
	printf("drift into a full table of six equal categories:\n");
	cat_in = summarize("new category ranked first", cat_d, USERS);
	CHECK(cat_d[USERS / 2] <= 12.0);
	CHECK(cat_in >= 0.8);

	static const char *const names[] = { "", "stable (one dominant)",
		"stable (six equal)" };
	for (enum kind k = STABLE; k <= BROAD; k++) {
		unsigned users = 0;
		uint64_t drifting = 0, events = 0;
		for (unsigned u = 0; u < USERS; u++) {
			struct result res;
			run(&prm, k, 50000 + 1000 * k + u, &res);
			users += res.flags > 0;
			drifting += res.drifting;
			events += res.events;
		}
		printf(
		    "%s: flagged %u/%u users (%.1f %%) over %d days, drifting %.3f %% of events\n",
		    names[k], users, USERS, 100.0 * users / USERS, DAYS,
		    100.0 * drifting / events);
		CHECK(users <= USERS * 5 / 100);
	}
	/* Broad users, ten equal categories for six slots: their interests
	 * take turns in the table, and in the short window (a day at five
	 * events) they often look new. Reported, not bounded: the drift
	 * pull then follows their current turn. */
	unsigned users = 0;
	uint64_t drifting = 0, events = 0;
	for (unsigned u = 0; u < USERS; u++) {
		struct result res;
		run(&prm, BROAD10, 70000 + u, &res);
		users += res.flags > 0;
		drifting += res.drifting;
		events += res.events;
	}
	printf("broad (ten equal, six slots): flagged %u/%u users, drifting "
	       "%.3f %% of events\n",
	    users, USERS, 100.0 * drifting / events);
	return check_done("learn drift scenario and stable false positives");
}
