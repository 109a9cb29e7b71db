/*
 * nbr: item neighbours (nbr.h): space-saving pair counters per item,
 * forward-decayed, and the lists the ranker reads.
 */
#include "engine/nbr.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A slot: header, then the partners' folds, then their counts. */
struct _hdr {
	uint32_t fold; /* 0: free */
	uint16_t ncand;
	uint16_t dirty;
	double mass;
	double wlast; /* w of the item's last count */
};
_Static_assert(sizeof(struct _hdr) == 24, "slot header");

/* Values are rescaled by 2^-_RESCALE_BITS before w passes 2^_RESCALE_BITS. */
#define _RESCALE_BITS 64

bool nbr_params_ok(const struct nbr_params *p)
{
	return p->candidates >= NBR_K && p->candidates <= NBR_CAND_MAX &&
	    isfinite(p->half_life_days) && p->half_life_days >= 0 &&
	    isfinite(p->min_count) && p->min_count >= 0 &&
	    isfinite(p->shrink) && p->shrink >= 0;
}

/* Item i of the dense array. */
static struct _hdr *_at(const struct nbr_counts *x, uint32_t i)
{
	return (struct _hdr *)(x->items + (size_t)i * x->stride);
}

static uint32_t *_folds(struct _hdr *h)
{
	return (uint32_t *)(h + 1);
}

static double *_counts(const struct nbr_counts *x, struct _hdr *h)
{
	return (double *)((unsigned char *)(h + 1) +
	    (size_t)x->prm.candidates * sizeof(uint32_t));
}

int nbr_counts_init(struct nbr_counts *x, uint32_t max_items,
    const struct nbr_params *p)
{
	memset(x, 0, sizeof(*x));
	if (!max_items || max_items > (1u << 30) || !nbr_params_ok(p))
		return -EINVAL;
	x->prm = *p;
	x->prm.candidates &= ~1u; /* keeps the counts 8-byte aligned */
	x->max_items = max_items;
	x->cap = 2;
	while (x->cap < 2ULL * max_items)
		x->cap <<= 1;
	x->stride = sizeof(struct _hdr) +
	    (size_t)x->prm.candidates * (sizeof(uint32_t) + sizeof(double));
	x->slots = calloc(x->cap, sizeof(*x->slots));
	x->dirty = malloc((size_t)max_items * sizeof(*x->dirty));
	if (!x->slots || !x->dirty) {
		nbr_counts_free(x);
		return -ENOMEM;
	}
	x->inv_half_ms = p->half_life_days > 0
	    ? 1.0 / (p->half_life_days * (double)LRN_DAY_MS)
	    : 0.0;
	return 0;
}

void nbr_counts_free(struct nbr_counts *x)
{
	free(x->slots);
	free(x->items);
	free(x->dirty);
	x->slots = x->dirty = NULL;
	x->items = NULL;
}

static uint32_t _hash(uint32_t fold, uint32_t mask)
{
	return (uint32_t)(((uint64_t)(fold >> 12) * 0x9E3779B1u) >> 7) & mask;
}

/* The index table's slot of fold, or the free slot where it would go. */
static uint32_t *_find(const struct nbr_counts *x, uint32_t fold)
{
	uint32_t mask = x->cap - 1;
	for (uint32_t i = _hash(fold, mask);; i = (i + 1) & mask) {
		uint32_t v = x->slots[i];
		if (!v || _at(x, v - 1)->fold == fold)
			return &x->slots[i];
	}
}

/* The held item of fold or NULL. */
static struct _hdr *_held(const struct nbr_counts *x, uint32_t fold)
{
	uint32_t v = fold ? *_find(x, fold) : 0;
	return v ? _at(x, v - 1) : NULL;
}

/* The index of fold's item, added when new (the dense array grows by
 * doubling: pointers into it are stale after this); -1: refused. */
static int64_t _item(struct nbr_counts *x, uint32_t fold)
{
	uint32_t *slot = _find(x, fold);
	if (*slot)
		return *slot - 1;
	if (x->n >= x->max_items)
		return -1;
	if (x->n == x->items_cap) {
		uint32_t want = x->items_cap ? 2 * x->items_cap : 64;
		want = want < x->max_items ? want : x->max_items;
		unsigned char *g = realloc(x->items, (size_t)want * x->stride);
		if (!g)
			return -1;
		x->items = g;
		x->items_cap = want;
	}
	struct _hdr *h = _at(x, x->n);
	memset(h, 0, x->stride);
	h->fold = fold;
	*slot = ++x->n;
	return x->n - 1;
}

