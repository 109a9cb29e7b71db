/*
 * penchant-bench: the data path end to end with real processes, against the
 * ceiling of what the same processes can move.
 *
 *   P publisher processes (libpenchant: pen_open, client_publish_records)
 *     -> the SPSC ring matrix -> S consumer processes
 *
 * Variants, each on a fresh region of a unique instance (bench-<pid>-<n>),
 * each with the same publishers, the same pre-generated events and consumers
 * forked from this process:
 *   ring-copy  consumer copies each record out and releases the batch
 *              (ck ring transfer only);
 *   table      consumer does ring copy + prof_find_or_insert + a trivial
 *              seqlocked write (events++, last_ms): the ceiling;
 *   e2e        consumer is the real shard worker, wrk_main (catalog lookup,
 *              intent record, learner);
 *   latency    e2e again, publishers paced to --rate events/s in total;
 *   latency-floor  the same pace through a bare ring (ring-copy consumer
 *              moving applied_seq): the machine's own jitter floor, so a
 *              reader can tell the engine's share of the tail from the VM's.
 *
 * Throughput is events / (publishers released -> every event applied, as
 * the consumers' REG_C_APPLIED counters say).
 *
 * Latency method: the worker is not ours to instrument, so each publisher
 * stamps CLOCK_MONOTONIC just before each publish call and remembers the
 * ring sequence number of the first record of the call. Between publishes
 * (it is paced, so mostly idle) the same publisher polls the applied_seq of
 * its rings (written by the worker after each record, layout.h) at most every
 * 0.5 us; a sample is complete when applied_seq passes its sequence number.
 * Latency = publish call start -> first poll that sees it applied, so it
 * includes the publish call and up to one poll interval. The first 5 % of
 * samples are warm-up and dropped. Polling from the publisher instead of a
 * third process keeps a spinning reader off the two cores the publisher and
 * worker need.
 *
 * Workload: --users users (keys of "user-<n>"), picked Zipf(s = --zipf)
 * through a precomputed CDF and binary search; entities from a catalog of
 * 2000 (20 categories, 4 of 200 tags each), types mixed (views most, some
 * clicks, saves, rsvps, shares, feedback, searches naming tags), event time
 * spread over 30 days. Generated once before any timing into 8 bytes per
 * event; a publisher turns them into ring records as it goes.
 *
 * Consumers prefault their shard's pages before the start (steady state:
 * a running engine has its table mapped); --no-prefault measures cold.
 *
 * Correctness, every run: sum of consumers' REG_C_APPLIED == sum of the
 * producers' published == events; no table_full; the ring-copy consumer
 * also checks every ring's sequence numbers arrive in order with no gap.
 * Any failure exits 1.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/benchutil.h"
#include "engine/clock.h"
#include "ipc/client.h"
#include "shm/ring.h"
#include "shm/catalog.h"
#include "conf/config.h"
#include "shm/profiles.h"
#include "shm/boot.h"
#include "shm/region.h"
#include "shm/shard.h"
#include "workers/worker.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define _MAX_PROCS 64
#define _BATCH 64
#define _ENTITIES 2000
#define _CATS 20
#define _TAGS 200
#define _T0_MS 1700000000000LL
#define _SPAN_MS (30 * 86400000LL)
#define _WARMUP_FRAC 0.05
#define _POLL_NS 500
#define _TARGET_NS 50000 /* the latency target: p99 within 50 us */

enum variant { V_RING, V_TABLE, V_E2E, V_LAT, V_FLOOR, V_COUNT };
static const char *const _vname[V_COUNT] = { "ring-copy", "table", "e2e",
	/* latency, then latency-floor: the same pace through a bare ring */
	"latency", "latency-floor" };

struct opts {
	uint64_t events, users, lat_events;
	unsigned shards, publishers, repeat;
	double zipf, rate;
	bool prefault, verbose;
	int only;	   /* a variant, or -1 for all */
	long idle_spin_us; /* the worker's idle_spin_us; < 0: the setting */
	double idle_spin_share; /* the worker's idle_spin_share; < 0: the
				 * setting */
	FILE *trace;	   /* --trace: the paced runs' time-resolved trace */
	long trace_gap_us; /* a loop pass this much after the last: a gap */
};

/* One event, compact; a publisher expands it into a ring record. */
struct ev8 {
	uint32_t user;
	uint16_t entity;
	uint8_t type;
	uint8_t extra;
};

/* Read-only after generation; children inherit it through fork. */
struct workload {
	uint64_t n;
	struct ev8 *ev;
	uint64_t *user_keys;
	uint64_t ent_keys[_ENTITIES];
	struct cat_item items[_ENTITIES];
	uint32_t tag_ids[_TAGS], cat_ids[_CATS];
	char tag_names[_TAGS][12], cat_names[_CATS][12];
};

/* Shared between this process and its children (anonymous shared map). */
struct ctl {
	uint32_t go;
	uint32_t ready;
	uint32_t failed; /* a child's error flag */
	uint32_t pad;
	int64_t t_go_ns;
	uint64_t seq_errors;	   /* ring-copy: out-of-order records */
	uint64_t sink[_MAX_PROCS]; /* consumers' checksums, kept live */
	uint64_t lat_n[_MAX_PROCS];
	uint64_t lat_cap;  /* samples per publisher */
	uint32_t lat_ns[]; /* [publisher][lat_cap] */
	/* With --trace, after lat_ns (offsets in struct _layout): each
	 * sample's publish time and event index, then one loop trace per
	 * consumer, then one per publisher. */
};

/* Where the trace parts of struct ctl start; 0 without --trace. */
struct _layout {
	size_t lat_at, lat_idx, traces, trace_stride, size;
	uint32_t sample_cap, gap_cap;
};

static void _ctl_layout(const struct opts *o, struct _layout *l)
{
	const uint64_t cap =
	    (o->lat_events + o->publishers - 1) / o->publishers + 1;
	const size_t n = (size_t)cap * o->publishers;
	memset(l, 0, sizeof(*l));
	l->size = sizeof(struct ctl) + n * sizeof(uint32_t);
	if (!o->trace)
		return;
	l->lat_at = (l->size + 7) & ~(size_t)7;
	l->lat_idx = l->lat_at + n * sizeof(int64_t);
	l->traces = (l->lat_idx + n * sizeof(uint64_t) + 63) & ~(size_t)63;
	/* A sample every half gap for three times the paced run's planned
	 * length (an overloaded machine stretches it); past that counted. */
	double planned_s = (double)o->lat_events / o->rate + 1.0;
	double per_s = 2e6 / (double)o->trace_gap_us;
	double caps = 3.0 * planned_s * per_s + 1000.0;
	l->sample_cap = caps > 4e6 ? 4000000u : (uint32_t)caps;
	l->gap_cap = 100000;
	l->trace_stride =
	    (wrk_trace_size(l->sample_cap, l->gap_cap) + 63) & ~(size_t)63;
	l->size =
	    l->traces + l->trace_stride * (size_t)(o->shards + o->publishers);
}

/* Loop trace i: consumers 0..S-1, then publishers. */
static struct wrk_trace *_trace_of(struct ctl *ctl, const struct _layout *l,
    unsigned i)
{
	if (!l->traces)
		return NULL;
	return (struct wrk_trace *)((char *)ctl + l->traces +
	    (size_t)i * l->trace_stride);
}

struct result {
	double rate;	       /* events/s */
	double p50, p99, p999; /* latency ns */
	double over;	       /* share of samples over _TARGET_NS */
	uint64_t samples;
	uint64_t touched; /* profiles in the table at the end */
	double bytes_per_user, slot_bytes;
	uint64_t capacity;
};

static int64_t _now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void _sleep_us(unsigned us)
{
	struct timespec ts = { 0, (long)us * 1000L };
	nanosleep(&ts, NULL);
}

static uint64_t _rng(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 0x2545F4914F6CDD1DULL;
}

static double _unit(uint64_t *x)
{
	return (double)(_rng(x) >> 11) * (1.0 / 9007199254740992.0);
}

/* Workload --------------------------------------------------------------- */

