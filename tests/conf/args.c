/* config_args: the command line sets values left to right: --name=value, --name value, --flag, --no-flag, --config FILE, '--' and positionals. */
#include <errno.h>
#include <string.h>

#include "cfgtest.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

static char path[512];

static int parse(struct cfg *c, int argc, char **argv, int *first, char *err,
    size_t errlen)
{
	cfg_defaults(c);
	*err = '\0';
	return cfg_parse_args(c, argc, argv, first, err, errlen);
}

static void forms(void)
{
	char *argv[] = { "penchantd", "--shards=3", "--ring-depth", "256",
		"--ring_depth=512", "--state-dir", "/tmp/p", "--no-snapshot",
		"--log-level=warn", "--signal-feedback-neg", "-1", "in.log",
		"--shards=9" };
	char err[CFG_ERR_MAX];
	struct cfg c;
	int first = -1;

	CHECK_EQ_INT(parse(&c, ARGC(argv), argv, &first, err, sizeof err), 0);
	CHECK_EQ_INT(c.shards, 3); /* stopped at in.log */
	CHECK_EQ_INT(c.ring_depth, 512);
	CHECK(strcmp(c.state_dir, "/tmp/p") == 0);
	CHECK(c.snapshot == false);
	CHECK_EQ_INT(c.log_level, CFG_LOG_WARN);
	CHECK(c.learn.signal_feedback_neg == -1.0);
	CHECK_EQ_INT(first, 11);

	/* Booleans: bare flag is true, --no- is false, =value any spelling. */
	{
		char *a1[] = { "p", "--no-snapshot", "--snapshot" };
		char *a2[] = { "p", "--snapshot=no" };
		char *a3[] = { "p", "--no_snapshot" };

		CHECK_EQ_INT(parse(&c, ARGC(a1), a1, &first, err, sizeof err),
		    0);
		CHECK(c.snapshot == true);
		CHECK_EQ_INT(first, 3);
		CHECK_EQ_INT(parse(&c, ARGC(a2), a2, &first, err, sizeof err),
		    0);
		CHECK(c.snapshot == false);
		CHECK_EQ_INT(parse(&c, ARGC(a3), a3, &first, err, sizeof err),
		    0);
		CHECK(c.snapshot == false);
	}
	/* A boolean never eats the next word: "yes" is a positional. */
	{
		char *a[] = { "p", "--no-snapshot", "--snapshot", "no" };

		CHECK_EQ_INT(parse(&c, ARGC(a), a, &first, err, sizeof err), 0);
		CHECK(c.snapshot == true);
		CHECK_EQ_INT(first, 3);
	}
	/* argv[0] only, and argc == 0. */
	{
		char *a[] = { "p" };

		CHECK_EQ_INT(parse(&c, 1, a, &first, err, sizeof err), 0);
		CHECK_EQ_INT(first, 1);
		CHECK_EQ_INT(parse(&c, 0, a, &first, err, sizeof err), 0);
		CHECK_EQ_INT(first, 0);
	}
}

static void config_order(void)
{
	char err[CFG_ERR_MAX];
	struct cfg c;
	int first;
	char cfgarg[600];

	cfgtest_write_str(path,
	    "shards = 5\nworker_batch = 7\n"
	    "log_level = error\n");
	{
		/* before --config: overridden by the file; after: wins */
		char *a[] = { "p", "--shards=2", "--log-level=debug",
			"--config", path, "--worker-batch", "9" };

		CHECK_EQ_INT(parse(&c, ARGC(a), a, &first, err, sizeof err), 0);
		CHECK_EQ_INT(c.shards, 5);
		CHECK_EQ_INT(c.worker_batch, 9);
		CHECK_EQ_INT(c.log_level, CFG_LOG_ERROR);
		CHECK_EQ_INT(first, 7);
	}
	snprintf(cfgarg, sizeof cfgarg, "--config=%s", path);
	{
		char *a[] = { "p", cfgarg, "--shards", "1" };

		CHECK_EQ_INT(parse(&c, ARGC(a), a, &first, err, sizeof err), 0);
		CHECK_EQ_INT(c.shards, 1);
		CHECK_EQ_INT(c.worker_batch, 7);
	}
	/* A bad file fails the whole parse with FILE:LINE, c unchanged. */
	cfgtest_write_str(path, "shards = 5\nring_depth = 3\n");
	{
		char *a[] = { "p", "--shards=2", "--config", path };
		struct cfg before;

		cfg_defaults(&before);
		CHECK_EQ_INT(parse(&c, ARGC(a), a, &first, err, sizeof err),
		    -EINVAL);
		CHECK(cfgtest_has(err, ":2: ring_depth: '3'"));
		CHECK(memcmp(&c, &before, sizeof c) == 0);
	}
	{
		char *a[] = { "p", "--config", "/nonexistent/penchant.conf" };

		CHECK_EQ_INT(parse(&c, ARGC(a), a, &first, err, sizeof err),
		    -ENOENT);
		CHECK(cfgtest_has(err, "/nonexistent/penchant.conf: "));
	}
}

