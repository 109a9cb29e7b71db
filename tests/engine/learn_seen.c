/*
 * learn seen: the profile remembers the last LRN_SEEN entities it met
 * (views, impressions, actions; conversions apart) and counts impressions
 * of and actions on each category slot's items, halving both together so
 * the rate survives saturation: what fatigue and exploration read.
 */
#include <string.h>

#include "check.h"
#include "engine/learn.h"

#define USER 3u
#define T0 1767225600000LL

static struct lrn_params prm;

static void apply(struct lrn_profile *p, uint8_t type, uint64_t entity,
    uint32_t cat, unsigned times)
{
	struct evt_record e;
	struct lrn_item it = { .category = cat, .n_tags = 0 };
	memset(&e, 0, sizeof(e));
	e.user_key = USER;
	e.entity_key = entity;
	e.type = type;
	e.time_ms = T0;
	e.position = 2;
	e.scroll_depth = -1.0f;
	for (unsigned i = 0; i < times; i++)
		lrn_apply(p, &prm, &e, cat ? &it : NULL);
}

int main(void)
{
	struct lrn_profile p;
	lrn_params_default(&prm);
	lrn_profile_init(&p, USER);

	apply(&p, EVT_IMPRESSION, 10, 5, 3);
	apply(&p, EVT_VIEW, 10, 5, 2);
	struct lrn_seen_info s = lrn_seen(&p, 10);
	CHECK_EQ_INT(s.impressions, 3);
	CHECK_EQ_INT(s.views, 2);
	CHECK(!s.engaged && !s.converted);
	apply(&p, EVT_CLICK, 10, 5, 1);
	s = lrn_seen(&p, 10);
	CHECK(s.engaged && !s.converted);
	apply(&p, EVT_PURCHASE, 10, 5, 1);
	CHECK(lrn_seen(&p, 10).converted);
	/* negative or neutral acts are no action */
	apply(&p, EVT_SKIP, 11, 5, 1);
	CHECK(!lrn_seen(&p, 11).engaged);
	CHECK(lrn_is_action(&prm, &(struct evt_record){ .type = EVT_CART }));
	CHECK(!lrn_is_action(&prm, &(struct evt_record){ .type = EVT_SEARCH }));
	CHECK(lrn_is_conversion(&(struct evt_record){ .type = EVT_RSVP }));
	/* impressions saturate at 15 */
	apply(&p, EVT_IMPRESSION, 12, 5, 20);
	CHECK_EQ_INT(lrn_seen(&p, 12).impressions, 15);
	/* category 5's slot: 23 impressions, 2 actions */
	int slot = -1;
	for (int i = 0; i < LRN_CATS; i++)
		if (p.cats[i].id == 5)
			slot = i;
	REQUIRE(slot >= 0);
	CHECK_EQ_INT(p.cat_imp[slot], 23);
	CHECK_EQ_INT(p.cat_clk[slot], 2);
	/* 255 impressions: then both halve, keeping the rate */
	apply(&p, EVT_IMPRESSION, 13, 5, 232);
	CHECK_EQ_INT(p.cat_imp[slot], 255);
	apply(&p, EVT_IMPRESSION, 13, 5, 1);
	CHECK_EQ_INT(p.cat_imp[slot], 128);
	CHECK_EQ_INT(p.cat_clk[slot], 1);
	/* the memory keeps LRN_SEEN entities, most recent first */
	for (uint64_t k = 100; k < 100 + LRN_SEEN; k++)
		apply(&p, EVT_VIEW, k, 0, 1);
	CHECK_EQ_INT(lrn_seen(&p, 10).views, 0); /* pushed out */
	CHECK_EQ_INT(lrn_seen(&p, 100 + LRN_SEEN - 1).views, 1);
	CHECK_EQ_INT(lrn_seen(&p, 0).views, 0);

	/* Impressions alone hold at most seen_impressions_max entries: pages
	 * of recommendations shown keep what the user touched. */
	CHECK_EQ_INT(prm.seen_impressions_max, LRN_SEEN); /* the default */
	prm.seen_impressions_max = 8;
	lrn_profile_init(&p, USER);
	for (uint64_t k = 200; k < 200 + LRN_SEEN; k++)
		apply(&p, k % 2 ? EVT_CLICK : EVT_VIEW, k, 5, 1);
	/* full of touched items: the first impressions replace them by
	 * recency until the max is held */
	for (uint64_t k = 300; k < 300 + 5 * LRN_SEEN; k++)
		apply(&p, EVT_IMPRESSION, k, 5, 1);
	unsigned touched = 0, shown = 0;
	for (uint64_t k = 200; k < 200 + LRN_SEEN; k++)
		touched += lrn_seen(&p, k).views > 0 || lrn_seen(&p, k).engaged;
	for (uint64_t k = 300; k < 300 + 5 * LRN_SEEN; k++)
		shown += lrn_seen(&p, k).impressions > 0;
	CHECK_EQ_INT(shown, 8);
	CHECK_EQ_INT(touched, LRN_SEEN - 8);
	/* the newest impressions are the ones kept, the newest first */
	struct lrn_seen_info si;
	CHECK_EQ_INT(lrn_seen(&p, 300 + 5 * LRN_SEEN - 1).impressions, 1);
	CHECK_EQ_INT(lrn_seen(&p, 300 + 5 * LRN_SEEN - 8).impressions, 1);
	CHECK_EQ_INT(lrn_seen(&p, 300 + 5 * LRN_SEEN - 9).impressions, 0);
	CHECK(lrn_seen_entry(&p, 0, &si) != 0 && si.impressions == 1);
	/* the touched ones kept are the most recent of them */
	CHECK(lrn_seen(&p, 200 + LRN_SEEN - 1).engaged);
	CHECK_EQ_INT(lrn_seen(&p, 200).views, 0);
	/* a view of an impression-only item makes it touched: it stays */
	apply(&p, EVT_VIEW, 300 + 5 * LRN_SEEN - 8, 5, 1);
	for (uint64_t k = 400; k < 400 + LRN_SEEN; k++)
		apply(&p, EVT_IMPRESSION, k, 5, 1);
	CHECK_EQ_INT(lrn_seen(&p, 300 + 5 * LRN_SEEN - 8).views, 1);
	/* a touched newcomer still replaces by recency */
	apply(&p, EVT_CLICK, 500, 5, 1);
	CHECK(lrn_seen(&p, 500).engaged);
	/* 16: plain recency, impressions push everything out */
	prm.seen_impressions_max = LRN_SEEN;
	lrn_profile_init(&p, USER);
	apply(&p, EVT_CLICK, 600, 5, 1);
	for (uint64_t k = 700; k < 700 + LRN_SEEN; k++)
		apply(&p, EVT_IMPRESSION, k, 5, 1);
	CHECK(!lrn_seen(&p, 600).engaged);
	/* free room takes impressions beyond the max; once full they
	 * replace one another, the touched ones stay */
	prm.seen_impressions_max = 8;
	lrn_profile_init(&p, USER);
	for (uint64_t k = 600; k < 603; k++)
		apply(&p, EVT_CLICK, k, 5, 1);
	for (uint64_t k = 700; k < 700 + 3 * LRN_SEEN; k++)
		apply(&p, EVT_IMPRESSION, k, 5, 1);
	shown = 0;
	for (uint64_t k = 700; k < 700 + 3 * LRN_SEEN; k++)
		shown += lrn_seen(&p, k).impressions > 0;
	CHECK_EQ_INT(shown, LRN_SEEN - 3);
	for (uint64_t k = 600; k < 603; k++)
		CHECK(lrn_seen(&p, k).engaged);
	/* 0: once full, impressions count only on items already there */
	prm.seen_impressions_max = 0;
	lrn_profile_init(&p, USER);
	for (uint64_t k = 600; k < 600 + LRN_SEEN; k++)
		apply(&p, EVT_CLICK, k, 5, 1);
	apply(&p, EVT_IMPRESSION, 800, 5, 1);
	apply(&p, EVT_IMPRESSION, 600, 5, 2);
	CHECK_EQ_INT(lrn_seen(&p, 800).impressions, 0);
	CHECK_EQ_INT(lrn_seen(&p, 600).impressions, 2);
	CHECK(lrn_seen(&p, 601).engaged);
	/* ... also when some came in while there was room: they stay,
	 * and no newcomer replaces them */
	lrn_profile_init(&p, USER);
	for (uint64_t k = 600; k < 610; k++)
		apply(&p, EVT_CLICK, k, 5, 1);
	for (uint64_t k = 700; k < 706; k++)
		apply(&p, EVT_IMPRESSION, k, 5, 1);
	for (uint64_t k = 800; k < 840; k++)
		apply(&p, EVT_IMPRESSION, k, 5, 1);
	shown = 0;
	for (uint64_t k = 800; k < 840; k++)
		shown += lrn_seen(&p, k).impressions > 0;
	CHECK_EQ_INT(shown, 0);
	CHECK_EQ_INT(lrn_seen(&p, 700).impressions, 1);
	return check_done("learn seen items and category exposure");
}