static int _gen(struct workload *w, const struct opts *o)
{
	uint64_t rng = 0x243F6A8885A308D3ULL;
	w->n = o->events > o->lat_events ? o->events : o->lat_events;
	w->ev = malloc(w->n * sizeof(*w->ev));
	w->user_keys = malloc(o->users * sizeof(*w->user_keys));
	double *cdf = malloc(o->users * sizeof(*cdf));
	uint32_t *perm = malloc(o->users * sizeof(*perm));
	if (!w->ev || !w->user_keys || !cdf || !perm) {
		free(cdf);
		free(perm);
		return -ENOMEM;
	}
	char id[32];
	for (uint64_t u = 0; u < o->users; u++) {
		int len = snprintf(id, sizeof(id), "user-%llu",
		    (unsigned long long)u);
		w->user_keys[u] = evt_user_key(NULL, id, (size_t)len);
	}
	/* Zipf ranks -> users through a random permutation. */
	for (uint64_t u = 0; u < o->users; u++)
		perm[u] = (uint32_t)u;
	for (uint64_t u = o->users - 1; u > 0; u--) {
		uint64_t j = _rng(&rng) % (u + 1);
		uint32_t t = perm[u];
		perm[u] = perm[j];
		perm[j] = t;
	}
	double acc = 0;
	for (uint64_t k = 0; k < o->users; k++) {
		acc += 1.0 / pow((double)(k + 1), o->zipf);
		cdf[k] = acc;
	}
	for (uint64_t k = 0; k < o->users; k++)
		cdf[k] /= acc;
	for (unsigned t = 0; t < _TAGS; t++) {
		int len = snprintf(w->tag_names[t], sizeof(w->tag_names[t]),
		    "tag%u", t);
		w->tag_ids[t] = evt_tag_id(w->tag_names[t], (size_t)len);
	}
	for (unsigned c = 0; c < _CATS; c++) {
		int len = snprintf(w->cat_names[c], sizeof(w->cat_names[c]),
		    "cat%u", c);
		w->cat_ids[c] = evt_tag_id(w->cat_names[c], (size_t)len);
	}
	for (unsigned e = 0; e < _ENTITIES; e++) {
		int len = snprintf(id, sizeof(id), "activity-%u", e);
		w->ent_keys[e] = evt_entity_key(id, (size_t)len);
		struct cat_item *it = &w->items[e];
		memset(it, 0, sizeof(*it));
		it->item.category = w->cat_ids[e % _CATS];
		it->item.n_tags = 4;
		for (unsigned t = 0; t < 4; t++)
			it->item.tags[t] =
			    w->tag_ids[(e * 13 + t * 37) % _TAGS];
		it->price_level = 255;
	}
	for (uint64_t i = 0; i < w->n; i++) {
		double x = _unit(&rng);
		uint64_t lo = 0, hi = o->users - 1;
		while (lo < hi) {
			uint64_t mid = (lo + hi) / 2;
			if (cdf[mid] < x)
				lo = mid + 1;
			else
				hi = mid;
		}
		uint64_t r = _rng(&rng);
		unsigned pct = (unsigned)(r % 100);
		struct ev8 *e = &w->ev[i];
		e->user = perm[lo];
		e->entity = (uint16_t)((r >> 8) % _ENTITIES);
		e->type = pct < 55 ? EVT_VIEW
		    : pct < 78	   ? EVT_CLICK
		    : pct < 85	   ? EVT_SAVE
		    : pct < 91	   ? EVT_RSVP
		    : pct < 95	   ? EVT_SHARE
		    : pct < 98	   ? EVT_FEEDBACK
				   : EVT_SEARCH;
		e->extra = (uint8_t)(r >> 40);
	}
	free(cdf);
	free(perm);
	return 0;
}

static void _record(const struct workload *w, uint64_t i, struct evt_record *r)
{
	const struct ev8 *e = &w->ev[i];
	memset(r, 0, sizeof(*r));
	r->user_key = w->user_keys[e->user];
	r->type = e->type;
	r->time_ms = _T0_MS + (int64_t)((double)i / (double)w->n * _SPAN_MS);
	r->daypart = (uint8_t)((r->time_ms / 3600000LL) % 24 / 6);
	r->weekday = (uint8_t)((r->time_ms / 86400000LL + 3) % 7);
	r->month = (uint8_t)clk_month(r->time_ms, 0); /* as evt_build does */
	r->device = (uint8_t)(1 + e->extra % 4);
	r->platform = (uint8_t)(1 + (e->extra >> 2) % 6);
	r->scroll_depth = -1.0f;
	if (e->type == EVT_SEARCH) {
		const struct lrn_item *it = &w->items[e->entity].item;
		r->n_tokens = 2;
		r->tokens[0] = it->tags[0];
		r->tokens[1] = it->tags[1];
		return;
	}
	r->entity_key = w->ent_keys[e->entity];
	if (e->type == EVT_FEEDBACK)
		r->feedback = (e->extra & 0x80) ? -1 : 1;
	if (e->type == EVT_CLICK)
		r->position = (uint16_t)(1 + (e->extra & 15));
}

/* Region ------------------------------------------------------------------ */

/* The settings of the benchmark region: defaults, sized to the workload. */
static void _settings(const struct opts *o, struct cfg *cp)
{
	struct cfg c;
	cfg_defaults(&c);
	c.shards = o->shards;
	if (c.producer_slots < c.acceptor_slots + o->publishers)
		c.producer_slots = c.acceptor_slots + o->publishers;
	uint64_t per = (o->users + o->shards - 1) / o->shards;
	if (o->shards > 1) /* hash imbalance between shards */
		per += per / 50 + 4096;
	c.profiles_per_shard = (unsigned)(per < 1024 ? 1024 : per);
	c.catalog_capacity = 4096;
	c.names_capacity = 1024;
	c.retention_days = 0; /* event times are of 2023: keep them */
	*cp = c;
}

static int _setup_region(struct reg *r, const char *name, const struct opts *o,
    const struct workload *w)
{
	struct cfg settings;
	char err[256];
	_settings(o, &settings);
	/* replace: a leftover of a crashed run of this very name */
	struct boot_options bo = { .replace = true };
	int rc = boot_create(r, name, &settings, NULL, &bo, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "penchant-bench: %s\n", err);
		return rc;
	}
	if ((rc = cat_lock(r, err, sizeof(err)))) {
		fprintf(stderr, "penchant-bench: catalog: %s\n", err);
		return rc;
	}
	for (unsigned t = 0; t < _TAGS && !rc; t++)
		rc = cat_name_put(r, NAME_TAG, w->tag_ids[t], w->tag_names[t],
		    strlen(w->tag_names[t]));
	for (unsigned c = 0; c < _CATS && !rc; c++)
		rc = cat_name_put(r, NAME_CATEGORY, w->cat_ids[c],
		    w->cat_names[c], strlen(w->cat_names[c]));
	for (unsigned e = 0; e < _ENTITIES && !rc; e++)
		rc = cat_put(r, w->ent_keys[e], &w->items[e]);
	cat_unlock(r);
	if (rc) {
		fprintf(stderr, "penchant-bench: catalog: %s\n", strerror(-rc));
		return rc;
	}
	ck_pr_fence_store(); /* settings and catalog before RUNNING */
	ck_pr_store_uint(&r->hdr->state, REG_RUNNING);
	return 0;
}

/* Children ----------------------------------------------------------------- */

/*
 * Maps [p, p + len) for writing in this process: MADV_POPULATE_WRITE fills
 * the kernel's page tables, and a touch of each page through this mapping
 * its own (under a shadow-paging hypervisor the first user access to a
 * page still traps to the host; and fork does not copy the page tables of
 * a shared mapping). The touch adds 0 atomically: others may be writing
 * the same pages (ctl's ready count).
 */
static void _touch(void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p & ~(uintptr_t)4095;
	uintptr_t e = (uintptr_t)p + len;
	(void)madvise((void *)a, e - a, MADV_POPULATE_WRITE);
	for (; a < e; a += 4096)
		__atomic_fetch_add((uint8_t *)a, 0, __ATOMIC_RELAXED);
}

static void _prefault(const struct reg *r, unsigned s)
{
	shard_prefault(r, s); /* what the worker_prefault setting does */
}

static bool _column_empty(const struct reg *r, unsigned s)
{
	for (unsigned p = 0; p < r->hdr->geo.producer_slots; p++)
		if (ring_ready(reg_ring(r, p, s)))
			return false;
	return true;
}

/* The ceiling consumers: the same ring walk as shard_poll, minus the
 * engine. */
static int _consume(const struct reg *r, unsigned s, enum variant v,
    struct ctl *ctl, struct wrk_trace *trace)
{
	uint64_t *counters = reg_proc(r, reg_proc_worker(r, s))->counters;
	const unsigned slots = r->hdr->geo.producer_slots;
	const struct prof_index *idx = reg_shard_index(r, s);
	const uint32_t mask = r->hdr->geo.index_slots - 1;
	struct prof_slot *recs = reg_shard_records(r, s);
	struct evt_record copy[_BATCH];
	uint64_t applied = 0, sum = 0, bad = 0, full = 0;
	uint64_t next[REG_MAX_PRODUCERS] = { 0 };
	for (;;) {
		unsigned took = 0;
		for (unsigned p = 0; p < slots; p++) {
			struct ring_block *b = reg_ring(r, p, s);
			unsigned n = ring_ready(b);
			if (!n)
				continue;
			if (n > _BATCH)
				n = _BATCH;
			if (v == V_TABLE) /* as the worker does */
				for (unsigned i = 0; i < n; i++) {
					uint64_t k = ring_peek(b, i)->user_key;
					__builtin_prefetch(
					    &idx[(uint32_t)(k ^ (k >> 29)) &
						mask]);
				}
			for (unsigned i = 0; i < n; i++)
				memcpy(&copy[i], ring_peek(b, i),
				    sizeof(copy[i]));
			__asm__ volatile("" : : "r"(copy) : "memory");
			ring_release(b, n);
			if (v == V_FLOOR) /* what the latency probe polls */
				ck_pr_store_64(&b->applied_seq,
				    copy[n - 1].seq + 1);
			for (unsigned i = 0; i < n; i++) {
				const struct evt_record *e = &copy[i];
				if (v == V_RING || v == V_FLOOR) {
					bad += e->seq != next[p];
					next[p] = e->seq + 1;
					sum += e->user_key;
					continue;
				}
				struct prof_ref ref;
				if (prof_find_or_insert(r, s, e->user_key,
					&ref)) {
					full++;
					continue;
				}
				struct prof_slot *slot = recs + ref.rec;
				prof_write_begin(slot);
				slot->p.events++;
				slot->p.last_ms = e->time_ms;
				prof_write_end(slot);
			}
			applied += n;
			took += n;
			ck_pr_store_64(&counters[REG_C_APPLIED],
			    applied - full);
			ck_pr_store_64(&counters[REG_C_REJECT0 +
					   EVT_R_TABLE_FULL],
			    full);
		}
		if (trace) /* as the worker's loop does */
			wrk_trace_pass(trace, _now_ns(), applied, took);
		if (took)
			continue;
		if (ck_pr_load_uint(&r->hdr->state) >= REG_DRAINING &&
		    _column_empty(r, s))
			break;
		ck_pr_stall();
	}
	ck_pr_add_64(&ctl->seq_errors, bad);
	ctl->sink[s] = sum;
	return bad ? 1 : 0;
}

