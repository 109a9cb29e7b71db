/*
 * shim: the engine calls behind the C++ micro-benchmarks (see shim.h). Each
 * step keeps the tallies its verify call checks, so the runs that were timed
 * are the runs that are checked.
 */
#include "bench/shim.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/geo.h"
#include "penchant.h"
#include "shm/ring.h"
#include "shm/profiles.h"
#include "shm/boot.h"
#include "shm/catalog.h"
#include "shm/neighbors.h"
#include "shm/region.h"
#include "shm/segment.h"
#include "ipc/json.h"
#include "ipc/rankreq.h"

#define _ID_LEN 16
#define _ITEMS 16
#define _T0_MS 1700000000000LL

enum { _RING_CK = 0, _RING_STAGE1, _RING_BATCH, _RING_MODES };

struct bsh {
	struct reg r;
	char instance[40];
	unsigned users;
	uint64_t *keys;	      /* user keys, by user number */
	char (*ids)[_ID_LEN]; /* user ids "u<number>" */
	pen_t *pen;

	/* rings: mode -> producer slot */
	struct ring_producer pr; /* slots 1 and 2 (stage modes) */
	struct ring_producer pr2;
	struct evt_record tmpl;
	uint64_t produced[_RING_MODES], consumed[_RING_MODES];
	uint64_t next_seq[_RING_MODES], seq_sum[_RING_MODES];
	uint64_t ring_errors;

	/* learner */
	struct lrn_profile prof;
	struct lrn_params prm;
	struct lrn_item items[_ITEMS];
	struct evt_record lrec;
	uint64_t learn_steps;

	/* reads: a random sequence of users, laid out in the order it is read
	 * so that only the table, not the benchmark, misses the cache */
	uint64_t rng;
	uint64_t *qkeys;
	char (*qids)[_ID_LEN];
	unsigned qpos;
	/* the same laid out for a Zipf (s = 1) sequence: what a service
	 * reading the users of its traffic meets */
	uint64_t *zkeys;
	char (*zids)[_ID_LEN];
	unsigned zpos;
	uint64_t reads, read_errors;

	/* rankings: a user of their own, so the reads above (which expect
	 * one event per user) never meet its 60 */
	char rank_id[_ID_LEN];
	uint64_t rank_key;

	/* rankings: BSH_CANDS catalog items, one rich user */
	struct pen_candidate cands[BSH_CANDS];
	struct pen_candidate cands_rand[BSH_CANDS]; /* scores as a caller's */
	char cand_ids[BSH_CANDS][_ID_LEN];
	struct pen_ranked ranked[BSH_CANDS];
	uint64_t ranks, rank_errors;
	bool ranked_base; /* the last ranking was by base: no neighbours */
	bool segmented;	  /* bsh_rank_segments ran */

	/* the rank API's codec */
	char *body;
	size_t body_len;
	struct rq_decoder *dec;
	struct rq_request rq;
	struct rq_buf out;
	struct json_tok *toks;
	char *scratch;
	uint64_t api_ops, api_errors;
};

static uint64_t _next(uint64_t *x)
{
	/* xorshift64*: cheap and good enough to pick users */
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 0x2545F4914F6CDD1DULL;
}

static unsigned _pick(struct bsh *b)
{
	return (unsigned)(((_next(&b->rng) >> 32) * b->users) >> 32);
}

/* Zipf(1) ranks drawn by inverse CDF, ranks -> users through a random
 * permutation (the hottest users are anywhere in the table). */
