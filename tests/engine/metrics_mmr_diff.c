/*
 * metrics_mmr_diff: met_mmr, met_mmr_mean and met_mmr_dcg of an older
 * engine/metrics.c (its symbols renamed old_met_*) against the current one
 * over random rounds: ties, near-ties, +-0, huge and non-finite scores,
 * invalid lambda, mean and weights, weights near DBL_MAX, n up to 400, k
 * from 0 to MET_K_ALL, sorted and unsorted pools, repeated descriptors and
 * NULL items. Returns, orders, why records and the untouched tails of both
 * output buffers must agree bit for bit. The one allowed difference: the
 * current met_mmr_mean returns -ERANGE where the old one made a pick at
 * -inf (no candidate won); there the picks before it agree and the current
 * one leaves the rest of both buffers untouched. Not a meson test (it needs
 * the old source); built by hand, e.g. against main at 237e977:
 *   git show 237e977:engine/metrics.c > /tmp/old_metrics.c
 *   F="-I. -Iinclude -std=gnu11 -O3 -D_GNU_SOURCE -DNDEBUG"
 *   cc $F -c /tmp/old_metrics.c -o /tmp/old.o
 *   nm /tmp/old.o | awk '$2=="T"{print $3" old_"$3}' > /tmp/syms
 *   objcopy --redefine-syms=/tmp/syms /tmp/old.o /tmp/old_r.o
 *   cc $F tests/engine/metrics_mmr_diff.c engine/metrics.c /tmp/old_r.o \
 *       -lm -o /tmp/mmr_diff && /tmp/mmr_diff 1000000 11
 * Without -DNDEBUG (asserts on) the weights near DBL_MAX are left out: the
 * old code stops on an assertion there.
 *   mmr_diff [rounds [seed]]   (DIFF_FIRST=1: stop at the first mismatch)
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/metrics.h"

int old_met_mmr(const double *rel, const struct lrn_item *items, unsigned n,
    unsigned k, double lambda, const struct met_sim *s,
    struct met_mmr_slot *scratch, uint32_t *order, struct met_mmr_why *why);
int old_met_mmr_mean(const double *rel, const struct lrn_item *const *items,
    unsigned n, unsigned k, double lambda, double mean, const struct met_sim *s,
    struct met_mmr_slot *scratch, uint32_t *order, struct met_mmr_why *why);
int old_met_mmr_dcg(const double *rel, const struct lrn_item *const *items,
    unsigned n, unsigned k, double lambda, const struct met_sim *s,
    struct met_mmr_slot *scratch, uint32_t *order, struct met_mmr_why *why);

#define NMAX 400
#define PAD 8

static struct rng g_r;
static struct lrn_item g_desc[NMAX], g_it[NMAX];
static const struct lrn_item *g_ptr[NMAX];
static double g_rel[NMAX], g_rel0[NMAX];
static struct met_mmr_slot g_s1[NMAX], g_s2[NMAX];
static uint32_t g_o1[NMAX + PAD], g_o2[NMAX + PAD], g_o3[NMAX + PAD];
static struct met_mmr_why g_w1[NMAX + PAD], g_w2[NMAX + PAD], g_w3[NMAX + PAD];

static unsigned below(unsigned n)
{
	return (unsigned)rng_below(&g_r, n);
}

static double lambda_of(void)
{
	const double v[] = { 0.0, 1.0, 0.5, 0.7, 0.75, 0.3, -0.0,
		0x1.fffffffffffffp-1, 1e-300, 4.9e-324, 0.1 };
	unsigned x = below(20);
	if (x < 11)
		return v[x];
	if (x < 18)
		return rng_uniform(&g_r);
	const double bad[] = { NAN, -0.1, 1.0000000000000002, INFINITY };
	return bad[below(4)];
}

static double mean_of(void)
{
	const double v[] = { 0.0, 1.0, 0.5, -0.0, 0.25, 4.9e-324,
		0x1.fffffffffffffp-1 };
	unsigned x = below(20);
	if (x < 12)
		return v[below(7)];
	if (x < 19)
		return rng_uniform(&g_r);
	const double bad[] = { NAN, -1e-300, 1.5, -INFINITY };
	return bad[below(4)];
}

static void sim_of(struct met_sim *s, int huge)
{
	unsigned x = below(24);
	s->w_cat = 0.5;
	s->w_tag = 0.5;
	if (x < 6)
		return;
	if (x < 12) {
		s->w_cat = rng_uniform(&g_r);
		s->w_tag = rng_uniform(&g_r);
	} else if (x < 15) {
		const double v[] = { 0.0, -0.0, 1.0, 1e-300, 4.9e-324, 3.0,
			1e300, 0.1 };
		s->w_cat = v[below(8)];
		s->w_tag = v[below(8)];
	} else if (x < 21 && huge) {
		/* sums of sims near DBL_MAX: finite weights, finite sum */
		const double v[] = { DBL_MAX / 2, DBL_MAX / 3, DBL_MAX * 0.6,
			DBL_MAX * 0.4, DBL_MAX, 0.0, DBL_MAX / 64, 1e307 };
		s->w_cat = v[below(8)];
		s->w_tag = v[below(8)];
	} else if (x < 23) {
		const double v[] = { NAN, INFINITY, -1.0, -4.9e-324,
			huge ? DBL_MAX : -2.0, 0.5 };
		s->w_cat = v[below(6)];
		s->w_tag = v[below(6)];
	}
}

