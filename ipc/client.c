/*
 * client: libpenchant (include/penchant.h). Attaches to a region, claims a
 * producer slot on first publish, stages records into its rings and reads
 * profiles under their sequence locks.
 */
#include "penchant.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include "engine/geo.h"
#include "ipc/client.h"
#include "ipc/json.h"
#include "shm/ring.h"
#include "shm/catalog.h"
#include "shm/profiles.h"
#include "shm/segment.h"
#include "shm/seqlock.h"

_Static_assert(sizeof(struct pen_prepared) == sizeof(struct evt_record),
    "a prepared event is a ring record");
_Static_assert((int)PEN_N_COUNT == (int)LRN_N_COUNT,
    "counts match the learner");
_Static_assert(PEN_MAX_TAGS >= LRN_TAGS && PEN_MAX_CATS >= LRN_CATS &&
	PEN_MAX_GEO >= LRN_GEO && PEN_MAX_HISTORY >= LRN_HIST &&
	PEN_MAX_CANDIDATES >= 2 * LRN_SHADOWS && LRN_SEASONS == 4 &&
	EVT_DP_COUNT == 4 && EVT_DEV_COUNT <= 8 && EVT_PLAT_COUNT <= 8 &&
	PEN_NAME_MAX == NAME_MAX_LEN,
    "public arrays hold the profile");
_Static_assert((int)PEN_N_CUSTOM0 == (int)LRN_N_CUSTOM0,
    "custom verbs line up");

#define _JSON_TOKS 256

struct pen {
	struct reg r;
	int slot; /* producer slot, -1 until the first publish */
	int32_t pid;
	/* A page of its own, wiped in a child after fork (MADV_WIPEONFORK):
	 * here[0] is 1 in the process that opened the handle, 0 in a
	 * forked child, which must not write through the parent's producer
	 * slot (two processes on one single-producer ring overwrite each
	 * other's positions). A load per call, no syscall. */
	volatile uint8_t *here;
	struct ring_producer pr;
	struct json_tok toks[_JSON_TOKS];
	char *scratch;
	size_t scratch_cap;
	void *rank; /* pen_rerank's scratch (ipc/rerank.c) */
	size_t rank_cap;
	/* The segments table as of version seg_version (0: no copy yet),
	 * for pen_rerank: copied again only when a refresh moved it. */
	struct seg_table *seg;
	uint64_t seg_version;
	/* Rejections while the handle holds no producer slot: a refused
	 * event claims none (a handle that only validates must not take a
	 * slot from a producer). Added to the slot's counters when the
	 * first publish claims one, or pen_close takes one for a moment;
	 * until then only this handle's reads (pen_stats_read,
	 * pen_counters_read) include them. */
	uint64_t held_rejected_by[EVT_REASON_COUNT];
};

#define _HERE_BYTES 4096

static bool _forked(const pen_t *p);
static int _claim_slot(pen_t *p);

const char *pen_strerror(int err)
{
	switch (err) {
	case 0: return "success";
	case -EAGAIN: return "ring full (retry, or publish without PEN_NOWAIT)";
	case -ESHUTDOWN:
		return "the instance is shutting down, stopped or gone (reopen the handle once it runs again)";
	case -ENOSPC: return "no free producer slot (raise producer_slots)";
	case -ENOENT: return "not found";
	case -EPROTO: return "region layout mismatch";
	case -EBUSY:
		return "record busy: its writer is restarting, or was held up mid-write on a busy machine (retry)";
	case -ETIMEDOUT: return "timed out";
	case -EINPROGRESS:
		return "the instance is loading its snapshot, not ready yet (pen_wait_ready waits for it)";
	case -EINVAL: return "invalid argument or event";
	case -ECHILD:
		return "this handle was opened before a fork(): a child must open its own (pen_open)";
	default:
		/* -INT_MIN does not exist: no errno is that large anyway */
		return err == INT_MIN ? "unknown error"
				      : strerror(err < 0 ? -err : err);
	}
}

