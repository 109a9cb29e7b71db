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
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "engine/clock.h"
#include "engine/rng.h"

static double _fdays(double ln_base, double days);

void lrn_params_derive(struct lrn_params *p)
{
	assert(p != NULL);
	/* log(0) is -inf: exp(-inf * days) is 0 for days > 0, and _fdecay
	 * never multiplies it by 0 days. */
	p->ln_decay = log(p->decay_per_day);
	p->ln_short = log(0.5) * 24.0 / p->short_half_life_h;
	p->ln_long = log(p->long_decay_per_day);
	p->ln_pull = log(p->drift_pull_decay_per_day);
	p->ln_geo = log(0.5) / p->geo_half_life_days;
	p->of_decay = p->decay_per_day;
	p->of_short = p->short_half_life_h;
	p->of_long = p->long_decay_per_day;
	p->of_pull = p->drift_pull_decay_per_day;
	p->of_geo = p->geo_half_life_days;
	for (unsigned h = 0; h < LRN_GRID_HOURS; h++) {
		p->grid_decay[h] = _fdays(p->ln_decay, (double)h / 24.0);
		p->grid_short[h] = _fdays(p->ln_short, (double)h / 24.0);
		p->grid_long[h] = _fdays(p->ln_long, (double)h / 24.0);
	}
}

bool lrn_params_derived(const struct lrn_params *p)
{
	return p->of_decay == p->decay_per_day &&
	    p->of_short == p->short_half_life_h &&
	    p->of_long == p->long_decay_per_day &&
	    p->of_pull == p->drift_pull_decay_per_day &&
	    p->of_geo == p->geo_half_life_days;
}

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
	lrn_params_derive(p);
}

void lrn_profile_init(struct lrn_profile *p, uint64_t user_key)
{
	assert(p != NULL);
	memset(p, 0, sizeof *p);
	p->user_key = user_key;
}

bool lrn_forget(struct lrn_profile *p)
{
	uint8_t consent = p->consent;
	lrn_profile_init(p, p->user_key);
	p->consent = consent;
	return lrn_holds(p);
}

void lrn_consent(struct lrn_profile *p, uint8_t consent)
{
	uint8_t set = (uint8_t)(consent >> 4) & EVT_PURPOSES;
	uint8_t granted = consent & set;
	uint8_t now = (uint8_t)((p->consent | EVT_CONSENT_SET(set)) & ~set);
	now |= granted;
	if (set & EVT_PURPOSE_PERSONALIZATION &&
	    !(granted & EVT_PURPOSE_PERSONALIZATION))
		lrn_profile_init(p, p->user_key);
	p->consent = now;
}

/* lrn_count_of, inlined into lrn_apply. */
static inline unsigned _count_of(unsigned type, int fb)
{
	if (type >= EVT_TYPE_COUNT)
		return LRN_N_COUNT;
	if (type < EVT_FEEDBACK)
		return type;
	if (type == EVT_FEEDBACK)
		return fb > 0 ? LRN_N_FEEDBACK_POS
		    : fb < 0  ? LRN_N_FEEDBACK_NEG
			      : LRN_N_COUNT;
	return type + 1; /* after the split feedback */
}

unsigned lrn_count_of(unsigned type, int fb)
{
	return _count_of(type, fb);
}

/*
 * Where each verb's signal is in struct lrn_params (feedback, whose
 * setting depends on its sign, aside). A load from a table instead of a
 * switch: the worker asks several times per event, and event types come
 * in no order a jump predicts.
 */
#define _SIG(f) offsetof(struct lrn_params, f)
#define _SIG_CUSTOM(k) (_SIG(verb_signal) + (k) * sizeof(double))
static const size_t _signal_at[EVT_TYPE_COUNT] = {
	[EVT_VIEW] = _SIG(signal_view),
	[EVT_CLICK] = _SIG(signal_click),
	[EVT_RSVP] = _SIG(signal_rsvp),
	[EVT_SAVE] = _SIG(signal_save),
	[EVT_SHARE] = _SIG(signal_share),
	[EVT_FEEDBACK] = 0, /* by sign, below */
	[EVT_SEARCH] = _SIG(signal_search),
	[EVT_CART] = _SIG(signal_cart),
	[EVT_PURCHASE] = _SIG(signal_purchase),
	[EVT_LIKE] = _SIG(signal_like),
	[EVT_DISLIKE] = _SIG(signal_dislike),
	[EVT_SKIP] = _SIG(signal_skip),
	[EVT_HIDE] = _SIG(signal_hide),
	[EVT_IMPRESSION] = _SIG(impression_signal),
	[EVT_CUSTOM0 + 0] = _SIG_CUSTOM(0),
	[EVT_CUSTOM0 + 1] = _SIG_CUSTOM(1),
	[EVT_CUSTOM0 + 2] = _SIG_CUSTOM(2),
	[EVT_CUSTOM0 + 3] = _SIG_CUSTOM(3),
	[EVT_CUSTOM0 + 4] = _SIG_CUSTOM(4),
	[EVT_CUSTOM0 + 5] = _SIG_CUSTOM(5),
};
_Static_assert(EVT_BUILTIN_COUNT == 14 && EVT_CUSTOM_VERBS == 6,
    "one _signal_at row per verb");
#undef _SIG
#undef _SIG_CUSTOM

/* lrn_signal; lrn_apply looks it up once and reuses it. */
static inline double _signal(const struct lrn_params *prm,
    const struct evt_record *e)
{
	if (e->type == EVT_FEEDBACK) {
		if (e->feedback > 0)
			return prm->signal_feedback_pos;
		if (e->feedback < 0)
			return prm->signal_feedback_neg;
		return 0.0;
	}
	if (e->type >= EVT_TYPE_COUNT)
		return 0.0;
	double sig;
	memcpy(&sig, (const char *)prm + _signal_at[e->type], sizeof sig);
	return sig;
}

