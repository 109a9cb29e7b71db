/*
 * rank: the contextual re-ranker (contract in rank.h).
 *
 * One call: what depends only on the profile and the context is worked out
 * once (normalized weights and category slots in small perfect hashes, the
 * daypart preferences per category slot, the reference point, the fatigue
 * ladder and the remembered entities' keys, the top categories, the bubble
 * entropy, the weather, company and device factors as tables), so that a
 * candidate costs a few table lookups with few branches on its data and,
 * per distinct cell, one great-circle distance and one exp (the distance
 * by polynomials when the place is near). Thompson draws are per distinct
 * category, MMR runs over the best mmr_pool x k only, and the scores are
 * ordered by one counting pass and one pass that places each candidate
 * in its bucket, behind the better scores already there.
 */
#include "engine/rank.h"

#include <assert.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "engine/clock.h"
#include "engine/geo.h"
#include "engine/metrics.h"
#include "engine/rng.h"

void rank_params_default(struct rank_params *p)
{
	assert(p != NULL);
	memset(p, 0, sizeof(*p));
#define _PD(n, def, lo, hi, h) p->n = (def);
#define _PU(n, def, lo, hi, h) p->n = (def);
#define _PB(n, def, h) p->n = (def);
#define _PE(n, T, def, names, h) p->n = (def);
	RANK_PARAMS(_PD, _PU, _PB, _PE)
#undef _PD
#undef _PU
#undef _PB
#undef _PE
}

const char *const rank_diversifier_names[] = { "mmr", "dpp", NULL };

static const char *const _strategy_names[RANK_STRATEGY_COUNT] = {
	"base",
	"profile",
	"context",
	"explore",
	"diverse",
	"full",
};

const char *rank_strategy_name(unsigned s)
{
	return s < RANK_STRATEGY_COUNT ? _strategy_names[s] : NULL;
}

/* The index of s[0..len) among names[0..count) (lower-case letters), in
 * any case, or -1. */
static int _name_parse(const char *const *names, unsigned count, const char *s,
    size_t len)
{
	if (!s)
		return -1;
	for (unsigned i = 0; i < count; i++) {
		const char *n = names[i];
		size_t j = 0;
		while (j < len && n[j] &&
		    (s[j] == n[j] || s[j] == n[j] - 'a' + 'A'))
			j++;
		if (j == len && !n[j])
			return (int)i;
	}
	return -1;
}

int rank_strategy_parse(const char *s, size_t len)
{
	return _name_parse(_strategy_names, RANK_STRATEGY_COUNT, s, len);
}

int rank_diversifier_parse(const char *s, size_t len)
{
	return _name_parse(rank_diversifier_names, RANK_DIV_DPP + 1, s, len);
}

/* The settings' upper bounds, for checking a request's overrides. */
#define _HI_D(n, def, lo, hi, h) .n = (hi),
#define _HI_U(n, def, lo, hi, h) .n = (hi),
#define _B(n, def, h) .n = (def),
#define _E(n, T, def, names, h) .n = (def),
static const struct rank_params _hi = { RANK_PARAMS(_HI_D, _HI_U, _B, _E) };
#undef _HI_D
#undef _HI_U
#undef _B
#undef _E

/* ---- Scratch ------------------------------------------------------------ */

/* One entry of the distinct-category table of Thompson sampling. */
struct _catent {
	uint32_t cat; /* 0: free */
	uint32_t d;   /* its draw, an index into dfac */
};

/* Where each array lives in the scratch space, for n candidates. */
struct _layout {
	size_t f, score, pre, ord, ord2, rkey, rkey2, part, lfac, didx, perm;
	size_t top, below, mark, dfac, cats, cused, ckey, cval;
	size_t items, slots, rel, mo, sidx;
	size_t slot_bytes; /* bytes at slots */
	size_t cat_cap;	   /* entries of the category table, a power of 2 */
	size_t cell_cap;   /* entries of the cell cache, a power of 2 */
	size_t total;
};

#define _ALIGN 64
#define _MARK_PLACED 0x1   /* in the top k */
#define _MARK_ELIGIBLE 0x2 /* may fill a serendipity slot */

static size_t _up(size_t x)
{
	return (x + _ALIGN - 1) & ~(size_t)(_ALIGN - 1);
}

static void _layout(unsigned n, struct _layout *l)
{
	size_t at = 0, cap = 16, m = n;

	/* At most half full: probes stay short whatever the categories. */
	while (cap < 2 * m)
		cap *= 2;
	l->cat_cap = cap;
	l->cell_cap = cap < 256 ? cap : 256;
#define _ARR(field, bytes)                                                     \
	do {                                                                   \
		l->field = at;                                                 \
		at = _up(at + (bytes));                                        \
	} while (0)
	_ARR(f, m * sizeof(struct rank_factors));
	_ARR(score, m * sizeof(double));
	_ARR(part, m * sizeof(double));
	_ARR(lfac, m * sizeof(double));
	_ARR(didx, m * sizeof(uint32_t));
	_ARR(pre, m * sizeof(uint32_t));
	_ARR(perm, m * sizeof(uint32_t));
	_ARR(ord, m * sizeof(uint32_t));
	_ARR(ord2, m * sizeof(uint32_t));
	_ARR(rkey, m * sizeof(uint32_t));
	_ARR(rkey2, m * sizeof(uint32_t));
	_ARR(top, m * sizeof(uint32_t));
	_ARR(below, m * sizeof(uint32_t));
	_ARR(mark, m * sizeof(uint8_t));
	_ARR(dfac, m * sizeof(double));
	_ARR(cats, cap * sizeof(struct _catent));
	_ARR(cused, (cap + 63) / 64 * 8); /* a bit per entry of cats */
	_ARR(ckey, l->cell_cap * sizeof(uint64_t));
	_ARR(cval, l->cell_cap * sizeof(double));
	_ARR(items, m * sizeof(struct lrn_item *));
	/* MMR's slots, or DPP's scratch for the largest window. */
	size_t dpp =
	    met_dpp_scratch_size(n, _hi.dpp_window < n ? _hi.dpp_window : n);
	size_t mmr = m * sizeof(struct met_mmr_slot);
	l->slot_bytes = dpp > mmr ? dpp : mmr;
	_ARR(slots, l->slot_bytes);
	_ARR(rel, m * sizeof(double));
	_ARR(mo, m * sizeof(uint32_t));
	_ARR(sidx, m * sizeof(uint32_t));
#undef _ARR
	l->total = at;
}

size_t rank_scratch_size(unsigned n)
{
	struct _layout l;

	if (n == 0 || n > INT_MAX)
		return 0;
	_layout(n, &l);
	/* Room to align the caller's pointer. */
	return l.total + _ALIGN - 1;
}

/* ---- What one call works out once -------------------------------------- */

#define _TAG_HASH 64   /* slots for LRN_TAGS ids */
#define _PRIOR_HASH 32 /* entries for RANK_PRIOR_MAX ids, per kind */
#define _TAG_SALTS 64  /* multipliers tried for a perfect hash */
#define _SEEN_HASH 128 /* entries for LRN_SEEN keys */

struct _prep {
	const struct lrn_profile *p; /* NULL: unknown user */
	double conf;		     /* lrn_profile_confidence */
	/* Affinity: (1 - short_blend) w / max|w| + short_blend s / max|s| of
	 * each category slot, and of each tag by id: slot (id * tag_mul) >>
	 * 26 of tag_id and tag_val, a multiplier that gives every tag of the
	 * profile a slot of its own; 0 when none was found (linear probing
	 * from the first multiplier's slot then). */
	double cat_val[LRN_CATS];
	uint32_t tag_id[_TAG_HASH];
	uint32_t tag_mul;
	/* Time: now's daypart (-1: none) and T of an item in it, by the
	 * item's category slot, or t_any for a category the profile lacks. */
	int dp_now;
	double t_cat[LRN_CATS];
	double t_any;
	/* The same for an item without a start (time_open_strength). */
	double o_cat[LRN_CATS];
	double o_any;
	/* Location: the reference point, its latitude's cosine and sine. */
	bool has_ref;
	double ref_lat, ref_lon, ref_cos, ref_sin;
	/* Weather (-1 bad, 1 good, 0 neither), company, device bits. */
	int wx;
	bool company;
	unsigned dev_bit, plat_bit;
	/* Novelty horizon in ms (0: none). */
	double nov_ms;
	/* Serendipity: the user's top categories; the bubble guard. */
	uint32_t top3[3];
	unsigned n_top;
	bool bubble;
	/* Category slots by id: slot _tag_hash(id, cat_mul) of cat_id holds
	 * the id, cat_at its profile slot (-1: none); cat_mul 0 when the
	 * profile's ids have no multiplier without collisions (a linear
	 * scan then). top_of[slot + 1]: the slot's id is one of top3
	 * (top_of[0], no slot: false). */
	uint32_t cat_mul;
	uint32_t cat_id[_TAG_HASH];
	bool top_of[LRN_CATS + 1]; /* by slot + 1 */
	/* Segment prior: b of the header (0: none). */
	double prior_b;
	/* From here on written before read: not cleared per call. */
	int8_t cat_at[_TAG_HASH];
	/* The prior's share / max share by id, [0] categories, [1] tags:
	 * entry (id * golden) >> 27 of pid, linear probing, id 0 free.
	 * Filled (and cleared) only when prior_b > 0. */
	uint32_t pid[2][_PRIOR_HASH];
	double pval[2][_PRIOR_HASH];
	double tag_val[_TAG_HASH];
	double fat[16]; /* fatigue by impressions (0..15) */
	/* Fatigue by the remembered entities: seen_key[i] the key of
	 * seen[i] (0, which no key folds to, for a free entry), seen_val[i]
	 * its entry (seen_val[LRN_SEEN] = 0: none); the same in a table of
	 * _SEEN_HASH entries, entry _seen_hash(key, seen_mul) of seen_tk
	 * and seen_tv (key 0: free), a multiplier that gives each distinct
	 * key an entry of its own (0: none found, the scan then); fat_of[] F by
	 * _fat_index of an entry (impressions, whether acted). */
	uint32_t seen_key[LRN_SEEN];
	uint32_t seen_val[LRN_SEEN + 1];
	uint32_t seen_mul;
	uint32_t seen_tk[_SEEN_HASH], seen_tv[_SEEN_HASH];
	double fat_of[32];
	/* W by setting, S by group friendliness (enum item_setting,
	 * item_tristate; 1 beyond), D by device and platform mask: [0] any
	 * or unknown, [1] excludes ctx's, [2] includes it. */
	double wtab[4], stab[4], dtab[3], ptab[3];
};

