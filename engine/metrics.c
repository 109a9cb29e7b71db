/*
 * metrics: recommendation quality metrics, the paired bootstrap and the MMR
 * re-ranker (contract and formulas in metrics.h). Every function is a pure
 * function of its arguments and the caller's buffers, so an evaluation run
 * twice with the same seed gives the same numbers.
 */
#include "engine/metrics.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* ---- ranking ---- */

/*
 * Whether (a, ia) ranks before (b, ib): higher score first, NaN after every
 * number, equal scores by lower index. One order for met_rank and for the
 * relevance ranks MMR reports, so they agree on ties.
 */
static bool _before(double a, unsigned ia, double b, unsigned ib)
{
	if (a > b)
		return true;
	if (a < b)
		return false;
	if (isnan(a) != isnan(b))
		return isnan(b);
	return ia < ib; /* equal, or both NaN */
}

unsigned met_rank(const double *scores, unsigned n, unsigned target)
{
	if (target >= n)
		return 0;
	assert(scores != NULL);
	double t = scores[target];
	unsigned r = 1;
	for (unsigned i = 0; i < n; i++)
		r += _before(scores[i], i, t, target);
	return r;
}

double met_hr(unsigned r, unsigned k)
{
	return r >= 1 && r <= k ? 1.0 : 0.0;
}

double met_ndcg(unsigned r, unsigned k)
{
	if (r < 1 || r > k)
		return 0.0;
	/* r + 1 in double: r = UINT_MAX must not wrap to log2(0). */
	return 1.0 / log2((double)r + 1.0);
}

double met_rr(unsigned r)
{
	return r >= 1 ? 1.0 / (double)r : 0.0;
}

double met_dcg(const double *gains, unsigned n, unsigned k)
{
	unsigned m = n < k ? n : k;
	double s = 0.0;
	for (unsigned i = 0; i < m; i++)
		s += gains[i] / log2((double)i + 2.0);
	return s;
}

double met_idcg(const double *rel_gains, unsigned m, unsigned k)
{
	unsigned top = m < k ? m : k;
	double s = 0.0;
	/*
	 * Selection instead of a sort: the caller's array stays untouched and
	 * no scratch is needed. Step i takes the largest (gain, lower index)
	 * that comes after the previous pick in that order, so equal gains
	 * are each taken once.
	 */
	double pg = INFINITY;
	unsigned pi = 0;
	for (unsigned i = 0; i < top; i++) {
		bool found = false;
		double bg = 0.0;
		unsigned bi = 0;
		for (unsigned j = 0; j < m; j++) {
			double g = rel_gains[j];
			bool after_prev =
			    i == 0 || g < pg || (g == pg && j > pi);
			if (!after_prev)
				continue;
			if (!found || g > bg || (g == bg && j < bi)) {
				found = true;
				bg = g;
				bi = j;
			}
		}
		if (!found)
			break;
		s += bg / log2((double)i + 2.0);
		pg = bg;
		pi = bi;
	}
	return s;
}

double met_ndcg_graded(const double *gains, unsigned n, const double *rel_gains,
    unsigned m, unsigned k)
{
	double ideal = met_idcg(rel_gains, m, k);
	if (!(ideal > 0.0))
		return 0.0;
	return met_dcg(gains, n, k) / ideal;
}

void met_mean_init(struct met_mean *m)
{
	memset(m, 0, sizeof *m);
}

void met_mean_add(struct met_mean *m, double x)
{
	/* Welford: no catastrophic cancellation of sum x^2 - n mean^2. */
	m->n++;
	double d = x - m->mean;
	m->mean += d / (double)m->n;
	m->m2 += d * (x - m->mean);
}

void met_mean_merge(struct met_mean *a, const struct met_mean *b)
{
	if (b->n == 0)
		return;
	if (a->n == 0) {
		*a = *b;
		return;
	}
	double na = (double)a->n, nb = (double)b->n, n = na + nb;
	double d = b->mean - a->mean;
	a->mean += d * nb / n;
	a->m2 += b->m2 + d * d * na * nb / n;
	a->n += b->n;
}

double met_mean_var(const struct met_mean *m)
{
	return m->n >= 2 ? m->m2 / (double)(m->n - 1) : 0.0;
}

double met_mean_se(const struct met_mean *m)
{
	return m->n >= 2 ? sqrt(met_mean_var(m) / (double)m->n) : 0.0;
}

/* ---- similarity ---- */

void met_sim_default(struct met_sim *s)
{
	s->w_cat = 0.5;
	s->w_tag = 0.5;
}

/*
 * A tag set ready for comparisons: the distinct non-zero ids in ascending
 * order (0 and repeats skipped, as the learner skips them, so a set is a
 * set) and a 64-bit Bloom filter of them, one bit per tag by Fibonacci
 * hashing so ids with equal low bits spread. met_mmr keeps one per
 * candidate in its scratch; the plain calls build them on the fly.
 */
static void _tagset(const struct lrn_item *it, uint64_t *mask, uint32_t *n,
    uint32_t *tags)
{
	unsigned nt = it->n_tags < LRN_ITEM_TAGS ? it->n_tags : LRN_ITEM_TAGS;
	uint64_t m = 0;
	uint32_t c = 0;
	for (unsigned i = 0; i < nt; i++) {
		uint32_t t = it->tags[i];
		if (t == 0)
			continue;
		/* Insertion into the sorted prefix; a repeat is dropped. */
		uint32_t j = c;
		while (j > 0 && tags[j - 1] > t)
			j--;
		if (j > 0 && tags[j - 1] == t)
			continue;
		for (uint32_t x = c; x > j; x--)
			tags[x] = tags[x - 1];
		tags[j] = t;
		c++;
		m |= 1ULL << ((t * 0x9e3779b1u) >> 26);
	}
	*mask = m;
	*n = c;
}

/*
 * |A n B| of two sorted distinct arrays: a merge of at most na + nb steps,
 * written without data-dependent branches (which way a merge goes is a
 * coin flip the branch predictor loses).
 */
static uint32_t _inter(const uint32_t *a, uint32_t na, const uint32_t *b,
    uint32_t nb)
{
	uint32_t i = 0, j = 0, c = 0;
	while (i < na && j < nb) {
		uint32_t x = a[i], y = b[j];
		c += x == y;
		i += x <= y;
		j += y <= x;
	}
	return c;
}

/* The one place J is computed, so met_mmr and met_item_sim agree to the
 * bit. Masks that do not meet mean no common tag (most pairs in a
 * catalog), and J = 0 without the merge; a common bit may be a collision,
 * so the merge decides. */
static double _jaccard(uint64_t ma, uint32_t na, const uint32_t *ta,
    uint64_t mb, uint32_t nb, const uint32_t *tb)
{
	if ((ma & mb) == 0)
		return 0.0; /* also when either set is empty */
	uint32_t inter = _inter(ta, na, tb, nb);
	return (double)inter / (double)(na + nb - inter);
}

