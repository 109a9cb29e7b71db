/*
 * evalcore: the evaluation protocol (contract in evalcore.h). Hash tables
 * are open addressing with linear probing at load at most 1/2; keys are
 * mixed by splitmix64 first, so sequential or crafted ids spread as well
 * as hashed ones.
 */
#include "tools/evalcore.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/geo.h"

/* --- keys to dense indices -------------------------------------------- */

static uint64_t _mix(uint64_t x)
{
	return rng_mix64(&x);
}

static int _index_grow(struct ec_index *x)
{
	uint32_t cap = x->cap ? x->cap * 2 : 1024;
	uint32_t *s = calloc(cap, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (uint32_t i = 0; i < x->n; i++) {
		uint32_t at = (uint32_t)_mix(x->keys[i]) & (cap - 1);
		while (s[at])
			at = (at + 1) & (cap - 1);
		s[at] = i + 1;
	}
	free(x->slots);
	x->slots = s;
	x->cap = cap;
	return 0;
}

int64_t ec_index_find(const struct ec_index *x, uint64_t key)
{
	if (!x->cap)
		return -1;
	for (uint32_t at = (uint32_t)_mix(key) & (x->cap - 1); x->slots[at];
	     at = (at + 1) & (x->cap - 1))
		if (x->keys[x->slots[at] - 1] == key)
			return x->slots[at] - 1;
	return -1;
}

int ec_index_add(struct ec_index *x, uint64_t key, uint32_t *out)
{
	int64_t i = ec_index_find(x, key);
	if (i >= 0) {
		*out = (uint32_t)i;
		return 0;
	}
	if (x->n >= (1u << 31))
		return -E2BIG;
	if (2 * (x->n + 1) > x->cap && _index_grow(x))
		return -ENOMEM;
	if (x->n == x->kcap) {
		uint32_t c = x->kcap ? x->kcap * 2 : 1024;
		uint64_t *k = realloc(x->keys, c * sizeof(*k));
		if (!k)
			return -ENOMEM;
		x->keys = k;
		x->kcap = c;
	}
	uint32_t at = (uint32_t)_mix(key) & (x->cap - 1);
	while (x->slots[at])
		at = (at + 1) & (x->cap - 1);
	x->keys[x->n] = key;
	x->slots[at] = ++x->n;
	*out = x->n - 1;
	return 0;
}

void ec_index_free(struct ec_index *x)
{
	free(x->keys);
	free(x->slots);
	memset(x, 0, sizeof(*x));
}

/* --- touched pairs ---------------------------------------------------- */

static uint64_t _pair(uint32_t user, uint32_t item)
{
	return (uint64_t)(user + 1) << 32 | item; /* never 0 */
}

/* The same set holds the pairs with a positive, flagged by the top bit
 * (users are far fewer than 2^31). */
#define _ACTED (1ULL << 63)

static int _pairs_grow(struct ec_plan *pl)
{
	size_t cap = pl->pcap ? pl->pcap * 2 : 4096;
	uint64_t *s = calloc(cap, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < pl->pcap; i++) {
		if (!pl->pairs[i])
			continue;
		size_t at = _mix(pl->pairs[i]) & (cap - 1);
		while (s[at])
			at = (at + 1) & (cap - 1);
		s[at] = pl->pairs[i];
	}
	free(pl->pairs);
	pl->pairs = s;
	pl->pcap = cap;
	return 0;
}

/* 1 added, 0 already there, -ENOMEM. */
static int _pairs_add(struct ec_plan *pl, uint64_t v)
{
	if (2 * (pl->npairs + 1) > pl->pcap && _pairs_grow(pl))
		return -ENOMEM;
	size_t at = _mix(v) & (pl->pcap - 1);
	for (; pl->pairs[at]; at = (at + 1) & (pl->pcap - 1))
		if (pl->pairs[at] == v)
			return 0;
	pl->pairs[at] = v;
	pl->npairs++;
	return 1;
}

bool ec_plan_touched(const struct ec_plan *pl, uint32_t user, uint32_t item)
{
	if (!pl->pcap)
		return false;
	uint64_t v = _pair(user, item);
	for (size_t at = _mix(v) & (pl->pcap - 1); pl->pairs[at];
	     at = (at + 1) & (pl->pcap - 1))
		if (pl->pairs[at] == v)
			return true;
	return false;
}

/* --- the plan --------------------------------------------------------- */

bool ec_touches(const struct evt_record *e)
{
	return e->entity_key && e->type != EVT_IMPRESSION &&
	    e->type != EVT_SEARCH && !(e->flags & EVT_F_DNT);
}

bool ec_positive(const struct lrn_params *lp, const struct evt_record *e)
{
	return ec_touches(e) && e->type != EVT_VIEW && lrn_signal(lp, e) > 0;
}

/* Per user: the last two new positives (stream positions + 1, 0 none). */
struct _last2 {
	size_t last, prev;
};

static int _build_pool(struct ec_plan *pl, const uint64_t *catalog,
    size_t n_catalog, const uint8_t *touched_item, size_t ticap)
{
	size_t cap = n_catalog ? n_catalog : pl->items.n;
	pl->pool = malloc((cap ? cap : 1) * sizeof(*pl->pool));
	uint8_t *in = calloc(pl->items.n + n_catalog + 1, 1);
	if (!pl->pool || !in) {
		free(in);
		return -ENOMEM;
	}
	if (n_catalog) {
		for (size_t i = 0; i < n_catalog; i++) {
			uint32_t it;
			if (ec_index_add(&pl->items, catalog[i], &it)) {
				free(in);
				return -ENOMEM;
			}
			if (!in[it]) {
				in[it] = 1;
				pl->pool[pl->n_pool++] = it;
			}
		}
	} else {
		/* touched items in order of first appearance */
		for (size_t i = 0; i < pl->n; i++) {
			uint32_t it = pl->ev_item[i];
			if (it < ticap && touched_item[it] && !in[it]) {
				in[it] = 1;
				pl->pool[pl->n_pool++] = it;
			}
		}
	}
	for (size_t i = 0; i < pl->pcap; i++)
		if (pl->pairs[i] && !(pl->pairs[i] & _ACTED) &&
		    in[(uint32_t)pl->pairs[i]])
			pl->pool_touched[(pl->pairs[i] >> 32) - 1]++;
	free(in);
	pl->mark = calloc(pl->n_pool + 1, sizeof(*pl->mark));
	pl->scratch = malloc((pl->n_pool + 1) * sizeof(*pl->scratch));
	return pl->mark && pl->scratch ? 0 : -ENOMEM;
}

int ec_plan_build(struct ec_plan *pl, const struct lrn_params *lp,
    ec_event_fn ev, const void *arg, size_t n, const uint64_t *catalog,
    size_t n_catalog, bool viewed_targets)
{
	memset(pl, 0, sizeof(*pl));
	pl->n = n;
	size_t m = n ? n : 1;
	pl->ev_user = malloc(m * sizeof(*pl->ev_user));
	pl->ev_item = malloc(m * sizeof(*pl->ev_item));
	pl->split = calloc(m, 1);
	if (!pl->ev_user || !pl->ev_item || !pl->split)
		return -ENOMEM;
	struct _last2 *l2 = NULL;
	size_t l2cap = 0;
	uint8_t *touched_item = NULL;
	size_t ticap = 0;
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		const struct evt_record *e = ev(arg, i);
		uint32_t u, it = EC_NONE_ITEM;
		if ((rc = ec_index_add(&pl->users, e->user_key, &u)))
			break;
		if (e->entity_key &&
		    (rc = ec_index_add(&pl->items, e->entity_key, &it)))
			break;
		pl->ev_user[i] = u;
		pl->ev_item[i] = it;
		if (u >= l2cap) {
			size_t c = l2cap ? l2cap * 2 : 1024;
			struct _last2 *g = realloc(l2, c * sizeof(*g));
			if (!g) {
				rc = -ENOMEM;
				break;
			}
			memset(g + l2cap, 0, (c - l2cap) * sizeof(*g));
			l2 = g;
			l2cap = c;
		}
		if (!ec_touches(e))
			continue;
		if (it >= ticap) {
			size_t c = ticap ? ticap * 2 : 1024;
			while (c <= it)
				c *= 2;
			uint8_t *g = realloc(touched_item, c);
			if (!g) {
				rc = -ENOMEM;
				break;
			}
			memset(g + ticap, 0, c - ticap);
			touched_item = g;
			ticap = c;
		}
		touched_item[it] = 1;
		int added = _pairs_add(pl, _pair(u, it));
		if (added < 0) {
			rc = added;
			break;
		}
		bool pos = ec_positive(lp, e);
		if (pos && viewed_targets &&
		    (added = _pairs_add(pl, _pair(u, it) | _ACTED)) < 0) {
			rc = added;
			break;
		}
		if (added && pos) {
			l2[u].prev = l2[u].last;
			l2[u].last = i + 1;
		}
	}
	if (!rc &&
	    !(pl->pool_touched =
		    calloc(pl->users.n + 1, sizeof(*pl->pool_touched))))
		rc = -ENOMEM;
	for (uint32_t u = 0; !rc && u < pl->users.n; u++) {
		if (!l2[u].prev) {
			pl->users_skipped++;
			continue;
		}
		pl->split[l2[u].prev - 1] = EC_VALID;
		pl->split[l2[u].last - 1] = EC_TEST;
		pl->n_valid++;
		pl->n_test++;
	}
	if (!rc)
		rc = _build_pool(pl, catalog, n_catalog, touched_item, ticap);
	free(l2);
	free(touched_item);
	return rc;
}

