/* experiments_runs: outcomes and exposures of requests made before an experiment's run started (a run before a reload restarted it, or another experiment in a reused slot) are not counted in the run, but counted as stale; an exposure counted after a reload by a ranking that chose before it stays in the run it chose in; a run's start is after the one before it, and expb_choose says when it was. */
#include <stddef.h>
#include <string.h>

#include "expdef.h"
#include "shm/experiments.h"
#include "shmtest.h"

#define T0 1767225600000LL /* 2026-01-01 */

static struct reg g_r;

static void load(const struct exp_def *d, unsigned n, int64_t now)
{
	char err[256] = "";
	REQUIRE(expb_lock(&g_r, err, sizeof(err)) == 0);
	int rc = expb_load(&g_r, d, n, now, err, sizeof(err));
	if (rc)
		fprintf(stderr, "expb_load: %s\n", err);
	REQUIRE(rc == 0);
	expb_unlock(&g_r, true);
}

/* A click (or impression) on request rid, applied at t. */
static void outcome(uint64_t rid, int64_t t, bool impression)
{
	struct evt_record e;
	memset(&e, 0, sizeof(e));
	e.type = impression ? EVT_IMPRESSION : EVT_CLICK;
	e.time_ms = t;
	e.request_id = rid;
	e.position = 1;
	expb_outcome(&g_r, 0, &e, impression, !impression, false);
}

static struct exp_view view(unsigned slot)
{
	struct exp_view v;
	REQUIRE(expb_read(&g_r, slot, &v) == 0);
	return v;
}

static uint64_t sum(const struct exp_view *v, size_t field)
{
	uint64_t n = 0;
	for (unsigned k = 0; k < v->def.n_variants; k++)
		n += *(const uint64_t *)((const char *)&v->counts[k] + field);
	return n;
}

