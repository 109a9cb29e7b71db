/*
 * client (internal side): what penchant's own tools need from a pen_t
 * beyond the public header. Not installed.
 */
#ifndef PENCHANT_IPC_CLIENT_H
#define PENCHANT_IPC_CLIENT_H

#include "penchant.h"
#include "shm/region.h"

/* The region the handle is attached to. */
const struct reg *client_region(const pen_t *p);

/*
 * A raw profile as the public struct (what pen_profile_read returns), with
 * engagement judged as of as_of_ms: the wall clock for live reads, the
 * log's last event time for a replay.
 */
void client_profile_export(const pen_t *p, const struct lrn_profile *lp,
    struct pen_profile *out, int flags, int64_t as_of_ms);

/*
 * The profile of user_id as the region holds it now (a consistent copy):
 * 0, -ENOENT (none; a record that only keeps a consent decision counts as
 * found), -EINPROGRESS while the region loads, or prof_read's error.
 * -EINVAL for NULLs.
 */
int client_profile_of(pen_t *p, const char *user_id, size_t len,
    struct lrn_profile *out);

/* 0 when the region runs, -EINPROGRESS while it loads, else -ESHUTDOWN. */
int client_ready(const pen_t *p);
/* For reads: 0 also while it drains; -ESHUTDOWN once it stopped (the
 * handle outlived its instance: reopen). */
int client_readable(const pen_t *p);
/* client_ready, and -ESHUTDOWN when the supervisor's heartbeat is over
 * 10 s old (killed without a stop: nothing drains the rings). */
int client_alive(const pen_t *p);

/* The handle's rank scratch, grown to `bytes` (NULL: out of memory). */
void *client_rank_scratch(pen_t *p, size_t bytes);

/*
 * The segments table as the segmenter last published it: the handle's
 * copy, made again only when the published version moved (a version is
 * read under the table's sequence lock; the table, about 6 KiB, only
 * then). NULL before the first refresh, when out of memory, or when the
 * table stays busy. Valid until the next call on the handle.
 */
const struct seg_table *client_segments(pen_t *p);

/*
 * What pen_rerank gives the ranker for a candidate of category cat
 * (rank_cand.global_ctr and trend), from the serving statistics the
 * workers keep, summed over shards, at now_ms: *ctr the category's click
 * rate (actions / impressions; negative below CLIENT_CTR_MIN_IMPRESSIONS
 * impressions, too few to say), *trend the positives of the latest event
 * day over those of the day before scaled to the share of today already
 * past, each + 1 (a rising category reads above 1 by afternoon).
 * Category 0: unknown (-1 and 0). `penchant eval` and `simulate` call it
 * too, so what they measure is what is served.
 */
#define CLIENT_CTR_MIN_IMPRESSIONS 20
void client_cat_rates(const struct reg *r, uint32_t cat, int64_t now_ms,
    float *ctr, float *trend);

/* The next request sequence number of the handle. */
uint32_t client_rank_seq(pen_t *p);

/* Publishes ready ring records (as pen_publish_prepared). */
static inline int client_publish_records(pen_t *p, const struct evt_record *r,
    size_t n, int flags, size_t *done)
{
	return pen_publish_prepared(p, (const struct pen_prepared *)r, n, flags,
	    done);
}

#endif
