/* index_moves_fork: readers in other processes never miss a present user while the worker's deletions shift index entries back across them (keys of one home, a deleted key ahead of them, round after round). */
#include <string.h>

#include "shm/profiles.h"
#include "shmtest.h"

#define PROFILES 64
#define HOME 9
#define STAY 8		      /* keys the readers look for */
#define ROUND_NS 2500000000LL /* ~2.5 s of rounds */

struct ctl {
	volatile int start;
	volatile int stop;
	/* Odd while the STAY keys are all in the index (the writer's
	 * rounds); readers count a miss only within one odd value. */
	volatile uint64_t phase;
	volatile uint64_t rounds;
	volatile uint64_t lookups[2], misses[2];
};

static const char *g_inst;
static struct ctl *g_ctl;
static uint64_t g_stay[STAY], g_lead;

/* Keys whose probe run starts at HOME: one run, every key displaced. */
static void keys(uint32_t slots)
{
	unsigned n = 0;
	for (uint64_t k = 1; n < STAY + 1; k++) {
		uint64_t key = k * 0x9E3779B97F4A7C15ull;
		if (prof_probe_start(key, slots) != HOME)
			continue;
		if (n == 0)
			g_lead = key;
		else
			g_stay[n - 1] = key;
		n++;
	}
}

static int writer(void *arg)
{
	(void)arg;
	struct reg r;
	char err[256];
	if (reg_attach(&r, g_inst, NULL, err, sizeof(err)))
		return 2;
	struct prof_ref ref;
	while (!g_ctl->start)
		;
	int64_t until = st_mono_ns() + ROUND_NS;
	uint64_t n = 0;
	while (st_mono_ns() < until) {
		/* the lead key first, the stayers after it in the run */
		if (prof_find_or_insert(&r, 0, g_lead, &ref))
			return 3;
		for (unsigned i = 0; i < STAY; i++)
			if (prof_find_or_insert(&r, 0, g_stay[i], &ref))
				return 3;
		g_ctl->phase++; /* odd: all present */
		/* the lead goes: every stayer shifts back one entry */
		for (int k = 0; k < 200; k++)
			ck_pr_stall();
		if (prof_delete(&r, 0, g_lead))
			return 4;
		for (int k = 0; k < 200; k++)
			ck_pr_stall();
		g_ctl->phase++; /* even: the stayers go too */
		for (unsigned i = 0; i < STAY; i++)
			if (prof_delete(&r, 0, g_stay[i]))
				return 4;
		g_ctl->rounds = ++n;
	}
	g_ctl->stop = 1;
	reg_detach(&r);
	return 0;
}

static int reader(void *arg)
{
	int id = (int)(intptr_t)arg;
	struct reg r;
	char err[256];
	if (reg_attach(&r, g_inst, NULL, err, sizeof(err)))
		return 2;
	while (!g_ctl->start)
		;
	uint64_t lookups = 0, misses = 0;
	struct lrn_profile p;
	for (unsigned i = 0; !g_ctl->stop; i = (i + 1) % STAY) {
		uint64_t before = g_ctl->phase;
		if (!(before & 1))
			continue;
		int rc = prof_read_part(&r, g_stay[i], &p,
		    offsetof(struct lrn_profile, first_ms));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (g_ctl->phase != before)
			continue; /* the round moved on: no answer expected */
		lookups++;
		misses += rc == -ENOENT;
	}
	g_ctl->lookups[id] = lookups;
	g_ctl->misses[id] = misses;
	reg_detach(&r);
	return 0;
}

int main(void)
{
	st_init(60);
	g_inst = st_instance("idxmoves");
	g_ctl = st_shared(sizeof(*g_ctl));
	struct reg_geometry g = st_geo(1, 1, 16, PROFILES, 8, 8);
	struct reg r;
	st_create(&r, g_inst, &g, REG_RUNNING);
	keys(g.index_slots);
	pid_t rd[2] = { st_fork(reader, (void *)(intptr_t)0),
		st_fork(reader, (void *)(intptr_t)1) };
	pid_t w = st_fork(writer, NULL);
	g_ctl->start = 1;
	CHECK(st_wait_ok(w, "writer"));
	CHECK(st_wait_ok(rd[0], "reader 0"));
	CHECK(st_wait_ok(rd[1], "reader 1"));
	uint64_t lookups = g_ctl->lookups[0] + g_ctl->lookups[1];
	uint64_t misses = g_ctl->misses[0] + g_ctl->misses[1];
	fprintf(stderr, "%llu rounds, %llu lookups, %llu misses\n",
	    (unsigned long long)g_ctl->rounds, (unsigned long long)lookups,
	    (unsigned long long)misses);
	CHECK(g_ctl->rounds > 1000 && lookups > 10000);
	CHECK_EQ_INT(misses, 0);
	reg_detach(&r);
	reg_unlink(g_inst);
	return check_done("index_moves_fork");
}
