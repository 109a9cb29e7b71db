/* region_fuzz: a region with a valid header and corrupt contents (random bytes flipped in the shard's count, index, intent, records, experiment requests, rings, catalog and names) never crashes a worker: recovery quarantines what cannot be right and the worker, readers and the catalog keep going. */
#include <string.h>

#include "shm/catalog.h"
#include "shm/profiles.h"
#include "shm/ring.h"
#include "shm/shard.h"
#include "shmtest.h"

#define USERS 300
#define ROUNDS 150

static struct reg g_r;
static uint64_t g_seed;

static void fill(struct reg *r)
{
	char err[256];
	REQUIRE(cat_lock(r, err, sizeof(err)) == 0);
	for (unsigned i = 1; i <= 20; i++) {
		struct cat_item it = { .item = { .category = 100 + i % 4,
					   .n_tags = 2,
					   .tags = { i, i + 1 } },
			.price_level = 255 };
		REQUIRE(cat_put(r, 5000 + i, &it) == 0);
		char name[16];
		int n = snprintf(name, sizeof(name), "tag-%u", i);
		REQUIRE(cat_name_put(r, NAME_TAG, i, name, (size_t)n) == 0);
	}
	cat_unlock(r);
	for (unsigned u = 1; u <= USERS; u++) {
		struct lrn_profile p;
		lrn_profile_init(&p, u * 0x9E3779B97F4A7C15ULL | 1);
		p.events = 1 + u % 7;
		p.first_ms = p.last_ms = 1767225600000LL;
		REQUIRE(prof_load(r, &p) == 0);
	}
	/* a few records waiting in the ring */
	struct ring_producer pr;
	ring_producer_init(&pr, r, 0);
	for (unsigned i = 0; i < 40; i++) {
		struct evt_record e;
		memset(&e, 0, sizeof(e));
		e.user_key = (1 + i % USERS) * 0x9E3779B97F4A7C15ULL | 1;
		e.entity_key = 5001 + i % 20;
		e.type = (uint8_t)(i % EVT_TYPE_COUNT);
		e.time_ms = 1767225600000LL + i;
		REQUIRE(ring_stage(&pr, 0, &e));
	}
	ring_commit(&pr);
}

/* Flips bytes of the parts a worker trusts. */
static void corrupt(struct reg *r)
{
	struct {
		uint8_t *p;
		size_t n;
	} parts[] = {
		{ (uint8_t *)reg_shard(r, 0), sizeof(struct shard_block) },
		{ (uint8_t *)reg_shard_index(r, 0),
		    r->hdr->geo.index_slots * sizeof(struct prof_index) },
		{ (uint8_t *)reg_shard_records(r, 0),
		    (size_t)USERS * sizeof(struct prof_slot) },
		{ (uint8_t *)reg_ring(r, 0, 0), 4096 },
		{ (uint8_t *)reg_catalog_entries(r),
		    r->hdr->geo.catalog_slots * sizeof(struct cat_entry) },
		{ (uint8_t *)reg_names(r),
		    r->hdr->geo.names_slots * sizeof(struct name_entry) },
		{ (uint8_t *)reg_exp_requests(r, 0),
		    r->hdr->geo.experiment_requests *
			sizeof(struct exp_request) },
	};
	const unsigned n_parts = sizeof(parts) / sizeof(parts[0]);
	unsigned flips = 1 + (unsigned)(st_rand(&g_seed) % 40);
	for (unsigned f = 0; f < flips; f++) {
		unsigned which = (unsigned)(st_rand(&g_seed) % n_parts);
		size_t at = (size_t)(st_rand(&g_seed) % parts[which].n);
		/* whole words too: counts and indices of any size */
		if (st_rand(&g_seed) % 3 == 0 && at + 4 <= parts[which].n)
			memset(parts[which].p + at, 0xff, 4);
		else
			parts[which].p[at] ^=
			    (uint8_t)(1u << (st_rand(&g_seed) % 8));
	}
}

/* A worker, readers and the catalog over the corrupt region. */
static int worker(void *arg)
{
	(void)arg;
	shard_recover(&g_r, 0);
	for (int i = 0; i < 8 && shard_poll(&g_r, 0, 64); i++)
		;
	struct lrn_profile p;
	for (unsigned u = 1; u <= USERS; u++)
		(void)prof_read(&g_r, u * 0x9E3779B97F4A7C15ULL | 1, &p);
	struct cat_item it;
	char name[256];
	for (unsigned i = 1; i <= 20; i++) {
		(void)cat_get(&g_r, 5000 + i, &it);
		(void)cat_name_get(&g_r, i, name, sizeof(name));
	}
	/* and it still learns a new user */
	struct prof_ref ref;
	(void)prof_find_or_insert(&g_r, 0, 77, &ref);
	return 0;
}

int main(void)
{
	st_init(600);
	/* Longer runs by hand: PENCHANT_FUZZ_ROUNDS=N PENCHANT_FUZZ_SEED=S */
	const char *env = getenv("PENCHANT_FUZZ_ROUNDS");
	unsigned rounds = env ? (unsigned)strtoul(env, NULL, 10) : ROUNDS;
	env = getenv("PENCHANT_FUZZ_SEED");
	g_seed = env ? strtoull(env, NULL, 10) : 12345;
	unsigned quarantined = 0;
	const char *inst = st_instance("fuzz");
	for (unsigned round = 0; round < rounds; round++) {
		struct reg_geometry g = st_geo(1, 2, 64, 1024, 64, 64);
		st_create(&g_r, inst, &g, REG_RUNNING);
		fill(&g_r);
		corrupt(&g_r);
		pid_t pid = st_fork(worker, NULL);
		if (!st_wait_ok(pid, "worker on a corrupt region")) {
			fprintf(stderr, "round %u (seed state %llu)\n", round,
			    (unsigned long long)g_seed);
			check_failures++;
		}
		quarantined +=
		    (unsigned)reg_proc(&g_r, reg_proc_worker(&g_r, 0))
			->counters[REG_C_QUARANTINED];
		reg_detach(&g_r);
		reg_unlink(inst);
	}
	printf("%u rounds, %u corrupt entries quarantined\n", rounds,
	    quarantined);
	CHECK(quarantined > 0);
	return check_done("shm region_fuzz");
}
