/*
 * rank_diff: rank_run of an older engine/rank.c and engine/metrics.c
 * (their symbols renamed old_*) against the current ones over random
 * rounds: every strategy, n up to 400, k from 0 past n, bases on a grid
 * (ties), spread over decades, denormal or with zeros, repeated and zero
 * tags, items of 0..8 tags and more than 8 claimed, equal tag sets
 * listed in different orders, unknown items,
 * collaborative sums on a grid or all distinct,
 * profiles from none to lived-in, the diversifiers and their settings,
 * overrides. Results (indices, score bits, factors, moves, flags) must
 * agree byte for byte. Not a meson test (it needs the old sources); built
 * by hand, e.g. against main at 619e716:
 *   for f in rank metrics; do git show 619e716:engine/$f.c > /tmp/old_$f.c; done
 *   F="-I. -Iinclude -Ibuild -std=gnu11 -O2 -D_GNU_SOURCE -DNDEBUG"
 *   cc $F -c /tmp/old_rank.c -o /tmp/old_rank.o
 *   cc $F -c /tmp/old_metrics.c -o /tmp/old_metrics.o
 *   nm /tmp/old_rank.o /tmp/old_metrics.o |
 *       awk '$2~/^[TRD]$/{print $3" old_"$3}' | sort -u > /tmp/syms
 *   for f in rank metrics; do
 *       objcopy --redefine-syms=/tmp/syms /tmp/old_$f.o /tmp/old_$f.r.o; done
 *   cc $F tests/engine/rank_diff.c engine/rank.c engine/metrics.c \
 *       /tmp/old_rank.r.o /tmp/old_metrics.r.o build/libpenchant_core.a \
 *       -lm -o /tmp/rank_diff
 *   /tmp/rank_diff [rounds [seed]]   (exit 1 when a round differs)
 * (libpenchant_core for learn, geo, clock and rng: the current rank.c
 * and metrics.c come first on the line, so the library's are not taken).
 * Against itself (HEAD's sources as the old) it must find nothing; a
 * change of one relevance by 1e-9 is found in about 1 % of rounds.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/rank.h"
#include "tests/engine/rank_fixture.h"

int old_rank_run(const struct lrn_profile *p, const struct lrn_params *lp,
    const struct rank_params *rp, const struct rank_ctx *ctx,
    const struct rank_cand *c, unsigned n, const struct rank_opts *o,
    void *scratch, size_t scratch_size, struct rank_result *out);
size_t old_rank_scratch_size(unsigned n);

#define NMAX 400

static struct cat_item g_items[NMAX];
static struct rank_cand g_c[NMAX];
static struct rank_result g_a[NMAX], g_b[NMAX];

static void random_ctx(struct rng *r, struct rank_ctx *x)
{
	fix_ctx(x);
	x->time_ms = FIX_T0 + (int64_t)rng_below(r, 14 * 24) * FIX_HOUR;
	x->tz_min = (int16_t)((int)rng_below(r, 49) * 30 - 720);
	x->has_location = rng_below(r, 3) != 0;
	x->weather = (uint8_t)rng_below(r, EVT_WX_COUNT + 1);
	x->social = (uint8_t)rng_below(r, EVT_SOC_COUNT + 1);
	x->device = (uint8_t)rng_below(r, EVT_DEV_COUNT + 1);
	x->platform = (uint8_t)rng_below(r, EVT_PLAT_COUNT + 1);
}

static void random_opts(struct rng *r, struct rank_opts *o, unsigned n)
{
	static struct rank_prior prior[RANK_PRIOR_MAX];

	fix_opts(o, (unsigned)rng_below(r, RANK_STRATEGY_COUNT),
	    (unsigned)rng_below(r, n + 6), rng_next(r));
	if (rng_below(r, 4) == 0)
		o->k = 20 < n ? 20 : n;
	if (rng_below(r, 3) == 0)
		o->epsilon = rng_uniform(r);
	if (rng_below(r, 3) == 0)
		o->explore_weight = 5.0 * rng_uniform(r);
	if (rng_below(r, 3) == 0)
		o->mmr_lambda = rng_uniform(r);
	if (rng_below(r, 3) == 0)
		o->serendipity_every = (int)rng_below(r, 6);
	if (rng_below(r, 4) == 0)
		o->context_weight = 3.0 * rng_uniform(r);
	if (rng_below(r, 2) == 0) {
		o->n_prior = (unsigned)rng_below(r, RANK_PRIOR_MAX + 1);
		for (unsigned i = 0; i < o->n_prior; i++) {
			bool cat = rng_below(r, 3) == 0;
			prior[i] = (struct rank_prior){ .id = cat
				    ? 1000 + (uint32_t)rng_below(r, 8)
				    : (uint32_t)rng_below(r, 151),
				.category = cat,
				.share = (float)rng_uniform(r) };
		}
		o->prior = prior;
		o->prior_weight = rng_uniform(r);
	}
	if (rng_below(r, 6) == 0) {
		o->given |= RANK_O_DIVERSIFIER;
		o->diversifier = (unsigned)rng_below(r, 2);
	}
	if (rng_below(r, 6) == 0) {
		o->given |= RANK_O_MMR_MEAN;
		o->mmr_mean = rng_uniform(r);
	}
}

/* A few tag sets, each item's listed in an order of its own: items of
 * equal descriptors that MMR's class lookup sees listed differently. */
