/* region_huge: whether /dev/shm grants huge pages, read from a /proc/mounts text: the huge= option of its tmpfs, tmpfs's default when absent, the last mount line winning, garbage ignored. */
#include <errno.h>
#include <string.h>

#include "shmtest.h"

static void is(const char *text, int want, const char *mode)
{
	char m[32] = "?";
	int got = reg_huge_mode_of(text, m, sizeof(m));
	if (got != want || (mode && strcmp(m, mode)))
		fprintf(stderr, "mounts '%s': %d '%s' (want %d '%s')\n", text,
		    got, m, want, mode ? mode : "");
	CHECK_EQ_INT(got, want);
	if (mode)
		CHECK(!strcmp(m, mode));
}

int main(void)
{
	is("", -ENOENT, NULL);
	is("proc /proc proc rw 0 0\nsysfs /sys sysfs rw 0 0\n", -ENOENT, NULL);
	is("tmpfs /dev/shm tmpfs rw,relatime,size=24684084k 0 0\n", 0, "never");
	is("tmpfs /dev/shm tmpfs rw,relatime,size=1k,huge=advise 0 0\n", 1,
	    "advise");
	is("tmpfs /dev/shm tmpfs rw,huge=always,nosuid 0 0", 1, "always");
	is("tmpfs /dev/shm tmpfs rw,huge=within_size 0 0", 1, "within_size");
	is("tmpfs /dev/shm tmpfs rw,huge=deny 0 0", 0, "deny");
	/* remounted: the last line is the mount in force */
	is("tmpfs /dev/shm tmpfs rw,huge=advise 0 0\n"
	   "tmpfs /dev/shm tmpfs rw,huge=never 0 0\n",
	    0, "never");
	is("tmpfs /dev/shm tmpfs rw 0 0\ntmpfs /dev/shm tmpfs rw,huge=advise 0 0\n",
	    1, "advise");
	/* not tmpfs, another mount point, a prefix of the path, garbage */
	is("shm /dev/shm devtmpfs rw,huge=always 0 0\n", -ENOENT, NULL);
	is("tmpfs /dev/shmx tmpfs rw,huge=always 0 0\n", -ENOENT, NULL);
	is("tmpfs /run tmpfs rw,huge=always 0 0\n", -ENOENT, NULL);
	is("\n\n   \ntmpfs\ntmpfs /dev/shm\ntmpfs /dev/shm tmpfs\n", -ENOENT,
	    NULL);
	char big[3000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	is(big, -ENOENT, NULL);
	/* the machine's own answer is one of the above */
	char m[32];
	int rc = reg_huge_mode(m, sizeof(m));
	CHECK(rc == 0 || rc == 1 || rc == -ENOENT);
	return check_done("shm region_huge");
}
