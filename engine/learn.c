/*
 * learn: the preference learner (contract in learn.h). One event in, one
 * profile updated in place; nothing else is read or written, so a replay of
 * the same events gives the same profile.
 */
#include "engine/learn.h"

#include <assert.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

void lrn_params_default(struct lrn_params *p)
{
	assert(p != NULL);
	memset(p, 0, sizeof *p);
	p->signal[EVT_VIEW] = 0.1;
	p->signal[EVT_CLICK] = 0.3;
	p->signal[EVT_RSVP] = 1.0;
	p->signal[EVT_SAVE] = 0.8;
	p->signal[EVT_SHARE] = 0.7;
	/* Feedback takes its strength from its sign, never from this table. */
	p->signal[EVT_FEEDBACK] = 0.0;
	p->signal[EVT_SEARCH] = 0.1;
	p->feedback_pos = 0.9;
	p->feedback_neg = -0.5;
	p->learning_rate = 0.1;
	p->decay_per_day = 0.95;
}

void lrn_profile_init(struct lrn_profile *p, uint64_t user_key)
{
	assert(p != NULL);
	memset(p, 0, sizeof *p);
	p->user_key = user_key;
}

double lrn_signal(const struct lrn_params *prm, const struct evt_record *e)
{
	assert(prm != NULL && e != NULL);
	if (e->type >= EVT_TYPE_COUNT)
		return 0.0;
	if (e->type == EVT_FEEDBACK) {
		if (e->feedback > 0)
			return prm->feedback_pos;
		if (e->feedback < 0)
			return prm->feedback_neg;
		return 0.0;
	}
	return prm->signal[e->type];
}

/* Counters only ever grow; a stuck maximum is better than a wrap to 0. */
static void _inc32(uint32_t *c)
{
	if (*c != UINT32_MAX)
		(*c)++;
}

/*
 * decay^(dt/day) for dt >= 0 given as the two times. The difference is taken
 * in unsigned arithmetic so extreme timestamps cannot overflow a signed
 * subtraction; it is exact in a double for any realistic span (< 2^53 ms).
 */
static double _decay(const struct lrn_params *prm, int64_t from, int64_t to)
{
	if (to <= from)
		return 1.0;
	uint64_t dt = (uint64_t)to - (uint64_t)from;
	return pow(prm->decay_per_day, (double)dt / (double)LRN_DAY_MS);
}

/*
 * Adds `c` to id's entry in a bounded table, creating or evicting as the
 * header's rule says. Returns false when the contribution was dropped.
 */
static bool _learn(struct lrn_weight *ws, unsigned n, uint32_t id, double c)
{
	struct lrn_weight *free_slot = NULL, *weakest = NULL;

	for (unsigned i = 0; i < n; i++) {
		struct lrn_weight *x = &ws[i];
		if (x->id == id) {
			x->w += c;
			_inc32(&x->evidence);
			return true;
		}
		if (x->id == 0) {
			if (free_slot == NULL)
				free_slot = x;
		} else if (weakest == NULL || fabs(x->w) < fabs(weakest->w)) {
			/* Strict < : on ties the lowest index goes, deterministically. */
			weakest = x;
		}
	}
	struct lrn_weight *slot = free_slot;
	if (slot == NULL) {
		assert(weakest != NULL);
		/* A newcomer must beat the weakest interest, or churn would
		 * let one stray view erase a long-built one. */
		if (!(fabs(c) > fabs(weakest->w)))
			return false;
		slot = weakest;
	}
	slot->id = id;
	slot->evidence = 1;
	slot->w = c;
	return true;
}

/* Halving keeps the histogram's shape while making room at the top. */
static void _halve(uint16_t *h, unsigned n)
{
	for (unsigned j = 0; j < n; j++)
		h[j] >>= 1;
}

static void _hist_inc(uint16_t *h, unsigned n, unsigned i)
{
	if (h[i] == UINT16_MAX)
		_halve(h, n);
	h[i]++;
}

/* hours[][] is one histogram: a full cell halves every row. */
static void _hours_inc(struct lrn_profile *p, unsigned wd, unsigned dp)
{
	if (p->hours[wd][dp] == UINT16_MAX) {
		for (unsigned d = 0; d < 7; d++)
			_halve(p->hours[d], EVT_DP_COUNT);
	}
	p->hours[wd][dp]++;
}

/* Space-saving (Metwally et al.): the counts overestimate, never miss a
 * frequent cell. */
static void _geo(struct lrn_profile *p, uint64_t cell)
{
	unsigned least = 0;

	for (unsigned i = 0; i < LRN_GEO; i++) {
		if (p->geo[i].cell == cell) {
			_inc32(&p->geo[i].n);
			return;
		}
	}
	for (unsigned i = 0; i < LRN_GEO; i++) {
		if (p->geo[i].cell == 0) {
			p->geo[i].cell = cell;
			p->geo[i].n = 1;
			return;
		}
		if (p->geo[i].n < p->geo[least].n)
			least = i;
	}
	p->geo[least].cell = cell;
	_inc32(&p->geo[least].n);
}

