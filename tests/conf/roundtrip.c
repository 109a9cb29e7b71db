/* config_roundtrip: cfg_print_values writes "name = value" lines that cfg_load_file reads back to an identical struct. */
#include <errno.h>
#include <string.h>

#include "cfgtest.h"

static char path[512];

static void roundtrip(const struct cfg *c)
{
	struct cfg back;
	char err[CFG_ERR_MAX] = "";
	FILE *f = fopen(path, "w");

	REQUIRE(f);
	CHECK_EQ_INT(cfg_print_values(f, c), 0);
	REQUIRE(fclose(f) == 0);
	/* start from something different, so every line must do its job */
	memset(&back, 0, sizeof back);
	CHECK_EQ_INT(cfg_load_file(&back, path, err, sizeof err), 0);
	if (*err)
		fprintf(stderr, "%s\n", err);
	CHECK(memcmp(&back, c, sizeof back) == 0);
}

int main(void)
{
	struct cfg c;
	char err[CFG_ERR_MAX], line[256], *buf = NULL;
	size_t i, len = 0;
	FILE *f;

	cfgtest_tmpname(path, sizeof path);
	cfg_defaults(&c);
	roundtrip(&c);

	/* Every name appears once, in "name = value" form. */
	f = open_memstream(&buf, &len);
	REQUIRE(f);
	CHECK_EQ_INT(cfg_print_values(f, &c), 0);
	REQUIRE(fclose(f) == 0);
	for (i = 0; i < CFGTEST_COUNT; i++) {
		snprintf(line, sizeof line, "\n%s = ", cfgtest_names[i]);
		CHECK(cfgtest_has(buf, line + (i == 0))); /* first has no \n */
	}
	CHECK(cfgtest_has(buf, "learning_rate = 0.1\n")); /* short, exact */
	CHECK(cfgtest_has(buf, "state_dir = /var/lib/penchant\n"));
	free(buf);

	/* Awkward values: doubles needing 17 digits, tiny, negative zero,
	 * strings with spaces and '#', every field changed. */
	REQUIRE(cfg_set(&c, "instance", "x-Y_9", err, sizeof err) == 0);
	REQUIRE(cfg_set(&c, "state_dir", "/a b/#c/=d", err, sizeof err) == 0);
	REQUIRE(cfg_set(&c, "shards", "64", err, sizeof err) == 0);
	REQUIRE(cfg_set(&c, "snapshot", "no", err, sizeof err) == 0);
	REQUIRE(cfg_set(&c, "log_level", "error", err, sizeof err) == 0);
	c.learn.learning_rate = 1.0 / 3.0;
	c.learn.decay_per_day = 0.99999999999999989; /* just below 1 */
	c.learn.signal_view = 5e-324;		     /* smallest subnormal */
	c.learn.signal_feedback_neg = -0.0;
	c.learn.signal_click = 0.30000000000000004;
	REQUIRE(cfg_check(&c, err, sizeof err) == 0);
	roundtrip(&c);

	/* Output that cannot be written is reported. */
	f = fopen("/dev/full", "w");
	if (f) {
		setvbuf(f, NULL, _IONBF, 0);
		CHECK_EQ_INT(cfg_print_values(f, &c), -EIO);
		fclose(f);
	}
	unlink(path);
	return check_done("config_roundtrip");
}