static double _sim(const struct met_sim *s, uint32_t cat_a, uint32_t cat_b,
    double jaccard)
{
	double sim = 0.0;
	if (cat_a != 0 && cat_a == cat_b)
		sim += s->w_cat;
	return sim + s->w_tag * jaccard;
}

/* The Bloom mask alone, without building the set: cheap enough to skip
 * the set for the pairs that share nothing. */
static uint64_t _tag_mask(const struct lrn_item *it)
{
	unsigned nt = it->n_tags < LRN_ITEM_TAGS ? it->n_tags : LRN_ITEM_TAGS;
	uint64_t m = 0;
	for (unsigned i = 0; i < nt; i++) {
		uint32_t t = it->tags[i];
		m |= (uint64_t)(t != 0) << ((t * 0x9e3779b1u) >> 26);
	}
	return m;
}

double met_tag_jaccard(const struct lrn_item *a, const struct lrn_item *b)
{
	if ((_tag_mask(a) & _tag_mask(b)) == 0)
		return 0.0;
	uint64_t ma, mb;
	uint32_t na, nb, ta[LRN_ITEM_TAGS], tb[LRN_ITEM_TAGS];
	_tagset(a, &ma, &na, ta);
	_tagset(b, &mb, &nb, tb);
	return _jaccard(ma, na, ta, mb, nb, tb);
}

double met_item_sim(const struct met_sim *s, const struct lrn_item *a,
    const struct lrn_item *b)
{
	return _sim(s, a->category, b->category, met_tag_jaccard(a, b));
}

double met_ild(const struct met_sim *s, const struct lrn_item *items,
    unsigned n)
{
	if (n < 2)
		return 0.0;
	double sum = 0.0;
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = i + 1; j < n; j++)
			sum += 1.0 - met_item_sim(s, &items[i], &items[j]);
	double pairs = (double)n * (double)(n - 1) / 2.0;
	return sum / pairs;
}

/* ---- exposure ---- */

int met_exposure_init(struct met_exposure *x, uint64_t *counts,
    uint32_t n_items)
{
	if (n_items == 0 || counts == NULL)
		return -EINVAL;
	memset(counts, 0, (size_t)n_items * sizeof *counts);
	x->counts = counts;
	x->n_items = n_items;
	x->lists = 0;
	x->shown = 0;
	return 0;
}

int met_exposure_add(struct met_exposure *x, const uint32_t *list, unsigned n)
{
	/* Check first, so a bad list leaves the counts as they were. */
	for (unsigned i = 0; i < n; i++)
		if (list[i] >= x->n_items)
			return -ERANGE;
	for (unsigned i = 0; i < n; i++)
		x->counts[list[i]]++;
	x->lists++;
	x->shown += n;
	return 0;
}

double met_coverage(const uint64_t *counts, uint32_t n_items)
{
	if (n_items == 0)
		return 0.0;
	uint32_t seen = 0;
	for (uint32_t i = 0; i < n_items; i++)
		seen += counts[i] > 0;
	return (double)seen / (double)n_items;
}

static int _cmp_u64(const void *pa, const void *pb)
{
	uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
	return (a > b) - (a < b);
}

double met_gini(const uint64_t *counts, uint32_t n_items, uint64_t *scratch)
{
	if (n_items == 0)
		return 0.0;
	if (scratch != counts)
		memcpy(scratch, counts, (size_t)n_items * sizeof *counts);
	qsort(scratch, n_items, sizeof *scratch, _cmp_u64);
	/*
	 * G = sum_j (2j - N - 1) x_(j) / (N C): the mean absolute difference
	 * over 2 * mean, in O(N) once sorted. The weights are summed in
	 * double: (2j - N - 1) * x overflows 64 bits long before a double
	 * loses the answer's precision.
	 */
	double num = 0.0, total = 0.0, N = (double)n_items;
	for (uint32_t j = 0; j < n_items; j++) {
		double x = (double)scratch[j];
		num += (2.0 * (double)(j + 1) - N - 1.0) * x;
		total += x;
	}
	if (total <= 0.0)
		return 0.0;
	return num / (N * total);
}

double met_entropy(const uint64_t *counts, uint32_t n_items, double *normalized)
{
	double total = 0.0;
	for (uint32_t i = 0; i < n_items; i++)
		total += (double)counts[i];
	double h = 0.0;
	if (total > 0.0) {
		for (uint32_t i = 0; i < n_items; i++) {
			if (counts[i] == 0)
				continue;
			double p = (double)counts[i] / total;
			h -= p * log2(p);
		}
		/* Rounding can leave -0 or a hair below 0 for one item. */
		if (h < 0.0)
			h = 0.0;
	}
	if (normalized != NULL) {
		if (total <= 0.0)
			*normalized = 0.0;
		else if (n_items == 1)
			*normalized = 1.0; /* as even as one item can be */
		else
			*normalized = h / log2((double)n_items);
	}
	return h;
}

int met_pop_init(struct met_pop *p, const uint64_t *counts, uint32_t n_items)
{
	if (n_items == 0 || counts == NULL)
		return -EINVAL;
	p->counts = counts;
	p->n_items = n_items;
	p->total = 0;
	for (uint32_t i = 0; i < n_items; i++)
		p->total += counts[i];
	return 0;
}

double met_self_info(const struct met_pop *p, uint32_t item)
{
	double c = item < p->n_items ? (double)p->counts[item] : 0.0;
	/* Add-one smoothing: P + N pseudo-total, so share > 0 always. */
	double share = (c + 1.0) / ((double)p->total + (double)p->n_items);
	return -log2(share);
}

double met_novelty_list(const struct met_pop *p, const uint32_t *list,
    unsigned n)
{
	if (n == 0)
		return 0.0;
	double s = 0.0;
	for (unsigned i = 0; i < n; i++)
		s += met_self_info(p, list[i]);
	return s / (double)n;
}

double met_novelty(const struct met_pop *p, const uint64_t *exposure)
{
	double s = 0.0, c = 0.0;
	for (uint32_t i = 0; i < p->n_items; i++) {
		if (exposure[i] == 0)
			continue;
		s += (double)exposure[i] * met_self_info(p, i);
		c += (double)exposure[i];
	}
	return c > 0.0 ? s / c : 0.0;
}

/* ---- paired bootstrap ---- */

void met_boot_default(struct met_boot_params *p)
{
	p->resamples = MET_BOOT_RESAMPLES;
	p->level = MET_BOOT_LEVEL;
}

static int _cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;
	return (a > b) - (a < b);
}

/* numpy's default ("linear") quantile of sorted x[0..n-1], n >= 1. */
static double _quantile(const double *x, unsigned n, double q)
{
	double h = (double)(n - 1) * q;
	double fl = floor(h);
	unsigned i = (unsigned)fl;
	if (i + 1 >= n)
		return x[n - 1];
	return x[i] + (h - fl) * (x[i + 1] - x[i]);
}

