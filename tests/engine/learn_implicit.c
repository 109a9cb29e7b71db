/*
 * learn implicit feedback: dwell, scroll, bounce, position bias, impressions
 * and repeated views give the hand-computed weights; plain events keep the
 * DESIGN.md constants; curves are monotone and bounded; skipping never
 * outweighs acting.
 */
#include <math.h>
#include <string.h>

#include "check.h"
#include "engine/learn.h"
#include "weights.h"

#define USER 0x5eedu
#define T0 1699999200000LL /* 2023-11-14T22:00:00Z: an hour's start */

static struct evt_record ev(uint8_t type)
{
	struct evt_record e;

	memset(&e, 0, sizeof e);
	e.user_key = USER;
	e.entity_key = 77;
	e.type = type;
	e.time_ms = T0;
	e.scroll_depth = -1.0f; /* absent, as evt_build stores it */
	return e;
}

/* Weight of tag 11 after applying one event to a fresh profile. */
static double one(const struct lrn_params *prm, const struct evt_record *e)
{
	struct lrn_profile p;
	struct lrn_item it = { .category = 33, .n_tags = 1, .tags = { 11 } };

	lrn_profile_init(&p, USER);
	lrn_apply(&p, prm, e, &it);
	return p.tags[0].id == 11 ? p.tags[0].w : NAN;
}

