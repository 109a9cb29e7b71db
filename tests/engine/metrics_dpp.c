/*
 * metrics DPP: met_dpp against the determinants computed from scratch. On
 * random candidate sets every pick has the largest gain q_i^2 det(S over
 * the window's picks and i) / det(S over the window's picks), each
 * determinant from a fresh Cholesky factorization of the kernel written
 * out with met_item_sim, with and without a sliding window; then
 * hand-built cases with their exact picks, theta = 1 as the relevance
 * order, and the arguments met_dpp refuses.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "check.h"
#include "engine/metrics.h"

#define NMAX 160
#define KMAX 24

static const struct lrn_item *g_ptr[NMAX];
static unsigned char g_buf[1u << 20] __attribute__((aligned(8)));

static double kern(const struct met_sim *s, const struct lrn_item *const *it,
    unsigned a, unsigned b)
{
	static const struct lrn_item none;
	if (a == b)
		return s->w_cat + s->w_tag + MET_DPP_RIDGE;
	return met_item_sim(s, it[a] ? it[a] : &none, it[b] ? it[b] : &none);
}

/* log det of the kernel over idx[0..m) (Cholesky from scratch). */
static double logdet(const struct met_sim *s, const struct lrn_item *const *it,
    const uint32_t *idx, unsigned m)
{
	static double a[KMAX + 1][KMAX + 1];
	double ld = 0.0;
	for (unsigned i = 0; i < m; i++)
		for (unsigned j = 0; j < m; j++)
			a[i][j] = kern(s, it, idx[i], idx[j]);
	for (unsigned j = 0; j < m; j++) {
		double d = a[j][j];
		for (unsigned x = 0; x < j; x++)
			d -= a[j][x] * a[j][x];
		if (!(d > 0.0))
			return -INFINITY;
		a[j][j] = sqrt(d);
		ld += log(d);
		for (unsigned i = j + 1; i < m; i++) {
			double v = a[i][j];
			for (unsigned x = 0; x < j; x++)
				v -= a[i][x] * a[j][x];
			a[i][j] = v / a[j][j];
		}
	}
	return ld;
}

/* log of candidate i's gain after the picks win[0..m). */
static double log_gain(const struct met_sim *s,
    const struct lrn_item *const *it, const double *rel, double lo, double div,
    double theta, const uint32_t *win, unsigned m, uint32_t i)
{
	uint32_t idx[KMAX + 1];
	memcpy(idx, win, m * sizeof idx[0]);
	idx[m] = i;
	return theta / (1.0 - theta) * ((rel[i] - lo) / div - 1.0) +
	    logdet(s, it, idx, m + 1) - logdet(s, it, idx, m);
}

/* Every pick of got[0..k) has the best gain against the last `window`
 * picks before it, up to rounding. Returns the number of bad picks. */
static int check_greedy(const struct met_sim *s,
    const struct lrn_item *const *it, const double *rel, unsigned n, unsigned k,
    double theta, unsigned window, const uint32_t *got)
{
	double lo = rel[0], hi = rel[0];
	bool taken[NMAX] = { false };
	int bad = 0;
	for (unsigned i = 1; i < n; i++) {
		lo = rel[i] < lo ? rel[i] : lo;
		hi = rel[i] > hi ? rel[i] : hi;
	}
	double div = hi > lo ? hi - lo : 1.0;
	for (unsigned t = 0; t < k; t++) {
		unsigned m = t < window ? t : window;
		const uint32_t *win = got + t - m;
		double g = log_gain(s, it, rel, lo, div, theta, win, m, got[t]);
		if (got[t] >= n || taken[got[t]]) {
			bad++;
			break;
		}
		for (unsigned i = 0; i < n; i++) {
			if (taken[i] || i == got[t])
				continue;
			double gi =
			    log_gain(s, it, rel, lo, div, theta, win, m, i);
			if (gi > g + 1e-9) {
				fprintf(stderr,
				    "pick %u: %u (log gain %.12g) but %u has "
				    "%.12g\n",
				    t, got[t], g, i, gi);
				bad++;
				break;
			}
		}
		taken[got[t]] = true;
	}
	return bad;
}

