/*
 * rank_bench: time per rank_run call for n = 200 candidates, k = 20, one
 * line per strategy (median of 5 runs of the mean over many calls), on a
 * catalog-like set (12 categories) and a profile of 400 events, each
 * answer first checked to be a permutation of the candidates.
 *   build/tests/engine/rank_bench [iterations [strategy]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rank_fixture.h"

#define N 200
#define K 20

static struct cat_item g_items[N];
static struct rank_cand g_c[N];
static struct rank_result g_out[N];
static unsigned char g_seen[N];

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	return (a > b) - (a < b);
}

int main(int argc, char **argv)
{
	unsigned iters = argc > 1 ? (unsigned)atoi(argv[1]) : 20000;
	struct lrn_params lp;
	struct rank_params rp;
	struct lrn_profile p;
	struct rank_ctx ctx;
	struct rng r;
	size_t size = rank_scratch_size(N);
	void *scratch = malloc(size);

	if (!scratch || iters == 0)
		return 1;
	lrn_params_default(&lp);
	rank_params_default(&rp);
	rng_seed(&r, 7);
	fix_items(&r, N, 12, g_items, g_c);
	fix_profile(&r, &p, &lp, g_c, g_items, N, 400);
	fix_ctx(&ctx);
	printf("rank_run n=%u k=%u, scratch %zu bytes\n", N, K, size);
	for (unsigned s = 0; s < RANK_STRATEGY_COUNT; s++) {
		struct rank_opts o;

		if (argc > 2 && strcmp(argv[2], rank_strategy_name(s)) != 0)
			continue;
		double run[5];
		volatile uint32_t sink = 0;

		fix_opts(&o, s, K, 1);
		if (rank_run(&p, &lp, &rp, &ctx, g_c, N, &o, scratch, size,
			g_out) != N ||
		    !fix_is_perm(g_out, N, g_seen)) {
			fprintf(stderr, "%s: not a permutation\n",
			    rank_strategy_name(s));
			return 1;
		}
		for (int k = 0; k < 5; k++) {
			double t0 = now_ns();

			for (unsigned i = 0; i < iters; i++) {
				o.seed = i;
				rank_run(&p, &lp, &rp, &ctx, g_c, N, &o,
				    scratch, size, g_out);
				sink += g_out[0].index;
			}
			run[k] = (now_ns() - t0) / iters;
		}
		(void)sink;
		qsort(run, 5, sizeof(run[0]), cmp_double);
		printf("rank_run %-8s %8.0f ns/call\n", rank_strategy_name(s),
		    run[2]);
	}
	free(scratch);
	return 0;
}
