/*
 * segment: refreshing, publishing and reading the segments table
 * (segment.h).
 */
#include "shm/segment.h"

#include <ck_pr.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/cluster.h"
#include "engine/rng.h"
#include "engine/segpolicy.h"
#include "shm/profiles.h"
#include "shm/seqlock.h"

_Static_assert(FEAT_COUNT == 16, "the table keeps 16 features");
_Static_assert(SEG_MAX <= KM_K_MAX, "a segment is a cluster");

/* --- refresh --------------------------------------------------------------- */

static double _now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Per-segment interest sums: a small open-addressing map per segment. */
#define _PRIOR_SLOTS 4096
struct _prior_map {
	uint32_t id[_PRIOR_SLOTS];
	uint8_t kind[_PRIOR_SLOTS];
	float w[_PRIOR_SLOTS];
};

static void _prior_add(struct _prior_map *m, uint32_t id, uint8_t kind, float w)
{
	uint32_t at = (id * 0x9E3779B1u) >> 20 & (_PRIOR_SLOTS - 1);
	for (unsigned n = 0; n < _PRIOR_SLOTS;
	     n++, at = (at + 1) & (_PRIOR_SLOTS - 1)) {
		if (m->id[at] == id && m->kind[at] == kind) {
			m->w[at] += w;
			return;
		}
		if (m->id[at] == 0) {
			m->id[at] = id;
			m->kind[at] = kind;
			m->w[at] = w;
			return;
		}
	}
}

/* A member's positive weights as shares of its table, into the map. */
static void _prior_member(struct _prior_map *m, const struct lrn_profile *p)
{
	const struct lrn_weight *t[2] = { p->cats, p->tags };
	unsigned n[2] = { LRN_CATS, LRN_TAGS };
	uint8_t kind[2] = { NAME_CATEGORY, NAME_TAG };
	for (unsigned k = 0; k < 2; k++) {
		double sum = 0;
		for (unsigned i = 0; i < n[k]; i++)
			if (t[k][i].id && t[k][i].w > 0)
				sum += t[k][i].w;
		for (unsigned i = 0; sum > 0 && i < n[k]; i++)
			if (t[k][i].id && t[k][i].w > 0)
				_prior_add(m, t[k][i].id, kind[k],
				    (float)(t[k][i].w / sum));
	}
}

static void _prior_top(const struct _prior_map *m, uint64_t members,
    struct seg_prior *out)
{
	memset(out, 0, SEG_PRIOR * sizeof(*out));
	for (unsigned i = 0; i < _PRIOR_SLOTS; i++) {
		if (!m->id[i])
			continue;
		float w = members ? m->w[i] / (float)members : 0.0f;
		unsigned j = SEG_PRIOR;
		while (j > 0 && out[j - 1].w < w)
			j--;
		if (j == SEG_PRIOR)
			continue;
		memmove(&out[j + 1], &out[j],
		    (SEG_PRIOR - 1 - j) * sizeof(*out));
		out[j] = (struct seg_prior){ .id = m->id[i],
			.kind = m->kind[i],
			.w = w };
	}
}

/* Working memory of one refresh. */
struct _work {
	float *x;	 /* n x FEAT_COUNT, then standardized */
	float *raw;	 /* n x FEAT_COUNT, kept for the means */
	uint8_t *labels; /* n */
	uint32_t *where; /* n: record index in its shard */
	uint8_t *shard;	 /* n */
	uint64_t *key;	 /* n: the user the record held when copied */
	void *ws;	 /* km workspace */
	size_t ws_size;
	struct _prior_map *prior; /* SEG_MAX maps */
};

static void _work_free(struct _work *w)
{
	free(w->x);
	free(w->raw);
	free(w->labels);
	free(w->where);
	free(w->shard);
	free(w->key);
	free(w->ws);
	free(w->prior);
}

