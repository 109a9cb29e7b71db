/* shard_erase: an erasure inside a chunk of records: the user's records after it, looked up ahead of it, make a new profile (none is lost or counted as corrupt); other users' records are untouched. */
#include <string.h>

#include "shm/profiles.h"
#include "shm/ring.h"
#include "shm/shard.h"
#include "shmtest.h"

#define T0 1767225600000LL /* 2026-01-01 */

static struct reg g_r;
static struct ring_producer g_pr;

static void stage(uint64_t user, uint8_t control, int64_t t)
{
	struct evt_record e;
	memset(&e, 0, sizeof(e));
	e.user_key = user;
	e.entity_key = 1001;
	e.type = EVT_CLICK;
	e.control = control;
	e.time_ms = t;
	e.scroll_depth = -1.0f;
	REQUIRE(ring_stage(&g_pr, reg_shard_of(user, 1), &e));
}

int main(void)
{
	st_init(40);
	const char *inst = st_instance("erase");
	struct reg_geometry g = st_geo(1, 2, 256, 1024, 64, 32);
	st_create(&g_r, inst, &g, REG_RUNNING);
	ring_producer_init(&g_pr, &g_r, 0);
	const uint64_t *ctr =
	    reg_proc(&g_r, reg_proc_worker(&g_r, 0))->counters;

	/* One chunk: A, B, A, ERASE A, A x3, B, then A once more past the
	 * look-ahead. Whatever the look-ahead distance, A's records after
	 * the erasure build a new profile of 4 events. */
	stage(11, 0, T0);
	stage(22, 0, T0 + 1);
	stage(11, 0, T0 + 2);
	stage(11, EVT_CTL_ERASE, T0 + 3);
	for (int i = 0; i < 3; i++)
		stage(11, 0, T0 + 4 + i);
	stage(22, 0, T0 + 8);
	for (int i = 0; i < 6; i++)
		stage(33, 0, T0 + 9 + i);
	stage(11, 0, T0 + 20);
	ring_commit(&g_pr);
	while (shard_poll(&g_r, 0, 64))
		;
	struct lrn_profile p;
	REQUIRE(prof_read(&g_r, 11, &p) == 0);
	CHECK_EQ_INT(p.events, 4);
	CHECK_EQ_INT(p.first_ms, T0 + 4);
	REQUIRE(prof_read(&g_r, 22, &p) == 0);
	CHECK_EQ_INT(p.events, 2);
	REQUIRE(prof_read(&g_r, 33, &p) == 0);
	CHECK_EQ_INT(p.events, 6);
	CHECK_EQ_INT(ctr[REG_C_QUARANTINED], 0);
	CHECK_EQ_INT(prof_count(&g_r, 0), 3);

	/* An erasure as the last record of a chunk, its user right after
	 * in the next one. */
	stage(44, 0, T0);
	ring_commit(&g_pr);
	while (shard_poll(&g_r, 0, 64))
		;
	for (int i = 0; i < 63; i++)
		stage(55, 0, T0 + i);
	stage(44, EVT_CTL_ERASE, T0 + 100);
	stage(44, 0, T0 + 101);
	ring_commit(&g_pr);
	while (shard_poll(&g_r, 0, 64))
		;
	REQUIRE(prof_read(&g_r, 44, &p) == 0);
	CHECK_EQ_INT(p.events, 1);
	CHECK_EQ_INT(ctr[REG_C_QUARANTINED], 0);

	reg_detach(&g_r);
	reg_unlink(inst);
	return check_done("shard_erase");
}
