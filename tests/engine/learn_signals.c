/*
 * learn signals: feedback signs and counts, searches learn the matched tags,
 * an unknown entity counts as unknown without learning, duplicate and zero
 * tag ids are skipped.
 */
#include <string.h>

#include "check.h"
#include "engine/learn.h"
#include "weights.h"

#define USER 42u
#define T0 1699999200000LL /* 2023-11-14T22:00:00Z: an hour's start */

static struct evt_record ev(uint8_t type, int8_t fb)
{
	struct evt_record e;

	memset(&e, 0, sizeof e);
	e.user_key = USER;
	e.entity_key = type == EVT_SEARCH ? 0 : 5;
	e.type = type;
	e.feedback = fb;
	e.time_ms = T0; /* same instant: no decay anywhere in this test */
	return e;
}

int main(void)
{
	struct lrn_params prm;
	struct lrn_profile p;
	struct evt_record e;

	lrn_params_default(&prm);

	/* the commerce and media verbs, and a custom verb's own signal */
	static const struct {
		uint8_t type;
		double sig;
		unsigned count;
	} verbs[] = {
		{ EVT_CART, 0.5, LRN_N_CART },
		{ EVT_PURCHASE, 1.0, LRN_N_PURCHASE },
		{ EVT_LIKE, 0.6, LRN_N_LIKE },
		{ EVT_DISLIKE, -0.6, LRN_N_DISLIKE },
		{ EVT_SKIP, -0.05, LRN_N_SKIP },
		{ EVT_HIDE, -0.8, LRN_N_HIDE },
		{ EVT_CUSTOM0 + 2, 0.25, LRN_N_CUSTOM0 + 2 },
	};
	prm.verb_signal[2] = 0.25;
	for (unsigned i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		struct lrn_item it = { .category = 9,
			.n_tags = 1,
			.tags = { 4 } };
		e = ev(verbs[i].type, 0);
		CHECK_NEAR(lrn_signal(&prm, &e), verbs[i].sig, 0);
		CHECK_EQ_INT(lrn_count_of(verbs[i].type, 0), verbs[i].count);
		lrn_profile_init(&p, e.user_key);
		lrn_apply(&p, &prm, &e, &it);
		CHECK_EQ_INT(p.counts[verbs[i].count], 1);
		CHECK_NEAR(settled(&p, &prm).cats[0].w, verbs[i].sig * 0.1,
		    1e-8);
	}
	/* an impression: a weak negative, less so further down the list */
	e = ev(EVT_IMPRESSION, 0);
	CHECK_NEAR(lrn_event_signal(&prm, &e, 0), -0.02, 1e-15);
	e.position = 3;
	CHECK_NEAR(lrn_event_signal(&prm, &e, 0), -0.01, 1e-15);
	CHECK_EQ_INT(lrn_count_of(EVT_IMPRESSION, 0), LRN_N_IMPRESSION);
	CHECK_EQ_INT(lrn_count_of(EVT_TYPE_COUNT, 0), LRN_N_COUNT);
	CHECK_EQ_INT(lrn_count_of(EVT_FEEDBACK, 0), LRN_N_COUNT);
	prm.verb_signal[2] = 0.0;

	/* the DESIGN.md table */
	CHECK_NEAR(lrn_signal(&prm, &(struct evt_record){ .type = EVT_VIEW }),
	    0.1, 0);
	CHECK_NEAR(lrn_signal(&prm, &(struct evt_record){ .type = EVT_CLICK }),
	    0.3, 0);
	CHECK_NEAR(lrn_signal(&prm, &(struct evt_record){ .type = EVT_RSVP }),
	    1.0, 0);
	CHECK_NEAR(lrn_signal(&prm, &(struct evt_record){ .type = EVT_SAVE }),
	    0.8, 0);
	CHECK_NEAR(lrn_signal(&prm, &(struct evt_record){ .type = EVT_SHARE }),
	    0.7, 0);
	CHECK_NEAR(lrn_signal(&prm, &(struct evt_record){ .type = EVT_SEARCH }),
	    0.1, 0);
	CHECK_NEAR(lrn_signal(&prm,
		       &(struct evt_record){ .type = EVT_FEEDBACK,
			   .feedback = 1 }),
	    0.9, 0);
	CHECK_NEAR(lrn_signal(&prm,
		       &(struct evt_record){ .type = EVT_FEEDBACK,
			   .feedback = -1 }),
	    -0.5, 0);
	CHECK_NEAR(lrn_signal(&prm,
		       &(struct evt_record){ .type = EVT_FEEDBACK,
			   .feedback = 0 }),
	    0.0, 0);
	CHECK_NEAR(lrn_signal(&prm, &(struct evt_record){ .type = 99 }), 0.0,
	    0);
	CHECK_NEAR(prm.learning_rate, 0.1, 0);
	CHECK_NEAR(prm.decay_per_day, 0.95, 0);

	/* positive then negative feedback on the same item */
	lrn_profile_init(&p, USER);
	struct lrn_item it = { .category = 9, .n_tags = 1, .tags = { 11 } };
	e = ev(EVT_FEEDBACK, 1);
	lrn_apply(&p, &prm, &e, &it);
	CHECK_W(w_of(p.tags, LRN_TAGS, 11), 0.09); /* 0.9*0.1 */
	CHECK_W(w_of(p.cats, LRN_CATS, 9), 0.09);
	e = ev(EVT_FEEDBACK, -1);
	lrn_apply(&p, &prm, &e, &it);
	e = ev(EVT_FEEDBACK, -1);
	lrn_apply(&p, &prm, &e, &it);
	/* 0.09 - 0.05 - 0.05 */
	CHECK_W(w_of(p.tags, LRN_TAGS, 11), -0.01);
	CHECK_W(w_of(p.cats, LRN_CATS, 9), -0.01);
	CHECK_EQ_INT(ev_of(p.tags, LRN_TAGS, 11), 3);
	CHECK_EQ_INT(p.counts[LRN_N_FEEDBACK_POS], 1);
	CHECK_EQ_INT(p.counts[LRN_N_FEEDBACK_NEG], 2);

	/* a negative feedback on a new item creates a negative interest */
	struct lrn_item neg = { .n_tags = 1, .tags = { 12 } };
	e = ev(EVT_FEEDBACK, -1);
	lrn_apply(&p, &prm, &e, &neg);
	CHECK_W(w_of(p.tags, LRN_TAGS, 12), -0.05);
	CHECK_EQ_INT(p.counts[LRN_N_FEEDBACK_NEG], 3);

	/* a feedback without a sign teaches nothing and has no counter */
	struct lrn_item fresh = { .category = 8, .n_tags = 1, .tags = { 13 } };
	e = ev(EVT_FEEDBACK, 0);
	lrn_apply(&p, &prm, &e, &fresh);
	CHECK(find(p.tags, LRN_TAGS, 13) == NULL);
	CHECK(find(p.cats, LRN_CATS, 8) == NULL);
	CHECK_EQ_INT(p.counts[LRN_N_FEEDBACK_POS], 1);
	CHECK_EQ_INT(p.counts[LRN_N_FEEDBACK_NEG], 3);
	CHECK_EQ_INT(p.events, 5);
	CHECK_EQ_INT(p.unknown, 0);

	/* search: the matched tags learn 0.1 * 0.1 each */
	lrn_profile_init(&p, USER);
	struct lrn_item q = { .n_tags = 2, .tags = { 21, 22 } };
	e = ev(EVT_SEARCH, 0);
	lrn_apply(&p, &prm, &e, &q);
	CHECK_W(w_of(p.tags, LRN_TAGS, 21), 0.01);
	CHECK_W(w_of(p.tags, LRN_TAGS, 22), 0.01);
	CHECK_EQ_INT(used(p.cats, LRN_CATS), 0);
	CHECK_EQ_INT(p.counts[LRN_N_SEARCH], 1);
	/* a search that matched nothing is not a catalog miss */
	lrn_apply(&p, &prm, &e, NULL);
	CHECK_EQ_INT(p.counts[LRN_N_SEARCH], 2);
	CHECK_EQ_INT(p.unknown, 0);
	CHECK_EQ_INT(p.events, 2);

	/* unknown entity: counted, time and context learn, no weights */
	e = ev(EVT_CLICK, 0);
	e.time_ms = T0 + 1000;
	e.device = EVT_DEV_MOBILE;
	lrn_apply(&p, &prm, &e, NULL);
	CHECK_EQ_INT(p.unknown, 1);
	CHECK_EQ_INT(p.counts[LRN_N_CLICK], 1);
	CHECK_EQ_INT(p.events, 3);
	CHECK_EQ_INT(p.last_ms, T0 + 1000);
	CHECK_EQ_INT(p.devices[EVT_DEV_MOBILE], 1);
	CHECK_EQ_INT(used(p.tags, LRN_TAGS), 2);

	/* duplicate and zero ids within one item count once / not at all */
	lrn_profile_init(&p, USER);
	struct lrn_item dup = { .category = 7,
		.n_tags = 5,
		.tags = { 31, 0, 31, 32, 31 } };
	e = ev(EVT_CLICK, 0);
	lrn_apply(&p, &prm, &e, &dup);
	CHECK_W(w_of(p.tags, LRN_TAGS, 31), 0.03); /* 0.3*0.1 once */
	CHECK_EQ_INT(ev_of(p.tags, LRN_TAGS, 31), 1);
	CHECK_W(w_of(p.tags, LRN_TAGS, 32), 0.03);
	CHECK_EQ_INT(used(p.tags, LRN_TAGS), 2);
	CHECK_W(w_of(p.cats, LRN_CATS, 7), 0.03);

	/* n_tags beyond LRN_ITEM_TAGS reads only the LRN_ITEM_TAGS ids */
	lrn_profile_init(&p, USER);
	struct lrn_item over = { .n_tags = 200,
		.tags = { 1, 2, 3, 4, 5, 6, 7, 8 } };
	lrn_apply(&p, &prm, &e, &over);
	CHECK_EQ_INT(used(p.tags, LRN_TAGS), 8);

	/* no category: the category table stays empty */
	CHECK_EQ_INT(used(p.cats, LRN_CATS), 0);

	return check_done("learn feedback, search, unknown");
}