/* Copies every profile with events; counts them in *n. */
static int _copy(const struct reg *r, struct _work *w, size_t cap,
    const struct lrn_params *prm, int64_t as_of, size_t *n)
{
	size_t k = 0;
	for (unsigned s = 0; s < r->hdr->geo.shards; s++) {
		uint32_t count = ck_pr_load_uint(&reg_shard(r, s)->count);
		for (uint32_t i = 0; i < count && k < cap; i++) {
			struct lrn_profile p;
			if (prof_copy(r, s, i, &p) || p.events == 0 ||
			    p.user_key == 0)
				continue;
			feat_extract(&p, prm, as_of, &w->raw[k * FEAT_COUNT]);
			w->where[k] = i;
			w->shard[k] = (uint8_t)s;
			w->key[k] = p.user_key;
			k++;
		}
	}
	*n = k;
	return 0;
}

/* Whether model m has a cluster under the options' min_share of n. */
static bool _has_tiny(const struct km_model *m, size_t n,
    const struct seg_options *o)
{
	for (unsigned c = 0; c < m->k; c++)
		if ((double)m->size[c] < o->min_share * (double)n)
			return true;
	return false;
}

/*
 * Removes the clusters no user fell in (users fewer distinct than k: all
 * alike, say), moving the others down in order and relabelling the users;
 * returns the clusters left. An empty segment would be shown, named and
 * matched to the next table's as if it were a cohort.
 */
static unsigned _drop_empty(struct km_model *m, uint8_t *labels, size_t n)
{
	uint8_t to[KM_K_MAX];
	unsigned k = 0;
	for (unsigned c = 0; c < m->k; c++) {
		to[c] = (uint8_t)k;
		if (!m->size[c])
			continue;
		if (c != k) {
			m->size[k] = m->size[c];
			memmove(&m->center[k * m->d], &m->center[c * m->d],
			    m->d * sizeof(m->center[0]));
		}
		k++;
	}
	if (k == m->k)
		return k;
	for (size_t i = 0; i < n; i++)
		labels[i] = to[labels[i]];
	for (unsigned c = k; c < m->k; c++)
		m->size[c] = 0;
	m->k = k;
	return k;
}

/* k and the model: fixed, or chosen on a sample then fitted on all. */
static int _cluster(struct _work *w, size_t n, const struct seg_options *o,
    struct km_model *m, double *silhouette, char *err, size_t errlen)
{
	struct km_params kp;
	struct rng rg;
	rng_seed(&rg, o->seed);
	unsigned k = o->k;
	if (!k) {
		size_t sample = n < o->sample ? n : o->sample;
		unsigned kmax = o->k_max;
		if (kmax > sample)
			kmax = (unsigned)sample;
		if (kmax < o->k_min) {
			snprintf(err, errlen,
			    "%zu users: too few to choose between %u and %u segments",
			    n, o->k_min, o->k_max);
			return -ENODATA;
		}
		km_params_default(&kp, o->k_min);
		/* k on an evenly strided sample: deterministic, spread */
		float *xs = malloc(sample * FEAT_COUNT * sizeof(float));
		uint8_t *ls = malloc(sample);
		size_t wss = km_workspace_size(sample, FEAT_COUNT, &kp);
		void *wsp = malloc(wss);
		int rc = xs && ls && wsp ? 0 : -ENOMEM;
		for (size_t i = 0; !rc && i < sample; i++)
			memcpy(&xs[i * FEAT_COUNT],
			    &w->x[(i * n / sample) * FEAT_COUNT],
			    FEAT_COUNT * sizeof(float));
		struct km_model mk;
		if (!rc)
			rc = km_choose_k(xs, sample, FEAT_COUNT, o->k_min, kmax,
			    &kp, &rg, wsp, wss, &mk, ls, NULL);
		free(xs);
		free(ls);
		free(wsp);
		if (rc) {
			snprintf(err, errlen, "choosing k: %s", strerror(-rc));
			return rc;
		}
		k = mk.k;
	}
	if (n < k) {
		snprintf(err, errlen, "%zu users: fewer than %u segments", n,
		    k);
		return -ENODATA;
	}
	km_params_default(&kp, k);
	w->ws_size = km_workspace_size(n, FEAT_COUNT, &kp);
	w->ws = malloc(w->ws_size);
	if (!w->ws)
		return -ENOMEM;
	int rc;
	/* A chosen k gives way while a segment would be under min_share:
	 * a handful of outliers is no cohort to treat differently. */
	for (;;) {
		km_params_default(&kp, k);
		rc = km_fit(w->x, n, FEAT_COUNT, &kp, &rg, w->ws, w->ws_size, m,
		    w->labels);
		if (rc || o->k || k <= o->k_min || !_has_tiny(m, n, o))
			break;
		k--;
	}
	if (rc) {
		snprintf(err, errlen, "clustering: %s", strerror(-rc));
		return rc;
	}
	k = _drop_empty(m, w->labels, n);
	*silhouette = NAN;
	if (n >= 2 && k >= 2)
		km_silhouette(w->x, n, FEAT_COUNT, w->labels, k,
		    n < 2000 ? n : 2000, &rg, w->ws, w->ws_size, silhouette);
	return 0;
}

