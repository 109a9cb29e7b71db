/* experiments_locks: a definition or a look left mid-write by a dead writer makes readers give up in bounded time (never spin forever) and is made readable again by the next loader or segmenter; a restarted run's looks read as empty without the loader writing them (one writer per count). */
#include <string.h>

#include "shm/experiments.h"
#include "shm/seqlock.h"
#include "shmtest.h"

#define NOW_MS 1800000000000LL
#define DEAD_PID 4000000 /* above any pid_max: nobody */

static struct exp_def def(const char *salt, float w1)
{
	struct exp_def d;
	memset(&d, 0, sizeof(d));
	snprintf(d.name, sizeof(d.name), "test");
	snprintf(d.salt, sizeof(d.salt), "%s", salt);
	d.segment = -1;
	d.n_variants = 2;
	d.alloc = EXP_ALLOC_THOMPSON;
	for (unsigned k = 0; k < 2; k++) {
		struct exp_variant *v = &d.v[k];
		snprintf(v->name, sizeof(v->name), k ? "treatment" : "control");
		v->strategy = (uint8_t)k;
		v->weight = k ? w1 : 1.0f;
		v->epsilon = v->explore_weight = v->mmr_lambda = v->dpp_theta =
		    -1.0f;
	}
	return d;
}

static void load(const struct reg *r, const struct exp_def *d)
{
	char err[256] = "";
	REQUIRE(expb_lock(r, err, sizeof(err)) == 0);
	int rc = expb_load(r, d, 1, NOW_MS, err, sizeof(err));
	if (rc)
		fprintf(stderr, "expb_load: %s\n", err);
	REQUIRE(rc == 0);
	expb_unlock(r, true);
}

/* A user the experiment takes: any (no segment, open times). */
static int choose(const struct reg *r)
{
	unsigned arm, seen;
	struct exp_variant v;
	return expb_choose(r, 42, NOW_MS, -1, false, &arm, &seen, &v, NULL);
}

int main(void)
{
	st_init(60);
	struct reg_geometry g = st_geo(1, 1, 16, 128, 64, 32);
	const char *inst = st_instance("exp-locks");
	struct reg r;
	st_create(&r, inst, &g, REG_RUNNING);
	struct exp_block *b = reg_experiments(&r);
	struct exp_slot *sl = &b->slot[0];
	struct exp_view v;

	struct exp_def d = def("s1", 1.0f);
	load(&r, &d);
	CHECK_EQ_INT(expb_read(&r, 0, &v), 0);
	CHECK(v.active && v.generation == 1);
	CHECK_EQ_INT(choose(&r), 0);

	/* A loader killed mid-definition: readers give up (-EBUSY), the
	 * ranking goes on without the experiment; nothing spins forever. */
	seq_write_begin(&sl->seq);
	b->writer = DEAD_PID;
	int64_t t0 = st_mono_ns();
	CHECK_EQ_INT(expb_read(&r, 0, &v), -EBUSY);
	CHECK_EQ_INT(choose(&r), -1);
	CHECK(st_mono_ns() - t0 < 10000000000LL); /* bounded */
	/* The supervisor's reclaim takes the dead one's lock and evens the
	 * count: readable again, no load counted. */
	uint64_t loads = b->version;
	CHECK(expb_reclaim(&r));
	CHECK_EQ_INT(b->writer, 0);
	CHECK_EQ_INT(b->version, loads);
	CHECK_EQ_INT(expb_read(&r, 0, &v), 0);
	/* half a definition is served to nobody: stopped, its run ended
	 * with its counts and its name (a load of it starts afresh) */
	CHECK(!v.active && v.generation == 2 && !v.def.name[0]);
	CHECK(v.counts[0].exposures == 0 && v.counts[1].exposures == 0);
	CHECK_EQ_INT(choose(&r), -1);
	CHECK(!expb_reclaim(&r)); /* free: nothing to do */
	/* Or the next loader, which repairs before it writes; the test
	 * starts afresh in a slot never used before (the ended one is
	 * reused once none is left). */
	seq_write_begin(&sl->seq);
	b->writer = DEAD_PID;
	load(&r, &d);
	CHECK_EQ_INT(sl->seq.sequence & 1, 0);
	sl = &b->slot[1];
	CHECK_EQ_INT(expb_read(&r, 1, &v), 0);
	CHECK(v.active && v.generation == 1);
	CHECK_EQ_INT(choose(&r), 1);

	/* A look: of this run. */
	struct exp_run *run = &sl->runs[sl->run & 1];
	ck_pr_add_64(&run->arm[0].exposures, 100);
	ck_pr_add_64(&run->arm[1].exposures, 100);
	ck_pr_add_64(&run->arm[1].clicks, 30);
	expb_looks(&r);
	CHECK_EQ_INT(expb_read(&r, 1, &v), 0);
	CHECK(v.look.started && v.bandit);
	uint64_t gen = v.generation;
	unsigned look_count = sl->look_seq.sequence;

	/* A changed test restarts the slot: its looks read as none at
	 * once, and the loader did not write the looks' count (two
	 * writers of one count can leave it odd for good). */
	struct exp_def d2 = def("s2", 1.0f);
	load(&r, &d2);
	CHECK_EQ_INT(expb_read(&r, 1, &v), 0);
	CHECK(v.generation == gen + 1);
	CHECK(!v.look.started && !v.bandit);
	CHECK_EQ_INT(sl->look_seq.sequence, look_count);
	/* The next look is of the new run. */
	expb_looks(&r);
	CHECK_EQ_INT(expb_read(&r, 1, &v), 0);
	CHECK(v.look.started && sl->look_gen == v.generation);

	/* A segmenter killed mid-look: readers give up; the next one
	 * evens the count at its start. */
	seq_write_begin(&sl->look_seq);
	CHECK_EQ_INT(expb_read(&r, 1, &v), -EBUSY);
	unsigned arm, seen;
	struct exp_variant var;
	/* Without the looks a ranking still takes the user (an even split). */
	CHECK_EQ_INT(expb_choose(&r, 42, NOW_MS, -1, false, &arm, &seen, &var,
			 NULL),
	    1);
	expb_repair_looks(&r);
	CHECK_EQ_INT(sl->look_seq.sequence & 1, 0);
	CHECK_EQ_INT(expb_read(&r, 1, &v), 0);

	reg_detach(&r);
	reg_unlink(inst);
	return check_done("experiments_locks");
}
