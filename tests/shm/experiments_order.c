/* experiments_order: a user open to several experiments is taken by the first in the last load's file, whatever slots the load history gave them. */
#include <string.h>

#include "expdef.h"
#include "shm/experiments.h"
#include "shmtest.h"

#define NOW_MS 1800000000000LL

static struct reg g_r;

static void load(const struct exp_def *d, unsigned n)
{
	char err[256] = "";
	REQUIRE(expb_lock(&g_r, err, sizeof(err)) == 0);
	REQUIRE(expb_load(&g_r, d, n, NOW_MS, err, sizeof(err)) == 0);
	expb_unlock(&g_r, true);
}

/* The name of the experiment that takes each of 200 users, if one
 * takes them all; "" otherwise. */
static const char *taker(void)
{
	static char name[EXP_NAME_MAX + 1];
	int first = -2;
	for (uint64_t u = 1; u <= 200; u++) {
		unsigned arm, seen;
		struct exp_variant v;
		int i = expb_choose(&g_r, u, NOW_MS, -1, false, &arm, &seen, &v,
		    NULL);
		if (first != -2 && i != first)
			return "";
		first = i;
	}
	struct exp_view v;
	REQUIRE(first >= 0 && expb_read(&g_r, (unsigned)first, &v) == 0);
	snprintf(name, sizeof(name), "%s", v.def.name);
	return name;
}

int main(void)
{
	st_init(30);
	const char *inst = st_instance("exp-order");
	struct reg_geometry g = st_geo(1, 1, 16, 64, 64, 32);
	st_create(&g_r, inst, &g, REG_RUNNING);
	struct exp_def a = exptest_def("A", 0, 1), b = exptest_def("B", 0, 1);
	load(&a, 1); /* A in slot 0 */
	struct exp_def ba[2] = { b, a }, ab[2] = { a, b };
	load(ba, 2); /* B in slot 1, but first in the file */
	CHECK(!strcmp(taker(), "B"));
	load(ab, 2);
	CHECK(!strcmp(taker(), "A"));
	load(ba, 2);
	CHECK(!strcmp(taker(), "B"));
	reg_detach(&g_r);
	reg_unlink(inst);
	return check_done("shm experiments_order");
}
