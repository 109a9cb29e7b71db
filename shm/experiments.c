/*
 * experiments: definitions, assignment and outcome counts in the region
 * (experiments.h).
 */
#include "shm/experiments.h"

#include <ck_pr.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine/rng.h"
#include "shm/seqlock.h"

/* The run word (struct exp_slot): its start and its counts' buffer. */
static int64_t _run_start(uint64_t run)
{
	return (int64_t)(run >> 1);
}

static struct exp_run *_run_counts(struct exp_slot *sl, uint64_t run)
{
	return &sl->runs[run & 1];
}

/* The current run of sl, one load: what lock-free adders go by. */
static uint64_t _run_now(const struct exp_slot *sl)
{
	return ck_pr_load_64((const uint64_t *)&sl->run);
}

/*
 * Starts sl's next run at start_ms, under its sequence lock: the buffer
 * the new run counts in is the run before last's, which no adder takes
 * any more, cleared before the run is published; adders of the run
 * before that read it in time keep adding to its own buffer.
 */
static void _new_run(struct exp_slot *sl, int64_t start_ms)
{
	uint64_t gen = sl->generation + 1;
	memset(&sl->runs[gen & 1], 0, sizeof(sl->runs[0]));
	ck_pr_fence_store();
	ck_pr_store_64((uint64_t *)&sl->loaded_ms, (uint64_t)start_ms);
	ck_pr_store_64(&sl->run, (uint64_t)start_ms << 1 | (gen & 1));
	sl->generation = gen;
}

int expb_lock(const struct reg *r, char *err, size_t errlen)
{
	int rc = reg_writer_lock(&reg_experiments(r)->writer, "the experiments",
	    err, errlen);
	if (rc)
		return rc;
	/* No loader is writing now: an odd count is a dead one's, left
	 * mid-definition (part old, part new, counts maybe half reset).
	 * The slot is stopped and its run ended (a new generation), so
	 * readers stop giving up on it and nothing is served from half a
	 * definition; the load rewrites what it keeps. */
	struct exp_block *b = reg_experiments(r);
	for (unsigned i = 0; i < EXP_MAX; i++) {
		struct exp_slot *sl = &b->slot[i];
		if (!(ck_pr_load_uint(&sl->seq.sequence) & 1))
			continue;
		/* A real end: no counts carried into a next run (its users
		 * counted again under a new tag), and no name, so a load
		 * of the same test starts it fresh. */
		seq_write_begin(&sl->seq); /* moves an odd count by 2 */
		ck_pr_store_uint(&sl->active, 0);
		_new_run(sl, sl->loaded_ms);
		memset(sl->def.name, 0, sizeof(sl->def.name));
		seq_write_end(&sl->seq);
	}
	return 0;
}

bool expb_reclaim(const struct reg *r)
{
	struct exp_block *b = reg_experiments(r);
	char err[160];
	int32_t w = ck_pr_load_int(&b->writer);
	if (!w || w == (int32_t)gettid() || expb_lock(r, err, sizeof(err)))
		return false; /* free, ours, or its holder is alive */
	/* Released without counting a load: none was completed. */
	ck_pr_fence_store();
	ck_pr_store_int(&b->writer, 0);
	return true;
}

void expb_repair_looks(const struct reg *r)
{
	struct exp_block *b = reg_experiments(r);
	for (unsigned i = 0; i < EXP_MAX; i++)
		seq_repair(&b->slot[i].look_seq);
}

void expb_unlock(const struct reg *r, bool loaded)
{
	struct exp_block *b = reg_experiments(r);
	ck_pr_fence_store();
	if (loaded) /* a refused load changed nothing */
		ck_pr_store_64(&b->version, b->version + 1);
	ck_pr_store_int(&b->writer, 0);
}

static int _find(const struct exp_block *b, const char *name)
{
	for (unsigned i = 0; i < b->n && i < EXP_MAX; i++)
		if (!strcmp(b->slot[i].def.name, name))
			return (int)i;
	return -1;
}

/* Whether two definitions test the same thing on the same users (their
 * times and allocation may differ: extending or steering a test is not a
 * new one). */
