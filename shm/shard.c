/*
 * shard: the step of one shard: its column of rings -> the learner -> its
 * profile table, with an intent record for crash consistency (see
 * shard.h).
 */
#include "shm/shard.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "shm/catalog.h"
#include "shm/experiments.h"
#include "shm/privacy.h"
#include "shm/profiles.h"
#include "shm/ring.h"

/* Search tokens count only where they name a known tag. */
static const struct lrn_item *_search_item(const struct reg *r,
    const struct evt_record *e, struct lrn_item *buf)
{
	memset(buf, 0, sizeof(*buf));
	for (unsigned i = 0; i < e->n_tokens && i < EVT_SEARCH_TOKENS &&
	     buf->n_tags < LRN_ITEM_TAGS;
	     i++)
		if (cat_is_tag(r, e->tokens[i]))
			buf->tags[buf->n_tags++] = e->tokens[i];
	priv_lrn_item(r, buf);
	return buf;
}

/*
 * What the learner is told about the event's entity, sensitive ids
 * stripped; NULL when unknown. *sensitive: the entity is sensitive as a
 * whole (the event must not be learned).
 */
static const struct lrn_item *_item_of(const struct reg *r,
    const struct evt_record *e, struct cat_item *buf, struct lrn_item *sbuf,
    uint64_t *counters, bool *sensitive)
{
	*sensitive = false;
	if (e->type == EVT_SEARCH)
		return _search_item(r, e, sbuf);
	if (e->entity_key && cat_get(r, e->entity_key, buf) == 0) {
		*sensitive = !priv_item(r, buf);
		return &buf->item;
	}
	counters[REG_C_UNKNOWN_ENTITY]++;
	return NULL;
}

/*
 * Applies one record whose profile was already found (or inserted) by
 * _resolve; rc is that lookup's result.
 */
/* Category slot of id in the shard's stats, inserting; NULL when full. */
static struct cat_stat *_cat_stat(struct shard_stats *st, uint32_t id)
{
	uint32_t mask = REG_CAT_STATS - 1;
	for (uint32_t i = 0, at = (id * 0x9E3779B1u) >> 22 & mask;
	     i < REG_CAT_STATS; i++, at = (at + 1) & mask) {
		struct cat_stat *c = &st->cats[at];
		if (c->id == id)
			return c;
		if (c->id == 0) {
			/* a reader sees the slot only once its id is set */
			ck_pr_fence_store();
			ck_pr_store_32(&c->id, id);
			return c;
		}
	}
	return NULL;
}

static void _inc64(uint64_t *c)
{
	ck_pr_store_64(c, *c + 1);
}

/*
 * The serving statistics of one applied event (shm/layout.h, struct
 * shard_stats). Kept after the record is applied: a worker killed in
 * between loses at most this one event's counts, never doubles them.
 */