int met_bootstrap_diff(const double *a, const double *b, size_t n,
    const struct met_boot_params *prm, struct rng *r, double *scratch,
    struct met_boot_ci *out)
{
	if (n == 0 || prm->resamples == 0 || !(prm->level > 0.0) ||
	    !(prm->level < 1.0))
		return -EINVAL;
	double sum = 0.0;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(a[i]) || !isfinite(b[i]))
			return -EINVAL;
		sum += a[i] - b[i];
	}
	unsigned B = prm->resamples;
	unsigned le0 = 0;
	for (unsigned s = 0; s < B; s++) {
		double rs = 0.0;
		for (size_t i = 0; i < n; i++) {
			size_t u = (size_t)rng_below(r, n);
			rs += a[u] - b[u];
		}
		double m = rs / (double)n;
		scratch[s] = m;
		le0 += m <= 0.0;
	}
	qsort(scratch, B, sizeof *scratch, _cmp_double);
	double alpha = 1.0 - prm->level;
	out->diff = sum / (double)n;
	out->lo = _quantile(scratch, B, alpha / 2.0);
	out->hi = _quantile(scratch, B, 1.0 - alpha / 2.0);
	out->p_le0 = (double)le0 / (double)B;
	return 0;
}

/* ---- MMR ---- */

/*
 * A candidate's descriptors, made ready the first time a similarity needs
 * them: its category, its distinct non-zero tags (in first-seen order:
 * only their count in common matters) and their 64-bit Bloom filter, so
 * most pairs that share no tag are told apart by one AND.
 */
struct _mdesc {
	uint64_t mask;
	uint32_t cat;
	uint32_t nt;
	uint32_t tag[LRN_ITEM_TAGS];
};

/*
 * met_mmr's arrays, carved from the caller's slots. Positions are the
 * candidates in descending relevance (ties by lower index), so that the
 * first best score met in position order is the tie rule's winner.
 * Positions below `filled` have lr and cls set; the picks' scans read
 * them in position order and fill them as they go, so what a scan never
 * reaches costs nothing; a position's class (its descriptors) is made
 * as the position fills.
 *
 * Candidates with the same descriptors (category and tag set) have the
 * same similarity to every pick, so the running max, sum and their count
 * of picks are kept per class of equal descriptors, not per candidate:
 * a catalog's pool repeats descriptors (a genre set, a product type), and
 * a class is brought up to date once for all its members. Within a class
 * the member met first in position order wins (it has the most
 * relevance and the same penalty), so sharing changes no pick. Equal
 * descriptors in two classes (_mmr_class) change none either.
 */
#define _MMR_END UINT32_MAX /* no position: the end of a list */

/* A pick as met_mmr_dcg's catch-up reads it: its Bloom filter and
 * category side by side (most picks are passed by on those alone), and
 * its class for the rest. */
struct _mpick {
	uint64_t mask;
	uint32_t cat;
	uint32_t cls;
};

struct _mmr {
	double *lr;	   /* lambda * normalized relevance (once picked,
			    * out of the leaders' list) */
	double *ms;	   /* per class: max sim to the first upto[c] picks */
	double *ss;	   /* per class: sum of the sims to them */
	uint32_t *perm;	   /* position -> input index */
	uint32_t *cls;	   /* position -> class (once filled) */
	uint32_t *upto;	   /* per class: picks folded into ms and ss */
	struct _mdesc *d;  /* per class: its descriptors */
	uint32_t *slot;	   /* class table: class + 1, 0 free */
	struct _mpick *pk; /* the picks, in order */
	uint32_t *nx;	   /* position -> next leader */
	uint32_t *mnext;   /* position -> next of its class */
	uint32_t *ctail;   /* per class: its last member not picked
			    * (_MMR_END: none) */
	uint32_t nclass, slot_mask;
	const struct lrn_item *items;
	const struct lrn_item *const *ptrs; /* when items is NULL */
};

/* Slots of the class table for n candidates: a power of two, at least
 * twice n (so a probe sequence is short), at most 4 n. */
static size_t _mmr_slots(size_t n)
{
	size_t s = 2;

	while (s < 2 * n)
		s *= 2;
	return s;
}

/* Carves the arrays out of n slots: 112 n bytes and the class table's
 * at most 16 n fit in the slots' 128 n (the merge sort's buffer shares
 * the descriptors' room). */
static void _mmr_layout(struct _mmr *m, struct met_mmr_slot *scratch,
    unsigned n)
{
	char *at = (char *)scratch;
	size_t nn = n, slots = _mmr_slots(nn);
#define _TAKE(field, type, count)                                              \
	do {                                                                   \
		m->field = (type *)(void *)at;                                 \
		at += (size_t)(count) * sizeof(type);                          \
	} while (0)
	_TAKE(lr, double, nn);
	_TAKE(ms, double, nn);
	_TAKE(ss, double, nn);
	_TAKE(d, struct _mdesc, nn);
	_TAKE(pk, struct _mpick, nn);
	_TAKE(perm, uint32_t, nn);
	_TAKE(cls, uint32_t, nn);
	_TAKE(upto, uint32_t, nn);
	_TAKE(nx, uint32_t, nn);
	_TAKE(mnext, uint32_t, nn);
	_TAKE(ctail, uint32_t, nn);
	_TAKE(slot, uint32_t, slots);
#undef _TAKE
	assert((size_t)(at - (char *)scratch) <= nn * sizeof(*scratch));
	m->nclass = 0;
	m->slot_mask = (uint32_t)(slots - 1);
}

/*
 * perm[0..n) = the input indices by descending relevance, ties by lower
 * index: the identity when rel is already in that order (the usual case:
 * candidates come sorted), else a stable bottom-up merge sort (tmp holds
 * n entries).
 */
static void _mmr_order(const double *rel, unsigned n, bool sorted,
    uint32_t *perm, uint32_t *tmp)
{
	for (unsigned i = 0; i < n; i++)
		perm[i] = i;
	if (sorted)
		return;
	uint32_t *a = perm, *b = tmp;
	for (size_t w = 1; w < n; w *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * w) {
			size_t mid = lo + w < n ? lo + w : n;
			size_t hi = lo + 2 * w < n ? lo + 2 * w : n;
			size_t i = lo, j = mid, o = lo;
			while (i < mid && j < hi)
				b[o++] =
				    rel[a[j]] > rel[a[i]] ? a[j++] : a[i++];
			while (i < mid)
				b[o++] = a[i++];
			while (j < hi)
				b[o++] = a[j++];
		}
		uint32_t *x = a;
		a = b;
		b = x;
	}
	if (a != perm)
		memcpy(perm, a, n * sizeof(*perm));
}

typedef uint32_t _v4u __attribute__((vector_size(16)));

/* How many of the n tags of a are among b's 8 entries: b's zeros (no tag)
 * match none of a's, and each of a's distinct tags matches at most one. */
