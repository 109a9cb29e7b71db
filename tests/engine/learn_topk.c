/*
 * learn admission: a full table counts newcomers among its candidates
 * (space-saving) and promotes one once its guaranteed mass passes the
 * weakest entry: sustained attention to a 13th category gets in and ranks
 * by its weight, a stray view evicts nothing, an evicted interest can come
 * back, and no contribution is lost from the counts.
 */
#include <math.h>
#include <string.h>

#include "check.h"
#include "engine/learn.h"
#include "weights.h"

#define USER 7u
#define T0 1699999200000LL /* an hour's start */
#define MIN 60000LL

static struct lrn_params prm;

static void apply(struct lrn_profile *p, uint8_t type, uint32_t cat,
    uint32_t tag, uint64_t entity, int64_t t)
{
	struct evt_record e;
	struct lrn_item it = { .category = cat,
		.n_tags = tag != 0,
		.tags = { tag } };

	memset(&e, 0, sizeof e);
	e.user_key = USER;
	e.entity_key = entity;
	e.type = type;
	e.time_ms = t;
	lrn_apply(p, &prm, &e, &it);
}

static int rank_of(const struct lrn_weight *ws, unsigned n, uint32_t id)
{
	unsigned order[LRN_TAGS];
	unsigned k = lrn_top(ws, n, order);
	for (unsigned i = 0; i < k; i++)
		if (ws[order[i]].id == id)
			return (int)i + 1;
	return 0;
}

static const struct lrn_shadow *cand(const struct lrn_shadow *sh, uint32_t id)
{
	for (unsigned i = 0; i < LRN_SHADOWS; i++)
		if (sh[i].id == id)
			return &sh[i];
	return NULL;
}

/* The reproduction: 12 saves on 12 categories (and tags), then 50
 * views of a 13th within an hour. */
static void thirteenth(void)
{
	struct lrn_profile p;
	lrn_profile_init(&p, USER);
	for (uint32_t c = 1; c <= 12; c++)
		apply(&p, EVT_SAVE, c, 100 + c, c, T0 + (int64_t)c * MIN);
	CHECK_EQ_INT(used(p.cats, LRN_CATS), LRN_CATS);
	CHECK_EQ_INT(used(p.tags, LRN_TAGS), LRN_TAGS);
	int64_t t = T0 + 20 * MIN;
	for (unsigned v = 0; v < 50; v++)
		apply(&p, EVT_VIEW, 13, 113, 1000 + v, t + (int64_t)v * MIN);
	/* In both tables, first by weight: 50 views of 0.01 beat a save. */
	CHECK(find(p.cats, LRN_CATS, 13) != NULL);
	CHECK(find(p.tags, LRN_TAGS, 113) != NULL);
	CHECK_EQ_INT(rank_of(p.cats, LRN_CATS, 13), 1);
	CHECK_EQ_INT(rank_of(p.tags, LRN_TAGS, 113), 1);
	/* Its weight is its own contributions since it was counted: at
	 * least the views after promotion, at most all 50. */
	struct lrn_profile v = settled(&p, &prm);
	double w13 = w_of(v.cats, LRN_CATS, 13);
	CHECK(w13 > 0.35 && w13 <= 0.5 + 1e-6);
	CHECK_EQ_INT(p.events, 62);
}

/* A stray view of a new category evicts nothing built over time. */
static void stray(void)
{
	struct lrn_profile p;
	lrn_profile_init(&p, USER);
	for (uint32_t c = 1; c <= LRN_CATS; c++)
		for (unsigned k = 0; k < 3; k++)
			apply(&p, EVT_CLICK, c, 0, c, T0 + (int64_t)k * MIN);
	struct lrn_profile before = settled(&p, &prm);
	apply(&p, EVT_VIEW, 77, 0, 77, T0 + 10 * MIN);
	struct lrn_profile v = settled(&p, &prm);
	for (uint32_t c = 1; c <= LRN_CATS; c++)
		CHECK_W(w_of(v.cats, LRN_CATS, c),
		    lrn_weight_at(&before, &prm, w_of(before.cats, LRN_CATS, c),
			T0 + 10 * MIN));
	CHECK(find(p.cats, LRN_CATS, 77) == NULL);
	const struct lrn_shadow *x = cand(v.shadow_cats, 77);
	REQUIRE(x != NULL);
	CHECK_W(lrn_shadow_mass(x), 0.01);
	/* Even a strong single event must beat the weakest to get in: a
	 * share (0.07) does not pass 3 clicks (0.09), a second one does. */
	apply(&p, EVT_SHARE, 78, 0, 78, T0 + 11 * MIN);
	CHECK(find(p.cats, LRN_CATS, 78) == NULL);
	apply(&p, EVT_SHARE, 78, 0, 78, T0 + 12 * MIN);
	CHECK(find(p.cats, LRN_CATS, 78) != NULL);
	v = settled(&p, &prm);
	CHECK_NEAR(w_of(v.cats, LRN_CATS, 78), 0.14,
	    1e-4); /* minutes of decay */
	/* The evicted interest (the weakest, slot 0 on ties) is now a
	 * candidate with its mass, and can come back. */
	CHECK(find(p.cats, LRN_CATS, 1) == NULL);
	x = cand(v.shadow_cats, 1);
	REQUIRE(x != NULL);
	CHECK_NEAR(lrn_shadow_mass(x), 0.09, 1e-4); /* minutes of decay */
}