static void _stats(const struct reg *r, unsigned s, const struct evt_record *e,
    const struct lrn_item *item)
{
	struct shard_stats *st = &reg_shard(r, s)->stats;
	const struct lrn_params *prm = &r->hdr->params;
	/* The signal once: the action test and the positive count. */
	double sig = lrn_signal(prm, e);
	bool imp = e->type == EVT_IMPRESSION, act = lrn_is_action_of(e, sig);
	if (item && item->category && e->type != EVT_SEARCH) {
		struct cat_stat *c = _cat_stat(st, item->category);
		if (!c) {
			_inc64(&st->cats_full);
		} else {
			int32_t day = (int32_t)(e->time_ms / LRN_DAY_MS);
			if (imp)
				_inc64(&c->impressions);
			if (act)
				_inc64(&c->actions);
			if (sig > 0.0 && !imp) {
				if (day > c->day) {
					uint32_t y = day == c->day + 1
					    ? c->pos_today
					    : 0;
					ck_pr_store_32(&c->pos_yesterday, y);
					ck_pr_store_32(&c->pos_today, 0);
					ck_pr_store_32((uint32_t *)&c->day,
					    (uint32_t)day);
				}
				if (day == c->day)
					ck_pr_store_32(&c->pos_today,
					    c->pos_today + 1);
				else if (day == c->day - 1)
					ck_pr_store_32(&c->pos_yesterday,
					    c->pos_yesterday + 1);
			}
		}
	}
	if (!e->request_id || (!imp && !act))
		return;
	unsigned strat = evt_request_strategy(e->request_id);
	unsigned pos =
	    e->position >= 1 && e->position < REG_POSITIONS ? e->position : 0;
	struct serve_cell *cell = &st->pos[strat][pos];
	if (imp) {
		_inc64(&cell->impressions);
		expb_outcome(r, s, e, true, false, false);
		return;
	}
	int64_t age = e->time_ms - evt_request_time(e->request_id);
	/* A click stamped a little before its request (clock skew between
	 * the ranking and the reporting machine) still counts. */
	if (age < -60000 ||
	    age > (int64_t)r->hdr->rank.attribution_window_s * 1000) {
		_inc64(&st->unattributed);
		return;
	}
	_inc64(&cell->clicks);
	if (lrn_is_conversion(e))
		_inc64(&cell->conversions);
	expb_outcome(r, s, e, false, true, lrn_is_conversion(e));
}

/* The record is done with: nothing of it is applied (any more). */
static void _done(struct ring_block *b, const struct evt_record *e)
{
	/* What the record counted (counters, statistics) before applied_seq
	 * says so: pen_flush's waiter reads them next. */
	ck_pr_fence_store();
	ck_pr_store_64(&b->applied_seq, e->seq + 1);
}

/*
 * Saves slot's image and (ring, seq) in the shard's intent before the
 * slot changes; _commit moves applied_seq and drops it (shard.h).
 */
static void _intend(struct shard_intent *in, unsigned producer,
    const struct evt_record *e, const struct prof_ref *ref,
    const struct prof_slot *slot)
{
	in->ring = producer;
	in->seq = e->seq;
	in->index_pos = ref->index_pos;
	in->rec = ref->rec;
	in->inserted = ref->inserted;
	memcpy(&in->undo, slot, sizeof(in->undo));
	ck_pr_fence_store(); /* the image is complete before it is valid */
	ck_pr_store_uint(&in->valid, 1);
	ck_pr_fence_store(); /* valid before the record changes */
}

static void _commit(struct shard_intent *in, struct ring_block *b,
    const struct evt_record *e)
{
	_done(b, e);
	ck_pr_fence_store(); /* applied_seq covers seq before valid drops */
	ck_pr_store_uint(&in->valid, 0);
}

/*
 * An erasure: the profile goes (prof_delete zeroes its record), and so
 * does any copy of it the intent still holds, so no byte of the user
 * stays in the shard. Idempotent, so a replay after a crash is harmless.
 */
static void _erase(const struct reg *r, unsigned s, struct ring_block *b,
    const struct evt_record *e, uint64_t *counters)
{
	struct shard_intent *in = &reg_shard(r, s)->intent;
	/* A consent decision stays (prof_forget): the objection of a user
	 * who withdrew and then asked for erasure must hold for what comes
	 * later. */
	if (prof_forget(r, s, e->user_key) == 0)
		counters[REG_C_ERASED]++;
	if (in->undo.p.user_key == e->user_key)
		memset(&in->undo, 0, sizeof(in->undo));
	_done(b, e);
}

/* A consent decision, kept in the profile (lrn_consent). */
static void _consent(const struct reg *r, unsigned s, unsigned producer,
    struct ring_block *b, const struct evt_record *e,
    const struct prof_ref *ref, uint64_t *counters)
{
	struct prof_slot *slot = reg_shard_records(r, s) + ref->rec;
	struct shard_intent *in = &reg_shard(r, s)->intent;
	_intend(in, producer, e, ref, slot);
	if (slot->p.user_key == e->user_key) {
		prof_write_begin(slot);
		lrn_consent(&slot->p, e->consent);
		prof_write_end(slot);
		counters[REG_C_CONSENTS]++;
	}
	_commit(in, b, e);
	/* A withdrawal forgot the profile: no copy stays in the intent. */
	if (!(slot->p.consent & EVT_PURPOSE_PERSONALIZATION))
		memset(&in->undo, 0, sizeof(in->undo));
}