static inline __attribute__((always_inline)) uint32_t
_mdesc_common(const uint32_t *a, uint32_t n, const struct _mdesc *b)
{
	_v4u b0, b1, acc = { 0, 0, 0, 0 };

	memcpy(&b0, &b->tag[0], sizeof(b0));
	memcpy(&b1, &b->tag[4], sizeof(b1));
	for (uint32_t i = 0; i < n; i++) {
		_v4u x = { a[i], a[i], a[i], a[i] };

		acc += (_v4u)(x == b0) + (_v4u)(x == b1);
	}
	return -(acc[0] + acc[1] + acc[2] + acc[3]);
}

/* The descriptors of one item (a NULL item has none). */
static inline __attribute__((always_inline)) void
_mdesc_make(const struct lrn_item *it, struct _mdesc *d)
{
	uint64_t mask = 0;
	uint32_t c = 0;

	/* Zeros after the tags: no tag is 0, so they never match one. */
	memset(d, 0, sizeof(*d));
	if (!it)
		return;
	unsigned nt = it->n_tags < LRN_ITEM_TAGS ? it->n_tags : LRN_ITEM_TAGS;

	for (unsigned j = 0; j < nt; j++) {
		uint32_t t = it->tags[j];
		uint64_t bit = 1ULL << ((t * 0x9e3779b1u) >> 26);

		if (t == 0)
			continue;
		/* A repeat hits a bit already set; only then compare. */
		if ((mask & bit) && _mdesc_common(&t, 1, d))
			continue;
		mask |= bit;
		d->tag[c++] = t;
	}
	d->mask = mask;
	d->nt = c;
	d->cat = it->category;
}

/* Whether two descriptors hold the same category and tag set (tags
 * distinct within each, so equal counts and inclusion make equal sets).
 * Items of one kind usually list their tags in the same order: equal
 * arrays (zeros after the tags in both) settle it without the count. */
static bool _mdesc_same(const struct _mdesc *a, const struct _mdesc *b)
{
	if (a->mask != b->mask || a->cat != b->cat || a->nt != b->nt)
		return false;
	return memcmp(a->tag, b->tag, sizeof(a->tag)) == 0 ||
	    _mdesc_common(a->tag, a->nt, b) == a->nt;
}

/* The next class, its descriptors already in place: nothing folded in. */
static uint32_t _mmr_new(struct _mmr *m)
{
	uint32_t c = m->nclass++;

	m->ms[c] = 0.0;
	m->ss[c] = 0.0;
	m->upto[c] = 0;
	m->ctail[c] = _MMR_END;
	return c;
}

/*
 * Whether item it (nt tags read) holds exactly the class descriptors d's
 * tags, in d's order: then its distinct non-zero tags are d's (d's are
 * distinct and non-zero), and with the same category it is of d's class
 * without making its descriptors. Items of one kind usually list their
 * tags alike, so most members of a class are told this way.
 */
static inline __attribute__((always_inline)) bool
_mdesc_is(const struct _mdesc *d, const struct lrn_item *it, unsigned nt)
{
	if (d->nt != nt)
		return false;
	for (unsigned j = 0; j < nt; j++)
		if (it->tags[j] != d->tag[j])
			return false;
	return true;
}

/*
 * The class of position p. The table is keyed by the item as listed (its
 * category, tag count, first and last tags), which costs a few loads
 * where a key of the set itself (the Bloom filter) costs a hash per tag;
 * items of one kind list their tags alike. A class of the same category
 * is the item's when the item lists that class's tags as they are kept
 * or, failing that, when the item's descriptors (made once, in the next
 * free class's place) equal the class's. None found: the descriptors are
 * kept there as a new class (its max, sum and count at 0). Equal sets
 * listed differently can land in two classes: both then hold the same
 * max-sims and sums pick by pick (the same sims in the same order), as
 * unshared candidates would, so no pick or score changes; only the
 * sharing is lost. A pool without repeats pays a lookup per class made.
 */
static inline __attribute__((always_inline)) uint32_t _mmr_class(struct _mmr *m,
    uint32_t p)
{
	uint32_t i = m->perm[p], c = m->nclass;
	const struct lrn_item *it = m->items ? &m->items[i] : m->ptrs[i];
	struct _mdesc *d = &m->d[c];
	uint32_t cat = 0, nt = 0, t0 = 0, tl = 0;
	bool made = false;

	if (it) {
		cat = it->category;
		nt = it->n_tags < LRN_ITEM_TAGS ? it->n_tags : LRN_ITEM_TAGS;
		t0 = nt ? it->tags[0] : 0;
		tl = nt ? it->tags[nt - 1] : 0;
	}
	uint64_t h = ((uint64_t)cat << 32 ^ (uint64_t)nt << 28 ^ t0 ^
			 (uint64_t)tl << 40) *
	    0x9E3779B97F4A7C15ull;

	for (uint32_t at = (uint32_t)(h >> 32) & m->slot_mask;;
	     at = (at + 1) & m->slot_mask) {
		uint32_t e = m->slot[at];

		if (e == 0) {
			if (!made)
				_mdesc_make(it, d);
			m->slot[at] = c + 1;
			return _mmr_new(m);
		}
		const struct _mdesc *x = &m->d[e - 1];

		if (x->cat != cat)
			continue;
		if (_mdesc_is(x, it, nt))
			return e - 1;
		if (!made) {
			_mdesc_make(it, d);
			made = true;
		}
		if (_mdesc_same(x, d))
			return e - 1;
	}
}

/* J = inter / den for the counts two sets of LRN_ITEM_TAGS tags can have,
 * as the division gives it (constant folding rounds as the division
 * does); [inter][0] is 0, as _mmr_sim's den of 0 means no tags at all. */
#define _J8(i)                                                                 \
	{                                                                      \
		0.0, (i) / 1.0, (i) / 2.0, (i) / 3.0, (i) / 4.0, (i) / 5.0,    \
		    (i) / 6.0, (i) / 7.0, (i) / 8.0, (i) / 9.0, (i) / 10.0,    \
		    (i) / 11.0, (i) / 12.0, (i) / 13.0, (i) / 14.0,            \
		    (i) / 15.0, (i) / 16.0                                     \
	}
static const double _jtab[LRN_ITEM_TAGS + 1][2 * LRN_ITEM_TAGS + 1] = {
	_J8(0.0), _J8(1.0), _J8(2.0), _J8(3.0), _J8(4.0), _J8(5.0), _J8(6.0),
	_J8(7.0), _J8(8.0)
};
#undef _J8
_Static_assert(LRN_ITEM_TAGS == 8, "_jtab has a row per common count");

/*
 * sim of two ready descriptors with _sim's arithmetic: (0 + w_cat) + w_tag
 * J on a common category, 0 + w_tag J otherwise, J as _jaccard computes
 * it; *none when they share neither category nor tag (sim is then 0 and
 * changes no max).
 */
static double _mmr_sim(const struct met_sim *s, double wcat,
    const struct _mdesc *a, const struct _mdesc *b, bool *none)
{
	uint32_t inter = 0;
	bool cat = a->cat != 0 && a->cat == b->cat;

	if (a->mask & b->mask)
		inter = _mdesc_common(a->tag, a->nt, b);
	*none = !cat && inter == 0;
	return (cat ? wcat : 0.0) +
	    s->w_tag * _jtab[inter][a->nt + b->nt - inter];
}