int main(void)
{
	st_init(30);
	const char *inst = st_instance("exp-runs");
	struct reg_geometry g = st_geo(1, 1, 16, 64, 64, 32);
	st_create(&g_r, inst, &g, REG_RUNNING);
	unsigned arm, seen;
	struct exp_variant var;
	int64_t run = 0;

	/* Run 1: requests of both arms, then a reload that swaps the
	 * strategies (a changed definition: a new run from zero). */
	struct exp_def a = exptest_def("swap", 1, 2);
	load(&a, 1, T0);
	CHECK_EQ_INT(expb_choose(&g_r, 42, T0 + 5, -1, true, &arm, &seen, &var,
			 &run),
	    0);
	CHECK_EQ_INT(run, T0);
	uint64_t old[2] = { evt_request_make_arm(T0 + 5, 1, 1, 1),
		evt_request_make_arm(T0 + 5, 2, 2, 2) };
	struct exp_def b = exptest_def("swap", 2, 1);
	load(&b, 1, T0 + 1000);
	struct exp_view v = view(0);
	CHECK_EQ_INT(v.loaded_ms, T0 + 1000);
	CHECK_EQ_INT(sum(&v, offsetof(struct exp_counts, exposures)), 0);
	/* Clicks and impressions on run 1's requests, after the reload:
	 * not this run's, whatever arm they carry. */
	for (unsigned i = 0; i < 10; i++) {
		outcome(old[i % 2], T0 + 2000, false);
		outcome(old[i % 2], T0 + 2000, true);
	}
	v = view(0);
	CHECK_EQ_INT(sum(&v, offsetof(struct exp_counts, clicks)), 0);
	CHECK_EQ_INT(sum(&v, offsetof(struct exp_counts, clicked)), 0);
	CHECK_EQ_INT(sum(&v, offsetof(struct exp_counts, impressions)), 0);
	CHECK_EQ_INT(v.stale, 20);

	/* A request of run 2 made in the millisecond of its start (the
	 * caller stamps it after the start): counted. */
	CHECK_EQ_INT(expb_choose(&g_r, 42, T0 + 1000, -1, true, &arm, &seen,
			 &var, &run),
	    0);
	CHECK_EQ_INT(run, T0 + 1000);
	int64_t stamp = T0 + 1000 > run ? T0 + 1000 : run + 1;
	uint64_t now2 = evt_request_make_arm(stamp, var.strategy, arm, 3);
	outcome(now2, T0 + 1500, false);
	v = view(0);
	CHECK_EQ_INT(sum(&v, offsetof(struct exp_counts, clicked)), 1);
	CHECK_EQ_INT(sum(&v, offsetof(struct exp_counts, exposures)), 1);

	/* Run 3 loaded in that same millisecond starts after run 2 did, so
	 * run 2's request is not taken for one of run 3. */
	load(&a, 1, T0 + 1000);
	v = view(0);
	CHECK_EQ_INT(v.loaded_ms, T0 + 1001);
	outcome(now2, T0 + 1500, false);
	v = view(0);
	CHECK_EQ_INT(sum(&v, offsetof(struct exp_counts, clicked)), 0);
	CHECK_EQ_INT(v.stale, 1);

	/* An exposure record of a run before counts no user; one of the
	 * run does. */
	struct lrn_profile p;
	memset(&p, 0, sizeof(p));
	struct evt_record er;
	CHECK_EQ_INT(expb_choose(&g_r, 42, T0 + 2000, -1, false, &arm, &seen,
			 &var, &run),
	    0);
	expb_expose_record(42, arm, seen, T0 + 1000, &er);
	expb_exposed(&g_r, &p, &er);
	v = view(0);
	CHECK_EQ_INT(sum(&v, offsetof(struct exp_counts, users)), 0);
	expb_expose_record(42, arm, seen, T0 + 2000, &er);
	expb_exposed(&g_r, &p, &er);
	v = view(0);
	CHECK_EQ_INT(sum(&v, offsetof(struct exp_counts, users)), 1);

	/* A ranking that read the definition just before a reload and
	 * counts its exposure after it: the exposure is the run's it chose
	 * in, not the new run's (whose arms may be other variants). */
	uint64_t chosen = expb_run(&g_r, 0);
	CHECK_EQ_INT(expb_choose(&g_r, 43, T0 + 2500, -1, false, &arm, &seen,
			 &var, &run),
	    0);
	load(&b, 1, T0 + 2600);
	CHECK(expb_run(&g_r, 0) != chosen);
	expb_expose(&g_r, arm, chosen);
	v = view(0);
	CHECK_EQ_INT(v.loaded_ms, T0 + 2600);
	CHECK_EQ_INT(sum(&v, offsetof(struct exp_counts, exposures)), 0);
	expb_expose(&g_r, arm, expb_run(&g_r, 0));
	v = view(0);
	CHECK_EQ_INT(sum(&v, offsetof(struct exp_counts, exposures)), 1);
	/* The run after starts from zero too (its buffer was the run
	 * before last's, cleared before the run began). */
	load(&a, 1, T0 + 2700);
	v = view(0);
	CHECK_EQ_INT(sum(&v, offsetof(struct exp_counts, exposures)), 0);
	CHECK_EQ_INT(v.stale, 0);
	CHECK_EQ_INT(expb_run(&g_r, EXP_MAX), 0);
	expb_expose(&g_r, 0, chosen); /* no arm: nothing */
	expb_expose(&g_r, EXP_MAX * EXP_VARIANTS + 1, chosen);

	/* A slot reused by another experiment: the requests of the one it
	 * held (same arms) do not count for the newcomer. */
	struct exp_def eight[EXP_MAX];
	char name[16];
	for (unsigned i = 0; i < EXP_MAX; i++) {
		snprintf(name, sizeof(name), "e%u", i);
		eight[i] = i ? exptest_def(name, 1, 2) : a;
	}
	load(eight, EXP_MAX, T0 + 3000);
	uint64_t last = evt_request_make_arm(T0 + 3500, 1,
	    (EXP_MAX - 1) * EXP_VARIANTS + 1, 4);
	snprintf(eight[EXP_MAX - 1].name, sizeof(eight[0].name), "newcomer");
	load(eight, EXP_MAX, T0 + 4000);
	v = view(EXP_MAX - 1);
	CHECK(!strcmp(v.def.name, "newcomer"));
	outcome(last, T0 + 4500, false);
	v = view(EXP_MAX - 1);
	CHECK_EQ_INT(sum(&v, offsetof(struct exp_counts, clicks)), 0);
	CHECK_EQ_INT(v.stale, 1);
	reg_detach(&g_r);
	reg_unlink(inst);
	return check_done("shm experiments_runs");
}
