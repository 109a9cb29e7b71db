/* config_help: --help text and the markdown list every setting with its type, default and range. */
#include <string.h>

#include "cfgtest.h"

/* Everything f printed, as one string (caller frees). */
static char *capture(void (*print)(FILE *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	REQUIRE(f);
	print(f);
	REQUIRE(fclose(f) == 0);
	return buf;
}

int main(void)
{
	char *help = capture(cfg_print_help), *md = capture(cfg_print_markdown);
	char piece[128];
	size_t i, j;

	for (i = 0; i < CFGTEST_COUNT; i++) {
		char dashed[64];

		snprintf(dashed, sizeof dashed, "%s", cfgtest_names[i]);
		for (j = 0; dashed[j]; j++)
			if (dashed[j] == '_')
				dashed[j] = '-';
		snprintf(piece, sizeof piece, "%s", dashed);
		CHECK(cfgtest_has(help, piece));
		snprintf(piece, sizeof piece, "| `%s` |", cfgtest_names[i]);
		CHECK(cfgtest_has(md, piece));
	}
	/* Samples of type, default and range, in both. */
	CHECK(cfgtest_has(help,
	    "--ring-depth=UINT  (default 4096; 64..1048576, power of two)"));
	CHECK(cfgtest_has(help, "--[no-]snapshot  (bool, default true)"));
	CHECK(cfgtest_has(help,
	    "--log-level=LEVEL  (default info; error, warn, info, debug)"));
	CHECK(cfgtest_has(help,
	    "--state-dir=STRING  (default \"/var/lib/penchant\"; absolute path"));
	CHECK(cfgtest_has(help, "--learning-rate=DOUBLE  (default 0.1; 0..1)"));
	CHECK(cfgtest_has(help, "acceptor_slots < producer_slots"));
	CHECK(cfgtest_has(md,
	    "| `ring_depth` | uint | `4096` | 64..1048576, power of two | records per (producer, shard) ring |"));
	CHECK(cfgtest_has(md,
	    "| `signal_feedback_neg` | double | `-0.5` | -5..0 |"));
	CHECK(cfgtest_has(md,
	    "| `state_dir` | string | `/var/lib/penchant` | absolute path, 1..200 chars |"));
	CHECK(cfgtest_has(md, "print_settings_md > docs/SETTINGS.md"));
	/* One table row per setting, nothing more. */
	{
		size_t rows = 0;
		const char *p;

		for (p = md; (p = strstr(p, "\n| `")); p++)
			rows++;
		CHECK_EQ_INT(rows, CFGTEST_COUNT);
	}
	free(help);
	free(md);
	return check_done("config_help");
}
