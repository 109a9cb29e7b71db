/*
 * segment-bench: the segmenter (shm/segment.h) on a full region, against
 * baselines measured in the same run. Issue: "snapshot + features +
 * k-means for 1M users, k = 8: <= 2 s on one core; ingest during
 * segmentation >= 90 % of without, same run". Times are printed, never
 * asserted; answers are checked and a wrong one exits 1.
 *
 * Region: boot_create of instance bench-seg-<pid> (replace; unlinked at
 * exit, on failure and on SIGINT/SIGTERM), sized for --users N over
 * --shards S, with a catalog of 2000 entities in 100 categories.
 *
 * Fill (timed, not part of any measured number): N users, each a handful
 * of events through the real learner (lrn_profile_init, lrn_apply) then
 * prof_load. 90 % of users belong to one of five planted behaviors, the
 * rest is noise (any hour, type, category):
 *   0 evening social sharers (shares and clicks, categories 1-3)
 *   1 morning explorers (views and clicks over categories 10-49)
 *   2 loyal night owls (feedback and saves, category 60)
 *   3 local afternoon clickers (clicks, categories 70-71, two cells)
 *   4 dormant viewers (a few views in the first 5 days of 30)
 * Event times span 30 days ending at the refresh's as_of_ms.
 *
 * Variants, each one steady line on stdout:
 *   copy        the baseline: prof_copy of every record of every shard,
 *               what a snapshot must at least do (median of --repeat);
 *   refresh k=K seg_refresh with k fixed (k_min 3, k_max 8, sample 20000,
 *               seed 1, low_confidence 0.2), median of --repeat, with the
 *               median seg_stats breakdown and the ratio to copy. Note
 *               seg_stats' names: "copy" is prof_copy plus feat_extract,
 *               "features" is the standardization, "cluster" is k-means,
 *               the silhouette, and describing the segments (a second
 *               prof_copy of every member) and publishing;
 *   parts       the same public calls outside seg_refresh, once, to split
 *               "cluster": km_fit, km_silhouette, and the rest;
 *   refresh k=0 one refresh with k chosen by silhouette over 3..8;
 *   neighbours  the item-neighbour pass (nbrs_pass, default settings)
 *               with every user new to it (each whole window counted: a
 *               pass's worst case), then with nothing new;
 *   ingest      the real shard workers (wrk_main, one process per shard)
 *               fed by a publisher process (pen_open,
 *               client_publish_records) sending events for existing users
 *               as fast as it can; the workers' REG_C_APPLIED counters are
 *               sampled over --window seconds, alternating OFF windows and
 *               ON windows in which a segmenter process (nice --nice, as
 *               workers/segmenter.c) loops seg_refresh with the same
 *               options; --repeat pairs. The segmenter is stopped
 *               (SIGSTOP) during OFF windows and continued (SIGCONT)
 *               during ON windows, so a refresh longer than a window just
 *               spans several ON windows. Prints median events/s OFF and
 *               ON, ON/OFF (goal >= 0.90), refreshes completed in ON time
 *               and the CPU the segmenter got;
 *   ingest paced  the same with the publisher paced to --rate events/s
 *               (default: half the flat-out OFF median), backlog beyond
 *               0.1 s dropped, so there is idle CPU the segmenter can use.
 *
 * Checks (exit 1): every profile copied; each refresh's table has k ==
 * --k (or the chosen k within 3..8), users == N, sizes summing to N, no
 * empty segment; after ingest, published == applied and no table_full
 * (nothing lost), and a table published during ingest is still whole.
 * The adjusted Rand index against the planted behaviors (seg_assign on up
 * to 20000 planted users) is printed, not required.
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
#include "conf/config.h"
#include "engine/cluster.h"
#include "engine/features.h"
#include "engine/rng.h"
#include "ipc/client.h"
#include "shm/boot.h"
#include "shm/catalog.h"
#include "shm/profiles.h"
#include "shm/region.h"
#include "shm/neighbors.h"
#include "shm/segment.h"
#include "workers/worker.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define _GROUPS 5   /* planted behaviors; label _GROUPS is noise */
#define _NOISE 0.10 /* share of users with no planted behavior */
#define _ENTITIES 2000
#define _CATS 100
#define _BATCH 64
#define _ARI_SAMPLE 20000
#define _MAX_PROCS 40
#define _T0_MS 1767225600000LL /* 2026-01-01, a Thursday */
#define _HOUR_MS 3600000LL
#define _DAY_MS 86400000LL
#define _DAYS 30
#define _T_END_MS (_T0_MS + _DAYS * _DAY_MS) /* as_of of every refresh */
#define _MAX_RUNS BENCH_MAX_RUNS

struct opts {
	uint64_t users;
	unsigned shards, k, repeat, nice;
	double window; /* seconds */
	double rate;   /* paced variant: events/s; 0 auto, < 0 none */
	bool ingest, verbose;
};

/* Shared between this process and its children (anonymous shared map). */
struct ctl {
	uint32_t stop;	 /* publisher: stop now */
	uint32_t ready;	 /* children up */
	uint32_t failed; /* a child's error flag */
	uint32_t pad;
	uint64_t published;   /* publisher: events it published */
	uint64_t dropped;     /* paced publisher: backlog it dropped */
	uint64_t refreshes;   /* segmenter: refreshes completed */
	uint64_t refresh_bad; /* segmenter: wrong tables seen */
	double refresh_cpu_s; /* segmenter: their CPU seconds */
	char err[256];
};

/* Globals for cleanup at exit and on a signal. */
static char g_name[40];
static pid_t g_parent;
static pid_t g_kids[_MAX_PROCS];
static unsigned g_nkids;

