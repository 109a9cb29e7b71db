/* shard_prefault: a shard's whole block is resident after it (the worker_prefault setting), untouched pages of a fresh region are not before; the profiles in it are unchanged. */
#include <string.h>
#include <sys/mman.h>

#include "shm/profiles.h"
#include "shm/shard.h"
#include "shmtest.h"

/* Pages of [p, p + len) that are in memory (mincore). */
static size_t resident(const void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p & ~(uintptr_t)4095;
	size_t n = ((uintptr_t)p + len - a + 4095) / 4096, k = 0;
	unsigned char *v = malloc(n);
	REQUIRE(v != NULL);
	REQUIRE(mincore((void *)a, n * 4096, v) == 0);
	for (size_t i = 0; i < n; i++)
		k += v[i] & 1;
	free(v);
	return k;
}

int main(void)
{
	struct reg r;
	st_init(30);
	const char *inst = st_instance("prefault");
	/* 4096 profiles: 3 MB of records, most pages never written yet. */
	struct reg_geometry g = st_geo(2, 2, 256, 4096, 64, 32);
	st_create(&r, inst, &g, REG_RUNNING);
	struct prof_ref ref;
	REQUIRE(prof_find_or_insert(&r, 1, 77, &ref) == 0);

	size_t len = r.hdr->off.shard_stride, pages = (len + 4095) / 4096;
	const void *s0 = reg_shard(&r, 0), *s1 = reg_shard(&r, 1);
	CHECK(resident(s0, len) < pages); /* a fresh region: not all */
	shard_prefault(&r, 0);
	CHECK_EQ_INT(resident(s0, len), pages);
	CHECK(resident(s1, len) < pages); /* only the shard asked for */
	shard_prefault(&r, 1);
	CHECK_EQ_INT(resident(s1, len), pages);

	/* Touching adds nothing: the profile is as it was. */
	REQUIRE(prof_find(&r, 1, 77, &ref) == 0);
	CHECK_EQ_INT(reg_shard_records(&r, 1)[ref.rec].p.user_key, 77);
	CHECK_EQ_INT(prof_count(&r, 1), 1);
	return check_done("shm shard_prefault");
}