static int _zipf_queries(struct bsh *b)
{
	const unsigned n = b->users;
	double *cdf = malloc(n * sizeof(*cdf));
	unsigned *perm = malloc(n * sizeof(*perm));
	b->zkeys = calloc(n, sizeof(*b->zkeys));
	b->zids = calloc(n, sizeof(*b->zids));
	if (!cdf || !perm || !b->zkeys || !b->zids) {
		free(cdf);
		free(perm);
		return -ENOMEM;
	}
	double acc = 0;
	for (unsigned k = 0; k < n; k++) {
		acc += 1.0 / (k + 1);
		cdf[k] = acc;
		perm[k] = k;
	}
	for (unsigned k = n - 1; k > 0; k--) {
		unsigned j =
		    (unsigned)(((_next(&b->rng) >> 32) * (k + 1)) >> 32);
		unsigned t = perm[k];
		perm[k] = perm[j];
		perm[j] = t;
	}
	for (unsigned i = 0; i < n; i++) {
		double x = (double)(_next(&b->rng) >> 11) * 0x1p-53 * acc;
		unsigned lo = 0, hi = n - 1;
		while (lo < hi) {
			unsigned mid = (lo + hi) / 2;
			if (cdf[mid] < x)
				lo = mid + 1;
			else
				hi = mid;
		}
		unsigned u = perm[lo];
		b->zkeys[i] = b->keys[u];
		memcpy(b->zids[i], b->ids[u], _ID_LEN);
	}
	free(cdf);
	free(perm);
	return 0;
}

/* Default settings, sized for `users` in one shard. */
static void _settings(unsigned users, struct cfg *c)
{
	cfg_defaults(c);
	c->shards = 1;
	c->producer_slots = 4;
	c->acceptor_slots = 0;
	c->ring_depth = 4096;
	c->profiles_per_shard = users + 1; /* + the ranked user */
	c->catalog_capacity = 1024;
	c->names_capacity = 256;
}

static void _item(struct lrn_item *it, unsigned n)
{
	memset(it, 0, sizeof(*it));
	it->category = 1000 + n % 5;
	it->n_tags = 4;
	for (unsigned t = 0; t < 4; t++)
		it->tags[t] = 1 + (n * 7 + t * 11) % 40;
}

static int _populate(struct bsh *b, char *err, size_t errlen)
{
	struct evt_record e = b->tmpl;
	struct lrn_item it;
	_item(&it, 0);
	for (unsigned u = 0; u < b->users; u++) {
		int n = snprintf(b->ids[u], _ID_LEN, "u%u", u);
		b->keys[u] = evt_user_key(NULL, b->ids[u], (size_t)n);
		struct prof_ref ref;
		int rc = prof_find_or_insert(&b->r, 0, b->keys[u], &ref);
		if (rc || !ref.inserted) {
			snprintf(err, errlen, "populate: user %u: %s", u,
			    rc ? strerror(-rc) : "key collision");
			return rc ? rc : -EEXIST;
		}
		struct prof_slot *slot = reg_shard_records(&b->r, 0) + ref.rec;
		e.user_key = b->keys[u];
		prof_write_begin(slot);
		lrn_apply(&slot->p, &b->r.hdr->params, &e, &it);
		prof_write_end(slot);
	}
	return 0;
}