static bool _same_test(const struct exp_def *a, const struct exp_def *b)
{
	if (a->n_variants != b->n_variants || strcmp(a->salt, b->salt) ||
	    a->segment != b->segment)
		return false;
	for (unsigned k = 0; k < a->n_variants && k < EXP_VARIANTS; k++) {
		const struct exp_variant *x = &a->v[k], *y = &b->v[k];
		if (strcmp(x->name, y->name) || x->strategy != y->strategy ||
		    x->diversifier != y->diversifier ||
		    x->weight != y->weight || x->epsilon != y->epsilon ||
		    x->explore_weight != y->explore_weight ||
		    x->mmr_lambda != y->mmr_lambda ||
		    x->dpp_theta != y->dpp_theta)
			return false;
	}
	return true;
}

/* A slot for a new experiment: a never-used one, else an inactive one. */
static int _free_slot(struct exp_block *b, const bool *keep)
{
	if (b->n < EXP_MAX)
		return (int)b->n++;
	for (unsigned i = 0; i < EXP_MAX; i++)
		if (!keep[i])
			return (int)i;
	return -1;
}

static void _put(struct exp_slot *sl, const struct exp_def *d, bool fresh,
    int64_t now_ms, unsigned order)
{
	seq_write_begin(&sl->seq);
	if (fresh)
		/* Strictly after the run before's start: its requests are
		 * stamped after that, never after this one (expb_choose).
		 * The looks are the segmenter's: they go stale with the
		 * generation (look_gen), not cleared here. */
		_new_run(sl,
		    now_ms > sl->loaded_ms ? now_ms : sl->loaded_ms + 1);
	sl->def = *d;
	ck_pr_store_32(&sl->order, order);
	sl->active = 1;
	seq_write_end(&sl->seq);
}

int expb_load(const struct reg *r, const struct exp_def *defs, unsigned n,
    int64_t now_ms, char *err, size_t errlen)
{
	struct exp_block *b = reg_experiments(r);
	if (n > EXP_MAX) {
		snprintf(err, errlen, "%u experiments: at most %d run at once",
		    n, EXP_MAX);
		return -ENOSPC;
	}
	for (unsigned i = 0; i < n; i++) {
		int rc = exp_check(&defs[i], err, errlen);
		if (rc)
			return rc;
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(defs[i].name, defs[j].name)) {
				snprintf(err, errlen,
				    "experiment '%s' is defined twice",
				    defs[i].name);
				return -EINVAL;
			}
	}
	bool keep[EXP_MAX] = { false };
	int at[EXP_MAX];
	for (unsigned i = 0; i < n; i++)
		if ((at[i] = _find(b, defs[i].name)) >= 0)
			keep[at[i]] = true;
	for (unsigned i = 0; i < n; i++) {
		bool fresh = at[i] < 0;
		if (fresh && (at[i] = _free_slot(b, keep)) < 0) {
			snprintf(err, errlen, "no free experiment slot");
			return -ENOSPC;
		}
		keep[at[i]] = true;
		/* A changed split, variant set or target segment starts the
		 * counts anew: old counts would mix two experiments. */
		fresh = fresh || !_same_test(&b->slot[at[i]].def, &defs[i]);
		_put(&b->slot[at[i]], &defs[i], fresh, now_ms, i);
	}
	for (unsigned i = 0; i < b->n && i < EXP_MAX; i++)
		if (!keep[i])
			ck_pr_store_uint(&b->slot[i].active, 0);
	return 0;
}

unsigned expb_slots(const struct reg *r)
{
	unsigned n = ck_pr_load_uint(&reg_experiments(r)->n);
	return n < EXP_MAX ? n : EXP_MAX;
}

static void _counts(const struct exp_arm *a, struct exp_counts *c)
{
	c->users = ck_pr_load_64(&a->users);
	c->exposures = ck_pr_load_64(&a->exposures);
	c->impressions = ck_pr_load_64(&a->impressions);
	c->clicks = ck_pr_load_64(&a->clicks);
	c->conversions = ck_pr_load_64(&a->conversions);
	c->reward_sq = ck_pr_load_64(&a->reward_sq);
	c->clicked = ck_pr_load_64(&a->clicked);
	c->converted = ck_pr_load_64(&a->converted);
	c->rr_sum = (double)ck_pr_load_64(&a->rr_micro) / 1e6;
}