static void random_cases(void)
{
	static struct lrn_item it[NMAX];
	static double rel[NMAX];
	uint32_t got[NMAX];
	const double thetas[] = { 0.0, 0.3, 0.6, 0.8, 0.9, 0.97 };
	struct met_sim s;
	struct rng r;
	int cases = 0, bad = 0;

	met_sim_default(&s);
	rng_seed(&r, 77);
	for (int round = 0; round < 40; round++) {
		unsigned n = 1 + (unsigned)rng_below(&r, NMAX);
		unsigned k = (unsigned)rng_below(&r, KMAX + 1);
		unsigned kk = k < n ? k : n;
		memset(it, 0, sizeof it);
		for (unsigned i = 0; i < n; i++) {
			it[i].category = (uint32_t)rng_below(&r, 5);
			it[i].n_tags =
			    (uint8_t)rng_below(&r, LRN_ITEM_TAGS + 1);
			for (unsigned j = 0; j < it[i].n_tags; j++)
				it[i].tags[j] = (uint32_t)rng_below(&r, 10);
			rel[i] = round % 3 == 0 ? (double)rng_below(&r, 4)
						: 3.0 * rng_normal(&r);
			/* A few without descriptors at all. */
			g_ptr[i] = rng_below(&r, 10) == 0 ? NULL : &it[i];
		}
		if (round == 5)
			s = (struct met_sim){ 0.8, 0.2 };
		if (round == 6)
			met_sim_default(&s);
		for (unsigned ti = 0; ti < 6; ti++) {
			const unsigned windows[] = { KMAX, 1, 3, 7 };
			for (unsigned wi = 0; wi < 4; wi++) {
				unsigned w = windows[wi];
				int m = met_dpp(rel, g_ptr, n, k, thetas[ti], w,
				    &s, g_buf, sizeof g_buf, got);
				cases++;
				CHECK_EQ_INT(m, kk);
				if (m != (int)kk)
					continue;
				int b = check_greedy(&s, g_ptr, rel, n, kk,
				    thetas[ti], w, got);
				if (b)
					fprintf(stderr,
					    "round %d n %u k %u theta %g "
					    "window %u\n",
					    round, n, kk, thetas[ti], w);
				bad += b;
			}
		}
	}
	CHECK_EQ_INT(bad, 0);
	CHECK(cases == 40 * 24);
}

static struct lrn_item mk(uint32_t cat, unsigned nt, uint32_t t0, uint32_t t1,
    uint32_t t2)
{
	struct lrn_item it;
	memset(&it, 0, sizeof it);
	it.category = cat;
	it.n_tags = (uint8_t)nt;
	it.tags[0] = t0;
	it.tags[1] = t1;
	it.tags[2] = t2;
	return it;
}

static int run(const double *rel, const struct lrn_item *it, unsigned n,
    unsigned k, double theta, unsigned window, uint32_t *got)
{
	struct met_sim s;
	met_sim_default(&s);
	for (unsigned i = 0; i < n; i++)
		g_ptr[i] = &it[i];
	return met_dpp(rel, g_ptr, n, k, theta, window, &s, g_buf, sizeof g_buf,
	    got);
}

static void check_order(const uint32_t *got, const uint32_t *want, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (got[i] != want[i]) {
			fprintf(stderr, "pick %u: got %u, want %u\n", i, got[i],
			    want[i]);
			CHECK(0);
		}
}

/*
 * Five items (sims: 0-1 0.625, 0-3 0.125, 0-4 1/6, 1-3 0.5, 1-4 1/3,
 * 2-3 0.5, 2-4 0.5, 3-4 5/6, the rest 0), relevance 1.0 .. 0.6, theta
 * 0.5: q^2 = exp(rn - 1). Gains (q^2 d^2) of the last two after 0, 2, 1:
 * 3 0.209, 4 0.234: item 3 is far from 0 and 2 but its similarity to 1
 * counts double, 1 being correlated with 0; a max or a mean of the sims
 * (MMR, any lambda) and an update that leaves out the picks' own
 * correlation (c_j . c_p) take 3. With a window of 1 or 2 the gains are
 * against the last picks only: 3 then.
 */
