/*
 * rerank: libpenchant's pen_rerank and pen_serving_read (penchant.h).
 * Everything a ranking reads comes from shared memory: the user's profile
 * (a consistent copy), each candidate's catalog entry, and the serving
 * statistics the workers keep per shard (category click rates and
 * trends), and the segments table (the handle's copy, renewed when a
 * refresh moved its version): the user's segment lends its interest prior
 * and its strategy's parameters. The ranking itself is engine/rank.h's
 * rank_run. No syscall, no lock; scratch is the handle's, grown when a
 * call needs more.
 */
#include "penchant.h"

#include <errno.h>
#include <stddef.h>
#include <math.h>
#include <string.h>

#include "engine/clock.h"
#include "engine/geo.h"
#include "engine/rank.h"
#include "ipc/client.h"
#include "shm/catalog.h"
#include "shm/neighbors.h"
#include "shm/experiments.h"
#include "shm/privacy.h"
#include "shm/profiles.h"
#include "shm/segment.h"

#define _CAT_CACHE 64 /* distinct categories looked up per call */

/* A category's click rate and trend over all shards. */
struct _catinfo {
	uint32_t id;
	float ctr, trend;
};

/* The worker's probe sequence (shm/shard.c) for category id. */
static const struct cat_stat *_find_stat(const struct shard_stats *st,
    uint32_t id)
{
	uint32_t mask = REG_CAT_STATS - 1;
	for (uint32_t i = 0, at = (id * 0x9E3779B1u) >> 22 & mask;
	     i < REG_CAT_STATS; i++, at = (at + 1) & mask) {
		uint32_t k = ck_pr_load_32(&st->cats[at].id);
		if (k == id)
			return &st->cats[at];
		if (k == 0)
			return NULL;
	}
	return NULL;
}

void client_cat_rates(const struct reg *r, uint32_t cat, int64_t now_ms,
    float *ctr, float *trend)
{
	uint64_t imps = 0, acts = 0;
	double today = 0, yesterday = 0;
	int64_t day = now_ms / LRN_DAY_MS;
	*ctr = -1.0f;
	*trend = 0.0f;
	if (!cat)
		return;
	for (unsigned s = 0; s < r->hdr->geo.shards; s++) {
		const struct cat_stat *c =
		    _find_stat(&reg_shard(r, s)->stats, cat);
		if (!c)
			continue;
		imps += ck_pr_load_64(&c->impressions);
		acts += ck_pr_load_64(&c->actions);
		int32_t d = (int32_t)ck_pr_load_32((const uint32_t *)&c->day);
		uint32_t t = ck_pr_load_32(&c->pos_today);
		uint32_t y = ck_pr_load_32(&c->pos_yesterday);
		if (d == day) {
			today += t;
			yesterday += y;
		} else if (d == day - 1) {
			yesterday += t;
		}
	}
	double past = (double)(now_ms - day * LRN_DAY_MS) / (double)LRN_DAY_MS;
	*ctr = imps >= CLIENT_CTR_MIN_IMPRESSIONS
	    ? (float)((double)acts / (double)imps)
	    : -1.0f;
	*trend = (float)((today + 1.0) / (yesterday * past + 1.0));
}

/* The categories of one call: their info in first-seen order, found by
 * id through an open-addressing table of twice as many slots (entry + 1,
 * 0 free), so a candidate costs one probe, not a scan. */
struct _catcache {
	struct _catinfo info[_CAT_CACHE];
	uint8_t slot[2 * _CAT_CACHE];
	unsigned n;
};

static const struct _catinfo *_cat_cached(const struct reg *r,
    struct _catcache *cc, uint32_t id, int64_t now)
{
	unsigned h = (id * 0x9E3779B1u) >> 25; /* 7 bits: 2 * _CAT_CACHE */
	for (;; h = (h + 1) & (2 * _CAT_CACHE - 1)) {
		unsigned at = cc->slot[h];
		if (at == 0)
			break;
		if (cc->info[at - 1].id == id)
			return &cc->info[at - 1];
	}
	if (cc->n == _CAT_CACHE)
		return NULL; /* beyond: treated as unknown, rare */
	struct _catinfo *ci = &cc->info[cc->n];
	ci->id = id;
	client_cat_rates(r, id, now, &ci->ctr, &ci->trend);
	cc->slot[h] = (uint8_t)++cc->n;
	return &cc->info[cc->n - 1];
}