/* Ids of the new clusters: the previous table's where centroids match. */
static void _ids(const struct seg_table *old, const struct km_model *m,
    const struct km_scaler *sc, uint32_t *ids)
{
	double oc[SEG_MAX * FEAT_COUNT], nc[SEG_MAX * FEAT_COUNT];
	uint32_t oid[SEG_MAX], inherit[SEG_MAX], next = 1;
	unsigned ko = old ? old->k : 0;
	for (unsigned i = 0; i < ko; i++) {
		oid[i] = old->seg[i].id;
		if (oid[i] >= next)
			next = oid[i] + 1;
		/* old centroids back to raw units, then into today's scale */
		for (unsigned f = 0; f < FEAT_COUNT; f++) {
			double raw =
			    old->seg[i].centroid[f] * old->scale_std[f] +
			    old->scale_mean[f];
			oc[i * FEAT_COUNT + f] = sc->std[f] > 0
			    ? (raw - sc->mean[f]) / sc->std[f]
			    : 0.0;
		}
	}
	for (unsigned j = 0; j < m->k; j++)
		for (unsigned f = 0; f < FEAT_COUNT; f++)
			nc[j * FEAT_COUNT + f] = m->center[j * m->d + f];
	if (km_match(oc, oid, ko, nc, m->k, FEAT_COUNT, 2.0, inherit, NULL))
		for (unsigned j = 0; j < m->k; j++)
			inherit[j] = KM_ID_NEW;
	for (unsigned j = 0; j < m->k; j++)
		ids[j] = inherit[j] != KM_ID_NEW ? inherit[j] : next++;
}

/*
 * Members' statistics and priors, from their profiles again. A user
 * erased since the copy is no member (the record is free, or another
 * user's now): the segments' sizes count those still there, and the
 * number of them is returned.
 */