int main(void)
{
	struct lrn_params prm;
	struct evt_record e;

	lrn_params_default(&prm);

	/* Plain events: exactly DESIGN.md (0.1 * signal). */
	e = ev(EVT_VIEW);
	CHECK_W(one(&prm, &e), 0.01);
	e = ev(EVT_CLICK);
	CHECK_W(one(&prm, &e), 0.03);
	e.scroll_depth = 0.0f; /* zero depth (zeroed records) is "absent" */
	CHECK_W(one(&prm, &e), 0.03);

	/* Dwell: f = 0.5 + 1.5 * d / (d + 30000). 30 s: 1.25 -> 0.1*0.1*1.25 */
	e = ev(EVT_VIEW);
	e.dwell_ms = 30000;
	CHECK_W(one(&prm, &e), 0.0125);
	/* 15 s is neutral: 0.5 + 1.5 * 15/45 = 1 */
	e.dwell_ms = 15000;
	CHECK_W(one(&prm, &e), 0.01);
	/* click, 10 s: 0.5 + 1.5 * 10/40 = 0.875 -> 0.03 * 0.875 = 0.02625 */
	e = ev(EVT_CLICK);
	e.dwell_ms = 10000;
	CHECK_W(one(&prm, &e), 0.02625);

	/* Scroll: f = 0.75 + 0.75 * s. 0.5: 1.125 -> 0.01125 */
	e = ev(EVT_VIEW);
	e.scroll_depth = 0.5f;
	CHECK_W(one(&prm, &e), 0.01125);
	/* both: 30 s and all of the page: 1.25 * 1.5 = 1.875 -> 0.01875 */
	e.dwell_ms = 30000;
	e.scroll_depth = 1.0f;
	CHECK_W(one(&prm, &e), 0.01875);

	/* Bounce: click with 0 < dwell < 5 s is -0.1 -> -0.01 */
	e = ev(EVT_CLICK);
	e.dwell_ms = 2000;
	CHECK_W(one(&prm, &e), -0.01);
	/* at 5 s it is a click again: 0.5 + 1.5*5/35 = 0.71428571428571428571
	 * -> 0.03 * that = 0.02142857142857142857 */
	e.dwell_ms = 5000;
	CHECK_W(one(&prm, &e), 0.02142857142857142857);

	/* Position bias on clicks: x min(log2(p+1), 3). p=1: 1, p=3: 2,
	 * p=100: log2(101) = 6.66 -> capped 3. */
	e = ev(EVT_CLICK);
	e.position = 1;
	CHECK_W(one(&prm, &e), 0.03);
	e.position = 3;
	CHECK_W(one(&prm, &e), 0.06);
	e.position = 100;
	CHECK_W(one(&prm, &e), 0.09);

	/* Impression: a recommended view with a position and no dwell/scroll:
	 * -0.02 / log2(p+1). p=1: -0.02 -> -0.002; p=3: -0.01 -> -0.001. */
	e = ev(EVT_VIEW);
	e.position = 1;
	e.rec_type = 7;
	CHECK_W(one(&prm, &e), -0.002);
	e.position = 3;
	CHECK_W(one(&prm, &e), -0.001);
	/* entity_type recommendation marks it too */
	e.rec_type = 0;
	e.entity_type = EVT_ENT_RECOMMENDATION;
	CHECK_W(one(&prm, &e), -0.001);
	/* a positioned view of a non-recommendation is a plain view */
	e.entity_type = EVT_ENT_ACTIVITY;
	CHECK_W(one(&prm, &e), 0.01);
	/* a recommended view the user stayed on (dwell 30 s) is a view */
	e.rec_type = 7;
	e.dwell_ms = 30000;
	CHECK_W(one(&prm, &e), 0.0125);

	/* Repeats: three 30 s views of one entity: 0.0125 * (1 + 0.5 + 0.25)
	 * = 0.021875; plain views stay linear (0.03) unless repeat_plain
	 * (0.01 * 1.75 = 0.0175). Another entity in between does not reset
	 * the count while the first is remembered. */
	{
		struct lrn_profile p;
		struct lrn_item it = { .n_tags = 1, .tags = { 11 } };
		struct lrn_item other = { .n_tags = 1, .tags = { 99 } };
		struct lrn_params rp = prm;

		lrn_profile_init(&p, USER);
		e = ev(EVT_VIEW);
		e.dwell_ms = 30000;
		lrn_apply(&p, &prm, &e, &it);
		e.entity_key = 78;
		lrn_apply(&p, &prm, &e, &other);
		e.entity_key = 77;
		lrn_apply(&p, &prm, &e, &it);
		lrn_apply(&p, &prm, &e, &it);
		CHECK_W(p.tags[0].w, 0.021875);

		lrn_profile_init(&p, USER);
		e = ev(EVT_VIEW);
		for (int i = 0; i < 3; i++)
			lrn_apply(&p, &prm, &e, &it);
		CHECK_W(p.tags[0].w, 0.03);
		rp.repeat_plain = 1;
		lrn_profile_init(&p, USER);
		for (int i = 0; i < 3; i++)
			lrn_apply(&p, &rp, &e, &it);
		CHECK_W(p.tags[0].w, 0.0175);

		/* Memory holds LRN_SEEN entities: the next one pushes the first
		 * out and its next view counts as new. */
		lrn_profile_init(&p, USER);
		e = ev(EVT_VIEW);
		e.dwell_ms = 30000;
		for (uint64_t k = 1; k <= LRN_SEEN + 1; k++) {
			e.entity_key = k;
			lrn_apply(&p, &prm, &e, &other);
		}
		e.entity_key = 1;
		lrn_apply(&p, &prm, &e, &it);
		CHECK_W(p.tags[1].id == 11 ? p.tags[1].w : NAN, 0.0125);
	}

	/* Curves: monotone and bounded. */
	double prev = -1.0;
	for (uint32_t d = 5000; d <= 86400000u; d = d * 3 / 2) {
		e = ev(EVT_VIEW);
		e.dwell_ms = d;
		double s = lrn_event_signal(&prm, &e, 0);
		CHECK(s >= prev && s >= 0.1 * 0.5 && s <= 0.1 * 2.0);
		prev = s;
	}
	prev = -1.0;
	for (int k = 1; k <= 100; k++) {
		e = ev(EVT_CLICK);
		e.scroll_depth = (float)k / 100.0f;
		double s = lrn_event_signal(&prm, &e, 0);
		CHECK(s >= prev && s >= 0.3 * 0.75 && s <= 0.3 * 1.5);
		prev = s;
	}
	prev = -1.0;
	for (uint16_t pos = 1; pos < 1000; pos++) {
		e = ev(EVT_CLICK);
		e.position = pos;
		double s = lrn_event_signal(&prm, &e, 0);
		CHECK(s >= prev && s <= 0.3 * 3.0);
		prev = s;
	}

	/* Skipping never outweighs acting: all impressions of one remembered
	 * item (any position, any number) stay above -0.04, the weakest act
	 * (a click at the dwell and scroll floors) is 0.3*0.5*0.75 = 0.1125. */
	double skip = 0.0;
	e = ev(EVT_VIEW);
	e.position = 1;
	e.rec_type = 3;
	for (unsigned k = 0; k < 15; k++)
		skip += lrn_event_signal(&prm, &e, k);
	e = ev(EVT_CLICK);
	e.dwell_ms = 5000;
	e.scroll_depth = 0.001f;
	double act = lrn_event_signal(&prm, &e, 0);
	CHECK(skip > -0.04 && act > 0.1125 - 1e-3 && act + skip > 0.0);

	/* The same for impression events, through lrn_apply (the profile
	 * counts the earlier impressions): a click, then 20 impressions of
	 * the item at the top slot; the weight stays above the click's
	 * 0.03 - 0.1 x 0.04 and the sum of the impressions is the geometric
	 * -0.002 x (1 - 0.5^20) / (1 - 0.5) = -0.0039999962. */
	{
		struct lrn_profile p;
		struct lrn_item it = { .category = 33,
			.n_tags = 1,
			.tags = { 11 } };
		lrn_profile_init(&p, USER);
		e = ev(EVT_CLICK);
		lrn_apply(&p, &prm, &e, &it);
		double w0 = p.tags[0].w;
		for (int k = 0; k < 20; k++) {
			e = ev(EVT_IMPRESSION);
			e.position = 1;
			lrn_apply(&p, &prm, &e, &it);
		}
		/* seen[] counts impressions up to 15: the 16th on repeat
		 * 0.5^15 each, a few 1e-7 more */
		CHECK_NEAR(p.tags[0].w - w0,
		    -0.002 * (1 - pow(0.5, 15)) / 0.5 -
			5 * 0.002 * pow(0.5, 15),
		    1e-6);
		CHECK(p.tags[0].w > 0.03 - 0.004 - 1e-6);
	}

	/* However often one item is shown, its impressions together stay
	 * within impression_signal / (1 - repeat_ratio) = -0.04 (x 0.1):
	 * the 16th showing on, which the memory's count cannot tell apart,
	 * add nothing. Impression events and recommendation views alike. */
	for (unsigned kind = 0; kind < 2; kind++) {
		struct lrn_profile p;
		struct lrn_item it = { .category = 33,
			.n_tags = 1,
			.tags = { 11 } };
		lrn_profile_init(&p, USER);
		for (unsigned i = 0; i < 1000; i++) {
			e = ev(kind ? EVT_VIEW : EVT_IMPRESSION);
			e.rec_type = kind ? 1 : 0;
			e.position = 1;
			e.time_ms = T0 + i;
			lrn_apply(&p, &prm, &e, &it);
		}
		double w = settled(&p, &prm).tags[0].w;
		CHECK(w < 0.0 && w >= -0.004);
	}
	return check_done("learn implicit feedback");
}