int expb_read(const struct reg *r, unsigned i, struct exp_view *out)
{
	if (i >= expb_slots(r))
		return -ENOENT;
	const struct exp_slot *sl = &reg_experiments(r)->slot[i];
	memset(out, 0, sizeof(*out));
	for (int tries = 0; tries < 1000; tries++) {
		long v = seq_read_begin(&sl->seq);
		if (v < 0)
			return -EBUSY;
		out->active = ck_pr_load_uint(&sl->active);
		out->generation = sl->generation;
		out->loaded_ms = sl->loaded_ms;
		out->def = sl->def;
		const struct exp_run *run = &sl->runs[sl->run & 1];
		for (unsigned k = 0; k < EXP_VARIANTS; k++)
			_counts(&run->arm[k], &out->counts[k]);
		out->evicted = ck_pr_load_64(&run->evicted);
		out->stale = ck_pr_load_64(&run->stale);
		if (seq_read_retry(&sl->seq, v))
			continue;
		if ((v = seq_read_begin(&sl->look_seq)) < 0)
			return -EBUSY;
		uint64_t look_gen = sl->look_gen;
		out->look = sl->look;
		out->bandit = sl->bandit != 0;
		for (unsigned k = 0; k < EXP_VARIANTS; k++)
			out->weights[k] = sl->weights[k];
		if (seq_read_retry(&sl->look_seq, v))
			continue;
		if (look_gen != out->generation) { /* of a run before */
			memset(&out->look, 0, sizeof(out->look));
			out->bandit = false;
			memset(out->weights, 0, sizeof(out->weights));
		}
		return 0;
	}
	return -EBUSY;
}

/*
 * The active slots of b's first n in the order of the last load's file
 * (slot order follows the load history instead: a slot is kept by name
 * and freed ones are reused). A load in progress may mix the old order
 * and the new for a moment.
 */
static unsigned _in_order(const struct exp_block *b, unsigned n, unsigned *at)
{
	uint32_t key[EXP_MAX];
	unsigned k = 0;
	for (unsigned i = 0; i < n; i++) {
		if (!ck_pr_load_uint(&b->slot[i].active))
			continue;
		uint32_t o = ck_pr_load_32(&b->slot[i].order);
		unsigned j = k++;
		for (; j > 0 && key[j - 1] > o; j--) {
			key[j] = key[j - 1];
			at[j] = at[j - 1];
		}
		key[j] = o;
		at[j] = i;
	}
	return k;
}

int expb_choose(const struct reg *r, uint64_t user_key, int64_t now_ms,
    int segment, bool expose, unsigned *arm, unsigned *seen_bit,
    struct exp_variant *v, int64_t *run_ms)
{
	struct exp_block *b = reg_experiments(r);
	const uint8_t *secret = r->hdr->limits.user_secret;
	unsigned order[EXP_MAX];
	unsigned n = _in_order(b, expb_slots(r), order);
	for (unsigned o = 0; o < n; o++) {
		unsigned i = order[o];
		struct exp_slot *sl = &b->slot[i];
		struct exp_def d;
		double w[EXP_VARIANTS];
		bool bandit = false;
		long ver;
		uint64_t gen = 0, look_gen = 0, run = 0;
		/* A slot whose count stays odd (a writer died mid-write) is
		 * passed by: this call ranks without that experiment. */
		do {
			if ((ver = seq_read_begin(&sl->seq)) < 0)
				break;
			d = sl->def;
			gen = sl->generation;
			run = sl->run;
		} while (seq_read_retry(&sl->seq, ver));
		if (ver < 0)
			continue;
		do {
			if ((ver = seq_read_begin(&sl->look_seq)) < 0)
				break;
			bandit = ck_pr_load_uint(&sl->bandit) != 0;
			look_gen = sl->look_gen;
			memcpy(w, sl->weights, sizeof(w));
		} while (seq_read_retry(&sl->look_seq, ver));
		/* No looks to go by: an even split. */
		bandit = bandit && ver >= 0 && look_gen == gen;
		int k = exp_assign(&d, secret, user_key, now_ms, segment,
		    bandit ? w : NULL);
		if (k < 0)
			continue;
		*arm = i * EXP_VARIANTS + (unsigned)k + 1;
		*seen_bit = i * 8 + (unsigned)(gen % 7) + 1;
		*v = d.v[k];
		if (run_ms)
			*run_ms = _run_start(run);
		if (expose)
			expb_expose(r, *arm, run);
		return (int)i;
	}
	return -1;
}

uint64_t expb_run(const struct reg *r, unsigned slot)
{
	if (slot >= EXP_MAX)
		return 0;
	return _run_now(&reg_experiments(r)->slot[slot]);
}

