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
	return check_done("learn seen items and category exposure");
}
