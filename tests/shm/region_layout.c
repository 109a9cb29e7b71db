/* region_layout: reg_create/reg_attach roundtrip, mismatch and missing-instance errors, offsets and sizing. */
#include <string.h>

#include "shmtest.h"

static void check_offsets(const struct reg_geometry *g)
{
	struct reg_offsets o;
	char err[128];
	REQUIRE(reg_layout(g, &o, err, sizeof(err)) == 0);
	const uint64_t parts[] = { o.procs, o.producers, o.rings, o.shards,
		o.catalog, o.names, o.end };
	for (unsigned i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		CHECK_EQ_INT(parts[i] % REG_LINE, 0);
	CHECK_EQ_INT(o.ring_stride % REG_LINE, 0);
	CHECK_EQ_INT(o.shard_stride % REG_LINE, 0);
	CHECK_EQ_INT(o.shard_index % REG_LINE, 0);
	CHECK_EQ_INT(o.shard_records % REG_LINE, 0);
	CHECK_EQ_INT(o.catalog_entries % REG_LINE, 0);
	/* Each part ends before the next begins. */
	CHECK(o.procs >= sizeof(struct reg_header));
	CHECK(o.procs +
		(uint64_t)(g->shards + REG_PROCS_EXTRA) *
		    sizeof(struct reg_proc) <=
	    o.producers);
	CHECK(o.producers +
		(uint64_t)g->producer_slots * sizeof(struct reg_producer) <=
	    o.rings);
	CHECK(o.ring_stride >= sizeof(struct ring_block) +
		(uint64_t)g->ring_depth * sizeof(struct evt_record));
	CHECK(o.rings + o.ring_stride * g->producer_slots * g->shards <=
	    o.shards);
	CHECK(o.shard_index >= sizeof(struct shard_block));
	CHECK(o.shard_index +
		(uint64_t)g->index_slots * sizeof(struct prof_index) <=
	    o.shard_records);
	CHECK(o.shard_records +
		(uint64_t)g->profiles_per_shard * sizeof(struct prof_slot) <=
	    o.shard_exp_req);
	CHECK_EQ_INT(o.shard_exp_req % REG_LINE, 0);
	CHECK(o.shard_exp_req +
		(uint64_t)g->experiment_requests * sizeof(struct exp_request) <=
	    o.shard_stride);
	CHECK(o.shards + o.shard_stride * g->shards <= o.catalog);
	CHECK(o.catalog_entries >= sizeof(struct cat_block));
	CHECK(o.catalog + o.catalog_entries +
		(uint64_t)g->catalog_slots * sizeof(struct cat_entry) <=
	    o.names);
	CHECK(o.names + (uint64_t)g->names_slots * sizeof(struct name_entry) <=
	    o.end);
	/* Ring records start on their own line after the ring header. */
	CHECK_EQ_INT(offsetof(struct ring_block, records) % REG_LINE, 0);
	CHECK_EQ_INT(offsetof(struct ring_block, next_seq) % REG_LINE, 0);
	CHECK_EQ_INT(offsetof(struct ring_block, applied_seq) % REG_LINE, 0);
}

static void expect_attach_fails(const char *inst,
    const struct reg_geometry *want, int code, const char *needle)
{
	struct reg r;
	char err[512] = "";
	int rc = reg_attach(&r, inst, want, err, sizeof(err));
	CHECK_EQ_INT(rc, code);
	if (!strstr(err, needle)) {
		fprintf(stderr, "message lacks '%s': %s\n", needle, err);
		check_failures++;
	}
	CHECK(r.base == NULL);
}

int main(void)
{
	st_init(20);
	const struct reg_geometry g = st_geo(2, 3, 64, 100, 50, 40);
	const char *a = st_instance("layout");
	char err[512] = "";

	/* Offsets: aligned, in order, not overlapping. */
	check_offsets(&g);
	struct reg_geometry g2 = st_geo(5, 17, 1024, 1000, 777, 3);
	check_offsets(&g2);

	/* Inconsistent geometry is refused before anything is created. */
	struct reg_offsets off;
	struct reg_geometry bad = g;
	bad.ring_depth = 100;
	CHECK_EQ_INT(reg_layout(&bad, &off, err, sizeof(err)), -EINVAL);
	bad = g;
	bad.index_slots *= 2;
	CHECK_EQ_INT(reg_layout(&bad, &off, err, sizeof(err)), -EINVAL);
	/* The experiment request table: a power of two, two sets at least. */
	const unsigned exp_bad[] = { 0, 8, 1000, 3 * 1024 };
	for (unsigned i = 0; i < 4; i++) {
		bad = g;
		bad.experiment_requests = exp_bad[i];
		CHECK_EQ_INT(reg_layout(&bad, &off, err, sizeof(err)), -EINVAL);
	}
	bad = g;
	bad.experiment_requests = 2 * REG_EXP_REQ_WAYS;
	CHECK_EQ_INT(reg_layout(&bad, &off, err, sizeof(err)), 0);

	/* Roundtrip. */
	struct reg c, r;
	st_create(&c, a, &g, REG_STARTING);
	CHECK_EQ_INT(c.hdr->magic, REG_MAGIC);
	CHECK_EQ_INT(c.hdr->state, REG_STARTING);
	CHECK_EQ_INT(c.hdr->supervisor_pid, getpid());
	CHECK(strcmp(c.hdr->instance, a) == 0);
	CHECK_EQ_INT(reg_create(&r, a, &g, err, sizeof(err)), -EEXIST);

	CHECK_EQ_INT(reg_attach(&r, a, &g, err, sizeof(err)), 0);
	REQUIRE(r.base != NULL);
	CHECK(r.base != c.base); /* a second mapping: offsets, not pointers */
	CHECK_EQ_INT(r.size, c.size);
	CHECK(memcmp(&r.hdr->geo, &g, sizeof(g)) == 0);
	CHECK(memcmp(&r.hdr->off, &c.hdr->off, sizeof(off)) == 0);
	/* A write through one mapping is seen through the other. */
	reg_ring(&c, 2, 1)->applied_seq = 4242;
	reg_shard_records(&c, 1)[99].p.events = 7;
	reg_names(&c)[0].id = 9;
	CHECK_EQ_INT(reg_ring(&r, 2, 1)->applied_seq, 4242);
	CHECK_EQ_INT(reg_shard_records(&r, 1)[99].p.events, 7);
	CHECK_EQ_INT(reg_names(&r)[0].id, 9);
	/* Parts laid out by reg_create: procs and rings. */
	CHECK_EQ_INT(reg_nprocs(&r), 2 + REG_PROCS_EXTRA);
	CHECK_EQ_INT(reg_proc(&r, reg_proc_worker(&r, 1))->role,
	    REG_ROLE_WORKER);
	CHECK_EQ_INT(reg_proc(&r, reg_proc_worker(&r, 1))->index, 1);
	CHECK_EQ_INT(reg_proc(&r, reg_proc_acceptor(&r))->role,
	    REG_ROLE_ACCEPTOR);
	CHECK_EQ_INT(reg_proc(&r, reg_proc_segmenter(&r))->role,
	    REG_ROLE_SEGMENTER);
	CHECK_EQ_INT(reg_ring(&r, 0, 0)->ring.size, 64);
	CHECK_EQ_INT(reg_ring(&r, 2, 1)->ring.mask, 63);
	CHECK((uint8_t *)reg_names(&r) +
		g.names_slots * sizeof(struct name_entry) <=
	    r.base + r.size);
	reg_detach(&r);
	CHECK(r.base == NULL && r.hdr == NULL && r.fd == -1);
	CHECK_EQ_INT(reg_attach(&r, a, NULL, err, sizeof(err)), 0);
	reg_detach(&r);

	/* A different expected geometry names the field that differs. */
	struct reg_geometry want = g;
	want.ring_depth = 128;
	expect_attach_fails(a, &want, -EPROTO, "ring_depth");
	expect_attach_fails(a, &want, -EPROTO, "128");
	want = st_geo(3, 3, 64, 100, 50, 40);
	expect_attach_fails(a, &want, -EPROTO, "shards");
	want = st_geo(2, 3, 64, 200, 50, 40);
	expect_attach_fails(a, &want, -EPROTO, "profiles_per_shard");
	want = g;
	want.experiment_requests = 4096;
	expect_attach_fails(a, &want, -EPROTO, "experiment_requests = 131072");

	/* A corrupted header (in a second region of the same geometry). */
	const char *b = st_instance("layout-copy");
	struct reg cb;
	st_create(&cb, b, &g, REG_RUNNING);
	memcpy(cb.base + sizeof(struct reg_header),
	    c.base + sizeof(struct reg_header),
	    c.size - sizeof(struct reg_header));
	CHECK_EQ_INT(reg_attach(&r, b, &g, err, sizeof(err)), 0);
	reg_detach(&r);
	cb.hdr->magic ^= 1;
	expect_attach_fails(b, &g, -EPROTO, "magic");
	cb.hdr->magic ^= 1;
	cb.hdr->layout_version++;
	expect_attach_fails(b, &g, -EPROTO, "layout version");
	cb.hdr->layout_version--;
	cb.hdr->header_size++;
	expect_attach_fails(b, NULL, -EPROTO, "layout version");
	cb.hdr->header_size--;
	cb.hdr->region_size += 4096;
	expect_attach_fails(b, NULL, -EPROTO, "bytes");
	cb.hdr->region_size -= 4096;
	cb.hdr->off.names += 64;
	expect_attach_fails(b, NULL, -EPROTO, "offsets");
	cb.hdr->off.names -= 64;
	cb.hdr->geo.catalog_slots = 3;
	expect_attach_fails(b, NULL, -EPROTO, "offsets");
	cb.hdr->geo.catalog_slots = g.catalog_slots;
	CHECK_EQ_INT(reg_attach(&r, b, &g, err, sizeof(err)), 0);
	reg_detach(&r);
	reg_detach(&cb);

	/* A missing instance: -ENOENT and how to start it. */
	char missing[64];
	snprintf(missing, sizeof(missing), "t-layout-missing-%d",
	    (int)getpid());
	expect_attach_fails(missing, NULL, -ENOENT, "not running");
	expect_attach_fails(missing, NULL, -ENOENT, "penchantd --instance");
	expect_attach_fails(missing, NULL, -ENOENT, missing);

	/* Size grows by 512 bytes of record + the index entries per user. */
	struct reg_offsets o1, o2;
	struct reg_geometry p1 = st_geo(3, 2, 64, 1024, 50, 40);
	struct reg_geometry p2 = st_geo(3, 2, 64, 2048, 50, 40);
	REQUIRE(reg_layout(&p1, &o1, err, sizeof(err)) == 0);
	REQUIRE(reg_layout(&p2, &o2, err, sizeof(err)) == 0);
	uint64_t per_user = sizeof(struct prof_slot) +
	    (uint64_t)p1.index_slots / p1.profiles_per_shard *
		sizeof(struct prof_index);
	CHECK_EQ_INT(per_user, 768 + 2 * 16);
	CHECK_EQ_INT(o2.end - o1.end, 3ULL * 1024 * per_user);
	CHECK_EQ_INT(o2.shard_stride - o1.shard_stride, 1024 * per_user);
	CHECK_EQ_INT(o2.catalog - o2.shards, 3 * o2.shard_stride);
	/* And by 16 bytes per experiment request entry, from the setting
	 * through boot_geometry. */
	struct cfg cf;
	cfg_defaults(&cf);
	cf.shards = 3;
	cf.experiment_requests = 4096;
	struct reg_geometry p3;
	boot_geometry(&cf, &p3);
	CHECK_EQ_INT(p3.experiment_requests, 4096);
	p2 = p1;
	p2.experiment_requests = 4096;
	p1.experiment_requests = 1024;
	REQUIRE(reg_layout(&p1, &o1, err, sizeof(err)) == 0);
	REQUIRE(reg_layout(&p2, &o2, err, sizeof(err)) == 0);
	CHECK_EQ_INT(sizeof(struct exp_request), 16);
	CHECK_EQ_INT(o2.shard_stride - o1.shard_stride, 3072 * 16);
	CHECK_EQ_INT(o2.end - o1.end, 3ULL * 3072 * 16);
	/* And the real region has exactly the computed size. */
	CHECK_EQ_INT(c.size, c.hdr->off.end);
	CHECK_EQ_INT(c.hdr->region_size, c.size);

	reg_detach(&c);
	CHECK_EQ_INT(reg_unlink(a), 0);
	CHECK_EQ_INT(reg_unlink(a), -ENOENT);
	return check_done("region_layout");
}