/*
 * The redundancy of a candidate after t picks: its max-sim ms, or with a
 * mean share (1 - mean) ms + mean ss / t, ss the sum of its sims to the
 * picks (0 before the first pick). Both only grow as sims are folded in
 * (rounding is monotone), so with a stale ms and ss it is a lower bound.
 */
static double _mmr_red(double ms, double ss, double mean, uint32_t t)
{
	if (mean == 0.0)
		return ms;
	return (1.0 - mean) * ms + mean * (t ? ss / t : 0.0);
}

/* A score from relevance r, the redundancy's weight w and what is folded
 * in (ms, ss over t picks): met_mmr_dcg's r - w ss, the others' r - w
 * red. */
static inline __attribute__((always_inline)) double _mmr_score(bool dcg,
    double r, double w, double mean, double ms, double ss, uint32_t t)
{
	if (dcg)
		return r - w * ss;
	return r - w * _mmr_red(ms, ss, mean, t);
}

/* Similarity weights MMR and the DPP can use: not negative, and their
 * sum finite (so no one similarity is inf; a sum of many still can,
 * which _mmr_picks reports). */
static bool _sim_ok(const struct met_sim *s)
{
	return s->w_cat >= 0.0 && s->w_tag >= 0.0 && isfinite(s->w_cat) &&
	    isfinite(s->w_tag) && isfinite(s->w_cat + s->w_tag);
}

/* The range of rel[0..n) and whether it is in descending order; -EINVAL
 * when a value is not finite. */
static int _rel_range(const double *rel, unsigned n, double *lo, double *hi,
    bool *sorted)
{
	/* In locals: stores through lo and hi might alias rel, and would be
	 * redone each step. A value that is not finite only fails the
	 * call, so the loop need not stop at it. */
	double l = INFINITY, h = -INFINITY, prev = INFINITY;
	bool finite = true, desc = true;

	for (unsigned i = 0; i < n; i++) {
		double x = rel[i];

		finite &= isfinite(x);
		l = x < l ? x : l;
		h = x > h ? x : h;
		desc &= prev >= x;
		prev = x;
	}
	if (!finite)
		return -EINVAL;
	*lo = l;
	*hi = h;
	*sorted = desc;
	return 0;
}

/*
 * The weight of the summed similarity before pick t (0-based) of met_mmr_dcg,
 * in units of the relevance weight lambda (the score divided by pick t's
 * discount 1 / log2(t + 2)), as a weight mu of the mean ss / t:
 * (1 - lambda) t log2(t + 2) / pairs.
 */
static double _dcg_mu(double lambda, uint32_t t, double pairs)
{
	if (t == 0 || !(pairs > 0.0))
		return 0.0;
	return (1.0 - lambda) * (double)t * log2((double)t + 2.0) / pairs;
}

/*
 * Brings class c's ms and ss up to the first t picks, or fewer: it stops
 * as soon as its score is no better than bs (more picks can only lower
 * it). Returns the score. The score is met_mmr_dcg's r - w ss (w its
 * weight of the sum at pick t, worked out once a pick, so no division a
 * candidate) or the others' r - w red (w = 1 - lambda); it moves only
 * when a sim adds to the sum, or with the max alone, when it raises the
 * max.
 */
static inline __attribute__((always_inline)) double
_mmr_catch_up(struct _mmr *m, const struct met_sim *s, double wcat, uint32_t c,
    uint32_t t, double r, bool dcg, double w, double mean, double bs)
{
	const struct _mdesc *a = &m->d[c];
	double ms = m->ms[c], ss = m->ss[c];
	double sc = _mmr_score(dcg, r, w, mean, ms, ss, t);
	uint32_t j = m->upto[c];
	uint32_t cat = a->cat, nt = a->nt;
	uint64_t mask = a->mask;
	double wtag = s->w_tag;

	while (j < t) {
		const struct _mpick *b = &m->pk[j++];
		uint64_t bits = mask & b->mask;

		/* Most picks share neither category nor a Bloom bit (a
		 * category of 0 on both is no common one, but rare enough
		 * to be told apart after). For the rest, _mmr_sim's
		 * arithmetic, with what is known so far: a pick that shares
		 * neither category nor a tag (none) adds nothing. */
		if (cat != b->cat && !bits)
			continue;
		bool same = cat != 0 && cat == b->cat;

		if (!same && !bits)
			continue;
		const struct _mdesc *bd = &m->d[b->cls];
		uint32_t inter = bits ? _mdesc_common(a->tag, nt, bd) : 0;

		if (!same && inter == 0)
			continue;
		double sm = (same ? wcat : 0.0) +
		    wtag * _jtab[inter][nt + bd->nt - inter];

		ss += sm;
		if (!dcg && mean == 0.0 && !(sm > ms))
			continue;
		ms = sm > ms ? sm : ms;
		sc = _mmr_score(dcg, r, w, mean, ms, ss, t);
		if (!(sc > bs))
			break;
	}
	m->ms[c] = ms;
	m->ss[c] = ss;
	m->upto[c] = j;
	return sc;
}

/* The score of relevance r in class c at pick t: the redundancy caught
 * up first when the cheap bound (what is folded in so far) could still
 * beat bs. */
static inline __attribute__((always_inline)) double
_mmr_cls_score(struct _mmr *m, const struct met_sim *s, double wcat, uint32_t c,
    uint32_t t, double r, bool dcg, double w, double mean, double bs)
{
	double sc = _mmr_score(dcg, r, w, mean, m->ms[c], m->ss[c], t);
	if (sc > bs && m->upto[c] < t)
		sc = _mmr_catch_up(m, s, wcat, c, t, r, dcg, w, mean, bs);
	return sc;
}

/*
 * The picks of every variant, the similarity tracked (dcg: met_mmr_dcg's
 * score, else mean the share of the mean). Each pick scans in position
 * order and takes the first strictly better score: the higher relevance,
 * then the lower index. A score is at most lambda * rn (the penalty is
 * >= 0, rounding is monotone) and rn does not grow along the positions:
 * once lambda * rn is no better than the best so far, nothing after it
 * can win. ms and ss only grow as picks are made, so stale ones bound a
 * score from above: a candidate whose bound is no better than the best
 * so far is passed by without bringing them up to date.
 *
 * Of the members of a class only the first not yet picked in position
 * order (its leader) can win: the penalty is a function of the class's
 * ms and ss and of t alone, so the others have the same penalty (the
 * same -inf or NaN when it is one), no more relevance, and lose ties on
 * position. So a scan walks the leaders alone, kept in a list in
 * position order (nx, from `first`), each class's other filled members
 * chained behind it (mnext) to take its place when it is picked; a pool
 * that repeats descriptors is scanned a class at a time. Positions past
 * `filled` join as the scan reaches them, their class made then. What
 * wins, and every score, is what the scan over all positions finds (the
 * tie rule is position order in both).
 */