static int _i64_cmp(const void *a, const void *b)
{
	int64_t p = *(const int64_t *)a, q = *(const int64_t *)b;
	return p < q ? -1 : p > q;
}

/* How many of v[0..n) (sorted) are <= t. */
static size_t _at_or_before(const int64_t *v, size_t n, int64_t t)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Per user, the added times of the pool items they touch (the pairs
 * _build_pool counted into pool_touched), sorted. */
static int _user_added(struct ec_plan *pl, const uint32_t *pos_of)
{
	uint32_t nu = pl->users.n;
	size_t total = 0;
	for (uint32_t u = 0; u < nu; u++)
		total += pl->pool_touched[u];
	pl->ut_off = calloc(nu + 1, sizeof(*pl->ut_off));
	pl->ut_added = malloc((total ? total : 1) * sizeof(*pl->ut_added));
	size_t *fill = calloc(nu + 1, sizeof(*fill));
	if (!pl->ut_off || !pl->ut_added || !fill) {
		free(fill);
		return -ENOMEM;
	}
	for (uint32_t u = 0; u < nu; u++)
		pl->ut_off[u + 1] = pl->ut_off[u] + pl->pool_touched[u];
	for (size_t i = 0; i < pl->pcap; i++) {
		uint64_t v = pl->pairs[i];
		if (!v || (v & _ACTED) || pos_of[(uint32_t)v] == UINT32_MAX)
			continue;
		uint32_t u = (uint32_t)(v >> 32) - 1;
		pl->ut_added[pl->ut_off[u] + fill[u]++] =
		    pl->pool_added[pos_of[(uint32_t)v]];
	}
	free(fill);
	for (uint32_t u = 0; u < nu; u++)
		qsort(pl->ut_added + pl->ut_off[u], pl->pool_touched[u],
		    sizeof(*pl->ut_added), _i64_cmp);
	return 0;
}