static double _now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double _cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void _sleep_s(double s)
{
	struct timespec ts = { (time_t)s,
		(long)((s - (double)(time_t)s) * 1e9) };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* A user's key: a mix of its index, never 0. */
static uint64_t _key(uint64_t i)
{
	uint64_t x = i * 0x9E3779B97F4A7C15ULL + 0x2545F4914F6CDD1DULL;
	uint64_t k = rng_mix64(&x);
	return k ? k : 1;
}

static uint64_t _entity_key(unsigned e)
{
	return 0xE000000000000000ULL | (uint64_t)(e + 1);
}

/* Entities of category c (1.._CATS): e = c - 1 + _CATS * j. */
static unsigned _entity_of(unsigned c, struct rng *g)
{
	return c - 1 + _CATS * (unsigned)rng_below(g, _ENTITIES / _CATS);
}

static void _item_of(unsigned e, struct lrn_item *it)
{
	memset(it, 0, sizeof(*it));
	it->category = 1 + e % _CATS;
	it->n_tags = 2;
	it->tags[0] = it->category * 10 + 1;
	it->tags[1] = 5000 + e % 97;
}

/* Cleanup ----------------------------------------------------------------- */

static void _kill_kids(void)
{
	for (unsigned i = 0; i < g_nkids; i++)
		if (g_kids[i] > 0) {
			kill(g_kids[i], SIGKILL);
			waitpid(g_kids[i], NULL, 0);
			g_kids[i] = 0;
		}
	g_nkids = 0;
}

static void _at_exit(void)
{
	if (getpid() != g_parent)
		return;
	_kill_kids();
	if (g_name[0])
		reg_unlink(g_name);
}

static void _on_signal(int sig)
{
	(void)sig;
	for (unsigned i = 0; i < g_nkids; i++)
		if (g_kids[i] > 0)
			kill(g_kids[i], SIGKILL);
	if (g_name[0])
		reg_unlink(g_name);
	_exit(130);
}

static void _track(pid_t pid)
{
	if (g_nkids < _MAX_PROCS)
		g_kids[g_nkids++] = pid;
}

/* Waits for pid within timeout s; 0 when it exited with 0. */
static int _reap(pid_t pid, double timeout)
{
	double until = _now_s() + timeout;
	for (;;) {
		int st;
		pid_t got = waitpid(pid, &st, WNOHANG);
		if (got == pid) {
			for (unsigned i = 0; i < g_nkids; i++)
				if (g_kids[i] == pid)
					g_kids[i] = 0;
			return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
		}
		if (got < 0)
			return -1;
		if (_now_s() > until)
			return -ETIMEDOUT;
		_sleep_s(0.001);
	}
}

/* Region ------------------------------------------------------------------ */

static int _setup(struct reg *r, const struct opts *o)
{
	struct cfg c;
	char err[256];
	cfg_defaults(&c);
	c.shards = o->shards;
	if (c.producer_slots < c.acceptor_slots + 2)
		c.producer_slots = c.acceptor_slots + 2;
	uint64_t per = (o->users + o->shards - 1) / o->shards;
	if (o->shards > 1) /* hash imbalance between shards */
		per += per / 50 + 4096;
	c.profiles_per_shard = (unsigned)(per < 1024 ? 1024 : per);
	c.catalog_capacity = 4096;
	c.names_capacity = 1024;
	c.retention_days = 0; /* fixed dates: no wall-clock retention */
	struct boot_options bo = { .replace = true };
	int rc = boot_create(r, g_name, &c, NULL, &bo, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "segment-bench: %s\n", err);
		return rc;
	}
	if ((rc = cat_lock(r, err, sizeof(err)))) {
		fprintf(stderr, "segment-bench: catalog: %s\n", err);
		return rc;
	}
	for (unsigned e = 0; e < _ENTITIES && !rc; e++) {
		struct cat_item it;
		memset(&it, 0, sizeof(it));
		_item_of(e, &it.item);
		it.price_level = 255;
		rc = cat_put(r, _entity_key(e), &it);
	}
	cat_unlock(r);
	if (rc) {
		fprintf(stderr, "segment-bench: catalog: %s\n", strerror(-rc));
		return rc;
	}
	ck_pr_fence_store(); /* settings and catalog before RUNNING */
	ck_pr_store_uint(&r->hdr->state, REG_RUNNING);
	return 0;
}

/* One event of a user of group g (_GROUPS: noise) on day `day`. */
static void _event(unsigned g, uint64_t key, struct rng *rg,
    struct evt_record *e, struct lrn_item *it)
{
	unsigned hour, cat;
	int64_t day = (int64_t)rng_below(rg, _DAYS);
	memset(e, 0, sizeof(*e));
	e->user_key = key;
	e->scroll_depth = -1.0f;
	switch (g) {
	case 0: /* evening social sharers */
		hour = 18 + (unsigned)rng_below(rg, 5);
		e->type = rng_uniform(rg) < 0.5 ? EVT_SHARE : EVT_CLICK;
		cat = 1 + (unsigned)rng_below(rg, 3);
		e->device = 1;
		break;
	case 1: /* morning explorers of many categories */
		hour = 7 + (unsigned)rng_below(rg, 4);
		e->type = rng_uniform(rg) < 0.7 ? EVT_VIEW : EVT_CLICK;
		cat = 10 + (unsigned)rng_below(rg, 40);
		e->device = 2;
		break;
	case 2: /* loyal night owls: one category, lots of feedback */
		hour = 1 + (unsigned)rng_below(rg, 4);
		e->type = rng_uniform(rg) < 0.5 ? EVT_FEEDBACK : EVT_SAVE;
		e->feedback = 1;
		cat = 60;
		e->device = 1;
		break;
	case 3: /* local afternoon clickers */
		hour = 13 + (unsigned)rng_below(rg, 4);
		e->type = EVT_CLICK;
		cat = 70 + (unsigned)rng_below(rg, 2);
		e->geo_cell = 0x123456 + rng_below(rg, 2);
		e->device = 3;
		break;
	case 4: /* dormant viewers: early in the span only */
		hour = (unsigned)rng_below(rg, 24);
		day = (int64_t)rng_below(rg, 5);
		e->type = EVT_VIEW;
		cat = 80 + (unsigned)rng_below(rg, 10);
		e->device = 4;
		break;
	default: { /* noise */
		static const uint8_t types[] = { EVT_VIEW, EVT_VIEW, EVT_CLICK,
			EVT_SAVE, EVT_SHARE, EVT_FEEDBACK, EVT_RSVP };
		hour = (unsigned)rng_below(rg, 24);
		e->type = types[rng_below(rg, sizeof(types))];
		e->feedback = e->type == EVT_FEEDBACK ? 1 : 0;
		cat = 1 + (unsigned)rng_below(rg, _CATS);
		e->device = (uint8_t)(1 + rng_below(rg, 4));
		if (rng_uniform(rg) < 0.3)
			e->geo_cell = 0x200000 + rng_below(rg, 1000);
		break;
	}
	}
	unsigned ent = _entity_of(cat, rg);
	e->entity_key = _entity_key(ent);
	_item_of(ent, it);
	e->platform = 1;
	e->time_ms = _T0_MS + day * _DAY_MS + (int64_t)hour * _HOUR_MS +
	    (int64_t)rng_below(rg, _HOUR_MS);
	e->daypart = (uint8_t)(hour / 6);
	e->weekday = (uint8_t)((day + 3) % 7);
	if (e->type == EVT_CLICK)
		e->position = (uint16_t)(1 + rng_below(rg, 10));
}