void expb_expose(const struct reg *r, unsigned arm, uint64_t run)
{
	if (!arm || arm > EXP_MAX * EXP_VARIANTS)
		return;
	struct exp_slot *sl =
	    &reg_experiments(r)->slot[(arm - 1) / EXP_VARIANTS];
	ck_pr_inc_64(
	    &_run_counts(sl, run)->arm[(arm - 1) % EXP_VARIANTS].exposures);
}

/* Whether a request (or exposure) made at t_ms belongs to run: made
 * after it started. Requests of a run before it, or of another
 * experiment the slot held, carry the same arm. */
static bool _of_run(uint64_t run, int64_t t_ms)
{
	return t_ms > _run_start(run);
}

/* The tag profile p holds for a slot (0: never counted there). */
static unsigned _mark(const struct lrn_profile *p, unsigned slot)
{
	uint32_t all = p->exp_seen | (uint32_t)p->exp_seen_hi << 16;
	return (all >> (3 * slot)) & 7;
}

static void _mark_set(struct lrn_profile *p, unsigned slot, unsigned tag)
{
	uint32_t all = p->exp_seen | (uint32_t)p->exp_seen_hi << 16;
	all = (all & ~(7u << (3 * slot))) | tag << (3 * slot);
	p->exp_seen = (uint16_t)all;
	p->exp_seen_hi = (uint8_t)(all >> 16);
}

/* A seen code (slot * 8 + tag) that names a slot and a tag. */
static bool _code_ok(unsigned code)
{
	return code >> 3 < EXP_MAX && (code & 7) != 0;
}

bool expb_first(const struct lrn_profile *p, unsigned seen_bit)
{
	return p && _code_ok(seen_bit) &&
	    _mark(p, seen_bit >> 3) != (seen_bit & 7);
}

void expb_expose_record(uint64_t user_key, unsigned arm, unsigned seen_bit,
    int64_t now_ms, struct evt_record *e)
{
	memset(e, 0, sizeof(*e));
	e->user_key = user_key;
	e->time_ms = now_ms;
	e->control = EVT_CTL_EXPOSE;
	e->consent = (uint8_t)seen_bit;
	e->position = (uint16_t)arm;
	e->scroll_depth = -1.0f;
}

void expb_exposed(const struct reg *r, struct lrn_profile *p,
    const struct evt_record *e)
{
	unsigned code = e->consent, arm = e->position;
	if (!_code_ok(code) || !arm || arm > EXP_MAX * EXP_VARIANTS ||
	    _mark(p, code >> 3) == (code & 7))
		return;
	struct exp_slot *sl =
	    &reg_experiments(r)->slot[(arm - 1) / EXP_VARIANTS];
	uint64_t run = _run_now(sl);
	if (!_of_run(run, e->time_ms))
		return; /* exposed in a run before: not one of this run's */
	_mark_set(p, code >> 3, code & 7);
	ck_pr_inc_64(
	    &_run_counts(sl, run)->arm[(arm - 1) % EXP_VARIANTS].users);
}

/* The set of request id in a shard's table. Ids are a lattice (a
 * millisecond's differ in their low bits, milliseconds by 2^22): a
 * multiplication alone left 4 sets in 10 unused; splitmix64's mixer
 * spreads them. */
static struct exp_request *_req_set(const struct reg *r, unsigned s,
    uint64_t id)
{
	/* reg_layout: a power of two of at least two sets. */
	unsigned sets = r->hdr->geo.experiment_requests / REG_EXP_REQ_WAYS;
	unsigned bits = (unsigned)__builtin_ctz(sets);
	uint64_t x = id;
	return reg_exp_requests(r, s) +
	    (rng_mix64(&x) >> (64 - bits)) * REG_EXP_REQ_WAYS;
}

/* Whether request id can still get outcomes at event time now_ms. */
static bool _req_live(const struct reg *r, uint64_t id, int64_t now_ms)
{
	return now_ms - evt_request_time(id) <=
	    (int64_t)r->hdr->rank.attribution_window_s * 1000;
}

/* Counts on its experiment a request whose state is lost while it can
 * still get outcomes: its next one is taken for its first. */
static void _evicted(const struct reg *r, uint64_t id)
{
	unsigned arm = evt_request_arm(id);
	if (!arm || arm > EXP_MAX * EXP_VARIANTS)
		return;
	struct exp_slot *sl =
	    &reg_experiments(r)->slot[(arm - 1) / EXP_VARIANTS];
	uint64_t run = _run_now(sl);
	if (_of_run(run, evt_request_time(id))) /* not a run before's */
		ck_pr_inc_64(&_run_counts(sl, run)->evicted);
}