static void _consumer_child(const struct reg *r, unsigned s, enum variant v,
    const struct opts *o, struct ctl *ctl, struct wrk_trace *trace)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (o->prefault)
		_prefault(r, s);
	if (trace) /* its first writes are not page faults in the run */
		_touch(trace,
		    sizeof(*trace) +
			(size_t)trace->sample_cap * sizeof(trace->samples[0]) +
			(size_t)trace->gap_cap * sizeof(struct wrk_gap));
	ck_pr_inc_32(&ctl->ready);
	if (v == V_E2E || v == V_LAT) {
		struct cfg c;
		cfg_defaults(&c);
		struct wrk_options wo = { c.worker_batch,
			o->idle_spin_us < 0 ? c.idle_spin_us
					    : (unsigned)o->idle_spin_us,
			100,
			o->idle_spin_share < 0 ? c.idle_spin_share
					       : o->idle_spin_share,
			c.idle_spin_max_us, trace };
		_exit(wrk_main(r, s, &wo));
	}
	_exit(_consume(r, s, v, ctl, trace));
}

static int _find_slot(const struct reg *r)
{
	int32_t me = getpid();
	for (unsigned p = 0; p < r->hdr->geo.producer_slots; p++)
		if (ck_pr_load_int(&reg_producer(r, p)->owner) == me)
			return (int)p;
	return -1;
}

/* Throughput publisher: events i = me, me + P, ... in batches. */
static int _publish_all(pen_t *pen, const struct workload *w, uint64_t n,
    unsigned me, unsigned P)
{
	struct evt_record buf[_BATCH];
	uint64_t i = me;
	while (i < n) {
		unsigned k = 0;
		for (; k < _BATCH && i < n; k++, i += P)
			_record(w, i, &buf[k]);
		size_t done = 0;
		int rc = client_publish_records(pen, buf, k, 0, &done);
		if (rc || done != k) {
			fprintf(stderr, "penchant-bench: publish: %s\n",
			    pen_strerror(rc));
			return -1;
		}
	}
	return 0;
}

struct _pending {
	uint64_t seq;
	int64_t t;
	uint64_t idx; /* event index of the record sampled */
};

/* Paced publisher: total rate o->rate over P publishers; measures latency. */
static int _publish_paced(pen_t *pen, const struct workload *w, uint64_t n,
    unsigned me, unsigned P, const struct opts *o, struct ctl *ctl,
    const struct _layout *lay)
{
	const struct reg *r = client_region(pen);
	const unsigned S = r->hdr->geo.shards;
	const size_t qcap = 1 << 16;
	struct _pending *q = malloc(S * qcap * sizeof(*q));
	uint64_t *qh = calloc(S, sizeof(*qh)), *qt = calloc(S, sizeof(*qt));
	uint64_t *sent = calloc(S, sizeof(*sent));
	struct ring_block *rings[REG_MAX_SHARDS] = { 0 };
	uint32_t *lat = ctl->lat_ns + (size_t)me * ctl->lat_cap;
	int64_t *lat_at = lay->lat_at
	    ? (int64_t *)((char *)ctl + lay->lat_at) + (size_t)me * ctl->lat_cap
	    : NULL;
	uint64_t *lat_idx = lay->lat_idx
	    ? (uint64_t *)((char *)ctl + lay->lat_idx) +
		(size_t)me * ctl->lat_cap
	    : NULL;
	struct wrk_trace *trace = _trace_of(ctl, lay, o->shards + me);
	uint64_t nlat = 0, mine = n > me ? (n - me + P - 1) / P : 0, k = 0;
	int rc = -1;
	if (!q || !qh || !qt || !sent)
		goto out;
	const double per_ns = o->rate / P / 1e9;
	const int64_t t0 = ctl->t_go_ns;
	int64_t last_poll = 0, deadline = 0;
	int slot = -1;
	struct evt_record buf[_BATCH];
	for (;;) {
		int64_t now = _now_ns();
		uint64_t due = (uint64_t)((double)(now - t0) * per_ns);
		if (due > mine)
			due = mine;
		unsigned c = 0;
		if (k < due) {
			for (; c < _BATCH && k < due; c++, k++)
				_record(w, me + k * P, &buf[c]);
			size_t done = 0;
			int prc = client_publish_records(pen, buf, c, 0, &done);
			if (prc || done != c) {
				fprintf(stderr, "penchant-bench: publish: %s\n",
				    pen_strerror(prc));
				goto out;
			}
			if (slot < 0) {
				if ((slot = _find_slot(r)) < 0)
					goto out;
				for (unsigned s = 0; s < S; s++)
					rings[s] =
					    reg_ring(r, (unsigned)slot, s);
			}
			/* Sample the first record of the call. */
			unsigned s0 = reg_shard_of(buf[0].user_key, S);
			if (qt[s0] - qh[s0] < qcap) {
				q[s0 * qcap + qt[s0] % qcap] =
				    (struct _pending){ sent[s0], now,
					    me + (k - c) * P };
				qt[s0]++;
			}
			for (unsigned j = 0; j < c; j++)
				sent[reg_shard_of(buf[j].user_key, S)]++;
		}
		if (slot >= 0 && now - last_poll >= _POLL_NS) {
			now = last_poll =
			    _now_ns(); /* after any publish above */
			bool pending = false;
			for (unsigned s = 0; s < S; s++) {
				if (qh[s] == qt[s])
					continue;
				uint64_t a =
				    ck_pr_load_64(&rings[s]->applied_seq);
				while (qh[s] < qt[s] &&
				    q[s * qcap + qh[s] % qcap].seq < a) {
					int64_t d =
					    now - q[s * qcap + qh[s] % qcap].t;
					const struct _pending *pd =
					    &q[s * qcap + qh[s] % qcap];
					if (nlat < ctl->lat_cap && lat_at) {
						lat_at[nlat] = pd->t;
						lat_idx[nlat] = pd->idx;
					}
					if (nlat < ctl->lat_cap)
						lat[nlat++] = d > UINT32_MAX
						    ? UINT32_MAX
						    : (uint32_t)d;
					qh[s]++;
				}
				pending |= qh[s] < qt[s];
			}
			if (k == mine && !pending)
				break;
		}
		if (trace) /* a pass: its publish (c records) and its poll */
			wrk_trace_pass(trace, _now_ns(), k, c);
		if (k == mine) {
			if (!deadline)
				deadline = now + 30000000000LL;
			else if (now > deadline) {
				fprintf(stderr,
				    "penchant-bench: latency samples not applied within 30 s\n");
				goto out;
			}
		}
		if (k == 0 && mine == 0)
			break;
	}
	ctl->lat_n[me] = nlat;
	rc = 0;
out:
	free(q);
	free(qh);
	free(qt);
	free(sent);
	return rc;
}

static void _publisher_child(const char *name, const struct workload *w,
    uint64_t n, unsigned me, const struct opts *o, enum variant v,
    struct ctl *ctl, const struct _layout *lay)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	pen_t *pen = NULL;
	char err[256];
	int rc = pen_open(name, &pen, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "penchant-bench: pen_open: %s\n", err);
		ck_pr_store_32(&ctl->failed, 1);
		_exit(1);
	}
	if (v == V_LAT || v == V_FLOOR) {
		/* What the paced loop writes, mapped now: a page fault in the
		 * run would delay its polls and publishes. */
		size_t b = (size_t)me * ctl->lat_cap;
		_touch(ctl->lat_ns + b, ctl->lat_cap * sizeof(uint32_t));
		if (lay->lat_at) {
			_touch((int64_t *)((char *)ctl + lay->lat_at) + b,
			    ctl->lat_cap * sizeof(int64_t));
			_touch((uint64_t *)((char *)ctl + lay->lat_idx) + b,
			    ctl->lat_cap * sizeof(uint64_t));
			_touch(_trace_of(ctl, lay, o->shards + me),
			    lay->trace_stride);
		}
	}
	ck_pr_inc_32(&ctl->ready);
	while (!ck_pr_load_32(&ctl->go))
		ck_pr_stall();
	rc = v == V_LAT || v == V_FLOOR
	    ? _publish_paced(pen, w, n, me, o->publishers, o, ctl, lay)
	    : _publish_all(pen, w, n, me, o->publishers);
	pen_close(&pen);
	if (rc)
		ck_pr_store_32(&ctl->failed, 1);
	_exit(rc ? 1 : 0);
}

/* One run ----------------------------------------------------------------- */

