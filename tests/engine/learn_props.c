/*
 * learn properties: over random event streams with implicit data, |w| never
 * exceeds its mass, confidences stay in [0, 1], weights stay bounded; events
 * of equal time applied in any order give the same weights, masses and
 * counters.
 */
#include <string.h>

#include "check.h"
#include "engine/learn.h"

#define USER 0x9909u
#define T0 1700000000000LL
#define N_EV 2000

static uint64_t rng = 0x853c49e6748fea9bULL;

static uint64_t rnd(uint64_t n)
{
	/* splitmix64: deterministic, good enough for test streams */
	uint64_t z = (rng += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return (z ^ (z >> 31)) % n;
}

struct one {
	struct evt_record e;
	struct lrn_item it;
};

static void random_event(struct one *o, int64_t t)
{
	memset(o, 0, sizeof *o);
	o->e.user_key = USER;
	o->e.type = (uint8_t)rnd(EVT_TYPE_COUNT);
	o->e.feedback = o->e.type == EVT_FEEDBACK ? (rnd(2) ? 1 : -1) : 0;
	o->e.entity_key = 1 + rnd(8);
	o->e.time_ms = t;
	o->e.dwell_ms = rnd(3) ? (uint32_t)rnd(600000) : 0;
	o->e.scroll_depth = rnd(2) ? (float)rnd(101) / 100.0f : -1.0f;
	o->e.position = (uint16_t)(rnd(2) ? rnd(50) : 0);
	o->e.rec_type = (uint16_t)rnd(3);
	o->e.session_key = rnd(4);
	o->e.weekday = (uint8_t)rnd(7);
	o->e.daypart = (uint8_t)rnd(EVT_DP_COUNT);
	o->it.category = 1 + (uint32_t)rnd(5);
	o->it.n_tags = (uint8_t)(1 + rnd(3));
	for (unsigned k = 0; k < o->it.n_tags; k++)
		o->it.tags[k] = 100 + (uint32_t)rnd(10);
}

static void bounded(const struct lrn_profile *p, const struct lrn_params *prm)
{
	/* Every contribution is at most 0.1 * 1.0 * max factor (rsvp; the
	 * drift pull only redistributes the positive total), and the decayed
	 * sum of contributions is below 0.1 * 3 * events. */
	for (unsigned i = 0; i < LRN_TAGS; i++) {
		if (!p->tags[i].id)
			continue;
		CHECK(
		    fabs(p->tags[i].w) <= p->tags[i].mass * (1 + 1e-5) + 1e-9);
		double c = lrn_confidence(prm, &p->tags[i]);
		CHECK(c >= 0.0 && c <= 1.0);
		CHECK(fabs(p->tags[i].w) <= 0.3 * p->events);
	}
	for (unsigned i = 0; i < LRN_CATS; i++) {
		if (!p->cats[i].id)
			continue;
		CHECK(
		    fabs(p->cats[i].w) <= p->cats[i].mass * (1 + 1e-5) + 1e-9);
		double c = lrn_confidence(prm, &p->cats[i]);
		CHECK(c >= 0.0 && c <= 1.0);
	}
	double pc = lrn_profile_confidence(p, prm);
	CHECK(pc >= 0.0 && pc <= 1.0);
	CHECK(lrn_drift_kl(p, prm) >= 0.0);
}

int main(void)
{
	struct lrn_params prm;
	struct lrn_profile p;
	static struct one evs[N_EV];

	lrn_params_default(&prm);
	lrn_profile_init(&p, USER);
	int64_t t = T0;
	for (unsigned i = 0; i < N_EV; i++) {
		t += (int64_t)rnd(6 * 3600000);
		random_event(&evs[i], t);
		lrn_apply(&p, &prm, &evs[i].e, &evs[i].it);
		if (i % 50 == 0)
			bounded(&p, &prm);
	}
	bounded(&p, &prm);

	/* Equal-time events: groups of 6 at one instant, applied forwards
	 * and backwards within each group, give the same weights, masses,
	 * counts and histograms. The drift detector is judged after every
	 * event, so it sees different halves of a group in the two orders:
	 * it is order dependent by design (learn.h) and off here. */
	struct lrn_profile f, b;
	prm.drift_min_events = UINT32_MAX;
	lrn_profile_init(&f, USER);
	lrn_profile_init(&b, USER);
	t = T0;
	for (unsigned g = 0; g < 200; g++) {
		struct one grp[6];
		t += (int64_t)rnd(12 * 3600000);
		for (unsigned k = 0; k < 6; k++) {
			random_event(&grp[k], t);
			grp[k].e.position = 0; /* repeats depend on order */
			grp[k].e.session_key = 0;
			grp[k].e.type = grp[k].e.type == EVT_VIEW
			    ? EVT_CLICK
			    : grp[k].e.type;
		}
		for (unsigned k = 0; k < 6; k++) {
			lrn_apply(&f, &prm, &grp[k].e, &grp[k].it);
			lrn_apply(&b, &prm, &grp[5 - k].e, &grp[5 - k].it);
		}
	}
	for (unsigned i = 0; i < LRN_TAGS; i++) {
		unsigned j = 0;
		while (j < LRN_TAGS && b.tags[j].id != f.tags[i].id)
			j++;
		REQUIRE(j < LRN_TAGS);
		/* floats: the two orders round differently */
		CHECK_NEAR(f.tags[i].w, b.tags[j].w,
		    1e-5 * fabs(b.tags[j].w) + 1e-9);
		CHECK_NEAR(f.tags[i].mass, b.tags[j].mass, 1e-4);
		CHECK_EQ_INT(f.tags[i].n, b.tags[j].n);
	}
	CHECK(memcmp(f.counts, b.counts, sizeof f.counts) == 0);
	CHECK(memcmp(f.hours, b.hours, sizeof f.hours) == 0);
	CHECK(memcmp(f.seasons, b.seasons, sizeof f.seasons) == 0);
	CHECK_EQ_INT(f.sessions, b.sessions);
	CHECK_EQ_INT(f.drift_count, b.drift_count);

	/* Decay is monotone: a weight read later is never larger. */
	double prev = INFINITY;
	for (int h = 0; h < 24 * 60; h += 7) {
		double w = lrn_weight_at(&p, &prm, 1.0,
		    p.last_ms + (int64_t)h * 3600000);
		CHECK(w <= prev && w > 0.0);
		prev = w;
	}
	return check_done("learn properties: bounds, equal-time order");
}