static uint64_t _describe(const struct reg *r, struct _work *w, size_t n,
    const struct km_model *m, const struct lrn_params *prm, struct seg_table *t)
{
	double eng[SEG_MAX] = { 0 }, imp[SEG_MAX] = { 0 }, act[SEG_MAX] = { 0 };
	double drift[SEG_MAX] = { 0 }, conf[SEG_MAX] = { 0 };
	double mean[SEG_MAX][FEAT_COUNT] = { { 0 } };
	uint64_t size[SEG_MAX] = { 0 }, live = 0;
	memset(w->prior, 0, m->k * sizeof(*w->prior));
	for (size_t i = 0; i < n; i++) {
		unsigned c = w->labels[i];
		struct lrn_profile p;
		if (prof_copy(r, w->shard[i], w->where[i], &p) ||
		    p.user_key != w->key[i])
			continue;
		size[c]++;
		live++;
		const float *raw = &w->raw[i * FEAT_COUNT];
		for (unsigned f = 0; f < FEAT_COUNT; f++)
			mean[c][f] += raw[f];
		eng[c] += raw[FEAT_ENGAGEMENT] == (float)LRN_ENG_ACTIVE;
		imp[c] += p.counts[LRN_N_IMPRESSION];
		act[c] += (double)p.counts[LRN_N_CLICK] + p.counts[LRN_N_SAVE] +
		    p.counts[LRN_N_RSVP] + p.counts[LRN_N_PURCHASE] +
		    p.counts[LRN_N_CART] + p.counts[LRN_N_SHARE] +
		    p.counts[LRN_N_LIKE];
		drift[c] += p.drift;
		double z[FEAT_COUNT];
		for (unsigned f = 0; f < FEAT_COUNT; f++)
			z[f] = w->x[i * FEAT_COUNT + f];
		struct km_assignment as;
		if (km_assign(m, z, &as) == 0) {
			conf[c] += as.confidence;
			if (as.confidence < t->low_confidence)
				t->low_confidence_users++;
		}
		_prior_member(&w->prior[c], &p);
	}
	(void)prm;
	for (unsigned c = 0; c < m->k; c++) {
		struct seg_info *s = &t->seg[c];
		double k = size[c] ? (double)size[c] : 1.0;
		s->size = size[c];
		s->share =
		    live ? (float)((double)size[c] / (double)live) : 0.0f;
		for (unsigned f = 0; f < FEAT_COUNT; f++) {
			s->centroid[f] = (float)m->center[c * m->d + f];
			s->mean[f] = (float)(mean[c][f] / k);
		}
		s->engagement = (float)(eng[c] / k);
		s->ctr = imp[c] > 0 ? (float)(act[c] / imp[c]) : -1.0f;
		s->drift_rate = (float)(drift[c] / k);
		s->confidence = (float)(conf[c] / k);
		s->strategy = sp_strategy_of(s->centroid);
		struct sp_params pp = sp_params_of(s->strategy);
		s->epsilon = pp.epsilon;
		s->mmr_lambda = pp.mmr_lambda;
		s->explore_weight = pp.explore_weight;
		s->context_weight = pp.context_weight;
		s->diversifier = -1;
		s->dpp_theta = -1.0f;
		sp_name(s->centroid, s->strategy, s->name, sizeof(s->name));
		_prior_top(&w->prior[c], size[c], s->prior);
	}
	return live;
}

/*
 * Removes the segments none of whose members are left (all erased during
 * the refresh), in order; returns how many are left.
 */
static unsigned _drop_gone(struct seg_table *t)
{
	unsigned k = 0;
	for (unsigned c = 0; c < t->k; c++)
		if (t->seg[c].size)
			t->seg[k++] = t->seg[c];
	memset(&t->seg[k], 0, (t->k - k) * sizeof(t->seg[0]));
	return t->k = k;
}

/* The operator's names, strategies and parameters (segment_overrides;
 * checked when the settings were). */
static void _apply_overrides(const char *list, struct seg_table *t)
{
	struct sp_override ov[SP_OVERRIDES_MAX];
	int n = sp_overrides_parse(list, ov, SP_OVERRIDES_MAX, NULL, 0);
	for (int o = 0; o < n; o++)
		for (unsigned i = 0; i < t->k; i++) {
			struct seg_info *s = &t->seg[i];
			if (s->id != ov[o].id)
				continue;
			if (ov[o].name[0])
				snprintf(s->name, sizeof(s->name), "%s",
				    ov[o].name);
			if (ov[o].strategy >= 0) {
				s->strategy = (uint32_t)ov[o].strategy;
				struct sp_params pp = sp_params_of(s->strategy);
				s->epsilon = pp.epsilon;
				s->mmr_lambda = pp.mmr_lambda;
				s->explore_weight = pp.explore_weight;
				s->context_weight = pp.context_weight;
			}
			if (ov[o].epsilon >= 0)
				s->epsilon = ov[o].epsilon;
			if (ov[o].mmr_lambda >= 0)
				s->mmr_lambda = ov[o].mmr_lambda;
			if (ov[o].explore_weight >= 0)
				s->explore_weight = ov[o].explore_weight;
			if (ov[o].context_weight >= 0)
				s->context_weight = ov[o].context_weight;
			if (ov[o].diversifier >= 0)
				s->diversifier = ov[o].diversifier;
			if (ov[o].dpp_theta >= 0)
				s->dpp_theta = ov[o].dpp_theta;
			s->overridden = 1;
		}
}

