/*
 * eval: `penchant eval LOG`: how much personalization lifts relevance over
 * popularity, measured offline on an event log, through the engine's own
 * learner and re-ranker.
 *
 * The log goes through exactly what `penchant replay` runs (replaycore:
 * the same options and settings, a private region, shard_poll in
 * event-time order). When the stream reaches a user's validation or test
 * target (evalcore.h), what was published is applied first, the user's
 * profile copied as it is just before the target, and rank_run (the
 * function the serving path calls) ranks the target among candidates
 * under each strategy; then the target event is learned like any other.
 * docs/EVAL.md describes the protocol and how to read the numbers.
 *
 * --tune replays the log once per learner setting tried and ranks every
 * validation target under each ranker setting drawn, scoring NDCG@k of
 * the context strategy; test targets are looked at only in the final run
 * with the chosen settings.
 *
 * --by-segment replays the log once more first, without each user's test
 * target and what follows it, refreshes the segments on that region as of
 * its last event, and assigns each evaluated user to a segment (the
 * profile at the target); the metrics are also reported per segment. With
 * --tune, each segment large enough gets the best of a small grid of
 * mmr_lambda and context_weight on its validation targets.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "engine/metrics.h"
#include "engine/rank.h"
#include "ipc/client.h"
#include "engine/segpolicy.h"
#include "shm/catalog.h"
#include "shm/profiles.h"
#include "shm/segment.h"
#include "shm/shard.h"
#include "ipc/profile_json.h"
#include "tools/cli.h"
#include "tools/evalcore.h"
#include "tools/replaycore.h"

#define _NAME "penchant eval"
#define _BATCH 256	  /* records per publish call */
#define _POPULARITY (-1)  /* the reference, not a rank_run strategy */
#define _MAX_STRATEGIES 8 /* popularity and the rank strategies */
#define _METRICS 3	  /* HR, NDCG, RR: bootstrapped against popularity */
#define _NOSEG SEG_MAX	  /* the bucket of users without a segment */

static const char _help[] =
    "usage: penchant eval LOG [options]\n"
    "\n"
    "Measures what personalization adds over popularity, offline: LOG goes\n"
    "through the learner in event-time order (as `penchant replay` does),\n"
    "and each user's last new positive (a positive event on an item the user\n"
    "had not touched) is ranked, with the profile as it was just before, among\n"
    "candidates by each strategy. docs/EVAL.md has the protocol.\n"
    "\n"
    "Evaluation:\n"
    "  --candidates N         the target and N-1 items the user never touches,\n"
    "                         drawn uniformly from the catalog as it was at\n"
    "                         the target's time (default 100)\n"
    "  --full-catalog         every catalog item the user never touches, of\n"
    "                         those added by the target's time\n"
    "  --k K                  cutoff of HR, NDCG and the top-k lists (10)\n"
    "  --seed S               candidates, exploration and bootstrap draws (1)\n"
    "  --strategies LIST      popularity,profile,context,full (the default);\n"
    "                         also explore, diverse. popularity is always\n"
    "                         computed: the others are compared with it\n"
    "  --viewed-targets yes|no\n"
    "                         whether an item the user only viewed before\n"
    "                         (no positive on it yet) can be a target: yes\n"
    "                         (default; a shopper views what they then buy),\n"
    "                         no: only items never touched before\n"
    "  --context-location previous|target|none\n"
    "                         where a target's request is made from: the\n"
    "                         user's latest location before it (default; a\n"
    "                         check-in's own location is the venue's, which\n"
    "                         would give the answer away), the target event's\n"
    "                         own, or nowhere\n"
    "  --base popularity|uniform\n"
    "                         the base scores the strategies re-rank:\n"
    "                         popularity + 1 (default) or 1 for every candidate\n"
    "  --tune                 search learner and ranker settings on the\n"
    "                         validation targets (the new positive before the\n"
    "                         last), then report the test targets under the\n"
    "                         best; prints the settings as config lines\n"
    "  --tune-budget N        ranker settings drawn per learner setting (32)\n"
    "  --by-segment           segments the users (the log without the test\n"
    "                         targets) and reports the metrics per segment;\n"
    "                         with --tune, tunes mmr_lambda and context_weight\n"
    "                         per segment on the validation targets and prints\n"
    "                         a segment_overrides line\n"
    "  --segment-min-users N  segments tuned need N validation users (30)\n"
    "  --segment-strategy context|full\n"
    "                         the strategy tuned per segment (context)\n"
    "Output:\n"
    "  --json                 the report as one JSON object\n"
    "  --out FILE             one JSON line per evaluated target (user, split,\n"
    "                         target key, its popularity, rank per strategy);\n"
    "                         '-': the lines on stdout, the report on stderr\n"
    "  --quiet                no progress on stderr (shown only on a terminal)\n"
    "Input, catalog, limits and settings: as for `penchant replay` (see\n"
    "`penchant replay --help`): --csv --sep --map --columns --time-unit\n"
    "--time-format --tz-offset --assume-utc --encoding --type --type-map\n"
    "--rating --rating-pos --rating-neg --catalog --catalog-csv\n"
    "--catalog-map --catalog-columns --catalog-sep --tag-sep --tags-csv\n"
    "--tags-map --max-events --users --config FILE --NAME=VALUE.\n"
    "\n"
    "Exit 0, 1 some input lines rejected or nothing to evaluate, 2 bad usage\n"
    "or input refused.\n";

/* --- options ---------------------------------------------------------- */

struct _opts {
	struct rc_opts core;
	const char *input, *out;
	bool json, tune, full, uniform, by_segment;
	bool strict_targets; /* --viewed-targets no */
	unsigned candidates, k, budget;
	unsigned seg_min; /* --segment-min-users */
	int seg_strat;	  /* --segment-strategy: RANK_CONTEXT or RANK_FULL */
	int loc;	  /* --context-location: enum _loc */
	uint64_t seed;
	int strat[_MAX_STRATEGIES]; /* _POPULARITY first, then rank ids */
	unsigned nstrat;
};

/*
 * Where a target's request is made from. A check-in's own location is the
 * venue's: ranking from it tells the re-ranker where the answer is. The
 * user's location before the target (their last event with one) is what
 * a live request would know.
 */
enum _loc { _LOC_PREVIOUS, _LOC_TARGET, _LOC_NONE };
static const char *const _loc_names[] = { "previous", "target", "none" };

/* --- state ------------------------------------------------------------ */

struct _where {
	uint64_t cell, before;
	uint32_t item;
};

/* Per strategy: per test target metrics, and the running means. */
struct _res {
	double *m[_METRICS]; /* HR, NDCG, RR per test target */
	struct met_mean mean[_METRICS];
	struct met_mean ild, novelty, v_ndcg, v_ild; /* v_: validation */
	uint64_t *expo; /* top-k exposure per item */
};

/* A setting tried by --tune (a learner pass times a ranker draw). */
struct _trial {
	struct cfg c;
	double v_ndcg; /* summed, then the mean */
};

/* The per-segment grid: mmr_lambda (MMR strategies only) x
 * context_weight. */
static const double _grid_mmr[] = { 0.5, 0.6, 0.7, 0.8, 0.9, 1.0 };
static const double _grid_cw[] = { 0.5, 1.0, 1.5, 2.0 };
#define _NMMR (sizeof(_grid_mmr) / sizeof(_grid_mmr[0]))
#define _NCW (sizeof(_grid_cw) / sizeof(_grid_cw[0]))
#define _NGRID (_NMMR * _NCW)

/* Metrics of one segment under one strategy (or one grid point). */
struct _sres {
	struct met_mean hr, ndcg, ild; /* test targets */
	struct met_mean v_ndcg;	       /* validation targets */
};

/* --by-segment: the table and the results per segment (_NOSEG last). */
struct _seg {
	struct seg_table *t;
	uint8_t *past;	/* segmenting pass: per user, at or past the test */
	int64_t t_last; /* the last event the segmenting pass applied */
	uint64_t users; /* users the refresh saw */
	struct _sres r[SEG_MAX + 1][_MAX_STRATEGIES];
	struct _sres g[SEG_MAX + 1][_NGRID]; /* the tuned strategy's grid */
	int chosen[SEG_MAX + 1];	     /* grid point, -1: not tuned */
};