int bsh_open(struct bsh **out, unsigned users, char *err, size_t errlen)
{
	*out = NULL;
	struct bsh *b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->users = users;
	b->rng = 0x9E3779B97F4A7C15ULL;
	b->keys = calloc(users, sizeof(*b->keys));
	b->ids = calloc(users, sizeof(*b->ids));
	b->qkeys = calloc(users, sizeof(*b->qkeys));
	b->qids = calloc(users, sizeof(*b->qids));
	if (!b->keys || !b->ids || !b->qkeys || !b->qids) {
		free(b->keys);
		free(b->ids);
		free(b->qkeys);
		free(b->qids);
		free(b);
		return -ENOMEM;
	}
	snprintf(b->instance, sizeof(b->instance), "bench-micro-%d",
	    (int)getpid());
	struct cfg c;
	_settings(users, &c);
	struct boot_options bo = { .running = true };
	int rc = boot_create(&b->r, b->instance, &c, NULL, &bo, err, errlen);
	if (rc) {
		free(b->keys);
		free(b->ids);
		free(b->qkeys);
		free(b->qids);
		free(b);
		return rc;
	}

	memset(&b->tmpl, 0, sizeof(b->tmpl));
	b->tmpl.type = EVT_VIEW;
	b->tmpl.entity_key = 42;
	b->tmpl.time_ms = _T0_MS;
	b->tmpl.scroll_depth = -1.0f;
	b->tmpl.device = EVT_DEV_MOBILE;
	b->tmpl.platform = EVT_PLAT_IOS;
	b->tmpl.daypart = EVT_DP_EVENING;
	b->tmpl.weekday = 2;

	*out = b;
	if ((rc = _populate(b, err, errlen)) ||
	    (rc = pen_open(b->instance, &b->pen, err, errlen))) {
		bsh_close(out);
		return rc;
	}
	/* Steady state: the handle has met every page of the tables, as a
	 * long-running reader's has (a fresh one pays a fault per page). */
	if (getenv("BENCH_COLD") == NULL && (rc = pen_warm(b->pen))) {
		snprintf(err, errlen, "pen_warm: %s", strerror(-rc));
		bsh_close(out);
		return rc;
	}
	for (unsigned i = 0; i < users; i++) {
		unsigned u = _pick(b);
		b->qkeys[i] = b->keys[u];
		memcpy(b->qids[i], b->ids[u], _ID_LEN);
	}
	if ((rc = _zipf_queries(b))) {
		snprintf(err, errlen, "zipf queries: out of memory");
		bsh_close(out);
		return rc;
	}
	ring_producer_init(&b->pr, &b->r, 1);
	ring_producer_init(&b->pr2, &b->r, 2);

	lrn_params_default(&b->prm);
	for (unsigned i = 0; i < _ITEMS; i++)
		_item(&b->items[i], i);
	b->lrec = b->tmpl;
	b->lrec.user_key = 7;
	lrn_profile_init(&b->prof, 7);
	return 0;
}

void bsh_close(struct bsh **bp)
{
	struct bsh *b = *bp;
	if (!b)
		return;
	pen_close(&b->pen);
	reg_detach(&b->r);
	reg_unlink(b->instance);
	free(b->keys);
	free(b->ids);
	free(b->qkeys);
	free(b->qids);
	free(b->zkeys);
	free(b->zids);
	free(b->body);
	free(b->toks);
	free(b->scratch);
	rq_decoder_free(&b->dec);
	rq_buf_free(&b->out);
	free(b);
	*bp = NULL;
}

/* Rings -------------------------------------------------------------------- */

static void _consumed(struct bsh *b, int mode, uint64_t seq)
{
	if (seq != b->next_seq[mode])
		b->ring_errors++;
	b->next_seq[mode] = seq + 1;
	b->seq_sum[mode] += seq;
	b->consumed[mode]++;
}

void bsh_ring_ck_single_step(struct bsh *b)
{
	struct ring_block *rb = reg_ring(&b->r, 0, 0);
	struct evt_record e = b->tmpl, got;
	e.seq = b->produced[_RING_CK];
	if (!ck_ring_enqueue_spsc_evt(&rb->ring, rb->records, &e)) {
		b->ring_errors++;
		return;
	}
	b->produced[_RING_CK]++;
	if (!ck_ring_dequeue_spsc_evt(&rb->ring, rb->records, &got)) {
		b->ring_errors++;
		return;
	}
	_consumed(b, _RING_CK, got.seq);
}

void bsh_ring_stage1_step(struct bsh *b)
{
	struct ring_block *rb = reg_ring(&b->r, 1, 0);
	if (!ring_stage(&b->pr, 0, &b->tmpl)) {
		b->ring_errors++;
		return;
	}
	ring_commit(&b->pr);
	b->produced[_RING_STAGE1]++;
	if (ring_ready(rb) != 1) {
		b->ring_errors++;
		return;
	}
	_consumed(b, _RING_STAGE1, ring_peek(rb, 0)->seq);
	ring_release(rb, 1);
}

void bsh_ring_batch_step(struct bsh *b)
{
	struct ring_block *rb = reg_ring(&b->r, 2, 0);
	for (unsigned i = 0; i < BSH_BATCH; i++)
		if (!ring_stage(&b->pr2, 0, &b->tmpl))
			b->ring_errors++;
		else
			b->produced[_RING_BATCH]++;
	ring_commit(&b->pr2);
	unsigned n = ring_ready(rb);
	if (n != BSH_BATCH)
		b->ring_errors++;
	for (unsigned i = 0; i < n; i++)
		_consumed(b, _RING_BATCH, ring_peek(rb, i)->seq);
	ring_release(rb, n);
}

