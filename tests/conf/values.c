/* config_values: cfg_set accepts each type's spellings and rejects garbage with a message naming the setting, the value and the range. */
#include <errno.h>
#include <string.h>

#include "cfgtest.h"

/* cfg_set(name, value) must fail with -EINVAL, leave c alone, and say
 * "name: " ... range in its message. */
static void bad(const char *name, const char *value, const char *range)
{
	struct cfg c, before;
	char err[CFG_ERR_MAX] = "", prefix[64];
	int rc;

	cfg_defaults(&c);
	before = c;
	rc = cfg_set(&c, name, value, err, sizeof err);
	if (rc != -EINVAL)
		fprintf(stderr, "%s = '%s' gave %d, want -EINVAL\n", name,
		    value, rc);
	CHECK_EQ_INT(rc, -EINVAL);
	CHECK(memcmp(&c, &before, sizeof c) == 0);
	snprintf(prefix, sizeof prefix, "%s: ", name);
	CHECK(strncmp(err, prefix, strlen(prefix)) == 0);
	CHECK(cfgtest_has(err, range));
	CHECK(strchr(err, '\n') == NULL);
}

static struct cfg good(const char *name, const char *value)
{
	struct cfg c;
	char err[CFG_ERR_MAX] = "";
	int rc;

	cfg_defaults(&c);
	rc = cfg_set(&c, name, value, err, sizeof err);
	if (rc)
		fprintf(stderr, "%s = '%s': %s\n", name, value, err);
	CHECK_EQ_INT(rc, 0);
	return c;
}

/* The garbage every numeric setting must reject. */
static const char *const garbage[] = {
	"",
	"-1",
	"+1",
	"1e",
	"0x",
	" 5",
	"5 ",
	"5\t",
	"nan",
	"inf",
	"-inf",
	"abc",
	"1,5",
	"5x",
	"0x1g",
	"\x01",
	"\xff",
};

static void check_uint(void)
{
	size_t i;

	for (i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
		bad("shards", garbage[i], "0..64");
		bad("ring_depth", garbage[i], "64..1048576");
		bad("experiment_requests", garbage[i], "1024..16777216");
	}
	bad("shards", "1.0", "0..64");
	bad("shards", "99", "0..64");
	bad("shards", "65", "0..64");
	bad("shards", "18446744073709551616", "0..64"); /* 2^64 */
	bad("shards", "99999999999999999999999999999999", "0..64");
	bad("shards", "0xffffffffffffffffff", "0..64");
	bad("producer_slots", "1", "2..256");
	bad("producer_slots", "257", "2..256");
	bad("geo_precision", "0", "1..12");
	bad("max_future_s", "31536001", "0..31536000");
	bad("profiles_per_shard", "4294967296", "1024..16777216");

	/* The spec's example message, word for word up to the help text. */
	{
		struct cfg c;
		char err[CFG_ERR_MAX];

		cfg_defaults(&c);
		CHECK_EQ_INT(cfg_set(&c, "shards", "99", err, sizeof err),
		    -EINVAL);
		CHECK(cfgtest_has(err,
		    "shards: '99' is out of range 0..64 (shard worker processes; 0 = one per online CPU)"));
	}

	CHECK_EQ_INT(good("shards", "0").shards, 0);
	CHECK_EQ_INT(good("shards", "64").shards, 64);
	CHECK_EQ_INT(good("shards", "0x10").shards, 16);
	CHECK_EQ_INT(good("shards", "0X0a").shards, 10);
	CHECK_EQ_INT(good("shards", "007").shards, 7); /* decimal, not octal */
	CHECK_EQ_INT(good("max_future_s", "31536000").max_future_s, 31536000);
	CHECK_EQ_INT(good("profiles_per_shard", "16777216").profiles_per_shard,
	    16777216);
}

static void check_pow2(void)
{
	static const unsigned ok[] = { 64, 128, 1024, 4096, 65536, 1048576 };
	static const char *const no[] = { "65", "100", "1000", "4095", "4097",
		"1048575", "0x3000" };
	char text[32];
	size_t i;

	for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		snprintf(text, sizeof text, "%u", ok[i]);
		CHECK_EQ_INT(good("ring_depth", text).ring_depth, ok[i]);
	}
	for (i = 0; i < sizeof no / sizeof no[0]; i++)
		bad("ring_depth", no[i], "64..1048576, power of two");
	bad("ring_depth", "1000", "not a power of two");
	/* Powers of two outside the range are still out of range. */
	bad("ring_depth", "32", "out of range 64..1048576");
	bad("ring_depth", "2097152", "out of range 64..1048576");

	/* The experiment request table per shard, sized at startup. */
	CHECK_EQ_INT(good("experiment_requests", "1024").experiment_requests,
	    1024);
	CHECK_EQ_INT(good("experiment_requests", "0x1000000")
			 .experiment_requests,
	    16777216);
	bad("experiment_requests", "100000",
	    "experiment_requests: '100000' is not a power of two");
	bad("experiment_requests", "0", "out of range 1024..16777216");
	bad("experiment_requests", "512", "out of range 1024..16777216");
	bad("experiment_requests", "33554432", "out of range 1024..16777216");
	bad("experiment_requests", "4294967296", "1024..16777216");
}