struct _ev {
	const struct _opts *o;
	struct rc_run run;
	struct rc_key *order;
	struct ec_plan plan;
	struct ec_pop pop;
	/* the catalog as loaded, sorted by key; per item index its entry
	 * (-1: none) */
	uint64_t *cat_keys;
	struct cat_item *cat_items;
	size_t n_cat;
	int64_t *item_cat;
	uint32_t *user_log; /* plan user -> log user (for the id text) */
	/* plan user -> where they were: the cell of their latest located
	 * event so far, the item it was on, and the cell before the events
	 * on that item (a view of the target where it is would give the
	 * target away too); 0: none yet */
	struct _where *where;
	/* one target's work */
	uint32_t *cand, *top;
	double *pop_score;
	struct rank_cand *rc;
	struct rank_result *res;
	/* item neighbours: counted from the replay as the segmenter would */
	struct ec_nbr nb;
	struct lrn_item *top_items;
	void *scratch;
	size_t scratch_size;
	/* the run's results */
	struct _res r[_MAX_STRATEGIES];
	size_t n_test, n_valid;
	/* candidates ranked per target (a user who touched most of a small
	 * catalog gets fewer than --candidates asks for) */
	unsigned cand_min, cand_max;
	uint64_t cand_sum;
	/* targets of this pass not ranked: no negative left (the user
	 * touches every pool item there at the time), by split */
	uint64_t no_neg[EC_TEST + 1];
	/* --tune: the ranker settings of this pass, scored on validation */
	struct _trial *trials;
	unsigned ntrials;
	bool tuning;
	/* --by-segment */
	struct _seg *seg;
	bool segmenting;
	FILE *out;
	/* progress */
	bool bar;
	int pass, passes;
	size_t done, total;
	int64_t bar_ms;
};

/* --- small helpers ---------------------------------------------------- */

static const char *_strat_name(int s)
{
	return s == _POPULARITY ? "popularity"
				: rank_strategy_name((unsigned)s);
}

static void _json_str(FILE *f, const char *s, size_t len)
{
	putc('"', f);
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			putc(ch, f);
	}
	putc('"', f);
}

/* A progress bar on a terminal, redrawn at most every 100 ms. */
static void _bar(struct _ev *x, bool last)
{
	if (!x->bar)
		return;
	int64_t now = reg_now_mono_ms();
	if (!last && now - x->bar_ms < 100)
		return;
	x->bar_ms = now;
	unsigned pct = x->total ? (unsigned)(100 * x->done / x->total) : 100;
	char b[31];
	memset(b, ' ', 30);
	memset(b, '#', pct * 30 / 100);
	b[30] = 0;
	fprintf(stderr, "\r" _NAME ": %s %d/%d [%s] %3u%%",
	    x->tuning ? "tuning pass" : "pass", x->pass, x->passes, b, pct);
	if (last)
		fprintf(stderr, "\r\033[K");
	fflush(stderr);
}

/* --- the catalog ------------------------------------------------------ */

static int _key_cmp(const void *a, const void *b)
{
	uint64_t p = *(const uint64_t *)a, q = *(const uint64_t *)b;
	return p < q ? -1 : p > q;
}

/* Copies the region's catalog out (sorted by key): the pool, the items
 * candidates are ranked with, and what later passes load. The loader
 * stamps an item given without an added time with the wall clock of the
 * load (a live catalog's first sight of it); against a log's event times
 * that says nothing, so an added time within [load_t0, load_t1] becomes
 * unknown (0): the item is there all along, and not fresh. */
static int _catalog_copy(struct _ev *x, int64_t load_t0, int64_t load_t1)
{
	const struct reg *r = &x->run.r;
	const struct cat_entry *ce = reg_catalog_entries(r);
	size_t slots = r->hdr->geo.catalog_slots, n = 0;
	for (size_t i = 0; i < slots; i++)
		n += ce[i].key != 0;
	x->cat_keys = malloc((n ? n : 1) * sizeof(*x->cat_keys));
	x->cat_items = malloc((n ? n : 1) * sizeof(*x->cat_items));
	if (!x->cat_keys || !x->cat_items)
		return -ENOMEM;
	for (size_t i = 0; i < slots; i++)
		if (ce[i].key)
			x->cat_keys[x->n_cat++] = ce[i].key;
	qsort(x->cat_keys, x->n_cat, sizeof(*x->cat_keys), _key_cmp);
	for (size_t i = 0; i < x->n_cat; i++) {
		struct cat_item *it = &x->cat_items[i];
		if (cat_get(r, x->cat_keys[i], it))
			return -EIO;
		if (it->added_ms >= load_t0 && it->added_ms <= load_t1)
			it->added_ms = 0;
	}
	return 0;
}

/* A later pass's region gets the catalog of the first. */
static int _catalog_put(struct _ev *x)
{
	char err[256];
	if (!x->n_cat)
		return 0;
	if (cat_lock(&x->run.r, err, sizeof(err))) {
		fprintf(stderr, _NAME ": %s\n", err);
		return -EBUSY;
	}
	int rc = 0;
	for (size_t i = 0; i < x->n_cat && !rc; i++)
		rc = cat_put(&x->run.r, x->cat_keys[i], &x->cat_items[i]);
	cat_unlock(&x->run.r);
	return rc;
}

/* --- one target ------------------------------------------------------- */

static const struct evt_record *_event(const void *arg, size_t i)
{
	const struct _ev *x = arg;
	return lr_event(&x->run.log, x->order[i].i);
}

/* Ranks candidates cand[0..n) (target last) under rank strategy s with
 * ranker settings rp: the target's 1-based rank, the top k in top. */
static int _rank(struct _ev *x, const struct lrn_profile *p,
    const struct rank_params *rp, const struct rank_ctx *ctx, unsigned n, int s,
    uint64_t seed, double mmr, double cw, unsigned *rank, unsigned *ntop)
{
	const struct _opts *o = x->o;
	struct rank_opts ro = { .strategy = (unsigned)s,
		.k = o->k,
		.seed = seed,
		.epsilon = -1,
		.explore_weight = -1,
		.mmr_lambda = mmr,
		.serendipity_every = -1,
		.context_weight = cw };
	int rc = rank_run(p, &x->run.r.hdr->params, rp, ctx, x->rc, n, &ro,
	    x->scratch, x->scratch_size, x->res);
	if (rc < 0) {
		fprintf(stderr, _NAME ": rank_run (%s): %s\n", _strat_name(s),
		    strerror(-rc));
		return CLI_USAGE;
	}
	*rank = ec_result_pos(x->res, n, n - 1) + 1;
	*ntop = n < o->k ? n : o->k;
	for (unsigned j = 0; j < *ntop; j++)
		x->top[j] = x->res[j].index;
	return CLI_OK;
}

/* Intra-list diversity of the top ntop (x->top). */
static double _list_ild(struct _ev *x, unsigned ntop)
{
	struct met_sim sim;
	met_sim_default(&sim);
	for (unsigned j = 0; j < ntop; j++)
		x->top_items[j] = x->rc[x->top[j]].item
		    ? x->rc[x->top[j]].item->item
		    : (struct lrn_item){ 0 };
	return met_ild(&sim, x->top_items, ntop);
}

/* One target's metrics into a segment's results. */
static void _seg_add(struct _sres *s, unsigned split, unsigned rank, unsigned k,
    double ild)
{
	if (split == EC_VALID) {
		met_mean_add(&s->v_ndcg, met_ndcg(rank, k));
		return;
	}
	met_mean_add(&s->hr, met_hr(rank, k));
	met_mean_add(&s->ndcg, met_ndcg(rank, k));
	met_mean_add(&s->ild, ild);
}

/* The target's metrics under strategy i, into the results; the top list's
 * ILD. */
static double _score(struct _ev *x, unsigned i, unsigned split, unsigned rank,
    unsigned ntop)
{
	struct _res *r = &x->r[i];
	unsigned k = x->o->k;
	double ild = _list_ild(x, ntop);
	if (split == EC_VALID) {
		/* what a setting is chosen on: relevance, and diversity
		 * for MMR's trade (docs/EVAL.md) */
		met_mean_add(&r->v_ndcg, met_ndcg(rank, k));
		met_mean_add(&r->v_ild, ild);
		return ild;
	}
	double v[_METRICS] = { met_hr(rank, k), met_ndcg(rank, k),
		met_rr(rank) };
	for (unsigned m = 0; m < _METRICS; m++) {
		r->m[m][x->n_test] = v[m];
		met_mean_add(&r->mean[m], v[m]);
	}
	uint32_t list[ntop ? ntop : 1];
	for (unsigned j = 0; j < ntop; j++)
		list[j] = x->cand[x->top[j]];
	met_mean_add(&r->ild, ild);
	struct met_pop pop = { x->pop.count, x->pop.n_items, x->pop.total };
	if (ntop)
		met_mean_add(&r->novelty, met_novelty_list(&pop, list, ntop));
	for (unsigned j = 0; j < ntop; j++)
		r->expo[list[j]]++;
	return ild;
}

/* Whether strategy s runs MMR (mmr_lambda matters). */
static bool _mmr_strategy(int s)
{
	return s == RANK_DIVERSE || s == RANK_FULL;
}

