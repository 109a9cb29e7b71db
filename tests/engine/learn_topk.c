/*
 * learn top-K: a full tag (category) table drops a newcomer no stronger than
 * its weakest entry, and lets a stronger one evict that entry.
 */
#include <string.h>

#include "check.h"
#include "engine/learn.h"
#include "weights.h"

#define USER 7u
#define T0 1700000000000LL

static struct lrn_params prm;

static void apply(struct lrn_profile *p, uint8_t type, int8_t fb, uint32_t cat,
    uint32_t tag)
{
	struct evt_record e;
	struct lrn_item it = { .category = cat,
		.n_tags = tag != 0,
		.tags = { tag } };

	memset(&e, 0, sizeof e);
	e.user_key = USER;
	e.entity_key = 3;
	e.type = type;
	e.feedback = fb;
	e.time_ms = T0; /* one instant: weights are exact sums */
	lrn_apply(p, &prm, &e, &it);
}

int main(void)
{
	struct lrn_profile p;

	lrn_params_default(&prm);
	lrn_profile_init(&p, USER);

	/* Tags 101..112 by clicks (0.03) except 105, a view (0.01): weakest. */
	for (uint32_t t = 101; t <= 100 + LRN_TAGS; t++)
		apply(&p, t == 105 ? EVT_VIEW : EVT_CLICK, 0, 0, t);
	CHECK_EQ_INT(used(p.tags, LRN_TAGS), LRN_TAGS);
	CHECK_EQ_INT(p.dropped, 0);

	/* A view of a new tag: 0.01 is not > 0.01, dropped. */
	apply(&p, EVT_VIEW, 0, 0, 200);
	CHECK(find(p.tags, LRN_TAGS, 200) == NULL);
	CHECK(find(p.tags, LRN_TAGS, 105) != NULL);
	CHECK_EQ_INT(p.dropped, 1);

	/* A known tag still learns in a full table. */
	apply(&p, EVT_VIEW, 0, 0, 105);
	CHECK_NEAR(w_of(p.tags, LRN_TAGS, 105), 0.02, 1e-15);
	CHECK_EQ_INT(ev_of(p.tags, LRN_TAGS, 105), 2);
	CHECK_EQ_INT(p.dropped, 1);

	/* An rsvp of a new tag (0.1 > 0.02) evicts 105. */
	apply(&p, EVT_RSVP, 0, 0, 201);
	CHECK(find(p.tags, LRN_TAGS, 105) == NULL);
	REQUIRE(find(p.tags, LRN_TAGS, 201) != NULL);
	CHECK_NEAR(w_of(p.tags, LRN_TAGS, 201), 0.1, 1e-15);
	CHECK_EQ_INT(ev_of(p.tags, LRN_TAGS, 201), 1);
	CHECK_EQ_INT(used(p.tags, LRN_TAGS), LRN_TAGS);
	CHECK_EQ_INT(p.dropped, 1);

	/* |weight| rules, not weight: negative feedback (-0.05) beats a 0.03
	 * entry; the lowest-slot 0.03 entry (tag 101) goes. */
	apply(&p, EVT_FEEDBACK, -1, 0, 202);
	CHECK(find(p.tags, LRN_TAGS, 101) == NULL);
	REQUIRE(find(p.tags, LRN_TAGS, 202) != NULL);
	CHECK_NEAR(w_of(p.tags, LRN_TAGS, 202), -0.05, 1e-15);
	CHECK_EQ_INT(p.dropped, 1);
	/* everyone else is still there */
	for (uint32_t t = 102; t <= 100 + LRN_TAGS; t++)
		CHECK(t == 105 || find(p.tags, LRN_TAGS, t) != NULL);

	/* The next newcomer (share, 0.07) evicts the next 0.03 entry (102),
	 * not -0.05: the weakest is by |weight|. */
	apply(&p, EVT_SHARE, 0, 0, 203);
	CHECK(find(p.tags, LRN_TAGS, 102) == NULL);
	CHECK(find(p.tags, LRN_TAGS, 202) != NULL);
	CHECK(find(p.tags, LRN_TAGS, 203) != NULL);
	CHECK_EQ_INT(p.dropped, 1);

	/* Two weak newcomers in one item: each counts as a drop. */
	{
		struct evt_record e;
		struct lrn_item it = { .n_tags = 2, .tags = { 300, 301 } };

		memset(&e, 0, sizeof e);
		e.user_key = USER;
		e.type = EVT_VIEW;
		e.time_ms = T0;
		lrn_apply(&p, &prm, &e, &it);
		CHECK_EQ_INT(p.dropped, 3);
	}

	/* Categories: 1..6 by saves (0.08) except 4, a click (0.03). */
	lrn_profile_init(&p, USER);
	for (uint32_t c = 1; c <= LRN_CATS; c++)
		apply(&p, c == 4 ? EVT_CLICK : EVT_SAVE, 0, c, 0);
	CHECK_EQ_INT(used(p.cats, LRN_CATS), LRN_CATS);
	CHECK_EQ_INT(used(p.tags, LRN_TAGS), 0);

	apply(&p, EVT_CLICK, 0, 50, 0); /* 0.03, not > 0.03 */
	CHECK(find(p.cats, LRN_CATS, 50) == NULL);
	CHECK_EQ_INT(p.dropped, 1);

	apply(&p, EVT_SHARE, 0, 51, 0); /* 0.07 > 0.03: evicts 4 */
	CHECK(find(p.cats, LRN_CATS, 4) == NULL);
	REQUIRE(find(p.cats, LRN_CATS, 51) != NULL);
	CHECK_NEAR(w_of(p.cats, LRN_CATS, 51), 0.07, 1e-15);
	CHECK_EQ_INT(p.dropped, 1);

	/* 0.07 is not > 0.07, the weight of 51, now the weakest: dropped */
	apply(&p, EVT_SHARE, 0, 52, 0);
	CHECK(find(p.cats, LRN_CATS, 52) == NULL);
	CHECK_EQ_INT(p.dropped, 2);
	CHECK_EQ_INT(used(p.cats, LRN_CATS), LRN_CATS);

	return check_done("learn top-K eviction");
}