int pen_open(const char *instance, pen_t **out, char *err, size_t errlen)
{
	char dummy[8];
	if (!err) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (!out)
		return -EINVAL;
	*out = NULL;
	pen_t *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	void *here = mmap(NULL, _HERE_BYTES, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (here == MAP_FAILED) {
		free(p);
		return -ENOMEM;
	}
#ifdef MADV_WIPEONFORK
	/* Before Linux 4.14 a child is not told apart: the rule stays. */
	(void)madvise(here, _HERE_BYTES, MADV_WIPEONFORK);
#endif
	p->here = here;
	p->here[0] = 1;
	int rc = reg_attach(&p->r, instance ? instance : "default", NULL, err,
	    errlen);
	if (rc) {
		munmap(here, _HERE_BYTES);
		free(p);
		return rc;
	}
	p->slot = -1;
	p->pid = getpid();
	*out = p;
	return 0;
}

static bool _forked(const pen_t *p)
{
	return p->here[0] == 0;
}

static void _release_slot(pen_t *p)
{
	if (p->slot < 0)
		return;
	struct reg_producer *pr = reg_producer(&p->r, (unsigned)p->slot);
	ring_commit(&p->pr);
	ck_pr_store_64(&pr->generation, pr->generation + 1);
	ck_pr_fence_store(); /* our records and counters before the release */
	/* The next owner continues after our records: no drain needed. */
	ck_pr_cas_int(&pr->owner, p->pid, 0);
	p->slot = -1;
}

void pen_close(pen_t **pp)
{
	if (!pp || !*pp)
		return;
	pen_t *p = *pp;
	/* A forked child's copy of a handle frees its memory only: the
	 * slot is still the parent's. */
	if (!_forked(p)) {
		/* Rejections held by a handle that never published go into
		 * a slot taken for that moment only, so `penchant status`
		 * shows them (none free: they are lost). */
		uint64_t held = 0;
		for (unsigned k = 0; k < EVT_REASON_COUNT; k++)
			held += p->held_rejected_by[k];
		if (held && p->slot < 0)
			(void)_claim_slot(p);
		_release_slot(p);
	}
	munmap((void *)p->here, _HERE_BYTES);
	reg_detach(&p->r);
	free(p->scratch);
	free(p->rank);
	free(p->seg);
	free(p);
	*pp = NULL;
}

static int _claim_slot(pen_t *p)
{
	if (_forked(p)) /* a slot claimed in a child would be the parent's */
		return -ECHILD;
	const struct reg_geometry *g = &p->r.hdr->geo;
	for (unsigned s = g->acceptor_slots; s < g->producer_slots; s++) {
		struct reg_producer *pr = reg_producer(&p->r, s);
		if (ck_pr_load_int(&pr->owner) != 0 ||
		    !ck_pr_cas_int(&pr->owner, 0, p->pid))
			continue;
		ck_pr_fence_load(); /* the ring state of the last owner */
		p->slot = (int)s;
		ring_producer_init(&p->pr, &p->r, s);
		for (unsigned k = 0; k < EVT_REASON_COUNT; k++) {
			pr->rejected += p->held_rejected_by[k];
			pr->rejected_by[k] += p->held_rejected_by[k];
			p->held_rejected_by[k] = 0;
		}
		return 0;
	}
	return -ENOSPC;
}

/*
 * Counts a rejected event by reason: in this handle's producer slot when
 * it has one, else held in the handle until its first publish claims one
 * (or pen_close takes one). Validation never claims a slot.
 */
static void _count_reject(pen_t *p, enum evt_reason why)
{
	if ((unsigned)why >= EVT_REASON_COUNT)
		return;
	if (p->slot < 0 || _forked(p)) { /* a child: the slot is the parent's */
		p->held_rejected_by[why]++;
		return;
	}
	struct reg_producer *pr = reg_producer(&p->r, (unsigned)p->slot);
	pr->rejected++;
	pr->rejected_by[why]++;
}

/* Time window for acceptance: settings against the wall clock. */
static struct evt_limits _limits(const pen_t *p)
{
	return reg_limits_at(p->r.hdr, reg_now_wall_ms());
}

static struct evt_str _s(const char *s)
{
	return (struct evt_str){ s, s ? strlen(s) : 0 };
}

static void _input_of(const struct pen_event *ev, struct evt_input *in)
{
	memset(in, 0, sizeof(*in));
	in->user_id = _s(ev->user_id);
	in->event_type = _s(ev->event_type);
	in->entity_id = _s(ev->entity_id);
	in->entity_type = _s(ev->entity_type);
	in->session_id = _s(ev->session_id);
	in->device = _s(ev->device);
	in->platform = _s(ev->platform);
	in->weather = _s(ev->weather);
	in->social = _s(ev->social);
	in->rec_type = _s(ev->rec_type);
	in->query = _s(ev->query);
	in->request_id = _s(ev->request_id);
	in->dnt = ev->dnt ? 2 : 0;
	in->has_time_ms = true;
	in->time_ms = ev->time_ms;
	in->has_tz = true;
	in->tz_offset_min = ev->tz_offset_min;
	if (ev->has_location) {
		in->has_lat = in->has_lon = true;
		in->lat = ev->lat;
		in->lon = ev->lon;
	}
	if (ev->position) {
		in->has_position = true;
		in->position = ev->position;
	}
	if (ev->dwell_ms) {
		in->has_dwell = true;
		in->dwell_ms = ev->dwell_ms;
	}
	if (ev->scroll_depth >= 0 && ev->scroll_depth != 0) {
		in->has_scroll = true;
		in->scroll_depth = ev->scroll_depth;
	}
	if (ev->feedback) {
		in->has_feedback_num = true;
		in->feedback_num = ev->feedback;
	}
}

static int _build(pen_t *p, const struct evt_input *in, struct evt_record *rec,
    char *err, size_t errlen)
{
	struct evt_limits lim = _limits(p);
	const char *field = NULL;
	enum evt_reason why = evt_build(in, &lim, rec, &field);
	if (why == EVT_OK)
		return 0;
	if (err && errlen)
		snprintf(err, errlen, "%s%s%s", evt_reason_name(why),
		    field ? ": " : "", field ? field : "");
	_count_reject(p, why);
	return -EINVAL;
}

int pen_prepare(pen_t *p, const struct pen_event *ev, struct pen_prepared *out,
    char *err, size_t errlen)
{
	if (!p || !ev || !out)
		return -EINVAL;
	struct evt_input in;
	_input_of(ev, &in);
	return _build(p, &in, (struct evt_record *)out, err, errlen);
}

/* Brackets a publish so the supervisor can wait out racing publishes. */
static int _enter(pen_t *p, struct reg_producer *pr)
{
	if (_forked(p))
		return -ECHILD;
	ck_pr_store_uint(&pr->busy, pr->busy + 1);
	ck_pr_fence_memory(); /* busy is visible before we read the state */
	uint32_t st = ck_pr_load_uint(&p->r.hdr->state);
	if (st != REG_RUNNING) {
		ck_pr_store_uint(&pr->busy, pr->busy + 1);
		return st == REG_STARTING ? -EINPROGRESS : -ESHUTDOWN;
	}
	return 0;
}

int client_ready(const pen_t *p)
{
	if (_forked(p))
		return -ECHILD;
	uint32_t st = ck_pr_load_uint(&p->r.hdr->state);
	return st == REG_RUNNING ? 0
	    : st == REG_STARTING ? -EINPROGRESS
				 : -ESHUTDOWN;
}

int client_readable(const pen_t *p)
{
	if (_forked(p))
		return -ECHILD;
	uint32_t st = ck_pr_load_uint(&p->r.hdr->state);
	return st == REG_STARTING ? -EINPROGRESS
	    : st == REG_STOPPED	  ? -ESHUTDOWN
				  : 0;
}

/* Past this age of the supervisor's heartbeat (it beats every tick) the
 * instance is taken for dead: killed without its stop, nothing drains
 * the rings. Generous: a slow machine must not be taken for a dead one. */
#define _DEAD_MS 10000

/* Whether the supervisor is gone without a stop (its heartbeat stale).
 * A region without a supervisor that ever beat (laid out by a test or a
 * benchmark, which drain it themselves) is judged by its state alone. */
static bool _sup_gone(const pen_t *p)
{
	const struct reg_proc *sup = reg_proc(&p->r, 0);
	int64_t beat =
	    (int64_t)ck_pr_load_64((const uint64_t *)&sup->heartbeat_ms);
	if (!ck_pr_load_int(&sup->pid) || !beat)
		return false;
	return reg_now_mono_ms() - beat > _DEAD_MS;
}

int client_alive(const pen_t *p)
{
	int rc = client_ready(p);
	if (rc)
		return rc;
	return _sup_gone(p) ? -ESHUTDOWN : 0;
}

int pen_wait_ready(pen_t *p, unsigned timeout_ms)
{
	if (!p)
		return -EINVAL;
	int64_t until = reg_now_mono_ms() + timeout_ms;
	int rc;
	while ((rc = client_ready(p)) == -EINPROGRESS) {
		if (reg_now_mono_ms() >= until)
			return -ETIMEDOUT;
		struct timespec ts = { 0, 10000000 };
		nanosleep(&ts, NULL);
	}
	return rc ? rc : client_alive(p);
}

static void _leave(struct reg_producer *pr)
{
	ck_pr_fence_store(); /* our commits before busy goes even */
	ck_pr_store_uint(&pr->busy, pr->busy + 1);
}

/* Waits for room in a full ring: the worker is running behind. */
static int _wait_room(pen_t *p, unsigned shard, unsigned *spins)
{
	ring_commit(&p->pr); /* wakes the worker if it sleeps */
	struct shard_block *sh = reg_shard(&p->r, shard);
	if (ck_pr_load_uint(&sh->sleeping)) /* belt and braces: no syscall */
		ring_wake(sh);		    /* unless it really sleeps */
	/* Stopping, or gone without a stop (nothing would drain the ring:
	 * wait no more). */
	int rc = client_alive(p);
	if (rc)
		return rc == -EINPROGRESS ? -ESHUTDOWN : rc;
	if (++*spins < 64) {
		ck_pr_stall();
	} else {
		struct timespec ts = { 0, 20000 };
		nanosleep(&ts, NULL);
	}
	return 0;
}

int pen_publish_prepared(pen_t *p, const struct pen_prepared *evs, size_t n,
    int flags, size_t *done)
{
	size_t ok = 0;
	int rc = 0;
	if (done)
		*done = 0;
	if (!p || (!evs && n))
		return -EINVAL;
	if (p->slot < 0 && (rc = _claim_slot(p)))
		return rc;
	struct reg_producer *pr = reg_producer(&p->r, (unsigned)p->slot);
	if ((rc = _enter(p, pr)))
		return rc;
	const unsigned shards = p->r.hdr->geo.shards;
	uint64_t waits = 0;
	while (ok < n) {
		const struct evt_record *e =
		    (const struct evt_record *)&evs[ok];
		unsigned s = reg_shard_of(e->user_key, shards), spins = 0;
		if (ring_stage(&p->pr, s, e)) {
			ok++;
			continue;
		}
		waits++;
		if (flags & PEN_NOWAIT) {
			rc = -EAGAIN;
			break;
		}
		while (!ring_stage(&p->pr, s, e))
			if ((rc = _wait_room(p, s, &spins)))
				goto out;
		ok++;
	}
out:
	if (!(flags & PEN_DEFER))
		ring_commit(&p->pr);
	pr->published += ok;
	pr->full_waits += waits;
	_leave(pr);
	if (done)
		*done = ok;
	return rc;
}

/* One prepared event; the ring's refusals say why too, as the event's. */
static int _publish_one(pen_t *p, const struct pen_prepared *rec, int flags,
    char *err, size_t errlen)
{
	int rc = pen_publish_prepared(p, rec, 1, flags, NULL);
	if (rc && err && errlen)
		snprintf(err, errlen, "%s", pen_strerror(rc));
	return rc;
}

int pen_publish(pen_t *p, const struct pen_event *ev, int flags, char *err,
    size_t errlen)
{
	struct pen_prepared rec;
	int rc = pen_prepare(p, ev, &rec, err, errlen);
	return rc ? rc : _publish_one(p, &rec, flags, err, errlen);
}

int pen_prepare_json(pen_t *p, const char *line, size_t len,
    struct pen_prepared *out, char *err, size_t errlen)
{
	char dummy[8];
	if (!err || !errlen) { /* no room: nothing of the caller's is read */
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (!p || !line || !out)
		return -EINVAL;
	if (p->scratch_cap < len + 1) {
		char *s = realloc(p->scratch, len + 1);
		if (!s)
			return -ENOMEM;
		p->scratch = s;
		p->scratch_cap = len + 1;
	}
	struct json_work w;
	json_work_init(&w, p->toks, _JSON_TOKS, p->scratch, p->scratch_cap);
	struct evt_input in;
	enum evt_reason why = json_event_input(line, len, &w, &in, err, errlen);
	if (why != EVT_OK) {
		_count_reject(p, why);
		char msg[256];
		snprintf(msg, sizeof(msg), "%s", err);
		snprintf(err, errlen, "%s: %s", evt_reason_name(why), msg);
		return -EINVAL;
	}
	return _build(p, &in, (struct evt_record *)out, err, errlen);
}

int pen_publish_json(pen_t *p, const char *line, size_t len, int flags,
    char *err, size_t errlen)
{
	struct pen_prepared rec;
	int rc = pen_prepare_json(p, line, len, &rec, err, errlen);
	return rc ? rc : _publish_one(p, &rec, flags, err, errlen);
}

int pen_commit(pen_t *p)
{
	if (!p)
		return -EINVAL;
	if (_forked(p))
		return -ECHILD;
	if (p->slot >= 0)
		ring_commit(&p->pr);
	return 0;
}

int pen_flush(pen_t *p, unsigned timeout_ms)
{
	if (!p)
		return -EINVAL;
	if (_forked(p))
		return -ECHILD;
	if (p->slot < 0)
		return 0;
	ring_commit(&p->pr);
	int64_t until = reg_now_mono_ms() + timeout_ms;
	for (unsigned s = 0; s < p->r.hdr->geo.shards; s++) {
		struct ring_block *b = reg_ring(&p->r, (unsigned)p->slot, s);
		while (ck_pr_load_64(&b->applied_seq) < p->pr.sh[s].seq) {
			if (reg_now_mono_ms() > until)
				return -ETIMEDOUT;
			/* Stopped, or gone without a stop while running:
			 * nothing will apply them, do not wait out the
			 * timeout. A stop in progress drains them (its
			 * supervisor beats no heartbeat meanwhile): wait. */
			uint32_t st = ck_pr_load_uint(&p->r.hdr->state);
			if (st == REG_STOPPED ||
			    (st == REG_RUNNING && _sup_gone(p)))
				return -ESHUTDOWN;
			ring_wake(reg_shard(&p->r, s));
			struct timespec ts = { 0, 50000 };
			nanosleep(&ts, NULL);
		}
	}
	return 0;
}

/* Interests of table ws (n slots) by weight, descending, with what
 * ranking reads of each; slot[i] is out[i]'s slot. */
static unsigned _hot_interests(const pen_t *p, const struct lrn_profile *lp,
    const struct lrn_weight *ws, unsigned n, struct pen_hot_interest *out,
    unsigned *slot)
{
	const struct lrn_params *prm = &p->r.hdr->params;
	unsigned k = lrn_top(ws, n, slot);
	double f = lrn_short_factor(lp, prm, lp->last_ms);
	for (unsigned i = 0; i < k; i++) {
		const struct lrn_weight *w = &ws[slot[i]];
		out[i] = (struct pen_hot_interest){ .id = w->id,
			.evidence = w->n,
			.weight = w->w,
			.short_weight = lrn_short_with(w, f),
			.confidence = lrn_confidence(prm, w) };
		if (ws == lp->cats)
			memcpy(out[i].dayparts, lp->cat_dp[slot[i]],
			    sizeof(out[i].dayparts));
	}
	return k;
}

static unsigned _interests(const pen_t *p, const struct lrn_profile *lp,
    const struct lrn_weight *ws, unsigned n, struct pen_interest *out,
    unsigned *slot, int flags)
{
	struct pen_hot_interest h[LRN_TAGS > LRN_CATS ? LRN_TAGS : LRN_CATS];
	unsigned order[LRN_TAGS > LRN_CATS ? LRN_TAGS : LRN_CATS];
	unsigned k = _hot_interests(p, lp, ws, n, h, order);
	for (unsigned i = 0; i < k; i++) {
		out[i].id = h[i].id;
		out[i].evidence = h[i].evidence;
		out[i].weight = h[i].weight;
		out[i].short_weight = h[i].short_weight;
		out[i].confidence = h[i].confidence;
		memcpy(out[i].dayparts, h[i].dayparts, sizeof(out[i].dayparts));
		out[i].name[0] = 0;
		if (slot)
			slot[i] = order[i];
		if (flags & PEN_READ_NAMES)
			cat_name_get(&p->r, h[i].id, out[i].name,
			    sizeof(out[i].name));
	}
	return k;
}

/* Location cells by weight as of last_ms, heaviest first. */
static void _export_geo(const pen_t *p, const struct lrn_profile *lp,
    struct pen_profile *out)
{
	const struct lrn_params *prm = &p->r.hdr->params;
	for (unsigned i = 0; i < LRN_GEO; i++) {
		if (!lp->geo_cell[i])
			continue;
		double w = lrn_geo_weight(lp, prm, i, lp->last_ms);
		unsigned j = out->n_geo++;
		while (j > 0 && out->geo[j - 1].weight < w) {
			out->geo[j] = out->geo[j - 1];
			j--;
		}
		geo_cell_to_string(lp->geo_cell[i], out->geo[j].cell,
		    sizeof(out->geo[j].cell));
		out->geo[j].n = lp->geo_n[i];
		out->geo[j].last_ms = (int64_t)lp->geo_day[i] * LRN_DAY_MS;
		out->geo[j].weight = w;
	}
}

/* Drift: the two distributions in cats[] order (slot[] maps to slots). */
static void _export_drift(const pen_t *p, const struct lrn_profile *lp,
    struct pen_profile *out, const unsigned *slot)
{
	const struct lrn_params *prm = &p->r.hdr->params;
	double ps[LRN_CATS], ql[LRN_CATS];
	out->drifting = lp->drift;
	out->drift_ms = lp->drift_count ? (int64_t)lp->drift_h * 3600000LL : 0;
	out->drift_kl = lrn_drift_kl(lp, prm);
	out->drift_episodes = lp->drift_count;
	lrn_drift_dists(lp, prm, ps, ql);
	for (unsigned i = 0; i < out->n_cats; i++) {
		out->drift_short[i] = ps[slot[i]];
		out->drift_long[i] = ql[slot[i]];
	}
}

static void _export_candidates(const pen_t *p, const struct lrn_profile *lp,
    struct pen_profile *out, int flags)
{
	for (unsigned t = 0; t < 2; t++) {
		const struct lrn_shadow *sh =
		    t ? lp->shadow_cats : lp->shadow_tags;
		for (unsigned i = 0; i < LRN_SHADOWS; i++) {
			if (!sh[i].id ||
			    out->n_candidates >= PEN_MAX_CANDIDATES)
				continue;
			unsigned j = out->n_candidates++;
			out->candidates[j].id = sh[i].id;
			out->candidates[j].category = (int)t;
			out->candidates[j].mass = lrn_shadow_mass(&sh[i]);
			if (flags & PEN_READ_NAMES)
				cat_name_get(&p->r, sh[i].id,
				    out->candidates[j].name,
				    sizeof(out->candidates[j].name));
		}
	}
}

static void _export_history(const pen_t *p, const struct lrn_profile *lp,
    struct pen_profile *out, int flags)
{
	struct lrn_hist_entry h[LRN_HIST];
	unsigned n = lrn_history(lp, h);
	for (unsigned i = 0; i < n && i < PEN_MAX_HISTORY; i++) {
		out->history[i].iso_year = h[i].iso_year;
		out->history[i].iso_week = h[i].iso_week;
		out->history[i].tag = h[i].tag;
		out->history[i].share = h[i].share;
		if (flags & PEN_READ_NAMES)
			cat_name_get(&p->r, h[i].tag, out->history[i].name,
			    sizeof(out->history[i].name));
		out->n_history = i + 1;
	}
}

static void _export_behavior(const pen_t *p, const struct lrn_profile *lp,
    struct pen_profile *out, int64_t as_of_ms)
{
	struct lrn_behavior b;
	lrn_behavior(lp, &p->r.hdr->params, as_of_ms, &b);
	out->behavior.sessions = b.sessions;
	out->behavior.events_per_session = b.events_per_session;
	out->behavior.mean_session_s = b.mean_session_s;
	out->behavior.peak_weekday = b.peak_weekday;
	out->behavior.peak_daypart = b.peak_daypart;
	out->behavior.weekend_share = b.weekend_share;
	out->behavior.click_per_view = b.click_per_view;
	out->behavior.act_per_click = b.act_per_click;
	snprintf(out->behavior.engagement, sizeof(out->behavior.engagement),
	    "%s", lrn_engagement_name(b.engagement));
}

void client_profile_export(const pen_t *p, const struct lrn_profile *lp,
    struct pen_profile *out, int flags, int64_t as_of_ms)
{
	const struct lrn_params *prm = &p->r.hdr->params;
	memset(out, 0, sizeof(*out));
	out->user_key = lp->user_key;
	out->first_ms = lp->first_ms;
	out->last_ms = lp->last_ms;
	out->events = lp->events;
	out->unknown_entity = lp->unknown;
	out->displaced = lp->displaced;
	unsigned cat_slot[LRN_CATS];
	memcpy(out->counts, lp->counts, sizeof(lp->counts));
	out->n_tags =
	    _interests(p, lp, lp->tags, LRN_TAGS, out->tags, NULL, flags);
	out->n_cats =
	    _interests(p, lp, lp->cats, LRN_CATS, out->cats, cat_slot, flags);
	for (unsigned d = 0; d < 7; d++)
		for (unsigned h = 0; h < EVT_DP_COUNT; h++)
			out->hours[d][h] = lp->hours[d][h];
	for (unsigned i = 0; i < EVT_DEV_COUNT; i++)
		out->devices[i] = lp->devices[i];
	for (unsigned i = 0; i < EVT_PLAT_COUNT; i++)
		out->platforms[i] = lp->platforms[i];
	_export_geo(p, lp, out);
	out->confidence = lrn_profile_confidence(lp, prm);
	_export_drift(p, lp, out, cat_slot);
	memcpy(out->seasons, lp->seasons, sizeof(out->seasons));
	_export_candidates(p, lp, out, flags);
	_export_history(p, lp, out, flags);
	_export_behavior(p, lp, out, as_of_ms);
}

int client_profile_of(pen_t *p, const char *user_id, size_t len,
    struct lrn_profile *out)
{
	if (!p || !user_id || !out)
		return -EINVAL;
	/* A half-loaded table would say "not found"; a draining one still
	 * answers; a stopped one (its instance gone) no longer does. */
	int rc = client_readable(p);
	if (rc)
		return rc;
	return prof_read(&p->r, evt_user_key(&p->r.hdr->limits, user_id, len),
	    out);
}

int pen_profile_read(pen_t *p, const char *user_id, size_t len,
    struct pen_profile *out, int flags)
{
	if (!out)
		return -EINVAL;
	struct lrn_profile lp;
	int rc = client_profile_of(p, user_id, len, &lp);
	if (rc)
		return rc;
	if (lp.events == 0)
		return -ENOENT;
	client_profile_export(p, &lp, out, flags, reg_now_wall_ms());
	return 0;
}

int pen_warm(pen_t *p)
{
	if (!p)
		return -EINVAL;
#ifdef MADV_POPULATE_READ
	/* Read faults only: nothing is written, no page is dirtied. */
	if (madvise(p->r.base, p->r.size, MADV_POPULATE_READ))
		return -errno;
	return 0;
#else
	return -EINVAL;
#endif
}

/* The hot export of a copied prefix (LRN_HOT_BYTES of lp are valid). */
static int _hot_export(const pen_t *p, const struct lrn_profile *lp,
    struct pen_profile_hot *out)
{
	if (lp->events == 0)
		return -ENOENT;
	unsigned slot[LRN_TAGS > LRN_CATS ? LRN_TAGS : LRN_CATS];
	out->user_key = lp->user_key;
	out->first_ms = lp->first_ms;
	out->last_ms = lp->last_ms;
	out->events = lp->events;
	out->n_tags =
	    _hot_interests(p, lp, lp->tags, LRN_TAGS, out->tags, slot);
	out->n_cats =
	    _hot_interests(p, lp, lp->cats, LRN_CATS, out->cats, slot);
	out->confidence = lrn_profile_confidence(lp, &p->r.hdr->params);
	memset(out->reserved, 0, sizeof(out->reserved));
	return 0;
}

/* Only the leading LRN_HOT_BYTES of lp are copied: the exports above read
 * nothing past them. */
static int _hot_read(const pen_t *p, uint64_t key, struct pen_profile_hot *out)
{
	struct lrn_profile lp;
	int rc = prof_read_part(&p->r, key, &lp, LRN_HOT_BYTES);
	return rc ? rc : _hot_export(p, &lp, out);
}

int pen_profile_hot_read(pen_t *p, const char *user_id, size_t len,
    struct pen_profile_hot *out)
{
	if (!p || !user_id || !out)
		return -EINVAL;
	int rc = client_readable(p);
	if (rc)
		return rc;
	return _hot_read(p, evt_user_key(&p->r.hdr->limits, user_id, len), out);
}

/* A batch is a pipeline: user i's index line is requested while user
 * i - _AHEAD's record lines are and user i - 2 * _AHEAD is read, so every
 * read finds its lines arrived and about 2 * _AHEAD misses are in flight.
 * Keys are hashed _CHUNK at a time. */
#define _AHEAD 4
#define _CHUNK 64

int pen_profile_hot_read_many(pen_t *p, const struct pen_user *users,
    unsigned n, struct pen_profile_hot *out, int *rc)
{
	if (!p || (n && (!users || !out || !rc)))
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		if (!users[i].id)
			return -EINVAL;
	int ready = client_readable(p);
	if (ready)
		return ready;
	int found = 0;
	uint64_t keys[_CHUNK];
	for (unsigned b = 0; b < n; b += _CHUNK) {
		unsigned m = n - b < _CHUNK ? n - b : _CHUNK;
		for (unsigned i = 0; i < m; i++)
			keys[i] = evt_user_key(&p->r.hdr->limits,
			    users[b + i].id, users[b + i].len);
		for (unsigned i = 0; i < m + 2 * _AHEAD; i++) {
			if (i < m)
				prof_prefetch_index(&p->r, keys[i]);
			if (i >= _AHEAD && i - _AHEAD < m)
				prof_prefetch_record(&p->r, keys[i - _AHEAD],
				    LRN_HOT_BYTES);
			if (i < 2 * _AHEAD || i - 2 * _AHEAD >= m)
				continue;
			unsigned k = i - 2 * _AHEAD;
			rc[b + k] = _hot_read(p, keys[k], &out[b + k]);
			found += rc[b + k] == 0;
		}
	}
	return found;
}

double pen_profile_weight_at(pen_t *p, const struct pen_profile *prof,
    double weight, int64_t at_ms)
{
	if (!p || !prof)
		return NAN;
	struct lrn_profile lp = { .last_ms = prof->last_ms };
	return lrn_weight_at(&lp, &p->r.hdr->params, weight, at_ms);
}

int pen_stats_read(pen_t *p, struct pen_stats *out)
{
	if (!p || !out)
		return -EINVAL;
	const struct reg_geometry *g = &p->r.hdr->geo;
	memset(out, 0, sizeof(*out));
	out->shards = g->shards;
	out->producer_slots = g->producer_slots;
	out->loading = client_ready(p) == -EINPROGRESS;
	out->load_done = ck_pr_load_64(&p->r.hdr->load_done);
	out->load_total = ck_pr_load_64(&p->r.hdr->load_total);
	out->profile_capacity = (uint64_t)g->profiles_per_shard * g->shards;
	out->catalog_capacity = g->catalog_capacity;
	out->catalog = ck_pr_load_uint(&reg_catalog(&p->r)->count);
	for (unsigned s = 0; s < g->shards; s++) {
		out->profiles += ck_pr_load_uint(&reg_shard(&p->r, s)->count);
		const uint64_t *c =
		    reg_proc(&p->r, reg_proc_worker(&p->r, s))->counters;
		out->applied += c[REG_C_APPLIED];
		out->unknown_entity += c[REG_C_UNKNOWN_ENTITY];
		for (unsigned k = 0; k < EVT_REASON_COUNT; k++)
			out->rejected += c[REG_C_REJECT0 + k];
	}
	for (unsigned q = 0; q < g->producer_slots; q++) {
		const struct reg_producer *pr = reg_producer(&p->r, q);
		out->published += pr->published;
		out->full_waits += pr->full_waits;
		out->rejected += pr->rejected;
		for (unsigned s = 0; s < g->shards; s++)
			out->backlog += ring_backlog(reg_ring(&p->r, q, s));
	}
	for (unsigned k = 0; k < EVT_REASON_COUNT; k++)
		out->rejected += p->held_rejected_by[k];
	return 0;
}

/* Counter k summed over processes; rejects also over producers. */
static uint64_t _counter_sum(const pen_t *p, unsigned k)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < reg_nprocs(&p->r); i++)
		v += ck_pr_load_64(&reg_proc(&p->r, i)->counters[k]);
	if (reg_counter_is_reject(k)) {
		for (unsigned q = 0; q < p->r.hdr->geo.producer_slots; q++)
			v += ck_pr_load_64(
			    &reg_producer(&p->r, q)
				 ->rejected_by[k - REG_C_REJECT0]);
		v += p->held_rejected_by[k - REG_C_REJECT0];
	}
	return v;
}

