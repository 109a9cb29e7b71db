/*
 * segment: behavioral segments of an instance's users, kept in the region
 * (struct seg_block, written only by the segmenter, read by anyone).
 *
 * A refresh (seg_refresh) copies every profile of every shard through its
 * seqlock (the workers keep running), computes each user's features
 * (engine/features.h), standardizes them, clusters them with k-means++
 * (engine/cluster.h; k fixed or chosen by silhouette on a sample),
 * carries segment ids over from the previous table (centroids matched,
 * so dashboards and experiments do not reshuffle), names each segment by
 * its dominant traits, maps it to a strategy of the problem statement
 * (interest_focused, social_driven, exploration_heavy, location_centric)
 * with the ranking parameters that strategy uses, measures it (size,
 * engagement, click rate from the members' impressions and actions, drift
 * rate) and keeps its interest distribution, the prior the ranker blends
 * into sparse profiles. The new table is published into the buffer
 * readers are not using; readers copy a table under its sequence lock and
 * never see a half-written one. A segmenter killed mid-refresh leaves the
 * previous table readable.
 *
 * A user's segment is computed when asked (seg_assign): the features of
 * the profile, standardized with the table's scaler, nearest centroid.
 * Nothing per user is stored, so a new user has a segment as soon as they
 * have events.
 */
#ifndef PENCHANT_SHM_SEGMENT_H
#define PENCHANT_SHM_SEGMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "conf/config.h"
#include "engine/features.h"
#include "engine/segpolicy.h"
#include "shm/region.h"

/* Options of a refresh, from the settings. */
struct seg_options {
	unsigned k; /* 0: choose in k_min .. k_max by silhouette */
	unsigned k_min, k_max;
	uint64_t seed;
	unsigned sample;       /* rows k is chosen on */
	const char *overrides; /* segment_overrides, may be NULL */
	int64_t as_of_ms;      /* features as of; 0: the wall clock */
	float low_confidence;  /* assignments below are flagged */
	double min_share;      /* a chosen k (k 0) gives way to a smaller one
				* while a segment holds fewer users */
	/* NULL, or called once the profiles are copied and before their
	 * members are read again to describe the segments (tests: erasures
	 * that meet a refresh there) */
	void (*copied)(void *ctx);
	void *copied_ctx;
};

/* The options the settings ask for (o->overrides points into c). */
void seg_options_of(const struct cfg *c, struct seg_options *o);

struct seg_stats {
	uint64_t users;
	unsigned k;
	double seconds_copy, seconds_features, seconds_cluster, seconds_total;
};

/*
 * Refreshes the segments of region r (the segmenter process, penchant
 * replay --segments, benchmarks). Allocates its working memory (about 80
 * bytes per user) and frees it. Users erased while it runs are left out
 * of the table (and a segment all of whose members were, with them).
 * Returns 0, -ENODATA (fewer users than k_min, or every one erased
 * meanwhile), -ENOMEM, or -EINVAL (bad options) with a message.
 */
int seg_refresh(const struct reg *r, const struct seg_options *o,
    struct seg_stats *st, char *err, size_t errlen);

/*
 * Any process: a consistent copy of the current table (0), or -ENODATA
 * before the first refresh.
 */
int seg_read(const struct reg *r, struct seg_table *out);

/*
 * The segmenter, after each attempt: its outcome (0, or seg_refresh's
 * error and message) and the refresh requests it answers (those made
 * before it began).
 */
void seg_note(const struct reg *r, uint64_t answered, int rc, const char *msg);

/*
 * Any process: the last attempt's outcome into *rc and msg (len bytes,
 * "" after a table), and the requests it answered into *answered; 0, or
 * -ENODATA before any attempt, -EBUSY while it keeps changing.
 */
int seg_last_note(const struct reg *r, uint64_t *answered, int *rc, char *msg,
    size_t len);

/* Where a profile falls in table t: segment index, confidence, flag. */
struct seg_assignment {
	int index;	  /* into t->seg, -1 when the profile has no events */
	uint32_t id;	  /* the segment's stable id */
	float confidence; /* km_assign's margin, 0..1 */
	bool low;	  /* below the table's low_confidence */
};
void seg_assign(const struct seg_table *t, const struct lrn_profile *p,
    const struct lrn_params *prm, int64_t as_of_ms, struct seg_assignment *out);

/*
 * Writes the feature matrix behind table t as CSV to f: a header, then
 * per user with events user_key (hex), segment id, assignment confidence,
 * the FEAT_COUNT raw features and the same standardized with t's scaler
 * (the space the centroids live in), all as of t->as_of_ms. For analysis
 * elsewhere (the scikit-learn comparison in tests/integration). Returns
 * the rows written, or a negative errno (-ENODATA: t has no segments,
 * -EIO: a write failed).
 */
long seg_export(const struct reg *r, const struct seg_table *t, FILE *f);

#endif