int bsh_ring_verify(struct bsh *b, char *err, size_t errlen)
{
	static const char *const names[] = { "ck single", "stage 1", "batch" };
	if (b->ring_errors) {
		snprintf(err, errlen,
		    "ring: %llu out-of-order, missing or full records",
		    (unsigned long long)b->ring_errors);
		return -1;
	}
	for (int m = 0; m < _RING_MODES; m++) {
		uint64_t n = b->produced[m];
		/* seqs are 0..n-1 in order: their sum is n(n-1)/2 */
		uint64_t want = n % 2 ? n * ((n - 1) / 2) : (n / 2) * (n - 1);
		if (b->consumed[m] != n || b->seq_sum[m] != want) {
			snprintf(err, errlen,
			    "ring %s: produced %llu consumed %llu, seq sum %llu want %llu",
			    names[m], (unsigned long long)n,
			    (unsigned long long)b->consumed[m],
			    (unsigned long long)b->seq_sum[m],
			    (unsigned long long)want);
			return -1;
		}
	}
	return 0;
}

/* Learner ------------------------------------------------------------------ */

int bsh_learn_reference(char *err, size_t errlen)
{
	/* Two rsvps, a day of silence, then a view: every tag and the
	 * category hold 0.1*1.0*2 * 0.95 + 0.1*0.1 = 0.2 by the DESIGN rules. */
	struct lrn_params prm;
	struct lrn_profile p;
	struct lrn_item it;
	struct evt_record e;
	lrn_params_default(&prm);
	_item(&it, 3);
	lrn_profile_init(&p, 11);
	memset(&e, 0, sizeof(e));
	e.user_key = 11;
	e.entity_key = 5;
	e.scroll_depth = -1.0f;
	e.type = EVT_RSVP;
	e.time_ms = _T0_MS;
	lrn_apply(&p, &prm, &e, &it);
	lrn_apply(&p, &prm, &e, &it);
	e.type = EVT_VIEW;
	e.time_ms = _T0_MS + LRN_DAY_MS;
	lrn_apply(&p, &prm, &e, &it);
	/* as readers see it: weights as of the last event */
	lrn_settle(&p, &prm, sizeof(p));
	const double want = 0.2 * 0.95 + 0.01;
	unsigned found = 0;
	for (unsigned i = 0; i < LRN_TAGS; i++) {
		if (!p.tags[i].id)
			continue;
		found++;
		if (fabs(p.tags[i].w - want) > 1e-6 * want) { /* floats */
			snprintf(err, errlen,
			    "learner: tag %u weight %.12f, want %.12f",
			    p.tags[i].id, p.tags[i].w, want);
			return -1;
		}
	}
	if (found != 4 || p.counts[LRN_N_RSVP] != 2 ||
	    p.counts[LRN_N_VIEW] != 1 || p.events != 3 || !p.cats[0].id ||
	    fabs(p.cats[0].w - want) > 1e-6 * want) {
		snprintf(err, errlen,
		    "learner: %u tags, %u rsvp, %u view, %u events, category %.12f (want 4, 2, 1, 3, %.12f)",
		    found, p.counts[LRN_N_RSVP], p.counts[LRN_N_VIEW], p.events,
		    p.cats[0].w, want);
		return -1;
	}
	return 0;
}

void bsh_learn_step(struct bsh *b, int rotate)
{
	static const uint8_t types[8] = { EVT_VIEW, EVT_VIEW, EVT_CLICK,
		EVT_VIEW, EVT_SAVE, EVT_CLICK, EVT_RSVP, EVT_SHARE };
	uint64_t i = b->learn_steps++;
	b->lrec.type = types[i & 7];
	b->lrec.time_ms = _T0_MS + (int64_t)i * 60000; /* a minute apart */
	b->lrec.daypart = (uint8_t)((i >> 8) & 3);
	const struct lrn_item *it = &b->items[rotate ? (i >> 3) % _ITEMS : 0];
	lrn_apply(&b->prof, &b->prm, &b->lrec, it);
}

