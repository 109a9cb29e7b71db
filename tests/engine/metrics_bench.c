/*
 * metrics_bench: time per call of met_mmr on a catalog-like candidate set
 * (20 categories, 200 tags, 3..8 tags per item), one line per variant
 * (median of 5 runs), each answer checked against the plain O(n k^2) MMR
 * first; also ILD of one list and the paired bootstrap.
 *   build/tests/engine/metrics_bench [runs-per-variant-scale]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/metrics.h"
#include "mmr_naive.h"

#define NMAX 2000

static struct lrn_item g_it[NMAX];
static double g_rel[NMAX];
static struct met_mmr_slot g_scratch[NMAX];
static uint32_t g_order[NMAX], g_want[NMAX];
static struct met_mmr_why g_why[NMAX];

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

/* Median over 5 runs of the mean ns per call over `iters` calls. */
static double time_mmr(unsigned n, unsigned k, double lambda, int with_why,
    unsigned iters)
{
	struct met_sim s;
	double run[5];
	volatile uint32_t sink = 0;

	met_sim_default(&s);
	for (int r = 0; r < 5; r++) {
		double t0 = now_ns();
		for (unsigned i = 0; i < iters; i++) {
			met_mmr(g_rel, g_it, n, k, lambda, &s, g_scratch,
			    g_order, with_why ? g_why : NULL);
			sink += g_order[k - 1];
		}
		run[r] = (now_ns() - t0) / iters;
	}
	(void)sink;
	qsort(run, 5, sizeof run[0], cmp_double);
	return run[2];
}

static int variant(unsigned n, unsigned k, double lambda, int with_why,
    unsigned iters)
{
	struct met_sim s;

	met_sim_default(&s);
	int m = met_mmr(g_rel, g_it, n, k, lambda, &s, g_scratch, g_order,
	    with_why ? g_why : NULL);
	unsigned w = mmr_naive(g_rel, g_it, n, k, lambda, &s, g_want);
	if (m != (int)w || memcmp(g_order, g_want, w * sizeof g_want[0]) != 0) {
		fprintf(stderr, "mmr n=%u k=%u lambda=%g: wrong answer\n", n, k,
		    lambda);
		return 1;
	}
	printf("mmr n=%-4u k=%-3u lambda=%.1f why=%d  %10.0f ns/call\n", n, k,
	    lambda, with_why, time_mmr(n, k, lambda, with_why, iters));
	return 0;
}

int main(int argc, char **argv)
{
	double scale = argc > 1 ? atof(argv[1]) : 1.0;
	struct rng r;
	int bad = 0;

	if (!(scale > 0))
		scale = 1.0;
	rng_seed(&r, 77);
	for (unsigned i = 0; i < NMAX; i++) {
		g_it[i].category = 1 + (uint32_t)rng_below(&r, 20);
		g_it[i].n_tags = (uint8_t)(3 + rng_below(&r, 6));
		for (unsigned j = 0; j < g_it[i].n_tags; j++)
			g_it[i].tags[j] = 1 + (uint32_t)rng_below(&r, 200);
		g_rel[i] = rng_uniform(&r);
	}

	unsigned it200 = (unsigned)(2000 * scale) + 1;
	bad |= variant(200, 20, 0.7, 0, it200);
	bad |= variant(200, 20, 0.7, 1, it200);
	bad |= variant(200, 20, 1.0, 0, it200);
	bad |= variant(2000, 20, 0.7, 0, (unsigned)(200 * scale) + 1);

	/* ILD of a 20-item list. */
	struct met_sim s;
	met_sim_default(&s);
	unsigned iters = (unsigned)(20000 * scale) + 1;
	volatile double sink = 0;
	double t0 = now_ns();
	for (unsigned i = 0; i < iters; i++)
		sink += met_ild(&s, g_it + (i % 100), 20);
	printf("ild n=20                          %10.0f ns/call\n",
	    (now_ns() - t0) / iters);

	/* Paired bootstrap, 2000 users, B = 1000. */
	static double a[NMAX], b[NMAX], boot[MET_BOOT_RESAMPLES];
	struct met_boot_params prm;
	struct met_boot_ci ci;
	met_boot_default(&prm);
	for (unsigned i = 0; i < NMAX; i++) {
		a[i] = rng_uniform(&r);
		b[i] = rng_uniform(&r);
	}
	t0 = now_ns();
	if (met_bootstrap_diff(a, b, NMAX, &prm, &r, boot, &ci) != 0 ||
	    !(ci.lo <= ci.hi))
		bad = 1;
	printf("bootstrap n=2000 B=1000           %10.0f ns/call\n",
	    now_ns() - t0);
	(void)sink;
	return bad;
}