static void double_dash(void)
{
	char err[CFG_ERR_MAX];
	struct cfg c;
	int first;

	{
		char *a[] = { "p", "--shards=2", "--", "--shards=3", "x" };

		CHECK_EQ_INT(parse(&c, ARGC(a), a, &first, err, sizeof err), 0);
		CHECK_EQ_INT(c.shards, 2);
		CHECK_EQ_INT(first, 3);
	}
	{
		char *a[] = { "p", "--" };

		CHECK_EQ_INT(parse(&c, ARGC(a), a, &first, err, sizeof err), 0);
		CHECK_EQ_INT(first, 2);
	}
	{
		char *a[] = { "p", "-", "--shards=3" }; /* "-" is positional */

		CHECK_EQ_INT(parse(&c, ARGC(a), a, &first, err, sizeof err), 0);
		CHECK_EQ_INT(c.shards, 0);
		CHECK_EQ_INT(first, 1);
	}
	/* No room for positionals: they are an error. */
	{
		char *a[] = { "p", "--shards=2", "extra" };

		CHECK_EQ_INT(parse(&c, ARGC(a), a, NULL, err, sizeof err),
		    -EINVAL);
		CHECK(cfgtest_has(err, "'extra'"));
		CHECK_EQ_INT(c.shards, 0);
	}
	{
		char *a[] = { "p", "--shards=2", "--" };

		CHECK_EQ_INT(parse(&c, ARGC(a), a, NULL, err, sizeof err), 0);
		CHECK_EQ_INT(c.shards, 2);
	}
}

/* argv must fail with code, c unchanged, err containing piece. */
static void fails(int argc, char **argv, int code, const char *piece)
{
	char err[CFG_ERR_MAX];
	struct cfg c, before;
	int first = -7;

	cfg_defaults(&before);
	CHECK_EQ_INT(parse(&c, argc, argv, &first, err, sizeof err), code);
	CHECK(memcmp(&c, &before, sizeof c) == 0);
	CHECK_EQ_INT(first, -7);
	CHECK(cfgtest_has(err, piece));
}

static void errors(void)
{
	char *a1[] = { "p", "--shards" };
	char *a2[] = { "p", "--ring-depth=100" };
	char *a3[] = { "p", "--ring-dpeth=128" };
	char *a4[] = { "p", "--no-shards" };
	char *a5[] = { "p", "--no-snapshot=yes" };
	char *a6[] = { "p", "-s", "3" };
	char *a7[] = { "p", "--help" };
	char *a8[] = { "p", "--shards", "--ring-depth=128" };
	char *a9[] = { "p", "--config" };
	char *a10[] = { "p", "--confg", "x" };
	char *a11[] = { "p", "--no-snapshots" };
	char *a12[] = { "p", "--shards=1", "--instance=" };
	char *a13[] = { "p", "--snapshot=maybe" };
	char *a14[] = { "p", "--=3" };

	fails(ARGC(a1), a1, -EINVAL, "--shards needs a value");
	fails(ARGC(a1), a1, -EINVAL, "0..64");
	fails(ARGC(a2), a2, -EINVAL, "ring_depth: '100' is not a power of two");
	fails(ARGC(a3), a3, -ENOENT, "did you mean '--ring-depth'?");
	fails(ARGC(a4), a4, -EINVAL, "only boolean settings");
	fails(ARGC(a5), a5, -EINVAL, "takes no value");
	fails(ARGC(a6), a6, -EINVAL, "unknown option '-s'");
	fails(ARGC(a7), a7, -ENOENT, "unknown option '--help'");
	fails(ARGC(a8), a8, -EINVAL, "--shards needs a value, got option");
	fails(ARGC(a9), a9, -EINVAL, "--config needs a value");
	fails(ARGC(a10), a10, -ENOENT, "did you mean '--config'?");
	fails(ARGC(a11), a11, -ENOENT, "did you mean '--no-snapshot'?");
	fails(ARGC(a12), a12, -EINVAL, "instance: ''");
	fails(ARGC(a13), a13, -EINVAL, "snapshot: 'maybe' is not a boolean");
	fails(ARGC(a14), a14, -ENOENT, "unknown option");
}

int main(void)
{
	cfgtest_tmpname(path, sizeof path);
	forms();
	config_order();
	double_dash();
	errors();
	unlink(path);
	return check_done("config_args");
}