/* N users through the learner into the region; truth[i] is the group. */
static int _fill(const struct reg *r, uint64_t n, uint8_t *truth,
    uint64_t *events)
{
	struct rng rg;
	rng_seed(&rg, 42);
	const struct lrn_params *prm = &r->hdr->params;
	uint64_t total = 0;
	for (uint64_t i = 0; i < n; i++) {
		unsigned g = rng_uniform(&rg) < _NOISE
		    ? _GROUPS
		    : (unsigned)rng_below(&rg, _GROUPS);
		unsigned ne = g == 4 ? 2 + (unsigned)rng_below(&rg, 4)
				     : 5 + (unsigned)rng_below(&rg, 10);
		struct evt_record ev[16];
		struct lrn_item it[16];
		uint64_t key = _key(i);
		for (unsigned j = 0; j < ne; j++)
			_event(g, key, &rg, &ev[j], &it[j]);
		/* in time order, as a worker would see them */
		for (unsigned a = 1; a < ne; a++)
			for (unsigned b = a;
			     b > 0 && ev[b - 1].time_ms > ev[b].time_ms; b--) {
				struct evt_record te = ev[b];
				struct lrn_item ti = it[b];
				ev[b] = ev[b - 1];
				it[b] = it[b - 1];
				ev[b - 1] = te;
				it[b - 1] = ti;
			}
		struct lrn_profile p;
		lrn_profile_init(&p, key);
		for (unsigned j = 0; j < ne; j++)
			lrn_apply(&p, prm, &ev[j], &it[j]);
		int rc = prof_load(r, &p);
		if (rc) {
			fprintf(stderr, "segment-bench: prof_load: %s\n",
			    strerror(-rc));
			return rc;
		}
		truth[i] = (uint8_t)g;
		total += ne;
	}
	*events = total;
	return 0;
}

/* Baseline: copy every record; checks the profiles and events seen. */
/*
 * The segmenter's item-neighbour pass (shm/neighbors.h) over the whole
 * region: first with every user new to it (each user's whole window
 * counted), then with nothing new (a glance at each record). Checks that
 * every user was counted and lists were published.
 */
static int _neighbors(const struct reg *r, uint64_t n, double copy_s)
{
	struct cfg c;
	cfg_defaults(&c);
	struct nbr_params np;
	nbrs_params_of(&c, &np);
	struct nbrs_feed f;
	int rc = nbrs_feed_init(&f, r, &np);
	if (rc) {
		fprintf(stderr, "segment-bench: neighbour feed: %s\n",
		    strerror(-rc));
		return 1;
	}
	struct nbrs_stats st[2];
	double wall[2], cpu[2];
	for (int i = 0; i < 2; i++) {
		double t0 = _now_s(), c0 = _cpu_s();
		nbrs_pass(&f, r, &st[i]);
		wall[i] = _now_s() - t0;
		cpu[i] = _cpu_s() - c0;
	}
	printf(
	    "neighbours: first pass %.3f s, %.3f s CPU (%llu users, %llu touched entries, %llu pairs, %u lists; %.2fx copy), next with nothing new %.3f s, %.3f s CPU\n",
	    wall[0], cpu[0], (unsigned long long)st[0].users,
	    (unsigned long long)st[0].fresh, (unsigned long long)f.counts.pairs,
	    st[0].published, wall[0] / copy_s, wall[1], cpu[1]);
	bool ok = st[0].users == n && st[0].published > 0 && st[1].users == 0;
	nbrs_feed_free(&f);
	if (!ok) {
		fprintf(stderr,
		    "segment-bench: neighbour pass counted %llu of %llu users\n",
		    (unsigned long long)st[0].users, (unsigned long long)n);
		return 1;
	}
	return 0;
}

static int _copy_all(const struct reg *r, uint64_t n, uint64_t events,
    double *secs, double *cpu)
{
	double t0 = _now_s(), c0 = _cpu_s();
	uint64_t users = 0, sum = 0;
	for (unsigned s = 0; s < r->hdr->geo.shards; s++) {
		uint32_t count = ck_pr_load_uint(&reg_shard(r, s)->count);
		for (uint32_t i = 0; i < count; i++) {
			struct lrn_profile p;
			if (prof_copy(r, s, i, &p) || p.events == 0 ||
			    p.user_key == 0)
				continue;
			users++;
			sum += p.events;
		}
	}
	*secs = _now_s() - t0;
	*cpu = _cpu_s() - c0;
	if (users != n || sum != events) {
		fprintf(stderr,
		    "segment-bench: copy: WRONG: %llu profiles with %llu events, expected %llu with %llu\n",
		    (unsigned long long)users, (unsigned long long)sum,
		    (unsigned long long)n, (unsigned long long)events);
		return -1;
	}
	return 0;
}

/* Refresh ----------------------------------------------------------------- */

static void _seg_options(const struct opts *o, unsigned k,
    struct seg_options *so)
{
	*so = (struct seg_options){ .k = k,
		.k_min = 3,
		.k_max = 8,
		.seed = 1,
		.sample = 20000,
		.as_of_ms = _T_END_MS,
		.low_confidence = 0.2f };
	(void)o;
}

/* The published table: k as asked (or in range), whole, n users. */
static int _check_table(const struct reg *r, unsigned k, uint64_t n,
    struct seg_table *t, char *why, size_t len)
{
	int rc = seg_read(r, t);
	if (rc) {
		snprintf(why, len, "seg_read: %s", strerror(-rc));
		return -1;
	}
	if (k ? t->k != k : t->k < 3 || t->k > 8) {
		snprintf(why, len, "k %u, expected %u", t->k, k);
		return -1;
	}
	uint64_t sum = 0;
	for (unsigned i = 0; i < t->k; i++) {
		if (!t->seg[i].size) {
			snprintf(why, len, "segment %u (id %u) is empty", i,
			    t->seg[i].id);
			return -1;
		}
		sum += t->seg[i].size;
	}
	if (t->users != n || sum != n) {
		snprintf(why, len,
		    "users %llu, sizes sum to %llu, expected %llu",
		    (unsigned long long)t->users, (unsigned long long)sum,
		    (unsigned long long)n);
		return -1;
	}
	return 0;
}