int bsh_learn_verify(struct bsh *b, char *err, size_t errlen)
{
	uint64_t sum = 0;
	for (unsigned i = 0; i < LRN_N_COUNT; i++)
		sum += b->prof.counts[i];
	if (b->prof.events != (uint32_t)b->learn_steps ||
	    (uint32_t)sum != (uint32_t)b->learn_steps || !b->prof.tags[0].id) {
		snprintf(err, errlen,
		    "learner: %llu steps, profile says %u events, counts sum %llu",
		    (unsigned long long)b->learn_steps, b->prof.events,
		    (unsigned long long)sum);
		return -1;
	}
	return 0;
}

/* Reads -------------------------------------------------------------------- */

static unsigned _next_query(struct bsh *b)
{
	unsigned i = b->qpos++;
	if (b->qpos == b->users)
		b->qpos = 0;
	return i;
}

void bsh_prof_read_step(struct bsh *b)
{
	unsigned i = _next_query(b);
	struct lrn_profile p;
	b->reads++;
	if (prof_read(&b->r, b->qkeys[i], &p) || p.user_key != b->qkeys[i] ||
	    p.events != 1)
		b->read_errors++;
}

void bsh_pen_read_step(struct bsh *b)
{
	unsigned i = _next_query(b);
	struct pen_profile p;
	b->reads++;
	if (pen_profile_read(b->pen, b->qids[i], strlen(b->qids[i]), &p, 0) ||
	    p.user_key != b->qkeys[i] || p.events != 1 || p.n_tags != 4)
		b->read_errors++;
}

void bsh_prof_read_hot_step(struct bsh *b)
{
	unsigned i = _next_query(b);
	struct lrn_profile p;
	b->reads++;
	if (prof_read_part(&b->r, b->qkeys[i], &p, LRN_HOT_BYTES) ||
	    p.user_key != b->qkeys[i] || p.events != 1)
		b->read_errors++;
}

/* The raw copy again, its key hashed from the id as pen_profile_hot_read
 * hashes it: the same dependent chain (id -> key -> index line -> record)
 * without the export. The raw row above reads keys computed beforehand,
 * so the processor runs ahead into the next lookups and overlaps their
 * misses; a call that must hash each id first gets much less of that. */
void bsh_prof_read_hot_by_id_step(struct bsh *b)
{
	unsigned i = _next_query(b);
	struct lrn_profile p;
	uint64_t key =
	    evt_user_key(&b->r.hdr->limits, b->qids[i], strlen(b->qids[i]));
	b->reads++;
	if (prof_read_part(&b->r, key, &p, LRN_HOT_BYTES) ||
	    p.user_key != b->qkeys[i] || p.events != 1)
		b->read_errors++;
}

void bsh_pen_hot_step(struct bsh *b)
{
	unsigned i = _next_query(b);
	struct pen_profile_hot p;
	b->reads++;
	if (pen_profile_hot_read(b->pen, b->qids[i], strlen(b->qids[i]), &p) ||
	    p.user_key != b->qkeys[i] || p.events != 1 || p.n_tags != 4)
		b->read_errors++;
}

void bsh_pen_hot_zipf_step(struct bsh *b)
{
	unsigned i = b->zpos++;
	struct pen_profile_hot p;
	if (b->zpos == b->users)
		b->zpos = 0;
	b->reads++;
	if (pen_profile_hot_read(b->pen, b->zids[i], strlen(b->zids[i]), &p) ||
	    p.user_key != b->zkeys[i] || p.events != 1 || p.n_tags != 4)
		b->read_errors++;
}