static void shuffled_sets(struct rng *r, struct lrn_item *it)
{
	unsigned set = (unsigned)rng_below(r, 4);

	it->category = 1 + (uint32_t)rng_below(r, 2);
	it->n_tags = (uint8_t)(2 + set % 3);
	for (unsigned t = 0; t < it->n_tags; t++)
		it->tags[t] = 10 * (set + 1) + t;
	for (unsigned t = it->n_tags; t > 1; t--) {
		unsigned j = (unsigned)rng_below(r, t);
		uint32_t x = it->tags[t - 1];

		it->tags[t - 1] = it->tags[j];
		it->tags[j] = x;
	}
}

/* Tags as catalogs have them, and as they should not: repeats, zeros,
 * none, a count above the room; equal sets listed in other orders. */
static void random_tags(struct rng *r, unsigned n)
{
	unsigned mode = (unsigned)rng_below(r, 5);

	for (unsigned i = 0; i < n; i++) {
		struct lrn_item *it = &g_items[i].item;

		if (mode == 0)
			continue; /* the fixture's */
		if (mode == 4) {
			shuffled_sets(r, it);
			continue;
		}
		it->n_tags = (uint8_t)rng_below(r, 10);
		for (unsigned t = 0; t < LRN_ITEM_TAGS; t++)
			it->tags[t] = rng_below(r, 5) == 0
			    ? 0
			    : 1 + (uint32_t)rng_below(r, mode == 1 ? 6 : 150);
		if (rng_below(r, 8) == 0)
			it->category = 0;
	}
}

static void random_bases(struct rng *r, unsigned n)
{
	switch (rng_below(r, 5)) {
	case 0:
		for (unsigned i = 0; i < n; i++)
			g_c[i].base = (double)rng_below(r, 4) / 4;
		break;
	case 1:
		for (unsigned i = 0; i < n; i++)
			g_c[i].base = rng_below(r, 8) == 0
			    ? 0.0
			    : ldexp(rng_uniform(r),
				  (int)rng_below(r, 200) - 150);
		break;
	case 2:
		for (unsigned i = 0; i < n; i++)
			g_c[i].base = rng_below(r, 4) == 0
			    ? 0.0
			    : ldexp(rng_uniform(r),
				  -1030 - (int)rng_below(r, 40));
		break;
	case 3:
		for (unsigned i = 0; i < n; i++)
			g_c[i].base = 1.0 + 0.001 * (double)rng_below(r, 50);
		break;
	default: break; /* the fixture's uniform */
	}
	/* cf on a grid (repeats, as sums of one list's entries are) or
	 * each its own (distinct sums, some of which share an entry of the
	 * factor cache). */
	bool grid = rng_below(r, 2) != 0;

	for (unsigned i = 0; i < n; i++)
		g_c[i].collab = rng_below(r, 3) == 0 ? 0.0f
		    : grid ? (float)(0.1 * (double)rng_below(r, 30))
			   : (float)(3.0 * rng_uniform(r));
}

