/* config_unknown: an unknown setting name is rejected with -ENOENT and the closest known name is suggested. */
#include <errno.h>
#include <string.h>

#include "cfgtest.h"

static void suggests(const char *typed, const char *want)
{
	struct cfg c, before;
	char err[CFG_ERR_MAX] = "", piece[128];

	cfg_defaults(&c);
	before = c;
	CHECK_EQ_INT(cfg_set(&c, typed, "1", err, sizeof err), -ENOENT);
	CHECK(memcmp(&c, &before, sizeof c) == 0);
	CHECK(cfgtest_has(err, "unknown setting"));
	snprintf(piece, sizeof piece, "did you mean '%s'?", want);
	CHECK(cfgtest_has(err, piece));
}

static void no_suggestion(const char *typed)
{
	struct cfg c;
	char err[CFG_ERR_MAX] = "";

	cfg_defaults(&c);
	CHECK_EQ_INT(cfg_set(&c, typed, "1", err, sizeof err), -ENOENT);
	CHECK(cfgtest_has(err, "unknown setting"));
	if (strstr(err, "did you mean"))
		fprintf(stderr, "unexpected suggestion for '%s': %s\n", typed,
		    err);
	CHECK(strstr(err, "did you mean") == NULL);
	CHECK(strlen(err) < 300);
}

int main(void)
{
	suggests("shard", "shards");
	suggests("sharts", "shards");
	suggests("ring_dpeth", "ring_depth");
	suggests("ringdepth", "ring_depth");
	suggests("ring", "ring_depth");
	suggests("RING_DEPTH", "ring_depth");
	suggests("producer_slot", "producer_slots");
	suggests("acceptor-slot", "acceptor_slots");
	suggests("statedir", "state_dir");
	suggests("snapshots", "snapshot");
	suggests("loglevel", "log_level");
	suggests("learning_rat", "learning_rate");
	suggests("signal_veiw", "signal_view");
	suggests("signal_feedback_negative", "signal_feedback_neg");
	suggests("geo_precission", "geo_precision");
	suggests("max_id_length", "max_id_len");
	suggests("instnace", "instance");

	no_suggestion("");
	no_suggestion("zzzzzzzzzz");
	no_suggestion("completely_unrelated_setting_name");
	{
		char huge[5000];

		memset(huge, 'q', sizeof huge - 1);
		huge[sizeof huge - 1] = '\0';
		no_suggestion(huge);
	}
	return check_done("config_unknown");
}