static void _kill_all(const pid_t *pids, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGKILL);
	for (unsigned i = 0; i < n; i++)
		if (pids[i] > 0)
			waitpid(pids[i], NULL, 0);
}

/*
 * Waits for pids[0..n) to exit within timeout; 0 when all exited with 0.
 * Sleeps on SIGCHLD (blocked in main, so it stays pending) rather than
 * polling: during a paced run both CPUs of a small machine are busy with
 * the publisher and the consumer, and every wake-up of this process
 * preempts one of them (a 200 us poll did so ~3000 times a second).
 */
static int _reap(pid_t *pids, unsigned n, int64_t timeout_ns)
{
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	int64_t until = _now_ns() + timeout_ns;
	int bad = 0;
	unsigned left = n;
	while (left) {
		for (unsigned i = 0; i < n; i++) {
			int st;
			if (pids[i] <= 0)
				continue;
			pid_t got = waitpid(pids[i], &st, WNOHANG);
			if (got == 0)
				continue;
			if (got < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
				bad = 1;
			pids[i] = 0;
			left--;
		}
		if (!left)
			break;
		int64_t now = _now_ns();
		if (now > until)
			return -ETIMEDOUT;
		struct timespec ts = { (until - now) / 1000000000,
			(until - now) % 1000000000 };
		sigtimedwait(&chld, NULL, &ts); /* an exit, or the timeout */
	}
	return bad ? -1 : 0;
}

/* Events applied; with rejects, events taken (both only grow). */
static uint64_t _applied(const struct reg *r, bool rejects)
{
	uint64_t n = 0;
	for (unsigned s = 0; s < r->hdr->geo.shards; s++) {
		uint64_t *c = reg_proc(r, reg_proc_worker(r, s))->counters;
		n += ck_pr_load_64(&c[REG_C_APPLIED]);
		if (rejects)
			n +=
			    ck_pr_load_64(&c[REG_C_REJECT0 + EVT_R_TABLE_FULL]);
	}
	return n;
}

static int _cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static void _percentiles(struct ctl *ctl, unsigned P, struct result *res)
{
	uint64_t total = 0;
	for (unsigned p = 0; p < P; p++)
		total += ctl->lat_n[p];
	uint32_t *all = malloc((total ? total : 1) * sizeof(*all));
	uint64_t m = 0;
	for (unsigned p = 0; p < P && all; p++) {
		uint64_t n = ctl->lat_n[p];
		uint64_t skip = (uint64_t)(n * _WARMUP_FRAC);
		const uint32_t *l = ctl->lat_ns + (size_t)p * ctl->lat_cap;
		for (uint64_t i = skip; i < n; i++)
			all[m++] = l[i];
	}
	res->samples = m;
	if (!m) {
		free(all);
		return;
	}
	qsort(all, m, sizeof(*all), _cmp_u32);
	res->p50 = all[(uint64_t)(0.5 * (m - 1))];
	res->p99 = all[(uint64_t)(0.99 * (m - 1))];
	res->p999 = all[(uint64_t)(0.999 * (m - 1))];
	/* The target's own terms: p99 <= 50 us is at most 1 % over it, and
	 * unlike a p99 this share does not jump from us to ms when the
	 * stalls pass 1 % of the samples. */
	uint64_t lo = 0, hi = m;
	while (lo < hi) {
		uint64_t mid = (lo + hi) / 2;
		if (all[mid] <= _TARGET_NS)
			lo = mid + 1;
		else
			hi = mid;
	}
	res->over = (double)(m - lo) / (double)m;
	free(all);
}

/* Trace ------------------------------------------------------------------- */

/* /proc/stat's first line: the whole machine's CPU time (USER_HZ ticks). */
struct _cpu_stat {
	uint64_t busy, total, steal;
};

static void _cpu_read(struct _cpu_stat *c)
{
	unsigned long long u, ni, sy, id, io, irq, sirq, st;
	FILE *f = fopen("/proc/stat", "r");
	if (!f)
		return;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &u, &ni,
		&sy, &id, &io, &irq, &sirq, &st) == 8) {
		c->total = u + ni + sy + id + io + irq + sirq + st;
		c->busy = c->total - id - io;
		c->steal = st;
	}
	fclose(f);
}

/* One latency sample of the trace: publish time, latency, event index. */
struct _tsample {
	int64_t at;
	uint32_t lat;
	uint64_t idx;
};

static int _cmp_tsample_at(const void *a, const void *b)
{
	const struct _tsample *x = a, *y = b;
	return x->at < y->at ? -1 : x->at > y->at;
}

static int _cmp_gap_at(const void *a, const void *b)
{
	const struct wrk_gap *x = a, *y = b;
	return x->at_ns < y->at_ns ? -1 : x->at_ns > y->at_ns;
}

/* One side of the trace (the consumers, or the publishers), per window. */
struct _side {
	uint64_t *count;		 /* progress by the window's end */
	uint32_t *ivcsw, *vcsw, *minflt; /* switches and faults in it */
	double *off_us;			 /* wall minus CPU time in it */
	struct wrk_gap *gaps;		 /* all its gaps, by time */
	uint64_t n_gaps, lost_gaps;	 /* stored; past the caps */
	double cpu_s, off_s, gap_s;	 /* totals */
	uint64_t ivcsw_all, vcsw_all, minflt_all, ivcsw_gaps;
};

static void _side_free(struct _side *d)
{
	free(d->count);
	free(d->ivcsw);
	free(d->vcsw);
	free(d->minflt);
	free(d->off_us);
	free(d->gaps);
}

/* Traces first..first+n-1 into per-window arrays of W windows from t0;
 * the totals count [t0, t0 + W ms) only (the loops run before go and
 * until the drain). */
static int _side_fill(struct ctl *ctl, const struct _layout *lay,
    unsigned first, unsigned n, int64_t t0, uint64_t W, struct _side *d)
{
	const int64_t t1 = t0 + (int64_t)W * 1000000;
	memset(d, 0, sizeof(*d));
	d->count = calloc(W, sizeof(*d->count));
	d->ivcsw = calloc(W, sizeof(*d->ivcsw));
	d->vcsw = calloc(W, sizeof(*d->vcsw));
	d->minflt = calloc(W, sizeof(*d->minflt));
	d->off_us = calloc(W, sizeof(*d->off_us));
	uint64_t ng = 0;
	for (unsigned i = first; i < first + n; i++) {
		struct wrk_trace *t = _trace_of(ctl, lay, i);
		ng += t->n_gaps < t->gap_cap ? t->n_gaps : t->gap_cap;
	}
	d->gaps = malloc((ng ? ng : 1) * sizeof(*d->gaps));
	if (!d->count || !d->ivcsw || !d->vcsw || !d->minflt || !d->off_us ||
	    !d->gaps)
		return -ENOMEM;
	for (unsigned i = first; i < first + n; i++) {
		struct wrk_trace *t = _trace_of(ctl, lay, i);
		uint64_t ns =
		    t->n_samples < t->sample_cap ? t->n_samples : t->sample_cap;
		uint64_t *cum = calloc(W, sizeof(*cum));
		if (!cum)
			return -ENOMEM;
		for (uint64_t j = 0; j < ns; j++) {
			const struct wrk_sample *x = &t->samples[j];
			int64_t w = (x->at_ns - t0) / 1000000;
			if (w < 0)
				w = 0;
			if ((uint64_t)w >= W)
				continue;
			cum[w] = x->count;
			if (!j)
				continue;
			const struct wrk_sample *p = &t->samples[j - 1];
			double off = (double)((x->at_ns - p->at_ns) -
					 (x->cpu_ns - p->cpu_ns)) /
			    1e3;
			d->ivcsw[w] += x->nivcsw - p->nivcsw;
			d->vcsw[w] += x->nvcsw - p->nvcsw;
			d->minflt[w] += x->minflt - p->minflt;
			d->off_us[w] += off;
		}
		/* Progress only grows: carry it into windows without a
		 * sample. */
		for (uint64_t w = 1; w < W; w++)
			if (cum[w] < cum[w - 1])
				cum[w] = cum[w - 1];
		for (uint64_t w = 0; w < W; w++)
			d->count[w] += cum[w];
		free(cum);
		uint64_t j0 = 0, j1 = ns;
		while (j0 < ns && t->samples[j0].at_ns < t0)
			j0++;
		while (j1 > j0 && t->samples[j1 - 1].at_ns > t1)
			j1--;
		if (j0 > 0) /* from the last sample before go */
			j0--;
		if (j1 > j0 + 1) {
			const struct wrk_sample *a = &t->samples[j0],
						*b = &t->samples[j1 - 1];
			d->cpu_s += (double)(b->cpu_ns - a->cpu_ns) / 1e9;
			d->off_s += (double)((b->at_ns - a->at_ns) -
					(b->cpu_ns - a->cpu_ns)) /
			    1e9;
			d->ivcsw_all += b->nivcsw - a->nivcsw;
			d->vcsw_all += b->nvcsw - a->nvcsw;
			d->minflt_all += b->minflt - a->minflt;
		}
		uint64_t k = t->n_gaps < t->gap_cap ? t->n_gaps : t->gap_cap;
		const struct wrk_gap *g = wrk_trace_gaps(t);
		for (uint64_t j = 0; j < k; j++) /* ending after go */
			if (g[j].at_ns + g[j].len_ns > t0 && g[j].at_ns < t1)
				d->gaps[d->n_gaps++] = g[j];
		d->lost_gaps += t->n_gaps - k;
		d->lost_gaps += t->n_samples - ns; /* samples past the cap */
	}
	qsort(d->gaps, d->n_gaps, sizeof(*d->gaps), _cmp_gap_at);
	for (uint64_t g = 0; g < d->n_gaps; g++) {
		d->gap_s += (double)d->gaps[g].len_ns / 1e9;
		d->ivcsw_gaps += d->gaps[g].nivcsw;
	}
	return 0;
}