void bsh_pen_hot_many_step(struct bsh *b)
{
	struct pen_user u[BSH_HOT_BATCH];
	struct pen_profile_hot p[BSH_HOT_BATCH];
	int rc[BSH_HOT_BATCH];
	unsigned q[BSH_HOT_BATCH];
	for (unsigned i = 0; i < BSH_HOT_BATCH; i++) {
		q[i] = _next_query(b);
		u[i] =
		    (struct pen_user){ b->qids[q[i]], strlen(b->qids[q[i]]) };
	}
	b->reads += BSH_HOT_BATCH;
	if (pen_profile_hot_read_many(b->pen, u, BSH_HOT_BATCH, p, rc) !=
	    BSH_HOT_BATCH) {
		b->read_errors += BSH_HOT_BATCH;
		return;
	}
	for (unsigned i = 0; i < BSH_HOT_BATCH; i++)
		if (p[i].user_key != b->qkeys[q[i]] || p[i].events != 1 ||
		    p[i].n_tags != 4)
			b->read_errors++;
}

int bsh_read_verify(struct bsh *b, char *err, size_t errlen)
{
	if (b->read_errors || !b->reads) {
		snprintf(err, errlen, "reads: %llu of %llu wrong",
		    (unsigned long long)b->read_errors,
		    (unsigned long long)b->reads);
		return -1;
	}
	return 0;
}

int bsh_huge_mode(char *mode, size_t len)
{
	return reg_huge_mode(mode, len);
}

double bsh_bytes_per_user(const struct bsh *b)
{
	const struct reg_geometry *g = &b->r.hdr->geo;
	double bytes = (double)g->index_slots * sizeof(struct prof_index) +
	    (double)g->profiles_per_shard * sizeof(struct prof_slot);
	return bytes / g->profiles_per_shard;
}

/* The user the rankings are for: "ranked" with 60 events over 8
 * categories, at several hours and places, so every factor has something
 * to read. */
/* A full neighbour list for each item the ranked user touched lately
 * (the most a ranking sums: LRN_SEEN lists of NBR_K), over the
 * candidates: the collaborative factor's whole cost is measured. */
