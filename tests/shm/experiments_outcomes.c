/* experiments_outcomes: the shard step counts an experiment's rates per request (a request clicked twice is one click-through) and its reward's sum of squares per request, keeps the state of every request clicked in one attribution window, and counts the requests whose state it had to evict while they were still inside the window; the table has the region's configured size. */
#include <string.h>

#include "expdef.h"
#include "shm/experiments.h"
#include "shm/ring.h"
#include "shm/shard.h"
#include "shmtest.h"

#define T0 1767225600000LL /* 2026-01-01 */
#define MIN 60000LL
#define USER 11

static struct reg g_r;
static struct ring_producer g_pr;

static void emit(uint8_t type, int64_t t, uint64_t request)
{
	struct evt_record e;
	memset(&e, 0, sizeof(e));
	e.user_key = USER;
	e.entity_key = 1001;
	e.type = type;
	e.time_ms = t;
	e.request_id = request;
	e.position = 1;
	e.scroll_depth = -1.0f;
	while (!ring_stage(&g_pr, reg_shard_of(USER, 1), &e)) {
		ring_commit(&g_pr);
		while (shard_poll(&g_r, 0, 64))
			;
	}
}

static void drain(void)
{
	ring_commit(&g_pr);
	while (shard_poll(&g_r, 0, 64))
		;
}

static void load(void)
{
	struct exp_def d = exptest_def("clicks", 0, 1);
	snprintf(d.salt, sizeof(d.salt), "s");
	char err[256] = "";
	REQUIRE(expb_lock(&g_r, err, sizeof(err)) == 0);
	REQUIRE(expb_load(&g_r, &d, 1, T0 - 10 * MIN, err, sizeof(err)) == 0);
	expb_unlock(&g_r, true);
}

/* Request i of arm 1 (the control), made at t, counted as an exposure. */
static uint64_t request(int64_t t, unsigned i)
{
	expb_expose(&g_r, 1, expb_run(&g_r, 0));
	return evt_request_make_arm(t, 1, 1, i & 4095);
}

static struct exp_counts counts(uint64_t *evicted)
{
	struct exp_view v;
	REQUIRE(expb_read(&g_r, 0, &v) == 0);
	*evicted = v.evicted;
	return v.counts[0];
}

/* Entries of the shard's table holding requests made at or after t. */
static unsigned held_since(int64_t t)
{
	const struct exp_request *q = reg_exp_requests(&g_r, 0);
	unsigned n = 0;
	for (unsigned i = 0; i < g_r.hdr->geo.experiment_requests; i++)
		n += q[i].id && evt_request_time(q[i].id) >= t;
	return n;
}

/*
 * A quarter more requests than the table holds, in one window: the
 * oldest of a full set give way and each one still inside the window is
 * counted. Earlier requests, out of the window by t, give way uncounted.
 * A second click on each: a request whose state went is taken for a new
 * click-through, so clicked is over by at most the evicted count.
 */
static void overfill(int64_t t3, unsigned cap)
{
	const unsigned over_n = cap + cap / 4;
	uint64_t *many = calloc(over_n, sizeof(*many));
	REQUIRE(many != NULL);
	uint64_t evicted0, evicted;
	struct exp_counts c0 = counts(&evicted0);
	for (unsigned i = 0; i < over_n; i++) {
		many[i] = request(t3 + i / 64, i);
		emit(EVT_CLICK, t3 + 5 * MIN, many[i]);
	}
	drain();
	struct exp_counts c = counts(&evicted);
	unsigned held = held_since(t3);
	/* sets filled evenly: a quarter more requests than entries leave
	 * few entries free (about 6 %) */
	CHECK(held > cap * 9 / 10 && held <= cap);
	CHECK_EQ_INT(evicted - evicted0, over_n - held);
	CHECK_EQ_INT(c.clicked - c0.clicked, over_n);
	for (unsigned i = 0; i < over_n; i++)
		emit(EVT_CLICK, t3 + 6 * MIN, many[i]);
	drain();
	c = counts(&evicted);
	uint64_t over = c.clicked - c0.clicked - over_n;
	CHECK(over > 0 && over <= evicted - evicted0);
	free(many);
}