/* The tags of `item` and its category, each id once, weighted by c. */
static void _learn_item(struct lrn_profile *p, const struct lrn_item *item,
    double c)
{
	unsigned nt = item->n_tags;

	if (nt > LRN_ITEM_TAGS)
		nt = LRN_ITEM_TAGS;
	for (unsigned i = 0; i < nt; i++) {
		uint32_t id = item->tags[i];
		bool dup = false;

		if (id == 0)
			continue;
		/* An item listing a tag twice is still one piece of evidence. */
		for (unsigned j = 0; j < i && !dup; j++)
			dup = item->tags[j] == id;
		if (dup)
			continue;
		if (!_learn(p->tags, LRN_TAGS, id, c))
			_inc32(&p->dropped);
	}
	if (item->category != 0 && !_learn(p->cats, LRN_CATS, item->category, c))
		_inc32(&p->dropped);
}

void lrn_apply(struct lrn_profile *p, const struct lrn_params *prm,
    const struct evt_record *e, const struct lrn_item *item)
{
	assert(p != NULL && prm != NULL && e != NULL);
	assert(e->user_key == p->user_key);
	/* evt_build never emits such a record; a corrupt one must not
	 * index past counts[]. */
	if (e->type >= EVT_TYPE_COUNT)
		return;

	static const uint8_t count_of[EVT_TYPE_COUNT] = {
		[EVT_VIEW] = LRN_N_VIEW,
		[EVT_CLICK] = LRN_N_CLICK,
		[EVT_RSVP] = LRN_N_RSVP,
		[EVT_SAVE] = LRN_N_SAVE,
		[EVT_SHARE] = LRN_N_SHARE,
		[EVT_FEEDBACK] = LRN_N_FEEDBACK_POS, /* by sign, below */
		[EVT_SEARCH] = LRN_N_SEARCH,
	};
	if (e->type != EVT_FEEDBACK)
		_inc32(&p->counts[count_of[e->type]]);
	else if (e->feedback > 0)
		_inc32(&p->counts[LRN_N_FEEDBACK_POS]);
	else if (e->feedback < 0)
		_inc32(&p->counts[LRN_N_FEEDBACK_NEG]);
	/* else: a feedback without a sign (evt_build rejects those) has no
	 * counter of its own; it still counts in `events`, and its zero signal
	 * teaches nothing below. */

	/* Bring the profile to the later of the two times; an older event is
	 * aged to last_ms instead, so W(last) is the same in any order. */
	double age = 1.0;
	int64_t t = e->time_ms;
	if (p->events == 0) {
		p->first_ms = t;
		p->last_ms = t;
	} else {
		if (t < p->first_ms)
			p->first_ms = t;
		if (t > p->last_ms) {
			double d = _decay(prm, p->last_ms, t);
			for (unsigned i = 0; i < LRN_TAGS; i++)
				p->tags[i].w *= d;
			for (unsigned i = 0; i < LRN_CATS; i++)
				p->cats[i].w *= d;
			p->last_ms = t;
		} else {
			age = _decay(prm, t, p->last_ms);
		}
	}
	_inc32(&p->events);

	if (item == NULL) {
		/* A search without matched tags is an ordinary search, not a
		 * catalog miss. */
		if (e->type != EVT_SEARCH)
			_inc32(&p->unknown);
	} else {
		double c = lrn_signal(prm, e) * prm->learning_rate * age;
		/* Zero (no signal, or aged past double range) teaches nothing and
		 * must not occupy a slot or evict a real interest. */
		if (c != 0.0)
			_learn_item(p, item, c);
	}

	if (e->weekday < 7 && e->daypart < EVT_DP_COUNT)
		_hours_inc(p, e->weekday, e->daypart);
	if (e->device < EVT_DEV_COUNT)
		_hist_inc(p->devices, EVT_DEV_COUNT, e->device);
	if (e->platform < EVT_PLAT_COUNT)
		_hist_inc(p->platforms, EVT_PLAT_COUNT, e->platform);
	if (e->geo_cell != 0)
		_geo(p, e->geo_cell);
}

double lrn_weight_at(const struct lrn_profile *p,
    const struct lrn_params *prm, double w, int64_t at_ms)
{
	assert(p != NULL && prm != NULL);
	/* Never grow a weight back: a time before last_ms reads as last_ms. */
	return w * _decay(prm, p->last_ms, at_ms);
}

/* Does a rank before b? Descending weight, then ascending id. */
static bool _before(const struct lrn_weight *a, const struct lrn_weight *b)
{
	if (a->w != b->w)
		return a->w > b->w;
	return a->id < b->id;
}

unsigned lrn_top(const struct lrn_weight *ws, unsigned n, unsigned *order)
{
	unsigned k = 0;

	assert(ws != NULL || n == 0);
	assert(order != NULL || n == 0);
	/* n is a profile table (<= 16): insertion sort beats anything clever. */
	for (unsigned i = 0; i < n; i++) {
		if (ws[i].id == 0)
			continue;
		unsigned j = k++;
		while (j > 0 && _before(&ws[i], &ws[order[j - 1]])) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
	}
	return k;
}