/* Descriptors: a few kinds so classes repeat, zeros, repeats, over-long
 * tag lists, and Bloom collisions from wide ids. */
static void items_of(unsigned n)
{
	unsigned kinds = 1 + below(below(3) ? 12 : 400);
	unsigned ncat = below(6), ntag = 1 + below(below(4) ? 12 : 3000);
	for (unsigned i = 0; i < kinds && i < NMAX; i++) {
		struct lrn_item *d = &g_desc[i];
		memset(d, 0, sizeof(*d));
		d->category = ncat ? below(ncat + 1) : 0;
		d->n_tags = (uint8_t)below(below(8) ? 5 : LRN_ITEM_TAGS + 4);
		for (unsigned j = 0; j < LRN_ITEM_TAGS; j++)
			d->tags[j] = below(6) ? below(ntag + 1) : 0;
		if (below(10) == 0)
			d->tags[0] = 0xffffffffu - below(4);
	}
	unsigned k2 = kinds < NMAX ? kinds : NMAX;
	for (unsigned i = 0; i < n; i++) {
		g_it[i] = g_desc[below(k2)];
		if (below(20) == 0 && g_it[i].n_tags > 1) {
			/* same set, another order */
			uint32_t t = g_it[i].tags[0];
			g_it[i].tags[0] = g_it[i].tags[1];
			g_it[i].tags[1] = t;
		}
		g_ptr[i] = below(25) ? &g_it[i] : NULL;
	}
}

static void rel_of(unsigned n)
{
	unsigned mode = below(10);
	double base = below(4) ? 0.0 : (below(2) ? 1e15 : -3.0);
	for (unsigned i = 0; i < n; i++) {
		double x;
		switch (mode) {
		case 0: /* ties */ x = (double)below(3); break;
		case 1: /* near-ties */
			x = nextafter(1.0, below(2) ? 2.0 : 0.0);
			if (below(3) == 0)
				x = 1.0;
			break;
		case 2: /* signed zeros */
			x = below(2) ? 0.0 : -0.0;
			if (below(8) == 0)
				x = 4.9e-324;
			break;
		case 3: x = (double)below(1000) / 1000.0; break;
		case 4: { /* huge */
			const double v[] = { DBL_MAX, -DBL_MAX, DBL_MAX / 2,
				0.0, 1.0, DBL_MAX / 4 };
			x = v[below(6)];
			break;
		}
		default: x = rng_uniform(&g_r);
		}
		g_rel[i] = base + x;
	}
	if (n && below(30) == 0) { /* not finite */
		const double v[] = { NAN, INFINITY, -INFINITY, -NAN };
		g_rel[below(n)] = v[below(4)];
	}
	if (below(2)) { /* the usual case: sorted descending */
		for (unsigned i = 1; i < n; i++)
			for (unsigned j = i;
			     j > 0 && !(g_rel[j - 1] >= g_rel[j]); j--) {
				double t = g_rel[j];
				g_rel[j] = g_rel[j - 1];
				g_rel[j - 1] = t;
			}
	}
}

static int g_v;

static int call(int old, unsigned n, unsigned k, double lambda, double mean,
    const struct met_sim *s, uint32_t *o, struct met_mmr_why *w)
{
	struct met_mmr_slot *sc = old ? g_s1 : g_s2;
	switch (g_v) {
	case 0:
		return (old ? old_met_mmr : met_mmr)(g_rel, g_it, n, k, lambda,
		    s, sc, o, w);
	case 1:
		return (old ? old_met_mmr_mean : met_mmr_mean)(g_rel, g_ptr, n,
		    k, lambda, mean, s, sc, o, w);
	default:
		return (old ? old_met_mmr_dcg : met_mmr_dcg)(g_rel, g_ptr, n, k,
		    lambda, s, sc, o, w);
	}
}

