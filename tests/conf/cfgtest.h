/*
 * cfgtest: helpers shared by the settings tests: the list of setting names
 * (written out again here on purpose, so the table in conf/config.c is checked
 * against an independent copy; the learner's rows come from
 * engine/learn_params.h, their one declaration) and temporary config files.
 */
#ifndef PENCHANT_TESTS_CONFIG_CFGTEST_H
#define PENCHANT_TESTS_CONFIG_CFGTEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "conf/config.h"

#define _CFGTEST_N(n, def, lo, hi, h) #n,
#define _CFGTEST_NB(n, def, h) #n,
#define _CFGTEST_NE(n, T, def, names, h) #n,
static const char *const cfgtest_names[] = {
	"instance",
	"shards",
	"producer_slots",
	"acceptor_slots",
	"ring_depth",
	"profiles_per_shard",
	"catalog_capacity",
	"names_capacity",
	"state_dir",
	"snapshot",
	"snapshot_interval_s",
	"worker_batch",
	"idle_spin_us",
	"idle_spin_share",
	"idle_spin_max_us",
	"worker_prefault",
	"restart_delay_ms",
	"log_level",
	/* The learner's rows come from their one declaration. */
	/* clang-format off */
	LRN_PARAMS(_CFGTEST_N, _CFGTEST_N, _CFGTEST_NB)
	RANK_PARAMS(_CFGTEST_N, _CFGTEST_N, _CFGTEST_NB, _CFGTEST_NE)
	/* clang-format on */
	"verbs",
	"max_id_len",
	"max_str_len",
	"max_past_days",
	"max_future_s",
	"geo_precision",
	"udp_listen",
	"tcp_listen",
	"forward_listen",
	"max_connections",
	"max_conn_buffer",
	"max_object_bytes",
	"idle_timeout_s",
	"udp_rcvbuf",
	"allow_from",
	"forward_shared_key",
	"forward_hostname",
	"segment_interval_s",
	"segments_k",
	"segments_k_min",
	"segments_k_max",
	"segment_sample",
	"segment_seed",
	"segment_low_confidence",
	"segment_min_share",
	"neighbor_items",
	"neighbor_interval_s",
	"neighbor_cpu_share",
	"neighbor_candidates",
	"neighbor_half_life_days",
	"neighbor_min_count",
	"neighbor_shrink",
	"experiment_look_s",
	"experiment_requests",
	"segment_overrides",
	"http_listen",
	"rank_listen",
	"server_threads",
	"max_request_bytes",
	"max_candidates",
	"consent_regime",
	"retention_days",
	"retention_sweep_per_s",
	"sensitive",
};
#define CFGTEST_COUNT (sizeof cfgtest_names / sizeof cfgtest_names[0])

/* A fresh temporary file name in $TMPDIR (or /tmp); caller unlinks. */
static inline void cfgtest_tmpname(char *out, size_t outlen)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	snprintf(out, outlen, "%s/penchant-cfg-XXXXXX", dir ? dir : "/tmp");
	fd = mkstemp(out);
	REQUIRE(fd >= 0);
	close(fd);
}

/* Replace path's content with len bytes of data. */
static inline void cfgtest_write(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	REQUIRE(f);
	REQUIRE(fwrite(data, 1, len, f) == len);
	REQUIRE(fclose(f) == 0);
}

static inline void cfgtest_write_str(const char *path, const char *s)
{
	cfgtest_write(path, s, strlen(s));
}

/* Does err contain every one of the given pieces? Prints what it lacks. */
static inline int cfgtest_has(const char *err, const char *piece)
{
	if (strstr(err, piece))
		return 1;
	fprintf(stderr, "message lacks \"%s\": %s\n", piece, err);
	return 0;
}

#endif
