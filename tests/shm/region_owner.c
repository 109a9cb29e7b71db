/* region_owner: a region owned by another uid, or readable by others, is never attached (the hole: root adopting a region an unprivileged user left behind keeps that user's read-write access); its owner's own region is. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "shmtest.h"

int main(void)
{
	st_init(30);
	if (geteuid() != 0)
		SKIP("needs root to hand a region to another uid");
	const char *inst = st_instance("owner");
	struct reg_geometry g = st_geo(1, 2, 64, 1024, 16, 16);
	struct reg r, a;
	char path[128], err[512] = "";
	st_create(&r, inst, &g, REG_RUNNING);
	snprintf(path, sizeof(path), "/dev/shm/penchant.%s", inst);

	REQUIRE(chown(path, 65534, 65534) == 0);
	CHECK_EQ_INT(reg_attach(&a, inst, NULL, err, sizeof(err)), -EACCES);
	CHECK(strstr(err, "owned by uid 65534") != NULL);
	CHECK(a.base == NULL);

	REQUIRE(chown(path, 0, 0) == 0);
	REQUIRE(chmod(path, 0644) == 0);
	err[0] = 0;
	CHECK_EQ_INT(reg_attach(&a, inst, NULL, err, sizeof(err)), -EACCES);
	CHECK(strstr(err, "mode 0644") != NULL);

	REQUIRE(chmod(path, 0600) == 0);
	CHECK_EQ_INT(reg_attach(&a, inst, NULL, err, sizeof(err)), 0);
	reg_detach(&a);
	reg_detach(&r);
	reg_unlink(inst);
	return check_done("shm region_owner");
}
