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

#include "engine/clock.h"

void lrn_params_default(struct lrn_params *p)
{
	assert(p != NULL);
	memset(p, 0, sizeof *p);
#define _PD(n, def, lo, hi, h) p->n = (def);
#define _PU(n, def, lo, hi, h) p->n = (def);
#define _PB(n, def, h) p->n = (def);
	LRN_PARAMS(_PD, _PU, _PB)
#undef _PD
#undef _PU
#undef _PB
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
	switch ((enum evt_type)e->type) {
	case EVT_VIEW: return prm->signal_view;
	case EVT_CLICK: return prm->signal_click;
	case EVT_RSVP: return prm->signal_rsvp;
	case EVT_SAVE: return prm->signal_save;
	case EVT_SHARE: return prm->signal_share;
	case EVT_SEARCH: return prm->signal_search;
	case EVT_FEEDBACK:
		if (e->feedback > 0)
			return prm->signal_feedback_pos;
		if (e->feedback < 0)
			return prm->signal_feedback_neg;
		return 0.0;
	default: return 0.0;
	}
}

/* Implicit feedback ------------------------------------------------------- */

/* Saturating in d: half of the way from floor to cap at dwell_half_s. */
static double _dwell_factor(const struct lrn_params *prm, uint32_t dwell_ms)
{
	if (dwell_ms == 0)
		return 1.0;
	double d = (double)dwell_ms;
	return prm->dwell_floor +
	    (prm->dwell_cap - prm->dwell_floor) * d /
	    (d + prm->dwell_half_s * 1000.0);
}

/* Linear in depth; <= 0 and NaN (absent) compare false and read as 1. */
static double _scroll_factor(const struct lrn_params *prm, float depth)
{
	if (!(depth > 0.0f))
		return 1.0;
	double s = depth > 1.0f ? 1.0 : (double)depth;
	return prm->scroll_floor + (prm->scroll_cap - prm->scroll_floor) * s;
}

static bool _has_implicit(const struct evt_record *e)
{
	return e->dwell_ms > 0 || e->scroll_depth > 0.0f || e->position > 0;
}

static bool _is_impression(const struct evt_record *e)
{
	return e->type == EVT_VIEW && e->position > 0 &&
	    (e->rec_type != 0 || e->entity_type == EVT_ENT_RECOMMENDATION) &&
	    e->dwell_ms == 0 && !(e->scroll_depth > 0.0f);
}

double lrn_event_signal(const struct lrn_params *prm,
    const struct evt_record *e, unsigned prior_views)
{
	double s = lrn_signal(prm, e);

	if (e->type != EVT_VIEW && e->type != EVT_CLICK)
		return s;
	bool implicit = _has_implicit(e);
	if (e->type == EVT_CLICK) {
		if (!implicit)
			return s;
		if (e->dwell_ms > 0 &&
		    (double)e->dwell_ms < prm->bounce_s * 1000.0)
			return prm->bounce_signal;
		s *= _dwell_factor(prm, e->dwell_ms) *
		    _scroll_factor(prm, e->scroll_depth);
		if (e->position > 0) {
			/* Inverse of the examination curve 1/log2(p+1). */
			double inv = log2((double)e->position + 1.0);
			s *= inv < prm->position_cap ? inv : prm->position_cap;
		}
		return s;
	}
	/* A view. */
	if (_is_impression(e))
		s = prm->impression_signal / log2((double)e->position + 1.0);
	else if (implicit)
		s *= _dwell_factor(prm, e->dwell_ms) *
		    _scroll_factor(prm, e->scroll_depth);
	if (prior_views > 0 && (implicit || prm->repeat_plain))
		s *= pow(prm->repeat_ratio, (double)prior_views);
	return s;
}

/* Small helpers ------------------------------------------------------------ */

/* Counters only ever grow; a stuck maximum is better than a wrap to 0. */
static void _inc32(uint32_t *c)
{
	if (*c != UINT32_MAX)
		(*c)++;
}

/*
 * base^(dt/day) for dt >= 0 given as the two times. The difference is taken
 * in unsigned arithmetic so extreme timestamps cannot overflow a signed
 * subtraction; it is exact in a double for any realistic span (< 2^53 ms).
 */