static inline __attribute__((always_inline)) int _mmr_picks(struct _mmr *m,
    const double *rel, double lo, double div, unsigned n, unsigned k,
    double lambda, bool dcg, double mean, double pairs, const struct met_sim *s,
    double wcat, uint32_t *order, struct met_mmr_why *why)
{
	uint32_t first = _MMR_END, tail = _MMR_END;
	unsigned filled = 0;

	for (unsigned t = 0; t < k; t++) {
		double w = 1.0 - lambda;
		if (dcg) {
			double mu = _dcg_mu(lambda, t, pairs);
			w = t ? mu / t : 0.0;
		}
		double bs = -INFINITY;
		uint32_t best = _MMR_END, bprev = _MMR_END, prev = _MMR_END;

		for (uint32_t p = first; p != _MMR_END;
		     prev = p, p = m->nx[p]) {
			double r = m->lr[p];
			if (r <= bs)
				goto picked;
			uint32_t c = m->cls[p];
			double sc = _mmr_cls_score(m, s, wcat, c, t, r, dcg, w,
			    mean, bs);
			if (!(sc > bs))
				continue;
			bs = sc;
			best = p;
			bprev = prev;
		}
		while (filled < n) {
			uint32_t p = filled;
			double r = lambda * ((rel[m->perm[p]] - lo) / div);
			if (r <= bs)
				break; /* p stays unfilled */
			filled++;
			m->lr[p] = r;
			uint32_t c = m->cls[p] = _mmr_class(m, p);
			m->mnext[p] = _MMR_END;
			if (m->ctail[c] != _MMR_END) {
				/* Behind its leader: it cannot win. */
				m->mnext[m->ctail[c]] = p;
				m->ctail[c] = p;
				continue;
			}
			m->ctail[c] = p;
			m->nx[p] = _MMR_END;
			if (tail == _MMR_END)
				first = p;
			else
				m->nx[tail] = p;
			prev = tail;
			tail = p;
			double sc = _mmr_cls_score(m, s, wcat, c, t, r, dcg, w,
			    mean, bs);
			if (!(sc > bs))
				continue;
			bs = sc;
			best = p;
			bprev = prev;
		}
	picked:
		/* No winner only when every score is -inf or NaN: a summed
		 * similarity overflowed (weights near DBL_MAX; met_mmr's max
		 * alone cannot). Such weights pass the checks, so debug
		 * builds stop here and others return -ERANGE. */
		assert(best != _MMR_END);
		if (best == _MMR_END)
			return -ERANGE;
		uint32_t c = m->cls[best];
		order[t] = m->perm[best];
		if (why != NULL) {
			/* Positions are the relevance ranks (met_rank's
			 * order: ties by lower index). */
			why[t].rel_rank = best + 1;
			why[t].moved = (int32_t)best - (int32_t)t;
			why[t].max_sim = m->ms[c];
			why[t].score = bs;
		}
		m->pk[t] = (struct _mpick){ .mask = m->d[c].mask,
			.cat = m->d[c].cat,
			.cls = c };
		/* Out of the list; the next member of its class, if filled,
		 * leads it from its place in position order. */
		uint32_t x = bprev, y = m->nx[best], q = m->mnext[best];
		if (x == _MMR_END)
			first = y;
		else
			m->nx[x] = y;
		if (tail == best)
			tail = x;
		if (q == _MMR_END) {
			m->ctail[c] = _MMR_END;
			continue;
		}
		while (y != _MMR_END && y < q) {
			x = y;
			y = m->nx[y];
		}
		m->nx[q] = y;
		if (x == _MMR_END)
			first = q;
		else
			m->nx[x] = q;
		if (y == _MMR_END)
			tail = q;
	}
	return (int)k;
}

static int _mmr_run(const double *rel, const struct lrn_item *items,
    const struct lrn_item *const *ptrs, unsigned n, unsigned k, double lambda,
    double mean, bool dcg, const struct met_sim *s,
    struct met_mmr_slot *scratch, uint32_t *order, struct met_mmr_why *why)
{
	/* Negative weights would make "max over nothing = 0" a lie; a sum
	 * that overflows would make a score -inf or NaN. */
	if (!(lambda >= 0.0 && lambda <= 1.0) ||
	    !(mean >= 0.0 && mean <= 1.0) || !_sim_ok(s) || n > MET_MMR_MAX_N)
		return -EINVAL;
	double lo, hi;
	bool sorted;
	if (_rel_range(rel, n, &lo, &hi, &sorted))
		return -EINVAL;
	if (dcg && n && lo < 0.0)
		return -EINVAL;
	if (k > n)
		k = n;
	if (k == 0)
		return 0;
	/* All equal: no relevance signal, rn = 0 for all. Division (not a
	 * reciprocal) so the most relevant gets rn = 1 exactly. With dcg,
	 * relevance is the share of the total above the least score
	 * instead (0 for all when that total is 0), and the redundancy the
	 * summed similarity. */
	double span = hi - lo;
	if (!isfinite(span))
		return -ERANGE;
	double div = span > 0.0 ? span : 1.0;
	double pairs = (double)k * (double)(k - 1) / 2.0;
	if (dcg) {
		double sum = 0.0;
		for (unsigned i = 0; i < n; i++)
			sum += rel[i] - lo;
		if (!isfinite(sum))
			return -ERANGE;
		div = sum > 0.0 ? sum : 1.0;
	}
	double mu = 1.0 - lambda;
	/* lambda = 1 needs no similarity at all unless asked why. */
	bool track = mu > 0.0 || why != NULL;
	double wcat = 0.0 + s->w_cat;
	struct _mmr m;
	_mmr_layout(&m, scratch, n);
	m.items = items;
	m.ptrs = ptrs;
	_mmr_order(rel, n, sorted, m.perm, (uint32_t *)(void *)m.d);

	if (!track) {
		/* No penalty, no why: the relevance order. */
		memcpy(order, m.perm, k * sizeof(*order));
		return (int)k;
	}
	memset(m.slot, 0, ((size_t)m.slot_mask + 1) * sizeof(*m.slot));
	/* One scan, built for each score (the max alone, a share of the
	 * mean, the sum weighted by position). */
	if (dcg)
		return _mmr_picks(&m, rel, lo, div, n, k, lambda, true, 0.0,
		    pairs, s, wcat, order, why);
	if (mean == 0.0)
		return _mmr_picks(&m, rel, lo, div, n, k, lambda, false, 0.0,
		    pairs, s, wcat, order, why);
	return _mmr_picks(&m, rel, lo, div, n, k, lambda, false, mean, pairs, s,
	    wcat, order, why);
}

int met_mmr(const double *rel, const struct lrn_item *items, unsigned n,
    unsigned k, double lambda, const struct met_sim *s,
    struct met_mmr_slot *scratch, uint32_t *order, struct met_mmr_why *why)
{
	return _mmr_run(rel, items, NULL, n, k, lambda, 0.0, false, s, scratch,
	    order, why);
}