/* ARI of seg_assign against the planted groups, noise left out. */
static double _ari(const struct reg *r, const struct seg_table *t,
    const uint8_t *truth, uint64_t n, size_t *used)
{
	static uint8_t want[_ARI_SAMPLE], got[_ARI_SAMPLE];
	size_t m = 0;
	uint64_t step = n / _ARI_SAMPLE ? n / _ARI_SAMPLE : 1;
	for (uint64_t i = 0; i < n && m < _ARI_SAMPLE; i += step) {
		if (truth[i] >= _GROUPS)
			continue;
		struct lrn_profile p;
		struct seg_assignment a;
		if (prof_read(r, _key(i), &p))
			continue;
		seg_assign(t, &p, &r->hdr->params, _T_END_MS, &a);
		if (a.index < 0)
			continue;
		want[m] = truth[i];
		got[m++] = (uint8_t)a.index;
	}
	double v = NAN;
	*used = m;
	if (m < 2 || km_ari(want, got, m, &v))
		return NAN;
	return v;
}

struct refresh_result {
	struct seg_stats st;
	double cpu_s; /* CPU seconds of the seg_refresh call */
	struct seg_table t;
	double ari;
	size_t ari_n;
};

static int _refresh(const struct reg *r, const struct opts *o, unsigned k,
    const uint8_t *truth, struct refresh_result *res)
{
	struct seg_options so;
	char err[256] = "", why[256] = "";
	_seg_options(o, k, &so);
	double c0 = _cpu_s();
	int rc = seg_refresh(r, &so, &res->st, err, sizeof(err));
	res->cpu_s = _cpu_s() - c0;
	if (rc) {
		fprintf(stderr, "segment-bench: refresh k=%u: %s (%s)\n", k,
		    err, strerror(-rc));
		return -1;
	}
	if (_check_table(r, k, o->users, &res->t, why, sizeof(why)) ||
	    res->st.users != o->users) {
		fprintf(stderr,
		    "segment-bench: refresh k=%u: WRONG: %s (stats: %llu users)\n",
		    k, why, (unsigned long long)res->st.users);
		return -1;
	}
	res->ari = _ari(r, &res->t, truth, o->users, &res->ari_n);
	return 0;
}

/*
 * The parts of a refresh, by the same public calls, once, in CPU seconds
 * (wall time on a shared machine counts other processes' turns too).
 */
struct parts {
	double copy_feat, standardize, fit, silhouette;
	double recopy_assign; /* what describe does besides the priors */
	unsigned iter, steps;
};

static int _parts(const struct reg *r, const struct opts *o, unsigned k,
    struct parts *pt)
{
	size_t cap = 0, n = 0;
	for (unsigned s = 0; s < r->hdr->geo.shards; s++)
		cap += reg_shard(r, s)->count;
	float *x = malloc(cap * FEAT_COUNT * sizeof(float));
	uint8_t *labels = malloc(cap ? cap : 1);
	struct km_model *m = malloc(sizeof(*m));
	struct km_params kp;
	km_params_default(&kp, k);
	size_t wss = km_workspace_size(cap, FEAT_COUNT, &kp);
	void *ws = malloc(wss ? wss : 1);
	int rc = -ENOMEM;
	if (!x || !labels || !m || !ws)
		goto out;
	double t0 = _cpu_s();
	for (unsigned s = 0; s < r->hdr->geo.shards; s++)
		for (uint32_t i = 0; i < reg_shard(r, s)->count; i++) {
			struct lrn_profile p;
			if (prof_copy(r, s, i, &p) || !p.events)
				continue;
			feat_extract(&p, &r->hdr->params, _T_END_MS,
			    &x[n++ * FEAT_COUNT]);
		}
	double t1 = _cpu_s();
	struct km_scaler sc;
	rc = km_standardize(&sc, x, n, FEAT_COUNT, NULL);
	double t2 = _cpu_s();
	struct rng rg;
	rng_seed(&rg, 1);
	if (!rc)
		rc = km_fit(x, n, FEAT_COUNT, &kp, &rg, ws, wss, m, labels);
	double t3 = _cpu_s(), sil = 0;
	if (!rc)
		rc = km_silhouette(x, n, FEAT_COUNT, labels, k,
		    n < 2000 ? n : 2000, &rg, ws, wss, &sil);
	double t4 = _cpu_s();
	/* describe's other per-member work: copy again, nearest centroid */
	size_t j = 0;
	double conf = 0;
	for (unsigned s = 0; !rc && s < r->hdr->geo.shards; s++)
		for (uint32_t i = 0; i < reg_shard(r, s)->count; i++) {
			struct lrn_profile p;
			if (prof_copy(r, s, i, &p) || !p.events)
				continue;
			double z[FEAT_COUNT];
			for (unsigned f = 0; f < FEAT_COUNT; f++)
				z[f] = x[j * FEAT_COUNT + f];
			struct km_assignment as;
			if (km_assign(m, z, &as) == 0)
				conf += as.confidence;
			j++;
		}
	double t5 = _cpu_s();
	*pt = (struct parts){ t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4,
		rc ? 0 : m->iter, rc ? 0 : m->steps };
	if (!rc && (j != n || !(conf > 0))) {
		fprintf(stderr, "segment-bench: parts: WRONG: %zu of %zu\n", j,
		    n);
		rc = -1;
	}
	(void)o;
out:
	if (rc > 0 || rc < -1)
		fprintf(stderr, "segment-bench: parts: %s\n", strerror(-rc));
	free(x);
	free(labels);
	free(m);
	free(ws);
	return rc;
}

/* Ingest ------------------------------------------------------------------ */

static void _populate(const struct reg *r, int how)
{
	if (madvise(r->base, r->size, how) == 0)
		return;
	/* Older kernels: read each page. */
	volatile uint8_t sink = 0;
	for (size_t i = 0; i < r->size; i += 4096)
		sink ^= r->base[i];
	(void)sink;
}