/* Space-saving: a newcomer takes the least-counted candidate and
 * inherits its count as the error bound; nothing leaves the counts. */
static void space_saving(void)
{
	struct lrn_profile p;
	lrn_profile_init(&p, USER);
	for (uint32_t c = 1; c <= LRN_CATS; c++)
		apply(&p, EVT_RSVP, c, 0, c, T0); /* 0.1 each */
	apply(&p, EVT_VIEW, 50, 0, 50, T0);	  /* candidate 0: 0.01 */
	apply(&p, EVT_CLICK, 51, 0, 51, T0);	  /* candidate 1: 0.03 */
	CHECK_EQ_INT(p.displaced, 0);
	apply(&p, EVT_CLICK, 52, 0, 52, T0); /* takes 50's place (least) */
	CHECK_EQ_INT(p.displaced, 1);
	CHECK(cand(p.shadow_cats, 50) == NULL);
	const struct lrn_shadow *x = cand(p.shadow_cats, 52);
	REQUIRE(x != NULL);
	CHECK_W(x->m, 0.04);		   /* 0.01 inherited + 0.03 */
	CHECK_W(lrn_shadow_mass(x), 0.03); /* guaranteed: its own */
	/* Candidates decay like w: a day later both read 0.95 as much. */
	apply(&p, EVT_VIEW, 0, 0, 9, T0 + 86400000LL); /* no item data */
	x = cand(p.shadow_cats, 52);
	CHECK_W(x->m, 0.04 * 0.95);
	CHECK_W(w_of(p.cats, LRN_CATS, 1), 0.1 * 0.95);
	/* Negative evidence about a candidate counts in its mass and its
	 * net: a dislike-heavy newcomer enters with a negative weight. */
	lrn_profile_init(&p, USER);
	for (uint32_t c = 1; c <= LRN_CATS; c++)
		apply(&p, EVT_CLICK, c, 0, c, T0);
	apply(&p, EVT_DISLIKE, 60, 0, 60, T0); /* -0.06: |.| > 0.03 */
	CHECK_W(w_of(p.cats, LRN_CATS, 60), -0.06);
}

/* A table full of categories 1..LRN_CATS, three clicks each at T0. */
static void full_table(struct lrn_profile *p)
{
	lrn_profile_init(p, USER);
	for (uint32_t c = 1; c <= LRN_CATS; c++)
		for (unsigned k = 0; k < 3; k++)
			apply(p, EVT_CLICK, c, 0, c, T0);
}

/* Sustained attention now beats an idle weaker entry: two events of a new
 * category enter when the weakest entry got nothing for days, not while
 * it is attended too; admit_events 255 turns this off. */
static void sustained(void)
{
	struct lrn_profile p;
	full_table(&p);
	struct lrn_profile busy = p;
	apply(&busy, EVT_VIEW, 90, 0, 90, T0 + MIN);
	apply(&busy, EVT_VIEW, 90, 0, 91, T0 + 2 * MIN);
	CHECK(find(busy.cats, LRN_CATS, 90) == NULL); /* all attended now */
	int64_t later = T0 + 2 * 86400000LL;	      /* 6 half-lives idle */
	apply(&p, EVT_VIEW, 90, 0, 90, later);
	CHECK(find(p.cats, LRN_CATS, 90) == NULL); /* one event: never */
	apply(&p, EVT_VIEW, 90, 0, 91, later + MIN);
	CHECK(find(p.cats, LRN_CATS, 90) != NULL);
	CHECK_NEAR(w_of(settled(&p, &prm).cats, LRN_CATS, 90), 0.02, 1e-6);
	/* its evidence: both events of the run that let it in */
	CHECK_EQ_INT(ev_of(p.cats, LRN_CATS, 90), 2);
	/* the evicted one keeps its mass as the candidate */
	CHECK(cand(p.shadow_cats, 1) != NULL);
	/* Two events are no sustained attention when a long gap parts
	 * them: a view, a month of nothing, a view (each run restarts). */
	full_table(&p);
	apply(&p, EVT_VIEW, 90, 0, 90, later);
	apply(&p, EVT_VIEW, 90, 0, 91, later + 30 * 86400000LL);
	CHECK(find(p.cats, LRN_CATS, 90) == NULL);
	/* A late event is no part of a run: a view now, then one of 30
	 * hours before arriving late, is not two in a row. */
	full_table(&p);
	apply(&p, EVT_VIEW, 90, 0, 90, later);
	apply(&p, EVT_VIEW, 90, 0, 91, later - 30 * 3600000LL);
	CHECK(find(p.cats, LRN_CATS, 90) == NULL);
	/* ... and a gap just past admit_gap_h (12 h) parts them too, while
	 * one within it does not */
	full_table(&p);
	apply(&p, EVT_VIEW, 90, 0, 90, later);
	apply(&p, EVT_VIEW, 90, 0, 91, later + 13 * 3600000LL);
	CHECK(find(p.cats, LRN_CATS, 90) == NULL);
	apply(&p, EVT_VIEW, 90, 0, 92, later + 24 * 3600000LL);
	CHECK(find(p.cats, LRN_CATS, 90) != NULL);
	prm.admit_events = 255;
	full_table(&p);
	apply(&p, EVT_VIEW, 90, 0, 90, later);
	apply(&p, EVT_VIEW, 90, 0, 91, later + MIN);
	CHECK(find(p.cats, LRN_CATS, 90) == NULL);
	prm.admit_events = 2;
}