static double _pow_days(double base, int64_t from, int64_t to)
{
	if (to <= from)
		return 1.0;
	uint64_t dt = (uint64_t)to - (uint64_t)from;
	return pow(base, (double)dt / (double)LRN_DAY_MS);
}

static double _decay(const struct lrn_params *prm, int64_t from, int64_t to)
{
	return _pow_days(prm->decay_per_day, from, to);
}

static int64_t _floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Event hour, clamped into int32 (+-245000 years). */
static int32_t _hour_of(int64_t t)
{
	int64_t h = _floor_div(t, 3600000LL);
	if (h > INT32_MAX)
		return INT32_MAX;
	if (h < INT32_MIN)
		return INT32_MIN;
	return (int32_t)h;
}

/* bfloat16: the top half of an IEEE float, rounded to nearest even. The
 * short counts need range, not digits. */
static float _bf_get(uint16_t h)
{
	uint32_t u = (uint32_t)h << 16;
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

static uint16_t _bf_put(float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof u);
	u += 0x7FFFu + ((u >> 16) & 1u);
	return (uint16_t)(u >> 16);
}

/* 32 well-mixed bits of a key: multiplicative hashing moves differences in
 * the low bits (nearby ids) into the high bits that the packed tables keep. */
static uint32_t _fold32(uint64_t k)
{
	return (uint32_t)((k * 0x9E3779B97F4A7C15ULL) >> 32);
}

/* Halving keeps a histogram's shape while making room at the top. */
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