static void _worker_child(const struct reg *r, unsigned s)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	uint8_t *p = (uint8_t *)reg_shard(r, s);
	madvise(p, r->hdr->off.shard_stride, MADV_POPULATE_WRITE);
	struct cfg c;
	cfg_defaults(&c);
	struct wrk_options wo = { c.worker_batch, c.idle_spin_us, 100,
		c.idle_spin_share, c.idle_spin_max_us };
	_exit(wrk_main(r, s, &wo));
}

/* Events for existing users, uniformly picked, as fast as it can or
 * paced to `rate` events/s (backlog past 0.1 s dropped). */
static void _publisher_child(const struct opts *o, double rate, struct ctl *ctl)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	pen_t *pen = NULL;
	int rc = pen_open(g_name, &pen, ctl->err, sizeof(ctl->err));
	if (rc) {
		ck_pr_store_32(&ctl->failed, 1);
		_exit(1);
	}
	static const uint8_t types[] = { EVT_VIEW, EVT_VIEW, EVT_VIEW,
		EVT_CLICK, EVT_CLICK, EVT_SAVE, EVT_SHARE, EVT_RSVP };
	struct rng rg;
	rng_seed(&rg, 7);
	struct evt_record buf[_BATCH];
	uint64_t sent = 0, dropped = 0;
	const uint64_t backlog = (uint64_t)(rate / 10) + _BATCH;
	double t0 = _now_s();
	ck_pr_inc_32(&ctl->ready);
	while (!ck_pr_load_32(&ctl->stop)) {
		unsigned n = _BATCH;
		if (rate > 0) {
			uint64_t due = (uint64_t)((_now_s() - t0) * rate);
			if (due > sent + dropped + backlog)
				dropped = due - sent - backlog;
			if (due <= sent + dropped) {
				_sleep_s(20e-6);
				continue;
			}
			if (due - sent - dropped < n)
				n = (unsigned)(due - sent - dropped);
		}
		for (unsigned i = 0; i < n; i++) {
			struct evt_record *e = &buf[i];
			uint64_t x = rng_next(&rg);
			memset(e, 0, sizeof(*e));
			e->user_key = _key(x % o->users);
			e->type = types[(x >> 40) % sizeof(types)];
			e->entity_key =
			    _entity_key((unsigned)(x >> 48) % _ENTITIES);
			e->time_ms = _T_END_MS + (int64_t)(sent + i) / 16;
			e->daypart = (uint8_t)(e->time_ms / _HOUR_MS % 24 / 6);
			e->weekday = (uint8_t)((e->time_ms / _DAY_MS + 3) % 7);
			e->device = (uint8_t)(1 + (x >> 20) % 4);
			e->platform = 1;
			e->scroll_depth = -1.0f;
			if (e->type == EVT_CLICK)
				e->position = (uint16_t)(1 + (x >> 24) % 10);
		}
		size_t done = 0;
		rc = client_publish_records(pen, buf, n, 0, &done);
		sent += done;
		if (rc || done != n) {
			snprintf(ctl->err, sizeof(ctl->err), "publish: %s",
			    pen_strerror(rc));
			ck_pr_store_32(&ctl->failed, 1);
			break;
		}
	}
	ck_pr_store_64(&ctl->published, sent);
	ck_pr_store_64(&ctl->dropped, dropped);
	pen_close(&pen);
	_exit(ck_pr_load_32(&ctl->failed) ? 1 : 0);
}

/* Loops seg_refresh at nice `nice`; stops itself until told to run. */
static void _segmenter_child(const struct reg *r, const struct opts *o,
    struct ctl *ctl)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	errno = 0;
	if (nice((int)o->nice) == -1 && errno) {
		snprintf(ctl->err, sizeof(ctl->err), "nice: %s",
		    strerror(errno));
		ck_pr_store_32(&ctl->failed, 1);
		_exit(1);
	}
	/* mapped before the first ON window, as a running segmenter is */
	_populate(r, MADV_POPULATE_READ);
	raise(SIGSTOP);
	struct seg_options so;
	_seg_options(o, o->k, &so);
	for (;;) {
		char err[256] = "", why[256] = "";
		struct seg_table t;
		double c0 = _cpu_s();
		int rc = seg_refresh(r, &so, NULL, err, sizeof(err));
		if (rc) {
			snprintf(ctl->err, sizeof(ctl->err), "refresh: %s",
			    err);
			ck_pr_store_32(&ctl->failed, 1);
			_exit(1);
		}
		/* users do not change: ingest only touches existing ones */
		if (_check_table(r, o->k, o->users, &t, why, sizeof(why))) {
			snprintf(ctl->err, sizeof(ctl->err),
			    "refresh under ingest: %s", why);
			ck_pr_inc_64(&ctl->refresh_bad);
		}
		ctl->refresh_cpu_s += _cpu_s() - c0;
		ck_pr_inc_64(&ctl->refreshes);
	}
}

/* CPU seconds a process has used so far (/proc/<pid>/stat). */
static double _proc_cpu_s(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return NAN;
	size_t len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = 0;
	const char *p = strrchr(buf, ')');
	unsigned long ut = 0, st = 0;
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
		&ut, &st) != 2)
		return NAN;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static uint64_t _applied(const struct reg *r, uint64_t *full)
{
	uint64_t n = 0, f = 0;
	for (unsigned s = 0; s < r->hdr->geo.shards; s++) {
		uint64_t *c = reg_proc(r, reg_proc_worker(r, s))->counters;
		n += ck_pr_load_64(&c[REG_C_APPLIED]);
		f += ck_pr_load_64(&c[REG_C_REJECT0 + EVT_R_TABLE_FULL]);
	}
	if (full)
		*full = f;
	return n;
}

struct ingest_result {
	double off[_MAX_RUNS], on[_MAX_RUNS]; /* events/s per window */
	/* events per CPU second of the workers and the publisher: what the
	 * segmenter costs each event (caches, memory) apart from the CPU
	 * time it takes from them */
	double off_eff[_MAX_RUNS], on_eff[_MAX_RUNS];
	double on_s;	  /* ON time in all */
	double seg_cpu_s; /* segmenter CPU in ON time */
	uint64_t refreshes, published, dropped;
	double refresh_cpu_s;
};

static int _stop_segmenter(pid_t pid)
{
	if (kill(pid, SIGSTOP))
		return -1;
	int st;
	return waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st) ? 0 : -1;
}