static void hand_cases(void)
{
	struct lrn_item it[5] = { mk(2, 2, 4, 1, 0), mk(2, 3, 3, 5, 1),
		mk(1, 1, 2, 0, 0), mk(1, 3, 5, 3, 1), mk(1, 2, 5, 1, 0) };
	const double rel[5] = { 1.0, 0.9, 0.8, 0.7, 0.6 };
	uint32_t got[8];
	static const uint32_t full[5] = { 0, 2, 1, 4, 3 };
	static const uint32_t last2[5] = { 0, 2, 1, 3, 4 };
	static const uint32_t byrel[5] = { 0, 1, 2, 3, 4 };
	static const uint32_t div[5] = { 0, 2, 3, 1, 4 };

	CHECK_EQ_INT(run(rel, it, 5, 5, 0.5, 16, got), 5);
	check_order(got, full, 5);
	CHECK_EQ_INT(run(rel, it, 5, 5, 0.5, 5, got), 5);
	check_order(got, full, 5);
	CHECK_EQ_INT(run(rel, it, 5, 5, 0.5, 3, got), 5);
	check_order(got, full, 5);
	CHECK_EQ_INT(run(rel, it, 5, 5, 0.5, 2, got), 5);
	check_order(got, last2, 5);
	CHECK_EQ_INT(run(rel, it, 5, 5, 0.5, 1, got), 5);
	check_order(got, last2, 5);
	/* k below n: the first picks of the full order. */
	CHECK_EQ_INT(run(rel, it, 5, 3, 0.5, 16, got), 3);
	check_order(got, full, 3);
	/* Relevance first; volume alone (q = 1: the first pick by the tie
	 * rule, then 2 (orthogonal to 0), 3, 1). */
	CHECK_EQ_INT(run(rel, it, 5, 5, 0.7, 16, got), 5);
	check_order(got, byrel, 5);
	CHECK_EQ_INT(run(rel, it, 5, 5, 1.0, 16, got), 5);
	check_order(got, byrel, 5);
	CHECK_EQ_INT(run(rel, it, 5, 5, 0.0, 16, got), 5);
	check_order(got, div, 4);

	/* Input order does not matter: the same items reversed. */
	struct lrn_item rit[5];
	double rrel[5];
	for (unsigned i = 0; i < 5; i++) {
		rit[i] = it[4 - i];
		rrel[i] = rel[4 - i];
	}
	CHECK_EQ_INT(run(rrel, rit, 5, 5, 0.5, 16, got), 5);
	for (unsigned i = 0; i < 5; i++)
		CHECK_EQ_INT(got[i], 4 - full[i]);

	/*
	 * Sims 0-1 0.25, 0-2 0.5, 0-4 0.5, 1-3 2/3, 1-4 1/6, 2-3 0.25, 2-4
	 * 0.5, 3-4 1/6, 0-3 and 1-2 0. After 0, 1, 2 the gains are 3 0.175,
	 * 4 0.243 (4 0.275 and 3 0.248 after 0, 1): 3 is close to 1 only,
	 * but 4's similarity to 0 and to 2 is one similarity, 0 and 2 being
	 * alike. Leaving the picks' correlation (c_j . c_p) out of the update
	 * puts 3 first; MMR's max or mean takes 3 too; so does a window of 1
	 * (against 2 alone). Volume alone: 0, then 3, 4, 2, 1.
	 */
	struct lrn_item b[5] = { mk(1, 1, 3, 0, 0), mk(2, 2, 3, 4, 0),
		mk(1, 1, 2, 0, 0), mk(2, 2, 2, 4, 0), mk(1, 2, 1, 4, 0) };
	static const uint32_t bfull[5] = { 0, 1, 2, 4, 3 };
	static const uint32_t bdiv[5] = { 0, 3, 4, 2, 1 };
	CHECK_EQ_INT(run(rel, b, 5, 5, 0.5, 16, got), 5);
	check_order(got, bfull, 5);
	CHECK_EQ_INT(run(rel, b, 5, 5, 0.5, 2, got), 5);
	check_order(got, bfull, 5);
	CHECK_EQ_INT(run(rel, b, 5, 5, 0.5, 1, got), 5);
	check_order(got, byrel, 5);
	CHECK_EQ_INT(run(rel, b, 5, 5, 0.0, 16, got), 5);
	check_order(got, bdiv, 5);

	/*
	 * The kernel: a near-duplicate of the first pick (d^2 = the ridge's
	 * 2e-6) yields to anything else; an item without descriptors is
	 * similar to nothing and has S_pp = 1 like any other (were it its
	 * own similarity, 0, it would come last).
	 */
	struct lrn_item dup[3] = { mk(1, 1, 7, 0, 0), mk(1, 1, 7, 0, 0),
		mk(0, 0, 0, 0, 0) };
	const double drel[3] = { 1.0, 0.9, 0.5 };
	static const uint32_t dwant[3] = { 0, 2, 1 };
	CHECK_EQ_INT(run(drel, dup, 3, 3, 0.5, 16, got), 3);
	check_order(got, dwant, 3);
	g_ptr[2] = NULL; /* a NULL item reads as no descriptors */
	struct met_sim s;
	met_sim_default(&s);
	CHECK_EQ_INT(met_dpp(drel, g_ptr, 3, 3, 0.5, 16, &s, g_buf,
			 sizeof g_buf, got),
	    3);
	check_order(got, dwant, 3);
	/* theta near 1: the duplicate's relevance wins (q^2 of the last
	 * underflows to 0: relevance order, the limit). */
	CHECK_EQ_INT(run(drel, dup, 3, 3, 0.999, 16, got), 3);
	check_order(got, byrel, 3);

	/*
	 * Weights so large that the ridge rounds away: two exact duplicates
	 * leave d^2 = 0 after the first, below MET_DPP_TOL, so they are
	 * passed by while a different item is left, then follow by
	 * relevance.
	 */
	struct lrn_item sp[4] = { mk(1, 0, 0, 0, 0), mk(1, 0, 0, 0, 0),
		mk(1, 0, 0, 0, 0), mk(2, 0, 0, 0, 0) };
	const double srel[4] = { 4.0, 3.0, 2.0, 1.0 };
	static const uint32_t swant[4] = { 0, 3, 1, 2 };
	s = (struct met_sim){ 1e12, 0.0 };
	for (unsigned i = 0; i < 4; i++)
		g_ptr[i] = &sp[i];
	CHECK_EQ_INT(met_dpp(srel, g_ptr, 4, 4, 0.5, 16, &s, g_buf,
			 sizeof g_buf, got),
	    4);
	check_order(got, swant, 4);

	/* Equal relevance: volume alone, ties by lower index. */
	const double flat[5] = { 2.0, 2.0, 2.0, 2.0, 2.0 };
	CHECK_EQ_INT(run(flat, it, 5, 5, 0.9, 16, got), 5);
	check_order(got, div, 4);
	CHECK_EQ_INT(run(flat, it, 5, 5, 1.0, 16, got), 5);
	check_order(got, byrel, 5);
}