/*
 * The entry of request id in shard s's table: its own, else a free one,
 * else the one of the set's oldest request (by the time in its id),
 * cleared for id. Only the shard's worker calls it.
 */
static struct exp_request *_req(const struct reg *r, unsigned s, uint64_t id,
    int64_t now_ms)
{
	struct exp_request *set = _req_set(r, s, id);
	struct exp_request *take = &set[0];
	for (unsigned w = 0; w < REG_EXP_REQ_WAYS; w++) {
		if (set[w].id == id)
			return &set[w];
		if (take->id &&
		    (!set[w].id ||
			evt_request_time(set[w].id) <
			    evt_request_time(take->id)))
			take = &set[w];
	}
	if (take->id && _req_live(r, take->id, now_ms))
		_evicted(r, take->id);
	*take = (struct exp_request){ .id = id };
	return take;
}

void expb_outcome(const struct reg *r, unsigned s, const struct evt_record *e,
    bool impression, bool action, bool conversion)
{
	unsigned arm = evt_request_arm(e->request_id);
	if (!arm || arm > EXP_MAX * EXP_VARIANTS)
		return;
	struct exp_slot *sl =
	    &reg_experiments(r)->slot[(arm - 1) / EXP_VARIANTS];
	uint64_t run = _run_now(sl);
	struct exp_run *c = _run_counts(sl, run);
	struct exp_arm *a = &c->arm[(arm - 1) % EXP_VARIANTS];
	if ((impression || action) &&
	    !_of_run(run, evt_request_time(e->request_id))) {
		ck_pr_inc_64(&c->stale);
		return;
	}
	if (impression) {
		ck_pr_inc_64(&a->impressions);
		return;
	}
	if (!action)
		return;
	/* The reward of the request so far, r0: the sum of squares moves
	 * by (r0 + add)^2 - r0^2, and r0 == 0 is its first click. */
	struct exp_request *q = _req(r, s, e->request_id, e->time_ms);
	uint64_t r0 = q->reward, add = 1 + (conversion ? 1 : 0);
	q->reward = (uint32_t)(r0 + add);
	ck_pr_inc_64(&a->clicks);
	if (!r0)
		ck_pr_inc_64(&a->clicked);
	if (conversion) {
		ck_pr_inc_64(&a->conversions);
		if (!q->conversions++)
			ck_pr_inc_64(&a->converted);
	}
	ck_pr_add_64(&a->reward_sq, 2 * r0 * add + add * add);
	if (e->position >= 1)
		ck_pr_add_64(&a->rr_micro, 1000000u / e->position);
}

void expb_looks(const struct reg *r)
{
	struct exp_block *b = reg_experiments(r);
	for (unsigned i = 0, n = expb_slots(r); i < n; i++) {
		struct exp_view v;
		if (expb_read(r, i, &v) || !v.active)
			continue;
		struct exp_slot *sl = &b->slot[i];
		exp_look_update(&v.look, &v.def, v.counts);
		double best[EXP_VARIANTS];
		uint64_t x[EXP_VARIANTS], n_[EXP_VARIANTS];
		bool bandit = false;
		if (v.def.alloc == EXP_ALLOC_THOMPSON) {
			for (unsigned k = 0; k < v.def.n_variants; k++) {
				n_[k] = v.counts[k].exposures;
				x[k] = v.counts[k].clicked < n_[k]
				    ? v.counts[k].clicked
				    : n_[k];
			}
			bandit = stat_thompson(x, n_, v.def.n_variants, 1.0,
				     1.0, 10000, v.generation, best) == 0;
		}
		/* The looks' lock, the segmenter's alone (the loader owns
		 * seq). They are of the run read above (v.look came empty
		 * if the last look was of a run before it): a loader that
		 * restarts the slot meanwhile moves generation past
		 * look_gen, and readers take them for none. A floor keeps
		 * every bandit variant learning. */
		seq_write_begin(&sl->look_seq);
		sl->look = v.look;
		sl->look_gen = v.generation;
		sl->bandit = bandit;
		if (bandit)
			for (unsigned k = 0; k < v.def.n_variants; k++)
				sl->weights[k] = 0.02 + best[k];
		seq_write_end(&sl->look_seq);
	}
}