/* One ingest variant over running workers; rate 0: flat out. */
/* CPU seconds of the ingest processes so far. */
static double _ingest_cpu(const pid_t *wk, unsigned n, pid_t pub)
{
	double c = _proc_cpu_s(pub);
	for (unsigned i = 0; i < n; i++)
		c += _proc_cpu_s(wk[i]);
	return c;
}

static int _ingest(const struct reg *r, const struct opts *o, double rate,
    const pid_t *wk, struct ctl *ctl, struct ingest_result *res)
{
	memset(ctl, 0, sizeof(*ctl));
	memset(res, 0, sizeof(*res));
	uint64_t base = _applied(r, NULL);
	pid_t pub = fork(), seg = -1;
	if (pub < 0)
		return -1;
	if (pub == 0)
		_publisher_child(o, rate, ctl);
	_track(pub);
	seg = fork();
	if (seg < 0)
		return -1;
	if (seg == 0)
		_segmenter_child(r, o, ctl);
	_track(seg);
	int st;
	if (waitpid(seg, &st, WUNTRACED) != seg || !WIFSTOPPED(st)) {
		fprintf(stderr, "segment-bench: segmenter did not start: %s\n",
		    ctl->err);
		return -1;
	}
	double until = _now_s() + 30;
	while (!ck_pr_load_32(&ctl->ready) && !ck_pr_load_32(&ctl->failed) &&
	    _now_s() < until)
		_sleep_s(0.001);
	if (!ck_pr_load_32(&ctl->ready)) {
		fprintf(stderr, "segment-bench: publisher did not start: %s\n",
		    ctl->err);
		return -1;
	}
	_sleep_s(o->window / 2 > 0.3 ? o->window / 2 : 0.3); /* warm up */
	for (unsigned i = 0; i < o->repeat; i++) {
		double w0 = _ingest_cpu(wk, o->shards, pub);
		uint64_t a0 = _applied(r, NULL);
		double t0 = _now_s();
		_sleep_s(o->window);
		uint64_t a1 = _applied(r, NULL);
		double t1 = _now_s();
		double w1 = _ingest_cpu(wk, o->shards, pub);
		res->off[i] = (double)(a1 - a0) / (t1 - t0);
		res->off_eff[i] = (double)(a1 - a0) / (w1 - w0);

		double c0 = _proc_cpu_s(seg);
		kill(seg, SIGCONT);
		w0 = _ingest_cpu(wk, o->shards, pub);
		a0 = _applied(r, NULL);
		t0 = _now_s();
		_sleep_s(o->window);
		a1 = _applied(r, NULL);
		t1 = _now_s();
		w1 = _ingest_cpu(wk, o->shards, pub);
		res->on_eff[i] = (double)(a1 - a0) / (w1 - w0);
		if (_stop_segmenter(seg)) {
			fprintf(stderr, "segment-bench: segmenter died: %s\n",
			    ctl->err);
			return -1;
		}
		res->on[i] = (double)(a1 - a0) / (t1 - t0);
		res->on_s += t1 - t0;
		res->seg_cpu_s += _proc_cpu_s(seg) - c0;
		if (o->verbose)
			fprintf(stderr,
			    "  pair %u: OFF %.3fM/s ON %.3fM/s, %llu refreshes\n",
			    i, res->off[i] / 1e6, res->on[i] / 1e6,
			    (unsigned long long)ctl->refreshes);
	}
	res->refreshes = ck_pr_load_64(&ctl->refreshes);
	res->refresh_cpu_s = ctl->refresh_cpu_s;
	kill(seg, SIGKILL);
	_reap(seg, 30);
	ck_pr_store_32(&ctl->stop, 1);
	if (_reap(pub, 60)) {
		fprintf(stderr, "segment-bench: publisher failed: %s\n",
		    ctl->err);
		return -1;
	}
	res->published = ck_pr_load_64(&ctl->published);
	res->dropped = ck_pr_load_64(&ctl->dropped);
	/* everything published is applied (or rejected: checked later) */
	uint64_t full = 0, seen = 0;
	double last = _now_s();
	for (;;) {
		uint64_t a = _applied(r, &full) + full - base;
		if (a >= res->published)
			break;
		if (a != seen) {
			seen = a;
			last = _now_s();
		} else if (_now_s() - last > 10) {
			fprintf(stderr,
			    "segment-bench: stuck at %llu of %llu applied\n",
			    (unsigned long long)a,
			    (unsigned long long)res->published);
			return -1;
		}
		_sleep_s(0.001);
	}
	if (ctl->refresh_bad) {
		fprintf(stderr, "segment-bench: WRONG: %s\n", ctl->err);
		return -1;
	}
	return 0;
}

/* main -------------------------------------------------------------------- */

static void _usage(FILE *f)
{
	fprintf(f,
	    "usage: segment-bench [options]\n"
	    "  --users N     users in the region (default 1000000)\n"
	    "  --shards S    shards, one worker each during ingest (default 2)\n"
	    "  --k K         segments of the fixed-k refresh, 2..%d (default 8)\n"
	    "  --repeat R    runs of each refresh, ON/OFF window pairs (default 3)\n"
	    "  --window W    seconds per ingest window (default 1.0)\n"
	    "  --nice N      the segmenter's nice value during ingest, 0..19\n"
	    "                (default 10, as penchantd's segmenter)\n"
	    "  --rate R      events/s of the paced ingest variant (default: half\n"
	    "                the flat-out OFF rate)\n"
	    "  --no-paced    skip the paced ingest variant\n"
	    "  --no-ingest   refreshes only\n"
	    "  --verbose     print every run on stderr\n"
	    "  --quick       CI smoke size: 50000 users\n"
	    "Times are printed, never judged; exit 1 when an answer is wrong,\n"
	    "2 for a bad option.\n",
	    SEG_MAX);
}

static bool _integral(double v)
{
	return v == floor(v);
}