/* Inline attributes as the catalog would hold them. */
static void _attrs(const struct reg *r, const struct pen_item_attrs *a,
    struct cat_item *it)
{
	memset(it, 0, sizeof(*it));
	it->price_level = 255;
	if (a->category)
		it->item.category =
		    evt_tag_id(a->category, strlen(a->category));
	for (unsigned t = 0;
	     a->tags && t < a->n_tags && it->item.n_tags < LRN_ITEM_TAGS; t++)
		if (a->tags[t])
			it->item.tags[it->item.n_tags++] =
			    evt_tag_id(a->tags[t], strlen(a->tags[t]));
	it->start_ms = a->start_ms;
	it->start_tz_min = (int16_t)a->start_tz_min;
	it->added_ms = a->added_ms;
	if (a->has_location && geo_valid(a->lat, a->lon))
		geo_encode(a->lat, a->lon, r->hdr->limits.geo_precision,
		    &it->geo_cell);
	it->setting = a->indoor < 0 ? ITEM_SETTING_UNKNOWN
	    : a->indoor		    ? ITEM_INDOOR
				    : ITEM_OUTDOOR;
	it->group_friendly = a->group_friendly < 0 ? ITEM_UNKNOWN
	    : a->group_friendly			   ? ITEM_YES
						   : ITEM_NO;
	for (unsigned d = 0; a->devices && d < a->n_devices; d++)
		if (a->devices[d])
			it->device_mask |= (uint8_t)(1u
			    << evt_context_parse(EVT_CTX_DEVICE, a->devices[d],
				   strlen(a->devices[d])));
}

/* The context as the ranker takes it; -EINVAL for a time outside the
 * instance's bounds or an offset beyond +-18 h (what the rank API and
 * pen_publish refuse: a narrowing cast would take 66136 for 600). */
static int _context(const struct reg *r, const struct pen_context *c,
    int64_t now, struct rank_ctx *rc)
{
	memset(rc, 0, sizeof(*rc));
	rc->time_ms = c && c->time_ms ? c->time_ms : now;
	if (!c)
		return 0;
	if ((c->time_ms &&
		(c->time_ms < r->hdr->limits.min_time_ms ||
		    c->time_ms >= r->hdr->limits.max_time_ms)) ||
	    c->tz_offset_min < -CLK_MAX_TZ_MIN ||
	    c->tz_offset_min > CLK_MAX_TZ_MIN)
		return -EINVAL;
	rc->tz_min = (int16_t)c->tz_offset_min;
	rc->has_location =
	    c->has_location && geo_valid(c->lat, c->lon) ? true : false;
	rc->lat = c->lat;
	rc->lon = c->lon;
#define _CTX(field, kind)                                                      \
	rc->field = (uint8_t)evt_context_parse(kind, c->field,                 \
	    c->field ? strlen(c->field) : 0)
	_CTX(weather, EVT_CTX_WEATHER);
	_CTX(social, EVT_CTX_SOCIAL);
	_CTX(device, EVT_CTX_DEVICE);
	_CTX(platform, EVT_CTX_PLATFORM);
#undef _CTX
	return 0;
}

/* Scratch layout of one call: candidates, items, the neighbour sums by
 * candidate (folds, sum indices, the table), the ranker's (which holds
 * the results: rank_run_view). */
struct _scratch {
	struct rank_cand *cands;
	struct cat_item *items;
	uint32_t *fold, *idx;
	void *csum;
	void *rank;
	size_t rank_size;
};

static int _scratch(pen_t *p, size_t n, struct _scratch *s)
{
	size_t a = n * sizeof(*s->cands), b = n * sizeof(*s->items),
	       d = 2 * n * sizeof(uint32_t), e = nbr_csum_size(n);
	s->rank_size = rank_scratch_size((unsigned)n);
	char *base = client_rank_scratch(p, a + b + d + e + s->rank_size + 64);
	if (!base)
		return -ENOMEM;
	s->cands = (struct rank_cand *)base;
	s->items = (struct cat_item *)(base + a);
	s->fold = (uint32_t *)(base + a + b);
	s->idx = s->fold + n;
	s->csum = base + a + b + d;
	/* 64-aligned for the ranker's own arrays */
	uintptr_t at = (uintptr_t)(base + a + b + d + e);
	s->rank = (void *)((at + 63) & ~(uintptr_t)63);
	return 0;
}

/* Padding: 4 bytes after index, 4 after collab; _out zeroes them with
 * the 8-byte stores of index and of collab. */