int main(void)
{
	st_init(60);
	const char *inst = st_instance("exp-out");
	struct reg_geometry g = st_geo(1, 2, 256, 64, 64, 32);
	st_create(&g_r, inst, &g, REG_RUNNING);
	ring_producer_init(&g_pr, &g_r, 0);
	load();
	uint64_t evicted;

	/* 1. 400 requests; every even one clicked twice, every fourth one
	 * also bought from: 200 click-throughs of 400, not 400 (the clicks
	 * stay 400 as events), 100 conversions. */
	uint64_t rq[400];
	for (unsigned i = 0; i < 400; i++)
		rq[i] = request(T0 + i, i);
	for (unsigned i = 0; i < 400; i += 2) {
		emit(EVT_CLICK, T0 + MIN, rq[i]);
		emit(EVT_CLICK, T0 + 2 * MIN, rq[i]);
		if (i % 4 == 0)
			emit(EVT_PURCHASE, T0 + 3 * MIN, rq[i]);
	}
	drain();
	struct exp_counts c = counts(&evicted);
	CHECK_EQ_INT(c.exposures, 400);
	CHECK_EQ_INT(c.clicks, 500); /* a purchase is an action too */
	CHECK_EQ_INT(c.clicked, 200);
	CHECK_EQ_INT(c.conversions, 100);
	CHECK_EQ_INT(c.converted, 100);
	/* rewards: 100 requests of 2, 100 of 2 + 2 = 4 */
	CHECK_EQ_INT(c.reward_sq, 100 * 4 + 100 * 16);
	CHECK_EQ_INT(evicted, 0);
	struct exp_def d;
	struct exp_view v;
	REQUIRE(expb_read(&g_r, 0, &v) == 0);
	d = v.def;
	struct exp_report rp;
	REQUIRE(exp_report(&d, v.counts, NULL, 0.05, &rp) == 0);
	CHECK(rp.v[0].ctr == 0.5);
	CHECK(rp.v[0].conversion == 0.25);

	/* 2. 5000 requests clicked in one window, each once and then once
	 * more after all the others: every second click finds its request
	 * (each adds 2^2 - 1^2 = 3), nothing is evicted. */
	int64_t t2 = T0 + 60 * MIN;
	uint64_t *many = calloc(5000, sizeof(*many));
	REQUIRE(many != NULL);
	struct exp_counts c0 = counts(&evicted);
	for (unsigned i = 0; i < 5000; i++)
		many[i] = request(t2 + i / 8, i);
	for (unsigned round = 0; round < 2; round++)
		for (unsigned i = 0; i < 5000; i++)
			emit(EVT_CLICK, t2 + (5 + round) * MIN, many[i]);
	drain();
	c = counts(&evicted);
	CHECK_EQ_INT(c.clicked - c0.clicked, 5000);
	CHECK_EQ_INT(c.reward_sq - c0.reward_sq, 5000 * 4);
	CHECK_EQ_INT(evicted, 0);
	free(many);

	/* 3. More than the table holds (the default size). */
	overfill(T0 + 180 * MIN, g.experiment_requests);
	reg_detach(&g_r);
	reg_unlink(inst);

	/* 4. The table has the size of the experiment_requests setting: a
	 * region with another size holds that many. */
	const char *inst2 = st_instance("exp-out-small");
	g.experiment_requests = 2048;
	st_create(&g_r, inst2, &g, REG_RUNNING);
	ring_producer_init(&g_pr, &g_r, 0);
	load();
	CHECK_EQ_INT(g_r.hdr->geo.experiment_requests, 2048);
	overfill(T0 + 180 * MIN, 2048);
	reg_detach(&g_r);
	reg_unlink(inst2);
	return check_done("shm experiments_outcomes");
}