static unsigned _tag_hash(uint32_t id, uint32_t mul)
{
	return (id * mul) >> 26; /* 6 bits: _TAG_HASH slots */
}

static double _tag_value(const struct _prep *q, uint32_t id)
{
	if (q->tag_mul) {
		unsigned h = _tag_hash(id, q->tag_mul);

		/* No branch to mispredict: a miss reads a 0 or multiplies
		 * another tag's value by 0. */
		return q->tag_val[h] * (q->tag_id[h] == id);
	}
	for (unsigned h = _tag_hash(id, 2654435761u);;
	     h = (h + 1) % _TAG_HASH) {
		if (q->tag_id[h] == id)
			return q->tag_val[h];
		if (q->tag_id[h] == 0)
			return 0.0;
	}
}

/* Fills the tag hash: a multiplier without collisions if one of
 * _TAG_SALTS does it (for 12 tags in 64 slots about one in three does). */
static void _tag_table(struct _prep *q, const struct lrn_profile *p,
    const double *tv)
{
	uint32_t mul = 0;

	memset(q->tag_val, 0, sizeof(q->tag_val));
	for (uint32_t s = 0; s < _TAG_SALTS && !mul; s++) {
		uint32_t m = 2654435761u + 2 * s * 0x9e3779b9u;
		uint64_t used = 0;
		unsigned i = 0;

		for (; i < LRN_TAGS; i++) {
			uint64_t bit;

			if (p->tags[i].id == 0)
				continue;
			bit = 1ULL << _tag_hash(p->tags[i].id, m);
			if (used & bit)
				break;
			used |= bit;
		}
		if (i == LRN_TAGS)
			mul = m;
	}
	q->tag_mul = mul;
	for (unsigned i = 0; i < LRN_TAGS; i++) {
		uint32_t id = p->tags[i].id;

		if (id == 0)
			continue;
		unsigned h = _tag_hash(id, mul ? mul : 2654435761u);

		while (!mul && q->tag_id[h] != 0 && q->tag_id[h] != id)
			h = (h + 1) % _TAG_HASH;
		q->tag_id[h] = id;
		q->tag_val[h] = tv[i];
	}
}

static int _cat_slot(const struct lrn_profile *p, uint32_t cat)
{
	if (!p || cat == 0)
		return -1;
	for (int i = 0; i < LRN_CATS; i++)
		if (p->cats[i].id == cat)
			return i;
	return -1;
}

/* _cat_slot by the table of _prep: one multiply and one compare. */
static int _cat_lookup(const struct _prep *q, uint32_t cat)
{
	if (!q->cat_mul)
		return _cat_slot(q->p, cat);
	unsigned h = _tag_hash(cat, q->cat_mul);
	int hit = -(q->cat_id[h] == cat);

	/* A free entry holds id 0 and slot -1: category 0 finds no slot.
	 * Masks, not a branch: slot on a hit, -1 on a miss. */
	return (q->cat_at[h] & hit) | ~hit;
}

/* The category table: a multiplier that gives each of the profile's
 * distinct category ids an entry of its own (a repeated id keeps its
 * first slot, as _cat_slot does); none found, cat_mul stays 0. */
static void _cat_table(struct _prep *q, const struct lrn_profile *p)
{
	memset(q->cat_at, -1, sizeof(q->cat_at));
	for (uint32_t s = 0; s < _TAG_SALTS && !q->cat_mul; s++) {
		uint32_t m = 2654435761u + 2 * s * 0x9e3779b9u;
		uint64_t used = 0;
		unsigned i = 0;

		for (; i < LRN_CATS; i++) {
			uint32_t id = p->cats[i].id;
			uint64_t bit = 1ULL << _tag_hash(id, m);

			if (id == 0 || _cat_slot(p, id) != (int)i)
				continue; /* free, or a repeat */
			if (used & bit)
				break;
			used |= bit;
		}
		if (i == LRN_CATS)
			q->cat_mul = m;
	}
	if (!q->cat_mul)
		return;
	for (unsigned i = 0; i < LRN_CATS; i++) {
		uint32_t id = p->cats[i].id;
		unsigned h = _tag_hash(id, q->cat_mul);

		if (id == 0 || _cat_slot(p, id) != (int)i)
			continue;
		q->cat_id[h] = id;
		q->cat_at[h] = (int8_t)i;
	}
}

/*
 * lrn_seen without the call and its branches (engine/learn.c; the entry
 * format is part of the profile's layout, LRN_LAYOUT_VERSION): an entity
 * is remembered under the high 32 bits of its key times the 64-bit golden
 * ratio, low 12 bits cleared (they hold the counts), 0 read as 0x1000;
 * the first entry with its key is its own; key 0 is never remembered.
 */
#define _SEEN_KEY 0xFFFFF000u
#define _SEEN_IMPS(x) (((x) >> 4) & 0xFu)
#define _SEEN_ACTED 0xCu /* engaged 0x8, converted 0x4 */

static uint32_t _seen_fold(uint64_t key)
{
	uint32_t k =
	    (uint32_t)((key * 0x9E3779B97F4A7C15ULL) >> 32) & _SEEN_KEY;

	return k ? k : 0x1000u;
}

static unsigned _seen_hash(uint32_t k, uint32_t mul)
{
	return (k * mul) >> 25; /* 7 bits: _SEEN_HASH entries */
}

/* The remembered entry of an entity, 0 when none: one probe of the
 * table (masks, no branch), or the scan when it has no multiplier. */
static uint32_t _seen_entry(const struct _prep *q, uint64_t key)
{
	uint32_t k = _seen_fold(key), nz = -(uint32_t)(key != 0);

	if (q->seen_mul) {
		unsigned h = _seen_hash(k, q->seen_mul);

		return q->seen_tv[h] & -(uint32_t)(q->seen_tk[h] == k) & nz;
	}
	uint32_t hit = 0;

	for (unsigned i = 0; i < LRN_SEEN; i++)
		hit |= (uint32_t)(q->seen_key[i] == k) << i;
	hit &= nz;
	/* The first match, or the sentinel LRN_SEEN. */
	return q->seen_val[__builtin_ctz(hit | 1u << LRN_SEEN)];
}