/* A user's first exposure to an experiment (shm/experiments.h). */
static void _expose(const struct reg *r, unsigned s, unsigned producer,
    struct ring_block *b, const struct evt_record *e,
    const struct prof_ref *ref)
{
	struct prof_slot *slot = reg_shard_records(r, s) + ref->rec;
	struct shard_intent *in = &reg_shard(r, s)->intent;
	_intend(in, producer, e, ref, slot);
	if (slot->p.user_key == e->user_key) {
		prof_write_begin(slot);
		expb_exposed(r, &slot->p, e);
		prof_write_end(slot);
	}
	_commit(in, b, e);
}

/*
 * Applies one record whose profile was looked up (or inserted) by
 * _resolve; rc is that lookup's result (-ENOENT: none, and none was to
 * be made).
 */
static void _apply(const struct reg *r, unsigned s, unsigned producer,
    struct ring_block *b, const struct evt_record *e, int rc,
    const struct prof_ref *ref, uint64_t *counters)
{
	struct shard_block *sh = reg_shard(r, s);
	if (e->control == EVT_CTL_ERASE) {
		_erase(r, s, b, e, counters);
		return;
	}
	if (rc == -ERANGE) { /* a time or control no producer makes */
		counters[REG_C_QUARANTINED]++;
		_done(b, e);
		return;
	}
	if (rc == -ENOENT) { /* do-not-track, or opt-in without consent */
		counters[e->flags & EVT_F_DNT ? REG_C_DNT : REG_C_NO_CONSENT]++;
		_done(b, e);
		return;
	}
	if (rc == -ESTALE) { /* past retention: never kept */
		counters[REG_C_EXPIRED]++;
		_done(b, e);
		return;
	}
	if (rc) {
		counters[REG_C_REJECT0 + EVT_R_TABLE_FULL]++;
		sh->full_rejects++;
		_done(b, e);
		return;
	}
	if (e->control == EVT_CTL_CONSENT) {
		_consent(r, s, producer, b, e, ref, counters);
		return;
	}
	if (e->control == EVT_CTL_EXPOSE) {
		_expose(r, s, producer, b, e, ref);
		return;
	}
	struct prof_slot *slot = reg_shard_records(r, s) + ref->rec;
	bool learn = priv_consents(r, &slot->p, EVT_PURPOSE_PERSONALIZATION),
	     count = priv_consents(r, &slot->p, EVT_PURPOSE_ANALYTICS);
	struct cat_item cbuf;
	struct lrn_item sbuf;
	bool sensitive;
	const struct lrn_item *item =
	    _item_of(r, e, &cbuf, &sbuf, counters, &sensitive);
	if (!learn || sensitive) {
		counters[sensitive ? REG_C_SENSITIVE : REG_C_NO_CONSENT]++;
		if (count && !sensitive)
			_stats(r, s, e, item);
		_done(b, e);
		return;
	}
	struct shard_intent *in = &sh->intent;
	_intend(in, producer, e, ref, slot);
	/* The index leads here for this user: anything else is corruption
	 * that recovery did not catch; skip it rather than learn into
	 * another user's profile. */
	bool ok = slot->p.user_key == e->user_key;
	if (ok) {
		prof_write_begin(slot);
		lrn_apply(&slot->p, &r->hdr->params, e, item);
		prof_write_end(slot);
	}
	/* Counted before the commit: whoever waited for applied_seq
	 * (pen_flush) then reads the counters and statistics of what it
	 * waited for. A crash between the two counts the event again when
	 * it is applied again (counters and serving statistics; the
	 * profile is exactly once). */
	if (!ok) {
		counters[REG_C_QUARANTINED]++;
	} else {
		counters[REG_C_APPLIED]++;
		if (count)
			_stats(r, s, e, item);
	}
	_commit(in, b, e);
}