int ec_plan_added(struct ec_plan *pl, const uint64_t *keys,
    const int64_t *added_ms, size_t n)
{
	bool any = false;
	for (size_t i = 0; i < n && !any; i++)
		any = added_ms[i] != 0;
	if (!any)
		return 0; /* nothing known: every item there all along */
	uint32_t *pos_of = malloc((pl->items.n + 1) * sizeof(*pos_of));
	pl->pool_added = malloc((pl->n_pool + 1) * sizeof(*pl->pool_added));
	pl->added_sorted = malloc((pl->n_pool + 1) * sizeof(*pl->added_sorted));
	if (!pos_of || !pl->pool_added || !pl->added_sorted) {
		free(pos_of);
		return -ENOMEM;
	}
	memset(pos_of, 0xff, (pl->items.n + 1) * sizeof(*pos_of));
	for (uint32_t j = 0; j < pl->n_pool; j++) {
		pos_of[pl->pool[j]] = j;
		pl->pool_added[j] = INT64_MIN;
	}
	for (size_t i = 0; i < n; i++) {
		int64_t it = ec_index_find(&pl->items, keys[i]);
		if (it >= 0 && pos_of[it] != UINT32_MAX && added_ms[i])
			pl->pool_added[pos_of[it]] = added_ms[i];
	}
	memcpy(pl->added_sorted, pl->pool_added,
	    pl->n_pool * sizeof(*pl->added_sorted));
	qsort(pl->added_sorted, pl->n_pool, sizeof(*pl->added_sorted),
	    _i64_cmp);
	int rc = _user_added(pl, pos_of);
	free(pos_of);
	return rc;
}

