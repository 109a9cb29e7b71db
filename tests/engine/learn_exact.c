/*
 * learn exact values: two rsvps an hour apart, a day of silence, then a view
 * of the same item give the hand-computed decayed weights.
 */
#include <string.h>

#include "check.h"
#include "engine/learn.h"
#include "weights.h"

#define USER 0x1234u
#define T0 1700000000000LL /* 2023-11-14T22:13:20Z */
#define HOUR 3600000LL

static struct evt_record ev(uint8_t type, int64_t t)
{
	struct evt_record e;

	memset(&e, 0, sizeof e);
	e.user_key = USER;
	e.entity_key = 77;
	e.type = type;
	e.time_ms = t;
	return e;
}

int main(void)
{
	struct lrn_params prm;
	struct lrn_profile p;
	struct lrn_item it = { .category = 33,
		.n_tags = 2,
		.tags = { 11, 22 } };
	struct evt_record e;

	lrn_params_default(&prm);
	lrn_profile_init(&p, USER);
	CHECK_EQ_INT(p.events, 0);

	e = ev(EVT_RSVP, T0);
	lrn_apply(&p, &prm, &e, &it);
	/* 1.0 * 0.1, no decay on the first event */
	struct lrn_profile q = settled(&p, &prm);
	CHECK_W(w_of(q.tags, LRN_TAGS, 11), 0.1);

	e = ev(EVT_RSVP, T0 + HOUR);
	lrn_apply(&p, &prm, &e, &it);
	/* 0.1 * 0.95^(1/24) + 0.1 = 0.1 * 0.99786506163029845525 + 0.1 */
	q = settled(&p, &prm);
	CHECK_W(w_of(q.tags, LRN_TAGS, 11), 0.199786506163029845525);

	e = ev(EVT_VIEW, T0 + 25 * HOUR);
	lrn_apply(&p, &prm, &e, &it);

	/*
	 * At t0+25h: first rsvp is 25h old, second 24h, the view is new:
	 *   0.1*0.95^(25/24) + 0.1*0.95^(24/24) + 0.1*0.1
	 * = 0.1*0.94797180854878353249 + 0.095 + 0.01
	 * = 0.09479718085487835325 + 0.105
	 * = 0.19979718085487835325
	 * (0.95^(25/24) = exp(25/24 * ln 0.95), ln 0.95 = -0.0512932943875505)
	 */
	const double want = 0.19979718085487835325;
	q = settled(&p, &prm);
	const struct lrn_weight *a = find(q.tags, LRN_TAGS, 11);
	const struct lrn_weight *b = find(q.tags, LRN_TAGS, 22);
	const struct lrn_weight *c = find(q.cats, LRN_CATS, 33);
	REQUIRE(a != NULL && b != NULL && c != NULL);
	CHECK_W(a->w, want);
	CHECK_W(b->w, want);
	CHECK_W(c->w, want);
	CHECK_EQ_INT(a->n, 3);
	CHECK_EQ_INT(b->n, 3);
	CHECK_EQ_INT(c->n, 3);
	/* the category never leaks into the tag table, nor tags into cats */
	CHECK(find(p.tags, LRN_TAGS, 33) == NULL);
	CHECK(find(p.cats, LRN_CATS, 11) == NULL);

	CHECK_EQ_INT(p.events, 3);
	CHECK_EQ_INT(p.counts[LRN_N_RSVP], 2);
	CHECK_EQ_INT(p.counts[LRN_N_VIEW], 1);
	CHECK_EQ_INT(p.first_ms, T0);
	CHECK_EQ_INT(p.last_ms, T0 + 25 * HOUR);
	CHECK_EQ_INT(p.unknown, 0);
	CHECK_EQ_INT(p.displaced, 0);

	/* Read one day later: 0.19979718085487835325 * 0.95 */
	CHECK_W(lrn_weight_at(&p, &prm, a->w, T0 + 49 * HOUR),
	    0.18980732181213443559);
	/* at last_ms, or before it, the weight reads unchanged */
	CHECK_W(lrn_weight_at(&p, &prm, a->w, T0 + 25 * HOUR), want);
	CHECK_W(lrn_weight_at(&p, &prm, a->w, T0), want);

	return check_done("learn exact values");
}