/* The segment index of a profile at time t (_NOSEG: none). */
static unsigned _seg_of(const struct _ev *x, const struct lrn_profile *p,
    int64_t t)
{
	if (!x->seg || !p)
		return _NOSEG;
	struct seg_assignment a;
	seg_assign(x->seg->t, p, &x->run.r.hdr->params, t, &a);
	return a.index < 0 || a.index >= SEG_MAX ? _NOSEG : (unsigned)a.index;
}

/* --tune --by-segment: the tuned strategy under every grid point, into
 * the segment's grid results (test targets too: only the point chosen on
 * validation is read). */
static int _grid(struct _ev *x, const struct lrn_profile *p,
    const struct rank_ctx *ctx, unsigned n, unsigned split, unsigned si,
    uint64_t seed)
{
	const struct _opts *o = x->o;
	unsigned nm = _mmr_strategy(o->seg_strat) ? _NMMR : 1;
	for (unsigned m = 0; m < nm; m++)
		for (unsigned c = 0; c < _NCW; c++) {
			unsigned rank, ntop;
			int rc = _rank(x, p, &x->run.r.hdr->rank, ctx, n,
			    o->seg_strat, seed, nm > 1 ? _grid_mmr[m] : -1,
			    _grid_cw[c], &rank, &ntop);
			if (rc)
				return rc;
			double ild = split == EC_TEST ? _list_ild(x, ntop) : 0;
			_seg_add(&x->seg->g[si][m * _NCW + c], split, rank,
			    o->k, ild);
		}
	return CLI_OK;
}

static void _out_line(struct _ev *x, size_t i, const struct evt_record *e,
    unsigned split, unsigned n, const unsigned *ranks)
{
	FILE *f = x->out;
	uint32_t u = x->user_log[x->plan.ev_user[i]];
	const struct lr_user *lu = &x->run.log.users.v[u];
	char when[32];
	client_iso_time(e->time_ms, when, sizeof(when));
	fprintf(f, "{\"user\":");
	_json_str(f, lr_user_id(&x->run.log, u), lu->len);
	fprintf(f,
	    ",\"split\":\"%s\",\"time\":\"%s\",\"target\":\"%016llx\",\"target_popularity\":%llu,\"candidates\":%u,\"ranks\":{",
	    split == EC_TEST ? "test" : "validation", when,
	    (unsigned long long)e->entity_key,
	    (unsigned long long)x->pop.count[x->plan.ev_item[i]], n);
	for (unsigned s = 0; s < x->o->nstrat; s++)
		fprintf(f, "%s\"%s\":%u", s ? "," : "",
		    _strat_name(x->o->strat[s]), ranks[s]);
	fprintf(f, "}}\n");
}

/* Evaluates stream position i (a target) with the profile as it is now. */
static int _target(struct _ev *x, size_t i, const struct evt_record *e)
{
	const struct _opts *o = x->o;
	const struct reg *r = &x->run.r;
	unsigned split = x->plan.split[i];
	uint32_t user = x->plan.ev_user[i];
	unsigned n = ec_candidates(&x->plan, user, x->plan.ev_item[i], split,
	    e->time_ms, o->full ? 0 : o->candidates, o->seed, x->cand);
	if (n < 2) {
		/* Ranked alone it would be a hit for every strategy: it
		 * says nothing, and is counted apart. */
		x->no_neg[split]++;
		return CLI_OK;
	}
	struct lrn_profile lp;
	const struct lrn_profile *p =
	    prof_read(r, e->user_key, &lp) == 0 && lp.events ? &lp : NULL;
	struct rank_ctx ctx;
	ec_event_ctx(e, &ctx);
	if (o->loc != _LOC_TARGET)
		ec_cell_ctx(o->loc != _LOC_PREVIOUS ? 0
			: x->where[user].item == x->plan.ev_item[i]
			? x->where[user].before
			: x->where[user].cell,
		    &ctx);
	ec_nbr_user(&x->nb, r, p);
	for (unsigned j = 0; j < n; j++) {
		uint32_t it = x->cand[j];
		int64_t ci = x->item_cat[it];
		x->pop_score[j] = (double)x->pop.count[it] + 1.0;
		x->rc[j] = (struct rank_cand){ .key = x->plan.items.keys[it],
			.base = o->uniform ? 1.0 : x->pop_score[j],
			.item = ci >= 0 ? &x->cat_items[ci] : NULL,
			.global_ctr = -1.0f,
			.collab = ec_nbr_cf(&x->nb, x->plan.items.keys[it]) };
		if (ci >= 0)
			client_cat_rates(r, x->cat_items[ci].item.category,
			    e->time_ms, &x->rc[j].global_ctr, &x->rc[j].trend);
	}
	uint64_t seed = ec_seed(o->seed, e->user_key, split);
	unsigned rank, ntop;
	int rc;
	if (x->tuning) {
		for (unsigned t = 0; t < x->ntrials; t++) {
			if ((rc = _rank(x, p, &x->trials[t].c.rank, &ctx, n,
				 RANK_CONTEXT, seed, -1, 0, &rank, &ntop)))
				return rc;
			x->trials[t].v_ndcg += met_ndcg(rank, o->k);
		}
		return CLI_OK;
	}
	unsigned ranks[_MAX_STRATEGIES];
	unsigned si = _seg_of(x, p, e->time_ms);
	for (unsigned s = 0; s < o->nstrat; s++) {
		if (o->strat[s] == _POPULARITY) {
			rank = met_rank(x->pop_score, n, n - 1);
			ntop = ec_top_k(x->pop_score, n, o->k, x->top);
		} else if ((rc = _rank(x, p, &r->hdr->rank, &ctx, n,
				o->strat[s], seed, -1, 0, &rank, &ntop))) {
			return rc;
		}
		ranks[s] = rank;
		double ild = _score(x, s, split, rank, ntop);
		if (x->seg)
			_seg_add(&x->seg->r[si][s], split, rank, o->k, ild);
	}
	if (x->seg && o->tune && (rc = _grid(x, p, &ctx, n, split, si, seed)))
		return rc;
	if (x->out)
		_out_line(x, i, e, split, n, ranks);
	if (split == EC_TEST)
		x->n_test++;
	else
		x->n_valid++;
	x->cand_min = !x->cand_min || n < x->cand_min ? n : x->cand_min;
	x->cand_max = n > x->cand_max ? n : x->cand_max;
	x->cand_sum += n;
	return CLI_OK;
}

/* A located event of the user on item it (EC_NONE_ITEM: none). */
static void _moved(struct _where *w, uint64_t cell, uint32_t it)
{
	if (it != w->item || !w->cell)
		w->before = w->cell;
	w->cell = cell;
	w->item = it;
}

/* --- one pass over the stream ----------------------------------------- */

/*
 * Replays the log into a fresh region under settings c, evaluating the
 * targets of this pass on the way (validation only while tuning).
 */
static int _pass(struct _ev *x, const struct cfg *settings, bool first)
{
	struct rc_run *run = &x->run;
	const struct ec_plan *pl = &x->plan;
	int rc = CLI_OK;
	if (!first) {
		struct cfg c;
		rc_config(&x->o->core, run->log.users.n, &c);
		c.learn = settings->learn;
		c.rank = settings->rank;
		if (rc_open_region(run, "eval", &c) || _catalog_put(x))
			return CLI_USAGE;
	}
	run->r.hdr->state = REG_RUNNING;
	shard_recover(&run->r, 0);
	ec_pop_free(&x->pop);
	if (ec_pop_init(&x->pop, pl->items.n))
		return CLI_USAGE;
	if (ec_nbr_open(&x->nb, &run->r, &x->o->core.settings))
		return CLI_USAGE;
	memset(x->where, 0, pl->users.n * sizeof(*x->where));
	memset(x->no_neg, 0, sizeof(x->no_neg));
	x->done = 0;
	x->total =
	    x->segmenting ? 0 : pl->n_valid + (x->tuning ? 0 : pl->n_test);
	struct evt_record buf[_BATCH];
	size_t nb = 0;
	for (size_t i = 0; i < pl->n && !rc; i++) {
		const struct evt_record *e = _event(x, i);
		ec_pop_at(&x->pop, e->time_ms);
		unsigned split = pl->split[i];
		if (x->segmenting) {
			/* the segments never see a test target or what
			 * its user did after it */
			uint8_t *past = &x->seg->past[pl->ev_user[i]];
			*past |= split == EC_TEST;
			if (*past)
				continue;
			x->seg->t_last = e->time_ms;
		} else if (ec_nbr_due(&x->nb, e->time_ms)) {
			/* Neighbour passes on event time alone, targets or
			 * not (tuning skips the test targets): the lists a
			 * validation target sees are the same in every pass,
			 * and hold only events before it. */
			if ((rc = rc_publish(run, buf, nb)))
				break;
			nb = 0;
			rc_drain(run);
			ec_nbr_at(&x->nb, &run->r, e->time_ms);
		}
		if (!x->segmenting && split != EC_NONE) {
			if ((rc = rc_publish(run, buf, nb)))
				break;
			nb = 0;
			rc_drain(run);
			if (split == EC_VALID || !x->tuning) {
				if ((rc = _target(x, i, e)))
					return rc;
				x->done++;
				_bar(x, false);
			}
		}
		buf[nb++] = *e;
		/* where a do-not-track event was is not kept either */
		if (e->geo_cell && !(e->flags & EVT_F_DNT))
			_moved(&x->where[pl->ev_user[i]], e->geo_cell,
			    pl->ev_item[i]);
		if (nb == _BATCH) {
			if ((rc = rc_publish(run, buf, nb)))
				break;
			nb = 0;
		}
		if (ec_touches(e) &&
		    ec_pop_add(&x->pop, e->time_ms, pl->ev_item[i]))
			rc = -ENOMEM;
	}
	if (!rc)
		rc = rc_publish(run, buf, nb);
	rc_drain(run);
	_bar(x, true);
	if (rc) {
		fprintf(stderr, _NAME ": %s\n", pen_strerror(rc));
		return CLI_USAGE;
	}
	return CLI_OK;
}