uint32_t ec_plan_free_at(const struct ec_plan *pl, uint32_t user, int64_t t)
{
	if (!pl->pool_added)
		return pl->n_pool - pl->pool_touched[user];
	size_t there = _at_or_before(pl->added_sorted, pl->n_pool, t);
	size_t touched = _at_or_before(pl->ut_added + pl->ut_off[user],
	    pl->pool_touched[user], t);
	return (uint32_t)(there - touched);
}

void ec_plan_free(struct ec_plan *pl)
{
	free(pl->ev_user);
	free(pl->ev_item);
	free(pl->split);
	ec_index_free(&pl->users);
	ec_index_free(&pl->items);
	free(pl->pairs);
	free(pl->pool);
	free(pl->pool_touched);
	free(pl->mark);
	free(pl->scratch);
	free(pl->pool_added);
	free(pl->added_sorted);
	free(pl->ut_added);
	free(pl->ut_off);
	memset(pl, 0, sizeof(*pl));
}

uint64_t ec_seed(uint64_t seed, uint64_t a, uint64_t b)
{
	uint64_t x = seed;
	uint64_t h = rng_mix64(&x) ^ a;
	h = rng_mix64(&h) ^ b;
	return rng_mix64(&h);
}

/* Whether pool position j can be a negative of the user at time t. */
static bool _negative(const struct ec_plan *pl, uint32_t user, uint32_t j,
    int64_t t)
{
	return (!pl->pool_added || pl->pool_added[j] <= t) &&
	    !ec_plan_touched(pl, user, pl->pool[j]);
}

unsigned ec_candidates(struct ec_plan *pl, uint32_t user, uint32_t target,
    unsigned split, int64_t t, unsigned n, uint64_t seed, uint32_t *out)
{
	uint32_t free_n = ec_plan_free_at(pl, user, t);
	unsigned want = n == 0 || n - 1 >= free_n ? free_n : n - 1, got = 0;
	if (want == free_n) {
		/* all of them, in pool order */
		for (uint32_t j = 0; j < pl->n_pool && got < want; j++)
			if (_negative(pl, user, j, t))
				out[got++] = pl->pool[j];
		out[got] = target;
		return got + 1;
	}
	struct rng r;
	rng_seed(&r, ec_seed(seed, pl->users.keys[user], split));
	if (free_n >= 2 * want && 8 * (uint64_t)free_n >= pl->n_pool) {
		/* rejection: one draw in 16 lands at worst (a pool
		 * mostly of items touched or not added yet goes the
		 * dense way) */
		if (++pl->stamp == 0) {
			memset(pl->mark, 0, pl->n_pool * sizeof(*pl->mark));
			pl->stamp = 1;
		}
		while (got < want) {
			uint32_t j = (uint32_t)rng_below(&r, pl->n_pool);
			if (pl->mark[j] == pl->stamp ||
			    !_negative(pl, user, j, t))
				continue;
			pl->mark[j] = pl->stamp;
			out[got++] = pl->pool[j];
		}
	} else {
		/* dense: the eligible ones, then a partial Fisher-Yates */
		uint32_t m = 0;
		for (uint32_t j = 0; j < pl->n_pool; j++)
			if (_negative(pl, user, j, t))
				pl->scratch[m++] = pl->pool[j];
		for (; got < want; got++) {
			uint32_t j = got + (uint32_t)rng_below(&r, m - got);
			uint32_t pick = pl->scratch[j];
			pl->scratch[j] = pl->scratch[got];
			pl->scratch[got] = pick;
			out[got] = pick;
		}
	}
	out[got] = target;
	return got + 1;
}

/* --- popularity ------------------------------------------------------- */

int ec_pop_init(struct ec_pop *p, uint32_t n_items)
{
	memset(p, 0, sizeof(*p));
	p->n_items = n_items;
	p->count = calloc(n_items ? n_items : 1, sizeof(*p->count));
	p->pend_t = INT64_MIN;
	return p->count ? 0 : -ENOMEM;
}