int met_mmr_mean(const double *rel, const struct lrn_item *const *items,
    unsigned n, unsigned k, double lambda, double mean, const struct met_sim *s,
    struct met_mmr_slot *scratch, uint32_t *order, struct met_mmr_why *why)
{
	return _mmr_run(rel, NULL, items, n, k, lambda, mean, false, s, scratch,
	    order, why);
}

int met_mmr_dcg(const double *rel, const struct lrn_item *const *items,
    unsigned n, unsigned k, double lambda, const struct met_sim *s,
    struct met_mmr_slot *scratch, uint32_t *order, struct met_mmr_why *why)
{
	return _mmr_run(rel, NULL, items, n, k, lambda, 1.0, true, s, scratch,
	    order, why);
}

/* ---- DPP ---- */

/*
 * met_dpp's arrays, carved from the caller's scratch, indexed by position
 * (descending relevance, ties by lower index, as in MMR). Positions below
 * `filled` have their quality, descriptors and state set, and a free one
 * its first upto[p] columns against the factor: c_p[0..upto) and d_p^2 =
 * S_pp minus their squares. Folding in more columns only lowers d_p^2, so
 * a candidate not up to date has an upper bound of its gain, and a scan
 * brings it up to date only while it could still win: what never could
 * costs nothing. Row p of c holds w doubles; for a pick in the window it
 * is its row of the Cholesky factor V of S over the window's picks (0
 * past its diagonal).
 */
struct _dpp {
	double *c;	  /* n x w */
	double *d2;	  /* S_pp - |c_p[0..upto)|^2 */
	double *q2;	  /* q_p^2 */
	struct _mdesc *d; /* descriptors */
	uint32_t *perm;	  /* position -> input index */
	uint32_t *upto;	  /* columns of c_p folded in */
	double *inv;	  /* 1 / V_xx of the window's rows */
	double *rot;	  /* a drop's rotations: cosines, then sines */
	uint32_t *win;	  /* positions of the window's picks, oldest first */
	uint8_t *state;	  /* _DPP_FREE, _DPP_WIN or _DPP_OUT */
	const struct met_sim *s;
	double wcat; /* 0 + w_cat, as _mmr_sim takes it */
	double diag; /* S_pp */
	unsigned w;  /* columns of c */
	unsigned t;  /* picks in the window: columns of the factor */
};

#define _DPP_FREE 0 /* not picked */
#define _DPP_WIN 1  /* picked, in the window */
#define _DPP_OUT 2  /* picked, out of the window or the last pick */

/* Scratch bytes: the doubles first, then the descriptors (8-byte
 * aligned), then the 4- and 1-byte arrays. */
static uint64_t _dpp_bytes(uint64_t n, uint64_t w)
{
	return n * (8 * w + 8 + 8 + sizeof(struct _mdesc) + 4 + 4 + 1) + 28 * w;
}

size_t met_dpp_scratch_size(unsigned n, unsigned w)
{
	if (n == 0 || n > MET_DPP_MAX_N || w > n)
		return 0;
	uint64_t b = _dpp_bytes(n, w);
	return b > SIZE_MAX ? 0 : (size_t)b;
}

static void _dpp_layout(struct _dpp *m, void *scratch, size_t n, size_t w)
{
	char *at = (char *)scratch;
#define _TAKE(field, type, count)                                              \
	do {                                                                   \
		m->field = (type *)(void *)at;                                 \
		at += (size_t)(count) * sizeof(type);                          \
	} while (0)
	_TAKE(c, double, n *w);
	_TAKE(d2, double, n);
	_TAKE(q2, double, n);
	_TAKE(d, struct _mdesc, n);
	_TAKE(inv, double, w);
	_TAKE(rot, double, 2 * w);
	_TAKE(perm, uint32_t, n);
	_TAKE(upto, uint32_t, n);
	_TAKE(win, uint32_t, w);
	_TAKE(state, uint8_t, n);
#undef _TAKE
	assert((uint64_t)(at - (char *)scratch) == _dpp_bytes(n, w));
}

/*
 * Folds columns upto[p]..t-1 into candidate p, column x against the
 * window pick j of row V_x: e = (S_jp - V_x[0..x) . c_p[0..x)) / V_xx,
 * which leaves d_p^2. Stops as soon as the gain q_p^2 d_p^2 is no better
 * than bs (more columns only lower it). Returns the gain.
 */
static double _dpp_catch_up(struct _dpp *m, uint32_t p, double bs)
{
	const size_t w = m->w;
	const unsigned t = m->t;
	const struct _mdesc *dp = &m->d[p];
	double *cp = &m->c[p * w];
	double d2 = m->d2[p], q2 = m->q2[p];
	unsigned x = m->upto[p];

	while (x < t && q2 * d2 > bs) {
		uint32_t j = m->win[x];
		const double *row = &m->c[j * w];
		bool none;
		double sim = _mmr_sim(m->s, m->wcat, &m->d[j], dp, &none);
		/* Two sums, so the products need not wait on each other. */
		double dot0 = 0.0, dot1 = 0.0;
		unsigned y = 0;

		for (; y + 1 < x; y += 2) {
			dot0 += row[y] * cp[y];
			dot1 += row[y + 1] * cp[y + 1];
		}
		if (y < x)
			dot0 += row[y] * cp[y];
		double e = (sim - (dot0 + dot1)) * m->inv[x];

		cp[x++] = e;
		d2 -= e * e;
	}
	m->d2[p] = d2;
	m->upto[p] = x;
	return q2 * d2;
}

/* The rotation (cs, sn) of columns r and r + 1 of row v. */
static void _dpp_turn(double *v, unsigned r, double cs, double sn)
{
	double u0 = v[r], u1 = v[r + 1];

	v[r] = cs * u0 + sn * u1;
	v[r + 1] = cs * u1 - sn * u0;
}

/*
 * Takes the oldest of the t window picks out of the factor, for the free
 * candidates at positions lo..hi-1. Rows 1..t-1 of V, U, are lower
 * triangular plus one superdiagonal, and U U^T is S over the remaining
 * picks. Rotation r (r = 0..t-2) turns columns r and r + 1 so that row r
 * of U ends at column r with a positive diagonal; rows above it are 0 in
 * both columns. After them U Q = [V' 0], V' the factor without the oldest
 * pick, and for a candidate S over the remaining picks is U c_p = [V' 0]
 * Q^T c_p: its new row is the first t - 1 entries of Q^T c_p, and the
 * last one, dropped from |c_p|^2, goes back to d_p^2. A candidate not up
 * to date starts over (no columns; it is caught up when needed).
 */
