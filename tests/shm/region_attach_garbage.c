/* region_attach_garbage: reg_attach on hostile /dev/shm bytes (empty, truncated, random, mutated headers) fails with -EPROTO and never crashes. */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>

#include "shmtest.h"

/* Replaces the bytes of /dev/shm/penchant.<inst> with buf[0..n). */
static void put_bytes(const char *inst, const void *buf, size_t n)
{
	char name[64];
	reg_shm_name(inst, name, sizeof(name));
	int fd = shm_open(name, O_RDWR | O_CREAT, 0600);
	REQUIRE(fd >= 0);
	REQUIRE(ftruncate(fd, 0) == 0);
	REQUIRE(ftruncate(fd, (off_t)n) == 0);
	size_t done = 0;
	while (done < n) {
		ssize_t k =
		    pwrite(fd, (const char *)buf + done, n - done, (off_t)done);
		REQUIRE(k > 0);
		done += (size_t)k;
	}
	close(fd);
}

/*
 * Attaches; a success must be a region whose every part lies inside the
 * mapping (touching the last byte of each part proves it).
 */
static int try_attach(const char *inst)
{
	struct reg r;
	char err[512] = "";
	int rc = reg_attach(&r, inst, NULL, err, sizeof(err));
	if (rc == 0) {
		const struct reg_offsets *o = &r.hdr->off;
		volatile uint8_t sink = 0;
		CHECK(o->end <= r.size);
		if (o->end <= r.size) {
			sink ^= r.base[o->end - 1];
			sink ^= *(volatile uint8_t *)&reg_names(&r)[0];
		}
		(void)sink;
		reg_detach(&r);
	} else if (err[0] == 0) {
		fprintf(stderr, "attach failed (%d) without a message\n", rc);
		check_failures++;
	}
	return rc;
}

int main(void)
{
	st_init(20);
	const char *g = st_instance("garbage");
	const char *v = st_instance("garbage-valid");
	uint64_t seed = 0x5eed0001;
	static uint8_t buf[16 << 20];

	/* Empty and shorter than a header. */
	put_bytes(g, buf, 0);
	CHECK_EQ_INT(try_attach(g), -EPROTO);
	for (size_t n = 1; n < sizeof(struct reg_header); n += 37) {
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)st_rand(&seed);
		memcpy(buf, &(uint64_t){ REG_MAGIC }, n < 8 ? n : 8);
		put_bytes(g, buf, n);
		CHECK_EQ_INT(try_attach(g), -EPROTO);
	}

	/* Random bytes of various sizes, with and without the magic. */
	for (unsigned round = 0; round < 200; round++) {
		size_t n = sizeof(struct reg_header) +
		    st_rand(&seed) %
			(round < 100 ? 8192
				     : sizeof(buf) - sizeof(struct reg_header));
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)st_rand(&seed);
		if (round & 1) {
			struct reg_header *h = (struct reg_header *)buf;
			h->magic = REG_MAGIC;
			if (round & 2) {
				h->layout_version = REG_LAYOUT_VERSION;
				h->header_size = sizeof(*h);
			}
			if (round & 4)
				h->region_size = n;
		}
		put_bytes(g, buf, n);
		CHECK_EQ_INT(try_attach(g), -EPROTO);
	}

	/*
	 * A real header with single-field mutations: every result is either
	 * -EPROTO or a region whose parts are all inside the mapping.
	 */
	struct reg valid;
	struct reg_geometry geo = st_geo(2, 2, 16, 64, 16, 16);
	st_create(&valid, v, &geo, REG_RUNNING);
	size_t vsize = valid.size;
	REQUIRE(vsize <= sizeof(buf));
	unsigned accepted = 0, refused = 0;
	for (unsigned round = 0; round < 400; round++) {
		memcpy(buf, valid.base, vsize);
		struct reg_header *h = (struct reg_header *)buf;
		unsigned flips = 1 + st_rand(&seed) % 3;
		for (unsigned f = 0; f < flips; f++) {
			size_t at = st_rand(&seed) % sizeof(*h);
			buf[at] ^= (uint8_t)(1u << (st_rand(&seed) % 8));
		}
		(void)h;
		put_bytes(g, buf, vsize);
		int rc = try_attach(g);
		CHECK(rc == 0 || rc == -EPROTO);
		if (rc == 0)
			accepted++;
		else
			refused++;
	}
	printf("mutated headers: %u refused, %u accepted (non-shape fields)\n",
	    refused, accepted);
	CHECK(refused > 0);

	/* Truncating a valid region: the size no longer matches its header. */
	put_bytes(g, valid.base, vsize - 4096);
	CHECK_EQ_INT(try_attach(g), -EPROTO);
	put_bytes(g, valid.base, vsize);
	CHECK_EQ_INT(try_attach(g), 0);

	reg_detach(&valid);
	reg_unlink(g);
	reg_unlink(v);
	return check_done("region_attach_garbage");
}