static void random_params(struct rng *r, struct rank_params *rp)
{
	rank_params_default(rp);
	if (rng_below(r, 2))
		return;
	rp->affinity_gain = 4.0 * rng_uniform(r);
	rp->time_strength = 2.0 * rng_uniform(r);
	rp->mmr_pool = 1 + (unsigned)rng_below(r, 12);
	rp->mmr_dcg = rng_below(r, 4) != 0;
	rp->diverse_by_score = rng_below(r, 4) != 0;
	if (rng_below(r, 5) == 0)
		rp->diversifier = RANK_DIV_DPP;
	if (rng_below(r, 5) == 0)
		rp->collab_cap = 1.0;
}

int main(int argc, char **argv)
{
	unsigned long rounds = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
	struct lrn_params lp;
	struct rng r;
	size_t sa = rank_scratch_size(NMAX), sb = old_rank_scratch_size(NMAX);
	void *a = malloc(sa), *b = malloc(sb);
	unsigned long bad = 0;
	uint64_t hash = 14695981039346656037ULL;

	if (!a || !b)
		return 2;
	lrn_params_default(&lp);
	rng_seed(&r, seed);
	for (unsigned long i = 0; i < rounds; i++) {
		unsigned n = 1 + (unsigned)rng_below(&r, NMAX);
		struct lrn_profile p;
		struct rank_ctx ctx;
		struct rank_opts o;
		struct rank_params rp;
		bool has_p = rng_below(&r, 4) != 0;

		fix_items(&r, n, 1 + (unsigned)rng_below(&r, 20), g_items, g_c);
		random_tags(&r, n);
		random_bases(&r, n);
		if (has_p)
			fix_profile(&r, &p, &lp, g_c, g_items, n,
			    (unsigned)rng_below(&r, 600));
		random_ctx(&r, &ctx);
		random_opts(&r, &o, n);
		random_params(&r, &rp);
		const struct lrn_profile *pp = has_p ? &p : NULL;
		int ra = rank_run(pp, &lp, &rp, &ctx, g_c, n, &o, a, sa, g_a);
		int rb =
		    old_rank_run(pp, &lp, &rp, &ctx, g_c, n, &o, b, sb, g_b);

		bool same = ra == rb;
		for (int j = 0; same && j < ra; j++)
			same = g_a[j].index == g_b[j].index &&
			    memcmp(&g_a[j].score, &g_b[j].score,
				sizeof(double)) == 0 &&
			    memcmp(&g_a[j].f, &g_b[j].f, sizeof(g_a[j].f)) == 0;
		if (!same) {
			if (bad++ < 10)
				fprintf(stderr,
				    "round %lu: %s n %u k %u: rc %d %d\n", i,
				    rank_strategy_name(o.strategy), n, o.k, ra,
				    rb);
			continue;
		}
		for (int j = 0; j < ra; j++) {
			unsigned char x[4 + 8 + sizeof(g_a[j].f)];

			memcpy(x, &g_a[j].index, 4);
			memcpy(x + 4, &g_a[j].score, 8);
			memcpy(x + 12, &g_a[j].f, sizeof(g_a[j].f));
			for (size_t m = 0; m < sizeof(x); m++)
				hash = (hash ^ x[m]) * 1099511628211ULL;
		}
	}
	printf("rank_diff: %lu rounds, %lu differ, hash %016llx\n", rounds, bad,
	    (unsigned long long)hash);
	free(a);
	free(b);
	return bad != 0;
}