static int _parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){ .users = 1000000,
		.shards = 2,
		.k = 8,
		.repeat = 3,
		.nice = 10,
		.window = 1.0,
		.ingest = true };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i],
			   *val = i + 1 < argc ? argv[i + 1] : NULL;
		double v = 0;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			_usage(stdout);
			exit(0);
		} else if (!strcmp(a, "--quick")) {
			o->users = 50000;
		} else if (!strcmp(a, "--no-paced")) {
			o->rate = -1;
		} else if (!strcmp(a, "--no-ingest")) {
			o->ingest = false;
		} else if (!strcmp(a, "--verbose")) {
			o->verbose = true;
		} else if (val && !strcmp(a, "--users") &&
		    !bench_num(val, 100, 1e8, &v) && _integral(v)) {
			o->users = (uint64_t)v, i++;
		} else if (val && !strcmp(a, "--shards") &&
		    !bench_num(val, 1, 32, &v) && _integral(v)) {
			o->shards = (unsigned)v, i++;
		} else if (val && !strcmp(a, "--k") &&
		    !bench_num(val, 2, SEG_MAX, &v) && _integral(v)) {
			o->k = (unsigned)v, i++;
		} else if (val && !strcmp(a, "--repeat") &&
		    !bench_num(val, 1, _MAX_RUNS, &v) && _integral(v)) {
			o->repeat = (unsigned)v, i++;
		} else if (val && !strcmp(a, "--window") &&
		    !bench_num(val, 0.05, 600, &v)) {
			o->window = v, i++;
		} else if (val && !strcmp(a, "--nice") &&
		    !bench_num(val, 0, 19, &v) && _integral(v)) {
			o->nice = (unsigned)v, i++;
		} else if (val && !strcmp(a, "--rate") &&
		    !bench_num(val, 1, 1e9, &v)) {
			o->rate = v, i++;
		} else {
			fprintf(stderr,
			    "segment-bench: bad option or value: %s%s%s\n", a,
			    val ? " " : "", val ? val : "");
			_usage(stderr);
			return -1;
		}
	}
	return 0;
}

static void _ingest_line(const char *label, const struct opts *o,
    const struct ingest_result *x, double rate)
{
	double off = bench_median(x->off, o->repeat),
	       on = bench_median(x->on, o->repeat);
	printf("%s", label);
	if (rate > 0)
		printf(" %.3fM/s offered", rate / 1e6);
	printf(
	    ": OFF %.3fM events/s, ON %.3fM events/s, ON/OFF %.3f (goal >= 0.90); "
	    "%llu refreshes in %.1f s ON, segmenter (nice %u) used %.2f CPU-s of it",
	    off / 1e6, on / 1e6, off > 0 ? on / off : 0,
	    (unsigned long long)x->refreshes, x->on_s, o->nice, x->seg_cpu_s);
	if (x->refreshes)
		printf(", %.2f CPU-s per refresh",
		    x->refresh_cpu_s / (double)x->refreshes);
	double ratio[_MAX_RUNS], lo = INFINITY, hi = -INFINITY;
	for (unsigned i = 0; i < o->repeat; i++) {
		ratio[i] = x->off[i] > 0 ? x->on[i] / x->off[i] : 0;
		lo = ratio[i] < lo ? ratio[i] : lo;
		hi = ratio[i] > hi ? ratio[i] : hi;
	}
	double eoff = bench_median(x->off_eff, o->repeat);
	double eon = bench_median(x->on_eff, o->repeat);
	printf(
	    "; pairs' ON/OFF median %.3f (%.3f .. %.3f); %.2fM OFF and %.2fM ON events per ingest CPU-s (%.3f)",
	    bench_median(ratio, o->repeat), lo, hi, eoff / 1e6, eon / 1e6,
	    eoff > 0 ? eon / eoff : 0);
	if (rate > 0)
		printf("; %llu events dropped behind pace",
		    (unsigned long long)x->dropped);
	printf("\n");
}