static void _hist8_inc(uint8_t *h, unsigned n, unsigned i)
{
	if (h[i] == UINT8_MAX) {
		for (unsigned j = 0; j < n; j++)
			h[j] >>= 1;
	}
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

/* Top-K tables ------------------------------------------------------------- */

/*
 * Adds `c` to id's entry in a bounded table, creating or evicting as the
 * header's rule says. Returns the slot, or -1 when the contribution was
 * dropped; *fresh tells whether the slot was (re)started.
 */
static int _learn(struct lrn_weight *ws, unsigned n, uint32_t id, double c,
    bool *fresh)
{
	struct lrn_weight *free_slot = NULL, *weakest = NULL;

	*fresh = false;
	for (unsigned i = 0; i < n; i++) {
		struct lrn_weight *x = &ws[i];
		if (x->id == id) {
			x->w += c;
			_inc32(&x->evidence);
			return (int)i;
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
			return -1;
		slot = weakest;
	}
	slot->id = id;
	slot->evidence = 1;
	slot->w = c;
	*fresh = true;
	return (int)(slot - ws);
}

/* What one event brings to each entry it touches. */
struct _contrib {
	double c; /* to w (and |c| to mass) */
	double
	    c_long; /* to cat_long: positive part, aged on the long horizon */
	double n_short; /* to the short counts */
	unsigned dp;	/* daypart, EVT_DP_COUNT when unknown */
};

static void _touch_tag(struct lrn_profile *p, int i, bool fresh,
    const struct _contrib *k)
{
	float m = (float)fabs(k->c);
	float s = (float)k->n_short;

	if (!fresh) {
		m += p->tag_mass[i];
		s += _bf_get(p->tag_short[i]);
	}
	p->tag_mass[i] = m;
	p->tag_short[i] = _bf_put(s);
}

static void _touch_cat(struct lrn_profile *p, int i, bool fresh,
    const struct _contrib *k)
{
	if (fresh) {
		p->cat_mass[i] = 0.0f;
		p->cat_long[i] = 0.0f;
		p->cat_short[i] = 0;
		memset(p->cat_dp[i], 0, sizeof p->cat_dp[i]);
	}
	p->cat_mass[i] += (float)fabs(k->c);
	p->cat_long[i] += (float)k->c_long;
	p->cat_short[i] = _bf_put(_bf_get(p->cat_short[i]) + (float)k->n_short);
	if (k->dp < EVT_DP_COUNT)
		_hist8_inc(p->cat_dp[i], EVT_DP_COUNT, k->dp);
}

/* The tags of `item` and its category, each id once. */
static void _learn_item(struct lrn_profile *p, const struct lrn_item *item,
    const struct _contrib *k)
{
	unsigned nt = item->n_tags;
	bool fresh;

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
		int s = _learn(p->tags, LRN_TAGS, id, k->c, &fresh);
		if (s < 0)
			_inc32(&p->dropped);
		else
			_touch_tag(p, s, fresh, k);
	}
	if (item->category != 0) {
		int s = _learn(p->cats, LRN_CATS, item->category, k->c, &fresh);
		if (s < 0)
			_inc32(&p->dropped);
		else
			_touch_cat(p, s, fresh, k);
	}
}

/* Time --------------------------------------------------------------------- */

/* Brings w and mass from last_ms to t (> last_ms). */
static void _advance(struct lrn_profile *p, const struct lrn_params *prm,
    int64_t t)
{
	double d = _decay(prm, p->last_ms, t);
	float fd = (float)d;

	for (unsigned i = 0; i < LRN_TAGS; i++) {
		p->tags[i].w *= d;
		p->tag_mass[i] *= fd;
	}
	for (unsigned i = 0; i < LRN_CATS; i++) {
		p->cats[i].w *= d;
		p->cat_mass[i] *= fd;
	}
	p->last_ms = t;
}

/*
 * The short counts and the long weights live on an hourly grid of event
 * time (short_h): bfloat16 cannot hold the tiny decay between events seconds
 * apart, a whole hour's (0.4^(1/24) = 0.962) it can, and stepping once an
 * hour keeps their pow() calls and the drift check off the per-event path
 * of dense streams. Sets the aging factors of one event at hour h.
 */
static void _grid_step(struct lrn_profile *p, const struct lrn_params *prm,
    int32_t h, double *short_age, double *long_age)
{
	if (h <= p->short_h) {
		double days = (double)((int64_t)p->short_h - h) / 24.0;
		*short_age = days > 0 ? pow(prm->short_decay_per_day, days) : 1;
		*long_age = days > 0 ? pow(prm->long_decay_per_day, days) : 1;
		return;
	}
	double days = (double)((int64_t)h - p->short_h) / 24.0;
	float d = (float)pow(prm->short_decay_per_day, days);
	float ld = (float)pow(prm->long_decay_per_day, days);
	for (unsigned i = 0; i < LRN_TAGS; i++)
		p->tag_short[i] = _bf_put(_bf_get(p->tag_short[i]) * d);
	for (unsigned i = 0; i < LRN_CATS; i++) {
		p->cat_short[i] = _bf_put(_bf_get(p->cat_short[i]) * d);
		p->cat_long[i] *= ld;
	}
	p->short_h = h;
	*short_age = *long_age = 1.0;
}

/* Recent items ------------------------------------------------------------- */

#define _RECENT_N 0xFu

static uint32_t _recent_key(uint64_t entity_key)
{
	uint32_t k = _fold32(entity_key) & ~_RECENT_N;
	return k != 0 ? k : _RECENT_N + 1; /* 0 marks a free entry */
}

/* Views of the entity remembered, or 0. */
static unsigned _recent_views(const struct lrn_profile *p, uint64_t key)
{
	uint32_t k = _recent_key(key);

	for (unsigned i = 0; i < LRN_RECENT; i++)
		if (p->recent[i] != 0 && (p->recent[i] & ~_RECENT_N) == k)
			return p->recent[i] & _RECENT_N;
	return 0;
}

/* Moves the entity to the front with one more view (saturating at 15;
 * repeat_ratio^15 is already negligible). */
static void _recent_view(struct lrn_profile *p, uint64_t key)
{
	uint32_t k = _recent_key(key), n = 0;
	unsigned at = LRN_RECENT - 1;

	for (unsigned i = 0; i < LRN_RECENT; i++) {
		if (p->recent[i] != 0 && (p->recent[i] & ~_RECENT_N) == k) {
			n = p->recent[i] & _RECENT_N;
			at = i;
			break;
		}
	}
	memmove(&p->recent[1], &p->recent[0], at * sizeof p->recent[0]);
	p->recent[0] = k | (n < _RECENT_N ? n + 1 : n);
}

/* Sessions, history, seasons ---------------------------------------------- */

static uint32_t _secs(int64_t ms)
{
	int64_t s = ms / 1000;
	return s > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}

static void _add_sat32(uint32_t *a, uint32_t b)
{
	*a = *a > UINT32_MAX - b ? UINT32_MAX : *a + b;
}

/* `prev` is last_ms before this event; only called for events at or after
 * it (a late event belongs to the session it falls in). */
static void _session(struct lrn_profile *p, const struct lrn_params *prm,
    const struct evt_record *e, int64_t prev, bool first)
{
	uint32_t key = 0;
	if (e->session_key != 0) {
		key = _fold32(e->session_key);
		key = key != 0 ? key : 1; /* 0 means "no key" */
	}
	bool open = first;

	if (!first) {
		if (key != p->sess_key)
			open = true;
		else if (key == 0 &&
		    e->time_ms - prev > (int64_t)prm->session_gap_s * 1000)
			open = true;
	}
	if (open) {
		if (!first)
			_add_sat32(&p->sess_total_s, p->sess_age_s);
		_inc32(&p->sessions);
		p->sess_key = key;
		p->sess_age_s = 0;
	} else {
		_add_sat32(&p->sess_age_s, _secs(e->time_ms - prev));
	}
}

/* Weeks since Monday 1969-12-29 (1970-01-01 was a Thursday). */
static int64_t _week_of_day(int64_t day)
{
	return _floor_div(day + 3, 7);
}

static int64_t _local_day(const struct evt_record *e)
{
	return _floor_div(e->time_ms + (int64_t)e->tz_offset_min * 60000LL,
	    LRN_DAY_MS);
}

static void _history(struct lrn_profile *p, const struct evt_record *e)
{
	int64_t wk = _week_of_day(_local_day(e));

	if (wk > INT16_MAX || wk < INT16_MIN + LRN_HIST)
		return; /* outside the representable weeks: keep none */
	if (p->hist_tag[0] == 0 && p->hist_week == 0)
		p->hist_week = (int16_t)wk;
	if (wk < p->hist_week)
		return;
	int64_t shift = wk - p->hist_week;
	if (shift >= LRN_HIST) {
		memset(p->hist_tag, 0, sizeof p->hist_tag);
		memset(p->hist_share, 0, sizeof p->hist_share);
	} else if (shift > 0) {
		unsigned s = (unsigned)shift;
		memmove(&p->hist_tag[s], &p->hist_tag[0],
		    (LRN_HIST - s) * sizeof p->hist_tag[0]);
		memmove(&p->hist_share[s], &p->hist_share[0], LRN_HIST - s);
		memset(p->hist_tag, 0, s * sizeof p->hist_tag[0]);
		memset(p->hist_share, 0, s);
	}
	p->hist_week = (int16_t)wk;

	double sum = 0.0, best = 0.0;
	uint32_t top = 0;
	for (unsigned i = 0; i < LRN_TAGS; i++) {
		const struct lrn_weight *x = &p->tags[i];
		if (x->id == 0 || !(x->w > 0.0))
			continue;
		sum += x->w;
		if (x->w > best || (x->w == best && x->id < top)) {
			best = x->w;
			top = x->id;
		}
	}
	p->hist_tag[0] = top;
	p->hist_share[0] = top ? (uint8_t)lrint(best / sum * 255.0) : 0;
}

static void _season(struct lrn_profile *p, const struct evt_record *e)
{
	int m = clk_month(e->time_ms, e->tz_offset_min);

	if (m < 1)
		return;
	/* Dec-Feb winter, Mar-May spring, Jun-Aug summer, Sep-Nov autumn. */
	_hist8_inc(p->seasons, LRN_SEASONS, (unsigned)(m % 12) / 3);
}

/* Drift -------------------------------------------------------------------- */

/* Sum of the short counts and of the positive long weights over the
 * category slots in use; n of them. */
/*
 * KL(P_short || P_long) (header comment). With limit >= 0 it may return,
 * instead, a chi-square bound below limit: KL <= ln(1 + chi2) <= chi2 costs
 * no logarithm, and settles the usual case, a stable user far from either
 * threshold.
 */
static double _kl(const struct lrn_profile *p, const struct lrn_params *prm,
    double limit)
{
	double S = 0.0, L = 0.0;
	unsigned n = 0;

	if (p->events < prm->drift_min_events)
		return 0.0;
	for (unsigned i = 0; i < LRN_CATS; i++) {
		if (p->cats[i].id == 0)
			continue;
		n++;
		S += _bf_get(p->cat_short[i]);
		L += p->cat_long[i] > 0.0f ? p->cat_long[i] : 0.0f;
	}
	if (n < 2 || S < prm->drift_min_short || !(L > 0.0))
		return 0.0;
	/* Long: mixed with uniform so no slot has probability 0. Short:
	 * shrunk toward the long one by kl_prior pseudo-events, so a handful
	 * of events cannot look like a new person (the small-sample bias of
	 * KL is about (n_slots - 1) / (2 S) otherwise). */
	double lam = prm->kl_smooth, u = lam / n, a = prm->kl_prior, kl = 0.0;
	double ps[LRN_CATS], ql[LRN_CATS], chi2 = 0.0;
	for (unsigned i = 0; i < LRN_CATS; i++) {
		if (p->cats[i].id == 0)
			continue;
		double l = p->cat_long[i] > 0.0f ? p->cat_long[i] : 0.0f;
		ql[i] = (1.0 - lam) * l / L + u;
		ps[i] = (_bf_get(p->cat_short[i]) + a * ql[i]) / (S + a);
		chi2 += (ps[i] - ql[i]) * (ps[i] - ql[i]) / ql[i];
	}
	if (limit >= 0.0 && chi2 < limit)
		return chi2;
	for (unsigned i = 0; i < LRN_CATS; i++)
		if (p->cats[i].id != 0)
			kl += ps[i] * log(ps[i] / ql[i]);
	/* Rounding can leave a hair below 0 for equal distributions. */
	return kl > 0.0 ? kl : 0.0;
}

double lrn_drift_kl(const struct lrn_profile *p, const struct lrn_params *prm)
{
	assert(p != NULL && prm != NULL);
	return _kl(p, prm, -1.0);
}

/*
 * Pulls one table toward the surplus of short-term attention over its
 * current weights (header comment). Target mass goes to mass as well, so
 * |w| <= mass still holds.
 */
static void _pull(struct lrn_weight *ws, float *mass, const uint16_t *shrt,
    unsigned n, double rho)
{
	double S = 0.0, W = 0.0, T = 0.0, t[LRN_TAGS];

	assert(n <= LRN_TAGS);
	for (unsigned i = 0; i < n; i++) {
		if (ws[i].id == 0)
			continue;
		S += _bf_get(shrt[i]);
		W += ws[i].w > 0.0 ? ws[i].w : 0.0;
	}
	if (!(S > 0.0) || !(W > 0.0))
		return;
	for (unsigned i = 0; i < n; i++) {
		double pw = ws[i].w > 0.0 ? ws[i].w / W : 0.0;
		double x = ws[i].id ? _bf_get(shrt[i]) / S - pw : 0.0;
		t[i] = x > 0.0 ? x : 0.0;
		T += t[i];
	}
	if (!(T > 0.0))
		return;
	for (unsigned i = 0; i < n; i++) {
		if (ws[i].id == 0)
			continue;
		double add = rho * W * t[i] / T;
		ws[i].w = (1.0 - rho) * ws[i].w + add;
		mass[i] = (float)((1.0 - rho) * mass[i] + add);
	}
}

static void _drift(struct lrn_profile *p, const struct lrn_params *prm)
{
	double kl = _kl(p, prm, p->drift ? prm->kl_release : prm->kl_threshold);
	int32_t now_h = _hour_of(p->last_ms);

	if (!p->drift && kl > prm->kl_threshold) {
		p->drift = 1;
		p->drift_h = now_h;
		if (p->drift_count != UINT8_MAX)
			p->drift_count++;
	} else if (p->drift && kl < prm->kl_release) {
		p->drift = 0;
	}
	if (!p->drift)
		return;
	double days = (double)((int64_t)now_h - p->drift_h) / 24.0;
	double rho = prm->drift_pull *
	    pow(prm->drift_pull_decay_per_day, days > 0.0 ? days : 0.0);
	_pull(p->tags, p->tag_mass, p->tag_short, LRN_TAGS, rho);
	_pull(p->cats, p->cat_mass, p->cat_short, LRN_CATS, rho);
}

/* Apply -------------------------------------------------------------------- */

static void _count(struct lrn_profile *p, const struct evt_record *e)
{
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
	_count(p, e);

	/* Bring the profile to the later of the two times; an older event is
	 * aged to last_ms instead, so W(last) is the same in any order. */
	double age = 1.0, long_age = 1.0, short_add = 1.0;
	int64_t t = e->time_ms, prev = p->last_ms;
	int32_t hour = _hour_of(t);
	bool first = p->events == 0, late = false, new_hour = false;
	if (first) {
		p->first_ms = t;
		p->last_ms = t;
		p->short_h = hour;
	} else {
		if (t < p->first_ms)
			p->first_ms = t;
		if (t > p->last_ms) {
			_advance(p, prm, t);
		} else if (t < p->last_ms) {
			late = true;
			age = _decay(prm, t, p->last_ms);
		}
		new_hour = hour > p->short_h;
		_grid_step(p, prm, hour, &short_add, &long_age);
	}
	_inc32(&p->events);

	unsigned views = 0;
	if (e->type == EVT_VIEW && e->entity_key != 0)
		views = _recent_views(p, e->entity_key);
	if (item == NULL) {
		/* A search without matched tags is an ordinary search, not a
		 * catalog miss. */
		if (e->type != EVT_SEARCH)
			_inc32(&p->unknown);
	} else {
		double base =
		    lrn_event_signal(prm, e, views) * prm->learning_rate;
		struct _contrib k = {
			.c = base * age,
			.c_long = base > 0.0 ? base * long_age : 0.0,
			.n_short = base > 0.0 ? short_add : 0.0,
			.dp = e->daypart < EVT_DP_COUNT ? e->daypart
							: EVT_DP_COUNT,
		};
		/* Zero (no signal, or aged past double range) teaches nothing and
		 * must not occupy a slot or evict a real interest. */
		if (k.c != 0.0)
			_learn_item(p, item, &k);
	}
	if (e->type == EVT_VIEW && e->entity_key != 0)
		_recent_view(p, e->entity_key);

	if (e->weekday < 7 && e->daypart < EVT_DP_COUNT)
		_hours_inc(p, e->weekday, e->daypart);
	if (e->device < EVT_DEV_COUNT)
		_hist_inc(p->devices, EVT_DEV_COUNT, e->device);
	if (e->platform < EVT_PLAT_COUNT)
		_hist_inc(p->platforms, EVT_PLAT_COUNT, e->platform);
	if (e->geo_cell != 0)
		_geo(p, e->geo_cell);
	_season(p, e);
	if (!late) {
		_session(p, prm, e, prev, first);
		_history(p, e);
	}
	/* Judged once per event hour, after the hour's first event. */
	if (new_hour)
		_drift(p, prm);
}

double lrn_weight_at(const struct lrn_profile *p, const struct lrn_params *prm,
    double w, int64_t at_ms)
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

/* Readers ------------------------------------------------------------------ */

static double _clamp01(double x)
{
	return x < 0.0 ? 0.0 : x > 1.0 ? 1.0 : x;
}

double lrn_confidence(const struct lrn_profile *p, const struct lrn_params *prm,
    const struct lrn_weight *entry)
{
	assert(p != NULL && prm != NULL && entry != NULL);
	double m;
	if (entry >= p->tags && entry < p->tags + LRN_TAGS)
		m = p->tag_mass[entry - p->tags];
	else if (entry >= p->cats && entry < p->cats + LRN_CATS)
		m = p->cat_mass[entry - p->cats];
	else {
		assert(!"entry is not in the profile");
		return 0.0;
	}
	if (entry->id == 0)
		return 0.0;
	double K =
	    prm->confidence_prior * prm->confidence_unit * prm->learning_rate;
	double den = m + K;
	/* mass is a float: |w| may exceed it by a rounding hair. */
	return den > 0.0 ? _clamp01(fabs(entry->w) / den) : 0.0;
}

static void _sums(const struct lrn_weight *ws, const float *mass, unsigned n,
    double *net, double *gross)
{
	*net = *gross = 0.0;
	for (unsigned i = 0; i < n; i++) {
		if (ws[i].id == 0)
			continue;
		*net += fabs(ws[i].w);
		*gross += mass[i];
	}
}

double lrn_profile_confidence(const struct lrn_profile *p,
    const struct lrn_params *prm)
{
	double net, gross;

	assert(p != NULL && prm != NULL);
	/* One category per item: its table counts each event once. */
	_sums(p->cats, p->cat_mass, LRN_CATS, &net, &gross);
	if (!(gross > 0.0))
		_sums(p->tags, p->tag_mass, LRN_TAGS, &net, &gross);
	if (!(gross > 0.0))
		return 0.0;
	double K = prm->confidence_profile_prior * prm->confidence_unit *
	    prm->learning_rate;
	return _clamp01(net / (gross + K));
}

unsigned lrn_history(const struct lrn_profile *p, struct lrn_hist_entry *out)
{
	unsigned k = 0;

	assert(p != NULL && out != NULL);
	for (unsigned i = 0; i < LRN_HIST; i++) {
		if (p->hist_tag[i] == 0)
			continue;
		struct lrn_hist_entry *h = &out[k++];
		int64_t wk = (int64_t)p->hist_week - i;
		/* The ISO year is the year of the week's Thursday. */
		int64_t thu = wk * 7, y; /* Monday is 7 wk - 3 */
		unsigned mo, d;
		clk_civil_from_days(thu, &y, &mo, &d);
		int64_t jan1 = clk_days_from_civil(y, 1, 1);
		h->week = (int32_t)wk;
		h->iso_year = (int32_t)y;
		h->iso_week = (unsigned)((thu - jan1) / 7 + 1);
		h->tag = p->hist_tag[i];
		h->share = p->hist_share[i] / 255.0;
	}
	return k;
}

const char *lrn_engagement_name(enum lrn_engagement e)
{
	static const char *const names[] = { "new", "active", "casual",
		"dormant" };
	return (unsigned)e < 4 ? names[e] : "?";
}

static enum lrn_engagement _engagement(const struct lrn_profile *p,
    const struct lrn_params *prm, int64_t as_of)
{
	double day = (double)LRN_DAY_MS;
	double since_last = (double)(as_of - p->last_ms) / day;
	double since_first = (double)(as_of - p->first_ms) / day;

	if (p->events == 0 || since_last > prm->engage_dormant_days)
		return LRN_ENG_DORMANT;
	if (since_first <= prm->engage_new_days)
		return LRN_ENG_NEW;
	double weeks = since_first / 7.0;
	if (since_last <= prm->engage_active_days &&
	    p->events >= prm->engage_active_per_week * weeks)
		return LRN_ENG_ACTIVE;
	return LRN_ENG_CASUAL;
}

void lrn_behavior(const struct lrn_profile *p, const struct lrn_params *prm,
    int64_t as_of_ms, struct lrn_behavior *out)
{
	assert(p != NULL && prm != NULL && out != NULL);
	memset(out, 0, sizeof *out);
	out->sessions = p->sessions;
	if (p->sessions) {
		out->events_per_session = (double)p->events / p->sessions;
		out->mean_session_s =
		    ((double)p->sess_total_s + p->sess_age_s) / p->sessions;
	}
	uint32_t best = 0, all = 0, weekend = 0;
	for (unsigned d = 0; d < 7; d++) {
		for (unsigned h = 0; h < EVT_DP_COUNT; h++) {
			uint32_t n = p->hours[d][h];
			all += n;
			if (d >= 5)
				weekend += n;
			/* Strict >: ties keep the earliest cell. */
			if (n > best) {
				best = n;
				out->peak_weekday = d;
				out->peak_daypart = h;
			}
		}
	}
	out->weekend_share = all ? (double)weekend / all : 0.0;
	const uint32_t *c = p->counts;
	if (c[LRN_N_VIEW])
		out->click_per_view = (double)c[LRN_N_CLICK] / c[LRN_N_VIEW];
	if (c[LRN_N_CLICK])
		out->act_per_click =
		    (double)(c[LRN_N_SAVE] + c[LRN_N_RSVP]) / c[LRN_N_CLICK];
	out->engagement = _engagement(p, prm, as_of_ms);
}