static void check_double(void)
{
	size_t i;

	for (i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
		if (strcmp(garbage[i], "-1") == 0 ||
		    strcmp(garbage[i], "+1") == 0)
			continue; /* syntactically fine doubles, see below */
		bad("learning_rate", garbage[i], "0..1");
	}
	bad("learning_rate", "-1", "0..1");
	bad("learning_rate", "+1.5", "0..1");
	bad("learning_rate", "1.0000001", "0..1");
	bad("learning_rate", "NAN", "0..1");
	bad("learning_rate", "infinity", "0..1");
	bad("learning_rate", "1e999", "0..1"); /* overflows to inf */
	bad("decay_per_day", "0.009", "0.01..1");
	bad("signal_view", "5.01", "0..5");
	bad("signal_feedback_pos", "-0.1", "0..5");
	bad("signal_feedback_neg", "0.1", "-5..0");
	bad("signal_feedback_neg", "-5.5", "-5..0");
	bad("signal_feedback_neg", "nan", "-5..0");
	/* decimal only: strtod's hex floats are not a person's numbers */
	bad("decay_per_day", "0x1p-2", "0.01..1");
	bad("learning_rate", "0X.8P0", "0..1");
	/* empty entries of a list are slips, as in the listen lists */
	bad("sensitive", "health,,religion", "an empty name");
	bad("sensitive", ",", "an empty name");
	CHECK(good("sensitive", "health, religion").sensitive[0] == 'h');
	/* a list's own message whole, not cut mid-word */
	bad("segment_overrides", "3:colour=red",
	    "explore_weight and context_weight 0..5)");

	CHECK(good("learning_rate", "0").learn.learning_rate == 0.0);
	CHECK(good("learning_rate", "1").learn.learning_rate == 1.0);
	CHECK(good("learning_rate", "+0.25").learn.learning_rate == 0.25);
	CHECK(good("learning_rate", "2.5e-1").learn.learning_rate == 0.25);
	CHECK(good("learning_rate", ".5").learn.learning_rate == 0.5);
	CHECK(good("decay_per_day", "0.01").learn.decay_per_day == 0.01);
	CHECK(good("signal_feedback_neg", "-5").learn.signal_feedback_neg ==
	    -5.0);
	CHECK(
	    good("signal_feedback_neg", "0").learn.signal_feedback_neg == 0.0);
	CHECK(good("signal_rsvp", "5").learn.signal_rsvp == 5.0);
	CHECK(good("signal_click", "1e-3").learn.signal_click == 0.001);
}

static void check_bool(void)
{
	static const char *const t[] = { "true", "yes", "on", "1", "TRUE",
		"Yes", "ON" };
	static const char *const f[] = { "false", "no", "off", "0", "False",
		"NO", "Off" };
	static const char *const no[] = { "", "2", "y", "n", "tru", " true",
		"true ", "enable", "-1", "nan", "01" };
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct cfg c = good("snapshot", "false");
		char err[CFG_ERR_MAX];

		CHECK_EQ_INT(cfg_set(&c, "snapshot", t[i], err, sizeof err), 0);
		CHECK(c.snapshot == true);
	}
	for (i = 0; i < sizeof f / sizeof f[0]; i++)
		CHECK(good("snapshot", f[i]).snapshot == false);
	for (i = 0; i < sizeof no / sizeof no[0]; i++)
		bad("snapshot", no[i], "true, false");
}

static void check_enum(void)
{
	static const char *const no[] = { "", "verbose", "inf", "0", "3",
		"warning", " info", "info ", "err" };
	size_t i;

	CHECK_EQ_INT(good("log_level", "error").log_level, CFG_LOG_ERROR);
	CHECK_EQ_INT(good("log_level", "warn").log_level, CFG_LOG_WARN);
	CHECK_EQ_INT(good("log_level", "info").log_level, CFG_LOG_INFO);
	CHECK_EQ_INT(good("log_level", "debug").log_level, CFG_LOG_DEBUG);
	CHECK_EQ_INT(good("log_level", "DEBUG").log_level, CFG_LOG_DEBUG);
	for (i = 0; i < sizeof no / sizeof no[0]; i++)
		bad("log_level", no[i], "error, warn, info, debug");
	/* The ranker's enum row. */
	CHECK_EQ_INT(good("diversifier", "mmr").rank.diversifier, RANK_DIV_MMR);
	CHECK_EQ_INT(good("diversifier", "dpp").rank.diversifier, RANK_DIV_DPP);
	CHECK_EQ_INT(good("diversifier", "DPP").rank.diversifier, RANK_DIV_DPP);
	bad("diversifier", "1", "mmr, dpp");
	bad("diversifier", "max", "mmr, dpp");
}