_Static_assert(offsetof(struct pen_ranked, score) == 8 &&
	offsetof(struct pen_ranked, segment) == 68 &&
	offsetof(struct pen_ranked, collab) == 80 &&
	sizeof(struct pen_ranked) == 88,
    "pen_ranked's layout as _out writes it");

/* The factors both structs hold as consecutive floats, affinity first. */
#define _FACTORS 11
#define _FSAME(x)                                                              \
	(offsetof(struct pen_ranked, x) -                                      \
		offsetof(struct pen_ranked, affinity) ==                       \
	    offsetof(struct rank_factors, x) -                                 \
		offsetof(struct rank_factors, affinity))
_Static_assert(_FSAME(confidence) && _FSAME(time) && _FSAME(distance) &&
	_FSAME(weather) && _FSAME(social) && _FSAME(device) &&
	_FSAME(context) && _FSAME(fatigue) && _FSAME(novelty) &&
	_FSAME(explore) &&
	offsetof(struct pen_ranked, explore) + sizeof(float) ==
	    offsetof(struct pen_ranked, affinity) + _FACTORS * sizeof(float),
    "pen_ranked's factors lie as rank_factors' do");
#undef _FSAME

/* The user's segment, what every result of the call reports. */
struct _seg {
	uint32_t id; /* 0: none */
	float confidence, prior;
	unsigned flags; /* PEN_RANK_SEGMENT_* */
};

/* Candidate i at its position o, from the ranker's view v. */
static void _out(const struct rank_view *v, uint32_t i, const struct _seg *sg,
    struct pen_ranked *o)
{
	/* Straight into the caller's memory, every byte once: no memset
	 * (a rep stos per result) and no struct built aside and copied (a
	 * wide load of narrow stores). */
	const struct rank_factors *f = &v->f[i];
	uint64_t head = i, zero = 0; /* zero: collab, then padding */
	memcpy(o, &head, sizeof(head));
	o->score = v->score[i];
	/* affinity .. explore: eleven floats in the same order in both,
	 * copied as one block (a few vector moves, not eleven pairs). */
	memcpy(&o->affinity, &f->affinity, _FACTORS * sizeof(float));
	o->moved = f->moved;
	o->flags = f->flags | sg->flags;
	o->segment = sg->id;
	o->segment_confidence = sg->confidence;
	o->prior = sg->prior;
	float collab = f->collab;
	memcpy(&zero, &collab, sizeof(collab));
	memcpy((char *)o + 80, &zero, sizeof(zero));
}

/* The segment id of a profile now (experiments may target one), -1. */
static int _segment_id(pen_t *p, const struct lrn_profile *prof, int64_t now)
{
	const struct seg_table *t = prof ? client_segments(p) : NULL;
	struct seg_assignment a;
	if (!t)
		return -1;
	seg_assign(t, prof, &client_region(p)->hdr->params, now, &a);
	return a.index < 0 ? -1 : (int)a.id;
}

/*
 * The segment of a profile the ranking may use, into ro and sg: its
 * interest prior (sensitive ids left out), trusted fully unless the
 * assignment is low-confidence (then confidence / the table's threshold),
 * and, with segment_params, its strategy's epsilon, explore_weight and
 * mmr_lambda, and the operator's diversifier and dpp_theta for it, where
 * the request left them unset (not for a low-confidence assignment: a
 * user between segments gets the settings).
 */