static void _mark(struct nbr_counts *x, uint32_t i, double w)
{
	struct _hdr *h = _at(x, i);
	h->wlast = w;
	if (!h->dirty) {
		h->dirty = 1;
		x->dirty[x->n_dirty++] = i;
	}
}

/* Space-saving: adds w to a's counter of b. The search for b is a
 * branch-free scan; the smallest counter is looked for only when b is new
 * and every counter is taken. */
static void _pair(struct nbr_counts *x, struct _hdr *a, uint32_t b, double w)
{
	uint32_t *f = _folds(a);
	double *c = _counts(x, a);
	unsigned n = a->ncand, at = n;
	for (unsigned i = 0; i < n; i++)
		at = f[i] == b ? i : at;
	if (at < n) {
		c[at] += w;
		return;
	}
	if (n < x->prm.candidates) {
		f[n] = b;
		c[n] = w;
		a->ncand++;
		return;
	}
	unsigned low = 0;
	for (unsigned i = 1; i < n; i++)
		low = c[i] < c[low] ? i : low;
	f[low] = b;
	c[low] += w;
}

/* Multiplies every value by 2^-_RESCALE_BITS and moves t0 accordingly. */
static void _rescale(struct nbr_counts *x)
{
	const double s = ldexp(1.0, -_RESCALE_BITS);
	for (uint32_t i = 0; i < x->n; i++) {
		struct _hdr *h = _at(x, i);
		h->mass *= s;
		h->wlast *= s;
		double *c = _counts(x, h);
		for (unsigned k = 0; k < h->ncand; k++)
			c[k] *= s;
	}
	x->t0_ms += _RESCALE_BITS / x->inv_half_ms;
}

/* w(t), rescaling first when it would grow past 2^_RESCALE_BITS. */
static double _weight(struct nbr_counts *x, int64_t t_ms)
{
	if (x->inv_half_ms == 0)
		return 1.0;
	if (!x->have_t0) {
		x->t0_ms = (double)t_ms;
		x->have_t0 = true;
	}
	double e = ((double)t_ms - x->t0_ms) * x->inv_half_ms;
	while (e > _RESCALE_BITS / 2) {
		_rescale(x);
		e = ((double)t_ms - x->t0_ms) * x->inv_half_ms;
	}
	return exp2(e);
}

void nbr_counts_window(struct nbr_counts *x, const uint32_t *fold, unsigned n,
    unsigned fresh, int64_t t_ms)
{
	if (fresh > n)
		fresh = n;
	if (!fresh)
		return;
	double w = _weight(x, t_ms);
	/* Indices first: adding an item may move the dense array. */
	int64_t at[LRN_SEEN];
	n = n < LRN_SEEN ? n : LRN_SEEN;
	for (unsigned i = 0; i < n; i++) {
		at[i] = fold[i] ? _item(x, fold[i]) : -1;
		x->refused += fold[i] && at[i] < 0;
	}
	for (unsigned i = 0; i < fresh; i++) {
		if (at[i] < 0)
			continue;
		struct _hdr *a = _at(x, (uint32_t)at[i]);
		a->mass += w;
		_mark(x, (uint32_t)at[i], w);
		for (unsigned j = i + 1; j < n; j++) {
			if (at[j] < 0 || at[j] == at[i])
				continue;
			_pair(x, a, fold[j], w);
			_pair(x, _at(x, (uint32_t)at[j]), fold[i], w);
			_mark(x, (uint32_t)at[j], w);
			x->pairs++;
		}
	}
}

double nbr_counts_mass(const struct nbr_counts *x, uint32_t fold)
{
	const struct _hdr *h = _held(x, fold);
	return h ? h->mass : 0.0;
}