static int _rank_neighbors(struct bsh *b, const struct lrn_profile *p,
    char *err, size_t errlen)
{
	uint32_t hist[LRN_SEEN];
	unsigned n = nbr_history(p, hist);
	for (unsigned h = 0; h < n; h++) {
		struct nbr_list l;
		memset(&l, 0, sizeof(l));
		for (unsigned k = 0; k < NBR_K; k++) {
			const char *id =
			    b->cand_ids[(h * 37 + k * 5) % BSH_CANDS];
			l.fold[k] =
			    lrn_seen_fold(evt_entity_key(id, strlen(id)));
			l.sim[k] = (uint16_t)(NBR_SIM_ONE / (k + 2));
		}
		int rc = nbrs_put(&b->r, hist[h], &l);
		if (rc) {
			snprintf(err, errlen, "neighbour lists: %s",
			    strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int bsh_rank_setup(struct bsh *b, char *err, size_t errlen)
{
	int rc = cat_lock(&b->r, err, errlen);
	uint64_t seed = 7;
	if (rc)
		return rc;
	for (unsigned i = 0; i < BSH_CANDS && !rc; i++) {
		struct cat_item it;
		memset(&it, 0, sizeof(it));
		it.item.category = 2000 + i % 8;
		it.item.n_tags = 3;
		for (unsigned t = 0; t < 3; t++)
			it.item.tags[t] = 1 + (i * 7 + t * 13) % 40;
		it.start_ms = _T0_MS + (int64_t)(i % 24) * 3600000;
		it.setting = 1 + i % 2;
		it.group_friendly = 1 + i % 2;
		it.price_level = 255;
		geo_encode(52.5 + (i % 10) * 0.01, 13.4, 6, &it.geo_cell);
		snprintf(b->cand_ids[i], _ID_LEN, "item-%u", i);
		rc = cat_put(&b->r,
		    evt_entity_key(b->cand_ids[i], strlen(b->cand_ids[i])),
		    &it);
		b->cands[i] =
		    (struct pen_candidate){ .entity_id = b->cand_ids[i],
			    .score = 1.0 + (double)(i % 17) / 17.0 };
		/* A caller's own scores spread over decades (uniform with
		 * three decimals, as http-bench sends them), one of them 0
		 * (a candidate without a score of its own). */
		b->cands_rand[i] = b->cands[i];
		b->cands_rand[i].score =
		    i == 150 ? 0.0 : (double)(_next(&seed) % 1000) / 1000.0;
	}
	cat_unlock(&b->r);
	if (rc) {
		snprintf(err, errlen, "catalog: %s", strerror(-rc));
		return rc;
	}
	unsigned s = 0;
	struct prof_ref ref;
	snprintf(b->rank_id, sizeof(b->rank_id), "ranked");
	b->rank_key = evt_user_key(NULL, b->rank_id, strlen(b->rank_id));
	if ((rc = prof_find_or_insert(&b->r, s, b->rank_key, &ref))) {
		snprintf(err, errlen, "ranked user: %s", strerror(-rc));
		return rc;
	}
	struct prof_slot *slot = reg_shard_records(&b->r, s) + ref.rec;
	for (unsigned k = 0; k < 60; k++) {
		struct evt_record e = b->tmpl;
		struct cat_item it;
		const char *id = b->cand_ids[(k * 11) % BSH_CANDS];
		e.user_key = b->rank_key;
		e.entity_key = evt_entity_key(id, strlen(id));
		e.type = k % 5 ? EVT_CLICK : EVT_SAVE;
		e.time_ms = _T0_MS + (int64_t)k * 1800000;
		e.daypart = (uint8_t)(k % 4);
		geo_encode(52.5 + (k % 3) * 0.01, 13.4, 6, &e.geo_cell);
		cat_get(&b->r, e.entity_key, &it);
		prof_write_begin(slot);
		lrn_apply(&slot->p, &b->r.hdr->params, &e, &it.item);
		prof_write_end(slot);
	}
	return _rank_neighbors(b, &slot->p, err, errlen);
}

int bsh_rank_segments(struct bsh *b, char *err, size_t errlen)
{
	if (b->segmented)
		return 0;
	struct cfg c;
	struct seg_options o;
	struct seg_stats st;
	cfg_defaults(&c);
	seg_options_of(&c, &o);
	o.k = 4;
	o.as_of_ms = _T0_MS + 40 * 1800000LL;
	int rc = seg_refresh(&b->r, &o, &st, err, errlen);
	b->segmented = rc == 0;
	return rc;
}

static void _rank_of(struct bsh *b, const char *strategy,
    const struct pen_candidate *cands)
{
	struct pen_context ctx = { .time_ms = _T0_MS + 40 * 1800000LL,
		.has_location = 1,
		.lat = 52.51,
		.lon = 13.4,
		.weather = "rainy",
		.social = "friends",
		.device = "mobile" };
	struct pen_rank_options o = { .strategy = strategy,
		.k = 20,
		.epsilon = -1,
		.explore_weight = -1,
		.mmr_lambda = -1,
		.serendipity_every = -1 };
	b->ranks++;
	b->ranked_base = !strcmp(strategy, "base");
	if (pen_rerank(b->pen, b->rank_id, strlen(b->rank_id), &ctx, cands,
		BSH_CANDS, &o, b->ranked, NULL))
		b->rank_errors++;
}

static void _rank(struct bsh *b, const char *strategy)
{
	_rank_of(b, strategy, b->cands);
}

void bsh_rank_profile_step(struct bsh *b)
{
	_rank(b, "profile");
}
void bsh_rank_context_step(struct bsh *b)
{
	_rank(b, "context");
}
void bsh_rank_full_step(struct bsh *b)
{
	_rank(b, "full");
}
void bsh_rank_full_spread_step(struct bsh *b)
{
	_rank_of(b, "full", b->cands_rand);
}
void bsh_rank_explore_step(struct bsh *b)
{
	_rank(b, "explore");
}
void bsh_rank_diverse_step(struct bsh *b)
{
	_rank(b, "diverse");
}
void bsh_rank_base_step(struct bsh *b)
{
	_rank(b, "base");
}

int bsh_rank_verify(struct bsh *b, char *err, size_t errlen)
{
	unsigned char seen[BSH_CANDS] = { 0 };
	unsigned collab = 0;
	for (unsigned i = 0; i < BSH_CANDS; i++) {
		if (b->ranked[i].index < BSH_CANDS)
			seen[b->ranked[i].index]++;
		collab += b->ranked[i].collab > 1.0f;
	}
	/* the neighbour lists were not read (base reads none) */
	if (!collab && !b->ranked_base)
		b->rank_errors++;
	for (unsigned i = 0; i < BSH_CANDS; i++)
		if (seen[i] != 1 || (b->segmented && !b->ranked[i].segment))
			b->rank_errors++; /* with segments, each names one */
	if (b->rank_errors || !b->ranks) {
		snprintf(err, errlen, "rankings: %llu of %llu wrong",
		    (unsigned long long)b->rank_errors,
		    (unsigned long long)b->ranks);
		return -1;
	}
	return 0;
}

/* The rank API's codec ---------------------------------------------------- */

#define _API_TOKS 4096

int bsh_api_setup(struct bsh *b, char *err, size_t errlen)
{
	size_t cap = 64 + (size_t)BSH_CANDS * 64;
	b->body = malloc(cap);
	b->toks = calloc(_API_TOKS, sizeof(*b->toks));
	b->scratch = malloc(1 << 16);
	if (!b->body || !b->toks || !b->scratch ||
	    rq_decoder_new(&b->dec, NULL)) {
		snprintf(err, errlen, "api setup: out of memory");
		return -ENOMEM;
	}
	/* As http-bench sends it: ids, base scores with 6 decimals. */
	size_t n = (size_t)snprintf(b->body, cap,
	    "{\"user_id\":\"u17\",\"candidates\":[");
	uint64_t x = 99;
	for (unsigned i = 0; i < BSH_CANDS; i++)
		n += (size_t)snprintf(b->body + n, cap - n,
		    "%s{\"entity_id\":\"item-%u\",\"score\":%.6f}",
		    i ? "," : "", (unsigned)(_next(&x) % 2000),
		    (double)(_next(&x) % 1000000) / 1e6);
	n += (size_t)snprintf(b->body + n, cap - n,
	    "],\"options\":{\"strategy\":\"full\",\"k\":20}}");
	b->body_len = n;
	for (unsigned i = 0; i < BSH_CANDS; i++)
		b->ranked[i] = (struct pen_ranked){ .index = BSH_CANDS - 1 - i,
			.score = 1.0 / (1 + i),
			.affinity = 1.2f,
			.confidence = 0.7f,
			.time = 1.25f,
			.distance = 0.873f,
			.weather = 1,
			.social = 1,
			.device = 1,
			.context = 1.09125f,
			.fatigue = 1,
			.novelty = 1,
			.explore = 1 };
	return 0;
}

void bsh_api_parse_step(struct bsh *b)
{
	struct json_work w;
	size_t n = 0;
	json_work_init(&w, b->toks, _API_TOKS, b->scratch, 1 << 16);
	b->api_ops++;
	if (json_parse(b->body, b->body_len, &w, &n, NULL, 0) || n < BSH_CANDS)
		b->api_errors++;
}

void bsh_api_decode_step(struct bsh *b)
{
	struct rq_error e;
	b->api_ops++;
	if (rq_decode_json(b->dec, b->body, b->body_len, &b->rq, &e) ||
	    b->rq.n != BSH_CANDS)
		b->api_errors++;
}

void bsh_api_encode_step(struct bsh *b)
{
	b->api_ops++;
	if (b->rq.n != BSH_CANDS) { /* decode ran first */
		struct rq_error e;
		if (rq_decode_json(b->dec, b->body, b->body_len, &b->rq, &e))
			b->api_errors++;
	}
	b->out.len = 0;
	if (rq_encode_json(&b->out, &b->rq, b->ranked, 0x1234) ||
	    b->out.len < 20 * 200)
		b->api_errors++;
}

int bsh_api_verify(struct bsh *b, char *err, size_t errlen)
{
	if (b->api_errors || !b->api_ops) {
		snprintf(err, errlen, "api codec: %llu of %llu wrong",
		    (unsigned long long)b->api_errors,
		    (unsigned long long)b->api_ops);
		return -1;
	}
	return 0;
}