/* The last gap of d that began before `before`, or NULL. */
static const struct wrk_gap *_gap_before(const struct _side *d, int64_t before)
{
	uint64_t lo = 0, hi = d->n_gaps;
	while (lo < hi) {
		uint64_t mid = (lo + hi) / 2;
		if (d->gaps[mid].at_ns < before)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &d->gaps[lo - 1] : NULL;
}

/* A gap's kind: preempted (an involuntary switch in it), slept (a
 * voluntary one: the doorbell), or on the CPU all along (a slow pass). */
static int _gap_kind(const struct wrk_gap *g)
{
	return g->nivcsw ? 0 : g->nvcsw ? 1 : 2;
}

static void _print_gaps(FILE *f, const char *who, const struct _side *d,
    int64_t t0)
{
	for (uint64_t g = 0; g < d->n_gaps; g++) {
		const struct wrk_gap *x = &d->gaps[g];
		fprintf(f, "G\t%s\t%.1f\t%.1f\t%.1f\t%u\t%u\t%u\t%u\t%llu\n",
		    who, (double)(x->at_ns - t0) / 1e3, (double)x->len_ns / 1e3,
		    (double)x->off_cpu_ns / 1e3, x->nivcsw, x->nvcsw, x->minflt,
		    x->taken, (unsigned long long)x->count);
	}
}

/*
 * One publisher, one consumer: the consumer's progress counts the
 * publisher's events, so its samples date each event's taking (within half
 * a gap). A sample's latency then splits into the consumer's time off the
 * CPU while the event waited (cum_off: its off-CPU time summed over its
 * samples), its time on the CPU meanwhile (earlier events: the backlog;
 * or spinning idle while a publish call that waited for ring room had
 * not yet committed the event: the stamp is taken before the call),
 * and the wait from the taking to the publisher's poll; in us, added to
 * sum[0..2].
 */
static void _split(const struct wrk_trace *ct, uint64_t n,
    const double *cum_off, const struct _tsample *x, double sum[3])
{
	uint64_t lo = 0, hi = n;
	while (lo < hi) { /* the first sample that counts the event */
		uint64_t mid = (lo + hi) / 2;
		if (ct->samples[mid].count <= x->idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	const int64_t done = x->at + x->lat;
	int64_t taken = lo < n ? ct->samples[lo].at_ns : done;
	if (taken > done)
		taken = done;
	uint64_t b = lo < n ? lo : n - 1, a = 0;
	hi = b;
	while (a < hi) { /* the first sample after the publish */
		uint64_t mid = (a + hi) / 2;
		if (ct->samples[mid].at_ns <= x->at)
			a = mid + 1;
		else
			hi = mid;
	}
	double wait = taken > x->at ? (double)(taken - x->at) / 1e3 : 0.0;
	double off = cum_off[b] - (a ? cum_off[a - 1] : 0.0);
	if (off > wait) /* a sample's span reaches back before the publish */
		off = wait;
	sum[0] += off;
	sum[1] += wait - off;
	sum[2] += (double)(done - taken) / 1e3;
}

/*
 * After a paced run: per 1 ms window what was published and applied, the
 * backlog, the latency of the samples published in it and both loops'
 * switches, faults and off-CPU time, then every loop gap and every sample
 * above the run's p99, into the --trace file; and a summary of what the
 * tail samples have in common on stdout. Windows start at go.
 */
static void _trace_report(const struct opts *o, const struct workload *wl,
    struct ctl *ctl, const struct _layout *lay, enum variant v, unsigned runno,
    const struct result *res, int64_t t_end, const struct _cpu_stat *c0,
    const struct _cpu_stat *c1)
{
	const unsigned S = o->shards, P = o->publishers;
	const int64_t t0 = ctl->t_go_ns;
	const uint64_t W = (uint64_t)((t_end - t0) / 1000000) + 2;
	const int64_t *lat_at = (const int64_t *)((char *)ctl + lay->lat_at);
	const uint64_t *lat_idx =
	    (const uint64_t *)((char *)ctl + lay->lat_idx);
	uint64_t total = 0;
	for (unsigned p = 0; p < P; p++)
		total += ctl->lat_n[p];
	struct _tsample *sm = malloc((total ? total : 1) * sizeof(*sm));
	uint64_t *wn = calloc(W + 1, sizeof(*wn));
	uint32_t *wlat = malloc((total ? total : 1) * sizeof(*wlat));
	struct _side wk, pb;
	int rc = -ENOMEM;
	memset(&wk, 0, sizeof(wk));
	memset(&pb, 0, sizeof(pb));
	if (!sm || !wn || !wlat || _side_fill(ctl, lay, 0, S, t0, W, &wk) ||
	    _side_fill(ctl, lay, S, P, t0, W, &pb))
		goto out;
	/* The samples _percentiles kept (warm-up dropped), by publish time. */
	uint64_t m = 0;
	for (unsigned p = 0; p < P; p++) {
		uint64_t n = ctl->lat_n[p];
		size_t base = (size_t)p * ctl->lat_cap;
		for (uint64_t i = (uint64_t)(n * _WARMUP_FRAC); i < n; i++)
			sm[m++] = (struct _tsample){ lat_at[base + i],
				ctl->lat_ns[base + i], lat_idx[base + i] };
	}
	qsort(sm, m, sizeof(*sm), _cmp_tsample_at);
	/* Latencies grouped by publish window (counting sort). */
	for (uint64_t i = 0; i < m; i++) {
		int64_t w = (sm[i].at - t0) / 1000000;
		wn[w < 0 ? 0 : (uint64_t)w < W ? (uint64_t)w : W - 1]++;
	}
	for (uint64_t w = 0, acc = 0; w <= W; w++) {
		uint64_t c = w < W ? wn[w] : 0;
		wn[w] = acc;
		acc += c;
	}
	for (uint64_t i = 0; i < m; i++) /* in order: slices stay sorted */
		wlat[i] = sm[i].lat;
	for (uint64_t w = 0; w < W; w++)
		qsort(wlat + wn[w], wn[w + 1] - wn[w], sizeof(*wlat), _cmp_u32);

	FILE *f = o->trace;
	fprintf(f,
	    "# run %u %s: %.0f events/s offered, %llu events, %u publishers, %u shards, gap > %ld us, p99 %.1f us, %llu samples, go at %lld ns (CLOCK_MONOTONIC, as perf record -k CLOCK_MONOTONIC stamps)\n",
	    runno, _vname[v], o->rate, (unsigned long long)o->lat_events, P, S,
	    o->trace_gap_us, res->p99 / 1e3, (unsigned long long)m,
	    (long long)t0);
	fprintf(f,
	    "# W window_ms published applied backlog behind_plan lat_n lat_max_us lat_p99_us wrk_ivcsw wrk_vcsw wrk_minflt wrk_offcpu_us pub_ivcsw pub_vcsw pub_minflt pub_offcpu_us\n");
	for (uint64_t w = 0; w < W; w++) {
		uint64_t n = wn[w + 1] - wn[w];
		double plan = (double)(w + 1) * 1e-3 * o->rate;
		if (plan > (double)o->lat_events)
			plan = (double)o->lat_events;
		fprintf(f,
		    "W\t%llu\t%llu\t%llu\t%lld\t%.0f\t%llu\t%.1f\t%.1f\t%u\t%u\t%u\t%.1f\t%u\t%u\t%u\t%.1f\n",
		    (unsigned long long)w, (unsigned long long)pb.count[w],
		    (unsigned long long)wk.count[w],
		    (long long)(pb.count[w] - wk.count[w]),
		    plan - (double)pb.count[w], (unsigned long long)n,
		    n ? wlat[wn[w + 1] - 1] / 1e3 : 0.0,
		    n ? wlat[wn[w] + (uint64_t)(0.99 * (double)(n - 1))] / 1e3
		      : 0.0,
		    wk.ivcsw[w], wk.vcsw[w], wk.minflt[w], wk.off_us[w],
		    pb.ivcsw[w], pb.vcsw[w], pb.minflt[w], pb.off_us[w]);
	}
	fprintf(f,
	    "# G who at_us len_us offcpu_us ivcsw vcsw minflt taken count (a loop pass more than the gap after the one before; the counts since the sample before it; count: the loop's progress after it, so with one publisher and one consumer the consumer's pass took events count-taken..count-1)\n");
	_print_gaps(f, "wrk", &wk, t0);
	_print_gaps(f, "pub", &pb, t0);

	/* The tail: what each sample above p99 had going on between its
	 * publish and the poll that saw it applied. */
	uint64_t tail = 0, clusters = 0, c_hour = 0, in_gap = 0, after1 = 0,
		 after5 = 0, pub_gap = 0, kinds[3] = { 0 }, gaps_hit = 0;
	double gaps_hit_ms = 0;
	const struct wrk_gap *last_hit = NULL;
	int64_t prev_at = 0;
	/* One publisher, one consumer: latencies split (_split). */
	const struct wrk_trace *ct =
	    S == 1 && P == 1 ? _trace_of(ctl, lay, 0) : NULL;
	uint64_t ct_n = ct
	    ? (ct->n_samples < ct->sample_cap ? ct->n_samples : ct->sample_cap)
	    : 0;
	double *cum_off = malloc((ct_n ? ct_n : 1) * sizeof(*cum_off));
	double t_split[3] = { 0 }, o_split[3] = { 0 }, t_sum = 0, o_sum = 0;
	if (!cum_off)
		goto out;
	for (uint64_t j = 0; j < ct_n; j++) {
		const struct wrk_sample *y = &ct->samples[j];
		double d = j ? (double)((y->at_ns - y[-1].at_ns) -
				   (y->cpu_ns - y[-1].cpu_ns)) /
			1e3
			     : 0.0;
		cum_off[j] = (j ? cum_off[j - 1] : 0.0) + (d > 0 ? d : 0.0);
	}
	fprintf(f,
	    "# T event_index at_us lat_us hour_phase worker_gap_end_to_publish_us taken_after_us (samples above p99; hour_phase: where in its event hour the event is, 0..1; taken_after_us: publish to the consumer's first sample that counts it, -1 unknown)\n");
	for (uint64_t i = 0; i < m; i++) {
		const struct _tsample *x = &sm[i];
		if ((double)x->lat <= res->p99)
			continue;
		const int64_t done = x->at + x->lat;
		int64_t taken_at = -1;
		if (ct_n) {
			uint64_t lo = 0, hi = ct_n;
			while (lo < hi) {
				uint64_t mid = (lo + hi) / 2;
				if (ct->samples[mid].count <= x->idx)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo < ct_n)
				taken_at = ct->samples[lo].at_ns;
			_split(ct, ct_n, cum_off, x, t_split);
			t_sum += x->lat / 1e3;
		}
		tail++;
		int64_t tm = _T0_MS +
		    (int64_t)((double)x->idx / (double)wl->n *
			_SPAN_MS); /* _record */
		double phase = (double)(tm % 3600000LL) / 3600000.0;
		if (tail == 1 || x->at - prev_at > 1000000) { /* new cluster */
			clusters++;
			c_hour += phase < 0.1;
		}
		prev_at = x->at;
		const struct wrk_gap *g = _gap_before(&wk, done);
		int64_t since = g ? x->at - (g->at_ns + g->len_ns) : INT64_MAX;
		if (g && since < 0)
			in_gap++;
		else if (since <= 1000000)
			after1++;
		else if (since <= 5000000)
			after5++;
		if (g && since <= 5000000 && g != last_hit) {
			last_hit = g;
			kinds[_gap_kind(g)]++;
			gaps_hit++;
			gaps_hit_ms += (double)g->len_ns / 1e6;
		}
		const struct wrk_gap *h = _gap_before(&pb, done);
		pub_gap += h && h->at_ns + h->len_ns > x->at;
		fprintf(f, "T\t%llu\t%.1f\t%.1f\t%.3f\t%.1f\t%.1f\n",
		    (unsigned long long)x->idx, (double)(x->at - t0) / 1e3,
		    x->lat / 1e3, phase, g ? (double)since / 1e3 : -1.0,
		    taken_at >= 0 ? (double)(taken_at - x->at) / 1e3 : -1.0);
	}
	double wall = (double)(t_end - t0) / 1e9;
	double ticks = (double)(c1->total - c0->total);
	double busy = ticks > 0 ? (double)(c1->busy - c0->busy) / ticks : 0;
	double steal = ticks > 0 ? (double)(c1->steal - c0->steal) / ticks : 0;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	double ours = (wk.cpu_s + pb.cpu_s) / (wall * (double)cpus);
	printf(
	    "trace run %u %s: %.2f s, p99 %.1f us; %llu samples above it in %llu clusters (> 1 ms apart), %.0f %% of clusters in the first tenth of an event hour\n",
	    runno, _vname[v], wall, res->p99 / 1e3, (unsigned long long)tail,
	    (unsigned long long)clusters,
	    clusters ? 100.0 * (double)c_hour / (double)clusters : 0.0);
	printf(
	    "  tail vs the consumer's gaps (> %ld us): %.0f %% published during one, %.0f %% within 1 ms after one, %.0f %% 1-5 ms after, %.0f %% none within 5 ms; %.0f %% with the publisher off the CPU before the poll\n",
	    o->trace_gap_us, tail ? 100.0 * (double)in_gap / (double)tail : 0.0,
	    tail ? 100.0 * (double)after1 / (double)tail : 0.0,
	    tail ? 100.0 * (double)after5 / (double)tail : 0.0,
	    tail ? 100.0 * (double)(tail - in_gap - after1 - after5) /
		    (double)tail
		 : 0.0,
	    tail ? 100.0 * (double)pub_gap / (double)tail : 0.0);
	if (ct_n && tail)
		printf(
		    "  tail latency: mean %.1f us = %.1f the consumer off the CPU while the event waited + %.1f on it (the backlog, or idle before a waiting publish call committed it) + %.1f from its taking to the publisher's poll\n",
		    t_sum / (double)tail, t_split[0] / (double)tail,
		    t_split[1] / (double)tail, t_split[2] / (double)tail);
	/* The samples over the target, not only the tail past p99: which
	 * were behind a gap of the consumer (during one, or published within
	 * 1 ms after one ended, while its backlog drains), which had the
	 * publisher away before their poll, and which neither. */
	uint64_t o_n = 0, o_wk = 0, o_pb = 0, o_none = 0;
	for (uint64_t i = 0; i < m; i++) {
		const struct _tsample *x = &sm[i];
		if (x->lat <= _TARGET_NS)
			continue;
		const int64_t done = x->at + x->lat;
		const struct wrk_gap *g = _gap_before(&wk, done);
		const struct wrk_gap *h = _gap_before(&pb, done);
		bool bw = g && x->at - (g->at_ns + g->len_ns) <= 1000000;
		bool bp = h && h->at_ns + h->len_ns > x->at;
		if (ct_n) {
			_split(ct, ct_n, cum_off, x, o_split);
			o_sum += x->lat / 1e3;
		}
		o_n++;
		o_wk += bw;
		o_pb += bp;
		o_none += !bw && !bp;
	}
	printf(
	    "  samples over %d us: %llu (%.2f %%): %.0f %% behind a consumer gap (during, or within 1 ms after), %.0f %% with a publisher gap before their poll, %.0f %% neither\n",
	    _TARGET_NS / 1000, (unsigned long long)o_n,
	    m ? 100.0 * (double)o_n / (double)m : 0.0,
	    o_n ? 100.0 * (double)o_wk / (double)o_n : 0.0,
	    o_n ? 100.0 * (double)o_pb / (double)o_n : 0.0,
	    o_n ? 100.0 * (double)o_none / (double)o_n : 0.0);
	if (ct_n && o_n)
		printf(
		    "  their latency: mean %.1f us = %.1f the consumer off the CPU + %.1f on it + %.1f to the poll\n",
		    o_sum / (double)o_n, o_split[0] / (double)o_n,
		    o_split[1] / (double)o_n, o_split[2] / (double)o_n);
	free(cum_off);
	printf(
	    "  gaps behind the tail: %llu (%.2f ms): %llu preempted, %llu slept, %llu on the CPU\n",
	    (unsigned long long)gaps_hit, gaps_hit_ms,
	    (unsigned long long)kinds[0], (unsigned long long)kinds[1],
	    (unsigned long long)kinds[2]);
	printf(
	    "  consumer: %llu gaps (%.2f ms), off the CPU %.2f ms of %.2f s, %llu involuntary switches (%llu in gaps), %llu voluntary, %llu minor faults\n",
	    (unsigned long long)wk.n_gaps, wk.gap_s * 1e3, wk.off_s * 1e3, wall,
	    (unsigned long long)wk.ivcsw_all, (unsigned long long)wk.ivcsw_gaps,
	    (unsigned long long)wk.vcsw_all, (unsigned long long)wk.minflt_all);
	printf(
	    "  publisher: %llu gaps (%.2f ms), off the CPU %.2f ms, %llu involuntary switches, %llu voluntary, %llu minor faults\n",
	    (unsigned long long)pb.n_gaps, pb.gap_s * 1e3, pb.off_s * 1e3,
	    (unsigned long long)pb.ivcsw_all, (unsigned long long)pb.vcsw_all,
	    (unsigned long long)pb.minflt_all);
	printf(
	    "  machine: %ld CPUs %.0f %% busy (steal %.0f %%), this run's two loops %.0f %%, other processes %.0f %%%s\n",
	    cpus, busy * 100, steal * 100, ours * 100,
	    (busy - ours) * 100 > 0 ? (busy - ours) * 100 : 0.0,
	    wk.lost_gaps + pb.lost_gaps ? " (trace arrays full: some lost)"
					: "");
	fflush(f);
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "penchant-bench: trace: out of memory\n");
	_side_free(&wk);
	_side_free(&pb);
	free(sm);
	free(wn);
	free(wlat);
}

static int _run(const struct opts *o, const struct workload *w, enum variant v,
    unsigned runno, struct ctl *ctl, struct result *res)
{
	char name[40];
	struct reg r;
	const unsigned S = o->shards, P = o->publishers;
	const uint64_t n =
	    v == V_LAT || v == V_FLOOR ? o->lat_events : o->events;
	pid_t cons[_MAX_PROCS] = { 0 }, pubs[_MAX_PROCS] = { 0 };
	int rc = -1;

	const bool paced = v == V_LAT || v == V_FLOOR;
	struct _layout lay;
	struct _cpu_stat cpu0 = { 0 }, cpu1 = { 0 };

	snprintf(name, sizeof(name), "bench-%d-%u", (int)getpid(), runno);
	memset(ctl, 0, sizeof(*ctl));
	ctl->lat_cap = (o->lat_events + P - 1) / P + 1;
	_ctl_layout(o, &lay);
	for (unsigned i = 0; paced && lay.traces && i < S + P; i++)
		wrk_trace_init(_trace_of(ctl, &lay, i), lay.sample_cap,
		    lay.gap_cap, o->trace_gap_us * 1000);
	memset(res, 0, sizeof(*res));
	memset(&r, 0, sizeof(r));
	r.fd = -1;
	if (_setup_region(&r, name, o, w)) {
		if (r.base)
			reg_detach(&r);
		reg_unlink(name);
		return -1;
	}
	for (unsigned s = 0; s < S; s++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("penchant-bench: fork");
			goto fail;
		}
		if (pid == 0)
			_consumer_child(&r, s, v, o, ctl,
			    paced ? _trace_of(ctl, &lay, s) : NULL);
		cons[s] = pid;
		reg_proc(&r, reg_proc_worker(&r, s))->pid = pid;
	}
	for (unsigned p = 0; p < P; p++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("penchant-bench: fork");
			goto fail;
		}
		if (pid == 0)
			_publisher_child(name, w, n, p, o, v, ctl, &lay);
		pubs[p] = pid;
	}
	int64_t until = _now_ns() + 60000000000LL;
	while (ck_pr_load_32(&ctl->ready) < S + P) {
		if (ck_pr_load_32(&ctl->failed) || _now_ns() > until) {
			fprintf(stderr,
			    "penchant-bench: children did not start\n");
			goto fail;
		}
		_sleep_us(1000);
	}

	_cpu_read(&cpu0);
	ctl->t_go_ns = _now_ns();
	ck_pr_fence_store(); /* start time before go */
	ck_pr_store_32(&ctl->go, 1);
	/* Generous: 10 s plus 10 us per event before calling it stuck. */
	int prc = _reap(pubs, P, 10000000000LL + (int64_t)n * 10000);
	if (prc) {
		fprintf(stderr, "penchant-bench: %s: a publisher %s\n",
		    _vname[v], prc == -ETIMEDOUT ? "hung" : "failed");
		goto fail;
	}
	uint64_t seen = 0;
	int64_t last_progress = _now_ns(), t_end;
	for (;;) {
		uint64_t a = _applied(&r, true);
		t_end = _now_ns();
		if (a >= n)
			break;
		if (a != seen) {
			seen = a;
			last_progress = t_end;
		} else if (t_end - last_progress > 10000000000LL) {
			fprintf(stderr,
			    "penchant-bench: %s: stuck at %llu of %llu applied\n",
			    _vname[v], (unsigned long long)a,
			    (unsigned long long)n);
			goto fail;
		}
		_sleep_us(20);
	}
	res->rate = (double)n / ((double)(t_end - ctl->t_go_ns) / 1e9);
	_cpu_read(&cpu1);

	ck_pr_store_uint(&r.hdr->state, REG_DRAINING);
	if (_reap(cons, S, 30000000000LL)) {
		fprintf(stderr,
		    "penchant-bench: %s: a consumer failed or hung\n",
		    _vname[v]);
		goto fail;
	}

	/* Verify. */
	uint64_t applied = _applied(&r, false), published = 0, full = 0;
	for (unsigned p = 0; p < r.hdr->geo.producer_slots; p++)
		published += reg_producer(&r, p)->published;
	for (unsigned s = 0; s < S; s++) {
		struct reg_proc *pr = reg_proc(&r, reg_proc_worker(&r, s));
		full += pr->counters[REG_C_REJECT0 + EVT_R_TABLE_FULL];
		res->touched += reg_shard(&r, s)->count;
	}
	if (applied != n || published != n || full || ctl->seq_errors) {
		fprintf(stderr,
		    "penchant-bench: %s: WRONG: applied %llu, published %llu, expected %llu, table_full %llu, out-of-order %llu\n",
		    _vname[v], (unsigned long long)applied,
		    (unsigned long long)published, (unsigned long long)n,
		    (unsigned long long)full,
		    (unsigned long long)ctl->seq_errors);
		goto out;
	}
	if (v == V_LAT || v == V_FLOOR)
		_percentiles(ctl, P, res);
	if (paced && lay.traces)
		_trace_report(o, w, ctl, &lay, v, runno, res, t_end, &cpu0,
		    &cpu1);
	const struct reg_geometry *g = &r.hdr->geo;
	res->capacity = (uint64_t)g->profiles_per_shard * S;
	res->slot_bytes = sizeof(struct prof_slot);
	res->bytes_per_user =
	    ((double)g->index_slots * sizeof(struct prof_index) +
		(double)g->profiles_per_shard * sizeof(struct prof_slot)) /
	    g->profiles_per_shard;
	rc = 0;
	goto out;
fail:
	ck_pr_store_uint(&r.hdr->state, REG_DRAINING);
	_kill_all(pubs, P);
	_kill_all(cons, S);
out:
	reg_detach(&r);
	reg_unlink(name);
	return rc;
}