static void check_strings(void)
{
	char longv[600], msg[CFG_ERR_MAX];
	struct cfg c;

	memset(longv, 'a', sizeof longv - 1);
	longv[sizeof longv - 1] = '\0';

	CHECK(strcmp(good("instance", "prod-eu_1").instance, "prod-eu_1") == 0);
	longv[32] = '\0';
	CHECK(strcmp(good("instance", longv).instance, longv) == 0);
	longv[32] = 'a';
	bad("instance", "", "1..32 chars of [A-Za-z0-9_-]");
	bad("instance", longv, "1..32 chars of [A-Za-z0-9_-]");
	bad("instance", "a/b", "[A-Za-z0-9_-]");
	bad("instance", "-x", "at byte 1");
	CHECK(strcmp(good("instance", "x-").instance, "x-") == 0);
	CHECK(strcmp(good("verbs", "wishlist:0.6, play:-0.2").verbs,
		  "wishlist:0.6, play:-0.2") == 0);
	CHECK(strcmp(good("verbs", "").verbs, "") == 0);
	bad("verbs", "view:1", "is a built-in verb");
	bad("verbs", "a:1,a:2", "given twice");
	bad("verbs", "x:9", "not a number in -5..5");
	bad("verbs", "unknown_type:1", "reserved name");
	bad("verbs", "wish:0x1p-1", "not a number in -5..5");
	bad("verbs", "wish:+1", "not a number in -5..5");
	bad("verbs", "wish list:1", "bad verb name");
	bad("verbs", "a:1,b:1,c:1,d:1,e:1,f:1,g:1", "more than 6");
	bad("verbs", "x", "comma-separated name:signal");
	bad("instance", "a b", "[A-Za-z0-9_-]");
	bad("instance", "a.b", "[A-Za-z0-9_-]");
	bad("instance", "caf\xc3\xa9", "[A-Za-z0-9_-]");
	bad("instance", "x\n", "[A-Za-z0-9_-]");

	CHECK(strcmp(good("state_dir", "/").state_dir, "/") == 0);
	CHECK(strcmp(good("state_dir", "/srv/pen chant/#1").state_dir,
		  "/srv/pen chant/#1") == 0);
	bad("state_dir", "", "absolute path, 1..200 chars");
	bad("state_dir", "var/lib", "absolute path");
	bad("state_dir", "./x", "absolute path");
	bad("state_dir", " /x", "absolute path");
	bad("state_dir", "/x ", "absolute path");
	bad("state_dir", "/x\ny", "absolute path");
	bad("state_dir", "/x\x1b[2J", "absolute path");
	longv[0] = '/';
	longv[200] = '\0';
	CHECK_EQ_INT(strlen(good("state_dir", longv).state_dir), 200);
	longv[200] = 'a';
	bad("state_dir", longv, "1..200 chars");

	/* A hostile value is echoed cut short and escaped: one short line. */
	cfg_defaults(&c);
	CHECK_EQ_INT(cfg_set(&c, "instance", longv, msg, sizeof msg), -EINVAL);
	CHECK(strlen(msg) < 400);
	CHECK(cfgtest_has(msg, "...")); /* cut */
	CHECK(cfgtest_has(msg, "too long (599 chars)"));
	CHECK_EQ_INT(cfg_set(&c, "state_dir", "/a\x1b\n", msg, sizeof msg),
	    -EINVAL);
	CHECK(cfgtest_has(msg, "'/a\\x1b\\x0a'"));
}

static void check_err_buffers(void)
{
	struct cfg c;
	char tiny[8];

	cfg_defaults(&c);
	/* NULL or tiny message buffers are fine: the code still comes back. */
	CHECK_EQ_INT(cfg_set(&c, "shards", "99", NULL, 0), -EINVAL);
	CHECK_EQ_INT(cfg_set(&c, "shards", "99", tiny, sizeof tiny), -EINVAL);
	CHECK(strlen(tiny) == sizeof tiny - 1);
	CHECK_EQ_INT(cfg_set(&c, "shards", "3", NULL, 0), 0);
	CHECK_EQ_INT(c.shards, 3);
	/* Dashes work like underscores in names everywhere. */
	CHECK_EQ_INT(cfg_set(&c, "ring-depth", "128", NULL, 0), 0);
	CHECK_EQ_INT(c.ring_depth, 128);
	CHECK_EQ_INT(cfg_set(NULL, "shards", "1", NULL, 0), -EINVAL);
	CHECK_EQ_INT(cfg_set(&c, NULL, "1", NULL, 0), -EINVAL);
	CHECK_EQ_INT(cfg_set(&c, "shards", NULL, NULL, 0), -EINVAL);
}

int main(void)
{
	check_uint();
	check_pow2();
	check_double();
	check_bool();
	check_enum();
	check_strings();
	check_err_buffers();
	return check_done("config_values");
}