static void _dpp_drop_oldest(struct _dpp *m, unsigned lo, unsigned hi)
{
	unsigned t = m->t, w = m->w;
	double *cs = m->rot, *sn = m->rot + w;

	m->state[m->win[0]] = _DPP_OUT;
	for (unsigned x = 1; x < t; x++)
		m->win[x - 1] = m->win[x];
	m->t = --t;
	for (unsigned r = 0; r < t; r++) {
		double *row = &m->c[(size_t)m->win[r] * w];
		double x = row[r], y = row[r + 1];
		/* y is the row's diagonal, not turned yet: > 0. Entries are
		 * at most sqrt(S_pp) in size: no overflow. */
		double h = sqrt(x * x + y * y);

		cs[r] = x / h;
		sn[r] = y / h;
		row[r] = h;
		row[r + 1] = 0.0;
		m->inv[r] = 1.0 / h;
		for (unsigned x2 = r + 1; x2 < t; x2++)
			_dpp_turn(&m->c[(size_t)m->win[x2] * w], r, cs[r],
			    sn[r]);
	}
	for (unsigned x = 0; x < t; x++)
		m->c[(size_t)m->win[x] * w + t] = 0.0;
	for (unsigned p = lo; p < hi; p++) {
		if (m->state[p] != _DPP_FREE)
			continue;
		if (m->upto[p] <= t) {
			/* Not up to date: starts over. */
			m->upto[p] = 0;
			m->d2[p] = m->diag;
			continue;
		}
		double *v = &m->c[(size_t)p * w];

		for (unsigned r = 0; r < t; r++)
			_dpp_turn(v, r, cs[r], sn[r]);
		m->d2[p] += v[t] * v[t];
		m->upto[p] = t;
	}
}

int met_dpp(const double *rel, const struct lrn_item *const *items, unsigned n,
    unsigned k, double theta, unsigned window, const struct met_sim *s,
    void *scratch, size_t scratch_size, uint32_t *order)
{
	if (!(theta >= 0.0 && theta <= 1.0) || window == 0 || !s ||
	    !_sim_ok(s) || n > MET_DPP_MAX_N || !scratch)
		return -EINVAL;
	double lo, hi;
	bool sorted;
	if (_rel_range(rel, n, &lo, &hi, &sorted))
		return -EINVAL;
	if (k > n)
		k = n;
	if (k == 0)
		return 0;
	unsigned w = window < k ? window : k;
	if (scratch_size < met_dpp_scratch_size(n, w))
		return -ENOSPC;
	double span = hi - lo;
	if (!isfinite(span))
		return -ERANGE;
	double div = span > 0.0 ? span : 1.0;
	struct _dpp m = { .s = s,
		.wcat = 0.0 + s->w_cat,
		.diag = s->w_cat + s->w_tag + MET_DPP_RIDGE,
		.w = w };
	_dpp_layout(&m, scratch, n, w);
	_mmr_order(rel, n, sorted, m.perm, (uint32_t *)(void *)m.d);
	if (theta == 1.0) {
		/* Relevance alone: the order is the ranking. */
		for (unsigned t = 0; t < k; t++)
			order[t] = m.perm[t];
		return (int)k;
	}

	/* q^2 relative to the most relevant's: at most 1, no overflow near
	 * theta = 1; an underflow to 0 ties by relevance, the limit. */
	double a = theta / (1.0 - theta);
	unsigned head = 0;   /* positions before it are all picked */
	unsigned filled = 0; /* positions with their state set */
	bool spanned = false;
	for (unsigned pick = 0; pick < k; pick++) {
		uint32_t best = UINT32_MAX;
		double bs = -1.0;

		while (head < filled && m.state[head] != _DPP_FREE)
			head++;
		/*
		 * The first strictly better gain wins: in position order,
		 * the higher relevance, then the lower index. A gain is at
		 * most q_p^2 S_pp, and q_p^2 does not grow along the
		 * positions: once q_p^2 S_pp is no better than the best so
		 * far, nothing after it can win. A candidate whose bound
		 * q_p^2 d_p^2 is no better is passed by as it is.
		 */
		for (unsigned p = head; p < n && !spanned; p++) {
			if (p == filled) {
				uint32_t i = m.perm[p];

				m.q2[p] = exp(a * ((rel[i] - lo) / div - 1.0));
				m.d2[p] = m.diag;
				m.upto[p] = 0;
				m.state[p] = _DPP_FREE;
				_mdesc_make(items ? items[i] : NULL, &m.d[p]);
				filled++;
			}
			if (!(m.q2[p] * m.diag > bs))
				break;
			if (m.state[p] != _DPP_FREE ||
			    !(m.q2[p] * m.d2[p] > bs))
				continue;
			double g = _dpp_catch_up(&m, p, bs);

			if (g > bs && m.d2[p] >= MET_DPP_TOL) {
				bs = g;
				best = p;
			}
		}
		if (best == UINT32_MAX) {
			/* The picks span every candidate left (or an
			 * earlier pick found so): the rest by relevance. */
			spanned = true;
			best = head;
			if (head == filled)
				m.state[filled++] = _DPP_FREE;
		}
		order[pick] = m.perm[best];
		m.state[best] = _DPP_OUT;
		if (spanned || pick + 1 == k)
			continue;
		/* Still free while the oldest pick leaves: its row turns
		 * with the others'. */
		if (m.t == w) {
			m.state[best] = _DPP_FREE;
			_dpp_drop_oldest(&m, head, filled);
		}
		/* The pick's row of the factor: [c_j, d_j, 0...]. */
		double *cj = &m.c[(size_t)best * w];

		cj[m.t] = sqrt(m.d2[best]);
		m.inv[m.t] = 1.0 / cj[m.t];
		for (unsigned x = m.t + 1; x < w; x++)
			cj[x] = 0.0;
		m.state[best] = _DPP_WIN;
		m.win[m.t++] = best;
	}
	return (int)k;
}

/* ---- CTR by position ---- */

void met_ctr_init(struct met_ctr *c)
{
	memset(c, 0, sizeof *c);
}

static unsigned _ctr_slot(unsigned pos)
{
	return (pos < MET_CTR_POS ? pos : MET_CTR_POS) - 1;
}

int met_ctr_add(struct met_ctr *c, unsigned pos, int clicked)
{
	if (pos == 0)
		return -EINVAL;
	unsigned i = _ctr_slot(pos);
	c->shown[i]++;
	c->clicked[i] += clicked != 0;
	return 0;
}

int met_ctr_click(struct met_ctr *c, unsigned pos)
{
	if (pos == 0)
		return -EINVAL;
	c->clicked[_ctr_slot(pos)]++;
	return 0;
}

double met_ctr_rate(const struct met_ctr *c, unsigned pos)
{
	if (pos == 0)
		return 0.0;
	unsigned i = _ctr_slot(pos);
	return c->shown[i] > 0 ? (double)c->clicked[i] / (double)c->shown[i]
			       : 0.0;
}

void met_ctr_merge(struct met_ctr *a, const struct met_ctr *b)
{
	for (unsigned i = 0; i < MET_CTR_POS; i++) {
		a->shown[i] += b->shown[i];
		a->clicked[i] += b->clicked[i];
	}
}