/* --- setup ------------------------------------------------------------ */

static int _alloc(struct _ev *x)
{
	const struct ec_plan *pl = &x->plan;
	size_t n = (x->o->full ? pl->n_pool : x->o->candidates) + 1;
	x->cand = malloc(n * sizeof(*x->cand));
	x->top = malloc(n * sizeof(*x->top));
	x->pop_score = malloc(n * sizeof(*x->pop_score));
	x->rc = malloc(n * sizeof(*x->rc));
	x->res = malloc(n * sizeof(*x->res));
	x->top_items = malloc(n * sizeof(*x->top_items));
	x->scratch_size = rank_scratch_size((unsigned)n);
	x->scratch = malloc(x->scratch_size ? x->scratch_size : 1);
	x->item_cat = malloc((pl->items.n + 1) * sizeof(*x->item_cat));
	x->user_log = calloc(pl->users.n + 1, sizeof(*x->user_log));
	x->where = calloc(pl->users.n + 1, sizeof(*x->where));
	if (!x->cand || !x->top || !x->pop_score || !x->rc || !x->res ||
	    !x->top_items || !x->scratch || !x->item_cat || !x->user_log ||
	    !x->where)
		return -ENOMEM;
	for (uint32_t i = 0; i < pl->items.n; i++) {
		const uint64_t *k = bsearch(&pl->items.keys[i], x->cat_keys,
		    x->n_cat, sizeof(*x->cat_keys), _key_cmp);
		x->item_cat[i] = k ? k - x->cat_keys : -1;
	}
	for (size_t i = 0; i < x->run.log.users.n; i++) {
		int64_t u =
		    ec_index_find(&pl->users, x->run.log.users.v[i].key);
		if (u >= 0)
			x->user_log[u] = (uint32_t)i;
	}
	size_t nt = pl->n_test ? pl->n_test : 1;
	for (unsigned s = 0; s < x->o->nstrat; s++) {
		for (unsigned m = 0; m < _METRICS; m++)
			if (!(x->r[s].m[m] = malloc(nt * sizeof(double))))
				return -ENOMEM;
		if (!(x->r[s].expo = calloc(pl->items.n + 1, sizeof(uint64_t))))
			return -ENOMEM;
	}
	return 0;
}

/* Clears the results of an earlier pass. */
static void _reset(struct _ev *x)
{
	for (unsigned s = 0; s < x->o->nstrat; s++) {
		struct _res *r = &x->r[s];
		for (unsigned m = 0; m < _METRICS; m++)
			met_mean_init(&r->mean[m]);
		met_mean_init(&r->ild);
		met_mean_init(&r->novelty);
		met_mean_init(&r->v_ndcg);
		met_mean_init(&r->v_ild);
		memset(r->expo, 0, (x->plan.items.n + 1) * sizeof(uint64_t));
	}
	x->n_test = x->n_valid = 0;
	x->cand_min = x->cand_max = 0;
	x->cand_sum = 0;
}

static void _free(struct _ev *x)
{
	rc_close(&x->run);
	ec_plan_free(&x->plan);
	ec_pop_free(&x->pop);
	ec_nbr_close(&x->nb);
	free(x->order);
	free(x->cat_keys);
	free(x->cat_items);
	free(x->item_cat);
	free(x->user_log);
	free(x->where);
	free(x->cand);
	free(x->top);
	free(x->pop_score);
	free(x->rc);
	free(x->res);
	free(x->top_items);
	free(x->scratch);
	for (unsigned s = 0; s < _MAX_STRATEGIES; s++) {
		for (unsigned m = 0; m < _METRICS; m++)
			free(x->r[s].m[m]);
		free(x->r[s].expo);
	}
	free(x->trials);
	if (x->seg) {
		free(x->seg->t);
		free(x->seg->past);
		free(x->seg);
	}
}

/* --- tuning ----------------------------------------------------------- */

/* The learner values tried (one replay each), besides the given one:
 * down to the hours-scale memory of a shop's sessions (0.05 a day is a
 * half-life of 5.5 hours), up to none (1). */
static const double _decays[] = { 0.05, 0.2, 0.5, 0.8, 0.9, 0.95, 0.98, 1.0 };

/* The ranker settings drawn, each from its range (log: log-uniform). */
static const struct {
	const char *name;
	double lo, hi;
	bool log;
} _knobs[] = {
	{ "affinity_gain", 0.5, 10.0, true },
	{ "affinity_cap", 1.5, 20.0, true },
	{ "affinity_floor", 0.02, 0.5, true },
	{ "short_blend", 0.0, 1.0, false },
	{ "time_strength", 0.0, 3.0, false },
	{ "time_open_strength", 0.0, 3.0, false },
	{ "dist_scale_km", 0.5, 50.0, true },
	{ "collab_gain", 1.0, 300.0, true },
};
#define _NKNOBS (sizeof(_knobs) / sizeof(_knobs[0]))

/* Sets name = value as a config line would (so what is printed is what
 * was run). */
static int _set(struct cfg *c, const char *name, double v)
{
	char val[32], err[CFG_ERR_MAX];
	snprintf(val, sizeof(val), "%.4g", v);
	if (cfg_set(c, name, val, err, sizeof(err))) {
		fprintf(stderr, _NAME ": %s\n", err);
		return CLI_USAGE;
	}
	return CLI_OK;
}

