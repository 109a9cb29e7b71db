/*
 * stats mSPRT under continuous monitoring: looking after every batch, the
 * always-valid p-value rejects a true null in at most alpha of the runs
 * (a fixed-horizon z test looked at the same way does far more often), its
 * interval keeps the true effect in at least 1 - alpha of the runs, and a
 * real effect is still found.
 */
#include <math.h>

#include "check.h"
#include "engine/rng.h"
#include "engine/stats.h"

#define RUNS 1000
#define LOOKS 50
#define BATCH 40 /* observations per arm between looks */
#define ALPHA 0.05

struct outcome {
	int msprt_reject; /* always-valid p <= alpha at some look */
	int naive_reject; /* |z| > z_{alpha/2} at some look */
	int covered;	  /* effect inside the final interval */
};

static struct outcome run(struct rng *r, double effect, double tau2)
{
	struct stat_moments c, t;
	struct stat_msprt m;
	struct outcome o = { 0, 0, 0 };
	double z = -stat_norm_ppf(ALPHA / 2);

	stat_moments_init(&c);
	stat_moments_init(&t);
	REQUIRE(stat_msprt_init(&m, tau2, ALPHA) == 0);
	for (int k = 0; k < LOOKS; k++) {
		for (int i = 0; i < BATCH; i++) {
			stat_moments_add(&c, rng_normal(r));
			stat_moments_add(&t, effect + rng_normal(r));
		}
		double vc = stat_moments_var(&c), vt = stat_moments_var(&t);
		REQUIRE(stat_msprt_update_means(&m, c.mean, vc, c.n, t.mean, vt,
			    t.n) == 0);
		double d = t.mean - c.mean;
		if (fabs(d) > z * sqrt(vc / c.n + vt / t.n))
			o.naive_reject = 1;
	}
	o.msprt_reject = m.p <= ALPHA;
	o.covered = m.lo <= effect && effect <= m.hi;
	/* The p-value and the interval agree about 0. */
	CHECK((m.p <= ALPHA) == (m.lo > 0.0 || m.hi < 0.0) ||
	    fabs(m.p - ALPHA) < 1e-12);
	return o;
}

int main(void)
{
	struct rng r;
	/* Narrowest interval at the last look: s2 = 2 / (LOOKS * BATCH). */
	double tau2 = stat_msprt_tau2(2.0 / (LOOKS * BATCH), ALPHA);
	int msprt = 0, naive = 0, covered = 0, power = 0, covered1 = 0;

	rng_seed(&r, 20261130);
	for (int i = 0; i < RUNS; i++) {
		struct outcome o = run(&r, 0.0, tau2);
		msprt += o.msprt_reject;
		naive += o.naive_reject;
		covered += o.covered;
	}
	for (int i = 0; i < RUNS / 4; i++) {
		struct outcome o = run(&r, 0.2, tau2);
		power += o.msprt_reject;
		covered1 += o.covered;
	}
	printf("null: mSPRT rejects %d/%d, peeking z test %d/%d; "
	       "covered %d/%d; effect 0.2: found %d/%d, covered %d/%d\n",
	    msprt, RUNS, naive, RUNS, covered, RUNS, power, RUNS / 4, covered1,
	    RUNS / 4);
	CHECK(msprt <= ALPHA * RUNS);
	CHECK(naive >= 3 * ALPHA * RUNS);
	CHECK(covered >= (1.0 - ALPHA) * RUNS);
	CHECK(covered1 >= (1.0 - ALPHA) * RUNS / 4);
	CHECK(power >= 0.95 * RUNS / 4);
	return check_done("stats_msprt");
}