static unsigned long g_ret[8], g_erange_new;

int main(int argc, char **argv)
{
	unsigned long rounds = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
	unsigned long seed = argc > 2 ? strtoul(argv[2], NULL, 10) : 1;
#ifdef NDEBUG
	int huge = 1;
#else
	int huge = 0; /* the old code asserts there */
#endif
	unsigned long bad = 0, picks = 0, withwhy = 0, byv[3] = { 0 };
	rng_seed(&g_r, seed);
	for (unsigned long rd = 0; rd < rounds; rd++) {
		unsigned n = below(4) ? below(40) : below(NMAX + 1);
		unsigned k;
		unsigned kx = below(10);
		if (kx == 0)
			k = 0;
		else if (kx == 1)
			k = below(2) ? MET_K_ALL : n + below(5);
		else if (kx < 6)
			k = below(21);
		else
			k = below(n + 1);
		double lambda = lambda_of(), mean = mean_of();
		struct met_sim s;
		sim_of(&s, huge);
		items_of(n);
		rel_of(n);
		memcpy(g_rel0, g_rel, n * sizeof(double));
		g_v = (int)below(3);
		byv[g_v]++;
		int use_why = below(4) != 0;
		withwhy += use_why;
		memset(g_o1, 0xA5, sizeof g_o1);
		memset(g_o2, 0xA5, sizeof g_o2);
		memset(g_w1, 0x5A, sizeof g_w1);
		memset(g_w2, 0x5A, sizeof g_w2);
		int r1 = call(1, n, k, lambda, mean, &s, g_o1,
		    use_why ? g_w1 : NULL);
		int r2 = call(0, n, k, lambda, mean, &s, g_o2,
		    use_why ? g_w2 : NULL);
		int ok = 1;
		if (memcmp(g_rel, g_rel0, n * sizeof(double)) != 0)
			ok = 0;
		g_ret[r2 >= 0 ? (r2 > 0 ? 0 : 1) : (r2 == -EINVAL ? 2 : 3)]++;
		if (r1 == r2) {
			ok &= memcmp(g_o1, g_o2, sizeof g_o1) == 0 &&
			    memcmp(g_w1, g_w2, sizeof g_w1) == 0;
			if (r2 > 0)
				picks += (unsigned)r2;
		} else if (r2 == -ERANGE && r1 > 0 && g_v == 1) {
			/* The new case: a pick with no finite score. The old
			 * run's first pick at -inf (rerun with why if need
			 * be) is where the new one stops. */
			g_erange_new++;
			struct met_mmr_why *w = g_w1;
			if (!use_why) {
				memset(g_o3, 0xA5, sizeof g_o3);
				int r3 =
				    call(1, n, k, lambda, mean, &s, g_o3, g_w3);
				ok &= r3 == r1 &&
				    memcmp(g_o3, g_o1, sizeof g_o1) == 0;
				w = g_w3;
			}
			unsigned t0 = 0;
			while (t0 < (unsigned)r1 && w[t0].score != -INFINITY)
				t0++;
			ok &= t0 < (unsigned)r1;
			ok &= memcmp(g_o1, g_o2, t0 * sizeof(*g_o1)) == 0;
			for (unsigned i = t0; i < NMAX + PAD; i++)
				ok &= g_o2[i] == 0xA5A5A5A5u;
			if (use_why) {
				ok &=
				    memcmp(g_w1, g_w2, t0 * sizeof(*g_w1)) == 0;
				unsigned char pat[sizeof(*g_w2)];
				memset(pat, 0x5A, sizeof pat);
				for (unsigned i = t0; i < NMAX + PAD; i++)
					ok &= memcmp(&g_w2[i], pat,
						  sizeof pat) == 0;
			}
		} else {
			ok = 0;
		}
		if (!ok) {
			if (bad++ < 5)
				fprintf(stderr,
				    "round %lu: v=%d n=%u k=%u lambda=%a mean=%a "
				    "w=%a,%a why=%d old=%d new=%d\n",
				    rd, g_v, n, k, lambda, mean, s.w_cat,
				    s.w_tag, use_why, r1, r2);
			if (getenv("DIFF_FIRST"))
				break;
		}
	}
	printf("rounds %lu (mmr %lu, mean %lu, dcg %lu; why %lu), picks %lu, "
	       "returns >0 %lu, 0 %lu, -EINVAL %lu, -ERANGE %lu (new only "
	       "%lu), mismatches %lu\n",
	    rounds, byv[0], byv[1], byv[2], withwhy, picks, g_ret[0], g_ret[1],
	    g_ret[2], g_ret[3], g_erange_new, bad);
	return bad != 0;
}
