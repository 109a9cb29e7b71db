/* attach_oversize: a header whose geometry needs more bytes than the region has is refused with -EPROTO (regression: shm/region.c once accepted it). */
/*
 * A hostile or corrupt /dev/shm file: magic, version and header size right,
 * region_size equal to the file size, geometry consistent and offsets exactly
 * what reg_layout() computes for it, but off.end far beyond the file.
 * Accepting it would let the first access to a ring, shard or the catalog
 * fault in the client; _check_header() compares off.end with region_size.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>

#include "shmtest.h"

int main(void)
{
	st_init(20);
	const char *inst = st_instance("oversize");
	struct reg_geometry big = st_geo(8, 16, 1024, 100000, 1000, 1000);
	struct reg_header h;
	char err[512] = "";
	memset(&h, 0, sizeof(h));
	h.magic = REG_MAGIC;
	h.layout_version = REG_LAYOUT_VERSION;
	h.header_size = sizeof(h);
	h.region_size = 4096;
	h.geo = big;
	REQUIRE(reg_layout(&big, &h.off, err, sizeof(err)) == 0);
	REQUIRE(h.off.end > h.region_size);

	char name[64];
	reg_shm_name(inst, name, sizeof(name));
	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	REQUIRE(fd >= 0);
	REQUIRE(ftruncate(fd, 4096) == 0);
	REQUIRE(pwrite(fd, &h, sizeof(h), 0) == (ssize_t)sizeof(h));
	close(fd);

	struct reg r;
	int rc = reg_attach(&r, inst, NULL, err, sizeof(err));
	if (rc == 0) {
		fprintf(stderr,
		    "BUG: reg_attach accepted a header whose geometry needs %llu bytes in a %zu-byte region (last part at offset %llu is outside the mapping)\n",
		    (unsigned long long)r.hdr->off.end, r.size,
		    (unsigned long long)r.hdr->off.names);
		reg_detach(&r);
	}
	CHECK_EQ_INT(rc, -EPROTO);
	reg_unlink(inst);
	return check_done("bug_attach_oversize");
}