static void _segment(pen_t *p, const struct lrn_profile *prof,
    struct rank_opts *ro, struct rank_prior *prior, struct _seg *sg)
{
	const struct reg *r = client_region(p);
	const struct seg_table *t = client_segments(p);
	if (!t)
		return;
	struct seg_assignment a;
	seg_assign(t, prof, &r->hdr->params, reg_now_wall_ms(), &a);
	if (a.index < 0)
		return;
	const struct seg_info *si = &t->seg[a.index];
	sg->id = a.id;
	sg->confidence = a.confidence;
	if (a.low)
		sg->flags |= PEN_RANK_SEGMENT_LOW;
	unsigned n = 0;
	for (unsigned i = 0; i < SEG_PRIOR && i < RANK_PRIOR_MAX; i++) {
		const struct seg_prior *sp = &si->prior[i];
		if (!sp->id || !(sp->w > 0.0f) || priv_sensitive_id(r, sp->id))
			continue;
		prior[n++] = (struct rank_prior){ .id = sp->id,
			.category = sp->kind == NAME_CATEGORY,
			.share = sp->w };
	}
	ro->prior = prior;
	ro->n_prior = n;
	ro->prior_weight = a.low && t->low_confidence > 0.0f
	    ? (double)(a.confidence / t->low_confidence)
	    : 1.0;
	if (!r->hdr->rank.segment_params || a.low)
		return;
	/* Overrides allow up to 5; the ranker takes up to its ranges. */
	bool used = false;
	if (ro->epsilon < 0 && si->epsilon >= 0) {
		ro->epsilon = fmin(si->epsilon, 1.0);
		used = true;
	}
	if (ro->explore_weight < 0 && si->explore_weight >= 0) {
		ro->explore_weight = si->explore_weight;
		used = true;
	}
	if (ro->mmr_lambda < 0 && si->mmr_lambda >= 0) {
		ro->mmr_lambda = fmin(si->mmr_lambda, 1.0);
		used = true;
	}
	if (ro->context_weight <= 0 && si->context_weight > 0) {
		ro->context_weight = fmin(si->context_weight, 5.0);
		used = true;
	}
	if (!(ro->given & RANK_O_DIVERSIFIER) && si->diversifier >= 0 &&
	    si->diversifier <= RANK_DIV_DPP) {
		ro->given |= RANK_O_DIVERSIFIER;
		ro->diversifier = (unsigned)si->diversifier;
		used = true;
	}
	if (!(ro->given & RANK_O_DPP_THETA) && si->dpp_theta >= 0) {
		ro->given |= RANK_O_DPP_THETA;
		ro->dpp_theta = fmin(si->dpp_theta, 1.0);
		used = true;
	}
	if (used)
		sg->flags |= PEN_RANK_SEGMENT_PARAMS;
}

_Static_assert(PEN_RANK_EXPLORED == RANK_F_EXPLORED &&
	PEN_RANK_SERENDIPITY == RANK_F_SERENDIPITY &&
	PEN_RANK_DIVERSIFIED == RANK_F_DIVERSIFIED &&
	PEN_RANK_UNKNOWN_ITEM == RANK_F_UNKNOWN_ITEM &&
	((PEN_RANK_SEGMENT_LOW | PEN_RANK_SEGMENT_PARAMS) &
	    (RANK_F_EXPLORED | RANK_F_SERENDIPITY | RANK_F_DIVERSIFIED |
		RANK_F_UNKNOWN_ITEM)) == 0,
    "public flags are the ranker's, and the segment's apart");

/* The caller's options into o (strategy and seed are the call's to set):
 * -EINVAL for an unknown diversifier or a value out of its range. */
static int _options(const struct pen_rank_options *opt, struct rank_opts *o)
{
	*o = (struct rank_opts){ .epsilon = -1.0,
		.explore_weight = -1.0,
		.mmr_lambda = -1.0,
		.serendipity_every = -1 };
	if (!opt) /* zeroed options would mean "no exploration" */
		return 0;
	o->k = opt->k;
	o->epsilon = opt->epsilon;
	o->explore_weight = opt->explore_weight;
	o->mmr_lambda = opt->mmr_lambda;
	o->serendipity_every = opt->serendipity_every;
	o->context_weight = opt->context_weight;
	if (opt->diversifier) {
		int d = rank_diversifier_parse(opt->diversifier,
		    strlen(opt->diversifier));
		if (d < 0)
			return -EINVAL;
		o->diversifier = (unsigned)d;
		o->given |= RANK_O_DIVERSIFIER;
	}
	if (opt->given & PEN_OPT_MMR_MEAN) {
		o->mmr_mean = opt->mmr_mean;
		o->given |= RANK_O_MMR_MEAN;
	}
	if (opt->given & PEN_OPT_DPP_THETA) {
		o->dpp_theta = opt->dpp_theta;
		o->given |= RANK_O_DPP_THETA;
	}
	return rank_opts_check(o);
}

/* pen_rank_options as 0.6 had it: 0.7's fields fill its reserved tail. */
struct _rank_options_0_6 {
	const char *strategy;
	unsigned k;
	uint64_t seed;
	double epsilon, explore_weight, mmr_lambda;
	int serendipity_every;
	float context_weight;
	uint32_t reserved[7];
};
_Static_assert(sizeof(struct pen_rank_options) ==
	    sizeof(struct _rank_options_0_6) &&
	offsetof(struct pen_rank_options, context_weight) ==
	    offsetof(struct _rank_options_0_6, context_weight) &&
	offsetof(struct pen_rank_options, diversifier) >=
	    offsetof(struct _rank_options_0_6, reserved),
    "pen_rank_options keeps the size and offsets of 0.6 (reserved tail)");