int pen_counters_read(pen_t *p, struct pen_counter *out, size_t cap)
{
	if (!p || (!out && cap))
		return -EINVAL;
	for (unsigned k = 0; k < REG_C_COUNT && k < cap; k++) {
		struct pen_counter *c = &out[k];
		memset(c, 0, sizeof(*c));
		snprintf(c->name, sizeof(c->name), "%s%s",
		    reg_counter_is_reject(k) ? "rejected_" : "",
		    reg_counter_name(k));
		c->help = reg_counter_help(k);
		c->gauge = reg_counter_is_gauge(k);
		c->value = _counter_sum(p, k);
	}
	return REG_C_COUNT;
}

const char *pen_count_name(pen_t *p, unsigned i)
{
	static const char *const names[LRN_N_CUSTOM0] = { "view", "click",
		"rsvp", "save", "share", "feedback_pos", "feedback_neg",
		"search", "cart", "purchase", "like", "dislike", "skip", "hide",
		"impression" };
	if (i < LRN_N_CUSTOM0)
		return names[i];
	if (!p || i >= LRN_N_COUNT)
		return NULL;
	const char *v = p->r.hdr->limits.verbs[i - LRN_N_CUSTOM0];
	return v[0] ? v : NULL;
}

const char *pen_version(void)
{
	return PEN_VERSION;
}

