/* prof_insert_crash: a worker killed inside an insert leaves nothing shard_recover cannot repair (regression: record left odd, count behind a published key). */
/*
 * prof_find_or_insert() once claimed record `count`, writes it under its seqlock,
 * published the index key, and only then bumped `count`. _apply() records its
 * intent only after the insert, and recovery looks at records [0, count).
 * So a SIGKILL inside the insert leaves, after shard_recover():
 *
 *  A. killed between prof_write_begin and prof_write_end: record `count` has
 *     an odd sequence; prof_repair_seqlocks skips it (i < count), the next
 *     insert reuses it and prof_write_begin (seq + 1) makes it even while
 *     writing and odd when done: that user reads -EBUSY forever and readers
 *     may see torn copies.
 *  B. killed between the key store and the count store: the key points at
 *     record `count`, count was not bumped, the next insert hands the same
 *     record to another user: two users share one profile.
 *
 * Both states are made by hand here (as a kill at those instructions would
 * leave them) in a child "worker" that we SIGKILL, then a new worker process
 * runs shard_recover and inserts a new user.
 *
 * Fixed by both: prof_find_or_insert bumps count before publishing the key
 * and seq_write_begin moves a leftover odd count by 2; shard_recover raises
 * count to cover every record a key points to (prof_repair_count) and
 * repairs the record after the last as well.
 */
#include <string.h>

#include "shm/profiles.h"
#include "shmtest.h"
#include "shm/shard.h"

static struct reg g_r;

/* A worker that dies in the middle of inserting `key` (case A or B). */
static int die_mid_insert(void *arg)
{
	int which = (int)(intptr_t)arg;
	uint64_t key =
	    which == 'A' ? 0x0000000100000001ULL : 0x0000000200000002ULL;
	struct shard_block *sh = reg_shard(&g_r, 0);
	struct prof_index *idx = reg_shard_index(&g_r, 0);
	uint32_t rec = sh->count;
	struct prof_slot *slot = reg_shard_records(&g_r, 0) + rec;
	/* What prof_find_or_insert does, up to the kill point. */
	prof_write_begin(slot);
	lrn_profile_init(&slot->p, key);
	if (which == 'B') {
		prof_write_end(slot);
		uint32_t mask = g_r.hdr->geo.index_slots - 1;
		uint32_t i = (uint32_t)(key ^ (key >> 29)) & mask;
		while (idx[i].key)
			i = (i + 1) & mask;
		idx[i].rec = rec;
		ck_pr_fence_store();
		ck_pr_store_64(&idx[i].key, key);
		/* killed here, before count = rec + 1 */
	}
	for (;;)
		pause();
	return 0;
}

static int recover(void *arg)
{
	(void)arg;
	shard_recover(&g_r, 0);
	return 0;
}

static void crash_and_recover(int which)
{
	pid_t w = st_fork(die_mid_insert, (void *)(intptr_t)which);
	/* Wait until the child is parked (its write is visible). */
	struct prof_slot *slot =
	    reg_shard_records(&g_r, 0) + reg_shard(&g_r, 0)->count;
	int64_t until = st_mono_ns() + 5000000000LL;
	while (slot->p.user_key == 0 && st_mono_ns() < until)
		st_sleep_us(100);
	st_sleep_us(20000);
	kill(w, SIGKILL);
	st_wait(w);
	CHECK(st_wait_ok(st_fork(recover, NULL), "recovering worker"));
}

int main(void)
{
	st_init(20);
	const char *inst = st_instance("insert-crash");
	struct reg_geometry g = st_geo(1, 1, 16, 16, 8, 8);
	st_create(&g_r, inst, &g, REG_RUNNING);
	struct prof_ref ref;
	struct lrn_profile p;
	REQUIRE(prof_find_or_insert(&g_r, 0, 0x0000000900000009ULL, &ref) == 0);

	/* A: odd sequence left on the record being inserted. */
	crash_and_recover('A');
	uint64_t ka = 0x0000000300000003ULL;
	CHECK_EQ_INT(prof_find_or_insert(&g_r, 0, ka, &ref), 0);
	int rc = prof_read(&g_r, ka, &p);
	if (rc)
		fprintf(stderr,
		    "BUG A: a new user's profile reads %d (record %u has sequence %u) after a worker died mid-insert\n",
		    rc, ref.rec,
		    reg_shard_records(&g_r, 0)[ref.rec].seq.sequence);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(reg_shard_records(&g_r, 0)[ref.rec].seq.sequence & 1, 0);

	/* B: key published, count not bumped. */
	uint64_t kb_dead = 0x0000000200000002ULL;
	crash_and_recover('B');
	uint64_t kb = 0x0000000400000004ULL;
	struct prof_ref r_dead, r_new;
	CHECK_EQ_INT(prof_find_or_insert(&g_r, 0, kb, &r_new), 0);
	CHECK_EQ_INT(prof_find_or_insert(&g_r, 0, kb_dead, &r_dead), 0);
	if (r_new.rec == r_dead.rec)
		fprintf(stderr,
		    "BUG B: users %llx and %llx share record %u after a worker died mid-insert\n",
		    (unsigned long long)kb, (unsigned long long)kb_dead,
		    r_new.rec);
	CHECK(r_new.rec != r_dead.rec);
	CHECK_EQ_INT(prof_read(&g_r, kb, &p), 0);

	reg_detach(&g_r);
	reg_unlink(inst);
	return check_done("bug_prof_insert_crash");
}