double lrn_signal(const struct lrn_params *prm, const struct evt_record *e)
{
	assert(prm != NULL && e != NULL);
	return _signal(prm, e);
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

/*
 * An impression's signal s after prior_views earlier showings of its
 * entity: halved by each (repeat_ratio), and nothing once the memory's
 * count is saturated (LRN_SEEN_COUNT_MAX: the 16th showing and later
 * cannot be told apart), so all of them together stay within
 * impression_signal / (1 - repeat_ratio).
 */
static double _impression_repeat(const struct lrn_params *prm, double s,
    unsigned prior_views)
{
	if (prior_views >= LRN_SEEN_COUNT_MAX)
		return 0.0;
	return prior_views > 0 ? s * pow(prm->repeat_ratio, (double)prior_views)
			       : s;
}

/* lrn_event_signal from the event's lrn_signal s. */
static inline double _event_signal(const struct lrn_params *prm,
    const struct evt_record *e, unsigned prior_views, double s)
{
	/* An impression is examined less the lower it is shown, and each
	 * earlier showing of the entity halves what one more says (its
	 * impressions together stay within impression_signal / (1 -
	 * repeat_ratio)). */
	if (e->type == EVT_IMPRESSION) {
		s /= log2((double)(e->position ? e->position : 1) + 1.0);
		return _impression_repeat(prm, s, prior_views);
	}
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
		return _impression_repeat(prm,
		    prm->impression_signal / log2((double)e->position + 1.0),
		    prior_views);
	if (implicit)
		s *= _dwell_factor(prm, e->dwell_ms) *
		    _scroll_factor(prm, e->scroll_depth);
	if (prior_views > 0 && (implicit || prm->repeat_plain))
		s *= pow(prm->repeat_ratio, (double)prior_views);
	return s;
}

double lrn_event_signal(const struct lrn_params *prm,
    const struct evt_record *e, unsigned prior_views)
{
	return _event_signal(prm, e, prior_views, lrn_signal(prm, e));
}

/* Small helpers ------------------------------------------------------------ */

/* Counters only ever grow; a stuck maximum is better than a wrap to 0. */
static void _inc32(uint32_t *c)
{
	if (*c != UINT32_MAX)
		(*c)++;
}

static void _inc16(uint16_t *c)
{
	if (*c != UINT16_MAX)
		(*c)++;
}

/*
 * exp(ln_base * dt / day) for dt = to - from > 0, else 1: a per-day factor
 * applied over a span of event time. One exp() instead of pow(): ln_base
 * is derived once (lrn_params_derive). The difference is taken in unsigned
 * arithmetic so extreme timestamps cannot overflow a signed subtraction;
 * relative error against pow() is below 1e-12 for any span under 10^5
 * days, far under the 6e-8 of the floats it scales.
 */
static double _fdecay(double ln_base, int64_t from, int64_t to)
{
	if (to <= from)
		return 1.0;
	uint64_t dt = (uint64_t)to - (uint64_t)from;
	return exp(ln_base * ((double)dt / (double)LRN_DAY_MS));
}

/* The same over a whole number of days (the hourly grid: hours / 24). */
static double _fdays(double ln_base, double days)
{
	return days > 0.0 ? exp(ln_base * days) : 1.0;
}

/*
 * The hourly grid's factor for a span of whole hours: from the table
 * lrn_params_derive() filled by this same _fdays expression (no error:
 * the same double), or exp() for spans of LRN_GRID_HOURS and more (10
 * days and 16 hours). A sparse user's events are mostly in new hours.
 */
static double _fhours(const double *table, double ln_base, int64_t hours)
{
	if (hours <= 0)
		return 1.0;
	if (hours >= LRN_GRID_HOURS)
		return _fdays(ln_base, (double)hours / 24.0);
	return table[hours];
}

/* a / b rounded down, for b > 0 (every caller's is a constant): the
 * remainder has the sign of a, so a negative one means q rounded up. */
static int64_t _floor_div(int64_t a, int64_t b)
{
	assert(b > 0);
	int64_t q = a / b;
	return q - (a % b < 0);
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
 * short horizon and the long drift weights need range, not digits. */
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

/*
 * bfloat16 of f rounded up or down at random in proportion to where f lies
 * between the two (stochastic rounding, the low 16 bits of noise decide):
 * unbiased, so a long run of steps below half a unit still moves a value
 * as it should. The drift's long horizon needs it: an hour of its decay
 * (0.989 a day) is 0.00046 of the value and one event of an active user
 * a few hundredths of a percent, both below bfloat16's half unit (0.002):
 * rounded to nearest, the value froze for good and so did the drift flag.
 */
static uint16_t _bf_put_dither(float f, uint32_t noise)
{
	uint32_t u;
	memcpy(&u, &f, sizeof u);
	if ((u & 0x7F800000u) == 0x7F800000u)
		return _bf_put(f); /* inf, NaN: as they are */
	u += noise & 0xFFFFu;	   /* a carry in proportion to the low bits */
	return (uint16_t)(u >> 16);
}

/* The noise of one update of cat_long[slot]: deterministic for a given
 * profile, event count and kind (0 an event's increment, 1 an hour's
 * decay), so a replay learns the same. */
static uint32_t _dither(const struct lrn_profile *p, unsigned slot,
    unsigned kind)
{
	uint64_t z =
	    p->user_key ^ ((uint64_t)p->events << 8 | slot << 1 | kind);
	return (uint32_t)rng_mix64(&z);
}

/* 32 well-mixed bits of a key: multiplicative hashing moves differences in
 * the low bits (nearby ids) into the high bits that the packed tables keep. */
static uint32_t _fold32(uint64_t k)
{
	return (uint32_t)((k * 0x9E3779B97F4A7C15ULL) >> 32);
}

/* An 8-bit histogram: a full cell halves them all, keeping the shape. */
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
	if (p->hours[wd][dp] == UINT8_MAX) {
		for (unsigned d = 0; d < 7; d++)
			for (unsigned h = 0; h < EVT_DP_COUNT; h++)
				p->hours[d][h] >>= 1;
	}
	p->hours[wd][dp]++;
}

/* Locations --------------------------------------------------------------- */

static int32_t _day_of(int64_t t)
{
	return (int32_t)_floor_div(t, LRN_DAY_MS);
}

/* A cell's weight as of `day`: its count halving every geo_half_life_days
 * since the user was last there. */
static double _geo_weight(const struct lrn_profile *p,
    const struct lrn_params *prm, unsigned i, int32_t day)
{
	double age = (double)day - (double)p->geo_day[i];
	return p->geo_n[i] * _fdays(prm->ln_geo, age);
}

/*
 * Bounded cells with recency: a known cell counts one more; a new one
 * takes a free slot or the cell of least weight as of today (counts halve
 * with the time since the user was last there), so a user who moved
 * replaces the old cells within a few half-lives. Ties: the lowest slot.
 */
static void _geo(struct lrn_profile *p, const struct lrn_params *prm,
    uint64_t cell, int64_t t)
{
	int32_t day32 = _day_of(t);
	uint16_t day = day32 < 0 ? 0
	    : day32 > UINT16_MAX ? UINT16_MAX
				 : (uint16_t)day32;
	unsigned victim = 0;
	double least = INFINITY;

	for (unsigned i = 0; i < LRN_GEO; i++) {
		if (p->geo_cell[i] == cell) {
			_inc16(&p->geo_n[i]);
			if (day > p->geo_day[i])
				p->geo_day[i] = day;
			return;
		}
	}
	for (unsigned i = 0; i < LRN_GEO; i++) {
		double w = p->geo_cell[i] ? _geo_weight(p, prm, i, day) : -1.0;
		if (w < least) {
			least = w;
			victim = i;
		}
	}
	p->geo_cell[victim] = cell;
	p->geo_n[victim] = 1;
	p->geo_day[victim] = day;
}

/* Interest tables and admission ------------------------------------------- */

/*
 * A candidate's run byte (lrn_profile.shadow_tag_n): positive events in a
 * row, each within admit_gap_h of the one before (high nibble, at most
 * 15), and hours since the last of them (low nibble, at most 15).
 */
#define _RUN_EVENTS(x) ((unsigned)(x) >> 4)
#define _RUN_AGE(x) ((unsigned)(x)&0xFu)
#define _RUN_IDLE 0x0Fu /* no positive event lately */

static void _shadow_age(uint8_t *sn, int64_t hours)
{
	for (unsigned i = 0; i < LRN_SHADOWS; i++) {
		int64_t age = (int64_t)_RUN_AGE(sn[i]) + hours;
		sn[i] = (uint8_t)((sn[i] & 0xF0u) | (age < 15 ? age : 15));
	}
}

/* The run byte after a positive event: a run goes on when the one
 * before was within gap_h hours, else starts again at 1. */
static uint8_t _run_next(uint8_t x, unsigned gap_h)
{
	/* 15 is "15 hours or more": never within a gap (at most 14). */
	unsigned age = _RUN_AGE(x);
	unsigned n = age < 15 && age <= gap_h ? _RUN_EVENTS(x) + 1 : 1;
	return (uint8_t)((n < 15 ? n : 15) << 4);
}

/* What one event brings to each entry it touches. */
struct _contrib {
	double c;	/* to w (and |c| to mass), aged to the anchor hour */
	double c_short; /* to s, aged to the short grid hour */
	double c_long;	/* to cat_long: positive part, aged on the long grid */
	double n_short; /* to cat_count: 1 for a positive event, aged as s */
	unsigned dp;	/* daypart, EVT_DP_COUNT when unknown */
	bool act;	/* a deliberate act (lrn_is_action), admit_acts on */
	bool late;	/* of an hour before the tables' (short_h) */
};

/*
 * One lookup of an id in an interest table, four entries at a time: the
 * ids and |w| of the entries transposed into lanes (GCC and clang vector
 * extensions, one register each on baseline x86-64 and arm64), compared
 * at once. Every event looks up each of its item's tags and its category,
 * and in a full table most of them are newcomers that also need the
 * weakest entry: one pass gives both.
 */
typedef uint32_t _v4u __attribute__((vector_size(16)));
typedef int32_t _v4i __attribute__((vector_size(16)));
typedef float _v4f __attribute__((vector_size(16)));
typedef double _v2d __attribute__((vector_size(16)));

#define _GROUPS ((LRN_TAGS + 3) / 4)
_Static_assert(LRN_TAGS % 2 == 0 && LRN_CATS % 2 == 0 && LRN_CATS <= LRN_TAGS &&
	LRN_TAGS <= 32,
    "a table is looked up in pairs of entries, its slots in a 32-bit mask");
_Static_assert(sizeof(struct lrn_weight) == sizeof(_v4u),
    "an entry is one vector: id, w, mass, s and n");

/*
 * A table in lanes (ids and |w| of slots 4g..4g+3 in ids[g] and aw[g]),
 * kept across the lookups of one event's tags: most of them are
 * newcomers turned away (the table unchanged), so the table is read into
 * lanes once (_lanes) and again only for the group of a slot an id was
 * learned into (_relane). Between the two, whatever changed ws[] is
 * relaned: the lanes are what a fresh read would give.
 */
struct _look {
	uint32_t hit;	   /* bit i: slot i holds the id */
	uint32_t free;	   /* bit i: slot i is free */
	_v4u ids[_GROUPS]; /* ids of slots 4g..4g+3 in lanes of ids[g] */
	_v4f aw[_GROUPS];  /* |w| of slots 4g..4g+3 in lanes of aw[g] */
};

/* Bit i set for lane i of a comparison (all ones or zero). */
static inline __attribute__((always_inline)) unsigned _bits4(_v4i c)
{
#if defined(__SSE2__)
	return (unsigned)_mm_movemask_ps((__m128)c);
#else
	_v4i b = c & (_v4i){ 1, 2, 4, 8 };
	return (unsigned)(b[0] | b[1] | b[2] | b[3]);
#endif
}

/* Lane by lane a < m ? a : m (so m where either is NaN). */
static inline __attribute__((always_inline)) _v4f _vmin(_v4f a, _v4f m)
{
#if defined(__SSE2__)
	return (_v4f)_mm_min_ps((__m128)a, (__m128)m);
#else
	_v4i lt = a < m;
	return (_v4f)(((_v4i)a & lt) | ((_v4i)m & ~lt));
#endif
}

/* Lane by lane a > m ? a : m. */
static inline __attribute__((always_inline)) _v4f _vmax(_v4f a, _v4f m)
{
#if defined(__SSE2__)
	return (_v4f)_mm_max_ps((__m128)a, (__m128)m);
#else
	_v4i gt = a > m;
	return (_v4f)(((_v4i)a & gt) | ((_v4i)m & ~gt));
#endif
}

static inline __attribute__((always_inline)) _v4u _entry(
    const struct lrn_weight *x)
{
	_v4u v;
	memcpy(&v, x, sizeof v);
	return v;
}

/*
 * The ids and w of entries 4g..4g+3 of ws[0..n) (n even), in lanes. A
 * table of two entries past a multiple of four reads its last pair twice,
 * in the upper lanes: callers mask their bits off, and repeating a pair
 * changes no minimum or maximum.
 */
static inline __attribute__((always_inline)) void
_group(const struct lrn_weight *ws, unsigned n, unsigned g, _v4u *ids, _v4u *w)
{
	const struct lrn_weight *x = ws + 4 * g;
	unsigned c = 4 * g + 2 < n ? 2 : 0;
	_v4u a = __builtin_shufflevector(_entry(x), _entry(x + 1), 0, 4, 1, 5);
	_v4u b = __builtin_shufflevector(_entry(x + c), _entry(x + c + 1), 0, 4,
	    1, 5);
	*ids = __builtin_shufflevector(a, b, 0, 1, 4, 5);
	*w = __builtin_shufflevector(a, b, 2, 3, 6, 7);
}

/* Bits 0..n-1. */
static uint32_t _all(unsigned n)
{
	return n < 32 ? (1u << n) - 1 : ~0u;
}

/* Group g of ws[0..n) (n even) into l's lanes. */
static inline __attribute__((always_inline)) void
_relane(const struct lrn_weight *ws, unsigned n, unsigned g, struct _look *l)
{
	_v4u w;
	_group(ws, n, g, &l->ids[g], &w);
	l->aw[g] = (_v4f)(w & 0x7FFFFFFFu); /* fabsf, lane by lane */
}

/*
 * Bit i set where lane i % 4 of ids[i / 4] equals key, for the groups of
 * a table of n entries (n even, at most 12; bits from n up unspecified).
 * SSE2 narrows the comparisons of all groups into one byte mask: a
 * lookup is three compares and one mask instead of a mask, shift and or
 * per group.
 */
static inline __attribute__((always_inline)) uint32_t _match(unsigned n,
    const _v4u *ids, _v4u key)
{
#if defined(__SSE2__)
	_Static_assert(LRN_TAGS <= 12, "three groups narrow into one mask");
	__m128i c0 = (__m128i)(ids[0] == key);
	__m128i c1 = 4 < n ? (__m128i)(ids[1] == key) : c0;
	__m128i c2 = 8 < n ? (__m128i)(ids[2] == key) : c1;
	__m128i b =
	    _mm_packs_epi16(_mm_packs_epi32(c0, c1), _mm_packs_epi32(c2, c2));
	return (uint32_t)_mm_movemask_epi8(b);
#else
	uint32_t m = 0;
	for (unsigned g = 0; 4 * g < n; g++)
		m |= _bits4((_v4i)(ids[g] == key)) << 4 * g;
	return m;
#endif
}

/* The free slots of a table in lanes (_lanes; _learn keeps it). */
static inline __attribute__((always_inline)) void _frees(unsigned n,
    struct _look *l)
{
	l->free = _match(n, l->ids, (_v4u){ 0, 0, 0, 0 }) & _all(n);
}

/* Looks id (not 0) up in the lanes of a table of n entries (n even). */
static inline __attribute__((always_inline)) void _lookup(unsigned n,
    uint32_t id, struct _look *l)
{
	l->hit = _match(n, l->ids, (_v4u){ id, id, id, id }) & _all(n);
}

/* All of ws[0..n) into l's lanes, and which slots are free: the lookups
 * of one event's ids share them (only filling a free slot changes that). */
static inline __attribute__((always_inline)) void
_lanes(const struct lrn_weight *ws, unsigned n, struct _look *l)
{
	for (unsigned g = 0; 4 * g < n; g++)
		_relane(ws, n, g, l);
	_frees(n, l);
}

/*
 * The weakest entry of a full table (smallest |w|; lowest slot on ties),
 * in two steps, since most newcomers are turned away on the least |w|
 * alone and never need its slot; both from the lookup's lanes, without a
 * branch (which entry is weakest is data no branch predicts). The same
 * slot as a scan keeping the first strict minimum, m = |w_i| < m ? |w_i| :
 * m from m = |w_0|, NaN included: a NaN never compares less (_vmin keeps
 * m), so in slot 0 it stays the answer and elsewhere it is never one;
 * every lane starts from |w_0|, and equal minima are the same value.
 */
static inline __attribute__((always_inline)) float
_least(const struct lrn_weight *ws, unsigned n, const struct _look *l)
{
	float w0 = fabsf(ws[0].w);
	_v4f m = { w0, w0, w0, w0 };
	for (unsigned g = 0; 4 * g < n; g++)
		m = _vmin(l->aw[g], m);
	_v4f h = __builtin_shufflevector(m, m, 2, 3, 2, 3);
	m = _vmin(h, m);
	h = __builtin_shufflevector(m, m, 1, 1, 1, 1);
	m = _vmin(h, m);
	return m[0];
}

static inline __attribute__((always_inline)) unsigned _slot_of(unsigned n,
    const struct _look *l, float m)
{
	const _v4f mv = { m, m, m, m };
	uint32_t at = 0;
	for (unsigned g = 0; 4 * g < n; g++)
		at |= _bits4((_v4i)(l->aw[g] == mv)) << 4 * g;
	at &= _all(n);
	return at ? (unsigned)__builtin_ctz(at) : 0;
}

/*
 * An id the full table does not hold: counted in the shadow candidates
 * (space-saving: a newcomer takes the least-counted candidate and inherits
 * its count as eps), and promoted into the table, swapping with the
 * weakest entry, once its guaranteed mass m - eps exceeds that entry's
 * |w|. Returns the table slot it was promoted into, or -1 (held as a
 * candidate). The evicted entry becomes the candidate, so an interest
 * pushed out by a burst can come back.
 */
static inline __attribute__((always_inline)) int _admit(struct lrn_weight *ws,
    unsigned n, const struct _look *l, struct lrn_shadow *sh, uint8_t *sn,
    uint32_t id, const struct _contrib *kc, unsigned admit_events,
    unsigned gap_h, uint16_t *displaced, unsigned *fresh)
{
	unsigned xi = LRN_SHADOWS; /* the candidate's slot */
	const double c = kc->c;
	const bool late = kc->late;
	/* The candidate's new count, net and run, kept in registers for
	 * the tests below: read back from the candidate just stored, they
	 * cost a failed store-to-load forwarding on every call. */
	float net;
	uint8_t run;

	for (unsigned i = 0; i < LRN_SHADOWS; i++)
		if (sh[i].id == id)
			xi = i;
	if (xi < LRN_SHADOWS) {
		sh[xi].m += (float)fabs(c);
		net = sh[xi].net + (float)c;
		/* A late event's hour is not the run's to judge (its age
		 * counts from now): it adds its mass, never to a run. */
		run = c > 0 && !late ? _run_next(sn[xi], gap_h) : sn[xi];
	} else {
		/* A free candidate counts 0; ties: the lowest slot. The
		 * least count so far is the one inherited. */
		float inherited = sh[0].id ? sh[0].m : 0.0f;
		xi = 0;
		for (unsigned i = 1; i < LRN_SHADOWS; i++) {
			float mi = sh[i].id ? sh[i].m : 0.0f;
			if (mi < inherited) {
				xi = i;
				inherited = mi;
			}
		}
		if (sh[xi].id)
			_inc16(displaced);
		sh[xi].id = id;
		sh[xi].m = inherited + (float)fabs(c);
		net = (float)c;
		run = c > 0 && !late ? _run_next(_RUN_IDLE, gap_h) : _RUN_IDLE;
	}
	struct lrn_shadow *x = &sh[xi];
	x->net = net;
	sn[xi] = run;
	unsigned events = _RUN_EVENTS(run);
	float least = _least(ws, n, l);
	bool outweighs = fabsf(net) > least;
	bool may_sustain =
	    (events >= admit_events || (kc->act && c > 0)) && net > 0.0f;
	if (!outweighs && !may_sustain)
		return -1;
	unsigned k = _slot_of(n, l, least);
	bool sustained = may_sustain && net > fabsf(_bf_get(ws[k].s));
	if (!outweighs && !sustained)
		return -1;
	struct lrn_weight out = ws[k];
	struct lrn_shadow in = *x;
	ws[k].id = in.id;
	ws[k].w = in.net;
	ws[k].mass = fabsf(in.net);
	ws[k].s = _bf_put(in.net); /* a candidate's mass is recent */
	/* Its evidence: the run that let it in (at least this event). */
	ws[k].n = (uint16_t)(events > 1 ? events : 1);
	x->id = out.id;
	x->m = out.mass > fabsf(out.w) ? out.mass : fabsf(out.w);
	x->net = out.w;
	sn[xi] = _RUN_IDLE;
	*fresh = events > 1 ? events : 1;
	return (int)k;
}

/*
 * Adds contribution k to id's entry: the entry itself, a free slot, or
 * admission through the shadow candidates. Returns the slot touched, or -1
 * when the contribution is held by a candidate; *fresh says the slot was
 * (re)started by this event. l holds the table in lanes (_lanes) and
 * still does on return.
 */
static inline __attribute__((always_inline)) int _learn(struct lrn_weight *ws,
    unsigned n, struct lrn_shadow *sh, uint8_t *sn, uint32_t id,
    const struct _contrib *k, const struct lrn_params *prm, uint16_t *displaced,
    unsigned *fresh, struct _look *l)
{
	int slot;

	*fresh = 0;
	_lookup(n, id, l);
	if (l->hit) { /* the first slot holding it (ids are unique) */
		slot = __builtin_ctz(l->hit);
		struct lrn_weight *x = &ws[slot];
		x->w += (float)k->c;
		x->mass += (float)fabs(k->c);
		x->s = _bf_put(_bf_get(x->s) + (float)k->c_short);
		_inc16(&x->n);
	} else if (l->free) { /* the first free slot */
		slot = __builtin_ctz(l->free);
		l->free &= l->free - 1; /* no longer free */
		struct lrn_weight *x = &ws[slot];
		x->id = id;
		x->w = (float)k->c;
		x->mass = (float)fabs(k->c);
		x->s = _bf_put((float)k->c_short);
		x->n = 1;
		*fresh = 1;
	} else {
		slot = _admit(ws, n, l, sh, sn, id, k, prm->admit_events,
		    prm->admit_gap_h, displaced, fresh);
	}
	if (slot >= 0) /* the entry changed: its lanes follow */
		_relane(ws, n, (unsigned)slot / 4, l);
	return slot;
}

/*
 * The drift's long horizon of category slot i just (re)started: what its
 * w held before this event (a promoted candidate's own net: for an
 * interest coming back, the weight it left with), on the long horizon's
 * scale, which this user's other categories give (their summed cat_long
 * over their summed positive w). Starting it at 0 took an interest that
 * merely came back for a new one: broad users, with more categories than
 * slots, looked like drifting all the time.
 */
static float _long_seed(const struct lrn_profile *p, int i,
    const struct _contrib *k)
{
	double before = (double)p->cats[i].w - k->c;
	if (!(before > 0.0))
		return 0.0f;
	double sl = 0.0, sw = 0.0;
	for (int j = 0; j < LRN_CATS; j++) {
		if (j == i || !p->cats[j].id || !(p->cats[j].w > 0.0f))
			continue;
		sl += _bf_get(p->cat_long[j]);
		sw += p->cats[j].w;
	}
	return (float)(before * (sw > 0.0 && sl > 0.0 ? sl / sw : 1.0));
}

static void _touch_cat(struct lrn_profile *p, int i, unsigned fresh,
    const struct _contrib *k)
{
	if (fresh) {
		p->cat_long[i] = _bf_put(_long_seed(p, i, k));
		p->cat_count[i] = _bf_put((float)(fresh - 1));
		p->cat_imp[i] = 0;
		p->cat_clk[i] = 0;
		memset(p->cat_dp[i], 0, sizeof p->cat_dp[i]);
	}
	p->cat_long[i] =
	    _bf_put_dither(_bf_get(p->cat_long[i]) + (float)k->c_long,
		_dither(p, (unsigned)i, 0));
	p->cat_count[i] = _bf_put(_bf_get(p->cat_count[i]) + (float)k->n_short);
	if (k->dp < EVT_DP_COUNT)
		_hist8_inc(p->cat_dp[i], EVT_DP_COUNT, k->dp);
}

/* The tags of `item` and its category, each id once. */
static void _learn_item(struct lrn_profile *p, const struct lrn_params *prm,
    const struct lrn_item *item, const struct _contrib *k)
{
	unsigned nt = item->n_tags;
	unsigned fresh;
	struct _look l;

	if (nt > LRN_ITEM_TAGS)
		nt = LRN_ITEM_TAGS;
	_lanes(p->tags, LRN_TAGS, &l);
	for (unsigned i = 0; i < nt; i++) {
		uint32_t id = item->tags[i];
		bool dup = false;

		if (id == 0)
			continue;
		/* An item listing a tag twice is still one piece of evidence. */
		for (unsigned j = 0; j < i && !dup; j++)
			dup = item->tags[j] == id;
		if (!dup)
			_learn(p->tags, LRN_TAGS, p->shadow_tags,
			    p->shadow_tag_n, id, k, prm, &p->displaced, &fresh,
			    &l);
	}
	if (item->category != 0) {
		_lanes(p->cats, LRN_CATS, &l);
		int s =
		    _learn(p->cats, LRN_CATS, p->shadow_cats, p->shadow_cat_n,
			item->category, k, prm, &p->displaced, &fresh, &l);
		if (s >= 0)
			_touch_cat(p, s, fresh, k);
	}
}

/* Time --------------------------------------------------------------------- */

static void _decay_table(struct lrn_weight *ws, unsigned n,
    struct lrn_shadow *sh, float d)
{
	for (unsigned i = 0; i < n; i++) {
		ws[i].w *= d;
		ws[i].mass *= d;
	}
	for (unsigned i = 0; i < LRN_SHADOWS; i++) {
		sh[i].m *= d;
		sh[i].net *= d;
	}
}

/*
 * The short horizon of entries x[0..k) (k 2 or 4) times d, rounded back
 * to bfloat16 (_bf_put(_bf_get(s) * d), lane by lane the same float
 * product and integer steps): the four s words gathered into one
 * register, scaled and rounded at once, and stored back one by one. Every
 * event in a new hour of its user's event time steps 18 of them. k 2
 * reads its pair twice and stores it once.
 */
static inline __attribute__((always_inline)) void _short4(struct lrn_weight *x,
    unsigned k, float d)
{
	unsigned c = k == 4 ? 2 : 0;
	_v4u ab = __builtin_shufflevector(_entry(x), _entry(x + 1), 3, 7, 3, 7);
	_v4u cd = __builtin_shufflevector(_entry(x + c), _entry(x + c + 1), 3,
	    7, 3, 7);
	_v4u s = __builtin_shufflevector(ab, cd, 0, 1, 4, 5) << 16;
	const _v4f dv = { d, d, d, d };
	_v4u u = (_v4u)((_v4f)s * dv);
	u += 0x7FFFu + ((u >> 16) & 1u);
	u >>= 16;
	for (unsigned i = 0; i < k; i++)
		x[i].s = (uint16_t)u[i];
}

/* bfloat16 words widened into the high halves of 32-bit lanes (the
 * float they are) and back. */
typedef uint16_t _v8h __attribute__((vector_size(16)));
typedef uint16_t _v4h __attribute__((vector_size(8)));

/* The floats u rounded to bfloat16, nearest even (_bf_put), in the
 * high halves. */
static inline __attribute__((always_inline)) _v4u _near4(_v4u u)
{
	return u + 0x7FFFu + ((u >> 16) & 1u);
}

/*
 * The drift horizons of the six category slots one step of the grid:
 * cat_count times d rounded to nearest (_bf_put), cat_long times ld
 * rounded with noise[i], the noise of slot i's hour step
 * (_bf_put_dither: inf and NaN to nearest). Lane by lane the same float
 * products and integer steps, the twelve words in three registers:
 * cat_long[0..3]; cat_long[4..5] with cat_count[0..1]; cat_count[2..5].
 */
static inline __attribute__((always_inline)) void
_drift_step(struct lrn_profile *p, float d, float ld, const uint32_t *noise)
{
	_Static_assert(LRN_CATS == 6 &&
		offsetof(struct lrn_profile, cat_count) ==
		    offsetof(struct lrn_profile, cat_long) + 12,
	    "cat_count follows cat_long: 12 words in 16 + 8 bytes");
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* Word i of a _v8h is the high half of lane i / 2 when i is odd. */
	const _v8h z8 = { 0 };
	const _v4h z4 = { 0 };
	_v8h v;
	_v4h w;
	memcpy(&v, p->cat_long, sizeof v);
	memcpy(&w, p->cat_count + 2, sizeof w);
	_v4u a = (_v4u)__builtin_shufflevector(z8, v, 0, 8, 1, 9, 2, 10, 3, 11);
	_v4u b =
	    (_v4u)__builtin_shufflevector(z8, v, 4, 12, 5, 13, 6, 14, 7, 15);
	_v4u c = (_v4u)__builtin_shufflevector(z4, w, 0, 4, 1, 5, 2, 6, 3, 7);
	a = (_v4u)((_v4f)a * (_v4f){ ld, ld, ld, ld });
	b = (_v4u)((_v4f)b * (_v4f){ ld, ld, d, d });
	c = (_v4u)((_v4f)c * (_v4f){ d, d, d, d });
	/* Nearest where cat_long is inf or NaN, and for cat_count. */
	_v4u sa = (_v4u)((a & 0x7F800000u) == 0x7F800000u);
	_v4u sb =
	    (_v4u)((b & 0x7F800000u) == 0x7F800000u) | (_v4u){ 0, 0, ~0u, ~0u };
	_v4u na = { noise[0], noise[1], noise[2], noise[3] };
	_v4u nb = { noise[4], noise[5], 0, 0 };
	a = (_near4(a) & sa) | ((a + (na & 0xFFFFu)) & ~sa);
	b = (_near4(b) & sb) | ((b + (nb & 0xFFFFu)) & ~sb);
	c = _near4(c);
	v = __builtin_shufflevector((_v8h)a, (_v8h)b, 1, 3, 5, 7, 9, 11, 13,
	    15);
	w = __builtin_shufflevector((_v8h)c, (_v8h)c, 1, 3, 5, 7);
	memcpy(p->cat_long, &v, sizeof v);
	memcpy(p->cat_count + 2, &w, sizeof w);
#else
	for (unsigned i = 0; i < LRN_CATS; i++) {
		p->cat_count[i] = _bf_put(_bf_get(p->cat_count[i]) * d);
		p->cat_long[i] =
		    _bf_put_dither(_bf_get(p->cat_long[i]) * ld, noise[i]);
	}
#endif
}

/* The start of the hour the tables are as of (short_h's). */
static int64_t _anchor_ms(const struct lrn_profile *p)
{
	return (int64_t)p->short_h * 3600000LL;
}

/*
 * What a contribution at time t weighs as of the anchor: below 1 for an
 * event before it, above 1 (at most an hour's decay) for one after it in
 * its hour. Signed, unlike _fdecay.
 */
static double _to_anchor(double ln_base, int64_t t, int64_t anchor)
{
	double days = ((double)anchor - (double)t) / (double)LRN_DAY_MS;
	return exp(ln_base * days);
}

/*
 * The tables live on an hourly grid of event time (short_h): the short
 * horizon and the long drift weights (bfloat16 cannot hold the tiny decay
 * between events seconds apart, a whole hour's it can) and the long
 * horizon's w, mass and candidates, which are as of the start of that
 * hour (a float cannot hold it either: 40 ms at 0.95 a day is a factor
 * that rounds to 1, and events that dense never decayed). An event in the
 * hour adds its contribution grown to the hour's start (_to_anchor: at
 * most an hour's decay); readers get the tables as of last_ms
 * (lrn_settle). Stepping once an hour keeps the tables' multiplications
 * and the drift check off the per-event path of dense streams. Sets the
 * aging factors of one event at hour h.
 */
static void _grid_step(struct lrn_profile *p, const struct lrn_params *prm,
    int32_t h, double *short_age, double *long_age)
{
	if (h <= p->short_h) {
		int64_t hours = (int64_t)p->short_h - h;
		*short_age = _fhours(prm->grid_short, prm->ln_short, hours);
		*long_age = _fhours(prm->grid_long, prm->ln_long, hours);
		return;
	}
	int64_t hours = (int64_t)h - p->short_h;
	float d = (float)_fhours(prm->grid_short, prm->ln_short, hours);
	float ld = (float)_fhours(prm->grid_long, prm->ln_long, hours);
	float wd = (float)_fhours(prm->grid_decay, prm->ln_decay, hours);
	_Static_assert(LRN_TAGS % 4 == 0 && LRN_CATS % 4 == 2,
	    "the tables step in fours, the categories' last two as a pair");
	for (unsigned i = 0; i < LRN_TAGS; i += 4)
		_short4(p->tags + i, 4, d);
	_short4(p->cats, 4, d);
	_short4(p->cats + 4, 2, d);
	uint32_t noise[LRN_CATS];
	for (unsigned i = 0; i < LRN_CATS; i++)
		noise[i] = _dither(p, i, 1);
	_drift_step(p, d, ld, noise);
	_decay_table(p->tags, LRN_TAGS, p->shadow_tags, wd);
	_decay_table(p->cats, LRN_CATS, p->shadow_cats, wd);
	_shadow_age(p->shadow_tag_n, hours);
	_shadow_age(p->shadow_cat_n, hours);
	p->short_h = h;
	*short_age = *long_age = 1.0;
}

/* Seen items -------------------------------------------------------------- */

/* Entry: key fold (20 bits) | views (4) | impressions (4) | engaged (1) |
 * converted (1) | spare (2). */
#define _SEEN_KEY LRN_SEEN_FOLD
#define _SEEN_VIEWS(x) (((x) >> 8) & 0xFu)
#define _SEEN_IMPS(x) (((x) >> 4) & 0xFu)
#define _SEEN_ENGAGED 0x8u
#define _SEEN_CONVERTED 0x4u

static uint32_t _seen_key(uint64_t entity_key)
{
	return lrn_seen_fold(entity_key);
}

static struct lrn_seen_info _seen_info(uint32_t x)
{
	return (struct lrn_seen_info){ .views = _SEEN_VIEWS(x),
		.impressions = _SEEN_IMPS(x),
		.engaged = x & _SEEN_ENGAGED,
		.converted = x & _SEEN_CONVERTED };
}

uint32_t lrn_seen_entry(const struct lrn_profile *p, unsigned i,
    struct lrn_seen_info *out)
{
	uint32_t x = i < LRN_SEEN ? p->seen[i] : 0;
	*out = x ? _seen_info(x) : (struct lrn_seen_info){ 0 };
	return x & _SEEN_KEY;
}

static int _seen_find(const struct lrn_profile *p, uint32_t k)
{
	/* Four entries a lane: a free entry (0) never matches, k is never 0. */
	const _v4u key = { k, k, k, k };
	uint32_t at = 0;
	_Static_assert(LRN_SEEN % 4 == 0, "seen[] fills whole groups");
	for (unsigned g = 0; g < LRN_SEEN / 4; g++) {
		_v4u x;
		memcpy(&x, &p->seen[4 * g], sizeof x);
		at |= _bits4((_v4i)((x & _SEEN_KEY) == key)) << 4 * g;
	}
	return at ? __builtin_ctz(at) : -1;
}

struct lrn_seen_info lrn_seen(const struct lrn_profile *p, uint64_t entity_key)
{
	int i = entity_key ? _seen_find(p, _seen_key(entity_key)) : -1;
	return i >= 0 ? _seen_info(p->seen[i]) : (struct lrn_seen_info){ 0 };
}

/* Neither viewed nor acted on: an entry of impressions alone. */
static bool _seen_shown_only(uint32_t x)
{
	return x != 0 && _SEEN_VIEWS(x) == 0 &&
	    (x & (_SEEN_ENGAGED | _SEEN_CONVERTED)) == 0;
}

/*
 * Where a newcomer goes (the entry it replaces), or -1 when it is not
 * remembered. The last entry: a free one (they trail) or else the least
 * recent; except that, the memory full, a newcomer of impressions alone
 * replaces the oldest impression-only entry while seen_impressions_max of
 * them are held: a page of recommendations shown must not push out what
 * the user touched, which the neighbours, fatigue and repeated-view
 * saturation read. Free room is never refused.
 */
static int _seen_victim(const struct lrn_profile *p,
    const struct lrn_params *prm, bool shown_only)
{
	if (!shown_only || p->seen[LRN_SEEN - 1] == 0)
		return LRN_SEEN - 1;
	unsigned held = 0;
	int oldest = -1;
	for (unsigned i = 0; i < LRN_SEEN; i++)
		if (_seen_shown_only(p->seen[i])) {
			held++;
			oldest = (int)i;
		}
	if (held < prm->seen_impressions_max)
		return LRN_SEEN - 1;
	/* max 0: none replaces another (some may have come in while there
	 * was room; they leave by recency) */
	return prm->seen_impressions_max ? oldest : -1;
}

/*
 * Moves the entity (k, its _seen_key; found at i, -1 when not) to the
 * front, adding what the event says: one more view or impression
 * (saturating at 15; repeat_ratio^15 is already negligible), or the marks
 * of an action. A newcomer takes the place _seen_victim gives it.
 */
static void _seen_note(struct lrn_profile *p, const struct lrn_params *prm,
    uint32_t k, int i, unsigned views, unsigned imps, uint32_t marks)
{
	uint32_t x = k;
	if (i >= 0)
		x = p->seen[i];
	else if ((i = _seen_victim(p, prm, !views && !marks)) < 0)
		return;
	unsigned v = _SEEN_VIEWS(x) + views, m = _SEEN_IMPS(x) + imps;
	v = v > 15 ? 15 : v;
	m = m > 15 ? 15 : m;
	x = (x & ~0xFF0u) | (v << 8) | (m << 4) | marks;
	memmove(&p->seen[1], &p->seen[0], (unsigned)i * sizeof p->seen[0]);
	p->seen[0] = x;
}

bool lrn_is_conversion(const struct evt_record *e)
{
	return e->type == EVT_PURCHASE || e->type == EVT_RSVP;
}

bool lrn_is_action(const struct lrn_params *prm, const struct evt_record *e)
{
	if (e->type == EVT_VIEW || e->type == EVT_IMPRESSION ||
	    e->type == EVT_SEARCH)
		return false;
	return lrn_is_action_of(e, _signal(prm, e));
}

/* An impression or an action, on the category's exposure counters. */
static void _expose(struct lrn_profile *p, const struct lrn_item *item,
    bool impression, bool action)
{
	if (!item || !item->category)
		return;
	for (unsigned i = 0; i < LRN_CATS; i++) {
		if (p->cats[i].id != item->category)
			continue;
		uint8_t *a = impression ? &p->cat_imp[i] : &p->cat_clk[i];
		if (!impression && !action)
			return;
		if (*a == UINT8_MAX) {
			p->cat_imp[i] >>= 1;
			p->cat_clk[i] >>= 1;
		}
		(*a)++;
		return;
	}
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

/*
 * The top tag of the table as it stands: the largest positive w, ties to
 * the smallest id (0: none), and its share of the positive w in 1/255.
 * The tags are read in lanes (_group), without a branch: which tags are
 * positive and which is the top are data. The share is that w over the
 * positive ones summed in slot order as doubles (floats widen exactly;
 * adding 0.0 for a skipped tag leaves the sum as it was, it is never
 * -0.0).
 */
static uint32_t _hist_top(const struct lrn_weight *tags, uint8_t *share)
{
	_v4f pw[_GROUPS], best4 = { 0.0f, 0.0f, 0.0f, 0.0f };
	_Static_assert(LRN_TAGS % 4 == 0, "the tags fill whole groups");
	for (unsigned g = 0; g < _GROUPS; g++) {
		_v4u ids, w;
		_group(tags, LRN_TAGS, g, &ids, &w);
		_v4i pos = (ids != 0) & ((_v4f)w > 0.0f);
		pw[g] = (_v4f)((_v4i)w & pos); /* 0.0 where not positive */
		best4 = _vmax(pw[g], best4);
	}
	_v4f h = __builtin_shufflevector(best4, best4, 2, 3, 2, 3);
	best4 = _vmax(h, best4);
	h = __builtin_shufflevector(best4, best4, 1, 1, 1, 1);
	best4 = _vmax(h, best4);
	float best = best4[0];
	float pf[LRN_TAGS];
	double sum = 0.0;
	uint32_t ties = 0, top = 0;
	memcpy(pf, pw, sizeof pf);
	for (unsigned i = 0; i < LRN_TAGS; i++)
		sum += (double)pf[i];
	for (unsigned g = 0; g < _GROUPS; g++) /* best > 0: w is positive */
		ties |=
		    _bits4((_v4i)(pw[g] == (_v4f){ best, best, best, best }) &
			(_v4i)(pw[g] > 0.0f))
		    << 4 * g;
	for (; ties; ties &= ties - 1) {
		uint32_t id = tags[__builtin_ctz(ties)].id;
		top = top && top < id ? top : id;
	}
	*share = top ? (uint8_t)lrint(best / sum * 255.0) : 0;
	return top;
}

/*
 * The weekly history at the first event of an hour in order, before it
 * changes the tables:
 * the entry of the open week (hist_week) is not stored while the week is
 * open (lrn_history reads it from the tags); when an event of a later
 * week comes, the open week is closed with the top of the tags as they
 * stand, after its last applied event, and the entries move. So the top
 * is computed once a week, not on every event.
 */
static void _history(struct lrn_profile *p, const struct evt_record *e)
{
	int64_t wk = _week_of_day(_local_day(e));

	if (wk > INT16_MAX || wk < INT16_MIN + LRN_HIST)
		return; /* outside the representable weeks: keep none */
	if (p->hist_week == 0) { /* the first week: open it */
		p->hist_week = (int16_t)wk;
		return;
	}
	if (wk <= p->hist_week)
		return; /* the open week (or an earlier one: a zone change) */
	p->hist_tag[0] = _hist_top(p->tags, &p->hist_share[0]);
	int64_t shift = wk - p->hist_week;
	if (shift >= LRN_HIST) {
		memset(p->hist_tag, 0, sizeof p->hist_tag);
		memset(p->hist_share, 0, sizeof p->hist_share);
	} else {
		unsigned s = (unsigned)shift;
		memmove(&p->hist_tag[s], &p->hist_tag[0],
		    (LRN_HIST - s) * sizeof p->hist_tag[0]);
		memmove(&p->hist_share[s], &p->hist_share[0], LRN_HIST - s);
		memset(p->hist_tag, 0, s * sizeof p->hist_tag[0]);
		memset(p->hist_share, 0, s);
	}
	p->hist_week = (int16_t)wk;
}

static void _season(struct lrn_profile *p, const struct evt_record *e)
{
	int m = e->month >= 1 && e->month <= 12
	    ? e->month
	    : clk_month(e->time_ms, e->tz_offset_min);

	if (m < 1)
		return;
	/* Dec-Feb winter, Mar-May spring, Jun-Aug summer, Sep-Nov autumn. */
	_hist8_inc(p->seasons, LRN_SEASONS, (unsigned)(m % 12) / 3);
}

/* Drift -------------------------------------------------------------------- */

/*
 * The two category distributions drift compares (header comment), per
 * category slot (0 for free slots). Returns false, with both zero, while
 * the profile is too thin to judge.
 */
static bool _dists(const struct lrn_profile *p, const struct lrn_params *prm,
    double *ps, double *ql)
{
	double S = 0.0, L = 0.0, sh[LRN_CATS], lg[LRN_CATS];
	unsigned n = 0;

	memset(ps, 0, LRN_CATS * sizeof(*ps));
	memset(ql, 0, LRN_CATS * sizeof(*ql));
	if (p->events < prm->drift_min_events)
		return false;
	for (unsigned i = 0; i < LRN_CATS; i++) {
		sh[i] = lg[i] = 0.0;
		if (p->cats[i].id == 0)
			continue;
		n++;
		double x = _bf_get(p->cat_count[i]);
		double l = _bf_get(p->cat_long[i]);
		sh[i] = x > 0.0 ? x : 0.0;
		lg[i] = l > 0.0 ? l : 0.0;
		S += sh[i];
		L += lg[i];
	}
	if (n < 2 || S < prm->drift_min_short || !(L > 0.0))
		return false;
	/* Long: mixed with uniform so no slot has probability 0. Short:
	 * shrunk toward the long one by kl_prior pseudo-events, so a handful
	 * of events cannot look like a new person (the small-sample bias of
	 * KL is about (n_slots - 1) / (2 S) otherwise). */
	double lam = prm->kl_smooth, u = lam / n, a = prm->kl_prior;
	for (unsigned i = 0; i < LRN_CATS; i++) {
		if (p->cats[i].id == 0)
			continue;
		ql[i] = (1.0 - lam) * lg[i] / L + u;
		ps[i] = (sh[i] + a * ql[i]) / (S + a);
	}
	return true;
}

/*
 * KL(P_short || P_long). With limit >= 0 it may return, instead, a
 * chi-square bound below limit: KL <= ln(1 + chi2) <= chi2 costs no
 * logarithm, and settles the usual case, a stable user far from either
 * threshold.
 */
static double _kl(const struct lrn_profile *p, const struct lrn_params *prm,
    double limit)
{
	double ps[LRN_CATS], ql[LRN_CATS], chi2 = 0.0, kl = 0.0;

	if (!_dists(p, prm, ps, ql))
		return 0.0;
	/* A slot the short distribution gives nothing adds nothing (0 log 0
	 * is 0: without kl_smooth and kl_prior, a category of negative
	 * events only has 0 in both, and 0 / 0 would make the sum NaN and
	 * the detector blind); one only the short gives anything makes the
	 * divergence infinite. */
	for (unsigned i = 0; i < LRN_CATS; i++) {
		if (p->cats[i].id == 0 || (ps[i] == 0.0 && ql[i] == 0.0))
			continue;
		/* (p - q)^2 / q: q itself where p is 0, infinite where q
		 * is 0 and p is not (an upper bound of KL either way). */
		chi2 += (ps[i] - ql[i]) * (ps[i] - ql[i]) / ql[i];
	}
	if (limit >= 0.0 && chi2 < limit)
		return chi2;
	for (unsigned i = 0; i < LRN_CATS; i++)
		if (p->cats[i].id != 0 && ps[i] > 0.0)
			kl += ps[i] * log(ps[i] / ql[i]);
	/* Rounding can leave a hair below 0 for equal distributions. */
	return kl > 0.0 ? kl : 0.0;
}

bool lrn_drift_dists(const struct lrn_profile *p, const struct lrn_params *prm,
    double *p_short, double *q_long)
{
	assert(p != NULL && prm != NULL && p_short != NULL && q_long != NULL);
	return _dists(p, prm, p_short, q_long);
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
static void _pull(struct lrn_weight *ws, const double *sh, unsigned n,
    double rho)
{
	double S = 0.0, W = 0.0, T = 0.0, t[LRN_TAGS];

	assert(n <= LRN_TAGS);
	for (unsigned i = 0; i < n; i++) {
		if (ws[i].id == 0)
			continue;
		S += sh[i];
		W += ws[i].w > 0.0f ? ws[i].w : 0.0;
	}
	if (!(S > 0.0) || !(W > 0.0))
		return;
	for (unsigned i = 0; i < n; i++) {
		double pw = ws[i].w > 0.0f ? ws[i].w / W : 0.0;
		double x = ws[i].id ? sh[i] / S - pw : 0.0;
		t[i] = x > 0.0 ? x : 0.0;
		T += t[i];
	}
	if (!(T > 0.0))
		return;
	for (unsigned i = 0; i < n; i++) {
		if (ws[i].id == 0)
			continue;
		double add = rho * W * t[i] / T;
		ws[i].w = (float)((1.0 - rho) * ws[i].w + add);
		ws[i].mass = (float)((1.0 - rho) * ws[i].mass + add);
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
	double rho = prm->drift_pull * _fdays(prm->ln_pull, days);
	double sh[LRN_TAGS];
	for (unsigned i = 0; i < LRN_TAGS; i++) {
		double x = _bf_get(p->tags[i].s);
		sh[i] = x > 0.0 ? x : 0.0;
	}
	_pull(p->tags, sh, LRN_TAGS, rho);
	for (unsigned i = 0; i < LRN_CATS; i++)
		sh[i] = _bf_get(p->cat_count[i]);
	_pull(p->cats, sh, LRN_CATS, rho);
}

/* Apply -------------------------------------------------------------------- */

void lrn_apply(struct lrn_profile *p, const struct lrn_params *prm,
    const struct evt_record *e, const struct lrn_item *item)
{
	assert(p != NULL && prm != NULL && e != NULL);
	assert(e->user_key == p->user_key);
	/* prm is lrn_params_derived(): checked where params are set (the
	 * shard at start, shard_recover), not here on every event. */
	/* evt_build never emits such a record; a corrupt one must not
	 * index past counts[]. */
	if (e->type >= EVT_TYPE_COUNT)
		return;
	unsigned ci = _count_of(e->type, e->feedback);
	/* A feedback without a sign (evt_build rejects those) has no counter
	 * of its own; it still counts in `events`, and its zero signal
	 * teaches nothing below. */
	if (ci < LRN_N_COUNT)
		_inc32(&p->counts[ci]);

	/* Bring the profile to the later of the two times; an older event is
	 * aged to last_ms instead, so W(last) is the same in any order. */
	double long_age = 1.0, short_age = 1.0;
	int64_t t = e->time_ms, prev = p->last_ms;
	int32_t hour = _hour_of(t);
	bool first = p->events == 0, late = false, new_hour = false;
	if (first) {
		p->first_ms = t;
		p->last_ms = t;
		p->short_h = hour;
		_history(p, e);
	} else {
		if (t < p->first_ms)
			p->first_ms = t;
		if (t > p->last_ms)
			p->last_ms = t;
		else
			late = t < p->last_ms;
		new_hour = hour > p->short_h;
		/* Before the tables step: they close a week. Weeks start at
		 * local midnights, on whole hours of event time but for zones
		 * of half and quarter hours, so looking once an hour is enough
		 * (in those zones a week closes at the first event of the
		 * next hour). */
		if (new_hour)
			_history(p, e);
		_grid_step(p, prm, hour, &short_age, &long_age);
	}
	double age = _to_anchor(prm->ln_decay, t, _anchor_ms(p));
	_inc32(&p->events);

	/* The entity in seen[] (looked up once: learning below leaves
	 * seen[] alone until _seen_note), and its earlier views
	 * (impressions). */
	uint32_t seen_k = e->entity_key != 0 ? _seen_key(e->entity_key) : 0;
	int seen_at = seen_k ? _seen_find(p, seen_k) : -1;
	unsigned views = 0;
	/* A deliberate act: admission's and the exposure counters' (one
	 * signal lookup an event, for this and the contribution). */
	const double sig = _signal(prm, e);
	const bool act = lrn_is_action_of(e, sig);
	if (e->type == EVT_VIEW && seen_at >= 0)
		views = _SEEN_VIEWS(p->seen[seen_at]);
	else if (e->type == EVT_IMPRESSION && seen_at >= 0)
		views = _SEEN_IMPS(p->seen[seen_at]);
	if (item == NULL) {
		/* A search without matched tags is an ordinary search, not a
		 * catalog miss. */
		if (e->type != EVT_SEARCH)
			_inc16(&p->unknown);
	} else {
		double base =
		    _event_signal(prm, e, views, sig) * prm->learning_rate;
		struct _contrib k = {
			.c = base * age,
			.c_short = base * short_age,
			.c_long = base > 0.0 ? base * long_age : 0.0,
			.n_short = base > 0.0 ? short_age : 0.0,
			.dp = e->daypart < EVT_DP_COUNT ? e->daypart
							: EVT_DP_COUNT,
			.act = prm->admit_acts && act,
			.late = hour < p->short_h,
		};
		/* Zero (no signal, or aged past double range) teaches nothing and
		 * must not occupy a slot or evict a real interest. */
		if (k.c != 0.0)
			_learn_item(p, prm, item, &k);
	}
	if (e->entity_key != 0) {
		bool imp = e->type == EVT_IMPRESSION;
		uint32_t marks = act ? _SEEN_ENGAGED : 0;
		if (act && lrn_is_conversion(e))
			marks |= _SEEN_CONVERTED;
		if (e->type == EVT_VIEW || imp || act)
			_seen_note(p, prm, seen_k, seen_at, e->type == EVT_VIEW,
			    imp, marks);
		if (imp || act)
			_expose(p, item, imp, act);
	}

	if (e->weekday < 7 && e->daypart < EVT_DP_COUNT)
		_hours_inc(p, e->weekday, e->daypart);
	if (e->device < EVT_DEV_COUNT)
		_hist8_inc(p->devices, EVT_DEV_COUNT, e->device);
	if (e->platform < EVT_PLAT_COUNT)
		_hist8_inc(p->platforms, EVT_PLAT_COUNT, e->platform);
	if (e->geo_cell != 0)
		_geo(p, prm, e->geo_cell, t);
	_season(p, e);
	if (!late) {
		_session(p, prm, e, prev, first);
	}
	/* Judged once per event hour, after the hour's first event. */
	if (new_hour)
		_drift(p, prm);
}

/* The long horizon of one table, times f (lrn_settle). */
static void _settle_table(struct lrn_weight *ws, unsigned n, float f)
{
	for (unsigned i = 0; i < n; i++) {
		ws[i].w *= f;
		ws[i].mass *= f;
	}
}

void lrn_settle(struct lrn_profile *p, const struct lrn_params *prm,
    size_t bytes)
{
	assert(p != NULL && prm != NULL);
	if (p->events == 0 || bytes < LRN_HOT_BYTES)
		return;
	int64_t anchor = _anchor_ms(p);
	if (p->last_ms <= anchor)
		return;
	float f = (float)_to_anchor(prm->ln_decay, anchor, p->last_ms);
	_settle_table(p->tags, LRN_TAGS, f);
	_settle_table(p->cats, LRN_CATS, f);
	if (bytes <
	    offsetof(struct lrn_profile, shadow_cats) + sizeof(p->shadow_cats))
		return;
	for (unsigned i = 0; i < LRN_SHADOWS; i++) {
		p->shadow_tags[i].m *= f;
		p->shadow_tags[i].net *= f;
		p->shadow_cats[i].m *= f;
		p->shadow_cats[i].net *= f;
	}
}

double lrn_weight_at(const struct lrn_profile *p, const struct lrn_params *prm,
    double w, int64_t at_ms)
{
	assert(p != NULL && prm != NULL);
	/* Never grow a weight back: a time before last_ms reads as last_ms. */
	return w * _fdecay(prm->ln_decay, p->last_ms, at_ms);
}

double lrn_short_factor(const struct lrn_profile *p,
    const struct lrn_params *prm, int64_t at_ms)
{
	assert(p != NULL && prm != NULL);
	int64_t grid = (int64_t)p->short_h * 3600000LL;
	return _fdecay(prm->ln_short, grid, at_ms);
}

double lrn_short_with(const struct lrn_weight *entry, double factor)
{
	assert(entry != NULL);
	return entry->id ? _bf_get(entry->s) * factor : 0.0;
}

double lrn_short_at(const struct lrn_profile *p, const struct lrn_params *prm,
    const struct lrn_weight *entry, int64_t at_ms)
{
	assert(p != NULL && prm != NULL && entry != NULL);
	if (entry->id == 0)
		return 0.0;
	return lrn_short_with(entry, lrn_short_factor(p, prm, at_ms));
}

double lrn_cat_long(const struct lrn_profile *p, unsigned i)
{
	assert(p != NULL && i < LRN_CATS);
	return p->cats[i].id ? _bf_get(p->cat_long[i]) : 0.0;
}

double lrn_geo_weight(const struct lrn_profile *p, const struct lrn_params *prm,
    unsigned i, int64_t at_ms)
{
	assert(p != NULL && prm != NULL && i < LRN_GEO);
	if (p->geo_cell[i] == 0)
		return 0.0;
	return _geo_weight(p, prm, i, _day_of(at_ms));
}

double lrn_shadow_mass(const struct lrn_shadow *x)
{
	assert(x != NULL);
	return x->id ? fabs((double)x->net) : 0.0;
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

double lrn_confidence(const struct lrn_params *prm,
    const struct lrn_weight *entry)
{
	assert(prm != NULL && entry != NULL);
	if (entry->id == 0)
		return 0.0;
	double K =
	    prm->confidence_prior * prm->confidence_unit * prm->learning_rate;
	double den = (double)entry->mass + K;
	/* mass and w are floats: |w| may exceed mass by a rounding hair. */
	return den > 0.0 ? _clamp01(fabs((double)entry->w) / den) : 0.0;
}

static void _sums(const struct lrn_weight *ws, unsigned n, double *net,
    double *gross)
{
	*net = *gross = 0.0;
	for (unsigned i = 0; i < n; i++) {
		if (ws[i].id == 0)
			continue;
		*net += fabs((double)ws[i].w);
		*gross += ws[i].mass;
	}
}

double lrn_profile_confidence(const struct lrn_profile *p,
    const struct lrn_params *prm)
{
	double net, gross;

	assert(p != NULL && prm != NULL);
	/* One category per item: its table counts each event once. */
	_sums(p->cats, LRN_CATS, &net, &gross);
	if (!(gross > 0.0))
		_sums(p->tags, LRN_TAGS, &net, &gross);
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
		uint32_t tag = p->hist_tag[i];
		uint8_t share = p->hist_share[i];
		if (i == 0 && p->hist_week != 0) /* the open week */
			tag = _hist_top(p->tags, &share);
		if (tag == 0)
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
		h->tag = tag;
		h->share = share / 255.0;
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
	/* In double: times a damaged record holds must not overflow. */
	double since_last = ((double)as_of - (double)p->last_ms) / day;
	double since_first = ((double)as_of - (double)p->first_ms) / day;

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