void ec_pop_at(struct ec_pop *p, int64_t t)
{
	if (t <= p->pend_t)
		return;
	for (size_t i = 0; i < p->npend; i++)
		p->count[p->pend[i]]++;
	p->total += p->npend;
	p->npend = 0;
	p->pend_t = t;
}

int ec_pop_add(struct ec_pop *p, int64_t t, uint32_t item)
{
	ec_pop_at(p, t);
	if (item >= p->n_items)
		return 0;
	if (p->npend == p->pcap) {
		size_t c = p->pcap ? p->pcap * 2 : 256;
		uint32_t *g = realloc(p->pend, c * sizeof(*g));
		if (!g)
			return -ENOMEM;
		p->pend = g;
		p->pcap = c;
	}
	p->pend[p->npend++] = item;
	return 0;
}

void ec_pop_free(struct ec_pop *p)
{
	free(p->count);
	free(p->pend);
	memset(p, 0, sizeof(*p));
}

/* --- calling the re-ranker -------------------------------------------- */

void ec_cell_ctx(uint64_t cell, struct rank_ctx *ctx)
{
	double a, b, c, d;
	ctx->has_location = false;
	ctx->lat = ctx->lon = 0;
	if (cell && geo_cell_bounds(cell, &a, &b, &c, &d) == 0) {
		ctx->has_location = true;
		ctx->lat = (a + b) / 2;
		ctx->lon = (c + d) / 2;
	}
}

void ec_event_ctx(const struct evt_record *e, struct rank_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->time_ms = e->time_ms;
	ctx->tz_min = e->tz_offset_min;
	ec_cell_ctx(e->geo_cell, ctx);
	ctx->weather = e->weather;
	ctx->social = e->social;
	ctx->device = e->device;
	ctx->platform = e->platform;
}

unsigned ec_result_pos(const struct rank_result *res, unsigned n,
    uint32_t index)
{
	for (unsigned i = 0; i < n; i++)
		if (res[i].index == index)
			return i;
	return n;
}

/* a before b: higher score, then lower index */
static bool _before(const double *s, uint32_t a, uint32_t b)
{
	return s[a] > s[b] || (s[a] == s[b] && a < b);
}

unsigned ec_top_k(const double *scores, unsigned n, unsigned k, uint32_t *top)
{
	unsigned m = 0;
	if (k > n)
		k = n;
	for (uint32_t i = 0; i < n && k; i++) {
		if (m == k && !_before(scores, i, top[m - 1]))
			continue;
		unsigned j = m < k ? m++ : m - 1;
		while (j > 0 && _before(scores, i, top[j - 1])) {
			top[j] = top[j - 1];
			j--;
		}
		top[j] = i;
	}
	return m;
}

/* --- item neighbours, driven by event time ----------------------------- */

int ec_nbr_open(struct ec_nbr *n, const struct reg *r, const struct cfg *c)
{
	ec_nbr_close(n);
	struct nbr_params np;
	nbrs_params_of(c, &np);
	int rc = nbrs_feed_init(&n->feed, r, &np);
	if (rc && rc != -ENODEV)
		return rc;
	n->on = rc == 0;
	n->t = INT64_MIN;
	n->every_ms = (int64_t)c->neighbor_interval_s * 1000;
	return 0;
}

bool ec_nbr_due(const struct ec_nbr *n, int64_t t)
{
	return n->on && (n->t == INT64_MIN || t - n->t >= n->every_ms);
}

void ec_nbr_at(struct ec_nbr *n, const struct reg *r, int64_t t)
{
	if (!ec_nbr_due(n, t))
		return;
	nbrs_pass(&n->feed, r, NULL);
	/* On the grid, not from t: a live segmenter keeps its beat through
	 * a quiet stretch, so the pass after a gap comes an interval after
	 * the last beat in it, not an interval after the gap. */
	n->t = n->t == INT64_MIN
	    ? t
	    : n->t + (t - n->t) / n->every_ms * n->every_ms;
}

void ec_nbr_user(struct ec_nbr *n, const struct reg *r,
    const struct lrn_profile *p)
{
	nbrs_history(r, p, &n->acc);
}

float ec_nbr_cf(const struct ec_nbr *n, uint64_t entity_key)
{
	return nbr_acc_get(&n->acc, lrn_seen_fold(entity_key));
}

void ec_nbr_close(struct ec_nbr *n)
{
	nbrs_feed_free(&n->feed);
	n->on = false;
}
