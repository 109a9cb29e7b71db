/* config_defaults: every setting starts at its documented default, and the defaults pass cfg_check. */
#include <string.h>

#include "cfgtest.h"

int main(void)
{
	struct cfg c, again;
	char err[CFG_ERR_MAX] = "";

	memset(&c, 0xa5, sizeof c); /* defaults must not depend on the input */
	cfg_defaults(&c);

	CHECK(strcmp(c.instance, "default") == 0);
	CHECK_EQ_INT(c.shards, 0);
	CHECK_EQ_INT(c.producer_slots, 16);
	CHECK_EQ_INT(c.acceptor_slots, 1);
	CHECK_EQ_INT(c.ring_depth, 4096);
	CHECK_EQ_INT(c.profiles_per_shard, 262144);
	CHECK_EQ_INT(c.catalog_capacity, 65536);
	CHECK_EQ_INT(c.names_capacity, 65536);
	CHECK_EQ_INT(c.experiment_requests, 131072); /* 2 MiB a shard */
	CHECK(strcmp(c.state_dir, "/var/lib/penchant") == 0);
	CHECK(c.snapshot == true);
	CHECK_EQ_INT(c.worker_batch, 64);
	CHECK_EQ_INT(c.idle_spin_us, 50);
	CHECK_EQ_INT(c.restart_delay_ms, 100);
	CHECK_EQ_INT(c.log_level, CFG_LOG_INFO);
	CHECK(c.learn.learning_rate == 0.1);
	CHECK(c.learn.decay_per_day == 0.95);
	CHECK(c.learn.signal_view == 0.1);
	CHECK(c.learn.signal_click == 0.3);
	CHECK(c.learn.signal_rsvp == 1.0);
	CHECK(c.learn.signal_save == 0.8);
	CHECK(c.learn.signal_share == 0.7);
	CHECK(c.learn.signal_search == 0.1);
	CHECK(c.learn.signal_feedback_pos == 0.9);
	CHECK(c.learn.signal_feedback_neg == -0.5);
	CHECK_EQ_INT(c.max_id_len, 256);
	CHECK_EQ_INT(c.max_str_len, 64);
	CHECK_EQ_INT(c.max_past_days, 36500);
	CHECK_EQ_INT(c.max_future_s, 86400);
	CHECK_EQ_INT(c.geo_precision, 6);

	CHECK_EQ_INT(cfg_check(&c, err, sizeof err), 0);

	/* Padding is zeroed too, so two default structs compare equal. */
	memset(&again, 0x5a, sizeof again);
	cfg_defaults(&again);
	CHECK(memcmp(&c, &again, sizeof c) == 0);

	/* shards = 0 means one per online CPU, at least 1, capped. */
	CHECK(cfg_effective_shards(&c) >= 1);
	CHECK(cfg_effective_shards(&c) <= CFG_SHARDS_MAX);
	{
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		if (n >= 1 && n <= CFG_SHARDS_MAX)
			CHECK_EQ_INT(cfg_effective_shards(&c), n);
	}
	c.shards = 7;
	CHECK_EQ_INT(cfg_effective_shards(&c), 7);

	return check_done("config_defaults");
}