int pen_rerank(pen_t *p, const char *user_id, size_t len,
    const struct pen_context *ctx, const struct pen_candidate *cands, size_t n,
    const struct pen_rank_options *opt, struct pen_ranked *out,
    uint64_t *request_id)
{
	if (!p || !user_id || !cands || !out || n == 0 || n > UINT32_MAX / 2)
		return -EINVAL;
	const struct reg *r = client_region(p);
	int ready = client_ready(p);
	if (ready)
		return ready; /* loading: a half-loaded profile would mislead */
	int strat = RANK_FULL;
	if (opt && opt->strategy &&
	    (strat = rank_strategy_parse(opt->strategy,
		 strlen(opt->strategy))) < 0)
		return -EINVAL;
	/* Every option read and checked before anything is counted (an
	 * experiment's exposure below). */
	struct rank_opts ro;
	int rc_ = _options(opt, &ro);
	if (rc_)
		return rc_;
	/* The user as events name one: nothing is ranked or exposed for
	 * an id no event could have made. */
	if (evt_user_id_problem(&r->hdr->limits, user_id, len))
		return -EINVAL;
	int64_t now = reg_now_wall_ms();
	struct rank_ctx rc;
	if ((rc_ = _context(r, ctx, now, &rc)))
		return rc_;
	for (size_t i = 0; i < n; i++) {
		const struct pen_item_attrs *a = cands[i].attrs;
		if (a &&
		    (a->start_tz_min < -CLK_MAX_TZ_MIN ||
			a->start_tz_min > CLK_MAX_TZ_MIN))
			return -EINVAL;
	}
	struct _scratch s;
	if ((rc_ = _scratch(p, n, &s)))
		return rc_;

	struct lrn_profile lp;
	const struct lrn_profile *prof = NULL;
	uint64_t ukey = evt_user_key(&r->hdr->limits, user_id, len);
	rc_ = prof_read(r, ukey, &lp);
	bool held = rc_ == 0; /* a record, perhaps only a consent decision */
	/* Without consent to personalization the ranking is not personal:
	 * the profile (if any: a kept withdrawal) is not read. */
	if (rc_ == 0 && lp.events > 0 &&
	    priv_consents(r, &lp, EVT_PURPOSE_PERSONALIZATION))
		prof = &lp;
	else if (rc_ && rc_ != -ENOENT)
		return rc_;

	/* Keys first, with a prefetch of each one's catalog slot (where a
	 * lookup starts, cat_view_first; only a hint), so the
	 * lookups below find their entries on their way into the cache. */
	struct cat_view cv;
	cat_view_of(r, &cv);
	for (size_t i = 0; i < n; i++) {
		const char *id = cands[i].entity_id;
		if (!id || !(cands[i].score >= 0.0) || isinf(cands[i].score))
			return -EINVAL;
		uint64_t key = evt_entity_key(id, strlen(id));
		s.cands[i] = (struct rank_cand){ .key = key,
			.base = cands[i].score,
			.global_ctr = -1.0f };
		if (!cands[i].attrs)
			__builtin_prefetch(cat_view_first(&cv, key));
	}
	struct _catcache cache;
	cache.n = 0;
	memset(cache.slot, 0, sizeof(cache.slot));
	for (size_t i = 0; i < n; i++) {
		struct rank_cand *c = &s.cands[i];
		if (cands[i].attrs) {
			_attrs(r, cands[i].attrs, &s.items[i]);
			c->item = &s.items[i];
		} else if (cat_view_get(&cv, c->key, &s.items[i]) == 0) {
			c->item = &s.items[i];
		}
		/* Sensitive ids never steer a ranking; a sensitive entity
		 * keeps only the caller's score. */
		if (c->item && !priv_item(r, &s.items[i]))
			c->item = NULL;
		if (c->item && c->item->item.category) {
			const struct _catinfo *ci = _cat_cached(r, &cache,
			    c->item->item.category, rc.time_ms);
			if (ci) {
				c->global_ctr = ci->ctr;
				c->trend = ci->trend;
			}
		}
	}
	/* Experiments: a user in one is served its variant (when the
	 * caller left the strategy to the engine), the exposure is counted,
	 * and the request id carries the arm so outcomes find it. */
	unsigned arm = 0, seen_bit = 0;
	struct exp_variant ev;
	int64_t run_ms = 0, stamp = now;
	bool in_exp = !(opt && opt->strategy) &&
	    expb_choose(r, ukey, now, _segment_id(p, prof, now), true, &arm,
		&seen_bit, &ev, &run_ms) >= 0;
	if (in_exp)
		strat = ev.strategy;
	/* After the run's start, even with a clock behind the loader's:
	 * the workers take an earlier request for one of a run before. */
	if (in_exp && stamp <= run_ms)
		stamp = run_ms + 1;
	if (in_exp && expb_first(held ? &lp : NULL, seen_bit)) {
		/* The user's first exposure: counted once, by its worker. */
		struct evt_record er;
		expb_expose_record(ukey, arm, seen_bit, stamp, &er);
		client_publish_records(p, &er, 1, PEN_NOWAIT, NULL);
	}
	uint64_t rid = evt_request_make_arm(stamp, (unsigned)strat, arm,
	    client_rank_seq(p));
	ro.strategy = (unsigned)strat;
	ro.seed =
	    opt && (opt->seed || (opt->given & PEN_OPT_SEED)) ? opt->seed : rid;
	if (in_exp) { /* the variant's overrides, where the caller set none */
		if (ro.epsilon < 0)
			ro.epsilon = ev.epsilon;
		if (ro.explore_weight < 0)
			ro.explore_weight = ev.explore_weight;
		if (ro.mmr_lambda < 0)
			ro.mmr_lambda = ev.mmr_lambda;
		if (!(ro.given & RANK_O_DIVERSIFIER) && ev.diversifier) {
			ro.diversifier = ev.diversifier - 1u;
			ro.given |= RANK_O_DIVERSIFIER;
		}
		if (!(ro.given & RANK_O_DPP_THETA) && ev.dpp_theta >= 0) {
			ro.dpp_theta = ev.dpp_theta;
			ro.given |= RANK_O_DPP_THETA;
		}
	}
	/* The collaborative signal: the lists of the user's recent items,
	 * summed by candidate (each list entry one probe of the candidates'
	 * table, rather than every entry summed and each candidate looked
	 * up in the sums). */
	if (prof && strat != RANK_BASE && r->hdr->rank.collab_gain > 0.0) {
		struct nbr_csum cs;
		for (size_t i = 0; i < n; i++)
			s.fold[i] = lrn_seen_fold(s.cands[i].key);
		nbr_csum_init(&cs, s.csum, s.fold, n, s.idx);
		if (nbrs_history_csum(r, prof, &cs))
			for (size_t i = 0; i < n; i++)
				s.cands[i].collab = cs.sum[s.idx[i]];
	}
	struct rank_prior prior[RANK_PRIOR_MAX];
	struct _seg sg = { 0 };
	if (prof)
		_segment(p, prof, &ro, prior, &sg);
	if (ro.n_prior)
		sg.prior = (float)rank_prior_share(&r->hdr->rank,
		    lrn_profile_confidence(prof, &r->hdr->params),
		    ro.prior_weight);
	struct rank_view v;
	int got = rank_run_view(prof, &r->hdr->params, &r->hdr->rank, &rc,
	    s.cands, (unsigned)n, &ro, s.rank, s.rank_size, &v);
	if (got < 0)
		return got;
	for (size_t pos = 0; pos < n; pos++)
		_out(&v, v.index[pos], &sg, &out[pos]);
	if (request_id)
		*request_id = rid;
	return 0;
}