/* A bfloat16 drift horizon as a float. */
static float bf(uint16_t h)
{
	uint32_t u = (uint32_t)h << 16;
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

static int slot_of(const struct lrn_profile *p, uint32_t cat)
{
	for (int i = 0; i < LRN_CATS; i++)
		if (p->cats[i].id == cat)
			return i;
	return -1;
}

/*
 * One act (a click, a save, a purchase...) is sustained attention enough:
 * a click on a new category takes the place of an idle weaker entry at
 * once (a view needs a run: sustained()), not while every entry is
 * attended, and not with admit_acts off. A promoted category's drift
 * horizons start from what it brings: its short count from its run, its
 * long one from the weight it had as a candidate (an interest coming back
 * is not a new one).
 */
static void acts(void)
{
	struct lrn_profile p;
	int64_t later = T0 + 2 * 86400000LL; /* 6 half-lives idle */
	full_table(&p);
	struct lrn_profile busy = p;
	apply(&busy, EVT_CLICK, 90, 0, 90, T0 + MIN);
	CHECK(find(busy.cats, LRN_CATS, 90) == NULL); /* all attended now */
	struct lrn_profile off = p;
	apply(&p, EVT_CLICK, 90, 0, 90, later);
	int i = slot_of(&p, 90);
	CHECK(i >= 0);
	if (i >= 0) {
		CHECK_NEAR(w_of(settled(&p, &prm).cats, LRN_CATS, 90), 0.03,
		    1e-6);
		CHECK_EQ_INT(ev_of(p.cats, LRN_CATS, 90), 1);
		CHECK_NEAR(bf(p.cat_count[i]), 1.0, 1e-6); /* itself */
		/* never a candidate before: nothing long to start from */
		CHECK_NEAR(bf(p.cat_long[i]), 0.03, 0.03 / 128);
	}
	CHECK(cand(p.shadow_cats, 1) != NULL); /* the weakest, lowest slot */
	prm.admit_acts = false;
	apply(&off, EVT_CLICK, 90, 0, 90, later);
	CHECK(find(off.cats, LRN_CATS, 90) == NULL);
	prm.admit_acts = true;

	/* A run of two views: its short count starts at 2. */
	full_table(&p);
	apply(&p, EVT_VIEW, 90, 0, 90, later);
	apply(&p, EVT_VIEW, 90, 0, 91, later + MIN);
	i = slot_of(&p, 90);
	CHECK(i >= 0);
	if (i >= 0)
		CHECK_NEAR(bf(p.cat_count[i]), 2.0, 1e-6);
	/* Category 1, evicted by it, comes back with a click an hour
	 * later (its weight as a candidate outweighs 90's): its long
	 * horizon starts from that weight on the others' scale (their
	 * cat_long over their w, ~1.08 after two days), not from 0. */
	apply(&p, EVT_CLICK, 1, 0, 1, later + 60 * MIN);
	i = slot_of(&p, 1);
	CHECK(i >= 0);
	if (i >= 0) {
		double left = 0.09 * 0.95 * 0.95; /* its w after two days */
		double scale = (0.09 * pow(0.989, 2)) / left;
		CHECK_NEAR(bf(p.cat_long[i]), left * scale + 0.03,
		    (left * scale + 0.03) / 64);
		CHECK_NEAR(bf(p.cat_count[i]), 1.0, 1e-6);
	}
}

int main(void)
{
	lrn_params_default(&prm);
	thirteenth();
	sustained();
	stray();
	space_saving();
	acts();
	return check_done("learn admission");
}