static double _clamp(double x, double lo, double hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

/* x, or DBL_MAX for +inf: scores stay numbers (MMR and the order). */
static double _finite(double x)
{
	return x < DBL_MAX ? x : DBL_MAX;
}

/* pref(d) of the header: how much more than a quarter of counts is in d. */
static double _pref(const unsigned *counts, int d)
{
	unsigned total = 0;

	for (int i = 0; i < EVT_DP_COUNT; i++)
		total += counts[i];
	if (total == 0)
		return 0.0;
	return _clamp(((double)counts[d] / total - 0.25) / 0.75, 0.0, 1.0);
}

/*
 * The local daypart of an instant: clk_daypart without the calendar date
 * it does not need (the same floor arithmetic on the millisecond of the
 * day), -1 when the offset is beyond CLK_MAX_TZ_MIN.
 */
static int _daypart(int64_t utc_ms, int tz_min)
{
	if (tz_min > CLK_MAX_TZ_MIN || tz_min < -CLK_MAX_TZ_MIN)
		return -1;
	int64_t ms = utc_ms % CLK_MS_PER_DAY;

	if (ms < 0)
		ms += CLK_MS_PER_DAY;
	ms += (int64_t)tz_min * CLK_MS_PER_MIN;
	if (ms < 0)
		ms += CLK_MS_PER_DAY;
	else if (ms >= CLK_MS_PER_DAY)
		ms -= CLK_MS_PER_DAY;
	return (int)(ms / (6 * CLK_MS_PER_HOUR));
}

/* Normalized, blended weights of one table, by slot, into val[]. */
static void _table_values(const struct lrn_profile *p,
    const struct lrn_params *lp, const struct lrn_weight *ws, unsigned n,
    double blend, double *val)
{
	double mw = 0.0, ms = 0.0, s[LRN_TAGS];

	assert(n <= LRN_TAGS);
	/*
	 * Long and short horizons as stored: decaying them to ctx.time_ms
	 * multiplies a whole table by one factor per horizon, which dividing
	 * by the table's largest |weight| takes out again (and an INT64_MIN
	 * time reads the short horizon at its grid hour, without an exp).
	 */
	for (unsigned i = 0; i < n; i++) {
		s[i] = lrn_short_at(p, lp, &ws[i], INT64_MIN);
		if (ws[i].id == 0)
			continue;
		mw = fmax(mw, fabs((double)ws[i].w));
		ms = fmax(ms, fabs(s[i]));
	}
	for (unsigned i = 0; i < n; i++) {
		double a = mw > 0.0 ? ws[i].w / mw : 0.0;
		double b = ms > 0.0 ? s[i] / ms : 0.0;

		val[i] = ws[i].id ? (1.0 - blend) * a + blend * b : 0.0;
	}
}

/* The table of seen_key / seen_val: the first entry of a key wins (a
 * repeat keeps it, as lrn_seen finds the first). */
static void _seen_table(struct _prep *q)
{
	memset(q->seen_tk, 0, sizeof(q->seen_tk));
	q->seen_mul = 0;
	for (uint32_t s = 0; s < _TAG_SALTS && !q->seen_mul; s++) {
		uint32_t m = 2654435761u + 2 * s * 0x9e3779b9u;
		uint32_t used[_SEEN_HASH / 32] = { 0 }, at[_SEEN_HASH];
		unsigned i = 0;

		for (; i < LRN_SEEN; i++) {
			uint32_t k = q->seen_key[i];
			unsigned h = _seen_hash(k, m);

			if (k == 0)
				continue;
			if (used[h / 32] >> (h % 32) & 1) {
				if (q->seen_key[at[h]] != k)
					break; /* two keys, one entry */
				continue;      /* a repeat */
			}
			used[h / 32] |= 1u << (h % 32);
			at[h] = i;
		}
		if (i == LRN_SEEN)
			q->seen_mul = m;
	}
	if (!q->seen_mul)
		return;
	for (unsigned i = LRN_SEEN; i-- > 0;) {
		uint32_t k = q->seen_key[i];
		unsigned h = _seen_hash(k, q->seen_mul);

		/* From the last: the first of a repeated key is written
		 * last. */
		if (k != 0) {
			q->seen_tk[h] = k;
			q->seen_tv[h] = q->seen_val[i];
		}
	}
}

static void _prep_profile(struct _prep *q, const struct lrn_profile *p,
    const struct lrn_params *lp, const struct rank_params *rp)
{
	double tv[LRN_TAGS];

	q->conf = lrn_profile_confidence(p, lp);
	_table_values(p, lp, p->cats, LRN_CATS, rp->short_blend, q->cat_val);
	_table_values(p, lp, p->tags, LRN_TAGS, rp->short_blend, tv);
	_tag_table(q, p, tv);

	/* Top categories (positive w only: a disliked one is no habit). */
	unsigned order[LRN_CATS], m = lrn_top(p->cats, LRN_CATS, order);

	for (unsigned i = 0; i < m && q->n_top < 3; i++)
		if (p->cats[order[i]].w > 0.0f)
			q->top3[q->n_top++] = p->cats[order[i]].id;
	for (unsigned i = 0; i < LRN_CATS; i++)
		for (unsigned t = 0; t < q->n_top; t++)
			q->top_of[i + 1] |= p->cats[i].id == q->top3[t];
	_cat_table(q, p);
	for (unsigned i = 0; i < LRN_SEEN; i++) {
		q->seen_key[i] = p->seen[i] ? p->seen[i] & _SEEN_KEY : 0;
		q->seen_val[i] = p->seen[i];
	}
	q->seen_val[LRN_SEEN] = 0;
	_seen_table(q);

	/* Bubble: normalized entropy of the impressions over the slots. */
	unsigned total = 0;

	for (unsigned i = 0; i < LRN_CATS; i++)
		total += p->cats[i].id ? p->cat_imp[i] : 0;
	if (total >= 10) {
		double h = 0.0;

		for (unsigned i = 0; i < LRN_CATS; i++) {
			if (!p->cats[i].id || !p->cat_imp[i])
				continue;
			double x = (double)p->cat_imp[i] / total;

			h -= x * log(x);
		}
		q->bubble =
		    h / log((double)LRN_CATS) < rp->bubble_entropy_floor;
	}
}

static unsigned _prior_hash(uint32_t id)
{
	return (id * 2654435761u) >> 27; /* 5 bits: _PRIOR_HASH entries */
}

/* share / max share of id in table kind (0 categories, 1 tags), 0 when
 * the prior lacks it. */
static double _prior_value(const struct _prep *q, unsigned kind, uint32_t id)
{
	for (unsigned h = _prior_hash(id);; h = (h + 1) % _PRIOR_HASH) {
		if (q->pid[kind][h] == id)
			return q->pval[kind][h];
		if (q->pid[kind][h] == 0)
			return 0.0;
	}
}

double rank_prior_share(const struct rank_params *rp, double confidence,
    double prior_weight)
{
	return rp->prior_blend * prior_weight * (1.0 - confidence);
}

/* The prior's tables and b; a prior of no weight, no share or no ids
 * leaves prior_b 0 (none). A repeated id keeps its first share. */
static void _prep_prior(struct _prep *q, const struct rank_params *rp,
    const struct rank_opts *o)
{
	double top = 0.0;

	for (unsigned i = 0; i < o->n_prior; i++)
		if (o->prior[i].id)
			top = fmax(top, (double)o->prior[i].share);
	double b = rank_prior_share(rp, q->conf, o->prior_weight);

	if (!(top > 0.0) || !(b > 0.0))
		return;
	q->prior_b = b;
	memset(q->pid, 0, sizeof(q->pid));
	for (unsigned i = 0; i < o->n_prior; i++) {
		uint32_t id = o->prior[i].id;
		unsigned kind = o->prior[i].category ? 0 : 1;
		unsigned h = _prior_hash(id);

		if (id == 0)
			continue;
		while (q->pid[kind][h] != 0 && q->pid[kind][h] != id)
			h = (h + 1) % _PRIOR_HASH;
		if (q->pid[kind][h] == id)
			continue;
		q->pid[kind][h] = id;
		q->pval[kind][h] = o->prior[i].share / top;
	}
}

static void _prep_time(struct _prep *q, const struct lrn_profile *p,
    const struct rank_params *rp, const struct rank_ctx *ctx)
{
	unsigned all[EVT_DP_COUNT] = { 0 }, mine[EVT_DP_COUNT];

	q->dp_now = _daypart(ctx->time_ms, ctx->tz_min);
	q->t_any = q->o_any = 1.0;
	for (unsigned i = 0; i < LRN_CATS; i++)
		q->t_cat[i] = q->o_cat[i] = 1.0;
	if (q->dp_now < 0 || !p)
		return;
	for (unsigned d = 0; d < 7; d++)
		for (unsigned j = 0; j < EVT_DP_COUNT; j++)
			all[j] += p->hours[d][j];
	double any = _pref(all, q->dp_now);
	q->t_any = 1.0 + rp->time_strength * any;
	q->o_any = 1.0 + rp->time_open_strength * any;
	for (unsigned i = 0; i < LRN_CATS; i++) {
		unsigned sum = 0;

		for (unsigned j = 0; j < EVT_DP_COUNT; j++)
			sum += mine[j] = p->cat_dp[i][j];
		bool own = p->cats[i].id && sum >= 4;
		double pr = own ? _pref(mine, q->dp_now) : 0.0;
		q->t_cat[i] = own ? 1.0 + rp->time_strength * pr : q->t_any;
		q->o_cat[i] =
		    own ? 1.0 + rp->time_open_strength * pr : q->o_any;
	}
}

static void _prep_place(struct _prep *q, const struct lrn_profile *p,
    const struct lrn_params *lp, const struct rank_ctx *ctx)
{
	if (ctx->has_location && geo_valid(ctx->lat, ctx->lon)) {
		q->has_ref = true;
		q->ref_lat = ctx->lat;
		q->ref_lon = ctx->lon;
	} else if (p) {
		double best = 0.0;
		int at = -1;

		for (unsigned i = 0; i < LRN_GEO; i++) {
			double w = lrn_geo_weight(p, lp, i, ctx->time_ms);

			if (w > best) {
				best = w;
				at = (int)i;
			}
		}
		q->has_ref = at >= 0 &&
		    geo_cell_center(p->geo_cell[at], &q->ref_lat,
			&q->ref_lon) == 0;
	}
	if (q->has_ref) {
		q->ref_cos = cos(q->ref_lat * (M_PI / 180.0));
		q->ref_sin = sin(q->ref_lat * (M_PI / 180.0));
	}
}

static void _prep(struct _prep *q, const struct lrn_profile *p,
    const struct lrn_params *lp, const struct rank_params *rp,
    const struct rank_ctx *ctx, const struct rank_opts *o)
{
	memset(q, 0, offsetof(struct _prep, cat_at));
	q->p = p;
	if (p) {
		_prep_profile(q, p, lp, rp);
		_prep_prior(q, rp, o);
	}
	_prep_time(q, p, rp, ctx);
	_prep_place(q, p, lp, ctx);

	switch (ctx->weather) {
	case EVT_WX_RAINY:
	case EVT_WX_SNOWY:
	case EVT_WX_STORMY:
	case EVT_WX_COLD: q->wx = -1; break;
	case EVT_WX_SUNNY:
	case EVT_WX_HOT: q->wx = 1; break;
	default: q->wx = 0; break;
	}
	q->company = ctx->social == EVT_SOC_FRIENDS ||
	    ctx->social == EVT_SOC_FAMILY || ctx->social == EVT_SOC_PARTNER ||
	    ctx->social == EVT_SOC_GROUP;
	q->dev_bit =
	    ctx->device > EVT_DEV_UNKNOWN && ctx->device < EVT_DEV_COUNT
	    ? 1u << ctx->device
	    : 0;
	q->plat_bit =
	    ctx->platform > EVT_PLAT_UNKNOWN && ctx->platform < EVT_PLAT_COUNT
	    ? 1u << ctx->platform
	    : 0;

	/* The fatigue ladder: no pow per candidate. */
	double x = 1.0;

	for (unsigned i = 0; i < 16; i++) {
		if (i > rp->fatigue_impressions)
			x *= rp->fatigue_factor;
		q->fat[i] = fmax(x, rp->fatigue_floor);
	}
	for (unsigned b = 0; b < 16; b++) {
		q->fat_of[b] = q->fat[b];
		q->fat_of[16 + b] = rp->acted_factor;
	}
	q->nov_ms = rp->novelty_days * (double)CLK_MS_PER_DAY;

	/* W, S and D as tables (the branches of _context_part). */
	for (unsigned i = 0; i < 4; i++)
		q->wtab[i] = q->stab[i] = 1.0;
	if (q->wx != 0) {
		q->wtab[ITEM_OUTDOOR] = q->wx < 0 ? rp->weather_outdoor_bad
						  : rp->weather_outdoor_good;
		q->wtab[ITEM_INDOOR] = q->wx < 0 ? rp->weather_indoor_bad
						 : rp->weather_indoor_good;
	}
	if (q->company) {
		q->stab[ITEM_YES] = rp->social_group_yes;
		q->stab[ITEM_NO] = rp->social_group_no;
	}
	q->dtab[0] = q->ptab[0] = 1.0;
	q->dtab[1] = q->dev_bit ? rp->device_mismatch : 1.0;
	q->dtab[2] = q->dev_bit ? rp->device_match : 1.0;
	q->ptab[1] = q->plat_bit ? rp->device_mismatch : 1.0;
	q->ptab[2] = q->plat_bit ? rp->device_match : 1.0;
}

/* ---- Factors of one candidate ------------------------------------------ */

/* 1 / sqrt(n) for the n ids an item can have (a category and
 * LRN_ITEM_TAGS tags): the length of its unit id vector's entries. */
static const double _inv_sqrt[LRN_ITEM_TAGS + 2] = { 0.0, 1.0,
	0.70710678118654752, 0.57735026918962576, 0.5, 0.44721359549995794,
	0.40824829046386302, 0.37796447300922723, 0.35355339059327376,
	0.33333333333333333 };
_Static_assert(LRN_ITEM_TAGS == 8, "_inv_sqrt has an entry per id count");

/*
 * a_user of the header; *ap gets a_prior (0 without a prior). One body
 * for each of with or without a prior and with or without the perfect
 * tag hash, so neither is asked again per tag; with it, a tag's slot in
 * the table is also its bit among the item's tags seen (one multiply).
 */
static inline __attribute__((always_inline)) double
_affinity_of(const struct _prep *q, const struct lrn_item *it, int slot,
    double *ap, bool prior, bool perfect)
{
	unsigned nt = it->n_tags < LRN_ITEM_TAGS ? it->n_tags : LRN_ITEM_TAGS;
	unsigned ids = 0;
	uint64_t seen = 0;
	double sum = 0.0, psum = 0.0;

	if (it->category) {
		ids++;
		sum += slot >= 0 ? q->cat_val[slot] : 0.0;
		if (prior)
			psum += _prior_value(q, 0, it->category);
	}
	for (unsigned i = 0; i < nt; i++) {
		uint32_t id = it->tags[i];
		unsigned h = _tag_hash(id, perfect ? q->tag_mul : 2654435761u);
		uint64_t bit = 1ULL << h;

		if (id == 0)
			continue;
		/* A repeat hits a bit already set; only then compare. */
		if (seen & bit) {
			unsigned j = 0;

			while (it->tags[j] != id)
				j++;
			if (j < i)
				continue;
		}
		seen |= bit;
		ids++;
		/* No branch to mispredict: a miss reads a 0 or multiplies
		 * another tag's value by 0 (_tag_value). */
		sum += perfect ? q->tag_val[h] * (q->tag_id[h] == id)
			       : _tag_value(q, id);
		if (prior)
			psum += _prior_value(q, 1, id);
	}
	/* The item as a unit vector over its ids (no ids: 0). */
	*ap = psum * _inv_sqrt[ids];
	return sum * _inv_sqrt[ids];
}

static inline __attribute__((always_inline)) double
_affinity(const struct _prep *q, const struct lrn_item *it, int slot,
    double *ap)
{
	bool prior = q->prior_b > 0.0;

	if (q->tag_mul)
		return prior ? _affinity_of(q, it, slot, ap, true, true)
			     : _affinity_of(q, it, slot, ap, false, true);
	return prior ? _affinity_of(q, it, slot, ap, true, false)
		     : _affinity_of(q, it, slot, ap, false, false);
}

/* c[0] + c[1] y + ... + c[n - 1] y^(n - 1), by Horner. */
static double _poly(double y, const double *c, int n)
{
	double r = c[n - 1];

	for (int i = n - 2; i >= 0; i--)
		r = r * y + c[i];
	return r;
}

/*
 * sin x and cos x for |x| <= 0.1, asin y for 0 <= y <= 0.1: their Taylor
 * series to x^9, x^10 and y^13; the first term left out is below 1e-17 of
 * the result, under the rounding of the haversine itself.
 */
static double _sin_small(double x)
{
	static const double c[] = { 1.0, -1.0 / 6, 1.0 / 120, -1.0 / 5040,
		1.0 / 362880 };

	return x * _poly(x * x, c, 5);
}

static double _cos_small(double x)
{
	static const double c[] = { 1.0, -1.0 / 2, 1.0 / 24, -1.0 / 720,
		1.0 / 40320, -1.0 / 3628800 };

	return _poly(x * x, c, 6);
}

static double _asin_small(double y)
{
	static const double c[] = { 1.0, 1.0 / 6, 3.0 / 40, 5.0 / 112,
		35.0 / 1152, 63.0 / 2816, 231.0 / 13312 };

	return y * _poly(y * y, c, 7);
}

/*
 * geo_distance_km from the reference point, without libm where both half
 * differences are within 0.05 rad (about 300 km, every nearby item): the
 * same haversine, with cos of the item's latitude as cos(ref + 2a) from
 * the reference's sine and cosine, and polynomials for the small angles.
 * Within 0.01 rad (most items: a city is a few hundredths of a degree)
 * shorter series do (the first term left out is below 1e-20 of the
 * result) and cos a = sqrt(1 - sin^2 a) stands in for its series: the
 * same distance to within a few units in the last place.
 */
static double _km_from_ref(const struct _prep *q, double lat, double lon)
{
	const double rad = M_PI / 180.0;
	double dlon = lon - q->ref_lon;

	/* sin^2 of half the longitude difference has period 360 degrees. */
	if (dlon > 180.0)
		dlon -= 360.0;
	else if (dlon < -180.0)
		dlon += 360.0;
	double a = (lat - q->ref_lat) * rad / 2, b = dlon * rad / 2;

	if (fabs(a) <= 0.01 && fabs(b) <= 0.01) {
		static const double s4[] = { 1.0, -1.0 / 6, 1.0 / 120,
			-1.0 / 5040 };
		static const double as5[] = { 1.0, 1.0 / 6, 3.0 / 40, 5.0 / 112,
			35.0 / 1152 };
		double sa = a * _poly(a * a, s4, 4),
		       sb = b * _poly(b * b, s4, 4);
		double sa2 = sa * sa, ca = sqrt(1.0 - sa2);
		/* cos(ref + 2a) = cos ref (1 - 2 sin^2 a) - sin ref 2 sin a
		 * cos a */
		double c2 = q->ref_cos * (1.0 - 2.0 * sa2) -
		    q->ref_sin * (2.0 * sa * ca);
		double y = sqrt(sa2 + q->ref_cos * c2 * sb * sb);

		return 2.0 * GEO_EARTH_RADIUS_KM * (y * _poly(y * y, as5, 5));
	}
	if (!(fabs(a) <= 0.05 && fabs(b) <= 0.05))
		return geo_distance_km(q->ref_lat, q->ref_lon, lat, lon);
	double sa = _sin_small(a), sb = _sin_small(b);
	double c2 =
	    q->ref_cos * _cos_small(2 * a) - q->ref_sin * _sin_small(2 * a);
	double h = sa * sa + q->ref_cos * c2 * sb * sb;

	return 2.0 * GEO_EARTH_RADIUS_KM * _asin_small(sqrt(h));
}

/* L of an item at distance d km. */
static double _place_factor(const struct rank_params *rp, double d)
{
	return rp->dist_min +
	    (rp->dist_max - rp->dist_min) * exp(-d / rp->dist_scale_km);
}

/* T, W, S and D of an item into f; returns their product. */
static inline __attribute__((always_inline)) double
_context_part(const struct _prep *q, const struct cat_item *ci, int slot,
    struct rank_factors *f)
{
	double t = 1.0;

	if (ci->start_ms != 0 && q->dp_now >= 0 &&
	    _daypart(ci->start_ms, ci->start_tz_min) == q->dp_now)
		t = slot >= 0 ? q->t_cat[slot] : q->t_any;
	else if (ci->start_ms == 0)
		t = slot >= 0 ? q->o_cat[slot] : q->o_any;
	double w = q->wtab[ci->setting < 3 ? ci->setting : 3];
	double s = q->stab[ci->group_friendly < 3 ? ci->group_friendly : 3];
	unsigned dm = ci->device_mask, pm = ci->platform_mask;
	/* 1 x match x match is match x match: the tables multiply as the
	 * factors do. */
	double d = q->dtab[dm ? 1 + ((dm & q->dev_bit) != 0) : 0] *
	    q->ptab[pm ? 1 + ((pm & q->plat_bit) != 0) : 0];

	f->time = (float)t;
	f->weather = (float)w;
	f->social = (float)s;
	f->device = (float)d;
	return t * w * s * d;
}

/* F: lrn_seen's impressions and action marks, through fat_of (16 +
 * anything when acted on, else the impressions: 0 when not met). */
static inline __attribute__((always_inline)) double
_fatigue(const struct _prep *q, uint64_t key)
{
	uint32_t x = _seen_entry(q, key);

	return q
	    ->fat_of[_SEEN_IMPS(x) | (unsigned)((x & _SEEN_ACTED) != 0) << 4];
}

static inline __attribute__((always_inline)) double
_novelty(const struct _prep *q, const struct rank_params *rp,
    const struct rank_ctx *ctx, int64_t added_ms)
{
	if (added_ms == 0 || !(q->nov_ms > 0.0))
		return 1.0;
	/* An item added after now (clocks differ) is as fresh as can be. */
	double age = (double)ctx->time_ms - (double)added_ms;

	if (age < 0.0)
		age = 0.0;
	if (age >= q->nov_ms)
		return 1.0;
	return 1.0 + rp->novelty_boost * (1.0 - age / q->nov_ms);
}

/* K: 1 + gain cf where small, rising smoothly to the cap (never
 * reaching it), so candidates of large cf keep their order. By exp, not
 * expm1 (twice its cost): K >= 1, so the cancellation of 1 - exp(-x) for
 * small x costs K at most room x 2^-53 absolute (1e-14 at the cap of
 * 100), far below the float the factor is reported in. */
static double _collab(const struct rank_params *rp, double cf)
{
	double room = rp->collab_cap - 1.0;

	if (room <= 0.0)
		return 1.0;
	return 1.0 + room * (1.0 - exp(-rp->collab_gain * cf / room));
}

/* K by cf, for the call: candidates often share a cf (a single entry of
 * the same neighbour list, or the same sums of them), and exp is most of
 * K's cost. By the bits of cf; cf 0 has no K to keep, so key 0 is a free
 * entry. The same cf, the same K, bit for bit. Direct-mapped, so room
 * for several times the distinct cf of a call: in bench/micro, of 200
 * candidates, 64 entries evicted values still to be met and made 125
 * exps a call, 512 make 79. */
#define _COLLAB_CACHE 512
struct _collabs {
	uint32_t key[_COLLAB_CACHE];
	double val[_COLLAB_CACHE];
};

static inline __attribute__((always_inline)) double
_collab_of(const struct rank_params *rp, struct _collabs *cs, float cf)
{
	uint32_t b;

	memcpy(&b, &cf, sizeof(b));
	unsigned h = (b * 0x9E3779B1u) >> 23; /* 9 bits: _COLLAB_CACHE */

	if (cs->key[h] == b)
		return cs->val[h];
	cs->key[h] = b;
	cs->val[h] = _collab(rp, cf);
	return cs->val[h];
}

static const struct rank_factors _ones = { .affinity = 1.0f,
	.time = 1.0f,
	.distance = 1.0f,
	.weather = 1.0f,
	.social = 1.0f,
	.device = 1.0f,
	.context = 1.0f,
	.fatigue = 1.0f,
	.novelty = 1.0f,
	.explore = 1.0f,
	.collab = 1.0f };

/* L by cell, for the call: candidates often share a place. A key of 0
 * is a free entry (0 is no cell). */
struct _cells {
	uint64_t *key;
	double *val;
	size_t mask;
};

static double _cell_factor(const struct _prep *q, const struct rank_params *rp,
    struct _cells *cc, uint64_t cell)
{
	size_t h = (size_t)((cell * 0x9E3779B97F4A7C15ULL) >> 40) & cc->mask;

	if (cc->key[h] == cell)
		return cc->val[h];
	double lat, lon, l = 1.0;

	if (geo_cell_center(cell, &lat, &lon) == 0)
		l = _place_factor(rp, _km_from_ref(q, lat, lon));
	cc->key[h] = cell;
	cc->val[h] = l;
	return l;
}

/* Per-candidate arrays of the scoring passes. */
struct _pass {
	double *part;	/* T W S D */
	double *lfac;	/* L */
	uint32_t *didx; /* candidates with a cell, nd of them */
	unsigned nd;
};

/*
 * The first pass, one body per strategy class (context: CONTEXT and
 * above; marks: the diverse ones, whose serendipity reads the eligible
 * mark), so neither is asked again per candidate and what a class does
 * not read is not written: PROFILE and CONTEXT keep no marks (nothing
 * is placed), PROFILE no context parts, EXPLORE only cleared marks.
 */
static inline __attribute__((always_inline)) void
_score_first(const struct _prep *q, const struct rank_params *rp,
    const struct rank_ctx *ctx, const struct rank_cand *c, unsigned n,
    struct _pass *ps, struct _collabs *cs, struct rank_factors *f,
    double *score, uint8_t *mark, bool context, bool marks)
{
	for (unsigned i = 0; i < n; i++) {
		const struct cat_item *ci = c[i].item;
		struct rank_factors *fi = &f[i];
		double x = c[i].base, part = 1.0;
		uint8_t mk = 0;

		/* Whole, then field by field: never a wide read of narrow
		 * writes (a stall per candidate). */
		*fi = _ones;
		fi->confidence = (float)q->conf;
		if (!ci) {
			fi->flags = RANK_F_UNKNOWN_ITEM;
		} else {
			uint32_t cat = ci->item.category;
			int slot = _cat_lookup(q, cat);

			if (q->p) {
				/* Without a prior (b = 0) exactly 1 + gain c
				 * a_user: the second term adds 0. */
				double ap, b = q->prior_b;
				double au = _affinity(q, &ci->item, slot, &ap);
				double a = 1.0 +
				    rp->affinity_gain * q->conf * au *
					(1.0 - b) +
				    rp->affinity_gain * b * ap;

				a = _clamp(a, rp->affinity_floor,
				    rp->affinity_cap);
				fi->affinity = (float)a;
				x *= a;
			}
			if (context) {
				double nv = _novelty(q, rp, ctx, ci->added_ms);

				part = _context_part(q, ci, slot, fi);
				fi->novelty = (float)nv;
				x *= nv;
				ps->didx[ps->nd] = i;
				ps->nd += ci->geo_cell != 0 && q->has_ref;
			}
			/* Not among the user's top categories (those are
			 * profile slots). */
			mk = (uint8_t)(_MARK_ELIGIBLE *
			    ((cat != 0) & !q->top_of[slot + 1]));
		}
		/* By key, like fatigue: items without attributes too. */
		if (c[i].collab > 0.0f && q->p) {
			double k = _collab_of(rp, cs, c[i].collab);

			fi->collab = (float)k;
			x *= k;
		}
		if (context && q->p) {
			double ft = _fatigue(q, c[i].key);

			fi->fatigue = (float)ft;
			x *= ft;
		}
		score[i] = _finite(x);
		if (context) {
			ps->part[i] = part;
			ps->lfac[i] = 1.0;
		}
		if (marks)
			mark[i] = mk;
	}
}

/*
 * Score and factors of every candidate, before exploration, in three
 * passes: everything but L; then L of the candidates with a cell (by
 * cell, each distinct one computed once), a run of arithmetic the
 * processor overlaps from one candidate to the next (in the first pass
 * it would wait on each); then the clamp. Inline, as are the factors:
 * out of line, or with the factors called, the three bodies cost more
 * than the branches they save (1 to 6 k instructions a call).
 */
static inline __attribute__((always_inline)) void _score(const struct _prep *q,
    const struct rank_params *rp, const struct rank_ctx *ctx,
    const struct rank_cand *c, unsigned n, unsigned strategy, double cw,
    struct _pass *ps, struct _cells *cc, struct rank_factors *f, double *score,
    uint8_t *mark)
{
	bool context = strategy >= RANK_CONTEXT;
	struct _collabs cs;

	if (q->p)
		memset(cs.key, 0, sizeof(cs.key));
	ps->nd = 0;
	if (strategy == RANK_DIVERSE || strategy == RANK_FULL) {
		_score_first(q, rp, ctx, c, n, ps, &cs, f, score, mark, true,
		    true);
	} else if (context) {
		_score_first(q, rp, ctx, c, n, ps, &cs, f, score, mark, true,
		    false);
		/* EXPLORE places its top k by mark. */
		if (strategy == RANK_EXPLORE)
			memset(mark, 0, n);
	} else {
		_score_first(q, rp, ctx, c, n, ps, &cs, f, score, mark, false,
		    false);
		return;
	}
	if (ps->nd)
		memset(cc->key, 0, (cc->mask + 1) * sizeof(*cc->key));
	for (unsigned d = 0; d < ps->nd; d++) {
		uint32_t i = ps->didx[d];

		ps->lfac[i] = _cell_factor(q, rp, cc, c[i].item->geo_cell);
	}
	for (unsigned i = 0; i < n; i++) {
		double y = ps->part[i] * ps->lfac[i];
		/* The context weight (a segment's strategy): 1 leaves the
		 * product as it is, 1.5 makes context count more. */
		if (cw != 1.0 && y > 0.0)
			y = exp(cw * log(y));
		double x = _clamp(y, rp->context_min, rp->context_max);

		f[i].distance = (float)ps->lfac[i];
		f[i].context = (float)x;
		score[i] = _finite(score[i] * x);
	}
}

/* ---- Order ------------------------------------------------------------- */

static bool _before(const double *score, uint32_t a, uint32_t b)
{
	/* Bitwise: no branch on the data. */
	return (score[a] > score[b]) | ((score[a] == score[b]) & (a < b));
}

/* Moves each candidate of ord[0..n) back past those it ranks before:
 * the exact order, ties in input order. */
static void _insertion(const double *score, unsigned n, uint32_t *ord)
{
	for (unsigned r = 1; r < n; r++) {
		uint32_t x = ord[r];
		unsigned j = r;

		while (j > 0 && _before(score, x, ord[j - 1])) {
			ord[j] = ord[j - 1];
			j--;
		}
		ord[j] = x;
	}
}

/* A stable LSD radix sort of ord by key, one pass per byte in which the
 * keys differ (any: their OR, all: their AND). */
static void _radix(unsigned n, uint32_t *out, uint32_t *ord2, uint32_t *key,
    uint32_t *key2, uint32_t any, uint32_t all)
{
	unsigned cnt[256];
	uint32_t *ord = out;

	for (unsigned r = 0; r < n; r++)
		ord[r] = r;
	for (unsigned sh = 0; sh < 32; sh += 8) {
		/* Every key's byte lies in [lo, hi] (bitwise, so in value). */
		unsigned lo = (all >> sh) & 0xff, hi = (any >> sh) & 0xff;
		unsigned sum = 0;

		if (lo == hi)
			continue; /* one value: nothing to move */
		memset(&cnt[lo], 0, (hi - lo + 1) * sizeof(cnt[0]));
		for (unsigned r = 0; r < n; r++)
			cnt[(key[r] >> sh) & 0xff]++;
		for (unsigned v = lo; v <= hi; v++) {
			unsigned x = cnt[v];

			cnt[v] = sum;
			sum += x;
		}
		for (unsigned r = 0; r < n; r++) {
			unsigned at = cnt[(key[r] >> sh) & 0xff]++;

			key2[at] = key[r];
			ord2[at] = ord[r];
		}
		uint32_t *x = key;

		key = key2;
		key2 = x;
		x = ord;
		ord = ord2;
		ord2 = x;
	}
	/* An odd number of passes left the order in the other array. */
	if (ord != out)
		memcpy(out, ord, n * sizeof(*out));
}

/*
 * ord[0..n) = the candidates by descending score, ties in input order.
 * Keys are the complemented bits of the scores as floats (rounding is
 * monotone, and the bits of non-negative floats order as the floats do).
 * One counting pass puts the candidates into 256 buckets by the top 8
 * bits of key - min key over the keys' range, in order, each moved back
 * within its bucket past those of a smaller score as it is placed (an
 * insertion pass with the exact order, in the same pass). Scores of 0
 * (the largest key) are left out of the range and go to the last
 * bucket: a single 0 would otherwise stretch the range over a hundred
 * empty binades and crowd every other score into a few buckets. Where a
 * bucket holds more than _BUCKET_MAX (scores bunched together) a radix
 * sort on whole keys instead.
 */
#define _BUCKET_MAX 24
#define _KEY_ZERO UINT32_MAX /* ~ the bits of 0.0f */
static void _order(const double *score, unsigned n, uint32_t *out,
    uint32_t *ord2, uint32_t *key, uint32_t *key2)
{
	unsigned cnt[256];
	uint32_t lo = UINT32_MAX, hi = 0;

	for (unsigned i = 0; i < n; i++) {
		float s = (float)score[i] + 0.0f; /* -0 is 0 */
		uint32_t b;

		memcpy(&b, &s, sizeof(b));
		b = ~b;
		key[i] = b;
		lo = b < lo ? b : lo;
		hi = b > hi && b != _KEY_ZERO ? b : hi;
	}
	if (lo > hi) /* all 0 */
		hi = lo;
	uint32_t span = hi - lo;
	unsigned sh = 0, top = 0;

	while (span >> sh > 255)
		sh++;
	memset(cnt, 0, sizeof(cnt));
	for (unsigned i = 0; i < n; i++) {
		uint32_t d = key[i] - lo;
		unsigned b = d > span ? 255 : d >> sh;

		key2[i] = b;
		cnt[b]++;
	}
	/* Buckets in use: 0 .. span >> sh, and 255 (the zeros); the
	 * starts of those only, not of all 256. */
	unsigned used = span >> sh, sum = 0;

	for (unsigned v = 0; v <= used; v++) {
		unsigned x = cnt[v];

		top = x > top ? x : top;
		cnt[v] = sum;
		sum += x;
	}
	if (used < 255) {
		top = cnt[255] > top ? cnt[255] : top;
		cnt[255] = sum;
	}
	if (top > _BUCKET_MAX) {
		/* The bytes the keys differ in: the passes the radix sort
		 * cannot skip (rare, so counted here, not above). */
		uint32_t any = 0, all = UINT32_MAX;

		for (unsigned i = 0; i < n; i++) {
			any |= key[i];
			all &= key[i];
		}
		_radix(n, out, ord2, key, key2, any, all);
		_insertion(score, n, out);
		return;
	}
	/*
	 * key[at] takes the bucket of position at as it is filled. A
	 * bucket fills from its start, so the positions before a newcomer
	 * hold its bucket back to that start; the one before the start
	 * holds a lower bucket, or (not yet filled) a float key, which has
	 * its top bit set (the complement of a non-negative float's) and
	 * is no bucket. The newcomer has the largest index so far: it
	 * moves back past smaller scores only, and stays behind equal ones.
	 */
	for (unsigned i = 0; i < n; i++) {
		unsigned b = key2[i], at = cnt[b]++, j = at;
		double x = score[i];

		key[at] = b;
		while (j > 0 && key[j - 1] == b && x > score[out[j - 1]]) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = i;
	}
}

/* ---- Exploration ------------------------------------------------------- */

/*
 * ln x for a positive normal x, within 1e-9: the exponent plus the
 * series 2 atanh(t) of the mantissa m in [sqrt(1/2), sqrt(2)), t = (m - 1)
 * / (m + 1), |t| < 0.172, cut after t^9 (the next term is below 2e-8). A
 * spread of scores needs no more, and a libm log per candidate would cost
 * about as much as the rest of the exploration.
 */
static double _ln(double x)
{
	uint64_t b;

	memcpy(&b, &x, sizeof(b));
	int e = (int)((b >> 52) & 0x7ff) - 1023;

	b = (b & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL;
	double m;

	memcpy(&m, &b, sizeof(m));
	if (m > 1.4142135623730951) {
		m *= 0.5;
		e++;
	}
	double t = (m - 1.0) / (m + 1.0), t2 = t * t;
	double r = t *
	    (2.0 +
		t2 *
		    (2.0 / 3.0 +
			t2 *
			    (2.0 / 5.0 + t2 * (2.0 / 7.0 + t2 * (2.0 / 9.0)))));

	return (double)e * 0.6931471805599453 + r;
}

/*
 * Standard deviation of ln score over the candidates with a positive,
 * finite, normal score (0 with fewer than two): how far apart the ranker
 * itself sets them, in the units Thompson sampling moves them by.
 */
static double _log_spread(const double *score, unsigned n)
{
	double sum = 0.0, sq = 0.0, l0 = 0.0;
	unsigned m = 0;

	for (unsigned i = 0; i < n; i++) {
		if (!(score[i] >= DBL_MIN && score[i] < DBL_MAX))
			continue;
		double v = _ln(score[i]);

		if (m == 0)
			l0 = v; /* shifted by the first: no cancellation */
		v -= l0;
		sum += v;
		sq += v * v;
		m++;
	}
	if (m < 2)
		return 0.0;
	double mean = sum / m;

	return sqrt(fmax(sq / m - mean * mean, 0.0));
}

/*
 * Thompson sampling: one Beta draw per distinct category, in the order the
 * categories first appear among the candidates; every candidate of the
 * category gets its factor (theta / mean) ^ x. The exponent puts the draw
 * on the scale of the scores: x = weight x spread / cv0, where spread is
 * _log_spread and cv0 the coefficient of variation of the category's
 * posterior before the user's own impressions (the global rate alone).
 * So ln factor ~ weight x spread x (a standardized draw), shrinking as the
 * user's impressions narrow the posterior: a category the user never saw
 * moves by about weight spreads, whatever the scale of the caller's base
 * scores (ranking s or s^2 explores alike). Every score the same (spread
 * 0): x = weight; the draws alone order the candidates then, and any
 * positive exponent orders them alike. The factor is kept within e^+-87.
 */
/* ln FLT_MAX is 88.7, ln FLT_MIN -87.3: factors of e^+-87 are floats. */
#define _EXPLORE_LN_MAX 87.0

static void _thompson(const struct _prep *q, const struct rank_params *rp,
    const struct rank_cand *c, unsigned n, double weight, struct rng *r,
    const struct _layout *l, unsigned char *base, struct rank_factors *f,
    double *score)
{
	struct _catent *tab = (struct _catent *)(base + l->cats);
	uint64_t *used = (uint64_t *)(base + l->cused);
	double *dfac = (double *)(base + l->dfac);
	size_t mask = l->cat_cap - 1;
	uint32_t nd = 0;
	double spread = _log_spread(score, n);

	/* Entries in use by a bit each: a clear of cat_cap bits, not of
	 * the whole table (8 bytes an entry). */
	memset(used, 0, (l->cat_cap + 63) / 64 * 8);
	for (unsigned i = 0; i < n; i++) {
		uint32_t cat = c[i].item ? c[i].item->item.category : 0;

		if (cat == 0)
			continue; /* nothing to learn a rate of */
		size_t h =
		    (size_t)(((uint64_t)cat * 0x9e3779b97f4a7c15ULL) >> 32) &
		    mask;

		while ((used[h / 64] >> (h % 64) & 1) && tab[h].cat != cat)
			h = (h + 1) & mask;
		if (!(used[h / 64] >> (h % 64) & 1)) {
			double g = c[i].global_ctr;
			double imp = 0.0, clk = 0.0;
			int slot = _cat_slot(q->p, cat);

			if (!(g >= 0.0 && g <= 1.0))
				g = 0.05;
			if (slot >= 0) {
				imp = q->p->cat_imp[slot];
				clk = q->p->cat_clk[slot];
			}
			double a0 = rp->thompson_prior * g + 1.0;
			double b0 = rp->thompson_prior * (1.0 - g) + 1.0;
			double a = clk + a0, b = fmax(imp - clk, 0.0) + b0;
			double theta = rng_beta(r, a, b), mean = a / (a + b);
			double cv0 = sqrt(b0 / (a0 * (a0 + b0 + 1.0)));
			double x =
			    spread > 0.0 ? weight * spread / cv0 : weight;

			used[h / 64] |= 1ULL << (h % 64);
			tab[h].cat = cat;
			tab[h].d = nd;
			double lf = x * log(theta / mean);

			/* Within what a float factor holds (a spread of
			 * hundreds of nats would overflow it). */
			lf = lf < -_EXPLORE_LN_MAX ? -_EXPLORE_LN_MAX
			    : lf > _EXPLORE_LN_MAX ? _EXPLORE_LN_MAX
						   : lf;
			dfac[nd++] = exp(lf);
		}
		double x = dfac[tab[h].d];

		f[i].explore = (float)x;
		score[i] = _finite(score[i] * x);
	}
}

/*
 * Epsilon-greedy: each slot of top[0..k) with probability eps takes a
 * candidate drawn uniformly, without replacement, from below[0..m) (those
 * below k); the one it replaces leaves the top.
 */
static void _epsilon(double eps, struct rng *r, uint32_t *top, unsigned k,
    uint32_t *below, unsigned m, uint8_t *mark, struct rank_factors *f)
{
	if (!(eps > 0.0))
		return;
	for (unsigned s = 0; s < k && m > 0; s++) {
		if (!(rng_uniform(r) < eps))
			continue;
		unsigned j = (unsigned)rng_below(r, m);
		uint32_t in = below[j], outc = top[s];

		below[j] = below[m - 1];
		below[--m] = outc;
		top[s] = in;
		mark[outc] &= (uint8_t)~_MARK_PLACED;
		mark[in] |= _MARK_PLACED;
		f[outc].flags &=
		    (uint8_t) ~(RANK_F_SERENDIPITY | RANK_F_DIVERSIFIED);
		f[in].flags |= RANK_F_EXPLORED;
	}
}

/* ---- Diversity --------------------------------------------------------- */

/* 0-based position of serendipity slot j (1..m) of the top k. */
static unsigned _slot_pos(unsigned j, unsigned m, unsigned k, unsigned every,
    bool bubble)
{
	if (bubble)
		return (unsigned)((uint64_t)j * k / m) - 1;
	return j * every - 1;
}

/* c ? a : b by masks: a select the compiler cannot turn into a branch
 * on data the predictor would guess wrong half the time. */
static double _sel(bool c, double a, double b)
{
	uint64_t x, y, m = -(uint64_t)c;

	memcpy(&x, &a, sizeof(x));
	memcpy(&y, &b, sizeof(y));
	x = (x & m) | (y & ~m);
	memcpy(&a, &x, sizeof(a));
	return a;
}

/*
 * The best min(k, ne) of the candidates eligible for serendipity, by
 * value, into tl[] (indices into si[] and sv[], the first of equal values
 * first), and how many. si[0..ne) are the eligible candidates in score
 * order, sv[j] score x max(trend, 1) of si[j] (_serendipity_values). At a
 * slot of the top k fewer than k are placed, so one of these is not, and
 * the first of them not placed is the best unplaced eligible candidate
 * (any other ranks below all of them): each slot reads a few entries of
 * tl, not every eligible candidate.
 */
static unsigned _serendipity_top(const double *sv, unsigned ne, unsigned k,
    uint32_t *tl)
{
	unsigned t = 0;

	for (unsigned j = 0; j < ne; j++) {
		double v = sv[j];

		/* Full: not better than the last, not in (equal: the
		 * earlier stays). */
		if (t == k && !(v > sv[tl[k - 1]]))
			continue;
		unsigned a = t < k ? t++ : k - 1;

		for (; a > 0 && v > sv[tl[a - 1]]; a--)
			tl[a] = tl[a - 1];
		tl[a] = j;
	}
	return t;
}

/* The best unplaced candidate eligible for serendipity, or -1: the first
 * of tl[0..t) (_serendipity_top) not placed. */
static long _serendipity(const uint32_t *si, const uint32_t *tl, unsigned t,
    const uint8_t *mark)
{
	for (unsigned a = 0; a < t; a++)
		if (!(mark[si[tl[a]]] & _MARK_PLACED))
			return si[tl[a]];
	return -1;
}

/* si[] and sv[] of _serendipity: the eligible candidates in score order
 * and score x max(trend, 1) of each (the trend only when it is a number
 * above 1); returns how many. Each serendipity slot then scans these
 * only, not every candidate. */
static unsigned _serendipity_values(const uint32_t *ord, const double *score,
    unsigned n, const struct rank_cand *c, const uint8_t *mark, uint32_t *si,
    double *sv)
{
	unsigned ne = 0;

	for (unsigned r = 0; r < n; r++) {
		uint32_t i = ord[r];
		float tr = c[i].trend;
		double t = _sel((tr > 1.0f) & (tr <= FLT_MAX), (double)tr, 1.0);

		/* Written for every candidate, kept for the eligible. */
		si[ne] = i;
		sv[ne] = score[i] * t;
		ne += (mark[i] & _MARK_ELIGIBLE) != 0;
	}
	return ne;
}

/*
 * Fills top[0..k): serendipity slots first come first served, every other
 * position with the next MMR (or DPP) pick (over the best `pool` by score)
 * that is not placed yet.
 */
static void _diversify(const struct _prep *q, const struct rank_params *rp,
    const struct rank_opts *o, const struct rank_cand *c, unsigned n,
    unsigned k, const struct _layout *l, unsigned char *base,
    const uint32_t *ord, const double *score, uint32_t *top, uint8_t *mark,
    struct rank_factors *f)
{
	const struct lrn_item **items =
	    (const struct lrn_item **)(void *)(base + l->items);
	struct met_mmr_slot *slots = (struct met_mmr_slot *)(base + l->slots);
	double *rel = (double *)(base + l->rel);
	uint32_t *mo = (uint32_t *)(base + l->mo);
	uint32_t *si = (uint32_t *)(base + l->sidx);
	uint32_t *tl = (uint32_t *)(base + l->rkey2); /* the sorts are done */
	double lambda = o->mmr_lambda >= 0 ? o->mmr_lambda : rp->mmr_lambda;
	unsigned every = o->serendipity_every >= 0
	    ? (unsigned)o->serendipity_every
	    : rp->serendipity_every;
	unsigned m = every ? k / every : 0;
	uint64_t pool = (uint64_t)(rp->mmr_pool ? rp->mmr_pool : 1) * k;
	unsigned np = pool < n ? (unsigned)pool : n;
	struct met_sim sim;
	int picks;

	if (q->bubble) {
		lambda = fmax(lambda - rp->bubble_lambda_drop, 0.0);
		m = m + 1 < k ? m + 1 : k;
	}
	/* Relevance on [0, 1]: MMR min-max normalizes anyway, and a huge
	 * score range cannot overflow. A top score below ~5.6e-309 has no
	 * finite reciprocal: then a division each (a score is finite and at
	 * most the top, so is its share). */
	double top_s = score[ord[0]];
	double inv = top_s > 0.0 ? 1.0 / top_s : 0.0;
	bool divide = !isfinite(inv);

	for (unsigned r = 0; r < np; r++) {
		const struct cat_item *ci = c[ord[r]].item;

		rel[r] = divide ? score[ord[r]] / top_s : score[ord[r]] * inv;
		items[r] = ci ? &ci->item : NULL;
	}
	met_sim_default(&sim);
	unsigned div =
	    o->given & RANK_O_DIVERSIFIER ? o->diversifier : rp->diversifier;
	double mean = o->given & RANK_O_MMR_MEAN ? o->mmr_mean : rp->mmr_mean;

	if (div == RANK_DIV_DPP) {
		/* The guard lowers theta as it lowers lambda. The slots
		 * have room for a window of _hi.dpp_window. */
		double theta =
		    o->given & RANK_O_DPP_THETA ? o->dpp_theta : rp->dpp_theta;
		unsigned win = rp->dpp_window < _hi.dpp_window ? rp->dpp_window
							       : _hi.dpp_window;

		if (q->bubble)
			theta = fmax(theta - rp->bubble_lambda_drop, 0.0);
		picks = met_dpp(rel, items, np, k, theta, win ? win : 1, &sim,
		    slots, l->slot_bytes, mo);
	} else if (rp->mmr_dcg) {
		picks = met_mmr_dcg(rel, items, np, k, lambda, &sim, slots, mo,
		    NULL);
	} else {
		picks = met_mmr_mean(rel, items, np, k, lambda, mean, &sim,
		    slots, mo, NULL);
	}
	/* Relevance in [0, 1], lambda and theta in [0, 1], room for the
	 * window: neither can fail.
	 * Built without asserts, a failure still ranks by score rather than
	 * read picks that were not made. */
	assert(picks == (int)k);
	if (picks != (int)k) {
		for (unsigned r = 0; r < k; r++)
			mo[r] = r;
	}

	unsigned next = 1, at = m ? _slot_pos(1, m, k, every, q->bubble) : k;
	unsigned t = 0, u = 0, nt = 0;
	bool by_score = rp->diverse_by_score;

	if (m)
		nt = _serendipity_top(rel,
		    _serendipity_values(ord, score, n, c, mark, si, rel), k,
		    tl);
	for (unsigned pos = 0; pos < k; pos++) {
		if (pos == at) {
			long s = _serendipity(si, tl, nt, mark);

			next++;
			at = next <= m ? _slot_pos(next, m, k, every, q->bubble)
				       : k;
			if (s >= 0) {
				top[pos] = (uint32_t)s;
				mark[s] |= _MARK_PLACED;
				f[s].flags |= RANK_F_SERENDIPITY;
				continue;
			}
		}
		while (mark[ord[mo[t]]] & _MARK_PLACED)
			t++;
		uint32_t i = ord[mo[t]];

		top[pos] = i;
		mark[i] |= _MARK_PLACED;
		if (!by_score && t < mo[t])
			f[i].flags |= RANK_F_DIVERSIFIED;
		mo[u++] = mo[t]; /* u <= t: in place */
		t++;
	}
	if (!by_score)
		return;
	/* The same set, its MMR places in score order (ord's). */
	for (unsigned a = 1; a < u; a++) {
		uint32_t x = mo[a];
		unsigned b = a;

		for (; b > 0 && mo[b - 1] > x; b--)
			mo[b] = mo[b - 1];
		mo[b] = x;
	}
	t = 0;
	for (unsigned pos = 0; pos < k; pos++) {
		if (f[top[pos]].flags & RANK_F_SERENDIPITY)
			continue;
		top[pos] = ord[mo[t]];
		if (t < mo[t])
			f[top[pos]].flags |= RANK_F_DIVERSIFIED;
		t++;
	}
}

/* ---- The call ---------------------------------------------------------- */

int rank_opts_check(const struct rank_opts *o)
{
	/* Overrides: negative is "the setting", anything else in range. */
	if (isnan(o->epsilon) || o->epsilon > _hi.epsilon ||
	    isnan(o->explore_weight) ||
	    o->explore_weight > _hi.explore_weight || isnan(o->mmr_lambda) ||
	    o->mmr_lambda > _hi.mmr_lambda ||
	    o->serendipity_every > (int)_hi.serendipity_every ||
	    isnan(o->context_weight) || o->context_weight > 5.0)
		return -EINVAL;
	if (((o->given & RANK_O_DIVERSIFIER) &&
		o->diversifier > RANK_DIV_DPP) ||
	    ((o->given & RANK_O_MMR_MEAN) &&
		!(o->mmr_mean >= 0.0 && o->mmr_mean <= _hi.mmr_mean)) ||
	    ((o->given & RANK_O_DPP_THETA) &&
		!(o->dpp_theta >= 0.0 && o->dpp_theta <= _hi.dpp_theta)))
		return -EINVAL;
	return 0;
}

static int _check(const struct lrn_params *lp, const struct rank_params *rp,
    const struct rank_ctx *ctx, const struct rank_cand *c, unsigned n,
    const struct rank_opts *o, const void *scratch, const void *out)
{
	if (!lp || !rp || !ctx || !c || !o || !scratch || !out)
		return -EINVAL;
	if (n == 0 || n > INT_MAX || o->strategy >= RANK_STRATEGY_COUNT)
		return -EINVAL;
	if (rank_opts_check(o))
		return -EINVAL;
	if (o->n_prior > RANK_PRIOR_MAX || (o->n_prior && !o->prior) ||
	    !(o->prior_weight >= 0.0 && o->prior_weight <= 1.0))
		return -EINVAL;
	for (unsigned i = 0; i < o->n_prior; i++)
		if (!(o->prior[i].share >= 0.0f &&
			o->prior[i].share <= FLT_MAX))
			return -EINVAL;
	/* NaN, negative or infinite: one answer for all, so one branch
	 * after the loop rather than two per candidate. */
	unsigned ok = 1;

	for (unsigned i = 0; i < n; i++)
		ok &= (c[i].base >= 0.0) & (c[i].base <= DBL_MAX) &
		    (c[i].collab >= 0.0f) & (c[i].collab <= FLT_MAX);
	return ok ? 0 : -EINVAL;
}

static int16_t _moved(uint32_t before, unsigned now)
{
	int64_t d = (int64_t)before - (int64_t)now;

	if (d > INT16_MAX)
		return INT16_MAX;
	if (d < INT16_MIN)
		return INT16_MIN;
	return (int16_t)d;
}

int rank_run_view(const struct lrn_profile *p, const struct lrn_params *lp,
    const struct rank_params *rp, const struct rank_ctx *ctx,
    const struct rank_cand *c, unsigned n, const struct rank_opts *o,
    void *scratch, size_t scratch_size, struct rank_view *v)
{
	int rc = _check(lp, rp, ctx, c, n, o, scratch, v);

	if (rc < 0)
		return rc;
	if (scratch_size < rank_scratch_size(n))
		return -ENOSPC;

	struct _layout l;
	unsigned char *base =
	    (unsigned char *)(((uintptr_t)scratch + _ALIGN - 1) &
		~(uintptr_t)(_ALIGN - 1));

	_layout(n, &l);
	struct rank_factors *f = (struct rank_factors *)(base + l.f);
	double *score = (double *)(base + l.score);
	uint32_t *pre = (uint32_t *)(base + l.pre);
	uint32_t *ord = (uint32_t *)(base + l.ord);
	uint32_t *ord2 = (uint32_t *)(base + l.ord2);
	uint32_t *rkey = (uint32_t *)(base + l.rkey);
	uint32_t *rkey2 = (uint32_t *)(base + l.rkey2);
	uint32_t *top = (uint32_t *)(base + l.top);
	uint32_t *below = (uint32_t *)(base + l.below);
	uint8_t *mark = (uint8_t *)(base + l.mark);
	uint32_t *perm = (uint32_t *)(base + l.perm);
	unsigned s = o->strategy, k = o->k == 0 || o->k > n ? n : o->k;
	bool explore = s == RANK_EXPLORE || s == RANK_FULL;
	bool diverse = s == RANK_DIVERSE || s == RANK_FULL;
	struct _prep q;

	v->index = perm;
	v->score = score;
	v->f = f;
	if (s == RANK_BASE) {
		double conf = p ? lrn_profile_confidence(p, lp) : 0.0;

		for (unsigned i = 0; i < n; i++) {
			perm[i] = i;
			score[i] = c[i].base;
			f[i] = _ones;
			f[i].confidence = (float)conf;
			f[i].flags = c[i].item ? 0 : RANK_F_UNKNOWN_ITEM;
		}
		return (int)n;
	}

	_prep(&q, p, lp, rp, ctx, o);
	struct _cells cc = { .key = (uint64_t *)(base + l.ckey),
		.val = (double *)(base + l.cval),
		.mask = l.cell_cap - 1 };

	struct _pass ps = { .part = (double *)(base + l.part),
		.lfac = (double *)(base + l.lfac),
		.didx = (uint32_t *)(base + l.didx) };

	_score(&q, rp, ctx, c, n, s,
	    o->context_weight > 0.0 ? o->context_weight : 1.0, &ps, &cc, f,
	    score, mark);
	_order(score, n, ord, ord2, rkey, rkey2);
	if (!explore && !diverse) {
		/* PROFILE and CONTEXT: the score order is the answer, and
		 * nothing moves (no marks, no ranks before to compare). */
		v->index = ord;
		return (int)n;
	}
	for (unsigned r = 0; r < n; r++)
		pre[ord[r]] = r;

	struct rng rng;
	double weight =
	    o->explore_weight >= 0 ? o->explore_weight : rp->explore_weight;

	rng_seed(&rng, o->seed);
	if (explore && weight > 0.0) {
		_thompson(&q, rp, c, n, weight, &rng, &l, base, f, score);
		_order(score, n, ord, ord2, rkey, rkey2);
	}

	/* The top k, in the strategy's order. */
	if (diverse) {
		_diversify(&q, rp, o, c, n, k, &l, base, ord, score, top, mark,
		    f);
	} else {
		for (unsigned r = 0; r < k; r++) {
			top[r] = ord[r];
			mark[top[r]] |= _MARK_PLACED;
		}
	}
	if (explore && k < n) {
		unsigned m = 0;

		for (unsigned r = 0; r < n; r++)
			if (!(mark[ord[r]] & _MARK_PLACED))
				below[m++] = ord[r];
		_epsilon(o->epsilon >= 0 ? o->epsilon : rp->epsilon, &rng, top,
		    k, below, m, mark, f);
	}

	/* Then the rest, by score. */
	unsigned pos = 0;

	for (; pos < k; pos++) {
		uint32_t i = top[pos];

		perm[pos] = i;
		f[i].moved = _moved(pre[i], pos);
	}
	for (unsigned r = 0; r < n && pos < n; r++) {
		uint32_t i = ord[r];

		if (mark[i] & _MARK_PLACED)
			continue;
		perm[pos] = i;
		f[i].moved = _moved(pre[i], pos);
		pos++;
	}
	assert(pos == n);
	return (int)n;
}

int rank_run(const struct lrn_profile *p, const struct lrn_params *lp,
    const struct rank_params *rp, const struct rank_ctx *ctx,
    const struct rank_cand *c, unsigned n, const struct rank_opts *o,
    void *scratch, size_t scratch_size, struct rank_result *out)
{
	struct rank_view v;
	int rc;

	if (!out)
		return -EINVAL;
	rc = rank_run_view(p, lp, rp, ctx, c, n, o, scratch, scratch_size, &v);
	for (int pos = 0; pos < rc; pos++) {
		uint32_t i = v.index[pos];

		out[pos] = (struct rank_result){ .index = i,
			.score = v.score[i],
			.f = v.f[i] };
	}
	return rc;
}