/* The list of held item h. */
static void _list(const struct nbr_counts *x, struct _hdr *h,
    struct nbr_list *out)
{
	double sim[NBR_CAND_MAX];
	const uint32_t *f = _folds(h);
	double *c = _counts(x, h);
	unsigned n = 0;
	uint32_t idx[NBR_CAND_MAX];
	for (unsigned i = 0; i < h->ncand; i++) {
		const struct _hdr *b = _held(x, f[i]);
		double units = h->wlast > 0 ? c[i] / h->wlast : 0.0;
		if (!b || b->mass <= 0 || h->mass <= 0 ||
		    units < x->prm.min_count || units <= 0)
			continue;
		/* Jaccard: the pair over the windows either item was in.
		 * The space-saving overestimate can pass a mass: capped. */
		double both = c[i] < h->mass && c[i] < b->mass
		    ? c[i]
		    : fmin(h->mass, b->mass);
		double s = both / (h->mass + b->mass - both) * units /
		    (units + x->prm.shrink);
		sim[n] = s > 1.0 ? 1.0 : s;
		idx[n++] = i;
	}
	memset(out, 0, sizeof(*out));
	/* Selection of the best NBR_K: n is at most NBR_CAND_MAX. */
	for (unsigned k = 0; k < NBR_K && k < n; k++) {
		unsigned best = k;
		for (unsigned i = k + 1; i < n; i++)
			if (sim[i] > sim[best] ||
			    (sim[i] == sim[best] && f[idx[i]] < f[idx[best]]))
				best = i;
		double ts = sim[k];
		uint32_t ti = idx[k];
		sim[k] = sim[best];
		idx[k] = idx[best];
		sim[best] = ts;
		idx[best] = ti;
		out->fold[k] = f[idx[k]];
		out->sim[k] = (uint16_t)lrint(sim[k] * NBR_SIM_ONE);
	}
}

bool nbr_counts_list(const struct nbr_counts *x, uint32_t fold,
    struct nbr_list *out)
{
	struct _hdr *h = _held(x, fold);
	if (!h) {
		memset(out, 0, sizeof(*out));
		return false;
	}
	_list(x, h, out);
	return true;
}

uint32_t nbr_counts_publish(struct nbr_counts *x, nbr_emit_fn emit, void *arg)
{
	uint32_t n = x->n_dirty;
	for (uint32_t i = 0; i < n; i++) {
		struct _hdr *h = _at(x, x->dirty[i]);
		struct nbr_list l;
		_list(x, h, &l);
		h->dirty = 0;
		emit(arg, h->fold, &l);
	}
	x->n_dirty = 0;
	return n;
}

const void *nbr_counts_items(const struct nbr_counts *x)
{
	return x->items;
}

/* Whether item h of bytes read back is counts this table could hold. */
static bool _item_ok(const struct nbr_counts *x, struct _hdr *h)
{
	if (!h->fold || (h->fold & ~LRN_SEEN_FOLD) ||
	    h->ncand > x->prm.candidates || !isfinite(h->mass) || h->mass < 0 ||
	    !isfinite(h->wlast) || h->wlast < 0)
		return false;
	const uint32_t *f = _folds(h);
	const double *c = _counts(x, h);
	for (unsigned i = 0; i < h->ncand; i++)
		if (!f[i] || (f[i] & ~LRN_SEEN_FOLD) || !isfinite(c[i]) ||
		    c[i] < 0)
			return false;
	return true;
}

/* Empties the table (keeps its memory). */
static void _empty(struct nbr_counts *x)
{
	memset(x->slots, 0, (size_t)x->cap * sizeof(*x->slots));
	x->n = x->n_dirty = 0;
}

int nbr_counts_restore(struct nbr_counts *x, const void *items, uint32_t n)
{
	if (x->n)
		return -EINVAL;
	if (n > x->max_items)
		return -ENOSPC;
	if (n > x->items_cap) {
		unsigned char *g = realloc(x->items, (size_t)n * x->stride);
		if (!g)
			return -ENOMEM;
		x->items = g;
		x->items_cap = n;
	}
	if (n)
		memcpy(x->items, items, (size_t)n * x->stride);
	for (uint32_t i = 0; i < n; i++) {
		struct _hdr *h = _at(x, i);
		uint32_t *slot = _item_ok(x, h) ? _find(x, h->fold) : NULL;
		if (!slot || *slot) { /* bad, or the fold twice */
			_empty(x);
			return -EINVAL;
		}
		*slot = i + 1;
		x->n = i + 1;
		h->dirty = 1;
		x->dirty[i] = i;
	}
	x->n_dirty = n;
	return 0;
}