/* main -------------------------------------------------------------------- */

static void _usage(FILE *f)
{
	fprintf(f,
	    "usage: penchant-bench [options]\n"
	    "  --events N      events per throughput run (default 10000000)\n"
	    "  --users N       distinct users, Zipf-picked (default 1000000)\n"
	    "  --zipf S        Zipf exponent (default 1.0)\n"
	    "  --shards S      worker processes (default 1)\n"
	    "  --publishers P  publisher processes (default 1)\n"
	    "  --repeat K      runs of every variant; medians printed (default 3)\n"
	    "  --rate R        offered events/s of the latency run (default 1e6)\n"
	    "  --lat-events N  events of the latency run (default 2000000)\n"
	    "  --no-prefault   consumers do not map their shard before the start\n"
	    "  --idle-spin-us U  the worker's idle_spin_us setting (default: its\n"
	    "                  default): how long it polls an empty ring before\n"
	    "                  sleeping; the latency run's tail depends on it\n"
	    "  --idle-spin-share S  the worker's idle_spin_share setting (0: spin\n"
	    "                  idle_spin_us only)\n"
	    "  --trace FILE    write a time-resolved trace of the paced runs (latency,\n"
	    "                  latency-floor) to FILE: per 1 ms window the events\n"
	    "                  published and applied, the backlog, the latency max\n"
	    "                  and p99 of the samples published in it, both loops'\n"
	    "                  context switches, minor faults and time off the CPU;\n"
	    "                  every gap of the consumer's and the publisher's loop;\n"
	    "                  every sample above the run's p99 (event index, time);\n"
	    "                  and a summary per run on stdout. Costs each loop two\n"
	    "                  syscalls per half gap\n"
	    "  --trace-gap-us U  with --trace: a loop pass ending more than U us\n"
	    "                  after the one before is a gap (default 100; 1..1000000)\n"
	    "  --verbose       print every run\n"
	    "  --only V        run one variant: ring-copy, table, e2e, latency, latency-floor\n"
	    "                  (for profiling; no summary)\n"
	    "  --quick         CI smoke sizes: 200000 events, 50000 users\n");
}