static void errors(void)
{
	struct lrn_item it[2] = { mk(1, 1, 1, 0, 0), mk(2, 1, 2, 0, 0) };
	double rel[2] = { 1.0, 0.5 };
	uint32_t got[2];
	struct met_sim s;

	met_sim_default(&s);
	g_ptr[0] = &it[0];
	g_ptr[1] = &it[1];
	const double bad_theta[] = { -0.1, 1.1, NAN, INFINITY };
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ_INT(met_dpp(rel, g_ptr, 2, 2, bad_theta[i], 4, &s,
				 g_buf, sizeof g_buf, got),
		    -EINVAL);
	CHECK_EQ_INT(met_dpp(rel, g_ptr, 2, 2, 0.5, 0, &s, g_buf, sizeof g_buf,
			 got),
	    -EINVAL);
	CHECK_EQ_INT(met_dpp(rel, g_ptr, 2, 2, 0.5, 4, NULL, g_buf,
			 sizeof g_buf, got),
	    -EINVAL);
	CHECK_EQ_INT(met_dpp(rel, g_ptr, 2, 2, 0.5, 4, &s, NULL, sizeof g_buf,
			 got),
	    -EINVAL);
	CHECK_EQ_INT(met_dpp(rel, g_ptr, MET_DPP_MAX_N + 1u, 2, 0.5, 4, &s,
			 g_buf, sizeof g_buf, got),
	    -EINVAL);
	const struct met_sim bad_s[] = { { -0.1, 0.5 }, { 0.5, -0.1 },
		{ NAN, 0.5 }, { 0.5, INFINITY }, { 1e308, 1e308 } };
	for (unsigned i = 0; i < 5; i++)
		CHECK_EQ_INT(met_dpp(rel, g_ptr, 2, 2, 0.5, 4, &bad_s[i], g_buf,
				 sizeof g_buf, got),
		    -EINVAL);
	const double bad_rel[] = { NAN, INFINITY, -INFINITY };
	for (unsigned i = 0; i < 3; i++) {
		rel[1] = bad_rel[i];
		CHECK_EQ_INT(met_dpp(rel, g_ptr, 2, 2, 0.5, 4, &s, g_buf,
				 sizeof g_buf, got),
		    -EINVAL);
	}
	rel[0] = -1.7e308;
	rel[1] = 1.7e308;
	CHECK_EQ_INT(met_dpp(rel, g_ptr, 2, 2, 0.5, 4, &s, g_buf, sizeof g_buf,
			 got),
	    -ERANGE);
	rel[0] = 1.0;
	rel[1] = 0.5;
	/* Scratch: the size for the window that is used, min(window, k). */
	size_t need = met_dpp_scratch_size(2, 2);
	CHECK(need > 0 && need < sizeof g_buf);
	CHECK(met_dpp_scratch_size(2, 1) < need);
	CHECK_EQ_INT(met_dpp_scratch_size(0, 0), 0);
	CHECK_EQ_INT(met_dpp_scratch_size(2, 3), 0);
	CHECK_EQ_INT(met_dpp_scratch_size(MET_DPP_MAX_N + 1u, 1), 0);
	CHECK_EQ_INT(met_dpp(rel, g_ptr, 2, 2, 0.5, 4, &s, g_buf, need - 1,
			 got),
	    -ENOSPC);
	CHECK_EQ_INT(met_dpp(rel, g_ptr, 2, 2, 0.5, 4, &s, g_buf, need, got),
	    2);
	CHECK_EQ_INT(met_dpp(rel, g_ptr, 2, 1, 0.5, 4, &s, g_buf,
			 met_dpp_scratch_size(2, 1), got),
	    1);
	/* Nothing to pick. */
	CHECK_EQ_INT(met_dpp(rel, g_ptr, 2, 0, 0.5, 4, &s, g_buf, 0, got), 0);
	CHECK_EQ_INT(met_dpp(rel, g_ptr, 0, 5, 0.5, 4, &s, g_buf, 0, got), 0);
	/* One candidate. */
	CHECK_EQ_INT(met_dpp(rel, g_ptr, 1, 5, 0.5, 4, &s, g_buf, sizeof g_buf,
			 got),
	    1);
	CHECK_EQ_INT(got[0], 0);
}

int main(void)
{
	hand_cases();
	errors();
	random_cases();
	if (check_failures == 0)
		printf("metrics_dpp: ok\n");
	return check_failures ? 1 : 0;
}