static double _get(const struct cfg *c, const char *name)
{
	const struct rank_params *p = &c->rank;
#define _RANK_PD(n, def, lo, hi, h)                                            \
	if (!strcmp(name, #n))                                                 \
		return p->n;
#define _RANK_PU(n, def, lo, hi, h) _RANK_PD(n, def, lo, hi, h)
#define _RANK_PB(n, def, h)
#define _RANK_PE(n, T, def, names, h)
	RANK_PARAMS(_RANK_PD, _RANK_PU, _RANK_PB, _RANK_PE)
#undef _RANK_PD
#undef _RANK_PU
#undef _RANK_PB
#undef _RANK_PE
	if (!strcmp(name, "decay_per_day"))
		return c->learn.decay_per_day;
	return NAN;
}

/* The ranker draws of every pass: the given settings, then budget - 1
 * drawn. */
static int _draw(struct _ev *x, const struct cfg *given)
{
	const struct _opts *o = x->o;
	struct rng g;
	rng_seed(&g, ec_seed(o->seed, 0x74756e65, 0));
	x->ntrials = o->budget;
	x->trials = calloc(x->ntrials, sizeof(*x->trials));
	if (!x->trials)
		return CLI_USAGE;
	x->trials[0].c = *given;
	for (unsigned t = 1; t < x->ntrials; t++) {
		x->trials[t].c = *given;
		for (size_t k = 0; k < _NKNOBS; k++) {
			/* A factor switched off (collab_gain 0) stays off. */
			if (_get(given, _knobs[k].name) == 0.0 &&
			    _knobs[k].lo > 0.0)
				continue;
			double u = rng_uniform(&g), lo = _knobs[k].lo,
			       hi = _knobs[k].hi;
			double v = _knobs[k].log ? lo * pow(hi / lo, u)
						 : lo + (hi - lo) * u;
			if (_set(&x->trials[t].c, _knobs[k].name, v))
				return CLI_USAGE;
		}
	}
	return CLI_OK;
}

struct _tuned {
	struct cfg best;
	double best_ndcg, given_ndcg;
	unsigned trials;
};

/*
 * Random search: for the given decay_per_day and each of _decays, one
 * replay scoring every ranker draw on the validation targets. The best
 * mean NDCG@k wins (ties: the earlier trial, the given settings first).
 */
static int _tune(struct _ev *x, struct _tuned *tu, bool *first)
{
	const struct cfg *given = &x->o->core.settings;
	double decays[1 + sizeof(_decays) / sizeof(_decays[0])];
	unsigned nd = 0;
	decays[nd++] = given->learn.decay_per_day;
	for (size_t i = 0; i < sizeof(_decays) / sizeof(_decays[0]); i++)
		if (_decays[i] != decays[0])
			decays[nd++] = _decays[i];
	int rc = _draw(x, given);
	if (rc)
		return rc;
	tu->best = *given;
	tu->best_ndcg = -1;
	tu->trials = 0;
	x->tuning = true;
	x->passes = (int)nd + 1;
	for (unsigned d = 0; d < nd; d++) {
		struct cfg lc = *given;
		if (d && (rc = _set(&lc, "decay_per_day", decays[d])))
			return rc;
		for (unsigned t = 0; t < x->ntrials; t++) {
			x->trials[t].c.learn = lc.learn;
			x->trials[t].v_ndcg = 0;
		}
		x->pass = (int)d + 1;
		if ((rc = _pass(x, &lc, *first)))
			return rc;
		*first = false;
		rc_close_region(&x->run);
		uint64_t nv = x->plan.n_valid - x->no_neg[EC_VALID];
		for (unsigned t = 0; t < x->ntrials; t++, tu->trials++) {
			double v = nv ? x->trials[t].v_ndcg / (double)nv : 0;
			if (d == 0 && t == 0)
				tu->given_ndcg = v;
			if (v > tu->best_ndcg) {
				tu->best_ndcg = v;
				tu->best = x->trials[t].c;
			}
		}
	}
	x->tuning = false;
	x->pass = x->passes;
	return CLI_OK;
}

static void _tuned_print(const struct _ev *x, const struct _tuned *tu)
{
	const struct _opts *o = x->o;
	if (o->json) {
		printf(
		    "\"tuned\":{\"trials\":%u,\"validation_ndcg\":%.6f,\"given_validation_ndcg\":%.6f,\"settings\":{",
		    tu->trials, tu->best_ndcg, tu->given_ndcg);
		printf("\"decay_per_day\":%.10g",
		    _get(&tu->best, "decay_per_day"));
		for (size_t k = 0; k < _NKNOBS; k++)
			printf(",\"%s\":%.10g", _knobs[k].name,
			    _get(&tu->best, _knobs[k].name));
		printf("}},");
		return;
	}
	printf(
	    "# tuned on %zu validation targets, %u trials: NDCG@%u of context %.4f (as given %.4f)\n",
	    (size_t)x->plan.n_valid, tu->trials, o->k, tu->best_ndcg,
	    tu->given_ndcg);
	printf("decay_per_day = %.10g\n", _get(&tu->best, "decay_per_day"));
	for (size_t k = 0; k < _NKNOBS; k++)
		printf("%s = %.10g\n", _knobs[k].name,
		    _get(&tu->best, _knobs[k].name));
	printf("\n");
}

/* --- segments ---------------------------------------------------------- */

static void _num(const char *key, double v, bool comma);

/*
 * --by-segment: replays the log under settings c without each user's test
 * target and everything of that user after it, refreshes the segments of
 * that region as of the last event applied (the settings' segment
 * options), and keeps a copy of the table to assign users with.
 */
static int _segments(struct _ev *x, const struct cfg *c, bool *first)
{
	if (!(x->seg = calloc(1, sizeof(*x->seg))) ||
	    !(x->seg->t = malloc(sizeof(*x->seg->t))) ||
	    !(x->seg->past = calloc(x->plan.users.n + 1, 1))) {
		fprintf(stderr, _NAME ": out of memory\n");
		return CLI_USAGE;
	}
	x->segmenting = true;
	int rc = _pass(x, c, *first);
	x->segmenting = false;
	*first = false;
	if (rc)
		return rc;
	struct seg_options so;
	struct seg_stats st;
	char err[256] = "";
	seg_options_of(c, &so);
	so.as_of_ms = x->seg->t_last;
	if ((rc = seg_refresh(&x->run.r, &so, &st, err, sizeof(err))) ||
	    (rc = seg_read(&x->run.r, x->seg->t))) {
		fprintf(stderr, _NAME ": segments: %s\n",
		    err[0] ? err : strerror(-rc));
		return CLI_USAGE;
	}
	x->seg->users = st.users;
	rc_close_region(&x->run);
	for (unsigned i = 0; i <= SEG_MAX; i++)
		x->seg->chosen[i] = -1;
	return CLI_OK;
}

/* The grid point of a segment: the best validation NDCG of the tuned
 * strategy; ties to the point nearest the settings as given
 * (context_weight 1, the settings' mmr_lambda). */
static void _seg_choose(struct _ev *x)
{
	const struct _opts *o = x->o;
	struct _seg *sg = x->seg;
	unsigned nm = _mmr_strategy(o->seg_strat) ? _NMMR : 1;
	double lambda = x->o->core.settings.rank.mmr_lambda;
	for (unsigned i = 0; i < SEG_MAX; i++) {
		sg->chosen[i] = -1;
		if (sg->g[i][0].v_ndcg.n < o->seg_min)
			continue;
		double best = -1, bd = 0;
		for (unsigned m = 0; m < nm; m++)
			for (unsigned c = 0; c < _NCW; c++) {
				unsigned g = m * _NCW + c;
				double v = sg->g[i][g].v_ndcg.mean;
				double d = fabs(_grid_cw[c] - 1.0) +
				    (nm > 1 ? fabs(_grid_mmr[m] - lambda) : 0);
				if (v > best || (v == best && d < bd)) {
					best = v;
					bd = d;
					sg->chosen[i] = (int)g;
				}
			}
	}
}

/* The index in the strategies of the tuned one, -1 when not listed. */
static int _strat_index(const struct _opts *o, int s)
{
	for (unsigned i = 0; i < o->nstrat; i++)
		if (o->strat[i] == s)
			return (int)i;
	return -1;
}

/* The segment_overrides value of the chosen points into out. */
static void _seg_overrides(const struct _ev *x, char *out, size_t len)
{
	const struct _seg *sg = x->seg;
	bool mmr = _mmr_strategy(x->o->seg_strat);
	size_t n = 0;
	out[0] = 0;
	for (unsigned i = 0; i < SEG_MAX && n < len; i++) {
		if (sg->chosen[i] < 0)
			continue;
		unsigned g = (unsigned)sg->chosen[i];
		int w = snprintf(out + n, len - n, "%s%u:context_weight=%g",
		    n ? "," : "", sg->t->seg[i].id, _grid_cw[g % _NCW]);
		if (w > 0 && mmr)
			w += snprintf(out + n + (size_t)w, len - n - (size_t)w,
			    ";mmr_lambda=%g", _grid_mmr[g / _NCW]);
		n += w > 0 ? (size_t)w : 0;
	}
}

static const char *_seg_name(const struct _ev *x, unsigned i)
{
	return i == _NOSEG ? "(no events)" : x->seg->t->seg[i].name;
}

static void _seg_text(struct _ev *x)
{
	const struct _opts *o = x->o;
	const struct _seg *sg = x->seg;
	const struct seg_table *t = sg->t;
	char when[32];
	client_iso_time(t->as_of_ms, when, sizeof(when));
	printf(
	    "\nby segment: %u segments of %llu users (the log without the test targets, as of %s); each user assigned with the profile at the target\n",
	    t->k, (unsigned long long)sg->users, when);
	printf("%-4s %-32s %6s %-11s %8s %8s %8s\n", "id", "segment", "users",
	    "strategy", "HR@k", "NDCG@k", "ILD@k");
	for (unsigned i = 0; i <= SEG_MAX; i++) {
		if (i < SEG_MAX && i >= t->k)
			continue;
		if (!sg->r[i][0].hr.n)
			continue;
		for (unsigned s = 0; s < o->nstrat; s++) {
			const struct _sres *r = &sg->r[i][s];
			if (s == 0) {
				char id[16] = "-";
				if (i < SEG_MAX)
					snprintf(id, sizeof(id), "%u",
					    t->seg[i].id);
				const char *nm = _seg_name(x, i);
				printf("%-4s %-*.*s %6llu ", id,
				    cli_pad(nm, 32), cli_cut(nm, 32), nm,
				    (unsigned long long)r->hr.n);
			} else {
				printf("%-4s %-32s %6s ", "", "", "");
			}
			printf("%-11s %8.4f %8.4f %8.4f\n",
			    _strat_name(o->strat[s]), r->hr.mean, r->ndcg.mean,
			    r->ild.mean);
		}
	}
	if (!o->tune)
		return;
	int ti = _strat_index(o, o->seg_strat);
	bool mmr = _mmr_strategy(o->seg_strat);
	printf(
	    "\ntuned per segment: %s, on validation targets, segments with >= %u of them; context_weight in {0.5, 1, 1.5, 2}%s; exploration is not tuned (offline accuracy always switches it off)\n",
	    _strat_name(o->seg_strat), o->seg_min,
	    mmr ? ", mmr_lambda in {0.5 .. 1.0}" : "");
	printf("%-4s %6s %6s %6s  %-17s %-17s %-17s %-17s\n", "id", "valid",
	    "cw", "lambda", "valid NDCG", "test NDCG", "test HR", "test ILD");
	for (unsigned i = 0; i < t->k && i < SEG_MAX; i++) {
		unsigned nv = (unsigned)sg->g[i][0].v_ndcg.n;
		if (!nv && !sg->g[i][0].hr.n)
			continue;
		if (sg->chosen[i] < 0) {
			printf("%-4u %6u  not tuned (fewer than %u)\n",
			    t->seg[i].id, nv, o->seg_min);
			continue;
		}
		unsigned g = (unsigned)sg->chosen[i];
		const struct _sres *c = &sg->g[i][g];
		const struct _sres *a = ti >= 0 ? &sg->r[i][ti] : NULL;
		char lam[16] = "-";
		if (mmr)
			snprintf(lam, sizeof(lam), "%g", _grid_mmr[g / _NCW]);
		printf("%-4u %6u %6g %6s", t->seg[i].id, nv, _grid_cw[g % _NCW],
		    lam);
		const struct met_mean *cm[4] = { &c->v_ndcg, &c->ndcg, &c->hr,
			&c->ild };
		for (unsigned m = 0; m < 4; m++) {
			const struct met_mean *am[4] = { a ? &a->v_ndcg : NULL,
				a ? &a->ndcg : NULL, a ? &a->hr : NULL,
				a ? &a->ild : NULL };
			if (am[m])
				printf("  %.4f -> %.4f", am[m]->mean,
				    cm[m]->mean);
			else
				printf("  %17.4f", cm[m]->mean);
		}
		printf("\n");
	}
	char ov[1024];
	_seg_overrides(x, ov, sizeof(ov));
	if (ov[0])
		printf(
		    "(as given -> chosen; as given: eval's settings, no segment parameters)\n\n# per-segment values chosen on validation (segment ids of this run's table; serving applies them with segment_params)\nsegment_overrides = %s\n",
		    ov);
	else
		printf("\n# no segment has %u validation users: no overrides\n",
		    o->seg_min);
}

static void _sres_json(const char *name, const struct _sres *r, bool comma)
{
	printf("\"%s\":{\"users\":%llu,", name, (unsigned long long)r->hr.n);
	_num("hr", r->hr.mean, true);
	_num("ndcg", r->ndcg.mean, true);
	_num("ild", r->ild.mean, true);
	printf("\"validation_users\":%llu,", (unsigned long long)r->v_ndcg.n);
	_num("validation_ndcg", r->v_ndcg.mean, false);
	printf("}%s", comma ? "," : "");
}

static void _seg_json(struct _ev *x)
{
	const struct _opts *o = x->o;
	const struct _seg *sg = x->seg;
	const struct seg_table *t = sg->t;
	char when[32];
	client_iso_time(t->as_of_ms, when, sizeof(when));
	printf("\"by_segment\":{\"k\":%u,\"users\":%llu,\"as_of\":\"%s\",",
	    t->k, (unsigned long long)sg->users, when);
	if (o->tune) {
		char ov[1024];
		_seg_overrides(x, ov, sizeof(ov));
		printf(
		    "\"tuned_strategy\":\"%s\",\"min_validation_users\":%u,\"segment_overrides\":",
		    _strat_name(o->seg_strat), o->seg_min);
		_json_str(stdout, ov, strlen(ov));
		printf(",");
	}
	printf("\"segments\":[");
	bool first = true;
	for (unsigned i = 0; i <= SEG_MAX; i++) {
		if (i < SEG_MAX && i >= t->k)
			continue;
		if (i == _NOSEG && !sg->r[i][0].hr.n && !sg->r[i][0].v_ndcg.n)
			continue;
		printf("%s{", first ? "" : ",");
		first = false;
		if (i < SEG_MAX) {
			const char *sn = sp_strategy_name(t->seg[i].strategy);
			printf("\"id\":%u,\"name\":", t->seg[i].id);
			_json_str(stdout, t->seg[i].name,
			    strlen(t->seg[i].name));
			printf(",\"segment_strategy\":\"%s\",", sn ? sn : "?");
		} else {
			printf("\"id\":null,\"name\":\"(no events)\",");
		}
		printf("\"strategies\":{");
		for (unsigned s = 0; s < o->nstrat; s++)
			_sres_json(_strat_name(o->strat[s]), &sg->r[i][s],
			    s + 1 < o->nstrat);
		printf("}");
		if (o->tune && i < SEG_MAX && sg->chosen[i] >= 0) {
			unsigned g = (unsigned)sg->chosen[i];
			printf(",\"tuned\":{\"context_weight\":%g,",
			    _grid_cw[g % _NCW]);
			if (_mmr_strategy(o->seg_strat))
				printf("\"mmr_lambda\":%g,",
				    _grid_mmr[g / _NCW]);
			_sres_json("chosen", &sg->g[i][g], false);
			printf("}");
		}
		printf("}");
	}
	printf("]},");
}

/* --- report ----------------------------------------------------------- */

static const char *const _metric_names[_METRICS] = { "hr", "ndcg", "mrr" };

struct _cmp {
	struct met_boot_ci ci[_METRICS];
	double lift[_METRICS]; /* diff / popularity's mean */
	bool ok;
};

/* Each strategy's metrics against popularity (strategy 0). */
static int _compare(const struct _ev *x, struct _cmp *cmp)
{
	const struct _opts *o = x->o;
	struct met_boot_params bp;
	met_boot_default(&bp);
	double *scratch = malloc(bp.resamples * sizeof(double));
	if (!scratch)
		return -ENOMEM;
	for (unsigned s = 1; s < o->nstrat; s++) {
		cmp[s].ok = x->n_test > 0;
		for (unsigned m = 0; m < _METRICS && cmp[s].ok; m++) {
			struct rng g;
			/* By the strategy, not its place in --strategies: a
			 * strategy's interval is the same in any list. */
			rng_seed(&g,
			    ec_seed(o->seed, (uint64_t)(o->strat[s] + 2), m));
			if (met_bootstrap_diff(x->r[s].m[m], x->r[0].m[m],
				x->n_test, &bp, &g, scratch, &cmp[s].ci[m]))
				cmp[s].ok = false;
			double b = x->r[0].mean[m].mean;
			cmp[s].lift[m] = b > 0 ? cmp[s].ci[m].diff / b : NAN;
		}
	}
	free(scratch);
	return 0;
}

static double _coverage(const struct _ev *x, unsigned s)
{
	return met_coverage(x->r[s].expo, x->plan.items.n);
}

/* The input lines the reader turned away (listed on stderr as they
 * came): how many, by reason, and the catalog's. */
static void _rejected_text(const struct _ev *x)
{
	const struct lr_log *log = &x->run.log;
	if (!log->rejected_lines && !x->run.cat_rejected)
		return;
	printf("rejected lines: %llu of the log (",
	    (unsigned long long)log->rejected_lines);
	for (unsigned k = 0, n = 0; k < EVT_REASON_COUNT; k++)
		if (log->rejected[k])
			printf("%s%s %llu", n++ ? ", " : "", evt_reason_name(k),
			    (unsigned long long)log->rejected[k]);
	printf("), %llu of the catalog; they are not evaluated\n",
	    (unsigned long long)x->run.cat_rejected);
}

static void _rejected_json(const struct _ev *x)
{
	const struct lr_log *log = &x->run.log;
	printf("\"rejected_lines\":%llu,\"rejected\":{",
	    (unsigned long long)log->rejected_lines);
	for (unsigned k = 0, n = 0; k < EVT_REASON_COUNT; k++)
		if (log->rejected[k])
			printf("%s\"%s\":%llu", n++ ? "," : "",
			    evt_reason_name(k),
			    (unsigned long long)log->rejected[k]);
	printf("},\"catalog_rejected\":%llu,",
	    (unsigned long long)x->run.cat_rejected);
}

static void _report_text(const struct _ev *x, const struct _cmp *cmp)
{
	const struct _opts *o = x->o;
	const struct ec_plan *pl = &x->plan;
	printf(
	    "%zu test targets (%zu users skipped: fewer than 2 new positives",
	    x->n_test, (size_t)pl->users_skipped);
	if (x->no_neg[EC_TEST] || x->no_neg[EC_VALID])
		printf(
		    "; %llu test and %llu validation targets skipped: no item left that the user never touches",
		    (unsigned long long)x->no_neg[EC_TEST],
		    (unsigned long long)x->no_neg[EC_VALID]);
	printf("); ");
	if (o->full)
		printf(
		    "candidates: the target and every catalog item the user never touches, added by its time (%u items); ",
		    pl->n_pool);
	else if (o->candidates - 1 < pl->n_pool)
		printf(
		    "candidates: the target and %u never-touched items of %u; ",
		    o->candidates - 1, pl->n_pool);
	else /* more asked for than there are: every one, as --full-catalog */
		printf(
		    "candidates: the target and every never-touched item of %u (--candidates %u asks for more); ",
		    pl->n_pool, o->candidates);
	printf(
	    "k = %u; base %s; context location %s; viewed targets %s; seed %llu\n",
	    o->k, o->uniform ? "uniform" : "popularity", _loc_names[o->loc],
	    o->strict_targets ? "no" : "yes", (unsigned long long)o->seed);
	_rejected_text(x);
	printf("\n");
	char h[3][16];
	snprintf(h[0], sizeof(h[0]), "HR@%u", o->k);
	snprintf(h[1], sizeof(h[1]), "NDCG@%u", o->k);
	snprintf(h[2], sizeof(h[2]), "ILD@%u", o->k);
	printf("%-11s %8s %8s %8s %8s %8s %8s\n", "strategy", h[0], h[1], "MRR",
	    h[2], "coverage", "novelty");
	for (unsigned s = 0; s < o->nstrat; s++) {
		const struct _res *r = &x->r[s];
		printf("%-11s %8.4f %8.4f %8.4f %8.4f %8.4f %8.3f\n",
		    _strat_name(o->strat[s]), r->mean[0].mean, r->mean[1].mean,
		    r->mean[2].mean, r->ild.mean, _coverage(x, s),
		    r->novelty.mean);
	}
	if (o->nstrat < 2)
		return;
	printf(
	    "\nagainst popularity: mean difference per target, 95%% paired bootstrap interval (%u resamples), relative lift\n",
	    MET_BOOT_RESAMPLES);
	const char *mn[_METRICS] = { h[0], h[1], "MRR" };
	for (unsigned s = 1; s < o->nstrat; s++)
		for (unsigned m = 0; m < _METRICS && cmp[s].ok; m++) {
			const struct met_boot_ci *c = &cmp[s].ci[m];
			printf("%-11s %-8s %+.4f [%+.4f, %+.4f] %+7.1f%%\n",
			    m ? "" : _strat_name(o->strat[s]), mn[m], c->diff,
			    c->lo, c->hi, 100 * cmp[s].lift[m]);
		}
}

static void _num(const char *key, double v, bool comma)
{
	if (isfinite(v))
		printf("\"%s\":%.6f%s", key, v, comma ? "," : "");
	else
		printf("\"%s\":null%s", key, comma ? "," : "");
}

static void _report_json(const struct _ev *x, const struct _cmp *cmp)
{
	const struct _opts *o = x->o;
	const struct ec_plan *pl = &x->plan;
	_rejected_json(x);
	printf(
	    "\"test_targets\":%zu,\"validation_targets\":%zu,\"users_skipped\":%llu,\"targets_skipped_no_negatives\":{\"test\":%llu,\"validation\":%llu},\"candidates\":%u,\"candidates_ranked\":{\"min\":%u,\"mean\":%.2f,\"max\":%u},\"full_catalog\":%s,\"pool\":%u,\"k\":%u,\"base\":\"%s\",\"context_location\":\"%s\",\"viewed_targets\":%s,\"seed\":%llu,\"strategies\":[",
	    x->n_test, x->n_valid, (unsigned long long)pl->users_skipped,
	    (unsigned long long)x->no_neg[EC_TEST],
	    (unsigned long long)x->no_neg[EC_VALID],
	    o->full ? 0 : o->candidates, x->cand_min,
	    x->n_test + x->n_valid
		? (double)x->cand_sum / (double)(x->n_test + x->n_valid)
		: 0.0,
	    x->cand_max, o->full ? "true" : "false", pl->n_pool, o->k,
	    o->uniform ? "uniform" : "popularity", _loc_names[o->loc],
	    o->strict_targets ? "false" : "true", (unsigned long long)o->seed);
	for (unsigned s = 0; s < o->nstrat; s++) {
		const struct _res *r = &x->r[s];
		printf("%s{\"name\":\"%s\",", s ? "," : "",
		    _strat_name(o->strat[s]));
		_num("hr", r->mean[0].mean, true);
		_num("ndcg", r->mean[1].mean, true);
		_num("mrr", r->mean[2].mean, true);
		_num("ild", r->ild.mean, true);
		_num("coverage", _coverage(x, s), true);
		_num("novelty", r->novelty.mean, true);
		_num("validation_ndcg", r->v_ndcg.mean, true);
		_num("validation_ild", r->v_ild.mean, s > 0 && cmp[s].ok);
		if (s > 0 && cmp[s].ok) {
			printf("\"vs_popularity\":{");
			for (unsigned m = 0; m < _METRICS; m++) {
				const struct met_boot_ci *c = &cmp[s].ci[m];
				printf("%s\"%s\":{", m ? "," : "",
				    _metric_names[m]);
				_num("diff", c->diff, true);
				_num("lo", c->lo, true);
				_num("hi", c->hi, true);
				_num("p_le0", c->p_le0, true);
				_num("lift", cmp[s].lift[m], false);
				printf("}");
			}
			printf("}");
		}
		printf("}");
	}
	printf("]}\n");
}

/* --- command line ----------------------------------------------------- */

static int _strategies(struct _opts *o, const char *v)
{
	o->nstrat = 0;
	o->strat[o->nstrat++] = _POPULARITY;
	const char *p = v;
	if (!*p || p[strlen(p) - 1] == ',') /* nothing, or a slip */
		return rc_usage_err(&o->core,
		    "--strategies: '%s' has an empty entry (a list of profile, context, explore, diverse, full)",
		    v);
	while (*p) {
		const char *q = strchr(p, ',');
		size_t len = q ? (size_t)(q - p) : strlen(p);
		bool popular = len == 10 && !strncasecmp(p, "popularity", 10);
		int s = popular ? _POPULARITY : rank_strategy_parse(p, len);
		if ((!popular && (s < 0 || s == RANK_BASE)) ||
		    o->nstrat >= _MAX_STRATEGIES)
			return rc_usage_err(&o->core,
			    "--strategies: '%s' is not a list of popularity, profile, context, explore, diverse, full",
			    v);
		bool dup = false;
		for (unsigned i = 0; i < o->nstrat; i++)
			dup |= o->strat[i] == s;
		if (!dup)
			o->strat[o->nstrat++] = s;
		p += len + (q != NULL);
	}
	return CLI_OK;
}

/* An option with a value: CLI_OK, CLI_USAGE, or -1 when not one. */
static int _opt_value(struct _opts *o, const char *name, const char *v)
{
	unsigned long long u;
	if (!strcmp(name, "--out"))
		o->out = v;
	else if (!strcmp(name, "--candidates"))
		return cli_u64(v, 2, 1000000, &u)
		    ? rc_usage_err(&o->core,
			  "--candidates: '%s' is not 2..1000000", v)
		    : (o->candidates = (unsigned)u, CLI_OK);
	else if (!strcmp(name, "--k"))
		return cli_u64(v, 1, 1000, &u)
		    ? rc_usage_err(&o->core, "--k: '%s' is not 1..1000", v)
		    : (o->k = (unsigned)u, CLI_OK);
	else if (!strcmp(name, "--seed"))
		return cli_u64(v, 0, UINT64_MAX, &u)
		    ? rc_usage_err(&o->core,
			  "--seed: '%s' is not an unsigned 64-bit number", v)
		    : (o->seed = u, CLI_OK);
	else if (!strcmp(name, "--tune-budget"))
		return cli_u64(v, 1, 10000, &u)
		    ? rc_usage_err(&o->core,
			  "--tune-budget: '%s' is not 1..10000", v)
		    : (o->budget = (unsigned)u, CLI_OK);
	else if (!strcmp(name, "--segment-min-users"))
		return cli_u64(v, 1, 1000000, &u)
		    ? rc_usage_err(&o->core,
			  "--segment-min-users: '%s' is not 1..1000000", v)
		    : (o->seg_min = (unsigned)u, CLI_OK);
	else if (!strcmp(name, "--segment-strategy"))
		return !strcmp(v, "context")
		    ? (o->seg_strat = RANK_CONTEXT, CLI_OK)
		    : !strcmp(v, "full")
		    ? (o->seg_strat = RANK_FULL, CLI_OK)
		    : rc_usage_err(&o->core,
			  "--segment-strategy: '%s' is not context or full", v);
	else if (!strcmp(name, "--strategies"))
		return _strategies(o, v);
	else if (!strcmp(name, "--viewed-targets"))
		return !strcmp(v, "yes") ? (o->strict_targets = false, CLI_OK)
		    : !strcmp(v, "no")
		    ? (o->strict_targets = true, CLI_OK)
		    : rc_usage_err(&o->core,
			  "--viewed-targets: '%s' is not yes or no", v);
	else if (!strcmp(name, "--context-location")) {
		for (int l = 0; l < 3; l++)
			if (!strcmp(v, _loc_names[l]))
				return o->loc = l, CLI_OK;
		return rc_usage_err(&o->core,
		    "--context-location: '%s' is not previous, target or none",
		    v);
	} else if (!strcmp(name, "--base"))
		return !strcmp(v, "popularity") ? (o->uniform = false, CLI_OK)
		    : !strcmp(v, "uniform")
		    ? (o->uniform = true, CLI_OK)
		    : rc_usage_err(&o->core,
			  "--base: '%s' is not popularity or uniform", v);
	else
		return -1;
	return CLI_OK;
}

static const char *const _valued[] = { "--out", "--candidates", "--k", "--seed",
	"--tune-budget", "--strategies", "--base", "--segment-min-users",
	"--segment-strategy", "--context-location", "--viewed-targets" };

static int _flag(struct _opts *o, const char *a)
{
	if (!strcmp(a, "--json"))
		o->json = true;
	else if (!strcmp(a, "--tune"))
		o->tune = true;
	else if (!strcmp(a, "--by-segment"))
		o->by_segment = true;
	else if (!strcmp(a, "--full-catalog"))
		o->full = true;
	else
		return rc_input_arg(&o->core, &o->input, a, "LOG");
	return CLI_OK;
}

static int _parse(struct _opts *o, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *v = NULL;
		int m = 0, rc;
		size_t k = 0;
		for (; k < sizeof(_valued) / sizeof(_valued[0]); k++)
			if ((m = cli_value(argc, argv, &i, _valued[k], &v)))
				break;
		if (m < 0)
			return rc_usage_err(&o->core, "%s needs a value",
			    _valued[k]);
		if (m) {
			if ((rc = _opt_value(o, _valued[k], v)))
				return rc;
		} else if ((rc = rc_arg(&o->core, argc, argv, &i)) < 0 ||
		    rc > 1) {
			return rc;
		} else if (rc == 0 && (rc = _flag(o, argv[i]))) {
			return rc;
		}
	}
	/* Users keyed as by an instance without a key file: the draws are
	 * seeded by user, and must not depend on which machine's secret
	 * happens to lie in the state directory (nor fail on one). */
	o->core.no_secret = true;
	int rs = rc_apply_settings(&o->core);
	if (rs)
		return rs;
	if (!o->input)
		return rc_usage_err(&o->core, "which LOG?%s", "");
	rs = rc_check_files(&o->core, o->input);
	return rs ? rs : rc_check_out(&o->core, o->out);
}

/* --- main ------------------------------------------------------------- */

/* The plan learns when each catalog item was added: an item added after
 * a target's time is no candidate of it. */
static int _plan_added(struct _ev *x)
{
	int64_t *added = malloc((x->n_cat ? x->n_cat : 1) * sizeof(*added));
	if (!added)
		return -ENOMEM;
	for (size_t i = 0; i < x->n_cat; i++)
		added[i] = x->cat_items[i].added_ms;
	int rc = ec_plan_added(&x->plan, x->cat_keys, added, x->n_cat);
	free(added);
	return rc;
}

/* Reads the log, opens the first region, loads the catalog, plans. */
static int _setup(struct _ev *x)
{
	const struct _opts *o = x->o;
	struct rc_run *run = &x->run;
	int rc = rc_read_log(run, o->input);
	if (rc)
		return rc;
	if (!(x->order = rc_sorted(&run->log))) {
		fprintf(stderr, _NAME ": out of memory sorting %zu events\n",
		    run->log.ev.n);
		return CLI_USAGE;
	}
	struct cfg c;
	rc_config(&o->core, run->log.users.n, &c);
	if (rc_open_region(run, "eval", &c))
		return CLI_USAGE;
	int64_t load_t0 = reg_now_wall_ms();
	if ((rc = rc_load_catalog(run)))
		return rc;
	if (_catalog_copy(x, load_t0, reg_now_wall_ms()) ||
	    ec_plan_build(&x->plan, &run->r.hdr->params, _event, x,
		run->log.ev.n, x->cat_keys, x->n_cat, !o->strict_targets) ||
	    _plan_added(x) || _alloc(x)) {
		fprintf(stderr, _NAME ": out of memory\n");
		return CLI_USAGE;
	}
	return CLI_OK;
}

/*
 * `--out -`: the per-target lines take stdout, so a pipe gets JSON lines
 * only, and the report (written to stdout everywhere) goes to stderr from
 * here on. Returns the lines' stream, or NULL with errno.
 */
static FILE *_lines_stdout(void)
{
	fflush(stdout);
	int fd = dup(STDOUT_FILENO);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
	if (!f || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
		int e = errno;
		if (f)
			fclose(f);
		else if (fd >= 0)
			close(fd);
		errno = e;
		return NULL;
	}
	return f;
}

static int _run(struct _ev *x)
{
	const struct _opts *o = x->o;
	int rc = _setup(x);
	if (rc)
		return rc;
	if (x->plan.n_test == 0) {
		fprintf(stderr,
		    _NAME
		    ": no user has two new positives (%u users): nothing to evaluate\n",
		    x->plan.users.n);
		return CLI_PARTIAL;
	}
	bool first = true;
	struct _tuned tu;
	const struct cfg *final = &o->core.settings;
	x->passes = 1;
	if (o->tune) {
		if ((rc = _tune(x, &tu, &first)))
			return rc;
		final = &tu.best;
	}
	if (o->by_segment) {
		x->passes++;
		x->pass = x->passes - 1;
		if ((rc = _segments(x, final, &first)))
			return rc;
	}
	x->pass = x->passes;
	_reset(x);
	bool to_stdout = o->out && !strcmp(o->out, "-");
	if (o->out &&
	    !(x->out = to_stdout ? _lines_stdout() : fopen(o->out, "w"))) {
		fprintf(stderr, _NAME ": cannot write %s: %s\n", o->out,
		    strerror(errno));
		return CLI_USAGE;
	}
	rc = _pass(x, final, first);
	if (x->out && fclose(x->out)) {
		fprintf(stderr, _NAME ": writing %s failed\n", o->out);
		rc = rc ? rc : CLI_USAGE;
	}
	x->out = NULL;
	if (rc)
		return rc;
	uint64_t full = rc_table_full(&x->run);
	struct _cmp cmp[_MAX_STRATEGIES];
	memset(cmp, 0, sizeof(cmp));
	if (_compare(x, cmp)) {
		fprintf(stderr, _NAME ": out of memory\n");
		return CLI_USAGE;
	}
	if (o->json)
		printf("{");
	if (o->tune)
		_tuned_print(x, &tu);
	if (x->seg && o->tune)
		_seg_choose(x);
	if (x->seg && o->json)
		_seg_json(x);
	if (o->json)
		_report_json(x, cmp);
	else
		_report_text(x, cmp);
	if (x->seg && !o->json)
		_seg_text(x);
	fflush(stdout);
	if (!x->n_test) {
		fprintf(stderr,
		    _NAME
		    ": every test target was skipped (%llu: no item left that the user never touches; a larger --catalog gives negatives)\n",
		    (unsigned long long)x->no_neg[EC_TEST]);
		return CLI_PARTIAL;
	}
	return x->run.log.rejected_lines || x->run.cat_rejected || full
	    ? CLI_PARTIAL
	    : CLI_OK;
}

int cli_eval(const struct cli *c, int argc, char **argv)
{
	if (cli_help(argc, argv, _help))
		return CLI_OK;
	struct _opts o = { .json = c->json,
		.candidates = 100,
		.k = 10,
		.budget = 32,
		.seg_min = 30,
		.seg_strat = RANK_CONTEXT,
		.seed = 1 };
	rc_opts_init(&o.core, _NAME, c->instance);
	int rc = _strategies(&o, "profile,context,full");
	if (!rc)
		rc = _parse(&o, argc, argv);
	if (rc) {
		rc_opts_free(&o.core);
		return rc;
	}
	rc_reader_setup(&o.core, NULL, NULL);
	struct _ev x = { .o = &o };
	x.run.o = &o.core;
	x.bar = !o.core.quiet && isatty(STDERR_FILENO);
	rc = _run(&x);
	_free(&x);
	rc_opts_free(&o.core);
	return rc;
}