static void _publish(const struct reg *r, const struct seg_table *t)
{
	struct seg_block *b = reg_segments(r);
	uint32_t next = ck_pr_load_uint(&b->active) ^ 1;
	struct seg_table *dst = &b->tab[next];
	seq_write_begin(&dst->seq);
	/* everything but the lock */
	memcpy((char *)dst + sizeof(dst->seq) + sizeof(dst->pad),
	    (const char *)t + sizeof(t->seq) + sizeof(t->pad),
	    sizeof(*t) - sizeof(t->seq) - sizeof(t->pad));
	seq_write_end(&dst->seq);
	ck_pr_fence_store(); /* the table before readers turn to it */
	ck_pr_store_uint(&b->active, next);
	unsigned h = b->hist_at;
	b->history[h].ms = t->refreshed_ms;
	for (unsigned i = 0; i < SEG_MAX; i++) {
		b->history[h].id[i] = i < t->k ? t->seg[i].id : 0;
		b->history[h].size[i] = i < t->k ? t->seg[i].size : 0;
	}
	b->hist_at = (h + 1) % SEG_HISTORY;
	if (b->hist_n < SEG_HISTORY)
		b->hist_n++;
	ck_pr_store_64(&b->refreshes_done, b->refreshes_done + 1);
}

void seg_options_of(const struct cfg *c, struct seg_options *o)
{
	memset(o, 0, sizeof(*o));
	o->k = c->segments_k;
	o->k_min = c->segments_k_min;
	o->k_max = c->segments_k_max;
	o->seed = c->segment_seed;
	o->sample = c->segment_sample;
	o->overrides = c->segment_overrides[0] ? c->segment_overrides : NULL;
	o->low_confidence = (float)c->segment_low_confidence;
	o->min_share = c->segment_min_share;
}

