/*
 * rank_seen: the fatigue factor of rank_run is lrn_seen's, entity by
 * entity: on lived-in profiles (impressions, views, clicks, saves at many
 * entities, so seen[] turns over and holds action marks), every candidate
 * key the profile met and as many it never met get F from the entry
 * lrn_seen reports (the ranker reads seen[] itself, without the call).
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rank_fixture.h"

#define N 240
#define ROUNDS 40

static double expected(const struct rank_params *rp,
    const struct lrn_profile *p, uint64_t key)
{
	struct lrn_seen_info s = lrn_seen(p, key);
	double x = 1.0;

	if (s.engaged || s.converted)
		return rp->acted_factor;
	for (unsigned i = 1; i <= s.impressions; i++)
		if (i > rp->fatigue_impressions)
			x *= rp->fatigue_factor;
	return x > rp->fatigue_floor ? x : rp->fatigue_floor;
}

int main(void)
{
	static struct cat_item items[N];
	static struct rank_cand c[N];
	static struct rank_result out[N];
	struct lrn_params lp;
	struct rank_params rp;
	struct rank_ctx ctx;
	struct rng r;
	size_t size = rank_scratch_size(N);
	void *scratch = malloc(size);
	unsigned met = 0;

	REQUIRE(scratch != NULL);
	lrn_params_default(&lp);
	rank_params_default(&rp);
	rng_seed(&r, 99);
	fix_ctx(&ctx);
	for (unsigned round = 0; round < ROUNDS; round++) {
		struct lrn_profile p;
		struct rank_opts o;

		fix_items(&r, N, 6, items, c);
		/* Keys of every shape: small, huge, 0, and ones that fold
		 * alike in the high bits. */
		for (unsigned i = 0; i < N; i++) {
			c[i].key = rng_next(&r) >> (rng_below(&r, 64));
			if (i % 37 == 0)
				c[i].key = 0;
			if (i % 11 == 0 && i > 0)
				c[i].key = c[i - 1].key ^ 1;
		}
		fix_profile(&r, &p, &lp, c, items, N / 8, 60 + 20 * round);
		fix_opts(&o, RANK_CONTEXT, 0, round);
		REQUIRE(rank_run(&p, &lp, &rp, &ctx, c, N, &o, scratch, size,
			    out) == N);
		for (unsigned j = 0; j < N; j++) {
			uint64_t key = c[out[j].index].key;
			double want = expected(&rp, &p, key);

			met += lrn_seen(&p, key).impressions > 0;
			CHECK_NEAR(out[j].f.fatigue, (float)want, 0);
		}
	}
	/* The fixture's profiles met many of the candidates. */
	CHECK(met > ROUNDS);
	free(scratch);
	return check_done("rank_seen");
}