int pen_serving_read(pen_t *p, const char *strategy, unsigned position,
    struct pen_serving *out)
{
	if (!p || !out || position > PEN_POSITIONS + 1)
		return -EINVAL;
	int strat = -1;
	if (strategy &&
	    (strat = rank_strategy_parse(strategy, strlen(strategy))) < 0)
		return -EINVAL;
	const struct reg *r = client_region(p);
	memset(out, 0, sizeof(*out));
	for (unsigned s = 0; s < r->hdr->geo.shards; s++) {
		const struct shard_stats *st = &reg_shard(r, s)->stats;
		for (unsigned k = 0; k < RANK_STRATEGY_SLOTS; k++) {
			if (strat >= 0 && k != (unsigned)strat)
				continue;
			for (unsigned q = 0; q < REG_POSITIONS; q++) {
				/* position PEN_POSITIONS + 1 is cell 0 */
				unsigned want = position == PEN_POSITIONS + 1
				    ? 0
				    : position;
				if (position && q != want)
					continue;
				const struct serve_cell *c = &st->pos[k][q];
				out->impressions +=
				    ck_pr_load_64(&c->impressions);
				out->clicks += ck_pr_load_64(&c->clicks);
				out->conversions +=
				    ck_pr_load_64(&c->conversions);
			}
		}
	}
	return 0;
}