static void _rollback(const struct reg *r, unsigned s, uint64_t *counters)
{
	struct shard_intent *in = &reg_shard(r, s)->intent;
	if (!in->valid)
		return;
	struct ring_block *b = reg_ring(r, in->ring, s);
	if (ck_pr_load_64(&b->applied_seq) <= in->seq &&
	    in->rec < r->hdr->geo.profiles_per_shard) {
		struct prof_slot *slot = reg_shard_records(r, s) + in->rec;
		seq_write_begin(&slot->seq);
		memcpy(&slot->p, &in->undo.p, sizeof(slot->p));
		seq_write_end(&slot->seq);
		counters[REG_C_RECOVERED]++;
	}
	ck_pr_store_uint(&in->valid, 0);
}

unsigned shard_recover(const struct reg *r, unsigned s)
{
	uint64_t *counters = reg_proc(r, reg_proc_worker(r, s))->counters;
	struct shard_intent *in = &reg_shard(r, s)->intent;
	/* Boot derived them (boot_params); lrn_apply no longer checks. */
	assert(lrn_params_derived(&r->hdr->params));
	/* Shared memory is input too: an intent naming a ring or record
	 * that does not exist is dropped before anything follows it. */
	if (in->valid &&
	    (in->ring >= r->hdr->geo.producer_slots ||
		in->rec >= r->hdr->geo.profiles_per_shard)) {
		ck_pr_store_uint(&in->valid, 0);
		counters[REG_C_QUARANTINED]++;
	}
	_rollback(r, s, counters);
	uint8_t *seen = malloc((r->hdr->geo.profiles_per_shard + 7) / 8);
	if (seen) { /* without memory, recover as before: rare */
		counters[REG_C_QUARANTINED] += prof_validate(r, s, seen);
		free(seen);
	}
	prof_repair_count(r, s);
	prof_repair_seqlocks(r, s);
	unsigned skipped = 0;
	for (unsigned p = 0; p < r->hdr->geo.producer_slots; p++) {
		struct ring_block *b = reg_ring(r, p, s);
		uint64_t applied = ck_pr_load_64(&b->applied_seq);
		unsigned n = ring_ready(b), k = 0;
		if (n > b->ring.mask) { /* broken indices: see shard_poll */
			ring_release(b, n);
			counters[REG_C_RINGS_RESET]++;
			continue;
		}
		while (k < n && ring_peek(b, k)->seq < applied)
			k++;
		if (k)
			ring_release(b, k);
		skipped += k;
	}
	counters[REG_C_SKIPPED] += skipped;
	return skipped;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14; older kernels: EINVAL */
#endif

void shard_prefault(const struct reg *r, unsigned s)
{
	uintptr_t a = (uintptr_t)reg_shard(r, s) & ~(uintptr_t)4095;
	uintptr_t end = (uintptr_t)reg_shard(r, s) + r->hdr->off.shard_stride;
	/* Best effort: without it the touches below fault the pages in. */
	(void)madvise((void *)a, end - a, MADV_POPULATE_WRITE);
	for (; a < end; a += 4096)
		__atomic_fetch_add((uint8_t *)a, 0, __ATOMIC_RELAXED);
}

/*
 * Memory-level parallelism: every event costs a random index line and a
 * random 512-byte record. The batch is walked as a pipeline: the index line
 * of event i + _PF_INDEX is prefetched, event i + _PF_RECORD is looked up
 * and its record prefetched, event i is applied. Looking a user up before
 * earlier events are applied is safe: an insert only adds a blank record.
 */
#define _PF_INDEX 6
#define _PF_RECORD 3
#define _CHUNK 64

struct _resolved {
	struct prof_ref ref;
	int rc;
};

static inline void _prefetch_index(const struct reg *r, unsigned s,
    uint64_t key)
{
	const struct prof_index *idx = reg_shard_index(r, s);
	const uint32_t mask = r->hdr->geo.index_slots - 1;
	__builtin_prefetch(&idx[prof_probe_start(key, mask + 1)]);
}

static inline void _prefetch_record(const struct reg *r, unsigned s,
    uint32_t rec)
{
	const char *p = (const char *)(reg_shard_records(r, s) + rec);
	for (unsigned off = 0; off < sizeof(struct prof_slot); off += REG_LINE)
		__builtin_prefetch(p + off, 1);
}

/*
 * The profile a record applies to: found, or made when the record may
 * make one. Not for an erasure or a do-not-track event, nor, under
 * opt-in, for anything but a consent that grants something: a user who
 * has not consented leaves no profile behind. -ESTALE: an event older
 * than retention_days, not to be kept at all; -ERANGE: a time outside
 * the instance's bounds (quarantined).
 */
static int _resolve(const struct reg *r, unsigned s, const struct evt_record *e,
    struct prof_ref *ref)
{
	if (e->control == EVT_CTL_ERASE || (e->flags & EVT_F_DNT))
		return -ENOENT;
	/* Producers check the time; a record written into the ring by
	 * other means (a forged pen_prepared) is input all the same, and a
	 * time outside the instance's bounds would reach the profile's
	 * arithmetic. Refused before it can make a profile. Control records
	 * (consent, exposure) carry the wall clock and learn nothing by
	 * it: a clock before 2000 must not lose a consent change. */
	if (e->control > EVT_CTL_EXPOSE ||
	    (!e->control &&
		(e->time_ms < r->hdr->limits.min_time_ms ||
		    e->time_ms >= r->hdr->limits.max_time_ms)))
		return -ERANGE; /* nor a control record no producer makes */
	if (!e->control && e->time_ms < reg_shard(r, s)->retain_ms)
		return -ESTALE;
	if (e->control == EVT_CTL_EXPOSE) /* counts users with a profile */
		return prof_find(r, s, e->user_key, ref);
	bool make = !r->hdr->consent_opt_in ||
	    (e->control == EVT_CTL_CONSENT && (e->consent & EVT_PURPOSES));
	return make ? prof_find_or_insert(r, s, e->user_key, ref)
		    : prof_find(r, s, e->user_key, ref);
}

/*
 * An erasure frees its user's record: the user's records looked up ahead
 * of it (from..to) point at what is now free, and are looked up again
 * (they make a new profile, as after an erasure they should).
 */
static void _reresolve(const struct reg *r, unsigned s, struct ring_block *b,
    uint64_t user, unsigned from, unsigned to, struct _resolved *res)
{
	for (unsigned j = from; j <= to; j++)
		if (ring_peek(b, j)->user_key == user)
			res[j].rc =
			    _resolve(r, s, ring_peek(b, j), &res[j].ref);
}

static void _apply_chunk(const struct reg *r, unsigned s, unsigned p,
    struct ring_block *b, unsigned n, uint64_t *counters)
{
	struct _resolved res[_CHUNK];
	for (unsigned i = 0; i < n && i < _PF_INDEX; i++)
		_prefetch_index(r, s, ring_peek(b, i)->user_key);
	for (unsigned i = 0; i < n + _PF_RECORD; i++) {
		if (i < n) {
			if (i + _PF_INDEX < n)
				_prefetch_index(r, s,
				    ring_peek(b, i + _PF_INDEX)->user_key);
			res[i].rc =
			    _resolve(r, s, ring_peek(b, i), &res[i].ref);
			if (!res[i].rc)
				_prefetch_record(r, s, res[i].ref.rec);
		}
		if (i >= _PF_RECORD) {
			unsigned k = i - _PF_RECORD;
			const struct evt_record *e = ring_peek(b, k);
			_apply(r, s, p, b, e, res[k].rc, &res[k].ref, counters);
			if (e->control == EVT_CTL_ERASE)
				_reresolve(r, s, b, e->user_key, k + 1,
				    i < n ? i : n - 1, res);
		}
	}
}

/*
 * After a chunk is applied, one pass over its records: publish ->
 * applied latency into the shard's buckets (one clock read for the
 * chunk, the counts summed locally first), and the user key cleared: a
 * released slot keeps its bytes until the producer laps it, and without
 * the key they name nobody, so an erased user leaves no trace in the
 * rings. Recovery needs only seq.
 */
static void _retire(struct shard_stats *st, struct ring_block *b, unsigned k)
{
	uint32_t now = ring_now_us(), n[REG_LAT_BUCKETS] = { 0 };
	uint64_t sum = 0;
	for (unsigned i = 0; i < k; i++) {
		struct evt_record *e = ring_peek(b, i);
		uint32_t pub = e->pub_us, d = now - pub;
		e->user_key = 0;
		if (!pub) /* not stamped (a producer of another build) */
			continue;
		unsigned at = d <= 1 ? 0 : 32 - (unsigned)__builtin_clz(d - 1);
		n[at < REG_LAT_BUCKETS ? at : REG_LAT_BUCKETS - 1]++;
		sum += d;
	}
	for (unsigned i = 0; i < REG_LAT_BUCKETS; i++)
		if (n[i])
			ck_pr_store_64(&st->lat[i], st->lat[i] + n[i]);
	ck_pr_store_64(&st->lat_sum_us, st->lat_sum_us + sum);
}

unsigned shard_poll(const struct reg *r, unsigned s, unsigned batch)
{
	uint64_t *counters = reg_proc(r, reg_proc_worker(r, s))->counters;
	unsigned taken = 0;
	for (unsigned p = 0; p < r->hdr->geo.producer_slots; p++) {
		struct ring_block *b = reg_ring(r, p, s);
		unsigned n = ring_ready(b);
		if (!n)
			continue;
		if (n > b->ring.mask) {
			/* More than a ring holds: the producer's tail went
			 * behind the head (two processes publishing through
			 * one handle, a forked child, overwrote each other's
			 * positions). Nothing in it can be told from stale
			 * records; walking them would take 2^32 steps. */
			ring_release(b, n);
			counters[REG_C_RINGS_RESET]++;
			continue;
		}
		if (n > batch)
			n = batch;
		/* Release per chunk: producers get room back early. */
		for (unsigned done = 0; done < n;) {
			unsigned k = n - done < _CHUNK ? n - done : _CHUNK;
			_apply_chunk(r, s, p, b, k, counters);
			_retire(&reg_shard(r, s)->stats, b, k);
			ring_release(b, k);
			done += k;
		}
		counters[REG_C_BATCHES]++;
		taken += n;
	}
	return taken;
}

unsigned shard_sweep(const struct reg *r, unsigned s, int64_t now_ms,
    unsigned budget)
{
	struct shard_block *sh = reg_shard(r, s);
	uint32_t n = sh->count;
	if (!r->hdr->retention_days)
		return 0;
	/* The horizon first: it also turns away old events arriving at an
	 * empty shard. */
	int64_t before = now_ms - (int64_t)r->hdr->retention_days * LRN_DAY_MS;
	ck_pr_store_64((uint64_t *)&sh->retain_ms, (uint64_t)before);
	struct prof_slot *recs = reg_shard_records(r, s);
	uint64_t *counters = reg_proc(r, reg_proc_worker(r, s))->counters;
	unsigned removed = 0;
	for (unsigned k = 0; k < budget && k < n; k++) {
		uint32_t at = sh->sweep_at < n ? sh->sweep_at : 0;
		sh->sweep_at = at + 1;
		const struct lrn_profile *p = &recs[at].p;
		/* What was learned goes; a decision stays (prof_forget). */
		if (p->user_key && p->events && p->last_ms < before &&
		    prof_forget(r, s, p->user_key) == 0)
			removed++;
	}
	counters[REG_C_RETIRED] += removed;
	return removed;
}

bool shard_column_empty(const struct reg *r, unsigned s)
{
	for (unsigned p = 0; p < r->hdr->geo.producer_slots; p++)
		if (ring_ready(reg_ring(r, p, s)))
			return false;
	return true;
}