static int _variant(const char *s)
{
	for (int v = 0; v < V_COUNT; v++)
		if (!strcmp(s, _vname[v]))
			return v;
	return -1;
}

static int _parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){ .events = 10000000,
		.users = 1000000,
		.lat_events = 2000000,
		.shards = 1,
		.publishers = 1,
		.repeat = 3,
		.zipf = 1.0,
		.rate = 1e6,
		.prefault = true,
		.only = -1,
		.idle_spin_us = -1,
		.idle_spin_share = -1,
		.trace_gap_us = -1 };
	const char *trace = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		double v;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			_usage(stdout);
			exit(0);
		} else if (!strcmp(a, "--quick")) {
			o->events = 200000;
			o->users = 50000;
			o->lat_events = 200000;
		} else if (!strcmp(a, "--no-prefault")) {
			o->prefault = false;
		} else if (!strcmp(a, "--verbose")) {
			o->verbose = true;
		} else if (i + 1 < argc && !strcmp(a, "--only") &&
		    _variant(argv[i + 1]) >= 0) {
			o->only = _variant(argv[++i]);
		} else if (i + 1 < argc && !strcmp(a, "--events") &&
		    !bench_num(argv[i + 1], 1, 1e10, &v)) {
			o->events = (uint64_t)v, i++;
		} else if (i + 1 < argc && !strcmp(a, "--users") &&
		    !bench_num(argv[i + 1], 1, 1e8, &v)) {
			o->users = (uint64_t)v, i++;
		} else if (i + 1 < argc && !strcmp(a, "--zipf") &&
		    !bench_num(argv[i + 1], 0, 5, &v)) {
			o->zipf = v, i++;
		} else if (i + 1 < argc && !strcmp(a, "--shards") &&
		    !bench_num(argv[i + 1], 1, 32, &v)) {
			o->shards = (unsigned)v, i++;
		} else if (i + 1 < argc && !strcmp(a, "--publishers") &&
		    !bench_num(argv[i + 1], 1, 32, &v)) {
			o->publishers = (unsigned)v, i++;
		} else if (i + 1 < argc && !strcmp(a, "--idle-spin-us") &&
		    !bench_num(argv[i + 1], 0, 100000, &v)) {
			o->idle_spin_us = (long)v, i++;
		} else if (i + 1 < argc && !strcmp(a, "--idle-spin-share") &&
		    !bench_num(argv[i + 1], 0, 1, &v)) {
			o->idle_spin_share = v, i++;
		} else if (i + 1 < argc && !strcmp(a, "--repeat") &&
		    !bench_num(argv[i + 1], 1, 100, &v)) {
			o->repeat = (unsigned)v, i++;
		} else if (i + 1 < argc && !strcmp(a, "--rate") &&
		    !bench_num(argv[i + 1], 1, 1e9, &v)) {
			o->rate = v, i++;
		} else if (!strcmp(a, "--trace")) {
			/* Refused here, before minutes of generating events:
			 * a missing or option-like name (--trace --rate 1e6
			 * would write a file named --rate), or one that
			 * cannot be written. */
			const char *f = i + 1 < argc ? argv[++i] : NULL;
			if (!f || !*f || *f == '-') {
				fprintf(stderr,
				    "penchant-bench: --trace needs a file name%s%s%s\n",
				    f ? ", not '" : "", f ? f : "",
				    f ? "'" : "");
				return -1;
			}
			if (o->trace)
				fclose(o->trace);
			if (!(o->trace = fopen(f, "w"))) {
				fprintf(stderr,
				    "penchant-bench: --trace %s: %s\n", f,
				    strerror(errno));
				return -1;
			}
			trace = f;
		} else if (!strcmp(a, "--trace-gap-us")) {
			if (i + 1 >= argc ||
			    bench_num(argv[i + 1], 1, 1e6, &v) ||
			    v != (double)(long)v) {
				fprintf(stderr,
				    "penchant-bench: --trace-gap-us needs a whole number of microseconds in 1..1000000%s%s%s\n",
				    i + 1 < argc ? ", not '" : "",
				    i + 1 < argc ? argv[i + 1] : "",
				    i + 1 < argc ? "'" : "");
				return -1;
			}
			o->trace_gap_us = (long)v, i++;
		} else if (i + 1 < argc && !strcmp(a, "--lat-events") &&
		    !bench_num(argv[i + 1], 1, 1e10, &v)) {
			o->lat_events = (uint64_t)v, i++;
		} else {
			fprintf(stderr,
			    "penchant-bench: bad option or value: %s%s%s\n", a,
			    i + 1 < argc ? " " : "",
			    i + 1 < argc ? argv[i + 1] : "");
			_usage(stderr);
			return -1;
		}
	}
	if (o->trace_gap_us >= 0 && !trace) {
		fprintf(stderr,
		    "penchant-bench: --trace-gap-us without --trace\n");
		return -1;
	}
	if (o->trace_gap_us < 0)
		o->trace_gap_us = 100;
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	if (_parse(argc, argv, &o))
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Pending until _reap takes it (children inherit the mask; they
	 * neither fork nor wait). */
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	struct workload *w = calloc(1, sizeof(*w));
	if (!w || _gen(w, &o)) {
		fprintf(stderr,
		    "penchant-bench: out of memory generating %llu events\n",
		    (unsigned long long)o.events);
		return 1;
	}
	struct _layout lay;
	_ctl_layout(&o, &lay);
	size_t ctl_size = lay.size;
	struct ctl *ctl = mmap(NULL, ctl_size, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ctl == MAP_FAILED) {
		perror("penchant-bench: mmap");
		return 1;
	}
	printf(
	    "config: %llu events, %llu users (zipf s=%.2f), shards %u, publishers %u, repeat %u, %ld cpus, latency run %llu events at %.2fM/s\n",
	    (unsigned long long)o.events, (unsigned long long)o.users, o.zipf,
	    o.shards, o.publishers, o.repeat, sysconf(_SC_NPROCESSORS_ONLN),
	    (unsigned long long)o.lat_events, o.rate / 1e6);
	char huge[32];
	int hp = reg_huge_mode(huge, sizeof(huge));
	printf("shm: huge pages %s (/dev/shm huge=%s)\n", hp > 0 ? "yes" : "no",
	    huge);

	double rate[V_COUNT][100], p50[100], p99[100], p999[100];
	double f50[100], f99[100], f999[100], over[100], fover[100];
	struct result last[V_COUNT];
	memset(last, 0, sizeof(last));
	uint64_t samples = 0;
	unsigned runno = 0;
	int rc = 0;
	for (unsigned k = 0; k < o.repeat && !rc; k++) {
		for (int v = 0; v < V_COUNT && !rc; v++) {
			struct result res;
			if (o.only >= 0 && v != o.only)
				continue;
			if (_run(&o, w, (enum variant)v, runno++, ctl, &res)) {
				rc = 1;
				break;
			}
			rate[v][k] = res.rate;
			last[v] = res;
			if (v == V_LAT) {
				p50[k] = res.p50;
				p99[k] = res.p99;
				p999[k] = res.p999;
				over[k] = res.over;
				samples += res.samples;
			}
			if (v == V_FLOOR) {
				f50[k] = res.p50;
				f99[k] = res.p99;
				f999[k] = res.p999;
				fover[k] = res.over;
			}
			if (o.verbose)
				fprintf(stderr, "run %u %s: %.2fM/s%s\n", k,
				    _vname[v], res.rate / 1e6,
				    v == V_LAT || v == V_FLOOR ? " (paced)"
							       : "");
		}
	}
	if (rc) {
		fprintf(stderr, "penchant-bench: FAILED\n");
		munmap(ctl, ctl_size);
		return 1;
	}
	if (o.only >= 0) {
		struct result *x = &last[o.only];
		printf("%s: %.2fM events/s", _vname[o.only],
		    bench_median(rate[o.only], o.repeat) / 1e6);
		if (o.only == V_LAT)
			printf(", p50 %.1f us, p99 %.1f us, p99.9 %.1f us",
			    bench_median(p50, o.repeat) / 1e3,
			    bench_median(p99, o.repeat) / 1e3,
			    bench_median(p999, o.repeat) / 1e3);
		if (o.only == V_FLOOR)
			printf(", p50 %.1f us, p99 %.1f us, p99.9 %.1f us",
			    bench_median(f50, o.repeat) / 1e3,
			    bench_median(f99, o.repeat) / 1e3,
			    bench_median(f999, o.repeat) / 1e3);
		printf(" (%llu users touched)\nverify: ok\n",
		    (unsigned long long)x->touched);
		munmap(ctl, ctl_size);
		return 0;
	}
	const unsigned K = o.repeat;
	double ring = bench_median(rate[V_RING], K);
	double table = bench_median(rate[V_TABLE], K);
	double e2e = bench_median(rate[V_E2E], K);
	printf(
	    "ring-copy: %.2fM events/s (bare batched ring copy, %u->%u processes)\n",
	    ring / 1e6, o.publishers, o.shards);
	printf(
	    "ceiling: %.2fM events/s (ring copy + prof_find_or_insert + seqlocked write)\n",
	    table / 1e6);
	printf(
	    "e2e: %.2fM events/s applied (ratio %.2f of ceiling %.2fM/s, %.2f of ring-copy)\n",
	    e2e / 1e6, e2e / table, table / 1e6, e2e / ring);
	printf(
	    "latency: p50 %.1f us, p99 %.1f us, p99.9 %.1f us publish->applied at %.2fM/s offered (%.2fM/s achieved, %llu samples, %.2f %% over %d us)\n",
	    bench_median(p50, K) / 1e3, bench_median(p99, K) / 1e3,
	    bench_median(p999, K) / 1e3, o.rate / 1e6,
	    bench_median(rate[V_LAT], K) / 1e6, (unsigned long long)samples,
	    bench_median(over, K) * 100, _TARGET_NS / 1000);
	printf(
	    "latency floor: p50 %.1f us, p99 %.1f us, p99.9 %.1f us through a bare ring at the same pace (the machine's jitter; nothing applied; %.2f %% over %d us)\n",
	    bench_median(f50, K) / 1e3, bench_median(f99, K) / 1e3,
	    bench_median(f999, K) / 1e3, bench_median(fover, K) * 100,
	    _TARGET_NS / 1000);
	printf(
	    "memory: %.0f B/user of shm for profiles+index (capacity %llu, slot %.0f B, index entry %zu B); %llu users touched\n",
	    last[V_E2E].bytes_per_user,
	    (unsigned long long)last[V_E2E].capacity, last[V_E2E].slot_bytes,
	    sizeof(struct prof_index), (unsigned long long)last[V_E2E].touched);
	printf("verify: ok (applied == published == events in every run)\n");
	munmap(ctl, ctl_size);
	if (o.trace)
		fclose(o.trace);
	free(w->ev);
	free(w->user_keys);
	free(w);
	return 0;
}