int seg_refresh(const struct reg *r, const struct seg_options *o,
    struct seg_stats *st, char *err, size_t errlen)
{
	double t0 = _now_s();
	if (!o || o->k > SEG_MAX || o->k_min < 2 || o->k_min > o->k_max ||
	    o->k_max > SEG_MAX) {
		snprintf(err, errlen,
		    "segments: k %u or range %u..%u out of 2..%d", o ? o->k : 0,
		    o ? o->k_min : 0, o ? o->k_max : 0, SEG_MAX);
		return -EINVAL;
	}
	struct seg_block *b = reg_segments(r);
	ck_pr_store_64((uint64_t *)&b->last_ms, (uint64_t)reg_now_wall_ms());
	const struct lrn_params *prm = &r->hdr->params;
	int64_t as_of = o->as_of_ms ? o->as_of_ms : reg_now_wall_ms();
	size_t cap = 0;
	for (unsigned s = 0; s < r->hdr->geo.shards; s++)
		cap += ck_pr_load_uint(&reg_shard(r, s)->count);
	struct _work w = { 0 };
	size_t n = 0;
	int rc = 0;
	if (cap) {
		w.x = malloc(cap * FEAT_COUNT * sizeof(float));
		w.raw = malloc(cap * FEAT_COUNT * sizeof(float));
		w.labels = malloc(cap);
		w.where = malloc(cap * sizeof(uint32_t));
		w.shard = malloc(cap);
		w.key = malloc(cap * sizeof(uint64_t));
		w.prior = calloc(SEG_MAX, sizeof(*w.prior));
		if (!w.x || !w.raw || !w.labels || !w.where || !w.shard ||
		    !w.key || !w.prior)
			rc = -ENOMEM;
	}
	if (!rc)
		rc = _copy(r, &w, cap, prm, as_of, &n);
	if (!rc && o->copied)
		o->copied(o->copied_ctx);
	double t1 = _now_s();
	unsigned need = o->k ? o->k : o->k_min;
	if (!rc && n < need) {
		snprintf(err, errlen, "%zu users with events: fewer than %u", n,
		    need);
		rc = -ENODATA;
	}
	struct km_scaler sc;
	size_t bad = 0;
	if (!rc) {
		memcpy(w.x, w.raw, n * FEAT_COUNT * sizeof(float));
		rc = km_standardize(&sc, w.x, n, FEAT_COUNT, &bad);
	}
	double t2 = _now_s();
	struct km_model *m = rc ? NULL : malloc(sizeof(*m));
	struct seg_table *t = rc ? NULL : calloc(1, sizeof(*t));
	if (!rc && (!m || !t))
		rc = -ENOMEM;
	double sil = NAN;
	if (!rc)
		rc = _cluster(&w, n, o, m, &sil, err, errlen);
	if (!rc) {
		struct seg_table old;
		bool had = seg_read(r, &old) == 0;
		uint32_t ids[SEG_MAX];
		_ids(had ? &old : NULL, m, &sc, ids);
		t->version = (had ? old.version : 0) + 1;
		t->refreshed_ms = reg_now_wall_ms();
		t->as_of_ms = as_of;
		t->k = m->k;
		t->inertia = m->inertia;
		t->silhouette = sil;
		t->low_confidence = o->low_confidence;
		for (unsigned f = 0; f < FEAT_COUNT; f++) {
			t->scale_mean[f] = sc.mean[f];
			t->scale_std[f] = sc.std[f];
		}
		t->users = _describe(r, &w, n, m, prm, t);
		for (unsigned c = 0; c < m->k; c++)
			t->seg[c].id = ids[c];
		if (_drop_gone(t) == 0) {
			snprintf(err, errlen,
			    "every one of the %zu users was erased during the refresh",
			    n);
			rc = -ENODATA;
		}
	}
	if (!rc) {
		if (o->overrides)
			_apply_overrides(o->overrides, t);
		_publish(r, t);
	} else if (rc != -ENODATA) {
		/* Too few users to cluster yet is no failure: the refresh
		 * tries again, and status says "not yet". */
		ck_pr_store_64(&b->failures, b->failures + 1);
	}
	double t3 = _now_s();
	if (st)
		*st = (struct seg_stats){ .users = rc ? n : t->users,
			.k = rc ? 0 : t->k,
			.seconds_copy = t1 - t0,
			.seconds_features = t2 - t1,
			.seconds_cluster = t3 - t2,
			.seconds_total = t3 - t0 };
	free(m);
	free(t);
	_work_free(&w);
	return rc;
}

int seg_read(const struct reg *r, struct seg_table *out)
{
	const struct seg_block *b = reg_segments(r);
	for (int tries = 0; tries < 1000; tries++) {
		uint32_t a = ck_pr_load_uint(&b->active);
		const struct seg_table *t = &b->tab[a & 1];
		if (seq_read_copy(&t->seq, out, t, sizeof(*out)))
			continue;
		if (ck_pr_load_uint(&b->active) != a)
			continue; /* flipped while copying: take the new one */
		return out->version ? 0 : -ENODATA;
	}
	return -EBUSY;
}

void seg_note(const struct reg *r, uint64_t answered, int rc, const char *msg)
{
	struct seg_block *b = reg_segments(r);
	seq_write_begin(&b->note_seq);
	b->note_rc = rc;
	snprintf(b->note, sizeof(b->note), "%s", rc && msg ? msg : "");
	seq_write_end(&b->note_seq);
	/* After the note: a reader that sees its request answered reads
	 * this attempt's note (or a later one). */
	ck_pr_fence_store();
	ck_pr_store_64(&b->answered, answered);
}