/* --- scoring -------------------------------------------------------- */

void nbr_acc_clear(struct nbr_acc *a)
{
	for (unsigned i = 0; i < a->n; i++)
		a->slot[a->used[i]].fold = 0;
	a->n = 0;
}

static unsigned _acc_hash(uint32_t fold)
{
	return (unsigned)(((fold >> 12) * 0x9E3779B1u) >> 23) &
	    (NBR_ACC_SLOTS - 1);
}

void nbr_acc_add(struct nbr_acc *a, const struct nbr_list *l, float weight)
{
	const float scale = weight / NBR_SIM_ONE;
	for (unsigned k = 0; k < NBR_K && l->fold[k]; k++) {
		uint32_t f = l->fold[k];
		unsigned i = _acc_hash(f);
		while (a->slot[i].fold && a->slot[i].fold != f)
			i = (i + 1) & (NBR_ACC_SLOTS - 1);
		if (!a->slot[i].fold) {
			if (a->n >= NBR_ACC_SLOTS / 2)
				return; /* cannot happen: LRN_SEEN x NBR_K */
			a->slot[i].fold = f;
			a->slot[i].sum = 0.0f;
			a->used[a->n++] = (uint16_t)i;
		}
		a->slot[i].sum += scale * (float)l->sim[k];
	}
}

float nbr_acc_get(const struct nbr_acc *a, uint32_t fold)
{
	if (!a->n || !fold)
		return 0.0f;
	for (unsigned i = _acc_hash(fold);; i = (i + 1) & (NBR_ACC_SLOTS - 1)) {
		if (a->slot[i].fold == fold)
			return a->slot[i].sum;
		if (!a->slot[i].fold)
			return 0.0f;
	}
}

/* Entries of the candidate table for n candidates: at most half full. */
static size_t _csum_entries(size_t n)
{
	size_t cap = 16;
	while (cap < 2 * n)
		cap *= 2;
	return cap;
}

size_t nbr_csum_size(size_t n)
{
	return _csum_entries(n) * (sizeof(uint32_t) + sizeof(float));
}

static unsigned _csum_hash(const struct nbr_csum *s, uint32_t fold)
{
	/* Folds keep their low 12 bits clear (lrn_seen_fold). */
	return (unsigned)(((fold >> 12) * 0x9E3779B1u) >> s->shift);
}

void nbr_csum_init(struct nbr_csum *s, void *mem, const uint32_t *fold,
    size_t n, uint32_t *idx)
{
	size_t cap = _csum_entries(n);

	s->fold = mem;
	s->sum = (float *)(s->fold + cap);
	s->mask = (uint32_t)(cap - 1);
	s->shift = 32 - (unsigned)__builtin_ctzll(cap);
	memset(s->fold, 0, cap * sizeof(*s->fold));
	for (size_t i = 0; i < n; i++) {
		uint32_t f = fold[i];
		unsigned h = _csum_hash(s, f);

		while (s->fold[h] && s->fold[h] != f)
			h = (h + 1) & s->mask;
		if (!s->fold[h]) {
			s->fold[h] = f;
			s->sum[h] = 0.0f;
		}
		idx[i] = h;
	}
}

void nbr_csum_add(struct nbr_csum *s, const struct nbr_list *l, float weight)
{
	const float scale = weight / NBR_SIM_ONE;
	const uint32_t *tf = s->fold;

	for (unsigned k = 0; k < NBR_K; k++) {
		uint32_t f = l->fold[k], g;
		unsigned h = _csum_hash(s, f);

		if (!f)
			break;
		while ((g = tf[h]) != f && g)
			h = (h + 1) & s->mask;
		if (g)
			s->sum[h] += scale * (float)l->sim[k];
	}
}

bool nbr_touched(const struct lrn_seen_info *s)
{
	return s->views > 0 || s->engaged;
}

unsigned nbr_history(const struct lrn_profile *p, uint32_t *fold)
{
	unsigned n = 0;
	for (unsigned i = 0; i < LRN_SEEN; i++) {
		struct lrn_seen_info s;
		uint32_t f = lrn_seen_entry(p, i, &s);
		if (f && nbr_touched(&s))
			fold[n++] = f;
	}
	return n;
}
