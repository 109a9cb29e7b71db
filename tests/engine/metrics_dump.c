/*
 * metrics_dump: runs engine/metrics.h on cases read from stdin and prints
 * the results, for metrics_ref.py to compare against numpy/scipy. One case
 * per command, whitespace-separated; every result line starts with the
 * command's name and prints doubles with %.17g (exact round trip).
 *
 *   rank n k target s[n]          -> rank r hr@k ndcg@k rr
 *   graded n m k g[n] rel[m]      -> graded dcg idcg ndcg
 *   ild n w_cat w_tag item[n]     -> ild value
 *   expo N L pop[N] list[L]       -> expo coverage gini entropy norm
 *                                    novelty novelty_list[L]
 *   boot n B level seed a[n] b[n] -> boot diff lo hi p_le0
 *   mmr n k lambda w_cat w_tag rel[n] item[n] -> mmr picks...
 *
 * An item is "category n_tags t0 .. t7" (always 8 tag slots); a list is
 * "len id[len]".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/metrics.h"

#define MAXN 4096
#define MAXL 512

static double g_a[MAXN], g_b[MAXN];
static struct met_mmr_slot g_scratch[MAXN];
static struct lrn_item g_items[MAXN];
static uint64_t g_pop[MAXN], g_counts[MAXN], g_sorted[MAXN];
static uint32_t g_lists[MAXL][64], g_order[MAXN];
static unsigned g_len[MAXL];
static double g_boot[100000];

static void die(const char *what)
{
	fprintf(stderr, "metrics_dump: bad input at %s\n", what);
	exit(2);
}

static unsigned get_u(void)
{
	unsigned long long x;
	if (scanf("%llu", &x) != 1)
		die("unsigned");
	return (unsigned)x;
}

static uint64_t get_u64(void)
{
	unsigned long long x;
	if (scanf("%llu", &x) != 1)
		die("u64");
	return x;
}

static double get_d(void)
{
	double x;
	if (scanf("%lf", &x) != 1)
		die("double");
	return x;
}

static unsigned get_n(unsigned max)
{
	unsigned n = get_u();
	if (n > max)
		die("size");
	return n;
}

static void get_items(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		g_items[i].category = get_u();
		g_items[i].n_tags = (uint8_t)get_u();
		for (unsigned j = 0; j < LRN_ITEM_TAGS; j++)
			g_items[i].tags[j] = get_u();
	}
}

static void rank(void)
{
	unsigned n = get_n(MAXN), k = get_u(), target = get_u();
	for (unsigned i = 0; i < n; i++)
		g_a[i] = get_d();
	unsigned r = met_rank(g_a, n, target);
	printf("rank %u %.17g %.17g %.17g\n", r, met_hr(r, k), met_ndcg(r, k),
	    met_rr(r));
}

static void graded(void)
{
	unsigned n = get_n(MAXN), m = get_n(MAXN), k = get_u();
	for (unsigned i = 0; i < n; i++)
		g_a[i] = get_d();
	for (unsigned i = 0; i < m; i++)
		g_b[i] = get_d();
	printf("graded %.17g %.17g %.17g\n", met_dcg(g_a, n, k),
	    met_idcg(g_b, m, k), met_ndcg_graded(g_a, n, g_b, m, k));
}

static void ild(void)
{
	unsigned n = get_n(MAXN);
	struct met_sim s;
	s.w_cat = get_d();
	s.w_tag = get_d();
	get_items(n);
	printf("ild %.17g\n", met_ild(&s, g_items, n));
}

static void expo(void)
{
	unsigned N = get_n(MAXN), L = get_n(MAXL);
	struct met_exposure x;
	struct met_pop p;
	double norm;

	for (unsigned i = 0; i < N; i++)
		g_pop[i] = get_u64();
	for (unsigned l = 0; l < L; l++) {
		g_len[l] = get_n(64);
		for (unsigned i = 0; i < g_len[l]; i++)
			g_lists[l][i] = get_u();
	}
	if (met_exposure_init(&x, g_counts, N) != 0 ||
	    met_pop_init(&p, g_pop, N) != 0)
		die("expo init");
	for (unsigned l = 0; l < L; l++)
		if (met_exposure_add(&x, g_lists[l], g_len[l]) != 0)
			die("expo list");
	double h = met_entropy(g_counts, N, &norm);
	printf("expo %.17g %.17g %.17g %.17g %.17g", met_coverage(g_counts, N),
	    met_gini(g_counts, N, g_sorted), h, norm,
	    met_novelty(&p, g_counts));
	for (unsigned l = 0; l < L; l++)
		printf(" %.17g", met_novelty_list(&p, g_lists[l], g_len[l]));
	printf("\n");
}

static void boot(void)
{
	unsigned n = get_n(MAXN);
	struct met_boot_params prm;
	struct met_boot_ci ci;
	struct rng r;

	prm.resamples = get_n(sizeof g_boot / sizeof g_boot[0]);
	prm.level = get_d();
	rng_seed(&r, get_u64());
	for (unsigned i = 0; i < n; i++)
		g_a[i] = get_d();
	for (unsigned i = 0; i < n; i++)
		g_b[i] = get_d();
	if (met_bootstrap_diff(g_a, g_b, n, &prm, &r, g_boot, &ci) != 0)
		die("boot");
	printf("boot %.17g %.17g %.17g %.17g\n", ci.diff, ci.lo, ci.hi,
	    ci.p_le0);
}

static void mmr(void)
{
	unsigned n = get_n(MAXN), k = get_u();
	double lambda = get_d();
	struct met_sim s;
	s.w_cat = get_d();
	s.w_tag = get_d();
	for (unsigned i = 0; i < n; i++)
		g_a[i] = get_d();
	get_items(n);
	int m =
	    met_mmr(g_a, g_items, n, k, lambda, &s, g_scratch, g_order, NULL);
	if (m < 0)
		die("mmr");
	printf("mmr");
	for (int i = 0; i < m; i++)
		printf(" %u", g_order[i]);
	printf("\n");
}

int main(void)
{
	char cmd[16];

	while (scanf("%15s", cmd) == 1) {
		if (strcmp(cmd, "rank") == 0)
			rank();
		else if (strcmp(cmd, "graded") == 0)
			graded();
		else if (strcmp(cmd, "ild") == 0)
			ild();
		else if (strcmp(cmd, "expo") == 0)
			expo();
		else if (strcmp(cmd, "boot") == 0)
			boot();
		else if (strcmp(cmd, "mmr") == 0)
			mmr();
		else
			die(cmd);
	}
	return 0;
}