int main(int argc, char **argv)
{
	struct opts o;
	if (_parse(argc, argv, &o))
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	g_parent = getpid();
	snprintf(g_name, sizeof(g_name), "bench-seg-%d", (int)g_parent);
	atexit(_at_exit);
	struct sigaction sa = { .sa_handler = _on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	double load[3] = { NAN, NAN, NAN };
	getloadavg(load, 3);
	printf(
	    "config: %llu users (%d planted behaviors + %.0f %% noise), shards %u, k %u, repeat %u, window %.2f s, segmenter nice %u, %ld cpus, load average %.2f\n",
	    (unsigned long long)o.users, _GROUPS, _NOISE * 100, o.shards, o.k,
	    o.repeat, o.window, o.nice, sysconf(_SC_NPROCESSORS_ONLN), load[0]);

	struct reg r;
	memset(&r, 0, sizeof(r));
	r.fd = -1;
	uint8_t *truth = malloc(o.users);
	struct ctl *ctl = mmap(NULL, sizeof(*ctl), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!truth || ctl == MAP_FAILED) {
		fprintf(stderr, "segment-bench: out of memory\n");
		return 1;
	}
	if (_setup(&r, &o))
		return 1;
	uint64_t events = 0;
	double t0 = _now_s();
	if (_fill(&r, o.users, truth, &events))
		return 1;
	printf(
	    "fill: %llu users, %llu events through lrn_apply + prof_load in %.2f s (not measured below)\n",
	    (unsigned long long)o.users, (unsigned long long)events,
	    _now_s() - t0);

	/* baseline, then the refresh, alternating so drift hits both */
	double copy[_MAX_RUNS], copy_cpu[_MAX_RUNS], total[_MAX_RUNS];
	double scopy[_MAX_RUNS];
	double sfeat[_MAX_RUNS], sclus[_MAX_RUNS], cpu[_MAX_RUNS];
	double ari = NAN, sil = NAN;
	size_t ari_n = 0;
	uint64_t smin = UINT64_MAX, smax = 0;
	for (unsigned i = 0; i < o.repeat; i++) {
		struct refresh_result rr;
		if (_copy_all(&r, o.users, events, &copy[i], &copy_cpu[i]) ||
		    _refresh(&r, &o, o.k, truth, &rr))
			return 1;
		total[i] = rr.st.seconds_total;
		scopy[i] = rr.st.seconds_copy;
		sfeat[i] = rr.st.seconds_features;
		sclus[i] = rr.st.seconds_cluster;
		cpu[i] = rr.cpu_s;
		ari = rr.ari;
		ari_n = rr.ari_n;
		sil = rr.t.silhouette;
		for (unsigned c = 0; c < rr.t.k; c++) {
			if (rr.t.seg[c].size < smin)
				smin = rr.t.seg[c].size;
			if (rr.t.seg[c].size > smax)
				smax = rr.t.seg[c].size;
		}
		if (o.verbose)
			fprintf(stderr,
			    "  run %u: copy %.3f s (%.3f CPU), refresh %.3f s (%.3f CPU; copy %.3f, features %.3f, cluster %.3f)\n",
			    i, copy[i], copy_cpu[i], total[i], cpu[i], scopy[i],
			    sfeat[i], sclus[i]);
	}
	double mcopy = bench_median(copy, o.repeat),
	       mccpu = bench_median(copy_cpu, o.repeat);
	double mtotal = bench_median(total, o.repeat),
	       mcpu = bench_median(cpu, o.repeat);
	printf(
	    "copy: %.3f s, %.3f s CPU (prof_copy of every record, %llu profiles: the snapshot floor)\n",
	    mcopy, mccpu, (unsigned long long)o.users);
	printf(
	    "refresh k=%u: %.3f s, %.3f s CPU (seg_stats, wall: copy+feat_extract %.3f, standardize %.3f, cluster+describe+publish %.3f), %.2fx copy (%.2fx in CPU); %u segments of %llu users (%llu .. %llu each), silhouette %.3f, ARI %.3f vs planted (%zu users)\n",
	    o.k, mtotal, mcpu, bench_median(scopy, o.repeat),
	    bench_median(sfeat, o.repeat), bench_median(sclus, o.repeat),
	    mtotal / mcopy, mcpu / mccpu, o.k, (unsigned long long)o.users,
	    (unsigned long long)smin, (unsigned long long)smax, sil, ari,
	    ari_n);

	struct parts pt;
	if (_parts(&r, &o, o.k, &pt))
		return 1;
	double rest = mcpu - pt.copy_feat - pt.standardize - pt.fit -
	    pt.silhouette - pt.recopy_assign;
	printf(
	    "parts k=%u (same calls, once, CPU s): copy+feat_extract %.3f, km_standardize %.3f, km_fit %.3f (%u Lloyd iterations, %u mini-batch steps), km_silhouette %.3f, describe's second copy + km_assign %.3f; rest of the refresh's CPU ~%.3f (interest priors, means, allocation, publish)\n",
	    o.k, pt.copy_feat, pt.standardize, pt.fit, pt.iter, pt.steps,
	    pt.silhouette, pt.recopy_assign, rest);

	struct refresh_result r0;
	if (_refresh(&r, &o, 0, truth, &r0))
		return 1;
	printf(
	    "refresh k=0: %.3f s, %.3f s CPU (copy+feat_extract %.3f, standardize %.3f, choose k + cluster + describe %.3f), chose k %u of 3..8, silhouette %.3f, ARI %.3f vs planted (%zu users)\n",
	    r0.st.seconds_total, r0.cpu_s, r0.st.seconds_copy,
	    r0.st.seconds_features, r0.st.seconds_cluster, r0.t.k,
	    r0.t.silhouette, r0.ari, r0.ari_n);

	if (_neighbors(&r, o.users, mcopy))
		return 1;

	struct ingest_result flat, paced;
	double rate = 0;
	if (o.ingest) {
		pid_t wk[32];
		for (unsigned s = 0; s < o.shards; s++) {
			wk[s] = fork();
			if (wk[s] < 0) {
				perror("segment-bench: fork");
				return 1;
			}
			if (wk[s] == 0)
				_worker_child(&r, s);
			_track(wk[s]);
			reg_proc(&r, reg_proc_worker(&r, s))->pid = wk[s];
		}
		if (_ingest(&r, &o, 0, wk, ctl, &flat))
			return 1;
		_ingest_line("ingest flat-out", &o, &flat, 0);
		uint64_t published = flat.published;
		if (o.rate >= 0) {
			rate = o.rate > 0
			    ? o.rate
			    : bench_median(flat.off, o.repeat) / 2;
			if (_ingest(&r, &o, rate, wk, ctl, &paced))
				return 1;
			_ingest_line("ingest paced", &o, &paced, rate);
			published += paced.published;
		}
		ck_pr_store_uint(&r.hdr->state, REG_DRAINING);
		for (unsigned s = 0; s < o.shards; s++)
			if (_reap(wk[s], 30)) {
				fprintf(stderr,
				    "segment-bench: a worker failed or hung\n");
				return 1;
			}
		uint64_t full = 0, applied = _applied(&r, &full), slots = 0;
		for (unsigned p = 0; p < r.hdr->geo.producer_slots; p++)
			slots += reg_producer(&r, p)->published;
		if (applied != published || slots != published || full) {
			fprintf(stderr,
			    "segment-bench: ingest: WRONG: applied %llu, published %llu (producer slots say %llu), table_full %llu\n",
			    (unsigned long long)applied,
			    (unsigned long long)published,
			    (unsigned long long)slots,
			    (unsigned long long)full);
			return 1;
		}
		struct seg_table t;
		char why[256];
		if (flat.refreshes + (o.rate >= 0 ? paced.refreshes : 0) &&
		    _check_table(&r, o.k, o.users, &t, why, sizeof(why))) {
			fprintf(stderr,
			    "segment-bench: table after ingest: WRONG: %s\n",
			    why);
			return 1;
		}
		printf(
		    "verify: ok (every refresh whole with k as asked and %llu users; %llu events published == applied, no table_full)\n",
		    (unsigned long long)o.users, (unsigned long long)applied);
	} else {
		printf(
		    "verify: ok (every refresh whole with k as asked and %llu users)\n",
		    (unsigned long long)o.users);
	}
	printf(
	    "summary: refresh k=%u of %llu users %.3f s (%.3f s CPU) on one core (goal <= 2 s), %.2fx a plain copy",
	    o.k, (unsigned long long)o.users, mtotal, mcpu, mtotal / mcopy);
	if (o.ingest) {
		double off = bench_median(flat.off, o.repeat);
		printf(
		    "; ingest during segmentation %.3f of without (flat-out)",
		    off > 0 ? bench_median(flat.on, o.repeat) / off : 0);
		if (o.rate >= 0) {
			double poff = bench_median(paced.off, o.repeat);
			printf(", %.3f (paced at %.3fM/s)",
			    poff > 0 ? bench_median(paced.on, o.repeat) / poff
				     : 0,
			    rate / 1e6);
		}
	}
	getloadavg(load, 3);
	printf("; load average %.2f at the end\n", load[0]);
	reg_detach(&r);
	munmap(ctl, sizeof(*ctl));
	free(truth);
	return 0;
}