const struct reg *client_region(const pen_t *p)
{
	return &p->r;
}

void *client_rank_scratch(pen_t *p, size_t bytes)
{
	if (bytes > p->rank_cap) {
		void *grown = realloc(p->rank, bytes);
		if (!grown)
			return NULL;
		p->rank = grown;
		p->rank_cap = bytes;
	}
	return p->rank;
}

const struct seg_table *client_segments(pen_t *p)
{
	const struct seg_block *b = reg_segments(&p->r);
	unsigned a = ck_pr_load_uint(&b->active);
	const struct seg_table *t = &b->tab[a & 1];
	uint64_t v;

	/* The published version, 8 bytes under the table's lock: the whole
	 * table (about 6 KiB) is copied only when it differs from ours. */
	if (seq_read_copy(&t->seq, &v, &t->version, sizeof(v)) || v == 0)
		return NULL;
	if (p->seg && v == p->seg_version && ck_pr_load_uint(&b->active) == a)
		return p->seg;
	if (!p->seg && !(p->seg = malloc(sizeof(*p->seg))))
		return NULL;
	p->seg_version = 0;
	if (seg_read(&p->r, p->seg))
		return NULL; /* busy, or gone: rank without */
	p->seg_version = p->seg->version;
	return p->seg;
}

uint32_t client_rank_seq(pen_t *p)
{
	/* One counter for the instance (a counter per handle gave two
	 * handles of one process the same ids). */
	return ck_pr_faa_32(&p->r.hdr->rank_seq, 1);
}
