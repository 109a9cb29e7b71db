/*
 * learn confidence: |w| / (mass + K) per interest and over the categories
 * for the profile; three events are far less certain than three hundred,
 * disagreement and age lower it.
 */
#include <string.h>

#include "check.h"
#include "engine/learn.h"
#include "weights.h"

#define USER 0xc0fu
#define T0 1700000000000LL
#define DAY 86400000LL

static struct evt_record ev(uint8_t type, int64_t t)
{
	struct evt_record e;

	memset(&e, 0, sizeof e);
	e.user_key = USER;
	e.entity_key = 9;
	e.type = type;
	e.time_ms = t;
	e.scroll_depth = -1.0f;
	return e;
}

static void clicks(struct lrn_profile *p, const struct lrn_params *prm,
    unsigned n)
{
	struct lrn_item it = { .category = 33, .n_tags = 1, .tags = { 11 } };
	struct evt_record e = ev(EVT_CLICK, T0);

	lrn_profile_init(p, USER);
	for (unsigned i = 0; i < n; i++)
		lrn_apply(p, prm, &e, &it);
}

int main(void)
{
	struct lrn_params prm;
	struct lrn_profile p, v;

	lrn_params_default(&prm);
	/* K = conf_prior * conf_unit * lr = 5 * 0.3 * 0.1 = 0.15;
	 * profile K = 20 * 0.3 * 0.1 = 0.6. */

	lrn_profile_init(&p, USER);
	CHECK_NEAR(lrn_profile_confidence(&p, &prm), 0.0, 0.0);
	CHECK_NEAR(lrn_confidence(&prm, &p.tags[0]), 0.0, 0.0);

	/* 3 clicks: w = mass = 0.09 -> 0.09 / 0.24 = 0.375;
	 * profile: 0.09 / (0.09 + 0.6) = 0.13043478260869565 */
	clicks(&p, &prm, 3);
	v = settled(&p, &prm);
	double c3 = lrn_confidence(&prm, &v.tags[0]);
	double p3 = lrn_profile_confidence(&v, &prm);
	CHECK_NEAR(c3, 0.375, 1e-6);
	CHECK_NEAR(lrn_confidence(&prm, &v.cats[0]), 0.375, 1e-6);
	CHECK_NEAR(p3, 0.13043478260869565, 1e-6);

	/* 300 clicks: 9 / 9.15 = 0.98360655737704918; profile 9 / 9.6 =
	 * 0.9375 */
	clicks(&p, &prm, 300);
	v = settled(&p, &prm);
	double c300 = lrn_confidence(&prm, &v.tags[0]);
	double p300 = lrn_profile_confidence(&v, &prm);
	CHECK_NEAR(c300, 0.98360655737704918, 1e-5);
	CHECK_NEAR(p300, 0.9375, 1e-5);
	CHECK(c300 > 2.5 * c3 && p300 > 7 * p3);
	printf(
	    "confidence: 3 clicks %.3f (profile %.3f), 300 clicks %.3f (profile %.3f)\n",
	    c3, p3, c300, p300);

	/* Agreement: +feedback (0.09) and -feedback (-0.05) on one tag:
	 * w = 0.04, mass = 0.14 -> 0.04 / 0.29 = 0.13793103448275862 */
	{
		struct lrn_item it = { .n_tags = 1, .tags = { 11 } };
		struct evt_record e = ev(EVT_FEEDBACK, T0);

		lrn_profile_init(&p, USER);
		e.feedback = 1;
		lrn_apply(&p, &prm, &e, &it);
		e.feedback = -1;
		lrn_apply(&p, &prm, &e, &it);
		v = settled(&p, &prm);
		CHECK_W(v.tags[0].w, 0.04);
		CHECK_NEAR(lrn_confidence(&prm, &v.tags[0]),
		    0.13793103448275862, 1e-6);
		/* equal and opposite evidence: no confidence at all */
		e.type = EVT_CLICK;
		e.feedback = 0;
		lrn_profile_init(&p, USER);
		lrn_apply(&p, &prm, &e, &it);
		e.dwell_ms = 1000; /* bounce: -0.1 ... */
		lrn_apply(&p, &prm, &e, &it);
		lrn_apply(&p, &prm, &e, &it);
		e.dwell_ms = 0;
		e.type = EVT_VIEW; /* ... and a view: 0.03 + 0.01 - 0.02 */
		lrn_apply(&p, &prm, &e, &it);
		/* w = 0.02, mass = 0.06 -> 0.02 / 0.21 */
		v = settled(&p, &prm);
		CHECK_NEAR(lrn_confidence(&prm, &v.tags[0]), 0.02 / 0.21, 1e-6);
	}

	/* Recency: 3 clicks, then 10 days of silence until a view of another
	 * tag: both w and mass decay by 0.95^10 = 0.59873693923837890625, so
	 * 0.053886324531454 / (0.053886324531454 + 0.15) = 0.26429592399 */
	{
		struct lrn_item other = { .n_tags = 1, .tags = { 22 } };
		struct evt_record e = ev(EVT_VIEW, T0 + 10 * DAY);

		clicks(&p, &prm, 3);
		lrn_apply(&p, &prm, &e, &other);
		v = settled(&p, &prm);
		CHECK_NEAR(lrn_confidence(&prm, &v.tags[0]), 0.26429592399,
		    1e-6);
	}
	return check_done("learn confidence");
}
