/* profiles_basic: prof_find_or_insert/prof_read, probing, routing of 2 shards by reg_shard_of, -ENOSPC when full, -ENOENT for unknown users. */
#include <string.h>

#include "shm/profiles.h"
#include "shmtest.h"

#define PER_SHARD 8

/* A key owned by `shard` of 2 (high bits), with chosen low bits. */
static uint64_t key_for(unsigned shard, uint32_t hi_extra, uint32_t lo)
{
	uint64_t hi = shard ? 0x80000000u : 0;
	hi |= hi_extra & 0x7fffffffu;
	uint64_t k = hi << 32 | lo;
	REQUIRE(reg_shard_of(k, 2) == shard);
	return k;
}

int main(void)
{
	st_init(20);
	const char *inst = st_instance("profiles");
	struct reg_geometry g = st_geo(2, 1, 16, PER_SHARD, 8, 8);
	struct reg r;
	struct lrn_profile p;
	struct prof_ref ref, again;
	st_create(&r, inst, &g, REG_RUNNING);

	/* reg_shard_of: the high 32 bits choose, spread over all shards. */
	CHECK_EQ_INT(reg_shard_of(0x00000000ffffffffULL, 2), 0);
	CHECK_EQ_INT(reg_shard_of(0x7fffffff00000000ULL, 2), 0);
	CHECK_EQ_INT(reg_shard_of(0x8000000000000000ULL, 2), 1);
	CHECK_EQ_INT(reg_shard_of(0xffffffffffffffffULL, 2), 1);
	CHECK_EQ_INT(reg_shard_of(0xffffffffffffffffULL, 1), 0);
	unsigned hist[7] = { 0 };
	uint64_t seed = 7;
	for (int i = 0; i < 70000; i++)
		hist[reg_shard_of(st_rand(&seed), 7)]++;
	for (int i = 0; i < 7; i++)
		CHECK(hist[i] > 9000 && hist[i] < 11000);

	/* Unknown user. */
	uint64_t k0 = key_for(0, 0x1234, 0x11);
	CHECK_EQ_INT(prof_read(&r, k0, &p), -ENOENT);

	/* Insert, find again, read. */
	CHECK_EQ_INT(prof_find_or_insert(&r, 0, k0, &ref), 0);
	CHECK(ref.inserted);
	CHECK_EQ_INT(ref.rec, 0);
	CHECK_EQ_INT(reg_shard(&r, 0)->count, 1);
	CHECK_EQ_INT(prof_find_or_insert(&r, 0, k0, &again), 0);
	CHECK(!again.inserted);
	CHECK_EQ_INT(again.rec, ref.rec);
	CHECK_EQ_INT(again.index_pos, ref.index_pos);
	CHECK_EQ_INT(reg_shard(&r, 0)->count, 1);
	memset(&p, 0xee, sizeof(p));
	CHECK_EQ_INT(prof_read(&r, k0, &p), 0);
	CHECK_EQ_INT(p.user_key, k0);
	CHECK_EQ_INT(p.events, 0);
	CHECK_EQ_INT(p.counts[0], 0);
	/* The slot's sequence went even -> odd -> even. */
	CHECK_EQ_INT(reg_shard_records(&r, 0)[ref.rec].seq.sequence % 2, 0);

	/* A written record reads back whole. */
	struct prof_slot *slot = reg_shard_records(&r, 0) + ref.rec;
	unsigned seq0 = slot->seq.sequence;
	prof_write_begin(slot);
	CHECK_EQ_INT(slot->seq.sequence, seq0 + 1);
	slot->p.events = 5;
	slot->p.counts[LRN_N_CLICK] = 3;
	slot->p.tags[0].id = 77;
	slot->p.tags[0].w = 0.25;
	prof_write_end(slot);
	CHECK_EQ_INT(slot->seq.sequence, seq0 + 2);
	CHECK_EQ_INT(prof_read(&r, k0, &p), 0);
	CHECK_EQ_INT(p.events, 5);
	CHECK_EQ_INT(p.counts[LRN_N_CLICK], 3);
	CHECK_EQ_INT(p.tags[0].id, 77);
	CHECK_NEAR(p.tags[0].w, 0.25, 0);
	struct lrn_profile q;
	CHECK_EQ_INT(prof_copy(&r, 0, ref.rec, &q), 0);
	CHECK(memcmp(&p, &q, sizeof(p)) == 0);

	/* Keys with the same probe start chain linearly; all stay readable. */
	uint64_t coll[4];
	for (int i = 0; i < 4; i++) {
		coll[i] = key_for(0, 0x1234 + (uint32_t)i * 0x10000, 0x11);
		CHECK_EQ_INT(prof_find_or_insert(&r, 0, coll[i], &ref), 0);
	}
	for (int i = 0; i < 4; i++) {
		CHECK_EQ_INT(prof_read(&r, coll[i], &p), 0);
		CHECK_EQ_INT(p.user_key, coll[i]);
	}
	/* coll[0] == k0 (hi_extra 0x1234): it was found, not inserted again. */
	CHECK_EQ_INT(coll[0], k0);
	CHECK_EQ_INT(reg_shard(&r, 0)->count, 4);

	/* Shard 1 is routed separately and has its own records. */
	uint64_t k1 = key_for(1, 0x42, 0x99);
	CHECK_EQ_INT(prof_read(&r, k1, &p), -ENOENT);
	CHECK_EQ_INT(prof_find_or_insert(&r, 1, k1, &ref), 0);
	CHECK(ref.inserted);
	CHECK_EQ_INT(ref.rec, 0);
	CHECK_EQ_INT(reg_shard(&r, 1)->count, 1);
	CHECK_EQ_INT(prof_read(&r, k1, &p), 0);
	CHECK_EQ_INT(p.user_key, k1);
	/* A shard-1 key put (wrongly) into shard 0 is not found by prof_read. */
	uint64_t k1b = key_for(1, 0x43, 0x98);
	CHECK_EQ_INT(prof_find_or_insert(&r, 0, k1b, &ref), 0);
	CHECK_EQ_INT(prof_read(&r, k1b, &p), -ENOENT);
	CHECK_EQ_INT(reg_shard(&r, 0)->count, 5);

	/* Fill shard 0 to its capacity; then -ENOSPC, but old users still found. */
	uint32_t extra = 0;
	while (reg_shard(&r, 0)->count < PER_SHARD) {
		uint64_t k = key_for(0, 0x500 + extra, 0x7000 + extra);
		extra++;
		CHECK_EQ_INT(prof_find_or_insert(&r, 0, k, &ref), 0);
		CHECK(ref.inserted);
	}
	uint64_t knew = key_for(0, 0x999, 0x999);
	CHECK_EQ_INT(prof_find_or_insert(&r, 0, knew, &ref), -ENOSPC);
	CHECK_EQ_INT(reg_shard(&r, 0)->count, PER_SHARD);
	CHECK_EQ_INT(prof_read(&r, knew, &p), -ENOENT);
	CHECK_EQ_INT(prof_find_or_insert(&r, 0, k0, &ref), 0);
	CHECK(!ref.inserted);
	CHECK_EQ_INT(prof_read(&r, k0, &p), 0);
	CHECK_EQ_INT(p.events, 5);
	/* Shard 1 is not affected by shard 0 being full. */
	CHECK_EQ_INT(prof_find_or_insert(&r, 1, key_for(1, 0x44, 1), &ref), 0);
	CHECK(ref.inserted);

	/* prof_load: overwrites the whole profile, inserting where it routes. */
	struct lrn_profile lp;
	lrn_profile_init(&lp, key_for(1, 0x777, 0x777));
	lp.events = 9;
	lp.first_ms = 1000;
	CHECK_EQ_INT(prof_load(&r, &lp), 0);
	CHECK_EQ_INT(prof_read(&r, lp.user_key, &p), 0);
	CHECK(memcmp(&p, &lp, sizeof(p)) == 0);
	lp.events = 10;
	CHECK_EQ_INT(prof_load(&r, &lp), 0);
	CHECK_EQ_INT(prof_read(&r, lp.user_key, &p), 0);
	CHECK_EQ_INT(p.events, 10);
	CHECK_EQ_INT(reg_shard(&r, 1)->count, 3);
	lrn_profile_init(&lp, knew);
	CHECK_EQ_INT(prof_load(&r, &lp), -ENOSPC);

	reg_detach(&r);
	reg_unlink(inst);
	return check_done("profiles_basic");
}