int seg_last_note(const struct reg *r, uint64_t *answered, int *rc, char *msg,
    size_t len)
{
	const struct seg_block *b = reg_segments(r);
	*answered = ck_pr_load_64(&b->answered);
	ck_pr_fence_load();
	if (!ck_pr_load_64((const uint64_t *)&b->last_ms))
		return -ENODATA;
	struct {
		int32_t rc;
		char note[SEG_NOTE_MAX + 1];
	} c;
	_Static_assert(offsetof(struct seg_block, note) ==
		offsetof(struct seg_block, note_rc) + sizeof(int32_t),
	    "note follows note_rc");
	if (seq_read_copy(&b->note_seq, &c, &b->note_rc, sizeof(c)))
		return -EBUSY;
	c.note[SEG_NOTE_MAX] = 0;
	*rc = c.rc;
	if (len)
		snprintf(msg, len, "%s", c.note);
	return 0;
}

void seg_assign(const struct seg_table *t, const struct lrn_profile *p,
    const struct lrn_params *prm, int64_t as_of_ms, struct seg_assignment *out)
{
	memset(out, 0, sizeof(*out));
	out->index = -1;
	if (!t->k || p->events == 0)
		return;
	float f[FEAT_COUNT];
	feat_extract(p, prm, as_of_ms, f);
	int best = -1;
	double d1 = INFINITY, d2 = INFINITY;
	for (unsigned c = 0; c < t->k; c++) {
		double d = 0;
		for (unsigned k = 0; k < FEAT_COUNT; k++) {
			double z = t->scale_std[k] > 0
			    ? (f[k] - t->scale_mean[k]) / t->scale_std[k]
			    : 0.0;
			double e = z - t->seg[c].centroid[k];
			d += e * e;
		}
		if (d < d1) {
			d2 = d1;
			d1 = d;
			best = (int)c;
		} else if (d < d2) {
			d2 = d;
		}
	}
	out->index = best;
	out->id = t->seg[best].id;
	double a = sqrt(d1), b = sqrt(d2);
	out->confidence = t->k == 1 ? 1.0f
	    : a + b > 0		    ? (float)((b - a) / (b + a))
				    : 0.0f;
	out->low = out->confidence < t->low_confidence;
}

static void _export_row(FILE *f, const struct seg_table *t,
    const struct lrn_profile *p, const struct lrn_params *prm)
{
	float x[FEAT_COUNT];
	struct seg_assignment a;
	feat_extract(p, prm, t->as_of_ms, x);
	seg_assign(t, p, prm, t->as_of_ms, &a);
	fprintf(f, "%016llx,%u,%.6f", (unsigned long long)p->user_key, a.id,
	    a.confidence);
	for (unsigned k = 0; k < FEAT_COUNT; k++)
		fprintf(f, ",%.9g", x[k]);
	for (unsigned k = 0; k < FEAT_COUNT; k++)
		fprintf(f, ",%.9g",
		    t->scale_std[k] > 0
			? (x[k] - t->scale_mean[k]) / t->scale_std[k]
			: 0.0);
	putc('\n', f);
}

long seg_export(const struct reg *r, const struct seg_table *t, FILE *f)
{
	if (!t->k)
		return -ENODATA;
	fprintf(f, "user_key,segment,confidence");
	for (unsigned k = 0; k < FEAT_COUNT; k++)
		fprintf(f, ",%s", feat_name(k));
	for (unsigned k = 0; k < FEAT_COUNT; k++)
		fprintf(f, ",z_%s", feat_name(k));
	putc('\n', f);
	long rows = 0;
	const struct lrn_params *prm = &r->hdr->params;
	for (unsigned s = 0; s < r->hdr->geo.shards; s++) {
		uint32_t count = ck_pr_load_uint(&reg_shard(r, s)->count);
		for (uint32_t i = 0; i < count; i++) {
			struct lrn_profile p;
			if (prof_copy(r, s, i, &p) || p.events == 0 ||
			    p.user_key == 0)
				continue;
			_export_row(f, t, &p, prm);
			rows++;
		}
	}
	return fflush(f) || ferror(f) ? -EIO : rows;
}
